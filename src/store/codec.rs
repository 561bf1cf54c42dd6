//! The record encoding: a one-byte record tag (type and version) in front of a bincode body.
//!
//! Stored records are separate types from the domain's: enums are mapped to explicit codes
//! (never by declaration order), dates are Julian day numbers and amounts are
//! (scale, mantissa) pairs, so the domain types can evolve without breaking old stores.

use rust_decimal::Decimal;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use time::Date;

use crate::domain::{
    Allocation, Currency, Direction, IdSeq, Invoice, InvoiceId, InvoiceKind, Method, Party,
    PartyId, PartyRole, Payment, PaymentId, SavedFilter,
};

/// Largest stored value we accept to decode (a block of 128 payments is ~10 KB).
pub const MAX_VALUE_BYTES: usize = 16 * 1024 * 1024;

/// Record tags: the first byte of every stored value. Never reuse or renumber one.
pub mod tag {
    /// Schema version number (meta).
    pub const SCHEMA_V1: u8 = 0x01;
    /// Id counters (meta).
    pub const IDS_V1: u8 = 0x02;
    /// Record counts (meta).
    pub const COUNTS_V1: u8 = 0x03;
    /// A block of payments, version 1.
    pub const PAYMENT_BLOCK_V1: u8 = 0x11;
    /// A block of invoices, version 1.
    pub const INVOICE_BLOCK_V1: u8 = 0x21;
    /// One party, version 1.
    pub const PARTY_V1: u8 = 0x31;
    /// One saved filter, version 1.
    pub const FILTER_V1: u8 = 0x41;
}

/// What went wrong decoding a stored value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
    /// The value is empty.
    #[error("empty value")]
    Empty,
    /// The tag is not the one expected here (or from a newer version).
    #[error("record tag 0x{found:02x} where 0x{expected:02x} was expected (written by a newer paytrack?)")]
    UnknownTag {
        /// Tag expected at this key.
        expected: u8,
        /// Tag found.
        found: u8,
    },
    /// The body does not decode.
    #[error("record body does not decode: {0}")]
    Body(String),
    /// A field holds a value no version of paytrack writes.
    #[error("invalid {field} code {code}")]
    BadCode {
        /// Which field.
        field: &'static str,
        /// The code found.
        code: u32,
    },
    /// The value is larger than any record paytrack writes.
    #[error("value of {0} bytes exceeds the size limit")]
    TooLarge(usize),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_VALUE_BYTES>()
}

/// Encodes `body` behind `tag`.
pub fn encode<T: Serialize>(tag: u8, body: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(tag);
    // Encoding into a Vec cannot fail for these plain types.
    bincode::serde::encode_into_std_write(body, &mut out, config())
        .expect("encoding a record into memory");
    out
}

