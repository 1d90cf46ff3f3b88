//! One profile, one set of runbooks and templates for every machine of a team: on a database
//! store they are kept in the database, every version insert-only, and each machine (its own
//! HOME here) reads the current version from a cache it rebuilds when the version changes. On
//! a directory store the same commands keep them in the store's directory.

use crate::{Env, pg};

/// A second machine (another HOME) on the same database as `first`.
fn second_machine(first: &Env) -> Env {
    Env {
        database: first.database.clone(),
        ..Env::new()
    }
}

/// `runbook init misdirected-email` into `drafts/` of `env`, retitled `title`; the draft's path.
fn draft_runbook(env: &Env, title: &str) -> std::path::PathBuf {
    let drafts = env.path().join("drafts");
    env.breach([
        "runbook",
        "init",
        "misdirected-email",
        drafts.to_str().unwrap(),
    ])
    .ok();
    let draft = drafts.join("misdirected-email.yaml");
    let bundled = std::fs::read_to_string(&draft).unwrap();
    let text = bundled.replace(
        "title: Misdirected email containing PHI",
        &format!("title: {title}"),
    );
    assert_ne!(text, bundled, "the bundled runbook's title moved");
    std::fs::write(&draft, text).unwrap();
    draft
}

const REVIEWED: &str = "version: 1
reviewed_by: \"A. Counsel, Example & Partners LLP\"
reviewed_on: 2026-02-01
states:
  CA:
    statute: \"Cal. Civ. Code 1798.82\"
    individual: {days: 10, from: discovery}
";

