//! Carrying out a command: the one place that ties the store, the log, the incident rules and the
//! views together. Every write follows the same path — resolve the incident, take the exclusive
//! lock, replay (and so verify) the log, check the change against the rules, append one entry —
//! so no command can record a change the rules would refuse.

use std::io::{IsTerminal, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cli::{Cli, Command, RunbookCommand};
use crate::clock;
use crate::error::Error;
use crate::incident::event::{self, Opened, PinnedRunbook};
use crate::incident::{Event, Incident, StepState, evidence};
use crate::log::{self, Access, Head};
use crate::render::{self, terminal};
use crate::runbook::{self, Catalog};
use crate::store::{self, Store};
use crate::text::sanitize;

mod output;
mod regulatory;

pub use regulatory::facts_update as parse_facts;

/// What a command printed and how it ended.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: String,
    /// 0 on success; 1 when the command ran but found a failure (verify, validate).
    pub code: u8,
}

impl Outcome {
    fn ok(stdout: String) -> Outcome {
        Outcome { stdout, code: 0 }
    }
}

/// Settings shared by every command, resolved once from flags and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub store: PathBuf,
    pub actor: String,
    pub json: bool,
    pub incident: Option<String>,
    pub runbooks: Option<PathBuf>,
    /// Whether prompts may be shown: a terminal on standard input and no `--non-interactive`.
    pub interactive: bool,
}

impl Settings {
    pub fn from_cli(cli: &Cli) -> Result<Settings, Error> {
        let g = &cli.global;
        let actor = match &g.actor {
            Some(a) => a.clone(),
            None => std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| format!("uid-{}", log::current_uid())),
        };
        let actor = actor.trim().to_owned();
        if actor.is_empty() || actor.len() > 128 || actor.chars().any(char::is_control) {
            return Err(Error::input(
                "--actor / BREACH_ACTOR must be a name of 1 to 128 printable characters",
            ));
        }
        Ok(Settings {
            store: g.store.clone().unwrap_or_else(store::default_root),
            actor,
            json: g.json,
            incident: g.incident.clone(),
            runbooks: g.runbooks.clone(),
            interactive: !g.non_interactive && std::io::stdin().is_terminal(),
        })
    }

    fn open_store(&self) -> Result<Store, Error> {
        Store::open(&self.store)
    }

    /// The runbook directories in precedence order: the store's, then `--runbooks`.
    fn runbook_dirs(&self) -> Result<Vec<PathBuf>, Error> {
        let mut dirs = Vec::new();
        let in_store = self.store.join("runbooks");
        if in_store.is_dir() {
            dirs.push(in_store);
        }
        if let Some(dir) = &self.runbooks {
            if !dir.is_dir() {
                return Err(Error::input(format!(
                    "--runbooks {}: not a directory",
                    dir.display()
                )));
            }
            dirs.push(dir.clone());
        }
        Ok(dirs)
    }
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<Outcome, Error> {
    let settings = Settings::from_cli(&cli)?;
    match cli.command {
        Command::Start {
            runbook,
            discovered,
            title,
        } => start(&settings, runbook, discovered, title),
        Command::List => list(&settings),
        Command::Walk => walk(&settings),
        Command::Status => status(&settings),
        Command::Next => next(&settings),
        Command::Done { step, note, set } => act(
            &settings,
            Action::Done {
                step,
                note,
                evidence: evidence_pairs(&set)?,
            },
        ),
        Command::Skip { step, reason } => settle(&settings, step, StepState::Skipped, reason),
        Command::Na { step, reason } => settle(&settings, step, StepState::NotApplicable, reason),
        Command::Reopen { step, reason } => settle(&settings, step, StepState::Open, reason),
        Command::Note { text, step } => act(&settings, Action::Note { text, step }),
        Command::Attach { file, step } => act(&settings, Action::Attach { file, step }),
        Command::Close { force, reason } => close(&settings, force, reason),
        Command::Facts(args) => regulatory::facts(&settings, args),
        Command::Assess(args) => regulatory::assess(&settings, args),
        Command::Notify(args) => regulatory::notify(&settings, args),
        Command::Deadlines => regulatory::deadlines(&settings),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "breach",
                &mut out,
            );
            Ok(Outcome::ok(String::from_utf8_lossy(&out).into_owned()))
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut out)
                .map_err(|e| Error::input(format!("cannot render the manual page: {e}")))?;
            Ok(Outcome::ok(String::from_utf8_lossy(&out).into_owned()))
        }
        Command::Export { format, out } => output::export(&settings, format, &out),
        Command::Letter { kind, strict, out } => output::letter(&settings, kind, strict, &out),
        Command::Config(cmd) => output::config(&settings, cmd),
        Command::Verify { expect_head } => verify(&settings, expect_head.as_deref()),
        Command::Repair => repair(&settings),
        Command::Runbook(cmd) => runbook_command(&settings, cmd),
    }
}

