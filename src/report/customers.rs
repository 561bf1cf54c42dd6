//! Punctuality per customer and currency: what was invoiced and paid, what is
//! outstanding, how many invoices were paid on time and how late the others were.
//!
//! Definitions, as of D, over receivable invoices and incoming payments only:
//! - `invoiced`: sum of receivable invoices issued by D, not void;
//! - `paid`: sum of incoming payments dated by D (allocated or not);
//! - `outstanding`: sum of those invoices' outstanding as of D;
//! - `credit` = paid − (invoiced − outstanding): unallocated money, overpayments and money
//!   allocated to void invoices;
//! - `invoices_paid`: invoices completed by D; `paid_on_time`: those whose completion date
//!   is on or before their due date;
//! - `on_time_rate` = paid_on_time / invoices_paid (4 decimals), `avg_days_late` = mean days
//!   late over invoices_paid (1 decimal), both undefined when invoices_paid is 0;
//! - `dso` = outstanding / (invoiced in the 90 days up to D, i.e. issued in D−89 ..= D)
//!   × 90 (1 decimal), undefined when nothing was invoiced then.

use std::cmp::Ordering;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;
use time::{Date, Duration};

use super::output::{self, Align, Table};
use super::{name_order, par_chunks, settle, FxMap, Groups, ReportError};
use crate::domain::ledger::Ledger;
use crate::domain::{Currency, Direction, InvoiceId, InvoiceKind, PartyId};

/// CSV header of [`write_csv`] (a stable interface).
pub const COLUMNS: [&str; 11] = [
    "party",
    "currency",
    "invoiced",
    "paid",
    "outstanding",
    "credit",
    "invoices_paid",
    "paid_on_time",
    "on_time_rate",
    "avg_days_late",
    "dso",
];

/// The window, in days up to and including the as-of date, that `dso` relates to.
pub const DSO_DAYS: i64 = 90;

/// Order of the customers report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CustomerSort {
    /// By party name (case-insensitive), then currency.
    #[default]
    Party,
    /// Best payers first: highest on-time rate first, undefined rates last.
    OnTimeRate,
    /// Worst payers first: most days late on average first, undefined last.
    AvgDaysLate,
    /// Largest outstanding first.
    Outstanding,
}

impl CustomerSort {
    /// Every order.
    pub const ALL: [CustomerSort; 4] = [
        CustomerSort::Party,
        CustomerSort::OnTimeRate,
        CustomerSort::AvgDaysLate,
        CustomerSort::Outstanding,
    ];

    /// The word used by `--sort`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CustomerSort::Party => "party",
            CustomerSort::OnTimeRate => "on_time_rate",
            CustomerSort::AvgDaysLate => "avg_days_late",
            CustomerSort::Outstanding => "outstanding",
        }
    }
}

impl fmt::Display for CustomerSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CustomerSort {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase().replace('-', "_");
        CustomerSort::ALL
            .into_iter()
            .find(|o| o.as_str() == t)
            .ok_or_else(|| ReportError::UnknownSort(s.to_string()))
    }
}

/// Options of the customers report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerOptions {
    /// The as-of date.
    pub as_of: Date,
    /// Only this currency; `None` for all.
    pub currency: Option<Currency>,
    /// Row order.
    pub sort: CustomerSort,
}

impl CustomerOptions {
    /// Every currency, sorted by party, as of `as_of`.
    pub fn new(as_of: Date) -> Self {
        CustomerOptions {
            as_of,
            currency: None,
            sort: CustomerSort::Party,
        }
    }
}

/// Punctuality of one customer in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerRow {
    /// The party.
    pub party: PartyId,
    /// Its name (`?` for a dangling id).
    pub party_name: String,
    /// Currency.
    pub currency: Currency,
    /// Receivable invoices issued by the as-of date, not void.
    pub invoiced: Decimal,
    /// Incoming payments dated by the as-of date.
    pub paid: Decimal,
    /// Outstanding of those invoices as of the date.
    pub outstanding: Decimal,
    /// paid − (invoiced − outstanding).
    pub credit: Decimal,
    /// Invoices fully paid by the date.
    pub invoices_paid: u64,
    /// Of those, completed on or before their due date.
    pub paid_on_time: u64,
    /// Sum of days late over the paid invoices.
    pub total_days_late: i64,
    /// paid_on_time / invoices_paid, rounded to 4 decimals; `None` when nothing was paid.
    pub on_time_rate: Option<Decimal>,
    /// Mean days late over the paid invoices, rounded to 1 decimal; `None` when nothing was paid.
    pub avg_days_late: Option<Decimal>,
    /// Days sales outstanding, rounded to 1 decimal; `None` when nothing was invoiced in the
    /// 90 days up to the date.
    pub dso: Option<Decimal>,
}

/// Per (party, currency) running sums.
#[derive(Clone, Debug, Default)]
struct Acc {
    invoiced: Decimal,
    paid: Decimal,
    outstanding: Decimal,
    invoiced_recent: Decimal,
    invoices_paid: u64,
    on_time: u64,
    days_late: i64,
}

