//! The Reminders tab: the due reminders as of today, one row per party and kind, most
//! overdue first, with the ladder level reached, the invoices and the total per currency.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::Frame;

use super::fmt::{fit_list, fit_money};
use super::table::{draw_list, hl, plain, Column, RowData};
use crate::domain::InvoiceKind;
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::views::ListKind;

const NARROW: &[Column] = &[
    Column::right("Late", Constraint::Length(6), Some(0)),
    Column::left("Party", Constraint::Fill(2), Some(1)),
    Column::left("Level", Constraint::Length(15), Some(2)),
    Column::right("#", Constraint::Length(2), Some(3)),
    Column::left("Invoices", Constraint::Fill(2), None),
    Column::right("Total", Constraint::Length(14), None),
    Column::left("Kind", Constraint::Length(4), None),
];

const WIDE: &[Column] = &[
    Column::right("Late", Constraint::Length(7), Some(0)),
    Column::left("Party", Constraint::Fill(2), Some(1)),
    Column::left("Level", Constraint::Length(16), Some(2)),
    Column::right("#", Constraint::Length(3), Some(3)),
    Column::left("Invoices", Constraint::Fill(3), None),
    Column::right("Total", Constraint::Length(22), None),
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
    let list = state.result.reminders.clone();
    draw_list(f, area, ctx.styles, cols, state, |pos, w| {
        let Some(r) = list.as_ref().and_then(|l| l.get(pos)) else {
            return RowData {
                marker: ' ',
                role: None,
                cells: Vec::new(),
            };
        };
        let days = r.days_overdue();
        let (marker, role) = if days > 0 {
            ('!', Some(Role::Overdue))
        } else {
            ('~', Some(Role::DueSoon))
        };
        let numbers: Vec<String> = r
            .invoices
            .iter()
            .map(|i| crate::text::sanitize(&i.number).into_owned())
            .collect();
        let totals: Vec<(crate::domain::Currency, (), rust_decimal::Decimal)> =
            r.totals.iter().map(|(c, d)| (*c, (), *d)).collect();
        let mut cells = vec![
            Line::from(lateness(days)),
            hl(ctx.ledger.party_name(r.party), &words, ctx.styles),
            plain(&r.level_name),
            Line::from(r.invoices.len().to_string()),
            Line::from(fit_list(&numbers, w[4])),
            Line::from(fit_money(&totals, |_| true, w[5])),
            Line::from(match r.kind {
                InvoiceKind::Receivable => "rec",
                InvoiceKind::Payable => "pay",
            }),
        ];
        if wide {
            let email = ctx.ledger.party(r.party).map_or("", |p| p.email.as_str());
            cells.push(plain(email));
        }
        RowData {
            marker,
            role,
            cells,
        }
    })
}
