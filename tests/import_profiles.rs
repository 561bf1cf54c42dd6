//! `paytrack import payments FILE --profile NAME|auto` and `--map`: every shipped
//! profile on a sample file of its layout, automatic recognition, re-imports, Windows-1252,
//! user profiles and malformed files — run as a user would, through the real binary.

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
    /// Invoices the samples pay: INV-1001 and INV-1002 of Acme Corp (who has the e-mail
    /// ap@acme.test), INV-1003 in USD of Globex LLC, the bill B-77 of Paper Supplies Ltd.
    fn seeded() -> Env {
        let e = Env::new();
        e.ok(&[
            "add",
            "party",
            "--name",
            "Acme Corp",
            "--email",
            "ap@acme.test",
        ]);
        let inv = e.root.join("invoices.csv");
        std::fs::write(
            &inv,
            "number,party,kind,issue_date,due_date,amount,currency,notes\n\
             INV-1001,Acme Corp,receivable,2026-07-01,2026-07-31,1200.00,EUR,\n\
             INV-1002,Acme Corp,receivable,2026-07-05,2026-08-04,350.00,EUR,\n\
             INV-1003,Globex LLC,receivable,2026-07-10,2026-08-09,500.00,USD,\n\
             B-77,Paper Supplies Ltd,payable,2026-07-15,2026-08-14,80.00,EUR,\n",
        )
        .unwrap();
        e.ok(&["import", "invoices", inv.to_str().unwrap()]);
        e
    }

    fn payments(&self) -> Vec<Value> {
        let s = self.ok(&["export", "payments", "--format", "json"]);
        serde_json::from_str::<Value>(&s)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    fn import(&self, profile: &str, file: &str, extra: &[&str]) -> String {
        let f = fixture(file);
        let mut args = vec![
            "import",
            "payments",
            f.to_str().unwrap(),
            "--profile",
            profile,
        ];
        args.extend_from_slice(extra);
        self.ok(&args)
    }
}

fn find(ps: &[Value], pred: impl Fn(&Value) -> bool) -> &Value {
    ps.iter()
        .find(|p| pred(p))
        .unwrap_or_else(|| panic!("no such payment in {ps:#?}"))
}

fn s<'a>(p: &'a Value, k: &str) -> &'a str {
    p[k].as_str().unwrap_or("")
}

fn count(ps: &[Value], pred: impl Fn(&Value) -> bool) -> usize {
    ps.iter().filter(|p| pred(p)).count()
}

#[test]
fn generic_bank_csv_with_a_signed_amount() {
    let e = Env::seeded();
    let out = e.import("bank", "bank.csv", &[]);
    assert!(
        out.starts_with(
            "imported 22 payments (11 in, 11 out), 8 new parties from bank.csv (profile bank)"
        ),
        "{out}"
    );
    let ps = e.payments();
    assert_eq!(ps.len(), 22);
    let acme = find(&ps, |p| s(p, "reference") == "INV-1001");
    assert_eq!(
        (s(acme, "party"), s(acme, "direction"), s(acme, "amount")),
        ("Acme Corp", "in", "1200.00")
    );
    assert_eq!(
        s(acme, "invoice"),
        "INV-1001",
        "matched to the open invoice"
    );
    assert_eq!(s(acme, "notes"), "Payment, thank you");
    let chairs = find(&ps, |p| s(p, "reference") == "B-2026-17");
    assert_eq!(s(chairs, "party"), "Müller, Schmidt & Söhne GmbH");
    assert_eq!(
        (s(chairs, "direction"), s(chairs, "amount")),
        ("out", "349.99")
    );
    let fee = find(&ps, |p| s(p, "notes") == "Account fee");
    assert_eq!((s(fee, "party"), s(fee, "direction")), ("Bank", "out"));
    let refund = find(&ps, |p| s(p, "reference") == "REFUND-1");
    assert_eq!(
        (
            s(refund, "party"),
            s(refund, "direction"),
            s(refund, "amount")
        ),
        ("Acme Corp", "out", "50.00"),
        "a negative amount to a customer is money out"
    );
    assert_eq!(count(&ps, |p| s(p, "currency") == "USD"), 6);
    assert_eq!(count(&ps, |p| s(p, "party") == "北京贸易有限公司"), 2);
    assert!(ps.iter().all(|p| s(p, "method") == "bank_transfer"));
}

#[test]
fn bank_csv_with_debit_and_credit_columns() {
    let e = Env::seeded();
    let out = e.import("bank-debit-credit", "bank_debit_credit.csv", &[]);
    assert!(
        out.starts_with("imported 21 payments (14 in, 7 out)"),
        "{out}"
    );
    let ps = e.payments();
    let acme = find(&ps, |p| s(p, "reference") == "INV-1002");
    assert_eq!(
        (
            s(acme, "party"),
            s(acme, "direction"),
            s(acme, "amount"),
            s(acme, "invoice")
        ),
        ("Acme Corp", "in", "350.00", "INV-1002")
    );
    let power = find(&ps, |p| s(p, "party") == "Stadtwerke Köln");
    assert_eq!(
        (s(power, "direction"), s(power, "amount")),
        ("out", "120.40")
    );
    let quoted = find(&ps, |p| s(p, "party") == "\"Quoted\", Inc.");
    assert_eq!(s(quoted, "amount"), "1500.00");
}

