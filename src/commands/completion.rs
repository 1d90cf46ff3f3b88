//! Shell completion that knows the record: `done <TAB>` offers the open steps of the current
//! incident, `-i <TAB>` the incidents in the store, `start --runbook <TAB>` the runbooks. The
//! shell script (`breach completions bash`) only calls back into `breach` with the words typed
//! so far (clap_complete's dynamic engine, `COMPLETE=bash breach -- …`); the candidates come
//! from the store the words name (`--store`, `-i`, `--runbooks`, or their environment
//! variables), read the way every command reads it. Completing never writes and never prompts:
//! a store that cannot be read completes nothing rather than printing an error into the shell.

use std::ffi::{OsStr, OsString};

use clap::{CommandFactory, Parser};
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};

use super::Session;
use crate::cli::Cli;
use crate::clock::Clock;
use crate::incident::StepState;

/// Handles a completion request from the shell, when this process is one (`COMPLETE` names a
/// shell), and exits; otherwise returns at once.
///
/// This is clap_complete's `CompleteEnv` protocol with one change: where the word being
/// completed is empty, the engine offers every flag after the values, so `done <TAB>` would
/// list seventy flags after the step ids. As git does, flags are offered only once a `-` is
/// typed: when any candidate is not a flag, the flags are left out.
pub(crate) fn complete_if_asked() {
    let Some(name) = std::env::var_os("COMPLETE").filter(|n| !n.is_empty() && *n != "0") else {
        return;
    };
    let shells = clap_complete::env::Shells::builtins();
    let Some(shell) = shells.completer(&name.to_string_lossy()) else {
        return;
    };
    let mut command = command();
    command.build();
    let args: Vec<OsString> = std::env::args_os()
        .skip_while(|a| a != "--")
        .skip(1)
        .collect();
    let mut out = Vec::new();
    let current_dir = std::env::current_dir().ok();
    let written = if args.is_empty() {
        shell.write_registration("COMPLETE", "breach", "breach", "breach", &mut out)
    } else {
        shell.write_complete(&mut command, args, current_dir.as_deref(), &mut out)
    };
    if written.is_ok() {
        let separator = std::env::var("_CLAP_IFS").unwrap_or_else(|_| "\n".to_owned());
        let text = String::from_utf8_lossy(&out);
        let _ = std::io::Write::write_all(
            &mut std::io::stdout(),
            without_flags_beside_values(&text, &separator).as_bytes(),
        );
    }
    std::process::exit(0);
}

/// The candidates in `text` (separated by `separator`, as the shell's script asked), without
/// the flags when there are candidates that are not flags.
fn without_flags_beside_values(text: &str, separator: &str) -> String {
    let trailing = text.ends_with('\n') && separator != "\n";
    let body = if trailing {
        &text[..text.len() - 1]
    } else {
        text
    };
    let entries: Vec<&str> = body.split(separator).filter(|e| !e.is_empty()).collect();
    if !entries.iter().any(|e| !e.starts_with('-')) {
        return text.to_owned();
    }
    let mut kept = entries
        .into_iter()
        .filter(|e| !e.starts_with('-'))
        .collect::<Vec<_>>()
        .join(separator);
    if separator == "\n" || trailing {
        kept.push('\n');
    }
    kept
}

/// The script a shell sources to complete `breach` through `breach` itself.
pub(crate) fn registration(shell: clap_complete::Shell) -> Result<String, crate::error::Error> {
    let name = shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells
        .completer(&name)
        .ok_or_else(|| crate::error::Error::usage(format!("no completion for the {name} shell")))?;
    let mut script = Vec::new();
    completer
        .write_registration("COMPLETE", "breach", "breach", "breach", &mut script)
        .map_err(|e| crate::error::Error::internal("cannot write the completion script", e))?;
    Ok(String::from_utf8_lossy(&script).into_owned())
}

/// The command line with a completer on every argument that names a step, an incident or a
/// runbook, found by the argument's id so that no definition in [`crate::cli`] has to know.
/// Built first: a command's arguments are otherwise added only when it is parsed (`defer`).
fn command() -> clap::Command {
    let mut command = Cli::command();
    command.build();
    attach(command, "")
}

fn attach(command: clap::Command, path: &str) -> clap::Command {
    let name = command.get_name().to_owned();
    let here = format!("{path} {name}");
    let command = command.mut_args(|arg| {
        let completer = match (arg.get_id().as_str(), name.as_str()) {
            ("incident", _) => Some(ArgValueCompleter::new(incidents)),
            ("runbook", _) => Some(ArgValueCompleter::new(runbooks)),
            ("id", "show" | "init") if path.ends_with("runbook") => {
                Some(ArgValueCompleter::new(runbooks))
            }
            ("step", "done" | "skip" | "na") => Some(ArgValueCompleter::new(open_steps)),
            ("step", "reopen") => Some(ArgValueCompleter::new(settled_steps)),
            ("step", _) => Some(ArgValueCompleter::new(any_step)),
            _ => None,
        };
        match completer {
            Some(completer) => arg.add(completer),
            None => arg,
        }
    });
    command.mut_subcommands(|sub| attach(sub, &here))
}

