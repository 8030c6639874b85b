//! Log set-up: tracing-subscriber to stderr, human or JSON lines, with
//! the level from, first to last: `-q`/`-v`/`-vv` on the command line,
//! `RECUR_LOG` (an env-filter directive), `[log] level`. The flag wins
//! because it is the most deliberate and the most local choice: someone who
//! types `-v` wants to see more now, whatever the environment of the
//! service account says.
//!
//! Colour (ANSI escapes) only when stderr is a terminal and `NO_COLOR` is
//! unset or empty (<https://no-color.org>): redirected to a file, a pipe or
//! journald, stderr is not a terminal, so the lines stay plain text. JSON
//! lines never carry colour.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::settings::LogSettings;

/// The level asked for on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// No flag: `RECUR_LOG`, else `[log] level`.
    #[default]
    Configured,
    /// `-q`: errors only (and no progress bars).
    Quiet,
    /// `-v`: debug for recur, the HTTP stack kept at warn.
    Debug,
    /// `-vv` (or more): trace for everything, HTTP stack included.
    Trace,
}

impl Verbosity {
    /// From `-q` and the number of `-v`.
    pub fn from_flags(quiet: bool, verbose: u8) -> Self {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Configured,
            (false, 1) => Verbosity::Debug,
            (false, _) => Verbosity::Trace,
        }
    }
}

/// Octocrab and hyper are chatty at debug; keep them at warn unless asked
/// for explicitly (`RECUR_LOG`, `-vv`).
fn with_quiet_deps(level: &str) -> String {
    format!("{level},hyper=warn,octocrab=warn,tower=warn")
}

/// The env-filter directive in force: the flag, else `recur_log` (when it
/// parses), else the configured level.
pub fn directive(log: &LogSettings, verbosity: Verbosity, recur_log: Option<&str>) -> String {
    match verbosity {
        Verbosity::Quiet => "error".into(),
        Verbosity::Debug => with_quiet_deps("debug"),
        Verbosity::Trace => "trace".into(),
        Verbosity::Configured => match recur_log.filter(|v| EnvFilter::try_new(v).is_ok()) {
            Some(v) => v.to_string(),
            None => with_quiet_deps(&log.level),
        },
    }
}

/// Whether log lines get ANSI colour: only on a terminal, never with
/// `NO_COLOR` set to anything but the empty string.
pub fn colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Installs the global subscriber; a second call is a no-op (tests).
pub fn init(log: &LogSettings, verbosity: Verbosity) {
    let recur_log = std::env::var("RECUR_LOG").ok();
    let filter = EnvFilter::try_new(directive(log, verbosity, recur_log.as_deref()))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = !log.json
        && colour(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = if log.json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.with_target(false).try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    fn level(l: &str) -> LogSettings {
        LogSettings {
            json: false,
            level: l.into(),
        }
    }

    /// Flag, then RECUR_LOG, then [log] level; a RECUR_LOG that does not
    /// parse is ignored rather than silencing everything.
    #[test]
    fn the_flag_beats_recur_log_which_beats_the_file() {
        let warn = level("warn");
        assert!(directive(&warn, Verbosity::Configured, None).starts_with("warn,"));
        assert_eq!(
            directive(&warn, Verbosity::Configured, Some("recur=trace")),
            "recur=trace"
        );
        assert!(directive(&warn, Verbosity::Configured, Some("=[bad")).starts_with("warn,"));
        assert_eq!(
            directive(&warn, Verbosity::Quiet, Some("recur=trace")),
            "error"
        );
        assert!(directive(&warn, Verbosity::Debug, Some("error")).starts_with("debug,"));
        assert_eq!(directive(&warn, Verbosity::Trace, Some("error")), "trace");
        assert_eq!(Verbosity::from_flags(false, 0), Verbosity::Configured);
        assert_eq!(Verbosity::from_flags(false, 1), Verbosity::Debug);
        assert_eq!(Verbosity::from_flags(false, 3), Verbosity::Trace);
        assert_eq!(Verbosity::from_flags(true, 0), Verbosity::Quiet);
    }

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        assert!(colour(true, None));
        assert!(
            colour(true, Some(OsStr::new(""))),
            "empty NO_COLOR is unset"
        );
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(!colour(false, None), "a file, a pipe, journald");
        assert!(!colour(false, Some(OsStr::new("1"))));
    }
}
