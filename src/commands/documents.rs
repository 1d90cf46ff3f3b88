//! The commands whose output is a document: `export` and `letter`. A document goes to standard
//! output, or to a file created 0600 that is never overwritten without `--force` (and then
//! replaced atomically).

use std::path::PathBuf;

use minijinja::Value as Tpl;
use serde::Serialize;

use super::{Outcome, Session, deliver, to_file};
use crate::cli::{ExportFormat, LetterArg, LetterFormat, OutputArgs};
use crate::error::Error;
use crate::incident::{Incident, Replay, TimelineEntry};
use crate::profile::Profile;
use crate::render::export::{self, RawEntry};
use crate::render::letters::{self, Element, LetterKind};
use crate::render::templates;
use crate::store::Access;
use crate::store::Store;

/// The incident, read through `replay` (which says how much of the timeline it keeps).
fn load(s: &Session, replay: Replay) -> Result<(std::rc::Rc<Store>, Incident), Error> {
    let store = s.open_store()?;
    let id = s.resolve(&store)?;
    let replay = replay.expecting(&id);
    let mut log = store.open_log(&id, Access::Read)?;
    let bar = crate::render::progress::log_bar(store.log_bytes(&id), "reading the log");
    let (incident, _) = crate::store::replay_verified(log.as_mut(), replay, &mut |e| {
        bar.inc(e.line.len() as u64 + 1);
    })?;
    bar.finish_and_clear();
    Ok((store, incident))
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
    if format == ExportFormat::Docx
        && super::output::to_file(&out.file).is_none()
        && !s.sink.streams()
    {
        return Err(Error::usage(
            "a Word document is not for a terminal: give -o FILE.docx (or pipe it)",
        ));
    }
    if format != ExportFormat::Ics {
        return streamed_export(s, format, bom, out);
    }
    // The calendar needs no timeline.
    let (store, incident) = load(s, Replay::with_report_entries())?;
    let clock = incident.clock(s.today());
    let profile = Profile::load(&store.files_dir())?;
    let report = export::report(&incident, &profile, &clock, &s.calendar, s.now);
    let text = export::ics_export(&report, &clock, s.now);
    let what = format!("the {} export of {}", format.name(), incident.id);
    Ok(Outcome::ok(deliver(&out.file, text, &what)?))
}

