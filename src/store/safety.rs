//! Safety copies, salvage and repair.
//!
//! Before an import, a restore, a bulk delete, a repair or a schema migration the store
//! is copied to `<store>.safety/` next to the store directory (for the default store
//! `$XDG_DATA_HOME/paytrack/store.safety/`). The copy is a dump of every key and value of
//! the sled tree, taken under the store's write lock so no commit lands half-way through,
//! with a CRC-32 over the whole file: at a million payments it is about the size of the
//! store (~95 MB) and takes well under a second, where the JSON backup format would need
//! the full ledger loaded and formatted. The last [`KEEP`] copies are kept; files are
//! 0600 in a 0700 directory (0660 in a 0770 directory of the store directory's group when
//! the store is shared with its group, see [`super::access`]). `paytrack restore FILE`
//! reads a safety copy as well as a backup.
//!
//! The same module decodes every stored value for `paytrack check` ([`Store::salvage`]:
//! every value that fails to decode is listed, the rest is kept), rebuilds what can be
//! derived from the records (`paytrack check --repair`, [`Store::repair_meta`]) and keeps
//! the marker file that tells a damaged store from a new one ([`MARKER`]).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::codec::{self, tag, CodecError};
use super::{keys, Counts, FileAccess, Store, StoreError, SCHEMA_VERSION};
use crate::domain::{IdSeq, Invoice, InvoiceId, Party, Payment};

/// How many safety copies are kept per store.
pub const KEEP: usize = 10;

/// File name ending of safety copies.
pub const EXTENSION: &str = "ptsafe";

/// First bytes of a safety copy.
const MAGIC: &[u8; 16] = b"paytrack-safety\n";
/// Version of the safety copy layout.
const FORMAT: u32 = 1;
/// Key length that marks the end of the entries.
const END: u32 = u32::MAX;

/// A file in the store directory written once the store holds its schema record. A store
/// directory with the marker but no schema record is damaged, not new: paytrack refuses
/// it instead of starting on an empty store.
pub const MARKER: &str = "paytrack-store";

/// Errors of safety copies and restores from them.
#[derive(Debug, thiserror::Error)]
pub enum SafetyError {
    /// Reading or writing a file failed.
    #[error("{path}: {}{}", describe_io(error), if is_disk_full(error) { "; nothing was changed: free some space and try again" } else { "" })]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error (in the message, not a separate cause).
        error: io::Error,
    },
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file is not a safety copy.
    #[error("{0} is not a paytrack safety copy")]
    NotASafetyCopy(PathBuf),
    /// The file is a safety copy but damaged or cut short.
    #[error("the safety copy {path} is damaged: {reason}; nothing was restored")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Restores go only into an empty store.
    #[error("the store at {0} is not empty; restore goes only into an empty store (use --db with a new directory)")]
    NotEmpty(PathBuf),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SafetyError + '_ {
    move |error| SafetyError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Whether an I/O error means the filesystem is full or over quota (sled passes some
/// errors on as text, so the message is looked at too).
pub fn is_disk_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::StorageFull
        || e.kind() == io::ErrorKind::QuotaExceeded
        || matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
        || {
            let t = e.to_string();
            t.contains("No space left on device") || t.contains("StorageFull")
        }
}

fn describe_io(e: &io::Error) -> String {
    if is_disk_full(e) {
        "the disk is full (no space left on device)".into()
    } else {
        e.to_string()
    }
}

/// A safety copy just written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafetyCopy {
    /// Where it is.
    pub path: PathBuf,
    /// What it was taken before ("import", "restore", ...).
    pub reason: String,
    /// Its size in bytes.
    pub bytes: u64,
}

impl std::fmt::Display for SafetyCopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "safety copy of the store before {} written to {}{RESTORE_ADVICE}",
            self.reason,
            self.path.display()
        )
    }
}

/// What the end of a [`SafetyCopy`]'s description says.
const RESTORE_ADVICE: &str = " (restore it with `paytrack --db NEW_DIR restore FILE`)";

/// A safety copy's description (its `Display`, as a session passes it on) shortened for
/// a status line: `safety copy before REASON: PATH`. Other text is returned as it is.
pub fn short_note(description: &str) -> String {
    let short = description
        .strip_prefix("safety copy of the store before ")
        .and_then(|rest| rest.strip_suffix(RESTORE_ADVICE))
        .and_then(|rest| rest.split_once(" written to "));
    match short {
        Some((reason, path)) => format!("safety copy before {reason}: {path}"),
        None => description.to_string(),
    }
}

/// The directory holding the safety copies of the store at `store`: `<store>.safety`
/// beside it.
pub fn safety_dir(store: &Path) -> PathBuf {
    let name = store
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "store".into());
    let parent = store.parent().unwrap_or_else(|| Path::new("."));
    parent.join(format!("{name}.safety"))
}

/// The safety copies of the store at `store`, oldest first.
pub fn safety_copies(store: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(safety_dir(store)) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == EXTENSION))
        .collect();
    // Names start with a UTC timestamp, so name order is time order.
    v.sort();
    v
}

