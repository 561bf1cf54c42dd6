//! A plain-text accounting journal that hledger and ledger read.
//!
//! Every invoice and payment becomes one balanced transaction of two postings in its own
//! currency (one commodity per posting, the ISO code after the amount):
//!
//! | record | debit | credit |
//! |---|---|---|
//! | receivable invoice | `Assets:Receivable:PARTY` | `Income:Sales` |
//! | payable invoice (bill) | `Expenses:Purchases` | `Liabilities:Payable:PARTY` |
//! | payment in | `Assets:Bank` | `Assets:Receivable:PARTY` |
//! | payment out | `Liabilities:Payable:PARTY` | `Assets:Bank` |
//!
//! Cash payments use `Assets:Cash` and PayPal ones `Assets:PayPal` instead of
//! `Assets:Bank`. Void invoices are left out (they owe nothing). A payment posts its whole
//! amount, allocated or not, so per party and currency:
//!
//! - `Assets:Receivable:PARTY` = receivable invoices − payments received
//!   = outstanding receivables − the customer's credit (negative when the customer has
//!   paid ahead);
//! - `Liabilities:Payable:PARTY` = payments made − bills = −(outstanding payables −
//!   our credit with the partner) (negative: what we owe);
//! - their sum is the closing balance of `paytrack report statement --party PARTY`.
//!
//! With `from`, everything dated before it is summed into one opening transaction on
//! `from` (against `Equity:Opening Balances`), so balances at the end are the same as
//! for the whole history. Invoices count by issue date, payments by value date.
//!
//! Names are made safe for the journal: party names become one account segment (`:`
//! becomes `-`, `;` becomes `,`, control characters and runs of blanks become one space),
//! two parties whose names clash after that get ` #ID` appended; descriptions lose `;`,
//! `|`, line breaks and a leading `(` (which would read as a transaction code).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use rust_decimal::Decimal;
use time::Date;

use crate::domain::ledger::Ledger;
use crate::domain::{
    format_amount, format_date, Currency, Direction, InvoiceKind, Method, PartyId,
};

/// Account names.
pub mod accounts {
    /// Receivables, one sub-account per customer.
    pub const RECEIVABLE: &str = "Assets:Receivable";
    /// Payables, one sub-account per partner.
    pub const PAYABLE: &str = "Liabilities:Payable";
    /// Revenue of receivable invoices.
    pub const REVENUE: &str = "Income:Sales";
    /// Expense of payable invoices.
    pub const EXPENSE: &str = "Expenses:Purchases";
    /// Where payments go by default.
    pub const BANK: &str = "Assets:Bank";
    /// Cash payments.
    pub const CASH: &str = "Assets:Cash";
    /// PayPal payments.
    pub const PAYPAL: &str = "Assets:PayPal";
    /// The other side of opening balances.
    pub const OPENING: &str = "Equity:Opening Balances";
}

/// Which records the journal covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JournalOptions {
    /// First date; earlier records are summed into opening balances.
    pub from: Option<Date>,
    /// Last date; later records are left out.
    pub to: Option<Date>,
}

/// What was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JournalSummary {
    /// Invoice transactions.
    pub invoices: usize,
    /// Payment transactions.
    pub payments: usize,
    /// Whether an opening-balance transaction was written.
    pub opening: bool,
}

/// Line breaks and tabs as spaces (before [`crate::text::sanitize`] makes them visible).
fn blanks(s: &str) -> String {
    s.replace(['\n', '\r', '\t'], " ")
}

/// One account segment from a name.
pub fn account_segment(name: &str) -> String {
    let clean = crate::text::sanitize(&blanks(name)).into_owned();
    let mut s = String::with_capacity(clean.len());
    let mut blank = false;
    for c in clean.chars() {
        let c = match c {
            ':' => '-',
            ';' => ',',
            c if c.is_whitespace() || c.is_control() => ' ',
            c => c,
        };
        if c == ' ' {
            if !blank && !s.is_empty() {
                s.push(' ');
            }
            blank = true;
        } else {
            blank = false;
            s.push(c);
        }
    }
    let t = s
        .trim_end()
        .trim_start_matches(['(', '[', ' '])
        .trim_end_matches([')', ']'])
        .to_string();
    if t.is_empty() {
        "unnamed".into()
    } else {
        t
    }
}

