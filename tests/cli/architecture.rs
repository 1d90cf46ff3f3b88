//! The module structure ARCHITECTURE.md describes, checked against the code: every top-level
//! module imports only what its row of the table allows, and the table has no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The "may import" table of ARCHITECTURE.md: module → allowed modules.
fn allowed() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut table = BTreeMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `module` | owns | may import |
        if cells.len() != 5 || !cells[1].starts_with('`') {
            continue;
        }
        let names = |cell: &str| -> BTreeSet<String> {
            cell.split(',')
                .map(|c| c.trim().trim_matches('`').to_owned())
                .filter(|c| !c.is_empty() && c != "—")
                .collect()
        };
        table.insert(cells[1].trim_matches('`').to_owned(), names(cells[3]));
    }
    assert!(
        table.len() >= 10,
        "ARCHITECTURE.md has the module table: {table:?}"
    );
    table
}

/// The `.rs` files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without its test code: the `#[cfg(test)]` module at the end of a file.
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests {")
        .map_or(text, |at| &text[..at])
}

/// Files that are test modules of their own (`#[cfg(test)] mod NAME;`).
fn test_only_files(files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        let dir = if file.file_name().is_some_and(|n| n == "mod.rs") {
            file.parent().unwrap().to_owned()
        } else {
            file.with_extension("")
        };
        for (at, _) in text.match_indices("#[cfg(test)]\nmod ") {
            let rest = &text[at + "#[cfg(test)]\nmod ".len()..];
            if let Some(name) = rest.split(';').next().filter(|n| !n.contains('{')) {
                out.insert(dir.join(format!("{}.rs", name.trim())));
            }
        }
    }
    out
}

/// The top-level modules a piece of source names through `crate::`.
fn imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::c, d::{e, f}};` — the names at the group's top level.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(ident(item.trim()));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 || item.is_empty() {
                    item.push(c);
                }
            }
            found.insert(ident(item.trim()));
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

#[test]
fn modules_import_only_what_architecture_md_allows() {
    let table = allowed();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let tests = test_only_files(&files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &files {
        if tests.contains(file) {
            continue;
        }
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(may) = table.get(&module) else {
            problems.push(format!(
                "src/{module} is not in ARCHITECTURE.md's module table"
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in imports(without_tests(&text)) {
            if used != module && table.contains_key(&used) {
                graph
                    .entry(module.clone())
                    .or_default()
                    .insert(used.clone());
                if !may.contains(&used) {
                    problems.push(format!(
                        "{} imports `{used}`, which `{module}` may not import (ARCHITECTURE.md)",
                        rel.display()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        graph.contains_key("commands") && graph["commands"].contains("store"),
        "the scan sees imports: {graph:?}"
    );
    // The table itself (and so the code) has no cycle: a depth-first search finds no back edge.
    fn visit(
        m: &str,
        table: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == m) {
            panic!("module cycle: {} -> {m}", path[at..].join(" -> "));
        }
        if done.contains(m) {
            return;
        }
        path.push(m.to_owned());
        for next in table.get(m).into_iter().flatten() {
            visit(next, table, path, done);
        }
        path.pop();
        done.insert(m.to_owned());
    }
    let mut done = BTreeSet::new();
    for m in table.keys() {
        visit(m, &table, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_import_scanner_reads_paths_and_groups() {
    let found = imports(
        "use crate::error::Error;\nuse crate::{clock, incident::{Event, obligations}, text::wrap};\nlet x = crate::render::terminal::width();",
    );
    let expected: BTreeSet<String> = ["error", "clock", "incident", "text", "render"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(found, expected);
}

/// The evidence format is bytes only: where they are kept is the store's business, so an
/// independent verifier can be written from `src/log/` without any of it.
#[test]
fn the_evidence_format_does_no_file_system_work() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/log"), &mut files);
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in [
            "std::fs",
            "OpenOptions",
            "File::",
            ".lock(",
            "lock_shared",
            "rustix",
            "sync_data",
            "sync_all",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} uses `{forbidden}`: the evidence format does no file-system work",
                file.display()
            );
        }
    }
}

/// The source without its test code, for the size rules: whole test files are left out, and
/// a file's `#[cfg(test)] mod tests { … }` at its end.
fn production_sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let tests = test_only_files(&files);
    files
        .into_iter()
        .filter(|f| !tests.contains(f))
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            let kept = text
                .find("#[cfg(test)]\nmod tests {")
                .or_else(|| text.find("#[cfg(test)]\npub(crate) mod tests {"))
                .map_or(text.as_str(), |at| &text[..at])
                .to_owned();
            (f, kept)
        })
        .collect()
}

/// Rooms a next engineer can change: no file over 700 lines, few functions over 80, and
/// items `pub(crate)` unless another crate needs them (ARCHITECTURE.md).
#[test]
fn files_functions_and_public_items_stay_small() {
    let mut long_functions = Vec::new();
    let mut public_items = 0;
    for (file, text) in production_sources() {
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines.len() <= 700,
            "{} has {} lines; split it (no source file over 700 lines)",
            file.display(),
            lines.len()
        );
        for (i, line) in lines.iter().enumerate() {
            let code = line.trim_start();
            let indent = &line[..line.len() - code.len()];
            let is_fn = [
                "fn ",
                "pub fn ",
                "pub(crate) fn ",
                "pub(super) fn ",
                "pub(in ",
            ]
            .iter()
            .any(|p| code.starts_with(p) && code.contains("fn "));
            if is_fn && !code.ends_with(';') {
                let end = lines[i..]
                    .iter()
                    .position(|l| *l == format!("{indent}}}"))
                    .unwrap_or(0);
                if end + 1 > 80 {
                    long_functions.push(format!(
                        "{}:{} ({} lines)",
                        file.display(),
                        i + 1,
                        end + 1
                    ));
                }
            }
            if [
                "pub fn ",
                "pub struct ",
                "pub enum ",
                "pub const ",
                "pub static ",
                "pub type ",
                "pub trait ",
                "pub mod ",
                "pub use ",
            ]
            .iter()
            .any(|p| code.starts_with(p))
            {
                public_items += 1;
            }
        }
    }
    assert!(
        long_functions.len() <= 8,
        "{} functions over 80 lines (at most 8): {long_functions:#?}",
        long_functions.len()
    );
    assert!(
        public_items <= 150,
        "{public_items} plain `pub` items; make them pub(crate) unless another crate needs them"
    );
}
