//! The filter language: parsing, errors, evaluation on a hand-built ledger, the parallel
//! filters against single-record evaluation, highlighting, and properties.

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;
use paytrack::domain::ledger::Ledger;
use paytrack::domain::{
    Allocation, Currency, Direction, Invoice, InvoiceId, InvoiceKind, InvoiceStatus, Method, Party,
    PartyId, PartyRole, Payment, PaymentId, StatusRules,
};
use paytrack::query::{
    filter_invoices, filter_parties, filter_payments, fold, highlight, is_subsequence, parse, Cond,
    EvalContext, Query, RecordKind,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use time::macros::date;
use time::Date;

const TODAY: Date = date!(2025 - 03 - 15);

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn party(id: u64, name: &str, email: &str, notes: &str) -> Party {
    Party {
        id: PartyId(id),
        name: name.into(),
        role: PartyRole::Both,
        email: email.into(),
        terms_days: None,
        notes: notes.into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn invoice(
    id: u64,
    number: &str,
    party: u64,
    kind: InvoiceKind,
    issue: Date,
    due: Date,
    amount: &str,
    cur: Currency,
    notes: &str,
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
        notes: notes.into(),
        void: false,
    }
}

#[allow(clippy::too_many_arguments)]
fn payment(
    id: u64,
    party: u64,
    dir: Direction,
    amount: &str,
    cur: Currency,
    date: Date,
    method: Method,
    reference: &str,
    notes: &str,
    allocs: &[(u64, &str)],
) -> Payment {
    Payment {
        id: PaymentId(id),
        party: PartyId(party),
        direction: dir,
        amount: d(amount),
        currency: cur,
        date,
        method,
        reference: reference.into(),
        notes: notes.into(),
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

/// Today is 2025-03-15.
/// - INV-001 (Müller) paid; INV-002 (Müller) partial and overdue; INV-003 (Acme, USD)
///   open and due soon; BILL-7 (Globex, payable) paid; INV-004 (Acme) void;
///   INV-010 (Acme) open, nothing allocated.
/// - P1 pays INV-001; P2 pays part of INV-002 and leaves 30 unallocated; P3 pays BILL-7
///   by card; P4 is an unlinked PayPal deposit; P5 (dated after today) pays INV-002 more.
fn ledger() -> Ledger {
    use Direction::*;
    use InvoiceKind::*;
    let parties = vec![
        party(
            1,
            "Müller GmbH",
            "buchhaltung@mueller.example",
            "key account",
        ),
        party(2, "Acme Corp", "ap@acme.example", ""),
        party(
            3,
            "Globex Ltd",
            "billing@globex.example",
            "supplier of widgets",
        ),
    ];
    let mut void = invoice(
        5,
        "INV-004",
        2,
        Receivable,
        date!(2025 - 03 - 10),
        date!(2025 - 04 - 30),
        "50",
        Currency::EUR,
        "",
    );
    void.void = true;
    let invoices = vec![
        invoice(
            1,
            "INV-001",
            1,
            Receivable,
            date!(2025 - 01 - 10),
            date!(2025 - 02 - 09),
            "100",
            Currency::EUR,
            "",
        ),
        invoice(
            2,
            "INV-002",
            1,
            Receivable,
            date!(2025 - 02 - 01),
            date!(2025 - 03 - 03),
            "200",
            Currency::EUR,
            "",
        ),
        invoice(
            3,
            "INV-003",
            2,
            Receivable,
            date!(2025 - 03 - 01),
            date!(2025 - 03 - 20),
            "300",
            Currency::USD,
            "late fee",
        ),
        invoice(
            4,
            "BILL-7",
            3,
            Payable,
            date!(2024 - 12 - 01),
            date!(2024 - 12 - 31),
            "80",
            Currency::EUR,
            "",
        ),
        void,
        invoice(
            6,
            "INV-010",
            2,
            Receivable,
            date!(2025 - 03 - 12),
            date!(2025 - 04 - 11),
            "500",
            Currency::EUR,
            "",
        ),
    ];
    let payments = vec![
        payment(
            1,
            1,
            In,
            "100",
            Currency::EUR,
            date!(2025 - 02 - 01),
            Method::BankTransfer,
            "SEPA-1111",
            "",
            &[(1, "100")],
        ),
        payment(
            2,
            1,
            In,
            "80",
            Currency::EUR,
            date!(2025 - 02 - 20),
            Method::Cash,
            "R-2",
            "partial, rest later",
            &[(2, "50")],
        ),
        payment(
            3,
            3,
            Out,
            "80",
            Currency::EUR,
            date!(2025 - 01 - 05),
            Method::Card,
            "CARD-77",
            "",
            &[(4, "80")],
        ),
        payment(
            4,
            2,
            In,
            "40",
            Currency::USD,
            date!(2025 - 03 - 14),
            Method::Paypal,
            "PP-9",
            "deposit",
            &[],
        ),
        payment(
            5,
            1,
            In,
            "20",
            Currency::EUR,
            date!(2025 - 03 - 20),
            Method::BankTransfer,
            "FUTURE",
            "",
            &[(2, "20")],
        ),
    ];
    Ledger::from_records(parties, invoices, payments)
}

fn ctx(l: &Ledger) -> EvalContext<'_> {
    EvalContext::new(l, StatusRules::new(TODAY))
}

/// References of the matching payments (checked against single-record evaluation too).
fn pays(l: &Ledger, q: &str) -> Vec<String> {
    let q = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let c = ctx(l);
    let idx = filter_payments(&c, &q);
    let single: Vec<usize> = (0..l.payments().len())
        .filter(|&i| q.matches_payment(&c, &l.payments()[i]))
        .collect();
    assert_eq!(idx, single, "bulk and single evaluation differ");
    idx.iter()
        .map(|&i| l.payments()[i].reference.clone())
        .collect()
}

/// Numbers of the matching invoices.
fn invs(l: &Ledger, q: &str) -> Vec<String> {
    let q = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let c = ctx(l);
    let idx = filter_invoices(&c, &q);
    let single: Vec<usize> = (0..l.invoices().len())
        .filter(|&i| q.matches_invoice(&c, &l.invoices()[i]))
        .collect();
    assert_eq!(idx, single, "bulk and single evaluation differ");
    idx.iter()
        .map(|&i| l.invoices()[i].number.clone())
        .collect()
}

/// Names of the matching parties.
fn parties(l: &Ledger, q: &str) -> Vec<String> {
    let q = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let c = ctx(l);
    let idx = filter_parties(&c, &q);
    let single: Vec<usize> = (0..l.parties().len())
        .filter(|&i| q.matches_party(&c, &l.parties()[i]))
        .collect();
    assert_eq!(idx, single, "bulk and single evaluation differ");
    idx.iter().map(|&i| l.parties()[i].name.clone()).collect()
}

fn err(q: &str) -> (String, std::ops::Range<usize>) {
    let e = parse(q).expect_err(q);
    (e.message, e.span)
}

// ---------------------------------------------------------------- parsing

#[test]
fn empty_and_blank_queries_match_everything() {
    let l = ledger();
    for q in ["", "   ", " \t "] {
        let query = parse(q).unwrap();
        assert!(query.is_empty());
        assert_eq!(filter_payments(&ctx(&l), &query).len(), 5);
        assert_eq!(filter_invoices(&ctx(&l), &query).len(), 6);
        assert_eq!(filter_parties(&ctx(&l), &query).len(), 3);
    }
    assert!(!parse("x").unwrap().is_empty());
}

#[test]
fn quotes_group_words_and_negation_is_recognised() {
    let q = parse(r#"party:"Müller GmbH" -"late fee" -status:paid "a:b" amount:>5"#).unwrap();
    let t = q.terms();
    assert_eq!(t.len(), 5);
    assert!(matches!(&t[0].cond, Cond::Party(p) if p.text() == "Müller GmbH"));
    assert!(!t[0].negated);
    assert!(matches!(&t[1].cond, Cond::Words(p) if p.text() == "late fee"));
    assert!(t[1].negated);
    assert!(matches!(&t[2].cond, Cond::Status(s) if s == &[InvoiceStatus::Paid]));
    assert!(t[2].negated);
    // quoting makes a field-looking word a plain word
    assert!(matches!(&t[3].cond, Cond::Words(p) if p.text() == "a:b"));
    // spans are byte ranges of the terms as written
    let text = r#"party:"Müller GmbH" -"late fee" -status:paid "a:b" amount:>5"#;
    assert_eq!(&text[t[0].span.clone()], r#"party:"Müller GmbH""#);
    assert_eq!(&text[t[1].span.clone()], r#"-"late fee""#);
    assert_eq!(&text[t[4].span.clone()], "amount:>5");
    // a quoted leading '-' is part of the word; escaped quotes inside quotes
    let q = parse(r#""-x" "say \"hi\"""#).unwrap();
    assert!(matches!(&q.terms()[0].cond, Cond::Words(p) if p.text() == "-x"));
    assert!(!q.terms()[0].negated);
    assert!(matches!(&q.terms()[1].cond, Cond::Words(p) if p.text() == r#"say "hi""#));
    // empty quotes are no term
    assert!(parse(r#""""#).unwrap().is_empty());
}

#[test]
fn field_names_and_values_are_case_insensitive() {
    let l = ledger();
    assert_eq!(pays(&l, "DIR:OUT"), vec!["CARD-77"]);
    assert_eq!(pays(&l, "Method:CARD"), vec!["CARD-77"]);
    assert_eq!(invs(&l, "STATUS:Void"), vec!["INV-004"]);
    assert_eq!(pays(&l, "UNLINKED"), pays(&l, "unlinked"));
}

#[test]
fn unknown_field_suggests_the_nearest() {
    let (m, span) = err("stauts:paid");
    assert_eq!(m, "unknown field 'stauts' (did you mean 'status'?)");
    assert_eq!(span, 0..11);
    // spans are byte offsets, after a multi-byte word
    let text = "Müller ammount:>5";
    let e = parse(text).unwrap_err();
    assert_eq!(
        e.message,
        "unknown field 'ammount' (did you mean 'amount'?)"
    );
    assert_eq!(&text[e.span.clone()], "ammount:>5");
    let (m, _) = err("metod:card");
    assert!(m.contains("did you mean 'method'?"), "{m}");
    let (m, _) = err("xyzzyq:1");
    assert!(m.starts_with("unknown field 'xyzzyq'"), "{m}");
    assert!(m.contains("status") && m.contains("amount"), "{m}");
    // not a field name: plain words with a colon
    assert!(parse("10:30").is_ok());
}

#[test]
fn value_errors_name_the_term() {
    let (m, span) = err("acme amount:>x");
    assert_eq!(m, "'x' is not an amount in 'amount:>x'");
    assert_eq!(span, 5..14);
    let (m, _) = err("status:pad");
    assert!(m.contains("'pad' is not a status"), "{m}");
    assert!(m.contains("did you mean 'paid'?"), "{m}");
    assert!(
        m.contains("open partial paid overdue due-soon void"),
        "valid statuses listed: {m}"
    );
    let (m, _) = err("status:zzz");
    assert!(m.contains("open partial paid overdue due-soon void"), "{m}");
    let (m, _) = err("dir:sideways");
    assert!(m.contains("in out"), "{m}");
    let (m, _) = err("kind:bill");
    assert!(m.contains("receivable payable"), "{m}");
    let (m, _) = err("method:wire");
    assert!(m.contains("bank_transfer"), "{m}");
    let (m, _) = err("currency:EURO");
    assert!(m.contains("'EURO' is not a currency"), "{m}");
    let (m, _) = err("date:2025-13");
    assert!(
        m.contains("'2025-13' is not a date in 'date:2025-13'"),
        "{m}"
    );
    let (m, _) = err("after:soon");
    assert!(m.contains("'soon' is not a date"), "{m}");
    let (m, _) = err("due:<7x");
    assert!(m.contains("'7x' is not a date in 'due:<7x'"), "{m}");
    let (m, _) = err("amount:500..100");
    assert!(m.contains("empty"), "{m}");
    let (m, _) = err("date:2025-03..2025-01");
    assert!(m.contains("empty"), "{m}");
    let (m, span) = err("x status:");
    assert_eq!(m, "'status:' needs a value after ':'");
    assert_eq!(span, 2..9);
    let (m, span) = err("a - b");
    assert!(m.contains("'-'"), "{m}");
    assert_eq!(span, 2..3);
    assert!(parse("amount:..").is_err());
    assert!(parse("amount:-5").is_err());
}

#[test]
fn unclosed_quote_is_an_error_spanning_to_the_end() {
    let text = r#"acme party:"Müller GmbH"#;
    let e = parse(text).unwrap_err();
    assert!(e.message.contains("unclosed quote"), "{}", e.message);
    assert_eq!(e.span, 5..text.len());
    assert!(e.to_string().contains("unclosed quote"));
}

// ---------------------------------------------------------------- fuzzy words

#[test]
fn bare_words_search_party_invoice_reference_and_notes() {
    let l = ledger();
    // party name, case-insensitive with umlauts, fuzzy
    assert_eq!(pays(&l, "MÜLLER"), vec!["SEPA-1111", "R-2", "FUTURE"]);
    assert_eq!(pays(&l, "mllr"), vec!["SEPA-1111", "R-2", "FUTURE"]);
    // invoice number of an allocation
    assert_eq!(pays(&l, "bill7"), vec!["CARD-77"]);
    // reference
    assert_eq!(pays(&l, "pp9"), vec!["PP-9"]);
    // notes
    assert_eq!(pays(&l, "deposit"), vec!["PP-9"]);
    // quoted words are one pattern, spaces included
    assert_eq!(pays(&l, r#""rest later""#), vec!["R-2"]);
    assert!(pays(&l, r#""later rest""#).is_empty());
    // every word must match some field (not necessarily the same one)
    assert_eq!(pays(&l, "müller partial"), vec!["R-2"]);
    assert!(pays(&l, "globex deposit").is_empty());
    // characters out of order do not match
    assert!(pays(&l, "rellüm").is_empty());
    // negated
    assert_eq!(pays(&l, "-müller"), vec!["CARD-77", "PP-9"]);
    // invoices: party, own number, notes (not the party's notes or email)
    assert_eq!(invs(&l, "latefee"), vec!["INV-003"]);
    assert_eq!(invs(&l, "inv010"), vec!["INV-010"]);
    assert_eq!(invs(&l, "globex"), vec!["BILL-7"]);
    assert!(invs(&l, "widgets").is_empty());
    // parties: name, email, notes
    assert_eq!(parties(&l, "widgets"), vec!["Globex Ltd"]);
    assert_eq!(parties(&l, "mueller.example"), vec!["Müller GmbH"]);
    assert_eq!(parties(&l, "corp"), vec!["Acme Corp"]);
    assert_eq!(parties(&l, "-acme -globex"), vec!["Müller GmbH"]);
}

#[test]
fn party_field_matches_the_party_name_only() {
    let l = ledger();
    assert_eq!(
        pays(&l, r#"party:"müller gmbh""#),
        vec!["SEPA-1111", "R-2", "FUTURE"]
    );
    assert!(pays(&l, "party:deposit").is_empty());
    assert_eq!(pays(&l, "-party:müller -party:acme"), vec!["CARD-77"]);
    assert_eq!(
        invs(&l, "party:acme"),
        vec!["INV-003", "INV-004", "INV-010"]
    );
    assert_eq!(parties(&l, "party:glob"), vec!["Globex Ltd"]);
    assert!(parties(&l, "party:widgets").is_empty());
}

#[test]
fn fuzzy_words_are_the_positive_words() {
    let q = parse(r#"acme party:"Müller GmbH" -nope status:paid "late fee""#).unwrap();
    assert_eq!(q.fuzzy_words(), vec!["acme", "Müller GmbH", "late fee"]);
    assert!(parse("status:paid -x").unwrap().fuzzy_words().is_empty());
}

#[test]
fn highlight_marks_matched_chars() {
    let words = parse("mgmbh").unwrap().fuzzy_words();
    let h = highlight("Müller GmbH", &words);
    assert_eq!(h, vec![0, 7, 8, 9, 10]);
    // several words: union, sorted, in chars (not bytes)
    let h = highlight("Müller GmbH", &["ü".into(), "h".into()]);
    assert_eq!(h, vec![1, 10]);
    assert!(highlight("Acme", &["zz".into()]).is_empty());
}

// ---------------------------------------------------------------- structured terms

#[test]
fn status_uses_derived_settlement_as_of_today() {
    let l = ledger();
    assert_eq!(invs(&l, "status:paid"), vec!["INV-001", "BILL-7"]);
    // INV-002 is both partial and overdue; the future payment P5 does not count yet
    assert_eq!(invs(&l, "status:partial"), vec!["INV-002"]);
    assert_eq!(invs(&l, "status:overdue"), vec!["INV-002"]);
    assert_eq!(invs(&l, "status:due-soon"), vec!["INV-003"]);
    assert_eq!(invs(&l, "status:open"), vec!["INV-003", "INV-010"]);
    assert_eq!(invs(&l, "status:void"), vec!["INV-004"]);
    assert_eq!(invs(&l, "status:overdue,void"), vec!["INV-002", "INV-004"]);
    assert_eq!(
        invs(&l, "-status:paid"),
        vec!["INV-002", "INV-003", "INV-004", "INV-010"]
    );
    // payments: any invoice they are allocated to
    assert_eq!(pays(&l, "status:overdue"), vec!["R-2", "FUTURE"]);
    assert_eq!(pays(&l, "status:paid"), vec!["SEPA-1111", "CARD-77"]);
    assert_eq!(pays(&l, "-status:paid"), vec!["R-2", "PP-9", "FUTURE"]);
    // as of a later day P5 counts: INV-002 is 70 short, still partial
    let c = EvalContext::new(&l, StatusRules::new(date!(2025 - 03 - 25)));
    let q = parse("status:partial").unwrap();
    assert_eq!(filter_invoices(&c, &q), vec![1]);
}

#[test]
fn direction_kind_method_currency() {
    let l = ledger();
    assert_eq!(pays(&l, "dir:out"), vec!["CARD-77"]);
    assert_eq!(pays(&l, "kind:payable"), vec!["CARD-77"]);
    assert_eq!(pays(&l, "kind:receivable"), pays(&l, "dir:in"));
    assert_eq!(invs(&l, "dir:out"), vec!["BILL-7"]);
    assert_eq!(invs(&l, "kind:payable"), vec!["BILL-7"]);
    assert_eq!(invs(&l, "-dir:out").len(), 5);
    assert_eq!(pays(&l, "method:card"), vec!["CARD-77"]);
    assert_eq!(
        pays(&l, "method:bank-transfer"),
        vec!["SEPA-1111", "FUTURE"]
    );
    assert_eq!(pays(&l, "method:cash,paypal"), vec!["R-2", "PP-9"]);
    // invoices: any payment allocated to it used that method
    assert_eq!(invs(&l, "method:bank_transfer"), vec!["INV-001", "INV-002"]);
    assert_eq!(invs(&l, "method:card"), vec!["BILL-7"]);
    assert!(invs(&l, "method:paypal").is_empty());
    assert_eq!(pays(&l, "currency:usd"), vec!["PP-9"]);
    assert_eq!(invs(&l, "currency:USD"), vec!["INV-003"]);
    assert_eq!(invs(&l, "currency:usd,eur").len(), 6);
}

#[test]
fn invoice_numbers_exact_or_prefix() {
    let l = ledger();
    assert_eq!(pays(&l, "invoice:inv-002"), vec!["R-2", "FUTURE"]);
    assert!(pays(&l, "invoice:INV-00").is_empty());
    assert_eq!(
        pays(&l, "invoice:INV-00*"),
        vec!["SEPA-1111", "R-2", "FUTURE"]
    );
    assert_eq!(
        pays(&l, "invoice:*"),
        vec!["SEPA-1111", "R-2", "CARD-77", "FUTURE"]
    );
    assert_eq!(invs(&l, "invoice:bill-7"), vec!["BILL-7"]);
    assert_eq!(invs(&l, "invoice:INV-01*"), vec!["INV-010"]);
    assert_eq!(invs(&l, "-invoice:INV*"), vec!["BILL-7"]);
}

#[test]
fn unlinked_payments_and_invoices() {
    let l = ledger();
    // P2 has 30 unallocated, P4 nothing allocated
    assert_eq!(pays(&l, "unlinked"), vec!["R-2", "PP-9"]);
    assert_eq!(
        pays(&l, "-unlinked"),
        vec!["SEPA-1111", "CARD-77", "FUTURE"]
    );
    assert_eq!(invs(&l, "unlinked"), vec!["INV-003", "INV-004", "INV-010"]);
    // quoted, it is a word again
    assert!(pays(&l, r#""unlinked""#).is_empty());
}

#[test]
fn amounts_compare_and_ranges_are_inclusive() {
    let l = ledger();
    assert_eq!(pays(&l, "amount:>80"), vec!["SEPA-1111"]);
    assert_eq!(pays(&l, "amount:>=80"), vec!["SEPA-1111", "R-2", "CARD-77"]);
    assert_eq!(pays(&l, "amount:<40"), vec!["FUTURE"]);
    assert_eq!(pays(&l, "amount:<=40"), vec!["PP-9", "FUTURE"]);
    assert_eq!(pays(&l, "amount:80"), vec!["R-2", "CARD-77"]);
    assert_eq!(pays(&l, "amount:=80.00"), vec!["R-2", "CARD-77"]);
    assert_eq!(pays(&l, "amount:40..80"), vec!["R-2", "CARD-77", "PP-9"]);
    assert_eq!(pays(&l, "amount:..40"), vec!["PP-9", "FUTURE"]);
    assert_eq!(pays(&l, "amount:81.."), vec!["SEPA-1111"]);
    assert_eq!(invs(&l, "amount:>=300"), vec!["INV-003", "INV-010"]);
    assert_eq!(pays(&l, "-amount:>=80"), vec!["PP-9", "FUTURE"]);
}

#[test]
fn dates_months_years_ranges_and_relative() {
    let l = ledger();
    assert_eq!(pays(&l, "date:2025-02"), vec!["SEPA-1111", "R-2"]);
    assert_eq!(pays(&l, "date:2025").len(), 5);
    assert!(pays(&l, "date:2024").is_empty());
    assert_eq!(pays(&l, "date:2025-02-20"), vec!["R-2"]);
    assert_eq!(
        pays(&l, "date:2025-01-05..2025-02-01"),
        vec!["SEPA-1111", "CARD-77"]
    );
    assert_eq!(pays(&l, "date:2025-03-14.."), vec!["PP-9", "FUTURE"]);
    assert_eq!(pays(&l, "date:..2025-01"), vec!["CARD-77"]);
    assert_eq!(pays(&l, "after:2025-02-20"), vec!["PP-9", "FUTURE"]);
    assert_eq!(pays(&l, "before:2025-02-01"), vec!["CARD-77"]);
    assert_eq!(pays(&l, "after:2025-02"), vec!["PP-9", "FUTURE"]);
    // relative to today (2025-03-15)
    assert_eq!(pays(&l, "date:today"), Vec::<String>::new());
    assert_eq!(pays(&l, "date:-1d"), vec!["PP-9"]);
    assert_eq!(pays(&l, "after:today"), vec!["FUTURE"]);
    assert_eq!(pays(&l, "date:-30d.."), vec!["R-2", "PP-9", "FUTURE"]);
    assert_eq!(pays(&l, "date:-30d..today"), vec!["R-2", "PP-9"]);
    assert_eq!(pays(&l, "before:-4w"), vec!["SEPA-1111", "CARD-77"]);
    // invoices use the issue date
    assert_eq!(invs(&l, "date:2024"), vec!["BILL-7"]);
    assert_eq!(invs(&l, "after:2025-03-01"), vec!["INV-004", "INV-010"]);
    // relative dates are resolved when evaluated, not when parsed
    let q = parse("date:-1d").unwrap();
    let later = EvalContext::new(&l, StatusRules::new(date!(2025 - 03 - 21)));
    assert_eq!(filter_payments(&later, &q), vec![4]);
}

#[test]
fn due_compares_days_from_today() {
    let l = ledger();
    // due dates: INV-001 -34d, INV-002 -12d, INV-003 +5d, BILL-7 -74d, INV-004 +46d, INV-010 +27d
    assert_eq!(
        invs(&l, "due:<7d"),
        vec!["INV-001", "INV-002", "INV-003", "BILL-7"]
    );
    assert_eq!(
        invs(&l, "due:>-30d"),
        vec!["INV-002", "INV-003", "INV-004", "INV-010"]
    );
    assert_eq!(invs(&l, "due:<=0d"), vec!["INV-001", "INV-002", "BILL-7"]);
    assert_eq!(invs(&l, "due:5d"), vec!["INV-003"]);
    assert_eq!(invs(&l, "due:<5d").len(), 3);
    assert_eq!(invs(&l, "due:>=4w"), vec!["INV-004"]);
    assert_eq!(invs(&l, "due:0d..30d"), vec!["INV-003", "INV-010"]);
    assert_eq!(invs(&l, "due:<today"), vec!["INV-001", "INV-002", "BILL-7"]);
    assert_eq!(invs(&l, "due:2025-04"), vec!["INV-004", "INV-010"]);
    assert_eq!(invs(&l, "due:>-30d due:<0d"), vec!["INV-002"]);
    // payments: any allocated invoice
    assert_eq!(pays(&l, "due:>-30d"), vec!["R-2", "FUTURE"]);
    assert_eq!(pays(&l, "-due:>-30d"), vec!["SEPA-1111", "CARD-77", "PP-9"]);
}

#[test]
fn terms_are_anded() {
    let l = ledger();
    assert_eq!(
        pays(&l, "müller method:bank_transfer amount:>50"),
        vec!["SEPA-1111"]
    );
    assert_eq!(invs(&l, "acme status:open currency:eur"), vec!["INV-010"]);
    assert!(pays(&l, "dir:in dir:out").is_empty());
}

#[test]
fn parties_accept_only_words_and_party() {
    let l = ledger();
    let q = parse("acme status:paid").unwrap();
    let e = q.check_applies(RecordKind::Party).unwrap_err();
    assert!(
        e.message
            .contains("'status:paid' does not apply to parties"),
        "{}",
        e.message
    );
    assert_eq!(e.span, 5..16);
    assert!(q.check_applies(RecordKind::Payment).is_ok());
    assert!(q.check_applies(RecordKind::Invoice).is_ok());
    assert!(parse("acme -party:x \"a b\"")
        .unwrap()
        .check_applies(RecordKind::Party)
        .is_ok());
    // a term that does not apply matches no party, negated or not
    assert!(parties(&l, "acme status:paid").is_empty());
    assert!(parties(&l, "-method:card").is_empty());
    assert!(parties(&l, "unlinked").is_empty());
}

// ---------------------------------------------------------------- bulk vs single, large

/// A generated ledger big enough for the work to be split over threads.
fn big_ledger(n_payments: u64) -> Ledger {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let names = [
        "Müller GmbH",
        "Acme Corp",
        "Globex Ltd",
        "Initech",
        "Ørsted A/S",
    ];
    let parties: Vec<Party> = (1..=60)
        .map(|i| party(i, &format!("{} {i}", names[(i % 5) as usize]), "", ""))
        .collect();
    let n_inv = n_payments * 4 / 5;
    let invoices: Vec<Invoice> = (1..=n_inv)
        .map(|i| {
            let issue = date!(2024 - 06 - 01) + time::Duration::days(rnd(300) as i64);
            let mut inv = invoice(
                i,
                &format!("INV-{i:06}"),
                1 + rnd(60),
                if rnd(4) == 0 {
                    InvoiceKind::Payable
                } else {
                    InvoiceKind::Receivable
                },
                issue,
                issue + time::Duration::days(30),
                &format!("{}.{:02}", 10 + rnd(900), rnd(100)),
                if rnd(5) == 0 {
                    Currency::USD
                } else {
                    Currency::EUR
                },
                ["", "late fee", "Skonto"][rnd(3) as usize],
            );
            inv.void = rnd(50) == 0;
            inv
        })
        .collect();
    let payments: Vec<Payment> = (1..=n_payments)
        .map(|i| {
            let inv = &invoices[rnd(n_inv) as usize];
            let split = rnd(4);
            let allocs: Vec<(u64, String)> = match split {
                0 => vec![],
                1 => vec![(inv.id.0, "5".into()), (1 + rnd(n_inv), "1".into())],
                _ => vec![(inv.id.0, inv.amount.to_string())],
            };
            let refs: Vec<(u64, &str)> = allocs.iter().map(|(i, a)| (*i, a.as_str())).collect();
            payment(
                i,
                inv.party.0,
                inv.kind.direction(),
                &format!("{}", 10 + rnd(1000)),
                inv.currency,
                inv.issue_date + time::Duration::days(rnd(90) as i64),
                Method::ALL[rnd(7) as usize],
                &format!("REF-{}", rnd(100_000)),
                ["", "deposit", "partial, rest later"][rnd(3) as usize],
                &refs,
            )
        })
        .collect();
    Ledger::from_records(parties, invoices, payments)
}

#[test]
fn parallel_filters_agree_with_single_record_evaluation() {
    let l = big_ledger(40_000);
    let c = EvalContext::new(&l, StatusRules::new(date!(2025 - 01 - 15)));
    let queries = [
        "acme",
        "müller inv-0001",
        "ørsted",
        "-glob",
        "party:init -status:paid",
        "status:overdue",
        "status:partial,open",
        "-status:paid amount:>100",
        "invoice:INV-0012*",
        "due:<7d",
        "-due:>-30d",
        "unlinked",
        "method:card,cash",
        "date:2024-09..2024-11 dir:out",
        "\"late fee\"",
        "rest",
        "ref-123",
        // selective self-contained terms: the others look related records up per row
        "amount:<12 status:overdue",
        "amount:<15 -status:paid acme",
        "amount:<20 invoice:INV-00*",
        "amount:<20 due:<0d",
        "amount:<15 method:card",
        "amount:<15 unlinked",
        "amount:<15 status:open,partial",
    ];
    for text in queries {
        let q = parse(text).unwrap();
        let bulk = filter_payments(&c, &q);
        let single: Vec<usize> = (0..l.payments().len())
            .filter(|&i| q.matches_payment(&c, &l.payments()[i]))
            .collect();
        assert!(
            bulk == single,
            "payments: {text}: {} bulk vs {} single",
            bulk.len(),
            single.len()
        );
        let bulk = filter_invoices(&c, &q);
        let single: Vec<usize> = (0..l.invoices().len())
            .filter(|&i| q.matches_invoice(&c, &l.invoices()[i]))
            .collect();
        assert!(
            bulk == single,
            "invoices: {text}: {} bulk vs {} single",
            bulk.len(),
            single.len()
        );
    }
    // sanity: the queries are selective, not all-or-nothing
    let some = filter_payments(&c, &parse("status:overdue").unwrap()).len();
    assert!(some > 0 && some < l.payments().len());
}

/// The same ledger with ids far apart (no dense per-id tables possible).
fn sparse(l: &Ledger) -> Ledger {
    // (the ledger itself keeps a slot per id, so ids cannot be astronomically large)
    const K: u64 = 100_003;
    let parties = l
        .parties()
        .iter()
        .map(|p| Party {
            id: PartyId(p.id.0 * K),
            ..p.clone()
        })
        .collect();
    let invoices = l
        .invoices()
        .iter()
        .map(|i| Invoice {
            id: InvoiceId(i.id.0 * K),
            party: PartyId(i.party.0 * K),
            ..i.clone()
        })
        .collect();
    let payments = l
        .payments()
        .iter()
        .map(|p| Payment {
            id: PaymentId(p.id.0 * K),
            party: PartyId(p.party.0 * K),
            allocations: p
                .allocations
                .iter()
                .map(|a| Allocation {
                    invoice: InvoiceId(a.invoice.0 * K),
                    amount: a.amount,
                })
                .collect(),
            ..p.clone()
        })
        .collect();
    Ledger::from_records(parties, invoices, payments)
}

#[test]
fn sparse_ids_give_the_same_results() {
    let l = ledger();
    let s = sparse(&l);
    for q in [
        "müller",
        "bill7",
        "party:acme",
        "status:overdue",
        "-status:paid",
        "invoice:INV-00*",
        "due:>-30d",
        "method:bank_transfer",
        "unlinked",
    ] {
        assert_eq!(pays(&s, q), pays(&l, q), "payments: {q}");
        assert_eq!(invs(&s, q), invs(&l, q), "invoices: {q}");
    }
    assert_eq!(parties(&s, "acme"), parties(&l, "acme"));
}

#[test]
fn edits_are_seen_by_the_next_filter_without_any_index() {
    let mut l = ledger();
    let q = parse("zebra").unwrap();
    assert!(filter_payments(&ctx(&l), &q).is_empty());
    let mut p = l.payments()[3].clone();
    p.notes = "Zebra crossing".into();
    l.upsert_payment(p);
    assert_eq!(filter_payments(&ctx(&l), &q), vec![3]);
    let mut party = l.parties()[0].clone();
    party.name = "Zebra AG".into();
    l.upsert_party(party);
    assert_eq!(filter_payments(&ctx(&l), &q), vec![0, 1, 3, 4]);
}

// ---------------------------------------------------------------- properties

fn check_error_span(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = parse(text) {
        prop_assert!(e.span.start <= e.span.end, "{:?} in {:?}", e.span, text);
        prop_assert!(e.span.end <= text.len(), "{:?} in {:?}", e.span, text);
        prop_assert!(text.is_char_boundary(e.span.start));
        prop_assert!(text.is_char_boundary(e.span.end));
        prop_assert!(!e.message.is_empty());
    }
    Ok(())
}

proptest! {
    #[test]
    fn parse_never_panics_and_spans_are_valid(text in any::<String>()) {
        check_error_span(&text)?;
    }

    #[test]
    fn parse_never_panics_on_filter_like_input(
        text in r#"(-?("|[a-z]{1,8}:)?[a-zA-Zü0-9<>=.*,:+"\\ -]{0,12}"?\s*){0,6}"#
    ) {
        check_error_span(&text)?;
        if let Ok(q) = parse(&text) {
            // evaluation never panics either
            let l = ledger();
            let c = ctx(&l);
            let _ = filter_payments(&c, &q);
            let _ = filter_invoices(&c, &q);
            let _ = filter_parties(&c, &q);
            for t in q.terms() {
                prop_assert!(t.span.end <= text.len());
                prop_assert_eq!(&text[t.span.clone()], t.text.as_str());
            }
        }
    }

    /// Filtering uses a subsequence scan; it must agree with SkimMatcherV2 on folded text.
    #[test]
    fn subsequence_agrees_with_skim_matcher(
        hay in r"[a-zA-Z0-9äöüÄÖÜß\x{130}\x{212A}\x{3A3}\x{10} ._-]{0,24}",
        word in r"[a-zA-Z0-9äöüÄÖÜß\x{130}\x{212A}\x{3C3} ._-]{0,4}",
    ) {
        let m = SkimMatcherV2::default().respect_case();
        let pattern: Vec<char> = fold(&word).chars().collect();
        prop_assert_eq!(
            is_subsequence(&hay, &pattern),
            m.fuzzy_match(&fold(&hay), &fold(&word)).is_some()
        );
    }
}

#[test]
fn query_default_is_empty_and_from_str_parses() {
    assert!(Query::default().is_empty());
    let q: Query = "status:paid".parse().unwrap();
    assert_eq!(q, parse("status:paid").unwrap());
    assert!("stauts:paid".parse::<Query>().is_err());
}
