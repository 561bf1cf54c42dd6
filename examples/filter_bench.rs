//! Times the filter language over a synthetic ledger of 1,000,000 payments, 800,000
//! invoices and 3,000 parties.
//!
//! Run with `cargo run --release --example filter_bench` (optionally pass the number of
//! payments, e.g. `-- 200000`). Pin to fewer cores with `taskset -c 0,1`.

use std::time::{Duration, Instant};

use paytrack::domain::ledger::Ledger;
use paytrack::domain::{
    Allocation, Currency, Invoice, InvoiceId, InvoiceKind, Method, Party, PartyId, PartyRole,
    Payment, PaymentId, StatusRules,
};
use paytrack::query::{filter_invoices, filter_payments, parse, EvalContext};
use rust_decimal::Decimal;
use time::macros::date;
use time::{Date, Duration as Days};

/// A small deterministic xorshift generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const FIRST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Oceanic",
    "Gringotts",
    "Nordwind",
    "Bäckerei Sonne",
    "Jansen",
    "Dupont",
    "Rossi",
    "García",
    "Kowalski",
    "Nakamura",
];
const SUFFIX: &[&str] = &[
    "GmbH", "AG", "Ltd", "Inc", "SARL", "KG", "& Co", "Group", "Services", "Trading",
];
const NOTES: &[&str] = &[
    "",
    "",
    "",
    "monthly retainer",
    "late fee included",
    "paid after reminder",
    "partial payment, rest next month",
    "Skonto 2% abgezogen",
    "wire from main account",
];

fn build(n_payments: usize) -> Ledger {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let n_parties = 3_000u64;
    let n_invoices = n_payments * 4 / 5;
    let parties: Vec<Party> = (1..=n_parties)
        .map(|id| Party {
            id: PartyId(id),
            name: format!(
                "{} {} {}",
                FIRST[rng.below(FIRST.len() as u64) as usize],
                SUFFIX[rng.below(SUFFIX.len() as u64) as usize],
                id
            ),
            role: PartyRole::Both,
            email: format!("billing{id}@example.com"),
            terms_days: Some(30),
            notes: String::new(),
        })
        .collect();
    let start: Date = date!(2023 - 01 - 01);
    let invoices: Vec<Invoice> = (1..=n_invoices as u64)
        .map(|id| {
            let issue = start + Days::days(rng.below(1000) as i64);
            let receivable = rng.below(3) != 0;
            Invoice {
                id: InvoiceId(id),
                number: if receivable {
                    format!("INV-{id:07}")
                } else {
                    format!("BILL-{id:07}")
                },
                party: PartyId(1 + rng.below(n_parties)),
                kind: if receivable {
                    InvoiceKind::Receivable
                } else {
                    InvoiceKind::Payable
                },
                issue_date: issue,
                due_date: issue + Days::days(30),
                amount: Decimal::new(1_000 + rng.below(500_000) as i64, 2),
                currency: if rng.below(10) == 0 {
                    Currency::USD
                } else {
                    Currency::EUR
                },
                notes: NOTES[rng.below(NOTES.len() as u64) as usize].to_string(),
                void: rng.below(100) == 0,
            }
        })
        .collect();
    let payments: Vec<Payment> = (1..=n_payments as u64)
        .map(|id| {
            let pick = rng.below(10);
            let inv = &invoices[rng.below(invoices.len() as u64) as usize];
            let mut allocations = Vec::new();
            let amount;
            if pick < 8 {
                amount = inv.amount;
                allocations.push(Allocation {
                    invoice: inv.id,
                    amount: inv.amount,
                });
            } else if pick == 8 {
                let other = &invoices[rng.below(invoices.len() as u64) as usize];
                amount = inv.amount + other.amount;
                allocations.push(Allocation {
                    invoice: inv.id,
                    amount: inv.amount,
                });
                allocations.push(Allocation {
                    invoice: other.id,
                    amount: other.amount,
                });
            } else {
                amount = Decimal::new(1_000 + rng.below(100_000) as i64, 2);
            }
            Payment {
                id: PaymentId(id),
                party: inv.party,
                direction: inv.kind.direction(),
                amount,
                currency: inv.currency,
                date: inv.issue_date + Days::days(rng.below(60) as i64),
                method: Method::ALL[rng.below(Method::ALL.len() as u64) as usize],
                reference: format!("SEPA-{:010}", rng.below(10_000_000_000)),
                notes: NOTES[rng.below(NOTES.len() as u64) as usize].to_string(),
                allocations,
                source: None,
            }
        })
        .collect();
    Ledger::from_records(parties, invoices, payments)
}

/// CPU time used by the whole process so far (all threads), from `/proc/self/stat`
/// (Linux; in clock ticks of 10 ms). `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Runs `f` several times: (fastest wall time, median wall time, CPU time per run, result).
fn time_it(mut f: impl FnMut() -> usize) -> (Duration, Duration, Option<Duration>, usize) {
    const RUNS: u32 = 9;
    let mut times = Vec::new();
    let mut n = 0;
    let cpu0 = cpu_time();
    for _ in 0..RUNS {
        let t = Instant::now();
        n = f();
        times.push(t.elapsed());
    }
    let cpu = cpu0.zip(cpu_time()).map(|(a, b)| (b - a) / RUNS);
    times.sort();
    (times[0], times[times.len() / 2], cpu, n)
}

fn report(q: &str, (min, med, cpu, hits): (Duration, Duration, Option<Duration>, usize)) {
    let cpu = cpu.map_or("?".to_string(), |c| format!("{c:.0?}"));
    println!("{q:34} {min:>9.1?} {med:>9.1?} {cpu:>9} {hits:>9}");
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let t = Instant::now();
    let ledger = build(n);
    println!(
        "built {} payments, {} invoices, {} parties in {:?}; threads: {}",
        ledger.payments().len(),
        ledger.invoices().len(),
        ledger.parties().len(),
        t.elapsed(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let ctx = EvalContext::new(&ledger, StatusRules::new(date!(2025 - 06 - 30)));
    let queries = [
        "",
        "acme",
        "müller gmbh",
        "zqxj",
        "inv-00123",
        "\"late fee\"",
        "sepa-12345",
        "party:acme",
        "party:acme -status:paid",
        "status:overdue",
        "amount:>1000 date:2025",
        "dir:in amount:100..500 globex",
        "method:card currency:EUR",
        "due:<7d",
        "invoice:INV-00012*",
        "unlinked",
    ];
    println!("\nfilter_payments                 wall: min    median  cpu/run   matches");
    for q in queries {
        let query = match parse(q) {
            Ok(x) => x,
            Err(e) => {
                println!("{q:34} parse error: {e}");
                continue;
            }
        };
        report(q, time_it(|| filter_payments(&ctx, &query).len()));
    }
    println!("\nfilter_invoices                 wall: min    median  cpu/run   matches");
    for q in [
        "acme",
        "zqxj",
        "status:overdue",
        "method:card",
        "due:<7d amount:>100",
    ] {
        let query = match parse(q) {
            Ok(x) => x,
            Err(e) => {
                println!("{q:34} parse error: {e}");
                continue;
            }
        };
        report(q, time_it(|| filter_invoices(&ctx, &query).len()));
    }
}
