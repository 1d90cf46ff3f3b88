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
    // The source, whole and verified: what is copied is a record that checks.
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut hashes: Vec<String> = Vec::new();
    {
        let mut log = from.open_log(id, Access::Read)?;
        log.read_verified(|entry| {
            let mut line = Vec::with_capacity(entry.line.len() + 1);
            line.extend_from_slice(entry.line.as_bytes());
            line.push(b'\n');
            lines.push(line);
            hashes.push(entry.hash.to_owned());
        })?;
    }
    let Some(genesis) = lines.first() else {
        return Err(Error::input(format!("incident {id} has no entries")));
    };
    let head = Head {
        seq: lines.len() as u64 - 1,
        hash: hashes.last().cloned().unwrap_or_default(),
    };
    let created = to.ids()?.binary_search(&id.to_owned()).is_err();
    if created {
        to.create_incident_verbatim(id, genesis)?;
    }
    // Attachments first: an entry never names an attachment the other side lacks.
    let stored = from.attachments(id)?;
    let new_attachments = copy_attachments(from, to, id, &stored)?;
    // Then every entry the other side lacks, after checking that what it holds is the same.
    let held = {
        let mut log = to.open_log(id, Access::Write)?;
        let mut held: Vec<String> = Vec::new();
        log.read_verified(|entry| held.push(entry.hash.to_owned()))?;
        if held.len() > hashes.len() {
            return Err(Error::refused(format!(
                "{} holds {} entries of incident {id}, more than {} ({}): copy the other way",
                to.location(),
                held.len(),
                from.location(),
                hashes.len()
            )));
        }
        if let Some(n) = held.iter().zip(&hashes).position(|(a, b)| a != b) {
            return Err(Error::refused(format!(
                "incident {id} differs between the stores from entry {n} on: {} holds {}, {} holds {}; nothing was copied (two records of one incident are never merged)",
                from.location(),
                short_hash(&hashes[n]),
                to.location(),
                short_hash(&held[n])
            )));
        }
        if held.len() < lines.len() {
            log.append_verbatim(&lines[held.len()..])?;
        }
        held.len()
    };
    check_copy(to, id, &head, &stored)?;
    Ok(Copied {
        id: id.to_owned(),
        from: from.location(),
        to: to.location(),
        entries: lines.len() as u64,
        new_entries: (lines.len() - held + usize::from(created)) as u64,
        attachments: stored.len(),
        new_attachments,
        head,
    })
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
