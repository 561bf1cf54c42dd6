//! The import dialog: a file (with path completion), what it holds (payments, invoices,
//! parties, a bank statement), how its columns are read (paytrack's own layout, a
//! profile recognised from the header row, a named profile) and the currency of rows
//! without one. Enter runs a dry run on a thread of its own and shows what the import
//! would do; Enter on that preview commits it as one change set, so one undo takes the
//! whole import back.
//!
//! This module holds the state and the work; [`crate::tui::ui`] draws it and
//! [`crate::tui::app::App`] routes keys to [`ImportDialog::apply`] and carries out the
//! [`DialogEffect`] it returns (starting the dry run, committing).

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;

use crate::domain::ledger::Ledger;
use crate::domain::{Change, ChangeSet, Currency, Direction, IdSeq, InvoiceId, PartyId, PaymentId};
use crate::interchange::foreign::{self, Extract, PlanOptions};
use crate::interchange::profile::{self, Profile};
use crate::interchange::{csv_own, encoding, json, mapped, statement, ImportPlan};

use super::action::Action;
use super::input::TextInput;
use super::views::Target;

/// Rows of the preview table kept (the counts cover every row).
pub const PREVIEW_ROWS: usize = 200;
/// Completion candidates read from one directory at the most.
pub const MAX_CANDIDATES: usize = 2000;
/// Errors listed in the dialog at the most (the count covers all).
pub const SHOWN_ERRORS: usize = 20;

/// What the file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    /// Payments: paytrack's own CSV/JSON or another system's CSV read through a profile.
    Payments,
    /// Invoices in paytrack's own CSV/JSON layout.
    Invoices,
    /// Parties in paytrack's own CSV/JSON layout.
    Parties,
    /// A bank statement: ISO 20022 CAMT.053 or OFX, detected from the content.
    Statement,
}

impl ImportKind {
    /// Every kind, in the order the choice cycles.
    pub const ALL: [ImportKind; 4] = [
        ImportKind::Payments,
        ImportKind::Invoices,
        ImportKind::Parties,
        ImportKind::Statement,
    ];

    /// The word shown in the dialog.
    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Payments => "payments",
            ImportKind::Invoices => "invoices",
            ImportKind::Parties => "parties",
            ImportKind::Statement => "statement",
        }
    }

    /// The noun of the records created.
    fn noun(self, n: usize) -> &'static str {
        match (self, n == 1) {
            (ImportKind::Invoices, true) => "invoice",
            (ImportKind::Invoices, false) => "invoices",
            (ImportKind::Parties, true) => "party",
            (ImportKind::Parties, false) => "parties",
            (_, true) => "payment",
            (_, false) => "payments",
        }
    }

    /// Whether other systems' layouts (profiles) apply.
    pub fn takes_profiles(self) -> bool {
        self == ImportKind::Payments
    }
}

/// How the columns of a CSV file are read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutChoice {
    /// Recognise the layout from the header row: a profile, else paytrack's own.
    Auto,
    /// paytrack's own layout (CSV, or JSON when the file is a JSON array).
    Own,
    /// A profile by name (shipped or the user's).
    Profile {
        /// `--profile NAME`.
        name: String,
        /// One line for people.
        title: String,
        /// A file in the user's profile directory.
        user: bool,
    },
}

impl LayoutChoice {
    /// The text shown in the dialog.
    pub fn label(&self) -> String {
        match self {
            LayoutChoice::Auto => "auto (from the header row)".into(),
            LayoutChoice::Own => "paytrack's own layout".into(),
            LayoutChoice::Profile { name, title, user } => format!(
                "{name}: {title}{}",
                if *user { " (your profile)" } else { "" }
            ),
        }
    }
}

/// The dialog's input fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The file path.
    Path,
    /// What the file holds.
    Kind,
    /// How its columns are read.
    Layout,
    /// Currency of rows without one.
    Currency,
}

/// File names completing the path being typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The directory part as typed (up to and including the last `/`).
    pub dir_text: String,
    /// Matching entries, sorted; directories end in `/`.
    pub candidates: Vec<String>,
    /// The candidate put into the field by cycling.
    pub index: Option<usize>,
    /// The directory had more matching entries than were read.
    pub truncated: bool,
}

/// What the reading thread is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Reading the file's bytes.
    Reading,
    /// Parsing rows.
    Parsing,
    /// Comparing with the ledger (duplicates, parties, matching).
    Planning,
}

impl Phase {
    fn from_u8(v: u8) -> Phase {
        match v {
            0 => Phase::Reading,
            1 => Phase::Parsing,
            _ => Phase::Planning,
        }
    }
}

/// Progress shared with the reading thread.
#[derive(Debug, Default)]
pub struct Progress {
    bytes: AtomicU64,
    total: AtomicU64,
    lines: AtomicU64,
    phase: AtomicU8,
}

impl Progress {
    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    /// The file's size (0 when unknown).
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
    /// Lines read so far.
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::Relaxed)
    }
    /// The current phase.
    pub fn phase(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::Relaxed))
    }
    fn set_phase(&self, p: Phase) {
        self.phase.store(p as u8, Ordering::Relaxed);
    }
}

/// A dry run in progress.
#[derive(Debug)]
pub struct Running {
    /// Progress of the reading thread.
    pub progress: Arc<Progress>,
    /// The file's name.
    pub source: String,
    cancel: Arc<AtomicBool>,
    rx: Receiver<Result<Box<Preview>, Failure>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        // The thread stops at its next check; its result goes nowhere.
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// Why a dry run produced no preview: errors naming file and line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong, one line each (`file:line: message`).
    pub errors: Vec<String>,
    /// Errors in all (`errors` keeps the first [`SHOWN_ERRORS`]).
    pub error_count: usize,
}

impl Failure {
    fn one(e: impl ToString) -> Failure {
        Failure {
            errors: vec![e.to_string()],
            error_count: 1,
        }
    }
}

