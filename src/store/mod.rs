//! The store: where incidents live. Commands reach it only through [`Store`], which holds one
//! [`Backend`]: the directory store ([`dir::DirStore`]) on one machine, or the PostgreSQL store
//! ([`postgres::PgStore`]) shared by a team, behind the same two small traits, so no command
//! knows which it works on.
//!
//! The store knows lines, files, locks and directories — never steps. It replays a log into an
//! incident only through [`crate::incident::Replay`], the domain's own reader.

pub mod cache;
pub mod dir;
pub mod postgres;

use std::path::{Path, PathBuf};

use std::io::Write;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::Error;
use crate::incident::summary::{LogKey, LogStamp, Summary, TitleView, cache_line, read_cache_line};
use crate::incident::{Incident, Replay};
use crate::log::{Entry, Head, RepairData, Resume, Scan, Stamp};

pub use dir::{DirStore, default_root, new_incident_id};

/// Which lock an open log holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Shared lock: many readers, no writer.
    Read,
    /// Exclusive lock: the one writer.
    Write,
}

/// What a repair removed, and the head after the entry that says so.
#[derive(Debug)]
pub struct Repaired {
    pub data: RepairData,
    pub head: Head,
}

/// One incident's log, open and locked for reading or writing.
pub trait IncidentLog: std::fmt::Debug {
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
    fn repair(&mut self, stamp: &Stamp<'_>, actor: &str) -> Result<Repaired, Error>;

    /// Where the log is, for messages.
    fn location(&self) -> String;
}

impl dyn IncidentLog + '_ {
    /// Reads and verifies the whole log, handing each entry to `on_entry`. Damage anywhere is
    /// an error: a damaged log is reported, never worked on.
    pub fn read_verified(&mut self, mut on_entry: impl FnMut(&Entry<'_>)) -> Result<Scan, Error> {
        let scan = self.scan(&mut on_entry)?;
        scan.verified(Path::new(&self.location()))
    }

    /// Appends one entry whose payload is `data`.
    pub fn append(
        &mut self,
        stamp: &Stamp<'_>,
        actor: &str,
        kind: &str,
        data: &impl Serialize,
    ) -> Result<Head, Error> {
        self.append_raw(stamp, actor, kind, &crate::log::to_raw(data)?)
    }
}

/// A login that wrote entries of an incident, as a database store authenticated it: beside the
/// `--actor` name each entry carries, which the person gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Writer {
    pub role: String,
    pub entries: u64,
    /// The first and last entry it wrote.
    pub first: u64,
    pub last: u64,
}

/// An evidence file as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    /// Where the copy lives, relative to the incident.
    pub stored: String,
    pub sha256: String,
    pub bytes: u64,
    /// Whether this call made the copy (false when the same content was already there).
    pub created: bool,
}

/// A `stat` of an incident's log that may run on another thread: see [`Backend::log_stamps`].
pub type StampLogs<'a> = Box<dyn Fn(&str) -> Option<LogStamp> + Send + Sync + 'a>;

/// What a place that keeps incidents must do. Small on purpose: every command is written
/// against it, so a second backend is this trait and [`IncidentLog`], nothing more.
pub trait Backend: std::fmt::Debug {
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
    /// The directory of the organisation's own files: `profile.json`, `runbooks/`, `templates/`.
    fn files_dir(&self) -> PathBuf;
    /// Which log an incident has now (its length and last hash), read without a lock or a
    /// replay; `None` when that cannot be told cheaply (a torn or unreadable tail).
    fn log_key(&self, id: &str) -> Option<LogKey>;
    /// Whether an incident's log is still the one `key` was read from, as cheaply as the
    /// backend can tell (by default, by reading the key again).
    fn log_unchanged(&self, id: &str, key: &LogKey) -> bool {
        self.log_key(id).as_ref() == Some(key)
    }
    /// Every incident's [`LogKey`] at once, when the backend can read them together more
    /// cheaply than one by one (a database answers in one query); `None` otherwise.
    fn log_keys(&self) -> Option<std::collections::HashMap<String, LogKey>> {
        None
    }
    /// A check of logs that can run on another thread, beside the one reading the cached
    /// summaries (a file system answers one `stat` at a time); `None` when the backend has
    /// none, and [`Backend::log_unchanged`] or [`Backend::log_keys`] is used instead.
    fn log_stamps(&self) -> Option<StampLogs<'_>> {
        None
    }
    /// Where the store keeps its caches (see [`cache`]), or `None` when it keeps none.
    fn cache_dir(&self) -> Option<PathBuf>;
    /// Who wrote an incident's entries as the store authenticated them (a database's logins),
    /// or `None` when the store does not know (a directory: the file system does not record it).
    fn writers(&self, _id: &str) -> Result<Option<Vec<Writer>>, Error> {
        Ok(None)
    }
}

