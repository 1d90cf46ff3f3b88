//! Working the steps: `next`, `done`, `skip`, `na`, `reopen`, `note`, `attach`, and the guided
//! `walk`, which records through the same [`record_action`] as the scriptable commands.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Outcome, Session, record, written};
use crate::error::Error;
use crate::incident::input::check_text;
use crate::incident::{Action, Event, Incident, StepState, StepView, event, evidence};
use crate::log::{Access, Head};
use crate::render::terminal;
use crate::runbook::{FieldType, Phase, Role};
use crate::text::sanitize;
use crate::walk::{self, Recorder, Responder, WalkEnd};

/// The fields every JSON view of a step shares.
#[derive(Debug, Serialize)]
pub struct StepSummary<'a> {
    pub id: &'a str,
    pub phase: Phase,
    pub title: &'a str,
    pub owner: Role,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

impl<'a> StepSummary<'a> {
    pub fn of(incident: &Incident, v: &StepView<'a>) -> StepSummary<'a> {
        StepSummary {
            id: &v.step.id.value,
            phase: v.phase,
            title: &v.step.title.value,
            owner: v.step.owner,
            required: v.step.required,
            due: terminal::due_at(incident, v.step),
        }
    }
}

/// An evidence field a step asks for, in `next --json`.
#[derive(Debug, Serialize)]
pub struct FieldSummary<'a> {
    pub name: &'a str,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub required: bool,
    pub prompt: &'a str,
}

#[derive(Debug, Serialize)]
pub struct NextStep<'a> {
    #[serde(flatten)]
    pub step: StepSummary<'a>,
    pub evidence: Vec<FieldSummary<'a>>,
}

/// `next --json`.
#[derive(Debug, Serialize)]
pub struct Next<'a> {
    pub id: &'a str,
    pub steps: Vec<NextStep<'a>>,
}

pub(super) fn next(s: &Session) -> Result<Outcome, Error> {
    let (_, incident) = s.load_current()?;
    if s.json {
        let steps = incident
            .workable()
            .iter()
            .map(|v| NextStep {
                step: StepSummary::of(&incident, v),
                evidence: v
                    .step
                    .evidence
                    .iter()
                    .map(|f| FieldSummary {
                        name: &f.name.value,
                        kind: f.kind.value,
                        required: f.required,
                        prompt: &f.prompt.value,
                    })
                    .collect(),
            })
            .collect();
        return Ok(Outcome::json(&Next {
            id: &incident.id,
            steps,
        }));
    }
    Ok(Outcome::ok(terminal::next_text(&incident, s.now)))
}

pub(super) fn done(
    s: &Session,
    step: String,
    note: Option<String>,
    set: &[String],
) -> Result<Outcome, Error> {
    let evidence = evidence_pairs(set)?;
    act(
        s,
        Action::Done {
            step,
            note,
            evidence,
        },
    )
}

pub(super) fn skip(s: &Session, step: String, reason: String) -> Result<Outcome, Error> {
    settle(s, step, StepState::Skipped, reason)
}

pub(super) fn not_applicable(s: &Session, step: String, reason: String) -> Result<Outcome, Error> {
    settle(s, step, StepState::NotApplicable, reason)
}

pub(super) fn reopen(s: &Session, step: String, reason: String) -> Result<Outcome, Error> {
    settle(s, step, StepState::Open, reason)
}

pub(super) fn note(s: &Session, text: String, step: Option<String>) -> Result<Outcome, Error> {
    act(s, Action::Note { text, step })
}

pub(super) fn attach(s: &Session, file: PathBuf, step: Option<String>) -> Result<Outcome, Error> {
    act(s, Action::Attach { file, step })
}

fn settle(s: &Session, step: String, target: StepState, reason: String) -> Result<Outcome, Error> {
    act(
        s,
        Action::Settle {
            step,
            target,
            reason,
        },
    )
}

