//! Spotting text that looks like a raw identifier in what responders type, before it is written:
//! the log is kept for six years, cannot forget, and must not become a second copy of the
//! breach. Each finding names the kind of identifier and never echoes the text back.
//!
//! The kinds it claims, and how each is recognised (US formats):
//! - a Social Security number: `ddd-dd-dddd`, `ddd dd dddd`, or nine digits in a row that make a
//!   valid SSN (area not 000, 666 or 9xx; group not 00; serial not 0000), not part of a longer
//!   number;
//! - a medical record or account number: five or more digits (letters may lead) within a few
//!   words after MRN, medical record, chart, account, acct, member id, patient id, policy or
//!   claim number;
//! - a date of birth: a date after DOB, born, date of birth or birthdate, or a full date at
//!   least two years old right after a person's name (two capitalised words that are not
//!   weekdays, months or the like);
//! - a phone number: ten-digit US numbers in the usual forms, except toll-free numbers and the
//!   organisation's own;
//! - an email address of someone outside the organisation (a message id in `<…>` is not an
//!   address);
//! - a street address: a house number, a name and a street suffix, except the organisation's own;
//! - a payment card number: 13 to 19 digits that pass the Luhn check.
//!
//! The patterns are measured on a generated, labelled corpus (`tests/fixtures/identifiers/`):
//! recall on each kind and the rate of false alarms on ordinary incident notes.

/// What the detector knows of the organisation, so its own contact details are not flagged.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// Email domains that belong to the organisation (lower case).
    pub own_domains: Vec<String>,
    /// The organisation's own telephone numbers, as digits only.
    pub own_numbers: Vec<String>,
    /// The organisation's own postal address (lower case).
    pub own_address: Option<String>,
    /// Email addresses are what this text is meant to hold (an evidence field of that type).
    pub email_expected: bool,
    /// The current year. A date right after a name counts as a date of birth only when it is at
    /// least two years earlier (a sign-off "Dana Whit, 2026-03-02" is not one); without a year,
    /// only the keywords (DOB, born, date of birth) mark one.
    pub this_year: Option<i32>,
}

pub(crate) const SSN: &str = "a Social Security number";
pub(crate) const RECORD_NUMBER: &str = "a medical record or account number";
pub(crate) const DATE_OF_BIRTH: &str = "a date of birth";
pub(crate) const PHONE: &str = "a phone number";
pub(crate) const EMAIL: &str = "an email address outside the organisation";
pub(crate) const STREET_ADDRESS: &str = "a street address";
pub(crate) const CARD: &str = "a payment card number";

/// Every kind the detector claims, in the order it reports them.
#[cfg(test)]
pub(crate) const KINDS: &[&str] = &[
    SSN,
    RECORD_NUMBER,
    DATE_OF_BIRTH,
    PHONE,
    EMAIL,
    STREET_ADDRESS,
    CARD,
];

/// Every kind of identifier `text` seems to contain, in the order of [`KINDS`].
pub(crate) fn find(text: &str, context: &Context) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    let mut found = Vec::new();
    if has_ssn(text, &lower) {
        found.push(SSN);
    }
    if has_record_number(&lower) {
        found.push(RECORD_NUMBER);
    }
    if has_date_of_birth(text, &lower, context.this_year) {
        found.push(DATE_OF_BIRTH);
    }
    if has_phone(text, context) {
        found.push(PHONE);
    }
    if !context.email_expected && has_outside_email(&lower, context) {
        found.push(EMAIL);
    }
    if has_street_address(text, context) {
        found.push(STREET_ADDRESS);
    }
    if has_card_number(text) {
        found.push(CARD);
    }
    found
}

/// Runs of ASCII digits with their byte offsets, joined across single separators from `seps`.
fn digit_groups(b: &[u8], i: usize) -> Vec<(usize, usize)> {
    // (start, end) of each run of digits starting at `i`, while separated by one space,
    // hyphen or dot.
    let mut groups = Vec::new();
    let mut j = i;
    loop {
        let start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j == start {
            break;
        }
        groups.push((start, j));
        if j + 1 < b.len() && matches!(b[j], b'-' | b' ' | b'.') && b[j + 1].is_ascii_digit() {
            j += 1;
        } else {
            break;
        }
    }
    groups
}

fn at_number_start(b: &[u8], i: usize) -> bool {
    b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_alphanumeric()))
}

