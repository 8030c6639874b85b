//! The fake GitHub: its shared state (`state`), JSON shapes (`json`, on
//! the byte writers and cached fragments of `render`), HTTP surface
//! (`routes`) and the [`GithubHandle`] (`handle`) tests use to look at and
//! change it.
//!
//! Handle writes behave like a person editing on github.com: they bump the
//! issue's `updated_at` to the current wall-clock second and record issue
//! events with actor `alice`. Handle writes to a repository that does not
//! exist create it (with GitHub's default labels), which is how tests fill
//! a [`Scale::Empty`](crate::Scale::Empty) sandbox. Handle methods that
//! name an issue panic when it does not exist (or is deleted or
//! transferred): that is a bug in the test, and the message says which
//! issue.

mod apps;
mod handle;
pub(crate) mod json;
pub(crate) mod render;
pub(crate) mod routes;
pub(crate) mod state;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::Utc;

use crate::counters::Counters;
use crate::faults::Faults;
use crate::rate::Budget;
use crate::seed;
use state::World;

pub use apps::SandboxApp;
pub use handle::{CommentSnapshot, GithubHandle, IssueSnapshot, NewIssue};
pub use routes::ROUTE_TEMPLATES;

/// Budget of anonymous requests per hour (as on GitHub).
pub(crate) const ANONYMOUS_LIMIT: i64 = 60;
/// Actor of handle edits.
pub const HANDLE_ACTOR: &str = "alice";

/// The two primary budgets: every token shares the authenticated one.
pub(crate) struct Budgets {
    pub auth: Budget,
    pub anon: Budget,
}

/// Everything the server and the handle share.
pub(crate) struct Shared {
    /// std RwLock: requests read concurrently, writes are short, and the
    /// lock is never held across an `.await`.
    world: RwLock<World>,
    pub counters: Counters,
    pub faults: Faults,
    pub budgets: Mutex<Budgets>,
    /// token → login.
    pub tokens: HashMap<String, String>,
    /// Registered GitHub Apps and their installation tokens.
    pub apps: apps::Apps,
    pub base: String,
    request_seq: AtomicU64,
    /// When the handle's edits happen, epoch seconds; 0: the wall clock.
    handle_clock: AtomicI64,
}

pub(crate) fn now_secs() -> i64 {
    Utc::now().timestamp()
}

impl Shared {
    /// Generates the organisation of `opts` with URLs under `base`.
    pub(crate) fn build(opts: &crate::SandboxOptions, base: &str) -> Shared {
        let mut world = World::new(base);
        // Token users first, so the first token's login is user ID 1.
        for (_, login) in &opts.tokens {
            world.user(login);
        }
        for p in seed::PEOPLE.iter().chain(seed::BOTS.iter()) {
            world.user(p);
        }
        let mut generator = seed::Generator::new(opts.seed, opts.anchor);
        for plan in seed::plans(opts.scale) {
            world.ingest(generator.repo(&plan));
        }
        let start = now_secs();
        Shared {
            world: RwLock::new(world),
            counters: Counters::default(),
            faults: Faults::default(),
            budgets: Mutex::new(Budgets {
                auth: Budget::new(opts.rate_limit, start),
                anon: Budget::new(ANONYMOUS_LIMIT, start),
            }),
            tokens: opts.tokens.iter().cloned().collect(),
            apps: apps::Apps::default(),
            base: base.to_string(),
            request_seq: AtomicU64::new(1),
            handle_clock: AtomicI64::new(0),
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, World> {
        // A panic while holding the lock (a test assertion inside a
        // callback, say) must not take the whole sandbox down.
        self.world.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, World> {
        self.world.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn budgets(&self) -> std::sync::MutexGuard<'_, Budgets> {
        self.budgets.lock().unwrap_or_else(|e| e.into_inner())
    }
}
