//! Import logic shared by the CSV and JSON readers: turning one row of cells into a
//! record, resolving party names, and collecting the plan.
//!
//! A reader maps its columns (or JSON keys) onto the slots of a [`Schema`] and calls
//! [`RowSink::row`] with one `&str` per slot (`""` for an absent column).

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::domain::ledger::{name_key, FastBuildHasher, Ledger};
use crate::domain::{
    check_compatible, parse_date, parse_positive_amount, Allocation, Change, ChangeSet, Currency,
    Direction, IdSeq, Invoice, InvoiceKind, Method, Party, PartyId, PartyRole, Payment, SourceKey,
};

use super::fingerprint::{content_key, Days, Existing, Key};
use super::{fast_date, unneutralise, ImportError, ImportPlan};

/// The most slots any schema has.
pub(crate) const MAX_COLUMNS: usize = 11;

/// The columns of one layout.
pub(crate) struct Schema {
    /// Column (and JSON key) names, in export order.
    pub columns: &'static [&'static str],
    /// `columns[..required]` must be present in a CSV header.
    pub required: usize,
    /// `columns[derived..]` are derived on export and (mostly) ignored on import.
    pub derived: usize,
}

impl Schema {
    /// The slot of a column name (case-insensitive, surrounding blanks ignored).
    pub fn slot(&self, name: &str) -> Option<usize> {
        let n = name.trim();
        self.columns.iter().position(|c| c.eq_ignore_ascii_case(n))
    }

    /// The column names joined for messages.
    pub fn list(&self) -> String {
        self.columns[..self.derived].join(", ")
    }
}

/// Invoice slots.
pub(crate) mod inv {
    pub const NUMBER: usize = 0;
    pub const PARTY: usize = 1;
    pub const KIND: usize = 2;
    pub const ISSUE_DATE: usize = 3;
    pub const DUE_DATE: usize = 4;
    pub const AMOUNT: usize = 5;
    pub const CURRENCY: usize = 6;
    pub const NOTES: usize = 7;
    pub const STATUS: usize = 8;
}

/// `invoices.csv`.
pub(crate) static INVOICES: Schema = Schema {
    columns: &[
        "number",
        "party",
        "kind",
        "issue_date",
        "due_date",
        "amount",
        "currency",
        "notes",
        "status",
        "outstanding",
    ],
    required: 7,
    derived: 8,
};

/// Payment slots.
pub(crate) mod pay {
    pub const DATE: usize = 0;
    pub const PARTY: usize = 1;
    pub const DIRECTION: usize = 2;
    pub const AMOUNT: usize = 3;
    pub const CURRENCY: usize = 4;
    pub const METHOD: usize = 5;
    pub const REFERENCE: usize = 6;
    pub const INVOICE: usize = 7;
    pub const NOTES: usize = 8;
    /// JSON only: the fingerprint of the payment's source row.
    pub const SOURCE: usize = 10;
}

/// The `source` cell of a payment that has no fingerprint (JSON `null`: entered by hand).
/// An empty or absent one (a CSV file, JSON written by hand) makes the row's content key
/// the payment's fingerprint.
pub(crate) const NO_SOURCE: &str = "none";

/// `payments.csv`.
pub(crate) static PAYMENTS: Schema = Schema {
    columns: &[
        "date",
        "party",
        "direction",
        "amount",
        "currency",
        "method",
        "reference",
        "invoice",
        "notes",
        "unallocated",
    ],
    required: 5,
    derived: 9,
};

/// Payments as JSON: the CSV columns and the fingerprint of an imported payment's source
/// row (`null` for one entered by hand), so that export → import keeps it.
pub(crate) static PAYMENTS_JSON: Schema = Schema {
    columns: &[
        "date",
        "party",
        "direction",
        "amount",
        "currency",
        "method",
        "reference",
        "invoice",
        "notes",
        "unallocated",
        "source",
    ],
    required: 5,
    derived: 9,
};

/// Party slots.
pub(crate) mod par {
    pub const NAME: usize = 0;
    pub const ROLE: usize = 1;
    pub const EMAIL: usize = 2;
    pub const TERMS_DAYS: usize = 3;
    pub const NOTES: usize = 4;
}

/// `parties.csv`.
pub(crate) static PARTIES: Schema = Schema {
    columns: &["name", "role", "email", "terms_days", "notes"],
    required: 1,
    derived: 5,
};

/// Receives validated rows and builds the plan.
pub(crate) trait RowSink {
    /// The layout this sink reads.
    fn schema(&self) -> &'static Schema;
    /// Validates one row; `cells[i]` is the value of slot `i`.
    fn row(&mut self, line: u64, cells: &[&str]) -> Result<(), ImportError>;
    /// The plan for all rows seen.
    fn finish(self) -> ImportPlan;
}