/// The newest safety copy of the store at `store`, if there is one.
pub fn latest_safety_copy(store: &Path) -> Option<PathBuf> {
    safety_copies(store).pop()
}

/// Whether `path` starts like a safety copy.
pub fn is_safety_copy(path: &Path) -> bool {
    let mut head = [0u8; 16];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == MAGIC
}

/// Writes and hashes at once.
struct Hashing<W> {
    inner: W,
    crc: crc32fast::Hasher,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads and hashes at once.
struct HashingReader<R> {
    inner: R,
    crc: crc32fast::Hasher,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

/// Creates (or truncates) a file of the store `store`: readable by its user only, or by
/// the store directory's group too when the store is shared with it.
fn create_store_file(store: &Store, path: &Path) -> io::Result<File> {
    super::access::create_file(path, store.file_access(), store.shared_group())
}

fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!(
        "[year][month][day]T[hour][minute][second].[subsecond digits:9]Z"
    );
    now.format(&fmt)
        .unwrap_or_else(|_| now.unix_timestamp_nanos().to_string())
}

/// Syncs a directory so a rename or removal in it is durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// One value that does not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRecord {
    /// The key, readable ("payment block 12", "party 3").
    pub key: String,
    /// Why it does not decode.
    pub reason: String,
}

/// Everything that decodes in a store, and what does not.
#[derive(Debug, Default)]
pub struct Salvage {
    /// Parties that decode.
    pub parties: Vec<Party>,
    /// Invoices that decode, in id order.
    pub invoices: Vec<Invoice>,
    /// Payments that decode, in id order.
    pub payments: Vec<Payment>,
    /// Values that do not decode.
    pub bad: Vec<BadRecord>,
    /// Records stored under a block key that is not their id's.
    pub misplaced: Vec<String>,
    /// The stored counts, if they decode.
    pub counts: Option<Counts>,
    /// The stored id counters, if they decode.
    pub ids: Option<IdSeq>,
    /// The invoices that follow-up records are kept for (each must exist).
    pub follow_ups: Vec<InvoiceId>,
}

impl Salvage {
    /// The counts of the records that decode.
    pub fn actual_counts(&self) -> Counts {
        Counts {
            parties: self.parties.len() as u64,
            invoices: self.invoices.len() as u64,
            payments: self.payments.len() as u64,
        }
    }

    /// The id counters raised past every record that decodes (never below the stored ones).
    pub fn derived_ids(&self) -> IdSeq {
        let mut ids = self.ids.unwrap_or_default();
        for p in &self.parties {
            ids.party = ids.party.max(p.id.0 + 1);
        }
        if let Some(i) = self.invoices.iter().map(|i| i.id.0).max() {
            ids.invoice = ids.invoice.max(i + 1);
        }
        if let Some(p) = self.payments.iter().map(|p| p.id.0).max() {
            ids.payment = ids.payment.max(p + 1);
        }
        ids
    }
}

/// Decodes one stored value by its key, adding what it holds to `s`. Returns the
/// decoding error, if any. Unknown meta keys (written by other parts of the store, e.g.
/// the generation) are accepted when their value carries a known tag.
fn decode_value(key: &[u8], v: &[u8], s: &mut Salvage) -> Result<(), CodecError> {
    let Some((&prefix, rest)) = key.split_first() else {
        return Err(CodecError::Body("empty key".into()));
    };
    let block_of = |rest: &[u8]| -> Option<u64> {
        let b: [u8; 8] = rest.try_into().ok()?;
        Some(u64::from_be_bytes(b))
    };
    match prefix {
        keys::PAYMENTS => {
            let start = s.payments.len();
            codec::decode_payments_into(v, &mut s.payments)?;
            if let Some(b) = block_of(rest) {
                for p in &s.payments[start..] {
                    if p.id.0 / keys::BLOCK != b {
                        s.misplaced
                            .push(format!("payment {} is stored in payment block {b}", p.id));
                    }
                }
            }
            Ok(())
        }
        keys::INVOICES => {
            let start = s.invoices.len();
            codec::decode_invoices_into(v, &mut s.invoices)?;
            if let Some(b) = block_of(rest) {
                for i in &s.invoices[start..] {
                    if i.id.0 / keys::BLOCK != b {
                        s.misplaced
                            .push(format!("invoice {} is stored in invoice block {b}", i.id));
                    }
                }
            }
            Ok(())
        }
        keys::PARTIES => {
            let p: Party = codec::decode_into::<codec::PartyV1, Party>(tag::PARTY_V1, v)?;
            if block_of(rest) != Some(p.id.0) {
                s.misplaced
                    .push(format!("party {} is stored under another key", p.id));
            }
            s.parties.push(p);
            Ok(())
        }
        keys::FILTERS => codec::decode::<codec::FilterV1>(tag::FILTER_V1, v).map(drop),
        keys::FOLLOW_UPS => {
            // The load keys follow-ups by the invoice the record names.
            let (invoice, _) = super::reminders::decode_follow_up(v)?;
            s.follow_ups.push(invoice);
            Ok(())
        }
        b'm' => match key {
            keys::META_SCHEMA => codec::decode::<u32>(tag::SCHEMA_V1, v).map(drop),
            keys::META_IDS => {
                let ids = codec::decode::<codec::IdsV1>(tag::IDS_V1, v)?;
                s.ids = Some(IdSeq::from(ids));
                Ok(())
            }
            keys::META_COUNTS => {
                s.counts = Some(codec::decode(tag::COUNTS_V1, v)?);
                Ok(())
            }
            keys::META_REMINDERS => super::reminders::decode_settings(v).map(drop),
            _ => match v.first() {
                None => Err(CodecError::Empty),
                Some(&t) if KNOWN_META_TAGS.contains(&t) => Ok(()),
                Some(&t) => Err(CodecError::Body(format!(
                    "unknown meta record tag 0x{t:02x}"
                ))),
            },
        },
        other => Err(CodecError::Body(format!(
            "unknown key prefix 0x{other:02x}"
        ))),
    }
}

