//! Sharing a store with a group (issue 9), with real users: the store directory's group
//! is nobody's primary group, and the users are in it through supplementary groups only.
//!
//! - alice (uid 61000, group 61000, also in 61001) owns the store; the directory's group
//!   is the team's, 61001;
//! - bob (uid 65534 `nobody`, group 65534, also in 61001) shares it;
//! - carol (uid 61002, group 61002, also in 61003) is not in the team.
//!
//! Each runs the real binary under `setpriv`. Needs root and setpriv (as in CI); skipped
//! with a message otherwise.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::cli::Out;
use common::tmux::{have_tmux, Tmux, BIN, TODAY};

/// The team's group.
const TEAM: u32 = 61001;

#[derive(Clone, Copy, Debug)]
struct User {
    name: &'static str,
    uid: u32,
    gid: u32,
    groups: &'static [u32],
}

const ALICE: User = User {
    name: "alice",
    uid: 61000,
    gid: 61000,
    groups: &[TEAM],
};
const BOB: User = User {
    name: "bob",
    uid: 65534,
    gid: 65534,
    groups: &[TEAM],
};
const CAROL: User = User {
    name: "carol",
    uid: 61002,
    gid: 61002,
    groups: &[61003],
};

const HEADER: &str = "date,party,direction,amount,currency,method,reference,invoice,notes\n";

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown(p: &Path, uid: Option<u32>, gid: Option<u32>) {
    std::os::unix::fs::chown(p, uid, gid).unwrap();
}

