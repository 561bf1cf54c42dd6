//! Neutralising text from data before it reaches a terminal.
//!
//! Names, numbers, references and notes come from users and from imported files, so they
//! may hold anything. Before such text is drawn in the TUI, printed in a table, quoted in
//! a message or written as CSV to a terminal, every character that could act on the
//! terminal or hide, reorder or fake text is replaced by a visible stand-in:
//!
//! - C0 and C1 controls and DEL (ESC and so CSI/OSC sequences, 8-bit CSI U+009B, BEL,
//!   NEL U+0085...): C0 controls show as their Unicode control picture (ESC as `␛`),
//!   DEL as `␡`;
//! - every format character (Unicode category Cf): the soft hyphen U+00AD, the Arabic
//!   letter mark and number signs, the Mongolian vowel separator U+180E, zero-width space,
//!   ZWNJ and ZWJ, LRM/RLM, the bidi embeddings, overrides and isolates, the word joiner
//!   and invisible operators, the BOM U+FEFF, interlinear annotations, tag characters
//!   U+E0000–U+E007F...;
//! - the other default-ignorable characters, which draw nothing: the combining grapheme
//!   joiner U+034F, the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the Khmer
//!   inherent vowels U+17B4/U+17B5, the Mongolian free variation selectors, and the
//!   reserved ignorable ranges; and the line and paragraph separators U+2028/U+2029;
//!
//! all of these as `�` (U+FFFD).
//!
//! Two choices:
//! - ZWJ and ZWNJ are neutralised too, although emoji sequences (👨‍👩‍👧) and Persian or
//!   Indic text use them: invisible, they let two names that look the same differ, and
//!   terminals disagree on the width of a joined emoji (which shifts table columns). An
//!   emoji sequence shows its parts with `�` between them.
//! - Variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) are kept where they select a
//!   form of the character before them: U+FE0E/U+FE0F (text/emoji presentation) after a
//!   non-ASCII symbol or digit that is not a letter, or after an ASCII digit, `#` or `*`
//!   (keycaps like `1️⃣`); the others after any visible non-ASCII character (CJK and
//!   Myanmar variants). Anywhere else — after a Latin letter, at the start, after a space
//!   or another selector — they would be invisible, and are neutralised.
//!
//! [`is_unsafe_char`] is the context-free part of the rule (used by the JSON writer, which
//! escapes those characters as `\uXXXX`); [`sanitize`] applies all of it, and
//! [`TerminalWriter`] applies it to a stream (CSV and the other text output written to a
//! terminal).

pub mod json;
mod terminal;

pub use terminal::TerminalWriter;

use std::borrow::Cow;

/// Whether `c` must never reach a terminal raw, wherever it stands: C0/C1 controls, DEL,
/// format characters (bidi controls, zero-width characters, soft hyphen, tags...), the
/// other default-ignorable characters and the line/paragraph separators. Variation
/// selectors are not in it: whether they are safe depends on the character before them
/// (see [`sanitize`]).
pub fn is_unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{ad}'                      // soft hyphen
        | '\u{34f}'                     // combining grapheme joiner
        | '\u{600}'..='\u{605}'         // Arabic number signs
        | '\u{61c}'                     // Arabic letter mark
        | '\u{6dd}' | '\u{70f}' | '\u{890}'..='\u{891}' | '\u{8e2}'
        | '\u{115f}'..='\u{1160}'       // Hangul choseong/jungseong fillers
        | '\u{17b4}'..='\u{17b5}'       // Khmer inherent vowels
        | '\u{180b}'..='\u{180f}'       // Mongolian variation selectors, vowel separator
        | '\u{200b}'..='\u{200f}'       // ZWSP, ZWNJ, ZWJ, LRM, RLM
        | '\u{2028}'..='\u{202e}'       // line/paragraph separators, bidi embeddings/overrides
        | '\u{2060}'..='\u{206f}'       // word joiner, invisible operators, isolates, ...
        | '\u{3164}'                    // Hangul filler
        | '\u{feff}'                    // BOM / zero-width no-break space
        | '\u{ffa0}'                    // halfwidth Hangul filler
        | '\u{fff0}'..='\u{fffb}'       // reserved, interlinear annotations
        | '\u{110bd}' | '\u{110cd}'     // Kaithi number signs
        | '\u{13430}'..='\u{1343f}'     // Egyptian hieroglyph format controls
        | '\u{1bca0}'..='\u{1bca3}'     // shorthand format controls
        | '\u{1d173}'..='\u{1d17a}'     // musical symbol format controls
        | '\u{e0000}'..='\u{e00ff}'     // tags (and reserved)
        | '\u{e01f0}'..='\u{e0fff}') // reserved default-ignorable
}

