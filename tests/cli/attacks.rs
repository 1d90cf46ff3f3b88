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
    mail_individuals(env, "3");
    id
}

/// Records `count` individuals notified by first-class mail on 9 March 2026.
fn mail_individuals(env: &Env, count: &str) {
    env.breach([
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-09",
        "--method",
        "first-class-mail",
        "--count",
        count,
    ])
    .ok();
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
    mail_individuals(&told, "1");
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

#[test]
fn every_host_and_hostaddr_is_classified_before_tls_is_relaxed_and_every_host_is_shown() {
    let env = Env::new();
    for (url, remote) in [
        (
            "postgresql://u:Sup3r-Secret@127.0.0.1:5,db.remote:6/db?sslmode=disable",
            "127.0.0.1,db.remote",
        ),
        (
            "postgresql://u@localhost/db?sslmode=prefer&hostaddr=10.1.2.3",
            "localhost (hostaddr 10.1.2.3)",
        ),
        (
            "postgresql://u@/db?hostaddr=10.1.2.3&sslmode=disable",
            "10.1.2.3",
        ),
    ] {
        let out = env.breach(["list"]).env("BREACH_STORE", url).fails(1);
        assert!(
            out.error_line().contains("in clear")
                && out.error_line().contains(&format!("to {remote};")),
            "{url}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("Sup3r-Secret"));
    }
    // Every host local: plain TCP is allowed, and the message names every host tried.
    let out = env
        .breach(["list"])
        .env(
            "BREACH_STORE",
            "postgresql://u@127.0.0.1:1,localhost:2/db?sslmode=disable&connect_timeout=2",
        )
        .fails(1);
    assert!(
        out.error_line()
            .contains("postgresql://u@127.0.0.1:1,localhost:2/db")
            && out.error_line().contains("cannot reach"),
        "{}",
        out.stderr
    );
}

/// A database store with a writer and an auditor login; the env's own login is the owner.
fn team_store() -> Option<(Env, String, String, String)> {
    let env = Env::postgres()?;
    let cluster = crate::pg::cluster().unwrap();
    let db = env.database.clone().unwrap();
    let (writer, auditor) = (format!("{db}_w"), format!("{db}_a"));
    cluster
        .admin(&db)
        .batch_execute(&format!(
            "CREATE ROLE {writer} LOGIN IN ROLE breach_writer; CREATE ROLE {auditor} LOGIN IN ROLE breach_auditor;"
        ))
        .unwrap();
    let as_writer = cluster.url(&writer, &db);
    let id = env
        .breach([
            "--json",
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01 09:30",
            "--title",
            "Team",
        ])
        .env("BREACH_STORE", &as_writer)
        .ok()
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Some((env, id, writer, auditor))
}

fn raw(login: &str, db: &str) -> postgres::Client {
    postgres::Config::new()
        .host_path(&crate::pg::cluster().unwrap().dir)
        .user(login)
        .dbname(db)
        .connect(postgres::NoTls)
        .unwrap()
}

/// The next line after the incident's last one, hashed and linked as `breach` would write it,
/// with `ts` as its time and `data` as its payload.
fn linked_line(
    client: &mut postgres::Client,
    id: &str,
    ts: &str,
    kind: &str,
    data: &str,
) -> (i64, String, String, i64) {
    let last = client
        .query_one(
            "SELECT seq, hash, end_offset FROM breach.entries WHERE incident = $1 ORDER BY seq DESC LIMIT 1",
            &[&id],
        )
        .unwrap();
    let (seq, prev, end): (i64, String, i64) = (last.get(0), last.get(1), last.get(2));
    let body = format!(
        "{{\"seq\":{},\"prev\":\"{prev}\",\"ts\":\"{ts}\",\"actor\":\"mallory\",\"kind\":\"{kind}\",\"data\":{data}",
        seq + 1
    );
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(body.as_bytes()))
    };
    let line = format!("{body},\"hash\":\"{hash}\"}}\n");
    let end = end + line.len() as i64;
    (seq + 1, line, prev, end)
}

fn insert(
    client: &mut postgres::Client,
    id: &str,
    kind: &str,
    (seq, line, prev, end): &(i64, String, String, i64),
) -> Result<u64, postgres::Error> {
    let hash = &line[line.len() - 67..line.len() - 3];
    client.execute(
        "INSERT INTO breach.entries (incident, seq, prev, hash, end_offset, kind, line) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&id, seq, prev, &hash, end, &kind, &line.as_bytes()],
    )
}

