//! Monthly money in and out: incoming and outgoing payments per calendar month and
//! currency, for the N months ending with the as-of date's month.

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde::Serialize;
use time::{Date, Month};

use super::output::{self, Align, Table};
use super::par_chunks;
use crate::domain::ledger::Ledger;
use crate::domain::{Currency, Direction};

/// CSV header of [`write_csv`] (a stable interface).
pub const COLUMNS: [&str; 5] = ["month", "currency", "incoming", "outgoing", "net"];

/// Months the trend covers unless told otherwise.
pub const DEFAULT_MONTHS: u32 = 12;

/// The longest trend computed (100 years); longer requests are cut to it.
pub const MAX_MONTHS: u32 = 1200;

/// Money in and out in one month and currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrendRow {
    /// Year.
    pub year: i32,
    /// Month.
    pub month: Month,
    /// Currency.
    pub currency: Currency,
    /// Incoming payments dated in the month (and by the as-of date).
    pub incoming: Decimal,
    /// Outgoing payments dated in the month (and by the as-of date).
    pub outgoing: Decimal,
    /// incoming − outgoing.
    pub net: Decimal,
}

impl TrendRow {
    /// The month as `YYYY-MM`.
    pub fn month_label(&self) -> String {
        format!("{:04}-{:02}", self.year, u8::from(self.month))
    }
}

/// Months since year 0, so consecutive months are consecutive numbers.
fn month_index(d: Date) -> i64 {
    i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1
}

/// The trend: `months` calendar months ending with the month of `as_of` (oldest first),
/// and for each month one row per currency, sorted by code, months without payments as
/// zeros. Payments dated after `as_of` are ignored, so the last month is counted up to
/// `as_of` only.
///
/// Listed currencies: with `currency` set, exactly that one; otherwise every currency of a
/// payment dated in the window. `months` of 0 gives no rows; more than [`MAX_MONTHS`] is
/// cut to it.
pub fn trend(l: &Ledger, as_of: Date, months: u32, currency: Option<Currency>) -> Vec<TrendRow> {
    let n = months.min(MAX_MONTHS) as usize;
    if n == 0 {
        return Vec::new();
    }
    let last = month_index(as_of);
    let first = last - (n as i64 - 1);
    type Acc = Vec<(Currency, Vec<[Decimal; 2]>)>;
    let parts: Vec<Acc> = par_chunks(l.payments(), |chunk| {
        let mut acc: Acc = Vec::new();
        for p in chunk {
            if p.date > as_of || currency.is_some_and(|c| c != p.currency) {
                continue;
            }
            let m = month_index(p.date);
            if m < first {
                continue;
            }
            let slot = (m - first) as usize;
            let pos = match acc.iter().position(|(c, _)| *c == p.currency) {
                Some(i) => i,
                None => {
                    acc.push((p.currency, vec![[Decimal::ZERO; 2]; n]));
                    acc.len() - 1
                }
            };
            let side = match p.direction {
                Direction::In => 0,
                Direction::Out => 1,
            };
            acc[pos].1[slot][side] += p.amount;
        }
        acc
    });
    let mut all: Acc = Vec::new();
    if let Some(c) = currency {
        all.push((c, vec![[Decimal::ZERO; 2]; n]));
    }
    for part in parts {
        for (c, sums) in part {
            match all.iter_mut().find(|(x, _)| *x == c) {
                Some((_, into)) => {
                    for (a, b) in into.iter_mut().zip(sums) {
                        a[0] += b[0];
                        a[1] += b[1];
                    }
                }
                None => all.push((c, sums)),
            }
        }
    }
    all.sort_by_key(|(c, _)| *c);
    let mut rows = Vec::with_capacity(n * all.len());
    for slot in 0..n {
        let m = first + slot as i64;
        let year = m.div_euclid(12) as i32;
        let month = Month::try_from((m.rem_euclid(12) + 1) as u8).unwrap_or(Month::January);
        for (c, sums) in &all {
            let [incoming, outgoing] = sums[slot];
            rows.push(TrendRow {
                year,
                month,
                currency: *c,
                incoming,
                outgoing,
                net: incoming - outgoing,
            });
        }
    }
    rows
}

#[derive(Serialize)]
struct Record {
    month: String,
    currency: String,
    incoming: String,
    outgoing: String,
    net: String,
}

fn record(r: &TrendRow) -> Record {
    Record {
        month: r.month_label(),
        currency: r.currency.to_string(),
        incoming: output::amount(r.currency, r.incoming),
        outgoing: output::amount(r.currency, r.outgoing),
        net: output::amount(r.currency, r.net),
    }
}

/// CSV `month,currency,incoming,outgoing,net`.
pub fn write_csv<W: Write>(w: W, rows: &[TrendRow]) -> io::Result<()> {
    output::write_csv_records(w, &COLUMNS, rows.iter().map(record))
}

/// JSON array of objects with the CSV's field names, amounts as strings.
pub fn write_json<W: Write>(w: W, rows: &[TrendRow]) -> io::Result<()> {
    output::write_json_records(w, rows.iter().map(record))
}

/// The CSV rows as a table.
pub fn write_table<W: Write>(mut w: W, rows: &[TrendRow]) -> io::Result<()> {
    let mut t = Table::new(&[
        ("month", Align::Left),
        ("currency", Align::Left),
        ("incoming", Align::Right),
        ("outgoing", Align::Right),
        ("net", Align::Right),
    ]);
    for r in rows {
        let x = record(r);
        t.row([x.month, x.currency, x.incoming, x.outgoing, x.net]);
    }
    t.write(&mut w)
}
