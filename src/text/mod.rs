//! Small text helpers every layer shares: neutralising untrusted text before it reaches a
//! terminal, "did you mean", sentences, wrapping, short hashes, progress bars, and spotting raw identifiers.
//!
//! This is the bottom of the crate: it imports nothing of it, so anything may use it.
//! Notes, titles, evidence and runbook text are untrusted: a note can carry terminal escape
//! sequences or bidirectional-override characters that would rewrite what a responder sees.
//! Every such string goes through [`sanitize`] before it reaches a terminal.

pub(crate) mod identifiers;

use std::borrow::Cow;

/// Replaces control characters (other than tab) and bidirectional controls with visible escapes,
/// so untrusted text can neither move the cursor nor reorder what is shown.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Like [`sanitize`] but keeps line breaks, for multi-line text such as instructions.
pub fn sanitize_multiline(text: &str) -> String {
    sanitize_lines(text, |_| None)
}

/// [`sanitize_multiline`] with some safe characters written otherwise, in the same one pass:
/// `replace` gives what to write for a character (a line break included) instead of itself, as
/// a document's escaping needs. Each line loses one carriage return at its end; every other
/// control or bidirectional character becomes its visible escape, never passed to `replace`.
pub(crate) fn sanitize_lines(text: &str, replace: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        let line_ends_after = |rest: &str| rest.is_empty() || rest.starts_with('\n');
        if c == '\r' && line_ends_after(&text[at + 1..]) {
            continue;
        }
        if c != '\n' && is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else if let Some(instead) = replace(c) {
            out.push_str(instead);
        } else {
            out.push(c);
        }
    }
    out
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c,
            '\u{200E}' | '\u{200F}' | '\u{061C}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}')
}

/// The text with its first letter a capital: "Name, address" from "name, address".
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => {
            let mut out = String::with_capacity(text.len() + 2);
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
            out
        }
        None => String::new(),
    }
}

/// The text as a sentence: trimmed, its first letter a capital, ending with a full stop unless
/// it ends with other closing punctuation.
pub(crate) fn sentence(text: &str) -> String {
    let mut out = capitalised(text.trim());
    if !out.is_empty() && !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// The candidate closest to `given` by edit distance, when it is close enough to be a typo.
pub(crate) fn closest<'a>(
    given: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<String> {
    let limit = (given.chars().count() / 3).clamp(1, 4);
    candidates
        .map(|c| (strsim::levenshtein(given, c), c))
        .filter(|(d, c)| *d <= limit || (c.starts_with(given) && given.len() >= 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_owned())
}

/// A fixed-width progress bar, e.g. `[####------] 4/10`.
pub(crate) fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    format!(
        "[{}{}] {done}/{total}",
        "#".repeat(filled),
        "-".repeat(width - filled)
    )
}

/// Wraps `text` to `width` columns, keeping paragraphs and list items apart.
pub(crate) fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            out.push(String::new());
            continue;
        }
        let lead_len = line.len() - line.trim_start().len();
        let bullet = line.trim_start().starts_with("- ") || line.trim_start().starts_with("* ");
        let hang = " ".repeat(lead_len + if bullet { 2 } else { 0 });
        let mut current = format!("{indent}{}", &line[..lead_len]);
        let mut current_len = current.chars().count();
        let start_len = current_len;
        for word in line.split_whitespace() {
            let wlen = word.chars().count();
            if current_len > start_len && current_len + 1 + wlen > width {
                out.push(current);
                current = format!("{indent}{hang}");
                current_len = current.chars().count();
            } else if current_len > start_len {
                current.push(' ');
                current_len += 1;
            }
            current.push_str(word);
            current_len += wlen;
        }
        out.push(current);
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out.join("\n")
}

/// Sequence numbers as ranges for people: `0–3, 7, 9–12`.
pub(crate) fn seq_ranges(seqs: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < seqs.len() {
        let start = seqs[i];
        let mut end = start;
        while i + 1 < seqs.len() && seqs[i + 1] == end + 1 {
            i += 1;
            end = seqs[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
        i += 1;
    }
    out.join(", ")
}

/// A short form of a hash for people: the first 12 hex digits.
pub(crate) fn short_hash(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn escapes_and_bidi_controls_are_made_visible() {
        let hostile = "ok\u{1b}[2Jwiped\u{202E}desrever";
        let shown = sanitize(hostile);
        assert!(!shown.contains('\u{1b}'));
        assert!(!shown.contains('\u{202E}'));
        assert!(shown.contains("\\u{1b}"));
        assert_eq!(sanitize("plain text"), "plain text");
    }

    /// Every string of up to `longest` characters drawn from `alphabet`.
    pub(crate) fn every_string(alphabet: &[char], longest: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..longest {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    /// The characters the one-pass escapes treat apart, and a plain one.
    pub(crate) const AWKWARD: [char; 10] = [
        'a', '\n', '\r', '\t', '&', '<', '|', '\u{1b}', '\u{202E}', 'é',
    ];

    #[test]
    fn multiline_text_is_sanitised_line_by_line_in_one_pass() {
        // What it was written as: split into lines, each without one trailing carriage
        // return, sanitised, joined again.
        let by_lines = |text: &str| {
            text.split('\n')
                .map(|line| sanitize(line.strip_suffix('\r').unwrap_or(line)).into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        };
        for text in every_string(&AWKWARD, 5) {
            assert_eq!(sanitize_multiline(&text), by_lines(&text), "{text:?}");
        }
        assert_eq!(sanitize_multiline("a\r\r\nb\r"), "a\\u{d}\nb");
    }

    #[test]
    fn suggests_near_ids_only() {
        let ids = ["recall-message", "notify-hhs"];
        assert_eq!(
            closest("recal-message", ids.iter().copied()).as_deref(),
            Some("recall-message")
        );
        assert_eq!(closest("zzz", ids.iter().copied()), None);
    }

    #[test]
    fn wraps_to_width() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        for line in wrap(text, 20, "  ").lines() {
            assert!(line.chars().count() <= 20, "{line:?}");
        }
    }
}
