//! Several sessions on one store.
//!
//! sled lets one process open a store. The first paytrack process that opens a store
//! *owns* it: it holds sled's lock and serves every later paytrack process on the same
//! store over a Unix socket `<store dir>/paytrack.sock` (mode 0600, peer uid checked;
//! shared with the store directory's group only when the user's `config.toml` says
//! `[store] share_with_group = true`: the socket is then 0660 in that group, a peer any of
//! whose groups is it is served, the store's files are created for the group — see
//! [`crate::store::access`] — and a store of another user may be owned). Every process —
//! a CLI command or the TUI — opens through [`Session::open`]:
//!
//! 1. connect to the socket: this process is a *client* of the owner;
//! 2. else open the store: this process is the *owner* and starts serving (a stale socket
//!    file left by a killed owner is replaced: we hold the lock, so nobody serves it);
//! 3. when the store is locked but nobody answers yet (an owner starting or leaving),
//!    try again (every 50 ms at most) for up to 10 s (`PAYTRACK_WAIT_MS`), then fail with
//!    [`StoreError::Locked`].
//!
//! Clients run exactly the same command code as the owner: [`Session::load`] streams the
//! owner's raw stored values and decodes them with the store's own decoders
//! ([`crate::store::load_from`]); commits are sent to the owner, which serialises them in
//! its hub: a commit made on a base generation that is no longer current is refused with
//! [`CommitError::Conflict`], and the caller reloads and recomputes. Every commit is
//! announced to every session's [`Session::subscribe`] receivers.
//!
//! When the owner leaves, it stops accepting, finishes requests in flight and releases the
//! lock; its clients reconnect by the same rules (one of them becomes the owner). When an
//! owner is killed, its clients see the connection close and do the same; a commit whose
//! reply was lost is sent again with the same [`TxId`], which the store recognises
//! ([`crate::store::Applied::AlreadyApplied`]), so it is never applied twice.

mod client;
pub mod config;
mod hub;
mod peer;
mod server;
pub mod wire;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::ledger::Ledger;
use crate::domain::reminders::{FollowUps, ReminderSettings};
use crate::domain::{ChangeSet, IdSeq, Party, Payment, SavedFilter};
use crate::store::{Counts, FileAccess, Store, StoreError};
pub use crate::store::{Generation, TxId};

pub use config::SessionConfig;

/// File name of the socket inside the store directory.
pub const SOCKET_NAME: &str = "paytrack.sock";

/// Environment variable: how long (milliseconds) to wait for a store that is locked but
/// not served yet before failing with [`StoreError::Locked`].
pub const WAIT_ENV: &str = "PAYTRACK_WAIT_MS";

/// Default of [`WAIT_ENV`].
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// Longest pause between two tries while waiting for a store; the first pauses are
/// shorter (an owner that is leaving usually lets go within a few milliseconds).
const RETRY_EVERY: Duration = Duration::from_millis(50);
/// First pause between two tries.
const FIRST_RETRY: Duration = Duration::from_millis(2);

/// One commit, as announced to subscribers.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The generation this commit made (the one before it is `generation - 1`).
    pub generation: Generation,
    /// What it changed (empty when `reload` is set).
    pub changes: Arc<ChangeSet>,
    /// Commits before this one could not be delivered (this session reconnected after
    /// the owner's buffer of recent commits moved on, or a new owner took over): the
    /// receiver must reload instead of applying `changes`. `generation` is then the
    /// store's current generation.
    pub reload: bool,
}

