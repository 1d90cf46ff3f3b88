//! Exports for counsel, auditors and calendars: Markdown, self-contained HTML, JSON, CSV and
//! iCalendar, all drawn from one [`Report`] built from the verified log.
//!
//! Untrusted text (titles, notes, evidence) is escaped by the template engine in HTML, made
//! table-safe in Markdown, and neutralised in CSV against spreadsheet formula injection. The JSON
//! export carries every log entry exactly, so the incident can be rebuilt from it and checked
//! link by link ([`log_from_json`]).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::clock::{self, Calendar, GivenTime};
use crate::error::Error;
use crate::incident::event::{Assessment, Determination, Event};
use crate::incident::obligations::{Audience, Clock, Status, SubstituteForm};
use crate::incident::{Facts, Incident, StepState, TimelineEntry};
use crate::log::{self, Head};
use crate::profile::Profile;
use crate::render::deadlines::DeadlinesView;
use crate::runbook::Phase;

mod docx;
pub(crate) mod formats;
mod svg;
mod timeline;

pub(crate) use docx::{PageFurniture, report_docx};
pub(crate) use formats::{
    CalendarEvent, csv_export, export_schema, ics_calendar, ics_export, json_export,
};
pub(crate) use svg::timeline_svg;
pub(crate) use timeline::Narrator;

/// One log entry for the JSON export: its place in the chain, and the line exactly as written
/// (re-serialising the payload could reorder its keys and so change its hash).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct RawEntry {
    pub seq: u64,
    pub kind: String,
    pub hash: String,
    pub line: String,
}

/// The version of the JSON export's layout (its `format`), which its schema carries.
pub(crate) const EXPORT_FORMAT: &str = "breach-export/1";

/// Everything an export shows, in the order a reader needs it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Report<'a> {
    pub format: &'static str,
    pub tool: String,
    pub exported_at: String,
    pub exported_local: String,
    /// The zone every local time and date of the export is in.
    pub zone: String,
    pub incident: IncidentSummary,
    pub organisation: Profile,
    pub runbook: RunbookSummary,
    pub facts: Facts,
    pub determination: Option<DeterminationSection>,
    /// Every assessment recorded, in order: the superseded ones marked, with who signed each.
    pub assessments: Vec<AssessmentEntry>,
    pub deadlines: DeadlinesView<'a>,
    pub obligations: Vec<ObligationRow>,
    pub phases: Vec<PhaseReport>,
    pub notices: Vec<NoticeRow>,
    pub attachments: Vec<AttachmentRow>,
    pub timeline: Rows<'a, TimelineRow>,
    pub verification: Verification,
}

/// The rows of a long part of a report (the timeline, the entries): held, or read from the log
/// (an export's copy of the lines it verified, or the store's log itself for the store-wide
/// views) as they are written out, so that an export to a file or a pipe never holds them all.
pub(crate) enum Rows<'a, T> {
    Held(Vec<T>),
    /// Hands each row to the sink it is given, once.
    FromLog(RowSource<'a, T>),
}

/// A later read of the rows (from the lines an export verified, or a store's logs) that hands
/// each row to a sink.
pub(crate) type RowSource<'a, T> =
    std::cell::RefCell<Option<Box<dyn FnOnce(&mut dyn FnMut(T)) -> Result<(), Error> + 'a>>>;

impl<'a, T> Rows<'a, T> {
    /// Rows read from the log by `read` when they are written out.
    pub(crate) fn from_log(read: impl FnOnce(&mut dyn FnMut(T)) -> Result<(), Error> + 'a) -> Self {
        Rows::FromLog(std::cell::RefCell::new(Some(Box::new(read))))
    }

    /// Hands every row to `sink`, in order.
    pub(crate) fn each(&self, sink: &mut dyn FnMut(&T)) -> Result<(), Error> {
        match self {
            Rows::Held(rows) => {
                rows.iter().for_each(sink);
                Ok(())
            }
            Rows::FromLog(source) => match source.borrow_mut().take() {
                Some(read) => read(&mut |row| sink(&row)),
                None => Err(Error::input(
                    "the log was already read for this export".to_owned(),
                )),
            },
        }
    }
}

impl<T> std::fmt::Debug for Rows<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rows::Held(rows) => write!(f, "{} rows", rows.len()),
            Rows::FromLog(_) => f.write_str("rows read from the log"),
        }
    }
}

/// Rows are an array of their rows, however they are read.
impl<T: schemars::JsonSchema> schemars::JsonSchema for Rows<'_, T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Array_of_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<Vec<T>>()
    }
}

