//! Applying one planned operation: a label edit, the risk's Last reviewed,
//! or the summary comment,
//! each request through the one retry loop ([`crate::retry`]) with
//! write-back's hooks: writes are paced and counted against the creation
//! windows, and creating the comment (the one write that is not
//! idempotent) looks for it before every try.

use std::time::Duration;

use recur_core::{ConnectorError, Summary};

use super::pacer::Pacer;
use super::{render_summary, OpKind, PlannedOp, WritebackJob};
use crate::retry::{Attempt, Before, BoxFuture, Retry, RetryError, Tally};
use crate::shutdown::Shutdown;
use crate::store::OpOutcome;

/// Per-run mutable state.
pub(super) struct Run {
    pub(super) pacer: Pacer,
    pub(super) shutdown: Shutdown,
    pub(super) waited: Duration,
    pub(super) retries: u64,
}

/// Why one operation did not apply.
pub(super) enum OpError {
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

impl From<RetryError> for OpError {
    fn from(e: RetryError) -> Self {
        match e {
            RetryError::Interrupted => OpError::Interrupted,
            RetryError::Connector(c @ ConnectorError::Unauthorized { .. }) => {
                OpError::Unauthorized(c)
            }
            RetryError::Connector(ConnectorError::NotFound {
                status, message, ..
            }) if matches!(status, 301 | 302 | 307 | 308 | 404 | 410) => {
                let why = match status {
                    410 => format!("deleted (HTTP 410): {message}"),
                    404 => format!("not found (HTTP 404): {message}"),
                    _ => format!("moved (HTTP {status}): {message}"),
                };
                OpError::Gone(status, why)
            }
            RetryError::Connector(c) => OpError::Failed(status_of(&c), c.to_string()),
            RetryError::RetriesExhausted { ref last, .. } => {
                OpError::Failed(status_of(last), e.to_string())
            }
            other => OpError::Failed(None, other.to_string()),
        }
    }
}

/// One write-back request under the retry loop: writes wait for the pacer
/// and count against its windows; reads (comment pages, the identity) are
/// not paced.
struct Paced<'r, 'j, T> {
    run: &'r mut Run,
    job: &'r WritebackJob<'j>,
    write: bool,
    creates: bool,
    call: Call<'r, T>,
}

/// The request of a [`Paced`] attempt (boxed: the borrow checker cannot
/// see through a generic closure inside the boxed futures of the loop).
type Call<'r, T> = Box<dyn FnMut() -> BoxFuture<'r, Result<T, ConnectorError>> + Send + 'r>;

impl<'r, T: Send> Attempt for Paced<'r, '_, T> {
    type Output = T;
    type Error = OpError;

    fn before(&mut self, _tries: u32) -> BoxFuture<'_, Result<Before<T>, OpError>> {
        let wait = if self.write {
            self.run.pacer.wait_before(self.creates)
        } else {
            Duration::ZERO
        };
        Box::pin(async move { Ok(Before::Send(wait)) })
    }

    fn call(&mut self) -> BoxFuture<'_, Result<T, ConnectorError>> {
        (self.call)()
    }

    fn after(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if self.write {
                self.run.pacer.sent(self.creates);
                if self.creates {
                    self.job.creation_sent().await;
                }
            }
        })
    }

    fn waited(&mut self, d: Duration) {
        self.run.waited += d;
        self.run.pacer.slept += d;
    }
}

/// Creating the summary comment: before every try, recur looks for its
/// comment (a try that failed may still have made it); `Done` with it when
/// found, else the paced create. The output says whether this created it.
struct Create<'r, 'j> {
    run: &'r mut Run,
    job: &'r WritebackJob<'j>,
    key: &'r str,
    doc: &'r Summary,
}

impl Attempt for Create<'_, '_> {
    type Output = (String, bool);
    type Error = OpError;

    fn before(&mut self, _tries: u32) -> BoxFuture<'_, Result<Before<(String, bool)>, OpError>> {
        Box::pin(async move {
            if let Some(found) = self.job.find_comment(self.run, self.key).await? {
                return Ok(Before::Done((found, false)));
            }
            Ok(Before::Send(self.run.pacer.wait_before(true)))
        })
    }

    fn call(&mut self) -> BoxFuture<'_, Result<(String, bool), ConnectorError>> {
        let (writer, key, doc) = (self.job.writer, self.key, self.doc);
        Box::pin(async move { writer.create_comment(key, doc).await.map(|id| (id, true)) })
    }

    fn after(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.run.pacer.sent(true);
            self.job.creation_sent().await;
        })
    }

    fn waited(&mut self, d: Duration) {
        self.run.waited += d;
        self.run.pacer.slept += d;
    }
}

impl WritebackJob<'_> {
    /// The retry loop for this job's source, stopping on `shutdown`.
    fn retry<'s>(&'s self, shutdown: &'s Shutdown) -> Retry<'s> {
        Retry {
            policy: self.retry,
            sleeper: self.sleeper,
            shutdown,
            source: self.source(),
        }
    }

    /// Sends one request with pacing (writes) and the retry loop. Returns
    /// the answer and the tries made.
    pub(super) async fn attempt<'a, T, F>(
        &self,
        run: &mut Run,
        write: bool,
        creates: bool,
        mut call: F,
    ) -> Result<(T, u32), OpError>
    where
        T: Send,
        F: FnMut() -> BoxFuture<'a, Result<T, ConnectorError>> + Send + 'a,
    {
        let shutdown = run.shutdown.clone();
        let mut tally = Tally::default();
        let result = {
            let mut paced = Paced {
                run: &mut *run,
                job: self,
                write,
                creates,
                call: Box::new(move || call()),
            };
            self.retry(&shutdown).run(&mut paced, &mut tally).await
        };
        run.retries += u64::from(tally.retries);
        result.map(|v| (v, tally.tries))
    }

    /// recur's summary comment on `key`, found by paging through all its
    /// comments.
    pub(super) async fn find_comment(
        &self,
        run: &mut Run,
        key: &str,
    ) -> Result<Option<String>, OpError> {
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

    pub(super) async fn apply(
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
            OpKind::LastReviewed { date } => {
                let day = date.to_string();
                let (_, attempts) = self
                    .attempt(run, true, false, || writer.set_last_reviewed(key, &day))
                    .await?;
                Ok(OpOutcome {
                    state: "applied",
                    attempts,
                    wrote: true,
                    last_reviewed: Some(*date),
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
                // Creating is the one write that is not idempotent: on a
                // failure the comment may still have been made, so every try
                // (the first included) looks for it first.
                let mut create = Create {
                    run: &mut *run,
                    job: self,
                    key,
                    doc: &doc,
                };
                let shutdown = create.run.shutdown.clone();
                let mut tally = Tally::default();
                let result = self.retry(&shutdown).run(&mut create, &mut tally).await;
                run.retries += u64::from(tally.retries);
                let (comment_id, created) = result?;
                attempts_total += tally.tries;
                if created {
                    return Ok(OpOutcome {
                        state: "applied",
                        attempts: attempts_total,
                        wrote: true,
                        comment: Some((comment_id, state_json, hash)),
                        ..OpOutcome::default()
                    });
                }
                let (_, n) = self
                    .attempt(run, true, false, || {
                        writer.update_comment(key, &comment_id, &doc)
                    })
                    .await?;
                Ok(OpOutcome {
                    state: "applied",
                    attempts: attempts_total + n,
                    wrote: true,
                    comment: Some((comment_id, state_json, hash)),
                    ..OpOutcome::default()
                })
            }
        }
    }
}
