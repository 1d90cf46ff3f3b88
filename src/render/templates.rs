//! Report and letter templates, rendered with minijinja. The built-in templates are compiled in;
//! an organisation replaces any of them with its counsel-approved wording by putting a file of
//! the same name in `--templates DIR` or the store's `templates/`. HTML templates are
//! auto-escaped, so untrusted text in notes and evidence can never become markup.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, mpsc};

use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::{AutoEscape, Environment, Value};

use crate::error::Error;

/// The built-in templates, by name.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("report.md.j2", include_str!("../../templates/report.md.j2")),
    (
        "report.html.j2",
        include_str!("../../templates/report.html.j2"),
    ),
    (
        "letter-individual.md.j2",
        include_str!("../../templates/letter-individual.md.j2"),
    ),
    (
        "letter-substitute.md.j2",
        include_str!("../../templates/letter-substitute.md.j2"),
    ),
    (
        "letter-media.md.j2",
        include_str!("../../templates/letter-media.md.j2"),
    ),
    (
        "letter-hhs.md.j2",
        include_str!("../../templates/letter-hhs.md.j2"),
    ),
    (
        "letter-business_associate.md.j2",
        include_str!("../../templates/letter-business_associate.md.j2"),
    ),
];

/// Largest template read from the organisation's directory.
pub(crate) const MAX_TEMPLATE_BYTES: u64 = 256 * 1024;
/// The work one rendering may do, in minijinja's fuel (about one unit per instruction), for an
/// incident of `entries` log entries: measured, the built-in reports need at most about 100 per
/// entry and letters under 1,000 in all, so twice that with a floor is ample for any honest
/// template, and a loop without end stops within a fraction of a second.
pub(crate) fn fuel_for(entries: u64) -> u64 {
    1_000_000 + 200 * entries
}
/// How deep templates may nest macro calls and includes.
pub(crate) const RECURSION_LIMIT: usize = 64;

/// Whether `text` compiles as the template `name` (from the file `shown`): the syntax error,
/// located, when it does not.
pub(crate) fn check(name: &str, text: &str, shown: &str) -> Result<(), Error> {
    let mut env = Environment::new();
    env.add_template(name, text).map_err(|e| {
        Error::input(format!(
            "{shown}:{}: the template does not compile: {}",
            e.line().unwrap_or(1),
            crate::text::sanitize(
                &e.detail()
                    .map_or_else(|| e.kind().to_string(), str::to_owned)
            )
        ))
    })
}

/// A template environment that prefers the organisation's files in `dirs` (first match wins).
pub(crate) fn environment(dirs: Vec<PathBuf>, fuel: u64) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html.j2") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    // An organisation's template runs with bounded work and depth: a loop without end or a
    // macro calling itself stops with an error naming the template.
    env.set_fuel(Some(fuel));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_loader(move |name| {
        let refuse = |message: String| {
            minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, message)
        };
        for dir in &dirs {
            let path = dir.join(name);
            match crate::files::read_small_file(&path, MAX_TEMPLATE_BYTES, "template") {
                Ok(Some(bytes)) => {
                    return String::from_utf8(bytes)
                        .map(Some)
                        .map_err(|_| refuse(format!("{} is not UTF-8 text", path.display())));
                }
                Ok(None) => {}
                Err(e) => return Err(refuse(e.to_string())),
            }
        }
        Ok(BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| (*t).to_owned()))
    });
    // For Markdown: control characters made visible and raw HTML neutralised, since many
    // Markdown renderers pass HTML through.
    env.add_filter("sanitize", |s: String| markdown_text(&s));
    env.add_filter("cell", |s: Value| {
        let text = if s.is_none() || s.is_undefined() {
            String::new()
        } else {
            s.to_string()
        };
        markdown_cell(&text)
    });
    // For HTML: text as a quoted CSS string (a page header's `content`), where HTML escaping
    // means nothing (see `css_string`).
    env.add_filter("css_string", |s: Value| {
        let text = if s.is_none() || s.is_undefined() {
            String::new()
        } else {
            s.to_string()
        };
        Value::from_safe_string(css_string(&text))
    });
    // For HTML: a time ("2026-03-10 15:00 -05:00") that may wrap between its date and its time
    // of day, never inside either.
    env.add_filter("stamp", |s: Value| {
        let text = if s.is_none() || s.is_undefined() {
            String::new()
        } else {
            s.to_string()
        };
        Value::from_safe_string(stamp_html(&text))
    });
    env
}

