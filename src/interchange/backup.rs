//! The backup: a lossless, versioned, line-oriented dump of everything.
//!
//! ```text
//! paytrack-backup 3
//! {"type":"ids","party":4,"invoice":9,"payment":12}
//! {"type":"party","id":1,"name":"Müller GmbH","role":"customer","email":"","terms_days":30,"notes":""}
//! {"type":"invoice","id":1,"number":"INV-1","party":1,"kind":"receivable",...,"void":false}
//! {"type":"payment","id":1,...,"allocations":[{"invoice":1,"amount":"100.00"}],"source":"id:3a92104d7f17e8"}
//! {"type":"filter","name":"late","query":"status:overdue","pin":1}
//! {"type":"follow_up","invoice":1,"snooze_until":"2026-12-20","promise":null,"disputed":false,"sent":[]}
//! {"type":"reminder_settings","min_amount":"0","receivable":[{"offset_days":-3,...}],"payable":[...]}
//! {"type":"end","parties":1,"invoices":1,"payments":1,"filters":1,"follow_ups":1}
//! ```
//!
//! A payment's `source` (the fingerprint of the row it was imported from, see
//! [`super::fingerprint`]) is written only for imported payments. Version 2 files (without
//! fingerprints) and version 1 files (also without follow-ups and reminder settings) are
//! still read.
//!
//! Ids are kept, amounts are written exactly (not rounded), text is JSON-escaped so any
//! string round-trips and every record stays on one line. The trailer's counts let a
//! truncated file be detected; it is refused, as is an unknown version, an unknown record
//! type, a bad field, a duplicate id or a reference to a record that is not in the file.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{self, BufRead, BufWriter, Write};

use rust_decimal::Decimal;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize, Serializer};
use time::Date;

use crate::domain::ledger::{name_key, Ledger};
use crate::domain::reminders::{FollowUp, Ladder, ReminderLevel, ReminderSettings, SentReminder};
use crate::domain::{
    parse_amount, parse_date, Allocation, Currency, Direction, IdSeq, Invoice, InvoiceId,
    InvoiceKind, Method, Party, PartyId, PartyRole, Payment, PaymentId, SavedFilter, SourceKey,
};

use super::{fast_date, ImportError};

/// The first line's magic word.
const MAGIC: &str = "paytrack-backup";
/// The format version this code writes and reads.
pub const VERSION: u32 = 3;
/// Older versions this code still reads (version 2 has no payment fingerprints, version 1
/// neither follow-ups nor reminder settings).
const READS: [u32; 3] = [1, 2, 3];

