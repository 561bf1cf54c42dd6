//! The Reports tab's state and figures: which report is shown with which options (currency,
//! as-of date, period, kind, sort), the figures computed on the worker thread from the
//! reports in [`crate::report`], and the filters that drill from a figure down to the
//! records behind it (shown in the filter bar, so the user learns the filter language).
//!
//! Every report is computed for all currencies at once (it costs the same pass), so
//! switching currency never recomputes; the trend is computed for the longest period
//! ([`TREND_MONTHS`]) and the cash-flow outlook for the longest horizon
//! ([`CASHFLOW_WEEKS`]), so switching period does not either. The as-of date, the aging
//! kind and the customer sort are part of the [`ReportRequest`]: changing them, or the
//! ledger, recomputes the report shown.

use std::collections::HashMap;

use rust_decimal::Decimal;
use time::{Date, Month};

use super::action::Action;
use super::views::ListKind;
use crate::domain::aging::AgingBucket;
use crate::domain::ledger::Ledger;
use crate::domain::{format_date, Currency, InvoiceKind, PartyId};
use crate::report::aging::{aging, AgingOptions, AgingReport};
use crate::report::cashflow::{cashflow, CashflowRow};
use crate::report::customers::{customers, CustomerOptions, CustomerRow, CustomerSort};
use crate::report::trend::{trend, TrendRow};

/// The trend periods `p` cycles through, in months.
pub const TREND_MONTHS: [u32; 3] = [6, 12, 24];

/// The cash-flow horizons `p` cycles through, in weeks.
pub const CASHFLOW_WEEKS: [u32; 2] = [13, 26];

/// How many of a customer's last paid invoices the punctuality sparkline shows.
pub const SPARK_INVOICES: usize = 20;

/// One of the reports the tab shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportView {
    /// Outstanding invoices by days past due.
    Aging,
    /// Customers ranked by how punctually they pay.
    Punctuality,
    /// Money in and out per month.
    Trend,
    /// Money expected in and out per week.
    Cashflow,
}

impl ReportView {
    /// Every report, in the order `[`/`]` step through them.
    pub const ALL: [ReportView; 4] = [
        ReportView::Aging,
        ReportView::Punctuality,
        ReportView::Trend,
        ReportView::Cashflow,
    ];

    /// The name shown in the report bar.
    pub fn title(self) -> &'static str {
        match self {
            ReportView::Aging => "Aging",
            ReportView::Punctuality => "Punctuality",
            ReportView::Trend => "Trend",
            ReportView::Cashflow => "Cash flow",
        }
    }

    /// Position in [`ReportView::ALL`].
    pub fn index(self) -> usize {
        match self {
            ReportView::Aging => 0,
            ReportView::Punctuality => 1,
            ReportView::Trend => 2,
            ReportView::Cashflow => 3,
        }
    }
}

/// What to compute: the report and the options that change its figures. Options that do
/// not apply to the report are left at their defaults, so they never force a recompute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportRequest {
    /// The report.
    pub view: ReportView,
    /// As-of date: records dated after it are ignored.
    pub as_of: Date,
    /// Receivables or payables (aging only).
    pub kind: InvoiceKind,
    /// Row order (punctuality only).
    pub sort: CustomerSort,
}

/// The punctuality report: the customers report's rows and, for each row, the days late
/// of its last paid invoices (oldest first, at most [`SPARK_INVOICES`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Punctuality {
    /// Rows for every currency, in the requested order.
    pub rows: Vec<CustomerRow>,
    /// `recent[i]` belongs to `rows[i]`.
    pub recent: Vec<Vec<i64>>,
}

/// The figures of one report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportBody {
    /// Aging per currency.
    Aging(AgingReport),
    /// Punctuality per customer and currency.
    Punctuality(Punctuality),
    /// The longest trend period, every currency.
    Trend(Vec<TrendRow>),
    /// The longest outlook, every currency.
    Cashflow(Vec<CashflowRow>),
}

/// A computed report with the request it answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportData {
    /// What was asked.
    pub request: ReportRequest,
    /// Currencies present in the ledger, sorted by code, with their number of records.
    pub currencies: Vec<(Currency, usize)>,
    /// The figures.
    pub body: ReportBody,
}

