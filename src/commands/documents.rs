//! The commands whose output is a document: `export` and `letter`. A document goes to standard
//! output, or to a file created 0600 that is never overwritten without `--force` (and then
//! replaced atomically).

use std::path::PathBuf;

use minijinja::Value as Tpl;
use serde::Serialize;

use super::{Outcome, Session, deliver, to_file};
use crate::cli::{ExportFormat, LetterArg, OutputArgs};
use crate::error::Error;
use crate::incident::{Incident, Replay};
use crate::log::Access;
use crate::profile::Profile;
use crate::render::export::{self, RawEntry};
use crate::render::letters::{self, Element, LetterKind};
use crate::render::templates;
use crate::store::Store;

/// The incident with its whole timeline, and every entry exactly as written.
fn load_with_entries(s: &Session) -> Result<(Store, Incident, Vec<RawEntry>), Error> {
    let store = s.open_store()?;
    let id = s.resolve(&store)?;
    let mut log = store.open_log(&id, Access::Read)?;
    let mut replay = Replay::with_timeline();
    let mut raw = Vec::new();
    let bar = crate::render::progress::log_bar(store.log_bytes(&id), "reading the log");
    log.read_verified(|e| {
        bar.inc(e.line.len() as u64 + 1);
        replay.apply(e);
        raw.push(RawEntry {
            seq: e.seq,
            kind: e.kind.to_string(),
            hash: e.hash.to_owned(),
            line: e.line.to_owned(),
        });
    })?;
    bar.finish_and_clear();
    Ok((store, replay.finish()?, raw))
}

fn template_dirs(store: &Store, out: &OutputArgs) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = &out.templates {
        dirs.push(d.clone());
    }
    dirs.push(store.files_dir().join("templates"));
    dirs
}

pub(super) fn export(
    s: &Session,
    format: ExportFormat,
    bom: bool,
    out: &OutputArgs,
) -> Result<Outcome, Error> {
    if bom && format != ExportFormat::Csv {
        return Err(Error::usage("--bom is for --format csv"));
    }
    let (store, incident, entries) = load_with_entries(s)?;
    let now = s.now;
    let profile = Profile::load(&store.files_dir())?;
    let clock = incident.clock(s.today());
    let report = export::report(&incident, &profile, &clock, now);
    let text = match format {
        ExportFormat::Json => export::json_export(&report, &entries),
        ExportFormat::Csv if bom => format!("\u{feff}{}", export::csv_export(&report)?),
        ExportFormat::Csv => export::csv_export(&report)?,
        ExportFormat::Ics => export::ics_export(&report, &clock, now),
        ExportFormat::Md | ExportFormat::Html => {
            let env = templates::environment(
                template_dirs(&store, out),
                templates::fuel_for(incident.head.seq + 1),
            );
            let svg = export::timeline_svg(&incident, &clock, now);
            let ctx = minijinja::context! { r => Tpl::from_serialize(&report), svg => Tpl::from_safe_string(svg) };
            let name = if format == ExportFormat::Md {
                "report.md.j2"
            } else {
                "report.html.j2"
            };
            templates::render(&env, name, ctx)?
        }
    };
    let what = format!("the {} export of {}", format.name(), incident.id);
    Ok(Outcome::ok(deliver(&out.file, text, &what)?))
}

/// `letter --json`.
#[derive(Debug, Serialize)]
pub struct Drafted<'a> {
    pub id: &'a str,
    pub letter: &'a str,
    pub basis: &'a str,
    pub elements: &'a [Element],
    pub complete: bool,
}

pub(super) fn letter(
    s: &Session,
    kind: LetterArg,
    strict: bool,
    out: &OutputArgs,
) -> Result<Outcome, Error> {
    let kind = match kind {
        LetterArg::Individual => LetterKind::Individual,
        LetterArg::Substitute => LetterKind::Substitute,
        LetterArg::Media => LetterKind::Media,
        LetterArg::Hhs => LetterKind::Hhs,
        LetterArg::BusinessAssociate => LetterKind::BusinessAssociate,
    };
    let (store, incident, _) = load_with_entries(s)?;
    let profile = Profile::load(&store.files_dir())?;
    let env = templates::environment(
        template_dirs(&store, out),
        templates::fuel_for(incident.head.seq + 1),
    );
    let letter = letters::draft(&env, kind, &incident, &profile, s.today())?;
    let missing = letter.elements.iter().filter(|e| !e.present).count();
    // A draft that still holds a marker is incomplete, whatever the checklist says.
    let marked = letter.text.contains("[MISSING:");
    let code = u8::from(strict && (missing > 0 || marked));
    if code == 1 {
        // What is missing, named on stderr, whatever goes to stdout.
        let mut names: Vec<String> = letter
            .elements
            .iter()
            .filter(|e| !e.present)
            .map(|e| e.name.to_owned())
            .collect();
        for (at, _) in letter.text.match_indices("[MISSING: ") {
            let rest = &letter.text[at + "[MISSING: ".len()..];
            if let Some(end) = rest.find(']') {
                let name = rest[..end].to_owned();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        eprintln!(
            "breach: the draft is incomplete (--strict): missing {}",
            crate::text::sanitize(&names.join("; "))
        );
    }
    if s.json {
        let doc = Drafted {
            id: &incident.id,
            letter: &letter.text,
            basis: letter.basis,
            elements: &letter.elements,
            complete: missing == 0 && !marked,
        };
        return Ok(Outcome::with_code(super::json_doc(&doc), code));
    }
    let checklist = letters::checklist(&letter);
    let stdout = if to_file(&out.file).is_some() {
        let done = deliver(&out.file, letter.text, "the draft")?;
        format!("{done}{checklist}")
    } else {
        // The letter alone on stdout, so `> letter.md` holds the letter; the checklist is for
        // the person, on stderr.
        eprint!("{checklist}");
        letter.text
    };
    Ok(Outcome::with_code(stdout, code))
}
