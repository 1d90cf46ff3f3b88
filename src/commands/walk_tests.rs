//! The walk's logic with scripted answers, against a real temporary store, recording through
//! the same path as the scriptable commands.

use std::collections::VecDeque;

use super::steps::walk_with as walk;
use super::{Session, record_action};
use crate::incident::{Action, StepState};
use crate::store::Access;
use crate::walk::{Responder, Stop, WalkEnd, ask_assessment, ask_start, left_message};

type Settings = Session;

/// A session in `store` as `walker`, with the fixed test clock.
fn session(store: std::path::PathBuf, runbooks: Option<std::path::PathBuf>, json: bool) -> Session {
    Session {
        store: crate::store::StoreAddress::Directory(store),
        store_is_default: false,
        actor: "walker".to_owned(),
        json,
        incident: None,
        runbooks,
        interactive: false,
        allow_identifiers: false,
        calendar: crate::clock::Calendar::machine(crate::clock::Clock::Fixed(test_now())),
        now: test_now(),
        happened: None,
        profile: Default::default(),
        sink: super::Sink::Outcome,
        prompts: crate::walk::Prompts::terminal(),
        opened: Default::default(),
        resolved: Default::default(),
        signer: std::rc::Rc::new(crate::signing::Signer::new(None, false)),
    }
}

/// The fixed instant of these tests: unit tests never read the wall clock.
fn test_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-03-10T15:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// Opens an incident with every argument given (never prompts).
fn run_start(s: &Session, runbook: &str, discovered: &str, title: &str) {
    super::lifecycle::start(
        s,
        Some(runbook.to_owned()),
        Some(discovered.to_owned()),
        Some(title.to_owned()),
    )
    .unwrap();
}

