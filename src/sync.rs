//! The shared pull loop: cursors, paging, retries, backoff and rate-limit
//! waits, for every connector. Connectors answer one request at a time; this
//! module decides what to ask next and when, and hands each page to the
//! store together with the cursor that follows it.
//!
//! Per container the cursor says where things stand:
//! - a *full pass* (first sync, `--full`, or every `reconcile_every` syncs)
//!   walks each of the connector's full listings (one per tracked label on
//!   GitHub) by following `Link rel=next`; its position is saved per page;
//! - the *incremental* listing asks for everything updated since the
//!   watermark minus the overlap, oldest first. It pages by keyset (a fresh
//!   `since` = newest `updated_at` seen) rather than by page number, because
//!   an issue updated mid-listing moves to the end of an `updated`-sorted
//!   list and shifts every later issue one place forward: a page-number walk
//!   would skip one. It falls back to `Link` only when a whole page shares
//!   one timestamp.
//! - after a reconciling pass, tracked items the listings no longer showed
//!   are looked up one by one (moved, deleted, or no longer labelled).

use std::time::Duration;

use chrono::{DateTime, Utc};
use recur_core::normalize::LabelRules;
use recur_core::{
    Connector, ConnectorError, Fetched, Listing, Page, PageRequest, Probe, RateLimit,
};
use serde::{Deserialize, Serialize};

use crate::retry::{Attempt, Before, BoxFuture, Retry, RetryError, Tally};
use crate::settings::SyncSettings;
use crate::shutdown::{Shutdown, Sleeper};
use crate::store::{ItemRow, RunStats, Store, StoreError};

/// Why a sync stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The tracker refused or failed, after retries where they made sense.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Retries ran out.
    #[error("{source_name}: gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// Source name.
        source_name: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: ConnectorError,
    },
    /// The tracker asked for a longer wait than allowed.
    #[error("{source_name}: the tracker asked to wait {wait:?}, longer than [sync] max_wait_seconds; try again later")]
    WaitTooLong {
        /// Source name.
        source_name: String,
        /// The wait asked for.
        wait: Duration,
    },
    /// Shutdown was requested; everything committed so far stands.
    #[error("interrupted by shutdown")]
    Interrupted,
}

/// Per-container cursor, stored as JSON in `cursors.state`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Incremental watermark: the newest `updated_at` processed.
    pub since: Option<DateTime<Utc>>,
    /// Keys whose `updated_at` equals the watermark.
    #[serde(default)]
    pub boundary: Vec<String>,
    /// The first incremental page's URL and ETag, for a 304 next time.
    pub etag_url: Option<String>,
    /// That ETag.
    pub etag: Option<String>,
    /// True once a first full pass has completed.
    #[serde(default)]
    pub initial_done: bool,
    /// A full pass in progress.
    pub full: Option<FullPass>,
}

/// A full listing pass in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FullPass {
    /// When it began: items not seen since then are candidates for lookup.
    pub started_at: DateTime<Utc>,
    /// Listings still to walk (the first is in progress).
    pub remaining: Vec<Listing>,
    /// The next page of the listing in progress.
    pub next: Option<PageRequest>,
    /// True when this pass reconciles (looks up unseen items afterwards).
    pub reconcile: bool,
}

impl FullPass {
    /// The request the pass makes next: the next page of the listing in
    /// progress, else the first page of the next listing; `None` once every
    /// listing is walked.
    fn due(&self, connector: &dyn Connector, container: &str) -> Option<PageRequest> {
        let listing = self.remaining.first()?;
        Some(
            self.next
                .clone()
                .unwrap_or_else(|| connector.first_page(container, listing)),
        )
    }
}

/// What a sync of one source did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// Source name.
    pub source: String,
    /// The run id in `sync_runs`.
    pub run_id: i64,
    /// Counters.
    pub stats: RunStats,
    /// Whether a reconciliation ran.
    pub reconciled: bool,
    /// Containers synced.
    pub containers: usize,
    /// Items marked deleted or transferred.
    pub gone: u64,
}

