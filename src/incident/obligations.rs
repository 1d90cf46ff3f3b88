//! The notification obligations of 45 CFR 164.404–164.412 and their due dates, computed from the
//! discovery date and the recorded facts, determination and notices.
//!
//! Pure calendar arithmetic: no clock, no I/O, so every threshold edge is tested directly. Every
//! deadline is a calendar date, trigger date + N days (a DERIVED counting rule: see
//! ARCHITECTURE.md, "Regulatory sources"). Where a fact is unknown the computation is conservative and says so.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::incident::Facts;
pub(crate) use crate::incident::event::DueChange;
use crate::rules::{Applies, Due, HIPAA, Party, RETENTION_YEARS, Rule, SUBSTITUTE_POSTING_DAYS};
pub(crate) use crate::rules::{
    Audience, HHS_THRESHOLD, Key, MEDIA_THRESHOLD, NOTICE_DAYS, SUBSTITUTE_WEB_OR_MEDIA,
    SubstituteForm,
};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    Pending,
    /// Notices went to some of the people who can be reached, not all yet.
    Partial,
    Overdue,
    Met,
    MetLate,
}

impl Status {
    /// The status as the log and `--json` write it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Partial => "partial",
            Status::Overdue => "overdue",
            Status::Met => "met",
            Status::MetLate => "met_late",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Partial => "partial",
            Status::Overdue => "OVERDUE",
            Status::Met => "met",
            Status::MetLate => "met late",
        }
    }
}

/// A notice recorded as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SentNotice {
    pub to: Audience,
    pub date: NaiveDate,
    pub state: Option<String>,
    /// How many notices it was, when recorded.
    pub count: Option<u64>,
    /// Whether it counts toward its obligation (a method the rule allows for its audience).
    pub counts: bool,
    /// Whether it went by email, which counts only for those who agreed to it.
    pub by_email: bool,
    /// Whether it re-sent letters that came back to a corrected address.
    pub remailed: bool,
    /// The covered entity it went to, for a business associate serving several.
    pub entity: Option<String>,
}

/// What went out for a notice sent to people, kept apart: letters mailed (first-class), notices
/// emailed (to those who agreed), letters that came back undeliverable, and those re-mailed to a
/// corrected address. Only notices the rule allows are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, schemars::JsonSchema)]
pub(crate) struct NoticesSent {
    pub mailed: u64,
    pub emailed: u64,
    pub returned: u64,
    pub remailed: u64,
}

impl NoticesSent {
    /// "15000 mailed, 12 returned, 0 re-mailed; 14988 of 19988 reached".
    pub(crate) fn describe(&self, notified: u64, reachable: Option<u64>) -> String {
        let mut out = format!("{} mailed", self.mailed);
        if self.emailed > 0 {
            out.push_str(&format!(", {} emailed", self.emailed));
        }
        out.push_str(&format!(
            ", {} returned, {} re-mailed",
            self.returned, self.remailed
        ));
        match reachable {
            Some(r) => out.push_str(&format!("; {notified} of {r} reached")),
            None => out.push_str("; how many are affected is not recorded"),
        }
        out
    }
}

/// One obligation that applies, with its due date and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct Obligation {
    pub key: Key,
    /// The day it is due; for an expedient state item, the latest day the clock holds it to.
    #[serde(skip)]
    pub due: NaiveDate,
    /// The due date as `--json` writes it: null for an item with no day count (expedient).
    #[serde(rename = "due")]
    pub due_shown: Option<NaiveDate>,
    /// For an expedient state item: the latest day the clock holds it to (HIPAA's date for
    /// the same notice), which `days_left` counts to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<NaiveDate>,
    /// The state or jurisdiction, for media notice and the state-law items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The covered entity, for a business associate's notice when the facts name several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    pub status: Status,
    /// Days from today to the due date (negative when overdue).
    pub days_left: i64,
    pub basis: String,
    /// Why it applies, in the facts' terms.
    pub why: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<SubstituteForm>,
    /// The last day a law-enforcement delay holds this notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<NaiveDate>,
    /// The date of the notice that met it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_on: Option<NaiveDate>,
    /// For the individual notice: how many have been notified, and how many can be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notified: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reachable: Option<u64>,
    /// For the notices to individuals and to the next of kin: what was mailed, emailed,
    /// returned and re-mailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<NoticesSent>,
    /// For a substitute notice on the web or in the media: the 90 days its posting and the
    /// toll-free line must stay up, from the day it was given (164.404(d)(2)(ii)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_up: Option<Period>,
    /// For a state-law item: what its row of the state table says.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub state_law: Option<StateLaw>,
}