#[derive(Debug)]
enum Answer {
    Pick(usize),
    /// The last option: quit, in the list of steps and in a step's menu.
    Last,
    /// The option that starts with this text.
    Named(&'static str),
    Text(&'static str),
    Yes(bool),
    Leave(Stop),
}

/// A responder that plays back answers and keeps everything it was shown.
#[derive(Debug, Default)]
struct Scripted {
    answers: VecDeque<Answer>,
    said: Vec<String>,
    prompts: Vec<String>,
}

impl Scripted {
    fn new(answers: Vec<Answer>) -> Scripted {
        Scripted {
            answers: answers.into(),
            ..Scripted::default()
        }
    }

    fn next(&mut self, prompt: &str) -> Answer {
        self.prompts.push(prompt.to_owned());
        self.answers.pop_front().unwrap_or_else(|| {
            panic!(
                "no scripted answer left for {prompt:?}; shown: {:#?}",
                self.said
            )
        })
    }
}

impl Responder for Scripted {
    fn say(&mut self, text: &str) {
        self.said.push(text.to_owned());
    }

    fn choose(&mut self, prompt: &str, options: &[String]) -> Result<usize, Stop> {
        match self.next(prompt) {
            Answer::Pick(i) => {
                assert!(i < options.len(), "{prompt}: option {i} of {options:?}");
                Ok(i)
            }
            Answer::Last => Ok(options.len() - 1),
            Answer::Named(start) => Ok(options
                .iter()
                .position(|o| o.starts_with(start))
                .unwrap_or_else(|| panic!("{prompt}: no option {start:?} in {options:?}"))),
            Answer::Leave(stop) => Err(stop),
            other => panic!("{prompt}: expected a choice, script has {other:?}"),
        }
    }

    fn ask(&mut self, prompt: &str, _help: &str) -> Result<String, Stop> {
        match self.next(prompt) {
            Answer::Text(t) => Ok(t.to_owned()),
            Answer::Leave(stop) => Err(stop),
            other => panic!("{prompt}: expected text, script has {other:?}"),
        }
    }

    fn confirm(&mut self, prompt: &str, _default: bool) -> Result<bool, Stop> {
        match self.next(prompt) {
            Answer::Yes(b) => Ok(b),
            Answer::Leave(stop) => Err(stop),
            other => panic!("{prompt}: expected yes/no, script has {other:?}"),
        }
    }
}

const DONE: usize = 0;
const SKIP: usize = 1;
const NOTE: usize = 3;
/// The list of steps: the next workable one.
const NEXT: usize = 0;
/// "Record it" once the answers are shown.
const RECORD: usize = 0;
const BACK: usize = 5;

/// A store with an incident on the minimal fixture runbook.
fn incident() -> (tempfile::TempDir, Settings) {
    let dir = tempfile::tempdir().unwrap();
    let runbooks = dir.path().join("runbooks");
    std::fs::create_dir_all(&runbooks).unwrap();
    std::fs::write(
        runbooks.join("minimal.yaml"),
        include_str!("../../tests/fixtures/minimal.yaml"),
    )
    .unwrap();
    let settings = session(dir.path().join("store"), Some(runbooks), true);
    run_start(&settings, "minimal", "2026-03-01 09:30", "Walk test");
    (dir, settings)
}

/// The kinds and payloads of every entry after the first.
fn entries(settings: &Settings) -> Vec<(String, serde_json::Value)> {
    let store = crate::store::Store::open(&settings.store).unwrap();
    let id = store.resolve(None).unwrap();
    let mut log = store.open_log(&id, Access::Read).unwrap();
    let mut out = Vec::new();
    log.read_verified(|e| {
        out.push((
            e.kind.to_string(),
            serde_json::from_str(e.data.get()).unwrap(),
        ))
    })
    .unwrap();
    out.remove(0);
    out
}

#[test]
fn done_records_the_evidence_and_re_asks_a_bad_answer() {
    let (_dir, settings) = incident();
    let mut r = Scripted::new(vec![
        Answer::Pick(NEXT),
        Answer::Pick(DONE),
        Answer::Text("<msg-1@mail.example.org>"),
        Answer::Text("three"),
        Answer::Text("3"),
        Answer::Pick(0),
        Answer::Text("not-an-address"),
        Answer::Text(""),
        Answer::Text("found in the trace"),
        Answer::Text("2026-02-01"),
        Answer::Text("2026-03-05 10:00"),
        Answer::Pick(RECORD),
        Answer::Last,
    ]);
    assert_eq!(walk(&settings, &mut r).unwrap(), WalkEnd::Quit);
    let said = r.said.join("\n");
    assert!(said.contains("is not a number"), "{said}");
    assert!(said.contains("is not an email address"), "{said}");
    assert!(
        !said.contains("✗ The answer three"),
        "a rejected value is not echoed"
    );
    let log = entries(&settings);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].0, "step_done");
    let data = &log[0].1;
    assert_eq!(data["step"], "identify");
    assert_eq!(data["evidence"]["message_id"], "<msg-1@mail.example.org>");
    assert_eq!(data["evidence"]["recipients"], "3");
    assert_eq!(data["evidence"]["kind"], "external");
    assert!(
        data["evidence"].get("sender").is_none(),
        "an optional field left empty is not recorded"
    );
    assert_eq!(data["note"], "found in the trace");
    // When it was done: before discovery is refused and asked again; the answer is recorded
    // as `--at` records it.
    assert!(said.contains("before the breach was discovered"), "{said}");
    assert!(said.contains("when: 2026-03-05 10:00"), "{said}");
    let ats = happened_ats(&settings);
    assert!(
        ats[0]
            .as_deref()
            .is_some_and(|at| at.starts_with("2026-03-05T10:00:00")),
        "{ats:?}"
    );
}

/// When each entry after the first says it happened (`--at`), if it says.
fn happened_ats(settings: &Settings) -> Vec<Option<String>> {
    let store = crate::store::Store::open(&settings.store).unwrap();
    let id = store.resolve(None).unwrap();
    let mut log = store.open_log(&id, Access::Read).unwrap();
    let mut out = Vec::new();
    log.read_verified(|e| out.push(e.at.as_deref().map(str::to_owned)))
        .unwrap();
    out.remove(0);
    out
}

