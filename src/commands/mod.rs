//! The commands: the top of the crate. Each family of commands has its own module with its
//! arguments (from [`crate::cli`]) and its own output types; each is given one small [`Session`]
//! value (store, actor, incident, the time, whether it may prompt).
//!
//! Every write follows the same path — resolve the incident, take the exclusive lock, replay
//! (and so verify) the log, check the change against the rules, append one entry — so no command
//! can record a change the rules would refuse. See ARCHITECTURE.md for the layers below.

mod documents;
mod integrity;
mod lifecycle;
mod profile;
mod regulatory;
mod runbooks;
mod steps;
mod store_wide;
mod transfer;

#[cfg(test)]
mod attach_tests;
#[cfg(test)]
mod walk_tests;

use std::io::IsTerminal;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::cli::{Cli, Command};
use crate::clock::GivenTime;
use crate::clock::{self, Clock};
use crate::error::Error;
use crate::incident::screen::{Finding, screen_event, screen_text};
use crate::incident::{Event, Incident};
use crate::log::{Head, Stamp};
use crate::render::terminal;
use crate::runbook::Catalog;
use crate::store::Access;
use crate::store::{self, Store};
use crate::text::identifiers;

pub(crate) use regulatory::facts_update as parse_facts;
#[cfg(test)]
use steps::record_action;

/// What a command printed and how it ended.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: String,
    /// 0 on success; 1 when the command ran but found a failure (verify, validate, --strict).
    pub code: u8,
    /// The head of the entry this command recorded, if it recorded one: when the confirmation
    /// cannot be printed, the entry is still on disk, and a script must not record it again.
    pub recorded: Option<Head>,
}

impl Outcome {
    fn ok(stdout: String) -> Outcome {
        Outcome {
            stdout,
            code: 0,
            recorded: None,
        }
    }

    fn with_code(stdout: String, code: u8) -> Outcome {
        Outcome {
            stdout,
            code,
            recorded: None,
        }
    }

    /// This outcome, saying that `head` was recorded.
    fn recorded(mut self, head: &Head) -> Outcome {
        self.recorded = Some(head.clone());
        self
    }

    /// One JSON document on stdout: the typed output of a command.
    fn json(doc: &impl Serialize) -> Outcome {
        Outcome::ok(json_doc(doc))
    }
}

/// What every command is given, resolved once from flags and environment.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub store: store::StoreAddress,
    /// Whether `store` is the per-user default rather than named by `--store` or `BREACH_STORE`.
    pub store_is_default: bool,
    pub actor: String,
    pub json: bool,
    pub incident: Option<String>,
    pub runbooks: Option<PathBuf>,
    /// Whether prompts may be shown: a terminal on standard input and no `--non-interactive`.
    pub interactive: bool,
    /// Whether text that looks like it holds identifiers may be recorded (`--allow-identifiers`).
    pub allow_identifiers: bool,
    /// Where "now" comes from (the system clock unless fixed: tests, training) and the zone
    /// the organisation's days are kept in (the profile's, else the machine's).
    pub calendar: clock::Calendar,
    /// "Now" when the command started, for its views.
    pub now: DateTime<Utc>,
    /// When what this command records happened, when that was earlier (`--at`).
    pub happened: Option<Happened>,
    /// The organisation's profile as the command started, read once: its zone and its own
    /// contact details. Commands that show or change it (`config`, letters, exports) read it
    /// themselves, so that a damaged profile is reported there.
    pub profile: crate::profile::Profile,
    /// Where long documents go when no `-o` names a file.
    pub sink: Sink,
    /// Where the command asks a person, when it may ask at all (`interactive`).
    pub prompts: crate::walk::Prompts,
    /// The store, opened on first use and kept for the rest of the command (and for the
    /// sessions cloned from this one): one connection to a database store, one check of a
    /// directory store's safety.
    opened: std::cell::OnceCell<std::rc::Rc<Store>>,
    /// The incident `-i` (or its absence) was resolved to, once.
    resolved: std::cell::OnceCell<(Option<String>, String)>,
}

