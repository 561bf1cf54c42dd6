//! The import dialog: path completion, the dry run's preview, importing, undo, errors,
//! cancelling, and drawing at any size. Files are written to a temporary directory
//! (or taken from tests/fixtures) and fed through the keys a person would press.

use std::path::Path;

use paytrack::tui::action::Action;
use paytrack::tui::import::Stage;
use paytrack::tui::keymap::{Context, Keymap};
use paytrack::tui::testing::{Harness, HarnessOptions};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn has(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

fn screen(lines: &[String]) -> String {
    lines.join("\n")
}

/// Fails, showing the screen, unless a line contains `needle`.
#[track_caller]
fn shows(lines: &[String], needle: &str) {
    assert!(has(lines, needle), "no {needle:?} in\n{}", screen(lines));
}

fn status(lines: &[String]) -> String {
    lines[lines.len() - 2].clone()
}

fn hint(lines: &[String]) -> String {
    lines[lines.len() - 1].clone()
}

/// Three payments in paytrack's own layout: one to an open invoice of Acme Corp, one
/// from a party the fixture does not have, one paying the open Blue Supplies bill.
const OWN_PAYMENTS: &str = "\
date,party,direction,amount,currency,method,reference,invoice,notes
2026-12-01,Acme Corp,in,100.00,EUR,bank_transfer,ACME-1201,INV-002,
2026-12-02,Neue Kunde GmbH,in,50.00,EUR,card,NK-1,,first order
2026-12-02,Blue Supplies,out,400.00,EUR,bank_transfer,BLUE-DEC,B-BLUE-1,
";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// A harness at `w`×`h` whose import dialog finds no user profiles.
fn harness(w: u16, h: u16, profiles: &Path) -> Harness {
    let mut h = Harness::new(w, h);
    h.app.import_profile_dir = Some(profiles.to_path_buf());
    h
}

/// A sample file of tests/fixtures/import.
fn sample(name: &str) -> String {
    format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Opens the import dialog and types `path`.
fn open(h: &mut Harness, path: &str) -> Vec<String> {
    h.keys("ctrl-o");
    h.type_text(path)
}

fn key(h: &mut Harness, code: KeyCode) {
    h.app.handle_key(KeyEvent::new(code, KeyModifiers::empty()));
}

#[test]
fn tab_completes_the_path_from_the_filesystem() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bank.csv", "x");
    write(dir.path(), "bank_dc.csv", "x");
    std::fs::create_dir(dir.path().join("bills")).unwrap();
    write(dir.path(), "other.txt", "x");
    write(dir.path(), ".hidden.csv", "x");
    let base = format!("{}/", dir.path().display());
    let mut h = harness(100, 30, dir.path());
    let lines = h.keys("ctrl-o");
    shows(&lines, "Import");
    h.type_text(&format!("{base}ba"));
    // the common prefix of bank.csv and bank_dc.csv, and the candidates listed
    let lines = h.keys("tab");
    let path = |h: &Harness| h.app.import.as_ref().unwrap().path.text().to_string();
    assert_eq!(path(&h), format!("{base}bank"));
    shows(&lines, "2 match");
    shows(&lines, "  bank.csv");
    shows(&lines, "  bank_dc.csv");
    // again: cycles through them, shift-tab goes back
    h.keys("tab");
    assert_eq!(path(&h), format!("{base}bank.csv"));
    let lines = h.keys("tab");
    assert_eq!(path(&h), format!("{base}bank_dc.csv"));
    shows(&lines, "> bank_dc.csv");
    h.keys("shift-tab");
    assert_eq!(path(&h), format!("{base}bank.csv"));
    // a directory gets a trailing slash
    h.keys("ctrl-u");
    h.type_text(&format!("{base}bi"));
    h.keys("tab");
    assert_eq!(path(&h), format!("{base}bills/"));
    // nothing typed after the slash lists the visible entries, hidden ones left out
    h.keys("ctrl-u");
    h.type_text(&base);
    let lines = h.keys("tab");
    shows(&lines, "4 match");
    assert!(!has(&lines, ".hidden.csv"), "{}", screen(&lines));
    shows(&lines, "bills/");
    // a dot lists hidden files
    h.type_text(".");
    h.keys("tab");
    assert_eq!(path(&h), format!("{base}.hidden.csv"));
    // no match says so
    h.keys("ctrl-u");
    h.type_text(&format!("{base}zz"));
    let lines = h.keys("tab");
    shows(&lines, "starts with 'zz'");
    assert_eq!(path(&h), format!("{base}zz"));
    // ~ is the home directory (here: the temporary one); the typed ~ stays
    let d = h.app.import.take().unwrap();
    h.app.import = Some(d.with_dirs(std::env::temp_dir(), Some(dir.path().to_path_buf())));
    h.keys("ctrl-u");
    h.type_text("~/bi");
    h.keys("tab");
    assert_eq!(path(&h), "~/bills/");
    h.keys("ctrl-u");
    h.type_text("~");
    let lines = h.keys("tab");
    assert_eq!(path(&h), "~/");
    shows(&lines, "4 matches");
    // tab on another field moves on; nothing was committed
    h.keys("down");
    assert_eq!(
        h.app.import.as_ref().unwrap().focus,
        paytrack::tui::import::Field::Kind
    );
    assert_eq!(h.store.commits(), 0);
}

#[test]
fn preview_of_an_own_layout_payments_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "payments.csv", OWN_PAYMENTS);
    let mut h = harness(120, 40, dir.path());
    open(&mut h, &file);
    let lines = h.keys("enter");
    let s = screen(&lines);
    shows(&lines, "Dry run of payments.csv");
    shows(&lines, "3 rows read");
    shows(
        &lines,
        "paytrack's own layout recognised from the header row",
    );
    shows(
        &lines,
        "would create 3 payments (2 in, 1 out), 1 new party, 2 allocated to invoices",
    );
    shows(&lines, "new parties: Neue Kunde GmbH");
    // the table of the rows to create
    shows(&lines, "date");
    let row = lines
        .iter()
        .find(|l| l.contains("BLUE-DEC"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(row.contains("2026-12-02"), "{row}");
    assert!(row.contains("out"), "{row}");
    assert!(row.contains("400.00"), "{row}");
    assert!(row.contains("Blue Supplies"), "{row}");
    assert!(row.contains("B-BLUE-1"), "{row}");
    // a dry run only
    assert_eq!(h.store.commits(), 0);
    assert_eq!(h.store.ledger().payments().len(), 6);
    // choosing the own layout explicitly gives the same counts
    h.keys("esc down down right");
    let lines = h.keys("enter");
    shows(&lines, "would create 3 payments (2 in, 1 out)");
}

#[test]
fn preview_of_a_stripe_export_recognised_and_chosen() {
    let stripe = sample("stripe.csv");
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(120, 40, dir.path());
    open(&mut h, &stripe);
    let lines = h.keys("enter");
    let s = screen(&lines);
    assert!(
        has(&lines, "profile 'stripe' (Stripe"),
        "auto names the profile: {s}"
    );
    shows(&lines, "would create 34 payments (14 in, 20 out; 15 fees)");
    assert!(has(&lines, "2 rows left out"), "payouts: {s}");
    shows(&lines, "0 duplicates skipped");
    assert!(has(&lines, "txn_1C0000"), "the first row: {s}");
    shows(&lines, "rows 1–");
    shows(&lines, "of 34 to create");
    // the same profile chosen by name: auto, own, bank, bank-debit-credit, stripe
    h.keys("esc down down right right right right");
    let d = h.app.import.as_ref().unwrap();
    assert!(
        d.layout_text().starts_with("stripe:"),
        "{}",
        d.layout_text()
    );
    let lines = h.keys("enter");
    shows(&lines, "would create 34 payments (14 in, 20 out; 15 fees)");
    assert_eq!(h.store.commits(), 0);
}

#[test]
fn import_shows_the_payments_and_undo_takes_the_whole_import_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "payments.csv", OWN_PAYMENTS);
    let mut h = harness(120, 40, dir.path());
    let before = h.store.ledger();
    assert!(status(&h.draw()).starts_with(" 6 payments"));
    open(&mut h, &file);
    h.keys("enter");
    let lines = h.keys("enter");
    shows(
        &lines,
        "imported 3 payments (2 in, 1 out), 1 new party, 2 allocated to invoices",
    );
    assert!(
        hint(&lines).contains("imported 3 payments"),
        "{}",
        hint(&lines)
    );
    assert_eq!(h.store.commits(), 1, "one change set");
    assert_eq!(h.store.safety_copies(), ["import"], "a safety copy first");
    shows(&lines, "safety copy 1 before import");
    let stored = h.store.ledger();
    assert_eq!(stored.payments().len(), 9);
    assert_eq!(stored.parties().len(), 5);
    assert!(stored.party_by_name("Neue Kunde GmbH").is_some());
    // the dialog closes; the list and the status bar show the new payments
    let lines = h.keys("enter");
    assert!(h.app.import.is_none());
    assert!(
        status(&lines).starts_with(" 9 payments"),
        "{}",
        status(&lines)
    );
    shows(&lines, "Neue Kunde GmbH");
    shows(&lines, "BLUE-DEC");
    let lines = h.keys("3");
    assert!(
        status(&lines).starts_with(" 5 parties"),
        "{}",
        status(&lines)
    );
    // one undo removes all of it, the new party too
    let lines = h.keys("u");
    assert!(
        hint(&lines).contains("undone: import of payments.csv (3 payments)"),
        "{}",
        hint(&lines)
    );
    assert!(
        status(&lines).starts_with(" 4 parties"),
        "{}",
        status(&lines)
    );
    let lines = h.keys("1");
    assert!(
        status(&lines).starts_with(" 6 payments"),
        "{}",
        status(&lines)
    );
    assert!(!has(&lines, "BLUE-DEC"), "{}", screen(&lines));
    let after = h.store.ledger();
    assert_eq!(after.payments(), before.payments());
    assert_eq!(after.parties(), before.parties());
    assert_eq!(h.store.commits(), 2);
    let lines = h.keys("u");
    assert!(hint(&lines).contains("nothing to undo"), "{}", hint(&lines));
}

