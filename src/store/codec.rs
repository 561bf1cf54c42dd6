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
    PartyId, PartyRole, Payment, PaymentId, SavedFilter, SourceKey,
};

/// Largest stored value we accept to decode (a block of 128 payments is ~10 KB; the
/// fingerprints of imported payments add 8 bytes each, ~1 KB a block).
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
    /// A block of payments, version 2: version 1 and each payment's source fingerprint.
    pub const PAYMENT_BLOCK_V2: u8 = 0x12;
    /// A block of invoices, version 1.
    pub const INVOICE_BLOCK_V1: u8 = 0x21;
    /// One party, version 1.
    pub const PARTY_V1: u8 = 0x31;
    /// One saved filter, version 1.
    pub const FILTER_V1: u8 = 0x41;
    /// One invoice's follow-up state, version 1.
    pub const FOLLOW_UP_V1: u8 = 0x51;
    /// The reminder settings (meta), version 1.
    pub const REMINDER_SETTINGS_V1: u8 = 0x04;
    /// The store's generation and its recent transaction ids (meta), version 1.
    pub const GENERATION_V1: u8 = 0x05;
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
    /// A payment's source fingerprint is not one paytrack writes.
    #[error("invalid source fingerprint 0x{0:014x}")]
    BadSource(u64),
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
            source: None,
        })
    }
}

/// A source fingerprint as stored: [`SourceKey::bits`], seven bytes little-endian.
type StoredSource = Option<[u8; 7]>;

fn source_code(s: Option<SourceKey>) -> StoredSource {
    s.map(|k| {
        let b = k.bits().to_le_bytes();
        [b[0], b[1], b[2], b[3], b[4], b[5], b[6]]
    })
}

fn source_from(s: StoredSource) -> Result<Option<SourceKey>, CodecError> {
    let Some(b) = s else { return Ok(None) };
    let bits = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], 0]);
    SourceKey::from_bits(bits)
        .map(Some)
        .ok_or(CodecError::BadSource(bits))
}

/// Stored form of a payment, version 2: the version 1 fields, then the fingerprint of the
/// source row of an imported payment (bincode writes a struct as its fields one after
/// another, so this is the flat record).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PaymentV2 {
    fields: PaymentV1,
    source: StoredSource,
}

impl From<&Payment> for PaymentV2 {
    fn from(p: &Payment) -> Self {
        PaymentV2 {
            fields: PaymentV1::from(p),
            source: source_code(p.source),
        }
    }
}

impl From<PaymentV1> for PaymentV2 {
    fn from(fields: PaymentV1) -> Self {
        PaymentV2 {
            fields,
            source: None,
        }
    }
}

