//! The record format: one JSON object per line, hash-chained.
//!
//! A line is written in one fixed field order,
//! `{"seq":N,"prev":"<hex>","ts":"<RFC 3339 UTC>","actor":"…","kind":"…","data":{…},"hash":"<hex>"}`,
//! with two optional fields after `ts` when they apply: `"clock":"substituted"` (the entry was
//! recorded on a fixed clock, not the system's), `"at":"<RFC 3339>"` (when the thing recorded
//! happened, when that was earlier than `ts`) and `"allowed":"…"` (a check the person overrode
//! to record this entry, such as text that looks like an identifier).
//! and `hash` is the SHA-256 of the exact bytes before `,"hash":`. Hashing the bytes as written
//! (rather than a re-serialisation) means the writer's output *is* the canonical encoding, a
//! verifier needs no JSON canonicaliser, and an auditor can check any link by hand:
//! `sed 's/,"hash":"[0-9a-f]*"}$//' | tr -d '\n' | sha256sum` on the line. The format version is
//! pinned by the first record (`"format": "breach-log/1"`).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// The format this code writes and reads.
pub(crate) const FORMAT: &str = "breach-log/1";
/// The hash algorithm of the chain, as the first record names it.
pub(crate) const HASH_ALGORITHM: &str = "sha256";
/// The `prev` of the first record.
pub(crate) const GENESIS_PREV: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";
/// Longest line a reader accepts; an append that would exceed it is refused before writing.
pub(crate) const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

const HASH_KEY: &[u8] = b",\"hash\":\"";
/// `,"hash":"` + 64 hex digits + `"}`.
const SUFFIX_LEN: usize = HASH_KEY.len() + 64 + 2;

/// The marker of an entry recorded on a substituted clock (`BREACH_NOW`).
pub(crate) const SUBSTITUTED: &str = "substituted";

/// Signs an entry as it is encoded: the message is the line up to its signature (see
/// [`signed_message`]); the answer is the signature as the line keeps it (an OpenSSH SSHSIG,
/// base64 without its armour), or `None` when the person signs nothing. Implemented outside the
/// format, where keys are read.
pub(crate) trait LineSigner: std::fmt::Debug {
    fn sign(&self, message: &[u8]) -> Result<Option<String>, crate::error::Error>;
}

/// When an entry is recorded, on which clock, when what it records happened, and who signs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp<'a> {
    /// When the entry is recorded: RFC 3339 UTC with milliseconds.
    pub ts: &'a str,
    /// Whether `ts` comes from a substituted clock rather than the system's.
    pub substituted: bool,
    /// When the thing recorded happened, if earlier than `ts`.
    pub at: Option<&'a str>,
    /// A check the person overrode to record this entry, in words.
    pub allowed: Option<&'a str>,
    /// Who signs the entry, if anyone.
    pub signer: Option<&'a dyn LineSigner>,
}

impl<'a> Stamp<'a> {
    /// A recording time on the system clock, with nothing happening earlier.
    #[cfg(test)]
    pub(crate) fn plain(ts: &'a str) -> Stamp<'a> {
        Stamp {
            ts,
            substituted: false,
            at: None,
            allowed: None,
            signer: None,
        }
    }
}

/// The position of the log after an entry: what a person keeps elsewhere to detect truncation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize, schemars::JsonSchema)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// One verified entry of the log, borrowed from the line it was read from: a reader that only
/// verifies (or keeps a little of each entry) allocates nothing per entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry<'a> {
    pub seq: u64,
    #[serde(borrow)]
    pub prev: &'a str,
    #[serde(borrow)]
    pub ts: Cow<'a, str>,
    /// `"substituted"` when the entry was recorded on a substituted clock.
    #[serde(borrow, default)]
    pub clock: Option<Cow<'a, str>>,
    /// When what the entry records happened, when that was earlier than `ts`.
    #[serde(borrow, default)]
    pub at: Option<Cow<'a, str>>,
    /// A check the person overrode to record this entry. Read as part of the line (the
    /// exports show the line's fields), named here so that no unknown field is accepted.
    #[allow(dead_code)]
    #[serde(borrow, default)]
    pub allowed: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub actor: Cow<'a, str>,
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
    /// The payload, exactly as written.
    #[serde(borrow)]
    pub data: &'a RawValue,
    /// The writer's signature over the line up to it (see [`signed_message`]).
    #[serde(borrow, default)]
    pub sig: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub hash: &'a str,
    /// Byte offset of the line in the file.
    #[serde(skip)]
    pub offset: u64,
    /// The whole line as written, without its newline.
    #[serde(skip)]
    pub line: &'a str,
}