#[test]
fn an_own_file_again_is_all_duplicates_until_its_import_is_undone() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "payments.csv", OWN_PAYMENTS);
    let mut h = harness(120, 40, dir.path());
    open(&mut h, &file);
    h.keys("enter");
    h.keys("enter enter");
    assert!(h.app.import.is_none());
    assert_eq!(h.store.ledger().payments().len(), 9);
    // the same file again: every row is recorded already
    open(&mut h, &file);
    let lines = h.keys("enter");
    shows(
        &lines,
        "0 payments (0 in, 0 out), 0 new parties, 3 duplicates skipped",
    );
    shows(&lines, "already recorded (skipped), lines 2, 3, 4");
    let lines = h.keys("enter");
    shows(&lines, "nothing to import from payments.csv");
    h.keys("enter");
    assert!(h.app.import.is_none());
    assert_eq!(h.store.commits(), 1);
    // one undo takes the import back: the file imports in full again
    let lines = h.keys("u");
    assert!(
        hint(&lines).contains("undone: import of payments.csv (3 payments)"),
        "{}",
        hint(&lines)
    );
    assert_eq!(h.store.ledger().payments().len(), 6);
    open(&mut h, &file);
    let lines = h.keys("enter");
    shows(
        &lines,
        "3 payments (2 in, 1 out), 1 new party, 2 allocated to invoices",
    );
    let lines = h.keys("enter");
    shows(
        &lines,
        "imported 3 payments (2 in, 1 out), 1 new party, 2 allocated to invoices",
    );
    h.keys("enter");
    assert_eq!(h.store.ledger().payments().len(), 9);
    assert_eq!(h.store.commits(), 3);
}