/// Runs an action from the command line and prints its result.
fn act(s: &Session, action: Action) -> Result<Outcome, Error> {
    let (incident, head, message) = record_action(s, action)?;
    Ok(written(s, &incident, message, &head))
}

/// Splits `--set FIELD=VALUE` arguments into pairs. The argument is not echoed in the error:
/// it may hold PHI.
fn evidence_pairs(sets: &[String]) -> Result<Vec<(String, String)>, Error> {
    sets.iter()
        .map(|set| {
            set.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .ok_or_else(|| Error::usage("a --set argument has no `=`: give FIELD=VALUE"))
        })
        .collect()
}

/// Records one action: checks it against the verified state under the lock and appends it.
/// Returns the state it was checked against, the new head, and a one-line summary.
pub fn record_action(s: &Session, action: Action) -> Result<(Incident, Head, String), Error> {
    match action {
        Action::Done {
            step,
            note,
            evidence: pairs,
        } => {
            let note = note.map(|n| check_text("the note", &n, true)).transpose()?;
            let (incident, _, head) = record(s, |_, incident| {
                let view = incident.check_transition(&step, StepState::Done)?;
                let evidence = evidence::collect(view.step, &pairs, s.clock.now())?;
                Ok(Event::StepDone(event::StepDone {
                    step: step.clone(),
                    note: note.clone(),
                    evidence,
                }))
            })?;
            let title = incident
                .find_step(&step)
                .map(|v| v.step.title.value.clone())
                .unwrap_or_default();
            let message = format!("Done: {step} — {}", sanitize(&title));
            Ok((incident, head, message))
        }
        Action::Settle {
            step,
            target,
            reason,
        } => {
            let reason = check_text("the reason", &reason, true)?;
            let (incident, _, head) = record(s, |_, incident| {
                incident.check_transition(&step, target)?;
                let payload = event::StepReason {
                    step: step.clone(),
                    reason: reason.clone(),
                };
                Ok(match target {
                    StepState::Skipped => Event::StepSkipped(payload),
                    StepState::NotApplicable => Event::StepNotApplicable(payload),
                    StepState::Open => Event::StepReopened(payload),
                    StepState::Done => {
                        return Err(Error::input("use `done` to mark a step done"));
                    }
                })
            })?;
            let verb = match target {
                StepState::Skipped => "Skipped",
                StepState::NotApplicable => "Not applicable",
                _ => "Reopened",
            };
            Ok((incident, head, format!("{verb}: {step}")))
        }
        Action::Note { text, step } => {
            let text = check_text("the note", &text, true)?;
            let (incident, _, head) = record(s, |_, incident| {
                if let Some(st) = &step {
                    incident.find_step(st)?;
                }
                Ok(Event::Note(event::Note {
                    text: text.clone(),
                    step: step.clone(),
                }))
            })?;
            Ok((incident, head, "Note recorded.".to_owned()))
        }
        Action::Attach { file, step } => attach_file(s, &file, step),
    }
}

/// Largest evidence file accepted.
const MAX_ATTACHMENT_BYTES: u64 = 256 * 1024 * 1024;

