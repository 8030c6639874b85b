//! `recur daemon`: cycles of sync → score → write-back on a schedule, with
//! `/healthz`, `/metrics` and reports over HTTP, and a clean stop on
//! SIGTERM/SIGINT.
//!
//! Readers and writers of the one DuckDB file: the daemon holds the writer
//! lock (`<db>.lock`, see [`lock`]) for its whole life, so a second daemon
//! or a writing command (`sync`, `score`, `writeback`) is refused at once
//! with the holder's PID; but it opens the database only during a cycle,
//! so `recur report`, `recur query` and `recur export` (read-only) work
//! between cycles, and wait for a running one. `/reports/NAME.json` serves
//! the same reports without touching the file from outside.
//!
//! The cycles (and report requests) run in worker processes when the
//! daemon is started from the command line ([`Cycles::Worker`], see
//! [`worker`]), in the daemon's own process for tests and the demo; either
//! way a cycle produces a [`CycleReport`] and the daemon alone applies it
//! to its metrics and health.
//!
//! Shutdown is a parameter of [`run`]: the step in progress stops at its
//! next safe point (a page's transaction, a write's outcome) and what it
//! committed stands; the next start resumes from the stored cursors and
//! re-plans write-back from the stored state.

mod http;
pub mod metrics;
mod serve;
pub mod worker;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::app::Error;
use crate::settings::Settings;
use crate::shutdown::Shutdown;
use crate::store::{CycleRow, OpenMode, Store, StoreError};

pub use crate::settings::{DaemonSettings, Schedule};
use crate::store::WriterLock;

/// The last finished cycle, for `/healthz`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Health {
    last: Option<CycleRow>,
    last_ok_at: Option<DateTime<Utc>>,
}

/// Shared between the cycle loop and the HTTP handlers.
pub struct DaemonState {
    settings: Settings,
    period: Duration,
    metrics: metrics::Metrics,
    health: Mutex<Health>,
    /// Held while a cycle runs; report requests wait on it.
    cycle_lock: tokio::sync::Mutex<()>,
    /// Cycles not yet in `cycle_log` (the file was held by another
    /// process); written by the next cycle that opens it.
    unrecorded: tokio::sync::Mutex<Vec<CycleRow>>,
    /// Where cycles and report requests run.
    cycles: Cycles,
}

impl DaemonState {
    /// (healthy, JSON body): healthy when the last cycle succeeded and
    /// finished less than three periods ago, or was skipped (a reader held
    /// the file) while the last success is that recent (`degraded`).
    fn health(&self) -> (bool, serde_json::Value) {
        let h = self
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let limit = self.period * 3;
        let Some(last) = &h.last else {
            return (
                false,
                json!({"status": "starting", "reason": "no cycle has finished yet"}),
            );
        };
        let age = (Utc::now() - last.finished_at).to_std().unwrap_or_default();
        let ok_age = h
            .last_ok_at
            .map(|t| (Utc::now() - t).to_std().unwrap_or_default());
        if last.status == "skipped" {
            // A reader held the file: not a failure of recur or the
            // trackers, but the data is going stale; fail once the last
            // success is older than three intervals.
            let fresh = ok_age.is_some_and(|a| a <= limit);
            return (
                fresh,
                json!({
                    "status": if fresh { "degraded" } else { "failing" },
                    "reason": format!(
                        "the last cycle was skipped: {}; the last successful cycle {}",
                        last.error.clone().unwrap_or_default(),
                        match ok_age {
                            Some(a) => format!("finished {}s ago", a.as_secs()),
                            None => "has not happened".into(),
                        }
                    ),
                    "last_cycle": last,
                    "last_success_at": h.last_ok_at,
                }),
            );
        }
        let (healthy, reason) = if last.status != "ok" {
            (
                false,
                format!(
                    "the last cycle {}: {}",
                    last.status,
                    last.error.clone().unwrap_or_default()
                ),
            )
        } else if age > limit {
            (
                false,
                format!(
                    "the last cycle finished {}s ago, more than 3 intervals ({}s)",
                    age.as_secs(),
                    limit.as_secs()
                ),
            )
        } else {
            (true, "the last cycle succeeded".to_string())
        };
        (
            healthy,
            json!({
                "status": if healthy { "ok" } else { "failing" },
                "reason": reason,
                "last_cycle": last,
                "last_success_at": h.last_ok_at,
            }),
        )
    }
}

