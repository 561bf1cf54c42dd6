//! `paytrack remind` (due reminders: list, mark sent, mbox, sendmail, check) and
//! `paytrack ladder` (edit the reminder ladders from the command line).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result};
use serde::Serialize;
use time::Date;

use super::args::{LadderCommand, ListFormat, RemindArgs};
use super::{Context, SilentExit, UsageError};
use crate::domain::ledger::Ledger;
use crate::domain::reminders::{self, Reminder, ReminderLevel};
use crate::domain::{format_date, InvoiceKind};
use crate::ops;
use crate::table::{Align, Table};

/// Exit code of `remind --check` when reminders are due.
pub const EXIT_DUE: u8 = 3;

/// `paytrack remind ...`.
pub fn remind(ctx: &Context, a: &RemindArgs, out: &mut impl Write) -> Result<()> {
    let (store, l) = ctx.load()?;
    let as_of = a.as_of.unwrap_or(ctx.today);
    let due = reminders::due_reminders(&l, l.follow_ups(), l.reminder_settings(), as_of, a.kind);
    if a.check {
        return if due.is_empty() {
            Ok(())
        } else {
            Err(SilentExit(EXIT_DUE).into())
        };
    }
    let mut sent: Vec<Reminder> = Vec::new();
    if let Some(path) = &a.mbox {
        let mut text = String::new();
        for r in &due {
            match message(&l, r, as_of, &a.from) {
                Ok(m) => {
                    text.push_str(&mbox_entry(&m, as_of));
                    sent.push(r.clone());
                }
                Err(why) => eprintln!("paytrack: skipped: {}", crate::text::sanitize(&why)),
            }
        }
        // Private whatever the umask (007 in a process sharing a store with its group).
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.flush())
            .with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(out, "wrote {} message(s) to {}", sent.len(), path.display())?;
    } else if let Some(cmd) = &a.sendmail {
        for r in &due {
            let m = match message(&l, r, as_of, &a.from) {
                Ok(m) => m,
                Err(why) => {
                    eprintln!("paytrack: skipped: {}", crate::text::sanitize(&why));
                    continue;
                }
            };
            pipe_to(cmd, &m.text)?;
            sent.push(r.clone());
        }
        writeln!(out, "sent {} message(s) through '{cmd}'", sent.len())?;
    } else {
        write_list(&l, &due, a.format, out)?;
        sent = due.clone();
    }
    if a.mark_sent {
        let n = super::commit_retrying(&store, &l, |store, l| {
            let set = ops::mark_reminders_sent(l, &sent, as_of);
            super::commit(store, l, &set).context("nothing was recorded")?;
            Ok(set.changes.len())
        })?;
        eprintln!("paytrack: recorded {n} reminder(s) as sent");
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonInvoice<'a> {
    number: &'a str,
    due_date: String,
    days_overdue: i64,
    outstanding: String,
    currency: &'a str,
}

#[derive(Serialize)]
struct JsonReminder<'a> {
    party: &'a str,
    email: &'a str,
    kind: &'a str,
    level: u8,
    level_name: &'a str,
    days_overdue: i64,
    totals: Vec<(String, String)>,
    invoices: Vec<JsonInvoice<'a>>,
}