#[test]
fn stripe_balance_transactions_with_fees_refunds_and_payouts() {
    let e = Env::seeded();
    let out = e.import("stripe", "stripe.csv", &[]);
    assert!(
        out.starts_with("imported 34 payments (14 in, 20 out; 15 fees), 2 new parties"),
        "{out}"
    );
    assert!(out.contains("2 rows skipped"), "payouts: {out}");
    let ps = e.payments();
    // the charge naming INV-1003 went to Globex (the export names no customer)
    let globex = find(&ps, |p| s(p, "reference") == "txn_1C0001");
    assert_eq!(
        (
            s(globex, "party"),
            s(globex, "amount"),
            s(globex, "currency"),
            s(globex, "invoice")
        ),
        ("Globex LLC", "500.00", "USD", "INV-1003")
    );
    assert!(s(globex, "notes").contains("ref ch_1C0001"), "{globex}");
    let fee = find(&ps, |p| s(p, "reference") == "txn_1C0001:fee");
    assert_eq!(
        (
            s(fee, "party"),
            s(fee, "direction"),
            s(fee, "amount"),
            s(fee, "currency")
        ),
        ("Stripe", "out", "14.80", "USD")
    );
    let cafe = find(&ps, |p| s(p, "reference") == "txn_1C0000");
    assert_eq!(s(cafe, "party"), "Stripe customer");
    assert_eq!(
        s(cafe, "notes"),
        "ref ch_1C0000 | Subscription — Café plan, monthly"
    );
    assert_eq!(s(cafe, "method"), "card");
    let refunds: Vec<&Value> = ps
        .iter()
        .filter(|p| s(p, "reference").starts_with("txn_1R"))
        .collect();
    assert_eq!(refunds.len(), 3);
    assert!(refunds.iter().all(|p| s(p, "direction") == "out"));
    let billing = find(&ps, |p| s(p, "reference") == "txn_1F0001");
    assert_eq!(
        (s(billing, "party"), s(billing, "direction")),
        ("Stripe", "out")
    );
    assert!(
        !ps.iter().any(|p| s(p, "reference").starts_with("txn_1P")),
        "payouts are skipped"
    );
    assert_eq!(count(&ps, |p| s(p, "party") == "Stripe"), 16);
}

#[test]
fn paypal_activity_download() {
    let e = Env::seeded();
    let out = e.import("paypal", "paypal.csv", &[]);
    assert!(
        out.starts_with("imported 38 payments (18 in, 20 out; 18 fees)"),
        "{out}"
    );
    assert!(
        out.contains("3 rows skipped"),
        "withdrawal, pending, memo: {out}"
    );
    assert!(out.contains("3 payments matched to invoices"), "{out}");
    let ps = e.payments();
    let first = find(&ps, |p| s(p, "reference") == "1AB00000XY");
    assert_eq!(
        (s(first, "party"), s(first, "amount"), s(first, "method")),
        ("Åsa Lindqvist", "1250.00", "paypal")
    );
    assert_eq!(
        s(first, "notes"),
        "Express Checkout Payment | Order #500, gift wrap"
    );
    let fee = find(&ps, |p| s(p, "reference") == "1AB00000XY:fee");
    assert_eq!(
        (s(fee, "party"), s(fee, "direction"), s(fee, "amount")),
        ("PayPal", "out", "44.12")
    );
    // the invoice number column, and a payer known by e-mail only
    let inv = find(&ps, |p| s(p, "reference") == "2CD00001XY");
    assert_eq!(
        (s(inv, "party"), s(inv, "invoice")),
        ("Acme Corp", "INV-1001")
    );
    let by_mail = find(&ps, |p| s(p, "reference") == "2CD00002XY");
    assert_eq!(
        (s(by_mail, "party"), s(by_mail, "invoice")),
        ("Acme Corp", "INV-1002")
    );
    // a refund is money out, and PayPal gives part of its fee back
    let refund = find(&ps, |p| s(p, "reference") == "3EF00001XY");
    assert_eq!(
        (s(refund, "direction"), s(refund, "amount")),
        ("out", "45.00")
    );
    let back = find(&ps, |p| s(p, "reference") == "3EF00001XY:fee");
    assert_eq!(
        (s(back, "party"), s(back, "direction"), s(back, "amount")),
        ("PayPal", "in", "1.57")
    );
    let bill = find(&ps, |p| s(p, "reference") == "4GH00001XY");
    assert_eq!((s(bill, "direction"), s(bill, "invoice")), ("out", "B-77"));
    let big = find(&ps, |p| s(p, "reference") == "8OP00002XY");
    assert_eq!((s(big, "amount"), s(big, "currency")), ("2000.00", "USD"));
    for gone in ["5IJ00001XY", "6KL00001XY", "7MN00001XY"] {
        assert!(
            !ps.iter().any(|p| s(p, "reference") == gone),
            "{gone} is skipped"
        );
    }
}

