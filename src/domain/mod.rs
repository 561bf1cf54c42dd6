//! Pure domain types and rules: money, parties, invoices, payments, allocation, status,
//! aging and punctuality. Nothing here touches storage or the terminal.

mod changes;
mod dates;
mod entities;
mod money;
mod source;
mod status;

pub mod aging;
pub mod ledger;
pub mod matching;
pub mod reminders;

pub use changes::{Change, ChangeSet, IdSeq, SavedFilter};
pub use dates::{format_date, parse_date, parse_relative_date};
pub use entities::*;
pub use money::{format_amount, parse_amount, parse_positive_amount, Currency};
pub use source::{SourceKey, SourceKind};
pub use status::{InvoiceStatus, Settlement, StatusRules, DEFAULT_DUE_SOON_DAYS};

/// Errors raised by domain rules and value parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Not a plain decimal amount.
    #[error("'{0}' is not a decimal amount")]
    InvalidAmount(String),
    /// Amount must be greater than zero.
    #[error("'{0}' must be greater than zero")]
    NotPositive(String),
    /// Not an ISO 4217 code.
    #[error("'{0}' is not a currency code (three letters, e.g. EUR)")]
    InvalidCurrency(String),
    /// Date not in `YYYY-MM-DD`.
    #[error("'{0}' is not a date (YYYY-MM-DD)")]
    InvalidDate(String),
    /// Unknown enum word.
    #[error("'{value}' is not a {what} (expected one of: {expected})")]
    UnknownWord {
        /// What kind of word was expected.
        what: &'static str,
        /// The offending input.
        value: String,
        /// The accepted words.
        expected: &'static str,
    },
    /// An allocation breaks a rule.
    #[error("{0}")]
    Allocation(String),
    /// Anything else that makes a record invalid.
    #[error("{0}")]
    Invalid(String),
}
