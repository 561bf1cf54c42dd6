//! The command line: clap definitions and the non-interactive commands.

mod args;
mod list;
mod matching;
mod records;
mod remind;
mod report;
mod transfer;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{CommandFactory, Parser};
use time::Date;

pub use args::{Cli, Command};

use crate::domain::ledger::Ledger;
use crate::domain::ChangeSet;
use crate::session::{CommitError, Generation, Session};
use crate::store::Store;

/// Exit code for runtime and data errors.
pub const EXIT_ERROR: u8 = 1;
/// Exit code for usage errors.
pub const EXIT_USAGE: u8 = 2;

/// Ends the process with this exit code and no message (e.g. `remind --check` exits 3
/// when reminders are due).
#[derive(Debug, thiserror::Error)]
#[error("exit status {0}")]
pub struct SilentExit(pub u8);

/// A usage error found after parsing (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// What every command needs: where the store is and what day it is.
pub struct Context {
    /// Store directory.
    pub db: PathBuf,
    /// Today, fixed by --today / PAYTRACK_TODAY or from the clock.
    pub today: Date,
}

/// Writes the session's notes (see [`Session::take_notes`]) to `err`, one
/// `paytrack: ...` line each.
pub fn announce(session: &Session, err: &mut impl Write) {
    for note in session.take_notes() {
        let _ = writeln!(err, "paytrack: {}", crate::text::sanitize(&note));
    }
}

/// How long a command keeps recomputing its change when other sessions keep committing
/// first.
const CONFLICT_RETRY_FOR: std::time::Duration = std::time::Duration::from_secs(120);

impl Context {
    /// Opens the store: as its owner, or as a client of the paytrack process that owns
    /// it (see [`crate::session`]).
    /// What opening the store did that the user must hear of (a safety copy before a
    /// schema migration) is said on standard error.
    pub fn open(&self) -> Result<Session> {
        let session = Session::open(&self.db)?;
        announce(&session, &mut std::io::stderr());
        Ok(session)
    }

    /// Opens the store and loads everything.
    pub fn load(&self) -> Result<(Session, ExitLedger)> {
        let session = self.open()?;
        let ledger = ExitLedger::load(&session)?;
        Ok((session, ledger))
    }

    /// Opens the store and runs `work` on a freshly loaded ledger; when its commit finds
    /// that another session committed first ([`CommitError::Conflict`], see [`commit`]),
    /// loads again and runs `work` again, so the change is computed on what the store
    /// holds. `work` must write its output only after its commit succeeded.
    pub fn transact<T>(&self, work: impl FnMut(&Session, &ExitLedger) -> Result<T>) -> Result<T> {
        retry_on_conflict(&self.open()?, work)
    }
}

/// See [`Context::transact`].
pub fn retry_on_conflict<T>(
    session: &Session,
    mut work: impl FnMut(&Session, &ExitLedger) -> Result<T>,
) -> Result<T> {
    let deadline = std::time::Instant::now() + CONFLICT_RETRY_FOR;
    loop {
        let l = ExitLedger::load(session)?;
        match work(session, &l) {
            Err(e) if is_conflict(&e) && std::time::Instant::now() < deadline => l.free(),
            r => return r,
        }
    }
}

/// Runs `work` on `l`, already loaded; when its commit meets another session's, goes on
/// as [`retry_on_conflict`] does. For commands that did something outside the store
/// first (sent reminders) and must now record exactly that.
pub fn commit_retrying<T>(
    session: &Session,
    l: &ExitLedger,
    mut work: impl FnMut(&Session, &ExitLedger) -> Result<T>,
) -> Result<T> {
    match work(session, l) {
        Err(e) if is_conflict(&e) => retry_on_conflict(session, work),
        r => r,
    }
}

fn is_conflict(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<CommitError>(),
        Some(CommitError::Conflict { .. })
    )
}

/// Commits `set`, computed on `l`: refused with [`CommitError::Conflict`] when another
/// session committed since `l` was loaded ([`Context::transact`] then recomputes).
pub fn commit(
    session: &Session,
    l: &ExitLedger,
    set: &ChangeSet,
) -> std::result::Result<Generation, CommitError> {
    session.commit(l.generation(), set)
}

/// The ledger of a one-shot command, with the generation it was loaded at. It is not
/// freed on drop: the process exits right after, and freeing a million records one by
/// one takes longer than many commands themselves.
pub struct ExitLedger {
    ledger: std::mem::ManuallyDrop<Ledger>,
    generation: Generation,
}

