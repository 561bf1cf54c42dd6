//! The terminal side: raw mode, alternate screen, mouse and bracketed paste, the event
//! loop, and restoring the terminal on quit, error, panic, SIGTERM, SIGHUP, SIGINT and a
//! closed terminal.
//!
//! Signals only set a flag (all a handler may safely do); the loop looks at it at least
//! every [`SIGNAL_CHECK`], restores the terminal and ends the command with a
//! [`Stopped`] error (exit status 1). Everything committed before is already on disk (commits are
//! flushed before they are reported saved). A terminal that goes away (the pty closed)
//! shows up as a failed read: the loop ends the same way.

use std::io::{self, Write};
use std::panic::PanicHookInfo;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event, KeyEventKind,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::DefaultTerminal;

use super::app::App;
use super::ui;

type PanicHook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Longest wait between two looks at the signal flag.
pub const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// The signal received (0 while none).
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

/// The signals that end the TUI cleanly.
const SIGNALS: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGHUP, libc::SIGINT];

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNALLED.store(sig, Ordering::SeqCst);
}

/// The TUI was ended by a signal or by its terminal going away; the terminal was
/// restored. The command ends with this as its error (exit status 1).
#[derive(Debug, thiserror::Error)]
#[error("{}", match .signal { Some(s) => format!("stopped by {}; the terminal was restored and everything saved before is in the store", signal_name(*s)), None => "the terminal was closed; everything saved before is in the store".into() })]
pub struct Stopped {
    /// The signal, or `None` when the terminal could no longer be read.
    pub signal: Option<i32>,
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        _ => "a signal",
    }
}

/// The signal handlers of [`SIGNALS`] while the TUI runs; the previous ones come back on
/// drop.
struct SignalGuard {
    old: Vec<(libc::c_int, libc::sigaction)>,
}

impl SignalGuard {
    fn install() -> SignalGuard {
        SIGNALLED.store(0, Ordering::SeqCst);
        HUNG_UP.store(false, Ordering::SeqCst);
        let mut old = Vec::new();
        for sig in SIGNALS {
            // SAFETY: sigaction with a zeroed, filled-in struct; the handler only stores
            // into an atomic, which is async-signal-safe.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                libc::sigemptyset(&mut sa.sa_mask);
                sa.sa_flags = 0;
                let mut prev: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &sa, &mut prev) == 0 {
                    old.push((sig, prev));
                }
            }
        }
        SignalGuard { old }
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for (sig, prev) in &self.old {
            // SAFETY: puts back the disposition sigaction returned for this signal.
            unsafe {
                libc::sigaction(*sig, prev, std::ptr::null_mut());
            }
        }
    }
}

/// Whether standard input or output hung up (the pty was closed): a hung-up descriptor
/// reports `POLLHUP`. Only meaningful when they were a terminal.
fn terminal_hung_up() -> bool {
    let mut fds = [0, 1].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: poll(2) on two valid pollfd structs with a zero timeout.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) };
    n > 0 && fds.iter().any(|p| p.revents & libc::POLLHUP != 0)
}

/// Watches for the terminal hanging up while the TUI runs.
///
/// crossterm (0.29) reads a hung-up terminal's end of input as "nothing yet" and loops
/// on it without returning (it leaves that loop only on `EAGAIN`), so the event loop
/// itself would never notice. This thread polls the terminal every [`SIGNAL_CHECK`]; when
/// it has hung up, it sets [`HUNG_UP`] and puts an empty non-blocking pipe on standard
/// input, so crossterm's reads say "would block" and its poll returns to the loop.
struct HangupWatch {
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl HangupWatch {
    fn start() -> HangupWatch {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        // SAFETY: isatty only inspects the descriptor.
        let stdin_tty = unsafe { libc::isatty(0) } == 1;
        let spawned = std::thread::Builder::new()
            .name("paytrack-hangup".into())
            .spawn(move || {
                while !flag.load(Ordering::SeqCst) {
                    std::thread::sleep(SIGNAL_CHECK);
                    if !flag.load(Ordering::SeqCst) && stdin_tty && terminal_hung_up() {
                        break_input();
                        return;
                    }
                }
            });
        // Without the thread a hang-up is still caught when crossterm reports an error.
        drop(spawned);
        HangupWatch { stop }
    }
}

impl Drop for HangupWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Set when the terminal hung up.
static HUNG_UP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes the hang-up and replaces standard input with the read end of an empty,
/// non-blocking pipe whose write end stays open: reads say "would block" from now on.
fn break_input() {
    HUNG_UP.store(true, Ordering::SeqCst);
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills two descriptors this function owns; dup2 replaces fd 0 (never
    // leaves it closed). The write end is kept open on purpose, so reads never see EOF.
    unsafe {
        if libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) == 0 {
            libc::dup2(fds[0], 0);
            libc::close(fds[0]);
        }
    }
}

fn signalled() -> Option<i32> {
    match SIGNALLED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Test builds only: `PAYTRACK_TEST_PANIC_ON_KEY=x` panics when the key `x` is pressed,
/// so tests can check the terminal is restored after a panic.
#[cfg(debug_assertions)]
fn test_panic(k: &event::KeyEvent) {
    use std::sync::OnceLock;
    static KEY: OnceLock<Option<char>> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        std::env::var("PAYTRACK_TEST_PANIC_ON_KEY")
            .ok()
            .and_then(|v| v.chars().next())
    });
    if let (Some(want), event::KeyCode::Char(c)) = (key, k.code) {
        if *want == c {
            panic!("test panic on key '{c}' (PAYTRACK_TEST_PANIC_ON_KEY)");
        }
    }
}

