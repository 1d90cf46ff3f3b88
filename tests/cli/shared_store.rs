//! The PostgreSQL store, as a team would use it: the same record byte for byte as the directory
//! store, insert-only whatever SQL a writer sends, one chain under concurrent writers, and
//! faults (a lost connection, a killed client, a server restart, a server that is down) that
//! never lose or half-write an acknowledged entry. Each test starts from a fresh database in
//! the cluster the suite started itself (see `pg`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::{Env, pg};

/// Starts an incident in `store` (another store or login than the env's own); returns its id.
fn start_at(env: &Env, store: &str, title: &str) -> String {
    env.breach([
        "--json",
        "start",
        "--runbook",
        "misdirected-email",
        "--discovered",
        "2026-03-01 09:30",
        "--title",
        title,
    ])
    .env("BREACH_STORE", store)
    .ok()
    .json()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn url_of(env: &Env) -> String {
    env.store_arg()
        .into_string()
        .expect("a connection string is text")
}

/// Polls `done` until it holds, for at most about 30 seconds; a wait for a state, never a
/// measure of time.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("gave up waiting until {what}");
}

#[test]
fn a_pushed_incident_is_the_same_record_byte_for_byte_and_pull_brings_it_back() {
    let Some(shared) = Env::postgres() else {
        return;
    };
    let url = url_of(&shared);
    let laptop = Env::new();
    let id = laptop.start("misdirected-email");
    laptop
        .breach(["note", "Called the recipient, who deleted the message"])
        .ok();
    let trace = laptop.write(
        "message-trace.csv",
        "time,from,to\n09:00,a@example.org,b@example.net\n",
    );
    laptop
        .breach([
            "attach",
            trace.to_str().unwrap(),
            "--step",
            "identify-message",
        ])
        .ok();

    let pushed = laptop.breach(["--json", "push", "--to", &url]).ok().json();
    assert_eq!(pushed["entries"], 3);
    assert_eq!(pushed["new_entries"], 3);
    assert_eq!(pushed["new_attachments"], 1);
    // The same bytes, so the same hashes: an auditor's sha256sum agrees on both sides.
    assert_eq!(shared.log_bytes(&id), laptop.log_bytes(&id));
    let head = format!(
        "{}:{}",
        pushed["head"]["seq"],
        pushed["head"]["hash"].as_str().unwrap()
    );
    shared.breach(["verify", "--expect-head", &head]).ok();
    let verified = shared.breach(["--json", "verify"]).ok().json();
    assert_eq!(verified["attachments_checked"], 1, "{verified}");
    // The database knows which login wrote each entry (here, the one that pushed them); a
    // directory does not say.
    assert_eq!(verified["written_by"][0]["role"], "postgres", "{verified}");
    assert_eq!(verified["written_by"][0]["entries"], 3, "{verified}");
    let local = laptop.breach(["--json", "verify"]).ok().json();
    assert!(local.get("written_by").is_none(), "{local}");
    // The same export from either store, but that the database names the login behind each
    // entry (`written_by`, beside the actor name) in JSON, CSV and the reports.
    let export = |env: &Env| env.breach(["export", "--format", "json"]).ok().json();
    let (mut from_shared, from_laptop) = (export(&shared), export(&laptop));
    for row in from_shared["timeline"].as_array_mut().unwrap() {
        assert_eq!(row["written_by"], "postgres", "{row}");
        row.as_object_mut().unwrap().remove("written_by");
    }
    assert_eq!(from_shared, from_laptop);
    assert!(
        from_laptop["timeline"][0].get("written_by").is_none(),
        "a directory does not know the login"
    );
    let csv = shared.breach(["export", "--format", "csv"]).ok().stdout;
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",voided_by,written_by"));
    assert!(lines.all(|l| l.ends_with(",postgres")), "{csv}");
    let md = shared.breach(["export", "--format", "md"]).ok().stdout;
    assert!(md.contains("(login postgres)"), "{md}");
    let status = |env: &Env| {
        env.breach(["status"])
            .ok()
            .stdout
            .lines()
            .filter(|l| !l.trim_start().starts_with("store"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(status(&shared), status(&laptop));

    // Work goes on in the shared store; pull brings the laptop's copy up to date.
    shared
        .breach(["note", "Privacy officer informed by phone"])
        .ok();
    let pulled = laptop
        .breach(["--json", "pull", "-i", &id, "--from", &url])
        .ok()
        .json();
    assert_eq!(pulled["new_entries"], 1, "{pulled}");
    assert_eq!(laptop.log_bytes(&id), shared.log_bytes(&id));

    // An offline copy on a fresh machine: the log and the evidence, as they were.
    let offline = Env::new();
    offline
        .breach(["pull", "-i", &id[..6], "--from", &url])
        .ok();
    assert_eq!(offline.log_bytes(&id), shared.log_bytes(&id));
    let sha = pushed_attachment_sha(&offline, &id);
    assert_eq!(
        std::fs::read(
            offline
                .store()
                .join("incidents")
                .join(&id)
                .join("attachments")
                .join(&sha)
        )
        .unwrap(),
        std::fs::read(&trace).unwrap()
    );
    offline.breach(["verify"]).ok();
    // Pushing again copies nothing.
    let again = laptop.breach(["--json", "push", "--to", &url]).ok().json();
    assert_eq!(again["new_entries"], 0);

    // Two records of one incident are never merged.
    laptop.breach(["note", "Written on the laptop"]).ok();
    shared.breach(["note", "Written in the shared store"]).ok();
    let before = shared.log_bytes(&id);
    let refused = laptop.breach(["push", "--to", &url]).fails(1);
    assert!(
        refused
            .error_line()
            .contains("differs between the stores from entry 4"),
        "{}",
        refused.stderr
    );
    assert_eq!(shared.log_bytes(&id), before);
}

/// The SHA-256 the attachment entry of `id` records.
fn pushed_attachment_sha(env: &Env, id: &str) -> String {
    let log = env.log_text(id);
    let entry: serde_json::Value = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["kind"] == "attachment")
        .expect("an attachment entry");
    entry["data"]["sha256"].as_str().unwrap().to_owned()
}

#[test]
fn a_writer_may_only_read_and_insert_and_an_auditor_only_read_even_with_raw_sql() {
    let Some(env) = Env::postgres() else {
        return;
    };
    let cluster = pg::cluster().unwrap();
    let db = env.database.clone().unwrap();
    let (writer, auditor) = (format!("{db}_alice"), format!("{db}_counsel"));
    cluster
        .admin(&db)
        .batch_execute(&format!(
            "CREATE ROLE {writer} LOGIN IN ROLE breach_writer; CREATE ROLE {auditor} LOGIN IN ROLE breach_auditor;"
        ))
        .unwrap();
    let as_writer = cluster.url(&writer, &db);
    let id = start_at(&env, &as_writer, "Lab results to the wrong clinic");
    env.breach(["note", "Recipient called"])
        .env("BREACH_STORE", &as_writer)
        .ok();

    // Who wrote each entry comes from the login, beside the --actor the line names.
    let mut admin = cluster.admin(&db);
    let rows = admin
        .query(
            "SELECT written_by::text, convert_from(line, 'UTF8') FROM breach.entries ORDER BY seq",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row.get::<_, String>(0), writer);
        assert!(row.get::<_, String>(1).contains("\"actor\":\"ana.lima\""));
    }

    // Raw SQL as the writer: no change, no removal, no forged link, no borrowed name.
    let mut raw = postgres::Config::new()
        .host_path(&cluster.dir)
        .user(&writer)
        .dbname(&db)
        .connect(postgres::NoTls)
        .unwrap();
    for sql in [
        "UPDATE breach.entries SET kind = kind",
        "DELETE FROM breach.entries",
        "TRUNCATE breach.entries",
        "UPDATE breach.attachments SET bytes = 0",
        "DELETE FROM breach.incidents",
    ] {
        let e = raw.batch_execute(sql).expect_err(sql);
        assert_eq!(
            e.code(),
            Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {e:?}"
        );
    }
    let last: String = admin
        .query_one(
            "SELECT convert_from(line, 'UTF8') FROM breach.entries WHERE seq = 1",
            &[],
        )
        .unwrap()
        .get(0);
    let last: serde_json::Value = serde_json::from_str(last.trim_end()).unwrap();
    let forged_hash = "f".repeat(64);
    let forged = format!(
        "{{\"seq\":2,\"prev\":\"{}\",\"ts\":\"2026-03-10T15:00:00.000Z\",\"actor\":\"mallory\",\"kind\":\"note\",\"data\":{},\"hash\":\"{forged_hash}\"}}\n",
        last["hash"].as_str().unwrap(),
        last["data"]
    );
    let e = raw
        .execute(
            "INSERT INTO breach.entries (incident, seq, prev, hash, end_offset, kind, line) \
             SELECT $1, 2, $2, $3, end_offset + $4, 'note', $5 FROM breach.entries WHERE incident = $1 AND seq = 1",
            &[
                &id,
                &last["hash"].as_str().unwrap(),
                &forged_hash,
                &(forged.len() as i64),
                &forged.as_bytes(),
            ],
        )
        .expect_err("a line whose hash does not match is refused");
    assert_eq!(
        e.code(),
        Some(&postgres::error::SqlState::CHECK_VIOLATION),
        "{e:?}"
    );
    // A valid next link inserted by hand still records the login that wrote it, whatever the
    // statement says.
    let body = format!(
        "{{\"seq\":2,\"prev\":\"{}\",\"ts\":\"2026-03-10T15:00:00.000Z\",\"actor\":\"mallory\",\"kind\":\"note\",\"data\":{}",
        last["hash"].as_str().unwrap(),
        last["data"]
    );
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(body.as_bytes()))
    };
    let line = format!("{body},\"hash\":\"{hash}\"}}\n");
    raw.execute(
        "INSERT INTO breach.entries (incident, seq, prev, hash, end_offset, kind, line, written_by) \
         SELECT $1, 2, $2, $3, end_offset + $4, 'note', $5, 'postgres' FROM breach.entries WHERE incident = $1 AND seq = 1",
        &[
            &id,
            &last["hash"].as_str().unwrap(),
            &hash,
            &(line.len() as i64),
            &line.as_bytes(),
        ],
    )
    .unwrap();
    let by: String = admin
        .query_one(
            "SELECT written_by::text FROM breach.entries WHERE seq = 2",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(by, writer);

    // The triggers refuse even the owner.
    for sql in [
        "UPDATE breach.entries SET kind = kind",
        "DELETE FROM breach.entries WHERE seq = 2",
        "TRUNCATE breach.entries CASCADE",
    ] {
        let e = admin.batch_execute(sql).expect_err(sql);
        assert!(
            e.as_db_error()
                .is_some_and(|d| d.message().contains("insert-only")),
            "{sql}: {e:?}"
        );
    }

    // The auditor reads and verifies (which names the login behind every entry), and cannot
    // record.
    let as_auditor = cluster.url(&auditor, &db);
    let verified = env
        .breach(["--json", "verify"])
        .env("BREACH_STORE", &as_auditor)
        .ok()
        .json();
    assert_eq!(
        verified["written_by"],
        serde_json::json!([{"role": writer, "entries": 3, "first": 0, "last": 2}])
    );
    let said = env
        .breach(["verify"])
        .env("BREACH_STORE", &as_auditor)
        .ok()
        .stdout;
    assert!(
        said.contains(&format!(
            "Written by the database logins: {writer} (3 entries, 0-2)"
        )),
        "{said}"
    );
    env.breach(["list"]).env("BREACH_STORE", &as_auditor).ok();
    let refused = env
        .breach(["note", "An auditor's note"])
        .env("BREACH_STORE", &as_auditor)
        .fails(1);
    assert!(
        refused.error_line().contains("permission denied"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        admin
            .query_one("SELECT count(*) FROM breach.entries", &[])
            .unwrap()
            .get::<_, i64>(0),
        3
    );
}

#[test]
fn eight_processes_appending_fifty_entries_each_keep_one_unbroken_chain() {
    let Some(env) = Env::postgres() else {
        return;
    };
    let id = env.start("misdirected-email");
    let env = Arc::new(env);
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let env = Arc::clone(&env);
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for n in 0..50 {
                    let text = format!("writer {w} note {n}");
                    let out = env.breach(["note", &text]).run();
                    assert_eq!(out.code, 0, "{text}: {}", out.stderr);
                    acknowledged.push(text);
                }
                acknowledged
            })
        })
        .collect();
    let acknowledged: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert_eq!(acknowledged.len(), 400);
    let verified = env.breach(["--json", "verify"]).ok().json();
    assert_eq!(verified["entries"], 401, "{verified}");
    let log = env.log_text(&id);
    for text in &acknowledged {
        assert_eq!(
            log.matches(&format!("\"{text}\"")).count(),
            1,
            "{text} is not in the log exactly once"
        );
    }
}

