//! Evidence that holds up: attachments re-hashed by verify and never overwritten, the time an
//! entry was recorded and the time it happened, and the substituted clock said in plain words.

use crate::Env;

fn attached(env: &Env) -> (String, serde_json::Value) {
    let id = env.start_minimal("Evidence test");
    env.write("trace.csv", "time,action\n09:31,sent\n");
    env.breach(["attach", "trace.csv", "--step", "identify"])
        .ok();
    let export: serde_json::Value =
        serde_json::from_str(&env.breach(["export", "--format", "json"]).ok().stdout).unwrap();
    (id, export["attachments"][0].clone())
}

fn stored_path(env: &Env, id: &str, attachment: &serde_json::Value) -> std::path::PathBuf {
    env.store()
        .join("incidents")
        .join(id)
        .join(attachment["stored"].as_str().unwrap())
}

#[test]
fn attachments_are_stored_under_their_full_sha256_and_verify_rehashes_them() {
    let env = Env::new();
    let (id, a) = attached(&env);
    let sha = a["sha256"].as_str().unwrap();
    assert_eq!(a["stored"], format!("attachments/{sha}"));
    assert_eq!(a["name"], "trace.csv");
    let ok = env.breach(["--json", "verify"]).ok().json();
    assert_eq!(ok["attachments_checked"], 1);

    let path = stored_path(&env, &id, &a);
    std::fs::write(&path, "time,action\n09:31,never sent\n").unwrap();
    let out = env.breach(["verify"]).fails(1);
    assert!(
        out.stdout.contains("entry 1: attachment trace.csv")
            && out.stdout.contains(&format!("expected SHA-256 {sha}"))
            && out.stdout.contains("found "),
        "{}",
        out.stdout
    );
    let doc = env.breach(["--json", "verify"]).fails(1).json();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["attachment_problems"][0]["seq"], 1);
    assert_eq!(doc["attachment_problems"][0]["expected"], sha);
    assert!(doc["attachment_problems"][0]["found"].is_string());

    std::fs::remove_file(&path).unwrap();
    let doc = env.breach(["--json", "verify"]).fails(1).json();
    assert!(doc["attachment_problems"][0]["found"].is_null());
    assert!(doc["error"].as_str().unwrap().contains("is missing"));
}

#[test]
fn attaching_the_same_content_again_shares_the_copy_and_a_planted_collision_is_refused() {
    let env = Env::new();
    let (id, a) = attached(&env);
    let path = stored_path(&env, &id, &a);
    let original = std::fs::read(&path).unwrap();
    // The same content under another name: one copy, two entries naming it.
    env.write("copy.csv", std::str::from_utf8(&original).unwrap());
    env.breach(["attach", "copy.csv"]).ok();
    assert_eq!(std::fs::read(&path).unwrap(), original);
    env.breach(["verify"]).ok();

    // A file planted under the name the next content will take, holding something else: the
    // store is damaged there, so the attach is refused and the planted file left alone.
    env.write("new.csv", "other evidence\n");
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(b"other evidence\n"));
    let planted = path.with_file_name(&sha);
    std::fs::write(&planted, "not the content its name says\n").unwrap();
    let before = std::fs::read(env.log_path(&id)).unwrap();
    let out = env.breach(["attach", "new.csv"]).fails(1);
    assert!(
        out.error_line().contains("the store is damaged")
            && out.error_line().contains("nothing was recorded"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read(&planted).unwrap(),
        b"not the content its name says\n"
    );
    assert_eq!(std::fs::read(env.log_path(&id)).unwrap(), before);
}

#[test]
fn at_records_when_something_happened_beside_when_it_was_recorded() {
    let env = Env::new();
    let id = env.start_minimal("At test");
    env.breach([
        "note",
        "Recipient called on Friday",
        "--at",
        "2026-03-06 16:30",
    ])
    .ok();
    let log = std::fs::read_to_string(env.log_path(&id)).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["ts"], "2026-03-10T15:00:00.000Z", "recorded now");
    assert!(last["at"].as_str().unwrap().starts_with("2026-03-0"));
    assert_eq!(last["clock"], "substituted");

    for (at, message) in [
        ("2026-03-20", "in the future"),
        ("2026-02-20", "before the breach was discovered"),
    ] {
        let out = env.breach(["note", "x", "--at", at]).fails(1);
        assert!(out.error_line().contains(message), "{at}: {}", out.stderr);
    }
    // A fact about the breach itself may be dated before its discovery.
    env.breach([
        "facts",
        "--breach-started",
        "2026-02-20",
        "--at",
        "2026-02-21",
    ])
    .ok();
}

