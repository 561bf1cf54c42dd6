//! The app state and `update(action)`: everything the TUI knows and does, without a
//! terminal. The event loop feeds it keys, clicks and worker results; `ui` draws it.

use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;
use time::Date;

use super::action::Action;
use super::config::ConfigWarning;
use super::form::{Form, FormCtx, FormKind, OpenKey};
use super::import::{DialogEffect, ImportDialog};
use super::input::TextInput;
use super::keymap::{Context, KeyChord, Keymap, Lookup};
use super::matching::MatchQueue;
use super::persist::Persistence;
use super::reports::{Drill, Effect, ReportsState};
use super::theme::Styles;
use super::views::{Banner, ListKind, SortSpec, Target, ViewResult};
use super::worker::{Job, Output, Slot, Worker};
use crate::domain::ledger::Ledger;
use crate::domain::{ChangeSet, IdSeq, InvoiceId, PartyId, SavedFilter, StatusRules};
use crate::ops::{self, OpError};
use crate::query::{self, Query, QueryError};

#[path = "live.rs"]
mod live;
pub use live::{Conflict, ConflictChoice};

/// How long the filter waits after a keystroke before recomputing (short: the worker
/// narrows the previous result and a newer request cancels a running one).
pub const FILTER_DEBOUNCE: Duration = Duration::from_millis(10);

/// Payments shown before the full load finishes.
pub const PREVIEW_PAYMENTS: usize = 200;

/// The tabs, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tab {
    /// Payments list.
    Payments,
    /// Invoices list.
    Invoices,
    /// Parties list.
    Parties,
    /// Saved filters.
    Filters,
    /// Aging and monthly totals.
    Reports,
    /// Overdue and due-soon invoices.
    Reminders,
}

impl Tab {
    /// Every tab in bar order.
    pub const ALL: [Tab; 6] = [
        Tab::Payments,
        Tab::Invoices,
        Tab::Parties,
        Tab::Filters,
        Tab::Reports,
        Tab::Reminders,
    ];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Payments => "Payments",
            Tab::Invoices => "Invoices",
            Tab::Parties => "Parties",
            Tab::Filters => "Filters",
            Tab::Reports => "Reports",
            Tab::Reminders => "Reminders",
        }
    }

    /// Parses a tab name (`payments`, `reports`...) or its number (`1`-`6`).
    pub fn from_name(s: &str) -> Option<Tab> {
        let t = s.trim().to_ascii_lowercase();
        Tab::ALL.into_iter().enumerate().find_map(|(i, tab)| {
            (tab.title().to_ascii_lowercase() == t || (i + 1).to_string() == t).then_some(tab)
        })
    }

    /// The list this tab shows, if it is a list tab.
    pub fn list(self) -> Option<ListKind> {
        match self {
            Tab::Payments => Some(ListKind::Payments),
            Tab::Invoices => Some(ListKind::Invoices),
            Tab::Parties => Some(ListKind::Parties),
            Tab::Reminders => Some(ListKind::Reminders),
            Tab::Filters | Tab::Reports => None,
        }
    }

    fn of_list(k: ListKind) -> Tab {
        match k {
            ListKind::Payments => Tab::Payments,
            ListKind::Invoices => Tab::Invoices,
            ListKind::Parties => Tab::Parties,
            ListKind::Reminders => Tab::Reminders,
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// One list's filter, sort, result and scroll position.
#[derive(Clone, Debug)]
pub struct ListState {
    /// Which list.
    pub kind: ListKind,
    /// Filter text in force.
    pub filter: String,
    /// Parsed filter in force.
    pub query: Query,
    /// Fuzzy words of the filter, for highlighting.
    pub words: Vec<String>,
    /// Why the filter text being typed does not parse.
    pub error: Option<QueryError>,
    /// Sort.
    pub sort: SortSpec,
    /// The latest result.
    pub result: ViewResult,
    /// Whether a result has arrived for the current ledger.
    pub fresh: bool,
    /// The rows shown are a preview: the top of a result whose counts and totals are
    /// still being computed.
    pub partial: bool,
    /// Results (previews included) shown so far.
    pub results: u64,
    /// Selected row.
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
    /// Detail pane open.
    pub detail: bool,
    /// Visible rows at the last draw.
    pub height: usize,
    reset_on_result: bool,
    pending_target: Option<Target>,
}

impl ListState {
    fn new(kind: ListKind) -> ListState {
        ListState {
            kind,
            filter: String::new(),
            query: Query::default(),
            words: Vec::new(),
            error: None,
            sort: kind.default_sort(),
            result: ViewResult::default(),
            fresh: false,
            partial: false,
            results: 0,
            selected: 0,
            offset: 0,
            detail: false,
            height: 10,
            reset_on_result: false,
            pending_target: None,
        }
    }

    /// Shows a result from the worker (a preview of one when `partial`).
    fn show(&mut self, r: ViewResult, partial: bool) {
        let target = r.target_row;
        self.result = r;
        self.fresh = true;
        self.partial = partial;
        self.results += 1;
        if self.reset_on_result {
            self.selected = 0;
            self.offset = 0;
            // the full result after a preview starts at the top as well
            self.reset_on_result = partial;
        } else if let Some(t) = target {
            self.selected = t;
        }
        let h = self.height;
        self.scroll_into_view(h);
    }

    /// Rows shown.
    pub fn len(&self) -> usize {
        self.result.rows.len()
    }

    /// Whether nothing is shown.
    pub fn is_empty(&self) -> bool {
        self.result.rows.is_empty()
    }

    /// Ledger position of the selected record.
    pub fn selected_pos(&self) -> Option<usize> {
        self.result.rows.get(self.selected).map(|&r| r as usize)
    }

    fn move_by(&mut self, d: isize) {
        let n = self.len();
        if n == 0 {
            self.selected = 0;
            return;
        }
        let s = (self.selected as isize + d).clamp(0, n as isize - 1);
        self.selected = s as usize;
    }

    /// Keeps the selection inside the rows and visible in a viewport of `height`.
    pub fn scroll_into_view(&mut self, height: usize) {
        self.height = height.max(1);
        let n = self.len();
        if n == 0 {
            self.selected = 0;
            self.offset = 0;
            return;
        }
        self.selected = self.selected.min(n - 1);
        if self.selected < self.offset {
            self.offset = self.selected;
        }
        if self.selected >= self.offset + self.height {
            self.offset = self.selected + 1 - self.height;
        }
        self.offset = self.offset.min(n.saturating_sub(1));
    }
}

/// The filter bar while it is open.
#[derive(Clone, Debug)]
pub struct FilterBar {
    /// The list it filters.
    pub list: ListKind,
    /// Text being typed.
    pub input: TextInput,
    /// Filter in force when the bar opened (restored on cancel).
    pub original: String,
    /// When to recompute (debounce).
    pub deadline: Option<Instant>,
}

/// What a confirmation dialog does on "yes".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    /// Close the form without saving.
    Discard,
    /// Save the form, creating the new party it names.
    CreateParty,
    /// Delete a record.
    Delete(Target),
    /// Delete an invoice and remove the allocations to it.
    ForceDeleteInvoice(InvoiceId),
    /// Delete a party with its invoices and payments.
    ForceDeleteParty(PartyId),
    /// Delete a saved filter.
    DeleteFilter(String),
}

/// A yes/no question.
#[derive(Clone, Debug)]
pub struct Confirm {
    /// The question.
    pub message: String,
    /// What "yes" does.
    pub on_yes: Pending,
}

/// What a one-line prompt asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// Snooze these invoices until a date (empty: clear).
    Snooze(Vec<InvoiceId>),
    /// A promise-to-pay date for these invoices (empty: clear).
    Promise(Vec<InvoiceId>),
    /// A change to the reminder ladder: `[rec|pay] OFFSET NAME [| SUBJECT [| BODY]]`,
    /// `[rec|pay] del OFFSET`, or `min AMOUNT`.
    Ladder,
}

/// A one-line text prompt (drawn like the filter bar).
#[derive(Clone, Debug)]
pub struct Prompt {
    /// What it asks for.
    pub kind: PromptKind,
    /// The question.
    pub title: String,
    /// The text being typed.
    pub input: TextInput,
    /// Why the last submitted text was refused.
    pub error: Option<String>,
}

/// A line for the user at the bottom of the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Neutral.
    Info(String),
    /// Something worked.
    Success(String),
    /// Something failed.
    Error(String),
}

impl Message {
    /// The text.
    pub fn text(&self) -> &str {
        match self {
            Message::Info(s) | Message::Success(s) | Message::Error(s) => s,
        }
    }
}

/// Screen areas from the last draw, for mouse hits.
#[derive(Clone, Debug, Default)]
pub struct HitAreas {
    /// Tab bar entries.
    pub tabs: Vec<(Rect, Tab)>,
    /// Table body rows (without header).
    pub rows: Rect,
}

/// Read-only data for drawing.
#[derive(Clone, Copy)]
pub struct DrawCtx<'a> {
    /// The ledger.
    pub ledger: &'a Ledger,
    /// Styles.
    pub styles: &'a Styles,
    /// Status rules as of today.
    pub rules: StatusRules,
    /// Today.
    pub today: Date,
}

/// What the app needs to start.
pub struct AppConfig {
    /// Storage.
    pub persist: Arc<dyn Persistence>,
    /// The as-of date.
    pub today: Date,
    /// Active keymap.
    pub keymap: Keymap,
    /// Resolved theme.
    pub styles: Styles,
    /// Problems found in config files, shown at start.
    pub warnings: Vec<ConfigWarning>,
    /// Filter to apply at start.
    pub filter: Option<String>,
    /// Tab to open (name or number).
    pub tab: Option<String>,
}

