//! Fingerprints that recognise a transaction already in the store, so that importing the
//! same file twice, or two overlapping statements, never records a payment twice.
//!
//! Nothing is stored for this: the fingerprints of existing payments are computed from
//! their fields at import time. A transaction whose source gives it an id (a bank's
//! entry reference, an OFX `FITID`, a provider's transaction id) is imported with that id
//! as the payment's `reference`, and recognised by
//!
//! - the **id key**: id, date, direction, currency and amount.
//!
//! Any other transaction is recognised by
//!
//! - the **content key**: date, amount, currency, direction, counterparty (its name
//!   compared case-insensitively) and reference;
//! - or, when the file names no counterparty and the reader assumed one (a fixed name
//!   from the profile), the **anonymous key**: the same without the counterparty, since
//!   the import may have given the payment the party of the invoice it named.
//!
//! Keys are 64-bit FNV-1a hashes of the fields (a false match among a million payments
//! on the same day has odds far below one in a billion). Content and anonymous keys count
//! like a multiset: a file with two identical rows imports two payments, and importing it
//! again finds both. An id key is unique: the same id twice in one file is one payment.

use std::collections::HashMap;

use rust_decimal::Decimal;
use time::Date;

use crate::domain::ledger::{name_key, FastBuildHasher, Ledger};
use crate::domain::{Currency, Direction, Payment};

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Fnv {
    fn new(tag: u8) -> Self {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        h.byte(tag);
        h
    }
    fn byte(&mut self, b: u8) {
        self.0 ^= u64::from(b);
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }
    fn bytes(&mut self, bs: &[u8]) {
        for &b in bs {
            self.byte(b);
        }
        // field separator that cannot appear in text fields as written by the readers
        self.byte(0x1f);
    }
    fn date(&mut self, d: Date) {
        self.bytes(&d.year().to_le_bytes());
        self.bytes(&[u8::from(d.month()), d.day()]);
    }
    fn amount(&mut self, a: Decimal) {
        self.bytes(a.normalize().to_string().as_bytes());
    }
}

/// Which key a transaction is recognised by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// The source's own transaction id (unique).
    Id(u64),
    /// Content including the counterparty (counted).
    Content(u64),
    /// Content without the counterparty (counted).
    Anonymous(u64),
}

fn common(h: &mut Fnv, date: Date, direction: Direction, currency: Currency, amount: Decimal) {
    h.date(date);
    h.byte(match direction {
        Direction::In => b'i',
        Direction::Out => b'o',
    });
    h.bytes(&currency.as_bytes());
    h.amount(amount);
}

/// The id key of a transaction with a source id.
pub fn id_key(
    id: &str,
    date: Date,
    direction: Direction,
    currency: Currency,
    amount: Decimal,
) -> u64 {
    let mut h = Fnv::new(b'I');
    h.bytes(id.trim().as_bytes());
    common(&mut h, date, direction, currency, amount);
    h.0
}

/// The content key; `party` is `None` for the anonymous key.
pub fn content_key(
    date: Date,
    direction: Direction,
    currency: Currency,
    amount: Decimal,
    party: Option<&str>,
    reference: &str,
) -> u64 {
    let mut h = Fnv::new(if party.is_some() { b'C' } else { b'A' });
    common(&mut h, date, direction, currency, amount);
    if let Some(p) = party {
        h.bytes(name_key(p).as_bytes());
    }
    h.bytes(reference.trim().as_bytes());
    h.0
}

/// The keys an existing payment answers to.
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

/// The fingerprints of the payments already in the store, within a date range.
pub struct Existing {
    counts: HashMap<Key, u32, FastBuildHasher>,
    /// Id keys seen in the file being imported.
    seen_ids: HashMap<u64, (), FastBuildHasher>,
}

impl Existing {
    /// Fingerprints every payment of `ledger` dated `from ..= to` (all keys include the
    /// date, so payments outside the file's dates can never match).
    pub fn new(ledger: &Ledger, from: Date, to: Date) -> Existing {
        let mut counts: HashMap<Key, u32, FastBuildHasher> = HashMap::default();
        let mut names: HashMap<u64, String, FastBuildHasher> = HashMap::default();
        for p in ledger.payments() {
            if p.date < from || p.date > to {
                continue;
            }
            let name = names
                .entry(p.party.0)
                .or_insert_with(|| ledger.party_name(p.party).to_string());
            for k in payment_keys(p, name).into_iter().flatten() {
                *counts.entry(k).or_insert(0) += 1;
            }
        }
        Existing {
            counts,
            seen_ids: HashMap::default(),
        }
    }

    /// Whether a transaction with this key is already recorded; counts it as used.
    pub fn is_duplicate(&mut self, key: Key) -> bool {
        if let Key::Id(k) = key {
            if self.seen_ids.insert(k, ()).is_some() {
                return true;
            }
            return self.counts.get(&key).is_some_and(|&n| n > 0);
        }
        match self.counts.get_mut(&key) {
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

    #[test]
    fn keys_follow_the_fields_that_identify_a_payment() {
        let p = pay("FIT-1", "10.50");
        let [id, content, _] = payment_keys(&p, "Acme");
        let d = date!(2026 - 01 - 05);
        let dec = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            id,
            Some(Key::Id(id_key(
                "FIT-1",
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
        assert_ne!(
            content,
            Some(c(Direction::Out, Currency::EUR, "10.5", "Acme", "FIT-1"))
        );
        assert_ne!(
            content,
            Some(c(Direction::In, Currency::USD, "10.5", "Acme", "FIT-1"))
        );
        assert_ne!(
            content,
            Some(c(Direction::In, Currency::EUR, "10.51", "Acme", "FIT-1"))
        );
        assert_ne!(
            content,
            Some(c(Direction::In, Currency::EUR, "10.5", "Acme2", "FIT-1"))
        );
        assert_ne!(
            content,
            Some(c(Direction::In, Currency::EUR, "10.5", "Acme", "FIT-2"))
        );
        assert_eq!(payment_keys(&pay("", "1"), "x")[0], None);
    }

    #[test]
    fn content_keys_count_and_id_keys_are_unique() {
        let mut l = Ledger::new();
        l.upsert_party(crate::domain::Party {
            id: PartyId(1),
            name: "Acme".into(),
            role: crate::domain::PartyRole::Customer,
            email: String::new(),
            terms_days: None,
            notes: String::new(),
        });
        let mut a = pay("", "5");
        a.id = PaymentId(1);
        let mut b = a.clone();
        b.id = PaymentId(2);
        l.upsert_payment(a);
        l.upsert_payment(b);
        let d = date!(2026 - 01 - 05);
        let mut e = Existing::new(&l, d, d);
        let k = Key::Content(content_key(
            d,
            Direction::In,
            Currency::EUR,
            "5".parse().unwrap(),
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
        let mut e = Existing::new(&l, date!(2026 - 01 - 06), date!(2026 - 02 - 01));
        assert!(!e.is_duplicate(k));
    }
}