/// One sync of one source.
pub struct SyncJob<'a> {
    /// The database.
    pub store: &'a Store,
    /// The tracker.
    pub connector: &'a dyn Connector,
    /// What is tracked.
    pub rules: &'a LabelRules,
    /// Tuning.
    pub settings: &'a SyncSettings,
    /// How to wait.
    pub sleeper: &'a dyn Sleeper,
    /// Re-list everything and reconcile.
    pub full: bool,
    /// Called after each page with the items seen so far (progress display).
    pub on_page: Option<&'a (dyn Fn(u64) + Sync)>,
    /// The run's clock, recorded with it.
    pub clock: crate::clock::Clock,
}

/// Rows gathered over several pages before they are merged: the merge's
/// statements cost about as much for 2,000 rows as for 100 (planning, the
/// lookup of stored rows in `items`, closing versions in `item_history`),
/// so one transaction per batch instead of per page makes a first sync
/// several times faster. The
/// cursors stored with a batch are each container's after its last page in
/// the batch, so a kill loses at most one batch of work, never an item. A
/// batch runs across containers: a container's end queues its cursor, it
/// does not wait for the merge (waiting there left the store idle while
/// fetching, or the fetch idle while merging, at every repository's end).
pub(crate) const BATCH_ROWS: usize = 2000;

/// The text a batch may carry before it is merged, whatever its rows: a
/// merge holds its batch more than once in DuckDB (staged, then stored),
/// and 2,000 issues with pasted logs (GitHub allows 65,536 characters of
/// body, and the raw JSON carries it again) made a batch of hundreds of
/// MB, past the sync's memory cap. 2,000 ordinary issues are ~12 MB (the
/// 100k bench's average is 5 KB of raw JSON), so this bound only splits
/// batches of large items.
const BATCH_BYTES: usize = 16 << 20;

/// Text DuckDB holds in memory it cannot evict, from the moment a batch
/// commits until the next checkpoint: measured on DuckDB 2.0 (128MB,
/// batches committed one by one), texts of 30 KB and more ran it out of
/// memory after ~110 MB (a FATAL error: the database must be reopened),
/// while 20 KB texts went through 600 MB, spilled like the rest. So the
/// sync counts the texts of [`BIG_TEXT`] bytes and more that it merged
/// (an issue with a pasted log: its raw JSON, its body, its sections),
/// and checkpoints whenever they reach [`BIG_TEXT_BUDGET`]; a sync of
/// ordinary issues never does.
const BIG_TEXT: usize = 16 << 10;
const BIG_TEXT_BUDGET: usize = 32 << 20;

#[derive(Default)]
struct Pending {
    rows: Vec<ItemRow>,
    /// The rows' text ([`ItemRow::text_bytes`]).
    bytes: usize,
    malformed: Vec<recur_core::Malformed>,
    /// (container, cursor state after its last buffered page), in the
    /// order the containers were read.
    cursors: Vec<(String, serde_json::Value)>,
}

impl Pending {
    /// Records `cursor` as `container`'s state after its buffered pages.
    fn set_cursor(&mut self, container: &str, cursor: &Cursor) {
        let state = serde_json::to_value(cursor).expect("cursor serialises");
        match self.cursors.last_mut() {
            Some((c, s)) if c == container => *s = state,
            _ => self.cursors.push((container.to_string(), state)),
        }
    }
}

struct Ctx<'a> {
    job: &'a SyncJob<'a>,
    run_id: i64,
    stats: RunStats,
    last_rate: Option<RateLimit>,
    shutdown: Shutdown,
    gone: u64,
    pending: Pending,
    /// The batch merging on the store thread while the next pages are
    /// fetched and parsed (at most one: it is waited for before the next
    /// is queued, and before anything reads what it wrote).
    merging: Option<crate::store::Queued<crate::store::IngestStats>>,
    /// Texts of [`BIG_TEXT`] bytes or more merged since the last
    /// checkpoint (see [`BIG_TEXT_BUDGET`]).
    big_unflushed: usize,
}

