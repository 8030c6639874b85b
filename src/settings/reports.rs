//! `[reports]`: overdue deadlines per priority, the repeat look-back, and
//! the review questions' windows (follow-up checkpoint, review interval,
//! how many risks are the top).

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

/// The default of `[reports] followup_days`: an incident this many days old
/// without a follow-up item or a linked risk is a gap.
pub const DEFAULT_FOLLOWUP_DAYS: i64 = 7;

/// The default of `[reports] review_interval_days`: the days between two
/// reviews that unmoved_top compares.
pub const DEFAULT_REVIEW_INTERVAL_DAYS: i64 = 28;

/// The default of `[reports] top_risks`: how many risks are "the top".
pub const DEFAULT_TOP_RISKS: usize = 10;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawReports {
    /// Days an open item may wait, per priority, before it is overdue.
    pub(super) deadlines: RawDeadlines,
    /// How far back an incident without a linked risk looks for earlier
    /// items of its service and theme or type (repeat classes).
    pub(super) repeat_lookback_days: i64,
    /// Days after an incident starts before a missing follow-up is a gap.
    pub(super) followup_days: i64,
    /// Days between two reviews (unmoved_top).
    pub(super) review_interval_days: i64,
    /// How many risks are the top (unmoved_top, movement rows).
    pub(super) top_risks: i64,
}

impl Default for RawReports {
    fn default() -> Self {
        RawReports {
            deadlines: RawDeadlines::default(),
            repeat_lookback_days: DEFAULT_REPEAT_LOOKBACK_DAYS,
            followup_days: DEFAULT_FOLLOWUP_DAYS,
            review_interval_days: DEFAULT_REVIEW_INTERVAL_DAYS,
            top_risks: DEFAULT_TOP_RISKS as i64,
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
