//! Corrections, never edits: `breach void SEQ --reason` withdraws an entry recorded by mistake.
//! The withdrawn entry stays in the log and every export, marked void with who withdrew it, when
//! and why; status, the clock and the facts are as if it had not been recorded; a void of a void
//! restores; what cannot be withdrawn is refused with the reason, recording nothing. Dates are
//! those of the notice tests: discovered 2026-03-01, every HIPAA notice due 2026-04-30.

use serde_json::Value;

use crate::{ASSESS_NOTIFICATION_REQUIRED, Env, backends};

/// An incident that owes the media of Texas a notice: 700 affected, all in Texas.
fn owing_media_notice(env: &Env) {
    env.start_minimal("Voids");
    env.breach(["facts", "--affected", "700", "--state", "TX=700"])
        .ok();
    env.breach(ASSESS_NOTIFICATION_REQUIRED).ok();
}

/// Records `args` and returns the sequence number of the entry it wrote.
fn recorded(env: &Env, args: &[&str]) -> u64 {
    let mut all = vec!["--json"];
    all.extend(args);
    env.breach(all).ok().json()["head"]["seq"].as_u64().unwrap()
}

fn media_status(env: &Env) -> String {
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    doc["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == "media_notice")
        .unwrap_or_else(|| panic!("no media_notice in {doc}"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn timeline_row(env: &Env, seq: u64) -> Value {
    let doc = env
        .breach(["--json", "export", "--format", "json"])
        .ok()
        .json();
    doc["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["seq"] == seq)
        .unwrap_or_else(|| panic!("no entry {seq} in the timeline"))
        .clone()
}

/// The JSON export's timeline and entries: each entry of the log once, in order, though a log
/// with voids is replayed twice (the export copies the lines it verified as it reads them).
fn assert_export_holds_each_entry_once(env: &Env) {
    let doc = env
        .breach(["--json", "export", "--format", "json"])
        .ok()
        .json();
    let n = entries(env);
    for part in ["timeline", "entries"] {
        let seqs: Vec<u64> = doc[part]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, (0..n).collect::<Vec<_>>(), "{part}");
    }
    let last = &doc["entries"][n as usize - 1];
    assert_eq!(last["hash"], doc["verification"]["head"]["hash"]);
    assert!(last["line"].as_str().unwrap().ends_with(&format!(
        "\"hash\":\"{}\"}}",
        last["hash"].as_str().unwrap()
    )));
}

fn entries(env: &Env) -> u64 {
    env.breach(["--json", "status"]).ok().json()["entries"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_voided_media_notice_no_longer_counts_and_stays_in_the_record_marked_void() {
    for env in backends() {
        owing_media_notice(&env);
        let test_notice = recorded(
            &env,
            &[
                "notify",
                "--to",
                "media",
                "--date",
                "2026-03-09",
                "--method",
                "press-release",
                "--state",
                "TX",
            ],
        );
        assert_eq!(media_status(&env), "met", "{}", env.backend());
        let out = env
            .breach([
                "void",
                &test_notice.to_string(),
                "--reason",
                "test media notice, never sent",
            ])
            .ok();
        assert!(out.stdout.contains("notice_sent"), "{}", out.stdout);
        let void = test_notice + 1;
        // The clock is as if the notice had not been recorded.
        assert_eq!(media_status(&env), "pending", "{}", env.backend());
        let status = env.breach(["--json", "status"]).ok().json();
        assert_eq!(status["voided"][0]["entry"], test_notice);
        assert_eq!(status["voided"][0]["by_entry"], void);
        assert_eq!(
            status["voided"][0]["reason"],
            "test media notice, never sent"
        );
        assert!(env.breach(["status"]).ok().stdout.contains(&format!(
            "void entry {test_notice}, withdrawn by entry {void}"
        )));
        // The notice stays in every export, marked void, with who, when and why.
        assert_export_holds_each_entry_once(&env);
        let row = timeline_row(&env, test_notice);
        assert_eq!(row["kind"], "notice_sent");
        assert_eq!(row["void"]["by_entry"], void);
        assert_eq!(row["void"]["actor"], "ana.lima");
        assert_eq!(row["void"]["reason"], "test media notice, never sent");
        let md = env.breach(["export", "--format", "md"]).ok().stdout;
        assert!(
            md.contains(&format!("| {test_notice} |")) && md.contains("VOID (withdrawn by entry"),
            "{md}"
        );
        let csv = env.breach(["export", "--format", "csv"]).ok().stdout;
        let header = csv.lines().next().unwrap();
        assert!(header.ends_with(",voided_by,written_by"), "{header}");
        let notice_line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{test_notice},")))
            .unwrap();
        // `voided_by`, then `written_by` (the database login, on a database store).
        let (before_login, _) = notice_line.rsplit_once(',').unwrap();
        assert!(before_login.ends_with(&format!(",{void}")), "{notice_line}");
        // The notice can be recorded again, as if the test one never was.
        assert!(env.breach(["verify"]).ok().stdout.contains("OK"));

        // A void of the void restores the notice.
        let out = env
            .breach([
                "void",
                &void.to_string(),
                "--reason",
                "it was sent after all",
            ])
            .ok();
        assert!(
            out.stdout
                .contains(&format!("entry {test_notice} stands again")),
            "{}",
            out.stdout
        );
        assert_eq!(media_status(&env), "met", "{}", env.backend());
        assert!(timeline_row(&env, test_notice).get("void").is_none());
        assert_eq!(timeline_row(&env, void)["void"]["by_entry"], void + 1);
    }
}

#[test]
fn a_voided_change_of_facts_leaves_the_facts_as_they_were() {
    let env = Env::new();
    owing_media_notice(&env);
    let wrong = recorded(&env, &["facts", "--affected", "7000", "--state", "TX=7000"]);
    env.breach(["note", "recount under way"]).ok();
    env.breach([
        "void",
        &wrong.to_string(),
        "--reason",
        "typed one zero too many",
    ])
    .ok();
    let facts = env.breach(["--json", "facts"]).ok().json();
    assert_eq!(facts["facts"]["affected"], 700, "{facts}");
    // The export narrates the facts as they stood: the withdrawn change never changed them.
    let later = recorded(&env, &["facts", "--affected", "710", "--state", "TX=710"]);
    let summary = timeline_row(&env, later)["summary"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(summary.contains("from 700 to 710"), "{summary}");
}

#[test]
fn a_void_far_behind_the_state_snapshot_rebuilds_the_state_without_the_entry() {
    let env = Env::new();
    owing_media_notice(&env);
    let early = recorded(&env, &["facts", "--unreachable", "40"]);
    // More entries than a snapshot is kept for, so the state is resumed from one.
    for n in 0..70 {
        env.breach(["note", &format!("call {n} logged")]).ok();
    }
    assert_eq!(
        env.breach(["--json", "facts"]).ok().json()["facts"]["unreachable"],
        40
    );
    env.breach([
        "void",
        &early.to_string(),
        "--reason",
        "that count was another incident's",
    ])
    .ok();
    for _ in 0..2 {
        // Read twice: once rebuilding, once from what the rebuild kept.
        let facts = env.breach(["--json", "facts"]).ok().json();
        assert!(facts["facts"]["unreachable"].is_null(), "{facts}");
    }
    env.breach(["note", "after the void"]).ok();
    assert!(env.breach(["--json", "facts"]).ok().json()["facts"]["unreachable"].is_null());
}

#[test]
fn what_cannot_be_withdrawn_is_refused_with_the_reason_and_nothing_is_recorded() {
    let env = Env::new();
    owing_media_notice(&env);
    let note = recorded(&env, &["note", "wrong incident"]);
    let before = entries(&env);
    let cases: [(&[&str], &str); 6] = [
        (&["void", "0", "--reason", "x"], "breach discard"),
        (&["void", "99", "--reason", "x"], "has no entry 99"),
        (&["void", "-1", "--reason", "x"], ""),
        (&["void", "two", "--reason", "x"], ""),
        (
            &["void", &note.to_string(), "--reason", " "],
            "the reason is empty",
        ),
        (&["void", &note.to_string()], "--reason"),
    ];
    for (args, says) in cases {
        let out = env.breach(args).run();
        assert_ne!(out.code, 0, "{args:?} was accepted");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert_eq!(entries(&env), before, "{args:?} recorded something");
    }
    env.breach([
        "void",
        &note.to_string(),
        "--reason",
        "noted on the wrong incident",
    ])
    .ok();
    let again = env
        .breach(["void", &note.to_string(), "--reason", "twice"])
        .fails(1);
    assert!(
        again.error_line().contains(&format!(
            "entry {note} is already void (entry {} withdrew it)",
            note + 1
        )),
        "{}",
        again.stderr
    );
    // A close is taken back by reopening, and a closed incident takes no void.
    let close = recorded(&env, &["close", "--force", "--reason", "handled elsewhere"]);
    let closed = env
        .breach(["void", &note.to_string(), "--reason", "x"])
        .fails(1);
    assert!(
        closed.error_line().contains("reopen it"),
        "{}",
        closed.stderr
    );
    env.breach(["reopen", "--reason", "not handled after all"])
        .ok();
    let refused = env
        .breach(["void", &close.to_string(), "--reason", "x"])
        .fails(1);
    assert!(
        refused
            .error_line()
            .contains("incident_closed) cannot be voided")
            && refused.error_line().contains("breach reopen"),
        "{}",
        refused.stderr
    );
}
