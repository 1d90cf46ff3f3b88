//! `runbook list | show | init | validate`: the runbooks available, one laid out for reading, a
//! copy to adapt, and the validator an author runs.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::regulatory::parse_state_count;
use super::{Outcome, Session};
use crate::cli::{RunbookCommand, YesNo};
use crate::error::Error;
use crate::incident::Facts;
use crate::incident::facts::{Delay, Statement};
use crate::render::terminal;
use crate::runbook::{self, Catalog, Runbook};
use crate::text::sanitize;

pub(super) fn runbook(s: &Session, cmd: RunbookCommand) -> Result<Outcome, Error> {
    match cmd {
        RunbookCommand::List => list(s),
        RunbookCommand::Show {
            id,
            affected,
            states,
            unreachable,
            facts,
        } => show(
            s,
            &id,
            hypothetical_facts(affected, &states, unreachable, &facts)?,
        ),
        RunbookCommand::Init { id, dir } => init(s, &id, dir),
        RunbookCommand::Validate { paths } => validate(s, &paths),
        RunbookCommand::Publish { file } => publish(s, &file),
        RunbookCommand::Withdraw { id } => withdraw(s, &id),
    }
}

/// `runbook publish --json` and `runbook withdraw --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Published {
    pub id: String,
    pub store: String,
    /// Whether the store's runbooks changed (the same file again changes nothing).
    pub changed: bool,
    /// The version of the organisation's files now, on a database store.
    pub files_version: Option<i64>,
    /// The runbook's SHA-256, as a new incident on it pins it; absent when withdrawn.
    pub sha256: Option<String>,
}

/// What a publication says when it is done.
pub(super) fn published_text(
    what: &str,
    store: &crate::store::Store,
    replaced: &crate::store::organisation::Replaced,
) -> String {
    let unchanged = if replaced.changed {
        ""
    } else {
        " (unchanged: the store already had it)"
    };
    match replaced.version {
        Some(v) => format!(
            "{what} in {}{unchanged}: version {v} of the organisation's files, for every machine.\n",
            store.location()
        ),
        None => format!("{what} in {}{unchanged}.\n", replaced.path.display()),
    }
}

/// `runbook publish FILE`: the file validated, then kept as the store's runbook of its id.
fn publish(s: &Session, file: &Path) -> Result<Outcome, Error> {
    let text = runbook::read_runbook_text(file)?;
    let parsed =
        runbook::parse_runbook(&file.display().to_string(), &text).map_err(|problems| {
            Error::RunbookInvalid {
                path: file.to_owned(),
                problems,
            }
        })?;
    let id = parsed.id.value.clone();
    let store = s.create_store()?;
    let replaced = store.replace_organisation_file(
        crate::store::organisation::FileKind::Runbook,
        &format!("{id}.yaml"),
        &mut |_| Ok(Some(text.clone().into_bytes())),
    )?;
    let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
    if s.json {
        return Ok(Outcome::json(&Published {
            id,
            store: store.location(),
            changed: replaced.changed,
            files_version: replaced.version,
            sha256: Some(sha256),
        }));
    }
    let mut out = published_text(
        &format!(
            "Published runbook {id} {} (SHA-256 {})",
            parsed.version.value,
            crate::text::short_hash(&sha256)
        ),
        &store,
        &replaced,
    );
    out.push_str(
        "New incidents follow it; incidents already open keep the runbook they started with.\n",
    );
    Ok(Outcome::ok(out))
}

/// `runbook withdraw ID`: the organisation's runbook of that id is no longer offered.
fn withdraw(s: &Session, id: &str) -> Result<Outcome, Error> {
    let store = s.open_store()?;
    let own = store.runbooks_dir();
    let catalog = if own.is_dir() {
        Catalog::load(std::slice::from_ref(&own))?
    } else {
        Catalog::default()
    };
    let entry = catalog
        .entries
        .iter()
        .find(|e| e.runbook.id.value == id && matches!(e.source, runbook::Source::File(_)));
    let file = entry
        .and_then(|e| match &e.source {
            runbook::Source::File(path) => path.file_name()?.to_str().map(str::to_owned),
            runbook::Source::Bundled(_) => None,
        })
        .ok_or_else(|| {
            Error::refused(format!(
                "{} holds no runbook of the organisation's with id `{}` (a bundled runbook cannot be withdrawn; `breach runbook list` shows where each comes from)",
                store.location(),
                sanitize(id)
            ))
        })?;
    let replaced = store.replace_organisation_file(
        crate::store::organisation::FileKind::Runbook,
        &file,
        &mut |_| Ok(None),
    )?;
    if s.json {
        return Ok(Outcome::json(&Published {
            id: id.to_owned(),
            store: store.location(),
            changed: replaced.changed,
            files_version: replaced.version,
            sha256: None,
        }));
    }
    let mut out = published_text(&format!("Withdrew runbook {id}"), &store, &replaced);
    if entry.is_some_and(|e| e.replaces_bundled) {
        out.push_str(&format!(
            "New incidents on {id} follow the bundled runbook again.\n"
        ));
    }
    Ok(Outcome::ok(out))
}

