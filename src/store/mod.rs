//! The store: one sled tree holding versioned records in blocks.
//!
//! Payments and invoices are kept [`keys::BLOCK`] to a value, so a million payments are
//! about 8,000 sled entries: imports write few keys, the store stays small on disk and a
//! full load reads and decodes invoices and payments on two threads at once. Parties and saved filters, of which there
//! are few, have one key each. Every change set is applied as one sled batch (atomic) and
//! flushed before [`Store::commit`] returns.

pub mod access;
pub mod codec;
pub mod keys;
mod release;
pub mod reminders;
pub mod safety;
pub mod scan;
mod write;

pub use access::FileAccess;
pub use write::{Applied, Generation, GenerationV1, TxId, RECENT_TXIDS};

use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

use crate::domain::ledger::{IndexedInvoices, IndexedPayments, Ledger};
use crate::domain::reminders::{FollowUps, ReminderSettings};
use crate::domain::{IdSeq, Invoice, Party, Payment, SavedFilter};
use codec::{tag, CodecError};

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = 1;

/// sled's page cache. Its default (1 GiB) is far more than a ledger needs: loads stream
/// through the cache once and the ledger lives in memory; commits touch a few blocks.
pub const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Extra reads of each block during a full load, so sled lets go of what was decoded.
///
/// sled 0.34's cache counts page accesses in 256 shards and looks at a shard's accesses
/// (evicting down to its share of [`CACHE_BYTES`]) only when 64 of them have queued up.
/// One pass over the store makes about 55 accesses per shard, so without help nothing
/// is ever evicted and the whole store (95 MB for a million payments) stays in memory
/// next to the ledger. Reading each block's key a few more times (a cached read, about a
/// microsecond) fills the queues and keeps sled near its cache size.
const LOAD_TOUCHES: usize = 4;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the store.
    #[error("the store at {path} is in use by another paytrack process (only one process can open a store at a time)")]
    Locked {
        /// Store directory.
        path: PathBuf,
    },
    /// Written by a newer paytrack.
    #[error("the store at {path} has schema version {found}, but this paytrack understands up to {supported}: upgrade paytrack to open it")]
    NewerVersion {
        /// Store directory.
        path: PathBuf,
        /// Version found.
        found: u32,
        /// Version supported.
        supported: u32,
    },
    /// A stored value does not decode.
    #[error("the store at {path} is damaged: record {key}: {source}; run `paytrack check` to list every damaged record{}", safety::recovery_hint(.path))]
    Corrupt {
        /// Store directory.
        path: PathBuf,
        /// The key, printed readably.
        key: String,
        /// What failed.
        source: CodecError,
    },
    /// The store has data but no schema record.
    #[error("{path} holds data that is not a paytrack store (no schema record)")]
    NotAStore {
        /// Store directory.
        path: PathBuf,
    },
    /// The filesystem holding the store is full (or over quota): the change was not
    /// saved and the store is as it was. sled refuses every later write of the process
    /// that met the error, so a long-running process (the TUI) must be restarted.
    #[error("the disk holding the store at {path} is full: nothing was saved and the store is as it was; free some space, then try again (a running TUI must be restarted first)")]
    DiskFull {
        /// Store directory.
        path: PathBuf,
    },
    /// The store's files are damaged (truncated, overwritten): sled cannot read them, or
    /// reads less than the store held. Nothing was changed.
    #[error("the store at {path} is damaged: {reason}; paytrack will not start on it. Run `paytrack check` for details{}", safety::recovery_hint(.path))]
    Damaged {
        /// Store directory.
        path: PathBuf,
        /// What was found.
        reason: String,
    },
    /// Filesystem trouble.
    #[error("store at {path}: {source}")]
    Io {
        /// Store directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Any other sled error.
    #[error("store at {path}: {source}")]
    Sled {
        /// Store directory.
        path: PathBuf,
        /// sled's error.
        source: sled::Error,
    },
}