impl SyncJob<'_> {
    /// Runs the sync. The run is recorded in `sync_runs` whatever happens.
    pub async fn run(&self, shutdown: Shutdown) -> Result<SyncReport, SyncError> {
        let source = self.connector.source_name().to_string();
        let reconcile_due = match self.store.syncs_since_reconcile(&source).await? {
            Some(n) => {
                self.settings.reconcile_every > 0 && n + 1 >= self.settings.reconcile_every as i64
            }
            None => false,
        };
        let reconcile = self.full || reconcile_due;
        let run_id = self
            .store
            .begin_run(&source, reconcile, self.clock.now())
            .await?;
        let before = self.connector.requests_sent();
        let mut ctx = Ctx {
            job: self,
            run_id,
            stats: RunStats::default(),
            last_rate: None,
            shutdown,
            gone: 0,
            pending: Pending::default(),
            merging: None,
            big_unflushed: 0,
        };
        let mut result = ctx.sync_all(reconcile).await;
        // A batch still merging when the sync stopped (an error) counts and
        // may fail itself: its outcome is the run's too.
        let settled = ctx.settle().await;
        if result.is_ok() {
            if let Err(e) = settled {
                result = Err(e);
            }
        }
        ctx.stats.api_requests = self.connector.requests_sent() - before;
        let error = result.as_ref().err().map(|e| e.to_string());
        let ok = result.is_ok();
        self.store
            .finish_run(run_id, ctx.stats, reconcile && ok, error)
            .await?;
        self.store
            .record_source_state(&source, ctx.last_rate, ok, reconcile && ok)
            .await?;
        let containers = result?;
        Ok(SyncReport {
            source,
            run_id,
            stats: ctx.stats,
            reconciled: reconcile,
            containers,
            gone: ctx.gone,
        })
    }
}

/// The pages one listing walk has asked for, so a tracker that pages in a
/// loop (a `Link: rel=next` back to a page already read, a repeating
/// `nextPageToken`, a `startAt` that does not advance) ends the sync with an
/// error instead of running for ever.
#[derive(Default)]
struct Trail {
    visits: std::collections::HashMap<(String, Option<String>), u8>,
}

impl Trail {
    /// Counts `req`; a request may be sent twice (a connector may ask for
    /// the same page again after a preparatory request, as Jira does after
    /// loading its field list), a third time is a loop.
    fn visit(&mut self, source: &str, req: &PageRequest) -> Result<(), SyncError> {
        let n = self
            .visits
            .entry((req.url.clone(), req.token.clone()))
            .or_default();
        *n += 1;
        if *n > 2 {
            return Err(SyncError::Connector(ConnectorError::Protocol {
                source_name: source.to_string(),
                message: format!(
                    "the listing of {} pages in a loop: {}{} was asked for again; stopping",
                    req.container,
                    req.url,
                    // A token may carry thousands of ids (a Jira Cloud
                    // full listing's step): its start is enough to tell.
                    req.token
                        .as_deref()
                        .map(|t| {
                            let start: String = t.chars().take(120).collect();
                            let more = if start.len() < t.len() { "…" } else { "" };
                            format!(" (page token {start:?}{more})")
                        })
                        .unwrap_or_default()
                ),
            }));
        }
        Ok(())
    }
}

