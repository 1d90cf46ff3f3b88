//! The commands that move a record between stores and set up a shared one: `store init`,
//! `push` and `pull`.
//!
//! A copy is byte for byte: every entry goes across as the exact line it was written as, so no
//! hash changes and a head kept elsewhere still verifies on the other side. Attachments go
//! first (under their SHA-256, checked on the way in), then each entry the other store lacks,
//! each checked as the next link there; an incident whose chain differs on the other side is
//! refused, never merged. The copy is read back and verified before the command says it worked.

use std::path::Path;

use serde::Serialize;

use super::{Outcome, Session, json_doc};
use crate::error::Error;
use crate::log::Head;
use crate::store::Access;
use crate::store::Store;
use crate::store::postgres::{PgStore, schema};
use crate::text::short_hash;

/// `breach store init`: the tables, triggers and roles of a PostgreSQL store.
pub(super) fn init(s: &Session) -> Result<Outcome, Error> {
    let crate::store::StoreAddress::Postgres(url) = &s.store else {
        return Err(Error::refused(format!(
            "{} is a directory store, which needs no setting up (`breach start` creates it); `breach store init` is for a postgresql:// store",
            s.store
        )));
    };
    let (address, mut client) = PgStore::connect_for_init(url)?;
    let done = schema::init(&mut client, &address.shown)?;
    if s.json {
        return Ok(Outcome::ok(json_doc(&done)));
    }
    let mut out = if done.applied.is_empty() {
        format!(
            "The store at {} is up to date (schema version {}).\n",
            done.store, done.version
        )
    } else {
        format!(
            "Set up the store at {}: schema version {} → {} ({}).\n",
            done.store,
            done.from_version,
            done.version,
            done.applied.join("; ")
        )
    };
    out.push_str(&format!(
        "Roles: {writer} may read and insert; {auditor} may only read. Neither may UPDATE, DELETE or TRUNCATE, and triggers refuse those for everyone.\nGive each person a login of their own and one role, e.g.:\n  CREATE ROLE alice LOGIN PASSWORD '…' IN ROLE {writer};\n  CREATE ROLE counsel LOGIN PASSWORD '…' IN ROLE {auditor};\n",
        writer = done.writer_role,
        auditor = done.auditor_role
    ));
    Ok(Outcome::ok(out))
}

/// What `push` and `pull` print under `--json`.
#[derive(Debug, Serialize)]
pub(crate) struct Copied {
    pub id: String,
    pub from: String,
    pub to: String,
    /// Entries in the incident's log.
    pub entries: u64,
    /// Entries the other store did not hold before.
    pub new_entries: u64,
    pub attachments: usize,
    pub new_attachments: usize,
    /// The head, the same on both sides, verified on the other side after the copy.
    pub head: Head,
}

/// `breach push --to STORE`: this store's incident into another.
pub(super) fn push(s: &Session, to: &Path) -> Result<Outcome, Error> {
    let from = s.open_store()?;
    let id = s.resolve(&from)?;
    check_source(s, &from, &id)?;
    let target = Store::create(&crate::store::StoreAddress::parse(to), false)?;
    report(s, &copy(&from, &target, &id)?)
}

/// `breach pull --from STORE`: another store's incident into this one.
pub(super) fn pull(s: &Session, from: &Path) -> Result<Outcome, Error> {
    let source = Store::open(&crate::store::StoreAddress::parse(from))?;
    let id = source.resolve(s.incident.as_deref())?;
    check_source(s, &source, &id)?;
    let target = s.create_store()?;
    report(s, &copy(&source, &target, &id)?)
}

/// Refuses to copy a record that does not verify in its source as `verify` checks it
/// (attachments included), before anything is created on the other side: a damaged record is
/// never promoted.
fn check_source(s: &Session, from: &Store, id: &str) -> Result<(), Error> {
    let mut signatures =
        super::signatures::SignatureCheck::new(s.profile.get("allowed_signers"), None)?;
    let mut timestamps =
        super::timestamps::TimestampCheck::new(s.profile.get(super::timestamps::TSA_CERTS))?;
    match super::integrity::check(from, id, None, &mut signatures, &mut timestamps)?.error {
        None => Ok(()),
        Some(problem) => Err(Error::refused(format!(
            "incident {id} does not verify in {}: {problem}; nothing was copied (`breach verify` there says more)",
            from.location()
        ))),
    }
}

