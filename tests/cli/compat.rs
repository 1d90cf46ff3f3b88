//! A log written by an earlier version of breach (format `breach-log/1`, every kind of entry,
//! an attachment, a repaired torn tail), committed under `tests/fixtures/compat/` with its JSON
//! export. It must verify, replay and export identically from now on. New keys may be added;
//! what the clock derives (due dates, holds, assumptions) may change only when a reading of the
//! regulation is corrected, and then `export.json` changes in the commit that says so. Also: what the first
//! entry pins is checked, not trusted, even when an attacker rebuilds the whole chain.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::Env;

const ID: &str = "20260310-3amv";
const HEAD: &str = "14:76da734893a2801e3a09bc2a6f6dd4de8ee278a2335d9b538219e7fad462568e";

fn fixture() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/compat"
    ))
}

/// Copies a directory tree, private as breach makes it (0700 directories, 0600 files).
fn copy_private(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_private(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
}

/// An env (in UTC, at the fixture's "now") holding the fixture store.
pub(crate) fn env_with_fixture() -> Env {
    let env = Env::utc();
    copy_private(&fixture().join("store"), &env.store());
    env
}

/// The export without the line naming the tool's version, which a release changes.
fn without_tool(export: &str) -> String {
    export
        .lines()
        .filter(|l| !l.trim_start().starts_with("\"tool\":"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_log_from_an_earlier_version_verifies_replays_and_exports_identically() {
    let env = env_with_fixture();
    let verified = env
        .breach(["--json", "verify", "--expect-head", HEAD])
        .ok()
        .json();
    assert_eq!(verified["ok"], true);
    assert_eq!(verified["entries"], 15);
    let log = std::fs::read_to_string(env.log_path(ID)).unwrap();
    let kinds: std::collections::BTreeSet<String> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        kinds.len(),
        12,
        "the fixture holds every kind of entry: {kinds:?}"
    );
    let status = env.breach(["--json", "status"]).ok().json();
    assert_eq!(status["state"], "closed");
    assert_eq!(status["id"], ID);
    let export = env.breach(["export", "--format", "json"]).ok().stdout;
    // A deliberate change of what the export says is written back with BREACH_BLESS=1, and
    // shows in the commit's diff of the fixture.
    if std::env::var_os("BREACH_BLESS").is_some() {
        std::fs::write(fixture().join("export.json"), &export).unwrap();
    }
    let expected = std::fs::read_to_string(fixture().join("export.json")).unwrap();
    let (got, want) = (without_tool(&export), without_tool(&expected));
    if let Some((n, (g, w))) = got
        .lines()
        .zip(want.lines())
        .enumerate()
        .find(|(_, (g, w))| g != w)
    {
        panic!(
            "the JSON export of the fixture changed at line {}:\n  was: {w}\n  now: {g}",
            n + 1
        );
    }
    assert_eq!(
        got.lines().count(),
        want.lines().count(),
        "the JSON export of the fixture changed in length"
    );
    // The attachment an earlier version stored (under a 48-bit prefix) is still where its entry
    // says, with the content its entry records.
    let doc: serde_json::Value = serde_json::from_str(&export).unwrap();
    let attachment = &doc["attachments"][0];
    let stored = env
        .store()
        .join("incidents")
        .join(ID)
        .join(attachment["stored"].as_str().unwrap());
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(std::fs::read(stored).unwrap())),
        attachment["sha256"].as_str().unwrap()
    );
}

/// Rewrites a log's lines as an attacker with write access would: every `prev` and `hash`
/// recomputed so the chain verifies link by link.
pub fn rechain(lines: &[String]) -> String {
    use sha2::Digest;
    let mut out = String::new();
    let mut prev = "0".repeat(64);
    for line in lines {
        let at = line.find(",\"prev\":\"").unwrap() + ",\"prev\":\"".len();
        let mut body = format!("{}{}{}", &line[..at], prev, &line[at + 64..]);
        let cut = body.rfind(",\"hash\":\"").unwrap();
        body.truncate(cut);
        let hash = hex::encode(sha2::Sha256::digest(body.as_bytes()));
        out.push_str(&format!("{body},\"hash\":\"{hash}\"}}\n"));
        prev = hash;
    }
    out
}

/// Replaces the first `from` in each of a log's lines with `to` and rebuilds the chain, as an
/// attacker with write access would; `what` says why the log must hold `from`.
pub fn forge_log(path: &std::path::Path, from: &str, to: &str, what: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<String> = text.lines().map(|l| l.replacen(from, to, 1)).collect();
    assert_ne!(lines.join("\n") + "\n", text, "{what}");
    std::fs::write(path, rechain(&lines)).unwrap();
}

/// The fixture's first entry changed by `change`, with the chain rebuilt after it.
fn with_first_entry_changed(env: &Env, change: impl Fn(&mut serde_json::Value)) {
    let path = env.log_path(ID);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Re-encode the first line's data in place: the fields before `data` keep their order.
    let first = &lines[0];
    let data_at = first.find(",\"data\":").unwrap() + ",\"data\":".len();
    let hash_at = first.rfind(",\"hash\":\"").unwrap();
    let mut data: serde_json::Value = serde_json::from_str(&first[data_at..hash_at]).unwrap();
    change(&mut data);
    lines[0] = format!(
        "{}{}{}",
        &first[..data_at],
        serde_json::to_string(&data).unwrap(),
        &first[hash_at..]
    );
    std::fs::write(&path, rechain(&lines)).unwrap();
}

#[test]
fn a_rebuilt_chain_verifies_link_by_link_so_the_rechain_helper_is_faithful() {
    let env = env_with_fixture();
    with_first_entry_changed(&env, |_| {});
    env.breach(["verify"]).ok();
}

#[test]
fn an_unknown_format_or_hash_algorithm_in_the_first_entry_is_refused() {
    for (field, value, message) in [
        ("format", "breach-log/9", "format `breach-log/9`"),
        ("hash_algorithm", "sha3-256", "hash algorithm `sha3-256`"),
    ] {
        let env = env_with_fixture();
        with_first_entry_changed(&env, |d| d[field] = value.into());
        let out = env.breach(["status"]).fails(1);
        assert!(
            out.error_line().contains(message),
            "{field}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_pinned_runbook_edited_with_the_chain_rebuilt_is_refused() {
    let env = env_with_fixture();
    with_first_entry_changed(&env, |d| {
        let text = d["runbook"]["text"].as_str().unwrap().replace(
            "        title: Tell the privacy officer\n",
            "        title: Tell the privacy officer\n        required: false\n",
        );
        d["runbook"]["text"] = text.into();
    });
    for args in [vec!["status"], vec!["export", "--format", "json"]] {
        let out = env.breach(&args).fails(1);
        assert!(
            out.error_line().contains("the pinned text was altered"),
            "{args:?}: {}",
            out.stderr
        );
    }
}