/// Unreadable pages [`Store::salvage`] lists before it gives up.
const MAX_UNREADABLE: usize = 256;

/// Tags of meta records kept by other parts of the store.
const KNOWN_META_TAGS: [u8; 1] = [tag::GENERATION_V1];

impl Store {
    /// Whether the tree holds records or settings (anything but bookkeeping meta: the
    /// schema, counters and generation).
    fn holds_data(&self) -> Result<bool, StoreError> {
        if self
            .db
            .contains_key(keys::META_REMINDERS)
            .map_err(|e| self.sled_err(e))?
        {
            return Ok(true);
        }
        // Keys sort by prefix byte: anything but `m` keys is a record.
        let below = self.db.range(..&b"m"[..]).next();
        let above = self.db.range(&b"n"[..]..).next();
        match [below, above].into_iter().flatten().next() {
            Some(kv) => kv.map(|_| true).map_err(|e| self.sled_err(e)),
            None => Ok(false),
        }
    }

    /// Writes a safety copy of the whole store before `reason` ("import", "restore",
    /// "bulk delete", "repair", "migration") and keeps the last [`KEEP`]. An empty store
    /// (nothing but its schema record) has nothing to save: `Ok(None)`.
    ///
    /// The copy is taken under the write lock, so it is one consistent state. A copy
    /// that cannot be written (disk full, read-only directory) is an error: the caller
    /// should not go on with the operation it guards.
    pub fn safety_copy(&self, reason: &str) -> Result<Option<SafetyCopy>, SafetyError> {
        let _writer = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        if !self.holds_data()? {
            return Ok(None);
        }
        let dir = safety_dir(&self.path);
        super::access::create_dir(&dir, self.file_access()).map_err(io_err(&dir))?;
        if let Some(g) = self.shared_group() {
            super::access::share_with(&dir, g);
        }
        let slug: String = reason
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let name = format!("{}-{slug}.{EXTENSION}", timestamp());
        let path = dir.join(&name);
        let tmp = dir.join(format!("{name}.partial"));
        let written = self.write_copy(&tmp);
        let bytes = match written {
            Ok(b) => b,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
        sync_dir(&dir).map_err(io_err(&dir))?;
        rotate(&self.path);
        Ok(Some(SafetyCopy {
            path,
            reason: reason.to_string(),
            bytes,
        }))
    }

    fn write_copy(&self, tmp: &Path) -> Result<u64, SafetyError> {
        let f = create_store_file(self, tmp).map_err(io_err(tmp))?;
        let mut w = Hashing {
            inner: BufWriter::with_capacity(1 << 20, f),
            crc: crc32fast::Hasher::new(),
            bytes: 0,
        };
        w.write_all(MAGIC).map_err(io_err(tmp))?;
        w.write_all(&FORMAT.to_le_bytes()).map_err(io_err(tmp))?;
        w.write_all(&SCHEMA_VERSION.to_le_bytes())
            .map_err(io_err(tmp))?;
        let mut count = 0u64;
        for kv in self.db.iter() {
            let (k, v) = kv.map_err(|e| self.sled_err(e))?;
            let lens = [
                (k.len() as u32).to_le_bytes(),
                (v.len() as u32).to_le_bytes(),
            ];
            w.write_all(&lens[0]).map_err(io_err(tmp))?;
            w.write_all(&k).map_err(io_err(tmp))?;
            w.write_all(&lens[1]).map_err(io_err(tmp))?;
            w.write_all(&v).map_err(io_err(tmp))?;
            count += 1;
        }
        w.write_all(&END.to_le_bytes()).map_err(io_err(tmp))?;
        w.write_all(&count.to_le_bytes()).map_err(io_err(tmp))?;
        let crc = w.crc.clone().finalize();
        let bytes = w.bytes + 4;
        let mut inner = w.inner;
        inner.write_all(&crc.to_le_bytes()).map_err(io_err(tmp))?;
        let f = inner
            .into_inner()
            .map_err(|e| io_err(tmp)(e.into_error()))?;
        f.sync_all().map_err(io_err(tmp))?;
        Ok(bytes)
    }

    /// Restores a safety copy into this store, which must be empty. Every value is
    /// decoded before anything is written; then all land in one batch, or none.
    pub fn restore_safety_copy(&self, file: &Path) -> Result<Counts, SafetyError> {
        let _writer = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        if self.holds_data()? {
            return Err(SafetyError::NotEmpty(self.path.clone()));
        }
        let entries = read_safety_copy(file)?;
        let mut s = Salvage::default();
        let mut batch = sled::Batch::default();
        for (k, v) in entries {
            if k == keys::META_SCHEMA {
                let found: u32 =
                    codec::decode(tag::SCHEMA_V1, &v).map_err(|e| SafetyError::Damaged {
                        path: file.to_path_buf(),
                        reason: format!("schema record: {e}"),
                    })?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerVersion {
                        path: file.to_path_buf(),
                        found,
                        supported: SCHEMA_VERSION,
                    }
                    .into());
                }
                continue;
            }
            decode_value(&k, &v, &mut s).map_err(|e| SafetyError::Damaged {
                path: file.to_path_buf(),
                reason: format!("{}: {e}", super::printable_key(&k)),
            })?;
            // Only the counts are needed from the records: keep memory at one block.
            s.payments.clear();
            s.invoices.clear();
            batch.insert(k, v);
        }
        let counts = s.counts.unwrap_or_default();
        self.db.apply_batch(batch).map_err(|e| self.sled_err(e))?;
        self.db.flush().map_err(|e| self.sled_err(e))?;
        self.written
            .fetch_add(super::SETTLE_BYTES, std::sync::atomic::Ordering::Relaxed);
        Ok(counts)
    }

    /// Decodes every stored value: what decodes is kept, what does not is listed with
    /// its key. Reads the whole store.
    pub fn salvage(&self) -> Result<Salvage, StoreError> {
        let mut s = Salvage::default();
        let mut unreadable = 0usize;
        let mut last: Option<sled::IVec> = None;
        for kv in self.db.iter() {
            let (k, v) = match kv {
                Ok(kv) => kv,
                // A page sled cannot read: listed, and the scan goes on past it (a few
                // hundred of them mean the files are beyond this and the scan stops).
                Err(e @ sled::Error::Corruption { .. }) if unreadable < MAX_UNREADABLE => {
                    unreadable += 1;
                    s.bad.push(BadRecord {
                        key: match &last {
                            Some(k) => format!("a page after {}", super::printable_key(k)),
                            None => "a page before the first record".into(),
                        },
                        reason: format!("sled cannot read it ({})", self.sled_err(e)),
                    });
                    continue;
                }
                Err(e) => return Err(self.sled_err(e)),
            };
            last = Some(k.clone());
            if let Err(e) = decode_value(&k, &v, &mut s) {
                s.bad.push(BadRecord {
                    key: super::printable_key(&k),
                    reason: e.to_string(),
                });
            }
        }
        Ok(s)
    }

    /// Rewrites what can be derived from the records that decode: the record counts and
    /// the id counters (raised, never lowered), and records stored under the wrong block
    /// key. Returns a line per fix; nothing is written when nothing needs fixing.
    pub fn repair_meta(&self, s: &Salvage) -> Result<Vec<String>, StoreError> {
        let _writer = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut fixed = Vec::new();
        let mut batch = sled::Batch::default();
        let actual = s.actual_counts();
        let stored = s.counts.unwrap_or_default();
        if stored != actual {
            fixed.push(format!(
                "record counts set to {} parties, {} invoices, {} payments (stored: {})",
                actual.parties,
                actual.invoices,
                actual.payments,
                match s.counts {
                    Some(_) => format!(
                        "{} parties, {} invoices, {} payments",
                        stored.parties, stored.invoices, stored.payments
                    ),
                    None => "missing or unreadable".into(),
                }
            ));
            batch.insert(keys::META_COUNTS, codec::encode(tag::COUNTS_V1, &actual));
        }
        let ids = s.derived_ids();
        if s.ids.unwrap_or_default() != ids {
            fixed.push(format!(
                "next ids set to party {}, invoice {}, payment {}",
                ids.party, ids.invoice, ids.payment
            ));
            batch.insert(
                keys::META_IDS,
                codec::encode(tag::IDS_V1, &codec::IdsV1::from(ids)),
            );
        }
        if !s.misplaced.is_empty() && s.bad.is_empty() {
            // Every record decodes: rebuild the blocks and party keys from them, so each
            // lands under its own id's key.
            for prefix in [keys::PAYMENTS, keys::INVOICES, keys::PARTIES] {
                for kv in self.db.scan_prefix([prefix]) {
                    let (k, _) = kv.map_err(|e| self.sled_err(e))?;
                    batch.remove(k);
                }
            }
            let mut payments: Vec<&Payment> = s.payments.iter().collect();
            payments.sort_by_key(|p| p.id);
            payments.dedup_by_key(|p| p.id);
            for chunk in payments.chunk_by(|a, b| a.id.0 / keys::BLOCK == b.id.0 / keys::BLOCK) {
                batch.insert(
                    &keys::block_key(keys::PAYMENTS, chunk[0].id.0),
                    codec::encode_payments(chunk.iter().copied()),
                );
            }
            let mut invoices: Vec<&Invoice> = s.invoices.iter().collect();
            invoices.sort_by_key(|i| i.id);
            invoices.dedup_by_key(|i| i.id);
            for chunk in invoices.chunk_by(|a, b| a.id.0 / keys::BLOCK == b.id.0 / keys::BLOCK) {
                batch.insert(
                    &keys::block_key(keys::INVOICES, chunk[0].id.0),
                    codec::encode_invoices(chunk.iter().copied()),
                );
            }
            for p in &s.parties {
                batch.insert(
                    &keys::party_key(p.id.0),
                    codec::encode(tag::PARTY_V1, &codec::PartyV1::from(p)),
                );
            }
            fixed.push(format!(
                "{} record(s) moved under the key of their id",
                s.misplaced.len()
            ));
        }
        if fixed.is_empty() {
            return Ok(fixed);
        }
        self.db.apply_batch(batch).map_err(|e| self.sled_err(e))?;
        self.db.flush().map_err(|e| self.sled_err(e))?;
        Ok(fixed)
    }
}

