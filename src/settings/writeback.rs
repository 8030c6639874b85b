//! `[writeback]`: the label prefix, which flags and whether the summary
//! comment are written, and the pacing, validated into [`WritebackSettings`].

use serde::{Deserialize, Serialize};

/// Every flag recur knows, as `[writeback] flags` names them.
pub const FLAGS: &[&str] = &[
    "risk-priority",
    "overdue",
    "needs-owner",
    "needs-target-date",
    "stale-review",
    "vague",
];

/// The longest label suffix recur writes (`needs-target-date`), so the
/// prefix can be checked against GitHub's 50-character limit up front.
const LONGEST_SUFFIX: usize = 17;

/// `[writeback]` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WritebackSettings {
    /// Prefix of every label recur manages; labels outside it are never
    /// touched.
    pub label_prefix: String,
    /// Which flags are written.
    pub flags: Vec<String>,
    /// Whether the summary comment is written.
    pub comments: bool,
    /// Least time between two write requests, in milliseconds.
    pub min_interval_ms: u64,
    /// Most write requests per run; the rest wait for the next run.
    pub max_operations: u64,
    /// Content-creating requests (new comments, label additions) per minute.
    pub creations_per_minute: u32,
    /// Content-creating requests per hour.
    pub creations_per_hour: u32,
    /// A risk not reviewed for longer than this many days is stale.
    pub stale_review_days: i64,
    /// Whether a review recorded with `recur review record` is written into
    /// the risk's "Last reviewed" (the issue-form section on GitHub, the
    /// field on Jira).
    pub last_reviewed: bool,
}

impl Default for WritebackSettings {
    fn default() -> Self {
        WritebackSettings {
            label_prefix: "recur:".into(),
            flags: FLAGS.iter().map(|s| s.to_string()).collect(),
            comments: true,
            // GitHub: at least a second between writes; 80 content-creating
            // requests a minute and 500 an hour (secondary limits).
            min_interval_ms: 1000,
            max_operations: 500,
            creations_per_minute: 80,
            creations_per_hour: 500,
            stale_review_days: 90,
            last_reviewed: true,
        }
    }
}

impl WritebackSettings {
    /// Checks the values; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let p = &self.label_prefix;
        if p.trim().is_empty() {
            return Err("writeback.label_prefix is empty: recur would manage every label".into());
        }
        if p.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "writeback.label_prefix = {p:?}: labels may not contain spaces (Jira)"
            ));
        }
        if p.chars().count() + LONGEST_SUFFIX > recur_github::MAX_LABEL_CHARS {
            return Err(format!(
                "writeback.label_prefix = {p:?} is too long: with \"needs-target-date\" it must fit GitHub's {}-character label limit",
                recur_github::MAX_LABEL_CHARS
            ));
        }
        for f in &self.flags {
            if !FLAGS.contains(&f.as_str()) {
                return Err(format!(
                    "writeback.flags: unknown flag {f:?} (known: {})",
                    FLAGS.join(", ")
                ));
            }
        }
        if self.max_operations == 0 {
            return Err("writeback.max_operations must be at least 1".into());
        }
        if self.creations_per_minute == 0 || self.creations_per_hour == 0 {
            return Err(
                "writeback.creations_per_minute and creations_per_hour must be at least 1".into(),
            );
        }
        if self.stale_review_days <= 0 {
            return Err("writeback.stale_review_days must be a positive number of days".into());
        }
        Ok(())
    }

    /// Whether `flag` is switched on.
    pub fn flag_on(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_validation_names_the_key() {
        let ok = WritebackSettings::default();
        assert!(ok.validate().is_ok());
        let bad = WritebackSettings {
            label_prefix: "".into(),
            ..ok.clone()
        };
        assert!(bad.validate().unwrap_err().contains("label_prefix"));
        let bad = WritebackSettings {
            label_prefix: "my team:".into(),
            ..ok.clone()
        };
        assert!(bad.validate().unwrap_err().contains("spaces"));
        let bad = WritebackSettings {
            label_prefix: "x".repeat(34),
            ..ok.clone()
        };
        assert!(bad.validate().unwrap_err().contains("50"));
        let fits = WritebackSettings {
            label_prefix: "x".repeat(33),
            ..ok.clone()
        };
        assert!(fits.validate().is_ok());
        let bad = WritebackSettings {
            flags: vec!["overdue".into(), "shiny".into()],
            ..ok
        };
        assert!(bad.validate().unwrap_err().contains("shiny"));
    }
}
