//! The import dialog: the fields, then what the dialog is doing (completions, progress,
//! the dry run's preview, errors, the summary). Text from files and file names is
//! sanitised; every width is clipped, so small terminals draw without panicking.

use ratatui::layout::{Alignment, Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::centered;
use super::fmt::count;
use crate::text::sanitize;
use crate::tui::action::Action;
use crate::tui::import::{Field, ImportDialog, Phase, Preview, Running, Stage, SHOWN_ERRORS};
use crate::tui::keymap::{Context, Keymap};
use crate::tui::theme::{Role, Styles};

const LABEL_W: u16 = 10;
const SPINNER: [char; 4] = ['|', '/', '-', '\\'];

/// One line of text (sanitised: it may quote a file) in a role's style.
fn styled(text: impl AsRef<str>, role: Role, styles: &Styles) -> Line<'static> {
    Line::from(Span::styled(
        sanitize(text.as_ref()).into_owned(),
        styles.get(role),
    ))
}

/// Draws the dialog over `area`.
pub fn draw(
    f: &mut Frame,
    area: Rect,
    d: &ImportDialog,
    styles: &Styles,
    keymap: &Keymap,
    spinner: usize,
) {
    let rect = centered(area, area.width.min(100), area.height);
    if rect.width < 3 || rect.height < 3 {
        return;
    }
    super::clear_overlay(f, rect);
    let block = Block::bordered()
        .title(Line::from(" Import ").style(styles.get(Role::Title)))
        .border_style(styles.get(Role::Border));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let [fields, _, body, footer] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    draw_fields(f, fields, d, styles);
    match &d.stage {
        Stage::Edit => draw_edit(f, body, d, styles, keymap),
        Stage::Running(r) => draw_running(f, body, r, styles, spinner),
        Stage::Preview(p) => draw_preview(f, body, d, p, styles),
        Stage::Failed(e) => {
            let title = if e.error_count == 1 {
                "✗ nothing was imported:".to_string()
            } else {
                format!("✗ {} errors; nothing was imported:", count(e.error_count))
            };
            let lines = error_lines(
                &title,
                &e.errors,
                e.error_count,
                SHOWN_ERRORS,
                body.width,
                styles,
            );
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
        }
        Stage::Done(s) => {
            let lines = vec![
                styled(format!("✓ {s}"), Role::Success, styles),
                Line::from(""),
                styled(
                    "The lists show the new records. Undo takes the whole import back in one step.",
                    Role::Muted,
                    styles,
                ),
            ];
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
        }
    }
    draw_footer(f, footer, d, keymap, styles);
}

fn draw_fields(f: &mut Frame, area: Rect, d: &ImportDialog, styles: &Styles) {
    let editing = matches!(d.stage, Stage::Edit);
    let shown = d.fields();
    let value_w = area.width.saturating_sub(LABEL_W) as usize;
    let rows: [(Field, &str); 4] = [
        (Field::Path, "File"),
        (Field::Kind, "Kind"),
        (Field::Layout, "Layout"),
        (Field::Currency, "Currency"),
    ];
    for (i, (field, label)) in rows.into_iter().enumerate() {
        let y = area.y + i as u16;
        if y >= area.y + area.height {
            break;
        }
        let focused = editing && d.focus == field;
        let line_area = Rect {
            y,
            height: 1,
            ..area
        };
        let label_span = Span::styled(
            format!("{label:<w$}", w = LABEL_W as usize),
            if focused {
                styles.get(Role::Key)
            } else {
                Style::default()
            },
        );
        let input_style = styles.get(if focused {
            Role::InputFocus
        } else {
            Role::Input
        });
        let (value, hint, cursor) = match field {
            Field::Path => {
                let text = sanitize(d.path.text()).into_owned();
                let chars: Vec<char> = text.chars().collect();
                let cur = d.path.cursor().min(chars.len());
                let start = cur.saturating_sub(value_w.saturating_sub(1));
                let visible: String = chars.iter().skip(start).collect();
                let cx: usize = chars[start..cur]
                    .iter()
                    .map(|c| Span::raw(c.to_string()).width())
                    .sum();
                (visible, String::new(), Some(cx))
            }
            Field::Kind => (format!("< {} >", d.kind.label()), String::new(), None),
            Field::Layout => {
                let t = sanitize(&d.layout_text()).into_owned();
                if shown.contains(&Field::Layout) {
                    (format!("< {t} >"), String::new(), None)
                } else {
                    (t, String::new(), None)
                }
            }
            Field::Currency => {
                if !shown.contains(&Field::Currency) {
                    continue;
                }
                let t = sanitize(d.currency.text()).into_owned();
                let cx = Span::raw(t.clone()).width();
                let t = format!("{t:<4}");
                (
                    t,
                    "  (rows without a currency; empty: the profile's, else EUR)".to_string(),
                    Some(cx),
                )
            }
        };
        let mut spans = vec![label_span, Span::styled(value.clone(), input_style)];
        if !hint.is_empty() {
            spans.push(Span::styled(hint, styles.get(Role::Muted)));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), line_area);
        if focused {
            if let Some(cx) = cursor {
                let x = line_area.x as usize + LABEL_W as usize + cx;
                if x < (line_area.x + line_area.width) as usize {
                    f.set_cursor_position(Position::new(x as u16, y));
                }
            }
        }
    }
}