/// Everything a backup holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupContents {
    /// Parties, in the order they were written.
    pub parties: Vec<Party>,
    /// Invoices, in the order they were written.
    pub invoices: Vec<Invoice>,
    /// Payments, in the order they were written.
    pub payments: Vec<Payment>,
    /// Saved filters.
    pub filters: Vec<SavedFilter>,
    /// Id counters (raised past every id in the file if they were lower).
    pub ids: IdSeq,
    /// Follow-up state (snooze, promise, disputed, reminders sent) per invoice.
    pub follow_ups: Vec<(InvoiceId, FollowUp)>,
    /// The reminder ladders and minimum; `None` in a version 1 backup (defaults apply).
    pub reminder_settings: Option<ReminderSettings>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SentRec {
    level: u8,
    date: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FollowUpRec {
    #[serde(rename = "type", skip_serializing, default)]
    _type: Option<IgnoredAny>,
    invoice: u64,
    snooze_until: Option<String>,
    promise: Option<String>,
    disputed: bool,
    sent: Vec<SentRec>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelRec {
    offset_days: i32,
    name: String,
    subject: String,
    body: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsRec {
    #[serde(rename = "type", skip_serializing, default)]
    _type: Option<IgnoredAny>,
    min_amount: String,
    receivable: Vec<LevelRec>,
    payable: Vec<LevelRec>,
}

fn levels_out(l: &Ladder) -> Vec<LevelRec> {
    l.levels
        .iter()
        .map(|v| LevelRec {
            offset_days: v.offset_days,
            name: v.name.clone(),
            subject: v.subject.clone(),
            body: v.body.clone(),
        })
        .collect()
}

fn levels_in(v: Vec<LevelRec>) -> Ladder {
    Ladder {
        levels: v
            .into_iter()
            .map(|r| ReminderLevel {
                offset_days: r.offset_days,
                name: r.name,
                subject: r.subject,
                body: r.body,
            })
            .collect(),
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdsRec {
    #[serde(rename = "type", skip_serializing, default)]
    _type: Option<IgnoredAny>,
    party: u64,
    invoice: u64,
    payment: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartyRec<'a> {
    #[serde(rename = "type", default)]
    _type: Option<IgnoredAny>,
    id: u64,
    name: String,
    #[serde(borrow)]
    role: Cow<'a, str>,
    email: String,
    terms_days: Option<u32>,
    notes: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvoiceRec<'a> {
    #[serde(rename = "type", default)]
    _type: Option<IgnoredAny>,
    id: u64,
    number: String,
    party: u64,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    issue_date: Cow<'a, str>,
    #[serde(borrow)]
    due_date: Cow<'a, str>,
    #[serde(borrow)]
    amount: Cow<'a, str>,
    #[serde(borrow)]
    currency: Cow<'a, str>,
    notes: String,
    void: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllocRec<'a> {
    invoice: u64,
    #[serde(borrow)]
    amount: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentRec<'a> {
    #[serde(rename = "type", default)]
    _type: Option<IgnoredAny>,
    id: u64,
    party: u64,
    #[serde(borrow)]
    direction: Cow<'a, str>,
    #[serde(borrow)]
    amount: Cow<'a, str>,
    #[serde(borrow)]
    currency: Cow<'a, str>,
    #[serde(borrow)]
    date: Cow<'a, str>,
    #[serde(borrow)]
    method: Cow<'a, str>,
    reference: String,
    notes: String,
    #[serde(borrow)]
    allocations: Vec<AllocRec<'a>>,
    #[serde(borrow, default)]
    source: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilterRec {
    #[serde(rename = "type", default)]
    _type: Option<IgnoredAny>,
    name: String,
    query: String,
    pin: Option<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndRec {
    #[serde(rename = "type", skip_serializing, default)]
    _type: Option<IgnoredAny>,
    parties: u64,
    invoices: u64,
    payments: u64,
    filters: u64,
    #[serde(default)]
    follow_ups: u64,
}

/// Writes one record line: `{"type":"<t>",` followed by the record's own fields.
fn line<W: Write>(out: &mut W, buf: &mut Vec<u8>, t: &str, rec: &impl Serialize) -> io::Result<()> {
    buf.clear();
    crate::text::json::to_writer(&mut *buf, rec).map_err(io::Error::from)?;
    write!(out, "{{\"type\":\"{t}\"")?;
    // `buf` is `{...}`: splice its fields after the type.
    if buf.len() > 2 {
        out.write_all(b",")?;
    }
    out.write_all(&buf[1..])?;
    out.write_all(b"\n")
}

/// Writes a backup of every record in `ledger`, the saved filters and the id counters.
pub fn write(
    w: impl Write,
    ledger: &Ledger,
    filters: &[SavedFilter],
    ids: IdSeq,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, w);
    let mut buf = Vec::with_capacity(512);
    writeln!(out, "{MAGIC} {VERSION}")?;
    line(
        &mut out,
        &mut buf,
        "ids",
        &IdsRec {
            _type: None,
            party: ids.party,
            invoice: ids.invoice,
            payment: ids.payment,
        },
    )?;
    for p in ledger.parties() {
        let rec = PartyRecOut {
            id: p.id.0,
            name: &p.name,
            role: p.role.as_str(),
            email: &p.email,
            terms_days: p.terms_days,
            notes: &p.notes,
        };
        line(&mut out, &mut buf, "party", &rec)?;
    }
    for i in ledger.invoices() {
        let rec = InvoiceRecOut {
            id: i.id.0,
            number: &i.number,
            party: i.party.0,
            kind: i.kind.as_str(),
            issue_date: Day(i.issue_date),
            due_date: Day(i.due_date),
            amount: Exact(i.amount),
            currency: i.currency.as_str(),
            notes: &i.notes,
            void: i.void,
        };
        line(&mut out, &mut buf, "invoice", &rec)?;
    }
    for p in ledger.payments() {
        let rec = PaymentRecOut {
            id: p.id.0,
            party: p.party.0,
            direction: p.direction.as_str(),
            amount: Exact(p.amount),
            currency: p.currency.as_str(),
            date: Day(p.date),
            method: p.method.as_str(),
            reference: &p.reference,
            notes: &p.notes,
            allocations: Allocs(&p.allocations),
            source: p.source.map(Fingerprint),
        };
        line(&mut out, &mut buf, "payment", &rec)?;
    }
    for f in filters {
        let rec = FilterRecOut {
            name: &f.name,
            query: &f.query,
            pin: f.pin,
        };
        line(&mut out, &mut buf, "filter", &rec)?;
    }
    let mut follow_ups: Vec<(&InvoiceId, &FollowUp)> = ledger.follow_ups().iter().collect();
    follow_ups.sort_by_key(|(id, _)| **id);
    for (id, f) in &follow_ups {
        let rec = FollowUpRec {
            _type: None,
            invoice: id.0,
            snooze_until: f.snooze_until.map(crate::domain::format_date),
            promise: f.promise.map(crate::domain::format_date),
            disputed: f.disputed,
            sent: f
                .sent
                .iter()
                .map(|s| SentRec {
                    level: s.level,
                    date: crate::domain::format_date(s.date),
                })
                .collect(),
        };
        line(&mut out, &mut buf, "follow_up", &rec)?;
    }
    let settings = ledger.reminder_settings();
    line(
        &mut out,
        &mut buf,
        "reminder_settings",
        &SettingsRec {
            _type: None,
            min_amount: settings.min_amount.to_string(),
            receivable: levels_out(&settings.receivable),
            payable: levels_out(&settings.payable),
        },
    )?;
    let end = EndRec {
        _type: None,
        parties: ledger.parties().len() as u64,
        invoices: ledger.invoices().len() as u64,
        payments: ledger.payments().len() as u64,
        filters: filters.len() as u64,
        follow_ups: follow_ups.len() as u64,
    };
    line(&mut out, &mut buf, "end", &end)?;
    out.flush()
}

/// A date written as `YYYY-MM-DD` without allocating.
struct Day(Date);

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        s.collect_str(&format_args!(
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        ))
    }
}

/// An amount written exactly (its own scale, not rounded) as a string.
struct Exact(Decimal);

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// A payment's source fingerprint as `"KIND:HEX"`, without allocating.
struct Fingerprint(SourceKey);

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// A payment's allocations as `[{"invoice":ID,"amount":"EXACT"}]`.
struct Allocs<'a>(&'a [Allocation]);

impl Serialize for Allocs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct One {
            invoice: u64,
            amount: Exact,
        }
        s.collect_seq(self.0.iter().map(|a| One {
            invoice: a.invoice.0,
            amount: Exact(a.amount),
        }))
    }
}

#[derive(Serialize)]
struct PartyRecOut<'a> {
    id: u64,
    name: &'a str,
    role: &'a str,
    email: &'a str,
    terms_days: Option<u32>,
    notes: &'a str,
}

