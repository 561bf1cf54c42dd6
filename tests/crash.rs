//! Crash safety: paytrack processes killed with SIGKILL at random points while they add,
//! edit, delete, import and restore. After every kill `paytrack check` passes on the
//! store that was written (which therefore opens), every change that was reported saved
//! is there, nothing reported deleted is back, and no change is half done: an import or
//! a restore is all there or not at all, an edit shows the old or the new notes.
//!
//! Where to kill: each kind of operation is timed now and then by running it to the
//! end, and the kill is drawn at random over that duration (a little beyond it), so
//! most kills land while the process runs: from start-up through the commit to the
//! moment it exits. Kills before the success message are the ones that count ("kills
//! during the operation"); the test goes on until `PAYTRACK_CRASH_ROUNDS` (default 500,
//! as CI runs it; set it higher locally) of them have happened, and also reports the
//! kills that came after the message and the runs that finished first.
//!
//! The records of the store are read through the library between kills (faster than
//! another process); every kill is followed by a run of `paytrack check`. A store that
//! has grown past [`MAX_PAYMENTS`] is set aside for a new one, so the checks stay fast.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use paytrack::store::{Counts, Store};

const TODAY: &str = "2026-12-03";
/// Payments per imported file.
const IMPORT_ROWS: usize = 1000;
/// Payments in the backup that is restored.
const BACKUP_PAYMENTS: usize = 3000;
/// A store with more payments than this is replaced by a new one.
const MAX_PAYMENTS: usize = 6000;
/// Each kind of operation is run to the end (and timed) once every this many of its
/// rounds.
const TIME_EVERY: usize = 10;

fn paytrack(db: &Path) -> Command {
    let mut c = Command::cargo_bin("paytrack").unwrap();
    c.arg("--db").arg(db).arg("--today").arg(TODAY);
    c.env_remove("PAYTRACK_DB").env_remove("PAYTRACK_TODAY");
    c
}

/// A small deterministic generator (xorshift), so a failing run can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Add,
    Edit,
    Delete,
    Import,
    Restore,
}

const KINDS: [Kind; 5] = [
    Kind::Add,
    Kind::Edit,
    Kind::Delete,
    Kind::Import,
    Kind::Restore,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Add => "add",
            Kind::Edit => "edit",
            Kind::Delete => "delete",
            Kind::Import => "import",
            Kind::Restore => "restore",
        }
    }

    /// What the command prints once its change is saved.
    fn success(self) -> &'static str {
        match self {
            Kind::Add => "added payment",
            Kind::Edit => "updated payment",
            Kind::Delete => "deleted payment",
            Kind::Import => "imported ",
            Kind::Restore => "restored ",
        }
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Killed before it said the change was saved.
    KilledDuring,
    /// Killed after it said so (while closing the store).
    KilledAfter,
    /// Finished before the kill.
    Finished,
}

/// Runs `cmd`, SIGKILLs it `at` this long after starting it (never, with `None`), and
/// says how it ended and how long it ran. The test's own wake-up comes late on a busy
/// machine: it sleeps `late` less than asked, and notes how late it woke in `lateness`.
fn run_and_kill(
    mut cmd: Command,
    kind: Kind,
    at: Option<Duration>,
    lateness: &mut Lateness,
) -> (End, Duration) {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(at) = at {
        let wake = at.saturating_sub(lateness.median());
        if let Some(left) = wake.checked_sub(start.elapsed()) {
            std::thread::sleep(left);
            lateness.note(start.elapsed().saturating_sub(wake));
        }
        if child.try_wait().unwrap().is_none() {
            // SAFETY: plain kill(2) of our own child, which has not been waited for.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGKILL);
            }
        }
    }
    let status = child.wait().unwrap();
    let took = start.elapsed();
    let mut out = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut out);
    let said = out.contains(kind.success());
    if status.signal() == Some(libc::SIGKILL) {
        return (
            if said {
                End::KilledAfter
            } else {
                End::KilledDuring
            },
            took,
        );
    }
    let mut err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    assert!(
        status.success() && said,
        "{} was not killed but did not succeed ({status}): {out}{err}",
        kind.name()
    );
    (End::Finished, took)
}