#[test]
fn invoice_ninja_payments_with_refunds_and_statuses() {
    let e = Env::seeded();
    let out = e.import("invoiceninja", "invoiceninja.csv", &[]);
    assert!(
        out.starts_with("imported 20 payments (19 in, 1 out)"),
        "{out}"
    );
    assert!(out.contains("2 rows skipped"), "pending and failed: {out}");
    let ps = e.payments();
    let acme = find(&ps, |p| s(p, "reference") == "0018");
    assert_eq!(
        (s(acme, "party"), s(acme, "invoice")),
        ("Acme Corp", "INV-1002")
    );
    let refund = find(&ps, |p| s(p, "reference") == "0019:refund");
    assert_eq!(
        (
            s(refund, "party"),
            s(refund, "direction"),
            s(refund, "amount")
        ),
        ("Zoë Ångström", "out", "50.00")
    );
    let card = find(&ps, |p| s(p, "reference") == "0002");
    assert_eq!(
        (s(card, "method"), s(card, "amount"), s(card, "notes")),
        ("card", "112.50", "ref ch_9001 | note 1, see file")
    );
    assert_eq!(
        s(find(&ps, |p| s(p, "reference") == "0003"), "method"),
        "cash"
    );
    assert_eq!(
        s(find(&ps, |p| s(p, "reference") == "0004"), "method"),
        "paypal"
    );
    assert_eq!(
        s(find(&ps, |p| s(p, "reference") == "0005"), "method"),
        "check"
    );
    assert_eq!(
        s(find(&ps, |p| s(p, "reference") == "0001"), "method"),
        "bank_transfer"
    );
}

#[test]
fn akaunting_transactions() {
    let e = Env::seeded();
    let out = e.import("akaunting", "akaunting.csv", &[]);
    assert!(
        out.starts_with("imported 20 payments (13 in, 7 out)"),
        "{out}"
    );
    assert!(out.contains("2 rows skipped"), "transfers: {out}");
    let ps = e.payments();
    let acme = find(&ps, |p| s(p, "reference") == "TRA-00019");
    assert_eq!(
        (s(acme, "party"), s(acme, "invoice"), s(acme, "amount")),
        ("Acme Corp", "INV-1001", "1200.00"),
        "the contact's e-mail names the party, invoice_bill_number the invoice"
    );
    // the invoice column is kept in the notes, where the matching rules (and `paytrack
    // match` later) see it
    assert_eq!(
        s(acme, "notes"),
        "ref WIRE 55 | -discount applied | Sales | invoice INV-1001"
    );
    let expense = find(&ps, |p| s(p, "reference") == "TRA-00003");
    assert_eq!(
        (
            s(expense, "direction"),
            s(expense, "party"),
            s(expense, "amount")
        ),
        ("out", "contact2@example.org", "32.00")
    );
    assert_eq!(
        s(find(&ps, |p| s(p, "reference") == "TRA-00002"), "method"),
        "cash"
    );
    assert_eq!(
        s(find(&ps, |p| s(p, "reference") == "TRA-00001"), "method"),
        "bank_transfer"
    );
}

#[test]
fn xero_bank_statement_csv() {
    let e = Env::seeded();
    let out = e.import("xero", "xero.csv", &["--currency", "GBP"]);
    assert!(
        out.starts_with("imported 21 payments (10 in, 11 out)"),
        "{out}"
    );
    let ps = e.payments();
    assert!(ps.iter().all(|p| s(p, "currency") == "GBP"), "--currency");
    let first = find(&ps, |p| s(p, "reference") == "INV-1001");
    assert_eq!(
        (s(first, "date"), s(first, "party"), s(first, "amount")),
        ("2026-11-03", "Acme Corp", "1200.00")
    );
    assert_eq!(
        s(first, "invoice"),
        "",
        "the invoice is in EUR, the statement in GBP"
    );
    let fee = find(&ps, |p| s(p, "notes") == "Monthly account fee");
    assert_eq!((s(fee, "party"), s(fee, "direction")), ("Bank", "out"));
    let cheque = find(&ps, |p| s(p, "reference") == "B-77");
    assert_eq!(s(cheque, "notes"), "Bill B-77 | 000123");
    // EUR by default, and then the bill matches
    let e = Env::seeded();
    e.import("xero", "xero.csv", &[]);
    let ps = e.payments();
    assert_eq!(
        s(find(&ps, |p| s(p, "reference") == "B-77"), "invoice"),
        "B-77"
    );
}

