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
mod replay;
pub(crate) mod roster;
pub(crate) mod screen;
mod steps;
pub(crate) mod summary;

pub(crate) use replay::{Finished, Replay, verify_opening};
pub(crate) use steps::{StepDue, StepView};

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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
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
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
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
    pub pinned: std::sync::Arc<event::PinnedRunbook>,
    /// Shared: incidents pinned to the same runbook bytes hold one copy (see the replay).
    pub runbook: std::sync::Arc<Runbook>,
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
    /// The assessments a later one superseded, in the order they were recorded.
    #[serde(default)]
    pub earlier_assessments: Vec<Signed<event::Assessment>>,
    pub notices: Vec<Signed<event::NoticeSent>>,
    /// What HHS was last told through the portal (the notice or its latest addendum): the
    /// counts then, so that a change since asks for an addendum.
    #[serde(default)]
    pub hhs_told: Option<HhsTold>,
    /// The authorities' time stamps, in the order they were recorded.
    #[serde(default)]
    pub timestamps: Vec<event::TimestampSeen>,
    /// Every entry, when the replay was asked to keep them ([`Replay::with_timeline`]).
    #[serde(skip)]
    pub timeline: Vec<TimelineEntry>,
    /// The entries recorded on a substituted clock (`BREACH_NOW`), as inclusive ranges of seq.
    pub substituted_clock: Vec<(u64, u64)>,
    /// When the last entry was recorded.
    pub last_at: String,
    pub head: Head,
    /// Every void recorded, in order, whether or not a later one withdrew it.
    #[serde(default)]
    pub voids: Vec<event::VoidSeen>,
    /// The entries this state was built without (withdrawn by a void in effect), ascending.
    #[serde(default)]
    pub skipped: Vec<u64>,
    /// Who is to do each assigned step, with who assigned it, when and in which entry.
    #[serde(default)]
    pub assignees: BTreeMap<String, Signed<String>>,
}

/// The counts HHS was given on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub(crate) struct HhsTold {
    pub date: chrono::NaiveDate,
    pub affected: Option<u64>,
    pub states: std::collections::BTreeMap<String, u64>,
}

impl Incident {
    /// The addendum the OCR portal asks for, when the affected count or the states changed
    /// after HHS was told (45 CFR 164.408; the portal takes an addendum to a report filed).
    pub(crate) fn hhs_addendum_owed(&self) -> Option<String> {
        let told = self.hhs_told.as_ref()?;
        if told.affected == self.facts.affected && told.states == self.facts.states {
            return None;
        }
        let count =
            |n: Option<u64>| n.map_or_else(|| "an unknown number".to_owned(), |n| n.to_string());
        Some(format!(
            "HHS was told of {} affected on {}{}; the record now says {}{}: file an addendum to the report on the OCR portal and record it with `breach notify --to hhs --method portal --addendum`.",
            count(told.affected),
            told.date,
            states_words(&told.states),
            count(self.facts.affected),
            states_words(&self.facts.states),
        ))
    }

    /// How long notices have waited since the team was ready to notify (164.404(b): without
    /// unreasonable delay; 164.414: the organisation bears the burden of showing it): the days
    /// since, while a notice to people is owed, and each notice sent after that day.
    pub(crate) fn delay_since_ready(&self, today: chrono::NaiveDate) -> Vec<String> {
        let Some(ready) = self.facts.ready_to_notify else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let individuals_sent = self.notices.iter().any(|n| {
            n.value.to == crate::rules::Audience::Individuals && n.value.not_counted.is_none()
        });
        if !individuals_sent && self.facts.notification_required {
            out.push(format!(
                "Ready to notify since {ready}, {} day(s) ago: the notices are due without unreasonable delay from then, not only by day 60 (45 CFR 164.404(b); the burden of showing a delay was reasonable is the organisation's, 164.414).",
                (today - ready).num_days()
            ));
        }
        for n in &self.notices {
            let days = (n.value.date - ready).num_days();
            if days > 0 && n.value.not_counted.is_none() {
                out.push(format!(
                    "The notice to {} on {} went out {days} day(s) after the team was ready to notify ({ready}): keep the reason the delay was reasonable with the record (45 CFR 164.404(b), 164.414).",
                    n.value.to.label(),
                    n.value.date
                ));
            }
        }
        out
    }

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
            // A void's effect is the replay's: it rebuilds the state without the entry.
            Event::Opened(_)
            | Event::Note(_)
            | Event::Attachment(_)
            | Event::MessageRecorded(_)
            | Event::Repaired(_)
            | Event::Voided(_) => {}
            Event::StepAssigned(a) => match &a.assignee {
                Some(to) => {
                    self.assignees.insert(
                        a.step.clone(),
                        Signed {
                            at: ts.to_owned(),
                            by: actor.to_owned(),
                            seq,
                            value: to.clone(),
                        },
                    );
                }
                None => {
                    self.assignees.remove(&a.step);
                }
            },
            Event::TimestampAdded(t) => self.timestamps.push(event::TimestampSeen {
                seq,
                covers: t.covers,
                time: t.time.clone(),
                tsa: t.tsa.clone(),
                serial: t.serial.clone(),
                nonce: t.nonce.clone(),
            }),
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
                self.facts.determined_on = if self.facts.notification_required {
                    self.facts.determined_on.or_else(|| self.local_date_of(ts))
                } else {
                    None
                };
                if let Some(earlier) = self.assessment.take() {
                    self.superseded_assessments += 1;
                    self.earlier_assessments.push(earlier);
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
                if n.remailed && n.not_counted.is_none() {
                    self.facts.remail(n.count.unwrap_or(0));
                }
                if n.to == crate::rules::Audience::Hhs && n.not_counted.is_none() {
                    self.hhs_told = Some(HhsTold {
                        date: n.date,
                        affected: self.facts.affected,
                        states: self.facts.states.clone(),
                    });
                }
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

    /// The person a step is assigned to, if anyone.
    pub(crate) fn assignee(&self, step: &str) -> Option<&str> {
        self.assignees.get(step).map(|a| a.value.as_str())
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

    /// The calendar date of an entry's time `ts`, at the discovery's UTC offset.
    fn local_date_of(&self, ts: &str) -> Option<chrono::NaiveDate> {
        let offset: chrono::FixedOffset = self.discovered.offset.parse().ok()?;
        let at = chrono::DateTime::parse_from_rfc3339(ts).ok()?;
        Some(at.with_timezone(&offset).date_naive())
    }

    /// The discovery instant.
    pub(crate) fn discovered_at(&self) -> DateTime<Utc> {
        self.discovered.at
    }

    /// The regulatory clock as of `today` (a calendar date in the organisation's time zone).
    pub(crate) fn clock(&self, today: chrono::NaiveDate) -> obligations::Clock {
        let mut clock = obligations::clock(
            self.discovered.date,
            &self.facts,
            self.facts.notification_required,
            &self.sent_notices(),
            today,
        );
        if let Some(addendum) = self.hhs_addendum_owed() {
            clock.warnings.push(addendum);
        }
        clock.warnings.extend(self.delay_since_ready(today));
        clock
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
                // An addendum adds to the report HHS has; it is not the notice itself.
                counts: n.value.not_counted.is_none() && !n.value.addendum,
                by_email: n.value.method == "email",
                remailed: n.value.remailed,
                entity: n.value.entity.clone(),
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

/// " (TX 600, OK 300)", or nothing without per-state counts.
fn states_words(states: &std::collections::BTreeMap<String, u64>) -> String {
    if states.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = states.iter().map(|(s, n)| format!("{s} {n}")).collect();
    format!(" ({})", parts.join(", "))
}
