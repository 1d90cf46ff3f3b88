//! One incident's log in the database: the rows read back as the directory store's lines and
//! scanned by the evidence format, and an append that is one transaction under the incident's
//! lock, checking the previous head inside it and settling a lost COMMIT on a new connection.

use super::*;
use postgres::types::Type;

/// Whether `id` has the form `breach.incidents` allows (its CHECK): letters, digits, `.`, `_`
/// and `-`, starting with a letter or digit, at most 128 characters.
fn plain_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// An incident's last entry as the database holds it: its head and the byte offset it ends at.
pub(super) fn last_entry(
    client: &mut Client,
    id: &str,
) -> Result<Option<(Head, u64)>, postgres::Error> {
    let row = client.query_typed_opt(
        "SELECT seq, hash, end_offset FROM breach.entries WHERE incident = $1 \
         ORDER BY seq DESC LIMIT 1",
        &[(&id, Type::TEXT)],
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
/// incident's row lock from the open until an append commits (or it is dropped).
pub(super) struct PgLog {
    address: Address,
    client: Shared,
    id: String,
    access: Access,
    in_transaction: bool,
    tail: Option<Tail>,
    /// Whether the tail was read inside the transaction that holds the incident's lock, so
    /// that it is the head an append follows (no other writer can have appended since).
    read_under_lock: bool,
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
    /// The log of incident `id` on the store's connection; opened for writing, it begins the
    /// transaction and takes the incident's lock.
    pub(super) fn open(
        address: Address,
        client: Shared,
        id: &str,
        access: Access,
    ) -> Result<PgLog, Error> {
        let mut log = PgLog {
            address,
            client,
            id: id.to_owned(),
            access,
            in_transaction: false,
            tail: None,
            read_under_lock: false,
        };
        if access == Access::Write {
            log.begin()?;
        }
        Ok(log)
    }

    /// Begins a transaction and waits for the incident's lock, in one round trip; an incident
    /// the store does not hold is an error.
    fn begin(&mut self) -> Result<(), Error> {
        // The id goes into the statement as a literal, so BEGIN and the lock are one simple
        // query: only an id of the form the table's CHECK allows (no quote can be in it).
        if !plain_id(&self.id) {
            return Err(self.missing());
        }
        // The incident's row, locked FOR UPDATE: only a role that may write can take it (it
        // needs UPDATE on a column, which only the writer role holds), so a read-only login
        // can never block the writers, as anyone may take an advisory lock.
        let locked = self
            .client
            .borrow_mut()
            .simple_query(&format!(
                "BEGIN; SELECT 1 FROM breach.incidents WHERE id = '{}' FOR UPDATE",
                self.id
            ))
            .map_err(|e| {
                self.address
                    .error(&format!("lock incident {} for writing", self.id), &e)
            });
        // Whatever the answer, the transaction may be open: a failure rolls it back.
        self.in_transaction = true;
        let found = locked.inspect_err(|_| self.rollback())?;
        if !found
            .iter()
            .any(|m| matches!(m, postgres::SimpleQueryMessage::Row(_)))
        {
            self.rollback();
            return Err(self.missing());
        }
        Ok(())
    }

    /// The error for an incident the store does not hold.
    fn missing(&self) -> Error {
        Error::input(format!("no incident {} in {}", self.id, self.address.shown))
    }

    fn rollback(&mut self) {
        if self.in_transaction {
            let _ = self.client.borrow_mut().batch_execute("ROLLBACK");
            self.in_transaction = false;
        }
        self.read_under_lock = false;
    }

    /// Reads the lines from `after` on (every line when `None`) through the file store's own
    /// scanner, so both backends verify exactly the same bytes in the same way.
    fn read(
        &mut self,
        resume: Option<&Resume>,
        on_entry: &mut dyn FnMut(&Entry<'_>),
    ) -> Result<Scan, Error> {
        let after: i64 = resume.map_or(-1, |r| r.head.seq as i64);
        let scan = {
            let mut client = self.client.borrow_mut();
            let rows = client
                .query_typed_raw(
                    "SELECT line FROM breach.entries WHERE incident = $1 AND seq > $2 ORDER BY seq",
                    [
                        (&self.id as &(dyn postgres::types::ToSql + Sync), Type::TEXT),
                        (&after, Type::INT8),
                    ],
                )
                .map_err(|e| self.address.error("read the log", &e))?;
            let mut lines = Lines {
                rows,
                current: Vec::new(),
                at: 0,
                failed: None,
            };
            let scan = crate::log::scan_from(&mut lines, resume, |e| on_entry(e));
            if let Some(e) = lines.failed.take() {
                return Err(self.address.error("read the log", &e));
            }
            scan.map_err(|e| Error::io("read log", Path::new(&self.address.shown), e))?
        };
        // No line at all: the incident may not be in the store (asked only now, so that a
        // read costs one query when it is).
        if resume.is_none() && scan.entries == 0 && !self.in_transaction && !self.exists()? {
            return Err(self.missing());
        }
        self.read_under_lock = self.in_transaction;
        self.tail = scan.damage.is_none().then(|| Tail {
            head: scan.head.clone(),
            len: scan.good_bytes,
            last_ts: scan.last_ts.clone(),
        });
        Ok(scan)
    }

    /// Whether the store holds the incident.
    fn exists(&self) -> Result<bool, Error> {
        self.client
            .borrow_mut()
            .query_typed_opt(
                "SELECT 1 FROM breach.incidents WHERE id = $1",
                &[(&self.id, Type::TEXT)],
            )
            .map(|row| row.is_some())
            .map_err(|e| self.address.error("read the incident", &e))
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
        // Read inside this transaction, under the lock: nobody has appended since.
        if self.read_under_lock {
            return Ok(tail);
        }
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
            let insert = "INSERT INTO breach.entries (incident, seq, prev, hash, end_offset, kind, line) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)";
            let mut prev = tail
                .head
                .as_ref()
                .map_or_else(|| GENESIS_PREV.to_owned(), |h| h.hash.clone());
            for (head, line) in lines {
                end += line.len() as u64;
                let kind = crate::log::line_kind(line).unwrap_or_default();
                // Typed, so the statement goes with its parameters in one round trip.
                client.execute_typed(
                    insert,
                    &[
                        (&self.id, Type::TEXT),
                        (&(head.seq as i64), Type::INT8),
                        (&prev, Type::TEXT),
                        (&head.hash, Type::TEXT),
                        (&(end as i64), Type::INT8),
                        (&kind, Type::TEXT),
                        (line, Type::BYTEA),
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
        // The lock goes with the transaction: a later append checks the head again.
        self.in_transaction = false;
        self.read_under_lock = false;
        let Err(e) = committed else {
            return Ok(());
        };
        // The server answered with an error that leaves the session alive: it refused the
        // commit, so nothing was recorded. A FATAL answer (a server shutting down terminates its
        // sessions, and may do so just after the commit is durable) says nothing about the
        // commit: ask a new connection, as for a lost answer.
        if let Some(db) = e.as_db_error()
            && db.parsed_severity().map_or(db.severity() == "ERROR", |s| {
                s == postgres::error::Severity::Error
            })
        {
            return Err(Error::NotRecorded(Box::new(
                self.address.error("commit the entry", &e),
            )));
        }
        let last = &lines.last().expect("at least one line").0;
        self.settle_lost_commit(e, last)
    }

    /// After a COMMIT whose answer was lost (the connection went): asks on a new connection
    /// whether the last entry is there, and says recorded, not recorded, or that it cannot be
    /// known now, with the head `verify` will show if it was.
    fn settle_lost_commit(&mut self, e: postgres::Error, last: &Head) -> Result<(), Error> {
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

impl PgLog {
    /// Moves the entries from `first_bad` on into `breach.quarantined_entries` inside this
    /// transaction (the insert-only trigger lets a row go only once its copy is there); returns
    /// their bytes, the SHA-256 of those bytes and the last entry moved. Only the store's
    /// owner may: a writer holds no DELETE, and no INSERT on the quarantine.
    fn quarantine_from(
        &mut self,
        first_bad: u64,
        reason: &str,
    ) -> Result<(u64, String, u64), Error> {
        let id = self.id.clone();
        let moved: Result<Vec<postgres::Row>, postgres::Error> = (|| {
            let mut client = self.client.borrow_mut();
            client.execute("SELECT set_config('breach.quarantine', $1, true)", &[&id])?;
            let rows = client.query(
                "INSERT INTO breach.quarantined_entries \
                     (incident, seq, hash, line, written_by, written_at, reason, quarantined_at) \
                 SELECT incident, seq, hash, line, written_by, written_at, $3, now() \
                 FROM breach.entries WHERE incident = $1 AND seq >= $2 ORDER BY seq \
                 RETURNING seq, line",
                &[&id, &(first_bad as i64), &reason],
            )?;
            client.execute(
                "DELETE FROM breach.entries WHERE incident = $1 AND seq >= $2",
                &[&id, &(first_bad as i64)],
            )?;
            Ok(rows)
        })();
        let rows = match moved {
            Ok(rows) => rows,
            Err(e) => {
                self.rollback();
                if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
                    return Err(Error::refused(format!(
                        "incident {id}: only the store's owner may move damaged entries aside on a database ({}): run `breach repair` with the owner's login",
                        one_line(&e)
                    )));
                }
                return Err(Error::NotRecorded(Box::new(
                    self.address.error("quarantine the damaged entries", &e),
                )));
            }
        };
        let mut sorted: Vec<(i64, Vec<u8>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        sorted.sort_by_key(|(seq, _)| *seq);
        let mut hasher = Sha256::new();
        let mut length = 0u64;
        for (_, line) in &sorted {
            hasher.update(line);
            length += line.len() as u64;
        }
        let last = sorted.last().map_or(first_bad, |(seq, _)| *seq as u64);
        Ok((length, hex::encode(hasher.finalize()), last))
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
            .query_typed_opt(
                "SELECT hash, end_offset FROM breach.entries WHERE incident = $1 AND seq = $2",
                &[
                    (&self.id, Type::TEXT),
                    (&(resume.head.seq as i64), Type::INT8),
                ],
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
        let (head, line) = match crate::log::encode_next(
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
        let end =
            crate::log::check_links(tail.head.as_ref(), tail.last_ts.as_deref(), tail.len, lines);
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

    fn repair(
        &mut self,
        stamp: &Stamp<'_>,
        actor: &str,
        reason: Option<&str>,
    ) -> Result<Repaired, Error> {
        let scan = self.read(None, &mut |_| {})?;
        let Some(damage) = scan.damage else {
            self.rollback();
            return Err(Error::refused(format!(
                "incident {}: the log verifies; there is nothing to repair",
                self.id
            )));
        };
        let Some(reason) = reason else {
            self.rollback();
            return Err(Error::usage(format!(
                "incident {}: {damage}; on a database store `breach repair` moves the entries from the damaged one on into breach.quarantined_entries: say why with --reason (or restore the incident from a copy)",
                self.id
            )));
        };
        let first_bad = scan.head.as_ref().map_or(0, |h| h.seq + 1);
        let (length, sha256, last_bad) = self.quarantine_from(first_bad, reason)?;
        let data = RepairData {
            offset: scan.good_bytes,
            length,
            sha256,
            quarantine: format!(
                "breach.quarantined_entries (incident {}, entries {first_bad}-{last_bad})",
                self.id
            ),
            reason: Some(reason.to_owned()),
        };
        self.tail = Some(Tail {
            head: scan.head.clone(),
            len: scan.good_bytes,
            last_ts: scan.last_ts.clone(),
        });
        let payload = crate::log::to_raw(&data)?;
        let head = self.append_raw(stamp, actor, "log_repaired", &payload)?;
        Ok(Repaired { data, head })
    }

    fn location(&self) -> String {
        format!("{} incident {}", self.address.shown, self.id)
    }
}
