//! The records the bookkeeper works with: parties, invoices, payments and allocations.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use time::Date;

use super::{Currency, DomainError, SourceKey};

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
        pub struct $name(pub u64);
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// Identifies a party.
    PartyId
);
id_type!(
    /// Identifies an invoice or bill.
    InvoiceId
);
id_type!(
    /// Identifies a payment.
    PaymentId
);

/// Declares a closed set of words with explicit parsing and naming.
macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub enum $name { $($(#[$vm])* $variant),+ }
        impl $name {
            /// Every variant, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The word used in files, filters and on the command line.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }
        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($word) { return Ok($name::$variant); })+
                Err(DomainError::UnknownWord {
                    what: $what,
                    value: s.to_string(),
                    expected: concat!($($word, " "),+).trim_ascii_end(),
                })
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum!(
    /// Whether money comes in (from a customer) or goes out (to a partner).
    Direction, "direction" { In = "in", Out = "out" }
);
word_enum!(
    /// Receivable: we billed a customer. Payable: a partner billed us.
    InvoiceKind, "kind" { Receivable = "receivable", Payable = "payable" }
);
word_enum!(
    /// How a payment was made.
    Method, "payment method" {
        BankTransfer = "bank_transfer",
        Card = "card",
        Cash = "cash",
        Check = "check",
        Paypal = "paypal",
        DirectDebit = "direct_debit",
        Other = "other",
    }
);
word_enum!(
    /// What a party is to us.
    PartyRole, "party role" { Customer = "customer", Partner = "partner", Both = "both" }
);

impl Direction {
    /// The invoice kind a payment of this direction may be allocated to.
    pub fn invoice_kind(self) -> InvoiceKind {
        match self {
            Direction::In => InvoiceKind::Receivable,
            Direction::Out => InvoiceKind::Payable,
        }
    }
}

impl InvoiceKind {
    /// The payment direction that settles this kind of invoice.
    pub fn direction(self) -> Direction {
        match self {
            InvoiceKind::Receivable => Direction::In,
            InvoiceKind::Payable => Direction::Out,
        }
    }
}

impl PartyRole {
    /// The role for a party that paid or was paid in `dir`.
    pub fn for_direction(dir: Direction) -> PartyRole {
        match dir {
            Direction::In => PartyRole::Customer,
            Direction::Out => PartyRole::Partner,
        }
    }

    /// This role widened to also cover `other`.
    pub fn merge(self, other: PartyRole) -> PartyRole {
        if self == other {
            self
        } else {
            PartyRole::Both
        }
    }
}

/// A customer, a partner (supplier), or both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    /// Identity in the store.
    pub id: PartyId,
    /// Unique (case-insensitive) name.
    pub name: String,
    /// Customer, partner or both.
    pub role: PartyRole,
    /// Where reminders go.
    pub email: String,
    /// Default payment terms in days.
    pub terms_days: Option<u32>,
    /// Free text.
    pub notes: String,
}

/// An invoice we issued (receivable) or a bill we received (payable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    /// Identity in the store.
    pub id: InvoiceId,
    /// Number, unique in the store.
    pub number: String,
    /// Who it is with.
    pub party: PartyId,
    /// Receivable or payable.
    pub kind: InvoiceKind,
    /// Issue date.
    pub issue_date: Date,
    /// Due date.
    pub due_date: Date,
    /// Amount (> 0).
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Free text.
    pub notes: String,
    /// Set by hand; a void invoice owes nothing.
    pub void: bool,
}

/// A part of a payment applied to one invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allocation {
    /// The invoice it pays.
    pub invoice: InvoiceId,
    /// How much of the payment goes to it (> 0).
    pub amount: Decimal,
}

/// Money that came in or went out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// Identity in the store; also the order in which payments were recorded.
    pub id: PaymentId,
    /// Who paid or was paid.
    pub party: PartyId,
    /// In or out.
    pub direction: Direction,
    /// Amount (> 0).
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Value date.
    pub date: Date,
    /// Payment method.
    pub method: Method,
    /// Bank or provider reference.
    pub reference: String,
    /// Free text.
    pub notes: String,
    /// Invoices this payment is applied to; their sum is at most `amount`.
    pub allocations: Vec<Allocation>,
    /// The fingerprint of the row it was imported from, by which a re-import knows it
    /// whatever was edited since; `None` for a payment entered by hand (or imported
    /// before fingerprints were kept).
    pub source: Option<SourceKey>,
}

impl Payment {
    /// Sum of all allocations.
    pub fn allocated(&self) -> Decimal {
        self.allocations.iter().map(|a| a.amount).sum()
    }

    /// What is left unallocated: the party's credit from this payment.
    pub fn unallocated(&self) -> Decimal {
        (self.amount - self.allocated()).max(Decimal::ZERO)
    }

