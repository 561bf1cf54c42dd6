//! Times every report on a large synthetic ledger (1,000,000 payments, 800,000 invoices).
//!
//! Run with `cargo run --release --example report_bench [-- RUNS [NAME]]` (NAME: only the
//! reports whose name contains it). The ledger is built
//! directly with `Ledger::from_records` from a fixed-seed generator: 2,000 parties in EUR,
//! USD and JPY, one invoice in seven payable, three years of invoices; most invoices paid
//! (some late, some in two parts, some overpaid, some with a remainder), the rest of
//! the payments unallocated.

use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

use paytrack::domain::ledger::Ledger;
use paytrack::domain::{
    Allocation, Currency, Direction, Invoice, InvoiceId, InvoiceKind, Method, Party, PartyId,
    PartyRole, Payment, PaymentId,
};
use paytrack::report::aging::{self, AgingOptions};
use paytrack::report::customers::{self, CustomerOptions, CustomerSort};
use paytrack::report::{cashflow, statement, trend};
use rust_decimal::Decimal;
use time::macros::date;
use time::{Date, Duration};

const PARTIES: u64 = 2_000;
const INVOICES: u64 = 800_000;
const PAYMENTS: u64 = 1_000_000;

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

fn currency_of(party: u64) -> Currency {
    match party % 10 {
        0 => Currency::JPY,
        1 | 2 => Currency::USD,
        _ => Currency::EUR,
    }
}

fn money(c: Currency, cents: u64) -> Decimal {
    if c == Currency::JPY {
        Decimal::from(cents)
    } else {
        Decimal::new(cents as i64, 2)
    }
}

fn build(start: Date, end: Date) -> Ledger {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let days = (end - start).whole_days();
    let parties: Vec<Party> = (1..=PARTIES)
        .map(|i| Party {
            id: PartyId(i),
            name: format!("Customer {i:04}"),
            role: PartyRole::Both,
            email: String::new(),
            terms_days: Some(30),
            notes: String::new(),
        })
        .collect();
    let mut invoices = Vec::with_capacity(INVOICES as usize);
    let mut payments: Vec<Payment> = Vec::with_capacity(PAYMENTS as usize);
    let pay = |payments: &mut Vec<Payment>,
               party: PartyId,
               direction: Direction,
               currency: Currency,
               date: Date,
               amount: Decimal,
               allocations: Vec<Allocation>| {
        let id = PaymentId(payments.len() as u64 + 1);
        payments.push(Payment {
            id,
            party,
            direction,
            amount,
            currency,
            date,
            method: Method::BankTransfer,
            reference: format!("TX{}", id.0),
            notes: String::new(),
            allocations,
            source: None,
        });
    };
    for i in 0..INVOICES {
        let party = rng.below(PARTIES) + 1;
        let currency = currency_of(party);
        let kind = if rng.below(7) == 0 {
            InvoiceKind::Payable
        } else {
            InvoiceKind::Receivable
        };
        let issue = start + Duration::days(i as i64 * days / INVOICES as i64);
        let due = issue + Duration::days([14, 30, 30, 60][rng.below(4) as usize]);
        let cents = 5_000 + rng.below(495_000);
        let amount = money(currency, cents);
        let id = InvoiceId(i + 1);
        invoices.push(Invoice {
            id,
            number: format!("INV-{:07}", i + 1),
            party: PartyId(party),
            kind,
            issue_date: issue,
            due_date: due,
            amount,
            currency,
            notes: String::new(),
            void: rng.below(200) == 0,
        });
        let direction = kind.direction();
        let roll = rng.below(100);
        let paid_on = due + Duration::days(rng.below(60) as i64 - 20);
        if roll >= 85 || paid_on > end || payments.len() as u64 >= PAYMENTS - 2 {
            continue; // open
        }
        let alloc = |a: Decimal| {
            vec![Allocation {
                invoice: id,
                amount: a,
            }]
        };
        if roll < 8 {
            // paid in two parts
            let first = money(currency, cents / 2);
            let second = amount - first;
            let early = paid_on - Duration::days(10);
            pay(
                &mut payments,
                PartyId(party),
                direction,
                currency,
                early,
                first,
                alloc(first),
            );
            pay(
                &mut payments,
                PartyId(party),
                direction,
                currency,
                paid_on,
                second,
                alloc(second),
            );
        } else if roll < 10 {
            // overpaid
            let more = amount + money(currency, 1_000);
            pay(
                &mut payments,
                PartyId(party),
                direction,
                currency,
                paid_on,
                more,
                alloc(more),
            );
        } else if roll < 12 {
            // a payment with a remainder left as credit
            let total = amount + money(currency, 2_500);
            pay(
                &mut payments,
                PartyId(party),
                direction,
                currency,
                paid_on,
                total,
                alloc(amount),
            );
        } else {
            pay(
                &mut payments,
                PartyId(party),
                direction,
                currency,
                paid_on,
                amount,
                alloc(amount),
            );
        }
    }
    while (payments.len() as u64) < PAYMENTS {
        let party = rng.below(PARTIES) + 1;
        let currency = currency_of(party);
        let direction = if rng.below(5) == 0 {
            Direction::Out
        } else {
            Direction::In
        };
        let date = start + Duration::days(rng.below(days as u64 + 1) as i64);
        let amount = money(currency, 1_000 + rng.below(100_000));
        pay(
            &mut payments,
            PartyId(party),
            direction,
            currency,
            date,
            amount,
            Vec::new(),
        );
    }
    Ledger::from_records(parties, invoices, payments)
}

