//! Several sessions on one store, from the TUI's side (issue 9): another session's
//! commits show up in the open lists with their statuses, saving a form whose record
//! someone else changed asks reload / overwrite / cancel, and commits refused because
//! someone else committed first are retried when nothing they involve changed.
//!
//! "Another session" is [`MemoryStore::commit_external`]: it commits whatever this app's
//! generation and announces the commit to every subscriber, as the shared store does.

use std::time::{Duration, Instant};

use paytrack::domain::{Change, ChangeSet, Currency, Direction, Method, PaymentId};
use paytrack::ops::{self, PaymentInput};
use paytrack::tui::testing::{Harness, FIXTURE_TODAY};
use rust_decimal::Decimal;

fn has(lines: &[String], s: &str) -> bool {
    lines.iter().any(|l| l.contains(s))
}

fn row<'a>(lines: &'a [String], s: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.contains(s))
        .map(String::as_str)
        .unwrap_or_else(|| panic!("no row with {s}:\n{}", lines.join("\n")))
}

fn payment_input(
    party: &str,
    amount: &str,
    reference: &str,
    invoice: Option<&str>,
) -> PaymentInput {
    PaymentInput {
        party: party.into(),
        direction: Direction::In,
        amount: amount.parse::<Decimal>().unwrap(),
        currency: Currency::EUR,
        date: FIXTURE_TODAY,
        method: Method::BankTransfer,
        reference: reference.into(),
        notes: String::new(),
        allocations: invoice
            .map(|n| vec![(n.to_string(), None)])
            .unwrap_or_default(),
    }
}

/// Another session adds a payment.
fn external_payment(h: &Harness, input: &PaymentInput) -> PaymentId {
    let mut id = None;
    h.store
        .external(|l, ids| {
            ops::add_payment(l, ids, input, FIXTURE_TODAY).map(|(s, i)| {
                id = Some(i);
                s
            })
        })
        .unwrap();
    id.unwrap()
}

/// Another session rewrites payment `id` with `f`.
fn external_edit_payment(h: &Harness, id: u64, f: impl FnOnce(&mut paytrack::domain::Payment)) {
    let mut p = h.store.ledger().payment(PaymentId(id)).unwrap().clone();
    f(&mut p);
    h.store.commit_external(ChangeSet {
        changes: vec![Change::PutPayment(p)],
        ids: None,
    });
}

/// Opens the edit form of the payment with this reference.
fn edit_payment(h: &mut Harness, reference: &str) -> Vec<String> {
    h.keys("1 /");
    h.type_text(reference);
    h.keys("enter");
    let lines = h.keys("e");
    assert!(h.app.form.is_some(), "{}", lines.join("\n"));
    lines
}

/// Moves to the Notes field of a payment edit form (the last one) and types `text`.
fn type_notes(h: &mut Harness, text: &str) {
    h.keys("tab tab tab tab tab tab tab tab");
    h.type_text(text);
}

#[test]
fn another_sessions_payment_shows_up_within_a_tick_with_the_invoice_status_updated() {
    let mut h = Harness::new(140, 30);
    let lines = h.keys("2");
    assert!(
        row(&lines, "INV-002").contains("partial") || row(&lines, "INV-002").contains("overdue"),
        "{}",
        row(&lines, "INV-002")
    );
    assert!(
        !row(&lines, "INV-002").contains("paid "),
        "{}",
        row(&lines, "INV-002")
    );
    // The rest of INV-002 (300 of 500) arrives from another session.
    external_payment(
        &h,
        &payment_input("Acme Corp", "300", "FROM-ELSEWHERE", Some("INV-002")),
    );
    assert!(
        h.app.tick(Instant::now()),
        "one tick takes the other session's commit"
    );
    assert_eq!(h.app.ledger().payments().len(), 7, "applied on that tick");
    h.settle();
    let lines = h.draw();
    assert!(
        row(&lines, "INV-002").contains("paid"),
        "{}",
        row(&lines, "INV-002")
    );
    assert!(
        !row(&lines, "INV-002").contains("overdue"),
        "{}",
        row(&lines, "INV-002")
    );
    let lines = h.keys("1");
    assert!(has(&lines, "FROM-ELSEWHERE"), "{}", lines.join("\n"));
    assert!(
        lines.iter().any(|l| l.starts_with(" 7 payments")),
        "{}",
        lines.join("\n")
    );
    assert_eq!(h.app.external_commits(), 1);
}