    /// Checks the payment's own rules and that each allocation joins it to a compatible invoice.
    ///
    /// `lookup` resolves an allocation's invoice.
    pub fn validate<'a>(
        &self,
        lookup: impl Fn(InvoiceId) -> Option<&'a Invoice>,
    ) -> Result<(), DomainError> {
        if self.amount <= Decimal::ZERO {
            return Err(DomainError::NotPositive(self.amount.to_string()));
        }
        let mut seen = Vec::with_capacity(self.allocations.len());
        for a in &self.allocations {
            if a.amount <= Decimal::ZERO {
                return Err(DomainError::Allocation(format!(
                    "allocation of {} must be greater than zero",
                    a.amount
                )));
            }
            if seen.contains(&a.invoice) {
                return Err(DomainError::Allocation(
                    "the same invoice appears twice in the split".into(),
                ));
            }
            seen.push(a.invoice);
            let inv = lookup(a.invoice).ok_or_else(|| {
                DomainError::Allocation(format!("invoice #{} does not exist", a.invoice))
            })?;
            check_compatible(self, inv)?;
        }
        if self.allocated() > self.amount {
            return Err(DomainError::Allocation(format!(
                "allocations sum to {} which is more than the payment's {}",
                self.currency.format(self.allocated()),
                self.currency.format(self.amount)
            )));
        }
        Ok(())
    }
}

/// Whether a payment may be allocated to an invoice: same party, currency, matching direction.
pub fn check_compatible(p: &Payment, inv: &Invoice) -> Result<(), DomainError> {
    if inv.party != p.party {
        return Err(DomainError::Allocation(format!(
            "invoice {} belongs to another party",
            inv.number
        )));
    }
    if inv.currency != p.currency {
        return Err(DomainError::Allocation(format!(
            "invoice {} is in {}, the payment in {}",
            inv.number, inv.currency, p.currency
        )));
    }
    if inv.kind != p.direction.invoice_kind() {
        return Err(DomainError::Allocation(format!(
            "invoice {} is {}, which a payment '{}' cannot settle",
            inv.number, inv.kind, p.direction
        )));
    }
    Ok(())
}

impl Invoice {
    /// Checks the invoice's own rules.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.number.trim().is_empty() {
            return Err(DomainError::Invalid("invoice number is empty".into()));
        }
        if self.amount <= Decimal::ZERO {
            return Err(DomainError::NotPositive(self.amount.to_string()));
        }
        if self.due_date < self.issue_date {
            return Err(DomainError::Invalid(format!(
                "due date {} is before the issue date {}",
                super::format_date(self.due_date),
                super::format_date(self.issue_date)
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn inv(id: u64, party: u64, kind: InvoiceKind, cur: Currency) -> Invoice {
        Invoice {
            id: InvoiceId(id),
            number: format!("INV-{id}"),
            party: PartyId(party),
            kind,
            issue_date: date!(2025 - 01 - 01),
            due_date: date!(2025 - 01 - 31),
            amount: d("100"),
            currency: cur,
            notes: String::new(),
            void: false,
        }
    }

    fn pay(amount: &str, allocs: &[(u64, &str)]) -> Payment {
        Payment {
            id: PaymentId(1),
            party: PartyId(1),
            direction: Direction::In,
            amount: d(amount),
            currency: Currency::EUR,
            date: date!(2025 - 01 - 10),
            method: Method::BankTransfer,
            reference: String::new(),
            notes: String::new(),
            allocations: allocs
                .iter()
                .map(|(i, a)| Allocation {
                    invoice: InvoiceId(*i),
                    amount: d(a),
                })
                .collect(),
            source: None,
        }
    }

    #[test]
    fn words_parse_explicitly() {
        assert_eq!("IN".parse::<Direction>().unwrap(), Direction::In);
        assert_eq!(
            "direct_debit".parse::<Method>().unwrap(),
            Method::DirectDebit
        );
        let e = "wire".parse::<Method>().unwrap_err().to_string();
        assert!(e.contains("bank_transfer card cash"), "{e}");
    }

    #[test]
    fn split_over_three_and_remainder_is_credit() {
        let invs = [
            inv(1, 1, InvoiceKind::Receivable, Currency::EUR),
            inv(2, 1, InvoiceKind::Receivable, Currency::EUR),
            inv(3, 1, InvoiceKind::Receivable, Currency::EUR),
        ];
        let p = pay("250", &[(1, "100"), (2, "80"), (3, "20")]);
        p.validate(|id| invs.iter().find(|i| i.id == id)).unwrap();
        assert_eq!(p.allocated(), d("200"));
        assert_eq!(p.unallocated(), d("50"));
    }

    #[test]
    fn rejects_incompatible_allocations() {
        let other_party = inv(1, 2, InvoiceKind::Receivable, Currency::EUR);
        let usd = inv(2, 1, InvoiceKind::Receivable, Currency::USD);
        let payable = inv(3, 1, InvoiceKind::Payable, Currency::EUR);
        for i in [other_party, usd, payable] {
            let p = pay("50", &[(i.id.0, "50")]);
            assert!(p.validate(|_| Some(&i)).is_err());
        }
        let ok = inv(4, 1, InvoiceKind::Receivable, Currency::EUR);
        let over = pay("50", &[(4, "60")]);
        assert!(over
            .validate(|_| Some(&ok))
            .unwrap_err()
            .to_string()
            .contains("more than"));
        let dup = pay("50", &[(4, "10"), (4, "10")]);
        assert!(dup.validate(|_| Some(&ok)).is_err());
        let missing = pay("50", &[(9, "10")]);
        assert!(missing.validate(|_| None).is_err());
    }

    /// A million payments are held in memory: the source fingerprint fits in the padding
    /// the other fields leave (120 bytes before it was added).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_payment_stays_small() {
        assert_eq!(std::mem::size_of::<Payment>(), 120);
    }

    #[test]
    fn invoice_rules() {
        let mut i = inv(1, 1, InvoiceKind::Receivable, Currency::EUR);
        i.validate().unwrap();
        i.due_date = date!(2024 - 12 - 01);
        assert!(i.validate().is_err());
    }
}
