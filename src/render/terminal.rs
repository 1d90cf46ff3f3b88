//! The human views printed in a terminal: status, list, next, and runbooks for reading.
//! Everything untrusted is sanitised here; layout aims at an 80-column terminal.

use chrono::{DateTime, Utc};
use tabled::builder::Builder;
use tabled::settings::{Style, Width};

use crate::clock::{Calendar, GivenTime, Precision};
use crate::incident::{Incident, StepState};
use crate::log::Head;
use crate::runbook::{Catalog, Entry, FieldType, Phase, Step};
use crate::text::{bar, sanitize, sanitize_multiline, short_hash, wrap};

/// The width to lay text out for: `COLUMNS` when set, else the terminal's, else 80.
pub(crate) fn width() -> usize {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok());
    let from_terminal = || {
        use std::io::IsTerminal;
        std::io::stdout()
            .is_terminal()
            .then(crossterm::terminal::size)
            .and_then(Result::ok)
            .map(|(cols, _)| usize::from(cols))
    };
    from_env
        .or_else(from_terminal)
        .filter(|w| (40..=400).contains(w))
        .unwrap_or(80)
}

/// The head line printed after every write, for keeping elsewhere.
pub(crate) fn head_line(head: &Head) -> String {
    format!("head {}:{}\n", head.seq, head.hash)
}

pub(crate) fn discovered_line(d: &GivenTime, cal: &Calendar) -> String {
    let when = match d.precision {
        Precision::Date => format!("{} (time of day not given)", d.date),
        _ => cal.local_display(d.at),
    };
    format!("{when}, given as \"{}\" ({})", sanitize(&d.given), d.offset)
}

/// When a step is due, as a local RFC 3339 time.
pub(crate) fn due_at(incident: &Incident, step: &Step, cal: &Calendar) -> Option<String> {
    let at = incident.step_due(step, cal)?;
    Some(
        cal.in_zone(at)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
    )
}

/// "due 2026-11-21 16:05 (in 5h)" or "OVERDUE since … (2d 3h)".
pub(crate) fn due_phrase(
    incident: &Incident,
    step: &Step,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Option<String> {
    let at = incident.step_due(step, cal)?;
    let left = at - now;
    Some(if left.num_minutes() >= 0 {
        format!("due {} (in {})", cal.local_display(at), span(left))
    } else {
        format!(
            "OVERDUE since {} ({} ago)",
            cal.local_display(at),
            span(-left)
        )
    })
}

fn span(d: chrono::Duration) -> String {
    let minutes = d.num_minutes();
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins}m"),
        (0, h) => format!("{h}h {mins}m"),
        (d, h) => format!("{d}d {h}h"),
    }
}

pub(crate) fn table(builder: Builder, max_width: usize) -> String {
    use tabled::grid::records::vec_records::Cell;
    use tabled::settings::{Modify, object::Columns};
    let mut table = builder.build();
    table.with(Style::psql());
    // Wrapped only for a screen (a terminal, or COLUMNS set), only in the last column (the
    // free text: a title, a reason), and never inside a word: a table too wide even then runs
    // past the edge rather than break an id or a date. Piped, each row stays whole on its line.
    let columns = table.count_columns();
    if wraps() && columns > 0 && table.total_width() > max_width {
        let records = table.get_records();
        let widest = |c: usize| records.iter().map(|row| row[c].width()).max().unwrap_or(0);
        let longest_word = records
            .iter()
            .flat_map(|row| row[columns - 1].text().split_whitespace())
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(1);
        // Each column is padded by one space a side and followed by a separator.
        let others: usize = (0..columns - 1).map(|c| widest(c) + 3).sum();
        let last = max_width.saturating_sub(others + 2).max(longest_word);
        table.with(Modify::new(Columns::last()).with(Width::wrap(last).keep_words(true)));
    }
    table.to_string()
}

/// A table in the same layout as [`table`] (psql style), from a header and rows of cells. When
/// nothing has to wrap (output not for a screen, or narrow enough) and no cell spans lines, it
/// is laid out directly, which at thousands of rows takes a fraction of the time and memory of
/// the general layout; otherwise it goes through [`table`].
pub(crate) fn grid<const N: usize>(
    header: [&str; N],
    rows: &[[String; N]],
    max_width: usize,
) -> String {
    let mut columns = Columns::new(header);
    for row in rows {
        columns.add(row);
    }
    if !columns.direct(max_width) {
        let mut b = Builder::default();
        b.push_record(header);
        for row in rows {
            b.push_record(row.iter().cloned());
        }
        return table(b, max_width);
    }
    let mut out = String::with_capacity((rows.len() + 2) * (columns.total() + 1));
    columns.push_header(&mut out, header);
    for row in rows {
        out.push('\n');
        columns.push_row(&mut out, row);
    }
    out
}

