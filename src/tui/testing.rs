//! Driving the app without a terminal: a [`Harness`] on ratatui's `TestBackend` that
//! feeds keys and returns the rendered lines, and a small fixed [`fixture`] ledger.
//! Used by the TUI's tests; also handy for scripted screenshots.

use std::sync::Arc;
use std::time::Duration;

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyEvent, KeyModifiers};
use ratatui::Terminal;
use rust_decimal::Decimal;
use time::macros::date;
use time::Date;

use super::app::{App, AppConfig};
use super::keymap::{parse_keys, Keymap};
use super::persist::{MemoryStore, Persistence};
use super::theme::{ColorDepth, Styles, Theme};
use super::ui;
use crate::domain::ledger::Ledger;
use crate::domain::{
    Allocation, Currency, Direction, Invoice, InvoiceId, InvoiceKind, Method, Party, PartyId,
    PartyRole, Payment, PaymentId,
};

/// The date the fixture is built around.
pub const FIXTURE_TODAY: Date = date!(2026 - 12 - 03);

fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

fn party(id: u64, name: &str, role: PartyRole, email: &str, terms: Option<u32>) -> Party {
    Party {
        id: PartyId(id),
        name: name.into(),
        role,
        email: email.into(),
        terms_days: terms,
        notes: String::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn invoice(
    id: u64,
    number: &str,
    party: u64,
    kind: InvoiceKind,
    issued: Date,
    due: Date,
    amount: &str,
    cur: Currency,
) -> Invoice {
    Invoice {
        id: InvoiceId(id),
        number: number.into(),
        party: PartyId(party),
        kind,
        issue_date: issued,
        due_date: due,
        amount: d(amount),
        currency: cur,
        notes: String::new(),
        void: false,
    }
}

#[allow(clippy::too_many_arguments)]
fn payment(
    id: u64,
    date: Date,
    party: u64,
    dir: Direction,
    amount: &str,
    cur: Currency,
    method: Method,
    reference: &str,
    allocs: &[(u64, &str)],
) -> Payment {
    Payment {
        id: PaymentId(id),
        party: PartyId(party),
        direction: dir,
        amount: d(amount),
        currency: cur,
        date,
        method,
        reference: reference.into(),
        notes: String::new(),
        allocations: allocs
            .iter()
            .map(|(i, a)| Allocation {
                invoice: InvoiceId(*i),
                amount: d(a),
            })
            .collect(),
        source: None,
    }
}

/// A small ledger with one of everything, as of [`FIXTURE_TODAY`]: an invoice paid late
/// (INV-001), an overdue partial one (INV-002), one due soon (INV-003), one overdue for
/// 90+ days (INV-004), an overdue bill (B-BLUE-1), a bill paid on time (B-BLUE-2), a JPY
/// invoice partly paid (INV-005), a USD invoice paid on time (INV-006), a void one
/// (INV-007), and an unallocated payment (credit) whose reference holds a bidi override.
pub fn fixture() -> Ledger {
    use Direction::{In, Out};
    use InvoiceKind::{Payable, Receivable};
    let parties = vec![
        party(
            1,
            "Acme Corp",
            PartyRole::Customer,
            "ap@acme.example",
            Some(30),
        ),
        party(
            2,
            "Müller GmbH",
            PartyRole::Customer,
            "buchhaltung@mueller.example",
            None,
        ),
        party(
            3,
            "Blue Supplies",
            PartyRole::Partner,
            "billing@blue.example",
            Some(30),
        ),
        party(
            4,
            "Tanaka KK",
            PartyRole::Customer,
            "keiri@tanaka.example",
            Some(30),
        ),
    ];
    let mut void = invoice(
        9,
        "INV-007",
        1,
        Receivable,
        date!(2026 - 05 - 01),
        date!(2026 - 05 - 31),
        "100",
        Currency::EUR,
    );
    void.void = true;
    let invoices = vec![
        invoice(
            1,
            "INV-001",
            1,
            Receivable,
            date!(2026 - 09 - 01),
            date!(2026 - 10 - 01),
            "1000",
            Currency::EUR,
        ),
        invoice(
            2,
            "INV-002",
            1,
            Receivable,
            date!(2026 - 10 - 15),
            date!(2026 - 11 - 14),
            "500",
            Currency::EUR,
        ),
        invoice(
            3,
            "INV-003",
            2,
            Receivable,
            date!(2026 - 11 - 10),
            date!(2026 - 12 - 08),
            "750",
            Currency::EUR,
        ),
        invoice(
            4,
            "INV-004",
            2,
            Receivable,
            date!(2026 - 08 - 01),
            date!(2026 - 08 - 31),
            "300",
            Currency::EUR,
        ),
        invoice(
            5,
            "B-BLUE-1",
            3,
            Payable,
            date!(2026 - 11 - 01),
            date!(2026 - 12 - 01),
            "400",
            Currency::EUR,
        ),
        invoice(
            6,
            "B-BLUE-2",
            3,
            Payable,
            date!(2026 - 10 - 01),
            date!(2026 - 10 - 31),
            "250",
            Currency::EUR,
        ),
        invoice(
            7,
            "INV-005",
            4,
            Receivable,
            date!(2026 - 11 - 20),
            date!(2026 - 12 - 20),
            "120000",
            Currency::JPY,
        ),
        invoice(
            8,
            "INV-006",
            1,
            Receivable,
            date!(2026 - 06 - 01),
            date!(2026 - 07 - 01),
            "800",
            Currency::USD,
        ),
        void,
    ];
    let payments = vec![
        payment(
            1,
            date!(2026 - 10 - 20),
            1,
            In,
            "1000",
            Currency::EUR,
            Method::BankTransfer,
            "ACME-1020",
            &[(1, "1000")],
        ),
        payment(
            2,
            date!(2026 - 11 - 01),
            1,
            In,
            "200",
            Currency::EUR,
            Method::Card,
            "ACME-1101",
            &[(2, "200")],
        ),
        payment(
            3,
            date!(2026 - 10 - 25),
            3,
            Out,
            "250",
            Currency::EUR,
            Method::BankTransfer,
            "BLUE-OCT",
            &[(6, "250")],
        ),
        payment(
            4,
            date!(2026 - 11 - 28),
            2,
            In,
            "150",
            Currency::EUR,
            Method::BankTransfer,
            "ADVANCE\u{202e}X",
            &[],
        ),
        payment(
            5,
            date!(2026 - 06 - 25),
            1,
            In,
            "800",
            Currency::USD,
            Method::BankTransfer,
            "ACME-USD",
            &[(8, "800")],
        ),
        payment(
            6,
            date!(2026 - 12 - 01),
            4,
            In,
            "20000",
            Currency::JPY,
            Method::Cash,
            "",
            &[(7, "20000")],
        ),
    ];
    Ledger::from_records(parties, invoices, payments)
}

/// An app on a store — in memory unless [`Harness::on`] gives another — with a test
/// terminal.
pub struct Harness<P: Persistence + 'static = MemoryStore> {
    /// The app.
    pub app: App,
    /// The test terminal.
    pub terminal: Terminal<TestBackend>,
    /// What the app commits to.
    pub store: Arc<P>,
}

/// Options for [`Harness::with`].
pub struct HarnessOptions {
    /// Initial ledger.
    pub ledger: Ledger,
    /// Today.
    pub today: Date,
    /// Terminal width.
    pub width: u16,
    /// Terminal height.
    pub height: u16,
    /// Keymap (default keymap when `None`).
    pub keymap: Option<Keymap>,
    /// Styles (default theme at 256 colours when `None`).
    pub styles: Option<Styles>,
    /// Start filter.
    pub filter: Option<String>,
    /// Start tab.
    pub tab: Option<String>,
}

impl HarnessOptions {
    /// The fixture at `width`×`height`.
    pub fn fixture(width: u16, height: u16) -> HarnessOptions {
        HarnessOptions {
            ledger: fixture(),
            today: FIXTURE_TODAY,
            width,
            height,
            keymap: None,
            styles: None,
            filter: None,
            tab: None,
        }
    }
}

impl Harness {
    /// The fixture ledger at `width`×`height`, loaded and settled.
    pub fn new(width: u16, height: u16) -> Harness {
        Harness::with(HarnessOptions::fixture(width, height))
    }

    /// A harness from options, loaded and settled.
    pub fn with(mut o: HarnessOptions) -> Harness {
        let store = Arc::new(MemoryStore::new(std::mem::take(&mut o.ledger)));
        Harness::on(store, o)
    }
}

impl<P: Persistence + 'static> Harness<P> {
    /// A harness on `store` (a real [`crate::store::Store`], say: what it holds is
    /// loaded, `o.ledger` is not used), loaded and settled.
    pub fn on(store: Arc<P>, o: HarnessOptions) -> Harness<P> {
        let app = App::new(AppConfig {
            persist: store.clone(),
            today: o.today,
            keymap: o.keymap.unwrap_or_else(Keymap::default_keymap),
            styles: o
                .styles
                .unwrap_or_else(|| Theme::default_theme().styles(ColorDepth::Ansi256)),
            warnings: Vec::new(),
            filter: o.filter,
            tab: o.tab,
        });
        let terminal = match Terminal::new(TestBackend::new(o.width, o.height)) {
            Ok(t) => t,
            Err(e) => match e {},
        };
        let mut h = Harness {
            app,
            terminal,
            store,
        };
        h.settle();
        h.draw();
        h.settle();
        h
    }

    /// Waits for background work.
    pub fn settle(&mut self) {
        self.app.settle(Duration::from_secs(20));
    }

    /// Draws a frame and returns its lines.
    pub fn draw(&mut self) -> Vec<String> {
        let app = &mut self.app;
        let _ = self.terminal.draw(|f| ui::draw(f, app));
        self.lines()
    }

    /// Sends the keys (space-separated, keymap notation: `a`, `enter`, `ctrl-s`, `G`),
    /// waiting for background work after each, and returns the rendered lines.
    pub fn keys(&mut self, spec: &str) -> Vec<String> {
        for chord in parse_keys(spec).unwrap_or_default() {
            self.app.handle_key(KeyEvent::new(chord.code, chord.mods));
            // As a person would: the screen catches up between key presses.
            self.settle();
            self.draw();
        }
        self.draw()
    }

    /// [`Harness::keys`] under the name other TUI test suites use.
    pub fn step_and_draw(&mut self, spec: &str) -> Vec<String> {
        self.keys(spec)
    }

    /// Types text character by character (spaces included) without waiting in between,
    /// like fast typing (so debouncing and superseded filter computations are exercised),
    /// then settles and draws.
    pub fn type_text(&mut self, text: &str) -> Vec<String> {
        for c in text.chars() {
            self.app.handle_key(KeyEvent::new(
                ratatui::crossterm::event::KeyCode::Char(c),
                KeyModifiers::empty(),
            ));
        }
        self.settle();
        self.draw()
    }

    /// The last frame's lines (trailing spaces kept).
    pub fn lines(&self) -> Vec<String> {
        buffer_lines(self.terminal.backend().buffer())
    }

    /// The last frame as one string.
    pub fn screen(&self) -> String {
        self.lines().join("\n")
    }

    /// The last frame's buffer (for style assertions).
    pub fn buffer(&self) -> &Buffer {
        self.terminal.backend().buffer()
    }

    /// Resizes the test terminal and redraws.
    pub fn resize(&mut self, width: u16, height: u16) -> Vec<String> {
        self.terminal.backend_mut().resize(width, height);
        let _ = self
            .terminal
            .resize(ratatui::layout::Rect::new(0, 0, width, height));
        self.draw()
    }
}

