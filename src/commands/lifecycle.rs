//! Opening and closing an incident, and the views of where incidents stand: `start`, `list`,
//! `status`, `close`.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::steps::{StepSummary, walk_incident};
use super::{Outcome, Session, record, written};
use crate::clock::{self, GivenTime};
use crate::error::Error;
use crate::incident::event::{self, FinalObligation, Opened, PinnedRunbook};
use crate::incident::input::check_text;
use crate::incident::obligations::Status as ObligationStatus;
use crate::incident::{Event, Incident, StepRecord, StepState};
use crate::log::{self, Head};
use crate::render::deadlines::obligation_name;
use crate::render::deadlines::{DeadlinesView, deadline_summary};
use crate::render::terminal;
use crate::runbook::Phase;
use crate::store;
use crate::text::{sanitize, short_hash};

/// The runbook an incident follows, as scripts see it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct RunbookRef<'a> {
    pub id: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
}

impl<'a> RunbookRef<'a> {
    fn of(pinned: &'a PinnedRunbook) -> RunbookRef<'a> {
        RunbookRef {
            id: &pinned.id,
            version: &pinned.version,
            sha256: &pinned.sha256,
        }
    }
}

/// `start --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Started<'a> {
    pub id: &'a str,
    pub store: String,
    pub runbook: RunbookRef<'a>,
    pub discovered: &'a GivenTime,
    pub head: &'a Head,
}

pub(super) fn start(
    s: &Session,
    runbook: Option<String>,
    discovered: Option<String>,
    title: Option<String>,
) -> Result<Outcome, Error> {
    let (s, zone_note) = super::profile::with_organisation_zone(s)?;
    let s = &s;
    let now = s.now;
    let catalog = s.catalog()?;
    let asked = runbook.is_none() || discovered.is_none() || title.is_none();
    let (runbook_id, discovered, title) = start_arguments(s, &catalog, runbook, discovered, title)?;
    let title = check_text("--title", &title, false)?;
    let allowed = super::screen_before_writing(s, "the title", &title)?;
    let discovered = s.calendar.parse_past(&discovered, "--discovered", now)?;
    let entry = catalog.get(&runbook_id)?;
    let store = s.create_store()?;
    let pinned = std::sync::Arc::new(pinned_runbook(entry)?);
    let ts = clock::log_timestamp(now);
    let local_today = s.calendar.local_date(now);
    let mut attempt = 0;
    let (id, head) = loop {
        let id = store::new_incident_id(local_today, attempt);
        let opened = Opened {
            format: log::FORMAT.to_owned(),
            hash_algorithm: log::HASH_ALGORITHM.to_owned(),
            tool: format!("breach {}", env!("CARGO_PKG_VERSION")),
            incident: id.clone(),
            title: title.clone(),
            discovered: discovered.clone(),
            runbook: pinned.clone(),
        };
        let mut stamp = s.stamp(&ts, None);
        stamp.allowed = allowed.as_deref();
        match store.create_incident(
            &id,
            &stamp,
            &s.actor,
            Event::Opened(Box::new(opened.clone())).kind(),
            &opened,
        ) {
            Ok(head) => break (id, head),
            Err(Error::Refused(_)) if attempt < 8 => attempt += 1,
            Err(e) => return Err(Error::NotRecorded(Box::new(e))),
        }
    };
    let incident = store.load(&id)?;
    if let Some(note) = zone_note {
        eprintln!("{note}");
    }
    if s.json {
        return Ok(Outcome::json(&Started {
            id: &id,
            store: store.location(),
            runbook: RunbookRef::of(&pinned),
            discovered: &incident.discovered,
            head: &head,
        })
        .recorded(&head));
    }
    let mut out = format!(
        "Opened incident {id}: {}\n  runbook     {} {} (sha256 {})\n  discovered  {}\n  store       {}\n",
        sanitize(&incident.title),
        pinned.id,
        pinned.version,
        short_hash(&pinned.sha256),
        terminal::discovered_line(&incident.discovered, &s.calendar),
        store.location()
    );
    out.push_str(&terminal::next_text(&incident, &s.calendar, now, None));
    out.push_str(&terminal::head_line(&head));
    // Offered only to someone who was asked for the arguments: given everything on the command
    // line, `start` never prompts.
    if asked && s.interactive {
        return offer_walk(s, id, &out);
    }
    Ok(Outcome::ok(out).recorded(&head))
}

