//! OFX bank and credit-card statements: OFX 1.x (SGML: a `KEY:VALUE` header, leaf
//! elements without end tags) and OFX 2.x (XML), read by one tolerant tokenizer.
//!
//! Each `STMTTRN` becomes one transaction: `TRNAMT` signed (negative is money out; a
//! decimal comma is accepted), `DTPOSTED` (its first eight digits, `YYYYMMDD`), the
//! currency of the statement (`CURDEF`, or the transaction's `CURRENCY/CURSYM`), `NAME`
//! (or `PAYEE/NAME`) as the counterparty ("Bank" when absent), `FITID` as the reference
//! and transaction id, `MEMO`, `CHECKNUM` and `REFNUM` as notes, and the method from
//! `TRNTYPE` (`CHECK`, `DIRECTDEBIT`, `POS` card, `ATM` cash, else bank transfer).

use super::encoding::line_of;
use super::foreign::{Extract, Skipped, Transaction};
use super::ImportError;
use crate::domain::{Currency, Direction, Method};

/// Bytes at the start of a file that say whether it is OFX, and which version.
const HEAD: usize = 4096;

/// Whether `text` looks like an OFX file: from its first 4 KiB, or the first 4 KiB after
/// an XML prolog (OFX 2.x; comments before the root element can be long).
pub fn looks_like(text: &str) -> bool {
    let says = |head: &str| {
        let head = head.to_ascii_uppercase();
        head.contains("OFXHEADER") || head.contains("<OFX>")
    };
    says(crate::text::head(text, HEAD))
        || says(crate::text::head(super::after_xml_prolog(text), HEAD))
}

