//! What the TUI needs from storage, as a trait: the real [`Store`] implements it, and
//! [`MemoryStore`] lets rendering and key tests run on an in-memory ledger.

use std::sync::Mutex;

use crate::domain::ledger::Ledger;
use crate::domain::{Change, ChangeSet, IdSeq, Party, Payment, SavedFilter};
use crate::store::Store;

/// Persistence as seen by the TUI. Implementations are shared between the UI thread and
/// the loader thread.
pub trait Persistence: Send + Sync {
    /// Everything, for the full ledger (slow: called off the UI thread).
    fn load(&self) -> anyhow::Result<Ledger>;
    /// The newest `n` payments and all parties, for the first frame (cheap).
    fn preview(&self, n: usize) -> anyhow::Result<(Vec<Party>, Vec<Payment>)>;
    /// The id counters.
    fn ids(&self) -> anyhow::Result<IdSeq>;
    /// Commits a change set atomically; durable when it returns `Ok`.
    fn commit(&self, set: &ChangeSet) -> anyhow::Result<()>;
    /// Saved filters.
    fn saved_filters(&self) -> anyhow::Result<Vec<SavedFilter>>;
}

impl Persistence for Store {
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
/// "reached the store".
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

    /// How many change sets were committed.
    pub fn commits(&self) -> usize {
        self.lock().commits
    }

    /// Makes the next commit fail with `message` (to test error paths).
    pub fn fail_next_commit(&self, message: &str) {
        self.lock().fail_next = Some(message.to_string());
    }
}

impl Persistence for MemoryStore {
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
        let mut g = self.lock();
        if let Some(m) = g.fail_next.take() {
            anyhow::bail!(m);
        }
        g.ledger.apply(set);
        if let Some(ids) = set.ids {
            g.ids = ids;
        }
        for c in &set.changes {
            match c {
                Change::PutFilter(f) => {
                    g.filters.retain(|x| x.name != f.name);
                    g.filters.push(f.clone());
                }
                Change::DeleteFilter(name) => g.filters.retain(|x| &x.name != name),
                _ => {}
            }
        }
        g.filters.sort_by(|a, b| a.name.cmp(&b.name));
        g.commits += 1;
        Ok(())
    }
    fn saved_filters(&self) -> anyhow::Result<Vec<SavedFilter>> {
        Ok(self.lock().filters.clone())
    }
}
