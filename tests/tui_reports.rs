//! The Reports tab: snapshots of each report at 80x24 and 120x40 with a fixed today,
//! the overdue role (and the NO_COLOR shape) of the aging bars, keys that switch report,
//! currency, as-of date and period, drilling from a figure to the filtered list, and the
//! reports being computed on the worker thread.

use paytrack::domain::aging::{age_invoice, AgingBucket};
use paytrack::domain::ledger::Ledger;
use paytrack::domain::{
    Allocation, Currency, Direction, Invoice, InvoiceId, InvoiceKind, Method, Party, PartyId,
    PartyRole, Payment, PaymentId,
};
use paytrack::report::aging::{aging, AgingOptions};
use paytrack::tui::testing::{buffer_lines, Harness, HarnessOptions, FIXTURE_TODAY};
use paytrack::tui::theme::{ColorDepth, Role, Theme};
use paytrack::tui::views::ListKind;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;
use rust_decimal::Decimal;
use time::macros::date;
use time::{Date, Duration};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn has(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

fn screen(lines: &[String]) -> String {
    lines.join("\n")
}

/// The line holding `needle`.
fn line_with<'a>(lines: &'a [String], needle: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{}", lines.join("\n")))
}

/// (x, y) of the first occurrence of `needle` in the buffer, in cells.
fn find(b: &Buffer, needle: &str) -> Option<(u16, u16)> {
    for (y, l) in buffer_lines(b).iter().enumerate() {
        if let Some(byte) = l.find(needle) {
            return Some((l[..byte].chars().count() as u16, y as u16));
        }
    }
    None
}

/// The shown figures of an aging bucket row: (amount text, count text).
fn bucket_row(lines: &[String], label: &str) -> (String, String) {
    let l = lines
        .iter()
        .find(|l| {
            l.trim_start_matches('│')
                .trim_start_matches(['>', '!', ' '])
                .starts_with(&format!("{label} "))
        })
        .unwrap_or_else(|| panic!("no row {label} in\n{}", lines.join("\n")));
    let words: Vec<&str> = l.trim_end_matches('│').split_whitespace().collect();
    let n = words.len();
    (
        format!("{} {}", words[n - 3], words[n - 2]),
        words[n - 1].to_string(),
    )
}

fn snap_all(w: u16, h: u16) {
    let mut hs = Harness::new(w, h);
    hs.keys("5");
    for (i, name) in ["aging", "punctuality", "trend", "cashflow"]
        .iter()
        .enumerate()
    {
        if i > 0 {
            hs.keys("]");
        }
        let s = screen(&hs.draw());
        insta::assert_snapshot!(format!("reports_{name}_{w}x{h}"), s);
    }
}

#[test]
fn snapshot_each_report_80x24() {
    snap_all(80, 24);
}

#[test]
fn snapshot_each_report_120x40() {
    snap_all(120, 40);
}

#[test]
fn aging_shows_the_fixture_figures_with_the_currency() {
    let mut h = Harness::new(80, 24);
    let lines = h.keys("5");
    assert!(has(&lines, "Aging as of 2026-12-03 · receivables · EUR"));
    // INV-003 750 due 12-08 is current; INV-002 has 300 left, 19 days late; INV-004 is
    // 94 days late.
    assert_eq!(
        bucket_row(&lines, "current"),
        ("750.00 EUR".into(), "1".into())
    );
    assert_eq!(
        bucket_row(&lines, "1-30"),
        ("300.00 EUR".into(), "1".into())
    );
    assert_eq!(bucket_row(&lines, "31-60"), ("0.00 EUR".into(), "0".into()));
    assert_eq!(bucket_row(&lines, "90+"), ("300.00 EUR".into(), "1".into()));
    assert_eq!(
        bucket_row(&lines, "total"),
        ("1350.00 EUR".into(), "3".into())
    );
    // the axis is labelled with the currency
    assert!(has(&lines, "outstanding, EUR"));
    assert!(line_with(&lines, "750.00 EUR  ")
        .trim_start_matches('│')
        .contains('0'));
}

