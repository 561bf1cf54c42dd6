//! Add/edit forms for payments, invoices, parties and saved filters: fields, validation
//! as you type, completions, and building the inputs that `ops` turns into change sets.

use rust_decimal::Decimal;
use time::Date;

use super::action::Action;
use super::input::TextInput;
use crate::domain::ledger::Ledger;
use crate::domain::{
    format_date, parse_positive_amount, parse_relative_date, Currency, Direction, InvoiceId,
    InvoiceKind, Method, PartyId, PartyRole, PaymentId, SavedFilter, StatusRules,
};
use crate::ops::{InvoiceInput, PartyInput, PaymentInput};
use crate::query;

/// What a form edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormKind {
    /// A payment (new when `None`).
    Payment(Option<PaymentId>),
    /// An invoice.
    Invoice(Option<InvoiceId>),
    /// A party.
    Party(Option<PartyId>),
    /// A saved filter (editing the one with this name when `Some`).
    Filter(Option<String>),
}

impl FormKind {
    /// Title of the form.
    pub fn title(&self) -> &'static str {
        match self {
            FormKind::Payment(None) => "New payment",
            FormKind::Payment(Some(_)) => "Edit payment",
            FormKind::Invoice(None) => "New invoice",
            FormKind::Invoice(Some(_)) => "Edit invoice",
            FormKind::Party(None) => "New party",
            FormKind::Party(Some(_)) => "Edit party",
            FormKind::Filter(None) => "Save filter",
            FormKind::Filter(Some(_)) => "Edit saved filter",
        }
    }
}

/// Identifies a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldId {
    /// Payment date.
    Date,
    /// Party name.
    Party,
    /// in / out.
    Direction,
    /// Amount.
    Amount,
    /// Currency code.
    Currency,
    /// Payment method.
    Method,
    /// Reference.
    Reference,
    /// Allocation split.
    Invoices,
    /// Notes.
    Notes,
    /// Invoice number.
    Number,
    /// receivable / payable.
    Kind,
    /// Issue date.
    Issued,
    /// Due date.
    Due,
    /// Void flag.
    Void,
    /// Party name (party form).
    Name,
    /// Party role.
    Role,
    /// Email.
    Email,
    /// Payment terms in days.
    Terms,
    /// Filter text.
    Query,
    /// Pin digit.
    Pin,
}

const DIRECTIONS: &[&str] = &["in", "out"];
const METHODS: &[&str] = &[
    "bank_transfer",
    "card",
    "cash",
    "check",
    "paypal",
    "direct_debit",
    "other",
];
const KINDS: &[&str] = &["receivable", "payable"];
const ROLES: &[&str] = &["customer", "partner", "both"];
const YES_NO: &[&str] = &["no", "yes"];

/// One input of a form.
#[derive(Clone, Debug)]
pub struct Field {
    /// Which field.
    pub id: FieldId,
    /// Label.
    pub label: &'static str,
    /// Text (for choice fields, the chosen word).
    pub input: TextInput,
    /// The words a choice field cycles through.
    pub choices: Option<&'static [&'static str]>,
    /// Why the current text is not acceptable.
    pub error: Option<String>,
    /// A note about the value (resolved date, "new party").
    pub hint: Option<String>,
}

impl Field {
    fn text(id: FieldId, label: &'static str, value: &str) -> Field {
        Field {
            id,
            label,
            input: TextInput::new(value),
            choices: None,
            error: None,
            hint: None,
        }
    }
    fn choice(
        id: FieldId,
        label: &'static str,
        choices: &'static [&'static str],
        value: &str,
    ) -> Field {
        Field {
            choices: Some(choices),
            ..Field::text(id, label, value)
        }
    }
}

/// A completion offered for the focused field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// Text inserted on accept.
    pub value: String,
    /// Text shown.
    pub label: String,
}

/// One resolved allocation in the payment form's preview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewLine {
    /// Invoice number.
    pub number: String,
    /// Amount that would be allocated.
    pub amount: Decimal,
    /// Outstanding after it.
    pub left: Decimal,
}

/// The allocation preview of a payment form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preview {
    /// Resolved allocations.
    pub lines: Vec<PreviewLine>,
    /// Unallocated remainder (the party's credit).
    pub credit: Decimal,
    /// Currency.
    pub currency: Option<Currency>,
}

