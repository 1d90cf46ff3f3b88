//! Signed entries, checked as an auditor would: keys made by `ssh-keygen` in the test, one used
//! from a file and one through a real `ssh-agent`, the signatures checked by `breach verify` and
//! by `ssh-keygen -Y verify` alone, and the record rewritten by someone without the keys.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Env;

/// Makes an unencrypted OpenSSH key of `kind` in the env's directory; returns its path.
fn keygen(env: &Env, name: &str, kind: &str) -> PathBuf {
    let path = env.path().join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", name, "-f"])
        .arg(&path)
        .status()
        .expect("ssh-keygen is installed (openssh-client)");
    assert!(status.success());
    path
}

/// The `keytype base64` of a key's public half.
fn public_of(key: &Path) -> String {
    let text = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// An incident whose entries ana.lima signs with her key; the allowed signers file names her,
/// and dana.whit with a key of her own that is valid only until 2026-03-05.
fn signed_incident() -> (Env, PathBuf, PathBuf, PathBuf) {
    let env = Env::new();
    let ana = keygen(&env, "ana", "ed25519");
    let dana = keygen(&env, "dana", "ecdsa");
    let allowed = env.write(
        "allowed_signers",
        &format!(
            "# the responders\nana.lima namespaces=\"git,breach\" {}\ndana.whit valid-before=\"20260305Z\" {}\n",
            public_of(&ana),
            public_of(&dana)
        ),
    );
    env.breach([
        "config",
        "set",
        "allowed_signers",
        allowed.to_str().unwrap(),
    ])
    .ok();
    env.start_minimal("Signed");
    env.breach(["note", "The recipient confirmed deletion"])
        .env("BREACH_SIGNING_KEY", &ana)
        .ok();
    env.breach(["note", "Called the privacy officer"])
        .env("BREACH_SIGNING_KEY", &ana)
        .ok();
    (env, ana, dana, allowed)
}

fn ssh_keygen_verify(allowed: &Path, principal: &str, sig: &Path, msg: &Path) -> (bool, String) {
    let out = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(allowed)
        .args(["-I", principal, "-n", "breach", "-s"])
        .arg(sig)
        .stdin(std::fs::File::open(msg).unwrap())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn signed_entries_verify_in_breach_and_in_ssh_keygen_alone() {
    let (env, _, _, allowed) = signed_incident();
    let verified = env.breach(["--json", "verify"]).ok().json();
    let sigs = &verified["signatures"];
    assert_eq!(sigs["signed"], 2, "{verified}");
    assert_eq!(sigs["unsigned"], 1, "the start was not signed: {verified}");
    assert_eq!(sigs["bad"], 0);
    assert_eq!(sigs["signers"][0]["principal"], "ana.lima");
    assert_eq!(sigs["signers"][0]["entries"], 2);
    assert!(
        sigs["signers"][0]["key"]
            .as_str()
            .unwrap()
            .starts_with("SHA256:")
    );
    // Unsigned entries fail only when signatures are required.
    let required = env.breach(["verify", "--require-signatures"]).fails(1);
    assert!(
        required.stdout.contains("entry 0 is not signed"),
        "{}",
        required.stdout
    );

    let dir = env.path().join("sigs");
    env.breach(["verify", "--export-signatures", dir.to_str().unwrap()])
        .ok();
    for seq in [1, 2] {
        let (ok, said) = ssh_keygen_verify(
            &allowed,
            "ana.lima",
            &dir.join(format!("{seq}.sig")),
            &dir.join(format!("{seq}.msg")),
        );
        assert!(
            ok && said.contains("Good \"breach\" signature for ana.lima"),
            "{seq}: {said}"
        );
        // The same signature does not pass for another principal.
        let (ok, _) = ssh_keygen_verify(
            &allowed,
            "dana.whit",
            &dir.join(format!("{seq}.sig")),
            &dir.join(format!("{seq}.msg")),
        );
        assert!(!ok);
    }
    assert!(
        !dir.join("0.sig").exists(),
        "an unsigned entry has no signature"
    );
}

#[test]
fn an_administrator_who_rewords_an_entry_and_rebuilds_the_chain_is_caught() {
    let (env, _, _, _) = signed_incident();
    let id = env.breach(["--json", "status"]).ok().json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let text = env.log_text(&id);
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.replace("confirmed deletion", "never answered"))
        .collect();
    std::fs::write(env.log_path(&id), crate::compat::rechain(&lines)).unwrap();
    let out = env.breach(["--json", "verify"]).fails(1);
    let verdict = out.json();
    let error = verdict["error"].as_str().unwrap();
    assert!(
        error.starts_with("entry 1:") && error.contains("changed after it was signed"),
        "{verdict}"
    );
    // Every signature after it fails too: each covers its entry's link to the one before.
    assert_eq!(verdict["signatures"]["bad"], 2);
    // Stripping the signature instead leaves an unsigned entry, which required signatures catch.
    let stripped: Vec<String> = text
        .lines()
        .map(|l| match l.find(",\"sig\":\"") {
            Some(at) => format!("{}{}", &l[..at], &l[l.rfind(",\"hash\":\"").unwrap()..]),
            None => l.to_owned(),
        })
        .collect();
    std::fs::write(env.log_path(&id), crate::compat::rechain(&stripped)).unwrap();
    env.breach(["verify"]).ok();
    env.breach(["verify", "--require-signatures"]).fails(1);
}

#[test]
fn a_key_used_for_another_actor_or_outside_its_validity_fails_verify() {
    let (env, ana, _, _) = signed_incident();
    // Ana's key, used under another name.
    env.breach(["note", "Recorded as someone else"])
        .env("BREACH_SIGNING_KEY", &ana)
        .env("BREACH_ACTOR", "mallory")
        .ok();
    let out = env.breach(["--json", "verify"]).fails(1).json();
    assert!(
        out["error"].as_str().unwrap().contains("entry 3:")
            && out["error"]
                .as_str()
                .unwrap()
                .contains("not to the entry's actor mallory"),
        "{out}"
    );

    // Dana's key expired on 5 March: an entry recorded on 10 March fails.
    let (env, _, dana, _) = signed_incident();
    env.breach(["note", "Dana's late note"])
        .env("BREACH_SIGNING_KEY", &dana)
        .env("BREACH_ACTOR", "dana.whit")
        .ok();
    let out = env.breach(["--json", "verify"]).fails(1).json();
    assert!(
        out["error"]
            .as_str()
            .unwrap()
            .contains("no longer valid at 2026-03-10T15:00:00.000Z"),
        "{out}"
    );
}

#[test]
fn a_public_key_signs_through_ssh_agent_as_with_git() {
    let (env, _, dana, allowed) = signed_incident();
    // A fresh allowed signers file, dana's key valid now.
    std::fs::write(&allowed, format!("dana.whit {}\n", public_of(&dana))).unwrap();
    let socket = env.path().join("agent.sock");
    let agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent is installed (openssh-client)");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _agent = Kill(agent);
    // The agent makes its socket as it starts: wait for the state, never for a time.
    for _ in 0..3000 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let pub_key = dana.with_extension("pub");
    // Without the key in the agent, nothing is recorded.
    let before = env.breach(["--json", "status"]).ok().json()["head"].clone();
    let refused = env
        .breach(["note", "Not yet"])
        .env("BREACH_SIGNING_KEY", &pub_key)
        .env("BREACH_ACTOR", "dana.whit")
        .env("SSH_AUTH_SOCK", &socket)
        .fails(1);
    assert!(
        refused.error_line().contains("NOT recorded") && refused.error_line().contains("ssh-agent"),
        "{}",
        refused.stderr
    );
    assert_eq!(env.breach(["--json", "status"]).ok().json()["head"], before);
    let added = Command::new("ssh-add")
        .arg("-q")
        .arg(&dana)
        .env("SSH_AUTH_SOCK", &socket)
        .status()
        .unwrap();
    assert!(added.success());
    env.breach(["note", "Signed by the agent"])
        .env("BREACH_SIGNING_KEY", &pub_key)
        .env("BREACH_ACTOR", "dana.whit")
        .env("SSH_AUTH_SOCK", &socket)
        .ok();
    let dir = env.path().join("sigs");
    let out = env
        .breach([
            "--json",
            "verify",
            "--export-signatures",
            dir.to_str().unwrap(),
        ])
        .fails(1)
        .json();
    // Ana's entries no longer have an allowed key; dana's via the agent does.
    assert!(out["error"].as_str().unwrap().contains("entry 1:"), "{out}");
    let (ok, said) = ssh_keygen_verify(
        &allowed,
        "dana.whit",
        &dir.join("3.sig"),
        &dir.join("3.msg"),
    );
    assert!(ok, "{said}");
}

#[test]
fn a_store_that_requires_signatures_refuses_an_unsigned_append_and_nothing_is_written() {
    let (env, ana, _, _) = signed_incident();
    env.breach(["config", "set", "require_signatures", "yes"])
        .ok();
    let id = env.breach(["--json", "status"]).ok().json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = env.log_bytes(&id);
    let refused = env.breach(["note", "Unsigned"]).fails(1);
    assert!(
        refused.error_line().contains("NOT recorded")
            && refused.error_line().contains("--signing-key"),
        "{}",
        refused.stderr
    );
    assert_eq!(env.log_bytes(&id), before);
    env.breach(["note", "Signed"])
        .env("BREACH_SIGNING_KEY", &ana)
        .ok();
    env.breach(["config", "set", "require_signatures", "maybe"])
        .fails(1);
}

#[test]
fn bad_keys_and_allowed_signers_files_are_refused_in_one_line() {
    let (env, ana, _, _) = signed_incident();
    let id = env.breach(["--json", "status"]).ok().json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = env.log_bytes(&id);
    let garbage = env.write(
        "garbage.key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n",
    );
    let locked = env.path().join("locked");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "a passphrase", "-f"])
        .arg(&locked)
        .status()
        .unwrap();
    assert!(status.success());
    for (key, says) in [
        (garbage, "not an OpenSSH private key"),
        (env.path().join("missing.key"), "no such key file"),
        (locked, "ssh-add"),
        (
            env.write("words.txt", "hello"),
            "neither an OpenSSH private key nor a public key",
        ),
    ] {
        let out = env
            .breach(["note", "x"])
            .env("BREACH_SIGNING_KEY", &key)
            .fails(1);
        assert!(
            out.error_line().contains(says),
            "{}: {}",
            key.display(),
            out.stderr
        );
    }
    assert_eq!(env.log_bytes(&id), before, "nothing recorded");
    let bad = env.write(
        "bad_signers",
        &format!(
            "ana.lima {}\nana.lima valid-after=\"tomorrow\" {}\n",
            public_of(&ana),
            public_of(&ana)
        ),
    );
    let refused = env
        .breach(["config", "set", "allowed_signers", bad.to_str().unwrap()])
        .fails(1);
    assert!(
        refused.error_line().contains("bad_signers:2:")
            && refused.error_line().contains("not a time"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_signed_entry_is_taken_by_the_database_store_as_by_the_directory() {
    for env in crate::backends() {
        let key = keygen(&env, "ana", "ed25519");
        env.start_minimal("Signed on either store");
        env.breach(["note", "Signed"])
            .env("BREACH_SIGNING_KEY", &key)
            .ok();
        let out = env.breach(["--json", "verify"]).ok().json();
        assert_eq!(out["signatures"]["signed"], 1, "{}: {out}", env.backend());
        assert_eq!(out["signatures"]["unattributed"], 1, "{}", env.backend());
    }
}
