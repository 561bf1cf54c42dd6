//! Reminder rules: per-invoice follow-up state, the reminder ladders, which reminders are
//! due as of a date, their consolidation per party, and message templates.
//!
//! Rules (as of date D):
//! - an invoice can raise a reminder when it is not void, issued on or before D, has an
//!   outstanding amount as of D of at least the minimum amount, and is not paused;
//! - it is paused while D is before its snooze date, on or before its promise-to-pay date,
//!   or while it is disputed;
//! - the level reached is the last level of its kind's ladder whose trigger date (due date
//!   plus the level's offset) is on or before D; it is due when that level (or a higher
//!   one) has not been sent yet, so recording a reminder as sent makes it no longer due;
//! - one reminder per party and kind consolidates every due invoice of the party, at the
//!   highest level reached among them. Totals are per currency, never added across.

use std::collections::HashMap;
use std::fmt::Write as _;

use rust_decimal::Decimal;
use time::Date;

use super::ledger::Ledger;
use super::{format_date, Currency, DomainError, InvoiceId, InvoiceKind, PartyId, StatusRules};

/// One reminder that was sent: the ladder level (its position) and the date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentReminder {
    /// Position of the level in the invoice kind's ladder (0 = first).
    pub level: u8,
    /// When it was recorded as sent.
    pub date: Date,
}

/// Follow-up state of one invoice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FollowUp {
    /// No reminders before this date.
    pub snooze_until: Option<Date>,
    /// The party promised to pay on this date: no reminders until then, and the
    /// cash-flow outlook expects the money on it.
    pub promise: Option<Date>,
    /// The invoice is disputed: no reminders while set.
    pub disputed: bool,
    /// Reminders sent, oldest first.
    pub sent: Vec<SentReminder>,
}

impl FollowUp {
    /// Whether nothing is recorded (such a follow-up need not be stored).
    pub fn is_empty(&self) -> bool {
        self.snooze_until.is_none()
            && self.promise.is_none()
            && !self.disputed
            && self.sent.is_empty()
    }

    /// Whether reminders are paused as of `d`, and why.
    pub fn paused(&self, d: Date) -> Option<Pause> {
        if self.disputed {
            Some(Pause::Disputed)
        } else if self.promise.is_some_and(|p| d <= p) {
            Some(Pause::Promised)
        } else if self.snooze_until.is_some_and(|s| d < s) {
            Some(Pause::Snoozed)
        } else {
            None
        }
    }

    /// The highest level sent so far.
    pub fn highest_sent(&self) -> Option<u8> {
        self.sent.iter().map(|s| s.level).max()
    }

    /// A one-character marker for lists: `!` disputed, `P` promised, `z` snoozed (as of
    /// `d`), `✉` reminded, else `None`.
    pub fn marker(&self, d: Date) -> Option<char> {
        match self.paused(d) {
            Some(Pause::Disputed) => Some('!'),
            Some(Pause::Promised) => Some('P'),
            Some(Pause::Snoozed) => Some('z'),
            None if !self.sent.is_empty() => Some('✉'),
            None => None,
        }
    }
}

/// Why reminders are paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pause {
    /// Disputed flag set.
    Disputed,
    /// A promise-to-pay date is on or after the date.
    Promised,
    /// Snoozed until a later date.
    Snoozed,
}

/// One level of a ladder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderLevel {
    /// Days relative to the due date (negative: before it).
    pub offset_days: i32,
    /// Short name ("friendly", "final notice").
    pub name: String,
    /// Subject template.
    pub subject: String,
    /// Body template.
    pub body: String,
}

/// Levels ordered by offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ladder {
    /// The levels, by increasing offset.
    pub levels: Vec<ReminderLevel>,
}

/// The most levels a ladder may have.
pub const MAX_LEVELS: usize = 32;

