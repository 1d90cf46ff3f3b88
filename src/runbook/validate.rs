//! Turning YAML text into a checked runbook, and every mistake in it into a problem an author can
//! act on: `file:line:column: what is wrong`, with the offending source line.
//!
//! Syntax and shape errors come from the YAML deserialiser, which stops at the first. So that an
//! author sees every mistake in one run, the step the error is in is set aside (its lines blanked,
//! so every later line keeps its number) and the file read again, up to [`MAX_SHAPE_ROUNDS`]
//! times; once the rest has the right shape, every meaning check runs and all its problems are
//! reported together, except those that only follow from a step set aside.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_saphyr::{Budget, Location, Options, Spanned};

use super::model::{Condition, FieldType, KNOWN_FACTS, Phase, Records, Runbook, Step};
use crate::error::Problem;

/// Runbooks are small documents; anything bigger is refused before parsing.
pub(crate) const MAX_RUNBOOK_BYTES: usize = 1024 * 1024;
const MAX_NESTING: usize = 32;
/// How many shape errors one run reports before it stops reading.
const MAX_SHAPE_ROUNDS: usize = 50;

/// Collects problems against one file's text.
struct Report<'a> {
    file: &'a str,
    lines: Vec<&'a str>,
    problems: Vec<Problem>,
}

impl<'a> Report<'a> {
    fn new(file: &'a str, text: &'a str) -> Self {
        Report {
            file,
            lines: text.lines().collect(),
            problems: Vec::new(),
        }
    }

    fn at(&mut self, loc: Location, message: impl Into<String>) {
        let (line, column) = (loc.line(), loc.column());
        let source_line = usize::try_from(line)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .and_then(|i| self.lines.get(i))
            .and_then(|s| snippet_of(s));
        self.problems.push(Problem {
            file: self.file.to_owned(),
            line,
            column,
            message: message.into(),
            source_line,
        });
    }

    fn at_span<T>(&mut self, span: &Spanned<T>, message: impl Into<String>) {
        self.at(span.referenced, message);
    }
}

/// Parses and checks a runbook. `file` is the name used in problems.
pub(crate) fn parse_runbook(file: &str, text: &str) -> Result<Runbook, Vec<Problem>> {
    let mut report = Report::new(file, text);
    if text.len() > MAX_RUNBOOK_BYTES {
        report.problems.push(Problem {
            file: file.to_owned(),
            line: 0,
            column: 0,
            message: format!(
                "file is {} bytes; a runbook may be at most {MAX_RUNBOOK_BYTES} bytes",
                text.len()
            ),
            source_line: None,
        });
        return Err(report.problems);
    }
    let mut working = text.to_owned();
    let mut set_aside = SetAside::default();
    let runbook = loop {
        match deserialise(&working) {
            Ok(runbook) => break runbook,
            Err(e) => {
                let message = yaml_message(&e);
                let line = e.location().map_or(0, |loc| loc.line());
                if set_aside.emptied_lists.contains(&line) {
                    // Only the consequence of a step set aside: its phase has no steps left,
                    // so the phase is set aside too.
                    if set_aside.item_around(&mut working, line, "phases:") {
                        continue;
                    }
                    return Err(sorted(report.problems));
                }
                match e.location() {
                    Some(loc) if loc.line() > 0 => report.at(loc, message),
                    _ => report.problems.push(Problem {
                        file: file.to_owned(),
                        line: 0,
                        column: 0,
                        message,
                        source_line: None,
                    }),
                }
                let budget_breached = e.to_string().contains("budget breached");
                if budget_breached
                    || report.problems.len() >= MAX_SHAPE_ROUNDS
                    || !set_aside.item_around(&mut working, line, "steps:")
                {
                    return Err(sorted(report.problems));
                }
            }
        }
    };
    let shape_problems = report.problems.len();
    check_meaning(&runbook, &mut report);
    if shape_problems > 0 {
        let meaning = report.problems.split_off(shape_problems);
        report.problems.extend(
            meaning
                .into_iter()
                .filter(|p| !set_aside.explains(&p.message)),
        );
    }
    if report.problems.is_empty() {
        Ok(runbook)
    } else {
        Err(sorted(report.problems))
    }
}

