//! Import profiles: how another system's CSV export maps onto payments.
//!
//! A profile is a small TOML file (see the shipped ones in `src/interchange/profiles/`):
//!
//! ```toml
//! name = "xero"
//! title = "Xero bank statement CSV"
//! delimiter = ","            # one character, or "tab"
//! decimal_comma = false      # true: 1.234,56
//! thousands = ""             # thousands separator in amounts ("", ",", ".", "'", " ")
//! date_format = "%d/%m/%Y"   # %d %m %Y %b %B %H %M %S; or a list (see below)
//! skip_lines = 0             # lines before the header row
//! encoding = "auto"          # auto, utf-8, windows-1252
//! currency = "EUR"           # when the file has no currency column
//! method = "bank_transfer"   # payment method of every row (a method column overrides)
//! sign = "in_positive"       # amounts > 0 are money in; "out_positive" for the reverse
//! fee_sign = "cost"          # fee column: "cost" (> 0 is a fee we paid) or "signed"
//! fee_party = "Stripe"       # the party fees are paid to
//! party_fallback = "Bank"    # the party of rows that name none
//! detect = ["*Date", "*Amount"]   # header names that identify the layout (--profile auto)
//!
//! [columns]                  # header names; a list gives alternatives
//! date = ["*Date", "Date"]
//! amount = ["*Amount", "Amount"]
//! party = "Payee"
//! reference = "Reference"
//! notes = ["Description"]    # every listed column present, joined with " | "
//!
//! [[rules]]                  # applied in order to every row
//! column = "Type"
//! equals = ["payout"]        # or contains = [...], or unless = [...] (value not listed)
//! skip = true                # or direction = "in"|"out", party = "...", method = "..."
//! ```
//!
//! Fields of `[columns]`: `date` (required), `amount` (signed) or `debit` + `credit`
//! (required), `currency`, `party` (the first non-empty of the listed columns), `id` (the
//! source's transaction id, stored as the reference), `reference`, `notes`, `fee`,
//! `refunded` (an amount refunded later: an outgoing payment to the same party),
//! `direction` (a column saying in/out, credit/debit, CRDT/DBIT, H/S, +/-), `method`
//! (words like cash, card, bank transfer, PayPal), `invoice` (an invoice number).
//! Header names compare case-insensitively, surrounding blanks ignored.
//!
//! `date_format` may list several formats, for systems whose dates follow the account's
//! language or carry a time with or without seconds:
//! `date_format = ["%m/%d/%Y", "%d/%m/%Y"]`. A file is written in one of them: the first
//! that reads every date of the file is used for all its rows (never one format for some
//! rows and another for others). When the dates also read in a later format as other
//! days (`03/04/2026`: 4 March or 3 April), the preview says so; `--date-format` (or a
//! profile of your own) settles it.
//!
//! Users keep their own profiles as `$XDG_CONFIG_HOME/paytrack/profiles/NAME.toml`; one
//! with the name of a shipped profile replaces it.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use super::datefmt::DateFormat;
use super::encoding::Encoding;
use super::number::NumberFormat;
use crate::domain::{Currency, Direction, Method};

/// The shipped profiles: name and TOML text.
pub const SHIPPED: &[(&str, &str)] = &[
    ("bank", include_str!("profiles/bank.toml")),
    (
        "bank-debit-credit",
        include_str!("profiles/bank-debit-credit.toml"),
    ),
    ("stripe", include_str!("profiles/stripe.toml")),
    ("paypal", include_str!("profiles/paypal.toml")),
    ("invoiceninja", include_str!("profiles/invoiceninja.toml")),
    ("akaunting", include_str!("profiles/akaunting.toml")),
    ("xero", include_str!("profiles/xero.toml")),
];