#[test]
fn the_walk_records_what_the_scriptable_command_would() {
    let (_dir, settings) = incident();
    let mut r = Scripted::new(vec![
        Answer::Pick(NEXT),
        Answer::Pick(DONE),
        Answer::Text("m"),
        Answer::Text("1"),
        Answer::Pick(1),
        Answer::Text(""),
        Answer::Text(""),
        Answer::Text(""),
        Answer::Pick(RECORD),
        Answer::Last,
    ]);
    walk(&settings, &mut r).unwrap();
    let (walked_dir, scripted) = incident();
    record_action(
        &scripted,
        Action::Done {
            step: "identify".into(),
            note: None,
            evidence: vec![
                ("message_id".into(), "m".into()),
                ("recipients".into(), "1".into()),
                ("kind".into(), "internal".into()),
            ],
            records: None,
        },
    )
    .unwrap();
    assert_eq!(entries(&settings), entries(&scripted));
    drop(walked_dir);
}

#[test]
fn skip_asks_for_a_reason_until_one_is_given() {
    let (_dir, settings) = incident();
    let mut r = Scripted::new(vec![
        Answer::Pick(NEXT),
        Answer::Pick(SKIP),
        Answer::Text("   "),
        Answer::Text("Handled by the sender's manager"),
        Answer::Text("now"),
        Answer::Last,
    ]);
    walk(&settings, &mut r).unwrap();
    assert!(r.said.iter().any(|s| s.contains("An answer is needed")));
    let log = entries(&settings);
    assert_eq!(log[0].0, "step_skipped");
    assert_eq!(log[0].1["reason"], "Handled by the sender's manager");
}

#[test]
fn leaving_in_the_middle_of_a_step_records_nothing() {
    let (_dir, settings) = incident();
    for stop in [Stop::Interrupted, Stop::EndOfInput] {
        let mut r = Scripted::new(vec![
            Answer::Pick(NEXT),
            Answer::Pick(DONE),
            Answer::Text("m"),
            Answer::Leave(stop),
        ]);
        let end = walk(&settings, &mut r).unwrap();
        assert_eq!(
            end,
            WalkEnd::Left {
                step: Some("identify".into()),
                stop
            }
        );
        assert!(
            entries(&settings).is_empty(),
            "nothing of the step was written"
        );
        let message = left_message(
            Some("identify"),
            stop,
            super::steps::SessionRecorder::new(&settings).and_then(|r| r.check()),
        );
        assert!(
            message.contains("nothing recorded for `identify`")
                && message.contains("the log verifies (1 entries)"),
            "{message}"
        );
    }
}

#[test]
fn an_answer_is_corrected_before_recording_and_cancel_records_nothing() {
    let (_dir, settings) = incident();
    let mut r = Scripted::new(vec![
        Answer::Pick(NEXT),
        // Cancel records nothing, and the step's menu comes back.
        Answer::Pick(DONE),
        Answer::Text("n"),
        Answer::Text("2"),
        Answer::Pick(0),
        Answer::Text(""),
        Answer::Text(""),
        Answer::Text(""),
        Answer::Named("Cancel"),
        Answer::Pick(DONE),
        Answer::Text("m"),
        Answer::Text("1"),
        Answer::Pick(0),
        Answer::Text(""),
        Answer::Text(""),
        Answer::Text(""),
        // Change an answer: the count of recipients, from 1 to 4; the others are kept.
        Answer::Pick(1),
        Answer::Pick(1),
        Answer::Text("4"),
        // Change the note, then think better of it (Escape keeps the answer).
        Answer::Pick(1),
        Answer::Pick(4),
        Answer::Leave(Stop::Cancelled),
        Answer::Pick(RECORD),
        Answer::Last,
    ]);
    assert_eq!(walk(&settings, &mut r).unwrap(), WalkEnd::Quit);
    let log = entries(&settings);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].1["evidence"]["message_id"], "m");
    assert_eq!(log[0].1["evidence"]["recipients"], "4");
    assert!(
        r.said.iter().any(|s| s.contains("recipients: 1"))
            && r.said.iter().any(|s| s.contains("recipients: 4")),
        "every answer is shown before and after the change: {:#?}",
        r.said
    );
    assert!(r.said.iter().any(|s| s == "Not recorded."));
    // Escape from a note records nothing; back goes to the list.
    let mut r = Scripted::new(vec![
        Answer::Pick(NEXT),
        Answer::Pick(NOTE),
        Answer::Leave(Stop::Cancelled),
        Answer::Pick(BACK),
        Answer::Last,
    ]);
    assert_eq!(walk(&settings, &mut r).unwrap(), WalkEnd::Quit);
    assert_eq!(entries(&settings).len(), 1);
    assert!(r.said.iter().any(|s| s == "Not recorded."));
}

