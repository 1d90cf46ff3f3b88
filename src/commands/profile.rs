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

/// The session `start` works in. The first `start` in a store whose profile names no zone
/// settles the organisation's day: in a terminal it asks for the zone (offering the machine's)
/// and records it in the profile, so that a 14:30 discovery on a UTC host is not pinned as
/// 14:30 UTC; without a terminal it gives the note to print once the incident is opened, saying
/// which zone it used and how to name one.
pub(super) fn with_organisation_zone(s: &Session) -> Result<(Session, Option<String>), Error> {
    // The profile first: listing a large store's incidents is only worth it without a zone.
    if s.profile.get("time_zone").is_some() {
        return Ok((s.clone(), None));
    }
    let first = s
        .open_store()
        .map_or(true, |store| store.ids().map_or(true, |ids| ids.is_empty()));
    if !first {
        return Ok((s.clone(), None));
    }
    let machine = crate::clock::machine_zone_name();
    if !s.interactive {
        let note = format!(
            "breach: note: times are read in {} (the machine's zone) and no organisation zone is set; name it with `breach config set time_zone Area/City` (e.g. America/Chicago)",
            machine.as_deref().unwrap_or("UTC")
        );
        return Ok((s.clone(), Some(note)));
    }
    let mut prompts = s.prompts.open();
    let help = match &machine {
        Some(zone) => {
            format!("an IANA name such as America/Chicago; Enter for this machine's, {zone}")
        }
        None => "an IANA name such as America/Chicago or Europe/London".to_owned(),
    };
    let zone = loop {
        let answer = prompts
            .ask(
                "The organisation's time zone (its deadlines count its calendar days)",
                &help,
            )
            .map_err(|_| Error::Interrupted("stopped: no incident was started".to_owned()))?;
        let answer = match (answer.trim(), &machine) {
            ("", Some(zone)) => zone.clone(),
            (given, _) => given.to_owned(),
        };
        match crate::clock::parse_zone(&answer) {
            Ok(zone) => break (answer, zone),
            Err(e) => prompts.say(&format!("✗ {e}")),
        }
    };
    let store = s.create_store()?;
    let files = store.files_dir();
    let mut profile = Profile::load(&files)?;
    profile.set("time_zone", Some(&zone.0))?;
    profile.save(&files)?;
    prompts.say(&format!(
        "Recorded time_zone {} in the profile (change it with `breach config set time_zone`).",
        zone.0
    ));
    let session = Session {
        calendar: crate::clock::Calendar::new(s.calendar.clock, crate::clock::Zone::Named(zone.1)),
        profile,
        ..s.clone()
    };
    Ok((session, None))
}