/// The session the words being completed describe: their global options (and the
/// environment), on the system clock, never prompting.
fn session() -> Option<Session> {
    let mut argv: Vec<OsString> = vec!["breach".into(), "--non-interactive".into()];
    argv.extend(global_options(std::env::args_os()));
    argv.push("status".into());
    let cli = Cli::try_parse_from(argv).ok()?;
    let mut session = Session::from_cli(&cli, Clock::System).ok()?;
    session.interactive = false;
    Some(session)
}

/// The options among the words after `--` that choose the store, the incident and the
/// runbooks, as given (`--store DIR` or `--store=DIR`); the word being completed is ignored.
fn global_options(args: impl Iterator<Item = OsString>) -> Vec<OsString> {
    const TAKE_VALUE: [&str; 5] = ["--store", "--incident", "-i", "--runbooks", "--actor"];
    let words: Vec<OsString> = args.skip_while(|a| a != "--").skip(2).collect();
    let mut kept = Vec::new();
    let mut words = words.iter().peekable();
    while let Some(word) = words.next() {
        let text = word.to_string_lossy();
        if TAKE_VALUE.contains(&text.as_ref()) {
            // The last word is the one being completed: a value still being typed is not one.
            if let Some(value) = words.next().filter(|_| words.peek().is_some()) {
                kept.push(word.clone());
                kept.push(value.clone());
            }
        } else if let Some((flag, _)) = text.split_once('=')
            && TAKE_VALUE.contains(&flag)
            && words.peek().is_some()
        {
            kept.push(word.clone());
        }
    }
    kept
}

fn candidates(
    current: &OsStr,
    all: impl IntoIterator<Item = (String, String)>,
) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    all.into_iter()
        .filter(|(value, _)| value.starts_with(typed.as_ref()))
        .map(|(value, help)| {
            CompletionCandidate::new(value)
                .help(Some(crate::text::sanitize(&help).into_owned().into()))
        })
        .collect()
}

fn incidents(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(session) = session() else {
        return Vec::new();
    };
    let Ok(store) = session.open_store() else {
        return Vec::new();
    };
    let open = store.open_incidents();
    let mut all: Vec<(String, String)> = store
        .ids()
        .unwrap_or_default()
        .into_iter()
        .map(|id| {
            let title = open
                .iter()
                .find(|(open_id, _)| *open_id == id)
                .map_or_else(|| "closed".to_owned(), |(_, title)| title.clone());
            (id, title)
        })
        .collect();
    all.sort();
    candidates(current, all)
}

fn runbooks(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(session) = session() else {
        return Vec::new();
    };
    let Ok(dirs) = session.runbook_dirs() else {
        return Vec::new();
    };
    let Ok(catalog) = crate::runbook::Catalog::load(&dirs) else {
        return Vec::new();
    };
    candidates(
        current,
        catalog.entries.iter().map(|entry| {
            (
                entry.runbook.id.value.clone(),
                entry.runbook.title.value.clone(),
            )
        }),
    )
}

/// The steps of the current incident whose state `keep` accepts, with their titles.
fn steps(current: &OsStr, keep: fn(StepState, bool) -> bool) -> Vec<CompletionCandidate> {
    let Some(session) = session() else {
        return Vec::new();
    };
    let Ok((_, incident)) = session.load_current() else {
        return Vec::new();
    };
    let views = incident.step_views();
    candidates(
        current,
        views
            .iter()
            .filter(|view| keep(view.state(), view.active))
            .map(|view| (view.step.id.value.clone(), view.step.title.value.clone())),
    )
}

fn open_steps(current: &OsStr) -> Vec<CompletionCandidate> {
    steps(current, |state, active| active && state == StepState::Open)
}

fn settled_steps(current: &OsStr) -> Vec<CompletionCandidate> {
    steps(current, |state, _| state != StepState::Open)
}

fn any_step(current: &OsStr) -> Vec<CompletionCandidate> {
    steps(current, |_, _| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        global_options(line.split(' ').map(OsString::from))
            .into_iter()
            .map(|w| w.into_string().unwrap())
            .collect()
    }

    #[test]
    fn flags_are_left_out_only_beside_values() {
        assert_eq!(
            without_flags_beside_values("a\u{b}b\u{b}--note\u{b}--set", "\u{b}"),
            "a\u{b}b"
        );
        assert_eq!(
            without_flags_beside_values("a:step a\n--note:a note\n", "\n"),
            "a:step a\n"
        );
        assert_eq!(
            without_flags_beside_values("--note\n--set\n", "\n"),
            "--note\n--set\n"
        );
    }

    #[test]
    fn only_the_options_that_choose_the_store_and_incident_are_kept() {
        assert_eq!(
            words("breach -- breach --store /s -i abc --json done con"),
            ["--store", "/s", "-i", "abc"]
        );
        assert_eq!(words("breach -- breach --store=/s done "), ["--store=/s"]);
        // The value still being typed is not taken as the store.
        assert!(words("breach -- breach --store /partial").is_empty());
        assert!(words("breach -- breach -i").is_empty());
    }
}