/// A column of a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// Booking date.
    Date,
    /// Signed amount.
    Amount,
    /// Money out (unsigned).
    Debit,
    /// Money in (unsigned).
    Credit,
    /// Currency code.
    Currency,
    /// Counterparty.
    Party,
    /// The source's transaction id.
    Id,
    /// Reference.
    Reference,
    /// Free text.
    Notes,
    /// Provider fee.
    Fee,
    /// In or out.
    Direction,
    /// Payment method.
    Method,
    /// Amount refunded later.
    Refunded,
    /// Invoice number.
    Invoice,
}

impl Field {
    /// Every field, in the order of the message listing them.
    pub const ALL: [Field; 14] = [
        Field::Date,
        Field::Amount,
        Field::Debit,
        Field::Credit,
        Field::Currency,
        Field::Party,
        Field::Id,
        Field::Reference,
        Field::Notes,
        Field::Fee,
        Field::Direction,
        Field::Method,
        Field::Refunded,
        Field::Invoice,
    ];

    /// The name in profiles and `--map`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Field::Date => "date",
            Field::Amount => "amount",
            Field::Debit => "debit",
            Field::Credit => "credit",
            Field::Currency => "currency",
            Field::Party => "party",
            Field::Id => "id",
            Field::Reference => "reference",
            Field::Notes => "notes",
            Field::Fee => "fee",
            Field::Direction => "direction",
            Field::Method => "method",
            Field::Refunded => "refunded",
            Field::Invoice => "invoice",
        }
    }

    fn index(self) -> usize {
        Field::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

impl FromStr for Field {
    type Err = String;
    fn from_str(s: &str) -> Result<Field, String> {
        let t = s.trim().to_ascii_lowercase();
        Field::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == t)
            .ok_or_else(|| {
                format!(
                    "unknown field '{}' (expected one of: {})",
                    s.trim(),
                    Field::ALL.map(|f| f.as_str()).join(", ")
                )
            })
    }
}

/// One name or a list of names.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    fn into_vec(self) -> Vec<String> {
        match self {
            Names::One(s) => vec![s],
            Names::Many(v) => v,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnsFile {
    date: Option<Names>,
    amount: Option<Names>,
    debit: Option<Names>,
    credit: Option<Names>,
    currency: Option<Names>,
    party: Option<Names>,
    id: Option<Names>,
    reference: Option<Names>,
    notes: Option<Names>,
    fee: Option<Names>,
    direction: Option<Names>,
    method: Option<Names>,
    refunded: Option<Names>,
    invoice: Option<Names>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    column: String,
    #[serde(default)]
    equals: Vec<String>,
    #[serde(default)]
    contains: Vec<String>,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    skip: bool,
    direction: Option<String>,
    party: Option<String>,
    method: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    name: Option<String>,
    #[serde(default)]
    title: String,
    delimiter: Option<String>,
    #[serde(default)]
    decimal_comma: bool,
    thousands: Option<String>,
    date_format: Option<Names>,
    #[serde(default)]
    skip_lines: usize,
    encoding: Option<String>,
    currency: Option<String>,
    method: Option<String>,
    sign: Option<String>,
    fee_sign: Option<String>,
    fee_party: Option<String>,
    party_fallback: Option<String>,
    #[serde(default)]
    detect: Vec<String>,
    #[serde(default)]
    columns: ColumnsFile,
    #[serde(default)]
    rules: Vec<RuleFile>,
}

/// Where a profile came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Built into paytrack.
    Shipped,
    /// A file of the user's.
    File(PathBuf),
    /// Made from `--map` and friends alone.
    CommandLine,
}

/// What a rule does to a matching row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The header name of the column it looks at.
    pub column: String,
    /// The value is one of these (case-insensitive).
    pub equals: Vec<String>,
    /// The value contains one of these (case-insensitive).
    pub contains: Vec<String>,
    /// The value is none of these (case-insensitive).
    pub unless: Vec<String>,
    /// Leave the row out.
    pub skip: bool,
    /// Set the direction.
    pub direction: Option<Direction>,
    /// Set the party.
    pub party: Option<String>,
    /// Set the method.
    pub method: Option<Method>,
}

