//! One incident in a few hundred bytes: what the store-wide views need (`list`, `deadlines
//! --all`, the annual report to HHS), derived from a full verified replay.
//!
//! A summary is a cache, never a record: the store keeps it beside the log keyed to the exact
//! log it was built from (its length and last hash) and rebuilds it whenever the log differs, so
//! a summary is only ever read for the log it describes, and `verify` never reads one.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::obligations::{Audience, Key, Status};
use super::{Incident, StepDue, StepState};
use crate::log::Head;

/// The version of the summary's shape and of its cache line; a cache of another version is
/// rebuilt.
pub(crate) const SUMMARY_VERSION: u32 = 8;

/// What made a summary: this build and the state-law table it read (counsel's table changes
/// the state items), so a cache made by another is rebuilt.
pub(crate) fn summary_maker() -> &'static str {
    static MAKER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    MAKER.get_or_init(|| {
        format!(
            "{}+{}",
            env!("CARGO_PKG_VERSION"),
            crate::rules::state::fingerprint()
        )
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Summary {
    pub id: String,
    pub title: String,
    pub closed: bool,
    /// Set aside as a test or practice incident: hidden from the store-wide views by default.
    #[serde(default)]
    pub discarded: bool,
    #[serde(deserialize_with = "crate::clock::stored_day::day")]
    pub discovered: NaiveDate,
    pub runbook: String,
    pub settled: usize,
    pub applicable: usize,
    pub head: Head,
    /// Every obligation that applies, with what it takes to say its status on any day.
    pub obligations: Vec<Owed>,
    /// When each open step that applies and has a due time falls due (an open incident's).
    #[serde(default)]
    pub open_step_dues: Vec<StepDue>,
    /// The open steps that apply and are assigned to someone (an open incident's).
    #[serde(default)]
    pub assigned: Vec<AssignedStep>,
    pub annual: Annual,
}

/// An open step assigned to a person, as `list --mine` and `remind` read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AssignedStep {
    pub step: String,
    pub title: String,
    pub assignee: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<StepDue>,
}

/// What the list of incidents shows of one: kept in place of its whole summary, so that a long
/// list holds a few dozen bytes an incident.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Brief {
    pub id: String,
    pub title: String,
    /// `open`, `closed` or `discarded`.
    pub state: String,
    #[serde(deserialize_with = "crate::clock::stored_day::day")]
    pub discovered: NaiveDate,
    pub runbook: String,
    pub settled: usize,
    pub applicable: usize,
    pub head: Head,
    /// Obligations overdue on the day the list was made.
    pub overdue: usize,
    /// Open steps past their due time when the list was made.
    pub overdue_steps: usize,
}

/// What `list` reads of a summary, borrowed from its cached text: the rest (the annual report's
/// fields, why and on what basis each obligation applies) is passed over unread.
#[derive(Debug, Deserialize)]
pub(crate) struct ListView<'a> {
    #[serde(borrow)]
    pub id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub title: std::borrow::Cow<'a, str>,
    pub closed: bool,
    #[serde(default)]
    pub discarded: bool,
    #[serde(deserialize_with = "crate::clock::stored_day::day")]
    pub discovered: NaiveDate,
    #[serde(borrow)]
    pub runbook: std::borrow::Cow<'a, str>,
    pub settled: usize,
    pub applicable: usize,
    pub head: Head,
    pub obligations: Vec<DueView>,
    #[serde(default)]
    pub open_step_dues: Vec<StepDue>,
    #[serde(default)]
    pub assigned: Vec<AssignedStep>,
}

/// An obligation's due date and whether it was met, as `list` counts what is overdue.
#[derive(Debug, Deserialize)]
pub(crate) struct DueView {
    #[serde(deserialize_with = "crate::clock::stored_day::day")]
    pub due: NaiveDate,
    #[serde(default, deserialize_with = "crate::clock::stored_day::maybe_day")]
    pub met_on: Option<NaiveDate>,
}

impl ListView<'_> {
    /// `open`, `closed` or `discarded`.
    pub(crate) fn state_name(&self) -> &'static str {
        if self.discarded {
            "discarded"
        } else if self.closed {
            "closed"
        } else {
            "open"
        }
    }

    /// How many of an open incident's obligations are overdue on `today` (as
    /// [`Owed::status`] says).
    pub(crate) fn overdue(&self, today: NaiveDate) -> usize {
        if self.closed {
            return 0;
        }
        self.obligations
            .iter()
            .filter(|o| Status::on(today, o.due, o.met_on, false) == Status::Overdue)
            .count()
    }

    /// How many of an open incident's open steps are past their due time at `now`, in the
    /// organisation's zone (`calendar`).
    pub(crate) fn overdue_steps(&self, calendar: &crate::clock::Calendar) -> usize {
        if self.closed {
            return 0;
        }
        let now = calendar.now();
        self.open_step_dues
            .iter()
            .filter(|due| due.instant(calendar) < now)
            .count()
    }

    /// What the list shows of this incident on `today`.
    pub(crate) fn brief(self, today: NaiveDate, calendar: &crate::clock::Calendar) -> Brief {
        Brief {
            state: self.state_name().to_owned(),
            overdue: self.overdue(today),
            overdue_steps: self.overdue_steps(calendar),
            id: self.id.into_owned(),
            title: self.title.into_owned(),
            discovered: self.discovered,
            runbook: self.runbook.into_owned(),
            settled: self.settled,
            applicable: self.applicable,
            head: self.head,
        }
    }
}