/// `--at WHEN`: when the thing recorded happened, and whether it may precede discovery.
#[derive(Debug, Clone)]
pub(crate) struct Happened {
    pub at: GivenTime,
    /// Facts about the breach itself may describe what happened before it was discovered.
    pub may_precede_discovery: bool,
}

impl Session {
    pub(crate) fn from_cli(cli: &Cli, clock: Clock) -> Result<Session, Error> {
        let g = &cli.global;
        let actor = match &g.actor {
            Some(a) => a.clone(),
            None => std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| format!("uid-{}", crate::files::current_uid())),
        };
        let actor = actor.trim().to_owned();
        if actor.is_empty() || actor.len() > 128 || actor.chars().any(char::is_control) {
            return Err(Error::usage(
                "--actor / BREACH_ACTOR must be a name of 1 to 128 printable characters",
            ));
        }
        let address =
            store::StoreAddress::parse(&g.store.clone().unwrap_or_else(store::default_root));
        let profile = crate::profile::Profile::load(&address.files_dir()).unwrap_or_default();
        // The organisation's day: the zone its profile names, else the machine's.
        let zone = profile
            .get("time_zone")
            .and_then(|name| clock::parse_zone(name).ok())
            .map_or(clock::Zone::Machine, clock::Zone::Named);
        Ok(Session {
            profile,
            store: address,
            store_is_default: g.store.is_none(),
            actor,
            json: g.json,
            incident: g.incident.clone(),
            runbooks: g.runbooks.clone(),
            interactive: !g.non_interactive && std::io::stdin().is_terminal(),
            allow_identifiers: g.allow_identifiers,
            calendar: clock::Calendar::new(clock, zone),
            now: clock.now(),
            happened: None,
            sink: Sink::Outcome,
            prompts: crate::walk::Prompts::terminal(),
            opened: std::cell::OnceCell::new(),
            resolved: std::cell::OnceCell::new(),
        })
    }

    /// The stamp of an entry recorded now: on which clock, and when it happened.
    pub(crate) fn stamp<'a>(&self, ts: &'a str, at: Option<&'a str>) -> Stamp<'a> {
        Stamp {
            ts,
            substituted: self.calendar.clock.is_substituted(),
            at,
            allowed: None,
        }
    }

    /// What the identifier check knows of the organisation: its own domains, numbers and
    /// address (from the profile) are not identifiers of anyone affected.
    fn identifier_context(&self) -> identifiers::Context {
        let profile = &self.profile;
        let host = |v: &str| {
            let v = v.trim().to_lowercase();
            let v = v.split("://").last().unwrap_or(&v).to_owned();
            let v = v.split(['/', '@']).next_back().unwrap_or("").to_owned();
            v.trim_start_matches("www.").to_owned()
        };
        let mut own_domains = Vec::new();
        if let Some(email) = profile.get("email") {
            own_domains.push(host(email.rsplit('@').next().unwrap_or("")));
        }
        if let Some(site) = profile.get("website") {
            own_domains.push(host(site.split('/').nth(2).unwrap_or(site)));
        }
        own_domains.retain(|d| d.contains('.'));
        identifiers::Context {
            own_domains,
            own_numbers: profile
                .get("toll_free")
                .map(|n| n.chars().filter(char::is_ascii_digit).collect())
                .into_iter()
                .collect(),
            own_address: profile.get("address").map(str::to_lowercase),
            email_expected: false,
            this_year: Some(chrono::Datelike::year(&self.now)),
        }
    }

    /// Decides what to do with text that looks like it holds identifiers: with
    /// `--allow-identifiers`, record it and say so in the entry; in a terminal, ask; otherwise
    /// refuse, naming where and what kind (never the text). `Ok(Some(kinds))` is an override.
    fn allow(&self, described: &str, kinds: &[&str]) -> Result<Option<String>, Error> {
        let override_text = || format!("identifiers: {}", kinds.join(", "));
        if self.allow_identifiers {
            return Ok(Some(override_text()));
        }
        if self.interactive {
            let mut prompts = self.prompts.open();
            crate::walk::Responder::say(
                &mut *prompts,
                &format!(
                    "{described}. The log keeps every entry for six years and cannot forget: describe identifiers (\"the patient's SSN\") instead of copying them."
                ),
            );
            let record_anyway = crate::walk::Responder::confirm(
                &mut *prompts,
                "Record it as it is anyway (the override is recorded)?",
                false,
            );
            return match record_anyway {
                Ok(true) => Ok(Some(override_text())),
                _ => Err(Error::Interrupted(
                    "not recorded: edit the text to describe the identifier, and run the command again".to_owned(),
                )),
            };
        }
        Err(Error::refused(format!(
            "not recorded: {described}; describe it instead (\"the patient's SSN\"), or add --allow-identifiers to record it as it is (the override is recorded in the entry)"
        )))
    }

    /// Today's calendar date in the local time zone.
    fn today(&self) -> NaiveDate {
        self.calendar.local_date(self.now)
    }

    /// The store, opened once per command.
    fn open_store(&self) -> Result<std::rc::Rc<Store>, Error> {
        if let Some(store) = self.opened.get() {
            return Ok(store.clone());
        }
        let store = std::rc::Rc::new(Store::open(&self.store)?);
        Ok(self.opened.get_or_init(|| store).clone())
    }

    /// The store, created when missing: for the commands that must write (`start`, `config
    /// set`, `runbook init`). The default store is made with its parents, as on a fresh machine;
    /// one named by `--store` or `BREACH_STORE` only when its parent exists.
    fn create_store(&self) -> Result<std::rc::Rc<Store>, Error> {
        if let Some(store) = self.opened.get() {
            return Ok(store.clone());
        }
        let store = std::rc::Rc::new(Store::create(&self.store, self.store_is_default)?);
        Ok(self.opened.get_or_init(|| store).clone())
    }

    /// The runbook directories in precedence order: the store's, then `--runbooks`.
    fn runbook_dirs(&self) -> Result<Vec<PathBuf>, Error> {
        let mut dirs = Vec::new();
        let in_store = self.store.files_dir().join("runbooks");
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

    /// Every runbook available, with a warning for each of the organisation's that cannot be
    /// used.
    fn catalog(&self) -> Result<Catalog, Error> {
        let catalog = Catalog::load(&self.runbook_dirs()?)?;
        runbooks::warn_invalid(&catalog);
        Ok(catalog)
    }

    /// The store and the incident this command is about, replayed from its verified log.
    /// The incident this command is about: `-i`, the only open one, or, among several open
    /// ones in a terminal, the one the person picks.
    fn resolve(&self, store: &Store) -> Result<String, Error> {
        if let Some((given, id)) = self.resolved.get()
            && *given == self.incident
        {
            return Ok(id.clone());
        }
        let id = self.resolve_anew(store)?;
        let _ = self.resolved.set((self.incident.clone(), id.clone()));
        Ok(id)
    }

    fn resolve_anew(&self, store: &Store) -> Result<String, Error> {
        match store.resolve(self.incident.as_deref()) {
            Err(Error::NoIncidentChosen(why)) if self.incident.is_none() && self.interactive => {
                let open = store.open_incidents();
                if open.len() < 2 {
                    return Err(Error::NoIncidentChosen(why));
                }
                let options: Vec<String> = open
                    .iter()
                    .map(|(id, title)| format!("{id} — {}", crate::text::sanitize(title)))
                    .collect();
                let mut prompts = self.prompts.open();
                let chosen = crate::walk::Responder::choose(
                    &mut *prompts,
                    "Several incidents are open. Which one?",
                    &options,
                )
                .map_err(|_| Error::NoIncidentChosen(why))?;
                Ok(open[chosen].0.clone())
            }
            other => other,
        }
    }

    fn load_current(&self) -> Result<(std::rc::Rc<Store>, Incident), Error> {
        let store = self.open_store()?;
        let id = self.resolve(&store)?;
        let incident = store.load(&id)?;
        Ok((store, incident))
    }
}

