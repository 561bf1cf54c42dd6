//! A party's statement of account: opening balance, every invoice and payment in date
//! order with a running balance, closing balance, and the party's aging.
//!
//! The balance is what the party owes us, per currency (currencies are never added up):
//! receivable invoices and outgoing payments raise it (debit), incoming payments and
//! payable bills lower it (credit). So for a customer a positive balance is money owed to
//! us and a negative one is the customer's credit; for a partner a negative balance is
//! what we owe. It counts whole payments, allocated or not, and leaves out void invoices
//! (they owe nothing).
//!
//! The statement covers `from ..= to`: the opening balance sums everything dated before
//! `from` (zero when there is no `from`), the lines everything dated in the period (invoices
//! by issue date, payments by value date), nothing after `to` counts, and the aging line is
//! the party's aging as of `to` (see [`crate::domain::aging`]).

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde::Serialize;
use time::Date;

use super::output::{self, Align, Table};
use crate::domain::aging::{age_invoice, AgingBucket};
use crate::domain::ledger::Ledger;
use crate::domain::{format_date, Currency, Direction, InvoiceId, InvoiceKind, PartyId, PaymentId};

/// CSV header of [`write_csv`].
///
/// One row per record, told apart by `entry`: per currency an `opening` row, the lines
/// (`invoice`, `bill`, `payment_in`, `payment_out`) with their running balance, a `closing`
/// row, then five `aging` rows (bucket label in `document`, outstanding receivables in
/// `debit`, outstanding payables in `credit`).
pub const COLUMNS: [&str; 8] = [
    "date", "entry", "document", "detail", "currency", "debit", "credit", "balance",
];

/// What a statement line records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKind {
    /// A receivable invoice we issued to the party (debit).
    Invoice,
    /// A payable bill the party issued to us (credit).
    Bill,
    /// A payment the party made to us (credit).
    PaymentIn,
    /// A payment we made to the party (debit).
    PaymentOut,
}

impl EntryKind {
    /// The word in the `entry` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            EntryKind::Invoice => "invoice",
            EntryKind::Bill => "bill",
            EntryKind::PaymentIn => "payment_in",
            EntryKind::PaymentOut => "payment_out",
        }
    }

    /// Whether the entry raises what the party owes us.
    pub fn is_debit(&self) -> bool {
        matches!(self, EntryKind::Invoice | EntryKind::PaymentOut)
    }
}

/// One invoice or payment on the statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLine {
    /// Issue date of an invoice, value date of a payment.
    pub date: Date,
    /// What it is.
    pub kind: EntryKind,
    /// Invoice number or payment reference.
    pub document: String,
    /// `due YYYY-MM-DD` for an invoice; `pays NUMBER, NUMBER` for an allocated payment.
    pub detail: String,
    /// The invoice, for invoice lines.
    pub invoice: Option<InvoiceId>,
    /// The payment, for payment lines.
    pub payment: Option<PaymentId>,
    /// The amount (positive); [`EntryKind::is_debit`] tells the side.
    pub amount: Decimal,
    /// The balance after this line.
    pub balance: Decimal,
}

impl StatementLine {
    /// The change of the balance: +amount for a debit, −amount for a credit.
    pub fn signed(&self) -> Decimal {
        if self.kind.is_debit() {
            self.amount
        } else {
            -self.amount
        }
    }
}

/// The statement in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrencyStatement {
    /// Currency.
    pub currency: Currency,
    /// Balance before the period.
    pub opening: Decimal,
    /// Lines in date order (on one date invoices and bills before payments, then in
    /// recording order), each with the running balance.
    pub lines: Vec<StatementLine>,
    /// Balance at the end of the period.
    pub closing: Decimal,
    /// Outstanding receivables of the party as of `to`, per bucket ([`AgingBucket::ALL`] order).
    pub aging_receivable: [Decimal; 5],
    /// Outstanding payables to the party as of `to`, per bucket.
    pub aging_payable: [Decimal; 5],
}

/// A party's statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The party.
    pub party: PartyId,
    /// Its name (`?` for an unknown id).
    pub party_name: String,
    /// Start of the period, if any.
    pub from: Option<Date>,
    /// End of the period (the as-of date).
    pub to: Date,
    /// One section per currency with anything to show, sorted by code.
    pub currencies: Vec<CurrencyStatement>,
}