#[derive(Serialize)]
struct InvoiceRecOut<'a> {
    id: u64,
    number: &'a str,
    party: u64,
    kind: &'a str,
    issue_date: Day,
    due_date: Day,
    amount: Exact,
    currency: &'a str,
    notes: &'a str,
    void: bool,
}

#[derive(Serialize)]
struct PaymentRecOut<'a> {
    id: u64,
    party: u64,
    direction: &'a str,
    amount: Exact,
    currency: &'a str,
    date: Day,
    method: &'a str,
    reference: &'a str,
    notes: &'a str,
    allocations: Allocs<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Fingerprint>,
}

#[derive(Serialize)]
struct FilterRecOut<'a> {
    name: &'a str,
    query: &'a str,
    pin: Option<u8>,
}

/// A set of record ids: a bit per id while ids are dense (as the counters make them),
/// a hash set for the odd large one.
#[derive(Default)]
struct IdSet {
    bits: Vec<u64>,
    sparse: HashSet<u64>,
}

impl IdSet {
    const DENSE: u64 = 1 << 27;

    /// Adds `id`; false when it was there already.
    fn insert(&mut self, id: u64) -> bool {
        if id >= Self::DENSE {
            return self.sparse.insert(id);
        }
        let (word, bit) = ((id / 64) as usize, 1u64 << (id % 64));
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        let fresh = self.bits[word] & bit == 0;
        self.bits[word] |= bit;
        fresh
    }