/// The columns of a [`grid`], for laying it out a row at a time: their widths are found in a
/// first pass over every row (`add`), then the header and each row are written in turn, so
/// that a long table is never held whole.
#[derive(Debug, Clone)]
pub(crate) struct Columns<const N: usize> {
    widths: [usize; N],
    multiline: bool,
}

impl<const N: usize> Columns<N> {
    pub(crate) fn new(header: [&str; N]) -> Self {
        Columns {
            widths: header.map(tabled::grid::util::string::get_text_width),
            multiline: false,
        }
    }

    /// Widens the columns to fit `row` (a cell that spans lines, to fit its widest line).
    pub(crate) fn add(&mut self, row: &[String; N]) {
        for (w, cell) in self.widths.iter_mut().zip(row) {
            if cell.contains('\n') {
                self.multiline = true;
                *w = cell.split('\n').map(text_width).fold(*w, usize::max);
            } else {
                *w = (*w).max(text_width(cell));
            }
        }
    }

    /// Whether the rows can be laid out one at a time: no cell spans lines, and nothing has to
    /// wrap (output not for a screen, or narrow enough). Otherwise [`grid`] lays them out.
    pub(crate) fn direct(&self, max_width: usize) -> bool {
        !self.multiline && self.fits(max_width)
    }

    /// Whether nothing has to wrap: the output is not for a screen, or the table is narrow
    /// enough. Rows whose cells span lines are then written a line of the screen at a time
    /// ([`Columns::push_row`]), as the table layout would lay them out.
    pub(crate) fn fits(&self, max_width: usize) -> bool {
        !(wraps() && self.total() > max_width)
    }

    /// The table's width: each column padded by one space a side, a separator between columns.
    fn total(&self) -> usize {
        self.widths
            .iter()
            .map(|w| w + 3)
            .sum::<usize>()
            .saturating_sub(1)
    }

    /// The header line and the rule under it, without a newline after.
    pub(crate) fn push_header(&self, out: &mut String, header: [&str; N]) {
        push_row(out, header.iter().copied(), &self.widths);
        out.push('\n');
        for (n, width) in self.widths.iter().enumerate() {
            if n > 0 {
                out.push('+');
            }
            out.extend(std::iter::repeat_n('-', width + 2));
        }
    }

    /// One row, without a newline after; a row whose cells span lines takes as many lines as
    /// its tallest cell, each cell's lines at the top of its column.
    pub(crate) fn push_row(&self, out: &mut String, row: &[String; N]) {
        let height = row.iter().map(|c| c.split('\n').count()).max().unwrap_or(1);
        for line in 0..height {
            if line > 0 {
                out.push('\n');
            }
            let cells = row.iter().map(|c| c.split('\n').nth(line).unwrap_or(""));
            push_row(out, cells, &self.widths);
        }
    }
}

/// How many columns `cell` takes on a screen: its length when it is ASCII (every cell of a
/// store-wide view but a title), else as the table layout counts it.
fn text_width(cell: &str) -> usize {
    if cell.is_ascii() {
        cell.len()
    } else {
        tabled::grid::util::string::get_text_width(cell)
    }
}

/// One line of a [`grid`]: each cell padded to its column's width, one space a side.
fn push_row<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>, widths: &[usize]) {
    for (n, (cell, width)) in cells.zip(widths).enumerate() {
        if n > 0 {
            out.push('|');
        }
        out.push(' ');
        out.push_str(cell);
        out.extend(std::iter::repeat_n(' ', width - text_width(cell) + 1));
    }
}

/// Whether tables are laid out for a screen.
fn wraps() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("COLUMNS").is_some() || std::io::stdout().is_terminal()
}