/// Record counts, kept in meta so they are cheap to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Number of parties.
    pub parties: u64,
    /// Number of invoices.
    pub invoices: u64,
    /// Number of payments.
    pub payments: u64,
}

/// An open store. Shareable between threads (`Arc<Store>`); commits are serialised.
pub struct Store {
    /// Dropped by hand in [`Drop`], so the store can be reopened right after.
    db: ManuallyDrop<sled::Db>,
    path: PathBuf,
    write_lock: Mutex<()>,
    /// Bytes of blocks committed since the store was opened.
    written: AtomicU64,
    /// What opening the store did that the user must be told (see [`Store::take_notes`]).
    notes: Mutex<Vec<String>>,
    /// Who may use the files this process creates in the store.
    access: FileAccess,
}

/// Committed bytes after which dropping a [`Store`] settles it (see its `Drop`).
#[cfg(not(test))]
const SETTLE_BYTES: u64 = 8 * 1024 * 1024;
#[cfg(test)]
const SETTLE_BYTES: u64 = 4 * 1024;

impl Drop for Store {
    /// Closes the store; after a large commit (an import, a restore, the demo data) it is
    /// opened and closed once more.
    ///
    /// sled writes its recovery snapshot only when it opens a store, replaying the log
    /// written since the last one: after importing a million payments the next open
    /// takes 0.2 s and more (1–1.5 s measured on a busy machine) instead of 25 ms. Paying
    /// that here, when the process that wrote the data lets go of it, keeps the next
    /// start (the TUI's first frame) fast.
    ///
    /// Returns once sled has closed the store's files, so this process (or the next
    /// owner) can open the store again at once.
    fn drop(&mut self) {
        // SAFETY: `db` is dropped exactly once, here, and never used afterwards.
        unsafe { ManuallyDrop::drop(&mut self.db) };
        let data = self.path.join("db");
        release::wait_until_closed(&data);
        if *self.written.get_mut() >= SETTLE_BYTES && self.path.join("conf").is_file() {
            // Best effort: the data is already durable; a failure only costs the next
            // open its replay.
            drop(
                sled::Config::new()
                    .path(&self.path)
                    .cache_capacity(CACHE_BYTES)
                    .open(),
            );
            release::wait_until_closed(&data);
        }
        // Files sled created while the store was open (a snapshot) go to the group too.
        self.share_files();
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Creates `dir` (and missing parents) with mode 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    access::create_dir(dir, FileAccess::Private)
}

/// Makes every file this process creates from now on private (0600 files, 0700 dirs).
/// sled creates its files with the process umask, so the store sets it before opening
/// (to 007 instead when the store is shared with its group, see [`Store::open_with`]).
pub fn restrict_umask() {
    access::set_umask(FileAccess::Private);
}

impl Store {
    /// Opens (or creates) the store in directory `path`, private to this user.
    ///
    /// A directory that has ever held a store — the marker file, sled's files (`conf`,
    /// `db`, `blobs`, snapshots) or safety copies beside it in `<store>.safety/` — is
    /// never taken for a new, empty store: if its data is not there, it is refused as
    /// damaged. A new store is created under a flag file ([`safety::CREATING`]), so the
    /// sled files of a creation that was cut short (a killed process) are told from
    /// those of a store that lost its data.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, FileAccess::Private)
    }

