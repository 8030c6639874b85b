//! recur-sandbox: stateful loopback fakes of the trackers recur talks to,
//! behaving like the real APIs (paging, rate limits, ETags, moved and
//! deleted issues, label and comment writes) with knobs for faults. Tests,
//! benchmarks and `recur demo` run against it.
//!
//! Module map:
//! - [`Sandbox`], [`SandboxOptions`], [`Scale`] (this file): start and stop.
//! - `server`: our own accept loop around an axum `Router`, so a fault can
//!   reset a connection or cut a body short (tracker-agnostic).
//! - [`faults`]: scripted and random fault injection (tracker-agnostic).
//! - `plumbing`: the request path every tracker shares: body, counting,
//!   faults and the transport-level fault answers, around a `Tracker`
//!   (tracker-agnostic).
//! - [`counters`]: per-route request counts and the request log
//!   (tracker-agnostic).
//! - `rate`: hourly request budgets (tracker-agnostic).
//! - [`seed`]: the deterministic generated organisation and the facts tests
//!   may rely on.
//! - [`github`]: the fake GitHub REST API and its test-control handle.
//! - [`jira`]: the fake Jira (Cloud REST v3 and Data Center REST v2 over
//!   one site) and its test-control handle; served on the same listener
//!   under `/rest/…`, so [`Sandbox::jira_url`] equals
//!   [`Sandbox::github_url`].
//!
//! Adding a tracker (as [`jira`] was added): a module with its own state,
//! a `Counters` and a `Faults`, that implements `plumbing::Tracker`
//! (routing, authentication, its error formats and headers, its endpoints)
//! and routes its paths to `plumbing::handle`; the plumbing counts, faults
//! and answers the transport faults. Its `Router` is merged into the one
//! `server::spawn` serves (or served on a port of its own), and [`Sandbox`]
//! grows a `…_url()` and a handle for it.

#![deny(missing_docs)]

pub mod counters;
pub mod faults;
pub mod github;
pub mod jira;
mod plumbing;
mod rate;
pub mod seed;
mod server;

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use counters::RequestRecord;
pub use faults::{Fault, FaultRule};
pub use github::{CommentSnapshot, GithubHandle, IssueSnapshot, NewIssue, SandboxApp};
pub use jira::{JiraHandle, JiraIssueSnapshot, NewJiraIssue};

/// How much data the sandbox generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The three [`seed::SMALL_REPOS`] exist, with labels but no issues;
    /// Jira has an empty project `OPS`.
    Empty,
    /// [`seed::SMALL_REPOS`], about 400 issues in all; Jira project `OPS`
    /// with [`jira::SMALL_ISSUES`] issues.
    Small,
    /// [`seed::DEMO_REPOS`], about 3,000 issues in all; Jira project `OPS`
    /// with [`jira::DEMO_ISSUES`] issues over two years.
    Demo,
    /// `issues` issues spread over ten repositories `acme/bench-0..9`;
    /// generated quickly and kept lean (no huge bodies, few comments).
    /// Jira gets `issues / 2` more, split over projects `OPS` and `PAY`.
    Bench {
        /// Total issues (pull requests included) over all ten repositories.
        issues: usize,
    },
}

/// How to start a [`Sandbox`].
#[derive(Clone)]
pub struct SandboxOptions {
    /// Seed of the deterministic generator (`StdRng::seed_from_u64`).
    pub seed: u64,
    /// The "now" of the generated data: every seeded timestamp is at or
    /// before it, spread over the 18 months before it.
    pub anchor: DateTime<Utc>,
    /// How much data to generate.
    pub scale: Scale,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Accepted tokens as `(token, login)`.
    pub tokens: Vec<(String, String)>,
    /// Primary budget per hour for authenticated requests.
    pub rate_limit: i64,
}

