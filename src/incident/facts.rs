//! The incident facts that drive the regulatory clock and decide which runbook steps apply, how
//! a recorded change updates them, and how a runbook condition is evaluated against them.
//!
//! Unknown facts are read conservatively: an unknown head count satisfies "at least N", so a
//! threshold step (HHS within 60 days, media notice) is shown until the count proves it does not
//! apply, never hidden while nobody knows.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::clock::GivenTime;
use crate::runbook::Condition;

pub(crate) use crate::rules::{JURISDICTIONS, jurisdiction_name, jurisdiction_names};

/// A count that may not be known yet. Written to the log as a number or `"unknown"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum Count {
    Known(u64),
    Unknown(UnknownMarker),
}

/// The literal `"unknown"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UnknownMarker {
    Unknown,
}

impl Count {
    pub(crate) const UNKNOWN: Count = Count::Unknown(UnknownMarker::Unknown);

    pub(crate) fn known(self) -> Option<u64> {
        match self {
            Count::Known(n) => Some(n),
            Count::Unknown(_) => None,
        }
    }
}

/// How a law-enforcement official asked for notices to wait (45 CFR 164.412).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Statement {
    /// A written statement that specifies the period: notices wait for that period.
    Written,
    /// An oral statement: documented, and notices wait at most 30 days from it unless a written
    /// statement follows within that time.
    Oral,
}

/// A law-enforcement delay as documented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Delay {
    pub statement: Statement,
    /// The official and agency, as documented.
    pub official: String,
    /// The date of the statement.
    pub stated_on: NaiveDate,
    /// The end of the period a written statement specifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    /// The notices the official asked to delay (164.412 lets an official ask for some only,
    /// the public or media notice say); empty means every notice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<crate::rules::Audience>,
}

impl Delay {
    /// Whether this statement delays the notice to `to`. The next of kin are written to in
    /// place of the individual, so a delay of the individual notice delays theirs too.
    pub(crate) fn covers(&self, to: crate::rules::Audience) -> bool {
        use crate::rules::Audience as A;
        self.covers.is_empty()
            || self.covers.contains(&to)
            || (to == A::NextOfKin && self.covers.contains(&A::Individuals))
    }

    /// The notices it delays, in words: "every notice", or "media notice only".
    pub(crate) fn scope(&self) -> String {
        if self.covers.is_empty() {
            return "every notice".to_owned();
        }
        let names: Vec<&str> = self.covers.iter().map(|a| a.flag()).collect();
        format!("only the notice to {}", names.join(", "))
    }

    /// The last day this statement alone would hold notices: a written statement's stated
    /// period; an oral one's period asked for, and at most 30 days after it (164.412(b)).
    pub(crate) fn held_until(&self) -> NaiveDate {
        let cap = self.stated_on + chrono::Duration::days(30);
        match (self.statement, self.until) {
            (Statement::Written, Some(until)) => until,
            (Statement::Oral, Some(until)) => until.min(cap),
            _ => cap,
        }
    }
}

/// A date that may be recorded as not known (written as the date or `"unknown"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum DateOrUnknown {
    Known(NaiveDate),
    Unknown(UnknownMarker),
}

impl DateOrUnknown {
    pub(crate) const UNKNOWN: DateOrUnknown = DateOrUnknown::Unknown(UnknownMarker::Unknown);
}

/// A recorded change of facts: only the facts given are changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct FactsUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected: Option<Count>,
    /// Residents per state; a count of 0 removes the state.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub states: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<Count>,
    /// A corrected discovery time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovered: Option<GivenTime>,
    /// When the breach started, or that this is not known (164.404(c)(1)(A): "if known").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breach_started: Option<DateOrUnknown>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breach_ended: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_associate: Option<bool>,
    /// A law-enforcement statement asking notices to wait, added to the history of statements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub law_enforcement_delay: Option<Delay>,
    /// The delay was lifted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delay_lifted: bool,
    /// Days the business associate agreement allows to tell the covered entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ba_agreement_days: Option<u32>,
    /// How many of the affected agreed to notice by email (164.404(d)(1)(i)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_consent: Option<u64>,
    /// How many of the affected are known to have died (their next of kin are notified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deceased: Option<u64>,
    /// The roster these counts were taken from (its states replace those recorded before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<super::roster::RosterSeal>,
    /// Letters that came back undeliverable, recorded now: they join the unreachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned: Option<u64>,
    /// The day it was lifted (entries written before this field take the day they were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_lifted_on: Option<NaiveDate>,
    /// The day a business associate delivered the list identifying each individual to the
    /// covered entity, outside this log (164.410(c)(1)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identities_delivered: Option<NaiveDate>,
    /// The day the team had what it needed to notify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_to_notify: Option<NaiveDate>,
    /// Covered entities a business associate serves whose PHI the breach involves, added to
    /// those recorded before: each is owed its own notice (164.410).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covered_entities: Vec<String>,
    /// What the notices will say (164.404(c)); each field given replaces the earlier text.
    #[serde(default, flatten)]
    pub notice: NoticeContent,
}

