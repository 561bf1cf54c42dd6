//! `paytrack bench`: builds a temporary store from the demo generator and prints how long
//! each step takes (the median of several runs), so performance is measured, not guessed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use time::Date;

use crate::demo::{self, DemoConfig};
use crate::domain::ledger::Ledger;
use crate::domain::{Change, ChangeSet, IdSeq, StatusRules};
use crate::interchange::csv_own;
use crate::query::{self, EvalContext};
use crate::report;
use crate::store::Store;
use crate::tui::{self, views::ListKind};

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Store sizes (payments) to run at.
    pub sizes: Vec<usize>,
    /// Runs per step; the median is reported.
    pub runs: usize,
    /// The as-of date of the generated data.
    pub today: Date,
    /// The paytrack binary for end-to-end steps.
    pub exe: PathBuf,
}

/// One measured step.
#[derive(Clone, Debug)]
pub struct Row {
    /// Store size in payments.
    pub size: usize,
    /// What was measured.
    pub step: String,
    /// Median of the runs.
    pub median: Duration,
    /// Extra figure (rate, size, memory...).
    pub note: String,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_runs<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let v = f()?;
        times.push(t.elapsed());
        last = Some(v);
    }
    Ok((median(times), last.expect("at least one run")))
}

fn dir_size(p: &Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => total += dir_size(&e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Environment variable that makes a paytrack process print its peak resident memory to
/// stderr on exit (`peak-rss-kb: N`). A child's rusage cannot be used: on Linux it
/// inherits the (large) benchmark process's peak from the fork.
pub const PEAK_RSS_ENV: &str = "PAYTRACK_REPORT_PEAK_RSS";

/// This process's peak resident memory in bytes (VmHWM), where the platform tells.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Runs a paytrack child to completion; returns its wall time and peak memory.
fn run_child_peak_rss(cmd: &mut Command) -> Result<(Duration, u64)> {
    let t = Instant::now();
    let out = cmd
        .env(PEAK_RSS_ENV, "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("cannot start paytrack")?;
    let elapsed = t.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        anyhow::bail!("{cmd:?} failed: {stderr}");
    }
    let peak = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kb: "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0);
    Ok((elapsed, peak))
}

/// Environment variable naming the steps to run (comma separated: `import`, `open`,
/// `load`, `filters`, `typing`, `reports`, `cli`, `memory`); unset runs all of them.
/// Steps other than `import` need a store: without `import`, the benchmark reuses the
/// store in [`STORE_ENV`] (e.g. one made by `paytrack demo --seed-only`).
pub const STEPS_ENV: &str = "PAYTRACK_BENCH_STEPS";

/// Environment variable naming an existing store the steps run on instead of importing
/// the demo data into a fresh one (the `import` step is then skipped).
pub const STORE_ENV: &str = "PAYTRACK_BENCH_STORE";

/// Whether `step` is selected by [`STEPS_ENV`].
fn step_on(step: &str) -> bool {
    match std::env::var(STEPS_ENV) {
        Ok(v) => v.split(',').any(|s| s.trim() == step),
        Err(_) => true,
    }
}

/// The filter queries measured on the Payments list.
fn filter_queries(l: &Ledger) -> Vec<(String, String)> {
    let party = l
        .parties()
        .iter()
        .max_by_key(|p| p.id)
        .map(|p| {
            p.name
                .split_whitespace()
                .next()
                .unwrap_or("a")
                .to_lowercase()
        })
        .unwrap_or_else(|| "a".into());
    vec![
        ("bare fuzzy word".into(), "sepa".into()),
        ("party:NAME".into(), format!("party:{party}")),
        ("status:overdue".into(), "status:overdue".into()),
        ("date range".into(), "date:2025-01-01..2025-06-30".into()),
        ("amount range".into(), "amount:100..500".into()),
        (
            "combination".into(),
            format!("party:{party} amount:>100 date:2025 -method:cash"),
        ),
    ]
}

/// Runs the benchmark, writing rows to `out` as they are measured.
pub fn run(opts: &BenchOptions, out: &mut dyn Write) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    writeln!(out, "| payments | step | median | figure |")?;
    writeln!(out, "|---:|---|---:|---|")?;
    for &size in &opts.sizes {
        let mut emit = |step: &str, median: Duration, note: String| -> Result<()> {
            writeln!(
                out,
                "| {size} | {step} | {:.1} ms | {note} |",
                median.as_secs_f64() * 1e3
            )?;
            out.flush()?;
            rows.push(Row {
                size,
                step: step.to_string(),
                median,
                note,
            });
            Ok(())
        };
        let tmp =
            std::env::temp_dir().join(format!("paytrack-bench-{}-{size}", std::process::id()));
        let _cleanup = RemoveOnDrop(tmp.clone());
        crate::store::create_private_dir(&tmp)?;
        bench_size(opts, size, &tmp, &mut emit)?;
    }
    Ok(rows)
}

struct RemoveOnDrop(PathBuf);
impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

type Emit<'a> = dyn FnMut(&str, Duration, String) -> Result<()> + 'a;

fn bench_size(opts: &BenchOptions, size: usize, tmp: &Path, emit: &mut Emit<'_>) -> Result<()> {
    let reuse = std::env::var_os(STORE_ENV).map(PathBuf::from);
    let store_dir = match reuse {
        Some(dir) => dir,
        None => {
            let dir = tmp.join("store");
            import_step(opts, size, tmp, &dir, emit)?;
            dir
        }
    };
    measure_store(opts, &store_dir, emit)
}

/// Generates the demo data, writes the CSV pair and imports it into `store_dir`.
fn import_step(
    opts: &BenchOptions,
    size: usize,
    tmp: &Path,
    store_dir: &Path,
    emit: &mut Emit<'_>,
) -> Result<()> {
    let cfg = DemoConfig {
        seed: demo::DEFAULT_SEED,
        payments: size,
        today: opts.today,
    };
    let t = Instant::now();
    let data = demo::generate(&cfg);
    emit("generate demo data", t.elapsed(), String::new())?;
    let (ledger, _) = data.into_ledger();
    let rules = StatusRules::new(opts.today);

    // The interchange CSV pair.
    let inv_csv = tmp.join("invoices.csv");
    let pay_csv = tmp.join("payments.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&inv_csv)?);
        csv_own::write_invoices(&mut w, &ledger, &rules, ledger.invoices().iter())?;
        w.flush()?;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&pay_csv)?);
        csv_own::write_payments(&mut w, &ledger, ledger.payments().iter())?;
        w.flush()?;
    }
    let csv_bytes = std::fs::metadata(&inv_csv)?.len() + std::fs::metadata(&pay_csv)?.len();

    // Import into a fresh store, several times.
    let mut n = 0;
    // Where the last run's time went: [plan invoices, commit invoices, apply + plan
    // payments (alongside that commit), commit payments, the two side by side, close].
    let mut phases = [Duration::ZERO; 6];
    let runs = if step_on("import") { opts.runs } else { 1 };
    let (import, ()) = time_runs(runs, || {
        n += 1;
        let dir = tmp.join(format!("import-{n}"));
        let store = Store::open(&dir)?;
        let empty = Ledger::new();
        let mut ids = IdSeq::default();
        let t = Instant::now();
        let bytes = std::fs::read(&inv_csv)?;
        let plan = csv_own::read_invoices_bytes(&bytes, "invoices.csv", &empty, &mut ids)?;
        phases[0] = t.elapsed();
        // The invoices are committed while the payments are read: reading them needs
        // the ledger with the invoices, not the store.
        let t = Instant::now();
        let (committed, read) = std::thread::scope(|s| {
            let commit = s.spawn(|| {
                let t = Instant::now();
                store.commit(&plan.changes).map(|()| t.elapsed())
            });
            let read = (|| -> Result<_> {
                let mid = ledger_after(&plan.changes);
                let bytes = std::fs::read(&pay_csv)?;
                let plan = csv_own::read_payments_bytes(&bytes, "payments.csv", &mid, &mut ids)?;
                Ok((mid, plan, t.elapsed()))
            })();
            let committed = commit
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (committed, read)
        });
        let (mid, plan, read_time) = read?;
        phases[1] = committed?;
        phases[2] = read_time;
        phases[4] = t.elapsed();
        let t = Instant::now();
        store.commit(&plan.changes)?;
        phases[3] = t.elapsed();
        let t = Instant::now();
        drop(store);
        phases[5] = t.elapsed();
        if dir != *store_dir {
            if store_dir.exists() {
                std::fs::remove_dir_all(store_dir)?;
            }
            std::fs::rename(&dir, store_dir)?;
        }
        std::mem::forget(mid);
        Ok(())
    })?;
    if !step_on("import") {
        return Ok(());
    }
    let disk = dir_size(store_dir);
    emit(
        "import CSV pair",
        import,
        format!(
            "{:.0} payments/s; CSV {}, store {} ({:.2}x); last run: parse+plan invoices {:.0} ms, then side by side ({:.0} ms) commit {:.0} ms and apply+parse+plan payments {:.0} ms, commit {:.0} ms, close {:.0} ms",
            size as f64 / import.as_secs_f64(),
            mb(csv_bytes),
            mb(disk),
            disk as f64 / csv_bytes as f64,
            phases[0].as_secs_f64() * 1e3,
            phases[4].as_secs_f64() * 1e3,
            phases[1].as_secs_f64() * 1e3,
            phases[2].as_secs_f64() * 1e3,
            phases[3].as_secs_f64() * 1e3,
            phases[5].as_secs_f64() * 1e3,
        ),
    )?;

    Ok(())
}