/// Where a long document (a JSON or CSV export, a store-wide view) goes when no `-o` names a
/// file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sink {
    /// The binary's standard output: written as it is made when that is a file or a pipe, so
    /// that nothing holds the whole document; a terminal gets it through the outcome, whose text
    /// is made safe before it is shown.
    Stdout,
    /// The outcome's text, whole: for a caller in the same process.
    Outcome,
}

impl Sink {
    fn streams(self) -> bool {
        use std::io::IsTerminal;
        self == Sink::Stdout && !std::io::stdout().is_terminal()
    }
}

/// Runs one parsed command line as the binary does: on the clock the environment gives
/// (`BREACH_NOW` or the system's), long documents written straight to standard output.
pub fn run(cli: Cli) -> Result<Outcome, Error> {
    run_with(cli, Clock::from_env()?, Sink::Stdout)
}

/// Runs one parsed command line on the given clock, every document in the outcome.
#[cfg(test)]
pub(crate) fn run_on(cli: Cli, clock: Clock) -> Result<Outcome, Error> {
    run_with(cli, clock, Sink::Outcome)
}

/// Runs one parsed command line on `clock`, long documents going to `sink`.
fn run_with(cli: Cli, clock: Clock, sink: Sink) -> Result<Outcome, Error> {
    let mut session = Session::from_cli(&cli, clock)?;
    session.sink = sink;
    if let Some((happened, about_the_breach)) = happened_at(&cli.command) {
        session.happened = happened
            .at
            .as_deref()
            .map(|w| -> Result<Happened, Error> {
                Ok(Happened {
                    at: session.calendar.parse_past(w, "--at", session.now)?,
                    may_precede_discovery: about_the_breach,
                })
            })
            .transpose()?;
    }
    let s = &session;
    match cli.command {
        Command::Start {
            runbook,
            discovered,
            title,
        } => lifecycle::start(s, runbook, discovered, title),
        Command::List(args) => store_wide::list(s, &args),
        Command::Status => lifecycle::status(s),
        Command::Discard { reason } => lifecycle::discard(s, reason),
        Command::Close { force, reason } => lifecycle::close(s, force, reason),
        Command::Walk => steps::walk(s),
        Command::Next => steps::next(s),
        Command::Done {
            step,
            note,
            set,
            action,
            ..
        } => steps::done(s, step, note, &set, *action),
        Command::Skip { step, reason, .. } => steps::skip(s, step, reason),
        Command::Na { step, reason, .. } => steps::not_applicable(s, step, reason),
        Command::Reopen {
            step: Some(step),
            reason,
            ..
        } => steps::reopen(s, step, reason),
        Command::Reopen {
            step: None, reason, ..
        } => lifecycle::reopen_incident(s, reason),
        Command::Note { text, step, .. } => steps::note(s, text, step),
        Command::Attach { file, step, .. } => steps::attach(s, file, step),
        Command::Facts(args) => regulatory::facts(s, &args),
        Command::Assess(args) => regulatory::assess(s, args),
        Command::Notify(args) => regulatory::notify(s, &args),
        Command::Deadlines { all: false, .. } => regulatory::deadlines(s),
        Command::Deadlines { ics, out, .. } => store_wide::deadlines(s, ics, &out),
        Command::Annual {
            year,
            format,
            bom,
            out,
        } => store_wide::annual(s, year, format, bom, &out),
        Command::Export { format, bom, out } => documents::export(s, format, bom, &out),
        Command::Letter { kind, strict, out } => documents::letter(s, kind, strict, &out),
        Command::Config(cmd) => profile::config(s, cmd),
        Command::Verify { expect_head } => integrity::verify(s, expect_head.as_deref()),
        Command::Repair => integrity::repair(s),
        Command::Store(crate::cli::StoreCommand::Init) => transfer::init(s),
        Command::Push { to } => transfer::push(s, &to),
        Command::Pull { from } => transfer::pull(s, &from),
        Command::Runbook(cmd) => runbooks::runbook(s, cmd),
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
        Command::Man { dir: Some(dir) } => {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("create directory", &dir, e))?;
            clap_mangen::generate_to(<Cli as clap::CommandFactory>::command(), &dir)
                .map_err(|e| Error::io("write manual pages into", &dir, e))?;
            let pages = std::fs::read_dir(&dir)
                .map(|d| {
                    d.filter_map(Result::ok)
                        .filter(|e| e.file_name().to_string_lossy().starts_with("breach"))
                        .count()
                })
                .unwrap_or(0);
            Ok(Outcome::ok(format!(
                "Wrote {pages} manual pages into {} (breach.1 and one per command).\n",
                dir.display()
            )))
        }
        Command::Man { dir: None } => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut out)
                .map_err(|e| Error::internal("cannot render the manual page", e))?;
            Ok(Outcome::ok(String::from_utf8_lossy(&out).into_owned()))
        }
    }
}

