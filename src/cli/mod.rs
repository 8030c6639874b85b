//! The command line: argument parsing (clap), one arm per subcommand that
//! loads the settings, opens the store and calls the use case in
//! [`crate::app`], and what gets printed ([`print`]). Nothing but `main`
//! imports this module. Exit codes come from [`app::Error::exit_code`]: 0
//! ok, 1 runtime failure, 2 usage or configuration error.
//!
//! The conventions every command shares live here too: `-q`/`-v` (see
//! [`crate::logging`]), the configuration search
//! ([`crate::settings::locate`]), `--format json` documents ([`json`]),
//! progress on stderr ([`print`]), and the shell completions and manual
//! pages generated from these very definitions (`recur completions`,
//! `recur man`).

mod json;
mod print;

use std::io::Write;
use std::path::PathBuf;

use clap::{ArgAction, CommandFactory, Parser, Subcommand};

use crate::app::{self, Error, READ_PATIENCE};
use crate::clock::Clock;
use crate::logging::Verbosity;
use crate::output::{self, Format};
use crate::reports::ReportParams;
use crate::settings::{ConfigLocation, Settings, CONFIG_ENV, EXAMPLE_CONFIG};
use crate::shutdown::TokioSleeper;

/// recur: postmortem follow-up work, synced from GitHub and Jira into DuckDB.
#[derive(Debug, Parser)]
#[command(name = "recur", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file [default: $RECUR_CONFIG, else the first of
    /// ./recur.toml, $XDG_CONFIG_HOME/recur/recur.toml (~/.config/…),
    /// /etc/recur/recur.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Errors only: no log lines below error, no progress bars.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More log lines: -v debug, -vv trace (beats RECUR_LOG and [log] level).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
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
        /// Rebuild history from the trackers' change logs even when
        /// `[sync] backfill = false` (items already rebuilt are skipped).
        #[arg(long)]
        backfill: bool,
        /// Output format of the result.
        #[arg(long, value_enum, default_value = "text")]
        format: ResultFormat,
    },
    /// Score every tracked risk (ordinal and expected cost) and record the run.
    Score {
        /// Also score each of the last 12 month ends that has no run yet, from
        /// history (the first run ever does this by itself), so the burn-down
        /// and the review pack's movement reach back a year.
        #[arg(long)]
        backfill: bool,
        /// Output format of the result.
        #[arg(long, value_enum, default_value = "text")]
        format: ResultFormat,
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
        /// Rows per section of `movement`; how many risks are the top for
        /// `quarterly`'s unmoved_top (default `[reports] top_risks`, 10).
        #[arg(long)]
        top: Option<usize>,
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
    /// Record a risk review: `recur review record --risks KEY,…` or
    /// `--priority P0,P1` after the meeting; the stale-review flag clears and
    /// write-back sets each risk's Last reviewed in its tracker.
    Review {
        #[command(subcommand)]
        action: ReviewAction,
    },
    /// Preflight: is every token accepted, every repository or project
    /// reachable, every tracked label there, may recur write, is the
    /// database free? One line per check; exit 0 only when all pass.
    Check {
        /// Only this source.
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// Also check that each identity may add labels and comment (without
        /// writing); on by itself when `[daemon] writeback = true`.
        #[arg(long)]
        writes: bool,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
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
    /// One task of `recur daemon` (a cycle, the start-up migration) in a
    /// process of its own; started by the daemon, never by hand.
    #[command(hide = true)]
    Worker,
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
    /// Print a shell completion script to stdout, e.g.
    /// `recur completions bash > /etc/bash_completion.d/recur`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page recur(1) (roff) to stdout, or write it and one
    /// page per subcommand (recur-sync.1, …) into DIR.
    Man {
        /// Write recur.1 and every subcommand's page into this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    #[cfg(feature = "demo")]
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
    #[cfg(feature = "demo")]
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
    #[cfg(feature = "demo")]
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

/// What `recur review` does.
#[derive(Debug, Subcommand)]
pub enum ReviewAction {
    /// Mark active risks as reviewed on a day (default today, UTC).
    Record {
        /// These risks, comma-separated (keys as recur shows them).
        #[arg(long, value_delimiter = ',', value_name = "KEY")]
        risks: Vec<String>,
        /// Every active risk of these priorities (latest scoring run), e.g. P0,P1.
        #[arg(long, value_delimiter = ',', value_name = "P")]
        priority: Vec<String>,
        /// Only risks of this source.
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// The day of the review [default: today, UTC].
        #[arg(long, value_name = "DATE")]
        on: Option<chrono::NaiveDate>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

/// Output formats of a command's result (`sync`, `score`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ResultFormat {
    /// Lines for people.
    Text,
    /// One JSON document (shapes in the README, "JSON output").
    Json,
}

/// File formats of `recur export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFileFormat {
    /// Apache Parquet.
    Parquet,
    /// CSV with a header row.
    Csv,
}

/// The command tree as clap sees it: what completions, manual pages and
/// their tests are generated from.
pub fn command() -> clap::Command {
    Cli::command()
}

impl Cli {
    fn verbosity(&self) -> Verbosity {
        Verbosity::from_flags(self.quiet, self.verbose)
    }

    /// Whether progress bars are drawn (a terminal, and no `-q`).
    fn progress(&self) -> bool {
        print::progress_wanted(self.quiet)
    }
}

/// Finds the configuration file (`--config`, `RECUR_CONFIG`, `./recur.toml`,
/// the user's, the system's), loads it and starts logging.
fn load(cli: &Cli) -> Result<(Settings, ConfigLocation), Error> {
    let location = crate::settings::locate_here(cli.config.as_deref());
    let settings = Settings::load_located(&location)?;
    crate::logging::init(&settings.log, cli.verbosity());
    tracing::debug!(
        config = ?location.path,
        found_by = location.origin.describe(),
        "Configuration read."
    );
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    Ok((settings, location))
}

/// Loads settings and starts logging.
fn load_settings(cli: &Cli) -> Result<Settings, Error> {
    Ok(load(cli)?.0)
}

fn usage(e: impl std::fmt::Display) -> Error {
    Error::Usage(e.to_string())
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> Result<(), Error> {
    // One clock for the whole command (src/clock.rs).
    let clock = Clock::start().map_err(usage)?;
    match &cli.command {
        Command::Init { force } => init(&cli, *force),
        Command::Sync {
            source,
            full,
            backfill,
            format,
        } => {
            let settings = load_settings(&cli)?;
            let sources = app::sources(&settings, source.as_deref())?;
            let w = app::open_writer(&settings, "sync").await?;
            let spinner = print::sync_spinner(cli.progress());
            let progress = |name: &str, n: u64| {
                if let Some(p) = &spinner {
                    if n == 0 {
                        p.set_prefix(name.to_string());
                    }
                    p.set_position(n);
                }
            };
            let run = app::Run {
                sleeper: &TokioSleeper,
                shutdown: crate::shutdown::on_signal(),
                clock,
            };
            let result =
                app::sync(&w.store, &settings, &sources, *full, &run, Some(&progress)).await;
            if let Some(p) = &spinner {
                p.finish_and_clear();
            }
            let synced = match result {
                Ok(r) => r,
                Err(e) => {
                    w.store.close().await;
                    return Err(e);
                }
            };
            let backfilled = if settings.sync.backfill || *backfill {
                let spinner = print::spinner(
                    cli.progress(),
                    "history backfill from the trackers' change logs".into(),
                );
                let r = app::backfill(&w.store, &settings, &sources, &run).await;
                if let Some(p) = spinner {
                    p.finish_and_clear();
                }
                r
            } else {
                Ok(Vec::new())
            };
            w.store.close().await;
            if *format == ResultFormat::Json {
                // A failed backfill leaves its sources' `backfill` null;
                // the error still ends the command (stderr, exit code).
                let (reports, error) = match backfilled {
                    Ok(r) => (r, None),
                    Err(e) => (Vec::new(), Some(e)),
                };
                json::emit(&json::SyncDoc::new(&synced, &reports))?;
                return error.map_or(Ok(()), Err);
            }
            print::print_sync(&synced)?;
            print::print_backfill(&backfilled?)
        }
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics on a write error
            // (`recur completions bash | head`), stdout does not.
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut command(), "recur", &mut buf);
            write_out(None, &buf)
        }
        Command::Man { dir } => man(dir.as_deref()),
        Command::Daemon => {
            let settings = load_settings(&cli)?;
            // Workers run the daemon's own image: on Linux /proc/self/exe,
            // which still names it after an upgrade replaced the file (a
            // worker of the new version would migrate the schema under the
            // old daemon, and may not speak its protocol).
            let proc_exe = std::path::Path::new("/proc/self/exe");
            let exe = if cfg!(target_os = "linux") && proc_exe.exists() {
                proc_exe.to_path_buf()
            } else {
                std::env::current_exe().map_err(|e| {
                    Error::Runtime(format!("cannot find recur's own executable: {e}"))
                })?
            };
            let mut flags = Vec::new();
            if cli.quiet {
                flags.push("-q".to_string());
            }
            flags.extend((0..cli.verbose).map(|_| "-v".to_string()));
            let worker = crate::daemon::worker::Worker::new(exe, flags, &settings);
            crate::daemon::run_with(
                settings,
                crate::shutdown::on_signal(),
                None,
                crate::daemon::Cycles::Worker(worker),
            )
            .await
        }
        Command::Worker => crate::daemon::worker::serve(cli.verbosity()).await,
        Command::Export { format, dir } => {
            let settings = load_settings(&cli)?;
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Runtime(format!("cannot create {}: {e}", dir.display())))?;
            let store = app::open_reader(&settings, READ_PATIENCE).await?;
            let format = match format {
                ExportFileFormat::Parquet => crate::store::ExportFormat::Parquet,
                ExportFileFormat::Csv => crate::store::ExportFormat::Csv,
            };
            // The store writes every view in one call on its own thread:
            // a spinner, not a bar (it reports no progress per view).
            let spinner = print::spinner(
                cli.progress(),
                format!("exporting the public views to {}", dir.display()),
            );
            let done = store.export_views(dir, format).await;
            if let Some(p) = spinner {
                p.finish_and_clear();
            }
            store.close().await;
            let mut out = std::io::stdout().lock();
            for e in done? {
                writeln!(out, "{}: {} rows -> {}", e.view, e.rows, e.file)?;
            }
            Ok(())
        }
        Command::Query { format, sql } => {
            let settings = load_settings(&cli)?;
            let store = app::open_reader(&settings, READ_PATIENCE).await?;
            // Written as the rows are read (`SELECT * FROM items` over a
            // million items held as values took 5.5 GB) into a spool,
            // delivered once the database is closed (see `files::Spool`).
            let result = match crate::files::Spool::new() {
                Ok(out) => {
                    let sink = output::Streamed {
                        out,
                        writer: output::RowWriter::new(*format),
                    };
                    store.query_each("query", sql, Vec::new(), sink).await
                }
                Err(e) => {
                    store.close().await;
                    return Err(e.into());
                }
            };
            store.close().await;
            let mut sink = result.map_err(|e| Error::Runtime(e.to_string()))?;
            sink.writer.finish(&mut sink.out)?;
            sink.out.deliver(None)?;
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
                Some(t) => Clock::parse("--now", t).map_err(usage)?,
                None => clock,
            };
            let settings = load_settings(&cli)?;
            if *list {
                let mut out = std::io::stdout().lock();
                for r in crate::reports::list(settings.queries_dir.as_deref())? {
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
            let is_review = name == "review";
            let html = *format == crate::reports::ReportFormat::Html;
            if is_review != html {
                return Err(Error::Usage(if is_review {
                    "review is the HTML review pack: use `recur report review --format html`".into()
                } else {
                    "--format html is only for `recur report review`".into()
                }));
            }
            let store = app::open_reader(&settings, READ_PATIENCE).await?;
            let base = ReportParams {
                now: Some(clock.now()),
                ..ReportParams::from_settings(&settings)
            };
            if is_review {
                let as_of = as_of.unwrap_or_else(|| clock.today());
                let params = ReportParams {
                    days: *days,
                    ..base
                };
                let page = app::review(&store, &settings, as_of, &params).await;
                store.close().await;
                return write_out(output.as_ref(), page?.as_bytes());
            }
            let params = ReportParams {
                days: *days,
                since: *since,
                as_of: *as_of,
                service: service.clone(),
                period: period.clone(),
                top: top.or(base.top),
                ..base
            };
            // Rendered as the rows are read into a spool, delivered once
            // the database is closed (see `files::Spool`).
            let md = *format == crate::reports::ReportFormat::Md;
            let result = match crate::files::Spool::new() {
                Ok(spool) => report_to(&store, &settings, name, &params, *format, spool).await,
                Err(e) => Err(e.into()),
            };
            store.close().await;
            let (spool, note) = result?;
            if let (Some(n), false) = (&note, md) {
                eprintln!("note: {n}");
            }
            spool.deliver(output.as_deref())?;
            Ok(())
        }
        Command::Review {
            action:
                ReviewAction::Record {
                    risks,
                    priority,
                    source,
                    on,
                    format,
                },
        } => {
            let settings = load_settings(&cli)?;
            if let Some(name) = source {
                if settings.source(name).is_none() {
                    return Err(Error::Usage(format!("no source named {name:?}")));
                }
            }
            let selection = app::ReviewSelection {
                risks: risks.clone(),
                priorities: priority.clone(),
                source: source.clone(),
                on: *on,
            };
            let w = app::open_writer(&settings, "review record").await?;
            let result = app::record_review(&w.store, &selection, clock).await;
            w.store.close().await;
            print::reviewed(&result?, settings.writeback.last_reviewed, *format)
        }
        Command::Score { backfill, format } => {
            let settings = load_settings(&cli)?;
            let w = app::open_writer(&settings, "score").await?;
            let spinner = print::spinner(cli.progress(), "scoring risks".into());
            let result = app::score(&w.store, &settings, clock, *backfill).await;
            if let Some(p) = spinner {
                p.finish_and_clear();
            }
            w.store.close().await;
            let (past, summary) = result?;
            if *format == ResultFormat::Json {
                return json::emit(&json::ScoreDoc::new(&past, &summary));
            }
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
        Command::Check {
            source,
            writes,
            format,
        } => {
            let settings = load_settings(&cli)?;
            let sources = app::sources(&settings, source.as_deref())?;
            let checked =
                app::check(&settings, &sources, *writes || settings.daemon.writeback).await;
            print::checked(&checked, *format)?;
            if checked.ok {
                Ok(())
            } else {
                Err(Error::Runtime("some checks failed (see above)".into()))
            }
        }
        Command::Status { format } => {
            let (settings, location) = load(&cli)?;
            print::status(&settings, &location, *format).await
        }
        Command::Writeback {
            source,
            dry_run,
            format,
            now,
        } => {
            let clock = match now {
                Some(_) if !*dry_run => {
                    return Err(Error::Usage(
                        "--now is for a dry run (`recur writeback --dry-run --now …`): a real write-back judges by the current time".into(),
                    ))
                }
                Some(t) => Clock::parse("--now", t).map_err(usage)?,
                None => clock,
            };
            let settings = load_settings(&cli)?;
            let sources = app::sources(&settings, source.as_deref())?;
            // A dry run only reads: it needs no writer lock and works beside
            // a running daemon.
            let (store, _lock) = if *dry_run {
                (app::open_reader(&settings, READ_PATIENCE).await?, None)
            } else {
                let (store, lock) = app::open_writer(&settings, "writeback").await?.into_parts();
                (store, Some(lock))
            };
            let run = app::Run {
                sleeper: &TokioSleeper,
                shutdown: crate::shutdown::on_signal(),
                clock,
            };
            let bar = print::writeback_bar(cli.progress() && !*dry_run);
            let progress = |name: &str, done: u64, total: u64| {
                if let Some(p) = &bar {
                    if done == 0 {
                        p.set_prefix(name.to_string());
                        p.set_length(total);
                        p.reset();
                    }
                    p.set_position(done);
                }
            };
            let result =
                app::writeback(&store, &settings, &sources, *dry_run, &run, Some(&progress)).await;
            if let Some(p) = &bar {
                p.finish_and_clear();
            }
            store.close().await;
            let (reports, error) = match result {
                Ok(r) => (r, None),
                Err((r, e)) => (r, Some(e)),
            };
            print::print_writeback(&reports, *format, *dry_run)?;
            if let Some(e) = error {
                return Err(e);
            }
            let failed: u64 = reports.iter().map(|r| r.counts.failed).sum();
            if failed > 0 {
                return Err(Error::Runtime(format!(
                    "{failed} write-back operation(s) failed; see the list above and the writeback_log view"
                )));
            }
            Ok(())
        }
        #[cfg(feature = "demo")]
        Command::Sandbox {
            port,
            seed,
            bench_issues,
        } => {
            crate::logging::init(&Default::default(), cli.verbosity());
            crate::demo::run_sandbox(*port, *seed, *bench_issues).await
        }
        #[cfg(feature = "demo")]
        Command::Demo { dir, serve, port } => {
            crate::logging::init(
                &crate::settings::LogSettings {
                    json: false,
                    level: "warn".into(),
                },
                cli.verbosity(),
            );
            let serve = serve.then_some(*port);
            crate::demo::run(dir.as_deref(), serve).await
        }
        #[cfg(feature = "demo")]
        Command::Bench {
            issues,
            writeback_items,
            reports,
            items,
            history,
        } => {
            crate::logging::init(
                &crate::settings::LogSettings {
                    json: false,
                    level: "warn".into(),
                },
                cli.verbosity(),
            );
            if *reports {
                crate::bench::reports(*items, *history).await
            } else {
                crate::bench::bench(*issues, *writeback_items).await
            }
        }
    }
}

/// Writes to `--output` (private, replaced atomically) or stdout.
fn write_out(output: Option<&PathBuf>, bytes: &[u8]) -> Result<(), Error> {
    match output {
        Some(path) => crate::files::write_private(path, &String::from_utf8_lossy(bytes))?,
        None => std::io::stdout().lock().write_all(bytes)?,
    }
    Ok(())
}

/// recur(1) to stdout, or every page into `dir`. Without the `help`
/// subcommand, as clap_mangen's own `generate_to` does: it gets no page, so
/// recur(1) should not point to one.
fn man(dir: Option<&std::path::Path>) -> Result<(), Error> {
    match dir {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(command().disable_help_subcommand(true)).render(&mut buf)?;
            write_out(None, &buf)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Runtime(format!("cannot create {}: {e}", dir.display())))?;
            clap_mangen::generate_to(command(), dir).map_err(|e| {
                Error::Runtime(format!(
                    "cannot write the pages into {}: {e}",
                    dir.display()
                ))
            })?;
        }
    }
    Ok(())
}

/// `recur init` writes where the user points (`--config`, `RECUR_CONFIG`),
/// else `./recur.toml`: never into the user's or the system's directory
/// unasked.
fn init(cli: &Cli, force: bool) -> Result<(), Error> {
    let path = cli
        .config
        .clone()
        .or_else(|| {
            std::env::var_os(CONFIG_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("recur.toml"));
    if path.exists() && !force {
        return Err(Error::Usage(format!(
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

/// `recur report NAME` into `w`: the answer in `format`, and for Markdown
/// the note after it. Gives the writer back with the note.
async fn report_to<W: Write + Send + 'static>(
    store: &crate::store::Store,
    settings: &Settings,
    name: &str,
    params: &ReportParams,
    format: crate::reports::ReportFormat,
    w: W,
) -> Result<(W, Option<String>), Error> {
    let out = crate::reports::Renderer::new(w, name, format)?;
    let (out, note) = app::report_into(store, settings, name, params, out).await?;
    let mut w = out.finish()?;
    if let (Some(n), crate::reports::ReportFormat::Md) = (&note, format) {
        writeln!(w, "\n_Note: {}._", crate::reports::md_text(n))?;
        w.flush()?;
    }
    Ok((w, note))
}