/// What every sink needs.
pub(crate) struct Ctx<'a> {
    pub source: &'a str,
    pub ledger: &'a Ledger,
    pub ids: IdSeq,
    /// CSV: strip one leading `'` from text cells (spreadsheet neutralisation).
    pub strip_quote: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(source: &'a str, ledger: &'a Ledger, ids: &IdSeq, strip_quote: bool) -> Self {
        let mut ids = *ids;
        ids.cover(ledger);
        Ctx {
            source,
            ledger,
            ids,
            strip_quote,
        }
    }

    /// The same context, for another pass over the same file.
    pub fn again(&self) -> Self {
        Ctx {
            source: self.source,
            ledger: self.ledger,
            ids: self.ids,
            strip_quote: self.strip_quote,
        }
    }

    /// A text cell as the user meant it.
    #[inline]
    pub fn text<'c>(&self, s: &'c str) -> &'c str {
        if self.strip_quote {
            unneutralise(s)
        } else {
            s
        }
    }

    pub fn err(&self, line: u64, field: &str, msg: impl Into<String>) -> ImportError {
        ImportError::new(self.source, line, Some(field), msg)
    }
}

/// Parses a required word (`kind`, `direction`...), with a clear message when empty.
fn word<T: std::str::FromStr<Err = crate::domain::DomainError>>(
    s: &str,
    what: &str,
) -> Result<T, String> {
    if s.trim().is_empty() {
        return Err(format!("the {what} is empty"));
    }
    s.parse::<T>().map_err(|e| e.to_string())
}

fn date(s: &str, what: &str) -> Result<time::Date, String> {
    if let Some(d) = fast_date(s) {
        return Ok(d);
    }
    if s.trim().is_empty() {
        return Err(format!("the {what} is empty"));
    }
    parse_date(s).map_err(|e| e.to_string())
}

fn positive_amount(s: &str) -> Result<Decimal, String> {
    if s.trim().is_empty() {
        return Err("the amount is empty".into());
    }
    parse_positive_amount(s).map_err(|e| e.to_string())
}

fn check_fits(s: &str, d: Decimal, cur: Currency) -> Result<(), String> {
    if cur.fits(d) {
        Ok(())
    } else {
        let n = cur.minor_units();
        Err(format!(
            "'{}' has more decimals than {cur} allows ({n} {})",
            s.trim(),
            if n == 1 { "decimal" } else { "decimals" }
        ))
    }
}

/// One party named in a file.
struct Named<'l> {
    id: PartyId,
    existing: Option<&'l Party>,
    name: String,
    role: PartyRole,
}

/// Resolves party names to ids, creating one new party per distinct (case-insensitive)
/// name and widening the role of existing parties used in the other role.
pub(crate) struct PartyResolver<'l> {
    ledger: &'l Ledger,
    /// Exact cell text → entry; the fast path, no allocation per row.
    by_raw: HashMap<Box<str>, usize, FastBuildHasher>,
    /// Lower-cased name → entry.
    by_key: HashMap<String, usize, FastBuildHasher>,
    entries: Vec<Named<'l>>,
}

impl<'l> PartyResolver<'l> {
    pub fn new(ledger: &'l Ledger) -> Self {
        PartyResolver {
            ledger,
            by_raw: HashMap::default(),
            by_key: HashMap::default(),
            entries: Vec::new(),
        }
    }

    /// The id for the party named `raw`, used in `role`.
    pub fn resolve(
        &mut self,
        raw: &str,
        role: PartyRole,
        ids: &mut IdSeq,
    ) -> Result<PartyId, String> {
        if let Some(&i) = self.by_raw.get(raw) {
            let e = &mut self.entries[i];
            e.role = e.role.merge(role);
            return Ok(e.id);
        }
        let name = raw.trim();
        if name.is_empty() {
            return Err("the party name is empty".into());
        }
        let key = name_key(name);
        let i = match self.by_key.get(&key) {
            Some(&i) => i,
            None => {
                let entry = match self.ledger.party_by_name(name) {
                    Some(p) => Named {
                        id: p.id,
                        existing: Some(p),
                        name: p.name.clone(),
                        role: p.role,
                    },
                    None => Named {
                        id: ids.next_party(),
                        existing: None,
                        name: name.to_string(),
                        role,
                    },
                };
                self.entries.push(entry);
                let i = self.entries.len() - 1;
                self.by_key.insert(key, i);
                i
            }
        };
        self.by_raw.insert(raw.into(), i);
        let e = &mut self.entries[i];
        e.role = e.role.merge(role);
        Ok(e.id)
    }