impl Ladder {
    /// Checks the ladder: at most [`MAX_LEVELS`] levels, increasing offsets, names and
    /// templates only with known placeholders.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.levels.len() > MAX_LEVELS {
            return Err(DomainError::Invalid(format!(
                "a ladder has at most {MAX_LEVELS} levels"
            )));
        }
        for w in self.levels.windows(2) {
            if w[0].offset_days >= w[1].offset_days {
                return Err(DomainError::Invalid(format!(
                    "levels must have different offsets in increasing order ({} then {})",
                    w[0].offset_days, w[1].offset_days
                )));
            }
        }
        for l in &self.levels {
            if l.name.trim().is_empty() {
                return Err(DomainError::Invalid("a level needs a name".into()));
            }
            check_template(&l.subject)?;
            check_template(&l.body)?;
        }
        Ok(())
    }

    /// Inserts `level`, replacing a level with the same offset; keeps the order.
    pub fn set_level(&mut self, level: ReminderLevel) {
        match self
            .levels
            .binary_search_by_key(&level.offset_days, |l| l.offset_days)
        {
            Ok(i) => self.levels[i] = level,
            Err(i) => self.levels.insert(i, level),
        }
    }

    /// Removes the level with this offset; whether there was one.
    pub fn remove_level(&mut self, offset_days: i32) -> bool {
        let before = self.levels.len();
        self.levels.retain(|l| l.offset_days != offset_days);
        before != self.levels.len()
    }

    /// The position of the last level triggered for an invoice due on `due` as of `d`.
    pub fn reached(&self, due: Date, d: Date) -> Option<u8> {
        let days = (d - due).whole_days();
        let n = self
            .levels
            .partition_point(|l| i64::from(l.offset_days) <= days);
        n.checked_sub(1).map(|i| i as u8)
    }

    /// The default receivable ladder: 3 days before, 1, 7, 14 and 30 days after.
    pub fn default_receivable() -> Ladder {
        let lv = |o: i32, name: &str, subject: &str, body: &str| ReminderLevel {
            offset_days: o,
            name: name.into(),
            subject: subject.into(),
            body: body.into(),
        };
        Ladder {
            levels: vec![
                lv(-3, "upcoming", "Upcoming payment: {invoices}",
                   "Dear {party},\n\na friendly note that the following invoices are due soon ({due_dates}):\n\n{table}\nTotal: {total}\n\nKind regards"),
                lv(1, "first reminder", "Payment reminder: {invoices}",
                   "Dear {party},\n\nwe have not yet received payment for the following invoices, due {due_dates}:\n\n{table}\nTotal outstanding: {total}\n\nIf you have already paid, please ignore this message.\n\nKind regards"),
                lv(7, "second reminder", "Second reminder: {invoices} ({days_overdue} days overdue)",
                   "Dear {party},\n\nthe following invoices are now {days_overdue} days overdue:\n\n{table}\nTotal outstanding: {total}\n\nPlease arrange payment at your earliest convenience.\n\nKind regards"),
                lv(14, "third reminder", "Third reminder: {invoices} ({days_overdue} days overdue)",
                   "Dear {party},\n\ndespite our reminders, the following invoices remain unpaid ({days_overdue} days overdue):\n\n{table}\nTotal outstanding: {total}\n\nPlease pay within 7 days.\n\nKind regards"),
                lv(30, "final notice", "Final notice: {invoices}",
                   "Dear {party},\n\nthis is our final notice. The following invoices are {days_overdue} days overdue:\n\n{table}\nTotal outstanding: {total}\n\nWithout payment we will have to take further steps.\n\nKind regards"),
            ],
        }
    }

    /// The default payable ladder (reminders to ourselves to pay): same offsets.
    pub fn default_payable() -> Ladder {
        let lv = |o: i32, name: &str, subject: &str| ReminderLevel {
            offset_days: o,
            name: name.into(),
            subject: subject.into(),
            body: "Bills to pay to {party}, due {due_dates}:\n\n{table}\nTotal: {total}\n".into(),
        };
        Ladder {
            levels: vec![
                lv(-3, "due soon", "Pay soon: {party} {invoices}"),
                lv(1, "overdue", "Overdue bill: {party} {invoices}"),
                lv(
                    7,
                    "overdue 7 days",
                    "Overdue {days_overdue} days: {party} {invoices}",
                ),
                lv(
                    14,
                    "overdue 14 days",
                    "Overdue {days_overdue} days: {party} {invoices}",
                ),
                lv(
                    30,
                    "overdue 30 days",
                    "Overdue {days_overdue} days: {party} {invoices}",
                ),
            ],
        }
    }
}

