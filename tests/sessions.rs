//! Several sessions on one store (issue 9): the real binary while another paytrack
//! process owns the store, writers racing each other, an owner killed with SIGKILL, a
//! client of another user; and the session API itself, in one process.
//!
//! The long-running owner in these tests is `paytrack import payments -`: it opens the
//! store (becoming its owner and serving the others) and then waits for its standard
//! input, which the test holds open.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::cli::{Env, Out};
use paytrack::domain::{Change, ChangeSet, Party, PartyId, PartyRole};
use paytrack::session::{CommitError, Session, SessionConfig, SessionOptions, SOCKET_NAME};

const TODAY: &str = "2026-12-03";
/// How long a test waits for a commit notice before calling it lost (notices are pushed
/// at once; this only bounds a test that would otherwise hang).
const NOTICE_DEADLINE: Duration = Duration::from_secs(10);
const HEADER: &str = "date,party,direction,amount,currency,method,reference,invoice,notes\n";

impl Env {
    fn socket(&self) -> PathBuf {
        self.db().join(SOCKET_NAME)
    }

    /// A few parties, invoices (one overdue with a reminder due) and payments.
    fn seed(&self) {
        self.ok(&["add", "party", "--name", "Acme", "--terms", "14"]);
        self.ok(&["add", "party", "--name", "Globex"]);
        self.ok(&[
            "add",
            "invoice",
            "--number",
            "INV-1",
            "--party",
            "Acme",
            "--amount",
            "100.00",
            "--issue",
            "2026-10-01",
            "--due",
            "2026-10-15",
        ]);
        self.ok(&[
            "add",
            "invoice",
            "--number",
            "INV-2",
            "--party",
            "Globex",
            "--amount",
            "250.00",
            "--issue",
            "2026-11-20",
        ]);
        self.ok(&[
            "add",
            "payment",
            "--party",
            "Globex",
            "--direction",
            "in",
            "--amount",
            "50",
            "--invoice",
            "INV-2",
            "--reference",
            "first",
        ]);
    }

    /// Starts an owner: `import payments -` waiting on its standard input. Returns when
    /// it serves (its socket answers).
    fn owner(&self) -> Owner {
        let before = socket_inode(&self.socket());
        let child = self
            .cmd(&["import", "payments", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while socket_inode(&self.socket()) == before
            || std::os::unix::net::UnixStream::connect(self.socket()).is_err()
        {
            assert!(Instant::now() < deadline, "the owner did not start serving");
            std::thread::sleep(Duration::from_millis(20));
        }
        Owner { child: Some(child) }
    }

    fn references(&self) -> Vec<String> {
        let csv = self.ok(&["export", "payments"]);
        let mut rdr = csv::Reader::from_reader(csv.as_bytes());
        let col = rdr
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "reference")
            .unwrap();
        rdr.records()
            .map(|r| r.unwrap().get(col).unwrap().to_string())
            .collect()
    }
}

fn socket_inode(p: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| m.ino())
}

struct Owner {
    child: Option<Child>,
}

impl Owner {
    fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// Lets it finish: an import of no rows.
    fn finish(mut self) -> Out {
        let mut c = self.child.take().unwrap();
        c.stdin
            .take()
            .unwrap()
            .write_all(HEADER.as_bytes())
            .unwrap();
        Out::from(c.wait_with_output().unwrap())
    }

