//! The views across every incident of the store: the list, every deadline at once, and the
//! year-end report to HHS as a table or CSV.

use chrono::NaiveDate;
use tabled::builder::Builder;

use super::terminal::{grid, table, width};
use crate::error::Error;
use crate::incident::obligations::Status;
use crate::incident::summary::Brief;
use crate::text::sanitize;

/// The list's columns.
pub(crate) const LIST_HEADER: [&str; 6] =
    ["id", "state", "discovered", "progress", "overdue", "title"];

/// What the list says when it has no rows.
pub(crate) fn list_empty(store: &str, filtered: bool) -> String {
    if filtered {
        format!("No incidents in {store} match.\n")
    } else {
        format!(
            "No incidents in {store}.\nStart one with `breach start --runbook ID --discovered WHEN --title TEXT`.\n"
        )
    }
}

/// One incident's row of the list.
pub(crate) fn list_cells(brief: &Brief) -> [String; 6] {
    [
        brief.id.clone(),
        brief.state.clone(),
        brief.discovered.to_string(),
        format!("{}/{}", brief.settled, brief.applicable),
        overdue_cell(brief.overdue_steps, brief.overdue),
        sanitize(&brief.title).into_owned(),
    ]
}

/// "2 steps, 1 notice": what is overdue, the runbook's steps and the law's notice obligations
/// named apart (an incident can be late on its runbook while no notice is yet due).
fn overdue_cell(steps: usize, obligations: usize) -> String {
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    match (steps, obligations) {
        (0, 0) => String::new(),
        (s, 0) => plural(s, "step"),
        (0, o) => plural(o, "notice"),
        (s, o) => format!("{}, {}", plural(s, "step"), plural(o, "notice")),
    }
}

/// The row of an incident that cannot be read, with why.
pub(crate) fn unreadable_cells(id: &str, error: &str) -> [String; 6] {
    [
        id.to_owned(),
        "UNREADABLE".to_owned(),
        String::new(),
        String::new(),
        String::new(),
        error.to_owned(),
    ]
}

/// The list laid out whole, for a screen it must be wrapped to (at most one screen's reading).
pub(crate) fn list_text(store: &str, rows: &[[String; 6]]) -> String {
    format!("{}\nstore {}\n", grid(LIST_HEADER, rows, width()), store)
}

/// The columns of `deadlines --all`.
pub(crate) const DUE_HEADER: [&str; 6] =
    ["due", "status", "days", "incident", "obligation", "title"];

/// What `deadlines --all` says before its table.
pub(crate) fn deadlines_all_head(store: &str, today: NaiveDate, zone: &str) -> String {
    format!("Every open obligation in {store}, as of {today} ({zone}):\n\n")
}

/// What `deadlines --all` says when nothing is owed.
pub(crate) const NOTHING_OWED: &str =
    "Nothing is owed: no open incident has an obligation that is not met.\n";

/// One open obligation's row of `deadlines --all`.
pub(crate) fn due_cells(
    id: &str,
    title: &str,
    label: &str,
    due: NaiveDate,
    status: Status,
    days_left: i64,
) -> [String; 6] {
    [
        due.to_string(),
        status.label().to_owned(),
        days_left.to_string(),
        id.to_owned(),
        label.to_owned(),
        sanitize(title).into_owned(),
    ]
}

/// What `deadlines --all` says after its table of the incidents it could not read.
pub(crate) fn deadlines_unreadable(unreadable: &[&str]) -> String {
    if unreadable.is_empty() {
        return String::new();
    }
    format!(
        "\nNOT READ (their deadlines are missing above; run `breach -i ID verify`): {}\n",
        unreadable.join(", ")
    )
}

/// The table of `deadlines --all` laid out whole, for a screen it must be wrapped to.
pub(crate) fn due_table(rows: &[[String; 6]]) -> String {
    grid(DUE_HEADER, rows, width()) + "\n"
}

/// One incident of the annual report, as text fields.
#[derive(Debug, Clone)]
pub(crate) struct AnnualLine {
    pub id: String,
    pub title: String,
    pub discovered: NaiveDate,
    pub breach_started: String,
    pub breach_ended: String,
    pub breach_type: String,
    pub location: String,
    pub phi_types: String,
    pub affected: u64,
    pub description: String,
    pub actions_taken: String,
    pub notices: String,
    pub reported_on: Option<NaiveDate>,
    pub due: NaiveDate,
}

/// The columns of the annual report's table for a person.
pub(crate) const ANNUAL_HEADER: [&str; 8] = [
    "incident",
    "discovered",
    "breach",
    "affected",
    "PHI",
    "notices",
    "reported",
    "due",
];