#[test]
fn other_sessions_changes_apply_in_place_once_background_work_lets_go() {
    let mut h = Harness::new(120, 30);
    let records = h.app.ledger().payments().as_ptr();
    let held = h.app.ledger_handle();
    external_edit_payment(&h, 6, |p| p.notes = "edited elsewhere".into());
    h.app.tick(Instant::now());
    let id = PaymentId(6);
    assert_eq!(
        h.app.ledger().payment(id).unwrap().notes,
        "",
        "waits while the ledger is shared"
    );
    assert!(h.app.busy());
    drop(held);
    h.app.tick(Instant::now());
    assert_eq!(
        h.app.ledger().payment(id).unwrap().notes,
        "edited elsewhere"
    );
    assert_eq!(
        h.app.ledger().payments().as_ptr(),
        records,
        "applied to the same records, not to a copy of the ledger"
    );
}

#[test]
fn saving_a_payment_another_session_changed_shows_the_conflict_dialog_and_reload_takes_theirs() {
    let mut h = Harness::new(140, 34);
    edit_payment(&mut h, "ACME-1101");
    type_notes(&mut h, "mine");
    external_edit_payment(&h, 2, |p| p.reference = "THEIRS-1101".into());
    let commits = h.store.commits();
    let lines = h.keys("ctrl-s");
    assert!(h.app.conflict.is_some(), "{}", lines.join("\n"));
    assert!(
        has(&lines, "Changed by another session"),
        "{}",
        lines.join("\n")
    );
    assert!(
        has(&lines, "reference: ACME-1101 → THEIRS-1101"),
        "{}",
        lines.join("\n")
    );
    assert!(has(
        &lines,
        "r reload theirs · o overwrite with mine · c cancel"
    ));
    assert_eq!(
        h.store.commits(),
        commits,
        "nothing saved while the dialog is open"
    );
    let lines = h.keys("r");
    assert!(h.app.conflict.is_none());
    assert!(h.app.form.is_some(), "the form is open again");
    assert!(
        has(&lines, "THEIRS-1101"),
        "with their values:\n{}",
        lines.join("\n")
    );
    assert!(!has(&lines, "mine"), "{}", lines.join("\n"));
    assert_eq!(h.store.commits(), commits);
    // Saving the reloaded form goes through without a dialog.
    type_notes(&mut h, "after reload");
    h.keys("ctrl-s");
    assert!(h.app.conflict.is_none() && h.app.form.is_none());
    let p = h.store.ledger().payment(PaymentId(2)).unwrap().clone();
    assert_eq!(p.reference, "THEIRS-1101");
    assert_eq!(p.notes, "after reload");
}

#[test]
fn overwrite_saves_the_forms_values_over_the_other_sessions() {
    let mut h = Harness::new(140, 34);
    edit_payment(&mut h, "ACME-1101");
    type_notes(&mut h, "mine");
    external_edit_payment(&h, 2, |p| p.reference = "THEIRS-1101".into());
    h.keys("ctrl-s");
    assert!(h.app.conflict.is_some());
    let lines = h.keys("o");
    assert!(
        h.app.conflict.is_none() && h.app.form.is_none(),
        "{}",
        lines.join("\n")
    );
    let p = h.store.ledger().payment(PaymentId(2)).unwrap().clone();
    assert_eq!(p.notes, "mine");
    assert_eq!(p.reference, "ACME-1101", "the form's value wins");
    assert_eq!(
        h.app.ledger().payment(PaymentId(2)).unwrap().reference,
        "ACME-1101"
    );
}

#[test]
fn cancel_keeps_the_form_and_saves_nothing() {
    let mut h = Harness::new(140, 34);
    edit_payment(&mut h, "ACME-1101");
    type_notes(&mut h, "mine");
    external_edit_payment(&h, 2, |p| p.reference = "THEIRS-1101".into());
    h.keys("ctrl-s");
    let commits = h.store.commits();
    let lines = h.keys("c");
    assert!(h.app.conflict.is_none());
    assert!(h.app.form.is_some(), "back in the form");
    assert!(
        has(&lines, "not saved: another session changed"),
        "{}",
        lines.join("\n")
    );
    assert!(has(&lines, "mine"), "the typed values are kept");
    assert_eq!(h.store.commits(), commits);
    let p = h.store.ledger().payment(PaymentId(2)).unwrap().clone();
    assert_eq!(
        (p.reference.as_str(), p.notes.as_str()),
        ("THEIRS-1101", "")
    );
    // Saving again asks again.
    h.keys("ctrl-s");
    assert!(h.app.conflict.is_some());
    h.keys("esc");
    assert!(h.app.conflict.is_none() && h.app.form.is_some());
    assert_eq!(h.store.commits(), commits);
}