impl Entry<'_> {
    /// Whether the entry was recorded on a substituted clock.
    pub(crate) fn substituted(&self) -> bool {
        self.clock.is_some()
    }

    pub(crate) fn head(&self) -> Head {
        Head {
            seq: self.seq,
            hash: self.hash.to_owned(),
        }
    }
}

/// Encodes an unsigned record as one line, with its trailing newline. Returns the line and its
/// hash.
pub(crate) fn encode(
    seq: u64,
    prev: &str,
    stamp: &Stamp<'_>,
    actor: &str,
    kind: &str,
    data: &RawValue,
) -> (String, String) {
    assert!(
        stamp.signer.is_none(),
        "a signed entry is encoded by try_encode"
    );
    try_encode(seq, prev, stamp, actor, kind, data).expect("an unsigned entry always encodes")
}

/// Encodes a record as one line, signed when the stamp has a signer (whose refusal is the
/// error). Returns the line and its hash.
pub(crate) fn try_encode(
    seq: u64,
    prev: &str,
    stamp: &Stamp<'_>,
    actor: &str,
    kind: &str,
    data: &RawValue,
) -> Result<(String, String), crate::error::Error> {
    let mut line = String::with_capacity(200 + data.get().len());
    line.push_str("{\"seq\":");
    line.push_str(&seq.to_string());
    line.push_str(",\"prev\":\"");
    line.push_str(prev);
    line.push_str("\",\"ts\":");
    line.push_str(&json_string(stamp.ts));
    if stamp.substituted {
        line.push_str(",\"clock\":");
        line.push_str(&json_string(SUBSTITUTED));
    }
    if let Some(at) = stamp.at {
        line.push_str(",\"at\":");
        line.push_str(&json_string(at));
    }
    if let Some(allowed) = stamp.allowed {
        line.push_str(",\"allowed\":");
        line.push_str(&json_string(allowed));
    }
    line.push_str(",\"actor\":");
    line.push_str(&json_string(actor));
    line.push_str(",\"kind\":");
    line.push_str(&json_string(kind));
    line.push_str(",\"data\":");
    line.push_str(data.get());
    if let Some(signer) = stamp.signer
        && let Some(sig) = signer.sign(line.as_bytes())?
    {
        line.push_str(SIG_KEY);
        line.push_str(&json_string(&sig));
    }
    let hash = hex::encode(Sha256::digest(line.as_bytes()));
    line.push_str(",\"hash\":\"");
    line.push_str(&hash);
    line.push_str("\"}\n");
    Ok((line, hash))
}

/// The key of an entry's signature, the last field before its hash.
const SIG_KEY: &str = ",\"sig\":";

/// The message a signed entry's signature covers: its line (without the newline) up to the
/// signature, that is every field from `seq` to `data`. `None` when the entry is not signed, or
/// its signature is not the last field before the hash as the format writes it.
pub(crate) fn signed_message<'a>(entry: &Entry<'a>) -> Option<&'a str> {
    let sig = entry.sig.as_deref()?;
    let line = entry.line;
    let body = line.get(..line.len().checked_sub(SUFFIX_LEN)?)?;
    let field = format!("{SIG_KEY}{}", json_string(sig));
    body.strip_suffix(field.as_str())
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

/// Why one line of the log is not a valid link of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineFault {
    NotUtf8,
    NulByte,
    NotJson(String),
    BadSeq {
        expected: u64,
        found: u64,
    },
    BadPrev,
    BadHash,
    NotCanonical,
    TooLong,
    /// An unknown `clock` marker.
    UnknownClock,
    /// Recorded earlier than the entry before it.
    TimeWentBackwards {
        previous: String,
        found: String,
    },
}