/// The `--at` of a writing command, and whether what it records may precede discovery.
fn happened_at(command: &Command) -> Option<(&crate::cli::HappenedAt, bool)> {
    match command {
        Command::Done { happened, .. }
        | Command::Skip { happened, .. }
        | Command::Na { happened, .. }
        | Command::Reopen { happened, .. }
        | Command::Note { happened, .. }
        | Command::Attach { happened, .. } => Some((happened, false)),
        Command::Notify(args) => Some((&args.happened, false)),
        Command::Assess(args) => Some((&args.happened, false)),
        Command::Facts(args) => Some((&args.happened, true)),
        _ => None,
    }
}

/// The override for text that looks like it holds identifiers, if any was found: asked in a
/// terminal, taken from `--allow-identifiers`, or refused.
fn screen_before_writing(
    session: &Session,
    what: &str,
    text: &str,
) -> Result<Option<String>, Error> {
    match screen_text(what, text, &session.identifier_context()) {
        None => Ok(None),
        Some(finding) => {
            let findings = [finding];
            session.allow(&Finding::describe(&findings), &Finding::kinds(&findings))
        }
    }
}

/// The shared write path: lock, replay, decide, screen, append. `decide` sees the verified state
/// and returns the event to record, or refuses. When the event's text looks like it holds
/// identifiers and a terminal can ask, the lock is released before asking, and on a yes the
/// whole path runs again (so `decide` may be called twice).
fn record(
    session: &Session,
    decide: impl Fn(&Store, &Incident) -> Result<Event, Error>,
) -> Result<(Incident, Event, Head), Error> {
    let recorded = match record_once(session, &decide, None) {
        Err(Error::IdentifiersFound { described, kinds }) => {
            let allowed = session.allow(&described, &kinds)?;
            record_once(session, &decide, allowed)
        }
        other => other,
    };
    // A database that stopped answering before the entry was sent: say that nothing was
    // recorded, as after any failed append.
    recorded.map_err(|e| match e {
        Error::Database { .. } => Error::NotRecorded(Box::new(e)),
        other => other,
    })
}

