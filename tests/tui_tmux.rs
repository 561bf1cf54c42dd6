//! End-to-end: the real binary in tmux. Start, switch tabs, add a payment, quit; the store
//! then holds it and the terminal is usable. With NO_COLOR, and with a 256-colour TERM
//! but no COLORTERM, the selected row and overdue rows stay distinguishable in
//! `capture-pane -e` output.
//!
//! Skipped (with a message) only when tmux is not installed.

use std::process::Command;
use std::time::Duration;

mod common;
use common::tmux::{have_tmux, seed, Tmux, BIN, TODAY};

fn loaded(s: &str) -> bool {
    s.contains(" 1 Payments ") && s.contains(" payments │") && !s.contains("loading")
}

#[test]
fn start_switch_tabs_add_a_payment_quit_and_the_store_holds_it() {
    if !have_tmux("the end-to-end TUI test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db, 300);
    let t = Tmux::start("main", "env PS1='ptsh$ ' sh");
    t.wait_for("ptsh$");
    t.text(&format!("{BIN} --db {} --today {TODAY}", db.display()));
    t.keys(&["Enter"]);
    t.wait("the first frame", 30, loaded);
    assert_eq!(t.display("#{alternate_on}"), "1");
    t.keys(&["2"]);
    t.wait_for("invoices │");
    t.keys(&["5"]);
    t.wait_for("Aging as of 2026-12-03");
    t.keys(&["6"]);
    t.wait_for("to remind │");
    t.keys(&["1"]);
    t.wait_for("300 payments │");
    t.keys(&["a"]);
    t.wait_for("New payment");
    t.text("Tmux Test Ltd");
    t.keys(&["Tab", "Tab"]);
    t.text("77.70");
    t.keys(&["Tab", "Tab", "Tab"]);
    t.text("TMUX-1");
    t.keys(&["C-s"]);
    t.wait_for("is not a party yet");
    t.keys(&["y"]);
    let s = t.wait("the saved payment in the list", 30, |s| {
        s.contains("saved: added payment") && s.contains("301 payments │")
    });
    let sel = s.lines().find(|l| l.starts_with('>')).unwrap_or_default();
    assert!(sel.contains("TMUX-1") && sel.contains("77.70"), "{s}");
    assert!(s.contains("301 payments │"), "{s}");
    t.keys(&["q"]);
    t.wait("the shell prompt after quitting", 30, |s| {
        s.lines().filter(|l| l.starts_with("ptsh$")).count() >= 2
    });
    assert_eq!(
        t.display("#{alternate_on} #{mouse_any_flag}"),
        "0 0",
        "alt screen and mouse off"
    );
    // The terminal is usable: canonical mode and echo are back.
    t.text("stty -a | tr ' ' '\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'; echo done-$((40+2))");
    t.keys(&["Enter"]);
    let s = t.wait_for("done-42");
    let lines: Vec<&str> = s.lines().map(str::trim).collect();
    assert!(lines.contains(&"icanon") && lines.contains(&"echo"), "{s}");
    assert!(
        !lines.contains(&"-icanon") && !lines.contains(&"-echo"),
        "{s}"
    );
    drop(t);
    let out = Command::new(BIN)
        .args(["payments", "--format", "csv", "--today", TODAY, "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = csv
        .lines()
        .find(|l| l.contains("TMUX-1"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(
        row.contains("Tmux Test Ltd") && row.contains("77.70") && row.contains("2026-12-03"),
        "{row}"
    );
}

/// Attributes of one screen cell as rebuilt from `capture-pane -e` output.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Attr {
    bold: bool,
    underline: bool,
    italic: bool,
    reverse: bool,
    fg: Option<u32>,
    bg: Option<u32>,
    truecolor: bool,
}

/// Parses SGR sequences; returns per line the characters with their attributes.
fn parse_sgr(s: &str) -> Vec<Vec<(char, Attr)>> {
    let mut lines = vec![Vec::new()];
    let mut a = Attr::default();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\u{1b}' {
            if it.peek() != Some(&'[') {
                continue;
            }
            it.next();
            let mut params = String::new();
            let mut fin = ' ';
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    fin = d;
                    break;
                }
                params.push(d);
            }
            if fin != 'm' {
                continue;
            }
            let p: Vec<u32> = if params.is_empty() {
                vec![0]
            } else {
                params.split(';').map(|x| x.parse().unwrap_or(0)).collect()
            };
            let mut i = 0;
            while i < p.len() {
                match p[i] {
                    0 => a = Attr::default(),
                    1 => a.bold = true,
                    3 => a.italic = true,
                    4 => a.underline = true,
                    7 => a.reverse = true,
                    22 => a.bold = false,
                    23 => a.italic = false,
                    24 => a.underline = false,
                    27 => a.reverse = false,
                    38 | 48 => {
                        let (v, tc, n) = match p.get(i + 1) {
                            Some(5) => (p.get(i + 2).copied().unwrap_or(0), false, 2),
                            Some(2) => (
                                p.get(i + 2..i + 5)
                                    .map_or(0, |x| x[0] << 16 | x[1] << 8 | x[2]),
                                true,
                                4,
                            ),
                            _ => (0, false, 0),
                        };
                        if p[i] == 38 {
                            a.fg = Some(v);
                        } else {
                            a.bg = Some(v);
                        }
                        a.truecolor |= tc;
                        i += n;
                    }
                    30..=37 | 90..=97 => a.fg = Some(p[i]),
                    40..=47 | 100..=107 => a.bg = Some(p[i]),
                    39 => a.fg = None,
                    49 => a.bg = None,
                    _ => {}
                }
                i += 1;
            }
        } else if c == '\n' {
            lines.push(Vec::new());
        } else {
            lines.last_mut().unwrap().push((c, a));
        }
    }
    lines
}