fn history(env: &Env) -> Vec<serde_json::Value> {
    env.breach(["--json", "config", "history"]).ok().json()["versions"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn two_machines_on_one_database_see_the_same_profile_runbooks_and_templates() {
    let Some(first) = Env::postgres() else {
        return;
    };
    let second = second_machine(&first);
    first
        .breach(["config", "set", "name", "Riverside Family Clinic"])
        .ok();
    first
        .breach(["config", "set", "time_zone", "America/Chicago"])
        .ok();
    // The second machine changes another key: both changes are kept.
    second
        .breach(["config", "set", "email", "privacy@riverside.example"])
        .ok();
    // A file the profile names goes into the database with it: the first machine's copy is
    // removed, and the second still reads counsel's table.
    let table = first.write("counsel/state-rules.yaml", REVIEWED);
    first
        .breach(["config", "set", "state_rules", table.to_str().unwrap()])
        .ok();
    std::fs::remove_file(&table).unwrap();
    for machine in [&first, &second] {
        let profile = machine.breach(["--json", "config", "show"]).ok().json()["profile"].clone();
        assert_eq!(profile["name"], "Riverside Family Clinic");
        assert_eq!(profile["time_zone"], "America/Chicago");
        assert_eq!(profile["email"], "privacy@riverside.example");
        let shown = machine.breach(["config", "show"]).ok().stdout;
        assert!(
            shown.contains("reviewed by A. Counsel, Example & Partners LLP on 2026-02-01"),
            "{shown}"
        );
        assert!(shown.contains("kept in postgresql://"), "{shown}");
    }

    // A runbook drafted on the first machine, published, worked on the second.
    let draft = draft_runbook(&first, "Riverside misdirected email");
    let published = first
        .breach(["--json", "runbook", "publish", draft.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(published["changed"], true);
    let again = first
        .breach(["--json", "runbook", "publish", draft.to_str().unwrap()])
        .ok()
        .json();
    assert_eq!(
        again["changed"], false,
        "the same file again is no new version"
    );
    let listed = second.breach(["--json", "runbook", "list"]).ok().json();
    let ours = listed["runbooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "misdirected-email")
        .unwrap()
        .clone();
    assert_eq!(ours["title"], "Riverside misdirected email");
    assert_eq!(ours["replaces_bundled"], true);
    let id = second.start("misdirected-email");
    let status = second.breach(["--json", "-i", &id, "status"]).ok().json();
    assert_eq!(status["runbook"]["sha256"], published["sha256"], "{status}");

    // A template published on the second machine drafts the first machine's letters.
    let template = second.write(
        "letter-individual.md.j2",
        "RIVERSIDE WORDING from {{ org.name }}\n",
    );
    second
        .breach(["template", "publish", template.to_str().unwrap()])
        .ok();
    let letter = first
        .breach(["-i", &id, "letter", "individual"])
        .ok()
        .stdout;
    assert!(letter.contains("RIVERSIDE WORDING"), "{letter}");
    first
        .breach(["template", "withdraw", "letter-individual.md.j2"])
        .ok();
    let letter = second
        .breach(["-i", &id, "letter", "individual"])
        .ok()
        .stdout;
    assert!(!letter.contains("RIVERSIDE WORDING"), "{letter}");
    assert!(letter.contains("Riverside Family Clinic"), "{letter}");

    // Every version is kept, with the login that wrote it.
    let versions = history(&second);
    let kinds: Vec<&str> = versions
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "profile", "profile", "profile", "file", "profile", "runbook", "template", "template"
        ],
        "{versions:?}"
    );
    assert!(versions.iter().all(|v| v["written_by"] == "postgres"));
    assert!(
        versions.last().unwrap()["sha256"].is_null(),
        "a withdrawal has no content"
    );
}

#[test]
fn the_organisation_s_files_are_insert_only_and_bad_files_are_never_kept() {
    let Some(env) = Env::postgres() else {
        return;
    };
    env.breach(["config", "set", "name", "Riverside Family Clinic"])
        .ok();
    let db = env.database.clone().unwrap();
    let mut admin = pg::cluster().unwrap().admin(&db);
    for sql in [
        "UPDATE breach.organisation_files SET content = 'x'",
        "DELETE FROM breach.organisation_files",
        "TRUNCATE breach.organisation_files",
        "UPDATE breach.organisation_lock SET id = 1",
        "DELETE FROM breach.organisation_lock",
    ] {
        let refused = admin.batch_execute(sql).unwrap_err();
        assert!(
            refused.to_string().contains("insert-only")
                || format!("{refused:?}").contains("insert-only"),
            "{sql}: {refused:?}"
        );
    }
    // A row whose SHA-256 does not match its content is refused by the database itself.
    let forged = admin.batch_execute(
        "INSERT INTO breach.organisation_files (kind, name, content, sha256) \
         VALUES ('profile', 'profile.json', '{}', repeat('0', 64))",
    );
    assert!(forged.is_err());
    let before = history(&env).len();
    let broken = env.write("bad/broken.yaml", "id: broken\ntitle: [unclosed\n");
    let out = env
        .breach(["runbook", "publish", broken.to_str().unwrap()])
        .fails(1);
    assert!(out.stderr.contains("broken.yaml:"), "{}", out.stderr);
    let template = env.write("bad/letter-individual.md.j2", "Dear {% if %}\n");
    let out = env
        .breach(["template", "publish", template.to_str().unwrap()])
        .fails(1);
    assert!(
        out.error_line().contains("does not compile"),
        "{}",
        out.stderr
    );
    let unnamed = env.write("bad/letter.txt", "Dear patient\n");
    let out = env
        .breach(["template", "publish", unnamed.to_str().unwrap()])
        .fails(1);
    assert!(out.error_line().contains(".j2"), "{}", out.stderr);
    let out = env
        .breach(["template", "withdraw", "letter-individual.md.j2"])
        .fails(1);
    assert!(out.error_line().contains("no template"), "{}", out.stderr);
    let out = env.breach(["runbook", "withdraw", "minimal"]).fails(1);
    assert!(
        out.error_line()
            .contains("bundled runbook cannot be withdrawn")
            || out.error_line().contains("no runbook"),
        "{}",
        out.stderr
    );
    assert_eq!(history(&env).len(), before, "nothing bad was kept");
}

#[test]
fn on_a_directory_store_the_same_commands_keep_the_files_in_the_store() {
    let env = Env::new();
    let draft = draft_runbook(&env, "Our misdirected email");
    env.breach(["runbook", "publish", draft.to_str().unwrap()])
        .ok();
    assert!(
        env.store()
            .join("runbooks/misdirected-email.yaml")
            .is_file()
    );
    let listed = env.breach(["runbook", "list"]).ok().stdout;
    assert!(listed.contains("Our misdirected email"), "{listed}");
    let template = env.write("letter-media.md.j2", "MEDIA WORDING\n");
    env.breach(["template", "publish", template.to_str().unwrap()])
        .ok();
    assert!(env.store().join("templates/letter-media.md.j2").is_file());
    let shown = env
        .breach(["template", "show", "letter-media.md.j2"])
        .ok()
        .stdout;
    assert_eq!(shown, "MEDIA WORDING\n");
    let listed = env.breach(["--json", "template", "list"]).ok().json();
    let media = listed["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "letter-media.md.j2")
        .unwrap()
        .clone();
    assert_eq!(media["replaces_builtin"], true);
    env.breach(["runbook", "withdraw", "misdirected-email"])
        .ok();
    assert!(!env.store().join("runbooks/misdirected-email.yaml").exists());
    let out = env.breach(["config", "history"]).fails(1);
    assert!(
        out.error_line().contains("directory store"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_pushed_incident_carries_the_laptop_s_own_runbook_pinned_in_its_log() {
    let Some(team) = Env::postgres() else {
        return;
    };
    let laptop = Env::new();
    let draft = draft_runbook(&laptop, "Laptop's own misdirected email");
    laptop
        .breach(["runbook", "publish", draft.to_str().unwrap()])
        .ok();
    let id = laptop.start("misdirected-email");
    let pinned = laptop.breach(["--json", "-i", &id, "status"]).ok().json()["runbook"].clone();
    laptop
        .breach([
            "-i",
            &id,
            "push",
            "--to",
            team.store_arg().to_str().unwrap(),
        ])
        .ok();
    // Another machine of the team, whose store never had that runbook, works the incident on
    // the runbook it was started with.
    let machine = second_machine(&team);
    let status = machine.breach(["--json", "-i", &id, "status"]).ok().json();
    assert_eq!(status["runbook"], pinned);
    let bundled = machine
        .breach(["--json", "runbook", "show", "misdirected-email"])
        .ok()
        .json();
    assert_eq!(bundled["title"], "Misdirected email containing PHI");
    assert_ne!(bundled["sha256"], pinned["sha256"], "{bundled}");
    let listed = machine.breach(["--json", "runbook", "list"]).ok().json();
    assert!(
        listed["runbooks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["title"] != "Laptop's own misdirected email"),
        "push gives the incident its runbook, not the store: {listed}"
    );
    machine
        .breach(["-i", &id, "note", "Worked from the team's store"])
        .ok();
}
