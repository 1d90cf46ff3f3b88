//! The command line, as clap types and nothing else. Doc comments here are the `--help` text.
//! `commands` converts these once into the session and the domain values the rest of the crate
//! takes; this module imports nothing of the crate, so clap stays at the edge.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Walk a healthcare organisation through an email breach of PHI under HIPAA: runbooks, a
/// tamper-evident incident log, and the regulatory clock.
#[derive(Debug, Parser)]
#[command(name = "breach", version, max_term_width = 100)]
#[command(
    after_help = "Start here: `breach start` opens an incident; `breach status` shows where it stands."
)]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// The store holding every incident: a directory, or a postgresql:// connection string
    /// shared by a team [default: ~/.local/share/breach]
    #[arg(
        long,
        env = "BREACH_STORE",
        global = true,
        help_heading = "Global options",
        value_name = "DIR|URL"
    )]
    pub store: Option<PathBuf>,

    /// Who is acting, as recorded in the log [default: your login name]
    #[arg(
        long,
        env = "BREACH_ACTOR",
        global = true,
        help_heading = "Global options",
        value_name = "NAME"
    )]
    pub actor: Option<String>,

    /// Print one JSON document on stdout and nothing else there
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,

    /// The incident to act on (an id, or any unique part of an id or a title); may be left out when exactly one is open
    #[arg(
        short,
        long,
        env = "BREACH_INCIDENT",
        global = true,
        help_heading = "Global options",
        value_name = "ID"
    )]
    pub incident: Option<String>,

    /// A directory of the organisation's own runbooks (a runbook with a bundled id replaces it)
    #[arg(
        long,
        env = "BREACH_RUNBOOKS",
        global = true,
        help_heading = "Global options",
        value_name = "DIR"
    )]
    pub runbooks: Option<PathBuf>,

    /// Never prompt, even in a terminal (what scripts, CI and cron get anyway)
    #[arg(long, global = true, help_heading = "Global options")]
    pub non_interactive: bool,

    /// Record text that looks like it holds identifiers (an SSN, a phone number…) as it is;
    /// the override is recorded in the entry. Prefer describing them ("the patient's SSN")
    #[arg(long, global = true, help_heading = "Global options")]
    pub allow_identifiers: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Open an incident from a runbook (in a terminal, asks for what is not given)
    #[command(
        after_help = "Examples:\n  breach start\n  breach start --runbook misdirected-email --discovered \"2026-11-20 16:05\" --title \"Lab results sent to wrong address\""
    )]
    Start {
        /// The runbook to follow (see `breach runbook list`)
        #[arg(long, value_name = "ID")]
        runbook: Option<String>,
        /// When the breach was discovered: YYYY-MM-DD, "YYYY-MM-DD HH:MM" (local time), RFC 3339, or now
        #[arg(long, value_name = "WHEN")]
        discovered: Option<String>,
        /// A short title; do not put patient names or other PHI here
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
    },

    /// List the incidents in the store
    #[command(
        after_help = "Examples:\n  breach list\n  breach list --state open --overdue\n  breach list --year 2026 --runbook misdirected-email\n  breach --json list | jq -r '.incidents[] | select(.state == \"open\") | .id'"
    )]
    List(ListArgs),

    /// Show an incident: progress per phase, every step, what is next, the log's head
    #[command(after_help = "Examples:\n  breach status\n  breach -i 20261122-k7qm status --json")]
    Status,

    /// Show the steps that can be worked now
    #[command(after_help = "Examples:\n  breach next\n  breach --json next | jq -r '.steps[].id'")]
    Next,

    /// Work the open steps one at a time, guided, in a terminal
    #[command(
        after_help = "Example:\n  breach walk\n\nLeave at any prompt with Ctrl-C: nothing of the step in hand is recorded, and\n`breach walk` resumes at the next workable step, for you or another responder."
    )]
    Walk,

    /// Mark a step done, with its evidence (and, for a step that records an action, that action)
    #[command(
        after_help = "A step whose runbook entry says `records:` is done by recording that action, in the same entry: it takes the flags of `breach notify`, `breach facts` or `breach assess` below (`breach runbook show` says which step records what).\n\nExamples:\n  breach done identify-message --set message_id='<abc@mail.example.org>' --set recipient_type=external\n  breach done notify-individuals --date 2026-12-01 --method first-class-mail --count 640\n  breach done count-affected --affected 640 --state TX=520 --unreachable 12"
    )]
    Done {
        /// The step id (see `breach next`)
        step: String,
        /// A note to record with the step
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// An evidence value, FIELD=VALUE; repeat for each field
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        action: Box<BoundFlags>,
        #[command(flatten)]
        happened: HappenedAt,
    },

    /// Skip a step, with the reason
    #[command(
        after_help = "Example:\n  breach skip apply-sanctions-policy --reason \"Reviewed with HR; honest error\""
    )]
    Skip {
        step: String,
        /// Why the step is skipped (required)
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[command(flatten)]
        happened: HappenedAt,
    },

    /// Mark a step not applicable to this incident, with the reason
    #[command(
        after_help = "Example:\n  breach na attempt-recall --reason \"External recipient: recall is not possible\""
    )]
    Na {
        step: String,
        /// Why the step does not apply (required)
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[command(flatten)]
        happened: HappenedAt,
    },

    /// Reopen a done, skipped or not-applicable step, or a closed incident, with the reason
    #[command(
        after_help = "Examples:\n  breach reopen contact-recipient --reason \"The recipient called back: forwarded after all\"\n  breach reopen --reason \"The count grew: 40 more patients found in the trace\""
    )]
    Reopen {
        /// The step to reopen; leave it out to reopen a closed incident
        step: Option<String>,
        /// Why it is reopened (required)
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[command(flatten)]
        happened: HappenedAt,
    },

    /// Record a note in the log
    #[command(
        after_help = "Examples:\n  breach note \"Recipient called back and deleted the message\"\n  breach note \"Trace shows no forwarding\" --step stop-further-spread"
    )]
    Note {
        /// The note; avoid patient identifiers, describe instead
        text: String,
        /// The step the note is about
        #[arg(long, value_name = "STEP")]
        step: Option<String>,
        #[command(flatten)]
        happened: HappenedAt,
    },

    /// Copy an evidence file into the incident, recording its SHA-256
    #[command(after_help = "Example:\n  breach attach message-trace.csv --step preserve-evidence")]
    Attach {
        /// The file to copy (the original is left untouched)
        file: PathBuf,
        /// The step the file is evidence for
        #[arg(long, value_name = "STEP")]
        step: Option<String>,
        #[command(flatten)]
        happened: HappenedAt,
    },

    /// Record the facts that drive the clock (with no flags: show them)
    #[command(
        after_help = "Examples:\n  breach facts --affected 640 --state TX=520 --state OK=120 --unreachable 12\n  breach facts --affected unknown --reason \"recount under way\"\n  breach facts --delay oral --delay-official \"Det. R. Okafor, City PD\" --delay-stated 2026-11-21"
    )]
    Facts(FactsArgs),

    /// Record the risk assessment and its determination (in a terminal, asks for what is missing)
    #[command(
        after_help = "Example (a misdirected email the recipient deleted unread):\n  breach assess --secured no --exception none \\\n    --nature low --nature-why \"name and appointment date only\" \\\n    --recipient low --recipient-why \"another covered entity bound by HIPAA\" \\\n    --acquired low --acquired-why \"recipient attests it was not opened\" \\\n    --mitigation low --mitigation-why \"deleted; signed attestation attached\" \\\n    --determination low-probability --signed-by \"Dana Whit\" --role \"Privacy Officer\""
    )]
    Assess(AssessArgs),

    /// Record a notice sent; the matching obligation becomes met or met_late
    #[command(
        after_help = "Examples:\n  breach notify --to individuals --date 2026-12-01 --method first-class-mail --count 640\n  breach notify --to media --state TX --date 2026-12-02 --method press-release"
    )]
    Notify(NotifyArgs),

    /// List every notification obligation that applies, with due date and status
    #[command(
        after_help = "Examples:\n  breach deadlines\n  breach deadlines --all\n  breach deadlines --all --ics -o breach-deadlines.ics\n  breach --json deadlines | jq '.obligations[] | select(.status == \"overdue\")'"
    )]
    Deadlines {
        /// Every open obligation of every open incident in the store, overdue first
        #[arg(long)]
        all: bool,
        /// With --all: an iCalendar file of them, to subscribe to in a calendar application
        #[arg(long, requires = "all")]
        ics: bool,
        #[command(flatten)]
        out: FileOut,
    },

    /// The year-end report to HHS: every breach of fewer than 500 discovered in YEAR
    #[command(
        after_help = "Every incident discovered in YEAR whose assessment requires notification and that affected fewer than 500 people goes to HHS within 60 days after the year ends (45 CFR 164.408(c)), each as its own submission through the OCR portal. Incidents not yet assessed are named as a warning: they may belong in it.\n\nExamples:\n  breach annual 2026\n  breach annual 2026 --format csv -o annual-2026.csv\n  breach --json annual 2026"
    )]
    Annual {
        /// The calendar year of discovery
        year: i32,
        /// table (the default), csv or json (as --json)
        #[arg(long, value_enum, default_value = "table")]
        format: AnnualFormat,
        /// With csv: start with a UTF-8 byte-order mark, so that Excel reads accents right
        #[arg(long)]
        bom: bool,
        #[command(flatten)]
        out: FileOut,
    },

    /// Export the incident for counsel, auditors or a calendar
    #[command(
        after_help = "Examples:\n  breach export --format html -o incident.html\n  breach export --format ics -o deadlines.ics\n  breach export --format json | jq .verification"
    )]
    Export {
        /// md, html, json, csv (the timeline) or ics (the deadlines)
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// With csv: start with a UTF-8 byte-order mark, so that Excel reads accents right
        #[arg(long)]
        bom: bool,
        #[command(flatten)]
        out: OutputArgs,
    },

    /// Draft a notice, and check it against the content the regulation requires
    #[command(
        after_help = "Examples:\n  breach letter individual -o letter.md\n  breach letter hhs\n  breach letter individual --strict   # exit 1 while a required element is missing"
    )]
    Letter {
        /// Which notice
        #[arg(value_enum)]
        kind: LetterArg,
        /// Exit 1 when any required content element is missing
        #[arg(long)]
        strict: bool,
        #[command(flatten)]
        out: OutputArgs,
    },

    /// Show or set the organisation profile used by letters and exports
    #[command(
        subcommand,
        after_help = "Examples:\n  breach config show\n  breach config set toll_free 1-800-555-0100"
    )]
    Config(ConfigCommand),

    /// Close the incident (refused while required steps are open or an obligation is not met)
    #[command(
        after_help = "Examples:\n  breach close\n  breach close --force --reason \"Merged into incident 20261120-abcd\""
    )]
    Close {
        /// Close even though required steps are open or obligations are not met; needs --reason
        #[arg(long, requires = "reason")]
        force: bool,
        /// Why the incident is closed with steps open
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },

    /// Set aside a test or practice incident, with the reason: kept in the store as discarded,
    /// hidden from `list`, never deleted
    #[command(
        after_help = "Example:\n  breach -i \"Test incident\" discard --reason \"Practice run from the README\"\n\nA discarded incident keeps its whole log; `breach list --state discarded` shows it, and\n`breach reopen --reason …` takes it back if it was real after all."
    )]
    Discard {
        /// Why it is discarded (required)
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },

    /// Check every entry of the log; exit 0 only when it is intact
    #[command(
        after_help = "Examples:\n  breach verify\n  breach verify --expect-head 42:3f5c…\n\nKeep the head printed after each write somewhere else (a ticket, an email to counsel); \n`breach verify --expect-head SEQ:HASH` then proves the log was not truncated or rewritten since."
    )]
    Verify {
        /// A head kept elsewhere, as SEQ:HASH (or just the hash), that the log must still contain
        #[arg(long, value_name = "HEAD")]
        expect_head: Option<String>,
    },

    /// Quarantine a torn final line left by a crash, and log what was removed
    #[command(
        after_help = "Example (after `breach verify` reports a torn tail):\n  breach repair && breach verify"
    )]
    Repair,

    /// Set up a shared store on PostgreSQL: tables, insert-only triggers, roles
    #[command(
        subcommand,
        after_help = "Example (as the database's owner):\n  breach store init --store postgresql://admin@db.example.org/breach"
    )]
    Store(StoreCommand),

    /// Copy an incident, byte for byte, into another store and verify it there
    #[command(
        after_help = "Examples:\n  breach push -i 20261122-k7qm --to postgresql://alice@db.example.org/breach\n  breach push --store ./laptop-store --to ./usb-copy\n\nAttachments go first, then every entry the other store lacks; an incident that differs\nthere is refused. Running it again copies only what is new."
    )]
    Push {
        /// The store to copy into: a directory or a postgresql:// connection string
        #[arg(long, value_name = "STORE")]
        to: PathBuf,
    },

    /// Copy an incident, byte for byte, from another store into this one (an offline copy)
    #[command(
        after_help = "Example:\n  breach pull -i 20261122-k7qm --from postgresql://alice@db.example.org/breach --store ./offline"
    )]
    Pull {
        /// The store to copy from: a postgresql:// connection string or a directory
        #[arg(long, value_name = "STORE")]
        from: PathBuf,
    },

    /// List, show and validate runbooks
    #[command(
        subcommand,
        after_help = "Examples:\n  breach runbook list\n  breach runbook show misdirected-email --affected 800 --state TX=600"
    )]
    Runbook(RunbookCommand),

    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  breach completions bash > ~/.local/share/bash-completion/completions/breach\n  breach completions zsh > \"${fpath[1]}/_breach\"\n  breach completions fish > ~/.config/fish/completions/breach.fish"
    )]
    Completions {
        /// bash, zsh, fish, powershell or elvish
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the manual page (roff), or write one page per command into a directory
    #[command(
        after_help = "Example:\n  breach man --dir ~/.local/share/man/man1 && man breach-notify\n\nbreach(1) lists the commands as breach-start(1), breach-notify(1) and so on: --dir writes\nthose pages too, so every page it names exists."
    )]
    Man {
        /// Write breach.1 and one page per command (breach-start.1, …) into DIR
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// When something recorded happened, when that was earlier than now.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct HappenedAt {
    /// When it happened, if earlier than now (same forms as `start --discovered`); kept beside
    /// the time it is recorded
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
}

