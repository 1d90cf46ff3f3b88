//! The bundled runbook library: every scenario complete and cited, conditional steps appearing
//! and disappearing at the regulation's thresholds, and `runbook init` for adapting one.

use serde_json::Value;

use crate::Env;

const SCENARIOS: [&str; 4] = [
    "misdirected-email",
    "compromised-mailbox",
    "unencrypted-or-exposed",
    "business-associate",
];
/// Steps of the notify and report phases that state good practice rather than a rule.
const NOT_LEGAL: [&str; 3] = [
    "check-state-law",
    "support-covered-entity-notices",
    "gather-facts-for-covered-entity",
];

fn show(env: &Env, id: &str, facts: &[&str]) -> Value {
    let mut args = vec!["--json", "runbook", "show", id];
    args.extend_from_slice(facts);
    env.breach(args).ok().json()
}

fn active(env: &Env, id: &str, facts: &[&str]) -> Vec<String> {
    show(env, id, facts)["active_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_scenario_has_all_phases_owners_and_citations() {
    let env = Env::new();
    for id in SCENARIOS {
        let doc = show(&env, id, &[]);
        let phases = doc["phases"].as_array().unwrap();
        let names: Vec<&str> = phases
            .iter()
            .map(|p| p["phase"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["contain", "recall", "report", "notify", "remediate"],
            "{id}"
        );
        for phase in phases {
            let steps = phase["steps"].as_array().unwrap();
            assert!(!steps.is_empty(), "{id}: {} has steps", phase["phase"]);
            for step in steps {
                assert!(step["owner"].is_string(), "{id}/{}: owner", step["id"]);
                let legal = matches!(phase["phase"].as_str(), Some("notify" | "report"))
                    && !NOT_LEGAL.contains(&step["id"].as_str().unwrap());
                if legal {
                    let refs = step["references"].as_array().map_or(0, Vec::len);
                    assert!(
                        refs > 0,
                        "{id}/{}: a legal step cites its paragraph",
                        step["id"]
                    );
                }
            }
        }
    }
}

#[test]
fn the_hhs_steps_follow_the_500_threshold() {
    let env = Env::new();
    for id in [
        "misdirected-email",
        "compromised-mailbox",
        "unencrypted-or-exposed",
    ] {
        let small = active(&env, id, &["--affected", "499"]);
        assert!(
            small.contains(&"log-for-annual-hhs-report".to_owned())
                && !small.contains(&"report-hhs-within-60-days".to_owned()),
            "{id} at 499"
        );
        let large = active(&env, id, &["--affected", "500"]);
        assert!(
            large.contains(&"report-hhs-within-60-days".to_owned())
                && !large.contains(&"log-for-annual-hhs-report".to_owned()),
            "{id} at 500"
        );
    }
}

#[test]
fn media_steps_appear_only_for_more_than_500_residents_of_one_state() {
    let env = Env::new();
    for id in [
        "misdirected-email",
        "compromised-mailbox",
        "unencrypted-or-exposed",
    ] {
        assert!(
            !active(&env, id, &["--affected", "500", "--state", "TX=500"])
                .contains(&"notify-media".to_owned()),
            "{id}: 500 in TX"
        );
        assert!(
            active(&env, id, &["--affected", "501", "--state", "TX=501"])
                .contains(&"notify-media".to_owned()),
            "{id}: 501 in TX"
        );
        assert!(
            !active(&env, id, &["--affected", "3"]).contains(&"notify-media".to_owned()),
            "{id}: a small internal misdirection"
        );
    }
}

#[test]
fn substitute_notice_steps_follow_the_unreachable_count() {
    let env = Env::new();
    for id in [
        "misdirected-email",
        "compromised-mailbox",
        "unencrypted-or-exposed",
    ] {
        let steps = |n: &str| active(&env, id, &["--affected", "100", "--unreachable", n]);
        let none = steps("0");
        assert!(
            !none.iter().any(|s| s.starts_with("substitute-notice")),
            "{id}: 0 unreachable"
        );
        let nine = steps("9");
        assert!(
            nine.contains(&"substitute-notice-alternative".to_owned())
                && !nine.contains(&"substitute-notice-web-or-media".to_owned()),
            "{id}: 9"
        );
        let ten = steps("10");
        assert!(
            ten.contains(&"substitute-notice-web-or-media".to_owned())
                && !ten.contains(&"substitute-notice-alternative".to_owned()),
            "{id}: 10"
        );
    }
}

#[test]
fn a_low_probability_determination_hides_every_notice_step() {
    let env = Env::new();
    let steps = active(
        &env,
        "misdirected-email",
        &[
            "--affected",
            "900",
            "--state",
            "TX=900",
            "--fact",
            "notification_required=no",
        ],
    );
    assert!(
        !steps.iter().any(|s| s.starts_with("notify-")
            || s.starts_with("substitute")
            || s.starts_with("report-hhs")),
        "{steps:?}"
    );
    let human = env
        .breach(["runbook", "show", "misdirected-email", "--affected", "3"])
        .ok()
        .stdout;
    assert!(human.contains("do not apply and are left out"), "{human}");
    let bad = env
        .breach([
            "runbook",
            "show",
            "misdirected-email",
            "--fact",
            "colour=yes",
        ])
        .fails(2);
    assert!(bad.error_line().contains("not a yes/no fact"));
}

#[test]
fn runbook_init_copies_a_runbook_to_adapt_and_validate() {
    let env = Env::new();
    let out = env
        .breach(["runbook", "init", "compromised-mailbox", "ours"])
        .ok();
    assert!(
        out.stdout.contains("breach runbook validate"),
        "{}",
        out.stdout
    );
    let copy = env.path().join("ours/compromised-mailbox.yaml");
    let copied = std::fs::read_to_string(&copy).unwrap();
    // The bundled runbook, under a header that explains the keys an author needs.
    assert!(copied.ends_with(include_str!("../../runbooks/compromised-mailbox.yaml")));
    let header =
        &copied[..copied.len() - include_str!("../../runbooks/compromised-mailbox.yaml").len()];
    assert!(header.lines().all(|l| l.starts_with('#')), "{header}");
    assert!(
        header.contains("records: {notice: individuals}"),
        "{header}"
    );
    env.breach(["runbook", "validate", "ours"]).ok();
    let again = env
        .breach(["runbook", "init", "compromised-mailbox", "ours"])
        .fails(1);
    assert!(again.error_line().contains("exists"));
    // Into the store by default, where it replaces the bundled one.
    env.breach(["runbook", "init", "misdirected-email"]).ok();
    let list = env
        .breach(["runbook", "list"])
        .ok()
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(list.contains("replaces the bundled runbook"), "{list}");
}

#[test]
fn the_runbooks_cover_what_review_against_the_regulation_found_missing() {
    let runbook = |id: &str| {
        Env::new()
            .breach(["--json", "runbook", "show", id])
            .ok()
            .json()
    };
    let cites = |doc: &serde_json::Value, reference: &str| {
        doc["phases"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["steps"].as_array().unwrap())
            .any(|s| {
                s["references"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|x| x.as_str().unwrap().contains(reference)))
            })
    };
    for id in [
        "misdirected-email",
        "compromised-mailbox",
        "unencrypted-or-exposed",
    ] {
        let doc = runbook(id);
        for reference in [
            "164.404(d)(1)(ii)",
            "164.404(d)(3)",
            "164.528",
            "164.530(f)",
            "164.530(e)",
            "42 CFR Part 2",
        ] {
            assert!(cites(&doc, reference), "{id} cites {reference}");
        }
        let steps: Vec<String> = doc["phases"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["steps"].as_array().unwrap())
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            steps.iter().any(|s| s == "check-state-law"),
            "{id} has the state-law step"
        );
    }
    assert!(
        cites(&runbook("business-associate"), "164.402(2)"),
        "the associate's own view"
    );
}
