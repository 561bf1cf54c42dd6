//! What the TUI needs from storage, as a trait: the real [`Store`] implements it, the
//! shared session does too, and [`MemoryStore`] lets rendering and key tests run on an
//! in-memory ledger (including "another session" committing at the same time).
//!
//! Several sessions can work on one store. Every commit moves the store to a new
//! [`Generation`]; a session plans its changes against the ledger of the generation it
//! has seen, commits with that generation as the base, and is refused with
//! [`CommitError::Conflict`] when someone else committed in between. What the others
//! commit arrives as [`Committed`] notices from [`Persistence::subscribe`].

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use crate::domain::ledger::Ledger;
use crate::domain::{Change, ChangeSet, IdSeq, Party, Payment, SavedFilter};
use crate::session::{CommitError as SessionCommitError, Session, SessionStatus};
use crate::store::Store;

/// A store's version: it grows by one with every commit, by any session.
pub type Generation = u64;

/// A commit by some session (this one's own included), as a subscriber sees it.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The generation the store reached with this commit.
    pub generation: Generation,
    /// What was committed (empty when `reload` is set).
    pub changes: Arc<ChangeSet>,
    /// Commits before this one could not be delivered: reload the whole ledger instead
    /// of applying `changes` (`generation` is then the store's current one).
    pub reload: bool,
}

/// Why a commit did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Another session committed after `base`: nothing was written. Catch up on the
    /// notices up to `current` and plan again.
    #[error("another session saved first (the store is at generation {current})")]
    Conflict {
        /// The store's generation now.
        current: Generation,
    },
    /// Writing failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Persistence as seen by the TUI. Implementations are shared between the UI thread and
/// the loader thread.
///
/// The required methods are the single-session ones; the generation-aware ones have
/// defaults for stores nobody else writes to (no notices, commits never conflict).
pub trait Persistence: Send + Sync {
    /// Everything, for the full ledger (slow: called off the UI thread).
    fn load(&self) -> anyhow::Result<Ledger>;
    /// The newest `n` payments and all parties, for the first frame (cheap).
    fn preview(&self, n: usize) -> anyhow::Result<(Vec<Party>, Vec<Payment>)>;
    /// The id counters.
    fn ids(&self) -> anyhow::Result<IdSeq>;
    /// Commits a change set atomically whatever others did meanwhile; durable when it
    /// returns `Ok`. The TUI uses [`Persistence::commit_from`].
    fn commit(&self, set: &ChangeSet) -> anyhow::Result<()>;
    /// Saved filters.
    fn saved_filters(&self) -> anyhow::Result<Vec<SavedFilter>>;

    /// Everything, with the generation it reflects.
    fn load_generation(&self) -> anyhow::Result<(Ledger, Generation)> {
        Ok((self.load()?, 0))
    }
    /// Commits `set`, planned against generation `base`, unless another session
    /// committed since; returns the store's new generation.
    fn commit_from(&self, base: Generation, set: &ChangeSet) -> Result<Generation, CommitError> {
        self.commit(set)?;
        Ok(base + 1)
    }
    /// Notices of every commit from now on (this session's own included), or `None`
    /// when nobody else can write to the store.
    fn subscribe(&self) -> Option<Receiver<Committed>> {
        None
    }
    /// A short note for the status bar about sharing (`shared: 2 sessions`), when the
    /// store is shared.
    fn sharing(&self) -> Option<String> {
        None
    }
    /// Writes a safety copy of the store before `reason` (an import): where it went, or
    /// `None` when the store held nothing worth copying (or keeps no files).
    fn safety_copy(&self, _reason: &str) -> anyhow::Result<Option<String>> {
        Ok(None)
    }
    /// What opening the store did that the user must be told, once (a safety copy
    /// written before a schema migration).
    fn take_notes(&self) -> Vec<String> {
        Vec::new()
    }
}

impl Persistence for Store {
    fn safety_copy(&self, reason: &str) -> anyhow::Result<Option<String>> {
        Ok(Store::safety_copy(self, reason)?.map(|c| c.to_string()))
    }
    fn take_notes(&self) -> Vec<String> {
        Store::take_notes(self)
    }
    fn load(&self) -> anyhow::Result<Ledger> {
        Ok(Store::load(self)?)
    }
    fn preview(&self, n: usize) -> anyhow::Result<(Vec<Party>, Vec<Payment>)> {
        Ok((self.parties()?, self.recent_payments(n)?))
    }
    fn ids(&self) -> anyhow::Result<IdSeq> {
        Ok(Store::ids(self)?)
    }
    fn commit(&self, set: &ChangeSet) -> anyhow::Result<()> {
        Ok(Store::commit(self, set)?)
    }
    fn saved_filters(&self) -> anyhow::Result<Vec<SavedFilter>> {
        Ok(Store::saved_filters(self)?)
    }
}