#[test]
fn profile_auto_recognises_every_sample() {
    let e = Env::seeded();
    for (file, profile) in [
        ("bank.csv", "bank"),
        ("bank_debit_credit.csv", "bank-debit-credit"),
        ("stripe.csv", "stripe"),
        ("paypal.csv", "paypal"),
        ("invoiceninja.csv", "invoiceninja"),
        ("akaunting.csv", "akaunting"),
        ("xero.csv", "xero"),
    ] {
        let f = fixture(file);
        let o = e.run(&[
            "import",
            "payments",
            f.to_str().unwrap(),
            "--profile",
            "auto",
            "--dry-run",
        ]);
        assert_eq!(o.code, 0, "{file}: {}", o.stderr);
        assert!(
            o.stderr.contains(&format!("{file}: profile '{profile}' (")),
            "{file}: {}",
            o.stderr
        );
        assert!(
            o.stdout.contains(&format!("(profile {profile})")),
            "{file}: {}",
            o.stdout
        );
    }
    // a preamble before the header: --skip-lines applies to every candidate
    let f = e.root.join("preamble.csv");
    let body = include_str!("fixtures/import/xero.csv");
    std::fs::write(&f, format!("Statement for account 12-3456\n\n{body}")).unwrap();
    let o = e.run(&[
        "import",
        "payments",
        f.to_str().unwrap(),
        "--profile",
        "auto",
        "--skip-lines",
        "2",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("profile 'xero'"), "{}", o.stderr);
    assert!(o.stdout.starts_with("imported 21 payments"), "{}", o.stdout);
    // and a layout no profile knows
    let f = e.root.join("odd.csv");
    std::fs::write(&f, "When,What,How much\n2026-01-01,x,1\n").unwrap();
    let o = e.run(&[
        "import",
        "payments",
        f.to_str().unwrap(),
        "--profile",
        "auto",
    ]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("odd.csv:1: the header row matches no profile")
            && o.stderr.contains("When, What, How much"),
        "{}",
        o.stderr
    );
}

#[test]
fn importing_a_sample_again_changes_nothing() {
    for (profile, file, rows) in [
        ("bank", "bank.csv", 22),
        ("stripe", "stripe.csv", 34),
        ("paypal", "paypal.csv", 38),
        ("invoiceninja", "invoiceninja.csv", 20),
        ("akaunting", "akaunting.csv", 20),
        ("xero", "xero.csv", 21),
        ("bank-debit-credit", "bank_debit_credit.csv", 21),
    ] {
        let e = Env::seeded();
        e.import(profile, file, &[]);
        let first = e.export_all();
        let again = e.import(profile, file, &[]);
        assert!(
            again.starts_with("imported 0 payments (0 in, 0 out), 0 new parties")
                && again.contains(&format!("{rows} duplicates skipped")),
            "{profile}: {again}"
        );
        assert_eq!(e.export_all(), first, "{profile}: the store changed");
    }
}

impl Env {
    /// The id (first column of `paytrack payments`) of the payment whose row of the
    /// table holds the word `w` (its reference, its party...).
    fn payment_id(&self, w: &str) -> String {
        let table = self.ok(&["payments"]);
        table
            .lines()
            .find(|l| l.split_whitespace().any(|x| x == w))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no payment {w} in\n{table}"))
            .to_string()
    }
}

#[test]
fn a_reimport_after_renaming_moving_and_editing_adds_nothing() {
    let e = Env::seeded();
    e.import("bank", "bank.csv", &[]);
    // the party renamed
    e.ok(&["edit", "party", "Zoë Ångström", "--name", "Zoe Angstrom"]);
    // a payment moved to another party, and the bank fee (whose party the file does not
    // name) too
    let chairs = e.payment_id("B-2026-17");
    e.ok(&["edit", "payment", &chairs, "--party", "Paper Supplies Ltd"]);
    let fee = e.payment_id("Bank");
    e.ok(&["edit", "payment", &fee, "--party", "Globex LLC"]);
    // a reference edited
    let refund = e.payment_id("REFUND-1");
    e.ok(&[
        "edit",
        "payment",
        &refund,
        "--reference",
        "refund, see mail",
    ]);
    let ps = e.payments();
    assert_eq!(
        s(find(&ps, |p| s(p, "notes") == "Office chairs"), "party"),
        "Paper Supplies Ltd"
    );
    assert!(!ps.iter().any(|p| s(p, "reference") == "REFUND-1"));
    assert_eq!(count(&ps, |p| s(p, "party") == "Zoe Angstrom"), 3);
    let before = e.export_all();
    let dry = e.import("bank", "bank.csv", &["--dry-run"]);
    assert!(
        dry.starts_with("dry run: would import 0 payments (0 in, 0 out), 0 new parties")
            && dry.contains("22 duplicates skipped"),
        "{dry}"
    );
    let again = e.import("bank", "bank.csv", &[]);
    assert!(
        again.starts_with("imported 0 payments (0 in, 0 out), 0 new parties")
            && again.contains("22 duplicates skipped"),
        "{again}"
    );
    assert_eq!(e.export_all(), before, "the store changed");
}

#[test]
fn a_counterparty_written_as_an_e_mail_address_is_fingerprinted_as_written() {
    let e = Env::seeded();
    let f = e.root.join("mail.csv");
    std::fs::write(
        &f,
        "Day,Who,Value,What\n\
         2026-11-02,AP@acme.test,120.00,November\n\
         2026-11-03,someone@else.test,-9.99,Stamps\n",
    )
    .unwrap();
    let f = f.to_str().unwrap();
    let args = [
        "import",
        "payments",
        f,
        "--map",
        "date=Day",
        "--map",
        "party=Who",
        "--map",
        "amount=Value",
        "--map",
        "reference=What",
    ];
    let out = e.ok(&args);
    assert!(
        out.starts_with("imported 2 payments (1 in, 1 out)"),
        "{out}"
    );
    let ps = e.payments();
    assert_eq!(
        s(find(&ps, |p| s(p, "reference") == "November"), "party"),
        "Acme Corp",
        "the address names the party that has it"
    );
    // the party renamed and given another address: the rows are still known
    e.ok(&[
        "edit",
        "party",
        "Acme Corp",
        "--name",
        "Acme Inc",
        "--email",
        "billing@acme.test",
    ]);
    let again = e.ok(&args);
    assert!(
        again.starts_with("imported 0 payments (0 in, 0 out), 0 new parties")
            && again.contains("2 duplicates skipped"),
        "{again}"
    );
}

#[test]
fn deleting_an_imported_payment_lets_the_next_import_bring_it_back() {
    let e = Env::seeded();
    e.import("stripe", "stripe.csv", &[]);
    let first = e.payments();
    // a payment and its fee (their own rows of the export's one line)
    let gone = first
        .iter()
        .find(|p| s(p, "reference").ends_with(":fee"))
        .map(|p| s(p, "reference").to_string())
        .expect("a fee");
    let id = e.payment_id(&gone);
    e.ok(&["delete", "payment", &id]);
    let again = e.import("stripe", "stripe.csv", &[]);
    assert!(
        again.starts_with("imported 1 payment (0 in, 1 out; 1 fees), 0 new parties")
            && again.contains("33 duplicates skipped"),
        "{again}"
    );
    let back = e.payments();
    assert_eq!(back.len(), first.len());
    assert_eq!(count(&back, |p| s(p, "reference") == gone), 1);
}

#[test]
fn windows_1252_with_umlauts_and_a_layout_given_on_the_command_line() {
    let e = Env::seeded();
    let f = fixture("german_1252.csv");
    let args = [
        "import",
        "payments",
        f.to_str().unwrap(),
        "--map",
        "date=Buchungstag",
        "--map",
        "party=Auftraggeber/Empfänger",
        "--map",
        "notes=Verwendungszweck",
        "--map",
        "amount=Betrag",
        "--map",
        "currency=Währung",
        "--date-format",
        "%d.%m.%Y",
        "--decimal-comma",
        "--delimiter",
        ";",
        "--skip-lines",
        "2",
    ];
    let out = e.ok(&args);
    assert!(
        out.starts_with("imported 20 payments (10 in, 10 out), 5 new parties"),
        "{out}"
    );
    let ps = e.payments();
    let big = find(&ps, |p| s(p, "amount") == "1234.56");
    assert_eq!(
        (s(big, "party"), s(big, "direction"), s(big, "date")),
        ("Änne Öztürk", "in", "2026-11-05")
    );
    assert_eq!(s(big, "notes"), "Rechnung RE-4; Grüße");
    let out = find(&ps, |p| s(p, "date") == "2026-11-02");
    assert_eq!(
        (s(out, "party"), s(out, "direction"), s(out, "amount")),
        ("Bäckerei Köhler", "out", "13.07")
    );
    assert!(ps.iter().any(|p| s(p, "party") == "Jürgen Groß"));
    // the same file with --encoding utf-8 is refused, naming the line
    let mut strict = args.to_vec();
    strict.extend_from_slice(&["--encoding", "utf-8", "--dry-run"]);
    let o = e.run(&strict);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("german_1252.csv:1: not valid UTF-8"),
        "{}",
        o.stderr
    );
}

