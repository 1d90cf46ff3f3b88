//! `annual YEAR`: the year-end report to HHS of every breach under 500 discovered that year
//! (45 CFR 164.408(c)), over the store's summaries, a row at a time.

use super::*;

/// One incident of the annual report, with the portal's fields.
#[derive(Debug, Serialize, serde::Deserialize)]
pub(crate) struct AnnualRow {
    pub id: String,
    pub title: String,
    #[serde(deserialize_with = "crate::clock::stored_day::day")]
    pub discovered: NaiveDate,
    #[serde(default, deserialize_with = "crate::clock::stored_day::maybe_day")]
    pub breach_started: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub breach_started_unknown: bool,
    #[serde(default, deserialize_with = "crate::clock::stored_day::maybe_day")]
    pub breach_ended: Option<NaiveDate>,
    #[serde(rename = "type")]
    pub breach_type: String,
    pub location: String,
    pub phi_types: Option<String>,
    pub affected: u64,
    /// The safeguards in place before the breach: not recorded by breach (chosen on the portal).
    pub safeguards: Option<String>,
    pub description: Option<String>,
    pub actions_taken: Option<String>,
    pub notices: Vec<NoticeGiven>,
    pub reported: bool,
    #[serde(default, deserialize_with = "crate::clock::stored_day::maybe_day")]
    pub reported_on: Option<NaiveDate>,
    #[serde(deserialize_with = "crate::clock::stored_day::day")]
    pub due: NaiveDate,
}

#[derive(Debug, Serialize, serde::Deserialize)]
pub(crate) struct NoticeGiven {
    pub to: Audience,
    #[serde(deserialize_with = "crate::clock::stored_day::day")]
    pub date: NaiveDate,
}

/// `annual --json`: the incidents are written as they come out of the sort.
#[derive(Debug, Serialize)]
pub(crate) struct AnnualReport<'a> {
    pub year: i32,
    pub store: String,
    /// The base due date: 60 days after the end of the year (a law-enforcement hold may move an
    /// incident's own, shown on its row).
    pub due: NaiveDate,
    pub basis: &'static str,
    pub incidents: export::Rows<'a, AnnualRow>,
    /// Incidents that may belong in the report but cannot be placed yet, with why.
    pub warnings: Vec<String>,
}

const ANNUAL_BASIS: &str = "45 CFR 164.408(c): every breach of unsecured PHI affecting fewer than 500 individuals, discovered in the year, reported to HHS no later than 60 days after the end of that calendar year, each as its own submission. The portal's field list is NOT CONFIRMED (see the reference); type of breach and location are mappings to confirm with counsel.";

/// What the annual report says of an incident of the year: its row, or why it has none yet.
enum Placed {
    Row(Box<AnnualRow>),
    /// Not in the report, and nothing to say (a business associate's, 500 or more, ...).
    Out,
    Warning(String),
}

/// Where an incident discovered in the year goes in the annual report.
fn place(sm: &Summary, first_day: NaiveDate) -> Placed {
    let id = &sm.id;
    let a = &sm.annual;
    if a.business_associate {
        return Placed::Out;
    }
    if !a.assessed {
        return Placed::Warning(format!(
            "{id} ({}) has no risk assessment yet: it may belong in this report (`breach -i {id} assess`)",
            crate::text::sanitize(&sm.title)
        ));
    }
    if a.notification_required && a.affected.is_none() {
        return Placed::Warning(format!(
            "{id} ({}) requires notification but its number affected is unknown: under 500 it belongs in this report (`breach -i {id} facts --affected N`)",
            crate::text::sanitize(&sm.title)
        ));
    }
    if !a.in_annual_report() {
        return Placed::Out;
    }
    let due = sm
        .obligations
        .iter()
        .find(|o| o.key == Key::HhsAnnualReport)
        .map_or_else(|| obligations::annual_report_due(first_day), |o| o.due);
    Placed::Row(Box::new(AnnualRow {
        id: sm.id.clone(),
        title: sm.title.clone(),
        discovered: sm.discovered,
        breach_started: a.breach_started,
        breach_started_unknown: a.breach_started_unknown,
        breach_ended: a.breach_ended,
        breach_type: a.breach_type.clone(),
        location: a.location.clone(),
        phi_types: a.phi_types.clone(),
        affected: a.affected.unwrap_or_default(),
        safeguards: None,
        description: a.description.clone(),
        actions_taken: a.actions_taken.clone(),
        notices: a
            .notices
            .iter()
            .map(|(to, date)| NoticeGiven {
                to: *to,
                date: *date,
            })
            .collect(),
        reported: a.reported_on().is_some(),
        reported_on: a.reported_on(),
        due,
    }))
}

