//! Generates demo data and prints how long it took and what it contains.
//!
//! `cargo run --release --example demo_gen -- [PAYMENTS] [SEED] [TODAY]`
//! (defaults: 1000000, the demo seed, 2025-06-18).

use std::collections::BTreeMap;
use std::time::Instant;

use paytrack::demo::{generate, DemoConfig, DEFAULT_SEED};
use paytrack::domain::{parse_date, InvoiceStatus, StatusRules};
use time::macros::date;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let payments: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let seed: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(DEFAULT_SEED);
    let today = match args.next() {
        Some(a) => parse_date(&a)?,
        None => date!(2025 - 06 - 18),
    };
    let cfg = DemoConfig {
        seed,
        payments,
        today,
    };

    let t = Instant::now();
    let d = generate(&cfg);
    let took = t.elapsed();
    println!(
        "generate: {took:?} for {} payments, {} invoices, {} parties",
        d.payments.len(),
        d.invoices.len(),
        d.parties.len()
    );

    let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    let show = |title: &str, m: &BTreeMap<String, usize>, of: usize| {
        let parts: Vec<String> = m
            .iter()
            .map(|(k, v)| format!("{k} {v} ({:.1}%)", pct(*v, of)))
            .collect();
        println!("{title}: {}", parts.join(", "));
    };
    let count = |it: &mut dyn Iterator<Item = String>| {
        let mut m = BTreeMap::new();
        for k in it {
            *m.entry(k).or_insert(0usize) += 1;
        }
        m
    };

    let np = d.parties.len();
    show(
        "party roles",
        &count(&mut d.parties.iter().map(|p| p.role.to_string())),
        np,
    );
    show(
        "party terms",
        &count(&mut d.parties.iter().map(|p| format!("{:?}", p.terms_days))),
        np,
    );
    let non_ascii = d.parties.iter().filter(|p| !p.name.is_ascii()).count();
    println!("non-ASCII names: {non_ascii} ({:.1}%)", pct(non_ascii, np));
    println!(
        "sample names: {}",
        d.parties
            .iter()
            .take(12)
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    );

    let ni = d.invoices.len();
    show(
        "invoice kinds",
        &count(&mut d.invoices.iter().map(|i| i.kind.to_string())),
        ni,
    );
    show(
        "invoice currencies",
        &count(&mut d.invoices.iter().map(|i| i.currency.to_string())),
        ni,
    );
    show(
        "invoice years",
        &count(&mut d.invoices.iter().map(|i| i.issue_date.year().to_string())),
        ni,
    );

    let n = d.payments.len();
    show(
        "payment directions",
        &count(&mut d.payments.iter().map(|p| p.direction.to_string())),
        n,
    );
    show(
        "payment currencies",
        &count(&mut d.payments.iter().map(|p| p.currency.to_string())),
        n,
    );
    show(
        "payment methods",
        &count(&mut d.payments.iter().map(|p| p.method.to_string())),
        n,
    );
    show(
        "allocations per payment",
        &count(&mut d.payments.iter().map(|p| p.allocations.len().to_string())),
        n,
    );
    let remainder = d
        .payments
        .iter()
        .filter(|p| !p.allocations.is_empty() && !p.unallocated().is_zero())
        .count();
    println!(
        "allocated payments with an unallocated remainder: {remainder} ({:.2}%)",
        pct(remainder, n)
    );
    let notes = d.payments.iter().filter(|p| !p.notes.is_empty()).count();
    println!("payments with notes: {notes} ({:.1}%)", pct(notes, n));

    let t = Instant::now();
    let (l, _) = d.clone().into_ledger();
    println!("ledger build: {:?}", t.elapsed());
    let rules = StatusRules::new(today);
    let mut status: BTreeMap<String, usize> = BTreeMap::new();
    let mut late: BTreeMap<String, usize> = BTreeMap::new();
    let mut overpaid = 0;
    let mut partial = 0;
    for inv in l.invoices() {
        let s = l.settlement(inv, &rules);
        *status.entry(s.status().to_string()).or_default() += 1;
        if !s.overpaid.is_zero() {
            overpaid += 1;
        }
        if s.has(InvoiceStatus::Partial) {
            partial += 1;
        }
        if let Some(days) = l.days_late(inv, today) {
            let bucket = match days {
                0 => "on time",
                1..=4 => "1-4",
                5..=30 => "5-30",
                31..=60 => "31-60",
                _ => "60+",
            };
            *late.entry(bucket.to_string()).or_default() += 1;
        }
    }
    show("invoice status as of today", &status, ni);
    println!(
        "partially paid: {partial} ({:.1}%), overpaid: {overpaid} ({:.2}%)",
        pct(partial, ni),
        pct(overpaid, ni)
    );
    let paid: usize = late.values().sum();
    show("paid invoices by days late", &late, paid);
    Ok(())
}
