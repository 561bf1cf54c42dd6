//! The demo-data generator: deterministic, valid under every domain rule, and full of the
//! situations a bookkeeper meets.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use paytrack::demo::{generate, invoice_count, party_count, DemoConfig, DemoData};
use paytrack::domain::ledger::{name_key, Ledger};
use paytrack::domain::{
    Currency, Direction, IdSeq, InvoiceKind, InvoiceStatus, Method, PartyRole, StatusRules,
};
use rust_decimal::Decimal;
use time::macros::date;
use time::{Date, Duration};

const TODAY: Date = date!(2025 - 06 - 18);

fn cfg(seed: u64, payments: usize) -> DemoConfig {
    DemoConfig {
        seed,
        payments,
        today: TODAY,
    }
}

fn ledger(d: &DemoData) -> Ledger {
    Ledger::from_records(d.parties.clone(), d.invoices.clone(), d.payments.clone())
}

#[test]
fn same_config_gives_identical_data() {
    let a = generate(&cfg(7, 5_000));
    let b = generate(&cfg(7, 5_000));
    assert_eq!(a, b);
    let c = generate(&cfg(8, 5_000));
    assert_ne!(a.payments, c.payments, "another seed gives other data");
    let d = generate(&DemoConfig {
        today: TODAY + Duration::days(1),
        ..cfg(7, 5_000)
    });
    assert_ne!(a.payments, d.payments, "another today gives other data");
}

/// FNV-1a over a canonical text of every record: independent of `Debug` formatting and of
/// the platform.
fn fingerprint(d: &DemoData) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain([b'|']) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for p in &d.parties {
        let terms = p.terms_days.map(|t| t.to_string()).unwrap_or_default();
        for f in [
            p.id.to_string(),
            p.name.clone(),
            p.role.to_string(),
            p.email.clone(),
            terms,
            p.notes.clone(),
        ] {
            eat(&f);
        }
    }
    for i in &d.invoices {
        for f in [
            i.id.to_string(),
            i.number.clone(),
            i.party.to_string(),
            i.kind.to_string(),
            i.issue_date.to_string(),
            i.due_date.to_string(),
            i.amount.to_string(),
            i.currency.to_string(),
            i.notes.clone(),
            i.void.to_string(),
        ] {
            eat(&f);
        }
    }
    for p in &d.payments {
        for f in [
            p.id.to_string(),
            p.party.to_string(),
            p.direction.to_string(),
            p.amount.to_string(),
            p.currency.to_string(),
            p.date.to_string(),
            p.method.to_string(),
            p.reference.clone(),
            p.notes.clone(),
        ] {
            eat(&f);
        }
        for a in &p.allocations {
            eat(&a.invoice.to_string());
            eat(&a.amount.to_string());
        }
    }
    h
}

#[test]
fn pinned_output_does_not_drift() {
    // Every machine must produce exactly this data. A change here means every saved
    // benchmark store and snapshot made from demo data changes too: update it only on
    // purpose, after checking the new data with `cargo run --example demo_gen`.
    let d = generate(&cfg(1, 3_000));
    assert_eq!(d.parties[0].name, "Müller GmbH");
    assert_eq!(d.parties[1].name, "Ørsted Supplies");
    assert_eq!(d.parties[2].name, "Café Lumière SARL");
    assert_eq!(
        format!("{:016x}", fingerprint(&d)),
        "36c2136f5763cd1b",
        "demo data changed"
    );
}

#[test]
fn counts_scale_with_the_requested_payments() {
    for n in [0usize, 1, 3, 7, 100, 1_000, 5_000, 30_000] {
        let d = generate(&cfg(42, n));
        assert_eq!(d.payments.len(), n, "payments for {n}");
        assert_eq!(d.invoices.len(), invoice_count(n), "invoices for {n}");
        assert_eq!(d.parties.len(), party_count(n), "parties for {n}");
        assert_eq!(
            d.ids,
            IdSeq {
                party: d.parties.len() as u64 + 1,
                invoice: d.invoices.len() as u64 + 1,
                payment: n as u64 + 1,
            }
        );
        for (i, p) in d.parties.iter().enumerate() {
            assert_eq!(p.id.0, i as u64 + 1);
        }
        for (i, inv) in d.invoices.iter().enumerate() {
            assert_eq!(inv.id.0, i as u64 + 1);
        }
        for (i, p) in d.payments.iter().enumerate() {
            assert_eq!(p.id.0, i as u64 + 1);
        }
    }
    assert_eq!(invoice_count(1_000_000), 800_000);
    assert_eq!(invoice_count(10_000), 8_000);
    assert_eq!(party_count(5_000), 25);
    assert_eq!(party_count(100_000), 333);
    assert_eq!(party_count(1_000_000), 3_333);
    assert_eq!(party_count(10_000_000), 5_000);
}

