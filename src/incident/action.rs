//! A change a responder asks for, in the domain's terms: from the command line or from the
//! guided walk. Both hand the same [`Action`] to one recorder, so a walked step produces exactly
//! the entries the scriptable commands would.

use std::path::PathBuf;

use super::StepState;
use super::assessment::AssessmentDraft;
use super::facts::Statement;

#[derive(Debug, Clone)]
pub(crate) enum Action {
    Done {
        step: String,
        note: Option<String>,
        /// Evidence as (field, value) pairs, checked against the step's fields.
        evidence: Vec<(String, String)>,
        /// For a step bound to an action (`records:` in the runbook): that action's values.
        records: Option<Bound>,
    },
    /// Skip, not applicable or reopen, with the reason.
    Settle {
        step: String,
        target: StepState,
        reason: String,
    },
    Note {
        text: String,
        step: Option<String>,
    },
    Attach {
        file: PathBuf,
        step: Option<String>,
    },
    /// Keep a message's headers as evidence, never the message itself.
    AttachMessage {
        file: PathBuf,
        step: Option<String>,
    },
    /// Assign a step to a person (`None`: take the assignment back).
    Assign {
        step: String,
        to: Option<String>,
    },
    /// Withdraw entry `entry`, recorded by mistake, with the reason.
    Void {
        entry: u64,
        reason: String,
    },
}

/// The values of the action a bound step records, as a person gave them (flags of `done`, or
/// answers in the walk). They are checked exactly as `assess`, `notify` and `facts` check theirs.
#[derive(Debug, Clone)]
pub(crate) enum Bound {
    Assessment(Box<AssessmentDraft>),
    /// `--affected`, `--unreachable`, `--state XX=N`.
    Counts {
        affected: Option<String>,
        unreachable: Option<String>,
        states: Vec<String>,
    },
    /// `--delay`, `--delay-official`, `--delay-stated`, `--delay-until`.
    Delay {
        kind: Statement,
        official: String,
        stated: String,
        until: Option<String>,
    },
    /// `--date`, `--method`, `--count`, `--state XX` (media), `--again`, `--despite-hold --reason`.
    Notice {
        date: String,
        method: String,
        count: Option<u64>,
        state: Option<String>,
        again: bool,
        despite_hold: Option<String>,
        /// Why a notice by a method the rule does not allow for its audience is recorded
        /// anyway (it is then not counted toward the obligation).
        reason: Option<String>,
    },
}

/// How a notice may be sent, as `breach notify --method` writes it.
pub(crate) const NOTICE_METHODS: [(&str, &str); 8] = [
    (
        "first-class-mail",
        "written notice by first-class mail (164.404(d)(1)(i))",
    ),
    (
        "email",
        "email, where the individual agreed to electronic notice",
    ),
    (
        "telephone",
        "telephone (urgent notice, or substitute notice for fewer than 10)",
    ),
    ("portal", "the HHS breach portal"),
    (
        "press-release",
        "a press release to prominent media outlets (164.406)",
    ),
    (
        "web-posting",
        "a conspicuous posting on the home page (substitute notice)",
    ),
    (
        "broadcast",
        "major print or broadcast media (substitute notice)",
    ),
    ("other-written", "hand delivery or another written form"),
];
