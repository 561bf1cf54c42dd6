//! Case-insensitive fuzzy matching of filter words against record text.
//!
//! A word matches a field when its characters appear in the field in order (a subsequence),
//! ignoring case. This is exactly the criterion under which `fuzzy-matcher`'s
//! `SkimMatcherV2` returns `Some` (its score only ranks matches, it never rejects a
//! subsequence), so filtering uses an allocation-free subsequence scan and
//! [`SkimMatcherV2`] is used where the score or the matched positions matter
//! ([`highlight`], [`fuzzy_score`]). The equivalence is property-tested.
//!
//! Case folding is per character (`char::to_lowercase`), so `MÜLLER` matches `müller`
//! (the matcher's own case folding is ASCII-only, which is why text is folded first).

use std::sync::OnceLock;

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

/// Lower-cases `s` character by character (the folding every fuzzy comparison uses).
pub fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// A fuzzy word from a filter, kept both as typed and case-folded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    folded: Vec<char>,
}

impl Pattern {
    /// A pattern for `text` (as typed, quotes already removed).
    pub fn new(text: &str) -> Self {
        Pattern {
            text: text.to_string(),
            folded: text.chars().flat_map(char::to_lowercase).collect(),
        }
    }

    /// The word as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The case-folded characters.
    pub fn folded(&self) -> &[char] {
        &self.folded
    }

    /// Whether the word fuzzily matches `haystack` (ignoring case). Never allocates.
    #[inline]
    pub fn is_match(&self, haystack: &str) -> bool {
        is_subsequence(haystack, &self.folded)
    }
}

/// Whether the case-folded `pattern` (see [`fold`]) is a subsequence of `haystack`
/// folded per character. Never allocates.
///
/// Runs of ASCII are skipped eight bytes at a time while looking for the next ASCII
/// pattern character: no non-ASCII character folds to an ASCII one except `İ` (to `i̇`)
/// and the Kelvin sign (to `k`), so those two pattern characters, and non-ASCII ones,
/// take the character-by-character path.
#[inline]
pub fn is_subsequence(haystack: &str, pattern: &[char]) -> bool {
    let n = pattern.len();
    if n == 0 {
        return true;
    }
    let bytes = haystack.as_bytes();
    let mut pi = 0;
    let mut i = 0;
    loop {
        let want = pattern[pi];
        if want.is_ascii() && !want.is_ascii_uppercase() && want != 'i' && want != 'k' {
            match find_ascii_ci(bytes, i, want as u8) {
                Some(j) => {
                    pi += 1;
                    if pi == n {
                        return true;
                    }
                    // `j` is an ASCII byte, so `j + 1` is a char boundary.
                    i = j + 1;
                }
                None => return false,
            }
            continue;
        }
        let Some(&b) = bytes.get(i) else {
            return false;
        };
        if b < 0x80 {
            if b.to_ascii_lowercase() as char == want {
                pi += 1;
                if pi == n {
                    return true;
                }
            }
            i += 1;
        } else {
            // `i` always sits on a char boundary: it only advances by whole characters.
            let Some(c) = haystack.get(i..).and_then(|rest| rest.chars().next()) else {
                return false;
            };
            i += c.len_utf8();
            for lc in c.to_lowercase() {
                if lc == pattern[pi] {
                    pi += 1;
                    if pi == n {
                        return true;
                    }
                }
            }
        }
    }
}

