//! The commands of the regulatory clock: `facts`, `assess`, `notify`, `deadlines`.
//!
//! A change that can move a deadline (a fact, an assessment) is checked against the verified
//! state and written as one entry that also carries every due date it moved, so the record of
//! the change and the record of its effect cannot be separated by a crash.

use chrono::{Local, NaiveDate};
use serde_json::json;

use super::{Outcome, Settings, check_text, json_doc, load_current, record, written};
use crate::cli::{AssessArgs, FactsArgs, NoticeAudience, NotifyArgs};
use crate::clock::obligations::{self, Audience, Clock};
use crate::clock::{self, parse_date};
use crate::error::Error;
use crate::incident::event::{
    Assessment, Determination, ExceptionKind, Factor, Factors, FactsChanged, NoticeSent, Rating,
};
use crate::incident::facts::{Delay, JURISDICTIONS, Statement};
use crate::incident::{Count, Event, FactsUpdate, Incident};
use crate::render::terminal;
use crate::text::{sanitize, wrap};

/// Today's calendar date in the organisation's time zone.
fn today() -> Result<NaiveDate, Error> {
    Ok(clock::now()?.with_timezone(&Local).date_naive())
}

fn parse_count(flag: &str, text: &str) -> Result<Count, Error> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("unknown") {
        return Ok(Count::UNKNOWN);
    }
    t.parse::<u64>()
        .ok()
        .filter(|n| *n <= 1_000_000_000)
        .map(Count::Known)
        .ok_or_else(|| Error::input(format!("{flag}: expected a whole number or `unknown`")))
}

pub(super) fn parse_yes_no(flag: &str, text: &str) -> Result<bool, Error> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" => Ok(true),
        "no" | "n" | "false" => Ok(false),
        _ => Err(Error::input(format!("{flag}: expected yes or no"))),
    }
}