/// The first rows an import creates, as table cells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreviewTable {
    /// Column titles.
    pub headers: Vec<&'static str>,
    /// Cells (raw text from the file: sanitise when drawing).
    pub rows: Vec<Vec<String>>,
    /// Rows created beyond those in `rows`.
    pub more: usize,
}

/// What the dry run found: the counts, the first rows, and the change set to commit.
#[derive(Clone, Debug)]
pub struct Preview {
    /// The file's name.
    pub source: String,
    /// What was read (`paytrack CSV`, `profile stripe`, `CAMT.053`...).
    pub format: String,
    /// How the layout was chosen, when recognised (`profile 'stripe' (...) recognised...`).
    pub note: Option<String>,
    /// What the reader says about the file (how its dates were read...).
    pub notes: Vec<String>,
    /// What the records are.
    pub kind: ImportKind,
    /// Data rows read.
    pub rows: usize,
    /// Records the import creates.
    pub records: usize,
    /// Of the payments, incoming.
    pub incoming: usize,
    /// Of the payments, provider fees.
    pub fees: usize,
    /// Names of the parties created.
    pub new_parties: Vec<String>,
    /// Lines of rows already recorded (skipped).
    pub duplicates: Vec<u64>,
    /// Rows left out on purpose: line and reason.
    pub skipped: Vec<(u64, String)>,
    /// Payments allocated to invoices.
    pub matched: usize,
    /// Payments matching (by the rules of `paytrack match`) several invoices equally
    /// well: imported unallocated, their candidates listed.
    pub suggestions: Vec<foreign::Suggestion>,
    /// Row errors (`file:line: message`), the first [`SHOWN_ERRORS`].
    pub errors: Vec<String>,
    /// Row errors in all; any error means nothing can be imported.
    pub error_count: usize,
    /// Read through another system's layout or a statement (duplicates are recognised,
    /// payments matched to invoices); else paytrack's own layout.
    pub foreign: bool,
    /// The first rows created.
    pub table: PreviewTable,
    /// First line of the table shown.
    pub scroll: usize,
    changes: ChangeSet,
    base: Arc<Ledger>,
    ids: IdSeq,
    first: Option<Target>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Preview {
    /// Payments going out.
    pub fn outgoing(&self) -> usize {
        self.records.saturating_sub(self.incoming)
    }

    /// Whether there is anything to commit and nothing wrong.
    pub fn importable(&self) -> bool {
        self.error_count == 0 && !self.changes.changes.is_empty()
    }

    /// Whether the preview was made against `ledger` and `ids` (else it is stale).
    pub fn made_for(&self, ledger: &Arc<Ledger>, ids: IdSeq) -> bool {
        Arc::ptr_eq(&self.base, ledger) && self.ids == ids
    }

    fn payments_like(&self) -> bool {
        matches!(self.kind, ImportKind::Payments | ImportKind::Statement)
    }

    /// The counts in words: `23 payments (20 in, 3 out), 2 new parties, 1 duplicate
    /// skipped, 5 matched`.
    pub fn counts(&self) -> String {
        self.count_parts().join(", ")
    }

    /// The pieces of [`Preview::counts`] (for wrapping).
    pub fn count_parts(&self) -> Vec<String> {
        let mut first = plural(
            self.records,
            self.kind.noun(1),
            self.kind.noun(self.records),
        );
        if self.payments_like() {
            first.push_str(&format!(
                " ({} in, {} out{})",
                self.incoming,
                self.outgoing(),
                if self.fees > 0 {
                    format!("; {} fees", self.fees)
                } else {
                    String::new()
                }
            ));
        }
        let mut v = vec![first];
        if self.kind != ImportKind::Parties {
            v.push(plural(self.new_parties.len(), "new party", "new parties"));
        }
        if self.payments_like() && !self.foreign {
            if !self.duplicates.is_empty() {
                v.push(plural(
                    self.duplicates.len(),
                    "duplicate skipped",
                    "duplicates skipped",
                ));
            }
            v.push(format!("{} allocated to invoices", self.matched));
        } else if self.payments_like() {
            v.push(plural(
                self.duplicates.len(),
                "duplicate skipped",
                "duplicates skipped",
            ));
            if !self.skipped.is_empty() {
                v.push(plural(self.skipped.len(), "row left out", "rows left out"));
            }
            v.push(format!("{} matched", self.matched));
            if !self.suggestions.is_empty() {
                v.push(format!(
                    "{} ambiguous (not applied)",
                    self.suggestions.len()
                ));
            }
        }
        v
    }

    /// The summary after the import: `imported 23 payments (20 in, 3 out), ...`.
    pub fn summary(&self) -> String {
        if self.changes.changes.is_empty() {
            return format!("nothing to import from {}: {}", self.source, self.counts());
        }
        format!("imported {}", self.counts())
    }

    /// The undo label.
    fn label(&self) -> String {
        format!(
            "import of {} ({})",
            self.source,
            plural(
                self.records,
                self.kind.noun(1),
                self.kind.noun(self.records)
            )
        )
    }

    /// The change set, its undo label and the record to select; drops the ledger the
    /// dry run held (so the app can change its own in place).
    pub fn into_commit(self) -> (ChangeSet, String, Option<Target>) {
        let label = self.label();
        (self.changes, label, self.first)
    }
}

/// Where the dialog is.
#[derive(Debug)]
pub enum Stage {
    /// Filling in the fields.
    Edit,
    /// The dry run is running.
    Running(Running),
    /// The dry run's result; Enter imports.
    Preview(Box<Preview>),
    /// The dry run failed; nothing can be imported.
    Failed(Failure),
    /// Imported: the summary.
    Done(String),
}

/// What the app must do after [`ImportDialog::apply`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogEffect {
    /// Nothing more.
    None,
    /// Close the dialog.
    Close,
    /// Start the dry run ([`ImportDialog::start`] with the current ledger).
    Start,
    /// Commit the preview ([`ImportDialog::take_preview`]).
    Commit,
}

