//! `breach timestamp`: a time-stamping authority's word that the record existed by a time.
//! `request` writes an RFC 3161 request for the head's hash and keeps it as the incident's
//! pending request; `add` checks the authority's response against it (imprint, nonce), the
//! token's signature and the authority's chain to `tsa_certs`, and records the token as an
//! entry; `show` gives a recorded token back for `openssl ts -verify`. And what `verify` says of
//! every token in a log ([`TimestampCheck`]): each read again from its bytes, and its imprint
//! compared with the entry it covers as the log holds it now, so a log rewritten after it was
//! stamped is caught whatever its chain says.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use serde::Serialize;

use super::{Outcome, Session, json_doc, record};
use crate::error::Error;
use crate::incident::event::TimestampAdded;
use crate::incident::{Event, Incident};
use crate::log::{Entry, Head};
use crate::render::terminal;
use crate::store::{Access, Store};
use crate::text::sanitize;
use crate::timestamp::{self, Authorities, Vouched};

/// The profile key naming the trusted authorities' certificates.
pub(super) const TSA_CERTS: &str = "tsa_certs";

/// Where the incident's pending request is kept: on this machine, one per incident,
/// replaced by the next request and removed once its response is recorded.
fn pending_path(store: &Store, id: &str) -> PathBuf {
    store
        .machine_dir()
        .join("timestamp-requests")
        .join(format!("{id}.tsq"))
}

/// `timestamp request --json`.
#[derive(Debug, Serialize)]
struct Requested<'a> {
    id: &'a str,
    /// The entry whose hash the request carries: the head.
    covers: u64,
    hash: &'a str,
    nonce: String,
    request: &'a Path,
}

/// `breach timestamp request -o FILE.tsq`.
pub(super) fn request(s: &Session, out: &Path, force: bool) -> Result<Outcome, Error> {
    let (store, incident) = s.load_current()?;
    let head = &incident.head;
    let imprint = imprint_of(&head.hash)?;
    let query = timestamp::request(&imprint)?;
    crate::files::write_private_file(out, &query.der, force)?;
    let pending = pending_path(&store, &incident.id);
    if let Some(dir) = pending.parent() {
        crate::files::create_private_dir(dir)?;
    }
    crate::files::write_private_file(&pending, &query.der, true)?;
    let nonce = hex::encode(&query.nonce);
    if s.json {
        return Ok(Outcome::json(&Requested {
            id: &incident.id,
            covers: head.seq,
            hash: &head.hash,
            nonce,
            request: out,
        }));
    }
    let shown = out.display();
    Ok(Outcome::ok(format!(
        "Wrote a time-stamp request for entry {} ({}) to {shown}.\n\
         Send it to your time-stamping authority, for example:\n  \
         curl --data-binary @{shown} -H 'Content-Type: application/timestamp-query' -o response.tsr URL\n\
         then record its answer: breach timestamp add response.tsr\n",
        head.seq,
        crate::text::short_hash(&head.hash),
    )))
}

/// `timestamp add --json`.
#[derive(Debug, Serialize)]
struct Stamped<'a> {
    id: &'a str,
    head: &'a Head,
    covers: u64,
    time: &'a str,
    tsa: &'a str,
    serial: &'a str,
}