impl Acc {
    fn merge(&mut self, o: Acc) {
        self.invoiced += o.invoiced;
        self.paid += o.paid;
        self.outstanding += o.outstanding;
        self.invoiced_recent += o.invoiced_recent;
        self.invoices_paid += o.invoices_paid;
        self.on_time += o.on_time;
        self.days_late += o.days_late;
    }
}

type Accs = FxMap<(PartyId, Currency), Acc>;

fn merge_all(parts: Vec<Groups<Acc>>, into: &mut Accs) {
    for part in parts {
        for (k, a) in part.into_entries() {
            match into.get_mut(&k) {
                Some(x) => x.merge(a),
                None => {
                    into.insert(k, a);
                }
            }
        }
    }
}

/// Per (party, currency): the receivable-invoice sums, then the incoming-payment sums.
fn accumulate(l: &Ledger, as_of: Date, currency: Option<Currency>) -> Accs {
    let wants = |c: Currency| currency.is_none_or(|x| x == c);
    let recent_from = as_of
        .checked_sub(Duration::days(DSO_DAYS - 1))
        .unwrap_or(Date::MIN);
    let parts = par_chunks(l.invoices(), |chunk| {
        let mut acc: Groups<Acc> = Groups::for_ledger(l);
        for inv in chunk {
            if inv.kind != InvoiceKind::Receivable
                || inv.void
                || inv.issue_date > as_of
                || !wants(inv.currency)
            {
                continue;
            }
            let s = settle(l, inv, as_of);
            let a = acc.get(inv.party, inv.currency);
            a.invoiced += inv.amount;
            a.outstanding += s.outstanding;
            if inv.issue_date >= recent_from {
                a.invoiced_recent += inv.amount;
            }
            if let Some(done) = s.completed {
                let late = (done - inv.due_date).whole_days().max(0);
                a.invoices_paid += 1;
                if done <= inv.due_date {
                    a.on_time += 1;
                }
                a.days_late += late;
            }
        }
        acc
    });
    let mut all = Accs::default();
    merge_all(parts, &mut all);
    let parts = par_chunks(l.payments(), |chunk| {
        let mut acc: Groups<Acc> = Groups::for_ledger(l);
        for p in chunk {
            if p.direction == Direction::In && p.date <= as_of && wants(p.currency) {
                acc.get(p.party, p.currency).paid += p.amount;
            }
        }
        acc
    });
    merge_all(parts, &mut all);
    all
}

fn row(l: &Ledger, (party, currency): (PartyId, Currency), a: Acc) -> CustomerRow {
    let credit = a.paid - (a.invoiced - a.outstanding);
    let (on_time_rate, avg_days_late) = if a.invoices_paid == 0 {
        (None, None)
    } else {
        let n = Decimal::from(a.invoices_paid);
        (
            Decimal::from(a.on_time)
                .checked_div(n)
                .map(|r| output::round(r, 4)),
            Decimal::from(a.days_late)
                .checked_div(n)
                .map(|r| output::round(r, 1)),
        )
    };
    let dso = if a.invoiced_recent > Decimal::ZERO {
        a.outstanding
            .checked_mul(Decimal::from(DSO_DAYS))
            .and_then(|x| x.checked_div(a.invoiced_recent))
            .map(|r| output::round(r, 1))
    } else {
        None
    };
    CustomerRow {
        party,
        party_name: l.party_name(party).to_string(),
        currency,
        invoiced: a.invoiced,
        paid: a.paid,
        outstanding: a.outstanding,
        credit,
        invoices_paid: a.invoices_paid,
        paid_on_time: a.on_time,
        total_days_late: a.days_late,
        on_time_rate,
        avg_days_late,
        dso,
    }
}

