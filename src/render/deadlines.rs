//! The regulatory clock as people and scripts read it: the deadlines document that `deadlines
//! --json`, `status` and every export share, the deadlines screen, and the summary `status`
//! leads with.

use chrono::NaiveDate;
use serde::Serialize;

use crate::incident::Incident;
use crate::incident::facts::Delay;
use crate::incident::obligations::{Clock, DueChange, Obligation, Period, Status, hold_periods};
use crate::text::{sentence, wrap};

/// The deadlines as `breach deadlines --json` prints them; `status` and the exports carry the same.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct DeadlinesView<'a> {
    pub id: &'a str,
    pub discovered: NaiveDate,
    pub today: NaiveDate,
    /// The zone `today` and every date are taken in.
    pub zone: String,
    pub rests_on: Option<String>,
    pub notification_required: bool,
    pub obligations: &'a [Obligation],
    pub assumptions: &'a [String],
    pub warnings: &'a [String],
    /// Every law-enforcement statement recorded, in order.
    pub law_enforcement_holds: &'a [Delay],
    /// When notices are held, worked out from those statements.
    pub hold_periods: Vec<Period>,
    pub hold_lifted_on: Option<NaiveDate>,
}

impl<'a> DeadlinesView<'a> {
    pub(crate) fn new(
        incident: &'a Incident,
        clock: &'a Clock,
        today: NaiveDate,
        zone: String,
    ) -> DeadlinesView<'a> {
        DeadlinesView {
            id: &incident.id,
            discovered: incident.discovered.date,
            today,
            zone,
            rests_on: incident.rests_on(),
            notification_required: incident.facts.notification_required,
            obligations: &clock.obligations,
            assumptions: &clock.assumptions,
            warnings: &clock.warnings,
            law_enforcement_holds: &incident.facts.law_enforcement_holds,
            hold_periods: hold_periods(
                &incident.facts.law_enforcement_holds,
                incident.facts.hold_lifted_on,
            ),
            hold_lifted_on: incident.facts.hold_lifted_on,
        }
    }
}

/// A moved due date in words: "hhs_notice: due 2026-04-30 -> 2027-03-01".
pub(crate) fn describe_change(c: &DueChange) -> String {
    let what = match &c.state {
        Some(s) => format!("{} ({s})", c.key),
        None => c.key.clone(),
    };
    match (c.old, c.new) {
        (Some(o), Some(n)) => format!("{what}: due {o} -> {n}"),
        (None, Some(n)) => format!("{what}: now applies, due {n}"),
        (Some(o), None) => format!("{what}: no longer applies (was due {o})"),
        (None, None) => what,
    }
}

/// An obligation by its key, with its state for media notice: "media_notice (TX)".
pub(crate) fn obligation_name(o: &Obligation) -> String {
    match &o.state {
        Some(s) if crate::incident::obligations::state::needs_review(o) => format!(
            "{} ({s}, possibly due, {})",
            o.key.name(),
            crate::incident::obligations::state::NEEDS_REVIEW
        ),
        Some(s) => format!("{} ({s})", o.key.name()),
        None => match &o.entity {
            Some(e) => format!("{} ({e})", o.key.name()),
            None => o.key.name().to_owned(),
        },
    }
}

fn days_phrase(o: &Obligation) -> String {
    match o.status {
        Status::Met | Status::MetLate => {
            format!(
                "sent {}",
                o.met_on.map(|d| d.to_string()).unwrap_or_default()
            )
        }
        _ if o.days_left < 0 => match o.notified {
            Some(n) => format!(
                "{n} of {} notified; {} day(s) overdue",
                o.reachable.unwrap_or(0),
                -o.days_left
            ),
            None => format!("{} day(s) overdue", -o.days_left),
        },
        Status::Partial => format!(
            "{} of {} notified; {} day(s) left",
            o.notified.unwrap_or(0),
            o.reachable.unwrap_or(0),
            o.days_left
        ),
        _ if o.days_left == 0 => "due today".to_owned(),
        _ => format!("{} day(s) left", o.days_left),
    }
}

