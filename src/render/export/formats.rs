//! The export formats that are written rather than templated: the JSON export (with every
//! entry exactly as written, so the log can be rebuilt from it), the CSV timeline, and the
//! iCalendar of obligations.

use super::*;

/// The JSON export: the report plus every entry exactly as written, written to `out` as it is
/// made (a report whose timeline and entries are read from the log never holds them).
/// The JSON export: the report, and every entry of the log as written.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(
    title = "breach-export/1",
    description = "The JSON export of one incident by `breach export --format json`: the report, and every log entry exactly as written (`entries[].line`), so the incident can be rebuilt and checked link by link."
)]
struct Export<'a, 'b, 'c> {
    #[serde(flatten)]
    report: &'a Report<'b>,
    entries: &'a Rows<'c, RawEntry>,
}

/// The JSON Schema (draft 2020-12) the JSON export validates against, for the export's
/// `format` (`breach-export/1`): a new key is added to it, never silently changed.
pub(crate) fn export_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Export<'static, 'static, 'static>).to_value();
    schema["properties"]["format"]["const"] = serde_json::Value::from(super::EXPORT_FORMAT);
    schema
}

pub(crate) fn json_export(
    report: &Report,
    entries: &Rows<'_, RawEntry>,
    out: &mut dyn std::io::Write,
) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::input(format!("cannot write the export: {e}"));
    // A writer of a concrete type, so that serde_json's many small writes (a quote, a key, an
    // indent) are inlined copies into its buffer, not calls through `dyn Write`: the profile
    // of a 100,000-entry export had a third of its time there.
    use std::io::Write as _;
    let mut buffered = std::io::BufWriter::with_capacity(1 << 18, &mut *out);
    serde_json::to_writer_pretty(&mut buffered, &Export { report, entries })
        .map_err(|e| Error::input(format!("cannot write the export: {e}")))?;
    buffered.write_all(b"\n").map_err(io)?;
    buffered.flush().map_err(io)
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
        "voided_by",
        "written_by",
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
                // The void that withdrew the entry, when one did (the reason is in `what`).
                t.void
                    .as_ref()
                    .map(|v| v.by_entry.to_string())
                    .unwrap_or_default(),
                // The database login (a database store only).
                t.written_by.as_deref().map(csv_cell).unwrap_or_default(),
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
    /// What went out, in words, for a notice to people.
    pub progress: Option<String>,
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
        let uid = ics_uid(e.incident, e.key, e.state);
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
        if let Some(progress) = &e.progress {
            description.push_str(&format!(" Sent: {progress}."));
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

/// An event's UID: the incident, the obligation and, for one owed per state or per covered
/// entity, that name slugged, so every event of one incident is told apart and stays the same.
fn ics_uid(incident: &str, key: &str, state: Option<&str>) -> String {
    match state {
        Some(s) => {
            let part: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            format!("{incident}-{key}-{part}@breach")
        }
        None => format!("{incident}-{key}@breach"),
    }
}

/// The incident's iCalendar export: every obligation that applies.
pub(crate) fn ics_export(report: &Report, clock: &Clock, now: DateTime<Utc>) -> String {
    ics_calendar(
        &format!("Breach {} deadlines", report.incident.id),
        report.verification.clock_note.as_deref(),
        clock.obligations.iter().map(|o| CalendarEvent {
            incident: &report.incident.id,
            key: o.key.name(),
            state: o.state.as_deref().or(o.entity.as_deref()),
            label: o.label(),
            due: o.due,
            why: &o.why,
            basis: &o.basis,
            status: o.status,
            met_on: o.met_on,
            held_until: o.held_until,
            progress: o.progress(),
        }),
        now,
    )
}
