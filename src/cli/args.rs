//! Command-line definitions (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;
use time::Date;

use crate::domain::{self, Currency, Direction, InvoiceKind, Method, PartyRole};

/// Track invoices and payments from the terminal.
#[derive(Parser, Debug)]
#[command(name = "paytrack", version, about, long_about = None)]
pub struct Cli {
    /// Store directory (else $PAYTRACK_DB, else the XDG data directory).
    #[arg(long, global = true, env = "PAYTRACK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Fix "today" (YYYY-MM-DD), else $PAYTRACK_TODAY, else the clock.
    #[arg(long, global = true, env = "PAYTRACK_TODAY", value_name = "DATE", value_parser = parse_date_arg)]
    pub today: Option<Date>,
    /// TUI: open with this filter applied on the Payments tab.
    #[arg(long, value_name = "QUERY")]
    pub filter: Option<String>,
    /// TUI: the tab to open (payments, invoices, parties, filters, reports, reminders).
    #[arg(long, value_name = "TAB")]
    pub tab: Option<String>,
    /// TUI: keymap name (default, emacs) or path to a keymap file.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub keymap: Option<String>,
    /// TUI: theme name (default, light, high-contrast, mono) or path to a theme file.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// What to do; without a command the TUI opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Open the TUI on a fresh store full of generated demo data.
    Demo(DemoArgs),
    /// Add a party, invoice or payment.
    #[command(subcommand)]
    Add(AddCommand),
    /// Change a party, invoice or payment.
    #[command(subcommand)]
    Edit(EditCommand),
    /// Delete a party, invoice or payment.
    #[command(subcommand)]
    Delete(DeleteCommand),
    /// List payments.
    Payments(ListArgs),
    /// List invoices and bills.
    Invoices(ListArgs),
    /// List parties.
    Parties(ListArgs),
    /// Import records from paytrack's CSV (or JSON) layout; all rows land or none do.
    Import(ImportArgs),
    /// Export records as CSV or JSON.
    Export(ExportArgs),
    /// Write a lossless backup of the whole store to FILE.
    Backup {
        /// Backup file to write.
        file: PathBuf,
    },
    /// Restore a backup into an empty store.
    Restore {
        /// Backup file to read.
        file: PathBuf,
    },
    /// Print shell completions.
    Completions {
        /// Shell to generate completions for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
    /// Measure performance on a temporary demo store and print a table.
    Bench(BenchArgs),
    /// Verify the store: records decode, references and allocations hold, counters match.
    /// Prints nothing and exits 0 when all is well; lists the problems and exits 1 otherwise.
    Check {
        /// Rebuild what can be derived from the records (counts, id counters) after a
        /// safety copy, and say what was fixed.
        #[arg(long)]
        repair: bool,
    },
    /// Reports: aging, customer punctuality, trend, cash-flow outlook, statements.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Due reminders: list them, record them as sent, write an mbox or pipe to sendmail.
    /// With --check prints nothing and exits 3 when reminders are due, 0 when none.
    Remind(RemindArgs),
    /// Show or edit the reminder ladders and the minimum amount.
    #[command(subcommand)]
    Ladder(LadderCommand),
    /// Candidate invoices for payments with an unallocated remainder; --apply applies
    /// the unambiguous ones.
    Match(MatchArgs),
    /// Apply a party's credit to its oldest open invoices (FIFO), as one change.
    ApplyCredit {
        /// Party name.
        #[arg(long)]
        party: String,
    },
}

/// `paytrack remind`.
#[derive(Args, Debug)]
pub struct RemindArgs {
    /// Reminders due as of this date (default today).
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub as_of: Option<Date>,
    /// Only receivable (remind customers) or payable (remind ourselves).
    #[arg(long, value_parser = parse_word::<InvoiceKind>)]
    pub kind: Option<InvoiceKind>,
    /// Output format of the list.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Record the listed (or written, or sent) reminders as sent; a level already
    /// recorded is not recorded again.
    #[arg(long, conflicts_with = "check")]
    pub mark_sent: bool,
    /// Append one RFC 5322 message per party to this mbox file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["sendmail", "check"])]
    pub mbox: Option<PathBuf>,
    /// Pipe each message to this sendmail-compatible command (run by `sh -c`).
    #[arg(long, value_name = "CMD", conflicts_with = "check")]
    pub sendmail: Option<String>,
    /// Print nothing; exit 3 when reminders are due, 0 when none.
    #[arg(long)]
    pub check: bool,
    /// Sender address of the messages (payable reminders go to it too).
    #[arg(long, env = "PAYTRACK_FROM", default_value = "paytrack@localhost")]
    pub from: String,
}

/// `paytrack ladder ...`.
#[derive(Subcommand, Debug)]
pub enum LadderCommand {
    /// Print both ladders and the minimum amount.
    Show {
        /// Only this ladder.
        #[arg(long, value_parser = parse_word::<InvoiceKind>)]
        kind: Option<InvoiceKind>,
    },
    /// Add a level, or change the level at this offset.
    SetLevel {
        /// receivable or payable.
        #[arg(long, value_parser = parse_word::<InvoiceKind>)]
        kind: InvoiceKind,
        /// Days relative to the due date (negative: before it).
        #[arg(long, allow_negative_numbers = true)]
        offset: i32,
        /// Level name (required for a new level).
        #[arg(long)]
        name: Option<String>,
        /// Subject template ({party}, {invoices}, {total}, {due_dates}, {days_overdue}, {currency}, {level}, {count}, {table}).
        #[arg(long)]
        subject: Option<String>,
        /// Body template (same placeholders).
        #[arg(long)]
        body: Option<String>,
    },
    /// Remove the level at this offset.
    RemoveLevel {
        /// receivable or payable.
        #[arg(long, value_parser = parse_word::<InvoiceKind>)]
        kind: InvoiceKind,
        /// Days relative to the due date.
        #[arg(long, allow_negative_numbers = true)]
        offset: i32,
    },
    /// Invoices with less outstanding raise no reminder.
    MinAmount {
        /// Amount (0 for none).
        #[arg(value_parser = parse_nonneg_amount_arg)]
        amount: Decimal,
    },
    /// Go back to the default ladders and no minimum.
    Reset,
}

/// `paytrack match`.
#[derive(Args, Debug)]
pub struct MatchArgs {
    /// Only payments matching this filter.
    #[arg(long, short = 'f', value_name = "QUERY")]
    pub filter: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Apply the unambiguous matches (exactly one strong candidate) and report the rest.
    #[arg(long)]
    pub apply: bool,
}

/// Options every report shares.
#[derive(Args, Debug)]
pub struct ReportCommon {
    /// Report as of this date (default today); anything dated after it is ignored.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub as_of: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// `paytrack report ...`.
#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Aged receivables (or payables) by bucket, per currency or per party.
    Aging {
        /// receivable (default) or payable.
        #[arg(long, value_parser = parse_word::<InvoiceKind>)]
        kind: Option<InvoiceKind>,
        /// Only this currency.
        #[arg(long, value_parser = parse_word::<Currency>)]
        currency: Option<Currency>,
        /// One row per party instead of per bucket.
        #[arg(long)]
        by_party: bool,
        /// Shared options.
        #[command(flatten)]
        common: ReportCommon,
    },
    /// Punctuality per customer: who pays on time, who is late, by how much.
    Customers {
        /// Only this currency.
        #[arg(long, value_parser = parse_word::<Currency>)]
        currency: Option<Currency>,
        /// party (default), on_time_rate, avg_days_late or outstanding.
        #[arg(long, default_value = "party", value_parser = parse_sort)]
        sort: crate::report::CustomerSort,
        /// Shared options.
        #[command(flatten)]
        common: ReportCommon,
    },
    /// Money in and out per month.
    Trend {
        /// Number of months ending with the as-of month.
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=600))]
        months: u32,
        /// Only this currency.
        #[arg(long, value_parser = parse_word::<Currency>)]
        currency: Option<Currency>,
        /// Shared options.
        #[command(flatten)]
        common: ReportCommon,
    },
    /// Expected money per week from open invoices and bills.
    Cashflow {
        /// Number of weeks starting with the as-of week.
        #[arg(long, default_value_t = 13, value_parser = clap::value_parser!(u32).range(1..=520))]
        weeks: u32,
        /// Shared options.
        #[command(flatten)]
        common: ReportCommon,
    },
    /// A party's statement: opening balance, invoices and payments, closing balance.
    Statement {
        /// Party name.
        #[arg(long)]
        party: String,
        /// First date (default: from the beginning).
        #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
        from: Option<Date>,
        /// Last date (default: the as-of date).
        #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
        to: Option<Date>,
        /// Shared options.
        #[command(flatten)]
        common: ReportCommon,
    },
}

