//! The Reports tab: aging per currency and monthly money in and out. Column widths are
//! computed from the figures so no amount is ever cut; when they do not fit, the monthly
//! table switches to one row per month and currency, and amounts are abbreviated.

use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::fmt::fit_amount;
use crate::domain::aging::AgingBucket;
use crate::domain::format_date;
use crate::domain::InvoiceKind;
use crate::tui::app::App;
use crate::tui::reports::{month_name, ReportData};
use crate::tui::theme::{Role, Styles};

fn right(s: String) -> Cell<'static> {
    Cell::from(Line::from(s).alignment(Alignment::Right))
}

/// Draws the reports.
pub fn draw(f: &mut Frame, area: Rect, app: &mut App) {
    let styles = &app.styles;
    let Some(r) = &app.report else {
        let msg = if app.report_pending() {
            "computing reports…"
        } else {
            "no data"
        };
        f.render_widget(Paragraph::new(msg).style(styles.get(Role::Muted)), area);
        return;
    };
    let aging_h = (r.aging.len().max(1) as u16 + 3).min(area.height / 2 + 1);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(aging_h), Constraint::Fill(1)]).areas(area);
    aging(f, top, r, styles, app.today);
    app.report_scroll = monthly(f, bottom, r, styles, app.report_scroll);
}

fn aging(f: &mut Frame, area: Rect, r: &ReportData, styles: &Styles, today: time::Date) {
    let block = Block::bordered()
        .title(
            Line::from(format!(" Aging as of {} ", format_date(today)))
                .style(styles.get(Role::Title)),
        )
        .border_style(styles.get(Role::Border));
    let inner = area.width.saturating_sub(2) as usize;
    let need = r
        .aging
        .iter()
        .flat_map(|a| {
            a.buckets
                .iter()
                .chain(std::iter::once(&a.total))
                .map(move |v| a.currency.format(*v).len())
        })
        .max()
        .unwrap_or(0)
        .max(7);
    let mut kind_w = 10;
    let mut w = need;
    if 3 + kind_w + 6 * w + 7 > inner {
        kind_w = 3;
    }
    if 3 + kind_w + 6 * w + 7 > inner {
        w = inner.saturating_sub(3 + kind_w + 7) / 6;
    }
    let mut header = vec![
        Cell::from("Cur"),
        Cell::from(if kind_w >= 10 { "Kind" } else { "R/P" }),
    ];
    for b in AgingBucket::ALL {
        header.push(right(b.as_str().to_string()));
    }
    header.push(right("Total".into()));
    let rows: Vec<Row> = if r.aging.is_empty() {
        vec![
            Row::new(vec![Cell::from(""), Cell::from("nothing outstanding")])
                .style(styles.get(Role::Muted)),
        ]
    } else {
        r.aging
            .iter()
            .map(|a| {
                let kind = match (a.kind, kind_w >= 10) {
                    (InvoiceKind::Receivable, true) => "owed to us",
                    (InvoiceKind::Payable, true) => "we owe",
                    (InvoiceKind::Receivable, false) => "rec",
                    (InvoiceKind::Payable, false) => "pay",
                };
                let mut cells = vec![
                    Cell::from(a.currency.as_str().to_string()),
                    Cell::from(kind),
                ];
                for (i, v) in a.buckets.iter().enumerate() {
                    let c = right(fit_amount(a.currency, *v, w));
                    cells.push(if i > 0 && !v.is_zero() {
                        c.style(styles.get(Role::Overdue))
                    } else {
                        c
                    });
                }
                cells.push(right(fit_amount(a.currency, a.total, w)));
                Row::new(cells)
            })
            .collect()
    };
    let mut widths = vec![Constraint::Length(3), Constraint::Length(kind_w as u16)];
    widths.extend(std::iter::repeat_n(Constraint::Length(w as u16), 6));
    let t = Table::new(rows, widths)
        .header(Row::new(header).style(styles.get(Role::Header)))
        .column_spacing(1)
        .block(block);
    f.render_widget(t, area);
}

/// Draws the monthly table; returns the scroll position actually used.
fn monthly(f: &mut Frame, area: Rect, r: &ReportData, styles: &Styles, scroll: usize) -> usize {
    let block = Block::bordered()
        .title(Line::from(" Payments per month (last 12) ").style(styles.get(Role::Title)))
        .border_style(styles.get(Role::Border));
    let inner = area.width.saturating_sub(2) as usize;
    let need = r
        .monthly
        .iter()
        .flat_map(|m| {
            [
                m.currency.format(m.incoming).len(),
                m.currency.format(m.outgoing).len(),
            ]
        })
        .max()
        .unwrap_or(0)
        .max(7);
    let ncur = r.currencies.len().max(1);
    let wide = 8 + ncur * 2 * (need + 1) <= inner;
    let (header, rows, widths): (Vec<Cell>, Vec<Row>, Vec<Constraint>) = if wide {
        let mut header = vec![Cell::from("Month")];
        for c in &r.currencies {
            header.push(right(format!("{c} in")));
            header.push(right(format!("{c} out")));
        }
        let rows = r
            .months
            .iter()
            .map(|(y, m)| {
                let mut cells = vec![Cell::from(format!("{} {y}", month_name(*m)))];
                for c in &r.currencies {
                    let (i, o) = r.month(*y, *m, *c);
                    cells.push(right(c.format(i)));
                    cells.push(right(c.format(o)));
                }
                Row::new(cells)
            })
            .collect();
        let mut widths = vec![Constraint::Length(8)];
        widths.extend(std::iter::repeat_n(
            Constraint::Length(need as u16),
            r.currencies.len() * 2,
        ));
        (header, rows, widths)
    } else {
        let w = need.min(inner.saturating_sub(8 + 3 + 3) / 2);
        let header = vec![
            Cell::from("Month"),
            Cell::from("Cur"),
            right("In".into()),
            right("Out".into()),
        ];
        let rows = r
            .monthly
            .iter()
            .map(|m| {
                Row::new(vec![
                    Cell::from(format!("{} {}", month_name(m.month), m.year)),
                    Cell::from(m.currency.as_str().to_string()),
                    right(fit_amount(m.currency, m.incoming, w)),
                    right(fit_amount(m.currency, m.outgoing, w)),
                ])
            })
            .collect();
        let widths = vec![
            Constraint::Length(8),
            Constraint::Length(3),
            Constraint::Length(w as u16),
            Constraint::Length(w as u16),
        ];
        (header, rows, widths)
    };
    let rows: Vec<Row> = rows;
    let visible = area.height.saturating_sub(3) as usize;
    let scroll = scroll.min(rows.len().saturating_sub(visible.max(1)));
    let rows: Vec<Row> = rows.into_iter().skip(scroll).collect();
    let t = Table::new(rows, widths)
        .header(Row::new(header).style(styles.get(Role::Header)))
        .column_spacing(1)
        .block(block);
    f.render_widget(t, area);
    scroll
}
