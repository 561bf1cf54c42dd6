//! Key layout of the single sled tree. One tree keeps every change atomic with one batch.
//!
//! | prefix | key                    | value                                  |
//! |--------|------------------------|----------------------------------------|
//! | `m`    | `m` + name             | meta: schema version, id counters, counts |
//! | `p`    | `p` + block (u64 BE)   | up to [`BLOCK`] payments with ids in that block |
//! | `i`    | `i` + block (u64 BE)   | up to [`BLOCK`] invoices               |
//! | `y`    | `y` + party id (u64 BE)| one party                              |
//! | `f`    | `f` + lower-case name  | one saved filter                       |
//! | `r`    | `r` + invoice id (u64 BE) | one invoice's follow-up state       |
//! | `m`    | `mreminders`           | the reminder settings                  |
//! | `m`    | `mgeneration`          | commit counter and recent transaction ids |

/// Records per block: ids `b*BLOCK .. (b+1)*BLOCK` share block `b`.
pub const BLOCK: u64 = 128;

/// Meta key of the schema version.
pub const META_SCHEMA: &[u8] = b"mschema";
/// Meta key of the id counters.
pub const META_IDS: &[u8] = b"mids";
/// Meta key of the record counts.
pub const META_COUNTS: &[u8] = b"mcounts";

/// Prefix of payment blocks.
pub const PAYMENTS: u8 = b'p';
/// Prefix of invoice blocks.
pub const INVOICES: u8 = b'i';
/// Prefix of parties.
pub const PARTIES: u8 = b'y';
/// Prefix of saved filters.
pub const FILTERS: u8 = b'f';
/// Prefix of invoice follow-ups.
pub const FOLLOW_UPS: u8 = b'r';
/// Meta key of the reminder settings.
pub const META_REMINDERS: &[u8] = b"mreminders";
/// Meta key of the generation (commit counter) and recent transaction ids.
pub const META_GENERATION: &[u8] = b"mgeneration";

/// Key of an invoice's follow-up.
pub fn follow_up_key(invoice: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = FOLLOW_UPS;
    k[1..].copy_from_slice(&invoice.to_be_bytes());
    k
}

/// Key of the block holding record `id` under `prefix`.
pub fn block_key(prefix: u8, id: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = prefix;
    k[1..].copy_from_slice(&(id / BLOCK).to_be_bytes());
    k
}

/// Key of a party.
pub fn party_key(id: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = PARTIES;
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

/// Key of a saved filter.
pub fn filter_key(name: &str) -> Vec<u8> {
    let mut k = vec![FILTERS];
    k.extend_from_slice(name.trim().to_lowercase().as_bytes());
    k
}
