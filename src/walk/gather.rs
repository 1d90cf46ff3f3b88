//! What a step's "Done" asks: the action a bound step records (an assessment, the counts, a
//! hold, a notice), each evidence field checked as it is typed, a note, when it was done; then
//! the answers shown together, any of them changed, before anything is recorded.

use super::*;
use crate::text::capitalised;

/// Prompts for what the step records and each evidence field, then for a note and when it was
/// done; then shows every answer and records, changes one, or cancels. Returns `None` when the
/// person cancels (or stops at a law-enforcement hold).
pub(super) fn gather_done(
    incident: &Incident,
    view: StepView<'_>,
    r: &mut dyn Responder,
    calendar: &crate::clock::Calendar,
) -> Result<Option<(Action, Option<GivenTime>)>, Stop> {
    let step = view.step;
    let binding = step.records.as_ref().map(|b| b.value).filter(|binding| {
        matches!(binding, Records::Notice(_)) || !incident.binding_satisfied(step)
    });
    // A hold is said before anything is asked, with the choice the command would give.
    let despite_hold = match binding {
        Some(Records::Notice(to)) => match hold_in_view(incident, to, r, calendar)? {
            HoldAnswer::NoHold => None,
            HoldAnswer::Stop => return Ok(None),
            HoldAnswer::Despite(reason) => Some(reason),
        },
        _ => None,
    };
    let asker = Asker {
        incident,
        step,
        binding,
        despite_hold,
        calendar,
    };
    let mut answers = Answers {
        records: asker.records(r)?,
        values: Vec::new(),
        note: None,
        at: None,
    };
    for field in &step.evidence {
        answers.values.push(ask_field(field, r, calendar)?);
    }
    answers.note = ask_note(r)?;
    answers.at = ask_when(r, incident, calendar)?;
    loop {
        r.say(&answers_summary(step, binding, &answers, calendar));
        let options = [
            "Record it".to_owned(),
            "Change an answer".to_owned(),
            "Cancel: record nothing of this step".to_owned(),
        ];
        match r.choose("Record it?", &options)? {
            0 => break,
            1 => asker.change_one(&mut answers, r)?,
            _ => return Ok(None),
        }
    }
    let evidence = step
        .evidence
        .iter()
        .zip(answers.values)
        .filter_map(|(f, v)| v.map(|v| (f.name.value.clone(), v)))
        .collect();
    Ok(Some((
        Action::Done {
            step: step.id.value.clone(),
            note: answers.note,
            evidence,
            records: answers.records,
        },
        answers.at,
    )))
}

/// What a step's "Done" has been told so far, each part changeable until it is recorded.
struct Answers {
    records: Option<Bound>,
    values: Vec<Option<String>>,
    note: Option<String>,
    at: Option<GivenTime>,
}

/// What asking (and asking again) one answer of a step needs.
struct Asker<'a> {
    incident: &'a Incident,
    step: &'a crate::runbook::Step,
    binding: Option<Records>,
    despite_hold: Option<String>,
    calendar: &'a crate::clock::Calendar,
}

impl Asker<'_> {
    /// The action a bound step records, carrying the reason given at the hold, if any.
    fn records(&self, r: &mut dyn Responder) -> Result<Option<Bound>, Stop> {
        let Some(binding) = self.binding else {
            return Ok(None);
        };
        r.say(&format!("This step records {}.", binding.label()));
        let mut bound = ask_bound(binding, self.incident, r, self.calendar)?;
        if let Bound::Notice {
            despite_hold: d, ..
        } = &mut bound
        {
            d.clone_from(&self.despite_hold);
        }
        Ok(Some(bound))
    }

    /// Asks which answer to change (what the step records, each field, the note, when) and
    /// asks it again; Escape at either question keeps the answers as they were.
    fn change_one(&self, answers: &mut Answers, r: &mut dyn Responder) -> Result<(), Stop> {
        let step = self.step;
        let mut which: Vec<String> = Vec::new();
        if let Some(b) = self.binding {
            which.push(format!("{} (asked again in full)", capitalised(&b.label())));
        }
        which.extend(
            step.evidence
                .iter()
                .map(|f| sanitize(&f.prompt.value).into_owned()),
        );
        which.push("Note".to_owned());
        which.push("When it was done".to_owned());
        let changed = match r.choose("Which answer?", &which) {
            Ok(0) if self.binding.is_some() => self.records(r).map(|b| answers.records = b),
            Ok(i) => {
                let i = i - usize::from(self.binding.is_some());
                if i < step.evidence.len() {
                    ask_field(&step.evidence[i], r, self.calendar).map(|v| answers.values[i] = v)
                } else if i == step.evidence.len() {
                    ask_note(r).map(|n| answers.note = n)
                } else {
                    ask_when(r, self.incident, self.calendar).map(|a| answers.at = a)
                }
            }
            Err(stop) => Err(stop),
        };
        match changed {
            // Escape while changing an answer keeps the one given before.
            Ok(()) | Err(Stop::Cancelled) => Ok(()),
            Err(stop) => Err(stop),
        }
    }
}