fn parse_sort(s: &str) -> Result<crate::report::CustomerSort, String> {
    s.parse()
        .map_err(|e: crate::report::ReportError| e.to_string())
}

/// `paytrack bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Store sizes in payments, comma separated (e.g. 10000,100000,1000000).
    #[arg(long, value_delimiter = ',', default_value = "1000000")]
    pub payments: Vec<usize>,
    /// Runs per step; the median is printed.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Also write the table to FILE.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Internal: load --db into a headless TUI and exit (for the memory figure).
    #[arg(long, hide = true)]
    pub tui_memory_probe: bool,
}

/// `paytrack demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Only fill the store named by --db; do not open the TUI.
    #[arg(long)]
    pub seed_only: bool,
    /// Number of payments to generate.
    #[arg(long, default_value_t = 20_000)]
    pub payments: usize,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Output formats of list commands.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    /// Aligned columns for people.
    Table,
    /// The interchange CSV plus derived columns.
    Csv,
    /// An array of objects.
    Json,
}

/// Formats of files.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// paytrack's CSV layout.
    Csv,
    /// paytrack's JSON.
    Json,
}

/// `payments`, `invoices`, `parties`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Filter in the filter language, e.g. `status:overdue party:acme`.
    #[arg(long, short = 'f', value_name = "QUERY")]
    pub filter: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Print at most N rows (newest first).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// What `import` reads.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportWhat {
    /// Invoices and bills (paytrack's CSV or JSON).
    Invoices,
    /// Payments: paytrack's CSV or JSON, or another system's CSV with --profile or --map.
    Payments,
    /// Parties (paytrack's CSV or JSON).
    Parties,
    /// A bank statement: ISO 20022 CAMT.053 or OFX 1.x/2.x (detected from the content).
    Statement,
}

