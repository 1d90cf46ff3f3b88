//! Working the steps: `next`, `done`, `skip`, `na`, `reopen`, `note`, `attach`, and the guided
//! `walk`, which records through the same [`record_action`] as the scriptable commands.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::regulatory::{self, ForStep};
use super::{Outcome, Session, record, written};
use crate::cli::{BoundFlags, DelayKind};
use crate::error::Error;
use crate::incident::FactsUpdate;
use crate::incident::action::Bound;
use crate::incident::assessment::AssessmentDraft;
use crate::incident::facts::Statement;
use crate::incident::input::check_text;
use crate::incident::{Action, Event, Incident, StepState, StepView, event, evidence};
use crate::log::Head;
use crate::render::terminal;
use crate::rules::Audience;
use crate::runbook::{FieldType, Phase, Records, Role};
use crate::text::sanitize;

mod assign;
mod attach;
mod message;
mod void;
mod walking;

use assign::assign_step;
use attach::attach_file;
pub(in crate::commands) use void::last_own_entry;
use void::void_entry;
#[cfg(test)]
pub(crate) use walking::SessionRecorder;
pub(in crate::commands) use walking::{walk, walk_incident};
#[cfg(test)]
pub(super) use walking::{walk_from, walk_with};

/// The fields every JSON view of a step shares.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct StepSummary<'a> {
    pub id: &'a str,
    pub phase: Phase,
    pub title: &'a str,
    pub owner: Role,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// What the step records on the regulatory record, when it is bound to an action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Records>,
    /// The person the step is assigned to (`breach assign`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<&'a str>,
}

impl<'a> StepSummary<'a> {
    pub(crate) fn of(
        incident: &'a Incident,
        v: &StepView<'a>,
        calendar: &crate::clock::Calendar,
    ) -> StepSummary<'a> {
        StepSummary {
            id: &v.step.id.value,
            phase: v.phase,
            title: &v.step.title.value,
            owner: v.step.owner,
            required: v.step.required,
            due: terminal::due_at(incident, v.step, calendar),
            records: v.step.records.as_ref().map(|r| r.value),
            assignee: incident.assignee(&v.step.id.value),
        }
    }
}

/// An evidence field a step asks for, in `next --json`.
#[derive(Debug, Serialize)]
pub(crate) struct FieldSummary<'a> {
    pub name: &'a str,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub required: bool,
    pub prompt: &'a str,
}

#[derive(Debug, Serialize)]
pub(crate) struct NextStep<'a> {
    #[serde(flatten)]
    pub step: StepSummary<'a>,
    pub evidence: Vec<FieldSummary<'a>>,
}

/// `next --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Next<'a> {
    pub id: &'a str,
    pub steps: Vec<NextStep<'a>>,
}