fn draw_edit(f: &mut Frame, area: Rect, d: &ImportDialog, styles: &Styles, keymap: &Keymap) {
    let mut lines: Vec<Line> = Vec::new();
    if let Some(n) = &d.notice {
        lines.push(styled(n, Role::Warning, styles));
    }
    if let Some(c) = &d.completion {
        lines.push(styled(
            format!(
                "{}{} {} ({} again: next, {}: previous):",
                count(c.candidates.len()),
                if c.truncated { "+" } else { "" },
                if c.candidates.len() == 1 {
                    "match"
                } else {
                    "matches"
                },
                keymap
                    .keys_for(Context::Import, Action::CompleteNext)
                    .unwrap_or_default(),
                keymap
                    .keys_for(Context::Import, Action::CompletePrev)
                    .unwrap_or_default()
            ),
            Role::Muted,
            styles,
        ));
        let room = (area.height as usize)
            .saturating_sub(lines.len() + 1)
            .max(1);
        let sel = c.index.unwrap_or(0);
        let start = if sel >= room { sel + 1 - room } else { 0 };
        for (i, name) in c.candidates.iter().enumerate().skip(start).take(room) {
            let chosen = c.index == Some(i);
            lines.push(Line::from(Span::styled(
                format!("{} {}", if chosen { '>' } else { ' ' }, sanitize(name)),
                if chosen {
                    styles.get(Role::Selection)
                } else {
                    Style::default()
                },
            )));
        }
        let left = c.candidates.len().saturating_sub(start + room);
        if left > 0 {
            lines.push(styled(
                format!("  … {} more", count(left)),
                Role::Muted,
                styles,
            ));
        }
    } else {
        lines.push(styled(
            "Type the file's path (tab completes, ~ is your home). Enter shows what the import \
             would do; nothing is saved until you confirm on the preview.",
            Role::Muted,
            styles,
        ));
        for p in &d.problems {
            lines.push(styled(p, Role::Warning, styles));
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// `text` (sanitised) broken between words into lines of at most `width` columns, the
/// continuation lines indented; a word longer than a line is cut by the border.
fn wrapped(text: &str, width: u16, role: Role, styles: &Styles) -> Vec<Line<'static>> {
    let text = sanitize(text).into_owned();
    let width = (width as usize).max(8);
    let w = |s: &str| Span::raw(s).width();
    let mut out = Vec::new();
    let mut line = String::new();
    // the line holds nothing but the indent of a continuation
    let mut fresh = true;
    for word in text.split(' ') {
        if !fresh && w(&line) + 1 + w(word) > width {
            out.push(styled(
                std::mem::replace(&mut line, "    ".into()),
                role,
                styles,
            ));
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(word);
        fresh = false;
    }
    out.push(styled(line, role, styles));
    out
}

/// A title, the first `shown` errors (wrapped) and how many more there are.
fn error_lines(
    title: &str,
    errors: &[String],
    total: usize,
    shown: usize,
    width: u16,
    styles: &Styles,
) -> Vec<Line<'static>> {
    let mut out = vec![styled(title, Role::Error, styles)];
    for e in errors.iter().take(shown) {
        out.extend(wrapped(&format!("  {e}"), width, Role::Error, styles));
    }
    let listed = errors.len().min(shown);
    if total > listed {
        out.push(styled(
            format!("  … and {} more", count(total - listed)),
            Role::Error,
            styles,
        ));
    }
    out
}

/// `1.2 MB`, `340 kB`, `12 B`.
fn bytes(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.1} MB", n as f64 / 1e6)
    } else if n >= 1_000 {
        format!("{:.0} kB", n as f64 / 1e3)
    } else {
        format!("{n} B")
    }
}