impl Obligation {
    /// An obligation due on `due`, pending, before the clock checks it against the notices.
    pub(crate) fn new(key: Key, due: NaiveDate, basis: String, why: String) -> Obligation {
        Obligation {
            key,
            due,
            due_shown: Some(due),
            latest: None,
            state: None,
            entity: None,
            status: Status::Pending,
            days_left: 0,
            basis,
            why,
            form: None,
            held_until: None,
            met_on: None,
            notified: None,
            reachable: None,
            sent: None,
            keep_up: None,
            state_law: None,
        }
    }

    /// Whether it has no day count of its own (a state law's "most expedient time").
    pub(crate) fn expedient(&self) -> bool {
        self.state_law.as_ref().is_some_and(|l| l.expedient)
    }

    /// The due date in words: "2026-04-01", or "expedient (by 2026-05-01 at the latest)".
    pub(crate) fn due_words(&self) -> String {
        if self.expedient() {
            format!("{} at the latest (expedient: no day count)", self.due)
        } else {
            self.due.to_string()
        }
    }

    /// What went out for a notice to people, in words, when anything did.
    pub(crate) fn progress(&self) -> Option<String> {
        self.sent
            .map(|s| s.describe(self.notified.unwrap_or(0), self.reachable))
    }

    /// The obligation in words, with its state for media notice: "Notice to media (TX)".
    pub(crate) fn label(&self) -> String {
        match &self.state {
            Some(s) if state::needs_review(self) => {
                format!(
                    "{} ({s}, possibly due, {})",
                    self.key.label(),
                    state::NEEDS_REVIEW
                )
            }
            Some(s) => format!("{} ({s})", self.key.label()),
            None => match &self.entity {
                Some(e) => format!("{} ({e})", self.key.label()),
                None => self.key.label().to_owned(),
            },
        }
    }
}

/// What the clock says for an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct Clock {
    pub obligations: Vec<Obligation>,
    /// Conservative assumptions made because a fact is unknown.
    pub assumptions: Vec<String>,
    /// Facts worth recording so the clock can be exact.
    pub warnings: Vec<String>,
}

/// The last day the incident's record must be kept: six years from when it was created or
/// last in effect, whichever is later (45 CFR 164.530(j)(2)). DERIVED: "last in effect" is read
/// as the day of its last entry.
pub(crate) fn retain_until(created: NaiveDate, last_in_effect: NaiveDate) -> NaiveDate {
    let from = created.max(last_in_effect);
    NaiveDate::from_ymd_opt(from.year() + RETENTION_YEARS, from.month(), from.day())
        // 29 February six years on is 28 February.
        .or_else(|| NaiveDate::from_ymd_opt(from.year() + RETENTION_YEARS, from.month(), 28))
        .expect("a valid date")
}

/// How many individuals written notice can reach: those affected less those who cannot be
/// reached, when both are known.
pub(crate) fn reachable(facts: &Facts) -> Option<u64> {
    Some(
        facts
            .affected?
            .saturating_sub(facts.unreachable.unwrap_or(0)),
    )
    .filter(|_| facts.unreachable.is_some())
}

/// The annual-report date for a small breach: 60 days after 31 December of the year of
/// discovery — 1 March, or 29 February when the following year is a leap year.
pub(crate) fn annual_report_due(discovered: NaiveDate) -> NaiveDate {
    due_date(
        Due::AfterYearOfDiscovery(NOTICE_DAYS),
        discovered,
        &Facts::default(),
    )
}

