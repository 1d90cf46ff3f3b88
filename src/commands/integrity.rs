//! The commands that check and mend the record itself: `verify` and `repair`.

use serde::Serialize;

use super::signatures::{SignatureCheck, SignatureTally};
use super::timestamps::{TSA_CERTS, TimestampCheck, TimestampVerdict, timestamps_text};
use super::{Outcome, Session};
use crate::clock;
use crate::error::Error;
use crate::incident::verify_opening;
use crate::log::Scan;
use crate::log::{self, Damage, Head, RepairData};
use crate::render::terminal;
use crate::store::{Access, Store};
use crate::text::{sanitize, seq_ranges, short_hash};

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

/// An attachment whose stored content is missing or is not what its entry recorded.
#[derive(Debug, Serialize)]
pub(crate) struct AttachmentProblem {
    pub seq: u64,
    pub name: String,
    pub stored: String,
    pub expected: String,
    /// The SHA-256 found, or `None` when the file is missing.
    pub found: Option<String>,
}

impl std::fmt::Display for AttachmentProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.found {
            None => write!(
                f,
                "entry {}: attachment {} ({}) is missing; expected SHA-256 {}",
                self.seq,
                sanitize(&self.name),
                sanitize(&self.stored),
                self.expected
            ),
            Some(found) => write!(
                f,
                "entry {}: attachment {} ({}) was changed: expected SHA-256 {}, found {found}",
                self.seq,
                sanitize(&self.name),
                sanitize(&self.stored),
                self.expected
            ),
        }
    }
}

/// `verify --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Verified<'a> {
    pub id: &'a str,
    pub ok: bool,
    pub entries: u64,
    pub head: Option<&'a Head>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// Byte offset of the first damage, when there is damage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// How many attachments were re-hashed.
    pub attachments_checked: usize,
    /// Attachments missing or changed.
    pub attachment_problems: &'a [AttachmentProblem],
    /// Entries recorded on a substituted clock (`BREACH_NOW`), not the system's.
    pub substituted_clock: &'a [u64],
    /// The database logins that wrote the entries (a database store only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_by: Option<&'a [crate::store::Writer]>,
    /// What the entries' signatures say.
    pub signatures: &'a SignatureTally,
    /// Each time-stamping authority's token, read again and compared with the entry it covers.
    pub timestamps: &'a [TimestampVerdict],
}

/// What `verify` is asked beyond the record itself.
#[derive(Debug, Default)]
pub(crate) struct VerifyArgs {
    /// A head kept elsewhere that the log must still contain.
    pub expect_head: Option<String>,
    /// Fail on an unsigned entry too.
    pub require_signatures: bool,
    /// Write each signed entry's message and signature here.
    pub export_signatures: Option<std::path::PathBuf>,
}

/// What an attachment entry names, as verify needs it.
#[derive(Debug, serde::Deserialize)]
struct AttachmentRef {
    name: String,
    stored: String,
    sha256: String,
}

pub(super) fn verify(s: &Session, args: &VerifyArgs) -> Result<Outcome, Error> {
    let expected = args
        .expect_head
        .as_deref()
        .map(parse_expected_head)
        .transpose()?;
    let store = s.open_store()?;
    let id = s.resolve(&store)?;
    let mut signatures = SignatureCheck::new(
        s.profile.get("allowed_signers"),
        args.export_signatures.as_deref(),
    )?;
    let mut timestamps = TimestampCheck::new(s.profile.get(TSA_CERTS))?;
    let Checked {
        scan,
        mut error,
        problems,
        attachments,
        substituted,
    } = check(
        &store,
        &id,
        expected.as_ref(),
        &mut signatures,
        &mut timestamps,
    )?;
    let signatures = signatures.finish(args.require_signatures)?;
    if error.is_none() {
        error.clone_from(&signatures.first_problem);
    }
    let ok = error.is_none();
    let writers = store.writers(&id)?;
    let clock_note = (!substituted.is_empty()).then(|| {
        format!(
            "Entries {} were recorded on a substituted clock (BREACH_NOW), not the system clock: their times are what whoever ran breach set, not when they were written.",
            seq_ranges(&substituted)
        )
    });
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
            attachments_checked: attachments,
            attachment_problems: &problems,
            substituted_clock: &substituted,
            written_by: writers.as_deref(),
            signatures: &signatures,
            timestamps: &timestamps.verdicts,
        })
    } else {
        let mut text = verify_text(
            &id,
            &scan,
            error.as_deref(),
            &problems,
            (
                attachments,
                expected.is_some(),
                scan.damage.is_none()
                    && signatures.bad == 0
                    && error.is_some()
                    && signatures.first_problem == error,
            ),
            writers.as_deref(),
            clock_note,
        );
        text.push_str(&signatures_text(&signatures));
        text.push_str(&timestamps_text(&timestamps.verdicts));
        text
    };
    Ok(Outcome::with_code(stdout, u8::from(!ok)))
}

