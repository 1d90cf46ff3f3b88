//! The incident facts that decide which runbook steps apply, and the evaluation of a runbook
//! condition against them.
//!
//! Unknown facts are read conservatively: an unknown head count satisfies "at least N", so a
//! threshold step (HHS within 60 days, media notice) is shown until the count proves it does not
//! apply, never hidden while nobody knows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::runbook::Condition;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Individuals affected; `None` while unknown.
    pub affected: Option<u64>,
    /// Affected residents per state or jurisdiction (postal code).
    pub states: BTreeMap<String, u64>,
    /// Individuals with insufficient or out-of-date contact details; `None` while unknown.
    pub unreachable: Option<u64>,
    pub business_associate: bool,
    pub law_enforcement_delay: bool,
    /// False only once a recorded assessment concludes notification is not required.
    pub notification_required: bool,
    pub assessment_recorded: bool,
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            affected: None,
            states: BTreeMap::new(),
            unreachable: None,
            business_associate: false,
            law_enforcement_delay: false,
            notification_required: true,
            assessment_recorded: false,
        }
    }
}

impl Facts {
    /// Whether `cond` holds for these facts.
    pub fn satisfies(&self, cond: &Condition) -> bool {
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
            Condition::UnreachableAtLeast(n) => self.unreachable.is_some_and(|u| u >= *n),
            Condition::Fact(name) => self.flag(&name.value),
            Condition::All(list) => list.iter().all(|c| self.satisfies(c)),
            Condition::Any(list) => list.iter().any(|c| self.satisfies(c)),
            Condition::Not(inner) => !self.satisfies(inner),
        }
    }

    /// The value of a yes/no fact named in a runbook condition.
    pub fn flag(&self, name: &str) -> bool {
        match name {
            "business_associate" => self.business_associate,
            "law_enforcement_delay" => self.law_enforcement_delay,
            "notification_required" => self.notification_required,
            "assessment_recorded" => self.assessment_recorded,
            "affected_known" => self.affected.is_some(),
            _ => false,
        }
    }
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
        assert!(!f.satisfies(&Condition::UnreachableAtLeast(1)));
        f.unreachable = Some(9);
        assert!(!f.satisfies(&Condition::UnreachableAtLeast(10)));
        f.unreachable = Some(10);
        assert!(f.satisfies(&Condition::UnreachableAtLeast(10)));
    }
}