fn sorted(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(|p| (p.line, p.column));
    problems
}

fn deserialise(text: &str) -> Result<Runbook, serde_saphyr::Error> {
    let mut budget = Budget::default();
    budget.max_depth = MAX_NESTING;
    budget.max_documents = 1;
    budget.max_events = 200_000;
    budget.max_aliases = 1_000;
    let mut options = Options::default();
    options.budget = Some(budget);
    serde_saphyr::from_str_with_options(text, options)
}

/// The steps set aside after a shape error, so the rest of the file can be read.
#[derive(Default)]
struct SetAside {
    /// The ids of the steps set aside, as written.
    step_ids: Vec<String>,
    /// The lines (1-based) of the `steps:` keys whose items were set aside.
    emptied_lists: Vec<u64>,
    /// Whether a whole phase was set aside (its only steps were).
    phase_set_aside: bool,
}

impl SetAside {
    /// Blanks the lines of the item of a `list` (`steps:` or `phases:`) around `line`
    /// (1-based) in `text`; false when the line is not inside one.
    fn item_around(&mut self, text: &mut String, line: u64, list: &str) -> bool {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let Some(found) = usize::try_from(line)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .and_then(|index| item_around(&lines, index, list))
        else {
            return false;
        };
        let (start, end, list_key) = found;
        let id = lines[start..end]
            .iter()
            .map(|l| l.trim().trim_start_matches("- ").trim())
            .find_map(|l| l.strip_prefix("id:"))
            .map(|v| v.trim().trim_matches(['"', '\'']).to_owned());
        if list == "phases:" {
            self.phase_set_aside = true;
        } else {
            self.step_ids.extend(id);
        }
        self.emptied_lists.push(list_key as u64 + 1);
        let mut blanked = String::with_capacity(text.len());
        for (i, l) in lines.iter().enumerate() {
            if (start..end).contains(&i) {
                blanked.push_str(if l.ends_with('\n') { "\n" } else { "" });
            } else {
                blanked.push_str(l);
            }
        }
        *text = blanked;
        true
    }

    /// Whether a meaning problem only follows from a step set aside (it names one, or a list
    /// or the runbook left without a phase).
    fn explains(&self, message: &str) -> bool {
        message.contains("has no steps")
            || (self.phase_set_aside && message.starts_with("missing phase"))
            || self
                .step_ids
                .iter()
                .any(|id| message.contains(&format!("`{id}`")))
    }
}

/// The lines `[start, end)` of the item of a `list` (`steps:`) that holds line `index`, with
/// the index of the list's key line, found by indentation as YAML's block style lays it out.
fn item_around(lines: &[&str], index: usize, list: &str) -> Option<(usize, usize, usize)> {
    fn indent(line: &str) -> usize {
        line.len() - line.trim_start_matches(' ').len()
    }
    fn is_content(line: &str) -> bool {
        let t = line.trim();
        !t.is_empty() && !t.starts_with('#')
    }
    fn is_item(line: &str) -> bool {
        let t = line.trim_start();
        t.starts_with("- ") || t.trim_end() == "-"
    }
    let mut limit = indent(lines.get(index)?) + 1;
    for start in (0..=index).rev() {
        let line = lines[start];
        if !is_content(line) || indent(line) >= limit {
            continue;
        }
        let column = indent(line);
        limit = column;
        if !is_item(line) {
            continue;
        }
        let parent = (0..start)
            .rev()
            .find(|&i| is_content(lines[i]) && indent(lines[i]) < column)?;
        let key = lines[parent].trim().trim_start_matches("- ").trim();
        if key == list {
            let end = (start + 1..lines.len())
                .find(|&i| is_content(lines[i]) && indent(lines[i]) <= column)
                .unwrap_or(lines.len());
            return Some((start, end, parent));
        }
    }
    None
}