/// Both ladders and the minimum amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderSettings {
    /// Reminding customers.
    pub receivable: Ladder,
    /// Reminding ourselves to pay.
    pub payable: Ladder,
    /// Invoices with less outstanding than this (in their own currency) raise no reminder.
    pub min_amount: Decimal,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings {
            receivable: Ladder::default_receivable(),
            payable: Ladder::default_payable(),
            min_amount: Decimal::ZERO,
        }
    }
}

impl ReminderSettings {
    /// The ladder for a kind.
    pub fn ladder(&self, kind: InvoiceKind) -> &Ladder {
        match kind {
            InvoiceKind::Receivable => &self.receivable,
            InvoiceKind::Payable => &self.payable,
        }
    }
    /// The ladder for a kind, to edit.
    pub fn ladder_mut(&mut self, kind: InvoiceKind) -> &mut Ladder {
        match kind {
            InvoiceKind::Receivable => &mut self.receivable,
            InvoiceKind::Payable => &mut self.payable,
        }
    }
    /// Checks both ladders and the minimum.
    pub fn validate(&self) -> Result<(), DomainError> {
        self.receivable.validate()?;
        self.payable.validate()?;
        if self.min_amount < Decimal::ZERO {
            return Err(DomainError::Invalid(
                "the minimum amount cannot be negative".into(),
            ));
        }
        Ok(())
    }
}

/// Follow-up state per invoice.
pub type FollowUps = HashMap<InvoiceId, FollowUp>;

/// One invoice in a due reminder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueInvoice {
    /// The invoice.
    pub invoice: InvoiceId,
    /// Its number.
    pub number: String,
    /// Due date.
    pub due_date: Date,
    /// Outstanding as of the date.
    pub outstanding: Decimal,
    /// Currency.
    pub currency: Currency,
    /// As-of date minus due date (negative before the due date).
    pub days_overdue: i64,
    /// The level reached.
    pub level: u8,
}

/// One consolidated reminder for a party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reminder {
    /// The party.
    pub party: PartyId,
    /// Receivable (remind the customer) or payable (remind ourselves).
    pub kind: InvoiceKind,
    /// The highest level reached among its invoices.
    pub level: u8,
    /// The name of that level.
    pub level_name: String,
    /// Due invoices, most overdue first.
    pub invoices: Vec<DueInvoice>,
    /// Outstanding per currency, sorted by code.
    pub totals: Vec<(Currency, Decimal)>,
}

impl Reminder {
    /// Days overdue of the most overdue invoice.
    pub fn days_overdue(&self) -> i64 {
        self.invoices
            .iter()
            .map(|i| i.days_overdue)
            .max()
            .unwrap_or(0)
    }
}

/// Whether `inv` has a reminder due as of `d`, and at which level.
fn due_level(
    l: &Ledger,
    inv: &super::Invoice,
    follow_up: Option<&FollowUp>,
    settings: &ReminderSettings,
    d: Date,
) -> Option<(u8, Decimal)> {
    if inv.void || inv.issue_date > d {
        return None;
    }
    let level = settings.ladder(inv.kind).reached(inv.due_date, d)?;
    if let Some(f) = follow_up {
        if f.paused(d).is_some() || f.highest_sent().is_some_and(|s| s >= level) {
            return None;
        }
    }
    let s = l.settlement(inv, &StatusRules::new(d));
    if s.outstanding <= Decimal::ZERO || s.outstanding < settings.min_amount {
        return None;
    }
    Some((level, s.outstanding))
}

