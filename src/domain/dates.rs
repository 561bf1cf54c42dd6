//! Date parsing and formatting for interchange and user input.

use time::macros::format_description;
use time::{Date, Duration};

use super::DomainError;

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
    format!("{y:04}-{m:02}-{day:02}")
}

/// Parses a strict `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Result<Date, DomainError> {
    let t = s.trim();
    let fmt = format_description!("[year]-[month]-[day]");
    if t.len() != 10 {
        return Err(DomainError::InvalidDate(s.to_string()));
    }
    Date::parse(t, &fmt).map_err(|_| DomainError::InvalidDate(s.to_string()))
}

/// Parses user date input: `YYYY-MM-DD`, `today`, `yesterday`, `tomorrow`, `-3d`, `+30d`, `+2w`.
pub fn parse_relative_date(s: &str, today: Date) -> Result<Date, DomainError> {
    let t = s.trim().to_ascii_lowercase();
    match t.as_str() {
        "today" => return Ok(today),
        "yesterday" => return Ok(today - Duration::days(1)),
        "tomorrow" => return Ok(today + Duration::days(1)),
        _ => {}
    }
    if let Some(first) = t.chars().next() {
        if first == '+' || first == '-' {
            let unit = t.chars().last().unwrap_or('d');
            let (num, mult) = match unit {
                'd' => (&t[1..t.len() - 1], 1),
                'w' => (&t[1..t.len() - 1], 7),
                c if c.is_ascii_digit() => (&t[1..], 1),
                _ => return Err(DomainError::InvalidDate(s.to_string())),
            };
            if num.is_empty() || num.len() > 6 || !num.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DomainError::InvalidDate(s.to_string()));
            }
            let n: i64 = num
                .parse()
                .map_err(|_| DomainError::InvalidDate(s.to_string()))?;
            let delta = Duration::days(n * mult);
            let r = if first == '+' {
                today.checked_add(delta)
            } else {
                today.checked_sub(delta)
            };
            return r.ok_or_else(|| DomainError::InvalidDate(s.to_string()));
        }
    }
    parse_date(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn round_trips() {
        let d = date!(2025 - 03 - 07);
        assert_eq!(format_date(d), "2025-03-07");
        assert_eq!(parse_date("2025-03-07").unwrap(), d);
        assert!(parse_date("2025-3-7").is_err());
        assert!(parse_date("2025-02-30").is_err());
        assert!(parse_date("07.03.2025").is_err());
    }

    #[test]
    fn relative() {
        let t = date!(2025 - 03 - 07);
        assert_eq!(parse_relative_date("today", t).unwrap(), t);
        assert_eq!(
            parse_relative_date("-3d", t).unwrap(),
            date!(2025 - 03 - 04)
        );
        assert_eq!(
            parse_relative_date("+30d", t).unwrap(),
            date!(2025 - 04 - 06)
        );
        assert_eq!(
            parse_relative_date("+1w", t).unwrap(),
            date!(2025 - 03 - 14)
        );
        assert!(parse_relative_date("+xd", t).is_err());
        assert!(parse_relative_date("soon", t).is_err());
        for bad in ["+-5d", "+-1000000000000000d", "+1000000d", "-d", "+"] {
            assert!(parse_relative_date(bad, t).is_err(), "{bad}");
        }
    }
}