/// `list`'s filters.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only open, closed or discarded incidents (discarded ones are listed only when asked for)
    #[arg(long, value_enum)]
    pub state: Option<OpenOrClosed>,
    /// Only incidents discovered in this calendar year
    #[arg(long, value_name = "YYYY")]
    pub year: Option<i32>,
    /// Only incidents with an overdue obligation
    #[arg(long)]
    pub overdue: bool,
    /// Only incidents on this runbook
    #[arg(long, value_name = "ID")]
    pub runbook: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OpenOrClosed {
    Open,
    Closed,
    /// Test or practice incidents set aside with `discard` (hidden otherwise)
    Discarded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum AnnualFormat {
    Table,
    Csv,
    Json,
}

/// Where a document goes: standard output, or a file.
#[derive(Debug, Args)]
pub(crate) struct FileOut {
    /// Write to FILE (created 0600) instead of standard output (`-o -`: standard output)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// Where an export or letter goes, and the templates it is drawn with.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    #[command(flatten)]
    pub file: FileOut,
    /// A directory of the organisation's own templates (report.md.j2, report.html.j2, letter-*.md.j2)
    #[arg(long, env = "BREACH_TEMPLATES", value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    Md,
    Html,
    Json,
    Csv,
    Ics,
}

impl ExportFormat {
    /// The format's name for people.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ExportFormat::Md => "Markdown",
            ExportFormat::Html => "HTML",
            ExportFormat::Json => "JSON",
            ExportFormat::Csv => "CSV",
            ExportFormat::Ics => "iCalendar",
        }
    }
}

