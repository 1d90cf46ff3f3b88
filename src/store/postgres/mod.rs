//! The PostgreSQL store: one incident log shared by a team on several machines.
//!
//! Each entry is kept as the exact line the directory store would write (bytes, newline and
//! all), with the same chain, so `verify`, `--expect-head`, the exports and an auditor's
//! `sha256sum` see the same record on either backend and an incident moves between them
//! without a hash changing. The database enforces what it can itself (see [`schema`]): the
//! tables are insert-only by privileges and by triggers, every inserted line must be the next
//! link of its incident's chain with a hash that matches its bytes, an attachment's SHA-256 must
//! match its content, and who wrote each row is the authenticated role, not a flag.
//!
//! Appends to one incident are serialised by a lock on its row (FOR UPDATE, which only the writer
//! role may take: an auditor cannot block writers), taken when the
//! log is opened for writing and held while the command replays, decides and inserts; the
//! previous head is checked again inside the transaction, and the entry commits whole or not at
//! all. A lost COMMIT is settled by asking again on a new connection.

mod address;
mod organisation;
pub(crate) mod schema;
mod shared_log;
mod tls;

use address::one_line;
pub(crate) use address::{Address, files_dir, shown};
use shared_log::{PgLog, last_entry};

use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::{Backend, IncidentLog, StoredAttachment};
use crate::error::Error;
use crate::log::{Entry, GENESIS_PREV, Head, RepairData, Resume, Scan, Stamp};
use crate::store::organisation::{Change, FileKind, FileVersion, Replaced};
use crate::store::{Access, LogCheck, LogKey, LogSeen, Repaired};

/// How long a connection may take before the command gives up, unless the connection string
/// says otherwise (`connect_timeout`, in seconds, as libpq).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long data sent to the server may go unacknowledged before the connection is given up.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest attachment the database store takes (as the directory store's `attach`).
const MAX_ATTACHMENT_BYTES: u64 = 64 * 1024 * 1024;

/// The one connection a store's logs share.
pub(super) type Shared = Rc<RefCell<Client>>;

/// A PostgreSQL store.
pub(crate) struct PgStore {
    address: Address,
    client: Shared,
    /// This machine's cache of the current version of the organisation's files.
    organisation: RefCell<PathBuf>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("address", &self.address.shown)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects and checks the schema `breach store init` made.
    pub(crate) fn connect(url: &str) -> Result<PgStore, Error> {
        let address = Address::parse(url)?;
        let mut client = address.connect_unset()?;
        let files_version = schema::check(&mut client, &address.shown)?;
        let organisation = organisation::cache(&mut client, &address, files_version)?;
        Ok(PgStore {
            address,
            client: Rc::new(RefCell::new(client)),
            organisation: RefCell::new(organisation),
        })
    }

    /// Connects without checking the schema: for `breach store init`.
    pub(crate) fn connect_for_init(url: &str) -> Result<(Address, Client), Error> {
        let address = Address::parse(url)?;
        let client = address.connect()?;
        Ok((address, client))
    }

    fn db_error(&self, doing: &str, e: &postgres::Error) -> Error {
        self.address.error(doing, e)
    }
}

/// The private key of an incident's advisory lock: one namespace for breach, one key per id.
const LOCK_NAMESPACE: i32 = 0x6272_6561; // "brea"

impl Backend for PgStore {
    fn location(&self) -> String {
        self.address.shown.clone()
    }

