//! The Filters tab: saved named filters.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::table::plain;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::Context;
use crate::tui::theme::Role;

/// Draws the saved filters; returns the body rows' area.
pub fn draw(f: &mut Frame, area: Rect, app: &mut App) -> Rect {
    let styles = &app.styles;
    if app.filters.is_empty() {
        let key = |a| {
            app.keymap
                .keys_for(Context::List, a)
                .unwrap_or_else(|| "?".into())
        };
        let text = vec![
            Line::from("No saved filters yet."),
            Line::from(""),
            Line::from(format!(
                "On a list, press {} to filter, then {} to save the filter under a name;",
                key(Action::Filter),
                key(Action::SaveFilter)
            )),
            Line::from(format!(
                "here, {} creates one from the last list's filter.",
                key(Action::Add)
            )),
        ];
        f.render_widget(Paragraph::new(text).style(styles.get(Role::Muted)), area);
        return Rect::default();
    }
    let h = area.height.saturating_sub(1) as usize;
    let sel = app.filter_sel.min(app.filters.len() - 1);
    let offset = if h == 0 { 0 } else { sel.saturating_sub(h - 1) };
    let rows: Vec<Row> = app
        .filters
        .iter()
        .enumerate()
        .skip(offset)
        .take(h)
        .map(|(i, sf)| {
            let selected = i == sel;
            let style = if selected {
                styles.get(Role::Selection)
            } else {
                Style::default()
            };
            Row::new(vec![
                Cell::from(if selected { ">" } else { " " }),
                Cell::from(sf.pin.map_or(String::new(), |p| format!("alt-{p}"))),
                Cell::from(plain(&sf.name)),
                Cell::from(plain(&sf.query)),
            ])
            .style(style)
        })
        .collect();
    let header = Row::new(vec!["", "Pin", "Name", "Filter"]).style(styles.get(Role::Header));
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Length(5),
            Constraint::Fill(1),
            Constraint::Fill(2),
        ],
    )
    .header(header)
    .column_spacing(1);
    f.render_widget(table, area);
    Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    }
}