impl Ctx<'_> {
    fn source(&self) -> &str {
        self.job.connector.source_name()
    }

    async fn sync_all(&mut self, reconcile: bool) -> Result<usize, SyncError> {
        let containers = self
            .with_retries(|c| Box::pin(async move { c.containers().await }))
            .await?;
        for container in &containers {
            if let Err(e) = self.sync_container(container, reconcile).await {
                // A batch spans containers: what was read before the
                // failure (or the shutdown) is whole pages with their
                // cursors, so it is stored, or a container that always
                // fails would hold back the ones read before it.
                if let Err(store) = self.flush().await {
                    tracing::warn!(source = self.source(), error = %store, "The pages read before the failure could not be stored; the next run reads them again.");
                }
                return Err(e);
            }
        }
        self.flush().await?;
        Ok(containers.len())
    }

    async fn load_cursor(&self, container: &str) -> Result<Cursor, SyncError> {
        match self.job.store.cursor(self.source(), container).await? {
            None => Ok(Cursor::default()),
            Some(v) => serde_json::from_value(v).map_err(|e| {
                SyncError::Store(StoreError::Corrupt {
                    what: format!("cursor of {}/{container}", self.source()),
                    detail: e.to_string(),
                })
            }),
        }
    }

    async fn sync_container(&mut self, container: &str, reconcile: bool) -> Result<(), SyncError> {
        let mut cursor = self.load_cursor(container).await?;
        let needs_full = !cursor.initial_done || reconcile || cursor.full.is_some();
        if needs_full {
            if cursor.full.is_none() {
                cursor.full = Some(FullPass {
                    started_at: Utc::now(),
                    remaining: self.job.connector.full_listings(container),
                    next: None,
                    reconcile: cursor.initial_done,
                });
            }
            self.full_pass(container, &mut cursor).await?;
        }
        self.incremental(container, &mut cursor).await?;
        // Its last rows and cursor merge with the next container's first
        // pages (see BATCH_ROWS); the run's summary counts what was stored.
        tracing::info!(
            source = self.source(),
            container,
            seen = self.stats.items_seen,
            "Container read."
        );
        Ok(())
    }

    /// Walks every full listing, then (for a reconcile) looks up the tracked
    /// items the listings did not show.
    ///
    /// The next page is asked for before this one is mapped and stored
    /// (see [`recur_core::Fetched`]): the tracker prepares it meanwhile.
    /// One request is ahead at most, and the cursor stored with a page
    /// still names the page after it, so a kill loses no more than before.
    async fn full_pass(&mut self, container: &str, cursor: &mut Cursor) -> Result<(), SyncError> {
        let mut trail = Trail::default();
        // The answer to `req` of the next turn, asked for ahead.
        let mut ahead: Option<Ahead> = None;
        loop {
            let Some(pass) = cursor.full.as_ref() else {
                return Ok(());
            };
            let Some(req) = pass.due(self.job.connector, container) else {
                break;
            };
            let fetched = match ahead.take() {
                Some(answer) => self.settle_ahead(answer)?,
                None => {
                    trail.visit(self.source(), &req)?;
                    self.fetch_unmapped(&req).await?
                }
            };
            let pass = cursor.full.as_mut().expect("checked above");
            match fetched.next() {
                Some(next) => pass.next = Some(next.clone()),
                None => {
                    pass.remaining.remove(0);
                    pass.next = None;
                }
            }
            let Some(next) = pass.due(self.job.connector, container) else {
                self.ingest(container, fetched.map(), cursor).await?;
                continue;
            };
            trail.visit(self.source(), &next)?;
            // Polled first, so the request is on its way before the page
            // is mapped.
            let asked = fetch_ahead(self.job, self.shutdown.clone(), self.last_rate, next);
            let (answer, stored) = tokio::join!(asked, async {
                let page = fetched.map();
                self.ingest(container, page, cursor).await
            });
            stored?;
            ahead = Some(answer);
        }
        let pass = cursor.full.clone().expect("full pass present");
        if pass.reconcile {
            self.flush().await?;
            self.reconcile_unseen(container, pass.started_at).await?;
        } else {
            // First sync: the incremental watermark starts where the pass
            // started, so anything changed during the pass is read again.
            cursor.since = Some(pass.started_at);
            cursor.boundary.clear();
            cursor.initial_done = true;
        }
        cursor.full = None;
        // Commits with the buffered pages it covers (or in the next batch).
        self.pending.set_cursor(container, cursor);
        Ok(())
    }

    async fn reconcile_unseen(
        &mut self,
        container: &str,
        started: DateTime<Utc>,
    ) -> Result<(), SyncError> {
        let unseen = self
            .job
            .store
            .unseen_tracked_keys(self.source(), container, started)
            .await?;
        if !unseen.is_empty() {
            tracing::info!(
                source = self.source(),
                container,
                count = unseen.len(),
                "Looking up items missing from the listings."
            );
        }
        for key in unseen {
            let k = key.clone();
            let probe = self
                .with_retries(move |c| {
                    let k = k.clone();
                    Box::pin(async move { c.probe(&k).await })
                })
                .await?;
            match probe {
                Probe::Found(item) => {
                    let item = *item;
                    let row = ItemRow::new(item, self.job.rules);
                    let stats = self
                        .job
                        .store
                        .ingest_page(self.run_id, self.source(), vec![row], None, Vec::new())
                        .await?;
                    self.stats.items_upserted += stats.changed;
                }
                Probe::Moved { new_key } => {
                    tracing::info!(source = self.source(), key = %key, new_key = ?new_key, "Item transferred.");
                    if self
                        .job
                        .store
                        .set_tracking(self.run_id, self.source(), &key, "transferred", new_key)
                        .await?
                    {
                        self.gone += 1;
                    }
                }
                Probe::Gone => {
                    tracing::info!(source = self.source(), key = %key, "Item deleted.");
                    if self
                        .job
                        .store
                        .set_tracking(self.run_id, self.source(), &key, "deleted", None)
                        .await?
                    {
                        self.gone += 1;
                    }
                }
            }
        }
        Ok(())
    }

    async fn incremental(&mut self, container: &str, cursor: &mut Cursor) -> Result<(), SyncError> {
        let overlap = self.job.settings.overlap;
        let start_since = cursor.since.map(|s| s - overlap);
        let mut req = self
            .job
            .connector
            .first_page(container, &Listing::Since { since: start_since });
        if cursor.etag_url.as_deref() == Some(req.url.as_str()) {
            req.etag = cursor.etag.clone();
        }
        let mut first = true;
        let mut req_since = start_since;
        let mut trail = Trail::default();
        loop {
            trail.visit(self.source(), &req)?;
            let page = self.fetch(&req).await?;
            if page.not_modified {
                self.stats.not_modified += 1;
                return Ok(());
            }
            if first {
                cursor.etag_url = Some(req.url.clone());
                cursor.etag = page.etag.clone();
                first = false;
            }
            let newest = page.newest;
            if let Some(newest) = newest {
                if cursor.since.is_none_or(|s| newest > s) {
                    cursor.since = Some(newest);
                    cursor.boundary.clear();
                }
                if cursor.since == Some(newest) {
                    for item in page.items.iter().filter(|i| i.updated_at == newest) {
                        if !cursor.boundary.contains(&item.key) {
                            cursor.boundary.push(item.key.clone());
                        }
                    }
                }
            }
            let next = page.next.clone();
            self.ingest(container, page, cursor).await?;
            let Some(next) = next else {
                return Ok(());
            };
            req = match newest {
                Some(n) if req_since.is_none_or(|s| n > s) => {
                    req_since = Some(n);
                    self.job
                        .connector
                        .first_page(container, &Listing::Since { since: Some(n) })
                }
                // A whole page at one timestamp: only the Link can move on.
                _ => next,
            };
        }
    }

    async fn ingest(
        &mut self,
        container: &str,
        page: Page,
        cursor: &Cursor,
    ) -> Result<(), SyncError> {
        self.stats.items_seen += page.items.len() as u64;
        self.stats.pull_requests += page.pull_requests as u64;
        self.stats.malformed += page.malformed.len() as u64;
        for m in &page.malformed {
            tracing::warn!(source = self.source(), key = %m.key, reason = %m.reason, "Entry could not be read; its JSON is kept in malformed_entries.");
        }
        let rules = self.job.rules;
        for item in page.items {
            let row = ItemRow::new(item, rules);
            self.pending.bytes += row.text_bytes();
            self.pending.rows.push(row);
        }
        self.pending.malformed.extend(page.malformed);
        self.pending.set_cursor(container, cursor);
        if let Some(f) = self.job.on_page {
            f(self.stats.items_seen);
        }
        if self.pending.rows.len() >= BATCH_ROWS || self.pending.bytes >= BATCH_BYTES {
            self.queue_batch().await?;
        }
        Ok(())
    }

    /// Queues the buffered pages' merge, with the cursor after the last
    /// one, as one transaction on the store thread, and returns without
    /// waiting for it: the next pages are fetched and parsed meanwhile (on
    /// two cores, the merge and the fetch overlap). The batch before is
    /// waited for first, so one batch is in flight at most.
    async fn queue_batch(&mut self) -> Result<(), SyncError> {
        self.settle().await?;
        if self.big_unflushed >= BIG_TEXT_BUDGET {
            self.job.store.checkpoint().await?;
            self.big_unflushed = 0;
        }
        let Pending {
            rows,
            malformed,
            cursors,
            ..
        } = std::mem::take(&mut self.pending);
        self.big_unflushed += rows
            .iter()
            .map(|r| r.big_text_bytes(BIG_TEXT))
            .sum::<usize>();
        if cursors.is_empty() && rows.is_empty() && malformed.is_empty() {
            return Ok(());
        }
        self.merging =
            Some(
                self.job
                    .store
                    .submit_page(self.run_id, self.source(), rows, cursors, malformed),
            );
        Ok(())
    }

    /// Waits for the batch in flight, if any.
    async fn settle(&mut self) -> Result<(), SyncError> {
        if let Some(merging) = self.merging.take() {
            let stats = merging.wait().await?;
            self.stats.items_upserted += stats.changed;
        }
        Ok(())
    }

    /// Merges the buffered pages (and the cursor after the last one) and
    /// waits until they are stored.
    async fn flush(&mut self) -> Result<(), SyncError> {
        self.queue_batch().await?;
        self.settle().await
    }

    /// A page with its entries left to map ([`recur_core::Fetched`]).
    async fn fetch_unmapped(&mut self, req: &PageRequest) -> Result<Fetched, SyncError> {
        let answer =
            fetch_ahead(self.job, self.shutdown.clone(), self.last_rate, req.clone()).await;
        self.settle_ahead(answer)
    }

    /// Counts a page's answer ([`fetch_ahead`], awaited at once or asked
    /// for ahead): its retries and waits, and the rate budget it left.
    fn settle_ahead(&mut self, answer: Ahead) -> Result<Fetched, SyncError> {
        self.stats.retries += u64::from(answer.tally.retries);
        self.stats.waited_ms += answer.tally.waited.as_millis() as u64;
        self.last_rate = answer.last_rate;
        let fetched = answer.fetched?;
        if fetched.rate().is_some() {
            self.last_rate = fetched.rate();
        }
        Ok(fetched)
    }

    /// A page, mapped: the incremental listing chooses its next request
    /// by the entries' newest time.
    async fn fetch(&mut self, req: &PageRequest) -> Result<Page, SyncError> {
        Ok(self.fetch_unmapped(req).await?.map())
    }

    /// Runs one request with the shared policy: wait out rate limits (the
    /// tracker's `Retry-After`, or until `reset` when the budget is spent),
    /// back off exponentially on transient failures, give up on anything
    /// else at once.
    async fn with_retries<T, F>(&mut self, call: F) -> Result<T, SyncError>
    where
        T: Send,
        F: for<'c> FnMut(&'c dyn Connector) -> BoxFuture<'c, Result<T, ConnectorError>> + Send,
    {
        let mut tally = Tally::default();
        let result = fetch_with_retries(
            self.job.connector,
            self.job.settings,
            self.job.sleeper,
            &self.shutdown,
            &mut self.last_rate,
            &mut tally,
            call,
        )
        .await;
        self.stats.retries += u64::from(tally.retries);
        self.stats.waited_ms += tally.waited.as_millis() as u64;
        result
    }
}

