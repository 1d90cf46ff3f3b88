//! An incident's state, derived only by replaying its log, and the rules for changing it.
//!
//! Nothing here is stored: `replay` rebuilds the state from verified entries every time, so the
//! log is the single source of truth. The step rules (what is workable, what a transition needs)
//! live here so the scriptable commands and the guided walk apply exactly the same ones.

pub(crate) mod action;
pub(crate) mod assessment;
pub(crate) mod event;
pub(crate) mod evidence;
pub(crate) mod facts;
pub(crate) mod input;
pub(crate) mod obligations;
pub(crate) mod screen;
pub(crate) mod summary;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub(crate) use action::Action;
pub(crate) use event::Event;
pub(crate) use facts::{Count, Facts, FactsUpdate};

use crate::clock::GivenTime;
use crate::error::Error;
use crate::log::{Entry, Head};
use crate::rules::Audience;
use crate::runbook::{Phase, Records, Runbook, Step, parse_runbook};

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StepState {
    Open,
    Done,
    Skipped,
    NotApplicable,
}

impl StepState {
    pub(crate) fn label(self) -> &'static str {
        match self {
            StepState::Open => "open",
            StepState::Done => "done",
            StepState::Skipped => "skipped",
            StepState::NotApplicable => "not applicable",
        }
    }
}

/// The last change of a step: who, when, and what they recorded.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct StepRecord {
    pub state: StepState,
    pub actor: String,
    pub at: String,
    pub seq: u64,
    /// When it happened, when recorded as earlier than `at` (`--at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub happened: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, String>,
}

/// A recorded value with who recorded it, when, and in which entry.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct Signed<T> {
    pub at: String,
    pub by: String,
    pub seq: u64,
    #[serde(flatten)]
    pub value: T,
}

/// One entry of the log as replayed: the envelope plus its decoded payload.
#[derive(Debug, Clone)]
pub(crate) struct TimelineEntry {
    pub seq: u64,
    pub ts: String,
    /// When what the entry records happened, when given earlier than `ts` (`--at`).
    pub at: Option<String>,
    /// Whether `ts` comes from a substituted clock.
    pub substituted: bool,
    pub actor: String,
    pub event: Event,
    pub hash: String,
}

impl TimelineEntry {
    /// The entry with its decoded event.
    pub(crate) fn of(entry: &Entry<'_>, event: Event) -> TimelineEntry {
        TimelineEntry {
            seq: entry.seq,
            ts: entry.ts.to_string(),
            at: entry.at.as_deref().map(str::to_owned),
            substituted: entry.substituted(),
            actor: entry.actor.to_string(),
            event,
            hash: entry.hash.to_owned(),
        }
    }

    /// Reads a verified entry on its own (its event decoded), as a second pass over a log does.
    pub(crate) fn read(entry: &Entry<'_>) -> Result<TimelineEntry, Error> {
        Ok(TimelineEntry::of(entry, Event::decode(entry)?))
    }
}

/// An incident's state. It serialises for the store's state snapshots (a cache keyed to the
/// log), never as a record; the timeline is not part of it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct Incident {
    pub id: String,
    pub title: String,
    pub opened_at: String,
    pub opened_by: String,
    pub discovered: GivenTime,
    pub pinned: event::PinnedRunbook,
    pub runbook: Runbook,
    pub steps: HashMap<String, StepRecord>,
    pub facts: Facts,
    pub closed: Option<(String, String, event::Closed)>,
    /// When, by whom and why it was discarded as a test or practice incident.
    #[serde(default)]
    pub discarded: Option<(String, String, String)>,
    /// The assessment in force (the latest recorded).
    pub assessment: Option<Signed<event::Assessment>>,
    /// How many earlier assessments the one in force superseded.
    pub superseded_assessments: usize,
    pub notices: Vec<Signed<event::NoticeSent>>,
    /// Every entry, when the replay was asked to keep them ([`Replay::with_timeline`]).
    #[serde(skip)]
    pub timeline: Vec<TimelineEntry>,
    /// The entries recorded on a substituted clock (`BREACH_NOW`), as inclusive ranges of seq.
    pub substituted_clock: Vec<(u64, u64)>,
    /// When the last entry was recorded.
    pub last_at: String,
    pub head: Head,
}

