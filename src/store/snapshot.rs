//! A state snapshot: an incident's replayed state after a verified prefix of its log, kept in
//! the store's cache so that everyday commands and appends read only the entries after it. A
//! cache, never a record: it is used only when the log holds its last entry exactly where it
//! says (checked by the log's own resume), it is ignored otherwise, and `verify` and the exports
//! never read one.

use std::path::Path;

use serde::Serialize;

use super::{IncidentLog, Store, cache};
use crate::error::Error;
use crate::incident::{Finished, Incident, Replay};
use crate::log::{Resume, Scan};

impl Store {
    /// An incident's state from its open log. From the state kept after an earlier read (a
    /// snapshot in the store's cache, keyed to the entry it ends with and that entry's offset)
    /// only what follows is read and verified, so the cost does not grow with the log; without
    /// a snapshot that matches the log, the whole log is. `verify` and exports always read the
    /// whole log.
    pub(crate) fn replay_log(
        &self,
        id: &str,
        log: &mut dyn IncidentLog,
    ) -> Result<Incident, Error> {
        let name = format!("{id}.state.json");
        // A log changed outside breach since its last own write (its size, inode or change time
        // are not what that write left) is verified whole: a snapshot would trust its prefix.
        if !self.backend.changed_outside(id)
            && let Some(snapshot) = self
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
            let mut replay = Replay::resume(snapshot.incident).expecting(id);
            if let Some(scan) = log.scan_from(&snapshot.resume, &mut |e| replay.apply(e))? {
                let scan = scan.verified(Path::new(&log.location()))?;
                match replay.finish()? {
                    Finished::Done(incident) => {
                        if scan.entries - (snapshot.resume.head.seq + 1) >= SNAPSHOT_EVERY {
                            self.keep_snapshot(&name, &incident, &scan);
                        }
                        return Ok(*incident);
                    }
                    // A void reached behind the snapshot: the whole log is read again.
                    Finished::Again(again) => return self.replay_whole(id, log, &name, *again),
                }
            }
        }
        self.replay_whole(id, log, &name, Replay::new().expecting(id))
    }

    /// The whole log read and verified, twice when its voids withdraw entries the first pass
    /// applied; a snapshot is kept of a long one.
    fn replay_whole(
        &self,
        id: &str,
        log: &mut dyn IncidentLog,
        name: &str,
        replay: Replay,
    ) -> Result<Incident, Error> {
        let (incident, scan) = replay_verified(log, replay, &mut |_| {})?;
        // The mark that the log is as verified only lets a snapshot be trusted: a log too short
        // for one needs none (the first `list` of a store wrote one file per incident for it).
        if scan.entries >= SNAPSHOT_EVERY {
            self.backend.keep_verified(id);
            self.keep_snapshot(name, &incident, &scan);
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
}

/// `replay` over the whole of `log`, verified, with `seen` called on every entry read; run a
/// second time when the first pass did not know which entries the log's voids withdraw.
pub(crate) fn replay_verified(
    log: &mut dyn IncidentLog,
    mut replay: Replay,
    seen: &mut dyn FnMut(&crate::log::Entry<'_>),
) -> Result<(Incident, Scan), Error> {
    for _ in 0..2 {
        let scan = log.read_verified(|entry| {
            seen(entry);
            replay.apply(entry)
        })?;
        match replay.finish()? {
            Finished::Done(incident) => return Ok((*incident, scan)),
            Finished::Again(again) => replay = *again,
        }
    }
    Err(Error::refused(
        "the log's voids do not settle: a second reading found other entries withdrawn than the first",
    ))
}

/// The version of a state snapshot's shape; another version is not read. 2: the incident keeps
/// what HHS was last told (`hhs_told`) and the facts the re-mailed letters, which a snapshot of
/// version 1 would be missing. 4: the voids, and the entries the state was built without.
const SNAPSHOT_VERSION: u32 = 4;
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
