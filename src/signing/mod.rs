//! Who wrote an entry, in a way the writer cannot deny: OpenSSH signatures (SSHSIG, namespace
//! `breach`) made with the responder's own key, as git signs commits. The key is a private key
//! file, or a `.pub` file whose private half is in `ssh-agent` (so a hardware key never leaves
//! its device); entries are checked against a file in git's `allowed_signers` format, whose
//! principal is the entry's actor ([`allowed`]). A signed entry can be checked with OpenSSH
//! alone: its message is the line up to the signature (`log::signed_message`), and
//! [`armoured`] gives the signature back as `ssh-keygen -Y verify` reads it.

pub(crate) mod allowed;

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

use crate::error::Error;
use crate::text::sanitize;

pub(crate) use allowed::AllowedSigners;

/// The namespace of every signature `breach` makes, so that no other use of the key (a git
/// commit, a file) can pass for an entry.
pub(crate) const NAMESPACE: &str = "breach";

/// The largest key file read: an RSA private key is a few KiB.
const MAX_KEY_BYTES: u64 = 64 * 1024;

const PEM_BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";
const PEM_END: &str = "-----END SSH SIGNATURE-----";

/// The person's signing key, read on the first entry it signs; with none given, entries are not
/// signed, unless the store requires signatures, when every append is refused.
#[derive(Debug)]
pub(crate) struct Signer {
    key: Option<PathBuf>,
    required: bool,
    loaded: OnceCell<Result<Key, String>>,
}

/// A key that signs: its private half in a file, or in `ssh-agent`.
#[derive(Debug)]
enum Key {
    File(Box<PrivateKey>),
    Agent(PublicKey),
}

impl Signer {
    /// The signer of `--signing-key PATH` (`None`: none given); `required` when the store's
    /// profile says `require_signatures yes`.
    pub(crate) fn new(key: Option<PathBuf>, required: bool) -> Signer {
        Signer {
            key,
            required,
            loaded: OnceCell::new(),
        }
    }

    fn key(&self, path: &Path) -> Result<&Key, Error> {
        self.loaded
            .get_or_init(|| load_key(path).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::input(e.clone()))
    }
}

impl crate::log::LineSigner for Signer {
    fn sign(&self, message: &[u8]) -> Result<Option<String>, Error> {
        let Some(path) = &self.key else {
            if self.required {
                return Err(Error::refused(
                    "this store requires signed entries (`require_signatures`): name your OpenSSH key with --signing-key PATH or BREACH_SIGNING_KEY",
                ));
            }
            return Ok(None);
        };
        let signature = match self.key(path)? {
            Key::File(key) => key.sign(NAMESPACE, HashAlg::Sha512, message).map_err(|e| {
                Error::input(format!(
                    "{}: cannot sign with this key: {e}",
                    path.display()
                ))
            })?,
            Key::Agent(public) => sign_with_agent(path, public, message)?,
        };
        Ok(Some(unarmoured(&signature)?))
    }
}

/// Reads a signing key: an OpenSSH private key (not encrypted: an encrypted one is used
/// through `ssh-agent`), or a public key whose private half the agent holds.
fn load_key(path: &Path) -> Result<Key, Error> {
    let bytes =
        crate::files::read_small_file(path, MAX_KEY_BYTES, "signing key")?.ok_or_else(|| {
            Error::input(format!(
                "{}: no such key file (--signing-key)",
                path.display()
            ))
        })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::input(format!("{}: not an OpenSSH key (not text)", path.display())))?;
    if text
        .trim_start()
        .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")
    {
        let key = PrivateKey::from_openssh(&text).map_err(|e| {
            Error::input(format!(
                "{}: not an OpenSSH private key: {e}",
                path.display()
            ))
        })?;
        if key.is_encrypted() {
            return Err(Error::input(format!(
                "{}: the key is protected by a passphrase; add it to ssh-agent (`ssh-add {}`) and give its .pub file instead",
                path.display(),
                path.display()
            )));
        }
        return Ok(Key::File(Box::new(key)));
    }
    let public = PublicKey::from_openssh(text.trim()).map_err(|e| {
        Error::input(format!(
            "{}: neither an OpenSSH private key nor a public key ({e})",
            path.display()
        ))
    })?;
    Ok(Key::Agent(public))
}