/// What `verify` found: the scan, the first problem in words, the attachments that do not
/// match, how many were re-hashed, and the entries written on a substituted clock.
pub(super) struct Checked {
    scan: Scan,
    pub(super) error: Option<String>,
    problems: Vec<AttachmentProblem>,
    attachments: usize,
    substituted: Vec<u64>,
}

/// Why a log with no entries fails: a record starts with its opening entry.
const EMPTY_LOG: &str = "the log has no entries: an incident's record starts with its `incident_opened` entry, so this one was emptied or never written";

/// Reads the whole log, checking every line, the first entry, every attachment's content and,
/// when one is kept, the kept head.
pub(super) fn check(
    store: &Store,
    id: &str,
    expected: Option<&(Option<u64>, String)>,
    signatures: &mut super::signatures::SignatureCheck,
    timestamps: &mut TimestampCheck,
) -> Result<Checked, Error> {
    let mut log = store.open_log(id, Access::Read)?;
    let mut found_expected: Option<u64> = None;
    let mut opening: Option<Error> = None;
    let mut attachments: Vec<(u64, AttachmentRef)> = Vec::new();
    let mut unreadable_attachment: Option<String> = None;
    let mut substituted: Vec<u64> = Vec::new();
    let bar = crate::render::progress::log_bar(store.log_bytes(id), "verifying");
    let scan = log.scan(&mut |entry| {
        bar.inc(entry.line.len() as u64 + 1);
        if let Some((seq, hash)) = &expected
            && entry.hash == *hash
            && seq.is_none_or(|s| s == entry.seq)
        {
            found_expected = Some(entry.seq);
        }
        if entry.seq == 0 {
            opening = verify_opening(entry, id).err();
        }
        if entry.substituted() {
            substituted.push(entry.seq);
        }
        signatures.see(entry);
        timestamps.see(entry);
        if entry.kind == "attachment" {
            match serde_json::from_str::<AttachmentRef>(entry.data.get()) {
                Ok(a) => attachments.push((entry.seq, a)),
                Err(e) => {
                    unreadable_attachment.get_or_insert_with(|| {
                        format!(
                            "entry {}: the attachment entry cannot be read: {e}",
                            entry.seq
                        )
                    });
                }
            }
        }
    })?;
    bar.finish_and_clear();
    if scan.damage.is_none() && timestamps.needs_hashes() {
        timestamps.compare(&hashes_of(store, id, timestamps.covered().collect())?);
    }
    let mut error = scan
        .damage
        .as_ref()
        .map(ToString::to_string)
        .or_else(|| (scan.entries == 0).then(|| EMPTY_LOG.to_owned()))
        .or_else(|| opening.map(|e| e.to_string()))
        .or(unreadable_attachment)
        .or_else(|| signatures.tally.first_problem.clone())
        .or_else(|| timestamps.first_problem());
    let problems = attachment_problems(store, id, &attachments)?;
    if error.is_none() {
        error = problems.first().map(ToString::to_string);
    }
    if error.is_none()
        && let Some((seq, hash)) = &expected
        && found_expected.is_none()
    {
        let last = scan.head.as_ref().map_or(0, |h| h.seq);
        error = Some(kept_head_missing(*seq, hash, last));
    }
    Ok(Checked {
        scan,
        error,
        problems,
        attachments: attachments.len(),
        substituted,
    })
}

/// The hashes of the entries `wanted` as the log holds them now (a second read, made only for
/// a log with time stamps, so that `verify` keeps no hash of every entry).
fn hashes_of(
    store: &Store,
    id: &str,
    wanted: std::collections::HashSet<u64>,
) -> Result<std::collections::HashMap<u64, String>, Error> {
    let mut found = std::collections::HashMap::new();
    store.open_log(id, Access::Read)?.scan(&mut |entry| {
        if wanted.contains(&entry.seq) {
            found.insert(entry.seq, entry.hash.to_owned());
        }
    })?;
    Ok(found)
}

/// Each attachment an entry names whose content is missing or not what the entry records.
fn attachment_problems(
    store: &Store,
    id: &str,
    attachments: &[(u64, AttachmentRef)],
) -> Result<Vec<AttachmentProblem>, Error> {
    let mut problems = Vec::new();
    for (seq, a) in attachments {
        let found = store.attachment_sha256(id, &a.stored)?;
        if found.as_deref() != Some(a.sha256.as_str()) {
            problems.push(AttachmentProblem {
                seq: *seq,
                name: a.name.clone(),
                stored: a.stored.clone(),
                expected: a.sha256.clone(),
                found,
            });
        }
    }
    Ok(problems)
}

