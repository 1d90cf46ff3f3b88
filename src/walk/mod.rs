//! The guided walk: one step at a time, the way a checklist app leads a responder.
//!
//! The walk talks to a person only through the small [`Responder`] interface, so its logic is
//! tested with scripted answers, and it reads and records only through the small [`Recorder`]
//! interface the commands give it, so a walked step produces exactly the entries the scriptable
//! commands would, and the walk never reaches past the domain into a store or a command. Answers are collected in
//! memory and become an entry only when the person confirms the step: leaving at any prompt
//! (Ctrl-C, end of input) leaves the log as it was before that step.

mod asking;
mod card;
mod gather;
mod terminal;

use asking::ask_when;
pub(crate) use card::step_card;
use card::all_steps;
use gather::gather_done;
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
