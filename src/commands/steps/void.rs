//! `void SEQ --reason`: a correction, never an edit. An entry recorded by mistake is withdrawn
//! by a later entry; the log keeps both, and every view is built as if the withdrawn one had not
//! been recorded. What the void names (the entry's kind, what it said) is read from the log
//! itself, so the person sees what they withdraw.

use super::*;
use crate::incident::event::{in_effect, not_voidable};
use crate::incident::{Replay, TimelineEntry};
use crate::store::Access;
use crate::walk::OwnEntry;

/// The entry a void is asked to withdraw, as the log has it.
struct Target {
    kind: String,
    summary: String,
    /// For a void: the entry it withdrew, which a void of it restores.
    withdrew: Option<u64>,
}

pub(super) fn void_entry(
    s: &Session,
    entry: u64,
    reason: &str,
) -> Result<(Incident, Head, String), Error> {
    let reason = check_text("the reason", reason, true)?;
    let target = read_target(s, entry)?;
    let (incident, _, head) = record(s, |_, incident| {
        if incident.is_closed() {
            return Err(Error::refused(format!(
                "incident {} is closed; reopen it (`breach reopen --reason`) to void an entry",
                incident.id
            )));
        }
        if entry > incident.head.seq {
            return Err(no_such_entry(entry, incident));
        }
        if let Some(why) = not_voidable(&target.kind) {
            return Err(Error::refused(format!(
                "entry {entry} ({}) cannot be voided: {why}",
                target.kind
            )));
        }
        if let Some(by) = in_effect(&incident.voids).get(&entry) {
            return Err(Error::refused(format!(
                "entry {entry} is already void (entry {} withdrew it); void entry {} to restore it",
                by.seq, by.seq
            )));
        }
        Ok(Event::Voided(event::Voided {
            entry,
            kind: target.kind.clone(),
            reason: reason.clone(),
        }))
    })?;
    let message = if let Some(restored) = target.withdrew {
        format!(
            "Voided entry {entry}, the void of entry {restored}: entry {restored} stands again."
        )
    } else {
        format!(
            "Voided entry {entry} ({}): {}\nIt stays in the log, marked void; the state and the clock are as if it had not been recorded.",
            target.kind, target.summary
        )
    };
    Ok((incident, head, message))
}

/// Entry `entry` of the incident's verified log, with what the timeline says of it.
fn read_target(s: &Session, entry: u64) -> Result<Target, Error> {
    let store = s.open_store()?;
    let id = s.resolve(&store)?;
    let mut log = store.open_log(&id, Access::Read)?;
    let mut found: Option<TimelineEntry> = None;
    let mut undecodable = None;
    let (incident, _) =
        crate::store::replay_verified(log.as_mut(), Replay::new().expecting(&id), &mut |e| {
            if e.seq == entry && found.is_none() {
                match TimelineEntry::read(e) {
                    Ok(t) => found = Some(t),
                    Err(err) => undecodable = Some(err),
                }
            }
        })?;
    if let Some(err) = undecodable {
        return Err(err);
    }
    let found = found.ok_or_else(|| no_such_entry(entry, &incident))?;
    let mut narrator = crate::render::export::Narrator::new(&incident);
    let summary = narrator.row(&found, &s.calendar).summary;
    Ok(Target {
        withdrew: match &found.event {
            Event::Voided(v) => Some(v.entry),
            _ => None,
        },
        kind: found.event.kind().to_owned(),
        summary: sanitize(&summary).into_owned(),
    })
}

fn no_such_entry(entry: u64, incident: &Incident) -> Error {
    Error::input(format!(
        "incident {} has no entry {entry}: its entries are 0 to {} (the `seq` of `breach export`)",
        incident.id, incident.head.seq
    ))
}

/// The last entry `s.actor` recorded that a void could withdraw and none has: what the walk's
/// "undo the last thing I recorded" offers.
pub(in crate::commands) fn last_own_entry(s: &Session) -> Result<Option<OwnEntry>, Error> {
    let store = s.open_store()?;
    let id = s.resolve(&store)?;
    let mut log = store.open_log(&id, Access::Read)?;
    let mut own = Vec::new();
    let (incident, _) =
        crate::store::replay_verified(log.as_mut(), Replay::new().expecting(&id), &mut |e| {
            if e.actor == s.actor && not_voidable(&e.kind).is_none() {
                own.push(e.seq);
            }
        })?;
    let withdrawn = in_effect(&incident.voids);
    let Some(seq) = own
        .into_iter()
        .rev()
        .find(|seq| !withdrawn.contains_key(seq))
    else {
        return Ok(None);
    };
    let target = read_target(s, seq)?;
    Ok(Some(OwnEntry {
        seq,
        summary: target.summary,
    }))
}
