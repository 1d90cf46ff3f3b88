//! Builds a large, valid incident for the benchmarks: `gen_incident STORE ENTRIES`.
//!
//! The incident is opened through the library exactly as `breach start` does, then filled with
//! note entries written straight to the log with the record encoder — appending a million entries
//! through the command line would replay the log each time. Prints the incident id.

use breach::incident::event::{Note, Opened, PinnedRunbook};
use breach::log::{self, Head};
use breach::store::Backend;
use breach::store::{self, DirStore};
use sha2::Digest;
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (root, entries) = match args.as_slice() {
        [_, root, n] => (
            std::path::PathBuf::from(root),
            n.parse::<u64>().expect("ENTRIES is a number"),
        ),
        _ => {
            eprintln!("usage: gen_incident STORE ENTRIES");
            std::process::exit(2);
        }
    };
    let store = DirStore::create(&root, true).expect("create store");
    let (_, text) = breach::runbook::BUNDLED[0];
    let clock = breach::clock::Clock::from_env().expect("BREACH_NOW");
    let now = clock.now();
    let discovered =
        breach::clock::parse_past("2026-03-01 09:30", "--discovered", now).expect("date");
    let id = store::new_incident_id(now.date_naive(), 0);
    let opened = Opened {
        format: log::FORMAT.to_owned(),
        hash_algorithm: log::HASH_ALGORITHM.to_owned(),
        tool: "gen_incident".to_owned(),
        incident: id.clone(),
        title: "Benchmark incident".to_owned(),
        discovered,
        runbook: PinnedRunbook {
            id: "misdirected-email".to_owned(),
            version: "bench".to_owned(),
            title: "bench".to_owned(),
            sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
            source: "bundled".to_owned(),
            text: (*text).to_owned(),
            parsed: Some(
                serde_json::value::to_raw_value(
                    &breach::runbook::parse_runbook("bench", text)
                        .expect("bundled runbook is valid"),
                )
                .expect("encode"),
            ),
        },
    };
    let ts = breach::clock::log_timestamp(now);
    let stamp = log::Stamp {
        ts: &ts,
        substituted: clock.is_substituted(),
        at: None,
        allowed: None,
    };
    let Head { hash, .. } = store
        .create_incident(
            &id,
            &stamp,
            "bench",
            "incident_opened",
            &serde_json::value::to_raw_value(&opened).expect("encode"),
        )
        .expect("create incident");
    let mut prev = hash;
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(store.log_path(&id))
        .expect("open log");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    for seq in 1..entries {
        let note = Note {
            text: format!(
                "Benchmark note {seq}: recipient called back and confirmed deletion of the message."
            ),
            step: None,
        };
        let data = serde_json::value::to_raw_value(&note).expect("encode");
        let (line, hash) = log::encode(seq, &prev, &stamp, "bench.responder", "note", &data);
        out.write_all(line.as_bytes()).expect("write");
        prev = hash;
    }
    out.into_inner().expect("flush").sync_all().expect("sync");
    println!("{id}");
}
