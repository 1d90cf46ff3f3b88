//! `breach`: a command-line companion for an email breach of protected health information.
//!
//! Data flows one way: a command (`cli`, carried out by `commands`) appends one event to the
//! incident's log (the evidence format in `log`, kept by `store`); the log is replayed into
//! state (`incident`) under the pinned runbook (`runbook`); views (`render`, and the guided
//! `walk`) are drawn from that state. Nothing keeps a second copy of the state on disk that
//! could disagree with the log. "Now" is read only in `clock`. The layers and what each may
//! import are in ARCHITECTURE.md; a test fails when a module imports upwards or in a circle.
//!
//! The library is the binary's, not a published interface: what it exports is what `main`,
//! the fuzz targets and the integration tests need, and nothing else.

#[doc(hidden)]
pub mod bench;
mod cli;
mod clock;
mod commands;
mod error;
mod files;
#[doc(hidden)]
pub mod fuzz;
mod incident;
mod log;
mod profile;
mod render;
mod rules;
mod runbook;
mod signing;
mod spill;
mod store;
mod text;
mod timestamp;
mod walk;

pub use cli::Cli;
pub use commands::{Outcome, parse, presentation, run};
pub use error::{Error, Kind};
pub use log::record::Head;
pub use render::export::formats::log_from_json;
pub use render::present::{Presentation, error_line, show};
pub use text::{sanitize, sanitize_multiline};
