//! The export formats that are written rather than templated: the JSON export (with every
//! entry exactly as written, so the log can be rebuilt from it), the CSV timeline, and the
//! iCalendar of obligations.

use super::*;

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

/// The JSON export: the report plus every entry exactly as written, written to `out` as it is
/// made (a report whose timeline and entries are read from the log never holds them).
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
    // The report goes through serde_json; the entries, most of the document, are written by
    // the formatter as the report's object closes (the same bytes serde_json would write,
    // without its byte-at-a-time escaping of every line: a sixth of the export's profile).
    let failed = std::cell::RefCell::new(None);
    let formatter = EntriesLast {
        pretty: serde_json::ser::PrettyFormatter::new(),
        depth: 0,
        entries,
        failed: &failed,
    };
    let mut serializer = serde_json::Serializer::with_formatter(&mut buffered, formatter);
    let written = report.serialize(&mut serializer);
    if let Some(e) = failed.into_inner() {
        return Err(e);
    }
    written.map_err(|e| Error::input(format!("cannot write the export: {e}")))?;
    buffered.write_all(b"\n").map_err(io)?;
    buffered.flush().map_err(io)
}

/// serde_json's pretty layout, with the key `entries` written into the outermost object just
/// before it closes: how the JSON export adds the log's entries after the report's own keys.
/// A read of the entries that fails keeps its error in `failed` and stops the writing.
struct EntriesLast<'r, 'e> {
    pretty: serde_json::ser::PrettyFormatter<'static>,
    depth: usize,
    entries: &'r Rows<'e, RawEntry>,
    failed: &'r std::cell::RefCell<Option<Error>>,
}

impl EntriesLast<'_, '_> {
    /// `,"entries": [{"seq", "kind", "hash", "line"}, ...]` in the pretty layout, each entry's
    /// strings escaped by [`escape_json_into`].
    fn write_entries<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        use serde_json::ser::Formatter as _;
        let pretty = &mut self.pretty;
        pretty.begin_object_key(w, false)?;
        w.write_all(b"\"entries\"")?;
        pretty.begin_object_value(w)?;
        pretty.begin_array(w)?;
        let mut first = true;
        let mut text = Vec::with_capacity(8192);
        let mut written = Ok(());
        let read = self.entries.each(&mut |e| {
            if written.is_err() {
                return;
            }
            written = (|| {
                pretty.begin_array_value(w, first)?;
                first = false;
                pretty.begin_object(w)?;
                let fields: [(&[u8], &str); 3] = [
                    (b"\"kind\"", &e.kind),
                    (b"\"hash\"", &e.hash),
                    (b"\"line\"", &e.line),
                ];
                pretty.begin_object_key(w, true)?;
                w.write_all(b"\"seq\"")?;
                pretty.begin_object_value(w)?;
                write!(w, "{}", e.seq)?;
                pretty.end_object_value(w)?;
                for (key, value) in fields {
                    pretty.begin_object_key(w, false)?;
                    w.write_all(key)?;
                    pretty.begin_object_value(w)?;
                    text.clear();
                    escape_json_into(value, &mut text);
                    w.write_all(&text)?;
                    pretty.end_object_value(w)?;
                }
                pretty.end_object(w)?;
                pretty.end_array_value(w)
            })();
        });
        written?;
        if let Err(e) = read {
            *self.failed.borrow_mut() = Some(e);
            return Err(std::io::Error::other("the entries could not be read"));
        }
        pretty.end_array(w)?;
        pretty.end_object_value(w)
    }
}

impl serde_json::ser::Formatter for EntriesLast<'_, '_> {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.pretty.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.pretty.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        if self.depth == 0 {
            self.write_entries(w)?;
        }
        self.pretty.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.pretty.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_object_value(w)
    }
}

/// `text` as a JSON string, quotes included, appended to `out`: the bytes serde_json writes
/// (`"` and `\\` escaped, the control characters as `\n`, `\t`, ... or `\u00XX`), found a run
/// at a time. A log line is compact JSON, so only its quotes and backslashes need escaping.
fn escape_json_into(text: &str, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + bytes.len() / 8 + 2);
    if bytes.iter().any(|&b| b < 0x20) {
        serde_json::to_writer(&mut *out, text).expect("a Vec takes every write");
        return;
    }
    out.push(b'"');
    let mut rest = bytes;
    while let Some(at) = memchr::memchr2(b'"', b'\\', rest) {
        out.extend_from_slice(&rest[..at]);
        out.push(b'\\');
        out.push(rest[at]);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
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

#[cfg(test)]
mod tests {
    use super::escape_json_into;

    #[test]
    fn a_string_is_escaped_to_the_bytes_serde_json_writes() {
        let cases = [
            "",
            "plain",
            r#"{"seq":0,"prev":"00","data":{"note":"say \"hi\" \\ there"}}"#,
            "\\",
            "\"",
            "tab\tnew\nline\r\u{8}\u{c}\u{1}\u{1f} end",
            "unicode é ✓ \u{2028} \u{7f} 😀",
            "ends with a quote\"",
            "\\\\\"\"",
        ];
        for text in cases {
            let mut ours = Vec::new();
            escape_json_into(text, &mut ours);
            let theirs = serde_json::to_string(text).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), theirs, "for {text:?}");
        }
    }
}
