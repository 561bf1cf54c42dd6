//! Validated operations shared by the command line and the TUI. Each takes the current
//! ledger and returns the change set that the caller commits to the store and then applies.

use rust_decimal::Decimal;
use time::{Date, Duration};

use crate::domain::ledger::{name_key, Ledger};
use crate::domain::reminders::{FollowUp, Reminder, ReminderSettings};
use crate::domain::{
    Allocation, Change, ChangeSet, Currency, Direction, DomainError, IdSeq, Invoice, InvoiceId,
    InvoiceKind, Method, Party, PartyId, PartyRole, Payment, PaymentId, StatusRules,
};

/// Payment terms used when neither the invoice nor its party says otherwise.
pub const DEFAULT_TERMS_DAYS: u32 = 30;

/// Errors from an operation; nothing has been changed when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// No such party.
    #[error("no party named '{0}'")]
    UnknownParty(String),
    /// No such invoice.
    #[error("no invoice numbered '{0}'")]
    UnknownInvoice(String),
    /// Invoice number taken.
    #[error("invoice number '{0}' already exists")]
    DuplicateNumber(String),
    /// Party name taken.
    #[error("a party named '{0}' already exists")]
    DuplicateParty(String),
    /// The record is referred to elsewhere.
    #[error("{0}")]
    InUse(String),
    /// A domain rule is broken.
    #[error(transparent)]
    Rule(#[from] DomainError),
    /// No record with that id.
    #[error("{0} not found")]
    NotFound(String),
}

/// Fields of a party as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyInput {
    /// Unique name.
    pub name: String,
    /// Customer, partner or both.
    pub role: PartyRole,
    /// Email for reminders.
    pub email: String,
    /// Default payment terms.
    pub terms_days: Option<u32>,
    /// Free text.
    pub notes: String,
}

/// Fields of an invoice as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceInput {
    /// Unique number.
    pub number: String,
    /// Party name (created when unknown).
    pub party: String,
    /// Receivable or payable.
    pub kind: InvoiceKind,
    /// Issue date.
    pub issue_date: Date,
    /// Due date; `None` means issue date plus the party's terms (or 30 days).
    pub due_date: Option<Date>,
    /// Amount (> 0).
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Free text.
    pub notes: String,
    /// Void.
    pub void: bool,
}

/// Fields of a payment as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentInput {
    /// Party name (created when unknown).
    pub party: String,
    /// In or out.
    pub direction: Direction,
    /// Amount (> 0).
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Value date.
    pub date: Date,
    /// Method.
    pub method: Method,
    /// Reference.
    pub reference: String,
    /// Free text.
    pub notes: String,
    /// (invoice number, amount); `None` applies the rest of the payment, capped at the
    /// invoice's outstanding.
    pub allocations: Vec<(String, Option<Decimal>)>,
}

/// Refuses amounts with more decimals than the currency has (`12.345` EUR, `5.5` JPY).
fn check_decimals(amount: Decimal, currency: Currency) -> Result<(), OpError> {
    if currency.fits(amount) {
        return Ok(());
    }
    Err(DomainError::Invalid(format!(
        "{amount} has more decimals than {currency} allows ({})",
        currency.minor_units()
    ))
    .into())
}

fn check_name(name: &str) -> Result<String, OpError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(DomainError::Invalid("party name is empty".into()).into());
    }
    if n.chars().count() > 200 {
        return Err(DomainError::Invalid("party name is longer than 200 characters".into()).into());
    }
    Ok(n.to_string())
}

/// Finds the party named `name`, or plans its creation with `role`; widens an existing
/// party's role when it is used in the other one.
fn resolve_party(
    l: &Ledger,
    ids: &mut IdSeq,
    set: &mut ChangeSet,
    name: &str,
    role: PartyRole,
) -> Result<PartyId, OpError> {
    let name = check_name(name)?;
    if let Some(p) = l.party_by_name(&name) {
        let merged = p.role.merge(role);
        if merged != p.role {
            set.push(Change::PutParty(Party {
                role: merged,
                ..p.clone()
            }));
        }
        return Ok(p.id);
    }
    let id = ids.next_party();
    set.push(Change::PutParty(Party {
        id,
        name,
        role,
        email: String::new(),
        terms_days: None,
        notes: String::new(),
    }));
    Ok(id)
}

