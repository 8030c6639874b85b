//! The shared retry policy for tracker requests, used by the sync loop and
//! the write-back loop alike: how long to wait after a failure, and when to
//! give up. Waiting itself (and shutdown during a wait) belongs to the
//! caller, through its [`Sleeper`](crate::shutdown::Sleeper).

use std::time::Duration;

use chrono::Utc;
use recur_core::{ConnectorError, RateLimit};

use crate::settings::SyncSettings;
use crate::sync::SyncError;

/// Failures seen so far for one request.
#[derive(Debug, Default, Clone, Copy)]
pub struct Attempts {
    /// Transient failures (5xx, resets, cut-off or malformed bodies).
    pub transient: u32,
    /// Rate-limit answers.
    pub rate_waits: u32,
}

impl Attempts {
    /// After `err`: how long to wait before trying again, or the error to
    /// give up with. Rate limits wait for the tracker's `Retry-After`, else
    /// until `reset` when the budget is spent, else (GitHub's secondary
    /// limits) at least a minute, doubling; transient failures back off
    /// exponentially from `backoff_base` up to `backoff_cap`; anything else
    /// fails at once.
    pub fn after(
        &mut self,
        err: ConnectorError,
        settings: &SyncSettings,
        source: &str,
    ) -> Result<Duration, SyncError> {
        match err {
            ConnectorError::RateLimited {
                retry_after,
                reset,
                status,
                ref message,
                ..
            } => {
                self.rate_waits += 1;
                let wait = match (retry_after, reset) {
                    (Some(w), _) => w,
                    (None, Some(reset)) => {
                        (reset - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(1)
                    }
                    // GitHub: a secondary limit without Retry-After means
                    // at least a minute, then exponentially longer.
                    (None, None) => {
                        Duration::from_secs(60).saturating_mul(1u32 << (self.rate_waits - 1).min(5))
                    }
                };
                if wait > settings.max_wait || self.rate_waits > settings.max_retries.max(3) * 2 {
                    return Err(SyncError::WaitTooLong {
                        source_name: source.to_string(),
                        wait,
                    });
                }
                tracing::warn!(source, status, wait_s = wait.as_secs_f64(), message = %message, "Rate limited; waiting.");
                Ok(wait)
            }
            e @ ConnectorError::Transient { .. } => {
                self.transient += 1;
                if self.transient >= settings.max_retries {
                    return Err(SyncError::RetriesExhausted {
                        source_name: source.to_string(),
                        attempts: self.transient,
                        last: e,
                    });
                }
                let wait = settings
                    .backoff_base
                    .saturating_mul(1u32 << (self.transient - 1).min(16))
                    .min(settings.backoff_cap);
                tracing::warn!(source, attempt = self.transient, wait_ms = wait.as_millis() as u64, error = %e, "Transient failure; retrying.");
                Ok(wait)
            }
            e => Err(e.into()),
        }
    }
}

/// The wait before the next request when the last answer said the budget
/// is spent: until its reset (plus a second), or `None`.
pub fn spent_budget_wait(last: Option<RateLimit>) -> Option<Duration> {
    match last {
        Some(RateLimit {
            remaining: Some(0),
            reset: Some(reset),
            ..
        }) => Some((reset - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(1)),
        _ => None,
    }
}
