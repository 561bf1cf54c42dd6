//! The session protocol: length-prefixed frames over a Unix socket.
//!
//! A frame is a little-endian `u32` length and that many bytes; the first byte of the
//! payload says what it is ([`kind`]). Frames larger than [`MAX_FRAME`] are refused on
//! read. The client opens with [`kind::HELLO`] (magic and [`PROTOCOL`]); the owner answers
//! [`kind::WELCOME`] or [`kind::REFUSED`].
//!
//! Change sets travel as [`kind::CHANGES`] frames followed by [`kind::CHANGES_END`]. Each
//! entry is an explicit change code ([`code`]), a `u32` length and a record encoded by the
//! store codec (tagged and versioned, exactly as stored), never a serialised Rust enum:
//! runs of payments or invoices are sent as stored blocks.

use std::io::{self, Read, Write};

use crate::domain::{Change, ChangeSet, IdSeq, InvoiceId, PartyId, PaymentId, SavedFilter};
use crate::store::codec::{self, tag, CodecError, MAX_VALUE_BYTES};
use crate::store::reminders;

/// Protocol version spoken by this build. 2: payments travel in version 2 blocks (with
/// their source fingerprints), which a build speaking 1 cannot decode.
pub const PROTOCOL: u32 = 2;

/// First bytes of a hello.
pub const MAGIC: &[u8; 8] = b"PAYTRACK";

/// Largest frame accepted (a stored value is at most 16 MiB; a frame carries one plus a
/// little framing).
pub const MAX_FRAME: usize = MAX_VALUE_BYTES + 64 * 1024;

/// Frames are cut at about this size when many values or changes go in a row.
pub const FRAME_TARGET: usize = 1024 * 1024;

/// Message kinds: the first byte of a frame. Never reuse or renumber one.
pub mod kind {
    /// Client → owner: magic, protocol (u32), pid (u32).
    pub const HELLO: u8 = 0x01;
    /// Client → owner: the value at a key (the rest of the frame).
    pub const GET: u8 = 0x02;
    /// Client → owner: scan a prefix (u8), reverse (u8); answered by PAIRS frames, each
    /// acknowledged by MORE or STOP, then END.
    pub const SCAN: u8 = 0x03;
    /// Client → owner: every stored value, as PAIRS frames, then END with the generation.
    pub const LOAD: u8 = 0x04;
    /// Client → owner: the current generation.
    pub const GENERATION: u8 = 0x05;
    /// Client → owner: commit: tx id (u128), base generation (u64); CHANGES follow.
    pub const COMMIT: u8 = 0x06;
    /// Part of a change set.
    pub const CHANGES: u8 = 0x07;
    /// End of a change set.
    pub const CHANGES_END: u8 = 0x08;
    /// Client → owner: turn this connection into a stream of NOTIFY, starting after the
    /// generation given (u64).
    pub const SUBSCRIBE: u8 = 0x09;
    /// Client → owner during a SCAN: send the next PAIRS.
    pub const MORE: u8 = 0x0a;
    /// Client → owner during a SCAN: enough.
    pub const STOP: u8 = 0x0b;
    /// Client → owner: write a safety copy before the reason given (UTF-8); answered
    /// by VALUE (the copy's description, when one was written) or ERROR.
    pub const SAFETY_COPY: u8 = 0x0c;
    /// Client → owner: run `paytrack check` (repair: u8); answered by VALUE: ended with an
    /// error (u8), then output, notes and the error message, each a u32 length and UTF-8.
    pub const CHECK: u8 = 0x0d;
    /// Owner → client: protocol (u32), generation (u64).
    pub const WELCOME: u8 = 0x81;
    /// Owner → client: refused, with a message (UTF-8); the connection closes.
    pub const REFUSED: u8 = 0x82;
    /// Owner → client: present (u8), value.
    pub const VALUE: u8 = 0x83;
    /// Owner → client: key/value pairs, each a u32 key length, key, u32 value length, value.
    pub const PAIRS: u8 = 0x84;
    /// Owner → client: end of a SCAN or LOAD; for LOAD followed by the generation (u64).
    pub const END: u8 = 0x85;
    /// Owner → client: a generation (u64).
    pub const GEN: u8 = 0x86;
    /// Owner → client: a commit's outcome: code (u8: 0 committed, 1 already applied,
    /// 2 conflict) and a generation (u64).
    pub const APPLIED: u8 = 0x87;
    /// Owner → client: the request failed; a message (UTF-8).
    pub const ERROR: u8 = 0x88;
    /// Owner → client: a commit was made: generation (u64), reload (u8); CHANGES follow.
    pub const NOTIFY: u8 = 0x89;
}

