//! `paytrack match` and `paytrack apply-credit` on hand-built stores.

mod common;
use common::cli::Env;

impl Env {
    fn invoice(&self, number: &str, party: &str, due: &str, amount: &str, currency: &str) {
        self.ok(&[
            "add",
            "invoice",
            "--number",
            number,
            "--party",
            party,
            "--issue",
            "2025-01-01",
            "--due",
            due,
            "--amount",
            amount,
            "--currency",
            currency,
        ]);
    }
    fn payment(&self, party: &str, amount: &str, currency: &str, reference: &str) {
        self.ok(&[
            "add",
            "payment",
            "--party",
            party,
            "--direction",
            "in",
            "--amount",
            amount,
            "--currency",
            currency,
            "--date",
            "2025-03-01",
            "--reference",
            reference,
        ]);
    }
    fn outstanding(&self, number: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(&self.ok(&[
            "invoices",
            "--format",
            "json",
            "--filter",
            &format!("invoice:{number}"),
        ]))
        .unwrap();
        v[0]["outstanding"].as_str().unwrap().to_string()
    }
}

/// Exact: Exact Co pays 250 for E-2. Ref: Ref Co names R-1 in the reference. Fifo: 130.50
/// is F-1 + F-2. Twin: two invoices of 100, one payment of 100. Usd: pays in USD only.
fn store() -> Env {
    let e = Env::on("2025-03-20");
    e.invoice("E-1", "Exact Co", "2025-02-01", "100.00", "EUR");
    e.invoice("E-2", "Exact Co", "2025-02-20", "250.00", "EUR");
    e.invoice("R-1", "Ref Co", "2025-02-01", "300.00", "EUR");
    e.invoice("R-2", "Ref Co", "2025-03-01", "40.00", "EUR");
    e.invoice("F-1", "Fifo Co", "2025-01-15", "100.00", "EUR");
    e.invoice("F-2", "Fifo Co", "2025-02-15", "30.50", "EUR");
    e.invoice("F-3", "Fifo Co", "2025-03-15", "500.00", "EUR");
    e.invoice("T-1", "Twin Co", "2025-02-25", "100.00", "EUR");
    e.invoice("T-2", "Twin Co", "2025-03-02", "100.00", "EUR");
    e.invoice("U-1", "Usd Co", "2025-03-01", "75.00", "EUR");
    e.payment("Exact Co", "250.00", "EUR", "transfer");
    e.payment("Ref Co", "120.00", "EUR", "Invoice R-1 part 1");
    e.payment("Fifo Co", "130.50", "EUR", "");
    e.payment("Twin Co", "100.00", "EUR", "");
    e.payment("Usd Co", "75.00", "USD", "U-1");
    e
}

#[test]
fn match_lists_ranked_candidates_with_reasons() {
    let e = store();
    let v: serde_json::Value = serde_json::from_str(&e.ok(&["match", "--format", "json"])).unwrap();
    let by_party = |p: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|m| m["party"] == p)
            .unwrap()
            .clone()
    };
    let exact = by_party("Exact Co");
    assert_eq!(exact["candidates"][0]["invoices"], "E-2=250.00");
    assert!(exact["candidates"][0]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("amount equals outstanding"));
    assert_eq!(exact["unambiguous"], true);
    let r = by_party("Ref Co");
    assert_eq!(r["candidates"][0]["invoices"], "R-1=120.00");
    assert_eq!(r["candidates"][0]["reasons"][0], "number in reference");
    let f = by_party("Fifo Co");
    assert_eq!(f["candidates"][0]["invoices"], "F-1=100.00;F-2=30.50");
    assert_eq!(
        f["candidates"][0]["reasons"][0],
        "oldest 2 invoices sum exactly"
    );
    let t = by_party("Twin Co");
    assert_eq!(t["unambiguous"], false);
    assert!(
        t["candidates"][0]["strong"].as_bool().unwrap()
            && t["candidates"][1]["strong"].as_bool().unwrap()
    );
    let u = by_party("Usd Co");
    assert_eq!(
        u["candidates"].as_array().unwrap().len(),
        0,
        "other currency never matches"
    );
    let only = e.ok(&["match", "--filter", "party:fifo"]);
    assert!(
        only.contains("F-1=100.00;F-2=30.50") && !only.contains("E-2"),
        "{only}"
    );
}

#[test]
fn apply_takes_only_the_unambiguous_ones() {
    let e = store();
    let out = e.ok(&["match", "--apply"]);
    assert!(out.contains("applied 3, left 2"), "{out}");
    assert!(out.contains("ambiguous"), "{out}");
    assert_eq!(e.outstanding("E-2"), "0.00");
    assert_eq!(e.outstanding("E-1"), "100.00");
    assert_eq!(e.outstanding("R-1"), "180.00");
    assert_eq!(e.outstanding("F-1"), "0.00");
    assert_eq!(e.outstanding("F-2"), "0.00");
    assert_eq!(e.outstanding("T-1"), "100.00");
    assert_eq!(e.outstanding("T-2"), "100.00");
    assert_eq!(e.outstanding("U-1"), "75.00");
    let again = e.ok(&["match", "--apply"]);
    assert!(again.contains("applied 0, left 2"), "{again}");
}

#[test]
fn apply_credit_goes_fifo_in_one_change() {
    let e = store();
    let out = e.ok(&["apply-credit", "--party", "Twin Co"]);
    assert!(out.contains("T-1=100.00"), "{out}");
    assert_eq!(e.outstanding("T-1"), "0.00");
    assert_eq!(e.outstanding("T-2"), "100.00");
    let none = e.ok(&["apply-credit", "--party", "Twin Co"]);
    assert!(none.contains("nothing to apply"), "{none}");
    let o = e.run(&["apply-credit", "--party", "Nobody"]);
    let (code, err) = (o.code, o.stderr);
    assert_eq!(code, 1);
    assert!(err.contains("no party named 'Nobody'"), "{err}");
    e.ok(&["apply-credit", "--party", "Usd Co"]);
    assert_eq!(
        e.outstanding("U-1"),
        "75.00",
        "credit in USD never pays EUR"
    );
}
