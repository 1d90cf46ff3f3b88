//! The arguments and value enums the commands share (`--at`, output files, the flags of
//! `facts`, `assess`, `notify` and of `done` on a bound step), apart from the command tree in
//! the module above them.

use std::path::PathBuf;

use clap::{Args, Subcommand};

// When something recorded happened, when that was earlier than now.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct HappenedAt {
    /// When it happened, if earlier than now (same forms as `start --discovered`); kept beside
    /// the time it is recorded
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
}

// `list`'s filters.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only open, closed or discarded incidents (discarded ones are listed only when asked for)
    #[arg(long, value_enum)]
    pub state: Option<OpenOrClosed>,
    /// Only incidents discovered in this calendar year
    #[arg(long, value_name = "YYYY")]
    pub year: Option<i32>,
    /// Only incidents with an overdue step or obligation
    #[arg(long)]
    pub overdue: bool,
    /// Only incidents with an open step assigned to the acting person (`--actor`)
    #[arg(long)]
    pub mine: bool,
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

// Where a document goes: standard output, or a file.
#[derive(Debug, Args)]
pub(crate) struct FileOut {
    /// Write to FILE (created 0600) instead of standard output (`-o -`: standard output)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
}

// Where an export or letter goes, and the templates it is drawn with.
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
    /// The report as a Word document (to a file or a pipe, never a terminal).
    Docx,
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
            ExportFormat::Docx => "Word",
        }
    }
}

/// When to colour: the value of `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum ColorWhen {
    /// In a terminal, unless `NO_COLOR` (or `CLICOLOR=0`) says otherwise.
    #[default]
    Auto,
    Always,
    Never,
}

/// The JSON documents `breach schema` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SchemaDocument {
    /// The JSON export (`breach export --format json`).
    Export,
    /// `breach status --json`.
    Status,
    /// `breach deadlines --json` (the `deadlines` of `status --json` and of the export too).
    Deadlines,
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

/// The format of the letters written one per person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LetterFormat {
    /// Markdown
    Md,
    /// Word (.docx), for Word, LibreOffice or pandoc
    Docx,
    /// PDF, one file per letter, made without a browser
    Pdf,
    /// HTML with print styles
    Html,
}

impl LetterFormat {
    /// The letters' file extension.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            LetterFormat::Md => "md",
            LetterFormat::Docx => "docx",
            LetterFormat::Pdf => "pdf",
            LetterFormat::Html => "html",
        }
    }
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
#[command(defer = true)]
pub(crate) enum ConfigCommand {
    /// Show the profile and every key it can hold
    #[command(after_help = "Example:\n  breach config show")]
    Show,
    /// Set a key (name, address, privacy_officer, toll_free, email, website, time_zone; the files state_rules, allowed_signers, tsa_certs)
    #[command(after_help = "Example:\n  breach config set name \"Riverside Family Clinic\"")]
    Set { key: String, value: String },
    /// Remove a key
    #[command(after_help = "Example:\n  breach config unset website")]
    Unset { key: String },
    /// Every version of the profile, runbooks and templates a database store keeps
    #[command(
        after_help = "Example:\n  breach config history --store postgresql://breach@db.example.org/breach"
    )]
    History,
}

/// Who a notice went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum NoticeAudience {
    Individuals,
    Substitute,
    Hhs,
    Media,
    CoveredEntity,
    /// The next of kin or personal representative of a deceased individual
    NextOfKin,
    /// A state's attorney general or other regulator, under its law (needs --state)
    Regulator,
    /// The consumer reporting agencies, under a state's law (needs --state)
    CreditBureaus,
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
    /// The state or jurisdiction: required for media, regulator and credit-bureaus notice;
    /// with individuals, the notice went to that state's residents only
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
    /// Letters re-sent to a corrected address after the first came back undeliverable
    /// (`facts --returned`): those people are owed the written notice again, not the substitute
    #[arg(long)]
    pub remailed: bool,
    /// An addendum to the report already filed with HHS on the OCR portal, after the affected
    /// count or the states changed (--to hhs --method portal)
    #[arg(long)]
    pub addendum: bool,
    /// The covered entity notified (--to covered-entity), when the facts name several
    #[arg(long, value_name = "NAME")]
    pub entity: Option<String>,
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
    /// The day the team had what it needed to notify (who, what, how to reach them): from
    /// then the notices are due without unreasonable delay, not at day 60 (164.404(b))
    #[arg(long, value_name = "DATE")]
    pub ready_to_notify: Option<String>,
    /// Days the business associate agreement allows to tell the covered entity (when fewer
    /// than 60, its own deadline is on the clock)
    #[arg(long, value_name = "N")]
    pub ba_agreement_days: Option<u32>,
    /// A covered entity whose PHI the breach involves (repeatable), for a business associate
    /// serving several: each is owed its own notice (164.410)
    #[arg(long = "covered-entity", value_name = "NAME")]
    pub covered_entities: Vec<String>,
    /// A CSV roster of the affected (name, address, city, state, zip; optionally email,
    /// email_consent, deceased, next_of_kin, next_of_kin_address), kept where the organisation
    /// keeps it: only its counts and its SHA-256 are recorded, never a cell of it
    #[arg(long, value_name = "FILE.csv", conflicts_with_all = ["affected", "unreachable", "states", "deceased", "email_consent"])]
    pub roster: Option<PathBuf>,
    /// How many of the affected agreed to notice by email (164.404(d)(1)(i)); email notices
    /// count toward the individual notice up to this number
    #[arg(long, value_name = "N")]
    pub email_consent: Option<u64>,
    /// How many of the affected are known to have died: their next of kin or personal
    /// representative are owed written notice (164.404(d)(1)(ii))
    #[arg(long, value_name = "N")]
    pub deceased: Option<u64>,
    /// Letters that came back undeliverable: they join the unreachable, who are owed the
    /// substitute notice (adds to what was recorded before)
    #[arg(long, value_name = "N")]
    pub returned: Option<u64>,
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
    /// The notices the official asked to delay, separated by commas (default: every notice);
    /// 164.412 lets an official ask to delay only some, the media notice say
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "AUDIENCE,...",
        requires = "delay"
    )]
    pub delay_covers: Vec<NoticeAudience>,
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

// The values of a risk assessment: the flags of `assess`, and of `done` on a step that records
// the assessment.
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
    /// Factor (i), the risk from the nature and extent of the PHI: low, medium or high
    #[arg(long, value_enum)]
    pub nature: Option<RatingArg>,
    #[arg(long, value_name = "TEXT")]
    pub nature_why: Option<String>,
    /// Factor (ii), the risk from the unauthorised recipient: low, medium or high
    #[arg(long, value_enum)]
    pub recipient: Option<RatingArg>,
    #[arg(long, value_name = "TEXT")]
    pub recipient_why: Option<String>,
    /// Factor (iii), the risk from whether the PHI was actually acquired or viewed: low, medium
    /// or high
    #[arg(long, value_enum)]
    pub acquired: Option<RatingArg>,
    #[arg(long, value_name = "TEXT")]
    pub acquired_why: Option<String>,
    /// Factor (iv), the risk that remains after mitigation: low (well mitigated), medium or high
    /// (not mitigated)
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

// What `done` takes for a step bound to an action (`records:` in the runbook): the flags of
// `notify`, `facts` or `assess`, by the action the step records.
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
    /// Why the notice went out during the hold (with --despite-hold), or why a notice by a
    /// method the rule does not allow is recorded anyway (then not counted)
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
