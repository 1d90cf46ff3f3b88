//! Files someone could plant where breach reads them — templates, the profile, runbooks — and
//! odd store paths: each is refused at once with its path, within bounded time and memory, and
//! nothing already recorded changes.

use std::path::Path;

use crate::Env;

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

#[test]
fn a_template_that_loops_without_end_or_recurses_stops_with_its_name() {
    let env = Env::new();
    let id = env.start_minimal("Hostile templates");
    let before = std::fs::read(env.log_path(&id)).unwrap();
    for (body, why) in [
        (
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
            "more work than any report needs",
        ),
        // Macros and includes are not compiled in, so a template cannot call itself at all.
        (
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
            "unknown statement macro (in report.md.j2:1)",
        ),
        ("{% include \"report.md.j2\" %}", "(in report.md.j2:1)"),
        // Each lookup in the timeline is a read of the log: a loop of them is stopped.
        (
            "{% for a in range(100000) %}{{ r.timeline[-1].seq }}{% endfor %}",
            "reads the timeline more than 16 times",
        ),
        // A loop over the timeline inside another would wait on itself: refused, not hung.
        (
            "{% for a in r.timeline %}{% for b in r.timeline %}{{ b.seq }}{% endfor %}{% endfor %}",
            "inside a loop over the timeline",
        ),
        (
            "{% for a in r.timeline %}{{ r.timeline[-1].seq }}{% endfor %}",
            "inside a loop over the timeline",
        ),
    ] {
        env.write("tpl/report.md.j2", body);
        let out = env
            .breach(["export", "--format", "md", "--templates", "tpl"])
            .fails(1);
        assert!(
            out.error_line().contains("template report.md.j2") && out.error_line().contains(why),
            "{why}: {}",
            out.stderr
        );
    }
    assert_eq!(std::fs::read(env.log_path(&id)).unwrap(), before);
}

#[test]
fn a_template_profile_or_runbook_that_is_not_a_regular_file_is_refused_with_its_path() {
    let env = Env::new();
    env.start_minimal("Planted files");
    std::fs::create_dir_all(env.path().join("tpl")).unwrap();
    mkfifo(&env.path().join("tpl/letter-individual.md.j2"));
    let out = env
        .breach(["letter", "individual", "--templates", "tpl"])
        .fails(1);
    assert!(
        out.error_line().contains("letter-individual.md.j2")
            && out.error_line().contains("not a regular file"),
        "{}",
        out.stderr
    );

    let profile = env.store().join("profile.json");
    mkfifo(&profile);
    let out = env.breach(["config", "show"]).fails(1);
    assert!(
        out.error_line().contains("profile.json")
            && out.error_line().contains("not a regular file"),
        "{}",
        out.stderr
    );
    std::fs::remove_file(&profile).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &profile).unwrap();
    let out = env.breach(["config", "show"]).fails(1);
    assert!(
        out.error_line().contains("not a regular file"),
        "{}",
        out.stderr
    );
    std::fs::remove_file(&profile).unwrap();
    std::fs::write(&profile, vec![b' '; 70 * 1024]).unwrap();
    let out = env.breach(["config", "show"]).fails(1);
    assert!(
        out.error_line().contains("at most 65536 bytes"),
        "{}",
        out.stderr
    );
    std::fs::remove_file(&profile).unwrap();

    mkfifo(&env.path().join("fifo.yaml"));
    let out = env.breach(["runbook", "validate", "fifo.yaml"]).fails(1);
    assert!(
        out.stdout.contains("fifo.yaml") && out.stdout.contains("not a regular file"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_store_path_that_is_not_utf8_works() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new();
    let odd = env
        .path()
        .join(std::ffi::OsStr::from_bytes(b"store-\xff-latin1"));
    let out = env
        .breach([
            "--json",
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01",
            "--title",
            "Odd path",
        ])
        .env("BREACH_STORE", &odd)
        .ok();
    let id = out.json()["id"].as_str().unwrap().to_owned();
    let status = env
        .breach(["--json", "status"])
        .env("BREACH_STORE", &odd)
        .ok()
        .json();
    assert_eq!(status["id"], id.as_str());
    env.breach(["verify"]).env("BREACH_STORE", &odd).ok();
}

#[test]
fn only_a_writing_command_creates_a_store_and_says_so() {
    let env = Env::new();
    for read in [vec!["list"], vec!["status"], vec!["config", "show"]] {
        let out = env.breach(&read).fails(1);
        assert!(
            out.error_line().contains("there is no store at"),
            "{read:?}: {}",
            out.stderr
        );
    }
    assert!(!env.store().exists(), "reads created nothing");
    // An existing empty directory is a store.
    std::fs::create_dir(env.store()).unwrap();
    std::fs::set_permissions(
        env.store(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let listed = env.breach(["--json", "list"]).ok().json();
    assert_eq!(listed["incidents"], serde_json::json!([]));
    std::fs::remove_dir(env.store()).unwrap();
    let out = env
        .breach(["config", "set", "name", "Riverside Family Clinic"])
        .ok();
    assert!(
        out.stderr.contains("created a new store at"),
        "{}",
        out.stderr
    );
    let out = env
        .breach(["config", "set", "email", "privacy@example.org"])
        .ok();
    assert!(!out.stderr.contains("created"), "only once: {}", out.stderr);
}

#[test]
fn a_named_store_whose_parent_is_missing_is_refused_as_an_unmounted_volume() {
    let env = Env::new();
    let unmounted = env.path().join("Volumes/EncryptedRecords/breach");
    let out = env
        .breach([
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01",
            "--title",
            "On the encrypted volume",
        ])
        .env("BREACH_STORE", &unmounted)
        .fails(1);
    assert!(
        out.error_line()
            .contains("does not exist (an unmounted volume?)"),
        "{}",
        out.stderr
    );
    assert!(!env.path().join("Volumes").exists(), "nothing was created");
}

#[test]
fn an_invalid_runbook_in_the_store_warns_with_its_location_and_blocks_only_itself() {
    let env = Env::new();
    let runbooks = env.store().join("runbooks");
    std::fs::create_dir_all(&runbooks).unwrap();
    for dir in [env.store(), runbooks.clone()] {
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
    }
    // A broken copy of a bundled runbook, and a file that is not a runbook at all.
    std::fs::write(
        runbooks.join("misdirected-email.yaml"),
        "id: misdirected-email\ntitle: [unclosed\n",
    )
    .unwrap();
    mkfifo(&runbooks.join("pipe.yaml"));
    let out = env
        .breach([
            "start",
            "--runbook",
            "compromised-mailbox",
            "--discovered",
            "2026-03-01",
            "--title",
            "Phished mailbox",
        ])
        .ok();
    assert!(
        out.stderr.contains("misdirected-email.yaml:2:") && out.stderr.contains("pipe.yaml"),
        "warnings locate each problem: {}",
        out.stderr
    );
    let out = env
        .breach([
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01",
            "--title",
            "Wrong address",
        ])
        .fails(1);
    let error = out.stderr.lines().last().unwrap();
    assert!(
        error.starts_with("breach: error: runbook") && error.contains("misdirected-email.yaml:2:"),
        "the broken organisation runbook is refused, never replaced by the bundled one: {}",
        out.stderr
    );
}