#[test]
fn resuming_offers_the_next_workable_step_and_not_one_done_elsewhere() {
    let (_dir, settings) = incident();
    record_action(
        &settings,
        Action::Settle {
            step: "identify".into(),
            target: StepState::NotApplicable,
            reason: "done by another responder".into(),
        },
    )
    .unwrap();
    let mut r = Scripted::new(vec![
        Answer::Pick(NEXT),
        Answer::Pick(NOTE),
        Answer::Text("checked the trace"),
        Answer::Pick(BACK),
        // The list: the workable steps, then undo, every step, quit.
        Answer::Named("Show every step"),
        Answer::Last,
    ]);
    walk(&settings, &mut r).unwrap();
    let first_card = r
        .said
        .iter()
        .find(|s| s.contains("phase 1 of 5") || s.contains("phase 2 of 5"))
        .unwrap();
    assert!(
        first_card.contains("recall · owner"),
        "the walk resumes at `recall`:\n{first_card}"
    );
    let log = entries(&settings);
    assert_eq!(log[1].0, "note");
    assert_eq!(log[1].1["step"], "recall");
    assert!(
        r.said
            .iter()
            .any(|s| s.contains("not applicable  identify")),
        "{:#?}",
        r.said
    );
}

#[test]
fn the_walk_ends_when_nothing_is_workable() {
    let (_dir, settings) = incident();
    record_action(
        &settings,
        Action::Settle {
            step: "identify".into(),
            target: StepState::NotApplicable,
            reason: "r".into(),
        },
    )
    .unwrap();
    for step in [
        "recall",
        "report-internally",
        "notify-hhs-now",
        "notify-media",
        "retrain",
    ] {
        record_action(
            &settings,
            Action::Settle {
                step: step.into(),
                target: StepState::Skipped,
                reason: "r".into(),
            },
        )
        .unwrap();
    }
    let mut r = Scripted::new(vec![]);
    assert_eq!(walk(&settings, &mut r).unwrap(), WalkEnd::NothingWorkable);
    assert!(r.said.iter().any(|s| s.contains("breach close")));
}

#[test]
fn start_asks_for_what_was_not_given_and_re_asks_a_future_date() {
    let catalog = crate::runbook::Catalog::load(&[]).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-10T15:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut r = Scripted::new(vec![
        Answer::Pick(0),
        Answer::Text("2027-01-01"),
        Answer::Text("2026-03-09"),
        Answer::Text("Lab results to wrong address"),
    ]);
    let calendar = crate::clock::Calendar::machine(crate::clock::Clock::Fixed(now));
    let (runbook, discovered, title) =
        ask_start(&mut r, &catalog, None, None, None, &calendar, now).unwrap();
    assert_eq!(runbook, catalog.entries[0].runbook.id.value);
    assert_eq!(discovered, "2026-03-09");
    assert_eq!(title, "Lab results to wrong address");
    assert!(r.said.iter().any(|s| s.contains("in the future")));
    let mut none = Scripted::new(vec![]);
    let given = ask_start(
        &mut none,
        &catalog,
        Some("x".into()),
        Some("now".into()),
        Some("t".into()),
        &calendar,
        now,
    )
    .unwrap();
    assert_eq!(given, ("x".into(), "now".into(), "t".into()));
    assert!(
        none.prompts.is_empty(),
        "given everything, nothing is asked"
    );
}

