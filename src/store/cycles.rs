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
            // Once per start: a cycle worker that died after recording its
            // row is reported again by the daemon (as failed, and with the
            // earlier pending rows it had already written); what was
            // recorded first stands.
            let existing: Option<i64> = conn
                .query_row(
                    "SELECT min(cycle_id) FROM cycle_log WHERE started_at = ?",
                    params![c.started_at],
                    |r| r.get(0),
                )
                .map_err(sql("look up cycle"))?;
            if let Some(id) = existing {
                return Ok(id);
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a cycle worker that dies after recording its cycle is
    /// reported again by the daemon (failed, with the rows it had already
    /// written as pending); each start is recorded once, the first record
    /// standing.
    #[tokio::test]
    async fn a_cycle_is_recorded_once_per_start() {
        let store = Store::open_in_memory().unwrap();
        let at = Utc::now();
        let row = |status: &str| CycleRow {
            started_at: at,
            finished_at: at,
            status: status.into(),
            sync: status.into(),
            score: status.into(),
            writeback: status.into(),
            error: None,
            api_requests: 1,
            writes: 0,
            clock: at,
        };
        let first = store.record_cycle(row("ok")).await.unwrap();
        let again = store.record_cycle(row("failed")).await.unwrap();
        assert_eq!(first, again);
        let r = store
            .query("cycles", "SELECT status FROM cycle_log", Vec::new())
            .await
            .unwrap();
        assert_eq!(r.rows, vec![vec![serde_json::json!("ok")]]);
        store.close().await;
    }
}
