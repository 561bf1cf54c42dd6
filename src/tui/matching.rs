//! The matching queue: payments with an unallocated remainder, one at a time, with their
//! ranked candidate invoices. Computed on the worker thread ([`compute`]); the app keeps
//! a [`MatchQueue`] while it is open and recomputes it after every change (accept, undo).

use std::collections::HashSet;

use rust_decimal::Decimal;
use time::Date;

use crate::domain::ledger::Ledger;
use crate::domain::matching::{fifo_candidate, Candidate, OpenIndex};
use crate::domain::{Payment, PaymentId};

/// One unmatched payment with its candidates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueItem {
    /// The payment.
    pub payment: PaymentId,
    /// Its unallocated remainder.
    pub remainder: Decimal,
    /// Ranked candidates, best first.
    pub candidates: Vec<Candidate>,
    /// The remainder split FIFO over the party's oldest open invoices, if any are open.
    pub fifo: Option<Candidate>,
}

/// Every payment with an unallocated remainder (as of `today`, dated on or before it),
/// oldest first, with its candidates. One index of the open invoices serves them all.
pub fn compute(l: &Ledger, today: Date) -> Vec<QueueItem> {
    let mut list: Vec<&Payment> = l
        .payments()
        .iter()
        .filter(|p| p.date <= today && p.unallocated() > Decimal::ZERO)
        .collect();
    list.sort_by_key(|p| (p.date, p.id));
    if list.is_empty() {
        return Vec::new();
    }
    let mut ix = OpenIndex::new(l, today);
    list.into_iter()
        .map(|p| QueueItem {
            payment: p.id,
            remainder: p.unallocated(),
            candidates: ix.candidates(p),
            fifo: fifo_candidate(&ix, p),
        })
        .collect()
}

/// The open queue: the items, the payment on top and the selected candidate.
#[derive(Clone, Debug, Default)]
pub struct MatchQueue {
    /// Unmatched payments, oldest first (`None` until the worker answers).
    pub items: Option<Vec<QueueItem>>,
    /// Index of the payment on top.
    pub pos: usize,
    /// Selected candidate of that payment.
    pub selected: usize,
    /// Payments skipped in this session (shown after the others).
    pub skipped: HashSet<PaymentId>,
    /// The payment on top before the last recomputation.
    current: Option<PaymentId>,
}

impl MatchQueue {
    /// An empty queue waiting for its first result.
    pub fn new() -> MatchQueue {
        MatchQueue::default()
    }

    /// The payment on top, if any.
    pub fn current(&self) -> Option<&QueueItem> {
        self.items.as_ref()?.get(self.pos)
    }

    /// Takes a new result: the same payment stays on top if it is still unmatched,
    /// else the one that took its place. Skipped payments go last.
    pub fn accept(&mut self, mut items: Vec<QueueItem>) {
        let skipped = &self.skipped;
        items.sort_by_key(|i| skipped.contains(&i.payment));
        let pos = self
            .current
            .and_then(|c| items.iter().position(|i| i.payment == c))
            .unwrap_or(self.pos);
        self.pos = pos.min(items.len().saturating_sub(1));
        self.items = Some(items);
        self.selected = 0;
        self.current = self.current().map(|i| i.payment);
    }

    /// Forgets the payment on top, so after the next result the one after it shows
    /// (used when the payment was matched).
    pub fn advance_after_change(&mut self) {
        self.current = None;
    }

    /// Skips the payment on top: the next one shows, the skipped one goes last.
    pub fn skip(&mut self) {
        let Some(items) = self.items.as_mut() else {
            return;
        };
        if items.is_empty() {
            return;
        }
        let it = items.remove(self.pos);
        self.skipped.insert(it.payment);
        items.push(it);
        if self.pos >= items.len() {
            self.pos = 0;
        }
        self.selected = 0;
        self.current = self.current().map(|i| i.payment);
    }

    /// Moves the candidate selection.
    pub fn move_by(&mut self, d: isize) {
        let n = self.current().map_or(0, |i| i.candidates.len());
        if n == 0 {
            self.selected = 0;
            return;
        }
        self.selected = (self.selected as isize + d).clamp(0, n as isize - 1) as usize;
    }

    /// The selected candidate of the payment on top.
    pub fn selected_candidate(&self) -> Option<&Candidate> {
        self.current()?.candidates.get(self.selected)
    }

    /// How many payments wait (including the one on top).
    pub fn len(&self) -> usize {
        self.items.as_ref().map_or(0, Vec::len)
    }

    /// Whether no payment waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