/// The content of the notices that only people can write: what happened, the types of PHI, the
/// steps individuals should take, and what the organisation is doing (45 CFR 164.404(c)(1)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct NoticeContent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what_happened: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phi_types: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protective_steps: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub our_response: Option<String>,
}

impl FactsUpdate {
    pub(crate) fn is_empty(&self) -> bool {
        *self == FactsUpdate::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Facts {
    /// Individuals affected; `None` while unknown.
    pub affected: Option<u64>,
    /// Affected residents per state or jurisdiction (postal code).
    pub states: BTreeMap<String, u64>,
    /// Individuals with insufficient or out-of-date contact details; `None` while unknown.
    pub unreachable: Option<u64>,
    pub breach_started: Option<NaiveDate>,
    /// The date the breach started is recorded as not known.
    #[serde(default)]
    pub breach_started_unknown: bool,
    pub breach_ended: Option<NaiveDate>,
    pub business_associate: bool,
    /// Days the business associate agreement allows to tell the covered entity.
    #[serde(default)]
    pub ba_agreement_days: Option<u32>,
    /// How many of the affected agreed to notice by email; none are assumed to have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_consent: Option<u64>,
    /// How many of the affected are known to have died.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deceased: Option<u64>,
    /// The roster the counts were last taken from: its SHA-256 and row count, nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<super::roster::RosterSeal>,
    /// Letters that came back undeliverable, all told; they are counted among the unreachable.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub returned: u64,
    /// Of those, letters re-mailed to a corrected address (`notify --remailed`): reachable again,
    /// so no longer counted among the unreachable.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub remailed: u64,
    /// The latest law-enforcement statement, if any.
    pub law_enforcement_delay: Option<Delay>,
    /// Every law-enforcement statement, in the order recorded: nothing erases one.
    #[serde(default)]
    pub law_enforcement_holds: Vec<Delay>,
    /// When the hold in force was lifted, if it was.
    #[serde(default)]
    pub hold_lifted_on: Option<NaiveDate>,
    /// When the list identifying each individual went to the covered entity (outside the log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identities_delivered: Option<NaiveDate>,
    /// The day the team had what it needed to notify: from then, notice is due without
    /// unreasonable delay, whatever day 60 is (164.404(b), 164.414).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_to_notify: Option<NaiveDate>,
    pub notice: NoticeContent,
    /// False only once a recorded assessment concludes notification is not required.
    /// The covered entities a business associate notifies, one notice each (164.410).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covered_entities: Vec<String>,
    pub notification_required: bool,
    pub assessment_recorded: bool,
    /// The day the assessment in force determined that notification is required (a state's
    /// deadline may count from it), in the zone of the discovery's offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub determined_on: Option<NaiveDate>,
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            affected: None,
            states: BTreeMap::new(),
            unreachable: None,
            breach_started: None,
            breach_started_unknown: false,
            breach_ended: None,
            business_associate: false,
            ba_agreement_days: None,
            email_consent: None,
            deceased: None,
            roster: None,
            returned: 0,
            remailed: 0,
            law_enforcement_delay: None,
            law_enforcement_holds: Vec::new(),
            hold_lifted_on: None,
            identities_delivered: None,
            ready_to_notify: None,
            notice: NoticeContent::default(),
            notification_required: true,
            assessment_recorded: false,
            determined_on: None,
            covered_entities: Vec::new(),
        }
    }
}

