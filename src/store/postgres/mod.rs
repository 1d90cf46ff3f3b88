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
//! Appends to one incident are serialised by a transaction-scoped advisory lock, taken when the
//! log is opened for writing and held while the command replays, decides and inserts; the
//! previous head is checked again inside the transaction, and the entry commits whole or not at
//! all. A lost COMMIT is settled by asking again on a new connection.

pub(crate) mod schema;
mod tls;

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
use crate::log::{self, Entry, GENESIS_PREV, Head, Resume, Scan, Stamp};
use crate::store::{Access, LogCheck, LogKey, LogSeen, Repaired};

/// How long a connection may take before the command gives up, unless the connection string
/// says otherwise (`connect_timeout`, in seconds, as libpq).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long data sent to the server may go unacknowledged before the connection is given up.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an append waits for another writer of the same incident.
const LOCK_TIMEOUT: &str = "30s";
/// The largest attachment the database store takes (as the directory store's `attach`).
const MAX_ATTACHMENT_BYTES: u64 = 64 * 1024 * 1024;

/// A connection string as people see it: without its password.
pub(crate) fn shown(url: &str) -> String {
    Address::parse(url).map_or_else(|_| "a PostgreSQL store".to_owned(), |a| a.shown)
}

/// Where the organisation's own files (profile, runbooks, templates) live on this machine for
/// a database store: a private directory of the user's, one per database.
pub(crate) fn files_dir(url: &str) -> PathBuf {
    let shown = Address::parse(url).map_or_else(|_| url.to_owned(), |a| a.shown);
    let key = hex::encode(&Sha256::digest(shown.as_bytes())[..8]);
    super::default_root().join("postgresql").join(key)
}

/// A parsed connection string: the settings for the client, how TLS is used, and the address
/// as people see it (never with a password).
#[derive(Clone)]
pub(crate) struct Address {
    config: postgres::Config,
    tls: tls::Mode,
    /// `postgresql://user@host:port/dbname`, for messages and `--json`.
    pub shown: String,
    /// The first host, for "cannot reach" messages.
    host: String,
}

impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Address {
    /// Parses a `postgresql://` connection string as libpq users write it, including a
    /// Unix-socket host (`?host=/path` or a percent-encoded path), `sslmode` (`disable`,
    /// `allow`, `prefer`, `require`, `verify-ca`, `verify-full`) and `sslrootcert`. A password
    /// may be in the string or in `PGPASSWORD`; it is never shown.
    pub(crate) fn parse(url: &str) -> Result<Address, Error> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let mut sslmode = None;
        let mut root_cert = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslmode" => sslmode = Some(percent_decode(value)),
                "sslrootcert" => root_cert = Some(PathBuf::from(percent_decode(value))),
                _ => kept.push(pair),
            }
        }
        let stripped = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let without_password = redact(url);
        let mut config: postgres::Config = stripped.parse().map_err(|e| {
            Error::input(format!(
                "--store {without_password}: not a PostgreSQL connection string: {e}"
            ))
        })?;
        if config.get_hosts().is_empty() {
            config.host_path("/var/run/postgresql");
        }
        if config.get_user().is_none() {
            let user = std::env::var("PGUSER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "postgres".to_owned());
            config.user(&user);
        }
        if config.get_dbname().is_none() {
            let user = config.get_user().unwrap_or("postgres").to_owned();
            config.dbname(&user);
        }
        if config.get_password().is_none()
            && let Ok(password) = std::env::var("PGPASSWORD")
        {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            // A server that vanishes mid-command (a network cut) ends the command instead of
            // leaving it waiting on data that is never acknowledged.
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        config.application_name("breach");
        let (host, local) = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(name)) => (
                name.clone(),
                matches!(name.as_str(), "localhost" | "127.0.0.1" | "::1"),
            ),
            Some(postgres::config::Host::Unix(path)) => (path.display().to_string(), true),
            None => ("/var/run/postgresql".to_owned(), true),
        };
        let unix = matches!(
            config.get_hosts().first(),
            Some(postgres::config::Host::Unix(_))
        );
        let tls = tls::Mode::choose(sslmode.as_deref(), root_cert, unix, local, &host)?;
        config.ssl_mode(tls.ssl_mode());
        let port = config.get_ports().first().copied();
        let shown = format!(
            "postgresql://{}@{}{}/{}",
            config.get_user().unwrap_or(""),
            if unix { String::new() } else { host.clone() },
            port.filter(|p| !unix && *p != 5432)
                .map(|p| format!(":{p}"))
                .unwrap_or_default(),
            config.get_dbname().unwrap_or(""),
        ) + &if unix {
            format!("?host={host}")
        } else {
            String::new()
        };
        Ok(Address {
            config,
            tls,
            shown,
            host,
        })
    }

    /// A new connection, with the session settings every command relies on.
    pub(crate) fn connect(&self) -> Result<Client, Error> {
        // The client library's timeout covers opening the socket only; a server that accepts
        // and then never answers would hold the command forever. The whole connection (TLS,
        // start-up, authentication) gets the same limit here.
        let limit = self
            .config
            .get_connect_timeout()
            .copied()
            .unwrap_or(CONNECT_TIMEOUT);
        let (sender, receiver) = std::sync::mpsc::channel();
        let (tls, config) = (self.tls.clone(), self.config.clone());
        std::thread::spawn(move || {
            let _ = sender.send(tls.connect(&config).map_err(|e| e.to_string()));
        });
        let connected = match receiver.recv_timeout(limit) {
            Ok(connected) => connected,
            Err(_) => Err(format!(
                "no answer within {} s (connect_timeout)",
                limit.as_secs()
            )),
        };
        let mut client = connected.map_err(|e| {
            Error::database(
                format!(
                    "cannot reach the PostgreSQL store at {} (host {}): {e}",
                    self.shown, self.host
                ),
                Some(e.into()),
            )
        })?;
        client
            .batch_execute(&format!(
                "SET lock_timeout = '{LOCK_TIMEOUT}'; SET idle_in_transaction_session_timeout = '10min'"
            ))
            .map_err(|e| self.error("set up the session", &e))?;
        Ok(client)
    }

    fn error(&self, doing: &str, e: &postgres::Error) -> Error {
        Error::database(
            format!(
                "the PostgreSQL store at {} could not {doing}: {}",
                self.shown,
                one_line(e)
            ),
            Some(one_line(e).into()),
        )
    }
}

