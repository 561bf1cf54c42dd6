//! The same records as JSON: an array of objects, one object per line, with the field names
//! of the CSV columns plus the derived ones. Amounts are strings like `"1234.50"` (exact,
//! with the currency's minor units), dates `"YYYY-MM-DD"`, `terms_days` a number or null.
//! Payments also carry `source`, the fingerprint of the row an imported payment was read
//! from (`"id:002f6a0c19b4e7"`, null for one entered by hand), so that export → import
//! keeps what a re-import of that row is recognised by; a payment without the key gets
//! its row's content key, as from a CSV file.
//!
//! Text is written losslessly (no spreadsheet neutralisation: JSON is not opened as a
//! sheet); control, bidi and invisible format characters are written as `\uXXXX` escapes
//! ([`crate::text::json`]), so printing the JSON cannot act on a terminal.
//! Reading accepts the same objects; keys are case-sensitive, unknown keys are refused,
//! a missing key counts as empty.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Read, Write};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::ledger::Ledger;
use crate::domain::{IdSeq, Invoice, Party, Payment, StatusRules};

use super::csv_own::allocation_cell;
use super::rows::{
    merge_payments, pay, Ctx, InvoiceSink, Part, PartySink, RowSink, Schema, MAX_COLUMNS,
    NO_SOURCE, PAYMENTS_JSON,
};
use super::{amount_into, date_into, strip_bom, ImportError, ImportPlan};

#[derive(Serialize)]
struct InvoiceOut<'a> {
    number: &'a str,
    party: &'a str,
    kind: &'a str,
    issue_date: &'a str,
    due_date: &'a str,
    amount: &'a str,
    currency: &'a str,
    notes: &'a str,
    status: &'a str,
    outstanding: &'a str,
}

#[derive(Serialize)]
struct PaymentOut<'a> {
    date: &'a str,
    party: &'a str,
    direction: &'a str,
    amount: &'a str,
    currency: &'a str,
    method: &'a str,
    reference: &'a str,
    invoice: &'a str,
    notes: &'a str,
    unallocated: &'a str,
    source: Option<&'a str>,
}

#[derive(Serialize)]
struct PartyOut<'a> {
    name: &'a str,
    role: &'a str,
    email: &'a str,
    terms_days: Option<u32>,
    notes: &'a str,
}

/// Writes `[`, one object per line separated by commas, `]`.
fn write_array<T, W: Write>(
    w: W,
    rows: impl Iterator<Item = T>,
    mut each: impl FnMut(&mut BufWriter<W>, T) -> io::Result<()>,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, w);
    out.write_all(b"[")?;
    let mut first = true;
    for r in rows {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        each(&mut out, r)?;
    }
    out.write_all(if first { b"]\n" } else { b"\n]\n" })?;
    out.flush()
}

/// Writes invoices as a JSON array, with `status` and `outstanding` as of `rules.as_of`.
pub fn write_invoices<'a>(
    w: impl Write,
    ledger: &Ledger,
    rules: &StatusRules,
    rows: impl Iterator<Item = &'a Invoice>,
) -> io::Result<()> {
    let (mut issue, mut due, mut amount, mut outstanding) =
        (String::new(), String::new(), String::new(), String::new());
    write_array(w, rows, |out, inv| {
        let s = ledger.settlement(inv, rules);
        let dp = inv.currency.minor_units();
        date_into(&mut issue, inv.issue_date);
        date_into(&mut due, inv.due_date);
        amount_into(&mut amount, inv.amount, dp);
        let o = if inv.void {
            rust_decimal::Decimal::ZERO
        } else {
            s.outstanding
        };
        amount_into(&mut outstanding, o, dp);
        let row = InvoiceOut {
            number: &inv.number,
            party: ledger.party_name(inv.party),
            kind: inv.kind.as_str(),
            issue_date: &issue,
            due_date: &due,
            amount: &amount,
            currency: inv.currency.as_str(),
            notes: &inv.notes,
            status: s.status().as_str(),
            outstanding: &outstanding,
        };
        crate::text::json::to_writer(out, &row).map_err(io::Error::from)
    })
}

