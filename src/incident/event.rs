//! What each kind of log entry means: the typed payloads, and the mapping between an entry's
//! `kind` and its payload type. Adding a kind is adding one line to `events!`; an entry of a kind
//! this build does not know stops replay with an error rather than being skipped, because a
//! skipped entry would be a silently wrong state.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::clock::GivenTime;
use crate::error::Error;
use crate::log::{Entry, RepairData};
use crate::rules::Audience;

/// The runbook as pinned into an incident at `start`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PinnedRunbook {
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

/// The first entry's payload. `R` is the pinned runbook: decoded, or (`&RawValue`) left as
/// written, for a replay to recognise a runbook it already checked by its bytes alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Opened<R = std::sync::Arc<PinnedRunbook>> {
    pub format: String,
    pub hash_algorithm: String,
    pub tool: String,
    pub incident: String,
    pub title: String,
    pub discovered: GivenTime,
    /// Shared: incidents pinned to the same runbook bytes hold one copy (see the replay).
    pub runbook: R,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct StepDone {
    pub step: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, String>,
    /// The message file the evidence was read from (`--from-eml`): its identity only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_file: Option<MessageFile>,
}

/// A message file whose headers filled a step's evidence: enough to match the copy kept under
/// legal hold to the record, nothing of its subject, body or attachments.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct MessageFile {
    pub sha256: String,
    pub bytes: u64,
    /// How many distinct addresses its To, Cc and Bcc held.
    pub recipients: u64,
}

/// The runbook steps an action settles in its own entry, with what the step recorded beside
/// the action: a step bound to the assessment, the facts, a delay or a notice is done by the
/// same entry that records it, with the same actor and time.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct Settles {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settles: Vec<String>,
    /// A note for the step settled by `breach done STEP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_note: Option<String>,
    /// The settled step's own (optional) evidence, from `breach done STEP --set`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub step_evidence: BTreeMap<String, String>,
}

/// Payload of skip, not-applicable and reopen: a step and the reason.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct StepReason {
    pub step: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct Note {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct Attachment {
    /// The file's name as given (its last path component).
    pub name: String,
    /// Where the copy lives, relative to the incident directory.
    pub stored: String,
    pub sha256: String,
    pub bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct Closed {
    pub forced: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Required steps still open when a forced close overrode them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_required: Vec<String>,
    /// Every obligation as it stood at the close: the record's final word on each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<FinalObligation>,
}

/// An obligation as it stood when the incident was closed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct FinalObligation {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub due: chrono::NaiveDate,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met_on: Option<chrono::NaiveDate>,
}

/// A test or practice incident set aside, with the reason: kept, never deleted, and out of the
/// way of the real ones.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct Discarded {
    pub reason: String,
}

/// A closed incident reopened, with the reason (something new arrived).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct Reopened {
    pub reason: String,
}