/// Plans a new party.
pub fn add_party(
    l: &Ledger,
    ids: &mut IdSeq,
    p: &PartyInput,
) -> Result<(ChangeSet, PartyId), OpError> {
    let name = check_name(&p.name)?;
    if l.party_by_name(&name).is_some() {
        return Err(OpError::DuplicateParty(name));
    }
    let id = ids.next_party();
    let mut set = ChangeSet::new();
    set.push(Change::PutParty(Party {
        id,
        name,
        role: p.role,
        email: p.email.trim().to_string(),
        terms_days: p.terms_days,
        notes: p.notes.clone(),
    }));
    set.ids = Some(*ids);
    Ok((set, id))
}

/// Plans an edit of a party.
pub fn update_party(l: &Ledger, id: PartyId, p: &PartyInput) -> Result<ChangeSet, OpError> {
    l.party(id)
        .ok_or_else(|| OpError::NotFound(format!("party #{id}")))?;
    let name = check_name(&p.name)?;
    if let Some(other) = l.party_by_name(&name) {
        if other.id != id {
            return Err(OpError::DuplicateParty(name));
        }
    }
    let mut set = ChangeSet::new();
    set.push(Change::PutParty(Party {
        id,
        name,
        role: p.role,
        email: p.email.trim().to_string(),
        terms_days: p.terms_days,
        notes: p.notes.clone(),
    }));
    Ok(set)
}

fn build_invoice(
    l: &Ledger,
    ids: &mut IdSeq,
    set: &mut ChangeSet,
    id: InvoiceId,
    i: &InvoiceInput,
) -> Result<Invoice, OpError> {
    let number = i.number.trim().to_string();
    if let Some(other) = l.invoice_by_number(&number) {
        if other.id != id {
            return Err(OpError::DuplicateNumber(number));
        }
    }
    check_decimals(i.amount, i.currency)?;
    let role = PartyRole::for_direction(i.kind.direction());
    let party = resolve_party(l, ids, set, &i.party, role)?;
    let terms = l
        .party(party)
        .and_then(|p| p.terms_days)
        .unwrap_or(DEFAULT_TERMS_DAYS);
    let inv = Invoice {
        id,
        number,
        party,
        kind: i.kind,
        issue_date: i.issue_date,
        due_date: i
            .due_date
            .unwrap_or(i.issue_date + Duration::days(i64::from(terms))),
        amount: i.amount,
        currency: i.currency,
        notes: i.notes.clone(),
        void: i.void,
    };
    inv.validate()?;
    Ok(inv)
}

/// Plans a new invoice (creating its party when unknown).
pub fn add_invoice(
    l: &Ledger,
    ids: &mut IdSeq,
    i: &InvoiceInput,
) -> Result<(ChangeSet, InvoiceId), OpError> {
    let mut set = ChangeSet::new();
    let mut next = *ids;
    let id = next.next_invoice();
    let inv = build_invoice(l, &mut next, &mut set, id, i)?;
    set.push(Change::PutInvoice(inv));
    *ids = next;
    set.ids = Some(next);
    Ok((set, id))
}

/// Plans an edit of an invoice. Changing its party, currency or kind is refused while
/// payments are allocated to it.
pub fn update_invoice(
    l: &Ledger,
    ids: &mut IdSeq,
    id: InvoiceId,
    i: &InvoiceInput,
) -> Result<ChangeSet, OpError> {
    let old = l
        .invoice(id)
        .ok_or_else(|| OpError::NotFound(format!("invoice #{id}")))?;
    let mut set = ChangeSet::new();
    let mut next = *ids;
    let inv = build_invoice(l, &mut next, &mut set, id, i)?;
    if !l.allocations_to(id).is_empty()
        && (inv.party != old.party || inv.currency != old.currency || inv.kind != old.kind)
    {
        return Err(OpError::InUse(format!(
            "invoice {} has payments allocated to it: its party, currency and kind cannot change",
            old.number
        )));
    }
    set.push(Change::PutInvoice(inv));
    *ids = next;
    set.ids = Some(next);
    Ok(set)
}

