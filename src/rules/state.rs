//! The state and territory breach-notification laws as data: the bundled table
//! (`rules/state.yaml`, built from the project's reference and marked NEEDS LEGAL REVIEW in
//! every row) and counsel's reviewed table, whose rows replace the bundled ones they name.
//!
//! The clock (`incident::obligations::state`) reads the rows; nothing here knows an incident. A
//! table is untrusted input when counsel's file is read: it is parsed within a budget, and a
//! problem comes back with its line and column for the caller to name the file.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_saphyr::{Budget, Options, Spanned};
use sha2::Digest;

use super::JURISDICTIONS;

/// The bundled table, as the repository keeps it.
pub(crate) const BUNDLED: &str = include_str!("../../rules/state.yaml");

/// Largest reviewed table read: the bundled one is about 30 KiB.
pub(crate) const MAX_TABLE_BYTES: u64 = 1024 * 1024;

/// What a state's deadline counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CountsFrom {
    Discovery,
    /// The day the assessment determined that notification is required.
    Determination,
    /// The day the residents were notified.
    IndividualNotice,
    /// The day HHS was notified.
    HhsNotice,
}

impl CountsFrom {
    pub(crate) fn words(self) -> &'static str {
        match self {
            CountsFrom::Discovery => "discovery",
            CountsFrom::Determination => "the determination that notification is required",
            CountsFrom::IndividualNotice => "the notice to residents",
            CountsFrom::HhsNotice => "the notice to HHS",
        }
    }
}

/// One duty of a state's law: to whom (a regulator's name), from how many residents, and by when.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Duty {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub more_than: Option<u64>,
    #[serde(default)]
    pub at_least: Option<u64>,
    #[serde(default)]
    pub days: Option<u32>,
    #[serde(default)]
    pub business_days: Option<u32>,
    #[serde(default)]
    pub from: Option<CountsFrom>,
    /// "Most expedient time possible": no day count.
    #[serde(default)]
    pub expedient: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// How many days a duty gives, once checked: calendar or business days, from a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Within {
    Days(u32, CountsFrom),
    BusinessDays(u32, CountsFrom),
    Expedient,
}

impl Duty {
    /// The deadline; `None` for a duty that names none (refused when a table is read).
    pub(crate) fn within(&self) -> Option<Within> {
        match (self.expedient, self.days, self.business_days, self.from) {
            (true, None, None, None) => Some(Within::Expedient),
            (false, Some(d), None, Some(f)) => Some(Within::Days(d, f)),
            (false, None, Some(d), Some(f)) => Some(Within::BusinessDays(d, f)),
            _ => None,
        }
    }

    /// Whether `residents` affected reach its threshold (any number, without one).
    pub(crate) fn applies_to(&self, residents: u64) -> bool {
        self.more_than.is_none_or(|n| residents > n) && self.at_least.is_none_or(|n| residents >= n)
    }

    /// The threshold in words, when there is one: "more than 500 residents".
    pub(crate) fn threshold(&self) -> Option<String> {
        match (self.more_than, self.at_least) {
            (Some(n), _) => Some(format!("more than {n} residents")),
            (None, Some(n)) => Some(format!("{n} or more residents")),
            (None, None) => None,
        }
    }

    /// The deadline in words: "within 15 calendar days of the notice to residents".
    pub(crate) fn deadline_words(&self) -> String {
        match self.within() {
            Some(Within::Days(0, from)) => format!("no later than {}", from.words()),
            Some(Within::Days(d, from)) => {
                format!("within {d} calendar days of {}", from.words())
            }
            Some(Within::BusinessDays(d, from)) => {
                format!("within {d} business days of {}", from.words())
            }
            Some(Within::Expedient) | None => {
                "in the most expedient time possible (no day count)".to_owned()
            }
        }
    }

    fn problem(&self) -> Option<String> {
        if self.more_than.is_some() && self.at_least.is_some() {
            return Some("give more_than or at_least, not both".to_owned());
        }
        if self.within().is_none() {
            return Some(
                "give either `days: N` or `business_days: N` with `from: discovery | determination | individual_notice | hhs_notice`, or `expedient: true`".to_owned(),
            );
        }
        None
    }
}

/// Who reviewed a table, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct Review {
    pub by: String,
    pub on: NaiveDate,
}