    fn contains(&self, id: u64) -> bool {
        if id >= Self::DENSE {
            return self.sparse.contains(&id);
        }
        self.bits
            .get((id / 64) as usize)
            .is_some_and(|w| w & (1u64 << (id % 64)) != 0)
    }
}

/// A date field: the common exact form fast, anything else through the domain parser.
fn date_field(s: &str) -> Result<Date, crate::domain::DomainError> {
    match fast_date(s) {
        Some(d) => Ok(d),
        None => parse_date(s),
    }
}

/// Reading state: where we are, for messages.
struct At<'a> {
    source: &'a str,
    line: u64,
}

impl At<'_> {
    fn err(&self, field: Option<&str>, msg: impl Into<String>) -> ImportError {
        ImportError::new(self.source, self.line, field, msg)
    }

    fn parse<'t, T: Deserialize<'t>>(&self, text: &'t str) -> Result<T, ImportError> {
        serde_json::from_str(text).map_err(|e| {
            let s = e.to_string();
            let msg = match s.rfind(" at line ") {
                Some(i) => format!("{} (column {})", &s[..i], e.column()),
                None => s,
            };
            self.err(None, msg)
        })
    }

    fn field<T, E: std::fmt::Display>(
        &self,
        name: &str,
        r: Result<T, E>,
    ) -> Result<T, ImportError> {
        r.map_err(|e| self.err(Some(name), e.to_string()))
    }

    fn amount(&self, name: &str, s: &str) -> Result<Decimal, ImportError> {
        self.field(name, parse_amount(s))
    }
}

/// The record type of a line: fast path for `{"type":"word",...`, otherwise parsed.
fn record_type(text: &str) -> Option<String> {
    if let Some(rest) = text.strip_prefix("{\"type\":\"") {
        if let Some(end) = rest.find('"') {
            let t = &rest[..end];
            if !t.contains('\\') {
                return Some(t.to_string());
            }
        }
    }
    #[derive(Deserialize)]
    struct Tag {
        #[serde(rename = "type")]
        t: String,
    }
    serde_json::from_str::<Tag>(text).ok().map(|t| t.t)
}

