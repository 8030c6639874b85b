//! One clock per run: every "now" and "today" a command or a daemon cycle
//! judges by — report defaults for `--as-of`, deadlines and overdue, stale
//! reviews, scoring, write-back flags and summaries, metrics — comes from
//! one value fixed when the run starts, and is recorded with the run
//! (`sync_runs.clock`, `score_runs.scored_at`, `writeback_runs.clock`,
//! `cycles.clock`).
//!
//! Why: read from the wall clock wherever it was needed, a run that
//! crossed midnight UTC scored with one "today" and flagged with the next,
//! so the labels it wrote disagreed with its own scores and reports, and
//! tests that computed expectations with one "today" failed when the
//! product acted with another.
//!
//! What stays on the wall clock, on purpose: event times of things that
//! happen (when a write was sent, a page fetched, a lock taken), the
//! incremental cursor (compared with the tracker's own timestamps), pacing
//! and timeouts. Those are not judgements about a day.

use chrono::{DateTime, NaiveDate, Utc};

/// Environment variable that fixes every run's clock (RFC 3339), to
/// reproduce a run exactly; tests pin it. `--now` does the same for one
/// `recur report` or `recur writeback --dry-run`.
pub const NOW_ENV: &str = "RECUR_NOW";

/// A run's fixed "now".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock(DateTime<Utc>);

/// `RECUR_NOW` or `--now` that is not a point in time.
#[derive(Debug, thiserror::Error)]
#[error(
    "{what} = {value:?} is not a point in time (write it as RFC 3339, e.g. 2026-12-03T23:59:59Z)"
)]
pub struct BadNow {
    /// Where it came from (`RECUR_NOW`, `--now`).
    pub what: &'static str,
    /// The text given.
    pub value: String,
}

impl Clock {
    /// A clock fixed at `now`.
    pub fn at(now: DateTime<Utc>) -> Clock {
        Clock(now)
    }

    /// The clock of a run starting now: `RECUR_NOW` when set, else the
    /// system clock, read once.
    pub fn start() -> Result<Clock, BadNow> {
        match std::env::var(NOW_ENV) {
            Ok(v) if !v.trim().is_empty() => Clock::parse(NOW_ENV, &v),
            _ => Ok(Clock(Utc::now())),
        }
    }

    /// [`Clock::start`], or the system clock when `RECUR_NOW` is malformed
    /// (for benchmarks and the demo, which have nothing to reproduce).
    pub fn start_or_now() -> Clock {
        Clock::start().unwrap_or_else(|_| Clock(Utc::now()))
    }

    /// Reads `value` (RFC 3339, or a bare date meaning its last second).
    pub fn parse(what: &'static str, value: &str) -> Result<Clock, BadNow> {
        let v = value.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(v) {
            return Ok(Clock(t.with_timezone(&Utc)));
        }
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .map(|t| Clock(t.and_utc()))
            .ok_or_else(|| BadNow {
                what,
                value: value.to_string(),
            })
    }

    /// The run's now.
    pub fn now(self) -> DateTime<Utc> {
        self.0
    }

    /// The run's day (UTC).
    pub fn today(self) -> NaiveDate {
        self.0.date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_and_bare_dates_and_names_bad_input() {
        let c = Clock::parse("--now", "2026-12-03T23:59:59Z").unwrap();
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 12, 3).unwrap());
        let c = Clock::parse("--now", "2026-12-04T01:00:00+02:00").unwrap();
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 12, 3).unwrap());
        let c = Clock::parse("--now", "2026-12-03").unwrap();
        assert_eq!(c.now().to_rfc3339(), "2026-12-03T23:59:59+00:00");
        let e = Clock::parse(NOW_ENV, "yesterday").unwrap_err().to_string();
        assert!(e.contains("RECUR_NOW") && e.contains("yesterday"), "{e}");
    }
}
