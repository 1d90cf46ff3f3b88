//! The help and the manual. `breach --help` lists the commands grouped by what a person is
//! doing (respond, record, report, keep the record), as gh does, each with clap's own summary
//! of it, so the groups cannot drift from the commands. The manual pages: `breach(1)` as clap
//! lays it out, with the sections a manual page is
//! expected to have and clap cannot know (EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO), and one
//! page per command. Every page `breach(1)` names is one `--dir` writes: the `help` command,
//! which has no page, is left out of the list.

use std::path::Path;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::Cli;
use crate::error::Error;

/// What clap cannot say of breach, as roff: exit statuses, environment, files, see also.
const EXTRA_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success; for \fBverify\fR, the record is intact.
.TP
\fB1\fR
A failure: a rule refused the change, the record is damaged or forged, an input is malformed, an I/O error. One line on standard error says what and where; nothing already recorded is changed.
.TP
\fB2\fR
A usage error: a missing or malformed argument, an unknown flag, a value not in a command's list.
.PP
When an entry was recorded but its confirmation could not be printed, breach says so on standard error and exits 0: do not record it again.
.SH ENVIRONMENT
.TP
\fBBREACH_STORE\fR
The store: a directory, or a postgresql:// connection string (as \fB\-\-store\fR).
.TP
\fBBREACH_ACTOR\fR
Who is acting (as \fB\-\-actor\fR); otherwise USER, LOGNAME, then the user database.
.TP
\fBBREACH_INCIDENT\fR, \fBBREACH_RUNBOOKS\fR, \fBBREACH_SIGNING_KEY\fR
As \fB\-i\fR, \fB\-\-runbooks\fR and \fB\-\-signing\-key\fR.
.TP
\fBTZ\fR
The machine's zone, used when the profile sets no \fBtime_zone\fR.
.TP
\fBNO_COLOR\fR, \fBCLICOLOR_FORCE\fR, \fBCLICOLOR\fR
Colour off, forced on, or off (\fB\-\-color auto\fR).
.TP
\fBBREACH_PAGER\fR, \fBPAGER\fR, \fBLESS\fR
The pager for output longer than the terminal (default \fBless \-FRX\fR).
.SH FILES
.TP
\fI~/.local/share/breach/\fR
The default store: \fIincidents/ID/log.jsonl\fR (the hash-chained log), \fIincidents/ID/attachments/\fR, \fIprofile.json\fR (the organisation profile, 0600), \fIrunbooks/\fR and \fItemplates/\fR (the organisation's own), \fIcache/\fR (summaries rebuilt from the logs, safe to delete). A database store keeps the profile, runbooks and templates in the database for every machine, each machine reading a cache of them.
.SH "SEE ALSO"
\fBbreach\-start\fR(1), \fBbreach\-walk\fR(1), \fBbreach\-notify\fR(1), \fBbreach\-verify\fR(1), \fBbreach\-export\fR(1), \fBgit\fR(1), \fBssh\-keygen\fR(1), \fBopenssl\-ts\fR(1)
"#;

/// The command as the manual describes it: without the `help` command, which has no page.
fn manual_command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// `breach(1)` as roff.
pub(super) fn page() -> Result<String, Error> {
    let man = clap_mangen::Man::new(manual_command());
    let mut out = Vec::new();
    let fail = |e| Error::internal("cannot render the manual page", e);
    man.render_title(&mut out).map_err(fail)?;
    man.render_name_section(&mut out).map_err(fail)?;
    man.render_synopsis_section(&mut out).map_err(fail)?;
    man.render_description_section(&mut out).map_err(fail)?;
    man.render_options_section(&mut out).map_err(fail)?;
    man.render_subcommands_section(&mut out).map_err(fail)?;
    out.extend_from_slice(EXTRA_SECTIONS.as_bytes());
    man.render_version_section(&mut out).map_err(fail)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Writes `breach.1` and one page per command into `dir`; returns how many pages it wrote.
pub(super) fn write_pages(dir: &Path) -> Result<usize, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    clap_mangen::generate_to(manual_command(), dir)
        .map_err(|e| Error::io("write manual pages into", dir, e))?;
    let main = dir.join("breach.1");
    std::fs::write(&main, page()?).map_err(|e| Error::io("write", &main, e))?;
    Ok(std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("breach"))
                .count()
        })
        .unwrap_or(0))
}

/// The top-level commands by what a person is doing; every command is in one group (a test
/// checks it).
const GROUPS: &[(&str, &[&str])] = &[
    (
        "Respond to an incident",
        &[
            "start", "walk", "next", "assign", "status", "done", "skip", "na", "reopen", "close",
            "discard",
        ],
    ),
    (
        "Record what happened",
        &["note", "attach", "void", "facts", "assess", "notify"],
    ),
    (
        "Report and notify",
        &["deadlines", "remind", "list", "annual", "export", "letter"],
    ),
    (
        "Keep the record and the store",
        &[
            "verify",
            "repair",
            "timestamp",
            "config",
            "runbook",
            "template",
            "store",
            "push",
            "pull",
            "schema",
        ],
    ),
    ("Shell", &["completions", "man", "help"]),
];

/// The command line with its top-level help grouped.
fn grouped_command() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    let width = crate::render::terminal::width().clamp(60, 120);
    let mut listing = String::new();
    for (title, names) in GROUPS {
        listing.push_str(&format!("{title}:\n"));
        for name in *names {
            let about = cmd
                .find_subcommand(name)
                .and_then(|c| c.get_about())
                .map(|a| a.to_string())
                .unwrap_or_default();
            let wrapped = crate::text::wrap(&about, width.saturating_sub(16), "");
            for (i, l) in wrapped.lines().enumerate() {
                let lead = if i == 0 { *name } else { "" };
                listing.push_str(&format!("  {lead:<13} {}\n", l.trim()));
            }
        }
        listing.push('\n');
    }
    cmd.help_template(format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{listing}{{options}}{{after-help}}"
    ))
}

/// Parses the process's command line (exiting with clap's message and status on a usage
/// error, or after printing help), with the top-level help grouped.
pub fn parse() -> Cli {
    super::completion::complete_if_asked();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `--version` alone needs no command tree, as clap would print it.
    if let [_, flag] = args.as_slice()
        && (flag == "--version" || flag == "-V")
    {
        println!("breach {}", env!("CARGO_PKG_VERSION"));
        std::process::exit(0);
    }
    // The grouped listing is built only when help is shown: it builds and wraps every
    // command's description, a cost no other command line should pay.
    let matches = match Cli::command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp
                    | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            grouped_command().get_matches_from(&args)
        }
        Err(e) => e.exit(),
    };
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_in_exactly_one_group_of_the_help() {
        let mut cmd = Cli::command();
        cmd.build();
        for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
            let name = sub.get_name();
            let groups = GROUPS
                .iter()
                .filter(|(_, names)| names.contains(&name))
                .count();
            assert_eq!(groups, 1, "`{name}` is in {groups} groups of the help");
        }
        let named: usize = GROUPS.iter().map(|(_, names)| names.len()).sum();
        assert_eq!(
            named,
            cmd.get_subcommands().filter(|c| !c.is_hide_set()).count()
        );
    }
}