#[test]
fn a_writer_cannot_freeze_an_incident_with_a_line_verify_would_reject_and_the_owner_has_a_way_back()
{
    let Some((env, id, writer, _)) = team_store() else {
        return;
    };
    let db = env.database.clone().unwrap();
    let as_writer = crate::pg::cluster().unwrap().url(&writer, &db);
    let mut w = raw(&writer, &db);
    let check = Some(&postgres::error::SqlState::CHECK_VIOLATION);
    // Earlier than the entry before it (the start was recorded at the suite's NOW).
    let early = linked_line(
        &mut w,
        &id,
        "2026-03-01T00:00:00.000Z",
        "note",
        "{\"text\":\"x\"}",
    );
    let e = insert(&mut w, &id, "note", &early).expect_err("an earlier time is refused");
    assert_eq!(e.code(), check, "{e:?}");
    assert!(format!("{e:?}").contains("earlier than entry 0"), "{e:?}");
    // Not a JSON record, an unknown field, a kind that is not the line's, a time that is not one.
    for (kind, ts, data, says) in [
        (
            "note",
            "2026-03-10T15:00:00.000Z",
            "{\"text\":\"x\"",
            "not JSON",
        ),
        (
            "attachment",
            "2026-03-10T15:00:00.000Z",
            "{\"text\":\"x\"}",
            "format",
        ),
        ("note", "yesterday", "{\"text\":\"x\"}", "not a time"),
    ] {
        let line = linked_line(&mut w, &id, ts, "note", data);
        let e = insert(&mut w, &id, kind, &line).expect_err(says);
        assert_eq!(e.code(), check, "{says}: {e:?}");
        assert!(format!("{e:?}").contains(says), "{says}: {e:?}");
    }
    env.breach(["note", "Still open for work"])
        .env("BREACH_STORE", &as_writer)
        .ok();
    // A first entry that opens another incident.
    w.execute(
        "INSERT INTO breach.incidents (id) VALUES ('20260310-twin')",
        &[],
    )
    .unwrap();
    let first: String = w
        .query_one(
            "SELECT convert_from(line, 'UTF8') FROM breach.entries WHERE incident = $1 AND seq = 0",
            &[&id],
        )
        .unwrap()
        .get(0);
    let hash = &first[first.len() - 67..first.len() - 3];
    let e = w
        .execute(
            "INSERT INTO breach.entries (incident, seq, prev, hash, end_offset, kind, line) VALUES ('20260310-twin', 0, $1, $2, $3, 'incident_opened', $4)",
            &[&"0".repeat(64), &hash, &(first.len() as i64), &first.as_bytes()],
        )
        .expect_err("a copy of another incident's first entry is refused");
    assert!(format!("{e:?}").contains("does not open incident"), "{e:?}");
    // An incident row with no entries fails verify.
    let empty = env
        .breach(["-i", "20260310-twin", "--json", "verify"])
        .env("BREACH_STORE", &as_writer)
        .fails(1)
        .json();
    assert!(
        empty["error"].as_str().unwrap().contains("no entries"),
        "{empty}"
    );

    // Damage that got in anyway (the owner turned the trigger off): every append refused.
    let mut owner = crate::pg::cluster().unwrap().admin(&db);
    let early = linked_line(
        &mut owner,
        &id,
        "2026-03-01T00:00:00.000Z",
        "note",
        "{\"text\":\"x\"}",
    );
    owner
        .batch_execute("ALTER TABLE breach.entries DISABLE TRIGGER entries_chain")
        .unwrap();
    insert(&mut owner, &id, "note", &early).unwrap();
    owner
        .batch_execute("ALTER TABLE breach.entries ENABLE TRIGGER entries_chain")
        .unwrap();
    let frozen = env
        .breach(["-i", &id, "note", "More"])
        .env("BREACH_STORE", &as_writer)
        .fails(1);
    assert!(frozen.error_line().contains("damaged"), "{}", frozen.stderr);
    // A writer cannot move entries aside; the owner can, and the incident takes entries again.
    let refused = env
        .breach([
            "-i",
            &id,
            "repair",
            "--reason",
            "entry 2 is earlier than entry 1",
        ])
        .env("BREACH_STORE", &as_writer)
        .fails(1);
    assert!(
        refused.error_line().contains("only the store's owner"),
        "{}",
        refused.stderr
    );
    let repaired = env
        .breach([
            "-i",
            &id,
            "--json",
            "repair",
            "--reason",
            "entry 2 is earlier than entry 1",
        ])
        .ok()
        .json();
    assert_eq!(repaired["head"]["seq"], 2, "{repaired}");
    assert!(
        repaired["removed"]["quarantine"]
            .as_str()
            .unwrap()
            .contains("entries 2-2")
    );
    env.breach(["-i", &id, "verify"])
        .env("BREACH_STORE", &as_writer)
        .ok();
    env.breach(["-i", &id, "note", "Back to work"])
        .env("BREACH_STORE", &as_writer)
        .ok();
    let (kept, by): (i64, String) = {
        let row = owner
            .query_one(
                "SELECT count(*), min(reason) FROM breach.quarantined_entries WHERE incident = $1",
                &[&id],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((kept, by.as_str()), (1, "entry 2 is earlier than entry 1"));
    // The quarantine is insert-only too, and nobody deletes an entry without copying it there.
    for sql in [
        "DELETE FROM breach.quarantined_entries",
        "DELETE FROM breach.entries WHERE seq = 3",
    ] {
        let e = owner.batch_execute(sql).expect_err(sql);
        assert!(format!("{e:?}").contains("insert-only"), "{sql}: {e:?}");
    }
}

#[test]
fn a_read_only_login_cannot_hold_the_write_lock_and_block_the_writers() {
    let Some((env, id, writer, auditor)) = team_store() else {
        return;
    };
    let db = env.database.clone().unwrap();
    let cluster = crate::pg::cluster().unwrap();
    let mut a = raw(&auditor, &db);
    // The locks an auditor could try, held in an open transaction while a writer appends.
    let mut held = a.transaction().unwrap();
    held.execute(
        "SELECT pg_advisory_xact_lock(1651664225, hashtext($1))",
        &[&id],
    )
    .unwrap();
    held.execute("SELECT pg_advisory_xact_lock(1651664225, 0)", &[])
        .unwrap();
    held.query("SELECT * FROM breach.entries WHERE incident = $1", &[&id])
        .unwrap();
    env.breach(["note", "Written while an auditor reads"])
        .env("BREACH_STORE", cluster.url(&writer, &db))
        .env("PGOPTIONS", "-c lock_timeout=2s")
        .ok();
    held.rollback().unwrap();
    for lock in [
        "FOR UPDATE",
        "FOR NO KEY UPDATE",
        "FOR SHARE",
        "FOR KEY SHARE",
    ] {
        let e = a
            .query(
                &format!("SELECT 1 FROM breach.incidents WHERE id = $1 {lock}"),
                &[&id],
            )
            .expect_err(lock);
        assert_eq!(
            e.code(),
            Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{lock}: {e:?}"
        );
    }
    let e = a
        .batch_execute("BEGIN; LOCK TABLE breach.entries IN SHARE MODE; COMMIT")
        .expect_err("a table lock that blocks inserts");
    assert_eq!(
        e.code(),
        Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
        "{e:?}"
    );
}

#[test]
fn an_append_after_an_edit_outside_breach_verifies_the_whole_log_instead_of_its_snapshot() {
    let env = Env::new();
    let id = env.start_minimal("Long incident");
    for n in 0..70 {
        env.breach(["note", &format!("Routine check number {n:02}")])
            .ok();
    }
    // By now a state snapshot covers most of the log; an edit of an early entry that keeps its
    // length (no chain rebuilt) leaves the snapshot's own check, the line at its offset, intact.
    let path = env.log_path(&id);
    let text = env.log_text(&id);
    let edited = text.replacen("Routine check number 03", "Routine check number 99", 1);
    assert_ne!(edited, text);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&path, edited).unwrap();
    let refused = env.breach(["note", "One more"]).fails(1);
    assert!(
        refused.error_line().contains("damaged") && refused.stderr.contains("entry 4"),
        "{}",
        refused.stderr
    );
    let status = env.breach(["status"]).fails(1);
    assert!(status.error_line().contains("damaged"), "{}", status.stderr);

    // A log changed outside breach but whole (restored from a copy) is verified, then worked on.
    let fresh = Env::new();
    let id = fresh.start_minimal("Restored");
    for n in 0..70 {
        fresh
            .breach(["note", &format!("Routine check number {n:02}")])
            .ok();
    }
    let bytes = fresh.log_bytes(&id);
    std::fs::write(fresh.log_path(&id), &bytes).unwrap();
    fresh.breach(["note", "After the restore"]).ok();
    fresh.breach(["verify"]).ok();
}
