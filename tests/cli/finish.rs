//! What scripts and shells rely on: completions and the man page, `--json` purity on every read
//! command, the exit codes, `NO_COLOR`, broken pipes and "did you mean".

use std::io::Read;
use std::process::Stdio;

use crate::Env;

const COMMANDS: [&str; 23] = [
    "start",
    "list",
    "status",
    "next",
    "walk",
    "done",
    "skip",
    "na",
    "reopen",
    "note",
    "attach",
    "facts",
    "assess",
    "notify",
    "deadlines",
    "export",
    "letter",
    "config",
    "close",
    "verify",
    "repair",
    "runbook",
    "completions",
];

#[test]
fn completions_for_every_shell_mention_every_command() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = env.breach(["completions", shell]).ok().stdout;
        assert!(out.len() > 1000, "{shell}: a real script");
        for command in COMMANDS {
            assert!(
                out.contains(command),
                "{shell} completions lack `{command}`"
            );
        }
    }
}

#[test]
fn the_man_page_mentions_every_command() {
    let env = Env::new();
    let page = env.breach(["man"]).ok().stdout;
    assert!(page.starts_with(".ie") && page.contains(".TH breach 1"));
    for command in COMMANDS.iter().chain(&["man"]) {
        assert!(
            page.contains(&format!("breach\\-{command}"))
                || page.contains(&format!("\\fB{command}\\fR"))
                || page.contains(command),
            "man page lacks `{command}`"
        );
    }
}

#[test]
fn every_read_command_prints_one_json_document_and_nothing_else() {
    let env = Env::new();
    env.start("misdirected-email");
    env.breach(["facts", "--affected", "12"]).ok();
    let reads: [&[&str]; 13] = [
        &["list"],
        &["status"],
        &["next"],
        &["deadlines"],
        &["verify"],
        &["facts"],
        &["config", "show"],
        &["runbook", "list"],
        &["runbook", "show", "misdirected-email"],
        &[
            "runbook",
            "validate",
            concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks"),
        ],
        &["letter", "individual"],
        &["export", "--format", "json"],
        &["runbook", "show", "misdirected-email", "--affected", "3"],
    ];
    for args in reads {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let out = env.breach(full).ok();
        out.json();
        assert!(
            out.stderr.is_empty(),
            "{args:?} wrote to stderr: {}",
            out.stderr
        );
        assert_eq!(
            out.stdout.matches("\n{").count(),
            0,
            "{args:?}: one document"
        );
    }
}

#[test]
fn exit_codes_are_0_success_2_usage_1_failure() {
    let env = Env::new();
    assert_eq!(env.breach(["--version"]).run().code, 0);
    assert_eq!(env.breach(["frobnicate"]).run().code, 2, "unknown command");
    assert_eq!(
        env.breach(["list", "--no-such-flag"]).run().code,
        2,
        "unknown flag"
    );
    assert_eq!(env.breach(["skip", "x"]).run().code, 2, "missing --reason");
    assert_eq!(
        env.breach(["status"]).run().code,
        1,
        "no incident: a failure, with a one-line message"
    );
    env.start("misdirected-email");
    assert_eq!(env.breach(["done", "no-such-step"]).run().code, 1);
    assert_eq!(env.breach(["verify"]).run().code, 0);
    env.write("bad.yaml", "id: x\n");
    assert_eq!(
        env.breach(["runbook", "validate", "bad.yaml"]).run().code,
        1
    );
}

#[test]
fn no_colour_or_escapes_under_no_color_even_in_a_terminal() {
    let env = Env::new();
    env.start("misdirected-email");
    for args in [
        vec!["status"],
        vec!["deadlines"],
        vec!["list"],
        vec!["runbook", "show", "misdirected-email"],
    ] {
        let mut p =
            rexpect::session::spawn_command(env.command(args.clone()), Some(10_000)).unwrap();
        let all = p.exp_eof().unwrap();
        assert!(
            !all.contains('\u{1b}'),
            "{args:?} printed an escape sequence under NO_COLOR"
        );
    }
    // The walk's prompts: no colour (SGR 30-37, 90-97, 38;…), only cursor movement.
    let mut p = rexpect::session::spawn_command(env.command(["walk"]), Some(10_000)).unwrap();
    let screen = p.exp_string("What now?").unwrap();
    for colour in ["\u{1b}[3", "\u{1b}[9", "\u{1b}[38;"] {
        assert!(
            !screen.contains(colour),
            "colour in the walk under NO_COLOR"
        );
    }
    p.send("\u{1b}[A").unwrap();
    p.flush().unwrap();
    p.send("\r").unwrap();
    p.flush().unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let env = Env::new();
    let mut child = env
        .command(["runbook", "show", "misdirected-email"])
        .env("COLUMNS", "80")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The reader is gone (dropped): the rest of the output meets a closed pipe.
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "exit {status:?}: {err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn a_mistyped_incident_id_gets_a_suggestion() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    let mut typo = id.clone();
    typo.replace_range(10..11, if &id[10..11] == "a" { "b" } else { "a" });
    let out = env.breach(["-i", &typo, "status"]).fails(1);
    assert!(
        out.error_line().contains(&format!("did you mean `{id}`?")),
        "{}",
        out.stderr
    );
}

#[test]
fn every_command_has_help_with_a_summary_and_an_example() {
    let env = Env::new();
    let subcommands = [
        vec!["runbook", "list"],
        vec!["runbook", "show"],
        vec!["runbook", "validate"],
        vec!["runbook", "init"],
        vec!["config", "show"],
        vec!["config", "set"],
        vec!["config", "unset"],
        vec!["man"],
    ];
    for args in COMMANDS.iter().map(|c| vec![*c]).chain(subcommands) {
        let mut full = args.clone();
        full.push("--help");
        let out = env.breach(full).ok().stdout;
        assert!(
            out.lines().next().is_some_and(|l| !l.trim().is_empty()),
            "{args:?} --help has a summary"
        );
        assert!(out.contains("Example"), "{args:?} --help has an example");
    }
}

#[test]
fn man_dir_writes_every_page_the_main_page_names() {
    let env = Env::new();
    let dir = env.path().join("man1");
    env.breach(["man", "--dir", dir.to_str().unwrap()]).ok();
    let main = std::fs::read_to_string(dir.join("breach.1")).unwrap();
    // Every `breach\-NAME(1)` the page refers to, as roff writes it.
    let named: Vec<String> = main
        .split("breach\\-")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once("(1)")
                .map(|(name, _)| name.replace("\\-", "-"))
        })
        .filter(|name| name.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect();
    assert!(named.len() >= 20, "breach(1) names {named:?}");
    // The page `breach man` prints is the same page, with the sections a manual page has, and
    // it names no page that does not exist (there is no breach-help(1)).
    let printed = env.breach(["man"]).ok().stdout;
    assert_eq!(printed, main);
    for section in [
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH \"SEE ALSO\"",
    ] {
        assert!(printed.contains(section), "breach(1) lacks {section}");
    }
    assert!(
        !printed.contains("breach\\-help"),
        "breach(1) names breach-help(1)"
    );
    assert!(!dir.join("breach-help.1").exists());
    for name in &named {
        assert!(
            dir.join(format!("breach-{name}.1")).exists(),
            "breach(1) names breach-{name}(1), which was not written"
        );
    }
}
