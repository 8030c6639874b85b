//! Write-back bookkeeping: runs, the outbox, recur's label and comment
//! records, and the write-through that keeps `items.labels` equal to what
//! the tracker holds after each write. Every outcome and its write-through
//! land in one transaction, so a kill leaves either both or neither.

use chrono::{DateTime, Utc};
use duckdb::params;

use super::{sql, Store, StoreError};

/// One operation as stored in the outbox when the plan is recorded.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    /// Order within the run.
    pub seq: i64,
    /// Hash of (source, key, op, payload).
    pub idem_key: String,
    /// The item.
    pub key: String,
    /// `labels` or `comment`.
    pub op: String,
    /// Labels to add.
    pub labels_add: Vec<String>,
    /// Labels to remove.
    pub labels_remove: Vec<String>,
    /// The comment to edit, when known.
    pub comment_id: Option<String>,
    /// The summary state hash (comment ops).
    pub state_hash: Option<String>,
    /// The rendered summary (comment ops).
    pub body: Option<String>,
    /// Why.
    pub reason: String,
    /// `planned` or `deferred`.
    pub state: &'static str,
}

/// A label record change stored with the plan.
#[derive(Debug, Clone)]
pub struct LabelRecordRow {
    /// The item.
    pub key: String,
    /// The label.
    pub label: String,
    /// Its value.
    pub value_key: String,
    /// `applied` or `suppressed`.
    pub state: &'static str,
}

/// What happened to one operation, and what to write through.
#[derive(Debug, Clone, Default)]
pub struct OpOutcome {
    /// `applied`, `failed` or `skipped`.
    pub state: &'static str,
    /// HTTP status of a failure.
    pub http_status: Option<u16>,
    /// The error, in words.
    pub error: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// A write request reached the tracker (for `writeback_items`).
    pub wrote: bool,
    /// The item's labels after the write (write-through into `items`).
    pub labels_after: Option<Vec<String>>,
    /// Labels added, with their values (into `writeback_labels`).
    pub added: Vec<(String, String)>,
    /// Labels removed (out of `writeback_labels`).
    pub removed: Vec<String>,
    /// The comment written: id, state JSON, state hash.
    pub comment: Option<(String, String, String)>,
    /// The Last reviewed day written (write-through into `items`).
    pub last_reviewed: Option<chrono::NaiveDate>,
}

/// A run's final counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct WritebackCounts {
    /// Operations in the plan.
    pub planned: u64,
    /// Applied.
    pub applied: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped (item moved or deleted).
    pub skipped: u64,
    /// Left for the next run.
    pub deferred: u64,
    /// HTTP requests.
    pub requests: u64,
    /// Write requests.
    pub writes: u64,
    /// Requests sent again after a failure.
    pub retries: u64,
    /// Time spent pacing and waiting out limits, in milliseconds.
    pub waited_ms: u64,
}

