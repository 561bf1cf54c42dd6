//! Everything a key, a click or a command can ask the app to do.
//!
//! Keymap files name actions by their snake_case serde names (`run = "next_tab"`).

use serde::{Deserialize, Serialize};

/// A user intent, independent of the key that triggered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave the app.
    Quit,
    /// Show or hide the key help overlay.
    Help,
    /// Next tab.
    NextTab,
    /// Previous tab.
    PrevTab,
    /// Payments tab.
    TabPayments,
    /// Invoices tab.
    TabInvoices,
    /// Parties tab.
    TabParties,
    /// Saved filters tab.
    TabFilters,
    /// Reports tab.
    TabReports,
    /// Reminders tab.
    TabReminders,
    /// Undo the last change.
    Undo,
    /// Move the selection up one row.
    Up,
    /// Move the selection down one row.
    Down,
    /// Up one page.
    PageUp,
    /// Down one page.
    PageDown,
    /// Up half a page.
    HalfPageUp,
    /// Down half a page.
    HalfPageDown,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// Open the detail pane (or apply the selected saved filter).
    Open,
    /// Close the detail pane or overlay.
    Close,
    /// Sort by the next column.
    SortNext,
    /// Reverse the sort order.
    SortReverse,
    /// Open the filter bar.
    Filter,
    /// Clear the current list's filter.
    ClearFilter,
    /// Save the current filter under a name.
    SaveFilter,
    /// Add a record of the current list's kind.
    Add,
    /// Add a payment from any tab.
    AddPayment,
    /// Add an invoice from any tab.
    AddInvoice,
    /// Add a party from any tab.
    AddParty,
    /// Edit the selected record.
    Edit,
    /// Delete the selected record (asks first).
    Delete,
    /// Apply pinned filter 1.
    ApplyPin1,
    /// Apply pinned filter 2.
    ApplyPin2,
    /// Apply pinned filter 3.
    ApplyPin3,
    /// Apply pinned filter 4.
    ApplyPin4,
    /// Apply pinned filter 5.
    ApplyPin5,
    /// Apply pinned filter 6.
    ApplyPin6,
    /// Apply pinned filter 7.
    ApplyPin7,
    /// Apply pinned filter 8.
    ApplyPin8,
    /// Apply pinned filter 9.
    ApplyPin9,
    /// Form: next field.
    NextField,
    /// Form: previous field.
    PrevField,
    /// Form or filter bar: save / apply.
    Submit,
    /// Form, filter bar or dialog: cancel.
    Cancel,
    /// Form: next completion.
    CompleteNext,
    /// Form: previous completion.
    CompletePrev,
    /// Form: accept the highlighted completion.
    AcceptCompletion,
    /// Text input: move the cursor left (on a choice field: previous choice).
    CursorLeft,
    /// Text input: move the cursor right (on a choice field: next choice).
    CursorRight,
    /// Text input: cursor to the start.
    CursorHome,
    /// Text input: cursor to the end.
    CursorEnd,
    /// Text input: delete the character before the cursor.
    DeleteBack,
    /// Text input: delete the character under the cursor.
    DeleteForward,
    /// Text input: delete the word before the cursor.
    DeleteWord,
    /// Text input: clear the field.
    ClearInput,
    /// Dialog: yes.
    Confirm,
    /// Dialog: no.
    Deny,
    /// Reports: show the next report.
    NextReport,
    /// Reports: show the previous report.
    PrevReport,
    /// Reports: show the next currency.
    NextCurrency,
    /// Reports: show the previous currency.
    PrevCurrency,
    /// Reports: move the as-of date one month back.
    AsOfEarlier,
    /// Reports: move the as-of date one month forward (not beyond today).
    AsOfLater,
    /// Reports: set the as-of date to today.
    AsOfToday,
    /// Reports: the next period (trend months, outlook weeks).
    NextPeriod,
    /// Reports: switch the aging between receivables and payables.
    ToggleKind,
    /// Move the selection left (the previous month or week in a chart).
    Left,
    /// Move the selection right (the next month or week in a chart).
    Right,
    /// Reminders: record the selected reminder as sent today.
    MarkSent,
    /// Reminders and Invoices: snooze reminders until a date (asks for it).
    Snooze,
    /// Invoices: record a promise-to-pay date (asks for it).
    Promise,
    /// Invoices: set or clear the disputed flag.
    ToggleDisputed,
    /// Reminders: show the reminder's invoices in the Invoices tab.
    OpenReminderInvoices,
    /// Reminders: edit a level of the reminder ladder.
    EditLadder,
    /// Payments: open the matching queue (unmatched payments and their candidates).
    MatchQueue,
    /// Matching queue: split the payment FIFO over the oldest open invoices.
    SplitFifo,
    /// Matching queue: skip to the next unmatched payment.
    SkipPayment,
    /// Parties: apply the selected party's credit to its oldest open invoices.
    ApplyCredit,
    /// Open the import dialog (payments, invoices, parties or a bank statement).
    Import,
}