/// Computes a report (on the worker thread: on a large ledger this takes a while).
pub fn compute(ledger: &Ledger, req: &ReportRequest) -> ReportData {
    let longest_trend = TREND_MONTHS[TREND_MONTHS.len() - 1];
    let longest_outlook = CASHFLOW_WEEKS[CASHFLOW_WEEKS.len() - 1];
    let body = match req.view {
        ReportView::Aging => ReportBody::Aging(aging(
            ledger,
            &AgingOptions {
                as_of: req.as_of,
                kind: Some(req.kind),
                currency: None,
            },
        )),
        ReportView::Punctuality => {
            let rows = customers(
                ledger,
                &CustomerOptions {
                    as_of: req.as_of,
                    currency: None,
                    sort: req.sort,
                },
            );
            let mut series = recent_days_late(ledger, req.as_of, SPARK_INVOICES);
            let recent = rows
                .iter()
                .map(|r| series.remove(&(r.party, r.currency)).unwrap_or_default())
                .collect();
            ReportBody::Punctuality(Punctuality { rows, recent })
        }
        ReportView::Trend => ReportBody::Trend(trend(ledger, req.as_of, longest_trend, None)),
        ReportView::Cashflow => ReportBody::Cashflow(cashflow(ledger, req.as_of, longest_outlook)),
    };
    ReportData {
        request: *req,
        currencies: currencies(ledger),
        body,
    }
}

/// The currencies of every invoice and payment, sorted by code, with how many records use
/// each.
pub fn currencies(ledger: &Ledger) -> Vec<(Currency, usize)> {
    fn count(acc: &mut Vec<(Currency, usize)>, c: Currency) {
        // Records come in runs of one currency: try the last one first.
        if let Some(e) = acc.last_mut().filter(|e| e.0 == c) {
            e.1 += 1;
            return;
        }
        match acc.iter().position(|(x, _)| *x == c) {
            Some(i) => {
                acc[i].1 += 1;
                let n = acc.len() - 1;
                acc.swap(i, n);
            }
            None => acc.push((c, 1)),
        }
    }
    let inv = crate::report::par_chunks(ledger.invoices(), |chunk| {
        let mut acc = Vec::new();
        for i in chunk {
            count(&mut acc, i.currency);
        }
        acc
    });
    let pay = crate::report::par_chunks(ledger.payments(), |chunk| {
        let mut acc = Vec::new();
        for p in chunk {
            count(&mut acc, p.currency);
        }
        acc
    });
    let mut all: Vec<(Currency, usize)> = Vec::new();
    for (c, n) in inv.into_iter().chain(pay).flatten() {
        match all.iter_mut().find(|(x, _)| *x == c) {
            Some(e) => e.1 += n,
            None => all.push((c, n)),
        }
    }
    all.sort_by_key(|(c, _)| *c);
    all
}

/// A paid invoice for the sparkline: completion date (as a Julian day), days late
/// (saturated to `i32`), invoice id; ordered by completion date, then invoice id. 16 bytes,
/// so the table of a few thousand customers stays in cache.
type Paid = (i32, i32, u64);

/// The `n` newest paid invoices (by completion date, then invoice id) of every (party,
/// currency), in one flat table of `n` slots per key kept in order, so a push touches one
/// small contiguous block, and (invoices being paid roughly in the order they were
/// issued) usually appends at its end after a single comparison.
struct Newest {
    n: usize,
    slot: crate::report::FxMap<(u64, u32), u32>,
    keys: Vec<(PartyId, Currency)>,
    entries: Vec<Paid>,
    lens: Vec<usize>,
}

fn currency_key(c: Currency) -> u32 {
    let b = c.as_bytes();
    u32::from_le_bytes([b[0], b[1], b[2], 0])
}

impl Newest {
    fn new(n: usize) -> Self {
        Newest {
            n,
            slot: Default::default(),
            keys: Vec::new(),
            entries: Vec::new(),
            lens: Vec::new(),
        }
    }