/// The steps workable now (only those assigned to `only_for`, when given: `next --mine`).
pub(crate) fn next_text(
    incident: &Incident,
    cal: &Calendar,
    now: DateTime<Utc>,
    only_for: Option<&str>,
) -> String {
    if incident.is_closed() {
        return "The incident is closed.\n".to_owned();
    }
    let mut workable = incident.workable();
    if let Some(me) = only_for {
        workable.retain(|v| incident.assignee(&v.step.id.value) == Some(me));
        if workable.is_empty() {
            return format!(
                "No step workable now is assigned to {} (`breach next` lists every workable step).\n",
                sanitize(me)
            );
        }
    }
    if workable.is_empty() {
        let open = incident.open_required();
        return if open.is_empty() {
            "Every applicable step is settled: `breach close` when the team agrees.\n".to_owned()
        } else {
            format!(
                "No step can be worked now; waiting on: {}\n",
                open.join(", ")
            )
        };
    }
    let width = width();
    let mut out = String::from("\nNext steps:\n");
    for v in workable {
        out.push_str(&wrap(
            &format!("{}: {}", v.step.id.value, sanitize(&v.step.title.value)),
            width,
            "  ",
        ));
        out.push('\n');
        let mut about = format!("{} · {}", v.phase, v.step.owner.label());
        if let Some(who) = incident.assignee(&v.step.id.value) {
            about.push_str(&format!(" · assigned to {}", sanitize(who)));
        }
        if let Some(due) = due_phrase(incident, v.step, cal, now) {
            about.push_str(&format!(" · {due}"));
        }
        out.push_str(&wrap(&about, width, "      "));
        out.push('\n');
    }
    out.push_str("\nWork them with `breach walk` (guided), or `breach done STEP`,\n`breach skip STEP --reason …` and `breach na STEP --reason …`.\n");
    out
}

/// The status view; `deadlines` is the clock's summary, shown right after the header.
pub(crate) fn status_text(
    incident: &Incident,
    store: &str,
    cal: &Calendar,
    now: DateTime<Utc>,
    deadlines: &str,
) -> String {
    let w = width();
    let mut out = format!(
        "Incident {} [{}]\n  {}\n  runbook     {} {} (sha256 {})\n  discovered  {}\n  opened      {} by {}\n  store       {}\n  times       {} ({})\n",
        incident.id,
        incident.state_label(),
        sanitize(&incident.title),
        incident.pinned.id,
        incident.pinned.version,
        short_hash(&incident.pinned.sha256),
        discovered_line(&incident.discovered, cal),
        ts_display(&incident.opened_at, cal),
        sanitize(&incident.opened_by),
        store,
        cal.zone_name(),
        cal.in_zone(now).format("%:z"),
    );
    if let Some((at, by, c)) = &incident.closed {
        out.push_str(&format!(
            "  closed      {} by {}{}\n",
            ts_display(at, cal),
            sanitize(by),
            if c.forced {
                format!(
                    " (forced with {} required step(s) open)",
                    c.open_required.len()
                )
            } else {
                String::new()
            }
        ));
    }
    out.push_str(&format!(
        "  keep until  {} (six years from the last entry, 45 CFR 164.530(j)(2))\n",
        incident.retain_until(cal)
    ));
    if let Some(note) = incident.substituted_clock_note() {
        out.push_str(&wrap(&format!("clock       {note}"), w, "  "));
        out.push('\n');
    }
    out.push_str(deadlines);
    out.push_str(&crate::render::deadlines::holds_text(incident, w));
    out.push_str("\nProgress\n");
    for (phase, settled, total) in incident.progress() {
        out.push_str(&format!(
            "  {:<10} {}\n",
            phase.name(),
            bar(settled, total, 20)
        ));
    }
    out.push('\n');
    out.push_str(&steps_table(incident, cal, now, w));
    out.push('\n');
    out.push_str(&next_text(incident, cal, now, None));
    out.push_str(&format!("\nlog  {} entries\n", incident.head.seq + 1));
    for (entry, v) in crate::incident::event::in_effect(&incident.voids) {
        let line = format!(
            "void entry {entry}, withdrawn by entry {} ({}, {}): {}",
            v.seq,
            sanitize(&v.actor),
            ts_short(&v.at, cal),
            sanitize(&v.reason)
        );
        out.push_str(&wrap(&line, w, "     "));
        out.push('\n');
    }
    out.push_str(&head_line(&incident.head));
    out
}

