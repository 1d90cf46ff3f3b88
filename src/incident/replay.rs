//! Replay: an incident's state built from its verified log entries, in order, with the first
//! entry's format, hash algorithm and pinned runbook checked before anything else is believed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::*;

/// Builds an incident's state from its verified log entries, in order.
#[derive(Debug)]
pub(crate) struct Replay {
    incident: Option<Incident>,
    error: Option<Error>,
    /// Which entries to keep in `Incident::timeline` (exports keep them; views need only
    /// state, so their memory stays flat in the length of the log).
    keep: Keep,
    /// The id the store keeps the log under, which its first entry must name.
    expected_id: Option<String>,
    /// The entries to build the state without: those a void in effect withdrew, as an earlier
    /// pass over the same log found them.
    skip: BTreeSet<u64>,
}

/// What a replay ends with: the state, or (when a void withdrew an entry this pass applied, or
/// restored one it left out) the replay to run again over the whole log, knowing the voids.
#[derive(Debug)]
pub(crate) enum Finished {
    Done(Box<Incident>),
    Again(Box<Replay>),
}

/// Which entries a replay keeps in the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    None,
    All,
    /// Only what a report shows beside the timeline: notes on a step, and attachments.
    ReportOnly,
}

impl Default for Replay {
    fn default() -> Self {
        Self::new()
    }
}

impl Replay {
    pub(crate) fn new() -> Self {
        Replay {
            incident: None,
            error: None,
            keep: Keep::None,
            expected_id: None,
            skip: BTreeSet::new(),
        }
    }

    /// The same replay, refusing a log whose first entry opens another incident than `id`,
    /// the one the store keeps it under: a copied or renamed log is not a second incident.
    pub(crate) fn expecting(mut self, id: &str) -> Self {
        self.expected_id = Some(id.to_owned());
        self
    }

    /// A replay that goes on from `incident`, the state after a verified prefix of its log.
    pub(crate) fn resume(incident: Incident) -> Self {
        Replay {
            skip: incident.skipped.iter().copied().collect(),
            incident: Some(incident),
            ..Replay::new()
        }
    }

    /// A replay that also keeps every entry, for exports.
    pub(crate) fn with_timeline() -> Self {
        Replay {
            keep: Keep::All,
            ..Replay::new()
        }
    }

    /// A replay that keeps only the entries a report shows beside its timeline (notes on a step,
    /// attachments), for exports that write the timeline itself from a second read of the log.
    pub(crate) fn with_report_entries() -> Self {
        Replay {
            keep: Keep::ReportOnly,
            ..Replay::new()
        }
    }

    /// Applies one entry. Errors are kept and reported by `finish`.
    pub(crate) fn apply(&mut self, entry: &Entry<'_>) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.try_apply(entry) {
            self.error = Some(e);
        }
    }

    fn try_apply(&mut self, entry: &Entry<'_>) -> Result<(), Error> {
        let Some(incident) = self.incident.as_mut() else {
            if entry.kind != "incident_opened" {
                Event::decode(entry)?;
                return Err(Error::refused(format!(
                    "the log does not start with an `incident_opened` entry (found `{}`)",
                    entry.kind
                )));
            }
            let (opened, runbook) = decode_opening(entry)?;
            if let Some(kept_as) = &self.expected_id {
                check_kept_as(&opened.incident, kept_as)?;
            }
            let implies = runbook.implies;
            self.incident = Some(Incident {
                id: opened.incident.clone(),
                title: opened.title.clone(),
                opened_at: entry.ts.to_string(),
                opened_by: entry.actor.to_string(),
                discovered: opened.discovered.clone(),
                pinned: opened.runbook.clone(),
                runbook,
                steps: HashMap::new(),
                facts: Facts {
                    // What the runbook implies holds from the start: a business associate's
                    // runbook is followed by a business associate.
                    business_associate: implies.business_associate,
                    ..Facts::default()
                },
                closed: None,
                discarded: None,
                assessment: None,
                superseded_assessments: 0,
                earlier_assessments: Vec::new(),
                notices: Vec::new(),
                hhs_told: None,
                timestamps: Vec::new(),
                head: entry.head(),
                timeline: Vec::new(),
                substituted_clock: Vec::new(),
                last_at: entry.ts.to_string(),
                voids: Vec::new(),
                assignees: BTreeMap::new(),
                skipped: self.skip.iter().copied().collect(),
            });
            self.push(entry, Event::Opened(Box::new(opened)));
            return Ok(());
        };
        let event = Event::decode(entry)?;
        if let Event::Opened(_) = &event {
            return Err(Error::refused(format!(
                "entry {} opens the incident a second time",
                entry.seq
            )));
        }
        if let Event::Voided(void) = &event {
            incident.voids.push(void_seen(entry, void)?);
        }
        if self.skip.contains(&entry.seq) && event::not_voidable(event.kind()).is_none() {
            // Withdrawn: kept in the log and the timeline, left out of the state. (A void of an
            // entry that cannot be withdrawn, which only a hand-made log holds, changes nothing.)
            self.push(entry, event);
            return Ok(());
        }
        incident.apply(&event, entry.seq, &entry.actor, &entry.ts);
        if let Some(at) = entry.at.as_deref() {
            // What this entry recorded happened earlier than it was recorded (`--at`).
            for record in incident.steps.values_mut().filter(|r| r.seq == entry.seq) {
                record.happened = Some(at.to_owned());
            }
        }
        self.push(entry, event);
        Ok(())
    }

    /// Keeps the entry in the timeline and makes it the head.
    fn push(&mut self, entry: &Entry<'_>, event: Event) {
        if let Some(incident) = self.incident.as_mut() {
            incident.head = entry.head();
            incident.last_at.clear();
            incident.last_at.push_str(&entry.ts);
            if entry.substituted() {
                match incident.substituted_clock.last_mut() {
                    Some((_, end)) if *end + 1 == entry.seq => *end = entry.seq,
                    _ => incident.substituted_clock.push((entry.seq, entry.seq)),
                }
            }
            let kept = match self.keep {
                Keep::None => false,
                Keep::All => true,
                // A withdrawn note or file is not shown beside the timeline.
                Keep::ReportOnly if self.skip.contains(&entry.seq) => false,
                Keep::ReportOnly => match &event {
                    Event::Note(n) => n.step.is_some(),
                    Event::Attachment(_) | Event::MessageRecorded(_) => true,
                    _ => false,
                },
            };
            if kept {
                incident.timeline.push(TimelineEntry::of(entry, event));
            }
        }
    }

    /// The state, or the replay to run again when this pass did not know which entries the
    /// log's voids withdraw (at most once: the second pass knows every void).
    pub(crate) fn finish(self) -> Result<Finished, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let incident = self
            .incident
            .ok_or_else(|| Error::refused("the log is empty: it has no `incident_opened` entry"))?;
        let withdrawn: BTreeSet<u64> = event::in_effect(&incident.voids).into_keys().collect();
        if withdrawn == self.skip {
            return Ok(Finished::Done(Box::new(incident)));
        }
        Ok(Finished::Again(Box::new(Replay {
            incident: None,
            error: None,
            keep: self.keep,
            expected_id: self.expected_id,
            skip: withdrawn,
        })))
    }
}

