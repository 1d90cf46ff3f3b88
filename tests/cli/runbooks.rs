//! Runbooks: the bundled ones validate, `runbook list/show/validate` behave, and every kind of
//! mistake an author can make gets a located, actionable message (pinned by snapshots).

use crate::Env;

const MINIMAL: &str = include_str!("../fixtures/minimal.yaml");

#[test]
fn every_bundled_runbook_validates() {
    let env = Env::new();
    let runbooks = concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks");
    let out = env.breach(["runbook", "validate", runbooks]).ok();
    assert!(out.stdout.contains("file(s) valid"), "{}", out.stdout);
    let listed = env.breach(["--json", "runbook", "list"]).ok().json();
    let files = std::fs::read_dir(runbooks).unwrap().count();
    assert_eq!(
        listed["runbooks"].as_array().unwrap().len(),
        files,
        "every file in runbooks/ is bundled"
    );
}

#[test]
fn the_minimal_fixture_is_valid() {
    let env = Env::new();
    let path = env.write("minimal.yaml", MINIMAL);
    let out = env
        .breach([
            std::ffi::OsStr::new("runbook"),
            "validate".as_ref(),
            path.as_os_str(),
        ])
        .ok();
    assert!(out.stdout.starts_with("ok: "), "{}", out.stdout);
}

/// Validates `text` as `name` and returns what `validate` printed, asserting exit 1.
fn problems(name: &str, text: &str) -> String {
    let env = Env::new();
    env.write(name, text);
    let out = env.breach(["runbook", "validate", name]).fails(1);
    out.stdout
}

fn broken(from: &str, to: &str) -> String {
    assert!(MINIMAL.contains(from), "fixture lacks {from:?}");
    MINIMAL.replacen(from, to, 1)
}

#[test]
fn a_type_error_is_located() {
    insta::assert_snapshot!(problems(
        "type-error.yaml",
        &broken("type: number", "type: numeric")
    ));
}

#[test]
fn an_unknown_key_is_located() {
    insta::assert_snapshot!(problems(
        "unknown-key.yaml",
        &broken(
            "        owner: it_admin\n        due",
            "        owner: it_admin\n        deu"
        )
    ));
}

#[test]
fn a_duplicate_key_is_located() {
    insta::assert_snapshot!(problems(
        "duplicate-key.yaml",
        &broken("version: \"1\"", "version: \"1\"\nversion: \"2\"")
    ));
}

#[test]
fn a_missing_phase_is_named() {
    let text = broken(
        "  - phase: report\n    steps:\n      - id: report-internally\n        title: Tell the privacy officer\n        instructions: Tell them.\n        owner: compliance_officer\n",
        "",
    );
    insta::assert_snapshot!(problems("missing-phase.yaml", &text));
}

#[test]
fn a_phase_out_of_order_is_located() {
    insta::assert_snapshot!(problems(
        "phase-order.yaml",
        &broken("phase: contain", "phase: notify").replacen(
            "phase: notify\n    steps:\n      - id: notify-hhs-now",
            "phase: contain\n    steps:\n      - id: notify-hhs-now",
            1
        )
    ));
}

#[test]
fn a_duplicate_step_id_is_located() {
    insta::assert_snapshot!(problems(
        "duplicate-step.yaml",
        &broken("id: retrain", "id: recall")
    ));
}

#[test]
fn a_dependency_on_no_step_is_located() {
    insta::assert_snapshot!(problems(
        "unknown-dependency.yaml",
        &broken("depends_on: [identify]", "depends_on: [identfy]")
    ));
}

#[test]
fn a_dependency_cycle_is_named() {
    let text = broken(
        "        owner: it_admin\n        due: {hours: 24}",
        "        owner: it_admin\n        depends_on: [recall]\n        due: {hours: 24}",
    );
    insta::assert_snapshot!(problems("cycle.yaml", &text));
}

#[test]
fn a_condition_on_an_unknown_fact_is_located() {
    insta::assert_snapshot!(problems(
        "unknown-fact.yaml",
        &broken(
            "when: {any_state_more_than: 500}",
            "when: {fact: media_interest}"
        )
    ));
}

