//! The owner's side: the store, the commit hub and the server that shares them.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use super::{config::SessionConfig, server, Committed, SessionError, Subscribers};
use crate::domain::ledger::Ledger;
use crate::domain::ChangeSet;
use crate::store::{Applied, Generation, Store, StoreError, TxId, ValueSource};

/// Committed change sets kept for subscribers that reconnect.
const RECENT_SETS: usize = 4096;
/// ... holding at most this many changes in all; a larger commit is announced as a reload.
const RECENT_CHANGES: usize = 200_000;

/// Something that wants to hear about commits.
pub(crate) trait Sink: Send + Sync {
    /// Hands over one commit; false when the sink is gone and can be dropped.
    fn deliver(&self, c: &Committed) -> bool;
}

impl Sink for Subscribers {
    fn deliver(&self, c: &Committed) -> bool {
        Subscribers::deliver(self, c);
        true
    }
}

impl Sink for std::sync::mpsc::Sender<Committed> {
    fn deliver(&self, c: &Committed) -> bool {
        self.send(c.clone()).is_ok()
    }
}

struct State {
    generation: Generation,
    recent: VecDeque<Committed>,
    recent_changes: usize,
    sinks: Vec<Arc<dyn Sink>>,
}

/// The store of an owning process, with commits serialised and announced.
///
/// Loads and reads take the store's read lock, commits its write lock, so a load never
/// sees half of a commit. Closing takes the write lock (waiting for requests in flight)
/// and drops the store, which releases sled's lock.
pub(crate) struct Hub {
    store: RwLock<Option<Store>>,
    state: Mutex<State>,
}

/// The hub was closed: the owner is leaving.
#[derive(Debug)]
pub(crate) struct Closed;

