//! Choosing the work: the walk opens on the workable steps, the next one first, each with its
//! owner and when it is due, beside "undo the last thing I recorded", the runbook's other
//! steps, and quit. Keyboard only: inquire's list filters as one types.

use super::*;

/// What the person chose from the list.
pub(super) enum Work {
    Step(String),
    Undo,
    AllSteps,
    Quit,
}

pub(super) fn choose_work(
    incident: &Incident,
    workable: &[StepView<'_>],
    r: &mut dyn Responder,
    calendar: &crate::clock::Calendar,
    now: DateTime<Utc>,
) -> Result<Work, Stop> {
    let mut options: Vec<String> = workable
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut line = format!(
                "{}{} — {} · {}",
                if i == 0 { "Next: " } else { "" },
                v.step.id.value,
                sanitize(&v.step.title.value),
                v.step.owner.label()
            );
            if let Some(who) = incident.assignee(&v.step.id.value) {
                line.push_str(&format!(" · assigned to {}", sanitize(who)));
            }
            if let Some(due) = render::terminal::due_short(incident, v.step, calendar, now) {
                line.push_str(&format!(" · {due}"));
            }
            line
        })
        .collect();
    let steps = options.len();
    options.extend(
        [
            "Undo the last thing I recorded (a void: it stays in the log, marked void)",
            "Show every step of the runbook",
            "Quit (resume later with `breach walk`)",
        ]
        .map(str::to_owned),
    );
    let (settled, total) = incident
        .progress()
        .iter()
        .fold((0, 0), |(s, t), (_, a, b)| (s + a, t + b));
    r.say(&format!(
        "\nIncident {} · {settled} of {total} applicable steps settled · {steps} workable now",
        incident.id
    ));
    let i = r.choose("Which step now?", &options)?;
    Ok(match i.checked_sub(steps) {
        None => Work::Step(workable[i].step.id.value.clone()),
        Some(0) => Work::Undo,
        Some(1) => Work::AllSteps,
        Some(_) => Work::Quit,
    })
}

/// Offers to void the last entry the acting person recorded, with a reason; records nothing
/// unless confirmed. A refusal is shown and the walk goes on; `Some` when the person left the
/// walk at a prompt (Ctrl-C, end of input).
pub(super) fn undo_last(
    recorder: &mut dyn Recorder,
    r: &mut dyn Responder,
) -> Result<Option<Stop>, Error> {
    let Some(own) = recorder.last_own_entry()? else {
        r.say("Nothing you recorded in this incident can be withdrawn.");
        return Ok(None);
    };
    r.say(&format!(
        "The last thing you recorded is entry {}: {}",
        own.seq,
        sanitize(&own.summary)
    ));
    let asked = ask_nonempty(
        r,
        "Why is it withdrawn?",
        "a sentence for the record (a test notice, the wrong incident); Esc to keep it",
    )
    .and_then(|reason| {
        Ok((
            reason,
            r.confirm(&format!("Void entry {}?", own.seq), false)?,
        ))
    });
    match asked {
        Ok((reason, true)) => {
            let action = Action::Void {
                entry: own.seq,
                reason,
            };
            match recorder.record(action, None) {
                Ok((head, message)) => r.say(&format!("✓ {message}\n  head {head}")),
                Err(e @ (Error::Refused(_) | Error::InvalidInput(_))) => {
                    r.say(&format!("✗ Not recorded: {e}"));
                }
                Err(e) => return Err(e),
            }
        }
        Ok((_, false)) | Err(Stop::Cancelled) => r.say("Not recorded."),
        Err(stop) => return Ok(Some(stop)),
    }
    Ok(None)
}