fn draw_running(f: &mut Frame, area: Rect, r: &Running, styles: &Styles, spinner: usize) {
    let p = &r.progress;
    let spin = SPINNER[spinner % SPINNER.len()];
    let (done, total) = (p.bytes(), p.total());
    let what = match p.phase() {
        Phase::Reading => format!("reading {}", sanitize(&r.source)),
        Phase::Parsing => format!("reading the rows of {}", sanitize(&r.source)),
        Phase::Planning => format!(
            "comparing {} rows with the ledger (duplicates, parties, invoices)",
            count(p.lines() as usize)
        ),
    };
    let bar_w = (area.width as usize).saturating_sub(8).min(50);
    let frac = if total == 0 {
        if p.phase() == Phase::Reading {
            0.0
        } else {
            1.0
        }
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    };
    let filled = (frac * bar_w as f64).round() as usize;
    let lines = vec![
        styled(format!("{spin} {what}…"), Role::Warning, styles),
        Line::from(vec![
            Span::styled("█".repeat(filled), styles.get(Role::Success)),
            Span::styled(
                "░".repeat(bar_w.saturating_sub(filled)),
                styles.get(Role::Muted),
            ),
            Span::raw(format!(" {:>3.0}%", frac * 100.0)),
        ]),
        styled(
            format!(
                "{} of {} · {} lines",
                bytes(done),
                bytes(total),
                count(p.lines() as usize)
            ),
            Role::Muted,
            styles,
        ),
    ];
    f.render_widget(Paragraph::new(lines), area);
}

fn draw_preview(f: &mut Frame, area: Rect, d: &ImportDialog, p: &Preview, styles: &Styles) {
    let mut head: Vec<Line> = vec![Line::from(vec![
        Span::styled("Dry run", styles.get(Role::Header)),
        Span::raw(format!(
            " of {} ({}): {} rows read",
            sanitize(&p.source),
            sanitize(&p.format),
            count(p.rows)
        )),
    ])];
    if let Some(n) = &p.note {
        head.extend(wrapped(n, area.width, Role::Muted, styles));
    }
    for n in &p.notes {
        head.extend(wrapped(n, area.width, Role::Warning, styles));
    }
    if let Some(n) = &d.notice {
        head.extend(wrapped(n, area.width, Role::Warning, styles));
    }
    // the counts, wrapped between items
    let width = area.width as usize;
    let mut line = String::from("would create");
    for (i, part) in p.count_parts().iter().enumerate() {
        let sep = if i == 0 { " " } else { ", " };
        let w = |s: &str| Span::raw(s).width();
        if i > 0 && w(&line) + w(sep) + w(part) + 1 > width {
            line.push(',');
            head.push(Line::from(std::mem::replace(
                &mut line,
                format!("  {part}"),
            )));
        } else {
            line.push_str(sep);
            line.push_str(part);
        }
    }
    head.push(Line::from(line));
    if !p.new_parties.is_empty() {
        let names: Vec<String> = p
            .new_parties
            .iter()
            .take(8)
            .map(|n| sanitize(n).into_owned())
            .collect();
        head.push(styled(
            format!(
                "new parties: {}{}",
                names.join(", "),
                if p.new_parties.len() > 8 { ", …" } else { "" }
            ),
            Role::Muted,
            styles,
        ));
    }
    if !p.duplicates.is_empty() {
        let lines: Vec<String> = p.duplicates.iter().take(12).map(u64::to_string).collect();
        head.push(styled(
            format!(
                "already recorded (skipped), lines {}{}",
                lines.join(", "),
                if p.duplicates.len() > 12 { ", …" } else { "" }
            ),
            Role::Muted,
            styles,
        ));
    }
    for sug in p.suggestions.iter().take(3) {
        let choices: Vec<String> = sug
            .candidates
            .iter()
            .map(|c| c.numbers(sug.currency))
            .collect();
        head.extend(wrapped(
            &format!(
                "ambiguous, left unallocated: line {}: {} {} ({}) could pay {}",
                sug.line,
                sug.currency.format(sug.amount),
                sug.currency,
                sug.party,
                choices.join(" or ")
            ),
            area.width,
            Role::Warning,
            styles,
        ));
    }
    if p.suggestions.len() > 3 {
        head.push(styled(
            format!(
                "… and {} more ambiguous (the match queue lists them after the import)",
                count(p.suggestions.len() - 3)
            ),
            Role::Warning,
            styles,
        ));
    }
    if p.error_count > 0 {
        let title = format!(
            "✗ {} with errors; nothing can be imported:",
            if p.error_count == 1 {
                "1 row".to_string()
            } else {
                format!("{} rows", count(p.error_count))
            }
        );
        head.extend(error_lines(
            &title,
            &p.errors,
            p.error_count,
            5,
            area.width,
            styles,
        ));
    }
    let head_h = (head.len() as u16).min(area.height);
    let [top, table_area] =
        Layout::vertical([Constraint::Length(head_h), Constraint::Fill(1)]).areas(area);
    f.render_widget(Paragraph::new(head), top);
    if table_area.height < 2 || p.table.rows.is_empty() {
        return;
    }
    let more_h = u16::from(p.table.more > 0 || p.scroll > 0 || p.table.rows.len() > 1);
    let [t, m] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(more_h)]).areas(table_area);
    let visible = (t.height as usize).saturating_sub(1);
    let start = p.scroll.min(p.table.rows.len().saturating_sub(1));
    let payments = p.table.headers.first() == Some(&"date");
    let widths: Vec<Constraint> = if payments {
        let mut w = vec![
            Constraint::Length(10),
            Constraint::Length(3),
            Constraint::Length(12),
            Constraint::Length(3),
            Constraint::Fill(2),
            Constraint::Fill(2),
            Constraint::Fill(1),
        ];
        // "matched by" (other systems' files and statements)
        w.extend(p.table.headers.iter().skip(7).map(|_| Constraint::Fill(2)));
        w
    } else {
        p.table
            .headers
            .iter()
            .map(|_| Constraint::Fill(1))
            .collect()
    };
    let right =
        |i: usize| payments && i == 2 || !payments && p.table.headers.get(i) == Some(&"amount");
    let header = Row::new(p.table.headers.iter().enumerate().map(|(i, h)| {
        let l = Line::from(*h);
        Cell::from(if right(i) {
            l.alignment(Alignment::Right)
        } else {
            l
        })
    }))
    .style(styles.get(Role::Header));
    let rows = p.table.rows.iter().skip(start).take(visible).map(|r| {
        Row::new(r.iter().enumerate().map(|(i, c)| {
            let l = Line::from(sanitize(c).into_owned());
            Cell::from(if right(i) {
                l.alignment(Alignment::Right)
            } else {
                l
            })
        }))
    });
    f.render_widget(Table::new(rows, widths).header(header).column_spacing(1), t);
    if more_h > 0 {
        let shown_to = (start + visible).min(p.table.rows.len());
        let total = p.table.rows.len() + p.table.more;
        let text = format!(
            "rows {}–{} of {} to create",
            count(start + 1),
            count(shown_to),
            count(total)
        );
        f.render_widget(
            Paragraph::new(Text::from(styled(text, Role::Muted, styles))),
            m,
        );
    }
}

