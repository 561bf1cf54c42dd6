//! `paytrack check`: decodes every stored value (listing each one that does not decode,
//! with its key), verifies the records — references, allocation rules, uniqueness and the
//! stored counters — and lists every problem found. `--repair` rebuilds what can be
//! derived from the records (counts, id counters, records under the wrong key) after a
//! safety copy, and says what it fixed.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::Path;

use rust_decimal::Decimal;

use crate::domain::ledger::{name_key, Ledger};
use crate::domain::{check_compatible, IdSeq};
use crate::store::safety::Salvage;
use crate::store::{Counts, Store, StoreError};

/// One problem found in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem(pub String);

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::text::sanitize(&self.0))
    }
}

/// Checks the records of `l` against each other and against the stored `counts` and `ids`.
pub fn check_ledger(l: &Ledger, counts: Counts, ids: IdSeq) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut say = |s: String| out.push(Problem(s));

    let mut names: HashMap<String, u64> = HashMap::new();
    for p in l.parties() {
        if let Some(other) = names.insert(name_key(&p.name), p.id.0) {
            say(format!(
                "parties {} and {} share the name '{}'",
                other, p.id, p.name
            ));
        }
        if p.id.0 >= ids.party {
            say(format!(
                "party {} is at or above the next party id {}",
                p.id, ids.party
            ));
        }
    }
    let mut numbers: HashMap<&str, u64> = HashMap::with_capacity(l.invoices().len());
    for i in l.invoices() {
        if let Some(other) = numbers.insert(i.number.trim(), i.id.0) {
            say(format!(
                "invoices {} and {} share the number '{}'",
                other, i.id, i.number
            ));
        }
        if l.party(i.party).is_none() {
            say(format!(
                "invoice {} refers to missing party {}",
                i.number, i.party
            ));
        }
        if let Err(e) = i.validate() {
            say(format!("invoice {}: {e}", i.number));
        }
        if i.id.0 >= ids.invoice {
            say(format!(
                "invoice {} is at or above the next invoice id {}",
                i.id, ids.invoice
            ));
        }
    }
    for p in l.payments() {
        if l.party(p.party).is_none() {
            say(format!(
                "payment {} refers to missing party {}",
                p.id, p.party
            ));
        }
        if p.amount <= Decimal::ZERO {
            say(format!(
                "payment {} has a non-positive amount {}",
                p.id, p.amount
            ));
        }
        for a in &p.allocations {
            match l.invoice(a.invoice) {
                None => say(format!(
                    "payment {} is allocated to missing invoice {}",
                    p.id, a.invoice
                )),
                Some(inv) => {
                    if let Err(e) = check_compatible(p, inv) {
                        say(format!("payment {}: {e}", p.id));
                    }
                }
            }
            if a.amount <= Decimal::ZERO {
                say(format!("payment {} has a non-positive allocation", p.id));
            }
        }
        if p.allocated() > p.amount {
            say(format!(
                "payment {}: allocations {} exceed the amount {}",
                p.id,
                p.allocated(),
                p.amount
            ));
        }
        if p.id.0 >= ids.payment {
            say(format!(
                "payment {} is at or above the next payment id {}",
                p.id, ids.payment
            ));
        }
    }
    let actual = Counts {
        parties: l.parties().len() as u64,
        invoices: l.invoices().len() as u64,
        payments: l.payments().len() as u64,
    };
    if actual != counts {
        say(format!(
            "stored counts ({} parties, {} invoices, {} payments) differ from the records ({}, {}, {})",
            counts.parties, counts.invoices, counts.payments, actual.parties, actual.invoices, actual.payments
        ));
    }
    out
}

/// Whether `s` holds something [`Store::repair_meta`](crate::store::Store::repair_meta) can fix.
fn repairable(s: &Salvage) -> bool {
    s.counts != Some(s.actual_counts())
        || s.ids != Some(s.derived_ids())
        || (!s.misplaced.is_empty() && s.bad.is_empty())
}

/// Every problem of a salvaged store: values that do not decode, records under the wrong
/// key, then the checks of [`check_ledger`] on the records that decode.
pub fn check_salvage(s: Salvage) -> Vec<Problem> {
    let mut out: Vec<Problem> = s
        .bad
        .iter()
        .map(|b| Problem(format!("{} does not decode: {}", b.key, b.reason)))
        .collect();
    out.extend(s.misplaced.iter().cloned().map(Problem));
    // Missing counters are a fault only in a store with records (a new store has none).
    let has_records = s.actual_counts() != Counts::default();
    if s.counts.is_none() && has_records {
        out.push(Problem(
            "the record counts are missing or unreadable".into(),
        ));
    }
    if s.ids.is_none() && has_records {
        out.push(Problem("the id counters are missing or unreadable".into()));
    }
    let counts = s.counts.unwrap_or_default();
    let ids = s.ids.unwrap_or_default();
    let l = Ledger::from_records(s.parties, s.invoices, s.payments);
    out.extend(check_ledger(&l, counts, ids));
    let mut follow_ups = s.follow_ups;
    follow_ups.sort_unstable();
    for id in follow_ups {
        if l.invoice(id).is_none() {
            out.push(Problem(format!(
                "the follow-up of invoice {id} refers to missing invoice {id}"
            )));
        }
    }
    out
}

