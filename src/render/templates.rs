//! Report and letter templates, rendered with minijinja. The built-in templates are compiled in;
//! an organisation replaces any of them with its counsel-approved wording by putting a file of
//! the same name in `--templates DIR` or the store's `templates/`. HTML templates are
//! auto-escaped, so untrusted text in notes and evidence can never become markup.

use std::path::PathBuf;

use minijinja::{AutoEscape, Environment, Value};

use crate::error::Error;

/// The built-in templates, by name.
pub const BUILTIN: &[(&str, &str)] = &[
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

/// A template environment that prefers the organisation's files in `dirs` (first match wins).
pub fn environment(dirs: Vec<PathBuf>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html.j2") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_loader(move |name| {
        for dir in &dirs {
            let path = dir.join(name);
            if path.is_file() {
                return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("cannot read {}: {e}", path.display()),
                    )
                });
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
        markdown_text(&text)
            .replace('|', "\\|")
            .replace('\n', "<br>")
    });
    env
}

/// Renders a template with `ctx`.
pub fn render(env: &Environment<'_>, name: &str, ctx: Value) -> Result<String, Error> {
    let template = env
        .get_template(name)
        .map_err(|e| Error::input(format!("template {name}: {e}")))?;
    template
        .render(ctx)
        .map_err(|e| Error::input(format!("template {name}: {e:#}")))
}

/// Untrusted text for a Markdown document: visible control characters, no raw HTML.
fn markdown_text(text: &str) -> String {
    crate::text::sanitize_multiline(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
