//! The directory store: the private directory that holds every incident and the
//! organisation's own files, on a local disk.
//!
//! Layout: `<store>/incidents/<id>/log.jsonl` (the record), `<store>/incidents/<id>/attachments/`
//! (copies of evidence files, named by their full SHA-256), `<store>/incidents/<id>/quarantine/`
//! (bytes removed by `repair`), and `<store>/runbooks/`, `<store>/templates/`,
//! `<store>/profile.json` (the organisation's own). An incident is created under a hidden
//! temporary name and renamed into place only once its first entry is on disk, so a failed
//! `start` never leaves a half-made incident behind.

use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

mod file_log;

use super::{
    Access, Backend, IncidentLog, LogCheck, LogKey, LogSeen, LogStamp, Repaired, StoredAttachment,
};
use crate::error::Error;
use crate::files::{self, fault};
use crate::log::{self, Entry, Head, Resume, Scan, Stamp};
use crate::store::organisation::{Change, FileKind, MAX_FILE_BYTES, Replaced};
use file_log::{Log, RECORD_TAIL};

pub(crate) const LOG_FILE: &str = "log.jsonl";
const INCIDENTS: &str = "incidents";

/// Where the store keeps its caches.
const CACHE: &str = "cache";

#[derive(Debug)]
pub(crate) struct DirStore {
    pub root: PathBuf,
    /// The incidents directory, opened on first use, so that checking a log's metadata walks
    /// only `<id>/log.jsonl` (the store-wide views check every log).
    incidents: std::sync::OnceLock<Option<std::fs::File>>,
}

impl DirStore {
    /// Opens an existing store (an existing empty directory is an empty store), refusing one
    /// that is a symlink, belongs to someone else or is writable by others. A missing store is
    /// an error: a read never creates one where the user did not mean it to be.
    pub(crate) fn open(root: &Path) -> Result<DirStore, Error> {
        match std::fs::symlink_metadata(root) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::input(format!(
                    "there is no store at {}: nothing has been recorded there (`breach start` creates one; check --store and BREACH_STORE)",
                    root.display()
                )));
            }
            _ => files::create_private_dir(root)?,
        }
        Self::opened(root)
    }

    /// Opens the store, creating it (0700) when it does not exist: for the commands that must
    /// write. With `parents`, missing parent directories are created too (the per-user default,
    /// on a fresh machine); without, a missing parent is refused, because a store named with
    /// `--store` or `BREACH_STORE` whose parent is missing is most likely on a volume that is
    /// not mounted, and a new store on the disk underneath would be a record nobody finds.
    pub(crate) fn create(root: &Path, parents: bool) -> Result<DirStore, Error> {
        if std::fs::symlink_metadata(root).is_ok() {
            return Self::open(root);
        }
        let parent = root.parent().filter(|p| !p.as_os_str().is_empty());
        if !parents && parent.is_some_and(|p| !p.is_dir()) {
            return Err(Error::refused(format!(
                "the store {} would be created in {}, which does not exist (an unmounted volume?); mount it or create the directory first",
                root.display(),
                parent.map(Path::display).expect("checked")
            )));
        }
        files::create_private_dir(root)?;
        eprintln!("breach: created a new store at {}", root.display());
        Self::opened(root)
    }

    fn opened(root: &Path) -> Result<DirStore, Error> {
        if let Some(kind) = files::network_file_system(root) {
            eprintln!(
                "breach: warning: the store {} is on a network file system ({kind}); locks and appends are not reliable there: keep the store on a local disk",
                root.display()
            );
        }
        Ok(DirStore {
            root: root.to_owned(),
            incidents: std::sync::OnceLock::new(),
        })
    }

    pub(crate) fn incident_dir(&self, id: &str) -> PathBuf {
        self.root.join(INCIDENTS).join(id)
    }

    pub(crate) fn log_path(&self, id: &str) -> PathBuf {
        self.incident_dir(id).join(LOG_FILE)
    }

    /// Where an attachment an entry names is. An entry names a path inside its incident;
    /// anything else is not an attachment of it.
    fn attachment_path(&self, id: &str, stored: &str) -> Option<PathBuf> {
        let relative = Path::new(stored);
        (!relative.is_absolute()
            && relative
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_))))
        .then(|| self.incident_dir(id).join(relative))
    }
}

