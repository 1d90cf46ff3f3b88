//! The views: everything drawn from an incident's state for a person or another program to
//! read — terminal screens, exports, notice drafts and the templates behind them. Views read the
//! domain and never change it; the commands decide what to show and where it goes.

pub(crate) mod deadlines;
pub(crate) mod export;
pub(crate) mod letter_files;
pub(crate) mod letters;
pub(crate) mod present;
pub(crate) mod progress;
pub(crate) mod store_wide;
pub(crate) mod templates;
pub(crate) mod terminal;