/// After a `start` that asked for its arguments: shows what was opened and offers the walk.
fn offer_walk(s: &Session, id: String, opened: &str) -> Result<Outcome, Error> {
    print!("{opened}");
    let mut prompts = s.prompts.open();
    let begin = crate::walk::Responder::confirm(&mut *prompts, "Begin the guided walk now?", true);
    if begin == Ok(true) {
        let session = Session {
            incident: Some(id),
            ..s.clone()
        };
        return walk_incident(&session, &mut *prompts, None);
    }
    Ok(Outcome::ok(
        "Work the steps any time with `breach walk`.\n".to_owned(),
    ))
}

/// The runbook, discovery time and title `start` works with: as given, else asked in a
/// terminal; without one, a usage error naming what is missing.
fn start_arguments(
    s: &Session,
    catalog: &crate::runbook::Catalog,
    runbook: Option<String>,
    discovered: Option<String>,
    title: Option<String>,
) -> Result<(String, String, String), Error> {
    let missing: Vec<&str> = [
        ("--runbook ID", runbook.is_none()),
        ("--discovered WHEN", discovered.is_none()),
        ("--title TEXT", title.is_none()),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| *n)
    .collect();
    match (runbook, discovered, title) {
        (Some(r), Some(d), Some(t)) => Ok((r, d, t)),
        (r, d, t) if s.interactive => {
            let mut prompts = s.prompts.open();
            crate::walk::ask_start(&mut *prompts, catalog, r, d, t, &s.calendar, s.now)
                .map_err(|_| Error::Interrupted("stopped: no incident was started".to_owned()))
        }
        _ => Err(Error::usage(format!(
            "`breach start` needs {} and there is no terminal to ask on: breach start --runbook ID --discovered WHEN --title TEXT",
            missing.join(", ")
        ))),
    }
}

/// The runbook as it is pinned into a new incident: its text, its SHA-256 and its parsed form.
fn pinned_runbook(entry: &crate::runbook::Entry) -> Result<PinnedRunbook, Error> {
    Ok(PinnedRunbook {
        id: entry.runbook.id.value.clone(),
        version: entry.runbook.version.value.clone(),
        title: entry.runbook.title.value.clone(),
        sha256: hex::encode(Sha256::digest(entry.text.as_bytes())),
        source: entry.source.to_string(),
        text: entry.text.clone(),
        parsed: Some(
            serde_json::value::to_raw_value(&entry.runbook)
                .map_err(|e| Error::internal("cannot encode runbook", e))?,
        ),
    })
}

/// Settled and applicable steps.
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
pub(crate) struct Progress {
    pub settled: usize,
    pub applicable: usize,
}

/// One step in `status --json`: what every step view shares, then where it stands.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct StepStatus<'a> {
    #[serde(flatten)]
    pub step: StepSummary<'a>,
    pub applies: bool,
    pub state: StepState,
    /// Why it does not apply, or why the clock's state differs from the last recorded change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<&'a BTreeMap<String, String>>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct PhaseProgress {
    pub phase: Phase,
    pub settled: usize,
    pub applicable: usize,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Opening<'a> {
    pub at: &'a str,
    pub by: &'a str,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Closing<'a> {
    pub at: &'a str,
    pub by: &'a str,
    pub forced: bool,
    pub reason: Option<&'a str>,
}

/// `status --json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Status<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub state: &'static str,
    pub store: String,
    pub runbook: RunbookRef<'a>,
    pub discovered: &'a GivenTime,
    pub opened: Opening<'a>,
    pub closed: Option<Closing<'a>>,
    pub progress: Vec<PhaseProgress>,
    pub steps: Vec<StepStatus<'a>>,
    pub next: Vec<&'a str>,
    pub deadlines: DeadlinesView<'a>,
    pub entries: u64,
    pub head: &'a Head,
    /// Entries recorded on a substituted clock, as inclusive `[first, last]` ranges of seq.
    pub substituted_clock: &'a [(u64, u64)],
    /// The same in plain words, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_note: Option<String>,
    /// The last day the record must be kept (six years, 45 CFR 164.530(j)(2)).
    pub retain_until: chrono::NaiveDate,
    /// The entries withdrawn by a void in effect (`breach void`): the state above is built
    /// without them.
    pub voided: Vec<VoidedEntry<'a>>,
}

