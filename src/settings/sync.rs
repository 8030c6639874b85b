//! `[sync]`: the pull loop's tuning (overlap, reconciliation, paging,
//! retries, timeouts, the size cap, history backfill), validated into
//! [`SyncSettings`].

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawSync {
    /// Seconds the incremental cursor is moved back to catch late writes.
    overlap_seconds: u64,
    /// Run a reconciliation every N successful syncs (0 = never by itself).
    reconcile_every: u32,
    /// Items per page asked for; unset, each tracker's largest (GitHub
    /// and Jira Cloud 100, Jira Data Center 1,000).
    per_page: Option<u32>,
    /// Attempts per request before a transient failure fails the sync.
    max_retries: u32,
    /// First backoff delay in milliseconds; doubles per attempt.
    backoff_base_ms: u64,
    /// Longest backoff delay in seconds.
    backoff_cap_seconds: u64,
    /// Longest rate-limit wait recur accepts, in seconds, before failing.
    max_wait_seconds: u64,
    /// Per-read timeout in seconds (connect, each read and write).
    request_timeout_seconds: u64,
    /// Total deadline of one request in seconds, answer body included.
    request_deadline_seconds: u64,
    /// The largest answer recur reads from a tracker, in MiB.
    max_response_mib: u64,
    /// Rebuild each tracked item's earlier versions from the tracker's
    /// change log (on its first sync, and for items not yet rebuilt).
    backfill: bool,
    /// Most change-log requests per run; the rest continue next run.
    backfill_max_requests: u64,
}

impl Default for RawSync {
    fn default() -> Self {
        RawSync {
            overlap_seconds: 60,
            reconcile_every: 24,
            per_page: None,
            max_retries: 8,
            backoff_base_ms: 500,
            backoff_cap_seconds: 60,
            max_wait_seconds: 3900,
            request_timeout_seconds: 30,
            request_deadline_seconds: 120,
            max_response_mib: 64,
            backfill: true,
            backfill_max_requests: 5000,
        }
    }
}

/// Sync loop tuning.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// Cursor overlap.
    pub overlap: chrono::Duration,
    /// Reconcile every N syncs (0 = never by itself).
    pub reconcile_every: u32,
    /// Items per page as configured (at most 1,000; each connector caps it
    /// at its tracker's largest); `None`: each tracker's largest.
    pub per_page: Option<u32>,
    /// Attempts per request.
    pub max_retries: u32,
    /// First backoff delay.
    pub backoff_base: std::time::Duration,
    /// Longest backoff delay.
    pub backoff_cap: std::time::Duration,
    /// Longest rate-limit wait accepted.
    pub max_wait: std::time::Duration,
    /// Per-read timeout.
    pub request_timeout: std::time::Duration,
    /// Total deadline of one request (never shorter than the read timeout).
    pub request_deadline: std::time::Duration,
    /// The largest answer read, in bytes.
    pub max_response_bytes: usize,
    /// History backfill after each sync.
    pub backfill: bool,
    /// Change-log requests per run at most.
    pub backfill_max_requests: u64,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings::from_raw(&RawSync::default())
    }
}

impl SyncSettings {
    pub(super) fn from_raw(r: &RawSync) -> Self {
        SyncSettings {
            overlap: chrono::Duration::seconds(r.overlap_seconds as i64),
            reconcile_every: r.reconcile_every,
            per_page: r.per_page.map(|n| n.clamp(1, 1000)),
            max_retries: r.max_retries.max(1),
            backoff_base: std::time::Duration::from_millis(r.backoff_base_ms),
            backoff_cap: std::time::Duration::from_secs(r.backoff_cap_seconds),
            max_wait: std::time::Duration::from_secs(r.max_wait_seconds),
            request_timeout: std::time::Duration::from_secs(r.request_timeout_seconds.max(1)),
            request_deadline: std::time::Duration::from_secs(
                r.request_deadline_seconds
                    .max(r.request_timeout_seconds)
                    .max(1),
            ),
            max_response_bytes: usize::try_from(r.max_response_mib.clamp(1, 4096) << 20)
                .unwrap_or(usize::MAX),
            backfill: r.backfill,
            backfill_max_requests: r.backfill_max_requests.max(1),
        }
    }
}