/// The import dialog's state.
#[derive(Debug)]
pub struct ImportDialog {
    /// The file path as typed (`~` allowed).
    pub path: TextInput,
    /// What the file holds.
    pub kind: ImportKind,
    /// The kind follows the file's name (a statement for `.xml`, `.ofx`, `.qfx`, else
    /// payments) until it is chosen by hand.
    pub kind_auto: bool,
    /// The layouts to choose from (auto, own, then every profile).
    pub layouts: Vec<LayoutChoice>,
    /// The chosen layout (index into `layouts`).
    pub layout: usize,
    /// Currency of rows without one (empty: the profile's, else EUR).
    pub currency: TextInput,
    /// The focused field.
    pub focus: Field,
    /// Path completion in progress.
    pub completion: Option<Completion>,
    /// Where the dialog is.
    pub stage: Stage,
    /// A one-line note (no file matches, cancelled...).
    pub notice: Option<String>,
    /// Broken user profile files.
    pub problems: Vec<String>,
    user_dir: Option<PathBuf>,
    home: Option<PathBuf>,
    cwd: PathBuf,
}

impl ImportDialog {
    /// A dialog reading the user's profiles from `user_dir` (the config dir's `profiles`).
    pub fn new(user_dir: Option<PathBuf>) -> ImportDialog {
        let (all, broken) = profile::all(user_dir.as_deref());
        let mut layouts = vec![LayoutChoice::Auto, LayoutChoice::Own];
        layouts.extend(all.into_iter().map(|p| LayoutChoice::Profile {
            user: matches!(p.origin, profile::Origin::File(_)),
            name: p.name,
            title: p.title,
        }));
        ImportDialog {
            path: TextInput::default(),
            kind: ImportKind::Payments,
            kind_auto: true,
            layouts,
            layout: 0,
            currency: TextInput::default(),
            focus: Field::Path,
            completion: None,
            stage: Stage::Edit,
            notice: None,
            problems: broken.iter().map(|e| e.to_string()).collect(),
            user_dir,
            home: std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }

    /// Resolves relative paths against `cwd` and `~` against `home` (tests).
    pub fn with_dirs(mut self, cwd: PathBuf, home: Option<PathBuf>) -> ImportDialog {
        self.cwd = cwd;
        self.home = home;
        self
    }

    /// Whether the dry run is running.
    pub fn running(&self) -> bool {
        matches!(self.stage, Stage::Running(_))
    }

    /// The fields shown, in order.
    pub fn fields(&self) -> Vec<Field> {
        let mut v = vec![Field::Path, Field::Kind];
        if self.kind.takes_profiles() {
            v.push(Field::Layout);
            if self.layout_needs_currency() {
                v.push(Field::Currency);
            }
        }
        v
    }

    /// Whether the currency field applies (other systems' layouts).
    pub fn layout_needs_currency(&self) -> bool {
        self.kind.takes_profiles() && self.chosen_layout() != &LayoutChoice::Own
    }

    /// The chosen layout.
    pub fn chosen_layout(&self) -> &LayoutChoice {
        self.layouts.get(self.layout).unwrap_or(&LayoutChoice::Auto)
    }

    /// What the layout field shows.
    pub fn layout_text(&self) -> String {
        match self.kind {
            ImportKind::Payments => self.chosen_layout().label(),
            ImportKind::Statement => "detected: CAMT.053 (XML) or OFX".into(),
            _ => "paytrack's own layout (CSV or JSON)".into(),
        }
    }

    /// The file path with `~` expanded, relative paths against the working directory.
    pub fn resolved_path(&self) -> PathBuf {
        self.expand(self.path.text().trim())
    }

    fn expand(&self, text: &str) -> PathBuf {
        let p = match (text.strip_prefix('~'), &self.home) {
            (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
                home.join(rest.trim_start_matches('/'))
            }
            _ => PathBuf::from(text),
        };
        if p.is_absolute() {
            p
        } else {
            self.cwd.join(p)
        }
    }

    fn move_focus(&mut self, d: isize) {
        let fields = self.fields();
        let i = fields.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let n = fields.len() as isize;
        self.focus = fields[((i + d).rem_euclid(n)) as usize];
        self.completion = None;
    }

    fn cycle_choice(&mut self, d: isize) {
        match self.focus {
            Field::Kind => {
                self.kind_auto = false;
                let all = ImportKind::ALL;
                let i = all.iter().position(|k| *k == self.kind).unwrap_or(0) as isize;
                self.kind = all[((i + d).rem_euclid(all.len() as isize)) as usize];
            }
            Field::Layout if self.kind.takes_profiles() => {
                let n = self.layouts.len().max(1) as isize;
                self.layout = ((self.layout as isize + d).rem_euclid(n)) as usize;
            }
            _ => {}
        }
    }

    /// Types a character into the focused text field (ignored while reading and after
    /// the import).
    pub fn type_char(&mut self, c: char) {
        if matches!(self.stage, Stage::Running(_) | Stage::Done(_)) {
            return;
        }
        self.back_to_edit();
        match self.focus {
            Field::Path => {
                self.path.insert(c);
                self.completion = None;
                self.kind_from_path();
            }
            Field::Currency => self.currency.insert(c),
            Field::Kind | Field::Layout => {
                if c == ' ' {
                    self.cycle_choice(1);
                }
            }
        }
        self.notice = None;
    }

    /// Pastes text into the focused text field.
    pub fn paste(&mut self, s: &str) {
        for c in s.chars() {
            if matches!(self.focus, Field::Path | Field::Currency) {
                self.type_char(c);
            }
        }
    }

    /// Leaves a preview or a failure for editing (any edit makes them stale).
    fn back_to_edit(&mut self) {
        if matches!(self.stage, Stage::Preview(_) | Stage::Failed(_)) {
            self.stage = Stage::Edit;
        }
    }

    /// Applies a key's action and says what the app must do.
    pub fn apply(&mut self, a: Action) -> DialogEffect {
        let before = self.path.text().to_string();
        let effect = self.apply_to_stage(a);
        if self.path.text() != before {
            self.kind_from_path();
        }
        effect
    }

    /// While the kind was not chosen by hand: a statement for a file named `.xml`, `.ofx`
    /// or `.qfx`, payments for any other.
    fn kind_from_path(&mut self) {
        if !self.kind_auto {
            return;
        }
        self.kind = if statement::by_name(Path::new(self.path.text().trim())) {
            ImportKind::Statement
        } else {
            ImportKind::Payments
        };
        if !self.fields().contains(&self.focus) {
            self.focus = Field::Path;
        }
    }

    fn apply_to_stage(&mut self, a: Action) -> DialogEffect {
        match &mut self.stage {
            Stage::Done(_) => {
                return match a {
                    Action::Submit | Action::Cancel | Action::Close | Action::NextField => {
                        DialogEffect::Close
                    }
                    _ => DialogEffect::None,
                }
            }
            Stage::Running(_) => {
                if matches!(a, Action::Cancel | Action::Close) {
                    self.stage = Stage::Edit;
                    self.notice = Some("cancelled; nothing was imported".into());
                }
                return DialogEffect::None;
            }
            Stage::Preview(p) => match a {
                Action::Submit => {
                    return if p.error_count == 0 {
                        DialogEffect::Commit
                    } else {
                        // the file may have been fixed meanwhile: read it again
                        self.stage = Stage::Edit;
                        DialogEffect::Start
                    };
                }
                Action::Cancel | Action::Close => {
                    self.stage = Stage::Edit;
                    self.notice = None;
                    return DialogEffect::None;
                }
                Action::NextField => {
                    let max = p.table.rows.len().saturating_sub(1);
                    p.scroll = (p.scroll + 1).min(max);
                    return DialogEffect::None;
                }
                Action::PrevField => {
                    p.scroll = p.scroll.saturating_sub(1);
                    return DialogEffect::None;
                }
                _ => self.stage = Stage::Edit,
            },
            Stage::Failed(_) => match a {
                Action::Cancel | Action::Close => {
                    self.stage = Stage::Edit;
                    return DialogEffect::None;
                }
                _ => self.stage = Stage::Edit,
            },
            Stage::Edit => {}
        }
        match a {
            Action::Submit => {
                if self.path.text().trim().is_empty() {
                    self.focus = Field::Path;
                    self.notice = Some("type the file's path first (tab completes)".into());
                    return DialogEffect::None;
                }
                if let Err(e) = self.currency_choice() {
                    self.focus = Field::Currency;
                    self.notice = Some(e);
                    return DialogEffect::None;
                }
                DialogEffect::Start
            }
            Action::Cancel | Action::Close => DialogEffect::Close,
            Action::CompleteNext if self.focus == Field::Path => {
                self.complete(1);
                DialogEffect::None
            }
            Action::CompletePrev if self.focus == Field::Path && self.completion.is_some() => {
                self.complete(-1);
                DialogEffect::None
            }
            Action::NextField | Action::CompleteNext => {
                self.move_focus(1);
                DialogEffect::None
            }
            Action::PrevField | Action::CompletePrev => {
                self.move_focus(-1);
                DialogEffect::None
            }
            Action::CursorLeft | Action::CursorRight
                if matches!(self.focus, Field::Kind | Field::Layout) =>
            {
                self.cycle_choice(if a == Action::CursorLeft { -1 } else { 1 });
                self.notice = None;
                DialogEffect::None
            }
            other => {
                let input = match self.focus {
                    Field::Path => &mut self.path,
                    Field::Currency => &mut self.currency,
                    _ => return DialogEffect::None,
                };
                if input.apply(other) == Some(true) {
                    self.notice = None;
                    if self.focus == Field::Path {
                        self.completion = None;
                    }
                }
                DialogEffect::None
            }
        }
    }

    /// The currency typed, if any.
    fn currency_choice(&self) -> Result<Option<Currency>, String> {
        let t = self.currency.text().trim();
        if t.is_empty() || !self.layout_needs_currency() {
            return Ok(None);
        }
        t.parse::<Currency>()
            .map(Some)
            .map_err(|e| format!("currency: {e}"))
    }

    // ---- path completion ---------------------------------------------------------------

    /// Tab on the path: completes the common prefix of the matching names; when there is
    /// nothing more in common, lists them, and further presses cycle through them
    /// (`d` = -1 backwards).
    pub fn complete(&mut self, d: isize) {
        self.notice = None;
        if let Some(c) = self.completion.as_mut() {
            if !c.candidates.is_empty() && (c.index.is_some() || c.candidates.len() > 1) {
                let n = c.candidates.len() as isize;
                let next = match c.index {
                    None if d > 0 => 0,
                    None => n - 1,
                    Some(i) => (i as isize + d).rem_euclid(n),
                };
                c.index = Some(next as usize);
                let text = format!("{}{}", c.dir_text, c.candidates[next as usize]);
                self.path.set(&text);
                return;
            }
        }
        let text = self.path.text().to_string();
        let (dir_text, prefix) = match text.rfind('/') {
            Some(i) => (text[..=i].to_string(), text[i + 1..].to_string()),
            None if text == "~" && self.home.is_some() => ("~/".to_string(), String::new()),
            None => (String::new(), text.clone()),
        };
        let dir = if dir_text.is_empty() {
            self.cwd.clone()
        } else {
            self.expand(&dir_text)
        };
        let (candidates, truncated) = match list_dir(&dir, &prefix) {
            Ok(x) => x,
            Err(e) => {
                self.completion = None;
                self.notice = Some(format!("cannot list {}: {e}", dir.display()));
                return;
            }
        };
        match candidates.len() {
            0 => {
                self.completion = None;
                self.notice = Some(if prefix.is_empty() {
                    format!("{} is empty", dir.display())
                } else {
                    format!("no file in {} starts with '{prefix}'", dir.display())
                });
            }
            1 => {
                self.path.set(&format!("{dir_text}{}", candidates[0]));
                self.completion = None;
            }
            _ => {
                let common = common_prefix(&candidates);
                if common.chars().count() > prefix.chars().count() {
                    self.path.set(&format!("{dir_text}{common}"));
                } else if text != format!("{dir_text}{prefix}") || dir_text.is_empty() {
                    self.path.set(&format!("{dir_text}{prefix}"));
                }
                self.completion = Some(Completion {
                    dir_text,
                    candidates,
                    index: None,
                    truncated,
                });
            }
        }
    }

    // ---- the dry run -----------------------------------------------------------------

    /// Starts the dry run against `ledger` and `ids` on a thread of its own; invoices are
    /// matched as open as of `today`.
    pub fn start(&mut self, ledger: Arc<Ledger>, ids: IdSeq, today: time::Date) {
        self.notice = None;
        self.completion = None;
        let currency = match self.currency_choice() {
            Ok(c) => c,
            Err(e) => {
                self.stage = Stage::Failed(Failure::one(e));
                return;
            }
        };
        let path = self.resolved_path();
        let source = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let req = Request {
            path,
            source: source.clone(),
            kind: self.kind,
            layout: if self.kind.takes_profiles() {
                self.chosen_layout().clone()
            } else {
                LayoutChoice::Own
            },
            currency,
            user_dir: self.user_dir.clone(),
            ledger,
            ids,
            today,
        };
        self.spawn(source, move |progress, cancel| {
            dry_run(req, progress, cancel)
        });
    }

    /// Runs `job` on the reading thread. Whatever happens there reaches the dialog: the
    /// preview, an error, or a panic turned into an error naming the file.
    fn spawn<F>(&mut self, source: String, job: F)
    where
        F: FnOnce(&Progress, &AtomicBool) -> Result<Box<Preview>, Failure> + Send + 'static,
    {
        let progress = Arc::new(Progress::default());
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let (p2, c2) = (progress.clone(), cancel.clone());
        let name = source.clone();
        let spawned = std::thread::Builder::new()
            .name("paytrack-import".into())
            .spawn(move || {
                let res = catch_panic(&name, || job(&p2, &c2));
                if !c2.load(Ordering::Relaxed) {
                    let _ = tx.send(res);
                }
            });
        self.stage = match spawned {
            Ok(_) => Stage::Running(Running {
                progress,
                source,
                cancel,
                rx,
            }),
            Err(e) => Stage::Failed(Failure::one(format!("cannot start reading: {e}"))),
        };
    }

    /// Takes the dry run's result when it has arrived. Returns whether the stage changed.
    pub fn poll(&mut self) -> bool {
        let Stage::Running(r) = &self.stage else {
            return false;
        };
        let res = match r.rx.try_recv() {
            Ok(res) => res,
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => Err(Failure::one(format!(
                "{}: the reading thread stopped without an answer; nothing was imported",
                r.source
            ))),
        };
        self.stage = match res {
            Ok(p) => {
                if p.kind != self.kind {
                    // recognised as a bank statement from its content
                    self.kind = p.kind;
                    self.focus = Field::Path;
                }
                Stage::Preview(p)
            }
            Err(f) => Stage::Failed(f),
        };
        true
    }

    /// Takes the preview to commit it (the stage becomes [`Stage::Edit`]).
    pub fn take_preview(&mut self) -> Option<Box<Preview>> {
        match std::mem::replace(&mut self.stage, Stage::Edit) {
            Stage::Preview(p) => Some(p),
            other => {
                self.stage = other;
                None
            }
        }
    }
}

/// The entries of `dir` starting with `prefix` (hidden ones only when the prefix starts
/// with `.`), sorted, directories with a trailing `/`; and whether there were more than
/// [`MAX_CANDIDATES`].
fn list_dir(dir: &Path, prefix: &str) -> std::io::Result<(Vec<String>, bool)> {
    let mut out = Vec::new();
    let mut truncated = false;
    for e in std::fs::read_dir(dir)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
            continue;
        }
        if out.len() >= MAX_CANDIDATES {
            truncated = true;
            break;
        }
        // follows links, so a link to a directory completes like one
        let is_dir = std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
        out.push(if is_dir { format!("{name}/") } else { name });
    }
    out.sort();
    Ok((out, truncated))
}