/// A time as HTML: its date and the rest each kept on one line.
fn stamp_html(text: &str) -> String {
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#x27;")
    };
    match text.split_once(' ') {
        Some((date, rest)) => format!(
            "<span class=\"date\">{}</span> <span class=\"date\">{}</span>",
            escape(date),
            escape(rest)
        ),
        None => format!("<span class=\"date\">{}</span>", escape(text)),
    }
}

/// `text` as a double-quoted CSS string that nothing in it can close or break out of: letters,
/// digits and plain punctuation as they are, everything else a CSS escape.
fn css_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || " -_.,:/()@#+".contains(c) {
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            // The trailing space ends the escape, so a hex digit after it is its own.
            out.push_str(&format!("\\{:x} ", c as u32));
        }
    }
    out.push('"');
    out
}

/// Renders a template with `ctx`.
pub(crate) fn render(env: &Environment<'_>, name: &str, ctx: Value) -> Result<String, Error> {
    let template = env
        .get_template(name)
        .map_err(|e| Error::input(format!("template {name}: {e}")))?;
    template.render(ctx).map_err(|e| failed(name, &e))
}

/// Renders the named blocks of a template with `ctx`, in order; `None` when the template
/// (an organisation's own, say) lacks one of them.
pub(crate) fn render_blocks(
    env: &Environment<'_>,
    name: &str,
    ctx: Value,
    blocks: &[&str],
) -> Result<Option<Vec<String>>, Error> {
    let template = env
        .get_template(name)
        .map_err(|e| Error::input(format!("template {name}: {e}")))?;
    let mut rendered = template
        .render_captured(ctx)
        .map_err(|e| failed(name, &e))?;
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        match rendered.with_state_mut(|state| state.render_block(block)) {
            Ok(text) => out.push(text),
            Err(e) if e.kind() == minijinja::ErrorKind::UnknownBlock => return Ok(None),
            Err(e) => return Err(failed(name, &e)),
        }
    }
    Ok(Some(out))
}

/// Renders a template with `ctx` to `out` as it goes, so that a long document is never held.
pub(crate) fn render_to(
    env: &Environment<'_>,
    name: &str,
    ctx: Value,
    out: &mut dyn std::io::Write,
) -> Result<(), Error> {
    let template = env
        .get_template(name)
        .map_err(|e| Error::input(format!("template {name}: {e}")))?;
    template
        .render_captured_to(ctx, out)
        .map(drop)
        .map_err(|e| failed(name, &e))
}

/// Why rendering `name` failed, for a person.
fn failed(name: &str, e: &minijinja::Error) -> Error {
    let why = match e.kind() {
        minijinja::ErrorKind::OutOfFuel => {
            "it does more work than any report needs (a loop without end?)".to_owned()
        }
        _ => format!("{e:#}"),
    };
    Error::input(format!("template {name}: {why}"))
}

/// A sequence a template reads as it iterates, anew each time it does: each iteration asks
/// the producer (on the thread that reads the log) for the rows, and takes them one at a time
/// from a small bounded channel. A template that lays out a timeline of a million entries
/// holds a few of them, and may iterate it twice, or test or count it, like any list.
///
/// The producer reads one iteration at a time, so an iteration begun inside another (a loop over
/// the timeline inside a loop over it) is not started: it is empty, and [`Streamed::nested`]
/// says so, for the producer to fail the rendering rather than wait on itself for ever.
#[derive(Debug)]
pub(crate) struct Streamed {
    requests: Mutex<mpsc::Sender<mpsc::SyncSender<Value>>>,
    len: usize,
    /// Whether an iteration is under way.
    reading: Arc<AtomicBool>,
    nested: Arc<AtomicBool>,
}

impl Streamed {
    /// A sequence of `len` rows, each iteration asked for on `requests`: the producer answers
    /// by sending the rows on the channel it is handed, and dropping it at the end.
    pub(crate) fn new(requests: mpsc::Sender<mpsc::SyncSender<Value>>, len: usize) -> Self {
        Streamed {
            requests: Mutex::new(requests),
            len,
            reading: Arc::new(AtomicBool::new(false)),
            nested: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Set when the template began an iteration inside another, which was not started.
    pub(crate) fn nested(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.nested)
    }
}

impl Object for Streamed {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    // `r.timeline[0]` and `r.timeline[-1]` work as on a list, each by a read of its own.
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let index = key.as_usize().filter(|&i| i < self.len)?;
        match self.enumerate() {
            Enumerator::Iter(mut rows) => rows.nth(index),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        if self.reading.swap(true, AtomicOrdering::SeqCst) {
            self.nested.store(true, AtomicOrdering::SeqCst);
            return Enumerator::Empty;
        }
        let (rows, received) = mpsc::sync_channel(64);
        let asked = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(rows);
        if asked.is_err() {
            self.reading.store(false, AtomicOrdering::SeqCst);
            return Enumerator::Empty;
        }
        Enumerator::Iter(Box::new(Received {
            rows: Mutex::new(received),
            left: self.len,
            reading: Arc::clone(&self.reading),
        }))
    }