    fn ids(&self) -> Result<Vec<String>, Error> {
        let rows = self
            .client
            .borrow_mut()
            .query_typed(
                "SELECT id FROM breach.incidents ORDER BY id COLLATE \"C\"",
                &[],
            )
            .map_err(|e| self.db_error("list the incidents", &e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn create_incident(&self, id: &str, genesis: &[u8]) -> Result<Head, Error> {
        let head = crate::log::check_genesis(genesis)?;
        let kind = crate::log::line_kind(genesis)
            .ok_or_else(|| Error::input("an entry cannot be read: it names no kind"))?;
        let mut client = self.client.borrow_mut();
        let mut tx = client
            .transaction()
            .map_err(|e| self.db_error("begin", &e))?;
        let inserted = tx
            .execute(
                "INSERT INTO breach.incidents (id) VALUES ($1) ON CONFLICT DO NOTHING",
                &[&id],
            )
            .map_err(|e| self.db_error("create the incident", &e))?;
        if inserted == 0 {
            return Err(Error::refused(format!("incident {id} already exists")));
        }
        tx.execute(
            "INSERT INTO breach.entries (incident, seq, prev, hash, end_offset, kind, line) \
             VALUES ($1, 0, $2, $3, $4, $5, $6)",
            &[
                &id,
                &GENESIS_PREV,
                &head.hash,
                &(genesis.len() as i64),
                &kind,
                &genesis,
            ],
        )
        .map_err(|e| self.db_error("record the first entry", &e))?;
        tx.commit()
            .map_err(|e| self.db_error("commit the new incident", &e))?;
        Ok(head)
    }

    fn open_log(&self, id: &str, access: Access) -> Result<Box<dyn IncidentLog>, Error> {
        // Whether the store holds the incident is learnt from the lock (for writing) or the
        // read (for reading), not asked first.
        Ok(Box::new(PgLog::open(
            self.address.clone(),
            Rc::clone(&self.client),
            id,
            access,
        )?))
    }

    fn put_attachment(&self, id: &str, content: &mut dyn Read) -> Result<StoredAttachment, Error> {
        let mut bytes = Vec::new();
        content
            .take(MAX_ATTACHMENT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("read", Path::new("the attachment"), e))?;
        if bytes.len() as u64 > MAX_ATTACHMENT_BYTES {
            return Err(Error::input(format!(
                "the attachment is larger than {MAX_ATTACHMENT_BYTES} bytes"
            )));
        }
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let mut client = self.client.borrow_mut();
        // The database checks the SHA-256 against the content itself (see `schema`).
        let created = client
            .execute(
                "INSERT INTO breach.attachments (incident, sha256, bytes, content) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&id, &sha256, &(bytes.len() as i64), &bytes],
            )
            .map_err(|e| self.db_error("store the attachment", &e))?
            == 1;
        if !created {
            // Already there under this address: the same content, or the store is damaged.
            let row = client
                .query_one(
                    "SELECT encode(sha256(content), 'hex') FROM breach.attachments \
                     WHERE incident = $1 AND sha256 = $2",
                    &[&id, &sha256],
                )
                .map_err(|e| self.db_error("read the attachment", &e))?;
            let held: String = row.get(0);
            if held != sha256 {
                return Err(Error::StoreDamaged {
                    path: PathBuf::from(format!(
                        "{}/{id}/attachments/{sha256}",
                        self.address.shown
                    )),
                    detail: format!("the copy stored under this name has SHA-256 {held}"),
                });
            }
        }
        Ok(StoredAttachment {
            stored: format!("attachments/{sha256}"),
            sha256,
            bytes: bytes.len() as u64,
            created,
        })
    }

    fn attachments(&self, id: &str) -> Result<Vec<String>, Error> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT sha256 FROM breach.attachments WHERE incident = $1 ORDER BY sha256",
                &[&id],
            )
            .map_err(|e| self.db_error("list the attachments", &e))?;
        Ok(rows
            .iter()
            .map(|r| format!("attachments/{}", r.get::<_, &str>(0)))
            .collect())
    }

    fn open_attachment(&self, id: &str, stored: &str) -> Result<Option<Box<dyn Read + '_>>, Error> {
        let Some(sha256) = stored.strip_prefix("attachments/") else {
            return Ok(None);
        };
        let row = self
            .client
            .borrow_mut()
            .query_opt(
                "SELECT content FROM breach.attachments WHERE incident = $1 AND sha256 = $2",
                &[&id, &sha256],
            )
            .map_err(|e| self.db_error("read the attachment", &e))?;
        Ok(row.map(|r| Box::new(std::io::Cursor::new(r.get::<_, Vec<u8>>(0))) as Box<dyn Read>))
    }

    fn attachment_sha256(&self, id: &str, stored: &str) -> Result<Option<String>, Error> {
        let Some(mut content) = self.open_attachment(id, stored)? else {
            return Ok(None);
        };
        let mut hasher = Sha256::new();
        std::io::copy(&mut content, &mut hasher)
            .map_err(|e| Error::io("read", Path::new(stored), e))?;
        Ok(Some(hex::encode(hasher.finalize())))
    }

    fn discard_attachment(&self, _id: &str, _attachment: &StoredAttachment) {
        // Nothing to do: the copy was made inside the append's transaction, which rolled back.
    }

    fn files_dir(&self) -> PathBuf {
        self.organisation.borrow().clone()
    }

