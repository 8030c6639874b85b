//! History backfill: each tracked item's earlier versions, rebuilt from the
//! tracker's change log, so `--as-of` reaches back before recur was
//! installed.
//!
//! Two phases, both resumable. **Fetch**: the log pages go into
//! `item_events` together with the cursors that say they are done (one
//! transaction per batch of pages, stored while the next batch is read),
//! so a kill loses at most the batch being stored and the pages read
//! since, asked for again by the next run. On
//! GitHub each repository takes the cheaper listing: every tracked issue's
//! own events (`…/issues/{n}/events`, at least one request each) or the
//! repository-wide events (`…/issues/events`, every issue and pull
//! request), estimated from what the first sync saw (tracked items, their
//! labels, the highest issue number) and said in the log. Jira Cloud reads
//! the changelogs of up to 1,000 issues a request (`bulk`), falling back to
//! each issue's when the site answers that listing with 404; Data Center
//! reads 100 issues' a request (`bulk` too: its search, changelogs
//! embedded). An issue whose log a bulk listing gives in part or not at
//! all is then read alone. **Rebuild**: for each item whose log is
//! complete, [`recur_core::rewind`] walks the events back from the item as
//! last synced, and the versions before its first synced one are written
//! with `origin = 'backfill'` (one transaction per batch of items; one
//! batch is rewound here while the store writes the one before and reads
//! the next).
//!
//! Requests go through the shared retry loop under the sync's rate-limit
//! handling and stop at `[sync] backfill_max_requests` per run; the rest
//! continues next run.

use std::collections::{BTreeMap, HashSet};

use recur_core::normalize::LabelRules;
use recur_core::{Connector, ConnectorError, EventsPage, EventsRequest, RateLimit};
use serde::Serialize;
use tracing::Instrument;

use crate::retry::Tally;
use crate::settings::SyncSettings;
use crate::shutdown::{Shutdown, Sleeper};
use crate::store::{BackfillProgress, BackfillTodo, BatchInputs, ItemRow, Queued, Store};
use crate::sync::{fetch_with_retries, SyncError};

/// One backfill run of one source.
pub struct BackfillJob<'a> {
    /// The database.
    pub store: &'a Store,
    /// The tracker.
    pub connector: &'a dyn Connector,
    /// What is tracked (the rebuilt versions are classified like synced ones).
    pub rules: &'a LabelRules,
    /// Retries, waits and the request budget (`backfill_max_requests`).
    pub settings: &'a SyncSettings,
    /// How to wait.
    pub sleeper: &'a dyn Sleeper,
}

/// The listing chosen for one container, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Strategy {
    /// The repository or project.
    pub container: String,
    /// `per_item`, `per_container` (GitHub's repository-wide events) or
    /// `bulk` (Jira Cloud's changelogs of many issues at once).
    pub strategy: String,
    /// Estimated requests listing each tracked item's events.
    pub estimate_per_item: u64,
    /// Estimated requests listing the container's events, or its items'
    /// in bulk (`None`: the tracker has neither listing).
    pub estimate_container: Option<u64>,
}

/// What one backfill run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BackfillReport {
    /// Source name.
    pub source: String,
    /// Items whose versions were rebuilt in this run.
    pub items: u64,
    /// Versions written.
    pub versions: u64,
    /// Events stored, each once: one read twice (an item's log read in
    /// part by a listing and then on its own) is not counted again.
    pub events: u64,
    /// Change-log requests made.
    pub requests: u64,
    /// The fewest requests the listings read needed (pages of their entries).
    pub minimum_requests: u64,
    /// Items left for a later run (budget spent).
    pub remaining: u64,
    /// Per container, the listing chosen.
    pub strategies: Vec<Strategy>,
}

/// The estimated length of an item's log: a label event per label, and a
/// few state changes.
fn estimated_events(t: &BackfillTodo) -> u64 {
    t.labels as u64 + 2
}

/// Items whose versions are written in one transaction, at most: as many
/// as hold [`REBUILD_BYTES`] of stored JSON (read at once). Each batch's
/// statements scan the history, so fewer batches are faster: 100k bench's
/// GitHub backfill at 500 items 19.3-20.9 s, 1,000 16.2-16.4 s (peak 232
/// -> 245 MB), 2,000 14.8-16.2 s (291 MB). Since the versions carry no
/// raw JSON and three batches move at once: 1,000 11.8-13.5 s (235 MB),
/// 2,000 10.6-11.4 s (259 MB, under the first sync's own peak), 4,000
/// 10.0-10.3 s (294 MB).
const REBUILD_BATCH: usize = 2000;
const REBUILD_BYTES: usize = 16 << 20;

/// An item's state once its log is read whole, but the log itself holds
/// only the tracker's newest entries ([`recur_core::EventsPage::partial`]):
/// its history is rebuilt back to the oldest entry read, and no version is
/// made up for the time before.
const PARTIAL: &str = "fetched_partial";

/// Whether `t`'s log is read (whole, or all the tracker gives).
fn log_read(t: &BackfillTodo) -> bool {
    matches!(t.state.as_deref(), Some("fetched") | Some(PARTIAL))
}

