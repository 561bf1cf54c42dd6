//! Aged receivables (or payables): outstanding amounts by how long they are past due.
//!
//! An invoice is aged as of D by [`crate::domain::aging::age_invoice`]: issued on or before
//! D, not void, outstanding > 0 as of D (payments after D ignored); its days past due are
//! D − due date, bucketed `current` (≤ 0), `1-30`, `31-60`, `61-90`, `90+`. Every
//! outstanding invoice falls in exactly one bucket, so the bucket totals add up to the
//! total outstanding.

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde::Serialize;
use time::Date;

use super::output::{self, Align, Table};
use super::{name_order, par_chunks, FxMap, Groups};
use crate::domain::aging::{age_invoice, AgingBucket};
use crate::domain::ledger::Ledger;
use crate::domain::{Currency, Invoice, InvoiceKind, PartyId};

/// CSV header of [`write_csv`] (a stable interface).
pub const COLUMNS: [&str; 4] = ["currency", "bucket", "amount", "count"];

/// CSV header of [`write_by_party_csv`] (a stable interface).
pub const BY_PARTY_COLUMNS: [&str; 8] = [
    "party", "currency", "current", "1-30", "31-60", "61-90", "90+", "total",
];

/// What to age.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgingOptions {
    /// The as-of date.
    pub as_of: Date,
    /// Receivables or payables; `None` means receivables (the usual "aged receivables").
    pub kind: Option<InvoiceKind>,
    /// Only this currency; `None` for all.
    pub currency: Option<Currency>,
}

impl AgingOptions {
    /// Aged receivables in every currency as of `as_of`.
    pub fn new(as_of: Date) -> Self {
        AgingOptions {
            as_of,
            kind: None,
            currency: None,
        }
    }

    /// The kind actually aged.
    pub fn kind(&self) -> InvoiceKind {
        self.kind.unwrap_or(InvoiceKind::Receivable)
    }

    fn wants(&self, inv: &Invoice) -> bool {
        inv.kind == self.kind() && self.currency.is_none_or(|c| c == inv.currency)
    }
}

/// One bucket's outstanding amount and number of invoices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BucketTotal {
    /// Sum outstanding.
    pub amount: Decimal,
    /// Invoices in the bucket.
    pub count: usize,
}

/// The aging of one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurrencyAging {
    /// Currency.
    pub currency: Currency,
    /// Buckets in [`AgingBucket::ALL`] order.
    pub buckets: [BucketTotal; 5],
    /// Total outstanding (the sum of the buckets).
    pub total: Decimal,
    /// Outstanding invoices (the sum of the bucket counts).
    pub count: usize,
}

impl CurrencyAging {
    fn empty(currency: Currency) -> Self {
        CurrencyAging {
            currency,
            buckets: [BucketTotal::default(); 5],
            total: Decimal::ZERO,
            count: 0,
        }
    }

    /// One bucket.
    pub fn bucket(&self, b: AgingBucket) -> BucketTotal {
        self.buckets[b.index()]
    }
}

/// The aging report: per currency, the five buckets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgingReport {
    /// As-of date.
    pub as_of: Date,
    /// The kind aged.
    pub kind: InvoiceKind,
    /// Per currency, sorted by code.
    pub currencies: Vec<CurrencyAging>,
}

impl AgingReport {
    /// The aging of one currency, if listed.
    pub fn currency(&self, c: Currency) -> Option<&CurrencyAging> {
        self.currencies.iter().find(|a| a.currency == c)
    }
}

