//! The log as legal record: verification, tamper detection, kept heads, torn tails and repair,
//! the permission refusals, concurrent responders and processes killed mid-append.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use crate::Env;

fn incident_with_notes(n: usize) -> (Env, String) {
    let env = Env::new();
    let id = env.start("misdirected-email");
    for i in 0..n {
        env.breach(["note", &format!("note {i}")]).ok();
    }
    (env, id)
}

#[test]
fn verify_reports_entries_and_head_as_json() {
    let (env, _) = incident_with_notes(3);
    let doc = env.breach(["--json", "verify"]).ok().json();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["entries"], 4);
    assert_eq!(doc["head"]["seq"], 3);
    assert!(doc.get("error").is_none());
}

#[test]
fn a_changed_byte_fails_verification_at_or_before_its_entry() {
    let (env, id) = incident_with_notes(4);
    let path = env.log_path(&id);
    let original = std::fs::read(&path).unwrap();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            original
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    // Every 97th byte, across every entry, including newlines and hashes.
    for pos in (0..original.len())
        .step_by(97)
        .chain([original.len() - 1, original.len() - 30])
    {
        let mut damaged = original.clone();
        damaged[pos] = if damaged[pos] == b'0' { b'1' } else { b'0' };
        std::fs::write(&path, &damaged).unwrap();
        let out = env.breach(["--json", "verify"]).fails(1);
        let doc = out.json();
        assert_eq!(doc["ok"], false, "byte {pos}");
        let entry_of_pos = line_starts.iter().rposition(|s| *s <= pos).unwrap() as u64;
        let reported = doc["head"]["seq"].as_u64().map_or(0, |s| s + 1);
        assert!(
            reported <= entry_of_pos,
            "byte {pos} in entry {entry_of_pos}, verification passed {reported} entries"
        );
        assert!(doc["offset"].as_u64().unwrap() <= pos as u64);
    }
    std::fs::write(&path, &original).unwrap();
    env.breach(["verify"]).ok();
}

#[test]
fn a_damaged_log_is_reported_and_never_worked_on() {
    let (env, id) = incident_with_notes(2);
    let path = env.log_path(&id);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("note 0", "note X", 1);
    std::fs::write(&path, &text).unwrap();
    let out = env.breach(["note", "more"]).fails(1);
    assert!(
        out.error_line().contains("entry 1 at byte offset") && out.stderr.contains("altered"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "nothing appended to a damaged log"
    );
    let status = env.breach(["status"]).fails(1);
    assert!(status.error_line().contains("is damaged"));
    let human = env.breach(["verify"]).fails(1);
    assert!(
        human.stdout.starts_with("FAILED:") && human.stdout.contains("entry 1 at byte offset"),
        "{}",
        human.stdout
    );
    let repair = env.breach(["repair"]).fails(1);
    assert!(
        repair
            .error_line()
            .contains("only a torn final line can be repaired"),
        "{}",
        repair.stderr
    );
}

#[test]
fn a_kept_head_detects_truncation_and_rewriting() {
    let (env, id) = incident_with_notes(3);
    let head = env.breach(["--json", "status"]).ok().json()["head"].clone();
    let kept = format!("{}:{}", head["seq"], head["hash"].as_str().unwrap());
    env.breach(["verify", "--expect-head", &kept]).ok();
    env.breach(["verify", "--expect-head", head["hash"].as_str().unwrap()])
        .ok();
    // The log may grow after the head was kept.
    env.breach(["note", "later"]).ok();
    env.breach(["verify", "--expect-head", &kept]).ok();
    // Dropping whole entries leaves a valid chain that only the kept head can expose.
    let path = env.log_path(&id);
    let text = std::fs::read_to_string(&path).unwrap();
    let kept_two: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, kept_two).unwrap();
    env.breach(["verify"]).ok();
    let out = env
        .breach(["--json", "verify", "--expect-head", &kept])
        .fails(1);
    assert!(
        out.json()["error"]
            .as_str()
            .unwrap()
            .contains("entries were removed"),
        "{}",
        out.stdout
    );
    let bad = env.breach(["verify", "--expect-head", "12:xyz"]).fails(2);
    assert!(bad.error_line().contains("64 hexadecimal digits"));
}

#[test]
fn a_torn_tail_blocks_work_until_repair_quarantines_it() {
    let (env, id) = incident_with_notes(2);
    let path = env.log_path(&id);
    let good = std::fs::read(&path).unwrap();
    let torn = b"{\"seq\":3,\"prev\":\"ab";
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(torn)
        .unwrap();
    let out = env.breach(["note", "x"]).fails(1);
    assert!(
        out.error_line().contains("torn tail") && out.stderr.contains("breach repair"),
        "{}",
        out.stderr
    );
    let verify = env.breach(["--json", "verify"]).fails(1).json();
    assert_eq!(verify["entries"], 3);
    assert!(verify["error"].as_str().unwrap().contains("torn tail"));
    let repaired = env.breach(["--json", "repair"]).ok().json();
    assert_eq!(repaired["removed"]["offset"], good.len());
    assert_eq!(repaired["removed"]["length"], torn.len());
    assert_eq!(repaired["head"]["seq"], 3);
    let quarantine = env
        .store()
        .join("incidents")
        .join(&id)
        .join(repaired["removed"]["quarantine"].as_str().unwrap());
    assert_eq!(std::fs::read(quarantine).unwrap(), torn);
    env.breach(["verify"]).ok();
    let after = std::fs::read(&path).unwrap();
    assert!(after.starts_with(&good), "every acknowledged entry kept");
    let nothing = env.breach(["repair"]).fails(1);
    assert!(nothing.error_line().contains("nothing to repair"));
}

