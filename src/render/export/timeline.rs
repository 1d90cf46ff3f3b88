//! One line per entry of the timeline, in words: what each entry recorded and the steps it
//! settled, as every report format shows it.

use super::*;

/// One line saying what an entry recorded, with the steps it checked off.
pub(crate) fn summarise(event: &Event) -> String {
    let mut line = summarise_action(event);
    if !event.settles().is_empty() {
        line.push_str(&format!(
            "; checked off step {}",
            event.settles().join(", ")
        ));
    }
    line
}

fn summarise_action(event: &Event) -> String {
    match event {
        Event::Opened(o) => format!(
            "incident opened on runbook {} {}",
            o.runbook.id, o.runbook.version
        ),
        Event::StepDone(d) => {
            let mut s = format!("step {} done", d.step);
            if !d.evidence.is_empty() {
                let fields: Vec<String> = d
                    .evidence
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect();
                s.push_str(&format!(" ({})", fields.join("; ")));
            }
            if let Some(n) = &d.note {
                s.push_str(&format!(". Note: {n}"));
            }
            s
        }
        Event::StepSkipped(r) => format!("step {} skipped: {}", r.step, r.reason),
        Event::StepNotApplicable(r) => format!("step {} not applicable: {}", r.step, r.reason),
        Event::StepReopened(r) => format!("step {} reopened: {}", r.step, r.reason),
        Event::Note(n) => match &n.step {
            Some(s) => format!("note on {s}: {}", n.text),
            None => format!("note: {}", n.text),
        },
        Event::Attachment(a) => format!(
            "attached {} ({} bytes, sha256 {})",
            a.name, a.bytes, a.sha256
        ),
        Event::Closed(c) => {
            if c.forced {
                format!(
                    "incident closed with {} required step(s) open: {}",
                    c.open_required.len(),
                    c.reason.clone().unwrap_or_default()
                )
            } else {
                "incident closed".to_owned()
            }
        }
        Event::Reopened(r) => format!("incident reopened: {}", r.reason),
        Event::Discarded(d) => format!(
            "incident discarded (a test or practice incident): {}",
            d.reason
        ),
        Event::Repaired(r) => match &r.reason {
            None => format!(
                "torn tail of {} byte(s) at offset {} quarantined (sha256 {})",
                r.length, r.offset, r.sha256
            ),
            Some(why) => format!(
                "damaged entries ({} byte(s) from offset {}, sha256 {}) moved to {}: {why}",
                r.length, r.offset, r.sha256, r.quarantine
            ),
        },
        Event::TimestampAdded(t) => format!(
            "time stamp: entries up to {} existed by {}, per {} (token serial {})",
            t.covers, t.time, t.tsa, t.serial
        ),
        Event::FactsChanged(f) => {
            let mut s = format!(
                "facts changed: {}",
                serde_json::to_string(&f.update).unwrap_or_default()
            );
            if let Some(r) = &f.reason {
                s.push_str(&format!(". Reason: {r}"));
            }
            for c in &f.recomputed {
                s.push_str(&format!(
                    ". {}{}: {} -> {}",
                    c.key,
                    c.state
                        .as_ref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default(),
                    c.old.map_or("none".to_owned(), |d| d.to_string()),
                    c.new.map_or("none".to_owned(), |d| d.to_string())
                ));
            }
            s
        }
        Event::Assessed(a) => format!(
            "risk assessment: {} (signed off by {}, {})",
            a.determination.label(),
            a.signed_by,
            a.role
        ),
        Event::NoticeSent(n) => format!(
            "notice to {}{} sent {} by {}{}",
            serde_json::to_value(n.to)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            n.state
                .as_ref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
            n.date,
            n.method,
            n.count
                .map(|c| format!(", {c} notice(s)"))
                .unwrap_or_default()
        ),
    }
}

/// One entry as the timeline of a report shows it.
pub(crate) fn timeline_row(t: &TimelineEntry, cal: &Calendar) -> TimelineRow {
    TimelineRow {
        seq: t.seq,
        ts: t.ts.clone(),
        local: local(cal, &t.ts),
        happened: t.at.clone(),
        happened_local: t.at.as_deref().map(|ts| local(cal, ts)),
        substituted_clock: t.substituted,
        actor: t.actor.clone(),
        kind: t.event.kind().to_owned(),
        summary: summarise(&t.event),
        hash: t.hash.clone(),
    }
}