/// What `export` writes.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportWhat {
    /// Invoices and bills.
    Invoices,
    /// Payments.
    Payments,
    /// Parties.
    Parties,
    /// A plain-text accounting journal for hledger and ledger.
    Journal,
}

/// `import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub what: ImportWhat,
    /// The file to read (`-` for standard input).
    pub file: PathBuf,
    /// Check and preview (rows, payments, new parties, duplicates, matches, errors)
    /// without changing the store.
    #[arg(long)]
    pub dry_run: bool,
    /// File format of paytrack's own layouts.
    #[arg(long, value_enum, default_value_t = FileFormat::Csv)]
    pub format: FileFormat,
    /// Payments: read another system's CSV with this profile (bank, bank-debit-credit,
    /// stripe, paypal, invoiceninja, akaunting, xero, one of yours in
    /// $XDG_CONFIG_HOME/paytrack/profiles/, a path to a .toml file), or `auto` to
    /// recognise it from the header row.
    #[arg(long, value_name = "NAME|auto|PATH")]
    pub profile: Option<String>,
    /// Payments: the column of a field, e.g. `--map date=Buchungstag --map amount=Betrag`
    /// (fields: date, amount, debit, credit, currency, party, id, reference, notes, fee,
    /// direction, method, refunded, invoice). Repeat a field for alternatives.
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub maps: Vec<String>,
    /// Payments: how dates are written, e.g. %d.%m.%Y, %m/%d/%Y, %Y-%m-%d.
    #[arg(long, value_name = "FORMAT")]
    pub date_format: Option<String>,
    /// Payments: amounts use a decimal comma (1.234,56).
    #[arg(long)]
    pub decimal_comma: bool,
    /// Payments: the field separator (one character, or `tab`).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Payments: lines to skip before the header row.
    #[arg(long, value_name = "N")]
    pub skip_lines: Option<usize>,
    /// Payments: text encoding: auto (UTF-8 if valid, else Windows-1252), utf-8 or
    /// windows-1252.
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// Payments: the currency of rows whose file has no currency column (default: the
    /// profile's, else EUR).
    #[arg(long, value_parser = parse_word::<Currency>)]
    pub currency: Option<Currency>,
    /// Payments and statements: do not allocate payments to the open invoices they name.
    #[arg(long)]
    pub no_match: bool,
}

