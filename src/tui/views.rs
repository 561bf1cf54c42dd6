//! What a list shows: filter, sort and totals over the whole ledger. Runs on the worker
//! thread; the result is row indices into the ledger's record slices (`u32`), so the UI
//! only ever touches the rows it draws.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::domain::ledger::Ledger;
use crate::domain::reminders::Reminder;
use crate::domain::{Currency, Direction, Invoice, InvoiceId, InvoiceKind, PartyId, StatusRules};
use crate::query::{self, EvalContext, Query};

/// The lists that are filtered and sorted on the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// Payments.
    Payments,
    /// Invoices and bills.
    Invoices,
    /// Parties.
    Parties,
    /// Overdue and due-soon invoices.
    Reminders,
}

impl ListKind {
    /// Every list.
    pub const ALL: [ListKind; 4] = [
        ListKind::Payments,
        ListKind::Invoices,
        ListKind::Parties,
        ListKind::Reminders,
    ];

    /// Position in [`ListKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The record kind the filter language evaluates for this list.
    pub fn record_kind(self) -> query::RecordKind {
        match self {
            ListKind::Payments => query::RecordKind::Payment,
            ListKind::Invoices | ListKind::Reminders => query::RecordKind::Invoice,
            ListKind::Parties => query::RecordKind::Party,
        }
    }

    /// Column names that can be sorted by, in cycle order.
    pub fn sort_columns(self) -> &'static [&'static str] {
        match self {
            ListKind::Payments => &["date", "party", "amount", "currency", "method", "reference"],
            ListKind::Invoices => &[
                "issued",
                "number",
                "party",
                "due",
                "amount",
                "outstanding",
                "status",
            ],
            ListKind::Parties => &["name", "role", "open", "invoices"],
            ListKind::Reminders => &["overdue", "party", "level", "invoices"],
        }
    }

    /// The initial sort: newest payments, newest invoices, parties by name, most overdue.
    pub fn default_sort(self) -> SortSpec {
        match self {
            ListKind::Payments | ListKind::Invoices => SortSpec {
                column: 0,
                desc: true,
            },
            ListKind::Parties => SortSpec {
                column: 0,
                desc: false,
            },
            ListKind::Reminders => SortSpec {
                column: 0,
                desc: true,
            },
        }
    }
}

/// Sort column (index into [`ListKind::sort_columns`]) and direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortSpec {
    /// Column index.
    pub column: usize,
    /// Descending.
    pub desc: bool,
}

/// Sum of what a list shows, per currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Total {
    /// Currency.
    pub currency: Currency,
    /// Payments: incoming. Invoices: amount. Reminders: outstanding. Parties: receivable outstanding.
    pub a: Decimal,
    /// Payments: outgoing. Invoices: outstanding. Reminders: overdue part. Parties: payable outstanding.
    pub b: Decimal,
}

/// Per-party figures for the parties list and its detail pane.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartyStats {
    /// Invoices of the party.
    pub invoices: u32,
    /// Payments of the party.
    pub payments: u32,
    /// Unpaid, not void invoices (oldest due first).
    pub open: Vec<InvoiceId>,
    /// Outstanding per (currency, kind).
    pub outstanding: Vec<(Currency, InvoiceKind, Decimal)>,
    /// Credit per (currency, direction): unallocated remainders and overpayments.
    pub credit: Vec<(Currency, Direction, Decimal)>,
    /// Whether any of its open invoices is overdue.
    pub overdue: bool,
}

/// The result of one list computation.
#[derive(Clone, Debug, Default)]
pub struct ViewResult {
    /// Indices into the ledger's slice for this list, in display order.
    pub rows: Vec<u32>,
    /// Totals per currency of the shown rows, sorted by currency.
    pub totals: Vec<Total>,
    /// Parties list only: stats for every party.
    pub party_stats: Option<Arc<HashMap<PartyId, PartyStats>>>,
    /// Row (display position) of the requested record, if it is shown.
    pub target_row: Option<usize>,
    /// Reminders list only: the due reminders; `rows` index into this.
    pub reminders: Option<Arc<Vec<Reminder>>>,
}

