//! Fault injection shared by every fake tracker: the faults a test can ask
//! for, and which request gets which (scripted rules first, then a seeded
//! random rate). How a fault is answered lives with the request plumbing
//! (`plumbing`: resets, cut-off and oversize bodies, trickles) and with
//! each tracker (its error formats and headers).
//!
//! A faulted request is not executed, so it never changes state; the
//! exceptions are the faults that only shape a normal answer
//! ([`Fault::executes`]).

use std::collections::VecDeque;
use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A failure the sandbox can inject into a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 403 or 429 whose message says "secondary rate limit", with a
    /// `retry-after` header when `retry_after` is `Some`; the primary
    /// budget is untouched (`x-ratelimit-remaining` stays as it was).
    SecondaryLimit {
        /// 403 or 429.
        status: u16,
        /// Seconds for the `retry-after` header.
        retry_after: Option<u64>,
    },
    /// 403 "API rate limit exceeded" with `x-ratelimit-remaining: 0` and a
    /// reset `reset_in_secs` from now (the real budget is not changed).
    PrimaryExhausted {
        /// Seconds until the advertised reset.
        reset_in_secs: u64,
    },
    /// A 5xx with a JSON body `{"message":"Server Error"}`.
    ServerError {
        /// 500, 502, 503, …
        status: u16,
    },
    /// The TCP connection is reset with no HTTP response at all.
    ConnectionReset,
    /// Status and headers with the full `Content-Length`, then only part of
    /// the body, then the connection closes.
    TruncatedBody,
    /// 200 with a JSON document cut off mid-way (and a `Content-Length`
    /// that matches what is sent).
    MalformedJson,
    /// An HTML error page (`text/html`), as a proxy in front of the API
    /// would send.
    HtmlError {
        /// 502, 503, …
        status: u16,
    },
    /// Waits, then answers normally (the request is executed).
    Stall {
        /// How long to wait.
        millis: u64,
    },
    /// 401 "Bad credentials", whatever the token.
    Unauthorized,
    /// An error answer with the given status and message, in the tracker's
    /// error format (GitHub `{"message"}`, Jira `{"errorMessages"}`): for
    /// hostile text such as escape sequences or `\u{212a}`.
    ClientError {
        /// 400, 422, …
        status: u16,
        /// The message, sent as is.
        message: String,
    },
    /// Answers normally (the request is executed), but the listing's
    /// next-page pointer leads back to where it was: GitHub's `Link
    /// rel=next` is the page itself, Jira Cloud's `nextPageToken` the one
    /// it was sent, Data Center's `startAt` stays 0.
    SelfLink,
    /// Answers normally (executed), but sends the body one byte every
    /// `millis` milliseconds: no single read times out, the whole answer
    /// takes for ever.
    Trickle {
        /// Pause between bytes.
        millis: u64,
    },
    /// 200 with a body of `bytes` bytes (a JSON array padded with spaces),
    /// streamed without a `Content-Length`. Not executed.
    Oversize {
        /// Body size.
        bytes: usize,
    },
}

impl Fault {
    /// The name used in [`crate::RequestRecord::fault`]: the variant name.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::SecondaryLimit { .. } => "SecondaryLimit",
            Fault::PrimaryExhausted { .. } => "PrimaryExhausted",
            Fault::ServerError { .. } => "ServerError",
            Fault::ConnectionReset => "ConnectionReset",
            Fault::TruncatedBody => "TruncatedBody",
            Fault::MalformedJson => "MalformedJson",
            Fault::HtmlError { .. } => "HtmlError",
            Fault::Stall { .. } => "Stall",
            Fault::Unauthorized => "Unauthorized",
            Fault::ClientError { .. } => "ClientError",
            Fault::SelfLink => "SelfLink",
            Fault::Trickle { .. } => "Trickle",
            Fault::Oversize { .. } => "Oversize",
        }
    }

    /// Whether the request is still executed (the fault only shapes the
    /// answer).
    pub fn executes(&self) -> bool {
        matches!(
            self,
            Fault::Stall { .. } | Fault::SelfLink | Fault::Trickle { .. }
        )
    }
}

