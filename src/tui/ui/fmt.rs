//! Small formatting helpers for the screens.

use rust_decimal::Decimal;

use crate::domain::Currency;

/// `1234567` → `1,234,567`.
pub fn count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An amount with its currency's minor units.
pub fn money(c: Currency, d: Decimal) -> String {
    c.format(d)
}

/// `EUR 12.00, USD 3.00` for a list of per-currency amounts.
pub fn per_currency<K>(v: &[(Currency, K, Decimal)], pick: impl Fn(&K) -> bool) -> String {
    let mut acc: Vec<(Currency, Decimal)> = Vec::new();
    for (c, k, d) in v {
        if !pick(k) {
            continue;
        }
        match acc.iter_mut().find(|(x, _)| x == c) {
            Some(e) => e.1 += *d,
            None => acc.push((*c, *d)),
        }
    }
    acc.iter()
        .map(|(c, d)| format!("{c} {}", money(*c, *d)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_digits() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_000_000), "1,000,000");
    }
}