/// Identifies a record regardless of its position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A payment.
    Payment(crate::domain::PaymentId),
    /// An invoice.
    Invoice(InvoiceId),
    /// A party.
    Party(PartyId),
}

/// Tells a running computation that a newer one superseded it.
#[derive(Clone, Debug)]
pub struct Cancel {
    latest: Arc<AtomicU64>,
    gen: u64,
}

impl Cancel {
    /// A token for generation `gen` of a slot whose newest generation is in `latest`.
    pub fn new(latest: Arc<AtomicU64>, gen: u64) -> Cancel {
        Cancel { latest, gen }
    }
    /// A token that is never cancelled.
    pub fn never() -> Cancel {
        Cancel {
            latest: Arc::new(AtomicU64::new(0)),
            gen: 0,
        }
    }
    /// Whether a newer computation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.latest.load(Ordering::Relaxed) != self.gen
    }
}

/// Computes a list: filter, sort, totals. `None` when cancelled.
pub fn compute(
    ledger: &Ledger,
    kind: ListKind,
    q: &Query,
    sort: SortSpec,
    rules: StatusRules,
    target: Option<Target>,
    cancel: &Cancel,
) -> Option<ViewResult> {
    compute_from(
        ledger, kind, q, sort, rules, target, None, None, None, cancel,
    )
}

/// An earlier result of the same list over the same ledger and rules, whose query every
/// record matching the new one also matches (see [`Query::narrows`]): only its rows need
/// to be filtered.
#[derive(Clone, Copy, Debug)]
pub struct Base<'a> {
    /// Its rows, in its display order.
    pub rows: &'a [u32],
    /// The sort they are in.
    pub sort: SortSpec,
}

/// Like [`compute`], filtering only `base`'s rows when given (and skipping the sort when
/// they are already in the wanted order: a subsequence of a sorted list is sorted), and
/// reusing the parties list's `stats` when known and the invoice-number matches of earlier
/// words in `memo` (made for this ledger). The result is the same as computing from
/// scratch.
#[allow(clippy::too_many_arguments)]
pub fn compute_from(
    ledger: &Ledger,
    kind: ListKind,
    q: &Query,
    sort: SortSpec,
    rules: StatusRules,
    target: Option<Target>,
    base: Option<Base<'_>>,
    stats: Option<Arc<HashMap<PartyId, PartyStats>>>,
    memo: Option<&query::WordMemo>,
    cancel: &Cancel,
) -> Option<ViewResult> {
    if kind == ListKind::Reminders {
        return compute_reminders(ledger, q, sort, rules, target, cancel);
    }
    let ctx = EvalContext::new(ledger, rules);
    let stop = || cancel.is_cancelled();
    let from = base.map(|b| b.rows);
    let mut rows: Vec<u32> = match kind {
        ListKind::Payments => query::filter_payments_in(&ctx, q, from, &stop, memo)?,
        ListKind::Invoices | ListKind::Reminders => {
            query::filter_invoices_in(&ctx, q, from, &stop)?
        }
        ListKind::Parties => query::filter_parties_in(&ctx, q, from, &stop)?,
    };
    if cancel.is_cancelled() {
        return None;
    }
    let party_stats = if kind == ListKind::Parties {
        Some(stats.unwrap_or_else(|| Arc::new(party_stats(ledger, rules))))
    } else {
        None
    };
    if cancel.is_cancelled() {
        return None;
    }
    match base {
        Some(b) if b.sort == sort => {}
        Some(_) => {
            // Equal keys keep ledger order, as when computed from scratch.
            rows.sort_unstable();
            sort_rows(ledger, kind, &mut rows, sort, rules, party_stats.as_deref());
        }
        None => sort_rows(ledger, kind, &mut rows, sort, rules, party_stats.as_deref()),
    }
    if cancel.is_cancelled() {
        return None;
    }
    let totals = totals(ledger, kind, &rows, rules, party_stats.as_deref());
    let target_row = target.and_then(|t| find_target(ledger, kind, &rows, t));
    Some(ViewResult {
        rows,
        totals,
        party_stats,
        target_row,
        reminders: None,
    })
}