/// One runbook in `runbook list --json`.
#[derive(Debug, Serialize)]
pub(crate) struct RunbookRow<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub version: &'a str,
    pub scenario: &'a str,
    pub source: String,
    pub replaces_bundled: bool,
}

/// `runbook list --json`.
#[derive(Debug, Serialize)]
pub(crate) struct RunbookList<'a> {
    pub runbooks: Vec<RunbookRow<'a>>,
}

fn list(s: &Session) -> Result<Outcome, Error> {
    let catalog = s.catalog()?;
    if s.json {
        let runbooks = catalog
            .entries
            .iter()
            .map(|e| RunbookRow {
                id: &e.runbook.id.value,
                title: &e.runbook.title.value,
                version: &e.runbook.version.value,
                scenario: &e.runbook.scenario.value,
                source: e.source.to_string(),
                replaces_bundled: e.replaces_bundled,
            })
            .collect();
        return Ok(Outcome::json(&RunbookList { runbooks }));
    }
    Ok(Outcome::ok(terminal::runbook_list_text(&catalog)))
}

/// `runbook show --json`: the runbook itself, where it came from, and (given facts) which steps
/// those facts activate.
#[derive(Debug, Serialize)]
pub(crate) struct RunbookShown<'a> {
    #[serde(flatten)]
    pub runbook: &'a Runbook,
    pub source: String,
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_steps: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inactive_steps: Option<Vec<&'a str>>,
}

fn show(s: &Session, id: &str, given: Option<Facts>) -> Result<Outcome, Error> {
    let catalog = s.catalog()?;
    let entry = catalog.get(id)?;
    if s.json {
        let (active, inactive) = match &given {
            Some(f) => {
                let (a, i): (Vec<_>, Vec<_>) = entry
                    .runbook
                    .steps()
                    .partition(|(_, st)| st.when.as_ref().is_none_or(|c| f.satisfies(&c.value)));
                (Some(step_ids(a)), Some(step_ids(i)))
            }
            None => (None, None),
        };
        return Ok(Outcome::json(&RunbookShown {
            runbook: &entry.runbook,
            source: entry.source.to_string(),
            sha256: hex::encode(Sha256::digest(entry.text.as_bytes())),
            active_steps: active,
            inactive_steps: inactive,
        }));
    }
    Ok(Outcome::ok(terminal::runbook_text(
        entry,
        terminal::width(),
        given.as_ref(),
    )))
}

fn step_ids(list: Vec<(runbook::Phase, &runbook::Step)>) -> Vec<&str> {
    list.into_iter()
        .map(|(_, st)| st.id.value.as_str())
        .collect()
}

/// What `runbook init` puts above the copy: the keys an author most often needs and cannot
/// guess from the copy alone.
const INIT_HEADER: &str = "\
# A copy to adapt. Check it with `breach runbook validate FILE`.
#
# A step may say what it records on the regulatory record, so that checking it off and
# recording the action are one entry (`breach done STEP` then takes the action's flags):
#   records: assessment               the risk assessment (as `breach assess`)
#   records: facts                    the counts: affected, per state, unreachable
#   records: delay                    a law-enforcement delay (as `breach facts --delay`)
#   records: {notice: individuals}    a notice: individuals, substitute, hhs, media, covered_entity
# A step that records a notice is due when the clock says that notice is due (no `due:`),
# and does not apply when the clock has no such notice. Its own evidence must be optional.
#
";

fn init(s: &Session, id: &str, dir: Option<PathBuf>) -> Result<Outcome, Error> {
    let catalog = s.catalog()?;
    let entry = catalog.get(id)?;
    let mut shared = false;
    let dir = match dir {
        Some(d) if d.is_dir() => d,
        Some(d) => {
            crate::files::create_private_dir(&d)?;
            d
        }
        None => {
            let store = s.create_store()?;
            if store.shares_organisation_files() {
                // This machine's copy of the store's runbooks is a cache: the draft is made
                // here, and `publish` gives it to every machine.
                shared = true;
                PathBuf::from(".")
            } else {
                let d = store.runbooks_dir();
                crate::files::create_private_dir(&d)?;
                d
            }
        }
    };
    let path = dir.join(format!("{id}.yaml"));
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(Error::refused(format!(
            "{} exists; edit it, or remove it to start again",
            path.display()
        )));
    }
    let text = format!("{INIT_HEADER}{}", entry.text);
    // 0600 whatever the umask, written whole or not at all.
    crate::files::write_private_file(&path, text.as_bytes(), false)?;
    if shared {
        return Ok(Outcome::ok(format!(
            "Copied {id} {} to {}.\nEdit it, check it with `breach runbook validate {}`, then give it to every machine of the store with `breach runbook publish {}`;\nincidents already open keep the runbook they started with.\n",
            entry.runbook.version.value,
            path.display(),
            path.display(),
            path.display()
        )));
    }
    Ok(Outcome::ok(format!(
        "Copied {id} {} to {}.\nEdit it, then check it with `breach runbook validate {}`.\nRunbooks in the store's runbooks/ (or --runbooks DIR) replace the bundled one of the same id;\nincidents already open keep the runbook they started with.\n",
        entry.runbook.version.value,
        path.display(),
        path.display()
    )))
}

