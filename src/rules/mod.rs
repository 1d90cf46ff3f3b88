//! The regulation as data: who a notice goes to ([`Audience`]), the obligations the clock can
//! hold ([`Key`]), and one [`Rule`] row per obligation — its audience, its citation, when it
//! applies and how its due date is counted — in the table [`HIPAA`]. The clock
//! (`incident::obligations`) loops over the rows; it holds no rule of its own, so a new
//! obligation (a state law's, say) is a new row, not new code.
//!
//! Every number here is the regulation's (45 CFR 164.400–414, as summarised in the project's
//! reference); a counting rule the regulation leaves open is marked DERIVED in the row's basis.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

pub(crate) mod state;

/// US states, DC and the territories, by postal code: the jurisdictions of 45 CFR 164.406.
pub(crate) const JURISDICTIONS: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP",
];

/// A jurisdiction's name for a person to read ("Ohio"), from its postal code; an unknown code is
/// shown as given.
pub(crate) fn jurisdiction_name(code: &str) -> &str {
    #[rustfmt::skip]
    const NAMES: &[(&str, &str)] = &[
        ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
        ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
        ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"), ("ID", "Idaho"),
        ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
        ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
        ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
        ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
        ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
        ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
        ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"),
        ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"),
        ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
        ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
        ("DC", "the District of Columbia"), ("PR", "Puerto Rico"), ("GU", "Guam"),
        ("VI", "the U.S. Virgin Islands"), ("AS", "American Samoa"),
        ("MP", "the Northern Mariana Islands"),
    ];
    NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, name)| name)
}

/// Jurisdictions by name in a list a sentence can hold: "Indiana and Ohio",
/// "Indiana, Ohio and Texas".
pub(crate) fn jurisdiction_names<'a>(codes: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = codes.into_iter().map(jurisdiction_name).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Who a notice goes to: the audiences of `breach notify --to`, of a runbook step's
/// `records: {notice: …}`, and of the obligations.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Audience {
    Individuals,
    Substitute,
    Hhs,
    Media,
    CoveredEntity,
    /// The next of kin or personal representative of a deceased individual (164.404(d)(1)(ii)).
    NextOfKin,
    /// A state's attorney general or other regulator, under that state's law.
    Regulator,
    /// The consumer reporting agencies, under a state's law.
    CreditBureaus,
}

impl Audience {
    /// The audience in words: "the covered entity".
    pub(crate) fn label(self) -> &'static str {
        match self {
            Audience::Individuals => "individuals",
            Audience::Substitute => "the unreachable (substitute notice)",
            Audience::Hhs => "HHS",
            Audience::Media => "the media of each state concerned",
            Audience::CoveredEntity => "the covered entity",
            Audience::NextOfKin => "the next of kin of the deceased",
            Audience::Regulator => "a state's regulator",
            Audience::CreditBureaus => "the consumer reporting agencies",
        }
    }

    /// The value of `breach notify --to`.
    pub(crate) fn flag(self) -> &'static str {
        match self {
            Audience::Individuals => "individuals",
            Audience::Substitute => "substitute",
            Audience::Hhs => "hhs",
            Audience::Media => "media",
            Audience::CoveredEntity => "covered-entity",
            Audience::NextOfKin => "next-of-kin",
            Audience::Regulator => "regulator",
            Audience::CreditBureaus => "credit-bureaus",
        }
    }
}