/// A directory the users can reach: `bin/paytrack` (a copy when the build's own binary
/// is out of their reach), `home-NAME/` of each user, two config directories (sharing
/// on, sharing off) and `shared/`, world-writable like /tmp, where the store is.
struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    bin: PathBuf,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        chmod(&root, 0o755);
        let bin = if setpriv_as(BOB)
            .args(["test", "-x", BIN])
            .status()
            .is_ok_and(|s| s.success())
        {
            PathBuf::from(BIN)
        } else {
            let b = root.join("bin/paytrack");
            std::fs::create_dir_all(b.parent().unwrap()).unwrap();
            std::fs::copy(BIN, &b).unwrap();
            chmod(&b, 0o755);
            b
        };
        for (name, text) in [
            ("config-sharing", "[store]\nshare_with_group = true\n"),
            ("config-private", ""),
        ] {
            let d = root.join(name).join("paytrack");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("config.toml"), text).unwrap();
            chmod(&root.join(name), 0o755);
            chmod(&d, 0o755);
            chmod(&d.join("config.toml"), 0o644);
        }
        for u in [ALICE, BOB, CAROL] {
            let h = root.join(format!("home-{}", u.name));
            std::fs::create_dir_all(&h).unwrap();
            chown(&h, Some(u.uid), Some(u.gid));
        }
        let shared = root.join("shared");
        std::fs::create_dir(&shared).unwrap();
        chmod(&shared, 0o1777);
        World {
            _dir: dir,
            root,
            bin,
        }
    }

    fn db(&self) -> PathBuf {
        self.root.join("shared/store")
    }

    fn socket(&self) -> PathBuf {
        self.db().join(paytrack::session::SOCKET_NAME)
    }

    /// The environment of `u`, with sharing on or off in its config.
    fn env(&self, u: User, sharing: bool) -> Vec<(String, String)> {
        let home = self.root.join(format!("home-{}", u.name));
        let config = self.root.join(if sharing {
            "config-sharing"
        } else {
            "config-private"
        });
        vec![
            ("HOME".into(), home.display().to_string()),
            ("XDG_CONFIG_HOME".into(), config.display().to_string()),
            (
                "XDG_DATA_HOME".into(),
                home.join("data").display().to_string(),
            ),
            (
                "XDG_STATE_HOME".into(),
                home.join("state").display().to_string(),
            ),
            ("PAYTRACK_WAIT_MS".into(), "10000".into()),
        ]
    }

    /// `paytrack --db STORE --today TODAY ARGS` as `u`.
    fn cmd(&self, u: User, sharing: bool, args: &[&str]) -> Command {
        let mut c = setpriv_as(u);
        c.arg(&self.bin)
            .arg("--db")
            .arg(self.db())
            .args(["--today", TODAY])
            .args(args)
            .current_dir(&self.root)
            .env_remove("PAYTRACK_DB")
            .env_remove("PAYTRACK_TODAY")
            .env_remove("PAYTRACK_FROM")
            .envs(self.env(u, sharing));
        c
    }

    fn run(&self, u: User, sharing: bool, args: &[&str]) -> Out {
        self.cmd(u, sharing, args).output().unwrap().into()
    }

    fn ok(&self, u: User, args: &[&str]) -> String {
        let o = self.run(u, true, args);
        assert_eq!(o.code, 0, "{} {args:?}: {}", u.name, o.stderr);
        o.stdout
    }

    /// A file in the world that every user can read.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.root.join(name);
        std::fs::write(&p, text).unwrap();
        chmod(&p, 0o644);
        p
    }

    /// A payment to import: one row with `reference`.
    fn payment_file(&self, reference: &str) -> PathBuf {
        self.file(
            &format!("{reference}.csv"),
            &format!("{HEADER}2026-11-30,Acme,in,10.00,EUR,cash,{reference},,\n"),
        )
    }

    /// alice creates the store, and the team's group is given the directory (what the
    /// README asks of the users: `chgrp TEAM STORE; chmod g+rwxs STORE`; the files in it
    /// are left to paytrack, which gives its user's files to the group when sharing).
    fn store_of_alice(&self, alice_shares: bool) {
        let o = self.run(ALICE, alice_shares, &["add", "party", "--name", "Acme"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let db = self.db();
        assert_eq!(std::fs::metadata(&db).unwrap().uid(), ALICE.uid);
        chown(&db, None, Some(TEAM));
        chmod(&db, 0o2770);
    }

    /// Starts `u`'s owner: `import payments -` waiting on its standard input; returns
    /// when it serves.
    fn owner(&self, u: User, sharing: bool) -> Owner {
        let before = inode(&self.socket());
        let child = self
            .cmd(u, sharing, &["import", "payments", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while inode(&self.socket()) == before
            || std::os::unix::net::UnixStream::connect(self.socket()).is_err()
        {
            assert!(
                Instant::now() < deadline,
                "{}'s owner did not serve",
                u.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Owner { child: Some(child) }
    }

    /// Every file and directory of the store and of its safety copies.
    fn store_files(&self) -> Vec<(PathBuf, std::fs::Metadata)> {
        let mut out = Vec::new();
        let copies = self.root.join("shared/store.safety");
        let mut todo = vec![self.db(), copies];
        while let Some(d) = todo.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            out.push((d.clone(), std::fs::metadata(&d).unwrap()));
            for e in rd.flatten() {
                let m = e.metadata().unwrap();
                if m.is_dir() {
                    todo.push(e.path());
                } else {
                    out.push((e.path(), m));
                }
            }
        }
        out
    }
}

impl World {
    /// `u`'s TUI on the store, in a shell in tmux.
    fn tui(&self, u: User, sharing: bool, name: &str) -> Tmux {
        let t = Tmux::start(name, "env PS1='ptsh$ ' sh");
        t.wait_for("ptsh$");
        let mut line = String::from("setpriv");
        for a in setpriv_as(u).get_args() {
            line.push_str(&format!(" {}", a.to_string_lossy()));
        }
        line.push_str(" env");
        for (k, v) in self.env(u, sharing) {
            line.push_str(&format!(" {k}={v}"));
        }
        line.push_str(&format!(
            " {} --db {} --today {TODAY}",
            self.bin.display(),
            self.db().display()
        ));
        t.text(&line);
        t.keys(&["Enter"]);
        t
    }
}

fn setpriv_as(u: User) -> Command {
    let mut c = Command::new("setpriv");
    c.arg(format!("--reuid={}", u.uid))
        .arg(format!("--regid={}", u.gid));
    if u.groups.is_empty() {
        c.arg("--clear-groups");
    } else {
        let g: Vec<String> = u.groups.iter().map(u32::to_string).collect();
        c.arg(format!("--groups={}", g.join(",")));
    }
    c
}

fn inode(p: &Path) -> Option<u64> {
    std::fs::metadata(p).ok().map(|m| m.ino())
}

struct Owner {
    child: Option<Child>,
}

impl Owner {
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
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The one-sentence message of a user whose connect to the socket is refused by its
/// permissions.
const NOT_YOURS: &str = "whose socket this user may not connect to";

#[test]
fn a_member_of_the_directory_s_group_by_a_supplementary_group_is_served_and_others_are_not() {
    if !common::users::can_switch_users("paytrack as other users") {
        return;
    }
    let w = World::new();
    w.store_of_alice(true);
    let owner = w.owner(ALICE, true);
    // the socket is the directory's group's, not alice's own group's
    let m = std::fs::metadata(w.socket()).unwrap();
    assert_eq!((m.gid(), m.permissions().mode() & 0o777), (TEAM, 0o660));
    // bob: primary group 65534, in the team by a supplementary group only
    let out = w.ok(BOB, &["parties"]);
    assert!(out.contains("Acme"), "{out}");
    w.ok(
        BOB,
        &[
            "add",
            "payment",
            "--party",
            "Acme",
            "--direction",
            "in",
            "--amount",
            "5",
            "--reference",
            "from-bob",
        ],
    );
    // carol is not in the team: the socket does not let her in...
    let o = w.run(CAROL, true, &["payments"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains(NOT_YOURS), "{}", o.stderr);
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
    assert!(!o.stderr.contains("os error"), "{}", o.stderr);
    // ...and when the directory and the socket do, the owner refuses her, naming the group
    chmod(&w.db(), 0o2777);
    chmod(&w.socket(), 0o666);
    let o = w.run(CAROL, true, &["payments"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains("refused this connection"), "{}", o.stderr);
    assert!(
        o.stderr.contains("shared with group 61001") && o.stderr.contains("61003"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.is_empty());
    chmod(&w.db(), 0o2770);
    let o = owner.finish();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(w.ok(ALICE, &["payments"]).contains("from-bob"));
}

#[test]
fn without_share_with_group_a_member_of_the_group_who_is_another_user_is_refused() {
    if !common::users::can_switch_users("paytrack as other users") {
        return;
    }
    let w = World::new();
    w.store_of_alice(false);
    let owner = w.owner(ALICE, false);
    let m = std::fs::metadata(w.socket()).unwrap();
    assert_eq!(m.permissions().mode() & 0o777, 0o600);
    let o = w.run(BOB, true, &["payments"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains(NOT_YOURS), "{}", o.stderr);
    chmod(&w.socket(), 0o666);
    let o = w.run(BOB, true, &["payments"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stderr.contains("refused this connection"), "{}", o.stderr);
    assert!(o.stderr.contains("share_with_group"), "{}", o.stderr);
    assert_eq!(owner.finish().code, 0);
    // Nobody serves now. bob, sharing, cannot open alice's private files...
    let o = w.run(BOB, true, &["payments"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(
        o.stderr.contains("belongs to user id 61000") && o.stderr.contains("chgrp -R"),
        "{}",
        o.stderr
    );
    // ...and without sharing in his config he does not try to own another user's store
    let o = w.run(BOB, false, &["payments"]);
    assert_eq!(o.code, 1, "{o:?}");
    assert!(
        o.stderr.contains("belongs to user id 61000") && o.stderr.contains("share_with_group"),
        "{}",
        o.stderr
    );
    // alice's store is as she left it
    assert!(w.run(ALICE, false, &["parties"]).stdout.contains("Acme"));
}

#[test]
fn ownership_passes_between_users_of_the_group_and_back() {
    if !common::users::can_switch_users("paytrack as other users")
        || !have_tmux("the hand-over between users")
    {
        return;
    }
    let w = World::new();
    w.store_of_alice(true);
    // a safety copy of alice's (the directory of copies is made for the group)
    let file = w.payment_file("alice-import");
    w.ok(ALICE, &["import", "payments", file.to_str().unwrap()]);
    let alice = w.owner(ALICE, true);

    // bob's TUI starts as alice's client
    let t = w.tui(BOB, true, "handover");
    let s = t.wait("bob's TUI as a client", 60, |s| {
        s.contains("[shared: client]") && s.contains("alice-import")
    });
    assert!(s.contains("Acme"), "{s}");

    // alice quits: bob's TUI takes the store over
    let o = alice.finish();
    assert_eq!(o.code, 0, "{}", o.stderr);
    t.wait("bob's TUI as the owner", 60, |s| {
        s.contains("[shared: owner]")
    });

    // alice is now bob's client: her commands answer, her writes reach his screen
    assert!(w.ok(ALICE, &["payments"]).contains("alice-import"));
    w.ok(
        ALICE,
        &[
            "add",
            "payment",
            "--party",
            "Acme",
            "--direction",
            "in",
            "--amount",
            "3",
            "--reference",
            "alice-via-bob",
        ],
    );
    t.wait_for("alice-via-bob");
    // an import through bob: bob's process writes the safety copy
    let file = w.payment_file("import-via-bob");
    let o = w.run(ALICE, true, &["import", "payments", file.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    t.wait_for("import-via-bob");
    let copy = w
        .store_files()
        .into_iter()
        .find(|(p, m)| m.uid() == BOB.uid && p.extension().is_some_and(|e| e == "ptsafe"))
        .map(|(p, _)| p)
        .unwrap_or_else(|| panic!("no safety copy of bob's: {:?}", w.store_files()));

    t.keys(&["q"]);
    t.wait("the shell after bob's TUI", 30, |s| {
        s.lines().filter(|l| l.starts_with("ptsh$")).count() >= 2
    });
    drop(t);

    // Every file is the team's and group-readable and -writable, whoever made it.
    for (p, m) in w.store_files() {
        if p.ends_with(paytrack::session::SOCKET_NAME) {
            continue;
        }
        assert_eq!(
            m.gid(),
            TEAM,
            "{} belongs to group {}",
            p.display(),
            m.gid()
        );
        let want = if m.is_dir() { 0o2070 } else { 0o060 };
        assert_eq!(
            m.permissions().mode() & want,
            want,
            "{} has mode {:o}",
            p.display(),
            m.permissions().mode()
        );
    }

    // alice owns again what bob's process wrote; so does bob after her
    let out = w.ok(ALICE, &["payments"]);
    assert!(
        out.contains("alice-via-bob") && out.contains("import-via-bob"),
        "{out}"
    );
    assert_eq!(w.run(ALICE, true, &["check"]).code, 0);
    w.ok(
        BOB,
        &[
            "add",
            "payment",
            "--party",
            "Acme",
            "--direction",
            "in",
            "--amount",
            "1",
            "--reference",
            "bob-alone",
        ],
    );
    assert!(w.ok(ALICE, &["payments"]).contains("bob-alone"));
    // and alice can restore bob's safety copy
    let restored = w.root.join(format!("home-{}/restored", ALICE.name));
    let o = setpriv_as(ALICE)
        .arg(&w.bin)
        .arg("--db")
        .arg(&restored)
        .args(["--today", TODAY, "restore"])
        .arg(&copy)
        .envs(w.env(ALICE, true))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_tui_whose_owner_left_says_so_until_an_owner_is_back() {
    if !common::users::can_switch_users("paytrack as other users")
        || !have_tmux("the TUI of a lost store")
    {
        return;
    }
    let w = World::new();
    w.store_of_alice(true);
    let alice = w.owner(ALICE, true);
    // bob does not share in his own config: he may be alice's client, not the owner
    let t = w.tui(BOB, false, "lost");
    t.wait("bob's TUI as a client", 60, |s| {
        s.contains("[shared: client]") && s.contains(" 0 payments")
    });
    assert_eq!(alice.finish().code, 0);
    t.wait("bob's TUI without an owner", 60, |s| {
        s.contains("[shared: store lost]")
    });
    // alice is back: bob's TUI is her client again and hears of her writes
    let alice = w.owner(ALICE, true);
    t.wait("bob's TUI as a client again", 60, |s| {
        s.contains("[shared: client]")
    });
    w.ok(
        ALICE,
        &[
            "add",
            "payment",
            "--party",
            "Acme",
            "--direction",
            "in",
            "--amount",
            "2",
            "--reference",
            "while-bob-waits",
        ],
    );
    t.wait_for("while-bob-waits");
    t.keys(&["q"]);
    t.wait("the shell after bob's TUI", 30, |s| {
        s.lines().filter(|l| l.starts_with("ptsh$")).count() >= 2
    });
    assert_eq!(alice.finish().code, 0);
}
