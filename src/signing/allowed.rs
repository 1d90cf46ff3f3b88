//! git's `allowed_signers` file, as `ssh-keygen -Y verify` reads it (ssh-keygen(1), "ALLOWED
//! SIGNERS"): one line per key, `principals [options] keytype base64-key [comment]`, with
//! `#` comments. Principals are comma-separated patterns (`*` and `?`); the options this reads
//! are `namespaces="…"`, `valid-after="…"` and `valid-before="…"` (YYYYMMDD[HHMM[SS]], UTC
//! with a trailing `Z`, else the machine's time zone, as OpenSSH reads them). A certificate
//! authority line is refused: entries are signed by plain keys. A line that does not read is
//! refused with `FILE:LINE`, and the file is read within a bound.

use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use ssh_key::PublicKey;
use ssh_key::public::KeyData;

use crate::error::Error;
use crate::text::sanitize;

/// The largest allowed-signers file read: thousands of keys.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// The keys allowed to sign, with whom each belongs to and when.
#[derive(Debug, Clone)]
pub(crate) struct AllowedSigners {
    signers: Vec<AllowedSigner>,
}

#[derive(Debug, Clone)]
struct AllowedSigner {
    principals: Vec<String>,
    namespaces: Option<Vec<String>>,
    valid_after: Option<DateTime<Utc>>,
    valid_before: Option<DateTime<Utc>>,
    key: PublicKey,
    line: usize,
}

impl AllowedSigners {
    /// Reads the file the profile names (`allowed_signers`).
    pub(crate) fn load(path: &Path) -> Result<AllowedSigners, Error> {
        let bytes = crate::files::read_small_file(path, MAX_BYTES, "allowed signers file")?
            .ok_or_else(|| {
                Error::input(format!(
                    "{}: no such file (the allowed signers, `allowed_signers`)",
                    path.display()
                ))
            })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::input(format!("{}: not UTF-8 text", path.display())))?;
        Self::parse(&text).map_err(|(line, why)| {
            Error::input(format!("{}:{line}: {}", path.display(), sanitize(&why)))
        })
    }

    /// Parses the file's text; a line that does not read is its number and what is wrong.
    pub(crate) fn parse(text: &str) -> Result<AllowedSigners, (usize, String)> {
        let mut signers = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            signers.push(parse_line(line).map_err(|why| (n + 1, why))?);
            if let Some(s) = signers.last_mut() {
                s.line = n + 1;
            }
        }
        Ok(AllowedSigners { signers })
    }

    /// Whether `key` may sign for `actor` at `ts` (RFC 3339): `Err` says why not, in words
    /// that follow "signed by KEY, which".
    pub(crate) fn allows(&self, actor: &str, key: &KeyData, ts: &str) -> Result<(), String> {
        let at = DateTime::parse_from_rfc3339(ts)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                format!(
                    "cannot be checked: the entry's time `{}` is not a time",
                    sanitize(ts)
                )
            })?;
        let mine: Vec<&AllowedSigner> = self
            .signers
            .iter()
            .filter(|s| s.key.key_data() == key)
            .collect();
        if mine.is_empty() {
            return Err("is not in the allowed signers".to_owned());
        }
        let theirs: Vec<&&AllowedSigner> = mine
            .iter()
            .filter(|s| s.principals.iter().any(|p| matches(p, actor)))
            .collect();
        if theirs.is_empty() {
            return Err(format!(
                "the allowed signers give to {}, not to the entry's actor {}",
                mine[0].principals.join(","),
                sanitize(actor)
            ));
        }
        let mut why = String::new();
        for s in theirs {
            if s.namespaces
                .as_ref()
                .is_some_and(|ns| !ns.iter().any(|n| matches(n, super::NAMESPACE)))
            {
                why = format!(
                    "is not allowed for the namespace `{}` (line {})",
                    super::NAMESPACE,
                    s.line
                );
            } else if s.valid_after.is_some_and(|after| at < after) {
                why = format!("was not yet valid at {ts} (valid-after, line {})", s.line);
            } else if s.valid_before.is_some_and(|before| at >= before) {
                why = format!(
                    "was no longer valid at {ts} (valid-before, line {})",
                    s.line
                );
            } else {
                return Ok(());
            }
        }
        Err(why)
    }
}

/// One line: principals, options if any, the key.
fn parse_line(line: &str) -> Result<AllowedSigner, String> {
    let tokens = tokens(line)?;
    let mut rest = tokens.iter().map(String::as_str);
    let principals: Vec<String> = rest
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_owned)
        .collect();
    if principals.iter().any(String::is_empty) {
        return Err("an empty principal".to_owned());
    }
    let mut signer = AllowedSigner {
        principals,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        key: PublicKey::new(
            KeyData::Ed25519(ssh_key::public::Ed25519PublicKey([0; 32])),
            "",
        ),
        line: 0,
    };
    let mut next = rest.next().ok_or("no key after the principals")?;
    if ssh_key::Algorithm::new(next).is_err() {
        for option in split_options(next)? {
            apply_option(&mut signer, &option)?;
        }
        next = rest.next().ok_or("no key after the options")?;
    }
    let body = rest.next().ok_or("the key's base64 is missing")?;
    signer.key = PublicKey::from_openssh(&format!("{next} {body}"))
        .map_err(|e| format!("the key does not read ({e})"))?;
    Ok(signer)
}

