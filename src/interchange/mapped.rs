//! The generic reader of other systems' CSV files: a [`Profile`] (shipped, the user's,
//! or made from `--map`) says which columns hold what, and how dates and amounts are
//! written. See [`super::profile`] for the profile format and [`super::foreign`] for what
//! becomes of the transactions.
//!
//! Per row, in this order: the profile's rules (skip, or set direction, party, method);
//! the date; the amount (signed, or debit/credit) and its direction: a rule's direction,
//! else the direction column, else the sign (negative amounts under a rule or direction
//! column reverse it: a negative income is money out); a zero amount is skipped. A fee
//! becomes a payment of its own to the profile's fee party; a refunded amount an outgoing
//! payment to the same party. When the source has a transaction id it is the reference
//! (the fee's is `ID:fee`, the refund's `ID:refund`) and the file's reference goes into
//! the notes.
//!
//! Errors name the place: `bank.csv:7: date: '31/02/2026' is not a date (expected
//! %d/%m/%Y)`. Header problems stop the import at once; a bad row is recorded and the
//! other rows are still read, so that a preview lists every bad row.

use csv::StringRecord;

use super::datefmt::DateFormat;
use super::encoding;
use super::foreign::{Extract, Skipped, Transaction};
use super::profile::{Field, Origin, Profile};
use super::ImportError;
use crate::domain::{Currency, Direction, Method};

/// Column positions of a header row, per field.
struct Layout {
    /// First present column per field (party: every present one; notes too).
    cols: [Vec<usize>; 14],
    /// Column of each rule, when the header has it.
    rule_cols: Vec<Option<usize>>,
    width: usize,
}

fn field_idx(f: Field) -> usize {
    Field::ALL.iter().position(|x| *x == f).unwrap_or(0)
}

fn find(header: &[String], name: &str) -> Option<usize> {
    header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
}

fn quoted_list(names: &[String]) -> String {
    match names {
        [one] => format!("'{one}'"),
        _ => {
            let parts: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            parts.join(" or ")
        }
    }
}

fn header_summary(header: &[String]) -> String {
    const SHOW: usize = 12;
    let mut s: Vec<&str> = header.iter().take(SHOW).map(|h| h.trim()).collect();
    if header.len() > SHOW {
        s.push("...");
    }
    s.join(", ")
}

impl Layout {
    fn new(
        profile: &Profile,
        header: &[String],
        source: &str,
        line: u64,
    ) -> Result<Layout, ImportError> {
        let mut cols: [Vec<usize>; 14] = Default::default();
        for f in Field::ALL {
            let names = profile.columns(f);
            let present: Vec<usize> = names.iter().filter_map(|n| find(header, n)).collect();
            cols[field_idx(f)] = match f {
                Field::Party | Field::Notes => {
                    let mut v = present;
                    v.dedup();
                    v
                }
                _ => present.into_iter().take(1).collect(),
            };
            let required = match f {
                Field::Date => true,
                Field::Amount => !names.is_empty(),
                Field::Debit | Field::Credit => !names.is_empty(),
                Field::Party => profile.party_fallback.is_none(),
                // a column named on the command line must be there
                _ => profile.mapped.contains(&f) && !names.is_empty(),
            };
            if required && cols[field_idx(f)].is_empty() {
                let why = if profile.mapped.contains(&f) || profile.origin == Origin::CommandLine {
                    match names {
                        [] => format!("--map {}=COLUMN is needed", f.as_str()),
                        _ => format!(
                            "--map {}={}",
                            f.as_str(),
                            names.last().map(String::as_str).unwrap_or("")
                        ),
                    }
                } else {
                    format!("the profile '{}' needs it", profile.name)
                };
                let what = if names.is_empty() {
                    format!("no {} column", f.as_str())
                } else {
                    format!("no column {}", quoted_list(names))
                };
                return Err(ImportError::new(
                    source,
                    line,
                    None,
                    format!(
                        "{what} ({why}); the header row has: {}",
                        header_summary(header)
                    ),
                ));
            }
        }
        let rule_cols = profile
            .rules
            .iter()
            .map(|r| find(header, &r.column))
            .collect();
        Ok(Layout {
            cols,
            rule_cols,
            width: header.len(),
        })
    }

