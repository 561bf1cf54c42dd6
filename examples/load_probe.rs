//! Times the phases of a full store load.
//!
//! `cargo run --release --example load_probe -- STORE [phases|load|scan|import [N]|lookup WORD] [--runs N]`
//!
//! - `phases` (default): open, parties, invoices, payments, `Ledger::from_records`, drop,
//!   each timed on its own;
//! - `load`: open and `Store::load()` as the TUI and CLI call it, then drop;
//! - `import [N]`: generate the demo data for N payments (default 1,000,000) and commit it
//!   to the empty store STORE in one change set (what `paytrack demo --seed-only` does);
//! - `scan`: sled alone reading every value without decoding (the floor for a load);
//! - `lookup WORD`: `load()` then a case-insensitive scan of payment references, party
//!   names and notes for WORD (roughly what `paytrack payments --filter WORD` does before
//!   printing).
//!
//! Each line shows wall time, the process's CPU time over the step (both cores count, so
//! CPU time above wall time means the step ran in parallel) and resident memory after the
//! step; the last line shows peak resident memory. The machine is shared, so wall time is
//! noisy: CPU time is the steadier figure.
use std::time::{Duration, Instant};

use paytrack::domain::ledger::Ledger;
use paytrack::store::Store;

/// CPU time of the whole process so far.
fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes into the timespec we pass.
    unsafe {
        libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts);
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A field of /proc/self/status in MiB (VmRSS, VmHWM).
fn status_mib(field: &str) -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Times one step and prints a line for it.
fn step<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let (t, c) = (Instant::now(), cpu_time());
    let v = f();
    let (wall, cpu) = (t.elapsed(), cpu_time() - c);
    println!(
        "{name:<10} wall {:>8.1} ms   cpu {:>8.1} ms   rss {:>6.0} MiB",
        wall.as_secs_f64() * 1e3,
        cpu.as_secs_f64() * 1e3,
        status_mib("VmRSS:")
    );
    v
}

/// What glibc's allocator holds: in use, free but kept, and mapped for large blocks.
fn malloc_line() -> String {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let m = unsafe { libc::mallinfo2() };
    let mib = |b: usize| b as f64 / 1048576.0;
    format!(
        "malloc: {:.0} MiB in use, {:.0} MiB free in the heap, {:.0} MiB mapped",
        mib(m.uordblks + m.hblkhd),
        mib(m.fordblks),
        mib(m.hblkhd)
    )
}

/// The ledger's memory by part, counted from the records (malloc rounds each block up to
/// 16 bytes with an 8-byte header, at least 32 bytes).
fn ledger_bytes(l: &Ledger) -> String {
    fn chunk(n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (n + 8).div_ceil(16).max(2) * 16
        }
    }
    let mib = |b: usize| b as f64 / 1048576.0;
    let pay = l.payments();
    let inv = l.invoices();
    let pay_rows = std::mem::size_of_val(pay);
    let pay_heap: usize = pay
        .iter()
        .map(|p| {
            chunk(p.reference.capacity())
                + chunk(p.notes.capacity())
                + chunk(
                    p.allocations.capacity() * std::mem::size_of::<paytrack::domain::Allocation>(),
                )
        })
        .sum();
    let inv_rows = std::mem::size_of_val(inv);
    let inv_heap: usize = inv
        .iter()
        .map(|i| chunk(i.number.capacity()) + chunk(i.notes.capacity()))
        .sum();
    format!(
        "records: payments {:.0} MiB rows ({} B each) + {:.0} MiB text and splits, invoices {:.0} MiB rows ({} B each) + {:.0} MiB text",
        mib(pay_rows),
        std::mem::size_of::<paytrack::domain::Payment>(),
        mib(pay_heap),
        mib(inv_rows),
        std::mem::size_of::<paytrack::domain::Invoice>(),
        mib(inv_heap)
    )
}

fn phases(path: &std::path::Path) {
    let s = step("open", || Store::open(path).expect("open store"));
    let parties = step("parties", || s.parties().expect("parties"));
    let inv = step("invoices", || s.invoices().expect("invoices"));
    let pay = step("payments", || s.payments().expect("payments"));
    println!(
        "           {} parties, {} invoices, {} payments",
        parties.len(),
        inv.len(),
        pay.len()
    );
    let l = step("ledger", || Ledger::from_records(parties, inv, pay));
    step("drop", || drop(l));
}

