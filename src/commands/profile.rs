//! `config`: the organisation profile that letters and exports draw on.

use serde::Serialize;

use super::{Outcome, Session};
use crate::cli::ConfigCommand;
use crate::error::Error;
use crate::profile::{KEYS, Profile};
use crate::text::sanitize;

/// `config --json`.
#[derive(Debug, Serialize)]
pub struct ProfileShown<'a> {
    pub profile: &'a Profile,
}

pub(super) fn config(s: &Session, cmd: ConfigCommand) -> Result<Outcome, Error> {
    let store = s.open_store()?;
    let mut profile = Profile::load(&store.root)?;
    match cmd {
        ConfigCommand::Show => {}
        ConfigCommand::Set { key, value } => {
            profile.set(&key, Some(&value))?;
            profile.save(&store.root)?;
        }
        ConfigCommand::Unset { key } => {
            profile.set(&key, None)?;
            profile.save(&store.root)?;
        }
    }
    if s.json {
        return Ok(Outcome::json(&ProfileShown { profile: &profile }));
    }
    let mut out = format!(
        "Organisation profile ({})\n",
        store.root.join("profile.json").display()
    );
    for (key, what) in KEYS {
        match profile.get(key) {
            Some(v) => out.push_str(&format!("  {key:<16} {}\n", sanitize(v))),
            None => out.push_str(&format!("  {key:<16} (not set: {what})\n")),
        }
    }
    Ok(Outcome::ok(out))
}