/// A `STMTTRN` as read: its fields, and the lines they were on (for errors).
#[derive(Default)]
struct Trn {
    line: u64,
    trntype: String,
    posted: String,
    posted_line: u64,
    user: String,
    user_line: u64,
    amount: String,
    amount_line: u64,
    fitid: String,
    name: String,
    payee_name: String,
    memo: String,
    checknum: String,
    refnum: String,
    cursym: String,
    cursym_line: u64,
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let ent = &after[..end];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => ent
                .strip_prefix("#x")
                .or_else(|| ent.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Aggregates of OFX that hold other elements; everything else is a leaf with a value.
fn is_aggregate(tag: &str) -> bool {
    matches!(
        tag,
        "OFX"
            | "SIGNONMSGSRSV1"
            | "SONRS"
            | "STATUS"
            | "FI"
            | "BANKMSGSRSV1"
            | "CREDITCARDMSGSRSV1"
            | "STMTTRNRS"
            | "CCSTMTTRNRS"
            | "STMTRS"
            | "CCSTMTRS"
            | "BANKACCTFROM"
            | "CCACCTFROM"
            | "BANKACCTTO"
            | "CCACCTTO"
            | "BANKTRANLIST"
            | "STMTTRN"
            | "PAYEE"
            | "CURRENCY"
            | "ORIGCURRENCY"
            | "LEDGERBAL"
            | "AVAILBAL"
            | "BALLIST"
            | "BAL"
            | "MKTGINFO"
            | "INVSTMTMSGSRSV1"
    )
}

/// Reads an OFX statement.
pub fn read(text: &str, source: &str) -> Result<Extract, ImportError> {
    let upper_head = crate::text::head(text, HEAD).to_ascii_uppercase();
    let v2 = upper_head.contains("<?OFX") || upper_head.trim_start().starts_with("<?XML");
    let mut out = Extract {
        format: if v2 { "OFX 2.x" } else { "OFX 1.x" }.into(),
        ..Extract::default()
    };
    let bytes = text.as_bytes();
    let Some(start) = find_ofx(text) else {
        return Err(ImportError::new(
            source,
            1,
            None,
            "not an OFX statement: there is no <OFX> element",
        ));
    };
    // (tag, line) of the open aggregates
    let mut open: Vec<(String, u64)> = Vec::new();
    // CURDEF and its line
    let mut curdef = (String::new(), 0u64);
    let mut trn: Option<Trn> = None;
    // the leaf element whose value comes next, and its line
    let mut leaf: Option<(String, u64)> = None;
    let mut pos = start;
    let mut line_at = (0usize, 1u64);
    let mut line = |at: usize| {
        let (from, l) = line_at;
        let n = l + bytes[from..at].iter().filter(|&&b| b == b'\n').count() as u64;
        line_at = (at, n);
        n
    };
    while pos < bytes.len() {
        let Some(lt) = text[pos..].find('<').map(|i| pos + i) else {
            break;
        };
        let value = unescape(text[pos..lt].trim());
        if let Some((tag, at)) = leaf.take() {
            if let Some(t) = trn.as_mut() {
                let inside_payee = open.last().is_some_and(|(o, _)| o == "PAYEE");
                let inside_cur = open
                    .last()
                    .is_some_and(|(o, _)| o == "CURRENCY" || o == "ORIGCURRENCY");
                match tag.as_str() {
                    "TRNTYPE" => t.trntype = value,
                    "DTPOSTED" => (t.posted, t.posted_line) = (value, at),
                    "DTUSER" => (t.user, t.user_line) = (value, at),
                    "TRNAMT" => (t.amount, t.amount_line) = (value, at),
                    "FITID" => t.fitid = value,
                    "NAME" if inside_payee => t.payee_name = value,
                    "NAME" => t.name = value,
                    "MEMO" => t.memo = value,
                    "CHECKNUM" => t.checknum = value,
                    "REFNUM" => t.refnum = value,
                    "CURSYM" if inside_cur && open.last().is_some_and(|(o, _)| o == "CURRENCY") => {
                        (t.cursym, t.cursym_line) = (value, at)
                    }
                    _ => {}
                }
            } else if tag == "CURDEF" {
                curdef = (value, at);
            }
        }
        let Some(gt) = text[lt..].find('>').map(|i| lt + i) else {
            return Err(ImportError::new(
                source,
                line(lt),
                None,
                format!(
                    "the file ends inside a tag at byte {}: it is truncated",
                    lt + 1
                ),
            ));
        };
        let tag_text = &text[lt + 1..gt];
        pos = gt + 1;
        if tag_text.starts_with('?') || tag_text.starts_with('!') {
            continue;
        }
        if let Some(name) = tag_text.strip_prefix('/') {
            let name = name.trim().to_ascii_uppercase();
            if !is_aggregate(&name) {
                continue; // the end tag of a leaf (OFX 2.x)
            }
            let here = line(lt);
            match open.iter().rposition(|(o, _)| *o == name) {
                Some(i) => {
                    if let Some((inner, l)) = open.get(i + 1) {
                        return Err(ImportError::new(
                            source,
                            here,
                            None,
                            format!("</{name}> closes <{inner}> opened on line {l}, which was never closed"),
                        ));
                    }
                    open.truncate(i);
                }
                None => {
                    return Err(ImportError::new(
                        source,
                        here,
                        None,
                        format!("</{name}> without a matching <{name}>"),
                    ))
                }
            }
            if name == "STMTTRN" {
                if let Some(t) = trn.take() {
                    out.rows += 1;
                    transaction(t, &curdef, source, &mut out);
                }
            }
            continue;
        }
        let name = tag_text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if name.is_empty() {
            continue;
        }
        let here = line(lt);
        if is_aggregate(&name) {
            if name == "STMTTRN" {
                trn = Some(Trn {
                    line: here,
                    ..Trn::default()
                });
            }
            open.push((name, here));
        } else {
            leaf = Some((name, here));
        }
    }
    if let Some((name, l)) = open.last() {
        return Err(ImportError::new(
            source,
            line_of(bytes, bytes.len()),
            None,
            format!(
                "the file ends inside <{name}> (opened on line {l}) at byte {}: it is truncated",
                bytes.len()
            ),
        ));
    }
    Ok(out)
}

fn find_ofx(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(4))
        .find(|&i| b[i] == b'<' && b[i + 1..i + 5].eq_ignore_ascii_case(b"OFX>"))
}

/// Turns a `STMTTRN` into a transaction, or records why it cannot be one. An error names
/// the line of the offending field (the transaction's first line when the field is
/// missing).
fn transaction(t: Trn, curdef: &(String, u64), source: &str, out: &mut Extract) {
    let line = t.line;
    let at = |field_line: u64| if field_line > 0 { field_line } else { line };
    let fail = |out: &mut Extract, field_line: u64, field: &str, m: String| {
        out.error(ImportError::new(source, at(field_line), Some(field), m));
    };
    let (posted, posted_field, posted_line) = if t.posted.is_empty() && !t.user.is_empty() {
        (&t.user, "DTUSER", t.user_line)
    } else {
        (&t.posted, "DTPOSTED", t.posted_line)
    };
    let date = posted
        .get(..8)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| super::fast_date(&format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..8])));
    let Some(date) = date else {
        fail(
            out,
            posted_line,
            posted_field,
            if posted.is_empty() {
                "the transaction has no date".into()
            } else {
                format!("'{posted}' is not a date (expected YYYYMMDD...)")
            },
        );
        return;
    };
    let number = if t.amount.contains(',') && !t.amount.contains('.') {
        super::number::NumberFormat::comma()
    } else {
        super::number::NumberFormat::point(None)
    };
    let signed = match number.parse(&t.amount) {
        Ok(Some(v)) => v,
        Ok(None) => {
            fail(out, t.amount_line, "TRNAMT", "the amount is empty".into());
            return;
        }
        Err(m) => {
            fail(out, t.amount_line, "TRNAMT", m);
            return;
        }
    };
    if signed.is_zero() {
        out.skipped.push(Skipped {
            line,
            reason: "zero amount".into(),
        });
        return;
    }
    let (cur_text, cur_field, cur_line) = if t.cursym.is_empty() {
        (&curdef.0, "CURDEF", curdef.1)
    } else {
        (&t.cursym, "CURSYM", t.cursym_line)
    };
    let currency = match cur_text.parse::<Currency>() {
        Ok(c) => c,
        Err(_) => {
            fail(
                out,
                cur_line,
                cur_field,
                if cur_text.is_empty() {
                    "the statement names no currency (CURDEF)".into()
                } else {
                    format!("'{cur_text}' is not a currency code")
                },
            );
            return;
        }
    };
    let name = [&t.name, &t.payee_name]
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned();
    let (party, party_assumed) = match name {
        Some(n) => (n, false),
        None => ("Bank".to_string(), true),
    };
    let method = match t.trntype.to_ascii_uppercase().as_str() {
        "CHECK" => Method::Check,
        "DIRECTDEBIT" => Method::DirectDebit,
        "POS" => Method::Card,
        "ATM" => Method::Cash,
        _ => Method::BankTransfer,
    };
    let mut notes = Vec::new();
    if !t.memo.is_empty() && t.memo != t.name {
        notes.push(t.memo.clone());
    }
    if !t.checknum.is_empty() {
        notes.push(format!("check {}", t.checknum));
    }
    if !t.refnum.is_empty() {
        notes.push(format!("ref {}", t.refnum));
    }
    out.transactions.push(Transaction {
        line,
        date,
        direction: if signed.is_sign_negative() {
            Direction::Out
        } else {
            Direction::In
        },
        amount: signed.abs(),
        currency,
        party,
        party_assumed,
        source_id: !t.fitid.is_empty(),
        reference: t.fitid,
        notes: notes.join(" | "),
        invoice_hint: String::new(),
        method,
        fee: false,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities() {
        assert_eq!(
            unescape("A &amp; B &lt;x&gt; &#228;&#xFC; & c"),
            "A & B <x> äü & c"
        );
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn mismatched_aggregates_and_currency_of_a_transaction() {
        let text = "OFXHEADER:100\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD\n\
                    <BANKTRANLIST><STMTTRN><TRNAMT>-5<FITID>1<NAME>A<CURRENCY><CURRATE>1.1<CURSYM>EUR</CURRENCY>\n\
                    </STMTTRN><STMTTRN><TRNAMT>7,50<DTPOSTED>20260102<FITID>2</STMTTRN>\n\
                    </BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>";
        let x = read(text, "a.ofx").unwrap();
        assert_eq!(x.error_count, 1, "{:?}", x.errors);
        assert_eq!(
            x.errors[0].to_string(),
            "a.ofx:4: DTPOSTED: the transaction has no date"
        );
        let t = &x.transactions[0];
        assert_eq!(
            (t.amount.to_string(), t.currency.as_str()),
            ("7.50".into(), "USD")
        );
        assert_eq!((t.party.as_str(), t.party_assumed), ("Bank", true));
        let bad = "<OFX><BANKMSGSRSV1><STMTTRN><TRNAMT>1</BANKMSGSRSV1></OFX>";
        let e = read(bad, "b.ofx").unwrap_err();
        assert!(
            e.to_string().contains("</BANKMSGSRSV1> closes <STMTTRN>"),
            "{e}"
        );
        assert!(read("hello", "c.ofx")
            .unwrap_err()
            .to_string()
            .contains("no <OFX>"));
    }

    #[test]
    fn errors_name_the_line_of_the_field() {
        let text = "OFXHEADER:100\n\n<OFX><CURDEF>EUR\n<BANKTRANLIST>\n<STMTTRN>\n<TRNTYPE>DEBIT\n\
                    <DTPOSTED>20261345\n<TRNAMT>-1\n</STMTTRN>\n<STMTTRN>\n<DTUSER>2026-1-1\n\
                    <TRNAMT>-1\n</STMTTRN>\n<STMTTRN>\n<DTPOSTED>20261101\n\n<TRNAMT>1x\n\
                    </STMTTRN>\n<STMTTRN>\n<DTPOSTED>20261101\n<TRNAMT>1\n<CURRENCY>\n\
                    <CURSYM>EURO\n</CURRENCY>\n</STMTTRN>\n</BANKTRANLIST></OFX>\n";
        let x = read(text, "n.ofx").unwrap();
        let got: Vec<String> = x.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            got,
            [
                "n.ofx:7: DTPOSTED: '20261345' is not a date (expected YYYYMMDD...)",
                "n.ofx:11: DTUSER: '2026-1-1' is not a date (expected YYYYMMDD...)",
                "n.ofx:17: TRNAMT: '1x' is not an amount (expected like -1234.56)",
                "n.ofx:23: CURSYM: 'EURO' is not a currency code",
            ]
        );
    }

    #[test]
    fn a_character_across_the_4_kib_head_is_no_problem() {
        // OFX 1 in Windows-1252: decoded, é (one byte) becomes two bytes of UTF-8
        for c in ["é", "€", "𝄞"] {
            for back in 0..c.len() {
                let mut text = "OFXHEADER:100\nDATA:OFXSGML\n\n<!-- ".to_string();
                while text.len() < HEAD - 1 - back {
                    text.push('x');
                }
                text.push_str(c);
                text.push_str(
                    " -->\n<OFX><CURDEF>EUR<BANKTRANLIST><STMTTRN><DTPOSTED>20261101\
                               <TRNAMT>5<FITID>A</STMTTRN></BANKTRANLIST></OFX>\n",
                );
                assert!(!text.is_char_boundary(HEAD) || back + 1 == c.len());
                assert!(looks_like(&text));
                let x = read(&text, "w.ofx").unwrap();
                assert_eq!((x.format.as_str(), x.transactions.len()), ("OFX 1.x", 1));
            }
        }
    }
}