/// The pid of the breach session waiting for a lock in `db`, if there is one.
fn waiting_breach(admin: &mut postgres::Client, db: &str) -> Option<i32> {
    admin
        .query_opt(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'breach' \
             AND wait_event_type = 'Lock' AND query LIKE 'INSERT%'",
            &[&db],
        )
        .unwrap()
        .map(|r| r.get(0))
}

#[test]
fn a_client_killed_or_cut_off_mid_transaction_leaves_nothing_half_written() {
    let Some(env) = Env::postgres() else {
        return;
    };
    let cluster = pg::cluster().unwrap();
    let db = env.database.clone().unwrap();
    let id = env.start("misdirected-email");
    let before = env.log_bytes(&id);
    let mut watcher = cluster.admin(&db);

    // The table held in SHARE mode lets breach lock the incident, read and decide, and stops
    // it at its INSERT: inside the transaction, the entry about to be written.
    for ending in ["killed", "cut off"] {
        let mut blocker = cluster.admin(&db);
        let mut hold = blocker.transaction().unwrap();
        hold.batch_execute("LOCK TABLE breach.entries IN SHARE MODE")
            .unwrap();
        let mut child = env
            .command(["note", "Written while the table is held"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut pid = None;
        wait_until("breach waits at its INSERT", || {
            pid = waiting_breach(&mut watcher, &db);
            pid.is_some()
        });
        if ending == "killed" {
            child.kill().unwrap();
            child.wait().unwrap();
        } else {
            watcher
                .execute("SELECT pg_terminate_backend($1)", &[&pid.unwrap()])
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(1));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(stderr.contains("entry NOT recorded"), "{stderr}");
        }
        hold.rollback().unwrap();
        assert_eq!(env.log_bytes(&id), before, "after the client was {ending}");
        wait_until("the server has ended the session", || {
            watcher
                .query_opt(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = $1",
                    &[&pid.unwrap()],
                )
                .unwrap()
                .is_none()
        });
    }
    // Nothing was left locked: the next append goes through.
    env.breach(["verify"]).ok();
    env.breach(["note", "After the faults"]).ok();
}

#[test]
fn a_server_restart_during_a_write_loop_loses_no_acknowledged_entry() {
    let Some(cluster) = pg::Cluster::private("restart") else {
        return;
    };
    let env = Env::new();
    let url = cluster.url("postgres", "postgres");
    env.breach(["store", "init"]).env("BREACH_STORE", &url).ok();
    let id = start_at(&env, &url, "Restart test");
    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let env = Arc::new(env);
    let writer = {
        let (env, url, acked, stop) = (
            Arc::clone(&env),
            url.clone(),
            Arc::clone(&acked),
            Arc::clone(&stop),
        );
        std::thread::spawn(move || {
            let mut results = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) && n < 2000 {
                let text = format!("loop note {n}");
                let out = env.breach(["note", &text]).env("BREACH_STORE", &url).run();
                if out.code == 0 {
                    acked.fetch_add(1, Ordering::SeqCst);
                }
                results.push((text, out));
                n += 1;
            }
            results
        })
    };
    wait_until("a few notes are acknowledged", || {
        acked.load(Ordering::SeqCst) >= 5
    });
    cluster.restart();
    let after_restart = acked.load(Ordering::SeqCst);
    wait_until("notes are acknowledged after the restart", || {
        acked.load(Ordering::SeqCst) >= after_restart + 5
    });
    stop.store(true, Ordering::SeqCst);
    let results = writer.join().unwrap();

    let log = {
        let mut admin = postgres::Config::new()
            .host_path(&cluster.dir)
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls)
            .unwrap();
        let bytes: Vec<u8> = admin
            .query_one(
                "SELECT string_agg(line, ''::bytea ORDER BY seq) FROM breach.entries WHERE incident = $1",
                &[&id],
            )
            .unwrap()
            .get(0);
        String::from_utf8(bytes).unwrap()
    };
    for (text, out) in &results {
        let count = log.matches(&format!("\"{text}\"")).count();
        if out.code == 0 {
            assert_eq!(count, 1, "acknowledged {text} is not in the log once");
        } else {
            // A failure says which: not recorded (and it is absent), or that it cannot tell.
            assert_eq!(out.stderr.lines().count(), 1, "{text}: {}", out.stderr);
            if out.stderr.contains("may or may not be recorded") {
                assert!(count <= 1);
            } else {
                assert!(
                    out.stderr.contains("entry NOT recorded"),
                    "{text}: {}",
                    out.stderr
                );
                assert_eq!(count, 0, "{text} failed but is in the log");
            }
        }
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, out)| out.code != 0)
        .map(|(_, out)| out.stderr.trim_end())
        .collect();
    eprintln!(
        "{} notes acknowledged, {} failed during the restart: {failed:?}",
        results.len() - failed.len(),
        failed.len()
    );
    env.breach(["verify"]).env("BREACH_STORE", &url).ok();
}

