//! The law-enforcement holds of 45 CFR 164.412: the periods the officials' statements hold
//! notices, and how an obligation moves past them. Kept apart from the rule table because the
//! holds are history (statements received, a hold lifted), not rows of the rule.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Audience, Obligation};
use crate::incident::Facts;
use crate::incident::facts::{Delay, Statement};

/// A span of days, first and last inclusive: a law-enforcement hold, a posting kept up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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

/// The hold periods for the notice to `to`: those of the statements that delay it.
pub(crate) fn hold_periods_for(
    statements: &[Delay],
    lifted_on: Option<NaiveDate>,
    to: Audience,
) -> Vec<Period> {
    let covering: Vec<Delay> = statements
        .iter()
        .filter(|d| d.covers(to))
        .cloned()
        .collect();
    hold_periods(&covering, lifted_on)
}

/// What the clock assumed of the law-enforcement holds in force, if any.
pub(super) fn hold_assumption(facts: &Facts) -> Option<String> {
    let holds = hold_periods(&facts.law_enforcement_holds, facts.hold_lifted_on);
    if holds.is_empty() {
        return None;
    }
    let periods: Vec<String> = holds
        .iter()
        .map(|h| format!("{} to {}", h.from, h.until))
        .collect();
    Some(format!(
        "Law-enforcement hold (45 CFR 164.412) in force {}. INTERPRETATION: an oral statement holds from its date to the earlier of the period asked for and 30 days; a written statement received while a hold is in force sets its end, and one received after a hold lapsed starts a new hold from its own date; a lifted hold ends the day it is lifted. A notice whose date falls inside a hold is due the first day after it ends; a hold that starts after a notice was due does not cure it, and a hold that ends before a notice is due changes nothing.",
        periods.join("; ")
    ))
}

/// Moves `o` past the law-enforcement holds that delay its notice. Only the statements that
/// delay this notice hold it; periods in order of their start, so an obligation moved past one
/// may land in the next.
pub(super) fn hold(o: &mut Obligation, facts: &Facts) {
    let holds_it = hold_periods_for(
        &facts.law_enforcement_holds,
        facts.hold_lifted_on,
        o.key.audience(),
    );
    for h in &holds_it {
        if h.from <= o.due && o.due <= h.until {
            o.due = h.until + chrono::Duration::days(1);
            o.held_until = Some(h.until);
        }
    }
    o.due_shown = (!o.expedient()).then_some(o.due);
    o.latest = o.expedient().then_some(o.due);
}
