//! Money movements read from other systems' files (bank CSVs, payment providers,
//! invoicing tools, CAMT.053 and OFX statements), and how they become payments.
//!
//! A reader turns a file into an [`Extract`]: one [`Transaction`] per movement, the rows
//! it skipped on purpose (payouts to our own bank, pending items...) and the rows it could
//! not read. [`plan`] then compares the transactions with the store:
//!
//! 1. a counterparty written as an e-mail address that a party has is that party;
//! 2. transactions already recorded are skipped as duplicates (see [`super::fingerprint`]);
//! 3. each new transaction becomes a payment, of a new party when the name is unknown;
//! 4. matching: when the payment's reference, notes or the file's invoice column contain
//!    the number of an open invoice of that party (same currency, receivable for money in,
//!    payable for money out), the payment is allocated to it, up to what is outstanding.
//!    A transaction whose counterparty the file does not name (the reader assumed a fixed
//!    name, e.g. "Stripe customer") takes the party of the invoice it names.
//!
//! The result is a [`TransactionImport`]: the counts for a preview and an [`ImportPlan`]
//! to commit only when there are no errors.

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use time::Date;

use crate::domain::ledger::{name_key, Ledger};
use crate::domain::{
    Allocation, Change, ChangeSet, Currency, Direction, IdSeq, InvoiceId, Method, Party, PartyRole,
    Payment,
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

/// A payment allocated to an invoice by matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// Line of the transaction.
    pub line: u64,
    /// The invoice's number.
    pub invoice: String,
    /// The party's name.
    pub party: String,
    /// How much is allocated.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
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
    /// Allocations made by matching.
    pub matches: Vec<Match>,
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
    /// Allocate payments to the open invoices they name.
    pub match_invoices: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            match_invoices: true,
        }
    }
}

/// Candidate invoice numbers in free text: words split at blanks and punctuation that
/// invoice numbers do not use, also with trailing dots and around slashes.
fn candidates(text: &str, mut f: impl FnMut(&str) -> bool) {
    for word in text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | ';' | ':' | '(' | ')' | '"' | '\'' | '|' | '[' | ']'
            )
    }) {
        let trimmed = word.trim_end_matches(['.', '-']);
        if trimmed.is_empty() {
            continue;
        }
        if f(trimmed) {
            return;
        }
        if trimmed.contains('/') {
            for part in trimmed.split('/') {
                if !part.is_empty() && f(part) {
                    return;
                }
            }
        }
        if let Some(rest) = trimmed.strip_prefix('#') {
            if !rest.is_empty() && f(rest) {
                return;
            }
        }
    }
}

/// Finds open invoices named in a transaction and allocates `t`'s amount to them.
struct Matcher<'l> {
    ledger: &'l Ledger,
    /// Allocations planned by this import, per invoice.
    planned: HashMap<InvoiceId, Decimal>,
}

impl<'l> Matcher<'l> {
    fn outstanding(&self, id: InvoiceId, amount: Decimal) -> Decimal {
        let done = self.ledger.allocated_as_of(id, Date::MAX)
            + self.planned.get(&id).copied().unwrap_or_default();
        (amount - done).max(Decimal::ZERO)
    }

    /// The open invoices `t` names that a payment of `party` (any party when `None`) can
    /// settle, in the order named, each at most once.
    fn named(&self, t: &Transaction, party: Option<crate::domain::PartyId>) -> Vec<InvoiceId> {
        let mut out: Vec<InvoiceId> = Vec::new();
        let kind = t.direction.invoice_kind();
        for text in [&t.invoice_hint, &t.reference, &t.notes] {
            candidates(text, |word| {
                if let Some(inv) = self.ledger.invoice_by_number(word) {
                    if !inv.void
                        && inv.kind == kind
                        && inv.currency == t.currency
                        && party.is_none_or(|p| p == inv.party)
                        && !out.contains(&inv.id)
                        && self.outstanding(inv.id, inv.amount) > Decimal::ZERO
                        && out
                            .first()
                            .and_then(|f| self.ledger.invoice(*f))
                            .is_none_or(|f| f.party == inv.party)
                    {
                        out.push(inv.id);
                    }
                }
                false
            });
        }
        out
    }

