//! The commands that look across every incident in the store: `list`, `deadlines --all` and
//! the year-end report to HHS (`annual`). They read each incident's summary (cached beside its
//! log, keyed to the log it was built from), never hold more than one incident's state at a
//! time, and stream what they print.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::lifecycle::Progress;
use super::{Outcome, Session, deliver};
use crate::cli::{AnnualFormat, FileOut, ListArgs, OpenOrClosed};
use crate::error::Error;
use crate::incident::obligations::{self, Audience, Key, Status};
use crate::incident::summary::{Brief, DeadlinesView, ListView, Owed, OwedView, Summary, YearView};
use crate::log::Head;
use crate::render::terminal::{self, Columns};
use crate::render::{export, store_wide as view};
use crate::spill;
use crate::store::Store;

mod annual;
mod remind;

pub(super) use annual::annual;
pub(super) use remind::remind;

/// One incident in `list --json`: readable, or named with why it cannot be read.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum ListRow {
    Readable {
        id: String,
        title: String,
        state: String,
        discovered: NaiveDate,
        runbook: String,
        progress: Progress,
        head: Head,
        /// Obligations overdue today (the same as `overdue_obligations`, kept for scripts).
        overdue: usize,
        /// Legal obligations (notices) overdue today.
        overdue_obligations: usize,
        /// Open steps past their due time.
        overdue_steps: usize,
    },
    Unreadable {
        id: String,
        state: &'static str,
        error: String,
    },
}

/// `list --json`: the incidents are written as they come out of the sort, never held.
#[derive(Debug, Serialize)]
pub(crate) struct Listed<'a> {
    pub store: String,
    pub incidents: export::Rows<'a, ListRow>,
}

/// The incidents that could not be read, with why.
type Unreadable = Vec<(String, Error)>;

/// What was kept of each incident, and the incidents that could not be read with why.
type Kept<T> = (Vec<T>, Unreadable);

/// What `keep` takes of each incident's summary (given as its JSON text, of which it reads what
/// it needs; `None` to pass it over), one summary at a time, so memory grows with what is kept,
/// never with the store; and the incidents that cannot be read, with why. A progress bar on a
/// terminal while summaries are built.
pub(super) fn each_kept<T>(
    store: &Store,
    mut keep: impl FnMut(&str) -> Result<Option<T>, serde_json::Error>,
) -> Result<Kept<T>, Error> {
    let bar = std::cell::OnceCell::new();
    let mut kept = Vec::new();
    let mut unreadable = Vec::new();
    store.each_summary(
        &|done, total| {
            bar.get_or_init(|| crate::render::progress::bar(total, "reading incidents"))
                .set_position(done);
        },
        // A cached summary that cannot be read is rebuilt from the log and handed over again.
        &mut |id, summary, cached| {
            match summary {
                Ok(text) => match keep(text) {
                    Ok(taken) => kept.extend(taken),
                    Err(_) if cached => return false,
                    Err(e) => unreadable.push((
                        id.to_owned(),
                        Error::input(format!("its summary cannot be read: {e}")),
                    )),
                },
                Err(e) => unreadable.push((id.to_owned(), e)),
            }
            true
        },
    )?;
    if let Some(bar) = bar.get() {
        bar.finish_and_clear();
    }
    Ok((kept, unreadable))
}

/// The rows `keep` takes of each incident's summary (handing each to the sink it is given),
/// sorted on their way (in memory up to a point, then on disk), and the incidents that cannot be
/// read, with why.
pub(super) fn each_sorted<K, T>(
    store: &Store,
    mut keep: impl FnMut(&str, &mut dyn FnMut(K, T)) -> Result<(), serde_json::Error>,
) -> Result<(spill::Sorted<K, T>, Unreadable), Error>
where
    K: Serialize + serde::de::DeserializeOwned + Ord + Send + 'static,
    T: Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    let mut sorter = spill::Sorter::new(store.cache_dir());
    let mut failed = None;
    let (_, unreadable) = each_kept(store, |text| {
        keep(text, &mut |key, row| {
            if let Err(e) = sorter.push(key, row) {
                failed.get_or_insert(e);
            }
        })?;
        Ok(None::<()>)
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok((sorter.sorted()?, unreadable))
}

/// Standard output, for a document `write_document` writes there.
pub(super) fn stdout() -> FileOut {
    FileOut {
        output: None,
        force: false,
    }
}

pub(super) fn write_failed(e: std::io::Error) -> Error {
    Error::io("write", std::path::Path::new("standard output"), e)
}

pub(super) fn json_failed(e: &serde_json::Error) -> Error {
    Error::input(format!("cannot write JSON: {e}"))
}

/// One row of the list: an incident, or one that cannot be read with why.
enum Listing<'a> {
    Readable(Brief),
    Unreadable { id: &'a str, error: &'a str },
}