#[cfg(not(debug_assertions))]
fn test_panic(_: &event::KeyEvent) {}

fn disable_extras() {
    let _ = execute!(io::stdout(), DisableMouseCapture, DisableBracketedPaste);
}

/// Sets up the terminal, runs `app` until it quits, and restores the terminal whatever
/// happens (the panic hook chained after ratatui's also turns mouse and paste off).
pub fn run(app: &mut App) -> anyhow::Result<()> {
    // Whatever hook the caller had is kept behind ratatui's and ours, and put back after.
    let original: Arc<PanicHook> = Arc::new(std::panic::take_hook());
    let forward = original.clone();
    std::panic::set_hook(Box::new(move |info| forward(info)));
    let signals = SignalGuard::install();
    let hangup = HangupWatch::start();
    let mut terminal = ratatui::try_init()?;
    let ratatui_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // the import dialog's reading thread reports its panics itself: the TUI goes on
        if super::import::panic_is_reported_in_dialog(info) {
            return;
        }
        disable_extras();
        ratatui_hook(info);
    }));
    let res = execute!(io::stdout(), EnableMouseCapture, EnableBracketedPaste)
        .map_err(anyhow::Error::from)
        .and_then(|_| event_loop(&mut terminal, app));
    disable_extras();
    // A terminal that went away cannot be restored; that is not worth a message (and
    // printing to a closed terminal would fail).
    let _ = ratatui::try_restore();
    let _ = execute!(io::stdout(), Show);
    // The terminal's own drop would show the cursor again and print to stderr when that
    // fails, which on a closed terminal panics; the cursor was shown just above.
    std::mem::forget(terminal);
    let _ours = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| original(info)));
    drop(hangup);
    drop(signals);
    res
}

fn draw(terminal: &mut DefaultTerminal, app: &mut App) -> io::Result<()> {
    execute!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let r = terminal.draw(|f| ui::draw(f, app)).map(|_| ());
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    terminal.backend_mut().flush()?;
    r
}

/// What a failed terminal read or write means: a signal that came with it (SIGHUP when
/// the pty closes), or a terminal that is gone.
fn terminal_gone(e: io::Error) -> anyhow::Error {
    let _ = e;
    Stopped {
        signal: signalled(),
    }
    .into()
}

fn event_loop(terminal: &mut DefaultTerminal, app: &mut App) -> anyhow::Result<()> {
    draw(terminal, app).map_err(terminal_gone)?;
    loop {
        if let Some(signal) = signalled() {
            return Err(Stopped {
                signal: Some(signal),
            }
            .into());
        }
        if HUNG_UP.load(Ordering::SeqCst) {
            return Err(Stopped { signal: None }.into());
        }
        let timeout = app.next_wakeup(Instant::now()).min(SIGNAL_CHECK);
        let mut dirty = false;
        if event::poll(timeout).map_err(terminal_gone)? {
            // Drain everything already queued before drawing again.
            loop {
                match event::read().map_err(terminal_gone)? {
                    Event::Key(k) if k.kind != KeyEventKind::Release => {
                        test_panic(&k);
                        app.handle_key(k)
                    }
                    Event::Mouse(m) => app.handle_mouse(m),
                    Event::Paste(s) => app.handle_paste(&s),
                    Event::Resize(_, _) => {}
                    _ => {}
                }
                dirty = true;
                if app.should_quit()
                    || signalled().is_some()
                    || HUNG_UP.load(Ordering::SeqCst)
                    || !event::poll(Duration::ZERO).map_err(terminal_gone)?
                {
                    break;
                }
            }
        }
        if app.should_quit() {
            return Ok(());
        }
        let changed = app.tick(Instant::now());
        if dirty || changed || app.busy() {
            draw(terminal, app).map_err(terminal_gone)?;
        }
    }
}