/// The whole TUI state.
pub struct App {
    persist: Arc<dyn Persistence>,
    /// As-of date.
    pub today: Date,
    /// Active keymap.
    pub keymap: Keymap,
    /// Theme styles.
    pub styles: Styles,
    ledger: Arc<Ledger>,
    /// Whether the full ledger is in memory.
    pub loaded: bool,
    load_rx: Option<Receiver<anyhow::Result<(Ledger, super::persist::Generation)>>>,
    bg_rx: Option<Receiver<Background>>,
    ids: IdSeq,
    /// Active tab.
    pub tab: Tab,
    last_list: ListKind,
    lists: Vec<ListState>,
    /// Saved filters.
    pub filters: Vec<SavedFilter>,
    /// Selected saved filter.
    pub filter_sel: usize,
    /// The Reports tab: report shown, options, selections and results.
    pub reports: ReportsState,
    /// Open form.
    pub form: Option<Form>,
    form_open_req: Option<OpenKey>,
    /// Open filter bar.
    pub filter_bar: Option<FilterBar>,
    /// Open dialog.
    pub confirm: Option<Confirm>,
    /// Help overlay scroll, when shown.
    pub help: Option<usize>,
    /// Keys of an unfinished sequence.
    pub pending_keys: Vec<KeyChord>,
    /// Bottom-line message.
    pub message: Option<Message>,
    /// Config problems.
    pub warnings: Vec<ConfigWarning>,
    undo: Vec<(String, ChangeSet)>,
    worker: Worker,
    quit: bool,
    /// Spinner frame.
    pub spinner: usize,
    /// Mouse hit areas from the last draw.
    pub hits: HitAreas,
    /// The matching queue, while open (shown on the Payments tab).
    pub matching: Option<MatchQueue>,
    /// Open one-line prompt (snooze, promise, ladder).
    pub prompt: Option<Prompt>,
    banner: Option<Banner>,
    banner_dismissed: bool,
    live: live::Live,
    /// The dialog shown when a form's record was changed by another session.
    pub conflict: Option<Conflict>,
    /// The import dialog, while open.
    pub import: Option<ImportDialog>,
    /// The safety copy the last commit wrote (a bulk change), for the message about it.
    copy_note: Option<String>,
    /// What opening the store did that the user must be told (a safety copy before a
    /// schema migration); shown at start and printed when the TUI ends.
    pub notes: Vec<String>,
    /// Where the user's import profiles are (`profiles` in the config dir).
    pub import_profile_dir: Option<std::path::PathBuf>,
}

/// Work done on a short-lived thread so the UI thread never touches the whole ledger.
enum Background {
    /// A planned change set (operations that scan the ledger), with its label.
    Planned(Result<ChangeSet, OpError>, String),
    /// The party to delete has invoices or payments (how many): ask before deleting
    /// them too.
    PartyInUse(PartyId, usize, usize),
}

fn op_err(e: OpError) -> String {
    e.to_string()
}

/// Why a change set needs a safety copy first: it changes more than one party, invoice
/// or payment (see [`crate::store::safety::is_bulk`]).
fn bulk_reason(set: &ChangeSet) -> Option<&'static str> {
    use crate::domain::Change;
    if !crate::store::safety::is_bulk(set) {
        return None;
    }
    let deletes = set.changes.iter().any(|c| {
        matches!(
            c,
            Change::DeleteParty(_) | Change::DeleteInvoice(_) | Change::DeletePayment(_)
        )
    });
    Some(if deletes {
        "bulk delete"
    } else {
        "bulk change"
    })
}

