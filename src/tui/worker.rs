//! The worker thread: list computations, reports and form look-ups run here, off the UI
//! thread. Each kind of job has a slot; a newer request in a slot supersedes (and
//! cancels) the older one, so typing in the filter bar never queues stale work.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Weak};
use std::thread;

use time::Date;

use super::reports::{self, ReportData, ReportRequest};
use super::views::{self, Base, Cancel, ListKind, PartyStats, SortSpec, Target, Total, ViewResult};
use crate::domain::ledger::Ledger;
use crate::domain::{Currency, Direction, InvoiceId, PartyId, StatusRules};
use crate::query::{Query, WordMemo};

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
    /// The top rows of a list result still being computed (see [`views::preview_from`]):
    /// no totals yet; the full result follows under the same generation.
    ViewPreview(ListKind, Box<ViewResult>),
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
            if !matches!(d.output, Output::ViewPreview(..)) {
                self.pending[i] = false;
            }
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
    let mut cache: [ViewCache; 4] = Default::default();
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
            } => {
                let c = &mut cache[kind.index()];
                let mut preview = |r: ViewResult| {
                    let output = Output::ViewPreview(kind, Box::new(r));
                    let _ = done.send(Done { slot, gen, output });
                };
                match c.compute(
                    &ledger,
                    kind,
                    query,
                    sort,
                    rules,
                    target,
                    &cancel,
                    &mut preview,
                ) {
                    Some(r) => Output::View(kind, Box::new(r)),
                    None => continue,
                }
            }
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

/// Per-party figures with the ledger (held weakly) and rules they were computed for.
type PartyStatsFor = (Weak<Ledger>, StatusRules, Arc<HashMap<PartyId, PartyStats>>);

/// Earlier results of one list kept by the worker, so the next computation can start from
/// them: typing a letter filters the previous result's rows instead of every record, going
/// back (backspace) finds the earlier result itself, and a subset of sorted rows needs no
/// sort. Only results over the current ledger and rules are kept (a ledger is held
/// weakly, never kept alive by the cache).
#[derive(Default)]
struct ViewCache {
    entries: Vec<CacheEntry>,
    /// The parties list's per-party figures, which do not depend on the filter.
    stats: Option<PartyStatsFor>,
    /// Invoice numbers matching earlier fuzzy words, for the ledger it was made for.
    memo: Option<(Weak<Ledger>, WordMemo)>,
}

struct CacheEntry {
    ledger: Weak<Ledger>,
    rules: StatusRules,
    query: Query,
    sort: SortSpec,
    rows: Vec<u32>,
    totals: Vec<Total>,
}

/// Results kept per list, newest first.
const CACHE_ENTRIES: usize = 8;
/// Rows kept per list over all its results (4 bytes each).
const CACHE_ROWS: usize = 4_000_000;

