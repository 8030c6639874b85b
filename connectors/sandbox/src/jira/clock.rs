//! Time on the fake Jira: the wall clock in epoch milliseconds, and the
//! one timestamp format every answer and changelog uses (milliseconds, the
//! API user's fixed zone, an offset without a colon).

use chrono::{TimeZone, Utc};

pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// `2022-12-08T02:22:18.889-0800`: milliseconds, the API user's zone, an
/// offset without a colon.
pub(crate) fn time(ms: i64) -> String {
    let zone = chrono::FixedOffset::east_opt(super::USER_TZ_OFFSET_MINUTES * 60)
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("UTC"));
    match zone.timestamp_millis_opt(ms).single() {
        Some(d) => d.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string(),
        None => String::new(),
    }
}
