//! Whether one query can only match a subset of what another matches, so the rows of the
//! earlier result can be filtered instead of all records (typing in the filter bar).
//!
//! The test is syntactic and conservative: `new` narrows `prev` when every term of `prev`
//! is implied by some term of `new`. A term implies an identical one; a fuzzy word
//! implies any word whose characters are a subsequence of its own (`gard` ⇐ `garde`: a
//! field containing `g…a…r…d…e` in order also contains `g…a…r…d`), and a negated word
//! implies a negated word it is a subsequence of (`-garde` ⇐ `-gard`). Anything else
//! (an edited amount, a changed status list) counts as not narrowing, which only costs a
//! full recomputation.

use super::fuzzy::Pattern;
use super::parse::{Cond, Query, Term};

impl Query {
    /// Whether every record matching `self` also matches `prev` (for any ledger and
    /// date), as far as can be told from the terms alone. `false` means "unknown".
    ///
    /// ```
    /// use paytrack::query::parse;
    /// let q = |s: &str| parse(s).unwrap();
    /// assert!(q("garde").narrows(&q("gard")));
    /// assert!(q("gard status:paid").narrows(&q("gard")));
    /// assert!(q("-gard").narrows(&q("-garde")));
    /// assert!(!q("gard").narrows(&q("garde")));
    /// assert!(!q("-garde").narrows(&q("-gard")));
    /// assert!(q("anything").narrows(&q("")));
    /// ```
    pub fn narrows(&self, prev: &Query) -> bool {
        prev.terms
            .iter()
            .all(|p| self.terms.iter().any(|n| implies(n, p)))
    }
}

/// Whether a record satisfying `n` always satisfies `p`.
fn implies(n: &Term, p: &Term) -> bool {
    if n.negated != p.negated {
        return false;
    }
    match (&n.cond, &p.cond) {
        (Cond::Words(a), Cond::Words(b)) | (Cond::Party(a), Cond::Party(b)) => {
            if n.negated {
                // not matching `a` implies not matching `b` when `a` ⊑ `b`
                contains_in_order(b, a)
            } else {
                contains_in_order(a, b)
            }
        }
        (a, b) => a == b,
    }
}

/// Whether the folded characters of `small` appear in those of `big`, in order.
fn contains_in_order(big: &Pattern, small: &Pattern) -> bool {
    chars_in_order(big.folded(), small.folded())
}

/// Whether `small` is a subsequence of `big`.
pub(super) fn chars_in_order(big: &[char], small: &[char]) -> bool {
    let mut it = big.iter();
    small.iter().all(|c| it.any(|b| b == c))
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    fn q(s: &str) -> Query {
        parse(s).unwrap()
    }
    use super::Query;

    #[test]
    fn growing_a_word_narrows_and_shrinking_it_does_not() {
        assert!(q("g").narrows(&q("")));
        assert!(q("ga").narrows(&q("g")));
        assert!(q("gaXrden").narrows(&q("garden")));
        assert!(q("GARDEN").narrows(&q("garden")));
        assert!(!q("garde").narrows(&q("garden")));
        assert!(!q("").narrows(&q("g")));
        assert!(q("garden").narrows(&q("garden")));
    }

    #[test]
    fn other_terms_must_be_kept() {
        assert!(q("method:card gard").narrows(&q("method:card gar")));
        assert!(!q("method:cash gard").narrows(&q("method:card gar")));
        assert!(!q("gard").narrows(&q("method:card gar")));
        assert!(q("gard method:card").narrows(&q("method:card")));
        assert!(!q("amount:>10").narrows(&q("amount:>1")));
    }

    #[test]
    fn negated_words_narrow_when_they_shrink() {
        assert!(q("-gard").narrows(&q("-garden")));
        assert!(!q("-garden").narrows(&q("-gard")));
        assert!(!q("gard").narrows(&q("-gard")));
        assert!(!q("-gard").narrows(&q("gard")));
    }

    #[test]
    fn party_and_words_are_different_fields() {
        assert!(q("party:hansa").narrows(&q("party:han")));
        assert!(!q("party:hansa").narrows(&q("han")));
        assert!(!q("hansa").narrows(&q("party:han")));
    }
}
