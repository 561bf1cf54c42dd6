//! Drawing: the tab bar, the current screen, the filter bar, the status and hint lines,
//! and overlays (form, dialog, help). Per-frame work is bounded by the visible rows.

mod conflict;
mod detail;
mod dialog;
mod filters;
pub mod fmt;
mod form;
mod help;
mod import;
mod invoices;
pub mod marks;
mod matching;
mod parties;
mod payments;
mod reminders;
mod reports;
pub mod table;

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::action::Action;
use super::app::{App, Message, Tab};
use super::keymap::Context;
use super::theme::Role;
use super::views::ListKind;
use fmt::count;

/// Smallest terminal the full layout is drawn in; below it a short message shows.
pub const MIN_WIDTH: u16 = 40;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 10;

/// A `w`×`h` rectangle centred in `area` (clipped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Clears `rect` for a dialog drawn over other content. A double-width character just
/// left of `rect` (in the list below) has its right half under the dialog; the terminal
/// would draw it across the dialog's left border (the frame's diff skips the cell after a
/// wide character), so it is blanked.
pub fn clear_overlay(f: &mut Frame, rect: Rect) {
    f.render_widget(ratatui::widgets::Clear, rect);
    let buf = f.buffer_mut();
    let area = buf.area;
    if rect.x <= area.x || rect.width == 0 {
        return;
    }
    for y in rect.top()..rect.bottom().min(area.bottom()) {
        let cell = &mut buf[(rect.x - 1, y)];
        if unicode_width::UnicodeWidthStr::width(cell.symbol()) > 1 {
            cell.set_symbol(" ");
        }
    }
}

const SPINNER: [char; 4] = ['|', '/', '-', '\\'];

/// Draws the whole app.
pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!("paytrack: terminal too small (need {MIN_WIDTH}x{MIN_HEIGHT})");
        f.render_widget(
            Paragraph::new(msg)
                .wrap(Wrap { trim: true })
                .style(app.styles.get(Role::Warning)),
            area,
        );
        app.hits = Default::default();
        return;
    }
    let bar_h = if app.filter_bar.is_some() || app.prompt.is_some() {
        2
    } else {
        0
    };
    let [tabs, body, bar, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(bar_h),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_tabs(f, tabs, app);
    let rows = draw_body(f, body, app);
    app.hits.rows = rows;
    if app.prompt.is_some() {
        draw_prompt(f, bar, app);
    } else if bar_h > 0 {
        draw_filter_bar(f, bar, app);
    }
    draw_status(f, status, app);
    draw_hints(f, hints, app);
    if let Some(form) = &app.form {
        form::draw(f, body, form, &app.styles, &app.keymap);
    }
    if let Some(d) = &app.import {
        import::draw(f, body, d, &app.styles, &app.keymap, app.spinner);
    }
    if let Some(c) = &app.confirm {
        dialog::draw(f, area, c, &app.styles, &app.keymap);
    }
    if let Some(c) = &app.conflict {
        conflict::draw(f, area, c, &app.styles);
    }
    if let Some(scroll) = app.help {
        help::draw(f, area, &app.keymap, &app.warnings, &app.styles, scroll);
    }
}

fn draw_tabs(f: &mut Frame, area: Rect, app: &mut App) {
    let mut spans = Vec::new();
    let mut hits = Vec::new();
    let mut x = area.x;
    for (i, t) in Tab::ALL.iter().enumerate() {
        let label = format!(" {} {} ", i + 1, t.title());
        let w = label.chars().count() as u16;
        let style = if *t == app.tab {
            app.styles.get(Role::TabActive)
        } else {
            app.styles.get(Role::TabInactive)
        };
        if x + w <= area.x + area.width {
            hits.push((
                Rect {
                    x,
                    y: area.y,
                    width: w,
                    height: 1,
                },
                *t,
            ));
        }
        spans.push(Span::styled(label, style));
        x = x.saturating_add(w + 1);
        spans.push(Span::raw(" "));
    }
    app.hits.tabs = hits;
    f.render_widget(Paragraph::new(Line::from(spans)), area);
    // Shared store: this session's part, left of the progress indicator, when it fits.
    if let Some(note) = app.sharing() {
        let w = note.chars().count() as u16 + 2;
        let end = (area.x + area.width).saturating_sub(12);
        if end >= x + w {
            let r = Rect {
                x: end - w,
                width: w,
                ..area
            };
            f.render_widget(
                Paragraph::new(format!("[{note}]")).style(app.styles.get(Role::Muted)),
                r,
            );
        }
    }
    let spin = SPINNER[app.spinner % SPINNER.len()];
    let right = if !app.loaded {
        format!("{spin} loading…")
    } else if app.busy() {
        format!("{spin} working")
    } else {
        String::new()
    };
    if !right.is_empty() {
        let w = right.chars().count() as u16;
        if area.width > w + 1 {
            let r = Rect {
                x: area.x + area.width - w,
                width: w,
                ..area
            };
            f.render_widget(
                Paragraph::new(right).style(app.styles.get(Role::Warning)),
                r,
            );
        }
    }
}