impl std::fmt::Display for LineFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineFault::NotUtf8 => f.write_str("not valid UTF-8"),
            LineFault::NulByte => f.write_str("contains a NUL byte"),
            LineFault::NotJson(e) => write!(f, "not a valid record ({e})"),
            LineFault::BadSeq { expected, found } => {
                write!(f, "sequence number {found} where {expected} was expected")
            }
            LineFault::BadPrev => {
                f.write_str("`prev` does not match the hash of the entry before it (chain broken)")
            }
            LineFault::BadHash => {
                f.write_str("hash does not match the entry's contents (entry altered)")
            }
            LineFault::NotCanonical => f.write_str("not in the canonical field order"),
            LineFault::TooLong => write!(f, "longer than {MAX_LINE_BYTES} bytes"),
            LineFault::UnknownClock => f.write_str("names a clock this version does not know"),
            LineFault::TimeWentBackwards { previous, found } => write!(
                f,
                "recorded at {found}, earlier than the entry before it ({previous}): time went backwards"
            ),
        }
    }
}

/// Checks one line (without its newline) as the link after `prev_hash`, expecting `seq`.
pub(crate) fn check_line<'a>(
    line: &'a [u8],
    offset: u64,
    seq: u64,
    prev_hash: &str,
) -> Result<Entry<'a>, LineFault> {
    if line.len() > MAX_LINE_BYTES {
        return Err(LineFault::TooLong);
    }
    if memchr::memchr(0, line).is_some() {
        return Err(LineFault::NulByte);
    }
    let text = std::str::from_utf8(line).map_err(|_| LineFault::NotUtf8)?;
    let mut entry: Entry<'a> =
        serde_json::from_str(text).map_err(|e| LineFault::NotJson(short_json_error(&e)))?;
    if entry.seq != seq {
        return Err(LineFault::BadSeq {
            expected: seq,
            found: entry.seq,
        });
    }
    if line.len() < SUFFIX_LEN
        || !line.starts_with(b"{\"seq\":")
        || &line[line.len() - SUFFIX_LEN..line.len() - SUFFIX_LEN + HASH_KEY.len()] != HASH_KEY
        || &line[line.len() - 2..] != b"\"}"
    {
        return Err(LineFault::NotCanonical);
    }
    let prefix = &line[..line.len() - SUFFIX_LEN];
    let mut actual = [0u8; 64];
    hex::encode_to_slice(Sha256::digest(prefix), &mut actual).expect("64 hex digits fit");
    if entry.hash.as_bytes() != actual {
        return Err(LineFault::BadHash);
    }
    if entry.prev != prev_hash {
        return Err(LineFault::BadPrev);
    }
    if entry.clock.as_deref().is_some_and(|c| c != SUBSTITUTED) {
        return Err(LineFault::UnknownClock);
    }
    entry.offset = offset;
    entry.line = text;
    Ok(entry)
}

/// The fields of a line [`check_line`] accepted earlier in this process and kept since where
/// only this process can change it (an export's private copy of the log it verified), read
/// without checking its hash and link again.
pub(crate) fn read_checked_line(line: &str, offset: u64) -> Result<Entry<'_>, LineFault> {
    let mut entry: Entry<'_> =
        serde_json::from_str(line).map_err(|e| LineFault::NotJson(short_json_error(&e)))?;
    entry.offset = offset;
    entry.line = line;
    Ok(entry)
}

/// The hash a line ends with, read from its tail alone (`,"hash":"<64 hex>"}`, an optional
/// newline after it), without parsing or checking the rest: what a store reads to tell which
/// log it holds now, and to find where a verified prefix ends. `None` when the tail is not a
/// record's. The one place besides [`check_line`] that knows the line's layout.
pub(crate) fn line_hash(line: &[u8]) -> Option<&str> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let start = line.len().checked_sub(SUFFIX_LEN)?;
    let tail = &line[start..];
    let hash = tail.strip_prefix(HASH_KEY)?.strip_suffix(b"\"}")?;
    (hash.len() == 64 && hash.iter().all(u8::is_ascii_hexdigit))
        .then(|| std::str::from_utf8(hash).expect("hex digits are ASCII"))
}

