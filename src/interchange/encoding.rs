//! Text encodings of foreign files: UTF-8 (with or without a byte order mark) and
//! Windows-1252, the encoding spreadsheet programs and many banks on Windows still write.
//!
//! [`Encoding::Auto`] takes a file that is valid UTF-8 as UTF-8 and anything else as
//! Windows-1252 (every byte sequence is valid Windows-1252 text, so this never fails).

use std::borrow::Cow;
use std::str::FromStr;

use super::ImportError;

/// How to turn a file's bytes into text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 when the bytes are valid UTF-8, otherwise Windows-1252.
    #[default]
    Auto,
    /// UTF-8 only; invalid bytes are an error naming the line.
    Utf8,
    /// Windows-1252 (a superset of ISO 8859-1 in the printable range).
    Windows1252,
}

impl Encoding {
    /// The name used on the command line and in profiles.
    pub fn as_str(&self) -> &'static str {
        match self {
            Encoding::Auto => "auto",
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
        }
    }
}

impl FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Encoding::Auto),
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "windows-1252" | "cp1252" | "win1252" | "latin1" | "latin-1" | "iso-8859-1" => {
                Ok(Encoding::Windows1252)
            }
            other => Err(format!(
                "unknown encoding '{other}' (expected auto, utf-8 or windows-1252)"
            )),
        }
    }
}

/// Windows-1252 code points of the bytes 0x80..=0x9F; the five undefined bytes map to the
/// C1 control of the same value, as the WHATWG encoding standard does.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// Decodes Windows-1252 bytes.
pub fn decode_windows_1252(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + bytes.len() / 8);
    for &b in bytes {
        match b {
            0x00..=0x7F => s.push(b as char),
            0x80..=0x9F => s.push(CP1252_HIGH[usize::from(b - 0x80)]),
            _ => s.push(char::from(b)),
        }
    }
    s
}

/// How much of a file is read to recognise its layout (header row, statement format).
pub const HEAD: usize = 1 << 16;

/// The start of a file, at most `max` bytes, for recognising its layout: whole lines when
/// there is a line end in that range, else cut before a UTF-8 character that does not fit
/// whole (so the head decodes as the same text as the start of the whole file).
pub fn head(bytes: &[u8], max: usize) -> &[u8] {
    if bytes.len() <= max {
        return bytes;
    }
    if let Some(i) = bytes[..max].iter().rposition(|&b| b == b'\n') {
        return &bytes[..=i];
    }
    // `cut` is the first byte left out: back over the continuation bytes (10xxxxxx) of a
    // character cut in two, to its first byte (a character has at most 3 of them)
    let mut cut = max;
    while cut > 0 && max - cut < 3 && bytes[cut] & 0xC0 == 0x80 {
        cut -= 1;
    }
    &bytes[..cut]
}

/// Whether a file holds nothing but blanks (and perhaps a byte order mark).
pub fn is_blank(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    body.iter().all(u8::is_ascii_whitespace)
}

/// The message for a file that holds nothing (see [`is_blank`]).
pub const EMPTY_FILE: &str = "the file is empty: a header row is required";

/// The 1-based line of byte `at` in `bytes`.
pub(crate) fn line_of(bytes: &[u8], at: usize) -> u64 {
    1 + bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
}

/// Decodes a whole file. Returns the text (without a byte order mark) and the encoding
/// that was used (never [`Encoding::Auto`]).
pub fn decode<'a>(
    bytes: &'a [u8],
    encoding: Encoding,
    source: &str,
) -> Result<(Cow<'a, str>, Encoding), ImportError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF");
    let had_bom = body.is_some();
    let body = body.unwrap_or(bytes);
    match encoding {
        Encoding::Windows1252 => Ok((Cow::Owned(decode_windows_1252(body)), Encoding::Windows1252)),
        Encoding::Auto | Encoding::Utf8 => match std::str::from_utf8(body) {
            Ok(s) => Ok((Cow::Borrowed(s), Encoding::Utf8)),
            // a byte order mark says UTF-8: broken bytes after it are an error, not 1252
            Err(_) if encoding == Encoding::Auto && !had_bom => {
                Ok((Cow::Owned(decode_windows_1252(body)), Encoding::Windows1252))
            }
            Err(e) => Err(ImportError::new(
                source,
                line_of(body, e.valid_up_to()),
                None,
                format!(
                    "not valid UTF-8 text (byte {} of the file){}",
                    e.valid_up_to() + 1 + if had_bom { 3 } else { 0 },
                    if encoding == Encoding::Utf8 {
                        "; try --encoding windows-1252"
                    } else {
                        ""
                    }
                ),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_utf8_bom_and_windows_1252() {
        let (t, e) = decode("Müller".as_bytes(), Encoding::Auto, "x").unwrap();
        assert_eq!((t.as_ref(), e), ("Müller", Encoding::Utf8));
        let (t, _) = decode(b"\xEF\xBB\xBFabc", Encoding::Auto, "x").unwrap();
        assert_eq!(t, "abc");
        let (t, e) = decode(b"M\xFCller \x80 \x93q\x94", Encoding::Auto, "x").unwrap();
        assert_eq!((t.as_ref(), e), ("Müller € “q”", Encoding::Windows1252));
        let err = decode(b"ok\nM\xFCller", Encoding::Utf8, "bank.csv").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.to_string().starts_with("bank.csv:2: not valid UTF-8"),
            "{err}"
        );
        // forced 1252 on plain ASCII is the same text
        let (t, _) = decode(b"abc", Encoding::Windows1252, "x").unwrap();
        assert_eq!(t, "abc");
        assert_eq!("cp1252".parse::<Encoding>(), Ok(Encoding::Windows1252));
        assert!("ebcdic".parse::<Encoding>().is_err());
    }

    #[test]
    fn the_head_ends_at_a_line_or_a_character() {
        assert_eq!(head(b"a,b\n1,2\n", 100), b"a,b\n1,2\n");
        assert_eq!(head(b"a,b\n1,2\n", 6), b"a,b\n");
        // no line end: a character straddling the cut is left out whole
        for c in ['ü', '€', '𝄞'] {
            for pad in 0..6 {
                let text = format!("{}{c}{}", "x".repeat(pad), "y".repeat(8));
                let h = head(text.as_bytes(), 6);
                let s = std::str::from_utf8(h).expect("a whole character");
                assert!(text.starts_with(s) && h.len() <= 6, "{text:?}: {s:?}");
                assert_eq!(s.contains(c), pad + c.len_utf8() <= 6, "{text:?}: {s:?}");
            }
        }
        // Windows-1252 bytes without a line end are cut where they are
        assert_eq!(head(b"\xE9\xE9\xE9\xE9", 2), b"\xE9\xE9");
    }
}