/// The store a command works on.
#[derive(Debug)]
pub struct Store {
    backend: Box<dyn Backend>,
}

impl Store {
    /// Opens the store `root` names: a PostgreSQL connection string (`postgresql://…`), or
    /// a directory, where a missing store is an error.
    pub fn open(root: &Path) -> Result<Store, Error> {
        if let Some(url) = postgres::connection_string(root) {
            return Ok(Store {
                backend: Box::new(postgres::PgStore::connect(url)?),
            });
        }
        Ok(Store {
            backend: Box::new(DirStore::open(root)?),
        })
    }

    /// Opens the store `root` names, creating a directory store when it does not exist (see
    /// [`DirStore::create`] for when its parents are created too). A database is never
    /// created here: `breach store init` makes its tables.
    pub fn create(root: &Path, parents: bool) -> Result<Store, Error> {
        if postgres::connection_string(root).is_some() {
            return Self::open(root);
        }
        Ok(Store {
            backend: Box::new(DirStore::create(root, parents)?),
        })
    }

    /// The directory of the organisation's own files (`profile.json`, `runbooks/`,
    /// `templates/`) for the store `root` names, without opening it.
    pub fn files_dir_of(root: &Path) -> PathBuf {
        match postgres::connection_string(root) {
            Some(url) => postgres::files_dir(url),
            None => root.to_owned(),
        }
    }

