//! Issue 8 item 7: parties, notes and references imported from a CSV file, holding ESC,
//! CSI and OSC sequences (OSC 52 included), 8-bit CSI, C1 controls, BEL, bidi overrides
//! and invisible characters, never reach the terminal raw: not in CSV or JSON output, not
//! in exports printed on the terminal, not in tables, not in error messages quoting a
//! cell. Printed to a terminal (tmux, with `set-clipboard on` so an OSC 52 that got
//! through would land in a paste buffer) the output shows stand-ins; piped, CSV stays
//! byte for byte what the store holds and JSON reads back to the exact strings.
//!
//! The tmux test is skipped (with a message) only when tmux is not installed.

use std::process::Stdio;

mod common;
use common::cli::Env;
use common::tmux::{have_tmux, Tmux, BIN};

/// "PWNED", base64: the clipboard payload.
const PAYLOAD: &str = "UFdORUQ=";

/// (party, reference, notes) of the hostile payment.
fn hostile() -> (String, String, String) {
    let party = "Evil\u{1b}[41mRED\u{1b}[0m \u{202e}proC\u{ad}\u{180e}".to_string();
    let reference = format!("\u{1b}]52;c;{PAYLOAD}\u{7}ref\u{9b}41mcsi8");
    let notes = format!(
        "\u{1b}]2;PWNED-TITLE\u{7}nel\u{85}zw\u{200b}\u{feff}\u{2066}iso\u{2069}tag\u{e0041}\
         bell\u{7}\u{1b}]52;c;{PAYLOAD}\u{1b}\\ line1\nline2\roverwrite"
    );
    (party, reference, notes)
}

/// Quotes a CSV field (RFC 4180).
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

const HEADER: &str = "date,party,direction,amount,currency,method,reference,invoice,notes\n";

/// A store with the hostile payment (and a plain one) imported from a CSV file.
fn hostile_store() -> Env {
    let e = Env::new();
    let (party, reference, notes) = hostile();
    let csv = format!(
        "{HEADER}2026-11-02,{},in,12.50,EUR,bank_transfer,{},,{}\n\
         2026-11-03,Plain Ltd,in,7.00,EUR,cash,plain-ref,,plain notes\n",
        q(&party),
        q(&reference),
        q(&notes)
    );
    let file = e.write("hostile.csv", &csv);
    e.ok(&["import", "payments", file.to_str().unwrap()]);
    e
}

fn is_unsafe(c: char) -> bool {
    paytrack::text::is_unsafe_char(c) || paytrack::text::is_variation_selector(c)
}