/// `export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    pub what: ExportWhat,
    /// Only records matching this filter (not for the journal).
    #[arg(long, short = 'f', value_name = "QUERY")]
    pub filter: Option<String>,
    /// File format (not for the journal).
    #[arg(long, value_enum, default_value_t = FileFormat::Csv)]
    pub format: FileFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Journal: first date; earlier records become opening balances.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub from: Option<Date>,
    /// Journal: last date.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub to: Option<Date>,
}

/// `add ...`.
#[derive(Subcommand, Debug)]
pub enum AddCommand {
    /// Add a party.
    Party(PartyFields),
    /// Add an invoice (receivable) or bill (payable).
    Invoice(InvoiceFields),
    /// Add a payment.
    Payment(PaymentFields),
}

/// Fields of a party.
#[derive(Args, Debug)]
pub struct PartyFields {
    /// Name (unique, case-insensitive).
    #[arg(long)]
    pub name: Option<String>,
    /// customer, partner or both.
    #[arg(long, value_parser = parse_word::<PartyRole>)]
    pub role: Option<PartyRole>,
    /// Email address.
    #[arg(long)]
    pub email: Option<String>,
    /// Default payment terms in days.
    #[arg(long, value_name = "DAYS")]
    pub terms: Option<u32>,
    /// Notes.
    #[arg(long)]
    pub notes: Option<String>,
}

/// Fields of an invoice.
#[derive(Args, Debug)]
pub struct InvoiceFields {
    /// Invoice number (unique).
    #[arg(long)]
    pub number: Option<String>,
    /// Party name (created when new).
    #[arg(long)]
    pub party: Option<String>,
    /// receivable (we billed a customer) or payable (a partner billed us).
    #[arg(long, value_parser = parse_word::<InvoiceKind>)]
    pub kind: Option<InvoiceKind>,
    /// Issue date (YYYY-MM-DD, today, -3d).
    #[arg(long, value_name = "DATE")]
    pub issue: Option<String>,
    /// Due date (default: issue date plus the party's terms, or 30 days).
    #[arg(long, value_name = "DATE")]
    pub due: Option<String>,
    /// Amount, e.g. 1234.50.
    #[arg(long, value_parser = parse_amount_arg)]
    pub amount: Option<Decimal>,
    /// ISO 4217 currency code (default EUR).
    #[arg(long, value_parser = parse_word::<Currency>)]
    pub currency: Option<Currency>,
    /// Notes.
    #[arg(long)]
    pub notes: Option<String>,
    /// Mark void.
    #[arg(long, conflicts_with = "unvoid")]
    pub void: bool,
    /// Clear the void mark.
    #[arg(long)]
    pub unvoid: bool,
    /// No reminders before this date (`none` clears it).
    #[arg(long, value_name = "DATE")]
    pub snooze_until: Option<String>,
    /// Promise-to-pay date: no reminders until then, expected in the cash flow on it
    /// (`none` clears it).
    #[arg(long, value_name = "DATE")]
    pub promise: Option<String>,
    /// Mark disputed (no reminders while disputed).
    #[arg(long, conflicts_with = "undisputed")]
    pub disputed: bool,
    /// Clear the disputed mark.
    #[arg(long)]
    pub undisputed: bool,
}

