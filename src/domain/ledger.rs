//! The in-memory ledger: every party, invoice and payment with the indexes that make
//! status, credit and lookups cheap. It applies domain rules; it never touches storage.

use std::collections::HashMap;

use rust_decimal::Decimal;
use time::Date;

use super::{
    Currency, Direction, Invoice, InvoiceId, Party, PartyId, Payment, PaymentId, Settlement,
    StatusRules,
};

/// One allocation seen from the invoice's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvoiceAllocation {
    /// Date of the paying payment.
    pub date: Date,
    /// The paying payment.
    pub payment: PaymentId,
    /// Amount applied to the invoice.
    pub amount: Decimal,
}

/// Maps dense ids to positions in a `Vec`.
#[derive(Clone, Debug, Default)]
struct Slots(Vec<u32>);

impl Slots {
    const NONE: u32 = u32::MAX;
    fn get(&self, id: u64) -> Option<usize> {
        match self.0.get(usize::try_from(id).ok()?) {
            Some(&p) if p != Self::NONE => Some(p as usize),
            _ => None,
        }
    }
    fn set(&mut self, id: u64, pos: usize) {
        let i = id as usize;
        if i >= self.0.len() {
            self.0.resize(i + 1, Self::NONE);
        }
        self.0[i] = pos as u32;
    }
    fn clear(&mut self, id: u64) {
        if let Some(p) = self.0.get_mut(id as usize) {
            *p = Self::NONE;
        }
    }
}

/// All records, with indexes by id, name, number, party and invoice.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    parties: Vec<Party>,
    invoices: Vec<Invoice>,
    payments: Vec<Payment>,
    party_slots: Slots,
    invoice_slots: Slots,
    payment_slots: Slots,
    party_names: HashMap<String, PartyId>,
    invoice_numbers: HashMap<String, InvoiceId>,
    /// Allocations per invoice id, sorted by (payment date, payment id).
    by_invoice: HashMap<InvoiceId, Vec<InvoiceAllocation>>,
}