/// One pass of [`record`]: `allowed` is an override already given for identifiers.
fn record_once(
    session: &Session,
    decide: &impl Fn(&Store, &Incident) -> Result<Event, Error>,
    allowed: Option<String>,
) -> Result<(Incident, Event, Head), Error> {
    let store = session.open_store()?;
    let id = session.resolve(&store)?;
    let mut log = store.open_log(&id, Access::Write)?;
    let incident = store.replay_log(&id, log.as_mut())?;
    let event = decide(&store, &incident)?;
    let findings = screen_event(&event, &incident, &session.identifier_context());
    let allowed = if findings.is_empty() {
        None
    } else if allowed.is_some() {
        allowed
    } else if session.interactive && !session.allow_identifiers {
        // Ask with the lock released; `record` runs the path again on a yes.
        return Err(Error::IdentifiersFound {
            described: Finding::describe(&findings),
            kinds: Finding::kinds(&findings),
        });
    } else {
        session.allow(&Finding::describe(&findings), &Finding::kinds(&findings))?
    };
    if let Some(h) = &session.happened
        && !h.may_precede_discovery
        && h.at.at < incident.discovered.at
    {
        return Err(Error::input(format!(
            "--at {} is before the breach was discovered ({}); only facts about the breach itself may be dated earlier",
            h.at.given,
            session.calendar.local_display(incident.discovered.at)
        )));
    }
    // Read under the lock, after the replay: a concurrent writer's entry is already in the tail,
    // so this time is never earlier than the entry before it unless the clock was set back.
    let ts = clock::log_timestamp(session.calendar.now());
    let at = session
        .happened
        .as_ref()
        .map(|h| clock::log_timestamp(h.at.at));
    let mut stamp = session.stamp(&ts, at.as_deref());
    stamp.allowed = allowed.as_deref();
    let head = log
        .append_raw(&stamp, &session.actor, event.kind(), &event.payload()?)
        .map_err(|e| match e {
            Error::NotRecorded(_) => e,
            other => Error::NotRecorded(Box::new(other)),
        })?;
    Ok((incident, event, head))
}