fn check(db: &Path, what: &str) {
    let o = paytrack(db).arg("check").output().unwrap();
    assert!(
        o.status.success() && o.stdout.is_empty(),
        "{what}: check failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A payment as the test follows it.
struct Seen {
    id: u64,
    notes: String,
}

/// Every payment of the store by reference (the store must open: that is checked too).
fn payments(db: &Path, what: &str) -> BTreeMap<String, Seen> {
    let store = Store::open(db).unwrap_or_else(|e| panic!("{what}: the store does not open: {e}"));
    let all = store.payments().unwrap();
    drop(store);
    all.into_iter()
        .map(|p| {
            (
                p.reference,
                Seen {
                    id: p.id.0,
                    notes: p.notes,
                },
            )
        })
        .collect()
}

/// What one store holds, as far as the test knows.
#[derive(Default)]
struct Expect {
    /// References that must be present.
    saved: BTreeSet<String>,
    /// References that must be absent.
    deleted: BTreeSet<String>,
    /// Killed before they said: either way (settled after the next look).
    maybe: BTreeSet<String>,
    /// The imports: each all there or not at all.
    imports: Vec<Vec<String>>,
    /// The notes an edit reported saved.
    notes: BTreeMap<String, String>,
    /// An edit killed before it said: (reference, old notes, new notes).
    maybe_note: Option<(String, String, String)>,
}

impl Expect {
    /// Checks the store against what is known, then settles the unknowns to what it holds.
    fn verify(&mut self, present: &BTreeMap<String, Seen>, what: &str) {
        for r in &self.saved {
            assert!(
                present.contains_key(r),
                "{what}: {r} was reported saved but is gone"
            );
        }
        for r in &self.deleted {
            assert!(
                !present.contains_key(r),
                "{what}: {r} was reported deleted but is back"
            );
        }
        for refs in &self.imports {
            let n = refs.iter().filter(|r| present.contains_key(*r)).count();
            assert!(
                n == 0 || n == refs.len(),
                "{what}: half an import: {n} of {} payments from {}",
                refs.len(),
                refs[0]
            );
        }
        let maybe_note = self.maybe_note.take();
        for (r, note) in &self.notes {
            // (an edit killed before it said may have replaced an earlier one)
            if maybe_note.as_ref().is_some_and(|(m, _, _)| m == r) {
                continue;
            }
            if let Some(p) = present.get(r) {
                assert_eq!(
                    &p.notes, note,
                    "{what}: the edit of {r} was reported saved but is lost"
                );
            }
        }
        if let Some((r, old, new)) = maybe_note {
            let now = &present[&r].notes;
            assert!(
                now == &old || now == &new,
                "{what}: {r} has notes {now:?}, neither {old:?} nor {new:?}"
            );
            self.notes.insert(r, now.clone());
        }
        for r in std::mem::take(&mut self.maybe) {
            if present.contains_key(&r) {
                self.saved.insert(r);
            } else {
                self.deleted.insert(r);
            }
        }
        // an import is settled now: only what is known matters from here on
        self.imports.clear();
    }

    /// A saved payment added one at a time (edits and deletes pick these).
    fn pick(&self, rng: &mut Rng) -> Option<String> {
        let adds: Vec<&String> = self
            .saved
            .iter()
            .filter(|r| r.starts_with("ADD-"))
            .collect();
        (!adds.is_empty()).then(|| adds[rng.below(adds.len() as u64) as usize].clone())
    }
}

/// A new store holding the invoice payments may be allocated to.
fn new_store(dir: &Path, epoch: usize) -> PathBuf {
    let db = dir.join(format!("store-{epoch}"));
    let o = paytrack(&db)
        .args([
            "add",
            "invoice",
            "--number",
            "INV-1",
            "--party",
            "Acme",
            "--amount",
            "1000000000",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    db
}

/// The backup every restore reads: demo data (parties, invoices, payments, follow-ups).
fn backup(dir: &Path) -> (PathBuf, Counts) {
    let src = dir.join("backup-source");
    let o = paytrack(&src)
        .args([
            "demo",
            "--seed-only",
            "--payments",
            &BACKUP_PAYMENTS.to_string(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = dir.join("restore-me.ptb");
    let o = paytrack(&src).arg("backup").arg(&file).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let counts = Store::open(&src).unwrap().counts().unwrap();
    (file, counts)
}

/// How late the test woke from its last sleeps.
#[derive(Default)]
struct Lateness(Vec<Duration>);

impl Lateness {
    fn median(&self) -> Duration {
        let mut v = self.0.clone();
        v.sort();
        v.get(v.len() / 2).copied().unwrap_or_default()
    }

    fn note(&mut self, late: Duration) {
        if self.0.len() == 31 {
            self.0.remove(0);
        }
        self.0.push(late);
    }
}

/// Durations of the last runs to the end of each kind of operation.
struct Timing(BTreeMap<Kind, Vec<Duration>>);

impl Timing {
    /// When to kill a run of `kind` (after its start): anywhere over its duration (the median of the last
    /// timed runs) and a tenth beyond.
    fn kill_at(&self, kind: Kind, rng: &mut Rng) -> Duration {
        let d = match self.0.get(&kind) {
            Some(v) => {
                let mut v = v.clone();
                v.sort();
                v[v.len() / 2]
            }
            None => Duration::from_millis(40),
        };
        let span = (d.as_micros() as u64 * 11 / 10).max(1);
        Duration::from_micros(rng.below(span))
    }

    /// Notes the duration of a run to the end.
    fn learn(&mut self, kind: Kind, took: Duration) {
        let v = self.0.entry(kind).or_default();
        if v.len() == 5 {
            v.remove(0);
        }
        v.push(took);
    }
}

#[test]
fn killed_writers_never_lose_saved_changes_nor_leave_half_changes() {
    let target: usize = std::env::var("PAYTRACK_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (backup, backup_counts) = backup(dir.path());
    let mut epoch = 0;
    let mut db = new_store(dir.path(), epoch);
    let mut expect = Expect::default();
    let mut present = payments(&db, "start");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut timing = Timing(BTreeMap::new());
    let mut lateness = Lateness::default();
    let mut ends: BTreeMap<(Kind, &str), usize> = BTreeMap::new();
    let mut runs: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut during = 0;
    let mut round = 0;
    while during < target {
        round += 1;
        assert!(
            round <= 3 * target + 100,
            "only {during} of {target} kills landed during an operation in {round} rounds"
        );
        // add 30%, edit 15%, delete 15%, import 20%, restore 20%
        let kind = match rng.below(20) {
            0..=5 => Kind::Add,
            6..=8 => Kind::Edit,
            9..=11 => Kind::Delete,
            12..=15 => Kind::Import,
            _ => Kind::Restore,
        };
        let n = runs.entry(kind).or_default();
        *n += 1;
        // every so often run to the end: that times it, and checks the path that succeeds
        let kill_at = (*n % TIME_EVERY != 1).then(|| timing.kill_at(kind, &mut rng));
        let what = format!("round {round} ({}, epoch {epoch})", kind.name());

        if kind == Kind::Restore {
            let target_db = dir.path().join(format!("restored-{round}"));
            let mut c = paytrack(&target_db);
            c.arg("restore").arg(&backup);
            let (end, took) = run_and_kill(c, kind, kill_at, &mut lateness);
            if kill_at.is_none() {
                timing.learn(kind, took);
            }
            // a killed restore leaves an empty or a complete store, never one that does
            // not open (check opens it)
            check(&target_db, &what);
            let counts = Store::open(&target_db)
                .unwrap_or_else(|e| panic!("{what}: the restored store does not open: {e}"))
                .counts()
                .unwrap();
            assert!(
                counts == backup_counts || counts == Counts::default(),
                "{what}: half a restore: {counts:?} of {backup_counts:?}"
            );
            assert!(
                end == End::KilledDuring || counts == backup_counts,
                "{what}: restore said done, but the store holds {counts:?}"
            );
            let _ = std::fs::remove_dir_all(&target_db);
            *ends.entry((kind, end_name(end))).or_default() += 1;
            during += usize::from(end == End::KilledDuring);
            continue;
        }

        let mut c = paytrack(&db);
        let mut planned: Vec<String> = Vec::new(); // added or deleted references
        match kind {
            Kind::Add => {
                let r = format!("ADD-{round}");
                c.args([
                    "add",
                    "payment",
                    "--party",
                    "Acme",
                    "--dir",
                    "in",
                    "--amount",
                    "1.00",
                    "--reference",
                    &r,
                ]);
                if rng.below(2) == 0 {
                    c.args(["--invoice", "INV-1=1.00"]);
                }
                planned.push(r);
            }
            Kind::Import => {
                let mut csv = String::from(
                    "date,party,direction,amount,currency,method,reference,invoice,notes\n",
                );
                for k in 0..IMPORT_ROWS {
                    let r = format!("IMP-{round}-{k}");
                    let invoice = if k % 2 == 0 { "INV-1" } else { "" };
                    csv.push_str(&format!(
                        "2026-11-30,Acme,in,2.00,EUR,card,{r},{invoice},row {k}\n"
                    ));
                    planned.push(r);
                }
                let file = dir.path().join("import.csv");
                std::fs::write(&file, csv).unwrap();
                c.args(["import", "payments"]).arg(&file);
            }
            Kind::Edit | Kind::Delete => {
                let Some(r) = expect.pick(&mut rng) else {
                    continue;
                };
                let id = present[&r].id.to_string();
                if kind == Kind::Edit {
                    let note = format!("edited in round {round}");
                    c.args(["edit", "payment", &id, "--notes", &note]);
                    expect.maybe_note = Some((r.clone(), present[&r].notes.clone(), note));
                } else {
                    c.args(["delete", "payment", &id]);
                }
                planned.push(r);
            }
            Kind::Restore => unreachable!(),
        }
        let (end, took) = run_and_kill(c, kind, kill_at, &mut lateness);
        if kill_at.is_none() {
            timing.learn(kind, took);
        }
        let said = end != End::KilledDuring;
        match kind {
            Kind::Add | Kind::Import if said => expect.saved.extend(planned.iter().cloned()),
            Kind::Add | Kind::Import => expect.maybe.extend(planned.iter().cloned()),
            Kind::Delete => {
                expect.saved.remove(&planned[0]);
                expect.notes.remove(&planned[0]);
                if said {
                    expect.deleted.insert(planned[0].clone());
                } else {
                    expect.maybe.insert(planned[0].clone());
                }
            }
            Kind::Edit if said => {
                let (r, _, new) = expect.maybe_note.take().unwrap();
                expect.notes.insert(r, new);
            }
            _ => {}
        }
        if kind == Kind::Import {
            expect.imports.push(planned);
        }
        check(&db, &what);
        present = payments(&db, &what);
        expect.verify(&present, &what);
        *ends.entry((kind, end_name(end))).or_default() += 1;
        during += usize::from(end == End::KilledDuring);

        if present.len() > MAX_PAYMENTS {
            epoch += 1;
            let old = std::mem::replace(&mut db, new_store(dir.path(), epoch));
            let _ = std::fs::remove_dir_all(old);
            expect = Expect::default();
            present = payments(&db, "new store");
        }
    }
    let count = |k: Kind, e: End| ends.get(&(k, end_name(e))).copied().unwrap_or(0);
    let total = |e: End| KINDS.iter().map(|k| count(*k, e)).sum::<usize>();
    let per_kind: Vec<String> = KINDS
        .iter()
        .map(|k| format!("{} {}", k.name(), count(*k, End::KilledDuring)))
        .collect();
    eprintln!(
        "crash: {during} kills during operations ({}); {} after the success message, {} runs finished first; {round} rounds, {} stores, {:.1} s",
        per_kind.join(", "),
        total(End::KilledAfter),
        total(End::Finished),
        epoch + 1,
        started.elapsed().as_secs_f64()
    );
    // each kind had its share: the kills are not all of one kind
    for k in KINDS {
        assert!(
            count(k, End::KilledDuring) >= target / 20,
            "only {} kills during {} operations",
            count(k, End::KilledDuring),
            k.name()
        );
    }
}

fn end_name(e: End) -> &'static str {
    match e {
        End::KilledDuring => "during",
        End::KilledAfter => "after",
        End::Finished => "finished",
    }
}
