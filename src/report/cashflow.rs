//! Cash-flow outlook: the money open invoices are expected to bring in or take out, week
//! by week.
//!
//! As of D, every invoice issued by D, not void, with outstanding > 0 is expected to be
//! settled in full:
//! - a receivable on its predicted pay date: due date + the party's average days late in
//!   that currency (the customers report's `avg_days_late` over invoices paid by D, taken
//!   unrounded and rounded to whole days; 0 when the party has paid no invoice in that
//!   currency yet);
//! - a payable on its due date;
//! - either one, when the party promised to pay on a date (the invoice's follow-up), on
//!   that promise date instead;
//!
//! and never before D (an overdue invoice is expected from D on). The outlook covers N
//! weeks starting with the Monday of D's ISO week; what is expected after the last week is
//! left out.

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde::Serialize;
use time::{Date, Duration};

use super::output::{self, Align, Table};
use super::{par_chunks, settle, FxMap, Groups};
use crate::domain::ledger::Ledger;
use crate::domain::{format_date, Currency, InvoiceKind, PartyId};

/// CSV header of [`write_csv`] (a stable interface).
pub const COLUMNS: [&str; 5] = [
    "week_start",
    "currency",
    "expected_in",
    "expected_out",
    "net",
];

/// Weeks the outlook covers unless told otherwise.
pub const DEFAULT_WEEKS: u32 = 13;

/// The longest outlook computed (ten years); longer requests are cut to it.
pub const MAX_WEEKS: u32 = 520;

/// Money expected in one week and currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CashflowRow {
    /// Monday of the week.
    pub week_start: Date,
    /// Currency.
    pub currency: Currency,
    /// Outstanding receivables expected to be paid in the week.
    pub expected_in: Decimal,
    /// Outstanding payables due in the week.
    pub expected_out: Decimal,
    /// expected_in − expected_out.
    pub net: Decimal,
}

/// The Monday of `d`'s ISO week.
pub fn week_start(d: Date) -> Date {
    let back = i64::from(d.weekday().number_days_from_monday());
    d.checked_sub(Duration::days(back)).unwrap_or(d)
}

/// The mean days late `total / paid` rounded to whole days, half away from zero.
fn whole_days(paid: u64, total: i64) -> i64 {
    if paid == 0 {
        return 0;
    }
    let n = i128::from(paid);
    let t = i128::from(total.max(0));
    i64::try_from((2 * t + n) / (2 * n)).unwrap_or(i64::MAX)
}

/// An open invoice: what is expected, and from what date the prediction starts.
#[derive(Clone, Copy)]
struct Open {
    party: PartyId,
    currency: Currency,
    kind: InvoiceKind,
    due: Date,
    outstanding: Decimal,
    /// Promise-to-pay date, which replaces the prediction.
    promise: Option<Date>,
}

/// The outlook: for each of `weeks` weeks starting with the Monday of `as_of`'s ISO week,
/// one row per currency (sorted by code), zeros included. Listed currencies are those with
/// anything expected within the outlook. `weeks` of 0 gives no rows; more than
/// [`MAX_WEEKS`] is cut to it.
pub fn cashflow(l: &Ledger, as_of: Date, weeks: u32) -> Vec<CashflowRow> {
    let n = weeks.min(MAX_WEEKS) as usize;
    if n == 0 {
        return Vec::new();
    }
    let start = week_start(as_of);
    // per (party, currency): receivables paid by the as-of date and their days late
    type Late = FxMap<(PartyId, Currency), (u64, i64)>;
    type PartLate = Groups<(u64, i64)>;
    let parts: Vec<(PartLate, Vec<Open>)> = par_chunks(l.invoices(), |chunk| {
        let mut late: PartLate = Groups::for_ledger(l);
        let mut open = Vec::new();
        for inv in chunk {
            if inv.void || inv.issue_date > as_of {
                continue;
            }
            let s = settle(l, inv, as_of);
            if s.outstanding > Decimal::ZERO {
                open.push(Open {
                    party: inv.party,
                    currency: inv.currency,
                    kind: inv.kind,
                    due: inv.due_date,
                    outstanding: s.outstanding,
                    promise: l.follow_up(inv.id).and_then(|f| f.promise),
                });
            } else if inv.kind == InvoiceKind::Receivable {
                if let Some(done) = s.completed {
                    let e = late.get(inv.party, inv.currency);
                    e.0 += 1;
                    e.1 += (done - inv.due_date).whole_days().max(0);
                }
            }
        }
        (late, open)
    });
    let mut late = Late::default();
    let mut open: Vec<Vec<Open>> = Vec::with_capacity(parts.len());
    for (l_part, o_part) in parts {
        for (k, (c, t)) in l_part.into_entries() {
            let e = late.entry(k).or_default();
            e.0 += c;
            e.1 += t;
        }
        open.push(o_part);
    }
    let mut sums: Vec<(Currency, Vec<[Decimal; 2]>)> = Vec::new();
    for o in open.iter().flatten() {
        let (shift, side) = match o.kind {
            InvoiceKind::Receivable => {
                let (c, t) = late.get(&(o.party, o.currency)).copied().unwrap_or((0, 0));
                (whole_days(c, t), 0)
            }
            InvoiceKind::Payable => (0, 1),
        };
        let Some(expected) = o
            .promise
            .or_else(|| o.due.checked_add(Duration::days(shift)))
        else {
            continue;
        };
        let expected = expected.max(as_of);
        let week = (expected - start).whole_days() / 7;
        if week < 0 || week >= n as i64 {
            continue;
        }
        let pos = match sums.iter().position(|(c, _)| *c == o.currency) {
            Some(p) => p,
            None => {
                sums.push((o.currency, vec![[Decimal::ZERO; 2]; n]));
                sums.len() - 1
            }
        };
        sums[pos].1[week as usize][side] += o.outstanding;
    }
    sums.sort_by_key(|(c, _)| *c);
    let mut rows = Vec::with_capacity(n * sums.len());
    for w in 0..n {
        let Some(week_start) = start.checked_add(Duration::weeks(w as i64)) else {
            break;
        };
        for (c, s) in &sums {
            let [expected_in, expected_out] = s[w];
            rows.push(CashflowRow {
                week_start,
                currency: *c,
                expected_in,
                expected_out,
                net: expected_in - expected_out,
            });
        }
    }
    rows
}

