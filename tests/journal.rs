//! `paytrack export journal`: the journal hledger (and ledger) read. `hledger check`
//! accepts it, and `hledger bal` gives per party what paytrack's own statement report
//! gives: Receivable:PARTY + Payable:PARTY = the statement's closing balance, and for a
//! customer Receivable:PARTY = outstanding − credit.
//!
//! ledger reads the same journal to the same balances.
//!
//! The tests that need hledger or ledger print a message and pass when it is not
//! installed (`.ci/run` installs both).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::cli::Env;
use paytrack::domain::ledger::Ledger;
use paytrack::domain::{Currency, InvoiceKind, PartyId, StatusRules};
use paytrack::interchange::journal::{account_segment, write_journal, JournalOptions};
use rust_decimal::Decimal;
use time::macros::date;
use time::Date;

fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        println!("skipped: {tool} is not installed (.ci/run installs hledger and ledger)");
    }
    ok
}

fn hledger(args: &[&str], file: &Path) -> String {
    let o = Command::new("hledger")
        .arg("-f")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "hledger {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// `hledger bal` per (account, commodity).
fn balances(file: &Path, extra: &[&str]) -> BTreeMap<(String, String), Decimal> {
    let mut args = vec!["bal", "-O", "csv", "--layout=bare"];
    args.extend_from_slice(extra);
    let csv = hledger(&args, file);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let mut out = BTreeMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        if &r[0] == "total" {
            continue;
        }
        let v: Decimal = r[2]
            .parse()
            .unwrap_or_else(|_| panic!("amount {:?}", &r[2]));
        out.insert((r[0].to_string(), r[1].to_string()), v);
    }
    out
}

fn get(b: &BTreeMap<(String, String), Decimal>, acct: &str, c: Currency) -> Decimal {
    b.get(&(acct.to_string(), c.as_str().to_string()))
        .copied()
        .unwrap_or_default()
}

/// Compares hledger's balances with paytrack's figures for every party, as of `to`.
fn assert_balances_match(l: &Ledger, file: &Path, to: Date) {
    let b = balances(file, &[]);
    let mut checked = 0;
    for p in l.parties() {
        let st = paytrack::report::statement::statement(l, p.id, None, to);
        for cs in &st.currencies {
            let r = get(
                &b,
                &format!("Assets:Receivable:{}", party_seg(l, p.id)),
                cs.currency,
            );
            let y = get(
                &b,
                &format!("Liabilities:Payable:{}", party_seg(l, p.id)),
                cs.currency,
            );
            assert_eq!(
                r + y,
                cs.closing,
                "{} {}: journal receivable {r} + payable {y} vs statement closing {}",
                p.name,
                cs.currency,
                cs.closing
            );
            checked += 1;
        }
        // customers: receivable = outstanding - credit
        let rules = StatusRules::new(to);
        let mut outstanding: BTreeMap<Currency, Decimal> = BTreeMap::new();
        let mut has_bills = false;
        for inv in l.invoices().iter().filter(|i| i.party == p.id && !i.void) {
            if inv.kind == InvoiceKind::Payable {
                has_bills = true;
                continue;
            }
            if inv.issue_date <= to {
                *outstanding.entry(inv.currency).or_default() +=
                    l.settlement(inv, &rules).outstanding;
            }
        }
        if has_bills
            || l.payments()
                .iter()
                .any(|x| x.party == p.id && x.direction == paytrack::domain::Direction::Out)
        {
            continue;
        }
        let credit: BTreeMap<Currency, Decimal> = l
            .party_credit(p.id, to)
            .into_iter()
            .map(|(c, _, v)| (c, v))
            .collect();
        let mut currencies: Vec<Currency> =
            outstanding.keys().chain(credit.keys()).copied().collect();
        currencies.sort();
        currencies.dedup();
        for c in currencies {
            let want = outstanding.get(&c).copied().unwrap_or_default()
                - credit.get(&c).copied().unwrap_or_default();
            let r = get(&b, &format!("Assets:Receivable:{}", party_seg(l, p.id)), c);
            assert_eq!(
                r, want,
                "{} {c}: receivable {r} vs outstanding - credit {want}",
                p.name
            );
        }
    }
    assert!(checked > 0);
}

/// The account segment the journal gave a party (names that clash get ` #ID`).
fn party_seg(l: &Ledger, id: PartyId) -> String {
    let p = l.party(id).unwrap();
    let seg = account_segment(&p.name);
    let clash = l
        .parties()
        .iter()
        .any(|o| o.id < id && account_segment(&o.name).to_lowercase() == seg.to_lowercase());
    if clash {
        format!("{seg} #{id}")
    } else {
        seg
    }
}

