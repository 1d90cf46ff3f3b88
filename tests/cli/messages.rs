//! The message itself as the first evidence: `done identify-message --from-eml FILE` fills the
//! step's fields from the message's headers and records the file's SHA-256, and nothing of its
//! subject, body or attachments reaches the store. The message is invented, SSN included
//! (078-05-1120, the number once printed on a wallet insert, never a person's).

use sha2::{Digest, Sha256};

use crate::Env;

const MESSAGE: &str = "Message-ID: <CAF77@mail.example.org>\r\n\
Date: Sun, 1 Mar 2026 08:55:00 -0600\r\n\
From: \"Clinic Front Desk\" <clinic@example.org>\r\n\
To: someone@example.net, Other Person <other@example.com>\r\n\
Cc: someone@example.net\r\n\
Bcc: third@example.org\r\n\
Subject: Lab results for Avery Quill\r\n\
Content-Type: text/plain\r\n\
\r\n\
Patient Avery Quill, SSN 078-05-1120, result attached.\r\n";

/// `done identify-message --from-eml FILE` with any `--set` arguments after it.
fn done_from(env: &Env, file: &std::path::Path, sets: &[&str]) -> crate::Run {
    let mut args = vec![
        "done",
        "identify-message",
        "--from-eml",
        file.to_str().unwrap(),
    ];
    for set in sets {
        args.extend(["--set", set]);
    }
    env.breach(args)
}

/// The evidence `status --json` shows for `identify-message`.
fn identify_evidence(env: &Env) -> serde_json::Value {
    let status = env.breach(["--json", "status"]).ok().json();
    status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "identify-message")
        .unwrap()["evidence"]
        .clone()
}

