//! Money movements read from other systems' files (bank CSVs, payment providers,
//! invoicing tools, CAMT.053 and OFX statements), and how they become payments.
//!
//! A reader turns a file into an [`Extract`]: one [`Transaction`] per movement, the rows
//! it skipped on purpose (payouts to our own bank, pending items...) and the rows it could
//! not read. [`plan`] then compares the transactions with the store:
//!
//! 1. a counterparty written as an e-mail address that a party has is that party;
//! 2. transactions already recorded are skipped as duplicates (see [`super::fingerprint`]);
//! 3. each new transaction becomes a payment, of a new party when the name is unknown.
//!    A transaction whose counterparty the file does not name (the reader assumed a fixed
//!    name, e.g. "Stripe customer") takes the party of the open invoice it names. An
//!    invoice number in a column of its own (`invoice_hint`) that names an invoice of the
//!    store is added to the notes (`invoice NUMBER`) unless the text already has it;
//! 4. matching, by the rules of `paytrack match` ([`crate::domain::matching`]): the new
//!    payments, in date order, each get their candidates (number in the reference or
//!    notes, amount equal to an invoice's outstanding, the oldest invoices summing
//!    exactly, date closeness). A payment with exactly one strong candidate is allocated
//!    to it ([`Match`], as `paytrack match --apply` would); one with several strong
//!    candidates is left unallocated and its candidates are listed ([`Suggestion`]);
//!    weak candidates are neither applied nor listed.
//!
//! The result is a [`TransactionImport`]: the counts, matches and suggestions for a
//! preview and an [`ImportPlan`] to commit only when there are no errors. The plan holds
//! exactly the allocations of the matches.

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use time::Date;

use crate::domain::ledger::{name_key, Ledger};
use crate::domain::matching::{self, Candidate};
use crate::domain::{
    Change, ChangeSet, Currency, Direction, IdSeq, Invoice, Method, Party, PartyRole, Payment,
    PaymentId, StatusRules,
};

use super::fingerprint::{content_key, id_key, Existing, Key};
use super::rows::PartyResolver;
use super::{ImportError, ImportPlan};

/// At most this many row errors are kept (the count goes on).
pub const MAX_ERRORS: usize = 100;

/// One movement of money read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// 1-based line of the source where it was read.
    pub line: u64,
    /// Booking (or value) date.
    pub date: Date,
    /// In: money we received. Out: money we paid.
    pub direction: Direction,
    /// Amount, > 0.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// The counterparty's name (never empty: a reader puts an assumed name when the file
    /// names none, and sets `party_assumed`).
    pub party: String,
    /// The name in `party` is not from the file but a fixed one (profile or reader).
    pub party_assumed: bool,
    /// The payment's reference: the source's transaction id when `source_id`.
    pub reference: String,
    /// `reference` is the source's own id of the transaction.
    pub source_id: bool,
    /// Free text (remittance information, description, memo).
    pub notes: String,
    /// An invoice number the file names in a column of its own (matching tries it first).
    pub invoice_hint: String,
    /// Payment method.
    pub method: Method,
    /// A fee charged by the provider (shown apart in the preview).
    pub fee: bool,
}

impl Transaction {
    /// The key this transaction is recognised by (see [`super::fingerprint`]).
    pub fn key(&self) -> Key {
        if self.source_id && !self.reference.trim().is_empty() {
            return Key::Id(id_key(
                &self.reference,
                self.date,
                self.direction,
                self.currency,
                self.amount,
            ));
        }
        let k = content_key(
            self.date,
            self.direction,
            self.currency,
            self.amount,
            (!self.party_assumed).then_some(self.party.as_str()),
            &self.reference,
        );
        if self.party_assumed {
            Key::Anonymous(k)
        } else {
            Key::Content(k)
        }
    }
}

/// A row left out on purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// 1-based line.
    pub line: u64,
    /// Why (e.g. `Type is payout`, `zero amount`, `status PDNG`).
    pub reason: String,
}