fn write(l: &Ledger, opts: &JournalOptions, dir: &Path, name: &str) -> PathBuf {
    let f = dir.join(name);
    let mut out = Vec::new();
    write_journal(&mut out, l, opts).unwrap();
    std::fs::write(&f, out).unwrap();
    f
}

fn demo(payments: usize) -> Ledger {
    let d = paytrack::demo::generate(&paytrack::demo::DemoConfig {
        seed: 7,
        payments,
        today: date!(2026 - 12 - 03),
    });
    Ledger::from_records(d.parties, d.invoices, d.payments)
}

#[test]
fn hledger_reads_the_journal_of_a_demo_store_and_agrees_per_party() {
    if !have("hledger") {
        return;
    }
    let l = demo(3000);
    let dir = tempfile::tempdir().unwrap();
    let f = write(&l, &JournalOptions::default(), dir.path(), "all.journal");
    hledger(&["check"], &f);
    assert_balances_match(&l, &f, date!(2026 - 12 - 03));
    // every transaction balances to zero overall, per commodity
    let b = balances(&f, &[]);
    let mut per: BTreeMap<&str, Decimal> = BTreeMap::new();
    for ((_, c), v) in &b {
        *per.entry(c.as_str()).or_default() += *v;
    }
    assert!(per.values().all(|v| v.is_zero()), "{per:?}");
}

