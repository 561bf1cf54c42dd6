//! The reports on small hand-built ledgers whose answers are worked out here by hand, the
//! exact CSV they print, and properties over random ledgers (bucket totals equal the total
//! outstanding; the reports agree with each other and with a naive computation).

use paytrack::domain::aging::AgingBucket;
use paytrack::domain::ledger::Ledger;
use paytrack::domain::{
    Allocation, Currency, Direction, Invoice, InvoiceId, InvoiceKind, Method, Party, PartyId,
    PartyRole, Payment, PaymentId, StatusRules,
};
use paytrack::report::aging::{self, AgingOptions};
use paytrack::report::customers::{self, CustomerOptions, CustomerSort};
use paytrack::report::statement::{self, EntryKind};
use paytrack::report::{cashflow, output::Format, trend};
use proptest::prelude::*;
use rust_decimal::Decimal;
use time::macros::date;
use time::{Date, Duration, Month};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn party(id: u64, name: &str, role: PartyRole) -> Party {
    Party {
        id: PartyId(id),
        name: name.into(),
        role,
        email: String::new(),
        terms_days: Some(30),
        notes: String::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn inv(
    id: u64,
    party: u64,
    kind: InvoiceKind,
    cur: Currency,
    amount: &str,
    issue: Date,
    due: Date,
    void: bool,
) -> Invoice {
    Invoice {
        id: InvoiceId(id),
        number: format!("INV-{id:03}"),
        party: PartyId(party),
        kind,
        issue_date: issue,
        due_date: due,
        amount: d(amount),
        currency: cur,
        notes: String::new(),
        void,
    }
}

fn pay(
    id: u64,
    party: u64,
    dir: Direction,
    cur: Currency,
    amount: &str,
    date: Date,
    allocs: &[(u64, &str)],
) -> Payment {
    Payment {
        id: PaymentId(id),
        party: PartyId(party),
        direction: dir,
        amount: d(amount),
        currency: cur,
        date,
        method: Method::BankTransfer,
        reference: format!("P-{id}"),
        notes: String::new(),
        allocations: allocs
            .iter()
            .map(|(i, a)| Allocation {
                invoice: InvoiceId(*i),
                amount: d(a),
            })
            .collect(),
        source: None,
    }
}

/// The as-of date of the fixture: Sunday 2025-06-15, ISO week starting Monday 2025-06-09.
const AS_OF: Date = date!(2025 - 06 - 15);

const ACME: u64 = 1;
const BETA: u64 = 2;
const SUPPLIER: u64 = 3;
const TANAKA: u64 = 4;

/// The fixture, with each invoice's fate as of 2025-06-15:
///
/// Acme Ltd (EUR, USD)
/// - 1 EUR 1000, issued 03-01 due 03-31: paid 600 on 03-20 (P1) and 400 on 04-10 (P2) → paid 10 days late
/// - 2 EUR 500, issued 04-01 due 05-01: P3 550 on 04-25 → paid on time, overpaid by 50
/// - 3 EUR 300, issued 05-10 due 06-09: unpaid (P4 pays it on 06-20, after the as-of date) → 6 days, 1-30
/// - 4 EUR 200, issued 06-01: void
/// - 5 USD 800, issued 01-10 due 02-09: P5 300 on 02-01 → 500 outstanding, 126 days, 90+
/// - 6 EUR 100, issued 06-20: after the as-of date
///
/// Beta GmbH (EUR)
/// - 7 EUR 2000, issued 03-15 due 04-14: unpaid → 62 days, 61-90
/// - 8 EUR 1000, issued 04-20 due 05-20, and 9 EUR 400, issued 04-25 due 04-28: both paid by
///   the split P6 (1500 on 05-01: 1000 + 400, 100 left as credit) → 8 on time, 9 3 days late
/// - 10 EUR 700, issued 05-20 due 06-19: unpaid → current
///
/// Supplier Co (payables, EUR)
/// - 11 EUR 900, issued 05-01 due 05-31: paid 400 on 05-20 (Q1) → 500 outstanding, 15 days, 1-30
/// - 12 EUR 1200, issued 06-01 due 07-01: unpaid → current; Q2 250 on 06-01 unallocated
///
/// Tanaka KK (JPY)
/// - 13 JPY 120000, issued 04-01 due 05-01: P7 on 05-11 → paid 10 days late
/// - 14 JPY 50000, issued 05-15 due 06-14: unpaid → 1 day, 1-30
fn fixture() -> Ledger {
    use Currency as C;
    use InvoiceKind::{Payable as P, Receivable as R};
    Ledger::from_records(
        vec![
            party(ACME, "Acme Ltd", PartyRole::Customer),
            party(BETA, "Beta GmbH", PartyRole::Customer),
            party(SUPPLIER, "Supplier Co", PartyRole::Partner),
            party(TANAKA, "Tanaka KK", PartyRole::Customer),
        ],
        vec![
            inv(
                1,
                ACME,
                R,
                C::EUR,
                "1000",
                date!(2025 - 03 - 01),
                date!(2025 - 03 - 31),
                false,
            ),
            inv(
                2,
                ACME,
                R,
                C::EUR,
                "500",
                date!(2025 - 04 - 01),
                date!(2025 - 05 - 01),
                false,
            ),
            inv(
                3,
                ACME,
                R,
                C::EUR,
                "300",
                date!(2025 - 05 - 10),
                date!(2025 - 06 - 09),
                false,
            ),
            inv(
                4,
                ACME,
                R,
                C::EUR,
                "200",
                date!(2025 - 06 - 01),
                date!(2025 - 07 - 01),
                true,
            ),
            inv(
                5,
                ACME,
                R,
                C::USD,
                "800",
                date!(2025 - 01 - 10),
                date!(2025 - 02 - 09),
                false,
            ),
            inv(
                6,
                ACME,
                R,
                C::EUR,
                "100",
                date!(2025 - 06 - 20),
                date!(2025 - 07 - 20),
                false,
            ),
            inv(
                7,
                BETA,
                R,
                C::EUR,
                "2000",
                date!(2025 - 03 - 15),
                date!(2025 - 04 - 14),
                false,
            ),
            inv(
                8,
                BETA,
                R,
                C::EUR,
                "1000",
                date!(2025 - 04 - 20),
                date!(2025 - 05 - 20),
                false,
            ),
            inv(
                9,
                BETA,
                R,
                C::EUR,
                "400",
                date!(2025 - 04 - 25),
                date!(2025 - 04 - 28),
                false,
            ),
            inv(
                10,
                BETA,
                R,
                C::EUR,
                "700",
                date!(2025 - 05 - 20),
                date!(2025 - 06 - 19),
                false,
            ),
            inv(
                11,
                SUPPLIER,
                P,
                C::EUR,
                "900",
                date!(2025 - 05 - 01),
                date!(2025 - 05 - 31),
                false,
            ),
            inv(
                12,
                SUPPLIER,
                P,
                C::EUR,
                "1200",
                date!(2025 - 06 - 01),
                date!(2025 - 07 - 01),
                false,
            ),
            inv(
                13,
                TANAKA,
                R,
                C::JPY,
                "120000",
                date!(2025 - 04 - 01),
                date!(2025 - 05 - 01),
                false,
            ),
            inv(
                14,
                TANAKA,
                R,
                C::JPY,
                "50000",
                date!(2025 - 05 - 15),
                date!(2025 - 06 - 14),
                false,
            ),
        ],
        vec![
            // recorded out of date order on purpose
            pay(
                2,
                ACME,
                Direction::In,
                C::EUR,
                "400",
                date!(2025 - 04 - 10),
                &[(1, "400")],
            ),
            pay(
                1,
                ACME,
                Direction::In,
                C::EUR,
                "600",
                date!(2025 - 03 - 20),
                &[(1, "600")],
            ),
            pay(
                3,
                ACME,
                Direction::In,
                C::EUR,
                "550",
                date!(2025 - 04 - 25),
                &[(2, "550")],
            ),
            pay(
                4,
                ACME,
                Direction::In,
                C::EUR,
                "300",
                date!(2025 - 06 - 20),
                &[(3, "300")],
            ),
            pay(
                5,
                ACME,
                Direction::In,
                C::USD,
                "300",
                date!(2025 - 02 - 01),
                &[(5, "300")],
            ),
            pay(
                6,
                BETA,
                Direction::In,
                C::EUR,
                "1500",
                date!(2025 - 05 - 01),
                &[(8, "1000"), (9, "400")],
            ),
            pay(
                7,
                TANAKA,
                Direction::In,
                C::JPY,
                "120000",
                date!(2025 - 05 - 11),
                &[(13, "120000")],
            ),
            pay(
                8,
                SUPPLIER,
                Direction::Out,
                C::EUR,
                "400",
                date!(2025 - 05 - 20),
                &[(11, "400")],
            ),
            pay(
                9,
                SUPPLIER,
                Direction::Out,
                C::EUR,
                "250",
                date!(2025 - 06 - 01),
                &[],
            ),
        ],
    )
}

fn csv_of(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    f(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

// ---------------------------------------------------------------- aging

#[test]
fn aging_buckets_per_currency_as_of() {
    let l = fixture();
    let r = aging::aging(&l, &AgingOptions::new(AS_OF));
    assert_eq!(r.kind, InvoiceKind::Receivable, "no kind means receivables");
    let codes: Vec<Currency> = r.currencies.iter().map(|c| c.currency).collect();
    assert_eq!(codes, [Currency::EUR, Currency::JPY, Currency::USD]);
    let eur = r.currency(Currency::EUR).unwrap();
    let amounts: Vec<Decimal> = eur.buckets.iter().map(|b| b.amount).collect();
    // 10 is current, 3 is 6 days (P4 after the as-of date does not count), 7 is 62 days
    assert_eq!(amounts, [d("700"), d("300"), d("0"), d("2000"), d("0")]);
    let counts: Vec<usize> = eur.buckets.iter().map(|b| b.count).collect();
    assert_eq!(counts, [1, 1, 0, 1, 0]);
    assert_eq!(eur.total, d("3000"));
    assert_eq!(eur.count, 3);
    let usd = r.currency(Currency::USD).unwrap();
    assert_eq!(usd.bucket(AgingBucket::Over90).amount, d("500"));
    assert_eq!(usd.total, d("500"));
    let jpy = r.currency(Currency::JPY).unwrap();
    assert_eq!(jpy.bucket(AgingBucket::D1To30).amount, d("50000"));
}

#[test]
fn aging_csv_exact() {
    let l = fixture();
    let r = aging::aging(&l, &AgingOptions::new(AS_OF));
    assert_eq!(
        csv_of(|w| aging::write_csv(w, &r)),
        "currency,bucket,amount,count\n\
         EUR,current,700.00,1\n\
         EUR,1-30,300.00,1\n\
         EUR,31-60,0.00,0\n\
         EUR,61-90,2000.00,1\n\
         EUR,90+,0.00,0\n\
         JPY,current,0,0\n\
         JPY,1-30,50000,1\n\
         JPY,31-60,0,0\n\
         JPY,61-90,0,0\n\
         JPY,90+,0,0\n\
         USD,current,0.00,0\n\
         USD,1-30,0.00,0\n\
         USD,31-60,0.00,0\n\
         USD,61-90,0.00,0\n\
         USD,90+,500.00,1\n"
    );
}

#[test]
fn aging_earlier_as_of_ignores_later_payments_and_invoices() {
    let l = fixture();
    // On 04-05 only P1 (600) has paid invoice 1: 400 left, 5 days past due. Invoice 5 is
    // 55 days past due; 2 (500) and 7 (2000) are current; 3, 8-10 are not issued yet.
    let r = aging::aging(&l, &AgingOptions::new(date!(2025 - 04 - 05)));
    let eur = r.currency(Currency::EUR).unwrap();
    let amounts: Vec<Decimal> = eur.buckets.iter().map(|b| b.amount).collect();
    assert_eq!(amounts, [d("2500"), d("400"), d("0"), d("0"), d("0")]);
    assert_eq!(eur.count, 3);
    let usd = r.currency(Currency::USD).unwrap();
    assert_eq!(usd.bucket(AgingBucket::D31To60).amount, d("500"));
    // after P4 (06-20): invoice 3 is paid, invoice 6 (issued 06-20) is current
    let late = aging::aging(&l, &AgingOptions::new(date!(2025 - 06 - 25)));
    let eur = late.currency(Currency::EUR).unwrap();
    // invoice 3 is paid; invoice 10 (due 06-19) is now 6 days past due
    assert_eq!(eur.bucket(AgingBucket::D1To30).amount, d("700"));
    assert_eq!(eur.bucket(AgingBucket::D1To30).count, 1);
    assert_eq!(eur.bucket(AgingBucket::Current).amount, d("100"));
    assert_eq!(eur.bucket(AgingBucket::D61To90).amount, d("2000"));
}

#[test]
fn aging_of_payables_and_one_currency() {
    let l = fixture();
    let o = AgingOptions {
        as_of: AS_OF,
        kind: Some(InvoiceKind::Payable),
        currency: None,
    };
    let r = aging::aging(&l, &o);
    assert_eq!(r.currencies.len(), 1);
    let eur = &r.currencies[0];
    assert_eq!(eur.bucket(AgingBucket::Current).amount, d("1200"));
    assert_eq!(eur.bucket(AgingBucket::D1To30).amount, d("500"));
    assert_eq!(eur.total, d("1700"));
    // a currency asked for but absent still gets its five rows of zeros
    let gbp = AgingOptions {
        as_of: AS_OF,
        kind: None,
        currency: Some(Currency::GBP),
    };
    assert_eq!(
        csv_of(|w| aging::write_csv(w, &aging::aging(&l, &gbp))),
        "currency,bucket,amount,count\nGBP,current,0.00,0\nGBP,1-30,0.00,0\n\
         GBP,31-60,0.00,0\nGBP,61-90,0.00,0\nGBP,90+,0.00,0\n"
    );
    let jpy = AgingOptions {
        currency: Some(Currency::JPY),
        ..AgingOptions::new(AS_OF)
    };
    let r = aging::aging(&l, &jpy);
    assert_eq!(r.currencies.len(), 1);
    assert_eq!(r.currencies[0].total, d("50000"));
}

#[test]
fn aging_by_party_sorted_by_total() {
    let l = fixture();
    let rows = aging::aging_by_party(&l, &AgingOptions::new(AS_OF));
    assert_eq!(
        csv_of(|w| aging::write_by_party_csv(w, &rows)),
        "party,currency,current,1-30,31-60,61-90,90+,total\n\
         Tanaka KK,JPY,0,50000,0,0,0,50000\n\
         Beta GmbH,EUR,700.00,0.00,0.00,2000.00,0.00,2700.00\n\
         Acme Ltd,USD,0.00,0.00,0.00,0.00,500.00,500.00\n\
         Acme Ltd,EUR,0.00,300.00,0.00,0.00,0.00,300.00\n"
    );
    assert_eq!(rows[1].party, PartyId(BETA));
    assert_eq!(rows[1].count, 2);
    let payables = aging::aging_by_party(
        &l,
        &AgingOptions {
            kind: Some(InvoiceKind::Payable),
            ..AgingOptions::new(AS_OF)
        },
    );
    assert_eq!(payables.len(), 1);
    assert_eq!(payables[0].party_name, "Supplier Co");
    assert_eq!(payables[0].total, d("1700"));
}

#[test]
fn aging_json_and_table() {
    let l = fixture();
    let r = aging::aging(&l, &AgingOptions::new(AS_OF));
    let json: serde_json::Value =
        serde_json::from_str(&csv_of(|w| aging::write_json(w, &r))).unwrap();
    let arr = json.as_array().unwrap();
    assert_eq!(arr.len(), 15);
    assert_eq!(
        arr[3],
        serde_json::json!({"currency": "EUR", "bucket": "61-90", "amount": "2000.00", "count": 1})
    );
    let rows = aging::aging_by_party(&l, &AgingOptions::new(AS_OF));
    let json: serde_json::Value =
        serde_json::from_str(&csv_of(|w| aging::write_by_party_json(w, &rows))).unwrap();
    assert_eq!(json[0]["1-30"], "50000");
    assert_eq!(json[0]["party"], "Tanaka KK");
    let table = csv_of(|w| aging::write_table(w, &r));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "currency  bucket    amount  count");
    assert_eq!(lines[1], "--------  -------  -------  -----");
    assert_eq!(lines[6], "EUR       90+         0.00      0");
    assert_eq!(lines[7], "EUR       total    3000.00      3");
    assert_eq!(lines[9], "JPY       1-30       50000      1");
}

// ---------------------------------------------------------------- customers

#[test]
fn customers_punctuality() {
    let l = fixture();
    let rows = customers::customers(&l, &CustomerOptions::new(AS_OF));
    // Acme EUR: invoiced 1000+500+300 (4 void, 6 after the date), paid 600+400+550 (P4 after),
    // outstanding 300, credit 1550 − (1800 − 300) = 50 (the overpayment of 2);
    // paid 1 (10 days late) and 2 (on time): rate 0.5, mean 5.0 days;
    // invoiced since 03-18 (the 90 days up to 06-15): 500+300 → dso 300/800×90 = 33.75.
    // Acme USD: nothing paid in full, nothing invoiced in the 90 days.
    // Beta EUR: invoiced 4100, paid 1500, outstanding 2000+700, credit 100 (the split's
    // remainder); 8 on time, 9 three days late; invoiced since 03-18: 1000+400+700 = 2100
    // → dso 2700/2100×90 = 115.71.
    // Tanaka JPY: 13 ten days late; dso 50000/170000×90 = 26.47.
    // Supplier Co has no receivables: not listed.
    assert_eq!(
        csv_of(|w| customers::write_csv(w, &rows)),
        "party,currency,invoiced,paid,outstanding,credit,invoices_paid,paid_on_time,on_time_rate,avg_days_late,dso\n\
         Acme Ltd,EUR,1800.00,1550.00,300.00,50.00,2,1,0.5000,5.0,33.8\n\
         Acme Ltd,USD,800.00,300.00,500.00,0.00,0,0,,,\n\
         Beta GmbH,EUR,4100.00,1500.00,2700.00,100.00,2,1,0.5000,1.5,115.7\n\
         Tanaka KK,JPY,170000,120000,50000,0,1,0,0.0000,10.0,26.5\n"
    );
    assert_eq!(rows[1].on_time_rate, None);
}

#[test]
fn recent_days_late_for_sparklines() {
    let l = fixture();
    let keys = [
        (PartyId(ACME), Currency::EUR),
        (PartyId(BETA), Currency::EUR),
        (PartyId(ACME), Currency::USD),
        (PartyId(TANAKA), Currency::JPY),
    ];
    let s = customers::recent_days_late(&l, AS_OF, &keys, 12);
    // Acme: 1 completed 04-10 (10 late), 2 on 04-25 (on time); Beta: 8 and 9 both on
    // 05-01, by invoice id; nothing paid in USD
    assert_eq!(s, vec![vec![10, 0], vec![0, 3], vec![], vec![10]]);
    // the newest only; and as of 04-20 invoice 1 is the only one completed
    let last = customers::recent_days_late(&l, AS_OF, &keys[..1], 1);
    assert_eq!(last, vec![vec![0]]);
    let early = customers::recent_days_late(&l, date!(2025 - 04 - 20), &keys[..1], 12);
    assert_eq!(early, vec![vec![10]]);
}

#[test]
fn customers_sort_orders() {
    let l = fixture();
    let order = |sort: CustomerSort| -> Vec<(String, Currency)> {
        customers::customers(
            &l,
            &CustomerOptions {
                sort,
                ..CustomerOptions::new(AS_OF)
            },
        )
        .into_iter()
        .map(|r| (r.party_name, r.currency))
        .collect()
    };
    let acme_eur = ("Acme Ltd".to_string(), Currency::EUR);
    let acme_usd = ("Acme Ltd".to_string(), Currency::USD);
    let beta = ("Beta GmbH".to_string(), Currency::EUR);
    let tanaka = ("Tanaka KK".to_string(), Currency::JPY);
    // best payers first, ties by name, undefined last
    assert_eq!(
        order(CustomerSort::OnTimeRate),
        [
            acme_eur.clone(),
            beta.clone(),
            tanaka.clone(),
            acme_usd.clone()
        ]
    );
    // latest payers first
    assert_eq!(
        order(CustomerSort::AvgDaysLate),
        [
            tanaka.clone(),
            acme_eur.clone(),
            beta.clone(),
            acme_usd.clone()
        ]
    );
    assert_eq!(
        order(CustomerSort::Outstanding),
        [tanaka, beta, acme_usd, acme_eur]
    );
    assert_eq!(
        "on_time_rate".parse::<CustomerSort>().unwrap(),
        CustomerSort::OnTimeRate
    );
    assert_eq!(
        "avg-days-late".parse::<CustomerSort>().unwrap(),
        CustomerSort::AvgDaysLate
    );
    let e = "speed".parse::<CustomerSort>().unwrap_err().to_string();
    assert!(e.contains("on_time_rate"), "{e}");
}

#[test]
fn customers_one_currency_and_earlier_date() {
    let l = fixture();
    let rows = customers::customers(
        &l,
        &CustomerOptions {
            currency: Some(Currency::USD),
            ..CustomerOptions::new(AS_OF)
        },
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].outstanding, d("500"));
    // On 04-09 invoice 1 is not paid yet (P2 is dated 04-10): nothing paid in full.
    let rows = customers::customers(&l, &CustomerOptions::new(date!(2025 - 04 - 09)));
    let acme = rows
        .iter()
        .find(|r| r.party == PartyId(ACME) && r.currency == Currency::EUR)
        .unwrap();
    assert_eq!(acme.invoiced, d("1500"));
    assert_eq!(acme.paid, d("600"));
    assert_eq!(acme.outstanding, d("900"));
    assert_eq!(acme.credit, d("0"));
    assert_eq!(acme.invoices_paid, 0);
    assert_eq!(acme.avg_days_late, None);
    // Tanaka's invoice 13 (04-01) is not due yet and unpaid: all of it outstanding
    let tanaka = rows.iter().find(|r| r.party == PartyId(TANAKA)).unwrap();
    assert_eq!(tanaka.outstanding, d("120000"));
    assert_eq!(tanaka.dso, Some(d("90.0")));
    let beta = rows.iter().find(|r| r.party == PartyId(BETA)).unwrap();
    assert_eq!(beta.invoiced, d("2000"));
    assert_eq!(
        beta.dso,
        Some(d("90.0")),
        "all of it invoiced within 90 days, none paid"
    );
}

#[test]
fn customers_json_nulls_and_strings() {
    let l = fixture();
    let rows = customers::customers(&l, &CustomerOptions::new(AS_OF));
    let json: serde_json::Value =
        serde_json::from_str(&csv_of(|w| customers::write_json(w, &rows))).unwrap();
    assert_eq!(json[0]["on_time_rate"], "0.5000");
    assert_eq!(json[0]["invoices_paid"], 2);
    assert_eq!(json[0]["credit"], "50.00");
    assert!(json[1]["on_time_rate"].is_null());
    assert!(json[1]["dso"].is_null());
    let keys: Vec<&String> = json[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), customers::COLUMNS.len());
}

// ---------------------------------------------------------------- trend

#[test]
fn trend_months_with_zeros() {
    let l = fixture();
    let rows = trend::trend(&l, AS_OF, 3, None);
    // April: P2 400 + P3 550 in; May: P6 1500 in, Q1 400 out, P7 JPY; June: Q2 250 out
    // (P4 on 06-20 is after the as-of date). USD moved only in February: not listed.
    assert_eq!(
        csv_of(|w| trend::write_csv(w, &rows)),
        "month,currency,incoming,outgoing,net\n\
         2025-04,EUR,950.00,0.00,950.00\n\
         2025-04,JPY,0,0,0\n\
         2025-05,EUR,1500.00,400.00,1100.00\n\
         2025-05,JPY,120000,0,120000\n\
         2025-06,EUR,0.00,250.00,-250.00\n\
         2025-06,JPY,0,0,0\n"
    );
    // the default twelve months of one currency
    let usd = trend::trend(&l, AS_OF, trend::DEFAULT_MONTHS, Some(Currency::USD));
    assert_eq!(usd.len(), 12);
    assert_eq!(usd[0].month_label(), "2024-07");
    assert_eq!(usd[11].month_label(), "2025-06");
    let feb = usd.iter().find(|r| r.month == Month::February).unwrap();
    assert_eq!(feb.incoming, d("300"));
    assert_eq!(usd.iter().map(|r| r.incoming).sum::<Decimal>(), d("300"));
    // across a year boundary
    let rows = trend::trend(&l, date!(2025 - 01 - 15), 3, Some(Currency::EUR));
    let months: Vec<String> = rows.iter().map(|r| r.month_label()).collect();
    assert_eq!(months, ["2024-11", "2024-12", "2025-01"]);
    assert!(rows
        .iter()
        .all(|r| r.incoming.is_zero() && r.outgoing.is_zero()));
    assert!(trend::trend(&l, AS_OF, 0, None).is_empty());
}

#[test]
fn trend_counts_the_as_of_month_up_to_the_date() {
    let l = fixture();
    // P4 is dated 06-20: counted as of 06-30, not as of 06-15
    let june = |as_of| {
        trend::trend(&l, as_of, 1, Some(Currency::EUR))
            .into_iter()
            .next()
            .unwrap()
    };
    assert_eq!(june(AS_OF).incoming, d("0"));
    assert_eq!(june(date!(2025 - 06 - 30)).incoming, d("300"));
}

// ---------------------------------------------------------------- cash flow

#[test]
fn cashflow_predicts_from_punctuality() {
    let l = fixture();
    let rows = cashflow::cashflow(&l, AS_OF, 4);
    // Expected dates (never before 06-15):
    // 3 Acme EUR 300: due 06-09 + Acme's 5 days → 06-14 → 06-15, week of 06-09
    // 5 Acme USD 500: no paid USD invoice → due 02-09 → 06-15
    // 7 Beta EUR 2000: due 04-14 + 1.5 rounded to 2 → 04-16 → 06-15
    // 10 Beta EUR 700: due 06-19 + 2 → 06-21, week of 06-16
    // 14 Tanaka JPY 50000: due 06-14 + 10 → 06-24, week of 06-23
    // payables: 11 (500 left) due 05-31 → 06-15; 12 (1200) due 07-01, week of 06-30
    assert_eq!(
        csv_of(|w| cashflow::write_csv(w, &rows)),
        "week_start,currency,expected_in,expected_out,net\n\
         2025-06-09,EUR,2300.00,500.00,1800.00\n\
         2025-06-09,JPY,0,0,0\n\
         2025-06-09,USD,500.00,0.00,500.00\n\
         2025-06-16,EUR,700.00,0.00,700.00\n\
         2025-06-16,JPY,0,0,0\n\
         2025-06-16,USD,0.00,0.00,0.00\n\
         2025-06-23,EUR,0.00,0.00,0.00\n\
         2025-06-23,JPY,50000,0,50000\n\
         2025-06-23,USD,0.00,0.00,0.00\n\
         2025-06-30,EUR,0.00,1200.00,-1200.00\n\
         2025-06-30,JPY,0,0,0\n\
         2025-06-30,USD,0.00,0.00,0.00\n"
    );
}

#[test]
fn cashflow_leaves_out_beyond_the_horizon() {
    let l = fixture();
    // two weeks: 06-09 and 06-16; Tanaka (06-24) and invoice 12 (07-01) fall outside,
    // so JPY is not listed at all
    let rows = cashflow::cashflow(&l, AS_OF, 2);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.currency != Currency::JPY));
    assert_eq!(
        rows.iter().map(|r| r.expected_out).sum::<Decimal>(),
        d("500")
    );
    assert_eq!(rows[0].week_start, date!(2025 - 06 - 09));
    assert_eq!(
        cashflow::week_start(date!(2025 - 06 - 09)),
        date!(2025 - 06 - 09)
    );
    assert_eq!(
        cashflow::week_start(date!(2025 - 01 - 01)),
        date!(2024 - 12 - 30)
    );
    assert!(cashflow::cashflow(&l, AS_OF, 0).is_empty());
}

