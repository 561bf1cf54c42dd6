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
//!   [`crate::text::sanitize`] in tables. JSON carries them verbatim (escaped by JSON).

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

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
    serde_json::to_writer_pretty(&mut w, &all)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// How a table column is aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text: padded on the right.
    Left,
    /// Numbers: padded on the left.
    Right,
}

/// An aligned plain-text table: a header, a rule, then rows. Every cell goes through
/// [`crate::text::sanitize`], so data cannot smuggle terminal escapes through it.
#[derive(Clone, Debug)]
pub struct Table {
    headers: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers and alignments (same length).
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            headers: columns.iter().map(|(h, _)| clean(h)).collect(),
            align: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; missing cells are blank, extra cells are dropped.
    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut r: Vec<String> = cells
            .into_iter()
            .take(self.headers.len())
            .map(|c| clean(c.as_ref()))
            .collect();
        r.resize(self.headers.len(), String::new());
        self.rows.push(r);
    }

    /// Number of rows added.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no rows were added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the table; lines carry no trailing spaces.
    pub fn write<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for r in &self.rows {
            for (wd, c) in widths.iter_mut().zip(r) {
                *wd = (*wd).max(c.width());
            }
        }
        let mut line = String::new();
        let mut emit = |w: &mut W, cells: &[String]| -> io::Result<()> {
            line.clear();
            for (i, c) in cells.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = widths[i].saturating_sub(c.width());
                match self.align[i] {
                    Align::Left => {
                        line.push_str(c);
                        line.extend(std::iter::repeat_n(' ', pad));
                    }
                    Align::Right => {
                        line.extend(std::iter::repeat_n(' ', pad));
                        line.push_str(c);
                    }
                }
            }
            writeln!(w, "{}", line.trim_end())
        };
        emit(w, &self.headers)?;
        let rule: Vec<String> = widths.iter().map(|n| "-".repeat(*n)).collect();
        emit(w, &rule)?;
        for r in &self.rows {
            emit(w, r)?;
        }
        Ok(())
    }
}

/// A cell's text made safe for a terminal and kept on one line.
fn clean(s: &str) -> String {
    crate::text::sanitize(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_and_sanitises() {
        let mut t = Table::new(&[("party", Align::Left), ("amount", Align::Right)]);
        t.row(["Müller GmbH", "1.00"]);
        t.row(["evil\u{1b}[2J", "1234.50"]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s,
            "party         amount\n\
             -----------  -------\n\
             Müller GmbH     1.00\n\
             evil\u{241b}[2J     1234.50\n"
        );
    }

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
