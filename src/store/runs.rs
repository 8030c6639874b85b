//! Sync bookkeeping: runs, cursors, per-source state (rate limits, when the
//! last reconciliation happened), and the reads `recur status` needs.

use chrono::{DateTime, Utc};
use duckdb::{params, Connection, OptionalExt};
use recur_core::RateLimit;
use serde::Serialize;

use super::{sql, Store, StoreError};

/// Counters of one sync run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunStats {
    /// HTTP requests sent (including retries and 304s).
    pub api_requests: u64,
    /// Requests answered 304 Not Modified.
    pub not_modified: u64,
    /// Items listed (pull requests excluded).
    pub items_seen: u64,
    /// Items new or changed.
    pub items_upserted: u64,
    /// Pull requests dropped.
    pub pull_requests: u64,
    /// Entries that could not be mapped.
    pub malformed: u64,
    /// Requests retried.
    pub retries: u64,
    /// Milliseconds spent waiting on rate limits and backoff.
    pub waited_ms: u64,
}

/// What `recur status` shows for one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    /// Source name.
    pub source: String,
    /// End of the last successful sync.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Status of the last run.
    pub last_status: Option<String>,
    /// Error of the last run, if it failed.
    pub last_error: Option<String>,
    /// Items stored, by tracking state.
    pub items_tracked: i64,
    /// Items no longer tracked, deleted or transferred.
    pub items_other: i64,
    /// API requests of the last run.
    pub last_api_requests: i64,
    /// Rate limit left when last seen.
    pub rate_remaining: Option<i64>,
    /// Rate limit per window when last seen.
    pub rate_limit: Option<i64>,
    /// When that window resets.
    pub rate_reset: Option<DateTime<Utc>>,
}

/// last_success_at, rate_remaining, rate_limit, rate_reset.
type SourceStateRow = (
    Option<DateTime<Utc>>,
    Option<i64>,
    Option<i64>,
    Option<DateTime<Utc>>,
);

pub(crate) fn put_cursor(
    conn: &Connection,
    source: &str,
    container: &str,
    state: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT OR REPLACE INTO cursors VALUES (?, ?, ?, ?)",
        params![source, container, state.to_string(), now],
    )
    .map_err(sql("save cursor"))?;
    Ok(())
}

impl Store {
    /// The cursor of one container, if any.
    pub async fn cursor(
        &self,
        source: &str,
        container: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let (source, container) = (source.to_string(), container.to_string());
        self.call(move |conn| {
            let text: Option<String> = conn
                .query_row(
                    "SELECT state FROM cursors WHERE source = ? AND container = ?",
                    params![source, container],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql("read cursor"))?;
            text.map(|t| {
                serde_json::from_str(&t).map_err(|e| StoreError::Corrupt {
                    what: format!("cursor of {source}/{container}"),
                    detail: e.to_string(),
                })
            })
            .transpose()
        })
        .await
    }

    /// Starts a sync run and returns its id.
    pub async fn begin_run(
        &self,
        source: &str,
        full: bool,
        clock: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.check_writable()?;
        let source = source.to_string();
        self.call(move |conn| {
            // A run left `running` was killed; say so instead of leaving it open.
            conn.execute(
                "UPDATE sync_run_log SET status = 'interrupted' WHERE source = ? AND status = 'running'",
                params![source],
            )
            .map_err(sql("close interrupted runs"))?;
            conn.query_row(
                "INSERT INTO sync_run_log (id, source, started_at, status, full_sync, clock) \
                 VALUES (nextval('sync_run_ids'), ?, now(), 'running', ?, ?) RETURNING id",
                params![source, full, clock],
                |r| r.get(0),
            )
            .map_err(sql("start sync run"))
        })
        .await
    }

    /// Records the end of a sync run.
    pub async fn finish_run(
        &self,
        run_id: i64,
        stats: RunStats,
        reconciled: bool,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        self.check_writable()?;
        self.call(move |conn| {
            let status = if error.is_some() { "failed" } else { "ok" };
            conn.execute(
                "UPDATE sync_run_log SET finished_at = now(), status = ?, reconciled = ?, api_requests = ?, \
                 not_modified = ?, items_seen = ?, items_upserted = ?, pull_requests = ?, malformed = ?, \
                 retries = ?, waited_ms = ?, error = ? WHERE id = ?",
                params![
                    status,
                    reconciled,
                    stats.api_requests as i64,
                    stats.not_modified as i64,
                    stats.items_seen as i64,
                    stats.items_upserted as i64,
                    stats.pull_requests as i64,
                    stats.malformed as i64,
                    stats.retries as i64,
                    stats.waited_ms as i64,
                    error,
                    run_id
                ],
            )
            .map_err(sql("finish sync run"))?;
            Ok(())
        })
        .await
    }

