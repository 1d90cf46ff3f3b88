//! The conformance suite every store backend must pass: the same scenarios, through the real
//! binary, on the directory store and on PostgreSQL (a database of its own in the cluster the
//! suite starts, see `pg`). A new backend is added to [`conformance!`] and must pass them all
//! before any command may be run on it.
//!
//! Each scenario is a plain function of an [`Env`] whose store is the backend under test; it
//! asserts what a person or a script relies on, the same whatever keeps the record.

use serde_json::Value;

use crate::{ASSESS_NOTIFICATION_REQUIRED, Env, IDENTIFY_MESSAGE_EVIDENCE};

/// Runs every scenario on every backend, one test each, so that a failure names both.
macro_rules! conformance {
    ($($scenario:ident),+ $(,)?) => {
        mod directory {
            $(
                #[test]
                fn $scenario() {
                    super::$scenario(&crate::Env::new());
                }
            )+
        }

        mod postgresql {
            $(
                #[test]
                fn $scenario() {
                    // Without PostgreSQL installed (and not required) there is nothing to run.
                    if let Some(env) = crate::Env::postgres() {
                        super::$scenario(&env);
                    }
                }
            )+
        }

        /// The scenarios, counted: the suite is at least as large as the issue that asked
        /// for it said.
        const SCENARIOS: &[&str] = &[$(stringify!($scenario)),+];
    };
}

conformance! {
    start_gives_an_id_that_status_list_and_next_show,
    an_incident_is_found_by_any_unique_part_of_its_title,
    done_records_evidence_and_settles_the_step,
    done_without_required_evidence_is_refused_and_records_nothing,
    a_step_waits_on_its_dependencies,
    skip_and_not_applicable_need_a_reason_and_reopen_undoes_them,
    a_note_is_in_the_timeline,
    an_attachment_is_kept_under_its_sha256_and_verified,
    facts_of_500_or_more_put_hhs_at_60_days,
    facts_under_500_put_hhs_in_the_annual_report,
    a_state_with_more_than_500_residents_needs_media_notice,
    a_low_probability_determination_removes_the_notices,
    a_bound_step_records_its_notice_in_one_entry,
    a_notice_meets_the_obligation_it_answers,
    close_waits_for_required_steps_unless_forced_with_a_reason,
    a_discarded_incident_is_kept_but_not_listed,
    every_write_prints_the_head_that_verify_finds,
    a_kept_head_that_is_not_in_the_log_fails_verify,
    the_json_export_rebuilds_the_log_byte_for_byte,
    every_export_format_names_the_incident_and_its_head,
    deadlines_all_lists_the_obligations_of_every_open_incident,
    the_annual_report_lists_the_small_breaches_of_its_year,
    push_and_pull_move_an_incident_without_changing_a_byte,
    concurrent_writers_never_lose_or_fork_an_entry,
    an_entry_dated_with_at_keeps_both_times,
    text_that_looks_like_an_identifier_is_refused_without_a_terminal,
    a_closed_incident_takes_notes_only,
    the_runbook_is_pinned_into_the_incident,
    a_time_stamp_over_a_closed_record_is_recorded_and_verified,
}

#[test]
fn the_suite_has_at_least_25_scenarios() {
    assert!(SCENARIOS.len() >= 25, "{} scenarios", SCENARIOS.len());
}

fn head_of(out: &Value) -> String {
    format!(
        "{}:{}",
        out["head"]["seq"],
        out["head"]["hash"].as_str().expect("a head hash")
    )
}

fn entries(env: &Env, id: &str) -> usize {
    env.log_text(id).lines().count()
}