#[test]
fn piped_csv_is_byte_exact_and_piped_json_reads_back_exactly() {
    let e = hostile_store();
    let (party, reference, notes) = hostile();
    for args in [
        &["export", "payments"][..],
        &["payments", "--format", "csv"],
    ] {
        let o = e.cmd(args).stdout(Stdio::piped()).output().unwrap();
        assert!(o.status.success(), "{args:?}");
        let text = String::from_utf8(o.stdout).unwrap();
        // the raw bytes are there: nothing was neutralised on the way into a pipe
        assert!(text.contains(&reference), "{args:?}: {text:?}");
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        let row = rows.iter().find(|r| &r[1] == party.as_str()).unwrap();
        assert_eq!((&row[6], &row[8]), (reference.as_str(), notes.as_str()));
    }
    // export -> import into a new store -> export: the same bytes
    let first = e.export_all();
    let other = e.path("again");
    for what in ["parties", "invoices", "payments"] {
        let file = e.write(
            &format!("{what}.csv"),
            &e.run(&["export", what]).stdout.to_string(),
        );
        let o = e.run_on(&other, &["import", what, file.to_str().unwrap()]);
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    assert_eq!(e.export_all_on(&other), first);

    for (args, fields) in [
        (
            &["payments", "--format", "json"][..],
            vec![
                ("party", &party),
                ("reference", &reference),
                ("notes", &notes),
            ],
        ),
        (&["parties", "--format", "json"], vec![("name", &party)]),
        (
            &["export", "payments", "--format", "json"],
            vec![("notes", &notes)],
        ),
    ] {
        let o = e.run(args);
        assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
        assert!(
            !o.stdout.chars().any(|c| c != '\n' && is_unsafe(c)),
            "{args:?}: raw control or format character in {:?}",
            o.stdout
        );
        for esc in ["\\u001b]52;c;", "\\u009b", "\\u202e", "\\u00ad"] {
            if args[0] == "payments" {
                assert!(o.stdout.contains(esc), "{esc} in {}", o.stdout);
            }
        }
        let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
        let rows = v.as_array().unwrap();
        for (key, want) in fields {
            assert!(
                rows.iter().any(|r| r[key].as_str() == Some(want.as_str())),
                "{args:?}: {key} {want:?} not read back from {}",
                o.stdout
            );
        }
    }
}

#[test]
fn error_messages_quoting_a_cell_are_neutralised() {
    let e = Env::new();
    let file = e.write(
        "bad.csv",
        &format!(
            "{HEADER}2026-11-02,Ev\u{ad}il\u{1b}[2J,in,\"12\u{1b}]52;c;{PAYLOAD}\u{7}\u{202e}\",EUR,cash,r,,n\n"
        ),
    );
    let o = e.run(&["import", "payments", file.to_str().unwrap()]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("\u{241b}]52;c;"), "{}", o.stderr);
    assert!(
        !o.stderr.chars().any(|c| c != '\n' && is_unsafe(c)),
        "{:?}",
        o.stderr
    );
    let file = e.write(
        "bad2.csv",
        &format!("{HEADER}2026-11-02,Ev\u{ad}il,in,1,EUR,wire\u{180e}\u{9b}31m,r,,n\n"),
    );
    let o = e.run(&["import", "payments", file.to_str().unwrap(), "--dry-run"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("wire\u{fffd}\u{fffd}31m"), "{}", o.stderr);
    assert!(
        !o.stderr.chars().any(|c| c != '\n' && is_unsafe(c))
            && !o.stdout.chars().any(|c| c != '\n' && is_unsafe(c)),
        "{o:?}"
    );
}

/// Runs `line` in the pane's shell and waits for it to finish (it prints a marker made
/// by the shell, so the typed command line does not match it).
fn run_in(t: &Tmux, n: u32, line: &str) -> String {
    // clear the screen first, so each capture shows one command's output
    t.text(&format!(
        "printf '\\033[H\\033[2J'; {line}; echo end-$(({n}+1000))"
    ));
    t.keys(&["Enter"]);
    let marker = format!("end-{}", n + 1000);
    t.wait(&marker, 60, |s| s.lines().any(|l| l.trim() == marker));
    // wrapped lines joined
    let out = t
        .cmd(&["capture-pane", "-p", "-J", "-t", "main"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn on_a_real_terminal_the_output_shows_no_raw_escapes() {
    if !have_tmux("the output injection test on a terminal") {
        return;
    }
    let e = hostile_store();
    let bad = e.write(
        "bad.csv",
        &format!(
            "{HEADER}2026-11-02,X,in,\"1\u{1b}]52;c;{PAYLOAD}\u{7}\u{1b}[41m\",EUR,cash,r,,n\n"
        ),
    );
    let t = Tmux::start("inject", "env PS1='ptsh$ ' sh");
    // An OSC 52 that reaches tmux becomes a paste buffer, OSC 2 the pane title.
    assert!(t
        .cmd(&["set-option", "-g", "set-clipboard", "on"])
        .status()
        .unwrap()
        .success());
    t.wait_for("ptsh$");
    // The control: raw sequences printed by the shell do all of that.
    let s = run_in(
        &t,
        0,
        "printf '\\033]52;c;Q09OVFJPTA==\\007\\033]2;CTLTITLE\\007\\033[41mCTLRED\\033[0m\\n'",
    );
    assert!(s.contains("CTLRED"), "{s}");
    assert!(
        t.capture_with_escapes().contains("\u{1b}[41mCTLRED"),
        "tmux shows SGR in capture-pane -e: {:?}",
        t.capture_with_escapes()
    );
    let buffers = t.cmd(&["list-buffers"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&buffers.stdout).contains("CONTROL"),
        "this tmux does not turn OSC 52 into a buffer; the test could not see a leak"
    );
    assert_eq!(t.display("#{pane_title}"), "CTLTITLE");
    assert!(t.cmd(&["delete-buffer"]).status().unwrap().success());

    let pt = format!(
        "{BIN} --db {} --today {}",
        e.db().display(),
        common::tmux::TODAY
    );
    let env = format!(
        "env XDG_CONFIG_HOME={} HOME={}",
        e.root.join("config").display(),
        e.root.display()
    );
    let runs: [(&str, &str); 7] = [
        ("payments --format csv", "\u{241b}]52;c;UFdORUQ=\u{2407}ref"),
        ("export payments", "\u{241b}]52;c;UFdORUQ=\u{2407}ref"),
        ("payments --format json", "\\u001b]52;c;UFdORUQ=\\u0007ref"),
        ("parties --format csv", "Evil\u{241b}[41mRED"),
        ("payments", "Evil\u{241b}[41mRED"),
        ("export payments --format json", "\\u001b]2;PWNED-TITLE"),
        (
            &format!("import payments {}", bad.display()),
            "\u{241b}]52;c;UFdORUQ=\u{2407}\u{241b}[41m",
        ),
    ];
    for (n, (args, shows)) in runs.iter().enumerate() {
        let s = run_in(&t, n as u32 + 1, &format!("{env} {pt} {args}"));
        let buffers = t.cmd(&["list-buffers"]).output().unwrap();
        assert!(
            buffers.stdout.is_empty(),
            "{args}: OSC 52 reached the clipboard: {}",
            String::from_utf8_lossy(&buffers.stdout)
        );
        assert_eq!(
            t.display("#{pane_title}"),
            "CTLTITLE",
            "{args}: OSC 2 set the title"
        );
        let raw = t.capture_with_escapes();
        assert!(
            !raw.contains("\u{1b}[41m"),
            "{args}: injected SGR on screen: {raw:?}"
        );
        for c in [
            '\u{202e}', '\u{200b}', '\u{ad}', '\u{9b}', '\u{85}', '\u{feff}',
        ] {
            assert!(!s.contains(c), "{args}: U+{:04X} on screen:\n{s}", c as u32);
        }
        // and the hostile text is there, neutralised
        assert!(s.contains(shows), "{args}: {shows:?} not on screen:\n{s}");
    }
}