/// The rows of a buffer as strings.
pub fn buffer_lines(b: &Buffer) -> Vec<String> {
    let area = b.area;
    (0..area.height)
        .map(|y| {
            let mut s = String::new();
            for x in 0..area.width {
                s.push_str(b[(area.x + x, area.y + y)].symbol());
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! A schema migration's safety copy is announced: on standard error by the command
    //! line, in the status line by the TUI. (Test builds migrate schema 0 to 1; the
    //! released schema 1 is the first, so no released build migrates yet.)
    use super::*;
    use crate::domain::{Change, ChangeSet};
    use crate::session::Session;
    use crate::store::{codec, keys, safety, Store};

    /// A store of schema 0 holding the fixture's parties, at `dir`.
    fn old_store(dir: &std::path::Path) {
        {
            let store = Store::open(dir).unwrap();
            let mut set = ChangeSet::new();
            set.changes
                .extend(fixture().parties().iter().cloned().map(Change::PutParty));
            store.commit(&set).unwrap();
        }
        let tree = sled::open(dir).unwrap();
        tree.insert(
            keys::META_SCHEMA,
            codec::encode(codec::tag::SCHEMA_V1, &0u32),
        )
        .unwrap();
        tree.flush().unwrap();
    }

    fn migration_copy(dir: &std::path::Path) -> std::path::PathBuf {
        let copies = safety::safety_copies(dir);
        assert_eq!(copies.len(), 1, "{copies:?}");
        assert!(copies[0].to_string_lossy().contains("migration"));
        copies[0].clone()
    }

    #[test]
    fn the_command_line_says_where_the_migration_copy_went() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("store");
        old_store(&dir);
        let session = Session::open(&dir).unwrap();
        let copy = migration_copy(&dir);
        let mut err = Vec::new();
        crate::cli::announce(&session, &mut err);
        let err = String::from_utf8(err).unwrap();
        assert_eq!(
            err,
            format!(
                "paytrack: safety copy of the store before migration from schema 0 written to {} (restore it with `paytrack --db NEW_DIR restore FILE`)\n",
                copy.display()
            )
        );
        let mut again = Vec::new();
        crate::cli::announce(&session, &mut again);
        assert!(again.is_empty(), "said once");
    }

    #[test]
    fn the_tui_says_where_the_migration_copy_went() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("store");
        old_store(&dir);
        let session = Arc::new(Session::open(&dir).unwrap());
        let copy = migration_copy(&dir);
        let h = Harness::on(session, HarnessOptions::fixture(200, 30));
        let lines = h.lines();
        let status = &lines[lines.len() - 1];
        assert!(
            status.contains(&format!(
                "safety copy before migration from schema 0: {}",
                copy.display()
            )),
            "{status}"
        );
        assert_eq!(h.app.notes.len(), 1, "printed again when the TUI ends");
    }
}
