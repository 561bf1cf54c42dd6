//! Several sessions on one store, as the TUI sees them: what other sessions commit shows
//! up in the open lists (with the derived statuses recomputed), and saving never silently
//! overwrites what someone else changed meanwhile.
//!
//! Every commit moves the store to the next [`Generation`]. The app subscribes before it
//! loads, so it sees every commit after the loaded generation; its own come back too and
//! are skipped (their generation is not above the one already seen).
//!
//! Applying a change set to the ledger is cheap (a few index updates per record) when the
//! app holds the only strong reference to it (weak ones, like the worker's result caches,
//! are detached: the ledger moves out, nothing is copied). While a worker job still computes on the ledger
//! the change sets wait in a queue: the jobs (stale anyway) are cancelled, and the queue
//! is applied in place, in one batch, as soon as the worker lets go. Only when something
//! holds the ledger for longer than [`COPY_AFTER`] is it copied, off the UI thread.
//!
//! Committing: a change set planned on the ledger of generation `G` is committed with base
//! `G`. When another session committed since, the store refuses; the app then catches up
//! on the notices it missed and, when none of them touched the records the change set
//! involves (the records it writes, the parties they name, the invoices allocations pay),
//! commits again on the new base. Otherwise it does not save and says what changed; a form
//! save re-plans against the updated ledger (so new ids never collide), and when the form
//! edits a record another session changed or deleted since the form opened, the user
//! chooses in a dialog ([`Conflict`]): reload, overwrite, or cancel.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::{App, Message};
use crate::domain::ledger::Ledger;
use crate::domain::{Change, ChangeSet, IdSeq, Invoice, InvoiceId, Party, PartyId, Payment};
use crate::domain::{PaymentId, SavedFilter};
use crate::tui::action::Action;
use crate::tui::form::FormKind;
use crate::tui::keymap::{Context, Lookup};
use crate::tui::persist::{CommitError, Committed, Generation, Persistence};
use crate::tui::views::{ListKind, Target};
use crate::tui::worker::Slot;

/// How long the ledger may stay shared with background work before pending changes are
/// applied to a copy (made off the UI thread) instead of in place.
pub const COPY_AFTER: Duration = Duration::from_millis(1500);
/// How long saving a form waits for changes from other sessions to be applied.
const FLUSH_WAIT: Duration = Duration::from_millis(400);
/// How long a refused commit waits for the notices of the commits it missed.
const CATCH_UP_WAIT: Duration = Duration::from_secs(2);
/// Commit attempts before giving up when other sessions keep committing.
const ATTEMPTS: usize = 5;
/// Automatic re-plans of one form save.
const REPLANS: usize = 3;
/// How often the status-bar note about sharing is refreshed.
const SHARING_EVERY: Duration = Duration::from_secs(2);
/// Poll interval for notices while idle.
pub const LIVE_POLL: Duration = Duration::from_millis(200);

/// A record (or record-like state) a change set touches, for conflict checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    Party(PartyId),
    /// A record names the party (another session's), or the party goes (this one's).
    PartyRef(PartyId),
    Invoice(InvoiceId),
    Payment(PaymentId),
    FollowUp(InvoiceId),
    Settings,
}

/// A committed change set not yet applied to the ledger.
struct Queued {
    generation: Generation,
    set: Arc<ChangeSet>,
    target: Option<Target>,
    own: bool,
}

/// A copy of the ledger with queued changes applied, from the background.
struct Copied {
    ledger: Box<Ledger>,
    generation: Generation,
    target: Option<Target>,
    before: Vec<Option<Target>>,
}

/// The record a form edits, as it was when the form opened.
#[derive(Clone, Debug, PartialEq)]
enum Record {
    Payment(Payment),
    Invoice(Invoice),
    Party(Party),
}

impl Record {
    fn of(target: Target, l: &Ledger) -> Option<Record> {
        match target {
            Target::Payment(id) => l.payment(id).cloned().map(Record::Payment),
            Target::Invoice(id) => l.invoice(id).cloned().map(Record::Invoice),
            Target::Party(id) => l.party(id).cloned().map(Record::Party),
        }
    }
}

