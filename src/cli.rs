//! The command line: argument parsing (clap) and one function per
//! subcommand. Exit codes: 0 ok, 1 runtime failure, 2 usage or
//! configuration error ([`CliError::exit_code`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::output::{self, Format};
use crate::settings::{ConfigError, Settings, EXAMPLE_CONFIG};
use crate::shutdown::{Shutdown, TokioSleeper};
use crate::store::{OpenMode, Store, StoreError};
use crate::sync::{SyncError, SyncJob};

/// recur: postmortem follow-up work, synced from GitHub and Jira into DuckDB.
#[derive(Debug, Parser)]
#[command(name = "recur", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file [default: ./recur.toml]
    #[arg(long, global = true, env = "RECUR_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented example configuration.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Pull tracked issues from the trackers into the database.
    Sync {
        /// Only this source.
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// Re-list everything and reconcile deletions and transfers.
        #[arg(long)]
        full: bool,
    },
    /// Score every tracked risk (ordinal and expected cost) and record the run.
    Score {
        /// Also score each of the last 12 month ends that has no run yet, from
        /// history (the first run ever does this by itself), so the burn-down
        /// and the review pack's movement reach back a year.
        #[arg(long)]
        backfill: bool,
    },
    /// Write labels and one summary comment per flagged item back to the trackers.
    Writeback {
        /// Only this source.
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// Read and plan, print the plan, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Output format of the plan / outcome.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Plan as of this moment instead of now (RFC 3339, or a date for its
        /// last second), to reproduce a dry run exactly; with --dry-run only.
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
    },
    /// Run a report (`--list` shows them all): backlog health, registry, movement.
    Report {
        /// checkpoint, lint, aging, monthly, quarterly, repeats, trends, evidence, registry, movement, or a user report.
        #[arg(required_unless_present = "list")]
        name: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: crate::reports::ReportFormat,
        /// Window in days (checkpoint 7, monthly 30, quarterly 90).
        #[arg(long)]
        days: Option<i64>,
        /// Done on or after this date (evidence); first period (trends).
        #[arg(long, value_name = "DATE")]
        since: Option<chrono::NaiveDate>,
        /// Answer as of the end of this day [default: today, UTC].
        #[arg(long, value_name = "DATE")]
        as_of: Option<chrono::NaiveDate>,
        /// Only this service.
        #[arg(long)]
        service: Option<String>,
        /// Trend periods.
        #[arg(long, value_parser = ["week", "month"])]
        period: Option<String>,
        /// Rows per section of `movement`.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// List the reports with one-line descriptions.
        #[arg(long)]
        list: bool,
        /// Write to this file (created 0600) instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The report's "now" (RFC 3339, or a date for its last second):
        /// default --as-of, deadlines and the scoring run read, so a review
        /// can be reproduced exactly [default: the current time].
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
    },
    /// Run read-only SQL against the database.
    Query {
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// The SQL statement.
        sql: String,
    },
    /// Run cycles of sync -> score -> write-back on the [daemon] schedule, with
    /// /healthz, /metrics and /reports/NAME.json on [daemon] listen.
    Daemon,
    /// Write every public view as Parquet or CSV files into DIR (read-only).
    Export {
        /// File format.
        #[arg(long, value_enum, default_value = "parquet")]
        format: ExportFileFormat,
        /// Directory to write into (created if missing).
        dir: PathBuf,
    },
    /// Show per-source sync state (no network needed).
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Run the sandbox GitHub server on loopback (for trying recur by hand).
    Sandbox {
        /// Port (0 = any free port).
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// Seed of the generated organisation.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Serve the benchmark organisation of this many GitHub issues (and
        /// half as many Jira issues) instead, e.g. to measure `recur sync`'s
        /// own memory in a separate process.
        #[arg(long, value_name = "N")]
        bench_issues: Option<usize>,
    },
    /// Run the whole product against the built-in sandbox trackers.
    Demo {
        /// Directory for the database and configuration (default: a new temporary directory).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Keep the sandbox and a daemon running afterwards (browse
        /// /reports/review.html and /metrics) until Ctrl-C.
        #[arg(long)]
        serve: bool,
        /// The daemon's port with --serve.
        #[arg(long, default_value_t = 9464)]
        port: u16,
    },
    /// Measure sync speed against the loopback sandbox (prints figures).
    Bench {
        /// Issues in the sandbox.
        #[arg(long, default_value_t = 100_000)]
        issues: usize,
        /// Tracked items (about) for the write-back benchmark.
        #[arg(long, default_value_t = 10_000)]
        writeback_items: usize,
        /// Time every report over generated data instead of syncing.
        #[arg(long)]
        reports: bool,
        /// Action items generated for --reports.
        #[arg(long, default_value_t = 1_000_000)]
        items: usize,
        /// History rows generated for --reports.
        #[arg(long, default_value_t = 10_000_000)]
        history: usize,
    },
}

