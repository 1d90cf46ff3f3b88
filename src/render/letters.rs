//! Notice drafts: each letter filled from the incident's facts and the organisation profile, and
//! checked against the content the regulation requires. A value that is not recorded appears in
//! the draft as a named `[MISSING: …]` marker, never as an empty line, and in the checklist with
//! the command that supplies it.

use chrono::NaiveDate;
use minijinja::Environment;
use minijinja::context;

use crate::error::Error;
use crate::incident::Incident;
use crate::incident::obligations::{HHS_THRESHOLD, MEDIA_THRESHOLD, SUBSTITUTE_WEB_OR_MEDIA};
use crate::profile::Profile;
use crate::render::letter_files::{self, LetterParts};
use crate::render::templates;
use crate::text::sentence;

/// The notices `breach letter` drafts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LetterKind {
    Individual,
    Substitute,
    Media,
    Hhs,
    BusinessAssociate,
}

impl LetterKind {
    fn template(self) -> &'static str {
        match self {
            LetterKind::Individual => "letter-individual.md.j2",
            LetterKind::Substitute => "letter-substitute.md.j2",
            LetterKind::Media => "letter-media.md.j2",
            LetterKind::Hhs => "letter-hhs.md.j2",
            LetterKind::BusinessAssociate => "letter-business_associate.md.j2",
        }
    }

    fn basis(self) -> &'static str {
        match self {
            LetterKind::Individual => "45 CFR 164.404(c)",
            LetterKind::Substitute => "45 CFR 164.404(c) and (d)(2)",
            LetterKind::Media => "45 CFR 164.406(c), the content of 164.404(c)",
            LetterKind::Hhs => "45 CFR 164.408 (fields of the OCR breach portal)",
            LetterKind::BusinessAssociate => "45 CFR 164.410(c)",
        }
    }
}

/// One required content element, present or missing.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Element {
    pub name: &'static str,
    pub present: bool,
    /// How to supply it when missing.
    pub fix: &'static str,
}

#[derive(Debug, Clone)]
pub(crate) struct Letter {
    pub text: String,
    pub elements: Vec<Element>,
    pub basis: &'static str,
}

/// A date as people write it in a letter: "November 25, 2026" (the organisation's locale is US
/// English, the language of the notices HIPAA requires).
pub(crate) fn long_date(date: NaiveDate) -> String {
    date.format("%B %-d, %Y").to_string()
}

fn missing(what: &str) -> String {
    format!("[MISSING: {what}]")
}

/// Drafts `kind` for `incident`.
pub(crate) fn draft(
    env: &Environment<'_>,
    kind: LetterKind,
    incident: &Incident,
    profile: &Profile,
    today: NaiveDate,
) -> Result<Letter, Error> {
    let (contacts, states, web_or_media) = letter_facts(incident, profile);
    let elements = required_elements(kind, incident, profile, &contacts, &states, web_or_media);
    let ctx = letter_context(incident, profile, today, &contacts, &states, web_or_media);
    // A letter goes to patients and regulators: whatever the facts held, it carries no control
    // character but newline and tab, to a file or to a terminal.
    let mut text = crate::text::sanitize_multiline(&templates::render(env, kind.template(), ctx)?);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(Letter {
        text,
        elements,
        basis: kind.basis(),
    })
}

