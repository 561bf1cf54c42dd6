//! The worker thread: list computations, reports and form look-ups run here, off the UI
//! thread. Each kind of job has a slot; a newer request in a slot supersedes (and
//! cancels) the older one, so typing in the filter bar never queues stale work.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread;

use time::Date;

use super::reports::{self, ReportData, ReportRequest};
use super::views::{self, Cancel, ListKind, SortSpec, Target, ViewResult};
use crate::domain::ledger::Ledger;
use crate::domain::{Currency, Direction, InvoiceId, PartyId, StatusRules};
use crate::query::Query;

/// Where a job's result goes; one outstanding request per slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// A list.
    View(ListKind),
    /// The Reports tab.
    Report,
    /// The open invoices offered by the payment form.
    OpenInvoices,
    /// The reminders banner shown at start.
    Banner,
    /// The matching queue.
    Matching,
}

impl Slot {
    const COUNT: usize = 8;
    fn index(self) -> usize {
        match self {
            Slot::View(k) => k.index(),
            Slot::Report => 4,
            Slot::OpenInvoices => 5,
            Slot::Banner => 6,
            Slot::Matching => 7,
        }
    }
}

/// Work for the worker thread.
pub enum Job {
    /// Filter, sort and total a list.
    View {
        /// The list.
        kind: ListKind,
        /// The ledger snapshot.
        ledger: Arc<Ledger>,
        /// Parsed filter.
        query: Query,
        /// Sort.
        sort: SortSpec,
        /// Status rules (today).
        rules: StatusRules,
        /// Record to locate in the result.
        target: Option<Target>,
    },
    /// Compute the report the Reports tab shows.
    Report {
        /// The ledger snapshot.
        ledger: Arc<Ledger>,
        /// Which report, with which options.
        request: ReportRequest,
    },
    /// Open invoices of a party for the payment form.
    OpenInvoices {
        /// The ledger snapshot.
        ledger: Arc<Ledger>,
        /// Party.
        party: PartyId,
        /// Currency.
        currency: Currency,
        /// Direction.
        direction: Direction,
        /// Today.
        today: Date,
    },
    /// Count the due reminders for the banner.
    Banner {
        /// The ledger snapshot.
        ledger: Arc<Ledger>,
        /// Today.
        today: Date,
    },
    /// Payments with an unallocated remainder and their candidates.
    Matching {
        /// The ledger snapshot.
        ledger: Arc<Ledger>,
        /// Today.
        today: Date,
    },
}

impl Job {
    fn slot(&self) -> Slot {
        match self {
            Job::View { kind, .. } => Slot::View(*kind),
            Job::Report { .. } => Slot::Report,
            Job::OpenInvoices { .. } => Slot::OpenInvoices,
            Job::Banner { .. } => Slot::Banner,
            Job::Matching { .. } => Slot::Matching,
        }
    }
}

/// What the worker sends back.
pub enum Output {
    /// A list result.
    View(ListKind, Box<ViewResult>),
    /// Reports.
    Report(Box<ReportData>),
    /// Open invoices for (party, currency, direction).
    OpenInvoices((PartyId, Currency, Direction), Vec<InvoiceId>),
    /// The reminders banner.
    Banner(views::Banner),
    /// The matching queue's payments.
    Matching(Vec<super::matching::QueueItem>),
}

/// A result tagged with its slot and generation.
pub struct Done {
    /// Slot.
    pub slot: Slot,
    /// Generation of the request.
    pub gen: u64,
    /// The result.
    pub output: Output,
}

/// Handle to the worker thread.
pub struct Worker {
    tx: Option<Sender<(u64, Job)>>,
    rx: Receiver<Done>,
    latest: Vec<Arc<AtomicU64>>,
    pending: [bool; Slot::COUNT],
}

impl Worker {
    /// Starts the worker thread.
    pub fn start() -> Worker {
        let (tx, job_rx) = mpsc::channel::<(u64, Job)>();
        let (done_tx, rx) = mpsc::channel::<Done>();
        let latest: Vec<Arc<AtomicU64>> = (0..Slot::COUNT)
            .map(|_| Arc::new(AtomicU64::new(0)))
            .collect();
        let l2 = latest.clone();
        thread::Builder::new()
            .name("paytrack-worker".into())
            .spawn(move || run(job_rx, done_tx, l2))
            .ok();
        Worker {
            tx: Some(tx),
            rx,
            latest,
            pending: [false; Slot::COUNT],
        }
    }

