//! `paytrack remind` and `paytrack ladder` on hand-built stores, run as a user would.

mod common;
use common::cli::Env;

const TODAY: &str = "2025-03-20";

impl Env {
    fn invoice(&self, number: &str, party: &str, kind: &str, due: &str, amount: &str) {
        self.ok(&[
            "add",
            "invoice",
            "--number",
            number,
            "--party",
            party,
            "--kind",
            kind,
            "--issue",
            "2025-02-01",
            "--due",
            due,
            "--amount",
            amount,
        ]);
    }
    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = vec!["remind", "--format", "json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(&a)).unwrap()
    }
}

/// Acme: A-1 19 days overdue, A-2 2 days overdue, A-3 disputed, S-1 tiny;
/// Müller: M-1 due in 2 days; Supplier: bill P-1 1 day overdue.
fn store() -> Env {
    let e = Env::on(TODAY);
    e.ok(&[
        "add",
        "party",
        "--name",
        "Acme",
        "--email",
        "ar@acme.example",
    ]);
    e.ok(&[
        "add",
        "party",
        "--name",
        "Müller GmbH",
        "--email",
        "buchhaltung@mueller.example",
    ]);
    e.ok(&["add", "party", "--name", "Supplier", "--role", "partner"]);
    e.invoice("A-1", "Acme", "receivable", "2025-03-01", "100.00");
    e.invoice("A-2", "Acme", "receivable", "2025-03-18", "50.00");
    e.invoice("A-3", "Acme", "receivable", "2025-03-10", "70.00");
    e.invoice("S-1", "Acme", "receivable", "2025-03-01", "0.50");
    e.invoice("M-1", "Müller GmbH", "receivable", "2025-03-22", "200.00");
    e.invoice("P-1", "Supplier", "payable", "2025-03-19", "80.00");
    e.ok(&["edit", "invoice", "A-3", "--disputed"]);
    e.ok(&["ladder", "min-amount", "1"]);
    e
}

