//! `paytrack payments|invoices|parties`: filtered lists as a table, CSV or JSON.

use std::io::Write;

use anyhow::Result;

use super::args::{ListArgs, ListFormat};
use super::{Context, UsageError};
use crate::domain::ledger::Ledger;
use crate::domain::{format_date, Invoice, Party, Payment, StatusRules};
use crate::interchange::{csv_own, json};
use crate::query::{self, EvalContext, RecordKind};
use crate::table::{Align, Table};

/// Parses `filter` for `kind`; a bad filter is a usage error naming the term.
pub fn parse_filter(filter: Option<&str>, kind: RecordKind) -> Result<Option<query::Query>> {
    let Some(text) = filter else { return Ok(None) };
    let q = query::parse(text)
        .and_then(|q| q.check_applies(kind).map(|()| q))
        .map_err(|e| UsageError(format!("--filter: {e}")))?;
    Ok(Some(q))
}

/// Payments matching the filter, newest first (date, then recording order).
pub fn select_payments<'a>(
    l: &'a Ledger,
    rules: StatusRules,
    q: Option<&query::Query>,
) -> Vec<&'a Payment> {
    let all = l.payments();
    let mut rows: Vec<&Payment> = match q {
        Some(q) => query::filter_payments(&EvalContext { ledger: l, rules }, q)
            .into_iter()
            .map(|i| &all[i])
            .collect(),
        None => all.iter().collect(),
    };
    rows.sort_unstable_by_key(|p| std::cmp::Reverse((p.date, p.id)));
    rows
}

/// Invoices matching the filter, newest issue date first.
pub fn select_invoices<'a>(
    l: &'a Ledger,
    rules: StatusRules,
    q: Option<&query::Query>,
) -> Vec<&'a Invoice> {
    let all = l.invoices();
    let mut rows: Vec<&Invoice> = match q {
        Some(q) => query::filter_invoices(&EvalContext { ledger: l, rules }, q)
            .into_iter()
            .map(|i| &all[i])
            .collect(),
        None => all.iter().collect(),
    };
    rows.sort_unstable_by_key(|i| std::cmp::Reverse((i.issue_date, i.id)));
    rows
}

/// Parties matching the filter, by name.
pub fn select_parties<'a>(
    l: &'a Ledger,
    rules: StatusRules,
    q: Option<&query::Query>,
) -> Vec<&'a Party> {
    let all = l.parties();
    let mut rows: Vec<&Party> = match q {
        Some(q) => query::filter_parties(&EvalContext { ledger: l, rules }, q)
            .into_iter()
            .map(|i| &all[i])
            .collect(),
        None => all.iter().collect(),
    };
    rows.sort_by_cached_key(|p| (p.name.to_lowercase(), p.id));
    rows
}

/// Table cells wider than this are cut with an ellipsis (CSV and JSON keep everything).
const MAX_CELL: usize = 40;

fn limit<T>(mut v: Vec<T>, n: Option<usize>) -> Vec<T> {
    if let Some(n) = n {
        v.truncate(n);
    }
    v
}

/// `paytrack payments`.
pub fn payments(ctx: &Context, a: &ListArgs, out: &mut impl Write) -> Result<()> {
    let q = parse_filter(a.filter.as_deref(), RecordKind::Payment)?;
    let (_store, l) = ctx.load()?;
    let rules = StatusRules::new(ctx.today);
    let rows = limit(select_payments(&l, rules, q.as_ref()), a.limit);
    match a.format {
        ListFormat::Csv => csv_own::write_payments(&mut *out, &l, rows.into_iter())?,
        ListFormat::Json => json::write_payments(&mut *out, &l, rows.into_iter())?,
        ListFormat::Table => {
            let mut t = Table::new(&[
                ("ID", Align::Right),
                ("DATE", Align::Left),
                ("PARTY", Align::Left),
                ("DIR", Align::Left),
                ("AMOUNT", Align::Right),
                ("CUR", Align::Left),
                ("METHOD", Align::Left),
                ("REFERENCE", Align::Left),
                ("INVOICES", Align::Left),
                ("UNALLOCATED", Align::Right),
            ])
            .max_cell_width(MAX_CELL);
            for p in rows {
                let invoices: Vec<&str> = p
                    .allocations
                    .iter()
                    .filter_map(|al| l.invoice(al.invoice).map(|i| i.number.as_str()))
                    .collect();
                t.row(vec![
                    p.id.to_string(),
                    format_date(p.date),
                    l.party_name(p.party).to_string(),
                    p.direction.to_string(),
                    p.currency.format(p.amount),
                    p.currency.to_string(),
                    p.method.to_string(),
                    p.reference.clone(),
                    invoices.join(","),
                    p.currency.format(p.unallocated()),
                ]);
            }
            print_table(&t, out, "payments")?;
        }
    }
    Ok(())
}

