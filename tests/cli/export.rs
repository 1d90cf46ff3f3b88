//! Exports and notice drafts through the binary: every format for a fixed incident (snapshots),
//! hostile text, the iCalendar and JSON round trips, output files, letters and the profile.

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::Env;

/// An incident with every step state, facts, an assessment, notices, a note and an attachment.
fn full_incident() -> (Env, String) {
    full_incident_in(Env::new())
}

/// The same incident in UTC, for snapshots of the layout.
fn full_incident_utc() -> (Env, String) {
    full_incident_in(Env::utc())
}

fn full_incident_in(env: Env) -> (Env, String) {
    let id = env.start_minimal("Lab results to the wrong address");
    let run = |args: &[&str]| {
        env.breach(args).ok();
    };
    run(&["config", "set", "name", "Riverside Family Clinic"]);
    run(&["config", "set", "toll_free", "1-800-555-0100"]);
    run(&[
        "done",
        "identify",
        "--set",
        "message_id=<CAF1@mail.example.org>",
        "--set",
        "recipients=1",
        "--set",
        "kind=external",
        "--note",
        "found in the trace",
    ]);
    run(&[
        "skip",
        "recall",
        "--reason",
        "External recipient: no recall possible",
    ]);
    run(&["na", "retrain", "--reason", "Annual training covers it"]);
    run(&[
        "note",
        "Recipient called back and deleted the message",
        "--step",
        "identify",
    ]);
    env.write("trace.csv", "time,recipient\n09:10,someone@example.net\n");
    run(&["attach", "trace.csv", "--step", "identify"]);
    run(&[
        "facts",
        "--affected",
        "640",
        "--state",
        "TX=520",
        "--state",
        "OK=120",
        "--unreachable",
        "3",
        "--breach-started",
        "2026-03-01",
        "--what-happened",
        "A message with lab results went to the wrong address.",
    ]);
    run(&[
        "assess",
        "--secured",
        "no",
        "--exception",
        "none",
        "--nature",
        "medium",
        "--nature-why",
        "names and lab results",
        "--recipient",
        "low",
        "--recipient-why",
        "a member of the public who called back",
        "--acquired",
        "medium",
        "--acquired-why",
        "opened, then deleted",
        "--mitigation",
        "low",
        "--mitigation-why",
        "deletion attested",
        "--determination",
        "notification-required",
        "--signed-by",
        "Dana Whit",
        "--role",
        "Privacy Officer",
    ]);
    run(&[
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-09",
        "--method",
        "first-class-mail",
        "--count",
        "637",
    ]);
    (env, id)
}

fn filtered(text: &str, id: &str) -> String {
    let mut out = text.replace(id, "[ID]");
    // Hashes depend on the random incident id; keep their shape, not their value.
    let hex = regex_lite_hex(&out);
    for h in hex {
        out = out.replace(&h, "[SHA256]");
    }
    out
}

/// Every run of 64 lower-case hex digits.
fn regex_lite_hex(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            .count();
        if run == 64 {
            found.push(text[i..i + 64].to_owned());
        }
        i += run.max(1);
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn markdown_export_snapshot() {
    let (env, id) = full_incident_utc();
    let out = env.breach(["export", "--format", "md"]).ok().stdout;
    insta::assert_snapshot!(filtered(&out, &id));
}

#[test]
fn html_export_snapshot() {
    let (env, id) = full_incident_utc();
    let out = env.breach(["export", "--format", "html"]).ok().stdout;
    assert!(
        !out.contains("http://")
            || out
                .matches("http://")
                .all(|_| out.contains("http://www.w3.org/2000/svg")),
        "no network resources"
    );
    assert!(out.contains("<svg") && out.contains("@media print") && out.contains("counter(pages)"));
    insta::assert_snapshot!(filtered(&out, &id));
}

#[test]
fn csv_export_snapshot() {
    let (env, id) = full_incident_utc();
    let out = env.breach(["export", "--format", "csv"]).ok().stdout;
    insta::assert_snapshot!(filtered(&out, &id));
}

#[test]
fn ics_export_snapshot() {
    let (env, id) = full_incident_utc();
    let out = env.breach(["export", "--format", "ics"]).ok().stdout;
    insta::assert_snapshot!(filtered(&out, &id).replace("\r\n", "\n"));
}

#[test]
fn hostile_notes_are_escaped_in_html_and_neutralised_in_csv() {
    let (env, _) = full_incident();
    env.breach([
        "note",
        "<img src=x onerror=alert(1)> & <script>steal()</script>",
    ])
    .ok();
    env.breach(["note", "=HYPERLINK(\"http://evil.example\",\"click\")"])
        .ok();
    env.breach(["note", "+1+1"]).ok();
    env.breach(["note", "--", "-2+3"]).ok();
    env.breach(["note", "@SUM(A1:A2)"]).ok();
    env.breach(["--actor", "=cmd|' /C calc'!A0", "note", "\tleading tab"])
        .ok();
    let html = env.breach(["export", "--format", "html"]).ok().stdout;
    assert!(
        !html.contains("<script>steal") && !html.contains("<img src=x"),
        "markup escaped"
    );
    assert!(html.contains("&lt;script&gt;steal()"));
    let md = env.breach(["export", "--format", "md"]).ok().stdout;
    assert!(
        !md.contains("<script>steal") && md.contains("&lt;script&gt;"),
        "no raw HTML in Markdown"
    );
    let csv = env.breach(["export", "--format", "csv"]).ok().stdout;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    for row in reader.records() {
        let row = row.unwrap();
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "unneutralised cell {cell:?}"
            );
        }
    }
    assert!(
        csv.contains("'=cmd|"),
        "a hostile actor name is neutralised too"
    );
}

