//! The terminal side: raw mode, alternate screen, mouse and bracketed paste, the event
//! loop, and restoring the terminal on quit, error and panic.

use std::io::{self, Write};
use std::panic::PanicHookInfo;
use std::sync::Arc;
use std::time::Instant;

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
    let mut terminal = ratatui::try_init()?;
    let ratatui_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        disable_extras();
        ratatui_hook(info);
    }));
    let res = execute!(io::stdout(), EnableMouseCapture, EnableBracketedPaste)
        .map_err(anyhow::Error::from)
        .and_then(|_| event_loop(&mut terminal, app));
    disable_extras();
    ratatui::restore();
    let _ours = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| original(info)));
    res
}

fn draw(terminal: &mut DefaultTerminal, app: &mut App) -> io::Result<()> {
    execute!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let r = terminal.draw(|f| ui::draw(f, app)).map(|_| ());
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    terminal.backend_mut().flush()?;
    r
}

fn event_loop(terminal: &mut DefaultTerminal, app: &mut App) -> anyhow::Result<()> {
    draw(terminal, app)?;
    loop {
        let timeout = app.next_wakeup(Instant::now());
        let mut dirty = false;
        if event::poll(timeout)? {
            // Drain everything already queued before drawing again.
            loop {
                match event::read()? {
                    Event::Key(k) if k.kind != KeyEventKind::Release => app.handle_key(k),
                    Event::Mouse(m) => app.handle_mouse(m),
                    Event::Paste(s) => app.handle_paste(&s),
                    Event::Resize(_, _) => {}
                    _ => {}
                }
                dirty = true;
                if app.should_quit() || !event::poll(std::time::Duration::ZERO)? {
                    break;
                }
            }
        }
        if app.should_quit() {
            return Ok(());
        }
        let changed = app.tick(Instant::now());
        if dirty || changed || app.busy() {
            draw(terminal, app)?;
        }
    }
}
