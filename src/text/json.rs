//! JSON output that never carries a terminal-unsafe character raw.
//!
//! serde_json escapes only `"`, `\` and C0 controls; C1 controls (8-bit CSI U+009B, NEL
//! U+0085), DEL, bidi controls and invisible format characters would be written as they
//! are, and reach the terminal when the JSON is printed. Every JSON paytrack writes goes
//! through [`to_writer`] or [`to_writer_pretty`], which write each character of
//! [`super::is_unsafe_char`] as a `\uXXXX` escape (a surrogate pair above U+FFFF): still
//! valid JSON, and reading it back gives the exact original strings.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter, Serializer};

/// Writes `value` as compact JSON with unsafe characters escaped.
pub fn to_writer<W: Write, T: ?Sized + Serialize>(w: W, value: &T) -> serde_json::Result<()> {
    value.serialize(&mut Serializer::with_formatter(
        w,
        Escaping(CompactFormatter),
    ))
}

/// Writes `value` as indented JSON with unsafe characters escaped.
pub fn to_writer_pretty<W: Write, T: ?Sized + Serialize>(
    w: W,
    value: &T,
) -> serde_json::Result<()> {
    value.serialize(&mut Serializer::with_formatter(
        w,
        Escaping(PrettyFormatter::new()),
    ))
}

/// A formatter that writes like `F` and escapes unsafe characters inside strings.
struct Escaping<F>(F);

/// Writes `c` as `\uXXXX` (two of them, a surrogate pair, above U+FFFF).
fn escape<W: ?Sized + Write>(w: &mut W, c: char) -> io::Result<()> {
    let mut units = [0u16; 2];
    for u in c.encode_utf16(&mut units) {
        write!(w, "\\u{:04x}", u)?;
    }
    Ok(())
}

impl<F: Formatter> Formatter for Escaping<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Every unsafe character serde_json leaves alone is DEL or above.
        if fragment.bytes().all(|b| b < 0x7f) {
            return w.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if super::is_unsafe_char(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                escape(w, c)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    // The layout is `F`'s.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str = "a\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}2J\u{85}\u{7f}\u{202e}\u{200b}\u{ad}\u{180e}\u{feff}\u{e0041}❤\u{fe0f}ü\"\\";

    #[test]
    fn unsafe_characters_are_escaped_and_read_back_exactly() {
        let v = serde_json::json!({ "notes": EVIL, EVIL: [EVIL] });
        for pretty in [false, true] {
            let mut out = Vec::new();
            if pretty {
                to_writer_pretty(&mut out, &v).unwrap();
            } else {
                to_writer(&mut out, &v).unwrap();
            }
            let text = String::from_utf8(out).unwrap();
            assert!(
                !text
                    .chars()
                    .any(|c| super::super::is_unsafe_char(c) && c != '\n'),
                "{text:?}"
            );
            for esc in [
                "\\u001b",
                "\\u0007",
                "\\u009b",
                "\\u0085",
                "\\u007f",
                "\\u202e",
                "\\u200b",
                "\\u00ad",
                "\\u180e",
                "\\ufeff",
                "\\udb40\\udc41",
            ] {
                assert!(text.contains(esc), "{esc} in {text}");
            }
            // ordinary text stays as it is
            assert!(text.contains("❤\u{fe0f}ü\\\"\\\\"), "{text}");
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, v);
            assert_eq!(back["notes"].as_str(), Some(EVIL));
        }
    }

    #[test]
    fn layout_is_serde_json_s() {
        let v = serde_json::json!([{ "a": 1, "b": ["x", null] }, "Müller"]);
        let (mut c, mut p) = (Vec::new(), Vec::new());
        to_writer(&mut c, &v).unwrap();
        to_writer_pretty(&mut p, &v).unwrap();
        #[allow(clippy::disallowed_methods)] // the reference being compared with
        let (rc, rp) = (
            serde_json::to_string(&v).unwrap(),
            serde_json::to_string_pretty(&v).unwrap(),
        );
        assert_eq!(String::from_utf8(c).unwrap(), rc);
        assert_eq!(String::from_utf8(p).unwrap(), rp);
    }
}