/// The deserialiser's message without its own location prefix and snippet, which we render.
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let full = e.without_snippet().to_string();
    let first = full.lines().next().unwrap_or("invalid YAML").trim();
    // The deserialiser appends " at line L, column C"; we print the location in front instead.
    let trimmed = match first.rfind(" at line ") {
        Some(i) => &first[..i],
        None => first,
    };
    let msg = trimmed.trim_end_matches(':').trim();
    if let Some(what) = msg.strip_prefix("budget breached: ") {
        return if what.starts_with("Depth") {
            format!("nested more than {MAX_NESTING} levels deep; refusing to read further")
        } else {
            format!("too large or too complex to be a runbook ({what}); refusing to read further")
        };
    }
    // The deserialiser's advice is for programmers; a runbook author just needs the key.
    if let Some(key) = msg.strip_prefix("duplicate mapping key: ") {
        let key = key.split(',').next().unwrap_or(key).trim();
        return format!("duplicate key `{key}`: each key may appear once in a mapping");
    }
    if msg.is_empty() {
        "invalid YAML".to_owned()
    } else {
        msg.to_owned()
    }
}

fn check_meaning(rb: &Runbook, report: &mut Report<'_>) {
    if !is_identifier(&rb.id.value) {
        report.at_span(
            &rb.id,
            format!(
                "runbook id `{}` must be lower-case letters, digits and '-' (e.g. misdirected-email)",
                rb.id.value
            ),
        );
    }
    for (span, what) in [
        (&rb.title, "title"),
        (&rb.version, "version"),
        (&rb.description, "description"),
        (&rb.scenario, "scenario"),
    ] {
        if span.value.trim().is_empty() {
            report.at_span(span, format!("{what} is empty"));
        }
    }
    check_phases(rb, report);

    let mut seen: HashMap<&str, Location> = HashMap::new();
    let mut bound: HashMap<Records, (&str, Location, bool)> = HashMap::new();
    for (_, step) in rb.steps() {
        let id = step.id.value.as_str();
        if !is_identifier(id) {
            report.at_span(
                &step.id,
                format!("step id `{id}` must be lower-case letters, digits and '-'"),
            );
        }
        if let Some(first) = seen.get(id) {
            report.at_span(
                &step.id,
                format!(
                    "duplicate step id `{id}` (first used at line {})",
                    first.line()
                ),
            );
        } else {
            seen.insert(id, step.id.referenced);
        }
        if step.title.value.trim().is_empty() {
            report.at_span(&step.title, format!("step `{id}`: title is empty"));
        }
        if step.instructions.value.trim().is_empty() {
            report.at_span(
                &step.instructions,
                format!("step `{id}`: instructions are empty"),
            );
        }
        check_evidence(step, id, report);
        if let Some(due) = &step.due
            && due.value.hours() == 0
        {
            report.at_span(
                due,
                format!("step `{id}`: a due time must be at least 1 hour"),
            );
        }
        if let Some(cond) = &step.when {
            check_condition(&cond.value, cond.referenced, id, report);
        }
        if let Some(records) = &step.records {
            check_binding(step, records, &mut bound, report);
        }
    }

    check_dependencies(rb, &seen, report);
    check_cycles(rb, report);
}

/// Every dependency names another step of the runbook.
fn check_dependencies(rb: &Runbook, seen: &HashMap<&str, Location>, report: &mut Report<'_>) {
    for (_, step) in rb.steps() {
        for dep in &step.depends_on {
            if !seen.contains_key(dep.value.as_str()) {
                report.at_span(
                    dep,
                    format!(
                        "step `{}` depends on `{}`, which is not a step of this runbook",
                        step.id.value, dep.value
                    ),
                );
            } else if dep.value == step.id.value {
                report.at_span(dep, format!("step `{}` depends on itself", step.id.value));
            }
        }
    }
}