/// A past or present calendar date.
fn parse_past_date(flag: &str, text: &str, today: NaiveDate) -> Result<NaiveDate, Error> {
    let date = parse_date(text).ok_or_else(|| {
        Error::input(format!(
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

pub(super) fn parse_state(text: &str) -> Result<String, Error> {
    let code = text.trim().to_ascii_uppercase();
    if JURISDICTIONS.contains(&code.as_str()) {
        Ok(code)
    } else {
        Err(Error::input(format!(
            "`{}` is not the postal code of a US state, DC or territory",
            sanitize(text.trim())
        )))
    }
}

/// The update `breach facts` asks for, checked field by field.
pub fn facts_update(args: &FactsArgs, today: NaiveDate) -> Result<FactsUpdate, Error> {
    let mut update = FactsUpdate {
        affected: args
            .affected
            .as_deref()
            .map(|a| parse_count("--affected", a))
            .transpose()?,
        unreachable: args
            .unreachable
            .as_deref()
            .map(|u| parse_count("--unreachable", u))
            .transpose()?,
        ..FactsUpdate::default()
    };
    for state in &args.states {
        let (code, n) = state
            .split_once('=')
            .ok_or_else(|| Error::input(format!("--state `{}` must be XX=N", sanitize(state))))?;
        let code = parse_state(code).map_err(|e| Error::input(format!("--state: {e}")))?;
        let n = n
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= 1_000_000_000)
            .ok_or_else(|| Error::input(format!("--state {code}=…: expected a whole number")))?;
        if update.states.insert(code.clone(), n).is_some() {
            return Err(Error::input(format!("--state {code} is given twice")));
        }
    }
    if let Some(d) = &args.discovered {
        update.discovered = Some(clock::parse_past(d, "--discovered", clock::now()?)?);
    }
    update.breach_started = args
        .breach_started
        .as_deref()
        .map(|d| parse_past_date("--breach-started", d, today))
        .transpose()?;
    update.breach_ended = args
        .breach_ended
        .as_deref()
        .map(|d| parse_past_date("--breach-ended", d, today))
        .transpose()?;
    update.business_associate = args
        .business_associate
        .as_deref()
        .map(|b| parse_yes_no("--business-associate", b))
        .transpose()?;
    if let Some(kind) = &args.delay {
        let statement = match kind.trim().to_ascii_lowercase().as_str() {
            "oral" => Statement::Oral,
            "written" => Statement::Written,
            _ => return Err(Error::input("--delay: expected oral or written")),
        };
        let official = check_text(
            "--delay-official",
            args.delay_official.as_deref().unwrap_or(""),
            false,
        )?;
        let stated_on = parse_past_date(
            "--delay-stated",
            args.delay_stated.as_deref().unwrap_or(""),
            today,
        )?;
        let until = args
            .delay_until
            .as_deref()
            .map(|u| {
                parse_date(u)
                    .ok_or_else(|| Error::input("--delay-until: expected a date (YYYY-MM-DD)"))
            })
            .transpose()?;
        if statement == Statement::Written && until.is_none() {
            return Err(Error::input(
                "--delay written: a written statement specifies the period; give its end with --delay-until DATE",
            ));
        }
        if until.is_some_and(|u| u < stated_on) {
            return Err(Error::input("--delay-until is before the statement's date"));
        }
        update.law_enforcement_delay = Some(Delay {
            statement,
            official,
            stated_on,
            until,
        });
    } else if args.delay_until.is_some()
        || args.delay_official.is_some()
        || args.delay_stated.is_some()
    {
        return Err(Error::input(
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

/// The incident as it would be after `update`, to compare due dates.
fn with_update(incident: &Incident, update: &FactsUpdate) -> Incident {
    let mut next = incident.clone();
    next.facts = incident.facts.updated(update);
    if let Some(d) = &update.discovered {
        next.discovered = d.clone();
    }
    next
}

pub(super) fn facts(settings: &Settings, args: FactsArgs) -> Result<Outcome, Error> {
    let update = facts_update(&args, today()?)?;
    let reason = args
        .reason
        .as_deref()
        .map(|r| check_text("--reason", r, true))
        .transpose()?;
    if update.is_empty() {
        if reason.is_some() {
            return Err(Error::input(
                "--reason explains a change: give the facts that changed",
            ));
        }
        let (_, incident) = load_current(settings)?;
        return Ok(Outcome::ok(show_facts(settings, &incident)));
    }
    let (incident, event, head) = record(settings, |_, incident| {
        let after = with_update(incident, &update);
        if let Some(problem) = after.facts.inconsistency() {
            return Err(Error::refused(format!("not recorded: {problem}")));
        }
        let recomputed = obligations::changes(&incident.due_dates(), &after.due_dates());
        Ok(Event::FactsChanged(Box::new(FactsChanged {
            update: update.clone(),
            reason: reason.clone(),
            recomputed,
        })))
    })?;
    let Event::FactsChanged(change) = &event else {
        unreachable!("facts records a facts change")
    };
    let mut message = String::from("Facts recorded.");
    for c in &change.recomputed {
        message.push_str(&format!("\n  {}", describe_change(c)));
    }
    if settings.json {
        return Ok(Outcome::ok(json_doc(&json!({
            "id": incident.id, "head": head, "recomputed": change.recomputed,
        }))));
    }
    Ok(written(settings, &incident, message, &head))
}

fn describe_change(c: &obligations::DueChange) -> String {
    let what = match &c.state {
        Some(s) => format!("{} ({s})", c.key),
        None => c.key.clone(),
    };
    match (c.old, c.new) {
        (Some(o), Some(n)) => format!("{what}: due {o} -> {n}"),
        (None, Some(n)) => format!("{what}: now applies, due {n}"),
        (Some(o), None) => format!("{what}: no longer applies (was due {o})"),
        (None, None) => what,
    }
}

fn show_facts(settings: &Settings, incident: &Incident) -> String {
    let f = &incident.facts;
    if settings.json {
        return json_doc(&json!({
            "id": incident.id,
            "discovered": incident.discovered,
            "facts": f,
        }));
    }
    let count = |c: Option<u64>| c.map_or_else(|| "unknown".to_owned(), |n| n.to_string());
    let states = if f.states.is_empty() {
        "none recorded".to_owned()
    } else {
        f.states
            .iter()
            .map(|(s, n)| format!("{s}={n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "Facts of {}\n  discovered           {}\n  affected             {}\n  residents by state   {states}\n  unreachable          {}\n  business associate   {}\n",
        incident.id,
        terminal::discovered_line(&incident.discovered),
        count(f.affected),
        count(f.unreachable),
        if f.business_associate { "yes" } else { "no" },
    );
    if let Some(d) = f.breach_started {
        out.push_str(&format!("  breach started       {d}\n"));
    }
    if let Some(d) = f.breach_ended {
        out.push_str(&format!("  breach ended         {d}\n"));
    }
    if let Some(d) = &f.law_enforcement_delay {
        out.push_str(&format!(
            "  law-enforcement hold {:?} statement of {} by {}; notices held until {}\n",
            d.statement,
            d.stated_on,
            sanitize(&d.official),
            d.held_until()
        ));
    }
    out
}

fn rating(flag: &str, text: &str) -> Result<Rating, Error> {
    match text.trim().to_ascii_lowercase().as_str() {
        "low" => Ok(Rating::Low),
        "medium" => Ok(Rating::Medium),
        "high" => Ok(Rating::High),
        _ => Err(Error::input(format!(
            "{flag}: expected low, medium or high"
        ))),
    }
}

fn exception_kind(text: &str) -> Result<ExceptionKind, Error> {
    match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
        "none" => Ok(ExceptionKind::None),
        "unintentional-workforce-use" => Ok(ExceptionKind::UnintentionalWorkforceUse),
        "inadvertent-disclosure" => Ok(ExceptionKind::InadvertentDisclosure),
        "could-not-retain" => Ok(ExceptionKind::CouldNotRetain),
        _ => Err(Error::input(
            "--exception: expected none, unintentional-workforce-use, inadvertent-disclosure or could-not-retain",
        )),
    }
}

fn determination(text: &str) -> Result<Determination, Error> {
    match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
        "notification-required" => Ok(Determination::NotificationRequired),
        "low-probability" => Ok(Determination::LowProbability),
        "exception" => Ok(Determination::Exception),
        "secured" => Ok(Determination::Secured),
        _ => Err(Error::input(
            "--determination: expected notification-required, low-probability, exception or secured",
        )),
    }
}

/// Builds the assessment from flags; in a terminal, asks for whatever is missing.
fn assessment_from(settings: &Settings, mut args: AssessArgs) -> Result<Assessment, Error> {
    let missing = |a: &AssessArgs| {
        let mut m = Vec::new();
        for (flag, v) in [
            ("--secured", &a.secured),
            ("--exception", &a.exception),
            ("--determination", &a.determination),
            ("--signed-by", &a.signed_by),
            ("--role", &a.role),
        ] {
            if v.is_none() {
                m.push(flag);
            }
        }
        m
    };
    if !missing(&args).is_empty() && settings.interactive {
        let mut prompts = crate::walk::TerminalResponder::new();
        crate::walk::ask_assessment(&mut prompts, &mut args)
            .map_err(|_| Error::Interrupted("stopped: no assessment was recorded".to_owned()))?;
    }
    let still = missing(&args);
    if !still.is_empty() {
        return Err(Error::input(format!(
            "`breach assess` needs {} (or run it in a terminal to be asked)",
            still.join(", ")
        )));
    }
    let text = |flag: &str, v: &Option<String>| {
        v.as_deref().map(|t| check_text(flag, t, true)).transpose()
    };
    let factor = |flag: &str,
                  r: &Option<String>,
                  why_flag: &str,
                  why: &Option<String>|
     -> Result<Option<Factor>, Error> {
        match (r, why) {
            (None, None) => Ok(None),
            (Some(r), Some(w)) => Ok(Some(Factor {
                rating: rating(flag, r)?,
                rationale: check_text(why_flag, w, true)?,
            })),
            (Some(_), None) => Err(Error::input(format!(
                "{flag} needs its rationale: {why_flag} TEXT"
            ))),
            (None, Some(_)) => Err(Error::input(format!(
                "{why_flag} needs its rating: {flag} low|medium|high"
            ))),
        }
    };
    let four = [
        factor("--nature", &args.nature, "--nature-why", &args.nature_why)?,
        factor(
            "--recipient",
            &args.recipient,
            "--recipient-why",
            &args.recipient_why,
        )?,
        factor(
            "--acquired",
            &args.acquired,
            "--acquired-why",
            &args.acquired_why,
        )?,
        factor(
            "--mitigation",
            &args.mitigation,
            "--mitigation-why",
            &args.mitigation_why,
        )?,
    ];
    let given = four.iter().filter(|f| f.is_some()).count();
    let factors = match four {
        [
            Some(nature),
            Some(recipient),
            Some(acquired),
            Some(mitigation),
        ] => Some(Factors {
            nature,
            recipient,
            acquired,
            mitigation,
        }),
        _ if given == 0 => None,
        _ => {
            return Err(Error::input(
                "the four factors go together: give --nature, --recipient, --acquired and --mitigation, each with its -why",
            ));
        }
    };
    let assessment = Assessment {
        phi_secured: parse_yes_no("--secured", args.secured.as_deref().unwrap_or(""))?,
        secured_basis: text("--secured-basis", &args.secured_basis)?,
        exception: exception_kind(args.exception.as_deref().unwrap_or(""))?,
        exception_basis: text("--exception-basis", &args.exception_basis)?,
        factors,
        determination: determination(args.determination.as_deref().unwrap_or(""))?,
        rationale: text("--rationale", &args.rationale)?,
        signed_by: check_text(
            "--signed-by",
            args.signed_by.as_deref().unwrap_or(""),
            false,
        )?,
        role: check_text("--role", args.role.as_deref().unwrap_or(""), false)?,
        recomputed: Vec::new(),
    };
    if let Some(problem) = assessment.problem() {
        return Err(Error::input(format!("not recorded: {problem}")));
    }
    Ok(assessment)
}

pub(super) fn assess(settings: &Settings, args: AssessArgs) -> Result<Outcome, Error> {
    let assessment = assessment_from(settings, args)?;
    let (incident, event, head) = record(settings, |_, incident| {
        let mut after = incident.clone();
        after.facts.notification_required = assessment.determination.requires_notification();
        let mut a = assessment.clone();
        a.recomputed = obligations::changes(&incident.due_dates(), &after.due_dates());
        Ok(Event::Assessed(Box::new(a)))
    })?;
    let Event::Assessed(a) = &event else {
        unreachable!("assess records an assessment")
    };
    if settings.json {
        return Ok(Outcome::ok(json_doc(&json!({
            "id": incident.id, "head": head, "determination": a.determination, "recomputed": a.recomputed,
        }))));
    }
    let mut message = format!(
        "Assessment recorded: {}{}.",
        a.determination.label(),
        if incident.assessment.is_some() {
            " (supersedes the earlier assessment)"
        } else {
            ""
        }
    );
    if !a.determination.requires_notification() {
        message.push_str("\n  No notice obligations apply while this determination stands; `breach deadlines` says so.");
    }
    for c in &a.recomputed {
        message.push_str(&format!("\n  {}", describe_change(c)));
    }
    Ok(written(settings, &incident, message, &head))
}

pub(super) fn notify(settings: &Settings, args: NotifyArgs) -> Result<Outcome, Error> {
    let today = today()?;
    let to = match args.to {
        NoticeAudience::Individuals => Audience::Individuals,
        NoticeAudience::Substitute => Audience::Substitute,
        NoticeAudience::Hhs => Audience::Hhs,
        NoticeAudience::Media => Audience::Media,
        NoticeAudience::CoveredEntity => Audience::CoveredEntity,
    };
    let date = parse_past_date("--date", &args.date, today)?;
    let state = args.state.as_deref().map(parse_state).transpose()?;
    match (to, &state) {
        (Audience::Media, None) => {
            return Err(Error::input(
                "--to media needs --state XX: media notice is per state or jurisdiction",
            ));
        }
        (Audience::Media, Some(_)) => {}
        (_, Some(_)) => return Err(Error::input("--state applies to media notice only")),
        _ => {}
    }
    let notice = NoticeSent {
        to,
        date,
        method: check_text("--method", &args.method, false)?,
        count: args.count,
        state,
        note: args
            .note
            .as_deref()
            .map(|n| check_text("--note", n, true))
            .transpose()?,
    };
    let (incident, _, head) = record(settings, |_, incident| {
        if date < incident.discovered.date {
            return Err(Error::input(format!(
                "--date {date} is before the breach was discovered ({})",
                incident.discovered.date
            )));
        }
        Ok(Event::NoticeSent(notice.clone()))
    })?;
    // Say which obligation the notice meets, from the state as it is now.
    let after = {
        let mut i = incident.clone();
        i.notices.push(crate::incident::Signed {
            at: String::new(),
            by: String::new(),
            seq: head.seq,
            value: notice.clone(),
        });
        i.clock(today)
    };
    let met: Vec<String> = after
        .obligations
        .iter()
        .filter(|o| {
            o.met_on == Some(date)
                && o.key.audience() == to
                && (o.state.is_none() || o.state == notice.state)
        })
        .map(|o| {
            format!(
                "{} is {} (due {})",
                obligation_name(o),
                o.status.label(),
                o.due
            )
        })
        .collect();
    let message = if met.is_empty() {
        "Notice recorded. It meets no open obligation (see `breach deadlines`).".to_owned()
    } else {
        format!("Notice recorded: {}.", met.join("; "))
    };
    Ok(written(settings, &incident, message, &head))
}

fn obligation_name(o: &obligations::Obligation) -> String {
    match &o.state {
        Some(s) => format!("{} ({s})", o.key.name()),
        None => o.key.name().to_owned(),
    }
}

pub(super) fn deadlines(settings: &Settings) -> Result<Outcome, Error> {
    let (_, incident) = load_current(settings)?;
    let today = today()?;
    let clock = incident.clock(today);
    if settings.json {
        return Ok(Outcome::ok(json_doc(
            &crate::render::export::deadlines_json(&incident, &clock, today),
        )));
    }
    Ok(Outcome::ok(deadlines_text(
        &incident,
        &clock,
        today,
        terminal::width(),
    )))
}

fn days_phrase(o: &obligations::Obligation) -> String {
    match o.status {
        obligations::Status::Met | obligations::Status::MetLate => {
            format!(
                "sent {}",
                o.met_on.map(|d| d.to_string()).unwrap_or_default()
            )
        }
        _ if o.days_left < 0 => format!("{} day(s) overdue", -o.days_left),
        _ if o.days_left == 0 => "due today".to_owned(),
        _ => format!("{} day(s) left", o.days_left),
    }
}

pub(super) fn deadlines_text(
    incident: &Incident,
    clock: &Clock,
    today: NaiveDate,
    width: usize,
) -> String {
    let mut out = format!(
        "Deadlines for {} (discovered {}; today {today})\n",
        incident.id, incident.discovered.date
    );
    if let Some(rests) = incident.rests_on() {
        out.push_str(&wrap(&format!("Determination: {rests}"), width, ""));
        out.push('\n');
    }
    if clock.obligations.is_empty() {
        out.push_str(&wrap(
            "No notice obligations apply: the recorded determination is that notification is not required. Keep the assessment: it is the proof (45 CFR 164.414(b)).",
            width,
            "",
        ));
        out.push('\n');
    }
    out.push('\n');
    for o in &clock.obligations {
        let what = o.label();
        out.push_str(&format!(
            "  {:<9} {:<32} due {}  {}\n",
            o.status.label(),
            what,
            o.due,
            days_phrase(o)
        ));
        let mut detail = format!("{}. {}", o.why, o.basis);
        if let Some(h) = o.held_until {
            detail.push_str(&format!(
                " Held by a law-enforcement delay until {h} (45 CFR 164.412)."
            ));
        }
        out.push_str(&wrap(&detail, width, "            "));
        out.push('\n');
    }
    for a in clock.assumptions.iter().chain(&clock.warnings) {
        out.push('\n');
        out.push_str(&wrap(&format!("Note: {a}"), width, ""));
        out.push('\n');
    }
    out
}

/// The lines `status` leads with: overdue obligations, then the next deadline.
pub(super) fn deadline_summary(incident: &Incident, today: NaiveDate) -> String {
    let clock = incident.clock(today);
    let mut lines = Vec::new();
    for o in clock
        .obligations
        .iter()
        .filter(|o| o.status == obligations::Status::Overdue)
    {
        lines.push(format!(
            "  OVERDUE  {} due {} ({})",
            obligation_name(o),
            o.due,
            days_phrase(o)
        ));
    }
    if let Some(o) = clock
        .obligations
        .iter()
        .find(|o| o.status == obligations::Status::Pending)
    {
        lines.push(format!(
            "  next     {} due {} ({})",
            obligation_name(o),
            o.due,
            days_phrase(o)
        ));
    }
    if clock.obligations.is_empty() {
        lines.push(
            "  none: the recorded determination is that notification is not required".to_owned(),
        );
    } else if lines.is_empty() {
        lines.push("  every obligation is met".to_owned());
    }
    format!(
        "\nDeadlines (see `breach deadlines`)\n{}\n",
        lines.join("\n")
    )
}
