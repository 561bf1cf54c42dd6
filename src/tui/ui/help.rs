//! The `?` overlay, generated from the active keymap so it never drifts from the bindings.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::centered;
use crate::tui::action::Action;
use crate::tui::config::ConfigWarning;
use crate::tui::keymap::{format_keys, Context, Keymap};
use crate::tui::theme::{Role, Styles};

/// The help text: per context, each action's keys and description.
pub fn lines(keymap: &Keymap, warnings: &[ConfigWarning], styles: &Styles) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if !warnings.is_empty() {
        out.push(Line::from(Span::styled(
            "Configuration problems",
            styles.get(Role::Error),
        )));
        for w in warnings {
            out.push(Line::from(Span::styled(
                format!("  {w}"),
                styles.get(Role::Warning),
            )));
        }
        out.push(Line::from(""));
    }
    out.push(Line::from(Span::styled(
        "Markers: ! overdue / paid late   ~ due soon   % partial   = paid   + credit   x void",
        styles.get(Role::Muted),
    )));
    for ctx in Context::ALL {
        let bindings = keymap.bindings(ctx);
        if bindings.is_empty() {
            continue;
        }
        out.push(Line::from(""));
        out.push(Line::from(Span::styled(
            format!("[{}]", ctx.name()),
            styles.get(Role::Header),
        )));
        // Group keys that share an action and description.
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for b in bindings {
            let key = format!("{}\u{0}{}", b.action.name(), b.desc);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some(g) => g.1.push(format_keys(&b.keys)),
                None => groups.push((key, vec![format_keys(&b.keys)])),
            }
        }
        for (key, keys) in groups {
            let desc = key.split('\u{0}').nth(1).unwrap_or("").to_string();
            out.push(Line::from(vec![
                Span::styled(format!("  {:<22}", keys.join(", ")), styles.get(Role::Key)),
                Span::raw(desc),
            ]));
        }
    }
    out
}

/// Draws the overlay scrolled by `scroll` lines.
pub fn draw(
    f: &mut Frame,
    area: Rect,
    keymap: &Keymap,
    warnings: &[ConfigWarning],
    styles: &Styles,
    scroll: usize,
) {
    let text = lines(keymap, warnings, styles);
    let rect = centered(area, 90, area.height.saturating_sub(2));
    super::clear_overlay(f, rect);
    let max = text
        .len()
        .saturating_sub(rect.height.saturating_sub(2) as usize);
    let key = |a| keymap.all_keys_for(Context::Dialog, a);
    let title = format!(
        " Keys ({} closes, {}/{} scroll) ",
        key(Action::Deny),
        keymap
            .keys_for(Context::Dialog, Action::Down)
            .unwrap_or_default(),
        keymap
            .keys_for(Context::Dialog, Action::Up)
            .unwrap_or_default()
    );
    let block = Block::bordered()
        .title(Line::from(title).style(styles.get(Role::Title)))
        .border_style(styles.get(Role::Border));
    f.render_widget(
        Paragraph::new(text)
            .block(block)
            .scroll((scroll.min(max) as u16, 0)),
        rect,
    );
}