pub(super) fn list(s: &Session, args: &ListArgs) -> Result<Outcome, Error> {
    let store = s.open_store()?;
    let today = s.today();
    let mut columns = Columns::new(view::LIST_HEADER);
    let mut listed = 0usize;
    let (sorted, unreadable) = each_sorted(&store, |text, sink| {
        let sm: ListView<'_> = serde_json::from_str(text)?;
        let state = if sm.discarded {
            OpenOrClosed::Discarded
        } else if sm.closed {
            OpenOrClosed::Closed
        } else {
            OpenOrClosed::Open
        };
        if wanted(args, &sm, state, today, &s.calendar)
            && (!args.mine || sm.assigned.iter().any(|a| a.assignee == s.actor))
        {
            let brief = sm.brief(today, &s.calendar);
            if !s.json {
                columns.add(&view::list_cells(&brief));
            }
            listed += 1;
            // By discovery, then by id (a date in a sort key is its day number: ordered alike,
            // read back without a parse).
            sink(
                (brief.discovered.num_days_from_ce(), brief.id.clone()),
                brief,
            );
        }
        Ok(())
    })?;
    // An unreadable incident is always shown, first: it needs attention whatever the filter.
    let unreadable: Vec<(String, String)> = unreadable
        .into_iter()
        .map(|(id, e)| (id, e.to_string()))
        .collect();
    let sorted = std::cell::RefCell::new(Some(sorted));
    let rows = |sink: &mut dyn FnMut(Listing<'_>) -> Result<(), Error>| {
        for (id, error) in &unreadable {
            sink(Listing::Unreadable { id, error })?;
        }
        for brief in sorted.borrow_mut().take().into_iter().flatten() {
            sink(Listing::Readable(brief?))?;
        }
        Ok::<(), Error>(())
    };
    if s.json {
        let listed = Listed {
            store: store.location(),
            incidents: export::Rows::from_log(|sink| {
                rows(&mut |row| {
                    sink(list_row(row));
                    Ok(())
                })
            }),
        };
        return super::write_document(s.sink, &stdout(), "the list", &|w| {
            serde_json::to_writer_pretty(&mut *w, &listed).map_err(|e| json_failed(&e))?;
            w.write_all(b"\n").map_err(write_failed)
        });
    }
    if listed + unreadable.len() == 0 {
        let filtered = args.state.is_some()
            || args.year.is_some()
            || args.overdue
            || args.mine
            || args.runbook.is_some();
        return Ok(Outcome::ok(view::list_empty(&store.location(), filtered)));
    }
    for (id, e) in &unreadable {
        columns.add(&view::unreadable_cells(id, e));
    }
    write_list(s, &columns, &store.location(), &rows)
}