    /// Opens (or creates) the store in directory `path`; with [`FileAccess::Group`] the
    /// files created are group-readable and -writable and this user's files in the store
    /// are given the store directory's group (see [`access`]), so that another member of
    /// the group can own the store after this process.
    pub fn open_with(path: &Path, file_access: FileAccess) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        if path.exists() && !path.is_dir() {
            return Err(io(std::io::Error::other("not a directory")));
        }
        access::set_umask(file_access);
        let damaged = |reason: String| StoreError::Damaged {
            path: path.clone(),
            reason,
        };
        // The marker: the store held its schema record once (and maybe records).
        let marker = safety::read_marker(&path);
        let creating = marker.is_none() && safety::is_being_created(&path);
        let held = marker.is_some() || (!creating && safety::held_a_store(&path));
        if held && !path.is_dir() {
            return Err(damaged(format!(
                "its directory is gone, but safety copies of it are in {}",
                safety::safety_dir(&path).display()
            )));
        }
        if held && !path.join("db").is_file() {
            return Err(damaged(
                if marker.is_none() && !safety::holds_sled_files(&path) {
                    format!(
                        "its files are gone, but safety copies of it are in {}",
                        safety::safety_dir(&path).display()
                    )
                } else {
                    "its data file `db` is missing".into()
                },
            ));
        }
        access::create_dir(&path, file_access).map_err(io)?;
        if !held && !creating {
            safety::begin_creation(&path, file_access).map_err(io)?;
        }
        let db = match open_sled(&path) {
            // A creation killed while sled wrote its files (its `conf` is written in two
            // steps) may leave them unreadable: no data was written yet (records are
            // committed only once the store is created), so sled starts them afresh.
            Err(e) if !held && !matches!(e, sled::Error::Io(_)) => {
                safety::discard_unfinished_store(&path).map_err(|e| match e {
                    e if is_lock_error(&e) => StoreError::Locked { path: path.clone() },
                    e => io(e),
                })?;
                open_sled(&path)
            }
            r => r,
        };
        let db = db.map_err(|e| match e {
            sled::Error::Io(ref ioe) if is_lock_error(ioe) => {
                StoreError::Locked { path: path.clone() }
            }
            sled::Error::Io(ref ioe) if safety::is_disk_full(ioe) => {
                StoreError::DiskFull { path: path.clone() }
            }
            sled::Error::Io(ioe) if !held || ioe.kind() == std::io::ErrorKind::PermissionDenied => {
                StoreError::Io {
                    path: path.clone(),
                    source: ioe,
                }
            }
            other if !held => StoreError::Sled {
                path: path.clone(),
                source: other,
            },
            sled::Error::Io(ioe) => damaged(format!("its files cannot be read ({ioe})")),
            sled::Error::Corruption { .. } => damaged("its files fail sled's checksum".into()),
            // sled's own words here are about upgrading from old sled versions
            sled::Error::Unsupported(_) => {
                damaged("its settings file `conf` is damaged (sled cannot read it)".into())
            }
            other => damaged(format!("its files do not read back ({other})")),
        })?;
        let store = Store {
            db: ManuallyDrop::new(db),
            path,
            write_lock: Mutex::new(()),
            written: AtomicU64::new(0),
            notes: Mutex::new(Vec::new()),
            access: file_access,
        };
        store.check_schema(marker, held)?;
        safety::end_creation(&store.path).map_err(|source| StoreError::Io {
            path: store.path.clone(),
            source,
        })?;
        store.share_files();
        Ok(store)
    }

    /// Who may use the files this process creates in the store.
    pub fn file_access(&self) -> FileAccess {
        self.access
    }

    /// The group the store's files go to when it is shared with its group: the store
    /// directory's group.
    pub(crate) fn shared_group(&self) -> Option<u32> {
        match self.access {
            FileAccess::Private => None,
            FileAccess::Group => access::dir_group(&self.path),
        }
    }

    /// When the store is shared with its group: gives this user's files in the store and
    /// in its safety copies' directory the group and group access (best effort).
    fn share_files(&self) {
        if let Some(g) = self.shared_group() {
            access::share_tree(&self.path, g);
            let copies = safety::safety_dir(&self.path);
            if copies.is_dir() {
                access::share_tree(&copies, g);
            }
        }
    }

    /// Checks the schema record and that the store is not a damaged one read as empty:
    /// a directory that held a store (`held`) with no schema record, or counts of records
    /// that are not there, mean damaged files. A new store gets its schema record and
    /// the marker.
    fn check_schema(&self, marker: Option<bool>, held: bool) -> Result<(), StoreError> {
        let damaged = |reason: &str| StoreError::Damaged {
            path: self.path.clone(),
            reason: reason.to_string(),
        };
        match self
            .db
            .get(keys::META_SCHEMA)
            .map_err(|e| self.sled_err(e))?
        {
            Some(v) => {
                let found: u32 = codec::decode(tag::SCHEMA_V1, &v)
                    .map_err(|e| self.corrupt(keys::META_SCHEMA, e))?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerVersion {
                        path: self.path.clone(),
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                if found < SCHEMA_VERSION {
                    self.migrate(found)?;
                }
                self.check_counts_present(marker)?;
                Ok(())
            }
            None if self.db.is_empty() && held => Err(damaged(
                "its files hold no records although it held a store (sled read it as empty)",
            )),
            None if self.db.is_empty() => {
                self.db
                    .insert(
                        keys::META_SCHEMA,
                        codec::encode(tag::SCHEMA_V1, &SCHEMA_VERSION),
                    )
                    .map_err(|e| self.sled_err(e))?;
                self.db.flush().map_err(|e| self.sled_err(e))?;
                safety::write_marker(self, false).map_err(|source| StoreError::Io {
                    path: self.path.clone(),
                    source,
                })?;
                Ok(())
            }
            None if marker.is_some() => Err(damaged("its schema record is missing")),
            None => Err(StoreError::NotAStore {
                path: self.path.clone(),
            }),
        }
    }

    /// What opening the store did that the user must be told, once: where the safety copy
    /// written before a schema migration went. The command line prints these on standard
    /// error, the TUI in its status line.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub(crate) fn add_note(&self, note: String) {
        self.notes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(note);
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn sled_err(&self, source: sled::Error) -> StoreError {
        match source {
            sled::Error::Corruption { .. } => StoreError::Damaged {
                path: self.path.clone(),
                reason: "part of its files fails sled's checksum".into(),
            },
            sled::Error::Io(source) if safety::is_disk_full(&source) => StoreError::DiskFull {
                path: self.path.clone(),
            },
            sled::Error::Io(source) => StoreError::Io {
                path: self.path.clone(),
                source,
            },
            source => StoreError::Sled {
                path: self.path.clone(),
                source,
            },
        }
    }

    pub(crate) fn corrupt(&self, key: &[u8], source: CodecError) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            key: printable_key(key),
            source,
        }
    }

    /// The id counters.
    pub fn ids(&self) -> Result<IdSeq, StoreError> {
        read_ids(self)
    }

    /// Record counts (cheap: read from meta).
    pub fn counts(&self) -> Result<Counts, StoreError> {
        read_counts(self)
    }

    /// Whether the store holds no parties, invoices or payments.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.counts()? == Counts::default())
    }

    /// The store's generation: how many change sets have been committed (cheap: meta).
    pub fn generation(&self) -> Result<Generation, StoreError> {
        read_generation(self)
    }

    /// Every party (there are few: one key each).
    pub fn parties(&self) -> Result<Vec<Party>, StoreError> {
        read_parties(self)
    }

    /// Every saved filter, by name.
    pub fn saved_filters(&self) -> Result<Vec<SavedFilter>, StoreError> {
        read_saved_filters(self)
    }

    /// The `n` most recently recorded payments, newest first. Reads only the last blocks.
    pub fn recent_payments(&self, n: usize) -> Result<Vec<Payment>, StoreError> {
        read_recent_payments(self, n)
    }

    /// Every invoice, in id order.
    pub fn invoices(&self) -> Result<Vec<Invoice>, StoreError> {
        let hint = self.counts()?.invoices;
        scan_decode(self, keys::INVOICES, hint, codec::decode_invoices_into)
    }

    /// Every payment, in id order.
    pub fn payments(&self) -> Result<Vec<Payment>, StoreError> {
        let hint = self.counts()?.payments;
        scan_decode(self, keys::PAYMENTS, hint, codec::decode_payments_into)
    }

    /// Loads everything into a ledger. This reads the whole store: call it off the UI thread.
    /// See [`load_from`].
    pub fn load(&self) -> Result<Ledger, StoreError> {
        load_from(self)
    }

    /// Bytes the store's files take on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(|e| self.sled_err(e))
    }
}

