//! `notify`: a notice sent, checked against the clock (its date, any law-enforcement hold, the
//! people it can reach, a retry) and recorded with what it met.

use super::*;

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
}

/// The notice a request describes, each value checked.
pub(in crate::commands) fn notice_from(
    req: &NoticeRequest<'_>,
    today: NaiveDate,
) -> Result<NoticeSent, Error> {
    let date = parse_past_date("--date", req.date, today)?;
    let state = req.state.map(parse_state).transpose()?;
    match (req.to, &state) {
        (Audience::Media, None) => {
            return Err(Error::usage(
                "--to media needs --state XX: media notice is per state or jurisdiction",
            ));
        }
        (Audience::Media, Some(_)) => {}
        (_, Some(_)) => return Err(Error::usage("--state applies to media notice only")),
        _ => {}
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
    })
}

pub(in crate::commands) fn notify(s: &Session, args: &NotifyArgs) -> Result<Outcome, Error> {
    if args.reason.is_some() && !args.despite_hold {
        return Err(Error::usage("--reason explains --despite-hold"));
    }
    let notice = notice_from(
        &NoticeRequest {
            to: audience(args.to),
            date: &args.date,
            method: args.method.as_str(),
            count: args.count,
            state: args.state.as_deref(),
            note: args.note.as_deref(),
            despite_hold: args.reason.as_deref(),
        },
        s.today(),
    )?;
    let (incident, event, head) = record_notice(s, notice, args.again, None)?;
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
    }
}

/// Records a notice after the checks the law asks for (a hold, the people it can reach, a
/// retried command), settling the steps bound to it (and `for_step`, for `done`).
pub(in crate::commands) fn record_notice(
    s: &Session,
    notice: NoticeSent,
    again: bool,
    for_step: Option<&ForStep>,
) -> Result<(Incident, Event, crate::log::Head), Error> {
    record(s, |_, incident| {
        notice_event(s, incident, &notice, again, for_step)
    })
}

/// The entry a notice makes on `incident`, checked against it: its date, any hold, the counts
/// it can reach, a retry of the same notice.
pub(in crate::commands) fn notice_event(
    s: &Session,
    incident: &Incident,
    notice: &NoticeSent,
    again: bool,
    for_step: Option<&ForStep>,
) -> Result<Event, Error> {
    let date = notice.date;
    if date < incident.discovered.date {
        return Err(Error::input(format!(
            "--date {date} is before the breach was discovered ({})",
            incident.discovered.date
        )));
    }
    let held = obligations::hold_periods(
        &incident.facts.law_enforcement_holds,
        incident.facts.hold_lifted_on,
    );
    if let Some(h) = held.iter().find(|h| h.from <= date && date <= h.until)
        && notice.despite_hold.is_none()
    {
        return Err(Error::refused(format!(
            "a law-enforcement hold is in force from {} to {} (45 CFR 164.412: notices are delayed); if this notice went out anyway, record it with --despite-hold --reason",
            h.from, h.until
        )));
    }
    if let Some(count) = notice.count {
        let f = &incident.facts;
        let sent_before: u64 = incident
            .notices
            .iter()
            .filter(|n| n.value.to == notice.to)
            .filter_map(|n| n.value.count)
            .sum();
        let can_reach = match notice.to {
            Audience::Individuals => obligations::reachable(f).or(f.affected),
            Audience::Substitute => f.unreachable,
            _ => None,
        };
        if let Some(limit) = can_reach
            && sent_before + count > limit
        {
            return Err(Error::refused(format!(
                "a count of {count} (with {sent_before} already recorded) is more than the {limit} this notice can reach; correct the count, or the facts first (`breach facts`)"
            )));
        }
    }
    let same = |n: &NoticeSent| {
        n.to == notice.to
            && n.date == notice.date
            && n.method == notice.method
            && n.count == notice.count
            && n.state == notice.state
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
    let mut message = if met.is_empty() {
        "Notice recorded. It meets no open obligation (see `breach deadlines`).".to_owned()
    } else {
        format!("Notice recorded: {}.", met.join("; "))
    };
    message.push_str(&settled_text(event));
    message
}
