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
mod list;
mod step;
mod terminal;

use asking::ask_when;
pub(crate) use asking::{ask_assessment, ask_start};
use card::all_steps;
pub(crate) use card::step_card;
use gather::gather_done;

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
    /// Text that may run to several lines (a note, a reason): in a terminal, the person's
    /// `$VISUAL`/`$EDITOR` when one is set, else lines typed until an empty one.
    fn ask_long(&mut self, prompt: &str, help: &str) -> Result<String, Stop> {
        self.ask(prompt, help)
    }
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
    /// Who is recording (`--actor`): their assigned steps come first in the list.
    fn actor(&self) -> &str;
    /// The last entry the acting person recorded that a void could withdraw (not already
    /// withdrawn), if any.
    fn last_own_entry(&mut self) -> Result<Option<OwnEntry>, Error>;
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

/// One entry the acting person recorded, which a void could withdraw: what "undo the last
/// thing I recorded" offers.
#[derive(Debug, Clone)]
pub(crate) struct OwnEntry {
    pub seq: u64,
    /// What the timeline says of it.
    pub summary: String,
}

/// Walks the incident until the person quits or nothing is workable: a list of the workable
/// steps to choose from (the next one first), then the chosen step's card and menu, and back
/// to the list. `start` opens on that step instead of the list (`breach walk STEP`).
pub(crate) fn walk(
    recorder: &mut dyn Recorder,
    r: &mut dyn Responder,
    start: Option<&str>,
) -> Result<WalkEnd, Error> {
    let mut start = start.map(str::to_owned);
    loop {
        let incident = recorder.load()?;
        if incident.is_closed() {
            r.say(&format!("Incident {} is closed.", incident.id));
            return Ok(WalkEnd::Closed);
        }
        let calendar = recorder.calendar().clone();
        let now = calendar.now();
        let step_id = match start.take() {
            Some(id) => {
                workable_step(&incident, &id)?;
                id
            }
            None => {
                let mut workable = incident.workable();
                // The acting person's own steps first, then those nobody has, then the others';
                // the runbook's order within each.
                workable.sort_by_key(|v| match incident.assignee(&v.step.id.value) {
                    Some(who) if who == recorder.actor() => 0,
                    None => 1,
                    Some(_) => 2,
                });
                if workable.is_empty() {
                    r.say(render::terminal::next_text(&incident, &calendar, now, None).trim());
                    return Ok(WalkEnd::NothingWorkable);
                }
                match list::choose_work(&incident, &workable, r, &calendar, now) {
                    Ok(list::Work::Step(id)) => id,
                    Ok(list::Work::Undo) => match list::undo_last(recorder, r)? {
                        None => continue,
                        Some(stop) => return Ok(WalkEnd::Left { step: None, stop }),
                    },
                    Ok(list::Work::AllSteps) => {
                        r.say(&all_steps(&incident));
                        continue;
                    }
                    Ok(list::Work::Quit) => return Ok(WalkEnd::Quit),
                    Err(Stop::Cancelled) => continue,
                    Err(stop) => return Ok(WalkEnd::Left { step: None, stop }),
                }
            }
        };
        match step::work_step(recorder, r, &incident, &step_id)? {
            step::StepEnd::Back => continue,
            step::StepEnd::Quit => return Ok(WalkEnd::Quit),
            step::StepEnd::Left(stop) => {
                return Ok(WalkEnd::Left {
                    step: Some(step_id),
                    stop,
                });
            }
        }
    }
}

/// Refuses a step `walk STEP` cannot start at, saying why.
fn workable_step(incident: &Incident, id: &str) -> Result<(), Error> {
    let view = incident.find_step(id)?;
    if incident
        .workable()
        .iter()
        .any(|v| v.step.id.value == view.step.id.value)
    {
        return Ok(());
    }
    let why = if !view.active {
        "it does not apply to this incident's facts".to_owned()
    } else if view.state() != StepState::Open {
        format!("it is {}", view.state().label())
    } else {
        format!(
            "it waits on {}",
            incident.blocking_dependencies(view.step).join(", ")
        )
    };
    Err(Error::refused(format!(
        "step `{id}` cannot be worked now: {why}; `breach next` lists the steps that can"
    )))
}

/// Long text that may not be empty, asked again until given.
pub(super) fn ask_long_nonempty(
    r: &mut dyn Responder,
    prompt: &str,
    help: &str,
) -> Result<String, Stop> {
    loop {
        let answer = r.ask_long(prompt, help)?;
        if !answer.trim().is_empty() {
            return Ok(answer.trim().to_owned());
        }
        r.say("✗ An answer is needed here (Esc to go back).");
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
