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
use crate::incident::facts::{Delay, Statement};

/// The obligations the command-line contract names, as their `key`s (README, "The regulatory clock").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Key {
    IndividualNotice,
    SubstituteNotice,
    HhsNotice,
    HhsAnnualReport,
    MediaNotice,
    BusinessAssociateNotice,
    /// The business associate agreement's own, shorter deadline to tell the covered entity.
    BusinessAssociateAgreementNotice,
}

impl Key {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Key::IndividualNotice => "individual_notice",
            Key::SubstituteNotice => "substitute_notice",
            Key::HhsNotice => "hhs_notice",
            Key::HhsAnnualReport => "hhs_annual_report",
            Key::MediaNotice => "media_notice",
            Key::BusinessAssociateNotice => "business_associate_notice",
            Key::BusinessAssociateAgreementNotice => "business_associate_agreement_notice",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Key::IndividualNotice => "Notice to individuals",
            Key::SubstituteNotice => "Substitute notice",
            Key::HhsNotice => "Notice to HHS",
            Key::HhsAnnualReport => "Annual report to HHS",
            Key::MediaNotice => "Notice to media",
            Key::BusinessAssociateNotice => "Notice to the covered entity",
            Key::BusinessAssociateAgreementNotice => "Notice to the covered entity (agreement)",
        }
    }

    /// Who receives a notice that meets this obligation.
    pub(crate) fn audience(self) -> Audience {
        match self {
            Key::IndividualNotice => Audience::Individuals,
            Key::SubstituteNotice => Audience::Substitute,
            Key::HhsNotice | Key::HhsAnnualReport => Audience::Hhs,
            Key::MediaNotice => Audience::Media,
            Key::BusinessAssociateNotice | Key::BusinessAssociateAgreementNotice => {
                Audience::CoveredEntity
            }
        }
    }
}

impl From<crate::runbook::NoticeTo> for Audience {
    fn from(to: crate::runbook::NoticeTo) -> Audience {
        use crate::runbook::NoticeTo as T;
        match to {
            T::Individuals => Audience::Individuals,
            T::Substitute => Audience::Substitute,
            T::Hhs => Audience::Hhs,
            T::Media => Audience::Media,
            T::CoveredEntity => Audience::CoveredEntity,
        }
    }
}

/// Who a notice went to (`breach notify --to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Audience {
    Individuals,
    Substitute,
    Hhs,
    Media,
    CoveredEntity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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

/// The form substitute notice takes (45 CFR 164.404(d)(2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SubstituteForm {
    /// Fewer than 10: an alternative form of written notice, telephone or other means.
    Alternative,
    /// 10 or more: home-page posting for 90 days or major print or broadcast media, with a
    /// toll-free number active at least 90 days.
    WebOrMedia,
}

/// A notice recorded as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SentNotice {
    pub to: Audience,
    pub date: NaiveDate,
    pub state: Option<String>,
    /// How many notices it was, when recorded.
    pub count: Option<u64>,
}

/// One obligation that applies, with its due date and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Obligation {
    pub key: Key,
    pub due: NaiveDate,
    /// The state or jurisdiction, for media notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
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
    /// For a substitute notice on the web or in the media: the 90 days its posting and the
    /// toll-free line must stay up, from the day it was given (164.404(d)(2)(ii)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_up: Option<Period>,
}

impl Obligation {
    /// The obligation in words, with its state for media notice: "Notice to media (TX)".
    pub(crate) fn label(&self) -> String {
        match &self.state {
            Some(s) => format!("{} ({s})", self.key.label()),
            None => self.key.label().to_owned(),
        }
    }
}

/// What the clock says for an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Clock {
    pub obligations: Vec<Obligation>,
    /// Conservative assumptions made because a fact is unknown.
    pub assumptions: Vec<String>,
    /// Facts worth recording so the clock can be exact.
    pub warnings: Vec<String>,
}