/// The longest prefix (in characters) all of `names` share.
fn common_prefix(names: &[String]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut n = first.chars().count();
    for s in &names[1..] {
        n = n.min(
            first
                .chars()
                .zip(s.chars())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    first.chars().take(n).collect()
}

/// What the reading thread needs.
struct Request {
    path: PathBuf,
    source: String,
    kind: ImportKind,
    layout: LayoutChoice,
    currency: Option<Currency>,
    user_dir: Option<PathBuf>,
    ledger: Arc<Ledger>,
    ids: IdSeq,
    today: time::Date,
}

const CANCELLED: &str = "cancelled";

thread_local! {
    /// Set while a reading job runs on this thread: a panic is caught and reported in the
    /// dialog (the terminal must stay as it is).
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Where the caught panic happened (`src/...:line`).
    static PANIC_AT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// For the TUI's panic hook: whether a panic on this thread is caught and shown in the
/// import dialog (then the terminal is left alone and nothing is printed). Notes where
/// it happened for the message.
pub fn panic_is_reported_in_dialog(info: &std::panic::PanicHookInfo<'_>) -> bool {
    if !CATCHING.with(|c| c.get()) {
        return false;
    }
    let at = info
        .location()
        .map(|l| format!("{}:{}", l.file(), l.line()));
    PANIC_AT.with(|p| *p.borrow_mut() = at);
    true
}

/// Runs `job`, turning a panic into a [`Failure`] naming the file.
fn catch_panic(
    source: &str,
    job: impl FnOnce() -> Result<Box<Preview>, Failure>,
) -> Result<Box<Preview>, Failure> {
    CATCHING.with(|c| c.set(true));
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    CATCHING.with(|c| c.set(false));
    res.unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        // panic messages may quote the file at length
        let what = crate::text::head(what.lines().next().unwrap_or(""), 160).to_string();
        let at = PANIC_AT
            .with(|p| p.borrow_mut().take())
            .map(|a| format!(" at {a}"))
            .unwrap_or_default();
        Err(Failure::one(format!(
            "{source}: paytrack failed while reading the file ({what}{at}); nothing was \
             imported. This is a bug in paytrack: please report it"
        )))
    })
}

fn check(cancel: &AtomicBool) -> Result<(), Failure> {
    if cancel.load(Ordering::Relaxed) {
        Err(Failure::one(CANCELLED))
    } else {
        Ok(())
    }
}

/// Reads the file in chunks, counting bytes and lines for the progress display.
fn read_file(
    path: &Path,
    source: &str,
    progress: &Progress,
    cancel: &AtomicBool,
) -> Result<Vec<u8>, Failure> {
    let cannot =
        |e: std::io::Error| Failure::one(format!("{source}: cannot read {}: {e}", path.display()));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_dir() {
        return Err(Failure::one(format!(
            "{source}: {} is a directory; choose a file",
            path.display()
        )));
    }
    progress.total.store(meta.len(), Ordering::Relaxed);
    let mut f = File::open(path).map_err(cannot)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(1 << 30));
    let mut buf = vec![0u8; 1 << 18];
    loop {
        check(cancel)?;
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(cannot(e)),
        };
        let chunk = &buf[..n];
        bytes.extend_from_slice(chunk);
        let lines = chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        progress.lines.fetch_add(lines, Ordering::Relaxed);
        progress.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }
    Ok(bytes)
}

