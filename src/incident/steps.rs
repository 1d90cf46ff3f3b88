//! The step rules: each runbook step's state, whether it applies and can be worked now, what
//! a step bound to an action needs, and when a step is due. A step bound to a notice takes its
//! state from the clock, so that no view shows it done while its obligation is not met.

use super::*;

/// When a step is due: the end of a calendar day (in the organisation's zone), or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StepDue {
    EndOf(#[serde(deserialize_with = "crate::clock::stored_day::day")] chrono::NaiveDate),
    At(DateTime<Utc>),
}

impl StepDue {
    /// The instant it falls due, in `calendar`'s zone.
    pub(crate) fn instant(self, calendar: &crate::clock::Calendar) -> DateTime<Utc> {
        match self {
            StepDue::EndOf(day) => calendar.end_of_day(day),
            StepDue::At(at) => at,
        }
    }
}

/// A step of the runbook with its current state and whether it applies now.
#[derive(Debug, Clone)]
pub(crate) struct StepView<'a> {
    pub phase: Phase,
    pub step: &'a Step,
    /// The step's last recorded change, if any.
    pub record: Option<&'a StepRecord>,
    /// Whether the step applies to the incident as it stands: its `when` holds and, for a step
    /// that records a notice, the clock has that notice.
    pub active: bool,
    /// Where the step stands. For a step bound to a notice this is the clock's word: done when
    /// the notice's obligations are met, open while they are not.
    pub state: StepState,
    /// Why it does not apply, or why its state is not its last recorded change.
    pub because: Option<String>,
}

impl StepView<'_> {
    pub(crate) fn state(&self) -> StepState {
        self.state
    }
}

/// What the clock says about the notice a step is bound to.
struct NoticeBinding {
    /// The obligations of that audience that apply.
    applies: bool,
    met: bool,
    /// The obligations in words with their status, for explanations.
    summary: String,
}

