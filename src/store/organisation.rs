//! The organisation's own files as a store keeps them: the profile, the runbooks and templates
//! it wrote, and the files the profile names (a reviewed state table, the allowed signers, the
//! trusted authorities). A directory store keeps them in its directory; a database store keeps
//! every version of each in the database, insert-only like the log, and each machine reads them
//! from a private cache of the current version, so every machine drafts the same letters and
//! works the same runbooks.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// Largest organisation file kept: the largest of a runbook, a template or a state table.
pub(crate) const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// What kind of file of the organisation's, and so which directory it is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `profile.json`.
    Profile,
    /// A runbook, `runbooks/<id>.yaml`.
    Runbook,
    /// A letter or report template, `templates/<name>`.
    Template,
    /// A file the profile names (`files/<key>`): on a database store the profile names it by
    /// this relative path, read against the cache.
    Named,
}

impl FileKind {
    /// The kind as the database's `kind` column spells it.
    pub(crate) fn column(self) -> &'static str {
        match self {
            FileKind::Profile => "profile",
            FileKind::Runbook => "runbook",
            FileKind::Template => "template",
            FileKind::Named => "file",
        }
    }

    pub(crate) fn from_column(column: &str) -> Option<FileKind> {
        [
            FileKind::Profile,
            FileKind::Runbook,
            FileKind::Template,
            FileKind::Named,
        ]
        .into_iter()
        .find(|k| k.column() == column)
    }

    /// Where a file of this kind named `name` is, under the organisation's directory `dir`.
    pub(crate) fn path(self, dir: &Path, name: &str) -> PathBuf {
        match self {
            FileKind::Profile => dir.join(name),
            FileKind::Runbook => dir.join("runbooks").join(name),
            FileKind::Template => dir.join("templates").join(name),
            FileKind::Named => dir.join("files").join(name),
        }
    }
}

/// Whether `name` may name an organisation file: one path component of letters, digits, `.`,
/// `_` and `-`, not starting with a dot (the database checks the same).
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Error::input(format!(
            "`{}` cannot name a file of the organisation's: use letters, digits, `.`, `_` and `-`, starting with a letter or digit",
            crate::text::sanitize(name)
        )))
    }
}

/// What replacing an organisation file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Replaced {
    /// The store's version of the organisation's files after the change (a database store's
    /// insert-only history), or `None` for a directory store, which keeps no history.
    pub version: Option<i64>,
    /// Whether anything changed (the same content again records nothing).
    pub changed: bool,
    /// Where this machine reads the file now (absent when withdrawn).
    pub path: PathBuf,
}

/// One version of one organisation file, as a database store's history holds it.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct FileVersion {
    pub version: i64,
    pub kind: &'static str,
    pub name: String,
    /// The content's SHA-256, or `None` for a withdrawal.
    pub sha256: Option<String>,
    pub written_by: String,
    pub written_at: String,
}

/// The change a replacement makes, given the current content (`None`: there is none): the
/// new content, or `None` to withdraw it.
pub(crate) type Change<'a> = dyn FnMut(Option<&[u8]>) -> Result<Option<Vec<u8>>, Error> + 'a;