#[test]
fn a_payment_edited_in_the_form_keeps_its_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "payments.csv", OWN_PAYMENTS);
    let mut h = harness(120, 40, dir.path());
    open(&mut h, &file);
    h.keys("enter");
    h.keys("enter enter");
    let imported = |h: &Harness| {
        h.store
            .ledger()
            .payments()
            .iter()
            .find(|p| p.reference == "NK-1")
            .cloned()
            .expect("the imported payment")
    };
    let before = imported(&h);
    assert!(before.source.is_some());
    // edit its notes in the form (the last field) and save
    h.keys("1 /");
    h.type_text("NK-1");
    h.keys("enter");
    let lines = h.keys("e");
    assert!(h.app.form.is_some(), "{}", screen(&lines));
    h.keys("tab tab tab tab tab tab tab tab");
    h.type_text(" (edited)");
    h.keys("ctrl-s");
    assert!(h.app.form.is_none());
    let after = imported(&h);
    assert_eq!(after.notes, "first order (edited)");
    assert_eq!(after.source, before.source);
    // and the file is still known
    h.keys("esc esc");
    open(&mut h, &file);
    let lines = h.keys("enter");
    shows(&lines, "3 duplicates skipped");
}

#[test]
fn a_statement_imported_twice_adds_nothing_the_second_time() {
    let camt = sample("camt053.xml");
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(120, 40, dir.path());
    // a file named .xml is a statement: the kind follows the name
    let lines = open(&mut h, &camt);
    shows(&lines, "< statement >");
    shows(&lines, "detected: CAMT.053");
    let lines = h.keys("enter");
    shows(&lines, "CAMT.053");
    shows(&lines, "0 duplicates skipped");
    h.keys("enter enter enter");
    assert!(h.app.import.is_none());
    let n = h.store.ledger().payments().len();
    assert!(n > 6, "{n}");
    open(&mut h, &camt);
    let lines = h.keys("enter");
    shows(&lines, "would create 0 payments");
    shows(&lines, "already recorded (skipped), lines");
    let lines = h.keys("enter");
    shows(&lines, "nothing to import from camt053.xml");
    let lines = h.keys("enter");
    assert!(h.app.import.is_none(), "{}", screen(&lines));
    assert!(
        hint(&lines).contains("nothing to import"),
        "{}",
        hint(&lines)
    );
    assert_eq!(h.store.ledger().payments().len(), n);
    assert_eq!(h.store.commits(), 1);
    // undone, the statement imports in full again
    h.keys("u");
    assert_eq!(h.store.ledger().payments().len(), 6);
    open(&mut h, &camt);
    let lines = h.keys("enter");
    shows(&lines, "0 duplicates skipped");
    h.keys("enter enter");
    assert_eq!(h.store.ledger().payments().len(), n);
}