/// What `verify` checks of the first entry, beyond what every replay checks: that the
/// pinned runbook's pre-parsed form (which replays read, for speed) is exactly the runbook its
/// text parses to, so the steps cannot be changed without changing the text and its SHA-256.
pub(crate) fn verify_opening(entry: &Entry<'_>, kept_as: &str) -> Result<(), Error> {
    let Event::Opened(opened) = Event::decode(entry)? else {
        return Err(Error::refused(format!(
            "the log does not start with an `incident_opened` entry (found `{}`)",
            entry.kind
        )));
    };
    check_opening(&opened, entry.seq)?;
    check_kept_as(&opened.incident, kept_as)?;
    if let Some(parsed) = &opened.runbook.parsed {
        let from_text = parse_runbook(
            &format!("pinned runbook {}", opened.runbook.id),
            &opened.runbook.text,
        )
        .map_err(|problems| Error::RunbookInvalid {
            path: format!("pinned runbook `{}`", opened.runbook.id).into(),
            problems,
        })?;
        let rendered: serde_json::Value = serde_json::to_value(&from_text)
            .map_err(|e| Error::internal("cannot encode runbook", e))?;
        let pinned: serde_json::Value = serde_json::from_str(parsed.get())
            .map_err(|e| Error::input(format!("the pinned runbook cannot be read: {e}")))?;
        if rendered != pinned {
            return Err(Error::LogDamaged {
                path: std::path::PathBuf::from("log"),
                detail: format!(
                    "entry {}: the pinned runbook `{}` read by replays differs from its pinned text: the entry was altered",
                    entry.seq, opened.runbook.id
                ),
                torn_tail: false,
            });
        }
    }
    Ok(())
}

/// Checks that the first entry opens the incident the store keeps the log under: a log
/// copied or renamed to another place is the same incident, never a second one.
fn check_kept_as(opened: &str, kept_as: &str) -> Result<(), Error> {
    if opened == kept_as {
        return Ok(());
    }
    Err(Error::LogDamaged {
        path: std::path::PathBuf::from(crate::text::sanitize(kept_as).into_owned()),
        detail: format!(
            "entry 0 opens incident {}, but the log is kept as incident {}: a copied or renamed log is not another incident (remove the copy, or move it back)",
            crate::text::sanitize(opened),
            crate::text::sanitize(kept_as)
        ),
        torn_tail: false,
    })
}

/// Checks what the first entry pins instead of trusting it: the log format and hash algorithm
/// this build reads (the pinned runbook's SHA-256 is checked by `check_pinned_text`).
fn check_opening<R>(opened: &event::Opened<R>, seq: u64) -> Result<(), Error> {
    if opened.format != crate::log::FORMAT {
        return Err(Error::refused(format!(
            "entry {seq} says the log is in format `{}`; this version of breach reads `{}`: use a breach that knows that format",
            crate::text::sanitize(&opened.format),
            crate::log::FORMAT
        )));
    }
    if opened.hash_algorithm != crate::log::HASH_ALGORITHM {
        return Err(Error::refused(format!(
            "entry {seq} says the chain uses hash algorithm `{}`; this version of breach checks `{}` only",
            crate::text::sanitize(&opened.hash_algorithm),
            crate::log::HASH_ALGORITHM
        )));
    }
    Ok(())
}