/// The notices `breach letter` drafts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum LetterArg {
    Individual,
    Substitute,
    Media,
    Hhs,
    #[value(alias = "business-associate")]
    BusinessAssociate,
}

/// A yes-or-no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum YesNo {
    #[value(alias = "y", alias = "true")]
    Yes,
    #[value(alias = "n", alias = "false")]
    No,
}

impl YesNo {
    pub(crate) fn is_yes(self) -> bool {
        self == YesNo::Yes
    }

    /// The same words clap accepts, for values inside other arguments (`--fact NAME=yes`).
    pub(crate) fn parse(text: &str) -> Option<YesNo> {
        <YesNo as clap::ValueEnum>::from_str(text.trim(), true).ok()
    }
}

/// How a law-enforcement official asked for the delay (45 CFR 164.412).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DelayKind {
    Oral,
    Written,
}

/// The exceptions of 45 CFR 164.402(1), or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExceptionArg {
    None,
    #[value(alias = "unintentional_workforce_use")]
    UnintentionalWorkforceUse,
    #[value(alias = "inadvertent_disclosure")]
    InadvertentDisclosure,
    #[value(alias = "could_not_retain")]
    CouldNotRetain,
}

/// How PHI was secured, as the HHS guidance names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SecuredBasisArg {
    /// Encrypted to the guidance standard, the key not compromised
    Encrypted,
    /// Destroyed so that it cannot be read or reconstructed
    Destroyed,
}

