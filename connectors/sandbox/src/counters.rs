//! Request accounting shared by every fake tracker: how many requests each
//! route template received, and a log of each request's outcome, so tests
//! can assert the exact calls a client made (like wiremock's `.expect(n)`).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// The log keeps at most this many records (oldest dropped first), so a
/// long-running `recur sandbox` does not grow without bound.
const LOG_CAPACITY: usize = 200_000;

/// One request as the sandbox saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path and query exactly as requested.
    pub path_and_query: String,
    /// Status sent; 0 when no response was sent (a connection reset).
    pub status: u16,
    /// The injected fault's name ([`crate::Fault::name`]), if any.
    pub fault: Option<String>,
    /// Answered `304 Not Modified`.
    pub not_modified: bool,
    /// The body was sent gzip-compressed (the request accepted it).
    pub gzipped: bool,
}

#[derive(Default)]
struct Inner {
    by_route: HashMap<String, u64>,
    total: u64,
    gzipped: u64,
    log: VecDeque<RequestRecord>,
}

/// Counts and log. A `std::sync::Mutex`, not a tokio one: it is held for a
/// few instructions and never across an `.await`.
#[derive(Default)]
pub(crate) struct Counters {
    inner: Mutex<Inner>,
}

impl Counters {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panicking test thread must not poison the counters for the rest.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records one finished request under its route template.
    pub(crate) fn record(&self, route: &str, record: RequestRecord) {
        let mut g = self.lock();
        *g.by_route.entry(route.to_string()).or_insert(0) += 1;
        g.total += 1;
        g.gzipped += u64::from(record.gzipped);
        if g.log.len() >= LOG_CAPACITY {
            g.log.pop_front();
        }
        g.log.push_back(record);
    }

    pub(crate) fn requests(&self, route: &str) -> u64 {
        self.lock().by_route.get(route).copied().unwrap_or(0)
    }

    pub(crate) fn total(&self) -> u64 {
        self.lock().total
    }

    /// Answers sent gzip-compressed.
    pub(crate) fn gzipped(&self) -> u64 {
        self.lock().gzipped
    }

    pub(crate) fn log(&self) -> Vec<RequestRecord> {
        self.lock().log.iter().cloned().collect()
    }

    pub(crate) fn by_route(&self) -> Vec<(String, u64)> {
        let mut v: Vec<_> = self
            .lock()
            .by_route
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        v.sort();
        v
    }

    pub(crate) fn reset(&self) {
        *self.lock() = Inner::default();
    }
}