/// `paytrack check [--repair]` on the store at `db`: prints nothing and returns `Ok` when
/// all is well; otherwise prints each problem on its own line (after the `repaired:` lines
/// of `--repair`) and returns an error counting them. When another paytrack process owns
/// the store, that process runs the check (see [`crate::session::Session::check`]).
pub fn run(db: &Path, repair: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let session = match crate::session::Session::open(db) {
        Ok(s) => {
            crate::cli::announce(&s, &mut std::io::stderr());
            s
        }
        Err(crate::session::SessionError::Store(e)) => return refused(db, e, out),
        Err(e) => return Err(e.into()),
    };
    let report = session.check(repair)?;
    out.write_all(report.output.as_bytes())?;
    eprint!("{}", report.notes);
    match report.error {
        None => Ok(()),
        Some(e) => anyhow::bail!(e),
    }
}

/// A store that cannot be opened: damage is described on standard output (nothing more
/// can be read from it, and the store's own message would send the user back here).
fn refused(db: &Path, e: StoreError, out: &mut impl Write) -> anyhow::Result<()> {
    let Some(report) = damaged(db, &e) else {
        return Err(e.into());
    };
    out.write_all(report.output.as_bytes())?;
    anyhow::bail!(report.error.unwrap_or_default());
}

/// The report for a store whose files sled cannot read, or `None` when `e` is not damage.
fn damaged(db: &Path, e: &StoreError) -> Option<CheckReport> {
    let reason = match e {
        StoreError::Damaged { reason, .. } => reason.clone(),
        StoreError::Corrupt { key, source, .. } => format!("record {key}: {source}"),
        StoreError::NotAStore { .. } | StoreError::Sled { .. } => e.to_string(),
        _ => return None,
    };
    Some(CheckReport {
        output: format!(
            "the store's files are damaged: {}\n",
            crate::text::sanitize(&reason)
        ),
        notes: String::new(),
        error: Some(format!(
            "the store at {} cannot be read{}",
            db.display(),
            crate::store::safety::recovery_hint(db)
        )),
    })
}

/// What a check printed and how it ended, so it can run in the process that owns the
/// store and be shown by the one that asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// The lines for standard output (`repaired: ...`, then the problems).
    pub output: String,
    /// Lines for standard error (where a safety copy was written).
    pub notes: String,
    /// The error the command ends with, when problems were found.
    pub error: Option<String>,
}

/// Checks (and with `repair`, repairs) an open store. The caller must keep other writers
/// out while it runs: a repair rewrites counters computed from what it read.
pub fn check_store(store: &Store, repair: bool) -> anyhow::Result<CheckReport> {
    let db = store.path();
    let mut report = CheckReport::default();
    // sled may refuse a damaged page only when the scan reaches it
    let mut s = match store.salvage() {
        Ok(s) => s,
        Err(e) => return damaged(db, &e).ok_or_else(|| e.into()),
    };
    let mut fixed = Vec::new();
    if repair && repairable(&s) {
        if let Some(c) = store.safety_copy("repair")? {
            report.notes.push_str(&format!("paytrack: {c}\n"));
        }
        fixed = store.repair_meta(&s)?;
        s = store.salvage()?;
    }
    for f in &fixed {
        report
            .output
            .push_str(&format!("repaired: {}\n", crate::text::sanitize(f)));
    }
    let can_repair = repairable(&s);
    let undecodable = !s.bad.is_empty();
    let problems = check_salvage(s);
    if problems.is_empty() {
        return Ok(report);
    }
    for p in &problems {
        report.output.push_str(&format!("{p}\n"));
    }
    let mut hint = String::new();
    if can_repair && !repair {
        hint.push_str(
            "; `paytrack check --repair` rebuilds the counts and id counters from the records",
        );
    }
    if undecodable {
        hint.push_str(&crate::store::safety::recovery_hint(db));
    }
    report.error = Some(format!(
        "{} problem(s) found in the store at {}{hint}",
        problems.len(),
        db.display()
    ));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Allocation, Currency, Direction, Invoice, InvoiceId, InvoiceKind, Method, Party, PartyId,
        PartyRole, Payment, PaymentId,
    };
    use time::macros::date;

    fn ledger(alloc_to: u64, alloc: &str) -> Ledger {
        let party = |id: u64, name: &str| Party {
            id: PartyId(id),
            name: name.into(),
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
            due_date: date!(2025 - 01 - 31),
            amount: "100".parse().unwrap(),
            currency: Currency::EUR,
            notes: String::new(),
            void: false,
        };
        let pay = Payment {
            id: PaymentId(1),
            party: PartyId(1),
            direction: Direction::In,
            amount: "50".parse().unwrap(),
            currency: Currency::EUR,
            date: date!(2025 - 01 - 10),
            method: Method::Cash,
            reference: String::new(),
            notes: String::new(),
            allocations: vec![Allocation {
                invoice: InvoiceId(alloc_to),
                amount: alloc.parse().unwrap(),
            }],
            source: None,
        };
        Ledger::from_records(vec![party(1, "A"), party(2, "B")], vec![inv], vec![pay])
    }

    const COUNTS: Counts = Counts {
        parties: 2,
        invoices: 1,
        payments: 1,
    };
    const IDS: IdSeq = IdSeq {
        party: 3,
        invoice: 2,
        payment: 2,
    };

    #[test]
    fn a_sound_store_has_no_problems() {
        assert!(check_ledger(&ledger(1, "50"), COUNTS, IDS).is_empty());
    }

    #[test]
    fn finds_orphans_overallocation_and_counters() {
        let p = check_ledger(&ledger(7, "60"), COUNTS, IDS);
        let text: Vec<String> = p.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter().any(|t| t.contains("missing invoice 7")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("exceed the amount")),
            "{text:?}"
        );
        let p = check_ledger(
            &ledger(1, "50"),
            Counts {
                payments: 5,
                ..COUNTS
            },
            IdSeq { payment: 1, ..IDS },
        );
        assert_eq!(p.len(), 2, "{p:?}");
    }
}
