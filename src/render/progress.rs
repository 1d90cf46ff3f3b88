//! Progress on long work: a bar on standard error when it is a terminal, nothing otherwise
//! (piped output and scripts see no control characters). Drawn by indicatif, cleared when the
//! work is done so that only the result stays on the screen.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over `total` units of `what`; hidden when standard error is not a terminal.
pub(crate) fn bar(total: u64, what: &str) -> ProgressBar {
    styled(total, what, "{msg} {wide_bar} {pos}/{len} ({eta})")
}

/// A bar over the bytes of a log being read, for `verify` and `export` of a long log; hidden
/// when the length is unknown or standard error is not a terminal.
pub(crate) fn log_bar(bytes: Option<u64>, what: &str) -> ProgressBar {
    match bytes {
        // A log under a few megabytes reads in well under a second: no bar.
        Some(total) if total >= 4 * 1024 * 1024 => styled(
            total,
            what,
            "{msg} {wide_bar} {bytes}/{total_bytes} ({eta})",
        ),
        _ => ProgressBar::hidden(),
    }
}

fn styled(total: u64, what: &str, template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() || std::env::var_os("NO_PROGRESS").is_some() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    // Drawn at once, so the person sees that work has started.
    bar.tick();
    bar
}