    fn push(&mut self, key: (PartyId, Currency), e: Paid) {
        let n = self.n;
        let k = match self.slot.get(&(key.0 .0, currency_key(key.1))) {
            Some(&k) => k as usize,
            None => {
                let k = self.keys.len();
                self.slot.insert((key.0 .0, currency_key(key.1)), k as u32);
                self.keys.push(key);
                self.entries.resize((k + 1) * n, e);
                self.lens.push(0);
                k
            }
        };
        let block = &mut self.entries[k * n..(k + 1) * n];
        let len = self.lens[k];
        let newer = |x: &Paid| (e.0, e.2) > (x.0, x.2);
        // the block is sorted oldest first: find where `e` goes, from the end
        let mut at = len;
        while at > 0 && !newer(&block[at - 1]) {
            at -= 1;
        }
        if len < n {
            block.copy_within(at..len, at + 1);
            block[at] = e;
            self.lens[k] = len + 1;
        } else if at > 0 {
            // full: drop the oldest, shift the older part down
            block.copy_within(1..at, 0);
            block[at - 1] = e;
        }
    }

    fn merge(&mut self, other: Newest) {
        for (k, key) in other.keys.iter().enumerate() {
            let len = other.lens[k];
            for e in &other.entries[k * other.n..k * other.n + len] {
                self.push(*key, *e);
            }
        }
    }

    /// Per key, the days late oldest first.
    fn into_map(self) -> HashMap<(PartyId, Currency), Vec<i64>> {
        let n = self.n;
        self.keys
            .iter()
            .enumerate()
            .map(|(k, key)| {
                let block = &self.entries[k * n..k * n + self.lens[k]];
                (*key, block.iter().map(|e| i64::from(e.1)).collect())
            })
            .collect()
    }
}

/// Days late of each customer's last `n` receivables paid by `as_of`, per (party,
/// currency), oldest first: the invoices are taken in completion order (completion date,
/// then invoice id), the days late are the ledger's (`max(0, completion − due)`, see
/// [`Ledger::days_late`]). Void invoices and invoices issued after `as_of` are left out,
/// as in the customers report. One pass over the invoices, split over the cores.
pub fn recent_days_late(
    ledger: &Ledger,
    as_of: Date,
    n: usize,
) -> HashMap<(PartyId, Currency), Vec<i64>> {
    if n == 0 {
        return HashMap::new();
    }
    let parts: Vec<Newest> = crate::report::par_chunks(ledger.invoices(), |chunk| {
        let mut acc = Newest::new(n);
        for inv in chunk {
            if inv.kind != InvoiceKind::Receivable || inv.void || inv.issue_date > as_of {
                continue;
            }
            let Some(done) = ledger.completion_date(inv, as_of) else {
                continue;
            };
            let late = (done - inv.due_date).whole_days().max(0);
            acc.push(
                (inv.party, inv.currency),
                (
                    done.to_julian_day(),
                    i32::try_from(late).unwrap_or(i32::MAX),
                    inv.id.0,
                ),
            );
        }
        acc
    });
    let mut parts = parts.into_iter();
    let mut all = parts.next().unwrap_or_else(|| Newest::new(n));
    for part in parts {
        all.merge(part);
    }
    all.into_map()
}

/// Where Enter on a figure leads: a list, the filter that selects the figure's records,
/// and a line for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drill {
    /// The list to open.
    pub list: ListKind,
    /// Its filter (in the filter language).
    pub filter: String,
    /// What the list shows, for the message line.
    pub note: String,
}

/// What an action on the Reports tab asks the app to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing beyond the state change (a recompute, if needed, is found by
    /// [`ReportsState::to_submit`]).
    None,
    /// Open a filtered list.
    Drill(Drill),
    /// Tell the user something.
    Message(String),
}

/// Quotes a party name for `party:"..."` (backslashes and quotes escaped).
pub fn quote(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    s.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

fn kind_word(kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::Receivable => "receivable",
        InvoiceKind::Payable => "payable",
    }
}

fn days_before(d: Date, days: i64) -> Date {
    d.checked_sub(time::Duration::days(days))
        .unwrap_or(Date::MIN)
}