/// The ledger holding the parties and invoices `set` puts, built as loading a store builds
/// it (`paytrack import payments` loads the store the invoices went into): the same
/// ledger as `Ledger::new()` with `set` applied, for a set of such puts (an invoice import),
/// in a third of the time.
fn ledger_after(set: &ChangeSet) -> Ledger {
    let mut parties = Vec::new();
    let mut invoices = Vec::with_capacity(set.changes.len());
    for c in &set.changes {
        match c {
            Change::PutParty(p) => parties.push(p.clone()),
            Change::PutInvoice(i) => invoices.push(i.clone()),
            _ => {}
        }
    }
    Ledger::from_records(parties, invoices, Vec::new())
}

/// Every step but the import, on the store in `store_dir`.
fn measure_store(opts: &BenchOptions, store_dir: &Path, emit: &mut Emit<'_>) -> Result<()> {
    let rules = StatusRules::new(opts.today);
    if step_on("open") {
        // Cold open to the first frame, and to the fully loaded list.
        let mut loaded_times = Vec::new();
        let mut first_times = Vec::new();
        time_runs(opts.runs, || {
            let t = Instant::now();
            let store = Arc::new(open_store(store_dir)?);
            let mut app = tui_app(store, opts.today);
            let mut term = Terminal::new(TestBackend::new(120, 40))?;
            term.draw(|f| tui::ui::draw(f, &mut app))?;
            first_times.push(t.elapsed());
            app.settle(Duration::from_secs(120));
            term.draw(|f| tui::ui::draw(f, &mut app))?;
            loaded_times.push(t.elapsed());
            drop(app); // releases the store for the next run
            Ok(())
        })?;
        emit(
            "open to first frame (120x40)",
            median(first_times),
            String::new(),
        )?;
        emit(
            "open to fully loaded list",
            median(loaded_times),
            String::new(),
        )?;
    }

    if step_on("load") || step_on("filters") || step_on("reports") {
        // Full load of the store (what the background thread does).
        let runs = if step_on("load") { opts.runs } else { 1 };
        let (load, loaded) = time_runs(runs, || {
            let s = open_store(store_dir)?;
            let l = s.load()?;
            Ok(std::mem::ManuallyDrop::new(l))
        })?;
        if step_on("load") {
            emit("full load of the store", load, String::new())?;
        }
        let ledger: &Ledger = &loaded;
        if step_on("filters") {
            filter_steps(opts, ledger, rules, emit)?;
        }
        if step_on("reports") {
            report_steps(opts, ledger, emit)?;
        }
    }

    if step_on("typing") {
        typing_step(opts, store_dir, emit)?;
    }

    if step_on("cli") {
        // The shell lookup end to end.
        let mut rss = 0;
        let (t, ()) = time_runs(opts.runs, || {
            let (_, peak) = run_child_peak_rss(
                Command::new(&opts.exe)
                    .arg("--db")
                    .arg(store_dir)
                    .args(["--today", &crate::domain::format_date(opts.today)])
                    .args(["payments", "--filter", "sepa", "--format", "csv"]),
            )?;
            rss = peak;
            Ok(())
        })?;
        emit(
            "CLI `payments --filter sepa --format csv` (process start to exit)",
            t,
            format!("peak RSS {}", mb(rss)),
        )?;
    }
    if step_on("memory") {
        // Peak memory of a TUI holding everything.
        let (t, peak) = run_child_peak_rss(
            Command::new(&opts.exe)
                .arg("--db")
                .arg(store_dir)
                .args(["--today", &crate::domain::format_date(opts.today)])
                .args(["bench", "--tui-memory-probe"]),
        )?;
        emit(
            "TUI with the full store loaded (headless)",
            t,
            format!("peak RSS {}", mb(peak)),
        )?;
    }
    Ok(())
}

