//! Interchange formats: CSV (own layout), JSON and backup, round trips and refusals.

use std::io::Cursor;

use paytrack::domain::ledger::Ledger;
use paytrack::domain::{
    Allocation, Change, Currency, Direction, IdSeq, Invoice, InvoiceId, InvoiceKind, Method, Party,
    PartyId, PartyRole, Payment, PaymentId, SavedFilter, SourceKey, SourceKind, StatusRules,
};
use paytrack::interchange::{backup, csv_own, json, ImportPlan};
use proptest::prelude::*;
use rust_decimal::Decimal;
use time::macros::date;
use time::Date;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn rules() -> StatusRules {
    StatusRules::new(date!(2025 - 06 - 30))
}

fn party(id: u64, name: &str, role: PartyRole) -> Party {
    Party {
        id: PartyId(id),
        name: name.into(),
        role,
        email: format!("{}@example.com", id),
        terms_days: if id % 2 == 0 { Some(30) } else { None },
        notes: String::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn invoice(
    id: u64,
    number: &str,
    party: u64,
    kind: InvoiceKind,
    amount: &str,
    cur: Currency,
    issue: Date,
    due: Date,
) -> Invoice {
    Invoice {
        id: InvoiceId(id),
        number: number.into(),
        party: PartyId(party),
        kind,
        issue_date: issue,
        due_date: due,
        amount: d(amount),
        currency: cur,
        notes: String::new(),
        void: false,
    }
}

fn payment(
    id: u64,
    party: u64,
    dir: Direction,
    amount: &str,
    cur: Currency,
    date: Date,
    allocs: &[(u64, &str)],
) -> Payment {
    Payment {
        id: PaymentId(id),
        party: PartyId(party),
        direction: dir,
        amount: d(amount),
        currency: cur,
        date,
        method: Method::BankTransfer,
        reference: format!("REF-{id}"),
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

/// A ledger with every case the formats must carry: both roles, splits, independent
/// payments, an overpayment, a partial allocation, a void invoice, JPY, payables.
fn sample() -> Ledger {
    use Currency as C;
    use Direction::*;
    use InvoiceKind::*;
    let mut void = invoice(
        4,
        "INV-000004",
        1,
        Receivable,
        "80.00",
        C::EUR,
        date!(2025 - 02 - 01),
        date!(2025 - 03 - 01),
    );
    void.void = true;
    void.notes = "cancelled, reissued as INV-000005".into();
    let mut notes_inv = invoice(
        5,
        "INV-000005",
        1,
        Receivable,
        "75.50",
        C::EUR,
        date!(2025 - 02 - 02),
        date!(2025 - 07 - 03),
    );
    notes_inv.notes = "line one\nline \"two\", with comma".into();
    let mut split = payment(
        2,
        1,
        In,
        "300.00",
        C::EUR,
        date!(2025 - 02 - 10),
        &[(2, "100.00"), (5, "50.00")],
    );
    split.method = Method::Card;
    split.notes = "split over two, 150 left as credit".into();
    Ledger::from_records(
        vec![
            party(1, "Müller GmbH", PartyRole::Customer),
            party(2, "Acme Supplies Ltd", PartyRole::Partner),
            party(3, "Tanaka KK", PartyRole::Both),
        ],
        vec![
            invoice(
                1,
                "INV-000001",
                1,
                Receivable,
                "100.00",
                C::EUR,
                date!(2025 - 01 - 01),
                date!(2025 - 01 - 31),
            ),
            invoice(
                2,
                "INV-000002",
                1,
                Receivable,
                "250.00",
                C::EUR,
                date!(2025 - 01 - 15),
                date!(2025 - 02 - 14),
            ),
            invoice(
                3,
                "BILL-77",
                2,
                Payable,
                "1234.56",
                C::USD,
                date!(2025 - 03 - 01),
                date!(2025 - 03 - 31),
            ),
            void,
            notes_inv,
            invoice(
                6,
                "JP-1",
                3,
                Receivable,
                "12000",
                C::JPY,
                date!(2025 - 04 - 01),
                date!(2025 - 04 - 30),
            ),
            invoice(
                7,
                "JP-BILL-1",
                3,
                Payable,
                "5000",
                C::JPY,
                date!(2025 - 04 - 02),
                date!(2025 - 05 - 02),
            ),
        ],
        vec![
            // overpayment: the whole 150 goes to a 100 invoice
            payment(
                1,
                1,
                In,
                "150.00",
                C::EUR,
                date!(2025 - 01 - 20),
                &[(1, "150.00")],
            ),
            split,
            // independent payment, imported from a bank file (with a fingerprint)
            Payment {
                source: Some(SourceKey::new(SourceKind::Id, 0x2f6a_0c19_b4e7)),
                ..payment(3, 2, Out, "99.99", C::USD, date!(2025 - 03 - 05), &[])
            },
            // partial allocation of a single invoice (written as a split)
            payment(
                4,
                2,
                Out,
                "1000.00",
                C::USD,
                date!(2025 - 03 - 20),
                &[(3, "600.00")],
            ),
            Payment {
                source: Some(SourceKey::new(SourceKind::Anonymous, (1 << 54) - 1)),
                ..payment(
                    5,
                    3,
                    In,
                    "12000",
                    C::JPY,
                    date!(2025 - 04 - 15),
                    &[(6, "12000")],
                )
            },
            payment(
                6,
                3,
                Out,
                "2500",
                C::JPY,
                date!(2025 - 04 - 20),
                &[(7, "2500")],
            ),
        ],
    )
}

fn csv_parties(l: &Ledger) -> String {
    let mut out = Vec::new();
    csv_own::write_parties(&mut out, l, l.parties().iter()).unwrap();
    String::from_utf8(out).unwrap()
}

fn csv_invoices(l: &Ledger) -> String {
    let mut out = Vec::new();
    csv_own::write_invoices(&mut out, l, &rules(), l.invoices().iter()).unwrap();
    String::from_utf8(out).unwrap()
}

fn csv_payments(l: &Ledger) -> String {
    let mut out = Vec::new();
    csv_own::write_payments(&mut out, l, l.payments().iter()).unwrap();
    String::from_utf8(out).unwrap()
}

type Reader = fn(
    Cursor<&[u8]>,
    &str,
    &Ledger,
    &mut IdSeq,
) -> Result<ImportPlan, paytrack::interchange::ImportError>;

fn apply(l: &mut Ledger, ids: &mut IdSeq, read: Reader, name: &str, text: &str) -> ImportPlan {
    let plan = read(Cursor::new(text.as_bytes()), name, l, ids)
        .unwrap_or_else(|e| panic!("import of {name} failed: {e}\n{text}"));
    l.apply(&plan.changes);
    assert_eq!(plan.changes.ids, Some(*ids));
    plan
}

fn csv_read_invoices(
    r: Cursor<&[u8]>,
    n: &str,
    l: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, paytrack::interchange::ImportError> {
    csv_own::read_invoices(r, n, l, ids)
}
fn csv_read_payments(
    r: Cursor<&[u8]>,
    n: &str,
    l: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, paytrack::interchange::ImportError> {
    csv_own::read_payments(r, n, l, ids)
}
fn csv_read_parties(
    r: Cursor<&[u8]>,
    n: &str,
    l: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, paytrack::interchange::ImportError> {
    csv_own::read_parties(r, n, l, ids)
}

/// Exports all three files, imports them into an empty ledger and returns it.
fn csv_round_trip(l: &Ledger) -> Ledger {
    let (p, i, y) = (csv_parties(l), csv_invoices(l), csv_payments(l));
    let mut m = Ledger::new();
    let mut ids = IdSeq::default();
    apply(&mut m, &mut ids, csv_read_parties, "parties.csv", &p);
    apply(&mut m, &mut ids, csv_read_invoices, "invoices.csv", &i);
    apply(&mut m, &mut ids, csv_read_payments, "payments.csv", &y);
    assert_eq!(csv_parties(&m), p);
    assert_eq!(csv_invoices(&m), i);
    assert_eq!(csv_payments(&m), y);
    m
}

#[test]
fn csv_export_then_import_is_lossless() {
    let l = sample();
    let m = csv_round_trip(&l);
    // records equal apart from ids
    assert_eq!(m.parties().len(), 3);
    assert_eq!(m.invoices().len(), 7);
    assert_eq!(m.payments().len(), 6);
    let void = m.invoice_by_number("INV-000004").unwrap();
    assert!(void.void);
    let jp = m.invoice_by_number("JP-1").unwrap();
    assert_eq!(jp.currency, Currency::JPY);
    assert_eq!(jp.amount, d("12000"));
    let tanaka = m.party_by_name("tanaka kk").unwrap();
    assert_eq!(tanaka.role, PartyRole::Both);
    assert_eq!(
        m.party_by_name("Acme Supplies Ltd").unwrap().terms_days,
        Some(30)
    );
    // the overpayment still applies the whole 150 to the 100 invoice: 50 is credit
    let p = m
        .payments()
        .iter()
        .find(|p| p.reference == "REF-1")
        .unwrap();
    assert_eq!(p.allocations.len(), 1);
    assert_eq!(p.allocations[0].amount, d("150"));
    let credit = m.party_credit(p.party, date!(2025 - 01 - 31));
    assert_eq!(credit, vec![(Currency::EUR, Direction::In, d("50"))]);
}

#[test]
fn csv_export_layout() {
    let l = sample();
    let inv = csv_invoices(&l);
    let mut lines = inv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "number,party,kind,issue_date,due_date,amount,currency,notes,status,outstanding"
    );
    assert_eq!(
        lines.next().unwrap(),
        "INV-000001,Müller GmbH,receivable,2025-01-01,2025-01-31,100.00,EUR,,paid,0.00"
    );
    assert!(inv.contains("\nINV-000004,Müller GmbH,receivable,2025-02-01,2025-03-01,80.00,EUR,\"cancelled, reissued as INV-000005\",void,0.00\n"), "{inv}");
    assert!(
        inv.contains("\nJP-1,Tanaka KK,receivable,2025-04-01,2025-04-30,12000,JPY,,paid,0\n"),
        "{inv}"
    );
    assert!(inv.contains("\nBILL-77,Acme Supplies Ltd,payable,2025-03-01,2025-03-31,1234.56,USD,,overdue,634.56\n"), "{inv}");
    let pay = csv_payments(&l);
    let mut lines = pay.lines();
    assert_eq!(
        lines.next().unwrap(),
        "date,party,direction,amount,currency,method,reference,invoice,notes,unallocated"
    );
    assert_eq!(
        lines.next().unwrap(),
        "2025-01-20,Müller GmbH,in,150.00,EUR,bank_transfer,REF-1,INV-000001,,0.00"
    );
    assert_eq!(
        lines.next().unwrap(),
        "2025-02-10,Müller GmbH,in,300.00,EUR,card,REF-2,INV-000002=100.00;INV-000005=50.00,\"split over two, 150 left as credit\",150.00"
    );
    assert_eq!(
        lines.next().unwrap(),
        "2025-03-05,Acme Supplies Ltd,out,99.99,USD,bank_transfer,REF-3,,,99.99"
    );
    assert_eq!(
        lines.next().unwrap(),
        "2025-03-20,Acme Supplies Ltd,out,1000.00,USD,bank_transfer,REF-4,BILL-77=600.00,,400.00"
    );
    assert_eq!(
        lines.next().unwrap(),
        "2025-04-15,Tanaka KK,in,12000,JPY,bank_transfer,REF-5,JP-1,,0"
    );
    let par = csv_parties(&l);
    assert_eq!(
        par,
        "name,role,email,terms_days,notes\n\
         Müller GmbH,customer,1@example.com,,\n\
         Acme Supplies Ltd,partner,2@example.com,30,\n\
         Tanaka KK,both,3@example.com,,\n"
    );
}

const HOSTILE: &[&str] = &[
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+1+1",
    "-2-2",
    "@SUM(A1:A9)",
    "\tcmd",
    "\rcmd",
    "'already quoted",
    "''twice",
    "\u{1b}[31mred\u{1b}[0m \u{1b}]52;c;ZXZpbA==\u{7}",
    "line1\nline2\r\nline3",
    "\"quoted\", with comma",
    "  spaces around  ",
    "\u{202e}reversed\u{200b}",
    "nul\u{0}byte",
    "",
];

/// Every hostile string as a note, a reference and an email, and inside party names and
/// invoice numbers (those are trimmed keys, and `;` cannot occur in a split's number).
fn hostile_ledger() -> Ledger {
    let mut parties = Vec::new();
    let mut invoices = Vec::new();
    let mut payments = Vec::new();
    for (k, s) in HOSTILE.iter().enumerate() {
        let id = k as u64 + 1;
        // names and numbers are trimmed keys; `;` cannot occur in a split's number
        let key = format!("{}{id}", s.trim_start());
        let mut p = party(id, &key, PartyRole::Customer);
        p.notes = s.to_string();
        p.email = s.to_string();
        parties.push(p);
        let mut i = invoice(
            id,
            &key.replace(';', ""),
            id,
            InvoiceKind::Receivable,
            "10.00",
            Currency::EUR,
            date!(2025 - 01 - 01),
            date!(2025 - 01 - 31),
        );
        i.notes = s.to_string();
        invoices.push(i);
        let mut y = payment(
            id,
            id,
            Direction::In,
            "10.00",
            Currency::EUR,
            date!(2025 - 01 - 10),
            &[(id, if k % 2 == 0 { "10.00" } else { "4.00" })],
        );
        y.reference = s.to_string();
        y.notes = s.to_string();
        payments.push(y);
    }
    Ledger::from_records(parties, invoices, payments)
}

#[test]
fn hostile_text_survives_and_is_neutralised() {
    let l = hostile_ledger();
    let m = csv_round_trip(&l);
    for (a, b) in l.parties().iter().zip(m.parties()) {
        assert_eq!((&a.name, &a.email, &a.notes), (&b.name, &b.email, &b.notes));
    }
    for (a, b) in l.invoices().iter().zip(m.invoices()) {
        assert_eq!((&a.number, &a.notes), (&b.number, &b.notes));
    }
    for (a, b) in l.payments().iter().zip(m.payments()) {
        assert_eq!((&a.reference, &a.notes), (&b.reference, &b.notes));
        assert_eq!(
            m.invoice(b.allocations[0].invoice).unwrap().number,
            l.invoice(a.allocations[0].invoice).unwrap().number
        );
    }
    // what a spreadsheet sees: no cell starts with a formula character
    for text in [csv_parties(&l), csv_invoices(&l), csv_payments(&l)] {
        let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        for rec in rdr.records() {
            for cell in rec.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "unneutralised cell {cell:?}"
                );
            }
        }
    }
    let inv = csv_invoices(&l);
    assert!(inv.contains("\n\"'=HYPERLINK"), "{inv}");
    assert!(inv.contains("\n'+1+12,'+1+12,"), "{inv}");
    assert!(inv.contains(",''already quoted,paid"), "{inv}");
    assert!(inv.contains(",'''twice,overdue"), "{inv}");
}

#[test]
fn json_export_then_import_is_lossless() {
    let l = sample();
    let write = |l: &Ledger| {
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        json::write_parties(&mut a, l, l.parties().iter()).unwrap();
        json::write_invoices(&mut b, l, &rules(), l.invoices().iter()).unwrap();
        json::write_payments(&mut c, l, l.payments().iter()).unwrap();
        (
            String::from_utf8(a).unwrap(),
            String::from_utf8(b).unwrap(),
            String::from_utf8(c).unwrap(),
        )
    };
    let (p, i, y) = write(&l);
    // amounts as strings, one object per line, derived fields present
    assert!(p.starts_with("[\n{\"name\":\"Müller GmbH\",\"role\":\"customer\",\"email\":\"1@example.com\",\"terms_days\":null,\"notes\":\"\"},\n"), "{p}");
    assert!(i.contains("{\"number\":\"JP-1\",\"party\":\"Tanaka KK\",\"kind\":\"receivable\",\"issue_date\":\"2025-04-01\",\"due_date\":\"2025-04-30\",\"amount\":\"12000\",\"currency\":\"JPY\",\"notes\":\"\",\"status\":\"paid\",\"outstanding\":\"0\"}"), "{i}");
    assert!(
        y.contains("\"invoice\":\"INV-000002=100.00;INV-000005=50.00\""),
        "{y}"
    );
    assert!(y.contains("\"unallocated\":\"150.00\""), "{y}");
    // the fingerprint of an imported payment, none for one entered by hand
    assert!(y.contains("\"source\":\"id:002f6a0c19b4e7\"}"), "{y}");
    assert!(
        y.contains("\"source\":\"anonymous:3fffffffffffff\"}"),
        "{y}"
    );
    assert_eq!(y.matches("\"source\":null}").count(), 4, "{y}");
    let v: serde_json::Value = serde_json::from_str(&y).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 6);

    let mut m = Ledger::new();
    let mut ids = IdSeq::default();
    for (text, read) in [
        (
            &p,
            json::read_parties as fn(_, &str, &Ledger, &mut IdSeq) -> _,
        ),
        (&i, json::read_invoices),
        (&y, json::read_payments),
    ] {
        let plan = read(Cursor::new(text.as_bytes()), "x.json", &m, &mut ids).unwrap();
        m.apply(&plan.changes);
    }
    assert_eq!(write(&m), (p, i, y.clone()));
    assert_eq!(
        m.payments().iter().map(|p| p.source).collect::<Vec<_>>(),
        l.payments().iter().map(|p| p.source).collect::<Vec<_>>()
    );
    // and the CSV of both is the same too
    assert_eq!(csv_payments(&m), csv_payments(&l));
    // importing it again adds nothing: every row is a duplicate
    let again = json::read_payments(Cursor::new(y.as_bytes()), "x.json", &m, &mut ids).unwrap();
    assert_eq!((again.records, again.duplicates.len()), (0, 6));
    assert!(!again
        .changes
        .changes
        .iter()
        .any(|c| matches!(c, Change::PutPayment(_) | Change::PutParty(_))));

    let mut empty = Vec::new();
    json::write_payments(&mut empty, &l, [].iter()).unwrap();
    assert_eq!(empty, b"[]\n");
    let plan = json::read_payments(Cursor::new(&b"[]\n"[..]), "x.json", &l, &mut ids).unwrap();
    assert_eq!(plan.records, 0);
}

#[test]
fn json_carries_hostile_text_exactly() {
    let l = hostile_ledger();
    let mut m = Ledger::new();
    let mut ids = IdSeq::default();
    let mut a = Vec::new();
    json::write_parties(&mut a, &l, l.parties().iter()).unwrap();
    let plan = json::read_parties(&a[..], "p.json", &m, &mut ids).unwrap();
    m.apply(&plan.changes);
    let mut b = Vec::new();
    json::write_invoices(&mut b, &l, &rules(), l.invoices().iter()).unwrap();
    let plan = json::read_invoices(&b[..], "i.json", &m, &mut ids).unwrap();
    m.apply(&plan.changes);
    let mut c = Vec::new();
    json::write_payments(&mut c, &l, l.payments().iter()).unwrap();
    let plan = json::read_payments(&c[..], "y.json", &m, &mut ids).unwrap();
    m.apply(&plan.changes);
    // JSON is not neutralised: the text is there as it is, and one object per line
    let text = String::from_utf8(c).unwrap();
    assert!(
        text.contains("\"notes\":\"=HYPERLINK(\\\"http://evil.example\\\""),
        "{text}"
    );
    assert_eq!(text.lines().count(), l.payments().len() + 2);
    assert_eq!(csv_parties(&m), csv_parties(&l));
    assert_eq!(csv_invoices(&m), csv_invoices(&l));
    assert_eq!(csv_payments(&m), csv_payments(&l));
}

fn json_err(read: Reader, text: &str) -> String {
    let l = sample();
    let mut ids = IdSeq::default();
    read(Cursor::new(text.as_bytes()), "in.json", &l, &mut ids)
        .expect_err("import should fail")
        .to_string()
}

fn json_read_payments(
    r: Cursor<&[u8]>,
    n: &str,
    l: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, paytrack::interchange::ImportError> {
    json::read_payments(r, n, l, ids)
}
fn json_read_invoices(
    r: Cursor<&[u8]>,
    n: &str,
    l: &Ledger,
    ids: &mut IdSeq,
) -> Result<ImportPlan, paytrack::interchange::ImportError> {
    json::read_invoices(r, n, l, ids)
}

#[test]
fn json_errors_name_line_and_field() {
    let ok = r#"{"date":"2025-05-01","party":"Müller GmbH","direction":"in","amount":"10.00","currency":"EUR"}"#;
    assert_eq!(
        json_err(
            json_read_payments,
            &format!("[\n{ok},\n{{\"date\":\"2025-05-01\",\"party\":\"X\",\"direction\":\"in\",\"amount\":12.5,\"currency\":\"EUR\"}}\n]")
        ),
        "in.json:3: amount: 12.5 is a JSON number that may not be exact; write it as a string like \"12.50\""
    );
    assert_eq!(
        json_err(json_read_payments, &format!("[\n{ok},\n{{\"colour\":\"red\"}}]")),
        "in.json:3: colour: unknown field (expected: date, party, direction, amount, currency, method, reference, invoice, notes, unallocated, source)"
    );
    assert_eq!(
        json_err(
            json_read_payments,
            &format!("[\n{ok},\n{}]", ok.replace("}", ",\"source\":\"id:xyz\"}"))
        ),
        "in.json:3: source: 'id:xyz' is not a source fingerprint (KIND:HEX, KIND one of id, content, anonymous, HEX at most 14 hex digits below 40000000000000)"
    );
    assert_eq!(
        json_err(
            json_read_payments,
            &format!("[{ok},\n{ok},\n{}]", ok.replace("2025-05-01", "2025-13-01"))
        ),
        "in.json:3: date: '2025-13-01' is not a date (YYYY-MM-DD)"
    );
    assert_eq!(
        json_err(json_read_payments, &format!("[\n{ok},\n{ok}")),
        "in.json:3: the array is not closed: the file ends too early (truncated?)"
    );
    assert_eq!(
        json_err(json_read_payments, &format!("[\n{ok},\n{}", &ok[..30])),
        "in.json:3: the object is not closed: the file ends too early (truncated?)"
    );
    assert!(json_err(json_read_payments, "{}").starts_with("in.json:1: expected a JSON array"));
    // a missing required key counts as empty
    assert_eq!(
        json_err(
            json_read_invoices,
            r#"[{"number":"N-1","party":"P","kind":"receivable","issue_date":"2025-01-01","amount":"1.00","currency":"EUR"}]"#
        ),
        "in.json:1: due_date: the due date is empty"
    );
}

fn csv_err(read: Reader, text: &str) -> String {
    let l = sample();
    let mut ids = IdSeq::default();
    let before = ids;
    let e = read(Cursor::new(text.as_bytes()), "in.csv", &l, &mut ids)
        .expect_err("import should fail")
        .to_string();
    assert_eq!(ids, before, "a failed import must not take ids");
    e
}

const PAY_HEADER: &str = "date,party,direction,amount,currency,method,reference,invoice,notes\n";
const GOOD_PAY: &str = "2025-05-01,Müller GmbH,in,10.00,EUR,card,R1,,\n";

fn pay_err(row: &str) -> String {
    csv_err(
        csv_read_payments,
        &format!("{PAY_HEADER}{GOOD_PAY}{GOOD_PAY}{row}\n{GOOD_PAY}"),
    )
}

#[test]
fn payment_rows_are_validated_with_line_and_field() {
    let cases = [
        (
            "2025-05-01,Müller GmbH,in,\"12,5\",EUR,card,R,,",
            "in.csv:4: amount: '12,5' is not a decimal amount",
        ),
        (
            "2025-05-01,Müller GmbH,in,12.345,EUR,card,R,,",
            "in.csv:4: amount: '12.345' has more decimals than EUR allows (2 decimals)",
        ),
        (
            "2025-05-01,Tanaka KK,in,100.5,JPY,card,R,,",
            "in.csv:4: amount: '100.5' has more decimals than JPY allows (0 decimals)",
        ),
        (
            "2025-05-01,Müller GmbH,in,0.00,EUR,card,R,,",
            "in.csv:4: amount: '0.00' must be greater than zero",
        ),
        (
            "2025-05-01,Müller GmbH,in,,EUR,card,R,,",
            "in.csv:4: amount: the amount is empty",
        ),
        (
            "01.05.2025,Müller GmbH,in,1.00,EUR,card,R,,",
            "in.csv:4: date: '01.05.2025' is not a date (YYYY-MM-DD)",
        ),
        (
            "2025-05-01,Müller GmbH,sideways,1.00,EUR,card,R,,",
            "in.csv:4: direction: 'sideways' is not a direction (expected one of: in out)",
        ),
        (
            "2025-05-01,Müller GmbH,in,1.00,EURO,card,R,,",
            "in.csv:4: currency: 'EURO' is not a currency code (three letters, e.g. EUR)",
        ),
        (
            "2025-05-01,Müller GmbH,in,1.00,EUR,wire,R,,",
            "in.csv:4: method: 'wire' is not a payment method (expected one of: bank_transfer card cash check paypal direct_debit other)",
        ),
        (
            "2025-05-01,,in,1.00,EUR,card,R,,",
            "in.csv:4: party: the party name is empty",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,EUR,card,R,INV-000001=60.00;INV-000002=50.00,",
            "in.csv:4: invoice: allocations sum to 110.00 which is more than the payment's 100.00",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,EUR,card,R,INV-000001=150.00,",
            "in.csv:4: invoice: allocations sum to 150.00 which is more than the payment's 100.00",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,EUR,card,R,INV-000001=,",
            "in.csv:4: invoice: split part 'INV-000001=' has no amount (expected NUMBER=AMOUNT)",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,EUR,card,R,=10.00,",
            "in.csv:4: invoice: split part '=10.00' has no invoice number (expected NUMBER=AMOUNT)",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,EUR,card,R,INV-000001=10.00;;INV-000002=5.00,",
            "in.csv:4: invoice: empty part in the split 'INV-000001=10.00;;INV-000002=5.00' (expected NUMBER=AMOUNT;NUMBER=AMOUNT)",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,EUR,card,R,INV-000001=10.00;INV-000002,",
            "in.csv:4: invoice: split part 'INV-000002' has no amount (expected NUMBER=AMOUNT)",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,EUR,card,R,INV-000001=1x,",
            "in.csv:4: invoice: split part 'INV-000001=1x': '1x' is not a decimal amount",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,EUR,card,R,INV-000001=1.005,",
            "in.csv:4: invoice: split part 'INV-000001=1.005': '1.005' has more decimals than EUR allows (2 decimals)",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,EUR,card,R,INV-000001;INV-000002,",
            "in.csv:4: invoice: 'INV-000001;INV-000002' is not an invoice number; a split needs an amount for each part (NUMBER=AMOUNT;NUMBER=AMOUNT)",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,EUR,card,R,INV-999,",
            "in.csv:4: invoice: no invoice 'INV-999' exists",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,EUR,card,R,INV-000001=10.00;INV-000001=5.00,",
            "in.csv:4: invoice: the same invoice appears twice in the split",
        ),
        (
            "2025-05-01,Acme Supplies Ltd,in,100.00,EUR,card,R,INV-000001,",
            "in.csv:4: invoice: invoice INV-000001 belongs to another party",
        ),
        (
            "2025-05-01,Müller GmbH,in,100.00,USD,card,R,INV-000001,",
            "in.csv:4: invoice: invoice INV-000001 is in EUR, the payment in USD",
        ),
        (
            "2025-05-01,Müller GmbH,out,100.00,EUR,card,R,INV-000001,",
            "in.csv:4: invoice: invoice INV-000001 is receivable, which a payment 'out' cannot settle",
        ),
        (
            "2025-05-01,Brand New Party,in,100.00,EUR,card,R,INV-000001,",
            "in.csv:4: invoice: invoice INV-000001 belongs to another party",
        ),
        (
            "2025-05-01,Müller GmbH,in,1.00,EUR,card,R,",
            "in.csv:4: wrong number of fields: 8 instead of 9 (as in the header)",
        ),
        (
            "2025-05-01,Müller GmbH,in,1.00,EUR,card,R,,,extra",
            "in.csv:4: wrong number of fields: 10 instead of 9 (as in the header)",
        ),
    ];
    for (row, want) in cases {
        assert_eq!(pay_err(row), want, "row: {row}");
    }
}

#[test]
fn line_numbers_are_physical_lines() {
    // a quoted note spanning three lines: the next record starts on line 6
    let text = format!(
        "{PAY_HEADER}{GOOD_PAY}2025-05-01,Müller GmbH,in,1.00,EUR,card,R,,\"a\nb\nc\"\n2025-05-01,Müller GmbH,in,abc,EUR,card,R,,\n"
    );
    assert_eq!(
        csv_err(csv_read_payments, &text),
        "in.csv:6: amount: 'abc' is not a decimal amount"
    );
    // blank lines are skipped but counted
    let text = format!("{PAY_HEADER}\n{GOOD_PAY}\n\n2025-05-01,Müller GmbH,in,abc,EUR,card,R,,\n");
    assert_eq!(
        csv_err(csv_read_payments, &text),
        "in.csv:6: amount: 'abc' is not a decimal amount"
    );
    // CRLF line ends
    let text = format!("{PAY_HEADER}{GOOD_PAY}2025-05-01,Müller GmbH,in,abc,EUR,card,R,,\r\n")
        .replace('\n', "\r\n");
    assert_eq!(
        csv_err(csv_read_payments, &text),
        "in.csv:3: amount: 'abc' is not a decimal amount"
    );
}

#[test]
fn unclosed_quote_is_refused_at_its_record() {
    let text = format!(
        "{PAY_HEADER}{GOOD_PAY}2025-05-01,Müller GmbH,in,1.00,EUR,card,R,,\"never closed\n{GOOD_PAY}{GOOD_PAY}"
    );
    assert_eq!(
        csv_err(csv_read_payments, &text),
        "in.csv:3: unclosed quote: a quoted field starting in this record runs to the end of the file"
    );
    // a stray quote inside an unquoted field is taken literally, not as an opening quote
    let l = sample();
    let mut ids = IdSeq::default();
    let text = format!("{PAY_HEADER}2025-05-01,Müller GmbH,in,1.00,EUR,card,R5\" disk,,\n");
    let plan =
        csv_own::read_payments(Cursor::new(text.as_bytes()), "in.csv", &l, &mut ids).unwrap();
    match &plan.changes.changes[0] {
        Change::PutPayment(p) => assert_eq!(p.reference, "R5\" disk"),
        c => panic!("unexpected {c:?}"),
    }
}

#[test]
fn header_problems_are_refused() {
    assert_eq!(
        csv_err(csv_read_payments, ""),
        "in.csv:1: the file is empty: a header row is required (date, party, direction, amount, currency, method, reference, invoice, notes)"
    );
    assert_eq!(
        csv_err(csv_read_payments, "date,party,direction,amount,currency,colour\n"),
        "in.csv:1: unknown column 'colour' (expected: date, party, direction, amount, currency, method, reference, invoice, notes)"
    );
    assert_eq!(
        csv_err(csv_read_payments, "date,party,direction,currency\n"),
        "in.csv:1: missing column 'amount' (expected: date, party, direction, amount, currency, method, reference, invoice, notes)"
    );
    assert_eq!(
        csv_err(csv_read_invoices, "number,party,kind,amount\n"),
        "in.csv:1: missing columns issue_date, due_date, currency (expected: number, party, kind, issue_date, due_date, amount, currency, notes)"
    );
    assert_eq!(
        csv_err(
            csv_read_payments,
            "date,party,direction,amount,currency,Amount\n"
        ),
        "in.csv:1: column 'amount' appears twice"
    );
    // data where the header should be
    assert!(
        csv_err(csv_read_payments, GOOD_PAY).starts_with("in.csv:1: unknown column '2025-05-01'")
    );
    // parties.csv has no derived columns: `status` is unknown there
    assert!(
        csv_err(csv_read_parties, "name,status\n").starts_with("in.csv:1: unknown column 'status'")
    );
}

const INV_HEADER: &str = "number,party,kind,issue_date,due_date,amount,currency,notes\n";

fn inv_err(row: &str) -> String {
    csv_err(
        csv_read_invoices,
        &format!(
            "{INV_HEADER}N-1,Müller GmbH,receivable,2025-05-01,2025-05-31,10.00,EUR,\n{row}\n"
        ),
    )
}

#[test]
fn invoice_rows_are_validated_with_line_and_field() {
    let cases = [
        (
            "N-2,Müller GmbH,receivable,2025-05-10,2025-05-01,10.00,EUR,",
            "in.csv:3: due_date: due date 2025-05-01 is before the issue date 2025-05-10",
        ),
        (
            "N-2,Müller GmbH,bill,2025-05-01,2025-05-31,10.00,EUR,",
            "in.csv:3: kind: 'bill' is not a kind (expected one of: receivable payable)",
        ),
        (
            "N-2,Müller GmbH,receivable,2025-02-30,2025-05-31,10.00,EUR,",
            "in.csv:3: issue_date: '2025-02-30' is not a date (YYYY-MM-DD)",
        ),
        (
            "N-2,Müller GmbH,receivable,2025-05-01,,10.00,EUR,",
            "in.csv:3: due_date: the due date is empty",
        ),
        (
            "N-2,Müller GmbH,receivable,2025-05-01,2025-05-31,-10.00,EUR,",
            "in.csv:3: amount: '-10.00' is not a decimal amount",
        ),
        (
            "N-2,Müller GmbH,receivable,2025-05-01,2025-05-31,10.00,E1R,",
            "in.csv:3: currency: 'E1R' is not a currency code (three letters, e.g. EUR)",
        ),
        (
            "INV-000001,Müller GmbH,receivable,2025-05-01,2025-05-31,10.00,EUR,",
            "in.csv:3: number: invoice 'INV-000001' already exists",
        ),
        (
            "N-1,Müller GmbH,receivable,2025-05-01,2025-05-31,10.00,EUR,",
            "in.csv:3: number: invoice 'N-1' appears twice in the file (first on line 2)",
        ),
        (
            ",Müller GmbH,receivable,2025-05-01,2025-05-31,10.00,EUR,",
            "in.csv:3: number: the invoice number is empty",
        ),
        (
            "N-2,  ,receivable,2025-05-01,2025-05-31,10.00,EUR,",
            "in.csv:3: party: the party name is empty",
        ),
    ];
    for (row, want) in cases {
        assert_eq!(inv_err(row), want, "row: {row}");
    }
}

#[test]
fn party_rows_are_validated() {
    let h = "name,role,email,terms_days,notes\n";
    assert_eq!(
        csv_err(
            csv_read_parties,
            &format!("{h}New Co,customer,,30,\nnew co,partner,,,\n")
        ),
        "in.csv:3: name: party 'new co' appears twice in the file (first on line 2)"
    );
    assert_eq!(
        csv_err(csv_read_parties, &format!("{h}MÜLLER GMBH,customer,,,\n")),
        "in.csv:2: name: a party named 'Müller GmbH' already exists"
    );
    assert_eq!(
        csv_err(csv_read_parties, &format!("{h}New Co,vendor,,,\n")),
        "in.csv:2: role: 'vendor' is not a party role (expected one of: customer partner both)"
    );
    assert_eq!(
        csv_err(csv_read_parties, &format!("{h}New Co,customer,,30 days,\n")),
        "in.csv:2: terms_days: '30 days' is not a whole number of days"
    );
    // only `name` is required; the role defaults to customer
    let l = Ledger::new();
    let mut ids = IdSeq::default();
    let plan =
        csv_own::read_parties(Cursor::new(&b"name\nSolo\n"[..]), "p.csv", &l, &mut ids).unwrap();
    assert_eq!(plan.new_parties, 1);
    match &plan.changes.changes[0] {
        Change::PutParty(p) => {
            assert_eq!(
                (p.name.as_str(), p.role, p.id),
                ("Solo", PartyRole::Customer, PartyId(1))
            )
        }
        c => panic!("unexpected {c:?}"),
    }
}

#[test]
fn parties_are_created_once_and_roles_widened() {
    let l = sample();
    let mut ids = IdSeq::default();
    ids.cover(&l);
    let start = ids;
    let text = format!(
        "{INV_HEADER}\
         B-1,Müller GmbH,payable,2025-05-01,2025-05-31,10.00,EUR,\n\
         B-2,MÜLLER GMBH,payable,2025-05-01,2025-05-31,10.00,EUR,\n\
         N-1,Nova AG,receivable,2025-05-01,2025-05-31,10.00,EUR,\n\
         N-2,nova ag ,receivable,2025-05-01,2025-05-31,10.00,EUR,\n\
         N-3, NOVA AG,payable,2025-05-01,2025-05-31,10.00,EUR,\n\
         N-4,Solo Ltd,payable,2025-05-01,2025-05-31,10.00,EUR,\n"
    );
    let plan = csv_own::read_invoices(Cursor::new(text.as_bytes()), "i.csv", &l, &mut ids).unwrap();
    assert_eq!(plan.records, 6);
    assert_eq!(plan.new_parties, 2);
    let parties: Vec<&Party> = plan
        .changes
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::PutParty(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(parties.len(), 3, "{parties:?}");
    // existing customer now billed us: widened to both, everything else kept
    let m = parties.iter().find(|p| p.id == PartyId(1)).unwrap();
    assert_eq!(m.role, PartyRole::Both);
    assert_eq!(m.name, "Müller GmbH");
    assert_eq!(m.email, "1@example.com");
    // one new party for three spellings, first spelling kept, both roles
    let nova = parties.iter().find(|p| p.name == "Nova AG").unwrap();
    assert_eq!(nova.role, PartyRole::Both);
    assert_eq!(nova.id, PartyId(start.party));
    let solo = parties.iter().find(|p| p.name == "Solo Ltd").unwrap();
    assert_eq!(solo.role, PartyRole::Partner);
    // parties come before the invoices that use them; ids from the counters
    assert!(matches!(plan.changes.changes[0], Change::PutParty(_)));
    let invs: Vec<&Invoice> = plan
        .changes
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::PutInvoice(i) => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(invs[2].party, nova.id);
    assert_eq!(invs[3].party, nova.id);
    assert_eq!(invs[0].id, InvoiceId(start.invoice));
    assert_eq!(ids.invoice, start.invoice + 6);
    assert_eq!(ids.party, start.party + 2);
    assert_eq!(plan.changes.ids, Some(ids));
}

#[test]
fn columns_by_name_bom_void_and_derived_columns() {
    let l = Ledger::new();
    let mut ids = IdSeq::default();
    let text = std::fs::read("tests/fixtures/interchange/invoices_reordered_bom.csv").unwrap();
    assert!(text.starts_with(b"\xEF\xBB\xBF"));
    let plan =
        csv_own::read_invoices(&text[..], "invoices_reordered_bom.csv", &l, &mut ids).unwrap();
    assert_eq!(plan.records, 3);
    let mut m = Ledger::new();
    m.apply(&plan.changes);
    let a = m.invoice_by_number("A-1").unwrap();
    assert_eq!(a.amount, d("1200"));
    assert_eq!(a.currency, Currency::JPY);
    assert!(!a.void);
    assert_eq!(m.party_name(a.party), "Kobe Trading");
    let b = m.invoice_by_number("A-2").unwrap();
    assert!(b.void, "status 'void' sets void");
    assert_eq!(b.notes, "=not a formula");
    assert_eq!(m.party(b.party).unwrap().role, PartyRole::Partner);

    let text = std::fs::read("tests/fixtures/interchange/payments_minimal.csv").unwrap();
    let plan = csv_own::read_payments(&text[..], "payments_minimal.csv", &m, &mut ids).unwrap();
    assert_eq!(plan.records, 2);
    assert_eq!(plan.new_parties, 0);
    m.apply(&plan.changes);
    let p = &m.payments()[0];
    assert_eq!(p.method, Method::Other, "no method column: other");
    let a = m.invoice_by_number("A-1").unwrap();
    assert_eq!(p.allocations[0].invoice, a.id);
    let s = m.settlement(a, &rules());
    assert_eq!(s.outstanding, d("200"));
}

#[test]
fn failed_import_leaves_nothing_and_takes_no_ids() {
    let l = sample();
    let mut ids = IdSeq::default();
    ids.cover(&l);
    let before = ids;
    let mut text = String::from(PAY_HEADER);
    for _ in 0..100 {
        text.push_str("2025-05-01,Someone New,in,1.00,EUR,card,R,,\n");
    }
    text.push_str("2025-05-01,Someone New,in,1.00,EUR,card,R,NOPE,\n");
    let e =
        csv_own::read_payments(Cursor::new(text.as_bytes()), "p.csv", &l, &mut ids).unwrap_err();
    assert_eq!(e.line, 102);
    assert_eq!(e.field.as_deref(), Some("invoice"));
    assert_eq!(ids, before);
}

fn filters() -> Vec<SavedFilter> {
    vec![
        SavedFilter {
            name: "late".into(),
            query: "status:overdue party:\"Müller GmbH\"".into(),
            pin: Some(1),
        },
        SavedFilter {
            name: "unlinked".into(),
            query: "unlinked -dir:out".into(),
            pin: None,
        },
    ]
}

fn backup_text(l: &Ledger, f: &[SavedFilter], ids: IdSeq) -> String {
    let mut out = Vec::new();
    backup::write(&mut out, l, f, ids).unwrap();
    String::from_utf8(out).unwrap()
}

fn assert_same(l: &Ledger, c: &backup::BackupContents) {
    assert_eq!(c.parties.as_slice(), l.parties());
    assert_eq!(c.invoices.as_slice(), l.invoices());
    assert_eq!(c.payments.as_slice(), l.payments());
    // Decimal equality ignores scale: compare the exact text too
    for (a, b) in c.payments.iter().zip(l.payments()) {
        assert_eq!(a.amount.to_string(), b.amount.to_string());
    }
}

#[test]
fn backup_round_trip_is_lossless() {
    let l = sample();
    let ids = IdSeq {
        party: 10,
        invoice: 20,
        payment: 30,
    };
    let text = backup_text(&l, &filters(), ids);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("paytrack-backup 3"));
    assert_eq!(
        lines.next(),
        Some("{\"type\":\"ids\",\"party\":10,\"invoice\":20,\"payment\":30}")
    );
    assert_eq!(
        text.lines().last(),
        Some("{\"type\":\"end\",\"parties\":3,\"invoices\":7,\"payments\":6,\"filters\":2,\"follow_ups\":0}")
    );
    // header, ids, parties, invoices, payments, filters, reminder settings, end
    assert_eq!(text.lines().count(), 1 + 1 + 3 + 7 + 6 + 2 + 1 + 1);
    let c = backup::read(text.as_bytes(), "b").unwrap();
    assert_same(&l, &c);
    assert_eq!(c.filters, filters());
    assert_eq!(c.ids, ids);
    // writing what was read gives the same bytes
    let m = Ledger::from_records(c.parties, c.invoices, c.payments);
    assert_eq!(backup_text(&m, &c.filters, c.ids), text);
    // counters below the ids in use are raised
    let c = backup::read(backup_text(&l, &[], IdSeq::default()).as_bytes(), "b").unwrap();
    assert_eq!(
        c.ids,
        IdSeq {
            party: 4,
            invoice: 8,
            payment: 7
        }
    );
}

#[test]
fn backup_refuses_truncated_and_malformed_files() {
    let l = sample();
    let text = backup_text(&l, &filters(), IdSeq::default());
    let err = |t: &str| {
        backup::read(t.as_bytes(), "paytrack.backup")
            .unwrap_err()
            .to_string()
    };
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len();
    // cut at a line boundary: no end record
    let cut = lines[..n - 1].join("\n") + "\n";
    assert_eq!(
        err(&cut),
        format!(
            "paytrack.backup:{n}: truncated: the backup has no end record (the file was cut short)"
        )
    );
    // cut in the middle of a line
    let cut = &text[..text.len() - 30];
    assert_eq!(
        err(cut),
        format!("paytrack.backup:{n}: truncated: the file ends in the middle of a record (the backup is incomplete)")
    );
    // a record lost in the middle: the counts do not match
    let mut lost = lines.clone();
    lost.remove(17);
    assert_eq!(
        err(&(lost.join("\n") + "\n")),
        format!("paytrack.backup:{}: payments: the end record counts 6 payments but the backup holds 5 (records are missing)", n - 1)
    );
    assert_eq!(
        err(&text.replacen("paytrack-backup 3", "paytrack-backup 4", 1)),
        "paytrack.backup:1: backup version 4 is not supported (this paytrack reads versions 1 to 3)"
    );
    assert!(err("name,role\n").starts_with("paytrack.backup:1: not a paytrack backup"));
    assert_eq!(
        err(""),
        "paytrack.backup:1: the file is empty (not a paytrack backup)"
    );
    let mut bad = lines.clone();
    bad[3] = "{\"type\":\"vendor\",\"id\":9}";
    assert_eq!(
        err(&(bad.join("\n") + "\n")),
        "paytrack.backup:4: type: unknown record type 'vendor' (expected ids, party, invoice, payment, filter, follow_up, reminder_settings or end)"
    );
    let mut bad = lines.clone();
    let inv = lines[6].replace("\"currency\":\"EUR\"", "\"currency\":\"EURO\"");
    bad[6] = &inv;
    assert_eq!(
        err(&(bad.join("\n") + "\n")),
        "paytrack.backup:7: currency: 'EURO' is not a currency code (three letters, e.g. EUR)"
    );
    let mut bad = lines.clone();
    let inv = lines[6].replace("\"void\":false", "\"void\":false,\"colour\":1");
    bad[6] = &inv;
    assert!(err(&(bad.join("\n") + "\n")).starts_with("paytrack.backup:7: unknown field `colour`"));
    let mut bad = lines.clone();
    let inv = lines[6].replace(",\"notes\":\"\"", "");
    bad[6] = &inv;
    assert!(err(&(bad.join("\n") + "\n")).starts_with("paytrack.backup:7: missing field `notes`"));
    let mut bad = lines.clone();
    let pay = lines[12].replace("\"party\":1,", "\"party\":99,");
    bad[12] = &pay;
    assert_eq!(
        err(&(bad.join("\n") + "\n")),
        "paytrack.backup:13: party: party id 99 is not in the backup (before this line)"
    );
    assert_eq!(
        err(&(text.clone() + "{\"type\":\"party\"}\n")),
        format!(
            "paytrack.backup:{}: unexpected data after the end record",
            n + 1
        )
    );
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[=+\\-@'\t\r\n\",;\u{1b}\u{0} a-zé€]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn backup_round_trips_any_text(
        name in "[^\\s]([^\n]{0,10}[^\\s])?",
        notes in arb_text(),
        reference in arb_text(),
        email in arb_text(),
        query in arb_text(),
        amount in 1u64..10_000_000_000,
        scale in 0u32..4,
    ) {
        let mut p = party(1, &name, PartyRole::Both);
        p.notes = notes.clone();
        p.email = email;
        let mut i = invoice(1, &reference, 1, InvoiceKind::Receivable, "1", Currency::EUR,
            date!(2025 - 01 - 01), date!(2025 - 01 - 02));
        i.amount = Decimal::new(amount as i64, scale);
        i.notes = notes.clone();
        let mut y = payment(1, 1, Direction::In, "1", Currency::EUR, date!(2025 - 01 - 01), &[(1, "0.5")]);
        y.amount = Decimal::new(amount as i64, scale);
        y.reference = reference;
        y.notes = notes;
        let l = Ledger::from_records(vec![p], vec![i], vec![y]);
        let f = vec![SavedFilter { name: query.clone(), query, pin: Some(9) }];
        let text = backup_text(&l, &f, IdSeq { party: 2, invoice: 2, payment: 2 });
        prop_assert_eq!(text.lines().count(), 8);
        let c = backup::read(text.as_bytes(), "b").unwrap();
        assert_same(&l, &c);
        prop_assert_eq!(c.filters, f);
    }

    #[test]
    fn csv_round_trips_any_text(notes in arb_text(), reference in arb_text(), email in arb_text()) {
        let mut l = sample();
        let mut p = l.party(PartyId(2)).unwrap().clone();
        p.notes = notes.clone();
        p.email = email;
        l.upsert_party(p);
        let mut i = l.invoice(InvoiceId(3)).unwrap().clone();
        i.notes = notes.clone();
        l.upsert_invoice(i);
        let mut y = l.payment(PaymentId(3)).unwrap().clone();
        y.notes = notes;
        y.reference = reference;
        l.upsert_payment(y);
        csv_round_trip(&l);
    }
}

/// Large-volume check; run with `cargo test --release --test interchange -- --ignored`.
#[test]
#[ignore]
fn million_payments_import_and_export_speed() {
    use std::time::Instant;
    let n = 1_000_000u64;
    let parties: Vec<Party> = (1..=500)
        .map(|i| party(i, &format!("Party {i}"), PartyRole::Both))
        .collect();
    let invoices: Vec<Invoice> = (1..=n / 2)
        .map(|i| {
            invoice(
                i,
                &format!("INV-{i:07}"),
                i % 500 + 1,
                InvoiceKind::Receivable,
                "100.00",
                Currency::EUR,
                date!(2025 - 01 - 01),
                date!(2025 - 01 - 31),
            )
        })
        .collect();
    let payments: Vec<Payment> = (1..=n)
        .map(|i| {
            let inv = (i % (n / 2)) + 1;
            let allocs: Vec<(u64, &str)> = if i % 3 == 0 {
                vec![]
            } else {
                vec![(inv, "60.00")]
            };
            let mut p = payment(
                i,
                inv % 500 + 1,
                Direction::In,
                "60.00",
                Currency::EUR,
                date!(2025 - 01 - 10),
                &allocs,
            );
            p.notes = if i % 7 == 0 {
                "needs a \"quote\", and a comma".into()
            } else {
                String::new()
            };
            p
        })
        .collect();
    // the import goes into the same parties and invoices without the payments (into the
    // ledger that holds them, every row would be a duplicate)
    let bare = Ledger::from_records(parties.clone(), invoices.clone(), Vec::new());
    let l = Ledger::from_records(parties, invoices, payments);
    // CPU time of this thread: the machine may be shared with other builds
    let cpu = || {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes into the timespec we own.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    };
    let (t, c) = (Instant::now(), cpu());
    let mut out = Vec::with_capacity(100 << 20);
    csv_own::write_payments(&mut out, &l, l.payments().iter()).unwrap();
    let (export_wall, export) = (t.elapsed(), cpu() - c);
    let mut ids = IdSeq::default();
    let (t, c) = (Instant::now(), cpu());
    let plan = csv_own::read_payments(&out[..], "p.csv", &bare, &mut ids).unwrap();
    let (import_wall, import) = (t.elapsed(), cpu() - c);
    assert_eq!(plan.records, n as usize);
    eprintln!(
        "export {} MB in {export:?} cpu ({export_wall:?} wall), import in {import:?} cpu \
         ({import_wall:?} wall, {:.0} rows/s)",
        out.len() >> 20,
        n as f64 / import.as_secs_f64()
    );
    let (t, c) = (Instant::now(), cpu());
    let mut dump = Vec::with_capacity(300 << 20);
    backup::write(&mut dump, &l, &[], IdSeq::default()).unwrap();
    let (backup_wall, backup_cpu) = (t.elapsed(), cpu() - c);
    let (t, c) = (Instant::now(), cpu());
    let back = backup::read(&dump[..], "b").unwrap();
    let (restore_wall, restore_cpu) = (t.elapsed(), cpu() - c);
    assert_eq!(back.payments.len(), n as usize);
    eprintln!(
        "backup {} MB in {backup_cpu:?} cpu ({backup_wall:?} wall), read in {restore_cpu:?} cpu \
         ({restore_wall:?} wall)",
        dump.len() >> 20
    );
    // generous bounds (CPU time, shared 2-core machine); unloaded it is about twice as fast
    assert!(import.as_secs_f64() < 1.5, "import took {import:?}");
    assert!(export.as_secs_f64() < 1.0, "export took {export:?}");
}

#[test]
fn version_2_backups_restore_without_fingerprints() {
    let text = backup_text(&sample(), &filters(), IdSeq::default());
    assert!(
        text.contains(",\"source\":\"id:002f6a0c19b4e7\"}\n"),
        "{text}"
    );
    let v2: String = text
        .replacen("paytrack-backup 3", "paytrack-backup 2", 1)
        .lines()
        .map(|l| match l.find(",\"source\":") {
            Some(i) => format!("{}}}\n", &l[..i]),
            None => format!("{l}\n"),
        })
        .collect();
    let b = backup::read(v2.as_bytes(), "old.ptb").unwrap();
    assert_eq!(b.payments.len(), 6);
    assert!(b.payments.iter().all(|p| p.source.is_none()));
    let l = sample();
    for (a, b) in b.payments.iter().zip(l.payments()) {
        assert_eq!(
            Payment {
                source: None,
                ..a.clone()
            },
            Payment {
                source: None,
                ..b.clone()
            }
        );
    }
    // a damaged fingerprint is refused with its line and field
    let bad = text.replacen("id:002f6a0c19b4e7", "id:zz", 1);
    let e = backup::read(bad.as_bytes(), "b.ptb").unwrap_err();
    assert_eq!(e.field.as_deref(), Some("source"), "{e}");
}

#[test]
fn version_1_backups_without_follow_ups_still_restore() {
    let v1 = "paytrack-backup 1\n\
{\"type\":\"ids\",\"party\":2,\"invoice\":1,\"payment\":1}\n\
{\"type\":\"party\",\"id\":1,\"name\":\"Acme\",\"role\":\"customer\",\"email\":\"\",\"terms_days\":null,\"notes\":\"\"}\n\
{\"type\":\"end\",\"parties\":1,\"invoices\":0,\"payments\":0,\"filters\":0}\n";
    let b = paytrack::interchange::backup::read(v1.as_bytes(), "old.ptb").unwrap();
    assert_eq!(b.parties.len(), 1);
    assert!(b.follow_ups.is_empty());
    assert_eq!(b.reminder_settings, None);
}

#[test]
fn payments_imported_before_fingerprints_were_kept_are_still_recognised() {
    use paytrack::interchange::foreign::{self, Extract, PlanOptions, Transaction};
    // as an older paytrack left them: no fingerprint, the source's id as the reference
    let mut acme = party(1, "Acme Corp", PartyRole::Customer);
    acme.email = "ap@acme.test".into();
    let old = |id: u64, reference: &str| Payment {
        reference: reference.into(),
        ..payment(
            id,
            1,
            Direction::In,
            "120.00",
            Currency::EUR,
            date!(2026 - 11 - 02),
            &[],
        )
    };
    let l = Ledger::from_records(
        vec![acme],
        Vec::new(),
        vec![old(1, "FIT-1"), old(2, "November")],
    );
    let row = |line: u64, party: &str, reference: &str, source_id: bool| Transaction {
        line,
        date: date!(2026 - 11 - 02),
        direction: Direction::In,
        amount: d("120.00"),
        currency: Currency::EUR,
        party: party.into(),
        party_assumed: false,
        reference: reference.into(),
        source_id,
        notes: String::new(),
        invoice_hint: String::new(),
        method: Method::BankTransfer,
        fee: false,
    };
    let plan = |rows: Vec<Transaction>| {
        let mut ids = IdSeq::default();
        foreign::plan(
            Extract {
                format: "test".into(),
                rows: rows.len(),
                transactions: rows,
                ..Extract::default()
            },
            "t",
            &l,
            &mut ids,
            PlanOptions {
                match_invoices: true,
                as_of: date!(2026 - 12 - 04),
            },
        )
    };
    // by the id kept as the reference; by content, the party named by its address
    let r = plan(vec![
        row(2, "Someone", "FIT-1", true),
        row(3, "AP@acme.test", "November", false),
        row(4, "AP@acme.test", "December", false),
    ]);
    assert_eq!(r.duplicates, vec![2, 3]);
    assert_eq!(r.payments, 1);
    // the new payment keeps its row's fingerprint: as the file wrote the counterparty
    let Some(Change::PutPayment(p)) = r.plan.changes.changes.last() else {
        panic!("{:?}", r.plan.changes)
    };
    assert_eq!(
        p.source,
        Some(SourceKey::from(foreign::Transaction::key(&row(
            4,
            "AP@acme.test",
            "December",
            false
        ))))
    );
}
