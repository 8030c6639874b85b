//! Write-back: labels under recur's prefix and one summary comment per
//! flagged item, written to the trackers through an outbox.
//!
//! A run for one source: read the desired state (SQL in
//! `queries/writeback/`) and the current state (the store, which keeps
//! `items.labels` current by writing each change through) → compute the
//! difference ([`plan`]) → store the plan in the outbox → send the
//! operations one at a time, paced, with the shared retry policy → record
//! each outcome together with its write-through. Nothing is written when
//! nothing changed; a dry run stops after the plan.
//!
//! Why each piece is there:
//! - a person who removes a recur label is respected: recur remembers the
//!   value each label it added stood for, and adds it again only when that
//!   value changes (`writeback_labels`);
//! - the summary comment is found by paging through every comment (the
//!   marker on GitHub, the comment property on Jira) whenever recur does
//!   not know its id, and before any create that follows a failure, so a
//!   kill or a lost answer never leaves two;
//! - recur's own edits bump `updated_at`; the sync keeps `activity_at`
//!   still for them (`writeback_items`), and recur's labels are not part of
//!   the content hash, so they neither look like human activity nor start
//!   new writes.

mod apply;
mod pacer;
mod plan;
mod summary;

use std::collections::HashSet;
use std::time::Duration;

use recur_core::{ConnectorError, Writer};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::settings::{Deadlines, SyncSettings};
pub use crate::settings::{WritebackSettings, FLAGS};
use crate::shutdown::{Shutdown, Sleeper};

use crate::store::{LabelRecordRow, OpOutcome, OutboxRow, Store, StoreError, WritebackCounts};
use apply::{OpError, Run};
use pacer::Pacer;

pub use plan::{OpKind, Plan, PlannedOp};
pub use summary::{render as render_summary, sig3, FlagLine, SummaryState};

/// Why a write-back run stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WritebackError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The tracker refused the token: no later write would succeed.
    #[error("{0}; write-back stopped, nothing further was written")]
    Unauthorized(ConnectorError),
    /// Shutdown was requested; every recorded outcome stands.
    #[error("interrupted by shutdown")]
    Interrupted,
    /// The token's own identity could not be learnt, so recur's summary
    /// comments cannot be told from planted look-alikes: nothing is written.
    #[error("{0}; write-back stopped before writing anything")]
    Identity(String),
}

/// One line of the plan, for display.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    /// Source name.
    pub source: String,
    /// The item.
    pub key: String,
    /// `labels` or `comment`.
    pub op: String,
    /// `+label -label`, or the comment action.
    pub change: String,
    /// Why.
    pub reason: String,
    /// `planned`, `deferred`, or after a run `applied`/`failed`/`skipped`.
    pub state: String,
    /// The error of a failed or skipped operation.
    pub error: Option<String>,
}

/// What one run did (or, for a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct WritebackReport {
    /// Source name.
    pub source: String,
    /// The run id (`None` for a dry run).
    pub run_id: Option<i64>,
    /// Counts.
    pub counts: WritebackCounts,
    /// The operations.
    pub rows: Vec<PlanRow>,
    /// Labels left off because a person removed them: (key, label).
    pub suppressed: Vec<(String, String)>,
    /// Items whose labels the tracker cannot take: (key, why).
    pub invalid: Vec<(String, String)>,
    /// The first comment written, rendered (for the demo).
    pub sample_comment: Option<(String, String)>,
}

impl WritebackReport {
    /// True when some operation failed.
    pub fn has_failures(&self) -> bool {
        self.counts.failed > 0
    }
}

/// Learns, as a run writes, how many of its operations are settled and how
/// many it sends in all (a progress display; the feature itself prints
/// nothing).
pub type OpProgress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// One write-back run of one source.
pub struct WritebackJob<'a> {
    /// The database.
    pub store: &'a Store,
    /// The tracker.
    pub writer: &'a dyn Writer,
    /// `[writeback]`.
    pub settings: &'a WritebackSettings,
    /// Retry policy (`[sync]`: retries, backoff, longest wait).
    pub retry: &'a SyncSettings,
    /// Deadlines for `overdue`.
    pub deadlines: &'a Deadlines,
    /// How to wait.
    pub sleeper: &'a dyn Sleeper,
    /// The run's clock: "today" for overdue and stale-review, recorded with
    /// the run.
    pub clock: crate::clock::Clock,
    /// Plan only.
    pub dry_run: bool,
}