/// Builds an incident's state from its verified log entries, in order.
#[derive(Debug)]
pub(crate) struct Replay {
    incident: Option<Incident>,
    error: Option<Error>,
    /// Which entries to keep in `Incident::timeline` (exports keep them; views need only
    /// state, so their memory stays flat in the length of the log).
    keep: Keep,
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
        }
    }

    /// A replay that goes on from `incident`, the state after a verified prefix of its log.
    pub(crate) fn resume(incident: Incident) -> Self {
        Replay {
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
        let event = Event::decode(entry)?;
        let Some(incident) = self.incident.as_mut() else {
            let Event::Opened(opened) = &event else {
                return Err(Error::refused(format!(
                    "the log does not start with an `incident_opened` entry (found `{}`)",
                    entry.kind
                )));
            };
            check_opening(opened, entry.seq)?;
            let runbook = pinned_runbook(&opened.runbook)?;
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
                notices: Vec::new(),
                head: entry.head(),
                timeline: Vec::new(),
                substituted_clock: Vec::new(),
                last_at: entry.ts.to_string(),
            });
            self.push(entry, event);
            return Ok(());
        };
        if let Event::Opened(_) = &event {
            return Err(Error::refused(format!(
                "entry {} opens the incident a second time",
                entry.seq
            )));
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
                Keep::ReportOnly => match &event {
                    Event::Note(n) => n.step.is_some(),
                    Event::Attachment(_) => true,
                    _ => false,
                },
            };
            if kept {
                incident.timeline.push(TimelineEntry::of(entry, event));
            }
        }
    }

    pub(crate) fn finish(self) -> Result<Incident, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.incident
            .ok_or_else(|| Error::refused("the log is empty: it has no `incident_opened` entry"))
    }
}

