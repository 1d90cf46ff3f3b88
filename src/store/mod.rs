//! The store: where incidents live. Commands reach it only through [`Store`], which holds one
//! [`Backend`]: the directory store ([`dir::DirStore`]) on one machine, or the PostgreSQL store
//! ([`postgres::PgStore`]) shared by a team, behind the same two small traits, so no command
//! knows which it works on.
//!
//! The store knows lines, files, locks and directories — never steps. It replays a log into an
//! incident only through [`crate::incident::Replay`], the domain's own reader.

mod address;
pub(crate) mod cache;
pub(crate) mod dir;
pub(crate) mod organisation;
pub(crate) mod postgres;
mod rebuild;
mod snapshot;
mod summaries;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::Error;
use crate::incident::Incident;
use crate::log::{Entry, Head, RepairData, Resume, Scan, Stamp};

pub(crate) use address::{StoreAddress, default_root};
pub(crate) use dir::{DirStore, new_incident_id};
pub(crate) use snapshot::replay_verified;
pub(crate) use summaries::{LogCheck, LogKey, LogSeen, LogStamp};

/// Which lock an open log holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Shared lock: many readers, no writer.
    Read,
    /// Exclusive lock: the one writer.
    Write,
}

/// What a repair removed, and the head after the entry that says so.
#[derive(Debug)]
pub(crate) struct Repaired {
    pub data: RepairData,
    pub head: Head,
}