/// Writes payments as a JSON array, with the derived `unallocated`.
pub fn write_payments<'a>(
    w: impl Write,
    ledger: &Ledger,
    rows: impl Iterator<Item = &'a Payment>,
) -> io::Result<()> {
    let (mut date, mut amount, mut invoice, mut unallocated, mut source) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    write_array(w, rows, |out, p| {
        let dp = p.currency.minor_units();
        date_into(&mut date, p.date);
        amount_into(&mut amount, p.amount, dp);
        allocation_cell(&mut invoice, ledger, p);
        amount_into(&mut unallocated, p.unallocated(), dp);
        if let Some(k) = p.source {
            source.clear();
            let _ = write!(source, "{k}");
        }
        let row = PaymentOut {
            date: &date,
            party: ledger.party_name(p.party),
            direction: p.direction.as_str(),
            amount: &amount,
            currency: p.currency.as_str(),
            method: p.method.as_str(),
            reference: &p.reference,
            invoice: &invoice,
            notes: &p.notes,
            unallocated: &unallocated,
            source: p.source.map(|_| source.as_str()),
        };
        crate::text::json::to_writer(out, &row).map_err(io::Error::from)
    })
}

/// Writes parties as a JSON array.
pub fn write_parties<'a>(
    w: impl Write,
    _ledger: &Ledger,
    rows: impl Iterator<Item = &'a Party>,
) -> io::Result<()> {
    write_array(w, rows, |out, p| {
        let row = PartyOut {
            name: &p.name,
            role: p.role.as_str(),
            email: &p.email,
            terms_days: p.terms_days,
            notes: &p.notes,
        };
        crate::text::json::to_writer(out, &row).map_err(io::Error::from)
    })
}

