//! Entry points for fuzzing every parser of untrusted input: the runbook loader, the log reader
//! and replay, the date parser and the fact parser. The cargo-fuzz targets in `fuzz/` call these,
//! and a unit test replays the committed seed and regression corpus through them on stable Rust,
//! so a fixed finding stays fixed. None may panic, hang or use memory out of proportion to its
//! input.

use chrono::{DateTime, Utc};
use clap::Parser;

use crate::cli::{Cli, Command};
use crate::incident::Replay;

fn fixed_now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_773_154_800, 0).expect("a valid instant")
}

/// Any bytes as a runbook file.
pub fn runbook(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::runbook::parse_runbook("fuzz.yaml", text);
    }
}

/// Any bytes as a log: verified, and what verifies replayed.
pub fn log(data: &[u8]) {
    let mut replay = Replay::new();
    let _ = crate::log::scan(data, |entry| replay.apply(entry));
    let _ = replay.finish();
}

/// Any text as a date or time a person typed.
pub fn date(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let calendar = crate::clock::Calendar::machine(crate::clock::Clock::Fixed(fixed_now()));
        let _ = calendar.parse_when(text, "--discovered", fixed_now());
        let _ = calendar.parse_past(text, "--discovered", fixed_now());
        let _ = crate::clock::parse_date(text);
    }
}

/// Any text as `breach facts` arguments, one per line.
pub fn facts(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let args = std::iter::once("breach")
        .chain(std::iter::once("facts"))
        .chain(text.lines());
    if let Ok(Cli {
        command: Command::Facts(args),
        ..
    }) = Cli::try_parse_from(args)
    {
        let calendar = crate::clock::Calendar::machine(crate::clock::Clock::Fixed(fixed_now()));
        let _ = crate::commands::parse_facts(&args, &calendar, fixed_now());
    }
}

#[cfg(test)]
mod tests {
    /// Replays every committed seed and regression input through its target.
    #[test]
    fn the_committed_corpus_runs_clean() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        type Target = fn(&[u8]);
        let targets: [(&str, Target); 4] = [
            ("runbook", super::runbook),
            ("log", super::log),
            ("date", super::date),
            ("facts", super::facts),
        ];
        let mut inputs = 0;
        for (name, target) in targets {
            for kind in ["seeds", "regressions"] {
                let dir = root.join(kind).join(name);
                let Ok(files) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for file in files {
                    let path = file.unwrap().path();
                    target(&std::fs::read(&path).unwrap());
                    inputs += 1;
                }
            }
        }
        assert!(
            inputs > 0,
            "the corpus is committed under fuzz/seeds and fuzz/regressions"
        );
    }
}
