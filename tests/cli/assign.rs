//! The team's day: `assign STEP --to NAME`, each person's `next --mine` and `list --mine`, and
//! `remind` for cron. Dates are those of the other tests: discovered 2026-03-01 09:30, "now"
//! 2026-03-10 15:00Z, every HIPAA notice due 2026-04-30; `identify-message` was due 24 hours
//! after discovery, so it is overdue.

use serde_json::Value;

use crate::{ASSESS_NOTIFICATION_REQUIRED, Env, backends};

fn step<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

#[test]
fn a_step_assigned_to_a_person_is_theirs_in_status_next_list_and_the_exports() {
    for env in backends() {
        let id = env.start("misdirected-email");
        env.breach(["assign", "identify-message", "--to", "sam.okafor"])
            .ok();
        let status = env.breach(["--json", "status"]).ok().json();
        assert_eq!(step(&status, "identify-message")["assignee"], "sam.okafor");
        assert!(step(&status, "preserve-evidence").get("assignee").is_none());
        let text = env.breach(["status"]).ok().stdout;
        assert!(text.contains("assigned to sam.okafor"), "{text}");

        // Sam's own list; the acting person in these tests (ana.lima) has nothing assigned.
        let mine = env
            .breach(["--json", "--actor", "sam.okafor", "next", "--mine"])
            .ok()
            .json();
        let ids: Vec<&str> = mine["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["identify-message"]);
        let none = env.breach(["--json", "next", "--mine"]).ok().json();
        assert_eq!(none["steps"].as_array().unwrap().len(), 0);
        let said = env.breach(["next", "--mine"]).ok().stdout;
        assert!(
            said.contains("No step workable now is assigned to ana.lima"),
            "{said}"
        );
        let listed = env
            .breach(["--json", "--actor", "sam.okafor", "list", "--mine"])
            .ok()
            .json();
        assert_eq!(listed["incidents"][0]["id"], id.as_str());
        let listed = env.breach(["--json", "list", "--mine"]).ok().json();
        assert_eq!(listed["incidents"].as_array().unwrap().len(), 0);

        // The exports say who is to do it, and when it was assigned.
        let export = env.breach(["export", "--format", "json"]).ok().json();
        let assigned = export["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["kind"] == "step_assigned")
            .expect("the assignment is in the timeline");
        assert!(
            assigned["summary"]
                .as_str()
                .unwrap()
                .contains("identify-message assigned to sam.okafor"),
            "{assigned}"
        );
        let md = env.breach(["export", "--format", "md"]).ok().stdout;
        assert!(md.contains("assigned to sam.okafor"), "{md}");

        // Taken back, it is nobody's; a void of the unassignment gives it back.
        let out = env
            .breach(["--json", "assign", "identify-message", "--unassign"])
            .ok()
            .json();
        let status = env.breach(["--json", "status"]).ok().json();
        assert!(step(&status, "identify-message").get("assignee").is_none());
        let seq = out["head"]["seq"].as_u64().unwrap().to_string();
        env.breach(["void", &seq, "--reason", "unassigned by mistake"])
            .ok();
        let status = env.breach(["--json", "status"]).ok().json();
        assert_eq!(step(&status, "identify-message")["assignee"], "sam.okafor");
        env.breach(["verify"]).ok();
    }
}

#[test]
fn what_cannot_be_assigned_is_refused_and_records_nothing() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    env.breach(["skip", "preserve-evidence", "--reason", "nothing to keep"])
        .ok();
    let before = env.log_bytes(&id);
    let refused = env
        .breach(["assign", "preserve-evidence", "--to", "sam.okafor"])
        .fails(1);
    assert!(
        refused.error_line().contains(
            "step `preserve-evidence` is skipped (entry 1): a settled step is not assigned"
        ),
        "{}",
        refused.stderr
    );
    let unknown = env
        .breach(["assign", "no-such-step", "--to", "sam"])
        .fails(1);
    assert!(
        unknown.error_line().contains("no-such-step"),
        "{}",
        unknown.stderr
    );
    let nobody = env
        .breach(["assign", "identify-message", "--unassign"])
        .fails(1);
    assert!(
        nobody.error_line().contains("is not assigned to anyone"),
        "{}",
        nobody.stderr
    );
    env.breach(["assign", "identify-message"]).fails(2);
    env.breach(["assign", "identify-message", "--to", "a", "--unassign"])
        .fails(2);
    let two_lines = env
        .breach(["assign", "identify-message", "--to", "sam\nokafor"])
        .fails(1);
    assert!(
        two_lines.error_line().contains("one line"),
        "{}",
        two_lines.stderr
    );
    let ssn = env
        .breach(["assign", "identify-message", "--to", "SSN 078-05-1120"])
        .fails(1);
    assert!(!ssn.stderr.contains("078-05-1120"), "{}", ssn.stderr);
    assert_eq!(env.log_bytes(&id), before, "nothing recorded");
    env.breach(["assign", "identify-message", "--to", "sam.okafor"])
        .ok();
    let again = env
        .breach(["assign", "identify-message", "--to", "sam.okafor"])
        .fails(1);
    assert!(
        again
            .error_line()
            .contains("already assigned to sam.okafor")
    );
}

#[test]
fn remind_gives_each_person_their_steps_and_notices_overdue_first_and_exits_1_when_late() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    env.breach(["facts", "--affected", "700"]).ok();
    env.breach(ASSESS_NOTIFICATION_REQUIRED).ok();
    env.breach(["assign", "identify-message", "--to", "sam.okafor"])
        .ok();
    env.breach(["assign", "update-risk-analysis", "--to", "sam.okafor"])
        .ok();
    env.breach(["assign", "notify-individuals", "--to", "dana.whit"])
        .ok();
    // A second incident, all of it on time: a step of Dana's with no due time.
    let quiet = env.start_minimal("Second incident");
    let first_step = env.breach(["--json", "-i", &quiet, "next"]).ok().json()["steps"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    env.breach(["-i", &quiet, "assign", &first_step, "--to", "dana.whit"])
        .ok();

    // A week ahead: Sam's overdue step first; no notice falls due by 2026-03-17.
    let week = env
        .breach(["--json", "remind", "--within", "7d"])
        .fails(1)
        .json();
    assert_eq!(week["overdue"], true);
    assert_eq!(week["within_days"], 7);
    let people = week["people"].as_array().unwrap();
    let names: Vec<&str> = people.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"sam.okafor"), "{week}");
    let sam = people.iter().find(|p| p["name"] == "sam.okafor").unwrap();
    assert_eq!(sam["steps"][0]["step"], "identify-message");
    assert_eq!(sam["steps"][0]["overdue"], true);
    assert_eq!(sam["steps"][0]["id"], id.as_str());
    for p in people {
        assert_eq!(p["obligations"].as_array().unwrap().len(), 0, "{p}");
    }
    assert_eq!(
        week["unassigned"]["obligations"].as_array().unwrap().len(),
        0
    );

    // Sixty days ahead: the individual notice (due 2026-04-30) is Dana's, who holds its step;
    // HHS's (700 affected: within 60 days too) is nobody's.
    let later = env
        .breach(["--json", "remind", "--within", "60d"])
        .fails(1)
        .json();
    let dana = later["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "dana.whit")
        .unwrap_or_else(|| panic!("{later}"));
    let keys: Vec<&str> = dana["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["individual_notice"], "{dana}");
    assert_eq!(dana["obligations"][0]["due"], "2026-04-30");
    assert!(
        dana["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == quiet.as_str()),
        "{dana}"
    );
    let unassigned: Vec<&str> = later["unassigned"]["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert!(unassigned.contains(&"hhs_notice"), "{unassigned:?}");
    let text = env.breach(["remind", "--within", "60d"]).fails(1).stdout;
    let sam_at = text.find("\nsam.okafor\n").expect(&text);
    assert!(text[sam_at..].contains("OVERDUE"), "{text}");
    assert!(text.contains("Not assigned"), "{text}");

    // Once Sam's overdue step is done, nothing listed is overdue: exit 0.
    env.breach([
        "-i",
        &id,
        "done",
        "identify-message",
        "--set",
        "message_id=<CAF1@mail.example.org>",
        "--set",
        "sent_at=2026-03-01 09:00",
        "--set",
        "sender=clinic@example.org",
        "--set",
        "wrong_recipients=someone@example.net",
        "--set",
        "recipient_type=external",
        "--set",
        "phi_types=name",
    ])
    .ok();
    let after = env.breach(["--json", "remind", "--within", "7d"]).run();
    let doc: Value = serde_json::from_str(&after.stdout).unwrap();
    let overdue_left = doc["people"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["steps"].as_array().unwrap())
        .any(|s| s["overdue"] == true);
    assert_eq!(after.code, i32::from(overdue_left), "{doc}");
    assert!(
        !doc["people"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["steps"].as_array().unwrap())
            .any(|s| s["step"] == "identify-message"),
        "a done step is no longer a reminder: {doc}"
    );
    env.breach(["remind", "--within", "5x"]).fails(2);
    env.breach(["remind", "--within", "9999w"]).fails(2);
}
