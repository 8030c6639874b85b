//! The use cases, one function each: [`sync`], [`backfill`], [`score`], [`writeback`],
//! [`report`] / [`review`], [`record_review`], and one daemon [`cycle`]. Each takes an open
//! [`Store`], the settings, and (where it waits or can be stopped) a
//! [`Sleeper`](crate::shutdown::Sleeper) and a
//! [`Shutdown`](crate::shutdown::Shutdown); none prints. The command line,
//! the daemon, the demo and the benchmark all call down into this layer,
//! and [`Error`] carries the exit code they end with.
//!
//! Opening the store is here too ([`open_writer`], [`open_reader`]): one
//! writer per file (the lock), readers that wait for a writer's cycle.

mod backfill;
mod check;
mod cycle;
mod report;
mod review;
mod score;
mod sync;
mod writeback;

use std::time::Duration;

pub use backfill::backfill;
pub use check::{check, check_sources, Checked, SourceChecks};
pub use cycle::{cycle, CycleOutcome};
pub use report::{report_into, review};
pub use review::{record_review, ReviewSelection, Reviewed};
pub use score::score;
pub use sync::sync;
pub use writeback::writeback;

use crate::clock::Clock;
use crate::settings::{ConfigError, Settings, SourceSettings};
use crate::shutdown::{Shutdown, Sleeper};
use crate::store::{LockError, OpenMode, Store, StoreError, WriterLock};
use crate::sync::SyncError;

/// What a use case runs with besides the store and the settings: how it
/// waits (tests record waits instead of sleeping), when it must stop, and
/// the run's one clock.
#[derive(Clone)]
pub struct Run<'a> {
    /// Waits between attempts and for pacing.
    pub sleeper: &'a dyn Sleeper,
    /// Fires when the run must stop at its next safe point.
    pub shutdown: Shutdown,
    /// The run's "now".
    pub clock: Clock,
}

/// Learns each source's name (with 0), then its running item count.
pub type Progress<'a> = &'a (dyn Fn(&str, u64) + Sync);

/// Learns each source's name with its write-back operations settled so far
/// and to send in all (0 of N first).
pub type WritebackProgress<'a> = &'a (dyn Fn(&str, u64, u64) + Sync);

/// How long read-only commands wait for a writer (a daemon cycle) to finish.
pub const READ_PATIENCE: Duration = Duration::from_secs(120);

