//! Matching payments to invoices: ranked candidates for each payment with an unallocated
//! remainder, applying the unambiguous ones, and applying a party's credit (FIFO).
//!
//! Candidates are open invoices (not void, outstanding > 0) of the payment's party,
//! currency and matching kind. Each gets a score from its reasons:
//! - the invoice number appears in the payment's reference or notes ([`SCORE_NUMBER`]);
//! - the outstanding equals the payment's remainder ([`SCORE_AMOUNT`]);
//! - the party's oldest open invoices (two or more, by due date) sum exactly to the
//!   remainder ([`SCORE_FIFO`], one candidate covering them all);
//! - the payment date is close to the due date (up to [`SCORE_DATE`]).
//!
//! A candidate is *strong* at [`THRESHOLD`] or more; a payment is unambiguous when exactly
//! one candidate is strong. Open invoices are indexed once per run by (party, currency,
//! kind), with an index by outstanding amount, so each payment costs a few lookups.

use std::collections::HashMap;

use rust_decimal::Decimal;
use time::Date;

use super::ledger::Ledger;
use super::{
    Allocation, Change, ChangeSet, Currency, Invoice, InvoiceId, InvoiceKind, PartyId, Payment,
    PaymentId, StatusRules,
};

/// Points for the invoice number found in the reference or notes.
pub const SCORE_NUMBER: u32 = 60;
/// Points for the outstanding equal to the remainder.
pub const SCORE_AMOUNT: u32 = 50;
/// Points for a run of oldest invoices summing exactly to the remainder.
pub const SCORE_FIFO: u32 = 50;
/// Most points for date closeness (the payment on the due date).
pub const SCORE_DATE: u32 = 10;
/// Score from which a candidate counts as strong.
pub const THRESHOLD: u32 = 50;
/// Invoices a FIFO run may cover.
pub const MAX_FIFO: usize = 50;
/// Candidates listed per payment.
pub const MAX_CANDIDATES: usize = 5;

/// Why a candidate was proposed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The invoice number appears in the reference or notes.
    NumberInReference,
    /// The outstanding equals the payment's remainder.
    AmountEqualsOutstanding,
    /// The oldest `n` open invoices sum exactly to the remainder.
    OldestSumExactly(usize),
    /// Payment date minus due date, in days.
    DateCloseness(i64),
}

impl Reason {
    /// A short explanation for people.
    pub fn describe(&self) -> String {
        match self {
            Reason::NumberInReference => "number in reference".into(),
            Reason::AmountEqualsOutstanding => "amount equals outstanding".into(),
            Reason::OldestSumExactly(n) => format!("oldest {n} invoices sum exactly"),
            Reason::DateCloseness(d) if *d > 0 => format!("paid {d}d after due"),
            Reason::DateCloseness(0) => "paid on the due date".into(),
            Reason::DateCloseness(d) => format!("paid {}d before due", -d),
        }
    }
}

/// A proposed allocation of (part of) a payment's remainder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Invoices and amounts, oldest first (one invoice unless it is a FIFO run).
    pub allocations: Vec<Allocation>,
    /// Total score.
    pub score: u32,
    /// Reasons, strongest first.
    pub reasons: Vec<Reason>,
}

