//! The guided walk in a real pseudo-terminal: the binary, its prompts, Ctrl-C, and no terminal.

use rexpect::session::{PtySession, spawn_command};

use crate::Env;

const DOWN: &str = "\x1b[B";
const UP: &str = "\x1b[A";
const ENTER: &str = "\r";

fn walk(env: &Env) -> PtySession {
    spawn_command(env.command(["walk"]), Some(10_000)).expect("spawn breach walk in a pty")
}

fn answer(p: &mut PtySession, prompt: &str, text: &str) {
    p.exp_string(prompt)
        .unwrap_or_else(|e| panic!("waiting for {prompt:?}: {e}"));
    p.send(text).unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
}

/// On the list of steps: the question, then the line expected among the options (printed after
/// it), then the key that picks.
fn pick(p: &mut PtySession, expected: &str, key: &str) {
    p.exp_string("Which step now?").unwrap();
    p.exp_string(expected)
        .unwrap_or_else(|e| panic!("waiting for {expected:?} on the list: {e}"));
    p.send(key).unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
}

fn kinds_and_data(env: &Env, id: &str) -> Vec<(String, serde_json::Value)> {
    env.log_text(id)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["kind"].as_str().unwrap().to_owned(), v["data"].clone())
        })
        .collect()
}

#[test]
fn a_walk_through_several_steps_records_what_was_answered() {
    for env in crate::backends() {
        walk_through_several_steps(&env);
    }
}

fn walk_through_several_steps(env: &Env) {
    let id = env.start("misdirected-email");
    let mut p = walk(env);
    // The walk opens on the workable steps, the next one first.
    pick(&mut p, "Next: identify-message", "");
    p.exp_string("Identify the message and everyone who received it")
        .unwrap();
    answer(&mut p, "What now?", "");
    answer(&mut p, "Message-ID header", "<CAF1@mail.example.org>");
    answer(&mut p, "When the message was sent", "2026-03-01 09:00");
    answer(&mut p, "Sender's email address", "not an address");
    answer(&mut p, "Sender's email address", "clinik@example.org");
    answer(&mut p, "Every unintended recipient", "someone@example.net");
    answer(&mut p, "Where the unintended recipients are", "");
    answer(&mut p, "Types of PHI involved", "name, lab result");
    // A note of several lines, ended by an empty one.
    answer(&mut p, "Note (optional)", "Found in the trace.");
    answer(
        &mut p,
        "an empty line ends the text",
        "The sender reported it at once.",
    );
    answer(&mut p, "an empty line ends the text", "");
    // When it happened: the organisation's zone, never the future.
    answer(&mut p, "When was it done?", "2026-03-01 10:15");
    // Every answer is shown; the sender's address is corrected before anything is recorded.
    p.exp_string("sender: clinik@example.org").unwrap();
    answer(&mut p, "Record it?", DOWN);
    answer(&mut p, "Which answer?", &DOWN.repeat(2));
    answer(&mut p, "Sender's email address", "clinic@example.org");
    p.exp_string("sender: clinic@example.org").unwrap();
    answer(&mut p, "Record it?", "");
    p.exp_string("Done: identify-message").unwrap();
    // Back on the list; the next step is chosen from it.
    pick(&mut p, "Next: stop-further-spread", "");
    p.exp_string("Stop the PHI from spreading further").unwrap();
    answer(&mut p, "What now?", DOWN);
    answer(
        &mut p,
        "Why is this step skipped?",
        "Recipient is external; nothing to purge",
    );
    answer(&mut p, "an empty line ends the text", "");
    answer(&mut p, "When was it done?", "");
    p.exp_string("Skipped: stop-further-spread").unwrap();
    answer(&mut p, "Which step now?", UP);
    p.exp_string("Stopped. Resume any time").unwrap();
    p.exp_eof().unwrap();

    let log = kinds_and_data(env, &id);
    let kinds: Vec<&str> = log.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["incident_opened", "step_done", "step_skipped"]);
    let done = &log[1].1;
    assert_eq!(done["step"], "identify-message");
    assert_eq!(done["evidence"]["message_id"], "<CAF1@mail.example.org>");
    assert_eq!(
        done["evidence"]["sent_at"],
        format!("2026-03-01T09:00:00{}", crate::offset_early_march())
    );
    assert_eq!(done["evidence"]["sender"], "clinic@example.org");
    assert_eq!(
        done["note"],
        "Found in the trace.\nThe sender reported it at once."
    );
    let entries: Vec<serde_json::Value> = env
        .log_text(&id)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let local = format!("2026-03-01T10:15:00{}", crate::offset_early_march());
    let expected = chrono::DateTime::parse_from_rfc3339(&local)
        .unwrap()
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    assert_eq!(
        entries[1]["at"], expected,
        "the walk records when the step happened as --at does"
    );
    assert!(
        entries[2].get("at").is_none_or(|at| at.is_null()),
        "now: no --at"
    );
    assert_eq!(done["evidence"]["recipient_type"], "external");
    assert_eq!(
        log[2].1["reason"],
        "Recipient is external; nothing to purge"
    );
    env.breach(["verify"]).ok();
}

