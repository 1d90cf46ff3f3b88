//! Spotting text that looks like a raw identifier — a Social Security number, a medical record
//! number, a date of birth, a payment card number — in what responders type. The log is kept for
//! six years and must not become a second copy of the breach, so such text gets a warning that
//! names the kind of identifier and never echoes the text back.
//!
//! The patterns are deliberately narrow (keywords for MRN and date of birth, the Luhn check for
//! card numbers) so the warning stays rare enough to be read.

/// The kind of identifier `text` seems to contain, if any.
pub fn looks_like_phi(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    if has_ssn(text) {
        return Some("a Social Security number");
    }
    if keyword_then(
        &lower,
        &[
            "mrn",
            "medical record number",
            "medical record no",
            "med rec",
        ],
        16,
        |rest| digit_run(rest) >= 5,
    ) {
        return Some("a medical record number");
    }
    if keyword_then(
        &lower,
        &[
            "dob",
            "d.o.b",
            "date of birth",
            "birth date",
            "birthdate",
            "born",
        ],
        20,
        looks_like_date,
    ) {
        return Some("a date of birth");
    }
    if has_card_number(text) {
        return Some("a payment card number");
    }
    None
}

/// `ddd-dd-dddd` (or with spaces), not part of a longer number.
fn has_ssn(text: &str) -> bool {
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let sep = |i: usize| matches!(b.get(i), Some(b'-' | b' '));
    (0..b.len()).any(|i| {
        (i == 0 || !b[i - 1].is_ascii_digit())
            && (0..3).all(|k| digit(i + k))
            && sep(i + 3)
            && (4..6).all(|k| digit(i + k))
            && sep(i + 6)
            && b.get(i + 6) == b.get(i + 3)
            && (7..11).all(|k| digit(i + k))
            && !digit(i + 11)
    })
}

/// Whether one of `keywords` is followed, within `window` characters, by text `matches` accepts.
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
            let rest = &lower[i + k.len()..];
            let start = rest
                .char_indices()
                .take(window)
                .find(|(_, c)| c.is_ascii_digit())
                .map(|(j, _)| j);
            before_ok && start.is_some_and(|j| matches(&rest[j..]))
        })
    })
}

fn digit_run(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// `d{1,4}[-/.]d{1,2}[-/.]d{1,4}` at the start of `s`.
fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut groups = 0;
    loop {
        let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 0 || run > 4 {
            return false;
        }
        i += run;
        groups += 1;
        if groups == 3 {
            return true;
        }
        if !matches!(b.get(i), Some(b'-' | b'/' | b'.')) {
            return false;
        }
        i += 1;
    }
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
mod tests {
    use super::*;

    #[test]
    fn recognises_the_identifiers_it_warns_about() {
        // Invented numbers only: 078-05-1120 is the well-known specimen SSN; the card number is a
        // standard test number.
        assert_eq!(
            looks_like_phi("patient SSN 078-05-1120 in body"),
            Some("a Social Security number")
        );
        assert_eq!(
            looks_like_phi("MRN: 00482913"),
            Some("a medical record number")
        );
        assert_eq!(looks_like_phi("DOB 04/12/1961"), Some("a date of birth"));
        assert_eq!(
            looks_like_phi("date of birth: 1961-04-12"),
            Some("a date of birth")
        );
        assert_eq!(
            looks_like_phi("card 4111 1111 1111 1111 on file"),
            Some("a payment card number")
        );
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
        ] {
            assert_eq!(looks_like_phi(text), None, "{text}");
        }
    }
}
