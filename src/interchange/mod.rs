//! Interchange formats: paytrack's own CSV layout ([`csv_own`]), the same records as JSON
//! ([`json`]) and the lossless line-oriented backup ([`backup`]); other systems' exports
//! read through import profiles ([`profile`], [`mapped`]), bank statements ([`camt`],
//! [`ofx`], detected by [`statement`]), all planned into payments by [`foreign`] with
//! duplicates recognised by [`fingerprint`]; and the accounting journal ([`journal`]).
//!
//! Importers never touch the store: they validate a whole file and return an [`ImportPlan`]
//! (a [`ChangeSet`] plus counts) that the store applies atomically, so an import is
//! all-or-nothing. Every error names the place: file, 1-based line, field.

use std::borrow::Cow;
use std::fmt::Write as _;

use rust_decimal::{Decimal, RoundingStrategy};
use time::Date;

use crate::domain::ChangeSet;

pub mod backup;
pub mod camt;
pub mod csv_own;
pub mod datefmt;
pub mod encoding;
pub mod fingerprint;
pub mod foreign;
pub mod journal;
pub mod json;
pub mod mapped;
pub mod number;
pub mod ofx;
pub mod profile;
mod rows;
pub mod statement;

/// Why an import was refused, naming the place.
///
/// Displays as `payments.csv:17: amount: '12,5' is not a decimal amount` (file, 1-based
/// physical line where the record starts, field when known, message).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {}{message}", field_prefix(.field))]
pub struct ImportError {
    /// The file (or stream) name given by the caller.
    pub source_name: String,
    /// 1-based physical line of the record (the header is line 1 in a CSV file).
    pub line: u64,
    /// The field (column) at fault, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

fn field_prefix(field: &Option<String>) -> String {
    match field {
        Some(f) => format!("{f}: "),
        None => String::new(),
    }
}

impl ImportError {
    /// An error at `line` of `source_name`, optionally naming a field.
    pub fn new(
        source_name: &str,
        line: u64,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        ImportError {
            source_name: source_name.to_string(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// A row at `line` with `got` fields where the header has `want`.
    pub fn wrong_width(source_name: &str, line: u64, got: usize, want: usize) -> Self {
        Self::new(
            source_name,
            line,
            None,
            format!("wrong number of fields: {got} instead of {want} (as in the header)"),
        )
    }
}

/// What an import would do: the changes to apply atomically, and counts for the user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// Parties (new or with a widened role), then the imported records, plus the id
    /// counters after them.
    pub changes: ChangeSet,
    /// Number of records (data rows) read from the file.
    pub records: usize,
    /// Number of parties the import creates.
    pub new_parties: usize,
    /// Lines of the rows left out because the store holds them already (own layouts;
    /// other systems' files report theirs in [`foreign::TransactionImport`]).
    pub duplicates: Vec<u64>,
}

/// Whether a spreadsheet would treat a cell starting with `c` as a formula.
fn is_formula_start(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// Neutralises a text cell for spreadsheets: a cell starting with `=`, `+`, `-`, `@`, tab
/// or CR gets a leading `'`, and so does one that already starts with `'`. The inverse is
/// [`unneutralise`], so any text survives export → import.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some(c) if is_formula_start(c) || c == '\'' => {
            let mut o = String::with_capacity(s.len() + 1);
            o.push('\'');
            o.push_str(s);
            Cow::Owned(o)
        }
        _ => Cow::Borrowed(s),
    }
}

/// Writes the neutralised form of `s` into `buf` (cleared first) when it needs a prefix and
/// returns the cell to write: `s` itself or `buf`. Avoids allocating per cell.
fn neutralise_into<'a>(s: &'a str, buf: &'a mut String) -> &'a str {
    match s.chars().next() {
        Some(c) if is_formula_start(c) || c == '\'' => {
            buf.clear();
            buf.push('\'');
            buf.push_str(s);
            buf.as_str()
        }
        _ => s,
    }
}

/// Strips exactly one leading `'` from a text cell (the inverse of [`neutralise`]).
pub fn unneutralise(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

/// Formats `amount` with `decimals` places into `buf` (cleared first), exactly like
/// [`crate::domain::format_amount`] but without allocating.
fn amount_into(buf: &mut String, amount: Decimal, decimals: u32) {
    let mut d = amount.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    d.rescale(decimals);
    buf.clear();
    let _ = write!(buf, "{d}");
}

/// Formats a date as `YYYY-MM-DD` into `buf` (cleared first).
fn date_into(buf: &mut String, d: Date) {
    buf.clear();
    let _ = write!(
        buf,
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    );
}

/// `YYYY-MM-DD` without surrounding blanks, parsed without the general date parser.
/// `None` for anything else, which then goes through [`crate::domain::parse_date`].
pub(crate) fn fast_date(s: &str) -> Option<time::Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |a, &c| {
            c.is_ascii_digit().then(|| a * 10 + u32::from(c - b'0'))
        })
    };
    let month = time::Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let day = u8::try_from(num(8..10)?).ok()?;
    time::Date::from_calendar_date(i32::try_from(num(0..4)?).ok()?, month, day).ok()
}