/// A file log with the directory its repairs quarantine into, and where it keeps what its own
/// last write left (see [`DirStore::changed_outside`]).
#[derive(Debug)]
struct FileLog {
    log: Log,
    quarantine: PathBuf,
    written: WrittenMark,
}

/// The cache file in which a log's own last write leaves the log's size, inode and change time.
#[derive(Debug)]
struct WrittenMark {
    cache: PathBuf,
    name: String,
}

impl WrittenMark {
    fn of(cache: PathBuf, id: &str) -> WrittenMark {
        WrittenMark {
            cache,
            name: format!("{id}.written"),
        }
    }

    /// Keeps what `log` is now, under the append lock; best effort, as every cache.
    fn keep(&self, log: &Path) {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::symlink_metadata(log) {
            // Fixed width, so that writing it in place always replaces the whole record.
            let mark = format!(
                "{:020} {:020} {:039}\n",
                meta.size(),
                meta.ino(),
                i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec())
            );
            super::cache::overwrite_fixed(&self.cache, &self.name, mark.as_bytes());
        }
    }

    /// Whether `now` is what the last own write left.
    fn matches(&self, now: &LogStamp) -> bool {
        let Some(bytes) = super::cache::read(&self.cache, &self.name) else {
            return false;
        };
        let text = String::from_utf8_lossy(&bytes);
        let mut fields = text.split_ascii_whitespace();
        let (Some(size), Some(inode), Some(changed)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        size.parse() == Ok(now.bytes)
            && inode.parse() == Ok(now.inode)
            && changed.parse() == Ok(now.changed_ns)
    }
}

impl IncidentLog for FileLog {
    fn scan(&mut self, on_entry: &mut dyn FnMut(&Entry<'_>)) -> Result<Scan, Error> {
        self.log.scan(on_entry)
    }

    fn scan_from(
        &mut self,
        resume: &Resume,
        on_entry: &mut dyn FnMut(&Entry<'_>),
    ) -> Result<Option<Scan>, Error> {
        self.log.scan_from(resume, on_entry)
    }

    fn append_raw(
        &mut self,
        stamp: &Stamp<'_>,
        actor: &str,
        kind: &str,
        payload: &RawValue,
    ) -> Result<Head, Error> {
        let head = self.log.append_raw(stamp, actor, kind, payload)?;
        self.written.keep(self.log.path());
        Ok(head)
    }

    fn append_verbatim(&mut self, lines: &[Vec<u8>]) -> Result<Head, Error> {
        let head = self.log.append_verbatim(lines)?;
        self.written.keep(self.log.path());
        Ok(head)
    }

    fn repair(
        &mut self,
        stamp: &Stamp<'_>,
        actor: &str,
        reason: Option<&str>,
    ) -> Result<Repaired, Error> {
        let repaired = self.log.repair(&self.quarantine, stamp, actor, reason)?;
        self.written.keep(self.log.path());
        Ok(repaired)
    }

    fn location(&self) -> String {
        self.log.path().display().to_string()
    }
}

impl DirStore {
    /// One `stat` of an incident's log, relative to the open incidents directory: the file it
    /// is, its length, and when it last changed.
    fn stamp(&self, id: &str) -> Option<LogStamp> {
        let dir = self
            .incidents
            .get_or_init(|| std::fs::File::open(self.root.join(INCIDENTS)).ok())
            .as_ref()?;
        let st = rustix::fs::statat(
            dir,
            format!("{id}/{LOG_FILE}").as_str(),
            rustix::fs::AtFlags::empty(),
        )
        .ok()?;
        Some(LogStamp {
            bytes: u64::try_from(st.st_size).ok()?,
            inode: st.st_ino,
            changed_ns: i128::from(st.st_ctime) * 1_000_000_000 + i128::from(st.st_ctime_nsec),
        })
    }
}

/// One `stat` per log tells whether it changed: a write changes its status-change time, and
/// a replaced file its inode.
struct StatCheck<'a>(&'a DirStore);

impl LogCheck for StatCheck<'_> {
    fn seen(&self, id: &str) -> Option<LogSeen> {
        Some(LogSeen {
            stamp: self.0.stamp(id)?,
            last_hash: None,
        })
    }
}