/// File formats of `recur export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFileFormat {
    /// Apache Parquet.
    Parquet,
    /// CSV with a header row.
    Csv,
}

/// How long read-only commands wait for a writer (a daemon cycle) to finish.
const READ_PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// A failure with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad configuration: exit 2.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Wrong use of the command: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The database could not be opened or used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A sync failed: exit 1 (2 for a repository or project that does not exist).
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// Another recur process holds the writer lock: exit 2.
    #[error(transparent)]
    Locked(#[from] crate::store::LockError),
    /// Anything else at run time: exit 1.
    #[error("{0}")]
    Runtime(String),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::Usage(_) => 2,
            CliError::Locked(crate::store::LockError::Held { .. }) => 2,
            CliError::Store(
                StoreError::Locked { .. }
                | StoreError::NotADatabase { .. }
                | StoreError::NewerSchema { .. },
            ) => 2,
            CliError::Sync(SyncError::Store(
                StoreError::Locked { .. }
                | StoreError::NotADatabase { .. }
                | StoreError::NewerSchema { .. },
            )) => 2,
            CliError::Sync(SyncError::Connector(recur_core::ConnectorError::NotFound {
                ..
            })) => 2,
            _ => 1,
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Runtime(e.to_string())
    }
}

fn config_path(cli: &Cli) -> (PathBuf, bool) {
    match &cli.config {
        Some(p) => (p.clone(), true),
        None => (PathBuf::from("recur.toml"), false),
    }
}