    /// Allocates up to `amount` to `invoices`, oldest named first.
    fn allocate(&mut self, invoices: &[InvoiceId], amount: Decimal) -> Vec<Allocation> {
        let mut left = amount;
        let mut out = Vec::new();
        for &id in invoices {
            if left <= Decimal::ZERO {
                break;
            }
            let Some(inv) = self.ledger.invoice(id) else {
                continue;
            };
            let take = self.outstanding(id, inv.amount).min(left);
            if take > Decimal::ZERO {
                *self.planned.entry(id).or_default() += take;
                left -= take;
                out.push(Allocation {
                    invoice: id,
                    amount: take,
                });
            }
        }
        out
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
    for t in transactions {
        if existing.is_duplicate(t.key()) {
            out.duplicates.push(t.line);
        } else {
            fresh.push(t);
        }
    }
    // 3. and 4. payments, matched to invoices
    let mut parties = PartyResolver::new(ledger);
    let mut matcher = Matcher {
        ledger,
        planned: HashMap::new(),
    };
    let mut new_names: HashSet<String> = HashSet::new();
    let mut payments = Vec::with_capacity(fresh.len());
    for t in fresh {
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
        let mut named = Vec::new();
        if opts.match_invoices && !t.fee {
            let own = ledger.party_by_name(&name).map(|p| p.id);
            named = match own {
                Some(p) if !t.party_assumed => matcher.named(&t, Some(p)),
                _ if t.party_assumed => matcher.named(&t, None),
                _ => Vec::new(),
            };
            if t.party_assumed {
                if let Some(inv) = named.first().and_then(|i| ledger.invoice(*i)) {
                    name = ledger.party_name(inv.party).to_string();
                }
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
        let allocations = matcher.allocate(&named, t.amount);
        for a in &allocations {
            if let Some(inv) = ledger.invoice(a.invoice) {
                out.matches.push(Match {
                    line: t.line,
                    invoice: inv.number.clone(),
                    party: name.clone(),
                    amount: a.amount,
                    currency: t.currency,
                });
            }
        }
        out.payments += 1;
        if t.direction == Direction::In {
            out.incoming += 1;
        }
        if t.fee {
            out.fees += 1;
        }
        payments.push(Change::PutPayment(Payment {
            id: seq.next_payment(),
            party,
            direction: t.direction,
            amount: t.amount,
            currency: t.currency,
            date: t.date,
            method: t.method,
            reference: t.reference,
            notes: t.notes,
            allocations,
        }));
    }
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
    };
    if taken {
        *ids = seq;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Invoice, InvoiceKind, PartyId};
    use time::macros::date;

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

    fn run(l: &Ledger, ts: Vec<Transaction>) -> TransactionImport {
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
            PlanOptions::default(),
        )
    }

    fn allocs(r: &TransactionImport) -> Vec<(u64, Vec<(u64, String)>)> {
        r.plan
            .changes
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::PutPayment(p) => Some((
                    p.party.0,
                    p.allocations
                        .iter()
                        .map(|a| (a.invoice.0, a.amount.to_string()))
                        .collect(),
                )),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn matching_allocates_up_to_what_is_outstanding() {
        let l = ledger();
        let r = run(
            &l,
            vec![
                // pays INV-1 and part of INV-2; the rest of INV-2 is left for the next
                t(2, "Acme Corp", "130.00", "INV-1, INV-2"),
                t(3, "acme corp", "40.00", "rest of INV-2"),
                // another party's invoice, a void one, another currency: not matched
                t(4, "Acme Corp", "5.00", "INV-3 INV-4 INV-5"),
                // by e-mail
                t(5, "AP@acme.test", "1.00", "INV-2"),
            ],
        );
        assert_eq!(r.error_count, 0, "{:?}", r.errors);
        assert_eq!(
            allocs(&r),
            vec![
                (1, vec![(1, "100.00".into()), (2, "30.00".into())]),
                (1, vec![(2, "20.00".into())]),
                (1, vec![]),
                (1, vec![]),
            ]
        );
        assert_eq!(r.matches.len(), 3);
        assert!(r.new_parties.is_empty());
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

    #[test]
    fn candidates_find_invoice_numbers_in_text() {
        let mut seen = Vec::new();
        candidates("Payment INV-1, INV-2/INV-3. (#1001) ref:RF-9", |w| {
            seen.push(w.to_string());
            false
        });
        for want in ["INV-1", "INV-2", "INV-3", "1001", "RF-9"] {
            assert!(seen.iter().any(|s| s == want), "{want} in {seen:?}");
        }
    }
}
