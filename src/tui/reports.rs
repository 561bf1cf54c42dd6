//! The Reports tab's figures: aging per currency as of today and monthly money in and
//! out for the last twelve months. Computed on the worker thread.

use rust_decimal::Decimal;
use time::{Date, Month};

use crate::domain::aging::age_invoice;
use crate::domain::ledger::Ledger;
use crate::domain::{Currency, Direction, InvoiceKind};

/// Aging of one currency and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgingRow {
    /// Currency.
    pub currency: Currency,
    /// Receivable (owed to us) or payable (we owe).
    pub kind: InvoiceKind,
    /// Outstanding per bucket, in [`crate::domain::aging::AgingBucket::ALL`] order.
    pub buckets: [Decimal; 5],
    /// Sum of the buckets.
    pub total: Decimal,
    /// Invoices counted.
    pub count: usize,
}

/// Money in and out in one month and currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthRow {
    /// Year.
    pub year: i32,
    /// Month 1-12.
    pub month: u8,
    /// Currency.
    pub currency: Currency,
    /// Incoming payments.
    pub incoming: Decimal,
    /// Outgoing payments.
    pub outgoing: Decimal,
}

/// Everything the Reports tab shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportData {
    /// Aging rows, by currency then kind.
    pub aging: Vec<AgingRow>,
    /// Months, newest first; each month lists the currencies that moved.
    pub months: Vec<(i32, u8)>,
    /// Monthly rows for the last 12 months, newest month first, then by currency.
    pub monthly: Vec<MonthRow>,
    /// Currencies that appear in `monthly`, sorted.
    pub currencies: Vec<Currency>,
}

fn month_index(y: i32, m: u8) -> i64 {
    i64::from(y) * 12 + i64::from(m) - 1
}

/// Computes the report as of `today`.
pub fn compute(ledger: &Ledger, today: Date) -> ReportData {
    let mut aging: Vec<AgingRow> = Vec::new();
    for inv in ledger.invoices() {
        let Some(e) = age_invoice(ledger, inv, today) else {
            continue;
        };
        let row = match aging
            .iter_mut()
            .position(|r| r.currency == inv.currency && r.kind == inv.kind)
        {
            Some(i) => &mut aging[i],
            None => {
                aging.push(AgingRow {
                    currency: inv.currency,
                    kind: inv.kind,
                    buckets: [Decimal::ZERO; 5],
                    total: Decimal::ZERO,
                    count: 0,
                });
                let n = aging.len() - 1;
                &mut aging[n]
            }
        };
        row.buckets[e.bucket.index()] += e.outstanding;
        row.total += e.outstanding;
        row.count += 1;
    }
    aging.sort_by_key(|r| (r.currency, r.kind));
    debug_assert!(aging
        .iter()
        .all(|r| r.buckets.iter().copied().sum::<Decimal>() == r.total));

    let now = month_index(today.year(), u8::from(today.month()));
    let first = now - 11;
    let mut monthly: Vec<MonthRow> = Vec::new();
    let mut currencies: Vec<Currency> = Vec::new();
    for p in ledger.payments() {
        if p.date > today {
            continue;
        }
        let idx = month_index(p.date.year(), u8::from(p.date.month()));
        if idx < first || idx > now {
            continue;
        }
        let (y, m) = (p.date.year(), u8::from(p.date.month()));
        let row = match monthly
            .iter_mut()
            .position(|r| r.year == y && r.month == m && r.currency == p.currency)
        {
            Some(i) => &mut monthly[i],
            None => {
                monthly.push(MonthRow {
                    year: y,
                    month: m,
                    currency: p.currency,
                    incoming: Decimal::ZERO,
                    outgoing: Decimal::ZERO,
                });
                let n = monthly.len() - 1;
                &mut monthly[n]
            }
        };
        match p.direction {
            Direction::In => row.incoming += p.amount,
            Direction::Out => row.outgoing += p.amount,
        }
        if !currencies.contains(&p.currency) {
            currencies.push(p.currency);
        }
    }
    currencies.sort();
    monthly.sort_by_key(|r| (std::cmp::Reverse(month_index(r.year, r.month)), r.currency));
    let months = (0..12)
        .map(|k| {
            let i = now - k;
            let y = i.div_euclid(12) as i32;
            let m = (i.rem_euclid(12) + 1) as u8;
            (y, m)
        })
        .collect();
    ReportData {
        aging,
        months,
        monthly,
        currencies,
    }
}

/// Short month name for a month number.
pub fn month_name(m: u8) -> &'static str {
    Month::try_from(m)
        .map(|m| match m {
            Month::January => "Jan",
            Month::February => "Feb",
            Month::March => "Mar",
            Month::April => "Apr",
            Month::May => "May",
            Month::June => "Jun",
            Month::July => "Jul",
            Month::August => "Aug",
            Month::September => "Sep",
            Month::October => "Oct",
            Month::November => "Nov",
            Month::December => "Dec",
        })
        .unwrap_or("???")
}

impl ReportData {
    /// Incoming and outgoing of one month and currency (zero when nothing moved).
    pub fn month(&self, y: i32, m: u8, c: Currency) -> (Decimal, Decimal) {
        self.monthly
            .iter()
            .find(|r| r.year == y && r.month == m && r.currency == c)
            .map_or((Decimal::ZERO, Decimal::ZERO), |r| (r.incoming, r.outgoing))
    }
}