impl Rule {
    /// Whether a cell value matches.
    pub fn matches(&self, value: &str) -> bool {
        let v = value.trim().to_lowercase();
        (self.equals.is_empty() || self.equals.iter().any(|e| e.to_lowercase() == v))
            && (self.contains.is_empty()
                || self.contains.iter().any(|c| v.contains(&c.to_lowercase())))
            && (self.unless.is_empty() || !self.unless.iter().any(|e| e.to_lowercase() == v))
    }
}

/// A validated profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Name (`--profile NAME`).
    pub name: String,
    /// One line for people.
    pub title: String,
    /// Where it came from.
    pub origin: Origin,
    /// Field separator.
    pub delimiter: u8,
    /// How amounts are written.
    pub number: NumberFormat,
    /// How dates are written: one format, or alternatives of which the first that reads
    /// every date of a file is used (never empty).
    pub date_formats: Vec<DateFormat>,
    /// Lines before the header row.
    pub skip_lines: usize,
    /// Text encoding.
    pub encoding: Encoding,
    /// Currency of files without a currency column.
    pub currency: Option<Currency>,
    /// Method of every payment (unless a method column or rule says otherwise).
    pub method: Method,
    /// Positive amounts are money in.
    pub in_positive: bool,
    /// A positive fee is a fee we paid (else the fee is signed as it affects our balance).
    pub fee_is_cost: bool,
    /// The party fees go to.
    pub fee_party: String,
    /// The party of rows that name none.
    pub party_fallback: Option<String>,
    /// Header names that identify the layout.
    pub detect: Vec<String>,
    /// Header names per field (alternatives; for notes, all of them).
    columns: [Vec<String>; 14],
    /// Row rules, in order.
    pub rules: Vec<Rule>,
    /// Fields whose columns were given on the command line (`--map`).
    pub mapped: Vec<Field>,
}

/// A profile that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// No profile of that name.
    #[error("unknown profile '{name}' (available: {available})")]
    Unknown {
        /// The name asked for.
        name: String,
        /// Names of the profiles there are.
        available: String,
    },
    /// The file is not a valid profile.
    #[error("profile {where_}: {message}")]
    Invalid {
        /// Name and file.
        where_: String,
        /// What is wrong.
        message: String,
    },
}

fn invalid(where_: &str, message: impl Into<String>) -> ProfileError {
    ProfileError::Invalid {
        where_: where_.to_string(),
        message: message.into(),
    }
}

/// Parses a delimiter: one character, `tab` or `\t`.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => return Ok(b'\t'),
        "semicolon" => return Ok(b';'),
        "comma" => return Ok(b','),
        _ => {}
    }
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii() && c != '"' && c != '\n' && c != '\r' => Ok(c as u8),
        _ => Err(format!(
            "delimiter '{s}' must be one ASCII character other than a quote (or 'tab')"
        )),
    }
}

fn parse_thousands(s: &str) -> Result<Option<char>, String> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c @ (',' | '.' | '\'' | ' ' | '\u{a0}' | '\u{202f}')), None) => Ok(Some(c)),
        _ => Err(format!(
            "thousands separator '{s}' must be one of , . ' or a space"
        )),
    }
}

fn parse_direction(s: &str) -> Result<Direction, String> {
    s.parse::<Direction>().map_err(|e| e.to_string())
}

fn parse_method(s: &str) -> Result<Method, String> {
    s.parse::<Method>().map_err(|e| e.to_string())
}