    // Known without reading: `length`, `if` and `loop.length` start no read of the log.
    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.len)
    }
}

/// One iteration of a [`Streamed`] sequence; the next may begin once it is dropped.
struct Received {
    rows: Mutex<mpsc::Receiver<Value>>,
    left: usize,
    reading: Arc<AtomicBool>,
}

impl Drop for Received {
    fn drop(&mut self) {
        self.reading.store(false, AtomicOrdering::SeqCst);
    }
}

impl Iterator for Received {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        let row = self
            .rows
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .recv()
            .ok()?;
        self.left = self.left.saturating_sub(1);
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// `base` (a map) with the field `name` set to `value`, for a template's context.
pub(crate) fn with_field(base: &Value, name: &str, value: Value) -> Value {
    let mut fields: Vec<(Value, Value)> = base
        .try_iter()
        .into_iter()
        .flatten()
        .filter(|key| key.as_str() != Some(name))
        .map(|key| {
            let field = base.get_item(&key).unwrap_or_default();
            (key, field)
        })
        .collect();
    fields.push((Value::from(name), value));
    Value::from_iter(fields)
}

/// Untrusted text for a Markdown document: visible control characters, no raw HTML.
fn markdown_text(text: &str) -> String {
    crate::text::sanitize_lines(text, html_entity)
}

/// Untrusted text for a cell of a Markdown table: as [`markdown_text`], with its pipes escaped
/// and its line breaks `<br>`, so that it stays in its cell.
fn markdown_cell(text: &str) -> String {
    crate::text::sanitize_lines(text, |c| match c {
        '|' => Some("\\|"),
        '\n' => Some("<br>"),
        c => html_entity(c),
    })
}

/// The entity a character needs so that Markdown renderers passing HTML through show it as text.
fn html_entity(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_and_cells_are_escaped_in_one_pass_as_by_replacing() {
        use crate::text::tests::{AWKWARD, every_string};
        let alphabet: Vec<char> = AWKWARD.iter().copied().chain(['>']).collect();
        for text in every_string(&alphabet, 4) {
            let text_then = crate::text::sanitize_multiline(&text)
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            assert_eq!(markdown_text(&text), text_then, "{text:?}");
            let cell_then = text_then.replace('|', "\\|").replace('\n', "<br>");
            assert_eq!(markdown_cell(&text), cell_then, "{text:?}");
        }
        assert_eq!(
            markdown_cell("a|b\r\n<i>&\u{1b}"),
            "a\\|b<br>&lt;i&gt;&amp;\\u{1b}"
        );
    }

    #[test]
    fn a_stamp_wraps_only_between_its_date_and_its_time_and_is_escaped() {
        assert_eq!(
            stamp_html("2026-03-10 15:00 +00:00"),
            "<span class=\"date\">2026-03-10</span> <span class=\"date\">15:00 +00:00</span>"
        );
        assert!(!stamp_html("<b> x").contains("<b>"));
    }

    #[test]
    fn a_css_string_cannot_be_closed_or_escaped_from() {
        assert_eq!(css_string("Acme 1"), "\"Acme 1\"");
        let hostile = css_string("x\"; } body { display: none } </style><script>\\");
        assert_eq!(hostile.matches('"').count(), 2, "{hostile}");
        for c in ['<', '>', ';', '{', '}'] {
            assert!(!hostile.contains(c), "{hostile}");
        }
        // A hex digit after an escape stays a letter of its own.
        assert_eq!(css_string("—a"), "\"\\2014 a\"");
    }

    #[test]
    fn blocks_render_in_order_and_a_template_without_them_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("with.md.j2"),
            "{% block head %}H {{ x }}{% endblock %}\n{% block body %}B{% endblock %}",
        )
        .unwrap();
        std::fs::write(dir.path().join("without.md.j2"), "Just {{ x }}").unwrap();
        let env = environment(vec![dir.path().to_owned()], fuel_for(1));
        let ctx = minijinja::context! { x => "y" };
        let got = render_blocks(&env, "with.md.j2", ctx.clone(), &["head", "body"]).unwrap();
        assert_eq!(got, Some(vec!["H y".to_owned(), "B".to_owned()]));
        let none = render_blocks(&env, "without.md.j2", ctx, &["head", "body"]).unwrap();
        assert_eq!(none, None);
    }
}
