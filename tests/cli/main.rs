//! The one integration-test binary: every test drives the real `breach` binary in a temporary
//! store through the small builder below, with a fixed clock, time zone and actor.

mod architecture;
mod assign;
mod attacks;
mod clock;
mod compat;
mod conformance;
mod contract;
mod evidence;
mod export;
mod finish;
mod hostile;
mod integrity;
mod library;
mod lifecycle;
mod messages;
mod notices;
mod onetruth;
mod pg;
mod planted;
mod runbooks;
mod shared_store;
mod shell;
mod signatures;
mod statelaw;
mod store_wide;
mod team_files;
mod timestamps;
mod voids;
mod walk;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// The evidence `done identify-message` asks for in the bundled misdirected-email runbook.
pub const IDENTIFY_MESSAGE_EVIDENCE: [&str; 12] = [
    "--set",
    "message_id=<m@example.org>",
    "--set",
    "sent_at=2026-03-01 09:00",
    "--set",
    "sender=a@example.org",
    "--set",
    "wrong_recipients=b@example.net",
    "--set",
    "recipient_type=external",
    "--set",
    "phi_types=lab results",
];

/// The flags of an assessment whose determination requires notification, signed off: for
/// scenarios about what comes after the assessment.
pub const ASSESS_NOTIFICATION_REQUIRED: [&str; 27] = [
    "assess",
    "--secured",
    "no",
    "--exception",
    "none",
    "--nature",
    "medium",
    "--nature-why",
    "name and lab result",
    "--recipient",
    "high",
    "--recipient-why",
    "a member of the public",
    "--acquired",
    "medium",
    "--acquired-why",
    "opened, not forwarded",
    "--mitigation",
    "low",
    "--mitigation-why",
    "deletion confirmed",
    "--determination",
    "notification-required",
    "--signed-by",
    "Dana Whit",
    "--role",
    "Privacy Officer",
];

/// The fixed "now" of every test unless one sets its own.
pub const NOW: &str = "2026-03-10T15:00:00Z";

/// The time zone the binary runs in: `BREACH_TEST_TZ`, or UTC. CI runs the whole suite in
/// zones far from UTC too (`Pacific/Kiritimati`, +14; `America/Los_Angeles`, -8/-7), so a
/// date taken in the wrong zone shows up as a failure.
pub fn test_zone() -> String {
    std::env::var("BREACH_TEST_TZ").unwrap_or_else(|_| "UTC".to_owned())
}

/// "Today" at [`NOW`] in the test zone, worked out by hand: 2026-03-10T15:00Z is 08:00 on
/// 10 March in Los Angeles (PDT, -07:00) and 05:00 on 11 March on Kiritimati (+14:00).
pub fn today() -> &'static str {
    match test_zone().as_str() {
        "UTC" | "America/Los_Angeles" => "2026-03-10",
        "Pacific/Kiritimati" => "2026-03-11",
        other => panic!("no hand-worked date for BREACH_TEST_TZ={other}; add it here"),
    }
}

/// The UTC offset of the test zone in early March 2026 (before any change of daylight time
/// around the test dates: Los Angeles moved to PDT on 8 March).
pub fn offset_early_march() -> &'static str {
    match test_zone().as_str() {
        "UTC" => "+00:00",
        "America/Los_Angeles" => "-08:00",
        "Pacific/Kiritimati" => "+14:00",
        other => panic!("no hand-worked offset for BREACH_TEST_TZ={other}; add it here"),
    }
}

/// Days from [`today`] to `date` (negative when `date` is earlier).
pub fn days_until(date: &str) -> i64 {
    days_between(today(), date)
}

/// Days from `from` to `to`, both `YYYY-MM-DD`.
pub fn days_between(from: &str, to: &str) -> i64 {
    let parse = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    (parse(to) - parse(from)).num_days()
}

/// A temporary home for one test: a store, a scratch directory, a fixed clock.
#[derive(Debug)]
pub struct Env {
    dir: TempDir,
    now: String,
    /// The zone this env runs in, when a test pins one (format snapshots are laid out in UTC).
    zone: Option<String>,
    /// The database of a PostgreSQL store, when the env's store is one.
    pub database: Option<String>,
}

impl Default for Env {
    fn default() -> Self {
        Env::new()
    }
}

