//! The in-memory ledger: every party, invoice and payment with the indexes that make
//! status, credit and lookups cheap. It applies domain rules; it never touches storage.
//!
//! Built for a million payments: records live in plain `Vec`s (taken over as they come,
//! never copied), ids map to positions through dense tables, invoice numbers are found
//! through a hash table of positions that never copies a number, and the allocations
//! per invoice are one flat array with an offset per invoice id (edits after the build
//! go to a small overlay that is folded back in when it grows).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rust_decimal::Decimal;
use time::Date;

use super::{
    Currency, Direction, Invoice, InvoiceId, Party, PartyId, Payment, PaymentId, Settlement,
    StatusRules,
};

/// A fast, non-cryptographic hasher for in-memory indexes over the ledger's own data
/// (FxHash's add-multiply over 8-byte words, with a final avalanche so both the low bits
/// and the high bits of the hash are usable). Not for keys an adversary chooses to make
/// collide; ledger data comes from the bookkeeper's own store.
#[derive(Clone, Copy, Debug, Default)]
pub struct FastHasher {
    hash: u64,
}

/// `BuildHasher` for [`FastHasher`]: `HashMap<K, V, FastBuildHasher>`.
pub type FastBuildHasher = BuildHasherDefault<FastHasher>;

impl FastHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;

    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = self.hash.wrapping_add(word).wrapping_mul(Self::K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // murmur3's fmix64
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// One allocation seen from the invoice's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvoiceAllocation {
    /// Date of the paying payment.
    pub date: Date,
    /// The paying payment.
    pub payment: PaymentId,
    /// Amount applied to the invoice.
    pub amount: Decimal,
}

impl InvoiceAllocation {
    fn order(&self) -> (Date, PaymentId) {
        (self.date, self.payment)
    }
}

/// Maps dense ids to positions in a `Vec`.
#[derive(Clone, Debug, Default)]
struct Slots(Vec<u32>);

impl Slots {
    const NONE: u32 = u32::MAX;
    fn get(&self, id: u64) -> Option<usize> {
        match self.0.get(usize::try_from(id).ok()?) {
            Some(&p) if p != Self::NONE => Some(p as usize),
            _ => None,
        }
    }
    fn set(&mut self, id: u64, pos: usize) {
        let i = id as usize;
        if i >= self.0.len() {
            self.0.resize(i + 1, Self::NONE);
        }
        self.0[i] = pos as u32;
    }
    fn clear(&mut self, id: u64) {
        if let Some(p) = self.0.get_mut(id as usize) {
            *p = Self::NONE;
        }
    }
    fn len(&self) -> usize {
        self.0.len()
    }

    /// Indexes `records` by id in place, sizing the table once. A later record with an
    /// id seen before replaces the earlier one at the earlier one's position (what
    /// upserting them one by one does); the list is compacted over the replaced ones.
    fn build<T>(records: &mut Vec<T>, id: impl Fn(&T) -> u64) -> Slots {
        // Records usually come in id order: the last id sizes the table (`set` grows it
        // for any larger one) without a pass of its own.
        let len = records.last().map_or(0, |r| id(r) as usize + 1);
        let mut slots = Slots(vec![
            Self::NONE;
            len.min(records.len().saturating_mul(4) + 1024)
        ]);
        let mut kept = 0;
        for r in 0..records.len() {
            let key = id(&records[r]);
            match slots.get(key) {
                Some(pos) => records.swap(pos, r),
                None => {
                    slots.set(key, kept);
                    if kept != r {
                        records.swap(kept, r);
                    }
                    kept += 1;
                }
            }
        }
        records.truncate(kept);
        slots
    }
}

/// Invoice positions by (trimmed) number, without a copy of any number.
///
/// Open addressing with linear probing over `u64` entries `(tag << 32) | (position + 1)`:
/// the tag is the low half of the number's hash, the position points into the ledger's
/// invoice list, and a candidate is confirmed against that invoice's own number. The low
/// half 0 marks a free slot (`EMPTY`) or a removed entry (`TOMB`, tag 1). When two
/// invoices share a number, the one indexed last is found.
#[derive(Clone, Debug, Default)]
struct NumberIndex {
    table: Vec<u64>,
    /// Live entries.
    len: usize,
    /// Live entries plus tombstones: what probing walks over.
    used: usize,
}

impl NumberIndex {
    const EMPTY: u64 = 0;
    const TOMB: u64 = 1 << 32;

    fn hash(number: &str) -> u64 {
        let mut h = FastHasher::default();
        h.write_usize(number.len());
        h.write(number.as_bytes());
        h.finish()
    }

    fn entry(hash: u64, pos: usize) -> u64 {
        (hash << 32) | (pos as u64 + 1)
    }

    /// The live position in an entry, if it is one.
    fn pos(e: u64) -> Option<usize> {
        match e as u32 {
            0 => None,
            p => Some(p as usize - 1),
        }
    }

    fn home(&self, hash: u64) -> usize {
        (hash >> 32) as usize & (self.table.len() - 1)
    }

    /// A table for `n` numbers built from `invoices`, indexed in order.
    ///
    /// Inserting a million numbers one by one costs a cache miss each (the table is
    /// megabytes, the homes random). Instead the entries are sorted by home slot (a
    /// stable radix sort, so invoices with the same home keep their order) and laid down
    /// front to back: linear probing then only ever moves forward, and the table is
    /// written sequentially.
    fn build(invoices: &[Invoice]) -> NumberIndex {
        let empty = || {
            let mut ix = NumberIndex::default();
            ix.resize(invoices.len(), &[]);
            ix
        };
        let mut ix = empty();
        let one_by_one = |mut ix: NumberIndex| {
            for (pos, inv) in invoices.iter().enumerate() {
                ix.insert(inv.number.trim(), pos, invoices);
            }
            ix
        };
        if invoices.len() >= u32::MAX as usize {
            return one_by_one(ix);
        }
        // (home, tag, position), in invoice order
        let mut items: Vec<(u32, u32, u32)> = invoices
            .iter()
            .enumerate()
            .map(|(pos, inv)| {
                let h = Self::hash(inv.number.trim());
                (ix.home(h) as u32, h as u32, pos as u32)
            })
            .collect();
        radix_sort_by_home(&mut items, ix.table.len().trailing_zeros());
        let number = |pos: u32| invoices[pos as usize].number.trim();
        let mask = ix.table.len() - 1;
        let mut cursor = 0usize;
        let mut wrapped = Vec::new();
        for group in items.chunk_by(|a, b| a.0 == b.0) {
            // Numbers that repeat share a hash, so they meet in one group: the invoice
            // indexed last wins. Groups hold one or two entries; a long one means many
            // repeats, which inserting one by one handles.
            if group.len() > 32 {
                return one_by_one(empty());
            }
            for (k, &(home, tag, pos)) in group.iter().enumerate() {
                let repeated = group[k + 1..]
                    .iter()
                    .any(|&(_, t, q)| t == tag && number(q) == number(pos));
                if repeated {
                    continue;
                }
                let at = cursor.max(home as usize);
                if at > mask {
                    wrapped.push(pos as usize);
                    continue;
                }
                ix.table[at] = Self::entry(u64::from(tag), pos as usize);
                cursor = at + 1;
                ix.len += 1;
                ix.used += 1;
            }
        }
        // Entries pushed past the end continue from slot 0, as probing does.
        for pos in wrapped {
            ix.insert(invoices[pos].number.trim(), pos, invoices);
        }
        ix
    }