/// What every letter draws on beyond the facts: the organisation's contact routes, the states
/// that need media notice, and whether the substitute notice takes its web-or-media form.
fn letter_facts(incident: &Incident, profile: &Profile) -> (Vec<String>, Vec<String>, bool) {
    let f = &incident.facts;
    let contacts: Vec<String> = [
        profile.get("toll_free").map(|v| format!("toll-free {v}")),
        profile.get("email").map(|v| format!("email {v}")),
        profile.get("website").map(|v| format!("web {v}")),
        profile.get("address").map(|v| format!("write to {v}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let states: Vec<String> = f
        .states
        .iter()
        .filter(|(_, n)| **n > MEDIA_THRESHOLD)
        .map(|(s, _)| s.clone())
        .collect();
    let web_or_media = f.unreachable.is_some_and(|u| u >= SUBSTITUTE_WEB_OR_MEDIA);
    (contacts, states, web_or_media)
}

/// What the templates are given: the organisation, the notice's content from the facts (each
/// missing part marked `[MISSING: …]`), the states for media notice, and the HHS portal's
/// fields.
fn letter_context(
    incident: &Incident,
    profile: &Profile,
    today: NaiveDate,
    contacts: &[String],
    states: &[String],
    web_or_media: bool,
) -> minijinja::Value {
    let f = &incident.facts;
    let content = &f.notice;
    // What people wrote is set as sentences: a capital first, a full stop last.
    let value = |v: Option<&str>, what: &str| v.map(sentence).unwrap_or_else(|| missing(what));
    let org = |key: &str, what: &str| {
        profile
            .get(key)
            .map_or_else(|| missing(what), str::to_owned)
    };
    let breach_date = match (f.breach_started, f.breach_ended) {
        (Some(s), Some(e)) if s != e => format!("{} to {}", long_date(s), long_date(e)),
        (Some(s), _) => long_date(s),
        // "The date of the breach, if known" (164.404(c)(1)(A)): not known is an answer.
        _ if f.breach_started_unknown => "a date we have not been able to determine".to_owned(),
        _ => missing("date of the breach, if known"),
    };
    // One date said once: the breach began (and ended) on the day it was discovered.
    let same_day = f.breach_started == Some(incident.discovered.date)
        && f.breach_ended.is_none_or(|e| e == incident.discovered.date);
    let other_contact = other_contact(contacts);
    let affected = f.affected.map_or_else(
        || missing("number of individuals affected"),
        |n| n.to_string(),
    );
    let contact = if contacts.is_empty() {
        missing("a toll-free number, email address, web site or postal address")
    } else {
        contacts.join("; ")
    };
    let media_states = if states.is_empty() {
        missing(&format!(
            "a state with more than {MEDIA_THRESHOLD} affected residents"
        ))
    } else {
        crate::incident::facts::jurisdiction_names(states.iter().map(String::as_str))
    };
    context! {
        today => long_date(today),
        incident => context! { id => &incident.id, title => &incident.title },
        org => context! {
            name => org("name", "organisation name"),
            address => org("address", "postal address"),
            privacy_officer => org("privacy_officer", "privacy officer's name and title"),
            toll_free => org("toll_free", "toll-free number"),
            email => org("email", "email address"),
            website => org("website", "web site"),
        },
        c => context! {
            what_happened => value(content.what_happened.as_deref(), "a brief description of what happened"),
            phi_types => value(content.phi_types.as_deref(), "the types of information involved"),
            protective_steps => value(content.protective_steps.as_deref(), "steps individuals should take to protect themselves"),
            our_response => value(content.our_response.as_deref(), "what the organisation is doing"),
            breach_date => breach_date,
            discovered => long_date(incident.discovered.date),
            affected => affected,
            contact => contact,
            // The other ways to reach the organisation, for a notice that names the toll-free
            // number on its own.
            other_contact => other_contact,
            same_day => same_day,
        },
        states => media_states,
        media_threshold => MEDIA_THRESHOLD,
        web_or_media => web_or_media,
        identities_delivered => f.identities_delivered.map_or_else(
            || missing("the date the list identifying each individual was delivered"),
            long_date,
        ),
        hhs => hhs_fields(incident, states, today),
    }
}

/// The HHS portal's fields the HHS draft fills in.
fn hhs_fields(incident: &Incident, states: &[String], today: NaiveDate) -> minijinja::Value {
    let f = &incident.facts;
    let affecting = match f.affected {
        Some(n) if n >= HHS_THRESHOLD => format!("{HHS_THRESHOLD} or more individuals"),
        Some(_) => format!("Fewer than {HHS_THRESHOLD} individuals"),
        None => missing("number of individuals affected"),
    };
    let breach_type =
        crate::incident::summary::portal_breach_type(&incident.runbook.scenario.value);
    let breach_start = match f.breach_started {
        Some(d) => long_date(d),
        None if f.breach_started_unknown => "not known".to_owned(),
        None => missing("breach start date"),
    };
    context! {
        affecting => affecting,
        business_associate => if f.business_associate { "yes" } else { "no" },
        breach_start => breach_start,
        breach_end => f.breach_ended.map_or_else(|| missing("breach end date (mandatory)"), long_date),
        breach_type => breach_type,
        individual_notice => individual_notice_field(incident, today),
        substitute => if f.unreachable.is_some_and(|u| u > 0) { "yes" } else { "no" },
        media => if states.is_empty() { "no" } else { "yes" },
    }
}

/// The portal's "individual notice provided on": the day the notice reached everyone who can
/// be reached, once it has; until then, what went out so far, which is not yet an answer.
fn individual_notice_field(incident: &Incident, today: NaiveDate) -> String {
    let clock = incident.clock(today);
    let Some(o) = clock
        .obligations
        .iter()
        .find(|o| o.key == crate::incident::obligations::Key::IndividualNotice)
    else {
        return "not required".to_owned();
    };
    if let Some(day) = o.met_on {
        return long_date(day);
    }
    let notified = o.notified.unwrap_or(0);
    if notified == 0 {
        return "[not yet sent]".to_owned();
    }
    let of = o.reachable.map(|r| format!(" of {r}")).unwrap_or_default();
    format!(
        "[not complete: {notified}{of} individuals notified so far; give the date the last notice went out once all have]"
    )
}

/// The other ways to reach the organisation, for a notice that names the toll-free number on
/// its own.
fn other_contact(contacts: &[String]) -> String {
    let others: Vec<&str> = contacts
        .iter()
        .filter(|c| !c.starts_with("toll-free "))
        .map(String::as_str)
        .collect();
    if others.is_empty() {
        "the toll-free number above".to_owned()
    } else {
        others.join("; ")
    }
}

/// The content elements a draft of `kind` must hold (164.404(c), 164.406, 164.408, 164.410),
/// each with whether the facts and the profile supply it and the command that would.
fn required_elements(
    kind: LetterKind,
    incident: &Incident,
    profile: &Profile,
    contacts: &[String],
    states: &[String],
    web_or_media: bool,
) -> Vec<Element> {
    let mut elements = Vec::new();
    let mut need = |name: &'static str, present: bool, fix: &'static str| {
        elements.push(Element { name, present, fix });
    };
    common_elements(kind, incident, profile, contacts, &mut need);
    let f = &incident.facts;
    let content = &f.notice;
    match kind {
        LetterKind::Substitute if web_or_media => need(
            "a toll-free number active at least 90 days (164.404(d)(2)(ii))",
            profile.get("toll_free").is_some(),
            "breach config set toll_free \"…\"",
        ),
        LetterKind::Media => need(
            "a state or jurisdiction with more than 500 affected residents (164.406(a))",
            !states.is_empty(),
            "breach facts --state XX=N",
        ),
        LetterKind::BusinessAssociate => {
            need(
                "the number of individuals affected (164.410(c)(1))",
                f.affected.is_some(),
                "breach facts --affected N",
            );
            need(
                "the identification of each individual, delivered to the covered entity outside this log (164.410(c)(1))",
                f.identities_delivered.is_some(),
                "breach facts --identities-delivered DATE (once the list has gone by a secure channel)",
            );
        }
        LetterKind::Hhs => {
            need(
                "number of individuals affected",
                f.affected.is_some(),
                "breach facts --affected N",
            );
            need(
                "breach start date",
                f.breach_started.is_some() || f.breach_started_unknown,
                "breach facts --breach-started DATE",
            );
            need(
                "breach end date (mandatory on the portal)",
                f.breach_ended.is_some(),
                "breach facts --breach-ended DATE",
            );
            need(
                "brief description",
                content.what_happened.is_some(),
                "breach facts --what-happened \"…\"",
            );
            need(
                "type of PHI involved",
                content.phi_types.is_some(),
                "breach facts --phi-types \"…\"",
            );
            need(
                "contact person",
                profile.get("privacy_officer").is_some(),
                "breach config set privacy_officer \"…\"",
            );
        }
        _ => {}
    }
    elements
}

/// The elements every notice to people must hold (all but the HHS draft's), 164.404(c).
fn common_elements(
    kind: LetterKind,
    incident: &Incident,
    profile: &Profile,
    contacts: &[String],
    need: &mut dyn FnMut(&'static str, bool, &'static str),
) {
    let f = &incident.facts;
    let content = &f.notice;
    need(
        "organisation name",
        profile.get("name").is_some(),
        "breach config set name \"…\"",
    );
    if kind != LetterKind::Hhs {
        need(
            "what happened (164.404(c)(1)(A))",
            content.what_happened.is_some(),
            "breach facts --what-happened \"…\"",
        );
        need(
            "date of the breach, if known (164.404(c)(1)(A))",
            f.breach_started.is_some() || f.breach_started_unknown,
            "breach facts --breach-started DATE",
        );
        need("date of discovery (164.404(c)(1)(A))", true, "");
        need(
            "types of unsecured PHI involved (164.404(c)(1)(B))",
            content.phi_types.is_some(),
            "breach facts --phi-types \"…\"",
        );
        need(
            "steps individuals should take to protect themselves (164.404(c)(1)(C))",
            content.protective_steps.is_some(),
            "breach facts --protective-steps \"…\"",
        );
        need(
            "what the organisation is doing to investigate, mitigate and protect (164.404(c)(1)(D))",
            content.our_response.is_some(),
            "breach facts --our-response \"…\"",
        );
        need(
            "contact procedures: a toll-free number, email address, web site or postal address (164.404(c)(1)(E))",
            !contacts.is_empty(),
            "breach config set toll_free|email|website|address \"…\"",
        );
    }
}

/// The individual notice addressed to one person of the roster (or, for a deceased person, to
/// their next of kin): the letter's text alone, its checklist being the draft's.
pub(crate) fn addressed(
    env: &Environment<'_>,
    incident: &Incident,
    profile: &Profile,
    today: NaiveDate,
    to: &crate::incident::roster::Addressee,
) -> Result<String, Error> {
    let ctx = addressed_context(incident, profile, today, to);
    let text = templates::render(env, LetterKind::Individual.template(), ctx)?;
    Ok(crate::text::sanitize_multiline(&text))
}

/// The individual notice's context, addressed to one person of the roster.
fn addressed_context(
    incident: &Incident,
    profile: &Profile,
    today: NaiveDate,
    to: &crate::incident::roster::Addressee,
) -> minijinja::Value {
    let (contacts, states, web_or_media) = letter_facts(incident, profile);
    let base = letter_context(incident, profile, today, &contacts, &states, web_or_media);
    context! {
        recipient => context! {
            name => &to.name,
            address => &to.address,
            next_of_kin_of => &to.next_of_kin_of,
        },
        ..base
    }
}

/// The same letter in its parts (letterhead, date, address block, body, signature block), for
/// the Word, PDF and HTML files. An organisation's template without those blocks is all body.
pub(crate) fn addressed_parts(
    env: &Environment<'_>,
    incident: &Incident,
    profile: &Profile,
    today: NaiveDate,
    to: &crate::incident::roster::Addressee,
) -> Result<LetterParts, Error> {
    let ctx = addressed_context(incident, profile, today, to);
    let name = LetterKind::Individual.template();
    let blocks = templates::render_blocks(
        env,
        name,
        ctx,
        &["letterhead", "date", "recipient", "body", "signature"],
    )?;
    let clean = |text: &str| crate::text::sanitize_multiline(text);
    Ok(match blocks {
        Some(b) => LetterParts {
            letterhead: letter_files::lines(&clean(&b[0])),
            date: clean(b[1].trim()),
            recipient: letter_files::lines(&clean(&b[2])),
            body: letter_files::body_blocks(&clean(&b[3])),
            signature: letter_files::lines(&clean(&b[4])),
        },
        None => {
            let whole = addressed(env, incident, profile, today, to)?;
            LetterParts {
                letterhead: Vec::new(),
                date: String::new(),
                recipient: Vec::new(),
                body: letter_files::body_blocks(&whole),
                signature: Vec::new(),
            }
        }
    })
}

/// The checklist printed with a draft.
pub(crate) fn checklist(letter: &Letter) -> String {
    let mut out = format!("Required content ({}):\n", letter.basis);
    for e in &letter.elements {
        if e.present {
            out.push_str(&format!("  [x] {}\n", e.name));
        } else {
            out.push_str(&format!("  [ ] MISSING: {} — {}\n", e.name, e.fix));
        }
    }
    out.push_str("Write in plain language (164.404(c)(2)); have counsel review before sending.\n");
    out
}
