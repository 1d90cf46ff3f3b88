//! Notices for real: only the methods the rule allows for each audience count toward its
//! obligation, the counts add up to everyone affected, and returned mail joins the unreachable.
//! Every expected status is worked out from the regulation's text (45 CFR 164.404(d), 164.406,
//! 164.408), on an incident discovered on 2026-03-01, so every notice is due 2026-04-30.

use serde_json::Value;

use crate::{ASSESS_NOTIFICATION_REQUIRED, Env};

/// An incident on the minimal runbook whose determination requires notification, with `facts`.
fn incident(facts: &[&str]) -> Env {
    let env = Env::new();
    env.start_minimal("Notices");
    let mut args = vec!["facts"];
    args.extend(facts);
    env.breach(args).ok();
    env.breach(ASSESS_NOTIFICATION_REQUIRED).ok();
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

/// A written law-enforcement statement of 2026-03-05 asking to delay notices to 2026-05-15.
fn written_hold_to_may_15(env: &Env, more: &[&str]) {
    let mut args = vec![
        "facts",
        "--delay",
        "written",
        "--delay-official",
        "Special Agent R. Doe, FBI",
        "--delay-stated",
        "2026-03-05",
        "--delay-until",
        "2026-05-15",
    ];
    args.extend(more);
    env.breach(args).ok();
}

fn notify<'a>(to: &'a str, method: &'a str, count: &'a str) -> Vec<&'a str> {
    notify_on("2026-03-09", to, method, count)
}