/// Change codes in a CHANGES frame. Never reuse or renumber one.
pub mod code {
    /// One party ([`super::tag::PARTY_V1`] record).
    pub const PUT_PARTY: u8 = 1;
    /// A run of invoices (an invoice block).
    pub const PUT_INVOICES: u8 = 2;
    /// A run of payments (a payment block).
    pub const PUT_PAYMENTS: u8 = 3;
    /// Delete a party: id (u64 LE).
    pub const DELETE_PARTY: u8 = 4;
    /// Delete an invoice: id (u64 LE).
    pub const DELETE_INVOICE: u8 = 5;
    /// Delete a payment: id (u64 LE).
    pub const DELETE_PAYMENT: u8 = 6;
    /// A saved filter ([`super::tag::FILTER_V1`] record).
    pub const PUT_FILTER: u8 = 7;
    /// Delete a saved filter: its name (UTF-8).
    pub const DELETE_FILTER: u8 = 8;
    /// A follow-up record.
    pub const PUT_FOLLOW_UP: u8 = 9;
    /// Delete a follow-up: invoice id (u64 LE).
    pub const DELETE_FOLLOW_UP: u8 = 10;
    /// The reminder settings record.
    pub const PUT_REMINDER_SETTINGS: u8 = 11;
    /// The id counters of the set ([`super::tag::IDS_V1`] record).
    pub const IDS: u8 = 12;
}

/// Records per run of payments or invoices in one entry.
const RUN: usize = 1024;

/// Writes one frame.
pub fn write_frame<W: Write + ?Sized>(w: &mut W, payload: &[u8]) -> io::Result<()> {
    if payload.len() > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "frame too large",
        ));
    }
    let len = payload.len() as u32;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(payload)
}

/// Reads one frame into `buf` (replacing its contents). A clean end of stream before the
/// frame is `UnexpectedEof`; a frame over [`MAX_FRAME`] is `InvalidData`.
pub fn read_frame(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME || len == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes"),
        ));
    }
    buf.clear();
    buf.resize(len, 0);
    r.read_exact(buf)
}

/// A protocol violation.
pub fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// A cursor over a frame's payload.
pub struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// Reads `payload`, which must start with `expected`.
    pub fn expect(payload: &'a [u8], expected: u8) -> io::Result<Cursor<'a>> {
        match payload.split_first() {
            Some((&k, rest)) if k == expected => Ok(Cursor { bytes: rest }),
            Some((&k, rest)) if k == kind::ERROR => {
                Err(io::Error::other(String::from_utf8_lossy(rest).into_owned()))
            }
            Some((&k, _)) => Err(bad(format!(
                "message 0x{k:02x} where 0x{expected:02x} was expected"
            ))),
            None => Err(bad("empty frame")),
        }
    }

    /// A cursor over bytes without a kind.
    pub fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(bad("truncated message"));
        }
        let (a, b) = self.bytes.split_at(n);
        self.bytes = b;
        Ok(a)
    }

    /// One byte.
    pub fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> io::Result<u32> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b))
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> io::Result<u64> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    /// A little-endian u128.
    pub fn u128(&mut self) -> io::Result<u128> {
        let mut b = [0u8; 16];
        b.copy_from_slice(self.take(16)?);
        Ok(u128::from_le_bytes(b))
    }

    /// A u32 length and that many bytes.
    pub fn bytes(&mut self) -> io::Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    /// The rest.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.bytes)
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Appends a u32 length and `b`.
pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// Encodes `set` into CHANGES frames (each about [`FRAME_TARGET`] at most, one entry at
/// least), handing each finished frame to `emit`; CHANGES_END is not included.
pub fn encode_change_set(
    set: &ChangeSet,
    mut emit: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut frame = vec![kind::CHANGES];
    let mut entry = Vec::new();
    let mut push = |frame: &mut Vec<u8>, code: u8, body: &[u8]| -> io::Result<()> {
        if frame.len() > 1 && frame.len() + body.len() + 5 > FRAME_TARGET {
            emit(frame)?;
            frame.truncate(1);
        }
        frame.push(code);
        put_bytes(frame, body);
        Ok(())
    };
    let changes = &set.changes;
    let mut i = 0;
    while i < changes.len() {
        match &changes[i] {
            Change::PutPayment(_) => {
                let run: Vec<_> = changes[i..]
                    .iter()
                    .take(RUN)
                    .map_while(|c| match c {
                        Change::PutPayment(p) => Some(p),
                        _ => None,
                    })
                    .collect();
                i += run.len();
                codec::encode_payments_into(run.into_iter(), &mut entry);
                push(&mut frame, code::PUT_PAYMENTS, &entry)?;
            }
            Change::PutInvoice(_) => {
                let run: Vec<_> = changes[i..]
                    .iter()
                    .take(RUN)
                    .map_while(|c| match c {
                        Change::PutInvoice(v) => Some(v),
                        _ => None,
                    })
                    .collect();
                i += run.len();
                codec::encode_invoices_into(run.into_iter(), &mut entry);
                push(&mut frame, code::PUT_INVOICES, &entry)?;
            }
            other => {
                i += 1;
                let (c, body) = match other {
                    Change::PutParty(p) => (
                        code::PUT_PARTY,
                        codec::encode(tag::PARTY_V1, &codec::PartyV1::from(p)),
                    ),
                    Change::DeleteParty(id) => (code::DELETE_PARTY, id.0.to_le_bytes().to_vec()),
                    Change::DeleteInvoice(id) => {
                        (code::DELETE_INVOICE, id.0.to_le_bytes().to_vec())
                    }
                    Change::DeletePayment(id) => {
                        (code::DELETE_PAYMENT, id.0.to_le_bytes().to_vec())
                    }
                    Change::PutFilter(f) => (
                        code::PUT_FILTER,
                        codec::encode(tag::FILTER_V1, &codec::FilterV1::from(f)),
                    ),
                    Change::DeleteFilter(name) => (code::DELETE_FILTER, name.as_bytes().to_vec()),
                    Change::PutFollowUp(id, f) => {
                        (code::PUT_FOLLOW_UP, reminders::encode_follow_up(*id, f))
                    }
                    Change::DeleteFollowUp(id) => {
                        (code::DELETE_FOLLOW_UP, id.0.to_le_bytes().to_vec())
                    }
                    Change::PutReminderSettings(s) => {
                        (code::PUT_REMINDER_SETTINGS, reminders::encode_settings(s))
                    }
                    Change::PutPayment(_) | Change::PutInvoice(_) => {
                        unreachable!("runs are handled above")
                    }
                };
                push(&mut frame, c, &body)?;
            }
        }
    }
    if let Some(ids) = set.ids {
        let body = codec::encode(tag::IDS_V1, &codec::IdsV1::from(ids));
        push(&mut frame, code::IDS, &body)?;
    }
    if frame.len() > 1 {
        emit(&frame)?;
    }
    Ok(())
}

