//! Change sets: what one user action does to the records, applied atomically by the store
//! and then to the in-memory ledger.

use super::ledger::Ledger;
use super::reminders::{FollowUp, ReminderSettings};
use super::{Invoice, InvoiceId, Party, PartyId, Payment, PaymentId};

/// A named filter the user saved, optionally pinned to a key 1-9.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedFilter {
    /// Unique name.
    pub name: String,
    /// Filter-language text.
    pub query: String,
    /// Pinned to this digit key (1-9).
    pub pin: Option<u8>,
}

/// One record-level change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Insert or replace a party.
    PutParty(Party),
    /// Insert or replace an invoice.
    PutInvoice(Invoice),
    /// Insert or replace a payment.
    PutPayment(Payment),
    /// Remove a party.
    DeleteParty(PartyId),
    /// Remove an invoice.
    DeleteInvoice(InvoiceId),
    /// Remove a payment.
    DeletePayment(PaymentId),
    /// Insert or replace a saved filter (by name).
    PutFilter(SavedFilter),
    /// Remove a saved filter by name.
    DeleteFilter(String),
    /// Insert or replace an invoice's follow-up state (snooze, promise, dispute, sent).
    PutFollowUp(InvoiceId, FollowUp),
    /// Remove an invoice's follow-up state.
    DeleteFollowUp(InvoiceId),
    /// Replace the reminder ladders and minimum amount.
    PutReminderSettings(ReminderSettings),
}

/// The next free id of each kind. Ids are never reused, even after a delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdSeq {
    /// Next party id.
    pub party: u64,
    /// Next invoice id.
    pub invoice: u64,
    /// Next payment id.
    pub payment: u64,
}

impl Default for IdSeq {
    fn default() -> Self {
        IdSeq {
            party: 1,
            invoice: 1,
            payment: 1,
        }
    }
}

impl IdSeq {
    /// Takes the next party id.
    pub fn next_party(&mut self) -> PartyId {
        self.party += 1;
        PartyId(self.party - 1)
    }
    /// Takes the next invoice id.
    pub fn next_invoice(&mut self) -> InvoiceId {
        self.invoice += 1;
        InvoiceId(self.invoice - 1)
    }
    /// Takes the next payment id.
    pub fn next_payment(&mut self) -> PaymentId {
        self.payment += 1;
        PaymentId(self.payment - 1)
    }
    /// Raises the counters past every id in `ledger`.
    pub fn cover(&mut self, ledger: &Ledger) {
        for p in ledger.parties() {
            self.party = self.party.max(p.id.0 + 1);
        }
        for i in ledger.invoices() {
            self.invoice = self.invoice.max(i.id.0 + 1);
        }
        for p in ledger.payments() {
            self.payment = self.payment.max(p.id.0 + 1);
        }
    }
}

/// The changes of one user action plus the id counters after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// Record changes, applied in order.
    pub changes: Vec<Change>,
    /// Id counters to persist with the changes, when ids were taken.
    pub ids: Option<IdSeq>,
}

impl ChangeSet {
    /// An empty change set.
    pub fn new() -> Self {
        ChangeSet::default()
    }
    /// Adds a change.
    pub fn push(&mut self, c: Change) {
        self.changes.push(c);
    }
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.ids.is_none()
    }
}

impl Ledger {
    /// Applies a change set in memory (after the store has committed it).
    /// Saved filters are not part of the ledger and are skipped.
    pub fn apply(&mut self, set: &ChangeSet) {
        for c in &set.changes {
            match c {
                Change::PutParty(p) => self.upsert_party(p.clone()),
                Change::PutInvoice(i) => self.upsert_invoice(i.clone()),
                Change::PutPayment(p) => self.upsert_payment(p.clone()),
                Change::DeleteParty(id) => {
                    self.remove_party(*id);
                }
                Change::DeleteInvoice(id) => {
                    self.remove_invoice(*id);
                }
                Change::DeletePayment(id) => {
                    self.remove_payment(*id);
                }
                Change::PutFilter(_) | Change::DeleteFilter(_) => {}
                Change::PutFollowUp(id, f) => self.put_follow_up(*id, f.clone()),
                Change::DeleteFollowUp(id) => {
                    self.remove_follow_up(*id);
                }
                Change::PutReminderSettings(s) => self.set_reminder_settings(s.clone()),
            }
        }
    }
}

impl ChangeSet {
    /// The change set that undoes `self`, computed against the ledger *before* `self`
    /// is applied. Saved-filter changes are not undone; id counters never go back.
    pub fn inverse(&self, before: &Ledger) -> ChangeSet {
        let mut undo = Vec::with_capacity(self.changes.len());
        for c in self.changes.iter().rev() {
            let inv = match c {
                Change::PutParty(p) => match before.party(p.id) {
                    Some(old) => Change::PutParty(old.clone()),
                    None => Change::DeleteParty(p.id),
                },
                Change::PutInvoice(i) => match before.invoice(i.id) {
                    Some(old) => Change::PutInvoice(old.clone()),
                    None => Change::DeleteInvoice(i.id),
                },
                Change::PutPayment(p) => match before.payment(p.id) {
                    Some(old) => Change::PutPayment(old.clone()),
                    None => Change::DeletePayment(p.id),
                },
                Change::DeleteParty(id) => match before.party(*id) {
                    Some(old) => Change::PutParty(old.clone()),
                    None => continue,
                },
                Change::DeleteInvoice(id) => match before.invoice(*id) {
                    Some(old) => Change::PutInvoice(old.clone()),
                    None => continue,
                },
                Change::DeletePayment(id) => match before.payment(*id) {
                    Some(old) => Change::PutPayment(old.clone()),
                    None => continue,
                },
                Change::PutFilter(_) | Change::DeleteFilter(_) => continue,
                Change::PutFollowUp(id, _) => match before.follow_up(*id) {
                    Some(old) => Change::PutFollowUp(*id, old.clone()),
                    None => Change::DeleteFollowUp(*id),
                },
                Change::DeleteFollowUp(id) => match before.follow_up(*id) {
                    Some(old) => Change::PutFollowUp(*id, old.clone()),
                    None => continue,
                },
                Change::PutReminderSettings(_) => {
                    Change::PutReminderSettings(before.reminder_settings().clone())
                }
            };
            undo.push(inv);
        }
        // Deletes of dependants must come before deletes of what they depend on, and puts
        // of what others depend on before the dependants: order puts parties → invoices →
        // payments, deletes payments → invoices → parties.
        undo.sort_by_key(|c| match c {
            Change::DeleteFollowUp(_) => 0,
            Change::DeletePayment(_) => 0,
            Change::DeleteInvoice(_) => 1,
            Change::DeleteParty(_) => 2,
            Change::PutParty(_) => 3,
            Change::PutInvoice(_) => 4,
            Change::PutPayment(_) => 5,
            Change::PutFollowUp(..) | Change::PutReminderSettings(_) => 6,
            Change::PutFilter(_) | Change::DeleteFilter(_) => 7,
        });
        ChangeSet {
            changes: undo,
            ids: None,
        }
    }
}