/// Whether `set` changes more than one party, invoice or payment (a bulk delete, e.g.
/// `delete party --force` with its invoices and payments): such a delete gets a safety
/// copy first.
pub fn is_bulk(set: &crate::domain::ChangeSet) -> bool {
    use crate::domain::Change;
    set.changes
        .iter()
        .filter(|c| {
            matches!(
                c,
                Change::PutParty(_)
                    | Change::DeleteParty(_)
                    | Change::PutInvoice(_)
                    | Change::DeleteInvoice(_)
                    | Change::PutPayment(_)
                    | Change::DeletePayment(_)
            )
        })
        .count()
        > 1
}

/// The end of a "store is damaged" message: how to get the data back, naming the latest
/// safety copy when there is one.
pub fn recovery_hint(store: &Path) -> String {
    match latest_safety_copy(store) {
        Some(copy) => format!(
            "; to recover, restore the latest safety copy into a new store: `paytrack --db NEW_DIR restore {}`",
            copy.display()
        ),
        None => "; to recover, restore a backup into a new store: `paytrack --db NEW_DIR restore FILE`"
            .to_string(),
    }
}

/// One schema migration: turns a store of schema `from` into one of `from + 1`.
struct Migration {
    from: u32,
    run: fn(&Store) -> Result<(), StoreError>,
}