    /// Pushes the party changes and returns how many parties are new.
    pub fn finish(self, changes: &mut Vec<Change>) -> usize {
        let mut new = 0;
        for e in self.entries {
            match e.existing {
                None => {
                    new += 1;
                    changes.push(Change::PutParty(Party {
                        id: e.id,
                        name: e.name,
                        role: e.role,
                        email: String::new(),
                        terms_days: None,
                        notes: String::new(),
                    }));
                }
                Some(p) if p.role != e.role => {
                    let mut p = p.clone();
                    p.role = e.role;
                    changes.push(Change::PutParty(p));
                }
                Some(_) => {}
            }
        }
        new
    }
}

/// Puts the party changes in front of the record changes (in place: the records are not
/// copied into a new vector). Returns the changes and the number of new parties.
fn with_parties(parties: PartyResolver<'_>, mut records: Vec<Change>) -> (Vec<Change>, usize) {
    let mut front = Vec::new();
    let new = parties.finish(&mut front);
    if !front.is_empty() {
        records.splice(0..0, front);
    }
    (records, new)
}

fn plan(ctx: Ctx<'_>, changes: Vec<Change>, records: usize, new_parties: usize) -> ImportPlan {
    ImportPlan {
        changes: ChangeSet {
            changes,
            ids: Some(ctx.ids),
        },
        records,
        new_parties,
        duplicates: Vec::new(),
    }
}

/// Builds invoices.
pub(crate) struct InvoiceSink<'a> {
    ctx: Ctx<'a>,
    parties: PartyResolver<'a>,
    /// `PutInvoice` changes, in file order.
    invoices: Vec<Change>,
    /// Numbers seen in this file → line (hashed like the ledger's own number index:
    /// SipHash was a tenth of an import's time).
    seen: HashMap<Box<str>, u64, FastBuildHasher>,
}

impl<'a> InvoiceSink<'a> {
    pub fn new(ctx: Ctx<'a>) -> Self {
        InvoiceSink {
            parties: PartyResolver::new(ctx.ledger),
            ctx,
            invoices: Vec::new(),
            seen: HashMap::default(),
        }
    }
}

impl RowSink for InvoiceSink<'_> {
    fn schema(&self) -> &'static Schema {
        &INVOICES
    }

    fn row(&mut self, line: u64, c: &[&str]) -> Result<(), ImportError> {
        let mut invoice = match invoice_row(&self.ctx, line, c) {
            Ok(i) => i,
            Err(RowError { err, number }) => {
                if let Some(n) = number {
                    self.check_twice(&n, line)?;
                }
                return Err(err);
            }
        };
        self.check_twice(&invoice.number, line)?;
        let role = PartyRole::for_direction(invoice.kind.direction());
        invoice.party = self
            .parties
            .resolve(self.ctx.text(c[inv::PARTY]), role, &mut self.ctx.ids)
            .map_err(|m| self.ctx.err(line, "party", m))?;
        invoice.id = self.ctx.ids.next_invoice();
        self.seen.insert(invoice.number.as_str().into(), line);
        self.invoices.push(Change::PutInvoice(invoice));
        Ok(())
    }

    fn finish(self) -> ImportPlan {
        let records = self.invoices.len();
        let (changes, new_parties) = with_parties(self.parties, self.invoices);
        plan(self.ctx, changes, records, new_parties)
    }
}

impl InvoiceSink<'_> {
    fn check_twice(&self, number: &str, line: u64) -> Result<(), ImportError> {
        match self.seen.get(number) {
            Some(first) => Err(twice(&self.ctx, number, line, *first)),
            None => Ok(()),
        }
    }
}

fn twice(ctx: &Ctx<'_>, number: &str, line: u64, first: u64) -> ImportError {
    ctx.err(
        line,
        "number",
        format!("invoice '{number}' appears twice in the file (first on line {first})"),
    )
}

/// A row refused by its own checks. With `number`, the check that the number is not
/// repeated in the file comes first (it depends on the rows before).
pub(crate) struct RowError {
    pub err: ImportError,
    pub number: Option<String>,
}