#[test]
fn a_store_that_cannot_be_reached_or_used_says_so_in_one_line_and_never_shows_a_password() {
    let env = Env::new();
    let missing = env
        .breach(["list"])
        .env(
            "BREACH_STORE",
            "postgresql://postgres@/breach?host=/tmp/breach-no-such-socket-dir",
        )
        .fails(1);
    assert!(
        missing
            .error_line()
            .contains("host /tmp/breach-no-such-socket-dir"),
        "{}",
        missing.stderr
    );
    let refused = env
        .breach(["list"])
        .env(
            "BREACH_STORE",
            "postgresql://postgres:Sup3r-Secret@127.0.0.1:1/breach?sslmode=disable&connect_timeout=3",
        )
        .fails(1);
    assert!(
        refused.error_line().contains("host 127.0.0.1"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("Sup3r-Secret"));
    // The record does not cross a network in clear.
    for (url, says) in [
        (
            "postgresql://alice:Sup3r-Secret@db.example.org/breach?sslmode=disable",
            "in clear",
        ),
        (
            "postgresql://alice:Sup3r-Secret@db.example.org/breach?sslmode=prefer",
            "in clear",
        ),
        (
            "postgresql://alice:Sup3r-Secret@db.example.org/breach?sslmode=sometimes",
            "not one of",
        ),
        (
            "postgresql://alice:Sup3r-Secret@db.example.org/breach?colour=blue",
            "not a PostgreSQL connection string",
        ),
    ] {
        let out = env.breach(["list"]).env("BREACH_STORE", url).fails(1);
        assert!(out.error_line().contains(says), "{url}: {}", out.stderr);
        assert!(!out.stderr.contains("Sup3r-Secret"), "{}", out.stderr);
    }

    let Some(shared) = Env::postgres() else {
        return;
    };
    let cluster = pg::cluster().unwrap();
    let db = shared.database.clone().unwrap();
    // A database nobody set up.
    let bare = cluster.create_database();
    let uninitialised = env
        .breach(["list"])
        .env("BREACH_STORE", cluster.url("postgres", &bare))
        .fails(1);
    assert!(
        uninitialised.error_line().contains("breach store init"),
        "{}",
        uninitialised.stderr
    );
    // A password in the connection string (the test cluster trusts the socket, so any will
    // do) is never printed or recorded.
    let with_password = format!(
        "postgresql://postgres:Sup3r-Secret@/{db}?host={}",
        cluster.dir.display()
    );
    let id = shared.start("misdirected-email");
    let mut seen = String::new();
    for args in [
        vec!["--json", "list"],
        vec!["status"],
        vec!["verify"],
        vec!["note", "A note"],
        vec!["export", "--format", "json"],
        vec!["-i", "no-such-incident", "status"],
    ] {
        let out = shared
            .breach(args)
            .env("BREACH_STORE", &with_password)
            .run();
        seen.push_str(&out.stdout);
        seen.push_str(&out.stderr);
    }
    assert!(seen.contains("postgresql://postgres@/"), "{seen}");
    assert!(!seen.contains("Sup3r-Secret"), "{seen}");
    assert!(!shared.log_text(&id).contains("Sup3r-Secret"));
}

#[test]
fn store_init_is_idempotent_and_only_for_a_database() {
    let Some(env) = Env::postgres() else {
        return;
    };
    let again = env.breach(["--json", "store", "init"]).ok().json();
    assert_eq!(again["from_version"], again["version"]);
    assert_eq!(again["applied"], serde_json::json!([]));
    assert_eq!(again["writer_role"], "breach_writer");
    assert_eq!(again["auditor_role"], "breach_auditor");
    assert!(
        again["store"]
            .as_str()
            .is_some_and(|s| s.starts_with("postgresql://postgres@/")),
        "{again}"
    );
    let dir = Env::new();
    let out = dir.breach(["store", "init"]).fails(1);
    assert!(
        out.error_line().contains("directory store"),
        "{}",
        out.stderr
    );
}

#[test]
fn verify_finds_a_changed_line_or_attachment_in_the_database() {
    let Some(env) = Env::postgres() else {
        return;
    };
    let cluster = pg::cluster().unwrap();
    let db = env.database.clone().unwrap();
    let id = env.start("misdirected-email");
    env.breach(["note", "The recipient confirmed deletion"])
        .ok();
    let evidence = env.write(
        "trace.csv",
        "time,from,to\n09:00,a@example.org,b@example.net\n",
    );
    env.breach(["attach", evidence.to_str().unwrap()]).ok();
    let mut admin = cluster.admin(&db);
    // An attachment whose content does not match its SHA-256 is refused on the way in.
    let e = admin
        .execute(
            "INSERT INTO breach.attachments (incident, sha256, bytes, content) VALUES ($1, $2, 3, 'abc'::bytea)",
            &[&id, &"0".repeat(64)],
        )
        .expect_err("a wrong SHA-256 is refused");
    assert_eq!(e.code(), Some(&postgres::error::SqlState::CHECK_VIOLATION));

    // Someone with the owner's rights turns the triggers off and edits: verify notices.
    admin
        .batch_execute(
            "ALTER TABLE breach.attachments DISABLE TRIGGER USER;
             UPDATE breach.attachments SET content = 'altered'::bytea;",
        )
        .unwrap();
    let out = env.breach(["verify"]).fails(1);
    assert!(out.stdout.contains("was changed"), "{}", out.stdout);
    admin
        .batch_execute(
            "ALTER TABLE breach.entries DISABLE TRIGGER USER;
             UPDATE breach.entries SET line = convert_to(replace(convert_from(line, 'UTF8'), 'confirmed', 'CONFIRMED'), 'UTF8') WHERE seq = 1;",
        )
        .unwrap();
    let out = env.breach(["verify"]).fails(1);
    assert!(out.stdout.contains("entry 1"), "{}", out.stdout);
    let refused = env.breach(["note", "More"]).fails(1);
    assert!(
        refused.error_line().contains("damaged"),
        "{}",
        refused.stderr
    );
    // The owner's way back: the entries from the damaged one on are moved aside (kept in the
    // quarantine table for good), with a reason, and the incident takes entries again.
    let repair = env.breach(["repair"]).fails(2);
    assert!(
        repair.error_line().contains("--reason"),
        "{}",
        repair.stderr
    );
    let repaired = env
        .breach(["--json", "repair", "--reason", "entry 1 edited by hand"])
        .ok()
        .json();
    assert_eq!(repaired["head"]["seq"], 1, "{repaired}");
    let kept: i64 = admin
        .query_one(
            "SELECT count(*) FROM breach.quarantined_entries WHERE incident = $1",
            &[&id],
        )
        .unwrap()
        .get(0);
    assert_eq!(kept, 2, "the edited note and the attachment after it");
    env.breach(["verify"]).ok();
    env.breach(["note", "More"]).ok();
}

#[test]
fn the_organisations_own_files_work_with_a_database_store() {
    let Some(env) = Env::postgres() else {
        return;
    };
    env.breach(["config", "set", "name", "Riverside Test Clinic"])
        .ok();
    let shown = env.breach(["--json", "config", "show"]).ok().json();
    assert_eq!(shown["profile"]["name"], "Riverside Test Clinic");
    // This machine's copy of the store's runbooks is a cache: the draft is made here and
    // published (tests/cli/team_files.rs has a second machine read it).
    env.breach(["runbook", "init", "misdirected-email"]).ok();
    env.breach(["runbook", "publish", "misdirected-email.yaml"])
        .ok();
    let listed = env.breach(["--json", "runbook", "list"]).ok().json();
    assert!(
        listed["runbooks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "misdirected-email" && r["replaces_bundled"] == true),
        "{listed}"
    );
    env.start("misdirected-email");
    let letter = env.breach(["letter", "individual"]).run();
    assert!(
        letter.stdout.contains("Riverside Test Clinic"),
        "{}",
        letter.stdout
    );
}

#[test]
fn the_store_wide_views_say_the_same_on_both_backends_and_follow_new_entries() {
    let Some(shared) = Env::postgres() else {
        return;
    };
    let url = url_of(&shared);
    let local = Env::new();
    let first = local.start("misdirected-email");
    local
        .breach([
            "-i",
            &first,
            "facts",
            "--affected",
            "12",
            "--state",
            "TX=12",
        ])
        .ok();
    let second = local.start("compromised-mailbox");
    for id in [&first, &second] {
        local.breach(["-i", id, "push", "--to", &url]).ok();
    }
    let without_store = |mut doc: serde_json::Value| {
        doc.as_object_mut().unwrap().remove("store");
        doc
    };
    for args in [
        vec!["--json", "list"],
        vec!["--json", "deadlines", "--all"],
        vec!["--json", "annual", "2026"],
    ] {
        let here = without_store(local.breach(&args).ok().json());
        let there = without_store(shared.breach(&args).ok().json());
        assert_eq!(here, there, "{args:?}");
    }
    // A new entry in the shared store shows in its views at once (the cached summary is keyed to
    // the log's head).
    let progress = |env: &Env| {
        env.breach(["--json", "list"]).ok().json()["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == first.as_str())
            .unwrap()["progress"]
            .clone()
    };
    let before = progress(&shared);
    let mut done = vec!["-i", first.as_str(), "done", "identify-message"];
    done.extend(crate::IDENTIFY_MESSAGE_EVIDENCE);
    shared.breach(done).ok();
    assert_ne!(progress(&shared), before);
    assert_eq!(progress(&local), before);
}

#[test]
fn a_remote_store_is_reached_over_tls_with_the_certificate_verified() {
    let Some((cluster, port, ca)) = pg::Cluster::private_tls("tls") else {
        return;
    };
    let env = Env::new();
    let ca = ca.display().to_string();
    // The server takes only TLS on TCP (hostssl), so every success below went over TLS.
    let store = |host: &str, params: &str| {
        format!("postgresql://postgres:Sup3r-Secret@{host}:{port}/postgres?{params}")
    };
    // verify-full is the default: the authority given, the name matching.
    env.breach(["store", "init"])
        .env(
            "BREACH_STORE",
            store("localhost", &format!("sslrootcert={ca}")),
        )
        .ok();
    let listed = env
        .breach(["--json", "list"])
        .env(
            "BREACH_STORE",
            store("localhost", &format!("sslrootcert={ca}")),
        )
        .ok()
        .json();
    assert_eq!(
        listed["store"],
        format!("postgresql://postgres@localhost:{port}/postgres")
    );
    // An authority the machine does not trust: refused, in one line naming the host.
    let untrusted = env
        .breach(["list"])
        .env("BREACH_STORE", store("localhost", "sslmode=verify-full"))
        .fails(1);
    assert!(
        untrusted.error_line().contains("host localhost"),
        "{}",
        untrusted.stderr
    );
    assert!(
        untrusted.stderr.to_lowercase().contains("certificate"),
        "{}",
        untrusted.stderr
    );
    // The certificate names localhost, not 127.0.0.1: verify-full refuses, verify-ca accepts.
    let wrong_name = env
        .breach(["list"])
        .env(
            "BREACH_STORE",
            store("127.0.0.1", &format!("sslrootcert={ca}")),
        )
        .fails(1);
    assert!(
        wrong_name.stderr.to_lowercase().contains("certificate"),
        "{}",
        wrong_name.stderr
    );
    env.breach(["list"])
        .env(
            "BREACH_STORE",
            store("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}")),
        )
        .ok();
    // require without an authority encrypts, and warns that nothing was verified.
    let unverified = env
        .breach(["list"])
        .env("BREACH_STORE", store("localhost", "sslmode=require"))
        .ok();
    assert!(
        unverified.stderr.contains("does not verify"),
        "{}",
        unverified.stderr
    );
    // Without TLS the server turns the connection away.
    let plain = env
        .breach(["list"])
        .env("BREACH_STORE", store("localhost", "sslmode=disable"))
        .fails(1);
    assert!(
        plain.error_line().contains("host localhost"),
        "{}",
        plain.stderr
    );
    for out in [&untrusted, &wrong_name, &unverified, &plain] {
        assert!(!out.stderr.contains("Sup3r-Secret"), "{}", out.stderr);
    }
    drop(cluster);
}

#[test]
fn a_server_that_accepts_and_never_answers_is_given_up_on_at_the_stated_timeout() {
    // A listening socket nobody serves: the kernel completes the connection, nothing answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let env = Env::new();
    let mut child = env
        .command(["list"])
        .env(
            "BREACH_STORE",
            format!("postgresql://alice@127.0.0.1:{port}/breach?sslmode=disable&connect_timeout=1"),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut status = None;
    let waited = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until("breach gives up on the silent server", || {
            status = child.try_wait().unwrap();
            status.is_some()
        });
    }));
    if waited.is_err() {
        let _ = child.kill();
        panic!("breach was still waiting on a server that never answers");
    }
    assert_eq!(status.unwrap().code(), Some(1));
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("host 127.0.0.1") && stderr.contains("no answer within 1 s"),
        "{stderr}"
    );
    drop(silent);
}