pub(super) fn next(s: &Session, mine: bool) -> Result<Outcome, Error> {
    let (_, incident) = s.load_current()?;
    let only_for = mine.then_some(s.actor.as_str());
    if s.json {
        let steps = incident
            .workable()
            .iter()
            .filter(|v| only_for.is_none() || incident.assignee(&v.step.id.value) == only_for)
            .map(|v| NextStep {
                step: StepSummary::of(&incident, v, &s.calendar),
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
    Ok(Outcome::ok(terminal::next_text(
        &incident,
        &s.calendar,
        s.now,
        only_for,
    )))
}

pub(super) fn done(
    s: &Session,
    step: String,
    note: Option<String>,
    set: &[String],
    flags: BoundFlags,
    from_eml: Option<&Path>,
) -> Result<Outcome, Error> {
    let evidence = evidence_pairs(set)?;
    let records = bound_from(flags)?;
    let Some(path) = from_eml else {
        return act(
            s,
            Action::Done {
                step,
                note,
                evidence,
                records,
            },
        );
    };
    if records.is_some() {
        return Err(Error::usage(
            "--from-eml fills a step's evidence fields; it takes no action flags",
        ));
    }
    let headers = message::read_message(path, "--from-eml")?;
    let (incident, head, text) = done_step(s, &step, note, &evidence, None, Some(&headers))?;
    let text = format!(
        "{text}\n  read from the message (sha256 {}, {} bytes, {} recipient(s)); its subject, body and attachments were not recorded",
        headers.file.sha256, headers.file.bytes, headers.file.recipients
    );
    Ok(written(s, &incident, text, &head))
}

/// The action `done`'s flags describe, if any: the flags of one of `notify`, `facts` (the counts
/// or a delay) or `assess`.
fn bound_from(f: BoundFlags) -> Result<Option<Bound>, Error> {
    let draft = regulatory::draft_from(f.assessment);
    let (notice_states, count_states): (Vec<String>, Vec<String>) =
        f.states.into_iter().partition(|st| !st.contains('='));
    let notice = f.date.is_some()
        || f.method.is_some()
        || f.count.is_some()
        || f.again
        || f.despite_hold
        || !notice_states.is_empty();
    let counts = f.affected.is_some() || f.unreachable.is_some() || !count_states.is_empty();
    let delay = f.delay.is_some()
        || f.delay_official.is_some()
        || f.delay_stated.is_some()
        || f.delay_until.is_some();
    let assessment = !draft.is_blank();
    if [notice, counts, delay, assessment]
        .iter()
        .filter(|given| **given)
        .count()
        > 1
    {
        return Err(Error::usage(
            "give the flags of one action: a notice (--date, --method, --count, --state XX), the counts (--affected, --unreachable, --state XX=N), a delay (--delay …) or the assessment (--determination …)",
        ));
    }
    if notice {
        return notice_flags(
            f.date,
            f.method,
            f.count,
            notice_states,
            f.again,
            (f.despite_hold, f.reason),
        )
        .map(Some);
    }
    if f.reason.is_some() {
        return Err(Error::usage(
            "--reason explains --despite-hold, for a notice",
        ));
    }
    if counts {
        return Ok(Some(Bound::Counts {
            affected: f.affected,
            unreachable: f.unreachable,
            states: count_states,
        }));
    }
    if delay {
        let (Some(kind), Some(official), Some(stated)) =
            (f.delay, f.delay_official, f.delay_stated)
        else {
            return Err(Error::usage(
                "a delay needs --delay oral|written, --delay-official NAME and --delay-stated DATE (as `breach facts`)",
            ));
        };
        return Ok(Some(Bound::Delay {
            kind: match kind {
                DelayKind::Oral => Statement::Oral,
                DelayKind::Written => Statement::Written,
            },
            official,
            stated,
            until: f.delay_until,
        }));
    }
    Ok(assessment.then(|| Bound::Assessment(Box::new(draft))))
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

/// The note's text as given: the argument itself, standard input for `-`, or the file
/// `--file` names; bounded, UTF-8, with the final newline a pipe or an editor leaves removed.
/// The text is never repeated in an error (it may hold PHI).
pub(super) fn note_text(text: Option<String>, file: Option<&Path>) -> Result<String, Error> {
    use std::io::Read;
    // Room for the whitespace trimmed away; `check_text` says precisely when the note is too long.
    let limit = 2 * crate::incident::input::MAX_TEXT_BYTES as u64;
    let (bytes, from) = match (text, file) {
        (_, Some(path)) => (
            crate::files::read_small_file(path, limit, "note file")?
                .ok_or_else(|| Error::input(format!("--file {}: no such file", path.display())))?,
            format!("--file {}", path.display()),
        ),
        (Some(text), None) if text == "-" => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io("read", Path::new("standard input"), e))?;
            if bytes.len() as u64 > limit {
                return Err(Error::input(format!(
                    "the note on standard input is larger than {limit} bytes (attach a file for longer text)"
                )));
            }
            (bytes, "standard input".to_owned())
        }
        (Some(text), None) => return Ok(text),
        (None, None) => {
            return Err(Error::usage(
                "give the note, `-` to read it from standard input, or --file FILE",
            ));
        }
    };
    String::from_utf8(bytes).map_err(|e| {
        Error::input(format!(
            "the note from {from} is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

pub(super) fn note(s: &Session, text: String, step: Option<String>) -> Result<Outcome, Error> {
    act(s, Action::Note { text, step })
}

pub(super) fn attach(
    s: &Session,
    file: PathBuf,
    step: Option<String>,
    eml: bool,
) -> Result<Outcome, Error> {
    if eml {
        return act(s, Action::AttachMessage { file, step });
    }
    act(s, Action::Attach { file, step })
}

pub(super) fn assign(s: &Session, step: String, to: Option<String>) -> Result<Outcome, Error> {
    act(s, Action::Assign { step, to })
}

pub(super) fn void(s: &Session, entry: u64, reason: String) -> Result<Outcome, Error> {
    act(s, Action::Void { entry, reason })
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
pub(crate) fn record_action(
    s: &Session,
    action: Action,
) -> Result<(Incident, Head, String), Error> {
    match action {
        Action::Done {
            step,
            note,
            evidence: pairs,
            records,
        } => done_step(s, &step, note, &pairs, records, None),
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
        Action::AttachMessage { file, step } => message::attach_message(s, &file, step),
        Action::Void { entry, reason } => void_entry(s, entry, &reason),
        Action::Assign { step, to } => assign_step(s, &step, to.as_deref()),
    }
}

/// `done STEP`, in one write: under the lock, the step decides what is recorded. An ordinary
/// step (or a bound one whose action is already on record) is marked done with its evidence; a
/// step bound to an action (`records:` in the runbook) records that action from `done`'s flags,
/// settling the step in the same entry.
fn done_step(
    s: &Session,
    step: &str,
    note: Option<String>,
    pairs: &[(String, String)],
    records: Option<Bound>,
    message: Option<&message::MessageHeaders>,
) -> Result<(Incident, Head, String), Error> {
    let records = match records {
        Some(Bound::Assessment(draft)) => Some(Bound::Assessment(asked(s, step, draft)?)),
        other => other,
    };
    let for_step = ForStep {
        step: step.to_owned(),
        note: note.clone(),
        evidence: pairs.to_vec(),
    };
    let note = note.map(|n| check_text("the note", &n, true)).transpose()?;
    let (incident, event, head) = record(s, |_, incident| {
        let view = incident.find_step(step)?;
        match (view.step.records.as_ref().map(|r| r.value), &records) {
            (None, Some(_)) => Err(Error::usage(format!(
                "step `{step}` records nothing on the regulatory record, so it takes no action flags; record the action with its own command (`breach notify`, `breach facts`, `breach assess`)"
            ))),
            (Some(binding), None)
                if matches!(binding, Records::Notice(_))
                    || !incident.binding_satisfied(view.step) =>
            {
                Err(Error::usage(format!(
                    "step `{step}` records {}: give {}",
                    binding.label(),
                    flags_for(binding)
                )))
            }
            // An ordinary step, or one whose action is already on record (the step was
            // reopened since): done as is.
            (_, None) => {
                let view = incident.check_transition(step, StepState::Done)?;
                let filled = message.map(|m| m.fill(view.step, pairs));
                let evidence =
                    evidence::collect(view.step, filled.as_deref().unwrap_or(pairs), &s.calendar)?;
                Ok(Event::StepDone(event::StepDone {
                    step: step.to_owned(),
                    note: note.clone(),
                    evidence,
                    message_file: message.map(|m| m.file.clone()),
                }))
            }
            (Some(binding), Some(bound)) => {
                bound_event(s, incident, step, binding, bound, &for_step)
            }
        }
    })?;
    let message = match &event {
        Event::NoticeSent(_) => regulatory::notice_message(s, &incident, &event, &head),
        Event::FactsChanged(_) => regulatory::facts_message(&event),
        Event::Assessed(_) => regulatory::assessment_message(&incident, &event),
        _ => {
            let title = incident
                .find_step(step)
                .map(|v| v.step.title.value.clone())
                .unwrap_or_default();
            format!("Done: {step} — {}", sanitize(&title))
        }
    };
    Ok((incident, head, message))
}

/// The entry `done` makes on a step bound to `binding` with the action `bound` gives, checked
/// as that action's own command checks it, against the incident under the lock; refused,
/// naming what the step records, when the two differ.
fn bound_event(
    s: &Session,
    incident: &Incident,
    step: &str,
    binding: Records,
    bound: &Bound,
    for_step: &ForStep,
) -> Result<Event, Error> {
    let wrong = |given: &str| {
        Error::usage(format!(
            "step `{step}` records {}, not {given}",
            binding.label()
        ))
    };
    match (binding, bound) {
        (Records::Notice(to), notice @ Bound::Notice { .. }) => {
            notice_of_step(s, incident, to, notice, for_step)
        }
        (
            Records::Facts,
            Bound::Counts {
                affected,
                unreachable,
                states,
            },
        ) => {
            let update =
                regulatory::counts_update(affected.as_deref(), unreachable.as_deref(), states)?;
            regulatory::facts_event(s, incident, &update, None, Some(for_step))
        }
        (
            Records::Delay,
            Bound::Delay {
                kind,
                official,
                stated,
                until,
            },
        ) => {
            let update = FactsUpdate {
                law_enforcement_delay: Some(regulatory::delay_statement(
                    *kind,
                    official,
                    stated,
                    until.as_deref(),
                    Vec::new(),
                    s.today(),
                )?),
                ..FactsUpdate::default()
            };
            regulatory::facts_event(s, incident, &update, None, Some(for_step))
        }
        (Records::Assessment, Bound::Assessment(draft)) => {
            let assessment = draft.as_ref().clone().finish()?;
            regulatory::assessment_event(s, incident, &assessment, Some(for_step))
        }
        (_, Bound::Notice { .. }) => Err(wrong("a notice (--date, --method)")),
        (_, Bound::Counts { .. }) => Err(wrong("the counts (--affected, --unreachable)")),
        (_, Bound::Delay { .. }) => Err(wrong("a delay (--delay)")),
        (_, Bound::Assessment(_)) => Err(wrong("an assessment")),
    }
}

/// The notice `done` records on a step bound to the notice to `to`.
fn notice_of_step(
    s: &Session,
    incident: &Incident,
    to: Audience,
    notice: &Bound,
    for_step: &ForStep,
) -> Result<Event, Error> {
    let Bound::Notice {
        date,
        method,
        count,
        state,
        again,
        despite_hold,
        reason,
    } = notice
    else {
        unreachable!("called with a notice")
    };
    let request = regulatory::NoticeRequest {
        to,
        date,
        method,
        count: *count,
        state: state.as_deref(),
        note: None,
        despite_hold: despite_hold.as_deref(),
        remailed: false,
        addendum: false,
        entity: None,
    };
    let notice = regulatory::notice_from(&request, s.today())?;
    let reason = reason
        .as_deref()
        .map(|r| crate::incident::input::check_text("--reason", r, true))
        .transpose()?;
    regulatory::notice_event(
        s,
        incident,
        &notice,
        *again,
        despite_hold.as_deref().or(reason.as_deref()),
        Some(for_step),
    )
}

/// The assessment `done` records, completed in a terminal when flags are missing. Asking takes
/// a person's time, so it happens with no lock held, and only once the step is known to record
/// an assessment, so that nobody answers questions for a step that records something else.
fn asked(
    s: &Session,
    step: &str,
    mut draft: Box<AssessmentDraft>,
) -> Result<Box<AssessmentDraft>, Error> {
    if draft.missing().is_empty() || !s.interactive {
        return Ok(draft);
    }
    let (_, incident) = s.load_current()?;
    let view = incident.find_step(step)?;
    if view.step.records.as_ref().map(|r| r.value) != Some(Records::Assessment) {
        return Ok(draft);
    }
    let mut prompts = s.prompts.open();
    crate::walk::ask_assessment(&mut *prompts, &mut draft)
        .map_err(|_| Error::Interrupted("stopped: no assessment was recorded".to_owned()))?;
    Ok(draft)
}

/// A notice from `done`'s flags: a date and a method, at most one state (a media notice), and
fn notice_flags(
    date: Option<String>,
    method: Option<crate::cli::NoticeMethod>,
    count: Option<u64>,
    states: Vec<String>,
    again: bool,
    (despite_hold, reason): (bool, Option<String>),
) -> Result<Bound, Error> {
    if states.len() > 1 {
        return Err(Error::usage(
            "a media notice names one state: record each state's notice on its own",
        ));
    }
    let (Some(date), Some(method)) = (date, method) else {
        return Err(Error::usage(
            "a notice needs --date DATE and --method METHOD (as `breach notify`)",
        ));
    };
    // `--reason` explains `--despite-hold` when given with it; alone, it is why a notice by a
    // method the rule does not allow is recorded anyway (and not counted).
    let (despite_hold, reason) = if despite_hold {
        (reason, None)
    } else {
        (None, reason)
    };
    Ok(Bound::Notice {
        date,
        method: method.as_str().to_owned(),
        count,
        state: states.into_iter().next(),
        again,
        despite_hold,
        reason,
    })
}

/// The flags `done` needs for a step bound to `binding`.
fn flags_for(binding: Records) -> &'static str {
    match binding {
        Records::Assessment => {
            "the flags of `breach assess` (--secured, --exception, the four factors, --determination, --signed-by, --role)"
        }
        Records::Facts => {
            "--affected N and --unreachable N (0 when everyone can be reached), and --state XX=N for each state, as `breach facts`"
        }
        Records::Delay => {
            "--delay oral|written, --delay-official NAME and --delay-stated DATE (--delay-until DATE for a written one), as `breach facts`"
        }
        Records::Notice(Audience::Media) => {
            "--date DATE --method METHOD --state XX for one state's media notice, as `breach notify`"
        }
        Records::Notice(_) => "--date DATE and --method METHOD (and --count N), as `breach notify`",
    }
}