/// What a reader found in a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extract {
    /// What was read: `profile stripe`, `CAMT.053`, `OFX 1.x`...
    pub format: String,
    /// Data rows (CSV records, statement entries) read.
    pub rows: usize,
    /// The movements, in file order.
    pub transactions: Vec<Transaction>,
    /// Rows left out on purpose.
    pub skipped: Vec<Skipped>,
    /// Rows that could not be read (the first [`MAX_ERRORS`]).
    pub errors: Vec<ImportError>,
    /// Number of rows that could not be read.
    pub error_count: usize,
    /// What the reader decided that the user should know (how dates were read...).
    pub notes: Vec<String>,
}

impl Extract {
    /// Records a row error.
    pub fn error(&mut self, e: ImportError) {
        self.error_count += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(e);
        }
    }
}

/// One way of allocating a payment, from the matching rules: invoices and amounts, and
/// why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Invoice numbers with the amount allocated to each, oldest first.
    pub invoices: Vec<(String, Decimal)>,
    /// The reasons, strongest first (`number in reference, paid 2d after due`).
    pub reasons: String,
    /// The rules' score (strong from [`matching::THRESHOLD`]).
    pub score: u32,
}

impl Proposal {
    fn new(ledger: &Ledger, c: &Candidate) -> Proposal {
        Proposal {
            invoices: c
                .allocations
                .iter()
                .map(|a| {
                    let number = ledger
                        .invoice(a.invoice)
                        .map_or_else(|| format!("#{}", a.invoice), |i| i.number.clone());
                    (number, a.amount)
                })
                .collect(),
            reasons: c.describe(),
            score: c.score,
        }
    }

    /// What is allocated in all.
    pub fn total(&self) -> Decimal {
        self.invoices.iter().map(|(_, a)| *a).sum()
    }

    /// `INV-1` for one invoice; `INV-1=100.00;INV-2=30.50` for several.
    pub fn numbers(&self, currency: Currency) -> String {
        match self.invoices.as_slice() {
            [(one, _)] => one.clone(),
            many => many
                .iter()
                .map(|(n, a)| format!("{n}={}", currency.format(*a)))
                .collect::<Vec<_>>()
                .join(";"),
        }
    }
}

/// A payment the import allocates: the single strong candidate of the matching rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// Line of the transaction.
    pub line: u64,
    /// The payment created.
    pub payment: PaymentId,
    /// The party's name.
    pub party: String,
    /// Currency.
    pub currency: Currency,
    /// The allocation and its reasons.
    pub proposal: Proposal,
}

/// A payment imported unallocated because the matching rules found more than one strong
/// candidate: the user chooses (`paytrack match`, the TUI's match queue).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// Line of the transaction.
    pub line: u64,
    /// The payment created.
    pub payment: PaymentId,
    /// The party's name.
    pub party: String,
    /// The payment's amount.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// The strong candidates, best first.
    pub candidates: Vec<Proposal>,
}

/// What importing an [`Extract`] would do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransactionImport {
    /// What was read.
    pub format: String,
    /// Data rows read.
    pub rows: usize,
    /// Payments to create (fees included).
    pub payments: usize,
    /// Of those, incoming.
    pub incoming: usize,
    /// Of those, provider fees.
    pub fees: usize,
    /// Names of the parties to create.
    pub new_parties: Vec<String>,
    /// Lines of the transactions already in the store (or twice in the file, by id).
    pub duplicates: Vec<u64>,
    /// Rows left out on purpose.
    pub skipped: Vec<Skipped>,
    /// Payments allocated by matching, in file order.
    pub matches: Vec<Match>,
    /// Payments with several strong candidates, left unallocated, in file order.
    pub suggestions: Vec<Suggestion>,
    /// Rows that could not be read or turned into payments.
    pub errors: Vec<ImportError>,
    /// Total number of errors (`errors` keeps the first [`MAX_ERRORS`]).
    pub error_count: usize,
    /// The reader's notes (see [`Extract::notes`]).
    pub notes: Vec<String>,
    /// The changes. Commit them only when `error_count` is 0 ([`Self::into_plan`]).
    pub plan: ImportPlan,
}

