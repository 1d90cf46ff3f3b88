//! `assess`: the risk assessment and its determination, from flags or asked in a terminal,
//! recorded with the due dates the determination moves.

use super::*;

pub(in crate::commands) fn rating(r: RatingArg) -> Rating {
    match r {
        RatingArg::Low => Rating::Low,
        RatingArg::Medium => Rating::Medium,
        RatingArg::High => Rating::High,
    }
}

/// The assessment as the flags give it; what they leave out stays missing.
pub(in crate::commands) fn draft_from(args: AssessValues) -> AssessmentDraft {
    let factor = |r: Option<RatingArg>, why: Option<String>| FactorDraft {
        rating: r.map(rating),
        why,
    };
    AssessmentDraft {
        secured: args.secured.map(YesNo::is_yes),
        secured_by: args.secured_basis.map(|b| match b {
            SecuredBasisArg::Encrypted => SecuredBy::Encrypted,
            SecuredBasisArg::Destroyed => SecuredBy::Destroyed,
        }),
        secured_basis: args.secured_details,
        exception: args.exception.map(|e| match e {
            ExceptionArg::None => ExceptionKind::None,
            ExceptionArg::UnintentionalWorkforceUse => ExceptionKind::UnintentionalWorkforceUse,
            ExceptionArg::InadvertentDisclosure => ExceptionKind::InadvertentDisclosure,
            ExceptionArg::CouldNotRetain => ExceptionKind::CouldNotRetain,
        }),
        exception_basis: args.exception_basis,
        factors: [
            factor(args.nature, args.nature_why),
            factor(args.recipient, args.recipient_why),
            factor(args.acquired, args.acquired_why),
            factor(args.mitigation, args.mitigation_why),
        ],
        determination: args.determination.map(|d| match d {
            DeterminationArg::NotificationRequired => Determination::NotificationRequired,
            DeterminationArg::LowProbability => Determination::LowProbability,
            DeterminationArg::Exception => Determination::Exception,
            DeterminationArg::Secured => Determination::Secured,
            DeterminationArg::NoImpermissibleUse => Determination::NoImpermissibleUse,
        }),
        rationale: args.rationale,
        signed_by: args.signed_by,
        role: args.role,
        override_reason: args.override_reason,
    }
}

/// `assess --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Assessed<'a> {
    pub id: &'a str,
    pub head: &'a crate::log::Head,
    pub determination: Determination,
    pub recomputed: &'a [DueChange],
}

/// Records an assessment, settling the steps bound to it (and `for_step`, for `done`).
pub(in crate::commands) fn record_assessment(
    s: &Session,
    assessment: crate::incident::event::Assessment,
    for_step: Option<&ForStep>,
) -> Result<(Incident, Event, crate::log::Head), Error> {
    record(s, |_, incident| {
        assessment_event(s, incident, &assessment, for_step)
    })
}

/// The entry an assessment makes on `incident`, with the due dates its determination moves.
pub(in crate::commands) fn assessment_event(
    s: &Session,
    incident: &Incident,
    assessment: &crate::incident::event::Assessment,
    for_step: Option<&ForStep>,
) -> Result<Event, Error> {
    let mut after = incident.clone();
    after.facts.notification_required = assessment.determination.requires_notification();
    let mut a = assessment.clone();
    a.recomputed = obligations::changes(&incident.due_dates(), &after.due_dates());
    settling(s, incident, Event::Assessed(Box::new(a)), for_step)
}

pub(in crate::commands) fn assess(s: &Session, args: AssessArgs) -> Result<Outcome, Error> {
    let mut draft = draft_from(args.values);
    if !draft.missing().is_empty() && s.interactive {
        let mut prompts = s.prompts.open();
        crate::walk::ask_assessment(&mut *prompts, &mut draft)
            .map_err(|_| Error::Interrupted("stopped: no assessment was recorded".to_owned()))?;
    }
    let assessment = draft.finish()?;
    let (incident, event, head) = record_assessment(s, assessment, None)?;
    let Event::Assessed(a) = &event else {
        unreachable!("assess records an assessment")
    };
    if s.json {
        return Ok(Outcome::json(&Assessed {
            id: &incident.id,
            head: &head,
            determination: a.determination,
            recomputed: &a.recomputed,
        })
        .recorded(&head));
    }
    Ok(written(
        s,
        &incident,
        assessment_message(&incident, &event),
        &head,
    ))
}

/// What a recorded assessment concluded and moved, and the steps it settled.
pub(in crate::commands) fn assessment_message(incident: &Incident, event: &Event) -> String {
    let Event::Assessed(a) = event else {
        unreachable!("an assessment records an assessment")
    };
    let mut message = format!(
        "Assessment recorded: {}{}.",
        a.determination.label(),
        if incident.assessment.is_some() {
            " (supersedes the earlier assessment)"
        } else {
            ""
        }
    );
    if !a.determination.requires_notification() {
        message.push_str("\n  No notice obligations apply while this determination stands; `breach deadlines` says so.");
    }
    for c in &a.recomputed {
        message.push_str(&format!("\n  {}", describe_change(c)));
    }
    message.push_str(&settled_text(event));
    // A step bound to the assessment that waits on others is not checked off yet.
    for v in incident.step_views() {
        let bound = v.step.records.as_ref().map(|r| r.value) == Some(Records::Assessment);
        let waits = incident.blocking_dependencies(v.step);
        if bound && v.active && v.state() == crate::incident::StepState::Open && !waits.is_empty() {
            message.push_str(&format!(
                "\n  Step `{}` waits on {}: `breach done {}` checks it off once they are settled.",
                v.step.id.value,
                waits.join(", "),
                v.step.id.value
            ));
        }
    }
    message
}