/// The key under which a party name is unique.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Ledger::default()
    }

    /// Builds a ledger from loaded records.
    pub fn from_records(parties: Vec<Party>, invoices: Vec<Invoice>, payments: Vec<Payment>) -> Self {
        let mut l = Ledger::new();
        l.parties.reserve(parties.len());
        for p in parties {
            l.upsert_party(p);
        }
        l.invoices.reserve(invoices.len());
        l.invoice_numbers.reserve(invoices.len());
        for i in invoices {
            l.upsert_invoice(i);
        }
        l.payments.reserve(payments.len());
        for p in payments {
            l.push_payment_unsorted(p);
        }
        for list in l.by_invoice.values_mut() {
            list.sort_by_key(|a| (a.date, a.payment));
        }
        l
    }

    /// All parties, in the order they were added.
    pub fn parties(&self) -> &[Party] {
        &self.parties
    }
    /// All invoices, in the order they were added.
    pub fn invoices(&self) -> &[Invoice] {
        &self.invoices
    }
    /// All payments, in the order they were added.
    pub fn payments(&self) -> &[Payment] {
        &self.payments
    }

    /// A party by id.
    pub fn party(&self, id: PartyId) -> Option<&Party> {
        self.party_slots.get(id.0).map(|p| &self.parties[p])
    }
    /// An invoice by id.
    pub fn invoice(&self, id: InvoiceId) -> Option<&Invoice> {
        self.invoice_slots.get(id.0).map(|p| &self.invoices[p])
    }
    /// A payment by id.
    pub fn payment(&self, id: PaymentId) -> Option<&Payment> {
        self.payment_slots.get(id.0).map(|p| &self.payments[p])
    }
    /// A party by its (case-insensitive) name.
    pub fn party_by_name(&self, name: &str) -> Option<&Party> {
        self.party_names
            .get(&name_key(name))
            .and_then(|id| self.party(*id))
    }
    /// An invoice by its number (exact, then case-insensitive).
    pub fn invoice_by_number(&self, number: &str) -> Option<&Invoice> {
        self.invoice_numbers
            .get(number.trim())
            .and_then(|id| self.invoice(*id))
    }
    /// The party's name, or `?` for a dangling id.
    pub fn party_name(&self, id: PartyId) -> &str {
        self.party(id).map(|p| p.name.as_str()).unwrap_or("?")
    }

    /// Allocations made to an invoice, oldest payment first.
    pub fn allocations_to(&self, id: InvoiceId) -> &[InvoiceAllocation] {
        self.by_invoice.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Sum allocated to an invoice from payments dated on or before `as_of`.
    pub fn allocated_as_of(&self, id: InvoiceId, as_of: Date) -> Decimal {
        self.allocations_to(id)
            .iter()
            .take_while(|a| a.date <= as_of)
            .map(|a| a.amount)
            .sum()
    }

    /// The invoice's settlement as of the rules' date.
    pub fn settlement(&self, inv: &Invoice, rules: &StatusRules) -> Settlement {
        Settlement::derive(inv, self.allocated_as_of(inv.id, rules.as_of), rules)
    }

    /// The date of the payment that completed the invoice, if it was paid by `as_of`.
    pub fn completion_date(&self, inv: &Invoice, as_of: Date) -> Option<Date> {
        if inv.void {
            return None;
        }
        let mut sum = Decimal::ZERO;
        for a in self.allocations_to(inv.id) {
            if a.date > as_of {
                break;
            }
            sum += a.amount;
            if sum >= inv.amount {
                return Some(a.date);
            }
        }
        None
    }

    /// Days the invoice was paid late (0 when on time), if it was paid by `as_of`.
    pub fn days_late(&self, inv: &Invoice, as_of: Date) -> Option<i64> {
        self.completion_date(inv, as_of)
            .map(|c| (c - inv.due_date).whole_days().max(0))
    }

    /// The party's credit per currency as of a date: unallocated payment remainders
    /// plus overpayments of its invoices. Only currencies with credit are listed.
    pub fn party_credit(&self, party: PartyId, as_of: Date) -> Vec<(Currency, Direction, Decimal)> {
        let mut acc: Vec<(Currency, Direction, Decimal)> = Vec::new();
        let mut add = |c: Currency, d: Direction, v: Decimal| {
            if v.is_zero() {
                return;
            }
            match acc.iter_mut().find(|(ac, ad, _)| *ac == c && *ad == d) {
                Some(e) => e.2 += v,
                None => acc.push((c, d, v)),
            }
        };
        for p in self.payments.iter().filter(|p| p.party == party && p.date <= as_of) {
            add(p.currency, p.direction, p.unallocated());
        }
        let rules = StatusRules::new(as_of);
        for inv in self.invoices.iter().filter(|i| i.party == party) {
            let s = self.settlement(inv, &rules);
            add(inv.currency, inv.kind.direction(), s.overpaid);
        }
        acc.sort_by_key(|(c, d, _)| (*c, *d));
        acc
    }

    /// Inserts or replaces a party.
    pub fn upsert_party(&mut self, p: Party) {
        if let Some(pos) = self.party_slots.get(p.id.0) {
            let old = std::mem::replace(&mut self.parties[pos], p);
            self.party_names.remove(&name_key(&old.name));
            let new = &self.parties[pos];
            self.party_names.insert(name_key(&new.name), new.id);
        } else {
            self.party_slots.set(p.id.0, self.parties.len());
            self.party_names.insert(name_key(&p.name), p.id);
            self.parties.push(p);
        }
    }

    /// Inserts or replaces an invoice.
    pub fn upsert_invoice(&mut self, i: Invoice) {
        if let Some(pos) = self.invoice_slots.get(i.id.0) {
            let old = std::mem::replace(&mut self.invoices[pos], i);
            self.invoice_numbers.remove(old.number.trim());
            let new = &self.invoices[pos];
            self.invoice_numbers
                .insert(new.number.trim().to_string(), new.id);
        } else {
            self.invoice_slots.set(i.id.0, self.invoices.len());
            self.invoice_numbers.insert(i.number.trim().to_string(), i.id);
            self.invoices.push(i);
        }
    }

    fn push_payment_unsorted(&mut self, p: Payment) {
        if self.payment_slots.get(p.id.0).is_some() {
            self.upsert_payment(p);
            return;
        }
        for a in &p.allocations {
            self.by_invoice.entry(a.invoice).or_default().push(InvoiceAllocation {
                date: p.date,
                payment: p.id,
                amount: a.amount,
            });
        }
        self.payment_slots.set(p.id.0, self.payments.len());
        self.payments.push(p);
    }

    fn unindex_allocations(&mut self, p: &Payment) {
        for a in &p.allocations {
            if let Some(list) = self.by_invoice.get_mut(&a.invoice) {
                list.retain(|x| x.payment != p.id);
                if list.is_empty() {
                    self.by_invoice.remove(&a.invoice);
                }
            }
        }
    }

    /// Inserts or replaces a payment, keeping the per-invoice allocation index sorted.
    pub fn upsert_payment(&mut self, p: Payment) {
        if let Some(pos) = self.payment_slots.get(p.id.0) {
            let old = std::mem::replace(&mut self.payments[pos], p.clone());
            self.unindex_allocations(&old);
        } else {
            self.payment_slots.set(p.id.0, self.payments.len());
            self.payments.push(p.clone());
        }
        for a in &p.allocations {
            let list = self.by_invoice.entry(a.invoice).or_default();
            let entry = InvoiceAllocation {
                date: p.date,
                payment: p.id,
                amount: a.amount,
            };
            let at = list.partition_point(|x| (x.date, x.payment) < (entry.date, entry.payment));
            list.insert(at, entry);
        }
    }

    /// Removes a party (the caller ensures nothing refers to it).
    pub fn remove_party(&mut self, id: PartyId) -> Option<Party> {
        let pos = self.party_slots.get(id.0)?;
        let p = self.parties.swap_remove(pos);
        self.party_slots.clear(id.0);
        if let Some(moved) = self.parties.get(pos) {
            self.party_slots.set(moved.id.0, pos);
        }
        self.party_names.remove(&name_key(&p.name));
        Some(p)
    }

    /// Removes an invoice (allocations to it must be removed first).
    pub fn remove_invoice(&mut self, id: InvoiceId) -> Option<Invoice> {
        let pos = self.invoice_slots.get(id.0)?;
        let i = self.invoices.swap_remove(pos);
        self.invoice_slots.clear(id.0);
        if let Some(moved) = self.invoices.get(pos) {
            self.invoice_slots.set(moved.id.0, pos);
        }
        self.invoice_numbers.remove(i.number.trim());
        Some(i)
    }

    /// Removes a payment and its allocations.
    pub fn remove_payment(&mut self, id: PaymentId) -> Option<Payment> {
        let pos = self.payment_slots.get(id.0)?;
        let p = self.payments.swap_remove(pos);
        self.payment_slots.clear(id.0);
        if let Some(moved) = self.payments.get(pos) {
            self.payment_slots.set(moved.id.0, pos);
        }
        self.unindex_allocations(&p);
        Some(p)
    }

    /// Payments with at least one allocation to `inv`.
    pub fn payments_allocated_to(&self, inv: InvoiceId) -> Vec<PaymentId> {
        let mut v: Vec<PaymentId> = self.allocations_to(inv).iter().map(|a| a.payment).collect();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Allocation, InvoiceKind, InvoiceStatus, Method, PartyRole};
    use time::macros::date;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn party(id: u64, name: &str) -> Party {
        Party {
            id: PartyId(id),
            name: name.into(),
            role: PartyRole::Customer,
            email: String::new(),
            terms_days: None,
            notes: String::new(),
        }
    }

    fn invoice(id: u64, amount: &str, cur: Currency, due: Date) -> Invoice {
        Invoice {
            id: InvoiceId(id),
            number: format!("INV-{id:03}"),
            party: PartyId(1),
            kind: InvoiceKind::Receivable,
            issue_date: date!(2025 - 01 - 01),
            due_date: due,
            amount: d(amount),
            currency: cur,
            notes: String::new(),
            void: false,
        }
    }

    fn payment(id: u64, date: Date, amount: &str, allocs: &[(u64, &str)]) -> Payment {
        Payment {
            id: PaymentId(id),
            party: PartyId(1),
            direction: Direction::In,
            amount: d(amount),
            currency: Currency::EUR,
            date,
            method: Method::BankTransfer,
            reference: format!("REF{id}"),
            notes: String::new(),
            allocations: allocs
                .iter()
                .map(|(i, a)| Allocation {
                    invoice: InvoiceId(*i),
                    amount: d(a),
                })
                .collect(),
        }
    }

    fn ledger() -> Ledger {
        Ledger::from_records(
            vec![party(1, "Müller GmbH")],
            vec![
                invoice(1, "100", Currency::EUR, date!(2025 - 01 - 31)),
                invoice(2, "200", Currency::EUR, date!(2025 - 02 - 28)),
                invoice(3, "50", Currency::EUR, date!(2025 - 03 - 31)),
            ],
            vec![
                // recorded later but dated earlier: date order wins
                payment(2, date!(2025 - 02 - 10), "70", &[(1, "70")]),
                payment(1, date!(2025 - 01 - 20), "30", &[(1, "30")]),
                // split over three invoices with 20 left as credit
                payment(3, date!(2025 - 03 - 01), "290", &[(1, "10"), (2, "200"), (3, "60")]),
            ],
        )
    }

    #[test]
    fn completion_date_follows_payment_dates() {
        let l = ledger();
        let i1 = l.invoice(InvoiceId(1)).unwrap();
        assert_eq!(
            l.completion_date(i1, date!(2025 - 12 - 31)),
            Some(date!(2025 - 02 - 10))
        );
        assert_eq!(l.days_late(i1, date!(2025 - 12 - 31)), Some(10));
        let i2 = l.invoice(InvoiceId(2)).unwrap();
        assert_eq!(l.days_late(i2, date!(2025 - 12 - 31)), Some(1));
        // before the completing payment: not paid
        assert_eq!(l.completion_date(i1, date!(2025 - 02 - 09)), None);
    }

    #[test]
    fn payment_after_as_of_is_ignored() {
        let l = ledger();
        let i1 = l.invoice(InvoiceId(1)).unwrap();
        let r = StatusRules::new(date!(2025 - 02 - 05));
        let s = l.settlement(i1, &r);
        assert_eq!(s.allocated, d("30"));
        assert_eq!(s.status(), InvoiceStatus::Overdue);
        assert!(s.has(InvoiceStatus::Partial));
    }

    #[test]
    fn overpayment_and_remainder_are_credit() {
        let l = ledger();
        let credit = l.party_credit(PartyId(1), date!(2025 - 12 - 31));
        // invoice 1 overpaid by 10, invoice 3 by 10, payment 3 has 20 unallocated
        assert_eq!(credit, vec![(Currency::EUR, Direction::In, d("40"))]);
        let early = l.party_credit(PartyId(1), date!(2025 - 02 - 15));
        assert!(early.is_empty());
    }

    #[test]
    fn edits_and_removals_keep_indexes() {
        let mut l = ledger();
        l.remove_payment(PaymentId(3));
        assert_eq!(l.allocations_to(InvoiceId(2)).len(), 0);
        assert_eq!(l.allocations_to(InvoiceId(1)).len(), 2);
        let mut p = l.payment(PaymentId(1)).unwrap().clone();
        p.date = date!(2025 - 03 - 01);
        l.upsert_payment(p);
        let list = l.allocations_to(InvoiceId(1));
        assert_eq!(list[0].payment, PaymentId(2));
        assert_eq!(list[1].payment, PaymentId(1));
        l.remove_invoice(InvoiceId(1));
        assert!(l.invoice_by_number("INV-001").is_none());
        assert_eq!(l.invoice_by_number("INV-003").unwrap().id, InvoiceId(3));
        assert_eq!(l.party_by_name("müller gmbh").unwrap().id, PartyId(1));
    }

    #[test]
    fn zero_decimal_currency() {
        let mut l = Ledger::new();
        l.upsert_party(party(1, "Tanaka KK"));
        l.upsert_invoice(invoice(1, "12000", Currency::JPY, date!(2025 - 01 - 31)));
        let mut p = payment(1, date!(2025 - 01 - 15), "12000", &[(1, "12000")]);
        p.currency = Currency::JPY;
        l.upsert_payment(p);
        let inv = l.invoice(InvoiceId(1)).unwrap();
        let s = l.settlement(inv, &StatusRules::new(date!(2025 - 02 - 01)));
        assert_eq!(s.status(), InvoiceStatus::Paid);
        assert_eq!(Currency::JPY.format(s.outstanding), "0");
    }
}