/// A row of the annual report as the table and the CSV show it.
fn annual_line(r: &AnnualRow) -> view::AnnualLine {
    view::AnnualLine {
        id: r.id.clone(),
        title: r.title.clone(),
        discovered: r.discovered,
        breach_started: match (r.breach_started, r.breach_started_unknown) {
            (Some(d), _) => d.to_string(),
            (None, true) => "unknown".to_owned(),
            (None, false) => String::new(),
        },
        breach_ended: r.breach_ended.map(|d| d.to_string()).unwrap_or_default(),
        breach_type: r.breach_type.clone(),
        location: r.location.clone(),
        phi_types: r.phi_types.clone().unwrap_or_default(),
        affected: r.affected,
        description: r.description.clone().unwrap_or_default(),
        actions_taken: r.actions_taken.clone().unwrap_or_default(),
        notices: r
            .notices
            .iter()
            .map(|n| format!("{} {}", n.to.flag(), n.date))
            .collect::<Vec<_>>()
            .join("; "),
        reported_on: r.reported_on,
        due: r.due,
    }
}

/// The warning for an incident discarded (by an earlier version, or by hand) although its
/// record shows a breach that requires notification: it stays in the report.
fn discarded_but_listed(row: &AnnualRow) -> String {
    format!(
        "{} ({}) was discarded, but its record shows a breach that requires notification: it is listed",
        row.id,
        crate::text::sanitize(&row.title)
    )
}

pub(in crate::commands) fn annual(
    s: &Session,
    year: i32,
    format: AnnualFormat,
    bom: bool,
    out: &FileOut,
) -> Result<Outcome, Error> {
    let first_day = first_day_of(year, format, bom)?;
    let store = s.open_store()?;
    // Only the incidents discovered in the year are read whole; their rows are sorted on
    // their way, the warnings kept.
    let mut warnings = Vec::new();
    // For a person, the table's columns are measured as the rows are read.
    let for_a_person = !(s.json || format == AnnualFormat::Json || format == AnnualFormat::Csv);
    let mut columns = Columns::new(view::ANNUAL_HEADER);
    let (mut rows, mut not_reported) = (0usize, 0usize);
    let (sorted, unreadable) = each_sorted(&store, |text, sink| {
        let when: YearView = serde_json::from_str(text)?;
        if when.discovered.year() != year {
            return Ok(());
        }
        let summary = serde_json::from_str::<Summary>(text)?;
        if when.discarded && !summary.annual.notification_required {
            return Ok(());
        }
        match place(&summary, first_day) {
            Placed::Row(row) => {
                warnings.extend(when.discarded.then(|| discarded_but_listed(&row)));
                if for_a_person {
                    columns.add(&view::annual_cells(&annual_line(&row)));
                    rows += 1;
                    not_reported += usize::from(row.reported_on.is_none());
                }
                sink((row.discovered.num_days_from_ce(), row.id.clone()), *row);
            }
            Placed::Warning(w) => warnings.push(w),
            Placed::Out => {}
        }
        Ok(())
    })?;
    // The incidents that cannot be read come first: they may be missing.
    let warnings: Vec<String> = unreadable
        .iter()
        .map(|(id, e)| format!("{id} cannot be read, so it may be missing here: {e}"))
        .chain(warnings)
        .collect();
    let due = obligations::annual_report_due(first_day);
    let sorted = std::cell::RefCell::new(Some(sorted));
    let each = |sink: &mut dyn FnMut(AnnualRow) -> Result<(), Error>| {
        for row in sorted.borrow_mut().take().into_iter().flatten() {
            sink(row?)?;
        }
        Ok::<(), Error>(())
    };
    let what = "the annual report";
    if s.json || format == AnnualFormat::Json {
        return write_annual_json(s, out, (year, due), &store.location(), warnings, &each);
    }
    if format == AnnualFormat::Csv {
        return write_annual_csv(s, out, bom, &warnings, &each);
    }
    if rows > 0 && columns.fits(terminal::width()) {
        return write_annual_table(
            s,
            out,
            &columns,
            (year, due),
            (rows, not_reported),
            &warnings,
            &each,
        );
    }
    // For a screen the table must wrap, which takes every row at once.
    let mut lines = Vec::new();
    each(&mut |row| {
        lines.push(annual_line(&row));
        Ok(())
    })?;
    deliver(out, view::annual_text(year, due, &lines, &warnings), what).map(Outcome::ok)
}

