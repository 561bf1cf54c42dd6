//! Key-sequence tests: feed keys to the app on an in-memory store, look at the rendered
//! lines and at what reached the store.

use std::sync::Arc;

use paytrack::domain::ledger::Ledger;
use paytrack::domain::{Currency, Direction};
use paytrack::tui::app::{App, AppConfig};
use paytrack::tui::keymap::Keymap;
use paytrack::tui::persist::{MemoryStore, Persistence};
use paytrack::tui::testing::{fixture, Harness, HarnessOptions, FIXTURE_TODAY};
use paytrack::tui::theme::{ColorDepth, Theme};
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn has(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

fn status(lines: &[String]) -> String {
    lines[lines.len() - 2].clone()
}

fn hint(lines: &[String]) -> String {
    lines[lines.len() - 1].clone()
}

#[test]
fn add_a_payment_through_the_form() {
    let mut h = Harness::new(100, 30);
    let lines = h.keys("a");
    assert!(has(&lines, "New payment"), "{}", lines.join("\n"));
    h.type_text("Acme");
    // party completes fuzzily
    let lines = h.draw();
    assert!(
        has(&lines, "> Acme Corp") || has(&lines, "  Acme Corp"),
        "{}",
        lines.join("\n")
    );
    h.keys("ctrl-n tab"); // accept "Acme Corp", focus moves to direction
    h.keys("tab"); // amount
    h.type_text("12,5");
    let lines = h.draw();
    assert!(
        has(&lines, "amount must be a positive decimal"),
        "{}",
        lines.join("\n")
    );
    h.keys("ctrl-u");
    h.type_text("123.45");
    let lines = h.draw();
    assert!(!has(&lines, "positive decimal"));
    assert!(
        has(&lines, "credit (unallocated) 123.45 EUR"),
        "{}",
        lines.join("\n")
    );
    h.keys("up up up"); // back to date
    h.keys("ctrl-u");
    h.type_text("-3d");
    assert!(has(&h.draw(), "= 2026-11-30"));
    let lines = h.keys("ctrl-s");
    assert!(
        !has(&lines, "New payment"),
        "form closed: {}",
        lines.join("\n")
    );
    assert!(hint(&lines).contains("saved"), "{}", hint(&lines));
    let stored = h.store.ledger();
    let p = stored
        .payments()
        .iter()
        .find(|p| p.amount == dec("123.45"))
        .expect("payment reached the store");
    assert_eq!(stored.party_name(p.party), "Acme Corp");
    assert_eq!(p.date, FIXTURE_TODAY - time::Duration::days(3));
    assert_eq!(p.direction, Direction::In);
    assert_eq!(p.currency, Currency::EUR);
    // ... and shows in the list, selected
    let sel = lines.iter().find(|l| l.starts_with('>')).unwrap();
    assert!(
        sel.contains("123.45") && sel.contains("2026-11-30"),
        "{sel}"
    );
    assert!(
        status(&lines).starts_with(" 7 payments"),
        "{}",
        status(&lines)
    );
}

#[test]
fn filter_as_you_type_changes_the_count_and_shows_errors_under_the_term() {
    let mut h = Harness::new(100, 30);
    assert!(status(&h.draw()).starts_with(" 6 payments"));
    h.keys("/");
    let lines = h.type_text("acme");
    assert!(
        status(&lines).starts_with(" 3 of 6 payments"),
        "{}",
        status(&lines)
    );
    assert!(has(&lines, "3 matches"));
    // fuzzy matches are highlighted in the party cells
    let b = h.buffer().clone();
    let hl = Theme::default_theme()
        .styles(ColorDepth::Ansi256)
        .get(paytrack::tui::theme::Role::Highlight);
    let y = lines.iter().position(|l| l.contains("Acme Corp")).unwrap() as u16;
    let x = lines[y as usize][..lines[y as usize].find("Acme Corp").unwrap()]
        .chars()
        .count() as u16;
    assert!(
        b[(x, y)].modifier.contains(hl.add_modifier),
        "A of Acme highlighted"
    );
    // a bad term: error with carets under it, old result stays
    let lines = h.type_text(" stauts:paid");
    let err_line = lines
        .iter()
        .find(|l| l.contains("did you mean 'status'"))
        .expect("error shown");
    let caret = err_line.find('^').unwrap();
    let input_line = lines.iter().find(|l| l.starts_with("/ acme")).unwrap();
    assert_eq!(
        caret,
        input_line.find("stauts").unwrap(),
        "caret under the term"
    );
    assert!(status(&lines).starts_with(" 3 of 6 payments"));
    h.keys("ctrl-w");
    let lines = h.type_text("dir:out");
    assert!(
        status(&lines).starts_with(" 0 of 6 payments"),
        "{}",
        status(&lines)
    );
    assert!(has(&lines, "no matches"));
    // esc reverts to the filter before the bar opened
    let lines = h.keys("esc");
    assert!(
        status(&lines).starts_with(" 6 payments"),
        "{}",
        status(&lines)
    );
    // enter keeps it
    h.keys("/");
    h.type_text("method:card");
    let lines = h.keys("enter");
    assert!(
        status(&lines).starts_with(" 1 of 6 payments"),
        "{}",
        status(&lines)
    );
    assert!(status(&lines).contains("filter: method:card"));
    let lines = h.keys("esc");
    assert!(
        status(&lines).starts_with(" 6 payments"),
        "esc on the list clears it"
    );
}

#[test]
fn split_a_payment_over_two_invoices_with_the_rest_as_credit() {
    let mut h = Harness::new(110, 34);
    h.keys("A");
    h.type_text("Müller GmbH");
    h.keys("tab tab");
    h.type_text("1200");
    h.keys("tab tab tab");
    h.type_text("SPLIT-1");
    h.keys("tab"); // invoices field: open invoices of Müller in EUR are offered
    let lines = h.draw();
    assert!(
        has(&lines, "INV-004") && has(&lines, "INV-003"),
        "{}",
        lines.join("\n")
    );
    assert!(has(&lines, "Suggestions"));
    h.keys("ctrl-n tab"); // oldest due first: INV-004
    h.type_text(";");
    h.keys("ctrl-n tab"); // then INV-003
    let lines = h.draw();
    assert!(has(&lines, "INV-004;INV-003"), "{}", lines.join("\n"));
    assert!(has(&lines, "→ INV-004"), "{}", lines.join("\n"));
    assert!(
        has(&lines, "credit (unallocated) 150.00 EUR"),
        "{}",
        lines.join("\n")
    );
    h.keys("ctrl-s");
    let l = h.store.ledger();
    let p = l
        .payments()
        .iter()
        .find(|p| p.reference == "SPLIT-1")
        .unwrap();
    assert_eq!(p.allocations.len(), 2);
    assert_eq!(p.allocated(), dec("1050"));
    assert_eq!(p.unallocated(), dec("150"));
    let inv4 = l.invoice_by_number("INV-004").unwrap();
    assert!(l
        .settlement(inv4, &paytrack::domain::StatusRules::new(FIXTURE_TODAY))
        .is_paid());
    // the reminders tab no longer lists INV-004
    let lines = h.keys("6");
    assert!(!has(&lines, "INV-004"), "{}", lines.join("\n"));
    assert!(has(&lines, "INV-002"));
}

#[test]
fn over_allocating_a_split_is_refused_with_the_reason() {
    let mut h = Harness::new(110, 34);
    h.keys("A");
    h.type_text("Müller GmbH");
    h.keys("tab tab");
    h.type_text("100");
    h.keys("tab tab tab tab");
    h.type_text("INV-004=80;INV-003=50");
    let lines = h.keys("ctrl-s");
    assert!(has(&lines, "more than the amount"), "{}", lines.join("\n"));
    assert_eq!(h.store.commits(), 0);
}

#[test]
fn undo_reverts_the_last_change_in_memory_and_in_the_store() {
    let mut h = Harness::new(100, 30);
    h.keys("a");
    h.type_text("Tanaka KK");
    h.keys("tab tab");
    h.type_text("5000");
    h.keys("tab ctrl-u");
    h.type_text("JPY");
    let lines = h.keys("ctrl-s");
    assert!(
        status(&lines).starts_with(" 7 payments"),
        "{}",
        status(&lines)
    );
    assert_eq!(h.store.ledger().payments().len(), 7);
    let lines = h.keys("u");
    assert!(
        hint(&lines).contains("undone: added payment"),
        "{}",
        hint(&lines)
    );
    assert!(status(&lines).starts_with(" 6 payments"));
    assert_eq!(h.store.ledger().payments().len(), 6);
    let lines = h.keys("u");
    assert!(hint(&lines).contains("nothing to undo"));
    // deleting asks first, and undo brings the record back
    let lines = h.keys("d");
    assert!(
        has(&lines, "Delete payment of 20000 JPY from Tanaka KK"),
        "{}",
        lines.join("\n")
    );
    let lines = h.keys("n");
    assert!(status(&lines).starts_with(" 6 payments"));
    let lines = h.keys("d y");
    assert!(
        status(&lines).starts_with(" 5 payments"),
        "{}",
        status(&lines)
    );
    assert_eq!(h.store.ledger().payments().len(), 5);
    h.keys("u");
    assert_eq!(h.store.ledger().payments().len(), 6);
    let l = h.store.ledger();
    assert!(l.payments().iter().any(|p| p.amount == dec("20000")));
}

#[test]
fn new_party_is_created_after_confirming() {
    let mut h = Harness::new(100, 30);
    h.keys("I");
    h.type_text("INV-100");
    h.keys("tab");
    h.type_text("Zebra Ltd");
    let lines = h.draw();
    assert!(has(&lines, "new party"));
    h.keys("tab tab tab tab");
    h.type_text("99.99");
    let lines = h.keys("ctrl-s");
    assert!(
        has(&lines, "'Zebra Ltd' is not a party yet. Create it?"),
        "{}",
        lines.join("\n")
    );
    let lines = h.keys("y");
    assert!(
        hint(&lines).contains("saved: added invoice INV-100"),
        "{}",
        hint(&lines)
    );
    let l = h.store.ledger();
    let inv = l.invoice_by_number("INV-100").unwrap();
    assert_eq!(l.party_name(inv.party), "Zebra Ltd");
    // due date came from the default terms (30 days)
    assert_eq!(inv.due_date, FIXTURE_TODAY + time::Duration::days(30));
}

#[test]
fn esc_asks_before_discarding_changes() {
    let mut h = Harness::new(100, 30);
    h.keys("a");
    let lines = h.keys("esc");
    assert!(!has(&lines, "New payment"), "untouched form closes at once");
    h.keys("a");
    h.type_text("x");
    let lines = h.keys("esc");
    assert!(has(&lines, "Discard your changes?"));
    let lines = h.keys("n");
    assert!(has(&lines, "New payment"));
    let lines = h.keys("esc y");
    assert!(!has(&lines, "New payment"));
    assert_eq!(h.store.commits(), 0);
}

#[test]
fn edit_an_invoice_and_a_party() {
    let mut h = Harness::new(100, 30);
    h.keys("2 e");
    let lines = h.draw();
    assert!(has(&lines, "Edit invoice"), "{}", lines.join("\n"));
    h.keys("tab tab tab tab tab tab tab");
    h.type_text(" urgent");
    h.keys("ctrl-s");
    let l = h.store.ledger();
    assert_eq!(l.invoice_by_number("INV-005").unwrap().notes, " urgent");
    h.keys("3 e");
    h.keys("tab tab");
    h.keys("ctrl-u");
    h.type_text("not-an-email");
    let lines = h.keys("ctrl-s");
    assert!(has(&lines, "not an email address"), "{}", lines.join("\n"));
    h.keys("ctrl-u");
    h.type_text("new@acme.example");
    h.keys("ctrl-s");
    assert_eq!(
        h.store.ledger().party_by_name("Acme Corp").unwrap().email,
        "new@acme.example"
    );
}

#[test]
fn saved_filter_round_trip() {
    let mut h = Harness::new(100, 30);
    h.keys("2 /");
    h.type_text("status:overdue");
    let lines = h.keys("enter");
    assert!(
        status(&lines).starts_with(" 3 of 9 invoices"),
        "{}",
        status(&lines)
    );
    let lines = h.keys("w");
    assert!(has(&lines, "Save filter"));
    h.type_text("Late");
    h.keys("tab tab");
    h.type_text("3");
    h.keys("ctrl-s");
    let saved = h.store.saved_filters().unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].name, "Late");
    assert_eq!(saved[0].query, "status:overdue");
    assert_eq!(saved[0].pin, Some(3));
    let lines = h.keys("4");
    assert!(
        has(&lines, "Late") && has(&lines, "alt-3"),
        "{}",
        lines.join("\n")
    );
    // clear, then apply via the pin and via enter
    let lines = h.keys("2 F");
    assert!(status(&lines).starts_with(" 9 invoices"));
    let lines = h.keys("alt-3");
    assert!(
        status(&lines).starts_with(" 3 of 9 invoices"),
        "{}",
        status(&lines)
    );
    h.keys("F 4");
    let lines = h.keys("enter");
    assert!(lines[0].contains(" 2 Invoices "));
    assert!(
        status(&lines).contains("filter: status:overdue"),
        "{}",
        status(&lines)
    );
    // edit: rename
    h.keys("4 e");
    h.keys("ctrl-u");
    h.type_text("Overdue");
    h.keys("ctrl-s");
    let saved = h.store.saved_filters().unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].name, "Overdue");
    // a new App on the same store sees it
    let app2 = App::new(AppConfig {
        persist: h.store.clone(),
        today: FIXTURE_TODAY,
        keymap: Keymap::default_keymap(),
        styles: Theme::default_theme().styles(ColorDepth::Ansi256),
        warnings: vec![],
        filter: None,
        tab: None,
    });
    assert_eq!(app2.filters.len(), 1);
    // delete asks first
    let lines = h.keys("d");
    assert!(has(&lines, "Delete saved filter 'Overdue'?"));
    h.keys("y");
    assert!(h.store.saved_filters().unwrap().is_empty());
}

