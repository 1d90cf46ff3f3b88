//! Notices for real: only the methods the rule allows for each audience count toward its
//! obligation, the counts add up to everyone affected, and returned mail joins the unreachable.
//! Every expected status is worked out from the regulation's text (45 CFR 164.404(d), 164.406,
//! 164.408), on an incident discovered on 2026-03-01, so every notice is due 2026-04-30.

use serde_json::Value;

use crate::Env;

/// An incident on the minimal runbook whose determination requires notification, with `facts`.
fn incident(facts: &[&str]) -> Env {
    let env = Env::new();
    env.start_minimal("Notices");
    let mut args = vec!["facts"];
    args.extend(facts);
    env.breach(args).ok();
    env.breach([
        "assess",
        "--secured",
        "no",
        "--exception",
        "none",
        "--nature",
        "medium",
        "--nature-why",
        "names and lab results",
        "--recipient",
        "high",
        "--recipient-why",
        "a member of the public",
        "--acquired",
        "medium",
        "--acquired-why",
        "opened",
        "--mitigation",
        "low",
        "--mitigation-why",
        "deleted",
        "--determination",
        "notification-required",
        "--signed-by",
        "Dana Whit",
        "--role",
        "Privacy Officer",
    ])
    .ok();
    env
}

fn obligation(env: &Env, key: &str) -> Value {
    let doc = env.breach(["--json", "deadlines"]).ok().json();
    doc["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {doc}"))
        .clone()
}

fn notify<'a>(to: &'a str, method: &'a str, count: &'a str) -> Vec<&'a str> {
    vec![
        "notify",
        "--to",
        to,
        "--date",
        "2026-03-09",
        "--method",
        method,
        "--count",
        count,
    ]
}

#[test]
fn substitute_notice_for_ten_or_more_is_a_web_posting_or_major_media_only() {
    let env = incident(&["--affected", "100", "--unreachable", "15"]);
    let refused = env.breach(notify("substitute", "telephone", "15")).fails(1);
    let line = refused.error_line();
    assert!(line.contains("164.404(d)(2)(ii)"), "{line}");
    assert!(line.contains("--reason"), "{line}");
    // Insisted on: recorded, and the obligation is still owed.
    let mut insisted = notify("substitute", "telephone", "15");
    insisted.extend(["--reason", "The web team was unreachable that week"]);
    let out = env.breach(insisted).ok();
    assert!(out.stdout.contains("does not count"), "{}", out.stdout);
    assert_eq!(obligation(&env, "substitute_notice")["status"], "pending");
    env.breach(notify("substitute", "web-posting", "15")).ok();
    assert_eq!(obligation(&env, "substitute_notice")["status"], "met");
}

#[test]
fn fewer_than_ten_unreachable_may_be_reached_by_telephone() {
    let env = incident(&["--affected", "100", "--unreachable", "9"]);
    env.breach(notify("substitute", "telephone", "9")).ok();
    assert_eq!(obligation(&env, "substitute_notice")["status"], "met");
}

#[test]
fn a_telephone_call_to_individuals_is_an_urgent_notice_beside_the_written_one() {
    let env = incident(&["--affected", "3", "--unreachable", "0"]);
    let out = env.breach(notify("individuals", "telephone", "3")).ok();
    assert!(out.stdout.contains("164.404(d)(3)"), "{}", out.stdout);
    assert_eq!(obligation(&env, "individual_notice")["status"], "pending");
    env.breach(notify("individuals", "first-class-mail", "3"))
        .ok();
    assert_eq!(obligation(&env, "individual_notice")["status"], "met");
}

#[test]
fn media_notice_goes_to_media_outlets_and_hhs_notice_to_the_portal() {
    let env = incident(&[
        "--affected",
        "700",
        "--unreachable",
        "0",
        "--state",
        "TX=700",
    ]);
    let mut web = notify("media", "web-posting", "1");
    web.extend(["--state", "TX"]);
    let refused = env.breach(web).fails(1);
    assert!(
        refused.error_line().contains("164.406"),
        "{}",
        refused.stderr
    );
    let refused = env.breach(notify("hhs", "email", "1")).fails(1);
    assert!(
        refused.error_line().contains("164.408"),
        "{}",
        refused.stderr
    );
    let mut press = notify("media", "press-release", "1");
    press.extend(["--state", "TX"]);
    env.breach(press).ok();
    env.breach(notify("hhs", "portal", "1")).ok();
    assert_eq!(obligation(&env, "media_notice")["status"], "met");
    assert_eq!(obligation(&env, "hhs_notice")["status"], "met");
}

#[test]
fn a_mailing_short_of_everyone_is_partial_while_the_unreachable_are_not_counted() {
    // 600 affected, the unreachable never counted: everyone must be reached.
    let env = incident(&["--affected", "600"]);
    env.breach(notify("individuals", "first-class-mail", "400"))
        .ok();
    let individual = obligation(&env, "individual_notice");
    assert_eq!(individual["status"], "partial", "{individual}");
    assert_eq!(individual["notified"], 400);
    assert_eq!(individual["reachable"], 600);
    env.breach(notify("individuals", "first-class-mail", "200"))
        .ok();
    assert_eq!(obligation(&env, "individual_notice")["status"], "met");
}

