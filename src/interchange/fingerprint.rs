//! Fingerprints that recognise a transaction already in the store, so that importing the
//! same file twice, or two overlapping statements, never records a payment twice.
//!
//! Every imported payment keeps the fingerprint of the row it came from
//! ([`Payment::source`]), and a re-import recognises the row by that stored key, whatever
//! was edited since: the party's name, the payment's party, its reference, date or amount.
//! A payment without one (entered by hand, or imported before fingerprints were kept)
//! answers to the keys computed from its current fields, as any row would.
//!
//! A row is recognised by one key. A transaction whose source gives it an id (a bank's
//! entry reference, an OFX `FITID`, a provider's transaction id; the import makes it the
//! payment's reference) by
//!
//! - the **id key**: id, date, direction, currency and amount.
//!
//! Any other transaction, and every row of paytrack's own layouts, by
//!
//! - the **content key**: date, amount, currency, direction, counterparty (its name
//!   compared case-insensitively) and reference;
//! - or, when the file names no counterparty and the reader assumed one (a fixed name
//!   from the profile), the **anonymous key**: the same without the counterparty, since
//!   the import may have given the payment the party of the invoice it named.
//!
//! Content and anonymous keys count like a multiset: a file with two identical rows
//! imports two payments, and importing it again finds both. An id key is unique: the same
//! id twice in one file is one payment.
//!
//! A key's value ([`SourceKey::VALUE_BITS`] bits) is the row's Julian day modulo 4096 in
//! its top [`DAY_BITS`] bits, so that the payments a file may repeat are picked by day
//! without hashing anything, and a [`HASH_BITS`]-bit hash of the fields below: two
//! different rows of the same day are taken for each other with odds of one in 4.4
//! trillion. The hash is part of the stored format: changed, it would no longer recognise
//! any stored fingerprint (a test pins its values).

use std::collections::HashMap;

use rust_decimal::Decimal;
use time::Date;

use crate::domain::ledger::{name_key, FastBuildHasher, Ledger};
use crate::domain::{Currency, Direction, Payment, SourceKey, SourceKind};

/// Bits of a key's value that hold the day.
pub const DAY_BITS: u32 = 12;
/// Bits of a key's value that hold the hash of the fields.
pub const HASH_BITS: u32 = SourceKey::VALUE_BITS - DAY_BITS;

/// The day part of a key of a row dated `d`.
fn day_of(d: Date) -> u16 {
    d.to_julian_day().rem_euclid(1 << DAY_BITS) as u16
}

/// The hash: the fields as 64-bit words, each mixed in by a xor, a multiplication and a
/// shift (each step a bijection of the state), finished with SplitMix64's finaliser.
struct Fold(u64);

impl Fold {
    fn new(tag: u8) -> Self {
        let mut h = Fold(0x243f_6a88_85a3_08d3);
        h.word(u64::from(tag));
        h
    }