fn valid_ssn(d: &[u8]) -> bool {
    let n = |r: std::ops::Range<usize>| -> u32 {
        d[r].iter().fold(0, |acc, c| acc * 10 + u32::from(c - b'0'))
    };
    let (area, group, serial) = (n(0..3), n(3..5), n(5..9));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

fn has_ssn(text: &str, lower: &str) -> bool {
    let b = text.as_bytes();
    let keyword = ["ssn", "social security", "ss#", "soc sec"]
        .iter()
        .any(|k| lower.contains(k));
    (0..b.len()).any(|i| {
        if !at_number_start(b, i) {
            return false;
        }
        let groups = digit_groups(b, i);
        let lens: Vec<usize> = groups.iter().map(|(s, e)| e - s).collect();
        let followed_by_more = groups
            .last()
            .is_some_and(|(_, e)| b.get(*e).is_some_and(u8::is_ascii_alphanumeric));
        if followed_by_more {
            return false;
        }
        let digits: Vec<u8> = groups
            .iter()
            .flat_map(|(s, e)| b[*s..*e].iter().copied())
            .collect();
        match lens.as_slice() {
            [3, 2, 4] => {
                // One kind of separator throughout, as an SSN is written.
                let (s1, s2) = (b[groups[0].1], b[groups[1].1]);
                s1 == s2 && (s1 != b'.' || keyword) && (valid_ssn(&digits) || keyword)
            }
            [9] => valid_ssn(&digits) && (keyword || !looks_like_other_number(lower, i)),
            _ => false,
        }
    })
}

/// Whether the nine digits at byte `i` are introduced as something other than an SSN.
fn looks_like_other_number(lower: &str, i: usize) -> bool {
    let before = &lower[..i.min(lower.len())];
    let tail: String = before
        .chars()
        .rev()
        .take(24)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    [
        "ticket", "case", "order", "invoice", "claim", "account", "acct", "mrn", "record",
        "member", "policy", "ref", "tracking", "incident", "job", "batch", "npi", "ein", "routing",
    ]
    .iter()
    .any(|k| tail.contains(k))
}

/// Whether one of `keywords` is followed, within `window` bytes, by text `matches` accepts
/// at the start of a token.
fn keyword_then(
    lower: &str,
    keywords: &[&str],
    window: usize,
    matches: impl Fn(&str) -> bool,
) -> bool {
    keywords.iter().any(|k| {
        lower.match_indices(k).any(|(i, _)| {
            let before_ok = lower[..i]
                .chars()
                .last()
                .is_none_or(|c| !c.is_alphanumeric());
            let after = &lower[i + k.len()..];
            let after_ok = after
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphabetic() || k.ends_with(' '));
            before_ok
                && after_ok
                && after
                    .char_indices()
                    .take_while(|(j, _)| *j <= window)
                    .filter(|(j, c)| {
                        c.is_ascii_alphanumeric()
                            && (*j == 0
                                || !after[..*j].ends_with(|p: char| p.is_ascii_alphanumeric()))
                    })
                    .any(|(j, _)| matches(&after[j..]))
        })
    })
}

fn has_record_number(lower: &str) -> bool {
    let keywords = [
        "mrn",
        "medical record",
        "med rec",
        "chart",
        "account",
        "acct",
        "member id",
        "member number",
        "patient id",
        "patient number",
        "policy",
        "claim",
    ];
    keyword_then(lower, &keywords, 24, |rest| {
        // Up to three letters, then five or more digits.
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let digits = rest[letters..]
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'-')
            .filter(u8::is_ascii_digit)
            .count();
        letters <= 3 && digits >= 5
    })
}

/// The year of a date `d{1,4}[-/.]d{1,2}[-/.]d{1,4}` or `Month d, yyyy` at the start of `s`
/// (0 when the year is written with two digits).
fn date_at(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut groups = Vec::new();
    loop {
        let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 0 || run > 4 {
            break;
        }
        groups.push(&s[i..i + run]);
        i += run;
        if groups.len() == 3 {
            let year = groups
                .iter()
                .find(|g| g.len() == 4)
                .and_then(|g| g.parse().ok())
                .unwrap_or(0);
            return Some(year);
        }
        if !matches!(b.get(i), Some(b'-' | b'/' | b'.')) {
            break;
        }
        i += 1;
    }
    // "April 12, 1961" or "12 April 1961".
    let lower = s.to_lowercase();
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .take(3)
        .map(|w| w.trim_end_matches(|c: char| !c.is_alphanumeric()))
        .collect();
    let is_month = |w: &str| {
        MONTHS
            .iter()
            .any(|m| *m == w || (w.len() >= 3 && m.starts_with(w.trim_end_matches('.'))))
    };
    let is_day = |w: &str| w.len() <= 2 && w.bytes().all(|c| c.is_ascii_digit());
    let is_year = |w: &str| w.len() == 4 && w.bytes().all(|c| c.is_ascii_digit());
    match words.as_slice() {
        [m, d, y] if is_month(m) && is_day(d) && is_year(y) => y.parse().ok(),
        [d, m, y] if is_day(d) && is_month(m) && is_year(y) => y.parse().ok(),
        _ => None,
    }
}