impl Hub {
    fn new(store: Store) -> Result<Hub, StoreError> {
        let generation = store.generation()?;
        Ok(Hub {
            store: RwLock::new(Some(store)),
            state: Mutex::new(State {
                generation,
                recent: VecDeque::new(),
                recent_changes: 0,
                sinks: Vec::new(),
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The generation of the last commit.
    pub(crate) fn generation(&self) -> Generation {
        self.state().generation
    }

    /// Runs `f` on the store under the read lock.
    pub(crate) fn with_store<T>(&self, f: impl FnOnce(&Store) -> T) -> Result<T, Closed> {
        let g = self.store.read().unwrap_or_else(|e| e.into_inner());
        match g.as_ref() {
            Some(s) => Ok(f(s)),
            None => Err(Closed),
        }
    }

    /// Runs `f` on the store with every commit held off (a repair rewrites counters from
    /// what it read, so nothing may land in between).
    pub(crate) fn with_store_exclusive<T>(&self, f: impl FnOnce(&Store) -> T) -> Result<T, Closed> {
        let g = self.store.write().unwrap_or_else(|e| e.into_inner());
        match g.as_ref() {
            Some(s) => Ok(f(s)),
            None => Err(Closed),
        }
    }

    /// Loads the ledger with the generation it reflects.
    pub(crate) fn load(&self) -> Result<(Ledger, Generation), SessionError> {
        self.with_store(|s| -> Result<_, SessionError> {
            let g = s.generation()?;
            Ok((s.load()?, g))
        })
        .unwrap_or_else(|Closed| Err(closed()))
    }

    /// Runs a small read on the store.
    pub(crate) fn read<T>(
        &self,
        f: &dyn Fn(&dyn ValueSource) -> Result<T, StoreError>,
    ) -> Result<T, SessionError> {
        self.with_store(|s| f(s).map_err(SessionError::from))
            .unwrap_or_else(|Closed| Err(closed()))
    }

    /// Commits `set` on `base` (see [`Store::commit_checked`]) and announces it.
    pub(crate) fn commit(
        &self,
        base: Generation,
        set: &ChangeSet,
        tx: TxId,
    ) -> Result<Applied, SessionError> {
        self.commit_then(base, set, tx, |_| ()).map(|(a, ())| a)
    }

    /// Like [`Hub::commit`], running `then` with the outcome while the commit lock is
    /// still held (the server writes its reply there, so a closing owner sends it).
    pub(crate) fn commit_then<T>(
        &self,
        base: Generation,
        set: &ChangeSet,
        tx: TxId,
        then: impl FnOnce(&Result<Applied, SessionError>) -> T,
    ) -> Result<(Applied, T), SessionError> {
        let g = self.store.write().unwrap_or_else(|e| e.into_inner());
        let Some(store) = g.as_ref() else {
            return Err(closed());
        };
        let res = store
            .commit_checked(set, Some(base), Some(tx))
            .map_err(SessionError::from);
        if let Ok(Applied::Committed(new)) = res {
            if new != base {
                self.announce(new, set);
            }
        }
        let t = then(&res);
        drop(g);
        res.map(|a| (a, t))
    }

    fn announce(&self, generation: Generation, set: &ChangeSet) {
        let mut st = self.state();
        st.generation = generation;
        let big = set.changes.len() > RECENT_CHANGES;
        let c = Committed {
            generation,
            changes: Arc::new(if big { ChangeSet::new() } else { set.clone() }),
            reload: big,
        };
        if big {
            st.recent.clear();
            st.recent_changes = 0;
        } else {
            st.recent_changes += set.changes.len();
            st.recent.push_back(c.clone());
            while st.recent.len() > RECENT_SETS || st.recent_changes > RECENT_CHANGES {
                if let Some(old) = st.recent.pop_front() {
                    st.recent_changes -= old.changes.changes.len();
                }
            }
        }
        st.sinks.retain(|s| s.deliver(&c));
    }

    /// Registers `sink` for every commit after generation `from`: the commits it missed
    /// are handed over first when they are still buffered, else a reload.
    pub(crate) fn subscribe(&self, sink: Arc<dyn Sink>, from: Generation) {
        let mut st = self.state();
        if from < st.generation {
            let first = st.recent.front().map(|c| c.generation.0);
            if first.is_some_and(|f| f <= from.0 + 1) {
                for c in st.recent.iter().filter(|c| c.generation > from) {
                    sink.deliver(c);
                }
            } else {
                sink.deliver(&Committed {
                    generation: st.generation,
                    changes: Arc::new(ChangeSet::new()),
                    reload: true,
                });
            }
        }
        st.sinks.push(sink);
    }

    /// Waits for requests in flight and drops the store (releasing sled's lock).
    pub(crate) fn close(&self) {
        let store = self.store.write().unwrap_or_else(|e| e.into_inner()).take();
        drop(store);
        self.state().sinks.clear();
    }
}

fn closed() -> SessionError {
    SessionError::Remote {
        message: "the store is being closed".into(),
    }
}

/// An owning process's backend: the hub and the server sharing it.
pub(crate) struct Owner {
    pub(crate) hub: Arc<Hub>,
    server: Option<server::Server>,
}

impl Owner {
    /// Starts owning `store`: its hub, this session's subscribers registered, and the
    /// server on `socket`.
    ///
    /// When the socket cannot be served (a path too long for a socket address, a
    /// read-only directory) the store still works for this process; others then wait and
    /// get the lock error, as before sessions existed.
    pub(crate) fn start(
        store: Store,
        socket: &Path,
        config: &SessionConfig,
        subscribers: Arc<Subscribers>,
    ) -> Result<Owner, SessionError> {
        let hub = Arc::new(Hub::new(store)?);
        let from = subscribers.seen();
        hub.subscribe(subscribers, from.min(hub.generation()));
        let server = server::Server::start(hub.clone(), socket, config).ok();
        Ok(Owner { hub, server })
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        match self.server.take() {
            Some(s) => s.stop(&self.hub),
            None => self.hub.close(),
        }
    }
}
