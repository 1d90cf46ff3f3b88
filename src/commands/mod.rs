//! The commands: the top of the crate. Each family of commands has its own module with its
//! arguments (from [`crate::cli`]) and its own output types; each is given one small [`Session`]
//! value (store, actor, incident, the time, whether it may prompt).
//!
//! Every write follows the same path — resolve the incident, take the exclusive lock, replay
//! (and so verify) the log, check the change against the rules, append one entry — so no command
//! can record a change the rules would refuse. See ARCHITECTURE.md for the layers below.

mod completion;
mod documents;
mod integrity;
mod lifecycle;
mod manual;

pub use manual::parse;
mod output;
mod profile;
mod regulatory;
mod runbooks;
mod signatures;
mod steps;
mod store_wide;
mod templates;
mod timestamps;
mod transfer;
mod write;

pub(crate) use output::Sink;
use output::{deliver, to_file, write_document};
use write::{record, screen_before_writing};

#[cfg(test)]
mod attach_tests;
#[cfg(test)]
mod walk_tests;

use std::io::IsTerminal;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::cli::{Cli, Command, DoneCommand};
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
    /// Who signs what this command records (`--signing-key`), read on the first entry signed.
    pub signer: std::rc::Rc<crate::signing::Signer>,
}

/// Says once per command which of this machine's own files a database store no longer reads
/// (before the store kept them, each machine had its own profile, runbooks and templates).
fn note_files_no_longer_read(store: &Store) {
    let machine = store.machine_dir();
    for (name, how) in [
        ("profile.json", "breach config set"),
        ("runbooks", "breach runbook publish"),
        ("templates", "breach template publish"),
    ] {
        let old = machine.join(name);
        if old.exists() {
            eprintln!(
                "breach: note: {} is no longer read: the store keeps the organisation's profile, runbooks and templates for every machine; give them to it with `{how}`, then move this away",
                old.display()
            );
        }
    }
}

/// Whether a command reads the organisation's profile, runbooks or templates, so that on a
/// database store it must connect before it starts: all but setting the store up, the
/// validator of runbook files and the documents about the tool itself.
fn reads_organisation_files(command: &Command) -> bool {
    !matches!(
        command,
        Command::Store(_)
            | Command::Completions { .. }
            | Command::Schema { .. }
            | Command::Runbook(crate::cli::RunbookCommand::Validate { .. })
    )
}