/// An in-memory store: commits apply to its own ledger, so a test can check what
/// "reached the store". It keeps generations and notices like a shared store, and
/// [`MemoryStore::commit_external`] commits as another session would.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    ledger: Ledger,
    ids: IdSeq,
    filters: Vec<SavedFilter>,
    commits: usize,
    fail_next: Option<String>,
    generation: Generation,
    subscribers: Vec<Sender<Committed>>,
    /// While set, notices of external commits wait here until a commit is refused.
    delay: bool,
    delayed: Vec<Committed>,
    /// The reasons of the safety copies asked for, in order.
    safety_copies: Vec<String>,
}

impl MemoryInner {
    fn apply(&mut self, set: &ChangeSet) -> Generation {
        self.ledger.apply(set);
        if let Some(ids) = set.ids {
            self.ids = IdSeq {
                party: self.ids.party.max(ids.party),
                invoice: self.ids.invoice.max(ids.invoice),
                payment: self.ids.payment.max(ids.payment),
            };
        }
        for c in &set.changes {
            match c {
                Change::PutFilter(f) => {
                    self.filters.retain(|x| x.name != f.name);
                    self.filters.push(f.clone());
                }
                Change::DeleteFilter(name) => self.filters.retain(|x| &x.name != name),
                _ => {}
            }
        }
        self.filters.sort_by(|a, b| a.name.cmp(&b.name));
        self.commits += 1;
        self.generation += 1;
        self.generation
    }

    fn notify(&mut self, c: Committed) {
        self.subscribers.retain(|s| s.send(c.clone()).is_ok());
    }

    fn flush_delayed(&mut self) {
        for c in std::mem::take(&mut self.delayed) {
            self.notify(c);
        }
    }
}