/// Key of the open-invoice list the payment form needs.
pub type OpenKey = (PartyId, Currency, Direction);

/// A form's state.
#[derive(Clone, Debug)]
pub struct Form {
    /// What it edits.
    pub kind: FormKind,
    /// Fields in order.
    pub fields: Vec<Field>,
    /// Focused field.
    pub focus: usize,
    /// Changed since opened.
    pub dirty: bool,
    /// Error from the last save attempt.
    pub error: Option<String>,
    /// Completions for the focused field.
    pub suggestions: Vec<Suggestion>,
    /// Highlighted completion.
    pub selected: Option<usize>,
    /// Open invoices for the party/currency/direction (from the worker).
    pub open_invoices: Option<(OpenKey, Vec<InvoiceId>)>,
    /// Payment forms: allocation preview.
    pub preview: Preview,
    /// Confirmed creating a new party on save.
    pub create_party_ok: bool,
}

/// What validation needs to know.
#[derive(Clone, Copy)]
pub struct FormCtx<'a> {
    /// The ledger.
    pub ledger: &'a Ledger,
    /// Today.
    pub today: Date,
}

fn method_word(m: Method) -> &'static str {
    m.as_str()
}

fn allocations_text(ledger: &Ledger, p: &crate::domain::Payment) -> String {
    p.allocations
        .iter()
        .map(|a| {
            let num = ledger
                .invoice(a.invoice)
                .map_or_else(|| format!("#{}", a.invoice), |i| i.number.clone());
            format!("{}={}", num, p.currency.format(a.amount))
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// Parses a split: `INV-1=100.00;INV-2` (an entry without `=` takes the rest).
pub fn parse_split(s: &str) -> Result<Vec<(String, Option<Decimal>)>, String> {
    let mut out = Vec::new();
    for part in s.split([';', ',']) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (num, amt) = match part.split_once('=') {
            Some((n, a)) => {
                let a = parse_positive_amount(a).map_err(|_| {
                    format!("'{}' after {} is not a positive amount", a.trim(), n.trim())
                })?;
                (n.trim(), Some(a))
            }
            None => (part, None),
        };
        if num.is_empty() {
            return Err("an invoice number is missing before '='".into());
        }
        if out.iter().any(|(n, _): &(String, _)| n == num) {
            return Err(format!("{num} appears twice"));
        }
        out.push((num.to_string(), amt));
    }
    Ok(out)
}

impl Form {
    fn new(kind: FormKind, fields: Vec<Field>) -> Form {
        Form {
            kind,
            fields,
            focus: 0,
            dirty: false,
            error: None,
            suggestions: Vec::new(),
            selected: None,
            open_invoices: None,
            preview: Preview::default(),
            create_party_ok: false,
        }
    }

    /// A payment form, empty or holding `existing`.
    pub fn payment(ctx: FormCtx, existing: Option<PaymentId>, party: Option<&str>) -> Form {
        let p = existing.and_then(|id| ctx.ledger.payment(id));
        let fields = match p {
            Some(p) => vec![
                Field::text(FieldId::Date, "Date", &format_date(p.date)),
                Field::text(FieldId::Party, "Party", ctx.ledger.party_name(p.party)),
                Field::choice(
                    FieldId::Direction,
                    "Direction",
                    DIRECTIONS,
                    p.direction.as_str(),
                ),
                Field::text(FieldId::Amount, "Amount", &p.currency.format(p.amount)),
                Field::text(FieldId::Currency, "Currency", p.currency.as_str()),
                Field::choice(FieldId::Method, "Method", METHODS, method_word(p.method)),
                Field::text(FieldId::Reference, "Reference", &p.reference),
                Field::text(
                    FieldId::Invoices,
                    "Invoices",
                    &allocations_text(ctx.ledger, p),
                ),
                Field::text(FieldId::Notes, "Notes", &p.notes),
            ],
            None => vec![
                Field::text(FieldId::Date, "Date", &format_date(ctx.today)),
                Field::text(FieldId::Party, "Party", party.unwrap_or("")),
                Field::choice(FieldId::Direction, "Direction", DIRECTIONS, "in"),
                Field::text(FieldId::Amount, "Amount", ""),
                Field::text(FieldId::Currency, "Currency", "EUR"),
                Field::choice(FieldId::Method, "Method", METHODS, "bank_transfer"),
                Field::text(FieldId::Reference, "Reference", ""),
                Field::text(FieldId::Invoices, "Invoices", ""),
                Field::text(FieldId::Notes, "Notes", ""),
            ],
        };
        let mut f = Form::new(FormKind::Payment(p.map(|p| p.id)), fields);
        if p.is_none() {
            f.focus = 1;
        }
        f.revalidate(ctx);
        f
    }

    /// An invoice form.
    pub fn invoice(ctx: FormCtx, existing: Option<InvoiceId>, party: Option<&str>) -> Form {
        let i = existing.and_then(|id| ctx.ledger.invoice(id));
        let fields = match i {
            Some(i) => vec![
                Field::text(FieldId::Number, "Number", &i.number),
                Field::text(FieldId::Party, "Party", ctx.ledger.party_name(i.party)),
                Field::choice(FieldId::Kind, "Kind", KINDS, i.kind.as_str()),
                Field::text(FieldId::Issued, "Issued", &format_date(i.issue_date)),
                Field::text(FieldId::Due, "Due", &format_date(i.due_date)),
                Field::text(FieldId::Amount, "Amount", &i.currency.format(i.amount)),
                Field::text(FieldId::Currency, "Currency", i.currency.as_str()),
                Field::text(FieldId::Notes, "Notes", &i.notes),
                Field::choice(
                    FieldId::Void,
                    "Void",
                    YES_NO,
                    if i.void { "yes" } else { "no" },
                ),
            ],
            None => vec![
                Field::text(FieldId::Number, "Number", ""),
                Field::text(FieldId::Party, "Party", party.unwrap_or("")),
                Field::choice(FieldId::Kind, "Kind", KINDS, "receivable"),
                Field::text(FieldId::Issued, "Issued", &format_date(ctx.today)),
                Field::text(FieldId::Due, "Due", ""),
                Field::text(FieldId::Amount, "Amount", ""),
                Field::text(FieldId::Currency, "Currency", "EUR"),
                Field::text(FieldId::Notes, "Notes", ""),
                Field::choice(FieldId::Void, "Void", YES_NO, "no"),
            ],
        };
        let mut f = Form::new(FormKind::Invoice(i.map(|i| i.id)), fields);
        f.revalidate(ctx);
        f
    }

    /// A party form.
    pub fn party(ctx: FormCtx, existing: Option<PartyId>) -> Form {
        let p = existing.and_then(|id| ctx.ledger.party(id));
        let fields = vec![
            Field::text(FieldId::Name, "Name", p.map_or("", |p| p.name.as_str())),
            Field::choice(
                FieldId::Role,
                "Role",
                ROLES,
                p.map_or("customer", |p| p.role.as_str()),
            ),
            Field::text(FieldId::Email, "Email", p.map_or("", |p| p.email.as_str())),
            Field::text(
                FieldId::Terms,
                "Terms (days)",
                &p.and_then(|p| p.terms_days)
                    .map_or(String::new(), |d| d.to_string()),
            ),
            Field::text(FieldId::Notes, "Notes", p.map_or("", |p| p.notes.as_str())),
        ];
        let mut f = Form::new(FormKind::Party(p.map(|p| p.id)), fields);
        f.revalidate(ctx);
        f
    }

    /// A saved-filter form: new (from the current filter text) or editing `existing`.
    pub fn filter(ctx: FormCtx, existing: Option<&SavedFilter>, query: &str) -> Form {
        let fields = vec![
            Field::text(
                FieldId::Name,
                "Name",
                existing.map_or("", |f| f.name.as_str()),
            ),
            Field::text(
                FieldId::Query,
                "Filter",
                existing.map_or(query, |f| f.query.as_str()),
            ),
            Field::text(
                FieldId::Pin,
                "Pin (1-9)",
                &existing
                    .and_then(|f| f.pin)
                    .map_or(String::new(), |p| p.to_string()),
            ),
        ];
        let mut f = Form::new(FormKind::Filter(existing.map(|f| f.name.clone())), fields);
        f.revalidate(ctx);
        f
    }

    /// The field with `id`.
    pub fn field(&self, id: FieldId) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    fn field_mut(&mut self, id: FieldId) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.id == id)
    }

    /// The text of a field (empty if the form has no such field).
    pub fn value(&self, id: FieldId) -> &str {
        self.field(id).map_or("", |f| f.input.text())
    }

    /// Sets a field's text (as if typed) and revalidates.
    pub fn set_value(&mut self, ctx: FormCtx, id: FieldId, value: &str) {
        if let Some(f) = self.field_mut(id) {
            f.input.set(value);
            self.dirty = true;
        }
        self.revalidate(ctx);
    }

    /// The focused field.
    pub fn focused(&self) -> &Field {
        &self.fields[self.focus.min(self.fields.len() - 1)]
    }

    /// Whether every field is acceptable.
    pub fn is_valid(&self) -> bool {
        self.fields.iter().all(|f| f.error.is_none())
    }

    /// The first field with an error.
    pub fn first_error(&self) -> Option<(&'static str, &str)> {
        self.fields
            .iter()
            .find_map(|f| f.error.as_deref().map(|e| (f.label, e)))
    }

    /// Types a character into the focused field.
    pub fn type_char(&mut self, ctx: FormCtx, c: char) {
        let focus = self.focus;
        let f = &mut self.fields[focus];
        if let Some(choices) = f.choices {
            let lc = c.to_ascii_lowercase();
            if let Some(w) = choices.iter().find(|w| w.starts_with(lc)) {
                f.input.set(w);
                self.dirty = true;
            }
        } else {
            f.input.insert(c);
            self.dirty = true;
            self.selected = None;
        }
        self.revalidate(ctx);
    }

    /// Pastes text into the focused field.
    pub fn paste(&mut self, ctx: FormCtx, s: &str) {
        let focus = self.focus;
        if self.fields[focus].choices.is_none() {
            self.fields[focus].input.insert_str(s);
            self.dirty = true;
            self.revalidate(ctx);
        }
    }

    /// Applies an editing or navigation action; returns whether it was handled.
    pub fn apply(&mut self, ctx: FormCtx, a: Action) -> bool {
        let focus = self.focus;
        match a {
            Action::NextField => {
                if self.selected.is_some() {
                    self.accept(ctx);
                    return true;
                }
                self.move_focus(ctx, 1);
            }
            Action::PrevField => self.move_focus(ctx, -1),
            Action::AcceptCompletion => {
                self.accept(ctx);
            }
            Action::CompleteNext | Action::CompletePrev => {
                let n = self.suggestions.len();
                if n == 0 {
                    return true;
                }
                self.selected = Some(match (self.selected, a) {
                    (None, Action::CompleteNext) => 0,
                    (None, _) => n - 1,
                    (Some(i), Action::CompleteNext) => (i + 1) % n,
                    (Some(i), _) => (i + n - 1) % n,
                });
            }
            Action::CursorLeft | Action::CursorRight if self.fields[focus].choices.is_some() => {
                let f = &mut self.fields[focus];
                let choices = f.choices.unwrap_or(&[]);
                let cur = choices
                    .iter()
                    .position(|w| *w == f.input.text())
                    .unwrap_or(0);
                let n = choices.len();
                let next = if a == Action::CursorRight {
                    (cur + 1) % n
                } else {
                    (cur + n - 1) % n
                };
                f.input.set(choices[next]);
                self.dirty = true;
                self.revalidate(ctx);
            }
            _ => {
                if self.fields[focus].choices.is_some() {
                    return matches!(a, Action::DeleteBack | Action::ClearInput);
                }
                match self.fields[focus].input.apply(a) {
                    Some(changed) => {
                        if changed {
                            self.dirty = true;
                            self.selected = None;
                            self.revalidate(ctx);
                        }
                    }
                    None => return false,
                }
            }
        }
        true
    }

    /// Whether the focus is on the last field.
    pub fn on_last_field(&self) -> bool {
        self.focus + 1 >= self.fields.len()
    }

    fn move_focus(&mut self, ctx: FormCtx, d: isize) {
        let n = self.fields.len() as isize;
        self.focus = ((self.focus as isize + d).rem_euclid(n)) as usize;
        self.selected = None;
        self.revalidate(ctx);
    }

    fn accept(&mut self, ctx: FormCtx) {
        let Some(i) = self.selected.take() else {
            return;
        };
        let Some(s) = self.suggestions.get(i).cloned() else {
            return;
        };
        let focus = self.focus;
        let id = self.fields[focus].id;
        if id == FieldId::Invoices {
            let cur = self.fields[focus].input.text().to_string();
            let prefix = match cur.rfind(';') {
                Some(p) => format!("{};", &cur[..p]),
                None => String::new(),
            };
            self.fields[focus]
                .input
                .set(&format!("{prefix}{}", s.value));
            self.dirty = true;
            self.revalidate(ctx);
        } else {
            self.fields[focus].input.set(&s.value);
            self.dirty = true;
            self.move_focus(ctx, 1);
        }
    }

    /// The party the form names, if it exists.
    pub fn party_id(&self, ledger: &Ledger) -> Option<PartyId> {
        let name = self.value(FieldId::Party);
        ledger.party_by_name(name).map(|p| p.id)
    }

    /// The open-invoice list the payment form needs now (party, currency, direction).
    pub fn open_key(&self, ledger: &Ledger) -> Option<OpenKey> {
        if !matches!(self.kind, FormKind::Payment(_)) {
            return None;
        }
        let party = self.party_id(ledger)?;
        let cur: Currency = self.value(FieldId::Currency).parse().ok()?;
        let dir: Direction = self.value(FieldId::Direction).parse().ok()?;
        Some((party, cur, dir))
    }

    /// Stores the open invoices the worker found.
    pub fn set_open_invoices(&mut self, ctx: FormCtx, key: OpenKey, ids: Vec<InvoiceId>) {
        self.open_invoices = Some((key, ids));
        self.revalidate(ctx);
    }

    /// Re-checks every field and refreshes completions and the preview.
    pub fn revalidate(&mut self, ctx: FormCtx) {
        let mut errors: Vec<(Option<String>, Option<String>)> = Vec::new();
        for f in &self.fields {
            errors.push(self.check(ctx, f));
        }
        for (f, (e, h)) in self.fields.iter_mut().zip(errors) {
            f.error = e;
            f.hint = h;
        }
        self.preview = self.compute_preview(ctx);
        self.suggestions = self.compute_suggestions(ctx);
        if self.selected.is_some_and(|s| s >= self.suggestions.len()) {
            self.selected = None;
        }
    }

    fn currency(&self) -> Option<Currency> {
        self.value(FieldId::Currency).parse().ok()
    }

    fn check(&self, ctx: FormCtx, f: &Field) -> (Option<String>, Option<String>) {
        let t = f.input.text().trim();
        let date = |t: &str| match parse_relative_date(t, ctx.today) {
            Ok(d) => {
                let hint = (format_date(d) != t).then(|| format!("= {}", format_date(d)));
                (None, hint)
            }
            Err(_) => (
                Some("date: YYYY-MM-DD, today, -3d or +30d".to_string()),
                None,
            ),
        };
        match f.id {
            FieldId::Date | FieldId::Issued => date(t),
            FieldId::Due => {
                if t.is_empty() {
                    (None, Some("from the party's terms".into()))
                } else {
                    date(t)
                }
            }
            FieldId::Amount => match parse_positive_amount(t) {
                Ok(a) => match self.currency() {
                    Some(c) if !c.fits(a) => (
                        Some(format!("{c} allows {} decimals", c.minor_units())),
                        None,
                    ),
                    _ => (None, None),
                },
                Err(_) => (
                    Some("amount must be a positive decimal (e.g. 120.50)".into()),
                    None,
                ),
            },
            FieldId::Currency => match t.parse::<Currency>() {
                Ok(_) => (None, None),
                Err(_) => (Some("three letters, e.g. EUR".into()), None),
            },
            FieldId::Party => {
                if t.is_empty() {
                    (Some("party is required".into()), None)
                } else if ctx.ledger.party_by_name(t).is_some() {
                    (None, None)
                } else {
                    (None, Some("new party: will ask before creating it".into()))
                }
            }
            FieldId::Invoices => self.check_split(ctx, t),
            FieldId::Number => {
                if t.is_empty() {
                    return (Some("number is required".into()), None);
                }
                let own = match self.kind {
                    FormKind::Invoice(Some(id)) => Some(id),
                    _ => None,
                };
                match ctx.ledger.invoice_by_number(t) {
                    Some(i) if Some(i.id) != own => (Some(format!("{t} already exists")), None),
                    _ => (None, None),
                }
            }
            FieldId::Name => {
                if t.is_empty() {
                    return (Some("name is required".into()), None);
                }
                match &self.kind {
                    FormKind::Party(own) => match ctx.ledger.party_by_name(t) {
                        Some(p) if Some(p.id) != *own => {
                            (Some(format!("a party named '{}' exists", p.name)), None)
                        }
                        _ => (None, None),
                    },
                    _ => (None, None),
                }
            }
            FieldId::Email => {
                if t.is_empty() || (t.contains('@') && !t.contains(' ')) {
                    (None, None)
                } else {
                    (Some("not an email address".into()), None)
                }
            }
            FieldId::Terms => {
                if t.is_empty() {
                    (None, Some("default 30".into()))
                } else {
                    match t.parse::<u32>() {
                        Ok(d) if d <= 3650 => (None, None),
                        _ => (Some("whole days, 0-3650".into()), None),
                    }
                }
            }
            FieldId::Query => match query::parse(t) {
                Ok(_) => (None, None),
                Err(e) => (Some(e.message), None),
            },
            FieldId::Pin => {
                if t.is_empty() {
                    (None, None)
                } else {
                    match t.parse::<u8>() {
                        Ok(d) if (1..=9).contains(&d) => {
                            (None, Some(format!("alt-{d} applies it")))
                        }
                        _ => (Some("a digit 1-9, or empty".into()), None),
                    }
                }
            }
            FieldId::Direction
            | FieldId::Method
            | FieldId::Kind
            | FieldId::Void
            | FieldId::Role
            | FieldId::Reference
            | FieldId::Notes => (None, None),
        }
    }

    fn own_payment(&self) -> Option<PaymentId> {
        match self.kind {
            FormKind::Payment(id) => id,
            _ => None,
        }
    }

    fn check_split(&self, ctx: FormCtx, t: &str) -> (Option<String>, Option<String>) {
        let split = match parse_split(t) {
            Ok(s) => s,
            Err(e) => return (Some(e), None),
        };
        if split.is_empty() {
            return (None, Some("none: the whole amount is credit".into()));
        }
        let party = self.party_id(ctx.ledger);
        let cur = self.currency();
        let dir: Option<Direction> = self.value(FieldId::Direction).parse().ok();
        for (num, _) in &split {
            let Some(inv) = ctx.ledger.invoice_by_number(num) else {
                return (Some(format!("no invoice {num}")), None);
            };
            if party.is_some_and(|p| p != inv.party) {
                return (Some(format!("{num} belongs to another party")), None);
            }
            if cur.is_some_and(|c| c != inv.currency) {
                return (Some(format!("{num} is in {}", inv.currency)), None);
            }
            if dir.is_some_and(|d| d.invoice_kind() != inv.kind) {
                return (Some(format!("{num} is {}", inv.kind)), None);
            }
        }
        if let Ok(amount) = parse_positive_amount(self.value(FieldId::Amount)) {
            let fixed: Decimal = split.iter().filter_map(|(_, a)| *a).sum();
            if fixed > amount {
                return (
                    Some(format!("split sums to {fixed}, more than the amount")),
                    None,
                );
            }
        }
        (None, None)
    }

    fn compute_preview(&self, ctx: FormCtx) -> Preview {
        if !matches!(self.kind, FormKind::Payment(_)) {
            return Preview::default();
        }
        let cur = self.currency();
        let Ok(amount) = parse_positive_amount(self.value(FieldId::Amount)) else {
            return Preview {
                currency: cur,
                ..Preview::default()
            };
        };
        let split = parse_split(self.value(FieldId::Invoices)).unwrap_or_default();
        let date = parse_relative_date(self.value(FieldId::Date), ctx.today).unwrap_or(ctx.today);
        let rules = StatusRules::new(ctx.today.max(date));
        let own = self.own_payment();
        let mut left = amount;
        let mut lines = Vec::new();
        for (num, amt) in split {
            let Some(inv) = ctx.ledger.invoice_by_number(&num) else {
                continue;
            };
            let mut outstanding = ctx.ledger.settlement(inv, &rules).outstanding;
            if let Some(own) = own {
                if let Some(a) = ctx
                    .ledger
                    .allocations_to(inv.id)
                    .iter()
                    .find(|a| a.payment == own && a.date <= rules.as_of)
                {
                    outstanding += a.amount;
                }
            }
            let a = amt.unwrap_or_else(|| left.min(outstanding.min(inv.amount)));
            left -= a;
            lines.push(PreviewLine {
                number: inv.number.clone(),
                amount: a,
                left: (outstanding - a).max(Decimal::ZERO),
            });
        }
        Preview {
            lines,
            credit: left.max(Decimal::ZERO),
            currency: cur,
        }
    }

    fn compute_suggestions(&self, ctx: FormCtx) -> Vec<Suggestion> {
        let f = self.focused();
        let t = f.input.text().trim();
        match f.id {
            FieldId::Party => {
                if t.is_empty() || ctx.ledger.party_by_name(t).is_some() {
                    return Vec::new();
                }
                let mut scored: Vec<(i64, &str)> = ctx
                    .ledger
                    .parties()
                    .iter()
                    .filter_map(|p| query::fuzzy_score(&p.name, t).map(|s| (s, p.name.as_str())))
                    .collect();
                scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
                scored
                    .into_iter()
                    .take(5)
                    .map(|(_, n)| Suggestion {
                        value: n.to_string(),
                        label: crate::text::sanitize_cell(n),
                    })
                    .collect()
            }
            FieldId::Invoices => {
                let Some(key) = self.open_key(ctx.ledger) else {
                    return Vec::new();
                };
                let Some((k, ids)) = &self.open_invoices else {
                    return Vec::new();
                };
                if *k != key {
                    return Vec::new();
                }
                let cur = f.input.text();
                let token = cur.rsplit(';').next().unwrap_or("").trim();
                let listed: Vec<String> = parse_split(cur)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(n, _)| n)
                    .collect();
                let rules = StatusRules::new(ctx.today);
                ids.iter()
                    .filter_map(|id| ctx.ledger.invoice(*id))
                    .filter(|i| !listed.contains(&i.number) || i.number == token)
                    .filter(|i| {
                        token.is_empty()
                            || token.contains('=')
                            || query::fuzzy_score(&i.number, token).is_some()
                    })
                    .filter(|i| i.number != token)
                    .take(6)
                    .map(|i| {
                        let s = ctx.ledger.settlement(i, &rules);
                        Suggestion {
                            value: i.number.clone(),
                            label: format!(
                                "{}  due {}  open {} {}{}",
                                crate::text::sanitize_cell(&i.number),
                                format_date(i.due_date),
                                i.currency.format(s.outstanding),
                                i.currency,
                                if s.overdue { "  overdue" } else { "" }
                            ),
                        }
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    fn date_of(&self, ctx: FormCtx, id: FieldId) -> Result<Date, String> {
        parse_relative_date(self.value(id), ctx.today).map_err(|e| e.to_string())
    }

    fn checked(&self) -> Result<(), String> {
        match self.first_error() {
            Some((label, e)) => Err(format!("{label}: {e}")),
            None => Ok(()),
        }
    }

    /// The payment the form describes.
    pub fn payment_input(&self, ctx: FormCtx) -> Result<PaymentInput, String> {
        self.checked()?;
        Ok(PaymentInput {
            party: self.value(FieldId::Party).trim().to_string(),
            direction: self
                .value(FieldId::Direction)
                .parse()
                .map_err(|e: crate::domain::DomainError| e.to_string())?,
            amount: parse_positive_amount(self.value(FieldId::Amount))
                .map_err(|e| e.to_string())?,
            currency: self
                .value(FieldId::Currency)
                .parse()
                .map_err(|e: crate::domain::DomainError| e.to_string())?,
            date: self.date_of(ctx, FieldId::Date)?,
            method: self
                .value(FieldId::Method)
                .parse()
                .map_err(|e: crate::domain::DomainError| e.to_string())?,
            reference: self.value(FieldId::Reference).trim().to_string(),
            notes: self.value(FieldId::Notes).to_string(),
            allocations: parse_split(self.value(FieldId::Invoices))?,
        })
    }

    /// The invoice the form describes.
    pub fn invoice_input(&self, ctx: FormCtx) -> Result<InvoiceInput, String> {
        self.checked()?;
        let due = if self.value(FieldId::Due).trim().is_empty() {
            None
        } else {
            Some(self.date_of(ctx, FieldId::Due)?)
        };
        Ok(InvoiceInput {
            number: self.value(FieldId::Number).trim().to_string(),
            party: self.value(FieldId::Party).trim().to_string(),
            kind: self
                .value(FieldId::Kind)
                .parse::<InvoiceKind>()
                .map_err(|e| e.to_string())?,
            issue_date: self.date_of(ctx, FieldId::Issued)?,
            due_date: due,
            amount: parse_positive_amount(self.value(FieldId::Amount))
                .map_err(|e| e.to_string())?,
            currency: self
                .value(FieldId::Currency)
                .parse()
                .map_err(|e: crate::domain::DomainError| e.to_string())?,
            notes: self.value(FieldId::Notes).to_string(),
            void: self.value(FieldId::Void) == "yes",
        })
    }

    /// The party the form describes.
    pub fn party_input(&self) -> Result<PartyInput, String> {
        self.checked()?;
        let terms = self.value(FieldId::Terms).trim();
        Ok(PartyInput {
            name: self.value(FieldId::Name).trim().to_string(),
            role: self
                .value(FieldId::Role)
                .parse::<PartyRole>()
                .map_err(|e| e.to_string())?,
            email: self.value(FieldId::Email).trim().to_string(),
            terms_days: if terms.is_empty() {
                None
            } else {
                Some(terms.parse().map_err(|_| "terms: whole days".to_string())?)
            },
            notes: self.value(FieldId::Notes).to_string(),
        })
    }

    /// The saved filter the form describes.
    pub fn filter_input(&self) -> Result<SavedFilter, String> {
        self.checked()?;
        let pin = self.value(FieldId::Pin).trim();
        Ok(SavedFilter {
            name: self.value(FieldId::Name).trim().to_string(),
            query: self.value(FieldId::Query).trim().to_string(),
            pin: if pin.is_empty() {
                None
            } else {
                pin.parse().ok()
            },
        })
    }

    /// Whether saving would create a party that does not exist yet.
    pub fn creates_party(&self, ledger: &Ledger) -> Option<String> {
        match self.kind {
            FormKind::Payment(_) | FormKind::Invoice(_) => {
                let n = self.value(FieldId::Party).trim();
                (!n.is_empty() && ledger.party_by_name(n).is_none()).then(|| n.to_string())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_parse() {
        assert_eq!(
            parse_split("INV-1=100.00; INV-2").unwrap(),
            vec![
                ("INV-1".to_string(), Some("100.00".parse().unwrap())),
                ("INV-2".to_string(), None)
            ]
        );
        assert!(parse_split("INV-1=abc").is_err());
        assert!(parse_split("INV-1;INV-1").is_err());
        assert!(parse_split("=5").is_err());
        assert!(parse_split("").unwrap().is_empty());
    }

    #[test]
    fn validates_as_you_type() {
        let l = Ledger::new();
        let ctx = FormCtx {
            ledger: &l,
            today: time::macros::date!(2026 - 12 - 03),
        };
        let mut f = Form::payment(ctx, None, None);
        assert!(!f.is_valid());
        f.set_value(ctx, FieldId::Amount, "12,5");
        assert!(f
            .field(FieldId::Amount)
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("positive decimal"));
        f.set_value(ctx, FieldId::Amount, "12.50");
        assert!(f.field(FieldId::Amount).unwrap().error.is_none());
        f.set_value(ctx, FieldId::Date, "-3d");
        assert_eq!(
            f.field(FieldId::Date).unwrap().hint.as_deref(),
            Some("= 2026-11-30")
        );
        f.set_value(ctx, FieldId::Date, "soon");
        assert!(f.field(FieldId::Date).unwrap().error.is_some());
        f.set_value(ctx, FieldId::Date, "today");
        f.set_value(ctx, FieldId::Party, "Nobody Ltd");
        assert!(f
            .field(FieldId::Party)
            .unwrap()
            .hint
            .as_deref()
            .unwrap()
            .contains("new party"));
        assert!(f.is_valid());
        assert_eq!(f.creates_party(&l).as_deref(), Some("Nobody Ltd"));
        let input = f.payment_input(ctx).unwrap();
        assert_eq!(input.amount, "12.50".parse().unwrap());
        assert_eq!(f.preview.credit, "12.50".parse().unwrap());
    }
}
