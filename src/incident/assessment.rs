//! A risk assessment as it is gathered — from flags, from prompts, or both — before it is
//! complete enough to record. [`AssessmentDraft::finish`] applies every rule a recorded
//! [`Assessment`] must meet, so the command line and the prompts cannot disagree.

use super::event::{Assessment, Determination, ExceptionKind, Factor, Factors, Rating, SecuredBy};
use super::input::check_text;
use crate::error::Error;

/// One factor as gathered: its rating and the reasoning, either possibly missing.
#[derive(Debug, Clone, Default)]
pub(crate) struct FactorDraft {
    pub rating: Option<Rating>,
    pub why: Option<String>,
}

/// The four factors of 45 CFR 164.402(2), in order, with the flags that supply them.
pub(crate) const FACTORS: [(&str, &str, &str); 4] = [
    (
        "--nature",
        "--nature-why",
        "Factor 1: the nature and extent of the PHI (identifiers, likelihood of re-identification)",
    ),
    (
        "--recipient",
        "--recipient-why",
        "Factor 2: the unauthorised person who received it",
    ),
    (
        "--acquired",
        "--acquired-why",
        "Factor 3: was the PHI actually acquired or viewed?",
    ),
    (
        "--mitigation",
        "--mitigation-why",
        "Factor 4: the risk that remains after mitigation (low: well mitigated; high: not mitigated)",
    ),
];

#[derive(Debug, Clone, Default)]
pub(crate) struct AssessmentDraft {
    pub secured: Option<bool>,
    pub secured_by: Option<SecuredBy>,
    /// The details of how it was secured.
    pub secured_basis: Option<String>,
    pub exception: Option<ExceptionKind>,
    pub exception_basis: Option<String>,
    /// In the order of [`FACTORS`].
    pub factors: [FactorDraft; 4],
    pub determination: Option<Determination>,
    pub rationale: Option<String>,
    pub signed_by: Option<String>,
    pub role: Option<String>,
    pub override_reason: Option<String>,
}

impl AssessmentDraft {
    /// Whether nothing at all has been given.
    pub(crate) fn is_blank(&self) -> bool {
        let d = self;
        d.secured.is_none()
            && d.secured_by.is_none()
            && d.secured_basis.is_none()
            && d.exception.is_none()
            && d.exception_basis.is_none()
            && d.factors
                .iter()
                .all(|f| f.rating.is_none() && f.why.is_none())
            && d.determination.is_none()
            && d.rationale.is_none()
            && d.signed_by.is_none()
            && d.role.is_none()
            && d.override_reason.is_none()
    }

    /// The flags of what a recorded assessment needs and the draft does not have yet.
    pub(crate) fn missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if self.secured.is_none() {
            m.push("--secured");
        }
        if self.exception.is_none() {
            m.push("--exception");
        }
        if self.determination.is_none() {
            m.push("--determination");
        }
        if self.signed_by.is_none() {
            m.push("--signed-by");
        }
        if self.role.is_none() {
            m.push("--role");
        }
        m
    }

    /// The assessment, once every part is present and the parts agree.
    pub(crate) fn finish(self) -> Result<Assessment, Error> {
        let still = self.missing();
        if !still.is_empty() {
            return Err(Error::usage(format!(
                "`breach assess` needs {} (or run it in a terminal to be asked)",
                still.join(", ")
            )));
        }
        let text = |flag: &str, v: &Option<String>| {
            v.as_deref().map(|t| check_text(flag, t, true)).transpose()
        };
        let mut four = Vec::with_capacity(4);
        for ((flag, why_flag, _), f) in FACTORS.iter().zip(&self.factors) {
            four.push(match (f.rating, &f.why) {
                (None, None) => None,
                (Some(rating), Some(w)) => Some(Factor {
                    rating,
                    rationale: check_text(why_flag, w, true)?,
                }),
                (Some(_), None) => {
                    return Err(Error::usage(format!(
                        "{flag} needs its rationale: {why_flag} TEXT"
                    )));
                }
                (None, Some(_)) => {
                    return Err(Error::usage(format!(
                        "{why_flag} needs its rating: {flag} low|medium|high"
                    )));
                }
            });
        }
        let given = four.iter().filter(|f| f.is_some()).count();
        let factors = match <[Option<Factor>; 4]>::try_from(four).expect("four factors") {
            [
                Some(nature),
                Some(recipient),
                Some(acquired),
                Some(mitigation),
            ] => Some(Factors {
                nature,
                recipient,
                acquired,
                mitigation,
            }),
            _ if given == 0 => None,
            _ => {
                return Err(Error::usage(
                    "the four factors go together: give --nature, --recipient, --acquired and --mitigation, each with its -why",
                ));
            }
        };
        let assessment = Assessment {
            steps: Default::default(),
            phi_secured: self.secured.unwrap_or_default(),
            secured_by: self.secured_by,
            secured_basis: text("--secured-details", &self.secured_basis)?,
            exception: self.exception.unwrap_or(ExceptionKind::None),
            exception_basis: text("--exception-basis", &self.exception_basis)?,
            factors,
            determination: self
                .determination
                .unwrap_or(Determination::NotificationRequired),
            rationale: text("--rationale", &self.rationale)?,
            signed_by: check_text(
                "--signed-by",
                self.signed_by.as_deref().unwrap_or(""),
                false,
            )?,
            role: check_text("--role", self.role.as_deref().unwrap_or(""), false)?,
            override_reason: text("--override-reason", &self.override_reason)?,
            recomputed: Vec::new(),
        };
        if let Some(problem) = assessment.problem() {
            return Err(Error::input(format!("not recorded: {problem}")));
        }
        Ok(assessment)
    }
}