/// Every check of an invoice row that depends on nothing but the row and the ledger, in
/// the order the messages take precedence (the repeat check falls between the number's
/// own checks and the rest). The invoice's id and party are left for the caller.
fn invoice_row(ctx: &Ctx<'_>, line: u64, c: &[&str]) -> Result<Invoice, RowError> {
    let number = ctx.text(c[inv::NUMBER]).trim();
    let early = |err| RowError { err, number: None };
    if number.is_empty() {
        return Err(early(ctx.err(
            line,
            "number",
            "the invoice number is empty",
        )));
    }
    if ctx.ledger.invoice_by_number(number).is_some() {
        return Err(early(ctx.err(
            line,
            "number",
            format!("invoice '{number}' already exists"),
        )));
    }
    let late = |err| RowError {
        err,
        number: Some(number.to_string()),
    };
    let kind: InvoiceKind =
        word(c[inv::KIND], "kind").map_err(|m| late(ctx.err(line, "kind", m)))?;
    let issue_date =
        date(c[inv::ISSUE_DATE], "issue date").map_err(|m| late(ctx.err(line, "issue_date", m)))?;
    let due_date =
        date(c[inv::DUE_DATE], "due date").map_err(|m| late(ctx.err(line, "due_date", m)))?;
    if due_date < issue_date {
        return Err(late(ctx.err(
            line,
            "due_date",
            format!(
                "due date {} is before the issue date {}",
                c[inv::DUE_DATE].trim(),
                c[inv::ISSUE_DATE].trim()
            ),
        )));
    }
    let amount = positive_amount(c[inv::AMOUNT]).map_err(|m| late(ctx.err(line, "amount", m)))?;
    let currency: Currency =
        word(c[inv::CURRENCY], "currency").map_err(|m| late(ctx.err(line, "currency", m)))?;
    check_fits(c[inv::AMOUNT], amount, currency).map_err(|m| late(ctx.err(line, "amount", m)))?;
    let notes = ctx.text(c[inv::NOTES]).to_string();
    let void = c[inv::STATUS].trim().eq_ignore_ascii_case("void");
    if ctx.text(c[inv::PARTY]).trim().is_empty() {
        return Err(late(ctx.err(line, "party", "the party name is empty")));
    }
    Ok(Invoice {
        id: crate::domain::InvoiceId(0),
        number: number.to_string(),
        party: PartyId(0),
        kind,
        issue_date,
        due_date,
        amount,
        currency,
        notes,
        void,
    })
}

/// Parses the `invoice` cell: empty, one number (the whole amount), or a split
/// `NUMBER=AMOUNT;NUMBER=AMOUNT`.
fn allocations(
    ledger: &Ledger,
    cell: &str,
    amount: Decimal,
    currency: Currency,
) -> Result<Vec<Allocation>, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(Vec::new());
    }
    let lookup = |number: &str| {
        ledger
            .invoice_by_number(number)
            .map(|i| i.id)
            .ok_or_else(|| format!("no invoice '{number}' exists"))
    };
    if !cell.contains('=') {
        return match lookup(cell) {
            Ok(invoice) => Ok(vec![Allocation { invoice, amount }]),
            Err(_) if cell.contains(';') => Err(format!(
                "'{cell}' is not an invoice number; a split needs an amount for each part \
                 (NUMBER=AMOUNT;NUMBER=AMOUNT)"
            )),
            Err(e) => Err(e),
        };
    }
    let mut out = Vec::with_capacity(2);
    for part in cell.split(';') {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!(
                "empty part in the split '{cell}' (expected NUMBER=AMOUNT;NUMBER=AMOUNT)"
            ));
        }
        let (number, amt) = part
            .rsplit_once('=')
            .ok_or_else(|| format!("split part '{part}' has no amount (expected NUMBER=AMOUNT)"))?;
        let number = number.trim();
        if number.is_empty() {
            return Err(format!(
                "split part '{part}' has no invoice number (expected NUMBER=AMOUNT)"
            ));
        }
        if amt.trim().is_empty() {
            return Err(format!(
                "split part '{part}' has no amount (expected NUMBER=AMOUNT)"
            ));
        }
        let a = parse_positive_amount(amt).map_err(|e| format!("split part '{part}': {e}"))?;
        check_fits(amt, a, currency).map_err(|e| format!("split part '{part}': {e}"))?;
        out.push(Allocation {
            invoice: lookup(number)?,
            amount: a,
        });
    }
    Ok(out)
}

/// The check of a payment's allocations that needs its party, made once the party is
/// known.
pub(crate) enum AllocCheck<'l> {
    /// No allocations.
    Nothing,
    /// The common case, one allocation within the amount: compatible with `inv` when the
    /// payment's party is `party`, and then `rest` is the outcome.
    One {
        inv: &'l Invoice,
        party: PartyId,
        rest: Result<(), String>,
    },
    /// A split: the full validation.
    Validate,
}

impl AllocCheck<'_> {
    fn finish(&self, p: &Payment, ledger: &Ledger) -> Result<(), String> {
        match self {
            AllocCheck::Nothing => Ok(()),
            AllocCheck::One { inv, party, rest } => {
                if p.party == *party {
                    rest.clone()
                } else {
                    check_compatible(p, inv).map_err(|e| e.to_string())
                }
            }
            AllocCheck::Validate => p
                .validate(|id| ledger.invoice(id))
                .map_err(|e| e.to_string()),
        }
    }
}