#[test]
fn overdue_aging_bars_use_the_overdue_role() {
    let styles = Theme::default_theme().styles(ColorDepth::Ansi256);
    let overdue = styles.get(Role::Overdue);
    let mut h = Harness::new(80, 24);
    h.keys("5");
    let b = h.buffer().clone();
    let bar_start = |label: &str| {
        let (x, y) = find(&b, label).unwrap();
        // the bar starts after the label column
        let mut bx = x + label.chars().count() as u16;
        while b[(bx, y)].symbol() == " " {
            bx += 1;
        }
        (bx, y)
    };
    for label in ["1-30", "90+"] {
        let (x, y) = bar_start(label);
        assert_eq!(b[(x, y)].symbol(), "█", "{label}");
        for dx in 0..5 {
            assert_eq!(
                b[(x + dx, y)].fg,
                overdue.fg.unwrap(),
                "{label} bar cell {dx}"
            );
        }
        // the label and the amount are in the role too
        let (lx, ly) = find(&b, label).unwrap();
        assert_eq!(b[(lx, ly)].fg, overdue.fg.unwrap());
        let (ax, ay) = find(&b, "300.00 EUR").unwrap();
        assert_eq!(b[(ax, ay)].fg, overdue.fg.unwrap());
    }
    let (x, y) = bar_start("current");
    assert_eq!(b[(x, y)].symbol(), "█");
    assert_ne!(b[(x, y)].fg, overdue.fg.unwrap(), "current is not overdue");
}

#[test]
fn without_colour_overdue_bars_are_shaded_and_bold() {
    let mut o = HarnessOptions::fixture(80, 24);
    o.styles = Some(Theme::default_theme().styles(ColorDepth::NoColor));
    let mut h = Harness::with(o);
    let lines = h.keys("5");
    let b = h.buffer().clone();
    let cur = line_with(&lines, "current");
    let late = line_with(&lines, "1-30");
    let old = line_with(&lines, "90+");
    assert!(cur.contains('█') && !cur.contains('▒'), "{cur}");
    assert!(late.contains('▒') && !late.contains('█'), "{late}");
    assert!(old.contains('▒'), "{old}");
    let (x, y) = find(&b, "▒").unwrap();
    assert!(b[(x, y)].modifier.contains(Modifier::BOLD));
    assert_eq!(b[(x, y)].fg, ratatui::style::Color::Reset, "no colour");
    // and the overdue labels carry the marker
    assert!(late.contains("! 1-30"), "{late}");
    assert!(!cur.contains('!'));
}