/// The obligations that apply and their due dates, before anything is checked off: the part
/// of the clock that facts can move. Each row of the rule table ([`HIPAA`]) the party owes is
/// asked whether it applies to these facts; then the law-enforcement holds move what they hold.
pub(crate) fn due_dates(
    discovered: NaiveDate,
    facts: &Facts,
    notification_required: bool,
) -> (Vec<Obligation>, Vec<String>, Vec<String>) {
    let mut list = Vec::new();
    let mut assumptions = Vec::new();
    let mut warnings = Vec::new();
    if !notification_required && !facts.business_associate {
        assumptions.extend(state::not_listed(facts, notification_required));
        return (list, assumptions, warnings);
    }
    let party = if facts.business_associate {
        Party::BusinessAssociate
    } else {
        Party::CoveredEntity
    };
    for rule in HIPAA.iter().filter(|r| r.party == party) {
        for found in applies(rule, facts) {
            if found.assumed
                && let Some(note) = rule.assumed
            {
                assumptions.push(note.to_owned());
            }
            let mut o = Obligation::new(
                rule.key,
                due_date(rule.due, discovered, facts),
                rule.basis.clone().into_owned(),
                rule.why.map_or(found.why, str::to_owned),
            );
            o.state = found.state;
            o.form = rule.form;
            // A business associate owes each covered entity it names its own notice.
            if rule.audience == Audience::CoveredEntity && !facts.covered_entities.is_empty() {
                for entity in &facts.covered_entities {
                    let mut each = o.clone();
                    each.entity = Some(entity.clone());
                    list.push(each);
                }
                continue;
            }
            list.push(o);
        }
    }
    if party == Party::CoveredEntity && notification_required {
        let (items, assumed, warned) =
            state::items(state::table, facts, &state::Anchors::of(discovered, &list));
        list.extend(items);
        assumptions.extend(assumed);
        warnings.extend(warned);
    }
    assumptions.extend(state::not_listed(facts, notification_required));
    if party == Party::BusinessAssociate && !notification_required {
        assumptions.push(
            "The business associate's own assessment found a low probability of compromise, but the determination is the covered entity's: the associate still reports the incident to it under its agreement (45 CFR 164.504(e)(2)(ii)(C), 164.314(a)(2)(i)(C)). INTERPRETATION.".to_owned(),
        );
    }
    if party == Party::CoveredEntity && some_residents_without_a_state(facts) {
        warnings.push(
            "Not every affected individual is assigned to a state: a state with more than 500 residents affected needs media notice (45 CFR 164.406); record them with `breach facts --state XX=N`."
                .to_owned(),
        );
    }
    for o in &mut list {
        hold(o, facts);
    }
    assumptions.extend(hold_assumption(facts));
    (list, assumptions, warnings)
}

/// One way a row applies: for which state, why (in the facts' terms), and whether only
/// because a count is unknown.
struct Found {
    state: Option<String>,
    why: String,
    assumed: bool,
}

/// Where `rule` applies to `facts`: nowhere, once, or once per state.
fn applies(rule: &Rule, facts: &Facts) -> Vec<Found> {
    let once = |why: String, assumed: bool| {
        vec![Found {
            state: None,
            why,
            assumed,
        }]
    };
    let contact = |n: u64, band: &str| {
        format!("{n} individual(s) with insufficient or out-of-date contact details ({band})")
    };
    match rule.applies {
        Applies::Always => once(String::new(), false),
        Applies::UnreachableBetween { from, below } => match facts.unreachable {
            Some(n) if from <= n && n < below => once(contact(n, "fewer than 10"), false),
            _ => Vec::new(),
        },
        Applies::UnreachableAtLeastOrUnknown(at_least) => match facts.unreachable {
            Some(n) if n >= at_least => once(contact(n, "10 or more"), false),
            Some(_) => Vec::new(),
            None => once(
                "the number who cannot be reached is unknown: assumed 10 or more until recorded"
                    .to_owned(),
                true,
            ),
        },
        Applies::AffectedBelow(below) => match facts.affected {
            Some(n) if n < below => {
                once(format!("{n} individual(s) affected: fewer than 500"), false)
            }
            _ => Vec::new(),
        },
        Applies::AffectedAtLeastOrUnknown(at_least) => match facts.affected {
            Some(n) if n >= at_least => once(
                format!("{n} individuals affected: 500 or more in total"),
                false,
            ),
            Some(_) => Vec::new(),
            None => once(
                "the number affected is unknown: assumed 500 or more until recorded".to_owned(),
                true,
            ),
        },
        Applies::EachStateMoreThan(more_than) => facts
            .states
            .iter()
            .filter(|(_, residents)| **residents > more_than)
            .map(|(state, residents)| Found {
                state: Some(state.clone()),
                why: format!("{residents} residents of {state}: more than 500"),
                assumed: false,
            })
            .collect(),
        Applies::DeceasedAtLeast(at_least) => match facts.deceased {
            Some(n) if n >= at_least => once(format!("{n} of the affected have died"), false),
            _ => Vec::new(),
        },
        Applies::AgreementShorterThan(days) => match facts.ba_agreement_days {
            Some(d) if i64::from(d) < days => once(
                format!("the agreement allows {d} day(s), fewer than the regulation's 60"),
                false,
            ),
            _ => Vec::new(),
        },
    }
}

