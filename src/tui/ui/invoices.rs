//! The Invoices tab.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::Frame;

use super::fmt::fit_amount;
use super::marks;
use super::table::{draw_list, hl, plain, Column, RowData};
use crate::domain::{format_date, InvoiceKind};
use crate::tui::app::App;
use crate::tui::views::ListKind;

const NARROW: &[Column] = &[
    Column::left("Number", Constraint::Length(15), Some(1)),
    Column::left("Party", Constraint::Fill(1), Some(2)),
    Column::left("Due", Constraint::Length(10), Some(3)),
    Column::right("Amount", Constraint::Length(10), Some(4)),
    Column::right("Open", Constraint::Length(10), Some(5)),
    Column::left("Cur", Constraint::Length(3), None),
    Column::left("Status", Constraint::Length(10), Some(6)),
];

const WIDE: &[Column] = &[
    Column::left("Number", Constraint::Length(16), Some(1)),
    Column::left("Party", Constraint::Fill(2), Some(2)),
    Column::left("Kind", Constraint::Length(4), None),
    Column::left("Issued", Constraint::Length(10), Some(0)),
    Column::left("Due", Constraint::Length(10), Some(3)),
    Column::right("Amount", Constraint::Length(12), Some(4)),
    Column::right("Outstanding", Constraint::Length(12), Some(5)),
    Column::left("Cur", Constraint::Length(3), None),
    Column::left("Status", Constraint::Length(10), Some(6)),
    Column::left("Notes", Constraint::Fill(1), None),
];

/// Draws the invoices list; returns the body rows' area.
pub fn draw(f: &mut Frame, area: Rect, app: &mut App) -> Rect {
    let cols = if area.width >= 110 { WIDE } else { NARROW };
    let wide = cols.len() == WIDE.len();
    let (ctx, state) = app.draw_parts(ListKind::Invoices);
    let words = state.words.clone();
    draw_list(f, area, ctx.styles, cols, state, |pos, w| {
        let Some(i) = ctx.ledger.invoices().get(pos) else {
            return RowData {
                marker: ' ',
                role: None,
                cells: Vec::new(),
            };
        };
        let s = ctx.ledger.settlement(i, &ctx.rules);
        let (marker, role) = marks::invoice_status(s.status());
        let mut cells = vec![
            hl(&i.number, &words, ctx.styles),
            hl(ctx.ledger.party_name(i.party), &words, ctx.styles),
        ];
        if wide {
            cells.push(Line::from(match i.kind {
                InvoiceKind::Receivable => "rec",
                InvoiceKind::Payable => "pay",
            }));
            cells.push(Line::from(format_date(i.issue_date)));
        }
        cells.extend([
            Line::from(format_date(i.due_date)),
            Line::from(fit_amount(
                i.currency,
                i.amount,
                w[if wide { 5 } else { 3 }],
            )),
            Line::from(fit_amount(
                i.currency,
                s.outstanding,
                w[if wide { 6 } else { 4 }],
            )),
            Line::from(i.currency.as_str().to_string()),
            Line::from(status_text(s.status().as_str(), follow_up_mark(&ctx, i.id))),
        ]);
        if wide {
            cells.push(plain(&i.notes));
        }
        RowData {
            marker,
            role,
            cells,
        }
    })
}

/// The follow-up marker of an invoice (disputed, promised, snoozed, reminded), if any.
fn follow_up_mark(
    ctx: &crate::tui::app::DrawCtx<'_>,
    id: crate::domain::InvoiceId,
) -> Option<char> {
    ctx.ledger
        .follow_up(id)
        .and_then(|f| f.marker(ctx.rules.as_of))
}

/// The status word, followed by the follow-up marker when there is one (`overdue z`).
fn status_text(status: &str, mark: Option<char>) -> String {
    match mark {
        Some(m) => format!("{status} {m}"),
        None => status.to_string(),
    }
}
