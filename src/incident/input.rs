//! Checks on the free text people type before it can become part of the record: not empty,
//! not too long, one line where one line is meant, no NUL. Whether it looks like a raw
//! identifier is checked on the whole entry before it is written ([`super::screen`]).

use crate::error::Error;

/// Longest note, reason or evidence value accepted; longer text belongs in an attached file.
pub(crate) const MAX_TEXT_BYTES: usize = 16 * 1024;

/// Checks free text typed by a person: not empty, not too long, on one line unless allowed.
pub(crate) fn check_text(what: &str, text: &str, multiline: bool) -> Result<String, Error> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Error::input(format!("{what} is empty")));
    }
    if trimmed.len() > MAX_TEXT_BYTES {
        return Err(Error::input(format!(
            "{what} is {} bytes; at most {MAX_TEXT_BYTES} bytes are accepted (attach a file for longer text)",
            trimmed.len(),
        )));
    }
    if !multiline && trimmed.contains('\n') {
        return Err(Error::input(format!("{what} must be on one line")));
    }
    if trimmed.chars().any(|c| c == '\0') {
        return Err(Error::input(format!("{what} contains a NUL character")));
    }
    Ok(trimmed.to_owned())
}