#[test]
fn sort_cycles_columns_and_reverses() {
    let mut h = Harness::new(100, 30);
    let lines = h.keys("s");
    assert!(lines[1].contains("Party▼"), "{}", lines[1]);
    assert!(lines[2].contains("Tanaka"), "desc by party: {}", lines[2]);
    let lines = h.keys("S");
    assert!(lines[1].contains("Party▲"));
    assert!(lines[2].contains("Acme Corp"));
    let lines = h.keys("s");
    assert!(lines[1].contains("Amount▲"));
    assert!(lines[2].contains("150.00"), "{}", lines[2]);
    // the selection follows the record across a re-sort
    h.keys("j");
    let before = h.draw().into_iter().find(|l| l.starts_with('>')).unwrap();
    let lines = h.keys("S");
    let after = lines.iter().find(|l| l.starts_with('>')).unwrap();
    assert_eq!(before[1..], after[1..]);
}

#[test]
fn tabs_switch_by_number_tab_key_and_mouse() {
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut h = Harness::new(100, 30);
    let lines = h.keys("tab");
    assert!(status(&lines).contains("invoices"));
    let lines = h.keys("shift-tab shift-tab");
    assert!(lines[1].contains("Late"), "reminders: {}", lines[1]);
    let lines = h.keys("3");
    assert!(lines[1].contains("Name"));
    // click on "5 Reports"
    let x = h.draw()[0].find("5 Reports").unwrap() as u16;
    h.app.handle_mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x + 2,
        row: 0,
        modifiers: KeyModifiers::empty(),
    });
    h.settle();
    let lines = h.draw();
    assert!(
        has(&lines, "Aging as of 2026-12-03"),
        "{}",
        lines.join("\n")
    );
    // click a row on the payments list selects it
    h.keys("1");
    h.app.handle_mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 10,
        row: 4,
        modifiers: KeyModifiers::empty(),
    });
    let lines = h.draw();
    assert!(lines[4].starts_with('>'), "{}", lines[4]);
}