/// Capitalised words that begin sentences and headings in incident notes but are not names.
const NOT_NAMES: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "The",
    "This",
    "That",
    "On",
    "At",
    "By",
    "Sent",
    "Received",
    "Called",
    "Email",
    "Message",
    "Notice",
    "Notices",
    "Letter",
    "Letters",
    "Privacy",
    "Officer",
    "Security",
    "Compliance",
    "Incident",
    "Breach",
    "Report",
    "Reported",
    "Discovered",
    "Mail",
    "First",
    "Class",
    "Portal",
    "Due",
    "Deadline",
    "Review",
    "Reviewed",
    "Updated",
    "Last",
    "Next",
    "Team",
    "Call",
    "Meeting",
    "Ticket",
    "Case",
    "Step",
    "Phase",
    "Recall",
    "Contain",
    "Notify",
    "Remediate",
    "HHS",
    "OCR",
    "IT",
    "We",
    "Our",
    "Dr",
    "Mr",
    "Ms",
    "Mrs",
    "Counsel",
    "Legal",
    "Help",
    "Desk",
    "Service",
    "Services",
    "Lab",
    "Labs",
    "Results",
    "Clinic",
    "Hospital",
    "Health",
    "Medical",
    "Center",
    "Department",
    "Office",
    "Board",
    "Staff",
    "Training",
    "Log",
    "Logs",
    "Audit",
    "Trail",
    "Outlook",
    "Exchange",
    "Microsoft",
    "Google",
    "Workspace",
    "Gmail",
    "Hold",
    "Police",
    "Detective",
    "Det",
    "Agent",
    "Media",
    "Press",
    "Release",
    "Substitute",
    "Annual",
    "State",
    "Attorney",
    "General",
    "Individual",
    "Individuals",
];

/// A person's name right before `end`: two capitalised words, neither a known non-name.
fn name_before(text: &str, end: usize) -> bool {
    let before = text[..end].trim_end_matches([' ', ',', '(', ':', '-', '–']);
    if text[..end].len() - before.len() > 3 {
        return false;
    }
    let words: Vec<&str> = before.rsplit(' ').take(2).collect();
    words.len() == 2
        && words.iter().all(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphabetic() && c != '\'' && c != '-');
            let mut chars = w.chars();
            w.len() >= 2
                && chars.next().is_some_and(char::is_uppercase)
                && chars.all(|c| c.is_lowercase() || c == '\'' || c == '-')
                && !NOT_NAMES.contains(&w)
        })
}

fn has_date_of_birth(text: &str, lower: &str, this_year: Option<i32>) -> bool {
    let keywords = [
        "dob",
        "d.o.b",
        "date of birth",
        "birth date",
        "birthdate",
        "born",
        "birthday",
    ];
    if keyword_then(lower, &keywords, 20, |rest| date_at(rest).is_some()) {
        return true;
    }
    // A full date at least two years old right after a name: "Maria Lopez, 04/12/1961".
    let Some(this_year) = this_year else {
        return false;
    };
    text.char_indices().any(|(i, c)| {
        c.is_ascii_alphanumeric()
            && (i == 0 || !text[..i].ends_with(|p: char| p.is_ascii_alphanumeric()))
            && date_at(&text[i..]).is_some_and(|year| year > 0 && year <= this_year - 2)
            && name_before(text, i)
    })
}

