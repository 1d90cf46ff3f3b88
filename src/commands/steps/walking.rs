//! The guided walk's side of the commands: a [`Recorder`] that reads the incident and records
//! what the person decided through the same path as the scriptable commands, so the walk can
//! never record what `done`, `skip` or `note` would refuse.

use super::super::{Outcome, Session};
use super::record_action;
use crate::error::Error;
use crate::incident::{Action, Incident};
use crate::log::Head;
use crate::store::Access;
use crate::walk::{self, Recorder, Responder, WalkEnd};

/// The walk's window on the store: it reads and records through the commands' own path.
#[derive(Debug)]
pub(crate) struct SessionRecorder {
    session: Session,
}

impl SessionRecorder {
    /// A recorder for the incident the session names (or the only open one).
    pub(crate) fn new(s: &Session) -> Result<SessionRecorder, Error> {
        let id = s.resolve(&*s.open_store()?)?;
        Ok(SessionRecorder {
            session: Session {
                incident: Some(id),
                ..s.clone()
            },
        })
    }

    /// Whether the log verifies now, and how many entries it holds.
    pub(in crate::commands) fn check(&self) -> Result<u64, Error> {
        let store = self.session.open_store()?;
        let id = store.resolve(self.session.incident.as_deref())?;
        let mut log = store.open_log(&id, Access::Read)?;
        Ok(log.read_verified(|_| {})?.entries)
    }
}

impl Recorder for SessionRecorder {
    fn load(&mut self) -> Result<Incident, Error> {
        Ok(self.session.load_current()?.1)
    }

    fn record(
        &mut self,
        action: Action,
        at: Option<crate::clock::GivenTime>,
    ) -> Result<(Head, String), Error> {
        let may_precede_discovery = false;
        let happened = at.map(|at| super::super::Happened {
            at,
            may_precede_discovery,
        });
        let session = Session {
            happened,
            ..self.session.clone()
        };
        record_action(&session, action).map(|(_, head, message)| (head, message))
    }

    fn calendar(&self) -> &crate::clock::Calendar {
        &self.session.calendar
    }

    fn actor(&self) -> &str {
        &self.session.actor
    }

    fn last_own_entry(&mut self) -> Result<Option<walk::OwnEntry>, Error> {
        super::last_own_entry(&self.session)
    }
}

pub(in crate::commands) fn walk(s: &Session, step: Option<String>) -> Result<Outcome, Error> {
    if !s.interactive {
        return Err(Error::NoTerminal(
            "`breach walk` needs a terminal on standard input; without one, use the scriptable commands: `breach next`, `breach done STEP --set FIELD=VALUE`, `breach skip STEP --reason …`, `breach na STEP --reason …`, `breach note TEXT`".to_owned(),
        ));
    }
    let mut prompts = s.prompts.open();
    walk_incident(s, &mut *prompts, step.as_deref())
}

/// Walks the session's incident with `prompts`, and says how the walk ended.
pub(in crate::commands) fn walk_incident(
    s: &Session,
    prompts: &mut dyn Responder,
    step: Option<&str>,
) -> Result<Outcome, Error> {
    let mut recorder = SessionRecorder::new(s)?;
    match walk::walk(&mut recorder, prompts, step)? {
        WalkEnd::Left { step, stop } => Err(Error::Interrupted(walk::left_message(
            step.as_deref(),
            stop,
            recorder.check(),
        ))),
        WalkEnd::Quit => Ok(Outcome::ok(
            "Stopped. Resume any time with `breach walk`.\n".to_owned(),
        )),
        _ => Ok(Outcome::ok(String::new())),
    }
}

/// Why the walk stopped, for tests of the walk against a real store.
#[cfg(test)]
pub(in crate::commands) fn walk_with(
    s: &Session,
    prompts: &mut dyn Responder,
) -> Result<WalkEnd, Error> {
    walk_from(s, prompts, None)
}

/// The walk from `start` (`breach walk STEP`), for tests against a real store.
#[cfg(test)]
pub(in crate::commands) fn walk_from(
    s: &Session,
    prompts: &mut dyn Responder,
    start: Option<&str>,
) -> Result<WalkEnd, Error> {
    let mut recorder = SessionRecorder::new(s)?;
    walk::walk(&mut recorder, prompts, start)
}
