//! The real binary in a tmux pane: start it, send keys, read the screen.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The paytrack binary cargo built for the tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_paytrack");
/// The date every test fixes as today.
pub const TODAY: &str = "2026-12-03";

/// Whether tmux is installed; prints why `what` is skipped when it is not.
pub fn have_tmux(what: &str) -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("SKIPPED: tmux is not installed; {what} did not run");
    }
    ok
}

/// A tmux server of its own (so tests run in parallel) with one session, `main`. Dropping
/// it kills the server, which hangs up on whatever runs in the pane.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `cmd` (a shell command) in a 120x40 pane.
    pub fn start(name: &str, cmd: &str) -> Tmux {
        Tmux::start_sized(name, cmd, 120, 40)
    }

    /// Runs `cmd` in a pane of `width`x`height`.
    pub fn start_sized(name: &str, cmd: &str, width: u16, height: u16) -> Tmux {
        let socket = format!("paytrack-test-{}-{name}", std::process::id());
        let t = Tmux { socket };
        let (w, h) = (width.to_string(), height.to_string());
        let st = t
            .cmd(&["new-session", "-d", "-s", "main", "-x", &w, "-y", &h, cmd])
            .status()
            .unwrap();
        assert!(st.success(), "tmux new-session failed");
        t
    }

    /// A tmux command against this server.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]).args(args);
        c
    }

    /// Sends tmux key names (`Enter`, `Tab`, `C-s`, `2`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status().unwrap().success());
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Types text literally.
    pub fn text(&self, s: &str) {
        assert!(self
            .cmd(&["send-keys", "-t", "main", "-l", s])
            .status()
            .unwrap()
            .success());
        std::thread::sleep(Duration::from_millis(60));
    }

    /// The screen as text.
    pub fn capture(&self) -> String {
        self.capture_pane(&[])
    }

    /// The screen with its colour and attribute escapes.
    pub fn capture_with_escapes(&self) -> String {
        self.capture_pane(&["-e"])
    }

    fn capture_pane(&self, extra: &[&str]) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "main"];
        args.extend_from_slice(extra);
        let out = self.cmd(&args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format (`#{alternate_on}`) evaluated for the pane.
    pub fn display(&self, fmt: &str) -> String {
        let out = self
            .cmd(&["display-message", "-p", "-t", "main", fmt])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until the screen satisfies `f`; panics with the screen after `secs`.
    pub fn wait(&self, what: &str, secs: u64, f: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.capture();
            if f(&s) {
                return s;
            }
            if Instant::now() > end {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (up to 30 s) until the screen shows `needle`.
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait(needle, 30, |s| s.contains(needle))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).output();
    }
}

/// Fills a new store at `db` with `payments` demo payments.
pub fn seed(db: &Path, payments: usize) {
    let out = Command::new(BIN)
        .args(["demo", "--seed-only", "--payments"])
        .arg(payments.to_string())
        .args(["--today", TODAY, "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
