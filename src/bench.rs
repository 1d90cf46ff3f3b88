//! Builds large, valid incidents for the benchmarks (`examples/gen_incident.rs STORE ENTRIES
//! [INCIDENTS]` calls it): generated data only, never a real record.
//!
//! Each incident is opened through the library exactly as `breach start` does, then filled with
//! entries written straight to the log with the record encoder — appending a million entries
//! through the command line would take far longer than the benchmark. With INCIDENTS, a store of
//! that many incidents, discovered over six years: each records its count of affected people
//! (under 500 for most) and, for four in five, a risk assessment that requires notification
//! (so that they belong in the annual report), then notes; every third is closed. Prints the
//! first incident's id.

use crate::incident::event::{
    Assessment, Closed, Determination, ExceptionKind, FactsChanged, Note, Opened, PinnedRunbook,
};
use crate::incident::{Count, FactsUpdate};
use crate::log::{self, Head};
use crate::store::Backend;
use crate::store::{self, DirStore};
use sha2::Digest;
use std::io::Write;

/// The generator's `main`, given its command line (the program name first).
pub fn gen_incident(args: &[String]) {
    let (root, entries, incidents) = match args {
        [_, root, n] => (
            std::path::PathBuf::from(root),
            n.parse::<u64>().expect("ENTRIES is a number"),
            None,
        ),
        [_, root, n, m] => (
            std::path::PathBuf::from(root),
            n.parse::<u64>().expect("ENTRIES is a number"),
            Some(m.parse::<u64>().expect("INCIDENTS is a number")),
        ),
        _ => {
            eprintln!("usage: gen_incident STORE ENTRIES [INCIDENTS]");
            std::process::exit(2);
        }
    };
    let store = DirStore::create(&root, true).expect("create store");
    let clock = crate::clock::Clock::from_env().expect("BREACH_NOW");
    let calendar = crate::clock::Calendar::machine(clock);
    let now = clock.now();
    let Some(count) = incidents else {
        let discovered = calendar
            .parse_past("2026-03-01 09:30", "--discovered", now)
            .expect("date");
        let id = store::new_incident_id(now.date_naive(), 0);
        generate(&store, &clock, &id, discovered, entries, None);
        println!("{id}");
        return;
    };
    let mut first = None;
    for i in 0..count {
        // Spread over six years, a few a day.
        let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date")
            + chrono::Duration::days(i64::try_from(i * 2190 / count.max(1)).expect("days"));
        let discovered = calendar
            .parse_past(&format!("{day} 09:30"), "--discovered", now)
            .expect("date");
        let id = format!("{}-b{i:05}", day.format("%Y%m%d"));
        generate(&store, &clock, &id, discovered, entries, Some(i));
        first.get_or_insert(id);
    }
    println!("{}", first.unwrap_or_default());
}

/// One incident of `entries` entries; with `variant`, one of a store's varied incidents.
fn generate(
    store: &DirStore,
    clock: &crate::clock::Clock,
    id: &str,
    discovered: crate::clock::GivenTime,
    entries: u64,
    variant: Option<u64>,
) {
    let now = clock.now();
    let (_, text) = crate::runbook::BUNDLED[0];
    let id = id.to_owned();
    let opened = Opened {
        format: log::FORMAT.to_owned(),
        hash_algorithm: log::HASH_ALGORITHM.to_owned(),
        tool: "gen_incident".to_owned(),
        incident: id.clone(),
        title: "Benchmark incident".to_owned(),
        discovered,
        runbook: std::sync::Arc::new(PinnedRunbook {
            id: "misdirected-email".to_owned(),
            version: "bench".to_owned(),
            title: "bench".to_owned(),
            sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
            source: "bundled".to_owned(),
            text: (*text).to_owned(),
            parsed: Some(
                serde_json::value::to_raw_value(
                    &crate::runbook::parse_runbook("bench", text)
                        .expect("bundled runbook is valid"),
                )
                .expect("encode"),
            ),
        }),
    };
    let ts = crate::clock::log_timestamp(now);
    let stamp = log::Stamp {
        ts: &ts,
        substituted: clock.is_substituted(),
        at: None,
        allowed: None,
        signer: None,
    };
    let (genesis, _) = log::encode(
        0,
        log::GENESIS_PREV,
        &stamp,
        "bench",
        "incident_opened",
        &serde_json::value::to_raw_value(&opened).expect("encode"),
    );
    let Head { hash, .. } = store
        .create_incident(&id, genesis.as_bytes())
        .expect("create incident");
    let mut prev = hash;
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(store.log_path(&id))
        .expect("open log");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    for seq in 1..entries {
        let (kind, data) = match variant {
            Some(i) if seq == 1 => {
                let facts = FactsChanged {
                    update: FactsUpdate {
                        affected: Some(Count::Known(if i % 10 == 0 { 900 } else { 20 + i % 400 })),
                        unreachable: Some(Count::Known(0)),
                        ..FactsUpdate::default()
                    },
                    reason: None,
                    previous_discovered: None,
                    recomputed: Vec::new(),
                    steps: Default::default(),
                };
                ("facts_changed", serde_json::value::to_raw_value(&facts))
            }
            Some(i) if seq == 2 && i % 5 != 4 => {
                let assessment = Assessment {
                    phi_secured: false,
                    secured_by: None,
                    secured_basis: None,
                    exception: ExceptionKind::None,
                    exception_basis: None,
                    factors: None,
                    determination: Determination::NotificationRequired,
                    rationale: None,
                    signed_by: "Bench Officer".to_owned(),
                    role: "privacy officer".to_owned(),
                    override_reason: None,
                    recomputed: Vec::new(),
                    steps: Default::default(),
                };
                (
                    "assessment_recorded",
                    serde_json::value::to_raw_value(&assessment),
                )
            }
            Some(i) if seq == entries - 1 && i % 3 == 0 => {
                let closed = Closed {
                    forced: true,
                    reason: Some("benchmark".to_owned()),
                    open_required: Vec::new(),
                    obligations: Vec::new(),
                };
                ("incident_closed", serde_json::value::to_raw_value(&closed))
            }
            _ => {
                let note = Note {
                    text: format!(
                        "Benchmark note {seq}: recipient called back and confirmed deletion of the message."
                    ),
                    step: None,
                };
                ("note", serde_json::value::to_raw_value(&note))
            }
        };
        let data = data.expect("encode");
        let (line, hash) = log::encode(seq, &prev, &stamp, "bench.responder", kind, &data);
        out.write_all(line.as_bytes()).expect("write");
        prev = hash;
    }
    out.into_inner().expect("flush").sync_all().expect("sync");
}