#[test]
fn errors_name_file_and_line_and_nothing_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(120, 40, dir.path());
    // a row error in another system's layout: the dry run lists it, enter imports nothing
    let bad = sample("bad_date.csv");
    open(&mut h, &bad);
    let lines = h.keys("enter");
    shows(&lines, "with errors; nothing can be imported");
    shows(
        &lines,
        "bad_date.csv:7: date: '31/02/2026' is not a date (expected %d/%m/%Y)",
    );
    let lines = h.keys("enter");
    shows(&lines, "bad_date.csv:7");
    assert!(h.app.import.is_some());
    assert_eq!(h.store.commits(), 0);
    // paytrack's own layout with a bad date in row 3
    let own = write(
        dir.path(),
        "broken.csv",
        "date,party,direction,amount,currency\n2026-12-01,Acme Corp,in,1,EUR\n2026-13-45,Acme Corp,in,2,EUR\n",
    );
    h.keys("esc ctrl-u");
    h.type_text(&own);
    let lines = h.keys("enter");
    shows(&lines, "nothing was imported");
    shows(&lines, "broken.csv:3: date");
    // a wrong header row
    let wrong = write(dir.path(), "wrong.csv", "when,who,how much\n1,2,3\n");
    h.keys("esc ctrl-u");
    h.type_text(&wrong);
    let lines = h.keys("enter");
    shows(&lines, "wrong.csv:1: the header row matches no profile");
    // a directory
    h.keys("esc ctrl-u");
    h.type_text(&dir.path().display().to_string());
    let lines = h.keys("enter");
    shows(&lines, "is a directory");
    // a file that is not there
    h.keys("esc ctrl-u");
    h.type_text(&format!("{}/missing.csv", dir.path().display()));
    let lines = h.keys("enter");
    shows(&lines, "missing.csv: cannot read");
    assert_eq!(h.store.commits(), 0);
    assert_eq!(h.store.ledger().payments().len(), 6);
}

#[test]
fn esc_cancels_reading_and_closes_the_dialog() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "payments.csv", OWN_PAYMENTS);
    let mut h = harness(100, 30, dir.path());
    open(&mut h, &file);
    // enter starts the dry run; esc before its result is taken stops it
    key(&mut h, KeyCode::Enter);
    assert!(h.app.import.as_ref().unwrap().running());
    assert!(h.app.busy());
    let lines = h.draw();
    shows(&lines, "esc stop");
    assert!(has(&lines, "%"), "a gauge: {}", screen(&lines));
    assert!(has(&lines, " lines"), "bytes and lines: {}", screen(&lines));
    key(&mut h, KeyCode::Esc);
    h.settle();
    let lines = h.draw();
    let d = h.app.import.as_ref().unwrap();
    assert!(matches!(d.stage, Stage::Edit), "{:?}", d.stage);
    shows(&lines, "cancelled; nothing was imported");
    // on the preview esc goes back to the fields, then closes the dialog
    h.keys("enter");
    assert!(matches!(
        h.app.import.as_ref().unwrap().stage,
        Stage::Preview(_)
    ));
    h.keys("esc");
    assert!(matches!(h.app.import.as_ref().unwrap().stage, Stage::Edit));
    let lines = h.keys("esc");
    assert!(h.app.import.is_none());
    assert!(!has(&lines, "Import"), "{}", screen(&lines));
    assert_eq!(h.store.commits(), 0);
    assert!(h.app.undo_labels().is_empty());
}

