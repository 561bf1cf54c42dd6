//! A large ledger: frames cost only the visible rows, and keys never sort or filter on
//! the UI thread (the work goes to the worker and the old rows stay on screen meanwhile).

use std::time::{Duration, Instant};

use paytrack::domain::ledger::Ledger;
use paytrack::domain::{
    Currency, Direction, Method, Party, PartyId, PartyRole, Payment, PaymentId,
};
use paytrack::tui::testing::{Harness, HarnessOptions, FIXTURE_TODAY};
use paytrack::tui::views::ListKind;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use rust_decimal::Decimal;

const N: usize = 300_000;

fn big() -> Ledger {
    let parties: Vec<Party> = (1..=500)
        .map(|i| Party {
            id: PartyId(i),
            name: format!("Party {i:04}"),
            role: PartyRole::Customer,
            email: String::new(),
            terms_days: None,
            notes: String::new(),
        })
        .collect();
    let payments: Vec<Payment> = (1..=N as u64)
        .map(|i| Payment {
            id: PaymentId(i),
            party: PartyId(1 + i % 500),
            direction: if i % 7 == 0 {
                Direction::Out
            } else {
                Direction::In
            },
            amount: Decimal::new((i % 100_000) as i64 + 1, 2),
            currency: if i % 5 == 0 {
                Currency::USD
            } else {
                Currency::EUR
            },
            date: FIXTURE_TODAY - time::Duration::days((i % 1000) as i64),
            method: Method::BankTransfer,
            reference: format!("REF-{i}"),
            notes: String::new(),
            allocations: Vec::new(),
            source: None,
        })
        .collect();
    Ledger::from_records(parties, Vec::new(), payments)
}

fn press(h: &mut Harness, c: char) {
    h.app.handle_key(KeyEvent::from(KeyCode::Char(c)));
}

#[test]
fn large_ledger_stays_responsive() {
    let mut o = HarnessOptions::fixture(120, 40);
    o.ledger = big();
    let mut h = Harness::with(o);
    let lines = h.draw();
    assert!(lines[38].starts_with(" 300,000 payments"), "{}", lines[38]);

    // Moving needs no worker; the bottom of 300,000 rows is one key away.
    press(&mut h, 'j');
    assert!(!h.app.busy());
    let lines = h.keys("G");
    let sel = lines.iter().find(|l| l.starts_with('>')).unwrap();
    assert!(
        sel.contains("2024-03-09"),
        "oldest payment at the bottom: {sel}"
    );

    // Sorting happens on the worker: the key returns at once, the old order stays on
    // screen until the result arrives.
    h.keys("g g");
    let before = h.draw();
    press(&mut h, 's');
    assert!(h.app.computing(ListKind::Payments));
    let during = h.draw();
    assert_eq!(before[2..30], during[2..30]);
    h.settle();
    let after = h.draw();
    assert!(after[1].contains("Party▼"), "{}", after[1]);
    // the selection stayed on the same record, now somewhere in the party order
    let sel_before = before.iter().find(|l| l.starts_with('>')).unwrap();
    let sel_after = after.iter().find(|l| l.starts_with('>')).unwrap();
    assert_eq!(sel_before, sel_after);
    let top = h.keys("g g");
    assert!(top[2].contains("Party 0500"), "{}", top[2]);

    // Typing a filter never evaluates it on the UI thread.
    h.keys("/");
    let before = h.draw();
    let shown = h.app.list(ListKind::Payments).results;
    for c in "party:\"Party 0042\"".chars() {
        press(&mut h, c);
        // the key only starts the filter's debounce; the list stays as it was
        assert_eq!(h.app.list(ListKind::Payments).results, shown);
    }
    assert_eq!(before[2..30], h.draw()[2..30]);
    h.settle();
    let lines = h.draw();
    assert!(
        lines[38].starts_with(" 600 of 300,000 payments"),
        "{}",
        lines[38]
    );
}

#[test]
fn typing_a_filter_shows_the_top_rows_first_then_the_counts() {
    let mut o = HarnessOptions::fixture(120, 40);
    o.ledger = big();
    let mut h = Harness::with(o);
    h.draw();
    h.keys("/");
    let mut previews = 0;
    for c in "ref".chars() {
        let shown = h.app.list(ListKind::Payments).results;
        press(&mut h, c);
        let start = Instant::now();
        // As the event loop does: tick until the list shows the new filter's rows.
        while h.app.list(ListKind::Payments).results == shown {
            assert!(start.elapsed() < Duration::from_secs(60), "no result");
            std::thread::sleep(
                h.app
                    .next_wakeup(Instant::now())
                    .min(Duration::from_millis(1)),
            );
            h.app.tick(Instant::now());
        }
        let first = h.draw();
        let partial = h.app.list(ListKind::Payments).partial;
        h.settle();
        let full = h.draw();
        assert!(!h.app.list(ListKind::Payments).partial);
        assert!(!full[38].contains("counting"), "{}", full[38]);
        if partial {
            previews += 1;
            // the top of the list, while the rest is counted
            assert!(first[38].contains("+ of 300,000 payments"), "{}", first[38]);
            assert!(first[38].contains("counting…"), "{}", first[38]);
            assert!(!first[38].contains("EUR"), "no totals yet: {}", first[38]);
            assert_eq!(
                first[2..37],
                full[2..37],
                "the preview is the top of the result"
            );
        }
        assert!(full[38].contains("of 300,000 payments │"), "{}", full[38]);
    }
    // the debug build filters 300,000 rows in far longer than it takes to find the top
    // 256: the first letters show a preview
    assert!(previews >= 1, "no key showed a preview");
}
