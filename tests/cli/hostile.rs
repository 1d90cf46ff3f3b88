//! Hostile and careless input: terminal escapes and bidi controls neutralised on screen, very
//! long input refused, raw identifiers warned about without being echoed, and a store that is
//! not private refused.

use std::os::unix::fs::PermissionsExt;

use crate::Env;

#[test]
fn text_that_looks_like_an_identifier_is_refused_before_it_is_written_and_never_echoed() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    let before = std::fs::read(env.log_path(&id)).unwrap();
    for (text, kind) in [
        ("Patient SSN is 078-05-1120", "a Social Security number"),
        (
            "the SSN 078051120 was in the body",
            "a Social Security number",
        ),
        (
            "MRN 00482913 was in the subject",
            "a medical record or account number",
        ),
        ("DOB 04/12/1961 in the attachment", "a date of birth"),
        ("call back on (503) 555-0142", "a phone number"),
        (
            "it went to jroe@example.net",
            "an email address outside the organisation",
        ),
        ("returned from 4417 Alder Creek Rd", "a street address"),
    ] {
        let out = env.breach(["note", text]).fails(1);
        assert!(
            out.error_line()
                .contains(&format!("the note looks like it contains {kind}"))
                && out.error_line().contains("--allow-identifiers"),
            "{text}: {}",
            out.stderr
        );
        for fragment in [
            "078-05-1120",
            "078051120",
            "00482913",
            "04/12/1961",
            "555-0142",
            "jroe@",
            "Alder",
        ] {
            assert!(
                !out.stderr.contains(fragment),
                "the refusal echoes the identifier: {}",
                out.stderr
            );
        }
    }
    assert_eq!(
        std::fs::read(env.log_path(&id)).unwrap(),
        before,
        "nothing was written"
    );
    // Evidence: the wrong recipients' addresses are what the step asks for; an SSN is not.
    let mut evidence = vec![
        "done",
        "identify-message",
        "--set",
        "message_id=<a@b>",
        "--set",
        "sent_at=2026-03-01 09:00",
        "--set",
        "sender=clinic@example.org",
        "--set",
        "wrong_recipients=b@example.net, c@example.com",
        "--set",
        "recipient_type=external",
        "--set",
        "phi_types=SSN 078-05-1120",
    ];
    let out = env.breach(&evidence).fails(1);
    assert!(
        out.error_line()
            .contains("evidence `phi_types` looks like it contains a Social Security number")
            && !out.error_line().contains("wrong_recipients"),
        "{}",
        out.stderr
    );
    evidence[13] = "phi_types=names and lab results";
    env.breach(&evidence).ok();
    // The title at start, before the incident exists.
    let out = env
        .breach([
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01",
            "--title",
            "Results for MRN 00482913",
        ])
        .fails(1);
    assert!(
        out.error_line()
            .contains("the title looks like it contains"),
        "{}",
        out.stderr
    );
}

#[test]
fn allow_identifiers_records_the_text_and_the_override_in_the_entry() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    env.breach(["--allow-identifiers", "note", "Patient SSN is 078-05-1120"])
        .ok();
    let log = std::fs::read_to_string(env.log_path(&id)).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["allowed"], "identifiers: a Social Security number");
    assert_eq!(last["data"]["text"], "Patient SSN is 078-05-1120");
    env.breach(["verify"]).ok();
}

#[test]
fn the_organisations_own_contact_details_are_not_identifiers() {
    let env = Env::new();
    env.start("misdirected-email");
    for (key, value) in [
        ("email", "privacy@riverside-clinic.example"),
        ("toll_free", "1-503-555-0100"),
        ("address", "12 Elm Street, Springfield"),
    ] {
        env.breach(["config", "set", key, value]).ok();
    }
    env.breach([
        "note",
        "Letter gives privacy@riverside-clinic.example, 503-555-0100 and 12 Elm Street, Springfield",
    ])
    .ok();
}

#[test]
fn errors_do_not_echo_evidence_values() {
    let env = Env::new();
    env.start("misdirected-email");
    let out = env
        .breach(["done", "identify-message", "--set", "078-05-1120"])
        .fails(2);
    assert!(!out.stderr.contains("078-05-1120"), "{}", out.stderr);
    assert!(out.error_line().contains("has no `=`"));
}

#[test]
fn terminal_escapes_and_bidi_controls_are_neutralised_on_screen() {
    let env = Env::new();
    let title = "Wiped\u{1b}[2J\u{1b}]0;owned\u{7}title \u{202e}desrever";
    env.breach([
        "start",
        "--runbook",
        "misdirected-email",
        "--discovered",
        "2026-03-01",
        "--title",
        title,
    ])
    .ok();
    let actor = env
        .breach(["--actor", "mallory\u{1b}[31m", "note", "x"])
        .fails(2);
    assert!(
        actor.error_line().contains("--actor"),
        "an actor name with control characters is refused"
    );
    env.breach(["note", "hidden \u{1b}[8m text"]).ok();
    for args in [
        vec!["status"],
        vec!["list"],
        vec!["export", "--format", "md"],
        vec!["deadlines"],
    ] {
        let out = env.breach(args.clone()).ok().stdout;
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}') && !out.contains('\u{7}'),
            "{args:?} let a control character through"
        );
    }
    let status = env.breach(["status"]).ok().stdout;
    assert!(
        status.contains("Wiped\\u{1b}[2J"),
        "escapes are shown, visibly: {status}"
    );
    // Runbook text is untrusted too.
    let rb = include_str!("../fixtures/minimal.yaml").replace(
        "title: Minimal test runbook",
        "title: \"Minimal \\e[31mred\"",
    );
    env.write("org/minimal.yaml", &rb);
    let list = env
        .breach(["--runbooks", "org", "runbook", "list"])
        .ok()
        .stdout;
    assert!(!list.contains('\u{1b}'), "{list}");
}

#[test]
fn very_long_input_is_refused_with_its_size() {
    let env = Env::new();
    env.start("misdirected-email");
    let long = "x".repeat(20_000);
    let out = env.breach(["note", &long]).fails(1);
    assert!(
        out.error_line().contains("20000 bytes; at most 16384"),
        "{}",
        out.stderr
    );
    let title = env
        .breach([
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01",
            "--title",
            &long,
        ])
        .fails(1);
    assert!(title.error_line().contains("--title is 20000 bytes"));
}

#[test]
fn a_store_or_log_belonging_to_another_user_is_refused() {
    // Only root can give a file away; elsewhere the owner check is covered by the mode checks.
    if !rustix::process::geteuid().is_root() {
        return;
    }
    let env = Env::new();
    let id = env.start("misdirected-email");
    let path = env.log_path(&id);
    std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    let out = env.breach(["note", "x"]).fails(1);
    assert!(
        out.error_line()
            .contains("belongs to user id 65534, not to you"),
        "{}",
        out.stderr
    );
    std::os::unix::fs::chown(&path, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    env.breach(["note", "x"]).ok();
}

#[test]
fn a_store_on_a_local_disk_is_not_warned_about() {
    // Which file systems count as network ones: `files::tests`.
    let env = Env::new();
    env.start_minimal("Local store");
    let out = env.breach(["list"]).ok();
    assert!(!out.stderr.contains("network file system"));
}