#[test]
fn keys_switch_report_currency_as_of_and_period() {
    let mut h = Harness::new(80, 24);
    h.keys("5");
    let lines = h.keys("]");
    assert!(
        has(&lines, "Punctuality as of 2026-12-03 · EUR"),
        "{}",
        screen(&lines)
    );
    // Acme paid INV-001 19 days late: 0% on time, 19.0 days late on average
    let acme = line_with(&lines, "Acme Corp");
    assert!(acme.contains("0.0%") && acme.contains("19.0 d"), "{acme}");
    let lines = h.keys("]");
    assert!(has(
        &lines,
        "Payments in and out per month · EUR · 12 months to 2026-12"
    ));
    let lines = h.keys("]");
    assert!(has(
        &lines,
        "Cash-flow outlook · EUR · 13 weeks from 2026-11-30"
    ));
    let lines = h.keys("]");
    assert!(has(&lines, "Aging as of"), "wraps around");
    let lines = h.keys("[");
    assert!(has(&lines, "Cash-flow outlook"), "and back");
    h.keys("]");

    // currency: EUR (most used) -> JPY -> USD -> EUR
    let lines = h.keys("c");
    assert!(has(&lines, "Aging as of 2026-12-03 · receivables · JPY"));
    assert!(
        line_with(&lines, "current").contains("100000 JPY"),
        "{}",
        screen(&lines)
    );
    let lines = h.keys("c");
    assert!(has(&lines, "· USD "));
    assert!(line_with(&lines, "total").contains("0.00 USD"));
    let lines = h.keys("C C");
    assert!(has(&lines, "· EUR "), "C goes back");

    // as of a month earlier: INV-001 was paid (10-20), INV-002 had 300 left and was not
    // due yet, INV-003 not issued, INV-004 64 days late.
    let lines = h.keys("<");
    assert!(has(&lines, "Aging as of 2026-11-03"), "{}", screen(&lines));
    assert_eq!(
        bucket_row(&lines, "current"),
        ("300.00 EUR".into(), "1".into())
    );
    assert_eq!(bucket_row(&lines, "1-30"), ("0.00 EUR".into(), "0".into()));
    assert_eq!(
        bucket_row(&lines, "61-90"),
        ("300.00 EUR".into(), "1".into())
    );
    assert_eq!(
        bucket_row(&lines, "total"),
        ("600.00 EUR".into(), "2".into())
    );
    let lines = h.keys("<");
    assert!(has(&lines, "Aging as of 2026-10-03"));
    let lines = h.keys(">");
    assert!(has(&lines, "Aging as of 2026-11-03"));
    // never beyond today
    let lines = h.keys("> >");
    assert!(has(&lines, "Aging as of 2026-12-03"));
    assert!(has(&lines, "cannot look ahead"), "{}", screen(&lines));
    let lines = h.keys("< < t");
    assert!(has(&lines, "Aging as of 2026-12-03"), "t resets to today");
    assert_eq!(
        bucket_row(&lines, "total"),
        ("1350.00 EUR".into(), "3".into())
    );

    // receivables / payables
    let lines = h.keys("r");
    assert!(has(&lines, "Aging as of 2026-12-03 · payables · EUR"));
    assert_eq!(
        bucket_row(&lines, "1-30"),
        ("400.00 EUR".into(), "1".into())
    );
    h.keys("r");

    // period of the trend: 12 -> 24 -> 6 months; of the outlook: 13 -> 26 weeks
    h.keys("] ]");
    let lines = h.keys("p");
    assert!(has(&lines, "· 24 months to 2026-12"), "{}", screen(&lines));
    let lines = h.keys("p");
    assert!(has(&lines, "· 6 months to 2026-12"));
    assert!(
        has(&lines, "Jul") && !has(&lines, "Jun "),
        "{}",
        screen(&lines)
    );
    let lines = h.keys("]");
    let lines2 = h.keys("p");
    assert!(has(&lines, "13 weeks") && has(&lines2, "26 weeks from 2026-11-30"));

    // the as-of date moves the trend too
    h.keys("[");
    let lines = h.keys("<");
    assert!(has(&lines, "6 months to 2026-11"), "{}", screen(&lines));
}

#[test]
fn trend_selection_moves_and_shows_the_month_in_full() {
    let mut h = Harness::new(80, 24);
    let lines = h.keys("5 ] ]");
    assert!(has(
        &lines,
        "Dec 2026: in 0.00 EUR · out 0.00 EUR · net 0.00 EUR"
    ));
    let lines = h.keys("left left");
    assert!(
        has(
            &lines,
            "Oct 2026: in 1000.00 EUR · out 250.00 EUR · net 750.00 EUR"
        ),
        "{}",
        screen(&lines)
    );
    assert!(has(&lines, "/ date:2026-10 currency:EUR"));
    let lines = h.keys("l");
    assert!(has(&lines, "Nov 2026: in 350.00 EUR"));
    // the value axis is labelled with the currency's amounts
    assert!(
        has(&lines, "1000.00┤") && has(&lines, "      0┤"),
        "{}",
        screen(&lines)
    );
}

#[test]
fn help_lists_the_report_keys() {
    let mut h = Harness::new(120, 40);
    let lines = h.keys("? pgdn pgdn");
    let all = screen(&lines);
    for (key, desc) in [
        ("]", "Reports: next report"),
        ("c", "Reports: next currency"),
        ("<", "Reports: as-of date one month back"),
        ("t", "Reports: as-of date today"),
        ("p", "Reports: period (trend months, outlook weeks)"),
    ] {
        let l = line_with(&lines, desc);
        assert!(l.contains(&format!("  {key} ")), "{l}\n{all}");
    }
}

/// The invoice ids the Invoices list shows.
fn shown_invoices(h: &Harness) -> Vec<InvoiceId> {
    let l = h.app.ledger();
    let mut v: Vec<InvoiceId> = h
        .app
        .list(ListKind::Invoices)
        .result
        .rows
        .iter()
        .map(|&p| l.invoices()[p as usize].id)
        .collect();
    v.sort();
    v
}

