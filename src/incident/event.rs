//! What each kind of log entry means: the typed payloads, and the mapping between an entry's
//! `kind` and its payload type. Adding a kind is adding one line to `events!`; an entry of a kind
//! this build does not know stops replay with an error rather than being skipped, because a
//! skipped entry would be a silently wrong state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::GivenTime;
use crate::error::Error;
use crate::log::{Entry, RepairData};

/// The runbook as pinned into an incident at `start`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PinnedRunbook {
    pub id: String,
    pub version: String,
    pub title: String,
    /// SHA-256 of `text`.
    pub sha256: String,
    /// Where it was loaded from when the incident started.
    pub source: String,
    /// The full YAML text, so the incident never depends on the runbook files again.
    pub text: String,
    /// The same runbook as checked at `start`, rendered as JSON so that every later command
    /// reads it with the fast JSON parser instead of parsing the YAML again. `text` and its
    /// SHA-256 remain the authority; a log without this field is read from `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parsed: Option<Box<serde_json::value::RawValue>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Opened {
    pub format: String,
    pub hash_algorithm: String,
    pub tool: String,
    pub incident: String,
    pub title: String,
    pub discovered: GivenTime,
    pub runbook: PinnedRunbook,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepDone {
    pub step: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, String>,
}

/// Payload of skip, not-applicable and reopen: a step and the reason.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepReason {
    pub step: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attachment {
    /// The file's name as given (its last path component).
    pub name: String,
    /// Where the copy lives, relative to the incident directory.
    pub stored: String,
    pub sha256: String,
    pub bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Closed {
    pub forced: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Required steps still open when a forced close overrode them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_required: Vec<String>,
}

macro_rules! events {
    ($($variant:ident($payload:ty) = $kind:literal),* $(,)?) => {
        /// A decoded log entry payload.
        #[derive(Debug, Clone)]
        pub enum Event {
            $($variant($payload),)*
        }

        impl Event {
            /// The `kind` written to the log.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Event::$variant(_) => $kind,)*
                }
            }

            /// Writes the event to `log` as one entry.
            pub fn append(&self, log: &mut crate::log::Log, ts: &str, actor: &str) -> Result<crate::log::Head, Error> {
                match self {
                    $(Event::$variant(p) => log.append(ts, actor, $kind, p),)*
                }
            }

            /// Decodes an entry's payload according to its kind.
            pub fn decode(entry: &Entry<'_>) -> Result<Event, Error> {
                let data = entry.data.get();
                let bad = |e: serde_json::Error| Error::LogDamaged {
                    path: std::path::PathBuf::from("log"),
                    detail: format!("entry {} ({}) has an unreadable payload: {e}", entry.seq, entry.kind),
                    torn_tail: false,
                };
                match entry.kind.as_ref() {
                    $($kind => serde_json::from_str(data).map(Event::$variant).map_err(bad),)*
                    other => Err(Error::refused(format!(
                        "entry {} has kind `{other}`, which this version of breach does not know; use a newer breach",
                        entry.seq
                    ))),
                }
            }
        }
    };
}

events! {
    Opened(Box<Opened>) = "incident_opened",
    StepDone(StepDone) = "step_done",
    StepSkipped(StepReason) = "step_skipped",
    StepNotApplicable(StepReason) = "step_not_applicable",
    StepReopened(StepReason) = "step_reopened",
    Note(Note) = "note",
    Attachment(Attachment) = "attachment",
    Closed(Closed) = "incident_closed",
    Repaired(RepairData) = "log_repaired",
}