/// The risk a factor of the assessment carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum RatingArg {
    Low,
    Medium,
    High,
}

/// The conclusion of the risk assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DeterminationArg {
    #[value(alias = "notification_required")]
    NotificationRequired,
    #[value(alias = "low_probability")]
    LowProbability,
    Exception,
    Secured,
    /// No impermissible use or disclosure (the recipient was entitled to the PHI, for example)
    #[value(alias = "no-impermissible-use-or-disclosure")]
    NoImpermissibleUse,
}

/// How a notice was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum NoticeMethod {
    /// Written notice by first-class mail (164.404(d)(1)(i))
    FirstClassMail,
    /// Email, where the individual agreed to electronic notice
    Email,
    /// Telephone (urgent notice, or substitute notice for fewer than 10)
    Telephone,
    /// The HHS breach portal
    Portal,
    /// A press release to prominent media outlets (164.406)
    PressRelease,
    /// A conspicuous posting on the home page (substitute notice)
    WebPosting,
    /// Major print or broadcast media (substitute notice)
    Broadcast,
    /// Hand delivery or another written form
    OtherWritten,
}

impl NoticeMethod {
    /// The method as it is written into the log.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            NoticeMethod::FirstClassMail => "first-class-mail",
            NoticeMethod::Email => "email",
            NoticeMethod::Telephone => "telephone",
            NoticeMethod::Portal => "portal",
            NoticeMethod::PressRelease => "press-release",
            NoticeMethod::WebPosting => "web-posting",
            NoticeMethod::Broadcast => "broadcast",
            NoticeMethod::OtherWritten => "other-written",
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Show the profile and every key it can hold
    #[command(after_help = "Example:\n  breach config show")]
    Show,
    /// Set a key (name, address, privacy_officer, toll_free, email, website, time_zone)
    #[command(after_help = "Example:\n  breach config set name \"Riverside Family Clinic\"")]
    Set { key: String, value: String },
    /// Remove a key
    #[command(after_help = "Example:\n  breach config unset website")]
    Unset { key: String },
}