fn numbers(r: &serde_json::Value) -> Vec<String> {
    r["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn due_reminders_consolidate_per_party_most_overdue_first() {
    let e = store();
    let v = e.json(&[]);
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 3, "{v:#}");
    assert_eq!(list[0]["party"], "Acme");
    assert_eq!(
        list[0]["level_name"], "third reminder",
        "19 days: the 14-day level"
    );
    assert_eq!(
        numbers(&list[0]),
        ["A-1", "A-2"],
        "disputed and below-minimum left out"
    );
    assert_eq!(list[0]["totals"][0], serde_json::json!(["EUR", "150.00"]));
    assert_eq!(list[1]["party"], "Supplier");
    assert_eq!(list[1]["kind"], "payable");
    assert_eq!(list[2]["party"], "Müller GmbH");
    assert_eq!(list[2]["level_name"], "upcoming");
    let r = e.json(&["--kind", "payable"]);
    assert_eq!(r.as_array().unwrap().len(), 1);
    let table = e.ok(&["remind"]);
    assert!(table.contains("third reminder"), "{table}");
    let csv = e.ok(&["remind", "--format", "csv"]);
    assert!(
        csv.starts_with("party,kind,level,level_name,number,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 5, "{csv}");
}

#[test]
fn levels_before_on_and_after_their_dates() {
    let e = store();
    let level_of = |as_of: &str, party: &str| -> Option<String> {
        let v = e.json(&["--as-of", as_of]);
        v.as_array()
            .unwrap()
            .iter()
            .find(|r| r["party"] == party)
            .map(|r| r["level_name"].as_str().unwrap().to_string())
    };
    // M-1 is due 2025-03-22: upcoming from 03-19, first reminder from 03-23, 7 days on 03-29
    assert_eq!(level_of("2025-03-18", "Müller GmbH"), None);
    assert_eq!(
        level_of("2025-03-19", "Müller GmbH").as_deref(),
        Some("upcoming")
    );
    assert_eq!(
        level_of("2025-03-22", "Müller GmbH").as_deref(),
        Some("upcoming")
    );
    assert_eq!(
        level_of("2025-03-23", "Müller GmbH").as_deref(),
        Some("first reminder")
    );
    assert_eq!(
        level_of("2025-03-28", "Müller GmbH").as_deref(),
        Some("first reminder")
    );
    assert_eq!(
        level_of("2025-03-29", "Müller GmbH").as_deref(),
        Some("second reminder")
    );
    assert_eq!(
        level_of("2025-04-05", "Müller GmbH").as_deref(),
        Some("third reminder")
    );
    assert_eq!(
        level_of("2025-04-21", "Müller GmbH").as_deref(),
        Some("final notice")
    );
}

#[test]
fn snooze_promise_and_payment_pause_or_end_reminders() {
    let e = store();
    e.ok(&["edit", "invoice", "M-1", "--snooze-until", "2025-03-25"]);
    e.ok(&["edit", "invoice", "P-1", "--promise", "2025-03-21"]);
    let parties: Vec<String> = e
        .json(&[])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["party"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(parties, ["Acme"]);
    let later = e.json(&["--as-of", "2025-03-25"]);
    assert_eq!(
        later.as_array().unwrap().len(),
        3,
        "snooze and promise over: {later:#}"
    );
    // A-1 paid meanwhile: only A-2 is left, at its own level
    e.ok(&[
        "add",
        "payment",
        "--party",
        "Acme",
        "--direction",
        "in",
        "--amount",
        "100.00",
        "--date",
        "2025-03-19",
        "--invoice",
        "A-1",
    ]);
    let v = e.json(&[]);
    assert_eq!(numbers(&v[0]), ["A-2"]);
    assert_eq!(v[0]["level_name"], "first reminder");
    // the dispute lifted: A-3 is back
    e.ok(&[
        "edit",
        "invoice",
        "A-3",
        "--undisputed",
        "--snooze-until",
        "none",
    ]);
    let v = e.json(&[]);
    assert_eq!(numbers(&v[0]), ["A-3", "A-2"]);
    e.ok(&["edit", "invoice", "M-1", "--snooze-until", "none"]);
    assert_eq!(e.json(&[]).as_array().unwrap().len(), 2);
}

#[test]
fn mark_sent_is_idempotent_and_check_exit_codes() {
    let e = store();
    let c = e.run(&["remind", "--check"]);
    assert_eq!((c.code, c.stdout.as_str(), c.stderr.as_str()), (3, "", ""));
    let first = e.run(&["remind", "--mark-sent"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("recorded 4 reminder(s)"),
        "{}",
        first.stderr
    );
    let second = e.run(&["remind", "--mark-sent"]);
    assert!(
        second.stderr.contains("recorded 0 reminder(s)"),
        "{}",
        second.stderr
    );
    assert!(
        second.stdout.contains("no reminders due"),
        "{}",
        second.stdout
    );
    let c = e.run(&["remind", "--check"]);
    assert_eq!((c.code, c.stdout.as_str()), (0, ""));
    // the next level brings Acme back
    let c = e.run(&["remind", "--check", "--as-of", "2025-03-25"]);
    assert_eq!(c.code, 3);
    // errors stay 1 and 2
    assert_eq!(e.run(&["remind", "--check", "--as-of", "nope"]).code, 2);
    assert_eq!(e.run(&["remind", "--check", "--mark-sent"]).code, 2);
}

#[test]
fn ladder_edits_from_the_command_line() {
    let e = store();
    e.ok(&[
        "ladder",
        "set-level",
        "--kind",
        "receivable",
        "--offset",
        "-10",
        "--name",
        "early",
        "--subject",
        "Early: {invoices} for {party}",
    ]);
    let shown = e.ok(&["ladder", "show", "--kind", "receivable"]);
    assert!(shown.contains("-10d") && shown.contains("early"), "{shown}");
    let v = e.json(&["--as-of", "2025-03-12"]);
    let m = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["party"] == "Müller GmbH")
        .unwrap();
    assert_eq!(m["level_name"], "early");
    let bad = e.run(&[
        "ladder",
        "set-level",
        "--kind",
        "receivable",
        "--offset",
        "2",
        "--name",
        "x",
        "--subject",
        "{nope}",
    ]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("unknown placeholder {nope}"),
        "{}",
        bad.stderr
    );
    e.ok(&[
        "ladder",
        "remove-level",
        "--kind",
        "receivable",
        "--offset",
        "-10",
    ]);
    assert_eq!(
        e.run(&[
            "ladder",
            "remove-level",
            "--kind",
            "receivable",
            "--offset",
            "-10"
        ])
        .code,
        2
    );
    e.ok(&["ladder", "min-amount", "1000"]);
    assert_eq!(e.run(&["remind", "--check"]).code, 0);
    e.ok(&["ladder", "reset"]);
    assert!(e.ok(&["ladder", "show"]).contains("minimum amount: 0"));
}

/// A small RFC 5322 / mboxrd reader: enough to check what a mail client would see.
mod mail {
    pub struct Message {
        pub headers: Vec<(String, String)>,
        pub body: String,
    }

    impl Message {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }
    }

    fn b64(s: &str) -> Vec<u8> {
        let val = |c: u8| -> u32 {
            match c {
                b'A'..=b'Z' => u32::from(c - b'A'),
                b'a'..=b'z' => u32::from(c - b'a') + 26,
                b'0'..=b'9' => u32::from(c - b'0') + 52,
                b'+' => 62,
                b'/' => 63,
                _ => panic!("not base64: {c}"),
            }
        };
        let mut out = Vec::new();
        for chunk in s.as_bytes().chunks(4) {
            let pad = chunk.iter().filter(|c| **c == b'=').count();
            let mut n = 0u32;
            for (k, c) in chunk.iter().enumerate() {
                n |= if *c == b'=' { 0 } else { val(*c) } << (18 - 6 * k);
            }
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..3 - pad]);
        }
        out
    }

    /// Decodes RFC 2047 `=?utf-8?B?...?=` words (white space between words dropped).
    pub fn decode_words(v: &str) -> String {
        let mut out = String::new();
        let mut rest = v;
        let mut last_was_word = false;
        while let Some(start) = rest.find("=?") {
            let between = &rest[..start];
            if !(last_was_word && between.trim().is_empty()) {
                out.push_str(between);
            }
            let after = &rest[start + 2..];
            let end = after.find("?=").expect("unterminated encoded word");
            let parts: Vec<&str> = after[..end].splitn(3, '?').collect();
            assert!(parts[0].eq_ignore_ascii_case("utf-8") && parts[1].eq_ignore_ascii_case("b"));
            out.push_str(&String::from_utf8(b64(parts[2])).expect("utf-8"));
            rest = &after[end + 2..];
            last_was_word = true;
        }
        out.push_str(rest);
        out
    }

    /// Splits an mboxrd file into messages, unfolding headers and unquoting `>From `.
    pub fn parse_mbox(text: &str) -> Vec<Message> {
        let mut msgs = Vec::new();
        let mut cur: Option<Vec<&str>> = None;
        for line in text.split('\n') {
            if line.starts_with("From ") {
                if let Some(m) = cur.take() {
                    msgs.push(m);
                }
                cur = Some(Vec::new());
                continue;
            }
            cur.as_mut()
                .expect("mbox must start with a From line")
                .push(line);
        }
        msgs.extend(cur);
        msgs.into_iter()
            .map(|lines| {
                let blank = lines.iter().position(|l| l.is_empty()).expect("header end");
                let mut headers: Vec<(String, String)> = Vec::new();
                for l in &lines[..blank] {
                    if l.starts_with(' ') || l.starts_with('\t') {
                        headers.last_mut().expect("continuation").1.push_str(l);
                    } else {
                        let (n, v) = l.split_once(':').expect("header has a colon");
                        headers.push((n.to_string(), v.trim().to_string()));
                    }
                }
                let body = lines[blank + 1..]
                    .iter()
                    .map(|l| {
                        let t = l.trim_start_matches('>');
                        if t.starts_with("From ") && l.starts_with('>') {
                            &l[1..]
                        } else {
                            l
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                Message {
                    headers,
                    body: body.trim_end().to_string(),
                }
            })
            .collect()
    }
}

#[test]
fn mbox_messages_parse_back() {
    let e = store();
    e.ok(&[
        "ladder",
        "set-level",
        "--kind",
        "receivable",
        "--offset",
        "-3",
        "--name",
        "upcoming",
        "--subject",
        "Fällig bald: {invoices}",
        "--body",
        "Hallo {party},\nFrom now on: {total}\n{table}",
    ]);
    let path = e.root.join("out.mbox");
    let out = e.ok(&[
        "remind",
        "--mbox",
        path.to_str().unwrap(),
        "--from",
        "billing@us.example",
    ]);
    assert!(out.contains("wrote 3 message(s)"), "{out}");
    let text = std::fs::read_to_string(&path).unwrap();
    let msgs = mail::parse_mbox(&text);
    assert_eq!(msgs.len(), 3);
    for m in &msgs {
        for h in ["From", "To", "Subject", "Date", "Message-ID"] {
            assert!(m.header(h).is_some(), "{h} missing");
        }
        assert_eq!(m.header("Content-Type"), Some("text/plain; charset=utf-8"));
        assert_eq!(m.header("Content-Transfer-Encoding"), Some("8bit"));
        assert_eq!(m.header("Date"), Some("Thu, 20 Mar 2025 00:00:00 +0000"));
    }
    let acme = &msgs[0];
    assert_eq!(acme.header("To"), Some("\"Acme\" <ar@acme.example>"));
    assert_eq!(
        acme.header("Subject"),
        Some("Third reminder: A-1, A-2 (19 days overdue)")
    );
    assert!(
        acme.body
            .contains("A-1      2025-03-01   100.00 EUR  19 days overdue"),
        "{}",
        acme.body
    );
    assert!(acme.body.contains("Total outstanding: 150.00 EUR"));
    let supplier = &msgs[1];
    assert_eq!(
        supplier.header("To"),
        Some("\"paytrack\" <billing@us.example>")
    );
    let m = &msgs[2];
    assert_eq!(
        mail::decode_words(m.header("To").unwrap()),
        "Müller GmbH <buchhaltung@mueller.example>"
    );
    assert_eq!(
        mail::decode_words(m.header("Subject").unwrap()),
        "Fällig bald: M-1"
    );
    assert!(
        m.body
            .starts_with("Hallo Müller GmbH,\nFrom now on: 200.00 EUR"),
        "{}",
        m.body
    );
    assert!(
        text.contains("\n>From now on"),
        "From-lines in bodies are quoted"
    );
    // appending keeps earlier messages; nothing was marked sent without --mark-sent
    e.ok(&["remind", "--mbox", path.to_str().unwrap(), "--mark-sent"]);
    assert_eq!(
        mail::parse_mbox(&std::fs::read_to_string(&path).unwrap()).len(),
        6
    );
    assert_eq!(e.run(&["remind", "--check"]).code, 0);
}

#[test]
fn sendmail_gets_one_message_per_party() {
    let e = store();
    let dir = e.root.join("sent");
    std::fs::create_dir(&dir).unwrap();
    let cmd = format!("cat > \"{}/$(date +%s%N)-$$.eml\"", dir.display());
    let out = e.ok(&["remind", "--sendmail", &cmd, "--kind", "receivable"]);
    assert!(out.contains("sent 2 message(s)"), "{out}");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 2);
    let failing = e.run(&["remind", "--sendmail", "exit 1"]);
    assert_eq!(failing.code, 1);
    assert!(failing.stderr.contains("failed"), "{}", failing.stderr);
}