    fn col(&self, f: Field) -> Option<usize> {
        self.cols[field_idx(f)].first().copied()
    }

    fn all(&self, f: Field) -> &[usize] {
        &self.cols[field_idx(f)]
    }
}

/// A text cell without the `'` that spreadsheet-injection guards put before `= + - @`.
fn text(rec: &StringRecord, i: Option<usize>) -> &str {
    let s = i.and_then(|i| rec.get(i)).unwrap_or("").trim();
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => s,
    }
}

/// Words a direction column uses.
fn direction_word(s: &str) -> Option<Direction> {
    let w = s.trim().to_lowercase();
    const IN: &[&str] = &[
        "in",
        "credit",
        "cr",
        "crdt",
        "c",
        "h",
        "haben",
        "+",
        "incoming",
        "income",
        "received",
        "deposit",
        "gutschrift",
    ];
    const OUT: &[&str] = &[
        "out",
        "debit",
        "dr",
        "dbit",
        "d",
        "s",
        "soll",
        "-",
        "outgoing",
        "expense",
        "sent",
        "withdrawal",
        "lastschrift",
        "belastung",
    ];
    if IN.contains(&w.as_str()) {
        Some(Direction::In)
    } else if OUT.contains(&w.as_str()) {
        Some(Direction::Out)
    } else {
        None
    }
}

/// A payment method from words like "Credit Card", "offline-payments.cash.1", "SEPA".
pub(crate) fn method_words(s: &str) -> Option<Method> {
    if let Ok(m) = s.parse::<Method>() {
        return Some(m);
    }
    let w = s.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|x| w.contains(x));
    if has(&["paypal"]) {
        Some(Method::Paypal)
    } else if has(&["direct debit", "direct_debit", "sepa", "lastschrift"]) {
        Some(Method::DirectDebit)
    } else if has(&["card", "visa", "mastercard", "amex", "credit", "karte"]) {
        Some(Method::Card)
    } else if has(&["cash", "bargeld"]) {
        Some(Method::Cash)
    } else if has(&["check", "cheque", "scheck"]) {
        Some(Method::Check)
    } else if has(&["bank", "transfer", "wire", "ach", "überweisung"]) {
        Some(Method::BankTransfer)
    } else {
        None
    }
}

/// The byte offset after `n` lines of `text`, or `None` when it has fewer lines.
fn after_lines(text: &str, n: usize) -> Option<usize> {
    let mut at = 0;
    for _ in 0..n {
        at += text[at..].find('\n')? + 1;
    }
    Some(at)
}

/// Where a record ended inside an open quoted field, if it did: the csv crate takes the
/// rest of the file as the field. Scans the last record only.
fn ends_in_open_quote(rest: &str, delimiter: u8) -> bool {
    let mut in_quotes = false;
    let mut field_start = true;
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_quotes {
            if c == b'"' {
                if b.get(i + 1) == Some(&b'"') {
                    i += 2;
                    continue;
                }
                in_quotes = false;
            }
        } else if c == b'"' && field_start {
            in_quotes = true;
        } else if c == delimiter || c == b'\n' || c == b'\r' {
            field_start = true;
            i += 1;
            continue;
        }
        field_start = false;
        i += 1;
    }
    in_quotes
}

/// Reads the header row of `text` the way `profile` would.
pub fn header_of(text: &str, delimiter: u8, skip_lines: usize) -> Option<Vec<String>> {
    let at = after_lines(text, skip_lines)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(&text.as_bytes()[at..]);
    let mut rec = StringRecord::new();
    match rdr.read_record(&mut rec) {
        Ok(true) => Some(rec.iter().map(|s| s.trim().to_string()).collect()),
        _ => None,
    }
}