fn draw_footer(f: &mut Frame, area: Rect, d: &ImportDialog, km: &Keymap, styles: &Styles) {
    let key = |a: Action| {
        km.keys_for(Context::Import, a)
            .or_else(|| km.keys_for(Context::Form, a))
            .unwrap_or_default()
    };
    let items: Vec<(String, &str)> = match &d.stage {
        Stage::Edit => vec![
            (key(Action::Submit), "preview"),
            (key(Action::CompleteNext), "complete"),
            (key(Action::NextField), "next field"),
            (
                format!("{}/{}", key(Action::CursorLeft), key(Action::CursorRight)),
                "choose",
            ),
            (key(Action::Cancel), "close"),
        ],
        Stage::Running(_) => vec![(key(Action::Cancel), "stop")],
        Stage::Preview(p) if p.importable() => vec![
            (key(Action::Submit), "import"),
            (
                format!("{}/{}", key(Action::NextField), key(Action::PrevField)),
                "scroll",
            ),
            (key(Action::Cancel), "back"),
        ],
        Stage::Preview(p) if p.error_count == 0 => vec![
            (key(Action::Submit), "done (nothing to import)"),
            (key(Action::Cancel), "back"),
        ],
        Stage::Preview(_) | Stage::Failed(_) => vec![
            (key(Action::Cancel), "back to the fields"),
            (key(Action::Submit), "try again"),
        ],
        Stage::Done(_) => vec![(key(Action::Submit), "close")],
    };
    let mut spans = Vec::new();
    for (k, label) in items {
        if k.is_empty() || k == "/" {
            continue;
        }
        spans.push(Span::styled(k, styles.get(Role::Key)));
        spans.push(Span::styled(format!(" {label}  "), styles.get(Role::Muted)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