/// Whether a CSV header row is paytrack's own payments layout.
fn own_payments_header(bytes: &[u8]) -> bool {
    let Ok((text, _)) = encoding::decode(bytes, encoding::Encoding::Auto, "") else {
        return false;
    };
    let Some(header) = mapped::header_of(&text, b',', 0) else {
        return false;
    };
    ["date", "party", "direction", "amount"]
        .iter()
        .all(|c| header.iter().any(|h| h.eq_ignore_ascii_case(c)))
}

/// The start of a file, enough for its header row (see [`encoding::head`]).
fn head_of(bytes: &[u8]) -> &[u8] {
    encoding::head(bytes, encoding::HEAD)
}

/// Whether the file is a JSON array (paytrack's JSON layout).
fn is_json(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'[')
}

/// The profile that fits the header row best (`--profile auto`), with the user's
/// profiles from `user_dir` among the candidates; `None` when none fits.
pub fn detect_profile(bytes: &[u8], user_dir: Option<&Path>) -> Option<Profile> {
    let (all, _) = profile::all(user_dir);
    mapped::detect(bytes, &all).cloned()
}

/// The dry run: reads, parses and plans without touching the store.
fn dry_run(
    req: Request,
    progress: &Progress,
    cancel: &AtomicBool,
) -> Result<Box<Preview>, Failure> {
    let bytes = read_file(&req.path, &req.source, progress, cancel)?;
    check(cancel)?;
    progress.set_phase(Phase::Parsing);
    let src = req.source.as_str();
    let mut ids = req.ids;
    let mut note = None;
    let mut kind = req.kind;
    if kind != ImportKind::Statement {
        if encoding::is_blank(&bytes) {
            return Err(Failure::one(crate::interchange::ImportError::new(
                src,
                1,
                None,
                encoding::EMPTY_FILE,
            )));
        }
        if let Some(format) = statement::recognise(&bytes) {
            if kind == ImportKind::Payments && req.layout == LayoutChoice::Auto {
                note = Some(format!(
                    "bank statement ({format}) recognised from the content"
                ));
                kind = ImportKind::Statement;
            } else {
                return Err(Failure::one(format!(
                    "{src}:1: this is a bank statement ({format}), not {} in a CSV layout: \
                     choose the kind 'statement'",
                    kind.label()
                )));
            }
        }
    }
    let layout = match (&req.layout, kind) {
        (LayoutChoice::Auto, ImportKind::Payments) => {
            // paytrack's own header (it has a direction column) first: the generic bank
            // profile would take it too, reading every row as money in from "Bank"
            let head = head_of(&bytes);
            if own_payments_header(head) || is_json(head) {
                note = Some("paytrack's own layout recognised from the header row".into());
                None
            } else if let Some(p) = detect_profile(head, req.user_dir.as_deref()) {
                note = Some(format!(
                    "profile '{}' ({}) recognised from the header row",
                    p.name, p.title
                ));
                Some(p)
            } else {
                let header = encoding::decode(head, encoding::Encoding::Auto, src)
                    .ok()
                    .and_then(|(t, _)| mapped::header_of(&t, b',', 0))
                    .unwrap_or_default();
                return Err(Failure::one(format!(
                    "{src}:1: the header row matches no profile and is not paytrack's own \
                     layout (the header row has: {}); choose a profile",
                    header.join(", ")
                )));
            }
        }
        (LayoutChoice::Profile { name, .. }, ImportKind::Payments) => {
            let p = profile::load(name, req.user_dir.as_deref()).map_err(Failure::one)?;
            Some(p)
        }
        _ => None,
    };
    let row_err = |e: crate::interchange::ImportError| Failure::one(e);
    let (kind, own, foreign_import) = match (kind, layout) {
        (ImportKind::Statement, _) => {
            let extract = statement::read(&bytes, src).map_err(row_err)?;
            (
                ImportKind::Statement,
                None,
                Some(plan_foreign(extract, &req, &mut ids, progress, cancel)?),
            )
        }
        (ImportKind::Payments, Some(p)) => {
            let extract = mapped::read(&bytes, src, &p, req.currency).map_err(row_err)?;
            (
                ImportKind::Payments,
                None,
                Some(plan_foreign(extract, &req, &mut ids, progress, cancel)?),
            )
        }
        (kind, _) => {
            let l: &Ledger = &req.ledger;
            let json = is_json(&bytes);
            let r = &bytes[..];
            let plan = match (kind, json) {
                (ImportKind::Invoices, false) => csv_own::read_invoices(r, src, l, &mut ids),
                (ImportKind::Invoices, true) => json::read_invoices(r, src, l, &mut ids),
                (ImportKind::Parties, false) => csv_own::read_parties(r, src, l, &mut ids),
                (ImportKind::Parties, true) => json::read_parties(r, src, l, &mut ids),
                (_, false) => csv_own::read_payments(r, src, l, &mut ids),
                (_, true) => json::read_payments(r, src, l, &mut ids),
            }
            .map_err(row_err)?;
            if note.is_none() {
                note = Some(format!(
                    "paytrack's own layout ({})",
                    if json { "JSON" } else { "CSV" }
                ));
            }
            (kind, Some(plan), None)
        }
    };
    check(cancel)?;
    let mut p = match (own, foreign_import) {
        (Some(plan), _) => own_preview(plan, kind, &req),
        (None, Some(t)) => foreign_preview(t, kind, &req),
        (None, None) => return Err(Failure::one(format!("{src}: nothing was read"))),
    };
    p.note = note.or(p.note);
    p.ids = req.ids;
    Ok(Box::new(p))
}

