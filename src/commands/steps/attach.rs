//! `attach FILE`: evidence copied into the store under its full SHA-256, with the entry that
//! names it; a copy this command made goes again when the entry cannot be recorded.

use super::*;

/// Largest evidence file accepted.
const MAX_ATTACHMENT_BYTES: u64 = 256 * 1024 * 1024;

/// Evidence is added to an open incident, for one of its steps when a step is named.
pub(super) fn check_evidence_for(incident: &Incident, step: Option<&str>) -> Result<(), Error> {
    if incident.is_closed() {
        return Err(Error::refused(format!(
            "incident {} is closed; it accepts notes only",
            incident.id
        )));
    }
    if let Some(st) = step {
        incident.find_step(st)?;
    }
    Ok(())
}

pub(super) fn attach_file(
    s: &Session,
    file: &Path,
    step: Option<String>,
) -> Result<(Incident, Head, String), Error> {
    let meta = std::fs::metadata(file).map_err(|e| Error::io("read", file, e))?;
    if !meta.is_file() {
        return Err(Error::input(format!(
            "{} is not a regular file",
            file.display()
        )));
    }
    if meta.len() > MAX_ATTACHMENT_BYTES {
        return Err(Error::input(format!(
            "{} is {} bytes; attachments may be at most {MAX_ATTACHMENT_BYTES} bytes",
            file.display(),
            meta.len()
        )));
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".to_owned());
    let stored = std::cell::RefCell::new(None);
    let result = record(s, |store, incident| {
        check_evidence_for(incident, step.as_deref())?;
        let copy = store.put_attachment(&incident.id, file)?;
        let event = Event::Attachment(event::Attachment {
            name: name.clone(),
            stored: copy.stored.clone(),
            sha256: copy.sha256.clone(),
            bytes: copy.bytes,
            step: step.clone(),
        });
        *stored.borrow_mut() = Some((incident.id.clone(), copy));
        Ok(event)
    });
    match result {
        Ok((incident, Event::Attachment(a), head)) => {
            let message = format!(
                "Attached {} ({} bytes, sha256 {})",
                sanitize(&a.name),
                a.bytes,
                a.sha256
            );
            Ok((incident, head, message))
        }
        Ok(_) => unreachable!("attach records an attachment"),
        Err(e) => {
            // Only a copy this command made goes; one an earlier entry names stays.
            if let (Some((id, copy)), Ok(store)) = (stored.into_inner(), s.open_store()) {
                store.discard_attachment(&id, &copy);
            }
            Err(e)
        }
    }
}