fn report(s: &Session, copied: &Copied) -> Result<Outcome, Error> {
    if s.json {
        return Ok(Outcome::ok(json_doc(copied)));
    }
    Ok(Outcome::ok(format!(
        "Copied incident {} from {} to {}: {} entries ({} new), {} attachments ({} new).\nVerified there: head {}:{} (full hash {}), the same on both sides.\n",
        copied.id,
        copied.from,
        copied.to,
        copied.entries,
        copied.new_entries,
        copied.attachments,
        copied.new_attachments,
        copied.head.seq,
        short_hash(&copied.head.hash),
        copied.head.hash
    )))
}

/// Copies incident `id` from `from` into `to`, byte for byte, and verifies it there.
fn copy(from: &Store, to: &Store, id: &str) -> Result<Copied, Error> {
    if from.location() == to.location() {
        return Err(Error::usage(format!(
            "{} is the store the incident is in already",
            to.location()
        )));
    }
    // The source, whole and verified, before anything is written: what is copied is a record
    // that checks. Only its genesis line and head are kept: the lines are read again as they
    // are copied, so memory does not grow with the log.
    let mut source = from.open_log(id, Access::Read)?;
    let mut genesis: Option<Vec<u8>> = None;
    let scan = source.read_verified(|entry| {
        if entry.seq == 0 {
            genesis = Some(line_of(entry));
        }
    })?;
    let (Some(genesis), Some(head)) = (genesis, scan.head.clone()) else {
        return Err(Error::input(format!("incident {id} has no entries")));
    };
    let entries = head.seq + 1;
    let created = to.ids()?.binary_search(&id.to_owned()).is_err();
    if created {
        to.create_incident_verbatim(id, &genesis)?;
    }
    // Attachments first: an entry never names an attachment the other side lacks.
    let stored = from.attachments(id)?;
    let new_attachments = copy_attachments(from, to, id, &stored)?;
    // Then every entry the other side lacks, after checking that what it holds is the same.
    let held = {
        let mut log = to.open_log(id, Access::Write)?;
        let there = log.read_verified(|_| {})?;
        let held = there.entries;
        if held > entries {
            return Err(Error::refused(format!(
                "{} holds {held} entries of incident {id}, more than {entries} ({}): copy the other way",
                to.location(),
                from.location(),
            )));
        }
        let same = copy_entries_after(source.as_mut(), log.as_mut(), there.head.as_ref())?;
        if !same {
            drop(log);
            return Err(first_difference(source.as_mut(), from, to, id));
        }
        held
    };
    drop(source);
    check_copy(to, id, &head, &stored)?;
    Ok(Copied {
        id: id.to_owned(),
        from: from.location(),
        to: to.location(),
        entries,
        new_entries: entries - held + u64::from(created),
        attachments: stored.len(),
        new_attachments,
        head,
    })
}

/// An entry's line as the log holds it, newline and all.
fn line_of(entry: &crate::log::Entry<'_>) -> Vec<u8> {
    let mut line = Vec::with_capacity(entry.line.len() + 1);
    line.extend_from_slice(entry.line.as_bytes());
    line.push(b'\n');
    line
}

/// Lines copied per append: about a MiB, so that memory stays flat however long the log.
const COPY_BATCH_BYTES: usize = 1 << 20;

/// The refusal of a copy onto a different record of the incident, naming the first entry
/// that differs (only on this path are the hashes of both kept).
fn first_difference(
    source: &mut dyn crate::store::IncidentLog,
    from: &Store,
    to: &Store,
    id: &str,
) -> Error {
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let read = source
        .read_verified(|e| ours.push(e.hash.to_owned()))
        .and_then(|_| to.open_log(id, Access::Read))
        .and_then(|mut log| log.read_verified(|e| theirs.push(e.hash.to_owned())));
    if let Err(e) = read {
        return e;
    }
    let n = theirs
        .iter()
        .zip(&ours)
        .position(|(a, b)| a != b)
        .unwrap_or(0);
    Error::refused(format!(
        "incident {id} differs between the stores from entry {n} on: {} holds {}, {} holds {}; nothing was copied (two records of one incident are never merged)",
        from.location(),
        short_hash(ours.get(n).map_or("", String::as_str)),
        to.location(),
        short_hash(theirs.get(n).map_or("", String::as_str))
    ))
}

