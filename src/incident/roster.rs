//! The roster of the affected: a CSV the organisation keeps, read only to count. From it come the
//! facts that drive the clock (how many, per state, how many cannot be reached, how many have
//! died, how many agreed to email) and the file's SHA-256 and row count, so that a later use of
//! the roster can be held to the one counted.
//!
//! A roster is PHI. Nothing of it but those counts and its hash ever leaves this module: no
//! name, address or any other cell goes into the log, a cache, a file of the store, a log line
//! or an error message. An error names the file, the line and the column, never the value. A
//! roster is read a row at a time; what it holds per row while reading is a keyed 64-bit
//! fingerprint of each person (the key is random for the run, so the fingerprints mean nothing
//! after it), to find the same person listed twice.

use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasher;
use std::io::Read;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::facts::JURISDICTIONS;
use crate::error::Error;

/// The roster a count was taken from: its SHA-256 and how many people it lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct RosterSeal {
    pub sha256: String,
    pub rows: u64,
}

/// What a roster says, in counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RosterCounts {
    pub seal: RosterSeal,
    pub affected: u64,
    pub states: BTreeMap<String, u64>,
    /// No usable postal address and no email they agreed to: owed the substitute notice. A
    /// deceased person whose next of kin has an address is reached through them.
    pub unreachable: u64,
    pub deceased: u64,
    pub email_consent: u64,
    /// Columns the roster has that are not read (named, for the person to check).
    pub ignored_columns: Vec<String>,
}

const REQUIRED: [&str; 5] = ["name", "address", "city", "state", "zip"];
const OPTIONAL: [&str; 5] = [
    "email",
    "email_consent",
    "deceased",
    "next_of_kin",
    "next_of_kin_address",
];

/// The largest roster read, in bytes: far beyond any breach, small enough to bound the work.
pub(crate) const MAX_ROSTER_BYTES: u64 = 1 << 30;

/// Hashes the bytes as they are read, so the seal is of exactly what was counted.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads a roster from `reader` (`file` names it in errors) and counts it. Refused whole, with
/// the first problem located by line and column, when a required column is missing or a row is
/// not usable: an empty name, city, state or zip, a state that is not a US postal code, a
/// yes/no column that holds anything else, or the same person twice.
pub(crate) fn count(reader: impl Read, file: &str) -> Result<RosterCounts, Error> {
    let mut hashing = Hashing {
        inner: reader.take(MAX_ROSTER_BYTES + 1),
        hasher: Sha256::new(),
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(&mut hashing);
    let bad = |line: u64, what: String| Error::input(format!("{file}:{line}: {what}"));
    let headers = csv
        .headers()
        .map_err(|e| {
            bad(
                1,
                format!("the header row cannot be read ({})", csv_reason(&e)),
            )
        })?
        .clone();
    let (at, ignored_columns) = columns(&headers, file)?;
    let keys = std::collections::hash_map::RandomState::new();
    let mut people = HashSet::new();
    let mut counts = RosterCounts {
        ignored_columns,
        ..RosterCounts::default()
    };
    let mut record = csv::StringRecord::new();
    loop {
        let more = csv.read_record(&mut record).map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            bad(line, format!("the row cannot be read ({})", csv_reason(&e)))
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, csv::Position::line);
        let person = Person::of(&record, &at).map_err(|what| bad(line, what))?;
        if !people.insert(keys.hash_one(&person.identity)) {
            return Err(bad(
                line,
                "this person (name, address and zip) is listed twice".to_owned(),
            ));
        }
        let Person {
            state,
            reachable,
            deceased,
            by_email,
            ..
        } = person;
        counts.affected += 1;
        *counts.states.entry(state).or_default() += 1;
        counts.unreachable += u64::from(!reachable);
        counts.deceased += u64::from(deceased);
        counts.email_consent += u64::from(by_email && !deceased);
    }
    drop(csv);
    // Whatever follows the last record is hashed too: the seal is of the whole file.
    std::io::copy(&mut hashing, &mut std::io::sink())
        .map_err(|e| Error::input(format!("{file}: cannot be read to its end ({e})")))?;
    if hashing.inner.limit() == 0 {
        return Err(Error::input(format!(
            "{file}: a roster may be at most {MAX_ROSTER_BYTES} bytes"
        )));
    }
    if counts.affected == 0 {
        return Err(bad(2, "the roster lists nobody".to_owned()));
    }
    counts.seal = RosterSeal {
        sha256: hex::encode(hashing.hasher.finalize()),
        rows: counts.affected,
    };
    Ok(counts)
}