/// Every check of a payment row that depends on nothing but the row and the ledger, in
/// the order of precedence of their messages; the allocations' check against the party
/// is returned for the caller, who sets the payment's id and party.
fn payment_row<'l>(
    ctx: &Ctx<'l>,
    line: u64,
    c: &[&str],
) -> Result<(Payment, AllocCheck<'l>), ImportError> {
    let date = date(c[pay::DATE], "date").map_err(|m| ctx.err(line, "date", m))?;
    let direction: Direction =
        word(c[pay::DIRECTION], "direction").map_err(|m| ctx.err(line, "direction", m))?;
    let amount = positive_amount(c[pay::AMOUNT]).map_err(|m| ctx.err(line, "amount", m))?;
    let currency: Currency =
        word(c[pay::CURRENCY], "currency").map_err(|m| ctx.err(line, "currency", m))?;
    check_fits(c[pay::AMOUNT], amount, currency).map_err(|m| ctx.err(line, "amount", m))?;
    let method = if c[pay::METHOD].trim().is_empty() {
        Method::Other
    } else {
        c[pay::METHOD]
            .parse::<Method>()
            .map_err(|e| ctx.err(line, "method", e.to_string()))?
    };
    let allocations = allocations(ctx.ledger, ctx.text(c[pay::INVOICE]), amount, currency)
        .map_err(|m| ctx.err(line, "invoice", m))?;
    let reference = ctx.text(c[pay::REFERENCE]).to_string();
    let notes = ctx.text(c[pay::NOTES]).to_string();
    let party = ctx.text(c[pay::PARTY]);
    if party.trim().is_empty() {
        return Err(ctx.err(line, "party", "the party name is empty"));
    }
    // The fingerprint: the one an export wrote (JSON; none for a payment entered by
    // hand), else the row's content key.
    let source = match c.get(pay::SOURCE).map(|s| s.trim()) {
        Some(NO_SOURCE) => None,
        Some(s) if !s.is_empty() => Some(
            s.parse::<SourceKey>()
                .map_err(|m| ctx.err(line, "source", m))?,
        ),
        _ => Some(SourceKey::from(Key::Content(content_key(
            date,
            direction,
            currency,
            amount,
            Some(party),
            &reference,
        )))),
    };
    let mut p = Payment {
        id: crate::domain::PaymentId(0),
        party: PartyId(0),
        direction,
        amount,
        currency,
        date,
        method,
        reference,
        notes,
        allocations,
        source,
    };
    let ledger = ctx.ledger;
    let check = match p.allocations.as_slice() {
        [] => AllocCheck::Nothing,
        [a] if a.amount <= p.amount => match ledger.invoice(a.invoice) {
            Some(inv) => {
                p.party = inv.party;
                let rest = check_compatible(&p, inv).map_err(|e| e.to_string());
                AllocCheck::One {
                    inv,
                    party: inv.party,
                    rest,
                }
            }
            None => AllocCheck::Validate,
        },
        _ => AllocCheck::Validate,
    };
    Ok((p, check))
}

/// Party names met in one part of a file, by exact cell text, with the roles the rows
/// use them in.
#[derive(Default)]
struct LocalParties {
    by_raw: HashMap<Box<str>, u32, FastBuildHasher>,
    names: Vec<(Box<str>, PartyRole)>,
}

impl LocalParties {
    /// The import-wide party of this part's `k`th name, resolved the first time it is
    /// met (kept in `resolved`, one slot per name).
    fn resolve(
        &self,
        k: u32,
        resolved: &mut [Option<PartyId>],
        resolver: &mut PartyResolver<'_>,
        ctx: &mut Ctx<'_>,
        line: u64,
    ) -> Result<PartyId, ImportError> {
        if let Some(id) = resolved[k as usize] {
            return Ok(id);
        }
        let (raw, role) = &self.names[k as usize];
        let id = resolver
            .resolve(raw, *role, &mut ctx.ids)
            .map_err(|m| ctx.err(line, "party", m))?;
        resolved[k as usize] = Some(id);
        Ok(id)
    }

    fn local(&mut self, raw: &str, role: PartyRole) -> u32 {
        if let Some(&k) = self.by_raw.get(raw) {
            let e = &mut self.names[k as usize].1;
            *e = e.merge(role);
            return k;
        }
        let k = self.names.len() as u32;
        self.names.push((raw.into(), role));
        self.by_raw.insert(raw.into(), k);
        k
    }
}

