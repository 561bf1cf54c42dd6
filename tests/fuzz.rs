//! Bad input, fuzzed: parsers and the record decoder never panic, never allocate without
//! bound, and answer with an error instead.

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

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn amount_parsing_never_panics(s in "\\PC{0,40}") {
        if let Ok(d) = domain::parse_amount(&s) {
            prop_assert!(d >= rust_decimal::Decimal::ZERO);
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
    fn payments_csv_import_never_panics(body in "(\\PC|[,\"\\n\\r;=])*") {
        let text = format!("date,party,direction,amount,currency,method,reference,invoice,notes\n{body}");
        let mut ids = IdSeq::default();
        let _ = csv_own::read_payments(text.as_bytes(), "fuzz.csv", &Ledger::new(), &mut ids);
    }

    #[test]
    fn invoices_csv_import_never_panics(body in "(\\PC|[,\"\\n\\r])*") {
        let text = format!("number,party,kind,issue_date,due_date,amount,currency,notes\n{body}");
        let mut ids = IdSeq::default();
        let _ = csv_own::read_invoices(text.as_bytes(), "fuzz.csv", &Ledger::new(), &mut ids);
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
    fn filter_parser_never_panics(s in "(\\PC|[:\"\\-<>=.])*") {
        let _ = paytrack::query::parse(&s);
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