/// Rows of a preview: enough for the tallest list on screen, with room to scroll.
pub const PREVIEW_ROWS: usize = 256;
/// Bases smaller than this are filtered whole at once: the full result is as quick.
pub const PREVIEW_FROM: usize = 32 * 1024;

/// The first [`PREVIEW_ROWS`] rows of what [`compute_from`] will return for `q` over
/// `base`, found by filtering the base's rows from the top until enough match — a few
/// thousand rows instead of all of them, so a narrowed list can be drawn at once while
/// its counts and totals are still being computed. `None` when there is no use for a
/// preview: no base in the wanted order, a small base, a list that is not filtered row
/// by row, or too few matches near the top (then the full pass comes as soon).
#[allow(clippy::too_many_arguments)]
pub fn preview_from(
    ledger: &Ledger,
    kind: ListKind,
    q: &Query,
    sort: SortSpec,
    rules: StatusRules,
    base: Option<Base<'_>>,
    memo: Option<&query::WordMemo>,
    cancel: &Cancel,
) -> Option<ViewResult> {
    let base = base.filter(|b| b.sort == sort && b.rows.len() >= PREVIEW_FROM)?;
    if !matches!(kind, ListKind::Payments | ListKind::Invoices) {
        return None;
    }
    let ctx = EvalContext::new(ledger, rules);
    let stop = || cancel.is_cancelled();
    let mut rows = Vec::new();
    let mut from = 0;
    let mut step = 4096;
    // Stop looking once an eighth of the base is read: a word that rare makes the full
    // pass short anyway.
    while rows.len() < PREVIEW_ROWS && from < base.rows.len() / 8 {
        let to = (from + step).min(base.rows.len());
        let part = &base.rows[from..to];
        let found = match kind {
            ListKind::Payments => query::filter_payments_in(&ctx, q, Some(part), &stop, memo)?,
            _ => query::filter_invoices_in(&ctx, q, Some(part), &stop)?,
        };
        rows.extend(found);
        from = to;
        step *= 2;
    }
    if rows.len() < PREVIEW_ROWS {
        return None;
    }
    Some(ViewResult {
        rows,
        ..ViewResult::default()
    })
}