impl Profile {
    /// A profile from TOML text. `origin` and `fallback_name` (the file stem) are used
    /// when the text has no `name`.
    pub fn from_toml(
        text: &str,
        origin: Origin,
        fallback_name: &str,
    ) -> Result<Profile, ProfileError> {
        let where_ = match &origin {
            Origin::File(p) => format!("'{fallback_name}' ({})", p.display()),
            _ => format!("'{fallback_name}'"),
        };
        let f: ProfileFile =
            toml::from_str(text).map_err(|e| invalid(&where_, e.to_string().trim_end()))?;
        let name = f.name.clone().unwrap_or_else(|| fallback_name.to_string());
        let bad = |m: String| invalid(&where_, m);
        let delimiter = parse_delimiter(f.delimiter.as_deref().unwrap_or(",")).map_err(bad)?;
        let thousands = match &f.thousands {
            Some(t) => parse_thousands(t).map_err(bad)?,
            None if f.decimal_comma => Some('.'),
            None => None,
        };
        let number = NumberFormat {
            decimal: if f.decimal_comma { ',' } else { '.' },
            thousands,
        };
        if thousands == Some(number.decimal) {
            return Err(bad(
                "the thousands separator cannot be the decimal separator".into(),
            ));
        }
        let date_formats = match f.date_format.clone() {
            None => vec![DateFormat::new("%Y-%m-%d").map_err(bad)?],
            Some(n) => {
                let v = n.into_vec();
                if v.is_empty() {
                    return Err(bad("date_format: the list is empty".into()));
                }
                v.iter()
                    .map(|t| DateFormat::new(t))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(bad)?
            }
        };
        let encoding = match &f.encoding {
            Some(e) => e.parse().map_err(bad)?,
            None => Encoding::Auto,
        };
        let currency = match &f.currency {
            Some(c) => Some(c.parse::<Currency>().map_err(|e| bad(e.to_string()))?),
            None => None,
        };
        let method = match &f.method {
            Some(m) => parse_method(m).map_err(bad)?,
            None => Method::Other,
        };
        let in_positive = match f.sign.as_deref().unwrap_or("in_positive") {
            "in_positive" => true,
            "out_positive" => false,
            o => {
                return Err(bad(format!(
                    "sign '{o}' must be in_positive or out_positive"
                )))
            }
        };
        let fee_is_cost = match f.fee_sign.as_deref().unwrap_or("cost") {
            "cost" => true,
            "signed" => false,
            o => return Err(bad(format!("fee_sign '{o}' must be cost or signed"))),
        };
        let c = f.columns;
        let mut columns: [Vec<String>; 14] = Default::default();
        for (field, names) in [
            (Field::Date, c.date),
            (Field::Amount, c.amount),
            (Field::Debit, c.debit),
            (Field::Credit, c.credit),
            (Field::Currency, c.currency),
            (Field::Party, c.party),
            (Field::Id, c.id),
            (Field::Reference, c.reference),
            (Field::Notes, c.notes),
            (Field::Fee, c.fee),
            (Field::Direction, c.direction),
            (Field::Method, c.method),
            (Field::Refunded, c.refunded),
            (Field::Invoice, c.invoice),
        ] {
            if let Some(n) = names {
                let v = n.into_vec();
                if v.iter().any(|s| s.trim().is_empty()) {
                    return Err(bad(format!(
                        "columns.{}: empty column name",
                        field.as_str()
                    )));
                }
                columns[field.index()] = v;
            }
        }
        let mut rules = Vec::with_capacity(f.rules.len());
        for (i, r) in f.rules.into_iter().enumerate() {
            let n = i + 1;
            if r.equals.is_empty() && r.contains.is_empty() && r.unless.is_empty() {
                return Err(bad(format!(
                    "rule {n} (column '{}') needs equals, contains or unless",
                    r.column
                )));
            }
            if !r.skip && r.direction.is_none() && r.party.is_none() && r.method.is_none() {
                return Err(bad(format!(
                    "rule {n} (column '{}') does nothing: give skip, direction, party or method",
                    r.column
                )));
            }
            rules.push(Rule {
                column: r.column,
                equals: r.equals,
                contains: r.contains,
                unless: r.unless,
                skip: r.skip,
                direction: r
                    .direction
                    .as_deref()
                    .map(parse_direction)
                    .transpose()
                    .map_err(|m| bad(format!("rule {n}: {m}")))?,
                party: r.party,
                method: r
                    .method
                    .as_deref()
                    .map(parse_method)
                    .transpose()
                    .map_err(|m| bad(format!("rule {n}: {m}")))?,
            });
        }
        let p = Profile {
            name,
            title: f.title,
            origin,
            delimiter,
            number,
            date_formats,
            skip_lines: f.skip_lines,
            encoding,
            currency,
            method,
            in_positive,
            fee_is_cost,
            fee_party: f.fee_party.unwrap_or_else(|| "Fees".to_string()),
            party_fallback: f.party_fallback.filter(|s| !s.trim().is_empty()),
            detect: f.detect,
            columns,
            rules,
            mapped: Vec::new(),
        };
        p.check().map_err(bad)?;
        Ok(p)
    }