#[test]
fn dialog_snapshot_80x24() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "payments.csv", OWN_PAYMENTS);
    write(dir.path(), "payouts.csv", "x");
    std::fs::create_dir(dir.path().join("pay-archive")).unwrap();
    let mut h = harness(80, 24, dir.path());
    h.keys("ctrl-o");
    // a path relative to the temporary directory, so the snapshot is stable
    let d = h.app.import.take().unwrap();
    h.app.import = Some(d.with_dirs(dir.path().to_path_buf(), None));
    h.type_text("pay");
    insta::assert_snapshot!("import_fields_80x24", h.keys("tab").join("\n"));
    h.type_text("m");
    h.keys("tab");
    insta::assert_snapshot!("import_preview_80x24", h.keys("enter").join("\n"));
}

#[test]
fn tiny_and_odd_terminal_sizes_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "payments.csv", OWN_PAYMENTS);
    let mut h = harness(80, 24, dir.path());
    open(&mut h, &file);
    let mut stages = Vec::new();
    for keys in ["", "tab", "enter"] {
        h.keys(keys);
        stages.push(keys);
        for (w, hh) in [
            (1, 1),
            (2, 3),
            (10, 4),
            (39, 9),
            (40, 10),
            (41, 11),
            (45, 12),
            (60, 14),
            (200, 12),
            (40, 60),
        ] {
            h.resize(w, hh);
        }
        h.resize(80, 24);
    }
    h.keys("enter");
    for (w, hh) in [(40, 10), (43, 11), (1, 1)] {
        h.resize(w, hh);
    }
    assert_eq!(h.store.ledger().payments().len(), 9);
}

#[test]
fn the_import_key_is_in_both_keymaps_and_the_help() {
    let km = Keymap::default_keymap();
    assert_eq!(
        km.keys_for(Context::List, Action::Import).as_deref(),
        Some("ctrl-o")
    );
    let (emacs, w) = Keymap::load(Some("emacs"), None);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        emacs.keys_for(Context::List, Action::Import).as_deref(),
        Some("ctrl-x i")
    );
    // emacs: C-x i opens the dialog from any list tab
    let dir = tempfile::tempdir().unwrap();
    let mut o = HarnessOptions::fixture(100, 30);
    o.keymap = Some(emacs);
    let mut h = Harness::with(o);
    h.app.import_profile_dir = Some(dir.path().to_path_buf());
    h.keys("2 ctrl-x i");
    assert!(h.app.import.is_some());
    h.keys("ctrl-g");
    assert!(h.app.import.is_none());
    // the help lists the binding and the dialog's keys
    let mut h = harness(120, 40, dir.path());
    let mut seen = String::new();
    h.keys("?");
    for _ in 0..20 {
        seen.push_str(&h.keys("pgdn").join("\n"));
    }
    assert!(seen.contains("Import a file"), "{seen}");
    assert!(seen.contains("[import]"), "{seen}");
    assert!(seen.contains("File: complete the path"), "{seen}");
}