fn check_rules(d: &DemoData, today: Date) {
    let l = ledger(d);
    // parties: unique names, sensible emails
    let mut names = HashSet::new();
    for p in &d.parties {
        assert!(names.insert(name_key(&p.name)), "duplicate name {}", p.name);
        assert!(!p.name.trim().is_empty());
        assert!(
            p.email.is_empty() || (p.email.contains('@') && p.email.ends_with(".example")),
            "{}",
            p.email
        );
        assert!(p.email.is_ascii());
        assert!(matches!(p.terms_days, Some(14 | 30 | 45 | 60)));
    }
    // invoices
    let mut numbers = HashSet::new();
    for inv in &d.invoices {
        inv.validate()
            .unwrap_or_else(|e| panic!("{}: {e}", inv.number));
        assert!(
            numbers.insert(inv.number.clone()),
            "duplicate {}",
            inv.number
        );
        assert!(inv.issue_date <= today, "{} issued after today", inv.number);
        assert!(
            inv.currency.fits(inv.amount),
            "{} {}",
            inv.number,
            inv.amount
        );
        let party = l.party(inv.party).expect("invoice party exists");
        match inv.kind {
            InvoiceKind::Receivable => {
                let n = inv.number.as_bytes();
                assert!(inv.number.starts_with("INV-"), "{}", inv.number);
                assert_eq!(n.len(), 15, "{}", inv.number);
                assert_eq!(&inv.number[4..8], inv.issue_date.year().to_string());
                assert!(n[9..].iter().all(u8::is_ascii_digit));
                assert_ne!(party.role, PartyRole::Partner);
            }
            InvoiceKind::Payable => {
                let prefix = format!("B-{}-", party.id.0);
                assert!(inv.number.starts_with(&prefix), "{}", inv.number);
                assert_ne!(party.role, PartyRole::Customer);
            }
        }
    }
    // invoices are in issue-date order
    assert!(d
        .invoices
        .windows(2)
        .all(|w| w[0].issue_date <= w[1].issue_date));
    // payments
    for p in &d.payments {
        p.validate(|id| l.invoice(id))
            .unwrap_or_else(|e| panic!("payment #{}: {e}", p.id));
        assert!(p.amount > Decimal::ZERO);
        assert!(p.date <= today, "payment #{} after today", p.id);
        assert!(p.currency.fits(p.amount), "{} {}", p.amount, p.currency);
        assert!(p.allocated() <= p.amount);
        let party = l.party(p.party).expect("payment party exists");
        match p.direction {
            Direction::In => assert_ne!(party.role, PartyRole::Partner),
            Direction::Out => assert_ne!(party.role, PartyRole::Customer),
        }
        for a in &p.allocations {
            let inv = l.invoice(a.invoice).expect("allocated invoice exists");
            assert!(!inv.void, "payment #{} pays void {}", p.id, inv.number);
            assert!(
                p.date >= inv.issue_date,
                "payment #{} before its invoice",
                p.id
            );
            assert!(inv.currency.fits(a.amount));
        }
    }
    // recorded in date order
    assert!(d.payments.windows(2).all(|w| w[0].date <= w[1].date));
}

#[test]
fn every_rule_holds_for_5000_payments() {
    let d = generate(&cfg(2024, 5_000));
    check_rules(&d, TODAY);
}

#[test]
fn every_rule_holds_for_other_seeds_and_dates() {
    for (seed, n, today) in [
        (1, 5_000, date!(2024 - 02 - 29)),
        (99, 12_000, date!(2026 - 01 - 04)),
        (u64::MAX, 600, date!(2025 - 12 - 31)),
        (3, 40, date!(2025 - 03 - 01)),
    ] {
        let d = generate(&DemoConfig {
            seed,
            payments: n,
            today,
        });
        assert_eq!(d.payments.len(), n);
        check_rules(&d, today);
    }
}