impl Candidate {
    /// Whether the candidate is strong enough to apply without asking.
    pub fn strong(&self) -> bool {
        self.score >= THRESHOLD
    }
    /// The reasons as one line.
    pub fn describe(&self) -> String {
        self.reasons
            .iter()
            .map(Reason::describe)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A payment with its remainder and ranked candidates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentMatch {
    /// The payment.
    pub payment: PaymentId,
    /// Its unallocated remainder.
    pub remainder: Decimal,
    /// Candidates, best first.
    pub candidates: Vec<Candidate>,
}

impl PaymentMatch {
    /// The single strong candidate, when there is exactly one.
    pub fn unambiguous(&self) -> Option<&Candidate> {
        let mut strong = self.candidates.iter().filter(|c| c.strong());
        match (strong.next(), strong.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        }
    }
}

type GroupKey = (PartyId, Currency, InvoiceKind);

#[derive(Default)]
struct Group {
    /// Open invoices, oldest due first.
    order: Vec<InvoiceId>,
    /// Open invoices by outstanding (normalised).
    by_amount: HashMap<Decimal, Vec<InvoiceId>>,
    /// Entries of `order` before this are settled.
    first_open: usize,
}

/// Open invoices indexed by (party, currency, kind), built once per run; taking an
/// allocation lowers the outstanding, so later payments see what earlier ones took.
pub struct OpenIndex<'a> {
    ledger: &'a Ledger,
    groups: HashMap<GroupKey, Group>,
    outstanding: HashMap<InvoiceId, Decimal>,
}

impl<'a> OpenIndex<'a> {
    /// Indexes the open invoices of `l` as of `as_of`.
    pub fn new(l: &'a Ledger, as_of: Date) -> Self {
        let rules = StatusRules::new(as_of);
        let mut open: Vec<(&Invoice, Decimal)> = l
            .invoices()
            .iter()
            .filter(|i| !i.void)
            .filter_map(|i| {
                let o = l.settlement(i, &rules).outstanding;
                (o > Decimal::ZERO).then_some((i, o))
            })
            .collect();
        open.sort_by_key(|(i, _)| (i.due_date, i.id));
        let mut groups: HashMap<GroupKey, Group> = HashMap::new();
        let mut outstanding = HashMap::with_capacity(open.len());
        for (i, o) in open {
            let g = groups.entry((i.party, i.currency, i.kind)).or_default();
            g.order.push(i.id);
            g.by_amount.entry(o.normalize()).or_default().push(i.id);
            outstanding.insert(i.id, o);
        }
        OpenIndex {
            ledger: l,
            groups,
            outstanding,
        }
    }

    /// What is still open of an invoice in this run.
    pub fn outstanding(&self, id: InvoiceId) -> Decimal {
        self.outstanding.get(&id).copied().unwrap_or(Decimal::ZERO)
    }