/// The list's rows, handed one at a time to a sink, unreadable incidents first.
type ListRows<'a> =
    dyn Fn(&mut dyn FnMut(Listing<'_>) -> Result<(), Error>) -> Result<(), Error> + 'a;

/// The list's table for a person: laid out whole when a screen needs it wrapped, else written
/// a row at a time as the rows come.
fn write_list(
    s: &Session,
    columns: &Columns<6>,
    location: &str,
    rows: &ListRows<'_>,
) -> Result<Outcome, Error> {
    let cells = |row: Listing<'_>| match row {
        Listing::Readable(b) => view::list_cells(&b),
        Listing::Unreadable { id, error } => view::unreadable_cells(id, error),
    };
    if !columns.direct(terminal::width()) {
        // Wrapped to a screen: laid out whole.
        let mut all = Vec::new();
        rows(&mut |row| {
            all.push(cells(row));
            Ok(())
        })?;
        return Ok(Outcome::ok(view::list_text(location, &all)));
    }
    super::write_document(s.sink, &stdout(), "the list", &|w| {
        let io = write_failed;
        let mut line = String::new();
        columns.push_header(&mut line, view::LIST_HEADER);
        line.push('\n');
        w.write_all(line.as_bytes()).map_err(io)?;
        rows(&mut |row| {
            line.clear();
            columns.push_row(&mut line, &cells(row));
            line.push('\n');
            w.write_all(line.as_bytes()).map_err(io)
        })?;
        writeln!(w, "store {}", location).map_err(io)
    })
}

/// Whether `list`'s filters keep an incident (discarded ones only when asked for).
fn wanted(
    args: &ListArgs,
    sm: &ListView<'_>,
    state: OpenOrClosed,
    today: NaiveDate,
    calendar: &crate::clock::Calendar,
) -> bool {
    args.state
        .map_or(state != OpenOrClosed::Discarded, |st| st == state)
        && args.year.is_none_or(|y| sm.discovered.year() == y)
        && args.runbook.as_ref().is_none_or(|r| &sm.runbook == r)
        && (!args.overdue || sm.overdue(today) > 0 || sm.overdue_steps(calendar) > 0)
}

/// A row of `list --json`.
fn list_row(row: Listing<'_>) -> ListRow {
    match row {
        Listing::Readable(b) => ListRow::Readable {
            id: b.id,
            title: b.title,
            state: b.state,
            discovered: b.discovered,
            runbook: b.runbook,
            progress: Progress {
                settled: b.settled,
                applicable: b.applicable,
            },
            head: b.head,
            overdue: b.overdue,
            overdue_obligations: b.overdue,
            overdue_steps: b.overdue_steps,
        },
        Listing::Unreadable { id, error } => ListRow::Unreadable {
            id: id.to_owned(),
            state: "unreadable",
            error: error.to_owned(),
        },
    }
}

/// One open obligation in `deadlines --all --json`, and a row of its table.
#[derive(Debug, Serialize, serde::Deserialize)]
pub(crate) struct DueRow {
    pub id: String,
    pub title: String,
    pub key: Key,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The covered entity, for a business associate's notice when the facts name several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    pub label: String,
    /// Null for a state item with no day count (`expedient`).
    #[serde(default, deserialize_with = "crate::clock::stored_day::maybe_day")]
    pub due: Option<NaiveDate>,
    /// The day the clock holds it to: its due date, or for an expedient item the HIPAA notice's.
    #[serde(deserialize_with = "crate::clock::stored_day::day")]
    pub latest: NaiveDate,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expedient: bool,
    pub status: Status,
    pub days_left: i64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::clock::stored_day::maybe_day"
    )]
    pub held_until: Option<NaiveDate>,
}

impl DueRow {
    /// The row of an incident's open obligation on `today`.
    fn of(id: &str, title: &str, o: Owed, today: NaiveDate) -> DueRow {
        DueRow {
            id: id.to_owned(),
            title: title.to_owned(),
            key: o.key,
            status: o.status(today),
            days_left: (o.due - today).num_days(),
            state: o.state,
            entity: o.entity,
            label: o.label,
            due: (!o.expedient).then_some(o.due),
            latest: o.due,
            expedient: o.expedient,
            held_until: o.held_until,
        }
    }
}

/// `deadlines --all --json`: the obligations are written as they come out of the sort.
#[derive(Debug, Serialize)]
pub(crate) struct AllDeadlines<'a> {
    pub store: String,
    pub today: NaiveDate,
    pub zone: String,
    pub obligations: export::Rows<'a, DueRow>,
    /// Incidents that could not be read: their deadlines are not in the list.
    pub unreadable: Vec<&'a str>,
}