/// `breach timestamp add FILE.tsr [--request FILE.tsq]`.
pub(super) fn add(s: &Session, response: &Path, request: Option<&Path>) -> Result<Outcome, Error> {
    let shown = response.display();
    let (bytes, vouched) = read_checked(s, response)?;
    let refuse = |why: String| Error::refused(format!("{shown}: {why}; nothing was recorded"));
    let nonce = vouched.nonce.as_deref().map(hex::encode);
    let serial = vouched.serial.clone();
    let tsa = sanitize(&vouched.tsa).into_owned();
    let already = |incident: &Incident| {
        incident
            .timestamps
            .iter()
            .find(|t| (t.serial == serial && t.tsa == tsa) || (nonce.is_some() && t.nonce == nonce))
            .map(|seen| {
                refuse(format!(
                    "this token is already recorded, as entry {}: a replayed token",
                    seen.seq
                ))
            })
    };
    let (store, incident) = s.load_current()?;
    if let Some(replayed) = already(&incident) {
        return Err(replayed);
    }
    let id = incident.id.clone();
    let (asked_path, asked) = asked_for(&store, &id, request)?;
    if vouched.imprint != asked.imprint {
        return Err(refuse(format!(
            "the token is for another hash than the request {} asked about: a token for another head",
            asked_path.display()
        )));
    }
    if vouched.nonce != asked.nonce {
        return Err(refuse(format!(
            "the token does not carry the nonce of the request {}: an old or replayed token, or the answer to another request",
            asked_path.display()
        )));
    }
    let covers = entry_with_hash(&store, &id, &hex::encode(&vouched.imprint))?
        .ok_or_else(|| refuse("the token is for a hash no entry of this incident has: a token for another head or another incident".to_owned()))?;
    let entry = TimestampAdded {
        covers,
        hash: hex::encode(&vouched.imprint),
        time: rfc3339(&vouched),
        tsa: tsa.clone(),
        serial: serial.clone(),
        policy: vouched.policy.clone(),
        nonce: nonce.clone(),
        token: Base64::encode_string(&bytes),
    };
    let (incident, _, head) = record(s, |_, incident: &Incident| match already(incident) {
        Some(replayed) => Err(replayed),
        None => Ok(Event::TimestampAdded(entry.clone())),
    })?;
    if request.is_none() {
        // Answered: the same response cannot be added again against it.
        let _ = std::fs::remove_file(&asked_path);
    }
    if s.json {
        return Ok(Outcome::json(&Stamped {
            id: &incident.id,
            head: &head,
            covers,
            time: &entry.time,
            tsa: &entry.tsa,
            serial: &entry.serial,
        })
        .recorded(&head));
    }
    Ok(Outcome::ok(format!(
        "Time stamp recorded: entries up to {covers} existed by {}, per {}.\n{}",
        entry.time,
        entry.tsa,
        terminal::head_line(&head)
    ))
    .recorded(&head))
}

/// The response file's bytes and what its token vouches for, checked against the trusted
/// authorities.
fn read_checked(s: &Session, response: &Path) -> Result<(Vec<u8>, Vouched), Error> {
    let authorities = s
        .profile
        .get(TSA_CERTS)
        .map(|p| Authorities::load(Path::new(p)))
        .transpose()?
        .ok_or_else(|| {
            Error::refused(
                "no authority is trusted yet: name its certificates first (breach config set tsa_certs ROOTS.pem); nothing was recorded",
            )
        })?;
    let shown = response.display();
    let bytes = crate::files::read_small_file(response, timestamp::MAX_RESPONSE_BYTES, "response")?
        .ok_or_else(|| Error::input(format!("{shown}: no such file")))?;
    let vouched = timestamp::read_response(&bytes, Some(&authorities))
        .map_err(|why| Error::input(format!("{shown}: {why}; nothing was recorded")))?;
    Ok((bytes, vouched))
}

/// The request a response answers: the one named, or the incident's pending one.
fn asked_for(
    store: &Store,
    id: &str,
    named: Option<&Path>,
) -> Result<(PathBuf, timestamp::Asked), Error> {
    let path = named.map_or_else(|| pending_path(store, id), Path::to_path_buf);
    let shown = path.display();
    let bytes = crate::files::read_small_file(&path, timestamp::MAX_RESPONSE_BYTES, "request")?
        .ok_or_else(|| match named {
            Some(_) => Error::input(format!("--request {shown}: no such file")),
            None => Error::refused(format!(
                "no time-stamp request is pending for incident {id} (or its answer is already recorded): make one with `breach timestamp request -o FILE.tsq`, or name the request this answers with --request FILE.tsq; nothing was recorded"
            )),
        })?;
    let asked =
        timestamp::read_request(&bytes).map_err(|why| Error::input(format!("{shown}: {why}")))?;
    Ok((path, asked))
}

/// The seq of the entry whose hash is `hash`, reading the log (which must verify).
fn entry_with_hash(store: &Store, id: &str, hash: &str) -> Result<Option<u64>, Error> {
    let mut found = None;
    let scan = store.open_log(id, Access::Read)?.scan(&mut |entry| {
        if entry.hash == hash {
            found = Some(entry.seq);
        }
    })?;
    if let Some(damage) = scan.damage {
        return Err(Error::refused(format!(
            "the log of incident {id} does not verify ({damage}); nothing was recorded"
        )));
    }
    Ok(found)
}