/// A database error as one line: the server's own message and hint where there is one.
fn one_line(e: &postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => match db.hint() {
            Some(hint) => format!("{} ({hint})", db.message()),
            None => db.message().to_owned(),
        },
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                let more = s.to_string();
                if !text.contains(&more) {
                    text = format!("{text}: {more}");
                }
                source = s.source();
            }
            text
        }
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The connection string with any password taken out, for messages about a string that did
/// not parse.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "the connection string".to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => format!("{}@{host}", user.split(':').next().unwrap_or("")),
        None => authority.to_owned(),
    };
    let tail: String = tail
        .split('&')
        .map(|p| {
            if p.trim_start_matches('?').starts_with("password=") {
                if p.starts_with('?') {
                    "?password=…"
                } else {
                    "password=…"
                }
                .to_owned()
            } else {
                p.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{scheme}://{authority}{tail}")
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One connection, shared by the store and the log it opened, so that an attachment copied
/// while an append's transaction is open commits or rolls back with the entry.
type Shared = Rc<RefCell<Client>>;

/// A PostgreSQL store.
pub(crate) struct PgStore {
    address: Address,
    client: Shared,
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
        let mut client = address.connect()?;
        schema::check(&mut client, &address.shown)?;
        Ok(PgStore {
            address,
            client: Rc::new(RefCell::new(client)),
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
            .query(
                "SELECT id FROM breach.incidents ORDER BY id COLLATE \"C\"",
                &[],
            )
            .map_err(|e| self.db_error("list the incidents", &e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn create_incident(&self, id: &str, genesis: &[u8]) -> Result<Head, Error> {
        let head = log::check_genesis(genesis)?;
        let kind = entry_kind(genesis)?;
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
        let exists = self
            .client
            .borrow_mut()
            .query_opt("SELECT 1 FROM breach.incidents WHERE id = $1", &[&id])
            .map_err(|e| self.db_error("read the incident", &e))?
            .is_some();
        if !exists {
            return Err(Error::input(format!(
                "no incident {id} in {}",
                self.address.shown
            )));
        }
        let mut log = PgLog {
            address: self.address.clone(),
            client: Rc::clone(&self.client),
            id: id.to_owned(),
            access,
            in_transaction: false,
            tail: None,
        };
        if access == Access::Write {
            log.begin()?;
        }
        Ok(Box::new(log))
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
        // Made on first use, private, as the directory store's own root is.
        let dir = files_dir(&self.address.shown);
        let _ = crate::files::create_private_dir(&dir);
        dir
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
        Ok(Some(
            rows.iter()
                .map(|r| super::Writer {
                    role: r.get(0),
                    entries: r.get::<_, i64>(1) as u64,
                    first: r.get::<_, i64>(2) as u64,
                    last: r.get::<_, i64>(3) as u64,
                })
                .collect(),
        ))
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

/// The `kind` of an encoded entry, kept in its own column so that the database can answer
/// "is this incident closed?" without parsing lines.
fn entry_kind(line: &[u8]) -> Result<String, Error> {
    #[derive(serde::Deserialize)]
    struct Kind {
        kind: String,
    }
    let body = line.strip_suffix(b"\n").unwrap_or(line);
    serde_json::from_slice::<Kind>(body)
        .map(|k| k.kind)
        .map_err(|e| Error::input(format!("an entry cannot be read: {e}")))
}

/// An incident's last entry as the database holds it: its head and the byte offset it ends at.
fn last_entry(client: &mut Client, id: &str) -> Result<Option<(Head, u64)>, postgres::Error> {
    let row = client.query_opt(
        "SELECT seq, hash, end_offset FROM breach.entries WHERE incident = $1 \
         ORDER BY seq DESC LIMIT 1",
        &[&id],
    )?;
    Ok(row.map(|r| {
        (
            Head {
                seq: r.get::<_, i64>(0) as u64,
                hash: r.get(1),
            },
            r.get::<_, i64>(2) as u64,
        )
    }))
}

/// Where a verified log ends.
#[derive(Debug, Clone)]
struct Tail {
    head: Option<Head>,
    len: u64,
    last_ts: Option<String>,
}

/// One incident's log in the database. Opened for writing, it holds a transaction and the
/// incident's advisory lock from the open until an append commits (or it is dropped).
struct PgLog {
    address: Address,
    client: Shared,
    id: String,
    access: Access,
    in_transaction: bool,
    tail: Option<Tail>,
}

impl std::fmt::Debug for PgLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLog")
            .field("id", &self.id)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Drop for PgLog {
    fn drop(&mut self) {
        if self.in_transaction {
            let _ = self.client.borrow_mut().batch_execute("ROLLBACK");
        }
    }
}

impl PgLog {
    /// Begins a transaction and waits for the incident's lock.
    fn begin(&mut self) -> Result<(), Error> {
        let mut client = self.client.borrow_mut();
        client
            .batch_execute("BEGIN")
            .map_err(|e| self.address.error("begin a transaction", &e))?;
        self.in_transaction = true;
        client
            .execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&LOCK_NAMESPACE, &self.id],
            )
            .map_err(|e| {
                self.address
                    .error(&format!("lock incident {} for writing", self.id), &e)
            })?;
        Ok(())
    }

    fn rollback(&mut self) {
        if self.in_transaction {
            let _ = self.client.borrow_mut().batch_execute("ROLLBACK");
            self.in_transaction = false;
        }
    }

    /// Reads the lines from `after` on (every line when `None`) through the file store's own
    /// scanner, so both backends verify exactly the same bytes in the same way.
    fn read(
        &mut self,
        resume: Option<&Resume>,
        on_entry: &mut dyn FnMut(&Entry<'_>),
    ) -> Result<Scan, Error> {
        let after: i64 = resume.map_or(-1, |r| r.head.seq as i64);
        let mut client = self.client.borrow_mut();
        let rows = client
            .query_raw(
                "SELECT line FROM breach.entries WHERE incident = $1 AND seq > $2 ORDER BY seq",
                [&self.id as &(dyn postgres::types::ToSql + Sync), &after],
            )
            .map_err(|e| self.address.error("read the log", &e))?;
        let mut lines = Lines {
            rows,
            current: Vec::new(),
            at: 0,
            failed: None,
        };
        let scan = log::scan_from(&mut lines, resume, |e| on_entry(e));
        if let Some(e) = lines.failed.take() {
            return Err(self.address.error("read the log", &e));
        }
        let scan = scan.map_err(|e| Error::io("read log", Path::new(&self.address.shown), e))?;
        self.tail = scan.damage.is_none().then(|| Tail {
            head: scan.head.clone(),
            len: scan.good_bytes,
            last_ts: scan.last_ts.clone(),
        });
        Ok(scan)
    }

    /// The head as the database holds it now, inside this transaction.
    fn head_now(&self) -> Result<Option<(Head, u64)>, Error> {
        last_entry(&mut self.client.borrow_mut(), &self.id)
            .map_err(|e| self.address.error("read the log's head", &e))
    }

    /// Checks, inside the transaction and under the lock, that the log still ends where the
    /// verified read ended: an entry written in between means the state the command decided
    /// on is not the state it would append to.
    fn check_tail(&mut self) -> Result<Tail, Error> {
        if !self.in_transaction {
            self.begin()?;
        }
        let tail = self
            .tail
            .clone()
            .expect("append follows a full verified read under the same lock");
        let now = self.head_now()?;
        let same = match (&now, &tail.head) {
            (Some((head, end)), Some(read)) => head == read && *end == tail.len,
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.rollback();
            return Err(Error::NotRecorded(Box::new(Error::refused(format!(
                "incident {} changed while this command was working (another writer appended); run the command again",
                self.id
            )))));
        }
        Ok(tail)
    }

    /// Inserts lines already checked as the next links, and commits. A COMMIT whose answer is
    /// lost is settled by asking on a new connection whether the last line is there.
    fn insert_and_commit(&mut self, tail: &Tail, lines: &[(Head, Vec<u8>)]) -> Result<(), Error> {
        let mut end = tail.len;
        let inserted: Result<(), postgres::Error> = (|| {
            let mut client = self.client.borrow_mut();
            let statement = client.prepare(
                "INSERT INTO breach.entries (incident, seq, prev, hash, end_offset, kind, line) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )?;
            let mut prev = tail
                .head
                .as_ref()
                .map_or_else(|| GENESIS_PREV.to_owned(), |h| h.hash.clone());
            for (head, line) in lines {
                end += line.len() as u64;
                let kind = entry_kind(line).unwrap_or_default();
                client.execute(
                    &statement,
                    &[
                        &self.id,
                        &(head.seq as i64),
                        &prev,
                        &head.hash,
                        &(end as i64),
                        &kind,
                        line,
                    ],
                )?;
                prev.clone_from(&head.hash);
            }
            Ok(())
        })();
        if let Err(e) = inserted {
            let error = self.address.error("record the entry", &e);
            self.rollback();
            return Err(Error::NotRecorded(Box::new(error)));
        }
        let committed = self.client.borrow_mut().batch_execute("COMMIT");
        self.in_transaction = false;
        let Err(e) = committed else {
            return Ok(());
        };
        if e.as_db_error().is_some() {
            // The server answered: it refused the commit, so nothing was recorded.
            return Err(Error::NotRecorded(Box::new(
                self.address.error("commit the entry", &e),
            )));
        }
        let last = &lines.last().expect("at least one line").0;
        let asked = self.address.connect().and_then(|mut fresh| {
            fresh
                .query_opt(
                    "SELECT 1 FROM breach.entries WHERE incident = $1 AND seq = $2 AND hash = $3",
                    &[&self.id, &(last.seq as i64), &last.hash],
                )
                .map_err(|e| self.address.error("check the entry", &e))
        });
        match asked {
            Ok(Some(_)) => {
                eprintln!(
                    "breach: the connection to {} was lost as the entry committed; a new connection finds it recorded",
                    self.address.host
                );
                *self.client.borrow_mut() = self.address.connect()?;
                Ok(())
            }
            Ok(None) => Err(Error::NotRecorded(Box::new(Error::database(
                format!(
                    "the connection to {} was lost during COMMIT ({}); a new connection finds no entry {}, so it was not recorded",
                    self.address.host,
                    one_line(&e),
                    last.seq
                ),
                Some(Box::new(e)),
            )))),
            Err(again) => Err(Error::Unconfirmed(format!(
                "entry {} may or may not be recorded: the connection to {} was lost during COMMIT ({}) and the store cannot be asked now ({again}); once it is back, `breach verify` shows the head, which is {}:{} if it was",
                last.seq,
                self.address.host,
                one_line(&e),
                last.seq,
                last.hash
            ))),
        }
    }
}

/// The lines of a query's rows as one byte stream, for the log's scanner.
struct Lines<'a> {
    rows: postgres::RowIter<'a>,
    current: Vec<u8>,
    at: usize,
    failed: Option<postgres::Error>,
}

impl Read for Lines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            match self.rows.next() {
                Ok(Some(row)) => {
                    self.current = row.get(0);
                    self.at = 0;
                }
                Ok(None) => return Ok(0),
                Err(e) => {
                    self.failed = Some(e);
                    return Err(std::io::Error::other("the database stopped answering"));
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl IncidentLog for PgLog {
    fn scan(&mut self, on_entry: &mut dyn FnMut(&Entry<'_>)) -> Result<Scan, Error> {
        self.read(None, on_entry)
    }

    fn scan_from(
        &mut self,
        resume: &Resume,
        on_entry: &mut dyn FnMut(&Entry<'_>),
    ) -> Result<Option<Scan>, Error> {
        let held = self
            .client
            .borrow_mut()
            .query_opt(
                "SELECT hash, end_offset FROM breach.entries WHERE incident = $1 AND seq = $2",
                &[&self.id, &(resume.head.seq as i64)],
            )
            .map_err(|e| self.address.error("read the log", &e))?;
        match held {
            Some(row)
                if row.get::<_, &str>(0) == resume.head.hash
                    && row.get::<_, i64>(1) as u64 == resume.offset =>
            {
                self.read(Some(resume), on_entry).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn append_raw(
        &mut self,
        stamp: &Stamp<'_>,
        actor: &str,
        kind: &str,
        payload: &RawValue,
    ) -> Result<Head, Error> {
        assert_eq!(
            self.access,
            Access::Write,
            "append needs the exclusive lock"
        );
        let tail = self.check_tail()?;
        let (head, line) = match log::encode_next(
            tail.head.as_ref(),
            tail.last_ts.as_deref(),
            stamp,
            actor,
            kind,
            payload,
        ) {
            Ok(next) => next,
            Err(e) => {
                self.rollback();
                return Err(e);
            }
        };
        let len = line.len() as u64;
        self.insert_and_commit(&tail, &[(head.clone(), line.into_bytes())])?;
        self.tail = Some(Tail {
            head: Some(head.clone()),
            len: tail.len + len,
            last_ts: Some(stamp.ts.to_owned()),
        });
        Ok(head)
    }

    fn append_verbatim(&mut self, lines: &[Vec<u8>]) -> Result<Head, Error> {
        let tail = self.check_tail()?;
        let end = log::check_links(tail.head.as_ref(), tail.last_ts.as_deref(), tail.len, lines);
        let end = match end {
            Ok(end) => end,
            Err(e) => {
                self.rollback();
                return Err(e);
            }
        };
        let mut heads = Vec::with_capacity(lines.len());
        let first = tail.head.as_ref().map_or(0, |h| h.seq + 1);
        for (n, line) in lines.iter().enumerate() {
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            let hash =
                String::from_utf8_lossy(&body[body.len().saturating_sub(66)..body.len() - 2])
                    .into_owned();
            heads.push((
                Head {
                    seq: first + n as u64,
                    hash,
                },
                line.clone(),
            ));
        }
        if heads.is_empty() {
            self.rollback();
            return tail
                .head
                .ok_or_else(|| Error::input("nothing to append".to_owned()));
        }
        self.insert_and_commit(&tail, &heads)?;
        self.tail = Some(Tail {
            head: end.head.clone(),
            len: end.good_bytes,
            last_ts: end.last_ts,
        });
        Ok(end.head.expect("lines were appended"))
    }

    fn repair(&mut self, _stamp: &Stamp<'_>, _actor: &str) -> Result<Repaired, Error> {
        let scan = self.read(None, &mut |_| {})?;
        let detail = match scan.damage {
            Some(damage) => format!(
                "{damage}; a database store is never repaired by breach: restore the incident from a backup or a copy (`breach pull`)"
            ),
            None => "the log verifies; there is nothing to repair".to_owned(),
        };
        Err(Error::refused(format!("incident {}: {detail}", self.id)))
    }

    fn location(&self) -> String {
        format!("{} incident {}", self.address.shown, self.id)
    }
}