impl MemoryStore {
    /// A store holding `ledger` (id counters raised past its records).
    pub fn new(ledger: Ledger) -> MemoryStore {
        let mut ids = IdSeq::default();
        ids.cover(&ledger);
        MemoryStore {
            inner: Mutex::new(MemoryInner {
                ledger,
                ids,
                ..MemoryInner::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the committed ledger.
    pub fn ledger(&self) -> Ledger {
        self.lock().ledger.clone()
    }

    /// The reasons of the safety copies asked for so far (a memory store keeps none).
    pub fn safety_copies(&self) -> Vec<String> {
        self.lock().safety_copies.clone()
    }

    /// How many change sets were committed (by any session).
    pub fn commits(&self) -> usize {
        self.lock().commits
    }

    /// The store's generation (commits so far).
    pub fn generation(&self) -> Generation {
        self.lock().generation
    }

    /// Makes the next commit fail with `message` (to test error paths).
    pub fn fail_next_commit(&self, message: &str) {
        self.lock().fail_next = Some(message.to_string());
    }

    /// Commits `set` as another session would: it applies whatever this session's
    /// generation, and every subscriber is told. Returns the new generation.
    pub fn commit_external(&self, set: ChangeSet) -> Generation {
        let mut g = self.lock();
        let generation = g.apply(&set);
        let notice = Committed {
            generation,
            changes: Arc::new(set),
            reload: false,
        };
        if g.delay {
            g.delayed.push(notice);
        } else {
            g.notify(notice);
        }
        generation
    }

    /// Commits `set` as another session whose notice never arrives (as when a client
    /// reconnects after missing some): the next notice shows a gap.
    pub fn commit_unannounced(&self, set: ChangeSet) -> Generation {
        self.lock().apply(&set)
    }

    /// Tells every subscriber to reload (as the shared store does when notices were lost).
    pub fn announce_reload(&self) {
        let mut g = self.lock();
        let notice = Committed {
            generation: g.generation,
            changes: Arc::new(ChangeSet::new()),
            reload: true,
        };
        g.notify(notice);
    }

    /// Plans a change with `plan` against the store's current ledger and id counters and
    /// commits it as another session (see [`MemoryStore::commit_external`]).
    pub fn external<E: std::fmt::Debug>(
        &self,
        plan: impl FnOnce(&Ledger, &mut IdSeq) -> Result<ChangeSet, E>,
    ) -> Result<Generation, E> {
        let set = {
            let g = self.lock();
            let mut ids = g.ids;
            plan(&g.ledger, &mut ids)?
        };
        Ok(self.commit_external(set))
    }

    /// While `on`, notices of external commits are held back until this session's next
    /// commit is refused (as when they are still on their way when it commits), or
    /// until this is turned off again.
    pub fn delay_notices(&self, on: bool) {
        let mut g = self.lock();
        g.delay = on;
        if !on {
            g.flush_delayed();
        }
    }
}

impl Persistence for MemoryStore {
    fn safety_copy(&self, reason: &str) -> anyhow::Result<Option<String>> {
        let mut g = self.lock();
        g.safety_copies.push(reason.to_string());
        Ok(Some(format!(
            "safety copy {} before {reason}",
            g.safety_copies.len()
        )))
    }
    fn load(&self) -> anyhow::Result<Ledger> {
        Ok(self.ledger())
    }
    fn preview(&self, n: usize) -> anyhow::Result<(Vec<Party>, Vec<Payment>)> {
        let g = self.lock();
        let mut recent: Vec<Payment> = g.ledger.payments().to_vec();
        recent.sort_by_key(|p| std::cmp::Reverse(p.id));
        recent.truncate(n);
        Ok((g.ledger.parties().to_vec(), recent))
    }
    fn ids(&self) -> anyhow::Result<IdSeq> {
        Ok(self.lock().ids)
    }
    fn commit(&self, set: &ChangeSet) -> anyhow::Result<()> {
        let base = self.generation();
        match self.commit_from(base, set) {
            Ok(_) => Ok(()),
            Err(CommitError::Failed(e)) => Err(e),
            Err(e) => Err(e.into()),
        }
    }
    fn saved_filters(&self) -> anyhow::Result<Vec<SavedFilter>> {
        Ok(self.lock().filters.clone())
    }
    fn load_generation(&self) -> anyhow::Result<(Ledger, Generation)> {
        let g = self.lock();
        Ok((g.ledger.clone(), g.generation))
    }
    fn commit_from(&self, base: Generation, set: &ChangeSet) -> Result<Generation, CommitError> {
        let mut g = self.lock();
        if let Some(m) = g.fail_next.take() {
            return Err(CommitError::Failed(anyhow::anyhow!(m)));
        }
        if base != g.generation {
            g.flush_delayed();
            return Err(CommitError::Conflict {
                current: g.generation,
            });
        }
        let generation = g.apply(set);
        g.notify(Committed {
            generation,
            changes: Arc::new(set.clone()),
            reload: false,
        });
        Ok(generation)
    }
    fn subscribe(&self) -> Option<Receiver<Committed>> {
        let (tx, rx) = mpsc::channel();
        self.lock().subscribers.push(tx);
        Some(rx)
    }
}

/// The shared store: the first process owns it and serves the others (see
/// [`crate::session`]); every commit of every session comes back as a notice.
impl Persistence for Session {
    fn safety_copy(&self, reason: &str) -> anyhow::Result<Option<String>> {
        Ok(Session::safety_copy(self, reason)?)
    }
    fn take_notes(&self) -> Vec<String> {
        Session::take_notes(self)
    }
    fn load(&self) -> anyhow::Result<Ledger> {
        Ok(Session::load(self)?.0)
    }
    fn preview(&self, n: usize) -> anyhow::Result<(Vec<Party>, Vec<Payment>)> {
        Ok(Session::preview(self, n)?)
    }
    fn ids(&self) -> anyhow::Result<IdSeq> {
        Ok(Session::ids(self)?)
    }
    fn commit(&self, set: &ChangeSet) -> anyhow::Result<()> {
        // Whatever others committed meanwhile (saved filters before the full load).
        for _ in 0..50 {
            let base = Session::generation(self)?;
            match Session::commit(self, base, set) {
                Ok(_) => return Ok(()),
                Err(SessionCommitError::Conflict { .. }) => continue,
                Err(SessionCommitError::Session(e)) => return Err(e.into()),
            }
        }
        anyhow::bail!("other sessions kept saving first; try again")
    }
    fn saved_filters(&self) -> anyhow::Result<Vec<SavedFilter>> {
        Ok(Session::saved_filters(self)?)
    }
    fn load_generation(&self) -> anyhow::Result<(Ledger, Generation)> {
        let (l, g) = Session::load(self)?;
        Ok((l, g.0))
    }
    fn commit_from(&self, base: Generation, set: &ChangeSet) -> Result<Generation, CommitError> {
        match Session::commit(self, crate::session::Generation(base), set) {
            Ok(g) => Ok(g.0),
            Err(SessionCommitError::Conflict { current, .. }) => {
                Err(CommitError::Conflict { current: current.0 })
            }
            Err(SessionCommitError::Session(e)) => Err(CommitError::Failed(e.into())),
        }
    }
    fn subscribe(&self) -> Option<Receiver<Committed>> {
        let from = Session::subscribe(self);
        let (tx, rx) = mpsc::channel();
        // Forwards until either side goes away.
        std::thread::Builder::new()
            .name("paytrack-notices".into())
            .spawn(move || {
                while let Ok(c) = from.recv() {
                    let notice = Committed {
                        generation: c.generation.0,
                        changes: c.changes,
                        reload: c.reload,
                    };
                    if tx.send(notice).is_err() {
                        return;
                    }
                }
            })
            .ok()?;
        Some(rx)
    }
    fn sharing(&self) -> Option<String> {
        Some(
            match self.status() {
                SessionStatus::Owner => "shared: owner",
                SessionStatus::Client => "shared: client",
                SessionStatus::Lost => "shared: store lost",
            }
            .into(),
        )
    }
}