/// A page asked for ahead, with what its retries counted.
struct Ahead {
    fetched: Result<Fetched, SyncError>,
    /// The rate budget after the call ([`fetch_with_retries`] clears it
    /// once it waited for the reset).
    last_rate: Option<RateLimit>,
    tally: Tally,
}

/// Asks for `req` under the shared policy; it borrows only the job, so it
/// can run beside the sync's own work on the page before
/// ([`Ctx::full_pass`]). [`Ctx::settle_ahead`] counts its answer.
async fn fetch_ahead(
    job: &SyncJob<'_>,
    shutdown: Shutdown,
    mut last_rate: Option<RateLimit>,
    req: PageRequest,
) -> Ahead {
    let mut tally = Tally::default();
    let fetched = fetch_with_retries(
        job.connector,
        job.settings,
        job.sleeper,
        &shutdown,
        &mut last_rate,
        &mut tally,
        move |c| {
            let r = req.clone();
            Box::pin(async move { c.fetch_unmapped(&r).await })
        },
    )
    .await;
    Ahead {
        fetched,
        last_rate,
        tally,
    }
}

/// One connector call under the shared policy (the sync's pages and the
/// history backfill's log pages): wait out rate limits, back off on
/// transient failures, give up on anything else at once. `last_rate` is
/// the budget the last answer reported; `tally` counts tries and waits.
pub(crate) async fn fetch_with_retries<T, F>(
    connector: &dyn Connector,
    settings: &SyncSettings,
    sleeper: &dyn Sleeper,
    shutdown: &Shutdown,
    last_rate: &mut Option<RateLimit>,
    tally: &mut Tally,
    call: F,
) -> Result<T, SyncError>
where
    T: Send,
    F: for<'c> FnMut(&'c dyn Connector) -> BoxFuture<'c, Result<T, ConnectorError>> + Send,
{
    let source = connector.source_name().to_string();
    let retry = Retry {
        policy: settings,
        sleeper,
        shutdown,
        source: &source,
    };
    let mut attempt = Fetch {
        connector,
        call,
        last_rate,
        max_wait: settings.max_wait,
        source: &source,
    };
    retry.run(&mut attempt, tally).await
}