/// Reads a backup written by [`write`], refusing anything incomplete or malformed.
pub fn read(mut r: impl BufRead, source_name: &str) -> Result<BackupContents, ImportError> {
    let mut at = At {
        source: source_name,
        line: 0,
    };
    let mut raw = Vec::with_capacity(512);
    let mut c = BackupContents::default();
    let mut ids: Option<IdSeq> = None;
    let mut end: Option<EndRec> = None;
    let mut party_ids = IdSet::default();
    let mut party_names = HashSet::new();
    let mut invoice_ids = IdSet::default();
    let mut invoice_numbers = HashSet::new();
    let mut payment_ids = IdSet::default();
    let mut filter_names = HashSet::new();
    loop {
        raw.clear();
        let n = r.read_until(b'\n', &mut raw).map_err(|e| {
            ImportError::new(source_name, at.line + 1, None, format!("cannot read: {e}"))
        })?;
        if n == 0 {
            break;
        }
        at.line += 1;
        let complete = raw.last() == Some(&b'\n');
        let text = std::str::from_utf8(&raw)
            .map_err(|_| at.err(None, "not valid UTF-8 text"))?
            .trim_end_matches(['\n', '\r']);
        if at.line == 1 {
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            let version = text
                .strip_prefix(MAGIC)
                .and_then(|v| v.strip_prefix(' '))
                .ok_or_else(|| {
                    at.err(
                        None,
                        format!(
                            "not a paytrack backup (the first line must be '{MAGIC} {VERSION}')"
                        ),
                    )
                })?;
            match version.trim().parse::<u32>() {
                Ok(v) if READS.contains(&v) => continue,
                Ok(v) => {
                    return Err(at.err(
                        None,
                        format!("backup version {v} is not supported (this paytrack reads versions 1 to {VERSION})"),
                    ))
                }
                Err(_) => return Err(at.err(None, format!("'{}' is not a backup version number", version.trim()))),
            }
        }
        if end.is_some() {
            return Err(at.err(None, "unexpected data after the end record"));
        }
        if !complete {
            return Err(at.err(
                None,
                "truncated: the file ends in the middle of a record (the backup is incomplete)",
            ));
        }
        if text.trim().is_empty() {
            return Err(at.err(None, "empty line (every line must be a record)"));
        }
        let t = record_type(text).ok_or_else(|| {
            at.err(
                Some("type"),
                "the line is not a JSON record with a \"type\"",
            )
        })?;
        match t.as_str() {
            "ids" => {
                if ids.is_some() {
                    return Err(at.err(None, "a second id counters record"));
                }
                let rec: IdsRec = at.parse(text)?;
                ids = Some(IdSeq {
                    party: rec.party,
                    invoice: rec.invoice,
                    payment: rec.payment,
                });
            }
            "party" => {
                let rec: PartyRec = at.parse(text)?;
                if !party_ids.insert(rec.id) {
                    return Err(at.err(Some("id"), format!("party id {} appears twice", rec.id)));
                }
                if !party_names.insert(name_key(&rec.name)) {
                    return Err(at.err(Some("name"), format!("party name '{}' appears twice", rec.name)));
                }
                c.parties.push(Party {
                    id: PartyId(rec.id),
                    name: rec.name,
                    role: at.field("role", rec.role.parse::<PartyRole>())?,
                    email: rec.email,
                    terms_days: rec.terms_days,
                    notes: rec.notes,
                });
            }
            "invoice" => {
                let rec: InvoiceRec = at.parse(text)?;
                if !invoice_ids.insert(rec.id) {
                    return Err(at.err(Some("id"), format!("invoice id {} appears twice", rec.id)));
                }
                if !party_ids.contains(rec.party) {
                    return Err(at.err(Some("party"), format!("party id {} is not in the backup (before this line)", rec.party)));
                }
                if !invoice_numbers.insert(rec.number.trim().to_string()) {
                    return Err(at.err(Some("number"), format!("invoice number '{}' appears twice", rec.number)));
                }
                c.invoices.push(Invoice {
                    id: InvoiceId(rec.id),
                    number: rec.number,
                    party: PartyId(rec.party),
                    kind: at.field("kind", rec.kind.parse::<InvoiceKind>())?,
                    issue_date: at.field("issue_date", date_field(&rec.issue_date))?,
                    due_date: at.field("due_date", date_field(&rec.due_date))?,
                    amount: at.amount("amount", &rec.amount)?,
                    currency: at.field("currency", rec.currency.parse::<Currency>())?,
                    notes: rec.notes,
                    void: rec.void,
                });
            }
            "payment" => {
                let rec: PaymentRec = at.parse(text)?;
                if !payment_ids.insert(rec.id) {
                    return Err(at.err(Some("id"), format!("payment id {} appears twice", rec.id)));
                }
                if !party_ids.contains(rec.party) {
                    return Err(at.err(Some("party"), format!("party id {} is not in the backup (before this line)", rec.party)));
                }
                let mut allocations = Vec::with_capacity(rec.allocations.len());
                for a in &rec.allocations {
                    if !invoice_ids.contains(a.invoice) {
                        return Err(at.err(
                            Some("allocations"),
                            format!("invoice id {} is not in the backup (before this line)", a.invoice),
                        ));
                    }
                    allocations.push(Allocation {
                        invoice: InvoiceId(a.invoice),
                        amount: at.amount("allocations", &a.amount)?,
                    });
                }
                c.payments.push(Payment {
                    id: PaymentId(rec.id),
                    party: PartyId(rec.party),
                    direction: at.field("direction", rec.direction.parse::<Direction>())?,
                    amount: at.amount("amount", &rec.amount)?,
                    currency: at.field("currency", rec.currency.parse::<Currency>())?,
                    date: at.field("date", date_field(&rec.date))?,
                    method: at.field("method", rec.method.parse::<Method>())?,
                    reference: rec.reference,
                    notes: rec.notes,
                    allocations,
                    source: rec
                        .source
                        .as_deref()
                        .map(|s| at.field("source", s.parse::<SourceKey>()))
                        .transpose()?,
                });
            }
            "filter" => {
                let rec: FilterRec = at.parse(text)?;
                if !filter_names.insert(rec.name.clone()) {
                    return Err(at.err(Some("name"), format!("saved filter '{}' appears twice", rec.name)));
                }
                c.filters.push(SavedFilter {
                    name: rec.name,
                    query: rec.query,
                    pin: rec.pin,
                });
            }
            "follow_up" => {
                let rec: FollowUpRec = at.parse(text)?;
                if !invoice_ids.contains(rec.invoice) {
                    return Err(at.err(
                        Some("invoice"),
                        format!("invoice id {} is not in the backup (before this line)", rec.invoice),
                    ));
                }
                let day = |field: &str, v: &str| at.field(field, date_field(v));
                let mut sent = Vec::with_capacity(rec.sent.len());
                for s in &rec.sent {
                    sent.push(SentReminder {
                        level: s.level,
                        date: day("sent", &s.date)?,
                    });
                }
                c.follow_ups.push((
                    InvoiceId(rec.invoice),
                    FollowUp {
                        snooze_until: rec.snooze_until.as_deref().map(|v| day("snooze_until", v)).transpose()?,
                        promise: rec.promise.as_deref().map(|v| day("promise", v)).transpose()?,
                        disputed: rec.disputed,
                        sent,
                    },
                ));
            }
            "reminder_settings" => {
                let rec: SettingsRec = at.parse(text)?;
                let settings = ReminderSettings {
                    min_amount: at.amount("min_amount", &rec.min_amount)?,
                    receivable: levels_in(rec.receivable),
                    payable: levels_in(rec.payable),
                };
                at.field("reminder_settings", settings.validate())?;
                c.reminder_settings = Some(settings);
            }
            "end" => {
                let rec: EndRec = at.parse(text)?;
                let found = [
                    ("parties", rec.parties, c.parties.len()),
                    ("invoices", rec.invoices, c.invoices.len()),
                    ("payments", rec.payments, c.payments.len()),
                    ("filters", rec.filters, c.filters.len()),
                    ("follow_ups", rec.follow_ups, c.follow_ups.len()),
                ];
                for (what, want, got) in found {
                    if want != got as u64 {
                        return Err(at.err(
                            Some(what),
                            format!("the end record counts {want} {what} but the backup holds {got} (records are missing)"),
                        ));
                    }
                }
                end = Some(rec);
            }
            other => {
                return Err(at.err(
                    Some("type"),
                    format!("unknown record type '{other}' (expected ids, party, invoice, payment, filter, follow_up, reminder_settings or end)"),
                ))
            }
        }
    }
    if at.line == 0 {
        return Err(ImportError::new(
            source_name,
            1,
            None,
            "the file is empty (not a paytrack backup)",
        ));
    }
    if end.is_none() {
        return Err(ImportError::new(
            source_name,
            at.line + 1,
            None,
            "truncated: the backup has no end record (the file was cut short)",
        ));
    }
    let mut ids = ids.ok_or_else(|| {
        ImportError::new(
            source_name,
            at.line,
            None,
            "the backup has no id counters record",
        )
    })?;
    for p in &c.parties {
        ids.party = ids.party.max(p.id.0 + 1);
    }
    for i in &c.invoices {
        ids.invoice = ids.invoice.max(i.id.0 + 1);
    }
    for p in &c.payments {
        ids.payment = ids.payment.max(p.id.0 + 1);
    }
    c.ids = ids;
    Ok(c)
}
