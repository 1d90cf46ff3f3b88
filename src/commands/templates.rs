//! `template list | show | publish | withdraw`: the letter and report templates, and the
//! organisation's own wording kept in the store (for every machine, on a database store) in
//! place of a built-in one.

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::runbooks::published_text;
use super::{Outcome, Session};
use crate::cli::TemplateCommand;
use crate::error::Error;
use crate::render::templates::{BUILTIN, MAX_TEMPLATE_BYTES};
use crate::store::Store;
use crate::store::organisation::FileKind;
use crate::text::sanitize;

pub(super) fn template(s: &Session, cmd: TemplateCommand) -> Result<Outcome, Error> {
    match cmd {
        TemplateCommand::List => list(s),
        TemplateCommand::Show { name } => show(s, &name),
        TemplateCommand::Publish { file } => publish(s, &file),
        TemplateCommand::Withdraw { name } => withdraw(s, &name),
    }
}

/// One template in `template list --json`.
#[derive(Debug, Serialize)]
pub(crate) struct TemplateRow {
    pub name: String,
    /// `built-in`, or the file this machine reads the organisation's from.
    pub source: String,
    pub replaces_builtin: bool,
    pub sha256: String,
}

/// `template list --json`.
#[derive(Debug, Serialize)]
pub(crate) struct TemplateList {
    pub store: String,
    pub templates: Vec<TemplateRow>,
}

/// The organisation's templates in the store, by name, with their text.
fn own_templates(store: &Store) -> Result<Vec<(String, String)>, Error> {
    let dir = store.files_dir().join("templates");
    let Ok(read) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut own = Vec::new();
    for item in read.flatten() {
        let Some(name) = item.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if let Some(text) = read_template(&item.path())? {
            own.push((name, text));
        }
    }
    own.sort();
    Ok(own)
}

/// A template file's text, bounded and UTF-8; `None` when there is none.
fn read_template(path: &Path) -> Result<Option<String>, Error> {
    let Some(bytes) = crate::files::read_small_file(path, MAX_TEMPLATE_BYTES, "template")? else {
        return Ok(None);
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Error::input(format!("{}: a template is UTF-8 text", path.display())))
}

fn list(s: &Session) -> Result<Outcome, Error> {
    let store = s.open_store()?;
    let own = own_templates(&store)?;
    let dir = store.files_dir().join("templates");
    let sha = |t: &str| hex::encode(Sha256::digest(t.as_bytes()));
    let mut rows: Vec<TemplateRow> = BUILTIN
        .iter()
        .map(|(name, text)| match own.iter().find(|(n, _)| n == name) {
            Some((_, mine)) => TemplateRow {
                name: (*name).to_owned(),
                source: dir.join(name).display().to_string(),
                replaces_builtin: true,
                sha256: sha(mine),
            },
            None => TemplateRow {
                name: (*name).to_owned(),
                source: "built-in".to_owned(),
                replaces_builtin: false,
                sha256: sha(text),
            },
        })
        .collect();
    for (name, text) in &own {
        if !BUILTIN.iter().any(|(n, _)| n == name) {
            rows.push(TemplateRow {
                name: name.clone(),
                source: dir.join(name).display().to_string(),
                replaces_builtin: false,
                sha256: sha(text),
            });
        }
    }
    if s.json {
        return Ok(Outcome::json(&TemplateList {
            store: store.location(),
            templates: rows,
        }));
    }
    let mut out = String::new();
    for row in &rows {
        let source = if row.source == "built-in" {
            "built-in".to_owned()
        } else if row.replaces_builtin {
            format!(
                "the organisation's, replacing the built-in one ({})",
                row.source
            )
        } else {
            format!("the organisation's ({})", row.source)
        };
        out.push_str(&format!("{:<34} {source}\n", sanitize(&row.name)));
    }
    Ok(Outcome::ok(out))
}

fn show(s: &Session, name: &str) -> Result<Outcome, Error> {
    crate::store::organisation::check_name(name)?;
    let store = s.open_store()?;
    if let Some(text) = read_template(&FileKind::Template.path(&store.files_dir(), name))? {
        return Ok(Outcome::ok(text));
    }
    match BUILTIN.iter().find(|(n, _)| *n == name) {
        Some((_, text)) => Ok(Outcome::ok((*text).to_owned())),
        None => Err(unknown(name)),
    }
}

fn unknown(name: &str) -> Error {
    let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    Error::input(format!(
        "no template `{}`; the built-in ones are {} (`breach template list` shows the organisation's too)",
        sanitize(name),
        names.join(", ")
    ))
}

/// `template publish --json` and `template withdraw --json`.
#[derive(Debug, Serialize)]
pub(crate) struct TemplatePublished {
    pub name: String,
    pub store: String,
    pub changed: bool,
    pub files_version: Option<i64>,
    /// Absent when withdrawn.
    pub sha256: Option<String>,
}

fn publish(s: &Session, file: &Path) -> Result<Outcome, Error> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    crate::store::organisation::check_name(&name)?;
    if !name.ends_with(".j2") {
        return Err(Error::input(format!(
            "{}: a template's file name ends in .j2 (as letter-individual.md.j2); the name is the template it replaces or adds",
            file.display()
        )));
    }
    let text = read_template(file)?
        .ok_or_else(|| Error::input(format!("{}: no such file", file.display())))?;
    crate::render::templates::check(&name, &text, &file.display().to_string())?;
    let store = s.create_store()?;
    let replaced = store.replace_organisation_file(FileKind::Template, &name, &mut |_| {
        Ok(Some(text.clone().into_bytes()))
    })?;
    let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
    if s.json {
        return Ok(Outcome::json(&TemplatePublished {
            name,
            store: store.location(),
            changed: replaced.changed,
            files_version: replaced.version,
            sha256: Some(sha256),
        }));
    }
    let replacing = if BUILTIN.iter().any(|(n, _)| *n == name) {
        ", replacing the built-in one"
    } else {
        ""
    };
    Ok(Outcome::ok(published_text(
        &format!(
            "Published template {}{replacing} (SHA-256 {})",
            sanitize(&name),
            crate::text::short_hash(&sha256)
        ),
        &store,
        &replaced,
    )))
}

fn withdraw(s: &Session, name: &str) -> Result<Outcome, Error> {
    crate::store::organisation::check_name(name)?;
    let store = s.open_store()?;
    if read_template(&FileKind::Template.path(&store.files_dir(), name))?.is_none() {
        return Err(Error::refused(format!(
            "{} holds no template of the organisation's named `{}` (`breach template list` shows them)",
            store.location(),
            sanitize(name)
        )));
    }
    let replaced = store.replace_organisation_file(FileKind::Template, name, &mut |_| Ok(None))?;
    if s.json {
        return Ok(Outcome::json(&TemplatePublished {
            name: name.to_owned(),
            store: store.location(),
            changed: replaced.changed,
            files_version: replaced.version,
            sha256: None,
        }));
    }
    Ok(Outcome::ok(published_text(
        &format!("Withdrew template {}", sanitize(name)),
        &store,
        &replaced,
    )))
}