fn step_state(env: &Env, step: &str) -> String {
    let status = env.breach(["--json", "status"]).ok().json();
    status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == step)
        .unwrap_or_else(|| panic!("no step {step}"))["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn obligation<'a>(doc: &'a Value, key: &str) -> Option<&'a Value> {
    doc["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == key)
}

fn assess(env: &Env, determination: &str) {
    let mut args: Vec<&str> = ASSESS_NOTIFICATION_REQUIRED.to_vec();
    if determination == "low-probability" {
        // Every factor low: a determination that holds together.
        for arg in args.iter_mut() {
            match *arg {
                "medium" | "high" => *arg = "low",
                "notification-required" => *arg = "low-probability",
                _ => {}
            }
        }
    }
    env.breach(args).ok();
}

fn start_gives_an_id_that_status_list_and_next_show(env: &Env) {
    let id = env.start_minimal("Lab results to the wrong address");
    let status = env.breach(["--json", "status"]).ok().json();
    assert_eq!(status["id"], id.as_str());
    assert_eq!(status["state"], "open");
    assert_eq!(status["head"]["seq"], 0);
    let list = env.breach(["--json", "list"]).ok().json();
    assert_eq!(list["incidents"][0]["id"], id.as_str());
    assert_eq!(
        list["incidents"][0]["title"],
        "Lab results to the wrong address"
    );
    let next = env.breach(["--json", "next"]).ok().json();
    let ids: Vec<&str> = next["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"identify"), "{ids:?}");
    assert!(
        !ids.contains(&"recall"),
        "recall waits on identify: {ids:?}"
    );
}

fn an_incident_is_found_by_any_unique_part_of_its_title(env: &Env) {
    let first = env.start_minimal("Fax to the wrong pharmacy");
    let second = env.start_minimal("Mailbox taken over");
    let found = env
        .breach(["--json", "-i", "pharmacy", "status"])
        .ok()
        .json();
    assert_eq!(found["id"], first.as_str());
    let found = env
        .breach(["--json", "-i", "MAILBOX", "status"])
        .ok()
        .json();
    assert_eq!(found["id"], second.as_str());
    let both = env.breach(["-i", "2026", "status"]).fails(1);
    assert!(
        both.error_line().contains("matches several incidents"),
        "{}",
        both.stderr
    );
    let ambiguous = env.breach(["status"]).fails(1);
    assert!(ambiguous.error_line().contains("2 incidents are open"));
}

fn done_records_evidence_and_settles_the_step(env: &Env) {
    let id = env.start_minimal("Evidence");
    let out = env
        .breach([
            "--json",
            "done",
            "identify",
            "--set",
            "message_id=<a1@example.org>",
            "--set",
            "recipients=2",
            "--set",
            "kind=external",
        ])
        .ok()
        .json();
    assert_eq!(out["head"]["seq"], 1);
    assert_eq!(step_state(env, "identify"), "done");
    let line = env.log_text(&id).lines().nth(1).unwrap().to_owned();
    assert!(line.contains("\"kind\":\"step_done\""), "{line}");
    assert!(line.contains("<a1@example.org>"), "{line}");
}

fn done_without_required_evidence_is_refused_and_records_nothing(env: &Env) {
    let id = env.start_minimal("Missing evidence");
    let before = env.log_bytes(&id);
    let out = env
        .breach(["done", "identify", "--set", "message_id=<a@example.org>"])
        .run();
    assert_ne!(out.code, 0);
    assert!(out.error_line().contains("recipients"), "{}", out.stderr);
    assert_eq!(env.log_bytes(&id), before, "nothing recorded");
    assert_eq!(step_state(env, "identify"), "open");
}

fn a_step_waits_on_its_dependencies(env: &Env) {
    env.start_minimal("Dependencies");
    let out = env
        .breach(["done", "recall", "--set", "recalled=yes"])
        .run();
    assert_ne!(out.code, 0);
    assert!(out.error_line().contains("identify"), "{}", out.stderr);
    assert_eq!(step_state(env, "recall"), "open");
}

fn skip_and_not_applicable_need_a_reason_and_reopen_undoes_them(env: &Env) {
    env.start_minimal("Settling");
    env.breach(["skip", "report-internally"]).fails(2);
    env.breach(["skip", "report-internally", "--reason", "Told in person"])
        .ok();
    assert_eq!(step_state(env, "report-internally"), "skipped");
    env.breach(["na", "retrain", "--reason", "No staff involved"])
        .ok();
    assert_eq!(step_state(env, "retrain"), "not_applicable");
    env.breach(["reopen", "retrain", "--reason", "Staff were involved"])
        .ok();
    assert_eq!(step_state(env, "retrain"), "open");
}

fn a_note_is_in_the_timeline(env: &Env) {
    env.start_minimal("Notes");
    env.breach(["note", "Recipient called back and confirmed deletion"])
        .ok();
    let doc = env.breach(["export", "--format", "json"]).ok().json();
    let text = doc.to_string();
    assert!(
        text.contains("Recipient called back and confirmed deletion"),
        "{text}"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn an_attachment_is_kept_under_its_sha256_and_verified(env: &Env) {
    let id = env.start_minimal("Attachments");
    let trace = env.write("message-trace.csv", "time,from,to\n09:00,a,b\n");
    let out = env
        .breach(["--json", "attach", trace.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(out["head"]["seq"], 1);
    let verified = env.breach(["--json", "verify"]).ok().json();
    assert_eq!(verified["ok"], true);
    assert_eq!(verified["attachments_checked"], 1, "{verified}");
    // The entry names the copy by the content's full SHA-256, as `sha256sum` computes it.
    let line = env.log_text(&id).lines().nth(1).unwrap().to_owned();
    let sha = sha256_hex(b"time,from,to\n09:00,a,b\n");
    assert!(line.contains(&format!("attachments/{sha}")), "{line}");
}

fn facts_of_500_or_more_put_hhs_at_60_days(env: &Env) {
    env.start_minimal("Large");
    env.breach(["facts", "--affected", "600", "--unreachable", "0"])
        .ok();
    assess(env, "notification-required");
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    // Discovered 2026-03-01: 60 calendar days later (45 CFR 164.408(b)).
    assert_eq!(obligation(&doc, "hhs_notice").unwrap()["due"], "2026-04-30");
    assert_eq!(
        obligation(&doc, "individual_notice").unwrap()["due"],
        "2026-04-30"
    );
    assert!(obligation(&doc, "hhs_annual_report").is_none());
}

fn facts_under_500_put_hhs_in_the_annual_report(env: &Env) {
    env.start_minimal("Small");
    env.breach(["facts", "--affected", "499", "--unreachable", "0"])
        .ok();
    assess(env, "notification-required");
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    // 60 days after 31 December 2026 (45 CFR 164.408(c)); 2027 is not a leap year.
    assert_eq!(
        obligation(&doc, "hhs_annual_report").unwrap()["due"],
        "2027-03-01"
    );
    assert!(obligation(&doc, "hhs_notice").is_none());
}

fn a_state_with_more_than_500_residents_needs_media_notice(env: &Env) {
    env.start_minimal("Media");
    env.breach([
        "facts",
        "--affected",
        "1001",
        "--unreachable",
        "0",
        "--state",
        "TX=501",
        "--state",
        "OK=500",
    ])
    .ok();
    assess(env, "notification-required");
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    let media: Vec<&Value> = doc["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["key"] == "media_notice")
        .collect();
    assert_eq!(media.len(), 1, "{doc}");
    assert_eq!(media[0]["state"], "TX", "more than 500, not 500 (164.406)");
}

fn a_low_probability_determination_removes_the_notices(env: &Env) {
    env.start_minimal("Low probability");
    env.breach(["facts", "--affected", "3", "--unreachable", "0"])
        .ok();
    assess(env, "low-probability");
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    assert_eq!(doc["obligations"].as_array().unwrap().len(), 0, "{doc}");
}

fn a_bound_step_records_its_notice_in_one_entry(env: &Env) {
    let id = env.start("misdirected-email");
    env.breach([
        "facts",
        "--affected",
        "3",
        "--unreachable",
        "0",
        "--state",
        "OH=3",
    ])
    .ok();
    assess(env, "notification-required");
    let before = entries(env, &id);
    let out = env
        .breach([
            "--json",
            "done",
            "notify-individuals",
            "--date",
            "2026-03-09",
            "--method",
            "first-class-mail",
            "--count",
            "3",
        ])
        .run();
    if out.code == 0 {
        assert_eq!(
            entries(env, &id),
            before + 1,
            "one entry for notice and step"
        );
        let doc = env.breach(["--json", "deadlines"]).ok().json();
        assert_eq!(
            obligation(&doc, "individual_notice").unwrap()["status"],
            "met"
        );
    } else {
        // The step waits on others: refused whole, nothing recorded.
        assert!(out.error_line().contains("waits on"), "{}", out.stderr);
        assert_eq!(entries(env, &id), before);
    }
    // Without the notice's flags, the step says what it records.
    let bare = env.breach(["done", "notify-individuals"]).run();
    assert_ne!(bare.code, 0);
}

fn a_notice_meets_the_obligation_it_answers(env: &Env) {
    env.start_minimal("Notice");
    env.breach(["facts", "--affected", "2", "--unreachable", "0"])
        .ok();
    assess(env, "notification-required");
    env.breach([
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-09",
        "--method",
        "first-class-mail",
        "--count",
        "2",
    ])
    .ok();
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    let individual = obligation(&doc, "individual_notice").unwrap();
    assert_eq!(individual["status"], "met", "{doc}");
    // A notice before discovery is refused.
    env.breach([
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-02-01",
        "--method",
        "first-class-mail",
    ])
    .fails(1);
}

fn close_waits_for_required_steps_unless_forced_with_a_reason(env: &Env) {
    env.start_minimal("Closing");
    let refused = env.breach(["close"]).fails(1);
    assert!(
        refused.error_line().contains("identify"),
        "{}",
        refused.stderr
    );
    env.breach(["close", "--force"]).fails(2);
    env.breach(["close", "--force", "--reason", "Practice incident"])
        .ok();
    let status = env.breach(["--json", "status"]).ok().json();
    assert_eq!(status["state"], "closed");
}

fn a_discarded_incident_is_kept_but_not_listed(env: &Env) {
    let id = env.start_minimal("Practice run");
    env.breach(["discard", "--reason", "Practice run"]).ok();
    let list = env.breach(["--json", "list"]).ok().json();
    assert!(list["incidents"].as_array().unwrap().is_empty(), "{list}");
    assert!(env.log_text(&id).contains("Practice run"), "kept");
    env.breach(["-i", &id, "verify"]).ok();
}

fn every_write_prints_the_head_that_verify_finds(env: &Env) {
    env.start_minimal("Heads");
    let mut last = String::new();
    for text in ["first", "second", "third"] {
        let out = env.breach(["--json", "note", text]).ok().json();
        last = head_of(&out);
    }
    let verified = env.breach(["--json", "verify"]).ok().json();
    assert_eq!(head_of(&verified), last);
    assert_eq!(verified["entries"], 4);
    env.breach(["verify", "--expect-head", &last]).ok();
    let text = env.breach(["note", "fourth"]).ok().stdout;
    assert!(text.contains("head 4:"), "{text}");
}

fn a_kept_head_that_is_not_in_the_log_fails_verify(env: &Env) {
    env.start_minimal("Kept head");
    let out = env.breach(["--json", "note", "one"]).ok().json();
    let seq = out["head"]["seq"].as_u64().unwrap();
    let forged = format!("{seq}:{}", "0".repeat(64));
    let failed = env
        .breach(["--json", "verify", "--expect-head", &forged])
        .fails(1)
        .json();
    assert_eq!(failed["ok"], false);
    assert!(
        failed["error"].as_str().unwrap().contains("rewritten"),
        "{failed}"
    );
    let beyond = format!("{}:{}", seq + 5, "a".repeat(64));
    let failed = env
        .breach(["--json", "verify", "--expect-head", &beyond])
        .fails(1)
        .json();
    assert!(
        failed["error"].as_str().unwrap().contains("removed"),
        "{failed}"
    );
}

fn the_json_export_rebuilds_the_log_byte_for_byte(env: &Env) {
    let id = env.start_minimal("Export");
    env.breach(["note", "for the export"]).ok();
    env.breach(["facts", "--affected", "4"]).ok();
    let export = env.breach(["export", "--format", "json"]).ok().stdout;
    let rebuilt = breach::log_from_json(&export).expect("every entry re-encodes to its hash");
    assert_eq!(rebuilt, env.log_bytes(&id));
}

fn every_export_format_names_the_incident_and_its_head(env: &Env) {
    let id = env.start_minimal("Formats");
    let out = env.breach(["--json", "note", "something"]).ok().json();
    let hash = out["head"]["hash"].as_str().unwrap().to_owned();
    for format in ["md", "html", "json"] {
        let text = env.breach(["export", "--format", format]).ok().stdout;
        assert!(text.contains(&id), "{format} names the incident");
        assert!(text.contains(&hash), "{format} carries the head");
    }
    let csv = env.breach(["export", "--format", "csv"]).ok().stdout;
    assert!(
        csv.contains("something"),
        "the timeline has the note: {csv}"
    );
    let ics = env.breach(["export", "--format", "ics"]).ok().stdout;
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
}

fn deadlines_all_lists_the_obligations_of_every_open_incident(env: &Env) {
    let first = env.start_minimal("First");
    env.breach([
        "-i",
        &first,
        "facts",
        "--affected",
        "700",
        "--unreachable",
        "0",
    ])
    .ok();
    let second = env.start_minimal("Second");
    env.breach([
        "-i",
        &second,
        "facts",
        "--affected",
        "2",
        "--unreachable",
        "0",
    ])
    .ok();
    // A closed incident owes nothing more here.
    let third = env.start_minimal("Third");
    env.breach(["-i", &third, "close", "--force", "--reason", "Practice"])
        .ok();
    let doc = env.breach(["--json", "deadlines", "--all"]).ok().json();
    let rows = doc["obligations"].as_array().unwrap();
    let owes = |id: &str, key: &str| rows.iter().any(|o| o["id"] == id && o["key"] == key);
    assert!(owes(&first, "hhs_notice"), "{doc}");
    assert!(owes(&second, "hhs_annual_report"), "{doc}");
    assert!(!rows.iter().any(|o| o["id"] == third.as_str()), "{doc}");
}

fn the_annual_report_lists_the_small_breaches_of_its_year(env: &Env) {
    let small = env.start_minimal("Small breach");
    env.breach([
        "-i",
        &small,
        "facts",
        "--affected",
        "12",
        "--unreachable",
        "0",
    ])
    .ok();
    let large = env.start_minimal("Large breach");
    env.breach([
        "-i",
        &large,
        "facts",
        "--affected",
        "900",
        "--unreachable",
        "0",
    ])
    .ok();
    for id in [&small, &large] {
        let mut args = vec!["-i", id.as_str()];
        args.extend(ASSESS_NOTIFICATION_REQUIRED);
        env.breach(args).ok();
    }
    let doc = env.breach(["--json", "annual", "2026"]).ok().json();
    assert_eq!(doc["year"], 2026);
    assert_eq!(doc["due"], "2027-03-01");
    let ids: Vec<&str> = doc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&small.as_str()), "{doc}");
    assert!(
        !ids.contains(&large.as_str()),
        "500 or more go to HHS at once: {doc}"
    );
}

fn push_and_pull_move_an_incident_without_changing_a_byte(env: &Env) {
    let id = env.start("misdirected-email");
    let mut done = vec!["done", "identify-message"];
    done.extend(IDENTIFY_MESSAGE_EVIDENCE);
    env.breach(done).ok();
    let trace = env.write("trace.csv", "time,from\n09:00,a\n");
    env.breach(["attach", trace.to_str().unwrap()]).ok();
    let elsewhere = Env::new();
    std::fs::create_dir_all(elsewhere.store()).unwrap();
    let target = elsewhere.store();
    let pushed = env
        .breach(["--json", "push", "--to", target.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(pushed["new_entries"], 3, "{pushed}");
    assert_eq!(elsewhere.log_bytes(&id), env.log_bytes(&id));
    elsewhere.breach(["verify"]).ok();
    // Work elsewhere comes back with pull, and pushing again copies nothing twice.
    elsewhere.breach(["note", "Worked offline"]).ok();
    env.breach(["pull", "-i", &id, "--from", target.to_str().unwrap()])
        .ok();
    assert_eq!(env.log_bytes(&id), elsewhere.log_bytes(&id));
    let again = env
        .breach(["--json", "push", "--to", target.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(again["new_entries"], 0, "{again}");
}

fn concurrent_writers_never_lose_or_fork_an_entry(env: &Env) {
    let id = env.start_minimal("Many hands");
    let writers: Vec<std::process::Child> = (0..4)
        .map(|w| {
            env.command(["note".to_owned(), format!("writer {w} was here")])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for writer in writers {
        let out = writer.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let verified = env.breach(["--json", "verify"]).ok().json();
    assert_eq!(verified["entries"], 5, "{verified}");
    let log = env.log_text(&id);
    for w in 0..4 {
        assert!(log.contains(&format!("writer {w} was here")));
    }
}

fn an_entry_dated_with_at_keeps_both_times(env: &Env) {
    let id = env.start_minimal("Dated");
    // Given with its offset, so that the instant is the same in every test zone.
    env.breach(["note", "Call on Friday", "--at", "2026-03-06T10:00:00Z"])
        .ok();
    let line = env.log_text(&id).lines().nth(1).unwrap().to_owned();
    assert!(
        line.contains("\"ts\":\"2026-03-10T15:00:00.000Z\""),
        "{line}"
    );
    assert!(
        line.contains("\"at\":\"2026-03-06T10:00:00.000Z\""),
        "{line}"
    );
    // Never before discovery, never in the future.
    env.breach(["note", "too early", "--at", "2026-02-01"])
        .fails(1);
    env.breach(["note", "too late", "--at", "2026-04-01"])
        .fails(1);
}

fn text_that_looks_like_an_identifier_is_refused_without_a_terminal(env: &Env) {
    let id = env.start_minimal("Identifiers");
    let before = env.log_bytes(&id);
    let out = env
        .breach(["note", "Patient SSN 123-45-6789 was in the message"])
        .fails(1);
    assert!(
        out.error_line().contains("Social Security"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("123-45-6789"), "never echoed");
    assert_eq!(env.log_bytes(&id), before);
    env.breach([
        "--allow-identifiers",
        "note",
        "Patient SSN 123-45-6789 was in the message",
    ])
    .ok();
    assert!(env.log_text(&id).contains("\"allowed\":\"identifiers:"));
}

fn a_closed_incident_takes_notes_only(env: &Env) {
    env.start_minimal("Closed");
    env.breach(["close", "--force", "--reason", "Done with it"])
        .ok();
    env.breach(["note", "A late note"]).ok();
    let refused = env.breach(["skip", "identify", "--reason", "late"]).run();
    assert_ne!(refused.code, 0);
    let trace = env.write("late.csv", "x\n");
    let refused = env.breach(["attach", trace.to_str().unwrap()]).fails(1);
    assert!(
        refused.error_line().contains("closed"),
        "{}",
        refused.stderr
    );
}

fn the_runbook_is_pinned_into_the_incident(env: &Env) {
    let id = env.start_minimal("Pinned");
    // The organisation's copy changes after the start: the open incident keeps its own.
    env.write(
        "org/minimal.yaml",
        &include_str!("../fixtures/minimal.yaml").replace("Identify the message", "Changed"),
    );
    let status = env.breach(["--json", "status"]).ok().json();
    let identify = status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "identify")
        .unwrap();
    assert_eq!(identify["title"], "Identify the message");
    let first = env.log_text(&id).lines().next().unwrap().to_owned();
    assert!(first.contains("\"sha256\""), "{first}");
}

fn a_time_stamp_over_a_closed_record_is_recorded_and_verified(env: &Env) {
    let tsa = crate::timestamps::Tsa::new(env, "Conformance", true);
    env.breach(["config", "set", "tsa_certs", tsa.root().to_str().unwrap()])
        .ok();
    env.start_minimal("Stamped");
    env.breach(["note", "The recipient confirmed deletion"])
        .ok();
    env.breach([
        "close",
        "--force",
        "--reason",
        "Practice incident for the suite",
    ])
    .ok();
    let closed = head_of(&env.breach(["--json", "status"]).ok().json());
    // The record is stamped once it is complete: a closed incident takes a time stamp.
    let (_, tsr) = crate::timestamps::ask(env, &tsa, "closed");
    let added = env
        .breach(["--json", "timestamp", "add", tsr.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(
        format!("{}", added["covers"]),
        closed.split(':').next().unwrap()
    );
    let verified = env.breach(["--json", "verify"]).ok().json();
    assert_eq!(verified["timestamps"][0]["ok"], true, "{verified}");
    assert_eq!(verified["timestamps"][0]["covers"], added["covers"]);
    let back = env.path().join("back.tsr");
    env.breach([
        "timestamp",
        "show",
        &added["head"]["seq"].to_string(),
        "-o",
        back.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&tsr).unwrap());
}