/// Who a notice went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum NoticeAudience {
    Individuals,
    Substitute,
    Hhs,
    Media,
    CoveredEntity,
}

#[derive(Debug, Args)]
pub(crate) struct NotifyArgs {
    /// Who was notified
    #[arg(long, value_enum)]
    pub to: NoticeAudience,
    /// The date the notice was sent (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub date: String,
    /// How it was sent
    #[arg(long, value_enum)]
    pub method: NoticeMethod,
    /// How many notices were sent
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// The state or jurisdiction (required for media notice)
    #[arg(long, value_name = "XX")]
    pub state: Option<String>,
    /// A note for the record
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Record it even though an identical notice (audience, date, method, count, state) is
    /// already recorded: a second mailing, not a retried command
    #[arg(long)]
    pub again: bool,
    /// Record a notice sent while a law-enforcement hold was in force (164.412 says to delay);
    /// needs --reason
    #[arg(long, requires = "reason")]
    pub despite_hold: bool,
    /// Why the notice went out during the hold (kept with the notice)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub happened: HappenedAt,
}

#[derive(Debug, Default, Args)]
pub(crate) struct FactsArgs {
    /// Number of individuals affected, or `unknown`
    #[arg(long, value_name = "N|unknown")]
    pub affected: Option<String>,
    /// Affected residents of a state or jurisdiction by postal code (repeat; 0 removes)
    #[arg(long = "state", value_name = "XX=N")]
    pub states: Vec<String>,
    /// Number with insufficient or out-of-date contact details, or `unknown`
    #[arg(long, value_name = "N|unknown")]
    pub unreachable: Option<String>,
    /// A corrected discovery time (same forms as `start --discovered`)
    #[arg(long, value_name = "WHEN")]
    pub discovered: Option<String>,
    /// The date the breach started, or `unknown` (the notices then say it is not known)
    #[arg(long, value_name = "DATE|unknown")]
    pub breach_started: Option<String>,
    /// The date the breach ended
    #[arg(long, value_name = "DATE")]
    pub breach_ended: Option<String>,
    /// Whether the team is a business associate reporting to a covered entity
    #[arg(long, value_enum)]
    pub business_associate: Option<YesNo>,
    /// The day the list identifying each individual was delivered to the covered entity,
    /// outside this log (a business associate's notice, 164.410(c)(1))
    #[arg(long, value_name = "DATE")]
    pub identities_delivered: Option<String>,
    /// Days the business associate agreement allows to tell the covered entity (when fewer
    /// than 60, its own deadline is on the clock)
    #[arg(long, value_name = "N")]
    pub ba_agreement_days: Option<u32>,
    /// A law-enforcement request to delay notices: oral or written
    #[arg(long, value_enum, requires_all = ["delay_official", "delay_stated"])]
    pub delay: Option<DelayKind>,
    /// The official who asked for the delay, and the agency
    #[arg(long, value_name = "NAME")]
    pub delay_official: Option<String>,
    /// The date of the official's statement
    #[arg(long, value_name = "DATE")]
    pub delay_stated: Option<String>,
    /// The end of the period a written statement specifies
    #[arg(long, value_name = "DATE")]
    pub delay_until: Option<String>,
    /// The delay has been lifted
    #[arg(long, conflicts_with = "delay")]
    pub delay_lifted: bool,
    /// For the notices: a brief description of what happened (no names or other PHI)
    #[arg(long, value_name = "TEXT")]
    pub what_happened: Option<String>,
    /// For the notices: the types of PHI involved (types, never values)
    #[arg(long, value_name = "TEXT")]
    pub phi_types: Option<String>,
    /// For the notices: the steps individuals should take to protect themselves
    #[arg(long, value_name = "TEXT")]
    pub protective_steps: Option<String>,
    /// For the notices: what the organisation is doing to investigate, mitigate and prevent
    #[arg(long, value_name = "TEXT")]
    pub our_response: Option<String>,
    /// Why the facts changed (kept in the log)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub happened: HappenedAt,
}

