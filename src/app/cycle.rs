//! One daemon cycle as a use case: sync every source, score, and (when
//! `[daemon] writeback` is on) write back, in an open store, by one clock.
//! The daemon opens the store, records the outcome and keeps the metrics.

use std::time::Instant;

use crate::settings::Settings;
use crate::shutdown::is_requested;
use crate::store::Store;
use crate::sync::{SyncError, SyncReport};
use crate::writeback::WritebackReport;

use super::{Error, Run};

/// What one cycle did, step by step.
#[derive(Debug, Default)]
pub struct CycleOutcome {
    /// `ok`, `failed`, `skipped` or `interrupted` for sync, score and
    /// write-back.
    pub steps: [&'static str; 3],
    /// The first error, prefixed with its step.
    pub error: Option<String>,
    /// How long the sync step took, in seconds.
    pub sync_seconds: f64,
    /// The sources' sync reports.
    pub synced: Vec<SyncReport>,
    /// The sources' write-back reports.
    pub written: Vec<WritebackReport>,
}

impl CycleOutcome {
    /// Tracker requests made by sync and write-back.
    pub fn requests(&self) -> u64 {
        self.synced
            .iter()
            .map(|r| r.stats.api_requests)
            .sum::<u64>()
            + self.written.iter().map(|r| r.counts.requests).sum::<u64>()
    }

    /// Write requests made by write-back.
    pub fn writes(&self) -> u64 {
        self.written.iter().map(|r| r.counts.writes).sum()
    }
}

/// Runs one cycle; never fails, it reports. A step after a shutdown is
/// `skipped`, a step a shutdown cut short `interrupted`.
#[tracing::instrument(skip_all, fields(clock = %run.clock.now()))]
pub async fn cycle(store: &Store, settings: &Settings, run: &Run<'_>) -> CycleOutcome {
    let shutdown = &run.shutdown;
    let mut out = CycleOutcome::default();
    let sources: Vec<_> = settings.sources.iter().collect();

    let t = Instant::now();
    let sync = match super::sync(store, settings, &sources, false, run, None).await {
        Ok(reports) => {
            out.synced = reports;
            "ok"
        }
        Err(Error::Sync(SyncError::Interrupted)) => "interrupted",
        Err(e) => {
            out.error.get_or_insert(format!("sync: {e}"));
            "failed"
        }
    };
    // History backfill: part of the sync step; a failure is logged and
    // retried next cycle, never fails the cycle (the backlog is current).
    if sync == "ok" && settings.sync.backfill && !is_requested(shutdown) {
        if let Err(e) = super::backfill(store, settings, &sources, run).await {
            tracing::warn!(error = %e, "History backfill did not finish; it continues next cycle.");
        }
    }
    out.sync_seconds = t.elapsed().as_secs_f64();

    let score = if is_requested(shutdown) {
        "skipped"
    } else {
        // The first cycle also scores the past year's month ends.
        match super::score(store, settings, run.clock, false).await {
            Ok(_) => "ok",
            Err(e) => {
                out.error.get_or_insert(format!("score: {e}"));
                "failed"
            }
        }
    };

    let writeback = if !settings.daemon.writeback || is_requested(shutdown) {
        "skipped"
    } else {
        let (reports, err) =
            match super::writeback(store, settings, &sources, false, run, None).await {
                Ok(r) => (r, None),
                Err((r, e)) => (r, Some(e)),
            };
        let failed_ops: u64 = reports.iter().map(|r| r.counts.failed).sum();
        out.written = reports;
        match err {
            Some(_) if is_requested(shutdown) => "interrupted",
            Some(e) => {
                out.error.get_or_insert(format!("writeback: {e}"));
                "failed"
            }
            None if failed_ops > 0 => {
                out.error
                    .get_or_insert(format!("writeback: {failed_ops} operation(s) failed"));
                "failed"
            }
            None => "ok",
        }
    };
    out.steps = if is_requested(shutdown) {
        [sync, score, writeback].map(|s| if s == "ok" { s } else { "interrupted" })
    } else {
        [sync, score, writeback]
    };
    out
}
