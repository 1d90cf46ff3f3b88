//! Checking and normalising the evidence a responder gives for a step, against the field types
//! the runbook declares. The same checks serve `done --set` and the guided walk's prompts, so a
//! value the walk accepts is exactly a value the scriptable command accepts.

use std::collections::BTreeMap;

use crate::clock;
use crate::error::Error;
use crate::runbook::{EvidenceField, FieldType, Step};

/// Longest note, reason or evidence value accepted, in bytes.
pub(crate) use super::input::MAX_TEXT_BYTES;

/// Checks one value against its field; returns the normalised value or why it does not fit.
pub(crate) fn normalise(
    field: &EvidenceField,
    raw: &str,
    calendar: &clock::Calendar,
) -> Result<String, String> {
    let now = calendar.now();
    let value = raw.trim();
    if value.is_empty() {
        return Err("is empty".to_owned());
    }
    if value.len() > MAX_TEXT_BYTES {
        return Err(format!("is longer than {MAX_TEXT_BYTES} bytes"));
    }
    match field.kind.value {
        FieldType::Text => {
            if value.contains('\n') {
                Err("must be a single line (this field is short text)".to_owned())
            } else {
                Ok(value.to_owned())
            }
        }
        FieldType::LongText => Ok(value.to_owned()),
        FieldType::Number => {
            let digits = value.strip_prefix('-').unwrap_or(value);
            let mut parts = digits.splitn(2, '.');
            let whole = parts.next().unwrap_or("");
            let frac = parts.next();
            let ok = !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
                && value.len() <= 30;
            if ok {
                Ok(value.to_owned())
            } else {
                Err("is not a number".to_owned())
            }
        }
        FieldType::Count => match value.parse::<u64>() {
            Ok(n) if n <= 1_000_000_000 && value.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(n.to_string())
            }
            _ if value.starts_with('-') => Err("is negative; a count is 0 or more".to_owned()),
            _ if value.contains('.') => Err("is not a whole number; a count is whole".to_owned()),
            _ => Err("is not a count (a whole number, 0 or more)".to_owned()),
        },
        FieldType::YesNo => match value.to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" => Ok("yes".to_owned()),
            "no" | "n" | "false" => Ok("no".to_owned()),
            _ => Err("must be yes or no".to_owned()),
        },
        FieldType::Date => match clock::parse_date(value) {
            Some(d) if d > calendar.local_date(now) => {
                Err(format!("is after today ({})", calendar.local_date(now)))
            }
            Some(d) => Ok(d.to_string()),
            None => Err("is not a date (YYYY-MM-DD)".to_owned()),
        },
        FieldType::DateTime => match calendar.parse_when(value, "value", now) {
            Ok(t) if t.precision != clock::Precision::Date && t.at > now => {
                Err("is in the future".to_owned())
            }
            Ok(t) if t.precision != clock::Precision::Date => Ok(calendar
                .in_zone(t.at)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)),
            _ => Err("is not a date and time (YYYY-MM-DD HH:MM or RFC 3339)".to_owned()),
        },
        FieldType::Email => {
            if is_email(value) {
                Ok(value.to_owned())
            } else {
                Err("is not an email address".to_owned())
            }
        }
        FieldType::EmailList => {
            let addresses: Vec<&str> = value
                .split([',', ';', '\n'])
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .collect();
            match addresses.iter().position(|a| !is_email(a)) {
                _ if addresses.is_empty() => Err("holds no email address".to_owned()),
                // Which one, by position: the value itself may not be echoed.
                Some(n) => Err(format!(
                    "has an entry ({} of {}) that is not an email address",
                    n + 1,
                    addresses.len()
                )),
                None => Ok(addresses.join(", ")),
            }
        }
        FieldType::Choice => field
            .choices
            .iter()
            .find(|c| c.eq_ignore_ascii_case(value))
            .cloned()
            .ok_or_else(|| format!("must be one of: {}", field.choices.join(", "))),
    }
}

/// Whether `value` has the shape of one email address.
fn is_email(value: &str) -> bool {
    let mut parts = value.splitn(2, '@');
    let local = parts.next().unwrap_or("");
    let domain = parts.next().unwrap_or("");
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Checks (field, value) pairs for `step`; every required field must be present.
pub(crate) fn collect(
    step: &Step,
    pairs: &[(String, String)],
    calendar: &clock::Calendar,
) -> Result<BTreeMap<String, String>, Error> {
    let id = &step.id.value;
    let mut values = BTreeMap::new();
    for (name, raw) in pairs {
        let name = name.trim();
        let field = step
            .evidence
            .iter()
            .find(|f| f.name.value == name)
            .ok_or_else(|| {
                let known: Vec<&str> = step
                    .evidence
                    .iter()
                    .map(|f| f.name.value.as_str())
                    .collect();
                Error::input(if known.is_empty() {
                    format!(
                        "step `{id}` has no evidence fields, so `--set {}=…` does not apply",
                        crate::text::sanitize(name)
                    )
                } else {
                    format!(
                        "step `{id}` has no evidence field `{}`; its fields are: {}",
                        crate::text::sanitize(name),
                        known.join(", ")
                    )
                })
            })?;
        if values.contains_key(name) {
            return Err(Error::input(format!(
                "evidence field `{name}` is given twice"
            )));
        }
        // The message names the field and the rule, never the value: it may be PHI.
        let value = normalise(field, raw, calendar).map_err(|why| {
            Error::input(format!(
                "step `{id}`: evidence `{name}` {why} (expected {})",
                field.kind.value.label()
            ))
        })?;
        values.insert(name.to_owned(), value);
    }
    let missing: Vec<String> = step
        .evidence
        .iter()
        .filter(|f| f.required && !values.contains_key(&f.name.value))
        .map(|f| format!("{} ({})", f.name.value, f.kind.value.label()))
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(format!(
            "step `{id}` needs evidence before it can be done: {}; give each with --set FIELD=VALUE",
            missing.join(", ")
        )));
    }
    Ok(values)
}
