//! The organisation profile: who the organisation is and how people reach it, used by the notice
//! drafts and the exports. A small JSON document (`profile.json`, 0600) that the store keeps
//! with the organisation's other files: in a directory store's directory, or in a database
//! store's insert-only history with a cache on each machine (`store::organisation`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The profile's keys, with what each is for.
pub(crate) const KEYS: &[(&str, &str)] = &[
    ("name", "the organisation's legal name"),
    (
        "address",
        "postal address for questions (one line; use ; between lines)",
    ),
    ("privacy_officer", "the privacy officer's name and title"),
    ("toll_free", "toll-free telephone number for questions"),
    ("email", "email address for questions"),
    ("website", "web site for questions and substitute notice"),
    (
        "time_zone",
        "the organisation's time zone (IANA, e.g. America/Chicago): its day for every deadline and date",
    ),
    (
        "state_rules",
        "counsel's reviewed state-law table (a YAML file; its rows replace the bundled ones)",
    ),
    (
        "allowed_signers",
        "the keys allowed to sign entries, in git's allowed_signers format (a file; the principal is the entry's actor)",
    ),
    (
        "tsa_certs",
        "the certificates of the time-stamping authorities trusted to vouch for the record's time (a PEM file, as openssl ts -verify -CAfile reads)",
    ),
    (
        "report_marking",
        "a marking printed on every page of the report (e.g. Privileged and confidential — prepared at the direction of counsel)",
    ),
    (
        "report_prepared_by",
        "who prepared the report, for its sign-off block (name and title)",
    ),
    (
        "report_reviewed_by",
        "who reviews the report, for its sign-off block (name and title)",
    ),
    (
        "require_signatures",
        "yes: every entry must be signed (--signing-key); an append without a usable key is refused",
    ),
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub(crate) struct Profile {
    values: BTreeMap<String, String>,
}

/// The profile's file name in the organisation's directory.
pub(crate) const FILE: &str = "profile.json";
/// Largest profile read: a few lines of contact details.
pub(crate) const MAX_PROFILE_BYTES: u64 = 64 * 1024;
/// The keys whose value names a file. On a database store the file itself is kept with the
/// profile and the key names it relative to the organisation's directory (`files/<key>`).
pub(crate) const FILE_KEYS: &[&str] = &["state_rules", "allowed_signers", "tsa_certs"];

impl Profile {
    /// Reads the profile in the organisation's directory `dir`; an absent file is an empty
    /// profile. A file key's relative value is read against `dir`.
    pub(crate) fn load(dir: &Path) -> Result<Profile, Error> {
        let path = dir.join(FILE);
        let Some(bytes) = crate::files::read_small_file(&path, MAX_PROFILE_BYTES, "profile")?
        else {
            return Ok(Profile::default());
        };
        let mut profile = Profile::parse(&bytes, &path.display().to_string())?;
        for key in FILE_KEYS {
            if let Some(value) = profile.values.get_mut(*key)
                && Path::new(value.as_str()).is_relative()
            {
                *value = dir.join(value.as_str()).display().to_string();
            }
        }
        Ok(profile)
    }

    /// A profile as kept (`shown` names where, for the error), file keys as they are.
    pub(crate) fn parse(bytes: &[u8], shown: &str) -> Result<Profile, Error> {
        serde_json::from_slice(bytes).map_err(|e| {
            Error::input(format!(
                "{shown} is not a valid profile ({e}); fix or remove it"
            ))
        })
    }

    /// The profile as it is kept: pretty JSON with a final newline.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).expect("a profile serialises");
        text.push('\n');
        text.into_bytes()
    }

    /// Sets a file key to a path kept as it is (a relative one is read against the
    /// organisation's directory), once [`Profile::set`] has checked the key.
    pub(crate) fn set_file(&mut self, key: &str, path: &str) {
        self.values.insert(key.to_owned(), path.to_owned());
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Sets (or, with `None`, removes) a key, refusing unknown keys.
    pub(crate) fn set(&mut self, key: &str, value: Option<&str>) -> Result<(), Error> {
        if !KEYS.iter().any(|(k, _)| *k == key) {
            let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
            return Err(Error::input(format!(
                "no profile key `{}`; keys: {}",
                crate::text::sanitize(key),
                known.join(", ")
            )));
        }
        match value.map(str::trim) {
            Some(v) if !v.is_empty() && key == "require_signatures" && v != "yes" && v != "no" => {
                return Err(Error::input(format!(
                    "`require_signatures` is yes or no, not `{}`",
                    crate::text::sanitize(v)
                )));
            }
            Some(v) if !v.is_empty() && key == "time_zone" => {
                let tz = crate::clock::parse_zone(v)?;
                self.values.insert(key.to_owned(), tz.name().to_owned());
            }
            Some(v) if !v.is_empty() => {
                if v.len() > 500 || v.contains('\n') || v.chars().any(char::is_control) {
                    return Err(Error::input(format!(
                        "`{key}` must be one line of at most 500 characters"
                    )));
                }
                self.values.insert(key.to_owned(), v.to_owned());
            }
            _ => {
                self.values.remove(key);
            }
        }
        Ok(())
    }
}