#[test]
fn keymap_override_is_merged_over_the_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("keymap.toml"),
        "[[list]]\non = \"x\"\nrun = \"sort_next\"\ndesc = \"Sort (mine)\"\n\n[[global]]\non = \"Q\"\nrun = \"quit\"\ndesc = \"Quit too\"\n",
    )
    .unwrap();
    let (km, warnings) = Keymap::load(None, Some(dir.path()));
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut o = HarnessOptions::fixture(100, 130);
    o.keymap = Some(km);
    let mut h = Harness::with(o);
    let lines = h.keys("x");
    assert!(lines[1].contains("Party▼"), "x sorts now: {}", lines[1]);
    let lines = h.keys("j");
    assert!(
        lines[3].starts_with('>'),
        "defaults still work: {}",
        lines[3]
    );
    assert!(lines[2].contains("Tanaka"), "{}", lines[2]);
    let help = h.keys("?").join("\n");
    assert!(help.contains("Sort (mine)") && help.contains("Quit too"));
    h.keys("esc Q");
    assert!(h.app.should_quit());
}

#[test]
fn bad_keymap_file_is_reported_with_its_line_and_defaults_carry_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keymap.toml");
    std::fs::write(
        &path,
        "list = [\n  { on = \"j\", run = \"down\", desc = \"Down\" },\n  { on = \"z\", run = \"zoom\", desc = \"Zoom\" },\n  { on = \"j\", run = \"up\", desc = \"Up\" },\n]\n",
    )
    .unwrap();
    let (km, warnings) = Keymap::load(None, Some(dir.path()));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(warnings[0].line, Some(3));
    assert!(
        warnings[0]
            .to_string()
            .ends_with("keymap.toml:3: unknown action 'zoom'"),
        "{}",
        warnings[0]
    );
    assert_eq!(warnings[1].line, Some(4));
    assert!(warnings[1].message.contains("duplicate binding 'j'"));
    let store = Arc::new(MemoryStore::new(fixture()));
    let mut app = App::new(AppConfig {
        persist: store,
        today: FIXTURE_TODAY,
        keymap: km,
        styles: Theme::default_theme().styles(ColorDepth::Ansi256),
        warnings,
        filter: None,
        tab: None,
    });
    app.settle(std::time::Duration::from_secs(10));
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    term.draw(|f| paytrack::tui::ui::draw(f, &mut app)).unwrap();
    let lines = paytrack::tui::testing::buffer_lines(term.backend().buffer());
    let last = lines.last().unwrap();
    assert!(
        last.contains("keymap.toml:3: unknown action 'zoom' (+1 more, see ?)"),
        "{last}"
    );
    // j is still "down" (the first binding wins; defaults carry on)
    app.handle_key(ratatui::crossterm::event::KeyEvent::from(
        ratatui::crossterm::event::KeyCode::Char('j'),
    ));
    assert_eq!(
        app.list(paytrack::tui::views::ListKind::Payments).selected,
        1
    );
}

