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

/// The shell's quick lookup: `payments --filter ... --format csv` streams the payment
/// blocks through the filter (see [`crate::store::scan`]) when this process owns the store
/// and the filter allows it; `false` when the caller must load the ledger instead.
fn quick_lookup(
    ctx: &Context,
    a: &ListArgs,
    q: Option<&query::Query>,
    out: &mut impl Write,
) -> Result<bool> {
    let Some(q) = q else { return Ok(false) };
    if a.format != ListFormat::Csv || !crate::store::scan::supports(q) {
        return Ok(false);
    }
    let rules = StatusRules::new(ctx.today);
    let session = ctx.open()?;
    let found = match session.with_store(|s| crate::store::scan::lookup_payments(s, q, rules)) {
        Ok(found) => found?,
        Err(_) => None, // another process owns the store: load through it
    };
    drop(session);
    let Some(found) = found else { return Ok(false) };
    // The process exits right after: freeing the records one by one would only cost time.
    let found = std::mem::ManuallyDrop::new(found);
    let mut rows: Vec<&Payment> = found.payments.iter().collect();
    rows.sort_unstable_by_key(|p| std::cmp::Reverse((p.date, p.id)));
    let rows = limit(rows, a.limit);
    csv_own::write_payments_par(&mut *out, &found.ledger, &rows)?;
    Ok(true)
}

/// `paytrack payments`.
pub fn payments(ctx: &Context, a: &ListArgs, out: &mut impl Write) -> Result<()> {
    let q = parse_filter(a.filter.as_deref(), RecordKind::Payment)?;
    if quick_lookup(ctx, a, q.as_ref(), out)? {
        return Ok(());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn full_path(ctx: &Context, q: Option<&query::Query>, n: Option<usize>) -> String {
        let (_session, l) = ctx.load().unwrap();
        let rows = limit(select_payments(&l, StatusRules::new(ctx.today), q), n);
        let mut out = Vec::new();
        csv_own::write_payments(&mut out, &l, rows.into_iter()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quick_lookup_prints_exactly_what_the_full_load_prints() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("store");
        let today = time::macros::date!(2025 - 06 - 30);
        super::super::seed_demo(&db, today, 30_000, 7).unwrap();
        let ctx = Context {
            db: db.clone(),
            today,
        };
        for (f, n) in [
            ("sepa", None),
            ("-e", None), // most rows: formatted on two threads
            ("party:a amount:>100 -method:cash", None),
            ("inv due:2025", None),
            ("unlinked date:2025", Some(3)),
            ("e", Some(25_000)),
            ("zzzzqqqq", None),
        ] {
            let q = parse_filter(Some(f), RecordKind::Payment).unwrap();
            let args = ListArgs {
                filter: Some(f.into()),
                format: ListFormat::Csv,
                limit: n,
            };
            let mut fast = Vec::new();
            assert!(
                quick_lookup(&ctx, &args, q.as_ref(), &mut fast).unwrap(),
                "{f}"
            );
            let fast = String::from_utf8(fast).unwrap();
            assert!(fast.starts_with("date,party,"), "{f}");
            assert_eq!(fast, full_path(&ctx, q.as_ref(), n), "{f}");
        }
        // status: needs every payment of an invoice: the full load answers it
        let q = parse_filter(Some("status:overdue"), RecordKind::Payment).unwrap();
        let args = ListArgs {
            filter: Some("status:overdue".into()),
            format: ListFormat::Csv,
            limit: None,
        };
        assert!(!quick_lookup(&ctx, &args, q.as_ref(), &mut Vec::new()).unwrap());
    }
}
