//! State-law items beside HIPAA's (issue 29): for each affected state, the notices its law may
//! ask for, from the bundled table (`rules/state.yaml`) or counsel's reviewed one. Every
//! expected date is worked out by hand from the statute text as the reference tabulates it
//! (`../shared/reference/state-breach-laws.md`), on an incident discovered on 2 March 2026:
//! HIPAA's 60 days end on 1 May, California's 30 days on 1 April.

use serde_json::Value;

use crate::{ASSESS_NOTIFICATION_REQUIRED, Env};

/// An incident on the minimal runbook discovered at 10:00 on 2 March 2026 (in the zone of the
/// run), with `facts` recorded.
fn discovered_march_2(facts: &[&str]) -> Env {
    let env = Env::new();
    env.start_minimal_discovered("State law", "2026-03-02 10:00");
    let mut args = vec!["facts"];
    args.extend(facts);
    env.breach(args).ok();
    env
}

fn obligations(env: &Env) -> Vec<Value> {
    env.breach(["--json", "deadlines"]).ok().json()["obligations"]
        .as_array()
        .unwrap()
        .clone()
}

fn item(env: &Env, key: &str, state: &str) -> Option<Value> {
    obligations(env)
        .into_iter()
        .find(|o| o["key"] == key && o["state"] == state)
}

fn due(env: &Env, key: &str, state: &str) -> String {
    item(env, key, state).unwrap_or_else(|| panic!("no {key} ({state}) in {:?}", obligations(env)))
        ["due"]
        .as_str()
        .unwrap_or("null")
        .to_owned()
}

#[test]
fn california_residents_are_owed_notice_by_day_30_before_hipaa_day_60() {
    // 400 California residents: Cal. Civ. Code § 1798.82 (SB 446), 30 calendar days after
    // discovery: 2 March + 30 = 1 April. The attorney general's copy is for more than 500.
    let env = discovered_march_2(&["--affected", "400", "--state", "CA=400"]);
    let ca = item(&env, "state_individual_notice", "CA").unwrap();
    assert_eq!(ca["due"], "2026-04-01");
    assert_eq!(ca["status"], "pending");
    assert_eq!(ca["counts_from"], "discovery");
    assert_eq!(ca["needs_review"], true);
    assert_eq!(ca["expedient"], false);
    assert!(ca["basis"].as_str().unwrap().contains("1798.82"), "{ca}");
    assert!(ca["basis"].as_str().unwrap().contains("NEEDS LEGAL REVIEW"));
    assert!(
        item(&env, "state_regulator_notice", "CA").is_none(),
        "400 is not more than 500"
    );
    let hipaa = obligations(&env)
        .into_iter()
        .find(|o| o["key"] == "individual_notice")
        .unwrap();
    assert_eq!(hipaa["due"], "2026-05-01");
    // Earliest first: the first line a privacy officer reads is California's.
    let text = env.breach(["deadlines"]).ok().stdout;
    // A label too long for the terminal puts its due date on the next line.
    let at = text
        .lines()
        .position(|l| l.starts_with("  pending"))
        .unwrap();
    let first = text.lines().skip(at).take(2).collect::<Vec<_>>().join(" ");
    assert!(
        first.contains("State notice to residents (CA, possibly due, NEEDS LEGAL REVIEW)")
            && first.contains("2026-04-01"),
        "{text}"
    );
    let hipaa_line = text
        .lines()
        .find(|l| l.contains("Notice to individuals "))
        .unwrap();
    assert!(hipaa_line.contains("2026-05-01"), "{hipaa_line}");
    // status names the next thing owed, and says it needs review.
    let status = env.breach(["status"]).ok().stdout;
    assert!(
        status.contains(
            "next     state_individual_notice (CA, possibly due, NEEDS LEGAL REVIEW) due 2026-04-01"
        ),
        "{status}"
    );
}