impl ExitLedger {
    /// Loads the whole ledger through `session`.
    pub fn load(session: &Session) -> Result<ExitLedger> {
        let (ledger, generation) = session.load()?;
        Ok(ExitLedger {
            ledger: std::mem::ManuallyDrop::new(ledger),
            generation,
        })
    }

    /// The generation the ledger reflects.
    pub fn generation(&self) -> Generation {
        self.generation
    }

    /// Frees the ledger now (a command about to load a newer one).
    pub fn free(self) {
        drop(std::mem::ManuallyDrop::into_inner(self.ledger));
    }
}

impl std::ops::Deref for ExitLedger {
    type Target = Ledger;
    fn deref(&self) -> &Ledger {
        &self.ledger
    }
}

/// The default store directory: `$XDG_DATA_HOME/paytrack/store`.
pub fn default_db_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "paytrack")
        .context("cannot find a home directory for the default store; pass --db PATH")?;
    Ok(dirs.data_dir().join("store"))
}

/// The user's config directory for paytrack (keymap.toml, theme.toml).
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "paytrack").map(|d| d.config_dir().to_path_buf())
}

/// Today's date from the local clock (UTC when the offset is unknown).
pub fn clock_today() -> Date {
    time::OffsetDateTime::now_local()
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .date()
}

/// Parses the arguments, runs the command and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = run(cli);
    if std::env::var_os(crate::bench::PEAK_RSS_ENV).is_some() {
        if let Some(b) = crate::bench::peak_rss_bytes() {
            eprintln!("peak-rss-kb: {}", b / 1024);
        }
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(SilentExit(code)) = e.downcast_ref::<SilentExit>() {
                return ExitCode::from(*code);
            }
            let usage = e.downcast_ref::<UsageError>().is_some();
            let mut msg = String::new();
            for (i, cause) in e.chain().enumerate() {
                if i > 0 {
                    msg.push_str(": ");
                }
                msg.push_str(&cause.to_string());
            }
            let _ = writeln!(
                std::io::stderr(),
                "paytrack: error: {}",
                crate::text::sanitize(&msg)
            );
            ExitCode::from(if usage { EXIT_USAGE } else { EXIT_ERROR })
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let today = cli.today.unwrap_or_else(clock_today);
    let db = match &cli.db {
        Some(p) => p.clone(),
        None => default_db_path()?,
    };
    let ctx = Context { db, today };
    let mut out = Stdout::new();
    match cli.command {
        None => open_tui(&cli, &ctx),
        Some(Command::Demo(ref d)) => demo(&cli, &ctx, d),
        Some(Command::Add(ref a)) => records::add(&ctx, a, &mut out),
        Some(Command::Edit(ref e)) => records::edit(&ctx, e, &mut out),
        Some(Command::Delete(ref d)) => records::delete(&ctx, d, &mut out),
        Some(Command::Payments(ref l)) => list::payments(&ctx, l, &mut out),
        Some(Command::Invoices(ref l)) => list::invoices(&ctx, l, &mut out),
        Some(Command::Parties(ref l)) => list::parties(&ctx, l, &mut out),
        Some(Command::Import(ref i)) => transfer::import(&ctx, i, &mut out),
        Some(Command::Export(ref e)) => transfer::export(&ctx, e, &mut out),
        Some(Command::Backup { ref file }) => transfer::backup(&ctx, file, &mut out),
        Some(Command::Restore { ref file }) => transfer::restore(&ctx, file, &mut out),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(shell, &mut Cli::command(), "paytrack", &mut out);
            Ok(())
        }
        Some(Command::Bench(ref b)) => bench(&ctx, b, &mut out),
        Some(Command::Report(ref r)) => report::run(&ctx, r, &mut out),
        Some(Command::Check { repair }) => crate::check::run(&ctx.db, repair, &mut out),
        Some(Command::Remind(ref a)) => remind::remind(&ctx, a, &mut out),
        Some(Command::Ladder(ref c)) => remind::ladder(&ctx, c, &mut out),
        Some(Command::Match(ref a)) => matching::run(&ctx, a, &mut out),
        Some(Command::ApplyCredit { ref party }) => matching::apply_credit(&ctx, party, &mut out),
        Some(Command::Man) => {
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            Ok(())
        }
    }
}