/// One incident's log, open and locked for reading or writing.
pub(crate) trait IncidentLog: std::fmt::Debug {
    /// Reads the whole log, reporting damage in the result instead of failing.
    fn scan(&mut self, on_entry: &mut dyn FnMut(&Entry<'_>)) -> Result<Scan, Error>;

    /// Reads only what follows `resume` (a verified prefix read earlier), or `None` when the
    /// log does not hold that prefix as `resume` describes it. A backend that cannot resume
    /// says `None`, and the whole log is read.
    fn scan_from(
        &mut self,
        _resume: &Resume,
        _on_entry: &mut dyn FnMut(&Entry<'_>),
    ) -> Result<Option<Scan>, Error> {
        Ok(None)
    }

    /// Appends one entry after a verified read under the same lock. Success means the
    /// entry is durable; any error means it was NOT recorded.
    fn append_raw(
        &mut self,
        stamp: &Stamp<'_>,
        actor: &str,
        kind: &str,
        payload: &RawValue,
    ) -> Result<Head, Error>;

    /// Appends entries written elsewhere, byte for byte (each a complete line with its
    /// newline), after a verified read under the same lock: each must be the next link of this
    /// log's chain. All are recorded or none.
    fn append_verbatim(&mut self, lines: &[Vec<u8>]) -> Result<Head, Error>;

    /// Quarantines a torn tail and logs what was removed; refuses anything else.
    fn repair(
        &mut self,
        stamp: &Stamp<'_>,
        actor: &str,
        reason: Option<&str>,
    ) -> Result<Repaired, Error>;

    /// Where the log is, for messages.
    fn location(&self) -> String;
}

impl dyn IncidentLog + '_ {
    /// Reads and verifies the whole log, handing each entry to `on_entry`. Damage anywhere is
    /// an error: a damaged log is reported, never worked on.
    pub(crate) fn read_verified(
        &mut self,
        mut on_entry: impl FnMut(&Entry<'_>),
    ) -> Result<Scan, Error> {
        let scan = self.scan(&mut on_entry)?;
        scan.verified(Path::new(&self.location()))
    }
}

/// A login that wrote entries of an incident, as a database store authenticated it: beside the
/// `--actor` name each entry carries, which the person gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Writer {
    pub role: String,
    pub entries: u64,
    /// The first and last entry it wrote.
    pub first: u64,
    pub last: u64,
}

/// An evidence file as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredAttachment {
    /// Where the copy lives, relative to the incident.
    pub stored: String,
    pub sha256: String,
    pub bytes: u64,
    /// Whether this call made the copy (false when the same content was already there).
    pub created: bool,
}

/// What a place that keeps incidents must do. Small on purpose: every command is written
/// against it, so a second backend is this trait and [`IncidentLog`], nothing more.
pub(crate) trait Backend: std::fmt::Debug {
    /// Where the store is, for people and `--json` (never with a password in it).
    fn location(&self) -> String;
    /// Every incident id, sorted.
    fn ids(&self) -> Result<Vec<String>, Error>;
    /// Hands every incident id to `id`, in any order, without holding them: a store-wide walk
    /// sorts them on disk past a point (see [`crate::spill`]).
    fn each_id(&self, id: &mut dyn FnMut(String) -> Result<(), Error>) -> Result<(), Error> {
        self.ids()?.into_iter().try_for_each(id)
    }
    /// Creates an incident whose log starts with `genesis` (a complete first line, newline
    /// included, already checked); refuses an id that exists.
    fn create_incident(&self, id: &str, genesis: &[u8]) -> Result<Head, Error>;
    /// Opens and locks an incident's log.
    fn open_log(&self, id: &str, access: Access) -> Result<Box<dyn IncidentLog>, Error>;
    /// Copies an evidence file's content into the incident under its content's address.
    fn put_attachment(
        &self,
        id: &str,
        content: &mut dyn std::io::Read,
    ) -> Result<StoredAttachment, Error>;
    /// The attachments an incident holds, as entries name them (`attachments/<sha256>`).
    fn attachments(&self, id: &str) -> Result<Vec<String>, Error>;
    /// An attachment's content, or `None` when it is missing.
    fn open_attachment(
        &self,
        id: &str,
        stored: &str,
    ) -> Result<Option<Box<dyn std::io::Read + '_>>, Error>;
    /// The SHA-256 of an attachment's content as stored now, or `None` when it is missing.
    fn attachment_sha256(&self, id: &str, stored: &str) -> Result<Option<String>, Error>;
    /// Removes a copy this process made when the entry naming it could not be recorded.
    fn discard_attachment(&self, id: &str, attachment: &StoredAttachment);
    /// The directory this machine reads the organisation's own files from: `profile.json`,
    /// `runbooks/`, `templates/` (and, on a database store, `files/`): the store itself for a
    /// directory store, the cache of the database's current version for a database store.
    fn files_dir(&self) -> PathBuf;
    /// The directory of what this machine keeps for the store and no other machine needs (a
    /// pending time-stamp request).
    fn machine_dir(&self) -> PathBuf {
        self.files_dir()
    }
    /// Replaces one of the organisation's files with what `change` makes of its current
    /// content (`None` withdraws it): a new version on a database store, the file itself in a
    /// directory store.
    fn replace_organisation_file(
        &self,
        kind: organisation::FileKind,
        name: &str,
        change: &mut organisation::Change,
    ) -> Result<organisation::Replaced, Error>;
    /// Every version of the organisation's files, or `None` when the store keeps no history.
    fn organisation_history(&self) -> Result<Option<Vec<organisation::FileVersion>>, Error> {
        Ok(None)
    }
    /// Which log an incident has now (its length and last hash), read without a lock or a
    /// replay; `None` when that cannot be told cheaply (a torn or unreadable tail).
    fn log_key(&self, id: &str) -> Option<LogKey>;
    /// What each incident's log is now, for the caches to tell whether it changed since a key
    /// was read from it: the one question every cache asks (see [`LogCheck`]).
    fn log_check(&self) -> Box<dyn LogCheck + '_>;
    /// Where the store keeps its caches (see [`cache`]), or `None` when it keeps none.
    fn cache_dir(&self) -> Option<PathBuf>;
    /// Another handle on the same store, for a second thread to read incidents with, or `None`
    /// when reads stay on one thread (a database connection serves one query at a time).
    fn reader(&self) -> Option<Box<dyn Backend + Send>> {
        None
    }
    /// Whether an incident's log may have been changed outside `breach` since its last own
    /// write (so a state snapshot must not be trusted and the whole log is verified): a
    /// backend that cannot be written outside `breach` says no.
    fn changed_outside(&self, _id: &str) -> bool {
        false
    }
    /// Keeps what an incident's log is now as trusted, after the whole of it was verified under
    /// its lock (a log no write of this version left, or one changed outside it and found whole).
    fn keep_verified(&self, _id: &str) {}
    /// Who wrote an incident's entries as the store authenticated them (a database's logins),
    /// or `None` when the store does not know (a directory: the file system does not record it).
    fn writers(&self, _id: &str) -> Result<Option<Vec<Writer>>, Error> {
        Ok(None)
    }
    /// The same, as runs of consecutive entries in the order of the log (a login that wrote
    /// entries 0-3 and 7 is two runs), for the exports to name the login beside each entry.
    fn writer_runs(&self, _id: &str) -> Result<Option<Vec<Writer>>, Error> {
        Ok(None)
    }
}

/// The store a command works on.
#[derive(Debug)]
pub(crate) struct Store {
    backend: Box<dyn Backend>,
}

impl Store {
    /// Opens the store at `address`; a missing directory store is an error.
    pub(crate) fn open(address: &StoreAddress) -> Result<Store, Error> {
        let backend: Box<dyn Backend> = match address {
            StoreAddress::Postgres(url) => Box::new(postgres::PgStore::connect(url)?),
            StoreAddress::Directory(root) => Box::new(DirStore::open(root)?),
        };
        Ok(Store { backend })
    }

