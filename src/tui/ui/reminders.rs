//! The Reminders tab: overdue and due-soon invoices, most overdue first.

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
    Column::right("Late", Constraint::Length(6), Some(0)),
    Column::left("Number", Constraint::Length(15), Some(1)),
    Column::left("Party", Constraint::Fill(1), Some(2)),
    Column::left("Due", Constraint::Length(10), None),
    Column::right("Open", Constraint::Length(10), Some(3)),
    Column::left("Cur", Constraint::Length(3), None),
    Column::left("Kind", Constraint::Length(4), None),
];

const WIDE: &[Column] = &[
    Column::right("Late", Constraint::Length(7), Some(0)),
    Column::left("Number", Constraint::Length(16), Some(1)),
    Column::left("Party", Constraint::Fill(2), Some(2)),
    Column::left("Due", Constraint::Length(10), None),
    Column::right("Outstanding", Constraint::Length(12), Some(3)),
    Column::left("Cur", Constraint::Length(3), None),
    Column::left("Kind", Constraint::Length(4), None),
    Column::left("Email", Constraint::Fill(2), None),
];

/// "12d" overdue, "in 3d" / "today" when due soon.
pub fn lateness(days_past_due: i64) -> String {
    match days_past_due {
        d if d > 0 => format!("{d}d"),
        0 => "today".to_string(),
        d => format!("in {}d", -d),
    }
}

/// Draws the reminders list; returns the body rows' area.
pub fn draw(f: &mut Frame, area: Rect, app: &mut App) -> Rect {
    let cols = if area.width >= 110 { WIDE } else { NARROW };
    let wide = cols.len() == WIDE.len();
    let (ctx, state) = app.draw_parts(ListKind::Reminders);
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
        // disputed `!`, promised `P`, snoozed `z`, reminded `✉` take the marker's place
        let marker = ctx
            .ledger
            .follow_up(i.id)
            .and_then(|f| f.marker(ctx.today))
            .unwrap_or(marker);
        let days = (ctx.today - i.due_date).whole_days();
        let mut cells = vec![
            Line::from(lateness(days)),
            hl(&i.number, &words, ctx.styles),
            hl(ctx.ledger.party_name(i.party), &words, ctx.styles),
            Line::from(format_date(i.due_date)),
            Line::from(fit_amount(i.currency, s.outstanding, w[4])),
            Line::from(i.currency.as_str().to_string()),
            Line::from(match i.kind {
                InvoiceKind::Receivable => "rec",
                InvoiceKind::Payable => "pay",
            }),
        ];
        if wide {
            let email = ctx.ledger.party(i.party).map_or("", |p| p.email.as_str());
            cells.push(plain(email));
        }
        RowData {
            marker,
            role,
            cells,
        }
    })
}