fn draw_body(f: &mut Frame, area: Rect, app: &mut App) -> Rect {
    if app.tab == Tab::Payments && app.matching.is_some() {
        matching::draw(f, area, app);
        return Rect::default();
    }
    let Some(k) = app.tab.list() else {
        match app.tab {
            Tab::Filters => return filters::draw(f, area, app),
            Tab::Reports => {
                reports::draw(f, area, app);
                return Rect::default();
            }
            _ => return Rect::default(),
        }
    };
    let detail_open = app.list(k).detail;
    let (list_area, detail_area) = if !detail_open {
        (area, None)
    } else if area.width >= 100 {
        let [a, b] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(56)]).areas(area);
        (a, Some(b))
    } else {
        let [a, b] =
            Layout::vertical([Constraint::Fill(1), Constraint::Percentage(50)]).areas(area);
        (a, Some(b))
    };
    let rows = match k {
        ListKind::Payments => payments::draw(f, list_area, app),
        ListKind::Invoices => invoices::draw(f, list_area, app),
        ListKind::Parties => parties::draw(f, list_area, app),
        ListKind::Reminders => reminders::draw(f, list_area, app),
    };
    if app.list(k).is_empty() {
        let msg = if !app.list(k).fresh || app.computing(k) {
            "computing…"
        } else if app.list(k).filter.is_empty() {
            "nothing here yet"
        } else {
            "no matches for the filter"
        };
        let r = Rect {
            y: list_area.y + 1,
            height: 1,
            ..list_area
        };
        if list_area.height > 1 {
            f.render_widget(Paragraph::new(msg).style(app.styles.get(Role::Muted)), r);
        }
    }
    if let Some(d) = detail_area {
        let (ctx, state) = app.draw_parts(k);
        let pos = state.selected_pos();
        let stats = state.result.party_stats.clone();
        let reminders = state.result.reminders.clone();
        let (title, lines) = match (k, pos) {
            (_, None) => ("Details", vec![Line::from("nothing selected")]),
            (ListKind::Reminders, Some(p)) => match reminders.as_ref().and_then(|r| r.get(p)) {
                Some(r) => ("Reminder", detail::reminder(&ctx, r)),
                None => ("Details", vec![Line::from("nothing selected")]),
            },
            (ListKind::Payments, Some(p)) => ("Payment", detail::payment(&ctx, p)),
            (ListKind::Invoices, Some(p)) => ("Invoice", detail::invoice(&ctx, p)),
            (ListKind::Parties, Some(p)) => {
                let id = ctx.ledger.parties().get(p).map(|x| x.id);
                let st = id.and_then(|id| stats.as_ref().and_then(|s| s.get(&id)));
                ("Party", detail::party(&ctx, p, st))
            }
        };
        detail::draw(f, d, &ctx, title, lines);
    }
    rows
}

fn draw_filter_bar(f: &mut Frame, area: Rect, app: &App) {
    let Some(bar) = &app.filter_bar else {
        return;
    };
    let [input, below] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let text = crate::text::sanitize(bar.input.text()).into_owned();
    let line = Line::from(vec![
        Span::styled("/ ", app.styles.get(Role::Key)),
        Span::styled(text.clone(), app.styles.get(Role::InputFocus)),
    ]);
    f.render_widget(Paragraph::new(line), input);
    let cur_w: usize = text.chars().take(bar.input.cursor()).map(char_width).sum();
    let cx = input.x + 2 + cur_w as u16;
    if cx < input.x + input.width {
        f.set_cursor_position(Position::new(cx, input.y));
    }
    let l = app.list(bar.list);
    let under = match &l.error {
        Some(e) => {
            let raw = bar.input.text();
            let start = e.span.start.min(raw.len());
            let end = e.span.end.clamp(start, raw.len());
            let pre = raw
                .get(..start)
                .map_or(0, |s| s.chars().map(char_width).sum::<usize>());
            let len = raw
                .get(start..end)
                .map_or(1, |s| s.chars().map(char_width).sum::<usize>())
                .max(1);
            Line::from(vec![
                Span::raw(" ".repeat(2 + pre)),
                Span::styled("^".repeat(len), app.styles.get(Role::Error)),
                Span::styled(format!(" {}", e.message), app.styles.get(Role::Error)),
            ])
        }
        None => {
            let state = if bar.deadline.is_some() || app.computing(bar.list) {
                "…".to_string()
            } else {
                format!("{} matches", count(l.len()))
            };
            Line::from(Span::styled(
                format!("  {state}"),
                app.styles.get(Role::Muted),
            ))
        }
    };
    f.render_widget(Paragraph::new(under), below);
}