/// The invoice filter for an aging bucket. As of today it is relative (`due:` counts days
/// from today), so it selects exactly the invoices the bucket counts: not void, unpaid,
/// of the kind and currency, issued by today, due in the bucket's range. For an earlier
/// as-of date it names the due dates, and the statuses are today's: it lists the bucket's
/// invoices that are still unpaid today.
pub fn aging_filter(
    bucket: AgingBucket,
    kind: InvoiceKind,
    currency: Currency,
    as_of: Date,
    today: Date,
) -> String {
    let mut t = vec![format!("kind:{}", kind_word(kind))];
    let rel = as_of == today;
    let range = |lo: i64, hi: Option<i64>| -> Vec<String> {
        // days past due in lo..=hi, i.e. due in (as_of - hi)..=(as_of - lo)
        if rel {
            let mut v = vec![format!("due:<=-{lo}d")];
            if let Some(h) = hi {
                v.push(format!("due:>=-{h}d"));
            }
            v
        } else {
            let last = format_date(days_before(as_of, lo));
            match hi {
                Some(h) => vec![format!(
                    "due:{}..{last}",
                    format_date(days_before(as_of, h))
                )],
                None => vec![format!("due:<={last}")],
            }
        }
    };
    match bucket {
        AgingBucket::Current => {
            t.push("status:open,partial".into());
            if rel {
                t.push("due:>=today".into());
                t.push("date:<=today".into());
            } else {
                t.push(format!("due:>={}", format_date(as_of)));
                t.push(format!("date:<={}", format_date(as_of)));
            }
        }
        b => {
            t.push(if rel {
                "status:overdue".into()
            } else {
                "status:open,partial".into()
            });
            let (lo, hi) = match b {
                AgingBucket::D1To30 => (1, Some(30)),
                AgingBucket::D31To60 => (31, Some(60)),
                AgingBucket::D61To90 => (61, Some(90)),
                _ => (91, None),
            };
            t.extend(range(lo, hi));
        }
    }
    t.push(format!("currency:{currency}"));
    t.join(" ")
}

/// The invoice filter for a customer's receivables in a currency (issued by the as-of
/// date when it is not today). `party:` matches names fuzzily, so a customer whose name
/// is contained in another's also lists the other's invoices.
pub fn party_filter(name: &str, currency: Currency, as_of: Date, today: Date) -> String {
    let mut s = format!("party:{} kind:receivable currency:{currency}", quote(name));
    if as_of != today {
        s.push_str(&format!(" date:<={}", format_date(as_of)));
    }
    s
}

/// The payment filter for a month of the trend: the whole month, or up to the as-of date
/// for the as-of date's month.
pub fn month_filter(year: i32, month: Month, currency: Currency, as_of: Date) -> String {
    let m = format!("{year:04}-{:02}", u8::from(month));
    let last_day = month.length(year);
    if as_of.year() == year && as_of.month() == month && as_of.day() < last_day {
        format!("date:{m}-01..{} currency:{currency}", format_date(as_of))
    } else {
        format!("date:{m} currency:{currency}")
    }
}

/// `d` moved by `months` calendar months, the day clamped to the month's length.
pub fn add_months(d: Date, months: i32) -> Date {
    let idx = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + months;
    let year = idx.div_euclid(12);
    let Ok(month) = Month::try_from((idx.rem_euclid(12) + 1) as u8) else {
        return d;
    };
    let day = d.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(d)
}

/// A report kept with whether it is up to date with the ledger.
#[derive(Clone, Debug)]
struct Cached {
    data: ReportData,
    fresh: bool,
}

/// Everything the Reports tab remembers: the report shown, its options, the selections,
/// and the last result of each report.
#[derive(Clone, Debug)]
pub struct ReportsState {
    /// The report shown.
    pub view: ReportView,
    /// The currency chosen with `c`; `None` shows the most used one.
    pub chosen_currency: Option<Currency>,
    /// The as-of date; `None` follows today.
    pub as_of: Option<Date>,
    /// Months of the trend (one of [`TREND_MONTHS`]).
    pub months: u32,
    /// Weeks of the outlook (one of [`CASHFLOW_WEEKS`]).
    pub weeks: u32,
    /// Receivables or payables in the aging.
    pub kind: InvoiceKind,
    /// Order of the punctuality ranking.
    pub sort: CustomerSort,
    /// Selected aging bucket.
    pub bucket: usize,
    /// Selected customer row (among the rows of the currency shown).
    pub customer: usize,
    /// First customer row shown.
    pub customer_offset: usize,
    /// Selected month, counted back from the as-of date's month (0 = that month).
    pub month_back: usize,
    /// Selected week, counted from the as-of date's week.
    pub week: usize,
    cache: [Option<Cached>; 4],
    requested: Option<ReportRequest>,
}