#[test]
fn invoices_and_parties_in_the_own_layout_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let invoices = write(
        dir.path(),
        "invoices.csv",
        "number,party,kind,issue_date,due_date,amount,currency\n\
         INV-900,Acme Corp,receivable,2026-12-01,2026-12-31,990.00,EUR\n\
         INV-901,Zeta AG,receivable,2026-12-02,2027-01-01,10.00,EUR\n",
    );
    let parties = write(
        dir.path(),
        "parties.json",
        r#"[{"name":"Omega Ltd","role":"partner","email":"ap@omega.example"}]"#,
    );
    let mut h = harness(120, 40, dir.path());
    open(&mut h, &invoices);
    // kind: invoices; the layout is fixed to paytrack's own
    let lines = h.keys("down right");
    shows(&lines, "< invoices >");
    shows(&lines, "paytrack's own layout (CSV or JSON)");
    let lines = h.keys("enter");
    let s = screen(&lines);
    shows(&lines, "would create 2 invoices, 1 new party");
    let row = lines
        .iter()
        .find(|l| l.contains("INV-901"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(row.contains("Zeta AG") && row.contains("10.00"), "{row}");
    h.keys("enter enter");
    assert_eq!(h.store.ledger().invoices().len(), 11);
    let lines = h.keys("2");
    assert!(
        status(&lines).starts_with(" 11 invoices"),
        "{}",
        status(&lines)
    );
    // parties from JSON
    open(&mut h, &parties);
    h.keys("down right right");
    let lines = h.keys("enter");
    shows(&lines, "would create 1 party");
    shows(&lines, "JSON");
    h.keys("enter enter");
    assert!(h.store.ledger().party_by_name("Omega Ltd").is_some());
    // undo: the parties, then the invoices (and Zeta AG)
    h.keys("u");
    assert!(h.store.ledger().party_by_name("Omega Ltd").is_none());
    h.keys("u");
    assert_eq!(h.store.ledger().invoices().len(), 9);
    assert!(h.store.ledger().party_by_name("Zeta AG").is_none());
}

#[test]
fn a_preview_made_stale_by_another_session_is_made_again() {
    use paytrack::domain::{Currency, Direction, Method};
    use paytrack::ops::{self, PaymentInput};
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "payments.csv", OWN_PAYMENTS);
    let mut h = harness(120, 40, dir.path());
    open(&mut h, &file);
    h.keys("enter");
    // another session records a payment while the preview is shown
    let input = PaymentInput {
        party: "Tanaka KK".into(),
        direction: Direction::In,
        amount: "7000".parse().unwrap(),
        currency: Currency::JPY,
        date: paytrack::tui::testing::FIXTURE_TODAY,
        method: Method::Cash,
        reference: "ELSEWHERE".into(),
        notes: String::new(),
        allocations: Vec::new(),
    };
    h.store
        .external(|l, ids| {
            ops::add_payment(l, ids, &input, paytrack::tui::testing::FIXTURE_TODAY).map(|x| x.0)
        })
        .unwrap();
    h.settle();
    let lines = h.keys("enter");
    shows(
        &lines,
        "the data changed since the preview; here is a new one",
    );
    assert_eq!(h.store.ledger().payments().len(), 7, "nothing imported yet");
    let lines = h.keys("enter");
    shows(&lines, "imported 3 payments");
    let stored = h.store.ledger();
    assert_eq!(stored.payments().len(), 10);
    let mut ids: Vec<u64> = stored.payments().iter().map(|p| p.id.0).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10, "no id taken twice");
    assert!(stored.payments().iter().any(|p| p.reference == "ELSEWHERE"));
}

#[test]
fn user_profiles_are_offered_and_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = dir.path().join("profiles");
    std::fs::create_dir(&profiles).unwrap();
    std::fs::write(
        profiles.join("sparkasse.toml"),
        r#"title = "Sparkasse CSV export"
delimiter = ";"
decimal_comma = true
date_format = "%d.%m.%Y"
currency = "EUR"
sign = "in_positive"
detect = ["Buchungstag", "Betrag", "Beguenstigter"]

[columns]
date = ["Buchungstag"]
amount = ["Betrag"]
party = ["Beguenstigter"]
reference = ["Verwendungszweck"]
"#,
    )
    .unwrap();
    std::fs::write(profiles.join("broken.toml"), "title = [").unwrap();
    let file = write(
        dir.path(),
        "umsatz.csv",
        "Buchungstag;Betrag;Beguenstigter;Verwendungszweck\n\
         01.12.2026;1.250,00;Acme Corp;INV-002\n\
         02.12.2026;-99,90;Bürobedarf Müller;Toner\n",
    );
    let mut h = Harness::new(120, 40);
    h.app.import_profile_dir = Some(profiles.clone());
    let lines = h.keys("ctrl-o");
    // a broken profile file is named, the others carry on
    shows(&lines, "broken");
    let d = h.app.import.as_ref().unwrap();
    assert!(
        d.layouts
            .iter()
            .any(|l| l.label() == "sparkasse: Sparkasse CSV export (your profile)"),
        "{:?}",
        d.layouts
    );
    h.type_text(&file);
    let lines = h.keys("enter");
    let s = screen(&lines);
    shows(
        &lines,
        "profile 'sparkasse' (Sparkasse CSV export) recognised",
    );
    shows(&lines, "would create 2 payments (1 in, 1 out), 1 new party");
    assert!(has(&lines, "1,250.00") || has(&lines, "1250.00"), "{s}");
    shows(&lines, "Bürobedarf Müller");
    h.keys("enter");
    assert_eq!(h.store.ledger().payments().len(), 8);
}