/// Decodes a value that must carry `expected` as its tag.
pub fn decode<T: DeserializeOwned>(expected: u8, bytes: &[u8]) -> Result<T, CodecError> {
    if bytes.len() > MAX_VALUE_BYTES {
        return Err(CodecError::TooLarge(bytes.len()));
    }
    let (&found, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    if found != expected {
        return Err(CodecError::UnknownTag { expected, found });
    }
    let (v, used) = bincode::serde::decode_from_slice(body, config())
        .map_err(|e| CodecError::Body(e.to_string()))?;
    if used != body.len() {
        return Err(CodecError::Body(format!(
            "{} trailing bytes",
            body.len() - used
        )));
    }
    Ok(v)
}

/// A decimal as (scale, mantissa): compact under bincode's varints.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(u8, i128);

impl From<Decimal> for Amount {
    fn from(d: Decimal) -> Self {
        Amount(d.scale() as u8, d.mantissa())
    }
}

impl TryFrom<Amount> for Decimal {
    type Error = CodecError;
    fn try_from(a: Amount) -> Result<Self, CodecError> {
        Decimal::try_from_i128_with_scale(a.1, u32::from(a.0)).map_err(|_| CodecError::BadCode {
            field: "amount scale",
            code: u32::from(a.0),
        })
    }
}

fn date_code(d: Date) -> i32 {
    d.to_julian_day()
}

fn date_from(code: i32) -> Result<Date, CodecError> {
    Date::from_julian_day(code).map_err(|_| CodecError::BadCode {
        field: "date",
        code: code as u32,
    })
}

fn currency_from(b: [u8; 3]) -> Result<Currency, CodecError> {
    Currency::from_bytes(b).map_err(|_| CodecError::BadCode {
        field: "currency",
        code: u32::from_be_bytes([0, b[0], b[1], b[2]]),
    })
}

/// Explicit numeric codes for stored enums.
macro_rules! codes {
    ($ty:ty, $field:literal, $to:ident, $from:ident { $($variant:path = $code:literal),+ $(,)? }) => {
        fn $to(v: $ty) -> u8 {
            match v { $($variant => $code),+ }
        }
        fn $from(c: u8) -> Result<$ty, CodecError> {
            match c {
                $($code => Ok($variant),)+
                other => Err(CodecError::BadCode { field: $field, code: u32::from(other) }),
            }
        }
    };
}

codes!(Direction, "direction", direction_code, direction_from {
    Direction::In = 1, Direction::Out = 2,
});
codes!(InvoiceKind, "kind", kind_code, kind_from {
    InvoiceKind::Receivable = 1, InvoiceKind::Payable = 2,
});
codes!(PartyRole, "role", role_code, role_from {
    PartyRole::Customer = 1, PartyRole::Partner = 2, PartyRole::Both = 3,
});
codes!(Method, "method", method_code, method_from {
    Method::BankTransfer = 1, Method::Card = 2, Method::Cash = 3, Method::Check = 4,
    Method::Paypal = 5, Method::DirectDebit = 6, Method::Other = 7,
});

/// Stored form of a payment, version 1.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PaymentV1 {
    id: u64,
    party: u64,
    direction: u8,
    amount: Amount,
    currency: [u8; 3],
    date: i32,
    method: u8,
    reference: String,
    notes: String,
    allocations: Vec<(u64, Amount)>,
}

impl From<&Payment> for PaymentV1 {
    fn from(p: &Payment) -> Self {
        PaymentV1 {
            id: p.id.0,
            party: p.party.0,
            direction: direction_code(p.direction),
            amount: p.amount.into(),
            currency: p.currency.as_bytes(),
            date: date_code(p.date),
            method: method_code(p.method),
            reference: p.reference.clone(),
            notes: p.notes.clone(),
            allocations: p
                .allocations
                .iter()
                .map(|a| (a.invoice.0, a.amount.into()))
                .collect(),
        }
    }
}

impl TryFrom<PaymentV1> for Payment {
    type Error = CodecError;
    fn try_from(r: PaymentV1) -> Result<Self, CodecError> {
        Ok(Payment {
            id: PaymentId(r.id),
            party: PartyId(r.party),
            direction: direction_from(r.direction)?,
            amount: r.amount.try_into()?,
            currency: currency_from(r.currency)?,
            date: date_from(r.date)?,
            method: method_from(r.method)?,
            reference: r.reference,
            notes: r.notes,
            allocations: r
                .allocations
                .into_iter()
                .map(|(i, a)| {
                    Ok(Allocation {
                        invoice: InvoiceId(i),
                        amount: a.try_into()?,
                    })
                })
                .collect::<Result<_, CodecError>>()?,
        })
    }
}

/// Stored form of an invoice, version 1.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct InvoiceV1 {
    id: u64,
    number: String,
    party: u64,
    kind: u8,
    issue_date: i32,
    due_date: i32,
    amount: Amount,
    currency: [u8; 3],
    notes: String,
    void: bool,
}

impl From<&Invoice> for InvoiceV1 {
    fn from(i: &Invoice) -> Self {
        InvoiceV1 {
            id: i.id.0,
            number: i.number.clone(),
            party: i.party.0,
            kind: kind_code(i.kind),
            issue_date: date_code(i.issue_date),
            due_date: date_code(i.due_date),
            amount: i.amount.into(),
            currency: i.currency.as_bytes(),
            notes: i.notes.clone(),
            void: i.void,
        }
    }
}

