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
fn completion_scripts_for_every_shell_call_back_into_breach() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = env.breach(["completions", shell]).ok().stdout;
        assert!(
            out.contains("COMPLETE") && out.contains(shell) && out.contains("breach"),
            "{shell}: the script asks breach itself:\n{out}"
        );
    }
    // What fish's script asks for: a candidate per line, its help after a tab; flags once a
    // dash is typed.
    env.start("misdirected-email");
    let fish = |word: &str| {
        env.breach(["--", "breach", "done", word])
            .env("COMPLETE", "fish")
            .ok()
            .stdout
    };
    let steps = fish("");
    assert!(
        steps.lines().any(|l| l.starts_with("identify-message\t")),
        "{steps}"
    );
    assert!(!steps.contains("--note"), "{steps}");
    assert!(fish("--n").lines().any(|l| l.starts_with("--note")));
}

/// Runs each line of `lines` (the words of a command line, the last one being completed)
/// through the function `breach completions bash` registers with `complete`, as bash does on
/// TAB, and returns what each offered.
fn bash_completes(env: &Env, lines: &[&[&str]]) -> Vec<Vec<String>> {
    let script = env.write(
        "completion.bash",
        &env.breach(["completions", "bash"]).ok().stdout,
    );
    let template = env.command(["unused"]);
    let binary = assert_cmd::cargo::cargo_bin!("breach");
    let mut path = std::ffi::OsString::from(binary.parent().expect("binary dir"));
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let mut body = format!(
        "source '{}'\nfunction=$(complete -p breach | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n",
        script.display()
    );
    for words in lines {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        body.push_str(&format!(
            "COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMP_TYPE=9\n\
             COMPREPLY=(); \"$function\" breach \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"; echo '=='\n",
            words = quoted.join(" ")
        ));
    }
    let mut bash = std::process::Command::new("bash");
    bash.env_clear()
        .args(["--norc", "--noprofile", "-c", &body])
        .current_dir(env.path());
    for (key, value) in template.get_envs() {
        if let Some(value) = value {
            bash.env(key, value);
        }
    }
    bash.env("PATH", path);
    let out = bash.output().expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    text.split("==\n")
        .take(lines.len())
        .map(|block| {
            block
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[test]
fn bash_completes_step_incident_and_runbook_ids_from_the_store() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    env.breach([
        "skip",
        "attempt-recall",
        "--reason",
        "the message was sent outside the organisation",
    ])
    .ok();
    let other = tempfile::tempdir().expect("temp dir");
    let other_store = other.path().join("store");
    let other_id = env
        .breach([
            "--json",
            "start",
            "--runbook",
            "compromised-mailbox",
            "--discovered",
            "2026-03-01 09:30",
            "--title",
            "Elsewhere",
        ])
        .env("BREACH_STORE", &other_store)
        .ok()
        .json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let other_store = other_store.to_string_lossy().into_owned();
    let offered = bash_completes(
        &env,
        &[
            &["breach", "done", ""],
            &["breach", "done", "con"],
            &["breach", "reopen", ""],
            &["breach", "-i", ""],
            &["breach", "start", "--runbook", ""],
            &["breach", "runbook", "show", "comp"],
            &["breach", "--store", &other_store, "-i", ""],
            &["breach", "--store", &other_store, "done", "reset"],
        ],
    );
    let [
        done,
        done_con,
        reopen,
        incident,
        runbook,
        runbook_show,
        other_incident,
        other_step,
    ] = offered.as_slice()
    else {
        panic!("eight answers: {offered:?}");
    };
    assert!(done.contains(&"identify-message".to_owned()), "{done:?}");
    assert!(
        !done.contains(&"attempt-recall".to_owned()),
        "a settled step is not offered: {done:?}"
    );
    assert!(
        done.iter().all(|w| !w.starts_with('-')),
        "step ids, not flags: {done:?}"
    );
    assert_eq!(done_con, &["contact-recipient", "confirm-unsecured"]);
    assert_eq!(reopen, &["attempt-recall"]);
    assert_eq!(incident, std::slice::from_ref(&id));
    assert!(
        runbook.contains(&"misdirected-email".to_owned())
            && runbook.contains(&"compromised-mailbox".to_owned()),
        "{runbook:?}"
    );
    assert_eq!(runbook_show, &["compromised-mailbox"]);
    // `--store` on the line chooses the store the candidates come from.
    assert_eq!(other_incident, &[other_id]);
    assert!(
        other_step.iter().any(|s| s.starts_with("reset")) && !other_step.contains(&id),
        "{other_step:?}"
    );
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
    let screen = p.exp_string("Which step now?").unwrap();
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
    // A command's page names it with its own summary and lists its options before the
    // global ones.
    let note = std::fs::read_to_string(dir.join("breach-note.1")).unwrap();
    assert!(
        note.contains("breach\\-note \\- Record a note in the log"),
        "{note}"
    );
    let comes_before = |text: &str, first: &str, second: &str| {
        let at = |heading: &str| {
            text.find(heading)
                .unwrap_or_else(|| panic!("no {heading:?} in {text}"))
        };
        assert!(at(first) < at(second), "{first:?} after {second:?}: {text}");
    };
    comes_before(&note, ".SH OPTIONS", ".SH \"GLOBAL OPTIONS\"");
    // `done`'s own options under their headings come before the global ones, in its page and
    // its help (it is the one command whose options have headings).
    let done = std::fs::read_to_string(dir.join("breach-done.1")).unwrap();
    comes_before(
        &done,
        ".SH \"A STEP THAT RECORDS A NOTICE (AS `BREACH NOTIFY`)\"",
        ".SH \"GLOBAL OPTIONS\"",
    );
    let help = env.breach(["done", "--help"]).ok().stdout;
    comes_before(
        &help,
        "A step that records a notice (as `breach notify`):",
        "Global options:",
    );
    for name in &named {
        assert!(
            dir.join(format!("breach-{name}.1")).exists(),
            "breach(1) names breach-{name}(1), which was not written"
        );
    }
}