/// Text for a description or comment: one line, no `;` (a comment) and no `|` (the
/// payee/note separator).
fn description_text(s: &str) -> String {
    let clean = crate::text::sanitize(&blanks(s)).into_owned();
    let mut out = String::with_capacity(clean.len());
    let mut blank = false;
    for c in clean.chars() {
        let c = match c {
            ';' => ',',
            '|' => '/',
            c if c.is_whitespace() || c.is_control() => ' ',
            c => c,
        };
        if c == ' ' {
            if !blank && !out.is_empty() {
                out.push(' ');
            }
            blank = true;
        } else {
            blank = false;
            out.push(c);
        }
    }
    // a leading '(' would read as a transaction code
    out.trim_end().trim_start_matches(['(', ' ']).to_string()
}

/// The account segment of every party, unique.
fn party_segments(ledger: &Ledger) -> HashMap<PartyId, String> {
    let mut by_seg: HashMap<String, PartyId> = HashMap::new();
    let mut out = HashMap::with_capacity(ledger.parties().len());
    let mut parties: Vec<_> = ledger.parties().iter().collect();
    parties.sort_by_key(|p| p.id);
    for p in parties {
        let mut seg = account_segment(&p.name);
        let key = seg.to_lowercase();
        if by_seg.contains_key(&key) {
            seg = format!("{seg} #{}", p.id);
        }
        by_seg.insert(seg.to_lowercase(), p.id);
        out.insert(p.id, seg);
    }
    out
}

fn money_account(m: Method) -> &'static str {
    match m {
        Method::Cash => accounts::CASH,
        Method::Paypal => accounts::PAYPAL,
        _ => accounts::BANK,
    }
}

struct Posting {
    account: String,
    amount: Decimal,
    currency: Currency,
}

fn write_postings(w: &mut impl Write, postings: &[Posting]) -> io::Result<()> {
    for p in postings {
        let amount = format_amount(p.amount, p.currency.minor_units());
        let width = p.account.chars().count();
        let pad = 48usize.saturating_sub(width + amount.len()).max(2);
        writeln!(
            w,
            "    {}{:pad$}{} {}",
            p.account,
            "",
            amount,
            p.currency.as_str()
        )?;
    }
    Ok(())
}

enum Item {
    Invoice(usize),
    Payment(usize),
}