/// Loads settings and starts logging.
pub fn load_settings(cli: &Cli) -> Result<Settings, CliError> {
    let (path, explicit) = config_path(cli);
    let settings = Settings::load(&path, explicit)?;
    crate::logging::init(&settings.log);
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    Ok(settings)
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    // One clock for the whole command (src/clock.rs).
    let clock = Clock::start().map_err(|e| CliError::Usage(e.to_string()))?;
    match &cli.command {
        Command::Init { force } => init(&cli, *force),
        Command::Sync { source, full } => {
            let settings = load_settings(&cli)?;
            let _lock = crate::store::WriterLock::acquire(&settings.store_path, "sync")?;
            let reports = sync(
                &settings,
                source.as_deref(),
                *full,
                crate::shutdown::on_signal(),
                clock,
            )
            .await?;
            let mut out = std::io::stdout().lock();
            for r in reports {
                writeln!(
                    out,
                    "{}: {} containers, {} items seen, {} new or changed, {} gone, {} requests ({} not modified){}",
                    r.source,
                    r.containers,
                    r.stats.items_seen,
                    r.stats.items_upserted,
                    r.gone,
                    r.stats.api_requests,
                    r.stats.not_modified,
                    if r.reconciled { ", reconciled" } else { "" }
                )?;
            }
            Ok(())
        }
        Command::Daemon => {
            let settings = load_settings(&cli)?;
            crate::daemon::run(settings, crate::shutdown::on_signal(), None).await
        }
        Command::Export { format, dir } => {
            let settings = load_settings(&cli)?;
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::Runtime(format!("cannot create {}: {e}", dir.display())))?;
            let store =
                open_read_only(&settings.store_path, &settings.memory_limit, READ_PATIENCE).await?;
            let format = match format {
                ExportFileFormat::Parquet => crate::store::ExportFormat::Parquet,
                ExportFileFormat::Csv => crate::store::ExportFormat::Csv,
            };
            let done = store.export_views(dir, format).await;
            store.close().await;
            let mut out = std::io::stdout().lock();
            for e in done? {
                writeln!(out, "{}: {} rows -> {}", e.view, e.rows, e.file)?;
            }
            Ok(())
        }
        Command::Query { format, sql } => {
            let settings = load_settings(&cli)?;
            let store =
                open_read_only(&settings.store_path, &settings.memory_limit, READ_PATIENCE).await?;
            let result = store.query("query", sql, Vec::new()).await;
            store.close().await;
            let result = result.map_err(|e| CliError::Runtime(e.to_string()))?;
            output::write(&mut std::io::stdout().lock(), &result, *format)?;
            Ok(())
        }
        Command::Report {
            name,
            format,
            days,
            since,
            as_of,
            service,
            period,
            top,
            list,
            output,
            now,
        } => {
            let clock = match now {
                Some(t) => Clock::parse("--now", t).map_err(|e| CliError::Usage(e.to_string()))?,
                None => clock,
            };
            let settings = load_settings(&cli)?;
            let user_dir = settings.queries_dir.as_deref();
            let is_review = name.as_deref() == Some("review");
            let html = *format == crate::reports::ReportFormat::Html;
            if is_review != html && !*list {
                return Err(CliError::Usage(if is_review {
                    "review is the HTML review pack: use `recur report review --format html`".into()
                } else {
                    "--format html is only for `recur report review`".into()
                }));
            }
            if is_review {
                let as_of = as_of.unwrap_or_else(|| clock.today());
                let store =
                    open_read_only(&settings.store_path, &settings.memory_limit, READ_PATIENCE)
                        .await?;
                let base = crate::reports::ReportParams {
                    days: *days,
                    now: Some(clock.now()),
                    ..crate::reports::ReportParams::from_settings(&settings)
                };
                let page = crate::review::render(&store, as_of, &base, user_dir).await;
                store.close().await;
                let page = page.map_err(report_error)?;
                match output {
                    Some(path) => crate::files::write_private(path, &page)?,
                    None => std::io::stdout().lock().write_all(page.as_bytes())?,
                }
                return Ok(());
            }
            let mut out = std::io::stdout().lock();
            if *list {
                for (n, d) in [
                    ("registry", "Risk registry: active risks, highest expected cost first, with the budget total."),
                    ("movement", "Registry movement: burn-down, unmoved, stale reviews, no owner, no action."),
                    ("review", "The review pack: one self-contained HTML file (--format html [--output FILE])."),
                ] {
                    writeln!(out, "{n:<12} {d}")?;
                }
                for r in crate::reports::list(user_dir).map_err(report_error)? {
                    writeln!(
                        out,
                        "{:<12} {}{}",
                        r.name,
                        r.description,
                        if r.user { " (user)" } else { "" }
                    )?;
                }
                return Ok(());
            }
            let name = name.as_deref().unwrap_or_default();
            let params = crate::reports::ReportParams {
                days: *days,
                since: *since,
                as_of: *as_of,
                service: service.clone(),
                period: period.clone(),
                now: Some(clock.now()),
                ..crate::reports::ReportParams::from_settings(&settings)
            };
            let store =
                open_read_only(&settings.store_path, &settings.memory_limit, READ_PATIENCE).await?;
            let as_of_ts = as_of
                .map(crate::review::end_of_day)
                .unwrap_or_else(|| clock.now());
            let result = report_output(&store, name, &params, as_of_ts, *top, user_dir).await;
            // A past day that history cannot fully answer says so.
            let note = match as_of {
                Some(d) if result.is_ok() => crate::reports::coverage(&store, *d)
                    .await
                    .map(|c| c.note())
                    .unwrap_or(None),
                _ => None,
            };
            store.close().await;
            let result = result.map_err(report_error)?;
            let mut buf = Vec::new();
            crate::reports::render(&mut buf, name, &result, *format)?;
            if let Some(n) = &note {
                if *format == crate::reports::ReportFormat::Md {
                    writeln!(buf, "\n_Note: {}._", crate::reports::md_text(n))?;
                } else {
                    eprintln!("note: {n}");
                }
            }
            match output {
                Some(path) => crate::files::write_private(path, &String::from_utf8_lossy(&buf))?,
                None => out.write_all(&buf)?,
            }
            Ok(())
        }
        Command::Score { backfill } => {
            let settings = load_settings(&cli)?;
            let _lock = crate::store::WriterLock::acquire(&settings.store_path, "score")?;
            let store = Store::open(
                &settings.store_path,
                OpenMode::ReadWrite,
                &settings.memory_limit,
            )
            .await?;
            let result =
                crate::scoring::score_now(&store, &settings.scoring, clock.now(), *backfill).await;
            store.close().await;
            let (past, summary) = result?;
            if !past.is_empty() {
                println!(
                    "Scored {} past month ends from history ({} to {}).",
                    past.len(),
                    past[0].scored_at.format("%Y-%m-%d"),
                    past[past.len() - 1].scored_at.format("%Y-%m-%d")
                );
            }
            println!("{summary}");
            Ok(())
        }
        Command::Status { format } => {
            let settings = load_settings(&cli)?;
            status(&settings, *format).await
        }
        Command::Writeback {
            source,
            dry_run,
            format,
            now,
        } => {
            let clock = match now {
                Some(_) if !*dry_run => {
                    return Err(CliError::Usage(
                        "--now is for a dry run (`recur writeback --dry-run --now …`): a real write-back judges by the current time".into(),
                    ))
                }
                Some(t) => Clock::parse("--now", t).map_err(|e| CliError::Usage(e.to_string()))?,
                None => clock,
            };
            let settings = load_settings(&cli)?;
            // A dry run only reads: it needs no writer lock.
            let _lock = if *dry_run {
                None
            } else {
                Some(crate::store::WriterLock::acquire(
                    &settings.store_path,
                    "writeback",
                )?)
            };
            let reports = writeback(
                &settings,
                source.as_deref(),
                *dry_run,
                &crate::shutdown::TokioSleeper,
                crate::shutdown::on_signal(),
                clock,
            )
            .await;
            let (reports, error) = match reports {
                Ok(r) => (r, None),
                Err((r, e)) => (r, Some(e)),
            };
            print_writeback(&reports, *format, *dry_run)?;
            if let Some(e) = error {
                return Err(e);
            }
            let failed: u64 = reports.iter().map(|r| r.counts.failed).sum();
            if failed > 0 {
                return Err(CliError::Runtime(format!(
                    "{failed} write-back operation(s) failed; see the list above and the writeback_log view"
                )));
            }
            Ok(())
        }
        Command::Sandbox {
            port,
            seed,
            bench_issues,
        } => {
            crate::logging::init(&Default::default());
            crate::demo::run_sandbox(*port, *seed, *bench_issues).await
        }
        Command::Demo { dir, serve, port } => {
            crate::logging::init(&crate::settings::LogSettings {
                json: false,
                level: "warn".into(),
            });
            let serve = serve.then_some(*port);
            crate::demo::run(dir.as_deref(), serve).await
        }
        Command::Bench {
            issues,
            writeback_items,
            reports,
            items,
            history,
        } => {
            crate::logging::init(&crate::settings::LogSettings {
                json: false,
                level: "warn".into(),
            });
            if *reports {
                crate::reports::bench_reports(*items, *history)
                    .await
                    .map_err(report_error)
            } else {
                crate::demo::bench(*issues, *writeback_items).await
            }
        }
    }
}

