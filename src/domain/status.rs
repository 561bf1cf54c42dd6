//! Invoice status, derived from allocations as of a date (never stored, except `void`).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use time::{Date, Duration};

use super::{DomainError, Invoice};

/// Days ahead within which an unpaid invoice counts as due soon, unless configured.
pub const DEFAULT_DUE_SOON_DAYS: i64 = 7;

/// The as-of date and thresholds that status is derived against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusRules {
    /// The as-of date ("today").
    pub as_of: Date,
    /// Unpaid invoices due within this many days are due soon.
    pub due_soon_days: i64,
}

impl StatusRules {
    /// Rules with the default due-soon window.
    pub fn new(as_of: Date) -> Self {
        StatusRules {
            as_of,
            due_soon_days: DEFAULT_DUE_SOON_DAYS,
        }
    }
}

/// An invoice's status word as shown in lists and used by `status:` filters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum InvoiceStatus {
    /// Nothing paid yet, not overdue.
    Open,
    /// Partly paid, not overdue.
    Partial,
    /// Fully paid.
    Paid,
    /// Not paid and past its due date.
    Overdue,
    /// Not paid and due within the due-soon window.
    DueSoon,
    /// Set void by hand.
    Void,
}

impl InvoiceStatus {
    /// Every status word.
    pub const ALL: &'static [InvoiceStatus] = &[
        InvoiceStatus::Open,
        InvoiceStatus::Partial,
        InvoiceStatus::Paid,
        InvoiceStatus::Overdue,
        InvoiceStatus::DueSoon,
        InvoiceStatus::Void,
    ];

    /// The word used in lists and filters.
    pub fn as_str(&self) -> &'static str {
        match self {
            InvoiceStatus::Open => "open",
            InvoiceStatus::Partial => "partial",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Overdue => "overdue",
            InvoiceStatus::DueSoon => "due-soon",
            InvoiceStatus::Void => "void",
        }
    }
}

impl fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InvoiceStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        InvoiceStatus::ALL
            .iter()
            .copied()
            .find(|st| st.as_str() == t || (t == "duesoon" && *st == InvoiceStatus::DueSoon))
            .ok_or(DomainError::UnknownWord {
                what: "status",
                value: s.to_string(),
                expected: "open partial paid overdue due-soon void",
            })
    }
}

/// Everything derived about an invoice's settlement as of a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// Sum of allocations from payments dated on or before the as-of date.
    pub allocated: Decimal,
    /// max(0, amount − allocated).
    pub outstanding: Decimal,
    /// max(0, allocated − amount): shows as the party's credit.
    pub overpaid: Decimal,
    /// Void by hand.
    pub void: bool,
    /// Past due and not paid.
    pub overdue: bool,
    /// Due within the window and not paid.
    pub due_soon: bool,
}

impl Settlement {
    /// Derives the settlement of `inv` given the allocated sum as of `rules.as_of`.
    pub fn derive(inv: &Invoice, allocated: Decimal, rules: &StatusRules) -> Settlement {
        let outstanding = (inv.amount - allocated).max(Decimal::ZERO);
        let overpaid = (allocated - inv.amount).max(Decimal::ZERO);
        let unpaid = !inv.void && outstanding > Decimal::ZERO;
        let overdue = unpaid && rules.as_of > inv.due_date;
        let due_soon = unpaid
            && inv.due_date >= rules.as_of
            && inv.due_date <= rules.as_of + Duration::days(rules.due_soon_days);
        Settlement {
            allocated,
            outstanding,
            overpaid,
            void: inv.void,
            overdue,
            due_soon,
        }
    }

    /// Fully paid (and not void).
    pub fn is_paid(&self) -> bool {
        !self.void && self.outstanding.is_zero()
    }

    /// Partly paid.
    pub fn is_partial(&self) -> bool {
        !self.void && self.allocated > Decimal::ZERO && self.outstanding > Decimal::ZERO
    }

    /// Nothing allocated yet.
    pub fn is_open(&self) -> bool {
        !self.void && self.allocated.is_zero()
    }

    /// The one status word shown for the invoice.
    pub fn status(&self) -> InvoiceStatus {
        if self.void {
            InvoiceStatus::Void
        } else if self.is_paid() {
            InvoiceStatus::Paid
        } else if self.overdue {
            InvoiceStatus::Overdue
        } else if self.due_soon {
            InvoiceStatus::DueSoon
        } else if self.is_partial() {
            InvoiceStatus::Partial
        } else {
            InvoiceStatus::Open
        }
    }

    /// Whether the invoice has `status` (a partial invoice that is overdue is both).
    pub fn has(&self, status: InvoiceStatus) -> bool {
        match status {
            InvoiceStatus::Open => self.is_open(),
            InvoiceStatus::Partial => self.is_partial(),
            InvoiceStatus::Paid => self.is_paid(),
            InvoiceStatus::Overdue => self.overdue,
            InvoiceStatus::DueSoon => self.due_soon,
            InvoiceStatus::Void => self.void,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, InvoiceId, InvoiceKind, PartyId};
    use time::macros::date;

    fn inv() -> Invoice {
        Invoice {
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
        }
    }

    fn st(allocated: &str, as_of: Date) -> Settlement {
        Settlement::derive(&inv(), allocated.parse().unwrap(), &StatusRules::new(as_of))
    }

    #[test]
    fn statuses() {
        assert_eq!(st("0", date!(2025 - 01 - 10)).status(), InvoiceStatus::Open);
        assert_eq!(
            st("40", date!(2025 - 01 - 10)).status(),
            InvoiceStatus::Partial
        );
        assert_eq!(
            st("100", date!(2025 - 03 - 10)).status(),
            InvoiceStatus::Paid
        );
        let late = st("40", date!(2025 - 02 - 01));
        assert_eq!(late.status(), InvoiceStatus::Overdue);
        assert!(late.has(InvoiceStatus::Partial) && late.has(InvoiceStatus::Overdue));
        // due on the as-of date: not overdue yet, due soon
        let today = st("0", date!(2025 - 01 - 31));
        assert!(!today.overdue && today.due_soon);
        assert_eq!(
            st("0", date!(2025 - 01 - 24)).status(),
            InvoiceStatus::DueSoon
        );
        assert_eq!(st("0", date!(2025 - 01 - 23)).status(), InvoiceStatus::Open);
    }

    #[test]
    fn overpayment_and_void() {
        let s = st("130", date!(2025 - 01 - 10));
        assert!(s.is_paid());
        assert_eq!(s.overpaid, "30".parse().unwrap());
        assert_eq!(s.outstanding, Decimal::ZERO);
        let mut v = inv();
        v.void = true;
        let s = Settlement::derive(&v, Decimal::ZERO, &StatusRules::new(date!(2025 - 06 - 01)));
        assert_eq!(s.status(), InvoiceStatus::Void);
        assert!(!s.overdue && !s.has(InvoiceStatus::Open));
    }

    #[test]
    fn status_words() {
        assert_eq!(
            "due-soon".parse::<InvoiceStatus>().unwrap(),
            InvoiceStatus::DueSoon
        );
        assert!("stauts".parse::<InvoiceStatus>().is_err());
    }
}
