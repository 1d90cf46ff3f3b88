//! The command line, as clap types and nothing else. Doc comments here are the `--help` text.
//! `commands` converts these once into the session and the domain values the rest of the crate
//! takes; this module imports nothing of the crate, so clap stays at the edge.
//!
//! A command is built only when it is named (`defer`): parsing `status` no longer builds every
//! other command's arguments. So the argument structs carry plain comments, not doc comments: a
//! deferred command would take the doc comment of a struct it flattens as its summary.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod args;

pub(crate) use args::*;

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

    /// Colour OVERDUE, NEEDS LEGAL REVIEW and failures: auto (in a terminal, unless NO_COLOR
    /// is set; CLICOLOR_FORCE forces it), always or never
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "WHEN",
        default_value = "auto"
    )]
    pub color: ColorWhen,

    /// Never show long output through the pager (BREACH_PAGER, PAGER, or less -FRX)
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_pager: bool,

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

    /// Sign every entry you write with this OpenSSH key: a private key file, or a .pub file
    /// whose private half is in ssh-agent (as git's user.signingkey)
    #[arg(
        long,
        env = "BREACH_SIGNING_KEY",
        global = true,
        help_heading = "Global options",
        value_name = "PATH"
    )]
    pub signing_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
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
    Next {
        /// Only the steps assigned to the acting person (`--actor`, BREACH_ACTOR)
        #[arg(long)]
        mine: bool,
    },

    /// Work the open steps one at a time, guided, in a terminal
    #[command(
        after_help = "Examples:\n  breach walk\n  breach walk notify-individuals\n\nThe walk opens on the steps workable now (the next one first), with undo (a void of the\nlast thing you recorded) and quit; from a step, \"Back to the list of steps\" returns to it.\nBefore anything is recorded the answers are shown, and any of them can be changed.\nNotes and reasons open $VISUAL or $EDITOR when one is set; otherwise type lines and end\nwith an empty one. Leave at any prompt with Ctrl-C: nothing of the step in hand is\nrecorded, and `breach walk` resumes, for you or another responder."
    )]
    Walk {
        /// Start at this step instead of the list (it must be workable now)
        #[arg(value_name = "STEP")]
        step: Option<String>,
    },

    // `done`, at its place in the list (see `DoneCommand`).
    #[command(flatten)]
    Done(DoneCommand),

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
        after_help = "Examples:\n  breach note \"Recipient called back and deleted the message\"\n  breach note \"Trace shows no forwarding\" --step stop-further-spread\n  fold -w 80 call-summary.txt | breach note -\n  breach note --file call-summary.txt"
    )]
    Note {
        /// The note (`-`: read it from standard input); avoid patient identifiers, describe instead
        #[arg(required_unless_present = "file")]
        text: Option<String>,
        /// Read the note from FILE (a paragraph or more)
        #[arg(long, value_name = "FILE", conflicts_with = "text")]
        file: Option<PathBuf>,
        /// The step the note is about
        #[arg(long, value_name = "STEP")]
        step: Option<String>,
        #[command(flatten)]
        happened: HappenedAt,
    },

    /// Copy an evidence file into the incident, recording its SHA-256 (or, with --eml, a message's headers only)
    #[command(
        after_help = "Examples:\n  breach attach message-trace.csv --step preserve-evidence\n  breach attach --eml misdirected.eml --step preserve-evidence\n\nWith --eml the message is read, not copied: its Message-ID, Date, From, To, Cc and Bcc and the\nfile's SHA-256 are recorded, so the copy kept under legal hold can be matched later; its\nsubject, body and attachments never enter the store."
    )]
    Attach {
        /// The file to copy (the original is left untouched)
        file: PathBuf,
        /// The step the file is evidence for
        #[arg(long, value_name = "STEP")]
        step: Option<String>,
        /// FILE is an email message (RFC 5322, .eml): record its headers and SHA-256, never the message
        #[arg(long)]
        eml: bool,
        #[command(flatten)]
        happened: HappenedAt,
    },

    /// Withdraw an entry recorded by mistake (it stays in the log, marked void)
    #[command(
        after_help = "The entry's number is the `seq` of the exports' timeline (`breach export --format md`).\nThe withdrawn entry stays in the log and the exports, marked void with who voided it, when and why;\nstatus, deadlines and the clock are as if it had not been recorded. Voiding a void restores the entry.\n\nExamples:\n  breach void 14 --reason \"test media notice, never sent\"\n  breach void 21 --reason \"the void of entry 14 was a mistake\""
    )]
    Void {
        /// The entry to withdraw (its sequence number)
        #[arg(value_name = "SEQ")]
        entry: u64,
        /// Why it is withdrawn (recorded)
        #[arg(long)]
        reason: String,
    },

    /// Say who is to do a step (or take the assignment back)
    #[command(
        after_help = "The name is a person as `--actor` (or BREACH_ACTOR) names them: `breach next --mine` lists\nthe steps assigned to the acting person, `breach list --mine` the incidents with such steps, and\n`breach remind` what each person has due. Only an open step is assigned; a void withdraws an\nassignment like any entry.\n\nExamples:\n  breach assign lock-account --to \"sam.okafor\"\n  breach assign lock-account --unassign"
    )]
    Assign {
        /// The step
        #[arg(value_name = "STEP")]
        step: String,
        /// The person who is to do it
        #[arg(long, value_name = "NAME", required_unless_present = "unassign")]
        to: Option<String>,
        /// Take the assignment back
        #[arg(long, conflicts_with = "to")]
        unassign: bool,
    },

    /// Record the facts that drive the clock (with no flags: show them)
    #[command(
        after_help = "Examples:\n  breach facts --affected 640 --state TX=520 --state OK=120 --unreachable 12\n  breach facts --affected unknown --reason \"recount under way\"\n  breach facts --delay oral --delay-official \"Det. R. Okafor, City PD\" --delay-stated 2026-11-21"
    )]
    Facts(Box<FactsArgs>),

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

    /// Each person's open steps and notices due soon, across the store (for cron)
    #[command(
        after_help = "Per person (as `breach assign --to` names them): the open steps assigned to them and the\nnotices whose step they hold, due within the window, overdue first; the notices nobody holds a\nstep for under \"Not assigned\". Nothing is sent: cron mails what it prints.\n\nExit status: 0 when nothing listed is overdue, 1 when something is (or on an error).\n\nExamples:\n  breach remind\n  breach remind --within 2w\n  breach --json remind --within 48h | jq '.people[] | select(.name == \"sam.okafor\")'\n  # crontab: 0 7 * * 1-5  breach remind --within 7d | mail -s 'breach: due this week' privacy@example.org"
    )]
    Remind {
        /// How far ahead: days, weeks or hours (7d, 2w, 48h), at most a year
        #[arg(long, value_name = "WINDOW", default_value = "7d")]
        within: String,
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
        after_help = "Examples:\n  breach letter individual -o letter.md\n  breach letter hhs\n  breach letter individual --strict   # exit 1 while a required element is missing\n  breach letter individual --roster affected.csv --format docx -o letters/   # one per person, with manifest.csv"
    )]
    Letter {
        /// Which notice
        #[arg(value_enum)]
        kind: LetterArg,
        /// Exit 1 when any required content element is missing
        #[arg(long)]
        strict: bool,
        /// One letter per reachable person of this roster (the one `facts --roster` counted),
        /// into the directory `-o` names, with manifest.csv for the mail house
        #[arg(long, value_name = "FILE.csv", requires = "output")]
        roster: Option<PathBuf>,
        /// The letters' format, with --roster
        #[arg(long, value_enum, default_value = "md", requires = "roster")]
        format: LetterFormat,
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
        /// Fail on an unsigned entry too (a bad signature always fails)
        #[arg(long)]
        require_signatures: bool,
        /// Write SEQ.msg and SEQ.sig for each signed entry into DIR, for `ssh-keygen -Y verify`
        #[arg(long, value_name = "DIR")]
        export_signatures: Option<PathBuf>,
    },

    /// Quarantine a torn final line left by a crash (on a database, the damaged entries), and log what was removed
    #[command(
        after_help = "Example (after `breach verify` reports a torn tail):\n  breach repair && breach verify\n\nOn a database store, its owner moves the entries from the first damaged one on into\nbreach.quarantined_entries (kept there for good), and the incident takes entries again:\n  breach repair --reason \"entry 7 inserted by hand, see ticket 42\" && breach verify"
    )]
    Repair {
        /// Why (required on a database store, where complete entries are moved aside)
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },

    /// Set up a shared store on PostgreSQL: tables, insert-only triggers, roles
    #[command(
        subcommand,
        after_help = "Example (as the database's owner):\n  breach store init --store postgresql://admin@db.example.org/breach"
    )]
    Store(StoreCommand),

    /// Have a time-stamping authority (RFC 3161) vouch that the record existed by a time
    #[command(
        subcommand,
        after_help = "Example:\n  breach config set tsa_certs ~/tsa-roots.pem\n  breach timestamp request -o head.tsq\n  curl --data-binary @head.tsq -H 'Content-Type: application/timestamp-query' -o head.tsr https://tsa.example.org\n  breach timestamp add head.tsr\n  breach verify"
    )]
    Timestamp(TimestampCommand),

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

    /// List, show, validate and publish runbooks
    #[command(
        subcommand,
        after_help = "Examples:\n  breach runbook list\n  breach runbook show misdirected-email --affected 800 --state TX=600"
    )]
    Runbook(RunbookCommand),

    /// List, show and publish the letter and report templates
    #[command(
        subcommand,
        after_help = "Examples:\n  breach template list\n  breach template publish letter-individual.md.j2"
    )]
    Template(TemplateCommand),

    /// Print the JSON Schema of a JSON document breach writes (the export, status, deadlines)
    #[command(
        after_help = "Example:\n  breach schema export > breach-export.schema.json\n  breach export --format json -o incident.json\n  check-jsonschema --schemafile breach-export.schema.json incident.json\n\nThe schema's title is the export's `format` (breach-export/1): a later layout is a new format,\nand within one format keys are only ever added."
    )]
    Schema {
        /// export (`export --format json`), status (`status --json`) or deadlines
        /// (`deadlines --json`)
        #[arg(value_enum)]
        document: SchemaDocument,
    },

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