#[test]
fn the_currency_field_sets_the_currency_of_rows_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(120, 40, dir.path());
    open(&mut h, &sample("xero.csv"));
    // layout auto → the currency field is the fourth
    h.keys("down down down");
    h.type_text("usd");
    let lines = h.keys("enter");
    shows(&lines, "profile 'xero'");
    let row = lines
        .iter()
        .find(|l| l.contains("INV-1001"))
        .unwrap_or_else(|| panic!("{}", screen(&lines)));
    assert!(row.contains("1200.00 USD"), "{row}");
    // a currency that is none is refused before reading
    h.keys("esc ctrl-u");
    h.type_text("dollars");
    let lines = h.keys("enter");
    shows(&lines, "currency:");
    assert!(matches!(h.app.import.as_ref().unwrap().stage, Stage::Edit));
    // paytrack's own layout has its currency column: no currency field
    h.keys("up right");
    assert!(!h
        .app
        .import
        .as_ref()
        .unwrap()
        .fields()
        .contains(&paytrack::tui::import::Field::Currency));
    assert_eq!(h.store.commits(), 0);
}

/// `text` with a comment line put after `at`, holding `c` so that it starts one byte
/// before byte `cut` (so `c` straddles it).
fn with_char_across(text: &str, at: &str, cut: usize, c: char) -> String {
    let i = text.find(at).expect("the place to insert at") + at.len();
    let mut out = format!("{}\n<!-- ", &text[..i]);
    while out.len() < cut - 1 {
        out.push('x');
    }
    out.push(c);
    out.push_str(" -->\n");
    out.push_str(&text[i..]);
    assert!(!out.is_char_boundary(cut));
    out
}

#[test]
fn statements_with_a_character_across_4_or_8_kib_are_previewed() {
    let camt = std::fs::read_to_string(sample("camt053.xml")).unwrap();
    let v2 = std::fs::read_to_string(sample("statement_v2.ofx")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(120, 40, dir.path());
    for (name, text, want) in [
        (
            "c4096.xml",
            with_char_across(&camt, "<BkToCstmrStmt>", 4096, 'ü'),
            "would create 23 payments",
        ),
        (
            "c8192.xml",
            with_char_across(&camt, "<BkToCstmrStmt>", 8192, '€'),
            "would create 23 payments",
        ),
        (
            "o4096.ofx",
            with_char_across(&v2, "<OFX>", 4096, 'ü'),
            "would create 20 payments",
        ),
    ] {
        let f = write(dir.path(), name, &text);
        open(&mut h, &f);
        let lines = h.keys("enter");
        let d = h.app.import.as_ref().unwrap();
        assert!(
            matches!(d.stage, Stage::Preview(_)),
            "{name}: {}",
            screen(&lines)
        );
        shows(&lines, want);
        h.keys("esc esc");
    }
    assert_eq!(h.store.commits(), 0);
}

#[test]
fn the_kind_follows_the_file_name_and_content_until_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let ofx = std::fs::read(sample("statement_v1.ofx")).unwrap();
    let renamed = dir.path().join("export.txt");
    std::fs::write(&renamed, &ofx).unwrap();
    let mut h = harness(120, 40, dir.path());
    // .ofx and .qfx are statements as they are typed; anything else is payments
    let lines = open(&mut h, &format!("{}/bank.QFX", dir.path().display()));
    shows(&lines, "< statement >");
    let lines = h.keys("ctrl-u");
    shows(&lines, "< payments >");
    // a statement under another name is recognised from its content
    h.type_text(&renamed.display().to_string());
    let lines = h.keys("enter");
    shows(&lines, "bank statement (OFX) recognised from the content");
    shows(&lines, "would create 21 payments");
    shows(&lines, "< statement >");
    // a kind chosen by hand stays, and the error says what the file is
    h.keys("esc down right right");
    let lines = h.keys("enter");
    shows(&lines, "< invoices >");
    shows(
        &lines,
        "export.txt:1: this is a bank statement (OFX), not invoices in a CSV layout",
    );
    shows(&lines, "choose the kind");
    // an empty file says so
    let empty = write(dir.path(), "empty.csv", "");
    h.keys("esc esc");
    open(&mut h, &empty);
    let lines = h.keys("enter");
    shows(
        &lines,
        "empty.csv:1: the file is empty: a header row is required",
    );
    assert_eq!(h.store.commits(), 0);
}

