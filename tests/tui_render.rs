//! Rendering tests on ratatui's TestBackend with a fixed today: snapshots of every tab
//! at 80x24 and 120x40, direct style assertions (snapshots drop styles), small and
//! resized terminals, and neutralised data text.

use paytrack::tui::testing::{Harness, HarnessOptions};
use paytrack::tui::theme::{ColorDepth, Role, Theme};
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

const TABS: [(&str, &str); 6] = [
    ("1", "payments"),
    ("2", "invoices"),
    ("3", "parties"),
    ("4", "filters"),
    ("5", "reports"),
    ("6", "reminders"),
];

#[test]
fn snapshot_every_tab_80x24() {
    let mut h = Harness::new(80, 24);
    for (key, name) in TABS {
        let screen = h.keys(key).join("\n");
        insta::assert_snapshot!(format!("tab_{name}_80x24"), screen);
    }
}

#[test]
fn snapshot_every_tab_120x40() {
    let mut h = Harness::new(120, 40);
    for (key, name) in TABS {
        let screen = h.keys(key).join("\n");
        insta::assert_snapshot!(format!("tab_{name}_120x40"), screen);
    }
}

#[test]
fn snapshot_details_and_help() {
    let mut h = Harness::new(120, 40);
    insta::assert_snapshot!("payment_detail_120x40", h.keys("1 j j enter").join("\n"));
    insta::assert_snapshot!("invoice_detail_120x40", h.keys("2 j j j enter").join("\n"));
    insta::assert_snapshot!("party_detail_120x40", h.keys("3 j j enter").join("\n"));
    insta::assert_snapshot!("help_120x40", h.keys("?").join("\n"));
}

/// (x, y) of the first occurrence of `needle` in the buffer.
fn find(b: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let lines = paytrack::tui::testing::buffer_lines(b);
    for (y, l) in lines.iter().enumerate() {
        if let Some(byte) = l.find(needle) {
            let x = l[..byte].chars().count();
            return Some((x as u16, y as u16));
        }
    }
    None
}

#[test]
fn overdue_cells_use_the_overdue_role() {
    let styles = Theme::default_theme().styles(ColorDepth::Ansi256);
    let overdue = styles.get(Role::Overdue);
    let due_soon = styles.get(Role::DueSoon);
    let mut h = Harness::new(80, 24);
    h.keys("2");
    let b = h.buffer().clone();
    // INV-004 is 94 days overdue: its marker, number and status cells carry the role.
    let (x, y) = find(&b, "INV-004").expect("INV-004 shown");
    for dx in 0..7 {
        assert_eq!(b[(x + dx, y)].fg, overdue.fg.unwrap(), "INV-004 cell {dx}");
        assert!(b[(x + dx, y)].modifier.contains(Modifier::BOLD));
    }
    assert_eq!(b[(1, y)].symbol(), "!");
    assert_eq!(b[(1, y)].fg, overdue.fg.unwrap());
    let (sx, sy) = find(&b, "overdue").unwrap();
    assert_eq!(
        sy,
        find(&b, "B-BLUE-1").unwrap().1,
        "first overdue status is B-BLUE-1's"
    );
    assert_eq!(b[(sx, sy)].fg, overdue.fg.unwrap());
    // Due soon and paid rows use their roles, not overdue.
    let (x, y) = find(&b, "INV-003").unwrap();
    assert_eq!(b[(x, y)].fg, due_soon.fg.unwrap());
    assert_eq!(b[(1, y)].symbol(), "~");
    let (x, y) = find(&b, "INV-001").unwrap();
    assert_eq!(b[(x, y)].fg, styles.get(Role::Paid).fg.unwrap());
    // Payments whose invoice was paid late are overdue-highlighted too.
    h.keys("1");
    let b = h.buffer().clone();
    let (x, y) = find(&b, "ACME-1020").unwrap();
    assert_eq!(b[(x, y)].fg, overdue.fg.unwrap());
    assert_eq!(b[(1, y)].symbol(), "!");
    let (x, y) = find(&b, "BLUE-OCT").unwrap();
    assert_eq!(b[(x, y)].fg, styles.get(Role::Paid).fg.unwrap());
    let (_, y) = find(&b, "ADVANCE").unwrap();
    assert_eq!(b[(1, y)].symbol(), "+");
    assert_eq!(b[(1, y)].fg, styles.get(Role::Credit).fg.unwrap());
}

