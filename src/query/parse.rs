//! Lexing and parsing of filter text into a [`Query`].

use std::ops::{Bound, Range};

use rust_decimal::Decimal;
use time::{Date, Month};

use super::fuzzy::Pattern;
use crate::domain::{
    parse_amount, parse_date, parse_relative_date, Currency, Direction, InvoiceKind, InvoiceStatus,
    Method,
};

/// A filter that could not be parsed, or a term that does not apply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// What is wrong, in words for the user.
    pub message: String,
    /// Byte range of the offending term in the filter text (for underlining it).
    pub span: Range<usize>,
}

/// A parsed filter: terms that must all hold (ANDed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub(crate) terms: Vec<Term>,
}

/// One term of a filter, possibly negated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// Written with a leading `-`: the record must not match the condition.
    pub negated: bool,
    /// Byte range of the term in the filter text.
    pub span: Range<usize>,
    /// The term as typed.
    pub text: String,
    /// What the term tests.
    pub cond: Cond,
}

/// The condition a term tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond {
    /// A bare word: fuzzy over party name, invoice numbers, reference and notes.
    Words(Pattern),
    /// `party:TEXT`: fuzzy on the party name.
    Party(Pattern),
    /// `status:...`: any of these statuses (comma-separated alternatives).
    Status(Vec<InvoiceStatus>),
    /// `dir:` or `kind:` (receivable ↔ in, payable ↔ out): any of these directions.
    Direction(Vec<Direction>),
    /// `method:...`: any of these methods.
    Method(Vec<Method>),
    /// `currency:...`: any of these currencies.
    Currency(Vec<Currency>),
    /// `invoice:NUMBER` or `invoice:PREFIX*`.
    Invoice(NumberPattern),
    /// `unlinked`: payments with an unallocated remainder, invoices with no allocation.
    Unlinked,
    /// `amount:...`.
    Amount(AmountCond),
    /// `date:`, `after:`, `before:` (payment date, invoice issue date).
    Date(DateCond),
    /// `due:` (the invoice's due date; payments: any allocated invoice).
    Due(DateCond),
}

/// An invoice number to match exactly (ignoring case) or as a prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberPattern {
    /// Case-folded number (without the trailing `*`).
    pub folded: Vec<char>,
    /// Written with a trailing `*`: matches numbers that start with it.
    pub prefix: bool,
}

impl NumberPattern {
    /// Whether `number` is this number (or starts with it, for a prefix).
    pub fn matches(&self, number: &str) -> bool {
        let mut want = self.folded.iter();
        for c in number.trim().chars().flat_map(char::to_lowercase) {
            match want.next() {
                Some(&w) if w == c => {}
                Some(_) => return false,
                None => return self.prefix,
            }
        }
        want.next().is_none()
    }
}

/// Inclusive or exclusive bounds on an amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmountCond {
    /// Lower bound.
    pub lo: Bound<Decimal>,
    /// Upper bound.
    pub hi: Bound<Decimal>,
}

impl AmountCond {
    /// Whether `x` lies within the bounds.
    #[inline]
    pub fn matches(&self, x: Decimal) -> bool {
        let lo = match &self.lo {
            Bound::Included(l) => x >= *l,
            Bound::Excluded(l) => x > *l,
            Bound::Unbounded => true,
        };
        lo && match &self.hi {
            Bound::Included(h) => x <= *h,
            Bound::Excluded(h) => x < *h,
            Bound::Unbounded => true,
        }
    }
}

/// A date as written in a filter: a fixed day, month or year, or relative to today.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateSpec {
    /// A fixed period, first and last day inclusive (a day, a month or a year).
    Fixed(Date, Date),
    /// `today`, `yesterday`, `tomorrow`, `-30d`, `+7d`, `2w`..., resolved against "today"
    /// when the filter is evaluated (so saved filters stay relative).
    Relative(String),
}

