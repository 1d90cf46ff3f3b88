//! The check of every entry's free text for raw identifiers, before it is written: the log is
//! kept for six years and cannot forget. Every string an entry would carry is looked at —
//! notes, reasons, titles, evidence values, facts, assessment rationales, file names — except
//! where the runbook says an evidence field holds an email address, which is then what the step
//! asks for.

use serde_json::Value;

use super::{Event, Incident};
use crate::runbook::FieldType;
use crate::text::identifiers::{self, Context};

/// Text that looks like it holds identifiers: where it is, and which kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// Where in the entry, for people: "the note", "evidence `recipient`", "title".
    pub what: String,
    pub kinds: Vec<&'static str>,
}

impl Finding {
    /// "the note looks like it contains a phone number": never the text itself.
    pub(crate) fn describe(findings: &[Finding]) -> String {
        findings
            .iter()
            .map(|f| {
                format!(
                    "{} looks like it contains {}",
                    f.what,
                    f.kinds.join(" and ")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The kinds found anywhere, once each, for the record of an override.
    pub(crate) fn kinds(findings: &[Finding]) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = Vec::new();
        for k in findings.iter().flat_map(|f| f.kinds.iter()) {
            if !kinds.contains(k) {
                kinds.push(k);
            }
        }
        kinds
    }
}

/// Checks one piece of text.
pub(crate) fn screen_text(what: &str, text: &str, context: &Context) -> Option<Finding> {
    let kinds = identifiers::find(text, context);
    (!kinds.is_empty()).then(|| Finding {
        what: what.to_owned(),
        kinds,
    })
}

/// Checks every string an event would write.
pub(crate) fn screen_event(event: &Event, incident: &Incident, context: &Context) -> Vec<Finding> {
    // An authority's token is its own bytes and certificate names, never a person's text (and
    // its base64 would read as identifiers).
    if matches!(event, Event::TimestampAdded(_)) {
        return Vec::new();
    }
    let Ok(payload) = event.payload() else {
        return Vec::new();
    };
    let Ok(value) = serde_json::from_str::<Value>(payload.get()) else {
        return Vec::new();
    };
    let email_fields: Vec<String> = match event {
        Event::StepDone(done) => incident
            .runbook
            .steps()
            .find(|(_, s)| s.id.value == done.step)
            .map(|(_, s)| {
                s.evidence
                    .iter()
                    .filter(|f| matches!(f.kind.value, FieldType::Email | FieldType::EmailList))
                    .map(|f| f.name.value.clone())
                    .collect()
            })
            .unwrap_or_default(),
        // A message's addresses and its Message-ID are what `attach --eml` records.
        Event::MessageRecorded(_) => ["message_id", "sender", "recipients"]
            .map(str::to_owned)
            .to_vec(),
        _ => Vec::new(),
    };
    let mut findings = Vec::new();
    visit(&value, &mut Vec::new(), &mut |path, text| {
        let (what, expected) = describe_path(path, &email_fields);
        let ctx = Context {
            email_expected: expected,
            ..context.clone()
        };
        if let Some(f) = screen_text(&what, text, &ctx) {
            findings.push(f);
        }
    });
    findings
}

/// Names a place in the payload for people, and says whether it is an email field.
fn describe_path(path: &[String], email_fields: &[String]) -> (String, bool) {
    match path {
        [evidence, field] if evidence == "evidence" => (
            format!("evidence `{field}`"),
            email_fields.iter().any(|f| f == field),
        ),
        [key] => (
            match key.as_str() {
                "text" | "note" => "the note".to_owned(),
                "reason" => "the reason".to_owned(),
                "name" => "the file name".to_owned(),
                "assignee" => "the name of the person assigned".to_owned(),
                other => format!("`{other}`"),
            },
            email_fields.iter().any(|f| f == key),
        ),
        _ => (format!("`{}`", path.join(".")), false),
    }
}

/// Calls `on_text` for every string in `value` that is not a key or a machine value.
fn visit(value: &Value, path: &mut Vec<String>, on_text: &mut dyn FnMut(&[String], &str)) {
    // Machine values the tool writes itself: ids, hashes, dates, enumerations.
    const MACHINE: &[&str] = &[
        "step",
        "sha256",
        "stored",
        "to",
        "method",
        "date",
        "key",
        "old",
        "new",
        "state",
        "determination",
        "exception",
        "rating",
        "statement",
        "stated_on",
        "until",
        "at",
        "precision",
        "offset",
        "zone",
        "breach_started",
        "breach_ended",
        "quarantine",
    ];
    match value {
        Value::String(s)
            if path.last().is_none_or(|k| !MACHINE.contains(&k.as_str()))
                || path.first().is_some_and(|k| k == "evidence") =>
        {
            on_text(path, s);
        }
        Value::Array(items) => {
            for item in items {
                visit(item, path, on_text);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                path.push(k.clone());
                visit(v, path, on_text);
                path.pop();
            }
        }
        _ => {}
    }
}