#[test]
fn selection_keeps_the_status_colour_and_adds_the_selection_role() {
    let styles = Theme::default_theme().styles(ColorDepth::Ansi256);
    let mut h = Harness::new(80, 24);
    let lines = h.keys("6");
    // Reminders: the most overdue (INV-004) is first and selected.
    assert!(lines[2].starts_with(">!"), "{}", lines[2]);
    let b = h.buffer();
    let (x, y) = find(b, "INV-004").unwrap();
    assert_eq!(b[(x, y)].bg, styles.get(Role::Selection).bg.unwrap());
    assert_eq!(b[(x, y)].fg, styles.get(Role::Overdue).fg.unwrap());
    let (x2, y2) = find(b, "INV-002").unwrap();
    assert_ne!(b[(x2, y2)].bg, styles.get(Role::Selection).bg.unwrap());
}

#[test]
fn without_colour_markers_and_modifiers_still_show() {
    let styles = Theme::default_theme().styles(ColorDepth::NoColor);
    let mut o = HarnessOptions::fixture(80, 24);
    o.styles = Some(styles);
    o.tab = Some("invoices".into());
    let mut h = Harness::with(o);
    let lines = h.draw();
    let b = h.buffer();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            let c = &b[(x, y)];
            assert_eq!(c.fg, ratatui::style::Color::Reset, "colour at {x},{y}");
            assert_eq!(c.bg, ratatui::style::Color::Reset, "colour at {x},{y}");
            assert!(!c.modifier.contains(Modifier::REVERSED));
        }
    }
    // Selected row: '>' marker, bold + underlined.
    assert!(lines[2].starts_with('>'));
    assert!(b[(5, 2)]
        .modifier
        .contains(Modifier::UNDERLINED | Modifier::BOLD));
    // An overdue row that is not selected: '!' marker and bold, not underlined.
    let (x, y) = find(b, "INV-004").unwrap();
    assert_eq!(b[(1, y)].symbol(), "!");
    assert!(b[(x, y)].modifier.contains(Modifier::BOLD));
    assert!(!b[(x, y)].modifier.contains(Modifier::UNDERLINED));
    // A plain open row has neither.
    let (x, y) = find(b, "INV-003").unwrap();
    assert!(!b[(x, y)].modifier.contains(Modifier::BOLD));
    assert_eq!(b[(1, y)].symbol(), "~");
}

#[test]
fn tiny_and_resized_terminals_never_panic() {
    let mut h = Harness::new(20, 5);
    let s = h.draw().join("");
    assert!(s.contains("too small"), "{s}");
    for (w, hgt) in [
        (1, 1),
        (0, 0),
        (39, 9),
        (40, 10),
        (41, 12),
        (200, 60),
        (25, 5),
        (80, 24),
    ] {
        for key in [
            "1", "2", "3", "4", "5", "6", "enter", "?", "esc", "a", "esc", "/",
        ] {
            h.resize(w, hgt);
            h.keys(key);
        }
        h.keys("esc esc");
    }
    let full = h.resize(80, 24).join("\n");
    assert!(full.contains("Payments"), "{full}");
}

#[test]
fn data_text_is_neutralised() {
    let h = Harness::new(80, 24);
    let s = h.screen();
    assert!(!s.contains('\u{202e}'), "bidi override reached the screen");
    assert!(s.contains("ADVANCE\u{fffd}X"), "{s}");
}

#[test]
fn invisible_and_format_characters_never_reach_the_screen() {
    use paytrack::domain::ledger::Ledger;
    let f = paytrack::tui::testing::fixture();
    let (mut parties, invoices, mut payments) = (
        f.parties().to_vec(),
        f.invoices().to_vec(),
        f.payments().to_vec(),
    );
    let hidden = "\u{ad}\u{180e}\u{200b}\u{2028}\u{feff}\u{e0041}\u{3164}\u{9b}\u{85}";
    parties[0].name = format!("Soft{hidden}Corp");
    parties[0].notes = format!("note{hidden}end");
    for p in &mut payments {
        p.reference = format!("{}{hidden}R", p.reference);
        p.notes = format!("pn{hidden}");
    }
    let mut o = HarnessOptions::fixture(160, 40);
    o.ledger = Ledger::from_records(parties, invoices, payments);
    let mut h = Harness::with(o);
    let is_unsafe = |c: char| hidden.contains(c) || paytrack::text::is_unsafe_char(c);
    for keys in ["1", "enter", "esc 2", "enter", "esc 3", "enter", "esc 5"] {
        let s = h.keys(keys).join("\n");
        assert!(
            !s.chars().any(|c| c != '\n' && is_unsafe(c)),
            "after {keys}: {s:?}"
        );
    }
    let s = h.keys("esc 1").join("\n");
    assert!(
        s.contains(
            "Soft\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}Corp"
        ),
        "{s}"
    );
}