#[test]
fn dates_at_the_edge_of_the_calendar_do_not_panic() {
    for today in [
        Date::MIN,
        date!(-9998 - 03 - 01),
        Date::MAX,
        date!(2028 - 02 - 29),
    ] {
        let d = generate(&DemoConfig {
            seed: 5,
            payments: 300,
            today,
        });
        assert_eq!(d.payments.len(), 300);
        for i in &d.invoices {
            i.validate().unwrap();
            assert!(i.issue_date <= today);
        }
        assert!(d.payments.iter().all(|p| p.date <= today));
    }
}

#[test]
fn every_scenario_is_present() {
    let d = generate(&cfg(2024, 5_000));
    let l = ledger(&d);
    let rules = StatusRules::new(TODAY);

    // both directions and all three main currencies, in invoices and in payments
    for cur in [Currency::EUR, Currency::USD, Currency::GBP] {
        assert!(
            d.invoices.iter().any(|i| i.currency == cur),
            "invoices in {cur}"
        );
        assert!(
            d.payments.iter().any(|p| p.currency == cur),
            "payments in {cur}"
        );
    }
    let eur = d
        .invoices
        .iter()
        .filter(|i| i.currency == Currency::EUR)
        .count();
    assert!(eur * 2 > d.invoices.len(), "EUR is the main currency");
    assert!(d.payments.iter().any(|p| p.direction == Direction::In));
    assert!(d.payments.iter().any(|p| p.direction == Direction::Out));
    assert!(d.invoices.iter().any(|i| i.kind == InvoiceKind::Payable));
    let receivables = d
        .invoices
        .iter()
        .filter(|i| i.kind == InvoiceKind::Receivable)
        .count();
    assert!(receivables * 2 > d.invoices.len());
    for role in [PartyRole::Customer, PartyRole::Partner, PartyRole::Both] {
        assert!(d.parties.iter().any(|p| p.role == role), "a {role}");
    }

    // non-ASCII names
    assert!(d.parties.iter().filter(|p| !p.name.is_ascii()).count() >= 3);

    // every method, bank transfer dominant
    let mut methods: BTreeMap<Method, usize> = BTreeMap::new();
    for p in &d.payments {
        *methods.entry(p.method).or_default() += 1;
    }
    for m in Method::ALL {
        assert!(methods.get(m).copied().unwrap_or(0) > 0, "method {m}");
    }
    let bank = methods[&Method::BankTransfer];
    assert!(
        bank * 2 > d.payments.len(),
        "bank transfer dominant: {methods:?}"
    );
    assert!(d.payments.iter().any(|p| p.reference.starts_with("RF")));
    assert!(d.payments.iter().any(|p| p.reference.starts_with("SEPA-")));
    assert!(d.payments.iter().any(|p| p.reference.starts_with("ch_")));
    let with_notes = d.payments.iter().filter(|p| !p.notes.is_empty()).count();
    assert!(
        with_notes > 0 && with_notes * 10 < d.payments.len(),
        "notes mostly empty"
    );

    // splits over 2-4 invoices
    let splits: Vec<_> = d
        .payments
        .iter()
        .filter(|p| p.allocations.len() >= 2)
        .collect();
    assert!(splits.len() >= 10, "splits: {}", splits.len());
    assert!(splits.iter().all(|p| p.allocations.len() <= 4));
    // independent payments
    let independent = d
        .payments
        .iter()
        .filter(|p| p.allocations.is_empty())
        .count();
    assert!(independent >= 50, "independent: {independent}");
    // unallocated remainders on allocated payments
    assert!(d
        .payments
        .iter()
        .any(|p| !p.allocations.is_empty() && p.unallocated() > Decimal::ZERO));

    // statuses as of today
    let mut status: BTreeMap<InvoiceStatus, usize> = BTreeMap::new();
    let mut overpaid = 0;
    let mut partial = 0;
    for inv in &d.invoices {
        let s = l.settlement(inv, &rules);
        *status.entry(s.status()).or_default() += 1;
        if s.overpaid > Decimal::ZERO {
            overpaid += 1;
        }
        if s.has(InvoiceStatus::Partial) {
            partial += 1;
        }
    }
    for st in [
        InvoiceStatus::Open,
        InvoiceStatus::Paid,
        InvoiceStatus::Overdue,
        InvoiceStatus::DueSoon,
        InvoiceStatus::Void,
    ] {
        assert!(
            status.get(&st).copied().unwrap_or(0) > 0,
            "{st}: {status:?}"
        );
    }
    assert!(partial > 0, "partially paid invoices");
    assert!(overpaid > 0, "overpaid invoices");
    let paid = status[&InvoiceStatus::Paid];
    assert!(
        paid * 10 > d.invoices.len() * 7,
        "most invoices are paid: {status:?}"
    );
    // instalments: invoices paid by two or more payments
    let multi = d
        .invoices
        .iter()
        .filter(|i| l.payments_allocated_to(i.id).len() >= 2)
        .count();
    assert!(multi > 100, "instalments: {multi}");
    // recent invoices still open (issued within the last month, nothing paid yet)
    let recent_open = d
        .invoices
        .iter()
        .filter(|i| i.issue_date > TODAY - Duration::days(30) && !i.void)
        .filter(|i| l.allocated_as_of(i.id, TODAY).is_zero())
        .count();
    assert!(recent_open > 10, "recent open invoices: {recent_open}");

    // punctual customers and habitually late ones
    let mut per_party: BTreeMap<u64, (i64, i64)> = BTreeMap::new();
    for inv in d
        .invoices
        .iter()
        .filter(|i| i.kind == InvoiceKind::Receivable)
    {
        if let Some(late) = l.days_late(inv, TODAY) {
            let e = per_party.entry(inv.party.0).or_default();
            e.0 += late;
            e.1 += 1;
        }
    }
    let average = |(sum, n): &(i64, i64)| if *n >= 5 { Some(sum / n) } else { None };
    let late_payers = per_party
        .values()
        .filter_map(average)
        .filter(|&a| a >= 10)
        .count();
    let punctual = per_party
        .values()
        .filter_map(average)
        .filter(|&a| a <= 1)
        .count();
    assert!(late_payers >= 1, "habitually late customers: {per_party:?}");
    assert!(punctual >= 3, "punctual customers: {per_party:?}");
    let longest = d
        .invoices
        .iter()
        .filter_map(|i| l.days_late(i, TODAY))
        .max()
        .unwrap_or(0);
    assert!(longest >= 30, "some invoices are paid very late: {longest}");

    // credit shows for some parties
    assert!(d
        .parties
        .iter()
        .any(|p| !l.party_credit(p.id, TODAY).is_empty()));
}

