//! The evidence log on disk: create, lock, append, read and verify, repair.
//!
//! This module knows bytes, locks and the hash chain, not incidents: a payload is opaque JSON
//! with a `kind`. The rules in ARCHITECTURE.md ("The evidence log") are enforced here and only here:
//! one commit point per append (exclusive lock, tail from a full verified read, one write,
//! `sync_data`, then success); `create_new` with 0600 and a synced directory; refusal of logs
//! that are symlinks, owned by someone else or writable by others; readers under a shared lock;
//! and a repair that only ever quarantines a torn tail and says so in the log.

pub mod fault;
mod record;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

pub use record::{
    Entry, FORMAT, GENESIS_PREV, HASH_ALGORITHM, Head, LineFault, MAX_LINE_BYTES, SUBSTITUTED,
    Stamp, check_line, earlier_than, encode,
};

use crate::error::Error;

/// What is wrong with a log, located by entry and byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// Bytes after the last complete entry: an append cut short (power loss). `repair` handles it.
    TornTail { offset: u64, length: u64 },
    /// A complete line that is not the valid next link of the chain.
    BadEntry {
        seq: u64,
        offset: u64,
        fault: LineFault,
    },
}

impl Damage {
    pub fn is_torn_tail(&self) -> bool {
        matches!(self, Damage::TornTail { .. })
    }
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::TornTail { offset, length } => write!(
                f,
                "torn tail: {length} byte(s) at byte offset {offset} after the last complete entry"
            ),
            Damage::BadEntry { seq, offset, fault } => {
                write!(f, "entry {seq} at byte offset {offset}: {fault}")
            }
        }
    }
}

/// The result of reading a whole log.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub entries: u64,
    pub head: Option<Head>,
    /// The recording time of the last good entry.
    pub last_ts: Option<String>,
    /// Length of the verified prefix in bytes.
    pub good_bytes: u64,
    pub damage: Option<Damage>,
}

impl Scan {
    /// The scan, or the damage it found as the error every reader reports.
    pub fn verified(self, path: &Path) -> Result<Scan, Error> {
        match &self.damage {
            Some(damage) => Err(Error::LogDamaged {
                path: path.to_owned(),
                detail: damage.to_string(),
                torn_tail: damage.is_torn_tail(),
            }),
            None => Ok(self),
        }
    }
}

/// Reads entries from `reader`, verifying each, and hands each good one to `on_entry`.
/// Memory stays flat in the number of entries. Stops at the first damage.
///
/// Only bytes after the last newline can be a torn tail (an append cut short: the one write of a
/// line ends with its newline). A complete line that is not the valid next link — unreadable,
/// altered, out of order, or recorded earlier than the entry before it — is damage.
pub fn scan<R: Read>(reader: R, on_entry: impl FnMut(&Entry<'_>)) -> std::io::Result<Scan> {
    scan_from(reader, None, on_entry)
}

/// Where a verified prefix of a log ends, so that a later read can verify only what follows:
/// the byte offset after the entry `head`, and that entry's recording time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Resume {
    pub offset: u64,
    pub head: Head,
    pub last_ts: String,
}

