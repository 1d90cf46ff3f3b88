//! `config`: the organisation profile that letters and exports draw on.

use serde::Serialize;

use super::{Outcome, Session};
use crate::cli::ConfigCommand;
use crate::error::Error;
use crate::profile::{KEYS, Profile};
use crate::text::sanitize;

/// `config --json`.
#[derive(Debug, Serialize)]
pub(crate) struct ProfileShown<'a> {
    pub profile: &'a Profile,
}

pub(super) fn config(s: &Session, cmd: ConfigCommand) -> Result<Outcome, Error> {
    let store = match &cmd {
        ConfigCommand::Set { key, value } => {
            // A bad key or value is refused before a store is created for it.
            Profile::default().set(key, Some(value))?;
            s.create_store()?
        }
        _ => s.open_store()?,
    };
    let files = store.files_dir();
    let mut profile = Profile::load(&files)?;
    match cmd {
        ConfigCommand::Show => {}
        ConfigCommand::Set { key, value } => {
            profile.set(&key, Some(&value))?;
            profile.save(&files)?;
        }
        ConfigCommand::Unset { key } => {
            profile.set(&key, None)?;
            profile.save(&files)?;
        }
    }
    if s.json {
        return Ok(Outcome::json(&ProfileShown { profile: &profile }));
    }
    let mut out = format!(
        "Organisation profile ({})\n",
        files.join("profile.json").display()
    );
    for (key, what) in KEYS {
        match profile.get(key) {
            Some(v) => out.push_str(&format!("  {key:<16} {}\n", sanitize(v))),
            None => out.push_str(&format!("  {key:<16} (not set: {what})\n")),
        }
    }
    Ok(Outcome::ok(out))
}
