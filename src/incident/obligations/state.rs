//! The state-law items beside HIPAA's: for each state in the facts' per-state counts, the
//! notices its law may ask for (residents, a regulator, the consumer reporting agencies), read
//! from the state table (`rules::state`), with their due dates and how they are settled.
//!
//! Every item is "possibly due": the table is a research aid, so an item is never shown as not
//! due where the table is unsure, and each one not from counsel's reviewed table says NEEDS
//! LEGAL REVIEW. A deadline that counts from the notice to residents (or to HHS) counts from
//! the day that notice is due until it is sent, then from the day it was.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;

use super::{Obligation, SentNotice, Status};
use crate::incident::Facts;
use crate::rules::Key;
use crate::rules::state::{CountsFrom, Duty, StateRow, StateTable, Within};

/// The words every item read by a person carries while its row is not counsel's.
pub(crate) const NEEDS_REVIEW: &str = "NEEDS LEGAL REVIEW";

/// What a state item adds to an obligation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct StateLaw {
    /// The law gives no day count ("most expedient time"): `due` is null in `--json`, and the
    /// clock holds the item to the HIPAA notice's date at the latest.
    pub expedient: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts_from: Option<CountsFrom>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    /// Who receives it, for a regulator's notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hipaa_deemer: Option<String>,
    pub needs_review: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_on: Option<NaiveDate>,
}

/// The days from which a state's deadlines count, as far as the facts know them.
pub(super) struct Anchors {
    pub discovered: NaiveDate,
    /// HIPAA's individual notice date: the latest an expedient item is held to.
    pub hipaa_individual_due: NaiveDate,
    /// HIPAA's HHS notice date (the annual report's, for fewer than 500).
    pub hipaa_hhs_due: Option<NaiveDate>,
}

impl Anchors {
    /// The anchors from discovery and HIPAA's obligations as the clock listed them.
    pub fn of(discovered: NaiveDate, hipaa: &[Obligation]) -> Anchors {
        let due_of = |key: Key| hipaa.iter().find(|o| o.key == key).map(|o| o.due);
        Anchors {
            discovered,
            hipaa_individual_due: due_of(Key::IndividualNotice)
                .unwrap_or(discovered + chrono::Duration::days(super::NOTICE_DAYS)),
            hipaa_hhs_due: due_of(Key::HhsNotice).or(due_of(Key::HhsAnnualReport)),
        }
    }
}

/// The state items that apply to `facts`, and what the clock assumed to date them.
pub(super) fn items(
    table: fn() -> &'static StateTable,
    facts: &Facts,
    anchors: &Anchors,
) -> (Vec<Obligation>, Vec<String>, Vec<String>) {
    let (mut list, mut assumptions, mut warnings) = (Vec::new(), Vec::new(), Vec::new());
    for (code, &residents) in facts.states.iter().filter(|(_, n)| **n > 0) {
        let Some(row) = table().rows.get(code) else {
            warnings.push(format!(
                "{residents} residents of {code} are affected and the state table has no row for {code}: ask counsel which notices its law requires (possibly due, {NEEDS_REVIEW})."
            ));
            continue;
        };
        let individual_due = row
            .individual
            .as_ref()
            .map(|d| due_of(&d.value, facts, anchors, None));
        let rows = [
            (Key::StateIndividualNotice, &row.individual),
            (Key::StateRegulatorNotice, &row.regulator),
            (Key::StateCreditBureauNotice, &row.credit_bureaus),
        ];
        for (key, duty) in rows {
            let Some(duty) = duty.as_ref().map(|d| &d.value) else {
                continue;
            };
            if !duty.applies_to(residents) {
                continue;
            }
            let notice_due = individual_due
                .filter(|_| key != Key::StateIndividualNotice)
                .map(|d| d.min(anchors.hipaa_individual_due));
            let due = due_of(duty, facts, anchors, notice_due);
            if matches!(
                duty.within(),
                Some(Within::Days(_, CountsFrom::Determination))
                    | Some(Within::BusinessDays(_, CountsFrom::Determination))
            ) && facts.determined_on.is_none()
            {
                assumptions.push(format!(
                    "{code}: a deadline counts from the determination that notification is required, which no assessment has recorded yet: the clock counts it from discovery, the earliest it could be (record the assessment with `breach assess`)."
                ));
            }
            list.push(item(key, code, residents, row, duty, due));
        }
    }
    assumptions.dedup();
    (list, assumptions, warnings)
}