/// The last recorded cycle and the last successful one, from `cycle_log`.
async fn last_health(store: &Store) -> Health {
    let rows = store
        .query(
            "last cycle",
            "SELECT started_at, finished_at, status, sync_outcome, score_outcome, writeback_outcome, \
                    error, api_requests, writes, clock, \
                    (SELECT max(finished_at) FROM cycle_log WHERE status = 'ok') AS last_ok \
             FROM cycle_log ORDER BY cycle_id DESC LIMIT 1",
            vec![],
        )
        .await;
    let Some(r) = rows.ok().and_then(|r| r.to_objects().into_iter().next()) else {
        return Health::default();
    };
    let time = |k: &str| {
        r.get(k)
            .and_then(|v| v.as_str())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let text = |k: &str| {
        r.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let (Some(started_at), Some(finished_at)) = (time("started_at"), time("finished_at")) else {
        return Health::default();
    };
    Health {
        last: Some(CycleRow {
            started_at,
            finished_at,
            status: text("status"),
            sync: text("sync_outcome"),
            score: text("score_outcome"),
            writeback: text("writeback_outcome"),
            error: r.get("error").and_then(|v| v.as_str()).map(str::to_string),
            api_requests: r.get("api_requests").and_then(|v| v.as_u64()).unwrap_or(0),
            writes: r.get("writes").and_then(|v| v.as_u64()).unwrap_or(0),
            clock: time("clock").unwrap_or(started_at),
        }),
        last_ok_at: time("last_ok"),
    }
}

/// Waits for `d` unless shutdown comes first; `false` on shutdown.
async fn pause(d: Duration, shutdown: &mut Shutdown) -> bool {
    let mut sd = shutdown.clone();
    tokio::select! {
        _ = tokio::time::sleep(d) => !*shutdown.borrow(),
        _ = crate::shutdown::requested(&mut sd) => false,
    }
}

/// The daemon's start on the database (here or in a worker): creates or
/// migrates the file and reads the last recorded cycle back.
async fn start(settings: &Settings) -> Result<Health, Error> {
    let store = open_rw(settings, Duration::from_secs(30)).await?;
    let health = last_health(&store).await;
    store.close().await;
    crate::alloc::give_back_freed_memory();
    Ok(health)
}

/// Opens the database read-write, waiting (up to `patience`) while a
/// reader holds it.
async fn open_rw(settings: &Settings, patience: Duration) -> Result<Store, StoreError> {
    let start = Instant::now();
    loop {
        match Store::open(
            &settings.store_path,
            OpenMode::ReadWrite,
            &settings.memory_limit,
        )
        .await
        {
            Err(StoreError::Locked { .. }) if start.elapsed() < patience => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

/// The addresses the daemon listens on (a configured port 0 is a free one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// `/healthz` and `/metrics`.
    pub ops: SocketAddr,
    /// `/reports/*`, when `[daemon] reports_listen` is set.
    pub reports: Option<SocketAddr>,
}

/// Where the daemon runs its cycles.
#[derive(Debug, Clone)]
pub enum Cycles {
    /// In the daemon's own process (tests, the demo).
    InProcess,
    /// Each cycle (and the start-up migration) in a worker process: this
    /// executable, run as `recur worker` (see [`worker`]). Between cycles
    /// the daemon then holds neither DuckDB's memory nor the code pages a
    /// cycle touched, and a cycle that crashes (or is killed for memory)
    /// is a failed cycle, not a dead daemon.
    Worker(worker::Worker),
}

/// Runs the daemon until shutdown with its cycles in its own process (see
/// [`run_with`]).
pub async fn run(
    settings: Settings,
    shutdown: Shutdown,
    on_listen: Option<tokio::sync::oneshot::Sender<Bound>>,
) -> Result<(), Error> {
    run_with(settings, shutdown, on_listen, Cycles::InProcess).await
}

/// Runs the daemon until shutdown. `on_listen` learns the bound addresses
/// (tests listen on port 0 and ask).
pub async fn run_with(
    settings: Settings,
    shutdown: Shutdown,
    on_listen: Option<tokio::sync::oneshot::Sender<Bound>>,
    cycles: Cycles,
) -> Result<(), Error> {
    let schedule = settings.daemon.schedule().map_err(Error::Usage)?;
    if settings.sources.is_empty() {
        return Err(Error::Usage(
            "the configuration has no [sources.*] table; see `recur init`".into(),
        ));
    }
    let _lock = WriterLock::acquire(&settings.store_path, "daemon")?;
    // Create and migrate the file up front, so readers can open it at once;
    // and start /healthz from the last recorded cycle, so a restart does not
    // forget that the trackers were failing.
    let health = match &cycles {
        Cycles::InProcess => start(&settings).await?,
        Cycles::Worker(w) => w.start().await?,
    };
    // The preflight of `recur check`: a configuration error found here is
    // one that would otherwise surface at 3 a.m. The daemon starts anyway
    // (a tracker may be down for a while); what failed is logged.
    let sources: Vec<_> = settings.sources.iter().collect();
    for s in crate::app::check_sources(&settings, &sources, settings.daemon.writeback).await {
        for c in s.checks.iter().filter(|c| !c.ok) {
            tracing::error!(
                source = %s.source,
                check = %c.check,
                target = %c.target,
                detail = %c.detail,
                fix = c.fix.as_deref().unwrap_or(""),
                "Preflight check failed."
            );
        }
    }
    let addr: SocketAddr = settings
        .daemon
        .listen
        .parse()
        .map_err(|e| Error::Usage(format!("daemon.listen: {e}")))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Runtime(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::Runtime(e.to_string()))?;
    tracing::info!(address = %bound, "Serving /healthz and /metrics.");
    let reports_listener = match &settings.daemon.reports_listen {
        Some(r) => {
            let raddr: SocketAddr = r
                .parse()
                .map_err(|e| Error::Usage(format!("daemon.reports_listen: {e}")))?;
            let l = tokio::net::TcpListener::bind(raddr)
                .await
                .map_err(|e| Error::Runtime(format!("cannot listen on {raddr}: {e}")))?;
            let raddr = l.local_addr().map_err(|e| Error::Runtime(e.to_string()))?;
            tracing::info!(address = %raddr, "Serving /reports/NAME.json and /reports/review.html (bearer token).");
            Some((l, raddr))
        }
        None => None,
    };
    let reports_bound = reports_listener.as_ref().map(|(_, a)| *a);
    if let Some(tx) = on_listen {
        let _ = tx.send(Bound {
            ops: bound,
            reports: reports_bound,
        });
    }
    let hosts = Arc::new(
        settings.daemon.hosts(
            &std::iter::once(bound)
                .chain(reports_bound)
                .collect::<Vec<_>>(),
        ),
    );
    let token = settings
        .daemon
        .reports_token
        .as_ref()
        .map(|t| Arc::new(t.expose().trim().to_string()));
    let state = Arc::new(DaemonState {
        period: schedule.period(),
        settings,
        metrics: metrics::Metrics::new(),
        health: Mutex::new(health),
        cycle_lock: tokio::sync::Mutex::new(()),
        unrecorded: tokio::sync::Mutex::new(Vec::new()),
        cycles,
    });
    let ops = serve::serve(
        listener,
        http::ops_router(state.clone(), hosts.clone()),
        shutdown.clone(),
    );
    let reports = match (reports_listener, token) {
        (Some((l, _)), Some(token)) => Some(serve::serve(
            l,
            http::reports_router(state.clone(), hosts, token),
            shutdown.clone(),
        )),
        _ => None,
    };
    let server = tokio::spawn(async move {
        match reports {
            Some(r) => {
                tokio::join!(ops, r);
            }
            None => ops.await,
        }
    });
    let mut sd = shutdown.clone();
    loop {
        let started = Utc::now();
        let row = {
            let _guard = state.cycle_lock.lock().await;
            let mut unrecorded = state.unrecorded.lock().await;
            let pending = std::mem::take(&mut *unrecorded);
            let report = match &state.cycles {
                Cycles::InProcess => {
                    run_cycle(
                        &state.settings,
                        state.period,
                        started,
                        pending,
                        shutdown.clone(),
                    )
                    .await
                }
                Cycles::Worker(w) => {
                    w.cycle(state.period, started, pending, shutdown.clone())
                        .await
                }
            };
            apply(&state, report, &mut unrecorded)
        };
        tracing::info!(status = %row.status, sync = %row.sync, score = %row.score, writeback = %row.writeback, requests = row.api_requests, writes = row.writes, "Cycle finished.");
        // Only the daemon's own shutdown ends the loop: a worker stopped by
        // a signal of its own reports an interrupted cycle, and the next
        // one runs on schedule.
        if *sd.borrow() {
            break;
        }
        let wait = schedule.wait(started, Utc::now());
        if !pause(wait, &mut sd).await {
            break;
        }
    }
    tracing::info!("Shutting down.");
    let _ = server.await;
    Ok(())
}

/// How long a cycle waits for a reader (a BI tool, a notebook, `duckdb
/// -readonly`) to let go of the file before it is skipped: half the period,
/// between 10 s and 5 minutes.
fn busy_patience(period: Duration) -> Duration {
    (period / 2).clamp(Duration::from_secs(10), Duration::from_secs(300))
}

/// Opens the database for a cycle. While another process holds the file,
/// waits with a doubling back-off (1 s … 30 s), logged, for at most
/// `patience`; `Ok(None)` on shutdown.
async fn open_for_cycle(
    settings: &Settings,
    patience: Duration,
    shutdown: &mut Shutdown,
) -> Result<Option<Store>, StoreError> {
    let start = Instant::now();
    let mut wait = Duration::from_secs(1);
    loop {
        match Store::open(
            &settings.store_path,
            OpenMode::ReadWrite,
            &settings.memory_limit,
        )
        .await
        {
            Err(StoreError::Locked { holder, .. }) if start.elapsed() + wait <= patience => {
                tracing::warn!(
                    holder = %holder,
                    wait_s = wait.as_secs(),
                    waited_s = start.elapsed().as_secs(),
                    patience_s = patience.as_secs(),
                    "The database is held by another process; waiting before the cycle."
                );
                if !pause(wait, shutdown).await {
                    return Ok(None);
                }
                wait = (wait * 2).min(Duration::from_secs(30));
            }
            other => return other.map(Some),
        }
    }
}

/// What one cycle did, as data. The cycle produces it in the daemon's
/// process or in a worker process (see [`worker`]); the daemon alone
/// applies it to its metrics and health ([`apply`]).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct CycleReport {
    /// The cycle's row (as recorded in `cycle_log`, or pending).
    pub row: CycleRow,
    /// How long the sync step took, when the steps ran.
    pub sync_seconds: Option<f64>,
    /// Tracker requests per source (sync and write-back).
    pub requests: Vec<(String, u64)>,
    /// Write-back operations per outcome.
    pub writeback_ops: Vec<(String, u64)>,
    /// The gauges read at the end, when the database was open.
    pub gauges: Option<metrics::Gauges>,
    /// Cycles not yet in `cycle_log` (this one included when the file was
    /// held by another process): the next cycle that opens it writes them.
    pub unrecorded: Vec<CycleRow>,
}

/// Cycles kept for a later record while the file is held by another
/// process: a file held for days keeps only the latest ones.
const MAX_UNRECORDED: usize = 100;

impl CycleReport {
    /// A cycle begun at `started_at` by `clock`, with earlier unrecorded
    /// cycles `pending`; nothing done yet.
    pub(crate) fn new(
        started_at: DateTime<Utc>,
        clock: crate::clock::Clock,
        pending: Vec<CycleRow>,
    ) -> Self {
        CycleReport {
            row: CycleRow {
                started_at,
                finished_at: started_at,
                status: String::new(),
                sync: String::new(),
                score: String::new(),
                writeback: String::new(),
                error: None,
                api_requests: 0,
                writes: 0,
                clock: clock.now(),
            },
            sync_seconds: None,
            requests: Vec::new(),
            writeback_ops: Vec::new(),
            gauges: None,
            unrecorded: pending,
        }
    }

    /// Ends the cycle's row with its steps' outcomes (the status follows
    /// from them) and the first error, and adds it to the cycles still to
    /// record.
    pub(crate) fn conclude(
        &mut self,
        clock: crate::clock::Clock,
        [sync, score, writeback]: [&str; 3],
        error: Option<String>,
    ) {
        let steps = [sync, score, writeback];
        let status = if steps.contains(&"interrupted") {
            "interrupted"
        } else if steps.contains(&"failed") {
            "failed"
        } else if steps.iter().all(|s| *s == "skipped") {
            "skipped"
        } else {
            "ok"
        };
        let row = &mut self.row;
        row.finished_at = Utc::now();
        row.status = status.into();
        row.sync = sync.into();
        row.score = score.into();
        row.writeback = writeback.into();
        row.error = error;
        row.clock = clock.now();
        self.unrecorded.push(self.row.clone());
    }

    /// Keeps the cycles still to record for a later cycle, the latest
    /// [`MAX_UNRECORDED`] of them.
    pub(crate) fn keep_for_later(&mut self) {
        let excess = self.unrecorded.len().saturating_sub(MAX_UNRECORDED);
        self.unrecorded.drain(..excess);
    }
}

/// One cycle; never fails, it reports. The database is opened once for the
/// whole cycle (sync, score, write-back, the record and the gauges), so a
/// reader cannot slip in between the steps and fail one of them; when a
/// reader holds the file at the start, the cycle waits (see
/// [`open_for_cycle`]) and is then recorded as `skipped`, with the reason.
/// `pending` are earlier cycles not yet recorded; `started_at` names the
/// cycle (a row is recorded once per start, see [`Store::record_cycle`]).
pub(crate) async fn run_cycle(
    settings: &Settings,
    period: Duration,
    started_at: DateTime<Utc>,
    pending: Vec<CycleRow>,
    shutdown: Shutdown,
) -> CycleReport {
    // One clock for the whole cycle: sync, score, write-back and metrics
    // judge by the same day even when the cycle crosses midnight.
    let clock = crate::clock::Clock::start_or_now();
    let mut report = CycleReport::new(started_at, clock, pending);
    let mut sd = shutdown.clone();
    let store = match open_for_cycle(settings, busy_patience(period), &mut sd).await {
        Ok(Some(store)) => store,
        Ok(None) => {
            finish(settings, &mut report, None, clock, ["interrupted"; 3], None).await;
            return report;
        }
        Err(e) => {
            let (status, why) = match &e {
                StoreError::Locked { .. } => (
                    "skipped",
                    format!("the database stayed held by another process: {e}"),
                ),
                _ => ("failed", format!("cannot open the database: {e}")),
            };
            tracing::error!(reason = %why, "Cycle {status}.");
            finish(settings, &mut report, None, clock, [status; 3], Some(why)).await;
            return report;
        }
    };
    let run = crate::app::Run {
        sleeper: &crate::shutdown::TokioSleeper,
        shutdown: shutdown.clone(),
        clock,
    };
    let out = crate::app::cycle(&store, settings, &run).await;
    report.sync_seconds = Some(out.sync_seconds);
    let mut requests: Vec<(String, u64)> = Vec::new();
    let mut add = |source: &str, n: u64| match requests.iter_mut().find(|(s, _)| s == source) {
        Some((_, total)) => *total += n,
        None => requests.push((source.to_string(), n)),
    };
    for r in &out.synced {
        add(&r.source, r.stats.api_requests);
    }
    let mut ops = [
        ("applied", 0),
        ("failed", 0),
        ("skipped", 0),
        ("deferred", 0),
    ];
    for r in &out.written {
        add(&r.source, r.counts.requests);
        ops[0].1 += r.counts.applied;
        ops[1].1 += r.counts.failed;
        ops[2].1 += r.counts.skipped;
        ops[3].1 += r.counts.deferred;
    }
    report.requests = requests;
    if !out.written.is_empty() {
        report.writeback_ops = ops.iter().map(|(o, n)| (o.to_string(), *n)).collect();
    }
    report.row.api_requests = out.requests();
    report.row.writes = out.writes();
    finish(
        settings,
        &mut report,
        Some(&store),
        clock,
        out.steps,
        out.error,
    )
    .await;
    store.close().await;
    crate::alloc::give_back_freed_memory();
    report
}

/// Completes a cycle's report ([`CycleReport::conclude`]); with the store
/// open, records it (and any earlier ones that could not be written while
/// the file was held) and reads the gauges; otherwise keeps it pending.
async fn finish(
    settings: &Settings,
    report: &mut CycleReport,
    store: Option<&Store>,
    clock: crate::clock::Clock,
    steps: [&str; 3],
    error: Option<String>,
) {
    report.conclude(clock, steps, error);
    if let Some(store) = store {
        for r in report.unrecorded.drain(..) {
            if let Err(e) = store.record_cycle(r).await {
                tracing::error!(error = %e, "Could not record a cycle.");
            }
        }
        match metrics::Gauges::read(store, &settings.deadlines, clock.today()).await {
            Ok(g) => report.gauges = Some(g),
            Err(e) => tracing::error!(error = %e, "Could not refresh the metrics."),
        }
    } else {
        report.keep_for_later();
    }
}

/// Applies a cycle's report to the daemon's metrics and health; returns
/// its row.
fn apply(state: &DaemonState, report: CycleReport, unrecorded: &mut Vec<CycleRow>) -> CycleRow {
    let m = &state.metrics;
    if let Some(s) = report.sync_seconds {
        m.sync_duration.observe(s);
    }
    for (source, n) in &report.requests {
        m.api_requests
            .get_or_create(&metrics::SourceLabel {
                source: source.as_str().into(),
            })
            .inc_by(*n);
    }
    for (outcome, n) in &report.writeback_ops {
        m.writeback_ops
            .get_or_create(&metrics::OutcomeLabel {
                outcome: outcome.as_str().into(),
            })
            .inc_by(*n);
    }
    let row = report.row;
    m.cycles.inc();
    if row.status == "failed" {
        m.cycle_failures.inc();
    }
    if row.status == "skipped" {
        m.cycles_skipped.inc();
    }
    if let Some(g) = &report.gauges {
        m.set_gauges(g);
    }
    *unrecorded = report.unrecorded;
    let mut h = state.health.lock().unwrap_or_else(|p| p.into_inner());
    if row.status == "ok" {
        h.last_ok_at = Some(row.finished_at);
    }
    h.last = Some(row.clone());
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_restart_reads_the_last_cycle_back_for_healthz() {
        let store = Store::open_in_memory().unwrap();
        assert!(last_health(&store).await.last.is_none());
        let t0 = Utc::now() - chrono::Duration::minutes(10);
        let row = |status: &str, at: DateTime<Utc>| CycleRow {
            started_at: at,
            finished_at: at + chrono::Duration::seconds(5),
            status: status.into(),
            sync: status.into(),
            score: "ok".into(),
            writeback: "skipped".into(),
            error: (status == "failed").then(|| "sync: tracker down".to_string()),
            api_requests: 7,
            writes: 0,
            clock: at,
        };
        store.record_cycle(row("ok", t0)).await.unwrap();
        let failed = row("failed", t0 + chrono::Duration::minutes(5));
        store.record_cycle(failed.clone()).await.unwrap();
        let h = last_health(&store).await;
        let last = h.last.expect("a last cycle");
        assert_eq!(last.status, "failed");
        assert_eq!(last.error.as_deref(), Some("sync: tracker down"));
        assert_eq!(last.api_requests, 7);
        let ok_at = h.last_ok_at.expect("the last success");
        assert!(
            (ok_at - (t0 + chrono::Duration::seconds(5)))
                .num_milliseconds()
                .abs()
                < 1
        );
        let state = DaemonState {
            settings: Settings::from_toml("").unwrap(),
            period: Duration::from_secs(60),
            metrics: metrics::Metrics::new(),
            health: Mutex::new(Health {
                last: Some(last),
                last_ok_at: Some(ok_at),
            }),
            cycle_lock: tokio::sync::Mutex::new(()),
            unrecorded: tokio::sync::Mutex::new(Vec::new()),
            cycles: Cycles::InProcess,
        };
        let (healthy, body) = state.health();
        assert!(!healthy);
        assert!(
            body["reason"].as_str().unwrap().contains("tracker down"),
            "{body}"
        );
        // A cycle skipped because a reader held the file: degraded while
        // the last success is recent, failing once it is not.
        let skipped = |ok: Option<DateTime<Utc>>| {
            let mut h = state.health.lock().unwrap();
            h.last = Some(CycleRow {
                status: "skipped".into(),
                error: Some("the database stayed held by another process".into()),
                finished_at: Utc::now(),
                ..h.last.clone().unwrap()
            });
            h.last_ok_at = ok;
        };
        skipped(Some(Utc::now() - chrono::Duration::seconds(30)));
        let (healthy, body) = state.health();
        assert!(healthy, "{body}");
        assert_eq!(body["status"], "degraded");
        assert!(body["reason"]
            .as_str()
            .unwrap()
            .contains("held by another process"));
        skipped(Some(Utc::now() - chrono::Duration::seconds(600)));
        assert_eq!(state.health().1["status"], "failing");
        skipped(None);
        assert!(!state.health().0);
        store.close().await;
    }
}