macro_rules! events {
    ($($variant:ident($payload:ty) = $kind:literal),* $(,)?) => {
        /// A decoded log entry payload.
        #[derive(Debug, Clone)]
        pub(crate) enum Event {
            $($variant($payload),)*
        }

        impl Event {
            /// The `kind` written to the log.
            pub(crate) fn kind(&self) -> &'static str {
                match self {
                    $(Event::$variant(_) => $kind,)*
                }
            }

            /// The payload as it is written into the entry.
            pub(crate) fn payload(&self) -> Result<Box<serde_json::value::RawValue>, Error> {
                match self {
                    $(Event::$variant(p) => serde_json::value::to_raw_value(p),)*
                }
                .map_err(|e| Error::internal("cannot encode entry", e))
            }

            /// Decodes an entry's payload according to its kind.
            pub(crate) fn decode(entry: &Entry<'_>) -> Result<Event, Error> {
                let data = entry.data.get();
                let bad = |e: serde_json::Error| unreadable_payload(entry, &e);
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

impl<R> Opened<R> {
    /// The same payload with its pinned runbook read another way.
    pub(crate) fn with_runbook<S>(self, runbook: S) -> Opened<S> {
        Opened {
            format: self.format,
            hash_algorithm: self.hash_algorithm,
            tool: self.tool,
            incident: self.incident,
            title: self.title,
            discovered: self.discovered,
            runbook,
        }
    }
}

/// The error for an entry whose payload does not read as its kind's.
pub(crate) fn unreadable_payload(entry: &Entry<'_>, e: &serde_json::Error) -> Error {
    Error::LogDamaged {
        path: std::path::PathBuf::from("log"),
        detail: format!(
            "entry {} ({}) has an unreadable payload: {e}",
            entry.seq, entry.kind
        ),
        torn_tail: false,
    }
}

impl Event {
    /// The steps an action's entry settles, for the kinds a step can be bound to.
    pub(crate) fn settles_mut(&mut self) -> Option<&mut Settles> {
        match self {
            Event::FactsChanged(c) => Some(&mut c.steps),
            Event::Assessed(a) => Some(&mut a.steps),
            Event::NoticeSent(n) => Some(&mut n.steps),
            _ => None,
        }
    }

    /// The steps this entry settles, if it is an action that settles any.
    pub(crate) fn settles(&self) -> &[String] {
        match self {
            Event::FactsChanged(c) => &c.steps.settles,
            Event::Assessed(a) => &a.steps.settles,
            Event::NoticeSent(n) => &n.steps.settles,
            _ => &[],
        }
    }
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
    Reopened(Reopened) = "incident_reopened",
    Discarded(Discarded) = "incident_discarded",
    FactsChanged(Box<FactsChanged>) = "facts_changed",
    Assessed(Box<Assessment>) = "assessment_recorded",
    NoticeSent(NoticeSent) = "notice_sent",
    Repaired(RepairData) = "log_repaired",
    TimestampAdded(TimestampAdded) = "timestamp_added",
    Voided(Voided) = "entry_voided",
    StepAssigned(StepAssigned) = "step_assigned",
    MessageRecorded(MessageRecorded) = "message_recorded",
}

/// A message kept as evidence by its headers (`attach --eml`): who sent it to whom and when, and
/// the file's identity so that the copy kept under legal hold can be matched to the record.
/// Never its subject, body or attachments, which may hold PHI.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct MessageRecorded {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// When it was sent, as its Date header says (RFC 3339, with the offset it gave).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Every address in To, Cc and Bcc, in that order, each once.
    pub recipients: Vec<String>,
    pub message_file: MessageFile,
}

/// Who is to do a step (a person, beside the runbook's owner role); `assignee: None` takes the
/// assignment back. Only an open step is assigned.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct StepAssigned {
    pub step: String,
    /// The person, as `--actor` names them; absent when the step is unassigned. (Not `to`:
    /// that key names a notice's audience, a machine value the identifier screen passes over.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

/// An earlier entry withdrawn: recorded by mistake (a test notice, a wrong count, an assessment
/// of the wrong incident). The withdrawn entry stays in the log and the exports, marked void;
/// every view and the clock are built as if it had not been recorded. A void of a void restores
/// the entry it withdrew.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct Voided {
    /// The sequence number of the withdrawn entry.
    pub entry: u64,
    /// Its kind, for a reader of this entry alone.
    pub kind: String,
    pub reason: String,
}

/// A void as the state keeps it: which entry withdrew which, by whom, when and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct VoidSeen {
    /// The void's own sequence number.
    pub seq: u64,
    /// The entry it withdraws.
    pub entry: u64,
    pub actor: String,
    pub at: String,
    pub reason: String,
}

/// The entries withdrawn in effect, each with the void that withdrew it. Read from the last void
/// back: a void that a later void withdrew withdraws nothing, so a void of a void restores.
pub(crate) fn in_effect(voids: &[VoidSeen]) -> BTreeMap<u64, &VoidSeen> {
    let mut withdrawn: BTreeMap<u64, &VoidSeen> = BTreeMap::new();
    let mut newest_first: Vec<&VoidSeen> = voids.iter().collect();
    newest_first.sort_by_key(|v| std::cmp::Reverse(v.seq));
    for void in newest_first {
        if !withdrawn.contains_key(&void.seq) {
            withdrawn.insert(void.entry, void);
        }
    }
    withdrawn
}

/// Why an entry of `kind` cannot be withdrawn, when it cannot.
pub(crate) fn not_voidable(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "incident_opened" => {
            "the first entry opens the incident; a test or practice incident is set aside with `breach discard`"
        }
        "incident_closed" => {
            "a close is withdrawn by reopening the incident: `breach reopen --reason`"
        }
        "incident_reopened" => "a reopened incident is closed again with `breach close`",
        "incident_discarded" => "a discarded incident is taken back with `breach reopen --reason`",
        "timestamp_added" => {
            "a time stamp is an authority's word that the log existed; it cannot be withdrawn"
        }
        "log_repaired" => "a repair records damage found in the log; it cannot be withdrawn",
        _ => return None,
    })
}

/// A time stamp as the state keeps it (without the token).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct TimestampSeen {
    pub seq: u64,
    pub covers: u64,
    pub time: String,
    pub tsa: String,
    pub serial: String,
    pub nonce: Option<String>,
}