/// Checks free text typed by a person: not empty, not too long, on one line unless allowed.
fn check_text(what: &str, text: &str, multiline: bool) -> Result<String, Error> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Error::input(format!("{what} is empty")));
    }
    if trimmed.len() > evidence::MAX_TEXT_BYTES {
        return Err(Error::input(format!(
            "{what} is {} bytes; at most {} bytes are accepted (attach a file for longer text)",
            trimmed.len(),
            evidence::MAX_TEXT_BYTES
        )));
    }
    if !multiline && trimmed.contains('\n') {
        return Err(Error::input(format!("{what} must be on one line")));
    }
    if trimmed.chars().any(|c| c == '\0') {
        return Err(Error::input(format!("{what} contains a NUL character")));
    }
    warn_if_phi(what, trimmed);
    Ok(trimmed.to_owned())
}

/// Warns, without echoing the text, when it looks like it holds a raw identifier.
fn warn_if_phi(what: &str, text: &str) {
    if let Some(kind) = crate::text::identifiers::looks_like_phi(text) {
        eprintln!(
            "breach: warning: {what} looks like it contains {kind}; the log keeps every entry for six years, so describe identifiers (\"the patient's SSN\") instead of copying them"
        );
    }
}

fn start(
    settings: &Settings,
    runbook: Option<String>,
    discovered: Option<String>,
    title: Option<String>,
) -> Result<Outcome, Error> {
    let missing: Vec<&str> = [
        ("--runbook ID", runbook.is_none()),
        ("--discovered WHEN", discovered.is_none()),
        ("--title TEXT", title.is_none()),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| *n)
    .collect();
    let now = clock::now()?;
    let catalog = Catalog::load(&settings.runbook_dirs()?)?;
    let asked = !missing.is_empty();
    let (runbook_id, discovered, title) = match (runbook, discovered, title) {
        (Some(r), Some(d), Some(t)) => (r, d, t),
        (r, d, t) if settings.interactive => {
            let mut prompts = crate::walk::TerminalResponder::new();
            crate::walk::ask_start(&mut prompts, &catalog, r, d, t, now)
                .map_err(|_| Error::Interrupted("stopped: no incident was started".to_owned()))?
        }
        _ => {
            return Err(Error::NoTerminal(format!(
                "`breach start` needs {} and there is no terminal to ask on: breach start --runbook ID --discovered WHEN --title TEXT",
                missing.join(", ")
            )));
        }
    };
    let title = check_text("--title", &title, false)?;
    let discovered = clock::parse_past(&discovered, "--discovered", now)?;
    let entry = catalog.get(&runbook_id)?;
    let store = settings.open_store()?;
    let pinned = PinnedRunbook {
        id: entry.runbook.id.value.clone(),
        version: entry.runbook.version.value.clone(),
        title: entry.runbook.title.value.clone(),
        sha256: hex::encode(Sha256::digest(entry.text.as_bytes())),
        source: entry.source.to_string(),
        text: entry.text.clone(),
        parsed: Some(
            serde_json::value::to_raw_value(&entry.runbook)
                .map_err(|e| Error::input(format!("cannot encode runbook: {e}")))?,
        ),
    };
    let ts = clock::log_timestamp(now);
    let local_today = now.with_timezone(&chrono::Local).date_naive();
    let mut attempt = 0;
    let (id, head) = loop {
        let id = store::new_incident_id(local_today, attempt);
        let opened = Opened {
            format: log::FORMAT.to_owned(),
            hash_algorithm: "sha256".to_owned(),
            tool: format!("breach {}", env!("CARGO_PKG_VERSION")),
            incident: id.clone(),
            title: title.clone(),
            discovered: discovered.clone(),
            runbook: pinned.clone(),
        };
        match store.create_incident(
            &id,
            &ts,
            &settings.actor,
            Event::Opened(Box::new(opened.clone())).kind(),
            &opened,
        ) {
            Ok(head) => break (id, head),
            Err(Error::Refused(_)) if attempt < 8 => attempt += 1,
            Err(e) => return Err(Error::NotRecorded(Box::new(e))),
        }
    };
    let incident = store.load(&id)?;
    if settings.json {
        return Ok(Outcome::ok(json_doc(&json!({
            "id": id,
            "store": store.root,
            "runbook": {"id": pinned.id, "version": pinned.version, "sha256": pinned.sha256},
            "discovered": incident.discovered,
            "head": head,
        }))));
    }
    let mut out = format!(
        "Opened incident {id}: {}\n  runbook     {} {} (sha256 {})\n  discovered  {}\n  store       {}\n",
        sanitize(&incident.title),
        pinned.id,
        pinned.version,
        crate::text::short_hash(&pinned.sha256),
        terminal::discovered_line(&incident.discovered),
        store.root.display()
    );
    out.push_str(&terminal::next_text(&incident, now));
    out.push_str(&terminal::head_line(&head));
    // Offered only to someone who was asked for the arguments: given everything on the command
    // line, `start` never prompts.
    if asked && settings.interactive {
        print!("{out}");
        let mut prompts = crate::walk::TerminalResponder::new();
        let begin =
            crate::walk::Responder::confirm(&mut prompts, "Begin the guided walk now?", true);
        if begin == Ok(true) {
            let settings = Settings {
                incident: Some(id),
                ..settings.clone()
            };
            return walk(&settings);
        }
        return Ok(Outcome::ok(
            "Work the steps any time with `breach walk`.\n".to_owned(),
        ));
    }
    Ok(Outcome::ok(out))
}