/// The line's words, a double-quoted part kept whole with its quotes.
fn tokens(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if quoted {
        return Err("a quote is not closed".to_owned());
    }
    if !word.is_empty() {
        out.push(word);
    }
    Ok(out)
}

/// The comma-separated options, commas inside quotes kept.
fn split_options(options: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut part = String::new();
    let mut quoted = false;
    for c in options.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut part)),
            c => part.push(c),
        }
    }
    out.push(part);
    Ok(out)
}

fn apply_option(signer: &mut AllowedSigner, option: &str) -> Result<(), String> {
    let (name, value) = option.split_once('=').unwrap_or((option, ""));
    match name.to_ascii_lowercase().as_str() {
        "namespaces" => {
            signer.namespaces = Some(value.split(',').map(str::to_owned).collect());
        }
        "valid-after" => signer.valid_after = Some(openssh_time(value)?),
        "valid-before" => signer.valid_before = Some(openssh_time(value)?),
        "cert-authority" => {
            return Err("a certificate authority line: entries are signed with plain keys, listed one per line".to_owned());
        }
        other => return Err(format!("unknown option `{other}`")),
    }
    Ok(())
}

/// A time as OpenSSH writes it in `valid-after`/`valid-before`: YYYYMMDD[HHMM[SS]], UTC with a
/// trailing `Z`, else the machine's zone.
fn openssh_time(value: &str) -> Result<DateTime<Utc>, String> {
    let (digits, utc) = match value.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (value, false),
    };
    let bad = || format!("`{value}` is not a time as YYYYMMDD[HHMM[SS]][Z]");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let naive = match digits.len() {
        8 => NaiveDate::parse_from_str(digits, "%Y%m%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0)),
        12 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M").ok(),
        14 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").ok(),
        _ => None,
    }
    .ok_or_else(bad)?;
    if utc {
        return Ok(Utc.from_utc_datetime(&naive));
    }
    chrono::Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(bad)
}

/// OpenSSH's pattern match: `*` any run, `?` any one character; a leading `!` is not supported
/// in a principal and never matches.
fn matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    p.len() <= 256 && n.len() <= 256 && go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    #[test]
    fn a_line_reads_with_its_options_and_a_bad_line_names_its_number() {
        let text = format!(
            "# responders\nana.lima,dana.* namespaces=\"git,breach\",valid-after=\"20260101Z\",valid-before=\"20270101000000Z\" {KEY} ana@laptop\n"
        );
        let allowed = AllowedSigners::parse(&text).unwrap();
        let key = PublicKey::from_openssh(KEY).unwrap();
        assert_eq!(
            allowed.allows("ana.lima", key.key_data(), "2026-03-10T15:00:00.000Z"),
            Ok(())
        );
        assert_eq!(
            allowed.allows("dana.whit", key.key_data(), "2026-03-10T15:00:00.000Z"),
            Ok(())
        );
        assert!(
            allowed
                .allows("mallory", key.key_data(), "2026-03-10T15:00:00.000Z")
                .unwrap_err()
                .contains("not to the entry's actor")
        );
        assert!(
            allowed
                .allows("ana.lima", key.key_data(), "2027-01-01T00:00:00.000Z")
                .unwrap_err()
                .contains("no longer valid")
        );
        assert!(
            allowed
                .allows("ana.lima", key.key_data(), "2025-12-31T23:59:59.000Z")
                .unwrap_err()
                .contains("not yet valid")
        );
        for (bad, says) in [
            (format!("ana {KEY}x"), "does not read"),
            (format!("ana valid-after=\"2026\" {KEY}"), "not a time"),
            (format!("ana cert-authority {KEY}"), "certificate authority"),
            (format!("ana colour=blue {KEY}"), "unknown option"),
            ("ana".to_owned(), "no key"),
            (format!("ana \"unclosed {KEY}"), "not closed"),
        ] {
            let (line, why) = AllowedSigners::parse(&format!("\n{bad}\n")).unwrap_err();
            assert_eq!(line, 2, "{bad}");
            assert!(why.contains(says), "{bad}: {why}");
        }
    }

    #[test]
    fn patterns_match_as_openssh_matches_them() {
        assert!(matches("*", "anyone"));
        assert!(matches("ana.*", "ana.lima"));
        assert!(matches("d?na", "dana"));
        assert!(!matches("ana", "ana.lima"));
        assert!(!matches(&"*".repeat(300), "x"));
    }
}