/// The 32 bytes of an entry's hash.
fn imprint_of(hash: &str) -> Result<[u8; 32], Error> {
    let mut imprint = [0u8; 32];
    hex::decode_to_slice(hash, &mut imprint)
        .map_err(|e| Error::internal("an entry's hash is not 64 hexadecimal digits", e))?;
    Ok(imprint)
}

fn rfc3339(vouched: &Vouched) -> String {
    vouched
        .time
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// `timestamp show --json`.
#[derive(Debug, Serialize)]
struct Shown<'a> {
    id: &'a str,
    seq: u64,
    covers: u64,
    hash: &'a str,
    time: &'a str,
    tsa: &'a str,
    output: &'a Path,
}

/// `breach timestamp show SEQ -o FILE.tsr`.
pub(super) fn show(s: &Session, seq: u64, out: &Path, force: bool) -> Result<Outcome, Error> {
    let store = s.open_store()?;
    let id = s.resolve(&store)?;
    let mut found: Option<Result<TimestampAdded, String>> = None;
    let mut kind = None;
    let scan = store.open_log(&id, Access::Read)?.scan(&mut |entry| {
        if entry.seq == seq {
            kind = Some(entry.kind.to_string());
            if entry.kind == "timestamp_added" {
                found = Some(serde_json::from_str(entry.data.get()).map_err(|e| e.to_string()));
            }
        }
    })?;
    if let Some(damage) = scan.damage {
        return Err(Error::refused(format!(
            "the log of incident {id} does not verify ({damage}); `breach verify` says more"
        )));
    }
    let stamp = match (found, kind) {
        (Some(Ok(t)), _) => t,
        (Some(Err(e)), _) => {
            return Err(Error::input(format!(
                "entry {seq}: the time stamp cannot be read: {e}"
            )));
        }
        (None, Some(kind)) => {
            return Err(Error::usage(format!(
                "entry {seq} is a {kind} entry, not a time stamp (`breach verify` lists them)"
            )));
        }
        (None, None) => {
            return Err(Error::usage(format!(
                "incident {id} has no entry {seq} (its last is {})",
                scan.head.map_or(0, |h| h.seq)
            )));
        }
    };
    let token = Base64::decode_vec(&stamp.token)
        .map_err(|e| Error::input(format!("entry {seq}: the token is not base64: {e}")))?;
    crate::files::write_private_file(out, &token, force)?;
    if s.json {
        return Ok(Outcome::ok(json_doc(&Shown {
            id: &id,
            seq,
            covers: stamp.covers,
            hash: &stamp.hash,
            time: &stamp.time,
            tsa: &stamp.tsa,
            output: out,
        })));
    }
    Ok(Outcome::ok(format!(
        "Wrote the token of entry {seq} (entries up to {} existed by {}, per {}) to {}.\n\
         Check it with OpenSSL alone:\n  openssl ts -verify -in {} -digest {} -CAfile ROOTS.pem\n",
        stamp.covers,
        stamp.time,
        stamp.tsa,
        out.display(),
        out.display(),
        stamp.hash
    )))
}

/// One token, as `verify --json` reports it (`timestamps`).
#[derive(Debug, Serialize)]
pub(crate) struct TimestampVerdict {
    pub seq: u64,
    /// The entry the authority vouched for: it and every one before it existed by `time`.
    pub covers: u64,
    pub time: String,
    pub tsa: String,
    pub serial: String,
    pub ok: bool,
    /// Whether the authority's chain was checked against `tsa_certs` (false when none is set:
    /// then only the token's own signature and its imprint were checked).
    pub chain_checked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Reads every token as `verify` scans the log, then compares each imprint with the hash of the
/// entry it covers as the log holds it now.
#[derive(Debug)]
pub(crate) struct TimestampCheck {
    authorities: Option<Authorities>,
    pub verdicts: Vec<TimestampVerdict>,
    /// The hash each token's entry says it covers, by the seq of the covered entry.
    claimed: Vec<(usize, u64, String)>,
}

impl TimestampCheck {
    /// The check for a store whose profile names `tsa_certs` (or not).
    pub(crate) fn new(tsa_certs: Option<&str>) -> Result<TimestampCheck, Error> {
        Ok(TimestampCheck {
            authorities: tsa_certs
                .map(|p| Authorities::load(Path::new(p)))
                .transpose()?,
            verdicts: Vec::new(),
            claimed: Vec::new(),
        })
    }