impl Incident {
    /// Every runbook step in order, with its state.
    pub(crate) fn step_views(&self) -> Vec<StepView<'_>> {
        let obligations = self.clock(self.discovered.date).obligations;
        self.runbook
            .steps()
            .map(|(phase, step)| self.view_of(phase, step, &obligations))
            .collect()
    }

    fn view_of<'a>(
        &'a self,
        phase: Phase,
        step: &'a Step,
        obligations: &[obligations::Obligation],
    ) -> StepView<'a> {
        let record = self.steps.get(&step.id.value);
        let recorded = record.map_or(StepState::Open, |r| r.state);
        let when = step.when.as_ref();
        let mut view = StepView {
            phase,
            step,
            record,
            active: when.is_none_or(|c| self.facts.satisfies(&c.value)),
            state: recorded,
            because: None,
        };
        if !view.active {
            view.because = when.map(|c| format!("it applies only when {}", c.value.describe()));
        }
        let Some(to) = step.notice_to() else {
            return view;
        };
        let notice = self.notice_binding(to, obligations);
        if !notice.applies {
            if view.active {
                view.active = false;
                view.because = Some(self.no_notice_because(to));
            }
            return view;
        }
        if !view.active {
            return view;
        }
        view.state = if notice.met {
            StepState::Done
        } else {
            StepState::Open
        };
        view.because = match (recorded, view.state) {
            (StepState::Done, StepState::Done) => None,
            (_, StepState::Done) => Some(format!(
                "the clock counts it done: {} (the notice was recorded before this step applied)",
                notice.summary
            )),
            (StepState::Open, StepState::Open) => None,
            (_, _) => Some(format!(
                "the clock counts it open again: {}",
                notice.summary
            )),
        };
        view
    }

    /// The obligations of the clock a notice to `to` meets, and where they stand.
    fn notice_binding(
        &self,
        to: Audience,
        obligations: &[obligations::Obligation],
    ) -> NoticeBinding {
        let audience = to;
        let matching: Vec<&obligations::Obligation> = obligations
            .iter()
            .filter(|o| o.key.audience() == audience)
            .collect();
        let summary = matching
            .iter()
            .map(|o| {
                let counts = match (o.notified, o.reachable) {
                    (Some(n), Some(r)) if o.met_on.is_none() => format!(", {n} of {r} reachable"),
                    _ => String::new(),
                };
                let status = if o.met_on.is_some() {
                    "met"
                } else if o.notified.is_some_and(|n| n > 0) {
                    "partial"
                } else {
                    "not met"
                };
                let label = match &o.state {
                    Some(state) => format!("{} ({state})", o.key.label().to_lowercase()),
                    None => o.key.label().to_lowercase(),
                };
                format!("{label} is {status}{counts}")
            })
            .collect::<Vec<_>>()
            .join("; ");
        NoticeBinding {
            applies: !matching.is_empty(),
            met: !matching.is_empty() && matching.iter().all(|o| o.met_on.is_some()),
            summary,
        }
    }

    /// Why the clock has no notice to `to`, in its own terms.
    fn no_notice_because(&self, to: Audience) -> String {
        let f = &self.facts;
        match to {
            Audience::CoveredEntity if !f.business_associate => {
                "the clock has no notice to a covered entity: the team is not a business associate (`breach facts --business-associate yes` if it is)".to_owned()
            }
            _ if f.business_associate => format!(
                "the clock has no notice to {}: a business associate notifies the covered entity, which gives the notices (45 CFR 164.410)",
                to.label()
            ),
            _ if !f.notification_required => match &self.assessment {
                Some(a) => format!(
                    "the clock has no notices: the assessment in force (entry {}) concludes {}",
                    a.seq,
                    a.value.determination.label()
                ),
                None => "the clock has no notices: notification is not required".to_owned(),
            },
            Audience::Substitute => "the clock has no substitute notice: everyone affected can be reached (0 unreachable recorded)".to_owned(),
            Audience::Media => "the clock has no media notice: no state or jurisdiction has more than 500 affected residents".to_owned(),
            _ => format!("the clock has no notice to {}", to.label()),
        }
    }

    /// Whether a bound step's action is on record, so the step can count as done: an
    /// assessment, the counts (affected and unreachable), a law-enforcement hold, or the
    /// notice's obligations met.
    pub(crate) fn binding_satisfied(&self, step: &Step) -> bool {
        match step.records.as_ref().map(|r| r.value) {
            None => false,
            Some(Records::Assessment) => self.assessment.is_some(),
            Some(Records::Facts) => {
                self.facts.affected.is_some() && self.facts.unreachable.is_some()
            }
            Some(Records::Delay) => !self.facts.law_enforcement_holds.is_empty(),
            Some(Records::Notice(to)) => {
                let obligations = self.clock(self.discovered.date).obligations;
                self.notice_binding(to, &obligations).met
            }
        }
    }

    /// What a notice step still lacks, in the clock's words: "notice to individuals is partial,
    /// 1000 of 1100 reachable".
    pub(crate) fn notice_shortfall(&self, to: Audience) -> String {
        let obligations = self.clock(self.discovered.date).obligations;
        self.notice_binding(to, &obligations).summary
    }

    /// The open steps bound to an action that `event`, recorded next, would settle: the write
    /// path puts them in the same entry.
    pub(crate) fn settled_by(&self, event: &Event) -> Vec<String> {
        let mut after = self.clone();
        after.apply(event, self.head.seq + 1, "", "");
        let before = self.step_views();
        let after_views = after.step_views();
        before
            .iter()
            .zip(after_views.iter())
            .filter(|(b, a)| {
                b.step.records.is_some()
                    && b.state == StepState::Open
                    && a.active
                    && after.binding_satisfied(a.step)
                    && self.bound_to(b.step, event)
                    // As `done` would: a step waiting on others is not checked off by the action
                    // it records; it stays open, the action recorded, until they are settled.
                    && self.blocking_dependencies(b.step).is_empty()
            })
            .map(|(b, _)| b.step.id.value.clone())
            .collect()
    }

    /// Whether `event` is the kind of action `step` is bound to.
    fn bound_to(&self, step: &Step, event: &Event) -> bool {
        match (step.records.as_ref().map(|r| r.value), event) {
            (Some(Records::Assessment), Event::Assessed(_)) => true,
            (Some(Records::Facts), Event::FactsChanged(c)) => {
                c.update.affected.is_some() || c.update.unreachable.is_some()
            }
            (Some(Records::Delay), Event::FactsChanged(c)) => {
                c.update.law_enforcement_delay.is_some()
            }
            (Some(Records::Notice(to)), Event::NoticeSent(n)) => n.to == to,
            _ => false,
        }
    }

    /// One step's view: the clock is worked out only for a notice step, the one kind whose
    /// state it decides (a dependency check asks this of every dependency of every step).
    pub(crate) fn view(&self, id: &str) -> Option<StepView<'_>> {
        let (phase, step) = self.runbook.step(id)?;
        let obligations = if step.notice_to().is_some() {
            self.clock(self.discovered.date).obligations
        } else {
            Vec::new()
        };
        Some(self.view_of(phase, step, &obligations))
    }

    /// The dependencies of `step` that still hold it back: open and applicable.
    pub(crate) fn blocking_dependencies(&self, step: &Step) -> Vec<String> {
        step.depends_on
            .iter()
            .filter_map(|dep| self.view(&dep.value))
            .filter(|v| v.active && v.state() == StepState::Open)
            .map(|v| v.step.id.value.clone())
            .collect()
    }

    /// Steps that can be worked now: open, applicable, and with every dependency settled.
    pub(crate) fn workable(&self) -> Vec<StepView<'_>> {
        if self.is_closed() {
            return Vec::new();
        }
        self.step_views()
            .into_iter()
            .filter(|v| {
                v.active
                    && v.state() == StepState::Open
                    && self.blocking_dependencies(v.step).is_empty()
            })
            .collect()
    }

    /// Required, applicable steps that are still open: what blocks `close`.
    pub(crate) fn open_required(&self) -> Vec<String> {
        self.step_views()
            .into_iter()
            .filter(|v| v.step.required && v.active && v.state() == StepState::Open)
            .map(|v| v.step.id.value.clone())
            .collect()
    }

    /// Counts of settled (not open) and applicable steps per phase.
    pub(crate) fn progress(&self) -> Vec<(Phase, usize, usize)> {
        let views = self.step_views();
        Phase::ALL
            .iter()
            .map(|&phase| {
                let in_phase: Vec<_> = views
                    .iter()
                    .filter(|v| v.phase == phase && v.active)
                    .collect();
                let settled = in_phase
                    .iter()
                    .filter(|v| v.state() != StepState::Open)
                    .count();
                (phase, settled, in_phase.len())
            })
            .collect()
    }

    /// The step with this id, or an error that suggests the closest id.
    pub(crate) fn find_step(&self, id: &str) -> Result<StepView<'_>, Error> {
        self.view(id).ok_or_else(|| Error::UnknownStep {
            step: crate::text::sanitize(id).into_owned(),
            incident: self.id.clone(),
            suggestion: crate::text::closest(
                id,
                self.runbook.steps().map(|(_, s)| s.id.value.as_str()),
            ),
        })
    }

    /// Checks that `step` may move to `target`; returns the step's view.
    pub(crate) fn check_transition(
        &self,
        id: &str,
        target: StepState,
    ) -> Result<StepView<'_>, Error> {
        if self.is_closed() {
            return Err(Error::refused(format!(
                "incident {} is closed: steps can no longer change (notes are still accepted)",
                self.id
            )));
        }
        let view = self.find_step(id)?;
        let current = view.state();
        if let Some(Records::Notice(to)) = view.step.records.as_ref().map(|r| r.value)
            && view.active
            && target != StepState::Done
        {
            let summary = self.notice_shortfall(to);
            return Err(Error::refused(if current == StepState::Done {
                format!(
                    "step `{id}` is done because the clock counts its notice as given ({summary}); a notice once sent stays sent: if a count changed, record it with `breach facts`"
                )
            } else {
                format!(
                    "step `{id}` stands for the notice to {} that the clock says is due ({summary}): it is done by recording the notice (`breach done {id} --date … --method …` or `breach notify --to {}`), and drops away only when the facts or an assessment say the notice is not needed",
                    to.label(),
                    to.flag()
                )
            }));
        }
        if current == target {
            let hint = if target == StepState::Open {
                String::new()
            } else {
                format!("; to change it, first `breach reopen {id} --reason …`")
            };
            return Err(Error::refused(format!(
                "step `{id}` is already {}{hint}",
                current.label()
            )));
        }
        if target != StepState::Open && current != StepState::Open {
            return Err(Error::refused(format!(
                "step `{id}` is {}; `breach reopen {id} --reason …` first to change it",
                current.label()
            )));
        }
        if target == StepState::Done {
            let blocking = self.blocking_dependencies(view.step);
            if !blocking.is_empty() {
                return Err(Error::refused(format!(
                    "step `{id}` waits on {}: finish, skip or mark those not applicable first",
                    blocking
                        .iter()
                        .map(|b| format!("`{b}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        Ok(view)
    }

    /// When a step is due. A step bound to a notice is due when the clock says that notice is
    /// due, at the end of that day: held by law enforcement, moved by the facts, per state (the
    /// earliest of them). Any other step is due its runbook offset after discovery: hours from
    /// the moment of discovery, or days as the end of that calendar day in the organisation's
    /// zone.
    pub(crate) fn step_due(
        &self,
        step: &Step,
        calendar: &crate::clock::Calendar,
    ) -> Option<DateTime<Utc>> {
        self.step_due_in_any_zone(step)
            .map(|due| due.instant(calendar))
    }

    /// When a step is due, before a zone says when a day ends (so a cache of it holds in any
    /// zone).
    pub(crate) fn step_due_in_any_zone(&self, step: &Step) -> Option<StepDue> {
        if let Some(Records::Notice(to)) = step.records.as_ref().map(|r| r.value) {
            let audience = to;
            return self
                .due_dates()
                .iter()
                .filter(|o| o.key.audience() == audience)
                .map(|o| o.due)
                .min()
                .map(StepDue::EndOf);
        }
        let offset = step.due.as_ref()?;
        Some(match offset.value {
            // Days are calendar days in the organisation's zone, as the regulation counts
            // them: the end of the last day, whatever a change of clocks did in between.
            crate::runbook::Due::Days(days) => {
                StepDue::EndOf(self.discovered.date + chrono::Duration::days(i64::from(days)))
            }
            crate::runbook::Due::Hours(_) => {
                StepDue::At(self.discovered_at() + chrono::Duration::hours(offset.value.hours()))
            }
        })
    }
}
