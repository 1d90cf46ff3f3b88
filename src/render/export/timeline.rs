//! One line per entry of the timeline, in words: what each entry recorded and the steps it
//! settled, as every report format shows it. A change of facts is told against the facts as
//! they stood before it ("the number affected changed from 2 to 700"), so the narration walks
//! the log in order, keeping those facts as it goes.

use super::*;
use crate::incident::FactsUpdate;
use crate::incident::event::{DueChange, FactsChanged, NoticeSent};
use crate::incident::facts::jurisdiction_name;
use crate::incident::facts::{Count, DateOrUnknown, Statement};
use crate::incident::obligations::Key;
use crate::text::{capitalised, sentence as sentence_end};

/// Tells the entries of one incident's timeline in words, in log order.
#[derive(Default)]
pub(crate) struct Narrator {
    /// The facts as they stood before the next entry.
    facts: Facts,
    /// The entries withdrawn by a void in effect, with that void.
    withdrawn: BTreeMap<u64, VoidMark>,
}

impl Narrator {
    /// A narrator of `incident`'s log, which marks the entries its voids withdrew.
    pub(crate) fn new(incident: &Incident) -> Narrator {
        let withdrawn = crate::incident::event::in_effect(&incident.voids)
            .into_iter()
            .map(|(entry, v)| {
                let mark = VoidMark {
                    by_entry: v.seq,
                    actor: v.actor.clone(),
                    at: v.at.clone(),
                    reason: v.reason.clone(),
                };
                (entry, mark)
            })
            .collect();
        Narrator {
            facts: Facts::default(),
            withdrawn,
        }
    }

    /// The row of the next entry in the log.
    pub(crate) fn row(&mut self, t: &TimelineEntry, cal: &Calendar) -> TimelineRow {
        let void = self.withdrawn.get(&t.seq).cloned();
        let mut summary = summarise(&t.event, &self.facts);
        if let Some(v) = &void {
            summary = format!(
                "VOID (withdrawn by entry {}, {}, {}: {}). {summary}",
                v.by_entry,
                v.actor,
                local(cal, &v.at),
                sentence_end(&v.reason).trim_end_matches('.')
            );
        } else if let Event::FactsChanged(change) = &t.event {
            // A withdrawn change of facts never changed them.
            self.facts = self.facts.updated(&change.update);
        }
        TimelineRow {
            seq: t.seq,
            ts: t.ts.clone(),
            local: local(cal, &t.ts),
            happened: t.at.clone(),
            happened_local: t.at.as_deref().map(|ts| local(cal, ts)),
            substituted_clock: t.substituted,
            actor: t.actor.clone(),
            written_by: None,
            kind: t.event.kind().to_owned(),
            summary,
            hash: t.hash.clone(),
            void,
        }
    }
}

/// What an entry recorded, in sentences, with the steps it checked off; `before` is the facts
/// as they stood before it.
fn summarise(event: &Event, before: &Facts) -> String {
    let mut line = sentence_end(&summarise_action(event, before));
    let settles = event.settles();
    if !settles.is_empty() {
        let steps: Vec<String> = settles.iter().map(|s| format!("`{s}`")).collect();
        line.push_str(&format!(
            " Checked off step{} {}.",
            if steps.len() == 1 { "" } else { "s" },
            steps.join(", ")
        ));
        if let Some(note) = step_note(event) {
            line.push_str(&format!(" Step note: {}", sentence_end(note)));
        }
    }
    line
}

/// The note of the step an action settled, when `done STEP --note` gave one.
fn step_note(event: &Event) -> Option<&str> {
    match event {
        Event::FactsChanged(c) => c.steps.step_note.as_deref(),
        Event::NoticeSent(n) => n.steps.step_note.as_deref(),
        Event::Assessed(a) => a.steps.step_note.as_deref(),
        _ => None,
    }
}

/// A message kept by its headers, as a sentence.
fn message_recorded(m: &crate::incident::event::MessageRecorded) -> String {
    let mut text = format!(
        "recorded the headers of message {}",
        m.message_id.as_deref().unwrap_or("(no Message-ID)")
    );
    if let Some(step) = &m.step {
        text.push_str(&format!(" for {step}"));
    }
    if let Some(sender) = &m.sender {
        text.push_str(&format!(" from {sender}"));
    }
    match m.recipients.as_slice() {
        [] => {}
        [one] => text.push_str(&format!(" to {one}")),
        many => text.push_str(&format!(
            " to {} recipients ({})",
            many.len(),
            many.join(", ")
        )),
    }
    if let Some(sent) = &m.sent_at {
        text.push_str(&format!(", sent {sent}"));
    }
    text.push_str(&format!(
        " ({} bytes, sha256 {}; its subject, body and attachments are not kept)",
        m.message_file.bytes, m.message_file.sha256
    ));
    text
}

