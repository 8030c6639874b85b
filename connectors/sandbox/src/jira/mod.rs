//! The fake Jira: one site serving both flavours from one in-memory state,
//! Cloud under `/rest/api/3` and Data Center under `/rest/api/2`, on the
//! same listener as the fake GitHub (its paths all start with `/rest/`).
//! Modules: `catalog` (statuses, types, priorities, custom fields),
//! `clock` (time and its format), `state` (the data and its mutations),
//! `values` (custom-field values as clients send them), `seed` (the
//! generated site), `jql` (the query subset), `fields` and `json` (response
//! shapes), `adf` (Atlassian Document Format), `b64`, `routes` (HTTP);
//! [`JiraHandle`] (`handle`) lets tests look at and change the site.
//!
//! Authentication: Cloud clients send Basic `email:token` — `bot@acme.example`
//! with `sandbox-token`, or any e-mail with a token of
//! [`SandboxOptions::tokens`](crate::SandboxOptions::tokens); Data Center
//! clients send `Bearer <token>` with the same tokens. No credentials: 401
//! with Jira's JSON error; bad credentials: 401 in plain text.
//!
//! The API user's profile time zone is a fixed UTC−08:00 ([`USER_TIMEZONE`]):
//! every timestamp is written with `-0800`, and JQL minute literals are read
//! in that zone. There is no request budget; rate limits come from the
//! fault plan ([`JiraHandle::push_fault`]): [`Fault::SecondaryLimit`](crate::Fault::SecondaryLimit) is a
//! 429 (`jira-burst-based`) with `Retry-After` when given,
//! [`Fault::PrimaryExhausted`](crate::Fault::PrimaryExhausted) a 429 (`jira-quota-tenant-based`) whose
//! `Retry-After` is the reset, both with `X-RateLimit-Reset` and
//! `RateLimit-Reason`; [`Fault::HtmlError`](crate::Fault::HtmlError) a Tomcat error page (a 429 one
//! with `Retry-After: 0`); [`Fault::Unauthorized`](crate::Fault::Unauthorized) a plain-text 401.
//!
//! Every write (API or handle) moves the issue's `updated` to the current
//! wall-clock millisecond, or one millisecond past its last update when
//! that is later, so two edits never share an `updated`. Handle writes
//! behave like a person editing in the browser: their history entries are
//! by `alice`. Handle methods that name an issue panic when
//! it does not exist or was deleted (a bug in the test); a moved issue is
//! found by its old key too.

pub(crate) mod adf;
mod b64;
mod catalog;
mod clock;
mod fields;
mod handle;
mod jql;
mod json;
pub(crate) mod routes;
mod seed;
mod state;
mod values;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::counters::Counters;
use crate::faults::Faults;
use catalog::CUSTOM_FIELDS;
use state::World;

pub use handle::{JiraHandle, JiraIssueSnapshot, NewJiraIssue};
pub use json::EMBEDDED_HISTORIES;
pub use routes::{
    GONE_MESSAGE, ISSUE_NOT_FOUND_MESSAGE, ROUTE_TEMPLATES, UNAUTHORIZED_MESSAGE, UNBOUNDED_MESSAGE,
};
pub use seed::{DEMO_ISSUES, JIRA_SPAN_DAYS, MANY_COMMENTS, MANY_HISTORIES, SMALL_ISSUES};
pub(crate) use values::{cf_value, CfMode};

/// The Cloud account e-mail that goes with [`TOKEN`].
pub const CLOUD_EMAIL: &str = "bot@acme.example";
/// The API token (Cloud) and personal access token (Data Center) that is
/// always accepted.
pub const TOKEN: &str = "sandbox-token";
/// The API user's profile time zone: a fixed UTC−08:00 (Los Angeles
/// without daylight saving), named as the IANA database does.
pub const USER_TIMEZONE: &str = "Etc/GMT+8";
/// [`USER_TIMEZONE`] as an offset from UTC in minutes.
pub const USER_TZ_OFFSET_MINUTES: i32 = -480;
/// Author of handle edits.
pub const HANDLE_ACTOR: &str = "alice";
/// Open risk in `OPS` (Small and Demo): daily degradation, the title of
/// [`crate::seed::DAILY_DEGRADATION_RISK_TITLE`], type Risk, label `risk`.
pub const DAILY_DEGRADATION_RISK_KEY: &str = "OPS-3";
/// Open risk in `OPS` (Small and Demo): quarterly full outage, type Risk,
/// no label.
pub const FULL_OUTAGE_RISK_KEY: &str = "OPS-7";
/// Action item whose summary is [`crate::seed::HOSTILE_SQL_TITLE`].
pub const HOSTILE_SQL_KEY: &str = "OPS-21";
/// Action item whose summary is [`crate::seed::HOSTILE_CONTROL_TITLE`].
pub const HOSTILE_CONTROL_KEY: &str = "OPS-22";
/// Incident whose summary is [`crate::seed::HOSTILE_RTL_TITLE`].
pub const HOSTILE_RTL_KEY: &str = "OPS-23";
/// Risk titled [`crate::seed::HOSTILE_EMOJI_TITLE`] whose description uses
/// every ADF node and mark (emoji, mention, marks, lists, table, panel,
/// code block, inline card).
pub const RICH_DESCRIPTION_KEY: &str = "OPS-24";
/// Action item with a huge code-block description
/// ([`crate::seed::BIG_BODY_BYTES_SMALL`] / `_DEMO`).
pub const BIG_DESCRIPTION_KEY: &str = "OPS-25";
/// Action item with [`MANY_COMMENTS`] comments and [`MANY_HISTORIES`]
/// histories.
pub const MANY_COMMENTS_KEY: &str = "OPS-26";

