//! Notices and progress bars on standard error, behind one switch: `--quiet` silences
//! both, so that standard output can carry data and scripts see only errors.

use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// `eprintln!` unless `--quiet`.
#[macro_export]
macro_rules! notice {
    ($($arg:tt)*) => {
        if !$crate::notice::is_quiet() {
            eprintln!($($arg)*);
        }
    };
}

/// A progress bar on standard error: `template` with `{bar}`, `{pos}`, `{len}`, `{eta}`…
/// Hidden when quiet, and by indicatif itself when standard error is not a terminal.
pub fn progress(len: u64, template: &str) -> indicatif::ProgressBar {
    if is_quiet() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}
