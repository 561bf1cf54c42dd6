//! ISO 20022 bank-to-customer statements: CAMT.053 (also the entries of CAMT.052 reports
//! and CAMT.054 notifications, which share the layout), any version from 001.02 on
//! (element names are matched without their namespace).
//!
//! Each booked entry (`Ntry` with status `BOOK`; other statuses are skipped) becomes one
//! transaction, or one per transaction detail (`TxDtls`) of a batch entry:
//!
//! - direction: `CdtDbtInd` `CRDT` is money in, `DBIT` money out;
//! - amount and currency: the detail's amount (`Amt` or `AmtDtls/TxAmt/Amt`) for a batch,
//!   else the entry's `Amt` and its `Ccy`;
//! - date: the booking date (`BookgDt`), else the value date;
//! - counterparty: the debtor's name for money in, the creditor's for money out (the
//!   ultimate party's when only that is given); entries that name none (bank charges,
//!   interest) go to the account servicer's name, else "Bank";
//! - reference (also the transaction id for duplicate detection): the end-to-end id
//!   (unless `NOTPROVIDED`), else the bank's reference of the detail, its `TxId`, the
//!   entry's `AcctSvcrRef`, its `NtryRef` (with `/n` for the n-th detail of a batch);
//! - notes: the unstructured remittance information, the structured creditor reference,
//!   additional information;
//! - method: direct debit, card or cheque from the bank transaction code, else bank
//!   transfer.

use quick_xml::events::Event;
use quick_xml::Reader;
use rust_decimal::Decimal;

use super::foreign::{Extract, Skipped, Transaction};
use super::ImportError;
use crate::domain::{Currency, Direction, Method};

/// A transaction detail as read (the lines are those of the fields, for errors; 0 when
/// the field is missing).
#[derive(Default)]
struct Tx {
    amount: Option<(String, String)>,
    amount_line: u64,
    cdt_dbt: String,
    cdt_dbt_line: u64,
    e2e: String,
    tx_id: String,
    svcr_ref: String,
    dbtr: String,
    cdtr: String,
    ultmt_dbtr: String,
    ultmt_cdtr: String,
    ustrd: Vec<String>,
    strd: Vec<String>,
    addtl: String,
}

/// An entry as read (with the lines of its fields, as [`Tx`]).
#[derive(Default)]
struct Entry {
    line: u64,
    amount: String,
    amount_line: u64,
    ccy: String,
    cdt_dbt: String,
    cdt_dbt_line: u64,
    status: String,
    booking: String,
    booking_line: u64,
    value: String,
    value_line: u64,
    svcr_ref: String,
    ntry_ref: String,
    addtl: String,
    codes: Vec<String>,
    txs: Vec<Tx>,
}

/// Counts lines up to byte offsets that only grow.
struct Lines<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
}

impl Lines<'_> {
    fn at(&mut self, byte: usize) -> u64 {
        let byte = byte.min(self.text.len());
        if byte > self.at {
            self.line += self.text[self.at..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.at = byte;
        }
        self.line
    }
}

fn rel<'s>(stack: &'s [String], anchor: &str) -> Option<&'s [String]> {
    let i = stack.iter().rposition(|s| s == anchor)?;
    Some(&stack[i + 1..])
}

fn is(path: &[String], want: &[&str]) -> bool {
    path.len() == want.len() && path.iter().zip(want).all(|(a, b)| a == b)
}

/// Whether `text` looks like an ISO 20022 bank statement: from its first 8 KiB, or the
/// first 8 KiB after its XML prolog (comments before the root element can be long).
pub fn looks_like(text: &str) -> bool {
    let says = |head: &str| {
        head.contains("BkToCstmrStmt")
            || head.contains("BkToCstmrAcctRpt")
            || head.contains("BkToCstmrDbtCdtNtfctn")
            || head.contains("camt.05")
    };
    says(crate::text::head(text, 8192))
        || says(crate::text::head(super::after_xml_prolog(text), 8192))
}