/// A failure with its exit code: 2 for what the user must fix (the
/// configuration, the command line, a file held by another recur, a
/// repository or project that does not exist), 1 for failures at run time.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad configuration: exit 2.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Wrong use of the command: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The database could not be opened or used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A sync failed: exit 1 (2 for a repository or project that does not exist).
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// Another recur process holds the writer lock: exit 2.
    #[error(transparent)]
    Locked(#[from] LockError),
    /// Anything else at run time: exit 1.
    #[error("{0}")]
    Runtime(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        let user_must_fix = |s: &StoreError| {
            matches!(
                s,
                StoreError::Locked { .. }
                    | StoreError::NotADatabase { .. }
                    | StoreError::NewerSchema { .. }
                    | StoreError::OlderSchema { .. }
            )
        };
        match self {
            Error::Config(_) | Error::Usage(_) => 2,
            Error::Locked(LockError::Held { .. }) => 2,
            Error::Store(s) | Error::Sync(SyncError::Store(s)) if user_must_fix(s) => 2,
            Error::Sync(SyncError::Connector(recur_core::ConnectorError::NotFound { .. })) => 2,
            _ => 1,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Runtime(e.to_string())
    }
}

impl From<crate::reports::ReportError> for Error {
    fn from(e: crate::reports::ReportError) -> Self {
        match e {
            crate::reports::ReportError::Query(s) => Error::Store(s),
            e if e.is_usage() => Error::Usage(e.to_string()),
            e => Error::Runtime(e.to_string()),
        }
    }
}

/// The database opened for writing, with the writer lock held for as long
/// as it lives.
pub struct Writing {
    /// The open store.
    pub store: Store,
    _lock: WriterLock,
}

impl Writing {
    /// The store and the lock apart, for a caller that closes the store
    /// before it lets the lock go.
    pub fn into_parts(self) -> (Store, WriterLock) {
        (self.store, self._lock)
    }
}

/// DuckDB's memory during a sync or a backfill (see [`Store::cap_memory`]):
/// its merges of batches of at most 2,000 rows and 16 MB of text need
/// little, and the reports keep the configured `[store] memory_limit`.
/// Measured (release, first sync, alternating runs, raw JSON as zstd):
/// 192 → 128MB took the peak RSS from 331–338 to 267–269 MB at 100k
/// issues and from 364 to 293 MB at 1M, at 5.4–5.9 s against 5.6–6.3 s and
/// 56.5 s against 57.7–59.0 s.
const MERGE_MEMORY: u64 = 128 << 20;

/// Runs `work` (a sync or a backfill: batches merged into the store) with
/// DuckDB on one worker thread and at most [`MERGE_MEMORY`], and puts both
/// back after, whatever the outcome: their merges are small statements that gain little from a
/// second worker, while fetching and parsing need a core of their own (see
/// [`Store::set_threads`]; measured on two cores: first sync 14 %, backfill
/// 11 % faster, less memory).
async fn as_merges<T>(
    store: &Store,
    settings: &Settings,
    work: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let pool = store.set_threads(1).await?;
    let capped = match store.cap_memory(MERGE_MEMORY).await {
        Ok(c) => c,
        Err(e) => {
            store.set_threads(pool).await?;
            return Err(e.into());
        }
    };
    let outcome = work.await;
    // The WAL it wrote (up to 1GB on a first sync) is checkpointed under
    // the cap too, not at close under the full limit. Measured (release,
    // first sync, alternating runs): 100k issues 430 → 336 MB peak, 6.6 →
    // 6.9 s; 1M issues 661 → 370 MB, 70.2 → 73.9 s.
    let (checkpointed, restored) = if capped {
        (
            store.checkpoint().await,
            store.set_memory_limit(&settings.memory_limit).await,
        )
    } else {
        (Ok(()), Ok(()))
    };
    let pooled = store.set_threads(pool).await;
    // The work's own error first: it says what went wrong with the sync.
    let value = outcome?;
    checkpointed?;
    restored?;
    pooled?;
    Ok(value)
}

/// Takes the writer lock (naming `role` in the lock file) and opens the
/// database read-write: a second writer is refused at once, with the
/// holder's PID.
pub async fn open_writer(settings: &Settings, role: &str) -> Result<Writing, Error> {
    let lock = WriterLock::acquire(&settings.store_path, role)?;
    let store = Store::open(
        &settings.store_path,
        OpenMode::ReadWrite,
        &settings.memory_limit,
    )
    .await?;
    Ok(Writing { store, _lock: lock })
}

/// Opens the database read-only; while a daemon cycle (or another writer)
/// holds it, waits up to `patience`, saying so once on stderr.
pub async fn open_reader(settings: &Settings, patience: Duration) -> Result<Store, Error> {
    let path = &settings.store_path;
    let start = std::time::Instant::now();
    let mut said = false;
    loop {
        match Store::open(path, OpenMode::ReadOnly, &settings.memory_limit).await {
            Err(StoreError::Locked { .. }) if start.elapsed() < patience => {
                if !said {
                    eprintln!(
                        "{} is being written (a daemon cycle?); waiting up to {}s...",
                        path.display(),
                        patience.as_secs()
                    );
                    said = true;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => return Ok(other?),
        }
    }
}

/// The sources a command runs for: the one named `only`, or all of them.
pub fn sources<'a>(
    settings: &'a Settings,
    only: Option<&str>,
) -> Result<Vec<&'a SourceSettings>, Error> {
    let sources: Vec<_> = match only {
        Some(name) => vec![settings.source(name).ok_or_else(|| {
            Error::Usage(format!(
                "no source named {name:?} in the configuration (have: {})",
                settings
                    .sources
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?],
        None => settings.sources.iter().collect(),
    };
    if sources.is_empty() {
        return Err(Error::Usage(
            "the configuration has no [sources.*] table; see `recur init`".into(),
        ));
    }
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn setting(store: &Store, name: &str) -> String {
        let r = store
            .query(
                "setting",
                &format!("SELECT current_setting('{name}')::VARCHAR"),
                Vec::new(),
            )
            .await
            .unwrap();
        r.rows[0][0].as_str().unwrap().to_string()
    }

    /// A sync runs on one DuckDB worker under the merge cap, and the
    /// configured limit and pool come back after, also when it fails.
    #[tokio::test]
    async fn a_sync_runs_capped_and_puts_the_configured_limit_back_even_on_failure() {
        let settings = Settings::from_toml("").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            &dir.path().join("c.duckdb"),
            OpenMode::ReadWrite,
            &settings.memory_limit,
        )
        .await
        .unwrap();
        store.set_threads(2).await.unwrap();
        let (limit, threads) = (
            setting(&store, "memory_limit").await,
            setting(&store, "threads").await,
        );
        let inside = as_merges(&store, &settings, async {
            let seen = (
                setting(&store, "memory_limit").await,
                setting(&store, "threads").await,
            );
            Err::<(), _>(Error::Runtime(format!("{seen:?}")))
        })
        .await;
        let Err(Error::Runtime(seen)) = inside else {
            panic!("{inside:?}")
        };
        assert_eq!(seen, r#"("128.0 MiB", "1")"#);
        assert_eq!(setting(&store, "memory_limit").await, limit);
        assert_eq!(setting(&store, "threads").await, threads);
        store.close().await;
    }
}