#[test]
fn assess_asks_the_gate_then_the_four_factors_then_the_sign_off() {
    use crate::incident::assessment::AssessmentDraft;
    use crate::incident::event::{Determination, ExceptionKind, Rating};
    let mut draft = AssessmentDraft {
        role: Some("Privacy Officer".into()),
        ..AssessmentDraft::default()
    };
    let mut r = Scripted::new(vec![
        Answer::Pick(0),
        Answer::Pick(0),
        Answer::Pick(0),
        Answer::Text("names and dates only"),
        Answer::Pick(0),
        Answer::Text("another covered entity"),
        Answer::Pick(1),
        Answer::Text("opened, per the recipient"),
        Answer::Pick(0),
        Answer::Text("deleted and attested"),
        Answer::Pick(1),
        Answer::Text("Dana Whit"),
    ]);
    ask_assessment(&mut r, &mut draft).unwrap();
    assert_eq!(draft.secured, Some(false));
    assert_eq!(draft.exception, Some(ExceptionKind::None));
    assert_eq!(draft.factors[2].rating, Some(Rating::Medium));
    assert_eq!(
        draft.factors[3].why.as_deref(),
        Some("deleted and attested")
    );
    assert_eq!(draft.determination, Some(Determination::LowProbability));
    assert_eq!(draft.signed_by.as_deref(), Some("Dana Whit"));
    assert!(r.answers.is_empty(), "a given role is not asked again");

    let mut secured = AssessmentDraft {
        secured: None,
        secured_by: None,
        secured_basis: None,
        determination: None,
        ..draft
    };
    let mut r = Scripted::new(vec![
        Answer::Pick(1),
        Answer::Pick(0),
        Answer::Text("S/MIME, key never sent"),
        Answer::Pick(0),
    ]);
    ask_assessment(&mut r, &mut secured).unwrap();
    assert_eq!(
        secured.determination,
        Some(Determination::Secured),
        "secured PHI needs no factors"
    );
    assert_eq!(
        secured.secured_by,
        Some(crate::incident::event::SecuredBy::Encrypted)
    );
}

/// Answers every prompt of a walk the way a diligent responder would: "Done" at every menu,
/// the first choice, and a well-formed value of the type the prompt asks for.
#[derive(Debug, Default)]
struct Diligent {
    steps_done: usize,
    /// The last step card shown: a diligent responder invents no law-enforcement delay.
    card: String,
    /// Everything the walk said, in order.
    heard: Vec<String>,
}

impl Responder for Diligent {
    fn say(&mut self, text: &str) {
        self.card = text.to_owned();
        self.heard.push(text.to_owned());
    }

    fn choose(&mut self, prompt: &str, _options: &[String]) -> Result<usize, Stop> {
        if prompt == "What now?" {
            if self.card.contains("law-enforcement request to delay") {
                return Ok(SKIP);
            }
            self.steps_done += 1;
            assert!(self.steps_done < 200, "the walk does not end");
        }
        Ok(0)
    }

    fn ask(&mut self, prompt: &str, help: &str) -> Result<String, Stop> {
        let value = if prompt.starts_with("Note")
            || prompt.starts_with("When was it done")
            || help.contains("Enter when not counted")
        {
            ""
        } else if prompt.starts_with("How many individuals are affected") {
            "900"
        } else if prompt.starts_with("How many have insufficient") {
            "12"
        } else if help.starts_with("XX=N") {
            "TX=600, OK=300"
        } else if help.starts_with("its postal code") {
            "TX"
        } else if help.starts_with("YYYY-MM-DD") {
            "2026-03-03"
        } else if help.starts_with("number") || help.starts_with("count") {
            "12"
        } else if help.starts_with("date-time") {
            "2026-03-02 10:00"
        } else if help.starts_with("date") {
            "2026-03-02"
        } else if help.starts_with("email") {
            "someone@example.org"
        } else {
            "Recorded by the scenario test"
        };
        Ok(value.to_owned())
    }

    fn confirm(&mut self, _prompt: &str, _default: bool) -> Result<bool, Stop> {
        Ok(true)
    }
}

fn run(settings: &Settings, args: &[&str]) -> super::Outcome {
    let store = settings.store.to_string();
    let mut full = vec!["breach", "--store", &store, "--actor", "walker"];
    full.extend_from_slice(args);
    super::run_on(
        <crate::cli::Cli as clap::Parser>::parse_from(full),
        crate::clock::Clock::Fixed(test_now()),
    )
    .unwrap()
}