#[derive(Serialize)]
struct Record {
    week_start: String,
    currency: String,
    expected_in: String,
    expected_out: String,
    net: String,
}

fn record(r: &CashflowRow) -> Record {
    Record {
        week_start: format_date(r.week_start),
        currency: r.currency.to_string(),
        expected_in: output::amount(r.currency, r.expected_in),
        expected_out: output::amount(r.currency, r.expected_out),
        net: output::amount(r.currency, r.net),
    }
}

/// CSV `week_start,currency,expected_in,expected_out,net`.
pub fn write_csv<W: Write>(w: W, rows: &[CashflowRow]) -> io::Result<()> {
    output::write_csv_records(w, &COLUMNS, rows.iter().map(record))
}

/// JSON array of objects with the CSV's field names, amounts as strings.
pub fn write_json<W: Write>(w: W, rows: &[CashflowRow]) -> io::Result<()> {
    output::write_json_records(w, rows.iter().map(record))
}

/// The CSV rows as a table.
pub fn write_table<W: Write>(mut w: W, rows: &[CashflowRow]) -> io::Result<()> {
    let mut t = Table::new(&[
        ("week_start", Align::Left),
        ("currency", Align::Left),
        ("expected_in", Align::Right),
        ("expected_out", Align::Right),
        ("net", Align::Right),
    ]);
    for r in rows {
        let x = record(r);
        t.row([
            x.week_start,
            x.currency,
            x.expected_in,
            x.expected_out,
            x.net,
        ]);
    }
    t.write(&mut w)
}

#[cfg(test)]
mod promise_tests {
    use super::*;
    use crate::domain::reminders::FollowUp;
    use crate::domain::{Invoice, InvoiceId, Party, PartyRole};
    use time::macros::date;

    #[test]
    fn a_promise_moves_the_expected_money_to_its_date() {
        let party = Party {
            id: PartyId(1),
            name: "Acme".into(),
            role: PartyRole::Customer,
            email: String::new(),
            terms_days: None,
            notes: String::new(),
        };
        let inv = Invoice {
            id: InvoiceId(1),
            number: "INV-1".into(),
            party: PartyId(1),
            kind: InvoiceKind::Receivable,
            issue_date: date!(2025 - 01 - 01),
            due_date: date!(2025 - 03 - 05),
            amount: Decimal::new(10000, 2),
            currency: Currency::EUR,
            notes: String::new(),
            void: false,
        };
        let mut l = Ledger::from_records(vec![party], vec![inv], vec![]);
        let as_of = date!(2025 - 03 - 03); // a Monday
        let week_of = |l: &Ledger| {
            cashflow(l, as_of, 6)
                .iter()
                .position(|r| r.expected_in > Decimal::ZERO)
        };
        assert_eq!(week_of(&l), Some(0), "on its due date");
        l.put_follow_up(
            InvoiceId(1),
            FollowUp {
                promise: Some(date!(2025 - 03 - 26)),
                ..Default::default()
            },
        );
        assert_eq!(week_of(&l), Some(3), "on the promise date");
    }
}
