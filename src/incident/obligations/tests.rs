//! Every edge the regulation draws, as a table; and the properties that must hold for any facts.

use proptest::prelude::*;

use super::*;
use crate::incident::facts::{Delay, Statement};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn facts(affected: Option<u64>, states: &[(&str, u64)], unreachable: Option<u64>) -> Facts {
    Facts {
        affected,
        states: states.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect(),
        unreachable,
        ..Facts::default()
    }
}

/// (key, state, due) of every obligation.
fn dues(discovered: &str, f: &Facts) -> Vec<(&'static str, Option<String>, String)> {
    let mut list: Vec<_> = due_dates(day(discovered), f, true)
        .0
        .into_iter()
        .map(|o| (o.key.name(), o.state, o.due.to_string()))
        .collect();
    list.sort();
    list
}

fn has(
    list: &[(&'static str, Option<String>, String)],
    key: &str,
    state: Option<&str>,
    due: &str,
) -> bool {
    list.iter()
        .any(|(k, s, d)| *k == key && s.as_deref() == state && d == due)
}

#[test]
fn the_hhs_threshold_is_500_or_more_in_total() {
    let cases = [
        (499, "hhs_annual_report", "2027-03-01"),
        (500, "hhs_notice", "2026-05-02"),
        (501, "hhs_notice", "2026-05-02"),
    ];
    for (affected, key, due) in cases {
        let list = dues("2026-03-03", &facts(Some(affected), &[], None));
        assert!(has(&list, key, None, due), "{affected}: {list:?}");
        let hhs = list.iter().filter(|(k, ..)| k.starts_with("hhs")).count();
        assert_eq!(hhs, 1, "{affected}: exactly one HHS obligation");
        assert!(has(&list, "individual_notice", None, "2026-05-02"));
    }
}

#[test]
fn media_notice_needs_more_than_500_residents_of_one_state() {
    let exactly = dues("2026-03-03", &facts(Some(500), &[("TX", 500)], None));
    assert!(
        !exactly.iter().any(|(k, ..)| *k == "media_notice"),
        "500 in one state: no media"
    );
    assert!(
        has(&exactly, "hhs_notice", None, "2026-05-02"),
        "but HHS now: 500 or more in total"
    );
    let more = dues("2026-03-03", &facts(Some(501), &[("TX", 501)], None));
    assert!(has(&more, "media_notice", Some("TX"), "2026-05-02"));
    let spread = dues(
        "2026-03-03",
        &facts(Some(600), &[("TX", 200), ("OK", 200), ("NM", 200)], None),
    );
    assert!(
        !spread.iter().any(|(k, ..)| *k == "media_notice"),
        "600 over three states: no media"
    );
    assert!(
        has(&spread, "hhs_notice", None, "2026-05-02"),
        "600 in total: HHS within 60 days"
    );
    let two = dues(
        "2026-03-03",
        &facts(Some(2000), &[("TX", 900), ("OK", 700), ("NM", 400)], None),
    );
    assert!(
        has(&two, "media_notice", Some("TX"), "2026-05-02")
            && has(&two, "media_notice", Some("OK"), "2026-05-02")
    );
    assert_eq!(
        two.iter().filter(|(k, ..)| *k == "media_notice").count(),
        2,
        "one per state"
    );
}

#[test]
fn substitute_notice_changes_form_at_ten_unreachable() {
    let form = |u| {
        due_dates(day("2026-03-03"), &facts(Some(50), &[], Some(u)), true)
            .0
            .into_iter()
            .find(|o| o.key == Key::SubstituteNotice)
            .map(|o| o.form.unwrap())
    };
    assert_eq!(form(0), None);
    assert_eq!(form(1), Some(SubstituteForm::Alternative));
    assert_eq!(form(9), Some(SubstituteForm::Alternative));
    assert_eq!(form(10), Some(SubstituteForm::WebOrMedia));
}

#[test]
fn the_annual_report_falls_on_1_march_or_29_february() {
    assert_eq!(
        annual_report_due(day("2026-12-31")),
        day("2027-03-01"),
        "discovered on 31 December"
    );
    assert_eq!(
        annual_report_due(day("2027-01-01")),
        day("2028-02-29"),
        "year before a leap year"
    );
    assert_eq!(
        annual_report_due(day("2028-02-29")),
        day("2029-03-01"),
        "discovered on 29 February"
    );
    assert_eq!(
        annual_report_due(day("2019-06-01")),
        day("2020-02-29"),
        "matches the published 2020 date"
    );
    assert_eq!(
        annual_report_due(day("2021-06-01")),
        day("2022-03-01"),
        "the earlier of two published 2022 dates"
    );
}

#[test]
fn sixty_days_counts_calendar_days_across_year_ends_and_leap_days() {
    let list = dues("2026-12-31", &facts(Some(3), &[], None));
    assert!(has(&list, "individual_notice", None, "2027-03-01"));
    let leap = dues("2028-02-29", &facts(Some(3), &[], None));
    assert!(has(&leap, "individual_notice", None, "2028-04-29"));
    // The published Presence Health count: 22 October 2013 + 101 days = 31 January 2014.
    assert_eq!(
        day("2013-10-22") + chrono::Duration::days(101),
        day("2014-01-31")
    );
}

#[test]
fn an_unknown_head_count_assumes_the_earlier_hhs_deadline_and_says_why() {
    let (list, assumptions, warnings) = due_dates(day("2026-03-03"), &Facts::default(), true);
    let hhs = list
        .iter()
        .find(|o| o.key == Key::HhsNotice)
        .expect("HHS within 60 days");
    assert_eq!(hhs.due, day("2026-05-02"));
    assert!(hhs.why.contains("unknown"));
    assert!(
        assumptions
            .iter()
            .any(|a| a.contains("assumes 500 or more"))
    );
    assert!(warnings.iter().any(|w| w.contains("--state")));
}

#[test]
fn a_business_associate_owes_the_covered_entity_its_notice() {
    let f = Facts {
        business_associate: true,
        ..facts(Some(800), &[("TX", 800)], Some(20))
    };
    let list = dues("2026-03-03", &f);
    assert_eq!(
        list,
        vec![("business_associate_notice", None, "2026-05-02".to_owned())]
    );
}

#[test]
fn a_determination_that_no_notice_is_needed_removes_every_obligation() {
    let (list, ..) = due_dates(
        day("2026-03-03"),
        &facts(Some(900), &[("TX", 900)], Some(20)),
        false,
    );
    assert!(list.is_empty());
}

fn oral(stated: &str, until: Option<&str>) -> Delay {
    Delay {
        statement: Statement::Oral,
        official: "Det. R. Okafor, City PD".into(),
        stated_on: day(stated),
        until: until.map(day),
        covers: Vec::new(),
    }
}

fn written(stated: &str, until: &str) -> Delay {
    Delay {
        statement: Statement::Written,
        official: "SA M. Ortiz, FBI".into(),
        stated_on: day(stated),
        until: Some(day(until)),
        covers: Vec::new(),
    }
}

/// The individual notice's due date and held_until for a breach discovered on 2026-03-01
/// (due 2026-04-30 without a hold), under `statements` and a lift.
fn individual_under(statements: Vec<Delay>, lifted: Option<&str>) -> (String, Option<String>) {
    let mut f = facts(Some(10), &[], Some(0));
    f.law_enforcement_holds = statements;
    f.hold_lifted_on = lifted.map(day);
    let (list, ..) = due_dates(day("2026-03-01"), &f, true);
    let o = list
        .iter()
        .find(|o| o.key == Key::IndividualNotice)
        .unwrap();
    (o.due.to_string(), o.held_until.map(|d| d.to_string()))
}

#[test]
fn the_hold_is_worked_out_from_its_history() {
    // Each row worked out by hand from 45 CFR 164.412 and the reading stated in `assumptions`.
    /// (what, statements, lifted on, expected due, expected held_until)
    type Case = (
        &'static str,
        Vec<Delay>,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
    );
    let cases: Vec<Case> = vec![
        ("no hold", vec![], None, "2026-04-30", None),
        (
            "an oral request for 5 days holds 5 days, not 30 (ends before day 60: no change)",
            vec![oral("2026-04-01", Some("2026-04-06"))],
            None,
            "2026-04-30",
            None,
        ),
        (
            "an oral request holds at most 30 days; due the first day after",
            vec![oral("2026-04-20", None)],
            None,
            "2026-05-21",
            Some("2026-05-20"),
        ),
        (
            "a written statement holds its period; due the day after it ends",
            vec![written("2026-04-20", "2026-07-01")],
            None,
            "2026-07-02",
            Some("2026-07-01"),
        ),
        (
            "a short hold inside the 60 days changes nothing",
            vec![oral("2026-03-05", Some("2026-03-10"))],
            None,
            "2026-04-30",
            None,
        ),
        (
            "a first request after day 60 does not cure an overdue notice",
            vec![written("2026-05-05", "2026-06-30")],
            None,
            "2026-04-30",
            None,
        ),
        (
            "a lifted hold ends the day it is lifted, never retroactively overdue",
            vec![written("2026-04-20", "2026-06-30")],
            Some("2026-05-05"),
            "2026-05-06",
            Some("2026-05-05"),
        ),
        (
            "a written statement while an oral hold is in force sets the end",
            vec![
                oral("2026-04-20", None),
                written("2026-05-01", "2026-06-15"),
            ],
            None,
            "2026-06-16",
            Some("2026-06-15"),
        ),
        (
            "a written statement after an oral hold lapsed starts anew; the gap is not held",
            vec![
                oral("2026-04-01", None),
                written("2026-05-20", "2026-06-30"),
            ],
            None,
            "2026-05-02",
            Some("2026-05-01"),
        ),
        (
            "oral, then written, then lifted",
            vec![
                oral("2026-04-20", None),
                written("2026-05-01", "2026-08-31"),
            ],
            Some("2026-06-10"),
            "2026-06-11",
            Some("2026-06-10"),
        ),
        (
            "a hold across day 60 that ends exactly on day 60 moves the notice one day",
            vec![written("2026-04-01", "2026-04-30")],
            None,
            "2026-05-01",
            Some("2026-04-30"),
        ),
    ];
    for (what, statements, lifted, due, held) in cases {
        let (got_due, got_held) = individual_under(statements, lifted);
        assert_eq!(got_due, due, "{what}: due");
        assert_eq!(got_held.as_deref(), held, "{what}: held_until");
    }
}

#[test]
fn a_hold_across_a_year_end_moves_the_annual_report_and_only_what_it_covers() {
    // Discovered 2026-11-20, 40 affected: individual notice 2027-01-19, annual report to HHS
    // 2027-03-01 (60 days after 31 December 2026).
    let mut f = facts(Some(40), &[], Some(0));
    f.law_enforcement_holds = vec![written("2027-02-15", "2027-03-20")];
    let (list, assumptions, _) = due_dates(day("2026-11-20"), &f, true);
    let due = |key: Key| list.iter().find(|o| o.key == key).unwrap().due;
    assert_eq!(due(Key::IndividualNotice), day("2027-01-19"), "not held");
    assert_eq!(
        due(Key::HhsAnnualReport),
        day("2027-03-21"),
        "held past the year end"
    );
    assert!(
        assumptions.iter().any(|a| a.contains("INTERPRETATION")),
        "the reading is said to be one: {assumptions:?}"
    );
}

#[test]
fn hold_periods_follow_the_rules_of_164_412() {
    let periods = hold_periods(
        &[
            oral("2026-04-01", Some("2026-05-30")),
            written("2026-06-10", "2026-07-01"),
        ],
        None,
    );
    assert_eq!(
        periods,
        vec![
            Period {
                from: day("2026-04-01"),
                until: day("2026-05-01"),
            },
            Period {
                from: day("2026-06-10"),
                until: day("2026-07-01"),
            },
        ],
        "an oral statement is capped at 30 days, and the gap before the written one is not held"
    );
}

#[test]
fn status_follows_the_notices_sent() {
    let f = facts(Some(700), &[("TX", 600)], Some(0));
    let notices = [
        SentNotice {
            to: Audience::Individuals,
            date: day("2026-04-01"),
            state: None,
            count: None,
            counts: true,
            by_email: false,
            remailed: false,
            entity: None,
        },
        SentNotice {
            to: Audience::Hhs,
            date: day("2026-05-10"),
            state: None,
            count: None,
            counts: true,
            by_email: false,
            remailed: false,
            entity: None,
        },
        SentNotice {
            to: Audience::Media,
            date: day("2026-04-02"),
            state: Some("OK".into()),
            count: None,
            counts: true,
            by_email: false,
            remailed: false,
            entity: None,
        },
    ];
    let c = clock(day("2026-03-03"), &f, true, &notices, day("2026-05-20"));
    let status = |key: Key| c.obligations.iter().find(|o| o.key == key).unwrap().status;
    assert_eq!(status(Key::IndividualNotice), Status::Met);
    assert_eq!(
        status(Key::HhsNotice),
        Status::MetLate,
        "sent after the due date"
    );
    assert_eq!(
        status(Key::MediaNotice),
        Status::Overdue,
        "a notice to OK media does not meet TX"
    );
    // Overdue first: the media notice, and Texas's regulator notice (250 or more residents,
    // 30 days after the determination, counted from discovery until one is recorded:
    // 2026-04-02) which no notice met.
    let overdue: Vec<Key> = c
        .obligations
        .iter()
        .take_while(|o| o.status == Status::Overdue)
        .map(|o| o.key)
        .collect();
    assert_eq!(
        overdue,
        [Key::StateRegulatorNotice, Key::MediaNotice],
        "overdue first, earliest first"
    );
    let early = clock(day("2026-03-03"), &f, true, &[], day("2026-03-10"));
    assert!(
        early
            .obligations
            .iter()
            .filter(|o| o.state_law.is_none())
            .all(|o| o.status == Status::Pending && o.days_left == 53)
    );
}

#[test]
fn a_change_of_facts_lists_each_moved_due_date() {
    let before = due_dates(day("2026-03-03"), &facts(Some(499), &[], None), true).0;
    let after = due_dates(day("2026-03-03"), &facts(Some(500), &[], None), true).0;
    let moved = changes(&before, &after);
    assert_eq!(moved.len(), 2);
    assert!(moved.contains(&DueChange {
        key: "hhs_annual_report".into(),
        state: None,
        old: Some(day("2027-03-01")),
        new: None
    }));
    assert!(moved.contains(&DueChange {
        key: "hhs_notice".into(),
        state: None,
        old: None,
        new: Some(day("2026-05-02"))
    }));
}

fn any_facts() -> impl Strategy<Value = Facts> {
    (
        proptest::option::of(0u64..3000),
        proptest::collection::btree_map(
            prop::sample::select(&["TX", "OK", "NM", "CA"][..]),
            0u64..1200,
            0..4,
        ),
        proptest::option::of(0u64..40),
    )
        .prop_map(|(affected, states, unreachable)| {
            let states: BTreeMap<String, u64> =
                states.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let in_states: u64 = states.values().sum();
            Facts {
                affected: affected.map(|a| a.max(in_states)),
                states,
                unreachable,
                ..Facts::default()
            }
        })
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (2015i32..2040, 1u32..=366).prop_map(|(y, d)| {
        NaiveDate::from_yo_opt(y, d).unwrap_or_else(|| NaiveDate::from_yo_opt(y, 365).unwrap())
    })
}

fn audiences(list: &[Obligation]) -> Vec<(Audience, Option<String>)> {
    let mut a: Vec<_> = list
        .iter()
        .filter(|o| {
            matches!(
                o.key.audience(),
                Audience::Individuals | Audience::Hhs | Audience::Media
            )
        })
        .map(|o| (o.key.audience(), o.state.clone()))
        .collect();
    a.sort();
    a.dedup();
    a
}

proptest! {
    #[test]
    fn no_due_date_is_before_discovery(discovered in any_date(), f in any_facts()) {
        for o in due_dates(discovered, &f, true).0 {
            prop_assert!(o.due > discovered, "{:?} due {} before discovery {}", o.key, o.due, discovered);
        }
    }

    #[test]
    fn once_the_count_is_known_hhs_is_exactly_one_of_notice_or_annual_report(discovered in any_date(), f in any_facts()) {
        prop_assume!(f.affected.is_some());
        let list = due_dates(discovered, &f, true).0;
        let hhs: Vec<Key> = list.iter().map(|o| o.key).filter(|k| matches!(k, Key::HhsNotice | Key::HhsAnnualReport)).collect();
        prop_assert_eq!(hhs.len(), 1);
        let expected = if f.affected.unwrap() >= 500 { Key::HhsNotice } else { Key::HhsAnnualReport };
        prop_assert_eq!(hhs[0], expected);
    }

    #[test]
    fn more_people_affected_never_moves_a_due_date_later_or_drops_an_audience(
        discovered in any_date(),
        f in any_facts(),
        more in 0u64..2000,
        state in prop::sample::select(&["TX", "OK", "NM", "CA"][..]),
    ) {
        let mut grown = f.clone();
        grown.affected = f.affected.map(|a| a + more);
        if f.affected.is_some() {
            *grown.states.entry(state.to_owned()).or_insert(0) += more;
        }
        let before = due_dates(discovered, &f, true).0;
        let after = due_dates(discovered, &grown, true).0;
        for audience in audiences(&before) {
            prop_assert!(audiences(&after).contains(&audience), "{:?} dropped", audience);
        }
        let earliest = |list: &[Obligation], a: &(Audience, Option<String>)| {
            list.iter().filter(|o| (o.key.audience(), o.state.clone()) == *a).map(|o| o.due).min()
        };
        for audience in audiences(&before) {
            prop_assert!(earliest(&after, &audience) <= earliest(&before, &audience), "{:?} moved later", audience);
        }
    }
}

#[test]
fn an_unknown_number_unreachable_keeps_the_substitute_notice_as_an_unknown_count_keeps_hhs() {
    let unknown = facts(Some(40), &[], None);
    let (list, assumptions, _) = due_dates(day("2026-03-03"), &unknown, true);
    let substitute = list
        .iter()
        .find(|o| o.key == Key::SubstituteNotice)
        .expect("kept while unknown");
    assert_eq!(substitute.form, Some(SubstituteForm::WebOrMedia));
    assert_eq!(substitute.due, day("2026-05-02"));
    assert!(
        assumptions
            .iter()
            .any(|a| a.contains("cannot be reached is unknown")),
        "{assumptions:?}"
    );
    let none = facts(Some(40), &[], Some(0));
    assert!(
        due_dates(day("2026-03-03"), &none, true)
            .0
            .iter()
            .all(|o| o.key != Key::SubstituteNotice),
        "a recorded 0 removes it"
    );
}

#[test]
fn the_record_is_kept_six_years_from_its_last_entry() {
    assert_eq!(
        retain_until(day("2026-03-10"), day("2026-09-01")),
        day("2032-09-01")
    );
    assert_eq!(
        retain_until(day("2028-02-29"), day("2028-02-29")),
        day("2034-02-28"),
        "29 February six years on"
    );
}

#[test]
fn a_web_or_media_substitute_notice_stays_up_90_days_from_the_day_it_is_given() {
    let f = facts(Some(40), &[], Some(12));
    let notices = [SentNotice {
        to: Audience::Substitute,
        date: day("2026-04-10"),
        state: None,
        count: None,
        counts: true,
        by_email: false,
        remailed: false,
        entity: None,
    }];
    let c = clock(day("2026-03-03"), &f, true, &notices, day("2026-04-20"));
    let substitute = c
        .obligations
        .iter()
        .find(|o| o.key == Key::SubstituteNotice)
        .unwrap();
    assert_eq!(
        substitute.keep_up,
        Some(Period {
            from: day("2026-04-10"),
            until: day("2026-07-08"),
        }),
        "90 days counting the first"
    );
    let few = facts(Some(40), &[], Some(3));
    let c = clock(day("2026-03-03"), &few, true, &notices, day("2026-04-20"));
    assert!(
        c.obligations.iter().all(|o| o.keep_up.is_none()),
        "an alternative form for fewer than 10 has no posting to keep up"
    );
}

#[test]
fn notices_to_part_of_the_reachable_people_leave_the_individual_notice_partial() {
    // 1,240 affected, 140 unreachable: 1,100 can be reached by mail.
    let f = facts(Some(1240), &[], Some(140));
    let mailing = |date: &str, count: u64| SentNotice {
        to: Audience::Individuals,
        date: day(date),
        state: None,
        count: Some(count),
        counts: true,
        by_email: false,
        remailed: false,
        entity: None,
    };
    let status = |notices: &[SentNotice]| {
        let c = clock(day("2026-03-03"), &f, true, notices, day("2026-04-10"));
        let o = c
            .obligations
            .iter()
            .find(|o| o.key == Key::IndividualNotice)
            .unwrap()
            .clone();
        (o.status, o.notified, o.reachable, o.met_on)
    };
    assert_eq!(
        status(&[mailing("2026-04-01", 600)]),
        (Status::Partial, Some(600), Some(1100), None)
    );
    assert_eq!(
        status(&[mailing("2026-04-01", 600), mailing("2026-04-08", 500)]),
        (Status::Met, Some(1100), Some(1100), Some(day("2026-04-08"))),
        "met on the day everyone reachable was notified"
    );
}