#[test]
fn every_bundled_scenario_walks_to_closure_and_exports() {
    for (file, _) in crate::runbook::BUNDLED {
        let id = file.trim_end_matches(".yaml");
        let dir = tempfile::tempdir().unwrap();
        let settings = session(dir.path().join("store"), None, false);
        run_start(&settings, id, "2026-03-01 09:30", "Scenario test");
        // A large breach, so every conditional notice step appears.
        let mut facts = vec![
            "facts",
            "--affected",
            "900",
            "--state",
            "TX=600",
            "--state",
            "OK=300",
            "--unreachable",
            "12",
        ];
        if id == "business-associate" {
            facts.extend(["--business-associate", "yes"]);
        }
        run(&settings, &facts);
        let mut r = Diligent::default();
        assert_eq!(
            walk(&settings, &mut r).unwrap(),
            WalkEnd::NothingWorkable,
            "{id}"
        );
        assert!(
            r.steps_done >= 10,
            "{id}: only {} steps walked",
            r.steps_done
        );
        // The walk recorded every notice the clock asks for through the steps bound to them, so
        // nothing is owed when the incident closes.
        let deadlines: serde_json::Value =
            serde_json::from_str(&run(&settings, &["--json", "deadlines"]).stdout).unwrap();
        for o in deadlines["obligations"].as_array().unwrap() {
            assert_eq!(o["status"], "met", "{id}: {o}");
        }
        let closed = run(&settings, &["close"]);
        assert!(
            closed.stdout.starts_with("Closed incident"),
            "{id}: {}",
            closed.stdout
        );
        let export = run(&settings, &["export", "--format", "json"]).stdout;
        let doc: serde_json::Value = serde_json::from_str(&export).unwrap();
        assert_eq!(doc["incident"]["state"], "closed", "{id}");
        assert_eq!(doc["verification"]["ok"], true, "{id}");
        let open: Vec<&serde_json::Value> = doc["phases"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["steps"].as_array().unwrap())
            .filter(|s| s["state"] == "open" && s["required"] == true)
            .collect();
        assert!(open.is_empty(), "{id}: required steps left open: {open:?}");
    }
}

#[test]
fn the_session_asks_through_the_prompts_it_carries() {
    let (_dir, mut settings) = incident();
    run_start(&settings, "minimal", "2026-03-02 09:30", "The second one");
    settings.interactive = true;
    let asked = std::rc::Rc::new(std::cell::Cell::new(0));
    let seen = asked.clone();
    settings.prompts = crate::walk::Prompts::from(move || {
        seen.set(seen.get() + 1);
        Box::new(Scripted::new(vec![Answer::Pick(1)]))
    });
    let store = settings.open_store().unwrap();
    let ids = store.ids().unwrap();
    assert_eq!(ids.len(), 2);
    // Two open incidents and no -i: the session's prompts ask which, and the second is taken.
    let chosen = settings.resolve(&store).unwrap();
    assert_eq!(asked.get(), 1, "one conversation");
    assert_eq!(chosen, ids[1]);
    // Resolved once: asking again does not prompt again.
    assert_eq!(settings.resolve(&store).unwrap(), ids[1]);
    assert_eq!(asked.get(), 1);
}

/// Everything a diligent walk of the compromised-mailbox runbook says, after `prepare` records
/// facts in the store under `dir`.
fn heard_in_a_walk(title: &str, prepare: impl FnOnce(&Settings, &std::path::Path)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let settings = session(dir.path().join("store"), None, false);
    run_start(&settings, "compromised-mailbox", "2026-03-01 09:30", title);
    prepare(&settings, dir.path());
    let mut r = Diligent::default();
    walk(&settings, &mut r).unwrap();
    r.heard.join("\n")
}

#[test]
fn the_notice_step_for_individuals_offers_the_roster_the_letters_and_returned_mail() {
    let heard = heard_in_a_walk("Roster walk", |settings, dir| {
        // Three invented people.
        let roster = dir.join("affected.csv");
        std::fs::write(
            &roster,
            "name,address,city,state,zip\nAvery Quill,1 Birch Lane,Austin,TX,73301\nBlake Ormond,2 Birch Lane,Austin,TX,73301\nCasey Lind,,Austin,TX,73301\n",
        )
        .unwrap();
        run(settings, &["facts", "--roster", roster.to_str().unwrap()]);
    });
    assert!(heard.contains("The roster counted has 3 rows"), "{heard}");
    assert!(
        heard.contains("breach letter individual --roster FILE"),
        "{heard}"
    );
    assert!(heard.contains("facts --returned N"), "{heard}");
    assert!(heard.contains("--remailed"), "{heard}");
    assert!(
        !heard.contains("Avery") && !heard.contains("Birch"),
        "no cell of the roster"
    );
    // Without a roster, the step says how to bring one in.
    let heard = heard_in_a_walk("Counts walk", |settings, _| {
        run(
            settings,
            &["facts", "--affected", "20", "--unreachable", "0"],
        );
    });
    assert!(
        heard.contains("No roster is counted yet: `breach facts --roster FILE.csv`"),
        "{heard}"
    );
}

