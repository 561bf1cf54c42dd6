//! `paytrack import statement FILE`: ISO 20022 CAMT.053 and OFX 1.x (SGML) / 2.x (XML),
//! detected from the content — payments created, duplicates across overlapping
//! statements, truncated files — through the real binary.

use std::path::{Path, PathBuf};

mod common;
use common::cli::Env;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

impl Env {
    /// A store holding the invoices the statements pay.
    fn with_invoices() -> Env {
        let e = Env::new();
        let inv = e.root.join("invoices.csv");
        std::fs::write(
            &inv,
            "number,party,kind,issue_date,due_date,amount,currency,notes\n\
             INV-1001,Acme Corp,receivable,2026-07-01,2026-07-31,1200.00,EUR,\n\
             INV-1002,Acme Corp,receivable,2026-07-05,2026-08-04,350.00,EUR,\n\
             B-77,Paper Supplies Ltd,payable,2026-07-15,2026-08-14,80.00,EUR,\n",
        )
        .unwrap();
        e.ok(&["import", "invoices", inv.to_str().unwrap()]);
        e
    }

    fn statement(&self, file: &str) -> String {
        let f = fixture(file);
        self.ok(&["import", "statement", f.to_str().unwrap()])
    }

    fn payments(&self) -> Vec<Value> {
        let s = self.ok(&["export", "payments", "--format", "json"]);
        serde_json::from_str::<Value>(&s)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

fn s<'a>(p: &'a Value, k: &str) -> &'a str {
    p[k].as_str().unwrap_or("")
}

fn by_ref<'a>(ps: &'a [Value], r: &str) -> &'a Value {
    ps.iter()
        .find(|p| s(p, "reference") == r)
        .unwrap_or_else(|| panic!("no payment with reference {r} in {ps:#?}"))
}

#[test]
fn camt053_credits_and_debits_become_payments() {
    let e = Env::with_invoices();
    let out = e.statement("camt053.xml");
    assert!(
        out.starts_with(
            "imported 23 payments (13 in, 10 out), 10 new parties from camt053.xml (CAMT.053): \
             0 duplicates skipped, 1 row skipped, 1 payment matched to invoices"
        ),
        "{out}"
    );
    let ps = e.payments();
    assert_eq!(ps.len(), 23);
    let acme = by_ref(&ps, "E2E-ACME-1");
    assert_eq!(
        (
            s(acme, "date"),
            s(acme, "party"),
            s(acme, "direction"),
            s(acme, "amount"),
            s(acme, "currency"),
            s(acme, "invoice"),
            s(acme, "notes")
        ),
        (
            "2026-11-02",
            "Acme Corp",
            "in",
            "1200.00",
            "EUR",
            "INV-1001",
            "INV-1001 November"
        )
    );
    let chairs = by_ref(&ps, "E2E-MS-1");
    assert_eq!(
        (
            s(chairs, "party"),
            s(chairs, "direction"),
            s(chairs, "amount")
        ),
        ("Müller, Schmidt & Söhne GmbH", "out", "349.99"),
        "the creditor of a debit"
    );
    // a bank charge names no counterparty: the account servicer
    let fee = by_ref(&ps, "BANK-N003");
    assert_eq!(
        (s(fee, "party"), s(fee, "direction"), s(fee, "amount")),
        ("Musterbank AG", "out", "4.90")
    );
    // NOTPROVIDED end-to-end id: the bank's reference
    let zoe = by_ref(&ps, "BANK-N004");
    assert_eq!(
        (s(zoe, "party"), s(zoe, "notes")),
        ("Zoë Ångström", "Consulting, October")
    );
    // a batch entry splits into its transactions
    for (r, party, amount) in [
        ("E2E-B-1", "Björn Weiß", "100.00"),
        ("E2E-B-2", "Änne Öztürk", "200.00"),
        ("E2E-B-3", "O'Brien & Sons, Ltd", "300.00"),
    ] {
        let p = by_ref(&ps, r);
        assert_eq!((s(p, "party"), s(p, "amount")), (party, amount), "{r}");
    }
    // entities in the XML
    let p = by_ref(&ps, "E2E-000");
    assert_eq!(s(p, "notes"), "Order 0 & more <0>");
    assert_eq!(s(by_ref(&ps, "E2E-005"), "method"), "bank_transfer");
    // the pending entry is left out
    assert!(!ps.iter().any(|p| s(p, "reference") == "E2E-PDNG"));
}

