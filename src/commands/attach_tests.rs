//! The attach path with a failure injected at every I/O operation in turn: copying the file in,
//! linking it into place, syncing, and appending the entry. Whatever fails, the copy an earlier
//! entry names is never removed, and the log is as it was.

use super::{Session, record_action};
use crate::files::fault;
use crate::incident::Action;
use crate::store::Access;

fn session(dir: &std::path::Path) -> Session {
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-10T15:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    Session {
        store: crate::store::StoreAddress::Directory(dir.join("store")),
        store_is_default: false,
        actor: "ana".to_owned(),
        json: true,
        incident: None,
        runbooks: None,
        interactive: false,
        allow_identifiers: false,
        calendar: crate::clock::Calendar::machine(crate::clock::Clock::Fixed(now)),
        now,
        happened: None,
        profile: Default::default(),
        sink: super::Sink::Outcome,
        prompts: crate::walk::Prompts::terminal(),
        opened: Default::default(),
        resolved: Default::default(),
        signer: std::rc::Rc::new(crate::signing::Signer::new(None, false)),
    }
}

#[test]
fn a_failed_attach_at_any_operation_never_removes_a_recorded_copy() {
    let dir = tempfile::tempdir().unwrap();
    let s = session(dir.path());
    super::lifecycle::start(
        &s,
        Some("misdirected-email".into()),
        Some("2026-03-01".into()),
        Some("Attach faults".into()),
    )
    .unwrap();
    let file = dir.path().join("trace.csv");
    std::fs::write(&file, "time,action\n09:31,sent\n").unwrap();
    let attach = |name: &str| Action::Attach {
        file: dir.path().join(name),
        step: None,
    };
    record_action(&s, attach("trace.csv")).unwrap();
    let store = crate::store::Store::open(&s.store).unwrap();
    let id = store.resolve(None).unwrap();
    let log_path = dir
        .path()
        .join("store/incidents")
        .join(&id)
        .join("log.jsonl");
    let attachments = dir
        .path()
        .join("store/incidents")
        .join(&id)
        .join("attachments");
    let recorded: Vec<_> = std::fs::read_dir(&attachments)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(recorded.len(), 1);
    let content = std::fs::read(&recorded[0]).unwrap();

    // The same content again (a shared copy) and new content (a copy of its own).
    std::fs::write(dir.path().join("other.csv"), "other\n").unwrap();
    for name in ["trace.csv", "other.csv"] {
        let mut failures = 0;
        for at in 0.. {
            let log_before = std::fs::read(&log_path).unwrap();
            fault::fail_at(Some(at));
            let result = record_action(&s, attach(name));
            fault::fail_at(None);
            match result {
                Ok(_) => break,
                Err(e) => {
                    failures += 1;
                    assert!(
                        e.to_string().contains("No space left"),
                        "{name} at {at}: {e}"
                    );
                    assert_eq!(
                        std::fs::read(&recorded[0]).unwrap(),
                        content,
                        "{name} at {at}: the recorded copy is intact"
                    );
                    assert_eq!(
                        std::fs::read(&log_path).unwrap(),
                        log_before,
                        "{name} at {at}: the log is as it was"
                    );
                    let stray: Vec<_> = std::fs::read_dir(&attachments)
                        .unwrap()
                        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                        .filter(|n| n.starts_with(".incoming"))
                        .collect();
                    assert!(
                        stray.is_empty(),
                        "{name} at {at}: no temporary left: {stray:?}"
                    );
                }
            }
        }
        assert!(
            failures >= 4,
            "{name}: the attach path passed {failures} fault points"
        );
    }
    let mut log = store.open_log(&id, Access::Read).unwrap();
    assert_eq!(log.read_verified(|_| {}).unwrap().entries, 4);
}