fn demo(cli: &Cli, ctx: &Context, d: &args::DemoArgs) -> Result<()> {
    if d.seed_only {
        if cli.db.is_none() {
            return Err(
                UsageError("demo --seed-only needs --db PATH (or PAYTRACK_DB)".into()).into(),
            );
        }
        let n = seed_demo(&ctx.db, ctx.today, d.payments, d.seed)?;
        println!(
            "filled {} with {} payments, {} invoices, {} parties",
            ctx.db.display(),
            n.payments,
            n.invoices,
            n.parties
        );
        return Ok(());
    }
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let dir = std::env::temp_dir().join(format!("paytrack-demo-{}-{stamp}", std::process::id()));
    let _cleanup = RemoveOnDrop(dir.clone());
    seed_demo(&dir, ctx.today, d.payments, d.seed)?;
    let demo_ctx = Context {
        db: dir,
        today: ctx.today,
    };
    open_tui(cli, &demo_ctx)
}

fn bench(ctx: &Context, b: &args::BenchArgs, out: &mut impl Write) -> Result<()> {
    if b.tui_memory_probe {
        return crate::bench::tui_memory_probe(&ctx.db, ctx.today);
    }
    let opts = crate::bench::BenchOptions {
        sizes: b.payments.clone(),
        runs: b.runs,
        today: ctx.today,
        exe: std::env::current_exe().context("cannot find the paytrack binary")?,
    };
    let mut text = Vec::new();
    {
        let mut tee = Tee(out, &mut text);
        writeln!(
            tee,
            "paytrack bench: {} core(s), today {}, median of {} run(s)\n",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            crate::domain::format_date(ctx.today),
            b.runs
        )?;
        crate::bench::run(&opts, &mut tee)?;
    }
    if let Some(path) = &b.out {
        transfer::create_private_file(path)
            .and_then(|mut f| f.write_all(&text))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Standard output: byte for byte into a file or a pipe (an export read back is the
/// same); on a terminal, through [`crate::text::TerminalWriter`], so that text from data
/// in CSV and other stream output cannot act on the terminal (tables are neutralised
/// cell by cell already, JSON escapes such characters itself).
enum Stdout {
    Raw(std::io::StdoutLock<'static>),
    Terminal(crate::text::TerminalWriter<std::io::StdoutLock<'static>>),
}

impl Stdout {
    fn new() -> Stdout {
        use std::io::IsTerminal;
        let out = std::io::stdout();
        if out.is_terminal() {
            Stdout::Terminal(crate::text::TerminalWriter::new(out.lock()))
        } else {
            Stdout::Raw(out.lock())
        }
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stdout::Raw(w) => w.write(buf),
            Stdout::Terminal(w) => w.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Stdout::Raw(w) => w.write_all(buf),
            Stdout::Terminal(w) => w.write_all(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stdout::Raw(w) => w.flush(),
            Stdout::Terminal(w) => w.flush(),
        }
    }
}

/// Writes to two sinks at once.
struct Tee<'a, A: Write, B: Write>(&'a mut A, &'a mut B);
impl<A: Write, B: Write> Write for Tee<'_, A, B> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(buf)?;
        self.1.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
}

struct RemoveOnDrop(PathBuf);
impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Fills an empty store at `db` with generated demo data.
pub fn seed_demo(
    db: &Path,
    today: Date,
    payments: usize,
    seed: u64,
) -> Result<crate::store::Counts> {
    let store = Store::open(db)?;
    if !store.is_empty()? {
        anyhow::bail!(
            "the store at {} is not empty; demo data goes only into an empty store",
            db.display()
        );
    }
    let data = crate::demo::generate(&crate::demo::DemoConfig {
        seed,
        payments,
        today,
    });
    let set = data.into_change_set();
    store.commit(&set)?;
    Ok(store.counts()?)
}

fn open_tui(cli: &Cli, ctx: &Context) -> Result<()> {
    crate::tui::limit_malloc_arenas();
    // A session: other paytrack processes on this store go through this one (or this
    // one through theirs), and their commits show up in the open lists.
    // Not `ctx.open()`: what opening the store has to say goes to the status line.
    let store = std::sync::Arc::new(Session::open(&ctx.db)?);
    crate::tui::run(crate::tui::TuiOptions {
        store,
        today: ctx.today,
        filter: cli.filter.clone(),
        tab: cli.tab.clone(),
        keymap: cli.keymap.clone(),
        theme: cli.theme.clone(),
        config_dir: config_dir(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