/// One part of a file read on its own: the rows in order, each with its line and party
/// (as an index into `parties`), up to the first row refused by its own checks.
pub(crate) struct Part<'c, 'l> {
    ctx: &'c Ctx<'l>,
    changes: Vec<Change>,
    lines: Vec<u64>,
    party_of: Vec<u32>,
    checks: Vec<AllocCheck<'l>>,
    parties: LocalParties,
    /// With the refusal: the number to check for a repeat first (invoices).
    repeat_first: Option<String>,
}

impl<'c, 'l> Part<'c, 'l> {
    pub fn new(ctx: &'c Ctx<'l>, rows: usize) -> Self {
        Part {
            ctx,
            changes: Vec::with_capacity(rows),
            lines: Vec::with_capacity(rows),
            party_of: Vec::with_capacity(rows),
            checks: Vec::new(),
            parties: LocalParties::default(),
            repeat_first: None,
        }
    }

    /// The invoice row on `line`; an error stops the part.
    pub fn invoice(&mut self, line: u64, c: &[&str]) -> Result<(), ImportError> {
        let invoice = invoice_row(self.ctx, line, c).map_err(|e| {
            self.repeat_first = e.number;
            e.err
        })?;
        let role = PartyRole::for_direction(invoice.kind.direction());
        let k = self.parties.local(self.ctx.text(c[inv::PARTY]), role);
        self.changes.push(Change::PutInvoice(invoice));
        self.lines.push(line);
        self.party_of.push(k);
        Ok(())
    }

    /// The payment row on `line`; an error stops the part.
    pub fn payment(&mut self, line: u64, c: &[&str]) -> Result<(), ImportError> {
        let (p, check) = payment_row(self.ctx, line, c)?;
        let role = PartyRole::for_direction(p.direction);
        let k = self.parties.local(self.ctx.text(c[pay::PARTY]), role);
        if self.checks.capacity() == 0 {
            self.checks.reserve(self.changes.capacity());
        }
        self.changes.push(Change::PutPayment(p));
        self.lines.push(line);
        self.party_of.push(k);
        self.checks.push(check);
        Ok(())
    }

    /// Leaves out the payment rows `keep` says no to; the names' roles become those of
    /// the rows left.
    fn keep_payments(&mut self, keep: &[bool]) {
        let mut kept = keep.iter();
        self.changes.retain(|_| *kept.next().unwrap_or(&true));
        let mut kept = keep.iter();
        self.lines.retain(|_| *kept.next().unwrap_or(&true));
        let mut kept = keep.iter();
        self.party_of.retain(|_| *kept.next().unwrap_or(&true));
        let mut kept = keep.iter();
        self.checks.retain(|_| *kept.next().unwrap_or(&true));
        let mut roles: Vec<Option<PartyRole>> = vec![None; self.parties.names.len()];
        for (c, &k) in self.changes.iter().zip(&self.party_of) {
            if let Change::PutPayment(p) = c {
                let role = PartyRole::for_direction(p.direction);
                let r = &mut roles[k as usize];
                *r = Some(r.map_or(role, |r| r.merge(role)));
            }
        }
        for ((_, role), r) in self.parties.names.iter_mut().zip(roles) {
            if let Some(r) = r {
                *role = r;
            }
        }
    }
}

/// The key the `i`th row of `part` is recognised by: its fingerprint, or for a payment
/// without one its content key.
fn row_key(part: &Part<'_, '_>, i: usize) -> Option<Key> {
    let Change::PutPayment(p) = &part.changes[i] else {
        return None;
    };
    Some(match p.source {
        Some(s) => Key::from(s),
        None => Key::Content(content_key(
            p.date,
            p.direction,
            p.currency,
            p.amount,
            Some(&part.parties.names[part.party_of[i] as usize].0),
            &p.reference,
        )),
    })
}

/// Takes the payments the store holds already out of `parts` (recognised by their
/// fingerprints, see [`super::fingerprint`]) and returns their lines. A store without
/// payments on the days of the file's rows is not searched at all.
fn skip_recorded(ledger: &Ledger, parts: &mut [PartResult<'_, '_>]) -> Vec<u64> {
    if ledger.payments().is_empty() {
        return Vec::new();
    }
    let mut days = Days::none();
    for (part, _) in parts.iter() {
        for k in (0..part.changes.len()).filter_map(|i| row_key(part, i)) {
            days.add(k);
        }
    }
    let mut existing = Existing::on(ledger, &days);
    if existing.knows_none() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    for (part, _) in parts.iter_mut() {
        let keep: Vec<bool> = (0..part.changes.len())
            .map(|i| match row_key(part, i) {
                Some(k) if existing.is_recorded(k) => {
                    lines.push(part.lines[i]);
                    false
                }
                _ => true,
            })
            .collect();
        if keep.contains(&false) {
            part.keep_payments(&keep);
        }
    }
    lines
}

/// A part read, with the error that stopped it.
pub(crate) type PartResult<'c, 'l> = (Part<'c, 'l>, Option<ImportError>);