    fn kill(mut self) {
        let mut c = self.child.take().unwrap();
        c.kill().unwrap(); // SIGKILL
        c.wait().unwrap();
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

const LOOKUPS: &[&[&str]] = &[
    &["payments"],
    &["invoices"],
    &["parties"],
    &["invoices", "--filter", "status:overdue"],
    &["report", "aging"],
    &["remind"],
    &["remind", "--check"],
    &["payments", "--filter", "party:nobody-here"],
    &[
        "add",
        "payment",
        "--party",
        "Acme",
        "--direction",
        "in",
        "--amount",
        "-5",
    ],
    &["delete", "invoice", "INV-404"],
    &["check"],
    &["check", "--repair"],
];

#[test]
fn commands_through_an_owner_answer_exactly_as_direct_and_writes_land() {
    let e = Env::new();
    e.seed();
    let direct: Vec<Out> = LOOKUPS.iter().map(|a| e.run(a)).collect();
    assert_eq!(direct[6].code, 3, "a reminder is due: {:?}", direct[6]);
    assert_ne!(direct[8].code, 0, "a negative amount is refused");
    let mut owner = e.owner();
    for (args, want) in LOOKUPS.iter().zip(&direct) {
        let got = e.run(args);
        assert_eq!(&got, want, "{args:?} through the owner");
    }
    assert!(owner.is_running(), "the owner held the store all along");
    let added = e.ok(&[
        "add",
        "payment",
        "--party",
        "Acme",
        "--direction",
        "in",
        "--amount",
        "100",
        "--invoice",
        "INV-1",
        "--reference",
        "via-owner",
    ]);
    assert!(
        added.starts_with("added payment 2 of 100.00 EUR"),
        "{added}"
    );
    assert!(e.ok(&["payments"]).contains("via-owner"));
    // INV-1 is paid now: no reminder due any more
    assert_eq!(e.run(&["remind", "--check"]).code, 0);
    assert!(owner.is_running());
    let done = owner.finish();
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert!(
        !e.socket().exists(),
        "the owner removes its socket when it leaves"
    );
    assert_eq!(e.references(), ["first", "via-owner"]);
}

#[test]
fn a_store_held_by_a_process_that_does_not_serve_gives_the_lock_error_after_the_wait() {
    let e = Env::new();
    e.seed();
    let held = paytrack::store::Store::open(&e.db()).unwrap();
    let start = Instant::now();
    let o = Out::from(
        e.cmd(&["invoices"])
            .env("PAYTRACK_WAIT_MS", "400")
            .output()
            .unwrap(),
    );
    assert_eq!(o.code, 1, "{o:?}");
    assert!(
        o.stderr.contains("in use by another paytrack process"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains(e.db().to_str().unwrap()), "{}", o.stderr);
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "it waited first"
    );
    drop(held);
    assert_eq!(e.run(&["invoices"]).code, 0);
}

/// Payments each writer adds while an owner serves them: the 1,000 (about 30 s
/// in a debug build on two cores). `PAYTRACK_SESSION_WRITES` changes it.
fn writes_per_writer() -> usize {
    std::env::var("PAYTRACK_SESSION_WRITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// Two writers, each adding `n` payments one `paytrack add payment` at a time, at once.
fn race(e: &Arc<Env>, n: usize, tag: &str) {
    let start = Instant::now();
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let e = e.clone();
            let tag = tag.to_string();
            std::thread::spawn(move || {
                for i in 0..n {
                    let reference = format!("{tag}{w}-{i}");
                    let o = e.run(&[
                        "add",
                        "payment",
                        "--party",
                        "Acme",
                        "--direction",
                        "in",
                        "--amount",
                        "1",
                        "--reference",
                        &reference,
                    ]);
                    assert_eq!(o.code, 0, "{reference}: {}", o.stderr);
                    assert!(o.stdout.starts_with("added payment "), "{}", o.stdout);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    println!("{} payments by 2 writers in {:?}", 2 * n, start.elapsed());
}

fn assert_each_once(e: &Env, n: usize) {
    let mut refs = e.references();
    assert_eq!(refs.len(), n, "every payment is there");
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), n, "none twice");
    let counts = paytrack::store::Store::open(&e.db())
        .unwrap()
        .counts()
        .unwrap();
    assert_eq!(counts.payments, n as u64);
}

#[test]
fn two_writers_adding_concurrently_through_an_owner_land_every_payment_exactly_once() {
    let e = Arc::new(Env::new());
    e.ok(&["add", "party", "--name", "Acme"]);
    let owner = e.owner();
    let n = writes_per_writer();
    race(&e, n, "w");
    assert_eq!(owner.finish().code, 0);
    assert_each_once(&e, 2 * n);
}

/// Without a long-running owner every `add` may become the owner or a client, and
/// ownership changes hands all the time: each owner opens and closes sled (about 50 ms),
/// so this race is shorter (150 each, about 30 s in a debug build on two cores).
#[test]
fn two_writers_adding_concurrently_while_ownership_moves_land_every_payment_exactly_once() {
    let e = Arc::new(Env::new());
    e.ok(&["add", "party", "--name", "Acme"]);
    let n = (writes_per_writer() * 3 / 20).max(1);
    race(&e, n, "m");
    assert_each_once(&e, 2 * n);
}

#[test]
fn killing_the_owner_loses_nothing_a_client_reported_saved() {
    let e = Arc::new(Env::new());
    e.seed();
    let owner = e.owner();
    // A client already connected (it loaded through the owner) and waiting to commit.
    let mut waiting = e
        .cmd(&["import", "payments", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (e, stop) = (e.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut saved = Vec::new();
            let mut failed = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) || i < 20 {
                let reference = format!("k{i}");
                let o = e.run(&[
                    "add",
                    "payment",
                    "--party",
                    "Acme",
                    "--direction",
                    "in",
                    "--amount",
                    "2",
                    "--reference",
                    &reference,
                ]);
                if o.code == 0 {
                    saved.push(reference);
                } else {
                    failed.push(o.stderr);
                }
                i += 1;
            }
            (saved, failed)
        })
    };
    std::thread::sleep(Duration::from_millis(700));
    assert!(e.socket().exists());
    owner.kill();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (saved, failed) = writer.join().unwrap();
    assert!(failed.is_empty(), "every add recovered: {failed:?}");
    // The waiting client commits after its owner died.
    let mut stdin = waiting.stdin.take().unwrap();
    writeln!(
        stdin,
        "{HEADER}{TODAY},Acme,in,7.00,EUR,cash,from-waiting,,"
    )
    .unwrap();
    drop(stdin);
    let w = Out::from(waiting.wait_with_output().unwrap());
    assert_eq!(w.code, 0, "{}", w.stderr);
    assert!(w.stdout.contains("imported 1 payments"), "{}", w.stdout);
    let refs = e.references();
    for r in saved.iter().chain(["from-waiting".to_string()].iter()) {
        assert_eq!(
            refs.iter().filter(|x| *x == r).count(),
            1,
            "{r} reported saved must be there once: {refs:?}"
        );
    }
    assert_eq!(refs.len(), saved.len() + 2, "nothing else: {refs:?}");
}

#[test]
fn an_owner_whose_socket_file_is_gone_still_finishes_and_lets_go_of_the_store() {
    // Its store directory cleaned up under it, or its socket file removed by hand: the
    // owner used to wait for ever to wake its accept loop through the missing file.
    let e = Env::new();
    e.seed();
    let mut owner = e.owner();
    std::fs::remove_file(e.socket()).unwrap();
    let mut c = owner.child.take().unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(HEADER.as_bytes())
        .unwrap();
    // a liveness bound, not a timing: the import of no rows ends in well under a second
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = c.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            c.kill().unwrap();
            panic!("the owner did not exit after its socket file was removed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    // and the store is free for the next process
    assert!(e.ok(&["payments"]).contains("first"));
}

#[test]
fn a_stale_socket_from_a_killed_owner_is_replaced_by_the_next_start() {
    let e = Env::new();
    e.seed();
    let owner = e.owner();
    owner.kill();
    assert!(e.socket().exists(), "SIGKILL leaves the socket file behind");
    // a stale socket is not waited on: with a wait of two minutes for a busy store, the
    // command answers long before that
    let start = Instant::now();
    let out = e
        .cmd(&["payments"])
        .env("PAYTRACK_WAIT_MS", "120000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("first"));
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "it waited on the stale socket"
    );
    // and the next owner serves on a fresh socket
    let owner = e.owner();
    assert!(e.ok(&["invoices"]).contains("INV-2"));
    assert_eq!(owner.finish().code, 0);
}

/// Opens the store dir to everyone so another user's connect reaches the uid check
/// (the socket itself is made reachable by the caller).
fn open_up(e: &Env) {
    for d in [e.root.clone(), e.db()] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
}

fn as_user(e: &Env, uid: u32, gid: u32, args: &[&str]) -> Out {
    let bin = assert_cmd::cargo::cargo_bin("paytrack");
    let o = Command::new("setpriv")
        .arg(format!("--reuid={uid}"))
        .arg(format!("--regid={gid}"))
        .arg("--clear-groups")
        .arg(bin)
        .arg("--db")
        .arg(e.db())
        .arg("--today")
        .arg(TODAY)
        .args(args)
        .env("HOME", "/nonexistent")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("PAYTRACK_WAIT_MS", "500")
        .env_remove("PAYTRACK_DB")
        .output()
        .unwrap();
    Out::from(o)
}

#[test]
fn a_client_of_another_user_is_refused() {
    if !common::users::can_switch_users("a client as another user") {
        return;
    }
    let e = Env::new();
    e.seed();
    let mut owner = e.owner();
    let mode = std::fs::metadata(e.socket()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the socket is private");
    open_up(&e);
    std::fs::set_permissions(e.socket(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let o = as_user(&e, 65534, 65534, &["payments"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    assert!(o.stderr.contains("refused this connection"), "{}", o.stderr);
    assert!(o.stderr.contains("user id 65534"), "{}", o.stderr);
    assert!(o.stderr.contains("share_with_group"), "{}", o.stderr);
    assert!(owner.is_running(), "the owner goes on serving its own user");
    assert!(e.ok(&["payments"]).contains("first"));
}

#[test]
fn sharing_with_the_group_is_opt_in_and_checks_the_group() {
    if !common::users::can_switch_users("a client as another user") {
        return;
    }
    let e = Env::new();
    e.seed();
    std::fs::write(
        e.root.join("config/paytrack/config.toml"),
        "[store]\nshare_with_group = true\n",
    )
    .unwrap();
    let _owner = e.owner();
    let mode = std::fs::metadata(e.socket()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o660, "shared with the group");
    open_up(&e);
    // the store directory's group (root's, 0) is let in...
    let o = as_user(&e, 65534, 0, &["payments"]);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stdout.contains("first"), "{}", o.stdout);
    // ...another group is not
    std::fs::set_permissions(e.socket(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let o = as_user(&e, 65534, 65534, &["payments"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(
        o.stderr.contains("shared with group 0 (root) only"),
        "{}",
        o.stderr
    );
}

// The session API in one process: the first session owns the store, the second is its
// client over the socket.

fn options() -> SessionOptions {
    SessionOptions {
        wait: Duration::from_secs(10),
        config: SessionConfig::default(),
    }
}

fn party(id: u64, name: &str) -> ChangeSet {
    let mut set = ChangeSet::new();
    set.push(Change::PutParty(Party {
        id: PartyId(id),
        name: name.into(),
        role: PartyRole::Customer,
        email: String::new(),
        terms_days: None,
        notes: String::new(),
    }));
    set
}

#[test]
fn commits_are_pushed_to_every_subscriber_and_stale_bases_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    let owner = Session::open_with(&db, options()).unwrap();
    let client = Session::open_with(&db, options()).unwrap();
    assert!(owner.is_owner());
    assert!(!client.is_owner());
    let to_owner = owner.subscribe();
    let to_client = client.subscribe();
    let (_, g0) = client.load().unwrap();
    let g1 = client.commit(g0, &party(1, "Acme")).unwrap();
    assert_eq!(g1.0, g0.0 + 1);
    for rx in [&to_owner, &to_client] {
        let c = rx.recv_timeout(NOTICE_DEADLINE).expect("announced");
        assert_eq!(c.generation, g1);
        assert!(!c.reload);
        assert_eq!(*c.changes, party(1, "Acme"));
    }
    // the owner's ledger and the client's agree
    let (lo, go) = owner.load().unwrap();
    let (lc, gc) = client.load().unwrap();
    assert_eq!((go, gc), (g1, g1));
    assert_eq!(lo.parties(), lc.parties());
    // a commit on the old base is refused, nothing written
    match owner.commit(g0, &party(2, "Globex")) {
        Err(CommitError::Conflict { base, current }) => {
            assert_eq!((base, current), (g0, g1));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(client.counts().unwrap().parties, 1);
    let g2 = owner.commit(g1, &party(2, "Globex")).unwrap();
    let c = to_client.recv_timeout(NOTICE_DEADLINE).unwrap();
    assert_eq!(c.generation, g2);
    assert_eq!(client.generation().unwrap(), g2);
    let (parties, _) = client.preview(10).unwrap();
    assert_eq!(parties.len(), 2);
}

#[test]
fn when_the_owner_leaves_a_client_takes_over_without_losing_its_subscription() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    let owner = Session::open_with(&db, options()).unwrap();
    let client = Session::open_with(&db, options()).unwrap();
    let rx = client.subscribe();
    let g1 = client
        .commit(client.generation().unwrap(), &party(1, "Acme"))
        .unwrap();
    assert_eq!(rx.recv_timeout(NOTICE_DEADLINE).unwrap().generation, g1);
    drop(owner);
    // the client reconnects by the same rules and, nobody else being there, owns the store
    let g2 = client.commit(g1, &party(2, "Globex")).unwrap();
    assert!(client.is_owner());
    assert_eq!(rx.recv_timeout(NOTICE_DEADLINE).unwrap().generation, g2);
    let (l, g) = client.load().unwrap();
    assert_eq!(g, g2);
    assert_eq!(l.parties().len(), 2);
    // and serves the next session
    let third = Session::open_with(&db, options()).unwrap();
    assert!(!third.is_owner());
    assert_eq!(third.counts().unwrap().parties, 2);
}

#[test]
fn a_commit_sent_again_with_the_same_transaction_id_is_not_applied_twice() {
    use paytrack::store::{Applied, Generation, Store, TxId};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.generation().unwrap(), Generation(0));
    let tx = TxId::new();
    let first = store
        .commit_checked(&party(1, "Acme"), Some(Generation(0)), Some(tx))
        .unwrap();
    assert_eq!(first, Applied::Committed(Generation(1)));
    // the retry after a lost reply: recognised, nothing written again
    let again = store
        .commit_checked(&party(1, "Acme"), Some(Generation(0)), Some(tx))
        .unwrap();
    assert_eq!(again, Applied::AlreadyApplied(Generation(1)));
    // another change on the old base is refused
    let stale = store
        .commit_checked(&party(2, "Globex"), Some(Generation(0)), Some(TxId::new()))
        .unwrap();
    assert_eq!(
        stale,
        Applied::Conflict {
            current: Generation(1)
        }
    );
    assert_eq!(store.counts().unwrap().parties, 1);
    // plain commits raise the generation too, and it survives a reopen
    store.commit(&party(2, "Globex")).unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.generation().unwrap(), Generation(2));
    let again = store
        .commit_checked(&party(1, "Acme"), Some(Generation(2)), Some(tx))
        .unwrap();
    assert_eq!(
        again,
        Applied::AlreadyApplied(Generation(1)),
        "remembered on disk"
    );
}

/// Sorted lines of every export: the same records whatever order they were written in.
fn contents(e: &Env) -> Vec<String> {
    let mut lines: Vec<String> = ["parties", "invoices", "payments"]
        .iter()
        .flat_map(|what| {
            e.ok(&["export", what])
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    lines.sort();
    lines
}

/// `n` payments in paytrack's own layout, references `{tag}-{i}`, parties of their own.
fn own_payments(e: &Env, tag: &str, n: usize) -> PathBuf {
    let mut csv = String::from(HEADER);
    for i in 0..n {
        csv.push_str(&format!(
            "2026-11-{:02},{tag} Party {},in,{}.50,EUR,bank_transfer,{tag}-{i},,\n",
            1 + i % 28,
            i % 7,
            10 + i
        ));
    }
    let p = e.root.join(format!("{tag}.csv"));
    std::fs::write(&p, csv).unwrap();
    p
}

#[test]
fn imports_from_two_sessions_at_once_give_what_one_after_the_other_gives() {
    let statement = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/import/camt053.xml"
    );
    let imports = |e: &Env| -> Vec<Vec<String>> {
        let a = own_payments(e, "alpha", 300);
        let b = own_payments(e, "beta", 300);
        vec![
            vec!["import".into(), "payments".into(), a.display().to_string()],
            vec!["import".into(), "payments".into(), b.display().to_string()],
            vec!["import".into(), "statement".into(), statement.into()],
            vec!["import".into(), "statement".into(), statement.into()],
        ]
    };
    // one after the other
    let seq = Env::new();
    seq.seed();
    for args in imports(&seq) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        seq.ok(&args);
    }
    // all four at once, through an owner
    let e = Arc::new(Env::new());
    e.seed();
    let owner = e.owner();
    let runs: Vec<_> = imports(&e)
        .into_iter()
        .map(|args| {
            let e = e.clone();
            std::thread::spawn(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                e.run(&args)
            })
        })
        .collect();
    for r in runs {
        let o = r.join().unwrap();
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(o.stdout.starts_with("imported "), "{}", o.stdout);
    }
    assert_eq!(owner.finish().code, 0);
    assert_eq!(
        contents(&e),
        contents(&seq),
        "the same records as one import after the other (the statement once)"
    );
    assert_eq!(e.run(&["check"]).code, 0);
}

#[test]
fn matching_runs_from_two_sessions_at_once_give_what_one_after_the_other_gives() {
    let demo = |e: &Env| {
        e.ok(&["demo", "--seed-only", "--payments", "2000"]);
    };
    let seq = Env::new();
    demo(&seq);
    let first = seq.ok(&["match", "--apply"]);
    seq.ok(&["match", "--apply"]);
    assert_ne!(
        contents(&seq),
        {
            let fresh = Env::new();
            demo(&fresh);
            contents(&fresh)
        },
        "the demo data has payments to match: {first}"
    );
    let e = Arc::new(Env::new());
    demo(&e);
    let owner = e.owner();
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let e = e.clone();
            std::thread::spawn(move || e.run(&["match", "--apply"]))
        })
        .collect();
    for r in runs {
        let o = r.join().unwrap();
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    assert_eq!(owner.finish().code, 0);
    assert_eq!(contents(&e), contents(&seq));
    assert_eq!(e.run(&["check"]).code, 0);
}
