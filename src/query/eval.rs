//! Evaluation of a parsed [`Query`] against ledger records, and the parallel filters.
//!
//! A query is first *prepared* against an [`EvalContext`]: relative dates are resolved
//! against "today", and each fuzzy word is matched once against every party name (there
//! are few parties), so a record's party test is a bit lookup. Terms are evaluated
//! cheapest first (direction, currency, amounts, dates, then related records, then fuzzy
//! text), stopping at the first that fails.
//!
//! Terms that need *related* records (a payment's invoices for words, `status:`,
//! `invoice:` and `due:`; an invoice's payments for `status:`, `method:` and `unlinked`)
//! are answered either by per-row look-ups, or, when many rows are left after the other
//! terms (estimated on a sample), by tables built per query in one parallel pass over
//! the related records (bit sets and as-of sums indexed by invoice id). Random look-ups
//! into 800,000 invoices cost far more than a sequential pass over them.
//!
//! No index over the ledger is kept between queries, so nothing needs updating after an
//! edit: the next filter sees the ledger as it is.

use std::sync::OnceLock;
use std::thread;

use rust_decimal::Decimal;
use time::Date;

use super::fuzzy::Pattern;
use super::parse::{AmountCond, Cond, DateCond, NumberPattern, Op, Query, QueryError, Term};
use crate::domain::ledger::Ledger;
use crate::domain::{
    Currency, Invoice, InvoiceStatus, Party, PartyId, Payment, Settlement, StatusRules,
};

/// What a query is evaluated against: the ledger and the status rules (`rules.as_of` is
/// "today" for relative dates and `due:`).
#[derive(Clone, Copy, Debug)]
pub struct EvalContext<'a> {
    /// All records.
    pub ledger: &'a Ledger,
    /// As-of date and due-soon window.
    pub rules: StatusRules,
}

impl<'a> EvalContext<'a> {
    /// A context over `ledger` with `rules`.
    pub fn new(ledger: &'a Ledger, rules: StatusRules) -> Self {
        EvalContext { ledger, rules }
    }
}

/// The kind of record a query is applied to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// Payments.
    Payment,
    /// Invoices and bills.
    Invoice,
    /// Parties.
    Party,
}

/// A set of record ids computed once per query, or "look each record up directly"
/// (single-record evaluation, or ids too sparse for a dense table).
enum IdSet {
    /// Bit `id` is set when the record with that id satisfies the condition.
    Bits(Vec<u64>),
    /// Not precomputed.
    Direct,
}

impl IdSet {
    /// Membership of `id`; `None` when not precomputed.
    #[inline]
    fn get(&self, id: u64) -> Option<bool> {
        match self {
            IdSet::Bits(b) => Some(bits_get(b, id)),
            IdSet::Direct => None,
        }
    }
}

#[inline]
fn set_bit(bits: &mut Vec<u64>, id: u64) {
    let w = (id >> 6) as usize;
    if w >= bits.len() {
        bits.resize(w + 1, 0);
    }
    bits[w] |= 1 << (id & 63);
}

fn or_into(acc: &mut Vec<u64>, other: &[u64]) {
    if acc.len() < other.len() {
        acc.resize(other.len(), 0);
    }
    for (a, b) in acc.iter_mut().zip(other) {
        *a |= *b;
    }
}

/// Largest id for which a dense per-id table is built, given the number of records.
fn id_limit(len: usize) -> u64 {
    (len as u64).saturating_mul(4) + 4096
}

/// Inclusive resolved date bounds.
#[derive(Clone, Copy, Debug)]
struct DateBounds {
    lo: Option<Date>,
    hi: Option<Date>,
    /// The condition can never hold (e.g. a relative date beyond the calendar).
    never: bool,
}

impl DateBounds {
    #[inline]
    fn contains(&self, d: Date) -> bool {
        !self.never && self.lo.is_none_or(|l| d >= l) && self.hi.is_none_or(|h| d <= h)
    }

    fn resolve(c: &DateCond, today: Date) -> DateBounds {
        let mut b = DateBounds {
            lo: None,
            hi: None,
            never: false,
        };
        match c {
            DateCond::Range(lo, hi) => {
                if let Some(s) = lo {
                    match s.resolve(today) {
                        Some((start, _)) => b.lo = Some(start),
                        None => b.never = true,
                    }
                }
                if let Some(s) = hi {
                    match s.resolve(today) {
                        Some((_, end)) => b.hi = Some(end),
                        None => b.never = true,
                    }
                }
            }
            DateCond::Cmp(op, s) => match s.resolve(today) {
                None => b.never = true,
                Some((start, end)) => match op {
                    Op::Lt => match start.previous_day() {
                        Some(d) => b.hi = Some(d),
                        None => b.never = true,
                    },
                    Op::Le => b.hi = Some(end),
                    Op::Gt => match end.next_day() {
                        Some(d) => b.lo = Some(d),
                        None => b.never = true,
                    },
                    Op::Ge => b.lo = Some(start),
                    Op::Eq => {
                        b.lo = Some(start);
                        b.hi = Some(end);
                    }
                },
            },
        }
        b
    }
}

