//! The guided walk: one step at a time, the way a checklist app leads a responder.
//!
//! The walk talks to a person only through the small [`Responder`] interface, so its logic is
//! tested with scripted answers, and it reads and records only through the small [`Recorder`]
//! interface the commands give it, so a walked step produces exactly the entries the scriptable
//! commands would, and the walk never reaches past the domain into a store or a command. Answers are collected in
//! memory and become an entry only when the person confirms the step: leaving at any prompt
//! (Ctrl-C, end of input) leaves the log as it was before that step.

mod asking;
mod terminal;

use asking::ask_when;
pub(crate) use asking::{ask_assessment, ask_start};

use chrono::{DateTime, Utc};

pub(crate) use terminal::TerminalResponder;

use crate::clock::{self, GivenTime};
use crate::error::Error;
use crate::incident::action::{Bound, NOTICE_METHODS};
use crate::incident::assessment::{AssessmentDraft, FACTORS};
use crate::incident::event::{Determination, ExceptionKind, Rating, SecuredBy};
use crate::incident::facts::Statement;
use crate::incident::{Action, Incident, StepState, StepView, evidence};
use crate::log::Head;
use crate::render;
use crate::rules::Audience;
use crate::runbook::{FieldType, Phase, Records};
use crate::text::{sanitize, sanitize_multiline, wrap};

/// Why a person left a prompt without answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Escape: back out of this action, to the step's menu.
    Cancelled,
    /// Ctrl-C: leave the walk.
    Interrupted,
    /// The input ended (Ctrl-D, a closed terminal): leave the walk.
    EndOfInput,
}

/// How the walk asks a person things. The terminal implementation uses `inquire`; tests script it.
pub(crate) trait Responder {
    /// Shows text (already sanitised and wrapped).
    fn say(&mut self, text: &str);
    /// One of `options`; returns its index.
    fn choose(&mut self, prompt: &str, options: &[String]) -> Result<usize, Stop>;
    /// A line of text; `help` says what form it takes.
    fn ask(&mut self, prompt: &str, help: &str) -> Result<String, Stop>;
    fn confirm(&mut self, prompt: &str, default: bool) -> Result<bool, Stop>;
}

/// Where a command asks a person: a fresh [`Responder`] for each conversation, from the
/// terminal, or from a script a test hands the session. Each conversation gets its own, so
/// that one begun inside another (the identifier check while a walk records a step) needs no
/// second hold on the first.
#[derive(Clone)]
pub(crate) struct Prompts(std::rc::Rc<dyn Fn() -> Box<dyn Responder>>);

impl Prompts {
    /// Prompts on the terminal.
    pub(crate) fn terminal() -> Prompts {
        Prompts(std::rc::Rc::new(|| Box::new(TerminalResponder::new())))
    }

    /// Prompts from `make`, for tests that drive a command in-process.
    #[cfg(test)]
    pub(crate) fn from(make: impl Fn() -> Box<dyn Responder> + 'static) -> Prompts {
        Prompts(std::rc::Rc::new(make))
    }

    /// A responder for one conversation.
    pub(crate) fn open(&self) -> Box<dyn Responder> {
        (self.0)()
    }
}

impl std::fmt::Debug for Prompts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prompts")
    }
}

/// Where the walk reads the incident and records what the person decided.
pub(crate) trait Recorder {
    /// The incident as it stands now (another responder may have worked it meanwhile).
    fn load(&mut self) -> Result<Incident, Error>;
    /// Records one action, as having happened `at` when that was earlier than now (as `--at`
    /// records it); returns the new head and a one-line summary.
    fn record(&mut self, action: Action, at: Option<GivenTime>) -> Result<(Head, String), Error>;
    /// "Now", from the clock the commands were given.
    fn calendar(&self) -> &crate::clock::Calendar;
}

/// How a walk ended, when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WalkEnd {
    /// The person chose to quit.
    Quit,
    /// Nothing is workable now (every applicable step settled, or waiting on others).
    NothingWorkable,
    /// The incident is closed.
    Closed,
    /// The person left at a prompt (Ctrl-C or end of input); nothing of the current step was
    /// recorded.
    Left { step: Option<String>, stop: Stop },
}

const MENU: [&str; 7] = [
    "Done: record the evidence and check it off",
    "Skip (give the reason)",
    "Not applicable (give the reason)",
    "Add a note",
    "Attach a file",
    "Show the runbook's other steps",
    "Quit (resume later with `breach walk`)",
];