/// Every posting as ledger reads it, summed per (account, commodity).
fn ledger_balances(file: &Path) -> BTreeMap<(String, String), Decimal> {
    let o = Command::new("ledger")
        .arg("-f")
        .arg(file)
        .args([
            "reg",
            "--format",
            "%(account)\t%(quantity(scrub(amount)))\t%(commodity(scrub(amount)))\n",
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "ledger failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut out: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for line in String::from_utf8(o.stdout).unwrap().lines() {
        let [acct, qty, comm] = line.split('\t').collect::<Vec<_>>()[..] else {
            panic!("ledger line {line:?}")
        };
        let v: Decimal = qty.parse().unwrap_or_else(|_| panic!("amount in {line:?}"));
        *out.entry((acct.to_string(), comm.to_string())).or_default() += v;
    }
    out.retain(|_, v| !v.is_zero());
    out
}

#[test]
fn ledger_reads_the_journal_to_the_balances_hledger_reads() {
    if !have("ledger") || !have("hledger") {
        return;
    }
    let l = demo(2000);
    let dir = tempfile::tempdir().unwrap();
    let f = write(&l, &JournalOptions::default(), dir.path(), "all.journal");
    let mut by_hledger = balances(&f, &[]);
    by_hledger.retain(|_, v| !v.is_zero());
    let by_ledger = ledger_balances(&f);
    assert!(by_ledger.len() > 20, "{by_ledger:?}");
    assert_eq!(by_ledger, by_hledger);
}

#[test]
fn from_and_to_keep_the_balances_with_an_opening_transaction() {
    if !have("hledger") {
        return;
    }
    let l = demo(1500);
    let dir = tempfile::tempdir().unwrap();
    let to = date!(2026 - 09 - 30);
    let all = write(
        &l,
        &JournalOptions {
            from: None,
            to: Some(to),
        },
        dir.path(),
        "to.journal",
    );
    let part = write(
        &l,
        &JournalOptions {
            from: Some(date!(2026 - 06 - 01)),
            to: Some(to),
        },
        dir.path(),
        "part.journal",
    );
    hledger(&["check"], &part);
    let mut a = balances(&all, &[]);
    let mut p = balances(&part, &[]);
    // the opening transaction's other side
    p.retain(|(acct, _), _| acct != "Equity:Opening Balances");
    a.retain(|(acct, _), _| !acct.starts_with("Income") && !acct.starts_with("Expenses"));
    p.retain(|(acct, _), _| !acct.starts_with("Income") && !acct.starts_with("Expenses"));
    assert_eq!(a, p, "balance-sheet accounts agree with and without --from");
    assert_balances_match(&l, &all, to);
    let text = std::fs::read_to_string(&part).unwrap();
    assert!(
        text.contains("2026-06-01 * Opening balances"),
        "an opening transaction"
    );
    assert!(
        !text.lines().any(|line| line.starts_with("2026-05-")),
        "nothing dated before --from but the opening balances"
    );
    assert!(
        !text.lines().any(|line| line.starts_with("2026-10-")),
        "nothing after --to"
    );
}

#[test]
fn the_cli_writes_a_journal_with_safe_names_that_hledger_and_ledger_read() {
    let e = Env::new();
    let inv = e.root.join("invoices.csv");
    std::fs::write(
        &inv,
        "number,party,kind,issue_date,due_date,amount,currency,notes\n\
         INV-1,Colon: The Party,receivable,2026-10-01,2026-10-31,1000.00,EUR,first; with semicolon\n\
         INV-2,Semi; Colon  Ltd,receivable,2026-10-02,2026-11-01,250.00,EUR,\n\
         INV-3,Colon- The Party,receivable,2026-10-03,2026-11-02,99.00,EUR,\n\
         INV-4,(Paren) | Pipe,receivable,2026-10-04,2026-11-03,120000,JPY,\n\
         INV-5,Müller GmbH,receivable,2026-10-05,2026-11-04,500.00,GBP,\n\
         INV-6,Müller GmbH,receivable,2026-10-06,2026-11-05,40.00,GBP,\n\
         B-1,Supplier  Two,payable,2026-10-07,2026-11-06,80.00,EUR,\n",
    )
    .unwrap();
    let pay = e.root.join("payments.csv");
    std::fs::write(
        &pay,
        "date,party,direction,amount,currency,method,reference,invoice,notes\n\
         2026-10-10,Colon: The Party,in,1100.00,EUR,bank_transfer,RF;1,INV-1=1000.00,\"line\nbreak\"\n\
         2026-10-11,Semi; Colon  Ltd,in,100.00,EUR,cash,,INV-2,\n\
         2026-10-12,(Paren) | Pipe,in,120000,JPY,paypal,,INV-4,\n\
         2026-10-13,Müller GmbH,in,200.00,GBP,card,,INV-5,\n\
         2026-10-14,Supplier  Two,out,100.00,EUR,bank_transfer,,B-1=80.00,\n",
    )
    .unwrap();
    e.ok(&["import", "invoices", inv.to_str().unwrap()]);
    e.ok(&["import", "payments", pay.to_str().unwrap()]);
    e.ok(&[
        "add",
        "invoice",
        "--number",
        "V-1",
        "--party",
        "Müller GmbH",
        "--issue",
        "2026-10-20",
        "--amount",
        "999",
        "--currency",
        "GBP",
        "--void",
    ]);
    let f = e.root.join("books.journal");
    e.ok(&["export", "journal", "-o", f.to_str().unwrap()]);
    let text = std::fs::read_to_string(&f).unwrap();
    for want in [
        "Assets:Receivable:Colon- The Party",
        "Assets:Receivable:Colon- The Party #",
        "Assets:Receivable:Semi, Colon Ltd",
        "Assets:Receivable:Paren) | Pipe",
        "2026-10-04 * Paren) / Pipe | invoice INV-4",
        "Liabilities:Payable:Supplier Two",
        "Assets:Cash",
        "Assets:PayPal",
        "    ; ref: RF,1",
        "    ; pays: INV-1 1000.00",
        "    ; line break",
        "120000 JPY",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    assert!(!text.contains("invoice V-1"), "void invoices are left out");
    for line in text
        .lines()
        .filter(|l| l.starts_with("    ") && !l.trim_start().starts_with(';'))
    {
        let acct = line.trim_start().split("  ").next().unwrap();
        assert!(!acct.contains(';') && !acct.contains("  "), "{line:?}");
    }
    let stdout = e.ok(&["export", "journal"]);
    assert_eq!(stdout, text, "stdout and -o write the same");
    if have("hledger") {
        hledger(&["check"], &f);
        let l = paytrack::store::Store::open(&e.root.join("store"))
            .unwrap()
            .load()
            .unwrap();
        assert_balances_match(&l, &f, date!(2026 - 12 - 03));
        let b = balances(&f, &[]);
        // Colon: The Party paid 100 ahead: its receivable is its credit, negative
        assert_eq!(
            get(&b, "Assets:Receivable:Colon- The Party", Currency::EUR),
            Decimal::new(-100, 0)
        );
        assert_eq!(
            get(&b, "Assets:Receivable:Müller GmbH", Currency::GBP),
            Decimal::new(340, 0)
        );
        assert_eq!(
            get(&b, "Liabilities:Payable:Supplier Two", Currency::EUR),
            Decimal::new(20, 0)
        );
    }
    if Command::new("ledger")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let o = Command::new("ledger")
            .arg("-f")
            .arg(&f)
            .args(["bal", "Receivable:Müller"])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(out.contains("340.00 GBP"), "{out}");
    }
    // usage
    let o = e.run(&["export", "journal", "--filter", "dir:in"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
}