#[test]
fn california_s_copy_to_its_attorney_general_counts_from_the_notice_to_residents() {
    // More than 500: 15 calendar days after notifying individuals. Before they are notified the
    // clock counts from the day that notice is due (1 April + 15 = 16 April); once they are,
    // from that day (20 March + 15 = 4 April).
    let mut env = discovered_march_2(&[
        "--affected",
        "600",
        "--state",
        "CA=600",
        "--unreachable",
        "0",
    ]);
    env.breach(ASSESS_NOTIFICATION_REQUIRED).ok();
    let regulator = item(&env, "state_regulator_notice", "CA").unwrap();
    assert_eq!(regulator["due"], "2026-04-16");
    assert_eq!(regulator["counts_from"], "individual_notice");
    assert_eq!(regulator["threshold"], "more than 500 residents");
    env.set_now("2026-04-06T15:00:00Z");
    env.breach([
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-20",
        "--method",
        "first-class-mail",
        "--count",
        "600",
    ])
    .ok();
    assert_eq!(due(&env, "state_regulator_notice", "CA"), "2026-04-04");
    // The notice to residents settles California's item with HIPAA's.
    assert_eq!(
        item(&env, "state_individual_notice", "CA").unwrap()["status"],
        "met"
    );
    // --state is required for a regulator's notice, and the method must reach the regulator.
    let no_state = env
        .breach([
            "notify",
            "--to",
            "regulator",
            "--date",
            "2026-03-21",
            "--method",
            "email",
        ])
        .fails(2);
    assert!(
        no_state.error_line().contains("--state"),
        "{}",
        no_state.stderr
    );
    let press = env
        .breach([
            "notify",
            "--to",
            "regulator",
            "--state",
            "CA",
            "--date",
            "2026-03-21",
            "--method",
            "press-release",
        ])
        .fails(1);
    assert!(press.error_line().contains("regulator"), "{}", press.stderr);
    env.breach([
        "notify",
        "--to",
        "regulator",
        "--state",
        "CA",
        "--date",
        "2026-04-05",
        "--method",
        "email",
    ])
    .ok();
    let regulator = item(&env, "state_regulator_notice", "CA").unwrap();
    assert_eq!(
        regulator["status"], "met_late",
        "5 April is a day after 4 April"
    );
    assert_eq!(regulator["met_on"], "2026-04-05");
}

#[test]
fn each_threshold_is_the_table_s_more_than_or_at_least() {
    // WA: more than 500, 30 days after discovery (1 April). 500 exactly: none.
    let wa = discovered_march_2(&["--affected", "501", "--state", "WA=501"]);
    assert_eq!(due(&wa, "state_regulator_notice", "WA"), "2026-04-01");
    let wa_500 = discovered_march_2(&["--affected", "500", "--state", "WA=500"]);
    assert!(item(&wa_500, "state_regulator_notice", "WA").is_none());
    // TX: 250 or more; 249: none.
    let tx = discovered_march_2(&["--affected", "250", "--state", "TX=250"]);
    assert!(item(&tx, "state_regulator_notice", "TX").is_some());
    let tx_249 = discovered_march_2(&["--affected", "249", "--state", "TX=249"]);
    assert!(item(&tx_249, "state_regulator_notice", "TX").is_none());
    // NY: its regulators whenever any New York resident is notified, no later than that
    // notice, which is due 30 days after discovery (1 April).
    let ny = discovered_march_2(&["--affected", "1", "--state", "NY=1"]);
    assert_eq!(due(&ny, "state_individual_notice", "NY"), "2026-04-01");
    assert_eq!(due(&ny, "state_regulator_notice", "NY"), "2026-04-01");
    // VT: a preliminary notice 14 business days after discovery: from Monday 2 March, the
    // 14th weekday after is Friday 20 March.
    let vt = discovered_march_2(&["--affected", "3", "--state", "VT=3"]);
    assert_eq!(due(&vt, "state_regulator_notice", "VT"), "2026-03-20");
    // Consumer reporting agencies: Texas asks above 10,000.
    let big = discovered_march_2(&["--affected", "10001", "--state", "TX=10001"]);
    let bureaus = item(&big, "state_credit_bureau_notice", "TX").unwrap();
    assert_eq!(bureaus["expedient"], true);
    big.breach([
        "notify",
        "--to",
        "credit-bureaus",
        "--state",
        "TX",
        "--date",
        "2026-03-09",
        "--method",
        "email",
    ])
    .ok();
    assert_eq!(
        item(&big, "state_credit_bureau_notice", "TX").unwrap()["status"],
        "met"
    );
}

