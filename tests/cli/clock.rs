//! The regulatory clock through the binary: facts, the assessment, notices and `deadlines --json`.

use serde_json::Value;

use crate::Env;

fn obligations(env: &Env) -> Vec<Value> {
    env.breach(["--json", "deadlines"]).ok().json()["obligations"]
        .as_array()
        .unwrap()
        .clone()
}

fn find<'a>(list: &'a [Value], key: &str, state: Option<&str>) -> Option<&'a Value> {
    list.iter()
        .find(|o| o["key"] == key && o.get("state").and_then(Value::as_str) == state)
}

fn last_entry(env: &Env, id: &str) -> Value {
    let text = std::fs::read_to_string(env.log_path(id)).unwrap();
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

const LOW_PROBABILITY: &[&str] = &[
    "assess",
    "--secured",
    "no",
    "--exception",
    "none",
    "--nature",
    "low",
    "--nature-why",
    "names and appointment dates only",
    "--recipient",
    "low",
    "--recipient-why",
    "another covered entity",
    "--acquired",
    "low",
    "--acquired-why",
    "recipient attests it was not opened",
    "--mitigation",
    "low",
    "--mitigation-why",
    "deleted; attestation attached",
    "--determination",
    "low-probability",
    "--signed-by",
    "Dana Whit",
    "--role",
    "Privacy Officer",
];

#[test]
fn deadlines_json_has_the_contract_keys_and_an_unknown_count_assumes_hhs_in_60_days() {
    let env = Env::new();
    env.start("misdirected-email");
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    let list = doc["obligations"].as_array().unwrap();
    for o in list {
        for key in ["key", "due", "status", "basis"] {
            assert!(!o[key].is_null(), "{key} in {o}");
        }
        assert_eq!(o["status"], "pending");
    }
    let individual = find(list, "individual_notice", None).unwrap();
    assert_eq!(
        individual["due"], "2026-04-30",
        "discovered 2026-03-01 09:30 + 60 days"
    );
    assert_eq!(individual["days_left"], crate::days_until("2026-04-30"));
    assert!(
        individual["basis"]
            .as_str()
            .unwrap()
            .starts_with("45 CFR 164.404(b)")
    );
    let hhs = find(list, "hhs_notice", None).unwrap();
    assert_eq!(hhs["due"], "2026-04-30");
    assert!(doc["assumptions"][0].as_str().unwrap().contains("unknown"));
}

#[test]
fn facts_move_the_obligations_and_each_move_is_logged_with_old_and_new_dates() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    env.breach(["facts", "--affected", "499"]).ok();
    let entry = last_entry(&env, &id);
    assert_eq!(entry["kind"], "facts_changed");
    assert_eq!(entry["data"]["affected"], 499);
    let moved = entry["data"]["recomputed"].as_array().unwrap();
    assert!(
        moved
            .iter()
            .any(|c| c["key"] == "hhs_notice" && c["old"] == "2026-04-30" && c["new"].is_null())
    );
    assert!(moved.iter().any(|c| c["key"] == "hhs_annual_report"
        && c["old"].is_null()
        && c["new"] == "2027-03-01"));
    let list = obligations(&env);
    assert_eq!(
        find(&list, "hhs_annual_report", None).unwrap()["due"],
        "2027-03-01"
    );
    assert!(find(&list, "hhs_notice", None).is_none());

    let out = env
        .breach([
            "facts",
            "--affected",
            "640",
            "--state",
            "TX=501",
            "--state",
            "NM=139",
            "--unreachable",
            "9",
            "--reason",
            "recount",
        ])
        .ok();
    assert!(
        out.stdout
            .contains("media_notice (TX): now applies, due 2026-04-30"),
        "{}",
        out.stdout
    );
    let list = obligations(&env);
    assert_eq!(
        find(&list, "hhs_notice", None).unwrap()["due"],
        "2026-04-30"
    );
    assert_eq!(
        find(&list, "media_notice", Some("TX")).unwrap()["due"],
        "2026-04-30"
    );
    assert!(find(&list, "media_notice", Some("NM")).is_none());
    assert_eq!(
        find(&list, "substitute_notice", None).unwrap()["form"],
        "alternative"
    );
    env.breach(["facts", "--unreachable", "10"]).ok();
    assert_eq!(
        find(&obligations(&env), "substitute_notice", None).unwrap()["form"],
        "web_or_media"
    );
    assert_eq!(
        last_entry(&env, &id)["data"]["recomputed"],
        Value::Null,
        "a change that moves no date records no recomputation"
    );
}