/// What `deadlines --all` reads of a summary, borrowed from its cached text.
#[derive(Debug, Deserialize)]
pub(crate) struct DeadlinesView<'a> {
    #[serde(borrow)]
    pub id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub title: std::borrow::Cow<'a, str>,
    /// Closed or discarded: nothing is owed any more.
    pub closed: bool,
    #[serde(borrow)]
    pub obligations: Vec<OwedView<'a>>,
}

/// An obligation as [`DeadlinesView`] reads it: [`Owed`], borrowed.
#[derive(Debug, Deserialize)]
pub(crate) struct OwedView<'a> {
    pub key: Key,
    #[serde(borrow)]
    pub label: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    pub state: Option<std::borrow::Cow<'a, str>>,
    #[serde(deserialize_with = "crate::clock::stored_day::day")]
    pub due: NaiveDate,
    #[serde(default, deserialize_with = "crate::clock::stored_day::maybe_day")]
    pub met_on: Option<NaiveDate>,
    pub partial: bool,
    #[serde(borrow)]
    pub why: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub basis: std::borrow::Cow<'a, str>,
    #[serde(default, deserialize_with = "crate::clock::stored_day::maybe_day")]
    pub held_until: Option<NaiveDate>,
    #[serde(default)]
    pub expedient: bool,
    #[serde(borrow, default)]
    pub entity: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pub assignee: Option<std::borrow::Cow<'a, str>>,
}

impl OwedView<'_> {
    /// Not met yet.
    pub(crate) fn is_open(&self) -> bool {
        self.met_on.is_none()
    }

    /// The obligation, owned; why and on what basis only with `reasons` (a calendar needs them,
    /// a table does not).
    pub(crate) fn into_owed(self, reasons: bool) -> Owed {
        let text = |t: std::borrow::Cow<'_, str>| {
            if reasons {
                t.into_owned()
            } else {
                String::new()
            }
        };
        Owed {
            key: self.key,
            label: self.label.into_owned(),
            state: self.state.map(std::borrow::Cow::into_owned),
            due: self.due,
            met_on: self.met_on,
            partial: self.partial,
            why: text(self.why),
            basis: text(self.basis),
            held_until: self.held_until,
            expedient: self.expedient,
            entity: self.entity.map(std::borrow::Cow::into_owned),
            assignee: self.assignee.map(std::borrow::Cow::into_owned),
        }
    }
}

/// What choosing an incident by part of its title reads of a summary, borrowed from its cached
/// text.
#[derive(Debug, Deserialize)]
pub(crate) struct TitleView<'a> {
    #[serde(borrow)]
    pub title: std::borrow::Cow<'a, str>,
    /// Closed or discarded.
    pub closed: bool,
}

/// Which year an incident belongs to, for the annual report: read first, so that only the
/// year's incidents are read whole.
#[derive(Debug, Deserialize)]
pub(crate) struct YearView {
    #[serde(deserialize_with = "crate::clock::stored_day::day")]
    pub discovered: NaiveDate,
    #[serde(default)]
    pub discarded: bool,
}

/// An obligation as the clock left it: its status on a given day follows from these.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Owed {
    pub key: Key,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(deserialize_with = "crate::clock::stored_day::day")]
    pub due: NaiveDate,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::clock::stored_day::maybe_day"
    )]
    pub met_on: Option<NaiveDate>,
    /// Notices went to part of the people it must reach.
    pub partial: bool,
    /// Why it applies, and its legal basis, as the clock says them.
    pub why: String,
    pub basis: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::clock::stored_day::maybe_day"
    )]
    pub held_until: Option<NaiveDate>,
    /// A state item with no day count: `due` is the latest day the clock holds it to.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expedient: bool,
    /// The covered entity, for a business associate's notice to one of several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// The person assigned the open step that records this notice, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

impl Owed {
    /// The status on `today`, as the incident's own clock would say it.
    pub(crate) fn status(&self, today: NaiveDate) -> Status {
        Status::on(today, self.due, self.met_on, self.partial)
    }
}

/// What the annual report to HHS asks of one incident (45 CFR 164.408(c); the portal's fields
/// as the reference lists them).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Annual {
    pub assessed: bool,
    pub notification_required: bool,
    pub business_associate: bool,
    pub affected: Option<u64>,
    #[serde(default, deserialize_with = "crate::clock::stored_day::maybe_day")]
    pub breach_started: Option<NaiveDate>,
    pub breach_started_unknown: bool,
    #[serde(default, deserialize_with = "crate::clock::stored_day::maybe_day")]
    pub breach_ended: Option<NaiveDate>,
    pub breach_type: String,
    pub location: String,
    pub phi_types: Option<String>,
    pub description: Option<String>,
    pub actions_taken: Option<String>,
    /// Every notice given: to whom, when.
    pub notices: Vec<(Audience, NaiveDate)>,
}