fn item(
    key: Key,
    code: &str,
    residents: u64,
    row: &StateRow,
    duty: &Duty,
    due: NaiveDate,
) -> Obligation {
    let name = row.name(code);
    let review = match &row.reviewed {
        Some(r) => format!("Reviewed by {} on {}.", r.by, r.on),
        None => format!(
            "Possibly due: {NEEDS_REVIEW} (the state table is a research aid, sources {}).",
            row.sources.as_deref().unwrap_or("not named")
        ),
    };
    let mut basis = format!("{}: {}", row.statute, duty.deadline_words());
    if let Some(recipient) = &duty.name {
        basis = format!("{}: to {recipient}, {}", row.statute, duty.deadline_words());
    }
    if let Some(note) = &duty.note {
        basis.push_str(&format!(" ({note})"));
    }
    basis.push_str(&format!(". {review}"));
    if key == Key::StateIndividualNotice
        && let Some(note) = &row.note
    {
        basis.push_str(&format!(" {note}"));
    }
    if let Some(deemer) = &row.hipaa {
        basis.push_str(&format!(" HIPAA deemer: {deemer}."));
    }
    let mut why = format!("{residents} residents of {name} affected");
    if let Some(t) = duty.threshold() {
        why.push_str(&format!(" ({t})"));
    }
    if row.medical == Some(false) {
        why.push_str(&format!(
            "; {name}'s definition of personal information has no medical element, so its law applies only if the exposed data include another of its elements (SSN, licence or account number, credentials)"
        ));
    }
    let (expedient, counts_from) = match duty.within() {
        Some(Within::Days(_, from) | Within::BusinessDays(_, from)) => (false, Some(from)),
        _ => (true, None),
    };
    let mut o = Obligation::new(key, due, basis, why);
    o.state = Some(code.to_owned());
    o.state_law = Some(StateLaw {
        expedient,
        counts_from,
        threshold: duty.threshold(),
        recipient: duty.name.clone(),
        hipaa_deemer: row.hipaa.clone(),
        needs_review: row.reviewed.is_none(),
        reviewed_by: row.reviewed.as_ref().map(|r| r.by.clone()),
        reviewed_on: row.reviewed.as_ref().map(|r| r.on),
    });
    o
}

/// A duty's due date before any notice is sent: from discovery or the determination (from
/// discovery until there is one); from the notice to residents, the day it is due
/// (`notice_due`, else HIPAA's); from HHS, the day that is due. An expedient duty is held to
/// HIPAA's individual notice date.
fn due_of(
    duty: &Duty,
    facts: &Facts,
    anchors: &Anchors,
    notice_due: Option<NaiveDate>,
) -> NaiveDate {
    let from_day = |from: CountsFrom| match from {
        CountsFrom::Discovery => anchors.discovered,
        CountsFrom::Determination => facts.determined_on.unwrap_or(anchors.discovered),
        CountsFrom::IndividualNotice => notice_due.unwrap_or(anchors.hipaa_individual_due),
        CountsFrom::HhsNotice => anchors
            .hipaa_hhs_due
            .unwrap_or(anchors.hipaa_individual_due),
    };
    match duty.within() {
        Some(Within::Days(days, from)) => from_day(from) + chrono::Duration::days(i64::from(days)),
        Some(Within::BusinessDays(days, from)) => add_business_days(from_day(from), days),
        Some(Within::Expedient) | None => anchors.hipaa_individual_due,
    }
}