    /// Open invoices of the payment's party, currency and kind, oldest due first.
    pub fn open_for(&self, p: &Payment) -> Vec<InvoiceId> {
        self.groups
            .get(&(p.party, p.currency, p.direction.invoice_kind()))
            .map(|g| {
                g.order[g.first_open..]
                    .iter()
                    .copied()
                    .filter(|i| self.outstanding(*i) > Decimal::ZERO)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Lowers the outstanding of the candidate's invoices by what it allocates.
    pub fn take(&mut self, c: &Candidate) {
        for a in &c.allocations {
            if let Some(o) = self.outstanding.get_mut(&a.invoice) {
                *o = (*o - a.amount).max(Decimal::ZERO);
            }
        }
    }

    /// The ranked candidates for the payment's unallocated remainder (empty when nothing
    /// is left to allocate).
    pub fn candidates(&mut self, p: &Payment) -> Vec<Candidate> {
        let remainder = p.unallocated();
        if remainder <= Decimal::ZERO {
            return Vec::new();
        }
        let key = (p.party, p.currency, p.direction.invoice_kind());
        let Some(g) = self.groups.get_mut(&key) else {
            return Vec::new();
        };
        while g
            .order
            .get(g.first_open)
            .is_some_and(|i| self.outstanding.get(i).is_none_or(|o| o.is_zero()))
        {
            g.first_open += 1;
        }
        let g = &self.groups[&key];
        let mut singles: Vec<(InvoiceId, Vec<Reason>, u32)> = Vec::new();
        let mut add =
            |id: InvoiceId, r: Reason, pts: u32| match singles.iter_mut().find(|s| s.0 == id) {
                Some(s) => {
                    if !s.1.contains(&r) {
                        s.1.push(r);
                        s.2 += pts;
                    }
                }
                None => singles.push((id, vec![r], pts)),
            };
        let open = |id: &InvoiceId| self.outstanding(*id) > Decimal::ZERO;
        // number in reference or notes: each word looked up by number
        for text in [&p.reference, &p.notes] {
            for word in words(text) {
                if let Some(inv) = self.ledger.invoice_by_number(word) {
                    if (inv.party, inv.currency, inv.kind) == key && open(&inv.id) {
                        add(inv.id, Reason::NumberInReference, SCORE_NUMBER);
                    }
                }
            }
        }
        if let Some(ids) = g.by_amount.get(&remainder.normalize()) {
            for id in ids.iter().filter(|i| self.outstanding(**i) == remainder) {
                add(*id, Reason::AmountEqualsOutstanding, SCORE_AMOUNT);
            }
        }
        // the oldest open invoices as weak candidates, and a run summing exactly
        let mut run = Vec::new();
        let mut sum = Decimal::ZERO;
        let mut fifo = None;
        for id in g.order[g.first_open..]
            .iter()
            .filter(|i| open(i))
            .take(MAX_FIFO)
        {
            let o = self.outstanding(*id);
            run.push(Allocation {
                invoice: *id,
                amount: o,
            });
            sum += o;
            if sum == remainder && run.len() >= 2 {
                fifo = Some(run.clone());
            }
            if sum >= remainder {
                break;
            }
        }
        for a in run.iter().take(2) {
            if !singles.iter().any(|s| s.0 == a.invoice) {
                singles.push((a.invoice, Vec::new(), 0));
            }
        }
        let date_points = |id: InvoiceId| -> (Reason, u32) {
            let due = self.ledger.invoice(id).map_or(p.date, |i| i.due_date);
            let days = (p.date - due).whole_days();
            let pts = SCORE_DATE
                .saturating_sub(u32::try_from(days.unsigned_abs() / 3).unwrap_or(u32::MAX));
            (Reason::DateCloseness(days), pts)
        };
        let mut out: Vec<Candidate> = singles
            .into_iter()
            .map(|(id, mut reasons, mut score)| {
                let (r, pts) = date_points(id);
                reasons.push(r);
                score += pts;
                Candidate {
                    allocations: vec![Allocation {
                        invoice: id,
                        amount: remainder.min(self.outstanding(id)),
                    }],
                    score,
                    reasons,
                }
            })
            .collect();
        if let Some(run) = fifo {
            let (r, pts) = date_points(run[run.len() - 1].invoice);
            out.push(Candidate {
                reasons: vec![Reason::OldestSumExactly(run.len()), r],
                score: SCORE_FIFO + pts,
                allocations: run,
            });
        }
        out.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then_with(|| a.allocations[0].invoice.cmp(&b.allocations[0].invoice))
        });
        out.truncate(MAX_CANDIDATES);
        out
    }
}

/// Words of a reference that could be invoice numbers: split at white space and common
/// punctuation, with leading and trailing `.`, `#` and `-` trimmed.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || ",;:()[]{}\"'<>|".contains(c))
        .map(|w| w.trim_matches(|c| c == '.' || c == '#' || c == '-'))
        .filter(|w| !w.is_empty())
}

/// Candidates for each payment (in `payments`' order) that has a remainder.
pub fn match_payments<'p>(
    l: &Ledger,
    as_of: Date,
    payments: impl IntoIterator<Item = &'p Payment>,
) -> Vec<PaymentMatch> {
    let mut ix = OpenIndex::new(l, as_of);
    payments
        .into_iter()
        .filter(|p| p.unallocated() > Decimal::ZERO)
        .map(|p| PaymentMatch {
            payment: p.id,
            remainder: p.unallocated(),
            candidates: ix.candidates(p),
        })
        .collect()
}

/// `payment` with `c`'s allocations added (merged into existing ones to the same invoice).
pub fn with_allocations(payment: &Payment, allocs: &[Allocation]) -> Payment {
    let mut p = payment.clone();
    for a in allocs {
        match p.allocations.iter_mut().find(|x| x.invoice == a.invoice) {
            Some(x) => x.amount += a.amount,
            None => p.allocations.push(*a),
        }
    }
    p
}

/// What [`apply_unambiguous`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AutoApply {
    /// The changes (one undoable set).
    pub set: ChangeSet,
    /// Payments matched, with the candidate applied.
    pub applied: Vec<(PaymentId, Candidate)>,
    /// Payments left: with their candidates (none, or more than one strong, or only weak).
    pub left: Vec<PaymentMatch>,
}

/// Applies, in payment-date order, each payment's single strong candidate; later
/// payments see the invoices earlier ones paid.
pub fn apply_unambiguous<'p>(
    l: &Ledger,
    as_of: Date,
    payments: impl IntoIterator<Item = &'p Payment>,
) -> AutoApply {
    let mut list: Vec<&Payment> = payments
        .into_iter()
        .filter(|p| p.unallocated() > Decimal::ZERO)
        .collect();
    list.sort_by_key(|p| (p.date, p.id));
    let mut ix = OpenIndex::new(l, as_of);
    let mut out = AutoApply::default();
    for p in list {
        let m = PaymentMatch {
            payment: p.id,
            remainder: p.unallocated(),
            candidates: ix.candidates(p),
        };
        match m.unambiguous() {
            Some(c) => {
                let c = c.clone();
                ix.take(&c);
                out.set
                    .push(Change::PutPayment(with_allocations(p, &c.allocations)));
                out.applied.push((p.id, c));
            }
            None => out.left.push(m),
        }
    }
    out
}