impl TryFrom<PaymentV2> for Payment {
    type Error = CodecError;
    fn try_from(r: PaymentV2) -> Result<Self, CodecError> {
        let mut p = Payment::try_from(r.fields)?;
        p.source = source_from(r.source)?;
        Ok(p)
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

/// Encodes a block of payments (the current version, 2).
pub fn encode_payment_block(records: &[PaymentV2]) -> Vec<u8> {
    encode(tag::PAYMENT_BLOCK_V2, &records)
}

/// Encodes a block of payments in version 1, as paytrack wrote them before payments kept
/// their source (for tests of stores written then).
pub fn encode_payment_block_v1(records: &[PaymentV1]) -> Vec<u8> {
    encode(tag::PAYMENT_BLOCK_V1, &records)
}

/// Decodes a block of payments of either version into stored records (cheap to
/// re-encode after an edit); a version 1 payment has no source.
pub fn decode_payment_block(bytes: &[u8]) -> Result<Vec<PaymentV2>, CodecError> {
    if bytes.first() == Some(&tag::PAYMENT_BLOCK_V1) {
        let v1: Vec<PaymentV1> = decode(tag::PAYMENT_BLOCK_V1, bytes)?;
        return Ok(v1.into_iter().map(PaymentV2::from).collect());
    }
    decode(tag::PAYMENT_BLOCK_V2, bytes)
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
pub fn payment_record_id(r: &PaymentV2) -> u64 {
    r.fields.id
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

// Direct encoding between stored blocks and domain records.
//
// The functions below read and write exactly the bytes bincode's standard configuration
// produces for `Vec<PaymentV2>` (and reads those of `Vec<PaymentV1>`) and `Vec<InvoiceV1>`
// (varint integers, zigzag for signed ones, single bytes for `u8`, a varint length before
// strings and sequences, a byte 0/1 before an optional value), without the intermediate
// `PaymentV2`/`InvoiceV1` values and their copies of every string. The serde path above
// stays the reference: tests check that both agree byte for byte.

/// Fewest bytes one stored payment takes in a version 1 block (every field at its
/// shortest).
const MIN_PAYMENT_BYTES_V1: usize = 13;
/// Fewest bytes one stored payment takes in a version 2 block (no source: one byte more).
const MIN_PAYMENT_BYTES_V2: usize = MIN_PAYMENT_BYTES_V1 + 1;
/// Fewest bytes one stored invoice takes.
const MIN_INVOICE_BYTES: usize = 15;
/// Fewest bytes one stored allocation takes.
const MIN_ALLOCATION_BYTES: usize = 3;

/// bincode's varint markers: values up to 250 are one byte; these announce 2, 4, 8 or 16
/// little-endian bytes.
const U16_BYTE: u8 = 251;
const U32_BYTE: u8 = 252;
const U64_BYTE: u8 = 253;
const U128_BYTE: u8 = 254;

/// A cursor over a stored value's body.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// The body of a block value, after checking its size and tag.
    fn block(expected: u8, bytes: &'a [u8]) -> Result<Reader<'a>, CodecError> {
        Self::block_of(&[expected], bytes).map(|(r, _)| r)
    }

    /// The body of a block value whose tag is one of `tags` (the newest last, named
    /// when the tag is none of them), with the tag found.
    fn block_of(tags: &[u8], bytes: &'a [u8]) -> Result<(Reader<'a>, u8), CodecError> {
        if bytes.len() > MAX_VALUE_BYTES {
            return Err(CodecError::TooLarge(bytes.len()));
        }
        let (&found, _) = bytes.split_first().ok_or(CodecError::Empty)?;
        if !tags.contains(&found) {
            let expected = tags[tags.len() - 1];
            return Err(CodecError::UnknownTag { expected, found });
        }
        Ok((Reader { bytes, at: 1 }, found))
    }

    fn fail(&self, what: &str) -> CodecError {
        CodecError::Body(format!("{what} at byte {}", self.at))
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return Err(self.fail("unexpected end of the record"));
        }
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or_else(|| self.fail("unexpected end of the record"))?;
        self.at += 1;
        Ok(b)
    }

    /// A varint of at most `max` marker (U16_BYTE for u16, ... U128_BYTE for u128).
    fn varint(&mut self, max: u8) -> Result<u128, CodecError> {
        let b = self.u8()?;
        if b <= 250 {
            return Ok(u128::from(b));
        }
        if b > max {
            return Err(self.fail("integer too large for its field"));
        }
        Ok(match b {
            U16_BYTE => u128::from(u16::from_le_bytes(self.array()?)),
            U32_BYTE => u128::from(u32::from_le_bytes(self.array()?)),
            U64_BYTE => u128::from(u64::from_le_bytes(self.array()?)),
            _ => u128::from_le_bytes(self.array()?),
        })
    }

    fn u64(&mut self) -> Result<u64, CodecError> {
        // One byte covers most ids and lengths: skip the general path for it.
        match self.bytes.get(self.at) {
            Some(&b) if b <= 250 => {
                self.at += 1;
                Ok(u64::from(b))
            }
            _ => Ok(self.varint(U64_BYTE)? as u64),
        }
    }

    fn i32(&mut self) -> Result<i32, CodecError> {
        let n = self.varint(U32_BYTE)? as u32;
        Ok(if n % 2 == 0 {
            (n / 2) as i32
        } else {
            !(n / 2) as i32
        })
    }

    fn i128(&mut self) -> Result<i128, CodecError> {
        let n = self.varint(U128_BYTE)?;
        Ok(if n % 2 == 0 {
            (n / 2) as i128
        } else {
            !(n / 2) as i128
        })
    }

    fn len(&mut self) -> Result<usize, CodecError> {
        let n = self.u64()?;
        usize::try_from(n).map_err(|_| self.fail("length too large"))
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let n = self.len()?;
        let b = self.take(n)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(self.fail("text that is not UTF-8")),
        }
    }

    fn bool(&mut self) -> Result<bool, CodecError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.fail("invalid boolean")),
        }
    }

    fn amount(&mut self) -> Result<Decimal, CodecError> {
        let scale = self.u8()?;
        let mantissa = self.i128()?;
        Amount(scale, mantissa).try_into()
    }

    fn source(&mut self) -> Result<Option<SourceKey>, CodecError> {
        match self.u8()? {
            0 => Ok(None),
            1 => source_from(Some(self.array()?)),
            _ => Err(self.fail("invalid option")),
        }
    }

    fn finish(self) -> Result<(), CodecError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(CodecError::Body(format!("{n} trailing bytes"))),
        }
    }
}