/// Filter latency on the payments list.
fn filter_steps(
    opts: &BenchOptions,
    ledger: &Ledger,
    rules: StatusRules,
    emit: &mut Emit<'_>,
) -> Result<()> {
    let ctx = EvalContext { ledger, rules };
    for (name, q) in filter_queries(ledger) {
        let parsed = query::parse(&q).map_err(|e| anyhow::anyhow!("{q}: {e}"))?;
        let (t, hits) = time_runs(
            opts.runs,
            || Ok(query::filter_payments(&ctx, &parsed).len()),
        )?;
        emit(&format!("filter `{q}` ({name})"), t, format!("{hits} rows"))?;
    }
    Ok(())
}

/// Typing a six-letter fuzzy word into the TUI's filter bar, key by key, then deleting
/// it again with backspace; each key press to the frame showing its result, timed the
/// way the event loop runs (debounce and poll interval included).
fn typing_step(opts: &BenchOptions, store_dir: &Path, emit: &mut Emit<'_>) -> Result<()> {
    let mut typed = Vec::new();
    let mut counted = Vec::new();
    let mut erased = Vec::new();
    for _ in 0..opts.runs.max(1) {
        let store = Arc::new(open_store(store_dir)?);
        let mut app = tui_app(store, opts.today);
        let mut term = Terminal::new(TestBackend::new(120, 40))?;
        app.settle(Duration::from_secs(120));
        term.draw(|f| tui::ui::draw(f, &mut app))?;
        app.handle_key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE));
        // As the event loop does it: sleep until the app's next wakeup (the filter's
        // debounce, the poll interval while the worker computes), tick, until the list
        // is computed; then draw.
        // Times to the first frame showing the new filter's rows (a preview of the top
        // rows, or the whole result) and to the frame with its counts and totals.
        let mut press = |app: &mut tui::App, code: KeyCode| -> Result<(Duration, Duration)> {
            let shown = app.list(ListKind::Payments).results;
            let t = Instant::now();
            app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
            let mut first = None;
            loop {
                std::thread::sleep(app.next_wakeup(Instant::now()));
                app.tick(Instant::now());
                if first.is_none() && app.list(ListKind::Payments).results > shown {
                    term.draw(|f| tui::ui::draw(f, app))?;
                    first = Some(t.elapsed());
                }
                if !app.busy() {
                    break;
                }
                if t.elapsed() > Duration::from_secs(60) {
                    anyhow::bail!("the filter did not finish within a minute");
                }
            }
            term.draw(|f| tui::ui::draw(f, app))?;
            let done = t.elapsed();
            Ok((first.unwrap_or(done), done))
        };
        for c in "garden".chars() {
            let (first, done) = press(&mut app, KeyCode::Char(c))?;
            typed.push(first);
            counted.push(done);
        }
        for _ in 0..6 {
            erased.push(press(&mut app, KeyCode::Backspace)?.1);
        }
        drop(app);
    }
    // Per key position: the median over the runs, then the median and worst of those.
    let per_key = |v: &[Duration]| -> Vec<Duration> {
        (0..6)
            .map(|k| median(v.iter().skip(k).step_by(6).copied().collect()))
            .collect()
    };
    let note = |keys: &[Duration]| {
        let list: Vec<String> = keys
            .iter()
            .map(|d| format!("{:.0}", d.as_secs_f64() * 1e3))
            .collect();
        let worst = keys.iter().max().copied().unwrap_or_default();
        format!(
            "worst key {:.1} ms; per key {} ms",
            worst.as_secs_f64() * 1e3,
            list.join("/")
        )
    };
    let (kt, kc, ke) = (per_key(&typed), per_key(&counted), per_key(&erased));
    emit(
        "filter bar: key press to redrawn frame, typing `garden` (median of 6 keys)",
        median(kt.clone()),
        note(&kt),
    )?;
    emit(
        "filter bar: key press to counts and totals complete, typing `garden`",
        median(kc.clone()),
        note(&kc),
    )?;
    emit(
        "filter bar: erasing it with backspace (median of 6 keys)",
        median(ke.clone()),
        note(&ke),
    )?;
    Ok(())
}