/// The parties' changes, then every part's records, in one list: the first part's own
/// (grown in place; a large list is remapped, not copied), the others appended.
fn concat(front: Vec<Change>, parts: &mut [PartResult<'_, '_>]) -> Vec<Change> {
    let n: usize = parts.iter().map(|(p, _)| p.changes.len()).sum();
    let Some(((first, _), rest)) = parts.split_first_mut() else {
        return front;
    };
    let mut out = std::mem::take(&mut first.changes);
    out.reserve(front.len() + n - out.len());
    if !front.is_empty() {
        out.splice(0..0, front);
    }
    for (p, _) in rest {
        out.append(&mut p.changes);
    }
    out
}

/// The first repeated number (a row whose number an earlier row has), searched in two
/// halves of the numbers (by hash) on two threads.
struct Repeat<'p> {
    /// Part and row in it (the row after the last is the part's refused row).
    at: (usize, usize),
    number: &'p str,
    line: u64,
    first: u64,
}

fn first_repeat<'p>(parts: &'p [PartResult<'_, '_>], half: u64) -> Option<Repeat<'p>> {
    use std::hash::BuildHasher;
    let hasher = FastBuildHasher::default();
    let total: usize = parts.iter().map(|(p, _)| p.changes.len()).sum();
    let mut seen: HashMap<&str, u64, FastBuildHasher> =
        HashMap::with_capacity_and_hasher(total / 2 + 16, FastBuildHasher::default());
    for (k, (part, err)) in parts.iter().enumerate() {
        let rows = part
            .changes
            .iter()
            .zip(&part.lines)
            .filter_map(|(c, &l)| match c {
                Change::PutInvoice(i) => Some((i.number.as_str(), l)),
                _ => None,
            });
        let refused = match (err, &part.repeat_first) {
            (Some(e), Some(n)) => Some((n.as_str(), e.line)),
            _ => None,
        };
        for (r, (number, line)) in rows.chain(refused).enumerate() {
            if hasher.hash_one(number) & 1 != half {
                continue;
            }
            match seen.entry(number) {
                std::collections::hash_map::Entry::Occupied(o) => {
                    return Some(Repeat {
                        at: (k, r),
                        number,
                        line,
                        first: *o.get(),
                    })
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(line);
                }
            }
        }
        if err.is_some() {
            break;
        }
    }
    None
}

/// The error the rows read one by one would stop at, if any.
fn first_refusal(ctx: &Ctx<'_>, parts: &[PartResult<'_, '_>]) -> Option<ImportError> {
    let (a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| first_repeat(parts, 1));
        let mine = first_repeat(parts, 0);
        (
            mine,
            other
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        )
    });
    let repeat = match (a, b) {
        (Some(a), Some(b)) => Some(if a.at < b.at { a } else { b }),
        (a, b) => a.or(b),
    };
    // the part stopped by an error, and where in it
    let refused = parts
        .iter()
        .enumerate()
        .find_map(|(k, (p, e))| e.as_ref().map(|e| ((k, p.changes.len()), e)));
    match (repeat, refused) {
        (Some(r), Some((at, _))) if r.at <= at => Some(twice(ctx, r.number, r.line, r.first)),
        (Some(r), None) => Some(twice(ctx, r.number, r.line, r.first)),
        (_, Some((_, e))) => Some(e.clone()),
        (None, None) => None,
    }
}

/// Joins invoice parts read apart into the plan the rows read one by one would give,
/// with the same first error.
pub(crate) fn merge_invoices(
    ctx: Ctx<'_>,
    mut parts: Vec<PartResult<'_, '_>>,
) -> Result<ImportPlan, ImportError> {
    // Repeated numbers first: the only check left that may refuse a row.
    if let Some(e) = first_refusal(&ctx, &parts) {
        return Err(e);
    }
    let mut ctx = ctx;
    let mut resolver = PartyResolver::new(ctx.ledger);
    let mut records = 0;
    for (part, _) in parts.iter_mut() {
        let mut ids: Vec<Option<PartyId>> = vec![None; part.parties.names.len()];
        for (c, (&k, &line)) in part
            .changes
            .iter_mut()
            .zip(part.party_of.iter().zip(&part.lines))
        {
            let Change::PutInvoice(i) = c else { continue };
            i.party = part
                .parties
                .resolve(k, &mut ids, &mut resolver, &mut ctx, line)?;
            i.id = ctx.ids.next_invoice();
            records += 1;
        }
    }
    let mut front = Vec::new();
    let new_parties = resolver.finish(&mut front);
    let changes = concat(front, &mut parts);
    Ok(plan(ctx, changes, records, new_parties))
}