/// Signs through `ssh-agent` (`SSH_AUTH_SOCK`) with the private half of `public`, then checks
/// the answer against `public`, as `ssh-keygen -Y sign` would.
fn sign_with_agent(path: &Path, public: &PublicKey, message: &[u8]) -> Result<SshSig, Error> {
    let socket = std::env::var_os("SSH_AUTH_SOCK").ok_or_else(|| {
        Error::input(format!(
            "{} is a public key, and no ssh-agent holds its private half (SSH_AUTH_SOCK is not set)",
            path.display()
        ))
    })?;
    let agent_failed = |e: &dyn std::fmt::Display| {
        Error::input(format!(
            "ssh-agent could not sign with {} ({}): {e}; is the key added (`ssh-add -l`)?",
            path.display(),
            public.fingerprint(HashAlg::Sha256)
        ))
    };
    let data = SshSig::signed_data(NAMESPACE, HashAlg::Sha512, message)
        .map_err(|e| Error::internal("cannot frame the message to sign", e))?;
    let mut client =
        ssh_agent_client_rs::Client::connect(Path::new(&socket)).map_err(|e| agent_failed(&e))?;
    let raw = client
        .sign(public.clone(), &data)
        .map_err(|e| agent_failed(&e))?;
    let signature = SshSig::new(public.key_data().clone(), NAMESPACE, HashAlg::Sha512, raw)
        .map_err(|e| agent_failed(&e))?;
    public
        .verify(NAMESPACE, message, &signature)
        .map_err(|e| agent_failed(&e))?;
    Ok(signature)
}

/// A signature as an entry keeps it: the base64 of the armoured form, without the armour.
fn unarmoured(signature: &SshSig) -> Result<String, Error> {
    let pem = signature
        .to_pem(LineEnding::LF)
        .map_err(|e| Error::internal("cannot encode the signature", e))?;
    Ok(pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>())
}

/// A signature as an entry keeps it, armoured as `ssh-keygen -Y sign` writes it.
pub(crate) fn armoured(kept: &str) -> String {
    let mut pem = String::with_capacity(kept.len() + 80);
    pem.push_str(PEM_BEGIN);
    pem.push('\n');
    for chunk in kept.as_bytes().chunks(70) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str(PEM_END);
    pem.push('\n');
    pem
}

/// What checking one entry's signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Signed by a key the allowed signers give the actor at the entry's time.
    Good { fingerprint: String },
    /// The signature holds, but no allowed signers are set to say whose key it is.
    Unattributed { fingerprint: String },
    /// What is wrong, in words.
    Bad(String),
}

/// Checks the signature `kept` over `message`, written by `actor` at `ts` (RFC 3339), against
/// the allowed signers (when the store names them).
pub(crate) fn check(
    kept: &str,
    message: &str,
    actor: &str,
    ts: &str,
    allowed: Option<&AllowedSigners>,
) -> Verdict {
    let signature = match SshSig::from_pem(armoured(kept)) {
        Ok(s) => s,
        Err(e) => return Verdict::Bad(format!("its signature cannot be read ({e})")),
    };
    if signature.namespace() != NAMESPACE {
        return Verdict::Bad(format!(
            "its signature is for the namespace `{}`, not `{NAMESPACE}`",
            sanitize(signature.namespace())
        ));
    }
    let key = PublicKey::new(signature.public_key().clone(), "");
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
    if let Err(e) = key.verify(NAMESPACE, message.as_bytes(), &signature) {
        return Verdict::Bad(format!(
            "its signature by {fingerprint} does not match the entry ({e}): the entry was changed after it was signed"
        ));
    }
    let Some(allowed) = allowed else {
        return Verdict::Unattributed { fingerprint };
    };
    match allowed.allows(actor, key.key_data(), ts) {
        Ok(()) => Verdict::Good { fingerprint },
        Err(why) => Verdict::Bad(format!("signed by {fingerprint}, which {why}")),
    }
}
