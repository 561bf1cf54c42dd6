//! The Payments tab.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::Frame;

use super::fmt::fit_amount;
use super::marks;
use super::table::{draw_list, hl, plain, Column, RowData};
use crate::domain::format_date;
use crate::tui::app::App;
use crate::tui::views::ListKind;

const NARROW: &[Column] = &[
    Column::left("Date", Constraint::Length(10), Some(0)),
    Column::left("Party", Constraint::Fill(3), Some(1)),
    Column::left("Dir", Constraint::Length(3), None),
    Column::right("Amount", Constraint::Length(11), Some(2)),
    Column::left("Cur", Constraint::Length(3), Some(3)),
    Column::left("Reference", Constraint::Fill(2), Some(5)),
    Column::left("Invoices", Constraint::Fill(2), None),
];

const WIDE: &[Column] = &[
    Column::left("Date", Constraint::Length(10), Some(0)),
    Column::left("Party", Constraint::Fill(3), Some(1)),
    Column::left("Dir", Constraint::Length(3), None),
    Column::right("Amount", Constraint::Length(12), Some(2)),
    Column::left("Cur", Constraint::Length(3), Some(3)),
    Column::left("Method", Constraint::Length(13), Some(4)),
    Column::left("Reference", Constraint::Fill(2), Some(5)),
    Column::left("Invoices", Constraint::Fill(2), None),
    Column::left("Notes", Constraint::Fill(2), None),
];

/// Draws the payments list; returns the body rows' area.
pub fn draw(f: &mut Frame, area: Rect, app: &mut App) -> Rect {
    let cols = if area.width >= 110 { WIDE } else { NARROW };
    let wide = cols.len() == WIDE.len();
    let (ctx, state) = app.draw_parts(ListKind::Payments);
    let words = state.words.clone();
    draw_list(f, area, ctx.styles, cols, state, |pos, w| {
        let Some(p) = ctx.ledger.payments().get(pos) else {
            return RowData {
                marker: ' ',
                role: None,
                cells: Vec::new(),
            };
        };
        let (marker, role) = marks::payment(ctx.ledger, p, &ctx.rules);
        let invoices: Vec<&str> = p
            .allocations
            .iter()
            .map(|a| {
                ctx.ledger
                    .invoice(a.invoice)
                    .map_or("…", |i| i.number.as_str())
            })
            .collect();
        let inv_text = match invoices.len() {
            0 => String::new(),
            1 | 2 => invoices.join(","),
            n => format!("{},+{}", invoices[0], n - 1),
        };
        let mut cells = vec![
            Line::from(format_date(p.date)),
            hl(ctx.ledger.party_name(p.party), &words, ctx.styles),
            Line::from(p.direction.as_str()),
            Line::from(fit_amount(p.currency, p.amount, w[3])),
            Line::from(p.currency.as_str().to_string()),
        ];
        if wide {
            cells.push(Line::from(p.method.as_str()));
        }
        cells.push(hl(&p.reference, &words, ctx.styles));
        cells.push(hl(&inv_text, &words, ctx.styles));
        if wide {
            cells.push(plain(&p.notes));
        }
        RowData {
            marker,
            role,
            cells,
        }
    })
}
