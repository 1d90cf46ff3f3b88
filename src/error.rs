//! The library's one error type. Each variant carries what a person needs to act — the path, the
//! line, the step id, the sequence number — and its message says what to do next. `main` prints
//! it as a single line; nothing here ever contains a note's or an evidence value's text, so an
//! error message cannot leak PHI into a terminal scrollback or a CI log.
//!
//! It sits at the bottom of the crate with `text`: it imports nothing of the crate, so every
//! layer can return it. [`Error::kind`] says what sort of failure an error is, and
//! [`Kind::exit_code`] is the one table from kinds to exit statuses.

use std::path::{Path, PathBuf};

use std::fmt;

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

    #[error("`{given}` matches several incidents ({}); give more of the id", some_of(candidates, candidates.len()))]
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

    /// A file of the store other than a log is not what the log says it is.
    #[error("the store is damaged at {}: {detail}; nothing was recorded (run `breach verify`, and restore the file from a copy)", path.display())]
    StoreDamaged { path: PathBuf, detail: String },

    #[error("unsafe store: {0}")]
    Unsafe(String),

    #[error("entry NOT recorded: {0}")]
    NotRecorded(Box<Error>),

    /// A write whose outcome cannot be known now: the connection was lost as it committed, and
    /// the store could not be asked. The message says how to find out.
    #[error("{0}")]
    Unconfirmed(String),

    /// A database store that cannot be reached or refused an operation; the message names the
    /// store (never with a password) and the host, and the driver's error is kept as the source.
    #[error("{message}")]
    Database {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A failure that is a bug of this program, not of what it was given or of the machine (a
    /// value of its own that cannot be encoded).
    #[error("{what}: {source}")]
    Internal {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// Text to be recorded looks like it holds identifiers: where and which kinds, never the
    /// text. The commands decide whether to ask.
    #[error("not recorded: {described}")]
    IdentifiersFound {
        described: String,
        kinds: Vec<&'static str>,
    },
}

/// What sort of failure an error is: what a script or a person does about it differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The command line itself is wrong: a missing argument, a malformed value.
    Usage,
    /// A value given is wrong where it is (a date in the future, an unknown id), with its location.
    Input,
    /// The command was understood and a rule of the record refused it.
    Refused,
    /// The record on disk is damaged or does not verify.
    Damaged,
    /// The operating system failed an operation on a path.
    Io,
    /// The person left a prompt; nothing was recorded.
    Interrupted,
    /// A bug of this program.
    Internal,
}

impl Kind {
    /// The one table from kinds of failure to exit statuses: 2 for a usage error (as clap's own
    /// errors), 1 for everything else.
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Usage => 2,
            Kind::Input
            | Kind::Refused
            | Kind::Damaged
            | Kind::Io
            | Kind::Interrupted
            | Kind::Internal => 1,
        }
    }
}

impl Error {
    /// The kind of failure, which decides the exit status.
    pub fn kind(&self) -> Kind {
        match self {
            Error::Usage(_) => Kind::Usage,
            Error::RunbookInvalid { .. }
            | Error::UnknownRunbook { .. }
            | Error::InvalidInput(_)
            | Error::IncidentNotFound { .. }
            | Error::IncidentAmbiguous { .. }
            | Error::NoIncidentChosen(_)
            | Error::UnknownStep { .. } => Kind::Input,
            Error::Refused(_)
            | Error::NoTerminal(_)
            | Error::Unsafe(_)
            | Error::IdentifiersFound { .. } => Kind::Refused,
            Error::LogDamaged { .. } | Error::StoreDamaged { .. } => Kind::Damaged,
            Error::Io { .. } | Error::Database { .. } | Error::Unconfirmed(_) => Kind::Io,
            Error::Internal { .. } => Kind::Internal,
            Error::Interrupted(_) => Kind::Interrupted,
            Error::NotRecorded(inner) => inner.kind(),
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Error {
        Error::Usage(message.into())
    }

    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }

    /// A database store's failure, with the driver's error where there is one.
    pub(crate) fn database(
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Database {
            message: message.into(),
            source,
        }
    }

    /// A bug of this program: `what` it could not do, and why.
    pub(crate) fn internal(
        what: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Internal {
            what,
            source: source.into(),
        }
    }

    pub(crate) fn input(message: impl Into<String>) -> Error {
        Error::InvalidInput(message.into())
    }

    pub(crate) fn refused(message: impl Into<String>) -> Error {
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

/// How many incidents an error names before it says how many more there are: an error stays
/// one line a person can read whatever the size of the store.
pub(crate) const NAMED_CANDIDATES: usize = 10;

/// The first [`NAMED_CANDIDATES`] of `total` things, joined, and how many more there are.
pub(crate) fn some_of(named: &[String], total: usize) -> String {
    let shown = named.len().min(NAMED_CANDIDATES);
    let mut text = named[..shown].join(", ");
    if total > shown {
        text.push_str(&format!(" and {} more", total - shown));
    }
    text
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// One thing wrong with a runbook file, located for its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
    /// The source line the problem is on, when the location is known.
    pub source_line: Option<String>,
}

impl Problem {
    /// The problem as one line, without the snippet.
    pub(crate) fn headline(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.file, self.message)
        } else {
            format!(
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.headline())?;
        if let Some(src) = &self.source_line {
            let gutter = self.line.to_string();
            let pad = " ".repeat(gutter.len());
            let caret_at = usize::try_from(self.column.saturating_sub(1)).unwrap_or(0);
            let lead: String = src
                .chars()
                .take(caret_at)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n {pad} |\n {gutter} | {src}\n {pad} | {lead}^")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_source_and_a_bug_exits_as_any_failure() {
        let bad: serde_json::Error = serde_json::from_str::<u8>("x").unwrap_err();
        let internal = Error::internal("cannot encode entry", bad);
        assert!(internal.to_string().starts_with("cannot encode entry: "));
        assert!(std::error::Error::source(&internal).is_some());
        assert_eq!(internal.kind(), Kind::Internal);
        assert_eq!(internal.kind().exit_code(), 1);
        let db = Error::database("the store could not answer", Some("timeout".into()));
        assert_eq!(db.to_string(), "the store could not answer");
        assert_eq!(
            std::error::Error::source(&db).map(ToString::to_string),
            Some("timeout".to_owned())
        );
        assert_eq!(db.kind().exit_code(), 1);
        assert_eq!(Error::usage("x").kind().exit_code(), 2);
    }
}
