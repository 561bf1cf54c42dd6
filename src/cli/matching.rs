//! `paytrack match` (candidates for payments with an unallocated remainder, and applying
//! the unambiguous ones) and `paytrack apply-credit` (a party's credit, FIFO).

use std::io::Write;

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::args::{ListFormat, MatchArgs};
use super::list::{parse_filter, select_payments};
use super::Context;
use crate::domain::ledger::Ledger;
use crate::domain::matching::{self, Candidate, PaymentMatch};
use crate::domain::{format_date, Change, Payment, StatusRules};
use crate::ops::{self, OpError};
use crate::query::RecordKind;
use crate::table::{Align, Table};

/// `paytrack match ...`.
pub fn run(ctx: &Context, a: &MatchArgs, out: &mut impl Write) -> Result<()> {
    ctx.transact(|store, l| {
        let q = parse_filter(a.filter.as_deref(), RecordKind::Payment)?;
        let mut payments = select_payments(l, StatusRules::new(ctx.today), q.as_ref());
        payments.retain(|p| p.unallocated() > rust_decimal::Decimal::ZERO);
        payments.reverse(); // oldest first
        if a.apply {
            let done = matching::apply_unambiguous(l, ctx.today, payments.iter().copied());
            super::commit(store, l, &done.set).context("nothing was applied")?;
            for (pid, c) in &done.applied {
                if let Some(p) = l.payment(*pid) {
                    writeln!(
                        out,
                        "applied payment {} ({} {} {}) to {} [{}]",
                        p.id,
                        format_date(p.date),
                        p.currency.format(p.unallocated()),
                        p.currency,
                        numbers(l, c),
                        c.describe()
                    )?;
                }
            }
            for m in &done.left {
                let why = match m.candidates.iter().filter(|c| c.strong()).count() {
                    0 if m.candidates.is_empty() => {
                        "no open invoice of the same party, currency and direction"
                    }
                    0 => "no strong candidate",
                    _ => "ambiguous: more than one strong candidate",
                };
                writeln!(out, "left payment {}: {why}", m.payment)?;
            }
            writeln!(
                out,
                "applied {}, left {}",
                done.applied.len(),
                done.left.len()
            )?;
            return Ok(());
        }
        let matches = matching::match_payments(l, ctx.today, payments.iter().copied());
        write_matches(l, &matches, a.format, out)
    })
}

fn numbers(l: &Ledger, c: &Candidate) -> String {
    c.allocations
        .iter()
        .map(|a| {
            let num = l.invoice(a.invoice).map_or("?", |i| i.number.as_str());
            format!("{num}={}", a.amount)
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[derive(Serialize)]
struct JsonCandidate {
    invoices: String,
    score: u32,
    strong: bool,
    reasons: Vec<String>,
}

#[derive(Serialize)]
struct JsonMatch<'a> {
    payment: u64,
    date: String,
    party: &'a str,
    remainder: String,
    currency: &'a str,
    reference: &'a str,
    unambiguous: bool,
    candidates: Vec<JsonCandidate>,
}

fn write_matches(
    l: &Ledger,
    matches: &[PaymentMatch],
    f: ListFormat,
    out: &mut impl Write,
) -> Result<()> {
    let pay = |m: &PaymentMatch| -> Option<&Payment> { l.payment(m.payment) };
    match f {
        ListFormat::Table => {
            let mut t = Table::new(&[
                ("Id", Align::Right),
                ("Date", Align::Left),
                ("Party", Align::Left),
                ("Left", Align::Right),
                ("Cur", Align::Left),
                ("Candidate", Align::Left),
                ("Score", Align::Right),
                ("Reasons", Align::Left),
            ])
            .max_cell_width(48);
            for m in matches {
                let Some(p) = pay(m) else { continue };
                let head = [
                    p.id.to_string(),
                    format_date(p.date),
                    l.party_name(p.party).to_string(),
                    p.currency.format(m.remainder),
                    p.currency.to_string(),
                ];
                if m.candidates.is_empty() {
                    let mut row = head.to_vec();
                    row.extend(["-".to_string(), String::new(), "no candidates".into()]);
                    t.row(row);
                }
                for (k, c) in m.candidates.iter().enumerate() {
                    let mut row = if k == 0 {
                        head.to_vec()
                    } else {
                        vec![String::new(); 5]
                    };
                    row.extend([
                        numbers(l, c),
                        format!("{}{}", c.score, if c.strong() { "*" } else { "" }),
                        c.describe(),
                    ]);
                    t.row(row);
                }
            }
            if t.is_empty() {
                writeln!(out, "no payments with an unallocated remainder")?;
            } else {
                t.write(out)?;
            }
        }
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "payment",
                "date",
                "party",
                "remainder",
                "currency",
                "rank",
                "invoices",
                "score",
                "strong",
                "reasons",
            ])?;
            for m in matches {
                let Some(p) = pay(m) else { continue };
                for (k, c) in m.candidates.iter().enumerate() {
                    w.write_record([
                        p.id.to_string(),
                        format_date(p.date),
                        l.party_name(p.party).to_string(),
                        p.currency.format(m.remainder),
                        p.currency.to_string(),
                        (k + 1).to_string(),
                        numbers(l, c),
                        c.score.to_string(),
                        c.strong().to_string(),
                        c.describe(),
                    ])?;
                }
            }
            w.flush()?;
        }
        ListFormat::Json => {
            let rows: Vec<JsonMatch<'_>> = matches
                .iter()
                .filter_map(|m| {
                    let p = pay(m)?;
                    Some(JsonMatch {
                        payment: p.id.0,
                        date: format_date(p.date),
                        party: l.party_name(p.party),
                        remainder: p.currency.format(m.remainder),
                        currency: p.currency.as_str(),
                        reference: &p.reference,
                        unambiguous: m.unambiguous().is_some(),
                        candidates: m
                            .candidates
                            .iter()
                            .map(|c| JsonCandidate {
                                invoices: numbers(l, c),
                                score: c.score,
                                strong: c.strong(),
                                reasons: c.reasons.iter().map(|r| r.describe()).collect(),
                            })
                            .collect(),
                    })
                })
                .collect();
            crate::text::json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// `paytrack apply-credit --party P`.
pub fn apply_credit(ctx: &Context, party: &str, out: &mut impl Write) -> Result<()> {
    ctx.transact(|store, l| {
        let p = l
            .party_by_name(party)
            .ok_or_else(|| OpError::UnknownParty(party.to_string()))?;
        let set = ops::apply_credit(l, p.id, ctx.today)?;
        if set.is_empty() {
            writeln!(
                out,
                "nothing to apply: {} has no credit with open invoices to apply it to",
                crate::text::sanitize(&p.name)
            )?;
            return Ok(());
        }
        super::commit(store, l, &set).context("nothing was applied")?;
        for c in &set.changes {
            if let Change::PutPayment(np) = c {
                let before = l.payment(np.id).map_or(0, |o| o.allocations.len());
                let added: Vec<String> = np
                    .allocations
                    .iter()
                    .skip(before)
                    .map(|a| {
                        format!(
                            "{}={}",
                            l.invoice(a.invoice).map_or("?", |i| i.number.as_str()),
                            a.amount
                        )
                    })
                    .collect();
                writeln!(
                    out,
                    "payment {}: applied to {}",
                    np.id,
                    if added.is_empty() {
                        "existing allocations".to_string()
                    } else {
                        added.join(";")
                    }
                )?;
            }
        }
        Ok(())
    })
}