#[test]
fn undo_voids_the_last_thing_this_person_recorded_after_a_reason_and_a_yes() {
    let (_dir, settings) = incident();
    let mut r = Scripted::new(vec![
        Answer::Pick(NEXT),
        Answer::Pick(NOTE),
        Answer::Text("called the wrong patient back"),
        Answer::Pick(BACK),
        // Undo, then decline at the confirmation: nothing recorded.
        Answer::Named("Undo"),
        Answer::Text("noted on the wrong incident"),
        Answer::Yes(false),
        Answer::Named("Undo"),
        Answer::Text("noted on the wrong incident"),
        Answer::Yes(true),
        // The void is now the last thing recorded: Escape keeps it.
        Answer::Named("Undo"),
        Answer::Leave(Stop::Cancelled),
        Answer::Last,
    ]);
    assert_eq!(walk(&settings, &mut r).unwrap(), WalkEnd::Quit);
    let log = entries(&settings);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0].0, "note");
    assert_eq!(log[1].0, "entry_voided");
    assert_eq!(log[1].1["entry"], 1);
    assert_eq!(log[1].1["reason"], "noted on the wrong incident");
    let said = r.said.join("\n");
    assert!(
        said.contains("The last thing you recorded is entry 1: Note on identify: called the wrong patient back"),
        "{said}"
    );
    // The void itself is the last thing recorded: undoing again would restore the note.
    assert!(
        said.contains("The last thing you recorded is entry 2"),
        "{said}"
    );
}

#[test]
fn walk_step_starts_at_that_step_and_refuses_one_that_cannot_be_worked() {
    let (_dir, settings) = incident();
    let mut r = Scripted::new(vec![Answer::Last]);
    assert_eq!(
        super::steps::walk_from(&settings, &mut r, Some("retrain")).unwrap(),
        WalkEnd::Quit
    );
    assert!(
        r.said.iter().any(|s| s.contains("retrain · owner")),
        "{:#?}",
        r.said
    );
    record_action(
        &settings,
        Action::Settle {
            step: "retrain".into(),
            target: StepState::Skipped,
            reason: "r".into(),
        },
    )
    .unwrap();
    let mut r = Scripted::new(vec![]);
    let refused = super::steps::walk_from(&settings, &mut r, Some("retrain")).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("step `retrain` cannot be worked now: it is skipped"),
        "{refused}"
    );
    let unknown = super::steps::walk_from(&settings, &mut r, Some("no-such-step")).unwrap_err();
    assert!(unknown.to_string().contains("no-such-step"), "{unknown}");
}