impl Facts {
    /// Letters that came back: people the mail did not reach, owed the substitute notice
    /// (164.404(d)(2)).
    fn returned_mail(&mut self, n: u64) {
        self.returned = self.returned.saturating_add(n);
        self.unreachable = Some(self.unreachable.unwrap_or(0).saturating_add(n));
    }

    /// Letters re-mailed to a corrected address after theirs came back: up to the returned
    /// letters not yet re-mailed, they leave the unreachable (owed the written notice again).
    pub(crate) fn remail(&mut self, count: u64) {
        let counted = count.min(self.returned.saturating_sub(self.remailed));
        self.remailed += counted;
        self.unreachable = self.unreachable.map(|u| u.saturating_sub(counted));
    }

    /// The facts after `update`; the discovery correction is applied by the incident.
    pub(crate) fn updated(&self, update: &FactsUpdate) -> Facts {
        let mut f = self.clone();
        if let Some(a) = update.affected {
            f.affected = a.known();
        }
        if update.roster.is_some() {
            // A roster's counts are the whole of the people affected: its states replace
            // those recorded before, and returned mail is counted again from there.
            f.states.clear();
            f.returned = 0;
            f.remailed = 0;
        }
        for (state, n) in &update.states {
            if *n == 0 {
                f.states.remove(state);
            } else {
                f.states.insert(state.clone(), *n);
            }
        }
        if let Some(u) = update.unreachable {
            f.unreachable = u.known();
        }
        match update.breach_started {
            Some(DateOrUnknown::Known(d)) => {
                f.breach_started = Some(d);
                f.breach_started_unknown = false;
            }
            Some(DateOrUnknown::Unknown(_)) => {
                f.breach_started = None;
                f.breach_started_unknown = true;
            }
            None => {}
        }
        // The values a new one simply replaces.
        let replace = |field: &mut Option<NaiveDate>, new: Option<NaiveDate>| {
            if new.is_some() {
                *field = new;
            }
        };
        replace(&mut f.ready_to_notify, update.ready_to_notify);
        replace(&mut f.identities_delivered, update.identities_delivered);
        replace(&mut f.breach_ended, update.breach_ended);
        if update.ba_agreement_days.is_some() {
            f.ba_agreement_days = update.ba_agreement_days;
        }
        for (field, new) in [
            (&mut f.email_consent, update.email_consent),
            (&mut f.deceased, update.deceased),
        ] {
            if new.is_some() {
                *field = new;
            }
        }
        if let Some(ba) = update.business_associate {
            f.business_associate = ba;
        }
        for entity in &update.covered_entities {
            if !f.covered_entities.contains(entity) {
                f.covered_entities.push(entity.clone());
            }
        }
        if let Some(seal) = &update.roster {
            f.roster = Some(seal.clone());
        }
        if let Some(n) = update.returned {
            f.returned_mail(n);
        }
        if let Some(delay) = &update.law_enforcement_delay {
            f.law_enforcement_delay = Some(delay.clone());
            f.law_enforcement_holds.push(delay.clone());
        }
        if update.delay_lifted {
            f.hold_lifted_on = update.delay_lifted_on.or(f.hold_lifted_on);
        }
        f.notice_content_from(&update.notice);
        f
    }

    /// What the notices will say: each field given replaces the earlier text.
    fn notice_content_from(&mut self, n: &NoticeContent) {
        for (field, new) in [
            (&mut self.notice.what_happened, &n.what_happened),
            (&mut self.notice.phi_types, &n.phi_types),
            (&mut self.notice.protective_steps, &n.protective_steps),
            (&mut self.notice.our_response, &n.our_response),
        ] {
            if new.is_some() {
                field.clone_from(new);
            }
        }
    }

    /// Why these facts cannot be true together, if they cannot.
    pub(crate) fn inconsistency(&self) -> Option<String> {
        let in_states: u64 = self.states.values().sum();
        if let Some(total) = self.affected {
            if in_states > total {
                return Some(format!(
                    "the per-state counts add up to {in_states}, more than the {total} individuals affected"
                ));
            }
            if let Some(u) = self.unreachable
                && u > total
            {
                return Some(format!(
                    "{u} unreachable is more than the {total} individuals affected"
                ));
            }
        }
        if let (Some(start), Some(end)) = (self.breach_started, self.breach_ended)
            && end < start
        {
            return Some(format!(
                "the breach ended ({end}) before it started ({start})"
            ));
        }
        None
    }