    pub(crate) fn see(&mut self, entry: &Entry<'_>) {
        if entry.kind != "timestamp_added" {
            return;
        }
        let (verdict, claimed) = self.read(entry);
        if let Some(hash) = claimed {
            self.claimed
                .push((self.verdicts.len(), verdict.covers, hash));
        }
        self.verdicts.push(verdict);
    }

    fn read(&self, entry: &Entry<'_>) -> (TimestampVerdict, Option<String>) {
        let mut verdict = TimestampVerdict {
            seq: entry.seq,
            covers: 0,
            time: String::new(),
            tsa: String::new(),
            serial: String::new(),
            ok: false,
            chain_checked: self.authorities.is_some(),
            problem: None,
        };
        let stamp: TimestampAdded = match serde_json::from_str(entry.data.get()) {
            Ok(t) => t,
            Err(e) => {
                verdict.problem = Some(format!("the time stamp entry cannot be read: {e}"));
                return (verdict, None);
            }
        };
        verdict.covers = stamp.covers;
        verdict.time.clone_from(&stamp.time);
        verdict.tsa.clone_from(&stamp.tsa);
        verdict.serial.clone_from(&stamp.serial);
        let read = Base64::decode_vec(&stamp.token)
            .map_err(|e| format!("its token is not base64: {e}"))
            .and_then(|der| timestamp::read_response(&der, self.authorities.as_ref()));
        let problem = match read {
            Err(why) => Some(why),
            Ok(v) if hex::encode(&v.imprint) != stamp.hash => {
                Some("the token vouches for another hash than the entry names".to_owned())
            }
            Ok(v)
                if rfc3339(&v) != stamp.time
                    || v.nonce.as_deref().map(hex::encode) != stamp.nonce =>
            {
                Some("the entry's time or nonce is not the token's".to_owned())
            }
            Ok(_) if stamp.covers >= entry.seq => {
                Some("it claims to cover an entry recorded after it".to_owned())
            }
            Ok(_) => None,
        };
        verdict.ok = problem.is_none();
        verdict.problem = problem;
        (verdict, Some(stamp.hash))
    }

    /// Whether a second read of the log is needed to compare the covered entries.
    pub(crate) fn needs_hashes(&self) -> bool {
        !self.claimed.is_empty()
    }

    /// The seqs whose hashes [`Self::compare`] needs.
    pub(crate) fn covered(&self) -> impl Iterator<Item = u64> + '_ {
        self.claimed.iter().map(|(_, seq, _)| *seq)
    }

    /// Compares each token's imprint with the hash the covered entry has now (`hashes`, by seq).
    pub(crate) fn compare(&mut self, hashes: &HashMap<u64, String>) {
        for (i, covers, claimed) in &self.claimed {
            let verdict = &mut self.verdicts[*i];
            if verdict.problem.is_some() {
                continue;
            }
            if hashes.get(covers) != Some(claimed) {
                verdict.ok = false;
                verdict.problem = Some(format!(
                    "entry {covers} is not the entry the authority vouched for: the log was rewritten after it was stamped"
                ));
            }
        }
    }

    /// The first problem, in words, naming its entry.
    pub(crate) fn first_problem(&self) -> Option<String> {
        self.verdicts.iter().find_map(|v| {
            v.problem
                .as_ref()
                .map(|p| format!("entry {} (time stamp): {p}", v.seq))
        })
    }
}

/// What the time stamps say, for a person: nothing when there are none.
pub(super) fn timestamps_text(verdicts: &[TimestampVerdict]) -> String {
    let mut out = String::new();
    for v in verdicts {
        out.push_str(&match &v.problem {
            None => format!(
                "Time stamp (entry {}): entries up to {} existed by {}, per {}{}\n",
                v.seq,
                v.covers,
                v.time,
                sanitize(&v.tsa),
                if v.chain_checked {
                    ""
                } else {
                    " (the authority's certificate was not checked: set tsa_certs)"
                }
            ),
            Some(p) => format!("Time stamp (entry {}): FAILS: {p}\n", v.seq),
        });
    }
    out
}