/// A row's due date for these facts, before any hold.
fn due_date(due: Due, discovered: NaiveDate, facts: &Facts) -> NaiveDate {
    match due {
        Due::AfterDiscovery(days) => discovered + chrono::Duration::days(days),
        Due::AfterYearOfDiscovery(days) => {
            NaiveDate::from_ymd_opt(discovered.year(), 12, 31).expect("31 December exists")
                + chrono::Duration::days(days)
        }
        Due::AgreementDays => {
            discovered + chrono::Duration::days(i64::from(facts.ba_agreement_days.unwrap_or(0)))
        }
    }
}

/// Whether more than a media threshold's worth of the affected are in no state, or nobody is
/// counted at all: a state that needs media notice could be hidden.
fn some_residents_without_a_state(facts: &Facts) -> bool {
    let in_states: u64 = facts.states.values().sum();
    let unassigned = facts.affected.map(|a| a.saturating_sub(in_states));
    unassigned.is_some_and(|u| u > MEDIA_THRESHOLD)
        || (facts.affected.is_none() && facts.states.is_empty())
}

/// The whole clock: obligations with their status against the notices sent, as of `today`.
pub(crate) fn clock(
    discovered: NaiveDate,
    facts: &Facts,
    notification_required: bool,
    notices: &[SentNotice],
    today: NaiveDate,
) -> Clock {
    let (mut obligations, assumptions, warnings) =
        due_dates(discovered, facts, notification_required);
    state::anchor_to_notices(&mut obligations, notices, state::table);
    for o in &mut obligations {
        o.due_shown = (!o.expedient()).then_some(o.due);
        if o.key == Key::StateIndividualNotice {
            continue;
        }
        let mut matching: Vec<&SentNotice> = notices
            .iter()
            .filter(|n| {
                n.counts
                    && n.to == o.key.audience()
                    && (o.state.is_none() || n.state == o.state)
                    && (o.entity.is_none() || n.entity == o.entity)
            })
            .collect();
        matching.sort_by_key(|n| n.date);
        let mut met_on = matching.first().map(|n| n.date);
        let mut partial = false;
        if matches!(o.key, Key::IndividualNotice | Key::NextOfKinNotice) && !matching.is_empty() {
            let (met, notified, owed) = if o.key == Key::IndividualNotice {
                individuals_reached(facts, &matching)
            } else {
                // One letter to the next of kin of each deceased individual.
                reached(&matching, facts.deceased, None, 0)
            };
            met_on = met;
            o.notified = Some(notified);
            o.reachable = owed;
            o.sent = Some(notices_sent(facts, &matching, o.key, owed));
            partial = met_on.is_none();
        }
        o.met_on = met_on;
        if o.form == Some(SubstituteForm::WebOrMedia)
            && let Some(from) = met_on
        {
            o.keep_up = Some(Period {
                from,
                until: from + chrono::Duration::days(SUBSTITUTE_POSTING_DAYS - 1),
            });
        }
        o.days_left = (o.due - today).num_days();
        o.status = Status::on(today, o.due, met_on, partial);
    }
    state::settle_residents(&mut obligations, facts, notices, today);
    // Overdue first, then by due date: what needs doing soonest leads.
    obligations.sort_by_key(|o| {
        (
            o.status != Status::Overdue,
            matches!(o.status, Status::Met | Status::MetLate),
            o.due,
            o.key,
            o.state.clone(),
            o.entity.clone(),
        )
    });
    Clock {
        obligations,
        assumptions,
        warnings,
    }
}