// `done` alone is built with the top level rather than when it is named, as every other
// command is (`defer`): its own options have headings, and a deferred command gets the global
// options before its own, so its help and manual page would list them first.
#[derive(Debug, Subcommand)]
pub(crate) enum DoneCommand {
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
        /// Fill the evidence from a saved message (.eml): Message-ID, Date, From, To, Cc, Bcc
        /// and the file's SHA-256; never its subject, body or attachments. --set wins
        #[arg(long, value_name = "FILE.eml")]
        from_eml: Option<std::path::PathBuf>,
        #[command(flatten)]
        action: Box<BoundFlags>,
        #[command(flatten)]
        happened: HappenedAt,
    },
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub(crate) enum TimestampCommand {
    /// Write an RFC 3161 request for the hash of the incident's head, to send to an authority
    Request {
        #[command(flatten)]
        out: BinaryOut,
    },
    /// Check an authority's response against the request and tsa_certs, and record it
    Add {
        /// The authority's response (a .tsr file, DER)
        #[arg(value_name = "FILE.tsr")]
        response: PathBuf,
        /// The request it answers (default: the last `timestamp request` of this incident)
        #[arg(long, value_name = "FILE.tsq")]
        request: Option<PathBuf>,
    },
    /// Write a recorded token back out, for `openssl ts -verify`
    Show {
        /// The time stamp's entry (as `verify` lists it)
        seq: u64,
        #[command(flatten)]
        out: BinaryOut,
    },
}