impl App {
    /// Starts the app: shows the newest payments and all parties at once and loads the
    /// full ledger on a background thread.
    pub fn new(cfg: AppConfig) -> App {
        let mut message = None;
        let (parties, recent) = match cfg.persist.preview(PREVIEW_PAYMENTS) {
            Ok(x) => x,
            Err(e) => {
                message = Some(Message::Error(format!("cannot read the store: {e:#}")));
                (Vec::new(), Vec::new())
            }
        };
        let mut recent = recent;
        recent.sort_by_key(|p| p.id);
        let preview = Ledger::from_records(parties, Vec::new(), recent);
        let filters = cfg.persist.saved_filters().unwrap_or_default();
        let ids = cfg.persist.ids().unwrap_or_default();
        // Subscribe before loading: nothing committed after the load is missed.
        let live = live::Live::new(&cfg.persist);
        let (tx, rx) = mpsc::channel();
        let p2 = cfg.persist.clone();
        let spawned = std::thread::Builder::new()
            .name("paytrack-load".into())
            .spawn(move || {
                let _ = tx.send(p2.load_generation());
            });
        if let Err(e) = spawned {
            message = Some(Message::Error(format!("cannot start the loader: {e}")));
        }
        let notes = cfg.persist.take_notes();
        if !notes.is_empty() {
            message = Some(Message::Info(
                notes
                    .iter()
                    .map(|n| crate::store::safety::short_note(n))
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        if let Some(w) = cfg.warnings.first() {
            let more = cfg.warnings.len() - 1;
            let extra = if more > 0 {
                format!(" (+{more} more, see ?)")
            } else {
                String::new()
            };
            let after = match &message {
                Some(Message::Info(n)) => format!("; {n}"),
                _ => String::new(),
            };
            message = Some(Message::Error(format!("{w}{extra}{after}")));
        }
        let mut app = App {
            persist: cfg.persist,
            today: cfg.today,
            keymap: cfg.keymap,
            styles: cfg.styles,
            ledger: Arc::new(preview),
            loaded: false,
            load_rx: Some(rx),
            bg_rx: None,
            ids,
            tab: Tab::Payments,
            last_list: ListKind::Payments,
            lists: ListKind::ALL.iter().map(|k| ListState::new(*k)).collect(),
            filters,
            filter_sel: 0,
            reports: ReportsState::new(),
            form: None,
            form_open_req: None,
            filter_bar: None,
            confirm: None,
            help: None,
            pending_keys: Vec::new(),
            message,
            warnings: cfg.warnings,
            notes,
            copy_note: None,
            undo: Vec::new(),
            worker: Worker::start(),
            quit: false,
            spinner: 0,
            hits: HitAreas::default(),
            matching: None,
            prompt: None,
            banner: None,
            banner_dismissed: false,
            live,
            conflict: None,
            import: None,
            import_profile_dir: super::config::config_dir(None).map(|d| d.join("profiles")),
        };
        if let Some(t) = cfg.tab.as_deref() {
            match Tab::from_name(t) {
                Some(tab) => app.tab = tab,
                None => {
                    app.message = Some(Message::Error(format!(
                    "unknown tab '{t}' (payments, invoices, parties, filters, reports, reminders)"
                )))
                }
            }
        }
        if let Some(k) = app.tab.list() {
            app.last_list = k;
        }
        if let Some(f) = cfg.filter.as_deref() {
            let k = app.last_list;
            if let Err(e) = app.set_filter(k, f) {
                app.message = Some(Message::Error(format!("filter: {}", e.message)));
            }
        }
        app.refresh_visible();
        app
    }

    /// The ledger in memory (the preview until the full load finishes).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// A shared handle on the current ledger snapshot (it stays unchanged by later edits,
    /// which then apply to a copy).
    pub fn ledger_handle(&self) -> Arc<Ledger> {
        self.ledger.clone()
    }

    /// The state of a list.
    pub fn list(&self, k: ListKind) -> &ListState {
        &self.lists[k.index()]
    }

    fn list_mut(&mut self, k: ListKind) -> &mut ListState {
        &mut self.lists[k.index()]
    }

    /// What a screen needs to draw list `k`: read access to the data and the list's
    /// scroll state.
    pub fn draw_parts(&mut self, k: ListKind) -> (DrawCtx<'_>, &mut ListState) {
        let ctx = DrawCtx {
            ledger: &self.ledger,
            styles: &self.styles,
            rules: StatusRules::new(self.today),
            today: self.today,
        };
        (ctx, &mut self.lists[k.index()])
    }

    /// Status rules as of today.
    pub fn rules(&self) -> StatusRules {
        StatusRules::new(self.today)
    }

    /// Whether the app should exit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether background work is running (for the progress indicator).
    pub fn busy(&self) -> bool {
        !self.loaded
            || self.bg_rx.is_some()
            || self.live.busy()
            || self.worker.busy()
            || self.import.as_ref().is_some_and(ImportDialog::running)
            || self
                .filter_bar
                .as_ref()
                .is_some_and(|b| b.deadline.is_some())
    }

    /// Whether the list `k` is being recomputed.
    pub fn computing(&self, k: ListKind) -> bool {
        self.worker.is_pending(Slot::View(k))
    }

    /// Whether the reports are being computed.
    pub fn report_pending(&self) -> bool {
        self.worker.is_pending(Slot::Report)
    }

    /// The undo labels, newest last.
    pub fn undo_labels(&self) -> Vec<&str> {
        self.undo.iter().map(|(l, _)| l.as_str()).collect()
    }

    /// The list the current tab shows.
    pub fn current_list(&self) -> Option<ListKind> {
        self.tab.list()
    }

    // ---- background work -------------------------------------------------------------

    fn request(&mut self, k: ListKind, target: Option<Target>) {
        let l = &self.lists[k.index()];
        let job = Job::View {
            kind: k,
            ledger: self.ledger.clone(),
            query: l.query.clone(),
            sort: l.sort,
            rules: self.rules(),
            target,
        };
        self.worker.submit(job);
    }

    fn selected_target(&self, k: ListKind) -> Option<Target> {
        let l = self.list(k);
        let pos = l.selected_pos()?;
        match k {
            ListKind::Payments => self
                .ledger
                .payments()
                .get(pos)
                .map(|p| Target::Payment(p.id)),
            ListKind::Invoices => self
                .ledger
                .invoices()
                .get(pos)
                .map(|i| Target::Invoice(i.id)),
            ListKind::Reminders => l
                .result
                .reminders
                .as_ref()
                .and_then(|r| r.get(pos))
                .and_then(|r| r.invoices.first())
                .map(|i| Target::Invoice(i.invoice)),
            ListKind::Parties => self.ledger.parties().get(pos).map(|p| Target::Party(p.id)),
        }
    }

    /// The reminders banner, until the first key after it appeared.
    pub fn banner(&self) -> Option<&Banner> {
        self.banner.as_ref().filter(|_| !self.banner_dismissed)
    }

    /// The selected due reminder on the Reminders tab.
    pub fn selected_reminder(&self) -> Option<&crate::domain::reminders::Reminder> {
        let l = self.list(ListKind::Reminders);
        let pos = l.selected_pos()?;
        l.result.reminders.as_ref()?.get(pos)
    }

    fn request_matching(&mut self) {
        if self.matching.is_some() {
            self.worker.submit(Job::Matching {
                ledger: self.ledger.clone(),
                today: self.today,
            });
        }
    }

    /// Recomputes what the current tab shows if it is out of date.
    fn refresh_visible(&mut self) {
        if let Some(k) = self.tab.list() {
            if !self.lists[k.index()].fresh && !self.worker.is_pending(Slot::View(k)) {
                let t = self.lists[k.index()]
                    .pending_target
                    .take()
                    .or_else(|| self.selected_target(k));
                self.request(k, t);
            }
        }
        if self.tab == Tab::Reports {
            self.request_report();
        }
    }

    /// Asks the worker for the report shown if it is missing or out of date.
    fn request_report(&mut self) {
        if let Some(request) = self.reports.to_submit(self.today) {
            self.worker.submit(Job::Report {
                ledger: self.ledger.clone(),
                request,
            });
        }
    }

    /// The selected record of every list (taken before the ledger changes, since
    /// positions may move).
    fn selected_targets(&self) -> Vec<Option<Target>> {
        ListKind::ALL
            .iter()
            .map(|k| self.selected_target(*k))
            .collect()
    }

    /// After the ledger changed: every list is stale; each will select `target` if it
    /// shows that kind of record, else the record it had selected (`before`).
    fn ledger_changed(&mut self, target: Option<Target>, before: Vec<Option<Target>>) {
        for (i, l) in self.lists.iter_mut().enumerate() {
            l.fresh = false;
            let mine = target.filter(|t| {
                matches!(
                    (l.kind, t),
                    (ListKind::Payments, Target::Payment(_))
                        | (ListKind::Invoices | ListKind::Reminders, Target::Invoice(_))
                        | (ListKind::Parties, Target::Party(_))
                )
            });
            l.pending_target = mine.or(before.get(i).copied().flatten());
        }
        self.reports.ledger_changed();
        // Results computed against the old ledger must not land.
        for k in ListKind::ALL {
            self.worker.cancel(Slot::View(k));
        }
        self.worker.cancel(Slot::Report);
        self.worker.cancel(Slot::OpenInvoices);
        self.worker.cancel(Slot::Matching);
        self.request_matching();
        // Supersede whatever was computing against the old ledger.
        if let Some(k) = self.tab.list() {
            let t = self.lists[k.index()]
                .pending_target
                .take()
                .or_else(|| self.selected_target(k));
            self.request(k, t);
        }
        if self.tab == Tab::Reports {
            self.request_report();
        }
        self.form_open_req = None;
    }

    fn on_done(&mut self, output: Output) {
        match output {
            Output::View(k, r) => self.list_mut(k).show(*r, false),
            Output::ViewPreview(k, r) => self.list_mut(k).show(*r, true),
            Output::Report(r) => self.reports.accept(*r),
            Output::OpenInvoices(key, ids) => {
                let ctx = FormCtx {
                    ledger: &self.ledger,
                    today: self.today,
                };
                if let Some(f) = self.form.as_mut() {
                    f.set_open_invoices(ctx, key, ids);
                }
            }
            Output::Banner(b) => self.banner = Some(b),
            Output::Matching(items) => {
                if let Some(q) = self.matching.as_mut() {
                    q.accept(items);
                }
            }
        }
    }

    fn poll_load(&mut self) -> bool {
        let Some(rx) = &self.load_rx else {
            return false;
        };
        match rx.try_recv() {
            Ok(res) => {
                self.load_rx = None;
                self.finish_load(res);
                true
            }
            Err(mpsc::TryRecvError::Empty) => false,
            Err(mpsc::TryRecvError::Disconnected) => {
                self.load_rx = None;
                self.finish_load(Err(anyhow::anyhow!("the loader stopped")));
                true
            }
        }
    }

    fn poll_background(&mut self) -> bool {
        let Some(rx) = &self.bg_rx else {
            return false;
        };
        let msg = match rx.try_recv() {
            Ok(m) => m,
            Err(mpsc::TryRecvError::Empty) => return false,
            Err(mpsc::TryRecvError::Disconnected) => {
                self.bg_rx = None;
                self.message = Some(Message::Error("a background task stopped".into()));
                return true;
            }
        };
        self.bg_rx = None;
        match msg {
            Background::Planned(Ok(set), label) if set.changes.is_empty() => {
                let _ = label;
                self.message = Some(Message::Info(
                    "nothing to apply (no credit, or nothing open)".into(),
                ))
            }
            Background::Planned(Ok(set), label) => match self.commit(set, &label, None) {
                Ok(()) => self.message = Some(Message::Success(format!("{label} (u undoes)"))),
                Err(e) => self.message = Some(Message::Error(e)),
            },
            Background::Planned(Err(e), _) => self.message = Some(Message::Error(e.to_string())),
            Background::PartyInUse(id, invoices, payments) => {
                let what = self.describe(Target::Party(id));
                self.confirm = Some(Confirm {
                    message: format!(
                        "{what} has {invoices} invoice(s) and {payments} payment(s). Delete it with all of them?"
                    ),
                    on_yes: Pending::ForceDeleteParty(id),
                });
            }
        }
        self.note_copy();
        true
    }

    /// Whether a change is still being applied in the background (edits wait for it).
    pub fn applying(&self) -> bool {
        self.bg_rx.is_some() || self.live.applying_own()
    }

    /// Applies a committed change set in memory: in place when nothing else holds the
    /// ledger, else once the worker lets go of it (see `live`).
    fn apply_change(&mut self, set: ChangeSet, target: Option<Target>) {
        self.live_apply_own(set, target);
    }

    fn finish_load(&mut self, res: anyhow::Result<(Ledger, super::persist::Generation)>) {
        match res {
            Ok((l, generation)) => {
                // Keep the records the user is on (positions differ between the ledgers).
                let before = self.selected_targets();
                self.ledger = Arc::new(l);
                self.loaded = true;
                if let Ok(ids) = self.persist.ids() {
                    self.ids = ids;
                }
                self.ids.cover(&self.ledger);
                self.live_loaded(generation);
                self.ledger_changed(None, before);
                self.worker.submit(Job::Banner {
                    ledger: self.ledger.clone(),
                    today: self.today,
                });
            }
            Err(e) => {
                self.message = Some(Message::Error(format!(
                    "could not load the store: {e:#} (showing recent payments only)"
                )));
            }
        }
    }

    /// Applies finished background work and due debounced filters. Returns whether
    /// anything changed on screen.
    pub fn tick(&mut self, now: Instant) -> bool {
        let mut changed = self.poll_load();
        changed |= self.poll_background();
        changed |= self.live_poll(now);
        changed |= self.import.as_mut().is_some_and(ImportDialog::poll);
        if let Some(bar) = &self.filter_bar {
            if bar.deadline.is_some_and(|d| now >= d) {
                self.apply_bar();
                changed = true;
            }
        }
        while let Some(d) = self.worker.try_recv() {
            self.on_done(d.output);
            changed = true;
        }
        if changed {
            self.refresh_visible();
            self.request_open_invoices();
        }
        if self.busy() {
            self.spinner = self.spinner.wrapping_add(1);
        }
        changed
    }

    /// How long the event loop may sleep before the next [`App::tick`].
    pub fn next_wakeup(&self, now: Instant) -> Duration {
        if let Some(d) = self.filter_bar.as_ref().and_then(|b| b.deadline) {
            return d
                .saturating_duration_since(now)
                .min(Duration::from_millis(100));
        }
        if self.tab.list().is_some_and(|k| self.computing(k)) {
            Duration::from_millis(4) // the list being computed shows as soon as it is done
        } else if self.busy() {
            Duration::from_millis(100)
        } else {
            self.live.idle_wakeup()
        }
    }

    /// Blocks until the full load, every pending filter and every requested computation
    /// are done (tests and scripted use). Gives up after `timeout`.
    pub fn settle(&mut self, timeout: Duration) {
        let end = Instant::now() + timeout;
        if let Some(b) = self.filter_bar.as_mut() {
            if b.deadline.is_some() {
                b.deadline = Some(Instant::now());
            }
        }
        loop {
            self.tick(Instant::now());
            if Instant::now() >= end {
                return;
            }
            if let Some(rx) = &self.load_rx {
                let left = end.saturating_duration_since(Instant::now());
                if let Ok(res) = rx.recv_timeout(left) {
                    self.load_rx = None;
                    self.finish_load(res);
                }
                continue;
            }
            if self.bg_rx.is_some()
                || self.live.busy()
                || self.import.as_ref().is_some_and(ImportDialog::running)
            {
                std::thread::sleep(Duration::from_millis(2));
                continue;
            }
            if !self.worker.busy() {
                self.tick(Instant::now());
                if !self.worker.busy() {
                    return;
                }
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            if let Some(d) = self.worker.recv_timeout(left) {
                self.on_done(d.output);
                self.refresh_visible();
                self.request_open_invoices();
            }
        }
    }

    fn request_open_invoices(&mut self) {
        let Some(form) = &self.form else {
            return;
        };
        let Some(key) = form.open_key(&self.ledger) else {
            return;
        };
        let have = form.open_invoices.as_ref().map(|(k, _)| *k);
        if have == Some(key) || self.form_open_req == Some(key) {
            return;
        }
        self.form_open_req = Some(key);
        self.worker.submit(Job::OpenInvoices {
            ledger: self.ledger.clone(),
            party: key.0,
            currency: key.1,
            direction: key.2,
            today: self.today,
        });
    }

    // ---- filters ---------------------------------------------------------------------

    /// Sets a list's filter and recomputes it. Errors leave the old filter in force.
    pub fn set_filter(&mut self, k: ListKind, text: &str) -> Result<(), QueryError> {
        let parsed = query::parse(text).and_then(|q| {
            q.check_applies(k.record_kind())?;
            Ok(q)
        });
        match parsed {
            Ok(q) => {
                let l = self.list_mut(k);
                l.words = q.fuzzy_words();
                l.query = q;
                l.filter = text.trim().to_string();
                l.error = None;
                l.fresh = false;
                l.reset_on_result = true;
                self.request(k, None);
                Ok(())
            }
            Err(e) => {
                self.list_mut(k).error = Some(e.clone());
                Err(e)
            }
        }
    }

    fn apply_bar(&mut self) {
        let Some(bar) = self.filter_bar.as_mut() else {
            return;
        };
        bar.deadline = None;
        let (k, text) = (bar.list, bar.input.text().to_string());
        if self.list(k).filter == text.trim() && self.list(k).error.is_none() {
            return;
        }
        let _ = self.set_filter(k, &text);
    }

    fn open_filter_bar(&mut self) {
        let Some(k) = self.tab.list() else {
            self.message = Some(Message::Info("the filter bar works on lists".into()));
            return;
        };
        let cur = self.list(k).filter.clone();
        self.filter_bar = Some(FilterBar {
            list: k,
            input: TextInput::new(&cur),
            original: cur,
            deadline: None,
        });
    }

    fn filter_bar_action(&mut self, a: Action) {
        let Some(bar) = self.filter_bar.as_mut() else {
            return;
        };
        match a {
            Action::Submit => {
                self.apply_bar();
                let k = self.filter_bar.as_ref().map(|b| b.list);
                if let Some(k) = k {
                    if self.list(k).error.is_some() {
                        // keep the bar open so the error can be fixed
                        return;
                    }
                }
                self.filter_bar = None;
            }
            Action::Cancel | Action::Close => {
                let (k, orig) = (bar.list, bar.original.clone());
                self.filter_bar = None;
                self.list_mut(k).error = None;
                if self.list(k).filter != orig {
                    let _ = self.set_filter(k, &orig);
                }
            }
            other => {
                if let Some(changed) = bar.input.apply(other) {
                    if changed {
                        self.filter_edited();
                    }
                }
            }
        }
    }

    fn filter_edited(&mut self) {
        let Some(bar) = self.filter_bar.as_mut() else {
            return;
        };
        bar.deadline = Some(Instant::now() + FILTER_DEBOUNCE);
        let k = bar.list;
        // Parsing is cheap: show errors at once, evaluate after the debounce.
        let err = query::parse(bar.input.text())
            .and_then(|q| q.check_applies(k.record_kind()))
            .err();
        self.list_mut(k).error = err;
    }

    fn apply_saved(&mut self, f: &SavedFilter) {
        let k = self.tab.list().unwrap_or(self.last_list);
        self.switch_tab(Tab::of_list(k));
        match self.set_filter(k, &f.query) {
            Ok(()) => self.message = Some(Message::Info(format!("filter '{}' applied", f.name))),
            Err(e) => {
                self.message = Some(Message::Error(format!(
                    "filter '{}' does not apply here: {}",
                    f.name, e.message
                )))
            }
        }
    }

    // ---- keys and mouse --------------------------------------------------------------

    /// The keymap contexts in force, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        if self.confirm.is_some() || self.help.is_some() || self.conflict.is_some() {
            vec![Context::Dialog]
        } else if self.import.is_some() {
            vec![Context::Import, Context::Form]
        } else if self.form.is_some() {
            vec![Context::Form]
        } else if self.filter_bar.is_some() || self.prompt.is_some() {
            vec![Context::Filter]
        } else {
            vec![Context::List, Context::Global]
        }
    }

    /// Handles a key press.
    pub fn handle_key(&mut self, ev: KeyEvent) {
        if ev.kind == KeyEventKind::Release || self.conflict_key(&ev) {
            return;
        }
        let chord = KeyChord::from_event(&ev);
        let ctxs = self.contexts();
        self.pending_keys.push(chord);
        match self.keymap.lookup(&ctxs, &self.pending_keys) {
            Lookup::Action(a) => {
                self.pending_keys.clear();
                self.update(a);
            }
            Lookup::Pending => {}
            Lookup::Unbound => {
                let single = self.pending_keys.len() == 1;
                self.pending_keys.clear();
                if !single {
                    return;
                }
                let modal = ctxs[0] != Context::List;
                let special = chord
                    .mods
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                    || matches!(chord.code, KeyCode::F(_));
                if modal && special {
                    if let Lookup::Action(a) = self.keymap.lookup(&[Context::Global], &[chord]) {
                        self.update(a);
                        return;
                    }
                }
                if ctxs[0].is_text() {
                    if let Some(c) = chord.text_char() {
                        self.type_char(c);
                    }
                }
            }
        }
    }

    fn type_char(&mut self, c: char) {
        if let Some(f) = self.form.as_mut() {
            let ctx = FormCtx {
                ledger: &self.ledger,
                today: self.today,
            };
            f.type_char(ctx, c);
            f.error = None;
            self.request_open_invoices();
        } else if let Some(d) = self.import.as_mut() {
            d.type_char(c);
        } else if let Some(bar) = self.filter_bar.as_mut() {
            bar.input.insert(c);
            self.filter_edited();
        } else if let Some(p) = self.prompt.as_mut() {
            p.input.insert(c);
            p.error = None;
        }
    }

    /// Handles pasted text (bracketed paste).
    pub fn handle_paste(&mut self, s: &str) {
        let line: String = s.lines().collect::<Vec<_>>().join(" ");
        if let Some(f) = self.form.as_mut() {
            let ctx = FormCtx {
                ledger: &self.ledger,
                today: self.today,
            };
            f.paste(ctx, &line);
            self.request_open_invoices();
        } else if let Some(d) = self.import.as_mut() {
            d.paste(&line);
        } else if let Some(bar) = self.filter_bar.as_mut() {
            bar.input.insert_str(&line);
            self.filter_edited();
        } else if let Some(p) = self.prompt.as_mut() {
            p.input.insert_str(&line);
        }
    }

    /// Handles a mouse event: clicks on the tab bar and rows, wheel scrolling.
    pub fn handle_mouse(&mut self, m: MouseEvent) {
        if self.form.is_some()
            || self.confirm.is_some()
            || self.help.is_some()
            || self.import.is_some()
        {
            return;
        }
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let hit = self
                    .hits
                    .tabs
                    .iter()
                    .find(|(r, _)| r.contains((m.column, m.row).into()))
                    .map(|(_, t)| *t);
                if let Some(t) = hit {
                    self.switch_tab(t);
                    return;
                }
                let rows = self.hits.rows;
                if rows.contains((m.column, m.row).into()) {
                    let i = (m.row - rows.y) as usize;
                    if let Some(k) = self.tab.list() {
                        let l = self.list_mut(k);
                        let sel = l.offset + i;
                        if sel < l.len() {
                            l.selected = sel;
                        }
                    } else if self.tab == Tab::Filters && i < self.filters.len() {
                        self.filter_sel = i;
                    }
                }
            }
            MouseEventKind::ScrollDown => {
                for _ in 0..3 {
                    self.update(Action::Down);
                }
            }
            MouseEventKind::ScrollUp => {
                for _ in 0..3 {
                    self.update(Action::Up);
                }
            }
            _ => {}
        }
    }

