//! The filter language: one parser and evaluator for the TUI's filter bar, saved filters
//! and every `--filter` on the command line.
//!
//! Terms are ANDed, `-term` negates, double quotes group words (`party:"Müller GmbH"`),
//! everything is case-insensitive. Bare words match fuzzily (characters in order) over
//! party name, invoice number(s), reference and notes; fields are `party:`, `status:`,
//! `dir:`, `kind:`, `method:`, `currency:`, `invoice:`, `amount:`, `date:`, `after:`,
//! `before:`, `due:` and the keyword `unlinked`. `status:`, `dir:`, `kind:`, `method:`
//! and `currency:` also take comma-separated alternatives (`method:card,cash`).
//!
//! ```
//! use paytrack::query::parse;
//! let q = parse(r#"party:"Müller GmbH" status:overdue amount:>100 -"late fee""#).unwrap();
//! assert_eq!(q.fuzzy_words(), vec!["Müller GmbH".to_string()]);
//! let e = parse("stauts:paid").unwrap_err();
//! assert_eq!(e.message, "unknown field 'stauts' (did you mean 'status'?)");
//! assert_eq!(e.span, 0..11);
//! ```
//!
//! Evaluation needs no index over the ledger (so nothing has to be kept up to date after
//! an edit): [`filter_payments`] and friends prepare the query once (per-party fuzzy
//! matches, resolved relative dates) and scan the records on all cores.

mod eval;
mod fuzzy;
mod narrow;
mod parse;

pub use eval::{
    filter_invoices, filter_invoices_in, filter_parties, filter_parties_in, filter_payments,
    filter_payments_in, in_index_order, Cancelled, EvalContext, Prepared, RecordKind, WordMemo,
};
pub use fuzzy::{fold, fuzzy_score, highlight, is_subsequence, Pattern};
pub use parse::{
    field_names, parse, parse_date_spec, AmountCond, Cond, DateCond, DateSpec, NumberPattern, Op,
    Query, QueryError, Term,
};
