//! Amounts as other systems write them: a sign in front, behind or as parentheses, a
//! decimal point or comma, thousands separators in groups of three, a currency sign.

use rust_decimal::Decimal;

/// How amounts are written in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberFormat {
    /// The decimal separator, `.` or `,`.
    pub decimal: char,
    /// The thousands separator, when the file uses one (`,`, `.`, `'`, ` `).
    pub thousands: Option<char>,
}

impl Default for NumberFormat {
    fn default() -> Self {
        NumberFormat {
            decimal: '.',
            thousands: None,
        }
    }
}

impl NumberFormat {
    /// `1234.56` or, with `thousands`, `1,234.56`.
    pub fn point(thousands: Option<char>) -> Self {
        NumberFormat {
            decimal: '.',
            thousands,
        }
    }

    /// `1234,56` and `1.234,56`.
    pub fn comma() -> Self {
        NumberFormat {
            decimal: ',',
            thousands: Some('.'),
        }
    }

    /// An example for messages.
    pub fn example(&self) -> String {
        match self.thousands {
            Some(t) => format!("-1{t}234{}56", self.decimal),
            None => format!("-1234{}56", self.decimal),
        }
    }

    /// Parses a signed amount. `Ok(None)` for an empty cell.
    pub fn parse(&self, s: &str) -> Result<Option<Decimal>, String> {
        let bad = || {
            format!(
                "'{}' is not an amount (expected like {})",
                s.trim(),
                self.example()
            )
        };
        let mut t = s.trim_matches(|c: char| c.is_whitespace());
        if t.is_empty() {
            return Ok(None);
        }
        let mut negative = false;
        if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            negative = true;
            t = inner.trim();
        }
        let strip_sign = |t: &mut &str, neg: &mut bool| {
            if let Some(r) = t.strip_prefix(['-', '\u{2212}']) {
                *neg = !*neg;
                *t = r.trim_start();
            } else if let Some(r) = t.strip_prefix('+') {
                *t = r.trim_start();
            }
        };
        strip_sign(&mut t, &mut negative);
        // a currency sign before or after the number
        let symbols = ['€', '$', '£', '¥'];
        t = t.trim_start_matches(symbols).trim_start();
        t = t.trim_end_matches(symbols).trim_end();
        strip_sign(&mut t, &mut negative);
        if let Some(r) = t.strip_suffix('-') {
            negative = !negative;
            t = r.trim_end();
        }
        if t.is_empty() || t.len() > 40 {
            return Err(bad());
        }
        let (int, frac) = match t.rsplit_once(self.decimal) {
            Some((i, f)) => (i, Some(f)),
            None => (t, None),
        };
        let mut digits = String::with_capacity(t.len());
        match self.thousands {
            Some(sep) if int.contains(sep) => {
                let mut groups = int.split(sep);
                let first = groups.next().unwrap_or("");
                if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(bad());
                }
                digits.push_str(first);
                for g in groups {
                    if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(bad());
                    }
                    digits.push_str(g);
                }
            }
            _ => {
                if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                digits.push_str(int);
            }
        }
        if let Some(f) = frac {
            if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            digits.push('.');
            digits.push_str(f);
        }
        let d: Decimal = digits.parse().map_err(|_| bad())?;
        Ok(Some(if negative { -d } else { d }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<Decimal> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn point_and_comma() {
        let p = NumberFormat::point(Some(','));
        assert_eq!(p.parse("1,234.56"), Ok(d("1234.56")));
        assert_eq!(p.parse("-1,234.56"), Ok(d("-1234.56")));
        assert_eq!(p.parse("(12.00)"), Ok(d("-12.00")));
        assert_eq!(p.parse("12.00-"), Ok(d("-12.00")));
        assert_eq!(p.parse("$ 5"), Ok(d("5")));
        assert_eq!(p.parse("-€5.10"), Ok(d("-5.10")));
        assert_eq!(p.parse("  "), Ok(None));
        assert!(
            p.parse("12,5").is_err(),
            "a lone comma group is not thousands"
        );
        assert!(p.parse("1,2345.00").is_err());
        assert!(p.parse("1.2.3").is_err());
        assert!(p.parse("abc").is_err());
        assert!(p.parse("-").is_err());
        let c = NumberFormat::comma();
        assert_eq!(c.parse("1.234,56"), Ok(d("1234.56")));
        assert_eq!(c.parse("-12,5"), Ok(d("-12.5")));
        assert_eq!(c.parse("12,50 €"), Ok(d("12.50")));
        assert!(c.parse("12.5").is_err());
        let e = NumberFormat::point(None).parse("12,5").unwrap_err();
        assert_eq!(e, "'12,5' is not an amount (expected like -1234.56)");
    }
}
