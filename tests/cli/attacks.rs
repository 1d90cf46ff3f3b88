//! The holes an attack pass found, tried as a hostile insider or an unlucky user would: each
//! test failed on the build that had the hole. The PostgreSQL ones run against the suite's own
//! throwaway cluster (see `pg`).

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use crate::{ASSESS_NOTIFICATION_REQUIRED, Env};

/// An incident whose record shows a reportable breach: 3 affected, an assessment that
/// requires notification, and the 3 notified by first-class mail.
fn reportable_breach(env: &Env) -> String {
    let id = env.start("misdirected-email");
    env.breach(["facts", "--affected", "3", "--unreachable", "0"])
        .ok();
    env.breach(ASSESS_NOTIFICATION_REQUIRED).ok();
    env.breach([
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-09",
        "--method",
        "first-class-mail",
        "--count",
        "3",
    ])
    .ok();
    id
}

fn annual_ids(env: &Env) -> Vec<String> {
    env.breach(["--json", "annual", "2026"]).ok().json()["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_reportable_breach_cannot_be_discarded_out_of_the_annual_report() {
    let env = Env::new();
    let id = reportable_breach(&env);
    assert_eq!(annual_ids(&env), vec![id.as_str()]);
    let before = env.log_bytes(&id);
    let refused = env.breach(["discard", "--reason", "tidying up"]).fails(1);
    assert!(
        refused.error_line().contains("requires notification")
            && refused.error_line().contains("is not discarded"),
        "{}",
        refused.stderr
    );
    assert_eq!(env.log_bytes(&id), before, "nothing recorded");
    assert_eq!(annual_ids(&env), vec![id.as_str()]);
    let all = env.breach(["--json", "deadlines", "--all"]).ok().stdout;
    assert!(all.contains("hhs_annual_report"), "{all}");

    // Notices alone are enough: a breach told to people is not a practice run.
    let told = Env::new();
    told.start("misdirected-email");
    told.breach([
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-09",
        "--method",
        "first-class-mail",
        "--count",
        "1",
    ])
    .ok();
    let refused = told.breach(["discard", "--reason", "oops"]).fails(1);
    assert!(
        refused.error_line().contains("notice(s) sent"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_discard_an_earlier_version_recorded_keeps_the_breach_in_the_annual_report() {
    let env = Env::new();
    let id = reportable_breach(&env);
    // Written as an earlier version (or anyone with write access) could: a discard entry on
    // top of the reportable record, the chain rebuilt.
    let text = env.log_text(&id);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let seq = lines.len();
    lines.push(format!(
        "{{\"seq\":{seq},\"prev\":\"{}\",\"ts\":\"2026-03-10T15:00:00.000Z\",\"actor\":\"ana.lima\",\"kind\":\"incident_discarded\",\"data\":{{\"reason\":\"tidying up\"}},\"hash\":\"{}\"}}",
        "0".repeat(64),
        "0".repeat(64)
    ));
    std::fs::write(env.log_path(&id), crate::compat::rechain(&lines)).unwrap();
    env.breach(["verify"]).ok();
    let report = env.breach(["--json", "annual", "2026"]).ok().json();
    assert_eq!(report["incidents"][0]["id"], id.as_str(), "{report}");
    let warned = report["warnings"].to_string();
    assert!(
        warned.contains("was discarded") && warned.contains(&id),
        "{report}"
    );
}

#[test]
fn a_copied_incident_directory_is_refused_never_a_second_incident() {
    let env = Env::new();
    let id = reportable_breach(&env);
    let incidents = env.store().join("incidents");
    let copy = format!("{id} copy");
    let status = Command::new("cp")
        .arg("-a")
        .arg(incidents.join(&id))
        .arg(incidents.join(&copy))
        .status()
        .unwrap();
    assert!(status.success());
    let out = env.breach(["-i", &copy, "verify"]).fails(1);
    assert!(
        out.stdout.contains(&format!("opens incident {id}"))
            && out.stdout.contains(&format!("kept as incident {copy}")),
        "{}",
        out.stdout
    );
    // Counted once in the annual report, with a warning naming the copy.
    let report = env.breach(["--json", "annual", "2026"]).ok().json();
    assert_eq!(annual_ids(&env), vec![id.as_str()]);
    assert!(report["warnings"].to_string().contains(&copy), "{report}");
    let status = env.breach(["-i", &copy, "status"]).fails(1);
    assert!(
        status.error_line().contains("kept as incident"),
        "{}",
        status.stderr
    );
    env.breach(["-i", &id, "verify"]).ok();
}

#[test]
fn push_and_pull_refuse_a_record_whose_evidence_is_missing() {
    let env = Env::new();
    let id = env.start_minimal("Evidence gone");
    env.write("trace.csv", "time,action\n09:31,sent\n");
    env.breach(["attach", "trace.csv", "--step", "identify"])
        .ok();
    let attachments = env.store().join("incidents").join(&id).join("attachments");
    for f in std::fs::read_dir(&attachments).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    env.breach(["verify"]).fails(1);
    let elsewhere = env.path().join("elsewhere");
    let pushed = env
        .breach(["push", "--to", elsewhere.to_str().unwrap()])
        .fails(1);
    assert!(
        pushed.error_line().contains("does not verify")
            && pushed.error_line().contains("nothing was copied"),
        "{}",
        pushed.stderr
    );
    assert!(!pushed.stdout.contains("Verified there"));
    assert!(
        !elsewhere.join("incidents").join(&id).exists(),
        "nothing promoted"
    );
    let pulled = env
        .breach(["pull", "--from", env.store().to_str().unwrap()])
        .env("BREACH_STORE", &elsewhere)
        .fails(1);
    assert!(
        pulled.error_line().contains("does not verify"),
        "{}",
        pulled.stderr
    );
}

#[test]
fn verify_fails_an_emptied_log() {
    let env = Env::new();
    let id = env.start_minimal("Emptied");
    std::fs::write(env.log_path(&id), b"").unwrap();
    let out = env.breach(["--json", "verify"]).fails(1);
    let verdict = out.json();
    assert_eq!(verdict["ok"], false, "{verdict}");
    assert!(
        verdict["error"].as_str().unwrap().contains("no entries"),
        "{verdict}"
    );
}

#[test]
fn runbook_init_writes_a_private_file_whatever_the_umask() {
    let env = Env::new();
    let bin = assert_cmd::cargo::cargo_bin!("breach");
    for args in [
        "runbook init misdirected-email",
        "runbook init compromised-mailbox mine/runbooks",
    ] {
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("umask 000; exec '{}' {args}", bin.display()))
            .current_dir(env.path())
            .env("BREACH_STORE", env.store())
            .env("BREACH_NOW", crate::NOW)
            .env("BREACH_ACTOR", "ana")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{args}");
    }
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let runbooks = env.store().join("runbooks");
    assert_eq!(mode(&runbooks), 0o700);
    assert_eq!(mode(&runbooks.join("misdirected-email.yaml")), 0o600);
    let mine = env.path().join("mine/runbooks");
    assert_eq!(mode(&mine), 0o700);
    assert_eq!(mode(&env.path().join("mine")), 0o700);
    assert_eq!(mode(&mine.join("compromised-mailbox.yaml")), 0o600);
}