impl Default for ReportsState {
    fn default() -> Self {
        ReportsState::new()
    }
}

impl ReportsState {
    /// Aging of receivables as of today, trend over 12 months, outlook over 13 weeks,
    /// customers by on-time rate.
    pub fn new() -> Self {
        ReportsState {
            view: ReportView::Aging,
            chosen_currency: None,
            as_of: None,
            months: 12,
            weeks: 13,
            kind: InvoiceKind::Receivable,
            sort: CustomerSort::OnTimeRate,
            bucket: 0,
            customer: 0,
            customer_offset: 0,
            month_back: 0,
            week: 0,
            cache: [None, None, None, None],
            requested: None,
        }
    }

    /// The as-of date in force.
    pub fn as_of(&self, today: Date) -> Date {
        self.as_of.unwrap_or(today)
    }

    /// The request for the report shown.
    pub fn request(&self, today: Date) -> ReportRequest {
        ReportRequest {
            view: self.view,
            as_of: self.as_of(today),
            kind: if self.view == ReportView::Aging {
                self.kind
            } else {
                InvoiceKind::Receivable
            },
            sort: if self.view == ReportView::Punctuality {
                self.sort
            } else {
                CustomerSort::OnTimeRate
            },
        }
    }

    /// The request to send to the worker, if the report shown is missing, out of date with
    /// the ledger, or for other options, and not already asked for. Remembers it as asked.
    pub fn to_submit(&mut self, today: Date) -> Option<ReportRequest> {
        let want = self.request(today);
        if let Some(c) = &self.cache[self.view.index()] {
            if c.data.request == want && c.fresh {
                return None;
            }
        }
        if self.requested == Some(want) {
            return None;
        }
        self.requested = Some(want);
        Some(want)
    }

    /// Whether a result for the report shown is awaited.
    pub fn awaiting(&self, today: Date) -> bool {
        self.requested == Some(self.request(today))
    }

    /// The ledger changed: every result is out of date, and nothing asked for will come.
    pub fn ledger_changed(&mut self) {
        for c in self.cache.iter_mut().flatten() {
            c.fresh = false;
        }
        self.requested = None;
    }

    /// Takes a result from the worker.
    pub fn accept(&mut self, data: ReportData) {
        if self.requested == Some(data.request) {
            self.requested = None;
        }
        let i = data.request.view.index();
        self.cache[i] = Some(Cached { data, fresh: true });
    }

    /// The result for the report shown with the current options, and whether it is up to
    /// date with the ledger (an out-of-date one is shown while the new one computes).
    pub fn shown(&self, today: Date) -> Option<(&ReportData, bool)> {
        let want = self.request(today);
        self.cache[self.view.index()]
            .as_ref()
            .filter(|c| c.data.request == want)
            .map(|c| (&c.data, c.fresh))
    }

    /// Currencies known from any result, sorted by code, with their record counts.
    fn known_currencies(&self) -> &[(Currency, usize)] {
        let shown = self.cache[self.view.index()].as_ref();
        shown
            .into_iter()
            .chain(self.cache.iter().flatten())
            .map(|c| c.data.currencies.as_slice())
            .find(|c| !c.is_empty())
            .unwrap_or(&[])
    }

    /// The currency shown: the chosen one if the ledger has it, else the most used one
    /// (ties: the first by code). `None` while nothing is known or the ledger is empty.
    pub fn currency(&self) -> Option<Currency> {
        let known = self.known_currencies();
        if let Some(c) = self.chosen_currency {
            if known.iter().any(|(x, _)| *x == c) {
                return Some(c);
            }
        }
        known
            .iter()
            .fold(None::<(Currency, usize)>, |best, &(c, n)| match best {
                Some((_, bn)) if bn >= n => best,
                _ => Some((c, n)),
            })
            .map(|(c, _)| c)
    }

    fn cycle_currency(&mut self, step: isize) -> Effect {
        let known: Vec<Currency> = self.known_currencies().iter().map(|(c, _)| *c).collect();
        let Some(cur) = self.currency() else {
            return Effect::Message("no currencies yet".into());
        };
        let n = known.len() as isize;
        let at = known.iter().position(|c| *c == cur).unwrap_or(0) as isize;
        let next = known[(at + step).rem_euclid(n) as usize];
        self.chosen_currency = Some(next);
        self.customer = 0;
        self.customer_offset = 0;
        Effect::None
    }

