//! The dialog shown when saving a form whose record another session changed or deleted
//! since the form opened: reload theirs, overwrite with mine, or cancel.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::centered;
use crate::tui::app::Conflict;
use crate::tui::theme::{Role, Styles};

/// The lines of the dialog (also what tests read).
pub fn lines(c: &Conflict) -> Vec<String> {
    let mut out = Vec::new();
    if c.deleted {
        out.push(format!(
            "Another session deleted {} while you were editing it.",
            c.what
        ));
        out.push(String::new());
        out.push("r close the form · o save mine as a new record · c cancel".into());
    } else {
        out.push(format!(
            "Another session changed {} while you were editing it:",
            c.what
        ));
        for ch in c.changes.iter().take(8) {
            out.push(format!("  {ch}"));
        }
        if c.changes.len() > 8 {
            out.push(format!("  … and {} more", c.changes.len() - 8));
        }
        out.push(String::new());
        out.push("r reload theirs · o overwrite with mine · c cancel".into());
    }
    out
}

/// Draws the dialog centred in `area`.
pub fn draw(f: &mut Frame, area: Rect, c: &Conflict, styles: &Styles) {
    let text = lines(c);
    let widest = text.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u16;
    let w = (widest + 4).clamp(40, area.width.saturating_sub(2).max(40));
    let inner = w.saturating_sub(4).max(1);
    let rows: u16 = text
        .iter()
        .map(|l| (l.chars().count() as u16).div_ceil(inner).max(1))
        .sum();
    let rect = centered(area, w, rows + 2);
    super::clear_overlay(f, rect);
    let last = text.len().saturating_sub(1);
    let body: Vec<Line> = text
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == last {
                Line::from(Span::styled(l, styles.get(Role::Muted)))
            } else {
                Line::from(l)
            }
        })
        .collect();
    let block = Block::bordered()
        .title(Line::from(" Changed by another session ").style(styles.get(Role::Warning)))
        .border_style(styles.get(Role::Border));
    f.render_widget(
        Paragraph::new(body).wrap(Wrap { trim: false }).block(block),
        rect,
    );
}
