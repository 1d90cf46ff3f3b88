//! Time stamps from a real authority: `openssl ts -reply` signs with a certificate made in the
//! test (a root, and a time-stamping certificate it issued), its tokens are recorded by
//! `breach timestamp add`, checked by `breach verify`, given back by `timestamp show` and
//! accepted by `openssl ts -verify` alone; tokens that do not answer the request, or come from an
//! authority not trusted, are refused with nothing recorded; a log rewritten after it was
//! stamped fails `verify`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Env;

/// A time-stamping authority made in the test, with `openssl`.
pub struct Tsa {
    dir: PathBuf,
}

impl Tsa {
    /// A root CA (ECDSA P-256) and a TSA certificate it issued: RSA with the ESS v1 (SHA-1)
    /// certificate id, or P-256 with v2 (SHA-256) and milliseconds in its time.
    pub fn new(env: &Env, name: &str, modern: bool) -> Tsa {
        let dir = env.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let (alg, precision) = if modern {
            ("sha256", "clock_precision_digits = 3\n")
        } else {
            ("sha1", "")
        };
        std::fs::write(
            dir.join("ts.cnf"),
            format!(
                "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\nserial = {}/serial\ncrypto_device = builtin\n\
                 signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\naccuracy = secs:1\n\
                 {precision}ess_cert_id_alg = {alg}\n\
                 [ tsa_ext ]\nbasicConstraints = critical,CA:false\nkeyUsage = critical,digitalSignature\n\
                 extendedKeyUsage = critical,timeStamping\n",
                dir.display(),
            ),
        )
        .unwrap();
        std::fs::write(dir.join("serial"), "01\n").unwrap();
        let key = if modern {
            vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        } else {
            vec!["-newkey", "rsa:2048"]
        };
        openssl(
            &dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "root.key",
                "-out",
                "root.pem",
                "-days",
                "3650",
                "-subj",
                &format!("/CN={name} Test Root"),
                "-addext",
                "basicConstraints=critical,CA:true",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        let mut req = vec!["req"];
        req.extend(key);
        req.extend(["-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj"]);
        let subject = format!("/O=Invented Timestamping/CN={name} TSA");
        req.push(&subject);
        openssl(&dir, &req);
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                "root.pem",
                "-CAkey",
                "root.key",
                "-CAcreateserial",
                "-out",
                "tsa.pem",
                "-days",
                "3650",
                "-extfile",
                "ts.cnf",
                "-extensions",
                "tsa_ext",
            ],
        );
        Tsa { dir }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.join("root.pem")
    }

    /// The authority's answer to the request `tsq`, written to `tsr`.
    fn reply(&self, tsq: &Path, tsr: &Path) {
        openssl(
            &self.dir,
            &[
                "ts",
                "-reply",
                "-config",
                "ts.cnf",
                "-queryfile",
                tsq.to_str().unwrap(),
                "-signer",
                "tsa.pem",
                "-inkey",
                "tsa.key",
                "-out",
                tsr.to_str().unwrap(),
            ],
        );
    }
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The time `openssl ts -reply -text` prints ("Dec  4 11:47:30.123 2026 GMT"), in RFC 3339.
fn openssl_time(dir: &Path, tsr: &Path) -> String {
    let text = openssl(
        dir,
        &["ts", "-reply", "-in", tsr.to_str().unwrap(), "-text"],
    );
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Time stamp: "))
        .unwrap()
        .trim()
        .trim_end_matches(" GMT")
        .to_owned();
    let parts: Vec<&str> = line.split_whitespace().collect();
    let joined = format!("{} {} {} {}", parts[0], parts[1], parts[3], parts[2]);
    let time = chrono::NaiveDateTime::parse_from_str(&joined, "%b %d %Y %H:%M:%S%.f").unwrap();
    time.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The incident's head seq.
fn head_seq(env: &Env) -> u64 {
    env.breach(["--json", "status"]).ok().json()["head"]["seq"]
        .as_u64()
        .unwrap()
}

/// An incident with two entries, trusting `tsa`.
fn trusting(tsa_name: &str, modern: bool) -> (Env, Tsa) {
    let env = Env::new();
    let tsa = Tsa::new(&env, tsa_name, modern);
    env.breach(["config", "set", "tsa_certs", tsa.root().to_str().unwrap()])
        .ok();
    env.start_minimal("Stamped");
    env.breach(["note", "The recipient confirmed deletion"])
        .ok();
    (env, tsa)
}

/// Requests, has `tsa` answer, and returns the request and response files.
pub fn ask(env: &Env, tsa: &Tsa, name: &str) -> (PathBuf, PathBuf) {
    let tsq = env.path().join(format!("{name}.tsq"));
    let tsr = env.path().join(format!("{name}.tsr"));
    env.breach(["timestamp", "request", "-o", tsq.to_str().unwrap()])
        .ok();
    tsa.reply(&tsq, &tsr);
    (tsq, tsr)
}

#[test]
fn a_token_from_a_trusted_authority_is_recorded_verified_and_accepted_by_openssl_alone() {
    for modern in [false, true] {
        let (env, tsa) = trusting("Riverbend", modern);
        let covered = head_seq(&env);
        let covered_hash = env.breach(["--json", "status"]).ok().json()["head"]["hash"]
            .as_str()
            .unwrap()
            .to_owned();
        let (tsq, tsr) = ask(&env, &tsa, "head");
        let added = env
            .breach(["--json", "timestamp", "add", tsr.to_str().unwrap()])
            .ok()
            .json();
        assert_eq!(added["covers"], covered);
        let expected_time = openssl_time(&tsa.dir, &tsr);
        assert_eq!(added["time"], expected_time.as_str(), "modern: {modern}");
        assert!(added["tsa"].as_str().unwrap().contains("CN=Riverbend TSA"));
        let stamp_seq = added["head"]["seq"].as_u64().unwrap();

        let verified = env.breach(["--json", "verify"]).ok().json();
        let stamps = verified["timestamps"].as_array().unwrap();
        assert_eq!(stamps.len(), 1);
        assert_eq!(stamps[0]["seq"], stamp_seq);
        assert_eq!(stamps[0]["covers"], covered);
        assert_eq!(stamps[0]["time"], expected_time.as_str());
        assert_eq!(stamps[0]["ok"], true);
        assert_eq!(stamps[0]["chain_checked"], true);

        // Given back byte for byte, and checked by OpenSSL alone: against the request, and
        // against the covered entry's hash as the log shows it.
        let back = env.path().join("back.tsr");
        env.breach([
            "timestamp",
            "show",
            &stamp_seq.to_string(),
            "-o",
            back.to_str().unwrap(),
        ])
        .ok();
        assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&tsr).unwrap());
        let root = tsa.root();
        for how in [
            vec!["-queryfile", tsq.to_str().unwrap()],
            vec!["-digest", covered_hash.as_str()],
        ] {
            let mut args = vec!["ts", "-verify", "-in", back.to_str().unwrap()];
            args.extend(how);
            args.extend(["-CAfile", root.to_str().unwrap()]);
            assert!(openssl(env.path(), &args).contains("Verification: OK"));
        }

        // Every export says it in words.
        let md = env.breach(["export", "--format", "md"]).ok().stdout;
        assert!(
            md.contains(&format!(
                "Time stamp: entries up to {covered} existed by {expected_time}, per"
            )),
            "{md}"
        );
        let text = env.breach(["verify"]).ok().stdout;
        assert!(text.contains(&format!(
            "entries up to {covered} existed by {expected_time}"
        )));
    }
}

