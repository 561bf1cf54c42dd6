//! TUI key-sequence tests for issue 5: the Reminders tab (mark sent, snooze, open the
//! invoices, ladder), the banner at start, follow-up keys and history in the invoice
//! detail, the matching queue (accept, FIFO, skip, undo) and applying a party's credit.

use paytrack::domain::{InvoiceId, PaymentId};
use paytrack::tui::testing::{Harness, FIXTURE_TODAY};
use time::Duration;

fn has(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

/// The list rows (without tab bar, header, status and hint lines).
fn rows(lines: &[String]) -> &[String] {
    &lines[2..lines.len() - 2]
}

fn screen(lines: &[String]) -> String {
    lines.join("\n")
}

#[test]
fn reminders_tab_lists_one_row_per_party_most_overdue_first() {
    let mut h = Harness::new(80, 24);
    let lines = h.keys("6");
    insta::assert_snapshot!("reminders_tab_80x24", screen(&lines));
    // INV-004 is 94 days overdue: Müller's reminder is first, at the final level.
    assert!(lines[2].contains("Müller GmbH"), "{}", screen(&lines));
    assert!(lines[2].contains("final notice"), "{}", lines[2]);
    assert!(lines[2].contains("INV-004"), "{}", lines[2]);
    assert!(lines[3].contains("Acme Corp"), "{}", lines[3]);
    // INV-003 is due in 5 days, before the first level (3 days before): not listed.
    assert!(!has(&lines, "INV-003"), "{}", screen(&lines));
}

#[test]
fn mark_sent_removes_the_reminder_and_the_history_shows_in_the_invoice_detail() {
    let mut h = Harness::new(120, 30);
    let lines = h.keys("6 x");
    assert!(!has(rows(&lines), "Müller GmbH"), "{}", screen(&lines));
    assert!(has(rows(&lines), "Acme Corp"));
    assert!(has(
        &lines,
        "recorded 'final notice' to Müller GmbH as sent"
    ));
    let l = h.store.ledger();
    let f = l.follow_up(InvoiceId(4)).expect("follow-up stored");
    assert_eq!(f.sent.len(), 1);
    assert_eq!(f.sent[0].date, FIXTURE_TODAY);
    // the invoice detail shows the history
    h.keys("2 /");
    h.type_text("INV-004");
    let lines = h.keys("enter enter");
    assert!(has(&lines, "Reminders sent"), "{}", screen(&lines));
    assert!(has(&lines, "2026-12-03 final notice"), "{}", screen(&lines));
    // marking again records nothing new; undo brings the reminder back
    let lines = h.keys("6 u");
    assert!(has(rows(&lines), "Müller GmbH"), "{}", screen(&lines));
    assert!(h.store.ledger().follow_up(InvoiceId(4)).is_none());
}

#[test]
fn snooze_hides_the_reminder_until_the_date() {
    let mut h = Harness::new(100, 30);
    let lines = h.keys("6 z");
    assert!(has(&lines, "> +7d"), "{}", screen(&lines));
    let lines = h.keys("enter");
    assert!(!has(rows(&lines), "Müller GmbH"), "{}", screen(&lines));
    let l = h.store.ledger();
    assert_eq!(
        l.follow_up(InvoiceId(4)).and_then(|f| f.snooze_until),
        Some(FIXTURE_TODAY + Duration::days(7))
    );
    // a bad date is refused in the prompt, nothing is stored
    h.keys("z ctrl-u");
    h.type_text("next year");
    let lines = h.keys("enter");
    assert!(has(&lines, "next year"), "{}", screen(&lines));
    let commits = h.store.commits();
    h.keys("esc");
    assert_eq!(h.store.commits(), commits);
}

#[test]
fn open_invoices_switches_to_the_filtered_invoices_tab() {
    let mut h = Harness::new(100, 30);
    let lines = h.keys("6 i");
    assert!(
        has(&lines, "filter: party:\"Müller GmbH\" status:overdue"),
        "{}",
        screen(&lines)
    );
    assert!(has(&lines, "INV-004"));
    assert!(!has(&lines, "INV-003"), "{}", screen(&lines));
}

#[test]
fn ladder_edit_adds_a_level_and_undo_restores_it() {
    let mut h = Harness::new(100, 30);
    h.keys("6 L ctrl-u");
    h.type_text("rec 60 collection agency");
    h.keys("enter");
    let s = h.store.ledger().reminder_settings().clone();
    assert!(s
        .receivable
        .levels
        .iter()
        .any(|l| l.offset_days == 60 && l.name == "collection agency"));
    h.keys("u");
    assert!(!h
        .store
        .ledger()
        .reminder_settings()
        .receivable
        .levels
        .iter()
        .any(|l| l.offset_days == 60));
}

#[test]
fn banner_at_start_counts_due_reminders_and_the_overdue_amount() {
    let mut h = Harness::new(100, 30);
    let lines = h.draw();
    let status = &lines[lines.len() - 2];
    assert!(status.contains("3 reminders due"), "{status}");
    assert!(status.contains("overdue EUR 1000.00"), "{status}");
    assert!(status.starts_with(" 6 payments"), "{status}");
    // gone after the first key
    let lines = h.keys("j");
    assert!(!lines[lines.len() - 2].contains("⏰"));
}

#[test]
fn invoice_keys_set_promise_and_dispute_shown_in_the_detail() {
    let mut h = Harness::new(120, 34);
    h.keys("2 /");
    h.type_text("INV-002");
    h.keys("enter");
    h.keys("$ ctrl-u");
    h.type_text("2026-12-20");
    h.keys("enter !");
    let f = h.store.ledger().follow_up(InvoiceId(2)).cloned().unwrap();
    assert!(f.disputed);
    assert_eq!(f.promise, Some(time::macros::date!(2026 - 12 - 20)));
    let lines = h.keys("enter");
    assert!(has(&lines, "disputed (no reminders)"), "{}", screen(&lines));
    assert!(has(&lines, "Promised    2026-12-20"), "{}", screen(&lines));
    // the list row carries the follow-up marker after the status word
    let lines = h.keys("esc");
    let row = lines
        .iter()
        .find(|l| l.contains("INV-002"))
        .cloned()
        .unwrap_or_default();
    assert!(row.contains(" !"), "{}", screen(&lines));
    // Acme's reminder is paused now
    let lines = h.keys("6");
    assert!(!has(rows(&lines), "Acme Corp"), "{}", screen(&lines));
}

#[test]
fn matching_queue_accepts_a_candidate_skips_and_undo_restores() {
    let mut h = Harness::new(120, 30);
    let lines = h.keys("1 m");
    assert!(
        has(&lines, "Matching: payment 1 of 1"),
        "{}",
        screen(&lines)
    );
    assert!(has(&lines, "unallocated 150.00 EUR"), "{}", screen(&lines));
    assert!(has(&lines, "INV-004"), "{}", screen(&lines));
    // skipping the only payment keeps it on top
    let lines = h.keys("n");
    assert!(
        has(&lines, "Matching: payment 1 of 1"),
        "{}",
        screen(&lines)
    );
    let lines = h.keys("enter");
    let p = h.store.ledger().payment(PaymentId(4)).cloned().unwrap();
    assert!(!p.allocations.is_empty(), "{}", screen(&lines));
    assert!(has(&lines, "no unmatched payments"), "{}", screen(&lines));
    let lines = h.keys("u");
    let p = h.store.ledger().payment(PaymentId(4)).cloned().unwrap();
    assert!(p.allocations.is_empty());
    assert!(
        has(&lines, "Matching: payment 1 of 1"),
        "{}",
        screen(&lines)
    );
    // FIFO split: the oldest open invoice (INV-004) takes the 150
    h.keys("f");
    let p = h.store.ledger().payment(PaymentId(4)).cloned().unwrap();
    assert_eq!(p.allocations.len(), 1);
    assert_eq!(p.allocations[0].invoice, InvoiceId(4));
    let lines = h.keys("esc");
    assert!(lines[1].contains("Date"), "{}", screen(&lines));
}

#[test]
fn apply_credit_from_the_parties_tab() {
    let mut h = Harness::new(100, 30);
    let lines = h.keys("3");
    let row = lines.iter().find(|l| l.contains("Müller GmbH")).unwrap();
    assert!(row.contains("EUR 150.00"), "{row}");
    // parties by name: Acme, Blue, Müller
    let lines = h.keys("j j +");
    assert!(has(&lines, "applied the credit"), "{}", screen(&lines));
    let p = h.store.ledger().payment(PaymentId(4)).cloned().unwrap();
    assert_eq!(p.unallocated(), rust_decimal::Decimal::ZERO);
    assert_eq!(p.allocations[0].invoice, InvoiceId(4));
    let row = lines.iter().find(|l| l.contains("Müller GmbH")).unwrap();
    assert!(!row.contains("EUR 150.00"), "{row}");
    // undo restores the credit
    h.keys("u");
    let p = h.store.ledger().payment(PaymentId(4)).cloned().unwrap();
    assert!(p.allocations.is_empty());
}