/// Appends to `log`, which ends at `last`, the source's entries after it, about a MiB at a time,
/// each batch checked as the next links there. The source's entry numbered as `last` must
/// have its hash (a hash covers every link before it), or nothing is appended and the answer
/// is `false`: the two are different records.
fn copy_entries_after(
    source: &mut dyn crate::store::IncidentLog,
    log: &mut dyn crate::store::IncidentLog,
    last: Option<&Head>,
) -> Result<bool, Error> {
    let held = last.map_or(0, |h| h.seq + 1);
    let mut same = last.is_none();
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let mut bytes = 0;
    let mut failed: Option<Error> = None;
    source.read_verified(|e| {
        if let Some(last) = last.filter(|l| l.seq == e.seq) {
            same = e.hash == last.hash;
        }
        if e.seq < held || !same || failed.is_some() {
            return;
        }
        let line = line_of(e);
        bytes += line.len();
        batch.push(line);
        if bytes >= COPY_BATCH_BYTES {
            failed = log.append_verbatim(&batch).err();
            batch.clear();
            bytes = 0;
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if !same {
        return Ok(false);
    }
    if !batch.is_empty() {
        log.append_verbatim(&batch)?;
    }
    Ok(true)
}

/// Copies each of the incident's attachments the other side lacks, checking each is stored
/// under its content's SHA-256; returns how many were new there.
fn copy_attachments(from: &Store, to: &Store, id: &str, stored: &[String]) -> Result<usize, Error> {
    let mut new_attachments = 0;
    for name in stored {
        let Some(mut content) = from.open_attachment(id, name)? else {
            continue;
        };
        let copy = to.put_attachment_from(id, &mut content)?;
        if &copy.stored != name {
            return Err(Error::StoreDamaged {
                path: format!("{} incident {id} {name}", from.location()).into(),
                detail: format!(
                    "its content has SHA-256 {}, not the one it is stored under; nothing more was copied",
                    copy.sha256
                ),
            });
        }
        if copy.created {
            new_attachments += 1;
        }
    }
    Ok(new_attachments)
}

/// Reads back what the other side holds after a copy, from the start, as `verify` does: it
/// must end at `head` and hold every attachment with its content's SHA-256.
fn check_copy(to: &Store, id: &str, head: &Head, stored: &[String]) -> Result<(), Error> {
    // Read back what the other side holds now, from the start, as `verify` does.
    let mut there: Option<Head> = None;
    {
        let mut log = to.open_log(id, Access::Read)?;
        log.read_verified(|entry| there = Some(entry.head()))?;
    }
    if there.as_ref() != Some(head) {
        return Err(Error::StoreDamaged {
            path: to.location().into(),
            detail: format!(
                "after the copy, incident {id} ends at {} there, not at {}:{}",
                there.map_or_else(|| "nothing".to_owned(), |h| h.to_string()),
                head.seq,
                head.hash
            ),
        });
    }
    let mut signatures = super::signatures::SignatureCheck::new(None, None)?;
    let mut timestamps = super::timestamps::TimestampCheck::new(None)?;
    if let Some(problem) =
        super::integrity::check(to, id, None, &mut signatures, &mut timestamps)?.error
    {
        return Err(Error::StoreDamaged {
            path: to.location().into(),
            detail: format!("after the copy, incident {id} does not verify there: {problem}"),
        });
    }
    for name in stored {
        let expected = name.trim_start_matches("attachments/");
        if to.attachment_sha256(id, name)?.as_deref() != Some(expected) {
            return Err(Error::StoreDamaged {
                path: to.location().into(),
                detail: format!(
                    "after the copy, attachment {name} of incident {id} does not match its SHA-256 there"
                ),
            });
        }
    }
    Ok(())
}
