//! Golden fixtures of the saved filter and the meta records (schema version, id counters,
//! record counts, generation), committed as files in `tests/fixtures/records` like the
//! record fixtures of `tests/store.rs`: an accidental change of the stored format fails
//! here. The store is checked to write exactly these forms, and a store assembled from the
//! committed fixture files (these and the record ones) opens and reads back.
//!
//! Regenerate only for a deliberate new record version, with `PAYTRACK_BLESS=1` (and
//! keep the old fixtures decoding).

use std::path::{Path, PathBuf};

use paytrack::domain::{
    Change, ChangeSet, Currency, Direction, IdSeq, InvoiceId, Method, Party, PartyId, PartyRole,
    Payment, PaymentId, SavedFilter,
};
use paytrack::store::codec::{self, tag};
use paytrack::store::{keys, Counts, GenerationV1, Store, TxId, SCHEMA_VERSION};

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/records")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with PAYTRACK_BLESS=1)", path.display()))
}

/// Compares `encoded` with the committed fixture `name` (writing it first when blessing).
fn check(name: &str, encoded: Vec<u8>) -> Vec<u8> {
    if std::env::var_os("PAYTRACK_BLESS").is_some() {
        std::fs::write(fixture_path(name), &encoded).unwrap();
    }
    let golden = fixture(name);
    assert_eq!(golden, encoded, "{name}: the stored format changed");
    golden
}

fn filter() -> SavedFilter {
    SavedFilter {
        name: "Überfällig".into(),
        query: "status:overdue party:\"Müller GmbH\" amount:>1000 -method:cash".into(),
        pin: Some(3),
    }
}

/// The counters of the store the fixtures describe: party 5, invoice 4, payments 7 and 8
/// (the records of `party_v1.bin`, `invoice_block_v1.bin`, `payment_block_v1.bin`).
fn ids() -> IdSeq {
    IdSeq {
        party: 6,
        invoice: 10,
        payment: 9,
    }
}

fn counts() -> Counts {
    Counts {
        parties: 1,
        invoices: 1,
        payments: 2,
    }
}

const TX_1: u128 = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
const TX_2: u128 = u128::MAX - 5;

fn generation() -> GenerationV1 {
    GenerationV1 {
        generation: 2,
        recent: vec![(TX_1, 1), (TX_2, 2)],
    }
}

#[test]
fn saved_filter_v1() {
    let bytes = check(
        "saved_filter_v1.bin",
        codec::encode(tag::FILTER_V1, &codec::FilterV1::from(&filter())),
    );
    let back: SavedFilter = codec::decode::<codec::FilterV1>(tag::FILTER_V1, &bytes)
        .unwrap()
        .into();
    assert_eq!(back, filter());
    assert!(codec::decode::<codec::FilterV1>(tag::PARTY_V1, &bytes).is_err());
    assert!(codec::decode::<codec::FilterV1>(tag::FILTER_V1, &bytes[..bytes.len() - 1]).is_err());
}

#[test]
fn meta_schema_v1() {
    let bytes = check("meta_schema_v1.bin", codec::encode(tag::SCHEMA_V1, &1u32));
    assert_eq!(codec::decode::<u32>(tag::SCHEMA_V1, &bytes).unwrap(), 1);
    // this build writes schema 1; a new schema needs a migration and a new fixture
    assert_eq!(SCHEMA_VERSION, 1);
}

#[test]
fn meta_id_counters_v1() {
    let bytes = check(
        "meta_ids_v1.bin",
        codec::encode(tag::IDS_V1, &codec::IdsV1::from(ids())),
    );
    let back = IdSeq::from(codec::decode::<codec::IdsV1>(tag::IDS_V1, &bytes).unwrap());
    assert_eq!(back, ids());
    assert!(codec::decode::<codec::IdsV1>(tag::COUNTS_V1, &bytes).is_err());
}

#[test]
fn meta_counts_v1() {
    let bytes = check(
        "meta_counts_v1.bin",
        codec::encode(tag::COUNTS_V1, &counts()),
    );
    assert_eq!(
        codec::decode::<Counts>(tag::COUNTS_V1, &bytes).unwrap(),
        counts()
    );
    assert!(codec::decode::<Counts>(tag::IDS_V1, &bytes).is_err());
}

#[test]
fn meta_generation_v1() {
    let bytes = check(
        "meta_generation_v1.bin",
        codec::encode(tag::GENERATION_V1, &generation()),
    );
    assert_eq!(
        codec::decode::<GenerationV1>(tag::GENERATION_V1, &bytes).unwrap(),
        generation()
    );
    assert!(codec::decode::<GenerationV1>(tag::GENERATION_V1, &bytes[..bytes.len() - 1]).is_err());
}