/// The aging as of `o.as_of`, one entry per currency sorted by code.
///
/// Listed currencies: with `o.currency` set, exactly that one (all zeros if nothing is
/// outstanding); otherwise every currency of a non-void invoice of the kind issued by the
/// as-of date, so a currency whose invoices are all paid shows as zeros rather than
/// disappearing.
pub fn aging(l: &Ledger, o: &AgingOptions) -> AgingReport {
    let parts = par_chunks(l.invoices(), |chunk| {
        let mut acc: Vec<CurrencyAging> = Vec::new();
        for inv in chunk {
            if !o.wants(inv) || inv.void || inv.issue_date > o.as_of {
                continue;
            }
            let pos = match acc.iter().position(|a| a.currency == inv.currency) {
                Some(p) => p,
                None => {
                    acc.push(CurrencyAging::empty(inv.currency));
                    acc.len() - 1
                }
            };
            if let Some(e) = age_invoice(l, inv, o.as_of) {
                let a = &mut acc[pos];
                let b = &mut a.buckets[e.bucket.index()];
                b.amount += e.outstanding;
                b.count += 1;
                a.total += e.outstanding;
                a.count += 1;
            }
        }
        acc
    });
    let mut all: Vec<CurrencyAging> = Vec::new();
    if let Some(c) = o.currency {
        all.push(CurrencyAging::empty(c));
    }
    for part in parts {
        for a in part {
            match all.iter_mut().find(|x| x.currency == a.currency) {
                Some(x) => {
                    for (xb, ab) in x.buckets.iter_mut().zip(a.buckets) {
                        xb.amount += ab.amount;
                        xb.count += ab.count;
                    }
                    x.total += a.total;
                    x.count += a.count;
                }
                None => all.push(a),
            }
        }
    }
    all.sort_by_key(|a| a.currency);
    AgingReport {
        as_of: o.as_of,
        kind: o.kind(),
        currencies: all,
    }
}

/// The aging of one party in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyAgingRow {
    /// The party.
    pub party: PartyId,
    /// Its name (`?` for a dangling id).
    pub party_name: String,
    /// Currency.
    pub currency: Currency,
    /// Outstanding per bucket, in [`AgingBucket::ALL`] order.
    pub buckets: [Decimal; 5],
    /// Total outstanding.
    pub total: Decimal,
    /// Outstanding invoices.
    pub count: usize,
}

/// The aging per party and currency, one row for each with anything outstanding, sorted by
/// total descending, then party name (case-insensitive), then currency. Totals of different
/// currencies are compared as plain numbers.
pub fn aging_by_party(l: &Ledger, o: &AgingOptions) -> Vec<PartyAgingRow> {
    type Acc = FxMap<(PartyId, Currency), ([Decimal; 5], usize)>;
    let parts = par_chunks(l.invoices(), |chunk| {
        let mut acc: Groups<([Decimal; 5], usize)> = Groups::for_ledger(l);
        for inv in chunk {
            if !o.wants(inv) {
                continue;
            }
            if let Some(e) = age_invoice(l, inv, o.as_of) {
                let v = acc.get(inv.party, inv.currency);
                v.0[e.bucket.index()] += e.outstanding;
                v.1 += 1;
            }
        }
        acc
    });
    let mut all: Acc = FxMap::default();
    for part in parts {
        for (k, (b, n)) in part.into_entries() {
            let v = all.entry(k).or_insert(([Decimal::ZERO; 5], 0));
            for (x, y) in v.0.iter_mut().zip(b) {
                *x += y;
            }
            v.1 += n;
        }
    }
    let mut rows: Vec<(String, PartyAgingRow)> = all
        .into_iter()
        .map(|((party, currency), (buckets, count))| {
            let party_name = l.party_name(party).to_string();
            (
                name_order(&party_name),
                PartyAgingRow {
                    party,
                    party_name,
                    currency,
                    buckets,
                    total: buckets.iter().sum(),
                    count,
                },
            )
        })
        .collect();
    rows.sort_by(|(ka, a), (kb, b)| {
        b.total
            .cmp(&a.total)
            .then_with(|| ka.cmp(kb))
            .then_with(|| a.currency.cmp(&b.currency))
            .then_with(|| a.party.cmp(&b.party))
    });
    rows.into_iter().map(|(_, r)| r).collect()
}

#[derive(Serialize)]
struct BucketRecord {
    currency: String,
    bucket: &'static str,
    amount: String,
    count: usize,
}