/// A term ready for evaluation.
enum PCond<'q> {
    /// Fuzzy word; `names`: party ids whose name matches; `invoices`: invoice ids whose
    /// number matches (used for payments).
    Words {
        pat: &'q Pattern,
        names: IdSet,
        invoices: IdSet,
    },
    Party {
        pat: &'q Pattern,
        names: IdSet,
    },
    /// `invoices`: invoice ids having one of the statuses (used for payments).
    Status {
        mask: u8,
        invoices: IdSet,
    },
    Direction(u8),
    Method(u8),
    Currency(&'q [Currency]),
    Invoice {
        num: &'q NumberPattern,
        invoices: IdSet,
    },
    Unlinked,
    Amount(&'q AmountCond),
    Date(DateBounds),
    Due {
        bounds: DateBounds,
        invoices: IdSet,
    },
}

impl PCond<'_> {
    /// Relative cost of evaluating the term on a record of `kind` (cheapest first).
    fn cost(&self, kind: RecordKind, facts: &Facts) -> u8 {
        use PCond::*;
        let pre = |s: &IdSet| if matches!(s, IdSet::Bits(_)) { 1 } else { 3 };
        match (self, kind) {
            (Direction(_) | Currency(_) | Amount(_) | Date(_), _) => 0,
            (Method(_) | Unlinked, RecordKind::Payment) => 0,
            (Due { .. }, RecordKind::Invoice) => 0,
            (Party { names, .. }, _) => pre(names),
            (Invoice { .. }, RecordKind::Invoice) => 1,
            (Status { .. }, RecordKind::Invoice) if facts.allocated.is_some() => 1,
            (Method(_), RecordKind::Invoice) if facts.methods.is_some() => 0,
            (Unlinked, RecordKind::Invoice) if facts.linked.is_some() => 0,
            (Status { invoices, .. } | Invoice { invoices, .. } | Due { invoices, .. }, _) => {
                pre(invoices)
            }
            (Unlinked | Method(_), _) => 3,
            (Words { .. }, _) => 4,
        }
    }

    fn applies_to_parties(&self) -> bool {
        matches!(self, PCond::Words { .. } | PCond::Party { .. })
    }
}

/// Per-invoice facts gathered in one pass over the payments, indexed by invoice id.
#[derive(Default)]
struct Facts {
    /// Sum allocated as of today (for `status:`).
    allocated: Option<Vec<Decimal>>,
    /// Invoices with any allocation (for `unlinked` on invoices).
    linked: Option<Vec<u64>>,
    /// Bit set of the methods of the payments allocated to it (for `method:` on invoices).
    methods: Option<Vec<u8>>,
}

/// A query prepared against one context for one kind of record: evaluate many records
/// with it instead of calling `Query::matches_*` in a loop.
pub struct Prepared<'q> {
    ledger: &'q Ledger,
    rules: StatusRules,
    /// (negated, condition), cheapest first.
    terms: Vec<(bool, PCond<'q>)>,
    facts: Facts,
    /// Some term does not apply to parties.
    not_for_parties: bool,
}

#[inline]
fn bit(x: u8) -> u8 {
    1u8 << x
}

/// Bit set of every status the settlement has (`Settlement::has`).
#[inline]
fn status_bits(s: &Settlement) -> u8 {
    let mut bits = 0;
    for st in InvoiceStatus::ALL {
        if s.has(*st) {
            bits |= bit(*st as u8);
        }
    }
    bits
}

/// Party ids whose name matches `p` (parties are few: one pass per word and query).
fn party_names(p: &Pattern, ledger: &Ledger) -> IdSet {
    let parties = ledger.parties();
    let limit = id_limit(parties.len());
    let mut bits = Vec::new();
    for party in parties {
        if party.id.0 > limit {
            return IdSet::Direct;
        }
        if p.is_match(&party.name) {
            set_bit(&mut bits, party.id.0);
        }
    }
    IdSet::Bits(bits)
}

/// Gathers the per-invoice facts `want`ed, in parallel over the payments.
fn gather_facts(ledger: &Ledger, as_of: Date, want: (bool, bool, bool)) -> Facts {
    let (want_alloc, want_linked, want_methods) = want;
    if !(want_alloc || want_linked || want_methods) {
        return Facts::default();
    }
    let limit = id_limit(ledger.invoices().len());
    let max = ledger.invoices().len() + 1;
    let parts = par_chunks(ledger.payments(), |_, chunk| {
        let mut alloc = if want_alloc {
            vec![Decimal::ZERO; max]
        } else {
            Vec::new()
        };
        let mut linked = Vec::new();
        let mut methods = if want_methods {
            vec![0u8; max]
        } else {
            Vec::new()
        };
        for p in chunk {
            let counts = p.date <= as_of;
            let m = bit(p.method as u8);
            for a in &p.allocations {
                let id = a.invoice.0;
                if id > limit {
                    return None;
                }
                let i = id as usize;
                if want_alloc && counts {
                    if i >= alloc.len() {
                        alloc.resize(i + 1, Decimal::ZERO);
                    }
                    add_amount(&mut alloc[i], a.amount);
                }
                if want_linked {
                    set_bit(&mut linked, id);
                }
                if want_methods {
                    if i >= methods.len() {
                        methods.resize(i + 1, 0);
                    }
                    methods[i] |= m;
                }
            }
        }
        Some((alloc, linked, methods))
    });
    let mut it = parts.into_iter();
    let Some(Some((mut alloc, mut linked, mut methods))) = it.next() else {
        return Facts::default();
    };
    for part in it {
        let Some((a, l, m)) = part else {
            return Facts::default();
        };
        if alloc.len() < a.len() {
            alloc.resize(a.len(), Decimal::ZERO);
        }
        for (x, y) in alloc.iter_mut().zip(&a) {
            add_amount(x, *y);
        }
        or_into(&mut linked, &l);
        if methods.len() < m.len() {
            methods.resize(m.len(), 0);
        }
        for (x, y) in methods.iter_mut().zip(&m) {
            *x |= *y;
        }
    }
    Facts {
        allocated: want_alloc.then_some(alloc),
        linked: want_linked.then_some(linked),
        methods: want_methods.then_some(methods),
    }
}