fn payment(id: u64) -> Payment {
    Payment {
        id: PaymentId(id),
        party: PartyId(5),
        direction: Direction::In,
        amount: "12.50".parse().unwrap(),
        currency: Currency::EUR,
        date: time::macros::date!(2026 - 11 - 30),
        method: Method::Card,
        reference: format!("REF-{id}"),
        notes: String::new(),
        allocations: Vec::new(),
        source: None,
    }
}

/// The store itself writes the meta records and the saved filter in the fixtures' forms:
/// two commits (with known transaction ids) leave exactly the fixture bytes under the
/// meta keys.
#[test]
fn the_store_writes_its_meta_records_and_filters_in_the_fixture_forms() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    {
        let store = Store::open(&db).unwrap();
        let mut set = ChangeSet::new();
        set.push(Change::PutParty(Party {
            id: PartyId(5),
            name: "Müller GmbH".into(),
            role: PartyRole::Both,
            email: String::new(),
            terms_days: None,
            notes: String::new(),
        }));
        let mut inv = paytrack::domain::Invoice {
            id: InvoiceId(4),
            number: "INV-4".into(),
            party: PartyId(5),
            kind: paytrack::domain::InvoiceKind::Receivable,
            issue_date: time::macros::date!(2026 - 11 - 01),
            due_date: time::macros::date!(2026 - 11 - 30),
            amount: "100".parse().unwrap(),
            currency: Currency::EUR,
            notes: String::new(),
            void: false,
        };
        set.push(Change::PutInvoice(inv.clone()));
        set.push(Change::PutPayment(payment(7)));
        set.push(Change::PutFilter(filter()));
        set.ids = Some(ids());
        store.commit_checked(&set, None, Some(TxId(TX_1))).unwrap();
        let mut set = ChangeSet::new();
        set.push(Change::PutPayment(payment(8)));
        inv.notes = "second commit".into();
        set.push(Change::PutInvoice(inv));
        set.ids = Some(ids());
        store.commit_checked(&set, None, Some(TxId(TX_2))).unwrap();
    }
    let tree = sled::open(&db).unwrap();
    let raw = |key: &[u8]| tree.get(key).unwrap().unwrap().to_vec();
    assert_eq!(raw(keys::META_SCHEMA), fixture("meta_schema_v1.bin"));
    assert_eq!(raw(keys::META_IDS), fixture("meta_ids_v1.bin"));
    assert_eq!(raw(keys::META_COUNTS), fixture("meta_counts_v1.bin"));
    assert_eq!(
        raw(keys::META_GENERATION),
        fixture("meta_generation_v1.bin")
    );
    assert_eq!(
        raw(&keys::filter_key(&filter().name)),
        fixture("saved_filter_v1.bin")
    );
}

/// A store put together from the committed fixture files only (meta records, saved
/// filter, party, invoice and payment blocks, follow-up, reminder settings) opens with
/// this build and reads back what the fixtures hold.
#[test]
fn a_store_of_the_committed_fixtures_opens_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    {
        let tree = sled::open(&db).unwrap();
        let entries: Vec<(Vec<u8>, &str)> = vec![
            (keys::META_SCHEMA.to_vec(), "meta_schema_v1.bin"),
            (keys::META_IDS.to_vec(), "meta_ids_v1.bin"),
            (keys::META_COUNTS.to_vec(), "meta_counts_v1.bin"),
            (keys::META_GENERATION.to_vec(), "meta_generation_v1.bin"),
            (keys::META_REMINDERS.to_vec(), "reminder_settings_v1.bin"),
            (keys::filter_key(&filter().name), "saved_filter_v1.bin"),
            (keys::party_key(5).to_vec(), "party_v1.bin"),
            (
                keys::block_key(keys::INVOICES, 4).to_vec(),
                "invoice_block_v1.bin",
            ),
            (
                keys::block_key(keys::PAYMENTS, 7).to_vec(),
                "payment_block_v1.bin",
            ),
            (keys::follow_up_key(7).to_vec(), "follow_up_v1.bin"),
        ];
        for (k, name) in entries {
            tree.insert(k, fixture(name)).unwrap();
        }
        tree.flush().unwrap();
    }
    let store = Store::open(&db).unwrap();
    assert_eq!(store.saved_filters().unwrap(), vec![filter()]);
    assert_eq!(store.ids().unwrap(), ids());
    assert_eq!(store.counts().unwrap(), counts());
    assert_eq!(store.generation().unwrap().0, 2);
    let l = store.load().unwrap();
    assert_eq!(l.parties().len(), 1);
    assert_eq!(l.parties()[0].name, "Müller GmbH");
    assert_eq!(l.invoices().len(), 1);
    assert_eq!(l.invoices()[0].id, InvoiceId(4));
    let pays: Vec<u64> = l.payments().iter().map(|p| p.id.0).collect();
    assert_eq!(pays, vec![7, 8]);
    assert!(l.follow_up(InvoiceId(7)).is_some());
    assert_eq!(l.reminder_settings().min_amount, "12.50".parse().unwrap());
}