/// The facts `runbook show` was given to evaluate its conditions against, if any.
fn hypothetical_facts(
    affected: Option<u64>,
    states: &[String],
    unreachable: Option<u64>,
    flags: &[String],
) -> Result<Option<Facts>, Error> {
    if affected.is_none() && states.is_empty() && unreachable.is_none() && flags.is_empty() {
        return Ok(None);
    }
    let mut f = Facts {
        affected,
        unreachable,
        ..Default::default()
    };
    for st in states {
        let (code, n) = parse_state_count("--state", st)?;
        f.states.insert(code, n);
    }
    for flag in flags {
        let (name, value) = flag.split_once('=').ok_or_else(|| {
            Error::usage(format!("--fact `{}` must be NAME=yes|no", sanitize(flag)))
        })?;
        let on = YesNo::parse(value)
            .ok_or_else(|| Error::usage(format!("--fact {name}: expected yes or no")))?
            .is_yes();
        match name.trim() {
            "business_associate" => f.business_associate = on,
            "notification_required" => f.notification_required = on,
            "assessment_recorded" => f.assessment_recorded = on,
            "law_enforcement_delay" => {
                f.law_enforcement_delay = on.then(|| Delay {
                    statement: Statement::Oral,
                    official: "(hypothetical)".to_owned(),
                    stated_on: chrono::NaiveDate::MIN,
                    until: None,
                    covers: Vec::new(),
                });
            }
            other => {
                return Err(Error::usage(format!(
                    "--fact: `{}` is not a yes/no fact; use business_associate, notification_required, assessment_recorded or law_enforcement_delay (affected_known follows --affected)",
                    sanitize(other)
                )));
            }
        }
    }
    Ok(Some(f))
}

/// One warning line per organisation runbook that cannot be used, located.
pub(super) fn warn_invalid(catalog: &Catalog) {
    for bad in &catalog.invalid {
        let first = bad
            .problems
            .first()
            .map_or_else(|| bad.path.display().to_string(), |p| p.headline());
        eprintln!(
            "breach: warning: runbook not used: {}{} (run `breach runbook validate {}`)",
            crate::text::sanitize(&first),
            match bad.problems.len() {
                0 | 1 => String::new(),
                n => format!(" and {} more problem(s)", n - 1),
            },
            bad.path.display()
        );
    }
}

/// One problem in `runbook validate --json`.
#[derive(Debug, Serialize)]
pub(crate) struct ProblemRow<'a> {
    pub line: u64,
    pub column: u64,
    pub message: &'a str,
}

#[derive(Debug, Serialize)]
pub(crate) struct FileResult<'a> {
    pub path: &'a Path,
    pub valid: bool,
    pub problems: Vec<ProblemRow<'a>>,
}

/// `runbook validate --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Validation<'a> {
    pub ok: bool,
    pub files: Vec<FileResult<'a>>,
}

fn validate(s: &Session, paths: &[PathBuf]) -> Result<Outcome, Error> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let found = runbook::runbook_files(path)?;
            if found.is_empty() {
                return Err(Error::input(format!(
                    "{}: no .yaml files in this directory",
                    path.display()
                )));
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut results = Vec::new();
    for file in &files {
        let problems = match runbook::read_runbook_text(file) {
            Ok(text) => runbook::parse_runbook(&file.display().to_string(), &text)
                .err()
                .unwrap_or_default(),
            Err(Error::RunbookInvalid { problems, .. }) => problems,
            Err(e) => vec![runbook::Problem {
                file: file.display().to_string(),
                line: 0,
                column: 0,
                message: e.to_string(),
                source_line: None,
            }],
        };
        results.push((file, problems));
    }
    let invalid = results.iter().filter(|(_, p)| !p.is_empty()).count();
    let stdout = if s.json {
        super::json_doc(&Validation {
            ok: invalid == 0,
            files: results
                .iter()
                .map(|(f, problems)| FileResult {
                    path: f,
                    valid: problems.is_empty(),
                    problems: problems
                        .iter()
                        .map(|p| ProblemRow {
                            line: p.line,
                            column: p.column,
                            message: &p.message,
                        })
                        .collect(),
                })
                .collect(),
        })
    } else {
        let mut out = String::new();
        for (file, problems) in &results {
            if problems.is_empty() {
                out.push_str(&format!("ok: {}\n", file.display()));
            }
            for p in problems {
                out.push_str(&format!("{p}\n"));
            }
        }
        let count: usize = results.iter().map(|(_, p)| p.len()).sum();
        out.push_str(&if invalid == 0 {
            format!("{} file(s) valid\n", results.len())
        } else {
            format!(
                "{count} problem(s) in {invalid} of {} file(s)\n",
                results.len()
            )
        });
        out
    };
    Ok(Outcome::with_code(stdout, u8::from(invalid > 0)))
}