/// Whether a command records an entry, so that a store it cannot reach means "entry NOT
/// recorded".
fn records_entries(command: &Command) -> bool {
    happened_at(command).is_some()
        || matches!(
            command,
            Command::Start { .. }
                | Command::Walk { .. }
                | Command::Void { .. }
                | Command::Assign { .. }
                | Command::Close { .. }
                | Command::Discard { .. }
                | Command::Repair { .. }
                | Command::Timestamp(crate::cli::TimestampCommand::Add { .. })
        )
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
            // As git and ssh find the user: the environment, then the user database (a cron
            // job or a container without USER and LOGNAME), and only then the bare uid.
            None => std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .ok()
                .filter(|name| !name.trim().is_empty())
                .or_else(|| whoami::username().ok())
                .unwrap_or_else(|| format!("uid-{}", crate::files::current_uid())),
        };
        let actor = actor.trim().to_owned();
        if actor.is_empty() || actor.len() > 128 || actor.chars().any(char::is_control) {
            return Err(Error::usage(
                "--actor / BREACH_ACTOR must be a name of 1 to 128 printable characters",
            ));
        }
        let address =
            store::StoreAddress::parse(&g.store.clone().unwrap_or_else(store::default_root));
        // A database store keeps the profile for every machine: it is opened now (every command
        // that reads the profile would open it anyway), and its current version read from this
        // machine's cache of it.
        let opened = std::cell::OnceCell::new();
        let files_dir = match &address {
            store::StoreAddress::Postgres(_) if reads_organisation_files(&cli.command) => {
                let store = Store::open(&address).map_err(|e| match e {
                    // As the write path says of a store that stopped answering.
                    Error::Database { .. } if records_entries(&cli.command) => {
                        Error::NotRecorded(Box::new(e))
                    }
                    other => other,
                })?;
                let store = std::rc::Rc::new(store);
                note_files_no_longer_read(&store);
                let dir = store.files_dir();
                let _ = opened.set(store);
                dir
            }
            _ => address.files_dir(),
        };
        let profile = crate::profile::Profile::load(&files_dir).unwrap_or_default();
        // Counsel's reviewed state-law table, when the profile names one: every command but
        // `config` (which must still be able to name another) refuses a table that does not read.
        if let Some(path) = profile.get("state_rules")
            && !matches!(cli.command, Command::Config(_))
        {
            crate::rules::state::install(profile::load_state_rules(path)?);
        }
        let required_signatures = profile.get("require_signatures") == Some("yes");
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
            opened,
            resolved: std::cell::OnceCell::new(),
            signer: std::rc::Rc::new(crate::signing::Signer::new(
                g.signing_key.clone(),
                required_signatures,
            )),
        })
    }

    /// The stamp of an entry recorded now: on which clock, and when it happened.
    pub(crate) fn stamp<'a>(&'a self, ts: &'a str, at: Option<&'a str>) -> Stamp<'a> {
        Stamp {
            ts,
            substituted: self.calendar.clock.is_substituted(),
            at,
            allowed: None,
            signer: Some(self.signer.as_ref()),
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
        // A directory store's runbooks are read without opening it (it may not exist yet); a
        // database store's from this machine's cache of them, which opening it brings up to date.
        let in_store = match (&self.store, self.opened.get()) {
            (_, Some(store)) => store.runbooks_dir(),
            (store::StoreAddress::Directory(root), None) => root.join("runbooks"),
            (store::StoreAddress::Postgres(_), None) => self.open_store()?.runbooks_dir(),
        };
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

/// How this invocation's text is to be shown: colour and the pager, from its flags and the
/// environment.
pub fn presentation(cli: &Cli) -> crate::render::present::Presentation {
    use crate::render::present::{ColorEnv, Presentation, colour, pager_from_env};
    use std::io::IsTerminal;
    let env = ColorEnv::from_process();
    let g = &cli.global;
    let forced = match g.color {
        crate::cli::ColorWhen::Auto => None,
        crate::cli::ColorWhen::Always => Some(true),
        crate::cli::ColorWhen::Never => Some(false),
    };
    Presentation {
        colour_stdout: colour(forced, &env, std::io::stdout().is_terminal()),
        colour_stderr: colour(forced, &env, std::io::stderr().is_terminal()),
        pager: (!g.no_pager).then(pager_from_env).flatten(),
        machine: g.json,
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
        Command::Walk { step } => steps::walk(s, step),
        Command::Next { mine } => steps::next(s, mine),
        Command::Done(DoneCommand::Done {
            step,
            note,
            set,
            action,
            from_eml,
            ..
        }) => steps::done(s, step, note, &set, *action, from_eml.as_deref()),
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
        Command::Note {
            text, file, step, ..
        } => steps::note(s, steps::note_text(text, file.as_deref())?, step),
        Command::Attach {
            file, step, eml, ..
        } => steps::attach(s, file, step, eml),
        Command::Void { entry, reason } => steps::void(s, entry, reason),
        Command::Assign { step, to, .. } => steps::assign(s, step, to),
        Command::Remind { within } => store_wide::remind(s, &within),
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
        Command::Letter {
            kind,
            out,
            roster: Some(roster),
            format,
            ..
        } => documents::letters_for_roster(s, kind, &roster, format, &out),
        Command::Letter {
            kind, strict, out, ..
        } => documents::letter(s, kind, strict, &out),
        Command::Config(cmd) => profile::config(s, cmd),
        Command::Verify {
            expect_head,
            require_signatures,
            export_signatures,
        } => integrity::verify(
            s,
            &integrity::VerifyArgs {
                expect_head,
                require_signatures,
                export_signatures,
            },
        ),
        Command::Repair { reason } => integrity::repair(s, reason.as_deref()),
        Command::Store(crate::cli::StoreCommand::Init) => transfer::init(s),
        Command::Timestamp(cmd) => match cmd {
            crate::cli::TimestampCommand::Request { out } => {
                timestamps::request(s, &out.output, out.force)
            }
            crate::cli::TimestampCommand::Add { response, request } => {
                timestamps::add(s, &response, request.as_deref())
            }
            crate::cli::TimestampCommand::Show { seq, out } => {
                timestamps::show(s, seq, &out.output, out.force)
            }
        },
        Command::Push { to } => transfer::push(s, &to),
        Command::Pull { from } => transfer::pull(s, &from),
        Command::Runbook(cmd) => runbooks::runbook(s, cmd),
        Command::Template(cmd) => templates::template(s, cmd),
        Command::Schema { document } => {
            let schema = match document {
                crate::cli::SchemaDocument::Export => crate::render::export::export_schema(),
                crate::cli::SchemaDocument::Status => {
                    command_schema::<lifecycle::Status<'static>>("status")
                }
                crate::cli::SchemaDocument::Deadlines => {
                    command_schema::<crate::render::deadlines::DeadlinesView<'static>>("deadlines")
                }
            };
            let text = serde_json::to_string_pretty(&schema)
                .map_err(|e| Error::internal("cannot write the schema", e))?;
            Ok(Outcome::ok(text + "\n"))
        }
        Command::Completions { shell } => Ok(Outcome::ok(completion::registration(shell)?)),
        Command::Man { dir: Some(dir) } => {
            let pages = manual::write_pages(&dir)?;
            Ok(Outcome::ok(format!(
                "Wrote {pages} manual pages into {} (breach.1 and one per command).\n",
                dir.display()
            )))
        }
        Command::Man { dir: None } => Ok(Outcome::ok(manual::page()?)),
    }
}

/// The `--at` of a writing command, and whether what it records may precede discovery.
/// The JSON Schema of `breach COMMAND --json`, titled with the command so a reader knows which.
fn command_schema<T: schemars::JsonSchema>(command: &str) -> serde_json::Value {
    let mut schema = schemars::schema_for!(T).to_value();
    schema["title"] = format!("breach {command} --json").into();
    schema
}

fn happened_at(command: &Command) -> Option<(&crate::cli::HappenedAt, bool)> {
    match command {
        Command::Done(DoneCommand::Done { happened, .. })
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
