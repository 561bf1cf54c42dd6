//! Crash safety: paytrack processes killed with SIGKILL at random points while they add,
//! delete and import. After every kill the store opens, `paytrack check` passes, every
//! change that was reported saved is there, and no change is half done.
//!
//! Rounds: `PAYTRACK_CRASH_ROUNDS` (default 500, as CI runs it); set it higher locally.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;

const TODAY: &str = "2026-12-03";

fn paytrack(db: &Path) -> Command {
    let mut c = Command::cargo_bin("paytrack").unwrap();
    c.arg("--db").arg(db).arg("--today").arg(TODAY);
    c.env_remove("PAYTRACK_DB").env_remove("PAYTRACK_TODAY");
    c
}

/// A small deterministic generator (xorshift), so a failing round can be replayed.
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

/// Runs the command, SIGKILLs it after `delay`, and returns what it printed on stdout.
fn run_and_kill(mut cmd: Command, delay: Duration) -> String {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    // SAFETY: plain kill(2) of our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let _ = child.wait();
    let mut out = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut out);
    out
}

/// References of every payment in the store (the store must open: that is checked too).
fn references(db: &Path) -> BTreeSet<String> {
    let o = paytrack(db)
        .args(["payments", "--format", "csv"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "store does not open after a kill: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let col = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "reference")
        .unwrap();
    rdr.records().map(|r| r.unwrap()[col].to_string()).collect()
}

fn check(db: &Path) {
    let o = paytrack(db).arg("check").output().unwrap();
    assert!(
        o.status.success(),
        "check failed after a kill:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn killed_writers_never_lose_saved_changes_nor_leave_half_changes() {
    let rounds: usize = std::env::var("PAYTRACK_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    let ok = paytrack(&db)
        .args([
            "add", "invoice", "--number", "INV-1", "--party", "Acme", "--amount", "100000",
        ])
        .output()
        .unwrap();
    assert!(ok.status.success());

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut saved: BTreeSet<String> = BTreeSet::new(); // must be present
    let mut deleted: BTreeSet<String> = BTreeSet::new(); // must be absent
    let mut maybe: BTreeSet<String> = BTreeSet::new(); // killed before it said: either way
    let mut imports: Vec<Vec<String>> = Vec::new(); // each all or nothing
    let mut kills_before_success = 0;
    for round in 0..rounds {
        // Where to kill: spread over the whole life of a process, start-up to exit.
        let delay = Duration::from_micros(rng.below(40_000));
        match rng.below(10) {
            0..=5 => {
                let r = format!("ADD-{round}");
                let mut c = paytrack(&db);
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
                if run_and_kill(c, delay).contains("added payment") {
                    saved.insert(r);
                } else {
                    kills_before_success += 1;
                    maybe.insert(r);
                }
            }
            6..=7 => {
                let refs: Vec<String> = (0..3).map(|k| format!("IMP-{round}-{k}")).collect();
                let mut csv = String::from(
                    "date,party,direction,amount,currency,method,reference,invoice,notes\n",
                );
                for r in &refs {
                    csv.push_str(&format!("2026-11-30,Acme,in,2.00,EUR,card,{r},INV-1,\n"));
                }
                let file = dir.path().join(format!("imp-{round}.csv"));
                std::fs::write(&file, csv).unwrap();
                let mut c = paytrack(&db);
                c.args(["import", "payments"]).arg(&file);
                if run_and_kill(c, delay).contains("imported 3 payments") {
                    saved.extend(refs.iter().cloned());
                } else {
                    kills_before_success += 1;
                    maybe.extend(refs.iter().cloned());
                }
                imports.push(refs);
            }
            8 if round % 4 == 0 => {
                // restore a backup into a fresh store: afterwards it is empty or complete
                let backup = dir.path().join("b.ptb");
                let o = paytrack(&db).arg("backup").arg(&backup).output().unwrap();
                assert!(o.status.success());
                let target = dir.path().join(format!("restored-{round}"));
                let mut c = paytrack(&target);
                c.arg("restore").arg(&backup);
                let said = run_and_kill(c, delay).contains("restored");
                let o = paytrack(&target)
                    .args(["payments", "--format", "csv"])
                    .output()
                    .unwrap();
                if o.status.success() {
                    let restored = String::from_utf8_lossy(&o.stdout).lines().count();
                    let original = references(&db).len() + 1;
                    assert!(
                        restored == 1 || restored == original,
                        "round {round}: half a restore ({restored} of {original} lines)"
                    );
                    assert!(
                        !said || restored == original,
                        "round {round}: restore said done"
                    );
                    check(&target);
                } else {
                    // killed before the store existed at all
                    assert!(!said);
                }
                continue;
            }
            8 => {
                // edit a saved payment's notes: reported saved means the new notes are there
                let Some(target) = saved.iter().find(|r| r.starts_with("ADD-")).cloned() else {
                    continue;
                };
                let id = find_id(&db, &target);
                let note = format!("edited in round {round}");
                let mut c = paytrack(&db);
                c.args(["edit", "payment", &id.to_string(), "--notes", &note]);
                if run_and_kill(c, delay).contains("updated payment") {
                    let o = paytrack(&db)
                        .args([
                            "payments",
                            "--format",
                            "csv",
                            "--filter",
                            &format!("\"{target}\""),
                        ])
                        .output()
                        .unwrap();
                    assert!(
                        String::from_utf8_lossy(&o.stdout).contains(&note),
                        "round {round}: edit of {target} reported saved but lost"
                    );
                } else {
                    kills_before_success += 1;
                }
            }
            _ => {
                // delete a payment that is known to be saved
                let Some(victim) = saved.iter().find(|r| r.starts_with("ADD-")).cloned() else {
                    continue;
                };
                let id = find_id(&db, &victim);
                let mut c = paytrack(&db);
                c.args(["delete", "payment", &id.to_string()]);
                if run_and_kill(c, delay).contains("deleted payment") {
                    saved.remove(&victim);
                    deleted.insert(victim);
                } else {
                    kills_before_success += 1;
                    saved.remove(&victim);
                    maybe.insert(victim);
                }
            }
        }
        let present = references(&db);
        for r in &saved {
            assert!(
                present.contains(r),
                "round {round}: {r} was reported saved but is gone"
            );
        }
        for r in &deleted {
            assert!(
                !present.contains(r),
                "round {round}: {r} was reported deleted but is back"
            );
        }
        for refs in &imports {
            let n = refs.iter().filter(|r| present.contains(*r)).count();
            assert!(
                n == 0 || n == refs.len(),
                "round {round}: half an import: {refs:?}"
            );
        }
        // Settle the unknowns to what the store holds now: from here on they are known.
        for r in std::mem::take(&mut maybe) {
            if present.contains(&r) {
                saved.insert(r);
            } else {
                deleted.insert(r);
            }
        }
        if round % 50 == 49 {
            check(&db);
        }
    }
    check(&db);
    eprintln!(
        "{rounds} kills: {kills_before_success} before the success message, {} changes kept",
        saved.len()
    );
}

fn find_id(db: &Path, reference: &str) -> u64 {
    // the table's first column is the payment id
    let o = paytrack(db)
        .args(["payments", "--filter", &format!("\"{reference}\"")])
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    text.lines()
        .skip(1)
        .find(|l| l.split_whitespace().any(|w| w == reference))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id for {reference} in {text}"))
}