/// `*acc += x`, skipping the (comparatively slow) decimal addition when a side is zero,
/// which is the common case (most invoices are paid by one payment).
#[inline]
fn add_amount(acc: &mut Decimal, x: Decimal) {
    if acc.is_zero() {
        *acc = x;
    } else if !x.is_zero() {
        *acc += x;
    }
}

/// What a payment term needs to know about each invoice, precomputed per invoice id.
enum InvPred<'q> {
    Number(&'q Pattern),
    Exact(&'q NumberPattern),
    Status(u8),
    Due(DateBounds),
}

/// One bit set per predicate over invoice ids, in parallel over the invoices; `None` when
/// ids are too sparse for dense tables.
fn invoice_sets(
    ledger: &Ledger,
    preds: &[InvPred],
    facts: &Facts,
    rules: &StatusRules,
) -> Option<Vec<Vec<u64>>> {
    let limit = id_limit(ledger.invoices().len());
    let parts = par_chunks(ledger.invoices(), |_, chunk| {
        let mut sets = vec![Vec::new(); preds.len()];
        for inv in chunk {
            let id = inv.id.0;
            if id > limit {
                return None;
            }
            for (k, pred) in preds.iter().enumerate() {
                let hit = match pred {
                    InvPred::Number(p) => p.is_match(&inv.number),
                    InvPred::Exact(n) => n.matches(&inv.number),
                    InvPred::Status(mask) => {
                        let allocated = facts
                            .allocated
                            .as_ref()
                            .and_then(|a| a.get(id as usize))
                            .copied()
                            .unwrap_or(Decimal::ZERO);
                        status_bits(&Settlement::derive(inv, allocated, rules)) & mask != 0
                    }
                    InvPred::Due(b) => b.contains(inv.due_date),
                };
                if hit {
                    set_bit(&mut sets[k], id);
                }
            }
        }
        Some(sets)
    });
    let mut it = parts.into_iter();
    let mut acc = it.next().flatten()?;
    for part in it {
        for (a, b) in acc.iter_mut().zip(part?) {
            or_into(a, &b);
        }
    }
    Some(acc)
}

/// A folded fuzzy word and the bit set (by invoice id) of the invoice numbers it matches.
type WordSet = (Vec<char>, std::sync::Arc<Vec<u64>>);

/// Which invoices' numbers match a fuzzy word, remembered between queries over one
/// ledger: typing `gard` after `gar` tests only the invoices that matched `gar` instead
/// of every invoice. Give a memo only to queries over the ledger it was made for (start
/// a new one when the ledger changes).
#[derive(Default)]
pub struct WordMemo {
    /// (folded word, bit set by invoice id), newest last.
    sets: std::sync::Mutex<Vec<WordSet>>,
    /// The characters occurring in any invoice number (folded), when known: a word with
    /// another character matches no invoice number, without a pass over them.
    chars: Option<CharSet>,
}

/// A set of folded characters: ASCII ones exactly, all others as one flag.
#[derive(Clone, Copy, Debug, Default)]
struct CharSet {
    ascii: u128,
    other: bool,
}

impl CharSet {
    fn insert(&mut self, c: char) {
        if c.is_ascii() {
            self.ascii |= 1 << (c as u32);
        } else {
            self.other = true;
        }
    }

    fn may_contain(&self, c: char) -> bool {
        if c.is_ascii() {
            self.ascii & (1 << (c as u32)) != 0
        } else {
            self.other
        }
    }
}

/// Words a memo keeps.
const MEMO_WORDS: usize = 16;

impl WordMemo {
    /// A new, empty memo.
    pub fn new() -> WordMemo {
        WordMemo::default()
    }

    /// A new memo for `ledger` that also knows which characters its invoice numbers use
    /// (one pass over them now, so that later words without a common character skip theirs).
    pub fn for_ledger(ledger: &Ledger) -> WordMemo {
        let parts = par_chunks(ledger.invoices(), |_, chunk| {
            let mut set = CharSet::default();
            for inv in chunk {
                let n = inv.number.as_bytes();
                if n.is_ascii() {
                    for &b in n {
                        set.ascii |= 1 << b.to_ascii_lowercase();
                    }
                } else {
                    for c in inv.number.chars().flat_map(char::to_lowercase) {
                        set.insert(c);
                    }
                }
            }
            set
        });
        let chars = parts.into_iter().fold(CharSet::default(), |a, b| CharSet {
            ascii: a.ascii | b.ascii,
            other: a.other | b.other,
        });
        WordMemo {
            sets: Default::default(),
            chars: Some(chars),
        }
    }

    /// The bit set of invoices whose number matches `pat`, if it follows from a
    /// remembered one (the same word, or a word `pat` extends: then only its invoices
    /// are tested).
    fn numbers(&self, ledger: &Ledger, pat: &Pattern) -> Option<std::sync::Arc<Vec<u64>>> {
        if let Some(chars) = &self.chars {
            if !pat.folded().iter().all(|&c| chars.may_contain(c)) {
                return Some(std::sync::Arc::new(Vec::new()));
            }
        }
        let base = {
            let sets = self.sets.lock().ok()?;
            if let Some((_, s)) = sets.iter().find(|(w, _)| w == pat.folded()) {
                return Some(s.clone());
            }
            sets.iter()
                .filter(|(w, _)| super::narrow::chars_in_order(pat.folded(), w))
                .min_by_key(|(_, s)| s.iter().map(|w| w.count_ones()).sum::<u32>())
                .map(|(_, s)| s.clone())?
        };
        let mut out = vec![0u64; base.len()];
        for (k, &w) in base.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                let id = (k as u64) << 6 | u64::from(w.trailing_zeros());
                w &= w - 1;
                if ledger
                    .invoice(crate::domain::InvoiceId(id))
                    .is_some_and(|i| pat.is_match(&i.number))
                {
                    out[k] |= 1 << (id & 63);
                }
            }
        }
        let out = std::sync::Arc::new(out);
        self.remember_arc(pat, out.clone());
        Some(out)
    }

    fn remember(&self, pat: &Pattern, set: &[u64]) {
        self.remember_arc(pat, std::sync::Arc::new(set.to_vec()));
    }

    fn remember_arc(&self, pat: &Pattern, set: std::sync::Arc<Vec<u64>>) {
        if let Ok(mut sets) = self.sets.lock() {
            sets.retain(|(w, _)| w != pat.folded());
            sets.push((pat.folded().to_vec(), set));
            if sets.len() > MEMO_WORDS {
                sets.remove(0);
            }
        }
    }
}