/// Runs `f` `runs` times and returns the fastest and the median time.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (StdDuration, StdDuration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let out = black_box(f());
        times.push(t.elapsed());
        last = Some(out);
    }
    times.sort();
    let out = last.expect("at least one run");
    (times[0], times[times.len() / 2], out)
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(5);
    let start = date!(2023 - 01 - 01);
    let as_of = date!(2025 - 12 - 31);
    let t = Instant::now();
    let l = build(start, as_of);
    println!(
        "ledger: {} parties, {} invoices, {} payments, built in {:.2?}; cores: {}",
        l.parties().len(),
        l.invoices().len(),
        l.payments().len(),
        t.elapsed(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!("{runs} runs each, as of {as_of}; budget 200 ms per report");
    println!(
        "{:<34} {:>10} {:>10}  result",
        "report", "fastest", "median"
    );
    let mut over = 0;
    // an optional second argument runs only the reports whose name contains it
    let only = std::env::args().nth(2).unwrap_or_default();
    let pick = |name: &str| name.contains(only.as_str());
    let mut show = |name: &str, (fast, median, what): (StdDuration, StdDuration, String)| {
        let flag = if median > StdDuration::from_millis(200) {
            over += 1;
            "  OVER BUDGET"
        } else {
            ""
        };
        println!("{name:<34} {fast:>10.2?} {median:>10.2?}  {what}{flag}");
    };
    let o = AgingOptions::new(as_of);
    if pick("aging (receivables)") {
        show(
            "aging (receivables)",
            time(runs, || {
                let r = aging::aging(&l, &o);
                format!("{} currencies", r.currencies.len())
            }),
        );
    }
    let payables = AgingOptions {
        kind: Some(InvoiceKind::Payable),
        ..o
    };
    if pick("aging (payables)") {
        show(
            "aging (payables)",
            time(runs, || {
                let r = aging::aging(&l, &payables);
                format!("{} currencies", r.currencies.len())
            }),
        );
    }
    if pick("aging --by-party") {
        show(
            "aging --by-party",
            time(runs, || {
                let r = aging::aging_by_party(&l, &o);
                format!("{} rows", r.len())
            }),
        );
    }
    if pick("customers") {
        show(
            "customers",
            time(runs, || {
                let r = customers::customers(&l, &CustomerOptions::new(as_of));
                format!("{} rows", r.len())
            }),
        );
    }
    if pick("customers --sort on_time_rate") {
        show(
            "customers --sort on_time_rate",
            time(runs, || {
                let o = CustomerOptions {
                    sort: CustomerSort::OnTimeRate,
                    ..CustomerOptions::new(as_of)
                };
                format!("{} rows", customers::customers(&l, &o).len())
            }),
        );
    }
    if pick("trend (12 months)") {
        show(
            "trend (12 months)",
            time(runs, || {
                format!("{} rows", trend::trend(&l, as_of, 12, None).len())
            }),
        );
    }
    if pick("cashflow (13 weeks)") {
        show(
            "cashflow (13 weeks)",
            time(runs, || {
                format!("{} rows", cashflow::cashflow(&l, as_of, 13).len())
            }),
        );
    }
    if pick("statement (one party, a year)") {
        show(
            "statement (one party, a year)",
            time(runs, || {
                let s = statement::statement(&l, PartyId(7), Some(date!(2025 - 01 - 01)), as_of);
                let lines: usize = s.currencies.iter().map(|c| c.lines.len()).sum();
                format!("{lines} lines")
            }),
        );
    }
    if pick("customers: sparklines of 20 rows") {
        let rows = customers::customers(&l, &CustomerOptions::new(as_of));
        let keys: Vec<_> = rows
            .iter()
            .take(20)
            .map(|r| (r.party, r.currency))
            .collect();
        show(
            "customers: sparklines of 20 rows",
            time(runs, || {
                let s = customers::recent_days_late(&l, as_of, &keys, 12);
                format!("{} series", s.len())
            }),
        );
    }
    if pick("customers + CSV to a buffer") {
        show(
            "customers + CSV to a buffer",
            time(runs, || {
                let r = customers::customers(&l, &CustomerOptions::new(as_of));
                let mut out = Vec::new();
                let ok = customers::write_csv(&mut out, &r).is_ok();
                format!("{} bytes, ok={ok}", out.len())
            }),
        );
    }
    if over > 0 {
        println!("{over} report(s) over the 200 ms budget");
    }
}