#[derive(Debug, Args)]
pub(crate) struct AssessArgs {
    #[command(flatten)]
    pub values: AssessValues,
    #[command(flatten)]
    pub happened: HappenedAt,
}

/// The values of a risk assessment: the flags of `assess`, and of `done` on a step that records
/// the assessment.
#[derive(Debug, Args)]
pub(crate) struct AssessValues {
    /// Was the PHI secured (encrypted to the HHS guidance standard, key not compromised)?
    #[arg(long, value_enum)]
    pub secured: Option<YesNo>,
    /// How it was secured, in the terms of the HHS guidance
    #[arg(long, value_enum)]
    pub secured_basis: Option<SecuredBasisArg>,
    /// The details: the encryption used and where the key was, or how the media was destroyed
    #[arg(long, value_name = "TEXT")]
    pub secured_details: Option<String>,
    /// Which exception of 45 CFR 164.402(1) applies, if any
    #[arg(long, value_enum)]
    pub exception: Option<ExceptionArg>,
    /// Why the exception applies
    #[arg(long, value_name = "TEXT")]
    pub exception_basis: Option<String>,
    /// Factor (i): the nature and extent of the PHI: low, medium or high risk
    #[arg(long, value_enum)]
    pub nature: Option<RatingArg>,
    #[arg(long, value_name = "TEXT")]
    pub nature_why: Option<String>,
    /// Factor (ii): the unauthorised recipient
    #[arg(long, value_enum)]
    pub recipient: Option<RatingArg>,
    #[arg(long, value_name = "TEXT")]
    pub recipient_why: Option<String>,
    /// Factor (iii): whether the PHI was actually acquired or viewed
    #[arg(long, value_enum)]
    pub acquired: Option<RatingArg>,
    #[arg(long, value_name = "TEXT")]
    pub acquired_why: Option<String>,
    /// Factor (iv): the extent of mitigation
    #[arg(long, value_enum)]
    pub mitigation: Option<RatingArg>,
    #[arg(long, value_name = "TEXT")]
    pub mitigation_why: Option<String>,
    /// The conclusion
    #[arg(long, value_enum)]
    pub determination: Option<DeterminationArg>,
    /// The overall reasoning
    #[arg(long, value_name = "TEXT")]
    pub rationale: Option<String>,
    /// Who signs the assessment off
    #[arg(long, value_name = "NAME")]
    pub signed_by: Option<String>,
    /// Their role
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// Why a low-probability determination stands although the factors as rated do not support
    /// it (recorded with the assessment)
    #[arg(long, value_name = "TEXT")]
    pub override_reason: Option<String>,
}