/// One connector call under the retry loop: before asking, it waits out a
/// rate budget the last answer said was spent (instead of collecting a
/// 403).
struct Fetch<'a, F> {
    connector: &'a dyn Connector,
    call: F,
    last_rate: &'a mut Option<RateLimit>,
    max_wait: Duration,
    source: &'a str,
}

impl<T, F> Attempt for Fetch<'_, F>
where
    T: Send,
    F: for<'c> FnMut(&'c dyn Connector) -> BoxFuture<'c, Result<T, ConnectorError>> + Send,
{
    type Output = T;
    type Error = SyncError;

    fn before(&mut self, _tries: u32) -> BoxFuture<'_, Result<Before<T>, SyncError>> {
        Box::pin(async move {
            let Some(wait) = crate::retry::spent_budget_wait(*self.last_rate) else {
                return Ok(Before::Send(Duration::ZERO));
            };
            if wait > self.max_wait {
                return Err(SyncError::WaitTooLong {
                    source_name: self.source.to_string(),
                    wait,
                });
            }
            tracing::warn!(
                source = self.source,
                wait_s = wait.as_secs(),
                "Rate limit spent; waiting for the reset."
            );
            *self.last_rate = None;
            Ok(Before::Send(wait))
        })
    }

    fn call(&mut self) -> BoxFuture<'_, Result<T, ConnectorError>> {
        (self.call)(self.connector)
    }
}

