//! The daemon's cycle log: one row per cycle, written at its end.

use chrono::{DateTime, Utc};
use duckdb::params;

use super::{sql, Store, StoreError};

/// One finished cycle.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CycleRow {
    /// When it began.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// `ok`, `failed` or `interrupted`.
    pub status: String,
    /// Per step: `ok`, `failed`, `skipped` or `interrupted`.
    pub sync: String,
    /// Score step outcome.
    pub score: String,
    /// Write-back step outcome.
    pub writeback: String,
    /// The first error.
    pub error: Option<String>,
    /// Requests made.
    pub api_requests: u64,
    /// Write requests made.
    pub writes: u64,
    /// The cycle's clock (src/clock.rs).
    pub clock: DateTime<Utc>,
}

impl Store {
    /// Appends a cycle; returns its id.
    pub async fn record_cycle(&self, c: CycleRow) -> Result<i64, StoreError> {
        self.check_writable()?;
        self.call(move |conn| {
            let id: i64 = conn
                .query_row("SELECT nextval('cycle_ids')", [], |r| r.get(0))
                .map_err(sql("allocate cycle id"))?;
            conn.execute(
                "INSERT INTO cycle_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    id,
                    c.started_at,
                    c.finished_at,
                    c.status,
                    c.sync,
                    c.score,
                    c.writeback,
                    c.error,
                    c.api_requests as i64,
                    c.writes as i64,
                    c.clock
                ],
            )
            .map_err(sql("record cycle"))?;
            Ok(id)
        })
        .await
    }
}
