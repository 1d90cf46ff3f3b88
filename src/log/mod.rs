//! The evidence format: the record layout, its encoding, the hash chain, and a scan that verifies
//! a log read from any `Read` — nothing else. It does no file-system work: where the bytes live
//! (a file under a lock, a database row) is the store's business, and every store hands its
//! bytes to [`scan`] so that all of them are verified the same way.
//!
//! Enough to write an independent verifier from: a log is UTF-8 text, one entry per line
//! (`record`: the field order, the optional fields and the hash); each line's `prev` is the hash
//! of the line before it ([`GENESIS_PREV`] for the first); `seq` counts from 0 without gaps; `ts`
//! never goes backwards; only bytes after the last newline can be a torn tail, and a complete
//! line that fails any check is damage, named by its entry and byte offset ([`Damage`]).

mod lines;
pub(crate) mod record;

use std::io::Read;
use std::path::Path;

use serde::Serialize;
use serde_json::value::RawValue;

pub(crate) use record::{
    Entry, FORMAT, GENESIS_PREV, HASH_ALGORITHM, Head, LineFault, LineSigner, MAX_LINE_BYTES,
    Stamp, check_line, earlier_than, encode, line_hash, line_kind, read_checked_line,
    signed_message, try_encode,
};

use crate::error::Error;

/// What is wrong with a log, located by entry and byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Damage {
    /// Bytes after the last complete entry: an append cut short (power loss). `repair` handles it.
    TornTail { offset: u64, length: u64 },
    /// A complete line that is not the valid next link of the chain.
    BadEntry {
        seq: u64,
        offset: u64,
        fault: LineFault,
    },
}

impl Damage {
    pub(crate) fn is_torn_tail(&self) -> bool {
        matches!(self, Damage::TornTail { .. })
    }
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::TornTail { offset, length } => write!(
                f,
                "torn tail: {length} byte(s) at byte offset {offset} after the last complete entry"
            ),
            Damage::BadEntry { seq, offset, fault } => {
                write!(f, "entry {seq} at byte offset {offset}: {fault}")
            }
        }
    }
}

/// The result of reading a whole log.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scan {
    pub entries: u64,
    pub head: Option<Head>,
    /// The recording time of the last good entry.
    pub last_ts: Option<String>,
    /// Length of the verified prefix in bytes.
    pub good_bytes: u64,
    pub damage: Option<Damage>,
}

impl Scan {
    /// The scan, or the damage it found as the error every reader reports.
    pub(crate) fn verified(self, path: &Path) -> Result<Scan, Error> {
        match &self.damage {
            Some(damage) => Err(Error::LogDamaged {
                path: path.to_owned(),
                detail: damage.to_string(),
                torn_tail: damage.is_torn_tail(),
            }),
            None => Ok(self),
        }
    }
}

/// Reads entries from `reader`, verifying each, and hands each good one to `on_entry`.
/// Memory stays flat in the number of entries. Stops at the first damage.
///
/// Only bytes after the last newline can be a torn tail (an append cut short: the one write of a
/// line ends with its newline). A complete line that is not the valid next link — unreadable,
/// altered, out of order, or recorded earlier than the entry before it — is damage.
pub(crate) fn scan<R: Read>(reader: R, on_entry: impl FnMut(&Entry<'_>)) -> std::io::Result<Scan> {
    scan_from(reader, None, on_entry)
}

/// Where a verified prefix of a log ends, so that a later read can verify only what follows:
/// the byte offset after the entry `head`, and that entry's recording time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub(crate) struct Resume {
    pub offset: u64,
    pub head: Head,
    pub last_ts: String,
}