#[test]
fn empty_title_and_instructions_are_located() {
    let text = broken("title: Retrain staff", "title: \"\"").replacen(
        "instructions: Train.",
        "instructions: \"  \"",
        1,
    );
    insta::assert_snapshot!(problems("empty-text.yaml", &text));
}

#[test]
fn a_choice_field_without_choices_is_located() {
    insta::assert_snapshot!(problems(
        "no-choices.yaml",
        &broken("            choices: [external, internal]\n", "")
    ));
}

#[test]
fn all_problems_in_a_file_are_reported_not_just_the_first() {
    let text = broken("depends_on: [identify]", "depends_on: [nowhere]")
        .replacen("id: retrain", "id: recall", 1)
        .replacen("title: Notify media", "title: \"\"", 1);
    let out = problems("several.yaml", &text);
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("several.yaml:"))
            .count(),
        3,
        "{out}"
    );
    assert!(out.contains("3 problem(s) in 1 of 1 file(s)"), "{out}");
}

#[test]
fn deeply_nested_input_is_refused_quickly() {
    let deep = format!("{}{{fact: x}}{}", "{not: ".repeat(5000), "}".repeat(5000));
    insta::assert_snapshot!(problems(
        "deep.yaml",
        &broken("when: {affected_at_least: 500}", &format!("when: {deep}"))
    ));
}