impl TransactionImport {
    /// The plan, or the first error when any row failed (nothing of the file may land).
    pub fn into_plan(self) -> Result<ImportPlan, ImportError> {
        match self.errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(self.plan),
        }
    }
}

/// Options of [`plan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// Match the payments to open invoices (and let an assumed party take the party of
    /// the invoice it names).
    pub match_invoices: bool,
    /// The date invoices are open as of (today, as for `paytrack match`).
    pub as_of: Date,
}

/// The first open invoice whose number `t` names (its invoice column, reference or
/// notes, in that order, read as the matching rules read them) that a payment of its
/// direction and currency can settle.
fn named_invoice<'l>(
    ledger: &'l Ledger,
    rules: &StatusRules,
    t: &Transaction,
) -> Option<&'l Invoice> {
    let kind = t.direction.invoice_kind();
    [&t.invoice_hint, &t.reference, &t.notes]
        .into_iter()
        .flat_map(|text| matching::words(text))
        .filter_map(|w| ledger.invoice_by_number(w))
        .find(|inv| {
            !inv.void
                && inv.kind == kind
                && inv.currency == t.currency
                && ledger.settlement(inv, rules).outstanding > Decimal::ZERO
        })
}

/// The payment's notes: the transaction's, plus `invoice NUMBER` when its invoice column
/// names an invoice of the store that the reference and notes do not mention (so the
/// matching rules, now and in `paytrack match` later, see it).
fn notes_of(ledger: &Ledger, t: &Transaction) -> String {
    let hint = t.invoice_hint.trim();
    let mentioned = || {
        matching::words(&t.reference)
            .chain(matching::words(&t.notes))
            .any(|w| w == hint)
    };
    if hint.is_empty() || ledger.invoice_by_number(hint).is_none() || mentioned() {
        return t.notes.clone();
    }
    if t.notes.is_empty() {
        format!("invoice {hint}")
    } else {
        format!("{} | invoice {hint}", t.notes)
    }
}