#[derive(Clone, Debug)]
struct FormBase {
    target: Target,
    record: Record,
}

/// The conflict dialog: the record the open form edits was changed (or deleted) by
/// another session since the form opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The record.
    pub target: Target,
    /// It, described for people ("payment of 100.00 EUR from Acme on 2026-01-10").
    pub what: String,
    /// Whether the other session deleted it.
    pub deleted: bool,
    /// What the other session changed, one field a line ("amount: 100.00 → 120.00").
    pub changes: Vec<String>,
}

/// What the user chose in the conflict dialog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictChoice {
    /// Reopen the form with the other session's values (close it when deleted).
    Reload,
    /// Save the form's values anyway (as a new record when deleted).
    Overwrite,
    /// Back to the form, nothing saved.
    Cancel,
}

/// Why a commit from the TUI did not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum CommitFail {
    /// Another session changed a record the change involves (named here).
    Changed(String),
    /// Other sessions kept committing, or their notices did not arrive in time.
    Busy,
    /// Writing failed.
    Failed(String),
}

impl CommitFail {
    /// The message for the user.
    pub(super) fn message(&self) -> String {
        match self {
            CommitFail::Changed(what) => format!(
                "not saved: another session changed {what} meanwhile (the lists show it now); try again"
            ),
            CommitFail::Busy => {
                "not saved: other sessions are saving right now; try again in a moment".into()
            }
            CommitFail::Failed(e) => format!("could not save: {e}"),
        }
    }
}

/// The app's view of the other sessions.
pub struct Live {
    rx: Option<Receiver<Committed>>,
    /// Whether the full ledger (and its generation) is known.
    loaded: bool,
    /// Generation of the ledger in memory when the queue is empty and no copy runs.
    applied: Generation,
    /// Newest generation known: received, loaded or committed by this session.
    seen: Generation,
    /// Notices that came before the full load.
    early: Vec<Committed>,
    queue: Vec<Queued>,
    /// Keys touched by other sessions' commits, per generation, not yet in `applied`.
    history: Vec<(Generation, Vec<Key>)>,
    waiting_since: Option<Instant>,
    copy_rx: Option<Receiver<Copied>>,
    reload_rx: Option<Receiver<anyhow::Result<(Ledger, Generation)>>>,
    form: Option<FormBase>,
    replans: usize,
    replan: bool,
    /// The generation a change being planned off the UI thread was planned on.
    plan_base: Option<Generation>,
    sharing: Option<String>,
    sharing_at: Option<Instant>,
    external: usize,
}

impl Live {
    /// Subscribes to `persist`'s notices (call before loading).
    pub fn new(persist: &Arc<dyn Persistence>) -> Live {
        Live {
            rx: persist.subscribe(),
            loaded: false,
            applied: 0,
            seen: 0,
            early: Vec::new(),
            queue: Vec::new(),
            history: Vec::new(),
            waiting_since: None,
            copy_rx: None,
            reload_rx: None,
            form: None,
            replans: 0,
            replan: false,
            plan_base: None,
            sharing: persist.sharing(),
            sharing_at: None,
            external: 0,
        }
    }

    /// Whether committed changes are waiting to be applied, copied or reloaded.
    pub fn busy(&self) -> bool {
        !self.queue.is_empty() || self.copy_rx.is_some() || self.reload_rx.is_some()
    }

    /// Whether one of this session's own changes is not in the ledger yet (new edits
    /// wait for it, since they would be planned without it).
    pub fn applying_own(&self) -> bool {
        self.queue.iter().any(|q| q.own) || self.copy_rx.is_some() || self.reload_rx.is_some()
    }

    /// The generation the ledger in memory reflects.
    pub fn generation(&self) -> Generation {
        if self.queue.is_empty() && self.copy_rx.is_none() {
            self.seen
        } else {
            self.applied
        }
    }

    /// How many commits of other sessions were received.
    pub fn external_commits(&self) -> usize {
        self.external
    }

    /// The status-bar note about sharing, if the store is shared.
    pub fn sharing(&self) -> Option<&str> {
        self.sharing.as_deref()
    }

