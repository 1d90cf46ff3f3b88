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

/// One log entry for the JSON export: its place in the chain, and the line exactly as written
/// (re-serialising the payload could reorder its keys and so change its hash).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RawEntry {
    pub seq: u64,
    pub kind: String,
    pub hash: String,
    pub line: String,
}

/// Everything an export shows, in the order a reader needs it.
#[derive(Debug, Serialize)]
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
    pub deadlines: DeadlinesView<'a>,
    pub obligations: Vec<ObligationRow>,
    pub phases: Vec<PhaseReport>,
    pub notices: Vec<NoticeRow>,
    pub attachments: Vec<AttachmentRow>,
    pub timeline: Rows<'a, TimelineRow>,
    pub verification: Verification,
}

/// The rows of a long part of a report (the timeline, the entries): held, or read from the log
/// as they are written out, so that an export to a file or a pipe never holds them all.
pub(crate) enum Rows<'a, T> {
    Held(Vec<T>),
    /// Hands each row to the sink it is given, once.
    FromLog(RowSource<'a, T>),
}

/// A second read of the log that hands each row to a sink.
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

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ClosedRow {
    pub at: String,
    pub by: String,
    pub forced: bool,
    pub reason: Option<String>,
    pub open_required: Vec<String>,
}

/// The determination in force and the assessment it rests on.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeterminationSection {
    pub text: Option<String>,
    pub determination: Determination,
    pub label: &'static str,
    pub assessment: Assessment,
    pub at: String,
    pub by: String,
    pub seq: u64,
}

/// A notice recorded as sent.
#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunbookSummary {
    pub id: String,
    pub version: String,
    pub title: String,
    pub sha256: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