fn has_phone(text: &str, context: &Context) -> bool {
    let b = text.as_bytes();
    const TOLL_FREE: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];
    let mut i = 0;
    while i < b.len() {
        let start = i;
        // Optional +1 / 1 country code, optional (area) in parentheses.
        let mut j = i;
        let mut digits = String::new();
        if b[j] == b'+' && b.get(j + 1) == Some(&b'1') {
            j += 2;
            while b.get(j) == Some(&b' ') || b.get(j) == Some(&b'-') {
                j += 1;
            }
        }
        let paren = b.get(j) == Some(&b'(');
        if paren {
            j += 1;
        }
        let boundary = start == 0 || !b[start - 1].is_ascii_alphanumeric();
        if boundary && b.get(j).is_some_and(u8::is_ascii_digit) {
            let mut groups = Vec::new();
            let mut k = j;
            loop {
                let g = k;
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                if k == g {
                    break;
                }
                groups.push(k - g);
                digits.push_str(&text[g..k]);
                if paren && groups.len() == 1 {
                    if b.get(k) != Some(&b')') {
                        break;
                    }
                    k += 1;
                    while b.get(k) == Some(&b' ') {
                        k += 1;
                    }
                    continue;
                }
                if k + 1 < b.len()
                    && matches!(b[k], b'-' | b'.' | b' ')
                    && b[k + 1].is_ascii_digit()
                {
                    k += 1;
                } else {
                    break;
                }
            }
            let after_ok = b.get(k).is_none_or(|c| !c.is_ascii_alphanumeric());
            let shape = match groups.as_slice() {
                [1, 3, 3, 4] if digits.starts_with('1') => Some(&digits[1..]),
                [3, 3, 4] => Some(digits.as_str()),
                [10] if b[start] == b'+' || paren => Some(digits.as_str()),
                _ => None,
            };
            if let Some(number) = shape
                && after_ok
                && !TOLL_FREE.contains(&&number[..3])
                && !context.own_numbers.iter().any(|n| n.ends_with(number))
                && !number.starts_with('0')
                && !number.starts_with('1')
            {
                return true;
            }
            i = k.max(i + 1);
            continue;
        }
        i += 1;
    }
    false
}

fn has_outside_email(lower: &str, context: &Context) -> bool {
    let b = lower.as_bytes();
    lower.match_indices('@').any(|(at, _)| {
        // The address around the @: local part and domain.
        let is_local =
            |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-');
        let mut s = at;
        while s > 0 && is_local(b[s - 1]) {
            s -= 1;
        }
        let mut e = at + 1;
        while e < b.len() && (b[e].is_ascii_alphanumeric() || matches!(b[e], b'.' | b'-')) {
            e += 1;
        }
        let domain = lower[at + 1..e].trim_end_matches('.');
        if s == at || !domain.contains('.') {
            return false;
        }
        // A message id is written in angle brackets; it names a message, not a person.
        if s > 0 && b[s - 1] == b'<' && b.get(e) == Some(&b'>') {
            return false;
        }
        !context
            .own_domains
            .iter()
            .any(|own| domain == own || domain.ends_with(&format!(".{own}")))
    })
}

fn has_street_address(text: &str, context: &Context) -> bool {
    const SUFFIXES: &[&str] = &[
        "street",
        "st",
        "avenue",
        "ave",
        "road",
        "rd",
        "boulevard",
        "blvd",
        "lane",
        "ln",
        "drive",
        "dr",
        "court",
        "ct",
        "way",
        "place",
        "pl",
        "terrace",
        "circle",
        "cir",
        "parkway",
        "pkwy",
        "highway",
        "hwy",
        "trail",
        "trl",
    ];
    let words: Vec<(usize, &str)> = text
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    words.iter().enumerate().any(|(n, (at, w))| {
        let number = w.trim_end_matches(',');
        if !(1..=6).contains(&number.len()) || !number.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
        // One to three name words, then a suffix.
        for len in 1..=3 {
            let Some((_, suffix)) = words.get(n + 1 + len) else {
                break;
            };
            let names_ok = words[n + 1..n + 1 + len].iter().all(|(_, w)| {
                w.chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
            });
            let suffix = suffix
                .trim_end_matches(|c: char| !c.is_alphabetic())
                .to_lowercase();
            if names_ok && SUFFIXES.contains(&suffix.as_str()) {
                let own = context.own_address.as_deref().is_some_and(|a| {
                    let phrase = text[*at..].to_lowercase();
                    let phrase: String = phrase
                        .split_whitespace()
                        .take(2 + len)
                        .collect::<Vec<_>>()
                        .join(" ");
                    a.contains(phrase.trim_end_matches([',', '.']))
                });
                return !own;
            }
        }
        false
    })
}

/// 13 to 19 digits, optionally in groups split by spaces or hyphens, passing the Luhn check.
fn has_card_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let mut digits = Vec::new();
        let mut j = i;
        while j < b.len() && digits.len() < 19 {
            if b[j].is_ascii_digit() {
                digits.push(b[j] - b'0');
            } else if !(matches!(b[j], b' ' | b'-') && b.get(j + 1).is_some_and(u8::is_ascii_digit))
            {
                break;
            }
            j += 1;
        }
        let followed_by_digit = b.get(j).is_some_and(u8::is_ascii_digit);
        if (13..=19).contains(&digits.len()) && !followed_by_digit && luhn(&digits) {
            return true;
        }
        i = j.max(i + 1);
    }
    false
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(k, &d)| {
            let d = u32::from(d);
            if k % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests;