#[test]
fn facts_refuse_counts_that_cannot_be_true_and_record_nothing() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    let before = std::fs::read(env.log_path(&id)).unwrap();
    for (args, message) in [
        (
            vec!["--affected", "100", "--state", "TX=80", "--state", "OK=30"],
            "add up to 110",
        ),
        (
            vec!["--affected", "5", "--unreachable", "6"],
            "6 unreachable is more than the 5",
        ),
        (vec!["--state", "XX=3"], "not the postal code"),
        (
            vec!["--affected=-4"],
            "expected a whole number or `unknown`",
        ),
        (
            vec![
                "--breach-started",
                "2026-02-25",
                "--breach-ended",
                "2026-02-20",
            ],
            "ended (2026-02-20) before it started",
        ),
        (
            vec!["--breach-started", "2026-03-05"],
            "started (2026-03-05) after it was discovered (2026-03-01)",
        ),
        (vec!["--discovered", "2026-04-01"], "in the future"),
        (
            vec![
                "--delay",
                "written",
                "--delay-official",
                "SA Ortiz, FBI",
                "--delay-stated",
                "2026-03-05",
            ],
            "--delay-until",
        ),
    ] {
        let mut full = vec!["facts"];
        full.extend(args);
        // A malformed argument is a usage error (2); a value a rule refuses is 1.
        let usage = ["not the postal code", "whole number", "--delay-until"]
            .iter()
            .any(|m| message.contains(m));
        let out = env.breach(full).fails(if usage { 2 } else { 1 });
        assert!(
            out.error_line().contains(message),
            "{message}: {}",
            out.stderr
        );
    }
    assert_eq!(std::fs::read(env.log_path(&id)).unwrap(), before);
}

#[test]
fn a_corrected_discovery_time_moves_every_deadline() {
    let env = Env::new();
    env.start("misdirected-email");
    env.breach([
        "facts",
        "--discovered",
        "2026-02-20",
        "--reason",
        "the sender reported it to her manager that day",
    ])
    .ok();
    assert_eq!(
        find(&obligations(&env), "individual_notice", None).unwrap()["due"],
        "2026-04-21"
    );
    let status = env.breach(["--json", "status"]).ok().json();
    assert_eq!(status["discovered"]["date"], "2026-02-20");
}