/// A time-stamping authority's token, recorded as it was received: the authority signed the hash
/// of entry `covers`, so that entry and every one before it existed by `time`. The token is the
/// authority's whole response, so `timestamp show` gives back what `openssl ts -verify` reads;
/// the other fields are what `add` read from it, for the exports (and `verify` reads the token
/// again rather than trusting them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct TimestampAdded {
    pub covers: u64,
    /// The hash of entry `covers`: the imprint the authority signed.
    pub hash: String,
    /// When the authority says the entry existed (RFC 3339, UTC).
    pub time: String,
    /// The authority, as its signing certificate's subject names it.
    pub tsa: String,
    /// The token's serial number (hexadecimal), unique per authority.
    pub serial: String,
    pub policy: String,
    /// The request's nonce (hexadecimal), which the token repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The authority's response (DER, RFC 3161 `TimeStampResp`), in base64.
    pub token: String,
}

/// A change of facts, with the due dates it moved.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct FactsChanged {
    #[serde(flatten)]
    pub update: crate::incident::FactsUpdate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The discovery time this change replaced, when it moved discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_discovered: Option<crate::clock::GivenTime>,
    /// Every due date this change moved, added or removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recomputed: Vec<DueChange>,
    #[serde(flatten)]
    pub steps: Settles,
}

/// The conclusion of a risk assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Determination {
    /// Notification is required (the presumption of a breach stands).
    NotificationRequired,
    /// A low probability that the PHI has been compromised (45 CFR 164.402(2)).
    LowProbability,
    /// One of the three exceptions of 45 CFR 164.402(1) applies.
    Exception,
    /// The PHI was secured (not "unsecured PHI"): no notification duty.
    Secured,
    /// There was no impermissible use or disclosure at all (for example, the recipient was
    /// entitled to the PHI): not a breach, and distinct from the three exceptions.
    #[serde(rename = "no_impermissible_use_or_disclosure")]
    NoImpermissibleUse,
}

/// How PHI was secured, in the terms of the HHS guidance (74 FR 19006): rendered unusable,
/// unreadable or indecipherable by encryption, or destroyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SecuredBy {
    /// Encrypted to the guidance standard, the key not compromised.
    Encrypted,
    /// The media destroyed so the PHI cannot be read or reconstructed.
    Destroyed,
}

impl Determination {
    pub(crate) fn requires_notification(self) -> bool {
        self == Determination::NotificationRequired
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Determination::NotificationRequired => "notification required",
            Determination::LowProbability => "low probability that the PHI has been compromised",
            Determination::Exception => "an exception applies: not a breach",
            Determination::Secured => "the PHI was secured: not a breach of unsecured PHI",
            Determination::NoImpermissibleUse => "no impermissible use or disclosure: not a breach",
        }
    }
}

/// The three exceptions of 45 CFR 164.402(1)(i)-(iii).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ExceptionKind {
    None,
    UnintentionalWorkforceUse,
    InadvertentDisclosure,
    CouldNotRetain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Rating {
    Low,
    Medium,
    High,
}

impl Rating {
    /// The rating as the log writes it: "low".
    pub(crate) fn name(self) -> &'static str {
        match self {
            Rating::Low => "low",
            Rating::Medium => "medium",
            Rating::High => "high",
        }
    }
}

/// One factor of the four-factor assessment: a rating and the written reasoning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Factor {
    pub rating: Rating,
    pub rationale: String,
}

/// The four factors of 45 CFR 164.402(2)(i)-(iv).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Factors {
    /// (i) the nature and extent of the PHI, identifiers and likelihood of re-identification.
    pub nature: Factor,
    /// (ii) the unauthorised person who used the PHI or to whom it was disclosed.
    pub recipient: Factor,
    /// (iii) whether the PHI was actually acquired or viewed.
    pub acquired: Factor,
    /// (iv) the extent to which the risk has been mitigated, rated as the risk that remains.
    pub mitigation: Factor,
}

impl Factors {
    /// Why these ratings cannot support a low probability of compromise, if they cannot: every
    /// factor high, or the PHI high-risk, the recipient high-risk and the acquisition high-risk
    /// with the risk not mitigated.
    pub(crate) fn against_low_probability(&self) -> Option<String> {
        let high = |f: &Factor| f.rating == Rating::High;
        let all = [
            &self.nature,
            &self.recipient,
            &self.acquired,
            &self.mitigation,
        ];
        if all.iter().all(|f| high(f)) {
            return Some(
                "every factor is rated high, which does not support a low probability of compromise; give --override-reason to record why the determination stands".to_owned(),
            );
        }
        if all.iter().filter(|f| high(f)).count() >= 3 {
            return Some(
                "three factors are rated high risk, which does not support a low probability of compromise; give --override-reason to record why the determination stands".to_owned(),
            );
        }
        if high(&self.mitigation) {
            return Some(
                "the risk that remains after mitigation is rated high, which does not support a low probability of compromise; give --override-reason to record why the determination stands".to_owned(),
            );
        }
        None
    }
}