/// As [`scan`], from `resume` (a reader positioned at its offset) instead of the beginning:
/// the first entry read must be the next link after `resume.head`. Offsets and counts in the
/// result are of the whole log.
pub(crate) fn scan_from<R: Read>(
    reader: R,
    resume: Option<&Resume>,
    mut on_entry: impl FnMut(&Entry<'_>),
) -> std::io::Result<Scan> {
    let mut reader = lines::LineReader::new(reader);
    let mut scan = Scan::default();
    let mut prev = GENESIS_PREV.to_owned();
    let mut last_ts = String::new();
    let mut last_seq: Option<u64> = None;
    if let Some(r) = resume {
        prev.clone_from(&r.head.hash);
        last_ts.clone_from(&r.last_ts);
        last_seq = Some(r.head.seq);
        scan.entries = r.head.seq + 1;
        scan.good_bytes = r.offset;
    }
    let damage = loop {
        let offset = scan.good_bytes;
        let line = match reader.next_line()? {
            lines::Line::Whole(line) => line,
            lines::Line::End => break None,
            lines::Line::TooLong => {
                break Some(Damage::BadEntry {
                    seq: scan.entries,
                    offset,
                    fault: LineFault::TooLong,
                });
            }
            lines::Line::Torn { length } => break Some(Damage::TornTail { offset, length }),
        };
        let body = &line[..line.len() - 1];
        let checked = check_line(body, offset, scan.entries, &prev).and_then(|entry| {
            if last_seq.is_some() && earlier_than(&entry.ts, &last_ts) {
                Err(LineFault::TimeWentBackwards {
                    previous: last_ts.clone(),
                    found: entry.ts.to_string(),
                })
            } else {
                Ok(entry)
            }
        });
        match checked {
            Ok(entry) => {
                on_entry(&entry);
                prev.clear();
                prev.push_str(entry.hash);
                last_ts.clear();
                last_ts.push_str(&entry.ts);
                last_seq = Some(entry.seq);
                scan.entries += 1;
                scan.good_bytes += line.len() as u64;
            }
            Err(fault) => {
                break Some(Damage::BadEntry {
                    seq: scan.entries,
                    offset,
                    fault,
                });
            }
        }
    };
    // The last good link, where the scan stopped.
    scan.damage = damage;
    scan.head = last_seq.map(|seq| Head { seq, hash: prev });
    scan.last_ts = last_seq.map(|_| last_ts);
    Ok(scan)
}

/// The payload of a `log_repaired` entry.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct RepairData {
    pub offset: u64,
    pub length: u64,
    pub sha256: String,
    pub quarantine: String,
    /// Why, as the person who repaired gave it (required on a database store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An entry's payload, encoded once as it will be written.
pub(crate) fn to_raw(data: &impl Serialize) -> Result<Box<RawValue>, Error> {
    serde_json::value::to_raw_value(data).map_err(|e| Error::internal("cannot encode entry", e))
}

/// Encodes the entry that follows `head` (recorded at `last_ts`): refused, as NOT recorded, when
/// the clock reads earlier than the last entry (it was set back; the log's times only move
/// forward) or when the line would be longer than an entry may be. Returns its head and line.
pub(crate) fn encode_next(
    head: Option<&Head>,
    last_ts: Option<&str>,
    stamp: &Stamp<'_>,
    actor: &str,
    kind: &str,
    payload: &RawValue,
) -> Result<(Head, String), Error> {
    let (seq, prev) = match head {
        Some(h) => (h.seq + 1, h.hash.as_str()),
        None => (0, GENESIS_PREV),
    };
    if let Some(last) = last_ts.filter(|l| earlier_than(stamp.ts, l)) {
        return Err(Error::NotRecorded(Box::new(Error::refused(format!(
            "the clock reads {}, earlier than entry {} ({last}); the log's times only move forward: check the machine's clock",
            stamp.ts,
            seq.saturating_sub(1)
        )))));
    }
    let (line, hash) = try_encode(seq, prev, stamp, actor, kind, payload).map_err(|e| match e {
        Error::NotRecorded(_) => e,
        e => Error::NotRecorded(Box::new(e)),
    })?;
    if line.len() > MAX_LINE_BYTES {
        return Err(Error::NotRecorded(Box::new(Error::input(format!(
            "the entry would be {} bytes; an entry may be at most {MAX_LINE_BYTES} bytes",
            line.len()
        )))));
    }
    Ok((Head { seq, hash }, line))
}

/// Checks that `genesis` is one complete line holding a valid first entry, and returns its head.
pub(crate) fn check_genesis(genesis: &[u8]) -> Result<Head, Error> {
    check_links(None, None, 0, &[genesis.to_vec()])?
        .head
        .ok_or_else(|| Error::input("an incident's first entry is missing".to_owned()))
}

/// Checks that `lines` (each complete, with its newline) continue a chain whose last entry is
/// `head` (recorded at `last_ts`, ending at byte `len`): each the next valid link, none recorded
/// earlier than the one before. Returns where the chain ends after them.
pub(crate) fn check_links(
    head: Option<&Head>,
    last_ts: Option<&str>,
    len: u64,
    lines: &[Vec<u8>],
) -> Result<Scan, Error> {
    let resume = head.map(|h| Resume {
        offset: len,
        head: h.clone(),
        last_ts: last_ts.unwrap_or_default().to_owned(),
    });
    let joined: Vec<u8> = lines.concat();
    let scan = scan_from(joined.as_slice(), resume.as_ref(), |_| {})
        .map_err(|e| Error::input(format!("cannot read the entries: {e}")))?;
    match scan.damage {
        Some(damage) => Err(Error::NotRecorded(Box::new(Error::refused(format!(
            "the entries are not the next links of this log's chain: {damage}"
        ))))),
        None => Ok(scan),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A valid log of `notes.len() + 1` entries and the offset where each line starts.
    pub(crate) fn build(notes: &[String]) -> (Vec<u8>, Vec<usize>) {
        let mut bytes = Vec::new();
        let mut starts = Vec::new();
        let mut prev = GENESIS_PREV.to_owned();
        for (seq, text) in std::iter::once("opened".to_owned())
            .chain(notes.iter().cloned())
            .enumerate()
        {
            let data =
                serde_json::value::to_raw_value(&serde_json::json!({ "text": text })).unwrap();
            let (line, hash) = encode(
                seq as u64,
                &prev,
                &Stamp::plain("2026-01-01T00:00:00.000Z"),
                "ana",
                "note",
                &data,
            );
            starts.push(bytes.len());
            bytes.extend_from_slice(line.as_bytes());
            prev = hash;
        }
        (bytes, starts)
    }

    proptest! {
        #[test]
        fn any_single_changed_byte_fails_at_or_before_its_entry(
            notes in proptest::collection::vec("[ -~é\u{202E}]{0,40}", 1..6),
            where_frac in 0.0f64..1.0,
            replacement in any::<u8>(),
        ) {
            let (mut bytes, starts) = build(&notes);
            let pos = ((bytes.len() as f64) * where_frac) as usize % bytes.len();
            prop_assume!(bytes[pos] != replacement);
            bytes[pos] = replacement;
            let entry_of_pos = starts.iter().rposition(|s| *s <= pos).unwrap() as u64;
            let scan = scan(&bytes[..], |_| {}).unwrap();
            prop_assert!(scan.damage.is_some(), "a changed byte at {} went unnoticed", pos);
            prop_assert!(scan.entries <= entry_of_pos, "byte {} is in entry {} but {} entries verified", pos, entry_of_pos, scan.entries);
        }

        #[test]
        fn an_intact_log_verifies_whatever_its_notes_contain(notes in proptest::collection::vec(".{0,60}", 0..8)) {
            let (bytes, _) = build(&notes);
            let scan = scan(&bytes[..], |_| {}).unwrap();
            prop_assert!(scan.damage.is_none());
            prop_assert_eq!(scan.entries, notes.len() as u64 + 1);
        }
    }

    #[test]
    fn bytes_after_the_last_newline_are_a_torn_tail() {
        let (mut bytes, _) = build(&["a".to_owned()]);
        let len = bytes.len() as u64;
        bytes.extend_from_slice(b"{\"seq\":2,");
        let scan = scan(&bytes[..], |_| {}).unwrap();
        assert_eq!(
            scan.damage,
            Some(Damage::TornTail {
                offset: len,
                length: 9
            })
        );
        assert_eq!(scan.entries, 2);
    }

    #[test]
    fn a_complete_final_line_that_fails_is_damage_never_a_torn_tail() {
        let (bytes, starts) = build(&["a".to_owned(), "b".to_owned()]);
        // A final line of garbage with its newline: damage at entry 2, not "torn".
        let mut zeros = bytes[..starts[2]].to_vec();
        zeros.extend_from_slice(&[0u8; 20]);
        zeros.push(b'\n');
        let damage = scan(&zeros[..], |_| {}).unwrap().damage.unwrap();
        assert!(
            matches!(damage, Damage::BadEntry { seq: 2, .. }),
            "{damage:?}"
        );
        // A flipped byte in the last complete line, newline intact, whether it breaks the JSON
        // or only the hash.
        for (from, to) in [("\"b\"", "\"c\""), ("\"b\"", "\"b\u{0}")] {
            let altered = String::from_utf8(bytes.clone())
                .unwrap()
                .replacen(from, to, 1);
            let damage = scan(altered.as_bytes(), |_| {}).unwrap().damage.unwrap();
            assert!(
                matches!(damage, Damage::BadEntry { seq: 2, .. }),
                "{to}: {damage:?}"
            );
        }
        let mut flipped = bytes.clone();
        let brace = bytes.len() - 2;
        flipped[brace] = b']';
        let damage = scan(&flipped[..], |_| {}).unwrap().damage.unwrap();
        assert!(!damage.is_torn_tail(), "{damage:?}");
    }

    #[test]
    fn an_entry_recorded_earlier_than_the_one_before_it_is_damage() {
        let mut bytes = Vec::new();
        let mut prev = GENESIS_PREV.to_owned();
        for (seq, ts) in ["2026-01-02T00:00:00.000Z", "2026-01-01T23:59:59.999Z"]
            .iter()
            .enumerate()
        {
            let data = serde_json::value::to_raw_value(&serde_json::json!({})).unwrap();
            let (line, hash) = encode(seq as u64, &prev, &Stamp::plain(ts), "ana", "note", &data);
            bytes.extend_from_slice(line.as_bytes());
            prev = hash;
        }
        let damage = scan(&bytes[..], |_| {}).unwrap().damage.unwrap();
        assert!(
            matches!(
                damage,
                Damage::BadEntry {
                    seq: 1,
                    fault: LineFault::TimeWentBackwards { .. },
                    ..
                }
            ),
            "{damage:?}"
        );
        assert!(damage.to_string().contains("time went backwards"));
    }
}