/// Compares the transactions of `extract` with the store and plans the payments.
/// `ids` is advanced past the ids the plan takes.
pub fn plan(
    extract: Extract,
    source: &str,
    ledger: &Ledger,
    ids: &mut IdSeq,
    opts: PlanOptions,
) -> TransactionImport {
    let Extract {
        format,
        rows,
        mut transactions,
        skipped,
        errors,
        error_count,
        notes,
    } = extract;
    let mut out = TransactionImport {
        format,
        rows,
        skipped,
        errors,
        error_count,
        notes,
        ..TransactionImport::default()
    };
    let mut seq = *ids;
    seq.cover(ledger);
    // the fingerprints, of the rows as the file wrote them (before the party names below)
    let keys: Vec<Key> = transactions.iter().map(Transaction::key).collect();
    // 1. e-mail addresses name parties that have them
    let by_email: HashMap<String, &Party> = ledger
        .parties()
        .iter()
        .filter(|p| p.email.contains('@'))
        .map(|p| (p.email.trim().to_lowercase(), p))
        .collect();
    if !by_email.is_empty() {
        for t in &mut transactions {
            if t.party.contains('@') {
                if let Some(p) = by_email.get(&t.party.trim().to_lowercase()) {
                    t.party = p.name.clone();
                }
            }
        }
    }
    // 2. duplicates
    let (lo, hi) = transactions
        .iter()
        .fold((Date::MAX, Date::MIN), |(lo, hi), t| {
            (lo.min(t.date), hi.max(t.date))
        });
    let mut existing = Existing::new(ledger, lo, hi);
    let mut fresh = Vec::with_capacity(transactions.len());
    for (t, key) in transactions.into_iter().zip(keys) {
        // a payment imported before fingerprints were kept knows the party by its name
        let named = t.key();
        if existing.is_duplicate(key) || (named != key && existing.is_duplicate(named)) {
            out.duplicates.push(t.line);
        } else {
            fresh.push((t, key));
        }
    }
    // 3. payments
    let rules = StatusRules::new(opts.as_of);
    let mut parties = PartyResolver::new(ledger);
    let mut new_names: HashSet<String> = HashSet::new();
    let mut payments: Vec<Payment> = Vec::with_capacity(fresh.len());
    // per payment: its line and its party's name
    let mut origin: HashMap<PaymentId, (u64, String)> = HashMap::with_capacity(fresh.len());
    for (t, key) in fresh {
        if !t.currency.fits(t.amount) {
            let n = t.currency.minor_units();
            out.error_count += 1;
            if out.errors.len() < MAX_ERRORS {
                out.errors.push(ImportError::new(
                    source,
                    t.line,
                    Some("amount"),
                    format!(
                        "{} has more decimals than {} allows ({n})",
                        t.amount, t.currency
                    ),
                ));
            }
            continue;
        }
        let mut name = t.party.trim().to_string();
        if opts.match_invoices && t.party_assumed {
            if let Some(inv) = named_invoice(ledger, &rules, &t) {
                name = ledger.party_name(inv.party).to_string();
            }
        }
        let party = match parties.resolve(&name, PartyRole::for_direction(t.direction), &mut seq) {
            Ok(p) => p,
            Err(m) => {
                out.error_count += 1;
                if out.errors.len() < MAX_ERRORS {
                    out.errors
                        .push(ImportError::new(source, t.line, Some("party"), m));
                }
                continue;
            }
        };
        if ledger.party_by_name(&name).is_none() && new_names.insert(name_key(&name)) {
            out.new_parties.push(name.trim().to_string());
        }
        out.payments += 1;
        if t.direction == Direction::In {
            out.incoming += 1;
        }
        if t.fee {
            out.fees += 1;
        }
        let notes = notes_of(ledger, &t);
        let id = seq.next_payment();
        origin.insert(id, (t.line, name));
        payments.push(Payment {
            id,
            party,
            direction: t.direction,
            amount: t.amount,
            currency: t.currency,
            date: t.date,
            method: t.method,
            reference: t.reference,
            notes,
            allocations: Vec::new(),
            source: Some(key.into()),
        });
    }
    // 4. matching, as `paytrack match --apply` does it
    if opts.match_invoices && !payments.is_empty() {
        let done = matching::apply_unambiguous(ledger, opts.as_of, payments.iter());
        let at: HashMap<PaymentId, usize> = payments
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        for (id, c) in &done.applied {
            let (Some(&i), Some((line, party))) = (at.get(id), origin.get(id)) else {
                continue;
            };
            payments[i].allocations = c.allocations.clone();
            out.matches.push(Match {
                line: *line,
                payment: *id,
                party: party.clone(),
                currency: payments[i].currency,
                proposal: Proposal::new(ledger, c),
            });
        }
        for m in &done.left {
            let strong: Vec<Proposal> = m
                .candidates
                .iter()
                .filter(|c| c.strong())
                .map(|c| Proposal::new(ledger, c))
                .collect();
            let (Some(&i), Some((line, party))) = (at.get(&m.payment), origin.get(&m.payment))
            else {
                continue;
            };
            if strong.len() > 1 {
                out.suggestions.push(Suggestion {
                    line: *line,
                    payment: m.payment,
                    party: party.clone(),
                    amount: payments[i].amount,
                    currency: payments[i].currency,
                    candidates: strong,
                });
            }
        }
        out.matches.sort_by_key(|m| (m.line, m.payment));
        out.suggestions.sort_by_key(|m| (m.line, m.payment));
    }
    let mut payments: Vec<Change> = payments.into_iter().map(Change::PutPayment).collect();
    let mut changes = Vec::new();
    let new = parties.finish(&mut changes);
    debug_assert_eq!(new, out.new_parties.len());
    changes.append(&mut payments);
    let taken = !changes.is_empty();
    out.plan = ImportPlan {
        changes: ChangeSet {
            changes,
            ids: taken.then_some(seq),
        },
        records: out.payments,
        new_parties: new,
        duplicates: Vec::new(),
    };
    if taken {
        *ids = seq;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Invoice, InvoiceId, InvoiceKind, PartyId};
    use time::macros::date;

    const TODAY: Date = date!(2026 - 02 - 10);

    fn ledger() -> Ledger {
        let mut l = Ledger::new();
        for (id, name, email) in [(1, "Acme Corp", "ap@acme.test"), (2, "Globex", "")] {
            l.upsert_party(Party {
                id: PartyId(id),
                name: name.into(),
                role: PartyRole::Customer,
                email: email.into(),
                terms_days: None,
                notes: String::new(),
            });
        }
        for (id, number, party, amount, cur, void) in [
            (1, "INV-1", 1, "100.00", Currency::EUR, false),
            (2, "INV-2", 1, "50.00", Currency::EUR, false),
            (3, "INV-3", 2, "70.00", Currency::EUR, false),
            (4, "INV-4", 1, "10.00", Currency::EUR, true),
            (5, "INV-5", 1, "10.00", Currency::USD, false),
            (6, "INV-6", 1, "50.00", Currency::EUR, false),
        ] {
            l.upsert_invoice(Invoice {
                id: InvoiceId(id),
                number: number.into(),
                party: PartyId(party),
                kind: InvoiceKind::Receivable,
                issue_date: date!(2026 - 01 - 01),
                due_date: date!(2026 - 01 - 31),
                amount: amount.parse().unwrap(),
                currency: cur,
                notes: String::new(),
                void,
            });
        }
        l
    }

    fn t(line: u64, party: &str, amount: &str, notes: &str) -> Transaction {
        Transaction {
            line,
            date: date!(2026 - 02 - 01),
            direction: Direction::In,
            amount: amount.parse().unwrap(),
            currency: Currency::EUR,
            party: party.into(),
            party_assumed: false,
            reference: String::new(),
            source_id: false,
            notes: notes.into(),
            invoice_hint: String::new(),
            method: Method::BankTransfer,
            fee: false,
        }
    }

    fn run_with(l: &Ledger, ts: Vec<Transaction>, match_invoices: bool) -> TransactionImport {
        let mut ids = IdSeq::default();
        plan(
            Extract {
                format: "test".into(),
                rows: ts.len(),
                transactions: ts,
                ..Extract::default()
            },
            "t",
            l,
            &mut ids,
            PlanOptions {
                match_invoices,
                as_of: TODAY,
            },
        )
    }

    fn run(l: &Ledger, ts: Vec<Transaction>) -> TransactionImport {
        run_with(l, ts, true)
    }

    fn payments(r: &TransactionImport) -> Vec<&Payment> {
        r.plan
            .changes
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::PutPayment(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    fn allocs(r: &TransactionImport) -> Vec<(u64, Vec<(u64, String)>)> {
        payments(r)
            .iter()
            .map(|p| {
                (
                    p.party.0,
                    p.allocations
                        .iter()
                        .map(|a| (a.invoice.0, a.amount.to_string()))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn only_a_single_strong_candidate_is_applied() {
        let l = ledger();
        let r = run(
            &l,
            vec![
                // the outstanding of INV-1 alone
                t(2, "Acme Corp", "100.00", ""),
                // INV-2 and INV-6 both have 50.00 outstanding: ambiguous
                t(3, "Acme Corp", "50.00", "thanks"),
                // another party's invoice, a void one, another currency: nothing
                t(4, "Acme Corp", "5.00", "INV-3 INV-4 INV-5"),
                // by e-mail, the number in the notes
                t(5, "AP@acme.test", "1.00", "part of INV-2"),
            ],
        );
        assert_eq!(r.error_count, 0, "{:?}", r.errors);
        assert_eq!(
            allocs(&r),
            vec![
                (1, vec![(1, "100.00".into())]),
                (1, vec![]),
                (1, vec![]),
                (1, vec![(2, "1.00".into())]),
            ]
        );
        let m: Vec<(u64, String, String)> = r
            .matches
            .iter()
            .map(|m| (m.line, m.proposal.numbers(m.currency), m.party.clone()))
            .collect();
        assert_eq!(
            m,
            vec![
                (2, "INV-1".into(), "Acme Corp".into()),
                (5, "INV-2".into(), "Acme Corp".into())
            ]
        );
        assert!(r.matches[0]
            .proposal
            .reasons
            .starts_with("amount equals outstanding"));
        assert!(r.matches[1]
            .proposal
            .reasons
            .starts_with("number in reference"));
        let [sug] = r.suggestions.as_slice() else {
            panic!("{:?}", r.suggestions)
        };
        assert_eq!((sug.line, sug.amount.to_string()), (3, "50.00".into()));
        let names: Vec<String> = sug
            .candidates
            .iter()
            .map(|c| c.numbers(Currency::EUR))
            .collect();
        assert_eq!(names, ["INV-2", "INV-6"]);
        assert!(sug
            .candidates
            .iter()
            .all(|c| c.reasons.contains("amount equals outstanding")));
        assert!(r.new_parties.is_empty());
        // --no-match: nothing allocated, nothing suggested
        let r = run_with(&l, vec![t(2, "Acme Corp", "100.00", "INV-1")], false);
        assert_eq!(allocs(&r), vec![(1, vec![])]);
        assert!(r.matches.is_empty() && r.suggestions.is_empty());
    }

    #[test]
    fn an_assumed_party_takes_the_party_of_the_invoice_it_names() {
        let l = ledger();
        let mut a = t(2, "Stripe customer", "70.00", "Invoice INV-3");
        a.party_assumed = true;
        let mut b = t(3, "Stripe customer", "9.00", "no invoice");
        b.party_assumed = true;
        let r = run(&l, vec![a, b]);
        assert_eq!(r.new_parties, vec!["Stripe customer".to_string()]);
        let got = allocs(&r);
        assert_eq!(got[0], (2, vec![(3, "70.00".into())]));
        assert_eq!(got[1].1, vec![]);
        assert_ne!(got[1].0, 2, "the other one goes to the assumed party");
    }

    #[test]
    fn the_invoice_column_goes_into_the_notes_when_it_names_an_invoice() {
        let l = ledger();
        let mut a = t(2, "Acme Corp", "30.00", "");
        a.invoice_hint = "INV-6".into();
        let mut b = t(3, "Acme Corp", "2.00", "see INV-2");
        b.invoice_hint = "INV-2".into();
        // Akaunting writes 0 when a transaction has no document
        let mut c = t(4, "Acme Corp", "3.00", "misc");
        c.invoice_hint = "0".into();
        let r = run(&l, vec![a, b, c]);
        let notes: Vec<&str> = payments(&r).iter().map(|p| p.notes.as_str()).collect();
        assert_eq!(notes, ["invoice INV-6", "see INV-2", "misc"]);
        assert_eq!(
            allocs(&r)[..2],
            [
                (1, vec![(6, "30.00".into())]),
                (1, vec![(2, "2.00".into())])
            ]
        );
    }

    #[test]
    fn plans_take_ids_only_when_they_change_something() {
        let l = ledger();
        let r = run(&l, vec![]);
        assert!(r.plan.changes.is_empty());
        let mut bad = t(2, "Acme Corp", "1.005", "");
        bad.amount = "1.005".parse().unwrap();
        let r = run(&l, vec![bad]);
        assert_eq!(r.error_count, 1);
        assert_eq!(
            r.errors[0].to_string(),
            "t:2: amount: 1.005 has more decimals than EUR allows (2)"
        );
        assert!(r.into_plan().is_err());
    }
}