/// As [`scan`], from `resume` (a reader positioned at its offset) instead of the beginning:
/// the first entry read must be the next link after `resume.head`. Offsets and counts in the
/// result are of the whole log.
pub fn scan_from<R: Read>(
    reader: R,
    resume: Option<&Resume>,
    mut on_entry: impl FnMut(&Entry<'_>),
) -> std::io::Result<Scan> {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut line = Vec::with_capacity(4096);
    let mut scan = Scan::default();
    let mut prev = GENESIS_PREV.to_owned();
    let mut last_ts = String::new();
    let mut last_seq: Option<u64> = None;
    if let Some(r) = resume {
        prev.clone_from(&r.head.hash);
        last_ts.clone_from(&r.last_ts);
        last_seq = Some(r.head.seq);
        scan.entries = r.head.seq + 1;
        scan.good_bytes = r.offset;
    }
    loop {
        // The head is rebuilt from the last good link only when it is needed: once, at the end.
        scan.head = last_seq.map(|seq| Head {
            seq,
            hash: prev.clone(),
        });
        scan.last_ts = last_seq.map(|_| last_ts.clone());
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 2)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(scan);
        }
        let offset = scan.good_bytes;
        if line.last() != Some(&b'\n') {
            if line.len() > MAX_LINE_BYTES {
                scan.damage = Some(Damage::BadEntry {
                    seq: scan.entries,
                    offset,
                    fault: LineFault::TooLong,
                });
                return Ok(scan);
            }
            let mut rest = 0u64;
            let mut buf = [0u8; 8192];
            loop {
                let k = reader.read(&mut buf)?;
                if k == 0 {
                    break;
                }
                rest += k as u64;
            }
            scan.damage = Some(Damage::TornTail {
                offset,
                length: line.len() as u64 + rest,
            });
            return Ok(scan);
        }
        let body = &line[..line.len() - 1];
        let checked = check_line(body, offset, scan.entries, &prev).and_then(|entry| {
            if last_seq.is_some() && earlier_than(&entry.ts, &last_ts) {
                Err(LineFault::TimeWentBackwards {
                    previous: last_ts.clone(),
                    found: entry.ts.to_string(),
                })
            } else {
                Ok(entry)
            }
        });
        match checked {
            Ok(entry) => {
                on_entry(&entry);
                prev.clear();
                prev.push_str(entry.hash);
                last_ts.clear();
                last_ts.push_str(&entry.ts);
                last_seq = Some(entry.seq);
                scan.entries += 1;
                scan.good_bytes += line.len() as u64;
            }
            Err(fault) => {
                scan.damage = Some(Damage::BadEntry {
                    seq: scan.entries,
                    offset,
                    fault,
                });
                return Ok(scan);
            }
        }
    }
}

/// Which lock an open log holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Shared lock: many readers, no writer.
    Read,
    /// Exclusive lock: the one writer.
    Write,
}

/// An open, locked log. The lock is released when this is dropped.
#[derive(Debug)]
pub struct Log {
    path: PathBuf,
    file: File,
    access: Access,
    /// Head, length and last recording time after the last full read or append; appends need
    /// them.
    tail: Option<Tail>,
}

/// Where a verified log ends.
#[derive(Debug, Clone)]
struct Tail {
    head: Option<Head>,
    len: u64,
    last_ts: Option<String>,
}

