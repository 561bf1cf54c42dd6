//! The matching queue (from the Payments tab): the unmatched payment on top, its ranked
//! candidate invoices with score and reasons below, and the FIFO split on offer.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::domain::matching::Candidate;
use crate::domain::{format_date, Direction};
use crate::text::sanitize;
use crate::tui::app::App;
use crate::tui::theme::Role;

fn allocations(app: &App, c: &Candidate, cur: crate::domain::Currency) -> String {
    c.allocations
        .iter()
        .map(|a| {
            let n = app.ledger().invoice(a.invoice).map_or_else(
                || format!("#{}", a.invoice),
                |i| sanitize(&i.number).into_owned(),
            );
            format!("{n} {}", cur.format(a.amount))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Draws the queue into `area`.
pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let Some(q) = app.matching.as_ref() else {
        return;
    };
    let muted = app.styles.get(Role::Muted);
    let Some(items) = q.items.as_ref() else {
        f.render_widget(
            Paragraph::new(" finding unmatched payments…").style(muted),
            area,
        );
        return;
    };
    let Some(item) = q.current() else {
        f.render_widget(
            Paragraph::new(" no unmatched payments: every payment is allocated (esc closes)")
                .style(muted),
            area,
        );
        return;
    };
    let l = app.ledger();
    let Some(p) = l.payment(item.payment) else {
        return;
    };
    let [top, body] = Layout::vertical([Constraint::Length(5), Constraint::Fill(1)]).areas(area);
    let head = Block::default().borders(Borders::ALL).title(format!(
        " Matching: payment {} of {} ",
        q.pos + 1,
        items.len()
    ));
    let cur = p.currency;
    let info = vec![
        Line::from(vec![
            Span::styled(
                format!(
                    "{} {} {} {} {}",
                    format_date(p.date),
                    match p.direction {
                        Direction::In => "from",
                        Direction::Out => "to",
                    },
                    sanitize(l.party_name(p.party)),
                    cur.format(p.amount),
                    cur
                ),
                app.styles.get(Role::Header),
            ),
            Span::raw(format!("  ref {}", sanitize(&p.reference))),
        ]),
        Line::from(Span::styled(
            format!("unallocated {} {}", cur.format(item.remainder), cur),
            app.styles.get(Role::Credit),
        )),
        Line::from(Span::styled(
            match &item.fifo {
                Some(c) => format!("FIFO split: {}", allocations(app, c, cur)),
                None => "FIFO split: nothing open for this party and currency".to_string(),
            },
            muted,
        )),
    ];
    f.render_widget(Paragraph::new(info).block(head), top);
    let mut lines = vec![Line::from(Span::styled(
        format!("  {:>5}  {:<40} Reasons", "Score", "Invoices"),
        app.styles.get(Role::Header),
    ))];
    if item.candidates.is_empty() {
        lines.push(Line::from(Span::styled(
            "  no candidates (f splits FIFO, n skips)",
            muted,
        )));
    }
    for (n, c) in item.candidates.iter().enumerate() {
        let sel = n == q.selected;
        let text = format!(
            "{} {:>5}  {:<40} {}",
            if sel { '>' } else { ' ' },
            c.score,
            allocations(app, c, cur),
            c.describe()
        );
        let style = if sel {
            app.styles.get(Role::Selection)
        } else if c.strong() {
            app.styles.get(Role::Text)
        } else {
            muted
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    f.render_widget(Paragraph::new(lines), body);
}