/// A screen line: characters with their attributes.
type ScreenLine = Vec<(char, Attr)>;

/// (selected row, overdue rows not selected, due-soon rows) of the reminders screen.
fn rows(screen: &[ScreenLine]) -> (ScreenLine, Vec<ScreenLine>, Vec<ScreenLine>) {
    let sel = screen
        .iter()
        .find(|l| l.first().is_some_and(|c| c.0 == '>'))
        .cloned()
        .expect("a selected row");
    let overdue = screen
        .iter()
        .filter(|l| l.len() > 3 && l[0].0 == ' ' && l[1].0 == '!')
        .cloned()
        .collect::<Vec<_>>();
    let soon = screen
        .iter()
        .filter(|l| l.len() > 3 && l[0].0 == ' ' && l[1].0 == '~')
        .cloned()
        .collect::<Vec<_>>();
    (sel, overdue, soon)
}

/// Attributes of the first data cell after the marker columns (the number column).
fn cell(l: &[(char, Attr)]) -> Attr {
    l.iter()
        .skip(2)
        .find(|(c, _)| c.is_ascii_alphanumeric())
        .map(|x| x.1)
        .unwrap_or_default()
}

fn reminders_screen(name: &str, env: &str) -> (String, Vec<Vec<(char, Attr)>>) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db, 300);
    let cmd = format!(
        "env {env} {BIN} --db {} --today {TODAY} --tab reminders",
        db.display()
    );
    let t = Tmux::start(name, &cmd);
    t.wait("the reminders", 30, |s| {
        s.contains("to remind │") && !s.contains("loading")
    });
    std::thread::sleep(Duration::from_millis(300));
    let raw = t.capture_with_escapes();
    t.keys(&["q"]);
    (raw.clone(), parse_sgr(&raw))
}

#[test]
fn no_color_keeps_selection_and_overdue_rows_distinguishable() {
    if !have_tmux("the end-to-end TUI test") {
        return;
    }
    let (raw, screen) = reminders_screen("nocolor", "-u COLORTERM NO_COLOR=1 TERM=xterm-256color");
    assert!(
        !raw.contains("\u{1b}[38;") && !raw.contains("\u{1b}[48;"),
        "colour under NO_COLOR"
    );
    let (sel, overdue, _) = rows(&screen);
    assert!(!overdue.is_empty(), "{raw}");
    let s = cell(&sel);
    let o = cell(&overdue[0]);
    assert!(s.underline && s.bold, "selected row bold+underlined: {s:?}");
    assert!(
        o.bold && !o.underline,
        "overdue row bold, not underlined: {o:?}"
    );
    assert_ne!(s, o);
    assert!(screen
        .iter()
        .all(|l| l.iter().all(|(_, a)| a.fg.is_none() && a.bg.is_none())));
}

#[test]
fn colours_fall_back_to_256_without_colorterm() {
    if !have_tmux("the end-to-end TUI test") {
        return;
    }
    let (raw, screen) = reminders_screen("c256", "-u COLORTERM -u NO_COLOR TERM=xterm-256color");
    assert!(
        !raw.contains("38;2;") && !raw.contains("48;2;"),
        "truecolor without COLORTERM"
    );
    let (sel, overdue, soon) = rows(&screen);
    let s = cell(&sel);
    let o = cell(&overdue[0]);
    assert_eq!(
        o.fg,
        Some(203),
        "overdue role colour from the default theme: {o:?}"
    );
    assert_eq!(s.bg, Some(238), "selection background: {s:?}");
    assert_ne!(o.bg, Some(238));
    if let Some(d) = soon.first() {
        assert_eq!(cell(d).fg, Some(214));
    }
}
