//! Yes/no confirmation dialogs.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::centered;
use crate::tui::action::Action;
use crate::tui::app::Confirm;
use crate::tui::keymap::{Context, Keymap};
use crate::tui::theme::{Role, Styles};

/// Draws the question.
pub fn draw(f: &mut Frame, area: Rect, c: &Confirm, styles: &Styles, keymap: &Keymap) {
    let w = (c.message.chars().count() as u16 + 4).clamp(30, 70);
    let body_lines = (c.message.chars().count() as u16 / (w - 4)) + 1;
    let rect = centered(area, w, body_lines + 4);
    super::clear_overlay(f, rect);
    let keys = format!(
        "{} yes · {} no",
        keymap
            .keys_for(Context::Dialog, Action::Confirm)
            .unwrap_or_default(),
        keymap
            .keys_for(Context::Dialog, Action::Deny)
            .unwrap_or_default()
    );
    let text = vec![
        Line::from(c.message.clone()),
        Line::from(""),
        Line::from(Span::styled(keys, styles.get(Role::Muted))),
    ];
    let block = Block::bordered()
        .title(Line::from(" Confirm ").style(styles.get(Role::Warning)))
        .border_style(styles.get(Role::Border));
    f.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(block),
        rect,
    );
}
