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
    per_currency_items(v, pick).join(", ")
}

/// An amount that fits in `w` columns: in full when it fits, else abbreviated with a
/// clear suffix (`1.34M`), never cut (a cut number would read as a different amount).
pub fn fit_amount(c: Currency, d: Decimal, w: usize) -> String {
    let full = money(c, d);
    if full.chars().count() <= w {
        return full;
    }
    compact(d, w)
}

/// `d` abbreviated to at most `w` characters with k/M/G/T; `#` filler when even that
/// does not fit.
pub fn compact(d: Decimal, w: usize) -> String {
    for (exp, suffix) in [(3u32, "k"), (6, "M"), (9, "G"), (12, "T"), (15, "P")] {
        let v = d / Decimal::from(10u64.pow(exp));
        for dp in [2u32, 1, 0] {
            let s = format!("{}{suffix}", crate::domain::format_amount(v, dp));
            if s.chars().count() <= w {
                return s;
            }
        }
    }
    "#".repeat(w)
}

/// Items joined with `, ` up to `w` columns; what does not fit becomes `+N` (never a
/// number cut in the middle).
pub fn fit_list(items: &[String], w: usize) -> String {
    let mut out = String::new();
    for (i, it) in items.iter().enumerate() {
        let sep = if out.is_empty() { "" } else { ", " };
        let rest = items.len() - i;
        let candidate = format!("{out}{sep}{it}");
        let tail = if rest > 1 {
            format!(", +{}", rest - 1)
        } else {
            String::new()
        };
        if candidate.chars().count() + tail.chars().count() <= w
            || (rest == 1 && candidate.chars().count() <= w)
        {
            out = candidate;
            continue;
        }
        let more = format!("{sep}+{rest}");
        if out.chars().count() + more.chars().count() <= w {
            out.push_str(&more);
        } else if out.is_empty() {
            out = format!("+{rest}");
        }
        return out;
    }
    out
}

/// Per-currency amounts in `w` columns: `EUR 12.00, USD 3.00`; what does not fit is
/// abbreviated (`EUR 135.14k`) or counted (`+1`), never cut.
pub fn fit_money<K>(v: &[(Currency, K, Decimal)], pick: impl Fn(&K) -> bool, w: usize) -> String {
    let sums = per_currency_sums(v, pick);
    let items: Vec<String> = sums
        .iter()
        .map(|(c, d)| format!("{c} {}", money(*c, *d)))
        .collect();
    let full = fit_list(&items, w);
    if !full.starts_with('+') {
        return full;
    }
    // Not even the first fits in full: abbreviate it.
    let (c, d) = sums[0];
    let more = if sums.len() > 1 {
        format!(", +{}", sums.len() - 1)
    } else {
        String::new()
    };
    let room = w.saturating_sub(4 + more.chars().count());
    let s = format!("{c} {}{more}", fit_amount(c, d, room));
    if s.chars().count() <= w {
        s
    } else {
        full
    }
}

fn per_currency_sums<K>(
    v: &[(Currency, K, Decimal)],
    pick: impl Fn(&K) -> bool,
) -> Vec<(Currency, Decimal)> {
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
    acc
}

/// Per-currency amounts as items for [`fit_list`].
pub fn per_currency_items<K>(
    v: &[(Currency, K, Decimal)],
    pick: impl Fn(&K) -> bool,
) -> Vec<String> {
    per_currency_sums(v, pick)
        .iter()
        .map(|(c, d)| format!("{c} {}", money(*c, *d)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn amounts_are_abbreviated_never_cut() {
        assert_eq!(
            fit_amount(Currency::EUR, dec("1339427.13"), 10),
            "1339427.13"
        );
        assert_eq!(fit_amount(Currency::EUR, dec("1339427.13"), 9), "1339.43k");
        assert_eq!(
            fit_amount(Currency::EUR, dec("2542268308.49"), 8),
            "2542268k"
        );
        assert_eq!(
            fit_amount(Currency::EUR, dec("2542268308.49"), 7),
            "2542.3M"
        );
        assert_eq!(fit_amount(Currency::EUR, dec("2542268308.49"), 5), "2542M");
        assert_eq!(fit_amount(Currency::EUR, dec("2542268308.49"), 4), "2.5G");
        assert_eq!(fit_amount(Currency::EUR, dec("2542268308.49"), 2), "3G");
        assert_eq!(fit_amount(Currency::EUR, dec("2542268308.49"), 1), "#");
    }

    #[test]
    fn lists_end_with_a_count_not_a_cut_number() {
        let v = vec!["EUR 235820.52".to_string(), "USD 7289.85".to_string()];
        assert_eq!(fit_list(&v, 40), "EUR 235820.52, USD 7289.85");
        assert_eq!(fit_list(&v, 20), "EUR 235820.52, +1");
        assert_eq!(fit_list(&v, 5), "+2");
        let m = vec![
            (Currency::EUR, (), dec("135138.21")),
            (Currency::USD, (), dec("7289.85")),
        ];
        assert_eq!(fit_money(&m, |_| true, 30), "EUR 135138.21, USD 7289.85");
        assert_eq!(fit_money(&m, |_| true, 12), "EUR 135k, +1");
        assert_eq!(fit_money(&m[..1], |_| true, 12), "EUR 135.14k");
    }

    #[test]
    fn groups_digits() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_000_000), "1,000,000");
    }
}