// Where a binary file goes: always a file.
#[derive(Debug, clap::Args)]
pub(crate) struct BinaryOut {
    /// Write to FILE (created 0600)
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub(crate) enum StoreCommand {
    /// Create or migrate the tables, triggers and roles of a PostgreSQL store (idempotent)
    Init,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
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
    /// Give every machine of the store a runbook file of the organisation's (validated first; a database store keeps every version)
    #[command(
        after_help = "Example:\n  breach runbook init misdirected-email ./drafts\n  $EDITOR ./drafts/misdirected-email.yaml\n  breach runbook publish ./drafts/misdirected-email.yaml\n\nIncidents already open keep the runbook they started with."
    )]
    Publish {
        /// The runbook file
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Stop offering one of the organisation's runbooks (the bundled one of the same id, if any, is offered again)
    #[command(after_help = "Example:\n  breach runbook withdraw misdirected-email")]
    Withdraw {
        /// The runbook's id
        id: String,
    },
}

/// `breach template`.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub(crate) enum TemplateCommand {
    /// List the letter and report templates: the built-in ones and the organisation's
    #[command(after_help = "Example:\n  breach template list")]
    List,
    /// Print a template as letters and reports use it now (the organisation's, else the built-in one)
    #[command(
        after_help = "Example:\n  breach template show letter-individual.md.j2 > letter-individual.md.j2"
    )]
    Show {
        /// The template's name, e.g. letter-individual.md.j2
        name: String,
    },
    /// Give every machine of the store a template of the organisation's, replacing the built-in one of the same name (checked first)
    #[command(
        after_help = "Example:\n  breach template show letter-individual.md.j2 > letter-individual.md.j2\n  $EDITOR letter-individual.md.j2\n  breach template publish letter-individual.md.j2"
    )]
    Publish {
        /// The template file; its file name is the template's name
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Stop using one of the organisation's templates (the built-in one is used again)
    #[command(after_help = "Example:\n  breach template withdraw letter-individual.md.j2")]
    Withdraw {
        /// The template's name
        name: String,
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
