//! Detail panes: a payment with its allocations, an invoice with its payment history
//! and outstanding, a party with balance, credit and open invoices.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::fmt::per_currency;
use super::marks;
use crate::domain::{format_date, Direction, InvoiceKind};
use crate::text::sanitize;
use crate::tui::app::DrawCtx;
use crate::tui::theme::Role;
use crate::tui::views::PartyStats;

fn kv(k: &str, v: String) -> Line<'static> {
    Line::from(vec![Span::raw(format!("{k:<12}")), Span::raw(v)])
}

fn styled(ctx: &DrawCtx, role: Option<Role>, s: String) -> Span<'static> {
    Span::styled(s, role.map_or(Style::default(), |r| ctx.styles.get(r)))
}

/// Lines describing the payment at ledger position `pos`.
pub fn payment(ctx: &DrawCtx, pos: usize) -> Vec<Line<'static>> {
    let l = ctx.ledger;
    let Some(p) = l.payments().get(pos) else {
        return vec![];
    };
    let (marker, role) = marks::payment(l, p, &ctx.rules);
    let mut out = vec![
        Line::from(styled(
            ctx,
            role,
            format!(
                "{marker} {} {} {} {}",
                match p.direction {
                    Direction::In => "from",
                    Direction::Out => "to",
                },
                sanitize(l.party_name(p.party)),
                p.currency.format(p.amount),
                p.currency
            ),
        )),
        kv("Date", format_date(p.date)),
        kv("Method", p.method.as_str().to_string()),
        kv("Reference", sanitize(&p.reference).into_owned()),
    ];
    if !p.notes.is_empty() {
        out.push(kv("Notes", sanitize(&p.notes).into_owned()));
    }
    out.push(Line::from(""));
    if p.allocations.is_empty() {
        out.push(Line::from(styled(
            ctx,
            Some(Role::Credit),
            "+ not allocated: all of it is credit".into(),
        )));
    } else {
        out.push(Line::from(Span::styled(
            "Allocations",
            ctx.styles.get(Role::Header),
        )));
    }
    for a in &p.allocations {
        let Some(inv) = l.invoice(a.invoice) else {
            out.push(Line::from(format!(
                "  #{}  {}",
                a.invoice,
                p.currency.format(a.amount)
            )));
            continue;
        };
        let s = l.settlement(inv, &ctx.rules);
        let late = l.days_late(inv, ctx.rules.as_of).filter(|d| *d > 0);
        let (m, r) = if marks::invoice_late(l, inv, &ctx.rules) {
            ('!', Some(Role::Overdue))
        } else {
            marks::invoice_status(s.status())
        };
        let note = match late {
            Some(d) => format!("paid {d}d late"),
            None => s.status().as_str().to_string(),
        };
        out.push(Line::from(styled(
            ctx,
            r,
            format!(
                "{m} {:<14} {:>10} {} {note}",
                sanitize(&inv.number),
                p.currency.format(a.amount),
                format_date(inv.due_date)
            ),
        )));
    }
    let credit = p.unallocated();
    if !credit.is_zero() && !p.allocations.is_empty() {
        out.push(Line::from(styled(
            ctx,
            Some(Role::Credit),
            format!(
                "+ credit (unallocated) {} {}",
                p.currency.format(credit),
                p.currency
            ),
        )));
    }
    out
}

