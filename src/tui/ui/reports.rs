//! The Reports tab: a bar naming the reports, the currency and the as-of date; the chart
//! of the report shown; and a line of the keys that drive it.
//!
//! - Aging: one horizontal bar per bucket with its amount and invoice count; the overdue
//!   buckets are drawn in the `overdue` role, and with a shaded bar when that role has no
//!   colour (NO_COLOR, monochrome themes), so they stay distinct.
//! - Punctuality: a ranking table with on-time rate, average days late, outstanding and a
//!   sparkline of the days late of each customer's last paid invoices.
//! - Trend and cash flow: paired vertical bars (in / out) per month or week, with a value
//!   axis in the currency, the selected period's figures in full below.
//!
//! Amounts are never cut: axis labels are abbreviated (`1.35k`), figures in full. Under
//! each chart, the filter Enter would open is shown.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::bar;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Cell, Paragraph, Row, Sparkline, SparklineBar, Table,
};
use ratatui::Frame;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use time::Date;

use super::fmt::fit_amount;
use crate::domain::aging::AgingBucket;
use crate::domain::{format_date, Currency, InvoiceKind};
use crate::report::aging::{AgingReport, BucketTotal};
use crate::report::customers::CustomerSort;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::{Context, Keymap};
use crate::tui::reports::{
    aging_filter, cashflow_window, month_filter, party_filter, trend_window, Punctuality,
    ReportBody, ReportView, ReportsState, SPARK_INVOICES,
};
use crate::tui::theme::{Role, Styles};

const SPINNER: [char; 4] = ['|', '/', '-', '\\'];

/// Bars of a second series or of overdue figures when their role has no colour: shaded,
/// so they differ from plain bars by shape alone.
pub const SHADED: bar::Set<'static> = bar::Set {
    full: "▒",
    seven_eighths: "▒",
    three_quarters: "▒",
    five_eighths: "▒",
    half: "▒",
    three_eighths: "▒",
    one_quarter: "▒",
    one_eighth: "▒",
    empty: " ",
};

/// Bars of the second series of a paired chart (money out): a shaded body under a solid
/// fractional top, so the two series differ by shape as well as by colour.
pub const SECOND: bar::Set<'static> = bar::Set {
    full: "▒",
    ..bar::NINE_LEVELS
};

/// Whether a style carries no colour (only modifiers, which do not show on block glyphs).
fn colourless(s: Style) -> bool {
    s.fg.is_none() && s.bg.is_none()
}

/// An amount in minor units, for bar lengths (negative amounts as 0).
fn units(c: Currency, d: Decimal) -> u64 {
    let scale = Decimal::from(10u64.pow(c.minor_units()));
    d.max(Decimal::ZERO)
        .checked_mul(scale)
        .and_then(|x| x.trunc().to_u64())
        .unwrap_or(u64::MAX)
}

/// A non-zero value raised to at least one tick of `cells` cells scaled to `max`, so a
/// small figure still shows.
fn visible(v: u64, max: u64, cells: u16) -> u64 {
    if v == 0 {
        return 0;
    }
    let ticks = u64::from(cells.max(1)) * 8;
    v.max(max.div_ceil(ticks))
}

fn month_abbr(m: time::Month) -> &'static str {
    use time::Month::*;
    match m {
        January => "Jan",
        February => "Feb",
        March => "Mar",
        April => "Apr",
        May => "May",
        June => "Jun",
        July => "Jul",
        August => "Aug",
        September => "Sep",
        October => "Oct",
        November => "Nov",
        December => "Dec",
    }
}