fn plan_foreign(
    extract: Extract,
    req: &Request,
    ids: &mut IdSeq,
    progress: &Progress,
    cancel: &AtomicBool,
) -> Result<foreign::TransactionImport, Failure> {
    check(cancel)?;
    progress.set_phase(Phase::Planning);
    progress.lines.store(extract.rows as u64, Ordering::Relaxed);
    Ok(foreign::plan(
        extract,
        &req.source,
        &req.ledger,
        ids,
        PlanOptions {
            match_invoices: true,
            as_of: req.today,
        },
    ))
}

fn empty_preview(kind: ImportKind, req: &Request, format: String) -> Preview {
    Preview {
        source: req.source.clone(),
        format,
        note: None,
        notes: Vec::new(),
        kind,
        rows: 0,
        records: 0,
        incoming: 0,
        fees: 0,
        new_parties: Vec::new(),
        duplicates: Vec::new(),
        skipped: Vec::new(),
        matched: 0,
        suggestions: Vec::new(),
        errors: Vec::new(),
        error_count: 0,
        foreign: false,
        table: PreviewTable::default(),
        scroll: 0,
        changes: ChangeSet::new(),
        base: req.ledger.clone(),
        ids: req.ids,
        first: None,
    }
}

fn own_preview(plan: ImportPlan, kind: ImportKind, req: &Request) -> Preview {
    let mut p = empty_preview(kind, req, "paytrack's own layout".into());
    p.rows = plan.records + plan.duplicates.len();
    p.records = plan.records;
    p.duplicates = plan.duplicates;
    fill_from_changes(&mut p, &plan.changes, &req.ledger, None);
    p.matched = plan
        .changes
        .changes
        .iter()
        .filter(|c| matches!(c, Change::PutPayment(x) if !x.allocations.is_empty()))
        .count();
    p.changes = plan.changes;
    p
}