/// Writes the journal of `ledger`.
pub fn write_journal(
    mut w: impl Write,
    ledger: &Ledger,
    opts: &JournalOptions,
) -> io::Result<JournalSummary> {
    let segs = party_segments(ledger);
    let seg = |id: PartyId| segs.get(&id).map(String::as_str).unwrap_or("unknown");
    let in_range = |d: Date| opts.to.is_none_or(|t| d <= t);
    let before = |d: Date| opts.from.is_some_and(|f| d < f);
    let mut items: Vec<(Date, u8, u64, Item)> = Vec::new();
    // opening balances: (account, currency) -> amount
    let mut opening: BTreeMap<(String, Currency), Decimal> = BTreeMap::new();
    let mut add = |acct: String, c: Currency, v: Decimal| {
        *opening.entry((acct, c)).or_default() += v;
    };
    for (i, inv) in ledger.invoices().iter().enumerate() {
        if inv.void || !in_range(inv.issue_date) {
            continue;
        }
        if before(inv.issue_date) {
            match inv.kind {
                InvoiceKind::Receivable => {
                    add(
                        format!("{}:{}", accounts::RECEIVABLE, seg(inv.party)),
                        inv.currency,
                        inv.amount,
                    );
                    add(accounts::REVENUE.into(), inv.currency, -inv.amount);
                }
                InvoiceKind::Payable => {
                    add(accounts::EXPENSE.into(), inv.currency, inv.amount);
                    add(
                        format!("{}:{}", accounts::PAYABLE, seg(inv.party)),
                        inv.currency,
                        -inv.amount,
                    );
                }
            }
            continue;
        }
        items.push((inv.issue_date, 0, inv.id.0, Item::Invoice(i)));
    }
    for (i, p) in ledger.payments().iter().enumerate() {
        if !in_range(p.date) {
            continue;
        }
        if before(p.date) {
            let money = money_account(p.method).to_string();
            match p.direction {
                Direction::In => {
                    add(money, p.currency, p.amount);
                    add(
                        format!("{}:{}", accounts::RECEIVABLE, seg(p.party)),
                        p.currency,
                        -p.amount,
                    );
                }
                Direction::Out => {
                    add(
                        format!("{}:{}", accounts::PAYABLE, seg(p.party)),
                        p.currency,
                        p.amount,
                    );
                    add(money, p.currency, -p.amount);
                }
            }
            continue;
        }
        items.push((p.date, 1, p.id.0, Item::Payment(i)));
    }
    items.sort_by_key(|(d, k, id, _)| (*d, *k, *id));
    let mut w = io::BufWriter::with_capacity(1 << 16, &mut w);
    writeln!(w, "; paytrack journal (hledger / ledger)")?;
    writeln!(
        w,
        "; {}:PARTY = invoices - payments received; {}:PARTY = payments made - bills",
        accounts::RECEIVABLE,
        accounts::PAYABLE
    )?;
    let mut summary = JournalSummary::default();
    if let Some(from) = opts.from {
        let lines: Vec<Posting> = opening
            .iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|((a, c), v)| Posting {
                account: a.clone(),
                amount: *v,
                currency: *c,
            })
            .collect();
        if !lines.is_empty() {
            let mut per_ccy: BTreeMap<Currency, Decimal> = BTreeMap::new();
            for l in &lines {
                *per_ccy.entry(l.currency).or_default() += l.amount;
            }
            writeln!(w, "\n{} * Opening balances", format_date(from))?;
            write_postings(&mut w, &lines)?;
            let eq: Vec<Posting> = per_ccy
                .into_iter()
                .filter(|(_, v)| !v.is_zero())
                .map(|(c, v)| Posting {
                    account: accounts::OPENING.into(),
                    amount: -v,
                    currency: c,
                })
                .collect();
            write_postings(&mut w, &eq)?;
            summary.opening = true;
        }
    }
    for (_, _, _, item) in &items {
        match *item {
            Item::Invoice(i) => {
                let inv = &ledger.invoices()[i];
                let party = seg(inv.party);
                let (word, debit, credit) = match inv.kind {
                    InvoiceKind::Receivable => (
                        "invoice",
                        format!("{}:{party}", accounts::RECEIVABLE),
                        accounts::REVENUE.to_string(),
                    ),
                    InvoiceKind::Payable => (
                        "bill",
                        accounts::EXPENSE.to_string(),
                        format!("{}:{party}", accounts::PAYABLE),
                    ),
                };
                writeln!(
                    w,
                    "\n{} * {} | {word} {}",
                    format_date(inv.issue_date),
                    description_text(ledger.party_name(inv.party)),
                    description_text(&inv.number)
                )?;
                writeln!(w, "    ; due: {}", format_date(inv.due_date))?;
                if !inv.notes.trim().is_empty() {
                    writeln!(w, "    ; {}", description_text(&inv.notes))?;
                }
                write_postings(
                    &mut w,
                    &[
                        Posting {
                            account: debit,
                            amount: inv.amount,
                            currency: inv.currency,
                        },
                        Posting {
                            account: credit,
                            amount: -inv.amount,
                            currency: inv.currency,
                        },
                    ],
                )?;
                summary.invoices += 1;
            }
            Item::Payment(i) => {
                let p = &ledger.payments()[i];
                let party = seg(p.party);
                let money = money_account(p.method).to_string();
                let (debit, credit) = match p.direction {
                    Direction::In => (money, format!("{}:{party}", accounts::RECEIVABLE)),
                    Direction::Out => (format!("{}:{party}", accounts::PAYABLE), money),
                };
                writeln!(
                    w,
                    "\n{} * {} | payment {} {}",
                    format_date(p.date),
                    description_text(ledger.party_name(p.party)),
                    p.id,
                    p.direction.as_str()
                )?;
                if !p.reference.trim().is_empty() {
                    writeln!(w, "    ; ref: {}", description_text(&p.reference))?;
                }
                if !p.allocations.is_empty() {
                    let pays: Vec<String> = p
                        .allocations
                        .iter()
                        .map(|a| {
                            let n = ledger
                                .invoice(a.invoice)
                                .map(|i| description_text(&i.number))
                                .unwrap_or_else(|| "?".into());
                            format!("{n} {}", format_amount(a.amount, p.currency.minor_units()))
                        })
                        .collect();
                    writeln!(w, "    ; pays: {}", pays.join(", "))?;
                }
                if !p.notes.trim().is_empty() {
                    writeln!(w, "    ; {}", description_text(&p.notes))?;
                }
                write_postings(
                    &mut w,
                    &[
                        Posting {
                            account: debit,
                            amount: p.amount,
                            currency: p.currency,
                        },
                        Posting {
                            account: credit,
                            amount: -p.amount,
                            currency: p.currency,
                        },
                    ],
                )?;
                summary.payments += 1;
            }
        }
    }
    w.flush()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(account_segment("Acme  Corp"), "Acme Corp");
        assert_eq!(account_segment("A:B; C\tD\n"), "A-B, C D");
        assert_eq!(account_segment("(virtual)"), "virtual");
        assert_eq!(account_segment("  "), "unnamed");
        assert_eq!(account_segment("Müller GmbH"), "Müller GmbH");
        assert_eq!(description_text("x; y | z\nw"), "x, y / z w");
        assert_eq!(description_text("(code) x"), "code) x");
    }
}