impl DateSpec {
    /// First and last day of the period as of `today`; `None` if out of the date range.
    pub fn resolve(&self, today: Date) -> Option<(Date, Date)> {
        match self {
            DateSpec::Fixed(a, b) => Some((*a, *b)),
            DateSpec::Relative(s) => parse_relative_date(s, today).ok().map(|d| (d, d)),
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=` or no operator.
    Eq,
}

/// A condition on a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateCond {
    /// `A..B`, inclusive, either side open.
    Range(Option<DateSpec>, Option<DateSpec>),
    /// `<A`, `>=A`, plain `A` (within the period)...
    Cmp(Op, DateSpec),
}

/// Record fields a term can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Party,
    Status,
    Dir,
    Kind,
    Method,
    Currency,
    Invoice,
    Amount,
    Date,
    After,
    Before,
    Due,
}

const FIELDS: &[(&str, Field)] = &[
    ("party", Field::Party),
    ("status", Field::Status),
    ("dir", Field::Dir),
    ("direction", Field::Dir),
    ("kind", Field::Kind),
    ("method", Field::Method),
    ("currency", Field::Currency),
    ("invoice", Field::Invoice),
    ("amount", Field::Amount),
    ("date", Field::Date),
    ("after", Field::After),
    ("before", Field::Before),
    ("due", Field::Due),
];

/// The field names a filter accepts (for help texts and completion).
pub fn field_names() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().map(|(n, _)| *n)
}

/// One whitespace-separated token with its quotes removed.
struct Token {
    span: Range<usize>,
    /// The content, quotes removed and escapes resolved.
    text: String,
    /// Byte offset in `text` where the first quoted part starts, if any.
    first_quote: Option<usize>,
    /// Byte offset in `text` of the first `:` outside quotes and before any quote.
    colon: Option<usize>,
}

fn lex(input: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut text = String::new();
        let mut first_quote = None;
        let mut colon = None;
        let mut in_quote = false;
        let mut end = input.len();
        while let Some(&(i, c)) = chars.peek() {
            if !in_quote && c.is_whitespace() {
                end = i;
                break;
            }
            chars.next();
            match c {
                '"' => {
                    in_quote = !in_quote;
                    if first_quote.is_none() {
                        first_quote = Some(text.len());
                    }
                }
                '\\' if in_quote => match chars.peek() {
                    Some(&(_, n @ ('"' | '\\'))) => {
                        text.push(n);
                        chars.next();
                    }
                    _ => text.push('\\'),
                },
                ':' if !in_quote && first_quote.is_none() && colon.is_none() => {
                    colon = Some(text.len());
                    text.push(':');
                }
                c => text.push(c),
            }
        }
        if in_quote {
            return Err(QueryError {
                message: format!("unclosed quote in '{}' (add a closing \")", &input[start..]),
                span: start..input.len(),
            });
        }
        tokens.push(Token {
            span: start..end,
            text,
            first_quote,
            colon,
        });
    }
    Ok(tokens)
}

impl std::str::FromStr for Query {
    type Err = QueryError;
    /// Same as [`parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Parses filter text. Never panics; errors carry the byte span of the offending term.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let mut terms = Vec::new();
    for tok in lex(text)? {
        if let Some(t) = parse_term(text, tok)? {
            terms.push(t);
        }
    }
    Ok(Query { terms })
}

fn parse_term(input: &str, tok: Token) -> Result<Option<Term>, QueryError> {
    let raw = &input[tok.span.clone()];
    let err = |message: String| QueryError {
        message,
        span: tok.span.clone(),
    };
    let negated = tok.text.starts_with('-') && tok.first_quote != Some(0);
    let skip = usize::from(negated);
    let body = &tok.text[skip..];
    if negated && body.is_empty() && tok.first_quote.is_none() {
        return Err(err("'-' must be followed by a term to exclude".into()));
    }
    let field = tok
        .colon
        .map(|c| (c - skip, &tok.text[skip..c]))
        .filter(|(_, name)| is_field_name(name));
    let cond = match field {
        None => {
            if body.is_empty() {
                // `""`: an empty word matches everything, so it is no term at all.
                return Ok(None);
            }
            if tok.first_quote.is_none() && body.eq_ignore_ascii_case("unlinked") {
                Cond::Unlinked
            } else {
                Cond::Words(Pattern::new(body))
            }
        }
        Some((colon, name)) => {
            let value = &body[colon + 1..];
            let lname = name.to_ascii_lowercase();
            let Some(&(_, f)) = FIELDS.iter().find(|(n, _)| *n == lname) else {
                return Err(err(unknown_field(name)));
            };
            if value.is_empty() {
                return Err(err(format!("'{raw}' needs a value after ':'")));
            }
            parse_field(f, value, raw).map_err(err)?
        }
    };
    Ok(Some(Term {
        negated,
        span: tok.span.clone(),
        text: raw.to_string(),
        cond,
    }))
}

fn is_field_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphabetic() || c == b'_')
}

