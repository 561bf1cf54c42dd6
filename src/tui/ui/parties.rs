//! The Parties tab.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::Frame;

use super::fmt::fit_money;
use super::marks;
use super::table::{draw_list, hl, plain, Column, RowData};
use crate::domain::{Direction, InvoiceKind};
use crate::tui::app::App;
use crate::tui::views::ListKind;

const NARROW: &[Column] = &[
    Column::left("Name", Constraint::Fill(2), Some(0)),
    Column::left("Role", Constraint::Length(8), Some(1)),
    Column::right("Open", Constraint::Length(4), Some(2)),
    Column::left("Receivable", Constraint::Fill(2), None),
    Column::left("Credit", Constraint::Fill(1), None),
];

const WIDE: &[Column] = &[
    Column::left("Name", Constraint::Fill(2), Some(0)),
    Column::left("Role", Constraint::Length(8), Some(1)),
    Column::right("Invoices", Constraint::Length(8), Some(3)),
    Column::right("Open", Constraint::Length(4), Some(2)),
    Column::left("Receivable", Constraint::Fill(2), None),
    Column::left("Payable", Constraint::Fill(2), None),
    Column::left("Credit", Constraint::Fill(1), None),
    Column::left("Email", Constraint::Fill(2), None),
];

/// Draws the parties list; returns the body rows' area.
pub fn draw(f: &mut Frame, area: Rect, app: &mut App) -> Rect {
    let cols = if area.width >= 110 { WIDE } else { NARROW };
    let wide = cols.len() == WIDE.len();
    let (ctx, state) = app.draw_parts(ListKind::Parties);
    let words = state.words.clone();
    let stats = state.result.party_stats.clone();
    draw_list(f, area, ctx.styles, cols, state, |pos, w| {
        let Some(p) = ctx.ledger.parties().get(pos) else {
            return RowData {
                marker: ' ',
                role: None,
                cells: Vec::new(),
            };
        };
        let st = stats.as_ref().and_then(|s| s.get(&p.id));
        let (marker, role) = marks::party(st);
        let mut cells = vec![hl(&p.name, &words, ctx.styles), Line::from(p.role.as_str())];
        if wide {
            cells.push(Line::from(st.map_or(0, |s| s.invoices).to_string()));
        }
        cells.push(Line::from(st.map_or(0, |s| s.open.len()).to_string()));
        let base = if wide { 4 } else { 3 };
        let rec = st.map_or(String::new(), |s| {
            fit_money(&s.outstanding, |k| *k == InvoiceKind::Receivable, w[base])
        });
        cells.push(Line::from(rec));
        if wide {
            cells.push(Line::from(st.map_or(String::new(), |s| {
                fit_money(&s.outstanding, |k| *k == InvoiceKind::Payable, w[base + 1])
            })));
        }
        let cw = w[if wide { base + 2 } else { base + 1 }];
        cells.push(Line::from(st.map_or(String::new(), |s| {
            fit_money(&s.credit, |_: &Direction| true, cw)
        })));
        if wide {
            cells.push(plain(&p.email));
        }
        RowData {
            marker,
            role,
            cells,
        }
    })
}