/// `text` after its XML prolog: the declaration, comments, processing instructions, a
/// document type declaration and the blanks between them, however long they are (a
/// statement is recognised by what follows).
pub(crate) fn after_xml_prolog(text: &str) -> &str {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        let end = if let Some(r) = rest.strip_prefix("<!--") {
            r.find("-->").map(|i| 4 + i + 3)
        } else if let Some(r) = rest.strip_prefix("<?") {
            r.find("?>").map(|i| 2 + i + 2)
        } else if rest.starts_with("<!") {
            rest.find('>').map(|i| i + 1)
        } else {
            return rest;
        };
        match end {
            Some(e) => rest = &rest[e..],
            None => return rest,
        }
    }
}

/// Strips a UTF-8 byte order mark from the start of `bytes`.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralise_round_trips() {
        for s in [
            "=1+1", "+x", "-3", "@SUM", "\tx", "\rx", "'q", "''", "plain", "", "a=b",
        ] {
            let n = neutralise(s);
            assert_eq!(unneutralise(&n), s);
            let mut buf = String::new();
            assert_eq!(neutralise_into(s, &mut buf), n.as_ref());
        }
        assert_eq!(neutralise("=1+1"), "'=1+1");
        assert_eq!(neutralise("'q"), "''q");
        assert_eq!(neutralise("a=b"), "a=b");
    }

    #[test]
    fn the_xml_prolog_is_skipped_whatever_its_length() {
        let long = "x".repeat(10_000);
        let text = format!(
            "\u{feff}<?xml version=\"1.0\"?>\n<!-- {long} -->\n<!DOCTYPE d>\n<?pi a?>\n<Document/>"
        );
        assert_eq!(after_xml_prolog(&text), "<Document/>");
        assert_eq!(after_xml_prolog("<!-- open"), "<!-- open");
        assert_eq!(after_xml_prolog("plain"), "plain");
    }

    #[test]
    fn error_display_names_the_place() {
        let e = ImportError::new(
            "payments.csv",
            17,
            Some("amount"),
            "'12,5' is not a decimal amount",
        );
        assert_eq!(
            e.to_string(),
            "payments.csv:17: amount: '12,5' is not a decimal amount"
        );
        let e = ImportError::new("x.csv", 1, None, "the file is empty");
        assert_eq!(e.to_string(), "x.csv:1: the file is empty");
    }

    #[test]
    fn amounts_like_the_domain() {
        let mut b = String::new();
        for (s, dp) in [
            ("1234.5", 2),
            ("1200.5", 0),
            ("0.005", 2),
            ("0", 2),
            ("7", 3),
        ] {
            let d: Decimal = s.parse().unwrap();
            amount_into(&mut b, d, dp);
            assert_eq!(b, crate::domain::format_amount(d, dp));
        }
    }
}