/// A stored value as read: sled's own buffer, so reads from the tree copy nothing.
pub type Value = sled::IVec;

/// What [`ValueSource::scan_values`] calls with each key and value: `Ok(false)` stops.
pub type EachValue<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool, StoreError> + 'a;

/// Where stored values are read from: the open sled tree ([`Store`]) or, in a session
/// client, the raw values the owning process sent (see `crate::session`). [`load_from`]
/// and the small readers next to it work on either, so both decode with the same code.
pub trait ValueSource: Sync {
    /// The store directory (for messages).
    fn source_path(&self) -> &Path;
    /// The value at `key`.
    fn get_value(&self, key: &[u8]) -> Result<Option<Value>, StoreError>;
    /// Calls `each` with every key under `prefix` and its value, in key order (newest
    /// first when `reverse`), until it returns `Ok(false)`.
    fn scan_values(
        &self,
        prefix: u8,
        reverse: bool,
        each: &mut EachValue<'_>,
    ) -> Result<(), StoreError>;
}

impl ValueSource for Store {
    fn source_path(&self) -> &Path {
        &self.path
    }

    fn get_value(&self, key: &[u8]) -> Result<Option<Value>, StoreError> {
        self.db.get(key).map_err(|e| self.sled_err(e))
    }

    fn scan_values(
        &self,
        prefix: u8,
        reverse: bool,
        each: &mut EachValue<'_>,
    ) -> Result<(), StoreError> {
        let iter = self.db.scan_prefix([prefix]);
        let iter: Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>> = if reverse {
            Box::new(iter.rev())
        } else {
            Box::new(iter)
        };
        for kv in iter {
            let (k, v) = kv.map_err(|e| self.sled_err(e))?;
            let more = each(&k, &v)?;
            drop(v);
            if !reverse {
                for _ in 0..LOAD_TOUCHES {
                    self.db.get(&k).map_err(|e| self.sled_err(e))?;
                }
            }
            if !more {
                break;
            }
        }
        Ok(())
    }
}

