//! `[reports]`: overdue deadlines per priority and the repeat look-back.

use serde::Deserialize;

/// How many days after creation an item without a target date may stay
/// open, per priority, before it counts as overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// Critical (P0), in days.
    pub critical: i64,
    /// High (P1), in days.
    pub high: i64,
    /// Medium (P2), in days.
    pub medium: i64,
    /// Low (P3), in days; also used for items without a priority.
    pub low: i64,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            critical: 15,
            high: 30,
            medium: 56,
            low: 90,
        }
    }
}

/// The default of `[reports] repeat_lookback_days`.
pub const DEFAULT_REPEAT_LOOKBACK_DAYS: i64 = 365;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawReports {
    /// Days an open item may wait, per priority, before it is overdue.
    pub(super) deadlines: RawDeadlines,
    /// How far back an incident without a linked risk looks for earlier
    /// items of its service and theme or type (repeat classes).
    pub(super) repeat_lookback_days: i64,
}

impl Default for RawReports {
    fn default() -> Self {
        RawReports {
            deadlines: RawDeadlines::default(),
            repeat_lookback_days: DEFAULT_REPEAT_LOOKBACK_DAYS,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawDeadlines {
    /// Critical (P0) items, days.
    pub(super) critical: i64,
    /// High (P1) items, days.
    pub(super) high: i64,
    /// Medium (P2) items, days.
    pub(super) medium: i64,
    /// Low (P3) items, days.
    pub(super) low: i64,
}

impl Default for RawDeadlines {
    fn default() -> Self {
        let d = Deadlines::default();
        RawDeadlines {
            critical: d.critical,
            high: d.high,
            medium: d.medium,
            low: d.low,
        }
    }
}