#[test]
fn verify_says_which_entries_were_recorded_on_a_substituted_clock() {
    let env = Env::new();
    env.start_minimal("Clock test");
    env.breach(["note", "one"]).ok();
    let doc = env.breach(["--json", "verify"]).ok().json();
    assert_eq!(doc["substituted_clock"], serde_json::json!([0, 1]));
    let out = env.breach(["verify"]).ok();
    assert!(
        out.stdout
            .contains("Entries 0–1 were recorded on a substituted clock (BREACH_NOW)"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_earlier_clock_is_refused_and_records_nothing() {
    let mut env = Env::new();
    let id = env.start_minimal("Clock set back");
    let before = std::fs::read(env.log_path(&id)).unwrap();
    env.set_now("2026-03-09T15:00:00Z");
    let out = env.breach(["note", "written on a clock set back"]).fails(1);
    assert!(
        out.error_line().contains("NOT recorded") && out.error_line().contains("only move forward"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(env.log_path(&id)).unwrap(), before);
}

#[test]
fn a_pinned_runbook_whose_parsed_form_was_edited_fails_verify() {
    let env = Env::new();
    let id = env.start_minimal("Parsed form");
    crate::compat::forge_log(
        &env.log_path(&id),
        "\"required\":true",
        "\"required\":false",
        "the parsed form holds a required step",
    );
    let out = env.breach(["verify"]).fails(1);
    assert!(
        out.stdout.contains("differs from its pinned text"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_recorded_entry_whose_confirmation_cannot_be_printed_says_so_and_exits_0() {
    let env = Env::new();
    let id = env.start_minimal("Confirmation lost");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = env
        .command(["note", "written once"])
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("entry 1 was recorded (head 1:")
            && stderr.contains("do not record it again"),
        "{stderr}"
    );
    let log = std::fs::read_to_string(env.log_path(&id)).unwrap();
    assert_eq!(log.matches("written once").count(), 1);
}

#[test]
fn an_identical_notice_is_refused_unless_again() {
    let env = Env::new();
    env.start_minimal("Notices");
    let notice = [
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-05",
        "--method",
        "first-class-mail",
        "--count",
        "10",
    ];
    env.breach(notice).ok();
    let out = env.breach(notice).fails(1);
    assert!(
        out.error_line()
            .contains("identical notice is already recorded (entry 1")
            && out.error_line().contains("--again"),
        "{}",
        out.stderr
    );
    let mut again = notice.to_vec();
    again.push("--again");
    env.breach(&again).ok();
    // A different count is a different notice.
    let mut other = notice.to_vec();
    other[8] = "11";
    env.breach(&other).ok();
}

#[test]
fn a_letter_carries_no_control_character_to_a_file_or_a_terminal() {
    let env = Env::new();
    env.start_minimal("Letter escapes");
    // OSC 52 writes the clipboard of the terminal that shows it.
    env.breach([
        "facts",
        "--what-happened",
        "An email\u{1b}]52;c;ZXZpbA==\u{7} went astray\r\u{1b}[2K",
    ])
    .ok();
    env.breach(["letter", "individual", "-o", "letter.md"]).ok();
    let letter = std::fs::read_to_string(env.path().join("letter.md")).unwrap();
    assert!(letter.contains("went astray"));
    assert!(
        !letter
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{letter:?}"
    );
    let mut p =
        rexpect::session::spawn_command(env.command(["letter", "individual"]), Some(10_000))
            .unwrap();
    let shown = p.exp_eof().unwrap();
    assert!(shown.contains("went astray"), "{shown}");
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
}

#[test]
fn status_and_every_export_say_which_entries_were_on_a_substituted_clock() {
    let env = Env::new();
    env.start_minimal("Clock in every view");
    env.breach(["note", "Called on Friday", "--at", "2026-03-06T16:30:00Z"])
        .ok();
    let words = "recorded on a substituted clock (BREACH_NOW)";
    let status = env.breach(["status"]).ok().stdout;
    let flat = status.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(words), "{status}");
    let doc = env.breach(["--json", "status"]).ok().json();
    assert_eq!(doc["substituted_clock"], serde_json::json!([[0, 1]]));
    assert!(doc["clock_note"].as_str().unwrap().contains(words));
    for format in ["md", "html", "json", "ics"] {
        let out = env.breach(["export", "--format", format]).ok().stdout;
        let flat = out.replace("\r\n ", "");
        assert!(flat.contains(words), "{format}: {out}");
    }
    let csv = env.breach(["export", "--format", "csv"]).ok().stdout;
    let last = csv.lines().last().unwrap();
    assert!(
        last.contains(",2026-03-06T16:30:00.000Z,substituted,"),
        "the CSV shows when it happened and which clock: {last}"
    );
    let md = env.breach(["export", "--format", "md"]).ok().stdout;
    let row = md.lines().find(|l| l.starts_with("| 1 |")).unwrap();
    let happened = row.split('|').nth(3).unwrap().trim();
    assert!(
        happened.starts_with("2026-03-0"),
        "the report shows when it happened beside when it was recorded: {row}"
    );
}

/// A runbook whose one step asks for a count, a date and a date-time.
const KINDS: &str = r#"id: kinds
title: Evidence kinds
version: "1"
description: Fields of every kind a value is checked against.
scenario: test
phases:
  - phase: contain
    steps:
      - id: count-things
        title: Count things
        instructions: Count them.
        owner: it_admin
        evidence:
          - name: messages
            prompt: How many messages
            type: count
          - name: sent_on
            prompt: When sent
            type: date
          - name: seen_at
            prompt: When seen
            type: date_time
  - phase: recall
    steps:
      - id: r
        title: R
        instructions: R.
        owner: it_admin
  - phase: report
    steps:
      - id: p
        title: P
        instructions: P.
        owner: it_admin
  - phase: notify
    steps:
      - id: n
        title: N
        instructions: N.
        owner: it_admin
  - phase: remediate
    steps:
      - id: m
        title: M
        instructions: M.
        owner: it_admin
"#;

#[test]
fn evidence_values_are_checked_against_what_their_field_holds() {
    let env = Env::new();
    env.write("org/kinds.yaml", KINDS);
    env.breach([
        "--runbooks",
        "org",
        "start",
        "--runbook",
        "kinds",
        "--discovered",
        "2026-03-01",
        "--title",
        "Kinds",
    ])
    .ok();
    let done = |messages: &str, sent_on: &str, seen_at: &str| {
        env.breach([
            "done",
            "count-things",
            "--set",
            &format!("messages={messages}"),
            "--set",
            &format!("sent_on={sent_on}"),
            "--set",
            &format!("seen_at={seen_at}"),
        ])
        .run()
    };
    for (messages, sent_on, seen_at, field, why) in [
        (
            "-4",
            "2026-03-02",
            "2026-03-02 10:00",
            "messages",
            "negative",
        ),
        (
            "61.5",
            "2026-03-02",
            "2026-03-02 10:00",
            "messages",
            "whole",
        ),
        (
            "12",
            "2031-01-01",
            "2026-03-02 10:00",
            "sent_on",
            "after today",
        ),
        (
            "12",
            "2026-03-02",
            "2031-01-01 10:00",
            "seen_at",
            "in the future",
        ),
    ] {
        let out = done(messages, sent_on, seen_at);
        assert_eq!(
            out.code, 1,
            "{messages} {sent_on} {seen_at}: {}",
            out.stderr
        );
        let line = out.error_line();
        assert!(line.contains(field) && line.contains(why), "{line}");
        assert!(
            !line.contains(sent_on) || sent_on == "2026-03-02",
            "the value is not echoed: {line}"
        );
    }
    let ok = done("12", "2026-03-02", "2026-03-02 10:00");
    assert_eq!(ok.code, 0, "{}", ok.stderr);
}