    /// A profile for `--map` alone: comma separated, ISO dates, no columns yet.
    pub fn command_line() -> Profile {
        Profile {
            name: "custom".into(),
            title: "columns given with --map".into(),
            origin: Origin::CommandLine,
            delimiter: b',',
            number: NumberFormat::default(),
            date_formats: vec![DateFormat::new("%Y-%m-%d").unwrap_or_else(|_| unreachable!())],
            skip_lines: 0,
            encoding: Encoding::Auto,
            currency: None,
            method: Method::Other,
            in_positive: true,
            fee_is_cost: true,
            fee_party: "Fees".into(),
            party_fallback: None,
            detect: Vec::new(),
            columns: Default::default(),
            rules: Vec::new(),
            mapped: Vec::new(),
        }
    }

    /// The header names of a field (empty when the profile does not map it).
    pub fn columns(&self, f: Field) -> &[String] {
        &self.columns[f.index()]
    }

    /// Replaces the columns of a field (from `--map`).
    pub fn set_columns(&mut self, f: Field, names: Vec<String>) {
        self.columns[f.index()] = names;
        if !self.mapped.contains(&f) {
            self.mapped.push(f);
        }
    }

    /// Applies `--map FIELD=COLUMN` pairs: the first pair of a field replaces the
    /// profile's columns, later ones add alternatives (for notes: more columns). Mapping
    /// `amount` drops debit and credit and the other way round.
    pub fn apply_maps(&mut self, maps: &[(Field, String)]) {
        let mut seen: Vec<Field> = Vec::new();
        for (f, col) in maps {
            if seen.contains(f) {
                self.columns[f.index()].push(col.clone());
                continue;
            }
            seen.push(*f);
            match f {
                Field::Amount => {
                    self.columns[Field::Debit.index()].clear();
                    self.columns[Field::Credit.index()].clear();
                }
                Field::Debit | Field::Credit => self.columns[Field::Amount.index()].clear(),
                _ => {}
            }
            self.set_columns(*f, vec![col.clone()]);
        }
    }

    /// Checks that the profile can produce payments at all.
    pub fn check(&self) -> Result<(), String> {
        if self.columns(Field::Date).is_empty() {
            return Err("no date column (columns.date, or --map date=COLUMN)".into());
        }
        let amount = !self.columns(Field::Amount).is_empty();
        let dc = (
            !self.columns(Field::Debit).is_empty(),
            !self.columns(Field::Credit).is_empty(),
        );
        match (amount, dc) {
            (true, (false, false)) | (false, (true, true)) => {}
            (false, (false, false)) => {
                return Err(
                    "no amount column (columns.amount, or debit and credit; --map amount=COLUMN)"
                        .into(),
                )
            }
            (true, _) => {
                return Err(
                    "give either an amount column or debit and credit columns, not both".into(),
                )
            }
            (false, _) => return Err("debit and credit columns go together: give both".into()),
        }
        if self.columns(Field::Party).is_empty() && self.party_fallback.is_none() {
            return Err(
                "no party column (columns.party, or --map party=COLUMN) and no party_fallback"
                    .into(),
            );
        }
        Ok(())
    }

