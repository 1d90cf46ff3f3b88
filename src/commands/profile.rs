//! `config`: the organisation profile that letters and exports draw on.

use serde::Serialize;

use super::{Outcome, Session};
use crate::cli::ConfigCommand;
use crate::error::Error;
use crate::profile::{KEYS, Profile};
use crate::rules::state::{MAX_TABLE_BYTES, StateTable};
use crate::text::sanitize;

/// `config --json`.
#[derive(Debug, Serialize)]
pub(crate) struct ProfileShown<'a> {
    pub profile: &'a Profile,
}

/// Counsel's reviewed state-law table at `path`, over the bundled one: read within bounds and
/// refused at `FILE:LINE:COLUMN` when it does not read.
pub(super) fn load_state_rules(path: &str) -> Result<StateTable, Error> {
    let file = std::path::Path::new(path);
    let bytes =
        crate::files::read_small_file(file, MAX_TABLE_BYTES, "state table")?.ok_or_else(|| {
            Error::input(format!(
                "{}: no such file (the reviewed state table, `state_rules`)",
                file.display()
            ))
        })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::input(format!(
            "{}: the state table is not UTF-8 text",
            file.display()
        ))
    })?;
    StateTable::with_reviewed(&text).map_err(|p| {
        Error::input(format!(
            "{}:{}:{}: {}",
            file.display(),
            p.line,
            p.column,
            sanitize(&p.message)
        ))
    })
}

pub(super) fn config(s: &Session, cmd: ConfigCommand) -> Result<Outcome, Error> {
    let mut cmd = cmd;
    if let ConfigCommand::Set { key, value } = &mut cmd
        && (key == "state_rules" || key == "allowed_signers" || key == "tsa_certs")
    {
        // Kept as an absolute path, read now so a file that does not read is never named.
        let absolute = std::path::absolute(value.trim())
            .map_err(|e| Error::io("read", std::path::Path::new(value.as_str()), e))?;
        *value = absolute.display().to_string();
        if key == "state_rules" {
            load_state_rules(value)?;
        } else if key == "tsa_certs" {
            crate::timestamp::Authorities::load(&absolute)?;
        } else {
            crate::signing::AllowedSigners::load(&absolute)?;
        }
    }
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
            Some(v) if *key == "state_rules" => {
                let review = match load_state_rules(v) {
                    Ok(table) => match table.reviewed {
                        Some(r) => format!(
                            " (reviewed by {} on {}; replaces {} of the bundled rows)",
                            sanitize(&r.by),
                            r.on,
                            table.rows.values().filter(|r| r.reviewed.is_some()).count()
                        ),
                        None => String::new(),
                    },
                    Err(e) => format!(" (does not read: {e})"),
                };
                out.push_str(&format!("  {key:<16} {}{review}\n", sanitize(v)));
            }
            Some(v) => out.push_str(&format!("  {key:<16} {}\n", sanitize(v))),
            None => out.push_str(&format!("  {key:<16} (not set: {what})\n")),
        }
    }
    Ok(Outcome::ok(out))
}