/// The obligations the command-line contract names, as their `key`s (README, "The regulatory
/// clock").
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
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
    /// Written notice to the next of kin or personal representative of each deceased individual.
    NextOfKinNotice,
    /// A state law's notice to its residents (from the state table).
    StateIndividualNotice,
    /// A state law's notice to its attorney general or other regulator.
    StateRegulatorNotice,
    /// A state law's notice to the consumer reporting agencies.
    StateCreditBureauNotice,
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
            Key::NextOfKinNotice => "next_of_kin_notice",
            Key::StateIndividualNotice => "state_individual_notice",
            Key::StateRegulatorNotice => "state_regulator_notice",
            Key::StateCreditBureauNotice => "state_credit_bureau_notice",
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
            Key::NextOfKinNotice => "Notice to next of kin",
            Key::StateIndividualNotice => "State notice to residents",
            Key::StateRegulatorNotice => "State regulator notice",
            Key::StateCreditBureauNotice => "Notice to credit bureaus",
        }
    }

    /// Who receives a notice that meets this obligation: its row's audience.
    pub(crate) fn audience(self) -> Audience {
        match self {
            Key::StateIndividualNotice => return Audience::Individuals,
            Key::StateRegulatorNotice => return Audience::Regulator,
            Key::StateCreditBureauNotice => return Audience::CreditBureaus,
            _ => {}
        }
        HIPAA
            .iter()
            .find(|rule| rule.key == self)
            .map(|rule| rule.audience)
            .expect("every key has a row")
    }
}

/// The form substitute notice takes (45 CFR 164.404(d)(2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SubstituteForm {
    /// Fewer than 10: an alternative form of written notice, telephone or other means.
    Alternative,
    /// 10 or more: home-page posting for 90 days or major print or broadcast media, with a
    /// toll-free number active at least 90 days.
    WebOrMedia,
}

/// Whose duty a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Party {
    /// The covered entity's: owed only when notification is required.
    CoveredEntity,
    /// The business associate's: owed to the covered entity whatever its own assessment says.
    BusinessAssociate,
}

/// When a row applies, in the facts' terms. An unknown count is read the conservative way,
/// as the row says: a threshold that an unknown count might reach is taken as reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applies {
    /// Whenever the party owes anything.
    Always,
    /// From `from` up to (not including) `below` people who cannot be reached.
    UnreachableBetween { from: u64, below: u64 },
    /// At least this many who cannot be reached, or an unknown number.
    UnreachableAtLeastOrUnknown(u64),
    /// Fewer than this many affected in total (a known count).
    AffectedBelow(u64),
    /// At least this many affected in total, or an unknown number.
    AffectedAtLeastOrUnknown(u64),
    /// Once for each state or jurisdiction with more than this many residents affected.
    EachStateMoreThan(u64),
    /// The business associate agreement gives fewer days than this to report.
    AgreementShorterThan(i64),
    /// At least this many of the affected are known to have died.
    DeceasedAtLeast(u64),
}

/// How a row's due date is counted. DERIVED: a deadline of N days is the trigger date plus N
/// calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    /// This many calendar days after discovery.
    AfterDiscovery(i64),
    /// This many days after 31 December of the year of discovery.
    AfterYearOfDiscovery(i64),
    /// The days the business associate agreement gives, after discovery.
    AgreementDays,
}

/// One obligation the clock can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub key: Key,
    pub audience: Audience,
    pub party: Party,
    pub applies: Applies,
    pub due: Due,
    /// The citation and what it asks, as every view shows it.
    pub basis: Cow<'static, str>,
    /// Why it applies, when the row says so in words of its own rather than from the facts.
    pub why: Option<&'static str>,
    /// The form a substitute notice takes under this row.
    pub form: Option<SubstituteForm>,
    /// What the clock assumes when the row applies only because a count is unknown.
    pub assumed: Option<&'static str>,
}