fn draw_prompt(f: &mut Frame, area: Rect, app: &App) {
    let Some(p) = &app.prompt else {
        return;
    };
    let [input, below] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let text = crate::text::sanitize(p.input.text()).into_owned();
    let line = Line::from(vec![
        Span::styled("> ", app.styles.get(Role::Key)),
        Span::styled(text.clone(), app.styles.get(Role::InputFocus)),
    ]);
    f.render_widget(Paragraph::new(line), input);
    let cur_w: usize = text.chars().take(p.input.cursor()).map(char_width).sum();
    let cx = input.x + 2 + cur_w as u16;
    if cx < input.x + input.width {
        f.set_cursor_position(Position::new(cx, input.y));
    }
    let under = match &p.error {
        Some(e) => Line::from(Span::styled(
            format!("  {}", crate::text::sanitize(e)),
            app.styles.get(Role::Error),
        )),
        None => Line::from(Span::styled(
            format!(
                "  {} · enter saves, esc cancels",
                crate::text::sanitize(&p.title)
            ),
            app.styles.get(Role::Muted),
        )),
    };
    f.render_widget(Paragraph::new(under), below);
}

fn char_width(c: char) -> usize {
    unicode_width_of(c)
}

fn unicode_width_of(c: char) -> usize {
    Span::raw(c.to_string()).width()
}