fn notify_on<'a>(date: &'a str, to: &'a str, method: &'a str, count: &'a str) -> Vec<&'a str> {
    vec![
        "notify", "--to", to, "--date", date, "--method", method, "--count", count,
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
    env.breach(notify_on("2026-03-10", "individuals", "email", "1"))
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
    env.breach(notify_on(
        "2026-03-10",
        "next-of-kin",
        "first-class-mail",
        "1",
    ))
    .ok();
    assert_eq!(obligation(&env, "next_of_kin_notice")["status"], "met");
    // A count beyond the deceased is refused.
    let mut again = notify_on("2026-03-10", "next-of-kin", "first-class-mail", "1");
    again.push("--again");
    env.breach(again).fails(1);
}

#[test]
fn a_written_hold_moves_the_next_of_kin_notice_with_the_individual_notice() {
    let env = incident(&["--affected", "40", "--unreachable", "0", "--deceased", "1"]);
    written_hold_to_may_15(&env, &[]);
    // Due 2026-04-30 falls inside the hold (to 2026-05-15): due the day after it ends.
    let individual = obligation(&env, "individual_notice");
    let kin = obligation(&env, "next_of_kin_notice");
    assert_eq!(individual["due"], "2026-05-16", "{individual}");
    assert_eq!(kin["due"], "2026-05-16", "{kin}");
    assert_eq!(kin["held_until"], "2026-05-15");
}

/// Every element 164.404(c) asks of a letter, recorded: the organisation's profile and the
/// facts a notice tells.
fn letter_ready(env: &Env) {
    for (key, value) in [
        ("name", "Harbor Clinic"),
        ("address", "1 Harbor Way, Springfield, OH 45501"),
        ("privacy_officer", "Morgan Reyes, Privacy Officer"),
        ("toll_free", "1-800-555-0100"),
    ] {
        env.breach(["config", "set", key, value]).ok();
    }
    env.breach([
        "facts",
        "--what-happened",
        "A message with a lab report went to the wrong address.",
        "--breach-started",
        "2026-02-27",
        "--phi-types",
        "Name and lab result.",
        "--protective-steps",
        "Watch your explanation of benefits for care you did not receive.",
        "--our-response",
        "We asked the recipient to delete the message and retrained staff.",
    ])
    .ok();
}

/// A roster of invented people in several states: never real PHI.
fn invented_roster(people: usize) -> String {
    const FIRST: [&str; 8] = [
        "Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jules",
    ];
    const LAST: [&str; 6] = ["Quill", "Ormond", "Lind", "Marsh", "Hale", "Vance"];
    const STATES: [(&str, &str, &str); 3] = [
        ("OH", "Springfield", "45501"),
        ("TX", "Austin", "73301"),
        ("CA", "Fresno", "93650"),
    ];
    let mut text = String::from(
        "name,address,city,state,zip,email,email_consent,deceased,next_of_kin,next_of_kin_address\n",
    );
    for i in 0..people {
        let (state, city, zip) = STATES[i % 3];
        let name = format!("{} {}{}", FIRST[i % 8], LAST[i % 6], i);
        // Every tenth has no address; every twentieth has died, half of those with a next of
        // kin whose address is known; every fourth agreed to email.
        let address = if i % 10 == 9 {
            String::new()
        } else {
            format!("{} Birch Lane", 100 + i)
        };
        let (email, consent) = if i % 4 == 0 {
            (format!("p{i}@example.net"), "yes")
        } else {
            (String::new(), "no")
        };
        let (deceased, kin, kin_address) = if i % 20 == 3 {
            (
                "yes",
                format!("Kin of {name}"),
                if i % 40 == 3 {
                    format!("{} Cedar Court", 900 + i)
                } else {
                    String::new()
                },
            )
        } else {
            ("no", String::new(), String::new())
        };
        text.push_str(&format!("{name},{address},{city},{state},{zip},{email},{consent},{deceased},{kin},{kin_address}\n"));
    }
    text
}

/// Every file under `dir`, read whole, for a search of the store.
pub(crate) fn every_byte_under(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.extend(every_byte_under(&path));
        } else {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

#[test]
fn a_roster_gives_the_counts_and_nothing_of_it_enters_the_store() {
    let env = incident(&[]);
    let text = invented_roster(620);
    let path = env.write("roster.csv", &text);
    let out = env
        .breach(["--json", "facts", "--roster", path.to_str().unwrap()])
        .ok();
    assert!(out.json()["head"]["seq"].as_u64().is_some());
    let facts = env.breach(["--json", "facts"]).ok().json();
    let f = &facts["facts"];
    assert_eq!(f["affected"], 620, "{facts}");
    // 620 people in turn in OH, TX, CA.
    assert_eq!(f["states"]["OH"], 207);
    assert_eq!(f["states"]["TX"], 207);
    assert_eq!(f["states"]["CA"], 206);
    // Without an address: i % 10 == 9 (62 people), none of whom died; the dead without a
    // next of kin's address: i % 20 == 3 and i % 40 != 3 (15). Those with no address but an
    // email they agreed to: i % 10 == 9 and i % 4 == 0, i.e. i % 20 == 19 and i % 4 == 0:
    // never (19 is odd), so all 62 stay unreachable.
    assert_eq!(f["unreachable"], 62 + 15, "{facts}");
    assert_eq!(f["deceased"], 31);
    assert_eq!(f["roster"]["rows"], 620);
    use sha2::Digest;
    assert_eq!(
        f["roster"]["sha256"],
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    );
    // 10 or more unreachable: the substitute notice in its web-or-media form, and the next of
    // kin of the 31 dead are owed a letter.
    assert_eq!(
        obligation(&env, "substitute_notice")["form"],
        "web_or_media"
    );
    assert_eq!(obligation(&env, "next_of_kin_notice")["due"], "2026-04-30");
    // The store holds no name, address or email of the roster, in any file.
    let store = every_byte_under(&env.store());
    let store = String::from_utf8_lossy(&store);
    for line in text.lines().skip(1) {
        for cell in line.split(',').filter(|c| c.len() > 3) {
            assert!(!store.contains(cell), "the store holds a roster cell");
        }
    }
}

#[test]
fn a_roster_with_a_bad_row_records_nothing_and_names_only_the_place() {
    let env = incident(&[]);
    let before = every_byte_under(&env.store()).len();
    let mut text = invented_roster(30);
    text.push_str("Quinn Vance999,5 Birch Lane,Austin,XX,73301,,,,,\n");
    let path = env.write("roster.csv", &text);
    let refused = env
        .breach(["facts", "--roster", path.to_str().unwrap()])
        .fails(1);
    let line = refused.error_line();
    assert!(line.contains("roster.csv:32: column `state`"), "{line}");
    assert!(!line.contains("Quinn") && !line.contains("Birch"), "{line}");
    let facts = env.breach(["--json", "facts"]).ok().json();
    assert!(
        facts["facts"]["roster"].is_null(),
        "nothing recorded: {facts}"
    );
    assert_eq!(facts["facts"]["affected"], Value::Null);
    assert!(every_byte_under(&env.store()).len() >= before);
    // A roster given with counts of its own is a usage error.
    env.breach([
        "facts",
        "--roster",
        path.to_str().unwrap(),
        "--affected",
        "3",
    ])
    .fails(2);
}

#[test]
fn one_letter_per_reachable_person_with_a_manifest_and_only_for_the_roster_counted() {
    use std::os::unix::fs::PermissionsExt;
    let env = incident(&[]);
    let text = invented_roster(40);
    let path = env.write("roster.csv", &text);
    let roster = path.to_str().unwrap();
    env.breach(["facts", "--roster", roster]).ok();
    let dir = env.path().join("letters");
    // Letters that would lack an element 164.404(c) requires are not written.
    let refused = env
        .breach([
            "letter",
            "individual",
            "--roster",
            roster,
            "-o",
            dir.to_str().unwrap(),
        ])
        .fails(1);
    let line = refused.error_line();
    assert!(line.contains("what happened (164.404(c)(1)(A))"), "{line}");
    assert!(!dir.exists(), "no directory made");
    letter_ready(&env);
    let out = env
        .breach([
            "letter",
            "individual",
            "--roster",
            roster,
            "-o",
            dir.to_str().unwrap(),
        ])
        .ok();
    // 40 people: 4 without an address (i % 10 == 9) and 1 dead without a next of kin's
    // address (i = 23) are owed the substitute notice instead; 35 letters.
    assert!(out.stdout.contains("Wrote 35 letter(s)"), "{}", out.stdout);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    // Row 2 is the first person (Avery Quill0), named by row number, never by name.
    let first = dir.join("letter-00002.md");
    assert_eq!(mode(&first), 0o600);
    let letter = std::fs::read_to_string(&first).unwrap();
    assert!(letter.contains("Dear Avery Quill0,"), "{letter}");
    assert!(
        letter.contains("100 Birch Lane\\\nSpringfield, OH 45501"),
        "{letter}"
    );
    // Row 5 is i = 3, who died: the letter goes to the next of kin, at their address.
    let kin = std::fs::read_to_string(dir.join("letter-00005.md")).unwrap();
    assert!(kin.contains("Dear Kin of Devon Marsh3,"), "{kin}");
    assert!(kin.contains("903 Cedar Court"), "{kin}");
    assert!(
        kin.contains("next of kin or personal representative of Devon Marsh3"),
        "{kin}"
    );
    // Row 11 (i = 9) has no address: no letter.
    assert!(!dir.join("letter-00011.md").exists());
    let manifest = std::fs::read_to_string(dir.join("manifest.csv")).unwrap();
    assert_eq!(manifest.lines().count(), 36, "{manifest}");
    assert!(
        manifest.starts_with(
            "row,recipient,file,state,method\n2,Avery Quill0,letter-00002.md,OH,first-class-mail\n"
        ),
        "{manifest}"
    );
    // Again into the same directory: refused without --force.
    env.breach([
        "letter",
        "individual",
        "--roster",
        roster,
        "-o",
        dir.to_str().unwrap(),
    ])
    .fails(1);
    env.breach([
        "letter",
        "individual",
        "--roster",
        roster,
        "-o",
        dir.to_str().unwrap(),
        "--force",
    ])
    .ok();
    // A roster that changed since it was counted: refused, nothing written.
    let changed = env.write("roster.csv", &invented_roster(41));
    let other = env.path().join("other");
    let refused = env
        .breach([
            "letter",
            "individual",
            "--roster",
            changed.to_str().unwrap(),
            "-o",
            other.to_str().unwrap(),
        ])
        .fails(1);
    let line = refused.error_line();
    assert!(
        line.contains("41 rows") && line.contains("40 rows"),
        "{line}"
    );
    assert!(line.contains("facts --roster"), "{line}");
    assert!(!other.exists(), "no directory made");
    // Nothing of the roster or the letters entered the store.
    let store = String::from_utf8_lossy(&every_byte_under(&env.store())).into_owned();
    assert!(!store.contains("Avery Quill0") && !store.contains("Birch Lane"));
}

#[test]
fn the_facts_screen_shows_returned_mail_the_deceased_the_email_consents_and_the_roster() {
    let env = incident(&["--affected", "50", "--unreachable", "0"]);
    let path = env.write("roster.csv", &invented_roster(20));
    env.breach(["facts", "--roster", path.to_str().unwrap()])
        .ok();
    env.breach(["facts", "--returned", "2"]).ok();
    let screen = env.breach(["facts"]).ok().stdout;
    // 20 people: 2 without an address (i = 9, 19), the dead i = 3 reached through a next of kin,
    // 5 who agreed to email (i % 4 == 0), then 2 letters returned.
    assert!(screen.contains("affected             20"), "{screen}");
    assert!(screen.contains("unreachable          4"), "{screen}");
    assert!(screen.contains("returned mail        2"), "{screen}");
    assert!(screen.contains("deceased             1"), "{screen}");
    assert!(screen.contains("agreed to email      5"), "{screen}");
    assert!(
        screen.contains("roster               20 rows, sha256 "),
        "{screen}"
    );
    assert!(!screen.contains("Avery"), "no cell of the roster: {screen}");
}

/// Settles every step before `risk-assessment` as not applicable and checks it off, so that the
/// notice steps that wait on it can be done (a bundled runbook, notification required).
fn settle_the_assessment_step(env: &Env) {
    let status = env.breach(["--json", "status"]).ok().json();
    for step in status["steps"].as_array().unwrap() {
        let id = step["id"].as_str().unwrap();
        if id == "risk-assessment" {
            break;
        }
        if step["state"] == "open" && step["applies"] == true {
            env.breach(["na", id, "--reason", "settled for the test"])
                .ok();
        }
    }
    env.breach(["done", "risk-assessment"]).ok();
}

/// What a real reader makes of a letter file: pandoc for Word, pdftotext for PDF.
pub(crate) fn read_back(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for this test (.ci/run installs it): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn letters_in_word_pdf_and_html_are_read_back_by_real_readers() {
    let env = incident(&[]);
    letter_ready(&env);
    // Invented people: one with letters beyond ASCII, one whose name is markup, one who died.
    let text = "name,address,city,state,zip,deceased,next_of_kin,next_of_kin_address\n\
        Zoë Ñandú-Lind,12 Birch Lane,Fresno,CA,93650,no,,\n\
        <b>Rowan</b> Hale,5 Elm Street,Austin,TX,73301,no,,\n\
        Jules Marsh,,Austin,TX,73301,yes,Sky Marsh,9 Cedar Court Austin TX 73301\n";
    let path = env.write("roster.csv", text);
    let roster = path.to_str().unwrap();
    env.breach(["facts", "--roster", roster]).ok();
    let store_before = every_byte_under(&env.store());
    let elements = [
        "A message with a lab report went to the wrong address.",
        "Name and lab result.",
        "Watch your explanation of benefits",
        "We asked the recipient to delete the message",
        "1-800-555-0100",
        "February 27, 2026",
        "March 1, 2026",
    ];
    let letters = |format: &str| {
        let dir = env.path().join(format);
        env.breach([
            "letter",
            "individual",
            "--roster",
            roster,
            "--format",
            format,
            "-o",
            dir.to_str().unwrap(),
        ])
        .ok();
        let manifest = std::fs::read_to_string(dir.join("manifest.csv")).unwrap();
        assert!(
            manifest.contains(&format!(
                "2,Zoë Ñandú-Lind,letter-00002.{format},CA,first-class-mail"
            )),
            "{manifest}"
        );
        dir
    };

    // Word: pandoc reads the body; the letterhead is the page header, apart from the body.
    let word = letters("docx");
    let doc = read_back(
        "pandoc",
        &[
            "-t",
            "plain",
            "--wrap=none",
            word.join("letter-00002.docx").to_str().unwrap(),
        ],
    );
    assert!(doc.contains("Dear Zoë Ñandú-Lind,"), "{doc}");
    assert!(
        doc.contains("12 Birch Lane") && doc.contains("Fresno, CA 93650"),
        "{doc}"
    );
    for element in elements {
        assert!(doc.contains(element), "{element} in {doc}");
    }
    assert!(doc.contains("Morgan Reyes, Privacy Officer"), "{doc}");
    let header = read_back(
        "python3",
        &[
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.read('word/header1.xml').decode())",
            word.join("letter-00002.docx").to_str().unwrap(),
        ],
    );
    assert!(header.contains("Harbor Clinic"), "{header}");
    assert!(
        !doc.contains("1 Harbor Way, Springfield, OH 45501\n\nDecember"),
        "letterhead not in the body"
    );
    let kin = read_back(
        "pandoc",
        &[
            "-t",
            "plain",
            "--wrap=none",
            word.join("letter-00004.docx").to_str().unwrap(),
        ],
    );
    assert!(
        kin.contains("Dear Sky Marsh,") && kin.contains("personal representative of Jules Marsh"),
        "{kin}"
    );

    // PDF: one US Letter page per letter here, its text searchable.
    let pdf = letters("pdf");
    let file = pdf.join("letter-00002.pdf");
    let info = read_back("pdfinfo", &[file.to_str().unwrap()]);
    assert!(
        info.lines()
            .any(|l| l.starts_with("Pages:") && l.ends_with(" 1")),
        "{info}"
    );
    assert!(info.contains("612 x 792 pts"), "{info}");
    assert!(!info.contains("Zoë"), "no name in the metadata: {info}");
    let printed = read_back("pdftotext", &["-raw", file.to_str().unwrap(), "-"]);
    assert!(printed.starts_with("Harbor Clinic\n"), "{printed}");
    assert!(printed.contains("Dear Zoë Ñandú-Lind,"), "{printed}");
    for element in ["Name and lab result.", "1-800-555-0100", "March 1, 2026"] {
        assert!(printed.contains(element), "{element} in {printed}");
    }

    // HTML: print styles, every word escaped.
    let html = letters("html");
    let page = std::fs::read_to_string(html.join("letter-00003.html")).unwrap();
    assert!(
        page.contains("@media print") && page.contains("@page{size:letter"),
        "{page}"
    );
    assert!(page.contains("&lt;b&gt;Rowan&lt;/b&gt; Hale"), "{page}");
    assert!(!page.contains("<b>Rowan"), "{page}");
    assert!(
        page.contains("<header class=\"letterhead\">")
            && page.contains("<footer class=\"signature\">")
    );

    // Nothing of the roster entered the store through any of it.
    assert_eq!(every_byte_under(&env.store()), store_before);

    // A name the PDF font cannot print: refused at its row before any letter is written.
    let env = incident(&[]);
    letter_ready(&env);
    let path = env.write(
        "roster.csv",
        "name,address,city,state,zip\nAvery Quill,1 Birch Lane,Austin,TX,73301\n山田 花子,2 Birch Lane,Austin,TX,73301\n",
    );
    env.breach(["facts", "--roster", path.to_str().unwrap()])
        .ok();
    let dir = env.path().join("pdf");
    let refused = env
        .breach([
            "letter",
            "individual",
            "--roster",
            path.to_str().unwrap(),
            "--format",
            "pdf",
            "-o",
            dir.to_str().unwrap(),
        ])
        .fails(1);
    let line = refused.error_line();
    assert!(
        line.contains("roster.csv:3:") && line.contains("--format docx"),
        "{line}"
    );
    assert!(!line.contains("山田"), "{line}");
    assert!(!dir.exists(), "no letter written");
}

#[test]
fn mailed_returned_and_re_mailed_are_kept_apart_and_shown_wherever_the_deadline_is() {
    // 600 affected, 600 mailed on 2026-03-09, 12 come back: 588 reached of the 588 still owed
    // the letter (the 12 are owed the substitute notice, 10 or more: web or media).
    let env = incident(&["--affected", "600", "--unreachable", "0"]);
    env.breach(notify("individuals", "first-class-mail", "600"))
        .ok();
    env.breach(["facts", "--returned", "12"]).ok();
    let individual = obligation(&env, "individual_notice");
    assert_eq!(individual["status"], "met", "{individual}");
    assert_eq!(individual["notified"], 588);
    assert_eq!(
        individual["sent"],
        serde_json::json!({"mailed": 600, "emailed": 0, "returned": 12, "remailed": 0})
    );
    assert_eq!(
        obligation(&env, "substitute_notice")["form"],
        "web_or_media"
    );
    // Five of them re-mailed to a corrected address on 2026-03-10: owed the letter again, so
    // 593 are owed it and it is met on that day; 7 stay unreachable, fewer than 10, so the
    // substitute notice may be another written notice or a telephone call (164.404(d)(2)(i)).
    let mut remail = notify_on("2026-03-10", "individuals", "first-class-mail", "5");
    remail.push("--remailed");
    env.breach(remail).ok();
    let individual = obligation(&env, "individual_notice");
    assert_eq!(individual["met_on"], "2026-03-10", "{individual}");
    assert_eq!(individual["notified"], 593);
    assert_eq!(individual["reachable"], 593);
    assert_eq!(individual["sent"]["remailed"], 5);
    assert_eq!(individual["sent"]["mailed"], 600);
    let facts = env.breach(["--json", "facts"]).ok().json();
    assert_eq!(facts["facts"]["unreachable"], 7, "{facts}");
    assert_eq!(facts["facts"]["remailed"], 5, "{facts}");
    assert_eq!(obligation(&env, "substitute_notice")["form"], "alternative");
    // The same counts on the deadlines and status screens, in the export and in the calendar.
    let words = "600 mailed, 12 returned, 5 re-mailed; 593 of 593 reached";
    let screen = env
        .breach(["deadlines"])
        .ok()
        .stdout
        .replace("\n           ", "");
    assert!(
        screen.replace("  ", " ").contains(words) || screen.contains(words),
        "{screen}"
    );
    let report = env.breach(["export", "--format", "md"]).ok().stdout;
    assert!(report.contains(words), "{report}");
    let ics = env.breach(["export", "--format", "ics"]).ok().stdout;
    let unfolded = ics
        .replace("\r\n ", "")
        .replace("\\,", ",")
        .replace("\\;", ";");
    assert!(unfolded.contains(words), "{unfolded}");
    // Re-mailing is for letters to individuals only.
    let mut wrong = notify("media", "press-release", "1");
    wrong.extend(["--state", "OH", "--remailed"]);
    env.breach(wrong).fails(2);
}

#[test]
fn a_partial_mailing_shows_how_many_were_reached_on_the_status_screen() {
    let env = incident(&["--affected", "20", "--unreachable", "0"]);
    env.breach(notify("individuals", "first-class-mail", "15"))
        .ok();
    env.breach(["facts", "--returned", "2"]).ok();
    let status = env.breach(["status"]).ok().stdout;
    // 15 mailed less 2 returned: 13 of the 18 still owed the letter.
    assert!(status.contains("13 of 18 notified"), "{status}");
}

#[test]
fn a_notice_step_done_by_a_method_the_rule_does_not_allow_needs_a_reason_and_does_not_count() {
    let env = Env::new();
    env.start("compromised-mailbox");
    env.breach(["facts", "--affected", "40", "--unreachable", "0"])
        .ok();
    env.breach(ASSESS_NOTIFICATION_REQUIRED).ok();
    settle_the_assessment_step(&env);
    let by_phone = [
        "done",
        "notify-individuals",
        "--date",
        "2026-03-09",
        "--method",
        "web-posting",
        "--count",
        "40",
    ];
    // A web posting is never the written notice to individuals (164.404(d)(1)): refused...
    let refused = env.breach(by_phone).fails(1);
    assert!(
        refused.error_line().contains("164.404"),
        "{}",
        refused.error_line()
    );
    let steps = env.breach(["--json", "status"]).ok().json().to_string();
    // Insisted on with a reason, it still does not do the step, which is done only by the
    // notice that meets it: the refusal points to `notify`, which records it, not counted.
    let mut insisted = by_phone.to_vec();
    insisted.extend([
        "--reason",
        "Called each patient before the letters were printed",
    ]);
    let refused = env.breach(insisted).fails(1);
    assert!(
        refused
            .error_line()
            .contains("breach notify --to individuals")
    );
    assert_eq!(
        env.breach(["--json", "status"]).ok().json().to_string(),
        steps
    );
    let mut noted = notify("individuals", "web-posting", "40");
    noted.extend([
        "--reason",
        "Called each patient before the letters were printed",
    ]);
    env.breach(noted).ok();
    let individual = obligation(&env, "individual_notice");
    assert_ne!(individual["status"], "met", "{individual}");
    let log = env.breach(["export", "--format", "json"]).ok().stdout;
    assert!(
        log.contains("not_counted"),
        "the notice is kept as not counted"
    );
}

#[test]
fn the_next_of_kin_step_is_due_when_the_held_next_of_kin_notice_is() {
    let env = Env::new();
    env.start("misdirected-email");
    env.breach([
        "facts",
        "--affected",
        "40",
        "--unreachable",
        "0",
        "--deceased",
        "1",
    ])
    .ok();
    env.breach(ASSESS_NOTIFICATION_REQUIRED).ok();
    settle_the_assessment_step(&env);
    let due = |env: &Env| {
        let status = env.breach(["--json", "status"]).ok().json();
        status["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "notify-next-of-kin")
            .unwrap()["due"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Discovered 2026-03-01: due day 60, 2026-04-30, at the end of that day.
    assert!(
        due(&env).starts_with("2026-04-30T23:59:00"),
        "{}",
        due(&env)
    );
    // A written hold to 2026-05-15 moves the notice, and the step with it, to 2026-05-16.
    written_hold_to_may_15(&env, &[]);
    assert!(
        due(&env).starts_with("2026-05-16T23:59:00"),
        "{}",
        due(&env)
    );
    // The step is done by the notice itself, by first-class mail.
    env.breach([
        "done",
        "notify-next-of-kin",
        "--date",
        "2026-03-09",
        "--method",
        "first-class-mail",
        "--count",
        "1",
        "--despite-hold",
        "--reason",
        "The family asked for the letter before the hold",
    ])
    .ok();
    assert_eq!(obligation(&env, "next_of_kin_notice")["status"], "met");
}

#[test]
fn a_hold_asked_for_the_media_notice_only_holds_only_the_media_notice() {
    // 164.412: an official may ask to delay a notification; here, in writing, only the media
    // notice, to 2026-05-15. The media notice (due 2026-04-30, inside the hold) is due the day
    // after it ends; the individual and HHS notices stay due 2026-04-30.
    let env = incident(&[
        "--affected",
        "600",
        "--state",
        "TX=600",
        "--unreachable",
        "0",
    ]);
    written_hold_to_may_15(&env, &["--delay-covers", "media"]);
    let media = obligation(&env, "media_notice");
    assert_eq!(media["due"], "2026-05-16", "{media}");
    assert_eq!(media["held_until"], "2026-05-15");
    let individual = obligation(&env, "individual_notice");
    assert_eq!(individual["due"], "2026-04-30", "{individual}");
    assert!(individual["held_until"].is_null(), "{individual}");
    assert_eq!(obligation(&env, "hhs_notice")["due"], "2026-04-30");
    // Letters inside the hold are not held; a press release is.
    env.breach(notify("individuals", "first-class-mail", "600"))
        .ok();
    let mut press = notify("media", "press-release", "1");
    press.extend(["--state", "TX"]);
    let refused = env.breach(press).fails(1);
    assert!(
        refused.error_line().contains("law-enforcement hold"),
        "{}",
        refused.error_line()
    );
    let screen = env.breach(["deadlines"]).ok().stdout;
    assert!(
        screen.contains("delays only the notice to media"),
        "{screen}"
    );
    // The scope belongs to a delay.
    env.breach(["facts", "--delay-covers", "media"]).fails(2);
}

#[test]
fn a_count_that_grows_after_hhs_was_told_asks_for_the_portals_addendum() {
    let env = incident(&["--affected", "600", "--unreachable", "0"]);
    let addendum_warning = |env: &Env| {
        let doc = env.breach(["--json", "deadlines"]).ok().json();
        doc["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|w| w.as_str())
            .find(|w| w.contains("addendum"))
            .map(str::to_owned)
    };
    // Nothing is owed before HHS is told, and an addendum to nothing is refused.
    let mut early = notify("hhs", "portal", "600");
    early.push("--addendum");
    env.breach(early).fails(1);
    env.breach(notify("hhs", "portal", "600")).ok();
    assert_eq!(addendum_warning(&env), None);
    // The count grows to 900: the portal's addendum is asked for, on the screen too.
    env.breach(["facts", "--affected", "900"]).ok();
    let warning = addendum_warning(&env).expect("an addendum warning");
    assert!(
        warning.contains("600 affected on 2026-03-09") && warning.contains("900"),
        "{warning}"
    );
    let screen = env.breach(["deadlines"]).ok().stdout;
    assert!(screen.contains("addendum"), "{screen}");
    // Recorded: no longer asked for, and the HHS notice stays met on its first date.
    let mut addendum = notify_on("2026-03-10", "hhs", "portal", "900");
    addendum.push("--addendum");
    env.breach(addendum).ok();
    assert_eq!(addendum_warning(&env), None);
    let hhs = obligation(&env, "hhs_notice");
    assert_eq!(hhs["met_on"], "2026-03-09", "{hhs}");
    // An addendum goes to HHS through the portal only.
    let mut wrong = notify("individuals", "first-class-mail", "1");
    wrong.push("--addendum");
    env.breach(wrong).fails(2);
}

#[test]
fn notices_are_measured_from_the_day_the_team_was_ready_to_notify() {
    // Discovered 2026-03-01, everything known on 2026-03-03.
    let env = incident(&["--affected", "40", "--unreachable", "0"]);
    env.breach(["facts", "--ready-to-notify", "2026-02-20"])
        .fails(1);
    env.breach(["facts", "--ready-to-notify", "2026-03-03"])
        .ok();
    let warnings =
        |env: &Env| env.breach(["--json", "deadlines"]).ok().json()["warnings"].to_string();
    let before = warnings(&env);
    // Today is 2026-03-10 in UTC and Los Angeles, 2026-03-11 in Kiritimati.
    let today = chrono::NaiveDate::parse_from_str(crate::today(), "%Y-%m-%d").unwrap();
    let ready = chrono::NaiveDate::from_ymd_opt(2026, 3, 3).unwrap();
    let since = format!(
        "Ready to notify since 2026-03-03, {} day(s) ago",
        (today - ready).num_days()
    );
    assert!(before.contains(&since), "{before}");
    assert!(before.contains("164.414"), "{before}");
    // Letters on 2026-03-09, six days later: the delay is named, on the screen and in the report.
    env.breach(notify("individuals", "first-class-mail", "40"))
        .ok();
    let after = warnings(&env);
    assert!(!after.contains("Ready to notify since"), "{after}");
    assert!(
        after.contains(
            "on 2026-03-09 went out 6 day(s) after the team was ready to notify (2026-03-03)"
        ),
        "{after}"
    );
    let screen = env.breach(["deadlines"]).ok().stdout;
    let screen = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        screen.contains("6 day(s) after the team was ready"),
        "{screen}"
    );
    let report = env.breach(["export", "--format", "md"]).ok().stdout;
    assert!(report.contains("Warning: The notice to"), "{report}");
}

#[test]
fn a_business_associate_serving_several_covered_entities_owes_each_its_notice() {
    // 45 CFR 164.410(a)(1): a business associate notifies the covered entity; serving two, it
    // notifies each, by day 60 after discovery (2026-03-01 + 60 = 2026-04-30).
    let env = Env::new();
    env.start("business-associate");
    env.breach([
        "facts",
        "--affected",
        "40",
        "--covered-entity",
        "Riverside Family Clinic",
        "--covered-entity",
        "Lakeview Dental",
    ])
    .ok();
    let owed = |env: &Env| -> Vec<(String, String, String)> {
        env.breach(["--json", "deadlines"]).ok().json()["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["key"] == "business_associate_notice")
            .map(|o| {
                (
                    o["entity"].as_str().unwrap().to_owned(),
                    o["due"].as_str().unwrap().to_owned(),
                    o["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        owed(&env),
        [
            (
                "Lakeview Dental".into(),
                "2026-04-30".into(),
                "pending".into()
            ),
            (
                "Riverside Family Clinic".into(),
                "2026-04-30".into(),
                "pending".into()
            ),
        ]
    );
    // Which one must be said; one the facts do not name is refused; nothing is recorded.
    let unsaid = env.breach(notify("covered-entity", "email", "1")).fails(2);
    assert!(
        unsaid.error_line().contains("--entity"),
        "{}",
        unsaid.stderr
    );
    let mut wrong = notify("covered-entity", "email", "1");
    wrong.extend(["--entity", "Hilltop Pharmacy"]);
    let refused = env.breach(wrong).fails(1);
    assert!(
        refused.error_line().contains("Riverside Family Clinic"),
        "{}",
        refused.stderr
    );
    let mut lakeview = notify("covered-entity", "email", "1");
    lakeview.extend(["--entity", "Lakeview Dental"]);
    env.breach(lakeview).ok();
    assert_eq!(
        owed(&env),
        [
            (
                "Riverside Family Clinic".into(),
                "2026-04-30".into(),
                "pending".into()
            ),
            ("Lakeview Dental".into(), "2026-04-30".into(), "met".into()),
        ],
        "one entity's notice meets only its own"
    );
    let status = env.breach(["--json", "status"]).ok().json();
    let step = status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "notify-covered-entity")
        .unwrap()
        .clone();
    assert_eq!(step["state"], "open", "{step}");
    let mut riverside = notify("covered-entity", "email", "1");
    riverside.extend(["--entity", "Riverside Family Clinic"]);
    env.breach(riverside).ok();
    assert!(owed(&env).iter().all(|(_, _, status)| status == "met"));
    // The export names each entity's notice too.
    let exported = env.breach(["export", "--format", "json"]).ok().json();
    let entities: Vec<&str> = exported["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["entity"].as_str())
        .collect();
    assert_eq!(entities, ["Lakeview Dental", "Riverside Family Clinic"]);
}