#[test]
fn ctrl_c_at_an_evidence_prompt_leaves_the_log_as_it_was() {
    for env in crate::backends() {
        ctrl_c_at_an_evidence_prompt(&env);
    }
}

fn ctrl_c_at_an_evidence_prompt(env: &Env) {
    let id = env.start("misdirected-email");
    let before = env.log_bytes(&id);
    let mut p = walk(env);
    answer(&mut p, "Which step now?", "");
    answer(&mut p, "What now?", "");
    answer(&mut p, "Message-ID header", "<CAF2@mail.example.org>");
    p.exp_string("When the message was sent").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("nothing recorded for `identify-message`")
        .unwrap();
    p.exp_string("the log verifies (1 entries)").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(env.log_bytes(&id), before);
    env.breach(["verify"]).ok();
    // Coming back resumes at the same step.
    let mut again = walk(env);
    pick(&mut again, "Next: identify-message", UP);
    again.exp_eof().unwrap();
}

#[test]
fn the_walk_undoes_the_last_entry_as_a_void_and_takes_a_note_from_the_editor() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let id = env.start("misdirected-email");
    env.breach(["note", "Left a voicemail for the recipient"])
        .ok();
    // An editor as `git commit` runs one: it is given a file and writes the text into it.
    let editor = env.write(
        "editor.sh",
        "#!/bin/sh\nprintf 'Called the recipient back.\\nThey confirmed deletion.\\n' > \"$1\"\n",
    );
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut command = env.command(["walk"]);
    command.env("EDITOR", &editor).env_remove("VISUAL");
    let mut p = spawn_command(command, Some(10_000)).unwrap();
    // Undo is the third option from the end of the list.
    pick(&mut p, "Undo the last thing I recorded", &UP.repeat(3));
    p.exp_string("The last thing you recorded is entry 1")
        .unwrap();
    answer(
        &mut p,
        "Why is it withdrawn?",
        "that voicemail was for another incident",
    );
    answer(&mut p, "Void entry 1?", "y");
    p.exp_string("Voided entry 1 (note)").unwrap();
    // Then a note on the first step, written in the editor.
    pick(&mut p, "Next: identify-message", "");
    answer(&mut p, "What now?", &DOWN.repeat(3));
    p.exp_string("e opens your editor").unwrap();
    p.send("e").unwrap();
    p.flush().unwrap();
    p.send(ENTER).unwrap();
    p.flush().unwrap();
    p.exp_string("Note <received>").unwrap();
    p.exp_string("Note recorded.").unwrap();
    answer(&mut p, "What now?", UP);
    p.exp_eof().unwrap();

    let log = kinds_and_data(&env, &id);
    let kinds: Vec<&str> = log.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["incident_opened", "note", "entry_voided", "note"]);
    assert_eq!(log[2].1["entry"], 1);
    assert_eq!(
        log[2].1["reason"],
        "that voicemail was for another incident"
    );
    assert_eq!(
        log[3].1["text"],
        "Called the recipient back.\nThey confirmed deletion."
    );
    let status = env.breach(["status", "--json"]).ok().json();
    assert_eq!(status["voided"][0]["entry"], 1);
    env.breach(["verify"]).ok();
}

#[test]
fn without_a_terminal_walk_exits_at_once_naming_the_scriptable_commands() {
    let env = Env::new();
    env.start("misdirected-email");
    let out = env.breach(["walk"]).fails(1);
    let line = out.error_line();
    for command in [
        "breach next",
        "breach done",
        "breach skip",
        "breach na",
        "breach note",
    ] {
        assert!(line.contains(command), "{line}");
    }
    let forced = spawn_command(env.command(["--non-interactive", "walk"]), Some(10_000));
    let mut forced = forced.unwrap();
    forced.exp_string("needs a terminal").unwrap();
    forced.exp_eof().unwrap();
}

#[test]
fn start_given_everything_never_prompts_even_in_a_terminal() {
    let env = Env::new();
    env.breach(["config", "set", "time_zone", "America/Chicago"])
        .ok();
    let mut p = spawn_command(
        env.command([
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01",
            "--title",
            "t",
        ]),
        Some(10_000),
    )
    .unwrap();
    p.exp_string("Opened incident").unwrap();
    let rest = p.exp_eof().unwrap();
    assert!(!rest.contains("Begin the guided walk"), "{rest}");
}