/// The step's note: several lines (or the editor), trimmed; `None` when left empty.
fn ask_note(r: &mut dyn Responder) -> Result<Option<String>, Stop> {
    let note = r.ask_long(
        "Note (optional)",
        "anything the record should say about this step; Enter for none",
    )?;
    Ok(Some(note.trim().to_owned()).filter(|n| !n.is_empty()))
}

/// Every answer of a step, as it will be recorded.
fn answers_summary(
    step: &crate::runbook::Step,
    binding: Option<Records>,
    answers: &Answers,
    calendar: &crate::clock::Calendar,
) -> String {
    let mut summary = format!("Record `{}` as done:", step.id.value);
    if let Some(b) = binding {
        summary.push_str(&format!("\n  records: {}", b.label()));
        if let Some(bound) = &answers.records {
            for line in bound_lines(bound) {
                summary.push_str(&format!("\n    {line}"));
            }
        }
    }
    for (field, value) in step.evidence.iter().zip(&answers.values) {
        summary.push_str(&format!(
            "\n  {}: {}",
            field.name.value,
            value.as_deref().map_or("(empty)".into(), sanitize)
        ));
    }
    summary.push_str(&format!(
        "\n  note: {}",
        answers.note.as_deref().map_or("(none)".into(), sanitize)
    ));
    summary.push_str(&format!(
        "\n  when: {}",
        answers
            .at
            .as_ref()
            .map_or_else(|| "now".to_owned(), |a| calendar.local_display(a.at))
    ));
    summary
}

/// What a bound step's answers will record, one line each (the assessment by its conclusion and
/// who signed it; its factors were shown as they were answered).
fn bound_lines(bound: &Bound) -> Vec<String> {
    let or_none = |v: &Option<String>| v.as_deref().map_or("(none)".into(), sanitize).into_owned();
    match bound {
        Bound::Assessment(draft) => vec![
            format!(
                "determination: {}",
                draft.determination.map_or("(none)", |d| d.label())
            ),
            format!(
                "signed by: {} ({})",
                or_none(&draft.signed_by),
                or_none(&draft.role)
            ),
        ],
        Bound::Counts {
            affected,
            unreachable,
            states,
        } => vec![
            format!("affected: {}", or_none(affected)),
            format!("unreachable: {}", or_none(unreachable)),
            format!(
                "per state: {}",
                if states.is_empty() {
                    "(none)".to_owned()
                } else {
                    sanitize(&states.join(", ")).into_owned()
                }
            ),
        ],
        Bound::Delay {
            kind,
            official,
            stated,
            until,
        } => vec![
            format!(
                "statement: {} of {stated} by {}",
                match kind {
                    Statement::Oral => "oral",
                    Statement::Written => "written",
                },
                sanitize(official)
            ),
            format!(
                "until: {}",
                until
                    .as_deref()
                    .unwrap_or("(none given: at most 30 days for an oral statement, 164.412(b))")
            ),
        ],
        Bound::Notice {
            date,
            method,
            count,
            state,
            despite_hold,
            ..
        } => {
            let mut lines = vec![
                format!("sent on: {date}"),
                format!("method: {method}"),
                format!(
                    "count: {}",
                    count.map_or("(not counted)".into(), |c| c.to_string())
                ),
            ];
            if let Some(state) = state {
                lines.push(format!("state: {}", sanitize(state)));
            }
            if let Some(reason) = despite_hold {
                lines.push(format!("despite the hold: {}", sanitize(reason)));
            }
            lines
        }
    }
}