    /// Opens the store at `address`, creating a directory store when it does not exist (see
    /// [`DirStore::create`] for when its parents are created too). A database is never
    /// created here: `breach store init` makes its tables.
    pub(crate) fn create(address: &StoreAddress, parents: bool) -> Result<Store, Error> {
        match address {
            StoreAddress::Postgres(_) => Self::open(address),
            StoreAddress::Directory(root) => Ok(Store {
                backend: Box::new(DirStore::create(root, parents)?),
            }),
        }
    }

    /// Where the store keeps its caches, if it keeps any.
    pub(crate) fn cache_dir(&self) -> Option<PathBuf> {
        self.backend.cache_dir()
    }

    pub(crate) fn location(&self) -> String {
        self.backend.location()
    }

    pub(crate) fn files_dir(&self) -> PathBuf {
        self.backend.files_dir()
    }

    pub(crate) fn runbooks_dir(&self) -> PathBuf {
        self.files_dir().join("runbooks")
    }

    pub(crate) fn machine_dir(&self) -> PathBuf {
        self.backend.machine_dir()
    }

    /// Whether the organisation's files are shared through the store (a database), so that a
    /// machine's own copy is only a cache and must not be edited.
    pub(crate) fn shares_organisation_files(&self) -> bool {
        self.backend.machine_dir() != self.backend.files_dir()
    }

    pub(crate) fn replace_organisation_file(
        &self,
        kind: organisation::FileKind,
        name: &str,
        change: &mut organisation::Change,
    ) -> Result<organisation::Replaced, Error> {
        self.backend.replace_organisation_file(kind, name, change)
    }

    pub(crate) fn organisation_history(
        &self,
    ) -> Result<Option<Vec<organisation::FileVersion>>, Error> {
        self.backend.organisation_history()
    }

    pub(crate) fn ids(&self) -> Result<Vec<String>, Error> {
        self.backend.ids()
    }

    pub(crate) fn open_log(&self, id: &str, access: Access) -> Result<Box<dyn IncidentLog>, Error> {
        self.backend.open_log(id, access)
    }

    pub(crate) fn create_incident(
        &self,
        id: &str,
        stamp: &Stamp<'_>,
        actor: &str,
        kind: &str,
        genesis: &impl Serialize,
    ) -> Result<Head, Error> {
        let payload = crate::log::to_raw(genesis)?;
        let (_, line) = crate::log::encode_next(None, None, stamp, actor, kind, &payload)?;
        self.backend.create_incident(id, line.as_bytes())
    }

    /// Creates an incident from the first line of a log written elsewhere, byte for byte.
    pub(crate) fn create_incident_verbatim(&self, id: &str, genesis: &[u8]) -> Result<Head, Error> {
        crate::log::check_genesis(genesis)?;
        self.backend.create_incident(id, genesis)
    }

    /// Copies an evidence file into the incident under its content's address.
    pub(crate) fn put_attachment(&self, id: &str, file: &Path) -> Result<StoredAttachment, Error> {
        let mut src = std::fs::File::open(file).map_err(|e| Error::io("read", file, e))?;
        self.backend.put_attachment(id, &mut src)
    }

    /// Copies attachment content from another store.
    pub(crate) fn put_attachment_from(
        &self,
        id: &str,
        content: &mut dyn std::io::Read,
    ) -> Result<StoredAttachment, Error> {
        self.backend.put_attachment(id, content)
    }

    pub(crate) fn writers(&self, id: &str) -> Result<Option<Vec<Writer>>, Error> {
        self.backend.writers(id)
    }

    pub(crate) fn writer_runs(&self, id: &str) -> Result<Option<Vec<Writer>>, Error> {
        self.backend.writer_runs(id)
    }

