//! The command line, run as a user would: the real binary, real files, exit codes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

mod common;
use common::cli::Env;

impl Env {
    fn seed_small(&self) {
        self.ok(&[
            "add",
            "party",
            "--name",
            "Acme Corp",
            "--email",
            "ap@acme.test",
            "--terms",
            "14",
        ]);
        self.ok(&[
            "add",
            "invoice",
            "--number",
            "INV-1",
            "--party",
            "Acme Corp",
            "--issue",
            "2026-10-01",
            "--amount",
            "1000.00",
        ]);
        self.ok(&[
            "add",
            "invoice",
            "--number",
            "INV-2",
            "--party",
            "Acme Corp",
            "--issue",
            "2026-11-20",
            "--due",
            "2026-12-08",
            "--amount",
            "250",
        ]);
        self.ok(&[
            "add",
            "invoice",
            "--number",
            "B-77",
            "--party",
            "Paper Supplies Ltd",
            "--kind",
            "payable",
            "--issue",
            "2026-11-01",
            "--due",
            "2026-11-30",
            "--amount",
            "80.00",
            "--currency",
            "GBP",
        ]);
    }
}

fn lines_with<'a>(s: &'a str, needle: &str) -> Vec<&'a str> {
    s.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn add_list_and_derived_status() {
    let e = Env::new();
    e.seed_small();
    let out = e.ok(&[
        "add",
        "payment",
        "--party",
        "acme corp",
        "--direction",
        "in",
        "--amount",
        "400",
        "--date",
        "2026-11-02",
        "--reference",
        "RF18 5390",
        "--invoice",
        "INV-1",
    ]);
    assert!(out.starts_with("added payment 1 of 400.00 EUR"), "{out}");
    // the party's terms (14 days) set the due date: INV-1 due 2026-10-15, partly paid, overdue
    let table = e.ok(&["invoices"]);
    let inv1 = lines_with(&table, "INV-1")[0];
    assert!(inv1.contains("2026-10-15"), "{inv1}");
    assert!(inv1.contains("600.00"), "{inv1}");
    assert!(inv1.contains("overdue"), "{inv1}");
    assert!(lines_with(&table, "INV-2")[0].contains("due-soon"));
    assert!(lines_with(&table, "B-77")[0].contains("overdue"));
    // header aligned with the rows: the AMOUNT column ends at the same place
    let header = table.lines().next().unwrap();
    let end = header.find("AMOUNT").unwrap() + "AMOUNT".len();
    assert_eq!(&inv1[end - 7..end], "1000.00", "{table}");

    let csv = e.ok(&["invoices", "--format", "csv", "--filter", "status:overdue"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "number,party,kind,issue_date,due_date,amount,currency,notes,status,outstanding"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows
        .contains(&"INV-1,Acme Corp,receivable,2026-10-01,2026-10-15,1000.00,EUR,,overdue,600.00"));

    let json = e.ok(&["payments", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["party"], "Acme Corp");
    assert_eq!(v[0]["invoice"], "INV-1");

    let parties = e.ok(&["parties"]);
    assert!(lines_with(&parties, "Paper Supplies Ltd")[0].contains("partner"));
    assert!(lines_with(&parties, "Acme Corp")[0].contains("ap@acme.test"));
}

#[test]
fn split_payment_and_credit() {
    let e = Env::new();
    e.seed_small();
    e.ok(&[
        "add",
        "payment",
        "--party",
        "Acme Corp",
        "--dir",
        "in",
        "--amount",
        "1300",
        "--date",
        "2026-11-25",
        "--invoice",
        "INV-1=1000",
        "--invoice",
        "INV-2=250",
        "--method",
        "card",
    ]);
    let csv = e.ok(&["payments", "--format", "csv"]);
    let row = csv.lines().nth(1).unwrap();
    assert_eq!(
        row,
        "2026-11-25,Acme Corp,in,1300.00,EUR,card,,INV-1=1000.00;INV-2=250.00,,50.00"
    );
    let unlinked = e.ok(&["payments", "--filter", "unlinked", "--format", "csv"]);
    assert_eq!(unlinked.lines().count(), 2);
    let paid = e.ok(&["invoices", "--filter", "status:paid", "--format", "csv"]);
    assert_eq!(paid.lines().count(), 3, "{paid}");
}

#[test]
fn add_errors() {
    let e = Env::new();
    e.seed_small();
    let o = e.run(&[
        "add",
        "payment",
        "--party",
        "Acme Corp",
        "--dir",
        "in",
        "--amount",
        "12,5",
    ]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("'12,5' is not a decimal amount"),
        "{}",
        o.stderr
    );
    let o = e.run(&["add", "payment", "--party", "Acme Corp", "--dir", "in"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("--amount is required"), "{}", o.stderr);
    let o = e.run(&[
        "add",
        "payment",
        "--party",
        "Acme Corp",
        "--dir",
        "in",
        "--amount",
        "5",
        "--invoice",
        "NOPE-9",
    ]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("no invoice numbered 'NOPE-9'"),
        "{}",
        o.stderr
    );
    // an out payment cannot settle a receivable
    let o = e.run(&[
        "add",
        "payment",
        "--party",
        "Acme Corp",
        "--dir",
        "out",
        "--amount",
        "5",
        "--invoice",
        "INV-1",
    ]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("receivable"), "{}", o.stderr);
    let o = e.run(&["add", "party", "--name", "ACME CORP"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("already exists"), "{}", o.stderr);
    let o = e.run(&[
        "add", "invoice", "--number", "INV-1", "--party", "X", "--amount", "5",
    ]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("'INV-1' already exists"), "{}", o.stderr);
    let o = e.run(&[
        "add",
        "invoice",
        "--number",
        "JP-1",
        "--party",
        "X",
        "--amount",
        "5.5",
        "--currency",
        "JPY",
    ]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("JPY"), "{}", o.stderr);
    // nothing of the failed commands landed
    assert_eq!(e.ok(&["parties", "--format", "csv"]).lines().count(), 3);
}

#[test]
fn edit_records() {
    let e = Env::new();
    e.seed_small();
    e.ok(&[
        "add",
        "payment",
        "--party",
        "Acme Corp",
        "--dir",
        "in",
        "--amount",
        "100",
        "--invoice",
        "INV-1",
    ]);
    e.ok(&[
        "edit",
        "party",
        "acme corp",
        "--name",
        "Acme Corporation",
        "--terms",
        "30",
    ]);
    e.ok(&[
        "edit", "invoice", "INV-2", "--amount", "300", "--notes", "revised",
    ]);
    e.ok(&[
        "edit",
        "payment",
        "1",
        "--amount",
        "150",
        "--invoice",
        "INV-1=150",
    ]);
    let csv = e.ok(&["invoices", "--format", "csv", "--filter", "invoice:INV-2"]);
    assert!(
        csv.contains("INV-2,Acme Corporation,receivable,2026-11-20,2026-12-08,300.00,EUR,revised"),
        "{csv}"
    );
    let p = e.ok(&["payments", "--format", "csv"]);
    assert!(p.contains("150.00,EUR,bank_transfer,,INV-1,,0.00"), "{p}");
    e.ok(&["edit", "payment", "1", "--unlink"]);
    assert!(e.ok(&["payments", "--format", "csv"]).contains(",,150.00"));
    e.ok(&["edit", "invoice", "INV-2", "--void"]);
    assert!(e
        .ok(&["invoices", "--filter", "status:void"])
        .contains("INV-2"));
    let o = e.run(&["edit", "party", "Nobody", "--email", "x@y"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("no party named 'Nobody'"), "{}", o.stderr);
    let o = e.run(&["edit", "payment", "99", "--amount", "1"]);
    assert_eq!(o.code, 1);
}

#[test]
fn delete_records() {
    let e = Env::new();
    e.seed_small();
    e.ok(&[
        "add",
        "payment",
        "--party",
        "Acme Corp",
        "--dir",
        "in",
        "--amount",
        "100",
        "--invoice",
        "INV-1",
    ]);
    let o = e.run(&["delete", "invoice", "INV-1"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("--force"), "{}", o.stderr);
    let out = e.ok(&["delete", "invoice", "INV-1", "--force"]);
    assert!(out.contains("allocations from 1 payment"), "{out}");
    // the payment stays, now entirely credit
    assert!(e.ok(&["payments", "--format", "csv"]).contains(",,100.00"));
    e.ok(&["delete", "payment", "1"]);
    assert_eq!(e.ok(&["payments"]).trim(), "no payments");
    let o = e.run(&["delete", "party", "Acme Corp"]);
    assert_eq!(o.code, 1);
    e.ok(&["delete", "party", "Acme Corp", "--force"]);
    assert!(!e.ok(&["invoices"]).contains("INV-2"));
    let o = e.run(&["delete", "payment", "1"]);
    assert_eq!(o.code, 1);
}

#[test]
fn filters_errors_are_usage_errors_naming_the_term() {
    let e = Env::new();
    e.seed_small();
    let o = e.run(&["invoices", "--filter", "stauts:open"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("unknown field 'stauts' (did you mean 'status'?)"),
        "{}",
        o.stderr
    );
    let o = e.run(&["parties", "--filter", "amount:>5"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    let limited = e.ok(&["invoices", "--limit", "1", "--format", "csv"]);
    assert_eq!(limited.lines().count(), 2);
}

const INVOICES_CSV: &str = "number,party,kind,issue_date,due_date,amount,currency,notes
INV-100,Müller GmbH,receivable,2026-09-01,2026-10-01,1200.00,EUR,first
INV-101,Müller GmbH,receivable,2026-10-01,2026-10-31,300.00,EUR,\"quoted, with comma\"
B-9,Dock Supplies,payable,2026-10-05,2026-11-05,50.00,GBP,
";

const PAYMENTS_CSV: &str = "date,party,direction,amount,currency,method,reference,invoice,notes
2026-10-03,Müller GmbH,in,1200.00,EUR,bank_transfer,RF1,INV-100,
2026-11-10,Müller GmbH,in,350.00,EUR,card,RF2,INV-101=300.00,rest is credit
2026-11-06,Dock Supplies,out,50.00,GBP,bank_transfer,,B-9,
2026-11-15,New Customer AG,in,75.00,EUR,cash,,,
";

#[test]
fn import_export_round_trip_and_dry_run() {
    let e = Env::new();
    let inv = e.write("invoices.csv", INVOICES_CSV);
    let pay = e.write("payments.csv", PAYMENTS_CSV);
    let out = e.ok(&["import", "invoices", inv.to_str().unwrap(), "--dry-run"]);
    assert!(
        out.contains("would import 3 invoices, 2 new parties"),
        "{out}"
    );
    assert_eq!(e.ok(&["invoices"]).trim(), "no invoices");
    assert_eq!(
        e.ok(&["import", "invoices", inv.to_str().unwrap()]).trim(),
        "imported 3 invoices, 2 new parties"
    );
    assert_eq!(
        e.ok(&["import", "payments", pay.to_str().unwrap()]).trim(),
        "imported 4 payments, 1 new parties"
    );
    let first = e.export_all_on(&e.db());
    // export to files, import into an empty store, export again: identical
    let other = e.path("other");
    for what in ["parties", "invoices", "payments"] {
        let f = e.path(&format!("x-{what}.csv"));
        e.ok(&["export", what, "-o", f.to_str().unwrap()]);
        let o = e.run_on(&other, &["import", what, f.to_str().unwrap()]);
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    assert_eq!(e.export_all_on(&other), first);
    // json too
    let j = e.path("p.json");
    e.ok(&[
        "export",
        "invoices",
        "--format",
        "json",
        "-o",
        j.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&j).unwrap()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    let filtered = e.ok(&["export", "payments", "--filter", "dir:out"]);
    assert_eq!(filtered.lines().count(), 2, "{filtered}");
}

#[test]
fn own_payment_files_imported_twice_add_nothing_the_second_time() {
    let e = Env::new();
    let inv = e.write("invoices.csv", INVOICES_CSV);
    e.ok(&["import", "invoices", inv.to_str().unwrap()]);
    // two identical rows are two payments (a file lists payments, not fingerprints)
    let twin = "2026-11-15,New Customer AG,in,75.00,EUR,cash,,,\n";
    let pay = e.write("payments.csv", &format!("{PAYMENTS_CSV}{twin}"));
    let pay = pay.to_str().unwrap();
    assert_eq!(
        e.ok(&["import", "payments", pay]),
        "imported 5 payments, 1 new parties\n"
    );
    let first = e.export_all();
    assert_eq!(
        e.ok(&["import", "payments", pay, "--dry-run"]),
        "dry run: would import 0 payments, 0 new parties, 5 duplicates skipped; nothing \
         was changed\nduplicates (already recorded), lines: 2, 3, 4, 5, 6\n"
    );
    assert_eq!(
        e.ok(&["import", "payments", pay]),
        "imported 0 payments, 0 new parties, 5 duplicates skipped\n"
    );
    assert_eq!(e.export_all(), first);
    // renamed party, edited reference: the rows are still known; a third twin is new
    e.ok(&["edit", "party", "Müller GmbH", "--name", "Mueller GmbH"]);
    e.ok(&["edit", "payment", "1", "--reference", "RF1 (wire)"]);
    let three = e.write(
        "three.csv",
        &format!(
            "{PAYMENTS_CSV}{twin}{}",
            twin.replace("cash,,,", "cash,,,third")
        ),
    );
    assert_eq!(
        e.ok(&["import", "payments", three.to_str().unwrap()]),
        "imported 1 payments, 0 new parties, 5 duplicates skipped\n"
    );
    assert_eq!(e.ok(&["payments", "--filter", "third"]).lines().count(), 3);

    // JSON: export, import into another store twice; the fingerprints go along
    let j = e.path("payments.json");
    e.ok(&[
        "export",
        "payments",
        "--format",
        "json",
        "-o",
        j.to_str().unwrap(),
    ]);
    let json = std::fs::read_to_string(&j).unwrap();
    assert_eq!(json.matches("\"source\":\"content:").count(), 6, "{json}");
    let other = e.path("other");
    for what in ["parties", "invoices"] {
        let f = e.path(&format!("x-{what}.csv"));
        e.ok(&["export", what, "-o", f.to_str().unwrap()]);
        let o = e.run_on(&other, &["import", what, f.to_str().unwrap()]);
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    let import_json = || {
        e.run_on(
            &other,
            &[
                "import",
                "payments",
                j.to_str().unwrap(),
                "--format",
                "json",
            ],
        )
    };
    let o = import_json();
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "imported 6 payments, 0 new parties\n"),
        "{}",
        o.stderr
    );
    let o = import_json();
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (
            0,
            "imported 0 payments, 0 new parties, 6 duplicates skipped\n"
        ),
        "{}",
        o.stderr
    );
    assert_eq!(e.export_all_on(&other), e.export_all());
    let again = e.run_on(&other, &["export", "payments", "--format", "json"]);
    assert_eq!(
        again.stdout, json,
        "export → import → export keeps the fingerprints"
    );
    // and the CSV the payments came from is known there too
    let o = e.run_on(&other, &["import", "payments", pay]);
    assert!(o.stdout.contains("5 duplicates skipped"), "{o:?}");
}

#[test]
fn malformed_imports_are_rejected_with_the_line_and_change_nothing() {
    let e = Env::new();
    let inv = e.write("invoices.csv", INVOICES_CSV);
    e.ok(&["import", "invoices", inv.to_str().unwrap()]);
    let before = e.export_all_on(&e.db());
    let header = "date,party,direction,amount,currency,method,reference,invoice,notes\n";
    let good = "2026-10-03,Müller GmbH,in,10.00,EUR,card,,,\n";
    let cases = [
        (
            "2026-10-04,Müller GmbH,in,12,5,EUR,card,,,\n",
            "payments.csv:3",
        ),
        (
            "2026-10-04,Müller GmbH,in,\"12,5\",EUR,card,,,\n",
            "payments.csv:3: amount: '12,5' is not a decimal amount",
        ),
        (
            "2026-13-04,Müller GmbH,in,12.50,EUR,card,,,\n",
            "payments.csv:3: date",
        ),
        (
            "2026-10-04,Müller GmbH,sideways,12.50,EUR,card,,,\n",
            "payments.csv:3: direction",
        ),
        (
            "2026-10-04,Müller GmbH,in,100.00,EUR,card,,INV-100=80.00;INV-101=30.00,\n",
            "payments.csv:3: invoice",
        ),
        (
            "2026-10-04,Müller GmbH,in,10.00,EUR,card,,INV-999,\n",
            "payments.csv:3: invoice",
        ),
        (
            "2026-10-04,Müller GmbH,in,10.00,EUR,card,\"unclosed,,\n",
            "payments.csv:3",
        ),
    ];
    for (bad, want) in cases {
        let f = e.write("payments.csv", &format!("{header}{good}{bad}"));
        let o = e.run(&["import", "payments", f.to_str().unwrap()]);
        assert_eq!(o.code, 1, "{bad}: {}", o.stderr);
        assert!(
            o.stderr.contains(want),
            "{bad}: wanted {want:?} in {}",
            o.stderr
        );
        assert_eq!(e.export_all_on(&e.db()), before, "{bad} changed the store");
    }
    // an invoice number that exists already
    let o = e.run(&["import", "invoices", inv.to_str().unwrap()]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("invoices.csv:2"), "{}", o.stderr);
    assert_eq!(e.export_all_on(&e.db()), before);
}

#[test]
fn ten_thousand_payments_round_trip() {
    let e = Env::new();
    let o = e.run(&["demo", "--seed-only", "--payments", "10000"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("10000 payments"), "{}", o.stdout);
    let dir = e.path("x");
    std::fs::create_dir(&dir).unwrap();
    let mut files = Vec::new();
    for what in ["parties", "invoices", "payments"] {
        let f = dir.join(format!("{what}.csv"));
        e.ok(&["export", what, "-o", f.to_str().unwrap()]);
        files.push((what, f));
    }
    let other = e.path("other");
    for (what, f) in &files {
        let o = e.run_on(&other, &["import", what, f.to_str().unwrap()]);
        assert_eq!(o.code, 0, "{what}: {}", o.stderr);
    }
    let a = e.export_all_on(&e.db());
    let b = e.export_all_on(&other);
    assert_eq!(a.lines().count(), b.lines().count());
    assert!(a == b, "exports differ after the round trip");
    assert!(a.lines().count() > 10_000 + 7_000);
}

#[test]
fn backup_and_restore() {
    let e = Env::new();
    e.seed_small();
    e.ok(&[
        "add",
        "payment",
        "--party",
        "Acme Corp",
        "--dir",
        "in",
        "--amount",
        "100",
        "--invoice",
        "INV-1",
        "--notes",
        "line1\nline2 \u{1b}[31m",
    ]);
    let file = e.path("backup.ptb");
    let out = e.ok(&["backup", file.to_str().unwrap()]);
    assert!(
        out.contains("backed up 2 parties, 3 invoices, 1 payments"),
        "{out}"
    );
    let other = e.path("restored");
    let o = e.run_on(&other, &["restore", file.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(e.export_all_on(&other), e.export_all_on(&e.db()));
    // follow-ups and reminder settings survive too: a backup of the restored store is
    // byte for byte the original
    e.ok(&[
        "edit",
        "invoice",
        "INV-2",
        "--snooze-until",
        "2026-12-20",
        "--disputed",
    ]);
    e.ok(&["ladder", "min-amount", "5"]);
    e.ok(&["backup", file.to_str().unwrap()]);
    let other = e.path("restored-2");
    let o = e.run_on(&other, &["restore", file.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let again = e.path("again.ptb");
    assert_eq!(
        e.run_on(&other, &["backup", again.to_str().unwrap()]).code,
        0
    );
    let first = std::fs::read_to_string(&file).unwrap();
    assert!(first.contains("\"type\":\"follow_up\""), "{first}");
    assert_eq!(std::fs::read_to_string(&again).unwrap(), first);
    // ids survive: payment 1 is still payment 1
    assert_eq!(
        e.run_on(&other, &["edit", "payment", "1", "--notes", "kept"])
            .code,
        0
    );
    // not into a store that has data
    let o = e.run(&["restore", file.to_str().unwrap()]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("not empty"), "{}", o.stderr);
    // a truncated backup is refused and leaves the new store empty
    let text = std::fs::read_to_string(&file).unwrap();
    let cut = e.write("cut.ptb", &text[..text.len() - 30]);
    let third = e.path("third");
    let o = e.run_on(&third, &["restore", cut.to_str().unwrap()]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert_eq!(e.run_on(&third, &["parties"]).stdout.trim(), "no parties");
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let e = Env::new();
    e.ok(&[
        "add",
        "party",
        "--name",
        "Evil\u{1b}]52;c;aGk=\u{7} \u{202e}Corp",
        "--notes",
        "\u{9b}31m",
    ]);
    let o = e.run(&["parties"]);
    assert_eq!(o.code, 0);
    for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{9b}'] {
        assert!(!o.stdout.contains(bad), "{:?} in {:?}", bad, o.stdout);
    }
    assert!(o.stdout.contains("Evil␛]52"), "{}", o.stdout);
    let o = e.run(&["edit", "party", "Nobody\u{1b}[2J", "--notes", "x"]);
    assert_eq!(o.code, 1);
    assert!(!o.stderr.contains('\u{1b}'), "{:?}", o.stderr);
}

#[test]
fn csv_export_neutralises_formulas_and_round_trips() {
    let e = Env::new();
    e.ok(&[
        "add",
        "payment",
        "--party",
        "=HYPERLINK(\"x\")",
        "--dir",
        "in",
        "--amount",
        "5",
        "--reference",
        "+1-555",
        "--notes",
        "@SUM(A1)",
    ]);
    let csv = e.ok(&["export", "payments"]);
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(csv.contains("'+1-555"), "{csv}");
    assert!(csv.contains("'@SUM(A1)"), "{csv}");
    let f = e.write("p.csv", &csv);
    let other = e.path("o");
    assert_eq!(
        e.run_on(&other, &["import", "payments", f.to_str().unwrap()])
            .code,
        0
    );
    assert_eq!(e.export_all_on(&other), e.export_all_on(&e.db()));
    assert!(e
        .run_on(&other, &["parties"])
        .stdout
        .contains("=HYPERLINK(\"x\")"));
}

#[test]
fn saved_payment_survives_kill_9() {
    let e = Env::new();
    e.ok(&["add", "party", "--name", "Acme"]);
    let rounds = 25;
    for i in 0..rounds {
        let amount = format!("{}.00", i + 1);
        let mut child = e
            .cmd_on(
                &e.db(),
                &[
                    "add", "payment", "--party", "Acme", "--dir", "in", "--amount", &amount,
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("added payment"), "{line}");
        // SIGKILL the moment success is printed (the process may still be shutting down)
        unsafe {
            libc::kill(child.id() as i32, libc::SIGKILL);
        }
        let _ = child.wait();
    }
    let csv = e.ok(&["payments", "--format", "csv"]);
    for i in 0..rounds {
        let want = format!(",in,{}.00,EUR,", i + 1);
        assert!(csv.contains(&want), "payment {want} lost:\n{csv}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let e = Env::new();
    assert_eq!(e.run(&["frobnicate"]).code, 2);
    assert_eq!(e.run(&["payments", "--format", "xml"]).code, 2);
    let o = Command::cargo_bin("paytrack")
        .unwrap()
        .args(["--today", "03.12.2026", "payments"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        e.run(&["demo", "--seed-only"]).code,
        0,
        "--db is given by the harness"
    );
}

#[test]
fn completions_and_man() {
    let e = Env::new();
    let bash = e.ok(&["completions", "bash"]);
    assert!(bash.contains("paytrack") && bash.contains("payments"));
    let o = e.run(&["completions", "tcsh"]);
    assert_eq!(o.code, 2);
    let man = e.ok(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH paytrack"),
        "{}",
        &man[..80.min(man.len())]
    );
}

#[test]
fn demo_refuses_a_store_with_data() {
    let e = Env::new();
    e.seed_small();
    let o = e.run(&["demo", "--seed-only", "--payments", "100"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("not empty"), "{}", o.stderr);
}

#[test]
fn bench_prints_every_step() {
    let e = Env::new();
    let out_file = e.path("bench.md");
    let out = e.ok(&[
        "bench",
        "--payments",
        "300",
        "--runs",
        "1",
        "-o",
        out_file.to_str().unwrap(),
    ]);
    for step in [
        "import CSV pair",
        "open to first frame",
        "open to fully loaded list",
        "full load of the store",
        "filter `status:overdue`",
        "filter bar: key press",
        "report aging",
        "report customers",
        "report trend",
        "report cashflow",
        "CLI `payments",
        "TUI with the full store loaded",
    ] {
        assert!(out.contains(step), "{step} missing:\n{out}");
    }
    assert!(out.contains("peak RSS"), "{out}");
    assert_eq!(std::fs::read_to_string(out_file).unwrap(), out);
}

#[test]
fn reports_from_the_command_line() {
    let e = Env::new();
    e.seed_small();
    e.ok(&[
        "add",
        "payment",
        "--party",
        "Acme Corp",
        "--dir",
        "in",
        "--amount",
        "400",
        "--date",
        "2026-11-02",
        "--invoice",
        "INV-1",
    ]);
    // INV-1 due 2026-10-15: 600.00 outstanding, 49 days past due; INV-2 is current
    let csv = e.ok(&["report", "aging", "--format", "csv"]);
    assert_eq!(
        csv,
        "currency,bucket,amount,count\nEUR,current,250.00,1\nEUR,1-30,0.00,0\nEUR,31-60,600.00,1\nEUR,61-90,0.00,0\nEUR,90+,0.00,0\n"
    );
    // as of a past date the later payment is ignored
    let past = e.ok(&[
        "report",
        "aging",
        "--format",
        "csv",
        "--as-of",
        "2026-10-20",
    ]);
    assert!(past.contains("EUR,1-30,1000.00,1"), "{past}");
    let payables = e.ok(&[
        "report",
        "aging",
        "--kind",
        "payable",
        "--by-party",
        "--format",
        "csv",
    ]);
    assert!(
        payables.contains("Paper Supplies Ltd,GBP,0.00,80.00,0.00,0.00,0.00,80.00"),
        "{payables}"
    );
    let cust = e.ok(&["report", "customers", "--format", "csv"]);
    assert!(cust.starts_with("party,currency,invoiced,paid,outstanding,credit,invoices_paid,paid_on_time,on_time_rate,avg_days_late,dso\n"), "{cust}");
    assert!(
        cust.contains("Acme Corp,EUR,1250.00,400.00,850.00,0.00,0,0,,,"),
        "{cust}"
    );
    let trend = e.ok(&["report", "trend", "--months", "2", "--format", "csv"]);
    assert_eq!(trend, "month,currency,incoming,outgoing,net\n2026-11,EUR,400.00,0.00,400.00\n2026-12,EUR,0.00,0.00,0.00\n");
    let flow = e.ok(&["report", "cashflow", "--weeks", "2", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&flow).unwrap();
    assert!(!v.as_array().unwrap().is_empty());
    let st = e.ok(&["report", "statement", "--party", "acme corp"]);
    assert!(st.contains("INV-1") && st.contains("INV-2"), "{st}");
    let table = e.ok(&["report", "customers"]);
    assert!(table.contains("Acme Corp"), "{table}");
    let o = e.run(&["report", "statement", "--party", "Nobody"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("no party named 'Nobody'"), "{}", o.stderr);
    let o = e.run(&["report", "customers", "--sort", "fastest"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("not a sort order"), "{}", o.stderr);
}

#[test]
fn check_is_silent_on_a_sound_store_and_lists_problems_otherwise() {
    let e = Env::new();
    e.seed_small();
    e.ok(&[
        "add",
        "payment",
        "--party",
        "Acme Corp",
        "--dir",
        "in",
        "--amount",
        "100",
        "--invoice",
        "INV-1",
    ]);
    let o = e.run(&["check"]);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "", ""));
    // damage it behind paytrack's back: a payment block whose record points at a missing invoice
    {
        use paytrack::store::codec;
        let db = sled::open(e.db()).unwrap();
        let key = [b'p', 0, 0, 0, 0, 0, 0, 0, 0];
        let recs = codec::decode_payment_block(&db.get(key).unwrap().unwrap()).unwrap();
        let mut p = paytrack::domain::Payment::try_from(recs[0].clone()).unwrap();
        p.allocations[0].invoice = paytrack::domain::InvoiceId(99);
        db.insert(
            key,
            codec::encode_payment_block(&[codec::PaymentV2::from(&p)]),
        )
        .unwrap();
        db.flush().unwrap();
    }
    let o = e.run(&["check"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stdout
            .contains("payment 1 is allocated to missing invoice 99"),
        "{}",
        o.stdout
    );
    assert!(o.stderr.contains("1 problem(s) found"), "{}", o.stderr);
}