/// Opens an incident with every argument given (never prompts).
pub fn run_start(
    settings: &Settings,
    runbook: &str,
    discovered: &str,
    title: &str,
) -> Result<Outcome, Error> {
    start(
        settings,
        Some(runbook.to_owned()),
        Some(discovered.to_owned()),
        Some(title.to_owned()),
    )
}

fn walk(settings: &Settings) -> Result<Outcome, Error> {
    if !settings.interactive {
        return Err(Error::NoTerminal(
            "`breach walk` needs a terminal on standard input; without one, use the scriptable commands: `breach next`, `breach done STEP --set FIELD=VALUE`, `breach skip STEP --reason …`, `breach na STEP --reason …`, `breach note TEXT`".to_owned(),
        ));
    }
    let mut prompts = crate::walk::TerminalResponder::new();
    match crate::walk::walk(settings, &mut prompts)? {
        crate::walk::WalkEnd::Left { step, stop } => Err(Error::Interrupted(
            crate::walk::left_message(settings, step.as_deref(), stop),
        )),
        crate::walk::WalkEnd::Quit => Ok(Outcome::ok(
            "Stopped. Resume any time with `breach walk`.\n".to_owned(),
        )),
        _ => Ok(Outcome::ok(String::new())),
    }
}

fn list(settings: &Settings) -> Result<Outcome, Error> {
    let store = settings.open_store()?;
    let mut rows = Vec::new();
    for id in store.ids()? {
        rows.push((id.clone(), store.load(&id)));
    }
    if settings.json {
        let incidents: Vec<Value> = rows
            .iter()
            .map(|(id, loaded)| match loaded {
                Ok(i) => {
                    let (settled, total) = totals(i);
                    json!({
                        "id": id, "title": i.title, "state": i.state_label(),
                        "discovered": i.discovered.date, "runbook": i.pinned.id,
                        "progress": {"settled": settled, "applicable": total},
                        "head": i.head,
                    })
                }
                Err(e) => json!({"id": id, "state": "unreadable", "error": e.to_string()}),
            })
            .collect();
        return Ok(Outcome::ok(json_doc(
            &json!({ "store": store.root, "incidents": incidents }),
        )));
    }
    Ok(Outcome::ok(terminal::list_text(&store.root, &rows)))
}

fn totals(incident: &Incident) -> (usize, usize) {
    incident
        .progress()
        .iter()
        .fold((0, 0), |(s, t), (_, settled, total)| {
            (s + settled, t + total)
        })
}

fn load_current(settings: &Settings) -> Result<(Store, Incident), Error> {
    let store = settings.open_store()?;
    let id = store.resolve(settings.incident.as_deref())?;
    let incident = store.load(&id)?;
    Ok((store, incident))
}

