//! The organisation profile: who the organisation is and how people reach it, used by the notice
//! drafts and the exports. A small JSON file in the store (`profile.json`, 0600), written whole
//! to a temporary file and renamed into place so it is never half-written.

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

const FILE: &str = "profile.json";
/// Largest profile read: a few lines of contact details.
pub(crate) const MAX_PROFILE_BYTES: u64 = 64 * 1024;

impl Profile {
    /// Reads the store's profile; an absent file is an empty profile.
    pub(crate) fn load(store: &Path) -> Result<Profile, Error> {
        let path = store.join(FILE);
        match crate::files::read_small_file(&path, MAX_PROFILE_BYTES, "profile")? {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::input(format!(
                    "{} is not a valid profile ({e}); fix or remove it",
                    path.display()
                ))
            }),
            None => Ok(Profile::default()),
        }
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

    /// Writes the profile into the store, atomically, mode 0600.
    pub(crate) fn save(&self, store: &Path) -> Result<(), Error> {
        let mut text = serde_json::to_string_pretty(self).expect("a profile serialises");
        text.push('\n');
        crate::files::write_private_file(&store.join(FILE), text.as_bytes(), true)
    }
}