#[test]
fn ofx_1_sgml_in_windows_1252() {
    let e = Env::with_invoices();
    let out = e.statement("statement_v1.ofx");
    assert!(
        out.starts_with(
            "imported 21 payments (9 in, 12 out), 7 new parties from statement_v1.ofx (OFX 1.x)"
        ),
        "{out}"
    );
    assert!(out.contains("2 payments matched to invoices"), "{out}");
    let ps = e.payments();
    let acme = by_ref(&ps, "20261102-1");
    assert_eq!(
        (
            s(acme, "party"),
            s(acme, "amount"),
            s(acme, "invoice"),
            s(acme, "date")
        ),
        ("Acme Corp", "1200.00", "INV-1001", "2026-11-02")
    );
    let check = by_ref(&ps, "20261103-1");
    assert_eq!(
        (
            s(check, "method"),
            s(check, "direction"),
            s(check, "invoice"),
            s(check, "notes")
        ),
        ("check", "out", "B-77", "B-77 | check 1043")
    );
    let fee = by_ref(&ps, "20261103-2");
    assert_eq!((s(fee, "party"), s(fee, "amount")), ("Bank", "4.90"));
    let card = by_ref(&ps, "20261104-1");
    assert_eq!(
        (s(card, "party"), s(card, "method"), s(card, "amount")),
        ("Café Zürich & Co", "card", "23.45")
    );
    assert_eq!(s(by_ref(&ps, "20261104-2"), "method"), "cash");
    let umlaut = by_ref(&ps, "F0000");
    assert_eq!(
        (
            s(umlaut, "party"),
            s(umlaut, "direction"),
            s(umlaut, "amount")
        ),
        ("Jürgen Groß", "in", "250.00")
    );
    assert_eq!(s(umlaut, "notes"), "Ref 0, misc");
}

#[test]
fn ofx_2_xml() {
    let e = Env::with_invoices();
    let out = e.statement("statement_v2.ofx");
    assert!(
        out.starts_with(
            "imported 20 payments (9 in, 11 out), 7 new parties from statement_v2.ofx (OFX 2.x)"
        ),
        "{out}"
    );
    let ps = e.payments();
    assert_eq!(s(by_ref(&ps, "20261104-1"), "party"), "Café Zürich & Co");
    let last = by_ref(&ps, "F0014");
    assert_eq!(
        (s(last, "direction"), s(last, "amount"), s(last, "date")),
        ("in", "292.14", "2026-11-19")
    );
}

#[test]
fn importing_the_same_statement_twice_leaves_the_store_as_after_the_first() {
    for (file, n) in [
        ("camt053.xml", 23),
        ("statement_v1.ofx", 21),
        ("statement_v2.ofx", 20),
    ] {
        let e = Env::with_invoices();
        e.statement(file);
        let first = e.export_all();
        let again = e.statement(file);
        assert!(
            again.starts_with("imported 0 payments (0 in, 0 out), 0 new parties")
                && again.contains(&format!("{n} duplicates skipped")),
            "{file}: {again}"
        );
        assert_eq!(e.export_all(), first, "{file}");
    }
    // OFX 1 and 2 of the same account overlap in 20 transactions
    let e = Env::with_invoices();
    e.statement("statement_v1.ofx");
    let out = e.statement("statement_v2.ofx");
    assert!(out.contains("20 duplicates skipped"), "{out}");
    assert_eq!(e.payments().len(), 21);
}