impl Statement {
    /// The section of one currency.
    pub fn currency(&self, c: Currency) -> Option<&CurrencyStatement> {
        self.currencies.iter().find(|s| s.currency == c)
    }
}

struct Section {
    currency: Currency,
    opening: Decimal,
    lines: Vec<(u8, u64, StatementLine)>,
    aging: [[Decimal; 5]; 2],
}

fn section(all: &mut Vec<Section>, c: Currency) -> &mut Section {
    let pos = match all.iter().position(|s| s.currency == c) {
        Some(p) => p,
        None => {
            all.push(Section {
                currency: c,
                opening: Decimal::ZERO,
                lines: Vec::new(),
                aging: [[Decimal::ZERO; 5]; 2],
            });
            all.len() - 1
        }
    };
    &mut all[pos]
}

/// The statement of `party` for `from ..= to` (see the module docs for the balance).
/// With `from` after `to` the period is empty and everything up to `to` is in the opening
/// balance.
pub fn statement(l: &Ledger, party: PartyId, from: Option<Date>, to: Date) -> Statement {
    let before = |d: Date| from.is_some_and(|f| d < f);
    let mut all: Vec<Section> = Vec::new();
    for inv in l.invoices() {
        if inv.party != party || inv.void || inv.issue_date > to {
            continue;
        }
        let (kind, side) = match inv.kind {
            InvoiceKind::Receivable => (EntryKind::Invoice, 0),
            InvoiceKind::Payable => (EntryKind::Bill, 1),
        };
        let s = section(&mut all, inv.currency);
        if let Some(e) = age_invoice(l, inv, to) {
            s.aging[side][e.bucket.index()] += e.outstanding;
        }
        let line = StatementLine {
            date: inv.issue_date,
            kind,
            document: inv.number.clone(),
            detail: format!("due {}", format_date(inv.due_date)),
            invoice: Some(inv.id),
            payment: None,
            amount: inv.amount,
            balance: Decimal::ZERO,
        };
        if before(inv.issue_date) {
            s.opening += line.signed();
        } else {
            s.lines.push((0, inv.id.0, line));
        }
    }
    for p in l.payments() {
        if p.party != party || p.date > to {
            continue;
        }
        let kind = match p.direction {
            Direction::In => EntryKind::PaymentIn,
            Direction::Out => EntryKind::PaymentOut,
        };
        let s = section(&mut all, p.currency);
        let signed = if kind.is_debit() { p.amount } else { -p.amount };
        if before(p.date) {
            s.opening += signed;
            continue;
        }
        let numbers: Vec<&str> = p
            .allocations
            .iter()
            .map(|a| {
                l.invoice(a.invoice)
                    .map(|i| i.number.as_str())
                    .unwrap_or("?")
            })
            .collect();
        let detail = if numbers.is_empty() {
            String::new()
        } else {
            format!("pays {}", numbers.join(", "))
        };
        s.lines.push((
            1,
            p.id.0,
            StatementLine {
                date: p.date,
                kind,
                document: p.reference.clone(),
                detail,
                invoice: None,
                payment: Some(p.id),
                amount: p.amount,
                balance: Decimal::ZERO,
            },
        ));
    }
    all.sort_by_key(|s| s.currency);
    let currencies = all
        .into_iter()
        .map(|mut s| {
            s.lines
                .sort_by_key(|(order, id, line)| (line.date, *order, *id));
            let mut balance = s.opening;
            let lines: Vec<StatementLine> = s
                .lines
                .into_iter()
                .map(|(_, _, mut line)| {
                    balance += line.signed();
                    line.balance = balance;
                    line
                })
                .collect();
            CurrencyStatement {
                currency: s.currency,
                opening: s.opening,
                lines,
                closing: balance,
                aging_receivable: s.aging[0],
                aging_payable: s.aging[1],
            }
        })
        .collect();
    Statement {
        party,
        party_name: l.party_name(party).to_string(),
        from,
        to,
        currencies,
    }
}

#[derive(Serialize)]
struct Record {
    date: Option<String>,
    entry: &'static str,
    document: String,
    detail: String,
    currency: String,
    debit: Option<String>,
    credit: Option<String>,
    balance: Option<String>,
}