fn status(settings: &Settings) -> Result<Outcome, Error> {
    let (store, incident) = load_current(settings)?;
    let now = clock::now()?;
    let today = now.with_timezone(&chrono::Local).date_naive();
    if settings.json {
        let steps: Vec<Value> = incident
            .step_views()
            .iter()
            .map(|v| {
                let mut s = step_json(&incident, v);
                s["applies"] = json!(v.active);
                s["state"] = json!(v.state());
                if let Some(r) = v.record {
                    s["actor"] = json!(r.actor);
                    s["at"] = json!(r.at);
                    for (k, val) in [("reason", &r.reason), ("note", &r.note)] {
                        if let Some(val) = val {
                            s[k] = json!(val);
                        }
                    }
                    if !r.evidence.is_empty() {
                        s["evidence"] = json!(r.evidence);
                    }
                }
                s
            })
            .collect();
        let progress: Vec<Value> = incident
            .progress()
            .iter()
            .map(|(p, settled, total)| json!({"phase": p, "settled": settled, "applicable": total}))
            .collect();
        let next: Vec<&str> = incident
            .workable()
            .iter()
            .map(|v| v.step.id.value.as_str())
            .collect();
        return Ok(Outcome::ok(json_doc(&json!({
            "id": incident.id, "title": incident.title, "state": incident.state_label(),
            "store": store.root,
            "runbook": {"id": incident.pinned.id, "version": incident.pinned.version, "sha256": incident.pinned.sha256},
            "discovered": incident.discovered,
            "opened": {"at": incident.opened_at, "by": incident.opened_by},
            "closed": incident.closed.as_ref().map(|(at, by, c)| json!({"at": at, "by": by, "forced": c.forced, "reason": c.reason})),
            "progress": progress,
            "steps": steps,
            "next": next,
            "deadlines": render::export::deadlines_json(&incident, &incident.clock(today), today),
            "entries": incident.head.seq + 1,
            "head": incident.head,
        }))));
    }
    Ok(Outcome::ok(terminal::status_text(
        &incident,
        &store.root,
        now,
        &regulatory::deadline_summary(&incident, today),
    )))
}

/// The fields every JSON view of a step shares.
fn step_json(incident: &Incident, v: &crate::incident::StepView<'_>) -> Value {
    let mut s = json!({
        "id": v.step.id.value, "phase": v.phase, "title": v.step.title.value,
        "owner": v.step.owner, "required": v.step.required,
    });
    if let Some(due) = terminal::due_at(incident, v.step) {
        s["due"] = json!(due);
    }
    s
}

fn next(settings: &Settings) -> Result<Outcome, Error> {
    let (_, incident) = load_current(settings)?;
    let now = clock::now()?;
    if settings.json {
        let steps: Vec<Value> = incident
            .workable()
            .iter()
            .map(|v| {
                let mut s = step_json(&incident, v);
                s["evidence"] = json!(v.step.evidence.iter().map(|f| json!({
                    "name": f.name.value, "type": f.kind.value, "required": f.required, "prompt": f.prompt.value,
                })).collect::<Vec<_>>());
                s
            })
            .collect();
        return Ok(Outcome::ok(json_doc(
            &json!({ "id": incident.id, "steps": steps }),
        )));
    }
    Ok(Outcome::ok(terminal::next_text(&incident, now)))
}

/// The shared write path: lock, replay, decide, append. `decide` sees the verified state and
/// returns the event to record, or refuses.
fn record(
    settings: &Settings,
    decide: impl FnOnce(&Store, &Incident) -> Result<Event, Error>,
) -> Result<(Incident, Event, Head), Error> {
    let store = settings.open_store()?;
    let id = store.resolve(settings.incident.as_deref())?;
    let mut log = store.open_log(&id, Access::Write)?;
    let incident = store::replay(&mut log)?;
    let event = decide(&store, &incident)?;
    let ts = clock::log_timestamp(clock::now()?);
    let head = event
        .append(&mut log, &ts, &settings.actor)
        .map_err(|e| match e {
            Error::NotRecorded(_) => e,
            other => Error::NotRecorded(Box::new(other)),
        })?;
    Ok((incident, event, head))
}

fn written(settings: &Settings, incident: &Incident, message: String, head: &Head) -> Outcome {
    if settings.json {
        return Outcome::ok(json_doc(&json!({"id": incident.id, "head": head})));
    }
    Outcome::ok(format!("{message}\n{}", terminal::head_line(head)))
}

/// A change a responder asks for, from the command line or the guided walk. Both go through
/// [`apply`], so the walk records exactly the entries the scriptable commands would.
#[derive(Debug, Clone)]
pub enum Action {
    Done {
        step: String,
        note: Option<String>,
        /// Evidence as (field, value) pairs, checked against the step's fields.
        evidence: Vec<(String, String)>,
    },
    /// Skip, not applicable or reopen, with the reason.
    Settle {
        step: String,
        target: StepState,
        reason: String,
    },
    Note {
        text: String,
        step: Option<String>,
    },
    Attach {
        file: PathBuf,
        step: Option<String>,
    },
}

