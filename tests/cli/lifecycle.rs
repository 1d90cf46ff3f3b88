//! The incident lifecycle through the real binary: start, work the steps, status, list, close,
//! and every refusal with its one-line message.

use std::os::unix::fs::PermissionsExt;

use crate::Env;

/// An env with the minimal fixture runbook available in `org/` and an incident started from it.
fn with_incident() -> (Env, String) {
    let env = Env::new();
    let id = env.start_minimal("Wrong recipient");
    (env, id)
}

fn entries(env: &Env, id: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(env.log_path(id))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn start_pins_the_runbook_discovery_and_actor_in_the_first_entry() {
    let (env, id) = with_incident();
    assert!(
        id.len() == 13 && id.starts_with(&format!("{}-", crate::today().replace('-', ""))),
        "short, dated id: {id}"
    );
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    let log = entries(&env, &id);
    assert_eq!(log.len(), 1);
    let first = &log[0];
    assert_eq!(first["seq"], 0);
    assert_eq!(first["kind"], "incident_opened");
    assert_eq!(first["actor"], "ana.lima");
    assert_eq!(first["ts"], "2026-03-10T15:00:00.000Z");
    let data = &first["data"];
    assert_eq!(data["runbook"]["id"], "minimal");
    assert_eq!(
        data["runbook"]["text"],
        include_str!("../fixtures/minimal.yaml")
    );
    let sha = sha2_hex(include_str!("../fixtures/minimal.yaml").as_bytes());
    assert_eq!(data["runbook"]["sha256"], sha);
    assert_eq!(data["discovered"]["given"], "2026-03-01 09:30");
    // 09:30 local on 1 March, as the UTC instant the test zone makes of it.
    let expected_at = match crate::test_zone().as_str() {
        "UTC" => "2026-03-01T09:30:00Z",
        "America/Los_Angeles" => "2026-03-01T17:30:00Z",
        "Pacific/Kiritimati" => "2026-02-28T19:30:00Z",
        other => panic!("no hand-worked instant for {other}"),
    };
    assert_eq!(data["discovered"]["at"], expected_at);
    assert_eq!(data["discovered"]["date"], "2026-03-01");
    assert_eq!(data["discovered"]["offset"], crate::offset_early_march());
    assert_eq!(data["discovered"]["zone"], crate::test_zone());
    assert_eq!(data["format"], "breach-log/1");
}

fn sha2_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn start_accepts_every_documented_form_of_when() {
    let env = Env::new();
    for when in [
        "2026-03-01",
        "2026-03-01 09:30",
        "2026-03-01T09:30:00-05:00",
        "now",
    ] {
        let out = env
            .breach([
                "--json",
                "start",
                "--runbook",
                "misdirected-email",
                "--discovered",
                when,
                "--title",
                "t",
            ])
            .ok();
        assert!(out.json()["id"].is_string(), "{when}");
    }
}

#[test]
fn start_refuses_future_impossible_dates_and_unknown_runbooks_and_creates_nothing() {
    let env = Env::new();
    let cases = [
        (
            vec![
                "--runbook",
                "misdirected-email",
                "--discovered",
                "2026-03-12",
                "--title",
                "t",
            ],
            "in the future",
        ),
        (
            vec![
                "--runbook",
                "misdirected-email",
                "--discovered",
                "2026-02-30",
                "--title",
                "t",
            ],
            "not a valid date",
        ),
        (
            vec![
                "--runbook",
                "misdirected-email",
                "--discovered",
                "2026-03-10T16:00:00Z",
                "--title",
                "t",
            ],
            "in the future",
        ),
        (
            vec![
                "--runbook",
                "misdirected-mail",
                "--discovered",
                "2026-03-01",
                "--title",
                "t",
            ],
            "no runbook `misdirected-mail`",
        ),
        (
            vec![
                "--runbook",
                "misdirected-email",
                "--discovered",
                "2026-03-01",
                "--title",
                " ",
            ],
            "--title is empty",
        ),
    ];
    for (args, message) in cases {
        let mut full = vec!["start"];
        full.extend(args);
        let out = env.breach(full).fails(1);
        assert!(out.error_line().contains(message), "{}", out.stderr);
    }
    // A refused start creates nothing, not even the store.
    assert!(!env.store().exists());
    let out = env.breach(["list"]).fails(1);
    assert!(
        out.error_line().contains("there is no store at"),
        "{}",
        out.stderr
    );
}

#[test]
fn start_without_its_arguments_and_no_terminal_fails_at_once_naming_them() {
    let env = Env::new();
    let out = env
        .breach(["start", "--runbook", "misdirected-email"])
        .fails(2);
    assert!(
        out.error_line()
            .contains("needs --discovered WHEN, --title TEXT and there is no terminal"),
        "{}",
        out.stderr
    );
}

#[test]
fn next_shows_only_workable_steps() {
    let (env, _) = with_incident();
    let next = env.breach(["--json", "next"]).ok().json();
    let ids: Vec<&str> = next["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    // `recall` waits on `identify`; the unknown head count keeps the HHS and media steps visible.
    assert_eq!(
        ids,
        [
            "identify",
            "report-internally",
            "notify-hhs-now",
            "notify-media",
            "retrain"
        ]
    );
    assert_eq!(
        next["steps"][0]["due"],
        format!("2026-03-02T09:30:00{}", crate::offset_early_march())
    );
}

#[test]
fn done_needs_every_required_evidence_field_with_the_right_type() {
    let (env, id) = with_incident();
    let missing = env
        .breach(["done", "identify", "--set", "message_id=<a@b>"])
        .fails(1);
    assert!(
        missing.error_line().contains(
            "needs evidence before it can be done: recipients (number), kind (one of the choices)"
        ),
        "{}",
        missing.stderr
    );
    let bad_number = env
        .breach([
            "done",
            "identify",
            "--set",
            "message_id=<a@b>",
            "--set",
            "recipients=three",
            "--set",
            "kind=external",
        ])
        .fails(1);
    assert!(
        bad_number
            .error_line()
            .contains("evidence `recipients` is not a number"),
        "{}",
        bad_number.stderr
    );
    assert!(
        !bad_number.stderr.contains("three"),
        "the value is not echoed back"
    );
    let bad_choice = env
        .breach([
            "done",
            "identify",
            "--set",
            "message_id=<a@b>",
            "--set",
            "recipients=3",
            "--set",
            "kind=sideways",
        ])
        .fails(1);
    assert!(
        bad_choice
            .error_line()
            .contains("must be one of: external, internal"),
        "{}",
        bad_choice.stderr
    );
    let bad_email = env
        .breach([
            "done",
            "identify",
            "--set",
            "message_id=x",
            "--set",
            "recipients=3",
            "--set",
            "kind=external",
            "--set",
            "sender=not-an-address",
        ])
        .fails(1);
    assert!(
        bad_email
            .error_line()
            .contains("`sender` is not an email address"),
        "{}",
        bad_email.stderr
    );
    let unknown = env
        .breach(["done", "identify", "--set", "colour=red"])
        .fails(1);
    assert!(
        unknown.error_line().contains(
            "no evidence field `colour`; its fields are: message_id, recipients, kind, sender"
        ),
        "{}",
        unknown.stderr
    );
    assert_eq!(
        entries(&env, &id).len(),
        1,
        "nothing recorded by a refused done"
    );

    let out = env
        .breach([
            "--json",
            "done",
            "identify",
            "--note",
            "found in trace",
            "--set",
            "message_id=<a@b>",
            "--set",
            "recipients=3",
            "--set",
            "kind=EXTERNAL",
        ])
        .ok();
    assert_eq!(out.json()["head"]["seq"], 1);
    let log = entries(&env, &id);
    assert_eq!(log[1]["kind"], "step_done");
    assert_eq!(
        log[1]["data"]["evidence"]["kind"], "external",
        "choices are normalised"
    );
    assert_eq!(log[1]["data"]["note"], "found in trace");
    assert_eq!(log[1]["actor"], "ana.lima");
}

#[test]
fn yes_no_and_date_time_values_are_normalised() {
    let (env, id) = with_incident();
    env.breach([
        "done",
        "identify",
        "--set",
        "message_id=m",
        "--set",
        "recipients=1",
        "--set",
        "kind=internal",
    ])
    .ok();
    env.breach([
        "done",
        "recall",
        "--set",
        "recalled=Y",
        "--set",
        "when=2026-03-01 10:00",
    ])
    .ok();
    let log = entries(&env, &id);
    assert_eq!(log[2]["data"]["evidence"]["recalled"], "yes");
    assert_eq!(
        log[2]["data"]["evidence"]["when"],
        format!("2026-03-01T10:00:00{}", crate::offset_early_march())
    );
}

#[test]
fn a_step_waits_for_its_dependencies() {
    let (env, _) = with_incident();
    let out = env
        .breach(["done", "recall", "--set", "recalled=no"])
        .fails(1);
    assert!(
        out.error_line().contains("waits on `identify`"),
        "{}",
        out.stderr
    );
    env.breach(["na", "identify", "--reason", "no message found"])
        .ok();
    env.breach(["done", "recall", "--set", "recalled=no"]).ok();
}

#[test]
fn skip_na_and_reopen_need_reasons_and_are_logged() {
    let (env, id) = with_incident();
    let out = env.breach(["skip", "retrain"]).fails(2);
    assert!(out.stderr.contains("--reason"), "{}", out.stderr);
    env.breach(["skip", "retrain", "--reason", "done last month"])
        .ok();
    let again = env.breach(["skip", "retrain", "--reason", "x"]).fails(1);
    assert!(
        again.error_line().contains("already skipped"),
        "{}",
        again.stderr
    );
    let other = env.breach(["na", "retrain", "--reason", "x"]).fails(1);
    assert!(
        other.error_line().contains("reopen retrain --reason"),
        "{}",
        other.stderr
    );
    env.breach([
        "reopen",
        "retrain",
        "--reason",
        "training was for another team",
    ])
    .ok();
    let reopened = env.breach(["reopen", "retrain", "--reason", "x"]).fails(1);
    assert!(
        reopened.error_line().contains("already open"),
        "{}",
        reopened.stderr
    );
    env.breach(["na", "retrain", "--reason", "covered by annual training"])
        .ok();
    let kinds: Vec<String> = entries(&env, &id)
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "incident_opened",
            "step_skipped",
            "step_reopened",
            "step_not_applicable"
        ]
    );
    let status = env.breach(["--json", "status"]).ok().json();
    let retrain = status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "retrain")
        .unwrap()
        .clone();
    assert_eq!(retrain["state"], "not_applicable");
    assert_eq!(retrain["reason"], "covered by annual training");
}