/// Picks the profile whose layout fits the file's header row best (`--profile auto`),
/// from the first [`encoding::HEAD`] bytes of the file. Returns `None` when none fits.
pub fn detect<'p>(bytes: &[u8], profiles: &'p [Profile]) -> Option<&'p Profile> {
    let head = encoding::head(bytes, encoding::HEAD);
    let (text, _) = encoding::decode(head, encoding::Encoding::Auto, "").ok()?;
    let mut best: Option<(usize, &Profile)> = None;
    for p in profiles {
        let Some(header) = header_of(&text, p.delimiter, p.skip_lines) else {
            continue;
        };
        if let Some(score) = p.fit(&header) {
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, p));
            }
        }
    }
    best.map(|(_, p)| p)
}

/// Reads a CSV file with `profile`. `currency` (from `--currency`) is the currency of
/// rows without a currency cell, before the profile's own and EUR.
pub fn read(
    bytes: &[u8],
    source: &str,
    profile: &Profile,
    currency: Option<Currency>,
) -> Result<Extract, ImportError> {
    let (text, _enc) = encoding::decode(bytes, profile.encoding, source)?;
    let text: &str = &text;
    let skip = profile.skip_lines;
    let Some(start) = after_lines(text, skip) else {
        return Err(ImportError::new(
            source,
            1,
            None,
            format!("the file has fewer than {skip} lines to skip before the header row"),
        ));
    };
    let body = &text[start..];
    let base_line = skip as u64 + 1;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(profile.delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(body.as_bytes());
    let mut counter = LineCounter {
        body: body.as_bytes(),
        at: 0,
        line: base_line,
    };
    let mut rec = StringRecord::new();
    let got = rdr
        .read_record(&mut rec)
        .map_err(|e| csv_err(source, base_line, e))?;
    let header_line = counter.line_at(rec.position().map_or(0, |p| p.byte() as usize));
    if !got || rec.iter().all(|c| c.trim().is_empty()) {
        return Err(ImportError::new(
            source,
            header_line,
            None,
            encoding::EMPTY_FILE,
        ));
    }
    let header: Vec<String> = rec.iter().map(|s| s.trim().to_string()).collect();
    let layout = Layout::new(profile, &header, source, header_line)?;
    let default_currency = currency.or(profile.currency).unwrap_or(Currency::EUR);
    let mut out = Extract {
        format: format!("profile {}", profile.name),
        ..Extract::default()
    };
    let dates = choose_date_format(profile, &layout, body);
    if let Some(n) = dates.note(profile) {
        out.notes.push(n);
    }
    let dates = Dates {
        format: &profile.date_formats[dates.chosen],
        others: &profile.date_formats,
    };
    let mut last_start = 0usize;
    let mut last_line = header_line;
    loop {
        let got = rdr.read_record(&mut rec);
        let byte = rec.position().map_or(last_start, |p| p.byte() as usize);
        let line = counter.line_at(byte);
        let more = got.map_err(|e| csv_err(source, line, e))?;
        if !more {
            break;
        }
        last_start = byte;
        last_line = line;
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        out.rows += 1;
        if rec.len() != layout.width {
            out.error(ImportError::wrong_width(
                source,
                line,
                rec.len(),
                layout.width,
            ));
            continue;
        }
        match row(profile, &layout, &rec, line, default_currency, &dates) {
            Ok(Row::Skip(reason)) => out.skipped.push(Skipped { line, reason }),
            Ok(Row::Take(ts)) => out.transactions.extend(ts),
            Err((field, msg)) => out.error(ImportError::new(source, line, field, msg)),
        }
    }
    if ends_in_open_quote(&body[last_start.min(body.len())..], profile.delimiter) {
        return Err(ImportError::new(
            source,
            last_line,
            None,
            "unclosed quote: a quoted field starting in this record runs to the end of the file",
        ));
    }
    Ok(out)
}

/// Which of a profile's date formats a file is read with, and what the others made of
/// its dates.
struct DateChoice {
    /// Index of the format used for every row.
    chosen: usize,
    /// Other formats that read every date too, as other days.
    also: Vec<usize>,
}

impl DateChoice {
    /// What the preview says about the choice: nothing when the profile's first format
    /// read the dates and no other reads them as other days.
    fn note(&self, p: &Profile) -> Option<String> {
        if p.date_formats.len() < 2 || (self.chosen == 0 && self.also.is_empty()) {
            return None;
        }
        let chosen = &p.date_formats[self.chosen];
        let mut n = format!("dates read as {chosen}");
        if !self.also.is_empty() {
            let also: Vec<&str> = self
                .also
                .iter()
                .map(|&i| p.date_formats[i].as_str())
                .collect();
            n.push_str(&format!(
                "; every one of them also reads as {} (other days): if that is meant, give \
                 that date format (--date-format, or a profile of your own)",
                also.join(" or ")
            ));
        }
        Some(n)
    }
}

/// Picks the date format of a file among the profile's: the first that reads every date
/// that any of them reads, else the one that reads the most (the rows it cannot read are
/// then errors). Rows of the wrong width and empty dates are left to the main pass.
fn choose_date_format(p: &Profile, l: &Layout, body: &str) -> DateChoice {
    let n = p.date_formats.len();
    if n < 2 {
        return DateChoice {
            chosen: 0,
            also: Vec::new(),
        };
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(p.delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut readable = 0usize;
    let mut fits = vec![0usize; n];
    // differ[i][j]: a date that formats i and j both read, as different days
    let mut differ = vec![vec![false; n]; n];
    let mut rec = StringRecord::new();
    while let Ok(true) = rdr.read_record(&mut rec) {
        if rec.len() != l.width {
            continue;
        }
        let cell = text(&rec, l.col(Field::Date));
        if cell.is_empty() {
            continue;
        }
        let read: Vec<Option<time::Date>> = p.date_formats.iter().map(|f| f.parse(cell)).collect();
        if read.iter().all(Option::is_none) {
            continue;
        }
        readable += 1;
        for (i, a) in read.iter().enumerate() {
            let Some(a) = a else { continue };
            fits[i] += 1;
            for (j, b) in read.iter().enumerate() {
                if b.is_some_and(|b| b != *a) {
                    differ[i][j] = true;
                }
            }
        }
    }
    let chosen = fits.iter().position(|&f| f == readable).unwrap_or_else(|| {
        // the first of the formats reading the most
        let most = fits.iter().copied().max().unwrap_or(0);
        fits.iter().position(|&f| f == most).unwrap_or(0)
    });
    let also = (0..n)
        .filter(|&j| j != chosen && readable > 0 && fits[j] == readable && differ[chosen][j])
        .collect();
    DateChoice { chosen, also }
}

/// The date format a file is read with, and the profile's others (for messages).
struct Dates<'p> {
    format: &'p DateFormat,
    others: &'p [DateFormat],
}

impl Dates<'_> {
    fn parse(&self, cell: &str) -> Result<time::Date, RowError> {
        self.format.parse(cell).ok_or_else(|| {
            let fits_another = self.others.iter().any(|f| f.parse(cell).is_some());
            err(
                "date",
                if fits_another {
                    format!(
                        "'{cell}' is not a date as the file's other dates are written ({})",
                        self.format
                    )
                } else {
                    format!("'{cell}' is not a date (expected {})", self.format)
                },
            )
        })
    }
}

/// Counts physical lines up to record starts (the csv crate's own count skips blank lines).
struct LineCounter<'a> {
    body: &'a [u8],
    at: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, mut byte: usize) -> u64 {
        byte = byte.min(self.body.len());
        // a record's position may lie before the blank lines the reader skipped
        while byte < self.body.len() && matches!(self.body[byte], b'\n' | b'\r') {
            byte += 1;
        }
        if byte > self.at {
            self.line += self.body[self.at..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.at = byte;
        }
        self.line
    }
}