/// Records one action: checks it against the verified state under the lock and appends it.
/// Returns the state it was checked against, the new head, and a one-line summary.
pub fn apply(settings: &Settings, action: Action) -> Result<(Incident, Head, String), Error> {
    match action {
        Action::Done {
            step,
            note,
            evidence: pairs,
        } => {
            let note = note.map(|n| check_text("the note", &n, true)).transpose()?;
            for (name, value) in &pairs {
                warn_if_phi(&format!("evidence `{name}`"), value);
            }
            let (incident, _, head) = record(settings, |_, incident| {
                let view = incident.check_transition(&step, StepState::Done)?;
                let evidence = evidence::collect(view.step, &pairs)?;
                Ok(Event::StepDone(event::StepDone {
                    step: step.clone(),
                    note,
                    evidence,
                }))
            })?;
            let title = incident
                .find_step(&step)
                .map(|v| v.step.title.value.clone())
                .unwrap_or_default();
            let message = format!("Done: {step} — {}", sanitize(&title));
            Ok((incident, head, message))
        }
        Action::Settle {
            step,
            target,
            reason,
        } => {
            let reason = check_text("the reason", &reason, true)?;
            let (incident, _, head) = record(settings, |_, incident| {
                incident.check_transition(&step, target)?;
                let payload = event::StepReason {
                    step: step.clone(),
                    reason,
                };
                Ok(match target {
                    StepState::Skipped => Event::StepSkipped(payload),
                    StepState::NotApplicable => Event::StepNotApplicable(payload),
                    StepState::Open => Event::StepReopened(payload),
                    StepState::Done => {
                        return Err(Error::input("use `done` to mark a step done"));
                    }
                })
            })?;
            let verb = match target {
                StepState::Skipped => "Skipped",
                StepState::NotApplicable => "Not applicable",
                _ => "Reopened",
            };
            Ok((incident, head, format!("{verb}: {step}")))
        }
        Action::Note { text, step } => {
            let text = check_text("the note", &text, true)?;
            let (incident, _, head) = record(settings, |_, incident| {
                if let Some(s) = &step {
                    incident.find_step(s)?;
                }
                Ok(Event::Note(event::Note { text, step }))
            })?;
            Ok((incident, head, "Note recorded.".to_owned()))
        }
        Action::Attach { file, step } => attach(settings, &file, step),
    }
}

/// Runs an action from the command line and prints its result.
fn act(settings: &Settings, action: Action) -> Result<Outcome, Error> {
    let (incident, head, message) = apply(settings, action)?;
    Ok(written(settings, &incident, message, &head))
}

fn settle(
    settings: &Settings,
    step: String,
    target: StepState,
    reason: String,
) -> Result<Outcome, Error> {
    act(
        settings,
        Action::Settle {
            step,
            target,
            reason,
        },
    )
}

/// Splits `--set FIELD=VALUE` arguments into pairs. The argument is not echoed in the error:
/// it may hold PHI.
fn evidence_pairs(sets: &[String]) -> Result<Vec<(String, String)>, Error> {
    sets.iter()
        .map(|set| {
            set.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .ok_or_else(|| Error::input("a --set argument has no `=`: give FIELD=VALUE"))
        })
        .collect()
}

/// Largest evidence file accepted.
const MAX_ATTACHMENT_BYTES: u64 = 256 * 1024 * 1024;