impl Action {
    /// Every action, for listing and round-trip tests.
    pub const ALL: &'static [Action] = &[
        Action::Quit,
        Action::Help,
        Action::NextTab,
        Action::PrevTab,
        Action::TabPayments,
        Action::TabInvoices,
        Action::TabParties,
        Action::TabFilters,
        Action::TabReports,
        Action::TabReminders,
        Action::Undo,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::HalfPageUp,
        Action::HalfPageDown,
        Action::Top,
        Action::Bottom,
        Action::Open,
        Action::Close,
        Action::SortNext,
        Action::SortReverse,
        Action::Filter,
        Action::ClearFilter,
        Action::SaveFilter,
        Action::Add,
        Action::AddPayment,
        Action::AddInvoice,
        Action::AddParty,
        Action::Edit,
        Action::Delete,
        Action::ApplyPin1,
        Action::ApplyPin2,
        Action::ApplyPin3,
        Action::ApplyPin4,
        Action::ApplyPin5,
        Action::ApplyPin6,
        Action::ApplyPin7,
        Action::ApplyPin8,
        Action::ApplyPin9,
        Action::NextField,
        Action::PrevField,
        Action::Submit,
        Action::Cancel,
        Action::CompleteNext,
        Action::CompletePrev,
        Action::AcceptCompletion,
        Action::CursorLeft,
        Action::CursorRight,
        Action::CursorHome,
        Action::CursorEnd,
        Action::DeleteBack,
        Action::DeleteForward,
        Action::DeleteWord,
        Action::ClearInput,
        Action::Confirm,
        Action::Deny,
        Action::NextReport,
        Action::PrevReport,
        Action::NextCurrency,
        Action::PrevCurrency,
        Action::AsOfEarlier,
        Action::AsOfLater,
        Action::AsOfToday,
        Action::NextPeriod,
        Action::ToggleKind,
        Action::Left,
        Action::Right,
        Action::MarkSent,
        Action::Snooze,
        Action::Promise,
        Action::ToggleDisputed,
        Action::OpenReminderInvoices,
        Action::EditLadder,
        Action::MatchQueue,
        Action::SplitFifo,
        Action::SkipPayment,
        Action::ApplyCredit,
        Action::Import,
    ];

    /// The snake_case name used in keymap files.
    pub fn name(&self) -> String {
        // Serializing a unit variant to a string cannot fail.
        serde_plain_name(self)
    }

    /// Parses a snake_case action name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The digit of a pinned-filter action.
    pub fn pin(&self) -> Option<u8> {
        let n = match self {
            Action::ApplyPin1 => 1,
            Action::ApplyPin2 => 2,
            Action::ApplyPin3 => 3,
            Action::ApplyPin4 => 4,
            Action::ApplyPin5 => 5,
            Action::ApplyPin6 => 6,
            Action::ApplyPin7 => 7,
            Action::ApplyPin8 => 8,
            Action::ApplyPin9 => 9,
            _ => return None,
        };
        Some(n)
    }
}

fn serde_plain_name(a: &Action) -> String {
    match serde_json::to_value(a) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{a:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde() {
        for a in Action::ALL {
            let name = a.name();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
            #[allow(clippy::disallowed_methods)] // an action name, not data
            let json = serde_json::to_string(a).unwrap();
            let back: Action = serde_json::from_str(&json).unwrap();
            assert_eq!(*a, back);
            assert_eq!(Action::from_name(&name), Some(*a));
            #[derive(Deserialize)]
            struct W {
                run: Action,
            }
            let w: W = toml::from_str(&format!("run = \"{name}\"")).unwrap();
            assert_eq!(w.run, *a);
        }
        assert_eq!(Action::NextTab.name(), "next_tab");
        assert_eq!(Action::ApplyPin3.name(), "apply_pin3");
        assert_eq!(Action::from_name("nxt_tab"), None);
    }

    #[test]
    fn all_lists_every_variant_once() {
        let mut names: Vec<String> = Action::ALL.iter().map(Action::name).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
    }
}
