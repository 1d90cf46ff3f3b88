//! `remind --within 7d`: each person's day, for cron. Per person, the open steps assigned to
//! them (overdue first, then the earliest due) and the notices they hold the step for, due within
//! the window; the obligations nobody holds a step for under "not assigned". It reads the
//! store's summaries as `list` does and sends nothing: cron mails what it prints with the
//! system's own mailer. It exits 1 when anything it lists is overdue, so a script can tell.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{DueRow, Outcome, Session, each_kept};
use crate::error::Error;
use crate::incident::obligations::Status;
use crate::incident::summary::Summary;
use crate::text::sanitize;

/// The longest window a reminder looks ahead: a year.
const MAX_WINDOW_DAYS: i64 = 366;

/// An open step assigned to someone, in `remind --json`.
#[derive(Debug, Serialize)]
pub(crate) struct RemindStep {
    pub id: String,
    pub title: String,
    pub step: String,
    pub step_title: String,
    /// When it falls due (RFC 3339, in the organisation's zone); absent when it has no due time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    pub overdue: bool,
    #[serde(skip)]
    due_at: Option<DateTime<Utc>>,
}

/// One person's reminders.
#[derive(Debug, Serialize)]
pub(crate) struct Person {
    pub name: String,
    pub steps: Vec<RemindStep>,
    pub obligations: Vec<DueRow>,
}

/// The obligations nobody holds a step for.
#[derive(Debug, Serialize)]
pub(crate) struct NotAssigned {
    pub obligations: Vec<DueRow>,
}

/// `remind --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Reminders {
    pub store: String,
    pub today: NaiveDate,
    pub zone: String,
    pub within_days: i64,
    /// Whether anything listed is overdue (the exit status says it too: 1).
    pub overdue: bool,
    pub people: Vec<Person>,
    pub unassigned: NotAssigned,
    /// Incidents that could not be read: their reminders are missing.
    pub unreadable: Vec<String>,
}

/// `7d`, `2w`, `48h` (rounded up to whole days), at most a year.
fn window_days(within: &str) -> Result<i64, Error> {
    let bad = || {
        Error::usage(format!(
            "--within {}: give a number of days, weeks or hours, such as 7d, 2w or 48h (at most {MAX_WINDOW_DAYS}d)",
            sanitize(within)
        ))
    };
    let t = within.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let days = match unit {
        "d" => n,
        "w" => n.checked_mul(7).ok_or_else(bad)?,
        "h" => (n + 23) / 24,
        _ => return Err(bad()),
    };
    if days > MAX_WINDOW_DAYS {
        return Err(bad());
    }
    Ok(days)
}

pub(in crate::commands) fn remind(s: &Session, within: &str) -> Result<Outcome, Error> {
    let days = window_days(within)?;
    let store = s.open_store()?;
    let today = s.today();
    let now = s.calendar.now();
    let horizon_day = today + chrono::Duration::days(days);
    let horizon = s.calendar.end_of_day(horizon_day);
    let mut people: BTreeMap<String, Person> = BTreeMap::new();
    let mut unassigned = Vec::new();
    let (_, unreadable) = each_kept(&store, |text| {
        let sm: Summary = serde_json::from_str(text)?;
        if sm.closed || sm.discarded {
            return Ok(None::<()>);
        }
        for a in sm.assigned {
            let due_at = a.due.map(|d| d.instant(&s.calendar));
            if due_at.is_some_and(|d| d > horizon) {
                continue;
            }
            person_named(&mut people, &a.assignee)
                .steps
                .push(RemindStep {
                    id: sm.id.clone(),
                    title: sm.title.clone(),
                    step: a.step,
                    step_title: a.title,
                    due: due_at.map(|d| s.calendar.in_zone(d).to_rfc3339()),
                    overdue: due_at.is_some_and(|d| d < now),
                    due_at,
                });
        }
        for o in sm.obligations {
            if o.met_on.is_some() || o.due > horizon_day {
                continue;
            }
            let holder = o.assignee.clone();
            let row = DueRow::of(&sm.id, &sm.title, o, today);
            match holder {
                Some(name) => person_named(&mut people, &name).obligations.push(row),
                None => unassigned.push(row),
            }
        }
        Ok(None)
    })?;
    let mut people: Vec<Person> = people.into_values().collect();
    sort_reminders(&mut people, &mut unassigned);
    let overdue = people
        .iter()
        .any(|p| p.steps.iter().any(|st| st.overdue) || p.obligations.iter().any(is_overdue))
        || unassigned.iter().any(is_overdue);
    let reminders = Reminders {
        store: store.location(),
        today,
        zone: s.calendar.zone_name(),
        within_days: days,
        overdue,
        people,
        unassigned: NotAssigned {
            obligations: unassigned,
        },
        unreadable: unreadable.into_iter().map(|(id, _)| id).collect(),
    };
    let code = u8::from(overdue);
    if s.json {
        let text = serde_json::to_string_pretty(&reminders)
            .map_err(|e| Error::internal("cannot encode the reminders", e))?;
        return Ok(Outcome::with_code(text + "\n", code));
    }
    Ok(Outcome::with_code(reminders_text(&reminders, s), code))
}