// ---------------------------------------------------------------- statement

#[test]
fn statement_running_balance_from_a_date() {
    let l = fixture();
    let st = statement::statement(&l, PartyId(ACME), Some(date!(2025 - 04 - 01)), AS_OF);
    assert_eq!(st.party_name, "Acme Ltd");
    // EUR opening: invoice 1 (1000) − P1 (600) = 400; then +500 −400 −550 +300 → 250
    // (= invoiced 1800 − paid 1550); void 4, invoice 6 and P4 (after the date) left out.
    // USD: 800 − 300 before the period, nothing in it.
    assert_eq!(
        csv_of(|w| statement::write_csv(w, &st)),
        "date,entry,document,detail,currency,debit,credit,balance\n\
         2025-04-01,opening,,,EUR,,,400.00\n\
         2025-04-01,invoice,INV-002,due 2025-05-01,EUR,500.00,,900.00\n\
         2025-04-10,payment_in,P-2,pays INV-001,EUR,,400.00,500.00\n\
         2025-04-25,payment_in,P-3,pays INV-002,EUR,,550.00,-50.00\n\
         2025-05-10,invoice,INV-003,due 2025-06-09,EUR,300.00,,250.00\n\
         2025-06-15,closing,,,EUR,,,250.00\n\
         2025-06-15,aging,current,,EUR,0.00,0.00,\n\
         2025-06-15,aging,1-30,,EUR,300.00,0.00,\n\
         2025-06-15,aging,31-60,,EUR,0.00,0.00,\n\
         2025-06-15,aging,61-90,,EUR,0.00,0.00,\n\
         2025-06-15,aging,90+,,EUR,0.00,0.00,\n\
         2025-04-01,opening,,,USD,,,500.00\n\
         2025-06-15,closing,,,USD,,,500.00\n\
         2025-06-15,aging,current,,USD,0.00,0.00,\n\
         2025-06-15,aging,1-30,,USD,0.00,0.00,\n\
         2025-06-15,aging,31-60,,USD,0.00,0.00,\n\
         2025-06-15,aging,61-90,,USD,0.00,0.00,\n\
         2025-06-15,aging,90+,,USD,500.00,0.00,\n"
    );
}