#[test]
fn an_unknown_step_suggests_the_nearest_id() {
    let (env, _) = with_incident();
    let out = env.breach(["done", "identfy"]).fails(1);
    assert!(
        out.error_line().contains("unknown step `identfy`")
            && out.stderr.contains("did you mean `identify`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn notes_and_attachments_are_logged_with_the_file_hash_and_the_original_untouched() {
    let (env, id) = with_incident();
    env.breach(["note", "Recipient called back", "--step", "identify"])
        .ok();
    let original = env.write("trace.csv", "time,recipient\n09:30,wrong@example.org\n");
    let before = std::fs::metadata(&original).unwrap().permissions().mode();
    let out = env
        .breach(["--json", "attach", "trace.csv", "--step", "identify"])
        .ok();
    assert_eq!(out.json()["head"]["seq"], 2);
    let log = entries(&env, &id);
    assert_eq!(log[1]["data"]["text"], "Recipient called back");
    let att = &log[2]["data"];
    let sha = sha2_hex(b"time,recipient\n09:30,wrong@example.org\n");
    assert_eq!(att["sha256"], sha);
    assert_eq!(att["name"], "trace.csv");
    assert_eq!(att["step"], "identify");
    let copy = env
        .store()
        .join("incidents")
        .join(&id)
        .join(att["stored"].as_str().unwrap());
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(&original).unwrap()
    );
    assert_eq!(
        std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&original).unwrap().permissions().mode(),
        before
    );
    let missing = env.breach(["attach", "nope.pdf"]).fails(1);
    assert!(
        missing.error_line().contains("nope.pdf"),
        "{}",
        missing.stderr
    );
    let unknown_step = env.breach(["note", "x", "--step", "nowhere"]).fails(1);
    assert!(unknown_step.error_line().contains("unknown step `nowhere`"));
}