/// One jurisdiction's row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct StateRow {
    #[serde(default)]
    pub name: Option<String>,
    pub statute: String,
    /// Whether medical or health-insurance information is an element of its personal
    /// information; unknown is read as yes.
    #[serde(default)]
    pub medical: Option<bool>,
    #[serde(default)]
    pub individual: Option<Spanned<Duty>>,
    #[serde(default)]
    pub regulator: Option<Spanned<Duty>>,
    #[serde(default)]
    pub credit_bureaus: Option<Spanned<Duty>>,
    /// The HIPAA deemer, as the table reads it.
    #[serde(default)]
    pub hipaa: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The reference's source ids.
    #[serde(default)]
    pub sources: Option<String>,
    /// Set for a row of counsel's reviewed table.
    #[serde(skip)]
    pub reviewed: Option<Review>,
}

impl StateRow {
    /// The jurisdiction's name, or its code.
    pub(crate) fn name<'a>(&'a self, code: &'a str) -> &'a str {
        self.name.as_deref().unwrap_or(code)
    }
}

#[derive(Debug, Deserialize)]
struct TableFile {
    version: Spanned<u32>,
    #[serde(default)]
    reviewed_by: Option<String>,
    #[serde(default)]
    reviewed_on: Option<NaiveDate>,
    states: BTreeMap<String, Spanned<StateRow>>,
}

/// A problem in a table, at its line and column (1-based; 0 when the whole file is at fault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableProblem {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// The rows the clock reads, and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StateTable {
    pub rows: BTreeMap<String, StateRow>,
    /// Counsel's review, when a reviewed table replaced rows.
    pub reviewed: Option<Review>,
    /// A short digest of the reviewed table's text ("bundled" without one): the summaries'
    /// cache is kept per table.
    pub fingerprint: String,
}

impl StateTable {
    /// The bundled table.
    pub(crate) fn bundled() -> StateTable {
        let file = parse_file(BUNDLED).expect("the bundled state table reads");
        StateTable {
            rows: file.states.into_iter().map(|(k, v)| (k, v.value)).collect(),
            reviewed: None,
            fingerprint: "bundled".to_owned(),
        }
    }

    /// The bundled table with the rows of counsel's reviewed table `text` in place of the
    /// bundled rows they name.
    pub(crate) fn with_reviewed(text: &str) -> Result<StateTable, TableProblem> {
        let file = parse_file(text)?;
        let at_file = |message: &str| TableProblem {
            line: file.version.referenced.line(),
            column: file.version.referenced.column(),
            message: message.to_owned(),
        };
        let by = file
            .reviewed_by
            .clone()
            .filter(|b| !b.trim().is_empty())
            .ok_or_else(|| {
                at_file("a reviewed table names its reviewer: `reviewed_by: \"...\"`")
            })?;
        let on = file
            .reviewed_on
            .ok_or_else(|| at_file("a reviewed table gives its date: `reviewed_on: YYYY-MM-DD`"))?;
        let review = Review {
            by: by.trim().to_owned(),
            on,
        };
        let mut table = StateTable::bundled();
        for (code, row) in file.states {
            let mut row = row.value;
            row.reviewed = Some(review.clone());
            table.rows.insert(code, row);
        }
        table.reviewed = Some(review);
        let digest = sha2::Sha256::digest(text.as_bytes());
        table.fingerprint = hex::encode(&digest[..6]);
        Ok(table)
    }
}

fn parse_file(text: &str) -> Result<TableFile, TableProblem> {
    let whole = |message: String| TableProblem {
        line: 0,
        column: 0,
        message,
    };
    if text.len() as u64 > MAX_TABLE_BYTES {
        return Err(whole(format!(
            "the table is {} bytes; a state table may be at most {MAX_TABLE_BYTES} bytes",
            text.len()
        )));
    }
    let mut budget = Budget::default();
    budget.max_depth = 8;
    budget.max_documents = 1;
    budget.max_events = 100_000;
    budget.max_aliases = 0;
    let mut options = Options::default();
    options.budget = Some(budget);
    let file: TableFile = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let message = e.without_snippet().to_string();
        let message = message.lines().next().unwrap_or("invalid YAML").to_owned();
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_owned(),
            None => message,
        };
        match e.location() {
            Some(loc) => TableProblem {
                line: loc.line(),
                column: loc.column(),
                message,
            },
            None => whole(message),
        }
    })?;
    if file.version.value != 1 {
        return Err(TableProblem {
            line: file.version.referenced.line(),
            column: file.version.referenced.column(),
            message: format!(
                "version {} is not known; this build reads version 1",
                file.version.value
            ),
        });
    }
    for (code, row) in &file.states {
        let at = |span: &serde_saphyr::Location, message: String| TableProblem {
            line: span.line(),
            column: span.column(),
            message,
        };
        if !JURISDICTIONS.contains(&code.as_str()) {
            return Err(at(
                &row.referenced,
                format!(
                    "`{}` is not a state or territory postal code (e.g. CA, NY, PR)",
                    code.escape_debug()
                ),
            ));
        }
        for (what, duty) in [
            ("individual", &row.value.individual),
            ("regulator", &row.value.regulator),
            ("credit_bureaus", &row.value.credit_bureaus),
        ] {
            if let Some(duty) = duty
                && let Some(problem) = duty.value.problem()
            {
                return Err(at(&duty.referenced, format!("{code} {what}: {problem}")));
            }
        }
        if row.value.statute.trim().is_empty() {
            return Err(at(&row.referenced, format!("{code}: the statute is empty")));
        }
    }
    Ok(file)
}