#[test]
fn the_headers_fill_the_evidence_and_nothing_of_the_body_or_subject_is_kept() {
    for env in crate::backends() {
        let id = env.start("misdirected-email");
        let eml = env.write("message.eml", MESSAGE);
        let out = done_from(
            &env,
            &eml,
            &["recipient_type=external", "phi_types=name, lab result"],
        )
        .ok();
        let sha = hex::encode(Sha256::digest(MESSAGE.as_bytes()));
        assert!(out.stdout.contains(&sha), "{}", out.stdout);
        let evidence = &identify_evidence(&env);
        assert_eq!(evidence["message_id"], "<CAF77@mail.example.org>");
        assert_eq!(evidence["sender"], "clinic@example.org");
        // To, Cc and Bcc, each address once.
        assert_eq!(
            evidence["wrong_recipients"],
            "someone@example.net, other@example.com, third@example.org"
        );
        // 08:55 at -06:00 is 14:55 UTC, whatever zone the record shows it in.
        let sent = chrono::DateTime::parse_from_rfc3339(evidence["sent_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(sent.to_rfc3339(), "2026-03-01T14:55:00+00:00");
        let log = env.log_text(&id);
        let entry: serde_json::Value = serde_json::from_str(log.lines().nth(1).unwrap()).unwrap();
        assert_eq!(entry["data"]["message_file"]["sha256"], sha.as_str());
        assert_eq!(entry["data"]["message_file"]["recipients"], 3);
        // Neither the log, nor any export, nor (on a directory) any file of the store holds
        // the subject or the body.
        let mut seen = log.clone();
        for format in ["json", "md", "csv"] {
            seen.push_str(&env.breach(["export", "--format", format]).ok().stdout);
        }
        if env.backend() == "directory" {
            let stored = crate::notices::every_byte_under(&env.store());
            seen.push_str(&String::from_utf8_lossy(&stored));
        }
        for secret in ["078-05-1120", "Avery", "Quill", "Lab results for"] {
            assert!(!seen.contains(secret), "{secret} reached the store");
        }
        env.breach(["verify"]).ok();
    }
}

#[test]
fn a_value_given_with_set_wins_and_a_bad_message_records_nothing() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    let before = env.log_bytes(&id);
    let garbage = env.write("garbage.eml", "\u{1}\u{2}\u{3} not a message at all");
    let refused = done_from(&env, &garbage, &[]).fails(1);
    assert!(
        refused.error_line().contains("not an RFC 5322 message"),
        "{}",
        refused.stderr
    );
    // A message too large for any mail system: refused from its size, unread.
    let huge = env.path().join("huge.eml");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(65 * 1024 * 1024)
        .unwrap();
    let refused = done_from(&env, &huge, &[]).fails(1);
    assert!(
        refused.error_line().contains("huge.eml"),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    done_from(&env, std::path::Path::new("no-such.eml"), &[]).fails(1);
    assert_eq!(env.log_bytes(&id), before, "nothing recorded");

    let eml = env.write("message.eml", MESSAGE);
    done_from(
        &env,
        &eml,
        &[
            "wrong_recipients=someone@example.net",
            "recipient_type=external",
            "phi_types=name",
        ],
    )
    .ok();
    let evidence = identify_evidence(&env);
    assert_eq!(evidence["wrong_recipients"], "someone@example.net");
    assert_eq!(evidence["sender"], "clinic@example.org");
}

#[test]
fn attach_eml_records_the_headers_for_any_step_and_never_the_message() {
    for env in crate::backends() {
        let id = env.start("misdirected-email");
        let eml = env.write("message.eml", MESSAGE);
        let out = env
            .breach([
                "attach",
                "--eml",
                eml.to_str().unwrap(),
                "--step",
                "preserve-evidence",
            ])
            .ok();
        let sha = hex::encode(Sha256::digest(MESSAGE.as_bytes()));
        assert!(out.stdout.contains(&sha), "{}", out.stdout);
        let log = env.log_text(&id);
        let entry: serde_json::Value = serde_json::from_str(log.lines().nth(1).unwrap()).unwrap();
        assert_eq!(entry["kind"], "message_recorded");
        let data = &entry["data"];
        assert_eq!(data["step"], "preserve-evidence");
        assert_eq!(data["message_id"], "<CAF77@mail.example.org>");
        assert_eq!(data["sender"], "clinic@example.org");
        assert_eq!(
            data["recipients"],
            serde_json::json!([
                "someone@example.net",
                "other@example.com",
                "third@example.org"
            ])
        );
        assert_eq!(data["message_file"]["sha256"], sha.as_str());
        assert_eq!(data["message_file"]["bytes"], MESSAGE.len());
        // No attachment was made of it, and the report says what was kept and what was not.
        let export = env
            .breach(["--json", "export", "--format", "json"])
            .ok()
            .json();
        assert_eq!(export["attachments"], serde_json::json!([]), "{export}");
        let md = env.breach(["export", "--format", "md"]).ok().stdout;
        assert!(
            md.contains(
                "Recorded the headers of message &lt;CAF77@mail.example.org&gt; for preserve-evidence"
            ),
            "{md}"
        );
        let mut seen = log.clone();
        seen.push_str(&md);
        seen.push_str(&export.to_string());
        if env.backend() == "directory" {
            seen.push_str(&String::from_utf8_lossy(&crate::notices::every_byte_under(
                &env.store(),
            )));
        }
        for secret in ["078-05-1120", "Avery", "Quill", "Lab results for"] {
            assert!(!seen.contains(secret), "{secret} reached the store");
        }
        env.breach(["verify"]).ok();
        // A step that does not exist, or a file that is not a message: one line, nothing
        // recorded.
        let before = env.log_bytes(&id);
        let refused = env
            .breach([
                "attach",
                "--eml",
                eml.to_str().unwrap(),
                "--step",
                "no-such-step",
            ])
            .fails(1);
        assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
        let garbage = env.write("garbage.eml", "\u{1}\u{2} not a message");
        let refused = env
            .breach(["attach", "--eml", garbage.to_str().unwrap()])
            .fails(1);
        assert!(
            refused.error_line().contains("--eml") && refused.error_line().contains("garbage.eml"),
            "{}",
            refused.stderr
        );
        assert_eq!(env.log_bytes(&id), before, "nothing recorded");
    }
}