impl WritebackJob<'_> {
    fn source(&self) -> &str {
        self.writer.source_name()
    }

    /// Records a content creation for the per-hour window of later runs.
    /// A failure to record costs only that memory, never the write.
    async fn creation_sent(&self) {
        if let Err(e) = self
            .store
            .record_creation(self.source(), chrono::Utc::now())
            .await
        {
            tracing::warn!(source = %self.source(), error = %e, "Could not record a creation for the hourly window.");
        }
    }

    /// Plans, and unless this is a dry run, writes.
    pub async fn run(&self, shutdown: Shutdown) -> Result<WritebackReport, WritebackError> {
        self.run_with_progress(shutdown, None).await
    }

    /// [`run`](Self::run), telling `progress` how many operations are
    /// settled out of how many this run sends (nothing for a dry run).
    pub async fn run_with_progress(
        &self,
        shutdown: Shutdown,
        progress: Option<OpProgress<'_>>,
    ) -> Result<WritebackReport, WritebackError> {
        let source = self.source().to_string();
        let inputs = plan::load(
            self.store,
            &source,
            self.clock.today(),
            self.settings,
            self.deadlines,
        )
        .await?;
        let writer = self.writer;
        let plan = plan::compute(
            inputs,
            self.settings,
            &|l| writer.check_label(l),
            writer.combined_label_edits(),
        );
        for (key, why) in &plan.invalid {
            tracing::warn!(source = %source, key = %key, reason = %why, "Labels not written: the tracker cannot take them.");
        }
        let budget = self.settings.max_operations as usize;
        let mut rows: Vec<PlanRow> = plan
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| PlanRow {
                source: source.clone(),
                key: op.key.clone(),
                op: op.op_name().into(),
                change: op.change(),
                reason: op.reason.clone(),
                state: if i < budget { "planned" } else { "deferred" }.into(),
                error: None,
            })
            .collect();
        let mut counts = WritebackCounts {
            planned: plan.ops.len() as u64,
            deferred: plan.ops.len().saturating_sub(budget) as u64,
            ..WritebackCounts::default()
        };
        let mut report = WritebackReport {
            source: source.clone(),
            run_id: None,
            counts,
            rows: Vec::new(),
            suppressed: plan.suppressed.clone(),
            invalid: plan.invalid.clone(),
            sample_comment: None,
        };
        if self.dry_run {
            report.rows = rows;
            return Ok(report);
        }

        let outbox: Vec<OutboxRow> = plan
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| outbox_row(&source, i as i64, op, i >= budget))
            .collect();
        let records = plan
            .records
            .iter()
            .map(|r| LabelRecordRow {
                key: r.key.clone(),
                label: r.label.clone(),
                value_key: r.value_key.clone(),
                state: r.state,
            })
            .collect();
        let run_id = self
            .store
            .writeback_begin(
                &source,
                self.clock.now(),
                outbox,
                records,
                plan.dropped.clone(),
            )
            .await?;
        report.run_id = Some(run_id);
        let requests_before = writer.requests_sent();
        let writes_before = writer.writes_sent();
        let prior = self
            .store
            .writeback_creations_since(&source, chrono::Utc::now() - chrono::Duration::hours(1))
            .await?;
        let mut run = Run {
            pacer: Pacer::new(self.settings, &prior),
            shutdown,
            waited: Duration::ZERO,
            retries: 0,
        };
        let mut labels_now = plan.labels_now.clone();
        let mut gone: HashSet<String> = HashSet::new();
        let mut fatal: Option<WritebackError> = None;
        let mut prepared = false;
        let to_send = plan.ops.len().min(budget) as u64;
        let tell = |done: u64| {
            if let Some(p) = progress {
                p(done, to_send);
            }
        };
        for (i, op) in plan.ops.iter().enumerate().take(budget) {
            tell(i as u64);
            let seq = i as i64;
            if *run.shutdown.borrow() {
                fatal = Some(WritebackError::Interrupted);
                break;
            }
            if gone.contains(&op.key) {
                let outcome = OpOutcome {
                    state: "skipped",
                    error: Some("the item moved or was deleted (see the earlier operation)".into()),
                    ..OpOutcome::default()
                };
                self.store
                    .writeback_record(run_id, seq, &source, &op.key, outcome)
                    .await?;
                rows[i].state = "skipped".into();
                counts.skipped += 1;
                continue;
            }
            if !prepared {
                match self
                    .attempt(&mut run, false, false, || writer.prepare())
                    .await
                {
                    Ok(_) => prepared = true,
                    Err(OpError::Unauthorized(e)) => {
                        fatal = Some(WritebackError::Unauthorized(e));
                        break;
                    }
                    Err(OpError::Interrupted) => {
                        fatal = Some(WritebackError::Interrupted);
                        break;
                    }
                    // Without the token's identity a comment carrying the
                    // marker could be anyone's: stop rather than guess.
                    Err(OpError::Gone(_, m)) | Err(OpError::Failed(_, m)) => {
                        fatal = Some(WritebackError::Identity(m));
                        break;
                    }
                }
            }
            self.store.writeback_sending(run_id, seq).await?;
            let result = self.apply(&mut run, op, &mut labels_now).await;
            let outcome = match result {
                Ok(outcome) => {
                    counts.applied += 1;
                    rows[i].state = "applied".into();
                    if report.sample_comment.is_none() {
                        if let OpKind::Comment { state, prev, .. } = &op.kind {
                            let doc = render_summary(&op.key, state, prev.as_deref());
                            report.sample_comment =
                                Some((op.key.clone(), recur_core::render_markdown(&doc)));
                        }
                    }
                    outcome
                }
                Err(OpError::Gone(status, why)) => {
                    tracing::warn!(source = %source, key = %op.key, reason = %why, "Item skipped.");
                    gone.insert(op.key.clone());
                    counts.skipped += 1;
                    rows[i].state = "skipped".into();
                    rows[i].error = Some(why.clone());
                    OpOutcome {
                        state: "skipped",
                        http_status: Some(status),
                        error: Some(why),
                        ..OpOutcome::default()
                    }
                }
                Err(OpError::Failed(status, why)) => {
                    tracing::error!(source = %source, key = %op.key, error = %why, "Write failed; going on with the other items.");
                    counts.failed += 1;
                    rows[i].state = "failed".into();
                    rows[i].error = Some(why.clone());
                    OpOutcome {
                        state: "failed",
                        http_status: status,
                        error: Some(why),
                        ..OpOutcome::default()
                    }
                }
                Err(OpError::Unauthorized(e)) => {
                    counts.failed += 1;
                    rows[i].state = "failed".into();
                    rows[i].error = Some(e.to_string());
                    self.store
                        .writeback_record(
                            run_id,
                            seq,
                            &source,
                            &op.key,
                            OpOutcome {
                                state: "failed",
                                http_status: Some(401),
                                error: Some(e.to_string()),
                                ..OpOutcome::default()
                            },
                        )
                        .await?;
                    fatal = Some(WritebackError::Unauthorized(e));
                    break;
                }
                Err(OpError::Interrupted) => {
                    // The operation stays `sending` in the outbox: it may
                    // or may not have landed, and the next run re-plans
                    // from the tracker's state either way.
                    fatal = Some(WritebackError::Interrupted);
                    break;
                }
            };
            self.store
                .writeback_record(run_id, seq, &source, &op.key, outcome)
                .await?;
        }
        if fatal.is_none() {
            tell(to_send);
        }
        counts.requests = writer.requests_sent() - requests_before;
        counts.writes = writer.writes_sent() - writes_before;
        counts.retries = run.retries;
        counts.waited_ms = run.waited.as_millis() as u64;
        let (status, error) = match &fatal {
            None if counts.failed > 0 => ("failed", None),
            None => ("ok", None),
            Some(WritebackError::Interrupted) => ("interrupted", None),
            Some(e) => ("failed", Some(e.to_string())),
        };
        self.store
            .writeback_finish(run_id, counts, status, error)
            .await?;
        report.counts = counts;
        report.rows = rows;
        match fatal {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }
}