/// Lines describing the invoice at ledger position `pos`.
pub fn invoice(ctx: &DrawCtx, pos: usize) -> Vec<Line<'static>> {
    let l = ctx.ledger;
    let Some(i) = l.invoices().get(pos) else {
        return vec![];
    };
    let s = l.settlement(i, &ctx.rules);
    let (marker, role) = marks::invoice_status(s.status());
    let mut out = vec![
        Line::from(styled(
            ctx,
            role,
            format!("{marker} {} {}", sanitize(&i.number), s.status()),
        )),
        kv("Party", sanitize(l.party_name(i.party)).into_owned()),
        kv(
            "Kind",
            match i.kind {
                InvoiceKind::Receivable => "receivable (owed to us)",
                InvoiceKind::Payable => "payable (we owe)",
            }
            .to_string(),
        ),
        kv("Issued", format_date(i.issue_date)),
        kv("Due", format_date(i.due_date)),
        kv(
            "Amount",
            format!("{} {}", i.currency.format(i.amount), i.currency),
        ),
        Line::from(vec![
            Span::raw(format!("{:<12}", "Outstanding")),
            styled(
                ctx,
                role.filter(|_| !s.outstanding.is_zero()),
                format!("{} {}", i.currency.format(s.outstanding), i.currency),
            ),
        ]),
    ];
    if !s.overpaid.is_zero() {
        out.push(Line::from(styled(
            ctx,
            Some(Role::Credit),
            format!(
                "+ overpaid {} {} (credit)",
                i.currency.format(s.overpaid),
                i.currency
            ),
        )));
    }
    if let Some(d) = l.days_late(i, ctx.rules.as_of) {
        let text = if d > 0 {
            format!("! paid {d} days late")
        } else {
            "= paid on time".to_string()
        };
        out.push(Line::from(styled(
            ctx,
            Some(if d > 0 { Role::Overdue } else { Role::Paid }),
            text,
        )));
    } else if s.overdue {
        let days = (ctx.today - i.due_date).whole_days();
        out.push(Line::from(styled(
            ctx,
            Some(Role::Overdue),
            format!("! {days} days overdue"),
        )));
    }
    if !i.notes.is_empty() {
        out.push(kv("Notes", sanitize(&i.notes).into_owned()));
    }
    out.extend(follow_up(ctx, i));
    out.push(Line::from(""));
    let history = l.allocations_to(i.id);
    if history.is_empty() {
        out.push(Line::from(Span::styled(
            "No payments yet",
            ctx.styles.get(Role::Muted),
        )));
    } else {
        out.push(Line::from(Span::styled(
            "Payment history",
            ctx.styles.get(Role::Header),
        )));
    }
    let mut running = rust_decimal::Decimal::ZERO;
    for a in history {
        running += a.amount;
        let r = l
            .payment(a.payment)
            .map(|p| sanitize(&p.reference).into_owned())
            .unwrap_or_default();
        let late = a.date > i.due_date;
        out.push(Line::from(styled(
            ctx,
            late.then_some(Role::Overdue),
            format!(
                "{} {} {:>12}  {:<14} paid {}",
                if late { '!' } else { ' ' },
                format_date(a.date),
                i.currency.format(a.amount),
                r,
                i.currency.format(running)
            ),
        )));
    }
    out
}

/// Lines describing a party at ledger position `pos`.
pub fn party(ctx: &DrawCtx, pos: usize, stats: Option<&PartyStats>) -> Vec<Line<'static>> {
    let l = ctx.ledger;
    let Some(p) = l.parties().get(pos) else {
        return vec![];
    };
    let (marker, role) = marks::party(stats);
    let mut out = vec![
        Line::from(styled(ctx, role, format!("{marker} {}", sanitize(&p.name)))),
        kv("Role", p.role.as_str().to_string()),
        kv("Email", sanitize(&p.email).into_owned()),
        kv(
            "Terms",
            p.terms_days
                .map_or("default (30 days)".into(), |d| format!("{d} days")),
        ),
    ];
    if !p.notes.is_empty() {
        out.push(kv("Notes", sanitize(&p.notes).into_owned()));
    }
    let Some(st) = stats else {
        out.push(Line::from(Span::styled(
            "computing…",
            ctx.styles.get(Role::Muted),
        )));
        return out;
    };
    let rec = per_currency(&st.outstanding, |k| *k == InvoiceKind::Receivable);
    let pay = per_currency(&st.outstanding, |k| *k == InvoiceKind::Payable);
    out.push(kv(
        "Owes us",
        if rec.is_empty() {
            "nothing".into()
        } else {
            rec
        },
    ));
    out.push(kv(
        "We owe",
        if pay.is_empty() {
            "nothing".into()
        } else {
            pay
        },
    ));
    let credit = per_currency(&st.credit, |_| true);
    out.push(Line::from(vec![
        Span::raw(format!("{:<12}", "Credit")),
        styled(
            ctx,
            (!credit.is_empty()).then_some(Role::Credit),
            if credit.is_empty() {
                "none".into()
            } else {
                credit
            },
        ),
    ]));
    out.push(kv(
        "Records",
        format!("{} invoices, {} payments", st.invoices, st.payments),
    ));
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(
        format!("Open invoices ({})", st.open.len()),
        ctx.styles.get(Role::Header),
    )));
    for id in st.open.iter().take(50) {
        let Some(i) = l.invoice(*id) else { continue };
        let s = l.settlement(i, &ctx.rules);
        let (m, r) = marks::invoice_status(s.status());
        out.push(Line::from(styled(
            ctx,
            r,
            format!(
                "{m} {:<16} due {} {:>12} {}",
                sanitize(&i.number),
                format_date(i.due_date),
                i.currency.format(s.outstanding),
                i.currency
            ),
        )));
    }
    if st.open.len() > 50 {
        out.push(Line::from(format!("… and {} more", st.open.len() - 50)));
    }
    out
}

