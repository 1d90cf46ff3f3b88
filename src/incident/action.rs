//! A change a responder asks for, in the domain's terms: from the command line or from the
//! guided walk. Both hand the same [`Action`] to one recorder, so a walked step produces exactly
//! the entries the scriptable commands would.

use std::path::PathBuf;

use super::StepState;

#[derive(Debug, Clone)]
pub enum Action {
    Done {
        step: String,
        note: Option<String>,
        /// Evidence as (field, value) pairs, checked against the step's fields.
        evidence: Vec<(String, String)>,
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
}