#[test]
fn tokens_that_do_not_answer_the_request_or_come_from_an_untrusted_authority_are_refused() {
    let (env, tsa) = trusting("Riverbend", false);
    let stranger = Tsa::new(&env, "Stranger", true);
    let entries = |env: &Env| head_seq(env);
    let refused = |env: &Env, args: &[&str], says: &str| {
        let before = entries(env);
        let out = env.breach(args.iter().copied()).fails(1);
        let line = out.error_line();
        assert!(line.contains(says), "{args:?}: {line}");
        assert!(line.contains("nothing was recorded"), "{line}");
        assert_eq!(entries(env), before, "{args:?} recorded something");
    };

    // An authority whose root is not in tsa_certs.
    let (_, foreign) = ask(&env, &stranger, "foreign");
    refused(
        &env,
        &["timestamp", "add", foreign.to_str().unwrap()],
        "an authority this store does not trust",
    );

    // The answer to an earlier request, once the head has moved and a new request is pending.
    let (old_tsq, old) = ask(&env, &tsa, "old");
    env.breach(["note", "Called the privacy officer"]).ok();
    let (_, new) = ask(&env, &tsa, "new");
    refused(
        &env,
        &["timestamp", "add", old.to_str().unwrap()],
        "a token for another head",
    );
    // The same token against its own request is fine (the head it covers is in the log).
    env.breach([
        "timestamp",
        "add",
        old.to_str().unwrap(),
        "--request",
        old_tsq.to_str().unwrap(),
    ])
    .ok();
    env.breach(["timestamp", "add", new.to_str().unwrap()]).ok();
    // Replayed: the same token again.
    refused(
        &env,
        &["timestamp", "add", new.to_str().unwrap()],
        "a replayed token",
    );
    refused(
        &env,
        &[
            "timestamp",
            "add",
            old.to_str().unwrap(),
            "--request",
            old_tsq.to_str().unwrap(),
        ],
        "a replayed token",
    );

    // What is not a token, or a token changed by one byte.
    let garbage = env.write("garbage.tsr", "this is not DER\n");
    let (_, good) = ask(&env, &tsa, "flip");
    let mut bytes = std::fs::read(&good).unwrap();
    let half = bytes.len() / 2;
    let truncated = env.path().join("truncated.tsr");
    std::fs::write(&truncated, &bytes[..half]).unwrap();
    // A byte of the signed TSTInfo (the serial number sits after the imprint), or of the
    // signature at the end.
    let last = bytes.len() - 3;
    bytes[last] ^= 0x01;
    let flipped = env.path().join("flipped.tsr");
    std::fs::write(&flipped, &bytes).unwrap();
    for (file, says) in [
        (&garbage, "not a time-stamp response"),
        (&truncated, "not a time-stamp response"),
        (&flipped, "signature does not hold"),
    ] {
        refused(&env, &["timestamp", "add", file.to_str().unwrap()], says);
    }
    env.breach(["timestamp", "add", "/dev/zero"]).fails(1);

    // With no authority trusted, nothing is taken.
    env.breach(["config", "unset", "tsa_certs"]).ok();
    refused(
        &env,
        &["timestamp", "add", good.to_str().unwrap()],
        "no authority is trusted",
    );
    // verify still checks each token's signature and imprint, and says the chain was not.
    let verified = env.breach(["--json", "verify"]).ok().json();
    let stamps = verified["timestamps"].as_array().unwrap();
    assert_eq!(stamps.len(), 2);
    assert!(
        stamps
            .iter()
            .all(|t| t["ok"] == true && t["chain_checked"] == false)
    );
    assert!(
        env.breach(["verify"])
            .ok()
            .stdout
            .contains("was not checked: set tsa_certs")
    );
}

