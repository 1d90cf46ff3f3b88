use super::*;

fn kinds(text: &str) -> Vec<&'static str> {
    find(
        text,
        &Context {
            this_year: Some(2026),
            ..Context::default()
        },
    )
}

#[test]
fn recognises_each_kind_it_claims() {
    // Invented values only: 078-05-1120 is the well-known specimen SSN; the card number is a
    // standard test number; the names are made up.
    for (text, kind) in [
        ("patient SSN 078-05-1120 in body", SSN),
        ("the SSN was 078051120", SSN),
        ("forwarded 219099999 to the vendor", SSN),
        ("MRN: 00482913", RECORD_NUMBER),
        ("account no. A7730014 was in the subject", RECORD_NUMBER),
        ("DOB 04/12/1961", DATE_OF_BIRTH),
        ("date of birth: 1961-04-12", DATE_OF_BIRTH),
        ("Maria Lopez, 04/12/1961, was listed", DATE_OF_BIRTH),
        ("born March 3, 1958", DATE_OF_BIRTH),
        ("call her back at (503) 555-0142", PHONE),
        ("mobile 503-555-0142", PHONE),
        ("sent to jroe1961@gmail.com by mistake", EMAIL),
        ("mailed to 4417 Alder Creek Rd", STREET_ADDRESS),
        ("card 4111 1111 1111 1111 on file", CARD),
    ] {
        assert!(
            kinds(text).contains(&kind),
            "{text:?} should be {kind}: {:?}",
            kinds(text)
        );
    }
}

#[test]
fn leaves_ordinary_notes_alone() {
    for text in [
        "Recipient called back at 14:05 and deleted the message",
        "Sent on 2026-03-01 to 3 recipients",
        "Ticket 20260301-4411, 12 mailboxes checked",
        "Message-ID <CAF1234@mail.example.org>",
        "phone 555-0100",
        "order 4111 1111 1111 1112",
        "Called the toll-free line 1-800-555-0100 to check the script",
        "Ticket 219099999 closed",
        "Reviewed with Dana Whit on 2026-03-02",
        "Signed off by Dana Whit, 2026-03-02",
        "45 CFR 164.404(b) applies; due 2026-04-30",
    ] {
        assert_eq!(kinds(text), Vec::<&str>::new(), "{text}");
    }
}

#[test]
fn the_organisations_own_details_and_expected_emails_are_not_flagged() {
    let org = Context {
        own_domains: vec!["riverside-clinic.example".into()],
        own_numbers: vec!["5035550100".into()],
        own_address: Some("12 elm street, springfield".into()),
        email_expected: false,
        this_year: Some(2026),
    };
    for text in [
        "Asked privacy@riverside-clinic.example to confirm",
        "Call us at 503-555-0100",
        "Letters list 12 Elm Street, Springfield as the return address",
    ] {
        assert_eq!(find(text, &org), Vec::<&str>::new(), "{text}");
    }
    let field = Context {
        email_expected: true,
        ..org
    };
    assert!(find("wrong.recipient@example.net", &field).is_empty());
}

/// Recall on each kind and false alarms on ordinary notes, measured on the generated,
/// labelled corpus (`tests/fixtures/identifiers/generate.py`). Run with `--nocapture` to
/// see the figures.
#[test]
fn recall_and_false_alarms_on_the_labelled_corpus() {
    #[derive(serde::Deserialize)]
    struct Line {
        text: String,
        kinds: Vec<String>,
    }
    let corpus = include_str!("../../../tests/fixtures/identifiers/corpus.jsonl");
    let org = Context {
        own_domains: vec!["riverside-clinic.example".into()],
        own_numbers: vec!["5035550100".into()],
        own_address: Some("12 elm street, springfield".into()),
        email_expected: false,
        this_year: Some(2026),
    };
    let mut per_kind: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let (mut ordinary, mut alarms) = (0usize, 0usize);
    let mut missed = Vec::new();
    let mut false_alarms = Vec::new();
    for line in corpus.lines() {
        let line: Line = serde_json::from_str(line).unwrap();
        let found = find(&line.text, &org);
        if line.kinds.is_empty() {
            ordinary += 1;
            if !found.is_empty() {
                alarms += 1;
                false_alarms.push(line.text.clone());
            }
        }
        for kind in &line.kinds {
            let entry = per_kind.entry(kind.clone()).or_default();
            entry.1 += 1;
            if found.iter().any(|f| f == kind) {
                entry.0 += 1;
            } else {
                missed.push(line.text.clone());
            }
        }
    }
    for (kind, (hit, total)) in &per_kind {
        let recall = *hit as f64 / *total as f64;
        println!("recall {kind}: {hit}/{total} = {:.1}%", recall * 100.0);
        assert!(
            recall >= 0.95,
            "recall on {kind} is {recall:.3}; missed: {missed:#?}"
        );
    }
    let rate = alarms as f64 / ordinary as f64;
    println!(
        "false alarms on ordinary notes: {alarms}/{ordinary} = {:.1}%",
        rate * 100.0
    );
    assert!(rate <= 0.05, "false alarms {rate:.3}: {false_alarms:#?}");
    assert_eq!(
        per_kind.len(),
        KINDS.len(),
        "the corpus covers every kind claimed"
    );
}