#[test]
fn a_held_notice_says_so_before_asking_and_records_despite_the_hold_only_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let settings = session(dir.path().join("store"), None, false);
    run_start(
        &settings,
        "compromised-mailbox",
        "2026-03-01 09:30",
        "Held walk",
    );
    for step in [
        "lock-account",
        "preserve-audit-logs",
        "determine-what-was-accessed",
        "confirm-unsecured",
        "risk-assessment",
    ] {
        record_action(
            &settings,
            Action::Settle {
                step: step.into(),
                target: StepState::Skipped,
                reason: "settled for this test".into(),
            },
        )
        .unwrap();
    }
    run(
        &settings,
        &["facts", "--affected", "600", "--state", "TX=600"],
    );
    run(
        &settings,
        &[
            "facts",
            "--delay",
            "written",
            "--delay-official",
            "Special Agent R. Doe, FBI",
            "--delay-stated",
            "2026-03-05",
            "--delay-until",
            "2026-05-15",
        ],
    );
    let mut r = Scripted::new(vec![
        // Stop: nothing asked, nothing recorded.
        Answer::Pick(DONE),
        Answer::Pick(0),
        // Despite the hold, with the reason.
        Answer::Pick(DONE),
        Answer::Pick(1),
        Answer::Text("counsel decided the portal report may go in"),
        Answer::Text("2026-03-09"),
        Answer::Pick(0),
        Answer::Text(""),
        Answer::Text(""),
        Answer::Text(""),
        Answer::Text(""),
        Answer::Pick(RECORD),
        Answer::Last,
    ]);
    let end = super::steps::walk_from(&settings, &mut r, Some("report-hhs-within-60-days"));
    assert_eq!(end.unwrap(), WalkEnd::Quit, "{:#?}", r.prompts);
    let said = r.said.join("\n");
    assert!(
        said.contains(
            "Law-enforcement hold: notices to HHS are held from 2026-03-05 to 2026-05-15"
        ),
        "the card says it: {said}"
    );
    assert!(
        said.contains("Special Agent R. Doe, FBI"),
        "who asked: {said}"
    );
    // Every answer is shown before it is recorded, the notice's own among them.
    for shown in [
        "sent on: 2026-03-09",
        "method: portal",
        "despite the hold: counsel decided the portal report may go in",
    ] {
        assert!(said.contains(shown), "{shown}: {said}");
    }
    let first_done = r.prompts.iter().position(|p| p == "What now?").unwrap();
    assert_eq!(
        r.prompts[first_done + 1],
        "The notice is held. What now?",
        "the hold comes before any question"
    );
    let log = entries(&settings);
    let notice = &log.last().unwrap().1;
    assert_eq!(log.last().unwrap().0, "notice_sent", "{log:?}");
    assert_eq!(
        notice["despite_hold"],
        "counsel decided the portal report may go in"
    );
}

#[test]
fn the_list_puts_the_acting_persons_assigned_steps_first_and_names_who_has_each() {
    let (_dir, settings) = incident();
    let next: serde_json::Value =
        serde_json::from_str(&run(&settings, &["--json", "next"]).stdout).unwrap();
    let workable: Vec<String> = next["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(workable.len() >= 2, "{workable:?}");
    let (first, last) = (&workable[0], &workable[workable.len() - 1]);
    run(&settings, &["assign", first, "--to", "someone.else"]);
    run(&settings, &["assign", last, "--to", "walker"]);
    // The next step offered is the walker's own, and its card says whose it is.
    let mut r = Scripted::new(vec![Answer::Pick(NEXT), Answer::Last]);
    assert_eq!(walk(&settings, &mut r).unwrap(), WalkEnd::Quit);
    let said = r.said.join("\n");
    assert!(
        said.contains(&format!("{last} · owner:")) && said.contains("assigned to walker"),
        "{said}"
    );
}

#[test]
fn a_message_given_to_attach_is_kept_by_its_headers_never_copied() {
    let (dir, settings) = incident();
    let eml = dir.path().join("Wrong recipient.EML");
    std::fs::write(
        &eml,
        "Message-ID: <walk@mail.example.org>\r\nDate: Sun, 1 Mar 2026 08:55:00 -0600\r\nFrom: clinic@example.org\r\nTo: someone@example.net\r\nSubject: Results for Avery Quill\r\n\r\nBody with the results.\r\n",
    )
    .unwrap();
    let path = eml.to_str().unwrap().to_owned();
    let mut r = Scripted::new(vec![
        Answer::Pick(NEXT),
        Answer::Named("Attach a file"),
        Answer::Text(Box::leak(path.into_boxed_str())),
        Answer::Pick(BACK),
        Answer::Last,
    ]);
    walk(&settings, &mut r).unwrap();
    let recorded = entries(&settings);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let (kind, data) = &recorded[0];
    assert_eq!(kind, "message_recorded");
    assert_eq!(data["message_id"], "<walk@mail.example.org>");
    assert_eq!(data["step"], "identify");
    let store = crate::store::Store::open(&settings.store).unwrap();
    let copied = store.attachments(&store.resolve(None).unwrap()).unwrap();
    assert!(copied.is_empty(), "nothing was copied: {copied:?}");
}