impl std::fmt::Debug for SandboxOptions {
    // Tokens are fake, but a habit is a habit: never print a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxOptions")
            .field("seed", &self.seed)
            .field("anchor", &self.anchor)
            .field("scale", &self.scale)
            .field("port", &self.port)
            .field(
                "logins",
                &self
                    .tokens
                    .iter()
                    .map(|(_, l)| l.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

/// Today at 00:00:00 UTC: the default anchor, so data generated twice on
/// one day is identical.
fn today_midnight() -> DateTime<Utc> {
    Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or_else(Utc::now)
}

impl SandboxOptions {
    fn with(seed: u64, scale: Scale) -> Self {
        SandboxOptions {
            seed,
            anchor: today_midnight(),
            scale,
            port: 0,
            tokens: vec![
                ("sandbox-token".to_string(), "recur-bot".to_string()),
                ("human-token".to_string(), "alice".to_string()),
            ],
            rate_limit: 5000,
        }
    }

    /// [`Scale::Small`] with `seed`.
    pub fn small(seed: u64) -> Self {
        Self::with(seed, Scale::Small)
    }

    /// [`Scale::Demo`] with `seed`.
    pub fn demo(seed: u64) -> Self {
        Self::with(seed, Scale::Demo)
    }

    /// [`Scale::Bench`] with `issues` issues (seed 42).
    pub fn bench(issues: usize) -> Self {
        Self::with(42, Scale::Bench { issues })
    }

    /// [`Scale::Empty`] (seed 42).
    pub fn empty() -> Self {
        Self::with(42, Scale::Empty)
    }
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self::demo(42)
    }
}

/// A running sandbox: the fake GitHub and the fake Jira on `127.0.0.1`.
///
/// Dropping it stops accepting connections; [`Sandbox::shutdown`] also
/// waits for open connections to finish.
pub struct Sandbox {
    github_url: String,
    github: GithubHandle,
    jira: JiraHandle,
    server: Option<server::ServerHandle>,
}

impl Sandbox {
    /// Binds the port, generates the data and starts serving.
    pub async fn start(opts: SandboxOptions) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port)).await?;
        let addr = listener.local_addr()?;
        let github_url = format!("http://127.0.0.1:{}", addr.port());
        // Generating a large organisation takes seconds of CPU: keep it off
        // the async worker so a current-thread test runtime stays usable.
        let base = github_url.clone();
        let (shared, jira) = tokio::task::spawn_blocking(move || {
            (
                github::Shared::build(&opts, &base),
                jira::Shared::build(&opts, &base),
            )
        })
        .await
        .map_err(std::io::Error::other)?;
        let shared = Arc::new(shared);
        let jira = Arc::new(jira);
        // Jira's routes are all under `/rest/`, which GitHub never uses; the
        // GitHub router keeps the fallback for everything else.
        let router =
            jira::routes::router(jira.clone()).merge(github::routes::router(shared.clone()));
        let server = server::spawn(listener, router);
        tracing::info!(url = %github_url, "Sandbox GitHub and Jira listening.");
        Ok(Sandbox {
            github_url,
            github: GithubHandle::new(shared),
            jira: JiraHandle::new(jira),
            server: Some(server),
        })
    }

    /// The API base, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn github_url(&self) -> String {
        self.github_url.clone()
    }

    /// A cheap handle onto the fake GitHub's state, counters and faults.
    pub fn github(&self) -> GithubHandle {
        self.github.clone()
    }

    /// The Jira site root, `http://127.0.0.1:PORT` (no trailing slash): the
    /// same listener as GitHub, answering under `/rest/api/{2,3}/…`.
    pub fn jira_url(&self) -> String {
        self.github_url.clone()
    }

    /// A cheap handle onto the fake Jira's state, counters and faults.
    pub fn jira(&self) -> JiraHandle {
        self.jira.clone()
    }

    /// Stops accepting, lets open connections finish (up to a few seconds)
    /// and returns when the server is gone.
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.signal();
        }
    }
}