/// Undefined values sort after every defined one; defined ones largest first.
fn desc_defined_first(a: Option<Decimal>, b: Option<Decimal>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The customers report: one row per party and currency with a non-void receivable invoice
/// issued by the as-of date or an incoming payment dated by it, ordered by `o.sort` (ties,
/// and the default order, by party name case-insensitively, then currency).
pub fn customers(l: &Ledger, o: &CustomerOptions) -> Vec<CustomerRow> {
    let accs = accumulate(l, o.as_of, o.currency);
    let mut rows: Vec<(String, CustomerRow)> = accs
        .into_iter()
        .map(|(k, a)| {
            let r = row(l, k, a);
            (name_order(&r.party_name), r)
        })
        .collect();
    rows.sort_by(|(ka, a), (kb, b)| {
        let primary = match o.sort {
            CustomerSort::Party => Ordering::Equal,
            CustomerSort::OnTimeRate => desc_defined_first(a.on_time_rate, b.on_time_rate),
            CustomerSort::AvgDaysLate => desc_defined_first(a.avg_days_late, b.avg_days_late),
            CustomerSort::Outstanding => b.outstanding.cmp(&a.outstanding),
        };
        primary
            .then_with(|| ka.cmp(kb))
            .then_with(|| a.party_name.cmp(&b.party_name))
            .then_with(|| a.currency.cmp(&b.currency))
            .then_with(|| a.party.cmp(&b.party))
    });
    rows.into_iter().map(|(_, r)| r).collect()
}

/// Days late of each customer's most recently completed receivables (for a sparkline):
/// for every `(party, currency)` in `keys`, the days late of up to `n` invoices completed
/// by `as_of`, oldest first (by completion date, then invoice id). Results are in the order
/// of `keys`. One pass over the invoices; only the listed parties' invoices are settled, so
/// asking for the rows on screen is cheap.
pub fn recent_days_late(
    l: &Ledger,
    as_of: Date,
    keys: &[(PartyId, Currency)],
    n: usize,
) -> Vec<Vec<i64>> {
    if n == 0 || keys.is_empty() {
        return vec![Vec::new(); keys.len()];
    }
    let mut wanted: FxMap<(PartyId, Currency), usize> = FxMap::default();
    let mut parties: FxMap<PartyId, ()> = FxMap::default();
    for (i, k) in keys.iter().enumerate() {
        wanted.entry(*k).or_insert(i);
        parties.insert(k.0, ());
    }
    // (completion date, invoice id, days late) per key, newest n kept
    let mut found: Vec<Vec<(Date, InvoiceId, i64)>> = vec![Vec::new(); keys.len()];
    for inv in l.invoices() {
        if inv.kind != InvoiceKind::Receivable
            || inv.void
            || inv.issue_date > as_of
            || !parties.contains_key(&inv.party)
        {
            continue;
        }
        let Some(&slot) = wanted.get(&(inv.party, inv.currency)) else {
            continue;
        };
        if let Some(done) = settle(l, inv, as_of).completed {
            found[slot].push((done, inv.id, (done - inv.due_date).whole_days().max(0)));
        }
    }
    let mut out = vec![Vec::new(); keys.len()];
    for (i, (p, c)) in keys.iter().enumerate() {
        let slot = wanted.get(&(*p, *c)).copied().unwrap_or(i);
        let list = &mut found[slot];
        list.sort_by_key(|e| (e.0, e.1));
        let skip = list.len().saturating_sub(n);
        out[i] = list[skip..].iter().map(|e| e.2).collect();
    }
    out
}

#[derive(Serialize)]
struct Record {
    party: String,
    currency: String,
    invoiced: String,
    paid: String,
    outstanding: String,
    credit: String,
    invoices_paid: u64,
    paid_on_time: u64,
    on_time_rate: Option<String>,
    avg_days_late: Option<String>,
    dso: Option<String>,
}

fn record(r: &CustomerRow, party: String) -> Record {
    let a = |v: Decimal| output::amount(r.currency, v);
    Record {
        party,
        currency: r.currency.to_string(),
        invoiced: a(r.invoiced),
        paid: a(r.paid),
        outstanding: a(r.outstanding),
        credit: a(r.credit),
        invoices_paid: r.invoices_paid,
        paid_on_time: r.paid_on_time,
        on_time_rate: output::opt_fixed(r.on_time_rate, 4),
        avg_days_late: output::opt_fixed(r.avg_days_late, 1),
        dso: output::opt_fixed(r.dso, 1),
    }
}

/// CSV `party,currency,invoiced,paid,outstanding,credit,invoices_paid,paid_on_time,on_time_rate,avg_days_late,dso`.
pub fn write_csv<W: Write>(w: W, rows: &[CustomerRow]) -> io::Result<()> {
    output::write_csv_records(
        w,
        &COLUMNS,
        rows.iter()
            .map(|r| record(r, output::csv_text(&r.party_name))),
    )
}

/// JSON array of objects with the CSV's field names; amounts and rates as strings,
/// undefined rates as `null`, counts as numbers.
pub fn write_json<W: Write>(w: W, rows: &[CustomerRow]) -> io::Result<()> {
    output::write_json_records(w, rows.iter().map(|r| record(r, r.party_name.clone())))
}

/// The CSV rows as a table.
pub fn write_table<W: Write>(mut w: W, rows: &[CustomerRow]) -> io::Result<()> {
    let mut cols = vec![("party", Align::Left), ("currency", Align::Left)];
    cols.extend(COLUMNS[2..].iter().map(|c| (*c, Align::Right)));
    let mut t = Table::new(&cols);
    for r in rows {
        let x = record(r, r.party_name.clone());
        t.row([
            x.party,
            x.currency,
            x.invoiced,
            x.paid,
            x.outstanding,
            x.credit,
            x.invoices_paid.to_string(),
            x.paid_on_time.to_string(),
            x.on_time_rate.unwrap_or_default(),
            x.avg_days_late.unwrap_or_default(),
            x.dso.unwrap_or_default(),
        ]);
    }
    t.write(&mut w)
}