/// A step's evidence fields: names, no duplicates, prompts, and choices only for a choice.
fn check_evidence(step: &Step, id: &str, report: &mut Report<'_>) {
    let mut names = HashSet::new();
    for field in &step.evidence {
        let name = field.name.value.as_str();
        if !is_field_name(name) {
            report.at_span(
                &field.name,
                format!(
                    "step `{id}`: evidence name `{name}` must be lower-case letters, digits and '_'"
                ),
            );
        }
        if !names.insert(name) {
            report.at_span(
                &field.name,
                format!("step `{id}`: duplicate evidence field `{name}`"),
            );
        }
        if field.prompt.value.trim().is_empty() {
            report.at_span(
                &field.prompt,
                format!("step `{id}`: evidence `{name}` has an empty prompt"),
            );
        }
        match (field.kind.value, field.choices.is_empty()) {
            (FieldType::Choice, true) => report.at_span(
                &field.kind,
                format!("step `{id}`: choice field `{name}` has no `choices`"),
            ),
            (FieldType::Choice, false) => {
                if field.choices.iter().any(|c| c.trim().is_empty()) {
                    report.at_span(
                        &field.kind,
                        format!("step `{id}`: choice field `{name}` has an empty choice"),
                    );
                }
            }
            (other, false) => report.at_span(
                &field.kind,
                format!(
                    "step `{id}`: field `{name}` is of type {} but lists `choices`; use type `choice`",
                    other.label()
                ),
            ),
            (_, true) => {}
        }
    }
}

/// What a step that records an action must be: its values come from the action, so its own
/// evidence is optional; a notice's due date is the clock's; and two steps record the same
/// action only when a `when` tells them apart.
fn check_binding<'a>(
    step: &'a Step,
    records: &Spanned<Records>,
    bound: &mut HashMap<Records, (&'a str, Location, bool)>,
    report: &mut Report<'_>,
) {
    let id = step.id.value.as_str();
    let what = records.value.label();
    for field in step.evidence.iter().filter(|f| f.required) {
        report.at_span(
            &field.name,
            format!(
                "step `{id}` records {what}, which supplies its values: its own evidence `{}` must be optional (`required: false`)",
                field.name.value
            ),
        );
    }
    if let (Records::Notice(_), Some(due)) = (records.value, &step.due) {
        report.at_span(
            due,
            format!(
                "step `{id}` records {what}: its due date is the clock's (held, moved, per state); remove `due`"
            ),
        );
    }
    if records.value == Records::Delay
        && step.when.as_ref().is_some_and(
            |w| matches!(&w.value, Condition::Fact(f) if f.value == "law_enforcement_delay"),
        )
    {
        report.at_span(
            records,
            format!(
                "step `{id}` records a law-enforcement delay but applies only `when` one is recorded, so it could never be done first; remove the `when` and make the step `required: false`"
            ),
        );
    }
    let has_when = step.when.is_some();
    match bound.get(&records.value) {
        Some((first, at, first_when)) if !(has_when && *first_when) => report.at_span(
            records,
            format!(
                "step `{id}` records {what}, as step `{first}` (line {}) does; two steps may record the same action only when each has a `when` that tells them apart",
                at.line()
            ),
        ),
        Some(_) => {}
        None => {
            bound.insert(records.value, (id, records.referenced, has_when));
        }
    }
}