#[test]
fn an_overlapping_statement_adds_only_new_entries() {
    let e = Env::with_invoices();
    e.statement("camt053.xml");
    let out = e.statement("camt053_overlap.xml");
    assert!(
        out.starts_with("imported 3 payments (2 in, 1 out), 2 new parties"),
        "{out}"
    );
    assert!(out.contains("5 duplicates skipped"), "{out}");
    let ps = e.payments();
    assert_eq!(ps.len(), 26);
    assert_eq!(s(by_ref(&ps, "E2E-ACME-2"), "invoice"), "INV-1002");
}

#[test]
fn truncated_and_foreign_files_name_the_place_and_change_nothing() {
    let e = Env::with_invoices();
    e.statement("statement_v2.ofx");
    let before = e.export_all();
    let junk = e.root.join("notes.txt");
    std::fs::write(&junk, "just some text\n").unwrap();
    let broken = e.root.join("broken.xml");
    std::fs::write(
        &broken,
        "<?xml version=\"1.0\"?>\n<Document><BkToCstmrStmt>\n<Stmt><Ntry>\n</Stmt></BkToCstmrStmt></Document>\n",
    )
    .unwrap();
    let bad_entry = e.root.join("bad_entry.xml");
    let text = std::fs::read_to_string(fixture("camt053.xml"))
        .unwrap()
        .replace(
            "<Amt Ccy=\"EUR\">75.50</Amt>",
            "<Amt Ccy=\"EUR\">75,50</Amt>",
        );
    std::fs::write(&bad_entry, text).unwrap();
    for (file, want) in [
        (
            fixture("camt053_truncated.xml"),
            "camt053_truncated.xml:192: the file ends inside <Ntry> (opened on line 190) at byte 7733: it is truncated".to_string(),
        ),
        (
            fixture("statement_truncated.ofx"),
            "statement_truncated.ofx:110: the file ends inside <STMTTRN> (opened on line 106) at byte 2851: it is truncated".to_string(),
        ),
        (
            junk.clone(),
            "notes.txt:1: not a bank statement paytrack reads".to_string(),
        ),
        (broken.clone(), "broken.xml:4: not well-formed XML at byte".to_string()),
        (
            bad_entry.clone(),
            "bad_entry.xml:59: Amt: '75,50' is not an amount".to_string(),
        ),
    ] {
        let o = e.run(&["import", "statement", file.to_str().unwrap()]);
        assert_eq!(o.code, 1, "{want}: {}", o.stdout);
        assert!(o.stderr.contains(&want), "wanted {want:?} in {}", o.stderr);
        assert_eq!(e.export_all(), before, "{want}: the store changed");
    }
}