fn summarise_action(event: &Event, before: &Facts) -> String {
    match event {
        Event::Opened(o) => format!(
            "incident opened on runbook {} {}",
            o.runbook.id, o.runbook.version
        ),
        Event::StepDone(d) => step_done(d),
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
        Event::MessageRecorded(m) => message_recorded(m),
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
        Event::FactsChanged(f) => facts_changed(f, before),
        Event::Assessed(a) => format!(
            "risk assessment: {} (signed off by {}, {})",
            a.determination.label(),
            a.signed_by,
            a.role
        ),
        Event::NoticeSent(n) => notice_sent(n),
        Event::Voided(v) => format!("entry {} ({}) voided: {}", v.entry, v.kind, v.reason),
        Event::StepAssigned(a) => match &a.assignee {
            Some(to) => format!("step {} assigned to {to}", a.step),
            None => format!("step {} unassigned", a.step),
        },
    }
}

/// A step done, with its evidence, the message file it was read from and its note.
fn step_done(d: &crate::incident::event::StepDone) -> String {
    let mut s = format!("step {} done", d.step);
    if !d.evidence.is_empty() {
        let fields: Vec<String> = d
            .evidence
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        s.push_str(&format!(" ({})", fields.join("; ")));
    }
    if let Some(m) = &d.message_file {
        s.push_str(&format!(
            ", read from a message file (sha256 {}, {} bytes)",
            m.sha256, m.bytes
        ));
    }
    if let Some(n) = &d.note {
        s.push_str(&format!(". Note: {}", sentence_end(n)));
    }
    s
}

fn notice_sent(n: &NoticeSent) -> String {
    let mut s = format!(
        "{}notice to {}{}{} sent on {} by {}",
        if n.addendum { "addendum: " } else { "" },
        n.to.label(),
        n.state
            .as_deref()
            .map(|s| format!(" in {}", jurisdiction_name(s)))
            .unwrap_or_default(),
        n.entity
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default(),
        n.date,
        n.method,
    );
    if let Some(c) = n.count {
        s.push_str(&format!(", {c} notice(s)"));
    }
    if n.remailed {
        s.push_str(", re-mailed to corrected addresses");
    }
    s.push('.');
    if let Some(why) = &n.not_counted {
        s.push_str(&format!(
            " It does not count toward the obligation: {}",
            sentence_end(why)
        ));
    }
    if let Some(why) = &n.despite_hold {
        s.push_str(&format!(
            " Sent despite the law-enforcement hold: {}",
            sentence_end(why)
        ));
    }
    if let Some(note) = &n.note {
        s.push_str(&format!(" Note: {}", sentence_end(note)));
    }
    s
}

/// A change of facts in words, each fact with what it was before.
fn facts_changed(f: &FactsChanged, before: &Facts) -> String {
    let mut parts = fact_changes(&f.update, before);
    match (&f.update.discovered, &f.previous_discovered) {
        (Some(new), Some(old)) => parts.push(format!(
            "discovery moved from {} to {}",
            old.given, new.given
        )),
        (Some(new), None) => parts.push(format!("discovery recorded as {}", new.given)),
        _ => {}
    }
    let mut s = if parts.is_empty() {
        "facts recorded, none changed".to_owned()
    } else {
        format!("facts changed: {}", parts.join("; "))
    };
    s.push('.');
    if let Some(r) = &f.reason {
        s.push_str(&format!(" Reason: {}", sentence_end(r)));
    }
    for c in &f.recomputed {
        s.push(' ');
        s.push_str(&capitalised(&due_change(c)));
    }
    s
}

/// "notice to HHS now due 2027-02-01 (was 2027-01-01)."
fn due_change(c: &DueChange) -> String {
    let name = serde_json::from_value::<Key>(serde_json::Value::String(c.key.clone()))
        .map_or(c.key.clone(), |k| k.label().to_lowercase());
    let what = match &c.state {
        Some(state) => format!("{name} ({})", jurisdiction_name(state)),
        None => name,
    };
    match (c.old, c.new) {
        (Some(o), Some(n)) => format!("{what} now due {n} (was {o})."),
        (None, Some(n)) => format!("{what} now applies, due {n}."),
        (Some(o), None) => format!("{what} no longer applies (was due {o})."),
        (None, None) => format!("{what} reconsidered."),
    }
}

fn count_text(n: Option<u64>) -> String {
    n.map_or("unknown".to_owned(), |n| n.to_string())
}