/// Reads a CAMT statement. Errors in the XML itself (truncated, malformed) stop at once;
/// a bad entry is recorded and the others are still read.
pub fn read(text: &str, source: &str) -> Result<Extract, ImportError> {
    let mut reader = Reader::from_str(text);
    let mut lines = Lines {
        text: text.as_bytes(),
        at: 0,
        line: 1,
    };
    let mut out = Extract {
        format: "CAMT.053".into(),
        ..Extract::default()
    };
    let mut stack: Vec<String> = Vec::new();
    let mut opened: Vec<u64> = Vec::new();
    let mut buf = String::new();
    let mut amt_ccy = String::new();
    let mut stmt_ccy = String::new();
    let mut servicer = String::new();
    let mut entry: Option<Entry> = None;
    let mut tx: Option<Tx> = None;
    let mut saw_root = false;
    loop {
        let before = reader.buffer_position() as usize;
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let at = reader.error_position() as usize;
                return Err(ImportError::new(
                    source,
                    lines.at(at),
                    None,
                    format!("not well-formed XML at byte {}: {e}", at + 1),
                ));
            }
        };
        match ev {
            Event::Start(s) => {
                let name = String::from_utf8_lossy(s.local_name().as_ref()).into_owned();
                let line = lines.at(before);
                if !saw_root {
                    saw_root = true;
                    if name != "Document" {
                        return Err(ImportError::new(
                            source,
                            line,
                            None,
                            format!("not an ISO 20022 statement: the root element is <{name}>, not <Document>"),
                        ));
                    }
                }
                if name == "Amt" {
                    amt_ccy.clear();
                    for a in s.attributes().flatten() {
                        if a.key.local_name().as_ref() == b"Ccy" {
                            amt_ccy = a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map(|v| v.into_owned())
                                .unwrap_or_default();
                        }
                    }
                }
                match name.as_str() {
                    "Ntry" => {
                        entry = Some(Entry {
                            line,
                            ..Entry::default()
                        })
                    }
                    "TxDtls" if entry.is_some() => tx = Some(Tx::default()),
                    _ => {}
                }
                stack.push(name);
                opened.push(line);
                buf.clear();
            }
            Event::Empty(_) => {}
            Event::Text(t) => {
                if let Ok(s) = t.decode() {
                    buf.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Ok(s) = t.decode() {
                    buf.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    buf.push(c);
                } else if let Ok(name) = r.decode() {
                    if let Some(v) = quick_xml::escape::resolve_predefined_entity(&name) {
                        buf.push_str(v);
                    }
                }
            }
            Event::End(_) => {
                let value = buf.trim().to_string();
                buf.clear();
                let name = stack.last().cloned().unwrap_or_default();
                // the line the element ending here started on
                let at = opened.last().copied().unwrap_or(1);
                if let Some(t) = tx.as_mut() {
                    if let Some(p) = rel(&stack, "TxDtls") {
                        let v = value.clone();
                        if is(p, &["Refs", "EndToEndId"]) {
                            t.e2e = v;
                        } else if is(p, &["Refs", "TxId"]) {
                            t.tx_id = v;
                        } else if is(p, &["Refs", "AcctSvcrRef"]) {
                            t.svcr_ref = v;
                        } else if is(p, &["Amt"]) || is(p, &["AmtDtls", "TxAmt", "Amt"]) {
                            if t.amount.is_none() || is(p, &["Amt"]) {
                                t.amount = Some((v, amt_ccy.clone()));
                                t.amount_line = at;
                            }
                        } else if is(p, &["CdtDbtInd"]) {
                            (t.cdt_dbt, t.cdt_dbt_line) = (v, at);
                        } else if is(p, &["RltdPties", "Dbtr", "Nm"])
                            || is(p, &["RltdPties", "Dbtr", "Pty", "Nm"])
                        {
                            t.dbtr = v;
                        } else if is(p, &["RltdPties", "Cdtr", "Nm"])
                            || is(p, &["RltdPties", "Cdtr", "Pty", "Nm"])
                        {
                            t.cdtr = v;
                        } else if is(p, &["RltdPties", "UltmtDbtr", "Nm"])
                            || is(p, &["RltdPties", "UltmtDbtr", "Pty", "Nm"])
                        {
                            t.ultmt_dbtr = v;
                        } else if is(p, &["RltdPties", "UltmtCdtr", "Nm"])
                            || is(p, &["RltdPties", "UltmtCdtr", "Pty", "Nm"])
                        {
                            t.ultmt_cdtr = v;
                        } else if is(p, &["RmtInf", "Ustrd"]) {
                            t.ustrd.push(v);
                        } else if is(p, &["RmtInf", "Strd", "CdtrRefInf", "Ref"]) {
                            t.strd.push(v);
                        } else if is(p, &["AddtlTxInf"]) {
                            t.addtl = v;
                        }
                    }
                }
                if let Some(e) = entry.as_mut() {
                    if let Some(p) = rel(&stack, "Ntry") {
                        let v = value.clone();
                        if is(p, &["Amt"]) {
                            (e.amount, e.amount_line) = (v, at);
                            e.ccy = amt_ccy.clone();
                        } else if is(p, &["CdtDbtInd"]) {
                            (e.cdt_dbt, e.cdt_dbt_line) = (v, at);
                        } else if is(p, &["Sts"]) || is(p, &["Sts", "Cd"]) {
                            e.status = v;
                        } else if is(p, &["BookgDt", "Dt"]) || is(p, &["BookgDt", "DtTm"]) {
                            (e.booking, e.booking_line) = (v, at);
                        } else if is(p, &["ValDt", "Dt"]) || is(p, &["ValDt", "DtTm"]) {
                            (e.value, e.value_line) = (v, at);
                        } else if is(p, &["AcctSvcrRef"]) {
                            e.svcr_ref = v;
                        } else if is(p, &["NtryRef"]) {
                            e.ntry_ref = v;
                        } else if is(p, &["AddtlNtryInf"]) {
                            e.addtl = v;
                        } else if p.first().is_some_and(|s| s == "BkTxCd")
                            && matches!(name.as_str(), "Cd" | "SubFmlyCd")
                        {
                            e.codes.push(v);
                        }
                    }
                }
                let in_stmt = stack
                    .iter()
                    .any(|s| matches!(s.as_str(), "Stmt" | "Rpt" | "Ntfctn"));
                if in_stmt && entry.is_none() {
                    if let Some(p) = rel(&stack, "Acct") {
                        if is(p, &["Ccy"]) {
                            stmt_ccy = value.clone();
                        } else if is(p, &["Svcr", "FinInstnId", "Nm"]) {
                            servicer = value.clone();
                        }
                    }
                }
                match name.as_str() {
                    "TxDtls" => {
                        if let (Some(t), Some(e)) = (tx.take(), entry.as_mut()) {
                            e.txs.push(t);
                        }
                    }
                    "Ntry" => {
                        if let Some(e) = entry.take() {
                            out.rows += 1;
                            entry_transactions(e, &stmt_ccy, &servicer, source, &mut out);
                        }
                    }
                    _ => {}
                }
                stack.pop();
                opened.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let (Some(name), Some(line)) = (stack.last(), opened.last()) {
        return Err(ImportError::new(
            source,
            lines.at(text.len()),
            None,
            format!(
                "the file ends inside <{name}> (opened on line {line}) at byte {}: it is truncated",
                text.len()
            ),
        ));
    }
    if !saw_root {
        return Err(ImportError::new(
            source,
            1,
            None,
            "the file holds no XML element",
        ));
    }
    Ok(out)
}

fn amount(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("the amount is empty".into());
    }
    if !t.bytes().all(|b| b.is_ascii_digit() || b == b'.') || t.starts_with('.') {
        return Err(format!("'{t}' is not an amount (expected like 1234.56)"));
    }
    t.parse::<Decimal>()
        .map_err(|_| format!("'{t}' is not an amount (expected like 1234.56)"))
}

fn date(s: &str) -> Option<time::Date> {
    super::fast_date(s.get(..10)?)
}

fn method(codes: &[String]) -> Method {
    let has = |c: &[&str]| codes.iter().any(|x| c.contains(&x.as_str()));
    if has(&["RDDT", "IDDT", "DDWN", "ESDD", "BBDD"]) {
        Method::DirectDebit
    } else if has(&["CCRD", "MCRD", "POSD", "POSC", "CDPT"]) {
        Method::Card
    } else if has(&["CHCK", "CCHQ", "BCHQ", "CQRV"]) {
        Method::Check
    } else {
        Method::BankTransfer
    }
}

/// Turns an entry into transactions, or records why it cannot. An error names the line
/// of the offending field (the entry's first line when the field is missing).
fn entry_transactions(e: Entry, stmt_ccy: &str, servicer: &str, source: &str, out: &mut Extract) {
    let line = e.line;
    let fail = |out: &mut Extract, field_line: u64, field: &str, m: String| {
        let at = if field_line > 0 { field_line } else { line };
        out.error(ImportError::new(source, at, Some(field), m));
    };
    if !e.status.is_empty() && !e.status.eq_ignore_ascii_case("BOOK") {
        out.skipped.push(Skipped {
            line,
            reason: format!("status {}", e.status),
        });
        return;
    }
    let Some(day) = date(&e.booking).or_else(|| date(&e.value)) else {
        let (shown, shown_line, field) = if e.booking.is_empty() {
            (&e.value, e.value_line, "ValDt")
        } else {
            (&e.booking, e.booking_line, "BookgDt")
        };
        fail(
            out,
            shown_line,
            if shown.is_empty() { "BookgDt" } else { field },
            if shown.is_empty() {
                "the entry has no booking or value date".into()
            } else {
                format!("'{shown}' is not a date (expected YYYY-MM-DD)")
            },
        );
        return;
    };
    let party_fallback = if servicer.is_empty() {
        "Bank"
    } else {
        servicer
    };
    let method = method(&e.codes);
    let batch = e.txs.len() > 1;
    let mut txs = e.txs;
    if txs.is_empty() {
        txs.push(Tx::default());
    }
    for (i, t) in txs.into_iter().enumerate() {
        let (amt_text, ccy_text, amt_line) = match (&t.amount, batch) {
            (Some((a, c)), _) => (a.clone(), c.clone(), t.amount_line),
            (None, false) => (e.amount.clone(), e.ccy.clone(), e.amount_line),
            (None, true) => {
                fail(
                    out,
                    0,
                    "Amt",
                    format!("transaction {} of a batch entry has no amount", i + 1),
                );
                continue;
            }
        };
        let value = match amount(&amt_text) {
            Ok(v) => v,
            Err(m) => {
                fail(out, amt_line, "Amt", m);
                continue;
            }
        };
        if value.is_zero() {
            out.skipped.push(Skipped {
                line,
                reason: "zero amount".into(),
            });
            continue;
        }
        let ccy_text = if ccy_text.is_empty() {
            stmt_ccy
        } else {
            &ccy_text
        };
        let currency = match ccy_text.parse::<Currency>() {
            Ok(c) => c,
            Err(_) => {
                fail(
                    out,
                    amt_line,
                    "Ccy",
                    format!("'{ccy_text}' is not a currency code"),
                );
                continue;
            }
        };
        let (ind, ind_line) = if t.cdt_dbt.is_empty() {
            (&e.cdt_dbt, e.cdt_dbt_line)
        } else {
            (&t.cdt_dbt, t.cdt_dbt_line)
        };
        let direction = match ind.as_str() {
            "CRDT" => Direction::In,
            "DBIT" => Direction::Out,
            other => {
                fail(
                    out,
                    ind_line,
                    "CdtDbtInd",
                    format!("'{other}' is neither CRDT nor DBIT"),
                );
                continue;
            }
        };
        let name = match direction {
            Direction::In => [&t.dbtr, &t.ultmt_dbtr],
            Direction::Out => [&t.cdtr, &t.ultmt_cdtr],
        }
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned();
        let (party, party_assumed) = match name {
            Some(n) => (n, false),
            None => (party_fallback.to_string(), true),
        };
        let e2e = (!t.e2e.eq_ignore_ascii_case("NOTPROVIDED")).then_some(&t.e2e);
        let own = [e2e, Some(&t.svcr_ref), Some(&t.tx_id)]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .cloned();
        let reference = match own {
            Some(r) => r,
            None => {
                let r = [&e.svcr_ref, &e.ntry_ref]
                    .into_iter()
                    .find(|s| !s.is_empty())
                    .cloned()
                    .unwrap_or_default();
                if batch && !r.is_empty() {
                    format!("{r}/{}", i + 1)
                } else {
                    r
                }
            }
        };
        let mut notes: Vec<String> = t.ustrd.clone();
        notes.extend(t.strd.iter().cloned());
        for extra in [&t.addtl, &e.addtl] {
            if !extra.is_empty() && !notes.contains(extra) {
                notes.push(extra.clone());
            }
        }
        out.transactions.push(Transaction {
            line,
            date: day,
            direction,
            amount: value,
            currency,
            party,
            party_assumed,
            source_id: !reference.is_empty(),
            reference,
            notes: notes.join(" | "),
            invoice_hint: String::new(),
            method,
            fee: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V8: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
 <BkToCstmrStmt>
  <Stmt>
   <Acct><Id><IBAN>CH9300762011623852957</IBAN></Id><Ccy>CHF</Ccy></Acct>
   <Ntry>
    <Amt Ccy="CHF">1&#39;000.00</Amt>
   </Ntry>
   <Ntry>
    <Amt Ccy="CHF">250.00</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd>
    <Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><DtTm>2026-03-02T10:15:00+01:00</DtTm></BookgDt>
    <NtryDtls><TxDtls>
     <Refs><EndToEndId>E2E-8</EndToEndId></Refs>
     <RltdPties><Dbtr><Pty><Nm>Gr&#252;ezi AG &amp; Co</Nm></Pty></Dbtr></RltdPties>
     <RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>
    </TxDtls></NtryDtls>
   </Ntry>
   <Ntry>
    <Amt>9.00</Amt>
    <CdtDbtInd>DBIT</CdtDbtInd>
    <Sts><Cd>BOOK</Cd></Sts>
    <ValDt><Dt>2026-03-03</Dt></ValDt>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn></BkTxCd>
    <NtryDtls><TxDtls><RltdPties><UltmtCdtr><Nm>Telco</Nm></UltmtCdtr></RltdPties></TxDtls></NtryDtls>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>
"#;

    #[test]
    fn version_8_layout() {
        let x = read(V8, "s.xml").unwrap();
        assert_eq!(x.rows, 3);
        // the first entry has no date (nor a valid amount or direction)
        assert_eq!(x.error_count, 1);
        assert_eq!(
            x.errors[0].to_string(),
            "s.xml:6: BookgDt: the entry has no booking or value date"
        );
        let [a, b] = x.transactions.as_slice() else {
            panic!("{:?}", x.transactions)
        };
        assert_eq!(a.party, "Grüezi AG & Co");
        assert_eq!(a.reference, "E2E-8");
        assert_eq!(a.notes, "RF18539007547034");
        assert_eq!(a.date, time::macros::date!(2026 - 03 - 02));
        assert_eq!(a.currency.as_str(), "CHF");
        assert_eq!(b.party, "Telco");
        assert_eq!(b.currency.as_str(), "CHF", "the account's currency");
        assert_eq!(b.method, Method::DirectDebit);
        assert!(!b.source_id, "no reference at all");
    }

    #[test]
    fn not_a_statement() {
        let e = read("<?xml version=\"1.0\"?><html><body/></html>", "x.xml").unwrap_err();
        assert!(e.to_string().contains("root element is <html>"), "{e}");
        let e = read("<Document><Stmt></Document>", "x.xml").unwrap_err();
        assert!(
            e.to_string().starts_with("x.xml:1: not well-formed XML"),
            "{e}"
        );
    }

    /// [`V8`] with a comment holding `c` so that it starts `back` bytes before byte `cut`
    /// (after `<BkToCstmrStmt>`, so the statement is still recognised from its head).
    fn with_char_before(cut: usize, c: &str, back: usize) -> String {
        let (start, rest) = V8.split_once("<BkToCstmrStmt>\n").unwrap();
        let mut text = format!("{start}<BkToCstmrStmt>\n<!-- ");
        while text.len() < cut - 1 - back {
            text.push('x');
        }
        text.push_str(c);
        text.push_str(" -->\n");
        text.push_str(rest);
        text
    }

    #[test]
    fn a_character_across_the_4_and_8_kib_heads_is_no_problem() {
        // 4 KiB: where OFX is looked for; 8 KiB: where CAMT is
        for cut in [4096, 8192] {
            for c in ["ü", "€", "𝄞"] {
                for back in 0..c.len() {
                    let text = with_char_before(cut, c, back);
                    assert_eq!(text.is_char_boundary(cut), back + 1 == c.len());
                    assert!(looks_like(&text));
                    let x = crate::interchange::statement::read(text.as_bytes(), "u.xml")
                        .unwrap_or_else(|e| panic!("{cut} {c} {back}: {e}"));
                    assert_eq!((x.rows, x.transactions.len()), (3, 2));
                    // the lines after the comment moved down by one
                    assert_eq!(
                        x.errors[0].to_string(),
                        "u.xml:7: BookgDt: the entry has no booking or value date"
                    );
                }
            }
        }
    }

    #[test]
    fn a_long_comment_before_the_root_still_reads_as_a_statement() {
        let (decl, rest) = V8.split_once('\n').unwrap();
        let text = format!("{decl}\n<!-- {}Ü -->\n{rest}", "x".repeat(9000));
        assert!(looks_like(&text));
        let x = crate::interchange::statement::read(text.as_bytes(), "c.xml").unwrap();
        assert_eq!(x.transactions.len(), 2);
    }

    #[test]
    fn errors_name_the_line_of_the_field() {
        let text = V8
            .replace(
                "<Amt Ccy=\"CHF\">250.00</Amt>",
                "<Amt Ccy=\"CHF\">250,00</Amt>",
            )
            .replace(
                "<ValDt><Dt>2026-03-03</Dt></ValDt>",
                "<ValDt>\n<Dt>2026-03-32</Dt></ValDt>",
            );
        let x = read(&text, "s.xml").unwrap();
        let got: Vec<String> = x.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            got,
            [
                "s.xml:6: BookgDt: the entry has no booking or value date",
                "s.xml:10: Amt: '250,00' is not an amount (expected like 1234.56)",
                "s.xml:25: ValDt: '2026-03-32' is not a date (expected YYYY-MM-DD)",
            ]
        );
    }
}