fn attach(
    settings: &Settings,
    file: &Path,
    step: Option<String>,
) -> Result<(Incident, Head, String), Error> {
    let meta = std::fs::metadata(file).map_err(|e| Error::io("read", file, e))?;
    if !meta.is_file() {
        return Err(Error::input(format!(
            "{} is not a regular file",
            file.display()
        )));
    }
    if meta.len() > MAX_ATTACHMENT_BYTES {
        return Err(Error::input(format!(
            "{} is {} bytes; attachments may be at most {MAX_ATTACHMENT_BYTES} bytes",
            file.display(),
            meta.len()
        )));
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".to_owned());
    let mut stored_path = None;
    let result = record(settings, |store, incident| {
        if incident.is_closed() {
            return Err(Error::refused(format!(
                "incident {} is closed; it accepts notes only",
                incident.id
            )));
        }
        if let Some(s) = &step {
            incident.find_step(s)?;
        }
        let dir = store.incident_dir(&incident.id).join("attachments");
        log::create_private_dir(&dir)?;
        let (sha256, bytes, path) = copy_in(file, &dir, &name)?;
        stored_path = Some(path.clone());
        Ok(Event::Attachment(event::Attachment {
            name: name.clone(),
            stored: format!(
                "attachments/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            ),
            sha256,
            bytes,
            step: step.clone(),
        }))
    });
    match result {
        Ok((incident, Event::Attachment(a), head)) => {
            let message = format!(
                "Attached {} ({} bytes, sha256 {})",
                sanitize(&a.name),
                a.bytes,
                a.sha256
            );
            Ok((incident, head, message))
        }
        Ok(_) => unreachable!("attach records an attachment"),
        Err(e) => {
            if let Some(path) = stored_path {
                let _ = std::fs::remove_file(path);
            }
            Err(e)
        }
    }
}

/// Copies `file` into `dir` under a content-addressed name; returns its SHA-256, size and path.
fn copy_in(file: &Path, dir: &Path, name: &str) -> Result<(String, u64, PathBuf), Error> {
    let mut src = std::fs::File::open(file).map_err(|e| Error::io("read", file, e))?;
    let temp = dir.join(format!(".incoming-{}", std::process::id()));
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&temp)
        .map_err(|e| Error::io("create", &temp, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    let copied: std::io::Result<()> = (|| {
        loop {
            let n = src.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            dst.write_all(&buf[..n])?;
            total += n as u64;
        }
        dst.sync_all()
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&temp);
        return Err(Error::io("copy", file, e));
    }
    let sha256 = hex::encode(hasher.finalize());
    let safe_name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let path = dir.join(format!("{}-{safe_name}", &sha256[..12]));
    std::fs::rename(&temp, &path).map_err(|e| Error::io("store attachment", &path, e))?;
    log::sync_dir(dir)?;
    Ok((sha256, total, path))
}

fn close(settings: &Settings, force: bool, reason: Option<String>) -> Result<Outcome, Error> {
    let reason = reason
        .map(|r| check_text("--reason", &r, true))
        .transpose()?;
    let (incident, event, head) = record(settings, |_, incident| {
        if incident.is_closed() {
            return Err(Error::refused(format!(
                "incident {} is already closed",
                incident.id
            )));
        }
        let open = incident.open_required();
        if !open.is_empty() && !force {
            return Err(Error::refused(format!(
                "{} required step(s) still open: {}; finish, skip or mark them not applicable, or close with --force --reason",
                open.len(),
                open.join(", ")
            )));
        }
        Ok(Event::Closed(event::Closed {
            forced: !open.is_empty(),
            reason,
            open_required: open,
        }))
    })?;
    let message = match &event {
        Event::Closed(c) if c.forced => format!(
            "Closed incident {} with {} required step(s) open (override recorded): {}",
            incident.id,
            c.open_required.len(),
            c.open_required.join(", ")
        ),
        _ => format!("Closed incident {}.", incident.id),
    };
    Ok(written(settings, &incident, message, &head))
}

/// A head kept elsewhere: `SEQ:HASH` or just `HASH`.
fn parse_expected_head(text: &str) -> Result<(Option<u64>, String), Error> {
    let (seq, hash) = match text.trim().split_once(':') {
        Some((s, h)) => (
            Some(s.parse::<u64>().map_err(|_| {
                Error::input(
                    "--expect-head: expected SEQ:HASH (as printed after each write) or HASH",
                )
            })?),
            h,
        ),
        None => (None, text.trim()),
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::input(
            "--expect-head: the hash must be 64 hexadecimal digits (as printed after each write)",
        ));
    }
    Ok((seq, hash.to_ascii_lowercase()))
}

fn verify(settings: &Settings, expect_head: Option<&str>) -> Result<Outcome, Error> {
    let expected = expect_head.map(parse_expected_head).transpose()?;
    let store = settings.open_store()?;
    let id = store.resolve(settings.incident.as_deref())?;
    let mut log = store.open_log(&id, Access::Read)?;
    let mut found_expected: Option<u64> = None;
    let scan = log.scan(|entry| {
        if let Some((seq, hash)) = &expected
            && entry.hash == *hash
            && seq.is_none_or(|s| s == entry.seq)
        {
            found_expected = Some(entry.seq);
        }
    })?;
    let mut error = scan.damage.as_ref().map(ToString::to_string);
    if error.is_none()
        && let Some((seq, hash)) = &expected
        && found_expected.is_none()
    {
        let last = scan.head.as_ref().map_or(0, |h| h.seq);
        error = Some(match seq {
            Some(s) if *s > last => format!(
                "the kept head is entry {s}, but the log ends at entry {last}: entries were removed"
            ),
            Some(s) => format!(
                "entry {s} does not have the kept hash {}: the log was rewritten",
                crate::text::short_hash(hash)
            ),
            None => format!(
                "no entry has the kept hash {}: the log was truncated or rewritten",
                crate::text::short_hash(hash)
            ),
        });
    }
    let ok = error.is_none();
    let stdout = if settings.json {
        let mut doc = json!({"id": id, "ok": ok, "entries": scan.entries, "head": scan.head});
        if let Some(e) = &error {
            doc["error"] = json!(e);
        }
        if let Some(Some(d)) = scan.damage.as_ref().map(|d| match d {
            log::Damage::TornTail { offset, .. } | log::Damage::BadEntry { offset, .. } => {
                Some(*offset)
            }
        }) {
            doc["offset"] = json!(d);
        }
        json_doc(&doc)
    } else {
        let head = scan
            .head
            .as_ref()
            .map_or_else(|| "none".to_owned(), ToString::to_string);
        match &error {
            None => format!(
                "OK: {id}: {} entries, chain intact{}\nhead {head}\n",
                scan.entries,
                if expected.is_some() {
                    ", kept head present"
                } else {
                    ""
                }
            ),
            Some(e) => {
                let hint = if scan.damage.as_ref().is_some_and(log::Damage::is_torn_tail) {
                    "\nThe last write was cut short (a crash or power loss). `breach repair` quarantines the torn bytes and records that it did."
                } else {
                    "\nThe log was altered or damaged after it was written. Restore it from a copy; keep this one for investigation."
                };
                format!(
                    "FAILED: {id}: {e}\n{} entries verified before the problem; last good head {head}{hint}\n",
                    scan.entries
                )
            }
        }
    };
    Ok(Outcome {
        stdout,
        code: u8::from(!ok),
    })
}

fn repair(settings: &Settings) -> Result<Outcome, Error> {
    let store = settings.open_store()?;
    let id = store.resolve(settings.incident.as_deref())?;
    let mut log = store.open_log(&id, Access::Write)?;
    let ts = clock::log_timestamp(clock::now()?);
    let repaired = log.repair(
        &store.incident_dir(&id).join("quarantine"),
        &ts,
        &settings.actor,
    )?;
    if settings.json {
        return Ok(Outcome::ok(json_doc(&json!({
            "id": id, "removed": repaired.data, "head": repaired.head,
        }))));
    }
    Ok(Outcome::ok(format!(
        "Repaired {id}: quarantined {} torn byte(s) from offset {} (sha256 {}) to {}; the repair is entry {}.\n{}",
        repaired.data.length,
        repaired.data.offset,
        repaired.data.sha256,
        repaired.data.quarantine,
        repaired.head.seq,
        terminal::head_line(&repaired.head)
    )))
}

fn runbook_command(settings: &Settings, cmd: RunbookCommand) -> Result<Outcome, Error> {
    match cmd {
        RunbookCommand::List => {
            let catalog = Catalog::load(&settings.runbook_dirs()?)?;
            warn_invalid(&catalog);
            if settings.json {
                let list: Vec<Value> = catalog
                    .entries
                    .iter()
                    .map(|e| json!({
                        "id": e.runbook.id.value, "title": e.runbook.title.value,
                        "version": e.runbook.version.value, "scenario": e.runbook.scenario.value,
                        "source": e.source.to_string(), "replaces_bundled": e.replaces_bundled,
                    }))
                    .collect();
                return Ok(Outcome::ok(json_doc(&json!({ "runbooks": list }))));
            }
            Ok(Outcome::ok(terminal::runbook_list_text(&catalog)))
        }
        RunbookCommand::Show {
            id,
            affected,
            states,
            unreachable,
            facts,
        } => {
            let catalog = Catalog::load(&settings.runbook_dirs()?)?;
            let entry = catalog.get(&id)?;
            let given = hypothetical_facts(affected, &states, unreachable, &facts)?;
            if settings.json {
                let mut doc = serde_json::to_value(&entry.runbook)
                    .map_err(|e| Error::input(format!("cannot encode runbook: {e}")))?;
                doc["source"] = json!(entry.source.to_string());
                doc["sha256"] = json!(hex::encode(Sha256::digest(entry.text.as_bytes())));
                if let Some(f) = &given {
                    let (active, inactive): (Vec<_>, Vec<_>) = entry
                        .runbook
                        .steps()
                        .partition(|(_, s)| s.when.as_ref().is_none_or(|c| f.satisfies(&c.value)));
                    let ids = |list: Vec<(runbook::Phase, &runbook::Step)>| -> Vec<String> {
                        list.into_iter().map(|(_, s)| s.id.value.clone()).collect()
                    };
                    doc["active_steps"] = json!(ids(active));
                    doc["inactive_steps"] = json!(ids(inactive));
                }
                return Ok(Outcome::ok(json_doc(&doc)));
            }
            Ok(Outcome::ok(terminal::runbook_text(
                entry,
                terminal::width(),
                given.as_ref(),
            )))
        }
        RunbookCommand::Init { id, dir } => {
            let catalog = Catalog::load(&settings.runbook_dirs()?)?;
            let entry = catalog.get(&id)?;
            let dir = match dir {
                Some(d) => {
                    std::fs::create_dir_all(&d)
                        .map_err(|e| Error::io("create directory", &d, e))?;
                    d
                }
                None => {
                    let d = settings.open_store()?.runbooks_dir();
                    log::create_private_dir(&d)?;
                    d
                }
            };
            let path = dir.join(format!("{id}.yaml"));
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => Error::refused(format!(
                        "{} exists; edit it, or remove it to start again",
                        path.display()
                    )),
                    _ => Error::io("create", &path, e),
                })?;
            file.write_all(entry.text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::io("write", &path, e))?;
            Ok(Outcome::ok(format!(
                "Copied {id} {} to {}.\nEdit it, then check it with `breach runbook validate {}`.\nRunbooks in the store's runbooks/ (or --runbooks DIR) replace the bundled one of the same id;\nincidents already open keep the runbook they started with.\n",
                entry.runbook.version.value,
                path.display(),
                path.display()
            )))
        }
        RunbookCommand::Validate { paths } => validate(settings, &paths),
    }
}

