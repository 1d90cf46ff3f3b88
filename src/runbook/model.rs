//! The runbook as data: the YAML schema, deserialised directly into these types.
//!
//! A runbook author writes these structures by hand, so every struct rejects unknown keys and the
//! values that later checks must point at carry their source location (`Spanned`). The types are
//! also what `runbook show --json` prints, so they serialise to the same shape they were read from.

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::rules::Audience;

/// One runbook: a scenario's response, phase by phase.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Runbook {
    /// Stable identifier used with `breach start --runbook`.
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub version: Spanned<String>,
    pub description: Spanned<String>,
    /// The kind of breach this runbook answers (e.g. `misdirected_email`).
    pub scenario: Spanned<String>,
    /// Facts that following this runbook implies, set when an incident starts on it.
    #[serde(default, skip_serializing_if = "Implies::is_empty")]
    pub implies: Implies,
    pub phases: Spanned<Vec<PhaseSteps>>,
}

/// The facts a runbook implies: the business-associate runbook is followed by a business
/// associate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Implies {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub business_associate: bool,
}

impl Implies {
    pub(crate) fn is_empty(&self) -> bool {
        *self == Implies::default()
    }
}

/// The five phases of an email-breach response, in the order a runbook must list them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Phase {
    Contain,
    Recall,
    Report,
    Notify,
    Remediate,
}

impl Phase {
    pub(crate) const ALL: [Phase; 5] = [
        Phase::Contain,
        Phase::Recall,
        Phase::Report,
        Phase::Notify,
        Phase::Remediate,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Phase::Contain => "contain",
            Phase::Recall => "recall",
            Phase::Report => "report",
            Phase::Notify => "notify",
            Phase::Remediate => "remediate",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhaseSteps {
    pub phase: Spanned<Phase>,
    pub steps: Spanned<Vec<Step>>,
}

/// One human step of the response.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Step {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub instructions: Spanned<String>,
    pub owner: Role,
    /// Required steps block `close`; optional ones do not.
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceField>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Spanned<String>>,
    /// When present, the step applies only while this holds for the incident's facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Spanned<Condition>>,
    /// Due time relative to discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Spanned<Due>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// What completing the step records on the regulatory record: the risk assessment, the
    /// facts, a law-enforcement delay, or a notice. Such a step and its action are one entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Spanned<Records>>,
}

impl Step {
    /// Whom the step's notice goes to, when the step records a notice.
    pub(crate) fn notice_to(&self) -> Option<Audience> {
        match self.records.as_ref().map(|r| r.value) {
            Some(Records::Notice(to)) => Some(to),
            _ => None,
        }
    }
}

/// The regulatory action a step stands for (`records:` in a runbook).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Records {
    /// The four-factor risk assessment and its determination (`breach assess`).
    Assessment,
    /// The counts the notices depend on: affected, per state, unreachable (`breach facts`).
    Facts,
    /// A law-enforcement request to delay notices (`breach facts --delay`).
    Delay,
    /// A notice to one audience (`breach notify --to`).
    Notice(Audience),
}

impl Records {
    /// The binding as a person reads it: "the notice to individuals".
    pub(crate) fn label(self) -> String {
        match self {
            Records::Assessment => "the risk assessment (`breach assess`)".to_owned(),
            Records::Facts => {
                "the counts: affected, per state, unreachable (`breach facts`)".to_owned()
            }
            Records::Delay => "a law-enforcement delay (`breach facts --delay`)".to_owned(),
            Records::Notice(to) => format!(
                "the notice to {} (`breach notify --to {}`)",
                to.label(),
                to.flag()
            ),
        }
    }
}

fn yes() -> bool {
    true
}

/// Who owns a step. A closed list, so that a typo in a runbook is caught by `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    ComplianceOfficer,
    PrivacyOfficer,
    ItAdmin,
    Security,
    LegalCounsel,
    Communications,
    Leadership,
    HumanResources,
    BusinessAssociate,
}

impl Role {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Role::ComplianceOfficer => "compliance officer",
            Role::PrivacyOfficer => "privacy officer",
            Role::ItAdmin => "IT / mail administrator",
            Role::Security => "security",
            Role::LegalCounsel => "legal counsel",
            Role::Communications => "communications",
            Role::Leadership => "leadership",
            Role::HumanResources => "human resources",
            Role::BusinessAssociate => "business associate",
        }
    }
}

/// A fact a responder must capture to complete a step.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvidenceField {
    pub name: Spanned<String>,
    pub prompt: Spanned<String>,
    #[serde(rename = "type")]
    pub kind: Spanned<FieldType>,
    #[serde(default = "yes")]
    pub required: bool,
    /// The allowed answers of a `choice` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FieldType {
    Text,
    LongText,
    Number,
    /// How many of something: a whole number, 0 or more.
    Count,
    YesNo,
    Date,
    DateTime,
    Email,
    /// Email addresses, one per line or separated by commas or semicolons.
    EmailList,
    Choice,
}

