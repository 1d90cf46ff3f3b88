//! The walk's prompts in a real terminal, through `inquire`. Ctrl-C, Escape and the end of input
//! come back from `inquire` as errors, which become a [`Stop`] the walk can act on; `inquire`
//! restores the terminal before returning them.

use inquire::error::InquireError;
use inquire::ui::RenderConfig;
use inquire::{Confirm, Editor, Select, Text};

use super::{Responder, Stop};

/// Prompts on the terminal; plain (no colour) under `NO_COLOR`.
#[derive(Debug, Default)]
pub(crate) struct TerminalResponder;

impl TerminalResponder {
    pub(crate) fn new() -> TerminalResponder {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            inquire::set_global_render_config(RenderConfig::empty());
        }
        TerminalResponder
    }
}

fn stop(e: InquireError) -> Stop {
    match e {
        InquireError::OperationCanceled => Stop::Cancelled,
        InquireError::OperationInterrupted => Stop::Interrupted,
        _ => Stop::EndOfInput,
    }
}

impl Responder for TerminalResponder {
    fn say(&mut self, text: &str) {
        println!("{text}");
    }

    fn choose(&mut self, prompt: &str, options: &[String]) -> Result<usize, Stop> {
        let picked = Select::new(prompt, options.to_vec())
            .with_page_size(10)
            .with_help_message("↑↓ to move, Enter to choose, Esc to go back")
            .raw_prompt()
            .map_err(stop)?;
        Ok(picked.index)
    }

    fn ask(&mut self, prompt: &str, help: &str) -> Result<String, Stop> {
        Text::new(prompt)
            .with_help_message(help)
            .prompt()
            .map_err(stop)
    }

    /// With `$VISUAL` or `$EDITOR` set, the editor (as `git commit` opens it); otherwise lines
    /// typed one after another until an empty one.
    fn ask_long(&mut self, prompt: &str, help: &str) -> Result<String, Stop> {
        let editor = ["VISUAL", "EDITOR"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|e| !e.is_empty()));
        if editor {
            let help = format!("{help}; e opens your editor, Enter submits what it holds");
            return Editor::new(prompt)
                .with_help_message(&help)
                .with_file_extension(".txt")
                .prompt()
                .map_err(stop);
        }
        let mut lines = vec![self.ask(
            prompt,
            &format!("{help}; more lines follow, an empty one ends"),
        )?];
        while !lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.push(self.ask("…", "the next line; an empty line ends the text")?);
        }
        Ok(lines.join("\n").trim_end().to_owned())
    }

    fn confirm(&mut self, prompt: &str, default: bool) -> Result<bool, Stop> {
        Confirm::new(prompt)
            .with_default(default)
            .prompt()
            .map_err(stop)
    }
}