#[test]
fn every_export_names_the_database_login_behind_each_entry() {
    let Some(env) = Env::postgres() else {
        return;
    };
    let cluster = pg::cluster().unwrap();
    let db = env.database.clone().unwrap();
    let (ann, ben) = (format!("{db}_ann"), format!("{db}_ben"));
    cluster
        .admin(&db)
        .batch_execute(&format!(
            "CREATE ROLE {ann} LOGIN IN ROLE breach_writer; CREATE ROLE {ben} LOGIN IN ROLE breach_writer;"
        ))
        .unwrap();
    let (as_ann, as_ben) = (cluster.url(&ann, &db), cluster.url(&ben, &db));
    start_at(&env, &as_ann, "Two logins");
    // Runs of either login: entries 0-1 Ann's, 2-3 Ben's, 4 Ann's again.
    for (url, text) in [
        (&as_ann, "first"),
        (&as_ben, "second"),
        (&as_ben, "third"),
        (&as_ann, "fourth"),
    ] {
        env.breach(["note", text]).env("BREACH_STORE", url).ok();
    }
    let export = env
        .breach(["export", "--format", "json"])
        .env("BREACH_STORE", &as_ben)
        .ok()
        .json();
    let logins: Vec<&str> = export["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["written_by"].as_str().unwrap())
        .collect();
    assert_eq!(logins, [&ann, &ann, &ben, &ben, &ann]);
    // Beside the actor the person gave, which is the same for both here.
    assert!(
        export["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["actor"] == "ana.lima")
    );
    let md = env
        .breach(["export", "--format", "md"])
        .env("BREACH_STORE", &as_ann)
        .ok()
        .stdout;
    assert!(md.contains(&format!("ana.lima (login {ben})")), "{md}");
}