/// The exports whose size grows with the log (JSON, CSV, Markdown, HTML, Word): the log is read
/// and verified once, its state kept (with only the notes on steps and the attachments a report
/// shows beside its timeline) and its lines copied to a private, unnamed temporary file; the
/// timeline and the entries are read back from that copy as they are written out, to the file,
/// the pipe or (for a terminal, whose text is made safe first) a buffer. The Markdown and HTML
/// templates are rendered on a second thread, taking the timeline's rows from this one as they
/// lay them out. Memory does not grow with the log, and what is written is what was verified.
fn streamed_export(
    s: &Session,
    format: ExportFormat,
    bom: bool,
    out: &OutputArgs,
) -> Result<Outcome, Error> {
    use std::cell::RefCell;
    use std::io::Write;
    let (store, copy, incident) = read_verified(s)?;
    let profile = Profile::load(&store.files_dir())?;
    let clock = incident.clock(s.today());
    let copy = RefCell::new(copy);
    // Who wrote each entry, where the store authenticated it (a database's logins).
    let runs = store.writer_runs(&incident.id)?.unwrap_or_default();
    let mut report = export::report(&incident, &profile, &clock, &s.calendar, s.now);
    // One read of the timeline, a row at a time.
    let read_timeline = |sink: &mut dyn FnMut(export::TimelineRow)| {
        let mut narrator = export::Narrator::new(&incident);
        copy.borrow_mut().each(&mut |_, line, offset| {
            let entry = crate::log::read_checked_line(line, offset)
                .map_err(|fault| copy_unreadable(&incident.id, fault))?;
            let mut row = narrator.row(&TimelineEntry::read(&entry)?, &s.calendar);
            row.written_by = login_of(&runs, row.seq);
            sink(row);
            Ok(())
        })
    };
    // The templates take the timeline from `render_with_timeline`, never from the report.
    if matches!(format, ExportFormat::Json | ExportFormat::Csv) {
        report.timeline = export::Rows::from_log(read_timeline);
    }
    let entries = export::Rows::from_log(|sink| {
        let mut seq = 0;
        copy.borrow_mut().each(&mut |kind, line, _| {
            let hash = crate::log::line_hash(line.as_bytes()).ok_or_else(|| {
                copy_unreadable(&incident.id, crate::log::LineFault::NotCanonical)
            })?;
            sink(RawEntry {
                seq,
                kind: kind.to_owned(),
                hash: hash.to_owned(),
                line: line.to_owned(),
            });
            seq += 1;
            Ok(())
        })
    });
    let write = |w: &mut (dyn Write + Send)| -> Result<(), Error> {
        if bom {
            w.write_all("\u{feff}".as_bytes())
                .map_err(|e| Error::input(format!("cannot write the export: {e}")))?;
        }
        match format {
            ExportFormat::Json => export::json_export(&report, &entries, w),
            ExportFormat::Csv => export::csv_export(&report, w),
            ExportFormat::Docx => {
                let env = templates::environment(
                    template_dirs(&store, out),
                    templates::fuel_for(incident.head.seq + 1),
                );
                let furniture = page_furniture(&profile, &incident.id);
                let rows = (incident.head.seq + 1) as usize;
                let bytes = word_report(&env, &report, rows, &read_timeline, &furniture, s.now)?;
                w.write_all(&bytes)
                    .map_err(|e| Error::input(format!("cannot write the export: {e}")))
            }
            _ => {
                let env = templates::environment(
                    template_dirs(&store, out),
                    templates::fuel_for(incident.head.seq + 1),
                );
                let svg = export::timeline_svg(&incident, &clock, &s.calendar, s.now);
                let name = if format == ExportFormat::Md {
                    "report.md.j2"
                } else {
                    "report.html.j2"
                };
                let rows = (incident.head.seq + 1) as usize;
                render_with_timeline(&env, name, &report, svg, rows, w, &read_timeline)
            }
        }
    };
    let what = format!("the {} export of {}", format.name(), incident.id);
    super::write_document(s.sink, &out.file, &what, &write)
}

/// A line of the export's own copy of the log that does not read back: the copy is private to
/// this process, so this is a fault of the disk, never of the log.
fn copy_unreadable(id: &str, fault: crate::log::LineFault) -> Error {
    Error::input(format!(
        "the temporary copy of incident {id}'s log did not read back ({fault}); export it again"
    ))
}

/// The store, the lines of the incident's log as one verified read found them, and the
/// incident as that read left it.
type Verified = (std::rc::Rc<Store>, VerifiedCopy, Incident);

/// The login that wrote entry `seq`, from runs of consecutive entries in the order of the log.
fn login_of(runs: &[crate::store::Writer], seq: u64) -> Option<String> {
    let at = runs.partition_point(|r| r.last < seq);
    runs.get(at)
        .filter(|r| r.first <= seq)
        .map(|r| r.role.clone())
}

/// The lines of a log one verified read found, each with its kind, in a private unnamed
/// temporary file (the store's cache, or else the system's temporary directory): an export
/// reads them back as often as it needs, never the log again, so what it writes is what was
/// verified, whatever happens to the log meanwhile.
struct VerifiedCopy {
    id: String,
    tape: crate::spill::Tape,
}

impl VerifiedCopy {
    /// Hands each line to `sink` in order: its kind, the line without its newline, and its
    /// offset in the log.
    fn each(
        &mut self,
        sink: &mut dyn FnMut(&str, &str, u64) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut offset = 0;
        let id = &self.id;
        self.tape.each(&mut |kind, line| {
            let text = |b| {
                std::str::from_utf8(b)
                    .map_err(|_| copy_unreadable(id, crate::log::LineFault::NotUtf8))
            };
            sink(text(kind)?, text(line)?, offset)?;
            offset += line.len() as u64 + 1;
            Ok(())
        })
    }
}