#[test]
fn files_are_private_whatever_the_umask() {
    let env = Env::new();
    let bin = assert_cmd::cargo::cargo_bin!("breach");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("umask 000; exec '{}' start --runbook misdirected-email --discovered 2026-03-01 --title t", bin.display()))
        .env("BREACH_STORE", env.store())
        .env("BREACH_NOW", crate::NOW)
        .env("BREACH_ACTOR", "ana")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&env.store()), 0o700);
    let incidents = env.store().join("incidents");
    assert_eq!(mode(&incidents), 0o700);
    let dir = std::fs::read_dir(&incidents)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("log.jsonl")), 0o600);
}

#[test]
fn a_log_others_can_write_is_refused() {
    let (env, id) = incident_with_notes(0);
    let path = env.log_path(&id);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o620)).unwrap();
    let out = env.breach(["note", "x"]).fails(1);
    assert!(
        out.error_line().contains("writable by group or others")
            && out.stderr.contains("chmod go-w"),
        "{}",
        out.stderr
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let store = env.store();
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = env.breach(["note", "x"]).fails(1);
    assert!(out.error_line().contains("unsafe store"), "{}", out.stderr);
}

#[test]
fn a_symlinked_log_is_refused() {
    let (env, id) = incident_with_notes(0);
    let path = env.log_path(&id);
    let elsewhere = env.path().join("elsewhere.jsonl");
    std::fs::rename(&path, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    let before = std::fs::read(&elsewhere).unwrap();
    let out = env.breach(["note", "x"]).fails(1);
    assert!(out.error_line().contains("symbolic link"), "{}", out.stderr);
    assert_eq!(
        std::fs::read(&elsewhere).unwrap(),
        before,
        "the file behind the link is untouched"
    );
}

#[test]
fn eight_responders_appending_at_once_lose_nothing_and_never_fork() {
    let (env, id) = incident_with_notes(0);
    let bin = assert_cmd::cargo::cargo_bin!("breach");
    let writers: Vec<_> = (0..8)
        .map(|w| {
            Command::new("sh")
                .arg("-c")
                .arg(format!("for i in $(seq 1 50); do '{}' -i {id} note \"writer {w} note $i\" >/dev/null || exit 1; done", bin.display()))
                .env("BREACH_STORE", env.store())
                .env("BREACH_NOW", crate::NOW)
                .env("BREACH_ACTOR", format!("writer-{w}"))
                .spawn()
                .unwrap()
        })
        .collect();
    for mut w in writers {
        assert!(w.wait().unwrap().success(), "every append acknowledged");
    }
    let doc = env.breach(["--json", "verify"]).ok().json();
    assert_eq!(doc["entries"], 401);
    let text = std::fs::read_to_string(env.log_path(&id)).unwrap();
    for w in 0..8 {
        for i in 1..=50 {
            assert!(
                text.contains(&format!("\"writer {w} note {i}\"")),
                "writer {w} note {i} is in the log"
            );
        }
    }
}

#[test]
fn killing_appending_processes_never_loses_an_acknowledged_entry() {
    let (env, id) = incident_with_notes(0);
    let bin = assert_cmd::cargo::cargo_bin!("breach");
    let mut acknowledged = Vec::new();
    for round in 0..40u64 {
        let mut child = Command::new(bin)
            .args(["-i", &id, "note", &format!("round {round}")])
            .env("BREACH_STORE", env.store())
            .env("BREACH_NOW", crate::NOW)
            .env("BREACH_ACTOR", "ana")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Vary how far the process gets before SIGKILL without sleeping: poll it a growing
        // number of times. Every fifth append is left to finish, so some are acknowledged.
        let mut finished = None;
        if round % 5 == 4 {
            finished = Some(child.wait().unwrap());
        } else {
            for _ in 0..(round * 400) {
                finished = child.try_wait().unwrap();
                if finished.is_some() {
                    break;
                }
            }
        }
        let _ = child.kill();
        let status = child.wait().unwrap();
        // Exit 0 is the acknowledgement: the note was on disk before the process said so.
        if finished.is_some_and(|s| s.success()) || status.success() {
            acknowledged.push(round);
        }
        let out = env.breach(["--json", "verify"]).run();
        let doc = out.json();
        if doc["ok"] != true {
            assert!(
                doc["error"].as_str().unwrap().contains("torn tail"),
                "only a torn tail is allowed: {doc}"
            );
            env.breach(["repair"]).ok();
        }
        env.breach(["verify"]).ok();
        // Every acknowledged note, by its own text, exactly once: none lost, none doubled.
        let notes: Vec<String> = std::fs::read_to_string(env.log_path(&id))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|e| e["kind"] == "note")
            .map(|e| e["data"]["text"].as_str().unwrap().to_owned())
            .collect();
        for r in &acknowledged {
            let text = format!("round {r}");
            assert_eq!(
                notes.iter().filter(|n| **n == text).count(),
                1,
                "round {round}: acknowledged note `{text}` is in the log once"
            );
        }
    }
    assert!(
        !acknowledged.is_empty(),
        "some appends finished before the kill, so the check had something to check"
    );
}