    fn machine_dir(&self) -> PathBuf {
        // Made on first use, private, as the directory store's own root is.
        let dir = files_dir(&self.address.shown);
        let _ = crate::files::create_private_dir(&dir);
        dir
    }

    fn replace_organisation_file(
        &self,
        kind: FileKind,
        name: &str,
        change: &mut Change,
    ) -> Result<Replaced, Error> {
        let (replaced, dir) = organisation::replace(
            &mut self.client.borrow_mut(),
            &self.address,
            kind,
            name,
            change,
        )?;
        *self.organisation.borrow_mut() = dir;
        Ok(replaced)
    }

    fn organisation_history(&self) -> Result<Option<Vec<FileVersion>>, Error> {
        organisation::history(&mut self.client.borrow_mut(), &self.address).map(Some)
    }

    fn log_key(&self, id: &str) -> Option<LogKey> {
        let (head, bytes) = last_entry(&mut self.client.borrow_mut(), id).ok()??;
        Some(LogKey {
            bytes,
            last_hash: head.hash,
            inode: head.seq,
            changed_ns: 0,
        })
    }

    fn writers(&self, id: &str) -> Result<Option<Vec<super::Writer>>, Error> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT written_by::text, count(*), min(seq), max(seq) FROM breach.entries \
                 WHERE incident = $1 GROUP BY written_by ORDER BY min(seq)",
                &[&id],
            )
            .map_err(|e| self.db_error("read who wrote the entries", &e))?;
        Ok(Some(rows.iter().map(writer_of).collect()))
    }

    fn writer_runs(&self, id: &str) -> Result<Option<Vec<super::Writer>>, Error> {
        // Entries are numbered without gaps, so within one login's entries `seq` less its rank
        // is the same along a run and changes between runs.
        let rows = self
            .client
            .borrow_mut()
            .query(
                "SELECT written_by::text, count(*), min(seq), max(seq) FROM ( \
                   SELECT seq, written_by, \
                          seq - row_number() OVER (PARTITION BY written_by ORDER BY seq) AS run \
                   FROM breach.entries WHERE incident = $1) AS e \
                 GROUP BY written_by, run ORDER BY min(seq)",
                &[&id],
            )
            .map_err(|e| self.db_error("read who wrote the entries", &e))?;
        Ok(Some(rows.iter().map(writer_of).collect()))
    }

    fn log_check(&self) -> Box<dyn LogCheck + '_> {
        // Every incident's last entry in one query, so that the check costs no round trip per
        // incident; when the query fails, nothing is known and every summary is rebuilt (the
        // rebuild reports the database's error).
        let rows = self.client.borrow_mut().query(
            "SELECT i.id, e.end_offset, e.hash, e.seq FROM breach.incidents i \
             CROSS JOIN LATERAL (SELECT end_offset, hash, seq FROM breach.entries \
             WHERE incident = i.id ORDER BY seq DESC LIMIT 1) e",
            &[],
        );
        let keys = rows
            .into_iter()
            .flatten()
            .filter_map(|row| {
                Some((
                    row.get::<_, String>(0),
                    LogKey {
                        bytes: u64::try_from(row.get::<_, i64>(1)).ok()?,
                        last_hash: row.get(2),
                        inode: u64::try_from(row.get::<_, i64>(3)).ok()?,
                        changed_ns: 0,
                    },
                ))
            })
            .collect();
        Box::new(LastEntries(keys))
    }

    fn cache_dir(&self) -> Option<PathBuf> {
        use etcetera::BaseStrategy;
        let key = hex::encode(&Sha256::digest(self.address.shown.as_bytes())[..8]);
        let base = etcetera::choose_base_strategy().ok()?.cache_dir();
        Some(base.join("breach").join("postgresql").join(key))
    }
}

/// Every incident's last entry, read at once: what a database store sees of its logs.
struct LastEntries(std::collections::HashMap<String, LogKey>);

impl LogCheck for LastEntries {
    fn seen(&self, id: &str) -> Option<LogSeen> {
        let key = self.0.get(id)?;
        Some(LogSeen {
            stamp: key.stamp(),
            last_hash: Some(key.last_hash.clone()),
        })
    }
}

/// A row of (login, entries, first seq, last seq), as `writers` and `writer_runs` select it.
fn writer_of(r: &postgres::Row) -> super::Writer {
    super::Writer {
        role: r.get(0),
        entries: r.get::<_, i64>(1) as u64,
        first: r.get::<_, i64>(2) as u64,
        last: r.get::<_, i64>(3) as u64,
    }
}