/// Draws a detail pane with `lines` in `area`.
pub fn draw(f: &mut Frame, area: Rect, ctx: &DrawCtx, title: &str, lines: Vec<Line<'static>>) {
    super::clear_overlay(f, area);
    let block = Block::bordered()
        .title(Line::from(format!(" {title} ")).style(ctx.styles.get(Role::Title)))
        .border_style(ctx.styles.get(Role::Border));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

/// The invoice's follow-up state (snoozed, promised, disputed) and its sent reminders.
fn follow_up(ctx: &DrawCtx, i: &crate::domain::Invoice) -> Vec<Line<'static>> {
    let Some(f) = ctx.ledger.follow_up(i.id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if f.disputed {
        out.push(Line::from(styled(
            ctx,
            Some(Role::Overdue),
            "! disputed (no reminders)".to_string(),
        )));
    }
    if let Some(d) = f.promise {
        let note = if ctx.today <= d { "" } else { " (passed)" };
        out.push(kv("Promised", format!("{}{note}", format_date(d))));
    }
    if let Some(d) = f.snooze_until {
        let note = if ctx.today < d { "" } else { " (over)" };
        out.push(kv("Snoozed to", format!("{}{note}", format_date(d))));
    }
    if !f.sent.is_empty() {
        out.push(Line::from(Span::styled(
            "Reminders sent",
            ctx.styles.get(Role::Header),
        )));
        let ladder = ctx.ledger.reminder_settings().ladder(i.kind);
        for r in &f.sent {
            let name = ladder.levels.get(r.level as usize).map_or_else(
                || format!("level {}", r.level + 1),
                |l| sanitize(&l.name).into_owned(),
            );
            out.push(Line::from(format!(
                "\u{2709} {} {name}",
                format_date(r.date)
            )));
        }
    }
    out
}

/// Lines describing a due reminder: party, level, its invoices and the message subject.
pub fn reminder(ctx: &DrawCtx, r: &crate::domain::reminders::Reminder) -> Vec<Line<'static>> {
    let l = ctx.ledger;
    let party = l.party(r.party);
    let name = sanitize(l.party_name(r.party)).into_owned();
    let mut out = vec![
        Line::from(styled(
            ctx,
            Some(if r.days_overdue() > 0 {
                Role::Overdue
            } else {
                Role::DueSoon
            }),
            format!("{} · {}", name, sanitize(&r.level_name)),
        )),
        kv(
            "Kind",
            match r.kind {
                InvoiceKind::Receivable => "receivable (remind the customer)",
                InvoiceKind::Payable => "payable (remind ourselves)",
            }
            .to_string(),
        ),
        kv(
            "Email",
            party.map_or(String::new(), |p| sanitize(&p.email).into_owned()),
        ),
    ];
    for (c, v) in &r.totals {
        out.push(kv("Total", format!("{} {c}", c.format(*v))));
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(
        "Invoices",
        ctx.styles.get(Role::Header),
    )));
    for i in &r.invoices {
        out.push(Line::from(format!(
            "{:<14} due {} {:>12} {} {:>5}",
            sanitize(&i.number),
            format_date(i.due_date),
            i.currency.format(i.outstanding),
            i.currency,
            super::reminders::lateness(i.days_overdue)
        )));
    }
    let msg = crate::domain::reminders::render(r, l.party_name(r.party), l.reminder_settings());
    out.push(Line::from(""));
    out.push(kv("Subject", sanitize(&msg.subject).into_owned()));
    out
}