#[test]
fn opens_on_the_requested_tab_with_the_filter_applied() {
    let mut o = HarnessOptions::fixture(100, 30);
    o.tab = Some("invoices".into());
    o.filter = Some("party:acme".into());
    let mut h = Harness::with(o);
    let lines = h.draw();
    assert!(
        status(&lines).starts_with(" 4 of 9 invoices"),
        "{}",
        status(&lines)
    );
    let mut o = HarnessOptions::fixture(100, 30);
    o.filter = Some("stauts:x".into());
    let mut h = Harness::with(o);
    let lines = h.draw();
    assert!(
        hint(&lines).contains("did you mean 'status'"),
        "{}",
        hint(&lines)
    );
    assert!(status(&lines).starts_with(" 6 payments"));
}

#[test]
fn first_frame_comes_from_the_preview_before_the_full_load() {
    /// A store whose full load blocks until released.
    struct Slow {
        inner: MemoryStore,
        gate: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    }
    impl Persistence for Slow {
        fn load(&self) -> anyhow::Result<Ledger> {
            let _ = self.gate.lock().unwrap().recv();
            self.inner.load()
        }
        fn preview(
            &self,
            n: usize,
        ) -> anyhow::Result<(Vec<paytrack::domain::Party>, Vec<paytrack::domain::Payment>)>
        {
            self.inner.preview(n)
        }
        fn ids(&self) -> anyhow::Result<paytrack::domain::IdSeq> {
            self.inner.ids()
        }
        fn commit(&self, set: &paytrack::domain::ChangeSet) -> anyhow::Result<()> {
            self.inner.commit(set)
        }
        fn saved_filters(&self) -> anyhow::Result<Vec<paytrack::domain::SavedFilter>> {
            self.inner.saved_filters()
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let slow = Arc::new(Slow {
        inner: MemoryStore::new(fixture()),
        gate: std::sync::Mutex::new(rx),
    });
    let mut app = App::new(AppConfig {
        persist: slow,
        today: FIXTURE_TODAY,
        keymap: Keymap::default_keymap(),
        styles: Theme::default_theme().styles(ColorDepth::Ansi256),
        warnings: vec![],
        filter: None,
        tab: None,
    });
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    // let the preview list compute, without the full load
    for _ in 0..200 {
        app.tick(std::time::Instant::now());
        if app.list(paytrack::tui::views::ListKind::Payments).fresh {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    term.draw(|f| paytrack::tui::ui::draw(f, &mut app)).unwrap();
    let lines = paytrack::tui::testing::buffer_lines(term.backend().buffer());
    assert!(!app.loaded);
    assert!(lines[0].contains("loading"), "{}", lines[0]);
    assert!(
        lines.iter().any(|l| l.contains("ACME-1020")),
        "{}",
        lines.join("\n")
    );
    // forms wait for the full ledger
    app.handle_key(ratatui::crossterm::event::KeyEvent::from(
        ratatui::crossterm::event::KeyCode::Char('a'),
    ));
    assert!(app.form.is_none());
    tx.send(()).unwrap();
    app.settle(std::time::Duration::from_secs(10));
    assert!(app.loaded);
    assert_eq!(app.ledger().invoices().len(), 9);
}

#[test]
fn edits_apply_to_a_copy_while_the_ledger_is_shared() {
    let mut h = Harness::new(100, 30);
    let held = h.app.ledger_handle();
    h.keys("a");
    h.type_text("Acme Corp");
    h.keys("tab tab");
    h.type_text("42.00");
    let lines = h.keys("ctrl-s");
    assert!(
        status(&lines).starts_with(" 7 payments"),
        "{}",
        status(&lines)
    );
    assert_eq!(held.payments().len(), 6, "the shared snapshot is untouched");
    assert_eq!(h.app.ledger().payments().len(), 7);
    drop(held);
    h.keys("u");
    assert_eq!(h.app.ledger().payments().len(), 6);
}

#[test]
fn deleting_parties_is_planned_off_the_ui_thread_and_asks_again_when_in_use() {
    let mut h = Harness::new(100, 30);
    h.keys("P");
    h.type_text("Lonely Ltd");
    h.keys("ctrl-s");
    let lines = h.keys("3");
    let row = lines.iter().position(|l| l.contains("Lonely Ltd")).unwrap();
    let sel = lines.iter().position(|l| l.starts_with('>')).unwrap();
    assert_eq!(row, sel, "the new party is selected");
    let lines = h.keys("d");
    assert!(has(&lines, "Delete party 'Lonely Ltd'?"));
    let lines = h.keys("y");
    assert!(
        hint(&lines).contains("deleted party 'Lonely Ltd'"),
        "{}",
        hint(&lines)
    );
    assert!(h.store.ledger().party_by_name("Lonely Ltd").is_none());
    // a party with records: asked again, naming what would go with it; no keeps it
    let lines = h.keys("g g d y");
    let screen = lines.join("\n");
    assert!(
        screen.contains("party 'Acme Corp' has 4 invoice(s) and 3 payment(s)")
            && screen.contains("all of them?"),
        "{screen}"
    );
    h.keys("n");
    assert!(h.app.confirm.is_none());
    assert!(h.store.ledger().party_by_name("Acme Corp").is_some());
    assert_eq!(h.store.ledger().payments().len(), 6);
    assert!(h.store.safety_copies().is_empty());
    // yes deletes them all, after a safety copy
    let lines = h.keys("g g d y y");
    assert!(h.store.ledger().party_by_name("Acme Corp").is_none());
    assert_eq!(h.store.ledger().payments().len(), 3);
    assert_eq!(h.store.safety_copies(), ["bulk delete"]);
    assert!(
        hint(&lines).contains("deleted party 'Acme Corp'")
            && hint(&lines).contains("safety copy 1 before bulk delete"),
        "{}",
        hint(&lines)
    );
}
