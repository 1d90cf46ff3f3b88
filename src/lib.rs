//! `breach`: a command-line companion for an email breach of protected health information.
//!
//! Data flows one way: a command ([`cli`], carried out by [`commands`]) appends one event to the
//! incident's log ([`log`], through [`store`]); the log is replayed into state ([`incident`])
//! under the pinned runbook ([`runbook`]); views ([`render`], and the guided [`walk`]) are drawn
//! from that state. Nothing keeps a second copy of the state on disk that could disagree with
//! the log. "Now" is read only in [`clock`]. The layers and what each may import are in
//! ARCHITECTURE.md; a test fails when a module imports upwards or in a circle.

pub mod cli;
pub mod clock;
pub mod commands;
pub mod error;
pub mod files;
#[doc(hidden)]
pub mod fuzz;
pub mod incident;
pub mod log;
pub mod profile;
pub mod render;
pub mod runbook;
pub mod spill;
pub mod store;
pub mod text;
pub mod walk;

pub use error::Error;