/// One obligation, identified exactly as `deadlines --json` identifies it (`key`, `state`,
/// `due`, `status`, `held_until`, `met_on`), with words for people beside.
pub(crate) struct ObligationRow {
    pub key: &'static str,
    /// The state or jurisdiction, for media notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub label: String,
    pub due: NaiveDate,
    pub days_left: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<SubstituteForm>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub basis: String,
    pub why: String,
    pub met_on: Option<NaiveDate>,
    pub held_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct PhaseReport {
    pub name: &'static str,
    pub steps: Vec<StepReport>,
}

#[derive(Debug, Clone, Serialize)]
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
    pub actor: Option<String>,
    pub at: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub evidence: Vec<(String, String)>,
    pub notes: Vec<String>,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
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
    pub kind: String,
    pub summary: String,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
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

fn local(cal: &Calendar, ts: &str) -> String {
    DateTime::parse_from_rfc3339(ts)
        .map(|t| cal.local_display(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| ts.to_owned())
}

/// One line saying what an entry recorded, with the steps it checked off.
pub(crate) fn summarise(event: &Event) -> String {
    let mut line = summarise_action(event);
    if !event.settles().is_empty() {
        line.push_str(&format!(
            "; checked off step {}",
            event.settles().join(", ")
        ));
    }
    line
}

fn summarise_action(event: &Event) -> String {
    match event {
        Event::Opened(o) => format!(
            "incident opened on runbook {} {}",
            o.runbook.id, o.runbook.version
        ),
        Event::StepDone(d) => {
            let mut s = format!("step {} done", d.step);
            if !d.evidence.is_empty() {
                let fields: Vec<String> = d
                    .evidence
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect();
                s.push_str(&format!(" ({})", fields.join("; ")));
            }
            if let Some(n) = &d.note {
                s.push_str(&format!(". Note: {n}"));
            }
            s
        }
        Event::StepSkipped(r) => format!("step {} skipped: {}", r.step, r.reason),
        Event::StepNotApplicable(r) => format!("step {} not applicable: {}", r.step, r.reason),
        Event::StepReopened(r) => format!("step {} reopened: {}", r.step, r.reason),
        Event::Note(n) => match &n.step {
            Some(s) => format!("note on {s}: {}", n.text),
            None => format!("note: {}", n.text),
        },
        Event::Attachment(a) => format!(
            "attached {} ({} bytes, sha256 {})",
            a.name, a.bytes, a.sha256
        ),
        Event::Closed(c) => {
            if c.forced {
                format!(
                    "incident closed with {} required step(s) open: {}",
                    c.open_required.len(),
                    c.reason.clone().unwrap_or_default()
                )
            } else {
                "incident closed".to_owned()
            }
        }
        Event::Reopened(r) => format!("incident reopened: {}", r.reason),
        Event::Discarded(d) => format!(
            "incident discarded (a test or practice incident): {}",
            d.reason
        ),
        Event::Repaired(r) => format!(
            "torn tail of {} byte(s) at offset {} quarantined (sha256 {})",
            r.length, r.offset, r.sha256
        ),
        Event::FactsChanged(f) => {
            let mut s = format!(
                "facts changed: {}",
                serde_json::to_string(&f.update).unwrap_or_default()
            );
            if let Some(r) = &f.reason {
                s.push_str(&format!(". Reason: {r}"));
            }
            for c in &f.recomputed {
                s.push_str(&format!(
                    ". {}{}: {} -> {}",
                    c.key,
                    c.state
                        .as_ref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default(),
                    c.old.map_or("none".to_owned(), |d| d.to_string()),
                    c.new.map_or("none".to_owned(), |d| d.to_string())
                ));
            }
            s
        }
        Event::Assessed(a) => format!(
            "risk assessment: {} (signed off by {}, {})",
            a.determination.label(),
            a.signed_by,
            a.role
        ),
        Event::NoticeSent(n) => format!(
            "notice to {}{} sent {} by {}{}",
            serde_json::to_value(n.to)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            n.state
                .as_ref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
            n.date,
            n.method,
            n.count
                .map(|c| format!(", {c} notice(s)"))
                .unwrap_or_default()
        ),
    }
}

/// One entry as the timeline of a report shows it.
pub(crate) fn timeline_row(t: &TimelineEntry, cal: &Calendar) -> TimelineRow {
    TimelineRow {
        seq: t.seq,
        ts: t.ts.clone(),
        local: local(cal, &t.ts),
        happened: t.at.clone(),
        happened_local: t.at.as_deref().map(|ts| local(cal, ts)),
        substituted_clock: t.substituted,
        actor: t.actor.clone(),
        kind: t.event.kind().to_owned(),
        summary: summarise(&t.event),
        hash: t.hash.clone(),
    }
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
    let views = incident.step_views();
    let phases = Phase::ALL
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
                    actor: v.record.map(|r| r.actor.clone()),
                    at: v.record.map(|r| local(cal, &r.at)),
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
        .collect();
    let obligations = clock
        .obligations
        .iter()
        .map(|o| ObligationRow {
            key: o.key.name(),
            state: o.state.clone(),
            label: o.label(),
            due: o.due,
            days_left: o.days_left,
            form: o.form,
            status: o.status.name(),
            status_label: o.status.label(),
            basis: o.basis.clone(),
            why: o.why.clone(),
            met_on: o.met_on,
            held_until: o.held_until,
        })
        .collect();
    let timeline = Rows::Held(
        incident
            .timeline
            .iter()
            .map(|t| timeline_row(t, cal))
            .collect(),
    );
    let today = cal.local_date(now);
    Report {
        format: "breach-export/1",
        tool: format!("breach {}", env!("CARGO_PKG_VERSION")),
        exported_at: clock::log_timestamp(now),
        exported_local: cal.local_display(now),
        zone: cal.zone_name(),
        incident: IncidentSummary {
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
        },
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
        deadlines: DeadlinesView::new(incident, clock, today, cal.zone_name()),
        obligations,
        phases,
        notices: incident
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
            .collect(),
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

/// The JSON export: the report plus every entry exactly as written, written to `out` as it is
/// made (a report whose timeline and entries are read from the log never holds them).
pub(crate) fn json_export(
    report: &Report,
    entries: &Rows<'_, RawEntry>,
    out: &mut dyn std::io::Write,
) -> Result<(), Error> {
    #[derive(Serialize)]
    struct Export<'a, 'b, 'c> {
        #[serde(flatten)]
        report: &'a Report<'b>,
        entries: &'a Rows<'c, RawEntry>,
    }
    let io = |e: std::io::Error| Error::input(format!("cannot write the export: {e}"));
    serde_json::to_writer_pretty(&mut *out, &Export { report, entries })
        .map_err(|e| Error::input(format!("cannot write the export: {e}")))?;
    out.write_all(b"\n").map_err(io)
}

/// Rebuilds the log bytes from a JSON export's `entries` and verifies them as `breach verify`
/// would: every sequence number, link and hash.
pub fn log_from_json(export: &str) -> Result<Vec<u8>, Error> {
    #[derive(serde::Deserialize)]
    struct Entries {
        entries: Vec<Line>,
    }
    #[derive(serde::Deserialize)]
    struct Line {
        line: String,
    }
    let doc: Entries = serde_json::from_str(export)
        .map_err(|e| Error::input(format!("not a breach JSON export: {e}")))?;
    let mut out = Vec::new();
    for e in doc.entries {
        out.extend_from_slice(e.line.as_bytes());
        out.push(b'\n');
    }
    let scan = log::scan(&out[..], |_| {})
        .map_err(|e| Error::input(format!("cannot read the entries: {e}")))?;
    if let Some(damage) = scan.damage {
        return Err(Error::input(format!(
            "the exported entries do not verify: {damage}"
        )));
    }
    Ok(out)
}

/// A spreadsheet-safe cell: text that a spreadsheet would run as a formula is prefixed with `'`.
pub(crate) fn csv_cell(text: &str) -> String {
    let clean = crate::text::sanitize_multiline(text);
    if clean.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{clean}")
    } else {
        clean
    }
}

/// The CSV export: the timeline, one row per log entry, written to `out` as it is made.
pub(crate) fn csv_export(report: &Report, out: &mut dyn std::io::Write) -> Result<(), Error> {
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| Error::input(format!("cannot write CSV: {e}"));
    w.write_record([
        "seq",
        "time_utc",
        "time_local",
        "happened_utc",
        "clock",
        "actor",
        "kind",
        "what",
        "hash",
    ])
    .map_err(io)?;
    let mut failed = None;
    report.timeline.each(&mut |t| {
        if failed.is_some() {
            return;
        }
        failed = w
            .write_record([
                t.seq.to_string(),
                t.ts.clone(),
                t.local.clone(),
                t.happened.clone().unwrap_or_default(),
                if t.substituted_clock {
                    "substituted".to_owned()
                } else {
                    "system".to_owned()
                },
                csv_cell(&t.actor),
                t.kind.clone(),
                csv_cell(&t.summary),
                t.hash.clone(),
            ])
            .err();
    })?;
    if let Some(e) = failed {
        return Err(io(e));
    }
    w.flush()
        .map_err(|e| Error::input(format!("cannot write CSV: {e}")))
}

/// Escapes a TEXT value (RFC 5545 section 3.3.11).
fn ics_text(text: &str) -> String {
    crate::text::sanitize_multiline(text)
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Appends one content line, folded at 75 octets on character boundaries, ended with CRLF.
fn ics_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// One obligation as a calendar event: the same event whether it comes from one incident's
/// export or from the store-wide calendar, so the UIDs and texts agree.
#[derive(Debug)]
pub(crate) struct CalendarEvent<'a> {
    pub incident: &'a str,
    pub key: &'a str,
    pub state: Option<&'a str>,
    pub label: String,
    pub due: chrono::NaiveDate,
    pub why: &'a str,
    pub basis: &'a str,
    pub status: crate::incident::obligations::Status,
    pub met_on: Option<chrono::NaiveDate>,
    pub held_until: Option<chrono::NaiveDate>,
}

/// A calendar (RFC 5545) of `events`: one all-day event per obligation on its due date, with
/// reminders 7 days and 1 day before while it is owed; a met one says so and reminds of
/// nothing. The UID is stable per incident and obligation, so a re-import after a change updates
/// the event instead of adding a second one. Written directly: a generic writer would add a
/// random UID and a wall-clock stamp to every alarm.
pub(crate) fn ics_calendar<'a>(
    name: &str,
    description: Option<&str>,
    events: impl IntoIterator<Item = CalendarEvent<'a>>,
    now: DateTime<Utc>,
) -> String {
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        format!("PRODID:-//breach//breach {}//EN", env!("CARGO_PKG_VERSION")),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", ics_text(name)),
    ] {
        ics_line(&mut out, &line);
    }
    if let Some(note) = description {
        ics_line(&mut out, &format!("X-WR-CALDESC:{}", ics_text(note)));
    }
    for e in events {
        let key = e.key;
        let uid = match e.state {
            Some(s) => format!("{}-{key}-{}@breach", e.incident, s.to_ascii_lowercase()),
            None => format!("{}-{key}@breach", e.incident),
        };
        use crate::incident::obligations::Status;
        let summary = match (e.status, e.met_on) {
            (Status::Met | Status::MetLate, Some(on)) => {
                format!("{} met on {on}: incident {}", e.label, e.incident)
            }
            (Status::Overdue, _) => format!("OVERDUE: {} due: incident {}", e.label, e.incident),
            _ => format!("{} due: incident {}", e.label, e.incident),
        };
        let mut description = format!("{}. {}. Status: {}.", e.why, e.basis, e.status.label());
        if let Some(h) = e.held_until {
            description.push_str(&format!(" Held by a law-enforcement delay until {h}."));
        }
        let next_day = e.due + chrono::Duration::days(1);
        for line in [
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{uid}"),
            format!("DTSTAMP:{stamp}"),
            format!("LAST-MODIFIED:{stamp}"),
            format!("DTSTART;VALUE=DATE:{}", e.due.format("%Y%m%d")),
            format!("DTEND;VALUE=DATE:{}", next_day.format("%Y%m%d")),
            format!("SUMMARY:{}", ics_text(&summary)),
            format!("DESCRIPTION:{}", ics_text(&description)),
            "TRANSP:TRANSPARENT".to_owned(),
        ] {
            ics_line(&mut out, &line);
        }
        // A reminder for what is still owed only: nothing to remind of once it is met.
        let reminders: &[(&str, &str)] = if e.met_on.is_some() {
            &[]
        } else {
            &[("-P7D", "7 days left"), ("-P1D", "1 day left")]
        };
        for (trigger, left) in reminders {
            ics_line(&mut out, "BEGIN:VALARM");
            ics_line(&mut out, "ACTION:DISPLAY");
            ics_line(
                &mut out,
                &format!("DESCRIPTION:{}", ics_text(&format!("{left}: {summary}"))),
            );
            ics_line(&mut out, &format!("TRIGGER:{trigger}"));
            ics_line(&mut out, "END:VALARM");
        }
        ics_line(&mut out, "END:VEVENT");
    }
    ics_line(&mut out, "END:VCALENDAR");
    out
}