#[test]
fn saving_a_record_another_session_deleted_offers_to_save_it_as_new() {
    let mut h = Harness::new(140, 34);
    edit_payment(&mut h, "ACME-1101");
    type_notes(&mut h, "mine");
    h.store.commit_external(ChangeSet {
        changes: vec![Change::DeletePayment(PaymentId(2))],
        ids: None,
    });
    let lines = h.keys("ctrl-s");
    assert!(
        has(&lines, "Another session deleted payment of 200.00 EUR"),
        "{}",
        lines.join("\n")
    );
    assert!(has(&lines, "o save mine as a new record"));
    h.keys("o");
    assert!(h.app.form.is_none());
    let l = h.store.ledger();
    assert!(
        l.payment(PaymentId(2)).is_none(),
        "the deleted one stays deleted"
    );
    let mine: Vec<_> = l.payments().iter().filter(|p| p.notes == "mine").collect();
    assert_eq!(mine.len(), 1, "saved as a new payment");
    assert_eq!(mine[0].reference, "ACME-1101");
    assert!(mine[0].id.0 > 6);
}

#[test]
fn adding_while_another_session_added_keeps_both_with_distinct_ids() {
    let mut h = Harness::new(120, 30);
    // Their notice is still on its way when this session commits: the commit is
    // refused, the app catches up and plans the payment again with the next free id.
    h.store.delay_notices(true);
    h.keys("1 a");
    h.type_text("Acme Corp");
    h.keys("tab tab");
    h.type_text("42.00");
    let theirs = external_payment(&h, &payment_input("Müller GmbH", "17", "THEIRS", None));
    let lines = h.keys("ctrl-s");
    h.store.delay_notices(false);
    assert!(h.app.form.is_none(), "{}", lines.join("\n"));
    let l = h.store.ledger();
    assert_eq!(l.payments().len(), 8, "both are there");
    let mine = l
        .payments()
        .iter()
        .find(|p| p.amount == "42.00".parse::<Decimal>().unwrap())
        .expect("mine is there");
    assert_eq!(
        l.payment(theirs).unwrap().reference,
        "THEIRS",
        "theirs is intact"
    );
    assert_ne!(mine.id, theirs);
    let lines = h.keys("1");
    assert!(
        lines.iter().any(|l| l.starts_with(" 8 payments")),
        "{}",
        lines.join("\n")
    );
    assert!(has(&lines, "THEIRS"));
    // Ids taken afterwards do not collide either.
    h.keys("a");
    h.type_text("Tanaka KK");
    h.keys("tab tab");
    h.type_text("1.00");
    h.keys("ctrl-s");
    let l = h.store.ledger();
    assert_eq!(l.payments().len(), 9);
    let mut ids: Vec<u64> = l.payments().iter().map(|p| p.id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 9);
}

#[test]
fn a_commit_refused_for_an_unrelated_change_is_retried_automatically() {
    let mut h = Harness::new(120, 30);
    h.store.delay_notices(true);
    // Another session edits a payment of another party...
    external_edit_payment(&h, 6, |p| p.notes = "theirs".into());
    // ...while this one deletes payment 4 (the unallocated advance).
    h.keys("1 /");
    h.type_text("ADVANCE");
    h.keys("enter");
    let lines = h.keys("d y");
    h.store.delay_notices(false);
    assert!(has(&lines, "deleted payment"), "{}", lines.join("\n"));
    let l = h.store.ledger();
    assert!(l.payment(PaymentId(4)).is_none(), "mine is saved");
    assert_eq!(
        l.payment(PaymentId(6)).unwrap().notes,
        "theirs",
        "theirs is kept"
    );
    h.settle();
    assert_eq!(
        h.app.ledger().payment(PaymentId(6)).unwrap().notes,
        "theirs"
    );
    // Undo works on the new base too.
    h.keys("esc u");
    assert!(h.store.ledger().payment(PaymentId(4)).is_some());
}

#[test]
fn a_commit_refused_because_its_record_changed_saves_nothing_and_says_so() {
    let mut h = Harness::new(140, 30);
    h.store.delay_notices(true);
    external_edit_payment(&h, 4, |p| p.notes = "theirs".into());
    h.keys("1 /");
    h.type_text("ADVANCE");
    h.keys("enter");
    let lines = h.keys("d y");
    h.store.delay_notices(false);
    assert!(
        has(&lines, "not saved: another session changed payment"),
        "{}",
        lines.join("\n")
    );
    assert_eq!(
        h.store.ledger().payment(PaymentId(4)).unwrap().notes,
        "theirs"
    );
    h.settle();
    assert_eq!(
        h.app.ledger().payment(PaymentId(4)).unwrap().notes,
        "theirs"
    );
}

#[test]
fn saved_filters_of_other_sessions_show_up() {
    let mut h = Harness::new(120, 30);
    h.store.commit_external(ChangeSet {
        changes: vec![Change::PutFilter(paytrack::domain::SavedFilter {
            name: "from elsewhere".into(),
            query: "amount>100".into(),
            pin: None,
        })],
        ids: None,
    });
    std::thread::sleep(Duration::from_millis(5));
    let lines = h.keys("4");
    assert!(has(&lines, "from elsewhere"), "{}", lines.join("\n"));
}