/// The reminders of the person called `name`, begun when they have none yet.
fn person_named<'a>(people: &'a mut BTreeMap<String, Person>, name: &str) -> &'a mut Person {
    people.entry(name.to_owned()).or_insert_with(|| Person {
        name: name.to_owned(),
        steps: Vec::new(),
        obligations: Vec::new(),
    })
}

/// Overdue first, then the earliest due (a step with no due time last), then by incident.
fn sort_reminders(people: &mut [Person], unassigned: &mut [DueRow]) {
    let by_due = |rows: &mut [DueRow]| {
        rows.sort_by(|a, b| {
            (a.status != Status::Overdue, a.latest, &a.id).cmp(&(
                b.status != Status::Overdue,
                b.latest,
                &b.id,
            ))
        });
    };
    for p in people.iter_mut() {
        p.steps.sort_by(|a, b| {
            (!a.overdue, a.due_at.is_none(), a.due_at, &a.id, &a.step).cmp(&(
                !b.overdue,
                b.due_at.is_none(),
                b.due_at,
                &b.id,
                &b.step,
            ))
        });
        by_due(&mut p.obligations);
    }
    by_due(unassigned);
}

fn is_overdue(row: &DueRow) -> bool {
    row.status == Status::Overdue
}

/// The reminders as a person reads them in a mail from cron.
fn reminders_text(r: &Reminders, s: &Session) -> String {
    let mut out = format!(
        "Reminders: due by {} ({} days from {}, {}), store {}\n",
        r.today + chrono::Duration::days(r.within_days),
        r.within_days,
        r.today,
        r.zone,
        r.store
    );
    let obligation_line = |o: &DueRow| {
        format!(
            "  {} {} {}: {} (due {})\n",
            if is_overdue(o) { "OVERDUE" } else { "due    " },
            o.id,
            sanitize(&o.title),
            o.label,
            o.latest
        )
    };
    for p in &r.people {
        out.push_str(&format!("\n{}\n", sanitize(&p.name)));
        for st in &p.steps {
            let due = st
                .due_at
                .map_or_else(|| "no due time".to_owned(), |d| s.calendar.local_display(d));
            out.push_str(&format!(
                "  {} {} {}: step {} ({}), {due}\n",
                if st.overdue {
                    "OVERDUE"
                } else if st.due_at.is_some() {
                    "due    "
                } else {
                    "open   "
                },
                st.id,
                sanitize(&st.title),
                st.step,
                sanitize(&st.step_title),
            ));
        }
        for o in &p.obligations {
            out.push_str(&obligation_line(o));
        }
    }
    if !r.unassigned.obligations.is_empty() {
        out.push_str("\nNot assigned (nobody holds the step that records these notices)\n");
        for o in &r.unassigned.obligations {
            out.push_str(&obligation_line(o));
        }
    }
    if r.people.is_empty() && r.unassigned.obligations.is_empty() {
        out.push_str("\nNothing assigned or owed is due in the window.\n");
    }
    if !r.unreadable.is_empty() {
        out.push_str(&format!(
            "\nNOT READ (their reminders are missing; run `breach -i ID verify`): {}\n",
            r.unreadable.join(", ")
        ));
    }
    out
}