/// Why a kept head is not in a log that ends at entry `last`: entries removed, or rewritten.
fn kept_head_missing(seq: Option<u64>, hash: &str, last: u64) -> String {
    match seq {
        Some(s) if s > last => format!(
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
    }
}

/// What the signatures say, for a person: nothing when no entry is signed.
fn signatures_text(t: &SignatureTally) -> String {
    if t.signed == 0 {
        return String::new();
    }
    let who: Vec<String> = t
        .signers
        .iter()
        .map(|s| {
            format!(
                "{} with {} ({} entries, {}-{})",
                sanitize(&s.principal),
                s.key,
                s.entries,
                s.first,
                s.last
            )
        })
        .collect();
    let mut out = format!(
        "Signatures: {} signed, {} unsigned, {} bad; signed by {}\n",
        t.signed,
        t.unsigned,
        t.bad,
        if who.is_empty() {
            "nobody verified".to_owned()
        } else {
            who.join(", ")
        }
    );
    if t.unattributed > 0 {
        out.push_str(&format!(
            "Note: {} signature(s) hold but no allowed signers file says whose keys they are (`breach config set allowed_signers FILE`).\n",
            t.unattributed
        ));
    }
    out
}

/// `verify`'s report for a person.
fn verify_text(
    id: &str,
    scan: &Scan,
    error: Option<&str>,
    problems: &[AttachmentProblem],
    (attachments, expected, unsigned): (usize, bool, bool),
    writers: Option<&[crate::store::Writer]>,
    clock_note: Option<String>,
) -> String {
    let head = scan
        .head
        .as_ref()
        .map_or_else(|| "none".to_owned(), ToString::to_string);
    let mut out = match &error {
        None => format!(
            "OK: {id}: {} entries, chain intact, pinned runbook checked, {} attachment(s) re-hashed{}\nhead {head}\n",
            scan.entries,
            attachments,
            if expected { ", kept head present" } else { "" }
        ),
        Some(e) => {
            let hint = if scan.damage.as_ref().is_some_and(log::Damage::is_torn_tail) {
                "\nThe last write was cut short (a crash or power loss). `breach repair` quarantines the torn bytes and records that it did."
            } else if unsigned {
                "\nThe chain is intact, but entries are not signed as required: find out who wrote them, and sign from now on (--signing-key)."
            } else {
                "\nThe record was altered or damaged after it was written. Restore it from a copy; keep this one for investigation."
            };
            let mut more = String::new();
            for p in problems.iter().skip(1) {
                more.push_str(&format!("\n{p}"));
            }
            format!(
                "FAILED: {id}: {e}{more}\n{} entries verified before the problem; last good head {head}{hint}\n",
                scan.entries
            )
        }
    };
    if let Some(writers) = writers.filter(|w| !w.is_empty()) {
        let who: Vec<String> = writers
            .iter()
            .map(|w| {
                format!(
                    "{} ({} entries, {}-{})",
                    sanitize(&w.role),
                    w.entries,
                    w.first,
                    w.last
                )
            })
            .collect();
        out.push_str(&format!(
            "Written by the database logins: {}\n",
            who.join(", ")
        ));
    }
    if let Some(note) = clock_note {
        out.push_str(&format!("Note: {note}\n"));
    }
    out
}

/// `repair --json`.
#[derive(Debug, Serialize)]
pub(crate) struct RepairedOutput<'a> {
    pub id: &'a str,
    pub removed: &'a RepairData,
    pub head: &'a Head,
}

pub(super) fn repair(s: &Session, reason: Option<&str>) -> Result<Outcome, Error> {
    let reason = reason
        .map(|r| crate::incident::input::check_text("--reason", r, true))
        .transpose()?;
    let store = s.open_store()?;
    let id = s.resolve(&store)?;
    let mut log = store.open_log(&id, Access::Write)?;
    let ts = clock::log_timestamp(s.calendar.now());
    let repaired = log.repair(&s.stamp(&ts, None), &s.actor, reason.as_deref())?;
    if s.json {
        return Ok(Outcome::json(&RepairedOutput {
            id: &id,
            removed: &repaired.data,
            head: &repaired.head,
        })
        .recorded(&repaired.head));
    }
    Ok(Outcome::ok(format!(
        "Repaired {id}: quarantined {} byte(s) from offset {} (sha256 {}) to {}; the repair is entry {}.\n{}",
        repaired.data.length,
        repaired.data.offset,
        repaired.data.sha256,
        repaired.data.quarantine,
        repaired.head.seq,
        terminal::head_line(&repaired.head)
    ))
    .recorded(&repaired.head))
}
