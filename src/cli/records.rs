//! `paytrack add|edit|delete`: one record at a time, validated by [`crate::ops`].

use std::io::Write;

use anyhow::{Context as _, Result};
use rust_decimal::Decimal;

use super::args::{
    AddCommand, DeleteCommand, EditCommand, InvoiceFields, PartyFields, PaymentFields,
};
use super::ExitLedger;
use super::{Context, UsageError};
use crate::domain::ledger::Ledger;
use crate::domain::{
    parse_positive_amount, parse_relative_date, ChangeSet, Currency, InvoiceKind, Method,
    PartyRole, PaymentId,
};
use crate::ops::{self, InvoiceInput, PartyInput, PaymentInput};
use crate::session::Session;
use crate::text::sanitize;

fn required<T: Clone>(v: &Option<T>, flag: &str) -> Result<T> {
    v.clone()
        .ok_or_else(|| UsageError(format!("{flag} is required")).into())
}

fn date_arg(v: &Option<String>, flag: &str, today: time::Date) -> Result<Option<time::Date>> {
    v.as_deref()
        .map(|s| {
            parse_relative_date(s, today).map_err(|e| UsageError(format!("{flag}: {e}")).into())
        })
        .transpose()
}

/// Parses `NUMBER` or `NUMBER=AMOUNT`.
fn parse_allocation(s: &str) -> Result<(String, Option<Decimal>)> {
    match s.rsplit_once('=') {
        Some((num, amt)) => {
            let amount = parse_positive_amount(amt)
                .map_err(|e| UsageError(format!("--invoice {s}: {e}")))?;
            Ok((num.trim().to_string(), Some(amount)))
        }
        None => Ok((s.trim().to_string(), None)),
    }
}

fn commit(store: &Session, l: &ExitLedger, set: &ChangeSet) -> Result<()> {
    super::commit(store, l, set).context("nothing was saved")?;
    Ok(())
}

/// A safety copy before a delete of more than one record (see [`crate::store::safety::is_bulk`]).
fn bulk_safety_copy(store: &Session, set: &ChangeSet) -> Result<()> {
    if crate::store::safety::is_bulk(set) {
        store
            .safety_copy("bulk delete")?
            .inspect(|c| eprintln!("paytrack: {c}"));
    }
    Ok(())
}

/// `paytrack add ...`.
pub fn add(ctx: &Context, cmd: &AddCommand, out: &mut impl Write) -> Result<()> {
    ctx.transact(|store, l| {
        let mut ids = store.ids()?;
        match cmd {
            AddCommand::Party(f) => {
                let input = PartyInput {
                    name: required(&f.name, "--name")?,
                    role: f.role.unwrap_or(PartyRole::Customer),
                    email: f.email.clone().unwrap_or_default(),
                    terms_days: f.terms,
                    notes: f.notes.clone().unwrap_or_default(),
                };
                let (set, id) = ops::add_party(l, &mut ids, &input)?;
                commit(store, l, &set)?;
                writeln!(out, "added party {} ({})", sanitize(input.name.trim()), id)?;
            }
            AddCommand::Invoice(f) => {
                let input = InvoiceInput {
                    number: required(&f.number, "--number")?,
                    party: required(&f.party, "--party")?,
                    kind: f.kind.unwrap_or(InvoiceKind::Receivable),
                    issue_date: date_arg(&f.issue, "--issue", ctx.today)?.unwrap_or(ctx.today),
                    due_date: date_arg(&f.due, "--due", ctx.today)?,
                    amount: required(&f.amount, "--amount")?,
                    currency: f.currency.unwrap_or(Currency::EUR),
                    notes: f.notes.clone().unwrap_or_default(),
                    void: f.void,
                };
                let (mut set, id) = ops::add_invoice(l, &mut ids, &input)?;
                if let Some(fu) = follow_up_input(l, id, f, ctx.today)? {
                    if !fu.is_empty() {
                        set.push(crate::domain::Change::PutFollowUp(id, fu));
                    }
                }
                commit(store, l, &set)?;
                writeln!(
                    out,
                    "added invoice {} for {} {}",
                    sanitize(input.number.trim()),
                    input.currency.format(input.amount),
                    input.currency
                )?;
            }
            AddCommand::Payment(f) => {
                let input = PaymentInput {
                    party: required(&f.party, "--party")?,
                    direction: required(&f.direction, "--direction")?,
                    amount: required(&f.amount, "--amount")?,
                    currency: f.currency.unwrap_or(Currency::EUR),
                    date: date_arg(&f.date, "--date", ctx.today)?.unwrap_or(ctx.today),
                    method: f.method.unwrap_or(Method::BankTransfer),
                    reference: f.reference.clone().unwrap_or_default(),
                    notes: f.notes.clone().unwrap_or_default(),
                    allocations: f
                        .invoices
                        .iter()
                        .map(|s| parse_allocation(s))
                        .collect::<Result<_>>()?,
                };
                let (set, id) = ops::add_payment(l, &mut ids, &input, ctx.today)?;
                commit(store, l, &set)?;
                writeln!(
                    out,
                    "added payment {} of {} {}",
                    id,
                    input.currency.format(input.amount),
                    input.currency
                )?;
            }
        }
        Ok(())
    })
}