pub(super) fn deadlines(s: &Session, ics: bool, out: &FileOut) -> Result<Outcome, Error> {
    if ics {
        return deadlines_calendar(s, out);
    }
    let store = s.open_store()?;
    let today = s.today();
    let mut columns = Columns::new(view::DUE_HEADER);
    let mut owed = 0usize;
    let cells =
        |r: &DueRow| view::due_cells(&r.id, &r.title, &r.label, r.latest, r.status, r.days_left);
    // Only the open obligations of open incidents are kept, one row each.
    let (sorted, unreadable_errors) = each_sorted(&store, |text, sink| {
        let sm: DeadlinesView<'_> = serde_json::from_str(text)?;
        if sm.closed {
            return Ok(());
        }
        for o in sm.obligations.into_iter().filter(OwedView::is_open) {
            let row = DueRow::of(&sm.id, &sm.title, o.into_owed(false), today);
            if !s.json {
                columns.add(&cells(&row));
            }
            owed += 1;
            // Overdue first, then by due date: what needs doing soonest leads.
            sink(
                (
                    row.status != Status::Overdue,
                    row.latest.num_days_from_ce(),
                    row.id.clone(),
                    row.key,
                ),
                row,
            );
        }
        Ok(())
    })?;
    let unreadable: Vec<&str> = unreadable_errors
        .iter()
        .map(|(id, _)| id.as_str())
        .collect();
    let sorted = std::cell::RefCell::new(Some(sorted));
    let each = |sink: &mut dyn FnMut(DueRow) -> Result<(), Error>| {
        for row in sorted.borrow_mut().take().into_iter().flatten() {
            sink(row?)?;
        }
        Ok::<(), Error>(())
    };
    if s.json {
        let all = AllDeadlines {
            store: store.location(),
            today,
            zone: s.calendar.zone_name(),
            obligations: export::Rows::from_log(|sink| {
                each(&mut |row| {
                    sink(row);
                    Ok(())
                })
            }),
            unreadable,
        };
        return super::write_document(s.sink, &stdout(), "the deadlines", &|w| {
            serde_json::to_writer_pretty(&mut *w, &all).map_err(|e| json_failed(&e))?;
            w.write_all(b"\n").map_err(write_failed)
        });
    }
    let head = view::deadlines_all_head(&store.location(), today, &s.calendar.zone_name());
    let tail = view::deadlines_unreadable(&unreadable);
    write_deadlines(s, out, &columns, owed, (&head, &tail), &each)
}

/// The rows of `deadlines --all`, handed one at a time to a sink, in order.
type DueRows<'a> = dyn Fn(&mut dyn FnMut(DueRow) -> Result<(), Error>) -> Result<(), Error> + 'a;

/// The deadlines table for a person, between its heading and the note of unreadable
/// incidents: laid out whole when a screen needs it wrapped (or there is nothing), else a row
/// at a time.
fn write_deadlines(
    s: &Session,
    out: &FileOut,
    columns: &Columns<6>,
    owed: usize,
    (head, tail): (&str, &str),
    each: &DueRows<'_>,
) -> Result<Outcome, Error> {
    let cells =
        |r: &DueRow| view::due_cells(&r.id, &r.title, &r.label, r.latest, r.status, r.days_left);
    if owed == 0 || !columns.direct(terminal::width()) {
        // Nothing to lay out, or laid out whole to be wrapped to a screen.
        let mut all = Vec::new();
        each(&mut |row| {
            all.push(cells(&row));
            Ok(())
        })?;
        let table = if all.is_empty() {
            view::NOTHING_OWED.to_owned()
        } else {
            view::due_table(&all)
        };
        return super::write_document(s.sink, out, "the deadlines", &|w| {
            write!(w, "{head}{table}{tail}").map_err(write_failed)
        });
    }
    super::write_document(s.sink, out, "the deadlines", &|w| {
        let mut line = head.to_owned();
        columns.push_header(&mut line, view::DUE_HEADER);
        line.push('\n');
        w.write_all(line.as_bytes()).map_err(write_failed)?;
        each(&mut |row| {
            line.clear();
            columns.push_row(&mut line, &cells(&row));
            line.push('\n');
            w.write_all(line.as_bytes()).map_err(write_failed)
        })?;
        w.write_all(tail.as_bytes()).map_err(write_failed)
    })
}

/// `deadlines --all --ics`: every open obligation of the store as one calendar, each event with
/// the same UID as in its incident's own export.
pub(super) fn deadlines_calendar(s: &Session, out: &FileOut) -> Result<Outcome, Error> {
    let store = s.open_store()?;
    let today = s.today();
    let (kept, _) = each_kept(&store, |text| {
        let sm: DeadlinesView<'_> = serde_json::from_str(text)?;
        let open: Vec<Owed> = if sm.closed {
            Vec::new()
        } else {
            sm.obligations
                .into_iter()
                .filter(OwedView::is_open)
                .map(|o| o.into_owed(true))
                .collect()
        };
        Ok((!open.is_empty()).then(|| (sm.id.into_owned(), open)))
    })?;
    let text = export::ics_calendar(
        &format!("Breach deadlines: {}", store.location()),
        None,
        kept.iter().flat_map(|(id, open)| {
            open.iter().map(|o| export::CalendarEvent {
                incident: id,
                key: o.key.name(),
                state: o.state.as_deref().or(o.entity.as_deref()),
                label: o.label.clone(),
                due: o.due,
                why: &o.why,
                basis: &o.basis,
                status: o.status(today),
                met_on: o.met_on,
                held_until: o.held_until,
                progress: None,
            })
        }),
        s.now,
    );
    deliver(out, text, "the calendar").map(Outcome::ok)
}