impl Annual {
    /// The date HHS was notified, when it was.
    pub(crate) fn reported_on(&self) -> Option<NaiveDate> {
        self.notices
            .iter()
            .filter(|(to, _)| *to == Audience::Hhs)
            .map(|(_, d)| *d)
            .min()
    }

    /// Whether the annual report covers this incident: a breach of fewer than 500 that
    /// requires notification, of a covered entity (a business associate reports to its covered
    /// entity instead).
    pub(crate) fn in_annual_report(&self) -> bool {
        self.notification_required
            && !self.business_associate
            && self
                .affected
                .is_some_and(|n| n < super::obligations::HHS_THRESHOLD)
    }
}

/// The portal's "type of breach" for a runbook's scenario, with how sure the mapping is.
pub(crate) fn portal_breach_type(scenario: &str) -> &'static str {
    match scenario {
        "misdirected_email" => {
            "Unauthorized Access/Disclosure (a secondary source's mapping for misdirected email; confirm with counsel)"
        }
        "compromised_mailbox" => {
            "Hacking/IT Incident (a secondary source's mapping; confirm with counsel)"
        }
        _ => {
            "NOT CONFIRMED: no source found for this kind of incident; choose on the portal with counsel"
        }
    }
}

impl Summary {
    pub(crate) fn of(incident: &Incident) -> Summary {
        let (settled, applicable) = incident
            .progress()
            .iter()
            .fold((0, 0), |(s, t), (_, settled, total)| {
                (s + settled, t + total)
            });
        let clock = incident.clock(incident.discovered.date);
        let holders = notice_holders(incident);
        let f = &incident.facts;
        Summary {
            id: incident.id.clone(),
            title: incident.title.clone(),
            closed: incident.is_closed(),
            discarded: incident.discarded.is_some(),
            discovered: incident.discovered.date,
            runbook: incident.pinned.id.clone(),
            settled,
            applicable,
            head: incident.head.clone(),
            obligations: clock
                .obligations
                .iter()
                .map(|o| Owed {
                    key: o.key,
                    label: o.label(),
                    state: o.state.clone(),
                    due: o.due,
                    met_on: o.met_on,
                    partial: o.status == Status::Partial,
                    why: o.why.clone(),
                    basis: o.basis.clone(),
                    held_until: o.held_until,
                    expedient: o.expedient(),
                    entity: o.entity.clone(),
                    assignee: holders.get(&o.key.audience()).cloned(),
                })
                .collect(),
            open_step_dues: if incident.is_closed() {
                Vec::new()
            } else {
                incident
                    .step_views()
                    .iter()
                    .filter(|v| v.active && v.state() == StepState::Open)
                    .filter_map(|v| incident.step_due_in_any_zone(v.step))
                    .collect()
            },
            assigned: assigned_steps(incident),
            annual: Annual {
                assessed: incident.assessment.is_some(),
                notification_required: f.notification_required,
                business_associate: f.business_associate,
                affected: f.affected,
                breach_started: f.breach_started,
                breach_started_unknown: f.breach_started_unknown,
                breach_ended: f.breach_ended,
                breach_type: portal_breach_type(&incident.runbook.scenario.value).to_owned(),
                location: "Email".to_owned(),
                phi_types: f.notice.phi_types.clone(),
                description: f.notice.what_happened.clone(),
                actions_taken: f.notice.our_response.clone(),
                notices: incident
                    .notices
                    .iter()
                    .map(|n| (n.value.to, n.value.date))
                    .collect(),
            },
        }
    }
}

/// Who holds, for each audience, an open step that records a notice to it (the first such
/// step assigned to someone): the person a reminder of that notice goes to. One pass over the
/// steps, whatever the number of obligations.
fn notice_holders(incident: &Incident) -> std::collections::HashMap<Audience, String> {
    let mut holders = std::collections::HashMap::new();
    for v in incident.step_views() {
        if !v.active || v.state() != StepState::Open {
            continue;
        }
        if let (Some(crate::runbook::Records::Notice(to)), Some(who)) = (
            v.step.records.as_ref().map(|r| r.value),
            incident.assignee(&v.step.id.value),
        ) {
            holders.entry(to).or_insert_with(|| who.to_owned());
        }
    }
    holders
}

/// An open incident's open, applicable steps that someone is assigned.
fn assigned_steps(incident: &Incident) -> Vec<AssignedStep> {
    if incident.is_closed() {
        return Vec::new();
    }
    incident
        .step_views()
        .iter()
        .filter(|v| v.active && v.state() == StepState::Open)
        .filter_map(|v| {
            Some(AssignedStep {
                step: v.step.id.value.clone(),
                title: v.step.title.value.clone(),
                assignee: incident.assignee(&v.step.id.value)?.to_owned(),
                due: incident.step_due_in_any_zone(v.step),
            })
        })
        .collect()
}
