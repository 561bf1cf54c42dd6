//! Bad input, fuzzed: parsers and the record decoder never panic, never allocate without
//! bound, and answer with an error instead — for the own CSV files, the filter language
//! and amounts, a clear one: a message naming the place (`file:line`, the offending
//! term, the input), and for the importers nothing created.

use paytrack::domain::ledger::Ledger;
use paytrack::domain::{self, IdSeq};
use paytrack::interchange::{backup, csv_own, mapped, profile, statement};
use paytrack::store::codec;
use proptest::prelude::*;
use time::macros::date;

/// The sample files the statement and profile tests import.
fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const STATEMENTS: [&str; 3] = ["camt053.xml", "statement_v1.ofx", "statement_v2.ofx"];
const PROFILE_SAMPLES: [(&str, &str); 7] = [
    ("bank", "bank.csv"),
    ("bank-debit-credit", "bank_debit_credit.csv"),
    ("stripe", "stripe.csv"),
    ("paypal", "paypal.csv"),
    ("invoiceninja", "invoiceninja.csv"),
    ("akaunting", "akaunting.csv"),
    ("xero", "xero.csv"),
];

/// A statement reader's answer to damaged input: an extract, or an error naming the file.
fn read_statement(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Err(e) = statement::read(bytes, "fuzz.xml") {
        prop_assert!(e.to_string().contains("fuzz.xml"), "{e}");
    }
    Ok(())
}

const PAYMENTS_HEADER: &str = "date,party,direction,amount,currency,method,reference,invoice,notes";
const INVOICES_HEADER: &str = "number,party,kind,issue_date,due_date,amount,currency,notes";

/// Which of paytrack's own CSV files.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Own {
    Payments,
    Invoices,
}

/// A valid row `i` of `kind` (numbers and references unique per row).
fn good_row(kind: Own, i: usize) -> Vec<String> {
    match kind {
        Own::Payments => vec![
            "2026-11-30".into(),
            format!("Party {}", i % 3),
            "in".into(),
            format!("{}.25", i + 1),
            "EUR".into(),
            "card".into(),
            format!("REF-{i}"),
            String::new(),
            "a note".into(),
        ],
        Own::Invoices => vec![
            format!("INV-{i:04}"),
            format!("Party {}", i % 3),
            "receivable".into(),
            "2026-11-01".into(),
            "2026-12-01".into(),
            format!("{}.50", i + 1),
            "EUR".into(),
            String::new(),
        ],
    }
}

/// Reads `text` as `kind` (streamed and in parts, which must agree): a plan, or an error
/// `fuzz.csv:LINE: ...` with a message, at a line of the file (at `expect`'s line, naming
/// its field when it names one), that takes no ids: nothing is created.
fn own_import_plans_or_names_the_line(
    text: &str,
    kind: Own,
    expect: Option<(u64, &str)>,
) -> Result<(), TestCaseError> {
    let ledger = Ledger::new();
    let mut ids = IdSeq::default();
    let mut ids_parts = IdSeq::default();
    let (streamed, parts) = match kind {
        Own::Payments => (
            csv_own::read_payments(text.as_bytes(), "fuzz.csv", &ledger, &mut ids),
            csv_own::read_payments_bytes(text.as_bytes(), "fuzz.csv", &ledger, &mut ids_parts),
        ),
        Own::Invoices => (
            csv_own::read_invoices(text.as_bytes(), "fuzz.csv", &ledger, &mut ids),
            csv_own::read_invoices_bytes(text.as_bytes(), "fuzz.csv", &ledger, &mut ids_parts),
        ),
    };
    prop_assert_eq!(&streamed, &parts, "streamed and in parts differ");
    let Err(e) = streamed else {
        return Ok(());
    };
    let msg = e.to_string();
    let prefix = format!("fuzz.csv:{}: ", e.line);
    prop_assert!(msg.starts_with(&prefix), "{msg}");
    prop_assert!(!e.message.trim().is_empty(), "no message: {msg}");
    // physical lines: the header is line 1; an error at the end may name the line after
    let lines = text.split('\n').count() as u64;
    prop_assert!(
        (2..=lines + 1).contains(&e.line),
        "line {} of {lines}: {msg}",
        e.line
    );
    if let Some(f) = &e.field {
        prop_assert!(!f.is_empty(), "{msg}");
    }
    if let Some((line, field)) = expect {
        prop_assert_eq!(e.line, line, "{}", msg);
        if let Some(f) = &e.field {
            prop_assert_eq!(f.as_str(), field, "{}", msg);
        }
    }
    prop_assert_eq!(ids, IdSeq::default(), "a refused import took ids: {}", msg);
    prop_assert_eq!(
        ids_parts,
        IdSeq::default(),
        "a refused import took ids: {}",
        msg
    );
    Ok(())
}