/// Log pages are stored in one transaction per this many events or
/// [`BATCH_PAGES`] pages, whichever comes first: storing costs about as
/// much for a page as for many (measured: 13 ms a page, 7 of them the
/// insert into `item_events`, for ~60 events), and a kill loses at most
/// the pages of the batch being stored and the one being read, asked for
/// again by the next run. A Jira changelog page holds a few events, so its
/// batches end on pages: 5,000 of them took 4.1 s at 32 pages a batch
/// (the store the bottleneck), 3.2-3.3 s at 128, 2.9-3.3 s at 512; 128
/// keeps what a kill loses to 256 requests.
const BATCH_EVENTS: usize = 2000;
const BATCH_PAGES: usize = 128;

/// `items` in runs of at most `max_items` and `max_bytes` of stored JSON
/// (an item larger alone is a run of its own).
fn batches<'t>(
    items: &'t [&'t BackfillTodo],
    max_items: usize,
    max_bytes: usize,
) -> impl Iterator<Item = &'t [&'t BackfillTodo]> + 't {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        let n = rest
            .iter()
            .take(max_items)
            .take_while(|t| {
                bytes += t.bytes;
                bytes <= max_bytes
            })
            .count()
            .max(1);
        let (run, tail) = rest.split_at(n);
        rest = tail;
        Some(run)
    })
}

/// The items a listing's last page settles (all of them, fetched); none
/// before its last page.
fn settled<'t>(
    finished: bool,
    items: impl IntoIterator<Item = &'t BackfillTodo>,
) -> Vec<(String, &'static str, Option<String>)> {
    if !finished {
        return Vec::new();
    }
    items
        .into_iter()
        .map(|t| (t.key.clone(), "fetched", None))
        .collect()
}

fn pages(entries: u64, page: u64) -> u64 {
    entries.div_ceil(page.max(1)).max(1)
}