/// The first day of the year to report on, refusing `--bom` but for CSV and a year out of range.
fn first_day_of(year: i32, format: AnnualFormat, bom: bool) -> Result<NaiveDate, Error> {
    if bom && format != AnnualFormat::Csv {
        return Err(Error::usage("--bom is for --format csv"));
    }
    NaiveDate::from_ymd_opt(year, 1, 1)
        .filter(|_| (1990..=9999).contains(&year))
        .ok_or_else(|| Error::usage(format!("`{year}` is not a calendar year to report on")))
}

/// The annual report's rows, handed one at a time to a sink, in order.
type AnnualRows<'a> =
    dyn Fn(&mut dyn FnMut(AnnualRow) -> Result<(), Error>) -> Result<(), Error> + 'a;

/// The annual table for a person, written a row at a time, never held.
fn write_annual_table(
    s: &Session,
    out: &FileOut,
    columns: &Columns<8>,
    (year, due): (i32, NaiveDate),
    (rows, not_reported): (usize, usize),
    warnings: &[String],
    each: &AnnualRows<'_>,
) -> Result<Outcome, Error> {
    let what = "the annual report";
    crate::commands::write_document(s.sink, out, what, &|w| {
        let io = write_failed;
        let mut text = view::annual_intro(year, due);
        columns.push_header(&mut text, view::ANNUAL_HEADER);
        text.push('\n');
        w.write_all(text.as_bytes()).map_err(io)?;
        each(&mut |row| {
            text.clear();
            columns.push_row(&mut text, &view::annual_cells(&annual_line(&row)));
            text.push('\n');
            w.write_all(text.as_bytes()).map_err(io)
        })?;
        let outro = view::annual_outro(rows, not_reported, warnings);
        w.write_all(outro.as_bytes()).map_err(io)
    })
}

/// The annual report as CSV, data only: the warnings go to the person, on standard error.
fn write_annual_csv(
    s: &Session,
    out: &FileOut,
    bom: bool,
    warnings: &[String],
    each: &AnnualRows<'_>,
) -> Result<Outcome, Error> {
    let what = "the annual report";
    // The CSV is data only; the warnings go to the person.
    for w in warnings {
        eprintln!("breach: warning: {w}");
    }
    crate::commands::write_document(s.sink, out, what, &|w| {
        if bom {
            w.write_all("\u{feff}".as_bytes()).map_err(write_failed)?;
        }
        let mut csv = view::AnnualCsv::new(w)?;
        each(&mut |row| csv.row(&annual_line(&row)))?;
        csv.finish()
    })
}

/// `annual --json` (or `--format json`): the report with its rows, written as they come.
fn write_annual_json(
    s: &Session,
    out: &FileOut,
    (year, due): (i32, NaiveDate),
    location: &str,
    warnings: Vec<String>,
    each: &AnnualRows<'_>,
) -> Result<Outcome, Error> {
    let what = "the annual report";
    let report = AnnualReport {
        year,
        store: location.to_owned(),
        due,
        basis: ANNUAL_BASIS,
        incidents: export::Rows::from_log(|sink| {
            each(&mut |row| {
                sink(row);
                Ok(())
            })
        }),
        warnings,
    };
    crate::commands::write_document(s.sink, out, what, &|w| {
        serde_json::to_writer_pretty(&mut *w, &report).map_err(|e| json_failed(&e))?;
        w.write_all(b"\n").map_err(write_failed)
    })
}