/// The migrations, oldest first. Schema 1 is the first schema, so there are none yet; a
/// test build has a no-op step from 0 so the path (safety copy first) is exercised.
#[cfg(not(test))]
const MIGRATIONS: &[Migration] = &[];
#[cfg(test)]
const MIGRATIONS: &[Migration] = &[Migration {
    from: 0,
    run: |_| Ok(()),
}];

impl Store {
    /// Migrates a store of schema `found` (older than [`SCHEMA_VERSION`]) step by step,
    /// after writing a safety copy. A version no paytrack wrote is refused.
    pub(super) fn migrate(&self, found: u32) -> Result<(), StoreError> {
        let mut steps = Vec::new();
        let mut v = found;
        while v < SCHEMA_VERSION {
            let Some(m) = MIGRATIONS.iter().find(|m| m.from == v) else {
                return Err(StoreError::Damaged {
                    path: self.path.clone(),
                    reason: format!("its schema version {found} is not one paytrack ever wrote"),
                });
            };
            steps.push(m);
            v += 1;
        }
        let copy = self
            .safety_copy(&format!("migration from schema {found}"))
            .map_err(|e| match e {
                SafetyError::Store(e) => e,
                SafetyError::Io { path, error } => StoreError::Io {
                    path,
                    source: error,
                },
                other => StoreError::Io {
                    path: self.path.clone(),
                    source: io::Error::other(other.to_string()),
                },
            })?;
        if let Some(copy) = copy {
            self.add_note(copy.to_string());
        }
        for m in steps {
            (m.run)(self)?;
        }
        self.db
            .insert(
                keys::META_SCHEMA,
                codec::encode(tag::SCHEMA_V1, &SCHEMA_VERSION),
            )
            .map_err(|e| self.sled_err(e))?;
        self.db.flush().map_err(|e| self.sled_err(e))?;
        Ok(())
    }