    // ---- update ----------------------------------------------------------------------

    fn switch_tab(&mut self, t: Tab) {
        self.tab = t;
        if let Some(k) = t.list() {
            self.last_list = k;
        }
        self.refresh_visible();
    }

    /// Applies an action to the state.
    pub fn update(&mut self, a: Action) {
        self.update_state(a);
        self.note_copy();
    }

    fn update_state(&mut self, a: Action) {
        if self.conflict.is_some() {
            self.conflict_action(a);
            return;
        }
        if a == Action::Quit && self.confirm.is_none() && self.help.is_none() {
            self.quit = true;
            return;
        }
        if self.confirm.is_some() {
            self.confirm_action(a);
            return;
        }
        if let Some(scroll) = self.help {
            self.help = match a {
                Action::Up => Some(scroll.saturating_sub(1)),
                Action::Down => Some(scroll + 1),
                Action::PageUp => Some(scroll.saturating_sub(10)),
                Action::PageDown => Some(scroll + 10),
                Action::Quit
                | Action::Help
                | Action::Close
                | Action::Deny
                | Action::Cancel
                | Action::Confirm => None,
                _ => Some(scroll),
            };
            return;
        }
        if self.form.is_some() {
            self.form_action(a);
            return;
        }
        if self.import.is_some() {
            self.import_action(a);
            return;
        }
        if self.filter_bar.is_some() {
            self.filter_bar_action(a);
            return;
        }
        if self.prompt.is_some() {
            self.prompt_action(a);
            return;
        }
        self.banner_dismissed |= self.banner.is_some();
        self.message_clear_on(a);
        match a {
            Action::Help => self.help = Some(0),
            Action::NextTab => self.switch_tab(Tab::ALL[(self.tab.index() + 1) % 6]),
            Action::PrevTab => self.switch_tab(Tab::ALL[(self.tab.index() + 5) % 6]),
            Action::TabPayments => self.switch_tab(Tab::Payments),
            Action::TabInvoices => self.switch_tab(Tab::Invoices),
            Action::TabParties => self.switch_tab(Tab::Parties),
            Action::TabFilters => self.switch_tab(Tab::Filters),
            Action::TabReports => self.switch_tab(Tab::Reports),
            Action::TabReminders => self.switch_tab(Tab::Reminders),
            Action::Undo => self.undo(),
            Action::Filter => self.open_filter_bar(),
            Action::ClearFilter => {
                if let Some(k) = self.tab.list() {
                    let _ = self.set_filter(k, "");
                }
            }
            Action::AddPayment => self.open_form(FormKind::Payment(None)),
            Action::AddInvoice => self.open_form(FormKind::Invoice(None)),
            Action::AddParty => self.open_form(FormKind::Party(None)),
            Action::Import => self.open_import(),
            _ => match self.tab {
                Tab::Payments if self.matching.is_some() => self.matching_action(a),
                Tab::Filters => self.filters_action(a),
                Tab::Reports => self.reports_action(a),
                _ => self.list_action(a),
            },
        }
    }