/// What a notice sent by a method does for the obligation of its audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MethodUse {
    /// The rule allows it: it counts toward the obligation.
    Counts,
    /// Recorded beside the notice the rule asks for, never instead of it (a telephone call to
    /// someone in urgent need, 164.404(d)(3)): kept, not counted.
    Additional(&'static str),
    /// The rule does not allow it for this audience: refused, or, when the person insists with
    /// a reason, recorded and not counted.
    NotAllowed(&'static str),
}

/// What `method` (as `breach notify --method` writes it) does for a notice to `to`; a
/// substitute notice's allowed methods depend on its form.
pub(crate) fn method_use(to: Audience, method: &str, form: Option<SubstituteForm>) -> MethodUse {
    use MethodUse::{Additional, Counts, NotAllowed};
    match (to, method) {
        (Audience::Individuals, "first-class-mail" | "email") => Counts,
        (Audience::Individuals, "telephone") => Additional(
            "a telephone call is an urgent notice in addition to the written one, never instead of it (45 CFR 164.404(d)(3))",
        ),
        (Audience::Individuals, _) => NotAllowed(
            "notice to individuals is written: by first-class mail, or by email to those who agreed to electronic notice (45 CFR 164.404(d)(1))",
        ),
        (Audience::Substitute, "web-posting" | "broadcast") => Counts,
        (Audience::Substitute, _) if form == Some(SubstituteForm::WebOrMedia) => NotAllowed(
            "substitute notice for 10 or more is a conspicuous posting on the home page for 90 days or notice in major print or broadcast media, with a toll-free number (45 CFR 164.404(d)(2)(ii))",
        ),
        (Audience::Substitute, "portal") => NotAllowed(
            "substitute notice reaches the individuals themselves: an alternative form of written notice, telephone or other means (45 CFR 164.404(d)(2)(i))",
        ),
        (Audience::Substitute, _) => Counts,
        (Audience::Media, "press-release") => Counts,
        (Audience::Media, _) => NotAllowed(
            "media notice goes to prominent media outlets serving the state or jurisdiction, as a press release (45 CFR 164.406(a))",
        ),
        (Audience::Hhs, "portal") => Counts,
        (Audience::Hhs, _) => {
            NotAllowed("HHS is notified through its breach portal (45 CFR 164.408)")
        }
        (Audience::CoveredEntity, "portal" | "press-release" | "web-posting" | "broadcast") => {
            NotAllowed(
                "a business associate notifies the covered entity itself, not the public or HHS (45 CFR 164.410(a))",
            )
        }
        (Audience::CoveredEntity, _) => Counts,
        (
            Audience::Regulator | Audience::CreditBureaus,
            "press-release" | "broadcast" | "web-posting",
        ) => NotAllowed(
            "a state regulator or the consumer reporting agencies are notified themselves (by their form, portal, mail or email), not through the public; see the state's statute",
        ),
        (Audience::Regulator | Audience::CreditBureaus, _) => Counts,
        (Audience::NextOfKin, "first-class-mail") => Counts,
        (Audience::NextOfKin, _) => NotAllowed(
            "the next of kin or personal representative of a deceased individual is notified in writing by first-class mail, where the address is known (45 CFR 164.404(d)(1)(ii))",
        ),
    }
}

/// Calendar days from discovery for individual, media, HHS (500+) and business-associate notice.
pub(crate) const NOTICE_DAYS: i64 = 60;
/// The HHS threshold in total, all states combined (164.408(b)).
pub(crate) const HHS_THRESHOLD: u64 = 500;
/// Media notice applies to a state with *more than* this many residents (164.406).
pub(crate) const MEDIA_THRESHOLD: u64 = 500;
/// Substitute notice takes the web-or-media form from this many unreachable people
/// (164.404(d)(2)(ii)).
pub(crate) const SUBSTITUTE_WEB_OR_MEDIA: u64 = 10;
/// How long a web posting and its toll-free line stay up, in days (164.404(d)(2)(ii)).
pub(crate) const SUBSTITUTE_POSTING_DAYS: i64 = 90;
/// How long the record is kept: six years (164.530(j)(2)).
pub(crate) const RETENTION_YEARS: i32 = 6;

/// The HIPAA Breach Notification Rule's obligations, in the order the clock considers them.
pub(crate) const HIPAA: &[Rule] = &[
    Rule {
        key: Key::BusinessAssociateNotice,
        audience: Audience::CoveredEntity,
        party: Party::BusinessAssociate,
        applies: Applies::Always,
        due: Due::AfterDiscovery(NOTICE_DAYS),
        basis: Cow::Borrowed(
            "45 CFR 164.410(b): without unreasonable delay and no later than 60 calendar days after the business associate's discovery",
        ),
        why: Some(
            "the team is a business associate: it notifies the covered entity, which notifies individuals, HHS and media",
        ),
        form: None,
        assumed: None,
    },
    Rule {
        key: Key::BusinessAssociateAgreementNotice,
        audience: Audience::CoveredEntity,
        party: Party::BusinessAssociate,
        applies: Applies::AgreementShorterThan(NOTICE_DAYS),
        due: Due::AgreementDays,
        basis: Cow::Borrowed(
            "the business associate agreement's own deadline to report to the covered entity (164.504(e)(2)(ii)(C), 164.314(a)(2)(i)(C)); the agreement, not the regulation, sets the number of days",
        ),
        why: None,
        form: None,
        assumed: None,
    },
    Rule {
        key: Key::IndividualNotice,
        audience: Audience::Individuals,
        party: Party::CoveredEntity,
        applies: Applies::Always,
        due: Due::AfterDiscovery(NOTICE_DAYS),
        basis: Cow::Borrowed(
            "45 CFR 164.404(b): without unreasonable delay and no later than 60 calendar days after discovery",
        ),
        why: Some("every breach of unsecured PHI"),
        form: None,
        assumed: None,
    },
    Rule {
        key: Key::NextOfKinNotice,
        audience: Audience::NextOfKin,
        party: Party::CoveredEntity,
        applies: Applies::DeceasedAtLeast(1),
        due: Due::AfterDiscovery(NOTICE_DAYS),
        basis: Cow::Borrowed(
            "45 CFR 164.404(d)(1)(ii): written notification by first-class mail to the next of kin or personal representative of a deceased individual, where the address is known; due with the individual notice (DERIVED)",
        ),
        why: None,
        form: None,
        assumed: None,
    },
    Rule {
        key: Key::SubstituteNotice,
        audience: Audience::Substitute,
        party: Party::CoveredEntity,
        applies: Applies::UnreachableBetween {
            from: 1,
            below: SUBSTITUTE_WEB_OR_MEDIA,
        },
        due: Due::AfterDiscovery(NOTICE_DAYS),
        basis: Cow::Borrowed(
            "45 CFR 164.404(d)(2)(i): an alternative form of written notice, telephone or other means; due with the individual notice (DERIVED)",
        ),
        why: None,
        form: Some(SubstituteForm::Alternative),
        assumed: None,
    },
    Rule {
        key: Key::SubstituteNotice,
        audience: Audience::Substitute,
        party: Party::CoveredEntity,
        applies: Applies::UnreachableAtLeastOrUnknown(SUBSTITUTE_WEB_OR_MEDIA),
        due: Due::AfterDiscovery(NOTICE_DAYS),
        basis: Cow::Borrowed(
            "45 CFR 164.404(d)(2)(ii): conspicuous posting on the home page for 90 days or notice in major print or broadcast media, with a toll-free number active at least 90 days; due with the individual notice (DERIVED)",
        ),
        why: None,
        form: Some(SubstituteForm::WebOrMedia),
        assumed: Some(
            "The number of individuals who cannot be reached is unknown, so the clock keeps the substitute notice in its form for 10 or more (web posting or major media for 90 days, with a toll-free number, 45 CFR 164.404(d)(2)(ii)); record the count with `breach facts --unreachable N` (0 when everyone can be reached).",
        ),
    },
    Rule {
        key: Key::HhsAnnualReport,
        audience: Audience::Hhs,
        party: Party::CoveredEntity,
        applies: Applies::AffectedBelow(HHS_THRESHOLD),
        due: Due::AfterYearOfDiscovery(NOTICE_DAYS),
        basis: Cow::Borrowed(
            "45 CFR 164.408(c): fewer than 500 individuals; no later than 60 days after the end of the calendar year of discovery (each breach its own submission)",
        ),
        why: None,
        form: None,
        assumed: None,
    },
    Rule {
        key: Key::HhsNotice,
        audience: Audience::Hhs,
        party: Party::CoveredEntity,
        applies: Applies::AffectedAtLeastOrUnknown(HHS_THRESHOLD),
        due: Due::AfterDiscovery(NOTICE_DAYS),
        basis: Cow::Borrowed(
            "45 CFR 164.408(b): 500 or more individuals; contemporaneously with the individual notice and no later than 60 days after discovery",
        ),
        why: None,
        form: None,
        assumed: Some(
            "The number of individuals affected is unknown, so the clock assumes 500 or more and shows the earlier HHS deadline (60 days, 45 CFR 164.408(b)); record the count with `breach facts --affected N`.",
        ),
    },
    Rule {
        key: Key::MediaNotice,
        audience: Audience::Media,
        party: Party::CoveredEntity,
        applies: Applies::EachStateMoreThan(MEDIA_THRESHOLD),
        due: Due::AfterDiscovery(NOTICE_DAYS),
        basis: Cow::Borrowed(
            "45 CFR 164.406: prominent media outlets serving the State or jurisdiction; without unreasonable delay and no later than 60 calendar days after discovery",
        ),
        why: None,
        form: None,
        assumed: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_a_row_and_its_rows_agree_on_the_audience() {
        for key in [
            Key::IndividualNotice,
            Key::SubstituteNotice,
            Key::HhsNotice,
            Key::HhsAnnualReport,
            Key::MediaNotice,
            Key::BusinessAssociateNotice,
            Key::BusinessAssociateAgreementNotice,
            Key::NextOfKinNotice,
        ] {
            let rows: Vec<&Rule> = HIPAA.iter().filter(|r| r.key == key).collect();
            assert!(!rows.is_empty(), "{key:?} has a row");
            assert!(
                rows.iter().all(|r| r.audience == key.audience()),
                "{key:?}: one audience"
            );
        }
    }

    #[test]
    fn each_audience_counts_only_the_methods_its_rule_allows() {
        use MethodUse::Counts;
        let counts = |to, method, form| method_use(to, method, form) == Counts;
        // 164.404(d)(1): written notice, by mail or agreed email; (d)(3): telephone is extra.
        assert!(counts(Audience::Individuals, "first-class-mail", None));
        assert!(counts(Audience::Individuals, "email", None));
        assert!(matches!(
            method_use(Audience::Individuals, "telephone", None),
            MethodUse::Additional(_)
        ));
        for method in [
            "web-posting",
            "press-release",
            "portal",
            "broadcast",
            "other-written",
        ] {
            assert!(!counts(Audience::Individuals, method, None), "{method}");
        }
        // 164.404(d)(2): fewer than 10, any other means; 10 or more, web or major media only.
        let few = Some(SubstituteForm::Alternative);
        let many = Some(SubstituteForm::WebOrMedia);
        assert!(counts(Audience::Substitute, "telephone", few));
        assert!(!counts(Audience::Substitute, "telephone", many));
        assert!(!counts(Audience::Substitute, "first-class-mail", many));
        assert!(counts(Audience::Substitute, "web-posting", many));
        assert!(counts(Audience::Substitute, "broadcast", many));
        // 164.406: media outlets; 164.408: the portal.
        assert!(counts(Audience::Media, "press-release", None));
        assert!(!counts(Audience::Media, "web-posting", None));
        assert!(counts(Audience::Hhs, "portal", None));
        assert!(!counts(Audience::Hhs, "email", None));
        for rule in [
            method_use(Audience::Individuals, "portal", None),
            method_use(Audience::Substitute, "telephone", many),
            method_use(Audience::Media, "email", None),
            method_use(Audience::Hhs, "email", None),
        ] {
            let (MethodUse::NotAllowed(why) | MethodUse::Additional(why)) = rule else {
                panic!("{rule:?}")
            };
            assert!(why.contains("164."), "cites the rule: {why}");
        }
    }

    #[test]
    fn every_row_cites_the_regulation() {
        for rule in HIPAA {
            assert!(
                rule.basis.contains("164."),
                "{:?} cites a paragraph: {}",
                rule.key,
                rule.basis
            );
        }
    }
}