/// The store, the incident's lines and the incident as one verified read of the log left them
/// (with the entries a report shows beside its timeline).
fn read_verified(s: &Session) -> Result<Verified, Error> {
    let store = s.open_store()?;
    let id = s.resolve(&store)?;
    let mut log = store.open_log(&id, Access::Read)?;
    let bar = crate::render::progress::log_bar(store.log_bytes(&id), "reading the log");
    let replay = Replay::with_report_entries().expecting(&id);
    let mut tape = crate::spill::Tape::new(store.cache_dir().as_deref())?;
    let mut copied = Ok(());
    let (incident, _) = crate::store::replay_verified(log.as_mut(), replay, &mut |e| {
        bar.inc(e.line.len() as u64 + 1);
        if copied.is_ok() {
            // A second pass of the replay (voids) starts the copy again.
            copied = if e.seq == 0 && tape.records() > 0 {
                tape.clear()
            } else {
                Ok(())
            }
            .and_then(|()| tape.push(e.kind.as_bytes(), e.line.as_bytes()));
        }
    })?;
    copied?;
    bar.finish_and_clear();
    if tape.records() != incident.head.seq + 1 {
        return Err(Error::internal(
            "copy the log for the export",
            format!(
                "the copy holds {} lines for {} entries",
                tape.records(),
                incident.head.seq + 1
            ),
        ));
    }
    Ok((store, VerifiedCopy { id, tape }, incident))
}

/// The report as a Word package, written whole: the Markdown report (the organisation's
/// template when it has one) laid out as a document, then zipped.
fn word_report(
    env: &minijinja::Environment<'_>,
    report: &export::Report<'_>,
    rows: usize,
    read_timeline: &ReadTimeline<'_>,
    furniture: &export::PageFurniture,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<u8>, Error> {
    let mut markdown = Vec::new();
    render_with_timeline(
        env,
        "report.md.j2",
        report,
        String::new(),
        rows,
        &mut markdown,
        read_timeline,
    )?;
    export::report_docx(
        &String::from_utf8_lossy(&markdown),
        furniture,
        &crate::clock::log_timestamp(now),
    )
}

/// The organisation and the marking every page of a printed report carries.
fn page_furniture(profile: &Profile, id: &str) -> export::PageFurniture {
    let name = profile
        .get("name")
        .unwrap_or("Organisation not set (breach config set name …)");
    export::PageFurniture {
        organisation: match profile.get("address") {
            Some(address) => format!("{name} · {address}"),
            None => name.to_owned(),
        },
        marking: profile.get("report_marking").map(str::to_owned),
        incident: format!("Incident {id}"),
    }
}

/// How many times one rendering may read the timeline (each loop over it or lookup in it reads
/// the log): the built-in reports read it once; a template that loops over it in a loop would
/// otherwise read the log without end.
const MAX_TIMELINE_READS: usize = 16;

/// One read of the log that hands each timeline row to a sink.
type ReadTimeline<'a> = dyn Fn(&mut dyn FnMut(export::TimelineRow)) -> Result<(), Error> + 'a;

/// Renders the report template `name` to `out`, its timeline's rows read as the template lays
/// them out: the template runs on a second thread and each time it iterates `r.timeline`,
/// `read` (on this thread, which holds the log) hands it the rows one at a time. A read that
/// fails ends the template's loop and is the error returned.
fn render_with_timeline(
    env: &minijinja::Environment<'_>,
    name: &str,
    report: &export::Report<'_>,
    svg: String,
    rows: usize,
    out: &mut (dyn std::io::Write + Send),
    read: &ReadTimeline<'_>,
) -> Result<(), Error> {
    let (requests, asked) = std::sync::mpsc::channel();
    // Built in a block: the context holds the only handle on `requests`, so that the loop
    // below ends when the template is done with it.
    let timeline = templates::Streamed::new(requests, rows);
    let nested = timeline.nested();
    let ctx = {
        let r = templates::with_field(
            &Tpl::from_serialize(report),
            "timeline",
            Tpl::from_object(timeline),
        );
        minijinja::context! { r => r, svg => Tpl::from_safe_string(svg) }
    };
    std::thread::scope(|scope| {
        let rendering = scope.spawn(move || templates::render_to(env, name, ctx, out));
        let mut failed = None;
        // Ends when the template is done with its context (and so with every request).
        for (n, reply) in asked.into_iter().enumerate() {
            if failed.is_some() {
                continue;
            }
            if n == MAX_TIMELINE_READS {
                failed = Some(Error::input(format!(
                    "template {name}: it reads the timeline more than {MAX_TIMELINE_READS} times (each loop over it, or lookup in it, is a read of the log)"
                )));
                continue;
            }
            let mut listening = true;
            if let Err(e) = read(&mut |row| {
                // A template that stops early (a `break`) stops listening; the read goes on
                // to check the log's head.
                listening = listening && reply.send(Tpl::from_serialize(&row)).is_ok();
            }) {
                failed = Some(e);
            }
        }
        let rendered = rendering
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        if nested.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::input(format!(
                "template {name}: it reads the timeline inside a loop over the timeline (each is a read of the log, one at a time); loop over it once"
            )));
        }
        match failed {
            Some(e) => Err(e),
            None => rendered,
        }
    })
}

