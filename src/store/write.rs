//! Applying a change set: the affected blocks are read, edited and written back in one
//! atomic sled batch, which is flushed before the commit returns.
//!
//! Blocks hold domain records: those already stored are decoded once, new ones are
//! borrowed from the change set (never copied), and each edited block is encoded once,
//! in parallel when there are many. Changes usually come in id order (imports, the
//! demo generator), so the block being filled is kept at hand and appends skip searching.

use std::collections::BTreeMap;

use super::codec::{self, tag, CodecError};
use super::{keys, Counts, Store, StoreError};
use crate::domain::{Change, ChangeSet, IdSeq, Invoice, Payment};
use std::sync::atomic::Ordering;

/// How many change sets have been committed to a store: raised by one, in the same atomic
/// batch, by every commit that changes something. Sessions use it to notice that another
/// session committed since they loaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Generation(pub u64);

impl std::fmt::Display for Generation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Identifies one commit across retries: a commit sent again with the same id after its
/// reply was lost is recognised as already applied (see [`Store::commit_checked`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TxId(pub u128);

impl TxId {
    /// A fresh id: the clock, the process id and a per-process counter, mixed by the
    /// standard library's randomly keyed hasher.
    pub fn new() -> TxId {
        use std::hash::BuildHasher;
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = (nanos, std::process::id(), n);
        let hi = std::collections::hash_map::RandomState::new().hash_one(seed);
        let lo = std::collections::hash_map::RandomState::new().hash_one(seed);
        TxId((u128::from(hi) << 64) | u128::from(lo))
    }
}

impl Default for TxId {
    fn default() -> Self {
        TxId::new()
    }
}

/// How many recent transaction ids the store remembers (with the generation each made).
pub const RECENT_TXIDS: usize = 128;

/// Stored generation meta, version 1: the counter and the most recent transaction ids,
/// oldest first, each with the generation its commit made.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerationV1 {
    /// The current generation.
    pub generation: u64,
    /// (transaction id, generation it made), oldest first.
    pub recent: Vec<(u128, u64)>,
}

/// What [`Store::commit_checked`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The change set was written; the store is now at this generation.
    Committed(Generation),
    /// A commit with the same transaction id was applied before, making this generation:
    /// nothing was written again.
    AlreadyApplied(Generation),
    /// The base generation is not the store's current one: nothing was written.
    Conflict {
        /// The store's current generation.
        current: Generation,
    },
}

/// A record in a block being edited: decoded from the store, or borrowed from the change
/// set being committed.
///
/// Stored records are boxed so that a block of borrowed ones stays small: a million
/// imported payments take 16 bytes each here, not the size of a payment.
enum Rec<'a, T> {
    Stored(Box<T>),
    New(&'a T),
}

impl<T> Rec<'_, T> {
    fn get(&self) -> &T {
        match self {
            Rec::Stored(r) => r,
            Rec::New(r) => r,
        }
    }
}

/// A block's records in id order.
type Block<'a, T> = Vec<Rec<'a, T>>;

/// Blocks of one record kind being edited, keyed by their sled key.
struct BlockEdits<'a, T> {
    prefix: u8,
    blocks: BTreeMap<[u8; 9], Block<'a, T>>,
    /// The block edited last, out of the map while it is being edited.
    current: Option<([u8; 9], Block<'a, T>)>,
    added: i64,
    id_of: fn(&T) -> u64,
    decode: fn(&[u8], &mut Vec<T>) -> Result<usize, CodecError>,
}

impl<'a, T> BlockEdits<'a, T> {
    fn new(
        prefix: u8,
        id_of: fn(&T) -> u64,
        decode: fn(&[u8], &mut Vec<T>) -> Result<usize, CodecError>,
    ) -> Self {
        BlockEdits {
            prefix,
            blocks: BTreeMap::new(),
            current: None,
            added: 0,
            id_of,
            decode,
        }
    }

