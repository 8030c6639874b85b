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

mod plan;
mod summary;

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::time::{Duration, Instant};

use recur_core::{ConnectorError, Writer};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::settings::{Deadlines, SyncSettings};
pub use crate::settings::{WritebackSettings, FLAGS};
use crate::shutdown::{Shutdown, Sleeper};
use crate::store::{LabelRecordRow, OpOutcome, OutboxRow, Store, StoreError, WritebackCounts};
use crate::sync::SyncError;

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

/// Paces write requests: at least `min_interval` apart, and content
/// creations under per-minute and per-hour windows. Time is real time plus
/// every wait taken, so a recording sleeper in tests sees the same waits
/// a real run would take.
struct Pacer {
    min_interval: Duration,
    windows: Vec<(Duration, u32)>,
    last: Option<Instant>,
    creations: VecDeque<Instant>,
    slept: Duration,
}

impl Pacer {
    /// A pacer that knows the creations earlier runs sent within the
    /// hour (`prior`, wall-clock times), so runs together stay under the
    /// per-hour window.
    fn new(s: &WritebackSettings, prior: &[chrono::DateTime<chrono::Utc>]) -> Self {
        let (wall, mono) = (chrono::Utc::now(), Instant::now());
        let creations = prior
            .iter()
            .filter_map(|t| (wall - *t).to_std().ok())
            .filter_map(|ago| mono.checked_sub(ago))
            .collect();
        Pacer {
            min_interval: Duration::from_millis(s.min_interval_ms),
            windows: vec![
                (Duration::from_secs(60), s.creations_per_minute),
                (Duration::from_secs(3600), s.creations_per_hour),
            ],
            last: None,
            creations,
            slept: Duration::ZERO,
        }
    }

    fn now(&self) -> Instant {
        Instant::now() + self.slept
    }

    fn wait_before(&self, creates: bool) -> Duration {
        let now = self.now();
        let mut wait = self
            .last
            .map(|l| (l + self.min_interval).saturating_duration_since(now))
            .unwrap_or_default();
        if creates {
            for (span, limit) in &self.windows {
                let limit = *limit as usize;
                let recent: Vec<&Instant> = self
                    .creations
                    .iter()
                    .filter(|t| now.saturating_duration_since(**t) < *span)
                    .collect();
                if recent.len() >= limit {
                    let oldest = recent[recent.len() - limit];
                    wait = wait.max((*oldest + *span).saturating_duration_since(now));
                }
            }
        }
        wait
    }

    fn sent(&mut self, creates: bool) {
        let now = self.now();
        self.last = Some(now);
        if creates {
            self.creations.push_back(now);
            while self
                .creations
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) > Duration::from_secs(3600))
            {
                self.creations.pop_front();
            }
        }
    }
}

/// Why one operation did not apply.
enum OpError {
    /// The item moved or was deleted (HTTP status, message).
    Gone(u16, String),
    /// The token was refused.
    Unauthorized(ConnectorError),
    /// Shutdown.
    Interrupted,
    /// Anything else, after retries.
    Failed(Option<u16>, String),
}

fn status_of(e: &ConnectorError) -> Option<u16> {
    match e {
        ConnectorError::RateLimited { status, .. }
        | ConnectorError::NotFound { status, .. }
        | ConnectorError::Http { status, .. } => Some(*status),
        ConnectorError::Transient { status, .. } => *status,
        _ => None,
    }
}

fn classify(e: SyncError) -> OpError {
    match e {
        SyncError::Interrupted => OpError::Interrupted,
        SyncError::Connector(c @ ConnectorError::Unauthorized { .. }) => OpError::Unauthorized(c),
        SyncError::Connector(ConnectorError::NotFound {
            status, message, ..
        }) if matches!(status, 301 | 302 | 307 | 308 | 404 | 410) => {
            let why = match status {
                410 => format!("deleted (HTTP 410): {message}"),
                404 => format!("not found (HTTP 404): {message}"),
                _ => format!("moved (HTTP {status}): {message}"),
            };
            OpError::Gone(status, why)
        }
        SyncError::Connector(c) => OpError::Failed(status_of(&c), c.to_string()),
        SyncError::RetriesExhausted { ref last, .. } => {
            OpError::Failed(status_of(last), e.to_string())
        }
        other => OpError::Failed(None, other.to_string()),
    }
}