fn foreign_preview(t: foreign::TransactionImport, kind: ImportKind, req: &Request) -> Preview {
    let mut p = empty_preview(kind, req, t.format.clone());
    p.foreign = true;
    p.rows = t.rows;
    p.records = t.payments;
    p.incoming = t.incoming;
    p.fees = t.fees;
    p.duplicates = t.duplicates;
    p.skipped = t.skipped.into_iter().map(|s| (s.line, s.reason)).collect();
    p.matched = t.matches.len();
    p.error_count = t.error_count;
    p.errors = t
        .errors
        .iter()
        .take(SHOWN_ERRORS)
        .map(|e| e.to_string())
        .collect();
    // the matching column: why a payment is allocated, or which invoices it could pay
    let mut why: HashMap<PaymentId, String> = HashMap::new();
    for m in &t.matches {
        why.insert(m.payment, m.proposal.reasons.clone());
    }
    for s in &t.suggestions {
        let choices: Vec<String> = s.candidates.iter().map(|c| c.numbers(s.currency)).collect();
        why.insert(
            s.payment,
            format!("ambiguous, not applied: {}", choices.join(" or ")),
        );
    }
    fill_from_changes(&mut p, &t.plan.changes, &req.ledger, Some(&why));
    p.suggestions = t.suggestions;
    p.notes = t.notes;
    p.new_parties = t.new_parties;
    if t.error_count == 0 {
        p.changes = t.plan.changes;
    }
    p
}

