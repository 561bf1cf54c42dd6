//! paytrack's own CSV layout (see the shared README, "Interchange CSV"):
//!
//! - `invoices.csv`: `number,party,kind,issue_date,due_date,amount,currency,notes`, export adds
//!   the derived `status,outstanding`;
//! - `payments.csv`: `date,party,direction,amount,currency,method,reference,invoice,notes`,
//!   export adds the derived `unallocated`;
//! - `parties.csv`: `name,role,email,terms_days,notes`.
//!
//! Import finds columns by header name (any order, case-insensitive), refuses unknown
//! columns and missing required ones, tolerates a UTF-8 BOM, and strips one leading `'`
//! from text cells (the inverse of the formula neutralisation done on export). Required
//! columns: invoices `number,party,kind,issue_date,due_date,amount,currency`; payments
//! `date,party,direction,amount,currency` (an empty or absent `method` is `other`);
//! parties `name` (an empty or absent `role` is `customer`). Party names and invoice
//! numbers are trimmed; other text is kept exactly.
//!
//! The `invoice` cell of a payment is written as a single number only when one allocation
//! takes the whole amount and the number contains neither `=` nor `;`; otherwise as the
//! split `NUMBER=AMOUNT;...` (an `=` inside a number survives, a `;` inside a number of
//! a split cannot be told apart from the separator).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{self, Read, Write};

use csv::StringRecord;

use crate::domain::ledger::Ledger;
use crate::domain::{IdSeq, Invoice, Party, Payment, StatusRules};

use super::rows::{
    merge_invoices, merge_payments, Ctx, InvoiceSink, Part, PartySink, RowSink, Schema, INVOICES,
    MAX_COLUMNS, PARTIES, PAYMENTS,
};
use super::{amount_into, date_into, neutralise_into, ImportError, ImportPlan};

