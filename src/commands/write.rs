//! The one write path every recording command takes: lock, replay (and so verify), decide,
//! screen the text for identifiers, append one entry, and only then report success.

use super::*;

/// The override for text that looks like it holds identifiers, if any was found: asked in a
/// terminal, taken from `--allow-identifiers`, or refused.
pub(super) fn screen_before_writing(
    session: &Session,
    what: &str,
    text: &str,
) -> Result<Option<String>, Error> {
    match screen_text(what, text, &session.identifier_context()) {
        None => Ok(None),
        Some(finding) => {
            let findings = [finding];
            session.allow(&Finding::describe(&findings), &Finding::kinds(&findings))
        }
    }
}

/// The shared write path: lock, replay, decide, screen, append. `decide` sees the verified state
/// and returns the event to record, or refuses. When the event's text looks like it holds
/// identifiers and a terminal can ask, the lock is released before asking, and on a yes the
/// whole path runs again (so `decide` may be called twice).
pub(super) fn record(
    session: &Session,
    decide: impl Fn(&Store, &Incident) -> Result<Event, Error>,
) -> Result<(Incident, Event, Head), Error> {
    let recorded = match record_once(session, &decide, None) {
        Err(Error::IdentifiersFound { described, kinds }) => {
            let allowed = session.allow(&described, &kinds)?;
            record_once(session, &decide, allowed)
        }
        other => other,
    };
    // A database that stopped answering before the entry was sent: say that nothing was
    // recorded, as after any failed append.
    recorded.map_err(|e| match e {
        Error::Database { .. } => Error::NotRecorded(Box::new(e)),
        other => other,
    })
}

/// One pass of [`record`]: `allowed` is an override already given for identifiers.
pub(super) fn record_once(
    session: &Session,
    decide: &impl Fn(&Store, &Incident) -> Result<Event, Error>,
    allowed: Option<String>,
) -> Result<(Incident, Event, Head), Error> {
    let store = session.open_store()?;
    let id = session.resolve(&store)?;
    let mut log = store.open_log(&id, Access::Write)?;
    let incident = store.replay_log(&id, log.as_mut())?;
    let event = decide(&store, &incident)?;
    let findings = screen_event(&event, &incident, &session.identifier_context());
    let allowed = if findings.is_empty() {
        None
    } else if allowed.is_some() {
        allowed
    } else if session.interactive && !session.allow_identifiers {
        // Ask with the lock released; `record` runs the path again on a yes.
        return Err(Error::IdentifiersFound {
            described: Finding::describe(&findings),
            kinds: Finding::kinds(&findings),
        });
    } else {
        session.allow(&Finding::describe(&findings), &Finding::kinds(&findings))?
    };
    if let Some(h) = &session.happened
        && !h.may_precede_discovery
        && h.at.at < incident.discovered.at
    {
        return Err(Error::input(format!(
            "--at {} is before the breach was discovered ({}); only facts about the breach itself may be dated earlier",
            h.at.given,
            session.calendar.local_display(incident.discovered.at)
        )));
    }
    // Read under the lock, after the replay: a concurrent writer's entry is already in the tail,
    // so this time is never earlier than the entry before it unless the clock was set back.
    let ts = clock::log_timestamp(session.calendar.now());
    let at = session
        .happened
        .as_ref()
        .map(|h| clock::log_timestamp(h.at.at));
    let mut stamp = session.stamp(&ts, at.as_deref());
    stamp.allowed = allowed.as_deref();
    let head = log
        .append_raw(&stamp, &session.actor, event.kind(), &event.payload()?)
        .map_err(|e| match e {
            Error::NotRecorded(_) => e,
            other => Error::NotRecorded(Box::new(other)),
        })?;
    Ok((incident, event, head))
}