impl Backend for DirStore {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    fn log_key(&self, id: &str) -> Option<LogKey> {
        use std::os::unix::fs::{FileExt, MetadataExt};
        let file = std::fs::File::open(self.log_path(id)).ok()?;
        let meta = file.metadata().ok()?;
        let bytes = meta.len();
        let start = bytes.saturating_sub(RECORD_TAIL);
        let mut tail = vec![0u8; usize::try_from(bytes - start).ok()?];
        file.read_exact_at(&mut tail, start).ok()?;
        // Only a complete record ends the log: a torn tail has no key.
        let hash = log::line_hash(tail.strip_suffix(b"\n")?)?;
        Some(LogKey {
            bytes,
            last_hash: hash.to_owned(),
            inode: meta.ino(),
            changed_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
        })
    }

    fn log_check(&self) -> Box<dyn LogCheck + '_> {
        Box::new(StatCheck(self))
    }

    fn cache_dir(&self) -> Option<PathBuf> {
        Some(self.root.join(CACHE))
    }

    fn reader(&self) -> Option<Box<dyn Backend + Send>> {
        Some(Box::new(DirStore {
            root: self.root.clone(),
            incidents: std::sync::OnceLock::new(),
        }))
    }

    fn keep_verified(&self, id: &str) {
        WrittenMark::of(self.root.join(CACHE), id).keep(&self.incident_dir(id).join(LOG_FILE));
    }

    fn changed_outside(&self, id: &str) -> bool {
        let mark = WrittenMark::of(self.root.join(CACHE), id);
        !self.stamp(id).is_some_and(|now| mark.matches(&now))
    }

    fn files_dir(&self) -> PathBuf {
        self.root.clone()
    }

    fn replace_organisation_file(
        &self,
        kind: FileKind,
        name: &str,
        change: &mut Change,
    ) -> Result<Replaced, Error> {
        crate::store::organisation::check_name(name)?;
        let path = kind.path(&self.root, name);
        let current =
            crate::files::read_small_file(&path, MAX_FILE_BYTES as u64, "organisation file")?;
        let next = change(current.as_deref())?;
        let changed = next != current;
        match &next {
            _ if !changed => {}
            Some(content) => {
                if let Some(parent) = path.parent() {
                    crate::files::create_private_dir(parent)?;
                }
                crate::files::write_private_file(&path, content, true)?;
            }
            None => std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?,
        }
        Ok(Replaced {
            version: None,
            changed,
            path,
        })
    }

    /// Every incident id in the store, sorted.
    fn ids(&self) -> Result<Vec<String>, Error> {
        let mut ids = Vec::new();
        self.each_id(&mut |id| {
            ids.push(id);
            Ok(())
        })?;
        ids.sort();
        Ok(ids)
    }

    /// Every incident id in the store, in the directory's order.
    fn each_id(&self, id: &mut dyn FnMut(String) -> Result<(), Error>) -> Result<(), Error> {
        let dir = self.root.join(INCIDENTS);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            // An empty directory is a store without incidents yet.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("read store", &dir, e)),
        };
        for item in entries {
            let item = item.map_err(|e| Error::io("read store", &dir, e))?;
            let name = item.file_name().to_string_lossy().into_owned();
            // Incident directories appear whole, renamed into place with their log; the type
            // comes with the directory entry, so listing costs no call per incident.
            if !name.starts_with('.') && item.file_type().is_ok_and(|t| t.is_dir()) {
                id(name)?;
            }
        }
        Ok(())
    }

    fn open_log(&self, id: &str, access: Access) -> Result<Box<dyn IncidentLog>, Error> {
        let dir = self.incident_dir(id);
        files::create_private_dir(&dir)?;
        Ok(Box::new(FileLog {
            log: Log::open(&dir.join(LOG_FILE), access)?,
            quarantine: dir.join("quarantine"),
            written: WrittenMark::of(self.root.join(CACHE), id),
        }))
    }

    /// Creates a new incident whose log starts with `genesis`, atomically.
    fn create_incident(&self, id: &str, genesis: &[u8]) -> Result<Head, Error> {
        let incidents = self.root.join(INCIDENTS);
        files::create_private_dir(&incidents)?;
        let final_dir = incidents.join(id);
        if std::fs::symlink_metadata(&final_dir).is_ok() {
            return Err(Error::refused(format!("incident {id} already exists")));
        }
        // A temporary directory of this process's own, made with a call that fails rather than
        // reuse one: another `start` working on the same id is never touched.
        let temp = (0u32..64)
            .map(|n| incidents.join(format!(".{id}.creating-{}-{n}", std::process::id())))
            .find(|t| std::fs::symlink_metadata(t).is_err())
            .ok_or_else(|| Error::refused(format!("incident {id} is being created elsewhere")))?;
        let made_temp = fault::point()
            .and_then(|()| std::fs::DirBuilder::new().mode(0o700).create(&temp))
            .map_err(|e| Error::io("create directory", &temp, e));
        made_temp?;
        let mut renamed = false;
        let made = Log::create_with(&temp.join(LOG_FILE), genesis).and_then(|head| {
            fault::point()
                .and_then(|()| rename_no_replace(&temp, &final_dir))
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => {
                        Error::refused(format!("incident {id} already exists"))
                    }
                    _ => Error::io("create incident", &final_dir, e),
                })?;
            renamed = true;
            files::sync_dir(&incidents)?;
            Ok(head)
        });
        if made.is_err() {
            // Only what this process made goes: its temporary directory, or the incident it
            // renamed into place but could not make durable. Never a directory another made.
            if renamed {
                let _ = std::fs::remove_dir_all(&final_dir);
            } else {
                let _ = std::fs::remove_dir_all(&temp);
            }
        }
        made
    }

    fn put_attachment(&self, id: &str, content: &mut dyn Read) -> Result<StoredAttachment, Error> {
        let dir = self.incident_dir(id).join("attachments");
        files::create_private_dir(&dir)?;
        copy_in(content, &dir)
    }

    fn attachments(&self, id: &str) -> Result<Vec<String>, Error> {
        let dir = self.incident_dir(id).join("attachments");
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("read", &dir, e)),
        };
        let mut names = Vec::new();
        for item in entries {
            let item = item.map_err(|e| Error::io("read", &dir, e))?;
            let name = item.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && item.file_type().is_ok_and(|t| t.is_file()) {
                names.push(format!("attachments/{name}"));
            }
        }
        names.sort();
        Ok(names)
    }

    fn open_attachment(&self, id: &str, stored: &str) -> Result<Option<Box<dyn Read + '_>>, Error> {
        let Some(path) = self.attachment_path(id, stored) else {
            return Ok(None);
        };
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => std::fs::File::open(&path)
                .map(|f| Some(Box::new(f) as Box<dyn Read>))
                .map_err(|e| Error::io("read", &path, e)),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", &path, e)),
        }
    }

    fn attachment_sha256(&self, id: &str, stored: &str) -> Result<Option<String>, Error> {
        let Some(path) = self.attachment_path(id, stored) else {
            return Ok(None);
        };
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => sha256_of_file(&path).map(Some),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", &path, e)),
        }
    }

    fn discard_attachment(&self, id: &str, attachment: &StoredAttachment) {
        if attachment.created {
            let _ = std::fs::remove_file(self.incident_dir(id).join(&attachment.stored));
        }
    }
}

