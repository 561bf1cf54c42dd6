//! The fingerprint an imported payment keeps of the row it was read from, so that a
//! re-import recognises the row whatever the user edited since (see
//! `interchange::fingerprint`, which computes the values).

use std::fmt;
use std::num::NonZeroU8;
use std::str::FromStr;

/// How a source row is recognised.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum SourceKind {
    /// By the source's own transaction id (unique: a row with the same id is the same
    /// transaction).
    Id,
    /// By its content, counterparty included (counted: two equal rows are two payments).
    Content,
    /// By its content without the counterparty, which the file did not name (counted).
    Anonymous,
}

impl SourceKind {
    /// Every kind.
    pub const ALL: [SourceKind; 3] = [SourceKind::Id, SourceKind::Content, SourceKind::Anonymous];

    /// The word in JSON files and backups.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Id => "id",
            SourceKind::Content => "content",
            SourceKind::Anonymous => "anonymous",
        }
    }

    /// The code in a key's low two bits (never 0, which keeps the key's first byte
    /// non-zero).
    fn code(self) -> u64 {
        match self {
            SourceKind::Id => 1,
            SourceKind::Content => 2,
            SourceKind::Anonymous => 3,
        }
    }
}

/// The fingerprint of an imported payment's source row: its [`SourceKind`] and a
/// [`SourceKey::VALUE_BITS`]-bit value.
///
/// Seven bytes with a niche, so `Option<SourceKey>` is seven bytes too and fits in the
/// padding a [`super::Payment`] has anyway (a million payments are held in memory).
/// Stored as [`SourceKey::bits`]: the value shifted left by two, the kind's code in the
/// low two bits (1 id, 2 content, 3 anonymous), so every key is a non-zero number below
/// 2^56.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceKey {
    /// Bits 0..8 of [`SourceKey::bits`]; never 0, since the kind's code is not.
    low: NonZeroU8,
    /// Bits 8..56, little-endian.
    high: [u8; 6],
}

/// A key's value, apart from the kind.
const VALUE_MASK: u64 = (1 << SourceKey::VALUE_BITS) - 1;

impl SourceKey {
    /// Bits of a key's value.
    pub const VALUE_BITS: u32 = 54;

    /// The key of `kind` with `value` (only its low [`SourceKey::VALUE_BITS`] bits count).
    pub fn new(kind: SourceKind, value: u64) -> SourceKey {
        let bits = ((value & VALUE_MASK) << 2) | kind.code();
        let b = bits.to_le_bytes();
        SourceKey {
            low: NonZeroU8::new(b[0]).expect("the kind's code is never 0"),
            high: [b[1], b[2], b[3], b[4], b[5], b[6]],
        }
    }

    /// The key stored as `bits`; `None` for a number that is no key's (0, a zero kind
    /// code, 2^56 or more).
    pub fn from_bits(bits: u64) -> Option<SourceKey> {
        if bits >> 56 != 0 || bits & 3 == 0 {
            return None;
        }
        let kind = SourceKind::ALL[(bits & 3) as usize - 1];
        Some(SourceKey::new(kind, bits >> 2))
    }

    /// The stored form: non-zero, below 2^56.
    pub fn bits(self) -> u64 {
        let h = self.high;
        u64::from_le_bytes([self.low.get(), h[0], h[1], h[2], h[3], h[4], h[5], 0])
    }

    /// How the row is recognised.
    pub fn kind(self) -> SourceKind {
        SourceKind::ALL[(self.low.get() & 3) as usize - 1]
    }

    /// The value, below 2^[`SourceKey::VALUE_BITS`].
    pub fn value(self) -> u64 {
        self.bits() >> 2
    }
}

/// `KIND:VALUE`, the value in 14 lower-case hex digits: `id:002f6a0c19b4e7`.
impl fmt::Display for SourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:014x}", self.kind().as_str(), self.value())
    }
}

impl fmt::Debug for SourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceKey({self})")
    }
}

impl FromStr for SourceKey {
    type Err = String;

    /// Reads what [`SourceKey`]'s `Display` writes.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "'{s}' is not a source fingerprint (KIND:HEX, KIND one of id, content, \
                 anonymous, HEX at most 14 hex digits below 40000000000000)"
            )
        };
        let (kind, hex) = s.trim().split_once(':').ok_or_else(bad)?;
        let kind = SourceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(bad)?;
        if hex.is_empty() || hex.len() > 14 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let value = u64::from_str_radix(hex, 16).map_err(|_| bad())?;
        if value > VALUE_MASK {
            return Err(bad());
        }
        Ok(SourceKey::new(kind, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_optional_key_takes_seven_bytes() {
        assert_eq!(std::mem::size_of::<SourceKey>(), 7);
        assert_eq!(std::mem::size_of::<Option<SourceKey>>(), 7);
        assert_eq!(std::mem::align_of::<Option<SourceKey>>(), 1);
    }

    #[test]
    fn bits_words_and_parts_round_trip() {
        for kind in SourceKind::ALL {
            for value in [0, 1, 0xff, 0x1234_5678_9abc, VALUE_MASK] {
                let k = SourceKey::new(kind, value);
                assert_eq!((k.kind(), k.value()), (kind, value));
                assert_ne!(k.bits(), 0);
                assert!(k.bits() < 1 << 56);
                assert_eq!(SourceKey::from_bits(k.bits()), Some(k));
                assert_eq!(k.to_string().parse::<SourceKey>(), Ok(k));
            }
        }
        // the value is cut to its bits
        assert_eq!(SourceKey::new(SourceKind::Id, u64::MAX).value(), VALUE_MASK);
        assert_eq!(
            SourceKey::new(SourceKind::Content, 0x2f6a_0c19_b4e7).to_string(),
            "content:002f6a0c19b4e7"
        );
        for bits in [0, 4, 8, 1 << 56, u64::MAX] {
            assert_eq!(SourceKey::from_bits(bits), None, "{bits:#x}");
        }
        for s in [
            "",
            "id",
            "id:",
            "ID:12",
            "other:12",
            "id:xyz",
            "id:+1",
            "id:123456789012345",
            "id:40000000000000",
        ] {
            assert!(s.parse::<SourceKey>().is_err(), "{s:?}");
        }
        assert_eq!(
            "anonymous:3fffffffffffff"
                .parse::<SourceKey>()
                .map(|k| k.value()),
            Ok(VALUE_MASK)
        );
    }
}