/// The `kind` of a line (its newline optional), read as a reader of the format reads it; `None`
/// when the line is not a record. For a store that keeps the kind beside the line (a database
/// column), so that it never parses lines itself.
pub(crate) fn line_kind(line: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Kind<'a> {
        #[serde(borrow)]
        kind: Cow<'a, str>,
    }
    let body = line.strip_suffix(b"\n").unwrap_or(line);
    serde_json::from_slice::<Kind<'_>>(body)
        .ok()
        .map(|k| k.kind.into_owned())
}

/// Whether recording time `later` is earlier than `earlier`, both as the log writes them.
pub(crate) fn earlier_than(later: &str, earlier: &str) -> bool {
    // The log writes one fixed-width UTC form, where text order is time order; anything else is
    // parsed.
    let fixed = |s: &str| s.len() == 24 && s.ends_with('Z');
    if fixed(later) && fixed(earlier) {
        return later < earlier;
    }
    match (
        chrono::DateTime::parse_from_rfc3339(later),
        chrono::DateTime::parse_from_rfc3339(earlier),
    ) {
        (Ok(a), Ok(b)) => a < b,
        _ => false,
    }
}

/// serde_json's message names a column in the line; keep just the reason.
fn short_json_error(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap()
    }

    #[test]
    fn an_encoded_line_checks_and_a_hand_hash_matches() {
        let (line, hash) = encode(
            0,
            GENESIS_PREV,
            &Stamp::plain("2026-01-01T00:00:00.000Z"),
            "ana",
            "note",
            &raw(r#"{"text":"hi"}"#),
        );
        let body = line.trim_end_matches('\n');
        let entry = check_line(body.as_bytes(), 0, 0, GENESIS_PREV).unwrap();
        assert_eq!(entry.hash, hash);
        let prefix = body.split(",\"hash\":").next().unwrap();
        assert_eq!(hex::encode(Sha256::digest(prefix.as_bytes())), hash);
    }

    #[test]
    fn a_line_hash_is_read_from_the_tail_alone() {
        let (line, hash) = encode(
            3,
            GENESIS_PREV,
            &Stamp::plain("2026-01-01T00:00:00.000Z"),
            "ana",
            "note",
            &raw(r#"{"text":"hi"}"#),
        );
        assert_eq!(line_hash(line.as_bytes()), Some(hash.as_str()));
        assert_eq!(line_hash(line.trim_end().as_bytes()), Some(hash.as_str()));
        // The tail alone is enough: `,"hash":"`, 64 digits, `"}` and the newline.
        assert_eq!(
            line_hash(&line.as_bytes()[line.len() - 76..]),
            Some(hash.as_str())
        );
        assert_eq!(line_hash(&line.as_bytes()[line.len() - 75..]), None);
        for bad in [
            &line[..line.len() - 2],
            "",
            "\"}\n",
            &line.replace("\"hash\"", "\"hish\""),
        ] {
            assert_eq!(line_hash(bad.as_bytes()), None, "{bad:?}");
        }
        let not_hex = format!("{},\"hash\":\"{}\"}}", "{\"seq\":0", "g".repeat(64));
        assert_eq!(line_hash(not_hex.as_bytes()), None);
    }

    #[test]
    fn a_line_kind_is_read_as_the_format_reads_it() {
        let (line, _) = encode(
            0,
            GENESIS_PREV,
            &Stamp::plain("2026-01-01T00:00:00.000Z"),
            "ana",
            "incident_opened",
            &raw(r#"{"kind":"not this one"}"#),
        );
        assert_eq!(
            line_kind(line.as_bytes()).as_deref(),
            Some("incident_opened")
        );
        assert_eq!(line_kind(b"not json"), None);
        assert_eq!(line_kind(b"{\"seq\":0}"), None);
    }

    #[test]
    fn a_changed_byte_breaks_the_hash() {
        let (line, _) = encode(
            0,
            GENESIS_PREV,
            &Stamp::plain("2026-01-01T00:00:00.000Z"),
            "ana",
            "note",
            &raw(r#"{"text":"hi"}"#),
        );
        let tampered = line.trim_end().replace("\"hi\"", "\"ho\"");
        assert_eq!(
            check_line(tampered.as_bytes(), 0, 0, GENESIS_PREV).unwrap_err(),
            LineFault::BadHash
        );
    }
}
