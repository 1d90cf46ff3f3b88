//! The commands that check and mend the record itself: `verify` and `repair`.

use serde::Serialize;

use super::{Outcome, Session};
use crate::clock;
use crate::error::Error;
use crate::log::{self, Access, Damage, Head, RepairData};
use crate::render::terminal;
use crate::text::short_hash;

/// A head kept elsewhere: `SEQ:HASH` or just `HASH`.
fn parse_expected_head(text: &str) -> Result<(Option<u64>, String), Error> {
    let (seq, hash) = match text.trim().split_once(':') {
        Some((s, h)) => (
            Some(s.parse::<u64>().map_err(|_| {
                Error::usage(
                    "--expect-head: expected SEQ:HASH (as printed after each write) or HASH",
                )
            })?),
            h,
        ),
        None => (None, text.trim()),
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::usage(
            "--expect-head: the hash must be 64 hexadecimal digits (as printed after each write)",
        ));
    }
    Ok((seq, hash.to_ascii_lowercase()))
}

/// `verify --json`.
#[derive(Debug, Serialize)]
pub struct Verified<'a> {
    pub id: &'a str,
    pub ok: bool,
    pub entries: u64,
    pub head: Option<&'a Head>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// Byte offset of the first damage, when there is damage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

pub(super) fn verify(s: &Session, expect_head: Option<&str>) -> Result<Outcome, Error> {
    let expected = expect_head.map(parse_expected_head).transpose()?;
    let store = s.open_store()?;
    let id = store.resolve(s.incident.as_deref())?;
    let mut log = store.open_log(&id, Access::Read)?;
    let mut found_expected: Option<u64> = None;
    let scan = log.scan(&mut |entry| {
        if let Some((seq, hash)) = &expected
            && entry.hash == *hash
            && seq.is_none_or(|s| s == entry.seq)
        {
            found_expected = Some(entry.seq);
        }
    })?;
    let mut error = scan.damage.as_ref().map(ToString::to_string);
    if error.is_none()
        && let Some((seq, hash)) = &expected
        && found_expected.is_none()
    {
        let last = scan.head.as_ref().map_or(0, |h| h.seq);
        error = Some(match seq {
            Some(s) if *s > last => format!(
                "the kept head is entry {s}, but the log ends at entry {last}: entries were removed"
            ),
            Some(s) => format!(
                "entry {s} does not have the kept hash {}: the log was rewritten",
                short_hash(hash)
            ),
            None => format!(
                "no entry has the kept hash {}: the log was truncated or rewritten",
                short_hash(hash)
            ),
        });
    }
    let ok = error.is_none();
    let stdout = if s.json {
        super::json_doc(&Verified {
            id: &id,
            ok,
            entries: scan.entries,
            head: scan.head.as_ref(),
            error: error.as_deref(),
            offset: scan.damage.as_ref().map(|d| match d {
                Damage::TornTail { offset, .. } | Damage::BadEntry { offset, .. } => *offset,
            }),
        })
    } else {
        let head = scan
            .head
            .as_ref()
            .map_or_else(|| "none".to_owned(), ToString::to_string);
        match &error {
            None => format!(
                "OK: {id}: {} entries, chain intact{}\nhead {head}\n",
                scan.entries,
                if expected.is_some() {
                    ", kept head present"
                } else {
                    ""
                }
            ),
            Some(e) => {
                let hint = if scan.damage.as_ref().is_some_and(log::Damage::is_torn_tail) {
                    "\nThe last write was cut short (a crash or power loss). `breach repair` quarantines the torn bytes and records that it did."
                } else {
                    "\nThe log was altered or damaged after it was written. Restore it from a copy; keep this one for investigation."
                };
                format!(
                    "FAILED: {id}: {e}\n{} entries verified before the problem; last good head {head}{hint}\n",
                    scan.entries
                )
            }
        }
    };
    Ok(Outcome {
        stdout,
        code: u8::from(!ok),
    })
}

/// `repair --json`.
#[derive(Debug, Serialize)]
pub struct RepairedOutput<'a> {
    pub id: &'a str,
    pub removed: &'a RepairData,
    pub head: &'a Head,
}

pub(super) fn repair(s: &Session) -> Result<Outcome, Error> {
    let store = s.open_store()?;
    let id = store.resolve(s.incident.as_deref())?;
    let mut log = store.open_log(&id, Access::Write)?;
    let ts = clock::log_timestamp(s.clock.now());
    let repaired = log.repair(&s.stamp(&ts, None), &s.actor)?;
    if s.json {
        return Ok(Outcome::json(&RepairedOutput {
            id: &id,
            removed: &repaired.data,
            head: &repaired.head,
        }));
    }
    Ok(Outcome::ok(format!(
        "Repaired {id}: quarantined {} torn byte(s) from offset {} (sha256 {}) to {}; the repair is entry {}.\n{}",
        repaired.data.length,
        repaired.data.offset,
        repaired.data.sha256,
        repaired.data.quarantine,
        repaired.head.seq,
        terminal::head_line(&repaired.head)
    )))
}
