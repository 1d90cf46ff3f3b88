//! Asking for what a command was not given, in a terminal: the arguments of `start` and the
//! parts of a risk assessment, and when a step was done, each answer checked as the command
//! line's would be.

use super::*;

/// Asks for whatever `breach start` was not given: the runbook (a list with titles), the
/// discovery time and the title. Each answer is checked as the command line's would be.
pub(crate) fn ask_start(
    r: &mut dyn Responder,
    catalog: &crate::runbook::Catalog,
    runbook: Option<String>,
    discovered: Option<String>,
    title: Option<String>,
    calendar: &crate::clock::Calendar,
    now: DateTime<Utc>,
) -> Result<(String, String, String), Stop> {
    let runbook = match runbook {
        Some(r) => r,
        None => {
            let options: Vec<String> = catalog
                .entries
                .iter()
                .map(|e| {
                    format!(
                        "{} — {}",
                        e.runbook.id.value,
                        sanitize(&e.runbook.title.value)
                    )
                })
                .collect();
            let i = r.choose("Which runbook fits this breach?", &options)?;
            catalog.entries[i].runbook.id.value.clone()
        }
    };
    let discovered = match discovered {
        Some(d) => d,
        None => loop {
            let answer = r.ask(
                "When was the breach discovered?",
                "YYYY-MM-DD, YYYY-MM-DD HH:MM (local time), or now: the first day anyone other than the sender knew",
            )?;
            match calendar.parse_past(&answer, "the discovery time", now) {
                Ok(_) => break answer,
                Err(e) => r.say(&format!("✗ {e}")),
            }
        },
    };
    let title = match title {
        Some(t) => t,
        None => ask_nonempty(
            r,
            "A short title for the incident",
            "one line; no patient names or other PHI",
        )?,
    };
    Ok((runbook, discovered, title))
}

/// Asks, in order, for the parts of a risk assessment not given as flags: the gate (secured?
/// an exception?), the four factors when they are needed, the determination and the sign-off.
pub(crate) fn ask_assessment(
    r: &mut dyn Responder,
    draft: &mut AssessmentDraft,
) -> Result<(), Stop> {
    ask_gates(r, draft)?;
    let secured = draft.secured == Some(true);
    let exception = draft.exception.is_some_and(|e| e != ExceptionKind::None);
    if exception && draft.exception_basis.is_none() {
        draft.exception_basis = Some(ask_nonempty(
            r,
            "Why does the exception apply?",
            "the facts it rests on",
        )?);
    }
    if !secured && !exception {
        let ratings = [Rating::Low, Rating::Medium, Rating::High];
        let options = [
            "risk: low".to_owned(),
            "risk: medium".to_owned(),
            "risk: high".to_owned(),
        ];
        for ((_, _, title), factor) in FACTORS.iter().zip(draft.factors.iter_mut()) {
            if factor.rating.is_none() {
                r.say(title);
                factor.rating = Some(ratings[r.choose("Risk from this factor", &options)?]);
            }
            if factor.why.is_none() {
                factor.why = Some(ask_nonempty(
                    r,
                    "Rationale",
                    "the reasoning, for the record",
                )?);
            }
        }
    }
    if draft.determination.is_none() {
        draft.determination = Some(if secured {
            Determination::Secured
        } else if exception {
            Determination::Exception
        } else {
            let options = [
                "No: notification is required".to_owned(),
                "Yes: low probability of compromise (no notices)".to_owned(),
                "Not a breach at all: the use or disclosure was permitted".to_owned(),
            ];
            let question =
                "Determination: is there a low probability that the PHI has been compromised?";
            [
                Determination::NotificationRequired,
                Determination::LowProbability,
                Determination::NoImpermissibleUse,
            ][r.choose(question, &options)?]
        });
    }
    if draft.signed_by.is_none() {
        draft.signed_by = Some(ask_nonempty(
            r,
            "Signed off by",
            "name of the person accountable for the determination",
        )?);
    }
    if draft.role.is_none() {
        draft.role = Some(ask_nonempty(r, "Their role", "e.g. Privacy Officer")?);
    }
    Ok(())
}

/// The two gates before the four factors: was the PHI secured (and how), and does an
/// exception apply.
fn ask_gates(r: &mut dyn Responder, draft: &mut AssessmentDraft) -> Result<(), Stop> {
    if draft.secured.is_none() {
        r.say("Gate 1: was the PHI secured? Only encryption to the HHS guidance standard, with the key not disclosed, counts; TLS between mail servers does not.");
        let options = ["no".to_owned(), "yes".to_owned()];
        draft.secured = Some(r.choose("Was the PHI secured?", &options)? == 1);
    }
    let secured = draft.secured == Some(true);
    if secured && draft.secured_by.is_none() {
        let options = [
            "Encrypted to the HHS guidance standard, the key not compromised".to_owned(),
            "Destroyed so it cannot be read or reconstructed".to_owned(),
        ];
        draft.secured_by = Some(
            [SecuredBy::Encrypted, SecuredBy::Destroyed]
                [r.choose("How was it secured?", &options)?],
        );
    }
    if secured && draft.secured_basis.is_none() {
        draft.secured_basis = Some(ask_nonempty(
            r,
            "The details",
            "the encryption used and where the key was, or how the media was destroyed",
        )?);
    }
    if draft.exception.is_none() {
        let kinds = [
            (ExceptionKind::None, "None applies"),
            (
                ExceptionKind::UnintentionalWorkforceUse,
                "Unintentional, good-faith use by a workforce member, no further disclosure",
            ),
            (
                ExceptionKind::InadvertentDisclosure,
                "Inadvertent disclosure between persons authorised at the same entity or OHCA",
            ),
            (
                ExceptionKind::CouldNotRetain,
                "The recipient could not reasonably have retained the information",
            ),
        ];
        let options: Vec<String> = kinds.iter().map(|(_, l)| (*l).to_owned()).collect();
        let i = r.choose(
            "Gate 2: does an exception of 45 CFR 164.402(1) apply?",
            &options,
        )?;
        draft.exception = Some(kinds[i].0);
    }
    Ok(())
}

/// Asks when the step was done, "now" by default: a time before now and not before the breach
/// was discovered, in the organisation's zone, as `--at` takes it (asked again until it fits).
/// `None` for now.
pub(super) fn ask_when(
    r: &mut dyn Responder,
    incident: &Incident,
    calendar: &crate::clock::Calendar,
) -> Result<Option<GivenTime>, Stop> {
    let help = format!(
        "Enter for now; else YYYY-MM-DD HH:MM or YYYY-MM-DD ({})",
        calendar.zone_name()
    );
    loop {
        let answer = r.ask("When was it done?", &help)?;
        let answer = answer.trim();
        if answer.is_empty() || answer.eq_ignore_ascii_case("now") {
            return Ok(None);
        }
        match calendar.parse_past(answer, "the time it was done", calendar.now()) {
            Ok(at) if at.at < incident.discovered.at => r.say(&format!(
                "✗ {answer} is before the breach was discovered ({}): a step is done after it",
                calendar.local_display(incident.discovered.at)
            )),
            Ok(at) => return Ok(Some(at)),
            Err(e) => r.say(&format!("✗ {e}")),
        }
    }
}