fn corrupt_at(path: &Path, key: &[u8], source: CodecError) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        key: printable_key(key),
        source,
    }
}

/// The id counters.
pub fn read_ids<S: ValueSource + ?Sized>(src: &S) -> Result<IdSeq, StoreError> {
    match src.get_value(keys::META_IDS)? {
        Some(v) => codec::decode::<codec::IdsV1>(tag::IDS_V1, &v)
            .map(IdSeq::from)
            .map_err(|e| corrupt_at(src.source_path(), keys::META_IDS, e)),
        None => Ok(IdSeq::default()),
    }
}

/// Record counts (from meta).
pub fn read_counts<S: ValueSource + ?Sized>(src: &S) -> Result<Counts, StoreError> {
    match src.get_value(keys::META_COUNTS)? {
        Some(v) => codec::decode(tag::COUNTS_V1, &v)
            .map_err(|e| corrupt_at(src.source_path(), keys::META_COUNTS, e)),
        None => Ok(Counts::default()),
    }
}

/// The generation meta (counter and recent transaction ids); zero before the first commit.
pub fn read_generation_meta<S: ValueSource + ?Sized>(
    src: &S,
) -> Result<write::GenerationV1, StoreError> {
    match src.get_value(keys::META_GENERATION)? {
        Some(v) => codec::decode(tag::GENERATION_V1, &v)
            .map_err(|e| corrupt_at(src.source_path(), keys::META_GENERATION, e)),
        None => Ok(write::GenerationV1::default()),
    }
}

