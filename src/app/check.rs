//! The preflight use case (`recur check`, and the daemon at start): every
//! source's own checks (token, containers, labels or fields, issue forms,
//! write access, rate budget; see `Connector::preflight`) and whether the
//! database is writable and not held by another recur. Nothing is written
//! to a tracker.

use recur_core::Check;
use serde::Serialize;

use crate::settings::{Settings, SourceSettings};

use super::open_writer;

/// One source's checks.
#[derive(Debug, Clone, Serialize)]
pub struct SourceChecks {
    /// Source name.
    pub source: String,
    /// Its checks, in order.
    pub checks: Vec<Check>,
}

/// Everything `recur check` found.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    /// Every check passed.
    pub ok: bool,
    /// Per source.
    pub sources: Vec<SourceChecks>,
    /// The database.
    pub database: Check,
}

/// Runs the checks. `writes`: also check that each identity may write
/// (labels, comments), without writing.
pub async fn check(settings: &Settings, sources: &[&SourceSettings], writes: bool) -> Checked {
    let sources = check_sources(settings, sources, writes).await;
    let database = database_check(settings).await;
    let ok = database.ok && sources.iter().all(|s| s.checks.iter().all(|c| c.ok));
    Checked {
        ok,
        sources,
        database,
    }
}

/// The sources' checks only (the daemon, which holds the database itself,
/// runs these at start and logs what fails).
pub async fn check_sources(
    settings: &Settings,
    sources: &[&SourceSettings],
    writes: bool,
) -> Vec<SourceChecks> {
    let mut out = Vec::new();
    for source in sources {
        let checks = match crate::sources::connector(source, &settings.sync) {
            Ok(c) => c.preflight(writes).await,
            Err(e) => vec![Check::fail(
                "token",
                "",
                e.to_string(),
                "fix the source's configuration",
            )],
        };
        out.push(SourceChecks {
            source: source.name.clone(),
            checks,
        });
    }
    out
}

/// Writable, and not held by another recur.
async fn database_check(settings: &Settings) -> Check {
    let path = settings.store_path.display().to_string();
    match open_writer(settings, "check").await {
        Ok(w) => {
            w.store.close().await;
            Check::pass("database", &path, "writable, and no other recur holds it")
        }
        Err(super::Error::Locked(e)) => Check::fail(
            "database",
            &path,
            e.to_string(),
            "stop the other recur writing it (a daemon?), or run the check between its cycles",
        ),
        Err(e) => Check::fail(
            "database",
            &path,
            e.to_string(),
            "check [store] path: its directory must exist and be writable",
        ),
    }
}