/// The invoices an aging bucket counts, as the domain ages them.
fn bucket_invoices(
    l: &Ledger,
    kind: InvoiceKind,
    cur: Currency,
    as_of: Date,
    b: usize,
) -> Vec<InvoiceId> {
    let mut v: Vec<InvoiceId> = l
        .invoices()
        .iter()
        .filter(|i| i.kind == kind && i.currency == cur)
        .filter(|i| age_invoice(l, i, as_of).is_some_and(|e| e.bucket == AgingBucket::ALL[b]))
        .map(|i| i.id)
        .collect();
    v.sort();
    v
}

#[test]
fn enter_on_a_bucket_opens_the_invoices_it_counts_with_the_filter_shown() {
    let mut h = Harness::new(140, 30);
    h.keys("5");
    let lines = h.keys("j");
    assert!(has(
        &lines,
        "/ kind:receivable status:overdue due:<=-1d due:>=-30d currency:EUR"
    ));
    let lines = h.keys("enter");
    // the Invoices tab, its filter bar open with the bucket's filter
    assert_eq!(h.app.tab, paytrack::tui::Tab::Invoices);
    let bar = line_with(&lines, "/ kind:");
    assert!(
        bar.contains("/ kind:receivable status:overdue due:<=-1d due:>=-30d currency:EUR"),
        "{bar}"
    );
    assert!(has(&lines, "1 matches"), "{}", screen(&lines));
    assert!(has(&lines, "INV-002"));
    assert!(has(
        &lines,
        "aging 1-30 (receivables, EUR, as of 2026-12-03): 1 invoice, 300.00 EUR outstanding"
    ));
    assert_eq!(h.app.list(ListKind::Invoices).len(), 1);
    // enter keeps the filter; the list stays filtered
    let lines = h.keys("enter");
    assert!(h.app.filter_bar.is_none());
    assert!(
        has(&lines, "filter: kind:receivable status:overdue"),
        "{}",
        screen(&lines)
    );
    // every bucket: the rows are exactly the bucket's invoices, and as many as it counts
    let l = h.app.ledger().clone();
    let report = aging(&l, &AgingOptions::new(FIXTURE_TODAY));
    let eur = report.currency(Currency::EUR).unwrap();
    for b in 0..5 {
        h.keys("5 g g");
        for _ in 0..b {
            h.keys("j");
        }
        h.keys("enter");
        assert_eq!(
            h.app.list(ListKind::Invoices).len(),
            eur.buckets[b].count,
            "bucket {b}"
        );
        assert_eq!(
            shown_invoices(&h),
            bucket_invoices(&l, InvoiceKind::Receivable, Currency::EUR, FIXTURE_TODAY, b)
        );
        h.keys("esc");
    }
}

fn party(id: u64, name: &str) -> Party {
    Party {
        id: PartyId(id),
        name: name.into(),
        role: PartyRole::Customer,
        email: String::new(),
        terms_days: None,
        notes: String::new(),
    }
}

/// Invoices due on every edge of every bucket, in two kinds and two currencies, some
/// paid, partly paid, overpaid, void, or issued after today.
fn edge_ledger(today: Date) -> Ledger {
    let mut invoices = Vec::new();
    let mut payments = Vec::new();
    let mut id = 0u64;
    let days = [-10i64, 0, 1, 30, 31, 60, 61, 90, 91, 400];
    for kind in [InvoiceKind::Receivable, InvoiceKind::Payable] {
        for cur in [Currency::EUR, Currency::USD] {
            for (k, d) in days.iter().enumerate() {
                for variant in 0..4 {
                    id += 1;
                    let due = today - Duration::days(*d);
                    let issue = due - Duration::days(30);
                    let mut inv = Invoice {
                        id: InvoiceId(id),
                        number: format!("E-{id}"),
                        party: PartyId(1 + (k as u64 % 2)),
                        kind,
                        issue_date: issue,
                        due_date: due,
                        amount: dec("100"),
                        currency: cur,
                        notes: String::new(),
                        void: variant == 3 && k % 2 == 0,
                    };
                    let direction = match kind {
                        InvoiceKind::Receivable => Direction::In,
                        InvoiceKind::Payable => Direction::Out,
                    };
                    let paid = match variant {
                        1 => Some("40"),                // partial
                        2 => Some("100"),               // paid
                        3 if k % 2 == 1 => Some("150"), // overpaid
                        _ => None,
                    };
                    if let Some(a) = paid {
                        payments.push(Payment {
                            id: PaymentId(id),
                            party: inv.party,
                            direction,
                            amount: dec(a),
                            currency: cur,
                            date: issue + Duration::days(5),
                            method: Method::BankTransfer,
                            reference: format!("P-{id}"),
                            notes: String::new(),
                            allocations: vec![Allocation {
                                invoice: inv.id,
                                amount: dec(a),
                            }],
                            source: None,
                        });
                    }
                    if variant == 0 && k == 0 {
                        // issued after today, due later still: not aged yet
                        inv.issue_date = today + Duration::days(2);
                        inv.due_date = today + Duration::days(20);
                    }
                    invoices.push(inv);
                }
            }
        }
    }
    Ledger::from_records(
        vec![party(1, "Acme Corp"), party(2, "Zeta AG")],
        invoices,
        payments,
    )
}