/// Refuses a path that is a symlink, not a regular file, owned by another user, or writable by
/// group or others.
pub fn check_private_file(path: &Path) -> Result<(), Error> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io("open log", path, e))?;
    if meta.file_type().is_symlink() {
        return Err(Error::Unsafe(format!(
            "{} is a symbolic link; the log must be a regular file in the store",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(Error::Unsafe(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    check_owner_and_mode(path, &meta)
}

/// The effective user id of this process.
#[allow(unsafe_code)]
pub fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Refuses a file or directory owned by another user or writable by group or others.
pub fn check_owner_and_mode(path: &Path, meta: &std::fs::Metadata) -> Result<(), Error> {
    let me = current_uid();
    if meta.uid() != me {
        return Err(Error::Unsafe(format!(
            "{} belongs to user id {}, not to you (user id {me}); refusing to use it",
            path.display(),
            meta.uid()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(Error::Unsafe(format!(
            "{} is writable by group or others (mode {:o}); run `chmod go-w {}`",
            path.display(),
            meta.mode() & 0o7777,
            path.display()
        )));
    }
    Ok(())
}

impl Log {
    /// Creates a new log holding only `genesis` and syncs it and its directory.
    pub fn create(
        path: &Path,
        stamp: &Stamp<'_>,
        actor: &str,
        kind: &str,
        data: &impl Serialize,
    ) -> Result<Head, Error> {
        let payload = to_raw(data)?;
        let (line, _) = encode(0, GENESIS_PREV, stamp, actor, kind, &payload);
        Self::create_with(path, line.as_bytes())
    }

    /// Creates a new log holding only `genesis`, a complete first line (newline included) that
    /// must be a valid genesis entry, and syncs it and its directory.
    pub fn create_with(path: &Path, genesis: &[u8]) -> Result<Head, Error> {
        let head = check_genesis(genesis)?;
        let mut file = fault::point()
            .and_then(|()| {
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                    .open(path)
            })
            .map_err(|e| Error::io("create log", path, e))?;
        fault::point()
            .and_then(|()| file.set_permissions(std::fs::Permissions::from_mode(0o600)))
            .map_err(|e| Error::io("set permissions on", path, e))?;
        fault::point()
            .and_then(|()| file.lock())
            .map_err(|e| Error::io("lock", path, e))?;
        fault::write_all(&mut file, genesis).map_err(|e| Error::io("write", path, e))?;
        fault::point()
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io("sync", path, e))?;
        if let Some(dir) = path.parent() {
            sync_dir(dir)?;
        }
        Ok(head)
    }

    /// Opens and locks an existing log after checking it is safe to trust.
    pub fn open(path: &Path, access: Access) -> Result<Log, Error> {
        check_private_file(path)?;
        let file = OpenOptions::new()
            .read(true)
            .append(access == Access::Write)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| Error::io("open log", path, e))?;
        match access {
            Access::Read => file.lock_shared(),
            Access::Write => file.lock(),
        }
        .map_err(|e| Error::io("lock", path, e))?;
        Ok(Log {
            path: path.to_owned(),
            file,
            access,
            tail: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads and verifies the whole log, handing each entry to `on_entry`.
    /// Damage anywhere is an error: a damaged log is reported, never worked on.
    pub fn read_verified(&mut self, on_entry: impl FnMut(&Entry<'_>)) -> Result<Scan, Error> {
        let scan = self.scan(on_entry)?;
        scan.verified(&self.path)
    }

    /// Reads the whole log, reporting damage in the result instead of failing.
    pub fn scan(&mut self, on_entry: impl FnMut(&Entry<'_>)) -> Result<Scan, Error> {
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(|e| Error::io("read log", &self.path, e))?;
        let scan = scan(&self.file, on_entry).map_err(|e| Error::io("read log", &self.path, e))?;
        self.tail = scan.damage.is_none().then(|| Tail {
            head: scan.head.clone(),
            len: scan.good_bytes,
            last_ts: scan.last_ts.clone(),
        });
        Ok(scan)
    }

    /// Reads and verifies only what follows `resume`, a verified prefix read earlier. `None`
    /// when the log does not hold that prefix's last entry where `resume` says (it was read
    /// from another log, or this one changed): then only a full read will do.
    pub fn scan_from(
        &mut self,
        resume: &Resume,
        on_entry: impl FnMut(&Entry<'_>),
    ) -> Result<Option<Scan>, Error> {
        use std::os::unix::fs::FileExt;
        let io = |e| Error::io("read log", &self.path, e);
        let end = format!("\"hash\":\"{}\"}}\n", resume.head.hash);
        let Some(start) = resume.offset.checked_sub(end.len() as u64) else {
            return Ok(None);
        };
        let mut before = vec![0u8; end.len()];
        match self.file.read_exact_at(&mut before, start) {
            Ok(()) if before == end.as_bytes() => {}
            Ok(()) => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(io(e)),
        }
        self.file.seek(SeekFrom::Start(resume.offset)).map_err(io)?;
        let scan = scan_from(&self.file, Some(resume), on_entry).map_err(io)?;
        self.tail = scan.damage.is_none().then(|| Tail {
            head: scan.head.clone(),
            len: scan.good_bytes,
            last_ts: scan.last_ts.clone(),
        });
        Ok(Some(scan))
    }

    /// Appends one entry after a verified read. Success means the entry is on disk.
    pub fn append(
        &mut self,
        stamp: &Stamp<'_>,
        actor: &str,
        kind: &str,
        data: &impl Serialize,
    ) -> Result<Head, Error> {
        let payload = to_raw(data)?;
        self.append_raw(stamp, actor, kind, &payload)
    }

    /// Appends one entry whose payload is already encoded. Refused when the recording time is
    /// earlier than the last entry's: the machine's clock was set back, and the log's times must
    /// only move forward.
    pub fn append_raw(
        &mut self,
        stamp: &Stamp<'_>,
        actor: &str,
        kind: &str,
        payload: &RawValue,
    ) -> Result<Head, Error> {
        let Tail { head, len, last_ts } = self.writable_tail();
        let (new_head, line) = encode_next(
            head.as_ref(),
            last_ts.as_deref(),
            stamp,
            actor,
            kind,
            payload,
        )?;
        self.write_synced(&[line.as_bytes()], len)?;
        self.tail = Some(Tail {
            head: Some(new_head.clone()),
            len: len + line.len() as u64,
            last_ts: Some(stamp.ts.to_owned()),
        });
        Ok(new_head)
    }

    /// Appends entries written elsewhere, exactly as they were written (each a complete line
    /// with its newline), after a verified read: each must be the next valid link of this log's
    /// chain. All are written and then synced once; on any failure none of them stays.
    pub fn append_verbatim(&mut self, lines: &[Vec<u8>]) -> Result<Head, Error> {
        let Tail { head, len, last_ts } = self.writable_tail();
        let next = check_links(head.as_ref(), last_ts.as_deref(), len, lines)?;
        let chunks: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
        self.write_synced(&chunks, len)?;
        self.tail = Some(Tail {
            head: next.head.clone(),
            len: next.good_bytes,
            last_ts: next.last_ts,
        });
        Ok(next.head.unwrap_or_else(|| Head {
            seq: 0,
            hash: GENESIS_PREV.to_owned(),
        }))
    }

    /// Where the log ends, for an append: it holds the exclusive lock and was read in full.
    fn writable_tail(&self) -> Tail {
        assert_eq!(
            self.access,
            Access::Write,
            "append needs the exclusive lock"
        );
        self.tail
            .clone()
            .expect("append follows a full verified read under the same lock")
    }

    /// Writes `chunks` after byte `len` and syncs them; on any failure takes back whatever part
    /// reached the file, so the log still verifies. The failure is reported whatever happens
    /// then: never retry and claim success.
    fn write_synced(&mut self, chunks: &[&[u8]], len: u64) -> Result<(), Error> {
        let written = chunks
            .iter()
            .try_for_each(|chunk| fault::write_all(&mut self.file, chunk))
            .and_then(|()| fault::point())
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            let _ = self.file.set_len(len);
            let _ = self.file.sync_data();
            self.tail = None;
            return Err(Error::NotRecorded(Box::new(Error::io(
                "write", &self.path, e,
            ))));
        }
        Ok(())
    }

    /// Quarantines a torn tail into `quarantine_dir`, truncates it away and logs what was
    /// removed. Refuses anything but a torn tail.
    pub fn repair(
        &mut self,
        quarantine_dir: &Path,
        stamp: &Stamp<'_>,
        actor: &str,
    ) -> Result<Repaired, Error> {
        let scan = self.scan(|_| {})?;
        let (offset, length) = match scan.damage {
            None => {
                return Err(Error::refused(format!(
                    "{} verifies: nothing to repair",
                    self.path.display()
                )));
            }
            Some(Damage::BadEntry { seq, offset, fault }) => {
                return Err(Error::refused(format!(
                    "entry {seq} at byte offset {offset} is damaged ({fault}); only a torn final line can be repaired: restore the log from a copy"
                )));
            }
            Some(Damage::TornTail { offset, length }) => (offset, length),
        };
        let mut torn = Vec::new();
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| (&self.file).read_to_end(&mut torn))
            .map_err(|e| Error::io("read log", &self.path, e))?;
        let sha256 = hex::encode(Sha256::digest(&torn));
        create_private_dir(quarantine_dir)?;
        let name = format!("torn-{offset}-{}.bin", &sha256[..12]);
        let qpath = quarantine_dir.join(&name);
        let mut q = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&qpath)
            .map_err(|e| Error::io("create quarantine file", &qpath, e))?;
        q.write_all(&torn)
            .and_then(|()| q.sync_all())
            .map_err(|e| Error::io("write quarantine file", &qpath, e))?;
        sync_dir(quarantine_dir)?;
        self.file
            .set_len(offset)
            .and_then(|()| self.file.sync_all())
            .map_err(|e| Error::io("truncate log", &self.path, e))?;
        self.tail = Some(Tail {
            head: scan.head.clone(),
            len: offset,
            last_ts: scan.last_ts.clone(),
        });
        let data = RepairData {
            offset,
            length,
            sha256: sha256.clone(),
            quarantine: format!("quarantine/{name}"),
        };
        let head = self.append(stamp, actor, "log_repaired", &data)?;
        Ok(Repaired { data, head })
    }
}

/// The payload of a `log_repaired` entry.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct RepairData {
    pub offset: u64,
    pub length: u64,
    pub sha256: String,
    pub quarantine: String,
}

#[derive(Debug)]
pub struct Repaired {
    pub data: RepairData,
    pub head: Head,
}

/// An entry's payload, encoded once as it will be written.
pub fn to_raw(data: &impl Serialize) -> Result<Box<RawValue>, Error> {
    serde_json::value::to_raw_value(data)
        .map_err(|e| Error::input(format!("cannot encode entry: {e}")))
}

/// Encodes the entry that follows `head` (recorded at `last_ts`): refused, as NOT recorded, when
/// the clock reads earlier than the last entry (it was set back; the log's times only move
/// forward) or when the line would be longer than an entry may be. Returns its head and line.
pub fn encode_next(
    head: Option<&Head>,
    last_ts: Option<&str>,
    stamp: &Stamp<'_>,
    actor: &str,
    kind: &str,
    payload: &RawValue,
) -> Result<(Head, String), Error> {
    let (seq, prev) = match head {
        Some(h) => (h.seq + 1, h.hash.as_str()),
        None => (0, GENESIS_PREV),
    };
    if let Some(last) = last_ts.filter(|l| earlier_than(stamp.ts, l)) {
        return Err(Error::NotRecorded(Box::new(Error::refused(format!(
            "the clock reads {}, earlier than entry {} ({last}); the log's times only move forward: check the machine's clock",
            stamp.ts,
            seq.saturating_sub(1)
        )))));
    }
    let (line, hash) = encode(seq, prev, stamp, actor, kind, payload);
    if line.len() > MAX_LINE_BYTES {
        return Err(Error::NotRecorded(Box::new(Error::input(format!(
            "the entry would be {} bytes; an entry may be at most {MAX_LINE_BYTES} bytes",
            line.len()
        )))));
    }
    Ok((Head { seq, hash }, line))
}

/// Checks that `genesis` is one complete line holding a valid first entry, and returns its head.
pub fn check_genesis(genesis: &[u8]) -> Result<Head, Error> {
    check_links(None, None, 0, &[genesis.to_vec()])?
        .head
        .ok_or_else(|| Error::input("an incident's first entry is missing".to_owned()))
}

/// Checks that `lines` (each complete, with its newline) continue a chain whose last entry is
/// `head` (recorded at `last_ts`, ending at byte `len`): each the next valid link, none recorded
/// earlier than the one before. Returns where the chain ends after them.
pub fn check_links(
    head: Option<&Head>,
    last_ts: Option<&str>,
    len: u64,
    lines: &[Vec<u8>],
) -> Result<Scan, Error> {
    let resume = head.map(|h| Resume {
        offset: len,
        head: h.clone(),
        last_ts: last_ts.unwrap_or_default().to_owned(),
    });
    let joined: Vec<u8> = lines.concat();
    let scan = scan_from(joined.as_slice(), resume.as_ref(), |_| {})
        .map_err(|e| Error::input(format!("cannot read the entries: {e}")))?;
    match scan.damage {
        Some(damage) => Err(Error::NotRecorded(Box::new(Error::refused(format!(
            "the entries are not the next links of this log's chain: {damage}"
        ))))),
        None => Ok(scan),
    }
}

/// Creates a directory (and missing parents) with mode 0700, and refuses an existing one that is
/// a symlink, belongs to someone else or is writable by others.
pub fn create_private_dir(dir: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) => {
            if meta.file_type().is_symlink() {
                return Err(Error::Unsafe(format!(
                    "{} is a symbolic link; give the real directory",
                    dir.display()
                )));
            }
            if !meta.is_dir() {
                return Err(Error::Unsafe(format!(
                    "{} is not a directory",
                    dir.display()
                )));
            }
            check_owner_and_mode(dir, &meta)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent()
                && !parent.as_os_str().is_empty()
                && !parent.exists()
            {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(parent)
                    .map_err(|e| Error::io("create directory", parent, e))?;
            }
            match std::fs::DirBuilder::new().mode(0o700).create(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io("create directory", dir, e)),
            }
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| Error::io("set permissions on", dir, e))?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
            Ok(())
        }
        Err(e) => Err(Error::io("inspect", dir, e)),
    }
}

/// The kind of network file system `path` is on, if it is on one: their locks and appends are
/// not the guarantees the log relies on.
pub fn network_file_system(path: &Path) -> Option<&'static str> {
    network_fs_name(fs_magic(path)?)
}

#[allow(unsafe_code)]
fn fs_magic(path: &Path) -> Option<i64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` is a properly sized,
    // zero-initialised buffer that statfs only writes into.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statfs(c_path.as_ptr(), &mut stat) };
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    (rc == 0).then(|| i64::from(stat.f_type as i64))
}

/// Names the file-system magic numbers of network file systems (see statfs(2)).
pub fn network_fs_name(magic: i64) -> Option<&'static str> {
    match magic {
        0x6969 => Some("NFS"),
        0x517B => Some("SMB"),
        0xFF53_4D42 => Some("CIFS"),
        0xFE53_4D42 => Some("SMB2"),
        0x5346_414F => Some("AFS"),
        0x0BD0_0BD0 => Some("Lustre"),
        0x4750_4653 => Some("GPFS"),
        0x0102_1997 => Some("9P"),
        0x6573_5546 => Some("FUSE, possibly a network mount"),
        _ => None,
    }
}

/// Writes a whole file, mode 0600, atomically: to a temporary file beside it, synced, then moved
/// into place. Without `replace`, an existing file is refused, even one that appears meanwhile.
pub fn write_private_file(path: &Path, bytes: &[u8], replace: bool) -> Result<(), Error> {
    write_private_file_with(path, replace, &mut |out| out.write_all(bytes))
}

/// As [`write_private_file`], with the content written by `fill` as it is made, so that it
/// is never held whole; nothing is left at `path` when `fill` fails (a caller that fails for a
/// reason of its own returns an I/O error to stop, and reports its own).
pub fn write_private_file_with(
    path: &Path,
    replace: bool,
    fill: &mut dyn FnMut(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> Result<(), Error> {
    if !replace && std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::refused(format!(
            "{} exists; add --force to replace it",
            path.display()
        )));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = dir.join(format!(".breach-{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&temp)
        .and_then(|f| {
            let mut out = std::io::BufWriter::with_capacity(256 * 1024, f);
            fill(&mut out)?;
            out.into_inner()
                .map_err(std::io::IntoInnerError::into_error)?
                .sync_all()
        })
        .and_then(|()| {
            if replace {
                std::fs::rename(&temp, path)
            } else {
                // Hard-link then unlink: fails rather than replace a file that appeared meanwhile.
                std::fs::hard_link(&temp, path).and_then(|()| std::fs::remove_file(&temp))
            }
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(Error::io("write", path, e));
    }
    sync_dir(dir)
}

/// Reads a small file someone could have planted (a runbook, a template, the profile): only a
/// regular file of at most `max_bytes`, refused at once otherwise, with its path, so a FIFO, a
/// device such as `/dev/zero` or an enormous file can neither hang nor exhaust the machine.
/// `Ok(None)` when nothing is there.
pub fn read_small_file(path: &Path, max_bytes: u64, what: &str) -> Result<Option<Vec<u8>>, Error> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    if !meta.is_file() {
        return Err(Error::input(format!(
            "{}: the {what} is not a regular file; refusing to read it",
            path.display()
        )));
    }
    if meta.len() > max_bytes {
        return Err(Error::input(format!(
            "{}: the {what} is {} bytes; at most {max_bytes} bytes are accepted",
            path.display(),
            meta.len()
        )));
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| Error::io("read", path, e))?;
    // Read at most one byte past the limit, in case the file grew after the check.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(Error::input(format!(
            "{}: the {what} is larger than {max_bytes} bytes",
            path.display()
        )));
    }
    Ok(Some(bytes))
}

/// Makes a directory's entries durable (a new file's name, a rename).
pub fn sync_dir(dir: &Path) -> Result<(), Error> {
    fault::point()
        .and_then(|()| File::open(dir))
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync directory", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A valid log of `notes.len() + 1` entries and the offset where each line starts.
    fn build(notes: &[String]) -> (Vec<u8>, Vec<usize>) {
        let mut bytes = Vec::new();
        let mut starts = Vec::new();
        let mut prev = GENESIS_PREV.to_owned();
        for (seq, text) in std::iter::once("opened".to_owned())
            .chain(notes.iter().cloned())
            .enumerate()
        {
            let data =
                serde_json::value::to_raw_value(&serde_json::json!({ "text": text })).unwrap();
            let (line, hash) = encode(
                seq as u64,
                &prev,
                &Stamp::plain("2026-01-01T00:00:00.000Z"),
                "ana",
                "note",
                &data,
            );
            starts.push(bytes.len());
            bytes.extend_from_slice(line.as_bytes());
            prev = hash;
        }
        (bytes, starts)
    }

    proptest! {
        #[test]
        fn any_single_changed_byte_fails_at_or_before_its_entry(
            notes in proptest::collection::vec("[ -~é\u{202E}]{0,40}", 1..6),
            where_frac in 0.0f64..1.0,
            replacement in any::<u8>(),
        ) {
            let (mut bytes, starts) = build(&notes);
            let pos = ((bytes.len() as f64) * where_frac) as usize % bytes.len();
            prop_assume!(bytes[pos] != replacement);
            bytes[pos] = replacement;
            let entry_of_pos = starts.iter().rposition(|s| *s <= pos).unwrap() as u64;
            let scan = scan(&bytes[..], |_| {}).unwrap();
            prop_assert!(scan.damage.is_some(), "a changed byte at {} went unnoticed", pos);
            prop_assert!(scan.entries <= entry_of_pos, "byte {} is in entry {} but {} entries verified", pos, entry_of_pos, scan.entries);
        }

        #[test]
        fn an_intact_log_verifies_whatever_its_notes_contain(notes in proptest::collection::vec(".{0,60}", 0..8)) {
            let (bytes, _) = build(&notes);
            let scan = scan(&bytes[..], |_| {}).unwrap();
            prop_assert!(scan.damage.is_none());
            prop_assert_eq!(scan.entries, notes.len() as u64 + 1);
        }
    }

    /// Every way power loss can leave the last, unsynced write of one line: dropped, kept, cut
    /// anywhere, zeroed, or replaced by garbage. The line's one newline is its last byte, so
    /// whatever comes back short of the whole line ends without one (garbage here never holds a
    /// newline); a torn write that kept the newline but not the bytes before it is reported as
    /// damage, not repaired (SECURITY.md).
    fn power_loss_outcomes(unsynced: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut out = vec![
            ("dropped".to_owned(), Vec::new()),
            ("kept".to_owned(), unsynced.to_vec()),
        ];
        for cut in 1..unsynced.len() {
            out.push((format!("cut at {cut}"), unsynced[..cut].to_vec()));
        }
        out.push(("zeros".to_owned(), vec![0u8; unsynced.len()]));
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for round in 0..64 {
            let mut garbage = Vec::with_capacity(unsynced.len());
            for _ in 0..unsynced.len() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                garbage.push(match seed % 11 {
                    0 | 1 => 0,
                    _ => match (seed >> 8) as u8 {
                        b'\n' => b'?',
                        b => b,
                    },
                });
            }
            let keep = round * unsynced.len() / 64;
            let mut mixed = unsynced[..keep].to_vec();
            mixed.extend_from_slice(&garbage[keep..]);
            out.push((format!("garbage after {keep}"), mixed));
        }
        out
    }

    #[test]
    fn after_power_loss_verify_passes_or_repair_restores_every_acknowledged_entry() {
        // `build` writes the opening entry and one per note: the first `acknowledged` entries were
        // synced, the last one is the write in flight when the power went.
        for acknowledged in 1..4usize {
            let notes: Vec<String> = (0..acknowledged).map(|i| format!("note {i}")).collect();
            let (all, starts) = build(&notes);
            let (synced, unsynced) = all.split_at(starts[acknowledged]);
            for (what, tail) in power_loss_outcomes(unsynced) {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("log.jsonl");
                let mut bytes = synced.to_vec();
                bytes.extend_from_slice(&tail);
                std::fs::write(&path, &bytes).unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
                let kept = acknowledged as u64;
                let mut log = Log::open(&path, Access::Write).unwrap();
                let scan = log.scan(|_| {}).unwrap();
                match &scan.damage {
                    None => assert!(
                        scan.entries == kept || scan.entries == kept + 1,
                        "{what}: {} entries",
                        scan.entries
                    ),
                    Some(Damage::TornTail { offset, .. }) => {
                        assert!(
                            *offset >= synced.len() as u64,
                            "{what}: the tear starts after the synced entries"
                        );
                        let repaired = log
                            .repair(
                                &dir.path().join("quarantine"),
                                &Stamp::plain("2026-01-01T00:00:00.000Z"),
                                "ana",
                            )
                            .unwrap();
                        drop(log);
                        let mut again = Log::open(&path, Access::Read).unwrap();
                        let after = again.read_verified(|_| {}).unwrap();
                        assert!(
                            after.entries > kept,
                            "{what}: every acknowledged entry is there"
                        );
                        assert_eq!(repaired.head.seq + 1, after.entries);
                        assert!(
                            std::fs::read(&path).unwrap().starts_with(synced),
                            "{what}: synced bytes untouched"
                        );
                    }
                    Some(other) => {
                        panic!("{what}: power loss reported as {other}, which repair refuses")
                    }
                }
            }
        }
    }

    #[test]
    fn bytes_after_the_last_newline_are_a_torn_tail() {
        let (mut bytes, _) = build(&["a".to_owned()]);
        let len = bytes.len() as u64;
        bytes.extend_from_slice(b"{\"seq\":2,");
        let scan = scan(&bytes[..], |_| {}).unwrap();
        assert_eq!(
            scan.damage,
            Some(Damage::TornTail {
                offset: len,
                length: 9
            })
        );
        assert_eq!(scan.entries, 2);
    }

    #[test]
    fn a_complete_final_line_that_fails_is_damage_never_a_torn_tail() {
        let (bytes, starts) = build(&["a".to_owned(), "b".to_owned()]);
        // A final line of garbage with its newline: damage at entry 2, not "torn".
        let mut zeros = bytes[..starts[2]].to_vec();
        zeros.extend_from_slice(&[0u8; 20]);
        zeros.push(b'\n');
        let damage = scan(&zeros[..], |_| {}).unwrap().damage.unwrap();
        assert!(
            matches!(damage, Damage::BadEntry { seq: 2, .. }),
            "{damage:?}"
        );
        // A flipped byte in the last complete line, newline intact, whether it breaks the JSON
        // or only the hash.
        for (from, to) in [("\"b\"", "\"c\""), ("\"b\"", "\"b\u{0}")] {
            let altered = String::from_utf8(bytes.clone())
                .unwrap()
                .replacen(from, to, 1);
            let damage = scan(altered.as_bytes(), |_| {}).unwrap().damage.unwrap();
            assert!(
                matches!(damage, Damage::BadEntry { seq: 2, .. }),
                "{to}: {damage:?}"
            );
        }
        let mut flipped = bytes.clone();
        let brace = bytes.len() - 2;
        flipped[brace] = b']';
        let damage = scan(&flipped[..], |_| {}).unwrap().damage.unwrap();
        assert!(!damage.is_torn_tail(), "{damage:?}");
    }

    #[test]
    fn an_entry_recorded_earlier_than_the_one_before_it_is_damage() {
        let mut bytes = Vec::new();
        let mut prev = GENESIS_PREV.to_owned();
        for (seq, ts) in ["2026-01-02T00:00:00.000Z", "2026-01-01T23:59:59.999Z"]
            .iter()
            .enumerate()
        {
            let data = serde_json::value::to_raw_value(&serde_json::json!({})).unwrap();
            let (line, hash) = encode(seq as u64, &prev, &Stamp::plain(ts), "ana", "note", &data);
            bytes.extend_from_slice(line.as_bytes());
            prev = hash;
        }
        let damage = scan(&bytes[..], |_| {}).unwrap().damage.unwrap();
        assert!(
            matches!(
                damage,
                Damage::BadEntry {
                    seq: 1,
                    fault: LineFault::TimeWentBackwards { .. },
                    ..
                }
            ),
            "{damage:?}"
        );
        assert!(damage.to_string().contains("time went backwards"));
    }

    #[test]
    fn an_append_on_a_clock_set_back_is_refused_and_records_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        Log::create(
            &path,
            &Stamp::plain("2026-01-02T00:00:00.000Z"),
            "ana",
            "note",
            &serde_json::json!({}),
        )
        .unwrap();
        let before = std::fs::read(&path).unwrap();
        let mut log = Log::open(&path, Access::Write).unwrap();
        log.read_verified(|_| {}).unwrap();
        let err = log
            .append(
                &Stamp::plain("2026-01-01T12:00:00.000Z"),
                "ana",
                "note",
                &serde_json::json!({}),
            )
            .unwrap_err();
        assert!(
            err.to_string().starts_with("entry NOT recorded")
                && err.to_string().contains("only move forward"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
        log.append(
            &Stamp::plain("2026-01-02T00:00:00.000Z"),
            "ana",
            "note",
            &serde_json::json!({}),
        )
        .expect("the same instant is not earlier");
    }
}