/// One incident's cells in the annual report's table (the first spans two lines: id, title).
pub(crate) fn annual_cells(r: &AnnualLine) -> [String; 8] {
    [
        format!("{}\n{}", r.id, sanitize(&r.title)),
        r.discovered.to_string(),
        format!(
            "{} to {}",
            or_missing(&r.breach_started),
            or_missing(&r.breach_ended)
        ),
        r.affected.to_string(),
        or_missing(&sanitize(&r.phi_types)),
        r.notices.clone(),
        r.reported_on
            .map_or_else(|| "not yet".to_owned(), |d| d.to_string()),
        r.due.to_string(),
    ]
}

/// What the annual report says before its table.
pub(crate) fn annual_intro(year: i32, due: NaiveDate) -> String {
    format!(
        "Breaches of fewer than 500 individuals discovered in {year}: report each to HHS through the OCR portal by {due} (45 CFR 164.408(c)).\n\n"
    )
}

/// What the annual report says after its table: how many rows, how many not yet reported, and
/// the warnings.
pub(crate) fn annual_outro(rows: usize, open: usize, warnings: &[String]) -> String {
    let mut out = String::new();
    if rows > 0 {
        out.push_str(&format!(
            "\n{rows} incident(s); {open} not yet reported. `--format csv` gives every portal field (type, location, description, actions taken) for the spreadsheet.\n"
        ));
    }
    for w in warnings {
        out.push_str(&format!("\nWARNING: {}", sanitize(w)));
    }
    if !warnings.is_empty() {
        out.push('\n');
    }
    out
}

/// The annual report for a person, laid out whole: for a screen its table must wrap, which
/// takes every row at once (otherwise its rows are written a line at a time, see
/// [`annual_cells`]).
pub(crate) fn annual_text(
    year: i32,
    due: NaiveDate,
    rows: &[AnnualLine],
    warnings: &[String],
) -> String {
    let mut out = annual_intro(year, due);
    if rows.is_empty() {
        out.push_str("None recorded.\n");
    } else {
        let mut b = Builder::default();
        b.push_record(ANNUAL_HEADER);
        for r in rows {
            b.push_record(annual_cells(r));
        }
        out.push_str(&table(b, width()));
        out.push('\n');
    }
    let open = rows.iter().filter(|r| r.reported_on.is_none()).count();
    out.push_str(&annual_outro(rows.len(), open, warnings));
    out
}

fn or_missing(s: &str) -> String {
    if s.is_empty() {
        "[not recorded]".to_owned()
    } else {
        s.to_owned()
    }
}

/// The annual report as CSV, one row per incident, spreadsheet-safe (a cell starting with
/// `=`, `+`, `-` or `@` is quoted with a leading apostrophe so it is never run as a formula).
/// The annual report as CSV, written to `out` a row at a time.
pub(crate) struct AnnualCsv<'w> {
    out: csv::Writer<&'w mut (dyn std::io::Write + Send)>,
}

impl std::fmt::Debug for AnnualCsv<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the annual report's CSV")
    }
}

fn csv_failed(e: csv::Error) -> Error {
    Error::input(format!("cannot write CSV: {e}"))
}

impl<'w> AnnualCsv<'w> {
    /// Starts the CSV with its header row.
    pub(crate) fn new(out: &'w mut (dyn std::io::Write + Send)) -> Result<Self, Error> {
        let mut out = csv::Writer::from_writer(out);
        out.write_record([
            "incident",
            "title",
            "discovered",
            "breach_started",
            "breach_ended",
            "type_of_breach",
            "location",
            "type_of_phi",
            "affected",
            "safeguards",
            "description",
            "actions_taken",
            "notices",
            "reported_on",
            "due",
        ])
        .map_err(csv_failed)?;
        Ok(AnnualCsv { out })
    }

    pub(crate) fn row(&mut self, r: &AnnualLine) -> Result<(), Error> {
        let cells = [
            r.id.clone(),
            r.title.clone(),
            r.discovered.to_string(),
            r.breach_started.clone(),
            r.breach_ended.clone(),
            r.breach_type.clone(),
            r.location.clone(),
            r.phi_types.clone(),
            r.affected.to_string(),
            "not recorded by breach: choose on the portal".to_owned(),
            r.description.clone(),
            r.actions_taken.clone(),
            r.notices.clone(),
            r.reported_on.map(|d| d.to_string()).unwrap_or_default(),
            r.due.to_string(),
        ];
        self.out
            .write_record(cells.iter().map(|c| spreadsheet_safe(c)))
            .map_err(csv_failed)
    }

    pub(crate) fn finish(mut self) -> Result<(), Error> {
        self.out
            .flush()
            .map_err(|e| Error::input(format!("cannot write CSV: {e}")))
    }
}

fn spreadsheet_safe(cell: &str) -> String {
    let cell = crate::text::sanitize(cell);
    if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}")
    } else {
        cell.into_owned()
    }
}