fn build_payment(
    l: &Ledger,
    ids: &mut IdSeq,
    set: &mut ChangeSet,
    id: PaymentId,
    p: &PaymentInput,
    today: Date,
) -> Result<Payment, OpError> {
    check_decimals(p.amount, p.currency)?;
    let party = resolve_party(l, ids, set, &p.party, PartyRole::for_direction(p.direction))?;
    let mut payment = Payment {
        id,
        party,
        direction: p.direction,
        amount: p.amount,
        currency: p.currency,
        date: p.date,
        method: p.method,
        reference: p.reference.trim().to_string(),
        notes: p.notes.clone(),
        allocations: Vec::with_capacity(p.allocations.len()),
        source: None,
    };
    let rules = StatusRules::new(today.max(p.date));
    for (number, amount) in &p.allocations {
        let inv = l
            .invoice_by_number(number)
            .ok_or_else(|| OpError::UnknownInvoice(number.trim().to_string()))?;
        let amount = match amount {
            Some(a) => *a,
            None => {
                let left = payment.amount - payment.allocated();
                let mut outstanding = l.settlement(inv, &rules).outstanding;
                // This payment's own earlier allocation (when editing) does not count.
                if let Some(a) = l
                    .allocations_to(inv.id)
                    .iter()
                    .find(|a| a.payment == id && a.date <= rules.as_of)
                {
                    outstanding += a.amount;
                }
                left.min(outstanding.min(inv.amount))
            }
        };
        if amount <= Decimal::ZERO {
            return Err(DomainError::Allocation(format!(
                "nothing left of the payment to allocate to {}",
                inv.number
            ))
            .into());
        }
        payment.allocations.push(Allocation {
            invoice: inv.id,
            amount,
        });
    }
    payment.validate(|iid| l.invoice(iid))?;
    Ok(payment)
}

/// Plans a new payment (creating its party when unknown).
pub fn add_payment(
    l: &Ledger,
    ids: &mut IdSeq,
    p: &PaymentInput,
    today: Date,
) -> Result<(ChangeSet, PaymentId), OpError> {
    let mut set = ChangeSet::new();
    let mut next = *ids;
    let id = next.next_payment();
    let payment = build_payment(l, &mut next, &mut set, id, p, today)?;
    set.push(Change::PutPayment(payment));
    *ids = next;
    set.ids = Some(next);
    Ok((set, id))
}

/// Plans an edit of a payment. An imported payment keeps the fingerprint of its source
/// row, whatever is edited: a re-import still knows it.
pub fn update_payment(
    l: &Ledger,
    ids: &mut IdSeq,
    id: PaymentId,
    p: &PaymentInput,
    today: Date,
) -> Result<ChangeSet, OpError> {
    let old = l
        .payment(id)
        .ok_or_else(|| OpError::NotFound(format!("payment #{id}")))?;
    let mut set = ChangeSet::new();
    let mut next = *ids;
    let mut payment = build_payment(l, &mut next, &mut set, id, p, today)?;
    payment.source = old.source;
    set.push(Change::PutPayment(payment));
    *ids = next;
    set.ids = Some(next);
    Ok(set)
}

/// Plans the removal of a payment with its allocations.
pub fn delete_payment(l: &Ledger, id: PaymentId) -> Result<ChangeSet, OpError> {
    l.payment(id)
        .ok_or_else(|| OpError::NotFound(format!("payment #{id}")))?;
    Ok(ChangeSet {
        changes: vec![Change::DeletePayment(id)],
        ids: None,
    })
}

/// Plans the removal of an invoice. With allocations it is refused unless `force`, which
/// also removes those allocations from their payments (the amounts become credit).
pub fn delete_invoice(l: &Ledger, id: InvoiceId, force: bool) -> Result<ChangeSet, OpError> {
    let inv = l
        .invoice(id)
        .ok_or_else(|| OpError::NotFound(format!("invoice #{id}")))?;
    let payers = l.payments_allocated_to(id);
    if !payers.is_empty() && !force {
        return Err(OpError::InUse(format!(
            "invoice {} has {} payment(s) allocated to it; use --force to delete it and remove those allocations",
            inv.number,
            payers.len()
        )));
    }
    let mut set = ChangeSet::new();
    for pid in payers {
        if let Some(p) = l.payment(pid) {
            let mut p = p.clone();
            p.allocations.retain(|a| a.invoice != id);
            set.push(Change::PutPayment(p));
        }
    }
    if l.follow_up(id).is_some() {
        set.push(Change::DeleteFollowUp(id));
    }
    set.push(Change::DeleteInvoice(id));
    Ok(set)
}

