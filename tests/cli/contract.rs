//! The README's command table is the JSON contract scripts rely on. This reads the table and
//! checks that every key it documents for a command is in what that command prints with
//! `--json` (keys marked `?` may be absent; nested objects and arrays are checked too).

use serde_json::Value;

use crate::Env;

/// A documented JSON shape: `{"a", "b"?, "c": {...}, "d": [{...}]}`.
#[derive(Debug)]
enum Shape {
    Object(Vec<(String, bool, Option<Shape>)>),
    Array(Box<Shape>),
    /// `{...}`: an object whose keys the table does not list.
    Any,
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn shape(&mut self) -> Shape {
        if self.eat(b'[') {
            let inner = self.shape();
            assert!(self.eat(b']'), "unclosed [ at {}", self.at);
            return Shape::Array(Box::new(inner));
        }
        assert!(self.eat(b'{'), "expected {{ at {}", self.at);
        if self.s[self.at..].starts_with(b"...}") {
            self.at += 4;
            return Shape::Any;
        }
        let mut keys = Vec::new();
        loop {
            self.skip_ws();
            if self.eat(b'}') {
                break;
            }
            if self.s[self.at..].starts_with(b"...") {
                self.at += 3;
                continue;
            }
            assert!(self.eat(b'"'), "expected a key at {}", self.at);
            let start = self.at;
            while self.s[self.at] != b'"' {
                self.at += 1;
            }
            let key = String::from_utf8(self.s[start..self.at].to_vec()).unwrap();
            self.at += 1;
            let optional = self.eat(b'?');
            let nested = if self.eat(b':') {
                Some(self.shape())
            } else {
                None
            };
            keys.push((key, optional, nested));
            self.eat(b',');
        }
        Shape::Object(keys)
    }
}

/// Every `(command cell, first JSON shape)` of the README's command table.
fn documented() -> Vec<(String, Shape)> {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let mut rows = Vec::new();
    for line in readme.lines() {
        let Some(rest) = line.strip_prefix("| `") else {
            continue;
        };
        let cells: Vec<&str> = line.split(" | ").collect();
        let Some(json) = cells.last().map(|c| c.trim_end_matches(" |").trim()) else {
            continue;
        };
        let Some(start) = json.find("`{") else {
            continue;
        };
        let body = &json[start + 1..];
        let end = body.find('`').unwrap();
        let mut p = Parser {
            s: &body.as_bytes()[..end],
            at: 0,
        };
        let command = rest.split('`').next().unwrap().to_owned();
        rows.push((command, p.shape()));
    }
    rows
}

/// Checks `value` against `shape`, collecting what is missing as JSON paths.
fn check(shape: &Shape, value: &Value, path: &str, missing: &mut Vec<String>) {
    match shape {
        Shape::Any => assert!(value.is_object(), "{path} is an object"),
        Shape::Array(inner) => {
            let items = value
                .as_array()
                .unwrap_or_else(|| panic!("{path} is an array: {value}"));
            for (i, item) in items.iter().enumerate() {
                check(inner, item, &format!("{path}[{i}]"), missing);
            }
        }
        Shape::Object(keys) => {
            for (key, optional, nested) in keys {
                match value.get(key) {
                    None if *optional => {}
                    None => missing.push(format!("{path}.{key}")),
                    Some(v) => {
                        if let Some(n) = nested {
                            check(n, v, &format!("{path}.{key}"), missing);
                        }
                    }
                }
            }
        }
    }
}

/// The arguments that exercise a documented command in the store `env` prepared.
fn invocation(env: &Env, command: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let args: Vec<&str> = match words.as_slice() {
        ["start", ..] => vec![
            "start",
            "--runbook",
            "minimal",
            "--discovered",
            "2026-03-02",
            "--title",
            "Contract check",
        ],
        ["list", ..] => vec!["list"],
        ["deadlines", "--all", ..] => vec!["deadlines", "--all"],
        ["annual", ..] => vec!["annual", "2026"],
        ["status"] => vec!["status"],
        ["next", ..] => vec!["next"],
        ["deadlines"] => vec!["deadlines"],
        ["done", ..] => vec![
            "done",
            "identify",
            "--set",
            "message_id=<m@example.org>",
            "--set",
            "recipients=1",
            "--set",
            "kind=external",
        ],
        ["skip", ..] => vec!["skip", "recall", "--reason", "not possible"],
        ["reopen", ..] => vec!["reopen", "recall", "--reason", "possible after all"],
        ["note", ..] => vec!["note", "called the recipient"],
        ["attach", ..] => {
            env.write("trace.csv", "time,action\n");
            vec!["attach", "trace.csv"]
        }
        ["facts", ..] => vec!["facts", "--affected", "12", "--state", "TX=12"],
        ["assess", ..] => vec![
            "assess",
            "--secured",
            "no",
            "--exception",
            "none",
            "--determination",
            "notification-required",
            "--signed-by",
            "Dana Whit",
            "--role",
            "Privacy Officer",
        ],
        ["notify", ..] => vec![
            "notify",
            "--to",
            "individuals",
            "--date",
            "2026-03-05",
            "--method",
            "first-class-mail",
            "--count",
            "12",
        ],
        ["letter", ..] => vec!["letter", "individual"],
        ["config", ..] => vec!["config", "show"],
        ["verify", ..] => vec!["verify"],
        ["push", ..] => vec!["push", "--to", "copy-of-the-store"],
        ["repair", ..] => {
            let listed = env.breach(["--json", "list"]).ok().json();
            let log = env.log_path(listed["incidents"][0]["id"].as_str().unwrap());
            let mut f = std::fs::OpenOptions::new().append(true).open(log).unwrap();
            std::io::Write::write_all(&mut f, b"{\"seq\":").unwrap();
            vec!["repair"]
        }
        ["close", ..] => vec!["close", "--force", "--reason", "contract check done"],
        ["assign", ..] => vec!["assign", "recall", "--to", "sam.okafor"],
        ["remind", ..] => vec!["remind", "--within", "60d"],
        ["runbook", "list"] => vec!["runbook", "list"],
        ["runbook", "validate", ..] => {
            env.write("check.yaml", include_str!("../fixtures/minimal.yaml"));
            vec!["runbook", "validate", "check.yaml"]
        }
        _ => return None,
    };
    Some(args.iter().map(|a| (*a).to_owned()).collect())
}