/// The generation (how many change sets have been committed).
pub fn read_generation<S: ValueSource + ?Sized>(src: &S) -> Result<Generation, StoreError> {
    read_generation_meta(src).map(|m| Generation(m.generation))
}

/// Every party.
pub fn read_parties<S: ValueSource + ?Sized>(src: &S) -> Result<Vec<Party>, StoreError> {
    let mut out = Vec::new();
    src.scan_values(keys::PARTIES, false, &mut |k, v| {
        out.push(
            codec::decode_into::<codec::PartyV1, Party>(tag::PARTY_V1, v)
                .map_err(|e| corrupt_at(src.source_path(), k, e))?,
        );
        Ok(true)
    })?;
    Ok(out)
}

/// Every saved filter, by name.
pub fn read_saved_filters<S: ValueSource + ?Sized>(
    src: &S,
) -> Result<Vec<SavedFilter>, StoreError> {
    let mut out = Vec::new();
    src.scan_values(keys::FILTERS, false, &mut |k, v| {
        out.push(
            codec::decode::<codec::FilterV1>(tag::FILTER_V1, v)
                .map(SavedFilter::from)
                .map_err(|e| corrupt_at(src.source_path(), k, e))?,
        );
        Ok(true)
    })?;
    Ok(out)
}

/// Every invoice's follow-up state.
pub fn read_follow_ups<S: ValueSource + ?Sized>(src: &S) -> Result<FollowUps, StoreError> {
    let mut out = Vec::new();
    src.scan_values(keys::FOLLOW_UPS, false, &mut |k, v| {
        out.push(reminders::decode_follow_up(v).map_err(|e| corrupt_at(src.source_path(), k, e))?);
        Ok(true)
    })?;
    Ok(out.into_iter().collect())
}

/// The reminder settings (the defaults when none are stored).
pub fn read_reminder_settings<S: ValueSource + ?Sized>(
    src: &S,
) -> Result<ReminderSettings, StoreError> {
    match src.get_value(keys::META_REMINDERS)? {
        Some(v) => reminders::decode_settings(&v)
            .map_err(|e| corrupt_at(src.source_path(), keys::META_REMINDERS, e)),
        None => Ok(ReminderSettings::default()),
    }
}

/// The `n` most recently recorded payments, newest first. Reads only the last blocks.
pub fn read_recent_payments<S: ValueSource + ?Sized>(
    src: &S,
    n: usize,
) -> Result<Vec<Payment>, StoreError> {
    let mut out = Vec::with_capacity(n.min(1 << 16));
    let mut block = Vec::with_capacity(keys::BLOCK as usize);
    if n == 0 {
        return Ok(out);
    }
    src.scan_values(keys::PAYMENTS, true, &mut |k, v| {
        block.clear();
        codec::decode_payments_into(v, &mut block)
            .map_err(|e| corrupt_at(src.source_path(), k, e))?;
        let want = n - out.len();
        out.extend(block.drain(..).rev().take(want));
        Ok(out.len() < n)
    })?;
    Ok(out)
}

/// Loads everything into a ledger. This reads the whole store: call it off the UI thread.
///
/// Invoices and payments are read, decoded and indexed on two threads at once, each
/// block decoded straight into the final list and released right after, so memory
/// beyond the ledger itself stays at about sled's cache.
pub fn load_from<S: ValueSource + ?Sized>(src: &S) -> Result<Ledger, StoreError> {
    let counts = read_counts(src)?;
    let invoice_ids = read_ids(src)?.invoice;
    // The small reads (parties, follow-ups, settings) go with the invoices, which
    // finish well before the payments.
    let invoices = || {
        let small = (|| -> Result<_, StoreError> {
            Ok((
                read_parties(src)?,
                read_follow_ups(src)?,
                read_reminder_settings(src)?,
            ))
        })();
        let inv = scan_decode(
            src,
            keys::INVOICES,
            counts.invoices,
            codec::decode_invoices_into,
        )
        .map(IndexedInvoices::new);
        (small, inv)
    };
    let payments = || {
        scan_decode(
            src,
            keys::PAYMENTS,
            counts.payments,
            codec::decode_payments_into,
        )
        .map(|p| IndexedPayments::new(p, invoice_ids))
    };
    let parallel = std::thread::available_parallelism().map_or(1, |n| n.get()) > 1;
    let ((small, inv), pay) = if parallel {
        std::thread::scope(|s| {
            let inv = s.spawn(invoices);
            let pay = payments();
            (inv.join().expect("invoice loader panicked"), pay)
        })
    } else {
        (invoices(), payments())
    };
    let (parties, follow_ups, settings) = small?;
    let mut ledger = Ledger::from_indexed(parties, inv?, pay?);
    ledger.set_follow_ups(follow_ups);
    ledger.set_reminder_settings(settings);
    Ok(ledger)
}