#[test]
fn an_expedient_law_has_no_due_date_of_its_own_and_is_never_shown_as_not_due() {
    // Illinois gives no day count: due is null, and the clock holds it to HIPAA's 1 May.
    let env = discovered_march_2(&["--affected", "40", "--state", "IL=40", "--state", "AS=0"]);
    let il = item(&env, "state_individual_notice", "IL").unwrap();
    assert_eq!(il["due"], Value::Null);
    assert_eq!(il["expedient"], true);
    assert_eq!(il["latest"], "2026-05-01");
    let exported = env.breach(["export", "--format", "json"]).ok().json();
    let row = exported["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == "state_individual_notice" && o["state"] == "IL")
        .unwrap();
    assert_eq!(
        (&row["due"], &row["latest"]),
        (&Value::Null, &Value::from("2026-05-01"))
    );
    let text = env.breach(["deadlines"]).ok().stdout;
    assert!(
        text.contains("2026-05-01 at the latest (expedient: no day count)"),
        "{text}"
    );
    // deadlines --all carries the same: null, with the day it is held to.
    let all = env.breach(["--json", "deadlines", "--all"]).ok().json();
    let row = all["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == "state_individual_notice")
        .unwrap()
        .clone();
    assert_eq!(row["due"], Value::Null);
    assert_eq!(row["latest"], "2026-05-01");
    assert!(
        row["label"]
            .as_str()
            .unwrap()
            .contains("NEEDS LEGAL REVIEW")
    );
    let calendar = env.breach(["deadlines", "--all", "--ics"]).ok().stdout;
    assert!(calendar.contains("NEEDS LEGAL REVIEW"), "{calendar}");
    // A state the table has no row for is named, never passed over as owing nothing.
    let american_samoa = discovered_march_2(&["--affected", "5", "--state", "AS=5"]);
    let doc = american_samoa.breach(["--json", "deadlines"]).ok().json();
    let warnings = doc["warnings"].to_string();
    assert!(
        warnings.contains("no row for AS") && warnings.contains("NEEDS LEGAL REVIEW"),
        "{warnings}"
    );
}

#[test]
fn texas_counts_from_the_day_of_the_determination_in_the_organisation_s_zone() {
    // Tex. Bus. & Com. Code § 521.053: the attorney general within 30 days after the
    // determination. The assessment is recorded at 06:00 UTC on 6 March: 5 March in Los
    // Angeles (-08:00), 6 March in UTC and on Kiritimati (+14:00). 30 days on: 4 or 5 April.
    for (zone, determined, expected) in [
        ("UTC", "2026-03-06", "2026-04-05"),
        ("America/Los_Angeles", "2026-03-05", "2026-04-04"),
        ("Pacific/Kiritimati", "2026-03-06", "2026-04-05"),
    ] {
        let mut env = Env::new();
        env.set_now("2026-03-02T20:00:00Z");
        env.write("org/minimal.yaml", include_str!("../fixtures/minimal.yaml"));
        let run = |env: &Env, args: &[&str]| env.breach(args).env("TZ", zone).ok();
        run(
            &env,
            &[
                "--runbooks",
                "org",
                "start",
                "--runbook",
                "minimal",
                "--discovered",
                "2026-03-02 10:00",
                "--title",
                "Texas",
            ],
        );
        run(&env, &["facts", "--affected", "300", "--state", "TX=300"]);
        // Before any assessment: counted from discovery (1 April), and said so.
        let before = run(&env, &["--json", "deadlines"]).json();
        let tx = before["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["key"] == "state_regulator_notice")
            .unwrap()
            .clone();
        assert_eq!(tx["due"], "2026-04-01", "{zone}");
        assert!(
            before["assumptions"]
                .to_string()
                .contains("counts it from discovery")
        );
        env.set_now("2026-03-06T06:00:00Z");
        run(&env, &ASSESS_NOTIFICATION_REQUIRED);
        let after = run(&env, &["--json", "deadlines"]).json();
        let tx = after["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["key"] == "state_regulator_notice")
            .unwrap()
            .clone();
        assert_eq!(tx["due"], expected, "{zone}: determined {determined}");
        assert_eq!(tx["counts_from"], "determination");
    }
}

const REVIEWED: &str = "version: 1
reviewed_by: \"A. Counsel, Example & Partners LLP\"
reviewed_on: 2026-02-01
states:
  CA:
    statute: \"Cal. Civ. Code 1798.82\"
    individual: {days: 10, from: discovery}
    regulator: {name: \"Attorney General\", more_than: 500, days: 15, from: individual_notice}
    counsel_memo: \"kept with the firm\"
";

#[test]
fn counsel_s_reviewed_table_replaces_the_rows_it_names_and_only_those() {
    let env = discovered_march_2(&[
        "--affected",
        "700",
        "--state",
        "CA=600",
        "--state",
        "TX=100",
    ]);
    let path = env.write("counsel/state-rules.yaml", REVIEWED);
    let set = env
        .breach(["config", "set", "state_rules", path.to_str().unwrap()])
        .ok();
    assert!(
        set.stdout
            .contains("reviewed by A. Counsel, Example & Partners LLP on 2026-02-01"),
        "{}",
        set.stdout
    );
    // California's row is counsel's: 10 days after discovery (12 March), no longer marked.
    let ca = item(&env, "state_individual_notice", "CA").unwrap();
    assert_eq!(ca["due"], "2026-03-12");
    assert_eq!(ca["needs_review"], false);
    assert_eq!(ca["reviewed_by"], "A. Counsel, Example & Partners LLP");
    assert_eq!(ca["reviewed_on"], "2026-02-01");
    assert!(!ca["basis"].as_str().unwrap().contains("NEEDS LEGAL REVIEW"));
    // Texas's row is still the bundled one.
    let tx = item(&env, "state_individual_notice", "TX").unwrap();
    assert_eq!(tx["needs_review"], true);
    let text = env.breach(["deadlines"]).ok().stdout;
    assert!(text.contains("State notice to residents (CA)  "), "{text}");
    assert!(
        text.contains("(TX, possibly due, NEEDS LEGAL REVIEW)"),
        "{text}"
    );
    // The store-wide view reads the same table (its cache is kept per table).
    let all = env.breach(["--json", "deadlines", "--all"]).ok().json();
    assert!(
        all["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["key"] == "state_individual_notice" && o["due"] == "2026-03-12")
    );
}

#[test]
fn a_malformed_reviewed_table_is_refused_at_its_line_and_column_before_anything_is_kept() {
    let env = discovered_march_2(&["--affected", "10", "--state", "CA=10"]);
    let before = env.breach(["--json", "config", "show"]).ok().stdout;
    for (text, at) in [
        (
            REVIEWED.replace("days: 10, from: discovery", "days: 10"),
            ":7:",
        ),
        (REVIEWED.replace("  CA:", "  XX:"), ":6:"),
        (REVIEWED.replace("days: 10", "days: ten"), ":7:"),
        (
            REVIEWED.replace("reviewed_by: \"A. Counsel, Example & Partners LLP\"\n", ""),
            ":1:",
        ),
        ("version: 1\nstates: [\n".to_owned(), ":"),
    ] {
        let path = env.write("bad.yaml", &text);
        let refused = env
            .breach(["config", "set", "state_rules", path.to_str().unwrap()])
            .fails(1);
        let line = refused.error_line();
        assert!(line.contains(&format!("bad.yaml{at}")), "{text}: {line}");
        assert_eq!(env.breach(["--json", "config", "show"]).ok().stdout, before);
    }
    // A table that breaks after it was named stops every command with its location, and
    // `config` can still name another or none.
    let good = env.write("counsel/state-rules.yaml", REVIEWED);
    env.breach(["config", "set", "state_rules", good.to_str().unwrap()])
        .ok();
    std::fs::write(
        &good,
        REVIEWED.replace("days: 10, from: discovery", "days: 10"),
    )
    .unwrap();
    let stopped = env.breach(["deadlines"]).fails(1);
    assert!(
        stopped.error_line().contains("state-rules.yaml:7:"),
        "{}",
        stopped.stderr
    );
    env.breach(["config", "unset", "state_rules"]).ok();
    assert_eq!(due(&env, "state_individual_notice", "CA"), "2026-04-01");
}

#[test]
fn a_low_probability_determination_lists_no_state_item_but_says_to_ask_counsel() {
    let env = discovered_march_2(&["--affected", "40", "--state", "CA=40"]);
    let low: Vec<&str> = ASSESS_NOTIFICATION_REQUIRED
        .iter()
        .map(|a| {
            if *a == "notification-required" {
                "low-probability"
            } else if *a == "high" {
                "low"
            } else {
                a
            }
        })
        .collect();
    env.breach(low).ok();
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    assert!(doc["obligations"].as_array().unwrap().is_empty(), "{doc}");
    assert!(
        doc["assumptions"].to_string().contains("risk-of-harm test"),
        "{doc}"
    );
}
