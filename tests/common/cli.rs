//! The command line as a user runs it: the real binary on a store in a temporary
//! directory, with today fixed and the user's environment kept out.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

/// What a run printed and how it ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Out {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<std::process::Output> for Out {
    fn from(o: std::process::Output) -> Out {
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// A temporary directory holding the store (`store/`), the config dir (`config/`, also
/// `$HOME`) and whatever files a test writes.
pub struct Env {
    _dir: tempfile::TempDir,
    /// The directory.
    pub root: PathBuf,
    /// The date passed as `--today`.
    pub today: &'static str,
}

impl Env {
    /// A fresh directory; today is [`super::tmux::TODAY`].
    pub fn new() -> Env {
        Env::on(super::tmux::TODAY)
    }

    /// A fresh directory with `today` as the date.
    pub fn on(today: &'static str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("config/paytrack")).unwrap();
        Env {
            _dir: dir,
            root,
            today,
        }
    }

    /// The store directory.
    pub fn db(&self) -> PathBuf {
        self.root.join("store")
    }

    /// A path in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Writes a file in the directory.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `paytrack --db DB --today TODAY ARGS`, with no PAYTRACK_* settings of the user's.
    pub fn cmd_on(&self, db: &Path, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("paytrack").unwrap();
        c.arg("--db")
            .arg(db)
            .arg("--today")
            .arg(self.today)
            .args(args);
        c.env_remove("PAYTRACK_DB")
            .env_remove("PAYTRACK_TODAY")
            .env_remove("PAYTRACK_FROM")
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .env("HOME", &self.root);
        c
    }

    /// [`Env::cmd_on`] the store.
    pub fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_on(&self.db(), args)
    }

    /// Runs on `db`.
    pub fn run_on(&self, db: &Path, args: &[&str]) -> Out {
        self.cmd_on(db, args).output().unwrap().into()
    }

    /// Runs on the store.
    pub fn run(&self, args: &[&str]) -> Out {
        self.run_on(&self.db(), args)
    }

    /// Runs and insists on success, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(o.code, 0, "{args:?} failed: {}", o.stderr);
        o.stdout
    }

    /// Every export of the store at `db` (parties, invoices, payments), one after another.
    pub fn export_all_on(&self, db: &Path) -> String {
        let mut all = String::new();
        for what in ["parties", "invoices", "payments"] {
            let o = self.run_on(db, &["export", what]);
            assert_eq!(o.code, 0, "{}", o.stderr);
            all.push_str(&o.stdout);
        }
        all
    }

    /// Every export of the store.
    pub fn export_all(&self) -> String {
        self.export_all_on(&self.db())
    }
}
