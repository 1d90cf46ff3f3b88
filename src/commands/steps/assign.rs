//! `assign STEP --to NAME` and `--unassign`: who is to do a step. The runbook names a role for
//! every step; a team working one incident also needs to say which person, so that `next
//! --mine`, `list --mine`, `remind` and the walk can give each person their own work. An
//! assignment is an entry like any other (a void withdraws one); only an open step is assigned.

use super::*;

/// The longest name an assignment takes: the same bound as `--actor`, whose names it matches.
const MAX_NAME: usize = 128;

pub(super) fn assign_step(
    s: &Session,
    step: &str,
    to: Option<&str>,
) -> Result<(Incident, Head, String), Error> {
    let to = to.map(checked_name).transpose()?;
    let (incident, _, head) = record(s, |_, incident| {
        if incident.is_closed() {
            return Err(Error::refused(format!(
                "incident {} is {}; reopen it (`breach reopen --reason`) to assign its steps",
                incident.id,
                incident.state_label()
            )));
        }
        incident.find_step(step)?;
        if let Some(record) = incident.steps.get(step)
            && record.state != StepState::Open
        {
            return Err(Error::refused(format!(
                "step `{step}` is {} (entry {}): a settled step is not assigned; reopen it first (`breach reopen {step} --reason …`)",
                record.state.label(),
                record.seq
            )));
        }
        match (incident.assignee(step), to.as_deref()) {
            (Some(now), Some(to)) if now == to => Err(Error::refused(format!(
                "step `{step}` is already assigned to {to}"
            ))),
            (None, None) => Err(Error::refused(format!(
                "step `{step}` is not assigned to anyone"
            ))),
            _ => Ok(Event::StepAssigned(event::StepAssigned {
                step: step.to_owned(),
                assignee: to.clone(),
            })),
        }
    })?;
    let message = match &to {
        Some(to) => format!("Step `{step}` assigned to {to}."),
        None => format!("Step `{step}` unassigned."),
    };
    Ok((incident, head, message))
}

/// A person's name as `--actor` takes it: one line of at most 128 printable characters, and no
/// raw identifier (the name of a workforce member, never a patient).
fn checked_name(name: &str) -> Result<String, Error> {
    let name = check_text("the name given to --to", name, false)?;
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(Error::input(format!(
            "the name given to --to must be 1 to {MAX_NAME} printable characters, as --actor takes"
        )));
    }
    Ok(name)
}