/// The help headings of `done`'s flags, one per kind of action a step can record.
const NOTICE_STEP: &str = "A step that records a notice (as `breach notify`)";
const COUNTS_STEP: &str = "A step that records the counts (as `breach facts`)";
const DELAY_STEP: &str = "A step that records a law-enforcement delay (as `breach facts`)";

/// What `done` takes for a step bound to an action (`records:` in the runbook): the flags of
/// `notify`, `facts` or `assess`, by the action the step records.
#[derive(Debug, Args)]
pub(crate) struct BoundFlags {
    /// The date the notice was sent (YYYY-MM-DD)
    #[arg(
        long,
        value_name = "DATE",
        help_heading = NOTICE_STEP
    )]
    pub date: Option<String>,
    /// How it was sent
    #[arg(
        long,
        value_enum,
        help_heading = NOTICE_STEP
    )]
    pub method: Option<NoticeMethod>,
    /// How many notices were sent
    #[arg(
        long,
        value_name = "N",
        help_heading = NOTICE_STEP
    )]
    pub count: Option<u64>,
    /// Record it even though an identical notice is already recorded (a second mailing)
    #[arg(
        long,
        help_heading = NOTICE_STEP
    )]
    pub again: bool,
    /// The notice went out while a law-enforcement hold was in force; needs --reason
    #[arg(
        long,
        requires = "reason",
        help_heading = NOTICE_STEP
    )]
    pub despite_hold: bool,
    /// Why the notice went out during the hold
    #[arg(
        long,
        value_name = "TEXT",
        help_heading = NOTICE_STEP
    )]
    pub reason: Option<String>,
    /// A media notice's state (XX), or affected residents of a state (XX=N, repeat) for a step
    /// that records the counts
    #[arg(
        long = "state",
        value_name = "XX|XX=N",
        help_heading = NOTICE_STEP
    )]
    pub states: Vec<String>,
    /// Number of individuals affected, or `unknown`
    #[arg(
        long,
        value_name = "N|unknown",
        help_heading = COUNTS_STEP
    )]
    pub affected: Option<String>,
    /// Number with insufficient or out-of-date contact details, or `unknown`
    #[arg(
        long,
        value_name = "N|unknown",
        help_heading = COUNTS_STEP
    )]
    pub unreachable: Option<String>,
    /// A law-enforcement request to delay notices: oral or written
    #[arg(
        long,
        value_enum,
        help_heading = DELAY_STEP
    )]
    pub delay: Option<DelayKind>,
    /// The official who asked for the delay, and the agency
    #[arg(
        long,
        value_name = "NAME",
        help_heading = DELAY_STEP
    )]
    pub delay_official: Option<String>,
    /// The date of the official's statement
    #[arg(
        long,
        value_name = "DATE",
        help_heading = DELAY_STEP
    )]
    pub delay_stated: Option<String>,
    /// The end of the period a written statement specifies
    #[arg(
        long,
        value_name = "DATE",
        help_heading = DELAY_STEP
    )]
    pub delay_until: Option<String>,
    #[command(
        flatten,
        next_help_heading = "A step that records the risk assessment (as `breach assess`)"
    )]
    pub assessment: AssessValues,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StoreCommand {
    /// Create or migrate the tables, triggers and roles of a PostgreSQL store (idempotent)
    Init,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RunbookCommand {
    /// List the available runbooks and where each comes from
    #[command(after_help = "Example:\n  breach runbook list --runbooks ./our-runbooks")]
    List,
    /// Show a runbook for reading: phases, steps, roles, evidence, due times, references
    #[command(
        after_help = "Examples:\n  breach runbook show misdirected-email\n  breach runbook show misdirected-email --affected 800 --state TX=600 --unreachable 12\n\nGiven facts, it shows only the steps they would activate."
    )]
    Show {
        /// The runbook id
        id: String,
        /// Show the steps for this many individuals affected
        #[arg(long, value_name = "N")]
        affected: Option<u64>,
        /// ... with this many residents of a state (repeat)
        #[arg(long = "state", value_name = "XX=N")]
        states: Vec<String>,
        /// ... with this many unreachable
        #[arg(long, value_name = "N")]
        unreachable: Option<u64>,
        /// ... with a yes/no fact set, e.g. business_associate=yes, notification_required=no (repeat)
        #[arg(long = "fact", value_name = "NAME=yes|no")]
        facts: Vec<String>,
    },
    /// Copy a runbook into a directory to adapt it (default: the store's runbooks/)
    #[command(
        after_help = "Example:\n  breach runbook init misdirected-email\n  $EDITOR ~/.local/share/breach/runbooks/misdirected-email.yaml\n  breach runbook validate ~/.local/share/breach/runbooks/misdirected-email.yaml"
    )]
    Init {
        /// The runbook to copy
        id: String,
        /// Where to put the copy
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Check runbook files; exit 0 only when every file is valid
    #[command(after_help = "Example:\n  breach runbook validate my-runbooks/*.yaml")]
    Validate {
        /// Runbook files, or directories of them
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
