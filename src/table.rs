//! Aligned plain-text tables for people reading a terminal: list commands and reports.

use std::io::{self, Write};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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
    max_cell: Option<usize>,
}

impl Table {
    /// A table with these column headers and alignments (same length).
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            headers: columns.iter().map(|(h, _)| clean(h)).collect(),
            align: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
            max_cell: None,
        }
    }

    /// Cuts cells wider than `width` columns with an ellipsis (for free-text columns).
    pub fn max_cell_width(mut self, width: usize) -> Self {
        self.max_cell = Some(width.max(2));
        self
    }

    /// Appends a row; missing cells are blank, extra cells are dropped.
    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut r: Vec<String> = cells
            .into_iter()
            .take(self.headers.len())
            .map(|c| fit(&clean(c.as_ref()), self.max_cell))
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

/// Cuts `s` to `max` columns, ending with an ellipsis when it was longer.
fn fit(s: &str, max: Option<usize>) -> String {
    let Some(max) = max else {
        return s.to_string();
    };
    if s.width() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
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
    fn long_cells_are_cut() {
        let mut t = Table::new(&[("notes", Align::Left)]).max_cell_width(6);
        t.row(["abcdefghij"]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "notes\n------\nabcde…\n");
    }
}
