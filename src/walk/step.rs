//! Working one step: its card, then done, skip, not applicable, a note or a file, each
//! recorded only when confirmed; back to the list of steps, or quit.

use super::*;

const MENU: [&str; 7] = [
    "Done: record the evidence and check it off",
    "Skip (give the reason)",
    "Not applicable (give the reason)",
    "Add a note",
    "Attach a file",
    "Back to the list of steps",
    "Quit (resume later with `breach walk`)",
];

/// How the work on one step ended.
pub(super) enum StepEnd {
    /// Recorded, or the person went back: show the list again.
    Back,
    Quit,
    /// Left at a prompt (Ctrl-C, end of input): nothing of the step in hand recorded.
    Left(Stop),
}

pub(super) fn work_step(
    recorder: &mut dyn Recorder,
    r: &mut dyn Responder,
    incident: &Incident,
    step_id: &str,
) -> Result<StepEnd, Error> {
    let calendar = recorder.calendar().clone();
    let view = incident.find_step(step_id)?;
    r.say(&step_card(
        incident,
        view.clone(),
        &calendar,
        calendar.now(),
        render::terminal::width(),
    ));
    loop {
        let options: Vec<String> = MENU.iter().map(|s| (*s).to_owned()).collect();
        let choice = match r.choose("What now?", &options) {
            Ok(c) => c,
            Err(Stop::Cancelled) => return Ok(StepEnd::Back),
            Err(stop) => return Ok(StepEnd::Left(stop)),
        };
        let asked = match choice {
            0 => gather_done(incident, view.clone(), r, &calendar),
            1 | 2 => settle(incident, step_id, choice == 1, r, &calendar).map(Some),
            3 => ask_long_nonempty(r, "Note", "describe; do not type patient identifiers").map(
                |text| {
                    Some((
                        Action::Note {
                            text,
                            step: Some(step_id.to_owned()),
                        },
                        None,
                    ))
                },
            ),
            4 => ask_nonempty(
                r,
                "File to attach",
                "a path; the file is copied in and hashed, the original is left alone (a .eml message: only its headers are recorded)",
            )
            .map(|path| {
                let file = std::path::PathBuf::from(path);
                let step = Some(step_id.to_owned());
                let is_message = file
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("eml"));
                let action = if is_message {
                    Action::AttachMessage { file, step }
                } else {
                    Action::Attach { file, step }
                };
                Some((action, None))
            }),
            5 => return Ok(StepEnd::Back),
            _ => return Ok(StepEnd::Quit),
        };
        let (action, at) = match asked {
            Ok(Some(asked)) => asked,
            Ok(None) | Err(Stop::Cancelled) => {
                r.say("Not recorded.");
                continue;
            }
            Err(stop) => return Ok(StepEnd::Left(stop)),
        };
        // A note or a file leaves the step as it was: its menu is shown again.
        let settles = matches!(action, Action::Done { .. } | Action::Settle { .. });
        match recorder.record(action, at) {
            Ok((head, message)) => {
                r.say(&format!("✓ {message}\n  head {head}"));
                if settles {
                    return Ok(StepEnd::Back);
                }
            }
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
                return Ok(StepEnd::Back);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Skip or not applicable: the reason, and when.
fn settle(
    incident: &Incident,
    step_id: &str,
    skip: bool,
    r: &mut dyn Responder,
    calendar: &crate::clock::Calendar,
) -> Result<(Action, Option<GivenTime>), Stop> {
    let (target, what) = if skip {
        (StepState::Skipped, "Why is this step skipped?")
    } else {
        (StepState::NotApplicable, "Why does this step not apply?")
    };
    let reason = ask_long_nonempty(
        r,
        what,
        "a sentence for the record; it is kept for six years",
    )?;
    let at = ask_when(r, incident, calendar)?;
    Ok((
        Action::Settle {
            step: step_id.to_owned(),
            target,
            reason,
        },
        at,
    ))
}