#[test]
fn statement_of_a_partner_orders_same_day_bills_first() {
    let l = fixture();
    let st = statement::statement(&l, PartyId(SUPPLIER), None, AS_OF);
    let eur = st.currency(Currency::EUR).unwrap();
    assert_eq!(eur.opening, d("0"));
    let lines: Vec<(Date, EntryKind, Decimal)> = eur
        .lines
        .iter()
        .map(|x| (x.date, x.kind, x.balance))
        .collect();
    // bills lower what the party owes us, our payments raise it; on 06-01 the bill first
    assert_eq!(
        lines,
        [
            (date!(2025 - 05 - 01), EntryKind::Bill, d("-900")),
            (date!(2025 - 05 - 20), EntryKind::PaymentOut, d("-500")),
            (date!(2025 - 06 - 01), EntryKind::Bill, d("-1700")),
            (date!(2025 - 06 - 01), EntryKind::PaymentOut, d("-1450")),
        ]
    );
    assert_eq!(eur.closing, d("-1450"));
    assert_eq!(
        eur.aging_payable,
        [d("1200"), d("500"), d("0"), d("0"), d("0")]
    );
    assert_eq!(eur.aging_receivable, [Decimal::ZERO; 5]);
    let csv = csv_of(|w| statement::write_csv(w, &st));
    assert!(csv.starts_with(
        "date,entry,document,detail,currency,debit,credit,balance\n,opening,,,EUR,,,0.00\n"
    ));
    let table = csv_of(|w| statement::write_table(w, &st));
    assert!(table.starts_with("Statement for Supplier Co, up to 2025-06-15\n"));
    assert!(
        table.contains("Aging (we owe): current 1200.00  1-30 500.00"),
        "{table}"
    );
}