    /// How long the event loop may sleep while idle.
    pub fn idle_wakeup(&self) -> Duration {
        if self.rx.is_some() {
            LIVE_POLL
        } else {
            Duration::from_millis(1000)
        }
    }

    /// The first key that both `mine` (sorted) and a commit after `since` touched.
    fn changed_since(&self, since: Generation, mine: &[Key]) -> Option<Key> {
        self.history
            .iter()
            .filter(|(g, _)| *g > since)
            .flat_map(|(_, keys)| keys.iter())
            .find(|k| mine.binary_search(k).is_ok())
            .copied()
    }

    fn prune(&mut self) {
        let g = self
            .plan_base
            .map_or(self.generation(), |p| p.min(self.generation()));
        self.history.retain(|(h, _)| *h > g);
    }
}

fn merge_ids(a: IdSeq, b: IdSeq) -> IdSeq {
    IdSeq {
        party: a.party.max(b.party),
        invoice: a.invoice.max(b.invoice),
        payment: a.payment.max(b.payment),
    }
}

/// What a change set touches, sorted: the records it writes or deletes and the invoices
/// whose settlement it changes (allocations added or, for deleted payments, removed); for
/// this session's own changes also the parties its records name.
fn touched(set: &ChangeSet, l: &Ledger, own: bool) -> Vec<Key> {
    let mut keys = Vec::new();
    for c in &set.changes {
        match c {
            Change::PutParty(p) => keys.push(Key::Party(p.id)),
            Change::PutInvoice(i) => {
                keys.push(Key::Invoice(i.id));
                keys.push(if own {
                    Key::Party(i.party)
                } else {
                    Key::PartyRef(i.party)
                });
            }
            Change::PutPayment(p) => {
                keys.push(Key::Payment(p.id));
                keys.push(if own {
                    Key::Party(p.party)
                } else {
                    Key::PartyRef(p.party)
                });
                keys.extend(p.allocations.iter().map(|a| Key::Invoice(a.invoice)));
                if let Some(old) = l.payment(p.id) {
                    keys.extend(old.allocations.iter().map(|a| Key::Invoice(a.invoice)));
                }
            }
            Change::DeleteParty(id) => {
                keys.push(Key::Party(*id));
                if own {
                    // New records of the party elsewhere would be left without it.
                    keys.push(Key::PartyRef(*id));
                }
            }
            Change::DeleteInvoice(id) => keys.push(Key::Invoice(*id)),
            Change::DeletePayment(id) => {
                keys.push(Key::Payment(*id));
                if let Some(old) = l.payment(*id) {
                    keys.extend(old.allocations.iter().map(|a| Key::Invoice(a.invoice)));
                }
            }
            Change::PutFollowUp(id, _) | Change::DeleteFollowUp(id) => {
                keys.push(Key::FollowUp(*id))
            }
            Change::PutReminderSettings(_) => keys.push(Key::Settings),
            Change::PutFilter(_) | Change::DeleteFilter(_) => {}
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

fn only_filters(set: &ChangeSet) -> bool {
    set.changes
        .iter()
        .all(|c| matches!(c, Change::PutFilter(_) | Change::DeleteFilter(_)))
}

fn apply_filters(filters: &mut Vec<SavedFilter>, set: &ChangeSet) -> bool {
    let mut any = false;
    for c in &set.changes {
        match c {
            Change::PutFilter(f) => {
                filters.retain(|x| x.name != f.name);
                filters.push(f.clone());
                any = true;
            }
            Change::DeleteFilter(n) => {
                filters.retain(|x| &x.name != n);
                any = true;
            }
            _ => {}
        }
    }
    if any {
        filters.sort_by(|a, b| a.name.cmp(&b.name));
    }
    any
}

impl App {
    /// The status-bar note about sharing the store, when it is shared.
    pub fn sharing(&self) -> Option<&str> {
        self.live.sharing()
    }

    /// How many commits of other sessions this app has received.
    pub fn external_commits(&self) -> usize {
        self.live.external_commits()
    }

    // ---- notices -----------------------------------------------------------------------

    /// Receives notices, applies what waits, and lands copies and reloads. Called on
    /// every tick; returns whether anything changed on screen.
    pub(super) fn live_poll(&mut self, now: Instant) -> bool {
        if self.bg_rx.is_none() {
            // A plan that ended without a commit.
            self.live.plan_base = None;
        }
        let mut changed = self.live_drain();
        changed |= self.live_poll_copy(now);
        changed |= self.live_poll_reload();
        changed |= self.live_apply(now);
        if self.live.rx.is_some()
            && self
                .live
                .sharing_at
                .is_none_or(|t| now.duration_since(t) >= SHARING_EVERY)
        {
            self.live.sharing_at = Some(now);
            let s = self.persist.sharing();
            changed |= s != self.live.sharing;
            self.live.sharing = s;
        }
        changed
    }

    /// The full ledger at `generation` is in memory: notices after it apply from now on.
    pub(super) fn live_loaded(&mut self, generation: Generation) {
        self.live.loaded = true;
        self.live.applied = generation;
        self.live.seen = generation;
        self.live.queue.clear();
        self.live.history.clear();
        for c in std::mem::take(&mut self.live.early) {
            self.live_receive(c);
        }
        self.live_apply(Instant::now());
    }

    fn live_drain(&mut self) -> bool {
        let mut got = false;
        loop {
            let msg = match &self.live.rx {
                Some(rx) => rx.try_recv(),
                None => return got,
            };
            match msg {
                Ok(c) => got |= self.live_receive(c),
                Err(TryRecvError::Empty) => return got,
                Err(TryRecvError::Disconnected) => {
                    self.live.rx = None;
                    self.message = Some(Message::Error(
                        "lost the other sessions: their changes show after a restart".into(),
                    ));
                    return true;
                }
            }
        }
    }

    /// Takes one notice. Returns whether it was another session's commit.
    fn live_receive(&mut self, c: Committed) -> bool {
        if self.live.reload_rx.is_some() || !self.live.loaded {
            if c.reload {
                self.live.early.clear();
            }
            self.live.early.push(c);
            return false;
        }
        if c.reload || c.generation > self.live.seen + 1 {
            self.live_reload();
            return true;
        }
        if c.generation <= self.live.seen {
            // Already in the ledger: loaded with it, or this session's own commit.
            return false;
        }
        self.live.seen = c.generation;
        self.live.external += 1;
        if let Some(ids) = c.changes.ids {
            self.ids = merge_ids(self.ids, ids);
        }
        if apply_filters(&mut self.filters, &c.changes) {
            self.filter_sel = self.filter_sel.min(self.filters.len().saturating_sub(1));
        }
        let keys = touched(&c.changes, &self.ledger, false);
        self.live.history.push((c.generation, keys));
        if !only_filters(&c.changes) {
            self.live.queue.push(Queued {
                generation: c.generation,
                set: c.changes,
                target: None,
                own: false,
            });
        }
        true
    }

    /// Commits were missed: load everything again in the background.
    fn live_reload(&mut self) {
        self.live.queue.clear();
        self.live.history.clear();
        self.live.copy_rx = None;
        self.live.waiting_since = None;
        let (tx, rx) = mpsc::channel();
        let p = self.persist.clone();
        let spawned = std::thread::Builder::new()
            .name("paytrack-reload".into())
            .spawn(move || {
                let _ = tx.send(p.load_generation());
            });
        match spawned {
            Ok(_) => {
                self.live.reload_rx = Some(rx);
                self.message = Some(Message::Info(
                    "reloading: missed some changes of other sessions".into(),
                ));
            }
            Err(e) => self.message = Some(Message::Error(format!("cannot reload: {e}"))),
        }
    }

    fn live_poll_reload(&mut self) -> bool {
        let Some(rx) = &self.live.reload_rx else {
            return false;
        };
        let res = match rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => Err(anyhow::anyhow!("the loader stopped")),
        };
        self.live.reload_rx = None;
        match res {
            Ok((l, generation)) => {
                let before = self.selected_targets();
                self.ledger = Arc::new(l);
                if let Ok(ids) = self.persist.ids() {
                    self.ids = merge_ids(self.ids, ids);
                }
                self.ids.cover(&self.ledger);
                if let Ok(f) = self.persist.saved_filters() {
                    self.filters = f;
                    self.filter_sel = self.filter_sel.min(self.filters.len().saturating_sub(1));
                }
                self.ledger_changed(None, before);
                self.live_loaded(generation);
                self.message = Some(Message::Info("reloaded the store".into()));
            }
            Err(e) => {
                self.message = Some(Message::Error(format!(
                    "could not reload the store: {e:#} (other sessions' changes may be missing)"
                )));
                self.live.loaded = true;
            }
        }
        true
    }

    // ---- applying ----------------------------------------------------------------------

    /// Queues this session's own committed change set and applies it if it can.
    pub(super) fn live_apply_own(&mut self, set: ChangeSet, target: Option<Target>) {
        self.live.queue.push(Queued {
            generation: self.live.seen,
            set: Arc::new(set),
            target,
            own: true,
        });
        self.live_apply(Instant::now());
    }

    /// Applies the queue in place when nothing else holds the ledger. Otherwise cancels
    /// the background work that does (its results would be stale) and, after
    /// [`COPY_AFTER`], applies to a copy off the UI thread.
    fn live_apply(&mut self, now: Instant) -> bool {
        if self.live.queue.is_empty() || self.live.copy_rx.is_some() {
            return false;
        }
        let before = self.selected_targets();
        // Only weak references left (the worker's caches): `make_mut` moves the ledger
        // out of them (no copy of its records), which also retires what they cached.
        if Arc::strong_count(&self.ledger) == 1 {
            let l = Arc::make_mut(&mut self.ledger);
            let mut target = None;
            for q in self.live.queue.drain(..) {
                l.apply(&q.set);
                target = q.target.or(target);
                self.live.applied = self.live.applied.max(q.generation);
            }
            self.live.waiting_since = None;
            self.live.prune();
            self.ledger_changed(target, before);
            return true;
        }
        match self.live.waiting_since {
            None => {
                self.live.waiting_since = Some(now);
                for k in ListKind::ALL {
                    self.worker.cancel(Slot::View(k));
                }
                self.worker.cancel(Slot::Report);
                self.worker.cancel(Slot::OpenInvoices);
                self.worker.cancel(Slot::Matching);
            }
            Some(t) if now.duration_since(t) >= COPY_AFTER => self.live_copy(before),
            Some(_) => {}
        }
        false
    }

    fn live_copy(&mut self, before: Vec<Option<Target>>) {
        let queued: Vec<Queued> = self.live.queue.drain(..).collect();
        let generation = queued
            .iter()
            .map(|q| q.generation)
            .max()
            .unwrap_or(self.live.applied);
        let target = queued.iter().rev().find_map(|q| q.target);
        let sets: Vec<Arc<ChangeSet>> = queued.iter().map(|q| q.set.clone()).collect();
        let base = self.ledger.clone();
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("paytrack-apply".into())
            .spawn(move || {
                let mut l = (*base).clone();
                drop(base);
                for s in &sets {
                    l.apply(s);
                }
                let _ = tx.send(Copied {
                    ledger: Box::new(l),
                    generation,
                    target,
                    before,
                });
            });
        match spawned {
            Ok(_) => self.live.copy_rx = Some(rx),
            Err(e) => {
                // Put them back: they apply in place once the ledger is free.
                self.live.queue = queued;
                self.message = Some(Message::Error(format!("cannot apply the change: {e}")));
            }
        }
    }

    fn live_poll_copy(&mut self, now: Instant) -> bool {
        let Some(rx) = &self.live.copy_rx else {
            return false;
        };
        match rx.try_recv() {
            Ok(c) => {
                self.live.copy_rx = None;
                self.ledger = Arc::new(*c.ledger);
                self.live.applied = self.live.applied.max(c.generation);
                self.live.waiting_since = None;
                self.live.prune();
                self.ledger_changed(c.target, c.before);
                self.live_apply(now);
                true
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => {
                self.live.copy_rx = None;
                self.message = Some(Message::Error("a background task stopped".into()));
                self.live_reload();
                true
            }
        }
    }

    /// Waits up to `wait` until everything received is in the ledger.
    fn live_flush(&mut self, wait: Duration) -> bool {
        let end = Instant::now() + wait;
        loop {
            let now = Instant::now();
            self.live_drain();
            self.live_poll_copy(now);
            self.live_poll_reload();
            self.live_apply(now);
            if !self.live.busy() {
                return true;
            }
            if now >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits for the notices up to `generation` (after a refused commit).
    fn live_wait_for(&mut self, generation: Generation) -> bool {
        let end = Instant::now() + CATCH_UP_WAIT;
        self.live_drain();
        while self.live.seen < generation {
            if self.live.reload_rx.is_some() || !self.live.loaded {
                return false;
            }
            let left = end.saturating_duration_since(Instant::now());
            let msg = match &self.live.rx {
                Some(rx) => rx.recv_timeout(left),
                None => return false,
            };
            match msg {
                Ok(c) => {
                    self.live_receive(c);
                }
                Err(RecvTimeoutError::Timeout) => return false,
                Err(RecvTimeoutError::Disconnected) => {
                    self.live.rx = None;
                    return false;
                }
            }
        }
        true
    }

    // ---- committing --------------------------------------------------------------------

    /// A change set is being planned off the UI thread on the ledger as it is now: its
    /// commit is checked against everything other sessions committed since.
    pub(super) fn live_plan_started(&mut self) {
        self.live.plan_base = Some(self.live.generation());
    }

    /// Commits `set`, planned on the ledger in memory, on the newest generation known;
    /// when refused, catches up and commits again if what it involves did not change.
    /// Its id counters are raised past ids other sessions took meanwhile.
    pub(super) fn commit_live(&mut self, set: &mut ChangeSet) -> Result<(), CommitFail> {
        self.live.replan = false;
        let planned_at = match self.live.plan_base.take() {
            Some(p) => p.min(self.live.generation()),
            None => self.live.generation(),
        };
        let mine = touched(set, &self.ledger, true);
        self.live_drain();
        for _ in 0..ATTEMPTS {
            if let Some(k) = self.live.changed_since(planned_at, &mine) {
                self.live.replan = true;
                return Err(CommitFail::Changed(self.describe_key(k)));
            }
            if let Some(ids) = set.ids.as_mut() {
                *ids = merge_ids(*ids, self.ids);
            }
            match self.persist.commit_from(self.live.seen, set) {
                Ok(g) => {
                    self.live.seen = self.live.seen.max(g);
                    return Ok(());
                }
                Err(CommitError::Conflict { current }) => {
                    if !self.live_wait_for(current) {
                        return Err(CommitFail::Busy);
                    }
                }
                Err(CommitError::Failed(e)) => return Err(CommitFail::Failed(format!("{e:#}"))),
            }
        }
        Err(CommitFail::Busy)
    }

    /// Commits saved-filter changes (the last save of a name wins).
    pub(super) fn commit_filters_live(&mut self, set: &ChangeSet) -> anyhow::Result<()> {
        if self.live.rx.is_none() || !self.live.loaded || self.live.reload_rx.is_some() {
            return self.persist.commit(set);
        }
        self.live_drain();
        for _ in 0..ATTEMPTS {
            match self.persist.commit_from(self.live.seen, set) {
                Ok(g) => {
                    self.live.seen = self.live.seen.max(g);
                    return Ok(());
                }
                Err(CommitError::Conflict { current }) => {
                    if !self.live_wait_for(current) {
                        break;
                    }
                }
                Err(CommitError::Failed(e)) => return Err(e),
            }
        }
        anyhow::bail!("other sessions are saving right now; try again in a moment")
    }

    fn describe_key(&self, k: Key) -> String {
        match k {
            Key::Party(id) | Key::PartyRef(id) => self.describe(Target::Party(id)),
            Key::Invoice(id) => self.describe(Target::Invoice(id)),
            Key::Payment(id) => self.describe(Target::Payment(id)),
            Key::FollowUp(id) => format!("the follow-up of {}", self.describe(Target::Invoice(id))),
            Key::Settings => "the reminder settings".into(),
        }
    }

    // ---- forms and the conflict dialog -------------------------------------------------

    /// Remembers the record the form just opened edits, as it is now.
    pub(super) fn live_form_opened(&mut self) {
        let target = self.form.as_ref().and_then(|f| match f.kind {
            FormKind::Payment(Some(id)) => Some(Target::Payment(id)),
            FormKind::Invoice(Some(id)) => Some(Target::Invoice(id)),
            FormKind::Party(Some(id)) => Some(Target::Party(id)),
            _ => None,
        });
        self.live.form = target
            .and_then(|t| Record::of(t, &self.ledger).map(|record| FormBase { target: t, record }));
        self.live.replans = 0;
    }

    /// Before saving a form: brings the ledger up to date and, when the record the form
    /// edits changed since it opened, opens the conflict dialog. Returns whether the
    /// save must stop here.
    pub(super) fn live_form_conflict(&mut self) -> bool {
        if !self
            .form
            .as_ref()
            .is_some_and(|f| !matches!(f.kind, FormKind::Filter(_)))
        {
            return false;
        }
        if !self.live_flush(FLUSH_WAIT) {
            if let Some(f) = self.form.as_mut() {
                f.error = Some(
                    "still applying changes from other sessions; try again in a moment".into(),
                );
            }
            return true;
        }
        let Some(base) = &self.live.form else {
            return false;
        };
        let current = Record::of(base.target, &self.ledger);
        if current.as_ref() == Some(&base.record) {
            return false;
        }
        let changes = match &current {
            Some(now) => self.diff(&base.record, now),
            None => Vec::new(),
        };
        self.conflict = Some(Conflict {
            target: base.target,
            what: self.describe_record(&base.record),
            deleted: current.is_none(),
            changes,
        });
        true
    }

    /// After a refused form save: whether to plan it again on the updated ledger.
    pub(super) fn live_replan(&mut self) -> bool {
        if std::mem::take(&mut self.live.replan) && self.live.replans < REPLANS {
            self.live.replans += 1;
            return true;
        }
        false
    }

    /// Keys while the conflict dialog is open: `r` reload, `o` overwrite, `c`/Esc
    /// cancel. Returns whether the key was taken.
    pub(super) fn conflict_key(&mut self, ev: &KeyEvent) -> bool {
        if self.conflict.is_none() {
            return false;
        }
        let choice = match ev.code {
            KeyCode::Char('r') | KeyCode::Char('R') => Some(ConflictChoice::Reload),
            KeyCode::Char('o') | KeyCode::Char('O') => Some(ConflictChoice::Overwrite),
            KeyCode::Char('c') | KeyCode::Char('C') | KeyCode::Esc => Some(ConflictChoice::Cancel),
            _ => {
                let chord = crate::tui::keymap::KeyChord::from_event(ev);
                match self.keymap.lookup(&[Context::Dialog], &[chord]) {
                    Lookup::Action(Action::Cancel | Action::Close | Action::Deny) => {
                        Some(ConflictChoice::Cancel)
                    }
                    _ => None,
                }
            }
        };
        if let Some(c) = choice {
            self.conflict_choose(c);
        }
        true
    }

    /// Actions while the conflict dialog is open (cancel, close, deny and quit cancel).
    pub(super) fn conflict_action(&mut self, a: Action) {
        if matches!(
            a,
            Action::Cancel | Action::Close | Action::Deny | Action::Quit
        ) {
            self.conflict_choose(ConflictChoice::Cancel);
        }
    }

    /// Carries out a choice of the conflict dialog.
    pub fn conflict_choose(&mut self, choice: ConflictChoice) {
        let Some(c) = self.conflict.take() else {
            return;
        };
        match choice {
            ConflictChoice::Reload => {
                let kind = self.form.as_ref().map(|f| f.kind.clone());
                self.form = None;
                self.live.form = None;
                if c.deleted {
                    self.message = Some(Message::Info(format!(
                        "closed the form: another session deleted {}",
                        c.what
                    )));
                } else if let Some(kind) = kind {
                    self.open_form(kind);
                    self.message = Some(Message::Info(format!(
                        "reopened {} with the other session's values",
                        c.what
                    )));
                }
            }
            ConflictChoice::Overwrite => {
                if c.deleted {
                    if let Some(f) = self.form.as_mut() {
                        f.kind = match f.kind {
                            FormKind::Payment(_) => FormKind::Payment(None),
                            FormKind::Invoice(_) => FormKind::Invoice(None),
                            FormKind::Party(_) => FormKind::Party(None),
                            ref k => k.clone(),
                        };
                    }
                    self.live.form = None;
                } else if let Some(base) = self.live.form.as_mut() {
                    if let Some(now) = Record::of(c.target, &self.ledger) {
                        base.record = now;
                    }
                }
                self.live.replans = 0;
                self.save_form();
            }
            ConflictChoice::Cancel => {
                if let Some(f) = self.form.as_mut() {
                    f.error = Some(format!(
                        "not saved: another session changed {} (save again to choose, Esc discards)",
                        c.what
                    ));
                }
            }
        }
    }

    fn describe_record(&self, r: &Record) -> String {
        let l = &self.ledger;
        match r {
            Record::Payment(p) => format!(
                "payment of {} {} from {} on {}",
                p.currency.format(p.amount),
                p.currency,
                crate::text::sanitize(l.party_name(p.party)),
                crate::domain::format_date(p.date)
            ),
            Record::Invoice(i) => format!("invoice {}", crate::text::sanitize(&i.number)),
            Record::Party(p) => format!("party '{}'", crate::text::sanitize(&p.name)),
        }
    }

    /// What changed between `old` and `new`, one field a line, with the new value.
    fn diff(&self, old: &Record, new: &Record) -> Vec<String> {
        let l = &self.ledger;
        let mut out = Vec::new();
        let mut field = |name: &str, a: String, b: String| {
            if a != b {
                out.push(format!(
                    "{name}: {} → {}",
                    crate::text::sanitize(&a),
                    crate::text::sanitize(&b)
                ));
            }
        };
        let date = crate::domain::format_date;
        match (old, new) {
            (Record::Payment(a), Record::Payment(b)) => {
                field(
                    "amount",
                    format!("{} {}", a.currency.format(a.amount), a.currency),
                    format!("{} {}", b.currency.format(b.amount), b.currency),
                );
                field("date", date(a.date), date(b.date));
                field(
                    "party",
                    l.party_name(a.party).to_string(),
                    l.party_name(b.party).to_string(),
                );
                field(
                    "direction",
                    a.direction.to_string(),
                    b.direction.to_string(),
                );
                field("method", a.method.to_string(), b.method.to_string());
                field("reference", a.reference.clone(), b.reference.clone());
                field("notes", a.notes.clone(), b.notes.clone());
                let allocs = |p: &Payment| {
                    p.allocations
                        .iter()
                        .map(|x| {
                            let n = l
                                .invoice(x.invoice)
                                .map_or_else(|| format!("#{}", x.invoice), |i| i.number.clone());
                            format!("{n} {}", p.currency.format(x.amount))
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                field("allocations", allocs(a), allocs(b));
            }
            (Record::Invoice(a), Record::Invoice(b)) => {
                field("number", a.number.clone(), b.number.clone());
                field(
                    "party",
                    l.party_name(a.party).to_string(),
                    l.party_name(b.party).to_string(),
                );
                field(
                    "amount",
                    format!("{} {}", a.currency.format(a.amount), a.currency),
                    format!("{} {}", b.currency.format(b.amount), b.currency),
                );
                field("issued", date(a.issue_date), date(b.issue_date));
                field("due", date(a.due_date), date(b.due_date));
                field("notes", a.notes.clone(), b.notes.clone());
                field("void", a.void.to_string(), b.void.to_string());
            }
            (Record::Party(a), Record::Party(b)) => {
                field("name", a.name.clone(), b.name.clone());
                field("email", a.email.clone(), b.email.clone());
                field(
                    "terms",
                    a.terms_days
                        .map_or_else(String::new, |d| format!("{d} days")),
                    b.terms_days
                        .map_or_else(String::new, |d| format!("{d} days")),
                );
                field("notes", a.notes.clone(), b.notes.clone());
            }
            _ => {}
        }
        out
    }
}