    fn word(&mut self, w: u64) {
        self.0 = (self.0 ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 ^= self.0 >> 29;
    }

    /// Text: its length, then its bytes eight at a time (the last word padded with 0),
    /// each byte through `map`.
    fn text_with(&mut self, b: &[u8], map: impl Fn(u8) -> u8) {
        self.word(b.len() as u64);
        for chunk in b.chunks(8) {
            let mut w = [0u8; 8];
            for (o, &c) in w.iter_mut().zip(chunk) {
                *o = map(c);
            }
            self.word(u64::from_le_bytes(w));
        }
    }

    fn text(&mut self, s: &str) {
        self.text_with(s.as_bytes(), |c| c);
    }

    /// A party name as names are compared ([`name_key`]), without allocating for the
    /// usual ASCII name.
    fn name(&mut self, s: &str) {
        let t = s.trim();
        if t.is_ascii() {
            self.text_with(t.as_bytes(), |c| c.to_ascii_lowercase());
        } else {
            self.text(&name_key(t));
        }
    }

    /// An amount whatever its scale (10.5 and 10.50 are the same).
    fn amount(&mut self, a: Decimal) {
        let n = a.normalize();
        let m = n.mantissa();
        self.word(u64::from(n.scale()));
        self.word(m as u64);
        self.word((m >> 64) as u64);
    }

    fn finish(self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Which key a transaction is recognised by, with the key's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// The source's own transaction id (unique).
    Id(u64),
    /// Content including the counterparty (counted).
    Content(u64),
    /// Content without the counterparty (counted).
    Anonymous(u64),
}

impl Key {
    /// The key's value (day and hash).
    fn value(self) -> u64 {
        match self {
            Key::Id(v) | Key::Content(v) | Key::Anonymous(v) => v,
        }
    }

    /// The day part (see [`DAY_BITS`]).
    fn day(self) -> u16 {
        (self.value() >> HASH_BITS) as u16 & ((1 << DAY_BITS) - 1)
    }
}

impl From<Key> for SourceKey {
    fn from(k: Key) -> SourceKey {
        match k {
            Key::Id(v) => SourceKey::new(SourceKind::Id, v),
            Key::Content(v) => SourceKey::new(SourceKind::Content, v),
            Key::Anonymous(v) => SourceKey::new(SourceKind::Anonymous, v),
        }
    }
}

impl From<SourceKey> for Key {
    fn from(k: SourceKey) -> Key {
        match k.kind() {
            SourceKind::Id => Key::Id(k.value()),
            SourceKind::Content => Key::Content(k.value()),
            SourceKind::Anonymous => Key::Anonymous(k.value()),
        }
    }
}

/// A key's value: the day, then the top [`HASH_BITS`] bits of the hash.
fn value(date: Date, h: Fold) -> u64 {
    (u64::from(day_of(date)) << HASH_BITS) | (h.finish() >> (64 - HASH_BITS))
}

fn common(h: &mut Fold, date: Date, direction: Direction, currency: Currency, amount: Decimal) {
    let c = currency.as_bytes();
    let dir: u64 = match direction {
        Direction::In => 1,
        Direction::Out => 2,
    };
    h.word(
        u64::from(date.to_julian_day() as u32)
            | dir << 32
            | u64::from(c[0]) << 40
            | u64::from(c[1]) << 48
            | u64::from(c[2]) << 56,
    );
    h.amount(amount);
}

/// The value of the id key of a transaction with a source id.
pub fn id_key(
    id: &str,
    date: Date,
    direction: Direction,
    currency: Currency,
    amount: Decimal,
) -> u64 {
    let mut h = Fold::new(b'I');
    h.text(id.trim());
    common(&mut h, date, direction, currency, amount);
    value(date, h)
}

/// The value of the content key; `party` is `None` for the anonymous key.
pub fn content_key(
    date: Date,
    direction: Direction,
    currency: Currency,
    amount: Decimal,
    party: Option<&str>,
    reference: &str,
) -> u64 {
    let mut h = Fold::new(if party.is_some() { b'C' } else { b'A' });
    common(&mut h, date, direction, currency, amount);
    if let Some(p) = party {
        h.name(p);
    }
    h.text(reference.trim());
    value(date, h)
}

/// The keys a payment without a stored fingerprint answers to, from its fields.
fn payment_keys(p: &Payment, party_name: &str) -> [Option<Key>; 3] {
    let id = (!p.reference.trim().is_empty()).then(|| {
        Key::Id(id_key(
            &p.reference,
            p.date,
            p.direction,
            p.currency,
            p.amount,
        ))
    });
    let content = content_key(
        p.date,
        p.direction,
        p.currency,
        p.amount,
        Some(party_name),
        &p.reference,
    );
    let anon = content_key(
        p.date,
        p.direction,
        p.currency,
        p.amount,
        None,
        &p.reference,
    );
    [id, Some(Key::Content(content)), Some(Key::Anonymous(anon))]
}

/// A set of days, as keys hold them (Julian day modulo 4096): the days of a file's rows.
#[derive(Clone, PartialEq, Eq)]
pub struct Days([u64; 64]);

impl Days {
    /// No day.
    pub fn none() -> Days {
        Days([0; 64])
    }

    /// Every day `from ..= to` (every day there is, for a range of 4096 days or more).
    pub fn range(from: Date, to: Date) -> Days {
        let mut d = Days::none();
        if from > to {
            return d;
        }
        let span = i64::from(to.to_julian_day()) - i64::from(from.to_julian_day());
        if span >= (1 << DAY_BITS) - 1 {
            return Days([u64::MAX; 64]);
        }
        let first = day_of(from);
        for k in 0..=span as u16 {
            d.insert((first + k) & ((1 << DAY_BITS) - 1));
        }
        d
    }

    fn insert(&mut self, day: u16) {
        self.0[usize::from(day / 64)] |= 1 << (day % 64);
    }

    fn has(&self, day: u16) -> bool {
        self.0[usize::from(day / 64)] & (1 << (day % 64)) != 0
    }

    /// Adds the day of a row recognised by `key`.
    pub fn add(&mut self, key: Key) {
        self.insert(key.day());
    }

    /// Whether no day is in the set.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }
}

/// The fingerprints of the payments already in the store, on some days.
pub struct Existing {
    /// How many payments answer to each key ([`SourceKey::bits`]).
    counts: HashMap<u64, u32, FastBuildHasher>,
    /// Id keys seen in the file being imported.
    seen_ids: HashMap<u64, (), FastBuildHasher>,
}

impl Existing {
    /// Fingerprints every payment of `ledger` whose key falls on a day `from ..= to`
    /// (every key includes the day, so payments of other days can never match).
    pub fn new(ledger: &Ledger, from: Date, to: Date) -> Existing {
        Existing::on(ledger, &Days::range(from, to))
    }

    /// Fingerprints every payment of `ledger` whose key falls on one of `days`: a stored
    /// fingerprint's day, else the payment's date.
    pub fn on(ledger: &Ledger, days: &Days) -> Existing {
        let mut counts: HashMap<u64, u32, FastBuildHasher> = HashMap::default();
        if !days.is_empty() {
            let mut names: HashMap<u64, String, FastBuildHasher> = HashMap::default();
            for p in ledger.payments() {
                match p.source {
                    Some(s) => {
                        if days.has(Key::from(s).day()) {
                            *counts.entry(s.bits()).or_insert(0) += 1;
                        }
                    }
                    None => {
                        if !days.has(day_of(p.date)) {
                            continue;
                        }
                        let name = names
                            .entry(p.party.0)
                            .or_insert_with(|| ledger.party_name(p.party).to_string());
                        for k in payment_keys(p, name).into_iter().flatten() {
                            *counts.entry(SourceKey::from(k).bits()).or_insert(0) += 1;
                        }
                    }
                }
            }
        }
        Existing {
            counts,
            seen_ids: HashMap::default(),
        }
    }

    /// Whether no payment of the store answers to any key on these days (so only a
    /// repeated id can be a duplicate).
    pub fn knows_none(&self) -> bool {
        self.counts.is_empty()
    }

    /// Whether a transaction with this key is already recorded, or its id was in the
    /// file before; counts it as used.
    pub fn is_duplicate(&mut self, key: Key) -> bool {
        if let Key::Id(k) = key {
            if self.seen_ids.insert(k, ()).is_some() {
                return true;
            }
        }
        self.is_recorded(key)
    }

    /// Whether the store holds a payment with this key that no earlier row was taken for
    /// (a content or anonymous key is used up, an id key is not). Unlike
    /// [`Existing::is_duplicate`], a file's rows do not count: paytrack's own layouts list
    /// payments, two with the same source are two.
    pub fn is_recorded(&mut self, key: Key) -> bool {
        let bits = SourceKey::from(key).bits();
        if let Key::Id(_) = key {
            return self.counts.get(&bits).is_some_and(|&n| n > 0);
        }
        match self.counts.get_mut(&bits) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Method, PartyId, PaymentId};
    use time::macros::date;

    fn pay(reference: &str, amount: &str) -> Payment {
        Payment {
            id: PaymentId(1),
            party: PartyId(1),
            direction: Direction::In,
            amount: amount.parse().unwrap(),
            currency: Currency::EUR,
            date: date!(2026 - 01 - 05),
            method: Method::BankTransfer,
            reference: reference.into(),
            notes: String::new(),
            allocations: vec![],
            source: None,
        }
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn keys_follow_the_fields_that_identify_a_payment() {
        let p = pay("FIT-1", "10.50");
        let [id, content, _] = payment_keys(&p, "Acme");
        let d = date!(2026 - 01 - 05);
        assert_eq!(
            id,
            Some(Key::Id(id_key(
                " FIT-1 ",
                d,
                Direction::In,
                Currency::EUR,
                dec("10.5")
            )))
        );
        // scale and case of the name do not matter; every other field does
        let c = |dir, cur, amt: &str, party: &str, r: &str| {
            Key::Content(content_key(d, dir, cur, dec(amt), Some(party), r))
        };
        assert_eq!(
            content,
            Some(c(Direction::In, Currency::EUR, "10.500", " ACME ", "FIT-1"))
        );
        for other in [
            c(Direction::Out, Currency::EUR, "10.5", "Acme", "FIT-1"),
            c(Direction::In, Currency::USD, "10.5", "Acme", "FIT-1"),
            c(Direction::In, Currency::EUR, "10.51", "Acme", "FIT-1"),
            c(Direction::In, Currency::EUR, "10.5", "Acme2", "FIT-1"),
            c(Direction::In, Currency::EUR, "10.5", "Acme", "FIT-2"),
            Key::Content(content_key(
                date!(2026 - 01 - 06),
                Direction::In,
                Currency::EUR,
                dec("10.5"),
                Some("Acme"),
                "FIT-1",
            )),
        ] {
            assert_ne!(content, Some(other));
        }
        assert_eq!(payment_keys(&pay("", "1"), "x")[0], None);
        // fields do not run into each other
        assert_ne!(
            c(Direction::In, Currency::EUR, "1", "ab", "c"),
            c(Direction::In, Currency::EUR, "1", "a", "bc")
        );
    }

    #[test]
    fn names_hash_as_the_ledger_compares_them() {
        for name in ["Acme Corp", " ACME corp ", "Zoë Ångström", "ΣΟΦΙΑ", "x"] {
            let mut fast = Fold::new(0);
            fast.name(name);
            let mut slow = Fold::new(0);
            slow.text(&name_key(name));
            assert_eq!(fast.finish(), slow.finish(), "{name}");
        }
    }

    /// The hash is stored: these values must never change.
    #[test]
    fn key_values_are_pinned() {
        let d = date!(2026 - 11 - 03);
        let id = id_key(
            "TX-2026-1103-01",
            d,
            Direction::In,
            Currency::EUR,
            dec("1200.00"),
        );
        let content = content_key(
            d,
            Direction::Out,
            Currency::EUR,
            dec("349.99"),
            Some("Müller, Schmidt & Söhne GmbH"),
            "B-2026-17",
        );
        let anon = content_key(d, Direction::In, Currency::USD, dec("7"), None, "");
        let shown = [
            SourceKey::from(Key::Id(id)).to_string(),
            SourceKey::from(Key::Content(content)).to_string(),
            SourceKey::from(Key::Anonymous(anon)).to_string(),
        ];
        assert_eq!(shown, PINNED, "the fingerprint hash changed");
        for k in [id, content, anon] {
            assert_eq!(
                k >> HASH_BITS,
                u64::from(day_of(d)),
                "the day is in the top bits"
            );
        }
    }

    const PINNED: [&str; 3] = [
        "id:3a92104d7f17e8",
        "content:3a9161ea5585e0",
        "anonymous:3a93f9900bb43d",
    ];

    #[test]
    fn days_wrap_and_cover() {
        let a = date!(2026 - 01 - 05);
        let all = Days::range(a, date!(2040 - 01 - 01));
        assert!((0..4096).all(|d| all.has(d)));
        assert!(Days::range(date!(2026 - 01 - 06), a).is_empty());
        let one = Days::range(a, a);
        assert_eq!((0..4096).filter(|&d| one.has(d)).count(), 1);
        assert!(one.has(day_of(a)));
        // a range across the wrap of the day numbers
        let mut from = a;
        while day_of(from) != 4090 {
            from = from.next_day().unwrap();
        }
        let r = Days::range(from, from + time::Duration::days(10));
        assert_eq!((0..4096).filter(|&d| r.has(d)).count(), 11);
        assert!(r.has(4095) && r.has(0) && r.has(4));
        let mut k = Days::none();
        k.add(Key::Content(content_key(
            a,
            Direction::In,
            Currency::EUR,
            dec("1"),
            Some("x"),
            "",
        )));
        assert!(k == one);
    }

    fn ledger_with(payments: Vec<Payment>) -> Ledger {
        let mut l = Ledger::new();
        l.upsert_party(crate::domain::Party {
            id: PartyId(1),
            name: "Acme".into(),
            role: crate::domain::PartyRole::Customer,
            email: String::new(),
            terms_days: None,
            notes: String::new(),
        });
        for p in payments {
            l.upsert_payment(p);
        }
        l
    }

    #[test]
    fn content_keys_count_and_id_keys_are_unique() {
        let mut a = pay("", "5");
        a.id = PaymentId(1);
        let mut b = a.clone();
        b.id = PaymentId(2);
        let l = ledger_with(vec![a, b]);
        let d = date!(2026 - 01 - 05);
        let mut e = Existing::new(&l, d, d);
        let k = Key::Content(content_key(
            d,
            Direction::In,
            Currency::EUR,
            dec("5"),
            Some("acme"),
            "",
        ));
        assert!(e.is_duplicate(k));
        assert!(e.is_duplicate(k));
        assert!(!e.is_duplicate(k), "only two are recorded");
        let id = Key::Id(42);
        assert!(!e.is_duplicate(id));
        assert!(e.is_duplicate(id), "the same id twice in a file");
        // outside the date range nothing is known
        let e = Existing::new(&l, date!(2026 - 01 - 06), date!(2026 - 02 - 01));
        assert!(e.knows_none());
    }

    #[test]
    fn a_stored_fingerprint_is_the_only_key_a_payment_answers_to() {
        let d = date!(2026 - 01 - 05);
        let row = |party: &str, reference: &str| {
            Key::Content(content_key(
                d,
                Direction::In,
                Currency::EUR,
                dec("5"),
                Some(party),
                reference,
            ))
        };
        let imported = row("Zoë Ångström", "RF-1");
        // imported from that row, then edited: another reference, moved a month on
        let mut p = pay("edited", "6");
        p.date = date!(2026 - 02 - 05);
        p.source = Some(SourceKey::from(imported));
        let l = ledger_with(vec![p]);
        let mut e = Existing::new(&l, d, d);
        assert!(!e.is_duplicate(row("Acme", "edited")), "not its fields");
        assert!(e.is_duplicate(imported), "its source row");
        assert!(!e.is_duplicate(imported), "once");
        // and its key's day, not its date, is what a file's days pick
        let e = Existing::new(&l, date!(2026 - 02 - 05), date!(2026 - 02 - 05));
        assert!(e.knows_none());
    }
}