fn load(path: &std::path::Path) -> (Store, Ledger) {
    let s = step("open", || Store::open(path).expect("open store"));
    let l = step("load", || s.load().expect("load"));
    println!(
        "           {} parties, {} invoices, {} payments",
        l.parties().len(),
        l.invoices().len(),
        l.payments().len()
    );
    println!("           {}", ledger_bytes(&l));
    println!("           {}", malloc_line());
    (s, l)
}

fn lookup(l: &Ledger, word: &str) -> usize {
    let w = word.to_lowercase();
    l.payments()
        .iter()
        .filter(|p| {
            p.reference.to_lowercase().contains(&w)
                || p.notes.to_lowercase().contains(&w)
                || l.party_name(p.party).to_lowercase().contains(&w)
        })
        .count()
}

/// Reads every value with sled alone (no decoding): what the scan itself costs.
fn scan(path: &std::path::Path) {
    let db = step("open", || {
        sled::Config::new()
            .path(path)
            .cache_capacity(paytrack::store::CACHE_BYTES)
            .open()
            .expect("open sled")
    });
    for (name, prefix) in [("parties", b'y'), ("invoices", b'i'), ("payments", b'p')] {
        let (n, bytes) = step(name, || {
            db.scan_prefix([prefix])
                .fold((0usize, 0usize), |(n, b), kv| {
                    let (_, v) = kv.expect("scan");
                    (n + 1, b + v.len())
                })
        });
        println!("           {n} values, {:.1} MiB", bytes as f64 / 1048576.0);
    }
}

/// Generates the demo data for `n` payments and commits it to an empty store at `path`
/// as one change set, as `paytrack demo --seed-only` does.
fn import(path: &std::path::Path, n: usize) {
    use paytrack::domain::{Change, ChangeSet};
    let today = paytrack::domain::parse_date("2026-12-03").expect("date");
    let data = step("generate", || {
        paytrack::demo::generate(&paytrack::demo::DemoConfig {
            seed: paytrack::demo::DEFAULT_SEED,
            payments: n,
            today,
        })
    });
    let set = step("changeset", || {
        let mut set = ChangeSet::new();
        set.changes
            .extend(data.parties.into_iter().map(Change::PutParty));
        set.changes
            .extend(data.invoices.into_iter().map(Change::PutInvoice));
        set.changes
            .extend(data.payments.into_iter().map(Change::PutPayment));
        set.ids = Some(data.ids);
        set
    });
    let s = step("open", || Store::open(path).expect("open store"));
    assert!(
        s.is_empty().expect("counts"),
        "{} is not empty",
        path.display()
    );
    step("commit", || s.commit(&set).expect("commit"));
    println!(
        "           {:?}, {:.0} MiB on disk",
        s.counts().expect("counts"),
        s.size_on_disk().expect("size") as f64 / 1048576.0
    );
    std::mem::forget(set);
    step("close", || drop(s));
    let s = step("reopen", || Store::open(path).expect("reopen store"));
    step("close", || drop(s));
    let s = step("reopen", || Store::open(path).expect("reopen store"));
    drop(s);
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 1;
    if let Some(i) = args.iter().position(|a| a == "--runs") {
        runs = args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .expect("--runs N");
        args.drain(i..i + 2);
    }
    let path = std::path::PathBuf::from(
        args.first()
            .expect("usage: load_probe STORE [phases|load|scan|import [N]|lookup WORD]"),
    );
    let mode = args.get(1).map(String::as_str).unwrap_or("phases");
    for run in 0..runs {
        if runs > 1 {
            println!("run {}", run + 1);
        }
        match mode {
            "phases" => phases(&path),
            "scan" => scan(&path),
            "import" => {
                let n = args
                    .get(2)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1_000_000);
                import(&path, n);
            }
            "load" => {
                let (s, l) = load(&path);
                step("drop", || drop(l));
                println!("           after dropping the ledger: {}", malloc_line());
                drop(s);
                println!("           after closing the store: {}", malloc_line());
            }
            "lookup" => {
                let word = args.get(2).expect("lookup WORD");
                let (_s, l) = load(&path);
                let n = step("lookup", || lookup(&l, word));
                println!("           {n} payments match");
                // Like a CLI command about to exit: no point freeing the ledger.
                std::mem::forget(l);
            }
            other => panic!("unknown mode {other}: phases, load or lookup WORD"),
        }
    }
    println!("peak rss {:.0} MiB", status_mib("VmHWM:"));
}
