//! The Reports tab: aging per currency and monthly money in and out.

use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::domain::aging::AgingBucket;
use crate::domain::format_date;
use crate::domain::InvoiceKind;
use crate::tui::app::App;
use crate::tui::reports::month_name;
use crate::tui::theme::Role;

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
    let title = format!(" Aging as of {} ", format_date(app.today));
    let block = Block::bordered()
        .title(Line::from(title).style(styles.get(Role::Title)))
        .border_style(styles.get(Role::Border));
    let mut header = vec![Cell::from("Cur"), Cell::from("Kind")];
    for b in AgingBucket::ALL {
        header.push(right(b.as_str().to_string()));
    }
    header.push(right("Total".into()));
    let rows: Vec<Row> = if r.aging.is_empty() {
        vec![Row::new(vec![Cell::from("nothing outstanding")]).style(styles.get(Role::Muted))]
    } else {
        r.aging
            .iter()
            .map(|a| {
                let mut cells = vec![
                    Cell::from(a.currency.as_str().to_string()),
                    Cell::from(match a.kind {
                        InvoiceKind::Receivable => "owed to us",
                        InvoiceKind::Payable => "we owe",
                    }),
                ];
                for (i, v) in a.buckets.iter().enumerate() {
                    let c = right(a.currency.format(*v));
                    cells.push(if i > 0 && !v.is_zero() {
                        c.style(styles.get(Role::Overdue))
                    } else {
                        c
                    });
                }
                cells.push(right(a.currency.format(a.total)));
                Row::new(cells)
            })
            .collect()
    };
    let mut widths = vec![Constraint::Length(3), Constraint::Length(10)];
    widths.extend(std::iter::repeat_n(Constraint::Fill(1), 6));
    let t = Table::new(rows, widths)
        .header(Row::new(header).style(styles.get(Role::Header)))
        .column_spacing(1)
        .block(block);
    f.render_widget(t, top);

    let block = Block::bordered()
        .title(Line::from(" Payments per month (last 12) ").style(styles.get(Role::Title)))
        .border_style(styles.get(Role::Border));
    let mut header = vec![Cell::from("Month")];
    for c in &r.currencies {
        header.push(right(format!("{c} in")));
        header.push(right(format!("{c} out")));
    }
    let scroll = app.report_scroll.min(r.months.len().saturating_sub(1));
    let rows: Vec<Row> = r
        .months
        .iter()
        .skip(scroll)
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
        Constraint::Fill(1),
        r.currencies.len() * 2,
    ));
    let t = Table::new(rows, widths)
        .header(Row::new(header).style(styles.get(Role::Header)))
        .column_spacing(1)
        .block(block);
    f.render_widget(t, bottom);
}