/// The due reminders as of `d`, one per party and kind, most overdue first (then by
/// party name). `kind` restricts to one ladder.
pub fn due_reminders(
    l: &Ledger,
    follow_ups: &FollowUps,
    settings: &ReminderSettings,
    d: Date,
    kind: Option<InvoiceKind>,
) -> Vec<Reminder> {
    let mut by_party: HashMap<(PartyId, InvoiceKind), Vec<DueInvoice>> = HashMap::new();
    for inv in l.invoices() {
        if kind.is_some_and(|k| k != inv.kind) {
            continue;
        }
        let Some((level, outstanding)) = due_level(l, inv, follow_ups.get(&inv.id), settings, d)
        else {
            continue;
        };
        by_party
            .entry((inv.party, inv.kind))
            .or_default()
            .push(DueInvoice {
                invoice: inv.id,
                number: inv.number.clone(),
                due_date: inv.due_date,
                outstanding,
                currency: inv.currency,
                days_overdue: (d - inv.due_date).whole_days(),
                level,
            });
    }
    let mut out: Vec<Reminder> = by_party
        .into_iter()
        .map(|((party, kind), mut invoices)| {
            invoices.sort_by(|a, b| {
                b.days_overdue
                    .cmp(&a.days_overdue)
                    .then_with(|| a.number.cmp(&b.number))
            });
            let level = invoices.iter().map(|i| i.level).max().unwrap_or(0);
            let mut totals: Vec<(Currency, Decimal)> = Vec::new();
            for i in &invoices {
                match totals.iter_mut().find(|(c, _)| *c == i.currency) {
                    Some(t) => t.1 += i.outstanding,
                    None => totals.push((i.currency, i.outstanding)),
                }
            }
            totals.sort_by_key(|t| t.0);
            let level_name = settings
                .ladder(kind)
                .levels
                .get(level as usize)
                .map(|l| l.name.clone())
                .unwrap_or_default();
            Reminder {
                party,
                kind,
                level,
                level_name,
                invoices,
                totals,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.days_overdue()
            .cmp(&a.days_overdue())
            .then_with(|| l.party_name(a.party).cmp(l.party_name(b.party)))
            .then_with(|| a.kind.cmp(&b.kind))
    });
    out
}

/// Records `reminders` as sent on `d`: the follow-ups to store (only those that change).
/// A level already recorded for an invoice is not recorded again.
pub fn mark_sent(
    follow_ups: &FollowUps,
    reminders: &[Reminder],
    d: Date,
) -> Vec<(InvoiceId, FollowUp)> {
    let mut out = Vec::new();
    for r in reminders {
        for i in &r.invoices {
            let mut f = follow_ups.get(&i.invoice).cloned().unwrap_or_default();
            if f.highest_sent().is_some_and(|s| s >= i.level) {
                continue;
            }
            f.sent.push(SentReminder {
                level: i.level,
                date: d,
            });
            out.push((i.invoice, f));
        }
    }
    out
}

/// Placeholders a template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "party",
    "invoices",
    "total",
    "due_dates",
    "days_overdue",
    "currency",
    "level",
    "count",
    "table",
];

/// Checks that `t` uses only known placeholders and closes its braces (`{{` and `}}`
/// stand for literal braces).
pub fn check_template(t: &str) -> Result<(), DomainError> {
    render_with(t, |name| PLACEHOLDERS.contains(&name).then(String::new)).map(|_| ())
}