/// Each report over the loaded ledger.
fn report_steps(opts: &BenchOptions, ledger: &Ledger, emit: &mut Emit<'_>) -> Result<()> {
    let (t, _) = time_runs(opts.runs, || {
        Ok(report::aging::aging(
            ledger,
            &report::AgingOptions::new(opts.today),
        ))
    })?;
    emit("report aging", t, String::new())?;
    let (t, _) = time_runs(opts.runs, || {
        Ok(report::customers::customers(
            ledger,
            &report::CustomerOptions::new(opts.today),
        ))
    })?;
    emit("report customers", t, String::new())?;
    let (t, _) = time_runs(opts.runs, || {
        Ok(report::trend::trend(ledger, opts.today, 12, None))
    })?;
    emit("report trend", t, String::new())?;
    let (t, _) = time_runs(opts.runs, || {
        Ok(report::cashflow::cashflow(ledger, opts.today, 13))
    })?;
    emit("report cashflow", t, String::new())?;
    Ok(())
}

/// Opens the store, waiting briefly while a finished run's threads let go of it.
fn open_store(dir: &Path) -> Result<Store> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match Store::open(dir) {
            Err(crate::store::StoreError::Locked { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return Ok(other?),
        }
    }
}

fn tui_app(store: Arc<Store>, today: Date) -> tui::App {
    tui::build_app(tui::TuiOptions {
        store,
        today,
        filter: None,
        tab: None,
        keymap: None,
        theme: None,
        config_dir: Some(PathBuf::from("/nonexistent")),
    })
}