    /// Requests a job; any older request in its slot is superseded. Returns its generation.
    pub fn submit(&mut self, job: Job) -> u64 {
        let slot = job.slot();
        let gen = self.latest[slot.index()].fetch_add(1, Ordering::SeqCst) + 1;
        self.pending[slot.index()] = true;
        if let Some(tx) = &self.tx {
            if tx.send((gen, job)).is_err() {
                self.pending[slot.index()] = false;
            }
        }
        gen
    }

    /// Drops any outstanding request in `slot`: its result, if it comes, is discarded.
    pub fn cancel(&mut self, slot: Slot) {
        self.latest[slot.index()].fetch_add(1, Ordering::SeqCst);
        self.pending[slot.index()] = false;
    }

    /// Whether a request in `slot` has not been answered yet.
    pub fn is_pending(&self, slot: Slot) -> bool {
        self.pending[slot.index()]
    }

    /// Whether anything is being computed.
    pub fn busy(&self) -> bool {
        self.pending.iter().any(|p| *p)
    }

    fn accept(&mut self, d: Done) -> Option<Done> {
        let i = d.slot.index();
        if self.latest[i].load(Ordering::SeqCst) == d.gen {
            self.pending[i] = false;
            Some(d)
        } else {
            None
        }
    }

    /// A finished, current result, if one is ready (stale ones are dropped).
    pub fn try_recv(&mut self) -> Option<Done> {
        while let Ok(d) = self.rx.try_recv() {
            if let Some(d) = self.accept(d) {
                return Some(d);
            }
        }
        None
    }

    /// Waits up to `timeout` for a current result.
    pub fn recv_timeout(&mut self, timeout: std::time::Duration) -> Option<Done> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(d) => {
                    if let Some(d) = self.accept(d) {
                        return Some(d);
                    }
                }
                Err(_) => return None,
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the channel ends the thread after its current job.
        self.tx.take();
        for l in &self.latest {
            l.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn run(jobs: Receiver<(u64, Job)>, done: Sender<Done>, latest: Vec<Arc<AtomicU64>>) {
    let mut queue: Vec<(u64, Job)> = Vec::new();
    loop {
        if queue.is_empty() {
            match jobs.recv() {
                Ok(j) => queue.push(j),
                Err(_) => return,
            }
        }
        while let Ok(j) = jobs.try_recv() {
            queue.push(j);
        }
        // Keep only the newest request per slot, oldest slot first.
        let mut keep: Vec<(u64, Job)> = Vec::new();
        for (gen, job) in queue.drain(..) {
            let slot = job.slot();
            keep.retain(|(_, j)| j.slot() != slot);
            keep.push((gen, job));
        }
        let (gen, job) = keep.remove(0);
        queue = keep;
        let slot = job.slot();
        let cancel = Cancel::new(latest[slot.index()].clone(), gen);
        if cancel.is_cancelled() {
            continue;
        }
        let output = match job {
            Job::View {
                kind,
                ledger,
                query,
                sort,
                rules,
                target,
            } => match views::compute(&ledger, kind, &query, sort, rules, target, &cancel) {
                Some(r) => Output::View(kind, Box::new(r)),
                None => continue,
            },
            Job::Report { ledger, request } => {
                Output::Report(Box::new(reports::compute(&ledger, &request)))
            }
            Job::OpenInvoices {
                ledger,
                party,
                currency,
                direction,
                today,
            } => Output::OpenInvoices(
                (party, currency, direction),
                crate::ops::open_invoices_for(&ledger, party, currency, direction, today),
            ),
            Job::Banner { ledger, today } => Output::Banner(views::Banner::compute(&ledger, today)),
            Job::Matching { ledger, today } => {
                Output::Matching(super::matching::compute(&ledger, today))
            }
        };
        if done.send(Done { slot, gen, output }).is_err() {
            return;
        }
    }
}