    fn step_as_of(&mut self, months: i32, today: Date) -> Effect {
        let cur = self.as_of(today);
        let next = add_months(cur, months).min(today);
        if next == cur {
            return Effect::Message(format!(
                "the as-of date is today ({}); reports cannot look ahead of it",
                format_date(today)
            ));
        }
        self.as_of = (next != today).then_some(next);
        Effect::None
    }

    /// The punctuality rows of the currency shown, with their sparkline series.
    pub fn customer_rows<'a>(
        p: &'a Punctuality,
        currency: Currency,
    ) -> impl Iterator<Item = (&'a CustomerRow, &'a [i64])> + 'a {
        p.rows
            .iter()
            .zip(&p.recent)
            .filter(move |(r, _)| r.currency == currency)
            .map(|(r, s)| (r, s.as_slice()))
    }

    /// How many selectable items the report shown has (buckets, rows, months, weeks).
    fn items(&self, today: Date) -> usize {
        match self.view {
            ReportView::Aging => AgingBucket::ALL.len(),
            ReportView::Trend => self.months as usize,
            ReportView::Cashflow => self.weeks as usize,
            ReportView::Punctuality => match (self.shown(today), self.currency()) {
                (Some((d, _)), Some(c)) => match &d.body {
                    ReportBody::Punctuality(p) => Self::customer_rows(p, c).count(),
                    _ => 0,
                },
                _ => 0,
            },
        }
    }

    /// Position of the selection in the report shown (0 = first item drawn).
    pub fn selected(&self) -> usize {
        match self.view {
            ReportView::Aging => self.bucket,
            ReportView::Punctuality => self.customer,
            ReportView::Trend => (self.months as usize)
                .saturating_sub(1)
                .saturating_sub(self.month_back),
            ReportView::Cashflow => self.week,
        }
    }

    fn set_selected(&mut self, i: usize) {
        match self.view {
            ReportView::Aging => self.bucket = i,
            ReportView::Punctuality => self.customer = i,
            ReportView::Trend => {
                self.month_back = (self.months as usize).saturating_sub(1).saturating_sub(i)
            }
            ReportView::Cashflow => self.week = i,
        }
    }

    fn move_selection(&mut self, d: isize, today: Date) {
        let n = self.items(today);
        if n == 0 {
            return;
        }
        let s = (self.selected() as isize + d).clamp(0, n as isize - 1);
        self.set_selected(s as usize);
    }

    /// Applies an action of the Reports tab. `today` is the app's date.
    pub fn apply(&mut self, a: Action, today: Date) -> Effect {
        let page = 10;
        match a {
            Action::NextReport | Action::PrevReport => {
                let step = if a == Action::NextReport { 1 } else { 3 };
                self.view = ReportView::ALL[(self.view.index() + step) % 4];
            }
            Action::NextCurrency => return self.cycle_currency(1),
            Action::PrevCurrency => return self.cycle_currency(-1),
            Action::AsOfEarlier => return self.step_as_of(-1, today),
            Action::AsOfLater => return self.step_as_of(1, today),
            Action::AsOfToday => self.as_of = None,
            Action::NextPeriod => match self.view {
                ReportView::Trend => {
                    let i = TREND_MONTHS.iter().position(|m| *m == self.months);
                    self.months = TREND_MONTHS[i.map_or(0, |i| (i + 1) % TREND_MONTHS.len())];
                    self.month_back = self.month_back.min(self.months as usize - 1);
                }
                ReportView::Cashflow => {
                    let i = CASHFLOW_WEEKS.iter().position(|w| *w == self.weeks);
                    self.weeks = CASHFLOW_WEEKS[i.map_or(0, |i| (i + 1) % CASHFLOW_WEEKS.len())];
                    self.week = self.week.min(self.weeks as usize - 1);
                }
                _ => {
                    return Effect::Message(
                        "the period applies to the trend and the cash-flow outlook".into(),
                    )
                }
            },
            Action::ToggleKind => {
                if self.view != ReportView::Aging {
                    return Effect::Message("receivables / payables applies to the aging".into());
                }
                self.kind = match self.kind {
                    InvoiceKind::Receivable => InvoiceKind::Payable,
                    InvoiceKind::Payable => InvoiceKind::Receivable,
                };
            }
            Action::SortNext => {
                if self.view != ReportView::Punctuality {
                    return Effect::None;
                }
                let i = CustomerSort::ALL.iter().position(|s| *s == self.sort);
                self.sort = CustomerSort::ALL[i.map_or(0, |i| (i + 1) % CustomerSort::ALL.len())];
                self.customer = 0;
                self.customer_offset = 0;
            }
            Action::Up | Action::Left => self.move_selection(-1, today),
            Action::Down | Action::Right => self.move_selection(1, today),
            Action::PageUp => self.move_selection(-page, today),
            Action::PageDown => self.move_selection(page, today),
            Action::HalfPageUp => self.move_selection(-page / 2, today),
            Action::HalfPageDown => self.move_selection(page / 2, today),
            Action::Top => self.set_selected(0),
            Action::Bottom => {
                let n = self.items(today);
                self.set_selected(n.saturating_sub(1));
            }
            Action::Open => return self.drill(today),
            _ => {}
        }
        Effect::None
    }

    /// The list behind the selected figure.
    pub fn drill(&self, today: Date) -> Effect {
        let Some((data, _)) = self.shown(today) else {
            return Effect::Message("the report is still being computed".into());
        };
        let Some(cur) = self.currency() else {
            return Effect::Message("nothing to report yet".into());
        };
        let as_of = data.request.as_of;
        let since_today = if as_of == today {
            ""
        } else {
            " (those still unpaid today)"
        };
        match &data.body {
            ReportBody::Aging(r) => {
                let b = AgingBucket::ALL[self.bucket.min(4)];
                let t = r.currency(cur).map(|a| a.bucket(b)).unwrap_or_default();
                let what = match r.kind {
                    InvoiceKind::Receivable => "receivables",
                    InvoiceKind::Payable => "payables",
                };
                Effect::Drill(Drill {
                    list: ListKind::Invoices,
                    filter: aging_filter(b, r.kind, cur, as_of, today),
                    note: format!(
                        "aging {b} ({what}, {cur}, as of {}): {} invoice{}, {} {cur} outstanding{since_today}",
                        format_date(as_of),
                        t.count,
                        if t.count == 1 { "" } else { "s" },
                        cur.format(t.amount),
                    ),
                })
            }
            ReportBody::Punctuality(p) => {
                let Some((row, _)) = Self::customer_rows(p, cur).nth(self.customer) else {
                    return Effect::Message(format!("no customers in {cur}"));
                };
                Effect::Drill(Drill {
                    list: ListKind::Invoices,
                    filter: party_filter(&row.party_name, cur, as_of, today),
                    note: format!(
                        "{}: receivables in {cur}, {} {cur} outstanding",
                        row.party_name,
                        cur.format(row.outstanding)
                    ),
                })
            }
            ReportBody::Trend(rows) => {
                let months = trend_window(rows, cur, self.months);
                let Some(m) = months.get(self.selected()) else {
                    return Effect::None;
                };
                Effect::Drill(Drill {
                    list: ListKind::Payments,
                    filter: month_filter(m.year, m.month, cur, as_of),
                    note: format!(
                        "payments in {} ({cur}): in {}, out {}",
                        m.month_label(),
                        cur.format(m.incoming),
                        cur.format(m.outgoing)
                    ),
                })
            }
            ReportBody::Cashflow(_) => Effect::Message(
                "the outlook is a forecast (due dates shifted by each customer's average lateness): no list matches a week exactly"
                    .into(),
            ),
        }
    }
}