fn party_input(
    l: &Ledger,
    name: &str,
    f: &PartyFields,
) -> Result<(crate::domain::PartyId, PartyInput)> {
    let p = l
        .party_by_name(name)
        .ok_or_else(|| ops::OpError::UnknownParty(name.to_string()))?;
    Ok((
        p.id,
        PartyInput {
            name: f.name.clone().unwrap_or_else(|| p.name.clone()),
            role: f.role.unwrap_or(p.role),
            email: f.email.clone().unwrap_or_else(|| p.email.clone()),
            terms_days: f.terms.or(p.terms_days),
            notes: f.notes.clone().unwrap_or_else(|| p.notes.clone()),
        },
    ))
}

fn invoice_input(
    l: &Ledger,
    number: &str,
    f: &InvoiceFields,
    today: time::Date,
) -> Result<(crate::domain::InvoiceId, InvoiceInput)> {
    let i = l
        .invoice_by_number(number)
        .ok_or_else(|| ops::OpError::UnknownInvoice(number.to_string()))?;
    Ok((
        i.id,
        InvoiceInput {
            number: f.number.clone().unwrap_or_else(|| i.number.clone()),
            party: f
                .party
                .clone()
                .unwrap_or_else(|| l.party_name(i.party).to_string()),
            kind: f.kind.unwrap_or(i.kind),
            issue_date: date_arg(&f.issue, "--issue", today)?.unwrap_or(i.issue_date),
            due_date: Some(date_arg(&f.due, "--due", today)?.unwrap_or(i.due_date)),
            amount: f.amount.unwrap_or(i.amount),
            currency: f.currency.unwrap_or(i.currency),
            notes: f.notes.clone().unwrap_or_else(|| i.notes.clone()),
            void: if f.void {
                true
            } else if f.unvoid {
                false
            } else {
                i.void
            },
        },
    ))
}

/// `none` (or an empty value) clears a follow-up date; anything else is a date.
fn follow_up_date(
    v: &Option<String>,
    flag: &str,
    today: time::Date,
    old: Option<time::Date>,
) -> Result<Option<time::Date>> {
    match v.as_deref().map(str::trim) {
        None => Ok(old),
        Some("" | "none") => Ok(None),
        Some(_) => date_arg(v, flag, today),
    }
}

/// The invoice's follow-up with the flags applied, when any flag was given.
fn follow_up_input(
    l: &Ledger,
    id: crate::domain::InvoiceId,
    f: &InvoiceFields,
    today: time::Date,
) -> Result<Option<crate::domain::reminders::FollowUp>> {
    if f.snooze_until.is_none() && f.promise.is_none() && !f.disputed && !f.undisputed {
        return Ok(None);
    }
    let mut fu = l.follow_up(id).cloned().unwrap_or_default();
    fu.snooze_until = follow_up_date(&f.snooze_until, "--snooze-until", today, fu.snooze_until)?;
    fu.promise = follow_up_date(&f.promise, "--promise", today, fu.promise)?;
    if f.disputed {
        fu.disputed = true;
    } else if f.undisputed {
        fu.disputed = false;
    }
    Ok(Some(fu))
}

