//! `paytrack check`: verifies a loaded store — references, allocation rules, uniqueness and
//! the stored counters — and lists every problem found.

use std::collections::HashMap;
use std::fmt;

use rust_decimal::Decimal;

use crate::domain::ledger::{name_key, Ledger};
use crate::domain::{check_compatible, IdSeq};
use crate::store::Counts;

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
