//! What a responder reads: the card of one step (phase, progress, owner, due time,
//! instructions, evidence, references) and the list of every step of the runbook.

use super::*;

/// What a responder sees for one step.
pub(crate) fn step_card(
    incident: &Incident,
    view: StepView<'_>,
    calendar: &crate::clock::Calendar,
    now: DateTime<Utc>,
    width: usize,
) -> String {
    let step = view.step;
    let phase_no = Phase::ALL
        .iter()
        .position(|p| *p == view.phase)
        .map_or(0, |i| i + 1);
    let (settled, total) = incident
        .progress()
        .iter()
        .fold((0, 0), |(s, t), (_, a, b)| (s + a, t + b));
    let mut out = format!(
        "\n{}\n{} · phase {phase_no} of 5 · {settled} of {total} applicable steps settled\n\n",
        "─".repeat(width.min(80)),
        view.phase.name().to_uppercase(),
    );
    out.push_str(&wrap(&sanitize(&step.title.value), width, ""));
    out.push('\n');
    let mut about = format!("{} · owner: {}", step.id.value, step.owner.label());
    if let Some(who) = incident.assignee(&step.id.value) {
        about.push_str(&format!(" · assigned to {}", sanitize(who)));
    }
    if !step.required {
        about.push_str(" · optional");
    }
    out.push_str(&wrap(&about, width, ""));
    out.push('\n');
    if let Some(due) = render::terminal::due_phrase(incident, step, calendar, now) {
        out.push_str(&wrap(&due, width, ""));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&wrap(
        &sanitize_multiline(&step.instructions.value),
        width,
        "  ",
    ));
    out.push('\n');
    if !step.evidence.is_empty() {
        let fields: Vec<String> = step
            .evidence
            .iter()
            .map(|f| {
                format!(
                    "{}{}",
                    f.name.value,
                    if f.required { "" } else { " (optional)" }
                )
            })
            .collect();
        out.push('\n');
        out.push_str(&wrap(
            &format!("Evidence: {}", fields.join(", ")),
            width,
            "",
        ));
        out.push('\n');
    }
    if let Some(to) = step.notice_to() {
        let today = calendar.local_date(now);
        let facts = &incident.facts;
        if let Some(p) = crate::incident::obligations::hold_periods_for(
            &facts.law_enforcement_holds,
            facts.hold_lifted_on,
            to,
        )
        .iter()
        .find(|p| p.until >= today)
        {
            out.push_str(&wrap(
                &format!(
                    "⚠ Law-enforcement hold: notices to {} are held from {} to {} (45 CFR 164.412).",
                    to.label(),
                    p.from,
                    p.until
                ),
                width,
                "",
            ));
            out.push('\n');
        }
    }
    if !step.references.is_empty() {
        out.push_str(&wrap(
            &format!("References: {}", step.references.join("; ")),
            width,
            "",
        ));
        out.push('\n');
    }
    out
}

pub(super) fn all_steps(incident: &Incident) -> String {
    let mut out = String::from("\nSteps of this runbook:\n");
    let mut phase = None;
    for v in incident.step_views() {
        if phase != Some(v.phase) {
            out.push_str(&format!("  {}\n", v.phase.name().to_uppercase()));
            phase = Some(v.phase);
        }
        let state = if v.active {
            v.state().label()
        } else {
            "does not apply"
        };
        out.push_str(&format!("    {:<15} {}\n", state, v.step.id.value));
    }
    out
}