fn report_error(e: crate::reports::ReportError) -> CliError {
    match e {
        crate::reports::ReportError::Query(s) => CliError::Store(s),
        e if e.is_usage() => CliError::Usage(e.to_string()),
        e => CliError::Runtime(e.to_string()),
    }
}

fn init(cli: &Cli, force: bool) -> Result<(), CliError> {
    let (path, _) = config_path(cli);
    if path.exists() && !force {
        return Err(CliError::Usage(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        )));
    }
    crate::files::write_private(&path, EXAMPLE_CONFIG)?;
    println!(
        "Wrote {}. Edit the [sources.*] tables, then run `recur sync`.",
        path.display()
    );
    Ok(())
}

/// Syncs every source (or one), each recorded as a run. Sources are synced
/// one after another; the first failure is returned after all have run.
pub async fn sync(
    settings: &Settings,
    only: Option<&str>,
    full: bool,
    shutdown: Shutdown,
    clock: Clock,
) -> Result<Vec<crate::sync::SyncReport>, CliError> {
    let sources: Vec<_> = match only {
        Some(name) => vec![settings.source(name).ok_or_else(|| {
            CliError::Usage(format!(
                "no source named {name:?} in the configuration (have: {})",
                settings
                    .sources
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?],
        None => settings.sources.iter().collect(),
    };
    if sources.is_empty() {
        return Err(CliError::Usage(
            "the configuration has no [sources.*] table; see `recur init`".into(),
        ));
    }
    let store = Store::open(
        &settings.store_path,
        OpenMode::ReadWrite,
        &settings.memory_limit,
    )
    .await?;
    let result = sync_sources(&store, settings, sources, full, shutdown, clock).await;
    store.close().await;
    result
}

/// Syncs `sources` into an open store (the daemon's cycle holds one).
pub async fn sync_sources(
    store: &Store,
    settings: &Settings,
    sources: Vec<&crate::settings::SourceSettings>,
    full: bool,
    shutdown: Shutdown,
    clock: Clock,
) -> Result<Vec<crate::sync::SyncReport>, CliError> {
    let progress = progress_bar();
    let on_page = |n: u64| {
        if let Some(p) = &progress {
            p.set_position(n);
        }
    };
    let mut reports = Vec::new();
    let mut first_error = None;
    for source in sources {
        let connector = match crate::sources::connector(source, &settings.sync) {
            Ok(c) => c,
            Err(e) => {
                first_error.get_or_insert(CliError::Runtime(e.to_string()));
                continue;
            }
        };
        let job = SyncJob {
            store,
            connector: connector.as_ref(),
            rules: &source.rules,
            settings: &settings.sync,
            sleeper: &TokioSleeper,
            full,
            on_page: Some(&on_page),
            clock,
        };
        if let Some(p) = &progress {
            p.set_prefix(source.name.clone());
            p.set_position(0);
        }
        match job.run(shutdown.clone()).await {
            Ok(r) => reports.push(r),
            Err(e) => {
                tracing::error!(source = %source.name, error = %e, "Sync failed.");
                let interrupted = matches!(e, SyncError::Interrupted);
                first_error.get_or_insert(CliError::Sync(e));
                if interrupted {
                    break;
                }
            }
        }
    }
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(reports),
    }
}

/// Runs any report by name: the registry and movement (from scoring), the
/// health reports, or a user report.
pub async fn report_output(
    store: &Store,
    name: &str,
    params: &crate::reports::ReportParams,
    as_of: chrono::DateTime<chrono::Utc>,
    top: usize,
    user_dir: Option<&Path>,
) -> Result<crate::reports::ReportOutput, crate::reports::ReportError> {
    match name {
        "registry" => crate::scoring::registry(store, as_of, params.service.as_deref())
            .await
            .map(crate::reports::ReportOutput::Sections)
            .map_err(crate::reports::ReportError::Query),
        "movement" => crate::scoring::movement(store, as_of, top, params.service.as_deref())
            .await
            .map(crate::reports::ReportOutput::Sections)
            .map_err(crate::reports::ReportError::Query),
        _ => crate::reports::run(store, name, params, user_dir).await,
    }
}

/// Opens the database read-only; while a daemon cycle (or another writer)
/// holds it, waits up to `patience`, saying so once on stderr.
pub async fn open_read_only(
    path: &Path,
    memory_limit: &str,
    patience: std::time::Duration,
) -> Result<Store, StoreError> {
    let start = std::time::Instant::now();
    let mut said = false;
    loop {
        match Store::open(path, OpenMode::ReadOnly, memory_limit).await {
            Err(StoreError::Locked { .. }) if start.elapsed() < patience => {
                if !said {
                    eprintln!(
                        "{} is being written (a daemon cycle?); waiting up to {}s...",
                        path.display(),
                        patience.as_secs()
                    );
                    said = true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            other => return other,
        }
    }
}

/// Runs write-back for every source (or `only`): reports for the sources
/// that ran, and the first error, if any (the other sources still run).
pub async fn writeback(
    settings: &Settings,
    only: Option<&str>,
    dry_run: bool,
    sleeper: &dyn crate::shutdown::Sleeper,
    shutdown: Shutdown,
    clock: Clock,
) -> Result<
    Vec<crate::writeback::WritebackReport>,
    (Vec<crate::writeback::WritebackReport>, CliError),
> {
    let sources: Vec<_> = match only {
        Some(name) => match settings.source(name) {
            Some(s) => vec![s],
            None => {
                return Err((
                    Vec::new(),
                    CliError::Usage(format!("no source named {name:?} in the configuration")),
                ))
            }
        },
        None => settings.sources.iter().collect(),
    };
    // A dry run only reads: it works beside a running daemon.
    let mode = if dry_run {
        OpenMode::ReadOnly
    } else {
        OpenMode::ReadWrite
    };
    let store = match Store::open(&settings.store_path, mode, &settings.memory_limit).await {
        Ok(s) => s,
        Err(e) => return Err((Vec::new(), e.into())),
    };
    let result =
        writeback_sources(&store, settings, sources, dry_run, sleeper, shutdown, clock).await;
    store.close().await;
    result
}

/// Write-back for `sources` from an open store (the daemon's cycle holds
/// one).
pub async fn writeback_sources(
    store: &Store,
    settings: &Settings,
    sources: Vec<&crate::settings::SourceSettings>,
    dry_run: bool,
    sleeper: &dyn crate::shutdown::Sleeper,
    shutdown: Shutdown,
    clock: Clock,
) -> Result<
    Vec<crate::writeback::WritebackReport>,
    (Vec<crate::writeback::WritebackReport>, CliError),
> {
    let mut reports = Vec::new();
    let mut first_error: Option<CliError> = None;
    for source in sources {
        let writer = match crate::sources::writer(source, &settings.sync) {
            Ok(w) => w,
            Err(e) => {
                first_error.get_or_insert(CliError::Runtime(e.to_string()));
                continue;
            }
        };
        let job = crate::writeback::WritebackJob {
            store,
            writer: writer.as_ref(),
            settings: &settings.writeback,
            retry: &settings.sync,
            deadlines: &settings.deadlines,
            sleeper,
            clock,
            dry_run,
        };
        match job.run(shutdown.clone()).await {
            Ok(r) => reports.push(r),
            Err(e) => {
                tracing::error!(source = %source.name, error = %e, "Write-back failed.");
                let interrupted = matches!(e, crate::writeback::WritebackError::Interrupted);
                first_error.get_or_insert(CliError::Runtime(format!("{}: {e}", source.name)));
                if interrupted {
                    break;
                }
            }
        }
    }
    match first_error {
        Some(e) => Err((reports, e)),
        None => Ok(reports),
    }
}

fn print_writeback(
    reports: &[crate::writeback::WritebackReport],
    format: Format,
    dry_run: bool,
) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, reports)
            .map_err(|e| CliError::Runtime(e.to_string()))?;
        writeln!(out)?;
        return Ok(());
    }
    let rows: Vec<Vec<serde_json::Value>> = reports
        .iter()
        .flat_map(|r| r.rows.iter())
        .map(|row| {
            vec![
                row.source.clone().into(),
                row.key.clone().into(),
                row.op.clone().into(),
                row.change.clone().into(),
                row.state.clone().into(),
                match &row.error {
                    Some(e) => format!("{} ({e})", row.reason).into(),
                    None => row.reason.clone().into(),
                },
            ]
        })
        .collect();
    if !rows.is_empty() {
        let table = crate::store::QueryResult {
            columns: ["source", "key", "op", "change", "state", "reason"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows,
        };
        output::write(&mut out, &table, format)?;
    }
    for r in reports {
        let c = r.counts;
        if dry_run {
            writeln!(
                out,
                "{}: dry run, {} operation(s) planned, nothing written{}",
                r.source,
                c.planned,
                if c.deferred > 0 {
                    format!(
                        " ({} over [writeback] max_operations would wait for the next run)",
                        c.deferred
                    )
                } else {
                    String::new()
                }
            )?;
        } else {
            writeln!(
                out,
                "{}: {} planned, {} applied, {} failed, {} skipped, {} left for the next run; {} write requests, {} requests in all",
                r.source, c.planned, c.applied, c.failed, c.skipped, c.deferred, c.writes, c.requests
            )?;
        }
        for (key, label) in &r.suppressed {
            writeln!(out, "{}: {key}: {label} was removed by a person; not added again until its value changes", r.source)?;
        }
        for (key, why) in &r.invalid {
            writeln!(out, "{}: {key}: labels not written: {why}", r.source)?;
        }
    }
    Ok(())
}

/// A spinner with an item count, only when stderr is a terminal.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let p = indicatif::ProgressBar::new_spinner();
    p.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {prefix}: {pos} items synced ({elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    p.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(p)
}

async fn status(settings: &Settings, format: Format) -> Result<(), CliError> {
    let names: Vec<String> = settings.sources.iter().map(|s| s.name.clone()).collect();
    let rows = match Store::open(
        &settings.store_path,
        OpenMode::ReadOnly,
        &settings.memory_limit,
    )
    .await
    {
        Ok(store) => {
            let r = store.source_status(names).await;
            store.close().await;
            r?
        }
        Err(StoreError::Missing { .. }) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut result = crate::store::QueryResult {
        columns: [
            "source",
            "last_sync",
            "last_status",
            "items_tracked",
            "items_other",
            "api_requests",
            "rate_limit_left",
            "rate_limit_reset",
            "last_error",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: Vec::new(),
    };
    for s in &settings.sources {
        let st = rows.iter().find(|r| r.source == s.name);
        let j = |v: Option<serde_json::Value>| v.unwrap_or(serde_json::Value::Null);
        result.rows.push(vec![
            s.name.clone().into(),
            j(st.and_then(|r| r.last_success_at)
                .map(|t| t.to_rfc3339().into())),
            j(st.and_then(|r| r.last_status.clone()).map(Into::into)).or_never(),
            j(st.map(|r| r.items_tracked.into())),
            j(st.map(|r| r.items_other.into())),
            j(st.map(|r| r.last_api_requests.into())),
            j(st.and_then(|r| r.rate_remaining).map(|v| {
                format!(
                    "{v}/{}",
                    st.and_then(|r| r.rate_limit)
                        .map(|l| l.to_string())
                        .unwrap_or("?".into())
                )
                .into()
            })),
            j(st.and_then(|r| r.rate_reset).map(|t| t.to_rfc3339().into())),
            j(st.and_then(|r| r.last_error.clone()).map(Into::into)),
        ]);
    }
    if format == Format::Table {
        println!("database: {}", settings.store_path.display());
    }
    output::write(&mut std::io::stdout().lock(), &result, format)?;
    Ok(())
}

trait OrNever {
    fn or_never(self) -> serde_json::Value;
}

impl OrNever for serde_json::Value {
    /// A source that never ran says so instead of showing an empty cell.
    fn or_never(self) -> serde_json::Value {
        if self.is_null() {
            "never synced".into()
        } else {
            self
        }
    }
}