    /// Whether the profile is usable on a file with this header row, and how well it
    /// fits: `None` when a `detect` name or a required column is missing, else the number
    /// of header names it recognises.
    pub fn fit(&self, header: &[String]) -> Option<usize> {
        let has = |name: &str| {
            header
                .iter()
                .any(|h| h.trim().eq_ignore_ascii_case(name.trim()))
        };
        if !self.detect.iter().all(|d| has(d)) {
            return None;
        }
        let resolvable = |f: Field| self.columns(f).iter().any(|n| has(n));
        let required_amount = if self.columns(Field::Amount).is_empty() {
            resolvable(Field::Debit) && resolvable(Field::Credit)
        } else {
            resolvable(Field::Amount)
        };
        if !resolvable(Field::Date) || !required_amount {
            return None;
        }
        if self.party_fallback.is_none() && !resolvable(Field::Party) {
            return None;
        }
        let known = header
            .iter()
            .filter(|h| {
                Field::ALL.iter().any(|f| {
                    self.columns(*f)
                        .iter()
                        .any(|n| n.trim().eq_ignore_ascii_case(h.trim()))
                }) || self
                    .rules
                    .iter()
                    .any(|r| r.column.trim().eq_ignore_ascii_case(h.trim()))
            })
            .count();
        Some(known + 2 * self.detect.len())
    }
}

/// The shipped profiles, parsed.
pub fn shipped() -> Vec<Profile> {
    SHIPPED
        .iter()
        .filter_map(|(name, text)| Profile::from_toml(text, Origin::Shipped, name).ok())
        .collect()
}

/// The user's profile files in `dir`: `(stem, path)`, sorted by name.
fn user_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml") {
                if let Some(stem) = p.file_stem().and_then(|s| s.to_str()) {
                    out.push((stem.to_string(), p.clone()));
                }
            }
        }
    }
    out.sort();
    out
}

fn read_user(stem: &str, path: &Path) -> Result<Profile, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        invalid(
            &format!("'{stem}' ({})", path.display()),
            format!("cannot read: {e}"),
        )
    })?;
    Profile::from_toml(&text, Origin::File(path.to_path_buf()), stem)
}

/// Every profile there is: the user's (from `user_dir`) first, then the shipped ones
/// that no user profile replaces. Broken user files are returned as errors beside.
pub fn all(user_dir: Option<&Path>) -> (Vec<Profile>, Vec<ProfileError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    if let Some(dir) = user_dir {
        for (stem, path) in user_files(dir) {
            match read_user(&stem, &path) {
                Ok(p) => out.push(p),
                Err(e) => errors.push(e),
            }
        }
    }
    for p in shipped() {
        if !out.iter().any(|u: &Profile| u.name == p.name) {
            out.push(p);
        }
    }
    (out, errors)
}