    /// Whether `cond` holds for these facts.
    pub(crate) fn satisfies(&self, cond: &Condition) -> bool {
        match cond {
            Condition::AffectedAtLeast(n) => self.affected.is_none_or(|a| a >= *n),
            Condition::AffectedBelow(n) => self.affected.is_some_and(|a| a < *n),
            Condition::AnyStateMoreThan(n) => {
                if self.states.is_empty() {
                    self.affected.is_none_or(|a| a > *n)
                } else {
                    self.states.values().any(|c| c > n)
                }
            }
            // Unknown reads as "at least", as an unknown head count does: the substitute-notice
            // steps stay until a count says they do not apply.
            Condition::UnreachableAtLeast(n) => self.unreachable.is_none_or(|u| u >= *n),
            Condition::Fact(name) => self.flag(&name.value),
            Condition::All(list) => list.iter().all(|c| self.satisfies(c)),
            Condition::Any(list) => list.iter().any(|c| self.satisfies(c)),
            Condition::Not(inner) => !self.satisfies(inner),
        }
    }

    /// The value of a yes/no fact named in a runbook condition.
    pub(crate) fn flag(&self, name: &str) -> bool {
        match name {
            "business_associate" => self.business_associate,
            "law_enforcement_delay" => self.law_enforcement_delay.is_some(),
            "notification_required" => self.notification_required,
            "assessment_recorded" => self.assessment_recorded,
            "affected_known" => self.affected.is_some(),
            _ => false,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_at_their_edges() {
        let mut f = Facts::default();
        assert!(
            f.satisfies(&Condition::AffectedAtLeast(500)),
            "unknown count is conservative"
        );
        assert!(!f.satisfies(&Condition::AffectedBelow(500)));
        f.affected = Some(499);
        assert!(!f.satisfies(&Condition::AffectedAtLeast(500)));
        assert!(f.satisfies(&Condition::AffectedBelow(500)));
        f.affected = Some(500);
        assert!(f.satisfies(&Condition::AffectedAtLeast(500)));
        f.states.insert("TX".into(), 500);
        assert!(!f.satisfies(&Condition::AnyStateMoreThan(500)));
        f.states.insert("TX".into(), 501);
        assert!(f.satisfies(&Condition::AnyStateMoreThan(500)));
        assert!(
            f.satisfies(&Condition::UnreachableAtLeast(10)),
            "unknown is read as at least, like an unknown head count"
        );
        f.unreachable = Some(0);
        assert!(!f.satisfies(&Condition::UnreachableAtLeast(1)));
        f.unreachable = Some(9);
        assert!(!f.satisfies(&Condition::UnreachableAtLeast(10)));
        f.unreachable = Some(10);
        assert!(f.satisfies(&Condition::UnreachableAtLeast(10)));
    }

    #[test]
    fn an_oral_delay_holds_thirty_days_and_a_written_one_its_period() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let oral = Delay {
            statement: Statement::Oral,
            official: "Det. R. Okafor, City PD".into(),
            stated_on: day("2026-03-05"),
            until: Some(day("2026-06-01")),
            covers: Vec::new(),
        };
        assert_eq!(
            oral.held_until(),
            day("2026-04-04"),
            "an oral statement holds 30 days at most"
        );
        let written = Delay {
            statement: Statement::Written,
            until: Some(day("2026-06-01")),
            ..oral
        };
        assert_eq!(written.held_until(), day("2026-06-01"));
    }

    #[test]
    fn counts_are_checked_against_each_other() {
        let f = Facts::default().updated(&FactsUpdate {
            affected: Some(Count::Known(100)),
            states: [("TX".to_owned(), 80), ("OK".to_owned(), 30)].into(),
            ..FactsUpdate::default()
        });
        assert!(f.inconsistency().unwrap().contains("add up to 110"));
        let removed = f.updated(&FactsUpdate {
            states: [("OK".to_owned(), 0)].into(),
            ..FactsUpdate::default()
        });
        assert_eq!(removed.inconsistency(), None);
        assert_eq!(
            serde_json::to_string(&Count::UNKNOWN).unwrap(),
            "\"unknown\""
        );
    }
}