/// Renames `from` to `to`, failing with `AlreadyExists` instead of replacing anything at `to`
/// (an empty directory included, which a plain rename would silently replace).
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        from,
        rustix::fs::CWD,
        to,
        rustix::fs::RenameFlags::NOREPLACE,
    )
    .map_err(std::io::Error::from)
}

/// Copies `file` into `dir` under its full SHA-256. A file already stored under that name is
/// never replaced: when its content is the same, the copy is shared (and not `created`, so a
/// failed entry cannot remove what an earlier entry names); when it differs, the store is
/// damaged and the attach is refused.
fn copy_in(src: &mut dyn Read, dir: &Path) -> Result<StoredAttachment, Error> {
    let (temp, mut dst) = create_temp(dir)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    let copied: std::io::Result<()> = (|| {
        loop {
            let n = src.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            fault::write_all(&mut dst, &buf[..n])?;
            total += n as u64;
        }
        fault::point()?;
        dst.sync_all()
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&temp);
        return Err(Error::io("copy an attachment into", dir, e));
    }
    let sha256 = hex::encode(hasher.finalize());
    let stored = format!("attachments/{sha256}");
    let path = dir.join(&sha256);
    // A hard link fails instead of replacing a file that exists: nothing stored is overwritten.
    let linked = fault::point().and_then(|()| std::fs::hard_link(&temp, &path));
    let _ = std::fs::remove_file(&temp);
    let created = match linked {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let found = sha256_of_file(&path)?;
            if found != sha256 {
                return Err(Error::StoreDamaged {
                    path: path.clone(),
                    detail: format!(
                        "the attachment named by SHA-256 {sha256} holds content with SHA-256 {found}"
                    ),
                });
            }
            false
        }
        Err(e) => return Err(Error::io("store attachment", &path, e)),
    };
    if let Err(e) = files::sync_dir(dir) {
        if created {
            let _ = std::fs::remove_file(&path);
        }
        return Err(e);
    }
    Ok(StoredAttachment {
        stored,
        sha256,
        bytes: total,
        created,
    })
}