/// Reads `invoices.csv` into a plan: new invoices plus the parties they name.
///
/// A row whose `status` column says `void` imports as a void invoice; the other derived
/// columns are ignored.
pub fn read_invoices(
    r: impl Read,
    source_name: &str,
    ledger: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, ImportError> {
    let sink = InvoiceSink::new(Ctx::new(source_name, ledger, ids, true));
    let plan = read_csv(r, source_name, sink)?;
    *ids = plan.changes.ids.unwrap_or(*ids);
    Ok(plan)
}

/// Reads `payments.csv` into a plan: new payments (allocated to invoices already in
/// `ledger`) plus the parties they name. Rows the store holds already (the same date,
/// amount, currency, direction, party and reference as a payment imported before, see
/// [`super::fingerprint`]) are left out and listed in the plan's `duplicates`.
pub fn read_payments(
    r: impl Read,
    source_name: &str,
    ledger: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, ImportError> {
    let ctx = Ctx::new(source_name, ledger, ids, true);
    let mut part = Part::new(&ctx, 0);
    let err = read_csv_rows(r, source_name, &PAYMENTS, |line, c| part.payment(line, c)).err();
    let plan = merge_payments(ctx.again(), vec![(part, err)])?;
    *ids = plan.changes.ids.unwrap_or(*ids);
    Ok(plan)
}

/// Like [`read_invoices`] (the same plan or the same first error) for a file in memory,
/// read in parts on several threads when it is large.
pub fn read_invoices_bytes(
    bytes: &[u8],
    source_name: &str,
    ledger: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, ImportError> {
    read_own_parts(
        bytes,
        source_name,
        ledger,
        ids,
        parts_for(bytes.len()),
        OwnRows::Invoices,
    )
}

/// Like [`read_payments`] (the same plan or the same first error) for a file in memory,
/// read in parts on several threads when it is large.
pub fn read_payments_bytes(
    bytes: &[u8],
    source_name: &str,
    ledger: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, ImportError> {
    read_own_parts(
        bytes,
        source_name,
        ledger,
        ids,
        parts_for(bytes.len()),
        OwnRows::Payments,
    )
}

/// Below this size a file is read on one thread.
const PARALLEL_BYTES: usize = 1 << 20;

fn parts_for(len: usize) -> usize {
    if len < PARALLEL_BYTES {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// The own layouts that can be read in parts.
#[derive(Clone, Copy)]
enum OwnRows {
    Invoices,
    Payments,
}

/// Reads an own invoices or payments file in up to `parts` pieces, joined into the plan
/// reading it in one go gives (or read in one go when it is not worth cutting).
fn read_own_parts(
    bytes: &[u8],
    source_name: &str,
    ledger: &Ledger,
    ids: &mut IdSeq,
    parts: usize,
    kind: OwnRows,
) -> Result<ImportPlan, ImportError> {
    let ctx = Ctx::new(source_name, ledger, ids, true);
    let schema = match kind {
        OwnRows::Invoices => &INVOICES,
        OwnRows::Payments => &PAYMENTS,
    };
    let read = read_parts(
        bytes,
        source_name,
        schema,
        parts,
        |rows| Part::new(&ctx, rows),
        |part, line, cells| match kind {
            OwnRows::Invoices => part.invoice(line, cells),
            OwnRows::Payments => part.payment(line, cells),
        },
    )?;
    let plan = match (read, kind) {
        (Some(parts), OwnRows::Invoices) => merge_invoices(ctx.again(), parts)?,
        (Some(parts), OwnRows::Payments) => merge_payments(ctx.again(), parts)?,
        (None, OwnRows::Invoices) => return read_invoices(bytes, source_name, ledger, ids),
        (None, OwnRows::Payments) => return read_payments(bytes, source_name, ledger, ids),
    };
    *ids = plan.changes.ids.unwrap_or(*ids);
    Ok(plan)
}

/// Reads `parties.csv` into a plan of new parties. A name that already exists (in the
/// ledger or earlier in the file, case-insensitively) is refused.
pub fn read_parties(
    r: impl Read,
    source_name: &str,
    ledger: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, ImportError> {
    let sink = PartySink::new(Ctx::new(source_name, ledger, ids, true));
    let plan = read_csv(r, source_name, sink)?;
    *ids = plan.changes.ids.unwrap_or(*ids);
    Ok(plan)
}

/// States of the input tracker, mirroring csv-core's default dialect.
const RECORD_START: u8 = 0;
const FIELD_START: u8 = 1;
const UNQUOTED: u8 = 2;
const QUOTED: u8 = 3;
const QUOTE_IN_QUOTED: u8 = 4;

/// Wraps the input: drops a leading UTF-8 BOM, and follows the quoting state to know the
/// physical line each record starts on (the csv crate does not count skipped blank lines)
/// and whether the file ended inside a quoted field (which the csv crate silently accepts).
struct Tracked<R> {
    inner: R,
    prefix: [u8; 3],
    prefix_len: usize,
    prefix_pos: usize,
    state: u8,
    /// Physical line of the byte being looked at.
    line: u64,
    /// Lines where records start that the csv reader has not returned yet.
    starts: VecDeque<u64>,
    eof: bool,
}

impl<R: Read> Tracked<R> {
    fn new(mut inner: R) -> io::Result<Self> {
        let mut prefix = [0u8; 3];
        let mut len = 0;
        while len < 3 {
            match inner.read(&mut prefix[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let prefix_pos = if len == 3 && &prefix == b"\xEF\xBB\xBF" {
            3
        } else {
            0
        };
        Ok(Tracked {
            inner,
            prefix,
            prefix_len: len,
            prefix_pos,
            state: RECORD_START,
            line: 1,
            starts: VecDeque::new(),
            eof: false,
        })
    }

    /// A part of a file that starts at a record boundary on physical line `line` (no
    /// byte order mark to drop).
    fn part(inner: R, line: u64) -> Self {
        Tracked {
            inner,
            prefix: [0; 3],
            prefix_len: 0,
            prefix_pos: 0,
            state: RECORD_START,
            line,
            starts: VecDeque::new(),
            eof: false,
        }
    }

    /// The input ended inside a quoted field.
    fn unclosed_quote(&self) -> bool {
        self.eof && self.state == QUOTED
    }

    /// The physical line of the next record the csv reader returns.
    fn next_start(&mut self) -> Option<u64> {
        self.starts.pop_front()
    }

    fn track(&mut self, bytes: &[u8]) {
        let mut st = self.state;
        let mut line = self.line;
        let mut i = 0;
        while i < bytes.len() {
            if st == QUOTED {
                let rest = &bytes[i..];
                let skip = rest.iter().position(|&b| b == b'"').unwrap_or(rest.len());
                line += rest[..skip].iter().filter(|&&b| b == b'\n').count() as u64;
                if skip == rest.len() {
                    break;
                }
                i += skip + 1;
                st = QUOTE_IN_QUOTED;
                continue;
            }
            if st == UNQUOTED {
                // inside a plain field only a separator or a line end changes anything
                let rest = &bytes[i..];
                match rest.iter().position(|&b| matches!(b, b',' | b'\n' | b'\r')) {
                    Some(p) => i += p,
                    None => break,
                }
            }
            let b = bytes[i];
            i += 1;
            st = match b {
                b'\n' => {
                    line += 1;
                    RECORD_START
                }
                b'\r' => RECORD_START,
                _ => {
                    if st == RECORD_START {
                        self.starts.push_back(line);
                    }
                    match (st, b) {
                        (_, b',') => FIELD_START,
                        (RECORD_START | FIELD_START, b'"') => QUOTED,
                        (QUOTE_IN_QUOTED, b'"') => QUOTED,
                        _ => UNQUOTED,
                    }
                }
            };
        }
        self.state = st;
        self.line = line;
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = if self.prefix_pos < self.prefix_len {
            let rest = &self.prefix[self.prefix_pos..self.prefix_len];
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.prefix_pos += n;
            n
        } else {
            let n = self.inner.read(buf)?;
            if n == 0 {
                self.eof = true;
            }
            n
        };
        self.track(&buf[..n]);
        Ok(n)
    }
}

/// The tracker's state after `b` in state `st` (what [`Tracked::track`] does, byte by
/// byte).
fn step(st: u8, b: u8) -> u8 {
    match (st, b) {
        (QUOTED, b'"') => QUOTE_IN_QUOTED,
        (QUOTED, _) => QUOTED,
        (_, b'\n' | b'\r') => RECORD_START,
        (_, b',') => FIELD_START,
        (RECORD_START | FIELD_START | QUOTE_IN_QUOTED, b'"') => QUOTED,
        _ => UNQUOTED,
    }
}

/// The tracker's state after `bytes` from state `st`, jumping from quote to quote.
///
/// Outside a quoted field only a quote can lead into one, and the state after any other
/// byte depends on that byte alone (a line end, a separator, or plain text): so the bytes
/// between quotes need no look but for the quote's neighbour.
fn scan(mut st: u8, bytes: &[u8]) -> u8 {
    let after = |b: u8| step(UNQUOTED, b);
    let mut i = 0;
    loop {
        let Some(p) = bytes[i..].iter().position(|&b| b == b'"') else {
            return match bytes.len() > i {
                true if st != QUOTED => after(bytes[bytes.len() - 1]),
                _ => st,
            };
        };
        let q = i + p;
        if st == QUOTED {
            st = QUOTE_IN_QUOTED;
        } else {
            let before = if p == 0 { st } else { after(bytes[q - 1]) };
            st = step(before, b'"');
        }
        i = q + 1;
    }
}

/// Where to cut `data` (a file without its byte order mark) into about `parts` pieces:
/// just after line ends outside quoted fields, so that each piece starts a record.
/// Each cut comes with the physical line it starts.
fn cuts(data: &[u8], parts: usize) -> Vec<(usize, u64)> {
    let mut out = Vec::new();
    let mut st = RECORD_START;
    let mut pos = 0;
    let mut lines = 1u64;
    for k in 1..parts {
        let target = data.len() / parts * k;
        if target <= pos {
            continue;
        }
        st = scan(st, &data[pos..target]);
        lines += count_lines(&data[pos..target]);
        pos = target;
        let found = data[pos..].iter().position(|&b| {
            st = step(st, b);
            b == b'\n' && st == RECORD_START
        });
        let Some(p) = found else { break };
        lines += count_lines(&data[pos..pos + p + 1]);
        pos += p + 1;
        if pos >= data.len() {
            break;
        }
        out.push((pos, lines));
    }
    out
}

fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

fn reader<R: Read>(input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(input)
}

/// A part of a file read, with the error that stopped it.
type PartRead<P> = (P, Option<ImportError>);

/// Reads a file in memory in up to `parts` pieces on as many threads, each row handed to
/// `row` on the part made by `make` (given a bound on its rows). `None` when the file is
/// not worth cutting or its header is not in the first piece: read it in one go.
fn read_parts<P: Send>(
    bytes: &[u8],
    source: &str,
    schema: &'static Schema,
    parts: usize,
    make: impl Fn(usize) -> P + Sync,
    row: impl Fn(&mut P, u64, &[&str]) -> Result<(), ImportError> + Sync,
) -> Result<Option<Vec<PartRead<P>>>, ImportError> {
    if parts < 2 {
        return Ok(None);
    }
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let cuts = cuts(&bytes[bom..], parts);
    if cuts.is_empty() {
        return Ok(None);
    }
    let ends: Vec<usize> = cuts
        .iter()
        .map(|&(at, _)| at + bom)
        .chain([bytes.len()])
        .collect();
    let first = &bytes[..ends[0]];
    let Ok(input) = Tracked::new(first) else {
        return Ok(None);
    };
    let mut rdr = reader(input);
    let mut rec = StringRecord::new();
    let read = rdr.read_record(&mut rec);
    let header_line = rdr.get_mut().next_start().unwrap_or(1);
    let map = match read {
        Ok(true) => match map_header(source, header_line, schema, &rec) {
            Ok(m) => m,
            Err(_) => return Ok(None),
        },
        _ => return Ok(None),
    };
    let map = &map;
    let make = &make;
    let row = &row;
    let out = std::thread::scope(|s| {
        let handles: Vec<_> = cuts
            .iter()
            .zip(&ends[1..])
            .map(|(&(at, line), &end)| {
                let piece = &bytes[at + bom..end];
                s.spawn(move || {
                    let mut part = make(count_lines(piece) as usize + 1);
                    let mut rdr = reader(Tracked::part(piece, line));
                    let err = read_rows(&mut rdr, source, schema, map, line - 1, |l, c| {
                        row(&mut part, l, c)
                    })
                    .err();
                    (part, err)
                })
            })
            .collect();
        let mut part = make(count_lines(first) as usize);
        let err = read_rows(&mut rdr, source, schema, map, header_line, |l, c| {
            row(&mut part, l, c)
        })
        .err();
        let mut out = vec![(part, err)];
        for h in handles {
            out.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    });
    Ok(Some(out))
}

/// Reads the records after the header from `rdr` into `row`, up to the first error.
/// `line` is the line of the record before.
fn read_rows<R: Read>(
    rdr: &mut csv::Reader<Tracked<R>>,
    source: &str,
    schema: &Schema,
    map: &[usize],
    mut line: u64,
    mut row: impl FnMut(u64, &[&str]) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let width = map.len();
    let mut rec = StringRecord::new();
    loop {
        let read = rdr.read_record(&mut rec);
        line = rdr.get_mut().next_start().unwrap_or(line + 1);
        if rdr.get_ref().unclosed_quote() {
            return Err(unclosed(source, line));
        }
        let more = read.map_err(|e| {
            csv_error(source, line, e, |i| {
                map.get(i).map(|&slot| schema.columns[slot])
            })
        })?;
        if !more {
            return Ok(());
        }
        if rec.len() != width {
            return Err(ImportError::wrong_width(source, line, rec.len(), width));
        }
        let mut cells = [""; MAX_COLUMNS];
        for (field, &slot) in rec.iter().zip(map) {
            cells[slot] = field;
        }
        row(line, &cells[..schema.columns.len()])?;
    }
}

fn io_error(source: &str, line: u64, e: &dyn std::fmt::Display) -> ImportError {
    ImportError::new(source, line.max(1), None, format!("cannot read: {e}"))
}

/// Maps a csv error of the record starting on `line`; `field` names column `i`.
fn csv_error(
    source: &str,
    line: u64,
    e: csv::Error,
    field: impl Fn(usize) -> Option<&'static str>,
) -> ImportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io_error(source, line, &io),
        csv::ErrorKind::Utf8 { err, .. } => match field(err.field()) {
            Some(f) => ImportError::new(source, line, Some(f), "not valid UTF-8 text"),
            None => ImportError::new(
                source,
                line,
                None,
                format!("column {} is not valid UTF-8 text", err.field() + 1),
            ),
        },
        other => ImportError::new(source, line, None, format!("{other:?}")),
    }
}

/// Maps header columns onto schema slots.
fn map_header(
    source: &str,
    line: u64,
    schema: &Schema,
    header: &StringRecord,
) -> Result<Vec<usize>, ImportError> {
    let mut map = Vec::with_capacity(header.len());
    let mut seen = [false; MAX_COLUMNS];
    for (i, name) in header.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(ImportError::new(
                source,
                line,
                None,
                format!(
                    "column {} has no name (the header row must name the columns: {})",
                    i + 1,
                    schema.list()
                ),
            ));
        }
        let slot = schema.slot(name).ok_or_else(|| {
            ImportError::new(
                source,
                line,
                None,
                format!(
                    "unknown column '{}' (expected: {})",
                    name.trim(),
                    schema.list()
                ),
            )
        })?;
        if seen[slot] {
            return Err(ImportError::new(
                source,
                line,
                None,
                format!("column '{}' appears twice", schema.columns[slot]),
            ));
        }
        seen[slot] = true;
        map.push(slot);
    }
    let missing: Vec<&str> = (0..schema.required)
        .filter(|&s| !seen[s])
        .map(|s| schema.columns[s])
        .collect();
    if !missing.is_empty() {
        let (word, list) = if missing.len() == 1 {
            ("column", format!("'{}'", missing[0]))
        } else {
            ("columns", missing.join(", "))
        };
        return Err(ImportError::new(
            source,
            line,
            None,
            format!("missing {word} {list} (expected: {})", schema.list()),
        ));
    }
    Ok(map)
}

/// Reads a whole CSV file into `sink`.
fn read_csv<S: RowSink>(
    r: impl Read,
    source: &str,
    mut sink: S,
) -> Result<ImportPlan, ImportError> {
    read_csv_rows(r, source, sink.schema(), |line, cells| {
        sink.row(line, cells)
    })?;
    Ok(sink.finish())
}

/// Reads a whole CSV file of `schema`'s layout, each row into `row`, up to the first
/// error.
fn read_csv_rows(
    r: impl Read,
    source: &str,
    schema: &'static Schema,
    row: impl FnMut(u64, &[&str]) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let input = Tracked::new(r).map_err(|e| io_error(source, 1, &e))?;
    let mut rdr = reader(input);
    let mut rec = StringRecord::new();
    let read = rdr.read_record(&mut rec);
    let header_line = rdr.get_mut().next_start().unwrap_or(1);
    if rdr.get_ref().unclosed_quote() {
        return Err(unclosed(source, header_line));
    }
    let has_header = read.map_err(|e| csv_error(source, header_line, e, |_| None))?;
    if !has_header {
        return Err(ImportError::new(
            source,
            1,
            None,
            format!(
                "the file is empty: a header row is required ({})",
                schema.list()
            ),
        ));
    }
    let map = map_header(source, header_line, schema, &rec)?;
    read_rows(&mut rdr, source, schema, &map, header_line, row)
}

fn unclosed(source: &str, line: u64) -> ImportError {
    ImportError::new(
        source,
        line,
        None,
        "unclosed quote: a quoted field starting in this record runs to the end of the file",
    )
}

/// Reusable buffers so that writing a row allocates nothing once warm.
#[derive(Default)]
struct Bufs {
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
}

fn writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(w)
}

fn header<W: Write>(wtr: &mut csv::Writer<W>, schema: &Schema, derived: bool) -> io::Result<()> {
    let n = if derived {
        schema.columns.len()
    } else {
        schema.derived
    };
    wtr.write_record(&schema.columns[..n])?;
    Ok(())
}

fn end<W: Write>(wtr: &mut csv::Writer<W>) -> io::Result<()> {
    wtr.write_record(None::<&[u8]>)?;
    Ok(())
}

/// Writes `invoices.csv` for `rows`, with the derived `status` and `outstanding` columns as
/// of `rules.as_of`. A void invoice shows `void` and owes nothing (outstanding 0).
pub fn write_invoices<'a>(
    w: impl Write,
    ledger: &Ledger,
    rules: &StatusRules,
    rows: impl Iterator<Item = &'a Invoice>,
) -> io::Result<()> {
    let mut wtr = writer(w);
    header(&mut wtr, &INVOICES, true)?;
    let mut b = Bufs::default();
    for inv in rows {
        let s = ledger.settlement(inv, rules);
        let dp = inv.currency.minor_units();
        wtr.write_field(neutralise_into(&inv.number, &mut b.a))?;
        wtr.write_field(neutralise_into(ledger.party_name(inv.party), &mut b.b))?;
        wtr.write_field(inv.kind.as_str())?;
        date_into(&mut b.c, inv.issue_date);
        wtr.write_field(&b.c)?;
        date_into(&mut b.c, inv.due_date);
        wtr.write_field(&b.c)?;
        amount_into(&mut b.c, inv.amount, dp);
        wtr.write_field(&b.c)?;
        wtr.write_field(inv.currency.as_str())?;
        wtr.write_field(neutralise_into(&inv.notes, &mut b.d))?;
        wtr.write_field(s.status().as_str())?;
        let outstanding = if inv.void {
            rust_decimal::Decimal::ZERO
        } else {
            s.outstanding
        };
        amount_into(&mut b.c, outstanding, dp);
        wtr.write_field(&b.c)?;
        end(&mut wtr)?;
    }
    wtr.flush()
}

/// The `invoice` cell of a payment: empty, one number when a single allocation takes the
/// whole amount, otherwise the split `NUMBER=AMOUNT;NUMBER=AMOUNT`. Written into `out`.
pub(crate) fn allocation_cell(out: &mut String, ledger: &Ledger, p: &Payment) {
    out.clear();
    let number = |id| ledger.invoice(id).map(|i| i.number.as_str()).unwrap_or("?");
    if let [a] = p.allocations.as_slice() {
        let n = number(a.invoice);
        if a.amount == p.amount && !n.contains(['=', ';']) {
            out.push_str(n);
            return;
        }
    }
    let dp = p.currency.minor_units();
    for (i, a) in p.allocations.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(number(a.invoice));
        out.push('=');
        let mut d = a
            .amount
            .round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        d.rescale(dp);
        let _ = write!(out, "{d}");
    }
}

/// Writes `payments.csv` for `rows`, with the derived `unallocated` column.
pub fn write_payments<'a>(
    w: impl Write,
    ledger: &Ledger,
    rows: impl Iterator<Item = &'a Payment>,
) -> io::Result<()> {
    write_payment_rows(w, ledger, rows, true)
}

/// Like [`write_payments`] (the same bytes), formatting large lists on two threads.
pub fn write_payments_par(mut w: impl Write, ledger: &Ledger, rows: &[&Payment]) -> io::Result<()> {
    const MIN_SPLIT: usize = 20_000;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    if rows.len() < MIN_SPLIT || threads < 2 {
        return write_payments(w, ledger, rows.iter().copied());
    }
    let (first, second) = rows.split_at(rows.len() / 2);
    let (a, b) = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let mut buf = Vec::with_capacity(second.len() * 100);
            write_payment_rows(&mut buf, ledger, second.iter().copied(), false).map(|()| buf)
        });
        let mut buf = Vec::with_capacity(first.len() * 100);
        let a = write_payment_rows(&mut buf, ledger, first.iter().copied(), true).map(|()| buf);
        (a, h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    w.write_all(&a?)?;
    w.write_all(&b?)?;
    w.flush()
}

fn write_payment_rows<'a>(
    w: impl Write,
    ledger: &Ledger,
    rows: impl Iterator<Item = &'a Payment>,
    with_header: bool,
) -> io::Result<()> {
    let mut wtr = writer(w);
    if with_header {
        header(&mut wtr, &PAYMENTS, true)?;
    }
    let mut b = Bufs::default();
    for p in rows {
        let dp = p.currency.minor_units();
        date_into(&mut b.c, p.date);
        wtr.write_field(&b.c)?;
        wtr.write_field(neutralise_into(ledger.party_name(p.party), &mut b.a))?;
        wtr.write_field(p.direction.as_str())?;
        amount_into(&mut b.c, p.amount, dp);
        wtr.write_field(&b.c)?;
        wtr.write_field(p.currency.as_str())?;
        wtr.write_field(p.method.as_str())?;
        wtr.write_field(neutralise_into(&p.reference, &mut b.b))?;
        allocation_cell(&mut b.e, ledger, p);
        wtr.write_field(neutralise_into(&b.e, &mut b.d))?;
        wtr.write_field(neutralise_into(&p.notes, &mut b.a))?;
        amount_into(&mut b.c, p.unallocated(), dp);
        wtr.write_field(&b.c)?;
        end(&mut wtr)?;
    }
    wtr.flush()
}

/// Writes `parties.csv` for `rows`.
pub fn write_parties<'a>(
    w: impl Write,
    _ledger: &Ledger,
    rows: impl Iterator<Item = &'a Party>,
) -> io::Result<()> {
    let mut wtr = writer(w);
    header(&mut wtr, &PARTIES, false)?;
    let mut b = Bufs::default();
    for p in rows {
        wtr.write_field(neutralise_into(&p.name, &mut b.a))?;
        wtr.write_field(p.role.as_str())?;
        wtr.write_field(neutralise_into(&p.email, &mut b.b))?;
        b.c.clear();
        if let Some(t) = p.terms_days {
            let _ = write!(b.c, "{t}");
        }
        wtr.write_field(&b.c)?;
        wtr.write_field(neutralise_into(&p.notes, &mut b.d))?;
        end(&mut wtr)?;
    }
    wtr.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StatusRules;

    /// An invoices file with quoted commas, quoted line breaks, blank lines, CRLF, a
    /// BOM, names differing in case and blanks, and both kinds for one party.
    fn invoices_csv(rows: usize) -> String {
        let mut s = String::from(
            "\u{feff}number,party,kind,issue_date,due_date,amount,currency,notes,status\n",
        );
        for i in 0..rows {
            let party = match i % 7 {
                0 => "\"Acme, Inc.\"".to_string(),
                1 => "\" ACME, INC. \"".to_string(),
                2 => format!("Party {}", i % 13),
                3 => format!("\"Multi\nLine {}\"", i % 3),
                4 => "'=Formula Co".to_string(),
                _ => format!("party {}", i % 13),
            };
            let kind = if i % 5 == 0 { "payable" } else { "receivable" };
            let notes = match i % 4 {
                0 => "\"a, b\nc \"\"quoted\"\"\"".to_string(),
                1 => String::new(),
                2 => "plain".to_string(),
                _ => "\"\"".to_string(),
            };
            let status = if i % 11 == 0 { "void" } else { "open" };
            let end = if i % 6 == 0 { "\r\n" } else { "\n" };
            s.push_str(&format!(
                "N-{i:04},{party},{kind},2025-01-{:02},2025-02-{:02},{}.{:02},EUR,{notes},{status}{end}",
                1 + i % 28,
                1 + i % 28,
                10 + i,
                i % 100
            ));
            if i % 9 == 0 {
                s.push_str("\n\n");
            }
        }
        s
    }

    fn payments_csv(rows: usize, invoices: usize) -> String {
        let mut s =
            String::from("date,party,direction,amount,currency,method,reference,invoice,notes\n");
        for i in 0..rows {
            let n = (i * 7) % invoices;
            // the invoice's own party, so that the allocation is accepted
            let party = match n % 7 {
                0 | 1 => "\"Acme, Inc.\"".to_string(),
                2 => format!("Party {}", n % 13),
                3 => format!("\"Multi\nLine {}\"", n % 3),
                4 => "'=Formula Co".to_string(),
                _ => format!("party {}", n % 13),
            };
            let direction = if n % 5 == 0 { "out" } else { "in" };
            let (amount, invoice) = match i % 5 {
                0 => ("5.00".to_string(), String::new()),
                1 => (
                    "3.00".to_string(),
                    format!("\"N-{n:04}=1.00;N-{:04}=2.00\"", n),
                ),
                _ => ("1.50".to_string(), format!("N-{n:04}")),
            };
            let (party, direction, invoice) = if i % 5 == 1 {
                // a split to one invoice twice is refused: use a fresh party, no split
                (format!("New {}", i % 4), "in", String::new())
            } else {
                (party, direction, invoice)
            };
            s.push_str(&format!(
                "2025-03-{:02},{party},{direction},{amount},EUR,bank_transfer,\"ref,{i}\",{invoice},\"n\nx\"\n",
                1 + i % 28
            ));
            if i % 13 == 0 {
                s.push('\n');
            }
        }
        s
    }

    fn export(l: &Ledger) -> Vec<u8> {
        let mut out = Vec::new();
        let rules = StatusRules::new(time::macros::date!(2025 - 06 - 01));
        write_invoices(&mut out, l, &rules, l.invoices().iter()).unwrap();
        write_payments(&mut out, l, l.payments().iter()).unwrap();
        write_parties(&mut out, l, l.parties().iter()).unwrap();
        out
    }

    fn both_ways(
        seq: impl Fn(&[u8], &mut IdSeq) -> Result<ImportPlan, ImportError>,
        par: impl Fn(&[u8], &mut IdSeq, usize) -> Result<ImportPlan, ImportError>,
        text: &[u8],
    ) -> Result<ImportPlan, ImportError> {
        let mut ids = IdSeq::default();
        let want = seq(text, &mut ids);
        for parts in 2..=9 {
            let mut got_ids = IdSeq::default();
            let got = par(text, &mut got_ids, parts);
            assert_eq!(got, want, "{parts} parts");
            assert_eq!(got_ids, ids, "{parts} parts");
        }
        want
    }

    #[test]
    fn scan_agrees_with_the_byte_by_byte_state() {
        let texts: &[&[u8]] = &[
            b"a,b\n\"c,\"\"d\"\"\ne\"\n\",f\r\n\"\"\"x\"y,\"",
            b"\"\"\"\",\"a\"b\",c\"d,\"\n\n\"q",
            b",\",\"\r\"\n\"",
        ];
        for text in texts {
            for start in [RECORD_START, FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED] {
                for end in 0..=text.len() {
                    let bytes = &text[..end];
                    let want = bytes.iter().fold(start, |st, &b| step(st, b));
                    assert_eq!(scan(start, bytes), want, "{start} {bytes:?}");
                }
            }
        }
    }

    #[test]
    fn parts_give_the_same_plan_as_one_pass() {
        let inv = invoices_csv(400);
        let empty = Ledger::new();
        let plan = both_ways(
            |t, ids| read_invoices(t, "i.csv", &empty, ids),
            |t, ids, n| read_own_parts(t, "i.csv", &empty, ids, n, OwnRows::Invoices),
            inv.as_bytes(),
        )
        .unwrap();
        assert_eq!(plan.records, 400);
        let mut l = Ledger::new();
        l.apply(&plan.changes);
        let mut ids = plan.changes.ids.unwrap();
        let pay = payments_csv(500, 400);
        let plan_seq = read_payments(pay.as_bytes(), "p.csv", &l, &mut ids.clone()).unwrap();
        let plan_par =
            read_own_parts(pay.as_bytes(), "p.csv", &l, &mut ids, 3, OwnRows::Payments).unwrap();
        assert_eq!(plan_seq.records, 500);
        assert!(plan_seq.new_parties > 0);
        let mut a = l.clone();
        a.apply(&plan_seq.changes);
        let mut b = l.clone();
        b.apply(&plan_par.changes);
        assert_eq!(export(&a), export(&b));
        both_ways(
            |t, ids| read_payments(t, "p.csv", &l, ids),
            |t, ids, n| read_own_parts(t, "p.csv", &l, ids, n, OwnRows::Payments),
            pay.as_bytes(),
        )
        .unwrap();
    }

    /// Replaces data row `row` (0-based, counting records) of `text` by `with`.
    fn replace_row(text: &str, row: usize, with: &str) -> String {
        let mut out = String::new();
        let mut seen = 0;
        let mut skip = false;
        for l in text.split_inclusive('\n') {
            // records start with the number or the date; their other lines do not
            if l.starts_with("N-") || l.starts_with("2025-03-") {
                skip = seen == row;
                if skip {
                    out.push_str(with);
                    out.push('\n');
                }
                seen += 1;
            }
            if !skip {
                out.push_str(l);
            }
        }
        out
    }

    #[test]
    fn parts_report_the_same_first_error() {
        let empty = Ledger::new();
        let good = invoices_csv(300);
        read_invoices(good.as_bytes(), "i.csv", &empty, &mut IdSeq::default()).unwrap();
        let bad_rows: &[(usize, &str)] = &[
            (40, "N-9000,X,receivable,2025-13-01,2025-02-01,1.00,EUR,,"),
            (90, "N-0010,X,receivable,2025-01-01,2025-02-01,1.00,EUR,,"),
            (91, "N-0011,X,bogus,2025-01-01,2025-02-01,1.00,EUR,,"),
            (150, "N-9001,,receivable,2025-01-01,2025-02-01,1.00,EUR,,"),
            (200, "N-9002,X,receivable,2025-01-01"),
            (230, ",X,receivable,2025-01-01,2025-02-01,1.00,EUR,,"),
            (260, "N-9003,X,receivable,2025-01-01,2025-02-01,1.001,EUR,,"),
            (
                299,
                "N-9004,\"X,receivable,2025-01-01,2025-02-01,1.00,EUR,,",
            ),
        ];
        let mut errors = 0;
        for (i, &(r1, bad1)) in bad_rows.iter().enumerate() {
            for &(r2, bad2) in &bad_rows[i..] {
                let text = replace_row(&replace_row(&good, r2, bad2), r1, bad1);
                let e = both_ways(
                    |t, ids| read_invoices(t, "i.csv", &empty, ids),
                    |t, ids, n| read_own_parts(t, "i.csv", &empty, ids, n, OwnRows::Invoices),
                    text.as_bytes(),
                )
                .unwrap_err();
                // the earlier row's error wins
                let single = replace_row(&good, r1, bad1);
                let e1 = read_invoices(single.as_bytes(), "i.csv", &empty, &mut IdSeq::default())
                    .unwrap_err();
                assert_eq!(e, e1, "rows {r1} and {r2}");
                errors += 1;
            }
        }
        assert_eq!(errors, 36);
        // payments: an unknown invoice, a party that does not own the invoice, bad
        // amounts, and an invoice of the wrong kind
        let plan = read_invoices(good.as_bytes(), "i.csv", &empty, &mut IdSeq::default()).unwrap();
        let mut l = Ledger::new();
        l.apply(&plan.changes);
        let pay = payments_csv(300, 300);
        read_payments(pay.as_bytes(), "p.csv", &l, &mut IdSeq::default()).unwrap();
        let bad_rows: &[(usize, &str)] = &[
            (30, "2025-03-01,P,in,1.00,EUR,bank_transfer,,N-7777,"),
            (
                77,
                "2025-03-01,Someone Else,in,1.00,EUR,bank_transfer,,N-0002,",
            ),
            (120, "2025-03-01,P,in,-1.00,EUR,bank_transfer,,,"),
            (
                180,
                "2025-03-01,\"Acme, Inc.\",out,1.00,EUR,bank_transfer,,N-0001,",
            ),
            (
                250,
                "2025-03-01,P,in,1.00,EUR,bank_transfer,,\"N-0001=1.00;N-0001=1.00\",",
            ),
            (299, "2025-03-01,P,in,1.00,EUR,bank_transfer,,,\"open"),
        ];
        for (i, &(r1, bad1)) in bad_rows.iter().enumerate() {
            for &(r2, bad2) in &bad_rows[i..] {
                let text = replace_row(&replace_row(&pay, r2, bad2), r1, bad1);
                let e = both_ways(
                    |t, ids| read_payments(t, "p.csv", &l, ids),
                    |t, ids, n| read_own_parts(t, "p.csv", &l, ids, n, OwnRows::Payments),
                    text.as_bytes(),
                )
                .unwrap_err();
                let single = replace_row(&pay, r1, bad1);
                let e1 = read_payments(single.as_bytes(), "p.csv", &l, &mut IdSeq::default())
                    .unwrap_err();
                assert_eq!(e, e1, "rows {r1} and {r2}");
            }
        }
    }
}