#[test]
fn the_preview_matches_by_the_rules_and_the_import_applies_what_it_shows() {
    let dir = tempfile::tempdir().unwrap();
    let invoices = write(
        dir.path(),
        "invoices.csv",
        "number,party,kind,issue_date,due_date,amount,currency\n\
         INV-3001,Omikron AG,receivable,2026-10-10,2026-11-10,300.00,EUR\n\
         INV-3002,Omikron AG,receivable,2026-10-20,2026-11-20,120.00,EUR\n\
         INV-3003,Zeta AG,receivable,2026-10-15,2026-11-15,80.00,EUR\n\
         INV-3004,Zeta AG,receivable,2026-10-25,2026-11-25,80.00,EUR\n",
    );
    let bank = write(
        dir.path(),
        "bank.csv",
        "Date,Counterparty,Amount,Currency,Reference,Description\n\
         2026-11-12,Omikron AG,300.00,EUR,TRF-1,November\n\
         2026-11-13,Omikron AG,50.00,EUR,TRF-2,part of INV-3002\n\
         2026-11-14,Zeta AG,80.00,EUR,TRF-3,thanks\n",
    );
    let mut h = harness(120, 40, dir.path());
    open(&mut h, &invoices);
    h.keys("down right enter enter enter");
    assert_eq!(h.store.ledger().invoices().len(), 13);
    open(&mut h, &bank);
    let lines = h.keys("enter");
    shows(&lines, "profile 'bank'");
    shows(&lines, "2 matched");
    shows(&lines, "1 ambiguous (not applied)");
    shows(
        &lines,
        "ambiguous, left unallocated: line 4: 80.00 EUR (Zeta AG) could pay INV-3003 or INV-3004",
    );
    shows(&lines, "matched by");
    let row = |r: &str| {
        lines
            .iter()
            .find(|l| l.contains(r))
            .unwrap_or_else(|| panic!("{r}: {}", screen(&lines)))
            .clone()
    };
    assert!(row("TRF-1").contains("INV-3001") && row("TRF-1").contains("amount equals"));
    assert!(row("TRF-2").contains("INV-3002") && row("TRF-2").contains("number in"));
    assert!(row("TRF-3").contains("ambiguous"), "{}", row("TRF-3"));
    // what the preview showed is what lands
    h.keys("enter");
    let l = h.store.ledger();
    let alloc = |r: &str| -> Vec<String> {
        let p = l.payments().iter().find(|p| p.reference == r).unwrap();
        p.allocations
            .iter()
            .map(|a| format!("{}={}", l.invoice(a.invoice).unwrap().number, a.amount))
            .collect()
    };
    assert_eq!(alloc("TRF-1"), ["INV-3001=300.00"]);
    assert_eq!(alloc("TRF-2"), ["INV-3002=50.00"]);
    assert!(alloc("TRF-3").is_empty());
}

#[test]
fn a_wide_character_under_the_dialogs_left_edge_leaves_the_border() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows =
        String::from("date,party,direction,amount,currency,method,reference,invoice,notes\n");
    for i in 0..12 {
        rows.push_str(&format!(
            "2026-12-0{},{}株式会社東京山田太郎商事株式会社,in,1.00,EUR,cash,W{i},,\n",
            i % 3 + 1,
            "日本".repeat(i % 4)
        ));
    }
    let file = write(dir.path(), "wide.csv", &rows);
    let mut h = harness(120, 30, dir.path());
    open(&mut h, &file);
    h.keys("enter enter enter");
    assert_eq!(h.store.ledger().payments().len(), 18);
    let wide = |s: &str| unicode_width::UnicodeWidthStr::width(s) > 1;
    let mut straddled = 0;
    for w in 120..=170u16 {
        let list = h.resize(w, 30);
        let x = (w - 100) / 2;
        let under: Vec<usize> = (0..30usize)
            .filter(|&y| wide(h.buffer()[(x - 1, y as u16)].symbol()))
            .collect();
        if under.is_empty() {
            continue;
        }
        straddled += 1;
        let lines = h.keys("ctrl-o");
        let top = lines.iter().position(|l| l.contains(" Import ")).unwrap();
        let bottom = (top + 1..lines.len())
            .find(|&y| h.buffer()[(x + 99, y as u16)].symbol() == "┘")
            .unwrap_or_else(|| panic!("{}", screen(&lines)));
        for y in top + 1..bottom {
            let s = h.buffer()[(x, y as u16)].symbol().to_string();
            assert_eq!(
                s,
                "│",
                "width {w}, row {y}: the left border\n{}\nthe list:\n{}",
                screen(&lines),
                screen(&list)
            );
        }
        h.keys("esc");
    }
    assert!(
        straddled > 3,
        "the list put a wide character under the edge"
    );
}