#[test]
fn malformed_files_name_the_place_and_change_nothing() {
    let e = Env::seeded();
    e.import("bank", "bank.csv", &[]);
    let before = e.export_all();
    let bad = |name: &str, text: &str| {
        let p = e.root.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases: Vec<(PathBuf, Vec<&str>, &str)> = vec![
        (
            fixture("xero_wrong_header.csv"),
            vec!["--profile", "xero"],
            "xero_wrong_header.csv:1: no column '*Amount' or 'Amount' (the profile 'xero' needs it)",
        ),
        (
            fixture("bad_date.csv"),
            vec!["--profile", "xero"],
            "bad_date.csv:7: date: '31/02/2026' is not a date (expected %d/%m/%Y)",
        ),
        (
            bad(
                "amount.csv",
                "Date,Counterparty,Amount\n2026-01-01,A,1.00\n2026-01-02,B,\"12,5\"\n",
            ),
            vec!["--profile", "bank"],
            "amount.csv:3: amount: '12,5' is not an amount (expected like -1234.56)",
        ),
        (
            bad(
                "quote.csv",
                "Date,Counterparty,Amount\n2026-01-01,A,1.00\n2026-01-02,\"B,2.00\n2026-01-03,C,3.00\n",
            ),
            vec!["--profile", "bank"],
            "quote.csv:3: unclosed quote",
        ),
        (
            bad(
                "fields.csv",
                "Date,Counterparty,Amount\n2026-01-01,A,1.00\n\n2026-01-02,B,2.00,extra\n",
            ),
            vec!["--profile", "bank"],
            "fields.csv:4: wrong number of fields: 4 instead of 3",
        ),
        (
            bad("map.csv", "Tag,Wer,Betrag\n01.01.2026,A,\"1,00\"\n"),
            vec![
                "--map",
                "date=Tag",
                "--map",
                "party=Wer",
                "--map",
                "amount=Summe",
            ],
            "map.csv:1: no column 'Summe' (--map amount=Summe)",
        ),
        (
            bad("currency.csv", "Date,Counterparty,Amount,Currency\n2026-01-01,A,1.00,EURO\n"),
            vec!["--profile", "bank"],
            "currency.csv:2: currency: 'EURO' is not a currency code",
        ),
        (
            bad("decimals.csv", "Date,Counterparty,Amount,Currency\n2026-01-01,A,1.005,EUR\n"),
            vec!["--profile", "bank"],
            "decimals.csv:2: amount: 1.005 has more decimals than EUR allows (2)",
        ),
    ];
    for (file, extra, want) in cases {
        let mut args = vec!["import", "payments", file.to_str().unwrap()];
        args.extend(extra.iter().copied());
        let o = e.run(&args);
        assert_eq!(o.code, 1, "{want}: {}{}", o.stdout, o.stderr);
        assert!(o.stderr.contains(want), "wanted {want:?} in {}", o.stderr);
        assert_eq!(e.export_all(), before, "{want}: the store changed");
    }
    // several bad rows: each is listed, and still nothing lands
    let f = bad(
        "many.csv",
        "Date,Counterparty,Amount\n2026-01-01,A,1.00\n2026-13-01,B,2.00\n2026-01-03,C,x\n",
    );
    let o = e.run(&[
        "import",
        "payments",
        f.to_str().unwrap(),
        "--profile",
        "bank",
    ]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("many.csv:3: date: '2026-13-01' is not a date (expected %Y-%m-%d)"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("many.csv:4: amount: 'x' is not an amount"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr
            .contains("2 rows have errors in many.csv; nothing was imported"),
        "{}",
        o.stderr
    );
    assert_eq!(e.export_all(), before);
}

#[test]
fn dry_run_previews_rows_parties_matches_duplicates_and_errors() {
    let e = Env::seeded();
    let f = fixture("paypal.csv");
    let before = e.export_all();
    let out = e.ok(&[
        "import",
        "payments",
        f.to_str().unwrap(),
        "--profile",
        "paypal",
        "--dry-run",
    ]);
    assert!(
        out.starts_with("dry run: would import 38 payments"),
        "{out}"
    );
    assert!(out.contains("; nothing was changed\n"), "{out}");
    assert!(out.contains("rows read: 23\n"), "{out}");
    assert!(out.contains("new party: Åsa Lindqvist\n"), "{out}");
    assert!(out.contains("new party: PayPal\n"), "{out}");
    // matches through the rules of `paytrack match`, with their reasons
    assert!(
        out.contains(
            "match: line 14: 1200.00 EUR to INV-1001 (Acme Corp) \
             [number in reference, amount equals outstanding, paid 74d after due]\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "match: line 15: 350.00 EUR to INV-1002 (Acme Corp) \
             [number in reference, amount equals outstanding, paid 71d after due]\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("skipped: line 20: Type is 'General Withdrawal'\n"),
        "{out}"
    );
    assert!(
        out.contains("skipped: line 21: Status is 'Pending'\n"),
        "{out}"
    );
    assert_eq!(e.export_all(), before, "a dry run changes nothing");
    // after the import, the preview names the duplicates
    e.import("paypal", "paypal.csv", &[]);
    let out = e.ok(&[
        "import",
        "payments",
        f.to_str().unwrap(),
        "--profile",
        "paypal",
        "--dry-run",
    ]);
    assert!(out.contains("38 duplicates skipped"), "{out}");
    assert!(
        out.contains("duplicates (already recorded), lines: 2, 2, 3, 3,"),
        "{out}"
    );
    // errors with their lines, and exit 1
    let bad = fixture("bad_date.csv");
    let o = e.run(&[
        "import",
        "payments",
        bad.to_str().unwrap(),
        "--profile",
        "xero",
        "--dry-run",
    ]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout.contains("dry run: would import 6 payments"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains(
            "error: bad_date.csv:7: date: '31/02/2026' is not a date (expected %d/%m/%Y)"
        ),
        "{}",
        o.stdout
    );
    assert!(
        o.stderr.contains("1 row has errors in bad_date.csv"),
        "{}",
        o.stderr
    );
}

#[test]
fn an_overlapping_export_adds_only_the_new_rows() {
    let e = Env::seeded();
    let head: Vec<&str> = include_str!("fixtures/import/bank.csv").lines().collect();
    let first = e.root.join("first.csv");
    let second = e.root.join("second.csv");
    std::fs::write(&first, format!("{}\n", head[..15].join("\n"))).unwrap();
    let mut tail = vec![head[0]];
    tail.extend_from_slice(&head[10..]);
    std::fs::write(&second, format!("{}\n", tail.join("\n"))).unwrap();
    e.ok(&[
        "import",
        "payments",
        first.to_str().unwrap(),
        "--profile",
        "bank",
    ]);
    let out = e.ok(&[
        "import",
        "payments",
        second.to_str().unwrap(),
        "--profile",
        "bank",
    ]);
    assert!(out.starts_with("imported 8 payments"), "{out}");
    assert!(out.contains("5 duplicates skipped"), "{out}");
    assert_eq!(e.payments().len(), 22);
}

#[test]
fn user_profiles_from_the_config_directory() {
    let e = Env::seeded();
    let dir = e.root.join("config/paytrack/profiles");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("hausbank.toml"),
        "title = \"Hausbank Umsätze\"\n\
         delimiter = \";\"\n\
         decimal_comma = true\n\
         date_format = \"%d.%m.%Y\"\n\
         skip_lines = 2\n\
         method = \"bank_transfer\"\n\
         detect = [\"Buchungstag\", \"Betrag\", \"Währung\"]\n\
         [columns]\n\
         date = \"Buchungstag\"\n\
         amount = \"Betrag\"\n\
         currency = \"Währung\"\n\
         party = \"Auftraggeber/Empfänger\"\n\
         notes = \"Verwendungszweck\"\n",
    )
    .unwrap();
    let f = fixture("german_1252.csv");
    let o = e.run(&[
        "import",
        "payments",
        f.to_str().unwrap(),
        "--profile",
        "auto",
        "--dry-run",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("profile 'hausbank' (Hausbank Umsätze)"),
        "{}",
        o.stderr
    );
    let out = e.ok(&[
        "import",
        "payments",
        f.to_str().unwrap(),
        "--profile",
        "hausbank",
    ]);
    assert!(
        out.starts_with("imported 20 payments (10 in, 10 out)"),
        "{out}"
    );
    assert!(e
        .payments()
        .iter()
        .all(|p| s(p, "method") == "bank_transfer"));
    // a broken profile is reported with its file
    std::fs::write(dir.join("broken.toml"), "[columns]\ndate = \"D\"\n").unwrap();
    let o = e.run(&[
        "import",
        "payments",
        f.to_str().unwrap(),
        "--profile",
        "broken",
    ]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("broken.toml") && o.stderr.contains("no amount column"),
        "{}",
        o.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    let e = Env::seeded();
    let f = fixture("bank.csv");
    let file = f.to_str().unwrap();
    for (args, want) in [
        (vec!["import", "payments", file, "--profile", "nosuch"], "unknown profile 'nosuch' (available: bank, bank-debit-credit, stripe, paypal, invoiceninja, akaunting, xero"),
        (vec!["import", "payments", file, "--map", "amount"], "--map amount: expected FIELD=COLUMN"),
        (vec!["import", "payments", file, "--map", "colour=Amount"], "unknown field 'colour'"),
        (vec!["import", "payments", file, "--map", "amount=Amount"], "no date column"),
        (vec!["import", "payments", file, "--profile", "bank", "--date-format", "%d/%m/%y"], "two-digit years"),
        (vec!["import", "payments", file, "--profile", "bank", "--delimiter", ";;"], "--delimiter"),
        (vec!["import", "invoices", file, "--profile", "bank"], "--profile is for `import payments`"),
        (vec!["import", "payments", file, "--no-match"], "--no-match is for"),
    ] {
        let o = e.run(&args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(want), "{args:?}: wanted {want:?} in {}", o.stderr);
    }
}

#[test]
fn no_match_leaves_payments_unallocated() {
    let e = Env::seeded();
    e.import("bank", "bank.csv", &["--no-match"]);
    let ps = e.payments();
    assert!(ps.iter().all(|p| s(p, "invoice").is_empty()));
}

/// The `match:` and `ambiguous:` lines of an import's output.
fn matching_lines(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.starts_with("match: ") || l.starts_with("ambiguous: "))
        .map(String::from)
        .collect()
}

#[test]
fn imports_match_by_the_rules_of_paytrack_match_and_do_what_the_preview_says() {
    let e = Env::new();
    let inv = e.write(
        "invoices.csv",
        "number,party,kind,issue_date,due_date,amount,currency,notes\n\
         INV-2001,Acme Corp,receivable,2026-10-10,2026-11-10,300.00,EUR,\n\
         INV-2002,Acme Corp,receivable,2026-10-20,2026-11-20,120.00,EUR,\n\
         INV-2003,Globex,receivable,2026-10-15,2026-11-15,80.00,EUR,\n\
         INV-2004,Globex,receivable,2026-10-25,2026-11-25,80.00,EUR,\n",
    );
    e.ok(&["import", "invoices", inv.to_str().unwrap()]);
    // the amount alone; the number in the text; an amount two invoices have outstanding
    let bank = e.write(
        "bank.csv",
        "Date,Counterparty,Amount,Currency,Reference,Description\n\
         2026-11-12,Acme Corp,300.00,EUR,TRF-1,November\n\
         2026-11-13,Acme Corp,50.00,EUR,TRF-2,part of INV-2002\n\
         2026-11-14,Globex,80.00,EUR,TRF-3,thanks\n",
    );
    let file = bank.to_str().unwrap();
    let before = e.export_all();
    let preview = e.ok(&["import", "payments", file, "--profile", "bank", "--dry-run"]);
    assert_eq!(e.export_all(), before, "a dry run changes nothing");
    let want = [
        "match: line 2: 300.00 EUR to INV-2001 (Acme Corp) \
         [amount equals outstanding, paid 2d after due]",
        "match: line 3: 50.00 EUR to INV-2002 (Acme Corp) [number in reference, paid 7d before due]",
        "ambiguous: line 4: 80.00 EUR (Globex) left unallocated, candidates: \
         INV-2003 [amount equals outstanding, paid 1d before due] or \
         INV-2004 [amount equals outstanding, paid 11d before due]",
    ];
    assert_eq!(matching_lines(&preview), want, "{preview}");
    assert!(
        preview.contains("2 payments matched to invoices, 1 ambiguous match not applied"),
        "{preview}"
    );
    // the import applies the two unambiguous matches, and says the same
    let done = e.ok(&["import", "payments", file, "--profile", "bank"]);
    assert_eq!(matching_lines(&done), matching_lines(&preview), "{done}");
    assert!(
        done.contains("2 payments matched to invoices, 1 ambiguous match not applied"),
        "{done}"
    );
    let ps = e.payments();
    let inv_of = |r: &str| s(find(&ps, |p| s(p, "reference") == r), "invoice").to_string();
    assert_eq!(
        [inv_of("TRF-1"), inv_of("TRF-2"), inv_of("TRF-3")],
        ["INV-2001", "INV-2002", ""]
    );
    // `paytrack match` proposes the same two invoices for the one left, and leaves it
    let m = e.ok(&["match", "--format", "csv"]);
    let strong: Vec<&str> = m
        .lines()
        .filter(|l| l.contains("Globex") && l.contains(",true,"))
        .collect();
    assert_eq!(strong.len(), 2, "{m}");
    assert!(
        strong[0].contains("INV-2003") && strong[1].contains("INV-2004"),
        "{m}"
    );
    let applied = e.ok(&["match", "--apply"]);
    assert!(applied.contains("ambiguous"), "{applied}");
    assert!(applied.ends_with("applied 0, left 1\n"), "{applied}");
}

#[test]
fn dates_in_the_forms_real_exports_use() {
    let e = Env::seeded();
    let import = |name: &str, profile: &str, text: &str| -> (String, Vec<Value>) {
        let f = e.write(name, text);
        let out = e.ok(&[
            "import",
            "payments",
            f.to_str().unwrap(),
            "--profile",
            profile,
        ]);
        (out, e.payments())
    };
    let date_of =
        |ps: &[Value], r: &str| s(find(ps, |p| s(p, "reference") == r), "date").to_string();
    // Stripe: Created (UTC) with seconds, next to the usual minutes
    let (out, ps) = import(
        "stripe_seconds.csv",
        "stripe",
        "id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Available On (UTC),Description\n\
         txn_S1,charge,ch_S1,100.00,3.20,96.80,eur,2026-01-15 14:00:33,2026-01-17 00:00,Plan\n\
         txn_S2,charge,ch_S2,50.00,1.75,48.25,eur,2026-01-16 09:05:07,2026-01-18 00:00,Plan\n",
    );
    assert!(out.starts_with("imported 4 payments"), "{out}");
    assert_eq!(
        (date_of(&ps, "txn_S1"), date_of(&ps, "txn_S2")),
        ("2026-01-15".into(), "2026-01-16".into())
    );
    // PayPal from a British account: day first (13/01 cannot be a month)
    let header = "Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,From Email Address,\
                  To Email Address,Transaction ID,Balance Impact\n";
    let (out, ps) = import(
        "paypal_uk.csv",
        "paypal",
        &format!(
            "{header}\
             13/01/2026,10:15:00,GMT,Ann,Express Checkout Payment,Completed,GBP,10.00,-0.50,9.50,a@x,s@x,UK1,Credit\n\
             02/03/2026,10:15:00,GMT,Ben,Express Checkout Payment,Completed,GBP,20.00,-0.90,19.10,b@x,s@x,UK2,Credit\n"
        ),
    );
    assert!(out.contains("note: dates read as %d/%m/%Y\n"), "{out}");
    assert_eq!(
        (date_of(&ps, "UK1"), date_of(&ps, "UK2")),
        ("2026-01-13".into(), "2026-03-02".into()),
        "the whole file day first"
    );
    // PayPal where every day is up to the 12th: read US-style, and the preview says so
    let f = e.write(
        "paypal_either.csv",
        &format!(
            "{header}\
             02/03/2026,10:15:00,PST,Cy,Express Checkout Payment,Completed,USD,10.00,-0.50,9.50,c@x,s@x,US1,Credit\n"
        ),
    );
    let out = e.ok(&[
        "import",
        "payments",
        f.to_str().unwrap(),
        "--profile",
        "paypal",
        "--dry-run",
    ]);
    assert!(
        out.contains(
            "note: dates read as %m/%d/%Y; every one of them also reads as %d/%m/%Y (other days)"
        ),
        "{out}"
    );
    // Xero from a US organisation (month first), and ISO dates
    let (_, ps) = import(
        "xero_us.csv",
        "xero",
        "*Date,*Amount,Payee,Description,Reference,Check Number\n\
         11/25/2026,10.00,Acme Corp,,XUS-1,\n\
         11/02/2026,-3.00,Paper Supplies Ltd,,XUS-2,\n",
    );
    assert_eq!(
        (date_of(&ps, "XUS-1"), date_of(&ps, "XUS-2")),
        ("2026-11-25".into(), "2026-11-02".into())
    );
    let (_, ps) = import(
        "xero_iso.csv",
        "xero",
        "*Date,*Amount,Payee,Description,Reference,Cheque Number\n2026-11-26,10.00,Acme Corp,,XISO-1,\n",
    );
    assert_eq!(date_of(&ps, "XISO-1"), "2026-11-26");
    // a bank file with day-first dates
    let (_, ps) = import(
        "bank_uk.csv",
        "bank",
        "Date,Counterparty,Amount,Currency,Reference\n28/11/2026,Acme Corp,5.00,EUR,BUK-1\n",
    );
    assert_eq!(date_of(&ps, "BUK-1"), "2026-11-28");
    // one file in two orders: the rows that do not fit the others are errors
    let f = e.write(
        "paypal_mixed.csv",
        &format!(
            "{header}\
             13/01/2026,10:15:00,GMT,Di,Express Checkout Payment,Completed,GBP,1.00,0.00,1.00,d@x,s@x,MX1,Credit\n\
             14/01/2026,10:15:00,GMT,Di,Express Checkout Payment,Completed,GBP,1.00,0.00,1.00,d@x,s@x,MX2,Credit\n\
             01/15/2026,10:15:00,GMT,Di,Express Checkout Payment,Completed,GBP,1.00,0.00,1.00,d@x,s@x,MX3,Credit\n"
        ),
    );
    let before = e.export_all();
    let o = e.run(&[
        "import",
        "payments",
        f.to_str().unwrap(),
        "--profile",
        "paypal",
    ]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(
        o.stderr.contains(
            "paypal_mixed.csv:4: date: '01/15/2026' is not a date as the file's other dates \
             are written (%d/%m/%Y)"
        ),
        "{}",
        o.stderr
    );
    assert_eq!(e.export_all(), before);
}