#[test]
fn bucket_filters_select_exactly_the_bucket_on_every_edge() {
    let today = date!(2026 - 06 - 15);
    let l = edge_ledger(today);
    let mut o = HarnessOptions::fixture(100, 30);
    o.ledger = l.clone();
    o.today = today;
    let mut h = Harness::with(o);
    for kind in [InvoiceKind::Receivable, InvoiceKind::Payable] {
        for cur in [Currency::EUR, Currency::USD] {
            let report = aging(
                &l,
                &AgingOptions {
                    as_of: today,
                    kind: Some(kind),
                    currency: Some(cur),
                },
            );
            h.app.reports.kind = kind;
            h.app.reports.chosen_currency = Some(cur);
            for b in 0..5 {
                h.keys("5 g g");
                assert_eq!(h.app.reports.currency(), Some(cur));
                for _ in 0..b {
                    h.keys("j");
                }
                h.keys("enter");
                let want = bucket_invoices(&l, kind, cur, today, b);
                assert!(!want.is_empty(), "edge ledger covers bucket {b}");
                assert_eq!(want.len(), report.currencies[0].buckets[b].count);
                assert_eq!(shown_invoices(&h), want, "{kind:?} {cur} bucket {b}");
                h.keys("esc");
            }
        }
    }
}

#[test]
fn an_earlier_as_of_lists_the_bucket_invoices_still_unpaid_today() {
    let mut h = Harness::new(140, 30);
    // as of 2026-11-03 INV-004 is 64 days late (61-90)
    h.keys("5 < j j j");
    let lines = h.keys("enter");
    let bar = line_with(&lines, "/ kind:");
    assert!(
        bar.contains("kind:receivable status:open,partial due:2026-08-05..2026-09-03 currency:EUR"),
        "{bar}"
    );
    assert!(
        has(&lines, "(those still unpaid today)"),
        "{}",
        screen(&lines)
    );
    let l = h.app.ledger().clone();
    let inv4 = l.invoice_by_number("INV-004").unwrap().id;
    assert_eq!(shown_invoices(&h), vec![inv4]);
}

#[test]
fn enter_on_a_customer_or_a_month_opens_its_list() {
    let mut h = Harness::new(100, 30);
    let lines = h.keys("5 ]");
    assert!(has(
        &lines,
        r#"/ party:"Acme Corp" kind:receivable currency:EUR"#
    ));
    let lines = h.keys("enter");
    assert_eq!(h.app.tab, paytrack::tui::Tab::Invoices);
    assert!(has(
        &lines,
        r#"/ party:"Acme Corp" kind:receivable currency:EUR"#
    ));
    // INV-001, INV-002 and the void INV-007
    assert_eq!(
        h.app.list(ListKind::Invoices).len(),
        3,
        "{}",
        screen(&lines)
    );
    assert!(has(&lines, "INV-001") && has(&lines, "INV-002") && has(&lines, "INV-007"));
    h.keys("esc esc");
    // a month of the trend opens its payments
    h.keys("5 ] left left");
    let lines = h.keys("enter");
    assert_eq!(h.app.tab, paytrack::tui::Tab::Payments);
    assert!(
        has(&lines, "/ date:2026-10 currency:EUR"),
        "{}",
        screen(&lines)
    );
    assert_eq!(h.app.list(ListKind::Payments).len(), 2);
    assert!(has(&lines, "ACME-1020") && has(&lines, "BLUE-OCT"));
}