fn codec_err(e: CodecError) -> io::Error {
    bad(format!("change record: {e}"))
}

fn id_of(body: &[u8]) -> io::Result<u64> {
    let b: [u8; 8] = body.try_into().map_err(|_| bad("bad id"))?;
    Ok(u64::from_le_bytes(b))
}

/// Decodes one CHANGES frame (with its kind byte) into `set`.
pub fn decode_changes(payload: &[u8], set: &mut ChangeSet) -> io::Result<()> {
    let mut c = Cursor::expect(payload, kind::CHANGES)?;
    let mut block = Vec::new();
    let mut invoices = Vec::new();
    while !c.is_empty() {
        let code = c.u8()?;
        let body = c.bytes()?;
        match code {
            code::PUT_PAYMENTS => {
                block.clear();
                codec::decode_payments_into(body, &mut block).map_err(codec_err)?;
                set.changes.extend(block.drain(..).map(Change::PutPayment));
            }
            code::PUT_INVOICES => {
                invoices.clear();
                codec::decode_invoices_into(body, &mut invoices).map_err(codec_err)?;
                set.changes
                    .extend(invoices.drain(..).map(Change::PutInvoice));
            }
            code::PUT_PARTY => set.push(Change::PutParty(
                codec::decode_into::<codec::PartyV1, _>(tag::PARTY_V1, body).map_err(codec_err)?,
            )),
            code::DELETE_PARTY => set.push(Change::DeleteParty(PartyId(id_of(body)?))),
            code::DELETE_INVOICE => set.push(Change::DeleteInvoice(InvoiceId(id_of(body)?))),
            code::DELETE_PAYMENT => set.push(Change::DeletePayment(PaymentId(id_of(body)?))),
            code::PUT_FILTER => set.push(Change::PutFilter(SavedFilter::from(
                codec::decode::<codec::FilterV1>(tag::FILTER_V1, body).map_err(codec_err)?,
            ))),
            code::DELETE_FILTER => set.push(Change::DeleteFilter(
                String::from_utf8(body.to_vec()).map_err(|_| bad("filter name not UTF-8"))?,
            )),
            code::PUT_FOLLOW_UP => {
                let (id, f) = reminders::decode_follow_up(body).map_err(codec_err)?;
                set.push(Change::PutFollowUp(id, f));
            }
            code::DELETE_FOLLOW_UP => set.push(Change::DeleteFollowUp(InvoiceId(id_of(body)?))),
            code::PUT_REMINDER_SETTINGS => set.push(Change::PutReminderSettings(
                reminders::decode_settings(body).map_err(codec_err)?,
            )),
            code::IDS => {
                set.ids = Some(IdSeq::from(
                    codec::decode::<codec::IdsV1>(tag::IDS_V1, body).map_err(codec_err)?,
                ))
            }
            other => return Err(bad(format!("unknown change code {other}"))),
        }
    }
    Ok(())
}

