//! The `breach` binary: parse the command line, run it, print the result, exit with its status.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = breach::parse();
    let how = breach::presentation(&cli);
    match breach::run(cli) {
        // Whatever a command prints to a terminal, no control character or escape sequence
        // from the record (a note, a letter's facts) reaches the terminal as such.
        Ok(outcome) => match breach::show(&outcome.stdout, &how) {
            // A reader that stopped early (`| head`) is not a failure.
            Ok(()) => ExitCode::from(outcome.code),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(outcome.code),
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
        },
        Err(e) => {
            eprintln!(
                "{}",
                breach::error_line(&format!("{e:#}"), how.colour_stderr)
            );
            ExitCode::from(e.kind().exit_code())
        }
    }
}