/// Where each column the roster must or may have is, by name whatever its case, and the names
/// of those it has that are not read.
fn columns(
    headers: &csv::StringRecord,
    file: &str,
) -> Result<(BTreeMap<&'static str, usize>, Vec<String>), Error> {
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let mut at = BTreeMap::new();
    for name in REQUIRED {
        let index = column(name).ok_or_else(|| {
            Error::input(format!(
                "{file}:1: no `{name}` column; a roster has the columns {} (and may have {})",
                REQUIRED.join(", "),
                OPTIONAL.join(", ")
            ))
        })?;
        at.insert(name, index);
    }
    for name in OPTIONAL {
        if let Some(index) = column(name) {
            at.insert(name, index);
        }
    }
    let ignored_columns = headers
        .iter()
        .map(str::trim)
        .filter(|h| {
            !REQUIRED
                .iter()
                .chain(OPTIONAL.iter())
                .any(|k| h.eq_ignore_ascii_case(k))
        })
        .map(|h| crate::text::sanitize(h).chars().take(64).collect())
        .collect();
    Ok((at, ignored_columns))
}

/// One row of the roster, checked, as the counts need it; `identity` (name, address and zip,
/// lower-cased) is only ever hashed, with a key of the run, to find the same person twice.
struct Person {
    identity: [String; 3],
    state: String,
    reachable: bool,
    deceased: bool,
    by_email: bool,
}

impl Person {
    /// The row's person, or what is wrong with it by column (never its value).
    fn of(
        record: &csv::StringRecord,
        at: &BTreeMap<&'static str, usize>,
    ) -> Result<Person, String> {
        let cell = |name: &str| {
            at.get(name)
                .and_then(|i| record.get(*i))
                .map_or("", str::trim)
        };
        for name in ["name", "city", "state", "zip"] {
            if cell(name).is_empty() {
                return Err(format!("column `{name}` is empty"));
            }
        }
        let state = cell("state").to_ascii_uppercase();
        if !JURISDICTIONS.contains(&state.as_str()) {
            return Err(
                "column `state` is not the two-letter postal code of a US state, DC or territory"
                    .to_owned(),
            );
        }
        let yes = |name: &str| match cell(name).to_ascii_lowercase().as_str() {
            "" | "no" | "n" | "false" | "0" => Ok(false),
            "yes" | "y" | "true" | "1" => Ok(true),
            _ => Err(format!("column `{name}` is not yes or no")),
        };
        let (consent, deceased) = (yes("email_consent")?, yes("deceased")?);
        let postal = |name: &str| {
            let v = cell(name);
            !v.is_empty() && !v.eq_ignore_ascii_case("unknown")
        };
        let by_email = consent && !cell("email").is_empty();
        Ok(Person {
            identity: ["name", "address", "zip"].map(|name| cell(name).to_lowercase()),
            state,
            // A deceased person is reached through their next of kin's address.
            reachable: if deceased {
                postal("next_of_kin_address")
            } else {
                postal("address") || by_email
            },
            deceased,
            by_email,
        })
    }
}

/// One person of a roster as a letter addresses them: held only while their letter is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Addressee {
    /// The row's number in the file, counting the header as row 1: what letters are named by.
    pub row: u64,
    pub name: String,
    /// The address block's lines: street, then city, state and zip.
    pub address: Vec<String>,
    pub state: String,
    /// How the letter goes: `first-class-mail`, or `email` to one who agreed and has no
    /// usable postal address.
    pub method: &'static str,
    /// For a deceased person, the name of the next of kin the letter goes to (at their address).
    pub next_of_kin_of: Option<String>,
}

/// The reachable people of a roster already counted, one at a time, each as their letter is
/// addressed: a deceased person's letter to their next of kin. Those who cannot be reached
/// (owed the substitute notice) are passed over.
pub(crate) fn each_addressee(
    reader: impl Read,
    file: &str,
    visit: &mut dyn FnMut(Addressee) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader.take(MAX_ROSTER_BYTES + 1));
    let headers = csv
        .headers()
        .map_err(|e| Error::input(format!("{file}:1: {}", csv_reason(&e))))?
        .clone();
    let (at, _) = columns(&headers, file)?;
    let mut record = csv::StringRecord::new();
    while csv
        .read_record(&mut record)
        .map_err(|e| Error::input(format!("{file}: {}", csv_reason(&e))))?
    {
        let line = record.position().map_or(0, csv::Position::line);
        let person = Person::of(&record, &at)
            .map_err(|what| Error::input(format!("{file}:{line}: {what}")))?;
        if !person.reachable {
            continue;
        }
        let cell = |name: &str| {
            at.get(name)
                .and_then(|i| record.get(*i))
                .map_or("", str::trim)
        };
        let town = format!("{}, {} {}", cell("city"), person.state, cell("zip"));
        let postal =
            !cell("address").is_empty() && !cell("address").eq_ignore_ascii_case("unknown");
        let addressee = if person.deceased {
            Addressee {
                row: line,
                name: cell("next_of_kin").to_owned(),
                address: vec![cell("next_of_kin_address").to_owned()],
                state: person.state,
                method: "first-class-mail",
                next_of_kin_of: Some(cell("name").to_owned()),
            }
        } else {
            Addressee {
                row: line,
                name: cell("name").to_owned(),
                address: if postal {
                    vec![cell("address").to_owned(), town]
                } else {
                    vec![cell("email").to_owned()]
                },
                state: person.state,
                method: if postal { "first-class-mail" } else { "email" },
                next_of_kin_of: None,
            }
        };
        visit(addressee)?;
    }
    Ok(())
}