impl<T: Serialize> Serialize for Rows<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let mut seq = serializer.serialize_seq(match self {
            Rows::Held(rows) => Some(rows.len()),
            Rows::FromLog(_) => None,
        })?;
        let mut failed = None;
        let read = self.each(&mut |row| {
            if failed.is_none()
                && let Err(e) = seq.serialize_element(row)
            {
                failed = Some(e);
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        read.map_err(|e| S::Error::custom(e.to_string()))?;
        seq.end()
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct IncidentSummary {
    pub id: String,
    pub title: String,
    pub state: &'static str,
    pub discovered: GivenTime,
    pub discovered_local: String,
    pub opened_at: String,
    pub opened_by: String,
    pub closed: Option<ClosedRow>,
    /// The last day the record must be kept (six years, 45 CFR 164.530(j)(2)).
    pub retain_until: NaiveDate,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct ClosedRow {
    pub at: String,
    pub by: String,
    pub forced: bool,
    pub reason: Option<String>,
    pub open_required: Vec<String>,
}

/// The determination in force and the assessment it rests on.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct DeterminationSection {
    pub text: Option<String>,
    pub determination: Determination,
    pub label: &'static str,
    pub assessment: Assessment,
    pub at: String,
    pub by: String,
    pub seq: u64,
}

/// One assessment as the report lists them all.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct AssessmentEntry {
    pub seq: u64,
    pub at: String,
    pub signed_by: String,
    pub role: String,
    pub determination: &'static str,
    /// The risk each factor leaves, "nature high, recipient medium, …", when rated.
    pub risks: Option<String>,
    pub override_reason: Option<String>,
    /// The entry of the assessment that superseded it; `None` for the one in force.
    pub superseded_by: Option<u64>,
}

/// Every assessment of `incident`, in the order recorded.
fn assessment_entries(incident: &Incident, cal: &Calendar) -> Vec<AssessmentEntry> {
    let all: Vec<&crate::incident::Signed<crate::incident::event::Assessment>> = incident
        .earlier_assessments
        .iter()
        .chain(incident.assessment.as_ref())
        .collect();
    all.iter()
        .enumerate()
        .map(|(i, a)| AssessmentEntry {
            seq: a.seq,
            at: local(cal, &a.at),
            signed_by: a.value.signed_by.clone(),
            role: a.value.role.clone(),
            determination: a.value.determination.label(),
            risks: a.value.factors.as_ref().map(|f| {
                format!(
                    "nature {}, recipient {}, acquired {}, after mitigation {}",
                    f.nature.rating.name(),
                    f.recipient.rating.name(),
                    f.acquired.rating.name(),
                    f.mitigation.rating.name()
                )
            }),
            override_reason: a.value.override_reason.clone(),
            superseded_by: all.get(i + 1).map(|next| next.seq),
        })
        .collect()
}

/// A notice recorded as sent.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct NoticeRow {
    pub seq: u64,
    pub recorded_at: String,
    pub by: String,
    pub to: Audience,
    pub date: NaiveDate,
    pub method: String,
    pub count: Option<u64>,
    pub state: Option<String>,
    pub note: Option<String>,
    /// Why it went out while a law-enforcement hold was in force, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub despite_hold: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct RunbookSummary {
    pub id: String,
    pub version: String,
    pub title: String,
    pub sha256: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
/// One obligation, identified exactly as `deadlines --json` identifies it (`key`, `state`,
/// `due`, `status`, `held_until`, `met_on`), with words for people beside.
pub(crate) struct ObligationRow {
    pub key: &'static str,
    /// The state or jurisdiction, for media notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The covered entity, for a business associate's notice when the facts name several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    pub label: String,
    /// Null for a state item with no day count (`expedient`).
    pub due: Option<NaiveDate>,
    /// For an expedient state item: the latest day the clock holds it to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<NaiveDate>,
    /// The due date as a person reads it (an expedient item's latest day, so marked).
    pub due_words: String,
    pub days_left: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<SubstituteForm>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub basis: String,
    pub why: String,
    pub met_on: Option<NaiveDate>,
    pub held_until: Option<NaiveDate>,
    /// For the notices to people: what was mailed, emailed, returned and re-mailed, and the
    /// same in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<crate::incident::obligations::NoticesSent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
    /// For a state-law item: what its row of the state table says.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub state_law: Option<crate::incident::obligations::StateLaw>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct PhaseReport {
    pub name: &'static str,
    pub steps: Vec<StepReport>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct StepReport {
    pub id: String,
    pub title: String,
    pub owner: &'static str,
    pub required: bool,
    pub applies: bool,
    pub state: &'static str,
    /// What the step records on the regulatory record, when it is bound to an action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<crate::runbook::Records>,
    /// Why it does not apply, or why the clock's state differs from the last recorded change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because: Option<String>,
    /// The person the step is assigned to (`breach assign`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    pub actor: Option<String>,
    /// When it was recorded.
    pub at: Option<String>,
    /// When it happened, when recorded as earlier (`--at`).
    pub happened: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub evidence: Vec<(String, String)>,
    pub notes: Vec<String>,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct AttachmentRow {
    pub seq: u64,
    pub name: String,
    pub stored: String,
    pub sha256: String,
    pub bytes: u64,
    pub step: Option<String>,
    pub at: String,
    pub actor: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct TimelineRow {
    pub seq: u64,
    pub ts: String,
    pub local: String,
    /// When it happened (`--at`), UTC and local, when earlier than when it was recorded.
    pub happened: Option<String>,
    pub happened_local: Option<String>,
    /// Whether `ts` comes from a substituted clock.
    pub substituted_clock: bool,
    pub actor: String,
    /// The database login that wrote the entry, as the store authenticated it (a database
    /// store only): beside `actor`, the name the person gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_by: Option<String>,
    pub kind: String,
    pub summary: String,
    pub hash: String,
    /// When a later entry withdrew this one: which, by whom, when and why. The entry stays in
    /// the record; the state and the clock are as if it had not been recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub void: Option<VoidMark>,
}

/// The void that withdrew an entry.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct VoidMark {
    /// The sequence number of the void.
    pub by_entry: u64,
    pub actor: String,
    /// When the void was recorded (RFC 3339, UTC).
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct Verification {
    pub ok: bool,
    pub entries: u64,
    pub head: Head,
    pub result: String,
    /// Entries recorded on a substituted clock, as inclusive `[first, last]` ranges of seq.
    pub substituted_clock: Vec<(u64, u64)>,
    /// The same in plain words, when there are any.
    pub clock_note: Option<String>,
}

pub(super) fn local(cal: &Calendar, ts: &str) -> String {
    DateTime::parse_from_rfc3339(ts)
        .map(|t| cal.local_display(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| ts.to_owned())
}

/// The incident's own part of the report: id, title, state, discovery, who opened it, when it
/// may be destroyed, and how it was closed.
fn incident_summary(incident: &Incident, cal: &Calendar) -> IncidentSummary {
    IncidentSummary {
        id: incident.id.clone(),
        title: incident.title.clone(),
        state: incident.state_label(),
        discovered: incident.discovered.clone(),
        discovered_local: super::terminal::discovered_line(&incident.discovered, cal),
        opened_at: local(cal, &incident.opened_at),
        opened_by: incident.opened_by.clone(),
        retain_until: incident.retain_until(cal),
        closed: incident.closed.as_ref().map(|(at, by, c)| ClosedRow {
            at: local(cal, at),
            by: by.clone(),
            forced: c.forced,
            reason: c.reason.clone(),
            open_required: c.open_required.clone(),
        }),
    }
}

/// Every notice recorded, as the report lists them.
fn notice_rows(incident: &Incident, cal: &Calendar) -> Vec<NoticeRow> {
    incident
        .notices
        .iter()
        .map(|n| NoticeRow {
            seq: n.seq,
            recorded_at: local(cal, &n.at),
            by: n.by.clone(),
            to: n.value.to,
            date: n.value.date,
            method: n.value.method.clone(),
            count: n.value.count,
            state: n.value.state.clone(),
            note: n.value.note.clone(),
            despite_hold: n.value.despite_hold.clone(),
        })
        .collect()
}

/// The clock's obligations, as the report lists them.
fn obligation_rows(clock: &Clock) -> Vec<ObligationRow> {
    clock
        .obligations
        .iter()
        .map(|o| ObligationRow {
            key: o.key.name(),
            state: o.state.clone(),
            entity: o.entity.clone(),
            label: o.label(),
            due: o.due_shown,
            latest: o.latest,
            due_words: o.due_words(),
            days_left: o.days_left,
            form: o.form,
            status: o.status.name(),
            status_label: o.status.label(),
            basis: o.basis.clone(),
            why: o.why.clone(),
            met_on: o.met_on,
            held_until: o.held_until,
            sent: o.sent,
            progress: o.progress(),
            state_law: o.state_law.clone(),
        })
        .collect()
}

/// The notes each step was given and the attachments, from the timeline.
fn notes_and_attachments(
    incident: &Incident,
    cal: &Calendar,
) -> (BTreeMap<String, Vec<String>>, Vec<AttachmentRow>) {
    let mut notes_by_step: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut attachments = Vec::new();
    for t in &incident.timeline {
        match &t.event {
            Event::Note(n) => {
                if let Some(s) = &n.step {
                    notes_by_step.entry(s.clone()).or_default().push(format!(
                        "{} ({}, {})",
                        n.text,
                        t.actor,
                        local(cal, &t.ts)
                    ));
                }
            }
            Event::Attachment(a) => attachments.push(AttachmentRow {
                seq: t.seq,
                name: a.name.clone(),
                stored: a.stored.clone(),
                sha256: a.sha256.clone(),
                bytes: a.bytes,
                step: a.step.clone(),
                at: local(cal, &t.ts),
                actor: t.actor.clone(),
            }),
            _ => {}
        }
    }
    (notes_by_step, attachments)
}

/// Every phase with its steps as the report shows them: state, who settled each and when, its
/// evidence in the runbook's order, its notes.
fn phase_reports(
    incident: &Incident,
    notes_by_step: &BTreeMap<String, Vec<String>>,
    cal: &Calendar,
) -> Vec<PhaseReport> {
    let views = incident.step_views();
    Phase::ALL
        .iter()
        .map(|&phase| PhaseReport {
            name: phase.name(),
            steps: views
                .iter()
                .filter(|v| v.phase == phase)
                .map(|v| StepReport {
                    id: v.step.id.value.clone(),
                    title: v.step.title.value.clone(),
                    owner: v.step.owner.label(),
                    required: v.step.required,
                    applies: v.active,
                    state: if v.active {
                        v.state().label()
                    } else {
                        "does not apply"
                    },
                    records: v.step.records.as_ref().map(|r| r.value),
                    because: v.because.clone(),
                    assignee: incident.assignee(&v.step.id.value).map(str::to_owned),
                    actor: v.record.map(|r| r.actor.clone()),
                    at: v.record.map(|r| local(cal, &r.at)),
                    happened: v
                        .record
                        .and_then(|r| r.happened.as_deref().map(|h| local(cal, h))),
                    reason: v.record.and_then(|r| r.reason.clone()),
                    note: v.record.and_then(|r| r.note.clone()),
                    // In the runbook's order, not alphabetical: the order the author meant.
                    evidence: v
                        .record
                        .map(|r| {
                            v.step
                                .evidence
                                .iter()
                                .filter_map(|f| {
                                    r.evidence
                                        .get(&f.name.value)
                                        .map(|val| (f.name.value.clone(), val.clone()))
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    notes: notes_by_step
                        .get(&v.step.id.value)
                        .cloned()
                        .unwrap_or_default(),
                    references: v.step.references.clone(),
                })
                .collect(),
        })
        .collect()
}

/// Builds the report from an incident replayed with its timeline (or with the entries a report
/// shows beside it, when the caller sets the timeline to be read from the log).
pub(crate) fn report<'a>(
    incident: &'a Incident,
    profile: &Profile,
    clock: &'a Clock,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Report<'a> {
    let (notes_by_step, attachments) = notes_and_attachments(incident, cal);
    let phases = phase_reports(incident, &notes_by_step, cal);
    let mut narrator = Narrator::new(incident);
    let timeline = Rows::Held(
        incident
            .timeline
            .iter()
            .map(|t| narrator.row(t, cal))
            .collect(),
    );
    let today = cal.local_date(now);
    Report {
        format: EXPORT_FORMAT,
        tool: format!("breach {}", env!("CARGO_PKG_VERSION")),
        exported_at: clock::log_timestamp(now),
        exported_local: cal.local_display(now),
        zone: cal.zone_name(),
        incident: incident_summary(incident, cal),
        organisation: profile.clone(),
        runbook: RunbookSummary {
            id: incident.pinned.id.clone(),
            version: incident.pinned.version.clone(),
            title: incident.pinned.title.clone(),
            sha256: incident.pinned.sha256.clone(),
            source: incident.pinned.source.clone(),
        },
        facts: incident.facts.clone(),
        determination: incident.assessment.as_ref().map(|a| DeterminationSection {
            text: incident.rests_on(),
            determination: a.value.determination,
            label: a.value.determination.label(),
            assessment: a.value.clone(),
            at: local(cal, &a.at),
            by: a.by.clone(),
            seq: a.seq,
        }),
        assessments: assessment_entries(incident, cal),
        deadlines: DeadlinesView::new(incident, clock, today, cal.zone_name()),
        obligations: obligation_rows(clock),
        phases,
        notices: notice_rows(incident, cal),
        attachments,
        timeline,
        verification: Verification {
            ok: true,
            entries: incident.head.seq + 1,
            head: incident.head.clone(),
            result: format!(
                "intact: {} entries verified, every sequence number, link and hash checked",
                incident.head.seq + 1
            ),
            substituted_clock: incident.substituted_clock.clone(),
            clock_note: incident.substituted_clock_note(),
        },
    }
}