/// `days` business days after `from`: weekdays only. DERIVED: state holidays are not counted
/// out, so the date may be a day or two early, never late.
pub(crate) fn add_business_days(from: NaiveDate, days: u32) -> NaiveDate {
    let mut day = from;
    let mut left = days;
    while left > 0 {
        day = day.succ_opt().expect("a date before the end of time");
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day
}

/// Moves the items that count from a notice to the day it was sent, once it was: the first
/// counted notice to individuals (of that state, or of everyone), or to HHS.
pub(super) fn anchor_to_notices(
    obligations: &mut [Obligation],
    notices: &[SentNotice],
    table: fn() -> &'static StateTable,
) {
    for o in obligations.iter_mut() {
        let (Some(code), Some(law)) = (o.state.clone(), o.state_law.as_ref()) else {
            continue;
        };
        let Some(from) = law.counts_from else {
            continue;
        };
        let sent_to = |to: crate::rules::Audience| {
            notices
                .iter()
                .filter(|n| n.counts && n.to == to && n.state.as_deref().is_none_or(|s| s == code))
                .map(|n| n.date)
                .min()
        };
        let sent = match from {
            CountsFrom::IndividualNotice => sent_to(crate::rules::Audience::Individuals),
            CountsFrom::HhsNotice => sent_to(crate::rules::Audience::Hhs),
            _ => None,
        };
        let duty = table().rows.get(&code).and_then(|row| match o.key {
            Key::StateIndividualNotice => row.individual.as_ref(),
            Key::StateRegulatorNotice => row.regulator.as_ref(),
            _ => row.credit_bureaus.as_ref(),
        });
        if let (Some(sent), Some(duty)) = (sent, duty) {
            o.due = match duty.value.within() {
                Some(Within::Days(days, _)) => sent + chrono::Duration::days(i64::from(days)),
                Some(Within::BusinessDays(days, _)) => add_business_days(sent, days),
                _ => o.due,
            };
        }
    }
}

/// Settles each state's notice to residents: met when that state's residents were all sent a
/// notice of their own (`notify --to individuals --state XX`), else when HIPAA's individual
/// notice reached everyone; partial while notices are going out.
pub(super) fn settle_residents(
    obligations: &mut [Obligation],
    facts: &Facts,
    notices: &[SentNotice],
    today: NaiveDate,
) {
    let hipaa = obligations
        .iter()
        .find(|o| o.key == Key::IndividualNotice)
        .map(|o| (o.met_on, o.notified.unwrap_or(0)));
    for o in obligations
        .iter_mut()
        .filter(|o| o.key == Key::StateIndividualNotice)
    {
        let code = o.state.clone().unwrap_or_default();
        let mut own: Vec<&SentNotice> = notices
            .iter()
            .filter(|n| {
                n.counts
                    && n.to == crate::rules::Audience::Individuals
                    && n.state.as_deref() == Some(code.as_str())
            })
            .collect();
        own.sort_by_key(|n| n.date);
        let residents = facts.states.get(&code).copied();
        let (own_met, own_sent, _) = super::reached(&own, residents, None, 0);
        let met_on = own_met.or(hipaa.and_then(|h| h.0));
        let partial = own_sent > 0 || hipaa.is_some_and(|h| h.1 > 0);
        o.met_on = met_on;
        o.days_left = (o.due - today).num_days();
        o.status = Status::on(today, o.due, met_on, partial);
    }
}

/// Whether the status of an obligation is for a state item whose row is not reviewed.
pub(crate) fn needs_review(o: &Obligation) -> bool {
    o.state_law.as_ref().is_some_and(|l| l.needs_review)
}

/// What the state items do not say for a business associate, or a low-probability
/// determination.
pub(super) fn not_listed(facts: &Facts, notification_required: bool) -> Option<String> {
    if facts.states.is_empty() {
        return None;
    }
    if facts.business_associate {
        return Some(format!(
            "State-law items are listed for the covered entity, which notifies residents; a business associate's duty under most state laws is to notify the data's owner promptly (possibly due, {NEEDS_REVIEW})."
        ));
    }
    if !notification_required {
        return Some(format!(
            "The HIPAA determination is that notification is not required, so no state-law item is listed; state laws make their own risk-of-harm test, and some ask for a written record or a notice to the attorney general before deciding not to notify: ask counsel for each affected state ({NEEDS_REVIEW})."
        ));
    }
    None
}

/// The table the clock reads: the one installed for this process, read (and the bundled one
/// parsed) only when a state's row is looked up.
pub(super) fn table() -> &'static StateTable {
    crate::rules::state::table()
}