/// Plans the removal of a party. With invoices or payments it is refused unless `force`,
/// which removes them too.
pub fn delete_party(l: &Ledger, id: PartyId, force: bool) -> Result<ChangeSet, OpError> {
    let party = l
        .party(id)
        .ok_or_else(|| OpError::NotFound(format!("party #{id}")))?;
    let payments: Vec<PaymentId> = l
        .payments()
        .iter()
        .filter(|p| p.party == id)
        .map(|p| p.id)
        .collect();
    let invoices: Vec<InvoiceId> = l
        .invoices()
        .iter()
        .filter(|i| i.party == id)
        .map(|i| i.id)
        .collect();
    if (!payments.is_empty() || !invoices.is_empty()) && !force {
        return Err(OpError::InUse(format!(
            "party '{}' has {} invoice(s) and {} payment(s); use --force to delete them too",
            party.name,
            invoices.len(),
            payments.len()
        )));
    }
    let mut set = ChangeSet::new();
    set.changes
        .extend(payments.into_iter().map(Change::DeletePayment));
    // an invoice's follow-up goes with it (it would refer to a missing invoice)
    set.changes.extend(
        invoices
            .iter()
            .filter(|i| l.follow_up(**i).is_some())
            .map(|i| Change::DeleteFollowUp(*i)),
    );
    set.changes
        .extend(invoices.into_iter().map(Change::DeleteInvoice));
    set.push(Change::DeleteParty(id));
    Ok(set)
}

/// Unpaid, not void invoices of a party that a payment of `direction` in `currency` may be
/// allocated to, oldest due first.
pub fn open_invoices_for(
    l: &Ledger,
    party: PartyId,
    currency: Currency,
    direction: Direction,
    today: Date,
) -> Vec<InvoiceId> {
    let rules = StatusRules::new(today);
    let kind = direction.invoice_kind();
    let mut v: Vec<&Invoice> = l
        .invoices()
        .iter()
        .filter(|i| i.party == party && i.currency == currency && i.kind == kind && !i.void)
        .filter(|i| l.settlement(i, &rules).outstanding > Decimal::ZERO)
        .collect();
    v.sort_by_key(|i| (i.due_date, i.id));
    v.into_iter().map(|i| i.id).collect()
}

/// Whether `name` is an existing party (case-insensitive).
pub fn party_exists(l: &Ledger, name: &str) -> bool {
    l.party_by_name(&name_key(name)).is_some()
}

/// Plans recording `reminders` as sent on `d` (levels already recorded are skipped, so
/// planning the same reminders twice records nothing the second time).
pub fn mark_reminders_sent(l: &Ledger, reminders: &[Reminder], d: Date) -> ChangeSet {
    let mut set = ChangeSet::new();
    for (id, f) in crate::domain::reminders::mark_sent(l.follow_ups(), reminders, d) {
        set.push(Change::PutFollowUp(id, f));
    }
    set
}

/// Plans storing an invoice's follow-up state (removing the record when it is empty).
pub fn set_follow_up(l: &Ledger, id: InvoiceId, f: FollowUp) -> Result<ChangeSet, OpError> {
    l.invoice(id)
        .ok_or_else(|| OpError::NotFound(format!("invoice #{id}")))?;
    let mut set = ChangeSet::new();
    if l.follow_up(id) == Some(&f) || (f.is_empty() && l.follow_up(id).is_none()) {
        return Ok(set);
    }
    set.push(if f.is_empty() {
        Change::DeleteFollowUp(id)
    } else {
        Change::PutFollowUp(id, f)
    });
    Ok(set)
}

/// Plans storing new reminder settings, after checking them.
pub fn set_reminder_settings(s: ReminderSettings) -> Result<ChangeSet, OpError> {
    s.validate()?;
    let mut set = ChangeSet::new();
    set.push(Change::PutReminderSettings(s));
    Ok(set)
}

/// Plans applying the party's credit to its oldest open invoices (FIFO), as one change
/// set; every changed payment is validated.
pub fn apply_credit(l: &Ledger, party: PartyId, today: Date) -> Result<ChangeSet, OpError> {
    l.party(party)
        .ok_or_else(|| OpError::NotFound(format!("party #{party}")))?;
    let set = crate::domain::matching::apply_credit(l, party, today);
    validate_payments(l, &set)?;
    Ok(set)
}

/// Plans adding a matching candidate's allocations to a payment.
pub fn accept_candidate(
    l: &Ledger,
    payment: PaymentId,
    c: &crate::domain::matching::Candidate,
) -> Result<ChangeSet, OpError> {
    let p = l
        .payment(payment)
        .ok_or_else(|| OpError::NotFound(format!("payment #{payment}")))?;
    let mut set = ChangeSet::new();
    set.push(Change::PutPayment(
        crate::domain::matching::with_allocations(p, &c.allocations),
    ));
    validate_payments(l, &set)?;
    Ok(set)
}

fn validate_payments(l: &Ledger, set: &ChangeSet) -> Result<(), OpError> {
    for c in &set.changes {
        if let Change::PutPayment(p) = c {
            p.validate(|iid| l.invoice(iid))?;
        }
    }
    Ok(())
}