/// Position of the first byte at or after `from` equal to the ASCII byte `target`
/// ignoring ASCII case (`target` is lower-case), eight bytes at a time.
#[inline]
fn find_ascii_ci(hay: &[u8], from: usize, target: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // For a letter, `b | 0x20 == target` holds exactly for its two cases; for anything
    // else only the byte itself matches.
    let mask: u8 = if target.is_ascii_lowercase() { 0x20 } else { 0 };
    let mut i = from;
    // Pattern characters are often found right away; only skip ahead by words after that.
    for _ in 0..2 {
        match hay.get(i) {
            Some(&b) if (b | mask) == target => return Some(i),
            Some(_) => i += 1,
            None => return None,
        }
    }
    let (bt, bm) = (LO * u64::from(target), LO * u64::from(mask));
    while let Some(w) = hay.get(i..).and_then(|r| r.first_chunk::<8>()) {
        let y = (u64::from_le_bytes(*w) | bm) ^ bt;
        // lowest set bit marks the first zero byte of `y`
        let z = y.wrapping_sub(LO) & !y & HI;
        if z != 0 {
            return Some(i + (z.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    while let Some(&b) = hay.get(i) {
        if (b | mask) == target {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn matcher() -> &'static SkimMatcherV2 {
    static M: OnceLock<SkimMatcherV2> = OnceLock::new();
    // Text is folded before matching, so the matcher compares characters exactly.
    M.get_or_init(|| SkimMatcherV2::default().respect_case())
}

/// `haystack` folded per character, with the index of the original character of each
/// folded character (a character can fold into several).
fn fold_with_origin(haystack: &str) -> (String, Vec<usize>) {
    let mut folded = String::with_capacity(haystack.len());
    let mut origin = Vec::with_capacity(haystack.len());
    for (ci, c) in haystack.chars().enumerate() {
        for lc in c.to_lowercase() {
            folded.push(lc);
            origin.push(ci);
        }
    }
    (folded, origin)
}

/// Character indices in `haystack` matched by any of the fuzzy `words`, sorted and unique,
/// for highlighting matches in a cell. Words that do not match contribute nothing.
pub fn highlight(haystack: &str, words: &[String]) -> Vec<usize> {
    if words.is_empty() || haystack.is_empty() {
        return Vec::new();
    }
    let (folded, origin) = fold_with_origin(haystack);
    let mut out = Vec::new();
    for w in words {
        let pw = fold(w);
        if pw.is_empty() {
            continue;
        }
        if let Some((_, idx)) = matcher().fuzzy_indices(&folded, &pw) {
            out.extend(idx.into_iter().filter_map(|k| origin.get(k).copied()));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The `SkimMatcherV2` score of `word` against `haystack` (both case-folded), `None` when it
/// does not match. Higher is a better match; useful to rank filtered rows.
pub fn fuzzy_score(haystack: &str, word: &str) -> Option<i64> {
    matcher().fuzzy_match(&fold(haystack), &fold(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsequence_ignores_case_including_non_ascii() {
        let p = Pattern::new("müller");
        assert!(p.is_match("MÜLLER GmbH"));
        assert!(p.is_match("Mxüxlxlxexr"));
        assert!(!p.is_match("Mueller"));
        assert!(Pattern::new("acme").is_match("ACME Corp"));
        assert!(!Pattern::new("acme").is_match("Acm"));
        assert!(Pattern::new("").is_match(""));
        assert!(Pattern::new("gmbh").is_match("Müller GMBH"));
    }

    #[test]
    fn only_two_non_ascii_chars_fold_to_ascii() {
        // `is_subsequence` skips non-ASCII text when looking for other ASCII characters.
        let odd: Vec<char> = (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .filter(|c| !c.is_ascii() && c.to_lowercase().any(|l| l.is_ascii()))
            .collect();
        assert_eq!(odd, vec!['\u{130}', '\u{212A}']);
        assert!(Pattern::new("kelvin").is_match("\u{212A}ELVIN"));
        assert!(Pattern::new("ix").is_match("\u{130}X"));
    }

    #[test]
    fn word_at_a_time_search_finds_first_match() {
        for hay in [
            "abcdefghijklmnopqrstuvwxyz",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "0123456789-_ .",
        ] {
            for (pos, b) in hay.bytes().enumerate() {
                let t = b.to_ascii_lowercase();
                assert_eq!(find_ascii_ci(hay.as_bytes(), 0, t), Some(pos), "{hay} {t}");
                assert_eq!(find_ascii_ci(hay.as_bytes(), pos + 1, t), None);
            }
        }
        // a control byte that differs from '0' only in bit 0x20 is no digit
        assert_eq!(
            find_ascii_ci(b"\x10\x10\x10\x10\x10\x10\x10\x10\x10", 0, b'0'),
            None
        );
        assert!(!Pattern::new("0").is_match("\u{10}"));
        assert_eq!(find_ascii_ci("ééééx".as_bytes(), 0, b'x'), Some(8));
    }

    #[test]
    fn highlight_maps_back_to_original_chars() {
        // 'İ' folds into two chars; indices after it must still point at original chars.
        let h = highlight("İab", &["b".to_string()]);
        assert_eq!(h, vec![2]);
        let h = highlight("Müller GmbH", &["mgm".to_string(), "zzz".to_string()]);
        assert_eq!(h.first(), Some(&0));
        assert!(h.contains(&7) && h.contains(&8));
        assert!(highlight("abc", &[]).is_empty());
    }

    #[test]
    fn score_ranks_prefix_higher() {
        let a = fuzzy_score("Acme Corp", "acme").unwrap();
        let b = fuzzy_score("a big cool meeting", "acme").unwrap();
        assert!(a > b);
        assert!(fuzzy_score("Acme", "xyz").is_none());
    }
}