    /// Rebuilds the table with room for `n` live entries (drops the tombstones).
    fn resize(&mut self, n: usize, invoices: &[Invoice]) {
        let cap = (n.max(8) * 8 / 7 + 1).next_power_of_two();
        let old = std::mem::replace(&mut self.table, vec![Self::EMPTY; cap]);
        self.used = self.len;
        let mask = cap - 1;
        for e in old {
            let Some(pos) = Self::pos(e) else { continue };
            let Some(inv) = invoices.get(pos) else {
                self.len -= 1;
                self.used -= 1;
                continue;
            };
            let h = Self::hash(inv.number.trim());
            let mut i = self.home(h);
            while self.table[i] != Self::EMPTY {
                i = (i + 1) & mask;
            }
            self.table[i] = Self::entry(h, pos);
        }
    }

    fn find(&self, number: &str, invoices: &[Invoice]) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let h = Self::hash(number);
        let (tag, mask) = (h as u32, self.table.len() - 1);
        let mut i = self.home(h);
        loop {
            let e = self.table[i];
            if e == Self::EMPTY {
                return None;
            }
            if let Some(pos) = Self::pos(e) {
                if (e >> 32) as u32 == tag
                    && invoices.get(pos).is_some_and(|inv| {
                        // numbers are stored trimmed: the exact compare nearly always decides
                        inv.number == number || inv.number.trim() == number
                    })
                {
                    return Some(pos);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Indexes the invoice at `pos` under `number`; an entry for the same number is
    /// replaced.
    fn insert(&mut self, number: &str, pos: usize, invoices: &[Invoice]) {
        if (self.used + 1) * 8 > self.table.len() * 7 {
            self.resize(self.len + 1, invoices);
        }
        let h = Self::hash(number);
        let (tag, mask) = (h as u32, self.table.len() - 1);
        let mut i = self.home(h);
        let mut free = None;
        loop {
            let e = self.table[i];
            if e == Self::EMPTY {
                break;
            }
            match Self::pos(e) {
                None => {
                    free.get_or_insert(i);
                }
                Some(q) => {
                    if (e >> 32) as u32 == tag
                        && invoices
                            .get(q)
                            .is_some_and(|inv| inv.number.trim() == number)
                    {
                        self.table[i] = Self::entry(h, pos);
                        return;
                    }
                }
            }
            i = (i + 1) & mask;
        }
        match free {
            Some(t) => self.table[t] = Self::entry(h, pos),
            None => {
                self.table[i] = Self::entry(h, pos);
                self.used += 1;
            }
        }
        self.len += 1;
    }

    /// The slot of the entry for the invoice at `pos`, indexed under `number`.
    fn slot_of(&self, number: &str, pos: usize) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let h = Self::hash(number);
        let mask = self.table.len() - 1;
        let mut i = self.home(h);
        loop {
            let e = self.table[i];
            if e == Self::EMPTY {
                return None;
            }
            if Self::pos(e) == Some(pos) && (e >> 32) as u32 == h as u32 {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Drops the entry of the invoice at `pos` (a no-op when another invoice with the
    /// same number was indexed after it).
    fn remove(&mut self, number: &str, pos: usize) {
        if let Some(i) = self.slot_of(number, pos) {
            self.table[i] = Self::TOMB;
            self.len -= 1;
        }
    }

    /// The invoice indexed under `number` moved from position `from` to `to`.
    fn moved(&mut self, number: &str, from: usize, to: usize) {
        if let Some(i) = self.slot_of(number, from) {
            self.table[i] = (self.table[i] & !0xffff_ffff) | (to as u64 + 1);
        }
    }
}

/// Sorts `(home, tag, position)` items by home (the low `bits` bits), keeping the order
/// of items with equal homes: LSD radix sort in passes of at most 11 bits.
fn radix_sort_by_home(items: &mut Vec<(u32, u32, u32)>, bits: u32) {
    const DIGIT: u32 = 11;
    let mut buf = vec![(0u32, 0u32, 0u32); items.len()];
    let mut shift = 0;
    while shift < bits {
        let width = DIGIT.min(bits - shift);
        let mask = (1u32 << width) - 1;
        let mut counts = vec![0usize; (1 << width) + 1];
        for it in items.iter() {
            counts[((it.0 >> shift) & mask) as usize + 1] += 1;
        }
        for d in 1..counts.len() {
            counts[d] += counts[d - 1];
        }
        for it in items.iter() {
            let d = ((it.0 >> shift) & mask) as usize;
            buf[counts[d]] = *it;
            counts[d] += 1;
        }
        std::mem::swap(items, &mut buf);
        shift += width;
    }
}

/// Allocations per invoice id, each list sorted by (payment date, payment id).
///
/// Built in one pass as a flat array with an offset per invoice id (`starts`); lists
/// changed afterwards, and lists of ids beyond the dense range, live in `edited`, which
/// takes precedence and is folded back into the flat array when it grows large.
#[derive(Clone, Debug, Default)]
struct AllocIndex {
    /// `entries[starts[i]..starts[i + 1]]` are invoice `i`'s; `len - 1` ids are dense.
    starts: Vec<u32>,
    entries: Vec<InvoiceAllocation>,
    edited: HashMap<u64, Vec<InvoiceAllocation>, FastBuildHasher>,
}

impl AllocIndex {
    /// Lists in `edited` beyond which it is folded back (plus a quarter of the dense ids).
    const EDITED_SLACK: usize = 4096;

    fn dense(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    fn get(&self, id: u64) -> &[InvoiceAllocation] {
        if !self.edited.is_empty() {
            if let Some(v) = self.edited.get(&id) {
                return v;
            }
        }
        base_list(&self.starts, &self.entries, id)
    }

    /// The list of `id`, moved to the overlay so it can change.
    fn get_mut(&mut self, id: u64) -> &mut Vec<InvoiceAllocation> {
        match self.edited.entry(id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(base_list(&self.starts, &self.entries, id).to_vec()),
        }
    }

    /// Drops an overlay list that says no more than the flat array does.
    fn tidy(&mut self, id: u64) {
        if let Entry::Occupied(e) = self.edited.entry(id) {
            if e.get().is_empty() && base_list(&self.starts, &self.entries, id).is_empty() {
                e.remove();
            }
        }
    }

    /// Ids from 0 up to which lists are kept in the flat array: enough for every id
    /// referenced, unless an id is far beyond anything the ledger holds (a dangling or
    /// damaged reference must not allocate a huge table).
    fn dense_limit(max_id: Option<u64>, hint: usize, total: usize) -> usize {
        let bound = hint.max(total).saturating_mul(2).saturating_add(1024);
        match max_id {
            Some(m) if (m as usize) < bound && total < u32::MAX as usize => m as usize + 1,
            _ => 0,
        }
    }

    /// Builds the index of `payments`' allocations; `hint` is one past the largest
    /// invoice id the ledger holds.
    fn build(payments: &[Payment], hint: usize) -> AllocIndex {
        let allocs = || {
            payments
                .iter()
                .flat_map(|p| p.allocations.iter().map(move |a| (p, a)))
        };
        // Count per id into starts[id + 1] (growing the table to the largest id seen),
        // then turn the counts into start offsets.
        let bound = hint
            .max(payments.len())
            .saturating_mul(2)
            .saturating_add(1024) as u64;
        let mut starts: Vec<u32> = Vec::with_capacity(hint.min(bound as usize) + 2);
        let mut total = 0u64;
        for (_, a) in allocs() {
            total += 1;
            if a.invoice.0 < bound {
                let i = a.invoice.0 as usize;
                if i + 1 >= starts.len() {
                    starts.resize(i + 2, 0);
                }
                starts[i + 1] += 1;
            }
        }
        let mut ix = AllocIndex::default();
        if total == 0 {
            return ix;
        }
        if total >= u64::from(u32::MAX) {
            // Offsets would not fit: every list goes to the overlay.
            starts.clear();
        }
        let limit = starts.len().saturating_sub(1);
        if starts.is_empty() {
            starts.push(0);
        }
        for i in 1..=limit {
            starts[i] += starts[i - 1];
        }
        let dense_total = starts[limit] as usize;
        let blank = InvoiceAllocation {
            date: Date::MIN,
            payment: PaymentId(0),
            amount: Decimal::ZERO,
        };
        let mut entries = vec![blank; dense_total];
        // Fill, using starts[id] as the cursor: afterwards it holds the end of id's list,
        // which is the start of id + 1's, so shifting by one restores the starts.
        for (p, a) in allocs() {
            let e = InvoiceAllocation {
                date: p.date,
                payment: p.id,
                amount: a.amount,
            };
            match usize::try_from(a.invoice.0).ok().filter(|&i| i < limit) {
                Some(i) => {
                    entries[starts[i] as usize] = e;
                    starts[i] += 1;
                }
                None => ix.edited.entry(a.invoice.0).or_default().push(e),
            }
        }
        for i in (1..=limit).rev() {
            starts[i] = starts[i - 1];
        }
        starts[0] = 0;
        for w in starts.windows(2) {
            sort_list(&mut entries[w[0] as usize..w[1] as usize]);
        }
        for list in ix.edited.values_mut() {
            sort_list(list);
        }
        ix.starts = starts;
        ix.entries = entries;
        ix
    }

    /// Folds the overlay back into the flat array when it has grown large.
    fn maybe_compact(&mut self, hint: usize) {
        if self.edited.len() <= Self::EDITED_SLACK + self.dense() / 4 {
            return;
        }
        let total = self.entries.len() + self.edited.values().map(Vec::len).sum::<usize>();
        let bound = hint.max(total).saturating_mul(2).saturating_add(1024) as u64;
        let max_edited = self.edited.keys().copied().filter(|&i| i < bound).max();
        let max_id = match (self.dense().checked_sub(1), max_edited) {
            (Some(d), Some(e)) => Some((d as u64).max(e)),
            (d, e) => d.map(|d| d as u64).or(e),
        };
        // Never below the current dense range, so no list of the flat array is lost;
        // overlay lists beyond the limit stay in the overlay.
        let limit = Self::dense_limit(max_id, hint, total).max(self.dense());
        let mut starts = Vec::with_capacity(limit + 1);
        let mut entries = Vec::with_capacity(total);
        starts.push(0u32);
        for id in 0..limit as u64 {
            match self.edited.remove(&id) {
                Some(list) => entries.extend_from_slice(&list),
                None => entries.extend_from_slice(base_list(&self.starts, &self.entries, id)),
            }
            starts.push(entries.len() as u32);
        }
        self.starts = starts;
        self.entries = entries;
        self.edited.shrink_to_fit();
    }
}

/// Invoice `id`'s list in the flat array.
fn base_list<'a>(
    starts: &[u32],
    entries: &'a [InvoiceAllocation],
    id: u64,
) -> &'a [InvoiceAllocation] {
    match usize::try_from(id) {
        Ok(i) if i + 1 < starts.len() => &entries[starts[i] as usize..starts[i + 1] as usize],
        _ => &[],
    }
}

/// Sorts a list by (payment date, payment id), keeping the order of equal ones.
fn sort_list(list: &mut [InvoiceAllocation]) {
    if list.len() > 1 && !list.windows(2).all(|w| w[0].order() <= w[1].order()) {
        list.sort_by_key(InvoiceAllocation::order);
    }
}

/// Invoices with their indexes by id and number, built apart from the payments (so the
/// two can be built on different threads, e.g. while a store decodes).
#[derive(Clone, Debug, Default)]
pub struct IndexedInvoices {
    invoices: Vec<Invoice>,
    slots: Slots,
    numbers: NumberIndex,
}

impl IndexedInvoices {
    /// Indexes `invoices`, taking the list over as it is. For a repeated id the later
    /// invoice replaces the earlier one.
    pub fn new(mut invoices: Vec<Invoice>) -> Self {
        let slots = Slots::build(&mut invoices, |i| i.id.0);
        let numbers = NumberIndex::build(&invoices);
        IndexedInvoices {
            invoices,
            slots,
            numbers,
        }
    }

    /// Number of invoices.
    pub fn len(&self) -> usize {
        self.invoices.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.invoices.is_empty()
    }
}

/// Payments with their indexes by id and the allocations per invoice, built apart from
/// the invoices (see [`IndexedInvoices`]).
#[derive(Clone, Debug, Default)]
pub struct IndexedPayments {
    payments: Vec<Payment>,
    slots: Slots,
    by_invoice: AllocIndex,
}

impl IndexedPayments {
    /// Indexes `payments`, taking the list over as it is. For a repeated id the later
    /// payment replaces the earlier one. `invoice_ids` is one more than the largest
    /// invoice id (a hint for sizing; 0 when unknown).
    pub fn new(mut payments: Vec<Payment>, invoice_ids: u64) -> Self {
        let slots = Slots::build(&mut payments, |p| p.id.0);
        let hint = usize::try_from(invoice_ids).unwrap_or(usize::MAX);
        let by_invoice = AllocIndex::build(&payments, hint);
        IndexedPayments {
            payments,
            slots,
            by_invoice,
        }
    }

    /// Number of payments.
    pub fn len(&self) -> usize {
        self.payments.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.payments.is_empty()
    }
}

/// All records, with indexes by id, name, number, party and invoice.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    parties: Vec<Party>,
    invoices: Vec<Invoice>,
    payments: Vec<Payment>,
    party_slots: Slots,
    invoice_slots: Slots,
    payment_slots: Slots,
    party_names: HashMap<String, PartyId, FastBuildHasher>,
    invoice_numbers: NumberIndex,
    /// Allocations per invoice id, sorted by (payment date, payment id).
    by_invoice: AllocIndex,
    /// Follow-up state per invoice (see [`super::reminders`]).
    pub(super) follow_ups: super::reminders::FollowUps,
    /// Reminder ladders and minimum amount.
    pub(super) reminder_settings: super::reminders::ReminderSettings,
}

/// The key under which a party name is unique.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Records above which [`Ledger::from_records`] indexes invoices and payments on two
/// threads.
const PARALLEL_RECORDS: usize = 50_000;

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Ledger::default()
    }

    /// Builds a ledger from loaded records. The lists are taken over as they are (no
    /// copy); for a repeated id the later record replaces the earlier one.
    pub fn from_records(
        parties: Vec<Party>,
        invoices: Vec<Invoice>,
        payments: Vec<Payment>,
    ) -> Self {
        let invoice_ids = invoices
            .iter()
            .map(|i| i.id.0)
            .max()
            .map_or(0, |m| m.saturating_add(1));
        let (inv, pay) = if invoices.len() + payments.len() > PARALLEL_RECORDS {
            std::thread::scope(|s| {
                let inv = s.spawn(|| IndexedInvoices::new(invoices));
                let pay = IndexedPayments::new(payments, invoice_ids);
                (inv.join().expect("invoice indexing panicked"), pay)
            })
        } else {
            (
                IndexedInvoices::new(invoices),
                IndexedPayments::new(payments, invoice_ids),
            )
        };
        Ledger::from_indexed(parties, inv, pay)
    }

    /// Builds a ledger from invoices and payments indexed apart.
    pub fn from_indexed(
        mut parties: Vec<Party>,
        inv: IndexedInvoices,
        pay: IndexedPayments,
    ) -> Self {
        let party_slots = Slots::build(&mut parties, |p| p.id.0);
        let mut party_names =
            HashMap::with_capacity_and_hasher(parties.len(), FastBuildHasher::default());
        for p in &parties {
            party_names.insert(name_key(&p.name), p.id);
        }
        let mut l = Ledger {
            parties,
            invoices: inv.invoices,
            payments: pay.payments,
            party_slots,
            invoice_slots: inv.slots,
            payment_slots: pay.slots,
            party_names,
            invoice_numbers: inv.numbers,
            by_invoice: pay.by_invoice,
            follow_ups: Default::default(),
            reminder_settings: Default::default(),
        };
        l.by_invoice.maybe_compact(l.invoice_slots.len());
        l
    }

    /// All parties, in the order they were added.
    pub fn parties(&self) -> &[Party] {
        &self.parties
    }
    /// All invoices, in the order they were added.
    pub fn invoices(&self) -> &[Invoice] {
        &self.invoices
    }
    /// All payments, in the order they were added.
    pub fn payments(&self) -> &[Payment] {
        &self.payments
    }

    /// A party by id.
    pub fn party(&self, id: PartyId) -> Option<&Party> {
        self.party_slots.get(id.0).map(|p| &self.parties[p])
    }
    /// An invoice by id.
    pub fn invoice(&self, id: InvoiceId) -> Option<&Invoice> {
        self.invoice_slots.get(id.0).map(|p| &self.invoices[p])
    }
    /// A payment by id.
    pub fn payment(&self, id: PaymentId) -> Option<&Payment> {
        self.payment_slots.get(id.0).map(|p| &self.payments[p])
    }
    /// A party by its (case-insensitive) name.
    pub fn party_by_name(&self, name: &str) -> Option<&Party> {
        self.party_names
            .get(&name_key(name))
            .and_then(|id| self.party(*id))
    }
    /// An invoice by its number (exact, after trimming surrounding white space).
    pub fn invoice_by_number(&self, number: &str) -> Option<&Invoice> {
        self.invoice_numbers
            .find(number.trim(), &self.invoices)
            .map(|pos| &self.invoices[pos])
    }
    /// The party's name, or `?` for a dangling id.
    pub fn party_name(&self, id: PartyId) -> &str {
        self.party(id).map(|p| p.name.as_str()).unwrap_or("?")
    }

    /// Allocations made to an invoice, oldest payment first.
    pub fn allocations_to(&self, id: InvoiceId) -> &[InvoiceAllocation] {
        self.by_invoice.get(id.0)
    }

    /// Sum allocated to an invoice from payments dated on or before `as_of`.
    pub fn allocated_as_of(&self, id: InvoiceId, as_of: Date) -> Decimal {
        self.allocations_to(id)
            .iter()
            .take_while(|a| a.date <= as_of)
            .map(|a| a.amount)
            .sum()
    }

    /// The invoice's settlement as of the rules' date.
    pub fn settlement(&self, inv: &Invoice, rules: &StatusRules) -> Settlement {
        Settlement::derive(inv, self.allocated_as_of(inv.id, rules.as_of), rules)
    }

    /// The date of the payment that completed the invoice, if it was paid by `as_of`.
    pub fn completion_date(&self, inv: &Invoice, as_of: Date) -> Option<Date> {
        if inv.void {
            return None;
        }
        let mut sum = Decimal::ZERO;
        for a in self.allocations_to(inv.id) {
            if a.date > as_of {
                break;
            }
            sum += a.amount;
            if sum >= inv.amount {
                return Some(a.date);
            }
        }
        None
    }

    /// Days the invoice was paid late (0 when on time), if it was paid by `as_of`.
    pub fn days_late(&self, inv: &Invoice, as_of: Date) -> Option<i64> {
        self.completion_date(inv, as_of)
            .map(|c| (c - inv.due_date).whole_days().max(0))
    }

    /// The party's credit per currency as of a date: unallocated payment remainders
    /// plus overpayments of its invoices. Only currencies with credit are listed.
    pub fn party_credit(&self, party: PartyId, as_of: Date) -> Vec<(Currency, Direction, Decimal)> {
        let mut acc: Vec<(Currency, Direction, Decimal)> = Vec::new();
        let mut add = |c: Currency, d: Direction, v: Decimal| {
            if v.is_zero() {
                return;
            }
            match acc.iter_mut().find(|(ac, ad, _)| *ac == c && *ad == d) {
                Some(e) => e.2 += v,
                None => acc.push((c, d, v)),
            }
        };
        for p in self
            .payments
            .iter()
            .filter(|p| p.party == party && p.date <= as_of)
        {
            add(p.currency, p.direction, p.unallocated());
        }
        let rules = StatusRules::new(as_of);
        for inv in self.invoices.iter().filter(|i| i.party == party) {
            let s = self.settlement(inv, &rules);
            add(inv.currency, inv.kind.direction(), s.overpaid);
        }
        acc.sort_by_key(|(c, d, _)| (*c, *d));
        acc
    }

    /// Inserts or replaces a party.
    pub fn upsert_party(&mut self, p: Party) {
        if let Some(pos) = self.party_slots.get(p.id.0) {
            let old = std::mem::replace(&mut self.parties[pos], p);
            self.party_names.remove(&name_key(&old.name));
            let new = &self.parties[pos];
            self.party_names.insert(name_key(&new.name), new.id);
        } else {
            self.party_slots.set(p.id.0, self.parties.len());
            self.party_names.insert(name_key(&p.name), p.id);
            self.parties.push(p);
        }
    }

    /// Inserts or replaces an invoice.
    pub fn upsert_invoice(&mut self, i: Invoice) {
        let pos = match self.invoice_slots.get(i.id.0) {
            Some(pos) => {
                let old = std::mem::replace(&mut self.invoices[pos], i);
                self.invoice_numbers.remove(old.number.trim(), pos);
                pos
            }
            None => {
                self.invoice_slots.set(i.id.0, self.invoices.len());
                self.invoices.push(i);
                self.invoices.len() - 1
            }
        };
        self.invoice_numbers
            .insert(self.invoices[pos].number.trim(), pos, &self.invoices);
    }

    /// Indexes the allocations of the payment at `pos`.
    fn index_allocations(&mut self, pos: usize) {
        let p = &self.payments[pos];
        for a in &p.allocations {
            let entry = InvoiceAllocation {
                date: p.date,
                payment: p.id,
                amount: a.amount,
            };
            let list = self.by_invoice.get_mut(a.invoice.0);
            let at = list.partition_point(|x| x.order() <= entry.order());
            list.insert(at, entry);
        }
        self.by_invoice.maybe_compact(self.invoice_slots.len());
    }

    fn unindex_allocations(&mut self, p: &Payment) {
        for a in &p.allocations {
            let id = a.invoice.0;
            if self.by_invoice.get(id).iter().any(|x| x.payment == p.id) {
                self.by_invoice.get_mut(id).retain(|x| x.payment != p.id);
                self.by_invoice.tidy(id);
            }
        }
    }

    /// Inserts or replaces a payment, keeping the per-invoice allocation index sorted.
    pub fn upsert_payment(&mut self, p: Payment) {
        let pos = match self.payment_slots.get(p.id.0) {
            Some(pos) => {
                let old = std::mem::replace(&mut self.payments[pos], p);
                self.unindex_allocations(&old);
                pos
            }
            None => {
                self.payment_slots.set(p.id.0, self.payments.len());
                self.payments.push(p);
                self.payments.len() - 1
            }
        };
        self.index_allocations(pos);
    }

    /// Removes a party (the caller ensures nothing refers to it).
    pub fn remove_party(&mut self, id: PartyId) -> Option<Party> {
        let pos = self.party_slots.get(id.0)?;
        let p = self.parties.swap_remove(pos);
        self.party_slots.clear(id.0);
        if let Some(moved) = self.parties.get(pos) {
            self.party_slots.set(moved.id.0, pos);
        }
        self.party_names.remove(&name_key(&p.name));
        Some(p)
    }

    /// Removes an invoice (allocations to it must be removed first).
    pub fn remove_invoice(&mut self, id: InvoiceId) -> Option<Invoice> {
        let pos = self.invoice_slots.get(id.0)?;
        self.invoice_numbers
            .remove(self.invoices[pos].number.trim(), pos);
        let i = self.invoices.swap_remove(pos);
        self.invoice_slots.clear(id.0);
        if let Some(moved) = self.invoices.get(pos) {
            self.invoice_slots.set(moved.id.0, pos);
            self.invoice_numbers
                .moved(moved.number.trim(), self.invoices.len(), pos);
        }
        Some(i)
    }

    /// Removes a payment and its allocations.
    pub fn remove_payment(&mut self, id: PaymentId) -> Option<Payment> {
        let pos = self.payment_slots.get(id.0)?;
        let p = self.payments.swap_remove(pos);
        self.payment_slots.clear(id.0);
        if let Some(moved) = self.payments.get(pos) {
            self.payment_slots.set(moved.id.0, pos);
        }
        self.unindex_allocations(&p);
        Some(p)
    }

    /// Payments with at least one allocation to `inv`.
    pub fn payments_allocated_to(&self, inv: InvoiceId) -> Vec<PaymentId> {
        let mut v: Vec<PaymentId> = self.allocations_to(inv).iter().map(|a| a.payment).collect();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Allocation, InvoiceKind, InvoiceStatus, Method, PartyRole};
    use time::macros::date;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn party(id: u64, name: &str) -> Party {
        Party {
            id: PartyId(id),
            name: name.into(),
            role: PartyRole::Customer,
            email: String::new(),
            terms_days: None,
            notes: String::new(),
        }
    }

    fn invoice(id: u64, amount: &str, cur: Currency, due: Date) -> Invoice {
        Invoice {
            id: InvoiceId(id),
            number: format!("INV-{id:03}"),
            party: PartyId(1),
            kind: InvoiceKind::Receivable,
            issue_date: date!(2025 - 01 - 01),
            due_date: due,
            amount: d(amount),
            currency: cur,
            notes: String::new(),
            void: false,
        }
    }

    fn payment(id: u64, date: Date, amount: &str, allocs: &[(u64, &str)]) -> Payment {
        Payment {
            id: PaymentId(id),
            party: PartyId(1),
            direction: Direction::In,
            amount: d(amount),
            currency: Currency::EUR,
            date,
            method: Method::BankTransfer,
            reference: format!("REF{id}"),
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

    fn ledger() -> Ledger {
        Ledger::from_records(
            vec![party(1, "Müller GmbH")],
            vec![
                invoice(1, "100", Currency::EUR, date!(2025 - 01 - 31)),
                invoice(2, "200", Currency::EUR, date!(2025 - 02 - 28)),
                invoice(3, "50", Currency::EUR, date!(2025 - 03 - 31)),
            ],
            vec![
                // recorded later but dated earlier: date order wins
                payment(2, date!(2025 - 02 - 10), "70", &[(1, "70")]),
                payment(1, date!(2025 - 01 - 20), "30", &[(1, "30")]),
                // split over three invoices with 20 left as credit
                payment(
                    3,
                    date!(2025 - 03 - 01),
                    "290",
                    &[(1, "10"), (2, "200"), (3, "60")],
                ),
            ],
        )
    }

    #[test]
    fn completion_date_follows_payment_dates() {
        let l = ledger();
        let i1 = l.invoice(InvoiceId(1)).unwrap();
        assert_eq!(
            l.completion_date(i1, date!(2025 - 12 - 31)),
            Some(date!(2025 - 02 - 10))
        );
        assert_eq!(l.days_late(i1, date!(2025 - 12 - 31)), Some(10));
        let i2 = l.invoice(InvoiceId(2)).unwrap();
        assert_eq!(l.days_late(i2, date!(2025 - 12 - 31)), Some(1));
        // before the completing payment: not paid
        assert_eq!(l.completion_date(i1, date!(2025 - 02 - 09)), None);
    }

    #[test]
    fn payment_after_as_of_is_ignored() {
        let l = ledger();
        let i1 = l.invoice(InvoiceId(1)).unwrap();
        let r = StatusRules::new(date!(2025 - 02 - 05));
        let s = l.settlement(i1, &r);
        assert_eq!(s.allocated, d("30"));
        assert_eq!(s.status(), InvoiceStatus::Overdue);
        assert!(s.has(InvoiceStatus::Partial));
    }

    #[test]
    fn overpayment_and_remainder_are_credit() {
        let l = ledger();
        let credit = l.party_credit(PartyId(1), date!(2025 - 12 - 31));
        // invoice 1 overpaid by 10, invoice 3 by 10, payment 3 has 20 unallocated
        assert_eq!(credit, vec![(Currency::EUR, Direction::In, d("40"))]);
        let early = l.party_credit(PartyId(1), date!(2025 - 02 - 15));
        assert!(early.is_empty());
    }

    #[test]
    fn edits_and_removals_keep_indexes() {
        let mut l = ledger();
        l.remove_payment(PaymentId(3));
        assert_eq!(l.allocations_to(InvoiceId(2)).len(), 0);
        assert_eq!(l.allocations_to(InvoiceId(1)).len(), 2);
        let mut p = l.payment(PaymentId(1)).unwrap().clone();
        p.date = date!(2025 - 03 - 01);
        l.upsert_payment(p);
        let list = l.allocations_to(InvoiceId(1));
        assert_eq!(list[0].payment, PaymentId(2));
        assert_eq!(list[1].payment, PaymentId(1));
        l.remove_invoice(InvoiceId(1));
        assert!(l.invoice_by_number("INV-001").is_none());
        assert_eq!(l.invoice_by_number("INV-003").unwrap().id, InvoiceId(3));
        assert_eq!(l.party_by_name("müller gmbh").unwrap().id, PartyId(1));
    }

    #[test]
    fn zero_decimal_currency() {
        let mut l = Ledger::new();
        l.upsert_party(party(1, "Tanaka KK"));
        l.upsert_invoice(invoice(1, "12000", Currency::JPY, date!(2025 - 01 - 31)));
        let mut p = payment(1, date!(2025 - 01 - 15), "12000", &[(1, "12000")]);
        p.currency = Currency::JPY;
        l.upsert_payment(p);
        let inv = l.invoice(InvoiceId(1)).unwrap();
        let s = l.settlement(inv, &StatusRules::new(date!(2025 - 02 - 01)));
        assert_eq!(s.status(), InvoiceStatus::Paid);
        assert_eq!(Currency::JPY.format(s.outstanding), "0");
    }

    /// A small deterministic random stream (xorshift64*) for the model tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// What the ledger must answer, computed the plain way from the live records.
    fn check_against_model(
        l: &Ledger,
        invoices: &[Invoice],
        payments: &[Payment],
        ids: u64,
        ctx: &str,
    ) {
        assert_eq!(l.invoices().len(), invoices.len(), "{ctx}");
        assert_eq!(l.payments().len(), payments.len(), "{ctx}");
        for inv in invoices {
            assert_eq!(l.invoice(inv.id), Some(inv), "{ctx}");
            assert_eq!(
                l.invoice_by_number(&format!("  {} ", inv.number))
                    .map(|i| i.id),
                Some(inv.id),
                "{ctx}: number {}",
                inv.number
            );
        }
        for p in payments {
            assert_eq!(l.payment(p.id), Some(p), "{ctx}");
        }
        for id in 0..ids {
            let mut want: Vec<(Date, PaymentId, usize, Decimal)> = payments
                .iter()
                .flat_map(|p| {
                    p.allocations
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.invoice == InvoiceId(id))
                        .map(|(k, a)| (p.date, p.id, k, a.amount))
                })
                .collect();
            want.sort();
            let got: Vec<(Date, PaymentId, Decimal)> = l
                .allocations_to(InvoiceId(id))
                .iter()
                .map(|a| (a.date, a.payment, a.amount))
                .collect();
            let want: Vec<(Date, PaymentId, Decimal)> =
                want.into_iter().map(|(d, p, _, a)| (d, p, a)).collect();
            assert_eq!(got, want, "{ctx}: allocations to invoice {id}");
        }
    }

    fn random_payment(rng: &mut Rng, id: u64, invoice_ids: u64) -> Payment {
        let n = rng.below(4) as usize;
        let allocs: Vec<(u64, String)> = (0..n)
            .map(|_| {
                (
                    rng.below(invoice_ids),
                    format!("{}.{:02}", rng.below(500) + 1, rng.below(100)),
                )
            })
            .collect();
        let refs: Vec<(u64, &str)> = allocs.iter().map(|(i, a)| (*i, a.as_str())).collect();
        let day = Date::from_julian_day(2_460_000 + rng.below(40) as i32).unwrap();
        payment(id, day, "10000", &refs)
    }

    #[test]
    fn indexes_match_a_plain_model_through_random_edits() {
        for seed in 1..=12u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let ids = 40;
            let mut invoices: Vec<Invoice> = (1..ids)
                .filter(|_| rng.below(4) != 0)
                .map(|i| invoice(i, "100", Currency::EUR, date!(2025 - 01 - 31)))
                .collect();
            let mut payments: Vec<Payment> = Vec::new();
            for i in 1..60 {
                if rng.below(3) != 0 {
                    payments.push(random_payment(&mut rng, i, ids + 5));
                }
            }
            let mut l = Ledger::from_records(
                vec![party(1, "Müller GmbH")],
                invoices.clone(),
                payments.clone(),
            );
            check_against_model(
                &l,
                &invoices,
                &payments,
                ids + 5,
                &format!("seed {seed} built"),
            );
            let mut next_number = 1000;
            for step in 0..300 {
                match rng.below(5) {
                    0 => {
                        // new or changed invoice, sometimes renumbered
                        let id = rng.below(ids);
                        let mut inv = invoice(id, "100", Currency::EUR, date!(2025 - 01 - 31));
                        if rng.below(2) == 0 {
                            next_number += 1;
                            inv.number = format!("R-{next_number}");
                        }
                        if invoices
                            .iter()
                            .any(|i| i.number == inv.number && i.id != inv.id)
                        {
                            continue;
                        }
                        match invoices.iter_mut().find(|i| i.id == inv.id) {
                            Some(i) => *i = inv.clone(),
                            None => invoices.push(inv.clone()),
                        }
                        l.upsert_invoice(inv);
                    }
                    1 => {
                        let id = InvoiceId(rng.below(ids));
                        let removed = l.remove_invoice(id).map(|i| i.id);
                        let had = invoices.iter().position(|i| i.id == id);
                        assert_eq!(removed, had.map(|_| id));
                        if let Some(k) = had {
                            invoices.swap_remove(k);
                        }
                    }
                    2 | 3 => {
                        let id = rng.below(80);
                        let p = random_payment(&mut rng, id, ids + 5);
                        match payments.iter_mut().find(|q| q.id == p.id) {
                            Some(q) => *q = p.clone(),
                            None => payments.push(p.clone()),
                        }
                        l.upsert_payment(p);
                    }
                    _ => {
                        let id = PaymentId(rng.below(80));
                        let removed = l.remove_payment(id).map(|p| p.id);
                        let had = payments.iter().position(|p| p.id == id);
                        assert_eq!(removed, had.map(|_| id));
                        if let Some(k) = had {
                            payments.swap_remove(k);
                        }
                    }
                }
                check_against_model(
                    &l,
                    &invoices,
                    &payments,
                    ids + 5,
                    &format!("seed {seed} step {step}"),
                );
            }
            assert!(l.invoice_by_number("INV-999").is_none());
            assert!(l.invoice_by_number("").is_none());
        }
    }

    #[test]
    fn many_edits_fold_back_and_keep_every_list() {
        let n = 12_000u64;
        let invoices: Vec<Invoice> = (1..=n)
            .map(|i| invoice(i, "100", Currency::EUR, date!(2025 - 01 - 31)))
            .collect();
        // one payment per invoice, recorded newest date first: the build must sort
        let payments: Vec<Payment> = (1..=n)
            .map(|i| {
                let day = Date::from_julian_day(2_461_000 - i as i32).unwrap();
                payment(i, day, "100", &[(i, "40"), ((i % n) + 1, "1")])
            })
            .collect();
        let mut l = Ledger::from_records(vec![party(1, "Müller GmbH")], invoices.clone(), payments);
        assert_eq!(l.allocations_to(InvoiceId(1)).len(), 2);
        let two = l.allocations_to(InvoiceId(2));
        // payment 2 is dated later than payment 1, so it comes first only if it is older
        assert!(two[0].date <= two[1].date);
        // a second payment to every invoice, added one at a time: far more edited lists
        // than the overlay keeps, so they are folded back into the flat array
        for i in 1..=n {
            let p = payment(n + i, date!(2030 - 01 - 01), "10", &[(i, "10")]);
            l.upsert_payment(p);
        }
        assert!(l.by_invoice.edited.len() <= AllocIndex::EDITED_SLACK + l.by_invoice.dense() / 4);
        for i in 1..=n {
            let list = l.allocations_to(InvoiceId(i));
            assert_eq!(list.len(), 3, "invoice {i}");
            assert_eq!(list[2].payment, PaymentId(n + i), "invoice {i}");
            assert_eq!(
                l.allocated_as_of(InvoiceId(i), date!(2031 - 01 - 01)),
                d("51")
            );
        }
        for i in 1..=n {
            l.remove_payment(PaymentId(i));
        }
        for i in 1..=n {
            assert_eq!(
                l.payments_allocated_to(InvoiceId(i)),
                vec![PaymentId(n + i)]
            );
        }
    }

    #[test]
    fn repeated_ids_keep_the_later_record_and_far_ids_stay_cheap() {
        let far = u64::MAX - 7;
        let l = Ledger::from_records(
            vec![
                party(1, "Old name"),
                party(2, "Other"),
                party(1, "Müller GmbH"),
            ],
            vec![
                invoice(1, "100", Currency::EUR, date!(2025 - 01 - 31)),
                invoice(2, "200", Currency::EUR, date!(2025 - 01 - 31)),
                invoice(1, "150", Currency::EUR, date!(2025 - 01 - 31)),
            ],
            vec![
                payment(1, date!(2025 - 01 - 10), "50", &[(1, "50")]),
                payment(2, date!(2025 - 01 - 11), "20", &[(far, "20")]),
                payment(1, date!(2025 - 01 - 12), "60", &[(2, "60")]),
            ],
        );
        assert_eq!(l.parties().len(), 2);
        assert_eq!(l.party(PartyId(1)).unwrap().name, "Müller GmbH");
        assert_eq!(l.parties()[0].id, PartyId(1));
        assert!(l.party_by_name("müller gmbh").is_some());
        assert_eq!(l.invoices().len(), 2);
        assert_eq!(l.invoice(InvoiceId(1)).unwrap().amount, d("150"));
        assert_eq!(l.invoice_by_number("INV-001").unwrap().amount, d("150"));
        assert_eq!(l.payments().len(), 2);
        assert!(l.allocations_to(InvoiceId(1)).is_empty());
        assert_eq!(
            l.allocations_to(InvoiceId(2))[0].date,
            date!(2025 - 01 - 12)
        );
        // an allocation to a dangling id far beyond the invoices is indexed all the same
        assert_eq!(l.allocations_to(InvoiceId(far))[0].payment, PaymentId(2));
        assert!(l.by_invoice.dense() < 1_000_000);
    }

    #[test]
    fn numbers_built_at_once_are_all_found_and_repeats_keep_the_last() {
        let mut invoices: Vec<Invoice> = (1..=30_000u64)
            .map(|i| invoice(i, "10", Currency::EUR, date!(2025 - 01 - 31)))
            .collect();
        // a number used twice, and one used by many invoices
        invoices[10].number = "TWICE".into();
        invoices[20].number = " TWICE".into();
        for inv in &mut invoices[100..160] {
            inv.number = "MANY".into();
        }
        let l = Ledger::from_records(vec![], invoices.clone(), vec![]);
        for inv in &invoices[160..] {
            assert_eq!(l.invoice_by_number(&inv.number).map(|i| i.id), Some(inv.id));
        }
        assert_eq!(l.invoice_by_number("TWICE").unwrap().id, InvoiceId(21));
        assert_eq!(l.invoice_by_number("MANY").unwrap().id, InvoiceId(160));
        assert!(l.invoice_by_number("INV-30001").is_none());
        // tables filled to their limit, where runs reach the end and continue at slot 0
        for n in [1_791u64, 14_335] {
            let full: Vec<Invoice> = (1..=n)
                .map(|i| invoice(i, "10", Currency::EUR, date!(2025 - 01 - 31)))
                .collect();
            let l = Ledger::from_records(vec![], full.clone(), vec![]);
            assert_eq!(l.invoice_numbers.len, n as usize);
            assert!(l.invoice_numbers.table.len() * 7 >= n as usize * 8 - 8);
            for inv in &full {
                assert_eq!(l.invoice_by_number(&inv.number).map(|i| i.id), Some(inv.id));
            }
        }
        // without the long run of repeats the table is laid down in one sorted pass
        let l = Ledger::from_records(vec![], invoices[..100].to_vec(), vec![]);
        assert_eq!(l.invoice_by_number("TWICE").unwrap().id, InvoiceId(21));
        for inv in &invoices[21..100] {
            assert_eq!(l.invoice_by_number(&inv.number).map(|i| i.id), Some(inv.id));
        }
    }

    #[test]
    fn number_index_grows_and_follows_moves() {
        let mut l = Ledger::new();
        let n = 5_000u64;
        for i in 1..=n {
            l.upsert_invoice(invoice(i, "10", Currency::EUR, date!(2025 - 01 - 31)));
        }
        for i in (1..=n).step_by(3) {
            l.remove_invoice(InvoiceId(i));
        }
        for i in (2..=n).step_by(3) {
            let mut inv = l.invoice(InvoiceId(i)).unwrap().clone();
            inv.number = format!("NEW-{i}");
            l.upsert_invoice(inv);
        }
        for i in 1..=n {
            let old = format!("INV-{i:03}");
            let new = format!("NEW-{i}");
            match i % 3 {
                1 => {
                    assert!(l.invoice_by_number(&old).is_none(), "{old}");
                    assert!(l.invoice_by_number(&new).is_none(), "{new}");
                }
                2 => {
                    assert!(l.invoice_by_number(&old).is_none(), "{old}");
                    assert_eq!(l.invoice_by_number(&new).unwrap().id, InvoiceId(i));
                }
                _ => assert_eq!(l.invoice_by_number(&old).unwrap().id, InvoiceId(i)),
            }
        }
        // a shared number finds the invoice indexed last; removing the other keeps it
        let mut dup = invoice(n + 1, "10", Currency::EUR, date!(2025 - 01 - 31));
        dup.number = "NEW-2".into();
        l.upsert_invoice(dup);
        assert_eq!(l.invoice_by_number("NEW-2").unwrap().id, InvoiceId(n + 1));
        l.remove_invoice(InvoiceId(2));
        assert_eq!(l.invoice_by_number("NEW-2").unwrap().id, InvoiceId(n + 1));
    }
}