fn draw_status(f: &mut Frame, area: Rect, app: &App) {
    let st = app.styles.get(Role::StatusBar);
    let mut spans: Vec<Span> = Vec::new();
    match app.tab.list() {
        Some(k) => {
            let l = app.list(k);
            let total = match k {
                ListKind::Payments => Some(app.ledger().payments().len()),
                ListKind::Invoices => Some(app.ledger().invoices().len()),
                ListKind::Parties => Some(app.ledger().parties().len()),
                ListKind::Reminders => None,
            };
            let noun = match k {
                ListKind::Payments => "payments",
                ListKind::Invoices => "invoices",
                ListKind::Parties => "parties",
                ListKind::Reminders => "to remind",
            };
            let shown = if l.partial {
                // the top rows of a result still being counted
                format!("{}+", count(l.len()))
            } else if l.fresh || !l.is_empty() {
                count(l.len())
            } else {
                "…".into()
            };
            let head = match total {
                Some(t) if !l.filter.is_empty() => format!(" {shown} of {} {noun}", count(t)),
                _ => format!(" {shown} {noun}"),
            };
            spans.push(Span::raw(head));
            if l.partial {
                spans.push(Span::styled(" │ counting…", app.styles.get(Role::Muted)));
            }
            let (a, b) = match k {
                ListKind::Payments => ("in", "out"),
                ListKind::Invoices => ("billed", "open"),
                ListKind::Reminders => ("open", "overdue"),
                ListKind::Parties => ("owed to us", "we owe"),
            };
            let col = k.sort_columns().get(l.sort.column).copied().unwrap_or("");
            let sort = format!(" │ sort {col}{}", if l.sort.desc { '▼' } else { '▲' });
            // Whole totals only: a total cut at the screen edge would read as another amount.
            let width = area.width as usize;
            // The banner at start takes its room first; totals that do not fit are counted.
            let banner_w = app.banner().map_or(0, |b| Span::raw(b.text()).width() + 3);
            let mut used: usize =
                spans.iter().map(|s| s.width()).sum::<usize>() + sort.chars().count() + banner_w;
            let mut left_out = 0;
            for t in &l.result.totals {
                let piece = format!(
                    " │ {} {a} {} {b} {}",
                    t.currency,
                    t.currency.format(t.a),
                    t.currency.format(t.b)
                );
                let n = piece.chars().count();
                if left_out == 0 && used + n + 12 <= width {
                    used += n;
                    spans.push(Span::raw(piece));
                } else {
                    left_out += 1;
                }
            }
            if left_out > 0 {
                spans.push(Span::raw(format!(" │ +{left_out} more")));
            }
            spans.push(Span::raw(sort));
            if !l.filter.is_empty() {
                spans.push(Span::raw(" │ filter: "));
                spans.push(Span::raw(crate::text::sanitize(&l.filter).into_owned()));
            }
        }
        None => {
            let l = app.ledger();
            spans.push(Span::raw(format!(
                " {} parties │ {} invoices │ {} payments",
                count(l.parties().len()),
                count(l.invoices().len()),
                count(l.payments().len())
            )));
            if app.tab == Tab::Filters {
                spans.push(Span::raw(format!(" │ {} saved filters", app.filters.len())));
            }
        }
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    f.render_widget(Paragraph::new(Line::from(spans)).style(st), area);
    if let Some(b) = app.banner() {
        let text = format!("{} ", b.text());
        let w = Span::raw(text.as_str()).width();
        if used + w + 2 <= area.width as usize {
            let r = Rect {
                x: area.x + area.width - w as u16,
                width: w as u16,
                ..area
            };
            let role = if b.due > 0 {
                Role::Warning
            } else {
                Role::Success
            };
            f.render_widget(
                Paragraph::new(text).style(st.patch(app.styles.get(role))),
                r,
            );
        }
    }
}

fn draw_hints(f: &mut Frame, area: Rect, app: &App) {
    let line = if let Some(m) = &app.message {
        let role = match m {
            Message::Info(_) => Role::Text,
            Message::Success(_) => Role::Success,
            Message::Error(_) => Role::Error,
        };
        // Messages can quote data (names, numbers): neutralise them like cells.
        let text = crate::text::sanitize(m.text()).into_owned();
        Line::from(Span::styled(format!(" {text}"), app.styles.get(role)))
    } else if !app.pending_keys.is_empty() {
        Line::from(format!(
            " {} …",
            super::keymap::format_keys(&app.pending_keys)
        ))
    } else {
        let km = &app.keymap;
        use Action as A;
        use Context::{Global as G, List as L};
        let mut hints: Vec<(Context, Action, &str)> = match app.tab {
            Tab::Filters => vec![
                (L, A::Open, "apply"),
                (L, A::Add, "new"),
                (L, A::Edit, "edit"),
                (L, A::Delete, "delete"),
            ],
            Tab::Reports => vec![(L, A::Down, "scroll"), (G, A::AddPayment, "add payment")],
            Tab::Payments if app.matching.is_some() => vec![
                (L, A::Open, "accept"),
                (L, A::SplitFifo, "split FIFO"),
                (L, A::SkipPayment, "skip"),
                (L, A::Down, "next candidate"),
                (L, A::Close, "close"),
                (G, A::Undo, "undo"),
            ],
            Tab::Reminders => vec![
                (L, A::MarkSent, "mark sent"),
                (L, A::Snooze, "snooze"),
                (L, A::OpenReminderInvoices, "invoices"),
                (L, A::EditLadder, "ladder"),
                (L, A::Open, "details"),
                (L, A::Filter, "filter"),
                (G, A::Undo, "undo"),
            ],
            _ => vec![
                (L, A::Filter, "filter"),
                (L, A::Open, "details"),
                (L, A::SortNext, "sort"),
                (L, A::SortReverse, "reverse"),
                (L, A::Add, "add"),
                (L, A::Edit, "edit"),
                (L, A::Delete, "delete"),
                (L, A::SaveFilter, "save filter"),
                (G, A::Undo, "undo"),
            ],
        };
        hints.push((G, A::Help, "help"));
        hints.push((G, A::Quit, "quit"));
        let mut spans = vec![Span::raw(" ")];
        for (ctx, a, label) in hints {
            let Some(keys) = km.keys_for(ctx, a) else {
                continue;
            };
            spans.push(Span::styled(keys, app.styles.get(Role::Key)));
            spans.push(Span::styled(
                format!(" {label}  "),
                app.styles.get(Role::Muted),
            ));
        }
        Line::from(spans)
    };
    f.render_widget(Paragraph::new(line).style(Style::default()), area);
}