/// An entry withdrawn, and the void that withdrew it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct VoidedEntry<'a> {
    pub entry: u64,
    pub by_entry: u64,
    pub actor: &'a str,
    pub at: &'a str,
    pub reason: &'a str,
}

impl<'a> VoidedEntry<'a> {
    fn all(incident: &'a Incident) -> Vec<VoidedEntry<'a>> {
        crate::incident::event::in_effect(&incident.voids)
            .into_iter()
            .map(|(entry, v)| VoidedEntry {
                entry,
                by_entry: v.seq,
                actor: &v.actor,
                at: &v.at,
                reason: &v.reason,
            })
            .collect()
    }
}

pub(super) fn status(s: &Session) -> Result<Outcome, Error> {
    let (store, incident) = s.load_current()?;
    let today = s.today();
    if s.json {
        let steps = incident
            .step_views()
            .into_iter()
            .map(|v| {
                let record: Option<&StepRecord> = v.record;
                StepStatus {
                    step: StepSummary::of(&incident, &v, &s.calendar),
                    applies: v.active,
                    state: v.state(),
                    because: v.because.clone(),
                    actor: record.map(|r| r.actor.as_str()),
                    at: record.map(|r| r.at.as_str()),
                    reason: record.and_then(|r| r.reason.as_deref()),
                    note: record.and_then(|r| r.note.as_deref()),
                    evidence: record.map(|r| &r.evidence).filter(|e| !e.is_empty()),
                }
            })
            .collect();
        let progress = incident
            .progress()
            .into_iter()
            .map(|(phase, settled, applicable)| PhaseProgress {
                phase,
                settled,
                applicable,
            })
            .collect();
        let clock = incident.clock(today);
        let doc = Status {
            id: &incident.id,
            title: &incident.title,
            state: incident.state_label(),
            store: store.location(),
            runbook: RunbookRef::of(&incident.pinned),
            discovered: &incident.discovered,
            opened: Opening {
                at: &incident.opened_at,
                by: &incident.opened_by,
            },
            closed: incident.closed.as_ref().map(|(at, by, c)| Closing {
                at,
                by,
                forced: c.forced,
                reason: c.reason.as_deref(),
            }),
            progress,
            steps,
            next: incident
                .workable()
                .iter()
                .map(|v| v.step.id.value.as_str())
                .collect(),
            deadlines: DeadlinesView::new(&incident, &clock, today, s.calendar.zone_name()),
            entries: incident.head.seq + 1,
            head: &incident.head,
            substituted_clock: &incident.substituted_clock,
            clock_note: incident.substituted_clock_note(),
            retain_until: incident.retain_until(&s.calendar),
            voided: VoidedEntry::all(&incident),
        };
        return Ok(Outcome::json(&doc));
    }
    Ok(Outcome::ok(terminal::status_text(
        &incident,
        &store.location(),
        &s.calendar,
        s.now,
        &deadline_summary(&incident, today),
    )))
}

pub(super) fn close(s: &Session, force: bool, reason: Option<String>) -> Result<Outcome, Error> {
    let reason = reason
        .map(|r| check_text("--reason", &r, true))
        .transpose()?;
    let today = s.today();
    let (incident, event, head) = record(s, |_, incident| {
        if incident.is_closed() {
            return Err(Error::refused(format!(
                "incident {} is already closed",
                incident.id
            )));
        }
        let open = incident.open_required();
        let clock = incident.clock(today);
        let unsettled = unsettled_obligations(&clock);
        if (!open.is_empty() || !unsettled.is_empty()) && !force {
            return Err(close_refused(&open, &unsettled));
        }
        Ok(Event::Closed(event::Closed {
            forced: !open.is_empty() || !unsettled.is_empty(),
            reason: reason.clone(),
            open_required: open,
            obligations: clock
                .obligations
                .iter()
                .map(|o| FinalObligation {
                    key: o.key.name().to_owned(),
                    state: o.state.clone(),
                    due: o.due,
                    status: o.status.name().to_owned(),
                    met_on: o.met_on,
                })
                .collect(),
        }))
    })?;
    let message = match &event {
        Event::Closed(c) if c.forced => format!(
            "Closed incident {} with work outstanding (override recorded): {} required step(s) open, {} obligation(s) not met.",
            incident.id,
            c.open_required.len(),
            c.obligations
                .iter()
                .filter(|o| o.status == "pending" || o.status == "overdue")
                .count()
        ),
        _ => format!("Closed incident {}.", incident.id),
    };
    Ok(written(s, &incident, message, &head))
}

/// Every obligation not yet met, in words: each keeps the incident open, so that the record
/// never says "closed" beside a notice still owed.
fn unsettled_obligations(clock: &crate::incident::obligations::Clock) -> Vec<String> {
    clock
        .obligations
        .iter()
        .filter(|o| {
            matches!(
                o.status,
                ObligationStatus::Pending | ObligationStatus::Partial | ObligationStatus::Overdue
            )
        })
        .map(|o| {
            format!(
                "{} ({}, due {})",
                obligation_name(o),
                o.status.name(),
                o.due
            )
        })
        .collect()
}

/// Why `close` without `--force` is refused: the obligations not met and the steps open.
fn close_refused(open: &[String], unsettled: &[String]) -> Error {
    let mut why = Vec::new();
    if !unsettled.is_empty() {
        why.push(format!(
            "{} obligation(s) not met: {}",
            unsettled.len(),
            unsettled.join(", ")
        ));
    }
    if !open.is_empty() {
        why.push(format!(
            "{} required step(s) still open: {}",
            open.len(),
            open.join(", ")
        ));
    }
    Error::refused(format!(
        "{}; settle them, or close with --force --reason",
        why.join("; ")
    ))
}

/// `discard --reason`: a test or practice incident set aside, its log kept whole.
pub(super) fn discard(s: &Session, reason: String) -> Result<Outcome, Error> {
    let reason = check_text("--reason", &reason, true)?;
    let (incident, _, head) = record(s, |_, incident| {
        if incident.discarded.is_some() {
            return Err(Error::refused(format!(
                "incident {} is already discarded",
                incident.id
            )));
        }
        if let Some((at, by, _)) = &incident.closed {
            return Err(Error::refused(format!(
                "incident {} was closed by {} at {at}: a closed incident is part of the record and is not discarded",
                incident.id,
                crate::text::sanitize(by)
            )));
        }
        if let Some(why) = reportable(incident) {
            return Err(Error::refused(format!(
                "incident {} {why}: a reportable breach is part of the record and is not discarded; if the assessment was wrong, record the right one with `breach assess`, or close the incident when its work is done",
                incident.id
            )));
        }
        Ok(Event::Discarded(event::Discarded {
            reason: reason.clone(),
        }))
    })?;
    Ok(written(
        s,
        &incident,
        format!(
            "Discarded incident {}: kept in the store, hidden from `breach list` (see `breach list --state discarded`).",
            incident.id
        ),
        &head,
    ))
}

/// What in the record shows a breach that must be reported (an assessment that requires
/// notification, or a notice sent), which `discard` must not hide from the annual report.
fn reportable(incident: &Incident) -> Option<String> {
    if let Some(a) = &incident.assessment
        && a.value.determination.requires_notification()
    {
        return Some(format!(
            "was assessed as a breach that requires notification (entry {}, signed by {})",
            a.seq,
            crate::text::sanitize(&a.value.signed_by)
        ));
    }
    (!incident.notices.is_empty()).then(|| {
        format!(
            "records {} notice(s) sent (the first in entry {})",
            incident.notices.len(),
            incident.notices[0].seq
        )
    })
}

/// `reopen --reason` without a step: a closed incident takes work again.
pub(super) fn reopen_incident(s: &Session, reason: String) -> Result<Outcome, Error> {
    let reason = check_text("--reason", &reason, true)?;
    let (incident, _, head) = record(s, |_, incident| {
        if !incident.is_closed() {
            return Err(Error::usage(format!(
                "incident {} is open: name the step to reopen (`breach reopen STEP --reason …`)",
                incident.id
            )));
        }
        Ok(Event::Reopened(event::Reopened {
            reason: reason.clone(),
        }))
    })?;
    Ok(written(
        s,
        &incident,
        format!("Reopened incident {}.", incident.id),
        &head,
    ))
}
