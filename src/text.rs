//! Neutralising text from data before it reaches a terminal.

/// Whether `c` must never reach a terminal raw: C0/C1 controls, DEL, bidi overrides and
/// isolates, and zero-width characters that hide or reorder text.
pub fn is_unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{061c}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// Replaces every unsafe character with a visible stand-in: C0 controls with their
/// Unicode control picture (ESC shows as `␛`), everything else with `�`.
pub fn sanitize(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
                '\u{7f}' => '\u{2421}',
                c if is_unsafe_char(c) => '\u{fffd}',
                c => c,
            })
            .collect(),
    )
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