fn outbox_row(source: &str, seq: i64, op: &PlannedOp, deferred: bool) -> OutboxRow {
    let (labels_add, labels_remove, comment_id, state_hash, body) = match &op.kind {
        OpKind::LastReviewed { date } => {
            (Vec::new(), Vec::new(), None, None, Some(date.to_string()))
        }
        OpKind::Labels { add, remove } => (
            add.iter().map(|(l, _)| l.clone()).collect(),
            remove.clone(),
            None,
            None,
            None,
        ),
        OpKind::Comment {
            comment_id,
            state,
            prev,
        } => (
            Vec::new(),
            Vec::new(),
            comment_id.clone(),
            Some(state.hash()),
            Some(recur_core::render_markdown(&render_summary(
                &op.key,
                state,
                prev.as_deref(),
            ))),
        ),
    };
    let idem = format!(
        "{source}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
        op.key,
        op.op_name(),
        op.change(),
        state_hash.clone().unwrap_or_default()
    );
    OutboxRow {
        seq,
        idem_key: hex::encode(&Sha256::digest(idem.as_bytes())[..12]),
        key: op.key.clone(),
        op: op.op_name().into(),
        labels_add,
        labels_remove,
        comment_id,
        state_hash,
        body,
        reason: op.reason.clone(),
        state: if deferred { "deferred" } else { "planned" },
    }
}
