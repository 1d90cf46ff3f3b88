//! The views: everything drawn from an incident's state for a person or another program to
//! read — terminal screens, exports, notice drafts and the templates behind them. Views read the
//! domain and never change it; the commands decide what to show and where it goes.

pub mod deadlines;
pub mod export;
pub mod letters;
pub mod progress;
pub mod store_wide;
pub mod templates;
pub mod terminal;