#[test]
fn status_shows_phases_steps_next_and_head() {
    let (env, id) = with_incident();
    env.breach([
        "done",
        "identify",
        "--set",
        "message_id=m",
        "--set",
        "recipients=1",
        "--set",
        "kind=internal",
    ])
    .ok();
    let doc = env.breach(["--json", "status"]).ok().json();
    assert_eq!(doc["id"], id.as_str());
    assert_eq!(doc["state"], "open");
    assert_eq!(doc["head"]["seq"], 1);
    assert_eq!(doc["head"]["hash"].as_str().unwrap().len(), 64);
    assert!(doc["store"].as_str().unwrap().ends_with("store"));
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 6);
    for key in ["id", "phase", "required", "state"] {
        assert!(
            steps.iter().all(|s| !s[key].is_null()),
            "every step has {key}"
        );
    }
    assert_eq!(steps[0]["state"], "done");
    assert_eq!(steps[0]["actor"], "ana.lima");
    assert_eq!(doc["next"][0], "recall");
    let human = env.breach(["status"]).ok().stdout;
    for needle in [
        "Incident 2026",
        "[open]",
        "Progress",
        "contain    [####################] 1/1",
        "Next steps:",
        "head 1:",
    ] {
        assert!(human.contains(needle), "missing {needle:?} in\n{human}");
    }
    assert!(
        human.lines().all(|l| l.chars().count() <= 80),
        "fits 80 columns:\n{human}"
    );
}

