//! How a command's text reaches the person at the terminal, as git and gh do it: made safe
//! (nothing from the record moves the cursor), coloured where a word needs to stand out
//! (OVERDUE, NEEDS LEGAL REVIEW, a failed check, an error), and, when it is longer than the screen, shown
//! through a pager. Colour follows `--color`, then `NO_COLOR`, `CLICOLOR_FORCE` and `CLICOLOR`
//! (<https://no-color.org>, <https://bixense.com/clicolors/>); the pager is `BREACH_PAGER`, then
//! `PAGER`, then `less -FRX`, and never runs for a pipe, a file or `--no-pager`. Text that is not
//! for a terminal (a pipe, a file, `--json`) is written exactly as the command made it.

use std::io::{IsTerminal, Write};

/// What the environment says of colour: `NO_COLOR`, `CLICOLOR_FORCE`, `CLICOLOR`.
#[derive(Debug, Clone, Default)]
pub struct ColorEnv {
    pub no_color: bool,
    pub force: bool,
    pub clicolor_off: bool,
    pub dumb_terminal: bool,
}

impl ColorEnv {
    /// Read from the process's environment.
    pub fn from_process() -> ColorEnv {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let value = |name: &str| std::env::var(name).ok();
        ColorEnv {
            no_color: set("NO_COLOR"),
            force: set("CLICOLOR_FORCE") && value("CLICOLOR_FORCE").as_deref() != Some("0"),
            clicolor_off: value("CLICOLOR").as_deref() == Some("0"),
            dumb_terminal: value("TERM").as_deref() == Some("dumb"),
        }
    }
}

/// Whether to colour text for a stream that is (or is not) a terminal; `forced` is what
/// `--color always` (`Some(true)`) or `never` (`Some(false)`) says, `None` for `auto`.
pub fn colour(forced: Option<bool>, env: &ColorEnv, terminal: bool) -> bool {
    match forced {
        Some(on) => on,
        None if env.no_color => false,
        None if env.force => true,
        None => terminal && !env.clicolor_off && !env.dumb_terminal,
    }
}

/// How a command's text is shown.
#[derive(Debug, Clone)]
pub struct Presentation {
    pub colour_stdout: bool,
    pub colour_stderr: bool,
    /// The pager's command line, when long text in a terminal may go through one.
    pub pager: Option<String>,
    /// Text for a program (`--json`): never coloured, never paged.
    pub machine: bool,
}

const RED_BOLD: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// The words that must stand out, and how.
const MARKED: &[(&str, &str)] = &[
    ("OVERDUE", RED_BOLD),
    ("NEEDS LEGAL REVIEW", YELLOW),
    ("FAILED:", RED_BOLD),
];

/// `text` (already made safe) with the marked words coloured.
pub fn paint(text: &str) -> String {
    let mut out = text.to_owned();
    for (word, style) in MARKED {
        out = out.replace(word, &format!("{style}{word}{RESET}"));
    }
    out
}

/// An error line as the terminal shows it: "breach: error:" in red when colour is on.
pub fn error_line(message: &str, colour: bool) -> String {
    let message = crate::text::sanitize(message);
    if colour {
        format!("{RED_BOLD}breach: error:{RESET} {message}")
    } else {
        format!("breach: error: {message}")
    }
}

/// The pager to use: `BREACH_PAGER`, then `PAGER`, then `less -FRX`; none when it is empty or
/// `cat`.
pub fn pager_from_env() -> Option<String> {
    let chosen = std::env::var("BREACH_PAGER")
        .or_else(|_| std::env::var("PAGER"))
        .unwrap_or_else(|_| "less -FRX".to_owned());
    let chosen = chosen.trim();
    (!chosen.is_empty() && chosen != "cat").then(|| chosen.to_owned())
}

/// Writes a command's text to standard output as the person should see it.
pub fn show(text: &str, how: &Presentation) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    if how.machine || (!terminal && !how.colour_stdout) {
        let mut out = stdout.lock();
        out.write_all(text.as_bytes())?;
        return out.flush();
    }
    let safe = if terminal {
        crate::text::sanitize_multiline(text)
    } else {
        text.to_owned()
    };
    let shown = if how.colour_stdout {
        paint(&safe)
    } else {
        safe
    };
    let rows = crossterm::terminal::size()
        .ok()
        .map(|(_, rows)| usize::from(rows))
        .filter(|rows| *rows > 0)
        .unwrap_or(24);
    if terminal
        && let Some(pager) = &how.pager
        && shown.lines().count() >= rows
        && page(pager, &shown).is_ok()
    {
        return Ok(());
    }
    let mut out = stdout.lock();
    out.write_all(shown.as_bytes())?;
    out.flush()
}

/// Hands `text` to the pager through the shell, as git does (`LESS=FRX` unless set); an error
/// when it cannot be started, so the text is printed instead.
fn page(pager: &str, text: &str) -> std::io::Result<()> {
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg(pager)
        .stdin(std::process::Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        command.env("LESS", "FRX");
    }
    let mut child = command.spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // A pager quit early (q) closes its end: not an error.
        let _ = stdin.write_all(text.as_bytes());
    }
    child.wait().map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_flag_then_no_color_then_clicolor_force_then_the_terminal() {
        let env = |no_color, force| ColorEnv {
            no_color,
            force,
            ..ColorEnv::default()
        };
        assert!(colour(Some(true), &env(true, false), false));
        assert!(!colour(Some(false), &env(false, true), true));
        assert!(!colour(None, &env(true, true), true));
        assert!(colour(None, &env(false, true), false));
        assert!(colour(None, &env(false, false), true));
        assert!(!colour(None, &env(false, false), false));
        let dumb = ColorEnv {
            dumb_terminal: true,
            ..ColorEnv::default()
        };
        assert!(!colour(None, &dumb, true));
    }

    #[test]
    fn overdue_is_painted_red_and_nothing_else_changes() {
        let painted = paint("a OVERDUE b");
        assert_eq!(painted, "a \x1b[1;31mOVERDUE\x1b[0m b");
        assert_eq!(paint("met on time"), "met on time");
    }
}
