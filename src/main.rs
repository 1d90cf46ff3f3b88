//! The `breach` binary: parse the command line, run it, print the result, exit with its status.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = breach::Cli::parse();
    match breach::run(cli) {
        Ok(outcome) => {
            let mut stdout = std::io::stdout().lock();
            // Whatever a command prints to a terminal, no control character or escape sequence
            // from the record (a note, a letter's facts) reaches the terminal as such.
            let text = if stdout.is_terminal() {
                breach::sanitize_multiline(&outcome.stdout)
            } else {
                outcome.stdout
            };
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // A reader that stopped early (`| head`) is not a failure.
                Ok(()) => ExitCode::from(outcome.code),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    ExitCode::from(outcome.code)
                }
                // The entry is on disk: say so, and exit 0 so that a script does not record it
                // a second time.
                Err(e) if outcome.recorded.is_some() => {
                    let head = outcome.recorded.expect("checked");
                    eprintln!(
                        "breach: entry {} was recorded (head {head}), but its confirmation could not be printed ({e}); do not record it again",
                        head.seq
                    );
                    ExitCode::from(outcome.code)
                }
                Err(e) => {
                    eprintln!("breach: error: cannot write output: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("breach: error: {}", breach::sanitize(&format!("{e:#}")));
            ExitCode::from(e.kind().exit_code())
        }
    }
}