    fn message_clear_on(&mut self, a: Action) {
        if matches!(
            a,
            Action::Up | Action::Down | Action::NextTab | Action::PrevTab | Action::Open
        ) && !matches!(self.message, Some(Message::Error(_)))
        {
            self.message = None;
        }
    }

    fn list_action(&mut self, a: Action) {
        let Some(k) = self.tab.list() else {
            return;
        };
        if let Some(n) = a.pin() {
            if let Some(f) = self.filters.iter().find(|f| f.pin == Some(n)).cloned() {
                self.apply_saved(&f);
            } else {
                self.message = Some(Message::Info(format!("no filter pinned to {n}")));
            }
            return;
        }
        let page = self.list(k).height.max(1) as isize;
        let l = self.list_mut(k);
        match a {
            Action::Up => l.move_by(-1),
            Action::Down => l.move_by(1),
            Action::PageUp => l.move_by(-page),
            Action::PageDown => l.move_by(page),
            Action::HalfPageUp => l.move_by(-(page / 2).max(1)),
            Action::HalfPageDown => l.move_by((page / 2).max(1)),
            Action::Top => l.selected = 0,
            Action::Bottom => l.selected = l.len().saturating_sub(1),
            Action::Open => l.detail = !l.detail,
            Action::Close => {
                if l.detail {
                    l.detail = false;
                } else if !l.filter.is_empty() {
                    let _ = self.set_filter(k, "");
                }
            }
            Action::SortNext | Action::SortReverse => {
                if a == Action::SortNext {
                    let n = k.sort_columns().len();
                    l.sort.column = (l.sort.column + 1) % n;
                } else {
                    l.sort.desc = !l.sort.desc;
                }
                l.fresh = false;
                let t = self.selected_target(k);
                self.request(k, t);
            }
            Action::SaveFilter => {
                let q = self.list(k).filter.clone();
                if q.is_empty() {
                    self.message = Some(Message::Info(
                        "type a filter with / first, then save it".into(),
                    ));
                } else {
                    self.open_filter_form(None, &q);
                }
            }
            Action::Add => self.open_form(match k {
                ListKind::Payments => FormKind::Payment(None),
                ListKind::Invoices | ListKind::Reminders => FormKind::Invoice(None),
                ListKind::Parties => FormKind::Party(None),
            }),
            Action::Edit => match self.selected_target(k) {
                Some(Target::Payment(id)) => self.open_form(FormKind::Payment(Some(id))),
                Some(Target::Invoice(id)) => self.open_form(FormKind::Invoice(Some(id))),
                Some(Target::Party(id)) => self.open_form(FormKind::Party(Some(id))),
                None => {}
            },
            Action::MarkSent
            | Action::Snooze
            | Action::Promise
            | Action::ToggleDisputed
            | Action::OpenReminderInvoices
            | Action::EditLadder
            | Action::MatchQueue
            | Action::ApplyCredit => self.follow_up_action(k, a),
            Action::Delete => {
                if !self.loaded {
                    self.message =
                        Some(Message::Info("still loading; try again in a moment".into()));
                    return;
                }
                if let Some(t) = self.selected_target(k) {
                    let what = self.describe(t);
                    self.confirm = Some(Confirm {
                        message: format!("Delete {what}?"),
                        on_yes: Pending::Delete(t),
                    });
                }
            }
            _ => {}
        }
    }

    fn describe(&self, t: Target) -> String {
        let l = &self.ledger;
        match t {
            Target::Payment(id) => l.payment(id).map_or_else(
                || format!("payment #{id}"),
                |p| {
                    format!(
                        "payment of {} {} from {} on {}",
                        p.currency.format(p.amount),
                        p.currency,
                        crate::text::sanitize(l.party_name(p.party)),
                        crate::domain::format_date(p.date)
                    )
                },
            ),
            Target::Invoice(id) => l.invoice(id).map_or_else(
                || format!("invoice #{id}"),
                |i| format!("invoice {}", crate::text::sanitize(&i.number)),
            ),
            Target::Party(id) => l.party(id).map_or_else(
                || format!("party #{id}"),
                |p| format!("party '{}'", crate::text::sanitize(&p.name)),
            ),
        }
    }

    fn filters_action(&mut self, a: Action) {
        let n = self.filters.len();
        match a {
            Action::Up => self.filter_sel = self.filter_sel.saturating_sub(1),
            Action::Down => self.filter_sel = (self.filter_sel + 1).min(n.saturating_sub(1)),
            Action::Top => self.filter_sel = 0,
            Action::Bottom => self.filter_sel = n.saturating_sub(1),
            Action::Open => {
                if let Some(f) = self.filters.get(self.filter_sel).cloned() {
                    self.apply_saved(&f);
                }
            }
            Action::Add | Action::SaveFilter => {
                let q = self.list(self.last_list).filter.clone();
                self.open_filter_form(None, &q);
            }
            Action::Edit => {
                if let Some(f) = self.filters.get(self.filter_sel).cloned() {
                    self.open_filter_form(Some(&f), "");
                }
            }
            Action::Delete => {
                if let Some(f) = self.filters.get(self.filter_sel) {
                    self.confirm = Some(Confirm {
                        message: format!(
                            "Delete saved filter '{}'?",
                            crate::text::sanitize(&f.name)
                        ),
                        on_yes: Pending::DeleteFilter(f.name.clone()),
                    });
                }
            }
            a if a.pin().is_some() => {
                let n = a.pin();
                if let Some(f) = self.filters.iter().find(|f| f.pin == n).cloned() {
                    self.apply_saved(&f);
                }
            }
            _ => {}
        }
    }

    fn reports_action(&mut self, a: Action) {
        if a == Action::Add {
            self.open_form(FormKind::Payment(None));
            return;
        }
        match self.reports.apply(a, self.today) {
            Effect::None => {}
            Effect::Message(m) => self.message = Some(Message::Info(m)),
            Effect::Drill(d) => self.open_drill(d),
        }
        if self.tab == Tab::Reports {
            self.request_report();
        }
    }

    /// Opens the list behind a report figure, filtered, with the filter bar showing the
    /// filter (so the user sees how to ask for it).
    fn open_drill(&mut self, d: Drill) {
        if let Err(e) = self.set_filter(d.list, &d.filter) {
            self.message = Some(Message::Error(format!("filter: {}", e.message)));
            return;
        }
        self.switch_tab(Tab::of_list(d.list));
        self.filter_bar = Some(FilterBar {
            list: d.list,
            input: TextInput::new(&d.filter),
            original: d.filter,
            deadline: None,
        });
        self.message = Some(Message::Info(d.note));
    }

    // ---- forms -----------------------------------------------------------------------