static INSTALLED: OnceLock<StateTable> = OnceLock::new();

/// The table this process reads: the one installed for the store, else the bundled one.
pub(crate) fn table() -> &'static StateTable {
    INSTALLED.get_or_init(StateTable::bundled)
}

/// The fingerprint of the table this process reads, without parsing the bundled one (whose
/// fingerprint is known): the summaries' cache key reads it on every store-wide view.
pub(crate) fn fingerprint() -> &'static str {
    INSTALLED
        .get()
        .map_or("bundled", |t| t.fingerprint.as_str())
}

/// Makes `table` the one this process reads, before anything has read one (a second call
/// changes nothing). The session installs counsel's table when the store's profile names one.
pub(crate) fn install(table: StateTable) {
    let _ = INSTALLED.set(table);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_table_reads_and_has_every_row_of_the_reference() {
        let table = StateTable::bundled();
        // 50 states, DC, Puerto Rico, Guam and the US Virgin Islands (the reference's 54 rows).
        assert_eq!(table.rows.len(), 54);
        for (code, row) in &table.rows {
            assert!(
                row.individual.is_some(),
                "{code} has an individual deadline"
            );
            assert!(row.sources.is_some(), "{code} names its sources");
            assert!(row.reviewed.is_none());
        }
        let ca = &table.rows["CA"];
        let ca_individual = ca.individual.as_ref().unwrap();
        assert_eq!(
            ca_individual.value.within(),
            Some(Within::Days(30, CountsFrom::Discovery))
        );
    }

    #[test]
    fn a_reviewed_table_replaces_only_the_rows_it_names() {
        let text = "version: 1\nreviewed_by: \"A. Counsel, Firm LLP\"\nreviewed_on: 2026-02-01\nstates:\n  CA:\n    statute: \"Cal. Civ. Code 1798.82\"\n    individual: {days: 30, from: discovery}\n    regulator: {name: \"Attorney General\", more_than: 500, days: 15, from: individual_notice}\n";
        let table = StateTable::with_reviewed(text).unwrap();
        assert_eq!(table.rows["CA"].statute, "Cal. Civ. Code 1798.82");
        assert_eq!(
            table.rows["CA"].reviewed.as_ref().map(|r| r.by.as_str()),
            Some("A. Counsel, Firm LLP")
        );
        assert!(table.rows["TX"].reviewed.is_none());
        assert_ne!(table.fingerprint, "bundled");
    }

    #[test]
    fn a_malformed_table_is_refused_at_its_line_and_column() {
        let cases = [
            (
                "version: 1\nreviewed_by: x\nreviewed_on: 2026-02-01\nstates:\n  ZZ:\n    statute: s\n    individual: {expedient: true}\n",
                6,
                "postal code",
            ),
            (
                "version: 1\nreviewed_by: x\nreviewed_on: 2026-02-01\nstates:\n  CA:\n    statute: s\n    individual: {days: 30}\n",
                7,
                "from:",
            ),
            (
                "version: 1\nreviewed_by: x\nreviewed_on: 2026-02-01\nstates:\n  CA:\n    statute: s\n    individual: {days: thirty, from: discovery}\n",
                7,
                "",
            ),
            ("version: 2\nstates: {}\n", 1, "version 2"),
            ("version: 1\nstates: {}\n", 1, "reviewed_by"),
        ];
        for (text, line, words) in cases {
            let p = StateTable::with_reviewed(text).unwrap_err();
            assert_eq!(p.line, line, "{text}: {p:?}");
            assert!(p.column > 0, "{p:?}");
            assert!(p.message.contains(words), "{p:?}");
        }
    }
}