/// Whether `c` is a variation selector (safe or not depending on what precedes it).
pub fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}')
}

/// Whether the variation selector `vs` selects a form of `prev` (so it is kept), see the
/// module documentation.
fn selects(prev: Option<char>, vs: char) -> bool {
    let Some(p) = prev else { return false };
    if p.is_whitespace() || is_unsafe_char(p) || is_variation_selector(p) {
        return false;
    }
    if matches!(vs, '\u{fe0e}' | '\u{fe0f}') {
        p.is_ascii_digit() || p == '#' || p == '*' || (!p.is_ascii() && !p.is_alphabetic())
    } else {
        !p.is_ascii()
    }
}

/// Whether `c`, after `prev`, must be replaced.
fn unsafe_after(prev: Option<char>, c: char) -> bool {
    is_unsafe_char(c) || (is_variation_selector(c) && !selects(prev, c))
}

/// The visible stand-in for an unsafe character.
fn stand_in(c: char) -> char {
    match c {
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        _ => '\u{fffd}',
    }
}

/// Neutralises `s` into `out`, `prev` being the character before it (updated), keeping
/// the characters `keep` says to keep (line breaks in a stream).
fn neutralise_into(out: &mut String, s: &str, prev: &mut Option<char>, keep: fn(char) -> bool) {
    for c in s.chars() {
        if !keep(c) && unsafe_after(*prev, c) {
            out.push(stand_in(c));
        } else {
            out.push(c);
        }
        *prev = Some(c);
    }
}

/// Whether `s` holds a character that [`sanitize`] replaces.
fn needs_sanitizing(s: &str, keep: fn(char) -> bool) -> bool {
    // Every unsafe character but C0 controls is at or above DEL.
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) || (b == b'\n' && keep('\n')))
    {
        return false;
    }
    let mut prev = None;
    for c in s.chars() {
        if !keep(c) && unsafe_after(prev, c) {
            return true;
        }
        prev = Some(c);
    }
    false
}

/// Replaces every unsafe character with a visible stand-in: C0 controls with their
/// Unicode control picture (ESC shows as `␛`, a line break as `␊`), DEL as `␡`,
/// everything else with `�` (see the module documentation for what is unsafe).
pub fn sanitize(s: &str) -> Cow<'_, str> {
    let keep_none: fn(char) -> bool = |_| false;
    if !needs_sanitizing(s, keep_none) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    neutralise_into(&mut out, s, &mut None, keep_none);
    Cow::Owned(out)
}