#[test]
fn start_in_a_terminal_asks_for_what_is_missing_then_offers_the_walk() {
    let env = Env::new();
    let mut p = spawn_command(env.command(["start"]), Some(10_000)).unwrap();
    // The first start in a store settles the organisation's zone: Enter takes the machine's.
    answer(&mut p, "The organisation's time zone", "");
    answer(&mut p, "Which runbook fits this breach?", "");
    answer(&mut p, "When was the breach discovered?", "2026-02-30");
    answer(
        &mut p,
        "When was the breach discovered?",
        "2026-03-01 08:15",
    );
    answer(
        &mut p,
        "A short title for the incident",
        "Lab results to wrong address",
    );
    p.exp_string("Opened incident").unwrap();
    answer(&mut p, "Begin the guided walk now?", "n");
    p.exp_string("breach walk").unwrap();
    p.exp_eof().unwrap();
    let list = env.breach(["--json", "list"]).ok().json();
    assert_eq!(
        list["incidents"][0]["title"],
        "Lab results to wrong address"
    );
}

#[test]
fn in_a_terminal_text_that_looks_like_an_identifier_is_confirmed_first() {
    let env = Env::new();
    let id = env.start("misdirected-email");
    let note = |answer: &str| {
        let mut p = spawn_command(
            env.command(["note", "Patient SSN is 078-05-1120"]),
            Some(10_000),
        )
        .unwrap();
        p.exp_string("the note looks like it contains a Social Security number")
            .unwrap();
        p.exp_string("Record it as it is anyway").unwrap();
        p.send(answer).unwrap();
        p.send(ENTER).unwrap();
        p.flush().unwrap();
        p.exp_eof().unwrap()
    };
    note("n");
    let log = std::fs::read_to_string(env.log_path(&id)).unwrap();
    assert!(!log.contains("078-05-1120"), "declined: nothing written");
    note("y");
    let log = std::fs::read_to_string(env.log_path(&id)).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["allowed"], "identifiers: a Social Security number");
}

#[test]
fn the_first_start_in_a_terminal_asks_for_the_organisations_zone_and_keeps_it() {
    let mut env = Env::utc();
    env.set_now("2026-03-02T12:00:00Z");
    let mut p = spawn_command(
        env.command([
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01 14:30",
            "--title",
            "Fax to the wrong clinic",
        ]),
        Some(10_000),
    )
    .unwrap();
    // The machine's zone is offered; a name that is no zone is refused and asked again.
    p.exp_string("The organisation's time zone").unwrap();
    answer(&mut p, "Enter for this machine's, UTC", "Nowhere/City");
    p.exp_string("is not an IANA time zone name").unwrap();
    answer(&mut p, "The organisation's time zone", "America/Chicago");
    p.exp_string("Recorded time_zone America/Chicago").unwrap();
    p.exp_string("Opened incident").unwrap();
    p.exp_eof().unwrap();
    let profile = env.breach(["--json", "config", "show"]).ok().json();
    assert_eq!(
        profile["profile"]["time_zone"], "America/Chicago",
        "{profile}"
    );
    // 14:30 in Chicago (CST, -06:00), not 14:30 on the UTC host.
    let status = env.breach(["--json", "status"]).ok().json();
    assert_eq!(
        status["discovered"]["at"], "2026-03-01T20:30:00Z",
        "{status}"
    );
    assert_eq!(status["discovered"]["offset"], "-06:00");
    // A second start asks nothing: the store has its zone.
    let mut again = spawn_command(
        env.command([
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01",
            "--title",
            "A second one",
        ]),
        Some(10_000),
    )
    .unwrap();
    let rest = again.exp_eof().unwrap();
    assert!(!rest.contains("time zone"), "{rest}");
}

#[test]
fn without_a_terminal_the_first_start_says_which_zone_it_used_and_how_to_set_one() {
    let env = Env::utc();
    let first = env
        .breach([
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01 14:30",
            "--title",
            "t",
        ])
        .ok();
    assert!(
        first.stderr.contains("times are read in UTC")
            && first.stderr.contains("breach config set time_zone"),
        "{}",
        first.stderr
    );
    assert_eq!(
        first.stderr.lines().filter(|l| l.contains("note:")).count(),
        1,
        "{}",
        first.stderr
    );
    let second = env
        .breach([
            "start",
            "--runbook",
            "misdirected-email",
            "--discovered",
            "2026-03-01",
            "--title",
            "t2",
        ])
        .ok();
    assert!(!second.stderr.contains("time zone"), "{}", second.stderr);
}
