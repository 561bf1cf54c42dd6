//! Terminal handling. In tmux, with the real binary: after SIGTERM, SIGHUP, a panic (a
//! trigger that exists only in debug builds) and the pty closing, the terminal is back in
//! cooked mode with echo, out of the alternate screen, with mouse capture off, and what
//! was saved before is in the store. On ratatui's TestBackend: every terminal size from
//! 0x0 to 300x100 (edges and a deterministic sample) with forms, dialogs and prompts
//! open, and resizes while typing, never panic and keep what was typed; a commit that
//! fails is shown as an error and never claimed saved.
//!
//! The tmux tests are skipped (with a message) only when tmux is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use paytrack::tui::testing::Harness;

mod common;
use common::tmux::{have_tmux, seed, Tmux, BIN, TODAY};

fn wait_file(p: &Path, secs: u64) -> String {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Ok(s) = std::fs::read_to_string(p) {
            if s.ends_with('\n') {
                return s;
            }
        }
        assert!(
            Instant::now() < end,
            "timed out waiting for {}",
            p.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// How the TUI is ended.
#[derive(Clone, Copy, Debug, PartialEq)]
enum End {
    Signal(i32),
    Panic,
    ClosePty,
}

/// Files the pane's shell writes.
struct Files {
    pid: PathBuf,
    status: PathBuf,
    stty: PathBuf,
    err: PathBuf,
}

/// Starts the TUI in tmux on a seeded store, saves a payment, opens a form with text in
/// it, ends the TUI as `end` says, and checks the terminal and the store.
fn end_the_tui(name: &str, end: End) {
    if !have_tmux("the terminal restoration tests") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db, 300);
    let f = Files {
        pid: dir.path().join("pid"),
        status: dir.path().join("status"),
        stty: dir.path().join("stty"),
        err: dir.path().join("err"),
    };
    // The outer shell ignores SIGHUP so it outlives a closed pty and can report how
    // paytrack ended; the inner one records paytrack's pid and becomes it.
    let script = format!(
        "trap '' HUP; sh -c 'echo $$ > {pid}; exec env PAYTRACK_TEST_PANIC_ON_KEY=% {BIN} --db {db} --today {TODAY} 2>{err}'; \
         echo exit=$? > {status}; stty -a > {stty} 2>&1; echo terminal-test-done; read x",
        pid = f.pid.display(),
        db = db.display(),
        err = f.err.display(),
        status = f.status.display(),
        stty = f.stty.display(),
    );
    let t = Tmux::start(name, &script);
    t.wait("the first frame", 30, |s| {
        s.contains(" 1 Payments ") && s.contains(" payments │") && !s.contains("loading")
    });
    assert_eq!(t.display("#{alternate_on}"), "1");
    let pid: i32 = wait_file(&f.pid, 10).trim().parse().unwrap();
    t.keys(&["a"]);
    t.wait_for("New payment");
    t.text("Term Test Ltd");
    t.keys(&["Tab", "Tab"]);
    t.text("66.60");
    t.keys(&["Tab", "Tab", "Tab"]);
    let reference = format!("TERM-{name}");
    t.text(&reference);
    t.keys(&["C-s"]);
    t.wait_for("is not a party yet");
    t.keys(&["y"]);
    t.wait("the saved payment", 30, |s| {
        s.contains("saved: added payment") && s.contains("301 payments │")
    });
    // a form open with unsaved text when the end comes
    t.keys(&["a"]);
    t.wait_for("New payment");
    t.text("Unsaved Party");
    match end {
        End::Signal(sig) => {
            // SAFETY: kill(2) of the paytrack process this test started.
            assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
        }
        End::Panic => t.text("%"),
        End::ClosePty => {
            assert!(t.cmd(&["kill-server"]).status().unwrap().success());
        }
    }
    let status = wait_file(&f.status, 30);
    let err = std::fs::read_to_string(&f.err).unwrap_or_default();
    match end {
        End::Signal(sig) => {
            assert_eq!(status.trim(), "exit=1", "{err}");
            let name = if sig == libc::SIGTERM {
                "SIGTERM"
            } else {
                "SIGHUP"
            };
            assert!(err.contains(&format!("stopped by {name}")), "{err}");
        }
        End::Panic => {
            assert_eq!(status.trim(), "exit=101", "{err}");
            assert!(err.contains("test panic on key"), "{err}");
        }
        End::ClosePty => {
            assert!(!err.contains("panicked"), "no panic on a closed pty: {err}");
            assert_ne!(status.trim(), "exit=101", "{err}");
        }
    }
    if end != End::ClosePty {
        t.wait_for("terminal-test-done");
        assert_eq!(
            t.display("#{alternate_on} #{mouse_any_flag}"),
            "0 0",
            "out of the alternate screen, mouse capture off"
        );
        let stty = wait_file(&f.stty, 10);
        let words: Vec<&str> = stty
            .split(|c: char| c.is_whitespace() || c == ';')
            .filter(|w| !w.is_empty())
            .collect();
        for w in ["icanon", "echo", "isig", "icrnl"] {
            assert!(words.contains(&w), "{w} not set after {end:?}: {stty}");
            assert!(
                !words.contains(&format!("-{w}").as_str()),
                "-{w} after {end:?}: {stty}"
            );
        }
        // the shell reads lines again: typing shows, Enter ends the line
        t.text("typed-back");
        t.wait_for("typed-back");
        t.keys(&["Enter"]);
    }
    drop(t);
    // the process is gone
    let end_by = Instant::now() + Duration::from_secs(10);
    // SAFETY: signal 0 only checks whether the process exists.
    while unsafe { libc::kill(pid, 0) } == 0 {
        assert!(
            Instant::now() < end_by,
            "paytrack still running after {end:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = Command::new(BIN)
        .args(["payments", "--format", "csv", "--today", TODAY, "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    let row = csv
        .lines()
        .find(|l| l.contains(&reference))
        .unwrap_or_else(|| panic!("saved payment lost after {end:?}: {csv}"));
    assert!(
        row.contains("Term Test Ltd") && row.contains("66.60"),
        "{row}"
    );
    assert!(!csv.contains("Unsaved Party"));
    assert_eq!(csv.lines().count(), 302, "header + 301 payments");
}

#[test]
fn sigterm_restores_the_terminal_and_keeps_saved_data() {
    end_the_tui("term", End::Signal(libc::SIGTERM));
}

#[test]
fn sighup_restores_the_terminal_and_keeps_saved_data() {
    end_the_tui("hup", End::Signal(libc::SIGHUP));
}

#[test]
fn a_panic_restores_the_terminal_and_keeps_saved_data() {
    end_the_tui("panic", End::Panic);
}

#[test]
fn a_closed_pty_ends_cleanly_and_keeps_saved_data() {
    end_the_tui("close", End::ClosePty);
}

/// xorshift: a deterministic sample of sizes.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Sizes to try: the corners and edges of 0x0..300x100, then a deterministic sample.
fn sizes(n: usize) -> Vec<(u16, u16)> {
    let mut v = Vec::new();
    for w in [0u16, 1, 2, 3, 9, 20, 39, 40, 41, 79, 80, 120, 200, 299, 300] {
        for h in [0u16, 1, 2, 3, 5, 9, 10, 11, 23, 24, 40, 60, 99, 100] {
            v.push((w, h));
        }
    }
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..n {
        v.push((r.below(301) as u16, r.below(101) as u16));
    }
    v
}

/// Key sequences that open each form, dialog and prompt, from the Payments tab.
const OPENERS: [(&str, &str); 10] = [
    ("payment form", "1 a"),
    ("invoice form", "2 a"),
    ("party form", "3 a"),
    ("edit form", "1 e"),
    ("delete dialog", "1 d"),
    ("help", "?"),
    ("filter prompt", "1 /"),
    ("save filter prompt", "1 w"),
    ("import dialog", "ctrl-o"),
    ("invoice detail", "2 enter"),
];

#[test]
fn every_size_up_to_300x100_with_forms_and_dialogs_open_never_panics() {
    let all = sizes(150);
    for (what, keys) in OPENERS {
        let mut h = Harness::new(80, 24);
        h.keys(keys);
        for &(w, hgt) in &all {
            h.resize(w, hgt);
        }
        // back at a normal size the same thing is still open and usable
        let screen = h.resize(100, 30).join("\n");
        assert!(!screen.trim().is_empty(), "{what}: blank after the sweep");
        h.keys("esc esc esc");
        let screen = h.resize(80, 24).join("\n");
        assert!(screen.contains("Payments"), "{what}: {screen}");
    }
}

#[test]
fn resizing_while_typing_in_a_form_keeps_the_text() {
    let mut h = Harness::new(100, 30);
    h.keys("a");
    let mut r = Rng(7);
    for (i, c) in "Resize Tester".chars().enumerate() {
        h.resize(r.below(301) as u16, r.below(101) as u16);
        h.type_text(&c.to_string());
        if i % 3 == 0 {
            h.resize(0, 0);
        }
    }
    let screen = h.resize(100, 30).join("\n");
    assert!(screen.contains("New payment"), "{screen}");
    assert!(screen.contains("Resize Tester"), "{screen}");
}

#[test]
fn a_failed_commit_is_shown_as_an_error_and_not_claimed_saved() {
    let mut h = Harness::new(100, 30);
    let before = h.store.ledger().payments().len();
    let commits = h.store.commits();
    h.keys("a");
    h.type_text("Acme");
    h.keys("ctrl-n tab tab");
    h.type_text("42.42");
    h.store.fail_next_commit("No space left on device");
    let lines = h.keys("ctrl-s");
    let screen = lines.join("\n");
    assert!(screen.contains("No space left on device"), "{screen}");
    assert!(!screen.contains("saved"), "claimed saved: {screen}");
    assert_eq!(h.store.commits(), commits);
    assert_eq!(h.store.ledger().payments().len(), before);
    // the form stays open with what was typed, so the save can be tried again
    assert!(
        screen.contains("New payment") && screen.contains("42.42"),
        "{screen}"
    );
    let screen = h.keys("ctrl-s").join("\n");
    assert!(!screen.contains("New payment"), "{screen}");
    assert!(screen.contains("saved"), "{screen}");
    assert_eq!(h.store.ledger().payments().len(), before + 1);
}
