//! An incident's log as a file of the directory store: created with `create_new`, 0600 and a
//! synced directory; opened only when it is a private regular file, under a shared lock to read
//! and an exclusive one to write; appended one complete line at a time and synced before
//! success; and repaired only by quarantining a torn tail. The bytes themselves are the evidence
//! format's (`crate::log`): this module only keeps them.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::files::{check_private_file, create_private_dir, fault, sync_dir};
use crate::log::{
    Damage, Entry, GENESIS_PREV, Head, RepairData, Resume, Scan, Stamp, check_genesis, check_links,
    encode_next, line_hash, scan, scan_from, to_raw,
};
use crate::store::{Access, Repaired};

/// The bytes that close every complete record: `,"hash":"`, 64 hex digits, `"}` and the newline.
pub(super) const RECORD_TAIL: u64 = 76;

/// An open, locked log. The lock is released when this is dropped.
#[derive(Debug)]
pub(crate) struct Log {
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

impl Log {
    /// Creates a new log holding only `genesis` and syncs it and its directory.
    #[cfg(test)]
    pub(crate) fn create(
        path: &Path,
        stamp: &Stamp<'_>,
        actor: &str,
        kind: &str,
        data: &impl Serialize,
    ) -> Result<Head, Error> {
        let payload = to_raw(data)?;
        let (_, line) = crate::log::encode_next(None, None, stamp, actor, kind, &payload)?;
        Self::create_with(path, line.as_bytes())
    }

    /// Creates a new log holding only `genesis`, a complete first line (newline included) that
    /// must be a valid genesis entry, and syncs it and its directory.
    pub(crate) fn create_with(path: &Path, genesis: &[u8]) -> Result<Head, Error> {
        let head = check_genesis(genesis)?;
        let mut file = fault::point()
            .and_then(|()| {
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
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
    pub(crate) fn open(path: &Path, access: Access) -> Result<Log, Error> {
        check_private_file(path)?;
        let file = OpenOptions::new()
            .read(true)
            .append(access == Access::Write)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
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

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Reads and verifies the whole log, handing each entry to `on_entry`.
    /// Damage anywhere is an error: a damaged log is reported, never worked on.
    #[cfg(test)]
    pub(crate) fn read_verified(
        &mut self,
        on_entry: impl FnMut(&Entry<'_>),
    ) -> Result<Scan, Error> {
        let scan = self.scan(on_entry)?;
        scan.verified(&self.path)
    }

    /// Reads the whole log, reporting damage in the result instead of failing.
    pub(crate) fn scan(&mut self, on_entry: impl FnMut(&Entry<'_>)) -> Result<Scan, Error> {
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
    pub(crate) fn scan_from(
        &mut self,
        resume: &Resume,
        on_entry: impl FnMut(&Entry<'_>),
    ) -> Result<Option<Scan>, Error> {
        use std::os::unix::fs::FileExt;
        let io = |e| Error::io("read log", &self.path, e);
        let Some(start) = resume.offset.checked_sub(RECORD_TAIL) else {
            return Ok(None);
        };
        let mut before = [0u8; RECORD_TAIL as usize];
        match self.file.read_exact_at(&mut before, start) {
            Ok(())
                if line_hash(&before) == Some(resume.head.hash.as_str())
                    && before.ends_with(b"\n") => {}
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
    pub(crate) fn append(
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
    pub(crate) fn append_raw(
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
    pub(crate) fn append_verbatim(&mut self, lines: &[Vec<u8>]) -> Result<Head, Error> {
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
    pub(crate) fn repair(
        &mut self,
        quarantine_dir: &Path,
        stamp: &Stamp<'_>,
        actor: &str,
        reason: Option<&str>,
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
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
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
            reason: reason.map(str::to_owned),
        };
        let head = self.append(stamp, actor, "log_repaired", &data)?;
        Ok(Repaired { data, head })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::tests::build;

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
                                None,
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