/// "the number affected changed from 2 to 700", or "recorded as 700" when nothing was before.
fn changed(what: &str, old: Option<String>, new: String) -> String {
    match old {
        Some(old) if old == new => format!("{what} confirmed as {new}"),
        Some(old) => format!("{what} changed from {old} to {new}"),
        None => format!("{what} recorded as {new}"),
    }
}

/// Each fact the update gives, in words, against the facts before it.
fn fact_changes(u: &FactsUpdate, before: &Facts) -> Vec<String> {
    let mut parts = Vec::new();
    let known = |c: Count| count_text(c.known());
    if let Some(a) = u.affected {
        parts.push(changed(
            "the number affected",
            Some(count_text(before.affected)),
            known(a),
        ));
    }
    if let Some(seal) = &u.roster {
        parts.push(format!(
            "counts taken from a roster of {} row(s) (SHA-256 {}), which replaces the states recorded before",
            seal.rows, seal.sha256
        ));
    }
    for (state, n) in &u.states {
        let name = format!("residents of {}", jurisdiction_name(state));
        let old = before.states.get(state).map(u64::to_string);
        parts.push(if *n == 0 {
            format!(
                "{name} removed (were {})",
                old.unwrap_or_else(|| "none".to_owned())
            )
        } else {
            changed(&name, old, n.to_string())
        });
    }
    if let Some(n) = u.unreachable {
        parts.push(changed(
            "the number without current contact details",
            Some(count_text(before.unreachable)),
            known(n),
        ));
    }
    parts.extend(dates_and_holds(u, before));
    parts
}

/// The dates, the business associate and the counts of an update, in words.
fn dates_and_holds(u: &FactsUpdate, before: &Facts) -> Vec<String> {
    let mut parts = Vec::new();
    match u.breach_started {
        Some(DateOrUnknown::Known(d)) => parts.push(changed(
            "the breach's start",
            before.breach_started.map(|d| d.to_string()),
            d.to_string(),
        )),
        Some(DateOrUnknown::Unknown(_)) => {
            parts.push("the breach's start recorded as not known".to_owned())
        }
        None => {}
    }
    let dates = [
        ("the breach's end", before.breach_ended, u.breach_ended),
        (
            "the day the team was ready to notify",
            before.ready_to_notify,
            u.ready_to_notify,
        ),
        (
            "the day the list identifying each individual went to the covered entity",
            before.identities_delivered,
            u.identities_delivered,
        ),
    ];
    for (what, old, new) in dates {
        if let Some(new) = new {
            parts.push(changed(what, old.map(|d| d.to_string()), new.to_string()));
        }
    }
    if let Some(ba) = u.business_associate {
        parts.push(if ba {
            "recorded as a business associate's breach".to_owned()
        } else {
            "recorded as not a business associate's breach".to_owned()
        });
    }
    let counts = [
        (
            "the days the business associate agreement allows",
            before.ba_agreement_days.map(u64::from),
            u.ba_agreement_days.map(u64::from),
        ),
        (
            "the number who agreed to notice by email",
            before.email_consent,
            u.email_consent,
        ),
        ("the number known to have died", before.deceased, u.deceased),
    ];
    for (what, old, new) in counts {
        if let Some(new) = new {
            parts.push(changed(what, old.map(|n| n.to_string()), new.to_string()));
        }
    }
    if let Some(n) = u.returned {
        parts.push(format!("{n} letter(s) came back undeliverable"));
    }
    for entity in &u.covered_entities {
        parts.push(format!("covered entity {entity} added"));
    }
    parts.extend(holds_and_text(u));
    parts
}

/// The law-enforcement statements and the notices' text an update gives, in words.
fn holds_and_text(u: &FactsUpdate) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(d) = &u.law_enforcement_delay {
        parts.push(format!(
            "{} law-enforcement statement from {} on {} asks {} to wait, until {}",
            match d.statement {
                Statement::Written => "a written",
                Statement::Oral => "an oral",
            },
            d.official,
            d.stated_on,
            d.scope(),
            d.held_until()
        ));
    }
    if u.delay_lifted {
        parts.push(match u.delay_lifted_on {
            Some(day) => format!("the law-enforcement hold lifted on {day}"),
            None => "the law-enforcement hold lifted".to_owned(),
        });
    }
    let texts = [
        ("what happened", &u.notice.what_happened),
        ("the types of PHI involved", &u.notice.phi_types),
        (
            "the steps individuals should take",
            &u.notice.protective_steps,
        ),
        ("what the organisation is doing", &u.notice.our_response),
    ];
    for (what, text) in texts {
        if let Some(text) = text {
            // The quotation closes the clause; its own full stop would stand before the next.
            let text = text.trim_end();
            let text = text.strip_suffix('.').unwrap_or(text);
            parts.push(format!("the notices' account of {what} set to \"{text}\""));
        }
    }
    parts
}