/// Fields of a payment.
#[derive(Args, Debug)]
pub struct PaymentFields {
    /// Party name (created when new).
    #[arg(long)]
    pub party: Option<String>,
    /// in (from a customer) or out (to a partner).
    #[arg(long, alias = "dir", value_parser = parse_word::<Direction>)]
    pub direction: Option<Direction>,
    /// Amount, e.g. 1234.50.
    #[arg(long, value_parser = parse_amount_arg)]
    pub amount: Option<Decimal>,
    /// ISO 4217 currency code (default EUR).
    #[arg(long, value_parser = parse_word::<Currency>)]
    pub currency: Option<Currency>,
    /// Value date (YYYY-MM-DD, today, -3d; default today).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// bank_transfer, card, cash, check, paypal, direct_debit or other.
    #[arg(long, value_parser = parse_word::<Method>)]
    pub method: Option<Method>,
    /// Reference.
    #[arg(long)]
    pub reference: Option<String>,
    /// Notes.
    #[arg(long)]
    pub notes: Option<String>,
    /// Invoice to apply it to: `NUMBER` (the rest of the payment) or `NUMBER=AMOUNT`;
    /// repeat to split. On edit, replaces the allocations.
    #[arg(long = "invoice", value_name = "NUMBER[=AMOUNT]")]
    pub invoices: Vec<String>,
    /// On edit: remove all allocations (the whole amount becomes credit).
    #[arg(long)]
    pub unlink: bool,
}

/// `edit ...`.
#[derive(Subcommand, Debug)]
pub enum EditCommand {
    /// Edit a party, named by its current name.
    Party {
        /// Current name.
        #[arg(value_name = "NAME")]
        target: String,
        /// New values.
        #[command(flatten)]
        fields: PartyFields,
    },
    /// Edit an invoice, named by its number.
    Invoice {
        /// Current number.
        #[arg(value_name = "NUMBER")]
        target: String,
        /// New values.
        #[command(flatten)]
        fields: InvoiceFields,
    },
    /// Edit a payment, named by its id (the first column of `paytrack payments`).
    Payment {
        /// Payment id.
        id: u64,
        /// New values.
        #[command(flatten)]
        fields: PaymentFields,
    },
}

/// `delete ...`.
#[derive(Subcommand, Debug)]
pub enum DeleteCommand {
    /// Delete a party (with --force also its invoices and payments).
    Party {
        /// Name.
        name: String,
        /// Also delete its invoices and payments.
        #[arg(long)]
        force: bool,
    },
    /// Delete an invoice (with --force even when payments are allocated to it).
    Invoice {
        /// Number.
        number: String,
        /// Remove the allocations to it as well.
        #[arg(long)]
        force: bool,
    },
    /// Delete a payment.
    Payment {
        /// Payment id.
        id: u64,
    },
}

fn parse_date_arg(s: &str) -> Result<Date, String> {
    domain::parse_date(s).map_err(|e| e.to_string())
}

fn parse_amount_arg(s: &str) -> Result<Decimal, String> {
    domain::parse_positive_amount(s).map_err(|e| e.to_string())
}

fn parse_nonneg_amount_arg(s: &str) -> Result<Decimal, String> {
    let v = domain::parse_amount(s).map_err(|e| e.to_string())?;
    if v < Decimal::ZERO {
        return Err(format!("'{s}' cannot be negative"));
    }
    Ok(v)
}

fn parse_word<T: std::str::FromStr<Err = domain::DomainError>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: domain::DomainError| e.to_string())
}