#[test]
fn enormous_input_is_refused_with_its_size() {
    let env = Env::new();
    let huge = format!("{MINIMAL}\n# {}\n", "x".repeat(2 * 1024 * 1024));
    env.write("huge.yaml", &huge);
    let out = env.breach(["runbook", "validate", "huge.yaml"]).fails(1);
    assert!(
        out.stdout.contains(
            "huge.yaml: the runbook is 2099210 bytes; at most 1048576 bytes are accepted"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn validate_exits_1_when_any_file_is_invalid_and_checks_them_all() {
    let env = Env::new();
    env.write("good.yaml", MINIMAL);
    env.write("bad.yaml", &broken("owner: communications", "owner: press"));
    let out = env
        .breach(["--json", "runbook", "validate", "good.yaml", "bad.yaml"])
        .fails(1);
    let doc = out.json();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["files"][0]["valid"], true);
    assert_eq!(doc["files"][1]["valid"], false);
    assert!(doc["files"][1]["problems"][0]["line"].as_u64().unwrap() > 0);
}

#[test]
fn an_organisation_runbook_with_a_bundled_id_replaces_it_and_the_list_says_so() {
    let env = Env::new();
    let bundled = include_str!("../../runbooks/misdirected-email.yaml");
    let version_line = bundled.lines().find(|l| l.starts_with("version:")).unwrap();
    let own = bundled.replacen(version_line, "version: \"1.0-acme\"", 1);
    env.write("org/misdirected-email.yaml", &own);
    env.write("org/minimal.yaml", MINIMAL);
    let out = env.breach(["--runbooks", "org", "runbook", "list"]).ok();
    assert!(
        out.stdout.contains("replaces the bundled runbook"),
        "{}",
        out.stdout
    );
    let doc = env
        .breach(["--json", "--runbooks", "org", "runbook", "list"])
        .ok()
        .json();
    let rb = doc["runbooks"].as_array().unwrap();
    let mis = rb.iter().find(|r| r["id"] == "misdirected-email").unwrap();
    assert_eq!(mis["version"], "1.0-acme");
    assert_eq!(mis["replaces_bundled"], true);
    assert!(
        mis["source"]
            .as_str()
            .unwrap()
            .ends_with("org/misdirected-email.yaml")
    );
    assert!(rb.iter().any(|r| r["id"] == "minimal"));
    // The environment variable works as the flag does.
    let via_env = env
        .breach(["--json", "runbook", "list"])
        .env("BREACH_RUNBOOKS", env.path().join("org"))
        .ok()
        .json();
    assert_eq!(via_env["runbooks"][0]["version"], "1.0-acme");
}

#[test]
fn an_invalid_organisation_runbook_is_skipped_with_a_warning() {
    let env = Env::new();
    env.write("org/broken.yaml", "id: broken\n");
    let out = env.breach(["--runbooks", "org", "runbook", "list"]).ok();
    assert!(
        out.stderr
            .contains("warning: runbook not used: org/broken.yaml:1:1: missing field `title`"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("misdirected-email"));
}

#[test]
fn show_renders_every_part_of_a_step_in_80_columns() {
    let env = Env::new();
    let out = env.breach(["runbook", "show", "misdirected-email"]).ok();
    for needle in [
        "CONTAIN phase",
        "REMEDIATE phase",
        "owner: IT / mail administrator",
        "due 24 hours after discovery",
        "Evidence to record:",
        "References: 45 CFR 164.404(a)(2)",
        "applies when:",
    ] {
        assert!(out.stdout.contains(needle), "missing {needle:?}");
    }
    let widest = out.stdout.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 80, "a line is {widest} columns wide");
    let json = env
        .breach(["--json", "runbook", "show", "misdirected-email"])
        .ok()
        .json();
    assert_eq!(json["id"], "misdirected-email");
    assert_eq!(json["phases"].as_array().unwrap().len(), 5);
    assert!(json["phases"][0]["steps"][0]["evidence"].is_array());
}

#[test]
fn show_of_an_unknown_runbook_names_the_known_ones() {
    let env = Env::new();
    let out = env.breach(["runbook", "show", "misdirected"]).fails(1);
    assert!(
        out.error_line().contains("available: misdirected-email"),
        "{}",
        out.stderr
    );
}

#[test]
fn every_legal_step_of_the_bundled_runbook_cites_its_paragraph() {
    let env = Env::new();
    let doc = env
        .breach(["--json", "runbook", "show", "misdirected-email"])
        .ok()
        .json();
    for phase in doc["phases"].as_array().unwrap() {
        let name = phase["phase"].as_str().unwrap();
        let steps = phase["steps"].as_array().unwrap();
        assert!(!steps.is_empty(), "{name} has steps");
        if name == "notify" || name == "report" {
            for step in steps {
                let legal = step["id"] != "check-state-law";
                if legal {
                    assert!(
                        step["references"].as_array().is_some_and(|r| !r.is_empty()),
                        "step {} cites nothing",
                        step["id"]
                    );
                }
            }
        }
    }
}

#[test]
fn an_unknown_implied_fact_is_located() {
    let env = Env::new();
    let text = MINIMAL.replacen(
        "scenario: test\n",
        "scenario: test\nimplies:\n  colour: true\n",
        1,
    );
    assert_ne!(text, MINIMAL, "the fixture has the line to insert after");
    env.write("implies.yaml", &text);
    let out = env.breach(["runbook", "validate", "implies.yaml"]).fails(1);
    assert!(
        out.stdout.contains("implies.yaml:7:") && out.stdout.contains("unknown field `colour`"),
        "{}",
        out.stdout
    );
    let ok = MINIMAL.replacen(
        "scenario: test\n",
        "scenario: test\nimplies:\n  business_associate: true\n",
        1,
    );
    env.write("implies-ok.yaml", &ok);
    env.breach(["runbook", "validate", "implies-ok.yaml"]).ok();
}

#[test]
fn bad_bindings_are_located() {
    // A notice step with its own due date and required evidence, a second step recording the
    // assessment with nothing to tell them apart, and a delay step that could never apply first.
    let text = broken(
        "        due: {days: 60}\n        when: {affected_at_least: 500}\n        references: [45 CFR 164.408(b)]",
        "        due: {days: 60}\n        records: {notice: hhs}\n        evidence:\n          - name: transaction_number\n            prompt: The portal's number\n            type: text\n        references: [45 CFR 164.408(b)]",
    )
    .replacen(
        "        owner: compliance_officer\n  - phase: notify",
        "        owner: compliance_officer\n        records: assessment\n      - id: assess-again\n        title: Assess again\n        instructions: Again.\n        owner: privacy_officer\n        records: assessment\n      - id: delay\n        title: Document the delay\n        instructions: Document it.\n        owner: legal_counsel\n        records: delay\n        when: {fact: law_enforcement_delay}\n  - phase: notify",
        1,
    );
    insta::assert_snapshot!(problems("bad-bindings.yaml", &text));
}

#[test]
fn an_unknown_binding_is_located() {
    let text = broken(
        "        when: {any_state_more_than: 500}",
        "        records: {notice: press}",
    );
    insta::assert_snapshot!(problems("unknown-binding.yaml", &text));
}

#[test]
fn runbook_show_and_next_say_what_a_step_records() {
    let env = Env::new();
    let shown = env
        .breach(["runbook", "show", "misdirected-email"])
        .ok()
        .stdout;
    assert!(
        shown.contains("records: the notice to individuals (`breach notify --to individuals`)"),
        "{shown}"
    );
    let json = env
        .breach(["--json", "runbook", "show", "misdirected-email"])
        .ok()
        .json();
    let steps: Vec<&serde_json::Value> = json["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["steps"].as_array().unwrap())
        .collect();
    let records = |id: &str| {
        steps
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["records"].clone())
            .unwrap()
    };
    assert_eq!(records("risk-assessment"), "assessment");
    assert_eq!(records("notify-media")["notice"], "media");
}

#[test]
fn the_bundled_runbooks_cite_the_provisions_their_steps_rest_on() {
    // The step's block of a bundled runbook, from its id to the next step.
    let step = |file: &str, id: &str| -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("runbooks")
            .join(format!("{file}.yaml"));
        let text = std::fs::read_to_string(path).unwrap();
        let start = text.find(&format!("- id: {id}\n")).unwrap();
        let rest = &text[start + 5..];
        let end = rest.find("\n      - id: ").unwrap_or(rest.len());
        rest[..end].to_owned()
    };
    // Fixing the cause is the Security Rule's risk management and incident response.
    let fix = step("business-associate", "fix-the-cause");
    assert!(
        fix.contains("164.308(a)(1)(ii)(B)") && fix.contains("164.308(a)(6)(ii)"),
        "{fix}"
    );
    assert!(!fix.contains("164.314(a)\n"), "{fix}");
    // A business associate keeps its records under the Security Rule, not 164.530(j).
    let retain = step("business-associate", "retain-the-record");
    assert!(
        retain.contains("164.316(b)(2)(i)") && !retain.contains("164.530(j)"),
        "{retain}"
    );
    // The associate's duty to report comes from its agreement.
    let record = step("business-associate", "record-business-associate");
    assert!(
        record.contains("164.504(e)(2)(ii)(C)") && record.contains("164.314(a)(2)(i)(C)"),
        "{record}"
    );
    // A report to the police is a disclosure for law enforcement, not a delay asked for.
    let police = step("compromised-mailbox", "law-enforcement-contact");
    assert!(
        police.contains("164.512(f)") && !police.contains("164.412"),
        "{police}"
    );
    let unsecured = step("compromised-mailbox", "confirm-unsecured");
    assert!(unsecured.contains("74 FR 42740"), "{unsecured}");
}

#[test]
fn validate_reports_every_mistake_in_a_file_in_one_run() {
    let text = MINIMAL
        .replacen("type: number", "type: numeric", 1)
        .replacen(
            "instructions: Try.",
            "instructions: Try.\n        due: {hours: 0}",
            1,
        )
        .replacen("owner: compliance_officer", "ownr: compliance_officer", 1)
        .replacen("due: {days: 60}", "due: {days: sixty}", 1);
    let env = Env::new();
    env.write("four.yaml", &text);
    let out = env
        .breach(["--json", "runbook", "validate", "four.yaml"])
        .fails(1);
    let doc = out.json();
    let problems = doc["files"][0]["problems"].as_array().expect("problems");
    let line_of = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .expect("in the file") as u64
            + 1
    };
    let lines: Vec<u64> = problems
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            line_of("type: numeric"),
            line_of("due: {hours: 0}"),
            line_of("ownr:"),
            line_of("sixty"),
        ],
        "{problems:#?}"
    );
    // The step set aside is not reported again as a dependency nobody can find.
    assert!(
        problems
            .iter()
            .all(|p| !p["message"].as_str().unwrap().contains("`identify`")),
        "{problems:#?}"
    );
    // Fixing them one by one would have taken four runs; each fix leaves one fewer.
    env.write(
        "three.yaml",
        &text.replacen("type: numeric", "type: number", 1),
    );
    let out = env
        .breach(["--json", "runbook", "validate", "three.yaml"])
        .fails(1);
    assert_eq!(
        out.json()["files"][0]["problems"].as_array().unwrap().len(),
        3
    );
}