/// Calendar days from discovery for individual, media, HHS (500+) and business-associate notice.
pub(crate) const NOTICE_DAYS: i64 = 60;
/// The HHS threshold in total, all states combined (164.408(b)).
pub(crate) const HHS_THRESHOLD: u64 = 500;
/// Media notice applies to a state with *more than* this many residents (164.406).
pub(crate) const MEDIA_THRESHOLD: u64 = 500;
/// How long a web posting and its toll-free line stay up, in days (164.404(d)(2)(ii)).
pub(crate) const SUBSTITUTE_POSTING_DAYS: i64 = 90;
/// How long the record is kept: six years (164.530(j)(2)).
pub(crate) const RETENTION_YEARS: i32 = 6;

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

/// Substitute notice takes the web-or-media form from this many unreachable people (164.404(d)(2)(ii)).
pub(crate) const SUBSTITUTE_WEB_OR_MEDIA: u64 = 10;

/// A span of days, first and last inclusive: a law-enforcement hold, a posting kept up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Period {
    pub from: NaiveDate,
    pub until: NaiveDate,
}

/// The periods the law-enforcement statements hold notices, from their history (164.412):
/// - an oral statement holds from its date to the earlier of the period asked for and 30 days;
/// - a written statement received while a hold is in force sets that hold's end to its period;
/// - a statement received when no hold is in force starts a new one from its own date, so the
///   gap after a lapsed hold is not held;
/// - a hold in force when it is lifted ends on the day it is lifted.
pub(crate) fn hold_periods(statements: &[Delay], lifted_on: Option<NaiveDate>) -> Vec<Period> {
    let mut periods: Vec<Period> = Vec::new();
    for st in statements {
        let end = st.held_until();
        match periods.last_mut() {
            Some(last) if last.from <= st.stated_on && st.stated_on <= last.until => {
                last.until = match st.statement {
                    Statement::Written => end,
                    // An oral statement during a hold cannot shorten it, and reaches at most 30
                    // days from itself.
                    Statement::Oral => last.until.max(end),
                };
            }
            _ => periods.push(Period {
                from: st.stated_on,
                until: end.max(st.stated_on),
            }),
        }
    }
    if let Some(lifted) = lifted_on {
        for p in &mut periods {
            if p.from <= lifted && lifted < p.until {
                p.until = lifted;
            }
        }
    }
    periods
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
    let year_end = NaiveDate::from_ymd_opt(discovered.year(), 12, 31).expect("31 December exists");
    year_end + chrono::Duration::days(NOTICE_DAYS)
}

