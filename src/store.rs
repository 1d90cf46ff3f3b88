//! The store: the private directory that holds every incident and the organisation's own files.
//!
//! Layout: `<store>/incidents/<id>/log.jsonl` (the record), `<store>/incidents/<id>/attachments/`
//! (copies of evidence files), `<store>/incidents/<id>/quarantine/` (bytes removed by `repair`),
//! and `<store>/runbooks/` (the organisation's runbooks). An incident is created under a hidden
//! temporary name and renamed into place only once its first entry is on disk, so a failed
//! `start` never leaves a half-made incident behind.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::incident::{Incident, Replay};
use crate::log::{self, Access, Head, Log};

pub const LOG_FILE: &str = "log.jsonl";
const INCIDENTS: &str = "incidents";

/// The per-user default store: `$XDG_DATA_HOME/breach` (usually `~/.local/share/breach`).
pub fn default_root() -> PathBuf {
    use etcetera::BaseStrategy;
    match etcetera::choose_base_strategy() {
        Ok(base) => base.data_dir().join("breach"),
        Err(_) => PathBuf::from(".breach"),
    }
}

#[derive(Debug, Clone)]
pub struct Store {
    pub root: PathBuf,
}

impl Store {
    /// Opens the store, creating it (mode 0700) when it does not exist yet, and refusing one that
    /// is a symlink, belongs to someone else or is writable by others.
    pub fn open(root: &Path) -> Result<Store, Error> {
        log::create_private_dir(root)?;
        log::create_private_dir(&root.join(INCIDENTS))?;
        if let Some(kind) = log::network_file_system(root) {
            eprintln!(
                "breach: warning: the store {} is on a network file system ({kind}); locks and appends are not reliable there: keep the store on a local disk",
                root.display()
            );
        }
        Ok(Store {
            root: root.to_owned(),
        })
    }

    pub fn runbooks_dir(&self) -> PathBuf {
        self.root.join("runbooks")
    }

    pub fn incident_dir(&self, id: &str) -> PathBuf {
        self.root.join(INCIDENTS).join(id)
    }

    pub fn log_path(&self, id: &str) -> PathBuf {
        self.incident_dir(id).join(LOG_FILE)
    }