/// Per-run mutable state.
struct Run {
    pacer: Pacer,
    shutdown: Shutdown,
    waited: Duration,
    retries: u64,
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
        for (i, op) in plan.ops.iter().enumerate().take(budget) {
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

    /// Sleeps through the sleeper unless shutdown comes first.
    async fn sleep(&self, run: &mut Run, d: Duration) -> Result<(), OpError> {
        if d.is_zero() {
            return Ok(());
        }
        run.waited += d;
        run.pacer.slept += d;
        let mut sd = run.shutdown.clone();
        tokio::select! {
            _ = self.sleeper.sleep(d) => Ok(()),
            _ = crate::shutdown::requested(&mut sd) => Err(OpError::Interrupted),
        }
    }

    /// Sends one request with pacing (writes) and the shared retry policy.
    /// Returns the answer and the attempts made.
    async fn attempt<T, F, Fut>(
        &self,
        run: &mut Run,
        write: bool,
        creates: bool,
        mut call: F,
    ) -> Result<(T, u32), OpError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ConnectorError>>,
    {
        let mut attempts = crate::retry::Attempts::default();
        let mut n = 0u32;
        loop {
            if write {
                let wait = run.pacer.wait_before(creates);
                self.sleep(run, wait).await?;
            }
            if *run.shutdown.borrow() {
                return Err(OpError::Interrupted);
            }
            n += 1;
            let mut sd = run.shutdown.clone();
            let result = tokio::select! {
                r = call() => r,
                _ = crate::shutdown::requested(&mut sd) => return Err(OpError::Interrupted),
            };
            if write {
                run.pacer.sent(creates);
                if creates {
                    self.creation_sent().await;
                }
            }
            match result {
                Ok(v) => return Ok((v, n)),
                Err(e) => match attempts.after(e, self.retry, self.source()) {
                    Ok(wait) => {
                        run.retries += 1;
                        self.sleep(run, wait).await?
                    }
                    Err(e) => return Err(classify(e)),
                },
            }
        }
    }

    /// recur's summary comment on `key`, found by paging through all its
    /// comments.
    async fn find_comment(&self, run: &mut Run, key: &str) -> Result<Option<String>, OpError> {
        let mut cursor: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        let writer = self.writer;
        loop {
            let c = cursor.clone();
            let (page, _) = self
                .attempt(run, false, false, || {
                    writer.comments_page(key, c.as_deref())
                })
                .await?;
            if let Some(ours) = page.comments.iter().find(|c| c.ours) {
                return Ok(Some(ours.id.clone()));
            }
            match page.next {
                // A comment list that pages in a loop leaves it unknown
                // whether recur's comment exists: fail the item rather than
                // post a second one.
                Some(n) if !seen.insert(n.clone()) => {
                    return Err(OpError::Failed(
                        None,
                        format!(
                            "{}: the comments of {key} page in a loop ({n} again); not writing",
                            self.source()
                        ),
                    ))
                }
                Some(n) => cursor = Some(n),
                None => return Ok(None),
            }
        }
    }

    async fn apply(
        &self,
        run: &mut Run,
        op: &PlannedOp,
        labels_now: &mut std::collections::HashMap<String, Vec<String>>,
    ) -> Result<OpOutcome, OpError> {
        let writer = self.writer;
        let key = op.key.as_str();
        match &op.kind {
            OpKind::Labels { add, remove } => {
                let add_names: Vec<String> = add.iter().map(|(l, _)| l.clone()).collect();
                let (after, attempts) = self
                    .attempt(run, true, !add_names.is_empty(), || {
                        writer.edit_labels(key, &add_names, remove)
                    })
                    .await?;
                let current = labels_now.entry(op.key.clone()).or_default();
                let labels = match after {
                    Some(list) => list,
                    None => {
                        let mut l: Vec<String> = current
                            .iter()
                            .filter(|c| !remove.iter().any(|r| r.eq_ignore_ascii_case(c)))
                            .cloned()
                            .collect();
                        for a in &add_names {
                            if !l.iter().any(|c| c.eq_ignore_ascii_case(a)) {
                                l.push(a.clone());
                            }
                        }
                        l
                    }
                };
                *current = labels.clone();
                Ok(OpOutcome {
                    state: "applied",
                    attempts,
                    wrote: true,
                    labels_after: Some(labels),
                    added: add.clone(),
                    removed: remove.clone(),
                    ..OpOutcome::default()
                })
            }
            OpKind::Comment {
                comment_id,
                state,
                prev,
            } => {
                let doc = render_summary(key, state, prev.as_deref());
                let state_json = serde_json::to_string(state).expect("state serialises");
                let hash = state.hash();
                let mut attempts_total = 0u32;
                let mut id = comment_id.clone();
                if let Some(known) = &id {
                    match self
                        .attempt(run, true, false, || writer.update_comment(key, known, &doc))
                        .await
                    {
                        Ok((_, n)) => {
                            return Ok(OpOutcome {
                                state: "applied",
                                attempts: n,
                                wrote: true,
                                comment: Some((known.clone(), state_json, hash)),
                                ..OpOutcome::default()
                            })
                        }
                        // The comment was deleted: look again, then create.
                        Err(OpError::Gone(404, _)) => {
                            attempts_total += 1;
                            id = None;
                        }
                        Err(e) => return Err(e),
                    }
                }
                debug_assert!(id.is_none());
                let mut failures = crate::retry::Attempts::default();
                loop {
                    if let Some(found) = self.find_comment(run, key).await? {
                        let (_, n) = self
                            .attempt(run, true, false, || {
                                writer.update_comment(key, &found, &doc)
                            })
                            .await?;
                        return Ok(OpOutcome {
                            state: "applied",
                            attempts: attempts_total + n,
                            wrote: true,
                            comment: Some((found, state_json, hash)),
                            ..OpOutcome::default()
                        });
                    }
                    // Creating is the one write that is not idempotent: on
                    // a failure the comment may still have been made, so
                    // every retry looks for it again first.
                    let wait = run.pacer.wait_before(true);
                    self.sleep(run, wait).await?;
                    if *run.shutdown.borrow() {
                        return Err(OpError::Interrupted);
                    }
                    attempts_total += 1;
                    let mut sd = run.shutdown.clone();
                    let result = tokio::select! {
                        r = writer.create_comment(key, &doc) => r,
                        _ = crate::shutdown::requested(&mut sd) => return Err(OpError::Interrupted),
                    };
                    run.pacer.sent(true);
                    self.creation_sent().await;
                    match result {
                        Ok(new_id) => {
                            return Ok(OpOutcome {
                                state: "applied",
                                attempts: attempts_total,
                                wrote: true,
                                comment: Some((new_id, state_json, hash)),
                                ..OpOutcome::default()
                            })
                        }
                        Err(e) => match failures.after(e, self.retry, self.source()) {
                            Ok(wait) => {
                                run.retries += 1;
                                self.sleep(run, wait).await?
                            }
                            Err(e) => return Err(classify(e)),
                        },
                    }
                }
            }
        }
    }
}

fn outbox_row(source: &str, seq: i64, op: &PlannedOp, deferred: bool) -> OutboxRow {
    let (labels_add, labels_remove, comment_id, state_hash, body) = match &op.kind {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_validation_names_the_key() {
        let ok = WritebackSettings::default();
        assert!(ok.validate().is_ok());
        let bad = WritebackSettings {
            label_prefix: "".into(),
            ..ok.clone()
        };
        assert!(bad.validate().unwrap_err().contains("label_prefix"));
        let bad = WritebackSettings {
            label_prefix: "my team:".into(),
            ..ok.clone()
        };
        assert!(bad.validate().unwrap_err().contains("spaces"));
        let bad = WritebackSettings {
            label_prefix: "x".repeat(34),
            ..ok.clone()
        };
        assert!(bad.validate().unwrap_err().contains("50"));
        let fits = WritebackSettings {
            label_prefix: "x".repeat(33),
            ..ok.clone()
        };
        assert!(fits.validate().is_ok());
        let bad = WritebackSettings {
            flags: vec!["overdue".into(), "shiny".into()],
            ..ok
        };
        assert!(bad.validate().unwrap_err().contains("shiny"));
    }

    #[test]
    fn pacer_spaces_writes_and_caps_creations() {
        let mut p = Pacer::new(
            &WritebackSettings {
                min_interval_ms: 1000,
                creations_per_minute: 2,
                ..WritebackSettings::default()
            },
            &[],
        );
        assert_eq!(p.wait_before(true), Duration::ZERO);
        p.sent(true);
        let w = p.wait_before(false);
        assert!(
            w > Duration::from_millis(900) && w <= Duration::from_secs(1),
            "{w:?}"
        );
        p.slept += w;
        p.sent(true);
        // Two creations in the last minute: the third waits for the first
        // to leave the window (about 59 s from now).
        let w = p.wait_before(true);
        assert!(
            w > Duration::from_secs(58) && w <= Duration::from_secs(60),
            "{w:?}"
        );
        // A non-creating write only waits for the interval.
        assert!(p.wait_before(false) <= Duration::from_secs(1));
    }
    /// Regression (shared limits): creations earlier runs sent within the
    /// hour count against this run's hourly window.
    #[test]
    fn the_hourly_window_spans_runs() {
        let s = WritebackSettings {
            min_interval_ms: 0,
            creations_per_hour: 3,
            ..WritebackSettings::default()
        };
        let now = chrono::Utc::now();
        let earlier = [
            now - chrono::Duration::minutes(50),
            now - chrono::Duration::minutes(30),
            now - chrono::Duration::minutes(10),
            // Over an hour ago: no longer counts.
            now - chrono::Duration::minutes(70),
        ];
        let p = Pacer::new(&s, &earlier);
        let wait = p.wait_before(true);
        // The oldest of the three within the hour leaves it in ~10 minutes.
        assert!(
            wait > Duration::from_secs(9 * 60) && wait <= Duration::from_secs(10 * 60 + 1),
            "{wait:?}"
        );
        assert_eq!(
            Pacer::new(&s, &earlier[..2]).wait_before(true),
            Duration::ZERO
        );
    }
}