    /// Updates per-source state after a run.
    pub async fn record_source_state(
        &self,
        source: &str,
        rate: Option<RateLimit>,
        success: bool,
        reconciled: bool,
    ) -> Result<(), StoreError> {
        self.check_writable()?;
        let source = source.to_string();
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO source_state (source, updated_at) VALUES (?, now()) ON CONFLICT DO NOTHING",
                params![source],
            )
            .map_err(sql("create source state"))?;
            if let Some(rate) = rate {
                conn.execute(
                    "UPDATE source_state SET rate_limit = ?, rate_remaining = ?, rate_reset = ? WHERE source = ?",
                    params![rate.limit, rate.remaining, rate.reset, source],
                )
                .map_err(sql("save rate limit"))?;
            }
            if success {
                conn.execute(
                    "UPDATE source_state SET last_success_at = now(), updated_at = now(), \
                     syncs_since_reconcile = CASE WHEN ? THEN 0 ELSE syncs_since_reconcile + 1 END \
                     WHERE source = ?",
                    params![reconciled, source],
                )
                .map_err(sql("save source state"))?;
            }
            Ok(())
        })
        .await
    }

    /// Successful syncs since the last reconciliation (`None` if never synced).
    pub async fn syncs_since_reconcile(&self, source: &str) -> Result<Option<i64>, StoreError> {
        let source = source.to_string();
        self.call(move |conn| {
            conn.query_row(
                "SELECT syncs_since_reconcile FROM source_state WHERE source = ?",
                params![source],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql("read source state"))
        })
        .await
    }

    /// Keys of tracked items in one container not seen since `since` (the
    /// start of a reconciling pass): candidates for a one-by-one lookup.
    pub async fn unseen_tracked_keys(
        &self,
        source: &str,
        container: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let (source, container) = (source.to_string(), container.to_string());
        self.call(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT key FROM items WHERE source = ? AND container = ? AND tracking = 'tracked' \
                     AND last_synced_at < ? ORDER BY key",
                )
                .map_err(sql("list unseen keys"))?;
            let keys = stmt
                .query_map(params![source, container, since], |r| r.get::<_, String>(0))
                .map_err(sql("list unseen keys"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(sql("list unseen keys"))?;
            Ok(keys)
        })
        .await
    }

    /// Per-source status for `recur status`, for the named sources.
    pub async fn source_status(
        &self,
        sources: Vec<String>,
    ) -> Result<Vec<SourceStatus>, StoreError> {
        self.call(move |conn| {
            let mut out = Vec::new();
            for source in sources {
                let (tracked, other): (i64, i64) = conn
                    .query_row(
                        "SELECT count(*) FILTER (WHERE tracking = 'tracked'), count(*) FILTER (WHERE tracking <> 'tracked') \
                         FROM items WHERE source = ?",
                        params![source],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .map_err(sql("count items"))?;
                let last: Option<(Option<String>, Option<String>, i64)> = conn
                    .query_row(
                        "SELECT status, error, api_requests FROM sync_run_log WHERE source = ? ORDER BY id DESC LIMIT 1",
                        params![source],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(sql("read last run"))?;
                let state: Option<SourceStateRow> = conn
                    .query_row(
                        "SELECT last_success_at, rate_remaining, rate_limit, rate_reset FROM source_state WHERE source = ?",
                        params![source],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()
                    .map_err(sql("read source state"))?;
                let (last_status, last_error, last_api_requests) = last.unwrap_or((None, None, 0));
                let (last_success_at, rate_remaining, rate_limit, rate_reset) =
                    state.unwrap_or((None, None, None, None));
                out.push(SourceStatus {
                    source,
                    last_success_at,
                    last_status,
                    last_error,
                    items_tracked: tracked,
                    items_other: other,
                    last_api_requests,
                    rate_remaining,
                    rate_limit,
                    rate_reset,
                });
            }
            Ok(out)
        })
        .await
    }
}