fn check_phases(rb: &Runbook, report: &mut Report<'_>) {
    let phases = &rb.phases.value;
    let mut present = HashSet::new();
    for p in phases {
        let phase = p.phase.value;
        if !present.insert(phase) {
            report.at_span(&p.phase, format!("phase `{phase}` appears twice"));
        }
        if p.steps.value.is_empty() {
            report.at_span(&p.steps, format!("phase `{phase}` has no steps"));
        }
    }
    // Report the first phase out of place, once: after one misplaced phase every later one is
    // "out of order" too, and saying so five times helps nobody.
    let mut expected: Vec<Phase> = present.iter().copied().collect();
    expected.sort();
    let mut seen = HashSet::new();
    let firsts = phases.iter().filter(|p| seen.insert(p.phase.value));
    if let Some((p, want)) = firsts
        .zip(expected.iter())
        .find(|(p, want)| p.phase.value != **want)
    {
        report.at_span(
            &p.phase,
            format!(
                "phase `{}` is out of order: `{want}` belongs here; phases go contain, recall, report, notify, remediate",
                p.phase.value
            ),
        );
    }
    let missing: Vec<&str> = Phase::ALL
        .iter()
        .filter(|p| !present.contains(p))
        .map(|p| p.name())
        .collect();
    if !missing.is_empty() {
        report.at_span(
            &rb.phases,
            format!(
                "missing phase{} {}: a runbook has all five phases, contain, recall, report, notify, remediate",
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}

fn check_condition(cond: &Condition, at: Location, step: &str, report: &mut Report<'_>) {
    match cond {
        Condition::Fact(name) => {
            if !KNOWN_FACTS.iter().any(|(k, _)| *k == name.value) {
                let known: Vec<&str> = KNOWN_FACTS.iter().map(|(k, _)| *k).collect();
                let loc = if name.referenced.line() > 0 {
                    name.referenced
                } else {
                    at
                };
                report.at(
                    loc,
                    format!(
                        "step `{step}`: condition names unknown fact `{}`; known facts: {}",
                        name.value,
                        known.join(", ")
                    ),
                );
            }
        }
        Condition::All(list) | Condition::Any(list) => {
            if list.is_empty() {
                report.at(
                    at,
                    format!("step `{step}`: `all`/`any` needs at least one condition"),
                );
            }
            for c in list {
                check_condition(c, at, step, report);
            }
        }
        Condition::Not(inner) => check_condition(inner, at, step, report),
        Condition::AffectedAtLeast(_)
        | Condition::AffectedBelow(_)
        | Condition::AnyStateMoreThan(_)
        | Condition::UnreachableAtLeast(_) => {}
    }
}

/// Reports each dependency cycle once, at the step where the walk first closes it.
fn check_cycles(rb: &Runbook, report: &mut Report<'_>) {
    let deps: BTreeMap<&str, Vec<&str>> = rb
        .steps()
        .map(|(_, s)| {
            (
                s.id.value.as_str(),
                s.depends_on
                    .iter()
                    .map(|d| d.value.as_str())
                    .filter(|d| *d != s.id.value)
                    .collect(),
            )
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    let mut cycles: Vec<Vec<&str>> = Vec::new();
    for (_, step) in rb.steps() {
        let start = step.id.value.as_str();
        if marks.contains_key(start) {
            continue;
        }
        // Iterative depth-first search: a deep chain of dependencies must not overflow the stack.
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        marks.insert(start, Mark::Visiting);
        while let Some((node, next)) = path.last().copied() {
            let children = deps.get(node).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(child) = children.get(next) {
                path.last_mut().expect("path is not empty").1 += 1;
                match marks.get(child) {
                    None if deps.contains_key(child) => {
                        marks.insert(child, Mark::Visiting);
                        path.push((child, 0));
                    }
                    Some(Mark::Visiting) => {
                        let from = path.iter().position(|(n, _)| n == child).unwrap_or(0);
                        let mut cycle: Vec<&str> = path[from..].iter().map(|(n, _)| *n).collect();
                        cycle.push(child);
                        cycles.push(cycle);
                    }
                    _ => {}
                }
            } else {
                marks.insert(node, Mark::Done);
                path.pop();
            }
        }
    }
    for cycle in cycles {
        let first = cycle[0];
        if let Some((_, step)) = rb.step(first) {
            report.at_span(
                &step.id,
                format!("dependency cycle: {}", cycle.join(" -> ")),
            );
        }
    }
}

/// The source line for a snippet; none for a very long line, where the location says enough.
fn snippet_of(line: &str) -> Option<String> {
    (line.chars().count() <= 160).then(|| crate::text::sanitize(line).into_owned())
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

fn is_field_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