/// The obligations that apply and their due dates, before anything is checked off: the part
/// of the clock that facts can move.
pub(crate) fn due_dates(
    discovered: NaiveDate,
    facts: &Facts,
    notification_required: bool,
) -> (Vec<Obligation>, Vec<String>, Vec<String>) {
    let mut list = Vec::new();
    let mut assumptions = Vec::new();
    let mut warnings = Vec::new();
    if !notification_required && !facts.business_associate {
        return (list, assumptions, warnings);
    }
    let sixty = discovered + chrono::Duration::days(NOTICE_DAYS);
    let obligation = |key: Key, due: NaiveDate, basis: &str, why: String| Obligation {
        key,
        due,
        state: None,
        status: Status::Pending,
        days_left: 0,
        basis: basis.to_owned(),
        why,
        form: None,
        held_until: None,
        met_on: None,
        notified: None,
        reachable: None,
        keep_up: None,
    };
    if facts.business_associate {
        list.push(obligation(
            Key::BusinessAssociateNotice,
            sixty,
            "45 CFR 164.410(b): without unreasonable delay and no later than 60 calendar days after the business associate's discovery",
            "the team is a business associate: it notifies the covered entity, which notifies individuals, HHS and media".to_owned(),
        ));
        if let Some(days) = facts
            .ba_agreement_days
            .filter(|d| i64::from(*d) < NOTICE_DAYS)
        {
            list.push(obligation(
                Key::BusinessAssociateAgreementNotice,
                discovered + chrono::Duration::days(i64::from(days)),
                "the business associate agreement's own deadline to report to the covered entity (164.504(e)(2)(ii)(C), 164.314(a)(2)(i)(C)); the agreement, not the regulation, sets the number of days",
                format!("the agreement allows {days} day(s), fewer than the regulation's 60"),
            ));
        }
        if !notification_required {
            assumptions.push(
                "The business associate's own assessment found a low probability of compromise, but the determination is the covered entity's: the associate still reports the incident to it under its agreement (45 CFR 164.504(e)(2)(ii)(C), 164.314(a)(2)(i)(C)). INTERPRETATION.".to_owned(),
            );
        }
    } else {
        list.push(obligation(
            Key::IndividualNotice,
            sixty,
            "45 CFR 164.404(b): without unreasonable delay and no later than 60 calendar days after discovery",
            "every breach of unsecured PHI".to_owned(),
        ));
        // An unknown number unreachable is read conservatively, as an unknown head count is:
        // the substitute notice applies, in its more demanding form, until a count says it
        // does not.
        let unreachable = match facts.unreachable {
            Some(0) => None,
            Some(n) => Some((n, n >= SUBSTITUTE_WEB_OR_MEDIA)),
            None => {
                assumptions.push(format!(
                    "The number of individuals who cannot be reached is unknown, so the clock keeps the substitute notice in its form for {SUBSTITUTE_WEB_OR_MEDIA} or more (web posting or major media for 90 days, with a toll-free number, 45 CFR 164.404(d)(2)(ii)); record the count with `breach facts --unreachable N` (0 when everyone can be reached)."
                ));
                Some((0, true))
            }
        };
        if let Some((unreachable, web)) = unreachable {
            let mut o = obligation(
                Key::SubstituteNotice,
                sixty,
                if web {
                    "45 CFR 164.404(d)(2)(ii): conspicuous posting on the home page for 90 days or notice in major print or broadcast media, with a toll-free number active at least 90 days; due with the individual notice (DERIVED)"
                } else {
                    "45 CFR 164.404(d)(2)(i): an alternative form of written notice, telephone or other means; due with the individual notice (DERIVED)"
                },
                if facts.unreachable.is_none() {
                    "the number who cannot be reached is unknown: assumed 10 or more until recorded"
                        .to_owned()
                } else {
                    format!(
                        "{unreachable} individual(s) with insufficient or out-of-date contact details ({})",
                        if web { "10 or more" } else { "fewer than 10" }
                    )
                },
            );
            o.form = Some(if web {
                SubstituteForm::WebOrMedia
            } else {
                SubstituteForm::Alternative
            });
            list.push(o);
        }
        match facts.affected {
            Some(n) if n < HHS_THRESHOLD => list.push(obligation(
                Key::HhsAnnualReport,
                annual_report_due(discovered),
                "45 CFR 164.408(c): fewer than 500 individuals; no later than 60 days after the end of the calendar year of discovery (each breach its own submission)",
                format!("{n} individual(s) affected: fewer than 500"),
            )),
            Some(n) => list.push(obligation(
                Key::HhsNotice,
                sixty,
                "45 CFR 164.408(b): 500 or more individuals; contemporaneously with the individual notice and no later than 60 days after discovery",
                format!("{n} individuals affected: 500 or more in total"),
            )),
            None => {
                assumptions.push(
                    "The number of individuals affected is unknown, so the clock assumes 500 or more and shows the earlier HHS deadline (60 days, 45 CFR 164.408(b)); record the count with `breach facts --affected N`."
                        .to_owned(),
                );
                list.push(obligation(
                    Key::HhsNotice,
                    sixty,
                    "45 CFR 164.408(b): 500 or more individuals; contemporaneously with the individual notice and no later than 60 days after discovery",
                    "the number affected is unknown: assumed 500 or more until recorded".to_owned(),
                ));
            }
        }
        for (state, residents) in &facts.states {
            if *residents > MEDIA_THRESHOLD {
                let mut o = obligation(
                    Key::MediaNotice,
                    sixty,
                    "45 CFR 164.406: prominent media outlets serving the State or jurisdiction; without unreasonable delay and no later than 60 calendar days after discovery",
                    format!("{residents} residents of {state}: more than 500"),
                );
                o.state = Some(state.clone());
                list.push(o);
            }
        }
        let in_states: u64 = facts.states.values().sum();
        let unassigned = facts.affected.map(|a| a.saturating_sub(in_states));
        if unassigned.is_some_and(|u| u > MEDIA_THRESHOLD)
            || (facts.affected.is_none() && facts.states.is_empty())
        {
            warnings.push(
                "Not every affected individual is assigned to a state: a state with more than 500 residents affected needs media notice (45 CFR 164.406); record them with `breach facts --state XX=N`."
                    .to_owned(),
            );
        }
    }
    let holds = hold_periods(&facts.law_enforcement_holds, facts.hold_lifted_on);
    for o in &mut list {
        // Periods in order of their start: an obligation moved past one may land in the next.
        for h in &holds {
            if h.from <= o.due && o.due <= h.until {
                o.due = h.until + chrono::Duration::days(1);
                o.held_until = Some(h.until);
            }
        }
    }
    if !holds.is_empty() {
        let periods: Vec<String> = holds
            .iter()
            .map(|h| format!("{} to {}", h.from, h.until))
            .collect();
        assumptions.push(format!(
            "Law-enforcement hold (45 CFR 164.412) in force {}. INTERPRETATION: an oral statement holds from its date to the earlier of the period asked for and 30 days; a written statement received while a hold is in force sets its end, and one received after a hold lapsed starts a new hold from its own date; a lifted hold ends the day it is lifted. A notice whose date falls inside a hold is due the first day after it ends; a hold that starts after a notice was due does not cure it, and a hold that ends before a notice is due changes nothing.",
            periods.join("; ")
        ));
    }
    (list, assumptions, warnings)
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
    let reachable = reachable(facts);
    for o in &mut obligations {
        let mut matching: Vec<&SentNotice> = notices
            .iter()
            .filter(|n| n.to == o.key.audience() && (o.state.is_none() || n.state == o.state))
            .collect();
        matching.sort_by_key(|n| n.date);
        let mut met_on = matching.first().map(|n| n.date);
        let mut partial = false;
        // The individual notice is met when everyone who can be reached has been notified: on
        // the day the counts reach them. A notice recorded without a count is taken as all.
        if o.key == Key::IndividualNotice
            && let Some(reach) = reachable
            && matching.iter().all(|n| n.count.is_some())
            && !matching.is_empty()
        {
            let mut sum = 0u64;
            met_on = None;
            for n in &matching {
                sum += n.count.unwrap_or(0);
                if sum >= reach {
                    met_on = Some(n.date);
                    break;
                }
            }
            o.notified = Some(sum);
            o.reachable = Some(reach);
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
        o.status = match met_on {
            Some(d) if d <= o.due => Status::Met,
            Some(_) => Status::MetLate,
            None if today > o.due => Status::Overdue,
            None if partial => Status::Partial,
            None => Status::Pending,
        };
    }
    // Overdue first, then by due date: what needs doing soonest leads.
    obligations.sort_by_key(|o| {
        (
            o.status != Status::Overdue,
            matches!(o.status, Status::Met | Status::MetLate),
            o.due,
            o.key,
            o.state.clone(),
        )
    });
    Clock {
        obligations,
        assumptions,
        warnings,
    }
}

/// One due date that moved, appeared or went away between two sets of facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(crate) struct DueChange {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `None` when the obligation did not apply before.
    pub old: Option<NaiveDate>,
    /// `None` when it no longer applies.
    pub new: Option<NaiveDate>,
}

/// The due dates that differ between `before` and `after`.
pub(crate) fn changes(before: &[Obligation], after: &[Obligation]) -> Vec<DueChange> {
    let index = |list: &[Obligation]| -> BTreeMap<(Key, Option<String>), NaiveDate> {
        list.iter()
            .map(|o| ((o.key, o.state.clone()), o.due))
            .collect()
    };
    let (b, a) = (index(before), index(after));
    let mut keys: Vec<&(Key, Option<String>)> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(k) != a.get(k))
        .map(|k| DueChange {
            key: k.0.name().to_owned(),
            state: k.1.clone(),
            old: b.get(k).copied(),
            new: a.get(k).copied(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