/// Loads the store into a headless TUI and draws it: `bench --tui-memory-probe` runs this
/// in a child process so its peak memory can be read.
pub fn tui_memory_probe(store: &Path, today: Date) -> Result<()> {
    // as `paytrack` does before it opens the TUI
    tui::limit_malloc_arenas();
    let store = Arc::new(Store::open(store)?);
    let mut app = tui_app(store, today);
    let mut term = Terminal::new(TestBackend::new(120, 40))?;
    app.settle(Duration::from_secs(120));
    term.draw(|f| tui::ui::draw(f, &mut app))?;
    std::mem::forget(app);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_after_an_invoice_import_is_the_applied_one() {
        let csv = "number,party,kind,issue_date,due_date,amount,currency\n\
                   A-1,Acme,receivable,2025-01-01,2025-02-01,10.00,EUR\n\
                   A-2,Bolt,payable,2025-01-02,2025-02-01,5.00,EUR\n\
                   A-3,acme,payable,2025-01-03,2025-02-01,7.50,USD\n";
        let plan = csv_own::read_invoices(
            csv.as_bytes(),
            "i.csv",
            &Ledger::new(),
            &mut IdSeq::default(),
        )
        .unwrap();
        let mut applied = Ledger::new();
        applied.apply(&plan.changes);
        let built = ledger_after(&plan.changes);
        assert_eq!(built.parties(), applied.parties());
        assert_eq!(built.invoices(), applied.invoices());
        assert_eq!(built.invoices().len(), 3);
        for i in applied.invoices() {
            assert_eq!(built.invoice_by_number(&i.number), Some(i));
            assert_eq!(built.party(i.party), applied.party(i.party));
        }
        assert_eq!(built.party_by_name("ACME"), applied.party_by_name("ACME"));
    }
}