    /// Refuses a store whose stored counts name records of a kind of which no key is
    /// left (sled recovered less than was written). Counts that do not decode are left
    /// to `paytrack check`.
    ///
    /// With a marker that says the store has held records (`marker == Some(true)`), a
    /// missing counts record means the files lost it: sled recovered an older state.
    /// The first time records are seen the marker is updated to say so.
    pub(super) fn check_counts_present(&self, marker: Option<bool>) -> Result<(), StoreError> {
        let io = |source| StoreError::Io {
            path: self.path.clone(),
            source,
        };
        let Some(v) = self
            .db
            .get(keys::META_COUNTS)
            .map_err(|e| self.sled_err(e))?
        else {
            if marker == Some(true) {
                return Err(StoreError::Damaged {
                    path: self.path.clone(),
                    reason: "it held records, but its files hold none of them now".into(),
                });
            }
            if marker.is_none() {
                write_marker(self, false).map_err(io)?;
            }
            return Ok(());
        };
        let Ok(counts) = codec::decode::<Counts>(tag::COUNTS_V1, &v) else {
            return Ok(());
        };
        for (n, prefix, what) in [
            (counts.parties, keys::PARTIES, "parties"),
            (counts.invoices, keys::INVOICES, "invoices"),
            (counts.payments, keys::PAYMENTS, "payments"),
        ] {
            if n > 0 && self.db.scan_prefix([prefix]).next().is_none() {
                return Err(StoreError::Damaged {
                    path: self.path.clone(),
                    reason: format!("it should hold {n} {what} but none is left in its files"),
                });
            }
        }
        let held = counts != Counts::default();
        if marker.is_none() || (held && marker == Some(false)) {
            write_marker(self, held).map_err(io)?;
        }
        Ok(())
    }
}

/// Removes all but the newest [`KEEP`] safety copies of the store at `store`, and
/// leftovers of copies that were never finished.
fn rotate(store: &Path) {
    let copies = safety_copies(store);
    let n = copies.len().saturating_sub(KEEP);
    for old in &copies[..n] {
        let _ = std::fs::remove_file(old);
    }
    if let Ok(rd) = std::fs::read_dir(safety_dir(store)) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "partial") {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// One key and its value, as a safety copy holds them.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Reads a safety copy: every key and value, after checking the layout, the entry count
/// and the checksum.
pub fn read_safety_copy(file: &Path) -> Result<Vec<Entry>, SafetyError> {
    let f = File::open(file).map_err(io_err(file))?;
    let total = f.metadata().map_err(io_err(file))?.len();
    let mut r = HashingReader {
        inner: BufReader::with_capacity(1 << 20, f),
        crc: crc32fast::Hasher::new(),
    };
    let damaged = |reason: &str| SafetyError::Damaged {
        path: file.to_path_buf(),
        reason: reason.to_string(),
    };
    let mut magic = [0u8; 16];
    if r.read_exact(&mut magic).is_err() || &magic != MAGIC {
        return Err(SafetyError::NotASafetyCopy(file.to_path_buf()));
    }
    let mut u32buf = [0u8; 4];
    let mut read_u32 = |r: &mut HashingReader<_>| -> Result<u32, SafetyError> {
        r.read_exact(&mut u32buf)
            .map_err(|_| damaged("the file ends early"))?;
        Ok(u32::from_le_bytes(u32buf))
    };
    let format = read_u32(&mut r)?;
    if format != FORMAT {
        return Err(damaged(&format!("unknown layout version {format}")));
    }
    let _schema = read_u32(&mut r)?;
    let mut entries = Vec::new();
    let mut left = total;
    loop {
        let klen = read_u32(&mut r)?;
        if klen == END {
            break;
        }
        let klen = klen as usize;
        if klen as u64 > left || klen > 1 << 16 {
            return Err(damaged("a key length is out of range"));
        }
        let mut k = vec![0u8; klen];
        r.read_exact(&mut k)
            .map_err(|_| damaged("the file ends early"))?;
        let vlen = read_u32(&mut r)? as usize;
        if vlen as u64 > left || vlen > codec::MAX_VALUE_BYTES {
            return Err(damaged("a value length is out of range"));
        }
        let mut v = vec![0u8; vlen];
        r.read_exact(&mut v)
            .map_err(|_| damaged("the file ends early"))?;
        left = left.saturating_sub((klen + vlen + 8) as u64);
        entries.push((k, v));
    }
    let mut countbuf = [0u8; 8];
    r.read_exact(&mut countbuf)
        .map_err(|_| damaged("the file ends early"))?;
    let count = u64::from_le_bytes(countbuf);
    let expected = r.crc.clone().finalize();
    let mut crcbuf = [0u8; 4];
    r.inner
        .read_exact(&mut crcbuf)
        .map_err(|_| damaged("the file ends early"))?;
    if u32::from_le_bytes(crcbuf) != expected {
        return Err(damaged("the checksum does not match"));
    }
    if count != entries.len() as u64 {
        return Err(damaged("the entry count does not match"));
    }
    let mut rest = [0u8; 1];
    if r.inner.read(&mut rest).map_err(io_err(file))? != 0 {
        return Err(damaged("extra bytes after the end"));
    }
    Ok(entries)
}

/// A file in a store directory while a new store is being created in it: sled's files
/// beside it belong to a store that never held its schema record, not to a store that
/// lost its data. Removed once the marker is written.
pub const CREATING: &str = "paytrack-new-store";

/// Whether a new store is being (or was, by a process killed meanwhile) created at `store`.
pub(super) fn is_being_created(store: &Path) -> bool {
    store.join(CREATING).is_file()
}

/// Whether `store` shows signs of having held a store: sled's files in it, or safety
/// copies of it beside it. (The marker is read on its own, see [`read_marker`].)
pub(super) fn held_a_store(store: &Path) -> bool {
    holds_sled_files(store) || latest_safety_copy(store).is_some()
}

/// Whether the directory `store` holds any of sled's files.
pub(super) fn holds_sled_files(store: &Path) -> bool {
    std::fs::read_dir(store).is_ok_and(|rd| {
        rd.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name == "conf" || name == "db" || name == "blobs" || name.starts_with("snap.")
        })
    })
}