fn csv_err(source: &str, line: u64, e: csv::Error) -> ImportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => {
            ImportError::new(source, line, None, format!("cannot read: {io}"))
        }
        csv::ErrorKind::Utf8 { .. } => ImportError::new(source, line, None, "not valid UTF-8 text"),
        other => ImportError::new(source, line, None, format!("{other:?}")),
    }
}

enum Row {
    Skip(String),
    Take(Vec<Transaction>),
}

type RowError = (Option<&'static str>, String);

fn err(field: &'static str, msg: impl Into<String>) -> RowError {
    (Some(field), msg.into())
}

fn row(
    p: &Profile,
    l: &Layout,
    rec: &StringRecord,
    line: u64,
    default_currency: Currency,
    dates: &Dates<'_>,
) -> Result<Row, RowError> {
    let mut rule_dir = None;
    let mut rule_party: Option<&str> = None;
    let mut rule_method = None;
    for (r, col) in p.rules.iter().zip(&l.rule_cols) {
        let Some(c) = *col else { continue };
        let v = text(rec, Some(c));
        if r.matches(v) {
            if r.skip {
                return Ok(Row::Skip(format!("{} is '{}'", r.column, v)));
            }
            rule_dir = r.direction.or(rule_dir);
            rule_party = r.party.as_deref().or(rule_party);
            rule_method = r.method.or(rule_method);
        }
    }
    let date_cell = text(rec, l.col(Field::Date));
    if date_cell.is_empty() {
        return Err(err("date", "the date is empty"));
    }
    let date = dates.parse(date_cell)?;
    let num = |f: Field, name: &'static str| -> Result<Option<rust_decimal::Decimal>, RowError> {
        p.number
            .parse(text(rec, l.col(f)))
            .map_err(|m| err(name, m))
    };
    // the signed amount, positive = the profile's "in" unless a rule or column says more
    let (signed, fixed_dir) = if l.col(Field::Amount).is_some() {
        let a =
            num(Field::Amount, "amount")?.ok_or_else(|| err("amount", "the amount is empty"))?;
        (a, None)
    } else {
        let d = num(Field::Debit, "debit")?.map(|d| d.abs());
        let c = num(Field::Credit, "credit")?.map(|c| c.abs());
        let nz = |x: Option<rust_decimal::Decimal>| x.filter(|v| !v.is_zero());
        match (nz(d), nz(c)) {
            (Some(d), None) => (d, Some(Direction::Out)),
            (None, Some(c)) => (c, Some(Direction::In)),
            (Some(_), Some(_)) => return Err(err("credit", "both debit and credit are filled")),
            (None, None) if d.is_none() && c.is_none() => {
                return Err(err("debit", "neither debit nor credit is filled"))
            }
            (None, None) => return Ok(Row::Skip("zero amount".into())),
        }
    };
    if signed.is_zero() {
        return Ok(Row::Skip("zero amount".into()));
    }
    let column_dir = match l.col(Field::Direction) {
        Some(c) if rule_dir.is_none() => {
            let v = text(rec, Some(c));
            Some(direction_word(v).ok_or_else(|| {
                err(
                    "direction",
                    format!("'{v}' says neither in nor out (expected in/out, credit/debit, CRDT/DBIT, H/S, +/-)"),
                )
            })?)
        }
        _ => None,
    };
    let flip = |d: Direction| match d {
        Direction::In => Direction::Out,
        Direction::Out => Direction::In,
    };
    let negative = signed.is_sign_negative();
    let direction = match (rule_dir.or(column_dir), fixed_dir) {
        (Some(d), _) => {
            if negative {
                flip(d)
            } else {
                d
            }
        }
        (None, Some(d)) => d,
        (None, None) => {
            if negative == p.in_positive {
                Direction::Out
            } else {
                Direction::In
            }
        }
    };
    let amount = signed.abs();
    let cur_cell = text(rec, l.col(Field::Currency));
    let currency = if cur_cell.is_empty() {
        default_currency
    } else {
        cur_cell
            .parse::<Currency>()
            .map_err(|_| err("currency", format!("'{cur_cell}' is not a currency code")))?
    };
    let (party, party_assumed) = match rule_party {
        Some(pt) => (pt.to_string(), false),
        None => match l
            .all(Field::Party)
            .iter()
            .map(|&c| text(rec, Some(c)))
            .find(|s| !s.is_empty())
        {
            Some(s) => (s.to_string(), false),
            None => match &p.party_fallback {
                Some(f) => (f.clone(), true),
                None => return Err(err("party", "the party is empty")),
            },
        },
    };
    let id = text(rec, l.col(Field::Id));
    let file_ref = text(rec, l.col(Field::Reference));
    let mut notes: Vec<&str> = l
        .all(Field::Notes)
        .iter()
        .map(|&c| text(rec, Some(c)))
        .filter(|s| !s.is_empty())
        .collect();
    let reference_note;
    let (reference, source_id) = if id.is_empty() {
        (file_ref.to_string(), false)
    } else {
        if !file_ref.is_empty() && file_ref != id {
            reference_note = format!("ref {file_ref}");
            notes.insert(0, &reference_note);
        }
        (id.to_string(), true)
    };
    let notes = notes.join(" | ");
    let method = rule_method
        .or_else(|| {
            l.col(Field::Method)
                .map(|c| text(rec, Some(c)))
                .filter(|s| !s.is_empty())
                .and_then(method_words)
        })
        .unwrap_or(p.method);
    let invoice_hint = text(rec, l.col(Field::Invoice)).to_string();
    let mut out = Vec::with_capacity(1);
    let fee = num(Field::Fee, "fee")?.filter(|f| !f.is_zero());
    let refunded = num(Field::Refunded, "refunded")?.filter(|r| !r.is_zero());
    let main = Transaction {
        line,
        date,
        direction,
        amount,
        currency,
        party,
        party_assumed,
        reference,
        source_id,
        notes,
        invoice_hint,
        method,
        fee: false,
    };
    let suffixed = |suffix: &str| {
        if main.source_id {
            format!("{}:{suffix}", main.reference)
        } else {
            String::new()
        }
    };
    let what = if main.source_id {
        main.reference.clone()
    } else {
        format!("line {line}")
    };
    if let Some(f) = fee {
        // cost: > 0 is a fee we paid; signed: < 0 is a fee we paid
        let paid = if p.fee_is_cost {
            f > rust_decimal::Decimal::ZERO
        } else {
            f < rust_decimal::Decimal::ZERO
        };
        out.push(Transaction {
            direction: if paid { Direction::Out } else { Direction::In },
            amount: f.abs(),
            party: p.fee_party.clone(),
            party_assumed: false,
            reference: suffixed("fee"),
            notes: if paid {
                format!("fee for {what}")
            } else {
                format!("fee returned for {what}")
            },
            invoice_hint: String::new(),
            fee: true,
            ..main.clone()
        });
    }
    if let Some(r) = refunded {
        out.push(Transaction {
            direction: flip(main.direction),
            amount: r.abs(),
            reference: suffixed("refund"),
            notes: format!("refund of {what}"),
            invoice_hint: String::new(),
            ..main.clone()
        });
    }
    out.insert(0, main);
    Ok(Row::Take(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_quotes_and_skipped_lines() {
        assert!(ends_in_open_quote("a,\"b,\nc", b','));
        assert!(!ends_in_open_quote("a,\"b\"\"x\",c\n", b','));
        assert!(
            !ends_in_open_quote("a,b\"c,d\n", b','),
            "a quote inside a plain field"
        );
        assert_eq!(after_lines("a\nb\nc", 2), Some(4));
        assert_eq!(after_lines("a\nb", 3), None);
    }

    #[test]
    fn words_for_direction_and_method() {
        assert_eq!(direction_word(" CRDT "), Some(Direction::In));
        assert_eq!(direction_word("S"), Some(Direction::Out));
        assert_eq!(direction_word("maybe"), None);
        assert_eq!(method_words("offline-payments.cash.1"), Some(Method::Cash));
        assert_eq!(method_words("Credit Card"), Some(Method::Card));
        assert_eq!(method_words("Bank Transfer"), Some(Method::BankTransfer));
        assert_eq!(method_words("PayPal"), Some(Method::Paypal));
        assert_eq!(method_words("SEPA Lastschrift"), Some(Method::DirectDebit));
        assert_eq!(method_words("bank_transfer"), Some(Method::BankTransfer));
        assert_eq!(method_words("Bargeld"), Some(Method::Cash));
        assert_eq!(method_words("barter"), None);
    }
}