#[test]
fn history_spans_three_years_and_grows() {
    let d = generate(&cfg(5, 20_000));
    let first = d.invoices.first().unwrap().issue_date;
    assert!(first >= TODAY - Duration::days(3 * 366));
    assert!(first <= TODAY - Duration::days(3 * 365 - 10));
    let year_ago = TODAY - Duration::days(365);
    let two_years_ago = TODAY - Duration::days(730);
    let last_year = d
        .invoices
        .iter()
        .filter(|i| i.issue_date > year_ago)
        .count();
    let first_year = d
        .invoices
        .iter()
        .filter(|i| i.issue_date <= two_years_ago)
        .count();
    assert!(
        last_year > first_year * 11 / 10,
        "recent years are busier: {first_year} then {last_year}"
    );
    let oldest_payment = d.payments.first().unwrap().date;
    assert!(oldest_payment <= first + Duration::days(90));
    assert!(d.payments.last().unwrap().date >= TODAY - Duration::days(4));
}

/// CPU time used by this thread so far; the wall clock on a shared machine also counts
/// other people's work.
#[cfg(target_os = "linux")]
fn thread_cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu() -> std::time::Duration {
    std::time::Duration::ZERO
}

/// `cargo test --release --test demo -- --ignored --nocapture`
#[test]
#[ignore = "timing at benchmark size; run in release"]
fn one_million_payments_in_release() {
    let cpu = thread_cpu();
    let t = Instant::now();
    let d = generate(&cfg(1, 1_000_000));
    let wall = t.elapsed();
    let cpu = thread_cpu() - cpu;
    println!(
        "generated {} payments, {} invoices, {} parties in {wall:?} (CPU {cpu:?})",
        d.payments.len(),
        d.invoices.len(),
        d.parties.len()
    );
    assert_eq!(d.payments.len(), 1_000_000);
    assert_eq!(d.invoices.len(), 800_000);
    // CPU time where it can be measured, so a busy machine does not fail the test
    let took = if cpu.is_zero() { wall } else { cpu };
    assert!(took.as_secs_f64() < 2.0, "took {took:?}");
    let l = ledger(&d);
    for p in d.payments.iter().step_by(97) {
        p.validate(|id| l.invoice(id)).unwrap();
    }
}