#[test]
fn punctuality_sparkline_shows_days_late_of_the_last_paid_invoices() {
    // one customer, five invoices paid 0, 3, 0, 10 and 30 days late, in that order
    let today = date!(2026 - 06 - 30);
    let mut invoices = Vec::new();
    let mut payments = Vec::new();
    for (i, late) in [0i64, 3, 0, 10, 30].iter().enumerate() {
        let id = i as u64 + 1;
        let due = date!(2026 - 01 - 31) + Duration::days(20 * i as i64);
        invoices.push(Invoice {
            id: InvoiceId(id),
            number: format!("S-{id}"),
            party: PartyId(1),
            kind: InvoiceKind::Receivable,
            issue_date: due - Duration::days(30),
            due_date: due,
            amount: dec("100"),
            currency: Currency::EUR,
            notes: String::new(),
            void: false,
        });
        payments.push(Payment {
            id: PaymentId(id),
            party: PartyId(1),
            direction: Direction::In,
            amount: dec("100"),
            currency: Currency::EUR,
            date: due + Duration::days(*late),
            method: Method::BankTransfer,
            reference: String::new(),
            notes: String::new(),
            allocations: vec![Allocation {
                invoice: InvoiceId(id),
                amount: dec("100"),
            }],
            source: None,
        });
    }
    let l = Ledger::from_records(vec![party(1, "Slowpay Ltd")], invoices, payments);
    let series = paytrack::tui::reports::recent_days_late(&l, today, 20);
    assert_eq!(series[&(PartyId(1), Currency::EUR)], vec![0, 3, 0, 10, 30]);
    // as of before the last payment, it is not there yet; the last n are kept
    let earlier = paytrack::tui::reports::recent_days_late(&l, date!(2026 - 05 - 01), 2);
    assert_eq!(earlier[&(PartyId(1), Currency::EUR)], vec![0, 10]);

    let mut o = HarnessOptions::fixture(80, 24);
    o.ledger = l;
    o.today = today;
    let mut h = Harness::with(o);
    let lines = h.keys("5 ]");
    let row = line_with(&lines, "Slowpay Ltd");
    // on time 2 of 5 = 40%, 43 / 5 = 8.6 days late, levels 1,2,1,4,8 of ▁..█
    assert!(row.contains("40.0%") && row.contains("8.6 d"), "{row}");
    assert!(row.contains("▁▂▁▄█"), "{row}");
    let b = h.buffer().clone();
    let styles = Theme::default_theme().styles(ColorDepth::Ansi256);
    let (x, y) = find(&b, "▁▂▁▄█").unwrap();
    assert_eq!(b[(x, y)].fg, styles.get(Role::Paid).fg.unwrap(), "on time");
    assert_eq!(
        b[(x + 1, y)].fg,
        styles.get(Role::Overdue).fg.unwrap(),
        "late"
    );
}

#[test]
fn reports_compute_on_the_worker_and_follow_ledger_changes() {
    let mut h = Harness::new(80, 24);
    h.keys("5");
    // a new as-of date is asked of the worker: the key returns at once, the tab shows a
    // spinner until the result arrives
    h.app
        .handle_key(KeyEvent::new(KeyCode::Char('<'), KeyModifiers::empty()));
    assert!(
        h.app.report_pending(),
        "submitted, not computed on the UI thread"
    );
    let lines = h.draw();
    assert!(
        has(&lines, "computing the Aging report"),
        "{}",
        screen(&lines)
    );
    h.settle();
    let lines = h.draw();
    assert!(has(&lines, "Aging as of 2026-11-03"));
    h.keys("t");
    // deleting the 200 EUR payment to INV-002 leaves 500 in the 1-30 bucket
    h.keys("1 /");
    h.type_text("ACME-1101");
    h.keys("enter d y");
    assert_eq!(h.store.ledger().payments().len(), 5);
    let lines = h.keys("5");
    assert_eq!(
        bucket_row(&lines, "1-30"),
        ("500.00 EUR".into(), "1".into()),
        "{}",
        screen(&lines)
    );
    // undo from the Reports tab recomputes it in place
    let lines = h.keys("u");
    assert_eq!(
        bucket_row(&lines, "1-30"),
        ("300.00 EUR".into(), "1".into())
    );
}

