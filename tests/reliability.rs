//! Reliability end to end, with the real binary: `check` lists every record that does
//! not decode and `--repair` rebuilds the counters; safety copies before imports, bulk
//! deletes, repairs and restores (rotating, 0600, restorable); damaged stores (truncated
//! or bit-flipped sled files, missing files) are refused with a message that points at
//! `check`, `restore` and the latest safety copy, never opened as an empty store; a full
//! disk (a small tmpfs) fails an import cleanly and leaves the store as it was; under
//! umask 022 every file paytrack writes is private.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use paytrack::store::codec::{self, tag};
use paytrack::store::{keys, safety, Counts};

const BIN: &str = env!("CARGO_BIN_EXE_paytrack");
const TODAY: &str = "2026-12-03";
const HEADER: &str = "date,party,direction,amount,currency,method,reference,invoice,notes\n";

fn paytrack(db: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--db")
        .arg(db)
        .arg("--today")
        .arg(TODAY)
        .args(args)
        .env_remove("PAYTRACK_DB")
        .env_remove("PAYTRACK_TODAY")
        .env("XDG_CONFIG_HOME", db.with_extension("config"))
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs and asserts success; returns stdout.
fn ok(db: &Path, args: &[&str]) -> String {
    let o = paytrack(db, args);
    assert!(
        o.status.success(),
        "paytrack {args:?} failed: {}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

/// Runs and asserts exit code 1; returns (stdout, stderr).
fn fails(db: &Path, args: &[&str]) -> (String, String) {
    let o = paytrack(db, args);
    assert_eq!(
        o.status.code(),
        Some(1),
        "paytrack {args:?} should fail: {}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    (text(&o.stdout), text(&o.stderr))
}

fn seed(db: &Path, payments: usize) {
    ok(
        db,
        &["demo", "--seed-only", "--payments", &payments.to_string()],
    );
    // one more open, as any command does: the store notes that it holds records
    ok(db, &["parties"]);
}

/// Everything in the store as text: the three exports.
fn export_all(db: &Path) -> String {
    let mut s = String::new();
    for what in ["parties", "invoices", "payments"] {
        s.push_str(&ok(db, &["export", what]));
    }
    s
}

fn csv_file(dir: &Path, name: &str, rows: usize, tag: &str) -> PathBuf {
    let mut csv = String::from(HEADER);
    for i in 0..rows {
        csv.push_str(&format!(
            "2026-11-30,Acme {},in,{}.25,EUR,card,{tag}-{i},,notes of row {i}\n",
            i % 40,
            i % 900 + 1
        ));
    }
    let p = dir.join(name);
    std::fs::write(&p, csv).unwrap();
    p
}

/// The path named in a "safety copy ... written to PATH (" message.
fn safety_path(stderr: &str) -> PathBuf {
    let start = stderr
        .find("written to ")
        .unwrap_or_else(|| panic!("no safety copy message in: {stderr}"))
        + "written to ".len();
    let end = stderr[start..].find(" (").unwrap() + start;
    PathBuf::from(&stderr[start..end])
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Writes raw values into the store's sled tree (the store must be closed).
fn poke(db: &Path, entries: &[(Vec<u8>, Vec<u8>)]) {
    let tree = sled::open(db).unwrap();
    for (k, v) in entries {
        tree.insert(k.as_slice(), v.as_slice()).unwrap();
    }
    tree.flush().unwrap();
}

#[test]
fn check_lists_every_record_that_does_not_decode() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    seed(&db, 1000);
    assert_eq!(ok(&db, &["check"]), "", "a sound store: silent");
    let garbage = vec![tag::PAYMENT_BLOCK_V1, 0xff, 0xff, 0xff];
    poke(
        &db,
        &[
            (
                keys::block_key(keys::PAYMENTS, keys::BLOCK).to_vec(),
                garbage.clone(),
            ),
            (
                keys::block_key(keys::PAYMENTS, 5 * keys::BLOCK).to_vec(),
                vec![0x77, 1, 2],
            ),
            (
                keys::block_key(keys::INVOICES, 2 * keys::BLOCK).to_vec(),
                Vec::new(),
            ),
            (keys::party_key(3).to_vec(), vec![tag::PARTY_V1, 0xff]),
        ],
    );
    let (out, err) = fails(&db, &["check"]);
    for key in [
        "payment block 1 ",
        "payment block 5 ",
        "invoice block 2 ",
        "party 3 ",
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(key.trim_end()) && l.contains("does not decode")),
            "{key} not listed:\n{out}"
        );
    }
    assert!(out.contains("record tag 0x77"), "{out}");
    assert!(out.contains("empty value"), "{out}");
    assert!(err.contains("problem(s) found"), "{err}");
    assert!(err.contains("restore"), "{err}");
    // the TUI and other commands refuse with a pointer to check
    let (_, err) = fails(&db, &["payments"]);
    assert!(err.contains("paytrack check"), "{err}");
}

#[test]
fn repair_rebuilds_counts_and_id_counters_and_says_what_it_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    seed(&db, 500);
    let before = export_all(&db);
    let wrong = Counts {
        parties: 1,
        invoices: 2,
        payments: 3,
    };
    poke(
        &db,
        &[
            (
                keys::META_COUNTS.to_vec(),
                codec::encode(tag::COUNTS_V1, &wrong),
            ),
            (
                keys::META_IDS.to_vec(),
                codec::encode(
                    tag::IDS_V1,
                    &codec::IdsV1::from(paytrack::domain::IdSeq {
                        party: 1,
                        invoice: 1,
                        payment: 1,
                    }),
                ),
            ),
        ],
    );
    let (out, err) = fails(&db, &["check"]);
    assert!(
        out.contains("stored counts (1 parties, 2 invoices, 3 payments)"),
        "{out}"
    );
    assert!(out.contains("at or above the next payment id"), "{out}");
    assert!(err.contains("check --repair"), "{err}");
    let o = paytrack(&db, &["check", "--repair"]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    assert!(out.contains("repaired: record counts set to"), "{out}");
    assert!(out.contains("repaired: next ids set to"), "{out}");
    assert!(safety_path(&text(&o.stderr)).is_file());
    assert_eq!(ok(&db, &["check"]), "");
    assert_eq!(
        ok(&db, &["check", "--repair"]),
        "",
        "nothing left to repair"
    );
    assert_eq!(export_all(&db), before, "repair changed no record");
    // a new payment gets a fresh id, not one of the existing ones
    let added = ok(
        &db,
        &[
            "add", "payment", "--party", "Acme New", "--dir", "in", "--amount", "1",
        ],
    );
    assert!(added.contains("added payment"), "{added}");
    assert_eq!(ok(&db, &["check"]), "");
}

#[test]
fn safety_copies_before_imports_and_bulk_deletes_rotate_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    // an empty store has nothing to save: the first import writes no copy
    let file = csv_file(dir.path(), "p0.csv", 3, "FIRST");
    let o = paytrack(&db, &["import", "payments", file.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        !text(&o.stderr).contains("safety copy"),
        "{}",
        text(&o.stderr)
    );
    let mut last = PathBuf::new();
    for round in 0..12 {
        let file = csv_file(
            dir.path(),
            &format!("p{round}.csv"),
            3,
            &format!("R{round}"),
        );
        let o = paytrack(&db, &["import", "payments", file.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        last = safety_path(&text(&o.stderr));
        assert!(last.is_file(), "{last:?}");
        assert_eq!(mode(&last), 0o600);
    }
    let sdir = safety::safety_dir(&db);
    assert_eq!(last.parent(), Some(sdir.as_path()));
    assert_eq!(sdir, dir.path().join("store.safety"));
    assert_eq!(mode(&sdir), 0o700);
    assert_eq!(
        safety::safety_copies(&db).len(),
        safety::KEEP,
        "the last 10 kept"
    );
    assert_eq!(safety::latest_safety_copy(&db), Some(last.clone()));

    // a single delete needs no copy; a delete that takes several records does
    let o = paytrack(&db, &["delete", "payment", "1"]);
    assert!(o.status.success());
    assert!(!text(&o.stderr).contains("safety copy"));
    let before_delete = export_all(&db);
    let o = paytrack(&db, &["delete", "party", "Acme 1", "--force"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let bulk = safety_path(&text(&o.stderr));
    assert!(bulk.to_string_lossy().contains("bulk-delete"), "{bulk:?}");
    assert_ne!(export_all(&db), before_delete);

    // the copy restores into a new store exactly as the store was before the delete
    let other = dir.path().join("other");
    let out = ok(&other, &["restore", bulk.to_str().unwrap()]);
    assert!(out.contains("from the safety copy"), "{out}");
    assert_eq!(export_all(&other), before_delete);
    assert_eq!(ok(&other, &["check"]), "");
    // never over a store that holds data
    let (_, err) = fails(&db, &["restore", bulk.to_str().unwrap()]);
    assert!(err.contains("not empty"), "{err}");
    // a damaged copy is refused and nothing is restored
    let mut bytes = std::fs::read(&bulk).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0x10;
    let bad = dir.path().join("bad.ptsafe");
    std::fs::write(&bad, &bytes).unwrap();
    let third = dir.path().join("third");
    let (_, err) = fails(&third, &["restore", bad.to_str().unwrap()]);
    assert!(err.contains("damaged"), "{err}");
    assert_eq!(ok(&third, &["payments"]).trim(), "no payments");
}

/// Damage to one file of a copy of `good`; the store must then be refused with the
/// recovery advice, or (when sled never needs the damaged bytes) hold all it held.
fn assert_refused_or_intact(
    dir: &Path,
    good: &Path,
    expected: &str,
    what: &str,
    damage: impl Fn(&Path),
) {
    refused_or_intact(dir, good, expected, what, damage, false)
}

/// Like [`assert_refused_or_intact`], for damage that leaves nothing to open: it must be
/// refused.
fn assert_refused(dir: &Path, good: &Path, expected: &str, what: &str, damage: impl Fn(&Path)) {
    refused_or_intact(dir, good, expected, what, damage, true)
}

fn refused_or_intact(
    dir: &Path,
    good: &Path,
    expected: &str,
    what: &str,
    damage: impl Fn(&Path),
    must_refuse: bool,
) {
    let db = dir.join(format!("damaged-{}", what.replace(' ', "-")));
    let _ = std::fs::remove_dir_all(&db);
    copy_dir(good, &db);
    // the safety copies of the good store, beside the damaged one
    copy_dir(&safety::safety_dir(good), &safety::safety_dir(&db));
    damage(&db);
    let o = paytrack(&db, &["export", "payments"]);
    if o.status.success() && !must_refuse {
        println!("{what}: opens, holds everything");
        let now = export_all(&db);
        assert_eq!(
            now, expected,
            "{what}: the store opened but does not hold what it held"
        );
        return;
    }
    let err = text(&o.stderr);
    println!("{what}: refused: {}", err.trim());
    assert_eq!(o.status.code(), Some(1), "{what}: {err}");
    assert!(err.contains("damaged"), "{what}: {err}");
    assert!(err.contains("paytrack check"), "{what}: {err}");
    assert!(err.contains("restore"), "{what}: {err}");
    let latest = safety::latest_safety_copy(&db).unwrap();
    assert!(
        err.contains(&latest.display().to_string()),
        "{what}: the latest safety copy is not named: {err}"
    );
    // refused again: the damage did not turn into an empty store on the way
    let (_, err2) = fails(&db, &["payments"]);
    assert!(err2.contains("damaged"), "{what}, second open: {err2}");
    // check says what is wrong and how to recover
    let (out3, err3) = fails(&db, &["check"]);
    assert!(out3.contains("damaged"), "{what}, check: {out3}{err3}");
    assert!(
        err3.contains("restore") && err3.contains(&latest.display().to_string()),
        "{what}, check: {err3}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn flip(path: &Path, at: u64) {
    let mut b = std::fs::read(path).unwrap();
    if b.is_empty() {
        return;
    }
    let i = (at as usize).min(b.len() - 1);
    b[i] ^= 0xff;
    std::fs::write(path, b).unwrap();
}

fn truncate(path: &Path, len: u64) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_len(len).unwrap();
}

fn snap_files(db: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(db)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("snap.")
        })
        .collect()
}

/// Something done to a store's files.
type Damage = Box<dyn Fn(&Path)>;

/// Damage that deletes every file of a store but those named.
fn keep_only(names: &'static [&'static str]) -> Damage {
    Box::new(move |db: &Path| {
        for e in std::fs::read_dir(db).unwrap() {
            let e = e.unwrap();
            if !names.contains(&e.file_name().to_string_lossy().as_ref()) {
                if e.file_type().unwrap().is_dir() {
                    std::fs::remove_dir_all(e.path()).unwrap();
                } else {
                    std::fs::remove_file(e.path()).unwrap();
                }
            }
        }
    })
}

#[test]
fn damaged_stores_are_refused_never_taken_for_empty_ones() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    seed(&good, 3000);
    // a safety copy to be named in the messages
    let file = csv_file(dir.path(), "more.csv", 5, "MORE");
    ok(&good, &["import", "payments", file.to_str().unwrap()]);
    ok(&good, &["parties"]);
    let expected = export_all(&good);
    let len = std::fs::metadata(good.join("db")).unwrap().len();
    assert!(
        !snap_files(&good).is_empty(),
        "the seeded store has a snapshot"
    );

    let mut cases: Vec<(String, Damage)> = Vec::new();
    cases.push((
        "db removed".into(),
        Box::new(|db| std::fs::remove_file(db.join("db")).unwrap()),
    ));
    for cut in [0, 1, 100, 4096, len / 4, len / 2, len - len / 8, len - 1] {
        cases.push((
            format!("db truncated to {cut}"),
            Box::new(move |db| truncate(&db.join("db"), cut)),
        ));
    }
    for at in [
        0,
        20,
        1000,
        len / 3,
        len / 2,
        len - len / 16,
        len - 100,
        len - 2,
    ] {
        cases.push((
            format!("db byte {at} flipped"),
            Box::new(move |db| flip(&db.join("db"), at)),
        ));
    }
    cases.push((
        "db bytes flipped every 4 KiB".into(),
        Box::new(move |db| {
            let p = db.join("db");
            let mut b = std::fs::read(&p).unwrap();
            for i in (7..b.len()).step_by(4096) {
                b[i] ^= 0x5a;
            }
            std::fs::write(&p, b).unwrap();
        }),
    ));
    cases.push((
        "snapshot truncated".into(),
        Box::new(|db| {
            for s in snap_files(db) {
                truncate(&s, 3);
            }
        }),
    ));
    cases.push((
        "snapshot flipped".into(),
        Box::new(|db| {
            for s in snap_files(db) {
                flip(&s, 10);
            }
        }),
    ));
    cases.push((
        "conf truncated".into(),
        Box::new(|db| truncate(&db.join("conf"), 5)),
    ));
    cases.push((
        "blobs removed".into(),
        Box::new(|db| std::fs::remove_dir_all(db.join("blobs")).unwrap()),
    ));
    for (what, damage) in &cases {
        assert_refused_or_intact(dir.path(), &good, &expected, what, damage);
    }

    // Damage that must be refused: sled's settings file overwritten or cut (sled's own
    // error would talk of old sled versions), and directories whose data files are gone
    // (what is left — `conf`, the marker, an empty directory, safety copies beside it —
    // shows that a store was there).
    let refused: Vec<(&str, Damage)> = vec![
        (
            "conf byte 10 flipped",
            Box::new(|db| flip(&db.join("conf"), 10)),
        ),
        (
            "conf truncated to 60",
            Box::new(|db| truncate(&db.join("conf"), 60)),
        ),
        (
            "conf garbage",
            Box::new(|db| std::fs::write(db.join("conf"), [0xa5; 64]).unwrap()),
        ),
        ("only conf left", keep_only(&["conf"])),
        ("only the marker left", keep_only(&[safety::MARKER])),
        (
            "conf and an empty db left",
            Box::new(|db| {
                keep_only(&["conf", "db"])(db);
                truncate(&db.join("db"), 0);
            }),
        ),
        ("an empty directory", keep_only(&[])),
        (
            "the directory removed",
            Box::new(|db| std::fs::remove_dir_all(db).unwrap()),
        ),
    ];
    for (what, damage) in &refused {
        assert_refused(dir.path(), &good, &expected, what, damage);
    }
    // where nothing is left, the latest safety copy restores in place
    for what in ["an empty directory", "the directory removed"] {
        let db = dir
            .path()
            .join(format!("damaged-{}", what.replace(' ', "-")));
        let latest = safety::latest_safety_copy(&db).unwrap();
        let out = ok(&db, &["restore", latest.to_str().unwrap()]);
        assert!(out.contains("restored"), "{what}: {out}");
        assert_eq!(ok(&db, &["check"]), "", "{what}");
        assert!(
            !db.join(safety::CREATING).exists(),
            "{what}: creation flag left"
        );
    }
    // the untouched store still opens
    assert_eq!(export_all(&good), expected);
}

/// A new store is created under a flag file: the files of a creation cut short (a
/// process killed while sled wrote them, e.g. half a `conf`) are started afresh, while
/// the same files without the flag are those of a store that lost its data.
#[test]
fn a_creation_cut_short_is_a_new_store_not_a_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    ok(&good, &["parties"]);
    assert!(good.join(safety::MARKER).is_file());
    assert!(
        !good.join(safety::CREATING).exists(),
        "flag removed once created"
    );
    let conf = std::fs::read(good.join("conf")).unwrap();
    for (n, cut) in [0, 5, 20, conf.len() - 4, conf.len() - 1, conf.len()]
        .into_iter()
        .enumerate()
    {
        // what a process killed at that point leaves: the flag, `blobs`, part of `conf`,
        // an empty data file
        let db = dir.path().join(format!("cut-{n}"));
        std::fs::create_dir(&db).unwrap();
        std::fs::write(db.join(safety::CREATING), "").unwrap();
        std::fs::create_dir(db.join("blobs")).unwrap();
        std::fs::write(db.join("conf"), &conf[..cut]).unwrap();
        std::fs::write(db.join("db"), "").unwrap();
        assert_eq!(
            ok(&db, &["payments"]).trim(),
            "no payments",
            "conf cut at {cut}"
        );
        assert!(db.join(safety::MARKER).is_file());
        assert!(!db.join(safety::CREATING).exists());
        ok(&db, &["add", "party", "--name", "Acme"]);
        assert!(ok(&db, &["parties"]).contains("Acme"));
        assert_eq!(ok(&db, &["check"]), "");
        // without the flag, the same files are a store that lost its data
        let lost = dir.path().join(format!("lost-{n}"));
        std::fs::create_dir(&lost).unwrap();
        std::fs::create_dir(lost.join("blobs")).unwrap();
        std::fs::write(lost.join("conf"), &conf[..cut]).unwrap();
        std::fs::write(lost.join("db"), "").unwrap();
        let (_, err) = fails(&lost, &["payments"]);
        assert!(
            err.contains("damaged") && err.contains("paytrack check"),
            "{err}"
        );
    }
}

/// A tmpfs mounted for the test, unmounted on drop.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).unwrap();
        let o = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .output();
        match o {
            Ok(o) if o.status.success() => Some(Mount(at.to_path_buf())),
            Ok(o) => {
                println!(
                    "SKIPPED: cannot mount a tmpfs (needs root): {}",
                    text(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                println!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem at `dir` with a file until only about `leave` bytes are free.
fn fill(dir: &Path, name: &str, leave: u64) -> PathBuf {
    // SAFETY: statvfs on a valid NUL-terminated path into a zeroed struct.
    let free = unsafe {
        let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        let mut s: libc::statvfs = std::mem::zeroed();
        assert_eq!(libc::statvfs(c.as_ptr(), &mut s), 0);
        s.f_bavail as u64 * s.f_frsize as u64
    };
    let p = dir.join(name);
    let f = std::fs::File::create(&p).unwrap();
    let size = free.saturating_sub(leave);
    let mut w = std::io::BufWriter::new(f);
    let chunk = vec![0u8; 64 * 1024];
    let mut done = 0;
    while done < size {
        let n = (size - done).min(chunk.len() as u64) as usize;
        if std::io::Write::write_all(&mut w, &chunk[..n]).is_err() {
            break;
        }
        done += n as u64;
    }
    let _ = std::io::Write::flush(&mut w);
    p
}

#[test]
fn a_full_disk_fails_the_import_cleanly_and_the_store_stays_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mount) = Mount::tmpfs(&dir.path().join("small"), "8m") else {
        return;
    };
    let db = mount.0.join("store");
    ok(
        &db,
        &[
            "add", "invoice", "--number", "INV-1", "--party", "Acme 1", "--amount", "100",
        ],
    );
    ok(
        &db,
        &[
            "add",
            "payment",
            "--party",
            "Acme 1",
            "--dir",
            "in",
            "--amount",
            "5",
            "--reference",
            "KEEP",
        ],
    );
    let before = export_all(&db);
    let big = csv_file(dir.path(), "big.csv", 100_000, "BIG");

    // room for the safety copy, not for the import
    let filler = fill(&mount.0, "filler1", 1024 * 1024);
    let (_, err) = fails(&db, &["import", "payments", big.to_str().unwrap()]);
    assert!(err.contains("disk") && err.contains("full"), "{err}");
    assert!(err.contains("nothing was"), "{err}");
    assert!(
        !err.contains("Os {"),
        "no debug output in the message: {err}"
    );
    // no room at all: refused before anything is written
    let filler2 = fill(&mount.0, "filler2", 0);
    let (_, err) = fails(&db, &["import", "payments", big.to_str().unwrap()]);
    assert!(err.contains("full"), "{err}");

    std::fs::remove_file(filler).unwrap();
    std::fs::remove_file(filler2).unwrap();
    assert_eq!(
        export_all(&db),
        before,
        "the store holds exactly what it held"
    );
    assert_eq!(ok(&db, &["check"]), "");
    // and works again once there is room
    let small = csv_file(dir.path(), "small.csv", 10, "AFTER");
    ok(&db, &["import", "payments", small.to_str().unwrap()]);
    assert!(ok(&db, &["payments"]).contains("AFTER-9"));
}

/// Every file and directory under `root` (itself excluded).
fn walk(root: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(root).unwrap() {
        let p = e.unwrap().path();
        out.push(p.clone());
        if p.is_dir() {
            walk(&p, out);
        }
    }
}

#[test]
fn every_file_paytrack_writes_is_private_under_umask_022() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = root.join("data").join("store");
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        format!("{HEADER}2026-11-30,Acme 1,in,2.00,EUR,card,IN-1,,\n"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let o = Command::new("sh")
            .arg("-c")
            .arg("umask 022; exec \"$@\"")
            .arg("sh")
            .arg(BIN)
            .arg("--db")
            .arg(&db)
            .arg("--today")
            .arg(TODAY)
            .args(args)
            .env("XDG_CONFIG_HOME", root.join("config"))
            .env("XDG_DATA_HOME", root.join("xdg-data"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    };
    let f = |name: &str| root.join(name).to_string_lossy().into_owned();
    run(&["demo", "--seed-only", "--payments", "200"]);
    run(&["import", "payments", input.to_str().unwrap()]);
    run(&["backup", &f("backup.ptb")]);
    run(&["export", "payments", "-o", &f("export.csv")]);
    run(&["export", "journal", "-o", &f("journal.ledger")]);
    run(&["remind", "--mbox", &f("reminders.mbox")]);
    run(&["delete", "party", "Acme 1", "--force"]);
    run(&["check", "--repair"]);
    let mut all = Vec::new();
    walk(&root, &mut all);
    let names: Vec<String> = all.iter().map(|p| p.display().to_string()).collect();
    for must in [
        "backup.ptb",
        "export.csv",
        "journal.ledger",
        "reminders.mbox",
        "store.safety",
        "paytrack-store",
    ] {
        assert!(
            names.iter().any(|n| n.contains(must)),
            "{must} not written: {names:#?}"
        );
    }
    for p in &all {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(p), want, "{} is {:o}", p.display(), mode(p));
    }
}

mod broken_rules {
    //! Stores whose records break the rules, built through the store API (which does not
    //! check them, unlike the commands): `check` exits 1 and names each broken record.
    use super::*;
    use paytrack::domain::reminders::FollowUp;
    use paytrack::domain::{
        Allocation, Change, ChangeSet, Currency, Direction, IdSeq, Invoice, InvoiceId, InvoiceKind,
        Method, Party, PartyId, PartyRole, Payment, PaymentId,
    };
    use paytrack::store::Store;
    use time::macros::date;

    fn party(id: u64, name: &str) -> Party {
        Party {
            id: PartyId(id),
            name: name.into(),
            role: PartyRole::Both,
            email: String::new(),
            terms_days: None,
            notes: String::new(),
        }
    }

    fn invoice(id: u64, number: &str, party: u64, kind: InvoiceKind, cur: Currency) -> Invoice {
        Invoice {
            id: InvoiceId(id),
            number: number.into(),
            party: PartyId(party),
            kind,
            issue_date: date!(2026 - 10 - 01),
            due_date: date!(2026 - 10 - 31),
            amount: "100".parse().unwrap(),
            currency: cur,
            notes: String::new(),
            void: false,
        }
    }

    /// Payment `id` of party 1, incoming, 50 EUR, with `allocs` (invoice id, amount).
    fn payment(id: u64, allocs: &[(u64, &str)]) -> Payment {
        Payment {
            id: PaymentId(id),
            party: PartyId(1),
            direction: Direction::In,
            amount: "50".parse().unwrap(),
            currency: Currency::EUR,
            date: date!(2026 - 11 - 02),
            method: Method::BankTransfer,
            reference: format!("REF-{id}"),
            notes: String::new(),
            allocations: allocs
                .iter()
                .map(|(i, a)| Allocation {
                    invoice: InvoiceId(*i),
                    amount: a.parse().unwrap(),
                })
                .collect(),
            source: None,
        }
    }

    /// A sound store: Acme (1) and Beta (2); INV-R (Acme, receivable, EUR), INV-B (Beta),
    /// INV-USD (Acme, USD), INV-P (Acme, payable); one payment of Acme paying INV-R.
    fn sound() -> ChangeSet {
        let mut set = ChangeSet::new();
        set.push(Change::PutParty(party(1, "Acme")));
        set.push(Change::PutParty(party(2, "Beta")));
        for i in [
            invoice(1, "INV-R", 1, InvoiceKind::Receivable, Currency::EUR),
            invoice(2, "INV-B", 2, InvoiceKind::Receivable, Currency::EUR),
            invoice(3, "INV-USD", 1, InvoiceKind::Receivable, Currency::USD),
            invoice(4, "INV-P", 1, InvoiceKind::Payable, Currency::EUR),
        ] {
            set.push(Change::PutInvoice(i));
        }
        set.push(Change::PutPayment(payment(1, &[(1, "50")])));
        set.ids = Some(IdSeq {
            party: 100,
            invoice: 100,
            payment: 100,
        });
        set
    }

    /// A store holding the sound records, then `damage` committed on top of them.
    fn store_with(dir: &Path, name: &str, damage: Vec<Change>) -> PathBuf {
        let db = dir.join(name);
        let store = Store::open(&db).unwrap();
        store.commit(&sound()).unwrap();
        if !damage.is_empty() {
            let mut set = ChangeSet::new();
            set.changes = damage;
            store.commit(&set).unwrap();
        }
        drop(store);
        db
    }

    #[test]
    fn check_names_every_record_that_breaks_a_rule_or_refers_to_something_missing() {
        let dir = tempfile::tempdir().unwrap();
        let base = store_with(dir.path(), "sound", Vec::new());
        assert_eq!(ok(&base, &["check"]), "", "the sound store passes");

        let mut out_payment = payment(13, &[(4, "20")]);
        out_payment.direction = Direction::Out;
        out_payment.allocations[0].invoice = InvoiceId(1);
        let mut homeless = payment(16, &[]);
        homeless.party = PartyId(42);
        let disputed = FollowUp {
            disputed: true,
            ..FollowUp::default()
        };
        let cases: Vec<(&str, Vec<Change>, &str)> = vec![
            (
                "another party's invoice",
                vec![Change::PutPayment(payment(10, &[(2, "10")]))],
                "payment 10: invoice INV-B belongs to another party",
            ),
            (
                "another currency",
                vec![Change::PutPayment(payment(11, &[(3, "10")]))],
                "payment 11: invoice INV-USD is in USD, the payment in EUR",
            ),
            (
                "an incoming payment paying a payable",
                vec![Change::PutPayment(payment(12, &[(4, "10")]))],
                "payment 12: invoice INV-P is payable",
            ),
            (
                "an outgoing payment paying a receivable",
                vec![Change::PutPayment(out_payment)],
                "payment 13: invoice INV-R is receivable",
            ),
            (
                "allocations above the payment",
                vec![Change::PutPayment(payment(14, &[(1, "30"), (1, "30")]))],
                "payment 14: allocations 60 exceed the amount 50",
            ),
            (
                "an allocation to a missing invoice",
                vec![Change::PutPayment(payment(15, &[(777, "10")]))],
                "payment 15 is allocated to missing invoice 777",
            ),
            (
                "a follow-up of a missing invoice",
                vec![Change::PutFollowUp(InvoiceId(999_999), disputed)],
                "the follow-up of invoice 999999 refers to missing invoice 999999",
            ),
            (
                "a payment of a missing party",
                vec![Change::PutPayment(homeless)],
                "payment 16 refers to missing party 42",
            ),
            (
                "an invoice of a missing party",
                vec![Change::PutInvoice(invoice(
                    5,
                    "INV-LOST",
                    43,
                    InvoiceKind::Receivable,
                    Currency::EUR,
                ))],
                "invoice INV-LOST refers to missing party 43",
            ),
            (
                "a deleted party whose records stayed",
                vec![Change::DeleteParty(PartyId(2))],
                "invoice INV-B refers to missing party 2",
            ),
        ];
        for (n, (what, damage, line)) in cases.into_iter().enumerate() {
            let db = store_with(dir.path(), &format!("case-{n}"), damage);
            let (out, err) = fails(&db, &["check"]);
            assert!(
                out.lines().any(|l| l.contains(line)),
                "{what}: no line '{line}' in:\n{out}{err}"
            );
            assert_eq!(
                out.lines().count(),
                1,
                "{what}: only the broken record is reported:\n{out}"
            );
            assert!(err.contains("1 problem(s) found"), "{what}: {err}");
            // --repair cannot derive a fix for a broken rule: it says so and fixes nothing
            let (out, _) = fails(&db, &["check", "--repair"]);
            assert!(
                !out.contains("repaired:") && out.contains(line),
                "{what}: {out}"
            );
        }
    }
}

#[test]
fn deleting_a_party_takes_its_invoices_follow_ups_with_them() {
    use paytrack::domain::reminders::FollowUp;
    use paytrack::domain::{Change, ChangeSet, InvoiceId};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    ok(
        &db,
        &[
            "add", "invoice", "--number", "INV-1", "--party", "Beta", "--amount", "100",
        ],
    );
    {
        let store = paytrack::store::Store::open(&db).unwrap();
        let id = store.invoices().unwrap()[0].id;
        let mut set = ChangeSet::new();
        set.push(Change::PutFollowUp(
            id,
            FollowUp {
                disputed: true,
                ..FollowUp::default()
            },
        ));
        store.commit(&set).unwrap();
        assert_eq!(id, InvoiceId(1));
    }
    assert_eq!(ok(&db, &["check"]), "");
    ok(&db, &["delete", "party", "Beta", "--force"]);
    assert_eq!(ok(&db, &["check"]), "", "no follow-up left behind");
}
