//! The reminder records in the store: follow-ups and settings commit atomically with the
//! other changes, load into the ledger, undo, and keep their stored format (golden files).

use paytrack::domain::reminders::{FollowUp, ReminderSettings, SentReminder};
use paytrack::domain::{
    Change, ChangeSet, Currency, Invoice, InvoiceId, InvoiceKind, Party, PartyId, PartyRole,
};
use paytrack::store::{reminders as stored, Store};
use rust_decimal::Decimal;
use time::macros::date;

fn party() -> Party {
    Party {
        id: PartyId(1),
        name: "Acme".into(),
        role: PartyRole::Customer,
        email: String::new(),
        terms_days: None,
        notes: String::new(),
    }
}

fn invoice(id: u64) -> Invoice {
    Invoice {
        id: InvoiceId(id),
        number: format!("INV-{id}"),
        party: PartyId(1),
        kind: InvoiceKind::Receivable,
        issue_date: date!(2025 - 01 - 01),
        due_date: date!(2025 - 01 - 31),
        amount: Decimal::new(10000, 2),
        currency: Currency::EUR,
        notes: String::new(),
        void: false,
    }
}

fn follow_up() -> FollowUp {
    FollowUp {
        snooze_until: Some(date!(2025 - 02 - 10)),
        promise: Some(date!(2025 - 02 - 20)),
        disputed: true,
        sent: vec![
            SentReminder {
                level: 1,
                date: date!(2025 - 02 - 01),
            },
            SentReminder {
                level: 2,
                date: date!(2025 - 02 - 07),
            },
        ],
    }
}

#[test]
fn follow_ups_and_settings_commit_load_and_undo() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut set = ChangeSet::new();
    set.push(Change::PutParty(party()));
    set.push(Change::PutInvoice(invoice(1)));
    set.push(Change::PutInvoice(invoice(2)));
    set.push(Change::PutFollowUp(InvoiceId(1), follow_up()));
    set.push(Change::PutFollowUp(
        InvoiceId(2),
        FollowUp {
            disputed: true,
            ..Default::default()
        },
    ));
    store.commit(&set).unwrap();
    let l = store.load().unwrap();
    assert_eq!(l.follow_up(InvoiceId(1)), Some(&follow_up()));
    assert_eq!(
        l.reminder_settings(),
        &ReminderSettings::default(),
        "defaults when none stored"
    );

    let mut s = ReminderSettings {
        min_amount: Decimal::new(500, 2),
        ..ReminderSettings::default()
    };
    s.payable.levels.remove(0);
    let mut edit = ChangeSet::new();
    edit.push(Change::PutReminderSettings(s.clone()));
    edit.push(Change::DeleteFollowUp(InvoiceId(2)));
    let undo = edit.inverse(&l);
    store.commit(&edit).unwrap();
    let mut l2 = store.load().unwrap();
    assert_eq!(l2.reminder_settings(), &s);
    assert!(l2.follow_up(InvoiceId(2)).is_none());
    // the ledger applies the same as the store loads
    let mut applied = l.clone();
    applied.apply(&edit);
    assert_eq!(applied.reminder_settings(), &s);
    assert!(applied.follow_up(InvoiceId(2)).is_none());
    // undo brings both back
    store.commit(&undo).unwrap();
    l2.apply(&undo);
    let l3 = store.load().unwrap();
    for l in [&l2, &l3] {
        assert_eq!(l.reminder_settings(), &ReminderSettings::default());
        assert_eq!(l.follow_up(InvoiceId(2)).map(|f| f.disputed), Some(true));
    }
}

#[test]
fn deleting_an_invoice_deletes_its_follow_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut set = ChangeSet::new();
    set.push(Change::PutParty(party()));
    set.push(Change::PutInvoice(invoice(1)));
    set.push(Change::PutFollowUp(InvoiceId(1), follow_up()));
    store.commit(&set).unwrap();
    let l = store.load().unwrap();
    let del = paytrack::ops::delete_invoice(&l, InvoiceId(1), false).unwrap();
    assert!(del.changes.contains(&Change::DeleteFollowUp(InvoiceId(1))));
    store.commit(&del).unwrap();
    assert!(store.follow_ups().unwrap().is_empty());
}

mod golden {
    use super::*;

    fn check(name: &str, encoded: Vec<u8>) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/records")
            .join(name);
        if std::env::var_os("PAYTRACK_BLESS").is_some() {
            std::fs::write(&path, &encoded).unwrap();
        }
        let golden = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (bless with PAYTRACK_BLESS=1)", path.display()));
        assert_eq!(golden, encoded, "{name}: the stored format changed");
        golden
    }

    #[test]
    fn follow_up_v1() {
        let bytes = check(
            "follow_up_v1.bin",
            stored::encode_follow_up(InvoiceId(7), &follow_up()),
        );
        assert_eq!(
            stored::decode_follow_up(&bytes).unwrap(),
            (InvoiceId(7), follow_up())
        );
        assert!(stored::decode_follow_up(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn reminder_settings_v1() {
        let mut s = ReminderSettings {
            min_amount: Decimal::new(1250, 2),
            ..ReminderSettings::default()
        };
        s.receivable.levels[0].name = "früh".into();
        let bytes = check("reminder_settings_v1.bin", stored::encode_settings(&s));
        assert_eq!(stored::decode_settings(&bytes).unwrap(), s);
        let mut wrong = bytes.clone();
        wrong[0] = 0x31;
        assert!(stored::decode_settings(&wrong).is_err());
    }
}