fn unknown_field(name: &str) -> String {
    let lname = name.to_ascii_lowercase();
    match nearest(&lname, FIELDS.iter().map(|(n, _)| *n)) {
        Some(s) => format!("unknown field '{name}' (did you mean '{s}'?)"),
        None => {
            let list: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
            format!(
                "unknown field '{name}' (fields: {}; quote the word to search for it)",
                list.join(", ")
            )
        }
    }
}

/// The candidate closest to `word` by edit distance (with transpositions), if close enough.
fn nearest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 2).clamp(1, 3);
    candidates
        .map(|c| (osa_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

fn parse_field(f: Field, v: &str, term: &str) -> Result<Cond, String> {
    Ok(match f {
        Field::Party => Cond::Party(Pattern::new(v)),
        Field::Status => Cond::Status(parse_list(
            v,
            term,
            "status",
            &InvoiceStatus::ALL
                .iter()
                .map(InvoiceStatus::as_str)
                .collect::<Vec<_>>(),
            |s| s.parse().ok(),
        )?),
        Field::Dir => Cond::Direction(parse_list(v, term, "direction", &["in", "out"], |s| {
            s.parse().ok()
        })?),
        Field::Kind => Cond::Direction(parse_list(
            v,
            term,
            "kind",
            &["receivable", "payable"],
            |s| s.parse::<InvoiceKind>().ok().map(InvoiceKind::direction),
        )?),
        Field::Method => Cond::Method(parse_list(
            v,
            term,
            "payment method",
            &Method::ALL.iter().map(Method::as_str).collect::<Vec<_>>(),
            |s| s.replace('-', "_").parse().ok(),
        )?),
        Field::Currency => {
            let mut out = Vec::new();
            for part in v.split(',') {
                let c = part.parse::<Currency>().map_err(|_| {
                    format!("'{part}' is not a currency in '{term}' (three letters, e.g. EUR)")
                })?;
                out.push(c);
            }
            Cond::Currency(out)
        }
        Field::Invoice => {
            let (num, prefix) = match v.strip_suffix('*') {
                Some(n) => (n, true),
                None => (v, false),
            };
            Cond::Invoice(NumberPattern {
                folded: num.trim().chars().flat_map(char::to_lowercase).collect(),
                prefix,
            })
        }
        Field::Amount => Cond::Amount(parse_amount_cond(v, term)?),
        Field::Date => Cond::Date(parse_date_cond(v, term, DATE_HINT)?),
        Field::Due => Cond::Due(parse_date_cond(v, term, DUE_HINT)?),
        Field::After | Field::Before => {
            let spec = parse_date_spec(v).ok_or_else(|| not_a_date(v, term, DATE_HINT))?;
            let op = if f == Field::After { Op::Gt } else { Op::Lt };
            Cond::Date(DateCond::Cmp(op, spec))
        }
    })
}

/// Parses comma-separated alternatives of a closed set of words.
fn parse_list<T>(
    v: &str,
    term: &str,
    what: &str,
    words: &[&str],
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, String> {
    let mut out = Vec::new();
    for part in v.split(',') {
        match parse(part) {
            Some(x) => out.push(x),
            None => {
                let lp = part.to_ascii_lowercase();
                let hint = match nearest(&lp, words.iter().copied()) {
                    Some(s) if !part.is_empty() => format!("did you mean '{s}'? "),
                    _ => String::new(),
                };
                return Err(format!(
                    "'{part}' is not a {what} in '{term}' ({hint}expected one of: {})",
                    words.join(" ")
                ));
            }
        }
    }
    Ok(out)
}

fn split_op(v: &str) -> (Op, &str) {
    for (p, op) in [
        (">=", Op::Ge),
        ("<=", Op::Le),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
    ] {
        if let Some(rest) = v.strip_prefix(p) {
            return (op, rest);
        }
    }
    (Op::Eq, v)
}

fn parse_amount_cond(v: &str, term: &str) -> Result<AmountCond, String> {
    let amt = |s: &str| parse_amount(s).map_err(|_| format!("'{s}' is not an amount in '{term}'"));
    if let Some((a, b)) = v.split_once("..") {
        if a.is_empty() && b.is_empty() {
            return Err(format!(
                "'{term}' needs at least one bound, e.g. amount:100..500"
            ));
        }
        let lo = if a.is_empty() {
            Bound::Unbounded
        } else {
            Bound::Included(amt(a)?)
        };
        let hi = if b.is_empty() {
            Bound::Unbounded
        } else {
            Bound::Included(amt(b)?)
        };
        if let (Bound::Included(l), Bound::Included(h)) = (&lo, &hi) {
            if l > h {
                return Err(format!(
                    "the range in '{term}' is empty: {a} is more than {b}"
                ));
            }
        }
        return Ok(AmountCond { lo, hi });
    }
    let (op, rest) = split_op(v);
    let x = amt(rest)?;
    let (lo, hi) = match op {
        Op::Lt => (Bound::Unbounded, Bound::Excluded(x)),
        Op::Le => (Bound::Unbounded, Bound::Included(x)),
        Op::Gt => (Bound::Excluded(x), Bound::Unbounded),
        Op::Ge => (Bound::Included(x), Bound::Unbounded),
        Op::Eq => (Bound::Included(x), Bound::Included(x)),
    };
    Ok(AmountCond { lo, hi })
}

const DATE_HINT: &str = "use YYYY, YYYY-MM, YYYY-MM-DD, today, -30d or +7d";
const DUE_HINT: &str = "use days from today like 7d, -30d, 2w, or a date";

fn not_a_date(s: &str, term: &str, hint: &str) -> String {
    format!("'{s}' is not a date in '{term}' ({hint})")
}

fn parse_date_cond(v: &str, term: &str, hint: &str) -> Result<DateCond, String> {
    let spec = |s: &str| parse_date_spec(s).ok_or_else(|| not_a_date(s, term, hint));
    if let Some((a, b)) = v.split_once("..") {
        if a.is_empty() && b.is_empty() {
            return Err(format!(
                "'{term}' needs at least one date, e.g. date:2025-01-01..2025-03-31"
            ));
        }
        let lo = if a.is_empty() { None } else { Some(spec(a)?) };
        let hi = if b.is_empty() { None } else { Some(spec(b)?) };
        if let (Some(DateSpec::Fixed(l, _)), Some(DateSpec::Fixed(_, h))) = (&lo, &hi) {
            if l > h {
                return Err(format!("the range in '{term}' is empty: {a} is after {b}"));
            }
        }
        return Ok(DateCond::Range(lo, hi));
    }
    let (op, rest) = split_op(v);
    Ok(DateCond::Cmp(op, spec(rest)?))
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A fixed reference day used only to validate relative dates while parsing.
const PARSE_REFERENCE_DAY: Date = time::macros::date!(2000 - 01 - 01);

/// Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `today`/`yesterday`/`tomorrow`, or an offset in
/// days or weeks (`-30d`, `+7d`, `2w`; unsigned means ahead).
pub fn parse_date_spec(s: &str) -> Option<DateSpec> {
    let b = s.as_bytes();
    if b.len() == 4 && all_digits(s) {
        let y: i32 = s.parse().ok()?;
        let first = Date::from_calendar_date(y, Month::January, 1).ok()?;
        let last = Date::from_calendar_date(y, Month::December, 31).ok()?;
        return Some(DateSpec::Fixed(first, last));
    }
    if b.len() == 7 && b[4] == b'-' && all_digits(&s[..4]) && all_digits(&s[5..]) {
        let y: i32 = s[..4].parse().ok()?;
        let m = Month::try_from(s[5..].parse::<u8>().ok()?).ok()?;
        let first = Date::from_calendar_date(y, m, 1).ok()?;
        let last = Date::from_calendar_date(y, m, m.length(y)).ok()?;
        return Some(DateSpec::Fixed(first, last));
    }
    if b.len() == 10 && s.get(..4).is_some_and(all_digits) {
        let d = parse_date(s).ok()?;
        return Some(DateSpec::Fixed(d, d));
    }
    let t = s.to_ascii_lowercase();
    if matches!(t.as_str(), "today" | "yesterday" | "tomorrow") {
        return Some(DateSpec::Relative(t));
    }
    // An offset: optional sign, at most six digits, optional unit. Checked here so that
    // nothing out of range ever reaches the date arithmetic.
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => ("+", &t[1..]),
        Some(b'-') => ("-", &t[1..]),
        _ => ("+", t.as_str()),
    };
    let digits = rest.strip_suffix(['d', 'w']).unwrap_or(rest);
    let unit_given = digits.len() < rest.len();
    let signed = !t.starts_with(|c: char| c.is_ascii_digit());
    if !all_digits(digits) || digits.len() > 6 || !(unit_given || signed) {
        return None;
    }
    let rel = format!("{sign}{rest}");
    parse_relative_date(&rel, PARSE_REFERENCE_DAY).ok()?;
    Some(DateSpec::Relative(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(osa_distance("stauts", "status"), 1);
        assert_eq!(osa_distance("", "due"), 3);
        assert_eq!(osa_distance("amount", "amount"), 0);
        assert_eq!(nearest("stauts", field_names()), Some("status"));
        assert_eq!(nearest("zzzzzz", field_names()), None);
    }

    #[test]
    fn date_specs() {
        use time::macros::date;
        assert_eq!(
            parse_date_spec("2025-02"),
            Some(DateSpec::Fixed(
                date!(2025 - 02 - 01),
                date!(2025 - 02 - 28)
            ))
        );
        assert_eq!(
            parse_date_spec("2024"),
            Some(DateSpec::Fixed(
                date!(2024 - 01 - 01),
                date!(2024 - 12 - 31)
            ))
        );
        assert_eq!(
            parse_date_spec("7d"),
            Some(DateSpec::Relative("+7d".into()))
        );
        assert_eq!(
            parse_date_spec("-2w"),
            Some(DateSpec::Relative("-2w".into()))
        );
        assert_eq!(
            parse_date_spec("Today"),
            Some(DateSpec::Relative("today".into()))
        );
        for bad in [
            "2025-13",
            "2025-02-30",
            "7",
            "+-5d",
            "+9999999d",
            "soon",
            "",
            "d",
        ] {
            assert_eq!(parse_date_spec(bad), None, "{bad}");
        }
    }

    #[test]
    fn number_patterns() {
        let exact = NumberPattern {
            folded: "inv-1".chars().collect(),
            prefix: false,
        };
        assert!(exact.matches("INV-1"));
        assert!(!exact.matches("INV-10"));
        assert!(!exact.matches("INV-"));
        let pre = NumberPattern {
            folded: "inv-1".chars().collect(),
            prefix: true,
        };
        assert!(pre.matches("INV-10") && pre.matches("inv-1") && !pre.matches("INV-2"));
    }
}