/// Splits the payment's remainder FIFO over the party's oldest open invoices; `None` when
/// there is nothing to allocate or nothing open.
pub fn fifo_candidate(ix: &OpenIndex<'_>, p: &Payment) -> Option<Candidate> {
    let mut left = p.unallocated();
    let mut allocations = Vec::new();
    for id in ix.open_for(p) {
        if left <= Decimal::ZERO {
            break;
        }
        let a = left.min(ix.outstanding(id));
        allocations.push(Allocation {
            invoice: id,
            amount: a,
        });
        left -= a;
    }
    (!allocations.is_empty()).then(|| Candidate {
        reasons: vec![Reason::OldestSumExactly(allocations.len())],
        score: 0,
        allocations,
    })
}

/// Applies a party's credit (the unallocated remainders of its payments, oldest payment
/// first) to its oldest open invoices of the same currency and kind. One change set;
/// empty when there is no credit or nothing open. Overpayments of invoices stay as they
/// are (they are allocations, not remainders).
pub fn apply_credit(l: &Ledger, party: PartyId, as_of: Date) -> ChangeSet {
    let mut payments: Vec<&Payment> = l
        .payments()
        .iter()
        .filter(|p| p.party == party && p.unallocated() > Decimal::ZERO)
        .collect();
    payments.sort_by_key(|p| (p.date, p.id));
    let mut set = ChangeSet::new();
    if payments.is_empty() {
        return set;
    }
    let mut ix = OpenIndex::new(l, as_of);
    for p in payments {
        if let Some(c) = fifo_candidate(&ix, p) {
            ix.take(&c);
            set.push(Change::PutPayment(with_allocations(p, &c.allocations)));
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Direction, Method, Party, PartyRole};
    use time::macros::date;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn inv(id: u64, party: u64, due: Date, amount: &str, cur: Currency) -> Invoice {
        Invoice {
            id: InvoiceId(id),
            number: format!("INV-{id:03}"),
            party: PartyId(party),
            kind: InvoiceKind::Receivable,
            issue_date: date!(2025 - 01 - 01),
            due_date: due,
            amount: d(amount),
            currency: cur,
            notes: String::new(),
            void: false,
        }
    }

    fn pay(id: u64, amount: &str, reference: &str) -> Payment {
        Payment {
            id: PaymentId(id),
            party: PartyId(1),
            direction: Direction::In,
            amount: d(amount),
            currency: Currency::EUR,
            date: date!(2025 - 02 - 10),
            method: Method::BankTransfer,
            reference: reference.into(),
            notes: String::new(),
            allocations: vec![],
            source: None,
        }
    }

    fn ledger(invoices: Vec<Invoice>, payments: Vec<Payment>) -> Ledger {
        let parties = (1..=2)
            .map(|i| Party {
                id: PartyId(i),
                name: format!("P{i}"),
                role: PartyRole::Customer,
                email: String::new(),
                terms_days: None,
                notes: String::new(),
            })
            .collect();
        Ledger::from_records(parties, invoices, payments)
    }

    const AS_OF: Date = date!(2025 - 03 - 01);

    #[test]
    fn exact_amount_is_unambiguous() {
        let l = ledger(
            vec![
                inv(1, 1, date!(2025 - 01 - 31), "100", Currency::EUR),
                inv(2, 1, date!(2025 - 02 - 10), "250", Currency::EUR),
            ],
            vec![pay(1, "250", "")],
        );
        let a = apply_unambiguous(&l, AS_OF, l.payments());
        assert_eq!(a.applied.len(), 1, "{a:?}");
        let c = &a.applied[0].1;
        assert_eq!(
            c.allocations,
            vec![Allocation {
                invoice: InvoiceId(2),
                amount: d("250")
            }]
        );
        assert!(c.reasons.contains(&Reason::AmountEqualsOutstanding));
        assert_eq!(c.score, SCORE_AMOUNT + SCORE_DATE);
    }

    #[test]
    fn number_in_reference_wins_over_date() {
        let l = ledger(
            vec![
                inv(1, 1, date!(2025 - 01 - 31), "100", Currency::EUR),
                inv(2, 1, date!(2025 - 02 - 10), "100", Currency::EUR),
            ],
            vec![pay(1, "40", "Rechnung INV-001, danke.")],
        );
        let m = match_payments(&l, AS_OF, l.payments());
        let best = &m[0].candidates[0];
        assert_eq!(best.allocations[0].invoice, InvoiceId(1));
        assert_eq!(best.allocations[0].amount, d("40"));
        assert_eq!(best.reasons[0], Reason::NumberInReference);
        assert!(m[0].unambiguous().is_some());
    }

    #[test]
    fn oldest_invoices_summing_exactly_form_one_candidate() {
        let l = ledger(
            vec![
                inv(1, 1, date!(2025 - 01 - 10), "100", Currency::EUR),
                inv(2, 1, date!(2025 - 01 - 20), "30.50", Currency::EUR),
                inv(3, 1, date!(2025 - 02 - 01), "500", Currency::EUR),
            ],
            vec![pay(1, "130.50", "")],
        );
        let a = apply_unambiguous(&l, AS_OF, l.payments());
        assert_eq!(a.applied.len(), 1, "{a:?}");
        let c = &a.applied[0].1;
        assert_eq!(c.reasons[0], Reason::OldestSumExactly(2));
        assert_eq!(c.allocations.len(), 2);
        assert_eq!(c.allocations[1].amount, d("30.50"));
        let Change::PutPayment(p) = &a.set.changes[0] else {
            panic!()
        };
        assert_eq!(p.unallocated(), Decimal::ZERO);
    }

    #[test]
    fn two_equal_candidates_are_left_alone() {
        let l = ledger(
            vec![
                inv(1, 1, date!(2025 - 02 - 01), "100", Currency::EUR),
                inv(2, 1, date!(2025 - 02 - 05), "100", Currency::EUR),
            ],
            vec![pay(1, "100", "")],
        );
        let a = apply_unambiguous(&l, AS_OF, l.payments());
        assert!(a.applied.is_empty());
        assert!(a.set.is_empty());
        assert_eq!(a.left.len(), 1);
        assert_eq!(
            a.left[0].candidates.iter().filter(|c| c.strong()).count(),
            2
        );
    }

    #[test]
    fn other_currency_party_or_kind_never_match() {
        let mut payable = inv(3, 1, date!(2025 - 02 - 10), "100", Currency::EUR);
        payable.kind = InvoiceKind::Payable;
        let l = ledger(
            vec![
                inv(1, 1, date!(2025 - 02 - 10), "100", Currency::USD),
                inv(2, 2, date!(2025 - 02 - 10), "100", Currency::EUR),
                payable,
            ],
            vec![pay(1, "100", "INV-001 INV-002 INV-003")],
        );
        let m = match_payments(&l, AS_OF, l.payments());
        assert!(m[0].candidates.is_empty(), "{m:?}");
        assert!(apply_unambiguous(&l, AS_OF, l.payments())
            .applied
            .is_empty());
    }

    #[test]
    fn a_second_payment_does_not_pay_an_invoice_twice_and_credit_goes_fifo() {
        let l = ledger(
            vec![
                inv(1, 1, date!(2025 - 01 - 10), "100", Currency::EUR),
                inv(2, 1, date!(2025 - 01 - 20), "80", Currency::EUR),
            ],
            vec![pay(1, "100", "INV-001"), pay(2, "100", "INV-001")],
        );
        let a = apply_unambiguous(&l, AS_OF, l.payments());
        assert_eq!(a.applied.len(), 1);
        assert_eq!(a.left.len(), 1);
        let set = apply_credit(&l, PartyId(1), AS_OF);
        assert_eq!(set.changes.len(), 2);
        let Change::PutPayment(p1) = &set.changes[0] else {
            panic!()
        };
        let Change::PutPayment(p2) = &set.changes[1] else {
            panic!()
        };
        assert_eq!(
            p1.allocations,
            vec![Allocation {
                invoice: InvoiceId(1),
                amount: d("100")
            }]
        );
        assert_eq!(
            p2.allocations,
            vec![Allocation {
                invoice: InvoiceId(2),
                amount: d("80")
            }]
        );
        assert_eq!(p2.unallocated(), d("20"));
        assert!(apply_credit(&l, PartyId(2), AS_OF).is_empty());
    }
}