    fn form_ctx(&self) -> FormCtx<'_> {
        FormCtx {
            ledger: &self.ledger,
            today: self.today,
        }
    }

    fn open_form(&mut self, kind: FormKind) {
        if !self.loaded || self.applying() {
            self.message = Some(Message::Info(
                "still loading the ledger; try again in a moment".into(),
            ));
            return;
        }
        let ctx = self.form_ctx();
        let form = match kind {
            FormKind::Payment(id) => Form::payment(ctx, id, None),
            FormKind::Invoice(id) => Form::invoice(ctx, id, None),
            FormKind::Party(id) => Form::party(ctx, id),
            FormKind::Filter(_) => return,
        };
        self.form = Some(form);
        self.live_form_opened();
        self.form_open_req = None;
        self.request_open_invoices();
    }

    fn open_filter_form(&mut self, existing: Option<&SavedFilter>, query: &str) {
        let ctx = self.form_ctx();
        self.form = Some(Form::filter(ctx, existing, query));
    }

    fn form_action(&mut self, a: Action) {
        match a {
            Action::Submit => self.save_form(),
            Action::Cancel | Action::Close => {
                if self.form.as_ref().is_some_and(|f| f.dirty) {
                    self.confirm = Some(Confirm {
                        message: "Discard your changes?".into(),
                        on_yes: Pending::Discard,
                    });
                } else {
                    self.form = None;
                }
            }
            Action::NextField
                if self
                    .form
                    .as_ref()
                    .is_some_and(|f| f.on_last_field() && f.selected.is_none()) =>
            {
                self.save_form()
            }
            other => {
                let ctx = FormCtx {
                    ledger: &self.ledger,
                    today: self.today,
                };
                if let Some(f) = self.form.as_mut() {
                    f.apply(ctx, other);
                }
                self.request_open_invoices();
            }
        }
    }

    fn save_form(&mut self) {
        if self.live_form_conflict() {
            return;
        }
        let Some(form) = self.form.as_ref() else {
            return;
        };
        let ctx = self.form_ctx();
        if let Some((label, e)) = form.first_error() {
            let msg = format!("{label}: {e}");
            if let Some(f) = self.form.as_mut() {
                f.error = Some(msg);
            }
            return;
        }
        if let Some(name) = form.creates_party(&self.ledger) {
            if !form.create_party_ok {
                self.confirm = Some(Confirm {
                    message: format!(
                        "'{}' is not a party yet. Create it?",
                        crate::text::sanitize(&name)
                    ),
                    on_yes: Pending::CreateParty,
                });
                return;
            }
        }
        let mut ids = self.ids;
        let today = self.today;
        let l: &Ledger = &self.ledger;
        let planned: Result<(ChangeSet, Option<Target>, String), String> = match &form.kind {
            FormKind::Payment(id) => form.payment_input(ctx).and_then(|input| match id {
                None => ops::add_payment(l, &mut ids, &input, today)
                    .map(|(s, id)| (s, Some(Target::Payment(id)), "added payment".to_string()))
                    .map_err(op_err),
                Some(id) => ops::update_payment(l, &mut ids, *id, &input, today)
                    .map(|s| (s, Some(Target::Payment(*id)), "edited payment".to_string()))
                    .map_err(op_err),
            }),
            FormKind::Invoice(id) => form.invoice_input(ctx).and_then(|input| match id {
                None => ops::add_invoice(l, &mut ids, &input)
                    .map(|(s, id)| {
                        (
                            s,
                            Some(Target::Invoice(id)),
                            format!("added invoice {}", input.number),
                        )
                    })
                    .map_err(op_err),
                Some(id) => ops::update_invoice(l, &mut ids, *id, &input)
                    .map(|s| {
                        (
                            s,
                            Some(Target::Invoice(*id)),
                            format!("edited invoice {}", input.number),
                        )
                    })
                    .map_err(op_err),
            }),
            FormKind::Party(id) => form.party_input().and_then(|input| match id {
                None => ops::add_party(l, &mut ids, &input)
                    .map(|(s, id)| {
                        (
                            s,
                            Some(Target::Party(id)),
                            format!("added party {}", input.name),
                        )
                    })
                    .map_err(op_err),
                Some(id) => ops::update_party(l, *id, &input)
                    .map(|s| {
                        (
                            s,
                            Some(Target::Party(*id)),
                            format!("edited party {}", input.name),
                        )
                    })
                    .map_err(op_err),
            }),
            FormKind::Filter(orig) => form.filter_input().map(|f| {
                let mut set = ChangeSet::new();
                if let Some(o) = orig {
                    if *o != f.name {
                        set.push(crate::domain::Change::DeleteFilter(o.clone()));
                    }
                }
                if let Some(pin) = f.pin {
                    for other in self.filters.iter().filter(|x| {
                        x.pin == Some(pin) && x.name != f.name && Some(&x.name) != orig.as_ref()
                    }) {
                        set.push(crate::domain::Change::PutFilter(SavedFilter {
                            pin: None,
                            ..other.clone()
                        }));
                    }
                }
                let label = format!("saved filter '{}'", f.name);
                set.push(crate::domain::Change::PutFilter(f));
                (set, None, label)
            }),
        };
        let is_filter = matches!(form.kind, FormKind::Filter(_));
        match planned {
            Err(e) => {
                if let Some(f) = self.form.as_mut() {
                    f.error = Some(e);
                }
            }
            Ok((set, target, label)) => {
                let res = if is_filter {
                    self.commit_filters(&set)
                } else {
                    self.commit(set, &label, target)
                };
                match res {
                    Ok(()) => {
                        self.form = None;
                        self.message = Some(Message::Success(format!("saved: {label}")));
                    }
                    Err(_) if self.live_replan() => self.save_form(),
                    Err(e) => {
                        if let Some(f) = self.form.as_mut() {
                            f.error = Some(e);
                        }
                    }
                }
            }
        }
    }

    fn commit_filters(&mut self, set: &ChangeSet) -> Result<(), String> {
        self.commit_filters_live(set)
            .map_err(|e| format!("could not save: {e:#}"))?;
        for c in &set.changes {
            match c {
                crate::domain::Change::PutFilter(f) => {
                    self.filters.retain(|x| x.name != f.name);
                    self.filters.push(f.clone());
                }
                crate::domain::Change::DeleteFilter(n) => self.filters.retain(|x| &x.name != n),
                _ => {}
            }
        }
        self.filters.sort_by(|a, b| a.name.cmp(&b.name));
        self.filter_sel = self.filter_sel.min(self.filters.len().saturating_sub(1));
        Ok(())
    }

    /// Commits a change set, applies it in memory and remembers how to undo it. A change
    /// of more than one record (a forced delete, applying credit, accepting matches) is
    /// preceded by a safety copy of the store, named in the message (see
    /// [`App::note_copy`]).
    fn commit(
        &mut self,
        set: ChangeSet,
        label: &str,
        target: Option<Target>,
    ) -> Result<(), String> {
        let reason = bulk_reason(&set);
        self.commit_with_copy(set, label, target, reason)
    }

    /// [`App::commit`], with a safety copy first when `copy` gives its reason.
    fn commit_with_copy(
        &mut self,
        set: ChangeSet,
        label: &str,
        target: Option<Target>,
        copy: Option<&str>,
    ) -> Result<(), String> {
        if self.applying() {
            return Err("the previous change is still being applied; try again in a moment".into());
        }
        let undo = set.inverse(&self.ledger);
        let mut set = set;
        let copy = self.write_safety_copy(copy)?;
        self.commit_live(&mut set).map_err(|e| e.message())?;
        self.copy_note = copy;
        if let Some(ids) = set.ids {
            self.ids = ids;
        }
        if !undo.changes.is_empty() {
            self.undo.push((label.to_string(), undo));
        }
        self.apply_change(set, target);
        Ok(())
    }

    fn undo(&mut self) {
        if self.applying() {
            self.message = Some(Message::Info(
                "still applying the last change; try again".into(),
            ));
            return;
        }
        let Some((label, set)) = self.undo.pop() else {
            self.message = Some(Message::Info("nothing to undo".into()));
            return;
        };
        let mut set = set;
        let copy = match self.write_safety_copy(bulk_reason(&set).map(|_| "undo")) {
            Ok(c) => c,
            Err(e) => {
                self.message = Some(Message::Error(format!("could not undo: {e}")));
                self.undo.push((label, set));
                return;
            }
        };
        match self.commit_live(&mut set) {
            Ok(()) => {
                self.apply_change(set, None);
                self.message = Some(Message::Success(format!("undone: {label}")));
                self.copy_note = copy;
                self.note_copy();
            }
            Err(live::CommitFail::Changed(what)) => {
                self.message = Some(Message::Error(format!(
                    "cannot undo {label}: another session changed {what} since"
                )));
            }
            Err(e) => {
                let e = match e {
                    live::CommitFail::Failed(m) => m,
                    other => other.message(),
                };
                self.message = Some(Message::Error(format!("could not undo: {e}")));
                self.undo.push((label, set));
            }
        }
    }

    /// Writes a safety copy of the store before `reason` (none when `None`): its
    /// description, or `None` when the store had nothing to copy. A copy that cannot be
    /// written stops the change.
    fn write_safety_copy(&mut self, reason: Option<&str>) -> Result<Option<String>, String> {
        let Some(reason) = reason else {
            return Ok(None);
        };
        self.persist
            .safety_copy(reason)
            .map_err(|e| format!("cannot write the safety copy: {e:#}; nothing was changed"))
    }

    /// Adds where the last commit's safety copy went to the message about it.
    fn note_copy(&mut self) {
        let Some(copy) = self.copy_note.take() else {
            return;
        };
        let note = crate::store::safety::short_note(&copy);
        self.message = Some(match self.message.take() {
            Some(Message::Success(m)) => Message::Success(format!("{m}; {note}")),
            Some(Message::Info(m)) => Message::Info(format!("{m}; {note}")),
            Some(Message::Error(m)) => Message::Error(format!("{m}; {note}")),
            None => Message::Info(note),
        });
    }

    fn confirm_action(&mut self, a: Action) {
        let yes = matches!(a, Action::Confirm);
        let no = matches!(
            a,
            Action::Deny | Action::Cancel | Action::Close | Action::Quit
        );
        if !yes && !no {
            return;
        }
        let Some(c) = self.confirm.take() else {
            return;
        };
        if no {
            return;
        }
        match c.on_yes {
            Pending::Discard => self.form = None,
            Pending::CreateParty => {
                if let Some(f) = self.form.as_mut() {
                    f.create_party_ok = true;
                }
                self.save_form();
            }
            Pending::Delete(t) => self.delete(t, false),
            Pending::ForceDeleteInvoice(id) => self.delete(Target::Invoice(id), true),
            Pending::ForceDeleteParty(id) => self.delete(Target::Party(id), true),
            Pending::DeleteFilter(name) => {
                let set = ChangeSet {
                    changes: vec![crate::domain::Change::DeleteFilter(name.clone())],
                    ids: None,
                };
                match self.commit_filters(&set) {
                    Ok(()) => {
                        self.message = Some(Message::Success(format!("deleted filter '{name}'")))
                    }
                    Err(e) => self.message = Some(Message::Error(e)),
                }
            }
        }
    }

    fn delete(&mut self, t: Target, force: bool) {
        let what = self.describe(t);
        if self.applying() {
            self.message = Some(Message::Info(
                "still applying the last change; try again".into(),
            ));
            return;
        }
        let planned = match t {
            Target::Payment(id) => ops::delete_payment(&self.ledger, id),
            Target::Invoice(id) => ops::delete_invoice(&self.ledger, id, force),
            Target::Party(id) => {
                // Finding a party's records scans the ledger: plan it off the UI thread.
                let base = self.ledger.clone();
                let label = format!("deleted {what}");
                let (tx, rx) = mpsc::channel();
                let spawned = std::thread::Builder::new()
                    .name("paytrack-plan".into())
                    .spawn(move || {
                        let _ = tx.send(match ops::delete_party(&base, id, force) {
                            Err(OpError::InUse(_)) if !force => Background::PartyInUse(
                                id,
                                base.invoices().iter().filter(|i| i.party == id).count(),
                                base.payments().iter().filter(|p| p.party == id).count(),
                            ),
                            planned => Background::Planned(planned, label),
                        });
                    });
                match spawned {
                    Ok(_) => {
                        self.bg_rx = Some(rx);
                        self.live_plan_started();
                    }
                    Err(e) => self.message = Some(Message::Error(format!("cannot delete: {e}"))),
                }
                return;
            }
        };
        match planned {
            Ok(set) => match self.commit(set, &format!("deleted {what}"), None) {
                Ok(()) => {
                    self.message = Some(Message::Success(format!("deleted {what} (u undoes)")))
                }
                Err(e) => self.message = Some(Message::Error(e)),
            },
            Err(OpError::InUse(_)) if matches!(t, Target::Invoice(_)) && !force => {
                if let Target::Invoice(id) = t {
                    self.confirm = Some(Confirm {
                        message: format!(
                            "{what} has payments allocated to it. Delete it and turn those allocations into credit?"
                        ),
                        on_yes: Pending::ForceDeleteInvoice(id),
                    });
                }
            }
            Err(e) => self.message = Some(Message::Error(e.to_string())),
        }
    }
}