fn write_list(l: &Ledger, due: &[Reminder], f: ListFormat, out: &mut impl Write) -> Result<()> {
    match f {
        ListFormat::Table => {
            let mut t = Table::new(&[
                ("Party", Align::Left),
                ("Kind", Align::Left),
                ("Level", Align::Left),
                ("Overdue", Align::Right),
                ("Invoices", Align::Left),
                ("Total", Align::Right),
            ])
            .max_cell_width(40);
            for r in due {
                t.row([
                    l.party_name(r.party).to_string(),
                    r.kind.to_string(),
                    r.level_name.clone(),
                    format!("{}d", r.days_overdue()),
                    r.invoices
                        .iter()
                        .map(|i| i.number.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    totals(r),
                ]);
            }
            if t.is_empty() {
                writeln!(out, "no reminders due")?;
            } else {
                t.write(out)?;
            }
        }
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "party",
                "kind",
                "level",
                "level_name",
                "number",
                "due_date",
                "days_overdue",
                "outstanding",
                "currency",
            ])?;
            for r in due {
                for i in &r.invoices {
                    w.write_record([
                        l.party_name(r.party),
                        r.kind.as_str(),
                        &r.level.to_string(),
                        &r.level_name,
                        &i.number,
                        &format_date(i.due_date),
                        &i.days_overdue.to_string(),
                        &i.currency.format(i.outstanding),
                        i.currency.as_str(),
                    ])?;
                }
            }
            w.flush()?;
        }
        ListFormat::Json => {
            let rows: Vec<JsonReminder<'_>> = due
                .iter()
                .map(|r| JsonReminder {
                    party: l.party_name(r.party),
                    email: l.party(r.party).map_or("", |p| p.email.as_str()),
                    kind: r.kind.as_str(),
                    level: r.level,
                    level_name: &r.level_name,
                    days_overdue: r.days_overdue(),
                    totals: r
                        .totals
                        .iter()
                        .map(|(c, v)| (c.as_str().to_string(), c.format(*v)))
                        .collect(),
                    invoices: r
                        .invoices
                        .iter()
                        .map(|i| JsonInvoice {
                            number: &i.number,
                            due_date: format_date(i.due_date),
                            days_overdue: i.days_overdue,
                            outstanding: i.currency.format(i.outstanding),
                            currency: i.currency.as_str(),
                        })
                        .collect(),
                })
                .collect();
            crate::text::json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

fn totals(r: &Reminder) -> String {
    r.totals
        .iter()
        .map(|(c, v)| format!("{} {}", c.format(*v), c))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// A rendered message: its RFC 5322 text (headers and body, LF line ends).
pub struct Mail {
    /// The message.
    pub text: String,
}

/// Whether `addr` is a plain address that is safe in a header.
fn plain_address(addr: &str) -> bool {
    let a = addr.trim();
    !a.is_empty()
        && a.contains('@')
        && a.is_ascii()
        && !a
            .chars()
            .any(|c| c.is_ascii_whitespace() || c.is_ascii_control() || "<>()\",;:\\[]".contains(c))
}

/// Builds the message for one reminder; `Err` says why it cannot be sent.
fn message(l: &Ledger, r: &Reminder, as_of: Date, from: &str) -> Result<Mail, String> {
    let party = l.party(r.party);
    let name = party.map_or("?", |p| p.name.as_str());
    if !plain_address(from) {
        return Err(format!("--from '{from}' is not a plain email address"));
    }
    let to_addr = match r.kind {
        // remind the customer
        InvoiceKind::Receivable => party.map_or("", |p| p.email.trim()),
        // remind ourselves to pay
        InvoiceKind::Payable => from.trim(),
    };
    if !plain_address(to_addr) {
        return Err(format!(
            "{}: no usable email address ('{}')",
            crate::text::sanitize(name),
            crate::text::sanitize(to_addr)
        ));
    }
    let msg = reminders::render(r, name, l.reminder_settings());
    let clean_name: String = name.chars().filter(|c| !c.is_control()).collect();
    let display = match r.kind {
        InvoiceKind::Receivable => clean_name,
        InvoiceKind::Payable => "paytrack".to_string(),
    };
    let subject: String = msg.subject.chars().filter(|c| !c.is_control()).collect();
    let mut text = String::new();
    text.push_str(&format!("From: paytrack <{}>\n", from.trim()));
    text.push_str(&format!("To: {} <{}>\n", display_name(&display), to_addr));
    text.push_str(&format!("Subject: {}\n", encode_header(&subject)));
    text.push_str(&format!("Date: {}\n", rfc5322_date(as_of)));
    text.push_str(&format!(
        "Message-ID: <paytrack.{}.{}.{}.{}@{}>\n",
        r.party,
        r.kind,
        r.level,
        format_date(as_of),
        from.trim().rsplit('@').next().unwrap_or("localhost")
    ));
    text.push_str("MIME-Version: 1.0\n");
    text.push_str("Content-Type: text/plain; charset=utf-8\n");
    text.push_str("Content-Transfer-Encoding: 8bit\n\n");
    for line in msg.body.lines() {
        let line: String = line
            .chars()
            .filter(|c| *c == '\t' || !c.is_control())
            .collect();
        text.push_str(&line);
        text.push('\n');
    }
    Ok(Mail { text })
}

/// One mbox entry (mboxrd): the `From ` separator line, the message with body lines
/// that start with `>*From ` quoted by one more `>`, and a blank line.
fn mbox_entry(m: &Mail, as_of: Date) -> String {
    let mut s = format!("From paytrack@localhost {}\n", asctime(as_of));
    let mut in_body = false;
    for line in m.text.lines() {
        if in_body && line.trim_start_matches('>').starts_with("From ") {
            s.push('>');
        }
        if line.is_empty() {
            in_body = true;
        }
        s.push_str(line);
        s.push('\n');
    }
    s.push('\n');
    s
}

fn pipe_to(cmd: &str, text: &str) -> Result<()> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run '{cmd}'"))?;
    let written = child
        .stdin
        .take()
        .map_or(Ok(()), |mut stdin| stdin.write_all(text.as_bytes()));
    let status = child.wait()?;
    if !status.success() {
        anyhow::bail!("'{cmd}' failed ({status}); later messages were not sent");
    }
    written.with_context(|| format!("cannot write to '{cmd}'"))?;
    Ok(())
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn rfc5322_date(d: Date) -> String {
    format!(
        "{}, {:02} {} {} 00:00:00 +0000",
        DAYS[d.weekday().number_days_from_monday() as usize],
        d.day(),
        MONTHS[d.month() as usize - 1],
        d.year()
    )
}

fn asctime(d: Date) -> String {
    format!(
        "{} {} {:>2} 00:00:00 {}",
        DAYS[d.weekday().number_days_from_monday() as usize],
        MONTHS[d.month() as usize - 1],
        d.day(),
        d.year()
    )
}

/// A display name as a quoted string, or RFC 2047 encoded words when not ASCII.
fn display_name(name: &str) -> String {
    if name.is_ascii() {
        let q: String = name
            .chars()
            .flat_map(|c| match c {
                '"' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        format!("\"{q}\"")
    } else {
        encoded_words(name)
    }
}

/// A header value: as is when printable ASCII, else RFC 2047 encoded words.
fn encode_header(v: &str) -> String {
    if v.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) && !v.contains("=?") {
        v.to_string()
    } else {
        encoded_words(v)
    }
}

/// `=?utf-8?B?...?=` words of at most 75 characters, folded onto continuation lines;
/// characters are never split between words.
fn encoded_words(v: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in v.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?utf-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?utf-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\n ")
}

fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        s.push(A[(n >> 18) as usize & 63] as char);
        s.push(A[(n >> 12) as usize & 63] as char);
        s.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        s.push(if c.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    s
}

/// `paytrack ladder ...`.
pub fn ladder(ctx: &Context, cmd: &LadderCommand, out: &mut impl Write) -> Result<()> {
    ctx.transact(|store, l| {
        let mut s = l.reminder_settings().clone();
        match cmd {
            LadderCommand::Show { kind } => {
                writeln!(out, "minimum amount: {}", s.min_amount)?;
                for k in InvoiceKind::ALL {
                    if kind.is_some_and(|x| x != *k) {
                        continue;
                    }
                    writeln!(out, "\n{k} ladder:")?;
                    let mut t = Table::new(&[
                        ("Offset", Align::Right),
                        ("Name", Align::Left),
                        ("Subject", Align::Left),
                    ])
                    .max_cell_width(60);
                    for lv in &s.ladder(*k).levels {
                        t.row([
                            format!("{:+}d", lv.offset_days),
                            lv.name.clone(),
                            lv.subject.clone(),
                        ]);
                    }
                    t.write(out)?;
                }
                return Ok(());
            }
            LadderCommand::SetLevel {
                kind,
                offset,
                name,
                subject,
                body,
            } => {
                let ladder = s.ladder_mut(*kind);
                let old = ladder
                    .levels
                    .iter()
                    .find(|l| l.offset_days == *offset)
                    .cloned();
                let level = ReminderLevel {
                    offset_days: *offset,
                    name: name
                        .clone()
                        .or_else(|| old.as_ref().map(|o| o.name.clone()))
                        .ok_or_else(|| UsageError("--name is required for a new level".into()))?,
                    subject: subject
                        .clone()
                        .or_else(|| old.as_ref().map(|o| o.subject.clone()))
                        .unwrap_or_else(|| "Reminder: {invoices}".into()),
                    body: body
                        .clone()
                        .or_else(|| old.as_ref().map(|o| o.body.clone()))
                        .unwrap_or_else(|| "Dear {party},\n\n{table}\nTotal: {total}\n".into()),
                };
                ladder.set_level(level);
            }
            LadderCommand::RemoveLevel { kind, offset } => {
                if !s.ladder_mut(*kind).remove_level(*offset) {
                    return Err(UsageError(format!(
                        "the {kind} ladder has no level at {offset:+} days"
                    ))
                    .into());
                }
            }
            LadderCommand::MinAmount { amount } => s.min_amount = *amount,
            LadderCommand::Reset => s = Default::default(),
        }
        let set = ops::set_reminder_settings(s).map_err(|e| UsageError(e.to_string()))?;
        super::commit(store, l, &set).context("nothing was saved")?;
        writeln!(out, "saved the reminder settings")?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_encoded_words() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(encode_header("Plain subject"), "Plain subject");
        let w = encoded_words(&"ü".repeat(40));
        assert!(w.split("\n ").all(|x| x.len() <= 75), "{w}");
        assert_eq!(display_name("A \"B\""), "\"A \\\"B\\\"\"");
        assert!(plain_address("a@b.example"));
        assert!(!plain_address("a@b\nBcc: x@y"));
    }
}