/// The incident's iCalendar export: every obligation that applies.
pub(crate) fn ics_export(report: &Report, clock: &Clock, now: DateTime<Utc>) -> String {
    ics_calendar(
        &format!("Breach {} deadlines", report.incident.id),
        report.verification.clock_note.as_deref(),
        clock.obligations.iter().map(|o| CalendarEvent {
            incident: &report.incident.id,
            key: o.key.name(),
            state: o.state.as_deref(),
            label: o.label(),
            due: o.due,
            why: &o.why,
            basis: &o.basis,
            status: o.status,
            met_on: o.met_on,
            held_until: o.held_until,
        }),
        now,
    )
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A picture of the response against the clock: one bar per phase from its first to its last
/// settled step, placed by when each step happened (`--at`, else when it was recorded), a band
/// per law-enforcement hold, a dashed line per obligation's due date, a dot per notice sent, and
/// today.
pub(crate) fn timeline_svg(
    incident: &Incident,
    clock: &Clock,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> String {
    let day_of = |ts: &str| {
        DateTime::parse_from_rfc3339(ts)
            .ok()
            .map(|t| cal.local_date(t.with_timezone(&Utc)))
    };
    let start = incident.discovered.date;
    let today = cal.local_date(now);
    let mut end = today.max(start + chrono::Duration::days(60));
    for o in &clock.obligations {
        end = end.max(o.due);
    }
    for n in &incident.notices {
        end = end.max(n.value.date);
    }
    let span = (end - start).num_days().max(1) as f64 + 2.0;
    let (left, width) = (150.0, 600.0);
    let x = |d: NaiveDate| left + width * ((d - start).num_days() as f64 + 1.0) / span;
    let row_h = 22.0;
    let mut rows: Vec<String> = Vec::new();
    let mut y = 30.0;
    let views = incident.step_views();
    for phase in Phase::ALL {
        let settled: Vec<(NaiveDate, Option<NaiveDate>)> = views
            .iter()
            .filter(|v| v.phase == phase && v.state() != StepState::Open)
            .filter_map(|v| v.record)
            .filter_map(|r| {
                let recorded = day_of(&r.at)?;
                match r.happened.as_deref().and_then(day_of) {
                    Some(happened) if happened != recorded => Some((happened, Some(recorded))),
                    _ => Some((recorded, None)),
                }
            })
            .collect();
        let days: Vec<NaiveDate> = settled.iter().map(|(d, _)| *d).collect();
        let recorded_later: Vec<String> = settled
            .iter()
            .filter_map(|(d, r)| r.map(|r| format!("{d} (recorded {r})")))
            .collect();
        rows.push(format!(
            r#"<text x="4" y="{:.1}" font-size="11">{}</text>"#,
            y + 11.0,
            phase.name()
        ));
        if let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) {
            let (x1, x2) = (x(*first), x(*last));
            rows.push(format!(
                r##"<rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="12" rx="2" fill="#4c6ef5"><title>{} settled {first} to {last}{}</title></rect>"##,
                y + 2.0,
                (x2 - x1).max(4.0),
                phase.name(),
                if recorded_later.is_empty() {
                    String::new()
                } else {
                    format!("; happened earlier than recorded: {}", recorded_later.join(", "))
                }
            ));
        } else {
            rows.push(format!(
                r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#5b6470">no step settled yet</text>"##,
                left + 4.0,
                y + 11.0
            ));
        }
        y += row_h;
    }
    let holds = crate::incident::obligations::hold_periods(
        &incident.facts.law_enforcement_holds,
        incident.facts.hold_lifted_on,
    );
    if !holds.is_empty() {
        rows.push(format!(
            r#"<text x="4" y="{:.1}" font-size="11">law-enforcement hold</text>"#,
            y + 11.0
        ));
        for h in &holds {
            let (x1, x2) = (x(h.from), x(h.until + chrono::Duration::days(1)));
            rows.push(format!(
                r##"<rect x="{x1:.1}" y="{:.1}" width="{:.1}" height="12" fill="#9a6700" fill-opacity="0.35"><title>notices held {} to {}</title></rect>"##,
                y + 2.0,
                (x2 - x1).max(3.0),
                h.from,
                h.until
            ));
        }
        y += row_h;
    }
    for o in &clock.obligations {
        let label = o.label();
        let late = matches!(o.status, Status::Overdue | Status::MetLate);
        let colour = if late { "#b42318" } else { "#1b1f24" };
        rows.push(format!(
            r#"<text x="4" y="{:.1}" font-size="11">{}</text>"#,
            y + 11.0,
            xml(&label)
        ));
        let xd = x(o.due);
        rows.push(format!(
            r#"<line x1="{xd:.1}" x2="{xd:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="3 2"><title>due {}</title></line>"#,
            y,
            y + 16.0,
            o.due
        ));
        if let Some(h) = o.held_until {
            rows.push(format!(
                r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#9a6700" stroke-width="3"><title>held until {h}</title></line>"##,
                x(start),
                x(h),
                y + 8.0,
                y + 8.0
            ));
        }
        if let Some(m) = o.met_on {
            rows.push(format!(
                r#"<circle cx="{:.1}" cy="{:.1}" r="4.5" fill="{}"><title>sent {m}</title></circle>"#,
                x(m),
                y + 8.0,
                if late { "#b42318" } else { "#1a7f37" }
            ));
        }
        y += row_h;
    }
    let height = y + 24.0;
    let xt = x(today);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 760 {height:.0}" role="img" aria-label="Timeline of the response against the regulatory deadlines" font-family="Helvetica, Arial, sans-serif">"#
    );
    svg.push_str(&format!(
        r##"<line x1="{left}" x2="{:.1}" y1="20" y2="20" stroke="#c9ced6"/><text x="{left}" y="14" font-size="10">discovered {start}</text><text x="{:.1}" y="14" font-size="10" text-anchor="end">{end}</text>"##,
        left + width,
        left + width
    ));
    svg.push_str(&format!(
        r##"<line x1="{xt:.1}" x2="{xt:.1}" y1="20" y2="{:.1}" stroke="#9a6700" stroke-width="1"/><text x="{xt:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#9a6700">today {today}</text>"##,
        height - 16.0,
        height - 4.0
    ));
    for r in rows {
        svg.push_str(&r);
    }
    svg.push_str("</svg>");
    svg
}
