//! Applying a change set: the affected blocks are read, edited and written back in one
//! atomic sled batch, which is flushed before the commit returns.

use std::collections::BTreeMap;

use super::codec::{self, tag, CodecError, InvoiceV1, PaymentV1};
use super::{keys, Counts, Store, StoreError};
use crate::domain::{Change, ChangeSet, IdSeq};

/// Blocks of one record kind being edited, keyed by their sled key.
struct BlockEdits<R> {
    prefix: u8,
    blocks: BTreeMap<[u8; 9], Vec<R>>,
    added: i64,
}

impl<R> BlockEdits<R> {
    fn new(prefix: u8) -> Self {
        BlockEdits {
            prefix,
            blocks: BTreeMap::new(),
            added: 0,
        }
    }

    fn block(
        &mut self,
        store: &Store,
        id: u64,
        decode: impl Fn(&[u8]) -> Result<Vec<R>, CodecError>,
    ) -> Result<&mut Vec<R>, StoreError> {
        let key = keys::block_key(self.prefix, id);
        if !self.blocks.contains_key(&key) {
            let existing = match store.db.get(key).map_err(|e| store.sled_err(e))? {
                Some(v) => decode(&v).map_err(|e| store.corrupt(&key, e))?,
                None => Vec::new(),
            };
            self.blocks.insert(key, existing);
        }
        Ok(self.blocks.get_mut(&key).expect("block just inserted"))
    }

    fn put(
        &mut self,
        store: &Store,
        id: u64,
        rec: R,
        id_of: impl Fn(&R) -> u64,
        decode: impl Fn(&[u8]) -> Result<Vec<R>, CodecError>,
    ) -> Result<(), StoreError> {
        let block = self.block(store, id, decode)?;
        match block.binary_search_by_key(&id, &id_of) {
            Ok(pos) => block[pos] = rec,
            Err(pos) => {
                block.insert(pos, rec);
                self.added += 1;
            }
        }
        Ok(())
    }

    fn delete(
        &mut self,
        store: &Store,
        id: u64,
        id_of: impl Fn(&R) -> u64,
        decode: impl Fn(&[u8]) -> Result<Vec<R>, CodecError>,
    ) -> Result<(), StoreError> {
        let block = self.block(store, id, decode)?;
        if let Ok(pos) = block.binary_search_by_key(&id, &id_of) {
            block.remove(pos);
            self.added -= 1;
        }
        Ok(())
    }

    /// Encodes the edited blocks into the batch, in parallel when there are many.
    fn write_into(self, batch: &mut sled::Batch, encode: impl Fn(&[R]) -> Vec<u8> + Sync)
    where
        R: Sync,
    {
        let blocks: Vec<([u8; 9], Vec<R>)> = self.blocks.into_iter().collect();
        let threads = if blocks.len() > 64 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        } else {
            1
        };
        let chunk = blocks.len().div_ceil(threads).max(1);
        let encoded: Vec<Vec<([u8; 9], Option<Vec<u8>>)>> = std::thread::scope(|s| {
            let handles: Vec<_> = blocks
                .chunks(chunk)
                .map(|part| {
                    let encode = &encode;
                    s.spawn(move || {
                        part.iter()
                            .map(|(k, recs)| (*k, (!recs.is_empty()).then(|| encode(recs))))
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("block encoder panicked"))
                .collect()
        });
        for (k, v) in encoded.into_iter().flatten() {
            match v {
                Some(v) => batch.insert(&k, v),
                None => batch.remove(&k),
            }
        }
    }
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
        let _writer = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut payments = BlockEdits::<PaymentV1>::new(keys::PAYMENTS);
        let mut invoices = BlockEdits::<InvoiceV1>::new(keys::INVOICES);
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
                    payments.put(
                        self,
                        p.id.0,
                        PaymentV1::from(p),
                        codec::payment_record_id,
                        codec::decode_payment_block,
                    )?;
                }
                Change::DeletePayment(id) => payments.delete(
                    self,
                    id.0,
                    codec::payment_record_id,
                    codec::decode_payment_block,
                )?,
                Change::PutInvoice(i) => {
                    ids.invoice = ids.invoice.max(i.id.0 + 1);
                    invoices.put(
                        self,
                        i.id.0,
                        InvoiceV1::from(i),
                        codec::invoice_record_id,
                        codec::decode_invoice_block,
                    )?;
                }
                Change::DeleteInvoice(id) => invoices.delete(
                    self,
                    id.0,
                    codec::invoice_record_id,
                    codec::decode_invoice_block,
                )?,
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
            }
        }
        let old = self.counts()?;
        let counts = Counts {
            parties: adjust(old.parties, parties_added),
            invoices: adjust(old.invoices, invoices.added),
            payments: adjust(old.payments, payments.added),
        };
        payments.write_into(&mut batch, codec::encode_payment_block);
        invoices.write_into(&mut batch, codec::encode_invoice_block);
        batch.insert(keys::META_COUNTS, codec::encode(tag::COUNTS_V1, &counts));
        batch.insert(
            keys::META_IDS,
            codec::encode(tag::IDS_V1, &codec::IdsV1::from(ids)),
        );
        self.db.apply_batch(batch).map_err(|e| self.sled_err(e))?;
        self.db.flush().map_err(|e| self.sled_err(e))?;
        Ok(())
    }
}