/// The due reminders as of the rules' date, one row per party and kind, keeping only
/// the invoices the filter matches (a reminder with none left is dropped).
fn compute_reminders(
    ledger: &Ledger,
    q: &Query,
    sort: SortSpec,
    rules: StatusRules,
    target: Option<Target>,
    cancel: &Cancel,
) -> Option<ViewResult> {
    let all = ledger.due_reminders(rules.as_of, None);
    if cancel.is_cancelled() {
        return None;
    }
    let list = if q.is_empty() {
        all
    } else {
        let ctx = EvalContext::new(ledger, rules);
        let inv = ledger.invoices();
        let keep: std::collections::HashSet<InvoiceId> = query::filter_invoices(&ctx, q)
            .into_iter()
            .map(|i| inv[i].id)
            .collect();
        let settings = ledger.reminder_settings();
        all.into_iter()
            .filter_map(|mut r| {
                r.invoices.retain(|i| keep.contains(&i.invoice));
                if r.invoices.is_empty() {
                    return None;
                }
                r.level = r.invoices.iter().map(|i| i.level).max().unwrap_or(0);
                r.level_name = settings
                    .ladder(r.kind)
                    .levels
                    .get(r.level as usize)
                    .map(|l| l.name.clone())
                    .unwrap_or_default();
                let mut totals: Vec<(Currency, Decimal)> = Vec::new();
                for i in &r.invoices {
                    match totals.iter_mut().find(|(c, _)| *c == i.currency) {
                        Some(t) => t.1 += i.outstanding,
                        None => totals.push((i.currency, i.outstanding)),
                    }
                }
                totals.sort_by_key(|t| t.0);
                r.totals = totals;
                Some(r)
            })
            .collect()
    };
    if cancel.is_cancelled() {
        return None;
    }
    let mut rows: Vec<u32> = (0..list.len() as u32).collect();
    // `list` is most overdue first: "overdue, descending" is its own order.
    let at = |r: u32| &list[r as usize];
    match sort.column {
        1 => {
            let rank = name_ranks(ledger);
            rows.sort_by_key(|&r| (rank_of(&rank, at(r).party), at(r).kind));
        }
        2 => rows.sort_by_key(|&r| (at(r).level, at(r).days_overdue())),
        3 => rows.sort_by_key(|&r| (at(r).invoices.len(), at(r).days_overdue())),
        _ => rows.reverse(),
    }
    if sort.desc {
        rows.reverse();
    }
    let mut totals: Vec<Total> = Vec::new();
    for r in &list {
        for i in &r.invoices {
            let overdue = if i.days_overdue > 0 {
                i.outstanding
            } else {
                Decimal::ZERO
            };
            add_total(&mut totals, i.currency, i.outstanding, overdue);
        }
    }
    totals.sort_by_key(|t| t.currency);
    let target_row = match target {
        Some(Target::Invoice(id)) => rows
            .iter()
            .position(|&r| at(r).invoices.iter().any(|i| i.invoice == id)),
        _ => None,
    };
    Some(ViewResult {
        rows,
        totals,
        party_stats: None,
        target_row,
        reminders: Some(Arc::new(list)),
    })
}

/// What the status bar says at start: due reminders and the overdue amount in them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Banner {
    /// Due reminders (one per party and kind).
    pub due: usize,
    /// Outstanding of their overdue invoices, per currency, sorted by code.
    pub overdue: Vec<(Currency, Decimal)>,
}

impl Banner {
    /// Counts the due reminders as of `as_of`.
    pub fn compute(ledger: &Ledger, as_of: time::Date) -> Banner {
        let list = ledger.due_reminders(as_of, None);
        let mut overdue: Vec<(Currency, Decimal)> = Vec::new();
        for i in list.iter().flat_map(|r| r.invoices.iter()) {
            if i.days_overdue <= 0 {
                continue;
            }
            match overdue.iter_mut().find(|(c, _)| *c == i.currency) {
                Some(t) => t.1 += i.outstanding,
                None => overdue.push((i.currency, i.outstanding)),
            }
        }
        overdue.sort_by_key(|t| t.0);
        Banner {
            due: list.len(),
            overdue,
        }
    }

    /// One line: `⏰ 3 reminders due · overdue EUR 1000.00 · USD 20.00`.
    pub fn text(&self) -> String {
        let mut s = format!(
            "⏰ {} reminder{} due",
            self.due,
            if self.due == 1 { "" } else { "s" }
        );
        for (n, (c, v)) in self.overdue.iter().enumerate() {
            s.push_str(if n == 0 { " · overdue " } else { " · " });
            s.push_str(&format!("{c} {}", c.format(*v)));
        }
        s
    }
}

/// Display position of `t` among `rows`.
pub fn find_target(ledger: &Ledger, kind: ListKind, rows: &[u32], t: Target) -> Option<usize> {
    match (kind, t) {
        (ListKind::Payments, Target::Payment(id)) => {
            let p = ledger.payments();
            rows.iter().position(|&r| p[r as usize].id == id)
        }
        (ListKind::Invoices | ListKind::Reminders, Target::Invoice(id)) => {
            let v = ledger.invoices();
            rows.iter().position(|&r| v[r as usize].id == id)
        }
        (ListKind::Parties, Target::Party(id)) => {
            let v = ledger.parties();
            rows.iter().position(|&r| v[r as usize].id == id)
        }
        _ => None,
    }
}