#[test]
fn list_shows_every_incident_with_state_and_progress() {
    let (env, id) = with_incident();
    let second = env.start("misdirected-email");
    let doc = env.breach(["--json", "list"]).ok().json();
    let list = doc["incidents"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let first = list.iter().find(|i| i["id"] == id.as_str()).unwrap();
    assert_eq!(first["title"], "Wrong recipient");
    assert_eq!(first["state"], "open");
    assert_eq!(first["discovered"], "2026-03-01");
    assert!(list.iter().any(|i| i["id"] == second.as_str()));
    // With two open incidents a command must be told which.
    let out = env.breach(["status"]).fails(1);
    assert!(
        out.error_line().contains("2 incidents are open") && out.stderr.contains("-i ID"),
        "{}",
        out.stderr
    );
    let by_prefix = env
        .breach(["--json", "-i", &id[..11], "status"])
        .ok()
        .json();
    assert_eq!(by_prefix["id"], id.as_str());
    let none = env.breach(["-i", "1999", "status"]).fails(1);
    assert!(
        none.error_line().contains("no incident matches `1999`"),
        "{}",
        none.stderr
    );
    let ambiguous = env.breach(["-i", "2026", "status"]).fails(1);
    assert!(
        ambiguous.error_line().contains("matches several incidents"),
        "{}",
        ambiguous.stderr
    );
}

#[test]
fn close_is_refused_while_required_steps_are_open_and_a_forced_close_is_logged() {
    let (env, id) = with_incident();
    let out = env.breach(["close"]).fails(1);
    assert!(out.error_line().contains("required step(s) still open: identify, recall, report-internally, notify-hhs-now, notify-media"), "{}", out.stderr);
    let no_reason = env.breach(["close", "--force"]).fails(2);
    assert!(no_reason.stderr.contains("--reason"));
    env.breach([
        "close",
        "--force",
        "--reason",
        "handled under incident 20260301-aaaa",
    ])
    .ok();
    let log = entries(&env, &id);
    let closed = &log.last().unwrap()["data"];
    assert_eq!(closed["forced"], true);
    assert_eq!(closed["open_required"].as_array().unwrap().len(), 5);
    let done = env.breach(["-i", &id, "done", "identify"]).fails(1);
    assert!(done.error_line().contains("is closed"), "{}", done.stderr);
    env.breach(["-i", &id, "note", "Counsel reviewed the file"])
        .ok();
    assert_eq!(
        env.breach(["--json", "-i", &id, "status"]).ok().json()["state"],
        "closed"
    );
}

#[test]
fn close_settles_the_whole_incident_and_a_closed_one_reopens_with_a_reason() {
    let (env, id) = with_incident();
    env.breach([
        "done",
        "identify",
        "--set",
        "message_id=m",
        "--set",
        "recipients=1",
        "--set",
        "kind=internal",
    ])
    .ok();
    env.breach(["done", "recall", "--set", "recalled=yes"]).ok();
    env.breach(["done", "report-internally"]).ok();
    env.breach(["facts", "--affected", "1", "--unreachable", "0"])
        .ok();
    // Every required step is settled, but the notices are still owed.
    let out = env.breach(["close"]).fails(1);
    assert!(
        out.error_line()
            .contains("obligation(s) not met: individual_notice (pending, due 2026-04-30)")
            && out
                .error_line()
                .contains("hhs_annual_report (pending, due 2027-03-01)"),
        "{}",
        out.stderr
    );
    for (to, method) in [("individuals", "first-class-mail"), ("hhs", "portal")] {
        env.breach([
            "notify",
            "--to",
            to,
            "--date",
            "2026-03-09",
            "--method",
            method,
        ])
        .ok();
    }
    env.breach(["close"]).ok();
    let log = entries(&env, &id);
    let closed = &log.last().unwrap()["data"];
    assert_eq!(closed["forced"], false);
    let finals: Vec<(&str, &str)> = closed["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["key"].as_str().unwrap(), o["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        finals,
        [("individual_notice", "met"), ("hhs_annual_report", "met")],
        "the closing entry records every obligation's final state"
    );
    let again = env.breach(["-i", &id, "close"]).fails(1);
    assert!(again.error_line().contains("already closed"));
    // Something new arrives: the incident reopens, with the reason kept.
    env.breach(["reopen", "--reason", "40 more patients found in the trace"])
        .ok();
    assert_eq!(
        env.breach(["--json", "status"]).ok().json()["state"],
        "open"
    );
    env.breach(["facts", "--affected", "41"]).ok();
    let open_again = env.breach(["reopen", "--reason", "twice"]).fails(2);
    assert!(
        open_again.error_line().contains("is open: name the step"),
        "{}",
        open_again.stderr
    );
}

#[test]
fn every_write_prints_the_new_head() {
    let (env, _) = with_incident();
    let out = env.breach(["note", "hello"]).ok();
    let head = out.stdout.lines().last().unwrap();
    assert!(
        head.starts_with("head 1:") && head.len() == "head 1:".len() + 64,
        "{head}"
    );
}

#[test]
fn the_actor_comes_from_the_flag_then_the_environment() {
    let (env, id) = with_incident();
    env.breach(["--actor", "bo.chen", "note", "from the flag"])
        .ok();
    env.breach(["note", "from the env"])
        .env("BREACH_ACTOR", "cy.diaz")
        .ok();
    let log = entries(&env, &id);
    assert_eq!(log[1]["actor"], "bo.chen");
    assert_eq!(log[2]["actor"], "cy.diaz");
    let bad = env.breach(["--actor", "", "note", "x"]).fails(2);
    assert!(bad.error_line().contains("--actor"));
}

#[test]
fn json_output_is_one_document_and_nothing_else() {
    let (env, _) = with_incident();
    for args in [
        vec!["--json", "status"],
        vec!["--json", "list"],
        vec!["--json", "next"],
        vec!["--json", "verify"],
        vec!["--json", "runbook", "list"],
    ] {
        let out = env.breach(args.clone()).ok();
        out.json();
        assert!(
            out.stderr.is_empty(),
            "{args:?} wrote to stderr: {}",
            out.stderr
        );
    }
}

#[test]
fn a_note_is_read_from_standard_input_or_a_file_and_checked_as_any_note() {
    let (env, id) = with_incident();
    let paragraph = "The recipient called back.\nShe deleted the message and emptied her trash.\n";
    env.breach(["note", "-"]).input(paragraph.as_bytes()).ok();
    let file = env.write("call-summary.txt", "Summary of the call with the clinic\n");
    env.breach([
        "note",
        "--file",
        file.to_str().unwrap(),
        "--step",
        "identify",
    ])
    .ok();
    let log = entries(&env, &id);
    let notes: Vec<&serde_json::Value> = log.iter().filter(|e| e["kind"] == "note").collect();
    assert_eq!(notes.len(), 2);
    assert_eq!(
        notes[0]["data"]["text"],
        "The recipient called back.\nShe deleted the message and emptied her trash."
    );
    assert_eq!(
        notes[1]["data"]["text"],
        "Summary of the call with the clinic"
    );
    assert!(log.iter().all(|e| e["data"]["text"] != "-"));

    // The identifier check applies to what was read, and nothing of it is echoed.
    let out = env
        .breach(["note", "-"])
        .input(b"Her SSN is 123-45-6789\n")
        .fails(1);
    assert!(out.error_line().contains("Social Security number"));
    assert!(!out.stderr.contains("6789"));
    // Not text, too long, empty, not a file: one line each, nothing recorded.
    for (args, input, says) in [
        (vec!["note", "-"], &b"\xff\xfe"[..], "not UTF-8"),
        (vec!["note", "-"], &[b'a'; 40_000][..], "larger than"),
        (vec!["note", "-"], &b"\n"[..], "is empty"),
        (
            vec!["note", "--file", "/dev/zero"],
            &b""[..],
            "not a regular file",
        ),
        (
            vec!["note", "--file", "missing.txt"],
            &b""[..],
            "no such file",
        ),
    ] {
        let out = env.breach(args.clone()).input(input).fails(1);
        assert!(out.error_line().contains(says), "{args:?}: {}", out.stderr);
    }
    env.breach(["note", "text", "--file", file.to_str().unwrap()])
        .fails(2);
    assert_eq!(entries(&env, &id).len(), log.len());
}

#[test]
fn without_user_or_logname_the_actor_is_the_login_name_from_the_user_database() {
    let (env, id) = with_incident();
    let login = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let login = String::from_utf8(login.stdout).unwrap().trim().to_owned();
    // The builder sets neither USER nor LOGNAME; without BREACH_ACTOR the user database names
    // the actor (as `id -un` does), not a bare uid.
    let mut cmd = env.command(["note", "Recorded from a cron job"]);
    cmd.env_remove("BREACH_ACTOR")
        .stdin(std::process::Stdio::null());
    assert!(cmd.status().unwrap().success());
    let last = entries(&env, &id).pop().unwrap();
    assert_eq!(last["actor"], login.as_str());
    assert!(!login.starts_with("uid-"));
}
