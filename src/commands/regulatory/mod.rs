//! The commands of the regulatory clock: `facts`, `assess`, `notify`, `deadlines`.
//!
//! A change that can move a deadline (a fact, an assessment) is checked against the verified
//! state and written as one entry that also carries every due date it moved, so the record of
//! the change and the record of its effect cannot be separated by a crash.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Outcome, Session, record, written};
use crate::cli::{
    AssessArgs, AssessValues, DelayKind, DeterminationArg, ExceptionArg, FactsArgs, NoticeAudience,
    NotifyArgs, RatingArg, SecuredBasisArg, YesNo,
};
use crate::clock::{self, GivenTime, parse_date};
use crate::error::Error;
use crate::incident::action::NOTICE_METHODS;
use crate::incident::assessment::{AssessmentDraft, FactorDraft};
use crate::incident::event::{
    Determination, ExceptionKind, FactsChanged, NoticeSent, Rating, SecuredBy,
};
use crate::incident::facts::{DateOrUnknown, Delay, JURISDICTIONS, Statement};
use crate::incident::input::check_text;
use crate::incident::obligations::{self, Audience, DueChange};
use crate::incident::{Count, Event, Facts, FactsUpdate, Incident};
use crate::render::deadlines::{DeadlinesView, deadlines_text, describe_change, obligation_name};
use crate::render::terminal;
use crate::runbook::Records;
use crate::text::sanitize;

mod assess;
mod notify;

pub(super) use assess::{assess, assessment_event, assessment_message, draft_from};
pub(super) use notify::{NoticeRequest, notice_event, notice_from, notice_message, notify};

fn parse_count(flag: &str, text: &str) -> Result<Count, Error> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("unknown") {
        return Ok(Count::UNKNOWN);
    }
    t.parse::<u64>()
        .ok()
        .filter(|n| *n <= 1_000_000_000)
        .map(Count::Known)
        .ok_or_else(|| Error::usage(format!("{flag}: expected a whole number or `unknown`")))
}

/// A past or present calendar date.
fn parse_past_date(flag: &str, text: &str, today: NaiveDate) -> Result<NaiveDate, Error> {
    let date = parse_date(text).ok_or_else(|| {
        Error::usage(format!(
            "{flag}: `{}` is not a date (YYYY-MM-DD)",
            sanitize(text.trim())
        ))
    })?;
    if date > today {
        return Err(Error::input(format!(
            "{flag}: {date} is in the future (today is {today})"
        )));
    }
    Ok(date)
}

/// The postal code of a US state, DC or territory.
pub(super) fn parse_state(text: &str) -> Result<String, Error> {
    let code = text.trim().to_ascii_uppercase();
    if JURISDICTIONS.contains(&code.as_str()) {
        Ok(code)
    } else {
        Err(Error::usage(format!(
            "`{}` is not the postal code of a US state, DC or territory",
            sanitize(text.trim())
        )))
    }
}

/// `XX=N` as a state and a count.
pub(super) fn parse_state_count(flag: &str, text: &str) -> Result<(String, u64), Error> {
    let (code, n) = text
        .split_once('=')
        .ok_or_else(|| Error::usage(format!("{flag} `{}` must be XX=N", sanitize(text))))?;
    let code = parse_state(code).map_err(|e| Error::usage(format!("{flag}: {e}")))?;
    let n = n
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n <= 1_000_000_000)
        .ok_or_else(|| Error::usage(format!("{flag} {code}=…: expected a whole number")))?;
    Ok((code, n))
}

/// The dates `breach facts` asks to record, each refused in the future.
fn dates_update(
    args: &FactsArgs,
    calendar: &clock::Calendar,
    now: chrono::DateTime<chrono::Utc>,
    update: &mut FactsUpdate,
) -> Result<(), Error> {
    let today = calendar.local_date(now);
    if let Some(d) = &args.discovered {
        update.discovered = Some(calendar.parse_past(d, "--discovered", now)?);
    }
    update.breach_started = args
        .breach_started
        .as_deref()
        .map(|d| {
            if d.trim().eq_ignore_ascii_case("unknown") {
                Ok(DateOrUnknown::UNKNOWN)
            } else {
                parse_past_date("--breach-started", d, today).map(DateOrUnknown::Known)
            }
        })
        .transpose()?;
    update.breach_ended = args
        .breach_ended
        .as_deref()
        .map(|d| parse_past_date("--breach-ended", d, today))
        .transpose()?;
    update.ready_to_notify = args
        .ready_to_notify
        .as_deref()
        .map(|d| parse_past_date("--ready-to-notify", d, today))
        .transpose()?;
    update.identities_delivered = args
        .identities_delivered
        .as_deref()
        .map(|d| parse_past_date("--identities-delivered", d, today))
        .transpose()?;
    Ok(())
}