impl Status {
    /// An obligation's status on `today`, from its due date, when it was met, and whether
    /// notices went to part of the people it must reach: the one rule the clock and every view
    /// of a summary use.
    pub(crate) fn on(
        today: NaiveDate,
        due: NaiveDate,
        met_on: Option<NaiveDate>,
        partial: bool,
    ) -> Status {
        match met_on {
            Some(d) if d <= due => Status::Met,
            Some(_) => Status::MetLate,
            None if today > due => Status::Overdue,
            None if partial => Status::Partial,
            None => Status::Pending,
        }
    }
}

/// The due dates that differ between `before` and `after`.
pub(crate) fn changes(before: &[Obligation], after: &[Obligation]) -> Vec<DueChange> {
    type Which = (Key, Option<String>, Option<String>);
    let index = |list: &[Obligation]| -> BTreeMap<Which, NaiveDate> {
        list.iter()
            .map(|o| ((o.key, o.state.clone(), o.entity.clone()), o.due))
            .collect()
    };
    let (b, a) = (index(before), index(after));
    let mut keys: Vec<&Which> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(k) != a.get(k))
        .map(|k| DueChange {
            key: k.0.name().to_owned(),
            state: k.1.clone().or_else(|| k.2.clone()),
            old: b.get(k).copied(),
            new: a.get(k).copied(),
        })
        .collect()
}

/// When the written notice to individuals reached everyone it must (164.404(d)(1)), by the
/// notices that count, in date order: everyone affected but those counted unreachable, who are
/// owed the substitute notice instead. While the unreachable are not counted, everyone affected
/// must be reached; while the affected are not counted, no mailing completes it. A notice
/// recorded without a count is taken as everyone; email counts only up to those who agreed to
/// it. Returns the day it was met, how many were notified, and how many must be.
fn individuals_reached(
    facts: &Facts,
    notices: &[&SentNotice],
) -> (Option<NaiveDate>, u64, Option<u64>) {
    let owed = facts
        .affected
        .map(|a| a.saturating_sub(facts.unreachable.unwrap_or(0)));
    reached(
        notices,
        owed,
        Some(facts.email_consent.unwrap_or(0)),
        facts.returned,
    )
}

/// What went out for the notice `key`, by the notices that count for it.
fn notices_sent(
    facts: &Facts,
    notices: &[&SentNotice],
    key: Key,
    owed: Option<u64>,
) -> NoticesSent {
    let mut sent = NoticesSent::default();
    for n in notices {
        let count = n.count.or(owed).unwrap_or(0);
        if n.remailed {
            sent.remailed += count;
        } else if n.by_email {
            sent.emailed += count;
        } else {
            sent.mailed += count;
        }
    }
    if key == Key::IndividualNotice {
        sent.returned = facts.returned;
    }
    sent
}

/// When notices in date order reached `owed` people (never while `owed` is unknown); a notice
/// without a count is taken as everyone, email counts only up to `agreed` when given, and
/// `returned` letters that came back reached nobody.
fn reached(
    notices: &[&SentNotice],
    owed: Option<u64>,
    agreed: Option<u64>,
    returned: u64,
) -> (Option<NaiveDate>, u64, Option<u64>) {
    let agreed = agreed.unwrap_or(u64::MAX);
    let (mut sent, mut by_email) = (0u64, 0u64);
    for n in notices {
        let mut count = n.count.or(owed).unwrap_or(0);
        if n.by_email {
            count = count.min(agreed.saturating_sub(by_email));
            by_email += count;
        }
        sent = sent.saturating_add(count);
        let notified = sent.saturating_sub(returned);
        if owed.is_some_and(|owed| notified >= owed) {
            return (Some(n.date), notified, owed);
        }
    }
    (None, sent.saturating_sub(returned), owed)
}

mod holds;
pub(crate) use holds::{Period, hold_periods, hold_periods_for};
use holds::{hold, hold_assumption};
pub(crate) mod state;
pub(crate) use state::StateLaw;

#[cfg(test)]
mod tests;
