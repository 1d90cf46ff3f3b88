//! `config`: the organisation profile that letters and exports draw on.

use std::path::Path;

use serde::Serialize;

use super::{Outcome, Session};
use crate::cli::ConfigCommand;
use crate::error::Error;
use crate::profile::{FILE, FILE_KEYS, KEYS, Profile};
use crate::rules::state::{MAX_TABLE_BYTES, StateTable};
use crate::store::Store;
use crate::store::organisation::{FileKind, MAX_FILE_BYTES};
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
    let store = match &cmd {
        ConfigCommand::Set { key, value } => {
            // A bad key or value (or a file that does not read) is refused before a store is
            // created for it.
            Profile::default().set(key, Some(value))?;
            if FILE_KEYS.contains(&key.as_str()) {
                check_named_file(key, value)?;
            }
            s.create_store()?
        }
        _ => s.open_store()?,
    };
    let profile = match cmd {
        ConfigCommand::Show => Profile::load(&store.files_dir())?,
        ConfigCommand::History => return history(s, &store),
        ConfigCommand::Set { key, value } if FILE_KEYS.contains(&key.as_str()) => {
            set_file_key(&store, &key, &value)?
        }
        ConfigCommand::Set { key, value } => {
            change_profile(&store, &mut |p| p.set(&key, Some(&value)))?
        }
        ConfigCommand::Unset { key } => change_profile(&store, &mut |p| p.set(&key, None))?,
    };
    if s.json {
        return Ok(Outcome::json(&ProfileShown { profile: &profile }));
    }
    Ok(Outcome::ok(shown_profile(&store, &profile)))
}

/// Changes the store's profile as `edit` says (a new version of it on a database store) and
/// returns it as this machine now reads it.
pub(super) fn change_profile(
    store: &Store,
    edit: &mut dyn FnMut(&mut Profile) -> Result<(), Error>,
) -> Result<Profile, Error> {
    let replaced = store.replace_organisation_file(FileKind::Profile, FILE, &mut |current| {
        let mut profile = match current {
            Some(bytes) => Profile::parse(bytes, "the store's profile")?,
            None => Profile::default(),
        };
        edit(&mut profile)?;
        Ok(Some(profile.to_bytes()))
    })?;
    Profile::load(replaced.path.parent().unwrap_or(Path::new(".")))
}

/// `config set` of a key naming a file, read now so a file that does not read is never named.
/// A directory store keeps its absolute path; a database store keeps the file itself, so every
/// machine reads the same one.
fn set_file_key(store: &Store, key: &str, value: &str) -> Result<Profile, Error> {
    let absolute = check_named_file(key, value)?;
    if !store.shares_organisation_files() {
        let path = absolute.display().to_string();
        return change_profile(store, &mut |p| {
            p.set_file(key, &path);
            Ok(())
        });
    }
    let content = crate::files::read_small_file(&absolute, MAX_FILE_BYTES as u64, key)?
        .ok_or_else(|| Error::input(format!("{}: no such file", absolute.display())))?;
    store.replace_organisation_file(FileKind::Named, key, &mut |_| Ok(Some(content.clone())))?;
    let relative = FileKind::Named.path(Path::new(""), key);
    change_profile(store, &mut |p| {
        p.set_file(key, &relative.display().to_string());
        Ok(())
    })
}

/// The absolute path of the file a file key is to name, once the file reads as what the key
/// names.
fn check_named_file(key: &str, value: &str) -> Result<std::path::PathBuf, Error> {
    let absolute =
        std::path::absolute(value.trim()).map_err(|e| Error::io("read", Path::new(value), e))?;
    if key == "state_rules" {
        load_state_rules(&absolute.display().to_string())?;
    } else if key == "tsa_certs" {
        crate::timestamp::Authorities::load(&absolute)?;
    } else {
        crate::signing::AllowedSigners::load(&absolute)?;
    }
    Ok(absolute)
}

/// `config show`: every key, set or not, and where the profile is kept.
fn shown_profile(store: &Store, profile: &Profile) -> String {
    let files = store.files_dir();
    let mut out = if store.shares_organisation_files() {
        format!(
            "Organisation profile (kept in {} for every machine; this machine's copy: {})\n",
            store.location(),
            files.join(FILE).display()
        )
    } else {
        format!("Organisation profile ({})\n", files.join(FILE).display())
    };
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
                out.push_str(&format!("  {key:<18} {}{review}\n", sanitize(v)));
            }
            Some(v) => out.push_str(&format!("  {key:<18} {}\n", sanitize(v))),
            None => out.push_str(&format!("  {key:<18} (not set: {what})\n")),
        }
    }
    out
}

/// `config history --json`.
#[derive(Debug, Serialize)]
struct History {
    store: String,
    versions: Vec<crate::store::organisation::FileVersion>,
}

/// `config history`: every version of the organisation's files a database store keeps.
fn history(s: &Session, store: &Store) -> Result<Outcome, Error> {
    let Some(versions) = store.organisation_history()? else {
        return Err(Error::refused(format!(
            "{} is a directory store, which keeps only the current profile, runbooks and templates; a database store keeps every version",
            store.location()
        )));
    };
    if s.json {
        return Ok(Outcome::json(&History {
            store: store.location(),
            versions,
        }));
    }
    let mut out = format!(
        "The organisation's files in {}, every version (newest last):\n",
        store.location()
    );
    if versions.is_empty() {
        out.push_str("  none yet: `breach config set`, `breach runbook publish` and `breach template publish` keep them here\n");
    }
    for v in &versions {
        let what = match &v.sha256 {
            Some(hash) => format!("SHA-256 {}", crate::text::short_hash(hash)),
            None => "withdrawn".to_owned(),
        };
        out.push_str(&format!(
            "  {:>4}  {} {:<10} {:<36} {what}, by {}\n",
            v.version,
            v.written_at,
            v.kind,
            sanitize(&v.name),
            sanitize(&v.written_by)
        ));
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
    let profile = change_profile(&store, &mut |p| p.set("time_zone", Some(&zone.0)))?;
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