fn bucket_records(r: &AgingReport) -> impl Iterator<Item = BucketRecord> + '_ {
    r.currencies.iter().flat_map(|a| {
        AgingBucket::ALL.iter().map(move |b| {
            let t = a.bucket(*b);
            BucketRecord {
                currency: a.currency.to_string(),
                bucket: b.as_str(),
                amount: output::amount(a.currency, t.amount),
                count: t.count,
            }
        })
    })
}

/// CSV `currency,bucket,amount,count`: per currency five rows, `current` to `90+`.
pub fn write_csv<W: Write>(w: W, r: &AgingReport) -> io::Result<()> {
    output::write_csv_records(w, &COLUMNS, bucket_records(r))
}

/// JSON array of `{currency, bucket, amount, count}`, amounts as strings.
pub fn write_json<W: Write>(w: W, r: &AgingReport) -> io::Result<()> {
    output::write_json_records(w, bucket_records(r))
}

/// The CSV rows as a table, with a `total` row after each currency.
pub fn write_table<W: Write>(mut w: W, r: &AgingReport) -> io::Result<()> {
    let mut t = Table::new(&[
        ("currency", Align::Left),
        ("bucket", Align::Left),
        ("amount", Align::Right),
        ("count", Align::Right),
    ]);
    for a in &r.currencies {
        for b in AgingBucket::ALL {
            let x = a.bucket(b);
            t.row([
                a.currency.to_string(),
                b.as_str().to_string(),
                output::amount(a.currency, x.amount),
                x.count.to_string(),
            ]);
        }
        t.row([
            a.currency.to_string(),
            "total".to_string(),
            output::amount(a.currency, a.total),
            a.count.to_string(),
        ]);
    }
    t.write(&mut w)
}

#[derive(Serialize)]
struct PartyRecord {
    party: String,
    currency: String,
    current: String,
    #[serde(rename = "1-30")]
    d1_30: String,
    #[serde(rename = "31-60")]
    d31_60: String,
    #[serde(rename = "61-90")]
    d61_90: String,
    #[serde(rename = "90+")]
    over_90: String,
    total: String,
}

fn party_record(r: &PartyAgingRow, party: String) -> PartyRecord {
    let a = |v: Decimal| output::amount(r.currency, v);
    PartyRecord {
        party,
        currency: r.currency.to_string(),
        current: a(r.buckets[0]),
        d1_30: a(r.buckets[1]),
        d31_60: a(r.buckets[2]),
        d61_90: a(r.buckets[3]),
        over_90: a(r.buckets[4]),
        total: a(r.total),
    }
}

/// CSV `party,currency,current,1-30,31-60,61-90,90+,total`.
pub fn write_by_party_csv<W: Write>(w: W, rows: &[PartyAgingRow]) -> io::Result<()> {
    output::write_csv_records(
        w,
        &BY_PARTY_COLUMNS,
        rows.iter()
            .map(|r| party_record(r, output::csv_text(&r.party_name))),
    )
}

/// JSON array of objects with the by-party CSV's field names, amounts as strings.
pub fn write_by_party_json<W: Write>(w: W, rows: &[PartyAgingRow]) -> io::Result<()> {
    output::write_json_records(
        w,
        rows.iter().map(|r| party_record(r, r.party_name.clone())),
    )
}

/// The by-party rows as a table.
pub fn write_by_party_table<W: Write>(mut w: W, rows: &[PartyAgingRow]) -> io::Result<()> {
    let mut cols = vec![("party", Align::Left), ("currency", Align::Left)];
    cols.extend(BY_PARTY_COLUMNS[2..].iter().map(|c| (*c, Align::Right)));
    let mut t = Table::new(&cols);
    for r in rows {
        let p = party_record(r, r.party_name.clone());
        t.row([
            p.party, p.currency, p.current, p.d1_30, p.d31_60, p.d61_90, p.over_90, p.total,
        ]);
    }
    t.write(&mut w)
}