/// `letter --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Drafted<'a> {
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
    let (store, incident) = load(s, Replay::with_timeline())?;
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

/// `letter individual --roster FILE -o DIR`: one letter per reachable person of the roster
/// (to the next of kin of a deceased person), named by row number, never by a name, each 0600
/// in a 0700 directory, with `manifest.csv` (row, recipient, file, state, method) for the mail
/// house. The roster must be the one `facts --roster` counted: another is refused, by its row
/// count and SHA-256 beside the recorded ones, before anything is written. The letters and the
/// manifest hold PHI and stay in DIR: nothing of the roster enters the store.
pub(super) fn letters_for_roster(
    s: &Session,
    kind: LetterArg,
    roster: &std::path::Path,
    format: LetterFormat,
    out: &OutputArgs,
) -> Result<Outcome, Error> {
    if kind != LetterArg::Individual {
        return Err(Error::usage(
            "--roster writes the individual notice, one per person: `breach letter individual --roster FILE -o DIR`",
        ));
    }
    let Some(dir) = to_file(&out.file) else {
        return Err(Error::usage(
            "--roster needs -o DIR, the directory the letters go into",
        ));
    };
    let (store, incident) = load(s, Replay::with_timeline())?;
    let name = roster.display().to_string();
    let open = || std::fs::File::open(roster).map_err(|e| Error::io("read", roster, e));
    let recorded = require_counted_roster(&incident, std::io::BufReader::new(open()?), &name)?;
    let profile = Profile::load(&store.files_dir())?;
    let env = templates::environment(
        template_dirs(&store, out),
        templates::fuel_for(incident.head.seq + 1),
    );
    require_every_element(&env, &incident, &profile, s.today())?;
    if format == LetterFormat::Pdf {
        // Every letter printable before the first is written.
        let open_roster = || open().map(std::io::BufReader::new);
        each_pdf_printable(open_roster()?, &name, &env, &incident, &profile, s.today())?;
    }
    prepare_letter_dir(dir, out.file.force)?;
    let created = format!("{}T00:00:00Z", s.today().format("%Y-%m-%d"));
    let mut manifest = csv::Writer::from_writer(Vec::new());
    let csv_failed = |e: csv::Error| Error::input(format!("cannot write the manifest: {e}"));
    manifest
        .write_record(["row", "recipient", "file", "state", "method"])
        .map_err(csv_failed)?;
    let mut written = 0u64;
    crate::incident::roster::each_addressee(std::io::BufReader::new(open()?), &name, &mut |to| {
        let bytes = letter_file(&env, &incident, &profile, s.today(), &to, format, &created)
            .map_err(|e| {
                Error::input(format!(
                    "{name}:{}: the letter cannot be written: {e}",
                    to.row
                ))
            })?;
        let file = format!("letter-{:05}.{}", to.row, format.extension());
        crate::files::write_private_file(&dir.join(&file), &bytes, out.file.force)?;
        manifest
            .write_record([
                to.row.to_string().as_str(),
                &crate::render::export::formats::csv_cell(&to.name),
                &file,
                &to.state,
                to.method,
            ])
            .map_err(csv_failed)?;
        written += 1;
        Ok(())
    })?;
    let manifest = manifest
        .into_inner()
        .map_err(|e| Error::input(format!("cannot write the manifest: {e}")))?;
    crate::files::write_private_file(&dir.join("manifest.csv"), &manifest, out.file.force)?;
    let skipped = recorded.rows.saturating_sub(written);
    Ok(Outcome::ok(format!(
        "Wrote {written} letter(s) and manifest.csv into {}; {skipped} of the roster cannot be reached by mail or email and are owed the substitute notice.\n",
        dir.display()
    )))
}