/// Position of every party by case-folded name, indexed by party id.
fn name_ranks(ledger: &Ledger) -> Vec<u32> {
    let parties = ledger.parties();
    let mut order: Vec<usize> = (0..parties.len()).collect();
    let keys: Vec<String> = parties.iter().map(|p| p.name.to_lowercase()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    let max_id = parties.iter().map(|p| p.id.0).max().unwrap_or(0) as usize;
    let mut rank = vec![u32::MAX; max_id + 1];
    for (r, &i) in order.iter().enumerate() {
        rank[parties[i].id.0 as usize] = r as u32;
    }
    rank
}

fn rank_of(rank: &[u32], id: PartyId) -> u32 {
    rank.get(id.0 as usize).copied().unwrap_or(u32::MAX)
}

fn sort_rows(
    ledger: &Ledger,
    kind: ListKind,
    rows: &mut [u32],
    sort: SortSpec,
    rules: StatusRules,
    stats: Option<&HashMap<PartyId, PartyStats>>,
) {
    match kind {
        ListKind::Payments => {
            let p = ledger.payments();
            let at = |r: u32| &p[r as usize];
            match sort.column {
                1 => {
                    let rank = name_ranks(ledger);
                    rows.sort_by_cached_key(|&r| (rank_of(&rank, at(r).party), at(r).date));
                }
                2 => rows.sort_by_key(|&r| (at(r).amount, at(r).date)),
                3 => rows.sort_by_key(|&r| (at(r).currency, at(r).date)),
                4 => rows.sort_by_key(|&r| (at(r).method, at(r).date)),
                5 => rows.sort_by(|&a, &b| at(a).reference.cmp(&at(b).reference)),
                _ => rows.sort_by_key(|&r| (at(r).date, at(r).id)),
            }
        }
        ListKind::Invoices | ListKind::Reminders => {
            let v = ledger.invoices();
            let at = |r: u32| &v[r as usize];
            let col = if kind == ListKind::Reminders {
                // overdue, number, party, outstanding
                match sort.column {
                    0 => 100,
                    1 => 1,
                    2 => 2,
                    _ => 5,
                }
            } else {
                sort.column
            };
            match col {
                100 => {
                    // days overdue: earliest due first is most overdue; "desc" shows it first
                    rows.sort_by_key(|&r| std::cmp::Reverse((at(r).due_date, at(r).id)))
                }
                1 => rows.sort_by(|&a, &b| at(a).number.cmp(&at(b).number)),
                2 => {
                    let rank = name_ranks(ledger);
                    rows.sort_by_cached_key(|&r| (rank_of(&rank, at(r).party), at(r).due_date));
                }
                3 => rows.sort_by_key(|&r| (at(r).due_date, at(r).id)),
                4 => rows.sort_by_key(|&r| (at(r).amount, at(r).id)),
                5 => rows.sort_by_cached_key(|&r| {
                    (ledger.settlement(at(r), &rules).outstanding, at(r).id)
                }),
                6 => rows
                    .sort_by_cached_key(|&r| (status_rank(ledger, at(r), &rules), at(r).due_date)),
                _ => rows.sort_by_key(|&r| (at(r).issue_date, at(r).id)),
            }
        }
        ListKind::Parties => {
            let v = ledger.parties();
            let at = |r: u32| &v[r as usize];
            let st = |r: u32| stats.and_then(|s| s.get(&at(r).id));
            match sort.column {
                1 => rows.sort_by_key(|&r| at(r).role),
                2 => rows.sort_by_key(|&r| st(r).map_or(0, |s| s.open.len())),
                3 => rows.sort_by_key(|&r| st(r).map_or(0, |s| s.invoices)),
                _ => rows.sort_by_cached_key(|&r| at(r).name.to_lowercase()),
            }
        }
    }
    if sort.desc {
        rows.reverse();
    }
}

fn status_rank(ledger: &Ledger, inv: &Invoice, rules: &StatusRules) -> u8 {
    use crate::domain::InvoiceStatus as S;
    match ledger.settlement(inv, rules).status() {
        S::Overdue => 0,
        S::DueSoon => 1,
        S::Partial => 2,
        S::Open => 3,
        S::Paid => 4,
        S::Void => 5,
    }
}

fn add_total(acc: &mut Vec<Total>, c: Currency, a: Decimal, b: Decimal) {
    match acc.iter_mut().find(|t| t.currency == c) {
        Some(t) => {
            t.a += a;
            t.b += b;
        }
        None => acc.push(Total { currency: c, a, b }),
    }
}

fn totals(
    ledger: &Ledger,
    kind: ListKind,
    rows: &[u32],
    rules: StatusRules,
    stats: Option<&HashMap<PartyId, PartyStats>>,
) -> Vec<Total> {
    let mut acc: Vec<Total> = Vec::new();
    // Sums do not depend on the order: visit many rows in record order (sequential reads).
    let sorted;
    let rows = if rows.len() > 16 * 1024 && kind != ListKind::Parties {
        let len = match kind {
            ListKind::Payments => ledger.payments().len(),
            _ => ledger.invoices().len(),
        };
        sorted = query::in_index_order(rows, len);
        &sorted[..]
    } else {
        rows
    };
    let mut sums: Vec<(Currency, Sum, Sum)> = Vec::new();
    let mut add = |c: Currency, a: Decimal, b: Decimal| {
        let e = match sums.iter_mut().position(|e| e.0 == c) {
            Some(k) => &mut sums[k],
            None => {
                sums.push((c, Sum::default(), Sum::default()));
                sums.last_mut().expect("just pushed")
            }
        };
        e.1.add(a);
        e.2.add(b);
    };
    match kind {
        ListKind::Payments => {
            let p = ledger.payments();
            for &r in rows {
                let x = &p[r as usize];
                match x.direction {
                    Direction::In => add(x.currency, x.amount, Decimal::ZERO),
                    Direction::Out => add(x.currency, Decimal::ZERO, x.amount),
                }
            }
        }
        ListKind::Invoices | ListKind::Reminders => {
            let v = ledger.invoices();
            for &r in rows {
                let i = &v[r as usize];
                let s = ledger.settlement(i, &rules);
                if kind == ListKind::Invoices {
                    add(i.currency, i.amount, s.outstanding);
                } else {
                    let overdue = if s.overdue {
                        s.outstanding
                    } else {
                        Decimal::ZERO
                    };
                    add(i.currency, s.outstanding, overdue);
                }
            }
        }
        ListKind::Parties => {
            let v = ledger.parties();
            if let Some(stats) = stats {
                for &r in rows {
                    if let Some(s) = stats.get(&v[r as usize].id) {
                        for (c, k, amt) in &s.outstanding {
                            match k {
                                InvoiceKind::Receivable => {
                                    add_total(&mut acc, *c, *amt, Decimal::ZERO)
                                }
                                InvoiceKind::Payable => {
                                    add_total(&mut acc, *c, Decimal::ZERO, *amt)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    acc.extend(sums.into_iter().map(|(currency, a, b)| Total {
        currency,
        a: a.value(),
        b: b.value(),
    }));
    acc.sort_by_key(|t| t.currency);
    acc
}

/// An exact sum of decimals that adds those of the first scale seen as integers (most
/// amounts have their currency's scale), which is several times faster than adding
/// `Decimal`s; others are added as decimals.
#[derive(Clone, Copy, Debug, Default)]
struct Sum {
    /// Scale of the integer part of the sum, once one was seen.
    scale: Option<u32>,
    /// Sum of the mantissas at `scale`.
    mantissa: i128,
    /// Everything else.
    rest: Decimal,
}

impl Sum {
    #[inline]
    fn add(&mut self, x: Decimal) {
        if x.is_zero() {
            return;
        }
        let scale = x.scale();
        match self.scale {
            None => {
                self.scale = Some(scale);
                self.mantissa = x.mantissa();
            }
            Some(s) if s == scale => {
                // |mantissa| stays below 2^95, so it always makes a `Decimal` again
                let m = self.mantissa + x.mantissa();
                if m.unsigned_abs() < 1 << 95 {
                    self.mantissa = m;
                } else {
                    self.rest += x;
                }
            }
            Some(_) => self.rest += x,
        }
    }

    fn value(self) -> Decimal {
        let Some(scale) = self.scale else {
            return self.rest;
        };
        Decimal::try_from_i128_with_scale(self.mantissa, scale).unwrap_or_default() + self.rest
    }
}

/// Stats of every party in one pass over invoices and payments.
pub fn party_stats(ledger: &Ledger, rules: StatusRules) -> HashMap<PartyId, PartyStats> {
    let mut m: HashMap<PartyId, PartyStats> = HashMap::with_capacity(ledger.parties().len());
    fn bump<K: PartialEq + Copy>(
        v: &mut Vec<(Currency, K, Decimal)>,
        c: Currency,
        k: K,
        x: Decimal,
    ) {
        if x.is_zero() {
            return;
        }
        match v.iter_mut().find(|e| e.0 == c && e.1 == k) {
            Some(e) => e.2 += x,
            None => v.push((c, k, x)),
        }
    }
    let mut open_due: HashMap<PartyId, Vec<(time::Date, InvoiceId)>> = HashMap::new();
    for inv in ledger.invoices() {
        let st = m.entry(inv.party).or_default();
        st.invoices += 1;
        let s = ledger.settlement(inv, &rules);
        if !inv.void && s.outstanding > Decimal::ZERO {
            open_due
                .entry(inv.party)
                .or_default()
                .push((inv.due_date, inv.id));
            bump(&mut st.outstanding, inv.currency, inv.kind, s.outstanding);
            st.overdue |= s.overdue;
        }
        bump(
            &mut st.credit,
            inv.currency,
            inv.kind.direction(),
            s.overpaid,
        );
    }
    for p in ledger.payments() {
        let st = m.entry(p.party).or_default();
        st.payments += 1;
        if p.date <= rules.as_of {
            bump(&mut st.credit, p.currency, p.direction, p.unallocated());
        }
    }
    for (party, mut list) in open_due {
        list.sort();
        if let Some(st) = m.get_mut(&party) {
            st.open = list.into_iter().map(|(_, id)| id).collect();
        }
    }
    for st in m.values_mut() {
        st.outstanding.sort_by_key(|e| (e.0, e.1));
        st.credit.sort_by_key(|e| (e.0, e.1));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn integer_sums_equal_decimal_sums() {
        let xs = [
            "0.01",
            "12.50",
            "-3.25",
            "7",
            "0.001",
            "99999999.99",
            "0",
            "1.5",
            "-0.10",
        ];
        let mut fast = Sum::default();
        let mut slow = Decimal::ZERO;
        for x in xs.iter().cycle().take(1000) {
            fast.add(d(x));
            slow += d(x);
        }
        assert_eq!(fast.value(), slow);
        assert_eq!(Sum::default().value(), Decimal::ZERO);
        // near the top of the range the sum falls back to decimal addition
        let big = Decimal::MAX / d("4");
        let mut fast = Sum::default();
        for _ in 0..3 {
            fast.add(big);
        }
        assert_eq!(fast.value(), big + big + big);
    }
}
