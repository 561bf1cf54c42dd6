//! Safety copies from the TUI, on a real store: before a change of more than one record
//! — undoing a whole import, deleting an invoice with the allocations to it, deleting a
//! party with its records — the store is copied to `<store>.safety/`, and the status
//! line names the copy. A change of one record writes none.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use paytrack::domain::{Change, ChangeSet, IdSeq};
use paytrack::store::{safety, Store};
use paytrack::tui::testing::{fixture, Harness, HarnessOptions};

/// The status line (messages), the last line of the screen.
fn hint(lines: &[String]) -> String {
    lines[lines.len() - 1].clone()
}

/// The fixture ledger committed to a real store in `dir/store`.
fn fixture_store(dir: &Path) -> Arc<Store> {
    let store = Store::open(&dir.join("store")).unwrap();
    let l = fixture();
    let mut set = ChangeSet::new();
    set.changes
        .extend(l.parties().iter().cloned().map(Change::PutParty));
    set.changes
        .extend(l.invoices().iter().cloned().map(Change::PutInvoice));
    set.changes
        .extend(l.payments().iter().cloned().map(Change::PutPayment));
    let mut ids = IdSeq::default();
    ids.cover(&l);
    set.ids = Some(ids);
    store.commit(&set).unwrap();
    Arc::new(store)
}

/// A wide screen, so that the status line shows the whole path of a copy.
fn harness(dir: &Path) -> Harness<Store> {
    let mut h = Harness::on(fixture_store(dir), HarnessOptions::fixture(250, 40));
    h.app.import_profile_dir = Some(dir.join("profiles"));
    h
}

fn copies(h: &Harness<Store>) -> Vec<PathBuf> {
    safety::safety_copies(h.store.path())
}

/// The newest copy is new since `before` copies, was taken before `reason`, and the
/// status line names it.
#[track_caller]
fn named_new_copy(h: &Harness<Store>, lines: &[String], before: usize, reason: &str) -> PathBuf {
    let all = copies(h);
    assert_eq!(all.len(), before + 1, "one new safety copy: {all:?}");
    let copy = all.last().unwrap().clone();
    assert!(copy.is_file());
    assert!(
        copy.file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with(&format!("-{}.ptsafe", reason.replace(' ', "-"))),
        "{copy:?}"
    );
    let status = hint(lines);
    assert!(
        status.contains(&format!("safety copy before {reason}: {}", copy.display())),
        "the status line does not name {copy:?}:\n{status}"
    );
    copy
}

/// What a safety copy holds, restored into a new store.
fn restored_counts(dir: &Path, copy: &Path, name: &str) -> paytrack::store::Counts {
    let other = Store::open(&dir.join(name)).unwrap();
    other.restore_safety_copy(copy).unwrap()
}

#[test]
fn undoing_a_20000_row_import_writes_a_safety_copy_first_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("profiles")).unwrap();
    let mut csv =
        String::from("date,party,direction,amount,currency,method,reference,invoice,notes\n");
    for i in 0..20_000 {
        csv.push_str(&format!(
            "2026-11-{:02},Bulk Ltd,in,{}.50,EUR,bank_transfer,BULK-{i},,\n",
            i % 28 + 1,
            i % 500 + 1
        ));
    }
    let file = dir.path().join("bulk.csv");
    std::fs::write(&file, csv).unwrap();
    let mut h = harness(dir.path());
    assert!(copies(&h).is_empty());

    h.keys("ctrl-o");
    h.type_text(&file.display().to_string());
    h.keys("enter");
    let lines = h.keys("enter");
    assert!(
        lines.iter().any(|l| l.contains("imported 20000 payments")),
        "{}",
        lines.join("\n")
    );
    assert_eq!(h.store.counts().unwrap().payments, 20_006);
    assert_eq!(copies(&h).len(), 1, "the import's own safety copy");
    h.keys("enter");

    // one undo takes the 20,000 payments back, after a copy of the store holding them
    let lines = h.keys("u");
    assert!(hint(&lines).contains("undone: "), "{}", hint(&lines));
    assert_eq!(h.store.counts().unwrap().payments, 6);
    let copy = named_new_copy(&h, &lines, 1, "undo");
    assert_eq!(
        restored_counts(dir.path(), &copy, "before-undo").payments,
        20_006,
        "the copy holds the store as it was before the undo"
    );
}

#[test]
fn deleting_an_invoice_with_allocations_writes_a_safety_copy_first_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    // a payment of one record: no copy
    h.keys("1 /");
    h.type_text("ACME-USD");
    h.keys("enter d");
    let lines = h.keys("y");
    assert!(hint(&lines).contains("deleted payment"), "{}", hint(&lines));
    assert!(copies(&h).is_empty(), "{:?}", copies(&h));
    assert_eq!(h.store.counts().unwrap().payments, 5);

    // INV-001 is paid by ACME-1020: deleting it rewrites that payment too
    h.keys("esc esc 2 /");
    h.type_text("INV-001");
    h.keys("enter d y");
    let screen = h.draw().join("\n");
    assert!(screen.contains("has payments allocated to it"), "{screen}");
    let lines = h.keys("y");
    assert!(
        hint(&lines).contains("deleted invoice INV-001"),
        "{}",
        hint(&lines)
    );
    assert_eq!(h.store.counts().unwrap().invoices, 8);
    let copy = named_new_copy(&h, &lines, 0, "bulk delete");
    assert_eq!(restored_counts(dir.path(), &copy, "before").invoices, 9);

    // undoing it changes two records again: one more copy
    let lines = h.keys("u");
    assert_eq!(h.store.counts().unwrap().invoices, 9);
    named_new_copy(&h, &lines, 1, "undo");
}

#[test]
fn deleting_a_party_with_its_records_writes_a_safety_copy_first_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    let lines = h.keys("3 g g d y");
    let screen = lines.join("\n");
    assert!(
        screen.contains("party 'Acme Corp' has 4 invoice(s) and 3 payment(s)"),
        "{screen}"
    );
    assert!(copies(&h).is_empty(), "nothing deleted yet");
    let lines = h.keys("y");
    assert!(
        hint(&lines).contains("deleted party 'Acme Corp'"),
        "{}",
        hint(&lines)
    );
    let counts = h.store.counts().unwrap();
    assert_eq!(
        (counts.parties, counts.invoices, counts.payments),
        (3, 5, 3)
    );
    let copy = named_new_copy(&h, &lines, 0, "bulk delete");
    let before = restored_counts(dir.path(), &copy, "before");
    assert_eq!(
        (before.parties, before.invoices, before.payments),
        (4, 9, 6)
    );
}