/// Walks the incident's workable steps until the person quits or nothing is workable.
pub(crate) fn walk(recorder: &mut dyn Recorder, r: &mut dyn Responder) -> Result<WalkEnd, Error> {
    loop {
        let incident = recorder.load()?;
        if incident.is_closed() {
            r.say(&format!("Incident {} is closed.", incident.id));
            return Ok(WalkEnd::Closed);
        }
        let calendar = recorder.calendar().clone();
        let now = calendar.now();
        let workable = incident.workable();
        let Some(view) = workable.first().cloned() else {
            r.say(render::terminal::next_text(&incident, &calendar, now).trim());
            return Ok(WalkEnd::NothingWorkable);
        };
        let step_id = view.step.id.value.clone();
        r.say(&step_card(
            &incident,
            view.clone(),
            &calendar,
            now,
            render::terminal::width(),
        ));
        let left = |stop| {
            Ok(WalkEnd::Left {
                step: Some(step_id.clone()),
                stop,
            })
        };
        let options: Vec<String> = MENU.iter().map(|s| (*s).to_owned()).collect();
        let choice = match r.choose("What now?", &options) {
            Ok(c) => c,
            Err(Stop::Cancelled) => continue,
            Err(stop) => return left(stop),
        };
        let (action, at) = match choice {
            0 => match gather_done(&incident, view, r, &calendar) {
                Ok(Some(done)) => done,
                Ok(None) | Err(Stop::Cancelled) => {
                    r.say("Not recorded.");
                    continue;
                }
                Err(stop) => return left(stop),
            },
            1 | 2 => {
                let (target, what) = if choice == 1 {
                    (StepState::Skipped, "Why is this step skipped?")
                } else {
                    (StepState::NotApplicable, "Why does this step not apply?")
                };
                let answered = ask_nonempty(
                    r,
                    what,
                    "a sentence for the record; it is kept for six years",
                )
                .and_then(|reason| Ok((reason, ask_when(r, &incident, &calendar)?)));
                match answered {
                    Ok((reason, at)) => (
                        Action::Settle {
                            step: step_id.clone(),
                            target,
                            reason,
                        },
                        at,
                    ),
                    Err(Stop::Cancelled) => continue,
                    Err(stop) => return left(stop),
                }
            }
            3 => match ask_nonempty(r, "Note", "describe; do not type patient identifiers") {
                Ok(text) => (
                    Action::Note {
                        text,
                        step: Some(step_id.clone()),
                    },
                    None,
                ),
                Err(Stop::Cancelled) => continue,
                Err(stop) => return left(stop),
            },
            4 => match ask_nonempty(
                r,
                "File to attach",
                "a path; the file is copied in and hashed, the original is left alone",
            ) {
                Ok(path) => (
                    Action::Attach {
                        file: path.into(),
                        step: Some(step_id.clone()),
                    },
                    None,
                ),
                Err(Stop::Cancelled) => continue,
                Err(stop) => return left(stop),
            },
            5 => {
                r.say(&all_steps(&incident));
                continue;
            }
            _ => return Ok(WalkEnd::Quit),
        };
        match recorder.record(action, at) {
            Ok((head, message)) => r.say(&format!("✓ {message}\n  head {head}")),
            // Refusals (a step done elsewhere meanwhile, a missing file, text declined at the
            // identifier check) are shown, and the walk goes on from the log's current state.
            // Anything else ends it.
            Err(
                e @ (Error::Refused(_)
                | Error::InvalidInput(_)
                | Error::UnknownStep { .. }
                | Error::Interrupted(_)
                | Error::Io { .. }),
            ) => {
                r.say(&format!("✗ Not recorded: {e}"));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Prompts for each evidence field of the step, then for a note and when it was done, then
/// for confirmation. Returns `None` when the person declines to record.
fn gather_done(
    incident: &Incident,
    view: StepView<'_>,
    r: &mut dyn Responder,
    calendar: &crate::clock::Calendar,
) -> Result<Option<(Action, Option<GivenTime>)>, Stop> {
    let step = view.step;
    let records = match step.records.as_ref().map(|b| b.value) {
        Some(binding)
            if matches!(binding, Records::Notice(_)) || !incident.binding_satisfied(step) =>
        {
            r.say(&format!("This step records {}.", binding.label()));
            Some(ask_bound(binding, incident, r, calendar)?)
        }
        _ => None,
    };
    let mut pairs = Vec::new();
    for field in &step.evidence {
        let answer = ask_field(field, r, calendar)?;
        if let Some(value) = answer {
            pairs.push((field.name.value.clone(), value));
        }
    }
    let note = r.ask(
        "Note (optional)",
        "anything the record should say about this step; Enter for none",
    )?;
    let note = Some(note.trim().to_owned()).filter(|n| !n.is_empty());
    let at = ask_when(r, incident, calendar)?;
    let mut summary = format!("Record `{}` as done", step.id.value);
    if let Some(at) = &at {
        summary.push_str(&format!(" at {}", calendar.local_display(at.at)));
    }
    if !pairs.is_empty() {
        summary.push_str(" with:");
        for (name, value) in &pairs {
            summary.push_str(&format!("\n  {name}: {}", sanitize(value)));
        }
    }
    r.say(&summary);
    if r.confirm("Record it?", true)? {
        Ok(Some((
            Action::Done {
                step: step.id.value.clone(),
                note,
                evidence: pairs,
                records,
            },
            at,
        )))
    } else {
        Ok(None)
    }
}

/// Asks for one evidence field: a choice from a list, or text checked as it is typed (asked
/// again until it fits); `None` for an optional field left empty.
fn ask_field(
    field: &crate::runbook::EvidenceField,
    r: &mut dyn Responder,
    calendar: &crate::clock::Calendar,
) -> Result<Option<String>, Stop> {
    let optional = !field.required;
    let prompt = sanitize(&field.prompt.value).into_owned();
    Ok(match field.kind.value {
        FieldType::Choice | FieldType::YesNo => {
            let mut options: Vec<String> = if field.kind.value == FieldType::YesNo {
                vec!["yes".into(), "no".into()]
            } else {
                field
                    .choices
                    .iter()
                    .map(|c| sanitize(c).into_owned())
                    .collect()
            };
            if optional {
                options.push("(leave empty)".into());
            }
            let i = r.choose(&prompt, &options)?;
            if optional && i == options.len() - 1 {
                None
            } else if field.kind.value == FieldType::YesNo {
                Some(options[i].clone())
            } else {
                Some(field.choices[i].clone())
            }
        }
        _ => {
            let mut help = match field.kind.value {
                FieldType::LongText => "text, on one line (separate items with ;)".to_owned(),
                other => other.label().to_owned(),
            };
            if optional {
                help.push_str("; optional: press Enter to leave it empty");
            }
            loop {
                let raw = r.ask(&prompt, &help)?;
                if raw.trim().is_empty() && optional {
                    break None;
                }
                // The reason names the rule, never echoes the value: it may be PHI.
                match evidence::normalise(field, &raw, calendar) {
                    Ok(value) => break Some(value),
                    Err(why) => r.say(&format!(
                        "✗ The answer {why}; expected {}. Try again.",
                        field.kind.value.label()
                    )),
                }
            }
        }
    })
}

/// Asks for the values of the action a bound step records, each checked as it is typed where
/// the form allows; the full check is the command's, when the step is recorded.
fn ask_bound(
    binding: Records,
    incident: &Incident,
    r: &mut dyn Responder,
    calendar: &crate::clock::Calendar,
) -> Result<Bound, Stop> {
    let today = calendar.local_date(calendar.now());
    let ask_date = |r: &mut dyn Responder, prompt: &str| loop {
        let answer = r.ask(prompt, "YYYY-MM-DD")?;
        match clock::parse_date(&answer) {
            Some(d) if d <= today => break Ok(answer.trim().to_owned()),
            Some(_) => r.say(&format!("✗ That date is after today ({today}). Try again.")),
            None => r.say("✗ Expected a date, YYYY-MM-DD. Try again."),
        }
    };
    let ask_count = |r: &mut dyn Responder, prompt: &str, optional: bool| loop {
        let help = if optional {
            "a whole number; Enter when not counted"
        } else {
            "a whole number, or `unknown`"
        };
        let answer = r.ask(prompt, help)?;
        let t = answer.trim();
        if t.is_empty() && optional {
            break Ok(None);
        }
        if t.parse::<u64>().is_ok() || (!optional && t.eq_ignore_ascii_case("unknown")) {
            break Ok(Some(t.to_owned()));
        }
        r.say("✗ Expected a whole number. Try again.");
    };
    Ok(match binding {
        Records::Assessment => {
            let mut draft = AssessmentDraft::default();
            ask_assessment(r, &mut draft)?;
            Bound::Assessment(Box::new(draft))
        }
        Records::Facts => {
            let affected = ask_count(r, "How many individuals are affected?", false)?;
            let unreachable = ask_count(
                r,
                "How many have insufficient or out-of-date contact details?",
                false,
            )?;
            let states = r.ask(
                "Affected residents per state (optional)",
                "XX=N, separated by commas (TX=520, OK=120); Enter for none",
            )?;
            Bound::Counts {
                affected,
                unreachable,
                states: states
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect(),
            }
        }
        Records::Delay => {
            let options = ["oral".to_owned(), "written".to_owned()];
            let written = r.choose("Was the statement oral or written?", &options)? == 1;
            let official = ask_nonempty(r, "The official's name and agency", "one line")?;
            let stated = ask_date(r, "The date of the statement")?;
            let until = if written {
                Some(ask_date(
                    r,
                    "The end of the period the statement specifies",
                )?)
            } else {
                None
            };
            Bound::Delay {
                kind: if written {
                    Statement::Written
                } else {
                    Statement::Oral
                },
                official,
                stated,
                until,
            }
        }
        Records::Notice(to) => {
            for line in notice_guidance(incident, to, today) {
                r.say(&line);
            }
            let date = ask_date(r, "Date the notice was sent")?;
            // Only the methods the rule allows for this audience are offered (the command
            // refuses the others without a reason).
            let form = incident
                .due_dates()
                .iter()
                .find(|o| o.key == crate::rules::Key::SubstituteNotice)
                .and_then(|o| o.form);
            let allowed: Vec<&(&str, &str)> = NOTICE_METHODS
                .iter()
                .filter(|(m, _)| {
                    !matches!(
                        crate::rules::method_use(to, m, form),
                        crate::rules::MethodUse::NotAllowed(_)
                    )
                })
                .collect();
            let options: Vec<String> = allowed
                .iter()
                .map(|(m, what)| format!("{m}: {what}"))
                .collect();
            let method = allowed[r.choose("How was it sent?", &options)?]
                .0
                .to_owned();
            let state = if matches!(
                to,
                Audience::Media | Audience::Regulator | Audience::CreditBureaus
            ) {
                Some(ask_nonempty(
                    r,
                    "The state or jurisdiction notified",
                    "its postal code, e.g. TX",
                )?)
            } else {
                None
            };
            let count = ask_count(r, "How many notices were sent?", true)?
                .and_then(|c| c.parse::<u64>().ok());
            Bound::Notice {
                date,
                method,
                count,
                state,
                again: false,
                despite_hold: None,
                reason: None,
            }
        }
    })
}

/// The state items still owed to `to` (regulators or the consumer reporting agencies), one
/// line each with whom, by when and the statute: what the responder records, state by state.
fn state_items_owed(incident: &Incident, to: Audience, today: chrono::NaiveDate) -> Vec<String> {
    incident
        .clock(today)
        .obligations
        .iter()
        .filter(|o| o.key.audience() == to && o.met_on.is_none())
        .map(|o| {
            let whom = o
                .state_law
                .as_ref()
                .and_then(|l| l.recipient.clone())
                .unwrap_or_else(|| to.label().to_owned());
            format!(
                "{}: to {whom}, due {}. {}",
                o.label(),
                o.due_words(),
                o.basis
            )
        })
        .collect()
}

/// What a person recording a notice to individuals needs beside the form: the roster counted
/// (or how to bring it in), how to write the letters from it, and what went out so far with how
/// to record returned and re-mailed letters. Never a cell of the roster: only its row count.
fn notice_guidance(incident: &Incident, to: Audience, today: chrono::NaiveDate) -> Vec<String> {
    if matches!(to, Audience::Regulator | Audience::CreditBureaus) {
        return state_items_owed(incident, to, today);
    }
    if !matches!(to, Audience::Individuals | Audience::NextOfKin) {
        return Vec::new();
    }
    let mut lines = Vec::new();
    match &incident.facts.roster {
        Some(seal) => lines.push(format!(
            "The roster counted has {} rows. One letter per person, with manifest.csv for the mail house: `breach letter individual --roster FILE --format docx|pdf|html|md -o DIR`.",
            seal.rows
        )),
        None => lines.push(
            "No roster is counted yet: `breach facts --roster FILE.csv` counts the people, per state and unreachable, without keeping any of it; then `breach letter individual --roster FILE -o DIR` writes one letter per person.".to_owned(),
        ),
    }
    let key = if to == Audience::Individuals {
        crate::rules::Key::IndividualNotice
    } else {
        crate::rules::Key::NextOfKinNotice
    };
    if let Some(progress) = incident
        .clock(today)
        .obligations
        .iter()
        .find(|o| o.key == key)
        .and_then(|o| o.progress())
    {
        lines.push(format!("So far: {progress}."));
    }
    if to == Audience::Individuals {
        lines.push(
            "Letters that come back: `breach facts --returned N`; re-sent to a corrected address: `breach notify --to individuals --method first-class-mail --count N --remailed`.".to_owned(),
        );
    }
    lines
}

pub(super) fn ask_nonempty(
    r: &mut dyn Responder,
    prompt: &str,
    help: &str,
) -> Result<String, Stop> {
    loop {
        let answer = r.ask(prompt, help)?;
        if !answer.trim().is_empty() {
            return Ok(answer.trim().to_owned());
        }
        r.say("✗ An answer is needed here (Esc to go back).");
    }
}

/// What a responder sees for one step.
pub(crate) fn step_card(
    incident: &Incident,
    view: StepView<'_>,
    calendar: &crate::clock::Calendar,
    now: DateTime<Utc>,
    width: usize,
) -> String {
    let step = view.step;
    let phase_no = Phase::ALL
        .iter()
        .position(|p| *p == view.phase)
        .map_or(0, |i| i + 1);
    let (settled, total) = incident
        .progress()
        .iter()
        .fold((0, 0), |(s, t), (_, a, b)| (s + a, t + b));
    let mut out = format!(
        "\n{}\n{} · phase {phase_no} of 5 · {settled} of {total} applicable steps settled\n\n",
        "─".repeat(width.min(80)),
        view.phase.name().to_uppercase(),
    );
    out.push_str(&wrap(&sanitize(&step.title.value), width, ""));
    out.push('\n');
    let mut about = format!("{} · owner: {}", step.id.value, step.owner.label());
    if !step.required {
        about.push_str(" · optional");
    }
    out.push_str(&wrap(&about, width, ""));
    out.push('\n');
    if let Some(due) = render::terminal::due_phrase(incident, step, calendar, now) {
        out.push_str(&wrap(&due, width, ""));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&wrap(
        &sanitize_multiline(&step.instructions.value),
        width,
        "  ",
    ));
    out.push('\n');
    if !step.evidence.is_empty() {
        let fields: Vec<String> = step
            .evidence
            .iter()
            .map(|f| {
                format!(
                    "{}{}",
                    f.name.value,
                    if f.required { "" } else { " (optional)" }
                )
            })
            .collect();
        out.push('\n');
        out.push_str(&wrap(
            &format!("Evidence: {}", fields.join(", ")),
            width,
            "",
        ));
        out.push('\n');
    }
    if !step.references.is_empty() {
        out.push_str(&wrap(
            &format!("References: {}", step.references.join("; ")),
            width,
            "",
        ));
        out.push('\n');
    }
    out
}

fn all_steps(incident: &Incident) -> String {
    let mut out = String::from("\nSteps of this runbook:\n");
    let mut phase = None;
    for v in incident.step_views() {
        if phase != Some(v.phase) {
            out.push_str(&format!("  {}\n", v.phase.name().to_uppercase()));
            phase = Some(v.phase);
        }
        let state = if v.active {
            v.state().label()
        } else {
            "does not apply"
        };
        out.push_str(&format!("    {:<15} {}\n", state, v.step.id.value));
    }
    out
}

/// The message for a walk left at a prompt: what was not recorded, and (from the caller's
/// check of the log) whether it verifies.
pub(crate) fn left_message(step: Option<&str>, stop: Stop, check: Result<u64, Error>) -> String {
    let how = match stop {
        Stop::EndOfInput => "Input ended",
        _ => "Interrupted",
    };
    let what = step.map_or_else(String::new, |s| format!(": nothing recorded for `{s}`"));
    let check = check.map_or_else(
        |e| format!("; check the log: {e}"),
        |entries| format!("; the log verifies ({entries} entries)"),
    );
    format!("{how}{what}{check}. Resume with `breach walk`.")
}
