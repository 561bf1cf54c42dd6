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
        })
        .collect();
    Ledger::from_records(parties, Vec::new(), payments)
}

fn press(h: &mut Harness, c: char) -> Duration {
    let t = Instant::now();
    h.app.handle_key(KeyEvent::from(KeyCode::Char(c)));
    t.elapsed()
}

#[test]
fn large_ledger_stays_responsive() {
    let mut o = HarnessOptions::fixture(120, 40);
    o.ledger = big();
    let mut h = Harness::with(o);
    let lines = h.draw();
    assert!(lines[38].starts_with(" 300,000 payments"), "{}", lines[38]);

    // A frame builds only the visible rows.
    let t = Instant::now();
    for _ in 0..20 {
        h.draw();
    }
    let per_frame = t.elapsed() / 20;
    assert!(
        per_frame < Duration::from_millis(60),
        "frame took {per_frame:?}"
    );

    // Moving is O(1); the bottom of 300,000 rows is one key away.
    assert!(press(&mut h, 'j') < Duration::from_millis(20));
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
    let took = press(&mut h, 's');
    assert!(
        took < Duration::from_millis(30),
        "sort key blocked the UI for {took:?}"
    );
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
    for c in "party:\"Party 0042\"".chars() {
        let took = press(&mut h, c);
        assert!(took < Duration::from_millis(30), "keystroke took {took:?}");
    }
    h.settle();
    let lines = h.draw();
    assert!(
        lines[38].starts_with(" 600 of 300,000 payments"),
        "{}",
        lines[38]
    );
}