fn payment_input(
    l: &Ledger,
    id: u64,
    f: &PaymentFields,
    today: time::Date,
) -> Result<PaymentInput> {
    let p = l
        .payment(PaymentId(id))
        .ok_or_else(|| ops::OpError::NotFound(format!("payment {id}")))?;
    let allocations = if f.unlink {
        Vec::new()
    } else if !f.invoices.is_empty() {
        f.invoices
            .iter()
            .map(|s| parse_allocation(s))
            .collect::<Result<_>>()?
    } else {
        p.allocations
            .iter()
            .filter_map(|a| {
                l.invoice(a.invoice)
                    .map(|i| (i.number.clone(), Some(a.amount)))
            })
            .collect()
    };
    Ok(PaymentInput {
        party: f
            .party
            .clone()
            .unwrap_or_else(|| l.party_name(p.party).to_string()),
        direction: f.direction.unwrap_or(p.direction),
        amount: f.amount.unwrap_or(p.amount),
        currency: f.currency.unwrap_or(p.currency),
        date: date_arg(&f.date, "--date", today)?.unwrap_or(p.date),
        method: f.method.unwrap_or(p.method),
        reference: f.reference.clone().unwrap_or_else(|| p.reference.clone()),
        notes: f.notes.clone().unwrap_or_else(|| p.notes.clone()),
        allocations,
    })
}

/// `paytrack edit ...`.
pub fn edit(ctx: &Context, cmd: &EditCommand, out: &mut impl Write) -> Result<()> {
    ctx.transact(|store, l| {
        let mut ids = store.ids()?;
        match cmd {
            EditCommand::Party { target, fields } => {
                let (id, input) = party_input(l, target, fields)?;
                let set = ops::update_party(l, id, &input)?;
                commit(store, l, &set)?;
                writeln!(out, "updated party {}", sanitize(input.name.trim()))?;
            }
            EditCommand::Invoice { target, fields } => {
                let (id, input) = invoice_input(l, target, fields, ctx.today)?;
                let mut set = ops::update_invoice(l, &mut ids, id, &input)?;
                if let Some(f) = follow_up_input(l, id, fields, ctx.today)? {
                    set.changes.extend(ops::set_follow_up(l, id, f)?.changes);
                }
                commit(store, l, &set)?;
                writeln!(out, "updated invoice {}", sanitize(input.number.trim()))?;
            }
            EditCommand::Payment { id, fields } => {
                let input = payment_input(l, *id, fields, ctx.today)?;
                let set = ops::update_payment(l, &mut ids, PaymentId(*id), &input, ctx.today)?;
                commit(store, l, &set)?;
                writeln!(out, "updated payment {id}")?;
            }
        }
        Ok(())
    })
}

/// `paytrack delete ...`.
pub fn delete(ctx: &Context, cmd: &DeleteCommand, out: &mut impl Write) -> Result<()> {
    ctx.transact(|store, l| {
        match cmd {
            DeleteCommand::Party { name, force } => {
                let p = l
                    .party_by_name(name)
                    .ok_or_else(|| ops::OpError::UnknownParty(name.clone()))?;
                let set = ops::delete_party(l, p.id, *force)?;
                bulk_safety_copy(store, &set)?;
                commit(store, l, &set)?;
                writeln!(out, "deleted party {}", sanitize(&p.name))?;
            }
            DeleteCommand::Invoice { number, force } => {
                let i = l
                    .invoice_by_number(number)
                    .ok_or_else(|| ops::OpError::UnknownInvoice(number.clone()))?;
                let set = ops::delete_invoice(l, i.id, *force)?;
                let unlinked = set
                    .changes
                    .iter()
                    .filter(|c| matches!(c, crate::domain::Change::PutPayment(_)))
                    .count();
                bulk_safety_copy(store, &set)?;
                commit(store, l, &set)?;
                if unlinked > 0 {
                    writeln!(
                        out,
                        "deleted invoice {} and its allocations from {unlinked} payment(s)",
                        sanitize(&i.number)
                    )?;
                } else {
                    writeln!(out, "deleted invoice {}", sanitize(&i.number))?;
                }
            }
            DeleteCommand::Payment { id } => {
                let set = ops::delete_payment(l, PaymentId(*id))?;
                commit(store, l, &set)?;
                writeln!(out, "deleted payment {id}")?;
            }
        }
        Ok(())
    })
}