    /// Every incident id in the store, sorted.
    pub fn ids(&self) -> Result<Vec<String>, Error> {
        let dir = self.root.join(INCIDENTS);
        let mut ids = Vec::new();
        for item in std::fs::read_dir(&dir).map_err(|e| Error::io("read store", &dir, e))? {
            let item = item.map_err(|e| Error::io("read store", &dir, e))?;
            let name = item.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && item.path().join(LOG_FILE).exists() {
                ids.push(name);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Opens and locks an incident's log.
    pub fn open_log(&self, id: &str, access: Access) -> Result<Log, Error> {
        let dir = self.incident_dir(id);
        log::create_private_dir(&dir)?;
        Log::open(&dir.join(LOG_FILE), access)
    }

    /// Reads an incident under a shared lock.
    pub fn load(&self, id: &str) -> Result<Incident, Error> {
        let mut log = self.open_log(id, Access::Read)?;
        replay(&mut log)
    }

    /// Resolves the incident a command is about: the id or unique id prefix given, or else the
    /// only open incident.
    pub fn resolve(&self, given: Option<&str>) -> Result<String, Error> {
        let ids = self.ids()?;
        if let Some(given) = given {
            if ids.iter().any(|i| i == given) {
                return Ok(given.to_owned());
            }
            let matches: Vec<&String> = ids.iter().filter(|i| i.starts_with(given)).collect();
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
        // Choosing which incident is meant needs no verified replay (the chosen log is verified
        // when it is read), so a single incident is taken as it is and, among several, a closed
        // one is recognised by its closing entry. An unreadable one counts as open: a damaged
        // log must stay reachable without -i, so that `verify` and `repair` can be pointed at it.
        let open: Vec<String> = if ids.len() == 1 {
            ids.clone()
        } else {
            ids.iter()
                .filter(|id| !self.looks_closed(id))
                .cloned()
                .collect()
        };
        match open.as_slice() {
            [one] => Ok(one.clone()),
            [] if ids.is_empty() => Err(Error::NoIncidentChosen(format!(
                "no incidents in {}; start one with `breach start`",
                self.root.display()
            ))),
            [] => Err(Error::NoIncidentChosen(
                "no incident is open; name one with -i ID (see `breach list`)".to_owned(),
            )),
            many => Err(Error::NoIncidentChosen(format!(
                "{} incidents are open ({}); name one with -i ID",
                many.len(),
                many.join(", ")
            ))),
        }
    }

    /// Whether an incident's log holds a closing entry. Inside a JSON string every quote is
    /// escaped, so this exact byte sequence can only be a record's own `kind` key.
    fn looks_closed(&self, id: &str) -> bool {
        const CLOSED: &[u8] = b",\"kind\":\"incident_closed\",\"data\":";
        std::fs::read(self.log_path(id))
            .is_ok_and(|bytes| memchr::memmem::find(&bytes, CLOSED).is_some())
    }

    /// Creates a new incident whose log starts with `genesis`, atomically.
    pub fn create_incident(
        &self,
        id: &str,
        ts: &str,
        actor: &str,
        kind: &str,
        genesis: &impl Serialize,
    ) -> Result<Head, Error> {
        let incidents = self.root.join(INCIDENTS);
        let final_dir = incidents.join(id);
        if final_dir.exists() {
            return Err(Error::refused(format!("incident {id} already exists")));
        }
        let temp = incidents.join(format!(".{id}.creating"));
        let _ = std::fs::remove_dir_all(&temp);
        let made = log::create_private_dir(&temp)
            .and_then(|()| Log::create(&temp.join(LOG_FILE), ts, actor, kind, genesis))
            .and_then(|head| {
                log::fault::point()
                    .and_then(|()| std::fs::rename(&temp, &final_dir))
                    .map_err(|e| Error::io("create incident", &final_dir, e))?;
                log::sync_dir(&incidents)?;
                Ok(head)
            });
        if made.is_err() {
            // Whatever step failed, no half-made incident stays behind: not the temporary
            // directory, and not the renamed one whose directory entry may not be durable.
            let _ = std::fs::remove_dir_all(&temp);
            let _ = std::fs::remove_dir_all(&final_dir);
        }
        made
    }
}

/// Verifies and replays a whole log into an incident.
pub fn replay(log: &mut Log) -> Result<Incident, Error> {
    let mut replay = Replay::new();
    log.read_verified(|entry| replay.apply(entry))?;
    replay.finish()
}

/// A new incident id: the date, then four random letters and digits, e.g. `20261122-k7qm`.
/// Short enough to say on the phone, safe in any file system, sortable by date.
pub fn new_incident_id(date: chrono::NaiveDate, attempt: u32) -> String {
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
    use crate::log::fault;

    fn note(n: usize) -> serde_json::Value {
        serde_json::json!({ "text": format!("note {n}") })
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        (dir, store)
    }

    #[test]
    fn a_failure_at_any_io_operation_of_an_append_records_nothing_and_keeps_every_entry() {
        let (_dir, store) = store();
        let ts = "2026-03-10T15:00:00.000Z";
        store
            .create_incident("20260310-aaaa", ts, "ana", "opened", &note(0))
            .unwrap();
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
    fn a_failure_at_any_io_operation_of_creation_leaves_no_incident() {
        let (_dir, store) = store();
        let mut failures = 0;
        for at in 0.. {
            fault::fail_at(Some(at));
            let result = store.create_incident(
                "20260310-bbbb",
                "2026-03-10T15:00:00.000Z",
                "ana",
                "opened",
                &note(0),
            );
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
}