/// A scripted fault: the next `times` requests whose path and query contain
/// `route` (any request when `None`) get `fault`. Rules are consumed in the
/// order they were pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// Substring of the request's path and query; `None` matches all.
    pub route: Option<String>,
    /// What to inject.
    pub fault: Fault,
    /// How many matching requests get it.
    pub times: u32,
}

struct RandomFaults {
    rate: f64,
    kinds: Vec<Fault>,
    rng: StdRng,
}

#[derive(Default)]
struct Inner {
    rules: VecDeque<FaultRule>,
    random: Option<RandomFaults>,
}

/// The fault plan of one fake tracker.
#[derive(Default)]
pub(crate) struct Faults {
    // std Mutex: held for a lookup, never across an await.
    inner: Mutex<Inner>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn push(&self, rule: FaultRule) {
        if rule.times > 0 {
            self.lock().rules.push_back(rule);
        }
    }

    pub(crate) fn set_random(&self, rate: f64, kinds: Vec<Fault>, seed: u64) {
        let mut g = self.lock();
        g.random = (rate > 0.0 && !kinds.is_empty()).then(|| RandomFaults {
            rate: rate.min(1.0),
            kinds,
            rng: StdRng::seed_from_u64(seed),
        });
    }

    pub(crate) fn clear(&self) {
        *self.lock() = Inner::default();
    }

    /// The fault for a request to `path_and_query`, consuming a scripted
    /// rule or drawing from the random plan (one draw per request, so a
    /// serial client sees the same faults on every run).
    pub(crate) fn pick(&self, path_and_query: &str) -> Option<Fault> {
        let mut g = self.lock();
        let hit = g.rules.iter().position(|r| {
            r.route
                .as_deref()
                .is_none_or(|needle| path_and_query.contains(needle))
        });
        if let Some(i) = hit {
            let rule = &mut g.rules[i];
            let fault = rule.fault.clone();
            rule.times -= 1;
            if rule.times == 0 {
                g.rules.remove(i);
            }
            return Some(fault);
        }
        let random = g.random.as_mut()?;
        if random.rng.random::<f64>() < random.rate {
            let i = random.rng.random_range(0..random.kinds.len());
            return Some(random.kinds[i].clone());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_rules_are_consumed_in_order_and_filtered_by_path() {
        let f = Faults::default();
        f.push(FaultRule {
            route: Some("/comments".into()),
            fault: Fault::Unauthorized,
            times: 1,
        });
        f.push(FaultRule {
            route: None,
            fault: Fault::ServerError { status: 502 },
            times: 2,
        });
        assert_eq!(
            f.pick("/repos/a/b/issues"),
            Some(Fault::ServerError { status: 502 })
        );
        assert_eq!(
            f.pick("/repos/a/b/issues/1/comments"),
            Some(Fault::Unauthorized)
        );
        assert_eq!(
            f.pick("/repos/a/b/issues/1/comments"),
            Some(Fault::ServerError { status: 502 })
        );
        assert_eq!(f.pick("/x"), None);
    }

    #[test]
    fn random_faults_repeat_for_the_same_seed() {
        let draw = || {
            let f = Faults::default();
            f.set_random(0.3, vec![Fault::ConnectionReset, Fault::Unauthorized], 7);
            (0..200).map(|_| f.pick("/")).collect::<Vec<_>>()
        };
        let a = draw();
        assert_eq!(a, draw());
        let hits = a.iter().filter(|x| x.is_some()).count();
        assert!(
            (30..90).contains(&hits),
            "{hits} faults out of 200 at rate 0.3"
        );
        let f = Faults::default();
        f.set_random(0.3, vec![Fault::Unauthorized], 7);
        f.clear();
        assert!((0..50).all(|_| f.pick("/").is_none()));
    }
}