impl Store {
    /// Records a run's plan: supersedes what earlier runs left pending,
    /// opens the run, stores its operations and the label record changes
    /// that need no request. Returns the run id.
    pub async fn writeback_begin(
        &self,
        source: &str,
        clock: DateTime<Utc>,
        ops: Vec<OutboxRow>,
        records: Vec<LabelRecordRow>,
        dropped: Vec<(String, String)>,
    ) -> Result<i64, StoreError> {
        self.check_writable()?;
        let source = source.to_string();
        self.call(move |conn| {
            let now = Utc::now();
            let tx = conn.transaction().map_err(sql("begin write-back plan"))?;
            tx.execute(
                "UPDATE writeback_outbox SET state = 'superseded' \
                 WHERE source = ? AND state IN ('planned', 'deferred')",
                params![source],
            )
            .map_err(sql("supersede pending operations"))?;
            let run_id: i64 = tx
                .query_row("SELECT nextval('writeback_run_ids')", [], |r| r.get(0))
                .map_err(sql("allocate write-back run id"))?;
            let deferred = ops.iter().filter(|o| o.state == "deferred").count() as i64;
            tx.execute(
                "INSERT INTO writeback_runs (run_id, source, started_at, status, planned, deferred, clock) \
                 VALUES (?, ?, ?, 'running', ?, ?, ?)",
                params![run_id, source, now, ops.len() as i64, deferred, clock],
            )
            .map_err(sql("record write-back run"))?;
            {
                let mut stmt = tx
                    .prepare(
                        "INSERT INTO writeback_outbox (run_id, seq, idem_key, source, key, op, \
                         labels_add, labels_remove, comment_id, state_hash, body, reason, state, planned_at) \
                         VALUES (?, ?, ?, ?, ?, ?, from_json(?, '[\"VARCHAR\"]'), from_json(?, '[\"VARCHAR\"]'), \
                                 ?, ?, ?, ?, ?, ?)",
                    )
                    .map_err(sql("prepare outbox insert"))?;
                for o in &ops {
                    stmt.execute(params![
                        run_id,
                        o.seq,
                        o.idem_key,
                        source,
                        o.key,
                        o.op,
                        serde_json::to_string(&o.labels_add).unwrap_or_default(),
                        serde_json::to_string(&o.labels_remove).unwrap_or_default(),
                        o.comment_id,
                        o.state_hash,
                        o.body,
                        o.reason,
                        o.state,
                        now,
                    ])
                    .map_err(sql("store planned operation"))?;
                }
            }
            for r in &records {
                tx.execute(
                    "INSERT INTO writeback_labels (source, key, label, value_key, state, changed_at) \
                     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, key, label) DO UPDATE SET \
                     value_key = excluded.value_key, state = excluded.state, changed_at = excluded.changed_at",
                    params![source, r.key, r.label, r.value_key, r.state, now],
                )
                .map_err(sql("record label state"))?;
            }
            for (key, label) in &dropped {
                tx.execute(
                    "DELETE FROM writeback_labels WHERE source = ? AND key = ? AND label = ?",
                    params![source, key, label],
                )
                .map_err(sql("drop label record"))?;
            }
            tx.commit().map_err(sql("commit write-back plan"))?;
            Ok(run_id)
        })
        .await
    }

    /// Marks an operation as about to be sent.
    pub async fn writeback_sending(&self, run_id: i64, seq: i64) -> Result<(), StoreError> {
        self.check_writable()?;
        self.call(move |conn| {
            conn.execute(
                "UPDATE writeback_outbox SET state = 'sending', attempts = attempts + 1 \
                 WHERE run_id = ? AND seq = ?",
                params![run_id, seq],
            )
            .map_err(sql("mark operation sending"))?;
            Ok(())
        })
        .await
    }