#[test]
fn statement_jpy_and_json() {
    let l = fixture();
    let st = statement::statement(&l, PartyId(TANAKA), None, AS_OF);
    let jpy = st.currency(Currency::JPY).unwrap();
    assert_eq!(jpy.closing, d("50000"));
    let json: serde_json::Value =
        serde_json::from_str(&csv_of(|w| statement::write_json(w, &st))).unwrap();
    // opening, 13, P7, 14, closing, five aging rows
    assert_eq!(json.as_array().unwrap().len(), 10);
    assert!(json[0]["date"].is_null());
    assert_eq!(json[1]["debit"], "120000");
    assert!(json[1]["credit"].is_null());
    assert_eq!(json[4]["entry"], "closing");
    assert_eq!(json[4]["balance"], "50000");
    // an unknown party: an empty statement, no panic
    let none = statement::statement(&l, PartyId(99), None, AS_OF);
    assert!(none.currencies.is_empty());
}

// ---------------------------------------------------------------- output safety

#[test]
fn text_from_data_is_neutralised_and_sanitised() {
    let mut l = fixture();
    let mut p = l.party(PartyId(BETA)).unwrap().clone();
    p.name = "=HYPERLINK(\"x\"),\u{1b}[31mevil".into();
    l.upsert_party(p);
    let rows = aging::aging_by_party(&l, &AgingOptions::new(AS_OF));
    let csv = csv_of(|w| aging::write_by_party_csv(w, &rows));
    // a spreadsheet must not see a formula; CSV quoting keeps the comma in the cell
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"x\"\"),\u{1b}[31mevil\",EUR,700.00"),
        "{csv}"
    );
    let table = csv_of(|w| aging::write_by_party_table(w, &rows));
    assert!(!table.contains('\u{1b}'));
    assert!(table.contains("\u{241b}[31mevil"));
    // JSON carries the name as it is
    let json: serde_json::Value =
        serde_json::from_str(&csv_of(|w| aging::write_by_party_json(w, &rows))).unwrap();
    assert_eq!(json[1]["party"], "=HYPERLINK(\"x\"),\u{1b}[31mevil");
    assert_eq!("json".parse::<Format>().unwrap(), Format::Json);
}