#[test]
fn the_ics_export_parses_and_keeps_its_uids_across_a_change() {
    let (env, _) = full_incident();
    let first = env.breach(["export", "--format", "ics"]).ok().stdout;
    let uids = |text: &str| -> Vec<String> {
        let cal: icalendar::Calendar = text.parse().expect("valid iCalendar");
        let mut uids: Vec<String> = cal
            .components
            .iter()
            .filter_map(|c| c.as_event())
            .map(|e| icalendar::Component::get_uid(e).unwrap().to_owned())
            .collect();
        uids.sort();
        uids
    };
    let before = uids(&first);
    // HIPAA's four, and the state items for TX (520) and OK (120): residents in each, and
    // the Texas attorney general (250 or more).
    assert_eq!(before.len(), 7, "one event per obligation: {before:?}");
    assert!(first.contains("TRIGGER:-P7D") && first.contains("TRIGGER:-P1D"));
    assert!(first.lines().all(|l| l.len() <= 76), "lines are folded");
    env.breach(["facts", "--state", "OK=0", "--unreachable", "0"])
        .ok();
    let after = uids(&env.breach(["export", "--format", "ics"]).ok().stdout);
    assert!(
        after.iter().all(|u| before.contains(u)),
        "the remaining events keep their UIDs: {after:?}"
    );
    // Less the substitute notice (0 unreachable) and Oklahoma's residents' notice (OK=0).
    assert_eq!(after.len(), 5, "{after:?}");
}