/// A filter parses, or its error has a message that names the offending term (quoting
/// it, or its field name for an unknown field) and a span that marks that term.
fn filter_parses_or_names_the_term(s: &str) -> Result<(), TestCaseError> {
    let Err(e) = paytrack::query::parse(s) else {
        return Ok(());
    };
    prop_assert!(!e.message.trim().is_empty(), "no message for {s:?}");
    prop_assert!(
        e.span.start < e.span.end && e.span.end <= s.len(),
        "span {:?} outside {s:?}",
        e.span
    );
    prop_assert!(
        s.is_char_boundary(e.span.start) && s.is_char_boundary(e.span.end),
        "span {:?} splits a character of {s:?}",
        e.span
    );
    // a term starts after white space (an unclosed quote runs to the end of the text)
    let term = &s[e.span.clone()];
    prop_assert!(
        !term.starts_with(char::is_whitespace)
            && (e.span.start == 0 || s[..e.span.start].ends_with(char::is_whitespace)),
        "span {:?} is not a term of {s:?}",
        e.span
    );
    let field = term.trim_start_matches('-').split(':').next().unwrap_or("");
    prop_assert!(
        e.message.contains(&format!("'{term}'")) || e.message.contains(&format!("'{field}'")),
        "{:?} does not name the term {term:?} of {s:?}",
        e.message
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn amount_parsing_accepts_amounts_or_names_the_input(s in "\\PC{0,40}|[0-9. ]{0,12}") {
        match domain::parse_amount(&s) {
            Ok(d) => prop_assert!(d >= rust_decimal::Decimal::ZERO),
            Err(e) => {
                let msg = e.to_string();
                prop_assert_eq!(msg, format!("'{s}' is not a decimal amount"));
            }
        }
    }

    #[test]
    fn amounts_round_trip(units in 0u64..10_000_000_000, cents in 0u32..100) {
        let text = format!("{units}.{cents:02}");
        let d = domain::parse_amount(&text).unwrap();
        prop_assert_eq!(domain::Currency::EUR.format(d), text);
    }

    #[test]
    fn date_parsing_never_panics(s in "\\PC{0,24}") {
        let _ = domain::parse_date(&s);
        let _ = domain::parse_relative_date(&s, date!(2026 - 12 - 03));
    }

    #[test]
    fn relative_offsets_never_overflow(sign in "[+-]", n in "[0-9]{1,25}", unit in "[dw]?") {
        let _ = domain::parse_relative_date(&format!("{sign}{n}{unit}"), date!(2026 - 12 - 03));
    }

    #[test]
    fn record_decoder_refuses_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = codec::decode_payment_block(&bytes);
        let _ = codec::decode_invoice_block(&bytes);
        // the direct decoders the store loads with
        let mut payments = Vec::new();
        let _ = codec::decode_payments_into(&bytes, &mut payments);
        let mut invoices = Vec::new();
        let _ = codec::decode_invoices_into(&bytes, &mut invoices);
        let mut tagged = vec![codec::tag::PAYMENT_BLOCK_V1];
        tagged.extend_from_slice(&bytes);
        let _ = codec::decode_payments_into(&tagged, &mut payments);
        tagged[0] = codec::tag::PAYMENT_BLOCK_V2;
        let _ = codec::decode_payment_block(&tagged);
        let _ = codec::decode_payments_into(&tagged, &mut payments);
        tagged[0] = codec::tag::INVOICE_BLOCK_V1;
        let _ = codec::decode_invoices_into(&tagged, &mut invoices);
        let _ = codec::decode_into::<codec::PartyV1, domain::Party>(codec::tag::PARTY_V1, &bytes);
    }

    #[test]
    fn payments_csv_import_plans_or_names_the_line(body in "(\\PC|[,\"\\n\\r;=])*") {
        let text = format!("{PAYMENTS_HEADER}\n{body}");
        own_import_plans_or_names_the_line(&text, Own::Payments, None)?;
    }

    #[test]
    fn invoices_csv_import_plans_or_names_the_line(body in "(\\PC|[,\"\\n\\r])*") {
        let text = format!("{INVOICES_HEADER}\n{body}");
        own_import_plans_or_names_the_line(&text, Own::Invoices, None)?;
    }

    /// Good rows and one row with a field replaced by junk: either the junk is
    /// acceptable, or the error names that row's line (and its field, when it names one).
    #[test]
    fn a_bad_field_among_good_rows_is_named_by_its_line(
        payments in any::<bool>(),
        good_before in 0usize..40,
        good_after in 0usize..5,
        field in 0usize..9,
        junk in "[^,\"\r\n]{0,12}",
    ) {
        let (kind, header, width) = if payments {
            (Own::Payments, PAYMENTS_HEADER, 9)
        } else {
            (Own::Invoices, INVOICES_HEADER, 8)
        };
        let field = field % width;
        let mut text = format!("{header}\n");
        for i in 0..good_before + 1 + good_after {
            let mut cells = good_row(kind, i);
            if i == good_before {
                cells[field] = junk.clone();
            }
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        let bad_line = good_before as u64 + 2;
        own_import_plans_or_names_the_line(&text, kind, Some((bad_line, header.split(',').nth(field).unwrap())))?;
    }

    #[test]
    fn backup_reader_never_panics(body in "(\\PC|[{}\":,\\n])*") {
        let text = format!("paytrack-backup 2\n{body}");
        let _ = backup::read(text.as_bytes(), "fuzz.ptb");
    }

    #[test]
    fn statement_reader_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        read_statement(&bytes)?;
        let mut xml = b"<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">".to_vec();
        xml.extend_from_slice(&bytes);
        read_statement(&xml)?;
        let mut ofx = b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX>".to_vec();
        ofx.extend_from_slice(&bytes);
        read_statement(&ofx)?;
    }

    #[test]
    fn statement_reader_never_panics_on_damaged_samples(
        which in 0..STATEMENTS.len(),
        cut in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
    ) {
        let mut bytes = fixture(STATEMENTS[which]);
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        read_statement(&bytes)?;
    }

    #[test]
    fn profile_csv_import_never_panics(
        which in 0..PROFILE_SAMPLES.len(),
        body in "(\\PC|[,;\"\n\r.\\-/])*",
    ) {
        let (name, file) = PROFILE_SAMPLES[which];
        let p = profile::load(name, None).unwrap();
        let sample = String::from_utf8_lossy(&fixture(file)).into_owned();
        let header = sample.lines().next().unwrap_or_default();
        let text = format!("{header}\n{body}");
        if let Err(e) = mapped::read(text.as_bytes(), "fuzz.csv", &p, None) {
            prop_assert!(e.to_string().contains("fuzz.csv"), "{e}");
        }
    }

    #[test]
    fn filter_parser_parses_or_names_the_offending_term(s in "(\\PC|[:\"\\-<>=.])*") {
        filter_parses_or_names_the_term(&s)?;
    }

    /// Field terms with random values: most are errors, each naming its term.
    #[test]
    fn filter_field_terms_parse_or_name_the_offending_term(
        before in "[a-z ]{0,8}",
        neg in any::<bool>(),
        field in prop::sample::select(vec![
            "party", "status", "dir", "kind", "method", "currency", "invoice", "amount",
            "date", "after", "before", "due", "stauts", "amout", "x",
        ]),
        value in "(\\PC|[:\"\\-<>=.,0-9])*",
        after in "[a-z ]{0,8}",
    ) {
        let minus = if neg { "-" } else { "" };
        filter_parses_or_names_the_term(&format!("{before} {minus}{field}:{value} {after}"))?;
    }
}

#[test]
fn a_length_prefix_claiming_gigabytes_is_refused_without_allocating() {
    // tag, then a varint vector length of 2^60 elements
    let mut v = vec![codec::tag::PAYMENT_BLOCK_V1, 0xff];
    v.extend_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(codec::decode_payment_block(&v).is_err());
    assert!(codec::decode_payments_into(&v, &mut Vec::new()).is_err());
    v[0] = codec::tag::PAYMENT_BLOCK_V2;
    assert!(codec::decode_payment_block(&v).is_err());
    assert!(codec::decode_payments_into(&v, &mut Vec::new()).is_err());
}