#[test]
fn a_log_rewritten_after_it_was_stamped_fails_verify_whatever_its_chain_says() {
    let (env, tsa) = trusting("Riverbend", true);
    let (_, tsr) = ask(&env, &tsa, "head");
    env.breach(["timestamp", "add", tsr.to_str().unwrap()]).ok();
    env.breach(["note", "Later work"]).ok();
    env.breach(["verify"]).ok();
    let id = env.breach(["--json", "status"]).ok().json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let text = env.log_text(&id);

    // The note the authority vouched for, reworded and the chain rebuilt.
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.replace("confirmed deletion", "never answered"))
        .collect();
    std::fs::write(env.log_path(&id), crate::compat::rechain(&lines)).unwrap();
    let verdict = env.breach(["--json", "verify"]).fails(1).json();
    assert_eq!(verdict["timestamps"][0]["ok"], false, "{verdict}");
    let error = verdict["error"].as_str().unwrap();
    assert!(
        error.contains("(time stamp)") && error.contains("rewritten after it was stamped"),
        "{error}"
    );

    // The token's entry made to claim another hash, and the chain rebuilt.
    let stamp_at = text
        .lines()
        .position(|l| l.contains("\"timestamp_added\""))
        .unwrap();
    let covered_hash = serde_json::from_str::<serde_json::Value>(
        text.lines().nth(stamp_at).unwrap(),
    )
    .unwrap()["data"]["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(n, l)| {
            if n == stamp_at {
                // The payload's `hash` (the line's `prev` is the same hash, and rechained).
                l.replacen(
                    &format!("\"hash\":\"{covered_hash}\""),
                    &format!("\"hash\":\"{}\"", "0".repeat(64)),
                    1,
                )
            } else {
                l.to_owned()
            }
        })
        .collect();
    std::fs::write(env.log_path(&id), crate::compat::rechain(&lines)).unwrap();
    let verdict = env.breach(["--json", "verify"]).fails(1).json();
    assert!(
        verdict["error"]
            .as_str()
            .unwrap()
            .contains("vouches for another hash than the entry names"),
        "{verdict}"
    );

    // The record as it was verifies again.
    std::fs::write(env.log_path(&id), &text).unwrap();
    env.breach(["verify"]).ok();
}