#[test]
fn every_json_key_the_readme_documents_is_printed() {
    let rows = documented();
    assert!(
        rows.len() >= 15,
        "the README's command table documents the JSON of every command: {} rows",
        rows.len()
    );
    let env = Env::new();
    env.write("org/minimal.yaml", include_str!("../fixtures/minimal.yaml"));
    let mut checked = Vec::new();
    // In the table's order, which is also an order in which each command can run.
    let order = [
        "start",
        "list",
        "status",
        "next",
        "done",
        "skip",
        "reopen",
        "assign",
        "note",
        "attach",
        "facts",
        "assess",
        "notify",
        "deadlines",
        "deadlines --all",
        "remind",
        "annual",
        "letter",
        "config",
        "verify",
        "push",
        "repair",
        "runbook list",
        "runbook validate",
        "close",
    ];
    for want in order {
        let row = rows
            .iter()
            .find(|(c, _)| c == want)
            .or_else(|| rows.iter().find(|(c, _)| c.starts_with(want)));
        let Some((command, shape)) = row else {
            panic!("the README documents `{want}`");
        };
        let args =
            invocation(&env, command).unwrap_or_else(|| panic!("no invocation for {command}"));
        let mut full = vec![
            "--json".to_owned(),
            "--runbooks".to_owned(),
            "org".to_owned(),
        ];
        full.extend(args);
        let out = env.breach(&full).run();
        assert!(
            // `letter` and `remind` say with exit 1 that something is missing or overdue.
            out.code == 0 || (matches!(want, "letter" | "remind") && out.code == 1),
            "{command}: exit {}\n{}",
            out.code,
            out.stderr
        );
        let mut missing = Vec::new();
        check(shape, &out.json(), "", &mut missing);
        assert!(
            missing.is_empty(),
            "`{command}` does not print what the README documents: {missing:?}\n{}",
            out.stdout
        );
        checked.push(want);
    }
    assert_eq!(checked.len(), order.len());
}

/// The shell lines of the README's code block after `heading`, continuation lines joined and
/// comments dropped.
fn readme_commands(heading: &str) -> Vec<String> {
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find(heading).expect("the README has the section")..];
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block");
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        // A comment after a command starts at "  #" outside quotes; the README writes none
        // inside quotes.
        let line = line.split("   #").next().unwrap().trim_end();
        if let Some(start) = line.strip_suffix('\\') {
            current.push_str(start);
            continue;
        }
        current.push_str(line);
        commands.push(std::mem::take(&mut current));
    }
    commands
}

#[test]
fn the_readme_walkthrough_runs_top_to_bottom_in_a_fresh_store() {
    let env = Env::new();
    let binary = assert_cmd::cargo::cargo_bin!("breach");
    let bin_dir = binary.parent().unwrap();
    // The user's own file the walkthrough attaches.
    env.write(
        "message-trace.csv",
        "time,from,to\n2026-11-20 15:48,clinic,someone\n",
    );
    let mut lines = readme_commands("## Two commands");
    lines.truncate(1);
    lines.extend(readme_commands("## A first incident"));
    assert!(lines.len() > 15, "{lines:?}");
    let mut ran = 0;
    for line in &lines {
        // The first command builds and runs through cargo; here the binary is already built.
        let line = line.replace("cargo run --release -- ", "breach ");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&line)
            .current_dir(env.path())
            .env_clear()
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin_dir.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("HOME", env.path())
            .env("BREACH_STORE", env.store())
            .env("BREACH_NOW", "2026-12-01T15:00:00Z")
            .env("BREACH_ACTOR", "dana.whit")
            .env("TZ", "UTC")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if line == "breach close" {
            // The README says close waits while the annual report is owed.
            assert_eq!(out.status.code(), Some(1), "{line}: {stderr}");
            assert!(stderr.contains("hhs_annual_report"), "{line}: {stderr}");
        } else {
            assert!(out.status.success(), "README step failed: {line}\n{stderr}");
        }
        ran += 1;
    }
    assert_eq!(ran, lines.len());
    assert!(env.path().join("incident.html").exists() && env.path().join("letter.md").exists());
}
