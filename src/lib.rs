//! `breach`: a command-line companion for an email breach of protected health information.
//!
//! Data flows one way: a command ([`cli`], carried out by [`app`]) appends one event to the
//! incident's log ([`log`]); the log is replayed into state ([`incident`]) under the pinned
//! runbook ([`runbook`]); views ([`render`]) are drawn from that state. Nothing keeps a second
//! copy of the state on disk that could disagree with the log. "Now" is read only in [`clock`].

pub mod app;
pub mod cli;
pub mod clock;
pub mod error;
#[doc(hidden)]
pub mod fuzz;
pub mod incident;
pub mod log;
pub mod profile;
pub mod render;
pub mod runbook;
pub mod store;
pub mod text;
pub mod walk;

pub use error::Error;