/// The update `breach facts` asks for, checked field by field.
pub(crate) fn facts_update(
    args: &FactsArgs,
    calendar: &clock::Calendar,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<FactsUpdate, Error> {
    let today = calendar.local_date(now);
    let mut update = counts_update(
        args.affected.as_deref(),
        args.unreachable.as_deref(),
        &args.states,
    )?;
    dates_update(args, calendar, now, &mut update)?;
    update.business_associate = args.business_associate.map(YesNo::is_yes);
    update.ba_agreement_days = args.ba_agreement_days;
    update.covered_entities = args
        .covered_entities
        .iter()
        .map(|name| check_text("--covered-entity", name, false))
        .collect::<Result<_, _>>()?;
    update.email_consent = args.email_consent;
    update.deceased = args.deceased;
    if let Some(path) = &args.roster {
        roster_update(path, &mut update)?;
    }
    update.returned = args.returned;
    if let Some(kind) = args.delay {
        let statement = match kind {
            DelayKind::Oral => Statement::Oral,
            DelayKind::Written => Statement::Written,
        };
        update.law_enforcement_delay = Some(delay_statement(
            statement,
            args.delay_official.as_deref().unwrap_or(""),
            args.delay_stated.as_deref().unwrap_or(""),
            args.delay_until.as_deref(),
            delay_covers(&args.delay_covers)?,
            today,
        )?);
    } else if args.delay_until.is_some()
        || args.delay_official.is_some()
        || args.delay_stated.is_some()
        || !args.delay_covers.is_empty()
    {
        return Err(Error::usage(
            "--delay-official, --delay-stated and --delay-until describe a --delay oral|written",
        ));
    }
    update.delay_lifted = args.delay_lifted;
    let text = |flag: &str, v: &Option<String>| {
        v.as_deref().map(|t| check_text(flag, t, true)).transpose()
    };
    update.notice.what_happened = text("--what-happened", &args.what_happened)?;
    update.notice.phi_types = text("--phi-types", &args.phi_types)?;
    update.notice.protective_steps = text("--protective-steps", &args.protective_steps)?;
    update.notice.our_response = text("--our-response", &args.our_response)?;
    Ok(update)
}

/// The counts a roster gives, as `facts --affected/--state/--unreachable` would record them,
/// with its seal. The file is read once, here; nothing of it but counts and its hash is kept,
/// and what is ignored is said by column name only.
fn roster_update(path: &std::path::Path, update: &mut FactsUpdate) -> Result<(), Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
    if !meta.is_file() {
        return Err(Error::input(format!(
            "{}: the roster is not a regular file",
            path.display()
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    let counts =
        crate::incident::roster::count(std::io::BufReader::new(file), &path.display().to_string())?;
    if !counts.ignored_columns.is_empty() {
        eprintln!(
            "breach: the roster's columns {} are not read",
            counts.ignored_columns.join(", ")
        );
    }
    update.affected = Some(Count::Known(counts.affected));
    update.unreachable = Some(Count::Known(counts.unreachable));
    update.states = counts.states;
    update.deceased = Some(counts.deceased);
    update.email_consent = Some(counts.email_consent);
    update.roster = Some(counts.seal);
    Ok(())
}

/// The counts of `--affected`, `--unreachable` and `--state XX=N`, checked: from `breach facts`
/// or from `done` on a step that records them.
pub(super) fn counts_update(
    affected: Option<&str>,
    unreachable: Option<&str>,
    states: &[String],
) -> Result<FactsUpdate, Error> {
    let mut update = FactsUpdate {
        affected: affected.map(|a| parse_count("--affected", a)).transpose()?,
        unreachable: unreachable
            .map(|u| parse_count("--unreachable", u))
            .transpose()?,
        ..FactsUpdate::default()
    };
    for state in states {
        let (code, n) = parse_state_count("--state", state)?;
        if update.states.insert(code.clone(), n).is_some() {
            return Err(Error::usage(format!("--state {code} is given twice")));
        }
    }
    Ok(update)
}

/// The notices `--delay-covers` names (none: every notice), each once.
fn delay_covers(given: &[crate::cli::NoticeAudience]) -> Result<Vec<Audience>, Error> {
    let mut covers: Vec<Audience> = Vec::new();
    for a in given {
        let to = notify::audience(*a);
        if covers.contains(&to) {
            return Err(Error::usage(format!(
                "--delay-covers names {} twice",
                to.flag()
            )));
        }
        covers.push(to);
    }
    Ok(covers)
}

/// A law-enforcement statement (`--delay`, `--delay-official`, `--delay-stated`,
/// `--delay-until`), checked: a written one names the end of its period.
pub(super) fn delay_statement(
    statement: Statement,
    official: &str,
    stated: &str,
    until: Option<&str>,
    covers: Vec<Audience>,
    today: NaiveDate,
) -> Result<Delay, Error> {
    let official = check_text("--delay-official", official, false)?;
    let stated_on = parse_past_date("--delay-stated", stated, today)?;
    let until = until
        .map(|u| {
            parse_date(u).ok_or_else(|| Error::usage("--delay-until: expected a date (YYYY-MM-DD)"))
        })
        .transpose()?;
    if statement == Statement::Written && until.is_none() {
        return Err(Error::usage(
            "--delay written: a written statement specifies the period; give its end with --delay-until DATE",
        ));
    }
    if until.is_some_and(|u| u < stated_on) {
        return Err(Error::input("--delay-until is before the statement's date"));
    }
    Ok(Delay {
        statement,
        official,
        stated_on,
        until,
        covers,
    })
}

/// The incident as it would be after `update`, to compare due dates.
fn with_update(incident: &Incident, update: &FactsUpdate) -> Incident {
    let mut next = incident.clone();
    next.facts = incident.facts.updated(update);
    if let Some(d) = &update.discovered {
        next.discovered = d.clone();
    }
    next
}

/// `facts --json` after a change: the due dates it moved.
#[derive(Debug, Serialize)]
pub(crate) struct FactsRecorded<'a> {
    pub id: &'a str,
    pub head: &'a crate::log::Head,
    pub recomputed: &'a [DueChange],
}

/// `facts --json` with no flags: the facts as they stand.
#[derive(Debug, Serialize)]
pub(crate) struct FactsShown<'a> {
    pub id: &'a str,
    pub discovered: &'a GivenTime,
    pub facts: &'a Facts,
}

pub(super) fn facts(s: &Session, args: &FactsArgs) -> Result<Outcome, Error> {
    let update = facts_update(args, &s.calendar, s.now)?;
    let reason = args
        .reason
        .as_deref()
        .map(|r| check_text("--reason", r, true))
        .transpose()?;
    if update.discovered.is_some() && reason.is_none() {
        // The burden of proof is the organisation's (45 CFR 164.414(b)): a later discovery date
        // moves every deadline, so the record says why.
        return Err(Error::usage(
            "--discovered moves every deadline: give --reason saying why the discovery time changed (45 CFR 164.414(b))",
        ));
    }
    if update.is_empty() {
        if reason.is_some() {
            return Err(Error::usage(
                "--reason explains a change: give the facts that changed",
            ));
        }
        let (_, incident) = s.load_current()?;
        if s.json {
            return Ok(Outcome::json(&FactsShown {
                id: &incident.id,
                discovered: &incident.discovered,
                facts: &incident.facts,
            }));
        }
        return Ok(Outcome::ok(terminal::facts_text(&incident, &s.calendar)));
    }
    let mut update = update;
    if update.delay_lifted {
        // The day it was lifted: when it happened (--at), or today.
        update.delay_lifted_on = Some(s.happened.as_ref().map_or_else(|| s.today(), |h| h.at.date));
    }
    let (incident, event, head) = record_facts(s, update, reason, None)?;
    let Event::FactsChanged(change) = &event else {
        unreachable!("facts records a facts change")
    };
    if s.json {
        return Ok(Outcome::json(&FactsRecorded {
            id: &incident.id,
            head: &head,
            recomputed: &change.recomputed,
        })
        .recorded(&head));
    }
    let message = facts_message(&event);
    Ok(written(s, &incident, message, &head))
}

/// Records a change of facts, settling the steps bound to it (and `for_step`, for `done`).
pub(super) fn record_facts(
    s: &Session,
    update: FactsUpdate,
    reason: Option<String>,
    for_step: Option<&ForStep>,
) -> Result<(Incident, Event, crate::log::Head), Error> {
    record(s, |_, incident| {
        facts_event(s, incident, &update, reason.as_deref(), for_step)
    })
}

/// The entry a change of facts makes on `incident`, checked against it, with the due dates it
/// moves.
pub(super) fn facts_event(
    s: &Session,
    incident: &Incident,
    update: &FactsUpdate,
    reason: Option<&str>,
    for_step: Option<&ForStep>,
) -> Result<Event, Error> {
    if update.delay_lifted && incident.facts.law_enforcement_holds.is_empty() {
        return Err(Error::refused(
            "not recorded: no law-enforcement hold has been recorded, so there is none to lift",
        ));
    }
    let after = with_update(incident, update);
    if let Some(problem) = after.facts.inconsistency() {
        return Err(Error::refused(format!("not recorded: {problem}")));
    }
    if let Some(ready) = after.facts.ready_to_notify
        && ready < after.discovered.date
    {
        return Err(Error::refused(format!(
            "not recorded: --ready-to-notify {ready} is before the breach was discovered ({})",
            after.discovered.date
        )));
    }
    if let Some(start) = after.facts.breach_started
        && start > after.discovered.date
    {
        return Err(Error::refused(format!(
            "not recorded: the breach would have started ({start}) after it was discovered ({}); a breach is discovered after it starts (correct the discovery with --discovered --reason if that is what is wrong)",
            after.discovered.date
        )));
    }
    if let Some(d) = &update.discovered
        && let Some(first) = incident.notices.iter().min_by_key(|n| n.value.date)
        && d.date > first.value.date
    {
        return Err(Error::refused(format!(
            "not recorded: discovery on {} would come after the notice sent on {} (entry {}); a breach is discovered before it is notified",
            d.date, first.value.date, first.seq
        )));
    }
    let recomputed = obligations::changes(&incident.due_dates(), &after.due_dates());
    let event = Event::FactsChanged(Box::new(FactsChanged {
        update: update.clone(),
        reason: reason.map(str::to_owned),
        previous_discovered: update
            .discovered
            .as_ref()
            .map(|_| incident.discovered.clone()),
        recomputed,
        steps: Default::default(),
    }));
    settling(s, incident, event, for_step)
}

/// The due dates a change of facts moved, and the steps it settled.
pub(super) fn facts_message(event: &Event) -> String {
    let Event::FactsChanged(change) = event else {
        unreachable!("facts record a facts change")
    };
    let mut message = String::from("Facts recorded.");
    for c in &change.recomputed {
        message.push_str(&format!("\n  {}", describe_change(c)));
    }
    message.push_str(&settled_text(event));
    message
}

/// "Step `x` is done." for the steps an entry settled.
pub(super) fn settled_text(event: &Event) -> String {
    event
        .settles()
        .iter()
        .map(|step| format!("\n  Step `{step}` is done."))
        .collect()
}

/// The step that `done STEP` completes with the action it is bound to.
#[derive(Debug, Clone)]
pub(super) struct ForStep {
    pub step: String,
    pub note: Option<String>,
    pub evidence: Vec<(String, String)>,
}

/// Puts into `event` the open steps it settles. For `done STEP`, the step must be one of them,
/// or nothing is recorded and the refusal says what the step still lacks.
fn settling(
    s: &Session,
    incident: &Incident,
    mut event: Event,
    for_step: Option<&ForStep>,
) -> Result<Event, Error> {
    let settles = incident.settled_by(&event);
    let Some(part) = event.settles_mut() else {
        return Ok(event);
    };
    if let Some(fs) = for_step {
        let view = incident.check_transition(&fs.step, crate::incident::StepState::Done)?;
        if !settles.contains(&fs.step) {
            let mut after = incident.clone();
            after.apply(&event, incident.head.seq + 1, "", "");
            let lacks = match view.step.records.as_ref().map(|r| r.value) {
                Some(Records::Notice(to)) => match after.view(&fs.step) {
                    Some(v) if !v.active => v.because.unwrap_or_default(),
                    _ => format!(
                        "{}; record this part with `breach notify --to {}`, and the step is done with the notice that completes it",
                        after.notice_shortfall(to),
                        to.flag()
                    ),
                },
                Some(Records::Facts) => "the counts are not complete: give --affected N and --unreachable N (0 when everyone can be reached)".to_owned(),
                _ => "the action does not complete it".to_owned(),
            };
            return Err(Error::refused(format!(
                "not recorded: step `{}` would still not be done: {lacks}",
                fs.step
            )));
        }
        part.step_note = fs
            .note
            .as_deref()
            .map(|n| check_text("the note", n, true))
            .transpose()?;
        part.step_evidence =
            crate::incident::evidence::collect(view.step, &fs.evidence, &s.calendar)?;
    }
    part.settles = settles;
    Ok(event)
}

pub(super) fn deadlines(s: &Session) -> Result<Outcome, Error> {
    let (_, incident) = s.load_current()?;
    let today = s.today();
    let clock = incident.clock(today);
    if s.json {
        return Ok(Outcome::json(&DeadlinesView::new(
            &incident,
            &clock,
            today,
            s.calendar.zone_name(),
        )));
    }
    Ok(Outcome::ok(deadlines_text(
        &incident,
        &clock,
        today,
        &s.calendar.zone_name(),
        terminal::width(),
    )))
}