/// Reads every block under `prefix` in key order (so records come in id order),
/// decoding each into one list sized from `hint` (the count kept in meta).
fn scan_decode<S: ValueSource + ?Sized, T>(
    src: &S,
    prefix: u8,
    hint: u64,
    decode: impl Fn(&[u8], &mut Vec<T>) -> Result<usize, CodecError>,
) -> Result<Vec<T>, StoreError> {
    // The hint only sizes the list; a damaged count must not reserve absurd memory.
    let mut out = Vec::with_capacity(usize::try_from(hint).unwrap_or(0).min(1 << 26));
    src.scan_values(prefix, false, &mut |k, v| {
        decode(v, &mut out).map_err(|e| corrupt_at(src.source_path(), k, e))?;
        Ok(true)
    })?;
    if out.capacity() - out.len() > out.len() / 16 + 1024 {
        out.shrink_to_fit();
    }
    Ok(out)
}

/// Opens the sled tree of the store at `path`.
fn open_sled(path: &Path) -> sled::Result<sled::Db> {
    sled::Config::new()
        .path(path)
        .cache_capacity(CACHE_BYTES)
        .open()
}

/// sled reports a held lock either as `WouldBlock` or wrapped in an `Other` error whose
/// text says "could not acquire lock".
fn is_lock_error(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock
        || e.to_string().contains("could not acquire lock")
        || e.raw_os_error() == Some(libc::EWOULDBLOCK)
}

/// A key as text for messages: the prefix letter and the number or name after it.
fn printable_key(key: &[u8]) -> String {
    match key.split_first() {
        Some((&p, rest)) if rest.len() == 8 && p != b'm' && p != keys::FILTERS => {
            let mut b = [0u8; 8];
            b.copy_from_slice(rest);
            let n = u64::from_be_bytes(b);
            match p {
                keys::PAYMENTS => format!("payment block {n}"),
                keys::INVOICES => format!("invoice block {n}"),
                keys::PARTIES => format!("party {n}"),
                keys::FOLLOW_UPS => format!("follow-up of invoice {n}"),
                _ => format!("{}", String::from_utf8_lossy(key)),
            }
        }
        _ => crate::text::sanitize(&String::from_utf8_lossy(key)).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Change, ChangeSet, Currency, Direction, Method, PartyId, PaymentId};

    fn snapshots(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("snap.")
            })
            .count()
    }

    #[test]
    fn dropping_after_a_large_commit_leaves_a_snapshot_for_a_fast_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut set = ChangeSet::new();
        for i in 1..=2_000u64 {
            set.push(Change::PutPayment(Payment {
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
            }));
        }
        store.commit(&set).unwrap();
        let before = snapshots(dir.path());
        drop(store);
        // sled writes snapshots only when it opens a store: one more means the drop
        // reopened it, and the next open has no log to replay
        assert!(
            snapshots(dir.path()) > before,
            "no snapshot written on drop"
        );
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.counts().unwrap().payments, 2_000);
        assert_eq!(store.payments().unwrap().len(), 2_000);
    }
}