/// The new parties' names and the first rows of the table, from the change set; `why`
/// (other systems' files and statements) fills a column saying how each payment matched.
fn fill_from_changes(
    p: &mut Preview,
    set: &ChangeSet,
    ledger: &Ledger,
    why: Option<&HashMap<PaymentId, String>>,
) {
    let mut names: HashMap<PartyId, &str> = HashMap::new();
    let mut numbers: HashMap<InvoiceId, &str> = HashMap::new();
    for c in &set.changes {
        match c {
            Change::PutParty(x) => {
                names.insert(x.id, &x.name);
                if ledger.party(x.id).is_none() {
                    p.new_parties.push(x.name.clone());
                }
            }
            Change::PutInvoice(i) => {
                numbers.insert(i.id, &i.number);
            }
            _ => {}
        }
    }
    let party = |id: PartyId| -> String {
        names
            .get(&id)
            .map(|s| s.to_string())
            .unwrap_or_else(|| ledger.party_name(id).to_string())
    };
    let date = crate::domain::format_date;
    let mut rows = Vec::new();
    let mut total = 0usize;
    let mut incoming = 0usize;
    let mut first = None;
    for c in &set.changes {
        let row = match (c, p.kind) {
            (Change::PutPayment(x), ImportKind::Payments | ImportKind::Statement) => {
                if x.direction == Direction::In {
                    incoming += 1;
                }
                first = first.or(Some(Target::Payment(x.id)));
                let inv: Vec<String> = x
                    .allocations
                    .iter()
                    .map(|a| {
                        numbers
                            .get(&a.invoice)
                            .map(|s| s.to_string())
                            .or_else(|| ledger.invoice(a.invoice).map(|i| i.number.clone()))
                            .unwrap_or_else(|| format!("#{}", a.invoice))
                    })
                    .collect();
                let mut row = vec![
                    date(x.date),
                    x.direction.as_str().to_string(),
                    x.currency.format(x.amount),
                    x.currency.to_string(),
                    party(x.party),
                    x.reference.clone(),
                    inv.join(", "),
                ];
                if let Some(w) = why {
                    row.push(w.get(&x.id).cloned().unwrap_or_default());
                }
                row
            }
            (Change::PutInvoice(x), ImportKind::Invoices) => {
                first = first.or(Some(Target::Invoice(x.id)));
                vec![
                    x.number.clone(),
                    x.kind.as_str().to_string(),
                    party(x.party),
                    date(x.issue_date),
                    date(x.due_date),
                    x.currency.format(x.amount),
                    x.currency.to_string(),
                ]
            }
            (Change::PutParty(x), ImportKind::Parties) => {
                first = first.or(Some(Target::Party(x.id)));
                vec![
                    x.name.clone(),
                    x.role.as_str().to_string(),
                    x.email.clone(),
                    x.terms_days.map(|d| d.to_string()).unwrap_or_default(),
                ]
            }
            _ => continue,
        };
        total += 1;
        if rows.len() < PREVIEW_ROWS {
            rows.push(row);
        }
    }
    p.table = PreviewTable {
        headers: match p.kind {
            ImportKind::Payments | ImportKind::Statement => {
                let mut h = vec![
                    "date",
                    "dir",
                    "amount",
                    "cur",
                    "party",
                    "reference",
                    "invoices",
                ];
                if why.is_some() {
                    h.push("matched by");
                }
                h
            }
            ImportKind::Invoices => {
                vec!["number", "kind", "party", "issued", "due", "amount", "cur"]
            }
            ImportKind::Parties => vec!["name", "role", "email", "terms"],
        },
        more: total - rows.len(),
        rows,
    };
    if matches!(p.kind, ImportKind::Payments | ImportKind::Statement) && p.incoming == 0 {
        p.incoming = incoming;
    }
    p.first = first;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefix_in_characters() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(common_prefix(&v(&["bank.csv", "bank_dc.csv"])), "bank");
        assert_eq!(common_prefix(&v(&["Müller.csv", "Müll.csv"])), "Müll");
        assert_eq!(common_prefix(&v(&["a", "b"])), "");
        assert_eq!(common_prefix(&[]), "");
    }

    #[test]
    fn the_head_of_a_large_file_ends_at_a_line() {
        let small = b"a,b\n1,2\n";
        assert_eq!(head_of(small), small);
        let mut big = b"Date,Amount,Counterparty\n".to_vec();
        while big.len() < 200_000 {
            big.extend_from_slice(b"2026-01-01,1.00,Someone\n");
        }
        let h = head_of(&big);
        assert!(h.len() <= 1 << 16 && h.len() > 60_000);
        assert_eq!(h.last(), Some(&b'\n'));
        assert!(own_payments_header(b"date,party,direction,amount\n"));
        assert!(!own_payments_header(h));
        assert!(is_json(b"\xEF\xBB\xBF  [ {}]"));
        assert!(!is_json(h));
        // one long line: cut before a character that does not fit, never inside it
        let mut line = "Datum,Betrag,".to_string();
        while line.len() < (1 << 16) - 1 {
            line.push('x');
        }
        line.push_str("ä,Empfänger\n");
        let h = head_of(line.as_bytes());
        assert_eq!(h.len(), (1 << 16) - 1, "'ä' straddles 64 KiB");
        assert!(std::str::from_utf8(h).is_ok());
    }

    /// Polls until the reading thread has answered.
    fn answered(d: &mut ImportDialog) {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while d.running() && std::time::Instant::now() < end {
            d.poll();
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    #[test]
    fn whatever_happens_on_the_reading_thread_reaches_the_dialog() {
        let mut d = ImportDialog::new(None);
        // a panic becomes an error naming the file
        d.spawn("broken.xml".into(), |_, _| panic!("the reader fell over"));
        answered(&mut d);
        let Stage::Failed(f) = &d.stage else {
            panic!("{:?}", d.stage)
        };
        assert!(
            f.errors[0].starts_with(
                "broken.xml: paytrack failed while reading the file (the reader fell over"
            ) && f.errors[0].contains("nothing was imported"),
            "{:?}",
            f.errors
        );
        // an error arrives as it is
        d.spawn("x.csv".into(), |_, _| {
            Err(Failure::one("x.csv:3: date: bad"))
        });
        answered(&mut d);
        let Stage::Failed(f) = &d.stage else {
            panic!("{:?}", d.stage)
        };
        assert_eq!(f.errors, ["x.csv:3: date: bad"]);
    }

    #[test]
    fn tilde_expands_to_home_only_at_the_start() {
        let d = ImportDialog::new(None)
            .with_dirs(PathBuf::from("/work"), Some(PathBuf::from("/home/me")));
        assert_eq!(d.expand("~/x.csv"), PathBuf::from("/home/me/x.csv"));
        assert_eq!(d.expand("~"), PathBuf::from("/home/me"));
        assert_eq!(d.expand("~bob/x"), PathBuf::from("/work/~bob/x"));
        assert_eq!(d.expand("a/~/b"), PathBuf::from("/work/a/~/b"));
        assert_eq!(d.expand("/abs"), PathBuf::from("/abs"));
    }
}