    /// The block holding `id`, read from the store the first time it is touched.
    fn block(&mut self, store: &Store, id: u64) -> Result<&mut Block<'a, T>, StoreError> {
        let key = keys::block_key(self.prefix, id);
        if self.current.as_ref().is_none_or(|(k, _)| *k != key) {
            if let Some((k, b)) = self.current.take() {
                self.blocks.insert(k, b);
            }
            let block = match self.blocks.remove(&key) {
                Some(b) => b,
                None => match store.db.get(key).map_err(|e| store.sled_err(e))? {
                    Some(v) => {
                        let mut recs = Vec::with_capacity(keys::BLOCK as usize);
                        (self.decode)(&v, &mut recs).map_err(|e| store.corrupt(&key, e))?;
                        recs.into_iter().map(|r| Rec::Stored(Box::new(r))).collect()
                    }
                    None => Vec::new(),
                },
            };
            self.current = Some((key, block));
        }
        match &mut self.current {
            Some((_, b)) => Ok(b),
            None => unreachable!("the current block was just set"),
        }
    }

    fn put(&mut self, store: &Store, id: u64, rec: &'a T) -> Result<(), StoreError> {
        let id_of = self.id_of;
        let block = self.block(store, id)?;
        // Appending in id order is the common case: no search for it.
        if block.last().is_none_or(|l| id_of(l.get()) < id) {
            block.push(Rec::New(rec));
            self.added += 1;
            return Ok(());
        }
        match block.binary_search_by_key(&id, |r| id_of(r.get())) {
            Ok(pos) => block[pos] = Rec::New(rec),
            Err(pos) => {
                block.insert(pos, Rec::New(rec));
                self.added += 1;
            }
        }
        Ok(())
    }

    fn delete(&mut self, store: &Store, id: u64) -> Result<(), StoreError> {
        let id_of = self.id_of;
        let block = self.block(store, id)?;
        if let Ok(pos) = block.binary_search_by_key(&id, |r| id_of(r.get())) {
            block.remove(pos);
            self.added -= 1;
        }
        Ok(())
    }

    /// Encodes the edited blocks into the batch, in parallel when there are many.
    ///
    /// Each block is encoded into a buffer reused for the next one and copied once into
    /// the value sled keeps, so a large import allocates its encoded bytes once, not
    /// twice (an `IVec` made from a `Vec` copies it).
    fn write_into<E>(mut self, batch: &mut sled::Batch, encode: E) -> u64
    where
        T: Sync,
        E: Fn(&[Rec<'a, T>], &mut Vec<u8>) + Sync,
    {
        if let Some((k, b)) = self.current.take() {
            self.blocks.insert(k, b);
        }
        let blocks: Vec<([u8; 9], Block<'a, T>)> = self.blocks.into_iter().collect();
        let threads = if blocks.len() > 64 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        } else {
            1
        };
        let chunk = blocks.len().div_ceil(threads).max(1);
        type Encoded = Vec<([u8; 9], Option<sled::IVec>)>;
        let encoded: Vec<Encoded> = std::thread::scope(|s| {
            let handles: Vec<_> = blocks
                .chunks(chunk)
                .map(|part| {
                    let encode = &encode;
                    s.spawn(move || {
                        let mut buf = Vec::with_capacity(64 * 1024);
                        part.iter()
                            .map(|(k, recs)| {
                                let v = (!recs.is_empty()).then(|| {
                                    encode(recs, &mut buf);
                                    sled::IVec::from(&buf[..])
                                });
                                (*k, v)
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("block encoder panicked"))
                .collect()
        });
        drop(blocks);
        let mut bytes = 0;
        for (k, v) in encoded.into_iter().flatten() {
            match v {
                Some(v) => {
                    bytes += v.len() as u64;
                    batch.insert(&k, v)
                }
                None => batch.remove(&k),
            }
        }
        bytes
    }
}

fn payment_id(p: &Payment) -> u64 {
    p.id.0
}

fn invoice_id(i: &Invoice) -> u64 {
    i.id.0
}

fn encode_payments(recs: &[Rec<'_, Payment>], out: &mut Vec<u8>) {
    codec::encode_payments_into(recs.iter().map(Rec::get), out)
}

fn encode_invoices(recs: &[Rec<'_, Invoice>], out: &mut Vec<u8>) {
    codec::encode_invoices_into(recs.iter().map(Rec::get), out)
}

fn adjust(count: u64, delta: i64) -> u64 {
    count.saturating_add_signed(delta)
}

impl Store {
    fn party_exists(&self, written: &BTreeMap<u64, bool>, id: u64) -> Result<bool, StoreError> {
        match written.get(&id) {
            Some(e) => Ok(*e),
            None => self
                .db
                .contains_key(keys::party_key(id))
                .map_err(|e| self.sled_err(e)),
        }
    }

    /// Applies `set` atomically: every change lands or none does. When this returns `Ok`
    /// the changes have been flushed to disk.
    pub fn commit(&self, set: &ChangeSet) -> Result<(), StoreError> {
        if set.is_empty() {
            return Ok(());
        }
        self.commit_checked(set, None, None).map(|_| ())
    }

    /// Like [`Store::commit`], with the checks sessions need, made under the write lock
    /// and written in the same atomic batch as the changes:
    /// - a `tx` found among the store's recent transaction ids is not applied again
    ///   ([`Applied::AlreadyApplied`]);
    /// - with a `base`, a store that is no longer at that generation refuses the set
    ///   ([`Applied::Conflict`]).
    ///
    /// A set that changes something raises the generation by one and records `tx`. An
    /// empty set writes nothing and reports the current generation.
    pub fn commit_checked(
        &self,
        set: &ChangeSet,
        base: Option<Generation>,
        tx: Option<TxId>,
    ) -> Result<Applied, StoreError> {
        let _writer = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut meta = super::read_generation_meta(self)?;
        if let Some(tx) = tx {
            if let Some(&(_, g)) = meta.recent.iter().find(|(t, _)| *t == tx.0) {
                return Ok(Applied::AlreadyApplied(Generation(g)));
            }
        }
        let current = Generation(meta.generation);
        if base.is_some_and(|b| b != current) {
            return Ok(Applied::Conflict { current });
        }
        if set.is_empty() {
            return Ok(Applied::Committed(current));
        }
        meta.generation += 1;
        if let Some(tx) = tx {
            if meta.recent.len() >= RECENT_TXIDS {
                let extra = meta.recent.len() + 1 - RECENT_TXIDS;
                meta.recent.drain(..extra);
            }
            meta.recent.push((tx.0, meta.generation));
        }
        let mut payments = BlockEdits::new(keys::PAYMENTS, payment_id, codec::decode_payments_into);
        let mut invoices = BlockEdits::new(keys::INVOICES, invoice_id, codec::decode_invoices_into);
        let mut batch = sled::Batch::default();
        let mut parties_added: i64 = 0;
        let mut ids = self.ids()?;
        if let Some(new) = set.ids {
            ids = IdSeq {
                party: ids.party.max(new.party),
                invoice: ids.invoice.max(new.invoice),
                payment: ids.payment.max(new.payment),
            };
        }
        // Parties written earlier in this same set, so a put-then-delete counts right.
        let mut party_state: BTreeMap<u64, bool> = BTreeMap::new();
        for change in &set.changes {
            match change {
                Change::PutPayment(p) => {
                    ids.payment = ids.payment.max(p.id.0 + 1);
                    payments.put(self, p.id.0, p)?;
                }
                Change::DeletePayment(id) => payments.delete(self, id.0)?,
                Change::PutInvoice(i) => {
                    ids.invoice = ids.invoice.max(i.id.0 + 1);
                    invoices.put(self, i.id.0, i)?;
                }
                Change::DeleteInvoice(id) => invoices.delete(self, id.0)?,
                Change::PutParty(p) => {
                    ids.party = ids.party.max(p.id.0 + 1);
                    if !self.party_exists(&party_state, p.id.0)? {
                        parties_added += 1;
                    }
                    party_state.insert(p.id.0, true);
                    batch.insert(
                        &keys::party_key(p.id.0),
                        codec::encode(tag::PARTY_V1, &codec::PartyV1::from(p)),
                    );
                }
                Change::DeleteParty(id) => {
                    if self.party_exists(&party_state, id.0)? {
                        parties_added -= 1;
                    }
                    party_state.insert(id.0, false);
                    batch.remove(&keys::party_key(id.0));
                }
                Change::PutFilter(f) => batch.insert(
                    keys::filter_key(&f.name),
                    codec::encode(tag::FILTER_V1, &codec::FilterV1::from(f)),
                ),
                Change::DeleteFilter(name) => batch.remove(keys::filter_key(name)),
                Change::PutFollowUp(id, f) => batch.insert(
                    &keys::follow_up_key(id.0),
                    super::reminders::encode_follow_up(*id, f),
                ),
                Change::DeleteFollowUp(id) => batch.remove(&keys::follow_up_key(id.0)),
                Change::PutReminderSettings(s) => {
                    batch.insert(keys::META_REMINDERS, super::reminders::encode_settings(s))
                }
            }
        }
        let old = self.counts()?;
        let counts = Counts {
            parties: adjust(old.parties, parties_added),
            invoices: adjust(old.invoices, invoices.added),
            payments: adjust(old.payments, payments.added),
        };
        let written = payments.write_into(&mut batch, encode_payments)
            + invoices.write_into(&mut batch, encode_invoices);
        batch.insert(keys::META_COUNTS, codec::encode(tag::COUNTS_V1, &counts));
        batch.insert(
            keys::META_IDS,
            codec::encode(tag::IDS_V1, &codec::IdsV1::from(ids)),
        );
        batch.insert(
            keys::META_GENERATION,
            codec::encode(tag::GENERATION_V1, &meta),
        );
        self.db.apply_batch(batch).map_err(|e| self.sled_err(e))?;
        self.db.flush().map_err(|e| self.sled_err(e))?;
        self.written.fetch_add(written, Ordering::Relaxed);
        Ok(Applied::Committed(Generation(meta.generation)))
    }
}