/// Remembers the last date decoded: payments recorded in date order share most dates,
/// and a Julian day is costlier to convert than to compare.
#[derive(Default)]
struct Dates(Option<(i32, Date)>);

impl Dates {
    fn get(&mut self, code: i32) -> Result<Date, CodecError> {
        match self.0 {
            Some((c, d)) if c == code => Ok(d),
            _ => {
                let d = date_from(code)?;
                self.0 = Some((code, d));
                Ok(d)
            }
        }
    }
}

/// One payment; `v2`: of a version 2 block (with its source).
fn read_payment(r: &mut Reader<'_>, dates: &mut Dates, v2: bool) -> Result<Payment, CodecError> {
    let id = r.u64()?;
    let party = r.u64()?;
    let direction = direction_from(r.u8()?)?;
    let amount = r.amount()?;
    let currency = currency_from(r.array()?)?;
    let date = dates.get(r.i32()?)?;
    let method = method_from(r.u8()?)?;
    let reference = r.string()?;
    let notes = r.string()?;
    let n = r.len()?;
    let mut allocations = Vec::with_capacity(n.min(r.remaining() / MIN_ALLOCATION_BYTES));
    for _ in 0..n {
        let invoice = InvoiceId(r.u64()?);
        let amount = r.amount()?;
        allocations.push(Allocation { invoice, amount });
    }
    let source = if v2 { r.source()? } else { None };
    Ok(Payment {
        id: PaymentId(id),
        party: PartyId(party),
        direction,
        amount,
        currency,
        date,
        method,
        reference,
        notes,
        allocations,
        source,
    })
}

fn read_invoice(
    r: &mut Reader<'_>,
    issued: &mut Dates,
    due: &mut Dates,
) -> Result<Invoice, CodecError> {
    let id = r.u64()?;
    let number = r.string()?;
    let party = r.u64()?;
    let kind = kind_from(r.u8()?)?;
    let issue_date = issued.get(r.i32()?)?;
    let due_date = due.get(r.i32()?)?;
    let amount = r.amount()?;
    let currency = currency_from(r.array()?)?;
    let notes = r.string()?;
    let void = r.bool()?;
    Ok(Invoice {
        id: InvoiceId(id),
        number,
        party: PartyId(party),
        kind,
        issue_date,
        due_date,
        amount,
        currency,
        notes,
        void,
    })
}