#[test]
fn the_json_export_round_trips_to_the_same_state() {
    let (env, id) = full_incident();
    let export = env.breach(["export", "--format", "json"]).ok().stdout;
    let doc: Value = serde_json::from_str(&export).unwrap();
    for key in [
        "incident",
        "runbook",
        "facts",
        "determination",
        "obligations",
        "phases",
        "notices",
        "attachments",
        "timeline",
        "verification",
        "entries",
    ] {
        assert!(!doc[key].is_null(), "{key} in the export");
    }
    assert_eq!(doc["verification"]["ok"], true);
    let rebuilt = breach::log_from_json(&export).expect("every entry re-encodes to its hash");
    assert_eq!(
        rebuilt,
        std::fs::read(env.log_path(&id)).unwrap(),
        "the export holds the log byte for byte"
    );
    // A second store holding only the rebuilt log reads back to the same state.
    let copy = Env::new();
    let dir = copy.store().join("incidents").join(&id);
    std::fs::create_dir_all(&dir).unwrap();
    for d in [copy.store(), copy.store().join("incidents"), dir.clone()] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    std::fs::write(dir.join("log.jsonl"), &rebuilt).unwrap();
    std::fs::set_permissions(
        dir.join("log.jsonl"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let mut original = env.breach(["--json", "status"]).ok().json();
    let mut from_export = copy.breach(["--json", "status"]).ok().json();
    original["store"] = Value::Null;
    from_export["store"] = Value::Null;
    assert_eq!(original, from_export);
}

#[test]
fn an_output_file_is_private_and_never_overwritten_without_force() {
    let (env, _) = full_incident();
    let out = env
        .breach(["export", "--format", "md", "-o", "report.md"])
        .ok();
    assert!(out.stdout.starts_with("Wrote the Markdown export"));
    let path = env.path().join("report.md");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::write(&path, "counsel's copy").unwrap();
    let refused = env
        .breach(["export", "--format", "md", "-o", "report.md"])
        .fails(1);
    assert!(refused.error_line().contains("--force"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "counsel's copy");
    env.breach(["export", "--format", "md", "-o", "report.md", "--force"])
        .ok();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# Incident")
    );
}

#[test]
fn a_letter_names_each_missing_element_and_strict_fails_until_complete() {
    let (env, _) = full_incident();
    let letter = env.breach(["letter", "individual"]).ok();
    let out = &letter.stdout;
    assert!(out.contains("[MISSING: steps individuals should take to protect themselves]"));
    // The checklist is for the person, on stderr: `letter … > file` holds the letter alone.
    let checklist = &letter.stderr;
    assert!(checklist.contains(
        "[ ] MISSING: types of unsecured PHI involved (164.404(c)(1)(B)) — breach facts --phi-types"
    ));
    assert!(checklist.contains("[x] contact procedures"));
    assert!(
        !out.contains("Required content") && !out.contains("[x]"),
        "{out}"
    );
    // Dates as people write them.
    // The breach began the day it was discovered: the date is said once.
    assert!(out.contains("it, on March 1, 2026"), "{out}");
    assert_eq!(out.matches("March 1, 2026").count(), 1, "{out}");
    assert!(!out.contains("2026-03-01"), "{out}");
    assert!(
        !out.lines()
            .any(|l| l.trim() == "**What information was involved.**"),
        "no empty element"
    );
    env.breach(["letter", "individual", "--strict"]).fails(1);
    env.breach([
        "facts",
        "--phi-types",
        "name, date of birth, lab result",
        "--protective-steps",
        "Watch your explanation-of-benefits statements.",
        "--our-response",
        "We retrained staff and turned on external-recipient warnings.",
    ])
    .ok();
    env.breach(["config", "set", "address", "12 Elm St, Springfield"])
        .ok();
    env.breach([
        "config",
        "set",
        "privacy_officer",
        "Dana Whit, Privacy Officer",
    ])
    .ok();
    let done = env.breach(["letter", "individual", "--strict"]).ok().stdout;
    assert!(!done.contains("MISSING"), "{done}");
    let json = env.breach(["--json", "letter", "media"]).ok().json();
    assert_eq!(json["complete"], true);
    assert!(
        json["letter"]
            .as_str()
            .unwrap()
            .contains("residents of Texas")
    );
}

#[test]
fn the_hhs_draft_lays_out_the_portal_fields_and_marks_what_is_not_confirmed() {
    let (env, _) = full_incident();
    let out = env.breach(["letter", "hhs"]).ok().stdout;
    for needle in [
        "Breach affecting | 500 or more individuals",
        "Location of breached information | Email",
        "NOT CONFIRMED",
        "Breach end date (mandatory) | [MISSING: breach end date (mandatory)]",
        "Individual notice provided on | March 9, 2026",
        // Every field the reference lists for the portal (section 6), by its label there.
        "Report type |",
        "Breach start date |",
        "Discovery start date |",
        "Discovery end date (mandatory) |",
        "Approximate number of individuals affected | 640",
        "Type of breach |",
        "Type of PHI involved |",
        "Brief description |",
        "Safeguards in place prior to breach |",
        "Actions taken in response |",
        "Business associate involved | no",
        "Attestation:",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
}

#[test]
fn the_letters_read_as_a_person_would_send_them() {
    let env = Env::new();
    env.start_minimal("Lab results to the wrong address");
    for (key, value) in [
        ("name", "Harbor Clinic"),
        ("address", "1 Harbor Way, Springfield, OH 45501"),
        ("privacy_officer", "Dana Whit, Privacy Officer"),
        ("toll_free", "1-800-555-0100"),
    ] {
        env.breach(["config", "set", key, value]).ok();
    }
    env.breach([
        "facts",
        "--affected",
        "2385",
        "--state",
        "IN=1200",
        "--state",
        "OH=1185",
        "--breach-started",
        "2026-02-20",
        "--breach-ended",
        "2026-02-27",
        "--phi-types",
        "name, date of birth and lab results",
        "--protective-steps",
        "review the statements from your health plan",
    ])
    .ok();
    env.breach([
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-09",
        "--method",
        "first-class-mail",
        "--count",
        "620",
    ])
    .ok();
    // The HHS draft: the breach's start and end apart, and no "provided on" while letters go out.
    let hhs = env.breach(["letter", "hhs"]).ok().stdout;
    assert!(
        hhs.contains("| Breach start date | February 20, 2026 |"),
        "{hhs}"
    );
    assert!(
        hhs.contains("| Breach end date (mandatory) | February 27, 2026 |"),
        "{hhs}"
    );
    assert!(
        hhs.contains(
            "Individual notice provided on | [not complete: 620 of 2385 individuals notified so far"
        ),
        "{hhs}"
    );
    assert!(
        !hhs.contains("Individual notice provided on | March 9, 2026"),
        "{hhs}"
    );
    // The media release: states by name, in the third person.
    let media = env.breach(["letter", "media"]).ok().stdout;
    assert!(media.contains("residents of Indiana and Ohio"), "{media}");
    assert!(!media.contains("IN, OH"), "{media}");
    assert!(
        media.contains("Its letter\nadvises: “Review the statements from your health plan.”"),
        "{media}"
    );
    // Sentences start with a capital.
    let letter = env.breach(["letter", "individual"]).ok().stdout;
    assert!(
        letter.contains("**What information was involved.** Name, date of birth and lab results."),
        "{letter}"
    );
    // Converted as counsel would, the letterhead and the signature keep their lines.
    let md = env.write("letter.md", &letter);
    let plain = crate::notices::read_back(
        "pandoc",
        &[
            "--from",
            "markdown",
            "--to",
            "plain",
            "--wrap",
            "none",
            md.to_str().unwrap(),
        ],
    );
    assert!(
        plain.contains("Harbor Clinic\n1 Harbor Way, Springfield, OH 45501"),
        "{plain}"
    );
    assert!(
        plain.contains("Dana Whit, Privacy Officer\nHarbor Clinic"),
        "{plain}"
    );
}

#[test]
fn an_organisation_template_replaces_the_built_in_wording() {
    let (env, _) = full_incident();
    env.write(
        "counsel/letter-individual.md.j2",
        "Approved wording for {{ org.name }}: {{ c.what_happened }}\n",
    );
    let out = env
        .breach(["letter", "individual", "--templates", "counsel"])
        .ok()
        .stdout;
    assert!(
        out.starts_with("Approved wording for Riverside Family Clinic: A message with lab results"),
        "{out}"
    );
}

#[test]
fn the_profile_is_set_shown_and_checked() {
    let env = Env::new();
    env.breach(["config", "set", "email", "privacy@example.org"])
        .ok();
    let shown = env.breach(["config", "show"]).ok().stdout;
    assert!(shown.contains(&format!("{:<18} privacy@example.org", "email")));
    assert!(shown.contains(&format!("{:<18} (not set", "toll_free")));
    let bad = env.breach(["config", "set", "fax", "555"]).fails(1);
    assert!(bad.error_line().contains("no profile key `fax`"));
    env.breach(["config", "unset", "email"]).ok();
    assert_eq!(
        env.breach(["--json", "config", "show"]).ok().json()["profile"],
        serde_json::json!({})
    );
    let mode = std::fs::metadata(env.store().join("profile.json"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_breach_date_recorded_as_unknown_satisfies_if_known_and_strict_fails_on_any_marker() {
    let (env, _) = full_incident();
    env.breach(["facts", "--breach-started", "unknown"]).ok();
    let facts = env.breach(["facts"]).ok().stdout;
    assert!(facts.contains("breach started       not known"), "{facts}");
    let letter = env.breach(["--json", "letter", "individual"]).ok().json();
    let text = letter["letter"].as_str().unwrap();
    assert!(
        text.contains("happened on a date we have not been able to determine"),
        "{text}"
    );
    let element = letter["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["name"]
                .as_str()
                .unwrap()
                .starts_with("date of the breach")
        })
        .unwrap();
    assert_eq!(element["present"], true, "not known is an answer in law");
    // The HHS draft still holds the breach end date's marker: --strict fails and names it.
    let out = env.breach(["letter", "hhs", "--strict"]).fails(1);
    assert!(
        out.stderr
            .contains("the draft is incomplete (--strict): missing")
            && out.stderr.contains("breach end date (mandatory)"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_exports_obligations_are_identified_exactly_as_deadlines_identifies_them() {
    let (env, _) = full_incident();
    let deadlines = env.breach(["--json", "deadlines"]).ok().json();
    let export: serde_json::Value =
        serde_json::from_str(&env.breach(["export", "--format", "json"]).ok().stdout).unwrap();
    let identity = |o: &serde_json::Value| {
        ["key", "state", "due", "status", "held_until", "met_on"]
            .map(|k| o.get(k).cloned().unwrap_or(serde_json::Value::Null))
    };
    let from_deadlines: Vec<_> = deadlines["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(identity)
        .collect();
    let from_export: Vec<_> = export["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(identity)
        .collect();
    assert_eq!(from_export, from_deadlines);
    assert!(
        from_export.iter().any(|o| o[1] == "TX"),
        "the media notice names its state: {from_export:?}"
    );
}

#[test]
fn the_reports_show_the_whole_reasoning_and_every_notice_note() {
    let env = Env::new();
    env.start("misdirected-email");
    env.breach([
        "assess",
        "--secured",
        "no",
        "--exception",
        "inadvertent-disclosure",
        "--exception-basis",
        "sent to a nurse at the same clinic, who is authorised to see it",
        "--determination",
        "exception",
        "--rationale",
        "An internal recipient bound by the same policies; confirmed deleted the same day",
        "--signed-by",
        "Dana Whit",
        "--role",
        "Privacy Officer",
    ])
    .ok();
    env.breach([
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-09",
        "--method",
        "first-class-mail",
        "--note",
        "Sent as a courtesy although no notice was owed",
    ])
    .ok();
    let md = env.breach(["export", "--format", "md"]).ok().stdout;
    let html = env.breach(["export", "--format", "html"]).ok().stdout;
    for doc in [&md, &html] {
        for needle in [
            "inadvertent disclosure",
            "sent to a nurse at the same clinic, who is authorised to see it",
            "An internal recipient bound by the same policies; confirmed deleted the same day",
            "Sent as a courtesy although no notice was owed",
            "Exception claimed",
            "Dana Whit",
        ] {
            assert!(doc.contains(needle), "missing {needle:?} in\n{doc}");
        }
    }
}

#[test]
fn the_timeline_tells_changed_facts_in_words_and_every_notice_note_in_every_format() {
    let env = Env::new();
    env.start_minimal("Lab results to the wrong address");
    env.breach(["facts", "--affected", "2", "--state", "IN=2"])
        .ok();
    env.breach([
        "facts",
        "--affected",
        "700",
        "--state",
        "IN=650",
        "--state",
        "OH=50",
        "--reason",
        "the mail trace found more",
    ])
    .ok();
    env.breach([
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-09",
        "--method",
        "first-class-mail",
        "--count",
        "20",
        "--note",
        "first batch from the mail house",
    ])
    .ok();
    let json = env.breach(["export", "--format", "json"]).ok().stdout;
    for format in ["md", "html", "csv", "json"] {
        let doc = env.breach(["export", "--format", format]).ok().stdout;
        for needle in [
            "the number affected changed from 2 to 700",
            "residents of Indiana changed from 2 to 650",
            "residents of Ohio recorded as 50",
            "Reason: The mail trace found more.",
            "Note: First batch from the mail house.",
        ] {
            assert!(
                doc.contains(needle),
                "{format}: missing {needle:?} in\n{doc}"
            );
        }
        // No payload is shown as raw JSON.
        assert!(!doc.contains(r#"{"affected""#), "{format}:\n{doc}");
        assert!(!doc.contains(r#"{&quot;affected"#), "{format}:\n{doc}");
    }
    // Each row is its own sentence, capitalised.
    let json: Value = serde_json::from_str(&json).unwrap();
    for row in json["timeline"].as_array().unwrap() {
        let summary = row["summary"].as_str().unwrap();
        assert!(
            summary.starts_with(|c: char| c.is_uppercase()) && summary.ends_with('.'),
            "{summary}"
        );
    }
}

/// Headless Chromium, when the machine has it (`.ci/run` installs Debian's `chromium` and sets
/// `BREACH_REQUIRE_CHROMIUM`, so there it must be found).
fn chromium() -> Option<std::path::PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .filter_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(name))
                    .find(|p| p.is_file())
            })
        })
        .next();
    if found.is_none() {
        assert!(
            std::env::var_os("BREACH_REQUIRE_CHROMIUM").is_none(),
            "BREACH_REQUIRE_CHROMIUM is set but no chromium is on PATH (Debian: apt-get install chromium)"
        );
        eprintln!("note: no chromium on PATH; the HTML report was not rendered in a browser");
    }
    found
}

#[test]
fn the_html_report_renders_and_prints_in_headless_chromium() {
    let Some(browser) = chromium() else {
        return;
    };
    let (env, _) = full_incident();
    let marking = "Privileged and confidential — prepared at the direction of counsel";
    env.breach([
        "config",
        "set",
        "address",
        "12 River Road, Springfield, IL 62701",
    ])
    .ok();
    env.breach(["config", "set", "report_marking", marking])
        .ok();
    env.breach([
        "config",
        "set",
        "report_prepared_by",
        "Dana Whit, Privacy Officer",
    ])
    .ok();
    let html = env.path().join("report.html");
    env.breach(["export", "--format", "html", "-o", html.to_str().unwrap()])
        .ok();
    let pdf = env.path().join("report.pdf");
    let png = env.path().join("report.png");
    let profile = env.path().join("chromium-profile");
    for target in [
        format!("--print-to-pdf={}", pdf.display()),
        format!("--screenshot={}", png.display()),
    ] {
        let out = std::process::Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-pdf-header-footer",
                "--window-size=1280,2400",
                &format!("--user-data-dir={}", profile.display()),
                &target,
            ])
            .arg(format!("file://{}", html.display()))
            .env("HOME", env.path())
            .output()
            .expect("run chromium");
        assert!(
            out.status.success(),
            "chromium: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pdf_bytes = std::fs::read(&pdf).unwrap();
    assert!(pdf_bytes.starts_with(b"%PDF-"), "a PDF");
    // A multi-page document with its text, not an empty page.
    assert!(pdf_bytes.len() > 20_000, "{} bytes", pdf_bytes.len());
    // Read back as a person reads the printout: every page numbered "Page N of M", under the
    // organisation's name and address and the marking; a short incident in at most 6 pages.
    let pdf_path = pdf.to_str().unwrap();
    let info = crate::notices::read_back("pdfinfo", &[pdf_path]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pdfinfo: {info}"));
    assert!((2..=6).contains(&pages), "{pages} pages");
    for page in 1..=pages {
        let n = page.to_string();
        let text =
            crate::notices::read_back("pdftotext", &["-f", &n, "-l", &n, "-raw", pdf_path, "-"])
                .replace('\n', " ");
        for needle in [
            format!("Page {page} of {pages}"),
            marking.to_owned(),
            "Riverside Family Clinic · 12 River Road, Springfield, IL".to_owned(),
        ] {
            assert!(
                text.contains(&needle),
                "page {page} lacks {needle:?}:\n{text}"
            );
        }
    }
    let all = crate::notices::read_back("pdftotext", &["-raw", pdf_path, "-"]);
    // Dates and hashes are never broken across lines; the report ends with its sign-off.
    assert!(!all.contains("2026-03-\n"), "{all}");
    let json = env.breach(["export", "--format", "json"]).ok().json();
    let attached = json["attachments"][0]["sha256"].as_str().unwrap();
    assert!(all.contains(attached), "{attached} on one line:\n{all}");
    for needle in [
        "Sign-off",
        "Prepared by Dana Whit, Privacy Officer",
        "Reviewed by",
    ] {
        assert!(all.contains(needle), "missing {needle:?}:\n{all}");
    }
    let png_bytes = std::fs::read(&png).unwrap();
    assert!(png_bytes.starts_with(b"\x89PNG"), "a PNG");
    assert!(png_bytes.len() > 20_000, "{} bytes", png_bytes.len());
    if let Some(keep) = std::env::var_os("BREACH_KEEP_RENDERING") {
        std::fs::copy(&pdf, std::path::Path::new(&keep).join("report.pdf")).unwrap();
        std::fs::copy(&png, std::path::Path::new(&keep).join("report.png")).unwrap();
    }
}

#[test]
fn the_business_associate_letter_needs_the_identities_delivered_outside_the_log() {
    let env = Env::new();
    env.start("business-associate");
    env.breach([
        "facts",
        "--affected",
        "12",
        "--breach-started",
        "2026-03-01",
        "--what-happened",
        "A billing file was emailed to the wrong clinic.",
        "--phi-types",
        "names and account numbers",
        "--protective-steps",
        "Watch your statements.",
        "--our-response",
        "We retrained staff.",
    ])
    .ok();
    for (key, value) in [
        ("name", "Northwind Billing"),
        ("address", "1 Main Street, Springfield"),
        ("privacy_officer", "Ana Lima, Privacy Officer"),
        ("toll_free", "1-800-555-0199"),
    ] {
        env.breach(["config", "set", key, value]).ok();
    }
    let before = env
        .breach(["letter", "business_associate", "--strict"])
        .fails(1);
    assert!(
        before.stderr.contains("the identification of each individual, delivered to the covered entity outside this log"),
        "{}",
        before.stderr
    );
    env.breach(["facts", "--identities-delivered", "2026-03-09"])
        .ok();
    let after = env
        .breach(["letter", "business_associate", "--strict"])
        .ok();
    assert!(
        after
            .stdout
            .contains("separately, by a secure channel, on March 9, 2026"),
        "{}",
        after.stdout
    );
    env.breach(["facts", "--identities-delivered", "2031-01-01"])
        .fails(1);
}

#[test]
fn the_timeline_picture_places_steps_by_when_they_happened_and_shows_holds() {
    let env = Env::new();
    env.start("misdirected-email");
    let mut done = vec!["done", "identify-message", "--at", "2026-03-02 10:00"];
    done.extend(crate::IDENTIFY_MESSAGE_EVIDENCE);
    env.breach(done).ok();
    env.breach([
        "facts",
        "--delay",
        "oral",
        "--delay-official",
        "Det. R. Okafor, City PD",
        "--delay-stated",
        "2026-03-05",
    ])
    .ok();
    let html = env.breach(["export", "--format", "html"]).ok().stdout;
    assert!(
        html.contains(&format!(
            "contain settled 2026-03-02 to 2026-03-02; happened earlier than recorded: 2026-03-02 (recorded {})",
            crate::today()
        )),
        "{html}"
    );
    assert!(
        html.contains("law-enforcement hold</text>")
            && html.contains("notices held 2026-03-05 to 2026-04-04"),
        "{html}"
    );
}

#[test]
fn the_substitute_notice_names_the_toll_free_number_once() {
    let env = Env::new();
    env.start("misdirected-email");
    env.breach(["facts", "--affected", "40", "--unreachable", "12"])
        .ok();
    env.breach(["config", "set", "toll_free", "1-800-555-0142"])
        .ok();
    env.breach(["config", "set", "email", "privacy@example.org"])
        .ok();
    let letter = env.breach(["letter", "substitute"]).ok().stdout;
    assert_eq!(letter.matches("1-800-555-0142").count(), 1, "{letter}");
    assert!(
        letter.contains("You may also reach\nus: email privacy@example.org."),
        "{letter}"
    );
    assert!(letter.ends_with('\n'));
}

#[test]
fn letter_snapshots() {
    let (env, id) = full_incident_utc();
    for kind in [
        "individual",
        "substitute",
        "media",
        "hhs",
        "business_associate",
    ] {
        let letter = env.breach(["letter", kind]).ok();
        insta::assert_snapshot!(
            format!("letter_{kind}"),
            format!(
                "{}\n--- checklist (stderr) ---\n{}",
                filtered(&letter.stdout, &id),
                filtered(&letter.stderr, &id)
            )
        );
    }
}

#[test]
fn a_long_export_is_the_same_to_a_file_or_a_pipe_and_a_reader_may_stop_early() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    // Enough entries that the export is larger than a pipe's buffer.
    for n in 0..120 {
        env.breach(["note", &format!("Call {n} with the recipient's mail administrator, who confirmed the message was deleted from the archive")])
            .ok();
    }
    for (format, bom) in [
        ("json", false),
        ("csv", false),
        ("csv", true),
        ("md", false),
        ("html", false),
    ] {
        let mut args = vec!["export", "--format", format];
        if bom {
            args.push("--bom");
        }
        let piped = env.breach(&args).ok().stdout;
        let file = format!("out-{format}-{bom}");
        let mut to_file = args.clone();
        to_file.extend(["-o", &file]);
        let said = env.breach(&to_file).ok().stdout;
        let written = std::fs::read_to_string(env.path().join(&file)).unwrap();
        assert_eq!(written, piped, "{format} (bom {bom})");
        assert!(
            said.contains(&format!("({} bytes)", written.len())),
            "{said}"
        );
        assert_eq!(written.starts_with('\u{feff}'), bom);
    }
    let json: serde_json::Value =
        serde_json::from_str(&env.breach(["export", "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(json["timeline"].as_array().unwrap().len(), 121);
    assert_eq!(json["entries"].as_array().unwrap().len(), 121);
    assert_eq!(
        json["entries"][120]["hash"],
        json["verification"]["head"]["hash"]
    );
    assert!(env.log_text(&id).ends_with("\n"));

    // The reports lay out every entry of the timeline, read as they are written.
    let md = env.breach(["export", "--format", "md"]).ok().stdout;
    assert!(md.contains("Call 0 with") && md.contains("Call 119 with"));

    // A reader that takes the first bytes and goes away is not a failure.
    for format in ["json", "md", "html"] {
        let mut child = env
            .command(["export", "--format", format])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!first.is_empty());
    }
}

#[test]
fn an_organisation_template_may_use_the_timeline_as_a_list_though_it_is_read_as_it_is_laid_out() {
    let env = Env::new();
    env.start("misdirected-email");
    for n in 0..5 {
        env.breach(["note", &format!("Call {n}")]).ok();
    }
    // Counted, tested, indexed from either end, looped over twice with the loop's own
    // length, and filtered: all as on the list the template used to be given.
    env.write(
        "tpl/report.md.j2",
        "len={{ r.timeline|length }} first={{ r.timeline[0].seq }} last={{ r.timeline[-1].seq }} \
         loop={% for t in r.timeline %}{% if loop.last %}{{ loop.index }}/{{ loop.length }}{% endif %}{% endfor %} \
         again={% for t in r.timeline %}{% if t.seq > 3 %}{{ t.summary }};{% endif %}{% endfor %} \
         {% if r.timeline %}some{% endif %} reversed={{ (r.timeline|reverse|first).seq }} \
         title={{ r.incident.title }}\n",
    );
    let out = env
        .breach(["export", "--format", "md", "--templates", "tpl"])
        .ok()
        .stdout;
    assert_eq!(
        out,
        "len=6 first=0 last=5 loop=6/6 again=Note: Call 3.;Note: Call 4.; some reversed=5 title=Test incident",
    );
}

#[test]
fn the_substitute_notice_for_fewer_than_ten_needs_no_toll_free_number() {
    // 164.404(d)(2)(i): fewer than 10 unreachable may be reached by an alternative written
    // notice, telephone or other means; only 10 or more need the toll-free number, (d)(2)(ii).
    let env = Env::new();
    env.start("misdirected-email");
    env.breach(["facts", "--affected", "40", "--unreachable", "4"])
        .ok();
    env.breach(["config", "set", "email", "privacy@example.org"])
        .ok();
    let letter = env.breach(["letter", "substitute"]).ok();
    assert!(!letter.stdout.contains("toll-free"), "{}", letter.stdout);
    assert!(
        !letter.stderr.contains("toll-free number active"),
        "{}",
        letter.stderr
    );
    assert!(
        letter
            .stdout
            .contains("contact us: email privacy@example.org."),
        "{}",
        letter.stdout
    );
}

#[test]
fn the_report_lists_every_assessment_in_order_with_the_superseded_ones_marked() {
    let env = Env::utc();
    env.start_minimal("Two assessments");
    env.breach(["facts", "--affected", "3", "--unreachable", "0"])
        .ok();
    env.breach(crate::ASSESS_NOTIFICATION_REQUIRED).ok();
    let mut second: Vec<&str> = crate::ASSESS_NOTIFICATION_REQUIRED.to_vec();
    let signer = second.iter().position(|a| *a == "Dana Whit").unwrap();
    second[signer] = "Lee Counsel";
    env.breach(second).ok();
    let md = env.breach(["export", "--format", "md"]).ok().stdout;
    let first_row = md
        .lines()
        .find(|l| l.contains("| Dana Whit (Privacy Officer) |"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(first_row.contains("superseded by entry"), "{first_row}");
    let second_row = md
        .lines()
        .find(|l| l.contains("| Lee Counsel (Privacy Officer) |"))
        .unwrap();
    assert!(second_row.ends_with("in force |"), "{second_row}");
    assert!(
        md.find(first_row) < md.find(second_row),
        "in the order recorded"
    );
    assert!(md.contains("supersedes 1 earlier assessment(s)"));
    let html = env.breach(["export", "--format", "html"]).ok().stdout;
    assert!(html.contains("Every assessment, in the order recorded"));
    assert!(!html.contains("notification required (notification required"));
    let json = env.breach(["export", "--format", "json"]).ok().json();
    let all = json["assessments"].as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["signed_by"], "Dana Whit");
    assert_eq!(all[1]["superseded_by"], Value::Null);
    assert_eq!(all[0]["superseded_by"], all[1]["seq"]);
}

/// The earlier version's incident (twelve kinds of entry, a repaired torn tail), reopened,
/// assessed again and time-stamped, and a practice incident discarded: between them, every kind
/// of entry the tool records (a reportable breach is never discarded).
fn every_kind_of_entry() -> (Env, [String; 2]) {
    let env = crate::compat::env_with_fixture();
    let fixture = env.breach(["--json", "status"]).ok().json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    env.breach(["reopen", "--reason", "A second recipient came to light"])
        .ok();
    env.breach([
        "assess",
        "--secured",
        "no",
        "--exception",
        "inadvertent-disclosure",
        "--exception-basis",
        "the second recipient is a nurse at the same clinic, authorised to see it",
        "--determination",
        "exception",
        "--rationale",
        "An internal recipient bound by the same policies",
        "--signed-by",
        "Noor Baptiste",
        "--role",
        "Counsel",
    ])
    .ok();
    let tsa = crate::timestamps::Tsa::new(&env, "Every Kind", true);
    env.breach(["config", "set", "tsa_certs", tsa.root().to_str().unwrap()])
        .ok();
    let (_, tsr) = crate::timestamps::ask(&env, &tsa, "every");
    env.breach(["timestamp", "add", tsr.to_str().unwrap()]).ok();
    let practice = env.start_minimal("Practice run");
    env.breach([
        "discard",
        "-i",
        &practice,
        "--reason",
        "Kept as the training example",
    ])
    .ok();
    (env, [fixture, practice])
}

#[test]
fn every_export_renders_every_kind_of_entry() {
    let (env, ids) = every_kind_of_entry();
    let mut kinds = std::collections::BTreeSet::new();
    for id in &ids {
        let export = |format: &str| {
            env.breach(["export", "-i", id, "--format", format])
                .ok()
                .stdout
        };
        let json: Value = serde_json::from_str(&export("json")).unwrap();
        let entries = json["entries"].as_array().unwrap();
        kinds.extend(
            entries
                .iter()
                .map(|e| e["kind"].as_str().unwrap().to_owned()),
        );
        let timeline = json["timeline"].as_array().unwrap();
        assert_eq!(timeline.len(), entries.len());
        // Each entry's words, as the JSON timeline tells them, are in every report format.
        for format in ["md", "html", "csv"] {
            let doc = export(format);
            for t in timeline {
                // Each format escapes in its own way; the first words of a summary are plain.
                let summary: String = t["summary"].as_str().unwrap().chars().take(24).collect();
                let words = summary.split(['<', '&', '"', '\'']).next().unwrap();
                assert!(doc.contains(words), "{format} lacks {words:?}:\n{doc}");
            }
            if format != "csv" {
                assert!(doc.contains("Sign-off"), "{format}:\n{doc}");
            }
        }
        assert!(export("ics").starts_with("BEGIN:VCALENDAR"));
    }
    assert_eq!(kinds.len(), 15, "every kind of entry: {kinds:?}");
    // The superseded assessment is marked so in the reports.
    let [fixture, _] = &ids;
    let json = env
        .breach(["export", "-i", fixture, "--format", "json"])
        .ok()
        .json();
    let assessments = json["assessments"].as_array().unwrap();
    assert_eq!(assessments.len(), 2);
    assert!(assessments[0]["superseded_by"].is_u64(), "{assessments:?}");
    for format in ["md", "html"] {
        let doc = env
            .breach(["export", "-i", fixture, "--format", format])
            .ok()
            .stdout;
        assert!(doc.contains("superseded by entry"), "{format}:\n{doc}");
    }
}

#[test]
fn the_steps_tables_show_when_a_step_happened_beside_when_it_was_recorded() {
    let env = Env::utc();
    env.start_minimal("Recorded the next morning");
    env.breach([
        "done",
        "identify",
        "--set",
        "message_id=<CAF2@mail.example.org>",
        "--set",
        "recipients=1",
        "--set",
        "kind=external",
        "--at",
        "2026-03-09 16:45",
    ])
    .ok();
    let json = env.breach(["export", "--format", "json"]).ok().json();
    let step = json["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["steps"].as_array().unwrap())
        .find(|s| s["id"] == "identify")
        .unwrap()
        .clone();
    assert_eq!(step["happened"], "2026-03-09 16:45 +00:00", "{step}");
    let recorded = step["at"].as_str().unwrap().to_owned();
    let md = env.breach(["export", "--format", "md"]).ok().stdout;
    assert!(
        md.contains(&format!(
            "happened 2026-03-09 16:45 +00:00, recorded {recorded}"
        )),
        "{md}"
    );
    let html = env.breach(["export", "--format", "html"]).ok().stdout;
    assert!(
        html.contains(r#"happened <span class="date">2026-03-09</span> <span class="date">16:45 +00:00</span>"#),
        "{html}"
    );
}

#[test]
fn the_word_report_is_the_same_report_read_back_by_pandoc_and_a_zip_reader() {
    let (env, _) = every_kind_of_entry();
    let marking = "Privileged and confidential — prepared at the direction of counsel";
    env.breach(["config", "set", "name", "Riverside Family Clinic"])
        .ok();
    env.breach(["config", "set", "report_marking", marking])
        .ok();
    let id = "20260310-3amv";
    let word = env.path().join("report.docx");
    env.breach([
        "export",
        "-i",
        id,
        "--format",
        "docx",
        "-o",
        word.to_str().unwrap(),
    ])
    .ok();
    let path = word.to_str().unwrap();
    let text = crate::notices::read_back("pandoc", &["-t", "markdown", "--wrap", "none", path]);
    // Headings are Word headings; tables, lists and every entry's words are there.
    for needle in [
        "# Incident 20260310-3amv",
        "## Steps",
        "## Timeline",
        "## Sign-off",
        "superseded by entry",
        "Time stamp: entries up to",
        "Incident reopened: A second recipient came to light.",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // A line break inside a cell stays one: the evidence fields are not run together.
    assert!(!text.contains("kind: externalmessage_id"), "{text}");
    // The marking and the organisation head every page; the footer numbers them.
    let part = |name: &str| {
        crate::notices::read_back(
            "python3",
            &[
                "-c",
                "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.read(sys.argv[2]).decode())",
                path,
                name,
            ],
        )
    };
    let header = part("word/header1.xml");
    assert!(
        header.contains(marking) && header.contains("Riverside Family Clinic"),
        "{header}"
    );
    let footer = part("word/footer1.xml");
    assert!(
        footer.contains("PAGE") && footer.contains("NUMPAGES"),
        "{footer}"
    );
    // Not to a terminal; to a pipe it is the same package.
    let piped = env.breach(["export", "-i", id, "--format", "docx"]).ok();
    assert!(piped.stdout.starts_with("PK"));
    // LibreOffice opens it as Word would: laid out and printed, every page carries the marking
    // and its number, and the fields Word fills at print time are filled.
    let pdf_dir = env.path().join("libreoffice-pdf");
    let profile = format!(
        "-env:UserInstallation=file://{}",
        env.path().join("lo").display()
    );
    crate::notices::read_back(
        "soffice",
        &[
            "--headless",
            &profile,
            "--convert-to",
            "pdf",
            "--outdir",
            pdf_dir.to_str().unwrap(),
            path,
        ],
    );
    let pdf = pdf_dir.join("report.pdf");
    let pdf = pdf.to_str().unwrap();
    let pages: usize = crate::notices::read_back("pdfinfo", &[pdf])
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo gives the page count");
    assert!(pages >= 2, "{pages} pages");
    for page in 1..=pages {
        let n = page.to_string();
        let text =
            crate::notices::read_back("pdftotext", &["-f", &n, "-l", &n, "-layout", pdf, "-"]);
        assert!(
            text.contains(&format!("Page {page} of {pages}")),
            "page {page}: {text}"
        );
        assert!(
            text.contains(marking),
            "page {page} lacks the marking: {text}"
        );
    }
}

/// The errors a real JSON Schema validator (Python's `jsonschema`, draft 2020-12) finds in
/// `doc` against `schema`; `.ci/run` installs it.
fn schema_errors(env: &Env, schema: &str, doc: &Value) -> Vec<String> {
    let schema_path = env.write("schema.json", schema);
    let doc_path = env.write("doc.json", &doc.to_string());
    let out = crate::notices::read_back(
        "python3",
        &[
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft202012Validator.check_schema(schema)\n\
             for e in jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))):\n\
             \x20   print(e.json_path, e.message[:200])",
            schema_path.to_str().unwrap(),
            doc_path.to_str().unwrap(),
        ],
    );
    out.lines().map(str::to_owned).collect()
}

#[test]
fn every_json_export_validates_against_the_schema_of_its_format() {
    let schema = Env::new().breach(["schema", "export"]).ok().stdout;
    let parsed: Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(parsed["title"], "breach-export/1");
    assert_eq!(parsed["properties"]["format"]["const"], "breach-export/1");
    let (full, _) = full_incident();
    let (every, ids) = every_kind_of_entry();
    let mut exports = vec![full.breach(["export", "--format", "json"]).ok().json()];
    for id in &ids {
        exports.push(
            every
                .breach(["export", "-i", id, "--format", "json"])
                .ok()
                .json(),
        );
    }
    for export in &exports {
        assert_eq!(export["format"], "breach-export/1");
        let errors = schema_errors(&full, &schema, export);
        assert!(errors.is_empty(), "{errors:#?}");
    }
    // The validator is looking: a changed type, a missing key and another format each fail.
    let mut wrong = exports[0].clone();
    wrong["timeline"][0]["seq"] = Value::from("zero");
    wrong.as_object_mut().unwrap().remove("facts");
    wrong["format"] = Value::from("breach-export/2");
    let errors = schema_errors(&full, &schema, &wrong);
    for needle in [
        "$.timeline[0].seq",
        "'facts' is a required property",
        "$.format",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "{needle}: {errors:#?}"
        );
    }
}

#[test]
fn status_and_deadlines_json_validate_against_their_schemas() {
    let (every, ids) = every_kind_of_entry();
    let (full, _) = full_incident();
    for (command, schema_name) in [("status", "status"), ("deadlines", "deadlines")] {
        let schema = every.breach(["schema", schema_name]).ok().stdout;
        let parsed: Value = serde_json::from_str(&schema).unwrap();
        assert_eq!(parsed["title"], format!("breach {command} --json"));
        let mut docs = vec![full.breach(["--json", command]).ok().json()];
        for id in &ids {
            docs.push(every.breach(["--json", command, "-i", id]).ok().json());
        }
        for doc in &docs {
            let errors = schema_errors(&every, &schema, doc);
            assert!(errors.is_empty(), "{command}: {errors:#?}");
        }
        // The schema is looking: a required key taken away fails.
        let mut wrong = docs[0].clone();
        let first_required = parsed["required"][0]
            .as_str()
            .expect("required keys")
            .to_owned();
        wrong.as_object_mut().unwrap().remove(&first_required);
        assert!(
            !schema_errors(&every, &schema, &wrong).is_empty(),
            "{command}: removing {first_required} must fail"
        );
    }
}