/// Flags `store` (an existing directory) as a store being created, durably; the flag
/// file gets the access the store's files get.
pub(super) fn begin_creation(store: &Path, access: FileAccess) -> io::Result<()> {
    let group = match access {
        FileAccess::Private => None,
        FileAccess::Group => super::access::dir_group(store),
    };
    let mut f = super::access::create_file(&store.join(CREATING), access, group)?;
    f.write_all(b"A new paytrack store is being created here.\n")?;
    f.sync_all()?;
    sync_dir(store)
}

/// Ends the creation of the store at `store` (once it has its schema record and marker):
/// removes the flag, if there is one.
pub(super) fn end_creation(store: &Path) -> io::Result<()> {
    match std::fs::remove_file(store.join(CREATING)) {
        Ok(()) => sync_dir(store),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes sled's files of a store whose creation was cut short (flagged by
/// [`CREATING`], no marker), holding the data file's lock so that no process using
/// them is disturbed: a lock held elsewhere is returned as the error (`WouldBlock`).
pub(super) fn discard_unfinished_store(store: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let db = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(store.join("db"))?;
    // SAFETY: flock on a descriptor this function owns; released when `db` is closed.
    if unsafe { libc::flock(db.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(io::Error::last_os_error());
    }
    for e in std::fs::read_dir(store)?.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name == "blobs" {
            std::fs::remove_dir_all(e.path())?;
        } else if name == "conf" || name == "db" || name.starts_with("snap.") {
            std::fs::remove_file(e.path())?;
        }
    }
    sync_dir(store)?;
    drop(db);
    Ok(())
}

/// Prepares `store` to receive a restore: an absent or empty directory is created and
/// flagged as a new store (see [`CREATING`]), so it may be created even where safety
/// copies of an earlier store at that path remain. Anything else is left as it is, to
/// be opened (or refused) as usual.
pub fn prepare_new_store(store: &Path) -> io::Result<()> {
    let empty = match std::fs::read_dir(store) {
        Ok(mut rd) => rd.next().is_none(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => true,
        Err(_) => false,
    };
    if !empty || read_marker(store).is_some() {
        return Ok(());
    }
    super::restrict_umask();
    super::create_private_dir(store)?;
    begin_creation(store, FileAccess::Private)
}

/// The marker line saying the store has held records.
const HELD_RECORDS: &str = "held-records: yes";

/// Writes the marker file into the store directory (see [`MARKER`]), durably;
/// `held_records` once the store has been seen holding records.
pub(super) fn write_marker(store: &Store, held_records: bool) -> io::Result<()> {
    let dir = store.path();
    let path = dir.join(MARKER);
    let tmp = dir.join(format!("{MARKER}.partial"));
    let mut f = create_store_file(store, &tmp)?;
    let mut text = String::from(
        "This directory is a paytrack store. Do not edit its files; see `paytrack check`.\n",
    );
    if held_records {
        text.push_str(HELD_RECORDS);
        text.push('\n');
    }
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir)
}

/// What the marker file says: `None` without one, else whether the store has been seen
/// holding records.
pub(super) fn read_marker(store: &Path) -> Option<bool> {
    let text = std::fs::read_to_string(store.join(MARKER)).ok()?;
    Some(text.lines().any(|l| l.trim() == HELD_RECORDS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Change, ChangeSet, Currency, Direction, Method, PartyId, PaymentId};

    fn payment(i: u64) -> Payment {
        Payment {
            id: PaymentId(i),
            party: PartyId(1),
            direction: Direction::In,
            amount: rust_decimal::Decimal::new(i as i64, 2),
            currency: Currency::EUR,
            date: time::macros::date!(2025 - 01 - 01),
            method: Method::Cash,
            reference: format!("REF-{i}"),
            notes: String::new(),
            allocations: Vec::new(),
            source: None,
        }
    }

    fn filled(dir: &Path, n: u64) -> Store {
        let store = Store::open(dir).unwrap();
        let mut set = ChangeSet::new();
        for i in 1..=n {
            set.push(Change::PutPayment(payment(i)));
        }
        store.commit(&set).unwrap();
        store
    }

    #[test]
    fn a_copy_restores_into_an_empty_store_and_rotation_keeps_ten() {
        let tmp = tempfile::tempdir().unwrap();
        let store = filled(&tmp.path().join("s"), 300);
        let mut last = None;
        for _ in 0..12 {
            last = store.safety_copy("import").unwrap();
        }
        let last = last.expect("a copy of a store with data");
        assert_eq!(safety_copies(store.path()).len(), KEEP);
        assert_eq!(latest_safety_copy(store.path()), Some(last.path.clone()));
        assert!(is_safety_copy(&last.path));
        let other = Store::open(&tmp.path().join("o")).unwrap();
        let counts = other.restore_safety_copy(&last.path).unwrap();
        assert_eq!(counts.payments, 300);
        assert_eq!(other.payments().unwrap(), store.payments().unwrap());
        assert_eq!(other.ids().unwrap(), store.ids().unwrap());
        // not into a store that holds data
        assert!(matches!(
            store.restore_safety_copy(&last.path),
            Err(SafetyError::NotEmpty(_))
        ));
    }

    #[test]
    fn a_migration_writes_a_safety_copy_first() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        {
            let store = filled(&dir, 10);
            store
                .db
                .insert(keys::META_SCHEMA, codec::encode(tag::SCHEMA_V1, &0u32))
                .unwrap();
            store.db.flush().unwrap();
        }
        let store = Store::open(&dir).unwrap();
        let copies = safety_copies(&dir);
        assert_eq!(copies.len(), 1, "{copies:?}");
        assert!(copies[0].to_string_lossy().contains("migration"));
        assert_eq!(store.payments().unwrap().len(), 10);
        // the copy is announced, once
        let notes = store.take_notes();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains(&copies[0].display().to_string())
                && notes[0].contains("before migration from schema 0"),
            "{notes:?}"
        );
        assert!(store.take_notes().is_empty());
        drop(store);
        // migrated once: the next open writes no copy and has nothing to say
        let again = Store::open(&dir).unwrap();
        assert!(again.take_notes().is_empty());
        drop(again);
        assert_eq!(safety_copies(&dir).len(), 1);
    }

    #[test]
    fn a_copy_is_described_in_short_for_the_status_line() {
        let c = SafetyCopy {
            path: PathBuf::from("/data/store.safety/20261203T100000.000000000Z-undo.ptsafe"),
            reason: "undo".into(),
            bytes: 10,
        };
        assert_eq!(
            short_note(&c.to_string()),
            "safety copy before undo: /data/store.safety/20261203T100000.000000000Z-undo.ptsafe"
        );
        assert_eq!(short_note("something else"), "something else");
    }

    #[test]
    fn an_empty_store_needs_no_copy() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("s")).unwrap();
        assert_eq!(store.safety_copy("import").unwrap(), None);
    }

    #[test]
    fn a_damaged_copy_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let store = filled(&tmp.path().join("s"), 50);
        let copy = store.safety_copy("test").unwrap().unwrap();
        let mut bytes = std::fs::read(&copy.path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        std::fs::write(&copy.path, &bytes).unwrap();
        let other = Store::open(&tmp.path().join("o")).unwrap();
        let e = other.restore_safety_copy(&copy.path).unwrap_err();
        assert!(matches!(e, SafetyError::Damaged { .. }), "{e}");
        assert!(other.payments().unwrap().is_empty());
        std::fs::write(&copy.path, &bytes[..mid]).unwrap();
        assert!(matches!(
            other.restore_safety_copy(&copy.path),
            Err(SafetyError::Damaged { .. })
        ));
    }

    #[test]
    fn salvage_lists_every_bad_value_and_repair_fixes_counters() {
        let tmp = tempfile::tempdir().unwrap();
        let store = filled(&tmp.path().join("s"), 3 * keys::BLOCK);
        for b in [0u64, 2] {
            store
                .db
                .insert(
                    keys::block_key(keys::PAYMENTS, b * keys::BLOCK),
                    &[0x11, 0xff][..],
                )
                .unwrap();
        }
        store
            .db
            .insert(
                keys::META_COUNTS,
                codec::encode(tag::COUNTS_V1, &Counts::default()),
            )
            .unwrap();
        let s = store.salvage().unwrap();
        assert_eq!(s.bad.len(), 2, "{:?}", s.bad);
        assert!(s.bad.iter().any(|b| b.key == "payment block 0"));
        assert!(s.bad.iter().any(|b| b.key == "payment block 2"));
        // ids 1..=384: blocks 1 (128..=255) and 3 (384) decode
        assert_eq!(s.payments.len() as u64, keys::BLOCK + 1);
        let fixed = store.repair_meta(&s).unwrap();
        assert_eq!(fixed.len(), 1, "{fixed:?}");
        assert_eq!(store.counts().unwrap().payments, keys::BLOCK + 1);
        // ids are never lowered below what the broken blocks may hold
        assert_eq!(store.ids().unwrap().payment, 3 * keys::BLOCK + 1);
        assert!(store
            .repair_meta(&store.salvage().unwrap())
            .unwrap()
            .is_empty());
    }
}