impl BackfillJob<'_> {
    fn source(&self) -> &str {
        self.connector.source_name()
    }

    /// Fetches the logs of the items not yet fetched (within the budget),
    /// then rebuilds every item whose log is complete.
    pub async fn run(&self, shutdown: Shutdown) -> Result<BackfillReport, SyncError> {
        let source = self.source().to_string();
        let report = BackfillReport {
            source: source.clone(),
            ..BackfillReport::default()
        };
        let todo = self.store.backfill_todo(&source).await?;
        if todo.is_empty() {
            return Ok(report);
        }
        let shape = self.connector.log_shape();
        self.connector
            .prepare_log()
            .await
            .map_err(SyncError::Connector)?;
        let max_numbers: BTreeMap<String, i64> = self
            .store
            .backfill_max_numbers(&source)
            .await?
            .into_iter()
            .collect();
        let mut by_container: BTreeMap<String, Vec<BackfillTodo>> = BTreeMap::new();
        for t in todo {
            by_container.entry(t.container.clone()).or_default().push(t);
        }
        let mut pass = Pass {
            fetch: Fetcher {
                job: self,
                shutdown,
                last_rate: None,
                requests: 0,
                budget: self.settings.backfill_max_requests,
            },
            unstored: Unstored::default(),
            report,
        };
        let fetched = self
            .fetch_logs(&source, &by_container, &max_numbers, &mut pass)
            .await;
        // Pages are stored in batches; what was read before a failure, the
        // budget's end or a shutdown is stored all the same.
        let Pass {
            fetch,
            mut unstored,
            mut report,
        } = pass;
        let stored = unstored.store(self.store, &source).await;
        report.events = unstored.stored_events;
        if let (Err(_), Err(e)) = (&fetched, &stored) {
            tracing::warn!(source = %source, error = %e, "The log pages read before the failure could not be stored; the next run reads them again.");
        }
        // The fetch's own error first: it says what went wrong.
        fetched?;
        stored?;
        report.requests = fetch.requests;

        // Rebuild every item whose log is complete, a batch per transaction.
        let todo = self.store.backfill_todo(&source).await?;
        let samples = self.store.backfill_status_samples(&source).await?;
        let rules = self.connector.status_rules(&samples);
        let mut ready: Vec<&BackfillTodo> = todo.iter().filter(|t| log_read(t)).collect();
        // In file order, so each batch's stored JSON lies together.
        ready.sort_by_key(|t| t.row);
        report.remaining = (todo.len() - ready.len()) as u64;
        self.rebuild(
            &ready,
            &rules,
            shape.has_fields,
            (REBUILD_BATCH, REBUILD_BYTES),
            &fetch.shutdown,
            &mut report,
        )
        .await?;
        tracing::info!(
            source = %source,
            items = report.items,
            versions = report.versions,
            events = report.events,
            requests = report.requests,
            minimum_requests = report.minimum_requests,
            remaining = report.remaining,
            "History backfill done."
        );
        Ok(report)
    }

    /// The rebuild phase over `ready` (items whose log is complete), a
    /// batch (of at most `max_items` items and `max_bytes` of their stored
    /// JSON) per transaction. Three batches move at once: while one is
    /// rewound here, the store thread writes the one before and reads the
    /// next (rewinding waited for the store, and the store for it, for a
    /// fifth of the phase). Stops after the batch under way when a shutdown
    /// is asked for; returns once every batch handed over is written.
    async fn rebuild(
        &self,
        ready: &[&BackfillTodo],
        rules: &recur_core::StatusRules,
        body_fields_known: bool,
        (max_items, max_bytes): (usize, usize),
        shutdown: &Shutdown,
        report: &mut BackfillReport,
    ) -> Result<(), SyncError> {
        let source = self.source();
        let chunks: Vec<&[&BackfillTodo]> = batches(ready, max_items, max_bytes).collect();
        let read = |chunk: &[&BackfillTodo]| {
            let keys = chunk.iter().map(|t| t.key.clone()).collect();
            let rows = (
                chunk.first().map_or(0, |t| t.row),
                chunk.last().map_or(0, |t| t.row),
            );
            self.store.submit_backfill_inputs(source, keys, rows)
        };
        let mut reading = chunks.first().map(|c| read(c));
        let mut writing: Option<Queued<usize>> = None;
        let mut written = 0;
        let mut rewound = 0;
        let outcome: Result<(), SyncError> = async {
            for (n, chunk) in chunks.iter().enumerate() {
                let Some(inputs) = reading.take() else { break };
                let inputs = inputs.wait().await?;
                reading = chunks.get(n + 1).map(|c| read(c));
                let batch = self.rewind_batch(chunk, inputs, rules);
                rewound += batch.len() as u64;
                if let Some(w) = writing.take() {
                    written += w.wait().await?;
                }
                writing = Some(self.store.submit_backfill_versions(
                    source,
                    batch,
                    body_fields_known,
                ));
                if *shutdown.borrow() {
                    return Err(SyncError::Interrupted);
                }
            }
            Ok(())
        }
        .await;
        // The batch handed over last is written (or failed) before this
        // returns, whatever stopped the loop.
        let last = match writing {
            Some(w) => w.wait().await.map_err(SyncError::from),
            None => Ok(0),
        };
        report.items += rewound;
        report.versions += written as u64;
        outcome?;
        report.versions += last? as u64;
        Ok(())
    }

    /// Rewinds each item of `chunk` from its stored JSON through its
    /// events: the versions to write before its first synced one.
    fn rewind_batch(
        &self,
        chunk: &[&BackfillTodo],
        inputs: BatchInputs,
        rules: &recur_core::StatusRules,
    ) -> Vec<(String, Vec<ItemRow>)> {
        let BatchInputs { mut events, raws } = inputs;
        let mut batch = Vec::with_capacity(chunk.len());
        for t in chunk {
            let raw = raws.get(&t.key).map(String::as_str).unwrap_or("");
            let Some(mut current) = self.connector.item_from_raw(&t.container, raw) else {
                // Marked rebuilt with no versions: retrying would fail
                // the same way every run.
                tracing::warn!(source = %self.source(), key = %t.key, "Stored item unreadable; its history is not rebuilt.");
                batch.push((t.key.clone(), Vec::new()));
                continue;
            };
            // History keeps no raw JSON: every rebuilt version would carry
            // a copy of the item's into the rewind and the staging table,
            // for nothing.
            current.raw = String::new();
            let evs = events.remove(&t.key).unwrap_or_default();
            let status = (rules.status_of)(raw);
            let versions = recur_core::rewind(
                &current,
                &evs,
                t.until,
                t.state.as_deref() != Some(PARTIAL),
                status.as_deref(),
                rules.settle.as_ref(),
            );
            let rows: Vec<ItemRow> = versions
                .into_iter()
                .map(|v| {
                    let mut item = v.item;
                    item.updated_at = v.valid_from;
                    ItemRow::new(item, self.rules)
                })
                .collect();
            batch.push((t.key.clone(), rows));
        }
        batch
    }

    /// Reads `container`'s whole log (GitHub's repository-wide events) from
    /// `cursor`, keeping the events of `items`; the items are settled with
    /// the last page, the cursor stored with every batch.
    async fn container_logs(
        &self,
        source: &str,
        container: &str,
        items: &[BackfillTodo],
        mut cursor: Option<String>,
        pass: &mut Pass<'_, '_>,
    ) -> Result<Listed, SyncError> {
        let keys: HashSet<&str> = items.iter().map(|t| t.key.as_str()).collect();
        loop {
            if !pass.fetch.can_send() {
                return Ok(Listed::OutOfBudget);
            }
            let request = EventsRequest::Container {
                container: container.to_string(),
                cursor: cursor.clone(),
            };
            let p = pass.fetch.page(&request).await?;
            let extra = p.extra_requests;
            let kept: Vec<_> = p
                .events
                .into_iter()
                .filter(|e| keys.contains(e.key.as_str()))
                .collect();
            let finished = p.next.is_none();
            let progress = BackfillProgress {
                items: settled(finished, items),
                item_requests: None,
                container: Some((container.to_string(), p.next.clone(), finished, 1)),
            };
            pass.keep(self.store, source, extra, kept, progress).await?;
            if finished {
                return Ok(Listed::Whole);
            }
            cursor = p.next;
        }
    }

    /// Reads each of `open`'s own logs, from where an earlier run left it.
    async fn item_logs(
        &self,
        source: &str,
        open: &[&BackfillTodo],
        pass: &mut Pass<'_, '_>,
    ) -> Result<Listed, SyncError> {
        for t in open {
            let mut cursor = t.cursor.clone();
            loop {
                if !pass.fetch.can_send() {
                    return Ok(Listed::OutOfBudget);
                }
                let request = EventsRequest::Item {
                    key: t.key.clone(),
                    cursor: cursor.clone(),
                };
                let p = match pass.fetch.page(&request).await {
                    Ok(p) => p,
                    // Gone since the sync (deleted, or where the token
                    // cannot see it): its log cannot be read, the others'
                    // can. It stays to do (the next run asks again; the
                    // sync's reconciliation marks it gone, and then it is
                    // not listed).
                    Err(SyncError::Connector(ConnectorError::NotFound { .. })) => {
                        tracing::warn!(source = %source, key = %t.key, "History backfill: the item's change log is not found (gone since the sync?); it is left for a later run.");
                        break;
                    }
                    Err(e) => return Err(e),
                };
                let state = if p.next.is_some() {
                    "fetching"
                } else if !p.partial.is_empty() {
                    PARTIAL
                } else {
                    "fetched"
                };
                let progress = BackfillProgress {
                    items: vec![(t.key.clone(), state, p.next.clone())],
                    item_requests: Some((t.key.clone(), 1)),
                    container: None,
                };
                pass.keep(self.store, source, p.extra_requests, p.events, progress)
                    .await?;
                match p.next {
                    Some(n) => cursor = Some(n),
                    None => break,
                }
            }
        }
        Ok(Listed::Whole)
    }

    /// Reads the logs of `chunk` (at most [`LogShape::bulk_items`] items of
    /// `container`) through the bulk listing, page after page. The items
    /// are marked fetched with the last page only, and no page's cursor is
    /// kept: a run stopped half-way asks for the chunk again from its
    /// first page (the events already stored are not stored twice). Items
    /// the listing does not give whole are then read one by one: those
    /// whose log came in part ([`EventsPage::partial`]: the item's own
    /// answer may hold more, and its own partial flag is believed) and
    /// those no page named when the listing names all it has
    /// ([`EventsPage::named`]: gone or hidden since the sync, their own
    /// request says which). So is the whole chunk when the tracker refuses
    /// the listing for it (400).
    ///
    /// [`LogShape::bulk_items`]: recur_core::LogShape::bulk_items
    async fn bulk_logs(
        &self,
        source: &str,
        container: &str,
        chunk: &[&BackfillTodo],
        pass: &mut Pass<'_, '_>,
    ) -> Result<Listed, SyncError> {
        let items: Vec<(String, String)> = chunk
            .iter()
            .map(|t| (t.key.clone(), t.external_id.clone()))
            .collect();
        let mut cursor = None;
        // A token that comes back would page in a loop until the budget is
        // spent, every run.
        let mut tokens = HashSet::new();
        let mut partial: HashSet<String> = HashSet::new();
        let mut named: Option<HashSet<String>> = None;
        loop {
            if !pass.fetch.can_send() {
                return Ok(Listed::OutOfBudget);
            }
            let request = EventsRequest::Items {
                items: items.clone(),
                cursor: cursor.clone(),
            };
            let p = match pass.fetch.page(&request).await {
                Ok(p) => p,
                Err(SyncError::Connector(ConnectorError::NotFound { .. })) if cursor.is_none() => {
                    tracing::warn!(source = %source, container = %container, "History backfill: the tracker has no bulk change log; each item's is read instead.");
                    return Ok(Listed::Missing);
                }
                Err(SyncError::Connector(ConnectorError::Http {
                    status: 400,
                    message,
                    ..
                })) if cursor.is_none() => {
                    tracing::warn!(source = %source, container = %container, items = chunk.len(), message = %message,
                        "History backfill: the tracker refused the bulk change log of these items (400); each item's is read instead.");
                    return self.item_logs(source, chunk, pass).await;
                }
                Err(e) => return Err(e),
            };
            if let Some(next) = &p.next {
                if !tokens.insert(next.clone()) {
                    return Err(SyncError::Connector(ConnectorError::Protocol {
                        source_name: source.to_string(),
                        message: format!(
                            "the bulk change log of {container}'s issues pages in a loop (a page token came back)"
                        ),
                    }));
                }
            }
            partial.extend(p.partial);
            if let Some(n) = p.named {
                named.get_or_insert_with(HashSet::new).extend(n);
            }
            let finished = p.next.is_none();
            let whole = |t: &&&BackfillTodo| {
                !partial.contains(&t.key) && named.as_ref().is_none_or(|n| n.contains(&t.key))
            };
            let progress = BackfillProgress {
                items: settled(finished, chunk.iter().filter(whole).copied()),
                item_requests: None,
                container: Some((container.to_string(), None, false, 1)),
            };
            pass.keep(self.store, source, p.extra_requests, p.events, progress)
                .await?;
            if finished {
                let rest: Vec<&BackfillTodo> =
                    chunk.iter().filter(|t| !whole(t)).copied().collect();
                return self.item_logs(source, &rest, pass).await;
            }
            cursor = p.next;
        }
    }

    /// Records that `container`'s logs are read item by item after all
    /// (its tracker has no bulk listing) and answers that strategy.
    async fn without_bulk(
        &self,
        source: &str,
        container: &str,
        estimate_per_item: u64,
    ) -> Result<String, SyncError> {
        self.store
            .backfill_choose(source, container, "per_item", estimate_per_item, 0)
            .await?;
        Ok("per_item".to_string())
    }

    /// The fetch phase: each container's log pages under the budget,
    /// gathered in the pass's unstored pages (stored when full; the caller
    /// stores the rest, whatever this returns).
    async fn fetch_logs(
        &self,
        source: &str,
        by_container: &BTreeMap<String, Vec<BackfillTodo>>,
        max_numbers: &BTreeMap<String, i64>,
        pass: &mut Pass<'_, '_>,
    ) -> Result<(), SyncError> {
        let shape = self.connector.log_shape();
        let page = u64::from(shape.page_size);
        // The tracker turned out not to have its bulk listing (a 404): the
        // other containers go per item at once.
        let mut bulk_missing = false;
        for (container, items) in by_container {
            let open: Vec<&BackfillTodo> = items.iter().filter(|t| !log_read(t)).collect();
            if open.is_empty() {
                continue;
            }
            let plan = self.store.backfill_container(source, container).await?;
            let estimate_per_item: u64 =
                items.iter().map(|t| pages(estimated_events(t), page)).sum();
            let bulk = u64::from(shape.bulk_items);
            let estimate_container = if shape.per_container {
                let mean = items.iter().map(estimated_events).sum::<u64>() as f64
                    / items.len().max(1) as f64;
                let issues = max_numbers.get(container).copied().unwrap_or(0).max(1) as f64;
                Some(pages((issues * mean).ceil() as u64, page))
            } else if bulk > 0 && !bulk_missing {
                // A request per `bulk` items at least, and per `bulk`
                // histories (Cloud's page holds as many as it names issues).
                let events: u64 = items.iter().map(estimated_events).sum();
                Some(pages(events, bulk).max(pages(items.len() as u64, bulk)))
            } else {
                None
            };
            let (mut strategy, cursor, done) = match plan {
                Some(p) => (p.strategy, p.cursor, p.done),
                None => {
                    let strategy = match estimate_container {
                        Some(c) if c < estimate_per_item && shape.per_container => "per_container",
                        Some(c) if c < estimate_per_item => "bulk",
                        _ => "per_item",
                    };
                    tracing::info!(
                        source = %source,
                        container = %container,
                        strategy,
                        estimate_per_item,
                        estimate_container = estimate_container.map(|c| c as i64).unwrap_or(-1),
                        items = items.len(),
                        "History backfill: listing chosen by estimated requests."
                    );
                    self.store
                        .backfill_choose(
                            source,
                            container,
                            strategy,
                            estimate_per_item,
                            estimate_container.unwrap_or(0),
                        )
                        .await?;
                    (strategy.to_string(), None, false)
                }
            };
            if strategy == "bulk" && bulk_missing {
                strategy = self
                    .without_bulk(source, container, estimate_per_item)
                    .await?;
            }
            pass.report.strategies.push(Strategy {
                container: container.clone(),
                strategy: strategy.clone(),
                estimate_per_item,
                estimate_container,
            });
            if strategy == "bulk" {
                let size = shape.bulk_items.max(1) as usize;
                for chunk in open.chunks(size) {
                    match self.bulk_logs(source, container, chunk, pass).await? {
                        Listed::Whole => {}
                        Listed::OutOfBudget => return Ok(()),
                        Listed::Missing => {
                            bulk_missing = true;
                            strategy = self
                                .without_bulk(source, container, estimate_per_item)
                                .await?;
                            if let Some(s) = pass.report.strategies.last_mut() {
                                s.strategy = strategy.clone();
                            }
                            break;
                        }
                    }
                }
            }
            let listed = match strategy.as_str() {
                "per_container" if !done => {
                    self.container_logs(source, container, items, cursor, pass)
                        .await?
                }
                "per_item" => self.item_logs(source, &open, pass).await?,
                _ => Listed::Whole,
            };
            if matches!(listed, Listed::OutOfBudget) {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// What the fetch phase reads with and into: the requests under the
/// budget, the pages not stored yet, and the run's report.
struct Pass<'a, 'j> {
    fetch: Fetcher<'a, 'j>,
    unstored: Unstored,
    report: BackfillReport,
}

impl Pass<'_, '_> {
    /// Counts a page read (itself and the `extra` requests it needed, all
    /// in the minimum: every page but a short last one is full, so a
    /// listing needs exactly as many as it took) and hands it and its kept
    /// `events` to the unstored pages (which count the events stored).
    async fn keep(
        &mut self,
        store: &Store,
        source: &str,
        extra: u32,
        events: Vec<recur_core::ItemEvent>,
        progress: BackfillProgress,
    ) -> Result<(), SyncError> {
        self.report.minimum_requests += 1 + u64::from(extra);
        self.unstored.add(events, progress);
        self.unstored.store_when_full(store, source).await
    }
}

/// How a listing ended.
enum Listed {
    /// Every page read.
    Whole,
    /// The run's request budget ran out (or a shutdown was asked for).
    OutOfBudget,
    /// The tracker has no such listing (404; bulk listings only): read
    /// each item's log instead.
    Missing,
}

/// Log pages fetched but not stored yet: stored together, one
/// transaction per [`BATCH_EVENTS`] events or [`BATCH_PAGES`] pages. One
/// batch is stored while the next one is read (`storing`): awaiting each
/// store before the next request left the fetch idle for a third of its
/// time.
#[derive(Default)]
struct Unstored {
    events: Vec<recur_core::ItemEvent>,
    pages: Vec<BackfillProgress>,
    storing: Option<Queued<u64>>,
    /// Events the store took as new, over the batches stored (the run's
    /// `events`: one read twice is stored and counted once).
    stored_events: u64,
}

impl Unstored {
    fn add(&mut self, events: Vec<recur_core::ItemEvent>, progress: BackfillProgress) {
        self.events.extend(events);
        self.pages.push(progress);
    }

    /// Hands a full batch to the store, once the batch before it is
    /// stored (at most one in flight: a failure or a kill loses that batch
    /// and the pages read since).
    async fn store_when_full(&mut self, store: &Store, source: &str) -> Result<(), SyncError> {
        if self.events.len() >= BATCH_EVENTS || self.pages.len() >= BATCH_PAGES {
            self.stored().await?;
            self.submit(store, source);
        }
        Ok(())
    }

    /// Stores what is left and waits for every batch handed over.
    async fn store(&mut self, store: &Store, source: &str) -> Result<(), SyncError> {
        self.stored().await?;
        self.submit(store, source);
        self.stored().await
    }

    fn submit(&mut self, store: &Store, source: &str) {
        if self.pages.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.events);
        let pages = std::mem::take(&mut self.pages);
        self.storing = Some(store.submit_backfill_pages(source, events, pages));
    }

    /// Waits for the batch in flight, if any. When it failed, the pages
    /// read since are dropped, not stored after it: a container's cursor
    /// would pass the failed batch's events for good. The next run asks
    /// for them all again.
    async fn stored(&mut self) -> Result<(), SyncError> {
        let Some(q) = self.storing.take() else {
            return Ok(());
        };
        let stored = q.wait().await.map_err(|e| {
            self.events.clear();
            self.pages.clear();
            SyncError::from(e)
        })?;
        self.stored_events += stored;
        Ok(())
    }
}

/// Sends log requests under the retry loop and the run's budget.
struct Fetcher<'a, 'j> {
    job: &'a BackfillJob<'j>,
    shutdown: Shutdown,
    last_rate: Option<RateLimit>,
    requests: u64,
    budget: u64,
}

impl Fetcher<'_, '_> {
    fn can_send(&self) -> bool {
        self.requests < self.budget && !*self.shutdown.borrow()
    }

    async fn page(&mut self, request: &EventsRequest) -> Result<EventsPage, SyncError> {
        let r = request.clone();
        let before = self.job.connector.requests_sent();
        let mut tally = Tally::default();
        let page = fetch_with_retries(
            self.job.connector,
            self.job.settings,
            self.job.sleeper,
            &self.shutdown,
            &mut self.last_rate,
            &mut tally,
            move |c| {
                let r = r.clone();
                Box::pin(async move { c.events_page(&r).await })
            },
        )
        .instrument(tracing::debug_span!("backfill_page"))
        .await;
        // A request the tracker refused was sent all the same: it counts
        // against the budget and in the report.
        self.requests += self.job.connector.requests_sent() - before;
        let page = page?;
        self.last_rate = page.rate.or(self.last_rate);
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn todo(bytes: usize) -> BackfillTodo {
        BackfillTodo {
            key: format!("a/b#{bytes}"),
            container: "a/b".into(),
            number: 1,
            external_id: String::new(),
            labels: 1,
            until: chrono::Utc::now(),
            state: Some("fetched".into()),
            cursor: None,
            row: 0,
            bytes,
        }
    }

    /// A tracker whose stored items are `a/b#N` (their stored JSON is N),
    /// with a bulk change log whose every page names the same next page:
    /// what the rebuild asks of a connector, and a listing that loops.
    #[derive(Default)]
    struct Rewinder {
        sent: std::sync::atomic::AtomicU64,
    }

    fn at(day: &str) -> chrono::DateTime<chrono::Utc> {
        format!("{day}T00:00:00Z").parse().unwrap()
    }

    fn current(n: i64) -> recur_core::Item {
        recur_core::Item {
            key: format!("a/b#{n}"),
            container: "a/b".into(),
            number: n,
            external_id: n.to_string(),
            url: String::new(),
            title: format!("Add retries to client {n}"),
            body: String::new(),
            state: recur_core::State::Open,
            state_reason: None,
            tracker_status: None,
            labels: vec![
                "postmortem".into(),
                format!("priority:{}", ["high", "low"][n as usize % 2]),
            ],
            issue_type: None,
            assignee: None,
            due_date: None,
            created_at: at("2025-01-01"),
            updated_at: at("2025-06-01"),
            closed_at: None,
            sections: Default::default(),
            links: Vec::new(),
            raw: n.to_string(),
        }
    }

    #[async_trait::async_trait]
    impl Connector for Rewinder {
        fn source_name(&self) -> &str {
            "fake"
        }
        fn requests_sent(&self) -> u64 {
            self.sent.load(std::sync::atomic::Ordering::Relaxed)
        }
        async fn containers(&self) -> Result<Vec<String>, recur_core::ConnectorError> {
            unreachable!("the rebuild lists nothing")
        }
        fn full_listings(&self, _: &str) -> Vec<recur_core::Listing> {
            unreachable!("the rebuild lists nothing")
        }
        fn first_page(&self, _: &str, _: &recur_core::Listing) -> recur_core::PageRequest {
            unreachable!("the rebuild lists nothing")
        }
        async fn fetch_page(
            &self,
            _: &recur_core::PageRequest,
        ) -> Result<recur_core::Page, recur_core::ConnectorError> {
            unreachable!("the rebuild lists nothing")
        }
        async fn probe(&self, _: &str) -> Result<recur_core::Probe, recur_core::ConnectorError> {
            unreachable!("the rebuild looks nothing up")
        }
        fn log_shape(&self) -> recur_core::LogShape {
            recur_core::LogShape {
                per_container: false,
                page_size: 100,
                has_fields: false,
                bulk_items: 1000,
            }
        }
        async fn prepare_log(&self) -> Result<(), recur_core::ConnectorError> {
            Ok(())
        }
        async fn events_page(
            &self,
            request: &EventsRequest,
        ) -> Result<EventsPage, recur_core::ConnectorError> {
            assert!(
                matches!(request, EventsRequest::Items { .. }),
                "{request:?}"
            );
            self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(EventsPage {
                next: Some("again".into()),
                ..EventsPage::default()
            })
        }
        fn item_from_raw(&self, _: &str, raw: &str) -> Option<recur_core::Item> {
            raw.parse().ok().map(current)
        }
        async fn preflight(&self, _: bool) -> Vec<recur_core::Check> {
            Vec::new()
        }
        fn status_rules(&self, _: &[String]) -> recur_core::StatusRules {
            recur_core::StatusRules::none()
        }
    }

    /// A store holding seven synced items and one whose JSON is unreadable,
    /// their logs not fetched.
    async fn synced(rules: &LabelRules) -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            &dir.path().join("s.duckdb"),
            crate::store::OpenMode::ReadWrite,
            "512MB",
        )
        .await
        .unwrap();
        let mut rows: Vec<ItemRow> = (1..=7).map(|n| ItemRow::new(current(n), rules)).collect();
        let mut broken = current(8);
        broken.raw = "not a number".into();
        rows.push(ItemRow::new(broken, rules));
        store
            .ingest_page(1, "fake", rows, None, Vec::new())
            .await
            .unwrap();
        (store, dir)
    }

    /// [`synced`]'s items, each with a log (labelled, renamed, closed and
    /// reopened, and for one a priority change) of which the rebuild makes
    /// versions.
    async fn synced_with_logs(rules: &LabelRules) -> (Store, tempfile::TempDir) {
        use recur_core::{Change, ItemEvent};
        let (store, dir) = synced(rules).await;
        let mut events = Vec::new();
        for n in 1..=8i64 {
            let event = |id: &str, day: &str, change: Change| ItemEvent {
                key: format!("a/b#{n}"),
                id: format!("{n}-{id}"),
                at: at(day),
                actor: None,
                change,
            };
            events.push(event(
                "1",
                "2025-01-05",
                Change::Labeled {
                    label: "postmortem".into(),
                },
            ));
            events.push(event(
                "2",
                &format!("2025-02-{:02}", n),
                Change::Renamed {
                    from: format!("Retries {n}"),
                    to: format!("Add retries to client {n}"),
                },
            ));
            events.push(event(
                "3",
                "2025-03-10",
                Change::Closed {
                    reason: Some("completed".into()),
                },
            ));
            events.push(event("4", "2025-04-10", Change::Reopened));
            if n == 3 {
                events.push(event(
                    "5",
                    "2025-05-01",
                    Change::Labeled {
                        label: "priority:low".into(),
                    },
                ));
                events.push(event(
                    "6",
                    "2025-05-01",
                    Change::Unlabeled {
                        label: "priority:high".into(),
                    },
                ));
            }
        }
        let progress = BackfillProgress {
            items: (1..=8)
                .map(|n| (format!("a/b#{n}"), "fetched", None))
                .collect(),
            item_requests: None,
            container: None,
        };
        store
            .submit_backfill_pages("fake", events, vec![progress])
            .wait()
            .await
            .unwrap();
        (store, dir)
    }

    /// The rebuild in batches of `max_items`: its report, and the history
    /// and progress it leaves.
    async fn rebuilt_in_batches_of(
        max_items: usize,
    ) -> (BackfillReport, Vec<Vec<serde_json::Value>>) {
        let rules = LabelRules {
            action_item_labels: vec!["postmortem".into()],
            ..LabelRules::default()
        };
        let (store, _dir) = synced_with_logs(&rules).await;
        let settings = SyncSettings::default();
        let job = BackfillJob {
            store: &store,
            connector: &Rewinder::default(),
            rules: &rules,
            settings: &settings,
            sleeper: &crate::shutdown::TokioSleeper,
        };
        let todo = store.backfill_todo("fake").await.unwrap();
        let mut ready: Vec<&BackfillTodo> = todo.iter().collect();
        ready.sort_by_key(|t| t.row);
        let mut report = BackfillReport::default();
        job.rebuild(
            &ready,
            &recur_core::StatusRules::none(),
            false,
            (max_items, usize::MAX),
            &crate::shutdown::no_shutdown(),
            &mut report,
        )
        .await
        .unwrap();
        let rows = store
            .query(
                "history",
                "SELECT key, CAST(valid_from AS VARCHAR), CAST(valid_to AS VARCHAR), title, state, \
                        CAST(labels AS VARCHAR), priority, origin, item_id, CAST(prior_target AS VARCHAR) \
                 FROM item_history \
                 UNION ALL SELECT key, state, CAST(versions AS VARCHAR), NULL, NULL, NULL, NULL, NULL, NULL, NULL \
                 FROM backfill_items \
                 UNION ALL SELECT key, CAST(history_from AS VARCHAR), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
                 FROM items ORDER BY ALL",
                Vec::new(),
            )
            .await
            .unwrap()
            .rows;
        (report, rows)
    }

    #[tokio::test]
    async fn a_rebuild_in_many_batches_writes_what_one_batch_writes() {
        let (one, expected) = rebuilt_in_batches_of(1000).await;
        assert_eq!(one.items, 8);
        // Per item: created, labelled, renamed, closed, reopened (item 3:
        // its priority change too), before its synced version.
        assert_eq!(one.versions, 7 * 5 + 1, "{expected:?}");
        for max_items in [1, 2, 3] {
            let (many, got) = rebuilt_in_batches_of(max_items).await;
            assert_eq!(
                (many.items, many.versions),
                (one.items, one.versions),
                "batches of {max_items}"
            );
            assert_eq!(got, expected, "batches of {max_items}");
        }
    }

    #[tokio::test]
    async fn a_bulk_listing_whose_page_token_comes_back_is_an_error_not_an_endless_run() {
        let rules = LabelRules {
            action_item_labels: vec!["postmortem".into()],
            ..LabelRules::default()
        };
        let (store, _dir) = synced(&rules).await;
        let tracker = Rewinder::default();
        let settings = SyncSettings::default();
        let job = BackfillJob {
            store: &store,
            connector: &tracker,
            rules: &rules,
            settings: &settings,
            sleeper: &crate::shutdown::TokioSleeper,
        };
        let err = job.run(crate::shutdown::no_shutdown()).await.unwrap_err();
        assert!(
            matches!(
                &err,
                SyncError::Connector(ConnectorError::Protocol { message, .. })
                    if message.contains("pages in a loop")
            ),
            "{err}"
        );
        // The first page, and the one its token names again.
        assert_eq!(tracker.requests_sent(), 2);
    }

    /// Regression: with one batch stored while the next is read, the
    /// pages read after a batch that failed were stored without it, and
    /// the container's cursor passed the failed batch's events for good.
    #[tokio::test]
    async fn pages_read_after_a_batch_that_failed_are_not_stored() {
        use crate::store::OpenMode;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.duckdb"), OpenMode::ReadWrite, "512MB")
            .await
            .unwrap();
        store
            .backfill_choose("gh", "a/b", "per_container", 10, 1)
            .await
            .unwrap();
        let page = |cursor: &str, id: &str| {
            let event = recur_core::ItemEvent {
                key: "a/b#1".into(),
                id: id.into(),
                at: chrono::Utc::now(),
                actor: None,
                change: recur_core::Change::Reopened,
            };
            let progress = BackfillProgress {
                items: Vec::new(),
                item_requests: None,
                container: Some(("a/b".into(), Some(cursor.into()), false, 1)),
            };
            (vec![event], progress)
        };
        let mut unstored = Unstored::default();
        // The first batch fails: its table is away when it runs, and back
        // for the pages read after it.
        store
            .execute_batch("away", "ALTER TABLE item_events RENAME TO events_away")
            .await
            .unwrap();
        let (events, progress) = page("p2", "1");
        unstored.add(events, progress);
        unstored.submit(&store, "gh");
        store
            .execute_batch("back", "ALTER TABLE events_away RENAME TO item_events")
            .await
            .unwrap();
        let (events, progress) = page("p3", "2");
        unstored.add(events, progress);
        assert!(unstored.store(&store, "gh").await.is_err());
        let plan = store
            .backfill_container("gh", "a/b")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(plan.cursor, None);
        let stored = store
            .query("count", "SELECT count(*) AS n FROM item_events", Vec::new())
            .await
            .unwrap();
        assert_eq!(stored.rows, [[serde_json::json!(0)]]);
        // Nothing left behind to store later either.
        assert!(unstored.store(&store, "gh").await.is_ok());
        assert_eq!(
            store
                .backfill_container("gh", "a/b")
                .await
                .unwrap()
                .unwrap()
                .cursor,
            None
        );
    }

    #[test]
    fn rebuild_batches_hold_at_most_so_many_items_and_bytes() {
        let items: Vec<BackfillTodo> = [10, 10, 30, 5, 100, 1].map(todo).into();
        let refs: Vec<&BackfillTodo> = items.iter().collect();
        let sizes = |max_items, max_bytes| -> Vec<Vec<usize>> {
            batches(&refs, max_items, max_bytes)
                .map(|b| b.iter().map(|t| t.bytes).collect())
                .collect()
        };
        // A batch ends before the item that would take it past the bytes;
        // an item larger alone is a batch of its own.
        assert_eq!(
            sizes(3, 25),
            [vec![10, 10], vec![30], vec![5], vec![100], vec![1]]
        );
        assert_eq!(sizes(4, 1000), [vec![10, 10, 30, 5], vec![100, 1]]);
        assert_eq!(sizes(1, 1000).len(), 6);
        assert_eq!(sizes(3, 25).concat(), [10, 10, 30, 5, 100, 1]);
        assert!(batches(&[], 3, 25).next().is_none());
    }
}
