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
/// The haystack is skipped eight bytes at a time to the next candidate for the current
/// pattern character: an ASCII character can only come from ASCII text, except `i`
/// (from `İ`) and `k` (from the Kelvin sign), and a non-ASCII one only from non-ASCII
/// text. Non-ASCII characters that may match are folded one at a time.
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
        let next = if want.is_ascii_uppercase() {
            // folded text never contains upper-case ASCII
            return false;
        } else if want.is_ascii() {
            scan(bytes, i, Some(want as u8), want == 'i' || want == 'k')
        } else {
            scan(bytes, i, None, true)
        };
        match next {
            Next::Match(j) => {
                pi += 1;
                if pi == n {
                    return true;
                }
                // `j` is an ASCII byte, so `j + 1` is a char boundary.
                i = j + 1;
            }
            Next::NonAscii(j) => {
                // Every byte from `i` (a boundary) to `j` was ASCII: `j` starts a char.
                let Some(c) = haystack.get(j..).and_then(|rest| rest.chars().next()) else {
                    return false;
                };
                i = j + c.len_utf8();
                for lc in c.to_lowercase() {
                    if lc == pattern[pi] {
                        pi += 1;
                        if pi == n {
                            return true;
                        }
                    }
                }
            }
            Next::End => return false,
        }
    }
}

/// Where [`scan`] stopped.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// The ASCII target (either case) is at this byte.
    Match(usize),
    /// A non-ASCII character starts at this byte.
    NonAscii(usize),
    /// Neither occurs before the end.
    End,
}

/// From byte `from`, finds the first byte equal to the lower-case ASCII `target`
/// ignoring case (if any), and, when `stop_at_non_ascii`, the first non-ASCII byte;
/// whichever comes first. Works eight bytes at a time.
#[inline]
fn scan(hay: &[u8], from: usize, target: Option<u8>, stop_at_non_ascii: bool) -> Next {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // For a letter, `b | 0x20 == t` holds exactly for its two cases; for anything else
    // only the byte itself matches. Non-ASCII bytes never match.
    let t = target.unwrap_or(0x80);
    let mask: u8 = if t.is_ascii_lowercase() { 0x20 } else { 0 };
    let find = target.is_some();
    let check = |i: usize, b: u8| {
        if b >= 0x80 {
            stop_at_non_ascii.then_some(Next::NonAscii(i))
        } else if find && (b | mask) == t {
            Some(Next::Match(i))
        } else {
            None
        }
    };
    let mut i = from;
    // Pattern characters are often found right away; only skip ahead by words after that.
    for _ in 0..2 {
        let Some(&b) = hay.get(i) else {
            return Next::End;
        };
        if let Some(r) = check(i, b) {
            return r;
        }
        i += 1;
    }
    let (bt, bm) = (LO * u64::from(t), LO * u64::from(mask));
    let na_mask = if stop_at_non_ascii { HI } else { 0 };
    while let Some(w) = hay.get(i..).and_then(|r| r.first_chunk::<8>()) {
        let x = u64::from_le_bytes(*w);
        let y = (x | bm) ^ bt;
        // The lowest set bit of `z` marks the first zero byte of `y` (a match); higher
        // bits may be false positives, so only the lowest one is used.
        let z = if find {
            y.wrapping_sub(LO) & !y & HI
        } else {
            0
        };
        let hit = z | (x & na_mask);
        if hit != 0 {
            let low = hit & hit.wrapping_neg();
            let at = i + (low.trailing_zeros() / 8) as usize;
            return if z & low != 0 {
                Next::Match(at)
            } else {
                Next::NonAscii(at)
            };
        }
        i += 8;
    }
    while let Some(&b) = hay.get(i) {
        if let Some(r) = check(i, b) {
            return r;
        }
        i += 1;
    }
    Next::End
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
        let find = |h: &[u8], from, t| scan(h, from, Some(t), false);
        for hay in [
            "abcdefghijklmnopqrstuvwxyz",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "0123456789-_ .",
        ] {
            for (pos, b) in hay.bytes().enumerate() {
                let t = b.to_ascii_lowercase();
                assert_eq!(find(hay.as_bytes(), 0, t), Next::Match(pos), "{hay} {t}");
                assert_eq!(find(hay.as_bytes(), pos + 1, t), Next::End);
            }
        }
        // a control byte that differs from '0' only in bit 0x20 is no digit
        assert_eq!(
            find(b"\x10\x10\x10\x10\x10\x10\x10\x10\x10", 0, b'0'),
            Next::End
        );
        assert!(!Pattern::new("0").is_match("\u{10}"));
        // non-ASCII text is skipped, or stopped at when asked
        let h = "abcdefghééééx".as_bytes();
        assert_eq!(find(h, 0, b'x'), Next::Match(16));
        assert_eq!(scan(h, 0, Some(b'x'), true), Next::NonAscii(8));
        assert_eq!(scan(h, 0, Some(b'c'), true), Next::Match(2));
        assert_eq!(scan(h, 3, None, true), Next::NonAscii(8));
        assert_eq!(scan(b"abcdefghijklmnop", 0, None, true), Next::End);
        assert!(Pattern::new("éx").is_match("abcdefghijÉklmnopx"));
        assert!(Pattern::new("ik").is_match("abcdefgh\u{130}\u{212A}"));
        assert!(!Pattern::new("ki").is_match("abcdefgh\u{130}\u{212A}"));
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