/// The status view's table of steps: phase, step, state (with when an open one is due), and
/// who settled it when.
fn steps_table(incident: &Incident, cal: &Calendar, now: DateTime<Utc>, width: usize) -> String {
    let mut b = Builder::default();
    b.push_record(["phase", "step", "state", "by, when"]);
    for v in incident.step_views() {
        let state = if !v.active {
            "does not apply".to_owned()
        } else {
            let mut s = v.state().label().to_owned();
            if v.state() == StepState::Open {
                if let Some(due) = due_short(incident, v.step, cal, now) {
                    s = format!("open, {due}");
                }
                if !v.step.required {
                    s.push_str(" (optional)");
                }
                // The action it records is in the log, but the step waits on others.
                let waits = incident.blocking_dependencies(v.step);
                if v.step.records.is_some()
                    && incident.binding_satisfied(v.step)
                    && !waits.is_empty()
                {
                    s.push_str(&format!("; recorded, waits on {}", waits.join(", ")));
                }
            }
            s
        };
        let by = match (v.record, incident.assignee(&v.step.id.value)) {
            (Some(r), _) if r.state != StepState::Open => {
                format!("{} {}", sanitize(&r.actor), ts_short(&r.at, cal))
            }
            (_, Some(who)) => format!("assigned to {}", sanitize(who)),
            (Some(r), None) => format!("{} {}", sanitize(&r.actor), ts_short(&r.at, cal)),
            (None, None) => String::new(),
        };
        b.push_record([
            v.phase.name().to_owned(),
            v.step.id.value.clone(),
            state,
            by,
        ]);
    }
    table(b, width)
}

