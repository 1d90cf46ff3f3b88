//! `done STEP --from-eml FILE` and `attach --eml FILE`: the first evidence of a misdirected message is the message
//! itself, so its headers fill the step's fields instead of being copied by hand (where a typo
//! becomes the record). The message is read with `mail-parser`; only the Message-ID, Date,
//! From, To, Cc and Bcc are taken, with the file's SHA-256 and size so that the copy kept under
//! legal hold can be matched to the record later. The body, the subject and the attachments
//! never leave this module: they may hold PHI.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::{Session, record};
use crate::error::Error;
use crate::incident::event::{self, MessageFile};
use crate::incident::{Event, Incident};
use crate::log::Head;
use crate::runbook::{FieldType, Step};

/// The largest message read: mail systems refuse larger ones (25-35 MB with attachments,
/// encoded).
const MAX_MESSAGE_BYTES: u64 = 64 * 1024 * 1024;

/// The headers of one message that the record may hold, and the file's identity.
#[derive(Debug, Clone)]
pub(super) struct MessageHeaders {
    message_id: Option<String>,
    /// RFC 3339, with the offset the message gave.
    date: Option<String>,
    from: Option<String>,
    /// Every address in To, Cc and Bcc, in that order, without repeats.
    recipients: Vec<String>,
    pub(super) file: MessageFile,
}

/// Reads and parses the message at `path`; a file that is missing, too large or not a message
/// is one line naming it, and nothing of its content is quoted.
pub(super) fn read_message(path: &Path, flag: &str) -> Result<MessageHeaders, Error> {
    let named = || format!("{flag} {}", path.display());
    let bytes = crate::files::read_small_file(path, MAX_MESSAGE_BYTES, "message file")?
        .ok_or_else(|| Error::input(format!("{}: no such file", named())))?;
    let message = mail_parser::MessageParser::default()
        .parse(&bytes)
        .filter(|m| m.message_id().is_some() || m.from().is_some() || m.date().is_some())
        .ok_or_else(|| {
            Error::input(format!(
                "{}: not an RFC 5322 message (no Message-ID, From or Date header found)",
                named()
            ))
        })?;
    let addresses = |a: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        a.map(|a| {
            a.iter()
                .filter_map(|addr| addr.address().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
    };
    let mut recipients: Vec<String> = Vec::new();
    for address in addresses(message.to())
        .into_iter()
        .chain(addresses(message.cc()))
        .chain(addresses(message.bcc()))
    {
        if !recipients.iter().any(|r| r.eq_ignore_ascii_case(&address)) {
            recipients.push(address);
        }
    }
    Ok(MessageHeaders {
        message_id: message.message_id().map(|id| format!("<{id}>")),
        date: message.date().map(mail_parser::DateTime::to_rfc3339),
        from: addresses(message.from()).into_iter().next(),
        file: MessageFile {
            sha256: hex::encode(Sha256::digest(&bytes)),
            bytes: bytes.len() as u64,
            recipients: recipients.len() as u64,
        },
        recipients,
    })
}

impl MessageHeaders {
    /// The step's evidence as the message fills it: the Message-ID, the sent time, the sender,
    /// the recipients (as a list, or counted), each only where the step has a field for it and
    /// `given` (`--set`) does not already hold one.
    pub(super) fn fill(&self, step: &Step, given: &[(String, String)]) -> Vec<(String, String)> {
        let mut pairs = given.to_vec();
        for field in &step.evidence {
            let name = field.name.value.as_str();
            if pairs.iter().any(|(k, _)| k == name) {
                continue;
            }
            let value = match field.kind.value {
                FieldType::Text if name.contains("message_id") => self.message_id.clone(),
                FieldType::DateTime if name.contains("sent") => self.date.clone(),
                FieldType::Email if name.contains("sender") || name.contains("from") => {
                    self.from.clone()
                }
                FieldType::EmailList if name.contains("recipient") => {
                    Some(self.recipients.join(", ")).filter(|r| !r.is_empty())
                }
                FieldType::Number | FieldType::Count if name.contains("recipient") => {
                    Some(self.recipients.len().to_string())
                }
                _ => None,
            };
            if let Some(value) = value {
                pairs.push((name.to_owned(), value));
            }
        }
        pairs
    }
}

/// `attach --eml FILE [--step STEP]`: the message's headers and the file's identity as an
/// entry of their own, for any step (or none); the message itself is not copied.
pub(super) fn attach_message(
    s: &Session,
    file: &Path,
    step: Option<String>,
) -> Result<(Incident, Head, String), Error> {
    let headers = read_message(file, "--eml")?;
    let (incident, _, head) = record(s, |_, incident| {
        super::attach::check_evidence_for(incident, step.as_deref())?;
        Ok(Event::MessageRecorded(event::MessageRecorded {
            step: step.clone(),
            message_id: headers.message_id.clone(),
            sent_at: headers.date.clone(),
            sender: headers.from.clone(),
            recipients: headers.recipients.clone(),
            message_file: headers.file.clone(),
        }))
    })?;
    let message = format!(
        "Recorded the headers of {} ({}, {} recipient(s), sha256 {}); its subject, body and attachments were not kept",
        file.display(),
        crate::text::sanitize(headers.message_id.as_deref().unwrap_or("no Message-ID")),
        headers.recipients.len(),
        headers.file.sha256
    );
    Ok((incident, head, message))
}