// ---- the import dialog (state and work in super::import) --------------------------------

impl App {
    fn open_import(&mut self) {
        if !self.loaded || self.applying() {
            self.message = Some(Message::Info(
                "still loading the ledger; try again in a moment".into(),
            ));
            return;
        }
        self.import = Some(ImportDialog::new(self.import_profile_dir.clone()));
    }

    fn import_action(&mut self, a: Action) {
        let Some(d) = self.import.as_mut() else {
            return;
        };
        match d.apply(a) {
            DialogEffect::None => {}
            DialogEffect::Close => self.import = None,
            DialogEffect::Start => {
                let (ledger, ids) = (self.ledger.clone(), self.ids);
                d.start(ledger, ids, self.today);
            }
            DialogEffect::Commit => self.commit_import(),
        }
    }

    /// Commits the previewed import as one change set (one undo step).
    fn commit_import(&mut self) {
        let Some(p) = self.import.as_mut().and_then(ImportDialog::take_preview) else {
            return;
        };
        if !p.made_for(&self.ledger, self.ids) || self.applying() {
            // The data changed since the dry run: run it again against what is there now.
            drop(p);
            let (ledger, ids) = (self.ledger.clone(), self.ids);
            if let Some(d) = self.import.as_mut() {
                d.start(ledger, ids, self.today);
                d.notice = Some("the data changed since the preview; here is a new one".into());
            }
            return;
        }
        let summary = p.summary();
        let (set, label, target) = p.into_commit();
        if set.changes.is_empty() {
            if let Some(d) = self.import.as_mut() {
                d.stage = super::import::Stage::Done(summary.clone());
            }
            self.message = Some(Message::Info(summary));
            return;
        }
        // an import gets a safety copy first, however few records it brings
        match self.commit_with_copy(set, &label, target, Some("import")) {
            Ok(()) => {
                let summary = match self.copy_note.take() {
                    Some(c) => format!("{summary}; {c}"),
                    None => summary,
                };
                if let Some(d) = self.import.as_mut() {
                    d.stage = super::import::Stage::Done(summary.clone());
                }
                self.message = Some(Message::Success(format!("{summary} (u undoes)")));
            }
            Err(e) => {
                let e = e.trim_end_matches("; nothing was changed");
                if let Some(d) = self.import.as_mut() {
                    d.stage = super::import::Stage::Failed(super::import::Failure {
                        errors: vec![format!("{e}; nothing was imported")],
                        error_count: 1,
                    });
                }
            }
        }
    }
}

// ---- reminders, follow-ups, matching, credit ---------------------------------------------

impl App {
    fn commit_msg(&mut self, set: ChangeSet, label: &str, target: Option<Target>) -> bool {
        match self.commit(set, label, target) {
            Ok(()) => {
                self.message = Some(Message::Success(format!("{label} (u undoes)")));
                true
            }
            Err(e) => {
                self.message = Some(Message::Error(e));
                false
            }
        }
    }