/// A log timestamp as a compact local time, `MM-DD HH:MM`; the header states the zone.
fn ts_short(ts: &str, cal: &Calendar) -> String {
    DateTime::parse_from_rfc3339(ts)
        .map(|t| {
            cal.in_zone(t.with_timezone(&Utc))
                .format("%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| sanitize(ts).into_owned())
}

/// "due 04-30 09:30" or "OVERDUE 3d 2h" for a table cell.
pub(crate) fn due_short(
    incident: &Incident,
    step: &Step,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Option<String> {
    let at = incident.step_due(step, cal)?;
    Some(if at >= now {
        format!("due {}", cal.in_zone(at).format("%m-%d %H:%M"))
    } else {
        format!("OVERDUE {}", span(now - at))
    })
}

fn ts_display(ts: &str, cal: &Calendar) -> String {
    DateTime::parse_from_rfc3339(ts)
        .map(|t| cal.local_display(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| sanitize(ts).into_owned())
}

pub(crate) fn runbook_list_text(catalog: &Catalog) -> String {
    let width = width();
    let mut out = String::new();
    for e in &catalog.entries {
        out.push_str(&wrap(
            &format!(
                "{}  {}  {}",
                e.runbook.id.value,
                sanitize(&e.runbook.version.value),
                sanitize(&e.runbook.title.value)
            ),
            width,
            "",
        ));
        let mut source = format!("from {}", e.source);
        if e.replaces_bundled {
            source.push_str(" (replaces the bundled runbook)");
        }
        out.push('\n');
        out.push_str(&wrap(&source, width, "    "));
        out.push('\n');
    }
    out
}

/// A runbook laid out for reading on screen; with `facts`, only the steps they activate.
pub(crate) fn runbook_text(
    entry: &Entry,
    width: usize,
    facts: Option<&crate::incident::Facts>,
) -> String {
    let rb = &entry.runbook;
    let mut out = format!(
        "{} ({} {})\nsource: {}{}\n\n{}\n",
        sanitize(&rb.title.value),
        rb.id.value,
        sanitize(&rb.version.value),
        entry.source,
        if entry.replaces_bundled {
            " (replaces the bundled runbook)"
        } else {
            ""
        },
        wrap(&sanitize_multiline(&rb.description.value), width, "")
    );
    let applies = |s: &Step| match (facts, &s.when) {
        (Some(f), Some(c)) => f.satisfies(&c.value),
        _ => true,
    };
    if facts.is_some() {
        let hidden: Vec<&str> = rb
            .steps()
            .filter(|(_, s)| !applies(s))
            .map(|(_, s)| s.id.value.as_str())
            .collect();
        out.push('\n');
        out.push_str(&wrap(
            &if hidden.is_empty() {
                "Every step applies to the facts given.".to_owned()
            } else {
                format!(
                    "For the facts given, {} step(s) do not apply and are left out: {}.",
                    hidden.len(),
                    hidden.join(", ")
                )
            },
            width,
            "",
        ));
        out.push('\n');
    }
    let mut number = 0;
    for phase in Phase::ALL {
        let steps: Vec<&Step> = rb
            .steps()
            .filter(|(p, s)| *p == phase && applies(s))
            .map(|(_, s)| s)
            .collect();
        if steps.is_empty() {
            continue;
        }
        let heading = format!("{} phase", phase.name().to_uppercase());
        out.push_str(&format!("\n{heading}\n{}\n", "=".repeat(heading.len())));
        for step in steps {
            number += 1;
            out.push_str(&step_text(number, step, width));
        }
    }
    out
}

fn step_text(number: usize, step: &Step, width: usize) -> String {
    let mut out = format!(
        "\n{}\n",
        wrap(
            &format!("{number}. {}", sanitize(&step.title.value)),
            width,
            ""
        )
    );
    out.push_str(&wrap(
        &format!("id: {} · owner: {}", step.id.value, step.owner.label()),
        width,
        "   ",
    ));
    out.push('\n');
    let mut facts = vec![
        if step.required {
            "required"
        } else {
            "optional"
        }
        .to_owned(),
    ];
    if let Some(due) = &step.due {
        facts.push(format!("due {}", due.value));
    }
    if let Some(crate::runbook::Records::Notice(_)) = step.records.as_ref().map(|r| r.value) {
        facts.push("due when the clock says the notice is due".to_owned());
    }
    out.push_str(&wrap(&facts.join(" · "), width, "   "));
    out.push('\n');
    if let Some(records) = &step.records {
        out.push_str(&wrap(
            &format!(
                "records: {} — done in the same entry as the action: `breach done {}` with its flags, or the action's own command",
                records.value.label(),
                step.id.value
            ),
            width,
            "   ",
        ));
        out.push('\n');
    }
    if let Some(cond) = &step.when {
        out.push_str(&wrap(
            &format!("applies when: {}", cond.value.describe()),
            width,
            "   ",
        ));
        out.push('\n');
    }
    if !step.depends_on.is_empty() {
        let deps: Vec<&str> = step.depends_on.iter().map(|d| d.value.as_str()).collect();
        out.push_str(&wrap(&format!("after: {}", deps.join(", ")), width, "   "));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&wrap(
        &sanitize_multiline(&step.instructions.value),
        width,
        "   ",
    ));
    out.push('\n');
    out.push_str(&evidence_text(step, width));
    if !step.references.is_empty() {
        out.push_str(&wrap(
            &format!("References: {}", step.references.join("; ")),
            width,
            "   ",
        ));
        out.push('\n');
    }
    out
}

/// The evidence a step asks for, one field a line, for `runbook show`.
fn evidence_text(step: &Step, width: usize) -> String {
    let mut out = String::new();
    if !step.evidence.is_empty() {
        out.push_str("\n   Evidence to record:\n");
        for f in &step.evidence {
            let mut line = format!(
                "- {} ({}{}): {}",
                f.name.value,
                f.kind.value.name(),
                if f.required { "" } else { ", optional" },
                sanitize(&f.prompt.value)
            );
            if f.kind.value == FieldType::Choice {
                line.push_str(&format!(" [{}]", f.choices.join(" | ")));
            }
            out.push_str(&wrap(&line, width, "     "));
            out.push('\n');
        }
    }
    out
}

/// The facts screen of `breach facts` with no flags.
pub(crate) fn facts_text(incident: &Incident, cal: &Calendar) -> String {
    let f = &incident.facts;
    let count = |c: Option<u64>| c.map_or_else(|| "unknown".to_owned(), |n| n.to_string());
    let states = if f.states.is_empty() {
        "none recorded".to_owned()
    } else {
        f.states
            .iter()
            .map(|(s, n)| format!("{s}={n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "Facts of {}\n  discovered           {}\n  affected             {}\n  residents by state   {states}\n  unreachable          {}\n  business associate   {}\n",
        incident.id,
        discovered_line(&incident.discovered, cal),
        count(f.affected),
        count(f.unreachable),
        if f.business_associate { "yes" } else { "no" },
    );
    if let Some(d) = f.breach_started {
        out.push_str(&format!("  breach started       {d}\n"));
    } else if f.breach_started_unknown {
        out.push_str("  breach started       not known\n");
    }
    if let Some(d) = f.breach_ended {
        out.push_str(&format!("  breach ended         {d}\n"));
    }
    if f.returned > 0 {
        out.push_str(&format!(
            "  returned mail        {} (counted among the unreachable)\n",
            f.returned
        ));
    }
    if let Some(n) = f.deceased {
        out.push_str(&format!(
            "  deceased             {n} (their next of kin are notified)\n"
        ));
    }
    if let Some(n) = f.email_consent {
        out.push_str(&format!("  agreed to email      {n}\n"));
    }
    if let Some(r) = &f.roster {
        out.push_str(&format!(
            "  roster               {} rows, sha256 {}\n",
            r.rows, r.sha256
        ));
    }
    out.push_str(&crate::render::deadlines::holds_text(incident, 80));
    out
}

#[cfg(test)]
mod grid_tests;
