//! The library's one error type. Each variant carries what a person needs to act — the path, the
//! line, the step id, the sequence number — and its message says what to do next. `main` prints
//! it as a single line; nothing here ever contains a note's or an evidence value's text, so an
//! error message cannot leak PHI into a terminal scrollback or a CI log.

use std::path::{Path, PathBuf};

use crate::runbook::Problem;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("runbook {} is not valid: {}{}", path.display(), first_problem(problems), more_problems(problems))]
    RunbookInvalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },

    #[error("no runbook `{id}`; available: {} (see `breach runbook list`)", known.join(", "))]
    UnknownRunbook { id: String, known: Vec<String> },

    #[error("{0}")]
    InvalidInput(String),

    /// A command line that lacks what the command needs (exit status 2, like clap's own).
    #[error("{0}")]
    Usage(String),

    #[error("no incident matches `{given}`{}; see `breach list`", did_you_mean(suggestion.as_deref()))]
    IncidentNotFound {
        given: String,
        suggestion: Option<String>,
    },

    #[error("`{given}` matches several incidents ({}); give more of the id", candidates.join(", "))]
    IncidentAmbiguous {
        given: String,
        candidates: Vec<String>,
    },

    #[error("{0}")]
    NoIncidentChosen(String),

    #[error("unknown step `{step}` in incident {incident}{}; see `breach status`", did_you_mean(suggestion.as_deref()))]
    UnknownStep {
        step: String,
        incident: String,
        suggestion: Option<String>,
    },

    #[error("{0}")]
    Refused(String),

    /// A prompt was needed but there is no terminal (or `--non-interactive` was given).
    #[error("{0}")]
    NoTerminal(String),

    /// The person left the guided walk at a prompt.
    #[error("{0}")]
    Interrupted(String),

    #[error("log {} is damaged: {detail}; nothing was changed (run `breach verify` for details{})", path.display(), if *torn_tail { ", then `breach repair` to quarantine the torn tail" } else { "; restore the log from a copy" })]
    LogDamaged {
        path: PathBuf,
        detail: String,
        torn_tail: bool,
    },

    #[error("unsafe store: {0}")]
    Unsafe(String),

    #[error("entry NOT recorded: {0}")]
    NotRecorded(Box<Error>),
}

impl Error {
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }

    pub fn input(message: impl Into<String>) -> Error {
        Error::InvalidInput(message.into())
    }

    pub fn refused(message: impl Into<String>) -> Error {
        Error::Refused(message.into())
    }
}

fn first_problem(problems: &[Problem]) -> String {
    problems
        .first()
        .map(Problem::headline)
        .unwrap_or_else(|| "unknown problem".to_owned())
}

fn more_problems(problems: &[Problem]) -> String {
    match problems.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more; run `breach runbook validate`)", n - 1),
    }
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}