    /// The invoices the follow-up keys act on: the selected invoice, or the selected
    /// reminder's invoices.
    fn follow_up_targets(&self, k: ListKind) -> Vec<InvoiceId> {
        match k {
            ListKind::Reminders => self
                .selected_reminder()
                .map(|r| r.invoices.iter().map(|i| i.invoice).collect())
                .unwrap_or_default(),
            ListKind::Invoices => match self.selected_target(k) {
                Some(Target::Invoice(id)) => vec![id],
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn open_prompt(&mut self, kind: PromptKind, title: String, text: &str) {
        self.prompt = Some(Prompt {
            kind,
            title,
            input: TextInput::new(text),
            error: None,
        });
    }

    fn follow_up_action(&mut self, k: ListKind, a: Action) {
        if !self.loaded || self.applying() {
            self.message = Some(Message::Info(
                "still loading or applying; try again in a moment".into(),
            ));
            return;
        }
        match a {
            Action::MarkSent => {
                let Some(r) = self
                    .selected_reminder()
                    .filter(|_| k == ListKind::Reminders)
                else {
                    self.message =
                        Some(Message::Info("mark sent works on the Reminders tab".into()));
                    return;
                };
                let r = r.clone();
                let set =
                    ops::mark_reminders_sent(&self.ledger, std::slice::from_ref(&r), self.today);
                if set.changes.is_empty() {
                    self.message = Some(Message::Info("already recorded as sent".into()));
                    return;
                }
                let label = format!(
                    "recorded '{}' to {} as sent",
                    r.level_name,
                    crate::text::sanitize(self.ledger.party_name(r.party))
                );
                self.commit_msg(set, &label, None);
            }
            Action::Snooze | Action::Promise => {
                let ids = self.follow_up_targets(k);
                if ids.is_empty() {
                    self.message = Some(Message::Info(
                        "select an invoice (Invoices tab) or a reminder first".into(),
                    ));
                    return;
                }
                let what = if ids.len() == 1 {
                    "1 invoice".to_string()
                } else {
                    format!("{} invoices", ids.len())
                };
                if a == Action::Snooze {
                    let title = format!("Snooze {what} until (+7d, 2026-12-20; empty clears)");
                    self.open_prompt(PromptKind::Snooze(ids), title, "+7d");
                } else {
                    let title =
                        format!("{what}: promised to pay on (+7d, 2026-12-20; empty clears)");
                    self.open_prompt(PromptKind::Promise(ids), title, "+7d");
                }
            }
            Action::ToggleDisputed => {
                let ids = self.follow_up_targets(k);
                let Some(&id) = ids.first().filter(|_| k == ListKind::Invoices) else {
                    self.message = Some(Message::Info(
                        "toggle disputed works on the Invoices tab".into(),
                    ));
                    return;
                };
                let mut f = self.ledger.follow_up(id).cloned().unwrap_or_default();
                f.disputed = !f.disputed;
                let label = format!(
                    "{} {}",
                    if f.disputed { "disputed" } else { "undisputed" },
                    self.describe(Target::Invoice(id))
                );
                match ops::set_follow_up(&self.ledger, id, f) {
                    Ok(set) => {
                        self.commit_msg(set, &label, Some(Target::Invoice(id)));
                    }
                    Err(e) => self.message = Some(Message::Error(e.to_string())),
                }
            }
            Action::OpenReminderInvoices => {
                let Some(r) = self
                    .selected_reminder()
                    .filter(|_| k == ListKind::Reminders)
                else {
                    return;
                };
                let name: String = self
                    .ledger
                    .party_name(r.party)
                    .chars()
                    .filter(|c| *c != '"')
                    .collect();
                let filter = if r.invoices.iter().all(|i| i.days_overdue > 0) {
                    format!("party:\"{name}\" status:overdue")
                } else {
                    format!("party:\"{name}\"")
                };
                let first = r.invoices.first().map(|i| Target::Invoice(i.invoice));
                if let Err(e) = self.set_filter(ListKind::Invoices, &filter) {
                    self.message = Some(Message::Error(format!("filter: {}", e.message)));
                    return;
                }
                self.list_mut(ListKind::Invoices).pending_target = first;
                self.switch_tab(Tab::Invoices);
                self.message = Some(Message::Info(format!("filter: {filter}")));
            }
            Action::EditLadder => {
                let (kind, level) = match self.selected_reminder() {
                    Some(r) => (r.kind, Some(r.level)),
                    None => (crate::domain::InvoiceKind::Receivable, None),
                };
                let settings = self.ledger.reminder_settings();
                let ladder = settings.ladder(kind);
                let tag = match kind {
                    crate::domain::InvoiceKind::Receivable => "rec",
                    crate::domain::InvoiceKind::Payable => "pay",
                };
                let text = level
                    .and_then(|n| ladder.levels.get(n as usize))
                    .or(ladder.levels.first())
                    .map(|l| format!("{tag} {} {}", l.offset_days, l.name))
                    .unwrap_or_else(|| format!("{tag} 1 first reminder"));
                let levels: Vec<String> = ladder
                    .levels
                    .iter()
                    .map(|l| format!("{} {}", l.offset_days, l.name))
                    .collect();
                let title = format!(
                    "Ladder {tag}: {} · min {} — edit: [rec|pay] DAYS NAME [| SUBJECT [| BODY]], del DAYS, min AMOUNT",
                    levels.join(", "),
                    settings.min_amount
                );
                self.open_prompt(PromptKind::Ladder, title, &text);
            }
            Action::MatchQueue => {
                if k != ListKind::Payments {
                    self.message = Some(Message::Info(
                        "the matching queue opens from the Payments tab".into(),
                    ));
                    return;
                }
                self.matching = Some(MatchQueue::new());
                self.request_matching();
            }
            Action::ApplyCredit => {
                let Some(Target::Party(id)) =
                    self.selected_target(k).filter(|_| k == ListKind::Parties)
                else {
                    self.message = Some(Message::Info(
                        "apply credit works on the Parties tab".into(),
                    ));
                    return;
                };
                // Finding the party's payments scans the ledger: plan it off the UI thread.
                let base = self.ledger.clone();
                let today = self.today;
                let label = format!(
                    "applied the credit of {} to its oldest open invoices",
                    self.describe(Target::Party(id))
                );
                let (tx, rx) = mpsc::channel();
                let spawned = std::thread::Builder::new()
                    .name("paytrack-plan".into())
                    .spawn(move || {
                        let _ = tx.send(Background::Planned(
                            ops::apply_credit(&base, id, today),
                            label,
                        ));
                    });
                match spawned {
                    Ok(_) => {
                        self.bg_rx = Some(rx);
                        self.live_plan_started();
                    }
                    Err(e) => {
                        self.message = Some(Message::Error(format!("cannot apply credit: {e}")))
                    }
                }
            }
            _ => {}
        }
    }

    fn prompt_action(&mut self, a: Action) {
        let Some(p) = self.prompt.as_mut() else {
            return;
        };
        match a {
            Action::Cancel | Action::Close => self.prompt = None,
            Action::Submit => {
                let (kind, text) = (p.kind.clone(), p.input.text().trim().to_string());
                match self.submit_prompt(kind, &text) {
                    Ok(()) => {
                        if let Some(p) = &self.prompt {
                            if p.error.is_none() {
                                self.prompt = None;
                            }
                        }
                    }
                    Err(e) => {
                        if let Some(p) = self.prompt.as_mut() {
                            p.error = Some(e);
                        }
                    }
                }
            }
            other => {
                if p.input.apply(other) == Some(true) {
                    p.error = None;
                }
            }
        }
    }

    fn submit_prompt(&mut self, kind: PromptKind, text: &str) -> Result<(), String> {
        let date = |t: &str, today| {
            if t.is_empty() || t.eq_ignore_ascii_case("none") {
                Ok(None)
            } else {
                crate::domain::parse_relative_date(t, today)
                    .map(Some)
                    .map_err(|e| e.to_string())
            }
        };
        match kind {
            PromptKind::Snooze(ids) | PromptKind::Promise(ids) => {
                let snooze = matches!(
                    self.prompt.as_ref().map(|p| &p.kind),
                    Some(PromptKind::Snooze(_))
                );
                let d = date(text, self.today)?;
                let mut set = ChangeSet::new();
                for id in &ids {
                    let mut f = self.ledger.follow_up(*id).cloned().unwrap_or_default();
                    if snooze {
                        f.snooze_until = d;
                    } else {
                        f.promise = d;
                    }
                    for c in ops::set_follow_up(&self.ledger, *id, f)
                        .map_err(|e| e.to_string())?
                        .changes
                    {
                        set.push(c);
                    }
                }
                let what = if ids.len() == 1 {
                    self.describe(Target::Invoice(ids[0]))
                } else {
                    format!("{} invoices", ids.len())
                };
                let label = match (snooze, d) {
                    (true, Some(d)) => {
                        format!("snoozed {what} until {}", crate::domain::format_date(d))
                    }
                    (true, None) => format!("cleared the snooze of {what}"),
                    (false, Some(d)) => format!(
                        "{what}: promised to pay on {}",
                        crate::domain::format_date(d)
                    ),
                    (false, None) => format!("cleared the promise of {what}"),
                };
                self.prompt = None;
                if set.changes.is_empty() {
                    self.message = Some(Message::Info("nothing changed".into()));
                    return Ok(());
                }
                let target = (ids.len() == 1).then(|| Target::Invoice(ids[0]));
                self.commit(set, &label, target)?;
                self.message = Some(Message::Success(format!("{label} (u undoes)")));
                Ok(())
            }
            PromptKind::Ladder => {
                let s = edit_ladder(self.ledger.reminder_settings(), text)?;
                let set = ops::set_reminder_settings(s).map_err(|e| e.to_string())?;
                self.prompt = None;
                self.commit(set, "edited the reminder ladder", None)?;
                self.message = Some(Message::Success(
                    "edited the reminder ladder (u undoes)".into(),
                ));
                Ok(())
            }
        }
    }

    fn matching_action(&mut self, a: Action) {
        let Some(q) = self.matching.as_mut() else {
            return;
        };
        match a {
            Action::Up => q.move_by(-1),
            Action::Down => q.move_by(1),
            Action::Close | Action::Cancel => {
                self.matching = None;
                self.worker.cancel(Slot::Matching);
            }
            Action::SkipPayment => q.skip(),
            Action::Open | Action::Submit | Action::SplitFifo => {
                let Some(item) = q.current() else {
                    self.message = Some(Message::Info("no unmatched payments".into()));
                    return;
                };
                let cand = if a == Action::SplitFifo {
                    item.fifo.clone()
                } else {
                    q.selected_candidate().cloned()
                };
                let payment = item.payment;
                let Some(c) = cand else {
                    self.message = Some(Message::Info(
                        "no candidate (nothing open for this payment)".into(),
                    ));
                    return;
                };
                let planned = ops::accept_candidate(&self.ledger, payment, &c);
                match planned {
                    Ok(set) => {
                        let numbers: Vec<String> = c
                            .allocations
                            .iter()
                            .map(|x| {
                                self.ledger
                                    .invoice(x.invoice)
                                    .map_or_else(|| format!("#{}", x.invoice), |i| i.number.clone())
                            })
                            .collect();
                        let label = format!(
                            "matched {} to {}",
                            self.describe(Target::Payment(payment)),
                            numbers.join(", ")
                        );
                        if let Some(q) = self.matching.as_mut() {
                            q.advance_after_change();
                        }
                        self.commit_msg(set, &label, Some(Target::Payment(payment)));
                    }
                    Err(e) => self.message = Some(Message::Error(e.to_string())),
                }
            }
            _ => self.list_action(a),
        }
    }
}

/// Applies one ladder edit (see [`PromptKind::Ladder`]) to a copy of the settings.
pub fn edit_ladder(
    s: &crate::domain::reminders::ReminderSettings,
    text: &str,
) -> Result<crate::domain::reminders::ReminderSettings, String> {
    use crate::domain::reminders::ReminderLevel;
    use crate::domain::InvoiceKind;
    let mut s = s.clone();
    let (head, rest) = match text.split_once('|') {
        Some((h, r)) => (h.trim(), Some(r)),
        None => (text.trim(), None),
    };
    let mut words = head.split_whitespace().peekable();
    let kind = match words.peek().copied() {
        Some("rec") => {
            words.next();
            InvoiceKind::Receivable
        }
        Some("pay") => {
            words.next();
            InvoiceKind::Payable
        }
        _ => InvoiceKind::Receivable,
    };
    let first = words
        .next()
        .ok_or("type DAYS NAME, del DAYS or min AMOUNT")?;
    let days = |w: Option<&str>| -> Result<i32, String> {
        w.and_then(|w| w.parse::<i32>().ok())
            .filter(|d| d.abs() <= 3650)
            .ok_or_else(|| "days: a whole number like -3, 7 or 30".to_string())
    };
    match first {
        "min" => {
            let v = words.next().ok_or("min AMOUNT")?;
            s.min_amount = crate::domain::parse_amount(v).map_err(|e| e.to_string())?;
        }
        "del" => {
            let d = days(words.next())?;
            if !s.ladder_mut(kind).remove_level(d) {
                return Err(format!("no level at {d} days"));
            }
        }
        w => {
            let d = days(Some(w))?;
            let name = words.collect::<Vec<_>>().join(" ");
            if name.is_empty() {
                return Err("name the level: DAYS NAME".into());
            }
            let old = s
                .ladder(kind)
                .levels
                .iter()
                .find(|l| l.offset_days == d)
                .cloned();
            let mut parts = rest.map(|r| r.splitn(2, '|').map(str::trim).collect::<Vec<_>>());
            let subject = parts
                .as_mut()
                .and_then(|p| (!p.is_empty()).then(|| p.remove(0).to_string()))
                .filter(|t| !t.is_empty());
            let body = parts
                .as_mut()
                .and_then(|p| p.first().map(|b| b.replace("\\n", "\n")))
                .filter(|t| !t.is_empty());
            let level = ReminderLevel {
                offset_days: d,
                subject: subject
                    .or_else(|| old.as_ref().map(|o| o.subject.clone()))
                    .unwrap_or_else(|| "{level}: {invoices}".into()),
                body: body
                    .or_else(|| old.as_ref().map(|o| o.body.clone()))
                    .unwrap_or_else(|| "Dear {party},\n\n{table}\nTotal: {total}\n".into()),
                name,
            };
            s.ladder_mut(kind).set_level(level);
        }
    }
    s.validate().map_err(|e| e.to_string())?;
    Ok(s)
}