/// The deadlines screen.
pub(crate) fn deadlines_text(
    incident: &Incident,
    clock: &Clock,
    today: NaiveDate,
    zone: &str,
    width: usize,
) -> String {
    let mut out = wrap(
        &format!(
            "Deadlines for {} (discovered {}; today {today}, {zone})",
            incident.id, incident.discovered.date,
        ),
        width,
        "",
    );
    out.push('\n');
    if let Some(rests) = incident.rests_on() {
        out.push_str(&wrap(&format!("Determination: {rests}"), width, ""));
        out.push('\n');
    }
    if clock.obligations.is_empty() {
        out.push_str(&wrap(
            "No notice obligations apply: the recorded determination is that notification is not required. Keep the assessment: it is the proof (45 CFR 164.414(b)).",
            width,
            "",
        ));
        out.push('\n');
    }
    out.push('\n');
    for o in &clock.obligations {
        let header = format!(
            "  {:<9} {:<32} due {}  {}",
            o.status.label(),
            o.label(),
            o.due_words(),
            days_phrase(o)
        );
        if header.chars().count() <= width {
            out.push_str(&header);
            out.push('\n');
        } else {
            // A long label (a state's notice) takes its own line, the due date the next.
            out.push_str(&format!(
                "  {:<9} {}\n            due {}  {}\n",
                o.status.label(),
                o.label(),
                o.due_words(),
                days_phrase(o)
            ));
        }
        // One sentence per line of reasoning: why it applies, the rule and its clock, then
        // what changes it (the posting kept up, a hold) and what was sent.
        let mut reasons = vec![sentence(&o.why), sentence(&o.basis)];
        if let Some(k) = o.keep_up {
            reasons.push(format!(
                "The posting and the toll-free line stay up {} to {} (90 days, 45 CFR 164.404(d)(2)(ii)).",
                k.from, k.until
            ));
        }
        if let Some(h) = o.held_until {
            reasons.push(format!(
                "Held by a law-enforcement delay until {h} (45 CFR 164.412)."
            ));
        }
        if let Some(progress) = o.progress() {
            reasons.push(format!("Sent: {progress}."));
        }
        for reason in reasons {
            out.push_str(&wrap(&reason, width, "            "));
            out.push('\n');
        }
    }
    out.push_str(&holds_text(incident, width));
    for a in clock.assumptions.iter().chain(&clock.warnings) {
        out.push('\n');
        out.push_str(&wrap(&format!("Note: {a}"), width, ""));
        out.push('\n');
    }
    out
}

/// Every law-enforcement statement, and when notices are held because of them.
pub(crate) fn holds_text(incident: &Incident, width: usize) -> String {
    let f = &incident.facts;
    if f.law_enforcement_holds.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nLaw-enforcement hold (45 CFR 164.412)\n");
    for d in &f.law_enforcement_holds {
        let asked = match d.until {
            Some(u) => format!(", asking until {u}"),
            None => String::new(),
        };
        out.push_str(&wrap(
            &format!(
                "{} statement of {} by {}{asked}{}",
                match d.statement {
                    crate::incident::facts::Statement::Oral => "oral",
                    crate::incident::facts::Statement::Written => "written",
                },
                d.stated_on,
                crate::text::sanitize(&d.official),
                if d.covers.is_empty() {
                    String::new()
                } else {
                    format!("; delays {}", d.scope())
                }
            ),
            width,
            "  ",
        ));
        out.push('\n');
    }
    if let Some(l) = f.hold_lifted_on {
        out.push_str(&format!("  lifted on {l}\n"));
    }
    for h in hold_periods(&f.law_enforcement_holds, f.hold_lifted_on) {
        out.push_str(&format!("  notices held {} to {}\n", h.from, h.until));
    }
    out
}

/// The lines `status` leads with: overdue obligations, then the next deadline.
pub(crate) fn deadline_summary(incident: &Incident, today: NaiveDate) -> String {
    let clock = incident.clock(today);
    let mut lines = Vec::new();
    for o in clock
        .obligations
        .iter()
        .filter(|o| o.status == Status::Overdue)
    {
        lines.push(format!(
            "  OVERDUE  {} due {} ({})",
            obligation_name(o),
            o.due_words(),
            days_phrase(o)
        ));
    }
    if let Some(o) = clock
        .obligations
        .iter()
        .find(|o| matches!(o.status, Status::Pending | Status::Partial))
    {
        lines.push(format!(
            "  next     {} due {} ({})",
            obligation_name(o),
            o.due_words(),
            days_phrase(o)
        ));
    }
    if clock.obligations.is_empty() {
        lines.push(
            "  none: the recorded determination is that notification is not required".to_owned(),
        );
    } else if lines.is_empty() {
        lines.push("  every obligation is met".to_owned());
    }
    format!(
        "\nDeadlines (see `breach deadlines`)\n{}\n",
        lines.join("\n")
    )
}