#[test]
fn dangling_and_huge_party_ids_still_count() {
    use Currency as C;
    let l = Ledger::from_records(
        vec![party(1, "Known", PartyRole::Customer)],
        vec![
            inv(
                1,
                1,
                InvoiceKind::Receivable,
                C::EUR,
                "100",
                date!(2025 - 05 - 01),
                date!(2025 - 05 - 31),
                false,
            ),
            inv(
                2,
                u64::MAX / 3,
                InvoiceKind::Receivable,
                C::EUR,
                "40",
                date!(2025 - 05 - 01),
                date!(2025 - 05 - 31),
                false,
            ),
            inv(
                3,
                u64::MAX / 3,
                InvoiceKind::Receivable,
                C::USD,
                "7",
                date!(2025 - 05 - 01),
                date!(2025 - 07 - 31),
                false,
            ),
        ],
        vec![pay(
            1,
            u64::MAX / 3,
            Direction::In,
            C::EUR,
            "50",
            date!(2025 - 06 - 01),
            &[(2, "40")],
        )],
    );
    let rows = customers::customers(&l, &CustomerOptions::new(AS_OF));
    let far: Vec<_> = rows.iter().filter(|r| r.party_name == "?").collect();
    assert_eq!(far.len(), 2);
    let eur = far.iter().find(|r| r.currency == C::EUR).unwrap();
    assert_eq!(
        (eur.paid, eur.outstanding, eur.credit),
        (d("50"), d("0"), d("10"))
    );
    let by_party = aging::aging_by_party(&l, &AgingOptions::new(AS_OF));
    assert_eq!(by_party.len(), 2);
    assert_eq!(by_party[0].party_name, "Known");
    assert_eq!(by_party[1].total, d("7"));
}