/// The SHA-256 of a roster and its row count, without keeping any of it: to hold a roster to
/// the one counted before it is used.
pub(crate) fn seal_of(reader: impl Read, file: &str) -> Result<RosterSeal, Error> {
    let mut hashing = Hashing {
        inner: reader.take(MAX_ROSTER_BYTES + 1),
        hasher: Sha256::new(),
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(&mut hashing);
    let mut rows = 0u64;
    let mut record = csv::ByteRecord::new();
    while csv
        .read_byte_record(&mut record)
        .map_err(|e| Error::input(format!("{file}: {}", csv_reason(&e))))?
    {
        rows += 1;
    }
    drop(csv);
    std::io::copy(&mut hashing, &mut std::io::sink())
        .map_err(|e| Error::input(format!("{file}: cannot be read to its end ({e})")))?;
    Ok(RosterSeal {
        sha256: hex::encode(hashing.hasher.finalize()),
        rows,
    })
}

/// Why the CSV reader stopped, without any of the row's text.
fn csv_reason(e: &csv::Error) -> &'static str {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8",
        csv::ErrorKind::UnequalLengths { .. } => {
            "it has a different number of fields than the header"
        }
        csv::ErrorKind::Io(_) => "a read failed",
        _ => "not valid CSV",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Name,Address,City,State,Zip,Email,Email_Consent,Deceased,Next_of_Kin,Next_of_Kin_Address,Notes\n";

    fn roster(rows: &[&str]) -> String {
        let mut text = HEADER.to_owned();
        for row in rows {
            text.push_str(row);
            text.push('\n');
        }
        text
    }

    #[test]
    fn a_roster_is_counted_per_state_with_the_unreachable_and_the_deceased() {
        // Invented people only.
        let text = roster(&[
            "Avery Quill,1 Elm St,Springfield,OH,45501,,,,,,",
            "Blake Ormond,unknown,Columbus,OH,43004,b@example.net,yes,,,,",
            "Casey Lind,,Dayton,OH,45402,,,,,,",
            "Devon Marsh,9 Oak Ave,Austin,tx,73301,,,yes,Erin Marsh,9 Oak Ave Austin TX,",
            "Frankie Hale,3 Pine Rd,Dallas,TX,75001,,,yes,Gale Hale,,",
        ]);
        let c = count(text.as_bytes(), "r.csv").unwrap();
        assert_eq!(c.affected, 5);
        assert_eq!(c.states.get("OH"), Some(&3));
        assert_eq!(c.states.get("TX"), Some(&2));
        // Casey (no address, no email) and Frankie (deceased, no next-of-kin address).
        assert_eq!(c.unreachable, 2);
        assert_eq!(c.deceased, 2);
        assert_eq!(c.email_consent, 1);
        assert_eq!(c.ignored_columns, ["Notes"]);
        assert_eq!(c.seal.rows, 5);
        assert_eq!(c.seal.sha256, hex::encode(Sha256::digest(text.as_bytes())));
    }

    #[test]
    fn a_bad_row_is_located_and_never_quoted() {
        let cases = [
            (
                "Avery Quill,1 Elm St,,OH,45501,,,,,,",
                ":2: column `city` is empty",
            ),
            (
                "Avery Quill,1 Elm St,Springfield,ZZ,45501,,,,,,",
                ":2: column `state`",
            ),
            (
                "Avery Quill,1 Elm St,Springfield,OH,45501,,maybe,,,,",
                ":2: column `email_consent`",
            ),
            (
                "Avery Quill,1 Elm St,Springfield,OH",
                ":2: the row cannot be read",
            ),
        ];
        for (row, expected) in cases {
            let err = count(roster(&[row]).as_bytes(), "r.csv")
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
            for secret in ["Avery", "Quill", "Elm", "45501", "maybe", "ZZ"] {
                assert!(!err.contains(secret), "{secret} leaked: {err}");
            }
        }
        let twice = roster(&[
            "Avery Quill,1 Elm St,Springfield,OH,45501,,,,,,",
            "avery quill,1 ELM ST,Springfield,OH,45501,,,,,,",
        ]);
        let err = count(twice.as_bytes(), "r.csv").unwrap_err().to_string();
        assert!(err.contains(":3: this person"), "{err}");
        let no_zip = "name,address,city,state\nAvery Quill,1 Elm St,Springfield,OH\n";
        let err = count(no_zip.as_bytes(), "r.csv").unwrap_err().to_string();
        assert!(err.contains("r.csv:1: no `zip` column"), "{err}");
    }
}