/// Issues per Cloud search page when only ids are asked for.
pub const CLOUD_PAGE_OF_IDS: usize = routes::CLOUD_IDS_PAGE;

/// Issues a Cloud `POST /issue/bulkfetch` returns at most when it names
/// its fields (as recur does).
pub const CLOUD_BULK_FETCH: usize = routes::BULK_FETCH_EFFICIENT;

/// The custom fields of the site as `(id, name)`, e.g.
/// `("customfield_10043", "Target date")`.
pub fn custom_fields() -> Vec<(String, &'static str)> {
    CUSTOM_FIELDS
        .iter()
        .map(|(n, name, _)| (format!("customfield_{n}"), *name))
        .collect()
}

/// Everything the server and the handle share.
pub(crate) struct Shared {
    /// std RwLock: held for short reads and writes, never across an await.
    world: RwLock<World>,
    pub counters: Counters,
    pub faults: Faults,
    /// token → login.
    pub tokens: HashMap<String, String>,
    pub base: String,
    request_seq: AtomicU64,
    /// When the handle's edits happen, epoch milliseconds; 0: the wall clock.
    handle_clock: AtomicI64,
    /// 0: no page-size knob.
    page_cap: AtomicUsize,
    /// Microseconds a search or bulk answer waits per KiB of its body
    /// before it is sent (0: none).
    think_per_kib_us: AtomicU64,
    /// `POST /changelog/bulkfetch` answers 404, as on a site without it.
    pub no_bulk_changelog: AtomicBool,
    /// `POST /issue/bulkfetch` answers 404, as on a site without it.
    pub no_bulk_fetch: AtomicBool,
    /// 0: `POST /issue/bulkfetch` takes Jira's own limits; else at most
    /// this many issues a request (more is a 400).
    bulk_fetch_max: AtomicUsize,
    /// Bumped on every write lock, so cached search results know when they
    /// are stale.
    generation: AtomicU64,
    /// The last search's sorted hits: paging through one query does not
    /// filter and sort the whole site again for every page.
    search_cache: Mutex<Option<SearchCache>>,
}

/// Sorted search hits: each issue's sort values and index.
pub(crate) type Hits = Arc<Vec<(Vec<(jql::SortVal, bool)>, u32)>>;

pub(crate) struct SearchCache {
    jql: String,
    user: Option<u32>,
    generation: u64,
    at: Instant,
    hits: Hits,
}

/// How long cached hits live (relative dates such as `-5d` move with time).
const SEARCH_CACHE_TTL: Duration = Duration::from_secs(30);

impl Shared {
    /// Generates the site of `opts`.
    pub(crate) fn build(opts: &crate::SandboxOptions, base: &str) -> Shared {
        let mut world = World::new();
        world.user("recur-bot");
        for (_, login) in &opts.tokens {
            world.user(login);
        }
        seed::generate(&mut world, opts.seed, opts.anchor, opts.scale);
        Shared {
            world: RwLock::new(world),
            counters: Counters::default(),
            faults: Faults::default(),
            tokens: opts.tokens.iter().cloned().collect(),
            base: base.to_string(),
            request_seq: AtomicU64::new(1),
            handle_clock: AtomicI64::new(0),
            page_cap: AtomicUsize::new(0),
            think_per_kib_us: AtomicU64::new(0),
            no_bulk_changelog: AtomicBool::new(false),
            no_bulk_fetch: AtomicBool::new(false),
            bulk_fetch_max: AtomicUsize::new(0),
            generation: AtomicU64::new(0),
            search_cache: Mutex::new(None),
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, World> {
        self.world.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, World> {
        let guard = self.world.write().unwrap_or_else(|e| e.into_inner());
        // Bumped while holding the lock: a search (under the read lock)
        // never pairs old data with the new generation.
        self.generation.fetch_add(1, Ordering::AcqRel);
        guard
    }

    /// The cached hits of `jql` for `user`, if still valid. Call with the
    /// read lock held.
    pub(crate) fn cached_hits(&self, jql: &str, user: Option<u32>) -> Option<Hits> {
        let g = self.search_cache.lock().unwrap_or_else(|e| e.into_inner());
        let c = g.as_ref()?;
        (c.jql == jql
            && c.user == user
            && c.generation == self.generation.load(Ordering::Acquire)
            && c.at.elapsed() < SEARCH_CACHE_TTL)
            .then(|| c.hits.clone())
    }

    /// Remembers the hits of `jql` (call with the read lock held).
    pub(crate) fn cache_hits(&self, jql: &str, user: Option<u32>, hits: Hits) {
        *self.search_cache.lock().unwrap_or_else(|e| e.into_inner()) = Some(SearchCache {
            jql: jql.to_string(),
            user,
            generation: self.generation.load(Ordering::Acquire),
            at: Instant::now(),
            hits,
        });
    }

    /// How long a search or bulk answer waits per KiB of its body.
    pub(crate) fn think_per_kib(&self) -> std::time::Duration {
        std::time::Duration::from_micros(self.think_per_kib_us.load(Ordering::Relaxed))
    }

    pub(crate) fn page_cap(&self) -> Option<usize> {
        match self.page_cap.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    pub(crate) fn bulk_fetch_max(&self) -> Option<usize> {
        match self.bulk_fetch_max.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }
}