/// The statement as flat records; `text` prepares text cells for the output format.
fn records(st: &Statement, text: fn(&str) -> String) -> Vec<Record> {
    let mut out = Vec::new();
    let to = format_date(st.to);
    for s in &st.currencies {
        let c = s.currency;
        let a = |v: Decimal| Some(output::amount(c, v));
        out.push(Record {
            date: st.from.map(format_date),
            entry: "opening",
            document: String::new(),
            detail: String::new(),
            currency: c.to_string(),
            debit: None,
            credit: None,
            balance: a(s.opening),
        });
        for line in &s.lines {
            let (debit, credit) = if line.kind.is_debit() {
                (a(line.amount), None)
            } else {
                (None, a(line.amount))
            };
            out.push(Record {
                date: Some(format_date(line.date)),
                entry: line.kind.as_str(),
                document: text(&line.document),
                detail: text(&line.detail),
                currency: c.to_string(),
                debit,
                credit,
                balance: a(line.balance),
            });
        }
        out.push(Record {
            date: Some(to.clone()),
            entry: "closing",
            document: String::new(),
            detail: String::new(),
            currency: c.to_string(),
            debit: None,
            credit: None,
            balance: a(s.closing),
        });
        for b in AgingBucket::ALL {
            out.push(Record {
                date: Some(to.clone()),
                entry: "aging",
                document: b.as_str().to_string(),
                detail: String::new(),
                currency: c.to_string(),
                debit: a(s.aging_receivable[b.index()]),
                credit: a(s.aging_payable[b.index()]),
                balance: None,
            });
        }
    }
    out
}

fn verbatim(s: &str) -> String {
    s.to_string()
}

/// CSV with [`COLUMNS`]: per currency the opening row, the lines, the closing row and the
/// five aging rows. Empty cells where a value does not apply.
pub fn write_csv<W: Write>(w: W, st: &Statement) -> io::Result<()> {
    output::write_csv_records(w, &COLUMNS, records(st, output::csv_text))
}

/// JSON array of the CSV's records (same field names, amounts as strings, `null` where
/// the CSV cell is empty).
pub fn write_json<W: Write>(w: W, st: &Statement) -> io::Result<()> {
    output::write_json_records(w, records(st, verbatim))
}

/// A printable statement: a title, then per currency the lines between opening and
/// closing balance, and the aging line.
pub fn write_table<W: Write>(mut w: W, st: &Statement) -> io::Result<()> {
    let period = match st.from {
        Some(f) => format!("{} to {}", format_date(f), format_date(st.to)),
        None => format!("up to {}", format_date(st.to)),
    };
    writeln!(
        w,
        "Statement for {}, {period}",
        crate::text::sanitize(&st.party_name)
    )?;
    if st.currencies.is_empty() {
        writeln!(w, "Nothing to show.")?;
    }
    for s in &st.currencies {
        let c = s.currency;
        writeln!(w)?;
        let mut t = Table::new(&[
            ("date", Align::Left),
            ("entry", Align::Left),
            ("document", Align::Left),
            ("detail", Align::Left),
            ("debit", Align::Right),
            ("credit", Align::Right),
            ("balance", Align::Right),
        ]);
        let opening_date = st.from.map(format_date).unwrap_or_default();
        t.row([
            opening_date.as_str(),
            "opening",
            "",
            "",
            "",
            "",
            &output::amount(c, s.opening),
        ]);
        for line in &s.lines {
            let amount = output::amount(c, line.amount);
            let (debit, credit) = if line.kind.is_debit() {
                (amount.as_str(), "")
            } else {
                ("", amount.as_str())
            };
            t.row([
                format_date(line.date).as_str(),
                line.kind.as_str(),
                &line.document,
                &line.detail,
                debit,
                credit,
                &output::amount(c, line.balance),
            ]);
        }
        t.row([
            format_date(st.to).as_str(),
            "closing",
            "",
            "",
            "",
            "",
            &output::amount(c, s.closing),
        ]);
        writeln!(w, "{c}")?;
        t.write(&mut w)?;
        let aging = |v: &[Decimal; 5]| {
            AgingBucket::ALL
                .iter()
                .map(|b| format!("{} {}", b.as_str(), output::amount(c, v[b.index()])))
                .collect::<Vec<_>>()
                .join("  ")
        };
        let has = |v: &[Decimal; 5]| v.iter().any(|x| !x.is_zero());
        let (r, p) = (has(&s.aging_receivable), has(&s.aging_payable));
        if r || !p {
            writeln!(w, "Aging (owed to us): {}", aging(&s.aging_receivable))?;
        }
        if p {
            writeln!(w, "Aging (we owe): {}", aging(&s.aging_payable))?;
        }
    }
    Ok(())
}
