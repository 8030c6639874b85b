//! Log set-up: tracing-subscriber to stderr, human or JSON lines, filtered
//! by `RECUR_LOG` (an env-filter directive) or the configured level.

use tracing_subscriber::EnvFilter;

use crate::settings::LogSettings;

/// Installs the global subscriber; a second call is a no-op (tests).
pub fn init(log: &LogSettings) {
    let filter = std::env::var("RECUR_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| {
            // Octocrab and hyper are chatty at debug; keep them at warn
            // unless asked for explicitly.
            EnvFilter::try_new(format!("{},hyper=warn,octocrab=warn,tower=warn", log.level))
                .unwrap_or_else(|_| EnvFilter::new("info"))
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if log.json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.with_target(false).try_init()
    };
}