impl FieldType {
    /// The type's name as written in a runbook.
    pub(crate) fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::LongText => "long text",
            FieldType::Number => "number",
            FieldType::Count => "count",
            FieldType::YesNo => "yes/no",
            FieldType::Date => "date",
            FieldType::DateTime => "date-time",
            FieldType::Email => "email",
            FieldType::EmailList => "email list",
            FieldType::Choice => "choice",
        }
    }

    /// The type with the form a value must take, for error messages and prompts.
    pub(crate) fn label(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::LongText => "long text",
            FieldType::Number => "number",
            FieldType::Count => "count (a whole number, 0 or more)",
            FieldType::YesNo => "yes/no",
            FieldType::Date => "date (YYYY-MM-DD, not after today)",
            FieldType::DateTime => "date-time (YYYY-MM-DD HH:MM or RFC 3339, not in the future)",
            FieldType::Email => "email address",
            FieldType::EmailList => "email addresses, separated by commas",
            FieldType::Choice => "one of the choices",
        }
    }
}

/// A due time relative to discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Due {
    Hours(u32),
    Days(u32),
}

impl Due {
    pub(crate) fn hours(self) -> i64 {
        match self {
            Due::Hours(h) => i64::from(h),
            Due::Days(d) => i64::from(d) * 24,
        }
    }
}

impl std::fmt::Display for Due {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Due::Hours(1) => f.write_str("1 hour after discovery"),
            Due::Hours(h) => write!(f, "{h} hours after discovery"),
            Due::Days(1) => f.write_str("1 day after discovery"),
            Due::Days(d) => write!(f, "{d} days after discovery"),
        }
    }
}

/// A small, declarative test on the incident's facts. Deliberately not a language: each form is
/// one threshold the regulation or good practice names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Condition {
    /// The number of individuals affected is at least N (true while the count is unknown:
    /// an unknown count must not hide an obligation).
    AffectedAtLeast(u64),
    /// The number affected is known and below N.
    AffectedBelow(u64),
    /// Some state or jurisdiction has more than N affected residents (true while the count is
    /// unknown, or while no per-state counts are recorded and the total exceeds N).
    AnyStateMoreThan(u64),
    /// At least N individuals have insufficient or out-of-date contact details.
    UnreachableAtLeast(u64),
    /// A yes/no fact is yes.
    Fact(Spanned<String>),
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
}

impl Condition {
    /// The condition in words.
    pub(crate) fn describe(&self) -> String {
        use Condition as C;
        let all = |list: &[Condition], joiner: &str| {
            list.iter()
                .map(Condition::describe)
                .collect::<Vec<_>>()
                .join(joiner)
        };
        match self {
            C::AffectedAtLeast(n) => {
                format!("{n} or more individuals affected (or the count is unknown)")
            }
            C::AffectedBelow(n) => format!("fewer than {n} individuals affected"),
            C::AnyStateMoreThan(n) => {
                format!("more than {n} residents of one state or jurisdiction affected")
            }
            C::UnreachableAtLeast(n) => format!("{n} or more individuals cannot be reached"),
            C::Fact(f) => f.value.replace('_', " "),
            C::All(list) => all(list, " and "),
            C::Any(list) => format!("({})", all(list, " or ")),
            C::Not(inner) => format!("not ({})", inner.describe()),
        }
    }
}

/// The yes/no facts a condition may name, with what each means.
pub(crate) const KNOWN_FACTS: &[(&str, &str)] = &[
    (
        "business_associate",
        "the team is a business associate reporting to a covered entity",
    ),
    (
        "law_enforcement_delay",
        "a law-enforcement official has asked for notices to be delayed",
    ),
    (
        "notification_required",
        "the recorded risk assessment concluded that notification is required (true until an assessment says otherwise)",
    ),
    ("assessment_recorded", "a risk assessment has been recorded"),
    (
        "affected_known",
        "the number of individuals affected is known",
    ),
];

impl Runbook {
    /// Every step with the phase it belongs to, in runbook order.
    pub(crate) fn steps(&self) -> impl Iterator<Item = (Phase, &Step)> {
        self.phases
            .value
            .iter()
            .flat_map(|p| p.steps.value.iter().map(move |s| (p.phase.value, s)))
    }

    pub(crate) fn step(&self, id: &str) -> Option<(Phase, &Step)> {
        self.steps().find(|(_, s)| s.id.value == id)
    }
}