/// The longest start of `s` that is at most `max_bytes` bytes long and ends on a
/// character boundary: for looking at the head of a text without cutting a multibyte
/// character in two (slicing `&s[..max_bytes]` panics when a character straddles the cut).
pub fn head(s: &str, max_bytes: usize) -> &str {
    if s.len() <= max_bytes {
        return s;
    }
    let mut cut = max_bytes;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

/// Like [`sanitize`] but keeps the result on one line for table cells.
pub fn sanitize_cell(s: &str) -> String {
    sanitize(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_escapes_and_bidi() {
        let evil = "a\u{1b}]52;c;ZXZpbA==\u{7}b\u{202e}cba\u{9b}2J\u{200b}";
        let s = sanitize(evil);
        assert!(!s.chars().any(is_unsafe_char));
        assert!(s.starts_with("a\u{241b}]52"));
        assert_eq!(sanitize("Müller GmbH"), "Müller GmbH");
        assert_eq!(sanitize("tab\there"), "tab\u{2409}here");
    }

    #[test]
    fn invisible_and_format_characters_are_neutralised() {
        for c in [
            '\u{85}',
            '\u{9b}',
            '\u{ad}',
            '\u{34f}',
            '\u{600}',
            '\u{61c}',
            '\u{115f}',
            '\u{1160}',
            '\u{17b4}',
            '\u{17b5}',
            '\u{180b}',
            '\u{180e}',
            '\u{180f}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{2028}',
            '\u{2029}',
            '\u{202a}',
            '\u{202e}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2069}',
            '\u{206f}',
            '\u{3164}',
            '\u{feff}',
            '\u{ffa0}',
            '\u{fff9}',
            '\u{fffb}',
            '\u{1d173}',
            '\u{e0001}',
            '\u{e0041}',
            '\u{e007f}',
        ] {
            assert!(is_unsafe_char(c), "U+{:04X}", c as u32);
            let s = format!("Ac{c}me");
            assert_eq!(sanitize(&s), "Ac\u{fffd}me", "U+{:04X}", c as u32);
        }
        // a name hidden in tag characters shows as markers, not as nothing
        let tagged: String = "pay"
            .chars()
            .chain(
                "EVIL"
                    .chars()
                    .map(|c| char::from_u32(0xe0000 + c as u32).unwrap()),
            )
            .collect();
        assert_eq!(sanitize(&tagged), "pay\u{fffd}\u{fffd}\u{fffd}\u{fffd}");
    }

    #[test]
    fn ordinary_text_of_every_script_is_kept() {
        for s in [
            "Müller GmbH",
            "Ørsted A/S",
            "Ελληνικά ΑΕ",
            "ООО Ромашка",
            "株式会社テスト",
            "주식회사 한국",
            "شركة مثال",
            "חברה בע״מ",
            "ब्राह्मी",
            "€ 1.234,50 — “quoted” ‘x’ …",
            "😀👍🏽🎉",
            "non\u{a0}breaking",
        ] {
            assert_eq!(sanitize(s), s);
        }
    }

    #[test]
    fn variation_selectors_are_kept_where_they_select_a_form() {
        // emoji and text presentation, keycaps, a CJK variant
        for s in [
            "❤\u{fe0f} thanks",
            "☺\u{fe0e}",
            "1\u{fe0f}\u{20e3}",
            "#\u{fe0f}\u{20e3}",
            "葛\u{e0100}飾",
            "≩\u{fe00}",
        ] {
            assert_eq!(sanitize(s), s, "{s:?}");
        }
        // invisible after a Latin letter, at the start, after a space or another selector
        assert_eq!(sanitize("Acme\u{fe0f}"), "Acme\u{fffd}");
        assert_eq!(sanitize("Ac\u{e0100}me"), "Ac\u{fffd}me");
        assert_eq!(sanitize("\u{fe0f}Acme"), "\u{fffd}Acme");
        assert_eq!(sanitize("a \u{fe0f}"), "a \u{fffd}");
        assert_eq!(sanitize("❤\u{fe0f}\u{fe0f}"), "❤\u{fe0f}\u{fffd}");
        assert_eq!(sanitize("ü\u{fe0f}"), "ü\u{fffd}");
        // after a neutralised character
        assert_eq!(sanitize("\u{200b}\u{fe0f}"), "\u{fffd}\u{fffd}");
    }

    #[test]
    fn zero_width_joiners_show_as_markers_even_in_emoji() {
        assert_eq!(sanitize("👨\u{200d}👩\u{200d}👧"), "👨\u{fffd}👩\u{fffd}👧");
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(sanitize("plain ascii"), Cow::Borrowed(_)));
        assert!(matches!(sanitize("❤\u{fe0f} Müller"), Cow::Borrowed(_)));
        assert!(matches!(sanitize("a\u{ad}b"), Cow::Owned(_)));
    }

    #[test]
    fn head_never_cuts_a_character() {
        // 'ü' is 2 bytes, '€' 3, '𝄞' 4: each starting one byte before the cut
        for (c, len) in [('ü', 2), ('€', 3), ('𝄞', 4)] {
            for start in 0..=len {
                let s = format!("{}{c}xyz", "a".repeat(10 - start));
                // the character occupies bytes 10-start .. 10-start+len
                let h = head(&s, 10);
                assert!(h.len() <= 10);
                assert!(s.starts_with(h));
                let whole = 10 - start + len <= 10;
                assert_eq!(h.ends_with(c), whole, "{s:?} {h:?}");
            }
        }
        assert_eq!(head("abc", 10), "abc");
        assert_eq!(head("abc", 0), "");
        assert_eq!(head("ü", 1), "");
    }
}