/// Errors from a session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The store itself failed (locked after the wait, damaged, I/O...).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The owner refused this process (another user, or a group not allowed).
    #[error("the paytrack process serving the store at {path} refused this connection: {reason}")]
    Refused {
        /// Store directory.
        path: PathBuf,
        /// Why, as the owner said it.
        reason: String,
    },
    /// The socket exists but this process may not connect to it (permission denied).
    #[error("the store at {path} is open in a paytrack process of another user, whose socket this user may not connect to: the store is not shared with a group this user is in")]
    Permission {
        /// Store directory.
        path: PathBuf,
    },
    /// Nobody serves the store, and its directory belongs to another user who has not
    /// shared it: owning it would make its new files this user's own.
    #[error("the store at {path} belongs to user id {uid}: paytrack opens another user's store only when this user shares stores with their group (`[store] share_with_group = true` in config.toml) and is in the store directory's group")]
    NotShared {
        /// Store directory.
        path: PathBuf,
        /// The directory's owner.
        uid: u32,
    },
    /// The store belongs to another user and this user may not read or write its files.
    #[error("cannot open the store at {path}, which belongs to user id {uid}: some of its files are not readable and writable by this user; a store shared with a group needs every file in the store directory's group and group-writable (`chgrp -R GROUP STORE; chmod -R g+rwX STORE`)")]
    NoAccess {
        /// Store directory.
        path: PathBuf,
        /// The directory's owner.
        uid: u32,
    },
    /// The owner answered something this paytrack does not understand.
    #[error("the paytrack process serving the store at {path} does not speak this version's protocol: {detail}")]
    Protocol {
        /// Store directory.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// An error the owner reported for a request (its message, as the owner printed it).
    #[error("{message}")]
    Remote {
        /// The owner's message.
        message: String,
    },
    /// The operation needs the store itself, and another process owns it.
    #[error("the store at {path} is open in another paytrack process; close it and try again")]
    NotOwner {
        /// Store directory.
        path: PathBuf,
    },
    /// The sharing config does not parse.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The owner went away and no new owner could be reached in time.
    #[error("lost the paytrack process serving the store at {path} and none took over within {waited:?}")]
    Lost {
        /// Store directory.
        path: PathBuf,
        /// How long this process waited.
        waited: Duration,
    },
}

/// Why a commit was not made.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Another session committed since `base`: reload, recompute and commit again.
    #[error("another session changed the store while this change was prepared (it was based on generation {base}, the store is at {current}); nothing was saved")]
    Conflict {
        /// The generation the change set was computed on.
        base: Generation,
        /// The store's current generation.
        current: Generation,
    },
    /// Anything else: nothing was saved.
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl From<StoreError> for CommitError {
    fn from(e: StoreError) -> Self {
        CommitError::Session(SessionError::Store(e))
    }
}

/// A session's part in sharing its store (see [`Session::status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStatus {
    /// This process owns the store and serves the others.
    Owner,
    /// Another process owns it and serves this one.
    Client,
    /// The owner went away and no new owner (this process or another) took over yet.
    Lost,
}

/// How a session opens: the wait for a busy store and the sharing config.
#[derive(Clone, Debug)]
pub struct SessionOptions {
    /// How long to wait for a store that is locked but not served yet.
    pub wait: Duration,
    /// Sharing settings (from `config.toml`).
    pub config: SessionConfig,
}

impl SessionOptions {
    /// The wait from [`WAIT_ENV`] (else [`DEFAULT_WAIT`]) and the config from
    /// `config.toml` in [`crate::cli::config_dir`] (defaults when it is missing).
    pub fn from_env() -> Result<SessionOptions, SessionError> {
        let wait = std::env::var(WAIT_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_WAIT, Duration::from_millis);
        let config = SessionConfig::load(crate::cli::config_dir().as_deref())?;
        Ok(SessionOptions { wait, config })
    }
}

/// The session's local subscribers; the hub or the client's subscription thread feeds it.
#[derive(Default)]
pub(crate) struct Subscribers {
    senders: Mutex<Vec<Sender<Committed>>>,
    /// The newest generation announced to them.
    seen: AtomicU64,
}

impl Subscribers {
    /// Announces `c` to every receiver still alive; false when there are none (yet).
    pub(crate) fn deliver(&self, c: &Committed) {
        self.seen.fetch_max(c.generation.0, Ordering::SeqCst);
        let mut s = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        s.retain(|tx| tx.send(c.clone()).is_ok());
    }

    pub(crate) fn seen(&self) -> Generation {
        Generation(self.seen.load(Ordering::SeqCst))
    }

    fn any(&self) -> bool {
        !self
            .senders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }
}

/// Where this session's requests go.
enum Backend {
    /// This process holds the store and serves the others.
    Owner(hub::Owner),
    /// Another process holds it.
    Client(client::Client),
}

/// One process's access to a store: as its owner or as a client of the owner. Share it
/// between threads as `Arc<Session>`; every method may be called from any thread.
pub struct Session {
    inner: Arc<Inner>,
}

/// The state behind a [`Session`]; client subscription threads hold it weakly.
pub(crate) struct Inner {
    path: PathBuf,
    opts: SessionOptions,
    backend: Mutex<Arc<Backend>>,
    /// Raised on each switch of backend, so that two threads that saw the same failure
    /// reconnect once.
    epoch: AtomicU64,
    subscribers: Arc<Subscribers>,
    /// See [`Session::take_notes`].
    notes: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("path", &self.inner.path)
            .field("owner", &self.is_owner())
            .finish()
    }
}

