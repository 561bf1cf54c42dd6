//! Status markers and roles of records: what makes a row overdue, due soon, paid,
//! partial or credit. Markers carry the meaning when there is no colour.

use rust_decimal::Decimal;

use crate::domain::ledger::Ledger;
use crate::domain::{Invoice, InvoiceStatus, Payment, StatusRules};
use crate::tui::theme::Role;
use crate::tui::views::PartyStats;

/// Marker and role of an invoice status.
pub fn invoice_status(st: InvoiceStatus) -> (char, Option<Role>) {
    match st {
        InvoiceStatus::Overdue => ('!', Some(Role::Overdue)),
        InvoiceStatus::DueSoon => ('~', Some(Role::DueSoon)),
        InvoiceStatus::Partial => ('%', Some(Role::Partial)),
        InvoiceStatus::Paid => ('=', Some(Role::Paid)),
        InvoiceStatus::Void => ('x', Some(Role::Void)),
        InvoiceStatus::Open => (' ', None),
    }
}

/// Marker and role of an invoice as of the rules' date.
pub fn invoice(l: &Ledger, inv: &Invoice, rules: &StatusRules) -> (char, Option<Role>) {
    invoice_status(l.settlement(inv, rules).status())
}

/// Whether an invoice was (or is being) paid late: completed after its due date, or
/// still unpaid past it.
pub fn invoice_late(l: &Ledger, inv: &Invoice, rules: &StatusRules) -> bool {
    match l.days_late(inv, rules.as_of) {
        Some(d) => d > 0,
        None => l.settlement(inv, rules).overdue,
    }
}

/// Marker and role of a payment: `!` when an invoice it pays was paid late (or is
/// overdue), `+` when part of it is credit, `=` when every invoice it pays is paid,
/// `%` when one is still partly open.
pub fn payment(l: &Ledger, p: &Payment, rules: &StatusRules) -> (char, Option<Role>) {
    let mut late = false;
    let mut all_paid = !p.allocations.is_empty();
    for a in &p.allocations {
        let Some(inv) = l.invoice(a.invoice) else {
            all_paid = false;
            continue;
        };
        if invoice_late(l, inv, rules) {
            late = true;
        }
        if !l.settlement(inv, rules).is_paid() {
            all_paid = false;
        }
    }
    if late {
        ('!', Some(Role::Overdue))
    } else if p.unallocated() > Decimal::ZERO {
        ('+', Some(Role::Credit))
    } else if all_paid {
        ('=', Some(Role::Paid))
    } else if !p.allocations.is_empty() {
        ('%', Some(Role::Partial))
    } else {
        (' ', None)
    }
}

/// Marker and role of a party from its stats.
pub fn party(stats: Option<&PartyStats>) -> (char, Option<Role>) {
    match stats {
        Some(s) if s.overdue => ('!', Some(Role::Overdue)),
        Some(s) if !s.credit.is_empty() => ('+', Some(Role::Credit)),
        _ => (' ', None),
    }
}
