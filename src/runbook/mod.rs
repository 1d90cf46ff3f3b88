//! Runbooks: the YAML description of what a response team does, phase by phase.
//!
//! The bundled runbooks are compiled into the binary so `breach` works from any directory with
//! nothing installed beside it. An organisation's own runbooks are read from directories (the
//! store's `runbooks/`, then `--runbooks DIR`); one with the same id as a bundled runbook replaces
//! it. An incident never reads a runbook from here after it starts: `start` pins the text into the
//! log, so later edits cannot change an open case.

mod model;
mod validate;

use std::path::{Path, PathBuf};

pub(crate) use crate::error::Problem;
pub(crate) use model::{
    Condition, Due, EvidenceField, FieldType, Phase, Records, Role, Runbook, Step,
};
pub(crate) use validate::{MAX_RUNBOOK_BYTES, parse_runbook};

use crate::error::Error;

/// The runbooks shipped in `runbooks/`, by file name.
pub(crate) const BUNDLED: &[(&str, &str)] = &[
    (
        "misdirected-email.yaml",
        include_str!("../../runbooks/misdirected-email.yaml"),
    ),
    (
        "compromised-mailbox.yaml",
        include_str!("../../runbooks/compromised-mailbox.yaml"),
    ),
    (
        "unencrypted-or-exposed.yaml",
        include_str!("../../runbooks/unencrypted-or-exposed.yaml"),
    ),
    (
        "business-associate.yaml",
        include_str!("../../runbooks/business-associate.yaml"),
    ),
];

/// Where a runbook came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Bundled(&'static str),
    File(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Bundled(name) => write!(f, "bundled ({name})"),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A loaded, valid runbook with the exact text it was read from.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub runbook: Runbook,
    pub text: String,
    pub source: Source,
    /// Set when this runbook replaces a bundled one with the same id.
    pub replaces_bundled: bool,
}

/// Every runbook available to this invocation.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub entries: Vec<Entry>,
    /// Organisation files that failed validation; they are listed as warnings, never used.
    pub invalid: Vec<InvalidRunbook>,
}

/// An organisation runbook file that cannot be used, with what is wrong.
#[derive(Debug, Clone)]
pub(crate) struct InvalidRunbook {
    pub path: PathBuf,
    pub problems: Vec<Problem>,
    /// The id the file declares, when its `id:` line can be read.
    pub id: Option<String>,
}

impl InvalidRunbook {
    /// Whether this file was meant to be runbook `id` (by its declared id or its file name).
    fn is(&self, id: &str) -> bool {
        self.id.as_deref() == Some(id) || self.path.file_stem().is_some_and(|s| s == id)
    }
}

/// The id a runbook's text declares on a top-level `id:` line, read without parsing the YAML.
fn declared_id(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("id:"))
        .map(|v| v.trim().trim_matches(['"', '\'']).to_owned())
        .filter(|v| !v.is_empty())
}

impl Catalog {
    /// Loads the bundled runbooks, then each directory in order (later ones win).
    pub(crate) fn load(dirs: &[PathBuf]) -> Result<Catalog, Error> {
        let mut catalog = Catalog::default();
        for (name, text) in BUNDLED {
            let runbook = parse_runbook(&format!("runbooks/{name}"), text).map_err(|problems| {
                Error::RunbookInvalid {
                    path: PathBuf::from(format!("runbooks/{name}")),
                    problems,
                }
            })?;
            catalog.entries.push(Entry {
                runbook,
                text: (*text).to_owned(),
                source: Source::Bundled(name),
                replaces_bundled: false,
            });
        }
        for dir in dirs {
            for path in runbook_files(dir)? {
                // One bad file never blocks the others: it is set aside with its problems.
                let text = match read_runbook_text(&path) {
                    Ok(text) => text,
                    Err(Error::RunbookInvalid { problems, .. }) => {
                        catalog.invalid.push(InvalidRunbook {
                            path,
                            problems,
                            id: None,
                        });
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                match parse_runbook(&path.display().to_string(), &text) {
                    Ok(runbook) => catalog.add(Entry {
                        runbook,
                        text,
                        source: Source::File(path),
                        replaces_bundled: false,
                    }),
                    Err(problems) => catalog.invalid.push(InvalidRunbook {
                        path,
                        problems,
                        id: declared_id(&text),
                    }),
                }
            }
        }
        Ok(catalog)
    }

    fn add(&mut self, mut entry: Entry) {
        let id = entry.runbook.id.value.clone();
        if let Some(pos) = self.entries.iter().position(|e| e.runbook.id.value == id) {
            let old = &self.entries[pos];
            entry.replaces_bundled =
                old.replaces_bundled || matches!(old.source, Source::Bundled(_));
            self.entries[pos] = entry;
        } else {
            self.entries.push(entry);
        }
    }

    /// The runbook `id`. An organisation's file meant to be `id` that is invalid is refused with
    /// its problems, never silently replaced by the bundled runbook of the same id.
    pub(crate) fn get(&self, id: &str) -> Result<&Entry, Error> {
        if let Some(bad) = self.invalid.iter().find(|b| b.is(id)) {
            return Err(Error::RunbookInvalid {
                path: bad.path.clone(),
                problems: bad.problems.clone(),
            });
        }
        if let Some(entry) = self.entries.iter().find(|e| e.runbook.id.value == id) {
            return Ok(entry);
        }
        Err(Error::UnknownRunbook {
            id: id.to_owned(),
            known: self
                .entries
                .iter()
                .map(|e| e.runbook.id.value.clone())
                .collect(),
        })
    }
}

/// The `.yaml`/`.yml` files directly inside `dir`, sorted by name.
pub(crate) fn runbook_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let read = std::fs::read_dir(dir).map_err(|e| Error::io("read runbook directory", dir, e))?;
    let mut files = Vec::new();
    for item in read {
        let item = item.map_err(|e| Error::io("read runbook directory", dir, e))?;
        let path = item.path();
        let is_yaml = path.extension().is_some_and(|x| x == "yaml" || x == "yml");
        // Anything named like a runbook is read, so a FIFO or a device planted there is
        // reported with its path rather than skipped in silence.
        if is_yaml && !path.is_dir() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads a runbook file, refusing oversized or non-UTF-8 input with a clear error.
pub(crate) fn read_runbook_text(path: &Path) -> Result<String, Error> {
    let located = |message: String| Error::RunbookInvalid {
        path: path.to_owned(),
        problems: vec![Problem {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message,
            source_line: None,
        }],
    };
    let bytes = match crate::files::read_small_file(path, MAX_RUNBOOK_BYTES as u64, "runbook") {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(Error::io(
                "read runbook",
                path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        Err(Error::InvalidInput(message)) => {
            let message = message
                .strip_prefix(&format!("{}: ", path.display()))
                .unwrap_or(&message)
                .to_owned();
            return Err(located(message));
        }
        Err(e) => return Err(e),
    };
    String::from_utf8(bytes).map_err(|e| Error::RunbookInvalid {
        path: path.to_owned(),
        problems: vec![Problem {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message: format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
            source_line: None,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runbook_pinned_as_json_reads_back_as_the_same_runbook() {
        for (name, text) in BUNDLED {
            let from_yaml = parse_runbook(name, text).expect("bundled runbooks are valid");
            let json = serde_json::to_string(&from_yaml).unwrap();
            let from_json: Runbook = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&from_json).unwrap(), json, "{name}");
            assert_eq!(from_json.steps().count(), from_yaml.steps().count());
        }
    }
}