#[test]
fn empty_ledger_gives_headers_only() {
    let l = Ledger::new();
    let r = aging::aging(&l, &AgingOptions::new(AS_OF));
    assert_eq!(
        csv_of(|w| aging::write_csv(w, &r)),
        "currency,bucket,amount,count\n"
    );
    let c = customers::customers(&l, &CustomerOptions::new(AS_OF));
    assert_eq!(
        csv_of(|w| customers::write_csv(w, &c)),
        format!("{}\n", customers::COLUMNS.join(","))
    );
    assert_eq!(csv_of(|w| customers::write_json(w, &c)), "[]\n");
    assert!(trend::trend(&l, AS_OF, 12, None).is_empty());
    assert!(cashflow::cashflow(&l, AS_OF, 13).is_empty());
}

// ---------------------------------------------------------------- random ledgers

/// A generated invoice: party, payable, JPY, issue day, terms, void (every 7th), amount.
type GenInvoice = (u8, bool, bool, u16, u8, u8, u32);
/// A generated payment: party, outgoing, JPY, day, unallocated amount, allocations
/// (invoice pick, amount; incompatible picks are dropped).
type GenPayment = (u8, bool, bool, u16, u32, Vec<(u16, u32)>);

/// A random ledger: a few parties, invoices of both kinds in EUR and JPY, some void, and
/// payments that pay them partly, fully or beyond, with splits and unallocated money.
fn random_ledger(invoices: Vec<GenInvoice>, payments: Vec<GenPayment>) -> Ledger {
    let base = date!(2025 - 01 - 01);
    let cur = |jpy: bool| if jpy { Currency::JPY } else { Currency::EUR };
    let invs: Vec<Invoice> = invoices
        .iter()
        .enumerate()
        .map(|(i, &(party, payable, jpy, issue, terms, void, cents))| {
            let issue = base + Duration::days(i64::from(issue % 365));
            Invoice {
                id: InvoiceId(i as u64 + 1),
                number: format!("INV-{i}"),
                party: PartyId(u64::from(party % 3) + 1),
                kind: if payable {
                    InvoiceKind::Payable
                } else {
                    InvoiceKind::Receivable
                },
                issue_date: issue,
                due_date: issue + Duration::days(i64::from(terms % 120)),
                amount: amount(jpy, cents),
                currency: cur(jpy),
                notes: String::new(),
                void: void % 7 == 0,
            }
        })
        .collect();
    let pays: Vec<Payment> = payments
        .into_iter()
        .enumerate()
        .map(|(i, (party, out, jpy, day, cents, allocs))| {
            let party = PartyId(u64::from(party % 3) + 1);
            let currency = cur(jpy);
            let direction = if out { Direction::Out } else { Direction::In };
            let mut allocations: Vec<Allocation> = Vec::new();
            for (pick, a_cents) in allocs {
                if invs.is_empty() {
                    break;
                }
                let target = &invs[usize::from(pick) % invs.len()];
                let ok = target.party == party
                    && target.currency == currency
                    && target.kind == direction.invoice_kind()
                    && !allocations.iter().any(|a| a.invoice == target.id);
                if ok {
                    allocations.push(Allocation {
                        invoice: target.id,
                        amount: amount(jpy, a_cents),
                    });
                }
            }
            let allocated: Decimal = allocations.iter().map(|a| a.amount).sum();
            Payment {
                id: PaymentId(i as u64 + 1),
                party,
                direction,
                // some payments are fully allocated, the others keep a remainder as credit
                amount: if allocated.is_zero() || cents % 3 == 0 {
                    allocated + amount(jpy, cents % 5000)
                } else {
                    allocated
                },
                currency,
                date: base + Duration::days(i64::from(day % 400)),
                method: Method::Cash,
                reference: String::new(),
                notes: String::new(),
                allocations,
                source: None,
            }
        })
        .collect();
    let parties = (1..=3)
        .map(|i| party(i, &format!("Party {i}"), PartyRole::Both))
        .collect();
    Ledger::from_records(parties, invs, pays)
}