fn render_with(t: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, DomainError> {
    let mut out = String::with_capacity(t.len() + 64);
    let mut rest = t;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let c = rest.as_bytes()[i];
        let after = &rest[i + 1..];
        if after.as_bytes().first() == Some(&c) {
            out.push(c as char);
            rest = &after[1..];
            continue;
        }
        if c == b'}' {
            return Err(DomainError::Invalid(
                "a '}' without '{' in the template (write '}}' for a brace)".into(),
            ));
        }
        let Some(end) = after.find('}') else {
            return Err(DomainError::Invalid(
                "a '{' without '}' in the template (write '{{' for a brace)".into(),
            ));
        };
        let name = after[..end].trim();
        match value(name) {
            Some(v) => out.push_str(&v),
            None => {
                return Err(DomainError::Invalid(format!(
                    "unknown placeholder {{{name}}} (known: {})",
                    PLACEHOLDERS.join(", ")
                )))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A reminder's subject and body rendered from its level's templates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// The plain-text table of a reminder's invoices.
pub fn invoice_table(r: &Reminder) -> String {
    let rows: Vec<[String; 4]> = r
        .invoices
        .iter()
        .map(|i| {
            [
                i.number.clone(),
                format_date(i.due_date),
                format!("{} {}", i.currency.format(i.outstanding), i.currency),
                match i.days_overdue {
                    d if d > 0 => format!("{d} days overdue"),
                    0 => "due today".into(),
                    d => format!("due in {} days", -d),
                },
            ]
        })
        .collect();
    let head = ["Invoice", "Due", "Outstanding", ""];
    let mut w = [0usize; 4];
    for row in rows.iter().chain(std::iter::once(&head.map(String::from))) {
        for (k, c) in row.iter().enumerate() {
            w[k] = w[k].max(c.chars().count());
        }
    }
    let mut s = String::new();
    let mut line = |cells: &[String; 4]| {
        let _ = writeln!(
            s,
            "  {:<a$}  {:<b$}  {:>c$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            a = w[0],
            b = w[1],
            c = w[2]
        );
    };
    line(&head.map(String::from));
    for row in &rows {
        line(row);
    }
    s.lines().map(|l| l.trim_end().to_string() + "\n").collect()
}

/// Renders `r` with its level's templates. `party` is the party's display name.
pub fn render(r: &Reminder, party: &str, settings: &ReminderSettings) -> Message {
    let fallback = ReminderLevel {
        offset_days: 0,
        name: r.level_name.clone(),
        subject: "Reminder: {invoices}".into(),
        body: "{table}\nTotal: {total}\n".into(),
    };
    let level = settings
        .ladder(r.kind)
        .levels
        .get(r.level as usize)
        .unwrap_or(&fallback);
    let total = r
        .totals
        .iter()
        .map(|(c, v)| format!("{} {}", c.format(*v), c))
        .collect::<Vec<_>>()
        .join(" + ");
    let mut dues: Vec<Date> = r.invoices.iter().map(|i| i.due_date).collect();
    dues.sort();
    dues.dedup();
    let value = |name: &str| -> Option<String> {
        Some(match name {
            "party" => party.to_string(),
            "invoices" => r
                .invoices
                .iter()
                .map(|i| i.number.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            "total" => total.clone(),
            "due_dates" => dues
                .iter()
                .map(|d| format_date(*d))
                .collect::<Vec<_>>()
                .join(", "),
            "days_overdue" => r.days_overdue().max(0).to_string(),
            "currency" => r
                .totals
                .iter()
                .map(|(c, _)| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            "level" => level.name.clone(),
            "count" => r.invoices.len().to_string(),
            "table" => invoice_table(r),
            _ => return None,
        })
    };
    // Templates are validated when stored; one that is not still renders as written.
    let subject = render_with(&level.subject, value).unwrap_or_else(|_| level.subject.clone());
    let body = render_with(&level.body, value).unwrap_or_else(|_| level.body.clone());
    Message {
        subject: subject.lines().collect::<Vec<_>>().join(" "),
        body,
    }
}

impl Ledger {
    /// An invoice's follow-up state, if any is recorded.
    pub fn follow_up(&self, id: InvoiceId) -> Option<&FollowUp> {
        self.follow_ups.get(&id)
    }
    /// Every recorded follow-up.
    pub fn follow_ups(&self) -> &FollowUps {
        &self.follow_ups
    }
    /// The reminder settings (the defaults unless stored).
    pub fn reminder_settings(&self) -> &ReminderSettings {
        &self.reminder_settings
    }
    /// Replaces every follow-up (after a load).
    pub fn set_follow_ups(&mut self, f: FollowUps) {
        self.follow_ups = f;
    }
    /// Inserts or replaces an invoice's follow-up.
    pub fn put_follow_up(&mut self, id: InvoiceId, f: FollowUp) {
        self.follow_ups.insert(id, f);
    }
    /// Removes an invoice's follow-up.
    pub fn remove_follow_up(&mut self, id: InvoiceId) -> Option<FollowUp> {
        self.follow_ups.remove(&id)
    }
    /// Replaces the reminder settings.
    pub fn set_reminder_settings(&mut self, s: ReminderSettings) {
        self.reminder_settings = s;
    }
    /// The due reminders as of `d` with the ledger's own follow-ups and settings.
    pub fn due_reminders(&self, d: Date, kind: Option<InvoiceKind>) -> Vec<Reminder> {
        due_reminders(self, &self.follow_ups, &self.reminder_settings, d, kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Allocation, Direction, Invoice, Method, Party, PartyRole, Payment, PaymentId,
    };
    use time::macros::date;
    use time::Duration;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn party(id: u64, name: &str) -> Party {
        Party {
            id: PartyId(id),
            name: name.into(),
            role: PartyRole::Customer,
            email: format!("{id}@example.com"),
            terms_days: None,
            notes: String::new(),
        }
    }

    fn inv(id: u64, party: u64, due: Date, amount: &str) -> Invoice {
        Invoice {
            id: InvoiceId(id),
            number: format!("INV-{id}"),
            party: PartyId(party),
            kind: InvoiceKind::Receivable,
            issue_date: date!(2025 - 01 - 01),
            due_date: due,
            amount: d(amount),
            currency: Currency::EUR,
            notes: String::new(),
            void: false,
        }
    }

    fn pay(id: u64, inv: u64, amount: &str, on: Date) -> Payment {
        Payment {
            id: PaymentId(id),
            party: PartyId(1),
            direction: Direction::In,
            amount: d(amount),
            currency: Currency::EUR,
            date: on,
            method: Method::BankTransfer,
            reference: String::new(),
            notes: String::new(),
            allocations: vec![Allocation {
                invoice: InvoiceId(inv),
                amount: d(amount),
            }],
            source: None,
        }
    }

    const DUE: Date = date!(2025 - 03 - 01);

    fn ledger() -> Ledger {
        Ledger::from_records(
            vec![party(1, "Acme"), party(2, "Beta")],
            vec![inv(1, 1, DUE, "100")],
            vec![],
        )
    }

    fn level_on(l: &Ledger, f: &FollowUps, s: &ReminderSettings, day: Date) -> Option<u8> {
        let r = due_reminders(l, f, s, day, None);
        assert!(r.len() <= 1);
        r.first().map(|r| r.level)
    }

    #[test]
    fn levels_trigger_before_on_and_after_each_offset() {
        let l = ledger();
        let s = ReminderSettings::default();
        let f = FollowUps::new();
        for (k, lv) in s.receivable.levels.iter().enumerate() {
            let on = DUE + Duration::days(i64::from(lv.offset_days));
            assert_eq!(level_on(&l, &f, &s, on), Some(k as u8), "on level {k}");
            assert_eq!(
                level_on(&l, &f, &s, on + Duration::days(1)),
                Some(k as u8),
                "after level {k}"
            );
            let before = level_on(&l, &f, &s, on - Duration::days(1));
            assert_eq!(
                before,
                k.checked_sub(1).map(|p| p as u8),
                "before level {k}"
            );
        }
        assert_eq!(level_on(&l, &f, &s, DUE - Duration::days(4)), None);
        assert_eq!(
            level_on(&l, &f, &s, DUE),
            Some(0),
            "on the due date: still 'upcoming'"
        );
    }

    #[test]
    fn paused_disputed_snoozed_paid_void_and_small_raise_nothing() {
        let mut l = ledger();
        let s = ReminderSettings::default();
        let day = DUE + Duration::days(10);
        let mut f = FollowUps::new();
        assert_eq!(level_on(&l, &f, &s, day), Some(2));
        f.insert(
            InvoiceId(1),
            FollowUp {
                disputed: true,
                ..Default::default()
            },
        );
        assert_eq!(level_on(&l, &f, &s, day), None, "disputed");
        f.insert(
            InvoiceId(1),
            FollowUp {
                snooze_until: Some(day + Duration::days(1)),
                ..Default::default()
            },
        );
        assert_eq!(level_on(&l, &f, &s, day), None, "snoozed");
        f.insert(
            InvoiceId(1),
            FollowUp {
                snooze_until: Some(day),
                ..Default::default()
            },
        );
        assert_eq!(
            level_on(&l, &f, &s, day),
            Some(2),
            "snooze ends on its date"
        );
        f.insert(
            InvoiceId(1),
            FollowUp {
                promise: Some(day),
                ..Default::default()
            },
        );
        assert_eq!(level_on(&l, &f, &s, day), None, "promised for today");
        assert_eq!(
            level_on(&l, &f, &s, day + Duration::days(1)),
            Some(2),
            "promise broken"
        );
        f.clear();
        let mut small = s.clone();
        small.min_amount = d("100.01");
        assert_eq!(level_on(&l, &f, &small, day), None, "below the minimum");
        small.min_amount = d("100");
        assert_eq!(level_on(&l, &f, &small, day), Some(2), "at the minimum");
        // paid meanwhile: a payment after the date does not count yet
        l.upsert_payment(pay(1, 1, "100", day + Duration::days(2)));
        assert_eq!(level_on(&l, &f, &s, day), Some(2));
        assert_eq!(level_on(&l, &f, &s, day + Duration::days(2)), None, "paid");
        let mut v = l.invoice(InvoiceId(1)).unwrap().clone();
        v.void = true;
        l.upsert_invoice(v);
        assert_eq!(level_on(&l, &f, &s, day), None, "void");
    }

    #[test]
    fn consolidates_per_party_at_highest_level_and_marks_once() {
        let mut l = ledger();
        l.upsert_invoice(inv(2, 1, DUE + Duration::days(20), "50"));
        l.upsert_invoice(inv(3, 2, DUE + Duration::days(25), "70"));
        let mut usd = inv(4, 1, DUE + Duration::days(26), "30");
        usd.currency = Currency::USD;
        l.upsert_invoice(usd);
        let s = ReminderSettings::default();
        let day = DUE + Duration::days(30);
        let mut f = FollowUps::new();
        let r = due_reminders(&l, &f, &s, day, None);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].party, PartyId(1), "most overdue first");
        assert_eq!(r[0].level, 4);
        assert_eq!(r[0].level_name, "final notice");
        assert_eq!(r[0].invoices.len(), 3);
        assert_eq!(
            r[0].totals,
            vec![(Currency::EUR, d("150")), (Currency::USD, d("30"))]
        );
        assert_eq!(r[1].party, PartyId(2));
        assert_eq!(r[1].level, 1, "5 days overdue");
        let marks = mark_sent(&f, &r, day);
        assert_eq!(marks.len(), 4);
        f.extend(marks);
        assert!(due_reminders(&l, &f, &s, day, None).is_empty());
        assert!(
            mark_sent(&f, &r, day).is_empty(),
            "marking twice records nothing"
        );
        // the next level of one invoice brings only that one back
        let later = due_reminders(&l, &f, &s, DUE + Duration::days(28), None);
        assert!(later.is_empty());
        let r = due_reminders(&l, &f, &s, DUE + Duration::days(32), None);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].invoices[0].number, "INV-3");
        assert_eq!(r[0].level, 2, "7 days overdue");
        assert_eq!(
            due_reminders(&l, &f, &s, day, Some(InvoiceKind::Payable)).len(),
            0
        );
    }

    #[test]
    fn templates_render_and_unknown_placeholders_are_refused() {
        let mut l = ledger();
        l.upsert_invoice(inv(2, 1, DUE, "0.5"));
        let s = ReminderSettings::default();
        let r = due_reminders(&l, &FollowUps::new(), &s, DUE + Duration::days(8), None);
        let m = render(&r[0], "Acme", &s);
        assert_eq!(m.subject, "Second reminder: INV-1, INV-2 (8 days overdue)");
        assert!(m.body.starts_with("Dear Acme,"), "{}", m.body);
        assert!(
            m.body.contains("Total outstanding: 100.50 EUR"),
            "{}",
            m.body
        );
        assert!(
            m.body
                .contains("INV-2    2025-03-01     0.50 EUR  8 days overdue"),
            "{}",
            m.body
        );
        assert!(check_template("Hi {party} {{literal}}").is_ok());
        let e = check_template("Hi {partty}").unwrap_err().to_string();
        assert!(e.contains("unknown placeholder {partty}"), "{e}");
        assert!(check_template("Hi {party").is_err());
        let mut lad = Ladder::default_receivable();
        lad.levels[1].offset_days = -3;
        assert!(lad.validate().is_err());
        Ladder::default_receivable().validate().unwrap();
        Ladder::default_payable().validate().unwrap();
    }
}