/// The roster counted for the incident, if `roster` is that one: a refusal otherwise, with
/// both row counts and SHA-256s.
fn require_counted_roster(
    incident: &Incident,
    roster: impl std::io::Read,
    name: &str,
) -> Result<crate::incident::roster::RosterSeal, Error> {
    let Some(recorded) = incident.facts.roster.clone() else {
        return Err(Error::refused(
            "no roster has been counted for this incident: record it first with `breach facts --roster FILE`",
        ));
    };
    let found = crate::incident::roster::seal_of(roster, name)?;
    if found != recorded {
        return Err(Error::refused(format!(
            "{name} is not the roster counted: it has {} rows and SHA-256 {}, the recorded one {} rows and SHA-256 {}; `breach facts --roster {name}` records this one (no letter was written)",
            found.rows, found.sha256, recorded.rows, recorded.sha256
        )));
    }
    Ok(recorded)
}

/// Letters go to the mail house only when they hold every element 164.404(c) requires: a
/// refusal naming what is missing otherwise.
fn require_every_element(
    env: &minijinja::Environment<'_>,
    incident: &Incident,
    profile: &Profile,
    today: chrono::NaiveDate,
) -> Result<(), Error> {
    let draft = letters::draft(env, LetterKind::Individual, incident, profile, today)?;
    let missing: Vec<&str> = draft
        .elements
        .iter()
        .filter(|e| !e.present)
        .map(|e| e.name)
        .collect();
    if missing.is_empty() && !draft.text.contains("[MISSING:") {
        return Ok(());
    }
    let named = if missing.is_empty() {
        "a [MISSING: …] marker of the template".to_owned()
    } else {
        missing.join("; ")
    };
    Err(Error::refused(format!(
        "the letters would lack what 164.404(c) requires: {}; `breach letter individual` shows how to record each (no letter was written)",
        crate::text::sanitize(&named)
    )))
}

/// Whether every letter of the roster can be printed in the PDF's font, before any is written.
fn each_pdf_printable(
    roster: impl std::io::Read,
    name: &str,
    env: &minijinja::Environment<'_>,
    incident: &Incident,
    profile: &Profile,
    today: chrono::NaiveDate,
) -> Result<(), Error> {
    crate::incident::roster::each_addressee(roster, name, &mut |to| {
        let parts = letters::addressed_parts(env, incident, profile, today, &to)?;
        crate::render::letter_files::pdf_printable(&parts).map_err(|e| {
            Error::input(format!(
                "{name}:{}: the letter cannot be written: {e}",
                to.row
            ))
        })
    })
}

/// One letter's file in `format`.
fn letter_file(
    env: &minijinja::Environment<'_>,
    incident: &Incident,
    profile: &Profile,
    today: chrono::NaiveDate,
    to: &crate::incident::roster::Addressee,
    format: LetterFormat,
    created: &str,
) -> Result<Vec<u8>, Error> {
    use crate::render::letter_files;
    if format == LetterFormat::Md {
        return Ok(letters::addressed(env, incident, profile, today, to)?.into_bytes());
    }
    let parts = letters::addressed_parts(env, incident, profile, today, to)?;
    match format {
        LetterFormat::Docx => letter_files::docx(&parts, created),
        LetterFormat::Pdf => letter_files::pdf(&parts),
        LetterFormat::Html | LetterFormat::Md => Ok(letter_files::html(&parts).into_bytes()),
    }
}

/// The directory the letters go into: made private when new; one that already holds letters
/// or a manifest is refused without `--force`.
fn prepare_letter_dir(dir: &std::path::Path, force: bool) -> Result<(), Error> {
    crate::files::create_private_dir(dir)?;
    let held = std::fs::read_dir(dir)
        .map_err(|e| Error::io("read", dir, e))?
        .filter_map(Result::ok)
        .any(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n == "manifest.csv" || n.starts_with("letter-")
        });
    if held && !force {
        return Err(Error::refused(format!(
            "{} already holds letters; add --force to replace them",
            dir.display()
        )));
    }
    Ok(())
}