/// Decodes a block of payments (either version) straight into domain payments, appended
/// to `out` (on an error, `out` may hold part of the block). Returns how many were
/// appended.
pub fn decode_payments_into(bytes: &[u8], out: &mut Vec<Payment>) -> Result<usize, CodecError> {
    let (mut r, found) = Reader::block_of(&[tag::PAYMENT_BLOCK_V1, tag::PAYMENT_BLOCK_V2], bytes)?;
    let v2 = found == tag::PAYMENT_BLOCK_V2;
    let min = if v2 {
        MIN_PAYMENT_BYTES_V2
    } else {
        MIN_PAYMENT_BYTES_V1
    };
    let n = r.len()?;
    out.reserve(n.min(r.remaining() / min));
    let mut dates = Dates::default();
    for _ in 0..n {
        out.push(read_payment(&mut r, &mut dates, v2)?);
    }
    r.finish()?;
    Ok(n)
}

/// Decodes a block of invoices straight into domain invoices, appended to `out` (on an
/// error, `out` may hold part of the block). Returns how many were appended.
pub fn decode_invoices_into(bytes: &[u8], out: &mut Vec<Invoice>) -> Result<usize, CodecError> {
    let mut r = Reader::block(tag::INVOICE_BLOCK_V1, bytes)?;
    let n = r.len()?;
    out.reserve(n.min(r.remaining() / MIN_INVOICE_BYTES));
    let (mut issued, mut due) = (Dates::default(), Dates::default());
    for _ in 0..n {
        out.push(read_invoice(&mut r, &mut issued, &mut due)?);
    }
    r.finish()?;
    Ok(n)
}

/// Appends bincode's standard encoding of values to a buffer.
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, b: u8) {
        self.0.push(b);
    }

    fn varint(&mut self, v: u128) {
        if v <= 250 {
            self.0.push(v as u8);
        } else if v <= u128::from(u16::MAX) {
            self.0.push(U16_BYTE);
            self.0.extend_from_slice(&(v as u16).to_le_bytes());
        } else if v <= u128::from(u32::MAX) {
            self.0.push(U32_BYTE);
            self.0.extend_from_slice(&(v as u32).to_le_bytes());
        } else if v <= u128::from(u64::MAX) {
            self.0.push(U64_BYTE);
            self.0.extend_from_slice(&(v as u64).to_le_bytes());
        } else {
            self.0.push(U128_BYTE);
            self.0.extend_from_slice(&v.to_le_bytes());
        }
    }

    fn u64(&mut self, v: u64) {
        self.varint(u128::from(v));
    }

    fn i32(&mut self, v: i32) {
        let z = if v < 0 {
            !(v as u32) * 2 + 1
        } else {
            (v as u32) * 2
        };
        self.varint(u128::from(z));
    }

    fn i128(&mut self, v: i128) {
        let z = if v < 0 {
            !(v as u128) * 2 + 1
        } else {
            (v as u128) * 2
        };
        self.varint(z);
    }

    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    fn amount(&mut self, d: Decimal) {
        let a = Amount::from(d);
        self.u8(a.0);
        self.i128(a.1);
    }

    fn payment(&mut self, p: &Payment) {
        self.u64(p.id.0);
        self.u64(p.party.0);
        self.u8(direction_code(p.direction));
        self.amount(p.amount);
        self.0.extend_from_slice(&p.currency.as_bytes());
        self.i32(date_code(p.date));
        self.u8(method_code(p.method));
        self.str(&p.reference);
        self.str(&p.notes);
        self.u64(p.allocations.len() as u64);
        for a in &p.allocations {
            self.u64(a.invoice.0);
            self.amount(a.amount);
        }
        match source_code(p.source) {
            None => self.u8(0),
            Some(b) => {
                self.u8(1);
                self.0.extend_from_slice(&b);
            }
        }
    }

    fn invoice(&mut self, i: &Invoice) {
        self.u64(i.id.0);
        self.str(&i.number);
        self.u64(i.party.0);
        self.u8(kind_code(i.kind));
        self.i32(date_code(i.issue_date));
        self.i32(date_code(i.due_date));
        self.amount(i.amount);
        self.0.extend_from_slice(&i.currency.as_bytes());
        self.str(&i.notes);
        self.u8(u8::from(i.void));
    }
}