/// A new private temporary file in `dir`, under a name no other process is using.
fn create_temp(dir: &Path) -> Result<(PathBuf, std::fs::File), Error> {
    for attempt in 0u32.. {
        let temp = dir.join(format!(".incoming-{}-{attempt}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&temp)
        {
            Ok(f) => return Ok((temp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 64 => {}
            Err(e) => return Err(Error::io("create", &temp, e)),
        }
    }
    unreachable!("the loop returns")
}

/// The SHA-256 of a file's content, read in pieces (memory stays flat).
pub(crate) fn sha256_of_file(path: &Path) -> Result<String, Error> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// A new incident id: the date, then four random letters and digits, e.g. `20261122-k7qm`.
/// Short enough to say on the phone, safe in any file system, sortable by date.
pub(crate) fn new_incident_id(date: chrono::NaiveDate, attempt: u32) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut seed = [0u8; 16];
    let random = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed))
        .is_ok();
    if !random {
        let fallback = format!(
            "{:?}{}{attempt}",
            std::time::SystemTime::now(),
            std::process::id()
        );
        seed.copy_from_slice(
            &sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(fallback))
                [..16],
        );
    }
    let suffix: String = seed[..4]
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{suffix}", date.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(n: usize) -> Box<RawValue> {
        serde_json::value::to_raw_value(&serde_json::json!({ "text": format!("note {n}") }))
            .unwrap()
    }

    /// The first line of a log opened by "ana" at a fixed time.
    fn genesis() -> Vec<u8> {
        let (line, _) = log::encode(
            0,
            log::GENESIS_PREV,
            &Stamp::plain("2026-03-10T15:00:00.000Z"),
            "ana",
            "opened",
            &note(0),
        );
        line.into_bytes()
    }

    fn store() -> (tempfile::TempDir, DirStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::create(&dir.path().join("store"), false).unwrap();
        files::create_private_dir(&store.root.join(INCIDENTS)).unwrap();
        (dir, store)
    }

    #[test]
    fn a_failure_at_any_io_operation_of_an_append_records_nothing_and_keeps_every_entry() {
        let (_dir, store) = store();
        let ts = &Stamp::plain("2026-03-10T15:00:00.000Z");
        store.create_incident("20260310-aaaa", &genesis()).unwrap();
        let path = store.log_path("20260310-aaaa");
        for n in 1..=3 {
            let mut log = Log::open(&path, Access::Write).unwrap();
            log.read_verified(|_| {}).unwrap();
            log.append(ts, "ana", "note", &note(n)).unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let mut failures = 0;
        for at in 0.. {
            let mut log = Log::open(&path, Access::Write).unwrap();
            log.read_verified(|_| {}).unwrap();
            fault::fail_at(Some(at));
            let result = log.append(ts, "ana", "note", &note(99));
            fault::fail_at(None);
            drop(log);
            match result {
                Ok(head) => {
                    assert_eq!(
                        head.seq, 4,
                        "the append that finally succeeds is the next entry"
                    );
                    break;
                }
                Err(e) => {
                    failures += 1;
                    let message = e.to_string();
                    assert!(
                        message.starts_with("entry NOT recorded")
                            && message.contains("No space left"),
                        "{message}"
                    );
                    assert_eq!(
                        std::fs::read(&path).unwrap(),
                        before,
                        "operation {at}: the log is as it was"
                    );
                    let mut check = Log::open(&path, Access::Read).unwrap();
                    assert_eq!(check.read_verified(|_| {}).unwrap().entries, 4);
                }
            }
        }
        assert_eq!(
            failures, 2,
            "an append is two operations: the write and the sync"
        );
    }

    #[test]
    fn creating_an_incident_never_replaces_or_removes_another() {
        let (_dir, store) = store();
        let incidents = store.root.join("incidents");
        // The winner of a race on the same id, caught between its mkdir and its first entry:
        // an empty directory. A plain rename would have replaced it.
        std::fs::create_dir(incidents.join("20260310-cccc")).unwrap();
        // Another process's temporary directory for the same id, mid-creation.
        let theirs = incidents.join(".20260310-cccc.creating-1-0");
        std::fs::create_dir(&theirs).unwrap();
        std::fs::write(theirs.join(LOG_FILE), "theirs").unwrap();
        let err = store
            .create_incident("20260310-cccc", &genesis())
            .unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert!(
            incidents.join("20260310-cccc").is_dir(),
            "the winner's stays"
        );
        assert_eq!(std::fs::read(theirs.join(LOG_FILE)).unwrap(), b"theirs");

        // The race itself: the id appears after the check, before the rename.
        let from = incidents.join(".mine");
        std::fs::create_dir(&from).unwrap();
        let to = incidents.join("20260310-dddd");
        std::fs::create_dir(&to).unwrap();
        let e = rename_no_replace(&from, &to).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert!(from.is_dir() && to.is_dir());
    }

    #[test]
    fn a_failure_at_any_io_operation_of_creation_leaves_no_incident() {
        let (_dir, store) = store();
        let mut failures = 0;
        for at in 0.. {
            fault::fail_at(Some(at));
            let result = store.create_incident("20260310-bbbb", &genesis());
            let ops = fault::operations();
            fault::fail_at(None);
            match result {
                Ok(_) => {
                    assert!(at >= ops, "succeeded only once no operation failed");
                    break;
                }
                Err(e) => {
                    failures += 1;
                    assert!(e.to_string().contains("No space left"), "{e}");
                    assert!(
                        store.ids().unwrap().is_empty(),
                        "operation {at}: no incident"
                    );
                    let leftovers: Vec<_> = std::fs::read_dir(store.root.join("incidents"))
                        .unwrap()
                        .collect();
                    assert!(
                        leftovers.is_empty(),
                        "operation {at}: nothing half-made left: {leftovers:?}"
                    );
                }
            }
        }
        assert!(
            failures >= 7,
            "creation passes through at least seven operations, each tested: {failures}"
        );
        assert_eq!(store.ids().unwrap(), ["20260310-bbbb"]);
    }

    proptest::proptest! {
        #[test]
        fn any_single_changed_byte_of_an_attachment_is_noticed(
            content in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..2048),
            where_frac in 0.0f64..1.0,
            flip in 1u8..=255,
        ) {
            let (dir, store) = store();
            let file = dir.path().join("evidence.bin");
            std::fs::write(&file, &content).unwrap();
            let id = "20260310-eeee";
            store
                .create_incident(id, &genesis())
                .unwrap();
            let stored = store
                .put_attachment(id, &mut std::fs::File::open(&file).unwrap())
                .unwrap();
            proptest::prop_assert_eq!(
                store.attachment_sha256(id, &stored.stored).unwrap(),
                Some(stored.sha256.clone())
            );
            let path = store.incident_dir(id).join(&stored.stored);
            let mut bytes = std::fs::read(&path).unwrap();
            let pos = ((bytes.len() as f64) * where_frac) as usize % bytes.len();
            bytes[pos] ^= flip;
            std::fs::write(&path, &bytes).unwrap();
            proptest::prop_assert_ne!(
                store.attachment_sha256(id, &stored.stored).unwrap(),
                Some(stored.sha256)
            );
        }
    }
}