/// Reads invoices written by [`write_invoices`] (or by hand) into a plan.
pub fn read_invoices(
    r: impl Read,
    source_name: &str,
    ledger: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, ImportError> {
    let sink = InvoiceSink::new(Ctx::new(source_name, ledger, ids, false));
    let plan = read_json(r, source_name, sink)?;
    *ids = plan.changes.ids.unwrap_or(*ids);
    Ok(plan)
}

/// Reads payments written by [`write_payments`] (or by hand) into a plan. A payment's
/// `source` (the fingerprint of the row it was imported from) is kept; rows the store
/// holds already (by that fingerprint, else by date, amount, currency, direction, party
/// and reference, see [`super::fingerprint`]) are left out and listed in the plan's
/// `duplicates`.
pub fn read_payments(
    r: impl Read,
    source_name: &str,
    ledger: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, ImportError> {
    let ctx = Ctx::new(source_name, ledger, ids, false);
    let mut part = Part::new(&ctx, 0);
    let err = read_json_rows(r, source_name, &PAYMENTS_JSON, |line, c| {
        part.payment(line, c)
    })
    .err();
    let plan = merge_payments(ctx.again(), vec![(part, err)])?;
    *ids = plan.changes.ids.unwrap_or(*ids);
    Ok(plan)
}

/// Reads parties written by [`write_parties`] (or by hand) into a plan.
pub fn read_parties(
    r: impl Read,
    source_name: &str,
    ledger: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, ImportError> {
    let sink = PartySink::new(Ctx::new(source_name, ledger, ids, false));
    let plan = read_json(r, source_name, sink)?;
    *ids = plan.changes.ids.unwrap_or(*ids);
    Ok(plan)
}

/// Counts lines incrementally while scanning forward through the text.
struct Lines<'t> {
    text: &'t str,
    pos: usize,
    line: u64,
}

impl Lines<'_> {
    /// The 1-based line of byte offset `at` (at or after the last one asked for).
    fn at(&mut self, at: usize) -> u64 {
        let at = at.min(self.text.len());
        if at > self.pos {
            self.line += self.text.as_bytes()[self.pos..at]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.pos = at;
        }
        self.line
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Message of a serde_json error without its "at line L column C" suffix.
fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The cell text of a JSON value.
fn cell(v: &Value) -> Result<Cow<'_, str>, String> {
    match v {
        Value::String(s) => Ok(Cow::Borrowed(s)),
        Value::Null => Ok(Cow::Borrowed("")),
        Value::Number(n) if n.is_u64() => Ok(Cow::Owned(n.to_string())),
        Value::Number(n) => Err(format!(
            "{n} is a JSON number that may not be exact; write it as a string like \"12.50\""
        )),
        Value::Bool(_) => Err("expected a string, found true/false".into()),
        Value::Array(_) => Err("expected a string, found a list".into()),
        Value::Object(_) => Err("expected a string, found an object".into()),
    }
}

fn read_json<S: RowSink>(
    r: impl Read,
    source: &str,
    mut sink: S,
) -> Result<ImportPlan, ImportError> {
    read_json_rows(r, source, sink.schema(), |line, cells| {
        sink.row(line, cells)
    })?;
    Ok(sink.finish())
}

/// Reads a JSON array of `schema`'s objects, each into `row`, up to the first error.
fn read_json_rows(
    mut r: impl Read,
    source: &str,
    schema: &'static Schema,
    mut row: impl FnMut(u64, &[&str]) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes)
        .map_err(|e| ImportError::new(source, 1, None, format!("cannot read: {e}")))?;
    let body = strip_bom(&bytes);
    let text = std::str::from_utf8(body).map_err(|e| {
        let line = 1 + body[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        ImportError::new(source, line, None, "not valid UTF-8 text")
    })?;
    let b = text.as_bytes();
    let mut lines = Lines {
        text,
        pos: 0,
        line: 1,
    };
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'[') {
        let line = lines.at(i);
        return Err(ImportError::new(
            source,
            line,
            None,
            "expected a JSON array of objects ('[' ... ']')",
        ));
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b']') {
        i += 1;
    } else {
        loop {
            let line = lines.at(i);
            let err = |m: String| ImportError::new(source, line, None, m);
            if b.get(i) != Some(&b'{') {
                return Err(err(if i >= b.len() {
                    "the array is not closed: the file ends too early (truncated?)".into()
                } else {
                    "expected an object ('{')".into()
                }));
            }
            let mut stream =
                serde_json::Deserializer::from_str(&text[i..]).into_iter::<Map<String, Value>>();
            let obj = match stream.next() {
                Some(Ok(o)) => o,
                Some(Err(e)) => {
                    let at = line + e.line().saturating_sub(1) as u64;
                    let m = if e.is_eof() {
                        "the object is not closed: the file ends too early (truncated?)".into()
                    } else {
                        json_message(&e)
                    };
                    return Err(ImportError::new(source, at, None, m));
                }
                None => return Err(err("expected an object".into())),
            };
            i += stream.byte_offset();
            let mut cows: [Cow<'_, str>; MAX_COLUMNS] = Default::default();
            for (k, v) in &obj {
                let slot = schema
                    .slot(k)
                    .filter(|&s| schema.columns[s] == k)
                    .ok_or_else(|| {
                        ImportError::new(
                            source,
                            line,
                            Some(k),
                            format!("unknown field (expected: {})", schema.columns.join(", ")),
                        )
                    })?;
                cows[slot] = match v {
                    // a payment entered by hand: no fingerprint (absent: the row's own)
                    Value::Null if std::ptr::eq(schema, &PAYMENTS_JSON) && slot == pay::SOURCE => {
                        Cow::Borrowed(NO_SOURCE)
                    }
                    _ => cell(v).map_err(|m| ImportError::new(source, line, Some(k), m))?,
                };
            }
            let mut cells = [""; MAX_COLUMNS];
            for (c, v) in cells.iter_mut().zip(&cows) {
                *c = v;
            }
            row(line, &cells[..schema.columns.len()])?;
            i = skip_ws(b, i);
            match b.get(i) {
                Some(b',') => i = skip_ws(b, i + 1),
                Some(b']') => {
                    i += 1;
                    break;
                }
                None => {
                    let line = lines.at(i);
                    return Err(ImportError::new(
                        source,
                        line,
                        None,
                        "the array is not closed: the file ends too early (truncated?)",
                    ));
                }
                Some(_) => {
                    let line = lines.at(i);
                    return Err(ImportError::new(
                        source,
                        line,
                        None,
                        "expected ',' or ']' after an object",
                    ));
                }
            }
        }
    }
    let end = skip_ws(b, i);
    if end < b.len() {
        let line = lines.at(end);
        return Err(ImportError::new(
            source,
            line,
            None,
            "unexpected text after the array",
        ));
    }
    Ok(())
}