#[test]
fn dry_run_and_usage() {
    let e = Env::with_invoices();
    let f = fixture("camt053.xml");
    let out = e.ok(&["import", "statement", f.to_str().unwrap(), "--dry-run"]);
    assert!(
        out.starts_with("dry run: would import 23 payments"),
        "{out}"
    );
    assert!(out.contains("skipped: line 74: status PDNG\n"), "{out}");
    assert!(out.contains("new party: Musterbank AG\n"), "{out}");
    assert!(
        out.contains(
            "match: line 13: 1200.00 EUR to INV-1001 (Acme Corp) \
             [number in reference, amount equals outstanding, paid 94d after due]\n"
        ),
        "{out}"
    );
    assert!(e.payments().is_empty());
    let o = e.run(&[
        "import",
        "statement",
        f.to_str().unwrap(),
        "--profile",
        "bank",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("--profile does not apply to statements"),
        "{}",
        o.stderr
    );
    let out = e.ok(&["import", "statement", f.to_str().unwrap(), "--no-match"]);
    assert!(out.contains("0 payments matched to invoices"), "{out}");
}

impl Env {
    /// The id (first column of `paytrack payments`) of the payment with reference `r`.
    fn payment_id(&self, r: &str) -> String {
        let table = self.ok(&["payments"]);
        table
            .lines()
            .find(|l| l.split_whitespace().any(|w| w == r))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no payment {r} in\n{table}"))
            .to_string()
    }
}

#[test]
fn a_statement_imported_again_after_edits_adds_nothing() {
    let e = Env::with_invoices();
    e.statement("camt053.xml");
    // the party renamed, a payment moved to another party, references, a date and an
    // amount edited: none of it is what a re-import recognises the entries by
    e.ok(&["edit", "party", "Zoë Ångström", "--name", "Zoe Angstrom"]);
    let moved = e.payment_id("E2E-MS-1");
    e.ok(&["edit", "payment", &moved, "--party", "Globex LLC"]);
    let edited = e.payment_id("E2E-B-1");
    e.ok(&[
        "edit",
        "payment",
        &edited,
        "--reference",
        "batch, first part",
    ]);
    let redated = e.payment_id("E2E-000");
    e.ok(&[
        "edit",
        "payment",
        &redated,
        "--date",
        "2026-12-01",
        "--amount",
        "99.00",
        "--reference",
        "",
    ]);
    let ps = e.payments();
    assert_eq!(s(by_ref(&ps, "E2E-MS-1"), "party"), "Globex LLC");
    assert!(!ps.iter().any(|p| s(p, "reference") == "E2E-000"));
    let before = e.export_all();
    let f = fixture("camt053.xml");
    let dry = e.ok(&["import", "statement", f.to_str().unwrap(), "--dry-run"]);
    assert!(
        dry.starts_with("dry run: would import 0 payments (0 in, 0 out), 0 new parties")
            && dry.contains("23 duplicates skipped"),
        "{dry}"
    );
    let again = e.statement("camt053.xml");
    assert!(
        again.starts_with("imported 0 payments (0 in, 0 out), 0 new parties")
            && again.contains("23 duplicates skipped"),
        "{again}"
    );
    assert_eq!(e.export_all(), before);
    // the overlapping statement still brings its new entries only
    let out = e.statement("camt053_overlap.xml");
    assert!(out.contains("5 duplicates skipped"), "{out}");
}

#[test]
fn a_deleted_payment_comes_back_on_the_next_import_and_only_it() {
    let e = Env::with_invoices();
    e.statement("statement_v2.ofx");
    let all = e.payments();
    let gone = e.payment_id("F0014");
    e.ok(&["delete", "payment", &gone]);
    assert_eq!(e.payments().len(), all.len() - 1);
    let again = e.statement("statement_v2.ofx");
    assert!(
        again.starts_with("imported 1 payment (1 in, 0 out), 0 new parties")
            && again.contains("19 duplicates skipped"),
        "{again}"
    );
    let back = e.payments();
    assert_eq!(back.len(), all.len());
    let p = by_ref(&back, "F0014");
    assert_eq!(
        (s(p, "amount"), s(p, "date")),
        ("292.14", "2026-11-19"),
        "the same payment again"
    );
    // ids are never reused: it is a new payment
    assert_ne!(e.payment_id("F0014"), gone);
}

#[test]
fn a_restored_backup_still_knows_what_was_imported() {
    let e = Env::with_invoices();
    e.statement("camt053.xml");
    let bank = fixture("bank.csv");
    let bank = bank.to_str().unwrap();
    e.ok(&["import", "payments", bank, "--profile", "bank"]);
    e.ok(&["edit", "party", "Zoë Ångström", "--name", "Zoe Angstrom"]);
    let dump = e.path("paytrack.ptb");
    e.ok(&["backup", dump.to_str().unwrap()]);
    let other = e.path("restored");
    let o = e.run_on(&other, &["restore", dump.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let before = e.export_all_on(&other);
    assert_eq!(before, e.export_all());
    let f = fixture("camt053.xml");
    let o = e.run_on(&other, &["import", "statement", f.to_str().unwrap()]);
    assert!(
        o.stdout
            .starts_with("imported 0 payments (0 in, 0 out), 0 new parties")
            && o.stdout.contains("23 duplicates skipped"),
        "{o:?}"
    );
    let o = e.run_on(&other, &["import", "payments", bank, "--profile", "bank"]);
    assert!(
        o.stdout
            .starts_with("imported 0 payments (0 in, 0 out), 0 new parties")
            && o.stdout.contains("22 duplicates skipped"),
        "{o:?}"
    );
    assert_eq!(e.export_all_on(&other), before);
}

/// `text` with `filler` lines (x's, then `c`) put before `at`, so that `c` starts `back`
/// bytes before byte `cut` of the result.
fn with_char_before(text: &[u8], at: &[u8], cut: usize, c: &[u8], back: usize) -> Vec<u8> {
    let i = text
        .windows(at.len())
        .position(|w| w == at)
        .expect("the place to insert at")
        + at.len();
    let mut out = text[..i].to_vec();
    out.extend_from_slice(b"\n<!-- ");
    while out.len() < cut - 1 - back {
        out.push(b'x');
    }
    out.extend_from_slice(c);
    out.extend_from_slice(b" -->\n");
    out.extend_from_slice(&text[i..]);
    out
}

#[test]
fn a_character_across_the_bytes_statements_are_recognised_by_is_read() {
    // OFX is looked for in the first 4 KiB, CAMT in the first 8 KiB: a character across
    // either cut made paytrack panic (exit 101)
    let e = Env::with_invoices();
    let camt = std::fs::read(fixture("camt053.xml")).unwrap();
    let v2 = std::fs::read(fixture("statement_v2.ofx")).unwrap();
    let v1 = std::fs::read(fixture("statement_v1.ofx")).unwrap();
    let mut cases: Vec<(String, Vec<u8>, &str)> = Vec::new();
    for (cut, c) in [(4096, "ü"), (4096, "€"), (8192, "ü"), (8192, "€")] {
        for back in 0..c.len() - 1 {
            let name = format!("camt_{cut}_{}_{back}.xml", c.len());
            let bytes = with_char_before(&camt, b"<BkToCstmrStmt>", cut, c.as_bytes(), back);
            assert!(
                std::str::from_utf8(&bytes[..cut]).is_err(),
                "{name} straddles"
            );
            cases.push((name, bytes, "would import 23 payments"));
        }
    }
    let bytes = with_char_before(&v2, b"<OFX>", 4096, "ü".as_bytes(), 0);
    cases.push(("v2_4096.ofx".into(), bytes, "would import 20 payments"));
    // Windows-1252: é is one byte in the file and two once decoded
    let mut bytes = v1[..v1.windows(5).position(|w| w == b"<OFX>").unwrap()].to_vec();
    while bytes.len() < 4095 {
        bytes.push(b'x');
    }
    bytes.extend_from_slice(b"\xE9\r\n");
    bytes.extend_from_slice(&v1[v1.windows(5).position(|w| w == b"<OFX>").unwrap()..]);
    cases.push(("v1_1252_4096.ofx".into(), bytes, "would import 21 payments"));
    for (name, bytes, want) in cases {
        let f = e.root.join(&name);
        std::fs::write(&f, bytes).unwrap();
        let o = e.run(&["import", "statement", f.to_str().unwrap(), "--dry-run"]);
        assert_eq!(o.code, 0, "{name}: {}", o.stderr);
        assert!(o.stdout.contains(want), "{name}: {}", o.stdout);
    }
}

#[test]
fn an_ofx_field_error_names_the_line_of_the_field() {
    let e = Env::with_invoices();
    let text = std::fs::read(fixture("statement_v1.ofx")).unwrap();
    let text = String::from_utf8_lossy(&text).replacen(
        "<DTPOSTED>20261103\r\n",
        "<DTPOSTED>20261345\r\n",
        1,
    );
    let f = e.root.join("bad_date.ofx");
    std::fs::write(&f, text).unwrap();
    let o = e.run(&["import", "statement", f.to_str().unwrap()]);
    assert_eq!(o.code, 1);
    // the transaction starts on line 27; the date is on line 29
    assert!(
        o.stderr
            .contains("bad_date.ofx:29: DTPOSTED: '20261345' is not a date (expected YYYYMMDD...)"),
        "{}",
        o.stderr
    );
    assert!(e.payments().is_empty());
}