/// Encodes a block of payments from domain payments: the same bytes as
/// [`encode_payment_block`] of their [`PaymentV2`] forms.
pub fn encode_payments<'a>(records: impl ExactSizeIterator<Item = &'a Payment>) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + records.len() * 80);
    encode_payments_into(records, &mut out);
    out
}

/// Like [`encode_payments`], into `out` (cleared first), so one buffer can serve many
/// blocks.
pub fn encode_payments_into<'a>(
    records: impl ExactSizeIterator<Item = &'a Payment>,
    out: &mut Vec<u8>,
) {
    out.clear();
    let mut w = Writer(std::mem::take(out));
    w.u8(tag::PAYMENT_BLOCK_V2);
    w.u64(records.len() as u64);
    for p in records {
        w.payment(p);
    }
    *out = w.0;
}

/// Encodes a block of invoices from domain invoices: the same bytes as
/// [`encode_invoice_block`] of their [`InvoiceV1`] forms.
pub fn encode_invoices<'a>(records: impl ExactSizeIterator<Item = &'a Invoice>) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + records.len() * 48);
    encode_invoices_into(records, &mut out);
    out
}

/// Like [`encode_invoices`], into `out` (cleared first).
pub fn encode_invoices_into<'a>(
    records: impl ExactSizeIterator<Item = &'a Invoice>,
    out: &mut Vec<u8>,
) {
    out.clear();
    let mut w = Writer(std::mem::take(out));
    w.u8(tag::INVOICE_BLOCK_V1);
    w.u64(records.len() as u64);
    for i in records {
        w.invoice(i);
    }
    *out = w.0;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic random stream (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        /// Integers of every varint width, small ones most often.
        fn int(&mut self) -> u64 {
            match self.below(6) {
                0 | 1 => self.below(251),
                2 => 251 + self.below(65_535 - 250),
                3 => 65_536 + self.below(u64::from(u32::MAX)),
                4 => self.next(),
                _ => [0, 250, 251, 65_535, 65_536, u64::from(u32::MAX), u64::MAX]
                    [self.below(7) as usize],
            }
        }
        fn amount(&mut self) -> Decimal {
            let scale = self.below(29) as u32;
            let mantissa: i128 = match self.below(4) {
                0 => self.below(1_000_000) as i128,
                1 => -(self.int() as i128),
                2 => {
                    (i128::from(self.next()) << 32 | i128::from(self.next() as u32))
                        % 79_228_162_514_264_337_593_543_950_335
                }
                _ => self.int() as i128,
            };
            Decimal::from_i128_with_scale(mantissa, scale)
        }
        fn text(&mut self) -> String {
            let pieces = [
                "",
                "a",
                "Müller",
                "Ørsted",
                "\u{202e}x",
                "line\ntwo",
                "😀",
                "REF-",
            ];
            let n = match self.below(64) {
                0 => 70_000,
                1..=6 => 300,
                _ => self.below(6) as usize,
            };
            let mut s = String::new();
            while s.len() < n {
                s.push_str(pieces[self.below(pieces.len() as u64) as usize]);
                if n < 10 {
                    break;
                }
            }
            s
        }
        fn date(&mut self) -> Date {
            let d = match self.below(3) {
                0 => 2_460_000 + self.below(2_000) as i32,
                1 => Date::MIN.to_julian_day() + self.below(1_000) as i32,
                _ => Date::MAX.to_julian_day() - self.below(1_000) as i32,
            };
            Date::from_julian_day(d).unwrap()
        }
        fn currency(&mut self) -> Currency {
            [
                Currency::EUR,
                Currency::JPY,
                Currency::from_bytes(*b"ZZZ").unwrap(),
            ][self.below(3) as usize]
        }
    }

    fn payment(rng: &mut Rng) -> Payment {
        Payment {
            id: PaymentId(rng.int()),
            party: PartyId(rng.int()),
            direction: Direction::ALL[rng.below(2) as usize],
            amount: rng.amount(),
            currency: rng.currency(),
            date: rng.date(),
            method: Method::ALL[rng.below(Method::ALL.len() as u64) as usize],
            reference: rng.text(),
            notes: rng.text(),
            allocations: (0..[0, 1, 1, 2, 3, 300][rng.below(6) as usize])
                .map(|_| Allocation {
                    invoice: InvoiceId(rng.int()),
                    amount: rng.amount(),
                })
                .collect(),
            source: match rng.below(3) {
                0 => None,
                _ => Some(crate::domain::SourceKey::new(
                    crate::domain::SourceKind::ALL[rng.below(3) as usize],
                    rng.int(),
                )),
            },
        }
    }

    fn invoice(rng: &mut Rng) -> Invoice {
        Invoice {
            id: InvoiceId(rng.int()),
            number: rng.text(),
            party: PartyId(rng.int()),
            kind: InvoiceKind::ALL[rng.below(2) as usize],
            issue_date: rng.date(),
            due_date: rng.date(),
            amount: rng.amount(),
            currency: rng.currency(),
            notes: rng.text(),
            void: rng.below(2) == 0,
        }
    }

    /// The reference decoding: serde into stored records, then conversion.
    fn serde_payments(bytes: &[u8]) -> Result<Vec<Payment>, CodecError> {
        decode_payment_block(bytes)?
            .into_iter()
            .map(Payment::try_from)
            .collect()
    }

    fn serde_invoices(bytes: &[u8]) -> Result<Vec<Invoice>, CodecError> {
        decode_invoice_block(bytes)?
            .into_iter()
            .map(Invoice::try_from)
            .collect()
    }

    fn direct_payments(bytes: &[u8]) -> Result<Vec<Payment>, CodecError> {
        let mut v = Vec::new();
        decode_payments_into(bytes, &mut v).map(|_| v)
    }

    fn direct_invoices(bytes: &[u8]) -> Result<Vec<Invoice>, CodecError> {
        let mut v = Vec::new();
        decode_invoices_into(bytes, &mut v).map(|_| v)
    }

    #[test]
    fn direct_encoding_is_byte_for_byte_the_stored_format() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for round in 0..300 {
            let n = [0, 1, 2, 5, 128][rng.below(5) as usize];
            let pays: Vec<Payment> = (0..n).map(|_| payment(&mut rng)).collect();
            let stored: Vec<PaymentV2> = pays.iter().map(PaymentV2::from).collect();
            let bytes = encode_payments(pays.iter());
            assert_eq!(
                bytes,
                encode_payment_block(&stored),
                "payments, round {round}"
            );
            assert_eq!(direct_payments(&bytes).unwrap(), pays, "round {round}");
            // version 1 blocks (no sources) still decode, the same both ways
            let v1: Vec<PaymentV1> = pays.iter().map(PaymentV1::from).collect();
            let old = encode_payment_block_v1(&v1);
            let unsourced: Vec<Payment> = pays
                .iter()
                .map(|p| Payment {
                    source: None,
                    ..p.clone()
                })
                .collect();
            assert_eq!(
                direct_payments(&old).unwrap(),
                unsourced,
                "v1 round {round}"
            );
            assert_eq!(serde_payments(&old).unwrap(), unsourced, "v1 round {round}");

            let invs: Vec<Invoice> = (0..n).map(|_| invoice(&mut rng)).collect();
            let stored: Vec<InvoiceV1> = invs.iter().map(InvoiceV1::from).collect();
            let bytes = encode_invoices(invs.iter());
            assert_eq!(
                bytes,
                encode_invoice_block(&stored),
                "invoices, round {round}"
            );
            assert_eq!(direct_invoices(&bytes).unwrap(), invs, "round {round}");
        }
    }

    #[test]
    fn damaged_blocks_fail_exactly_where_the_serde_path_fails() {
        let mut rng = Rng(0x0dd_ba11_cafe_f00d);
        for round in 0..200 {
            let pays: Vec<Payment> = (0..3).map(|_| payment(&mut rng)).collect();
            let invs: Vec<Invoice> = (0..3).map(|_| invoice(&mut rng)).collect();
            let pb = encode_payments(pays.iter());
            let ib = encode_invoices(invs.iter());
            if round < 20 {
                for cut in 0..pb.len().min(400) {
                    assert!(
                        direct_payments(&pb[..cut]).is_err(),
                        "payments cut at {cut}"
                    );
                }
                for cut in 0..ib.len().min(400) {
                    assert!(
                        direct_invoices(&ib[..cut]).is_err(),
                        "invoices cut at {cut}"
                    );
                }
            }
            // flip bytes: the two decoders must agree on whether the value decodes, and on
            // what it decodes to
            for _ in 0..20 {
                let mut p = pb.clone();
                let at = rng.below(p.len().min(300) as u64) as usize;
                p[at] = rng.next() as u8;
                let (a, b) = (direct_payments(&p), serde_payments(&p));
                assert_eq!(a.is_ok(), b.is_ok(), "payments byte {at}: {a:?} / {b:?}");
                if let (Ok(a), Ok(b)) = (a, b) {
                    assert_eq!(a, b);
                }
                let mut i = ib.clone();
                let at = rng.below(i.len().min(300) as u64) as usize;
                i[at] = rng.next() as u8;
                let (a, b) = (direct_invoices(&i), serde_invoices(&i));
                assert_eq!(a.is_ok(), b.is_ok(), "invoices byte {at}: {a:?} / {b:?}");
                if let (Ok(a), Ok(b)) = (a, b) {
                    assert_eq!(a, b);
                }
            }
        }
        // random bodies behind the right tag (small lengths and varint markers often):
        // no panic, and the same verdict as serde's
        let special = [0u8, 1, 2, 3, 250, 251, 252, 253, 254, 255];
        for k in 0..5_000 {
            let n = rng.below(64) as usize;
            let mut p = vec![[tag::PAYMENT_BLOCK_V1, tag::PAYMENT_BLOCK_V2][k % 2]];
            for _ in 0..n {
                p.push(match rng.below(2) {
                    0 => special[rng.below(special.len() as u64) as usize],
                    _ => rng.next() as u8,
                });
            }
            assert_eq!(
                direct_payments(&p).is_ok(),
                serde_payments(&p).is_ok(),
                "{p:?}"
            );
            p[0] = tag::INVOICE_BLOCK_V1;
            assert_eq!(
                direct_invoices(&p).is_ok(),
                serde_invoices(&p).is_ok(),
                "{p:?}"
            );
        }
        // a length claiming far more records than the value holds is an error, not an
        // allocation of them
        let huge = [
            tag::PAYMENT_BLOCK_V1,
            0xfd,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0x0f,
        ];
        assert!(direct_payments(&huge).is_err());
        let mut v = Vec::new();
        assert!(matches!(
            decode_payments_into(&[tag::INVOICE_BLOCK_V1, 0], &mut v),
            Err(CodecError::UnknownTag { .. })
        ));
        assert_eq!(decode_payments_into(&[], &mut v), Err(CodecError::Empty));
        let mut ok = encode_payments([].iter());
        ok.push(0);
        assert!(matches!(
            decode_payments_into(&ok, &mut v),
            Err(CodecError::Body(_))
        ));
        // a source whose kind code is 0, or beyond the option byte's two values: refused
        // by both decoders
        let mut p = payment(&mut rng);
        p.source = Some(crate::domain::SourceKey::new(
            crate::domain::SourceKind::Id,
            5,
        ));
        let good = encode_payments([p].iter());
        let n = good.len();
        let mut bad = good.clone();
        bad[n - 7] &= !3;
        assert_eq!(direct_payments(&bad), Err(CodecError::BadSource(5 << 2)));
        assert_eq!(serde_payments(&bad), Err(CodecError::BadSource(5 << 2)));
        let mut bad = good;
        bad[n - 8] = 2;
        assert!(direct_payments(&bad).is_err());
        assert!(serde_payments(&bad).is_err());
    }
}