impl ViewCache {
    #[allow(clippy::too_many_arguments)]
    fn compute(
        &mut self,
        ledger: &Arc<Ledger>,
        kind: ListKind,
        query: Query,
        sort: SortSpec,
        rules: StatusRules,
        target: Option<Target>,
        cancel: &Cancel,
        preview: &mut dyn FnMut(ViewResult),
    ) -> Option<ViewResult> {
        if kind == ListKind::Reminders {
            return views::compute(ledger, kind, &query, sort, rules, target, cancel);
        }
        let current = |l: &Weak<Ledger>, r: &StatusRules| {
            std::ptr::eq(l.as_ptr(), Arc::as_ptr(ledger)) && *r == rules
        };
        self.entries.retain(|e| current(&e.ledger, &e.rules));
        if self.stats.as_ref().is_some_and(|(l, r, _)| !current(l, r)) {
            self.stats = None;
        }
        // (only payment filters match words against invoice numbers)
        if kind == ListKind::Payments
            && self
                .memo
                .as_ref()
                .is_none_or(|(l, _)| !std::ptr::eq(l.as_ptr(), Arc::as_ptr(ledger)))
        {
            self.memo = Some((Arc::downgrade(ledger), WordMemo::for_ledger(ledger)));
        }
        let stats = self.stats.as_ref().map(|s| s.2.clone());
        if let Some(i) = self
            .entries
            .iter()
            .position(|e| e.query == query && e.sort == sort)
        {
            let e = self.entries.remove(i);
            let result = ViewResult {
                rows: e.rows.clone(),
                totals: e.totals.clone(),
                party_stats: if kind == ListKind::Parties {
                    stats.clone()
                } else {
                    None
                },
                target_row: target.and_then(|t| views::find_target(ledger, kind, &e.rows, t)),
                reminders: None,
            };
            if kind != ListKind::Parties || result.party_stats.is_some() {
                self.entries.insert(0, e);
                return Some(result);
            }
        }
        let base = self
            .entries
            .iter()
            .filter(|e| query.narrows(&e.query))
            .min_by_key(|e| e.rows.len())
            .map(|e| Base {
                rows: &e.rows,
                sort: e.sort,
            });
        let memo = self
            .memo
            .as_ref()
            .filter(|(l, _)| std::ptr::eq(l.as_ptr(), Arc::as_ptr(ledger)))
            .map(|m| &m.1);
        if let Some(p) = views::preview_from(ledger, kind, &query, sort, rules, base, memo, cancel)
        {
            preview(p);
        }
        let r = views::compute_from(
            ledger, kind, &query, sort, rules, target, base, stats, memo, cancel,
        )?;
        if let Some(st) = &r.party_stats {
            self.stats = Some((Arc::downgrade(ledger), rules, st.clone()));
        }
        self.entries.insert(
            0,
            CacheEntry {
                ledger: Arc::downgrade(ledger),
                rules,
                query,
                sort,
                rows: r.rows.clone(),
                totals: r.totals.clone(),
            },
        );
        let mut kept = 0;
        let mut n = 0;
        self.entries.retain(|e| {
            n += 1;
            kept += e.rows.len();
            n <= CACHE_ENTRIES && (n == 1 || kept <= CACHE_ROWS)
        });
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{self, DemoConfig};
    use crate::query::parse;

    fn ledger(payments: usize) -> Arc<Ledger> {
        let cfg = DemoConfig {
            seed: demo::DEFAULT_SEED,
            payments,
            today: time::macros::date!(2025 - 06 - 30),
        };
        Arc::new(demo::generate(&cfg).into_ledger().0)
    }

    fn rules() -> StatusRules {
        StatusRules::new(time::macros::date!(2025 - 06 - 30))
    }

    /// Runs `steps` (filter text, sort) through one cache, as typing does, and checks
    /// each result against a computation from scratch.
    fn check(l: &Arc<Ledger>, kind: ListKind, steps: &[(&str, SortSpec)]) {
        let mut cache = ViewCache::default();
        let never = Cancel::never();
        let mut parsed = 0;
        for (text, sort) in steps {
            // the app keeps the last result while the text does not parse (`-`, `party:`)
            let Ok(q) = parse(text) else { continue };
            parsed += 1;
            let target = match kind {
                ListKind::Payments => Some(Target::Payment(l.payments()[7].id)),
                ListKind::Invoices => Some(Target::Invoice(l.invoices()[7].id)),
                _ => None,
            };
            let got = cache
                .compute(
                    l,
                    kind,
                    q.clone(),
                    *sort,
                    rules(),
                    target,
                    &never,
                    &mut |_| {},
                )
                .unwrap();
            let want = views::compute(l, kind, &q, *sort, rules(), target, &never).unwrap();
            assert_eq!(got.rows, want.rows, "{kind:?} `{text}` {sort:?}");
            assert_eq!(got.totals, want.totals, "{kind:?} `{text}`");
            assert_eq!(got.target_row, want.target_row, "{kind:?} `{text}`");
            assert_eq!(
                got.party_stats.as_deref(),
                want.party_stats.as_deref(),
                "{kind:?} `{text}`"
            );
        }
        assert!(parsed + 2 >= steps.len());
    }

    const NEWEST: SortSpec = SortSpec {
        column: 0,
        desc: true,
    };

    fn typed(word: &str, prefix: &str) -> Vec<String> {
        let mut out: Vec<String> = (0..=word.len())
            .map(|n| format!("{prefix}{}", &word[..n]))
            .collect();
        let back: Vec<String> = out.iter().rev().skip(1).cloned().collect();
        out.extend(back);
        out
    }

    #[test]
    fn typing_and_erasing_a_word_gives_the_full_results() {
        let l = ledger(40_000);
        for (word, prefix) in [
            ("garden", ""),
            ("sepa", "method:bank_transfer "),
            ("gmbh", "-"),
            ("inv", "sepa -"),
            ("ab", "status:overdue "),
            ("hansa", "party:"),
            ("ca", "-party:"),
        ] {
            let steps = typed(word, prefix);
            let steps: Vec<(&str, SortSpec)> = steps.iter().map(|s| (s.as_str(), NEWEST)).collect();
            check(&l, ListKind::Payments, &steps);
        }
    }

    #[test]
    fn narrowing_under_other_sorts_keeps_their_order() {
        let l = ledger(40_000);
        let by = |column, desc| SortSpec { column, desc };
        // amount ties keep ledger order; a new sort over a narrowed base is resorted
        check(
            &l,
            ListKind::Payments,
            &[
                ("", by(2, false)),
                ("s", by(2, false)),
                ("se", by(2, true)),
                ("sep", by(2, true)),
                ("sep", by(1, false)),
                ("sepa", by(1, false)),
                ("sepa", by(5, true)),
                ("sepa amount:>100", by(5, true)),
                ("sep", by(3, false)),
                ("", by(4, true)),
            ],
        );
        check(
            &l,
            ListKind::Invoices,
            &[
                ("", by(0, true)),
                ("i", by(5, false)),
                ("in", by(5, false)),
                ("in status:open", by(6, true)),
                ("in status:open,overdue", by(6, true)),
                ("inv", by(2, false)),
                ("-inv", by(2, false)),
                ("-in", by(2, false)),
                ("-i", by(1, true)),
            ],
        );
        check(
            &l,
            ListKind::Parties,
            &[
                ("", by(0, false)),
                ("a", by(0, false)),
                ("ac", by(2, true)),
                ("ac", by(3, true)),
                ("a", by(3, true)),
                ("-a", by(1, false)),
                ("", by(0, false)),
            ],
        );
    }

    #[test]
    fn a_new_ledger_is_not_narrowed_from_the_old_one() {
        let l = ledger(20_000);
        let mut cache = ViewCache::default();
        let never = Cancel::never();
        let q = parse("s").unwrap();
        let before = cache
            .compute(
                &l,
                ListKind::Payments,
                q.clone(),
                NEWEST,
                rules(),
                None,
                &never,
                &mut |_| {},
            )
            .unwrap();
        // the same records minus the newest half: an edit gives a new ledger snapshot
        let half = Arc::new(Ledger::from_records(
            l.parties().to_vec(),
            l.invoices().to_vec(),
            l.payments()[..10_000].to_vec(),
        ));
        let q2 = parse("se").unwrap();
        let got = cache
            .compute(
                &half,
                ListKind::Payments,
                q2.clone(),
                NEWEST,
                rules(),
                None,
                &never,
                &mut |_| {},
            )
            .unwrap();
        let want = views::compute(
            &half,
            ListKind::Payments,
            &q2,
            NEWEST,
            rules(),
            None,
            &never,
        )
        .unwrap();
        assert_eq!(got.rows, want.rows);
        assert!(got.rows.iter().all(|&r| (r as usize) < 10_000));
        assert!(before.rows.iter().any(|&r| r as usize >= 10_000));
        // and the same query again is not answered from the old ledger's entry
        let again = cache
            .compute(
                &half,
                ListKind::Payments,
                q,
                NEWEST,
                rules(),
                None,
                &never,
                &mut |_| {},
            )
            .unwrap();
        assert!(again.rows.len() < before.rows.len());
    }

    #[test]
    fn a_preview_is_the_top_of_the_result_that_follows() {
        let l = ledger(60_000);
        let never = Cancel::never();
        let mut cache = ViewCache::default();
        let mut previews = Vec::new();
        let mut previewed = Vec::new();
        for text in ["", "g", "ga", "-ga", "s"] {
            let q = parse(text).unwrap();
            let got = cache
                .compute(
                    &l,
                    ListKind::Payments,
                    q.clone(),
                    NEWEST,
                    rules(),
                    None,
                    &never,
                    &mut |p| previews.push((text, p)),
                )
                .unwrap();
            let want =
                views::compute(&l, ListKind::Payments, &q, NEWEST, rules(), None, &never).unwrap();
            assert_eq!(got.rows, want.rows, "`{text}`");
            for (t, p) in previews.drain(..) {
                assert_eq!(t, text);
                previewed.push(t);
                assert_eq!(p.rows.len(), views::PREVIEW_ROWS.max(p.rows.len()));
                assert!(p.totals.is_empty(), "a preview has no totals yet");
                assert!(want.rows.starts_with(&p.rows), "`{text}`: not the top rows");
            }
        }
        // narrowed from the whole list, which is large enough for a preview
        assert!(
            previewed.contains(&"g") && previewed.contains(&"s"),
            "{previewed:?}"
        );
        assert!(!previewed.contains(&""), "nothing to narrow from at first");
    }

    #[test]
    fn a_superseded_computation_stops() {
        let l = ledger(40_000);
        let latest = Arc::new(AtomicU64::new(2));
        let stale = Cancel::new(latest, 1);
        let q = parse("garden").unwrap();
        let r = views::compute(&l, ListKind::Payments, &q, NEWEST, rules(), None, &stale);
        assert!(r.is_none());
        let mut cache = ViewCache::default();
        let r = cache.compute(
            &l,
            ListKind::Invoices,
            q,
            NEWEST,
            rules(),
            None,
            &stale,
            &mut |_| {},
        );
        assert!(r.is_none());
        assert!(cache.entries.is_empty(), "a cancelled result is not kept");
    }
}