    /// Where the store keeps its caches, if it keeps any.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        self.backend.cache_dir()
    }

    pub fn location(&self) -> String {
        self.backend.location()
    }

    pub fn files_dir(&self) -> PathBuf {
        self.backend.files_dir()
    }

    pub fn runbooks_dir(&self) -> PathBuf {
        self.files_dir().join("runbooks")
    }

    pub fn ids(&self) -> Result<Vec<String>, Error> {
        self.backend.ids()
    }

    pub fn open_log(&self, id: &str, access: Access) -> Result<Box<dyn IncidentLog>, Error> {
        self.backend.open_log(id, access)
    }

    pub fn create_incident(
        &self,
        id: &str,
        stamp: &Stamp<'_>,
        actor: &str,
        kind: &str,
        genesis: &impl Serialize,
    ) -> Result<Head, Error> {
        let payload = crate::log::to_raw(genesis)?;
        let (line, _) =
            crate::log::encode(0, crate::log::GENESIS_PREV, stamp, actor, kind, &payload);
        self.backend.create_incident(id, line.as_bytes())
    }

    /// Creates an incident from the first line of a log written elsewhere, byte for byte.
    pub fn create_incident_verbatim(&self, id: &str, genesis: &[u8]) -> Result<Head, Error> {
        crate::log::check_genesis(genesis)?;
        self.backend.create_incident(id, genesis)
    }

    /// Copies an evidence file into the incident under its content's address.
    pub fn put_attachment(&self, id: &str, file: &Path) -> Result<StoredAttachment, Error> {
        let mut src = std::fs::File::open(file).map_err(|e| Error::io("read", file, e))?;
        self.backend.put_attachment(id, &mut src)
    }

    /// Copies attachment content from another store.
    pub fn put_attachment_from(
        &self,
        id: &str,
        content: &mut dyn std::io::Read,
    ) -> Result<StoredAttachment, Error> {
        self.backend.put_attachment(id, content)
    }

    pub fn writers(&self, id: &str) -> Result<Option<Vec<Writer>>, Error> {
        self.backend.writers(id)
    }

    pub fn attachments(&self, id: &str) -> Result<Vec<String>, Error> {
        self.backend.attachments(id)
    }

    pub fn open_attachment(
        &self,
        id: &str,
        stored: &str,
    ) -> Result<Option<Box<dyn std::io::Read + '_>>, Error> {
        self.backend.open_attachment(id, stored)
    }

    pub fn attachment_sha256(&self, id: &str, stored: &str) -> Result<Option<String>, Error> {
        self.backend.attachment_sha256(id, stored)
    }

    pub fn discard_attachment(&self, id: &str, attachment: &StoredAttachment) {
        self.backend.discard_attachment(id, attachment);
    }

    /// The length of an incident's log in bytes, when it can be told cheaply (for progress).
    pub fn log_bytes(&self, id: &str) -> Option<u64> {
        self.backend.log_key(id).map(|k| k.bytes)
    }

    /// Reads an incident under a shared lock.
    pub fn load(&self, id: &str) -> Result<Incident, Error> {
        let mut log = self.open_log(id, Access::Read)?;
        self.replay_log(id, log.as_mut())
    }

    /// The open incidents (neither closed nor discarded) with their titles, in order of id.
    pub fn open_incidents(&self) -> Vec<(String, String)> {
        let mut open = Vec::new();
        let _ = self.each_title(&mut |id, title| {
            if let Some(title) = title.filter(|t| !t.closed) {
                open.push((id.to_owned(), title.title.into_owned()));
            }
        });
        open
    }

    /// Hands every incident's title (with whether it is closed; `None` when it cannot be read)
    /// to `visit`, in order of id, without holding the summaries.
    fn each_title(&self, visit: &mut dyn FnMut(&str, Option<TitleView<'_>>)) -> Result<(), Error> {
        self.each_summary(&|_, _| {}, &mut |id, summary, cached| {
            let title = summary
                .ok()
                .and_then(|text| serde_json::from_str::<TitleView<'_>>(text).ok());
            if cached && title.is_none() {
                return false;
            }
            visit(id, title);
            true
        })
    }

    /// An incident's state from its open log. From the state kept after an earlier read (a
    /// snapshot in the store's cache, keyed to the entry it ends with and that entry's offset)
    /// only what follows is read and verified, so the cost does not grow with the log; without
    /// a snapshot that matches the log, the whole log is. `verify` and exports always read the
    /// whole log.
    pub fn replay_log(&self, id: &str, log: &mut dyn IncidentLog) -> Result<Incident, Error> {
        let name = format!("{id}.state.json");
        if let Some(snapshot) = self
            .backend
            .cache_dir()
            .and_then(|dir| cache::read(&dir, &name))
            .and_then(|bytes| serde_json::from_slice::<Snapshot>(&bytes).ok())
            .filter(|s| {
                s.version == SNAPSHOT_VERSION
                    && s.tool == env!("CARGO_PKG_VERSION")
                    && s.incident.id == id
                    && s.incident.head == s.resume.head
            })
        {
            let mut replay = Replay::resume(snapshot.incident);
            if let Some(scan) = log.scan_from(&snapshot.resume, &mut |e| replay.apply(e))? {
                let scan = scan.verified(Path::new(&log.location()))?;
                let incident = replay.finish()?;
                if scan.entries - (snapshot.resume.head.seq + 1) >= SNAPSHOT_EVERY {
                    self.keep_snapshot(&name, &incident, &scan);
                }
                return Ok(incident);
            }
        }
        let mut replay = Replay::new();
        let scan = log.read_verified(|entry| replay.apply(entry))?;
        let incident = replay.finish()?;
        if scan.entries >= SNAPSHOT_EVERY {
            self.keep_snapshot(&name, &incident, &scan);
        }
        Ok(incident)
    }

    fn keep_snapshot(&self, name: &str, incident: &Incident, scan: &Scan) {
        let (Some(head), Some(last_ts)) = (&scan.head, &scan.last_ts) else {
            return;
        };
        let snapshot = SnapshotRef {
            version: SNAPSHOT_VERSION,
            tool: env!("CARGO_PKG_VERSION"),
            resume: Resume {
                offset: scan.good_bytes,
                head: head.clone(),
                last_ts: last_ts.clone(),
            },
            incident,
        };
        if let (Ok(bytes), Some(dir)) = (serde_json::to_vec(&snapshot), self.backend.cache_dir()) {
            cache::write(&dir, name, &bytes);
        }
    }

    /// Resolves the incident a command is about: the id or unique id prefix given, or else the
    /// only open incident.
    pub fn resolve(&self, given: Option<&str>) -> Result<String, Error> {
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

/// The version of a state snapshot's shape; another version is not read.
const SNAPSHOT_VERSION: u32 = 1;
/// A snapshot is (re)written when a read covered at least this many entries beyond it, so the
/// part of a log read on every command stays under this length.
const SNAPSHOT_EVERY: u64 = 64;

/// An incident's state after a verified prefix of its log: a cache, never a record.
#[derive(Debug, serde::Deserialize)]
struct Snapshot {
    version: u32,
    tool: String,
    resume: Resume,
    incident: Incident,
}

#[derive(Debug, Serialize)]
struct SnapshotRef<'a> {
    version: u32,
    tool: &'a str,
    resume: Resume,
    incident: &'a Incident,
}

/// What [`Store::each_summary`] hands each incident to: its id, its summary's JSON text (or why
/// it cannot be read), and whether that text came from the cache. It answers whether it could
/// read the text; a cached summary it cannot read is rebuilt from the log and handed over again.
pub type SummaryVisit<'a> = dyn FnMut(&str, Result<&str, Error>, bool) -> bool + 'a;

/// An incident's id with, where the backend has them, its log's stamp (`None` inside when the
/// log cannot be read).
type StampedId = (String, Option<Option<LogStamp>>);

/// Whether an incident's log is still the one a cached summary's key was read from, given the
/// log's stamp where the backend has one.
type LogUnchanged<'a> = dyn Fn(&str, &LogKey, Option<Option<LogStamp>>) -> bool + 'a;

/// The longest line of the summary cache that is read (a summary is a few KiB): a longer one is
/// damage, passed over without being held.
const MAX_CACHE_LINE: u64 = 1 << 20;

/// The store-wide cache of summaries: one line per incident, each keyed to its log.
const SUMMARIES: &str = "summaries.jsonl";

impl Store {
    /// Hands every incident's summary to `visit` as JSON text (each view reads only the part it
    /// needs), in order of id, one at a time: the cached one
    /// where it was built from the log as it is now (its length and last hash, read from the
    /// log's tail), else one from a full verified replay. An incident that cannot be read is
    /// handed over with the error; a cached summary `visit` cannot read is damage, rebuilt like a
    /// stale one. The ids are sorted like a view's rows (on disk past a point), so memory does
    /// not grow with the store. The cache is rewritten, as it is read, when anything in it
    /// changed. `progress` hears each incident done.
    pub fn each_summary(
        &self,
        progress: &dyn Fn(u64, u64),
        visit: &mut SummaryVisit<'_>,
    ) -> Result<(), Error> {
        // The ids are sorted on their way (on disk past a point), never held all at once.
        let mut sorter = crate::spill::Sorter::new(self.backend.cache_dir());
        let mut total = 0u64;
        self.backend.each_id(&mut |id| {
            total += 1;
            sorter.push(id, ())
        })?;
        let ids = sorter.sorted()?.keyed().map(|id| id.map(|(id, ())| id));
        let stamps = self.backend.log_stamps();
        let current = if stamps.is_some() {
            None
        } else {
            self.backend.log_keys()
        };
        let unchanged =
            |id: &str, key: &LogKey, stamp: Option<Option<LogStamp>>| match (stamp, &current) {
                (Some(stamp), _) => stamp == Some(key.stamp()),
                (None, Some(current)) => current.get(id) == Some(key),
                (None, None) => self.backend.log_unchanged(id, key),
            };
        let Some(stamp) = &stamps else {
            let mut ids = ids.map(|id| id.map(|id| (id, None)));
            return self.summaries_checked(&mut ids, total, progress, visit, &unchanged);
        };
        std::thread::scope(|scope| {
            // The logs are checked on a second thread, in order of id, while this one reads
            // the cache: each id comes with its log's stamp.
            let (checked, answers) = std::sync::mpsc::sync_channel(4096);
            scope.spawn(move || {
                for id in ids {
                    let answer = id.map(|id| {
                        let found = stamp(&id);
                        (id, Some(found))
                    });
                    if checked.send(answer).is_err() {
                        break;
                    }
                }
            });
            let mut ids = answers.into_iter();
            self.summaries_checked(&mut ids, total, progress, visit, &unchanged)
        })
    }

    /// The body of [`Store::each_summary`], over the ids in order (`total` of them): `unchanged`
    /// is asked, for every incident with a cached summary, whether its log is still the one that
    /// summary's key was read from.
    fn summaries_checked(
        &self,
        ids: &mut dyn Iterator<Item = Result<StampedId, Error>>,
        total: u64,
        progress: &dyn Fn(u64, u64),
        visit: &mut SummaryVisit<'_>,
        unchanged: &LogUnchanged<'_>,
    ) -> Result<(), Error> {
        let dir = self.backend.cache_dir();
        let mut old = CacheLines::open(dir.as_deref());
        // The new cache is started at the first change only: until then every line read was
        // kept as it is, so the new one begins with the old one's first `old.kept` bytes.
        let mut out: Option<cache::Writer> = None;
        for (n, next) in ids.enumerate() {
            let (id, stamp) = next?;
            let id = id.as_str();
            progress(n as u64 + 1, total);
            let mut found = None;
            loop {
                let order = old.peek().map(|line| line.id.as_str().cmp(id));
                if old.damaged {
                    // A line passed over: the cache changes from here.
                    begin(&dir, &mut old, &mut out);
                }
                match order {
                    Some(std::cmp::Ordering::Less) => {
                        // An incident no longer in the store: the cache changes.
                        begin(&dir, &mut old, &mut out);
                        old.skip();
                    }
                    Some(std::cmp::Ordering::Equal) => {
                        found = old.take();
                        break;
                    }
                    Some(std::cmp::Ordering::Greater) | None => break,
                }
            }
            let fresh = found
                .as_ref()
                .is_some_and(|line: &CacheLine| unchanged(id, &line.key, stamp));
            // A cached summary the view cannot read is damage: rebuilt like a stale one.
            match found.filter(|line| fresh && visit(id, Ok(line.summary()), true)) {
                Some(line) => match &mut out {
                    Some(writer) => {
                        let _ = writer.write_all(&line.raw);
                    }
                    None => old.kept += line.raw.len() as u64,
                },
                None => {
                    begin(&dir, &mut old, &mut out);
                    let loaded = self.load(id);
                    if let (Ok(incident), Some(writer)) = (&loaded, &mut out)
                        // Cached only for the log the replay read: an append since changes
                        // the last hash.
                        && let Some(key) = self
                            .backend
                            .log_key(id)
                            .filter(|k| k.last_hash == incident.head.hash)
                    {
                        let summary = summary_text(&Summary::of(incident));
                        if let Ok(text) = &summary
                            && let Some(line) = cache_line(id, &key, text)
                        {
                            let _ = writer.write_all(&line);
                        }
                        match summary {
                            Ok(text) => visit(id, Ok(&text), false),
                            Err(e) => visit(id, Err(e), false),
                        };
                    } else {
                        match loaded.and_then(|incident| summary_text(&Summary::of(&incident))) {
                            Ok(text) => visit(id, Ok(&text), false),
                            Err(e) => visit(id, Err(e), false),
                        };
                    }
                }
            }
        }
        if old.peek().is_some() || old.damaged {
            begin(&dir, &mut old, &mut out);
        }
        if let Some(writer) = out {
            writer.commit();
        }
        Ok(())
    }
}

/// Starts the new summary cache, once, with the part of the old one kept so far.
fn begin(dir: &Option<PathBuf>, old: &mut CacheLines, out: &mut Option<cache::Writer>) {
    if out.is_some() || old.started {
        return;
    }
    old.started = true;
    let Some(dir) = dir else {
        return;
    };
    let Some(mut writer) = cache::Writer::create(dir, SUMMARIES) else {
        return;
    };
    if old.kept == 0 || writer.copy_from(&dir.join(SUMMARIES), old.kept).is_ok() {
        *out = Some(writer);
    }
}

/// A summary as JSON text.
fn summary_text(summary: &Summary) -> Result<String, Error> {
    serde_json::to_string(summary)
        .map_err(|e| Error::input(format!("cannot encode a summary: {e}")))
}

/// One line of the old summary cache: its incident, the key of the log it was built from, and
/// the line itself (newline included), whose summary part is read only by the view.
struct CacheLine {
    id: String,
    key: LogKey,
    raw: Vec<u8>,
    /// Where the summary's text is in `raw`.
    summary: std::ops::Range<usize>,
}

impl CacheLine {
    /// A line whose head reads and whose summary is text; whether the summary reads is up to
    /// the view (see [`read_cache_line`]).
    fn read(raw: Vec<u8>) -> Option<CacheLine> {
        let (id, key, summary) = read_cache_line(&raw)?;
        let id = id.to_owned();
        // Checked whole: one pass over the line costs less than a check of each string the
        // view reads.
        std::str::from_utf8(&raw[summary.clone()]).ok()?;
        Some(CacheLine {
            id,
            key,
            summary,
            raw,
        })
    }

    fn summary(&self) -> &str {
        std::str::from_utf8(&self.raw[self.summary.clone()]).expect("checked when read")
    }
}

/// The old summary cache, read a line at a time; lines of another version or that cannot be
/// read are passed over (and counted as a change).
struct CacheLines {
    reader: Option<std::io::BufReader<std::fs::File>>,
    next: Option<CacheLine>,
    /// Bytes of lines kept as they are, from the start, while nothing has changed.
    kept: u64,
    /// A line was passed over.
    damaged: bool,
    /// The new cache was started (or could not be).
    started: bool,
    /// The length of the last line read.
    last_len: usize,
}

impl CacheLines {
    fn open(dir: Option<&Path>) -> CacheLines {
        CacheLines {
            reader: dir.and_then(|d| cache::open(d, SUMMARIES)),
            next: None,
            kept: 0,
            damaged: false,
            started: false,
            last_len: 0,
        }
    }

    fn peek(&mut self) -> Option<&CacheLine> {
        while self.next.is_none() {
            let reader = self.reader.as_mut()?;
            // Room for a line as long as the last one, so that reading it rarely grows.
            let mut raw = Vec::with_capacity(self.last_len.next_power_of_two().max(256));
            let read = std::io::BufRead::read_until(
                &mut std::io::Read::take(&mut *reader, MAX_CACHE_LINE),
                b'\n',
                &mut raw,
            );
            match read {
                Ok(0) | Err(_) => {
                    self.reader = None;
                    return None;
                }
                Ok(n) => self.last_len = n,
            }
            if raw.last() != Some(&b'\n') && raw.len() as u64 == MAX_CACHE_LINE {
                // Longer than any summary: damage, passed over without being held.
                if std::io::BufRead::skip_until(reader, b'\n').is_err() {
                    self.reader = None;
                }
                self.damaged = true;
                continue;
            }
            match CacheLine::read(raw) {
                Some(line) => self.next = Some(line),
                None => self.damaged = true,
            }
        }
        self.next.as_ref()
    }

    fn take(&mut self) -> Option<CacheLine> {
        self.peek();
        self.next.take()
    }

    fn skip(&mut self) {
        self.next = None;
    }
}

/// Verifies and replays a whole log into an incident.
pub fn replay(log: &mut dyn IncidentLog) -> Result<Incident, Error> {
    let mut replay = Replay::new();
    log.read_verified(|entry| replay.apply(entry))?;
    replay.finish()
}