    /// Records an operation's outcome and writes it through, in one transaction.
    pub async fn writeback_record(
        &self,
        run_id: i64,
        seq: i64,
        source: &str,
        key: &str,
        outcome: OpOutcome,
    ) -> Result<(), StoreError> {
        self.check_writable()?;
        let (source, key) = (source.to_string(), key.to_string());
        self.call(move |conn| {
            let now: DateTime<Utc> = Utc::now();
            let tx = conn.transaction().map_err(sql("begin outcome"))?;
            tx.execute(
                "UPDATE writeback_outbox SET state = ?, http_status = ?, error = ?, applied_at = ?, \
                 attempts = greatest(attempts, ?), comment_id = coalesce(?, comment_id) \
                 WHERE run_id = ? AND seq = ?",
                params![
                    outcome.state,
                    outcome.http_status.map(i32::from),
                    outcome.error,
                    now,
                    outcome.attempts as i32,
                    outcome.comment.as_ref().map(|c| c.0.clone()),
                    run_id,
                    seq
                ],
            )
            .map_err(sql("record operation outcome"))?;
            if let Some(labels) = &outcome.labels_after {
                tx.execute(
                    "UPDATE items SET labels = from_json(?, '[\"VARCHAR\"]') WHERE source = ? AND key = ?",
                    params![serde_json::to_string(labels).unwrap_or_default(), source, key],
                )
                .map_err(sql("write labels through"))?;
            }
            if let Some(day) = outcome.last_reviewed {
                tx.execute(
                    "UPDATE items SET last_reviewed_at = CAST(? AS DATE) WHERE source = ? AND key = ?",
                    params![day.to_string(), source, key],
                )
                .map_err(sql("write Last reviewed through"))?;
            }
            for (label, value_key) in &outcome.added {
                tx.execute(
                    "INSERT INTO writeback_labels (source, key, label, value_key, state, changed_at) \
                     VALUES (?, ?, ?, ?, 'applied', ?) ON CONFLICT (source, key, label) DO UPDATE SET \
                     value_key = excluded.value_key, state = 'applied', changed_at = excluded.changed_at",
                    params![source, key, label, value_key, now],
                )
                .map_err(sql("record added label"))?;
            }
            for label in &outcome.removed {
                tx.execute(
                    "DELETE FROM writeback_labels WHERE source = ? AND key = ? AND lower(label) = lower(?)",
                    params![source, key, label],
                )
                .map_err(sql("forget removed label"))?;
            }
            if let Some((id, state_json, hash)) = &outcome.comment {
                tx.execute(
                    "INSERT INTO writeback_comments (source, key, comment_id, state_json, state_hash, written_at) \
                     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, key) DO UPDATE SET \
                     comment_id = excluded.comment_id, state_json = excluded.state_json, \
                     state_hash = excluded.state_hash, written_at = excluded.written_at",
                    params![source, key, id, state_json, hash, now],
                )
                .map_err(sql("record summary comment"))?;
            }
            if outcome.wrote {
                tx.execute(
                    "INSERT INTO writeback_items (source, key, last_write_at) VALUES (?, ?, ?) \
                     ON CONFLICT (source, key) DO UPDATE SET last_write_at = excluded.last_write_at",
                    params![source, key, now],
                )
                .map_err(sql("record write time"))?;
            }
            tx.commit().map_err(sql("commit outcome"))?;
            Ok(())
        })
        .await
    }

    /// Closes a run with its counts.
    pub async fn writeback_finish(
        &self,
        run_id: i64,
        counts: WritebackCounts,
        status: &str,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        self.check_writable()?;
        let status = status.to_string();
        self.call(move |conn| {
            conn.execute(
                "UPDATE writeback_runs SET finished_at = ?, status = ?, applied = ?, failed = ?, \
                 skipped = ?, deferred = ?, requests = ?, writes = ?, retries = ?, waited_ms = ?, \
                 error = ? WHERE run_id = ?",
                params![
                    Utc::now(),
                    status,
                    counts.applied as i64,
                    counts.failed as i64,
                    counts.skipped as i64,
                    counts.deferred as i64,
                    counts.requests as i64,
                    counts.writes as i64,
                    counts.retries as i64,
                    counts.waited_ms as i64,
                    error,
                    run_id
                ],
            )
            .map_err(sql("finish write-back run"))?;
            Ok(())
        })
        .await
    }

    /// Content creations write-back sent for `source` since `since`
    /// (oldest first), for the pacer's per-hour window; drops rows older
    /// than a day on the way.
    pub async fn writeback_creations_since(
        &self,
        source: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        let source = source.to_string();
        let writable = self.check_writable().is_ok();
        let cutoff = since - chrono::Duration::days(1);
        self.call(move |conn| {
            if writable {
                conn.execute(
                    "DELETE FROM writeback_creations WHERE sent_at < ?",
                    params![cutoff],
                )
                .ok();
            }
            let mut stmt = conn
                .prepare("SELECT sent_at FROM writeback_creations WHERE source = ? AND sent_at >= ? ORDER BY sent_at")
                .map_err(sql("read recent creations"))?;
            let rows = stmt
                .query_map(params![source, since], |r| r.get::<_, DateTime<Utc>>(0))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(sql("read recent creations"))?;
            Ok(rows)
        })
        .await
    }

    /// Records one content creation sent for `source` at `at`.
    pub async fn record_creation(&self, source: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.check_writable()?;
        let source = source.to_string();
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO writeback_creations VALUES (?, ?)",
                params![source, at],
            )
            .map_err(sql("record a creation"))?;
            Ok(())
        })
        .await
    }
}