impl Query {
    /// Whether the query has no terms (matches everything).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms, in the order written.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Prepares the query for evaluating many records of `kind`: per-party fuzzy
    /// matches and, where terms need them, per-invoice facts are computed once (a few
    /// parallel passes over the records), so each record is then cheap to test.
    pub fn prepare<'q>(&'q self, ctx: &EvalContext<'q>, kind: RecordKind) -> Prepared<'q> {
        self.prepare_with(ctx, kind, kind != RecordKind::Party)
    }

    fn prepare_with<'q>(
        &'q self,
        ctx: &EvalContext<'q>,
        kind: RecordKind,
        tables: bool,
    ) -> Prepared<'q> {
        build_prepared(self.terms.iter(), ctx, kind, tables, tables, None)
    }

    /// Whether payment `p` matches (single record; for many, use [`filter_payments`]).
    pub fn matches_payment(&self, ctx: &EvalContext, p: &Payment) -> bool {
        self.prepare_with(ctx, RecordKind::Payment, false)
            .matches_payment(p)
    }

    /// Whether invoice `i` matches (single record; for many, use [`filter_invoices`]).
    pub fn matches_invoice(&self, ctx: &EvalContext, i: &Invoice) -> bool {
        self.prepare_with(ctx, RecordKind::Invoice, false)
            .matches_invoice(i)
    }

    /// Whether party `p` matches. Terms that do not apply to parties (see
    /// [`Query::check_applies`]) never match, negated or not.
    pub fn matches_party(&self, ctx: &EvalContext, p: &Party) -> bool {
        self.prepare_with(ctx, RecordKind::Party, false)
            .matches_party(p)
    }

    /// The positive fuzzy words (bare words and `party:TEXT`), for highlighting.
    pub fn fuzzy_words(&self) -> Vec<String> {
        self.terms
            .iter()
            .filter(|t| !t.negated)
            .filter_map(|t| match &t.cond {
                Cond::Words(p) | Cond::Party(p) => Some(p.text().to_string()),
                _ => None,
            })
            .collect()
    }

    /// An error naming the first term that does not apply to records of `kind`
    /// (only bare words and `party:` apply to parties).
    pub fn check_applies(&self, kind: RecordKind) -> Result<(), QueryError> {
        if kind != RecordKind::Party {
            return Ok(());
        }
        match self
            .terms
            .iter()
            .find(|t| !matches!(t.cond, Cond::Words(_) | Cond::Party(_)))
        {
            Some(t) => Err(QueryError {
                message: format!(
                    "'{}' does not apply to parties (only words and party: do)",
                    t.text
                ),
                span: t.span.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// Whether evaluating `cond` on records of `kind` needs data about *other* records
/// (invoices of a payment, payments of an invoice), which bulk filtering precomputes.
fn needs_related(cond: &Cond, kind: RecordKind) -> bool {
    match kind {
        RecordKind::Payment => matches!(
            cond,
            Cond::Words(_) | Cond::Status(_) | Cond::Invoice(_) | Cond::Due(_)
        ),
        RecordKind::Invoice => matches!(cond, Cond::Status(_) | Cond::Method(_) | Cond::Unlinked),
        RecordKind::Party => false,
    }
}

/// Prepares `terms` for records of `kind`. `party_tables`: match fuzzy words against all
/// party names once; `related_tables`: precompute per-invoice facts and sets (a pass over
/// the invoices and/or payments) instead of looking related records up per row.
fn build_prepared<'q>(
    terms: impl Iterator<Item = &'q Term>,
    ctx: &EvalContext<'q>,
    kind: RecordKind,
    party_tables: bool,
    related_tables: bool,
    memo: Option<&WordMemo>,
) -> Prepared<'q> {
    let today = ctx.rules.as_of;
    let ledger = ctx.ledger;
    let names = |p: &Pattern| {
        if party_tables {
            party_names(p, ledger)
        } else {
            IdSet::Direct
        }
    };
    let mut terms: Vec<(bool, PCond<'q>)> = terms
        .map(|t| {
            let c = match &t.cond {
                Cond::Words(p) => PCond::Words {
                    pat: p,
                    names: names(p),
                    invoices: IdSet::Direct,
                },
                Cond::Party(p) => PCond::Party {
                    pat: p,
                    names: names(p),
                },
                Cond::Status(v) => PCond::Status {
                    mask: v.iter().fold(0, |m, s| m | bit(*s as u8)),
                    invoices: IdSet::Direct,
                },
                Cond::Direction(v) => PCond::Direction(v.iter().fold(0, |m, d| m | bit(*d as u8))),
                Cond::Method(v) => PCond::Method(v.iter().fold(0, |m, x| m | bit(*x as u8))),
                Cond::Currency(v) => PCond::Currency(v),
                Cond::Invoice(n) => PCond::Invoice {
                    num: n,
                    invoices: IdSet::Direct,
                },
                Cond::Unlinked => PCond::Unlinked,
                Cond::Amount(a) => PCond::Amount(a),
                Cond::Date(d) => PCond::Date(DateBounds::resolve(d, today)),
                Cond::Due(d) => PCond::Due {
                    bounds: DateBounds::resolve(d, today),
                    invoices: IdSet::Direct,
                },
            };
            (t.negated, c)
        })
        .collect();
    let has = |f: fn(&PCond) -> bool| terms.iter().any(|(_, c)| f(c));
    let facts = if !related_tables {
        Facts::default()
    } else {
        match kind {
            RecordKind::Payment => gather_facts(
                ledger,
                today,
                (has(|c| matches!(c, PCond::Status { .. })), false, false),
            ),
            RecordKind::Invoice => gather_facts(
                ledger,
                today,
                (
                    has(|c| matches!(c, PCond::Status { .. })),
                    has(|c| matches!(c, PCond::Unlinked)),
                    has(|c| matches!(c, PCond::Method(_))),
                ),
            ),
            RecordKind::Party => Facts::default(),
        }
    };
    if related_tables && kind == RecordKind::Payment {
        precompute_invoice_sets(&mut terms, ledger, &facts, &ctx.rules, memo);
    }
    terms.sort_by_key(|(_, c)| c.cost(kind, &facts));
    let not_for_parties = terms.iter().any(|(_, c)| !c.applies_to_parties());
    Prepared {
        ledger,
        rules: ctx.rules,
        terms,
        facts,
        not_for_parties,
    }
}

/// Replaces the per-payment invoice look-ups of `terms` by invoice-id sets.
fn precompute_invoice_sets(
    terms: &mut [(bool, PCond<'_>)],
    ledger: &Ledger,
    facts: &Facts,
    rules: &StatusRules,
    memo: Option<&WordMemo>,
) {
    // Fuzzy words first from the memo: the same word again, or a longer one whose
    // matching invoices are among those of a word it extends.
    let mut from_memo = Vec::new();
    if let Some(memo) = memo {
        for (_, c) in terms.iter_mut() {
            if let PCond::Words { pat, invoices, .. } = c {
                if let Some(set) = memo.numbers(ledger, pat) {
                    from_memo.push(pat.folded().to_vec());
                    *invoices = IdSet::Bits(set.to_vec());
                }
            }
        }
    }
    let mut preds = Vec::new();
    for (_, c) in terms.iter() {
        match c {
            PCond::Words { pat, .. } if from_memo.iter().any(|f| f == pat.folded()) => {}
            PCond::Words { pat, .. } => preds.push(InvPred::Number(pat)),
            PCond::Invoice { num, .. } => preds.push(InvPred::Exact(num)),
            PCond::Status { mask, .. } => preds.push(InvPred::Status(*mask)),
            PCond::Due { bounds, .. } => preds.push(InvPred::Due(*bounds)),
            _ => {}
        }
    }
    // Without as-of sums (sparse ids), status falls back to per-payment look-ups.
    let skip_status = facts.allocated.is_none();
    if skip_status {
        preds.retain(|p| !matches!(p, InvPred::Status(_)));
    }
    if preds.is_empty() {
        return;
    }
    let Some(sets) = invoice_sets(ledger, &preds, facts, rules) else {
        return;
    };
    let mut sets = sets.into_iter();
    for (_, c) in terms.iter_mut() {
        let slot = match c {
            PCond::Words { pat, .. } if from_memo.iter().any(|f| f == pat.folded()) => continue,
            PCond::Words { pat, invoices, .. } => {
                if let Some(s) = sets.next() {
                    if let Some(memo) = memo {
                        memo.remember(pat, &s);
                    }
                    *invoices = IdSet::Bits(s);
                }
                continue;
            }
            PCond::Invoice { invoices, .. } | PCond::Due { invoices, .. } => invoices,
            PCond::Status { invoices, .. } if !skip_status => invoices,
            _ => continue,
        };
        if let Some(s) = sets.next() {
            *slot = IdSet::Bits(s);
        }
    }
}

impl Prepared<'_> {
    #[inline]
    fn names_match(&self, names: &IdSet, pat: &Pattern, party: PartyId) -> bool {
        names.get(party.0).unwrap_or_else(|| {
            self.ledger
                .party(party)
                .is_some_and(|p| pat.is_match(&p.name))
        })
    }

    /// Whether any invoice `p` is allocated to is in `set` (or satisfies `direct`).
    #[inline]
    fn any_invoice(&self, p: &Payment, set: &IdSet, direct: impl Fn(&Invoice) -> bool) -> bool {
        p.allocations.iter().any(|a| {
            set.get(a.invoice.0)
                .unwrap_or_else(|| self.ledger.invoice(a.invoice).is_some_and(&direct))
        })
    }

    fn settlement(&self, i: &Invoice) -> Settlement {
        match &self.facts.allocated {
            Some(a) => Settlement::derive(
                i,
                a.get(i.id.0 as usize).copied().unwrap_or(Decimal::ZERO),
                &self.rules,
            ),
            None => self.ledger.settlement(i, &self.rules),
        }
    }

    /// Whether payment `p` matches.
    #[inline]
    pub fn matches_payment(&self, p: &Payment) -> bool {
        self.terms
            .iter()
            .all(|(neg, c)| self.payment_cond(c, p) != *neg)
    }

    fn payment_cond(&self, c: &PCond, p: &Payment) -> bool {
        match c {
            PCond::Words {
                pat,
                names,
                invoices,
            } => {
                self.names_match(names, pat, p.party)
                    || self.any_invoice(p, invoices, |i| pat.is_match(&i.number))
                    || pat.is_match(&p.reference)
                    || pat.is_match(&p.notes)
            }
            PCond::Party { pat, names } => self.names_match(names, pat, p.party),
            PCond::Status { mask, invoices } => self.any_invoice(p, invoices, |i| {
                status_bits(&self.ledger.settlement(i, &self.rules)) & mask != 0
            }),
            PCond::Direction(mask) => bit(p.direction as u8) & mask != 0,
            PCond::Method(mask) => bit(p.method as u8) & mask != 0,
            PCond::Currency(list) => list.contains(&p.currency),
            PCond::Invoice { num, invoices } => {
                self.any_invoice(p, invoices, |i| num.matches(&i.number))
            }
            PCond::Unlinked => p.unallocated() > Decimal::ZERO,
            PCond::Amount(a) => a.matches(p.amount),
            PCond::Date(b) => b.contains(p.date),
            PCond::Due { bounds, invoices } => {
                self.any_invoice(p, invoices, |i| bounds.contains(i.due_date))
            }
        }
    }

    /// Whether invoice `i` matches.
    #[inline]
    pub fn matches_invoice(&self, i: &Invoice) -> bool {
        self.terms
            .iter()
            .all(|(neg, c)| self.invoice_cond(c, i) != *neg)
    }

    fn invoice_cond(&self, c: &PCond, i: &Invoice) -> bool {
        let id = i.id.0 as usize;
        match c {
            PCond::Words { pat, names, .. } => {
                self.names_match(names, pat, i.party)
                    || pat.is_match(&i.number)
                    || pat.is_match(&i.notes)
            }
            PCond::Party { pat, names } => self.names_match(names, pat, i.party),
            PCond::Status { mask, .. } => status_bits(&self.settlement(i)) & mask != 0,
            PCond::Direction(mask) => bit(i.kind.direction() as u8) & mask != 0,
            PCond::Method(mask) => match &self.facts.methods {
                Some(m) => m.get(id).is_some_and(|b| b & mask != 0),
                None => self.ledger.allocations_to(i.id).iter().any(|a| {
                    self.ledger
                        .payment(a.payment)
                        .is_some_and(|p| bit(p.method as u8) & mask != 0)
                }),
            },
            PCond::Currency(list) => list.contains(&i.currency),
            PCond::Invoice { num, .. } => num.matches(&i.number),
            PCond::Unlinked => match &self.facts.linked {
                Some(l) => !bits_get(l, i.id.0),
                None => self.ledger.allocations_to(i.id).is_empty(),
            },
            PCond::Amount(a) => a.matches(i.amount),
            PCond::Date(b) => b.contains(i.issue_date),
            PCond::Due { bounds, .. } => bounds.contains(i.due_date),
        }
    }

    /// Whether party `p` matches; terms that do not apply to parties never match.
    #[inline]
    pub fn matches_party(&self, p: &Party) -> bool {
        if self.not_for_parties {
            return false;
        }
        self.terms.iter().all(|(neg, c)| {
            let m = match c {
                PCond::Words { pat, .. } => {
                    pat.is_match(&p.name) || pat.is_match(&p.email) || pat.is_match(&p.notes)
                }
                PCond::Party { pat, .. } => pat.is_match(&p.name),
                _ => false,
            };
            m != *neg
        })
    }
}

#[inline]
fn bits_get(bits: &[u64], id: u64) -> bool {
    usize::try_from(id >> 6)
        .ok()
        .and_then(|w| bits.get(w))
        .is_some_and(|w| (w >> (id & 63)) & 1 == 1)
}

/// Rows per thread below which splitting the work is not worth a thread.
const MIN_ROWS_PER_THREAD: usize = 16 * 1024;

fn cores() -> usize {
    static N: OnceLock<usize> = OnceLock::new();
    *N.get_or_init(|| thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs `f(offset, chunk)` over contiguous chunks of `items` on all cores; results in order.
fn par_chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(usize, &[T]) -> R + Sync) -> Vec<R> {
    let n = items.len();
    let threads = cores().min(n.div_ceil(MIN_ROWS_PER_THREAD)).max(1);
    if threads == 1 {
        return vec![f(0, items)];
    }
    let size = n.div_ceil(threads);
    thread::scope(|s| {
        let f = &f;
        let mut chunks = items.chunks(size).enumerate();
        let first = chunks.next();
        let handles: Vec<_> = chunks
            .map(|(k, c)| s.spawn(move || f(k * size, c)))
            .collect();
        let mut out = Vec::with_capacity(threads);
        if let Some((_, c)) = first {
            out.push(f(0, c));
        }
        for h in handles {
            out.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

/// Below this share of the records left by the terms that only read the record itself,
/// the terms that need related records look them up per row instead of precomputing
/// tables over all related records.
const DIRECT_SHARE: usize = 16;

/// Records sampled to estimate how selective the self-contained terms are.
const SAMPLE: usize = 4096;

/// Filters `items` on all cores. Terms that need related records (the invoices of a
/// payment, the payments of an invoice) are evaluated through tables precomputed over all
/// related records when many rows pass the other terms, and by direct look-ups when few
/// do; the share is estimated on an even sample of the rows.
///
/// `rows`: only these records (indices into `items`), in this order, else all of them in
/// slice order. `None` when `cancel` said so (it is asked every few thousand records).
#[allow(clippy::too_many_arguments)]
fn filter_rows<T: Sync>(
    ctx: &EvalContext,
    q: &Query,
    kind: RecordKind,
    items: &[T],
    rows: Option<&[u32]>,
    related_len: usize,
    cancel: &Cancelled,
    memo: Option<&WordMemo>,
    eval: impl Fn(&Prepared, &T) -> bool + Sync,
) -> Option<Vec<u32>> {
    let n = rows.map_or(items.len(), <[u32]>::len);
    let at = |j: usize| -> &T {
        match rows {
            Some(r) => &items[r[j] as usize],
            None => &items[j],
        }
    };
    if q.is_empty() {
        return Some(match rows {
            Some(r) => r.to_vec(),
            None => (0..items.len() as u32).collect(),
        });
    }
    let heavy = q.terms.iter().any(|t| needs_related(&t.cond, kind));
    let tables = heavy && {
        let light = q.terms.iter().filter(|t| !needs_related(&t.cond, kind));
        let light_p = build_prepared(light, ctx, kind, true, false, None);
        let step = (n / SAMPLE).max(1);
        let (mut seen, mut hits) = (0usize, 0usize);
        for j in (0..n).step_by(step) {
            seen += 1;
            hits += usize::from(eval(&light_p, at(j)));
        }
        // estimated rows left, times the cost ratio, against the related records
        let left = hits.saturating_mul(n) / seen.max(1);
        left.saturating_mul(DIRECT_SHARE) > related_len.max(n)
    };
    if cancel() {
        return None;
    }
    let prep = build_prepared(q.terms.iter(), ctx, kind, true, tables, memo);
    if cancel() {
        return None;
    }
    match rows {
        Some(r) if r.len() > SCATTERED => {
            // Many rows in display order are scattered over the records: visit them in
            // record order (sequential memory access), then put the hits back in order.
            let asc = in_index_order(r, items.len());
            let hits = par_filter_at(asc.len(), cancel, |j| {
                let i = asc[j];
                eval(&prep, &items[i as usize]).then_some(i)
            })?;
            let mut hit = vec![0u64; items.len().div_ceil(64)];
            for i in hits {
                hit[(i >> 6) as usize] |= 1 << (i & 63);
            }
            Some(
                r.iter()
                    .copied()
                    .filter(|&i| bits_get(&hit, u64::from(i)))
                    .collect(),
            )
        }
        _ => par_filter_at(n, cancel, |j| {
            let x = at(j);
            eval(&prep, x).then(|| match rows {
                Some(r) => r[j],
                None => j as u32,
            })
        }),
    }
}

/// Rows above which a subset is visited in record order rather than in the order given.
const SCATTERED: usize = 16 * 1024;

/// `rows` (distinct indices below `len`) in ascending order, in O(rows + len / 64)
/// through a bit set: for visiting a large subset of records sequentially.
pub fn in_index_order(rows: &[u32], len: usize) -> Vec<u32> {
    let mut bits = vec![0u64; len.div_ceil(64)];
    for &i in rows {
        if let Some(w) = bits.get_mut((i >> 6) as usize) {
            *w |= 1 << (i & 63);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (k, &w) in bits.iter().enumerate() {
        let mut w = w;
        while w != 0 {
            out.push((k as u32) << 6 | w.trailing_zeros());
            w &= w - 1;
        }
    }
    out
}

/// Asked during long scans: whether the result is no longer wanted.
pub type Cancelled<'a> = dyn Fn() -> bool + Sync + 'a;

/// Positions per cancellation check.
const CANCEL_EVERY: usize = 4096;

/// `f(j)` for every position `j` in `0..n` on all cores, keeping the `Some` values in
/// order; `None` as soon as `cancel` says so.
fn par_filter_at(
    n: usize,
    cancel: &Cancelled,
    f: impl Fn(usize) -> Option<u32> + Sync,
) -> Option<Vec<u32>> {
    let run = |range: std::ops::Range<usize>| -> Option<Vec<u32>> {
        let mut out = Vec::with_capacity(range.len() / 8);
        let mut start = range.start;
        while start < range.end {
            if cancel() {
                return None;
            }
            let end = (start + CANCEL_EVERY).min(range.end);
            out.extend((start..end).filter_map(&f));
            start = end;
        }
        Some(out)
    };
    let threads = cores().min(n.div_ceil(MIN_ROWS_PER_THREAD)).max(1);
    if threads == 1 {
        return run(0..n);
    }
    let size = n.div_ceil(threads);
    let parts: Vec<Option<Vec<u32>>> = thread::scope(|s| {
        let run = &run;
        let handles: Vec<_> = (1..threads)
            .map(|k| s.spawn(move || run(k * size..((k + 1) * size).min(n))))
            .collect();
        let mut out = Vec::with_capacity(threads);
        out.push(run(0..size.min(n)));
        for h in handles {
            out.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    });
    let mut parts = parts.into_iter().collect::<Option<Vec<_>>>()?.into_iter();
    let mut out = parts.next().unwrap_or_default();
    out.reserve(parts.as_slice().iter().map(Vec::len).sum());
    for p in parts {
        out.extend(p);
    }
    Some(out)
}

fn never() -> bool {
    false
}

fn to_usize(v: Option<Vec<u32>>) -> Vec<usize> {
    v.unwrap_or_default()
        .into_iter()
        .map(|i| i as usize)
        .collect()
}

/// Indices into `ctx.ledger.payments()` (ledger order) of the payments matching `q`,
/// computed on all cores.
pub fn filter_payments(ctx: &EvalContext, q: &Query) -> Vec<usize> {
    to_usize(filter_payments_in(ctx, q, None, &never, None))
}

/// The payments matching `q` among `rows` (indices into `ctx.ledger.payments()`, kept in
/// their order; all payments in ledger order when `None`), on all cores. `None` when
/// `cancel` returned true during the scan. `memo`: invoice-number matches of earlier
/// words over the same ledger (see [`WordMemo`]).
pub fn filter_payments_in(
    ctx: &EvalContext,
    q: &Query,
    rows: Option<&[u32]>,
    cancel: &Cancelled,
    memo: Option<&WordMemo>,
) -> Option<Vec<u32>> {
    let related = ctx.ledger.invoices().len();
    filter_rows(
        ctx,
        q,
        RecordKind::Payment,
        ctx.ledger.payments(),
        rows,
        related,
        cancel,
        memo,
        |p, x| p.matches_payment(x),
    )
}

/// Indices into `ctx.ledger.invoices()` of the invoices matching `q`, on all cores.
pub fn filter_invoices(ctx: &EvalContext, q: &Query) -> Vec<usize> {
    to_usize(filter_invoices_in(ctx, q, None, &never))
}

/// The invoices matching `q` among `rows` (see [`filter_payments_in`]).
pub fn filter_invoices_in(
    ctx: &EvalContext,
    q: &Query,
    rows: Option<&[u32]>,
    cancel: &Cancelled,
) -> Option<Vec<u32>> {
    let related = ctx.ledger.payments().len();
    filter_rows(
        ctx,
        q,
        RecordKind::Invoice,
        ctx.ledger.invoices(),
        rows,
        related,
        cancel,
        None,
        |p, x| p.matches_invoice(x),
    )
}

/// Indices into `ctx.ledger.parties()` of the parties matching `q` (empty when a term
/// does not apply to parties; see [`Query::check_applies`]).
pub fn filter_parties(ctx: &EvalContext, q: &Query) -> Vec<usize> {
    to_usize(filter_parties_in(ctx, q, None, &never))
}

/// The parties matching `q` among `rows` (see [`filter_payments_in`]).
pub fn filter_parties_in(
    ctx: &EvalContext,
    q: &Query,
    rows: Option<&[u32]>,
    cancel: &Cancelled,
) -> Option<Vec<u32>> {
    let items = ctx.ledger.parties();
    let n = rows.map_or(items.len(), <[u32]>::len);
    let pos = |j: usize| rows.map_or(j as u32, |r| r[j]);
    if q.is_empty() {
        return Some((0..n).map(pos).collect());
    }
    let prep = q.prepare(ctx, RecordKind::Party);
    if prep.not_for_parties {
        return Some(Vec::new());
    }
    par_filter_at(n, cancel, |j| {
        let i = pos(j);
        prep.matches_party(&items[i as usize]).then_some(i)
    })
}