/// Draws the Reports tab.
pub fn draw(f: &mut Frame, area: Rect, app: &mut App) {
    let today = app.today;
    let spin = SPINNER[app.spinner % SPINNER.len()];
    let computing = app.report_pending();
    let styles = &app.styles;
    let keymap = &app.keymap;
    let st = &mut app.reports;
    let (head, body, keys) = if area.height >= 8 {
        let [h, b, k] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        (Some(h), b, Some(k))
    } else {
        (None, area, None)
    };
    let shown = st.shown(today).map(|(_, fresh)| fresh);
    let busy = computing || shown == Some(false);
    if let Some(h) = head {
        header(f, h, st, styles, today, busy.then_some(spin));
    }
    if let Some(k) = keys {
        key_line(f, k, st.view, keymap, styles);
    }
    let cur = st.currency();
    let st_view = st.view;
    let Some((data, _)) = st.shown(today) else {
        let msg = if busy || st.awaiting(today) {
            format!(" {spin} computing the {} report…", st_view.title())
        } else {
            " no data".to_string()
        };
        f.render_widget(Paragraph::new(msg).style(styles.get(Role::Muted)), body);
        return;
    };
    let Some(cur) = cur else {
        f.render_widget(
            Paragraph::new(" nothing to report yet: add invoices and payments")
                .style(styles.get(Role::Muted)),
            body,
        );
        return;
    };
    let as_of = data.request.as_of;
    match &data.body {
        ReportBody::Aging(r) => aging(f, body, r, cur, st, styles, today),
        ReportBody::Punctuality(p) => {
            let offset = punctuality(f, body, p, cur, st, styles, as_of, today);
            st.customer_offset = offset;
        }
        ReportBody::Trend(rows) => {
            let months = trend_window(rows, cur, st.months);
            let sel = st.selected().min(months.len().saturating_sub(1));
            let long = |i: usize| {
                let m = &months[i];
                format!("{} {}", month_abbr(m.month), m.year)
            };
            let detail = months.get(sel).map(|m| {
                format!(
                    "{}: in {} {cur} · out {} {cur} · net {} {cur}",
                    long(sel),
                    cur.format(m.incoming),
                    cur.format(m.outgoing),
                    cur.format(m.net)
                )
            });
            let hint = months
                .get(sel)
                .map(|m| month_filter(m.year, m.month, cur, as_of));
            let last = months.last().map(|m| m.month_label()).unwrap_or_default();
            let pair = Pair {
                title: format!(
                    " Payments in and out per month · {cur} · {} months to {last} ",
                    st.months
                ),
                short: months
                    .iter()
                    .map(|m| month_abbr(m.month).to_string())
                    .collect(),
                long: (0..months.len()).map(long).collect(),
                a: months.iter().map(|m| m.incoming).collect(),
                b: months.iter().map(|m| m.outgoing).collect(),
                names: ("in", "out"),
                sel,
                anchor_end: true,
                cur,
                detail: detail.unwrap_or_default(),
                hint: hint.map(|h| ("/ ".to_string(), h)),
            };
            pair_chart(f, body, &pair, styles);
        }
        ReportBody::Cashflow(rows) => {
            let weeks = cashflow_window(rows, cur, st.weeks);
            let sel = st.selected().min(weeks.len().saturating_sub(1));
            let detail = weeks.get(sel).map(|w| {
                format!(
                    "week of {}: expected in {} {cur} · out {} {cur} · net {} {cur}",
                    format_date(w.week_start),
                    cur.format(w.expected_in),
                    cur.format(w.expected_out),
                    cur.format(w.net)
                )
            });
            let first = weeks
                .first()
                .map(|w| format_date(w.week_start))
                .unwrap_or_default();
            let pair = Pair {
                title: format!(
                    " Cash-flow outlook · {cur} · {} weeks from {first} ",
                    st.weeks
                ),
                short: weeks
                    .iter()
                    .map(|w| {
                        format!(
                            "{:02}-{:02}",
                            u8::from(w.week_start.month()),
                            w.week_start.day()
                        )
                    })
                    .collect(),
                long: weeks.iter().map(|w| format_date(w.week_start)).collect(),
                a: weeks.iter().map(|w| w.expected_in).collect(),
                b: weeks.iter().map(|w| w.expected_out).collect(),
                names: ("expected in", "expected out"),
                sel,
                anchor_end: false,
                cur,
                detail: detail.unwrap_or_default(),
                hint: Some((
                    "expected ".to_string(),
                    "in: due date + the customer's average days late · out: due date".to_string(),
                )),
            };
            pair_chart(f, body, &pair, styles);
        }
    }
}

