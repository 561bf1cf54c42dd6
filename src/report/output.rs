//! Shared output formatting for the reports: CSV and JSON records, aligned text tables,
//! and the number formats the CSV columns promise.
//!
//! Conventions, the same for every report:
//! - amounts are written with the currency's minor units and no symbol (`1234.50`, JPY
//!   `1200`), in CSV and as JSON strings;
//! - rates and averages are fixed-point (`0.6667`, `12.5`); an undefined value is an empty
//!   CSV field and `null` in JSON;
//! - text cells taken from data (party names, invoice numbers, references) are neutralised
//!   for spreadsheets in CSV ([`crate::interchange::neutralise`]) and passed through
//!   [`crate::text::sanitize`] in tables. JSON carries them exactly, with control, bidi and
//!   invisible format characters as `\uXXXX` escapes ([`crate::text::json`]).

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::ReportError;
use crate::domain::Currency;

/// An output format for a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// Aligned plain text for people.
    #[default]
    Table,
    /// CSV with a header row (the stable interface for scripts).
    Csv,
    /// A JSON array of objects with the CSV's field names.
    Json,
}

impl Format {
    /// Every format, in the order they are listed in help texts.
    pub const ALL: [Format; 3] = [Format::Table, Format::Csv, Format::Json];

    /// The word used on the command line.
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| ReportError::UnknownFormat(s.to_string()))
    }
}

/// An amount with the currency's minor units, no symbol.
pub fn amount(c: Currency, v: Decimal) -> String {
    c.format(v)
}

/// `v` rounded half away from zero to `decimals` places, always showing them.
pub fn fixed(v: Decimal, decimals: u32) -> String {
    crate::domain::format_amount(v, decimals)
}

/// Like [`fixed`]; `None` (undefined) stays `None`, written as an empty CSV field / `null`.
pub fn opt_fixed(v: Option<Decimal>, decimals: u32) -> Option<String> {
    v.map(|v| fixed(v, decimals))
}

/// `v` rounded half away from zero to `decimals` places (the value a report shows).
pub(crate) fn round(v: Decimal, decimals: u32) -> Decimal {
    v.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
}

/// A text cell for CSV: neutralised so a spreadsheet does not run it as a formula.
pub(crate) fn csv_text(s: &str) -> String {
    crate::interchange::neutralise(s).into_owned()
}

/// Writes a CSV header and records (serialised in field order) to `w`. The header is
/// written even when there are no records.
pub(crate) fn write_csv_records<W, R, I>(w: W, columns: &[&str], records: I) -> io::Result<()>
where
    W: Write,
    R: Serialize,
    I: IntoIterator<Item = R>,
{
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    out.write_record(columns)?;
    for r in records {
        out.serialize(r)?;
    }
    out.flush()
}

/// Writes records as a pretty-printed JSON array followed by a newline.
pub(crate) fn write_json_records<W, R, I>(mut w: W, records: I) -> io::Result<()>
where
    W: Write,
    R: Serialize,
    I: IntoIterator<Item = R>,
{
    let all: Vec<R> = records.into_iter().collect();
    crate::text::json::to_writer_pretty(&mut w, &all)?;
    w.write_all(b"\n")?;
    w.flush()
}

pub use crate::table::{Align, Table};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse() {
        assert_eq!("CSV".parse::<Format>().unwrap(), Format::Csv);
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn csv_header_without_rows() {
        let mut out = Vec::new();
        write_csv_records(&mut out, &["a", "b"], Vec::<(String, String)>::new()).unwrap();
        assert_eq!(out, b"a,b\n");
    }
}