impl TryFrom<InvoiceV1> for Invoice {
    type Error = CodecError;
    fn try_from(r: InvoiceV1) -> Result<Self, CodecError> {
        Ok(Invoice {
            id: InvoiceId(r.id),
            number: r.number,
            party: PartyId(r.party),
            kind: kind_from(r.kind)?,
            issue_date: date_from(r.issue_date)?,
            due_date: date_from(r.due_date)?,
            amount: r.amount.try_into()?,
            currency: currency_from(r.currency)?,
            notes: r.notes,
            void: r.void,
        })
    }
}

/// Stored form of a party, version 1.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PartyV1 {
    id: u64,
    name: String,
    role: u8,
    email: String,
    terms_days: Option<u32>,
    notes: String,
}

impl From<&Party> for PartyV1 {
    fn from(p: &Party) -> Self {
        PartyV1 {
            id: p.id.0,
            name: p.name.clone(),
            role: role_code(p.role),
            email: p.email.clone(),
            terms_days: p.terms_days,
            notes: p.notes.clone(),
        }
    }
}

impl TryFrom<PartyV1> for Party {
    type Error = CodecError;
    fn try_from(r: PartyV1) -> Result<Self, CodecError> {
        Ok(Party {
            id: PartyId(r.id),
            name: r.name,
            role: role_from(r.role)?,
            email: r.email,
            terms_days: r.terms_days,
            notes: r.notes,
        })
    }
}

/// Stored form of a saved filter, version 1.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct FilterV1 {
    name: String,
    query: String,
    pin: Option<u8>,
}

impl From<&SavedFilter> for FilterV1 {
    fn from(f: &SavedFilter) -> Self {
        FilterV1 {
            name: f.name.clone(),
            query: f.query.clone(),
            pin: f.pin,
        }
    }
}

impl From<FilterV1> for SavedFilter {
    fn from(f: FilterV1) -> Self {
        SavedFilter {
            name: f.name,
            query: f.query,
            pin: f.pin,
        }
    }
}

/// Stored id counters, version 1.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdsV1 {
    party: u64,
    invoice: u64,
    payment: u64,
}

impl From<IdSeq> for IdsV1 {
    fn from(s: IdSeq) -> Self {
        IdsV1 {
            party: s.party,
            invoice: s.invoice,
            payment: s.payment,
        }
    }
}

impl From<IdsV1> for IdSeq {
    fn from(s: IdsV1) -> Self {
        IdSeq {
            party: s.party,
            invoice: s.invoice,
            payment: s.payment,
        }
    }
}

/// Encodes a block of payments.
pub fn encode_payment_block(records: &[PaymentV1]) -> Vec<u8> {
    encode(tag::PAYMENT_BLOCK_V1, &records)
}

/// Decodes a block of payments into stored records (cheap to re-encode after an edit).
pub fn decode_payment_block(bytes: &[u8]) -> Result<Vec<PaymentV1>, CodecError> {
    decode(tag::PAYMENT_BLOCK_V1, bytes)
}

/// Encodes a block of invoices.
pub fn encode_invoice_block(records: &[InvoiceV1]) -> Vec<u8> {
    encode(tag::INVOICE_BLOCK_V1, &records)
}

/// Decodes a block of invoices.
pub fn decode_invoice_block(bytes: &[u8]) -> Result<Vec<InvoiceV1>, CodecError> {
    decode(tag::INVOICE_BLOCK_V1, bytes)
}

/// The id of a stored payment record.
pub fn payment_record_id(r: &PaymentV1) -> u64 {
    r.id
}

/// The id of a stored invoice record.
pub fn invoice_record_id(r: &InvoiceV1) -> u64 {
    r.id
}

/// Decodes a stored value of type `R` and converts it to its domain type.
pub fn decode_into<R, T>(expected: u8, bytes: &[u8]) -> Result<T, CodecError>
where
    R: DeserializeOwned,
    T: TryFrom<R, Error = CodecError>,
{
    T::try_from(decode::<R>(expected, bytes)?)
}
