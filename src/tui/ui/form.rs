//! The add/edit form popup.

use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::Text;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::centered;
use crate::text::sanitize;
use crate::tui::action::Action;
use crate::tui::form::{FieldId, Form};
use crate::tui::keymap::{Context, Keymap};
use crate::tui::theme::{Role, Styles};

const LABEL_W: usize = 13;
const VALUE_W: usize = 30;

/// Draws `form` over `area`.
pub fn draw(f: &mut Frame, area: Rect, form: &Form, styles: &Styles, keymap: &Keymap) {
    let mut lines: Vec<Line> = Vec::new();
    let mut cursor: Option<(u16, u16)> = None;
    for (i, field) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let label = Span::styled(
            format!("{:<LABEL_W$}", field.label),
            if focused {
                styles.get(Role::Key)
            } else {
                Style::default()
            },
        );
        let shown = match field.choices {
            Some(_) => format!("< {} >", field.input.text()),
            None => sanitize(field.input.text()).into_owned(),
        };
        let chars: Vec<char> = shown.chars().collect();
        // Scroll long text so the cursor stays visible.
        let cur = if field.choices.is_some() {
            0
        } else {
            field.input.cursor()
        };
        let start = cur.saturating_sub(VALUE_W - 1);
        let visible: String = chars.iter().skip(start).take(VALUE_W).collect();
        let value = Span::styled(
            format!("{visible:<VALUE_W$}"),
            styles.get(if focused {
                Role::InputFocus
            } else {
                Role::Input
            }),
        );
        let note = match (&field.error, &field.hint) {
            (Some(e), _) => Span::styled(format!(" ✗ {}", sanitize(e)), styles.get(Role::Error)),
            (None, Some(h)) => Span::styled(format!(" {}", sanitize(h)), styles.get(Role::Muted)),
            _ => Span::raw(""),
        };
        if focused && field.choices.is_none() {
            cursor = Some(((LABEL_W + cur - start) as u16, lines.len() as u16));
        }
        lines.push(Line::from(vec![label, value, note]));
    }
    if !form.preview.lines.is_empty() || form.field(FieldId::Invoices).is_some() {
        let p = &form.preview;
        if let Some(c) = p.currency {
            lines.push(Line::from(""));
            for l in &p.lines {
                lines.push(Line::from(format!(
                    "  → {:<16} {:>12} {c}  leaves {}",
                    sanitize(&l.number),
                    c.format(l.amount),
                    c.format(l.left)
                )));
            }
            if !p.credit.is_zero() {
                lines.push(Line::from(Span::styled(
                    format!("  + credit (unallocated) {} {c}", c.format(p.credit)),
                    styles.get(Role::Credit),
                )));
            }
        }
    }
    if !form.suggestions.is_empty() {
        lines.push(Line::from(""));
        let hint = format!(
            "Suggestions ({}/{} choose, {} accepts):",
            keymap
                .keys_for(Context::Form, Action::CompleteNext)
                .unwrap_or_default(),
            keymap
                .keys_for(Context::Form, Action::CompletePrev)
                .unwrap_or_default(),
            keymap
                .keys_for(Context::Form, Action::NextField)
                .unwrap_or_default(),
        );
        lines.push(Line::from(Span::styled(hint, styles.get(Role::Muted))));
        for (i, s) in form.suggestions.iter().enumerate() {
            let sel = form.selected == Some(i);
            lines.push(Line::from(Span::styled(
                format!("{} {}", if sel { '>' } else { ' ' }, s.label),
                if sel {
                    styles.get(Role::Selection)
                } else {
                    Style::default()
                },
            )));
        }
    }
    if let Some(e) = &form.error {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!("✗ {}", sanitize(e)),
            styles.get(Role::Error),
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!(
            "{} save · {} cancel · {} next field",
            keymap
                .keys_for(Context::Form, Action::Submit)
                .unwrap_or_default(),
            keymap
                .keys_for(Context::Form, Action::Cancel)
                .unwrap_or_default(),
            keymap
                .keys_for(Context::Form, Action::NextField)
                .unwrap_or_default(),
        ),
        styles.get(Role::Muted),
    )));
    let w = (LABEL_W + VALUE_W + 50) as u16 + 2;
    let h = lines.len() as u16 + 2;
    let rect = centered(area, w, h);
    super::clear_overlay(f, rect);
    let block = Block::bordered()
        .title(Line::from(format!(" {} ", form.kind.title())).style(styles.get(Role::Title)))
        .border_style(styles.get(Role::Border));
    let inner = block.inner(rect);
    f.render_widget(Paragraph::new(Text::from(lines)).block(block), rect);
    if let Some((x, y)) = cursor {
        if x < inner.width && y < inner.height {
            f.set_cursor_position(Position::new(inner.x + x, inner.y + y));
        }
    }
}
