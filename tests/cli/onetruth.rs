//! One truth: runbook steps bound to the actions they stand for (`records:`) and the regulatory
//! clock tell the same story, driven through the binary for every bundled runbook.

use serde_json::Value;

use crate::Env;

/// The audience a `notice` binding or an obligation's key stands for.
fn audience_of_key(key: &str) -> &'static str {
    match key {
        "individual_notice" => "individuals",
        "substitute_notice" => "substitute",
        "hhs_notice" | "hhs_annual_report" => "hhs",
        "media_notice" => "media",
        "state_individual_notice" => "individuals",
        "state_regulator_notice" => "regulator",
        "state_credit_bureau_notice" => "credit_bureaus",
        _ => "covered_entity",
    }
}

fn flag_of(audience: &str) -> &str {
    match audience {
        "covered_entity" => "covered-entity",
        "credit_bureaus" => "credit-bureaus",
        _ => audience,
    }
}

fn method_for(audience: &str) -> &'static str {
    match audience {
        "individuals" => "first-class-mail",
        "substitute" => "web-posting",
        "hhs" => "portal",
        "media" => "press-release",
        _ => "email",
    }
}

fn status(env: &Env) -> Value {
    env.breach(["--json", "status"]).ok().json()
}

/// The step bound to `records` (`"assessment"`, `"facts"`, `"delay"`, or a notice audience)
/// that applies now, if any.
fn bound_step(env: &Env, records: &str) -> Option<String> {
    status(env)["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["applies"] == true)
        .find(|s| s["records"] == records || s["records"]["notice"] == records)
        .map(|s| s["id"].as_str().unwrap().to_owned())
}

/// Marks every workable step that records nothing not applicable, so the bound steps'
/// dependencies are out of the way: the scenario is about the bound ones.
fn clear_unbound(env: &Env) {
    loop {
        let next = env.breach(["--json", "next"]).ok().json();
        let unbound: Vec<String> = next["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s.get("records").is_none())
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        if unbound.is_empty() {
            return;
        }
        for step in unbound {
            env.breach(["na", &step, "--reason", "Not part of this scenario"])
                .ok();
        }
    }
}

const ASSESSMENT: [&str; 22] = [
    "--secured",
    "no",
    "--exception",
    "none",
    "--nature",
    "high",
    "--nature-why",
    "lab results and diagnoses",
    "--recipient",
    "high",
    "--recipient-why",
    "a member of the public",
    "--acquired",
    "high",
    "--acquired-why",
    "opened and read",
    "--mitigation",
    "medium",
    "--mitigation-why",
    "asked to delete",
    "--determination",
    "notification-required",
];

/// No step state contradicts an obligation state in the exported record: a notice step applies
/// exactly when the clock has its notice, and is done exactly when the clock counts it given.
fn assert_one_story(env: &Env, runbook: &str) {
    let doc = env.breach(["export", "--format", "json"]).ok().json();
    let obligations = doc["obligations"].as_array().unwrap();
    let steps: Vec<&Value> = doc["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["steps"].as_array().unwrap())
        .collect();
    for audience in [
        "individuals",
        "substitute",
        "hhs",
        "media",
        "covered_entity",
    ] {
        let owed: Vec<&Value> = obligations
            .iter()
            .filter(|o| audience_of_key(o["key"].as_str().unwrap()) == audience)
            .collect();
        let bound: Vec<&&Value> = steps
            .iter()
            .filter(|s| s["records"]["notice"] == audience)
            .collect();
        let applying: Vec<&&&Value> = bound.iter().filter(|s| s["applies"] == true).collect();
        if !bound.is_empty() {
            assert_eq!(
                !applying.is_empty(),
                !owed.is_empty(),
                "{runbook}: notice to {audience}: steps {bound:?} against obligations {owed:?}"
            );
        }
        let met = owed
            .iter()
            .all(|o| o["status"] == "met" || o["status"] == "met_late");
        for s in applying {
            assert_eq!(
                s["state"] == "done",
                met,
                "{runbook}: step {} is {} while the clock has {owed:?}",
                s["id"],
                s["state"]
            );
        }
        for s in bound.iter().filter(|s| s["applies"] == false) {
            assert!(
                s["because"].is_string(),
                "{runbook}: {} does not apply without a reason",
                s["id"]
            );
        }
    }
    let assessed = doc["determination"]["assessment"].is_object();
    for s in steps
        .iter()
        .filter(|s| s["records"] == "assessment" && s["applies"] == true)
    {
        assert_eq!(s["state"] == "done", assessed, "{runbook}: {}", s["id"]);
    }
}

/// The last entry of the incident's log.
fn last_entry(env: &Env) -> Value {
    let id = status(env)["id"].as_str().unwrap().to_owned();
    let text = env.log_text(&id);
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

#[test]
fn every_bundled_runbook_tells_one_story_from_facts_to_close() {
    for runbook in [
        "misdirected-email",
        "compromised-mailbox",
        "unencrypted-or-exposed",
        "business-associate",
    ] {
        for env in crate::backends() {
            eprintln!("{runbook} on the {} store", env.backend());
            env.start(runbook);
            clear_unbound(&env);
            assert_one_story(&env, runbook);

            // The facts: by the step bound to them where the runbook has one.
            let counts = [
                "--affected",
                "1240",
                "--unreachable",
                "140",
                "--state",
                "TX=700",
                "--state",
                "OK=540",
            ];
            match bound_step(&env, "facts") {
                Some(step) => {
                    // Without the counts, `done` names what the step needs.
                    let bare = env.breach(["done", &step]).fails(2);
                    assert!(bare.error_line().contains("--affected"), "{}", bare.stderr);
                    let mut args = vec!["done", step.as_str()];
                    args.extend(counts);
                    env.breach(args).ok();
                    assert_eq!(last_entry(&env)["kind"], "facts_changed");
                    assert_eq!(last_entry(&env)["data"]["settles"][0], step.as_str());
                }
                None => {
                    let mut args = vec!["facts"];
                    args.extend(counts);
                    env.breach(args).ok();
                }
            }
            assert_one_story(&env, runbook);

            // A law-enforcement hold, by the step where there is one; a notice inside it is refused.
            let delay = [
                "--delay",
                "oral",
                "--delay-official",
                "Det. R. Okafor, City PD",
                "--delay-stated",
                "2026-03-05",
            ];
            match bound_step(&env, "delay") {
                Some(step) => {
                    let mut args = vec!["done", step.as_str()];
                    args.extend(delay);
                    env.breach(args).ok();
                    assert_eq!(last_entry(&env)["data"]["settles"][0], step.as_str());
                }
                None => {
                    let mut args = vec!["facts"];
                    args.extend(delay);
                    env.breach(args).ok();
                }
            }
            let audience = if runbook == "business-associate" {
                "covered-entity"
            } else {
                "individuals"
            };
            let held = env
                .breach([
                    "notify",
                    "--to",
                    audience,
                    "--date",
                    "2026-03-06",
                    "--method",
                    "email",
                ])
                .fails(1);
            assert!(
                held.error_line().contains("law-enforcement hold"),
                "{}",
                held.stderr
            );
            env.breach(["facts", "--delay-lifted", "--at", "2026-03-07"])
                .ok();

            // The assessment, by its step.
            let step =
                bound_step(&env, "assessment").expect("every runbook records the assessment");
            clear_unbound(&env);
            let mut args = vec!["done", step.as_str()];
            args.extend(ASSESSMENT);
            args.extend(["--signed-by", "Dana Whit", "--role", "Privacy Officer"]);
            env.breach(args).ok();
            assert_eq!(last_entry(&env)["kind"], "assessment_recorded");
            assert_eq!(last_entry(&env)["data"]["settles"][0], step.as_str());
            // The timeline says so, in the same row.
            let doc = env.breach(["export", "--format", "json"]).ok().json();
            let row = doc["timeline"].as_array().unwrap().last().unwrap().clone();
            assert!(
                row["summary"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!(" Checked off step `{step}`.")),
                "{row}"
            );
            clear_unbound(&env);
            assert_one_story(&env, runbook);

            if runbook != "business-associate" {
                // Part of the mailing: the step refuses it, `notify` records it, the step stays open.
                let partial = env
                    .breach([
                        "done",
                        "notify-individuals",
                        "--date",
                        "2026-03-09",
                        "--method",
                        "first-class-mail",
                        "--count",
                        "1000",
                    ])
                    .fails(1);
                assert!(
                    partial
                        .error_line()
                        .contains("partial, 1000 of 1100 reachable"),
                    "{}",
                    partial.stderr
                );
                env.breach([
                    "notify",
                    "--to",
                    "individuals",
                    "--date",
                    "2026-03-09",
                    "--method",
                    "first-class-mail",
                    "--count",
                    "1000",
                ])
                .ok();
                assert_one_story(&env, runbook);
                let skip = env
                    .breach(["skip", "notify-individuals", "--reason", "enough"])
                    .fails(1);
                assert!(
                    skip.error_line().contains("stands for the notice"),
                    "{}",
                    skip.stderr
                );
                // Close is refused while notices are owed.
                let refused = env.breach(["close"]).fails(1);
                assert!(
                    refused.error_line().contains("individual_notice (partial"),
                    "{}",
                    refused.stderr
                );
                // The rest of the mailing completes the step, in the same entry.
                env.breach([
                    "done",
                    "notify-individuals",
                    "--date",
                    "2026-03-10",
                    "--method",
                    "first-class-mail",
                    "--count",
                    "100",
                ])
                .ok();
                assert_eq!(last_entry(&env)["kind"], "notice_sent");
                assert_eq!(last_entry(&env)["data"]["settles"][0], "notify-individuals");
                assert_one_story(&env, runbook);

                // Media in two states: one state's notice does not complete the step.
                let one_state = env
                    .breach([
                        "done",
                        "notify-media",
                        "--date",
                        "2026-03-10",
                        "--method",
                        "press-release",
                        "--state",
                        "TX",
                    ])
                    .fails(1);
                assert!(
                    one_state.error_line().contains("(OK) is not met"),
                    "{}",
                    one_state.stderr
                );
            }

            // Every notice still owed: alternately by its step and by `notify`.
            let deadlines = env.breach(["--json", "deadlines"]).ok().json();
            let owed: Vec<&Value> = deadlines["obligations"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["status"] != "met")
                .collect();
            let last_media = owed.iter().rposition(|o| o["key"] == "media_notice");
            for (i, o) in owed.iter().enumerate() {
                let audience = audience_of_key(o["key"].as_str().unwrap());
                // A step is done by the notice that completes it: for media, the last state's.
                let last_of = owed
                    .iter()
                    .rposition(|o| audience_of_key(o["key"].as_str().unwrap()) == audience);
                let by_step = if audience == "media" {
                    Some(i) == last_media
                } else if matches!(audience, "regulator" | "credit_bureaus") {
                    // Per state, as for media: the step is done by the last state's notice.
                    Some(i) == last_of
                } else {
                    i % 2 == 0
                };
                let mut args: Vec<String> = match bound_step(&env, audience) {
                    Some(step) if by_step => {
                        vec!["done".into(), step]
                    }
                    _ => vec!["notify".into(), "--to".into(), flag_of(audience).into()],
                };
                args.extend(
                    ["--date", "2026-03-10", "--method", method_for(audience)].map(String::from),
                );
                if let Some(state) = o["state"].as_str() {
                    args.extend(["--state".into(), state.into()]);
                }
                let out = env.breach(&args).run();
                // A notice already given under another obligation (the agreement's and the
                // regulation's covered-entity notice are one notice) is refused as identical.
                if out.code != 0 {
                    assert!(
                        out.stderr.contains("identical notice"),
                        "{runbook} {args:?}: {}",
                        out.stderr
                    );
                }
                assert_one_story(&env, runbook);
            }
            clear_unbound(&env);
            let closed = env.breach(["close"]).ok();
            assert!(
                closed.stdout.starts_with("Closed incident"),
                "{runbook}: {}",
                closed.stdout
            );
            assert_one_story(&env, runbook);
        }
    }
}