/// What `verify` checks of the first entry, beyond what every replay checks: that the
/// pinned runbook's pre-parsed form (which replays read, for speed) is exactly the runbook its
/// text parses to, so the steps cannot be changed without changing the text and its SHA-256.
pub(crate) fn verify_opening(entry: &Entry<'_>) -> Result<(), Error> {
    let Event::Opened(opened) = Event::decode(entry)? else {
        return Err(Error::refused(format!(
            "the log does not start with an `incident_opened` entry (found `{}`)",
            entry.kind
        )));
    };
    check_opening(&opened, entry.seq)?;
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

/// Checks what the first entry pins instead of trusting it: the log format and hash algorithm
/// this build reads, and the pinned runbook's SHA-256 recomputed from its text.
fn check_opening(opened: &event::Opened, seq: u64) -> Result<(), Error> {
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
    let computed = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        opened.runbook.text.as_bytes(),
    ));
    if computed != opened.runbook.sha256 {
        return Err(Error::LogDamaged {
            path: std::path::PathBuf::from("log"),
            detail: format!(
                "entry {seq}: the pinned runbook `{}` has SHA-256 {computed}, but the entry records {}: the pinned text was altered",
                opened.runbook.id,
                crate::text::sanitize(&opened.runbook.sha256)
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

/// A step of the runbook with its current state and whether it applies now.
#[derive(Debug, Clone)]
pub(crate) struct StepView<'a> {
    pub phase: Phase,
    pub step: &'a Step,
    /// The step's last recorded change, if any.
    pub record: Option<&'a StepRecord>,
    /// Whether the step applies to the incident as it stands: its `when` holds and, for a step
    /// that records a notice, the clock has that notice.
    pub active: bool,
    /// Where the step stands. For a step bound to a notice this is the clock's word: done when
    /// the notice's obligations are met, open while they are not.
    pub state: StepState,
    /// Why it does not apply, or why its state is not its last recorded change.
    pub because: Option<String>,
}

impl StepView<'_> {
    pub(crate) fn state(&self) -> StepState {
        self.state
    }
}

/// What the clock says about the notice a step is bound to.
struct NoticeBinding {
    /// The obligations of that audience that apply.
    applies: bool,
    met: bool,
    /// The obligations in words with their status, for explanations.
    summary: String,
}

impl Incident {
    /// Applies one event recorded in entry `seq` by `actor` at `ts`: the whole of what an entry
    /// means for the state. Replay calls it for every entry; a command calls it on a copy to see
    /// what an entry would change before writing it.
    pub(crate) fn apply(&mut self, event: &Event, seq: u64, actor: &str, ts: &str) {
        let record = |state, reason: Option<String>, note: Option<String>, evidence| StepRecord {
            state,
            actor: actor.to_owned(),
            at: ts.to_owned(),
            seq,
            happened: None,
            reason,
            note,
            evidence,
        };
        let settled = |steps: &mut HashMap<String, StepRecord>, by: &event::Settles| {
            for step in &by.settles {
                steps.insert(
                    step.clone(),
                    record(
                        StepState::Done,
                        None,
                        by.step_note.clone(),
                        by.step_evidence.clone(),
                    ),
                );
            }
        };
        match event {
            Event::Opened(_) | Event::Note(_) | Event::Attachment(_) | Event::Repaired(_) => {}
            Event::StepDone(d) => {
                self.steps.insert(
                    d.step.clone(),
                    record(StepState::Done, None, d.note.clone(), d.evidence.clone()),
                );
            }
            Event::StepSkipped(r) | Event::StepNotApplicable(r) | Event::StepReopened(r) => {
                let state = match event {
                    Event::StepSkipped(_) => StepState::Skipped,
                    Event::StepNotApplicable(_) => StepState::NotApplicable,
                    _ => StepState::Open,
                };
                self.steps.insert(
                    r.step.clone(),
                    record(state, Some(r.reason.clone()), None, BTreeMap::new()),
                );
            }
            Event::Closed(c) => {
                self.closed = Some((ts.to_owned(), actor.to_owned(), c.clone()));
            }
            Event::Reopened(_) => {
                self.closed = None;
                self.discarded = None;
            }
            Event::Discarded(d) => {
                self.discarded = Some((ts.to_owned(), actor.to_owned(), d.reason.clone()));
            }
            Event::FactsChanged(change) => {
                // A lift recorded before lifts were dated took effect the day it was recorded.
                let mut update = change.update.clone();
                if update.delay_lifted && update.delay_lifted_on.is_none() {
                    update.delay_lifted_on = chrono::DateTime::parse_from_rfc3339(ts)
                        .ok()
                        .map(|t| t.date_naive());
                }
                self.facts = self.facts.updated(&update);
                if let Some(d) = &change.update.discovered {
                    self.discovered = d.clone();
                }
                settled(&mut self.steps, &change.steps);
            }
            Event::Assessed(a) => {
                self.facts.assessment_recorded = true;
                self.facts.notification_required = a.determination.requires_notification();
                if self.assessment.is_some() {
                    self.superseded_assessments += 1;
                }
                self.assessment = Some(Signed {
                    at: ts.to_owned(),
                    by: actor.to_owned(),
                    seq,
                    value: (**a).clone(),
                });
                settled(&mut self.steps, &a.steps);
            }
            Event::NoticeSent(n) => {
                self.notices.push(Signed {
                    at: ts.to_owned(),
                    by: actor.to_owned(),
                    seq,
                    value: n.clone(),
                });
                settled(&mut self.steps, &n.steps);
            }
        }
    }

    /// Closed, or discarded: either way it takes no more work until it is reopened.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.is_some() || self.discarded.is_some()
    }

    pub(crate) fn state_label(&self) -> &'static str {
        if self.discarded.is_some() {
            "discarded"
        } else if self.is_closed() {
            "closed"
        } else {
            "open"
        }
    }

    /// Every runbook step in order, with its state.
    pub(crate) fn step_views(&self) -> Vec<StepView<'_>> {
        let obligations = self.clock(self.discovered.date).obligations;
        self.runbook
            .steps()
            .map(|(phase, step)| self.view_of(phase, step, &obligations))
            .collect()
    }

    fn view_of<'a>(
        &'a self,
        phase: Phase,
        step: &'a Step,
        obligations: &[obligations::Obligation],
    ) -> StepView<'a> {
        let record = self.steps.get(&step.id.value);
        let recorded = record.map_or(StepState::Open, |r| r.state);
        let when = step.when.as_ref();
        let mut view = StepView {
            phase,
            step,
            record,
            active: when.is_none_or(|c| self.facts.satisfies(&c.value)),
            state: recorded,
            because: None,
        };
        if !view.active {
            view.because = when.map(|c| format!("it applies only when {}", c.value.describe()));
        }
        let Some(Records::Notice(to)) = step.records.as_ref().map(|r| r.value) else {
            return view;
        };
        let notice = self.notice_binding(to, obligations);
        if !notice.applies {
            if view.active {
                view.active = false;
                view.because = Some(self.no_notice_because(to));
            }
            return view;
        }
        if !view.active {
            return view;
        }
        view.state = if notice.met {
            StepState::Done
        } else {
            StepState::Open
        };
        view.because = match (recorded, view.state) {
            (StepState::Done, StepState::Done) => None,
            (_, StepState::Done) => Some(format!(
                "the clock counts it done: {} (the notice was recorded before this step applied)",
                notice.summary
            )),
            (StepState::Open, StepState::Open) => None,
            (_, _) => Some(format!(
                "the clock counts it open again: {}",
                notice.summary
            )),
        };
        view
    }

    /// The obligations of the clock a notice to `to` meets, and where they stand.
    fn notice_binding(
        &self,
        to: Audience,
        obligations: &[obligations::Obligation],
    ) -> NoticeBinding {
        let audience = to;
        let matching: Vec<&obligations::Obligation> = obligations
            .iter()
            .filter(|o| o.key.audience() == audience)
            .collect();
        let summary = matching
            .iter()
            .map(|o| {
                let counts = match (o.notified, o.reachable) {
                    (Some(n), Some(r)) if o.met_on.is_none() => format!(", {n} of {r} reachable"),
                    _ => String::new(),
                };
                let status = if o.met_on.is_some() {
                    "met"
                } else if o.notified.is_some_and(|n| n > 0) {
                    "partial"
                } else {
                    "not met"
                };
                let label = match &o.state {
                    Some(state) => format!("{} ({state})", o.key.label().to_lowercase()),
                    None => o.key.label().to_lowercase(),
                };
                format!("{label} is {status}{counts}")
            })
            .collect::<Vec<_>>()
            .join("; ");
        NoticeBinding {
            applies: !matching.is_empty(),
            met: !matching.is_empty() && matching.iter().all(|o| o.met_on.is_some()),
            summary,
        }
    }

    /// Why the clock has no notice to `to`, in its own terms.
    fn no_notice_because(&self, to: Audience) -> String {
        let f = &self.facts;
        match to {
            Audience::CoveredEntity if !f.business_associate => {
                "the clock has no notice to a covered entity: the team is not a business associate (`breach facts --business-associate yes` if it is)".to_owned()
            }
            _ if f.business_associate => format!(
                "the clock has no notice to {}: a business associate notifies the covered entity, which gives the notices (45 CFR 164.410)",
                to.label()
            ),
            _ if !f.notification_required => match &self.assessment {
                Some(a) => format!(
                    "the clock has no notices: the assessment in force (entry {}) concludes {}",
                    a.seq,
                    a.value.determination.label()
                ),
                None => "the clock has no notices: notification is not required".to_owned(),
            },
            Audience::Substitute => "the clock has no substitute notice: everyone affected can be reached (0 unreachable recorded)".to_owned(),
            Audience::Media => "the clock has no media notice: no state or jurisdiction has more than 500 affected residents".to_owned(),
            _ => format!("the clock has no notice to {}", to.label()),
        }
    }

    /// Whether a bound step's action is on record, so the step can count as done: an
    /// assessment, the counts (affected and unreachable), a law-enforcement hold, or the
    /// notice's obligations met.
    pub(crate) fn binding_satisfied(&self, step: &Step) -> bool {
        match step.records.as_ref().map(|r| r.value) {
            None => false,
            Some(Records::Assessment) => self.assessment.is_some(),
            Some(Records::Facts) => {
                self.facts.affected.is_some() && self.facts.unreachable.is_some()
            }
            Some(Records::Delay) => !self.facts.law_enforcement_holds.is_empty(),
            Some(Records::Notice(to)) => {
                let obligations = self.clock(self.discovered.date).obligations;
                self.notice_binding(to, &obligations).met
            }
        }
    }

    /// What a notice step still lacks, in the clock's words: "notice to individuals is partial,
    /// 1000 of 1100 reachable".
    pub(crate) fn notice_shortfall(&self, to: Audience) -> String {
        let obligations = self.clock(self.discovered.date).obligations;
        self.notice_binding(to, &obligations).summary
    }

    /// The open steps bound to an action that `event`, recorded next, would settle: the write
    /// path puts them in the same entry.
    pub(crate) fn settled_by(&self, event: &Event) -> Vec<String> {
        let mut after = self.clone();
        after.apply(event, self.head.seq + 1, "", "");
        let before = self.step_views();
        let after_views = after.step_views();
        before
            .iter()
            .zip(after_views.iter())
            .filter(|(b, a)| {
                b.step.records.is_some()
                    && b.state == StepState::Open
                    && a.active
                    && after.binding_satisfied(a.step)
                    && self.bound_to(b.step, event)
            })
            .map(|(b, _)| b.step.id.value.clone())
            .collect()
    }

    /// Whether `event` is the kind of action `step` is bound to.
    fn bound_to(&self, step: &Step, event: &Event) -> bool {
        match (step.records.as_ref().map(|r| r.value), event) {
            (Some(Records::Assessment), Event::Assessed(_)) => true,
            (Some(Records::Facts), Event::FactsChanged(c)) => {
                c.update.affected.is_some() || c.update.unreachable.is_some()
            }
            (Some(Records::Delay), Event::FactsChanged(c)) => {
                c.update.law_enforcement_delay.is_some()
            }
            (Some(Records::Notice(to)), Event::NoticeSent(n)) => n.to == to,
            _ => false,
        }
    }

    pub(crate) fn view(&self, id: &str) -> Option<StepView<'_>> {
        self.step_views()
            .into_iter()
            .find(|v| v.step.id.value == id)
    }

    /// The dependencies of `step` that still hold it back: open and applicable.
    pub(crate) fn blocking_dependencies(&self, step: &Step) -> Vec<String> {
        step.depends_on
            .iter()
            .filter_map(|dep| self.view(&dep.value))
            .filter(|v| v.active && v.state() == StepState::Open)
            .map(|v| v.step.id.value.clone())
            .collect()
    }

    /// Steps that can be worked now: open, applicable, and with every dependency settled.
    pub(crate) fn workable(&self) -> Vec<StepView<'_>> {
        if self.is_closed() {
            return Vec::new();
        }
        self.step_views()
            .into_iter()
            .filter(|v| {
                v.active
                    && v.state() == StepState::Open
                    && self.blocking_dependencies(v.step).is_empty()
            })
            .collect()
    }

    /// Required, applicable steps that are still open: what blocks `close`.
    pub(crate) fn open_required(&self) -> Vec<String> {
        self.step_views()
            .into_iter()
            .filter(|v| v.step.required && v.active && v.state() == StepState::Open)
            .map(|v| v.step.id.value.clone())
            .collect()
    }

    /// Counts of settled (not open) and applicable steps per phase.
    pub(crate) fn progress(&self) -> Vec<(Phase, usize, usize)> {
        let views = self.step_views();
        Phase::ALL
            .iter()
            .map(|&phase| {
                let in_phase: Vec<_> = views
                    .iter()
                    .filter(|v| v.phase == phase && v.active)
                    .collect();
                let settled = in_phase
                    .iter()
                    .filter(|v| v.state() != StepState::Open)
                    .count();
                (phase, settled, in_phase.len())
            })
            .collect()
    }

    /// The step with this id, or an error that suggests the closest id.
    pub(crate) fn find_step(&self, id: &str) -> Result<StepView<'_>, Error> {
        self.view(id).ok_or_else(|| Error::UnknownStep {
            step: crate::text::sanitize(id).into_owned(),
            incident: self.id.clone(),
            suggestion: crate::text::closest(
                id,
                self.runbook.steps().map(|(_, s)| s.id.value.as_str()),
            ),
        })
    }

    /// Checks that `step` may move to `target`; returns the step's view.
    pub(crate) fn check_transition(
        &self,
        id: &str,
        target: StepState,
    ) -> Result<StepView<'_>, Error> {
        if self.is_closed() {
            return Err(Error::refused(format!(
                "incident {} is closed: steps can no longer change (notes are still accepted)",
                self.id
            )));
        }
        let view = self.find_step(id)?;
        let current = view.state();
        if let Some(Records::Notice(to)) = view.step.records.as_ref().map(|r| r.value)
            && view.active
            && target != StepState::Done
        {
            let summary = self.notice_shortfall(to);
            return Err(Error::refused(if current == StepState::Done {
                format!(
                    "step `{id}` is done because the clock counts its notice as given ({summary}); a notice once sent stays sent: if a count changed, record it with `breach facts`"
                )
            } else {
                format!(
                    "step `{id}` stands for the notice to {} that the clock says is due ({summary}): it is done by recording the notice (`breach done {id} --date … --method …` or `breach notify --to {}`), and drops away only when the facts or an assessment say the notice is not needed",
                    to.label(),
                    to.flag()
                )
            }));
        }
        if current == target {
            let hint = if target == StepState::Open {
                String::new()
            } else {
                format!("; to change it, first `breach reopen {id} --reason …`")
            };
            return Err(Error::refused(format!(
                "step `{id}` is already {}{hint}",
                current.label()
            )));
        }
        if target != StepState::Open && current != StepState::Open {
            return Err(Error::refused(format!(
                "step `{id}` is {}; `breach reopen {id} --reason …` first to change it",
                current.label()
            )));
        }
        if target == StepState::Done {
            let blocking = self.blocking_dependencies(view.step);
            if !blocking.is_empty() {
                return Err(Error::refused(format!(
                    "step `{id}` waits on {}: finish, skip or mark those not applicable first",
                    blocking
                        .iter()
                        .map(|b| format!("`{b}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        Ok(view)
    }

    /// When a step is due. A step bound to a notice is due when the clock says that notice is
    /// due, at the end of that day: held by law enforcement, moved by the facts, per state (the
    /// earliest of them). Any other step is due its runbook offset after discovery.
    pub(crate) fn step_due(
        &self,
        step: &Step,
        calendar: &crate::clock::Calendar,
    ) -> Option<DateTime<Utc>> {
        if let Some(Records::Notice(to)) = step.records.as_ref().map(|r| r.value) {
            let audience = to;
            return self
                .due_dates()
                .iter()
                .filter(|o| o.key.audience() == audience)
                .map(|o| o.due)
                .min()
                .map(|due| calendar.end_of_day(due));
        }
        let offset = step.due.as_ref()?;
        Some(self.discovered_at() + chrono::Duration::hours(offset.value.hours()))
    }

    /// The discovery instant.
    pub(crate) fn discovered_at(&self) -> DateTime<Utc> {
        self.discovered.at
    }

    /// The regulatory clock as of `today` (a calendar date in the organisation's time zone).
    pub(crate) fn clock(&self, today: chrono::NaiveDate) -> obligations::Clock {
        obligations::clock(
            self.discovered.date,
            &self.facts,
            self.facts.notification_required,
            &self.sent_notices(),
            today,
        )
    }

    /// The obligations' due dates alone, for telling what a change would move.
    pub(crate) fn due_dates(&self) -> Vec<obligations::Obligation> {
        obligations::due_dates(
            self.discovered.date,
            &self.facts,
            self.facts.notification_required,
        )
        .0
    }

    pub(crate) fn sent_notices(&self) -> Vec<obligations::SentNotice> {
        self.notices
            .iter()
            .map(|n| obligations::SentNotice {
                to: n.value.to,
                date: n.value.date,
                state: n.value.state.clone(),
                count: n.value.count,
            })
            .collect()
    }

    /// The last day this record must be kept (six years, 45 CFR 164.530(j)(2)).
    pub(crate) fn retain_until(&self, calendar: &crate::clock::Calendar) -> chrono::NaiveDate {
        let date = |ts: &str| {
            chrono::DateTime::parse_from_rfc3339(ts)
                .map(|t| calendar.local_date(t.with_timezone(&chrono::Utc)))
                .unwrap_or(self.discovered.date)
        };
        obligations::retain_until(date(&self.opened_at), date(&self.last_at))
    }

    /// Which entries were recorded on a substituted clock, in plain words, when any were.
    pub(crate) fn substituted_clock_note(&self) -> Option<String> {
        if self.substituted_clock.is_empty() {
            return None;
        }
        let ranges: Vec<String> = self
            .substituted_clock
            .iter()
            .map(|(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}–{b}")
                }
            })
            .collect();
        let which = if self.substituted_clock == [(0, self.head.seq)] {
            "Every entry of this log was".to_owned()
        } else {
            format!("Entries {} were", ranges.join(", "))
        };
        Some(format!(
            "{which} recorded on a substituted clock (BREACH_NOW), not the system clock: their times are what whoever ran breach set, not when they were written."
        ))
    }

    /// The determination the clock rests on, in words, when one has been recorded.
    pub(crate) fn rests_on(&self) -> Option<String> {
        self.assessment.as_ref().map(|a| {
            format!(
                "{} (assessment signed by {}, {}, entry {}{})",
                a.value.determination.label(),
                a.value.signed_by,
                a.value.role,
                a.seq,
                match self.superseded_assessments {
                    0 => String::new(),
                    n => format!("; supersedes {n} earlier assessment(s)"),
                }
            )
        })
    }
}
