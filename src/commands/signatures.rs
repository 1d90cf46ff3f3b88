//! What `verify` says of the entries' signatures: each signed entry checked against the store's
//! allowed signers as it is scanned, the tally `verify --json` prints (`signatures`), and the
//! `SEQ.msg`/`SEQ.sig` pairs `--export-signatures DIR` writes so that anyone can check the
//! record with `ssh-keygen -Y verify` alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::log::Entry;
use crate::signing::{self, AllowedSigners, Verdict};

/// `verify --json`'s `signatures`.
#[derive(Debug, Default, Serialize)]
pub(crate) struct SignatureTally {
    pub signed: u64,
    pub unsigned: u64,
    pub bad: u64,
    /// Signatures that hold, whose key no allowed signers file attributes (none is set).
    pub unattributed: u64,
    pub signers: Vec<SignerSeen>,
    /// The first problem, in words, naming its entry.
    #[serde(skip)]
    pub first_problem: Option<String>,
    #[serde(skip)]
    seen: BTreeMap<(String, String), (u64, u64, u64)>,
    #[serde(skip)]
    first_unsigned: Option<u64>,
}

/// One key that signed, with the principal it signed as.
#[derive(Debug, Serialize)]
pub(crate) struct SignerSeen {
    pub principal: String,
    pub key: String,
    pub entries: u64,
    pub first: u64,
    pub last: u64,
}

/// Checks each entry's signature as the log is scanned, against the allowed signers; with
/// `export`, writes each signed entry's message and signature there.
#[derive(Debug)]
pub(crate) struct SignatureCheck {
    allowed: Option<AllowedSigners>,
    export: Option<PathBuf>,
    pub tally: SignatureTally,
    export_failed: Option<Error>,
}

impl SignatureCheck {
    /// The check for a store whose profile names `allowed_signers` (or not).
    pub(crate) fn new(
        allowed: Option<&str>,
        export: Option<&Path>,
    ) -> Result<SignatureCheck, Error> {
        let allowed = allowed
            .map(|p| AllowedSigners::load(Path::new(p)))
            .transpose()?;
        if let Some(dir) = export {
            crate::files::create_private_dir(dir)?;
        }
        Ok(SignatureCheck {
            allowed,
            export: export.map(Path::to_path_buf),
            tally: SignatureTally::default(),
            export_failed: None,
        })
    }

    pub(crate) fn see(&mut self, entry: &Entry<'_>) {
        let t = &mut self.tally;
        let Some(sig) = entry.sig.as_deref() else {
            t.unsigned += 1;
            t.first_unsigned.get_or_insert(entry.seq);
            return;
        };
        t.signed += 1;
        let verdict = match crate::log::signed_message(entry) {
            Some(message) => {
                if let Some(dir) = &self.export
                    && self.export_failed.is_none()
                {
                    self.export_failed = export_one(dir, entry.seq, message, sig).err();
                }
                signing::check(sig, message, &entry.actor, &entry.ts, self.allowed.as_ref())
            }
            None => Verdict::Bad("its signature is not the last field before its hash".to_owned()),
        };
        let fingerprint = match verdict {
            Verdict::Good { fingerprint } => fingerprint,
            Verdict::Unattributed { fingerprint } => {
                t.unattributed += 1;
                fingerprint
            }
            Verdict::Bad(why) => {
                t.bad += 1;
                t.first_problem
                    .get_or_insert_with(|| format!("entry {}: {why}", entry.seq));
                return;
            }
        };
        let row = t
            .seen
            .entry((entry.actor.to_string(), fingerprint))
            .or_insert((0, entry.seq, entry.seq));
        row.0 += 1;
        row.2 = entry.seq;
    }

    /// The tally, with the signers in order of their first entry; `require` makes an unsigned
    /// entry a problem too.
    pub(crate) fn finish(mut self, require: bool) -> Result<SignatureTally, Error> {
        if let Some(e) = self.export_failed {
            return Err(e);
        }
        let t = &mut self.tally;
        if require
            && t.first_problem.is_none()
            && let Some(seq) = t.first_unsigned
        {
            t.first_problem = Some(format!(
                "entry {seq} is not signed, and signatures are required ({} of {} entries unsigned)",
                t.unsigned,
                t.unsigned + t.signed
            ));
        }
        let mut signers: Vec<SignerSeen> = std::mem::take(&mut t.seen)
            .into_iter()
            .map(|((principal, key), (entries, first, last))| SignerSeen {
                principal,
                key,
                entries,
                first,
                last,
            })
            .collect();
        signers.sort_by_key(|s| s.first);
        t.signers = signers;
        Ok(self.tally)
    }
}

/// Writes `SEQ.msg` (the signed message, as bytes) and `SEQ.sig` (the armoured signature).
fn export_one(dir: &Path, seq: u64, message: &str, sig: &str) -> Result<(), Error> {
    crate::files::write_private_file(&dir.join(format!("{seq}.msg")), message.as_bytes(), true)?;
    crate::files::write_private_file(
        &dir.join(format!("{seq}.sig")),
        signing::armoured(sig).as_bytes(),
        true,
    )
}