impl From<RetryError> for SyncError {
    fn from(e: RetryError) -> Self {
        match e {
            RetryError::Connector(c) => SyncError::Connector(c),
            RetryError::RetriesExhausted {
                source_name,
                attempts,
                last,
            } => SyncError::RetriesExhausted {
                source_name,
                attempts,
                last,
            },
            RetryError::WaitTooLong { source_name, wait } => {
                SyncError::WaitTooLong { source_name, wait }
            }
            RetryError::Interrupted => SyncError::Interrupted,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;
    use recur_core::{Check, EventsPage, EventsRequest, Item, LogShape, StatusRules};

    use super::*;
    use crate::shutdown::{no_shutdown, TokioSleeper};
    use crate::store::OpenMode;

    /// A tracker of one repository whose full listing has `pages` pages
    /// (`/p0`, `/p1`, …, empty) and whose incremental listing is empty; it
    /// records when each page is asked for and when it is mapped.
    struct Recorder {
        pages: usize,
        /// A page that fails (not retryable).
        broken: Option<usize>,
        log: Arc<Mutex<Vec<String>>>,
        sent: AtomicU64,
    }

    impl Recorder {
        fn new(pages: usize, broken: Option<usize>) -> Self {
            Recorder {
                pages,
                broken,
                log: Arc::default(),
                sent: AtomicU64::new(0),
            }
        }

        fn log(&self) -> Vec<String> {
            self.log.lock().unwrap().clone()
        }
    }

    fn request(url: &str, listing: Listing) -> PageRequest {
        PageRequest {
            container: "acme/x".into(),
            listing,
            url: url.into(),
            token: None,
            etag: None,
        }
    }

    #[async_trait]
    impl Connector for Recorder {
        fn source_name(&self) -> &str {
            "fake"
        }
        fn requests_sent(&self) -> u64 {
            self.sent.load(Ordering::Relaxed)
        }
        async fn containers(&self) -> Result<Vec<String>, ConnectorError> {
            Ok(vec!["acme/x".into()])
        }
        fn full_listings(&self, _: &str) -> Vec<Listing> {
            vec![Listing::Tracked]
        }
        fn first_page(&self, _: &str, listing: &Listing) -> PageRequest {
            match listing {
                Listing::Since { .. } => request("/since", listing.clone()),
                _ => request("/p0", listing.clone()),
            }
        }
        async fn fetch_page(&self, req: &PageRequest) -> Result<Page, ConnectorError> {
            Ok(self.fetch_unmapped(req).await?.map())
        }
        async fn fetch_unmapped(&self, req: &PageRequest) -> Result<Fetched, ConnectorError> {
            self.sent.fetch_add(1, Ordering::Relaxed);
            self.log.lock().unwrap().push(format!("asked {}", req.url));
            let Some(n) = req
                .url
                .strip_prefix("/p")
                .and_then(|n| n.parse::<usize>().ok())
            else {
                return Ok(Fetched::mapped(Page::default()));
            };
            if self.broken == Some(n) {
                return Err(ConnectorError::Protocol {
                    source_name: "fake".into(),
                    message: format!("page {n} is broken"),
                });
            }
            let head = Page {
                next: (n + 1 < self.pages)
                    .then(|| request(&format!("/p{}", n + 1), req.listing.clone())),
                ..Page::default()
            };
            let log = self.log.clone();
            Ok(Fetched::unmapped(head, move || {
                log.lock().unwrap().push(format!("mapped /p{n}"));
                Page::default()
            }))
        }
        async fn probe(&self, _: &str) -> Result<Probe, ConnectorError> {
            unreachable!("a first sync looks nothing up")
        }
        fn log_shape(&self) -> LogShape {
            unreachable!("no backfill here")
        }
        async fn prepare_log(&self) -> Result<(), ConnectorError> {
            unreachable!("no backfill here")
        }
        async fn events_page(&self, _: &EventsRequest) -> Result<EventsPage, ConnectorError> {
            unreachable!("no backfill here")
        }
        fn item_from_raw(&self, _: &str, _: &str) -> Option<Item> {
            None
        }
        async fn preflight(&self, _: bool) -> Vec<Check> {
            Vec::new()
        }
        fn status_rules(&self, _: &[String]) -> StatusRules {
            unreachable!("no rewinding here")
        }
    }

    /// A first sync from `connector` into a new file (kept in the
    /// returned directory, the store open on it).
    async fn first_sync(
        connector: &Recorder,
    ) -> (Result<SyncReport, SyncError>, Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("r.duckdb"), OpenMode::ReadWrite, "256MB")
            .await
            .unwrap();
        let rules = LabelRules::default();
        let settings = SyncSettings::default();
        let report = SyncJob {
            store: &store,
            connector,
            rules: &rules,
            settings: &settings,
            sleeper: &TokioSleeper,
            full: false,
            on_page: None,
            clock: crate::clock::Clock::at(Utc::now()),
        }
        .run(no_shutdown())
        .await;
        (report, store, dir)
    }

    #[tokio::test]
    async fn the_next_page_is_asked_for_before_this_one_is_mapped() {
        let tracker = Recorder::new(3, None);
        let (report, _store, _dir) = first_sync(&tracker).await;
        let report = report.unwrap();
        assert_eq!(
            tracker.log(),
            [
                "asked /p0",
                "asked /p1",
                "mapped /p0",
                "asked /p2",
                "mapped /p1",
                "mapped /p2",
                "asked /since",
            ]
        );
        // Each page once: asking ahead adds no request.
        assert_eq!(report.stats.api_requests, 4);
    }

    #[tokio::test]
    async fn a_page_asked_for_ahead_that_fails_leaves_the_cursor_on_it() {
        let tracker = Recorder::new(4, Some(2));
        let (report, store, _dir) = first_sync(&tracker).await;
        let err = report.unwrap_err();
        assert!(err.to_string().contains("page 2 is broken"), "{err}");
        // Asked for while /p1 was stored; /p1 was stored whole all the same.
        assert_eq!(
            tracker.log(),
            [
                "asked /p0",
                "asked /p1",
                "mapped /p0",
                "asked /p2",
                "mapped /p1"
            ]
        );
        let cursor = store.cursor("fake", "acme/x").await.unwrap().unwrap();
        assert_eq!(cursor["full"]["next"]["url"], "/p2", "{cursor}");
        assert_eq!(cursor["initial_done"], false, "{cursor}");
    }
}
