//! Money: currencies, amount parsing and formatting with the currency's minor units.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::DomainError;

/// An ISO 4217 currency code, stored as three upper-case ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// Pound sterling.
    pub const GBP: Currency = Currency(*b"GBP");
    /// Japanese yen.
    pub const JPY: Currency = Currency(*b"JPY");

    /// Builds a currency from raw bytes, validating them.
    pub fn from_bytes(bytes: [u8; 3]) -> Result<Self, DomainError> {
        if bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(Currency(bytes))
        } else {
            Err(DomainError::InvalidCurrency(
                String::from_utf8_lossy(&bytes).into_owned(),
            ))
        }
    }

    /// The three code letters.
    pub fn as_bytes(&self) -> [u8; 3] {
        self.0
    }

    /// The code as a string slice.
    pub fn as_str(&self) -> &str {
        // Always ASCII upper-case, checked on construction.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Number of digits after the decimal point this currency is written with.
    pub fn minor_units(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"ISK" | b"CLP" | b"VND" | b"XAF" | b"XOF" | b"PYG" | b"UGX"
            | b"RWF" | b"KMF" | b"GNF" | b"VUV" | b"XPF" | b"DJF" | b"BIF" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"IQD" | b"LYD" | b"TND" => 3,
            _ => 2,
        }
    }

    /// Formats an amount with this currency's minor units (`1234.50`, `1200`).
    pub fn format(&self, amount: Decimal) -> String {
        format_amount(amount, self.minor_units())
    }

    /// Whether `amount` has no more decimals than the currency allows.
    pub fn fits(&self, amount: Decimal) -> bool {
        amount.normalize().scale() <= self.minor_units()
    }
}

impl FromStr for Currency {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let b = t.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(DomainError::InvalidCurrency(s.to_string()));
        }
        Currency::from_bytes([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
            b[2].to_ascii_uppercase(),
        ])
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

/// Formats `amount` rounded (half away from zero) to `decimals` places, always showing them.
pub fn format_amount(amount: Decimal, decimals: u32) -> String {
    let mut d = amount.round_dp_with_strategy(
        decimals,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    d.rescale(decimals);
    d.to_string()
}

/// Parses a plain decimal amount: digits, optional `.` and fraction, no sign, no separators.
pub fn parse_amount(s: &str) -> Result<Decimal, DomainError> {
    let t = s.trim();
    let bad = || DomainError::InvalidAmount(s.to_string());
    if t.is_empty() || t.len() > 40 {
        return Err(bad());
    }
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(bad());
    }
    Decimal::from_str(t).map_err(|_| bad())
}

/// Parses a positive amount (> 0).
pub fn parse_positive_amount(s: &str) -> Result<Decimal, DomainError> {
    let d = parse_amount(s)?;
    if d.is_zero() {
        return Err(DomainError::NotPositive(s.to_string()));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros_free::dec;

    mod rust_decimal_macros_free {
        pub fn dec(s: &str) -> rust_decimal::Decimal {
            s.parse().unwrap()
        }
    }

    #[test]
    fn formats_with_minor_units() {
        assert_eq!(Currency::EUR.format(dec("1234.5")), "1234.50");
        assert_eq!(Currency::JPY.format(dec("1200")), "1200");
        assert_eq!(Currency::JPY.format(dec("1200.5")), "1201");
        assert_eq!(Currency::USD.format(dec("0.005")), "0.01");
        assert_eq!(Currency::EUR.format(Decimal::ZERO), "0.00");
    }

    #[test]
    fn parses_amounts_strictly() {
        assert_eq!(parse_amount("1234.50").unwrap(), dec("1234.50"));
        assert_eq!(parse_amount("7").unwrap(), dec("7"));
        for bad in ["12,5", "-3", "1e5", "", ".5", "5.", "1 000", "abc", "+1"] {
            assert!(parse_amount(bad).is_err(), "{bad} accepted");
        }
        assert!(parse_positive_amount("0.00").is_err());
    }

    #[test]
    fn currency_codes() {
        assert_eq!("eur".parse::<Currency>().unwrap(), Currency::EUR);
        assert!("EURO".parse::<Currency>().is_err());
        assert!("E1R".parse::<Currency>().is_err());
        assert_eq!(Currency::JPY.minor_units(), 0);
        assert!(Currency::JPY.fits(dec("100")));
        assert!(!Currency::JPY.fits(dec("100.5")));
        assert!(Currency::EUR.fits(dec("100.50")));
    }
}
