//! recur: pulls labelled postmortem issues (action items, incidents, risks)
//! from GitHub and Jira into one DuckDB file, analyses them with SQL kept in
//! `queries/`, and writes results back to the trackers.
//!
//! Module map:
//! - [`cli`]: the command line (clap), one function per subcommand.
//! - [`clock`]: one fixed "now" per run (command or daemon cycle).
//! - [`settings`]: configuration layers and validation; secrets.
//! - [`store`]: the only owner of the DuckDB connection: migrations, ingest,
//!   history, bookkeeping, queries.
//! - [`sync`]: the shared pull loop (cursors, paging, retries, rate limits).
//! - [`retry`]: the retry policy shared by sync and write-back.
//! - [`writeback`]: labels and summary comments back to the trackers, through an outbox.
//! - [`sources`]: builds connectors from settings.
//! - [`queries`]: the SQL files of `queries/`, built in.
//! - [`scoring`]: risk models (ordinal, expected cost), `recur score`, the registry and movement reports.
//! - [`reports`]: backlog-health reports (`recur report`), SQL in `queries/health/`.
//! - [`review`]: the HTML review pack (`recur report review --format html`), charts in SVG.
//! - [`output`]: table / JSON / CSV rendering of query results.
//! - [`daemon`]: `recur daemon`: scheduled cycles, /healthz, /metrics, the writer lock.
//! - [`demo`]: `recur demo`, the whole product against the sandbox.
//! - [`bench`]: `recur bench` figures beyond the GitHub first sync (Jira, write-back).
//! - [`logging`]: tracing-subscriber set-up.

pub mod app;
#[cfg(feature = "demo")]
pub mod bench;
pub mod cli;
pub mod clock;
pub mod daemon;
#[cfg(feature = "demo")]
pub mod demo;
pub mod files;
pub mod logging;
pub mod output;
pub mod queries;
pub mod reports;
pub mod retry;
pub mod review;
pub mod scoring;
pub mod settings;
pub mod shutdown;
pub mod sources;
pub mod store;
pub mod sync;
pub mod writeback;
