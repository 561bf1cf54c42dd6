//! Reports: aggregations over the ledger, each returning plain rows, plus their CSV, JSON
//! and table output.
//!
//! Every report takes an as-of date D and ignores what is dated after it: invoices issued
//! after D, payments dated after D and the allocations those payments make. Definitions
//! (aging, completion date, paid on time, days late) are the domain's: see
//! [`crate::domain::aging`] and [`crate::domain::ledger::Ledger::completion_date`].
//!
//! | report | computation | output |
//! |---|---|---|
//! | aged receivables / payables | [`aging::aging`], [`aging::aging_by_party`] | `aging::write_*`, `aging::write_by_party_*` |
//! | punctuality per customer | [`customers::customers`] | `customers::write_*` |
//! | monthly money in and out | [`trend::trend`] | `trend::write_*` |
//! | cash-flow outlook | [`cashflow::cashflow`] | `cashflow::write_*` |
//! | party statement | [`statement::statement`] | `statement::write_*` |
//!
//! Each report module exposes `COLUMNS` (the CSV header, a stable interface) and
//! `write_csv`, `write_json`, `write_table`; [`output::Format`] names the three formats.
//!
//! Performance: each report makes one pass over the invoices and/or one over the payments,
//! reading allocations through the ledger's per-invoice index; the heavy passes are split
//! over the available cores with scoped threads.

pub mod aging;
pub mod cashflow;
pub mod customers;
pub mod output;
pub mod statement;
pub mod trend;

pub use aging::{AgingOptions, AgingReport, BucketTotal, CurrencyAging, PartyAgingRow};
pub use cashflow::CashflowRow;
pub use customers::{CustomerOptions, CustomerRow, CustomerSort};
pub use output::Format;
pub use statement::{CurrencyStatement, EntryKind, Statement, StatementLine};
pub use trend::TrendRow;

use std::collections::HashMap;

use rust_decimal::Decimal;
use time::Date;

use crate::domain::ledger::Ledger;
use crate::domain::{Currency, Invoice, PartyId};

/// Errors from parsing report options given by the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// Not one of the `--sort` words of the customers report.
    #[error(
        "'{0}' is not a sort order (expected one of: party on_time_rate avg_days_late outstanding)"
    )]
    UnknownSort(String),
    /// Not one of the output formats.
    #[error("'{0}' is not an output format (expected one of: table csv json)")]
    UnknownFormat(String),
}

/// A `HashMap` with the ledger's fast, non-cryptographic hasher: report keys (party ids,
/// currency codes) never come from an attacker-controlled peer, and SipHash would cost a
/// good part of the time budget.
pub(crate) type FxMap<K, V> = HashMap<K, V, crate::domain::ledger::FastBuildHasher>;

/// Below this many items per thread a pass is not worth splitting.
const MIN_ITEMS_PER_THREAD: usize = 20_000;

/// Runs `work` over chunks of `items`, one chunk per available core (or just one chunk for
/// small inputs), and returns the partial results in chunk order.
pub(crate) fn par_chunks<T, A, F>(items: &[T], work: F) -> Vec<A>
where
    T: Sync,
    A: Send,
    F: Fn(&[T]) -> A + Sync,
{
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads = cores.min(items.len() / MIN_ITEMS_PER_THREAD).max(1);
    if threads == 1 {
        return vec![work(items)];
    }
    let chunk = items.len().div_ceil(threads);
    let work = &work;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(move || work(c)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// An invoice's settlement as of a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Settled {
    /// Sum allocated by payments dated on or before the as-of date.
    pub allocated: Decimal,
    /// max(0, amount − allocated).
    pub outstanding: Decimal,
    /// Date of the payment that brought the allocated sum to the amount, if any by then.
    pub completed: Option<Date>,
}

/// Settles `inv` as of `as_of` in one read of the ledger's per-invoice allocation index,
/// with the same rules as [`Ledger::allocated_as_of`] and [`Ledger::completion_date`]
/// (void is the caller's business).
pub(crate) fn settle(l: &Ledger, inv: &Invoice, as_of: Date) -> Settled {
    let mut allocated = Decimal::ZERO;
    let mut completed = None;
    for a in l.allocations_to(inv.id) {
        if a.date > as_of {
            break;
        }
        allocated += a.amount;
        if completed.is_none() && allocated >= inv.amount {
            completed = Some(a.date);
        }
    }
    Settled {
        allocated,
        outstanding: (inv.amount - allocated).max(Decimal::ZERO),
        completed,
    }
}

/// Accumulators keyed by (party, currency), reached without hashing in the usual case:
/// an array indexed by party id points at the party's first group, and a party's groups
/// (one per currency, rarely more than two) are chained. Party ids beyond the array (ids
/// far larger than the ledger's, e.g. dangling references) go through a hash map.
pub(crate) struct Groups<A> {
    heads: Vec<u32>,
    far: FxMap<u64, u32>,
    keys: Vec<(PartyId, Currency, u32)>,
    values: Vec<A>,
}

const NO_GROUP: u32 = u32::MAX;

impl<A: Default> Groups<A> {
    /// Empty groups sized for the ledger's parties.
    pub fn for_ledger(l: &Ledger) -> Self {
        let parties = l.parties();
        let max = parties.iter().map(|p| p.id.0).max().unwrap_or(0);
        let limit = (parties.len() as u64)
            .saturating_mul(4)
            .saturating_add(1024);
        let len = if max < limit { max as usize + 1 } else { 0 };
        Groups {
            heads: vec![NO_GROUP; len],
            far: FxMap::default(),
            keys: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The accumulator of (party, currency), created empty on first use.
    #[inline]
    pub fn get(&mut self, party: PartyId, currency: Currency) -> &mut A {
        let head = match usize::try_from(party.0)
            .ok()
            .and_then(|i| self.heads.get_mut(i))
        {
            Some(h) => h,
            None => self.far.entry(party.0).or_insert(NO_GROUP),
        };
        let mut at = *head;
        while at != NO_GROUP {
            let (_, c, next) = self.keys[at as usize];
            if c == currency {
                return &mut self.values[at as usize];
            }
            at = next;
        }
        let new = self.keys.len() as u32;
        self.keys.push((party, currency, *head));
        *head = new;
        self.values.push(A::default());
        &mut self.values[new as usize]
    }

    /// Every group with its key, in no particular order.
    pub fn into_entries(self) -> impl Iterator<Item = ((PartyId, Currency), A)> {
        self.keys
            .into_iter()
            .zip(self.values)
            .map(|((p, c, _), v)| ((p, c), v))
    }
}

/// Sort key for party names: case-insensitive, as users read a list of names.
pub(crate) fn name_order(name: &str) -> String {
    name.to_lowercase()
}