fn amount(jpy: bool, cents: u32) -> Decimal {
    if jpy {
        Decimal::from(cents % 100_000 + 1)
    } else {
        Decimal::new(i64::from(cents % 1_000_000) + 1, 2)
    }
}

/// Outstanding as of `as_of` straight from the domain rules, per (kind, currency).
fn naive_outstanding(l: &Ledger, kind: InvoiceKind, cur: Currency, as_of: Date) -> Decimal {
    let rules = StatusRules::new(as_of);
    l.invoices()
        .iter()
        .filter(|i| i.kind == kind && i.currency == cur && !i.void && i.issue_date <= as_of)
        .map(|i| l.settlement(i, &rules).outstanding)
        .sum()
}

fn check_consistency(l: &Ledger, as_of: Date) {
    for kind in [InvoiceKind::Receivable, InvoiceKind::Payable] {
        let o = AgingOptions {
            as_of,
            kind: Some(kind),
            currency: None,
        };
        let r = aging::aging(l, &o);
        let by_party = aging::aging_by_party(l, &o);
        for c in [Currency::EUR, Currency::JPY] {
            let want = naive_outstanding(l, kind, c, as_of);
            let got = r.currency(c).map(|a| a.total).unwrap_or_default();
            assert_eq!(got, want, "{kind} {c} total");
            if let Some(a) = r.currency(c) {
                let sum: Decimal = a.buckets.iter().map(|b| b.amount).sum();
                assert_eq!(sum, a.total, "buckets add up to the total");
                assert_eq!(a.buckets.iter().map(|b| b.count).sum::<usize>(), a.count);
            }
            let parties: Decimal = by_party
                .iter()
                .filter(|p| p.currency == c)
                .map(|p| p.total)
                .sum();
            assert_eq!(parties, want, "by party adds up");
        }
        assert!(by_party.windows(2).all(|w| w[0].total >= w[1].total));
        assert!(by_party.iter().all(|p| p.total > Decimal::ZERO));
    }
    // customers: outstanding equals the receivable aging; paid equals incoming payments
    let rows = customers::customers(l, &CustomerOptions::new(as_of));
    for c in [Currency::EUR, Currency::JPY] {
        let out: Decimal = rows
            .iter()
            .filter(|r| r.currency == c)
            .map(|r| r.outstanding)
            .sum();
        assert_eq!(out, naive_outstanding(l, InvoiceKind::Receivable, c, as_of));
        let paid: Decimal = rows
            .iter()
            .filter(|r| r.currency == c)
            .map(|r| r.paid)
            .sum();
        let want: Decimal = l
            .payments()
            .iter()
            .filter(|p| p.direction == Direction::In && p.currency == c && p.date <= as_of)
            .map(|p| p.amount)
            .sum();
        assert_eq!(paid, want);
    }
    for r in &rows {
        assert!(r.paid_on_time <= r.invoices_paid);
        assert!(r.credit >= Decimal::ZERO, "{r:?}");
        let naive_paid = l
            .invoices()
            .iter()
            .filter(|i| {
                i.party == r.party
                    && i.currency == r.currency
                    && i.kind == InvoiceKind::Receivable
                    && i.issue_date <= as_of
                    && l.completion_date(i, as_of).is_some()
            })
            .count() as u64;
        assert_eq!(r.invoices_paid, naive_paid);
    }
    // cash flow over ten years expects every outstanding amount exactly once
    let flow = cashflow::cashflow(l, as_of, cashflow::MAX_WEEKS);
    for c in [Currency::EUR, Currency::JPY] {
        let f = flow.iter().filter(|r| r.currency == c);
        let (i, o): (Decimal, Decimal) = f.fold((Decimal::ZERO, Decimal::ZERO), |(i, o), r| {
            (i + r.expected_in, o + r.expected_out)
        });
        assert_eq!(i, naive_outstanding(l, InvoiceKind::Receivable, c, as_of));
        assert_eq!(o, naive_outstanding(l, InvoiceKind::Payable, c, as_of));
    }
    // trend over all months since 2025 adds up to the payments
    let t = trend::trend(l, as_of, 48, None);
    for c in [Currency::EUR, Currency::JPY] {
        let got: Decimal = t.iter().filter(|r| r.currency == c).map(|r| r.net).sum();
        let want: Decimal = l
            .payments()
            .iter()
            .filter(|p| p.currency == c && p.date <= as_of)
            .map(|p| match p.direction {
                Direction::In => p.amount,
                Direction::Out => -p.amount,
            })
            .sum();
        assert_eq!(got, want, "trend net {c}");
    }
    // statements: the closing balance is invoiced − paid, whatever the period start
    for party in 1..=3 {
        let full = statement::statement(l, PartyId(party), None, as_of);
        let part = statement::statement(l, PartyId(party), Some(date!(2025 - 05 - 01)), as_of);
        for s in &full.currencies {
            let c = s.currency;
            let want: Decimal = l
                .invoices()
                .iter()
                .filter(|i| {
                    i.party == PartyId(party) && i.currency == c && !i.void && i.issue_date <= as_of
                })
                .map(|i| match i.kind {
                    InvoiceKind::Receivable => i.amount,
                    InvoiceKind::Payable => -i.amount,
                })
                .sum::<Decimal>()
                - l.payments()
                    .iter()
                    .filter(|p| p.party == PartyId(party) && p.currency == c && p.date <= as_of)
                    .map(|p| match p.direction {
                        Direction::In => p.amount,
                        Direction::Out => -p.amount,
                    })
                    .sum::<Decimal>();
            assert_eq!(s.closing, want);
            assert_eq!(part.currency(c).map(|x| x.closing), Some(want));
            assert!(s.lines.windows(2).all(|w| w[0].date <= w[1].date));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn reports_agree_with_the_domain_rules(
        invoices in prop::collection::vec(
            (any::<u8>(), any::<bool>(), any::<bool>(), any::<u16>(), any::<u8>(), any::<u8>(), any::<u32>()),
            0..40,
        ),
        payments in prop::collection::vec(
            (any::<u8>(), any::<bool>(), any::<bool>(), any::<u16>(), any::<u32>(),
             prop::collection::vec((any::<u16>(), any::<u32>()), 0..4)),
            0..40,
        ),
        as_of_day in 0i64..450,
    ) {
        let l = random_ledger(invoices, payments);
        check_consistency(&l, date!(2025 - 01 - 01) + Duration::days(as_of_day));
    }
}

/// Large enough that every pass is split over threads: the merged results must equal the
/// domain rules applied one invoice at a time.
#[test]
fn parallel_passes_agree_with_the_domain_rules() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let invoices: Vec<_> = (0..60_000)
        .map(|_| {
            let r = next();
            (
                r as u8,
                r & 0x100 != 0,
                r & 0x200 != 0,
                (r >> 10) as u16,
                (r >> 26) as u8,
                (r >> 34) as u8,
                (r >> 42) as u32,
            )
        })
        .collect();
    let payments: Vec<_> = (0..60_000)
        .map(|i| {
            let r = next();
            let inv = (i % 60_000) as u16;
            (
                r as u8,
                r & 0x100 != 0,
                r & 0x200 != 0,
                (r >> 10) as u16,
                (r >> 26) as u32,
                vec![(inv, (r >> 40) as u32)],
            )
        })
        .collect();
    let l = random_ledger(invoices, payments);
    assert!(
        l.payments()
            .iter()
            .filter(|p| !p.allocations.is_empty())
            .count()
            > 1000
    );
    check_consistency(&l, date!(2025 - 08 - 31));
}
