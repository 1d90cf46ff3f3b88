//! The conventions of the shell a new user expects, through the binary: colour (`--color`,
//! `NO_COLOR`, `CLICOLOR_FORCE`), the pager in a terminal and never for a pipe, completion of
//! step, incident and runbook ids, and the manual page.

use rexpect::session::spawn_command;

use crate::Env;

const ESC_OVERDUE: &str = "\x1b[1;31mOVERDUE\x1b[0m";

/// An incident discovered long before its `BREACH_NOW`: its notices are overdue.
fn overdue() -> Env {
    let env = Env::new();
    env.breach([
        "start",
        "--runbook",
        "misdirected-email",
        "--discovered",
        "2025-12-01 09:00",
        "--title",
        "Found in the January audit",
    ])
    .ok();
    env.breach(["facts", "--affected", "640"]).ok();
    env
}

#[test]
fn colour_follows_the_flag_and_the_environment_and_never_touches_json() {
    let env = overdue();
    let plain = env.breach(["deadlines"]).ok().stdout;
    assert!(
        plain.contains("OVERDUE") && !plain.contains('\x1b'),
        "{plain}"
    );
    let always = env.breach(["--color", "always", "deadlines"]).ok().stdout;
    assert!(always.contains(ESC_OVERDUE), "{always}");
    let never = env
        .command(["--color", "never", "deadlines"])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&never.stdout).contains('\x1b'));
    let forced = env
        .command(["deadlines"])
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&forced.stdout).contains(ESC_OVERDUE));
    let json = env
        .breach(["--json", "--color", "always", "deadlines"])
        .ok();
    assert!(!json.stdout.contains('\x1b'));
    json.json();
    // A failure says so in red on the terminal's error stream.
    let failed = env
        .breach(["--color", "always", "-i", "no-such", "status"])
        .fails(1);
    assert!(
        failed
            .stderr
            .starts_with("\x1b[1;31mbreach: error:\x1b[0m no incident"),
        "{}",
        failed.stderr
    );
}

#[test]
fn in_a_terminal_colour_is_on_and_long_output_goes_through_the_pager_never_when_piped() {
    let env = overdue();
    let paged = env.path().join("paged.txt");
    let pager = format!("cat > '{}'", paged.display());
    // Piped: the pager never runs.
    env.command(["status"])
        .env("BREACH_PAGER", &pager)
        .output()
        .unwrap();
    assert!(!paged.exists(), "the pager ran for a pipe");
    // In a terminal, with colour left to `auto`: the long screen goes to the pager, coloured.
    let mut terminal = env.command(["status"]);
    terminal.env_remove("NO_COLOR").env("BREACH_PAGER", &pager);
    let mut p = spawn_command(terminal, Some(10_000)).unwrap();
    p.exp_eof().unwrap();
    let shown = std::fs::read_to_string(&paged).expect("the pager was given the screen");
    assert!(
        shown.contains("Next steps") && shown.contains(ESC_OVERDUE),
        "{shown}"
    );
    std::fs::remove_file(&paged).unwrap();
    // --no-pager prints it straight to the terminal.
    let mut straight = env.command(["--no-pager", "status"]);
    straight.env("BREACH_PAGER", &pager);
    let mut p = spawn_command(straight, Some(10_000)).unwrap();
    p.exp_string("Next steps").unwrap();
    p.exp_eof().unwrap();
    assert!(!paged.exists(), "--no-pager paged");
}

#[test]
fn the_top_level_help_groups_the_commands_by_what_a_person_is_doing() {
    let help = Env::new().breach(["--help"]).ok().stdout;
    let at = |needle: &str| {
        help.find(needle)
            .unwrap_or_else(|| panic!("missing {needle:?} in\n{help}"))
    };
    // Each group, in order, holds its commands.
    assert!(at("Respond to an incident:") < at("  start "));
    assert!(at("  walk ") < at("Record what happened:"));
    assert!(at("Record what happened:") < at("  notify "));
    assert!(at("Report and notify:") < at("  export "));
    assert!(at("Keep the record and the store:") < at("  verify "));
    assert!(at("Shell:") < at("  completions "));
    // Each command's line is its own summary, never that of an argument struct it flattens.
    for (command, summary) in [
        ("note", "Record a note in the log"),
        ("done", "Mark a step done"),
        ("list", "List the incidents in the store"),
        ("export", "Export the incident for counsel"),
        ("deadlines", "List every notification obligation"),
    ] {
        let line = &help[at(&format!("  {command} "))..];
        let line = line.lines().next().unwrap();
        assert!(line.contains(summary), "{command}: {line:?}");
    }
    for borrowed in ["When something recorded happened", "Where a document goes"] {
        assert!(!help.contains(borrowed), "{borrowed:?} in\n{help}");
    }
    // Help for one command is as it was.
    let notify = Env::new().breach(["help", "notify"]).ok().stdout;
    assert!(notify.contains("Usage: breach notify"), "{notify}");
}