/// A risk assessment and its sign-off. A later one supersedes an earlier one; both stay logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Assessment {
    pub phi_secured: bool,
    /// How it was secured, as the guidance names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secured_by: Option<SecuredBy>,
    /// The details: the encryption used and where the key was, or how it was destroyed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secured_basis: Option<String>,
    pub exception: ExceptionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception_basis: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factors: Option<Factors>,
    pub determination: Determination,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    pub signed_by: String,
    pub role: String,
    /// Why the determination stands although the factors as rated do not support it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    /// Every due date this assessment moved, added or removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recomputed: Vec<DueChange>,
    #[serde(flatten)]
    pub steps: Settles,
}

impl Assessment {
    /// Why this assessment cannot stand as recorded, if it cannot.
    pub(crate) fn problem(&self) -> Option<String> {
        use Determination as D;
        match self.determination {
            D::Secured if !self.phi_secured => {
                Some("the determination says the PHI was secured, but --secured is no".to_owned())
            }
            D::Exception if self.exception == ExceptionKind::None => {
                Some("the determination is an exception, but --exception is none".to_owned())
            }
            D::NotificationRequired | D::LowProbability if self.phi_secured => Some(
                "the PHI was secured, so there is no breach of unsecured PHI to assess: use --determination secured".to_owned(),
            ),
            D::NotificationRequired | D::LowProbability if self.exception != ExceptionKind::None => Some(
                "an exception applies, so the incident is not a breach: use --determination exception".to_owned(),
            ),
            D::LowProbability if self.factors.is_none() => Some(
                "a low-probability determination rests on the four factors: give each with its rating and rationale".to_owned(),
            ),
            D::LowProbability if self.override_reason.is_none() => {
                self.factors.as_ref().and_then(Factors::against_low_probability)
            }
            D::NoImpermissibleUse if self.rationale.is_none() => Some(
                "say why the use or disclosure was permitted (--rationale): whoever received it was entitled to it, for example".to_owned(),
            ),
            _ if self.phi_secured && self.secured_by.is_none() => Some(
                "say how the PHI was secured: --secured-basis encrypted or destroyed".to_owned(),
            ),
            _ if self.secured_basis.is_none() && self.phi_secured => Some(
                "give the details of how the PHI was secured (--secured-details)".to_owned(),
            ),
            _ if self.exception_basis.is_none() && self.exception != ExceptionKind::None => {
                Some("say why the exception applies (--exception-basis)".to_owned())
            }
            _ => None,
        }
    }
}

/// A notice recorded as sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct NoticeSent {
    /// Why it went out while a law-enforcement hold was in force, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub despite_hold: Option<String>,
    pub to: Audience,
    pub date: chrono::NaiveDate,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why this notice does not count toward its obligation, when it does not: a method the
    /// rule does not allow for its audience (recorded with the person's reason) or one that is
    /// only ever in addition to the notice the rule asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_counted: Option<String>,
    /// Letters re-sent to a corrected address after the first came back undeliverable.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remailed: bool,
    /// An addendum to the report HHS already has (the counts changed since).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub addendum: bool,
    /// The covered entity notified, for a business associate serving several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    #[serde(flatten)]
    pub steps: Settles,
}

/// One due date that moved, appeared or went away between two sets of facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct DueChange {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `None` when the obligation did not apply before.
    pub old: Option<NaiveDate>,
    /// `None` when it no longer applies.
    pub new: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn void(seq: u64, entry: u64) -> VoidSeen {
        VoidSeen {
            seq,
            entry,
            actor: "ana.lima".to_owned(),
            at: "2026-03-10T15:00:00Z".to_owned(),
            reason: "test".to_owned(),
        }
    }

    #[test]
    fn a_void_of_a_void_restores_and_a_third_withdraws_again() {
        let withdrawn = |voids: &[VoidSeen]| -> Vec<(u64, u64)> {
            in_effect(voids)
                .into_iter()
                .map(|(entry, v)| (entry, v.seq))
                .collect()
        };
        assert_eq!(withdrawn(&[void(5, 2)]), [(2, 5)]);
        // 6 withdraws 5, so 2 stands again.
        assert_eq!(withdrawn(&[void(5, 2), void(6, 5)]), [(5, 6)]);
        // 7 withdraws 6, so 5 withdraws 2 again.
        assert_eq!(
            withdrawn(&[void(5, 2), void(6, 5), void(7, 6)]),
            [(2, 5), (6, 7)]
        );
    }

    #[test]
    fn the_entries_that_make_the_record_whole_cannot_be_withdrawn() {
        for kind in [
            "incident_opened",
            "incident_closed",
            "incident_reopened",
            "incident_discarded",
            "timestamp_added",
            "log_repaired",
        ] {
            assert!(not_voidable(kind).is_some(), "{kind}");
        }
        for kind in ["notice_sent", "facts_changed", "step_done", "entry_voided"] {
            assert!(not_voidable(kind).is_none(), "{kind}");
        }
    }
}