/// Joins payment parts read apart into the plan the rows read one by one would give,
/// with the same first error. Rows the store holds already are left out (and listed in
/// the plan's `duplicates`); the payments made keep their rows' fingerprints.
pub(crate) fn merge_payments(
    ctx: Ctx<'_>,
    mut parts: Vec<PartResult<'_, '_>>,
) -> Result<ImportPlan, ImportError> {
    let mut ctx = ctx;
    let ledger = ctx.ledger;
    let duplicates = skip_recorded(ledger, &mut parts);
    let mut resolver = PartyResolver::new(ledger);
    let mut records = 0;
    for (part, err) in parts.iter_mut() {
        let mut ids: Vec<Option<PartyId>> = vec![None; part.parties.names.len()];
        for (c, ((&k, &line), check)) in part
            .changes
            .iter_mut()
            .zip(part.party_of.iter().zip(&part.lines).zip(&part.checks))
        {
            let Change::PutPayment(p) = c else { continue };
            p.party = part
                .parties
                .resolve(k, &mut ids, &mut resolver, &mut ctx, line)?;
            p.id = ctx.ids.next_payment();
            check
                .finish(p, ledger)
                .map_err(|m| ctx.err(line, "invoice", m))?;
            records += 1;
        }
        if let Some(err) = err.take() {
            return Err(err);
        }
    }
    let mut front = Vec::new();
    let new_parties = resolver.finish(&mut front);
    let changes = concat(front, &mut parts);
    let mut plan = plan(ctx, changes, records, new_parties);
    plan.duplicates = duplicates;
    Ok(plan)
}

/// Builds parties from `parties.csv`.
pub(crate) struct PartySink<'a> {
    ctx: Ctx<'a>,
    parties: Vec<Party>,
    /// Lower-cased names seen in this file → line.
    seen: HashMap<String, u64>,
}

impl<'a> PartySink<'a> {
    pub fn new(ctx: Ctx<'a>) -> Self {
        PartySink {
            ctx,
            parties: Vec::new(),
            seen: HashMap::new(),
        }
    }
}

impl RowSink for PartySink<'_> {
    fn schema(&self) -> &'static Schema {
        &PARTIES
    }

    fn row(&mut self, line: u64, c: &[&str]) -> Result<(), ImportError> {
        let ctx = &self.ctx;
        let name = ctx.text(c[par::NAME]).trim();
        if name.is_empty() {
            return Err(ctx.err(line, "name", "the party name is empty"));
        }
        if let Some(p) = ctx.ledger.party_by_name(name) {
            return Err(ctx.err(
                line,
                "name",
                format!("a party named '{}' already exists", p.name),
            ));
        }
        let key = name_key(name);
        if let Some(first) = self.seen.get(&key) {
            return Err(ctx.err(
                line,
                "name",
                format!("party '{name}' appears twice in the file (first on line {first})"),
            ));
        }
        let role = if c[par::ROLE].trim().is_empty() {
            PartyRole::Customer
        } else {
            c[par::ROLE]
                .parse::<PartyRole>()
                .map_err(|e| ctx.err(line, "role", e.to_string()))?
        };
        let terms = c[par::TERMS_DAYS].trim();
        let terms_days = if terms.is_empty() {
            None
        } else {
            Some(terms.parse::<u32>().map_err(|_| {
                ctx.err(
                    line,
                    "terms_days",
                    format!("'{terms}' is not a whole number of days"),
                )
            })?)
        };
        let name = name.to_string();
        let email = ctx.text(c[par::EMAIL]).to_string();
        let notes = ctx.text(c[par::NOTES]).to_string();
        self.seen.insert(key, line);
        self.parties.push(Party {
            id: self.ctx.ids.next_party(),
            name,
            role,
            email,
            terms_days,
            notes,
        });
        Ok(())
    }

    fn finish(self) -> ImportPlan {
        let n = self.parties.len();
        let changes = self.parties.into_iter().map(Change::PutParty).collect();
        plan(self.ctx, changes, n, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_date_agrees_with_parse_date() {
        for s in [
            "2025-03-07",
            "2024-02-29",
            "2025-02-29",
            "0000-01-01",
            "9999-12-31",
            "2025-13-01",
            "2025-00-10",
            "2025-01-00",
            "2025-01-32",
            "2025/01/01",
            "2025-1-010",
            "+025-01-01",
            " 2025-01-01",
            "2025-01-01 ",
            "abcd-ef-gh",
            "",
        ] {
            let slow = parse_date(s).ok();
            let fast = fast_date(s);
            if fast.is_some() {
                assert_eq!(fast, slow, "{s:?}");
            }
            assert_eq!(date(s, "date").ok(), slow, "{s:?}");
        }
    }
}