fn header(
    f: &mut Frame,
    area: Rect,
    st: &ReportsState,
    styles: &Styles,
    today: Date,
    spin: Option<char>,
) {
    let mut spans = vec![Span::raw(" ")];
    for v in ReportView::ALL {
        let role = if v == st.view {
            Role::TabActive
        } else {
            Role::TabInactive
        };
        spans.push(Span::styled(format!(" {} ", v.title()), styles.get(role)));
        spans.push(Span::raw(" "));
    }
    let muted = styles.get(Role::Muted);
    if let Some(c) = st.currency() {
        spans.push(Span::styled("│ ", muted));
        spans.push(Span::styled(c.to_string(), styles.get(Role::Header)));
        spans.push(Span::raw(" "));
    }
    let as_of = st.as_of(today);
    spans.push(Span::styled("│ as of ", muted));
    let date_role = if as_of == today {
        Role::Text
    } else {
        Role::Warning
    };
    spans.push(Span::styled(format_date(as_of), styles.get(date_role)));
    if let Some(s) = spin {
        spans.push(Span::styled(
            format!("  {s} computing"),
            styles.get(Role::Warning),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn key_name(k: &str) -> String {
    match k {
        "left" => "←".into(),
        "right" => "→".into(),
        "up" => "↑".into(),
        "down" => "↓".into(),
        other => other.to_string(),
    }
}

fn key_line(f: &mut Frame, area: Rect, view: ReportView, km: &Keymap, styles: &Styles) {
    use Action as A;
    let mut items: Vec<(Vec<Action>, &str)> = vec![
        (vec![A::PrevReport, A::NextReport], "report"),
        (vec![A::NextCurrency], "currency"),
        (vec![A::AsOfEarlier, A::AsOfLater], "as of"),
        (vec![A::AsOfToday], "today"),
    ];
    match view {
        ReportView::Aging => {
            items.push((vec![A::ToggleKind], "rec/pay"));
            items.push((vec![A::Open], "invoices"));
        }
        ReportView::Punctuality => {
            items.push((vec![A::SortNext], "sort"));
            items.push((vec![A::Open], "invoices"));
        }
        ReportView::Trend => {
            items.push((vec![A::Left, A::Right], "month"));
            items.push((vec![A::NextPeriod], "period"));
            items.push((vec![A::Open], "payments"));
        }
        ReportView::Cashflow => {
            items.push((vec![A::Left, A::Right], "week"));
            items.push((vec![A::NextPeriod], "period"));
        }
    }
    let mut spans = vec![Span::raw(" ")];
    for (actions, label) in items {
        let keys: Vec<String> = actions
            .iter()
            .filter_map(|a| km.keys_for(Context::List, *a))
            .map(|k| key_name(&k))
            .collect();
        if keys.len() != actions.len() {
            continue;
        }
        spans.push(Span::styled(keys.join("/"), styles.get(Role::Key)));
        spans.push(Span::styled(format!(" {label}  "), styles.get(Role::Muted)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn titled_block<'a>(title: String, styles: &Styles) -> Block<'a> {
    Block::bordered()
        .title(Line::from(title).style(styles.get(Role::Title)))
        .border_style(styles.get(Role::Border))
}

/// A line `label: text` for the bottom of a chart: the filter Enter opens, or a note.
fn hint_line(label: &str, text: &str, styles: &Styles) -> Line<'static> {
    Line::from(vec![
        Span::styled(label.to_string(), styles.get(Role::Key)),
        Span::styled(
            crate::text::sanitize(text).into_owned(),
            styles.get(Role::Muted),
        ),
    ])
}

fn put(f: &mut Frame, x: u16, y: u16, w: u16, line: Line<'_>) {
    if w == 0 {
        return;
    }
    f.render_widget(Paragraph::new(line), Rect::new(x, y, w, 1));
}

fn aging(
    f: &mut Frame,
    area: Rect,
    r: &AgingReport,
    cur: Currency,
    st: &ReportsState,
    styles: &Styles,
    today: Date,
) {
    let what = match r.kind {
        InvoiceKind::Receivable => "receivables",
        InvoiceKind::Payable => "payables",
    };
    let block = titled_block(
        format!(" Aging as of {} · {what} · {cur} ", format_date(r.as_of)),
        styles,
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 || inner.width < 20 {
        return;
    }
    let a = r.currency(cur);
    let buckets: [BucketTotal; 5] = a.map(|a| a.buckets).unwrap_or_default();
    let (total, count) = a.map_or((Decimal::ZERO, 0), |a| (a.total, a.count));
    let money = |d: Decimal| format!("{} {cur}", cur.format(d));
    let amt_w = buckets
        .iter()
        .map(|b| money(b.amount).chars().count())
        .chain([money(total).chars().count(), 6])
        .max()
        .unwrap_or(6) as u16;
    let cnt_w = 8u16;
    let label_w = 11u16;
    let bar_w = inner.width.saturating_sub(label_w + amt_w + cnt_w + 2);
    let bar_x = inner.x + label_w;
    let amt_x = bar_x + bar_w + 1;
    let cnt_x = amt_x + amt_w + 1;
    let header_style = styles.get(Role::Header);
    let bottom = inner.y + inner.height;
    // header
    put(
        f,
        inner.x,
        inner.y,
        label_w,
        Line::from(Span::styled("  past due", header_style)),
    );
    put(
        f,
        bar_x,
        inner.y,
        bar_w,
        Line::from(Span::styled(format!("outstanding, {cur}"), header_style)),
    );
    put(
        f,
        amt_x,
        inner.y,
        amt_w,
        Line::from(Span::styled("amount", header_style)).right_aligned(),
    );
    put(
        f,
        cnt_x,
        inner.y,
        cnt_w,
        Line::from(Span::styled("invoices", header_style)).right_aligned(),
    );
    let rows_avail = inner.height.saturating_sub(4);
    let pitch = (rows_avail / 5).clamp(1, 4);
    let bar_h = if pitch >= 2 { pitch - 1 } else { 1 };
    let max = buckets
        .iter()
        .map(|b| units(cur, b.amount))
        .max()
        .unwrap_or(0);
    let mut y = inner.y + 1;
    for (i, b) in AgingBucket::ALL.iter().enumerate() {
        if y + bar_h > bottom {
            break;
        }
        let t = buckets[i];
        let overdue = *b != AgingBucket::Current;
        let selected = st.bucket == i;
        let mid = y + (bar_h - 1) / 2;
        let label = format!(
            "{}{} {}",
            if selected { ">" } else { " " },
            if overdue { "!" } else { " " },
            b.as_str()
        );
        let label_style = if selected {
            styles.get(Role::Selection)
        } else if overdue && !t.amount.is_zero() {
            styles.get(Role::Overdue)
        } else {
            styles.get(Role::Text)
        };
        put(
            f,
            inner.x,
            mid,
            label_w - 1,
            Line::from(Span::styled(label, label_style)),
        );
        let bar_style = if overdue {
            styles.get(Role::Overdue)
        } else {
            styles.get(Role::Text)
        };
        let set = if overdue && colourless(bar_style) {
            SHADED
        } else {
            bar::NINE_LEVELS
        };
        if bar_w > 0 && max > 0 {
            let v = visible(units(cur, t.amount), max, bar_w);
            let chart = BarChart::horizontal(vec![Bar::new(v).text_value(String::new())])
                .bar_width(bar_h)
                .bar_gap(0)
                .max(max)
                .bar_set(set)
                .bar_style(bar_style);
            f.render_widget(chart, Rect::new(bar_x, y, bar_w, bar_h));
        }
        let fig_style = if overdue && !t.amount.is_zero() {
            styles.get(Role::Overdue)
        } else {
            styles.get(Role::Text)
        };
        put(
            f,
            amt_x,
            mid,
            amt_w,
            Line::from(Span::styled(money(t.amount), fig_style)).right_aligned(),
        );
        put(
            f,
            cnt_x,
            mid,
            cnt_w,
            Line::from(Span::styled(t.count.to_string(), fig_style)).right_aligned(),
        );
        y += pitch;
    }
    let muted = styles.get(Role::Muted);
    // value axis under the bars
    if y < bottom && bar_w >= 12 && max > 0 {
        let top = buckets.iter().map(|b| b.amount).max().unwrap_or_default();
        let end = format!("{} {cur}", fit_amount(cur, top, 12));
        let gap = (bar_w as usize).saturating_sub(end.chars().count() + 1);
        put(
            f,
            bar_x,
            y,
            bar_w,
            Line::from(Span::styled(format!("0{}{end}", " ".repeat(gap)), muted)),
        );
        y += 1;
    }
    if y < bottom {
        put(
            f,
            inner.x,
            y,
            label_w,
            Line::from(Span::styled("   total", header_style)),
        );
        put(
            f,
            amt_x,
            y,
            amt_w,
            Line::from(Span::styled(money(total), header_style)).right_aligned(),
        );
        put(
            f,
            cnt_x,
            y,
            cnt_w,
            Line::from(Span::styled(count.to_string(), header_style)).right_aligned(),
        );
        y += 1;
    }
    if y < bottom {
        let b = AgingBucket::ALL[st.bucket.min(4)];
        let q = aging_filter(b, r.kind, cur, r.as_of, today);
        put(
            f,
            inner.x,
            bottom - 1,
            inner.width,
            hint_line("/ ", &q, styles),
        );
    }
}

fn sort_label(s: CustomerSort) -> &'static str {
    match s {
        CustomerSort::Party => "name",
        CustomerSort::OnTimeRate => "on-time rate",
        CustomerSort::AvgDaysLate => "days late",
        CustomerSort::Outstanding => "outstanding",
    }
}

/// Sparkline level 1-8: 1 for on time, 2-8 growing with the days late up to `cap`.
fn spark_level(days: i64, cap: i64) -> u64 {
    if days <= 0 {
        return 1;
    }
    let cap = cap.max(1);
    2 + (days.min(cap) * 6 / cap) as u64
}

#[allow(clippy::too_many_arguments)]
fn punctuality(
    f: &mut Frame,
    area: Rect,
    p: &Punctuality,
    cur: Currency,
    st: &ReportsState,
    styles: &Styles,
    as_of: Date,
    today: Date,
) -> usize {
    let block = titled_block(
        format!(
            " Punctuality as of {} · {cur} · by {} ",
            format_date(as_of),
            sort_label(st.sort)
        ),
        styles,
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows: Vec<_> = ReportsState::customer_rows(p, cur).collect();
    if rows.is_empty() {
        f.render_widget(
            Paragraph::new(format!(
                " no customers with receivables or payments in {cur}"
            ))
            .style(styles.get(Role::Muted)),
            inner,
        );
        return 0;
    }
    if inner.height < 3 || inner.width < 30 {
        return st.customer_offset;
    }
    let pct = |r: Option<Decimal>| {
        r.map_or("-".to_string(), |x| {
            format!(
                "{}%",
                crate::domain::format_amount(x * Decimal::from(100), 1)
            )
        })
    };
    let days = |d: Option<Decimal>| {
        d.map_or("-".to_string(), |x| {
            format!("{} d", crate::domain::format_amount(x, 1))
        })
    };
    let owed_head = format!("Owed {cur}");
    let owed_w = rows
        .iter()
        .map(|(r, _)| cur.format(r.outstanding).chars().count())
        .chain([owed_head.chars().count()])
        .max()
        .unwrap_or(8)
        .min(14) as u16;
    let paid_w = rows
        .iter()
        .map(|(r, _)| r.invoices_paid.to_string().len())
        .chain([4])
        .max()
        .unwrap_or(4) as u16;
    let spark_head = format!("Days late, last {SPARK_INVOICES}");
    let with_dso = inner.width >= 110;
    let mut spark_w = SPARK_INVOICES as u16;
    let fixed =
        |spark_w: u16| 2 + 7 + paid_w + 8 + owed_w + spark_w + if with_dso { 8 } else { 0 } + 6;
    while inner.width < fixed(spark_w) + 10 && spark_w > 8 {
        spark_w -= 1;
    }
    let name_w = inner.width.saturating_sub(fixed(spark_w)).max(4);
    let mut widths = vec![
        Constraint::Length(2),
        Constraint::Length(name_w),
        Constraint::Length(7),
        Constraint::Length(paid_w),
        Constraint::Length(8),
        Constraint::Length(owed_w),
    ];
    let mut header: Vec<Cell<'_>> = vec![
        Cell::from(""),
        Cell::from("Customer"),
        Cell::from(Line::from("On time").right_aligned()),
        Cell::from(Line::from("Paid").right_aligned()),
        Cell::from(Line::from("Avg late").right_aligned()),
        Cell::from(Line::from(owed_head).right_aligned()),
    ];
    if with_dso {
        widths.push(Constraint::Length(7));
        header.push(Cell::from(Line::from("DSO").right_aligned()));
    }
    widths.push(Constraint::Length(spark_w));
    header.push(Cell::from(spark_head));
    // scroll
    let vis = inner.height.saturating_sub(2).max(1) as usize;
    let sel = st.customer.min(rows.len() - 1);
    let mut off = st.customer_offset;
    if sel < off {
        off = sel;
    }
    if sel >= off + vis {
        off = sel + 1 - vis;
    }
    let off = off.min(rows.len().saturating_sub(vis));
    let cap = rows
        .iter()
        .flat_map(|(_, s)| s.iter().copied())
        .max()
        .unwrap_or(0);
    let overdue = styles.get(Role::Overdue);
    let body: Vec<Row> = rows
        .iter()
        .enumerate()
        .skip(off)
        .take(vis)
        .map(|(i, (r, s))| {
            let late = r.avg_days_late.is_some_and(|d| d > Decimal::ZERO);
            let late_style = if late { overdue } else { Style::default() };
            let mut cells = vec![
                Cell::from(if i == sel { ">" } else { " " }),
                Cell::from(crate::text::sanitize(&r.party_name).into_owned()),
                Cell::from(Line::from(pct(r.on_time_rate)).right_aligned()),
                Cell::from(Line::from(r.invoices_paid.to_string()).right_aligned()),
                Cell::from(Line::from(days(r.avg_days_late)).right_aligned()).style(late_style),
                Cell::from(
                    Line::from(fit_amount(cur, r.outstanding, owed_w as usize)).right_aligned(),
                ),
            ];
            if with_dso {
                cells.push(Cell::from(Line::from(days(r.dso)).right_aligned()));
            }
            cells.push(if s.is_empty() {
                Cell::from(Span::styled("none paid", styles.get(Role::Muted)))
            } else {
                Cell::from("")
            });
            let row = Row::new(cells);
            if i == sel {
                row.style(styles.get(Role::Selection))
            } else {
                row
            }
        })
        .collect();
    let table_area = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    f.render_widget(
        Table::new(body, widths.clone())
            .header(Row::new(header).style(styles.get(Role::Header)))
            .column_spacing(1),
        table_area,
    );
    // sparklines in the last column
    let spark_x = inner.x
        + widths
            .iter()
            .take(widths.len() - 1)
            .map(|c| match c {
                Constraint::Length(w) => *w + 1,
                _ => 1,
            })
            .sum::<u16>();
    let paid = styles.get(Role::Paid);
    for (j, (_, s)) in rows.iter().skip(off).take(vis).enumerate() {
        if s.is_empty() {
            continue;
        }
        let tail = &s[s.len().saturating_sub(spark_w as usize)..];
        let bars: Vec<SparklineBar> = tail
            .iter()
            .map(|d| {
                SparklineBar::from(spark_level(*d, cap)).style(Some(if *d > 0 {
                    overdue
                } else {
                    paid
                }))
            })
            .collect();
        let y = inner.y + 1 + j as u16;
        if spark_x + spark_w <= inner.x + inner.width {
            f.render_widget(
                Sparkline::default().data(bars).max(8),
                Rect::new(spark_x, y, spark_w, 1),
            );
        }
    }
    if let Some((r, _)) = rows.get(sel) {
        let q = party_filter(&r.party_name, cur, as_of, today);
        put(
            f,
            inner.x,
            inner.y + inner.height - 1,
            inner.width,
            hint_line("/ ", &q, styles),
        );
    }
    off
}

/// Two series of bars per period (in and out), with the selected period in full.
struct Pair {
    title: String,
    short: Vec<String>,
    long: Vec<String>,
    a: Vec<Decimal>,
    b: Vec<Decimal>,
    names: (&'static str, &'static str),
    sel: usize,
    /// Labels are spaced from the last period (months) rather than the first (weeks).
    anchor_end: bool,
    cur: Currency,
    detail: String,
    hint: Option<(String, String)>,
}

fn pair_chart(f: &mut Frame, area: Rect, p: &Pair, styles: &Styles) {
    let block = titled_block(p.title.clone(), styles);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let n = p.a.len().min(p.b.len());
    if inner.height < 5 || inner.width < 20 || n == 0 {
        return;
    }
    let cur = p.cur;
    let a_style = styles.get(Role::Paid);
    let b_style = styles.get(Role::Partial);
    let muted = styles.get(Role::Muted);
    let with_hint = p.hint.is_some() && inner.height >= 8;
    let extra = 4 + u16::from(with_hint);
    let [legend, chart, marker, labels, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(inner.height.saturating_sub(extra)),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    // legend: the unit of the axis and the two series
    let full = bar::NINE_LEVELS.full;
    put(
        f,
        legend.x,
        legend.y,
        legend.width,
        Line::from(vec![
            Span::styled(cur.to_string(), styles.get(Role::Header)),
            Span::raw("   "),
            Span::styled(full, a_style),
            Span::raw(format!(" {}   ", p.names.0)),
            Span::styled(SECOND.full, b_style),
            Span::raw(format!(" {}", p.names.1)),
        ]),
    );
    let max_dec =
        p.a.iter()
            .chain(p.b.iter())
            .copied()
            .max()
            .unwrap_or_default();
    let max = units(cur, max_dec);
    // value axis
    let top = fit_amount(cur, max_dec, 7);
    let half = fit_amount(cur, max_dec / Decimal::from(2), 7);
    let axis_w = top.chars().count().max(half.chars().count()).max(1) as u16;
    let h = chart.height;
    for row in 0..h {
        let label = if row == 0 && max > 0 {
            top.clone()
        } else if row == h / 2 && h >= 5 && max > 0 {
            half.clone()
        } else if row + 1 == h {
            "0".to_string()
        } else {
            String::new()
        };
        let tick = if label.is_empty() { "│" } else { "┤" };
        put(
            f,
            chart.x,
            chart.y + row,
            axis_w + 1,
            Line::from(Span::styled(
                format!("{label:>w$}{tick}", w = axis_w as usize),
                muted,
            )),
        );
    }
    let region = Rect {
        x: chart.x + axis_w + 1,
        width: chart.width.saturating_sub(axis_w + 1),
        ..chart
    };
    let nv = n.min((region.width / 3) as usize).max(1);
    let stride = (region.width / nv as u16).clamp(3, 16);
    let start = if p.sel >= nv { p.sel + 1 - nv } else { 0 }.min(n - nv);
    let bar_w = ((stride - 1) / 2).clamp(1, 4);
    let pad = region.width.saturating_sub(stride * nv as u16) / 2;
    let first_x = region.x + pad + (stride - 2 * bar_w) / 2;
    let series = |v: &[Decimal], style: Style, set: bar::Set<'static>, x: u16| {
        let bars: Vec<Bar> = v[start..start + nv]
            .iter()
            .map(|d| Bar::new(visible(units(cur, *d), max, h)).text_value(String::new()))
            .collect();
        let c = BarChart::default()
            .data(BarGroup::new(bars))
            .bar_width(bar_w)
            .bar_gap(stride - bar_w)
            .max(max.max(1))
            .bar_style(style)
            .bar_set(set);
        let right = region.x + region.width;
        (c, Rect::new(x, chart.y, right.saturating_sub(x), h))
    };
    if max > 0 {
        let (c, r) = series(&p.a, a_style, bar::NINE_LEVELS, first_x);
        f.render_widget(c, r);
        let (c, r) = series(&p.b, b_style, SECOND, first_x + bar_w);
        f.render_widget(c, r);
    }
    // selection marker and period labels
    let pair_x = |i: usize| first_x + (i - start) as u16 * stride;
    if (start..start + nv).contains(&p.sel) {
        let cx = pair_x(p.sel) + (2 * bar_w - 1) / 2;
        put(
            f,
            cx,
            marker.y,
            1,
            Line::from(Span::styled("▲", styles.get(Role::Key))),
        );
    }
    let use_long = p.long.iter().all(|l| l.chars().count() < stride as usize);
    let texts = if use_long { &p.long } else { &p.short };
    let lw = texts.iter().map(|t| t.chars().count()).max().unwrap_or(1) as u16;
    let every = (lw + 1).div_ceil(stride).max(1) as usize;
    let right = region.x + region.width;
    for (i, text) in texts.iter().enumerate().skip(start).take(nv) {
        let k = if p.anchor_end { n - 1 - i } else { i };
        if k % every != 0 {
            continue;
        }
        let cx = pair_x(i) + bar_w;
        let x = cx.saturating_sub(lw / 2).max(region.x);
        if x + lw > right {
            continue;
        }
        let style = if i == p.sel {
            styles.get(Role::Selection)
        } else {
            muted
        };
        put(
            f,
            x,
            labels.y,
            lw,
            Line::from(Span::styled(text.clone(), style)),
        );
    }
    put(
        f,
        detail.x,
        detail.y,
        detail.width,
        Line::from(Span::styled(p.detail.clone(), styles.get(Role::Text))),
    );
    if let (true, Some((label, text))) = (with_hint, &p.hint) {
        put(
            f,
            inner.x,
            inner.y + inner.height - 1,
            inner.width,
            hint_line(label, text, styles),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_levels_grow_with_lateness() {
        assert_eq!(spark_level(0, 30), 1);
        assert_eq!(spark_level(1, 30), 2);
        assert_eq!(spark_level(30, 30), 8);
        assert_eq!(spark_level(90, 30), 8);
        assert_eq!(spark_level(5, 0), 8);
    }

    #[test]
    fn bar_units_are_minor_units() {
        assert_eq!(units(Currency::EUR, Decimal::new(12345, 2)), 12345);
        assert_eq!(units(Currency::JPY, Decimal::from(120000)), 120000);
        assert_eq!(units(Currency::EUR, Decimal::from(-5)), 0);
        assert_eq!(visible(1, 1000, 10), 13);
        assert_eq!(visible(0, 1000, 10), 0);
    }
}
