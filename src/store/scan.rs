//! A streaming payment lookup for the shell (`paytrack payments --filter ...`): decodes the
//! payment blocks and keeps only the matching payments, on two threads, instead of loading
//! the whole ledger (no payment indexes, no allocation index, nothing kept of the
//! payments that do not match).
//!
//! It answers the filters that need nothing about other payments: every term but
//! `status:` (an invoice's status depends on all payments allocated to it). Parties and
//! invoices are read in full (invoice numbers and due dates are matched by words,
//! `invoice:` and `due:`, and printed in the `invoice` column).

use std::thread;

use super::{codec, keys, Store, StoreError};
use crate::domain::ledger::Ledger;
use crate::domain::{Payment, StatusRules};
use crate::query::{Cond, EvalContext, Query, RecordKind};

/// Payments found by [`lookup_payments`], with a ledger of every party and invoice (and
/// no payments) to print them with.
pub struct Lookup {
    /// Parties and invoices only.
    pub ledger: Ledger,
    /// The matching payments, in id order.
    pub payments: Vec<Payment>,
}

/// Whether [`lookup_payments`] can answer `q` (no `status:` term).
pub fn supports(q: &Query) -> bool {
    !q.terms().iter().any(|t| matches!(t.cond, Cond::Status(_)))
}

/// The payments matching `q` (which [`supports`] must accept), decoded block by block.
pub fn lookup_payments(
    store: &Store,
    q: &Query,
    rules: StatusRules,
) -> Result<Option<Lookup>, StoreError> {
    if !supports(q) {
        return Ok(None);
    }
    // Parties and invoices on one thread while the other gathers the payment blocks.
    let (ledger, blocks) = thread::scope(|s| {
        let side = s.spawn(|| -> Result<Ledger, StoreError> {
            let parties = store.parties()?;
            let invoices = store.invoices()?;
            Ok(Ledger::from_records(parties, invoices, Vec::new()))
        });
        let blocks = payment_blocks(store);
        let ledger = side.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (ledger, blocks)
    });
    let (ledger, blocks) = (ledger?, blocks?);
    let ctx = EvalContext::new(&ledger, rules);
    let prep = q.prepare(&ctx, RecordKind::Payment);
    let threads = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 2);
    let size = blocks.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<Payment>, StoreError>> = thread::scope(|s| {
        let prep = &prep;
        let handles: Vec<_> = blocks
            .chunks(size)
            .map(|chunk| {
                s.spawn(move || {
                    let mut out = Vec::new();
                    let mut block = Vec::with_capacity(keys::BLOCK as usize);
                    for (k, v) in chunk {
                        block.clear();
                        codec::decode_payments_into(v, &mut block)
                            .map_err(|e| store.corrupt(k, e))?;
                        out.extend(block.drain(..).filter(|p| prep.matches_payment(p)));
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut payments = Vec::new();
    for p in parts {
        payments.extend(p?);
    }
    drop(prep);
    Ok(Some(Lookup { ledger, payments }))
}

/// Every payment block (key and value), in key order.
fn payment_blocks(store: &Store) -> Result<Vec<(sled::IVec, sled::IVec)>, StoreError> {
    store
        .db
        .scan_prefix([keys::PAYMENTS])
        .map(|kv| kv.map_err(|e| store.sled_err(e)))
        .collect()
}