/// Loads a profile by name (a user file `NAME.toml` in `user_dir` first, then the shipped
/// ones) or by path (a name containing `/` or ending in `.toml`).
pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Profile, ProfileError> {
    let as_path = Path::new(name);
    if name.contains('/') || name.ends_with(".toml") {
        let stem = as_path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(name)
            .to_string();
        return read_user(&stem, as_path);
    }
    if let Some(dir) = user_dir {
        let p = dir.join(format!("{name}.toml"));
        if p.is_file() {
            return read_user(name, &p);
        }
    }
    if let Some((n, text)) = SHIPPED.iter().find(|(n, _)| *n == name) {
        return Profile::from_toml(text, Origin::Shipped, n);
    }
    let mut names: Vec<String> = SHIPPED.iter().map(|(n, _)| n.to_string()).collect();
    if let Some(dir) = user_dir {
        for (stem, _) in user_files(dir) {
            if !names.contains(&stem) {
                names.push(stem);
            }
        }
    }
    names.push("auto".into());
    Err(ProfileError::Unknown {
        name: name.to_string(),
        available: names.join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_profile_is_valid() {
        for (name, text) in SHIPPED {
            let p = Profile::from_toml(text, Origin::Shipped, name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&p.name, name);
            assert!(!p.title.is_empty(), "{name} has a title");
            assert!(!p.detect.is_empty(), "{name} can be detected");
        }
        assert_eq!(shipped().len(), SHIPPED.len());
    }

    #[test]
    fn invalid_profiles_say_what_is_wrong() {
        let e = |t: &str| {
            Profile::from_toml(t, Origin::Shipped, "x")
                .unwrap_err()
                .to_string()
        };
        assert!(e("name = 'x'\n[columns]\namount = 'A'").contains("no date column"));
        assert!(e("[columns]\ndate='D'\nparty='P'").contains("no amount column"));
        assert!(e("[columns]\ndate='D'\nparty='P'\ndebit='X'").contains("go together"));
        assert!(e("[columns]\ndate='D'\namount='A'").contains("no party column"));
        assert!(
            e("date_format='%d/%y'\n[columns]\ndate='D'\namount='A'\nparty='P'").contains("%y")
        );
        assert!(
            e("delimiter='ab'\n[columns]\ndate='D'\namount='A'\nparty='P'").contains("delimiter")
        );
        assert!(
            e("date_format=[]\n[columns]\ndate='D'\namount='A'\nparty='P'")
                .contains("list is empty")
        );
        assert!(e(
            "date_format=['%Y-%m-%d','%d/%q/%Y']\n[columns]\ndate='D'\namount='A'\nparty='P'"
        )
        .contains("'%q'"));
        let p = Profile::from_toml(
            "date_format=['%m/%d/%Y','%d/%m/%Y']\n[columns]\ndate='D'\namount='A'\nparty='P'",
            Origin::Shipped,
            "x",
        )
        .unwrap();
        let f: Vec<&str> = p.date_formats.iter().map(DateFormat::as_str).collect();
        assert_eq!(f, ["%m/%d/%Y", "%d/%m/%Y"]);
        assert!(e("colour='red'").contains("colour"));
        assert!(
            e("[columns]\ndate='D'\namount='A'\nparty='P'\n[[rules]]\ncolumn='T'\nskip=true")
                .contains("needs equals")
        );
        assert!(e("[columns]\ndate='D'\namount='A'\nparty='P'\n[[rules]]\ncolumn='T'\nequals=['x']\ndirection='up'")
            .contains("rule 1"));
    }

    #[test]
    fn rules_match_case_insensitively() {
        let r = Rule {
            column: "Type".into(),
            equals: vec![],
            contains: vec!["Withdrawal".into()],
            unless: vec![],
            skip: true,
            direction: None,
            party: None,
            method: None,
        };
        assert!(r.matches("General WITHDRAWAL"));
        assert!(!r.matches("Payment"));
        let u = Rule {
            unless: vec!["Completed".into()],
            contains: vec![],
            ..r
        };
        assert!(u.matches("Pending"));
        assert!(!u.matches(" completed "));
    }

    #[test]
    fn user_profiles_replace_shipped_ones_and_load_by_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("xero.toml"),
            "title='mine'\ndetect=['When']\n[columns]\ndate='When'\namount='How much'\nparty='Who'\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.toml"), "[columns\n").unwrap();
        let p = load("xero", Some(dir.path())).unwrap();
        assert_eq!(p.title, "mine");
        assert!(matches!(p.origin, Origin::File(_)));
        let (all, errors) = all(Some(dir.path()));
        assert_eq!(all.iter().filter(|p| p.name == "xero").count(), 1);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().contains("broken.toml"),
            "{}",
            errors[0]
        );
        let e = load("nope", Some(dir.path())).unwrap_err().to_string();
        assert!(
            e.contains("unknown profile 'nope'") && e.contains("stripe"),
            "{e}"
        );
        let by_path = dir.path().join("xero.toml");
        assert_eq!(load(by_path.to_str().unwrap(), None).unwrap().title, "mine");
    }
}