/// The last `months` months of a trend for one currency, oldest first (zeros where the
/// currency did not move).
pub fn trend_window(rows: &[TrendRow], currency: Currency, months: u32) -> Vec<TrendRow> {
    let mut out: Vec<TrendRow> = Vec::new();
    for r in rows {
        match out.last() {
            Some(l) if l.year == r.year && l.month == r.month => {
                if r.currency == currency {
                    let n = out.len() - 1;
                    out[n] = *r;
                }
            }
            _ => out.push(TrendRow {
                currency,
                incoming: if r.currency == currency {
                    r.incoming
                } else {
                    Decimal::ZERO
                },
                outgoing: if r.currency == currency {
                    r.outgoing
                } else {
                    Decimal::ZERO
                },
                net: if r.currency == currency {
                    r.net
                } else {
                    Decimal::ZERO
                },
                ..*r
            }),
        }
    }
    let skip = out.len().saturating_sub(months as usize);
    out.split_off(skip)
}

/// The first `weeks` weeks of an outlook for one currency (zeros where nothing is
/// expected in it).
pub fn cashflow_window(rows: &[CashflowRow], currency: Currency, weeks: u32) -> Vec<CashflowRow> {
    let mut out: Vec<CashflowRow> = Vec::new();
    for r in rows {
        if out.last().is_none_or(|l| l.week_start != r.week_start) {
            out.push(CashflowRow {
                week_start: r.week_start,
                currency,
                expected_in: Decimal::ZERO,
                expected_out: Decimal::ZERO,
                net: Decimal::ZERO,
            });
        }
        if r.currency == currency {
            let n = out.len() - 1;
            out[n] = *r;
        }
    }
    out.truncate(weeks as usize);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_step_with_the_day_clamped() {
        assert_eq!(add_months(date!(2026 - 03 - 31), -1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 01 - 15), -1), date!(2025 - 12 - 15));
        assert_eq!(add_months(date!(2025 - 12 - 15), 1), date!(2026 - 01 - 15));
        assert_eq!(add_months(date!(2024 - 01 - 31), 1), date!(2024 - 02 - 29));
    }

    #[test]
    fn bucket_filters_read_like_the_buckets() {
        let t = date!(2026 - 12 - 03);
        let f = |b| aging_filter(b, InvoiceKind::Receivable, Currency::EUR, t, t);
        assert_eq!(
            f(AgingBucket::D31To60),
            "kind:receivable status:overdue due:<=-31d due:>=-60d currency:EUR"
        );
        assert_eq!(
            f(AgingBucket::Current),
            "kind:receivable status:open,partial due:>=today date:<=today currency:EUR"
        );
        assert_eq!(
            f(AgingBucket::Over90),
            "kind:receivable status:overdue due:<=-91d currency:EUR"
        );
        let past = aging_filter(
            AgingBucket::D1To30,
            InvoiceKind::Payable,
            Currency::USD,
            date!(2026 - 11 - 03),
            t,
        );
        assert_eq!(
            past,
            "kind:payable status:open,partial due:2026-10-04..2026-11-02 currency:USD"
        );
        for b in AgingBucket::ALL {
            for as_of in [t, date!(2026 - 11 - 03)] {
                let q = aging_filter(b, InvoiceKind::Receivable, Currency::JPY, as_of, t);
                assert!(crate::query::parse(&q).is_ok(), "{q}");
            }
        }
    }

    #[test]
    fn party_names_are_quoted_for_the_filter() {
        assert_eq!(quote(r#"A "B" \ C"#), r#""A \"B\" \\ C""#);
        let t = date!(2026 - 12 - 03);
        let q = party_filter("Müller GmbH", Currency::EUR, t, t);
        assert_eq!(q, r#"party:"Müller GmbH" kind:receivable currency:EUR"#);
        assert!(crate::query::parse(&q).is_ok());
        let q = month_filter(2026, Month::December, Currency::EUR, t);
        assert_eq!(q, "date:2026-12-01..2026-12-03 currency:EUR");
        assert_eq!(
            month_filter(2026, Month::October, Currency::EUR, t),
            "date:2026-10 currency:EUR"
        );
    }

    #[test]
    fn newest_entries_are_kept() {
        let key = (PartyId(1), Currency::EUR);
        let mut a = Newest::new(3);
        let mut b = Newest::new(3);
        for (i, d) in [5i32, 1, 9, 3, 7, 2].iter().enumerate() {
            let into = if i % 2 == 0 { &mut a } else { &mut b };
            into.push(key, (*d, *d, i as u64));
        }
        // the same day: the higher invoice id is the newer
        b.push(key, (7, 70, 99));
        a.merge(b);
        assert_eq!(a.into_map()[&key], vec![7, 70, 9]);
    }
}