fn attach_file(
    s: &Session,
    file: &Path,
    step: Option<String>,
) -> Result<(Incident, Head, String), Error> {
    let meta = std::fs::metadata(file).map_err(|e| Error::io("read", file, e))?;
    if !meta.is_file() {
        return Err(Error::input(format!(
            "{} is not a regular file",
            file.display()
        )));
    }
    if meta.len() > MAX_ATTACHMENT_BYTES {
        return Err(Error::input(format!(
            "{} is {} bytes; attachments may be at most {MAX_ATTACHMENT_BYTES} bytes",
            file.display(),
            meta.len()
        )));
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".to_owned());
    let stored = std::cell::RefCell::new(None);
    let result = record(s, |store, incident| {
        if incident.is_closed() {
            return Err(Error::refused(format!(
                "incident {} is closed; it accepts notes only",
                incident.id
            )));
        }
        if let Some(st) = &step {
            incident.find_step(st)?;
        }
        let copy = store.put_attachment(&incident.id, file, &name)?;
        let event = Event::Attachment(event::Attachment {
            name: name.clone(),
            stored: copy.stored.clone(),
            sha256: copy.sha256.clone(),
            bytes: copy.bytes,
            step: step.clone(),
        });
        *stored.borrow_mut() = Some((incident.id.clone(), copy));
        Ok(event)
    });
    match result {
        Ok((incident, Event::Attachment(a), head)) => {
            let message = format!(
                "Attached {} ({} bytes, sha256 {})",
                sanitize(&a.name),
                a.bytes,
                a.sha256
            );
            Ok((incident, head, message))
        }
        Ok(_) => unreachable!("attach records an attachment"),
        Err(e) => {
            // Only a copy this command made goes; one an earlier entry names stays.
            if let (Some((id, copy)), Ok(store)) = (stored.into_inner(), s.open_store()) {
                store.discard_attachment(&id, &copy);
            }
            Err(e)
        }
    }
}

/// The walk's window on the store: it reads and records through the commands' own path.
#[derive(Debug)]
pub struct SessionRecorder {
    session: Session,
}

impl SessionRecorder {
    /// A recorder for the incident the session names (or the only open one).
    pub fn new(s: &Session) -> Result<SessionRecorder, Error> {
        let id = s.open_store()?.resolve(s.incident.as_deref())?;
        Ok(SessionRecorder {
            session: Session {
                incident: Some(id),
                ..s.clone()
            },
        })
    }

    /// Whether the log verifies now, and how many entries it holds.
    pub(super) fn check(&self) -> Result<u64, Error> {
        let store = self.session.open_store()?;
        let id = store.resolve(self.session.incident.as_deref())?;
        let mut log = store.open_log(&id, Access::Read)?;
        Ok(log.read_verified(|_| {})?.entries)
    }
}

impl Recorder for SessionRecorder {
    fn load(&mut self) -> Result<Incident, Error> {
        Ok(self.session.load_current()?.1)
    }

    fn record(&mut self, action: Action) -> Result<(Head, String), Error> {
        let (_, head, message) = record_action(&self.session, action)?;
        Ok((head, message))
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.session.clock.now()
    }
}

pub(super) fn walk(s: &Session) -> Result<Outcome, Error> {
    if !s.interactive {
        return Err(Error::NoTerminal(
            "`breach walk` needs a terminal on standard input; without one, use the scriptable commands: `breach next`, `breach done STEP --set FIELD=VALUE`, `breach skip STEP --reason …`, `breach na STEP --reason …`, `breach note TEXT`".to_owned(),
        ));
    }
    let mut prompts = walk::TerminalResponder::new();
    walk_incident(s, &mut prompts)
}

/// Walks the session's incident with `prompts`, and says how the walk ended.
pub(super) fn walk_incident(s: &Session, prompts: &mut dyn Responder) -> Result<Outcome, Error> {
    let mut recorder = SessionRecorder::new(s)?;
    match walk::walk(&mut recorder, prompts)? {
        WalkEnd::Left { step, stop } => Err(Error::Interrupted(walk::left_message(
            step.as_deref(),
            stop,
            recorder.check(),
        ))),
        WalkEnd::Quit => Ok(Outcome::ok(
            "Stopped. Resume any time with `breach walk`.\n".to_owned(),
        )),
        _ => Ok(Outcome::ok(String::new())),
    }
}

/// Why the walk stopped, for tests of the walk against a real store.
#[cfg(test)]
pub(super) fn walk_with(s: &Session, prompts: &mut dyn Responder) -> Result<WalkEnd, Error> {
    let mut recorder = SessionRecorder::new(s)?;
    walk::walk(&mut recorder, prompts)
}