#[test]
fn no_mailing_completes_the_notice_while_nobody_knows_how_many_are_affected() {
    let env = incident(&["--unreachable", "0"]);
    env.breach(notify("individuals", "first-class-mail", "3"))
        .ok();
    assert_eq!(obligation(&env, "individual_notice")["status"], "partial");
}

#[test]
fn email_is_written_notice_only_for_those_who_agreed_to_it() {
    let env = incident(&["--affected", "10", "--unreachable", "0"]);
    let refused = env.breach(notify("individuals", "email", "5")).fails(1);
    assert!(
        refused.error_line().contains("164.404(d)(1)(i)"),
        "{}",
        refused.stderr
    );
    env.breach(["facts", "--email-consent", "5"]).ok();
    env.breach(notify("individuals", "email", "5")).ok();
    // Five more by email than agreed: refused again.
    env.breach([
        "notify",
        "--to",
        "individuals",
        "--date",
        "2026-03-10",
        "--method",
        "email",
        "--count",
        "1",
    ])
    .fails(1);
    let individual = obligation(&env, "individual_notice");
    assert_eq!(individual["status"], "partial", "{individual}");
    env.breach(notify("individuals", "first-class-mail", "5"))
        .ok();
    assert_eq!(obligation(&env, "individual_notice")["status"], "met");
}

#[test]
fn returned_mail_joins_the_unreachable_who_are_owed_the_substitute_notice() {
    let env = incident(&["--affected", "600", "--unreachable", "0"]);
    env.breach(notify("individuals", "first-class-mail", "600"))
        .ok();
    assert_eq!(obligation(&env, "individual_notice")["status"], "met");
    let none = env.breach(["--json", "deadlines"]).ok().json();
    assert!(
        !none.to_string().contains("substitute_notice"),
        "everyone reachable: {none}"
    );
    // Twelve letters come back, then three more: fifteen unreachable, so the substitute
    // notice for 10 or more (164.404(d)(2)(ii)).
    env.breach(["facts", "--returned", "12"]).ok();
    env.breach(["facts", "--returned", "3"]).ok();
    let facts = env.breach(["--json", "facts"]).ok().json();
    assert_eq!(facts["facts"]["unreachable"], 15, "{facts}");
    assert_eq!(facts["facts"]["returned"], 15, "{facts}");
    let substitute = obligation(&env, "substitute_notice");
    assert_eq!(substitute["form"], "web_or_media", "{substitute}");
    assert_eq!(substitute["due"], "2026-04-30");
    assert_eq!(obligation(&env, "individual_notice")["status"], "met");
}

#[test]
fn the_next_of_kin_of_the_deceased_are_owed_written_notice_with_the_individuals() {
    let env = incident(&["--affected", "40", "--unreachable", "0", "--deceased", "2"]);
    let kin = obligation(&env, "next_of_kin_notice");
    // 164.404(d)(1)(ii): due with the individual notice, 60 days after 2026-03-01.
    assert_eq!(kin["due"], "2026-04-30", "{kin}");
    assert_eq!(kin["status"], "pending");
    let refused = env.breach(notify("next-of-kin", "email", "2")).fails(1);
    assert!(
        refused.error_line().contains("164.404(d)(1)(ii)"),
        "{}",
        refused.stderr
    );
    env.breach(notify("next-of-kin", "first-class-mail", "1"))
        .ok();
    assert_eq!(obligation(&env, "next_of_kin_notice")["status"], "partial");
    env.breach([
        "notify",
        "--to",
        "next-of-kin",
        "--date",
        "2026-03-10",
        "--method",
        "first-class-mail",
        "--count",
        "1",
    ])
    .ok();
    assert_eq!(obligation(&env, "next_of_kin_notice")["status"], "met");
    // A count beyond the deceased is refused.
    env.breach([
        "notify",
        "--to",
        "next-of-kin",
        "--date",
        "2026-03-10",
        "--method",
        "first-class-mail",
        "--count",
        "1",
        "--again",
    ])
    .fails(1);
}

#[test]
fn a_written_hold_moves_the_next_of_kin_notice_with_the_individual_notice() {
    let env = incident(&["--affected", "40", "--unreachable", "0", "--deceased", "1"]);
    env.breach([
        "facts",
        "--delay",
        "written",
        "--delay-official",
        "Special Agent R. Doe, FBI",
        "--delay-stated",
        "2026-03-05",
        "--delay-until",
        "2026-05-15",
    ])
    .ok();
    // Due 2026-04-30 falls inside the hold (to 2026-05-15): due the day after it ends.
    let individual = obligation(&env, "individual_notice");
    let kin = obligation(&env, "next_of_kin_notice");
    assert_eq!(individual["due"], "2026-05-16", "{individual}");
    assert_eq!(kin["due"], "2026-05-16", "{kin}");
    assert_eq!(kin["held_until"], "2026-05-15");
}