impl Session {
    /// Opens the store in `db` as its owner or as a client of the process that owns it,
    /// with [`SessionOptions::from_env`].
    pub fn open(db: &Path) -> Result<Session, SessionError> {
        Session::open_with(db, SessionOptions::from_env()?)
    }

    /// Opens the store in `db` with explicit options.
    pub fn open_with(db: &Path, opts: SessionOptions) -> Result<Session, SessionError> {
        let subscribers = Arc::new(Subscribers::default());
        let backend = connect_or_own(db, &opts, &subscribers)?;
        let start = match &backend {
            Backend::Owner(o) => o.hub.generation(),
            Backend::Client(c) => c.hello_generation(),
        };
        subscribers.seen.store(start.0, Ordering::SeqCst);
        let notes = match &backend {
            Backend::Owner(o) => o.hub.with_store(Store::take_notes).unwrap_or_default(),
            Backend::Client(_) => Vec::new(),
        };
        Ok(Session {
            inner: Arc::new(Inner {
                path: db.to_path_buf(),
                opts,
                backend: Mutex::new(Arc::new(backend)),
                epoch: AtomicU64::new(0),
                subscribers,
                notes: Mutex::new(notes),
            }),
        })
    }

    /// What opening the store did that the user must be told, once (where the safety
    /// copy written before a schema migration went; see [`Store::take_notes`]).
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.inner.notes.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The store directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Whether this process owns the store (holds sled's lock and serves the others).
    pub fn is_owner(&self) -> bool {
        matches!(**self.inner.lock_backend(), Backend::Owner(_))
    }

    /// This session's part: owner, client, or a client whose owner went away and that has
    /// not reached a new one yet (known to sessions that [`Session::subscribe`]d).
    pub fn status(&self) -> SessionStatus {
        match &**self.inner.lock_backend() {
            Backend::Owner(_) => SessionStatus::Owner,
            Backend::Client(c) if c.is_lost() => SessionStatus::Lost,
            Backend::Client(_) => SessionStatus::Client,
        }
    }

    /// The store's current generation (at the owner).
    pub fn generation(&self) -> Result<Generation, SessionError> {
        self.inner.with_backend(|b| match b {
            Backend::Owner(o) => Ok(o.hub.generation()),
            Backend::Client(c) => c.generation(),
        })
    }

    /// Loads everything into a ledger, with the generation it reflects. Slow on a large
    /// store: call it off the UI thread.
    pub fn load(&self) -> Result<(Ledger, Generation), SessionError> {
        self.inner.with_backend(|b| match b {
            Backend::Owner(o) => o.hub.load().map_err(client::Failure::Fatal),
            Backend::Client(c) => c.load(),
        })
    }

    /// The newest `n` payments (newest first) and every party: the first frame.
    pub fn preview(&self, n: usize) -> Result<(Vec<Party>, Vec<Payment>), SessionError> {
        self.inner.read(|src| {
            Ok((
                crate::store::read_parties(src)?,
                crate::store::read_recent_payments(src, n)?,
            ))
        })
    }

    /// The id counters.
    pub fn ids(&self) -> Result<IdSeq, SessionError> {
        self.inner.read(|src| crate::store::read_ids(src))
    }

    /// Record counts (cheap).
    pub fn counts(&self) -> Result<Counts, SessionError> {
        self.inner.read(|src| crate::store::read_counts(src))
    }

    /// Whether the store holds no parties, invoices or payments.
    pub fn is_empty(&self) -> Result<bool, SessionError> {
        Ok(self.counts()? == Counts::default())
    }

    /// Every saved filter.
    pub fn saved_filters(&self) -> Result<Vec<SavedFilter>, SessionError> {
        self.inner.read(|src| crate::store::read_saved_filters(src))
    }

    /// Every invoice's follow-up state.
    pub fn follow_ups(&self) -> Result<FollowUps, SessionError> {
        self.inner.read(|src| crate::store::read_follow_ups(src))
    }

    /// The reminder settings.
    pub fn reminder_settings(&self) -> Result<ReminderSettings, SessionError> {
        self.inner
            .read(|src| crate::store::read_reminder_settings(src))
    }

    /// Writes a safety copy of the store before `reason` (see
    /// [`Store::safety_copy`]): here as the owner, else by the owner. Returns the
    /// description of the copy, or `None` when the store held nothing to copy.
    pub fn safety_copy(&self, reason: &str) -> Result<Option<String>, SessionError> {
        self.inner.with_backend(|b| match b {
            Backend::Owner(o) => o
                .hub
                .with_store(|s| s.safety_copy(reason))
                .map_err(|_| client::Failure::Disconnected)?
                .map(|c| c.map(|c| c.to_string()))
                .map_err(|e| {
                    client::Failure::Fatal(SessionError::Remote {
                        message: e.to_string(),
                    })
                }),
            Backend::Client(c) => c.safety_copy(reason),
        })
    }

    /// Runs `paytrack check` (with `repair`, `--repair`) on the store: here as the owner,
    /// with commits held off while it runs, else by the owner.
    pub fn check(&self, repair: bool) -> Result<crate::check::CheckReport, SessionError> {
        self.inner.with_backend(|b| match b {
            Backend::Owner(o) => o
                .hub
                .with_store_exclusive(|s| crate::check::check_store(s, repair))
                .map_err(|_| client::Failure::Disconnected)?
                .map_err(|e| {
                    client::Failure::Fatal(SessionError::Remote {
                        message: format!("{e:#}"),
                    })
                }),
            Backend::Client(c) => c.check(repair),
        })
    }

    /// Runs `f` on the store itself, which only the owning process has: a client gets
    /// [`SessionError::NotOwner`]. For operations that work on the store's files (a
    /// safety copy's restore); `f` should not commit (other sessions would not hear of it).
    pub fn with_store<T>(&self, f: impl FnOnce(&Store) -> T) -> Result<T, SessionError> {
        let b = self.inner.lock_backend().clone();
        match &*b {
            Backend::Owner(o) => o.hub.with_store(f).map_err(|_| SessionError::NotOwner {
                path: self.inner.path.clone(),
            }),
            Backend::Client(_) => Err(SessionError::NotOwner {
                path: self.inner.path.clone(),
            }),
        }
    }

    /// Commits `set`, computed on a ledger at generation `base`: refused with
    /// [`CommitError::Conflict`] when another session committed since. Durable when it
    /// returns the new generation. An empty set changes nothing and returns the current
    /// generation (still refused on a stale base).
    ///
    /// When the owner goes away before answering, the commit is sent again (same
    /// transaction id) to whoever owns the store next: it lands exactly once.
    pub fn commit(&self, base: Generation, set: &ChangeSet) -> Result<Generation, CommitError> {
        let tx = TxId::new();
        let mut conflict = None;
        let res = self.inner.with_backend(|b| {
            let r = match b {
                Backend::Owner(o) => o.hub.commit(base, set, tx).map_err(client::Failure::Fatal),
                Backend::Client(c) => c.commit(base, set, tx),
            };
            match r {
                Ok(crate::store::Applied::Conflict { current }) => {
                    conflict = Some(current);
                    Ok(current)
                }
                Ok(crate::store::Applied::Committed(g))
                | Ok(crate::store::Applied::AlreadyApplied(g)) => Ok(g),
                Err(e) => Err(e),
            }
        })?;
        match conflict {
            Some(current) => Err(CommitError::Conflict { base, current }),
            None => Ok(res),
        }
    }

    /// A receiver of every commit made through the owner by any session (this one
    /// included: compare with the generation [`Session::commit`] returned), from now on,
    /// delivered well within a second. Subscribe *before* loading, then skip commits at
    /// or below the loaded generation; reload when [`Committed::reload`] is set or a
    /// generation is skipped.
    pub fn subscribe(&self) -> Receiver<Committed> {
        let (tx, rx) = std::sync::mpsc::channel();
        let first = {
            let mut s = self
                .inner
                .subscribers
                .senders
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            s.push(tx);
            s.len() == 1
        };
        if first {
            let b = self.inner.lock_backend();
            if let Backend::Client(c) = &**b {
                let epoch = self.inner.epoch.load(Ordering::SeqCst);
                c.start_subscription(
                    self.inner.subscribers.clone(),
                    Arc::downgrade(&self.inner),
                    epoch,
                );
            }
        }
        rx
    }
}

impl Inner {
    fn lock_backend(&self) -> std::sync::MutexGuard<'_, Arc<Backend>> {
        self.backend.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` against the current backend; when the owner went away, reconnects by the
    /// rules of [`Session::open`] (this process may become the owner) and runs it again.
    fn with_backend<T>(
        self: &Arc<Self>,
        mut f: impl FnMut(&Backend) -> Result<T, client::Failure>,
    ) -> Result<T, SessionError> {
        let start = Instant::now();
        loop {
            let epoch = self.epoch.load(Ordering::SeqCst);
            let b = self.lock_backend().clone();
            let res = f(&b);
            drop(b);
            match res {
                Ok(v) => return Ok(v),
                Err(client::Failure::Fatal(e)) => return Err(e),
                Err(client::Failure::Disconnected) => {
                    if start.elapsed() > self.opts.wait {
                        return Err(SessionError::Lost {
                            path: self.path.clone(),
                            waited: start.elapsed(),
                        });
                    }
                    self.reconnect(epoch)?;
                }
            }
        }
    }

    /// Runs a small read against the store (owner) or the owner's raw values (client),
    /// decoding with the same store readers either way.
    fn read<T>(
        self: &Arc<Self>,
        f: impl Fn(&dyn crate::store::ValueSource) -> Result<T, StoreError>,
    ) -> Result<T, SessionError> {
        self.with_backend(|b| match b {
            Backend::Owner(o) => o.hub.read(&f).map_err(client::Failure::Fatal),
            Backend::Client(c) => c.read(&f),
        })
    }

    /// Replaces a backend that failed (unless another thread already did since `epoch`).
    pub(crate) fn reconnect(self: &Arc<Self>, epoch: u64) -> Result<(), SessionError> {
        self.reconnect_inner(epoch, Some(Arc::downgrade(self)))
    }

    fn reconnect_inner(
        &self,
        epoch: u64,
        weak: Option<std::sync::Weak<Inner>>,
    ) -> Result<(), SessionError> {
        let mut b = self.lock_backend();
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return Ok(());
        }
        // The old client is shut down only once there is a new backend: until then its
        // subscription thread keeps trying (and the session reports the store lost).
        let new = connect_or_own(&self.path, &self.opts, &self.subscribers)?;
        if let Backend::Client(c) = &**b {
            c.shutdown();
        }
        let new_epoch = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        // A new owner's hub has already told the subscribers what they missed.
        if let (Backend::Client(c), Some(w)) = (&new, weak) {
            if self.subscribers.any() {
                c.start_subscription(self.subscribers.clone(), w, new_epoch);
            }
        }
        *b = Arc::new(new);
        Ok(())
    }
}

/// The owner of the store directory `db` when it exists and is not this user.
fn another_users_store(db: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(db)
        .ok()
        .map(|m| m.uid())
        .filter(|&uid| uid != peer::my_uid())
}

/// Steps 1–3 of [`Session::open`].
fn connect_or_own(
    db: &Path,
    opts: &SessionOptions,
    subscribers: &Arc<Subscribers>,
) -> Result<Backend, SessionError> {
    let socket = db.join(SOCKET_NAME);
    let deadline = Instant::now() + opts.wait;
    let mut pause = FIRST_RETRY;
    loop {
        match client::Client::connect(db, &socket) {
            Ok(c) => return Ok(Backend::Client(c)),
            Err(client::Failure::Fatal(e)) => return Err(e),
            Err(client::Failure::Disconnected) => {}
        }
        let owner_uid = another_users_store(db);
        if let (Some(uid), false) = (owner_uid, opts.config.share_with_group) {
            // Not for this user to own; but an owner may be starting on its socket.
            if !socket.exists() || Instant::now() >= deadline {
                return Err(SessionError::NotShared {
                    path: db.to_path_buf(),
                    uid,
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(RETRY_EVERY);
            continue;
        }
        let access = if opts.config.share_with_group {
            FileAccess::Group
        } else {
            FileAccess::Private
        };
        match Store::open_with(db, access) {
            Ok(store) => {
                return Ok(Backend::Owner(hub::Owner::start(
                    store,
                    &socket,
                    &opts.config,
                    subscribers.clone(),
                )?))
            }
            Err(StoreError::Locked { path }) => {
                if Instant::now() >= deadline {
                    return Err(StoreError::Locked { path }.into());
                }
            }
            Err(StoreError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                return Err(match owner_uid {
                    Some(uid) => SessionError::NoAccess {
                        path: db.to_path_buf(),
                        uid,
                    },
                    None => StoreError::Io {
                        path: db.to_path_buf(),
                        source,
                    }
                    .into(),
                })
            }
            Err(e) => return Err(e.into()),
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(RETRY_EVERY);
    }
}