/// The file `-o` names, or `None` for standard output (no `-o`, or `-o -`, as for every tool
/// that writes files).
fn to_file(out: &crate::cli::FileOut) -> Option<&std::path::Path> {
    out.output.as_deref().filter(|p| p.as_os_str() != "-")
}

/// Writes a document that may be long as `write` makes it: to the file `-o` names (created
/// 0600, replaced only with `--force`, and said so), or straight to standard output when that
/// is a file or a pipe (a reader that stops early is not a failure), or, for a terminal, into
/// the outcome, whose text is made safe before it is shown. Nothing holds the whole document
/// but the terminal's copy.
fn write_document(
    sink: Sink,
    out: &crate::cli::FileOut,
    what: &str,
    write: &dyn Fn(&mut (dyn std::io::Write + Send)) -> Result<(), Error>,
) -> Result<Outcome, Error> {
    use std::io::Write;
    if let Some(path) = to_file(out) {
        let mut written = 0u64;
        let mut failed = None;
        crate::files::write_private_file_with(path, out.force, &mut |f| {
            let mut counted = Counted { inner: f, bytes: 0 };
            let result = write(&mut counted);
            written = counted.bytes;
            result.map_err(|e| {
                let message = e.to_string();
                failed = Some(e);
                std::io::Error::other(message)
            })
        })
        .map_err(|e| failed.take().unwrap_or(e))?;
        return Ok(Outcome::ok(format!(
            "Wrote {what} to {} ({written} bytes).\n",
            path.display()
        )));
    }
    if !sink.streams() {
        let mut text = Vec::new();
        write(&mut text)?;
        return Ok(Outcome::ok(String::from_utf8_lossy(&text).into_owned()));
    }
    let mut piped = Piped {
        inner: std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout()),
        closed: false,
    };
    let written = write(&mut piped).and_then(|()| {
        piped
            .flush()
            .map_err(|e| Error::io("write", std::path::Path::new("standard output"), e))
    });
    match written {
        // A reader that stopped early (`| head`) is not a failure.
        Err(_) if piped.closed => Ok(Outcome::ok(String::new())),
        other => other.map(|()| Outcome::ok(String::new())),
    }
}

/// Standard output, noting when the reader went away.
struct Piped<W: std::io::Write> {
    inner: W,
    closed: bool,
}

impl<W: std::io::Write> std::io::Write for Piped<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            self.closed |= e.kind() == std::io::ErrorKind::BrokenPipe;
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| {
            self.closed |= e.kind() == std::io::ErrorKind::BrokenPipe;
        })
    }
}

/// A writer that counts the bytes through it.
struct Counted<'a> {
    inner: &'a mut (dyn std::io::Write + Send),
    bytes: u64,
}

impl std::io::Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a document to the file `-o` names (created 0600, replaced only with `--force`) and
/// says so, or returns it for standard output.
fn deliver(out: &crate::cli::FileOut, text: String, what: &str) -> Result<String, Error> {
    let Some(path) = to_file(out) else {
        return Ok(text);
    };
    crate::files::write_private_file(path, text.as_bytes(), out.force)?;
    Ok(format!(
        "Wrote {what} to {} ({} bytes).\n",
        path.display(),
        text.len()
    ))
}

/// What a writing command prints under `--json`: the incident and the log's new head.
#[derive(Debug, Serialize)]
pub(crate) struct Written<'a> {
    pub id: &'a str,
    pub head: &'a Head,
}

/// The output of a write: the message and the head for a person, or [`Written`] for a script.
fn written(session: &Session, incident: &Incident, message: String, head: &Head) -> Outcome {
    if session.json {
        return Outcome::json(&Written {
            id: &incident.id,
            head,
        })
        .recorded(head);
    }
    Outcome::ok(format!("{message}\n{}", terminal::head_line(head))).recorded(head)
}

fn json_doc(value: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("command outputs always serialise");
    s.push('\n');
    s
}