/// `paytrack invoices`.
pub fn invoices(ctx: &Context, a: &ListArgs, out: &mut impl Write) -> Result<()> {
    let q = parse_filter(a.filter.as_deref(), RecordKind::Invoice)?;
    let (_store, l) = ctx.load()?;
    let rules = StatusRules::new(ctx.today);
    let rows = limit(select_invoices(&l, rules, q.as_ref()), a.limit);
    match a.format {
        ListFormat::Csv => csv_own::write_invoices(&mut *out, &l, &rules, rows.into_iter())?,
        ListFormat::Json => json::write_invoices(&mut *out, &l, &rules, rows.into_iter())?,
        ListFormat::Table => {
            let mut t = Table::new(&[
                ("NUMBER", Align::Left),
                ("PARTY", Align::Left),
                ("KIND", Align::Left),
                ("ISSUED", Align::Left),
                ("DUE", Align::Left),
                ("AMOUNT", Align::Right),
                ("CUR", Align::Left),
                ("OUTSTANDING", Align::Right),
                ("STATUS", Align::Left),
            ])
            .max_cell_width(MAX_CELL);
            for i in rows {
                let s = l.settlement(i, &rules);
                t.row(vec![
                    i.number.clone(),
                    l.party_name(i.party).to_string(),
                    i.kind.to_string(),
                    format_date(i.issue_date),
                    format_date(i.due_date),
                    i.currency.format(i.amount),
                    i.currency.to_string(),
                    i.currency.format(s.outstanding),
                    s.status().to_string(),
                ]);
            }
            print_table(&t, out, "invoices")?;
        }
    }
    Ok(())
}

/// `paytrack parties`.
pub fn parties(ctx: &Context, a: &ListArgs, out: &mut impl Write) -> Result<()> {
    let q = parse_filter(a.filter.as_deref(), RecordKind::Party)?;
    let (_store, l) = ctx.load()?;
    let rules = StatusRules::new(ctx.today);
    let rows = limit(select_parties(&l, rules, q.as_ref()), a.limit);
    match a.format {
        ListFormat::Csv => csv_own::write_parties(&mut *out, &l, rows.into_iter())?,
        ListFormat::Json => json::write_parties(&mut *out, &l, rows.into_iter())?,
        ListFormat::Table => {
            let mut t = Table::new(&[
                ("NAME", Align::Left),
                ("ROLE", Align::Left),
                ("EMAIL", Align::Left),
                ("TERMS", Align::Right),
                ("NOTES", Align::Left),
            ])
            .max_cell_width(MAX_CELL);
            for p in rows {
                t.row(vec![
                    p.name.clone(),
                    p.role.to_string(),
                    p.email.clone(),
                    p.terms_days.map(|d| d.to_string()).unwrap_or_default(),
                    p.notes.clone(),
                ]);
            }
            print_table(&t, out, "parties")?;
        }
    }
    Ok(())
}

fn print_table(t: &Table, out: &mut impl Write, what: &str) -> Result<()> {
    if t.is_empty() {
        writeln!(out, "no {what}")?;
    } else {
        t.write(out)?;
    }
    Ok(())
}