/// The last pinned runbook this thread checked and read, with the bytes it was read from.
/// Incidents started on the same runbook pin the same text and rendering, and a store-wide
/// replay (the first `list`) meets them one after another: each is decoded, hashed and parsed
/// once instead of once an incident. Used only when every byte as written is the same.
struct LastPinned {
    written: String,
    pinned: Arc<event::PinnedRunbook>,
    runbook: Arc<Runbook>,
}

thread_local! {
    /// `None` until a second incident is opened on this thread: a command that replays one
    /// incident never pays for keeping a copy.
    static LAST_PINNED: std::cell::RefCell<Option<Option<LastPinned>>> =
        const { std::cell::RefCell::new(None) };
}

/// The first entry's payload, checked: the log format and hash algorithm this build reads, and
/// the runbook it pins with the runbook that runbook parses to.
fn decode_opening(entry: &Entry<'_>) -> Result<(event::Opened, Arc<Runbook>), Error> {
    let as_written: event::Opened<&serde_json::value::RawValue> =
        serde_json::from_str(entry.data.get()).map_err(|e| event::unreadable_payload(entry, &e))?;
    check_opening(&as_written, entry.seq)?;
    let (pinned, runbook) = checked_pinned_runbook(as_written.runbook, entry)?;
    Ok((as_written.with_runbook(pinned), runbook))
}

/// The runbook an incident pins, and the runbook it follows, once its pinned text is found to
/// be the one whose SHA-256 the first entry records.
fn checked_pinned_runbook(
    written: &serde_json::value::RawValue,
    entry: &Entry<'_>,
) -> Result<(Arc<event::PinnedRunbook>, Arc<Runbook>), Error> {
    let written = written.get();
    let known = LAST_PINNED.with_borrow(|last| {
        last.as_ref()
            .and_then(Option::as_ref)
            .filter(|l| l.written == written)
            .map(|l| (Arc::clone(&l.pinned), Arc::clone(&l.runbook)))
    });
    if let Some(known) = known {
        return Ok(known);
    }
    let pinned: event::PinnedRunbook =
        serde_json::from_str(written).map_err(|e| event::unreadable_payload(entry, &e))?;
    check_pinned_text(&pinned, entry.seq)?;
    let runbook = Arc::new(pinned_runbook(&pinned)?);
    let pinned = Arc::new(pinned);
    LAST_PINNED.with_borrow_mut(|last| match last.as_mut() {
        None => *last = Some(None),
        Some(kept) => {
            *kept = Some(LastPinned {
                written: written.to_owned(),
                pinned: Arc::clone(&pinned),
                runbook: Arc::clone(&runbook),
            })
        }
    });
    Ok((pinned, runbook))
}

/// Refuses a pinned runbook whose text is not the one whose SHA-256 the first entry records.
fn check_pinned_text(pinned: &event::PinnedRunbook, seq: u64) -> Result<(), Error> {
    let computed = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        pinned.text.as_bytes(),
    ));
    if computed != pinned.sha256 {
        return Err(Error::LogDamaged {
            path: std::path::PathBuf::from("log"),
            detail: format!(
                "entry {seq}: the pinned runbook `{}` has SHA-256 {computed}, but the entry records {}: the pinned text was altered",
                pinned.id,
                crate::text::sanitize(&pinned.sha256)
            ),
            torn_tail: false,
        });
    }
    Ok(())
}

/// The runbook an incident follows, from its pinned JSON rendering when present, else its text.
fn pinned_runbook(pinned: &event::PinnedRunbook) -> Result<Runbook, Error> {
    if let Some(parsed) = &pinned.parsed {
        return serde_json::from_str(parsed.get()).map_err(|e| {
            Error::refused(format!(
                "the pinned runbook `{}` cannot be read: {e}",
                pinned.id
            ))
        });
    }
    parse_runbook(&format!("pinned runbook {}", pinned.id), &pinned.text).map_err(|problems| {
        Error::RunbookInvalid {
            path: format!("pinned runbook `{}`", pinned.id).into(),
            problems,
        }
    })
}

/// A void as the state keeps it; refused when it names no earlier entry.
fn void_seen(entry: &Entry<'_>, void: &event::Voided) -> Result<event::VoidSeen, Error> {
    if void.entry == 0 || void.entry >= entry.seq {
        return Err(Error::refused(format!(
            "entry {} voids entry {}, which is not an earlier entry of this incident",
            entry.seq, void.entry
        )));
    }
    Ok(event::VoidSeen {
        seq: entry.seq,
        entry: void.entry,
        actor: entry.actor.to_string(),
        at: entry.ts.to_string(),
        reason: void.reason.clone(),
    })
}