/// The facts `runbook show` was given to evaluate its conditions against, if any.
fn hypothetical_facts(
    affected: Option<u64>,
    states: &[String],
    unreachable: Option<u64>,
    flags: &[String],
) -> Result<Option<crate::incident::Facts>, Error> {
    if affected.is_none() && states.is_empty() && unreachable.is_none() && flags.is_empty() {
        return Ok(None);
    }
    let mut f = crate::incident::Facts {
        affected,
        unreachable,
        ..Default::default()
    };
    for s in states {
        let (code, n) = s
            .split_once('=')
            .ok_or_else(|| Error::input(format!("--state `{}` must be XX=N", sanitize(s))))?;
        let n = n
            .trim()
            .parse::<u64>()
            .map_err(|_| Error::input(format!("--state {code}=…: expected a whole number")))?;
        f.states.insert(regulatory::parse_state(code)?, n);
    }
    for flag in flags {
        let (name, value) = flag.split_once('=').ok_or_else(|| {
            Error::input(format!("--fact `{}` must be NAME=yes|no", sanitize(flag)))
        })?;
        let on = regulatory::parse_yes_no(&format!("--fact {name}"), value)?;
        match name.trim() {
            "business_associate" => f.business_associate = on,
            "notification_required" => f.notification_required = on,
            "assessment_recorded" => f.assessment_recorded = on,
            "law_enforcement_delay" => {
                f.law_enforcement_delay = on.then(|| crate::incident::facts::Delay {
                    statement: crate::incident::facts::Statement::Oral,
                    official: "(hypothetical)".to_owned(),
                    stated_on: chrono::NaiveDate::MIN,
                    until: None,
                });
            }
            other => {
                return Err(Error::input(format!(
                    "--fact: `{}` is not a yes/no fact; use business_associate, notification_required, assessment_recorded or law_enforcement_delay (affected_known follows --affected)",
                    sanitize(other)
                )));
            }
        }
    }
    Ok(Some(f))
}

fn warn_invalid(catalog: &Catalog) {
    for (path, problems) in &catalog.invalid {
        eprintln!(
            "breach: warning: skipping {} ({} problem(s); run `breach runbook validate {}`)",
            path.display(),
            problems.len(),
            path.display()
        );
    }
}

fn validate(settings: &Settings, paths: &[PathBuf]) -> Result<Outcome, Error> {
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
    let stdout = if settings.json {
        let list: Vec<Value> = results
            .iter()
            .map(|(f, problems)| json!({
                "path": f, "valid": problems.is_empty(),
                "problems": problems.iter().map(|p| json!({"line": p.line, "column": p.column, "message": p.message})).collect::<Vec<_>>(),
            }))
            .collect();
        json_doc(&json!({"ok": invalid == 0, "files": list}))
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
    Ok(Outcome {
        stdout,
        code: u8::from(invalid > 0),
    })
}

fn json_doc(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("a JSON value always serialises");
    s.push('\n');
    s
}