/// Reads CHANGES frames up to CHANGES_END into a change set; `max_changes` bounds what a
/// peer can make this process hold.
pub fn read_change_set(
    r: &mut impl Read,
    buf: &mut Vec<u8>,
    max_changes: usize,
) -> io::Result<ChangeSet> {
    let mut set = ChangeSet::new();
    loop {
        read_frame(r, buf)?;
        match buf.first() {
            Some(&kind::CHANGES_END) => return Ok(set),
            Some(&kind::CHANGES) => decode_changes(buf, &mut set)?,
            _ => return Err(bad("expected a change set")),
        }
        if set.changes.len() > max_changes {
            return Err(bad("change set too large"));
        }
    }
}

/// Writes `set` as CHANGES frames and CHANGES_END.
pub fn write_change_set(w: &mut impl Write, set: &ChangeSet) -> io::Result<()> {
    encode_change_set(set, |f| write_frame(w, f))?;
    write_frame(w, &[kind::CHANGES_END])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reminders::{FollowUp, ReminderSettings};
    use crate::domain::{
        Currency, Direction, Invoice, InvoiceKind, Method, Party, PartyRole, Payment,
    };
    use rust_decimal::Decimal;
    use time::macros::date;

    fn payment(i: u64) -> Payment {
        Payment {
            id: PaymentId(i),
            party: PartyId(1),
            direction: Direction::In,
            amount: Decimal::new(i as i64 * 7, 2),
            currency: Currency::EUR,
            date: date!(2025 - 03 - 01),
            method: Method::Cash,
            reference: format!("R{i}"),
            notes: String::new(),
            allocations: Vec::new(),
            // imported payments carry their fingerprints across
            source: (i % 4 != 0).then(|| {
                crate::domain::SourceKey::new(
                    crate::domain::SourceKind::ALL[i as usize % 3],
                    i * 0x9e37_79b9,
                )
            }),
        }
    }

    #[test]
    fn every_kind_of_change_crosses_the_wire_unchanged_and_in_order() {
        let mut set = ChangeSet::new();
        set.push(Change::PutParty(Party {
            id: PartyId(1),
            name: "Acme".into(),
            role: PartyRole::Customer,
            email: "a@b".into(),
            terms_days: Some(14),
            notes: String::new(),
        }));
        for i in 1..=3000 {
            set.push(Change::PutPayment(payment(i)));
        }
        set.push(Change::PutInvoice(Invoice {
            id: InvoiceId(9),
            number: "INV-9".into(),
            party: PartyId(1),
            kind: InvoiceKind::Receivable,
            issue_date: date!(2025 - 01 - 01),
            due_date: date!(2025 - 02 - 01),
            amount: Decimal::new(12345, 2),
            currency: Currency::EUR,
            notes: "n".into(),
            void: false,
        }));
        set.push(Change::PutPayment(payment(5000)));
        set.push(Change::DeletePayment(PaymentId(2)));
        set.push(Change::DeleteInvoice(InvoiceId(3)));
        set.push(Change::DeleteParty(PartyId(4)));
        set.push(Change::PutFilter(SavedFilter {
            name: "late".into(),
            query: "status:overdue".into(),
            pin: Some(2),
        }));
        set.push(Change::DeleteFilter("old".into()));
        set.push(Change::PutFollowUp(InvoiceId(9), FollowUp::default()));
        set.push(Change::DeleteFollowUp(InvoiceId(8)));
        set.push(Change::PutReminderSettings(ReminderSettings::default()));
        set.ids = Some(IdSeq {
            party: 5,
            invoice: 10,
            payment: 5001,
        });
        let mut bytes = Vec::new();
        write_change_set(&mut bytes, &set).unwrap();
        let mut buf = Vec::new();
        let back = read_change_set(&mut &bytes[..], &mut buf, usize::MAX).unwrap();
        assert_eq!(back, set);
    }

    #[test]
    fn oversized_frames_and_unknown_codes_are_refused() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&((MAX_FRAME as u32) + 1).to_le_bytes());
        let mut buf = Vec::new();
        let e = read_frame(&mut &bytes[..], &mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let mut frame = vec![kind::CHANGES, 99];
        put_bytes(&mut frame, b"x");
        let e = decode_changes(&frame, &mut ChangeSet::new()).unwrap_err();
        assert!(e.to_string().contains("unknown change code 99"), "{e}");
    }
}
