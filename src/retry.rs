//! The one retry loop for tracker requests, used by the sync loop and by
//! write-back alike: how long to wait after a failure and when to give up
//! ([`Attempts`]), and the loop itself ([`Retry::run`]) with hooks for what
//! differs between callers ([`Attempt`]): the sync waits out a spent rate
//! budget before asking, write-back paces its writes and, for the one write
//! that is not idempotent (creating a comment), looks for its effect before
//! every retry.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::Utc;
use recur_core::{ConnectorError, RateLimit};

use crate::settings::SyncSettings;
use crate::shutdown::{self, Shutdown, Sleeper};

/// A boxed future borrowing its attempt.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a request was given up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RetryError {
    /// The tracker refused or failed in a way retrying cannot mend.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    /// Transient failures ran out of attempts.
    #[error("{source_name}: gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// Source name.
        source_name: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: ConnectorError,
    },
    /// The tracker asked for a longer wait than allowed.
    #[error("{source_name}: the tracker asked to wait {wait:?}, longer than [sync] max_wait_seconds; try again later")]
    WaitTooLong {
        /// Source name.
        source_name: String,
        /// The wait asked for.
        wait: Duration,
    },
    /// Shutdown was requested.
    #[error("interrupted by shutdown")]
    Interrupted,
}

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
    ) -> Result<Duration, RetryError> {
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
                    return Err(RetryError::WaitTooLong {
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
                    return Err(RetryError::RetriesExhausted {
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

/// What [`Attempt::before`] decides.
pub enum Before<T> {
    /// Wait this long (pacing, a spent budget; zero for none), then send.
    Send(Duration),
    /// Do not send: the request's effect is already there (found by looking
    /// before a retry).
    Done(T),
}

/// One request and what its caller does around each try.
pub trait Attempt: Send {
    /// The answer.
    type Output: Send;
    /// The caller's error; the loop's own failures convert into it.
    type Error: From<RetryError> + Send;
    /// Before every try (`tries` made so far).
    fn before(&mut self, _tries: u32) -> BoxFuture<'_, Result<Before<Self::Output>, Self::Error>> {
        Box::pin(async { Ok(Before::Send(Duration::ZERO)) })
    }
    /// The request itself: exactly one HTTP request.
    fn call(&mut self) -> BoxFuture<'_, Result<Self::Output, ConnectorError>>;
    /// After every try that was sent, whatever its answer.
    fn after(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
    /// Told of every wait the loop makes (pacers keep a virtual clock).
    fn waited(&mut self, _d: Duration) {}
}

/// The books of a retried request, kept by the caller across requests.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Requests sent.
    pub tries: u32,
    /// Tries that failed and were retried.
    pub retries: u32,
    /// Time waited (pacing, budgets, backoff).
    pub waited: Duration,
}

/// Where retried requests run: the policy, how waits are made, when to
/// stop, and the source they speak for.
pub struct Retry<'a> {
    /// `[sync]` retries, backoff and longest wait.
    pub policy: &'a SyncSettings,
    /// Waits (tests record instead of sleeping).
    pub sleeper: &'a dyn Sleeper,
    /// Ends the loop at its next wait or request.
    pub shutdown: &'a Shutdown,
    /// For errors and logs.
    pub source: &'a str,
}

impl Retry<'_> {
    /// Runs `attempt` until it answers, fails for good, or shutdown comes;
    /// `tally` counts tries, retries and waits (also on failure).
    pub async fn run<A: Attempt>(
        &self,
        attempt: &mut A,
        tally: &mut Tally,
    ) -> Result<A::Output, A::Error> {
        let mut attempts = Attempts::default();
        let mut tries = 0u32;
        loop {
            if shutdown::is_requested(self.shutdown) {
                return Err(RetryError::Interrupted.into());
            }
            match attempt.before(tries).await? {
                Before::Done(v) => return Ok(v),
                Before::Send(wait) => self.wait(attempt, wait, tally).await?,
            }
            tries += 1;
            tally.tries += 1;
            let mut sd = self.shutdown.clone();
            let result = tokio::select! {
                r = attempt.call() => r,
                _ = shutdown::requested(&mut sd) => return Err(RetryError::Interrupted.into()),
            };
            attempt.after().await;
            match result {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let wait = attempts.after(e, self.policy, self.source)?;
                    tally.retries += 1;
                    self.wait(attempt, wait, tally).await?;
                }
            }
        }
    }

    async fn wait<A: Attempt>(
        &self,
        attempt: &mut A,
        d: Duration,
        tally: &mut Tally,
    ) -> Result<(), A::Error> {
        if d.is_zero() {
            return Ok(());
        }
        attempt.waited(d);
        tally.waited += d;
        if shutdown::sleep(self.sleeper, d, self.shutdown).await {
            Ok(())
        } else {
            Err(RetryError::Interrupted.into())
        }
    }
}