#[test]
fn the_law_enforcement_hold_is_a_history_oral_then_written_then_lifted() {
    let env = Env::new();
    env.start("misdirected-email");
    env.breach([
        "facts",
        "--affected",
        "20",
        "--unreachable",
        "0",
        "--delay",
        "oral",
        "--delay-official",
        "Det. R. Okafor, City PD",
        "--delay-stated",
        "2026-03-05",
    ])
    .ok();
    // Oral: held 2026-03-05 to 2026-04-04, which ends before the notice's own date.
    let individual = find(&obligations(&env), "individual_notice", None)
        .unwrap()
        .clone();
    assert_eq!(
        individual["due"], "2026-04-30",
        "a short hold changes nothing"
    );
    assert!(individual.get("held_until").is_none());
    // Written, while the oral hold is in force: the hold now ends on its stated day.
    env.breach([
        "facts",
        "--delay",
        "written",
        "--delay-official",
        "Det. R. Okafor, City PD",
        "--delay-stated",
        "2026-03-08",
        "--delay-until",
        "2026-06-15",
    ])
    .ok();
    let individual = find(&obligations(&env), "individual_notice", None)
        .unwrap()
        .clone();
    assert_eq!(individual["held_until"], "2026-06-15");
    assert_eq!(
        individual["due"], "2026-06-16",
        "the first day after the hold"
    );
    // Lifted on 2026-03-09 (--at): the hold ended that day, and the notice's own date stands.
    env.breach(["facts", "--delay-lifted", "--at", "2026-03-09 12:00"])
        .ok();
    let individual = find(&obligations(&env), "individual_notice", None)
        .unwrap()
        .clone();
    assert_eq!(individual["due"], "2026-04-30");
    assert!(individual.get("held_until").is_none());
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    assert_eq!(
        doc["law_enforcement_holds"].as_array().unwrap().len(),
        2,
        "nothing erased"
    );
    assert_eq!(doc["hold_lifted_on"], "2026-03-09");
    assert_eq!(
        doc["hold_periods"],
        serde_json::json!([{"from": "2026-03-05", "until": "2026-03-09"}])
    );
    let text = env
        .breach(["deadlines"])
        .ok()
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for needle in [
        "oral statement of 2026-03-05 by Det. R. Okafor, City PD",
        "written statement of 2026-03-08",
        "lifted on 2026-03-09",
        "notices held 2026-03-05 to 2026-03-09",
        "INTERPRETATION",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let status = env.breach(["status"]).ok().stdout;
    assert!(
        status.contains("notices held 2026-03-05 to 2026-03-09"),
        "{status}"
    );
    for format in ["md", "html"] {
        let report = env.breach(["export", "--format", format]).ok().stdout;
        assert!(
            report.contains("written statement of 2026-03-08")
                && report.contains("notices held 2026-03-05 to 2026-03-09"),
            "{format}: the report shows every statement and the periods"
        );
    }
    let out = env.breach(["facts", "--delay-lifted"]).ok();
    assert!(out.stdout.contains("Facts recorded"));
    let none = Env::new();
    none.start("misdirected-email");
    let out = none.breach(["facts", "--delay-lifted"]).fails(1);
    assert!(
        out.error_line().contains("no law-enforcement hold"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_notice_meets_its_obligation_on_time_or_late() {
    let mut env = Env::new();
    env.start("misdirected-email");
    env.breach([
        "facts",
        "--affected",
        "700",
        "--state",
        "TX=650",
        "--state",
        "OK=50",
        "--unreachable",
        "0",
    ])
    .ok();
    env.set_now("2026-05-15T15:00:00Z");
    let out = env
        .breach([
            "notify",
            "--to",
            "individuals",
            "--date",
            "2026-04-20",
            "--method",
            "first-class-mail",
            "--count",
            "700",
        ])
        .ok();
    assert!(
        out.stdout
            .contains("individual_notice is met (due 2026-04-30)"),
        "{}",
        out.stdout
    );
    env.breach([
        "notify",
        "--to",
        "hhs",
        "--date",
        "2026-05-05",
        "--method",
        "portal",
    ])
    .ok();
    let list = obligations(&env);
    assert_eq!(
        find(&list, "individual_notice", None).unwrap()["status"],
        "met"
    );
    assert_eq!(
        find(&list, "hhs_notice", None).unwrap()["status"],
        "met_late"
    );
    let media = find(&list, "media_notice", Some("TX")).unwrap();
    assert_eq!(media["status"], "overdue");
    // "Now" is 2026-05-15T15:00Z: 15 May in UTC and Los Angeles, 16 May on Kiritimati.
    let today = if crate::test_zone() == "Pacific/Kiritimati" {
        "2026-05-16"
    } else {
        "2026-05-15"
    };
    assert_eq!(
        media["days_left"],
        crate::days_between(today, media["due"].as_str().unwrap())
    );
    assert!(media["days_left"].as_i64().unwrap() < 0);
    let overdue: Vec<&str> = list
        .iter()
        .take_while(|o| o["status"] == "overdue")
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert!(
        overdue.contains(&"media_notice")
            && list
                .iter()
                .skip(overdue.len())
                .all(|o| o["status"] != "overdue"),
        "overdue obligations come first: {overdue:?}"
    );
    let status = env.breach(["status"]).ok().stdout;
    let overdue = status
        .find("OVERDUE  media_notice (TX)")
        .expect("status shows the overdue obligation");
    assert!(
        overdue < status.find("Progress").unwrap(),
        "before the progress:\n{status}"
    );
    let bad = env
        .breach([
            "notify",
            "--to",
            "media",
            "--date",
            "2026-05-01",
            "--method",
            "press-release",
        ])
        .fails(2);
    assert!(bad.error_line().contains("--state XX"));
    let early = env
        .breach([
            "notify",
            "--to",
            "hhs",
            "--date",
            "2026-02-01",
            "--method",
            "portal",
        ])
        .fails(1);
    assert!(
        early
            .error_line()
            .contains("before the breach was discovered")
    );
}

#[test]
fn a_low_probability_determination_removes_the_notices_and_a_later_one_supersedes_it() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    env.breach(["facts", "--affected", "3"]).ok();
    env.breach(LOW_PROBABILITY).ok();
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    assert_eq!(doc["obligations"].as_array().unwrap().len(), 0);
    assert!(
        doc["rests_on"]
            .as_str()
            .unwrap()
            .starts_with("low probability")
    );
    let next = env.breach(["--json", "next"]).ok().json();
    assert!(
        !next["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == "notify-individuals"),
        "notify steps no longer apply"
    );

    let mut again: Vec<&str> = LOW_PROBABILITY.to_vec();
    let d = again.iter().position(|a| *a == "low-probability").unwrap();
    again[d] = "notification-required";
    let out = env.breach(again).ok();
    assert!(
        out.stdout.contains("supersedes the earlier assessment"),
        "{}",
        out.stdout
    );
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    assert!(
        doc["rests_on"]
            .as_str()
            .unwrap()
            .contains("supersedes 1 earlier assessment")
    );
    assert!(
        find(
            doc["obligations"].as_array().unwrap(),
            "individual_notice",
            None
        )
        .is_some()
    );
    let kinds: Vec<String> = std::fs::read_to_string(env.log_path(&id))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "assessment_recorded").count(),
        2,
        "both stay in the log"
    );
}

#[test]
fn an_assessment_that_contradicts_itself_is_refused() {
    let env = Env::new();
    env.start("misdirected-email");
    let cases = [
        (
            vec![
                "--secured",
                "yes",
                "--exception",
                "none",
                "--determination",
                "notification-required",
            ],
            "use --determination secured",
        ),
        (
            vec![
                "--secured",
                "no",
                "--exception",
                "could-not-retain",
                "--exception-basis",
                "x",
                "--determination",
                "low-probability",
            ],
            "use --determination exception",
        ),
        (
            vec![
                "--secured",
                "no",
                "--exception",
                "none",
                "--determination",
                "exception",
            ],
            "--exception is none",
        ),
        (
            vec![
                "--secured",
                "no",
                "--exception",
                "none",
                "--determination",
                "low-probability",
                "--nature",
                "low",
            ],
            "--nature needs its rationale",
        ),
        (
            vec!["--secured", "no", "--exception", "none"],
            "needs --determination, --signed-by, --role",
        ),
    ];
    for (args, message) in cases {
        let mut full = vec![
            "assess",
            "--signed-by",
            "Dana Whit",
            "--role",
            "Privacy Officer",
        ];
        if message.starts_with("needs") {
            full = vec!["assess"];
        }
        full.extend(args);
        // A malformed or missing argument is a usage error (2); a refusal by a rule is 1.
        let usage = message.contains("rationale") || message.starts_with("needs");
        let out = env.breach(full).fails(if usage { 2 } else { 1 });
        assert!(
            out.error_line().contains(message),
            "{message}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_business_associate_sees_its_own_clock() {
    let env = Env::new();
    env.start("misdirected-email");
    env.breach([
        "facts",
        "--business-associate",
        "yes",
        "--affected",
        "900",
        "--state",
        "TX=900",
    ])
    .ok();
    let list = obligations(&env);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["key"], "business_associate_notice");
    assert_eq!(list[0]["due"], "2026-04-30");
    env.breach([
        "notify",
        "--to",
        "covered-entity",
        "--date",
        "2026-03-09",
        "--method",
        "email",
    ])
    .ok();
    assert_eq!(obligations(&env)[0]["status"], "met");
}

#[test]
fn moving_discovery_needs_a_reason_and_never_passes_a_notice_already_sent() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    let out = env.breach(["facts", "--discovered", "2026-03-02"]).fails(2);
    assert!(out.error_line().contains("--reason"), "{}", out.stderr);
    env.breach([
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-05",
        "--method",
        "first-class-mail",
        "--count",
        "1",
    ])
    .ok();
    let before = std::fs::read(env.log_path(&id)).unwrap();
    let out = env
        .breach([
            "facts",
            "--discovered",
            "2026-03-06",
            "--reason",
            "the audit log shows it was seen later",
        ])
        .fails(1);
    assert!(
        out.error_line()
            .contains("would come after the notice sent on 2026-03-05"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(env.log_path(&id)).unwrap(), before);
    let doc = env
        .breach([
            "--json",
            "facts",
            "--discovered",
            "2026-03-02",
            "--reason",
            "the help desk ticket was opened the next morning",
        ])
        .ok()
        .json();
    assert!(
        doc["recomputed"].as_array().is_some_and(|r| !r.is_empty()),
        "the entry records every due date it moved: {doc}"
    );
    let log = std::fs::read_to_string(env.log_path(&id)).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(
        last["data"]["previous_discovered"]["date"], "2026-03-01",
        "the old value"
    );
    assert_eq!(
        last["data"]["discovered"]["date"], "2026-03-02",
        "the new value"
    );
}

#[test]
fn a_low_probability_determination_the_factors_do_not_support_needs_an_override_reason() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    let assess = |ratings: [&str; 4], extra: &[&str]| {
        let mut args: Vec<String> = [
            "assess",
            "--secured",
            "no",
            "--exception",
            "none",
            "--determination",
            "low-probability",
            "--signed-by",
            "Dana Whit",
            "--role",
            "Privacy Officer",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        for (flag, rating) in ["--nature", "--recipient", "--acquired", "--mitigation"]
            .iter()
            .zip(ratings)
        {
            args.extend([
                (*flag).to_owned(),
                rating.to_owned(),
                format!("{flag}-why"),
                "as assessed".to_owned(),
            ]);
        }
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        env.breach(&args)
    };
    // Ratings are the risk each factor leaves: three high risks, or a high risk remaining after
    // mitigation, do not support a low probability of compromise without a reason recorded.
    for ratings in [
        ["high", "high", "high", "high"],
        ["low", "high", "high", "high"],
        ["high", "high", "high", "low"],
        ["low", "low", "low", "high"],
    ] {
        let out = assess(ratings, &[]).fails(1);
        assert!(
            out.error_line()
                .contains("does not support a low probability")
                && out.error_line().contains("--override-reason"),
            "{ratings:?}: {}",
            out.stderr
        );
    }
    assess(["high", "medium", "low", "low"], &[]).ok();
    // The help says what a rating means: the risk a factor leaves.
    let help = env.breach(["assess", "--help"]).ok().stdout;
    assert!(
        help.contains("the risk that remains after mitigation"),
        "{help}"
    );
    assert!(!help.contains("extent of mitigation"), "{help}");
    assess(
        ["high", "high", "high", "high"],
        &[
            "--override-reason",
            "counsel's opinion of 2026-03-08 attached",
        ],
    )
    .ok();
    let log = std::fs::read_to_string(env.log_path(&id)).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(
        last["data"]["override_reason"],
        "counsel's opinion of 2026-03-08 attached"
    );
}

#[test]
fn a_business_associates_low_probability_view_keeps_its_duty_to_the_covered_entity() {
    let env = Env::new();
    env.start("business-associate");
    env.breach(["facts", "--business-associate", "yes"]).ok();
    env.breach([
        "assess",
        "--secured",
        "no",
        "--exception",
        "none",
        "--determination",
        "low-probability",
        "--nature",
        "low",
        "--nature-why",
        "names only",
        "--recipient",
        "low",
        "--recipient-why",
        "another covered entity",
        "--acquired",
        "low",
        "--acquired-why",
        "not opened",
        "--mitigation",
        "low",
        "--mitigation-why",
        "deleted",
        "--signed-by",
        "Bo Chen",
        "--role",
        "Security Officer",
    ])
    .ok();
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    let keys: Vec<&str> = doc["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["business_associate_notice"]);
    assert!(
        doc["assumptions"]
            .to_string()
            .contains("164.504(e)(2)(ii)(C)"),
        "{doc}"
    );
}

#[test]
fn a_time_given_with_its_offset_keeps_its_own_calendar_date() {
    // 23:30 on 31 December at -05:00 is 04:30 on 1 January in UTC. Dated in the machine's zone
    // it would move the annual report a whole year, to 29 February 2028.
    let mut env = Env::utc();
    env.set_now("2027-01-05T15:00:00Z");
    let doc = env
        .breach([
            "--json",
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-12-31T23:30:00-05:00",
            "--title",
            "New Year's Eve misdirect",
        ])
        .ok()
        .json();
    assert_eq!(doc["discovered"]["date"], "2026-12-31");
    env.breach(["facts", "--affected", "12", "--unreachable", "0"])
        .ok();
    let annual = find(&obligations(&env), "hhs_annual_report", None)
        .unwrap()
        .clone();
    assert_eq!(annual["due"], "2027-03-01");
}

#[test]
fn the_profiles_time_zone_is_the_organisations_day_and_is_named() {
    let env = Env::utc();
    let out = env
        .breach(["config", "set", "time_zone", "Mars/Olympus_Mons"])
        .fails(1);
    assert!(
        out.error_line().contains("is not an IANA time zone name"),
        "{}",
        out.stderr
    );
    // Started in UTC: the discovery date is pinned and never moves with a later zone.
    env.start("misdirected-email");
    // Case is not significant; the profile keeps the name as the database spells it.
    env.breach(["config", "set", "time_zone", "pacific/KIRITIMATI"])
        .ok();
    let status = env.breach(["--json", "status"]).ok().json();
    assert_eq!(status["discovered"]["date"], "2026-03-01");
    // 2026-03-10T15:00Z is already 11 March on Kiritimati (+14), whatever TZ the machine has.
    let deadlines = env.breach(["--json", "deadlines"]).ok().json();
    assert_eq!(deadlines["today"], "2026-03-11");
    assert_eq!(deadlines["zone"], "Pacific/Kiritimati");
    let text = env.breach(["status"]).ok().stdout;
    assert!(
        text.contains("times       Pacific/Kiritimati (+14:00)"),
        "{text}"
    );
    // A wall-clock time is read in the organisation's zone.
    let doc = env
        .breach([
            "--json",
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01 09:30",
            "--title",
            "Read in the profile's zone",
        ])
        .ok()
        .json();
    assert_eq!(doc["discovered"]["at"], "2026-02-28T19:30:00Z");
    assert_eq!(doc["discovered"]["zone"], "Pacific/Kiritimati");
}

#[test]
fn status_says_how_long_the_record_must_be_kept() {
    let env = Env::utc();
    env.start("misdirected-email");
    let doc = env.breach(["--json", "status"]).ok().json();
    assert_eq!(
        doc["retain_until"], "2032-03-10",
        "six years from the last entry"
    );
    let text = env.breach(["status"]).ok().stdout;
    assert!(text.contains("keep until  2032-03-10"), "{text}");
}

#[test]
fn secured_names_its_basis_and_no_impermissible_use_is_its_own_outcome() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    let base = [
        "assess",
        "--exception",
        "none",
        "--signed-by",
        "Dana Whit",
        "--role",
        "Privacy Officer",
    ];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend(extra);
        env.breach(&args)
    };
    let out = run(&[
        "--secured",
        "yes",
        "--determination",
        "secured",
        "--secured-basis",
        "tls",
    ])
    .fails(2);
    assert!(
        out.stderr
            .contains("[possible values: encrypted, destroyed]"),
        "{}",
        out.stderr
    );
    let out = run(&[
        "--secured",
        "yes",
        "--determination",
        "secured",
        "--secured-basis",
        "encrypted",
    ])
    .fails(1);
    assert!(
        out.error_line().contains("--secured-details"),
        "{}",
        out.stderr
    );
    run(&[
        "--secured",
        "yes",
        "--determination",
        "secured",
        "--secured-basis",
        "encrypted",
        "--secured-details",
        "S/MIME to the recipient's certificate; the key never left the HSM",
    ])
    .ok();
    let out = run(&["--secured", "no", "--determination", "no-impermissible-use"]).fails(1);
    assert!(out.error_line().contains("--rationale"), "{}", out.stderr);
    run(&[
        "--secured",
        "no",
        "--determination",
        "no-impermissible-use",
        "--rationale",
        "the recipient is the patient's own treating physician, entitled to the results",
    ])
    .ok();
    let log = std::fs::read_to_string(env.log_path(&id)).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(
        last["data"]["determination"],
        "no_impermissible_use_or_disclosure"
    );
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    assert_eq!(doc["obligations"], serde_json::json!([]));
    assert!(
        doc["rests_on"]
            .as_str()
            .unwrap()
            .contains("no impermissible use or disclosure"),
        "{doc}"
    );
}

#[test]
fn a_notify_steps_due_date_follows_the_clock_through_a_hold() {
    let env = Env::utc();
    env.start("misdirected-email");
    let due_of = |step: &str| {
        let status = env.breach(["--json", "status"]).ok().json();
        status["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == step)
            .unwrap()["due"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        due_of("notify-individuals"),
        "2026-04-30T23:59:00+00:00",
        "the individual notice's own date"
    );
    env.breach([
        "facts",
        "--affected",
        "20",
        "--unreachable",
        "0",
        "--delay",
        "written",
        "--delay-official",
        "SA M. Ortiz, FBI",
        "--delay-stated",
        "2026-03-08",
        "--delay-until",
        "2026-06-15",
    ])
    .ok();
    assert_eq!(
        due_of("notify-individuals"),
        "2026-06-16T23:59:00+00:00",
        "held: the step is due when its notice is, never 60 days from discovery"
    );
    let text = env.breach(["status"]).ok().stdout;
    assert!(
        !text.contains("notify-individuals  open, OVERDUE"),
        "a held notify step is not overdue: {text}"
    );
}

#[test]
fn notices_as_the_law_counts_them_held_limited_and_partial() {
    let env = Env::utc();
    env.start("misdirected-email");
    env.breach([
        "facts",
        "--affected",
        "1240",
        "--unreachable",
        "140",
        "--delay",
        "written",
        "--delay-official",
        "SA M. Ortiz, FBI",
        "--delay-stated",
        "2026-03-02",
        "--delay-until",
        "2026-03-06",
    ])
    .ok();
    let mail = |date: &str, count: &str, extra: &[&str]| {
        let mut args = vec![
            "notify",
            "--to",
            "individuals",
            "--date",
            date,
            "--method",
            "first-class-mail",
            "--count",
            count,
        ];
        args.extend(extra);
        env.breach(&args)
    };
    let out = mail("2026-03-04", "100", &[]).fails(1);
    assert!(
        out.error_line()
            .contains("hold is in force from 2026-03-02 to 2026-03-06")
            && out.error_line().contains("--despite-hold"),
        "{}",
        out.stderr
    );
    mail(
        "2026-03-04",
        "100",
        &[
            "--despite-hold",
            "--reason",
            "the batch was already with the mail house",
        ],
    )
    .ok();
    let out = mail("2026-03-09", "1001", &[]).fails(1);
    assert!(
        out.error_line()
            .contains("more than the 1100 this notice can reach"),
        "{}",
        out.stderr
    );
    mail("2026-03-09", "900", &[]).ok();
    let o = find(&obligations(&env), "individual_notice", None)
        .unwrap()
        .clone();
    assert_eq!(o["status"], "partial");
    assert_eq!(
        (o["notified"].as_u64(), o["reachable"].as_u64()),
        (Some(1000), Some(1100))
    );
    mail("2026-03-10", "100", &[]).ok();
    let o = find(&obligations(&env), "individual_notice", None)
        .unwrap()
        .clone();
    assert_eq!(o["status"], "met");
    assert_eq!(o["met_on"], "2026-03-10");
}

#[test]
fn the_business_associate_runbook_implies_the_fact_and_the_agreement_deadline_is_on_the_clock() {
    let env = Env::utc();
    env.start("business-associate");
    let keys = |env: &Env| -> Vec<(String, String)> {
        obligations(env)
            .iter()
            .map(|o| {
                (
                    o["key"].as_str().unwrap().to_owned(),
                    o["due"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        keys(&env),
        [(
            "business_associate_notice".to_owned(),
            "2026-04-30".to_owned()
        )],
        "the runbook implies the business-associate fact from the start"
    );
    env.breach(["facts", "--ba-agreement-days", "10"]).ok();
    assert!(
        keys(&env).contains(&(
            "business_associate_agreement_notice".to_owned(),
            "2026-03-11".to_owned()
        )),
        "{:?}",
        keys(&env)
    );
    let ics = env.breach(["export", "--format", "ics"]).ok().stdout;
    assert!(
        ics.contains("business_associate_agreement_notice"),
        "in the calendar too"
    );
    env.breach([
        "notify",
        "--to",
        "covered-entity",
        "--date",
        "2026-03-09",
        "--method",
        "email",
    ])
    .ok();
    assert!(
        obligations(&env).iter().all(|o| o["status"] == "met"),
        "one notice to the covered entity meets both"
    );
}

#[test]
fn a_step_due_in_days_is_due_at_the_end_of_that_day_in_the_organisations_zone_across_dst() {
    // The minimal runbook's `notify-hhs-now` is due 60 days after discovery. Discovered on
    // 1 March 2026: day 60 is 30 April (30 days of March left, then 30 of April). The clocks
    // change in between (8 March in Los Angeles, 29 March in London); the step is still due at
    // the end of 30 April where the organisation is, never an hour off.
    for (zone, offset) in [
        ("America/Los_Angeles", "-07:00"),
        ("Europe/London", "+01:00"),
    ] {
        let env = Env::new();
        env.breach(["config", "set", "time_zone", zone]).ok();
        env.start_minimal("DST");
        let status = env.breach(["--json", "status"]).ok().json();
        let step = status["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "notify-hhs-now")
            .unwrap()
            .clone();
        assert_eq!(
            step["due"],
            format!("2026-04-30T23:59:00{offset}"),
            "{zone}: {step}"
        );
    }
}

#[test]
fn an_assessment_recorded_early_leaves_its_step_open_until_what_it_waits_on_is_settled() {
    let env = Env::new();
    env.start("misdirected-email");
    let recorded = env.breach(crate::ASSESS_NOTIFICATION_REQUIRED).ok();
    assert!(
        recorded
            .stdout
            .contains("Step `risk-assessment` waits on check-exception"),
        "{}",
        recorded.stdout
    );
    let step_state = |env: &Env| {
        let status = env.breach(["--json", "status"]).ok().json();
        status["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "risk-assessment")
            .unwrap()["state"]
            .clone()
    };
    // risk-assessment waits on check-exception, confirm-unsecured and contact-recipient: the
    // assessment is recorded (the clock uses it), the step is not checked off.
    assert_eq!(step_state(&env), "open");
    let status = env.breach(["status"]).ok().stdout;
    assert!(
        status.contains("recorded, waits on check-exception"),
        "{status}"
    );
    let deadlines = env.breach(["--json", "deadlines"]).ok().json();
    assert_eq!(deadlines["notification_required"], true, "{deadlines}");
    for step in ["check-exception", "confirm-unsecured", "contact-recipient"] {
        env.breach(["na", step, "--reason", "settled for the test"])
            .ok();
    }
    // Then `done` checks it off with the assessment already recorded.
    env.breach(["done", "risk-assessment"]).ok();
    assert_eq!(step_state(&env), "done");
}

#[test]
fn deadlines_text_gives_each_line_of_reasoning_its_own_sentence_within_the_terminal() {
    let env = Env::new();
    env.start_minimal("Sentences");
    env.breach(["facts", "--affected", "600", "--state", "OH=600"])
        .ok();
    env.breach([
        "facts",
        "--delay",
        "written",
        "--delay-official",
        "Detective Rowe, county police",
        "--delay-stated",
        "2026-03-02",
        "--delay-until",
        "2026-06-30",
    ])
    .ok();
    let text = env.breach(["deadlines"]).ok().stdout;
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    // The rule and its clock start a line of their own, after the sentence saying why it applies.
    let basis = lines
        .iter()
        .position(|l| l.starts_with("45 CFR 164.404(b):"))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(lines[basis - 1], "Every breach of unsecured PHI.", "{text}");
    assert!(lines[basis].ends_with(',') || lines[basis + 1].ends_with('.'));
    // The hold is its own sentence, never run onto the clock's.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Held by a law-enforcement delay until")),
        "{text}"
    );
    assert!(!text.contains("discovery Held"), "{text}");
    // Every obligation's reasoning is sentences: capitalised, ending in a full stop.
    for (n, line) in text.lines().enumerate() {
        assert!(
            line.chars().count() <= 80,
            "line {n} is wider than the terminal: {line}"
        );
    }
}