/// The backends a scenario runs on: the directory store, and PostgreSQL when it is installed.
pub fn backends() -> Vec<Env> {
    let mut envs = vec![Env::new()];
    envs.extend(Env::postgres());
    envs
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
            now: NOW.to_owned(),
            zone: None,
            database: None,
        }
    }

    /// An env whose store is a fresh database in the test cluster, set up with `breach store
    /// init`; `None` when PostgreSQL is not installed (and not required).
    pub fn postgres() -> Option<Env> {
        let cluster = pg::cluster()?;
        let env = Env {
            database: Some(cluster.create_database()),
            ..Env::new()
        };
        env.breach(["store", "init"]).ok();
        Some(env)
    }

    /// Which backend this env's store is on, for failure messages.
    pub fn backend(&self) -> &'static str {
        if self.database.is_some() {
            "postgresql"
        } else {
            "directory"
        }
    }

    /// What `--store` / `BREACH_STORE` names: the directory, or the database's connection
    /// string.
    pub fn store_arg(&self) -> std::ffi::OsString {
        match &self.database {
            Some(db) => pg::cluster()
                .expect("a PostgreSQL env has a cluster")
                .url("postgres", db)
                .into(),
            None => self.store().into(),
        }
    }

    /// An env pinned to UTC whatever `BREACH_TEST_TZ` says: for snapshots of a layout, where
    /// the zone is not what is under test.
    pub fn utc() -> Env {
        Env {
            zone: Some("UTC".to_owned()),
            ..Env::new()
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    pub fn set_now(&mut self, now: &str) {
        self.now = now.to_owned();
    }

    /// A `breach` invocation with this env's store, clock, zone and actor.
    pub fn breach<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = self.command(args);
        cmd.stdin(Stdio::null());
        Run { cmd, input: None }
    }

    /// The bare command behind [`Env::breach`], for tests that need their own stdin (a pty).
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("breach"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("BREACH_STORE", self.store_arg())
            .env("BREACH_NOW", &self.now)
            .env("BREACH_ACTOR", "ana.lima")
            .env("TZ", self.zone.clone().unwrap_or_else(test_zone))
            .env("COLUMNS", "80")
            .env("NO_COLOR", "1")
            .env("PAGER", "cat");
        cmd
    }

    /// Starts an incident from `runbook` discovered on 2026-03-01; returns its id.
    pub fn start(&self, runbook: &str) -> String {
        let out = self
            .breach([
                "--json",
                "start",
                "--runbook",
                runbook,
                "--discovered",
                "2026-03-01 09:30",
                "--title",
                "Test incident",
            ])
            .ok();
        out.json()["id"].as_str().expect("id").to_owned()
    }

    /// Starts an incident on the minimal fixture runbook (kept in `org/`); returns its id.
    /// Later commands need no `--runbooks`: the runbook is pinned into the log.
    pub fn start_minimal(&self, title: &str) -> String {
        self.start_minimal_discovered(title, "2026-03-01 09:30")
    }

    /// Starts an incident on the minimal fixture runbook discovered at `discovered` (as
    /// `start --discovered` takes it); returns its id.
    pub fn start_minimal_discovered(&self, title: &str, discovered: &str) -> String {
        self.write("org/minimal.yaml", include_str!("../fixtures/minimal.yaml"));
        let out = self
            .breach([
                "--json",
                "--runbooks",
                "org",
                "start",
                "--runbook",
                "minimal",
                "--discovered",
                discovered,
                "--title",
                title,
            ])
            .ok();
        out.json()["id"].as_str().expect("id").to_owned()
    }

    pub fn log_path(&self, id: &str) -> PathBuf {
        assert!(
            self.database.is_none(),
            "a PostgreSQL store has no log file"
        );
        self.store().join("incidents").join(id).join("log.jsonl")
    }

    /// The incident's log exactly as the store holds it: the file's bytes, or the database's
    /// lines in order.
    pub fn log_bytes(&self, id: &str) -> Vec<u8> {
        match &self.database {
            None => std::fs::read(self.log_path(id)).expect("read the log"),
            Some(db) => pg::cluster()
                .expect("cluster")
                .admin(db)
                .query_one(
                    "SELECT coalesce(string_agg(line, ''::bytea ORDER BY seq), ''::bytea) FROM breach.entries WHERE incident = $1",
                    &[&id],
                )
                .expect("read the log")
                .get(0),
        }
    }

    /// [`Env::log_bytes`] as text.
    pub fn log_text(&self, id: &str) -> String {
        String::from_utf8(self.log_bytes(id)).expect("a log is UTF-8")
    }

    /// Writes a file in the scratch directory and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }
}

#[derive(Debug)]
pub struct Run {
    cmd: Command,
    /// What is written into the command's standard input through a pipe, if anything.
    input: Option<Vec<u8>>,
}

impl Run {
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Run {
        self.cmd.env(key, value);
        self
    }

    /// Feeds `bytes` to the command through a pipe, as `echo … | breach …` does.
    pub fn input(mut self, bytes: &[u8]) -> Run {
        self.input = Some(bytes.to_vec());
        self
    }

    pub fn run(mut self) -> Out {
        let output = match self.input.take() {
            None => self.cmd.output().expect("run breach"),
            Some(bytes) => {
                use std::io::Write;
                self.cmd.stdin(Stdio::piped());
                let mut child = self
                    .cmd
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("run breach");
                // A command that stops reading early closes the pipe: not the test's failure.
                let _ = child.stdin.take().unwrap().write_all(&bytes);
                child.wait_with_output().expect("run breach")
            }
        };
        Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs and asserts success.
    #[track_caller]
    pub fn ok(self) -> Out {
        let out = self.run();
        assert_eq!(
            out.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            out.stdout, out.stderr
        );
        out
    }

    /// Runs and asserts the exit code; the error must be one line on stderr.
    #[track_caller]
    pub fn fails(self, code: i32) -> Out {
        let out = self.run();
        assert_eq!(
            out.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            out.stdout, out.stderr
        );
        out
    }
}

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }

    /// The error line, asserting there is exactly one line on stderr.
    #[track_caller]
    pub fn error_line(&self) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected a one-line error, got:\n{}",
            self.stderr
        );
        lines[0]
    }
}