    pub(crate) fn attachments(&self, id: &str) -> Result<Vec<String>, Error> {
        self.backend.attachments(id)
    }

    pub(crate) fn open_attachment(
        &self,
        id: &str,
        stored: &str,
    ) -> Result<Option<Box<dyn std::io::Read + '_>>, Error> {
        self.backend.open_attachment(id, stored)
    }

    pub(crate) fn attachment_sha256(
        &self,
        id: &str,
        stored: &str,
    ) -> Result<Option<String>, Error> {
        self.backend.attachment_sha256(id, stored)
    }

    pub(crate) fn discard_attachment(&self, id: &str, attachment: &StoredAttachment) {
        self.backend.discard_attachment(id, attachment);
    }

    /// The length of an incident's log in bytes, when it can be told cheaply (for progress).
    pub(crate) fn log_bytes(&self, id: &str) -> Option<u64> {
        self.backend.log_key(id).map(|k| k.bytes)
    }

    /// Reads an incident under a shared lock.
    pub(crate) fn load(&self, id: &str) -> Result<Incident, Error> {
        let mut log = self.open_log(id, Access::Read)?;
        self.replay_log(id, log.as_mut())
    }

    /// The open incidents (neither closed nor discarded) with their titles, in order of id.
    pub(crate) fn open_incidents(&self) -> Vec<(String, String)> {
        let mut open = Vec::new();
        let _ = self.each_title(&mut |id, title| {
            if let Some(title) = title.filter(|t| !t.closed) {
                open.push((id.to_owned(), title.title.into_owned()));
            }
        });
        open
    }

    /// Resolves the incident a command is about: the id or unique id prefix given, or else the
    /// only open incident.
    pub(crate) fn resolve(&self, given: Option<&str>) -> Result<String, Error> {
        let ids = self.ids()?;
        if let Some(given) = given {
            if ids.iter().any(|i| i == given) {
                return Ok(given.to_owned());
            }
            let mut matches: Vec<&String> = ids.iter().filter(|i| i.starts_with(given)).collect();
            if matches.is_empty() && !given.trim().is_empty() {
                // Any unique part of an id or a title, whatever its case.
                // One summary at a time, keeping only the matches.
                let part = given.trim().to_lowercase();
                let mut found = Vec::new();
                self.each_title(&mut |id, title| {
                    if id.to_lowercase().contains(&part)
                        || title.is_some_and(|t| t.title.to_lowercase().contains(&part))
                    {
                        found.push(id.to_owned());
                    }
                })?;
                // Both in order of id.
                matches = ids
                    .iter()
                    .filter(|id| found.binary_search(id).is_ok())
                    .collect();
            }
            return match matches.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(Error::IncidentNotFound {
                    given: crate::text::sanitize(given).into_owned(),
                    suggestion: crate::text::closest(given, ids.iter().map(String::as_str)),
                }),
                many => Err(Error::IncidentAmbiguous {
                    given: given.to_owned(),
                    candidates: many.iter().map(|s| (*s).clone()).collect(),
                }),
            };
        }
        // A single incident is taken as it is (its log is verified when it is read). Among
        // several, the open ones come from the summaries, one at a time: an unreadable one counts
        // as open, so that a damaged log stays reachable without -i for `verify` and `repair`.
        match ids.as_slice() {
            [] => {
                return Err(Error::NoIncidentChosen(format!(
                    "no incidents in {}; start one with `breach start`",
                    self.location()
                )));
            }
            [one] => return Ok(one.clone()),
            _ => {}
        }
        drop(ids);
        let (mut open, mut first, mut named) = (0usize, None, Vec::new());
        self.each_title(&mut |id, title| {
            if title.as_ref().is_some_and(|t| t.closed) {
                return;
            }
            open += 1;
            first.get_or_insert_with(|| id.to_owned());
            if named.len() < crate::error::NAMED_CANDIDATES {
                named.push(match title {
                    Some(t) => format!("{id} ({})", crate::text::sanitize(&t.title)),
                    None => id.to_owned(),
                });
            }
        })?;
        match (open, first) {
            (1, Some(one)) => Ok(one),
            (0, _) => Err(Error::NoIncidentChosen(
                "no incident is open; name one with -i ID (see `breach list`)".to_owned(),
            )),
            (many, _) => Err(Error::NoIncidentChosen(format!(
                "{many} incidents are open: {}; name one with -i ID (or any unique part of its title)",
                crate::error::some_of(&named, many)
            ))),
        }
    }
}
