//! Date formats written the strftime way (`%d.%m.%Y`, `%m/%d/%Y`, `%Y-%m-%d %H:%M`),
//! translated to a `time` format description and parsed with `time`'s parser.
//!
//! Supported: `%d` and `%e` (day, one or two digits), `%m` (month, one or two digits),
//! `%Y` (four-digit year), `%b` (month name, `Jan`), `%B` (`January`), `%H`, `%M`, `%S`
//! (time of day, read and ignored), `%%` (a percent sign); anything else is literal text.
//! Two-digit years (`%y`) are refused: they cannot name a century.

use std::fmt;

use time::format_description::{self, OwnedFormatItem};
use time::Date;

/// A parsed date format.
#[derive(Clone)]
pub struct DateFormat {
    text: String,
    items: OwnedFormatItem,
}

impl fmt::Debug for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DateFormat({})", self.text)
    }
}

impl PartialEq for DateFormat {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl DateFormat {
    /// Parses a strftime-like format.
    pub fn new(text: &str) -> Result<DateFormat, String> {
        let mut desc = String::with_capacity(text.len() * 4);
        let (mut day, mut month, mut year) = (false, false, false);
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                match c {
                    '[' => desc.push_str("[["),
                    _ => desc.push(c),
                }
                continue;
            }
            let item = match chars.next() {
                Some('d') | Some('e') => {
                    day = true;
                    "[day padding:none]"
                }
                Some('m') => {
                    month = true;
                    "[month padding:none]"
                }
                Some('Y') => {
                    year = true;
                    "[year repr:full sign:automatic]"
                }
                Some('b') => {
                    month = true;
                    "[month repr:short case_sensitive:false]"
                }
                Some('B') => {
                    month = true;
                    "[month repr:long case_sensitive:false]"
                }
                Some('H') => "[hour padding:none]",
                Some('M') => "[minute]",
                Some('S') => "[second]",
                Some('%') => "%",
                Some('y') => {
                    return Err(format!(
                        "date format '{text}': two-digit years (%y) are not supported, use %Y"
                    ))
                }
                Some(o) => {
                    return Err(format!(
                    "date format '{text}': unknown directive '%{o}' (use %d %m %Y %b %B %H %M %S)"
                ))
                }
                None => return Err(format!("date format '{text}' ends with a lone '%'")),
            };
            desc.push_str(item);
        }
        if !(day && month && year) {
            return Err(format!(
                "date format '{text}' needs a day (%d), a month (%m or %b) and a year (%Y)"
            ));
        }
        let items = format_description::parse_owned::<1>(&desc)
            .map_err(|e| format!("date format '{text}': {e}"))?;
        Ok(DateFormat {
            text: text.to_string(),
            items,
        })
    }

    /// The format as the user wrote it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Parses a date, surrounding blanks ignored; `None` when it does not fit.
    pub fn parse(&self, s: &str) -> Option<Date> {
        let t = s.trim();
        if t.starts_with(['+', '-']) {
            return None;
        }
        Date::parse(t, &self.items).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn common_formats() {
        let f = DateFormat::new("%d.%m.%Y").unwrap();
        assert_eq!(f.parse("03.12.2026"), Some(date!(2026 - 12 - 03)));
        assert_eq!(f.parse(" 3.1.2026 "), Some(date!(2026 - 01 - 03)));
        assert_eq!(f.parse("31.02.2026"), None);
        assert_eq!(f.parse("2026-12-03"), None);
        let f = DateFormat::new("%m/%d/%Y").unwrap();
        assert_eq!(f.parse("12/03/2026"), Some(date!(2026 - 12 - 03)));
        assert_eq!(f.parse("13/03/2026"), None);
        let f = DateFormat::new("%Y-%m-%d %H:%M").unwrap();
        assert_eq!(f.parse("2026-09-01 14:03"), Some(date!(2026 - 09 - 01)));
        assert_eq!(f.parse("2026-09-01"), None);
        let f = DateFormat::new("%d %b %Y").unwrap();
        assert_eq!(f.parse("01 feb 2026"), Some(date!(2026 - 02 - 01)));
        let f = DateFormat::new("%Y-%m-%d").unwrap();
        assert_eq!(f.parse("+2026-01-01"), None);
        assert_eq!(f.parse("2026-01-01x"), None);
        let f = DateFormat::new("[%d] %m %Y").unwrap();
        assert_eq!(f.parse("[1] 2 2026"), Some(date!(2026 - 02 - 01)));
    }

    #[test]
    fn bad_formats_say_why() {
        assert!(DateFormat::new("%d/%m/%y").unwrap_err().contains("%y"));
        assert!(DateFormat::new("%d/%q/%Y").unwrap_err().contains("'%q'"));
        assert!(DateFormat::new("%d/%m").unwrap_err().contains("year"));
        assert!(DateFormat::new("%d/%m/%Y%").unwrap_err().contains("lone"));
    }
}