#[test]
fn tiny_and_empty() {
    // an empty ledger says so; a small terminal draws without panicking
    let mut o = HarnessOptions::fixture(80, 24);
    o.ledger = Ledger::from_records(Vec::new(), Vec::new(), Vec::new());
    let mut h = Harness::with(o);
    let lines = h.keys("5");
    assert!(has(&lines, "nothing to report yet"), "{}", screen(&lines));
    let mut h = Harness::new(80, 24);
    h.keys("5");
    for (w, ht) in [(40, 10), (50, 12), (60, 14)] {
        for _ in 0..4 {
            h.resize(w, ht);
            h.keys("]");
        }
    }
}

#[test]
fn punctuality_sorts_and_scrolls() {
    // 30 customers; customer i paid one invoice i days late and owes i × 10 on another
    let today = date!(2026 - 06 - 30);
    let mut parties = Vec::new();
    let mut invoices = Vec::new();
    let mut payments = Vec::new();
    for i in 1..=30u64 {
        parties.push(party(i, &format!("Customer {i:02}")));
        let due = date!(2026 - 03 - 31);
        for (j, amount) in [(0u64, "100"), (1, &*format!("{}", i * 10))] {
            invoices.push(Invoice {
                id: InvoiceId(i * 2 + j),
                number: format!("C-{i}-{j}"),
                party: PartyId(i),
                kind: InvoiceKind::Receivable,
                issue_date: due - Duration::days(30),
                due_date: due,
                amount: dec(amount),
                currency: Currency::EUR,
                notes: String::new(),
                void: false,
            });
        }
        payments.push(Payment {
            id: PaymentId(i),
            party: PartyId(i),
            direction: Direction::In,
            amount: dec("100"),
            currency: Currency::EUR,
            date: due + Duration::days(i as i64 - 1),
            method: Method::BankTransfer,
            reference: String::new(),
            notes: String::new(),
            allocations: vec![Allocation {
                invoice: InvoiceId(i * 2),
                amount: dec("100"),
            }],
            source: None,
        });
    }
    let mut o = HarnessOptions::fixture(80, 24);
    o.ledger = Ledger::from_records(parties, invoices, payments);
    o.today = today;
    let mut h = Harness::with(o);
    // by on-time rate: customer 01 paid on time, first; then the others by name
    let lines = h.keys("5 ]");
    assert!(
        line_with(&lines, "Customer 01").starts_with("│>"),
        "{}",
        screen(&lines)
    );
    assert!(line_with(&lines, "Customer 01").contains("100.0%"));
    assert!(!has(&lines, "Customer 30"), "only a screenful");
    // the last row scrolls into view
    let lines = h.keys("G");
    assert!(
        line_with(&lines, "Customer 30").starts_with("│>"),
        "{}",
        screen(&lines)
    );
    assert!(!has(&lines, "Customer 01"));
    assert!(has(
        &lines,
        r#"/ party:"Customer 30" kind:receivable currency:EUR"#
    ));
    // by days late: the latest payer first
    let lines = h.keys("s");
    assert!(has(&lines, "· by days late"), "{}", screen(&lines));
    let first = lines
        .iter()
        .position(|l| l.contains("Customer 30"))
        .unwrap();
    let second = lines
        .iter()
        .position(|l| l.contains("Customer 29"))
        .unwrap();
    assert!(first < second);
    assert!(line_with(&lines, "Customer 30").contains("29.0 d"));
    // by outstanding: the largest debt first
    let lines = h.keys("s");
    assert!(has(&lines, "· by outstanding"));
    assert!(line_with(&lines, "Customer 30").starts_with("│>"));
    assert!(line_with(&lines, "Customer 30").contains("300.00"));
    let lines = h.keys("s");
    assert!(has(&lines, "· by name"));
    assert!(line_with(&lines, "Customer 01").starts_with("│>"));
}