/// What the person chose when a law-enforcement hold covers the notice a step records.
enum HoldAnswer {
    NoHold,
    Stop,
    /// Record it anyway: the reason `--despite-hold --reason` requires.
    Despite(String),
}

/// When a hold covers the notice to `to` today or later: who asked, until when, which notices;
/// then stop, or record despite the hold with a reason.
fn hold_in_view(
    incident: &Incident,
    to: Audience,
    r: &mut dyn Responder,
    calendar: &crate::clock::Calendar,
) -> Result<HoldAnswer, Stop> {
    let today = calendar.local_date(calendar.now());
    let facts = &incident.facts;
    let periods = crate::incident::obligations::hold_periods_for(
        &facts.law_enforcement_holds,
        facts.hold_lifted_on,
        to,
    );
    let Some(period) = periods.iter().find(|p| p.until >= today) else {
        return Ok(HoldAnswer::NoHold);
    };
    let asked: Vec<String> = facts
        .law_enforcement_holds
        .iter()
        .filter(|d| d.covers(to))
        .map(|d| {
            format!(
                "{} statement of {} by {} ({})",
                match d.statement {
                    Statement::Oral => "an oral",
                    Statement::Written => "a written",
                },
                d.stated_on,
                sanitize(&d.official),
                d.scope()
            )
        })
        .collect();
    r.say(&wrap(
        &format!(
            "⚠ A law-enforcement hold covers this notice: notices to {} are held from {} to {} (45 CFR 164.412), on {}.",
            to.label(),
            period.from,
            period.until,
            asked.join("; ")
        ),
        render::terminal::width(),
        "",
    ));
    let options = [
        "Stop: the notice waits (back to the step)".to_owned(),
        "Record it despite the hold (a reason is required)".to_owned(),
    ];
    if r.choose("The notice is held. What now?", &options)? == 0 {
        return Ok(HoldAnswer::Stop);
    }
    Ok(HoldAnswer::Despite(ask_long_nonempty(
        r,
        "Why did the notice go out despite the hold?",
        "a sentence for the record: who decided, on what grounds",
    )?))
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
            let stated = ask_past_date(r, today, "The date of the statement")?;
            let until = if written {
                Some(ask_past_date(
                    r,
                    today,
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
        Records::Notice(to) => ask_notice(to, incident, r, today)?,
    })
}

/// A notice: the guidance for its audience, then date, method (only those the rule allows),
/// the state where one is named, and the count.
fn ask_notice(
    to: Audience,
    incident: &Incident,
    r: &mut dyn Responder,
    today: chrono::NaiveDate,
) -> Result<Bound, Stop> {
    for line in notice_guidance(incident, to, today) {
        r.say(&line);
    }
    let date = ask_past_date(r, today, "Date the notice was sent")?;
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
    let count =
        ask_count(r, "How many notices were sent?", true)?.and_then(|c| c.parse::<u64>().ok());
    Ok(Bound::Notice {
        date,
        method,
        count,
        state,
        again: false,
        despite_hold: None,
        reason: None,
    })
}

/// A date no later than today, asked again until it is one.
fn ask_past_date(
    r: &mut dyn Responder,
    today: chrono::NaiveDate,
    prompt: &str,
) -> Result<String, Stop> {
    loop {
        let answer = r.ask(prompt, "YYYY-MM-DD")?;
        match clock::parse_date(&answer) {
            Some(d) if d <= today => break Ok(answer.trim().to_owned()),
            Some(_) => r.say(&format!("✗ That date is after today ({today}). Try again.")),
            None => r.say("✗ Expected a date, YYYY-MM-DD. Try again."),
        }
    }
}

/// A whole number (or `unknown` where a count is required), asked again until it is one;
/// `None` when an optional count is left empty.
fn ask_count(r: &mut dyn Responder, prompt: &str, optional: bool) -> Result<Option<String>, Stop> {
    let help = if optional {
        "a whole number; Enter when not counted"
    } else {
        "a whole number, or `unknown`"
    };
    loop {
        let answer = r.ask(prompt, help)?;
        let t = answer.trim();
        if t.is_empty() && optional {
            break Ok(None);
        }
        if t.parse::<u64>().is_ok() || (!optional && t.eq_ignore_ascii_case("unknown")) {
            break Ok(Some(t.to_owned()));
        }
        r.say("✗ Expected a whole number. Try again.");
    }
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
