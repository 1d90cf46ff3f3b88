//! `notify`: a notice sent, checked against the clock (its date, any law-enforcement hold, the
//! people it can reach, a retry) and recorded with what it met.

use super::*;
use crate::rules::MethodUse;

/// A notice as the flags of `notify` (or `done` on a notice step, or the walk) give it.
pub(in crate::commands) struct NoticeRequest<'a> {
    pub to: Audience,
    pub date: &'a str,
    pub method: &'a str,
    pub count: Option<u64>,
    pub state: Option<&'a str>,
    pub note: Option<&'a str>,
    /// `--despite-hold --reason`: why it went out during a law-enforcement hold.
    pub despite_hold: Option<&'a str>,
    /// `--remailed`: letters re-sent to a corrected address after the first came back.
    pub remailed: bool,
    /// `--addendum`: an addendum to the report HHS has.
    pub addendum: bool,
    /// `--entity`: the covered entity notified, of those the facts name.
    pub entity: Option<&'a str>,
}

/// The notice a request describes, each value checked.
pub(in crate::commands) fn notice_from(
    req: &NoticeRequest<'_>,
    today: NaiveDate,
) -> Result<NoticeSent, Error> {
    let date = parse_past_date("--date", req.date, today)?;
    let state = req.state.map(parse_state).transpose()?;
    match (req.to, &state) {
        (Audience::Media | Audience::Regulator | Audience::CreditBureaus, None) => {
            return Err(Error::usage(format!(
                "--to {} needs --state XX: that notice is per state or jurisdiction",
                req.to.flag()
            )));
        }
        (
            Audience::Media | Audience::Regulator | Audience::CreditBureaus | Audience::Individuals,
            _,
        ) => {}
        (_, Some(_)) => {
            return Err(Error::usage(
                "--state applies to media, regulator, credit-bureaus and individuals notice only",
            ));
        }
        _ => {}
    }
    if req.entity.is_some() && req.to != Audience::CoveredEntity {
        return Err(Error::usage(
            "--entity names the covered entity notified: --to covered-entity",
        ));
    }
    if req.addendum && (req.to != Audience::Hhs || req.method.trim() != "portal") {
        return Err(Error::usage(
            "--addendum is an addendum to the report on the OCR portal: --to hhs --method portal",
        ));
    }
    if req.remailed && (req.to != Audience::Individuals || req.method.trim() != "first-class-mail")
    {
        return Err(Error::usage(
            "--remailed is for letters to individuals re-sent by first-class mail (--to individuals --method first-class-mail)",
        ));
    }
    let method = NOTICE_METHODS
        .iter()
        .find(|(m, _)| *m == req.method.trim())
        .map(|(m, _)| (*m).to_owned())
        .ok_or_else(|| {
            Error::usage(format!(
                "--method `{}` is not one of {}",
                sanitize(req.method.trim()),
                NOTICE_METHODS
                    .iter()
                    .map(|(m, _)| *m)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    Ok(NoticeSent {
        steps: Default::default(),
        despite_hold: req
            .despite_hold
            .map(|r| check_text("--reason", r, true))
            .transpose()?,
        to: req.to,
        date,
        method,
        count: req.count,
        state,
        note: req
            .note
            .map(|n| check_text("--note", n, true))
            .transpose()?,
        not_counted: None,
        remailed: req.remailed,
        addendum: req.addendum,
        entity: req
            .entity
            .map(|e| check_text("--entity", e, false))
            .transpose()?,
    })
}

pub(in crate::commands) fn notify(s: &Session, args: &NotifyArgs) -> Result<Outcome, Error> {
    let reason = args
        .reason
        .as_deref()
        .map(|r| check_text("--reason", r, true))
        .transpose()?;
    let notice = notice_from(
        &NoticeRequest {
            to: audience(args.to),
            date: &args.date,
            method: args.method.as_str(),
            count: args.count,
            state: args.state.as_deref(),
            note: args.note.as_deref(),
            despite_hold: args.reason.as_deref().filter(|_| args.despite_hold),
            remailed: args.remailed,
            addendum: args.addendum,
            entity: args.entity.as_deref(),
        },
        s.today(),
    )?;
    let (incident, event, head) = record_notice(s, notice, args.again, reason.as_deref(), None)?;
    Ok(written(
        s,
        &incident,
        notice_message(s, &incident, &event, &head),
        &head,
    ))
}

pub(in crate::commands) fn audience(to: NoticeAudience) -> Audience {
    match to {
        NoticeAudience::Individuals => Audience::Individuals,
        NoticeAudience::Substitute => Audience::Substitute,
        NoticeAudience::Hhs => Audience::Hhs,
        NoticeAudience::Media => Audience::Media,
        NoticeAudience::CoveredEntity => Audience::CoveredEntity,
        NoticeAudience::NextOfKin => Audience::NextOfKin,
        NoticeAudience::Regulator => Audience::Regulator,
        NoticeAudience::CreditBureaus => Audience::CreditBureaus,
    }
}

/// A notice to a covered entity names one of those the facts record, when they record any
/// (each is owed its own notice, 164.410); one the facts do not name is refused.
fn one_of_the_covered_entities(incident: &Incident, notice: &NoticeSent) -> Result<(), Error> {
    let named = &incident.facts.covered_entities;
    if notice.to != Audience::CoveredEntity || named.is_empty() {
        return match (&notice.entity, notice.to) {
            (Some(_), Audience::CoveredEntity) => Err(Error::input(
                "--entity: no covered entity is recorded; name them first with `breach facts --covered-entity NAME`",
            )),
            _ => Ok(()),
        };
    }
    let list = named
        .iter()
        .map(|n| format!("\"{}\"", sanitize(n)))
        .collect::<Vec<_>>()
        .join(", ");
    match &notice.entity {
        Some(e) if named.contains(e) => Ok(()),
        Some(e) => Err(Error::input(format!(
            "--entity \"{}\" is not one of the covered entities recorded ({list})",
            sanitize(e)
        ))),
        None => Err(Error::usage(format!(
            "the facts name {} covered entities, each owed its own notice: say which with `breach notify --to covered-entity --entity NAME` (one of {list})",
            named.len()
        ))),
    }
}

/// Records a notice after the checks the law asks for (a hold, the people it can reach, a
/// retried command), settling the steps bound to it (and `for_step`, for `done`).
pub(in crate::commands) fn record_notice(
    s: &Session,
    notice: NoticeSent,
    again: bool,
    reason: Option<&str>,
    for_step: Option<&ForStep>,
) -> Result<(Incident, Event, crate::log::Head), Error> {
    record(s, |_, incident| {
        notice_event(s, incident, &notice, again, reason, for_step)
    })
}

/// The entry a notice makes on `incident`, checked against it: its date, any hold, whether its
/// method is one the rule allows for its audience (`reason` is why it is recorded when it is
/// not), the counts it can reach, a retry of the same notice.
pub(in crate::commands) fn notice_event(
    s: &Session,
    incident: &Incident,
    notice: &NoticeSent,
    again: bool,
    reason: Option<&str>,
    for_step: Option<&ForStep>,
) -> Result<Event, Error> {
    let date = notice.date;
    if date < incident.discovered.date {
        return Err(Error::input(format!(
            "--date {date} is before the breach was discovered ({})",
            incident.discovered.date
        )));
    }
    let held = obligations::hold_periods_for(
        &incident.facts.law_enforcement_holds,
        incident.facts.hold_lifted_on,
        notice.to,
    );
    if let Some(h) = held.iter().find(|h| h.from <= date && date <= h.until)
        && notice.despite_hold.is_none()
    {
        return Err(Error::refused(format!(
            "a law-enforcement hold is in force from {} to {} (45 CFR 164.412: notices are delayed); if this notice went out anyway, record it with --despite-hold --reason",
            h.from, h.until
        )));
    }
    one_of_the_covered_entities(incident, notice)?;
    let mut notice = notice.clone();
    notice.not_counted = not_counted(incident, &notice, reason)?;
    let notice = &notice;
    if notice.addendum && incident.hhs_told.is_none() {
        return Err(Error::refused(
            "no report to HHS is recorded yet, so there is nothing to add to: record the report first (without --addendum)",
        ));
    }
    within_reach(incident, notice)?;
    let same = |n: &NoticeSent| {
        n.to == notice.to
            && n.date == notice.date
            && n.method == notice.method
            && n.count == notice.count
            && n.state == notice.state
            && n.entity == notice.entity
    };
    if !again && let Some(earlier) = incident.notices.iter().find(|n| same(&n.value)) {
        return Err(Error::refused(format!(
            "an identical notice is already recorded (entry {}, by {}); if this is a second mailing and not a retry, add --again",
            earlier.seq,
            sanitize(&earlier.by)
        )));
    }
    settling(s, incident, Event::NoticeSent(notice.clone()), for_step)
}

/// Why a notice does not count toward its obligation, or `None` when it does: its method is not
/// one the rule allows for its audience (refused unless `reason` says why it is recorded
/// anyway), is only ever in addition to the notice the rule asks for, or is email beyond those
/// who agreed to it.
fn not_counted(
    incident: &Incident,
    notice: &NoticeSent,
    reason: Option<&str>,
) -> Result<Option<String>, Error> {
    let form = incident
        .due_dates()
        .iter()
        .find(|o| o.key == crate::rules::Key::SubstituteNotice)
        .and_then(|o| o.form);
    let rule = match crate::rules::method_use(notice.to, &notice.method, form) {
        MethodUse::Counts => email_beyond_consent(incident, notice),
        MethodUse::Additional(why) => return Ok(Some(why.to_owned())),
        MethodUse::NotAllowed(why) => Some(why.to_owned()),
    };
    match (rule, reason) {
        (None, Some(_)) if notice.despite_hold.is_none() => Err(Error::usage(
            "--reason explains --despite-hold, or a notice by a method the rule does not allow for its audience",
        )),
        (None, _) => Ok(None),
        (Some(why), None) => Err(Error::refused(format!(
            "not recorded: {why}; if it went out this way anyway, record it with --reason (it will not count toward the obligation)"
        ))),
        (Some(why), Some(reason)) => Ok(Some(format!("{why}; recorded because: {reason}"))),
    }
}

/// Why an email notice to individuals goes beyond those who agreed to electronic notice
/// (164.404(d)(1)(i)), if it does.
fn email_beyond_consent(incident: &Incident, notice: &NoticeSent) -> Option<String> {
    if notice.to != Audience::Individuals || notice.method != "email" {
        return None;
    }
    let f = &incident.facts;
    let agreed = f.email_consent.unwrap_or(0);
    let emailed: u64 = incident
        .notices
        .iter()
        .filter(|n| {
            n.value.to == Audience::Individuals
                && n.value.method == "email"
                && n.value.not_counted.is_none()
        })
        .filter_map(|n| n.value.count)
        .sum();
    let this = notice
        .count
        .or_else(|| obligations::reachable(f).or(f.affected))
        .unwrap_or(u64::MAX);
    (emailed.saturating_add(this) > agreed).then(|| {
        format!(
            "{agreed} of the affected agreed to notice by email and {emailed} were emailed already: email is written notice only for those who agreed to it (45 CFR 164.404(d)(1)(i)); send the others first-class mail, or record their agreement with `breach facts --email-consent N`"
        )
    })
}

/// What a recorded notice met, from the state as it is now, and the steps it settled.
pub(in crate::commands) fn notice_message(
    s: &Session,
    incident: &Incident,
    event: &Event,
    head: &crate::log::Head,
) -> String {
    let Event::NoticeSent(notice) = event else {
        unreachable!("a notice records a notice")
    };
    let mut after = incident.clone();
    after.apply(event, head.seq, "", "");
    let clock = after.clock(s.today());
    let met: Vec<String> = clock
        .obligations
        .iter()
        .filter(|o| {
            o.met_on == Some(notice.date)
                && o.key.audience() == notice.to
                && (o.state.is_none() || o.state == notice.state)
                && (o.entity.is_none() || o.entity == notice.entity)
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
    if let Some(why) = &notice.not_counted {
        let mut message = format!(
            "Notice recorded. It does not count toward the obligation: {}.",
            sanitize(why)
        );
        message.push_str(&settled_text(event));
        return message;
    }
    let mut message = if met.is_empty() {
        "Notice recorded. It meets no open obligation (see `breach deadlines`).".to_owned()
    } else {
        format!("Notice recorded: {}.", met.join("; "))
    };
    message.push_str(&settled_text(event));
    message
}

/// A counted notice reaches no more people than it can: those owed it less those already
/// reached (letters that came back reached nobody), and a re-mailing no more than the returned
/// letters not yet re-mailed.
fn within_reach(incident: &Incident, notice: &NoticeSent) -> Result<(), Error> {
    let f = &incident.facts;
    if notice.remailed {
        let outstanding = f.returned.saturating_sub(f.remailed);
        if notice.count.is_none_or(|count| count > outstanding) {
            return Err(Error::refused(format!(
                "--remailed needs --count N of the returned letters not yet re-mailed: {outstanding} ({} returned, {} re-mailed; `breach facts --returned N` records returned mail)",
                f.returned, f.remailed
            )));
        }
    }
    if let Some(count) = notice.count.filter(|_| notice.not_counted.is_none()) {
        let sent_before: u64 = incident
            .notices
            .iter()
            .filter(|n| n.value.to == notice.to && n.value.not_counted.is_none())
            .filter_map(|n| n.value.count)
            .sum();
        // Letters that came back reached nobody.
        let sent_before = if notice.to == Audience::Individuals {
            sent_before.saturating_sub(f.returned)
        } else {
            sent_before
        };
        let can_reach = match notice.to {
            Audience::Individuals => obligations::reachable(f).or(f.affected),
            Audience::Substitute => f.unreachable,
            Audience::NextOfKin => f.deceased,
            _ => None,
        };
        // Re-mailed letters reach people who become reachable by them.
        let can_reach = can_reach.map(|l| l + if notice.remailed { count } else { 0 });
        if let Some(limit) = can_reach
            && sent_before + count > limit
        {
            return Err(Error::refused(format!(
                "a count of {count} (with {sent_before} already recorded) is more than the {limit} this notice can reach; correct the count, or the facts first (`breach facts`)"
            )));
        }
    }
    Ok(())
}
