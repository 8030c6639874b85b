//! Lifecycle status: the one status an item has (`done`, `declined`,
//! `duplicate`, or an open status), and the status a person wrote.
//!
//! They are kept apart on purpose: the tracker's open/closed state always
//! decides, and a stated status that contradicts it is a lint finding, not
//! a second truth.

use super::labels::LabelRules;
use super::record::Fields;
use super::text::{clean, words};
use crate::{Item, State};

/// Statuses a person may write that mean the item is finished, read as the
/// one word recur uses for each (`closed` when it says no more than that).
const CLOSED_SYNONYMS: &[(&str, &str)] = &[
    ("done", "done"),
    ("complete", "done"),
    ("completed", "done"),
    ("fixed", "done"),
    ("resolved", "done"),
    ("finished", "done"),
    ("declined", "declined"),
    ("rejected", "declined"),
    ("won't do", "declined"),
    ("won't fix", "declined"),
    ("wont fix", "declined"),
    ("wontfix", "declined"),
    ("not planned", "declined"),
    ("cancelled", "declined"),
    ("canceled", "declined"),
    ("obsolete", "declined"),
    ("duplicate", "duplicate"),
    ("closed", "closed"),
];

/// A stated status with its closed synonyms folded (`Resolved` → `done`).
pub(super) fn canonical_stated(s: &str) -> String {
    let key = s.replace('’', "'");
    CLOSED_SYNONYMS
        .iter()
        .find(|(w, _)| *w == key)
        .map(|(_, canon)| canon.to_string())
        .unwrap_or_else(|| s.to_string())
}

/// Whether a (canonical) stated status says the item is finished.
fn says_closed(stated: &str) -> bool {
    matches!(stated, "done" | "declined" | "duplicate" | "closed")
}

/// The status; the table is in [`normalize`](super::normalize())'s documentation.
pub(super) fn lifecycle_status(item: &Item, f: &Fields, rules: &LabelRules) -> String {
    match item.state {
        State::Closed => closed_status(item.state_reason.as_deref(), rules).to_string(),
        State::Open => {
            if let Some(stated) = f.stated_status.as_deref().filter(|s| !says_closed(s)) {
                stated.to_string()
            } else if let Some(status) = item.tracker_status.as_deref().and_then(status_text) {
                status
            } else if f.blocked_by.is_some() {
                "blocked".to_string()
            } else if f.owner.is_some() {
                "accepted".to_string()
            } else {
                "proposed".to_string()
            }
        }
    }
}

/// `done`, `declined` or `duplicate` for a closed item's reason (GitHub
/// `state_reason`, Jira resolution name); no reason is `done`.
pub fn closed_status(reason: Option<&str>, rules: &LabelRules) -> &'static str {
    let norm = |r: &str| words(&r.to_lowercase().replace('’', "'"));
    let Some(reason) = reason.map(norm).filter(|r| !r.is_empty()) else {
        return "done";
    };
    let listed = |list: &[String]| list.iter().any(|l| norm(l) == reason);
    if reason == "not planned" || listed(&rules.declined_reasons) {
        "declined"
    } else if reason == "duplicate" || listed(&rules.duplicate_reasons) {
        "duplicate"
    } else {
        "done"
    }
}

/// Lower-cased, `-` and `_` read as spaces, runs of space collapsed.
pub(super) fn status_text(s: &str) -> Option<String> {
    let t = clean(s)?;
    let status = words(&t.to_lowercase());
    (!status.is_empty()).then_some(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::labels::tests::rules;

    #[test]
    fn jira_resolutions_that_mean_declined_or_duplicate_are_configurable() {
        let mut r = rules();
        assert_eq!(closed_status(Some("Won’t Do"), &r), "declined");
        assert_eq!(closed_status(Some("Duplicate"), &r), "duplicate");
        assert_eq!(closed_status(Some("Out of scope"), &r), "done");
        r.declined_reasons = vec!["Out-of-Scope".into()];
        r.duplicate_reasons = vec!["Same as another".into()];
        assert_eq!(closed_status(Some("out of scope"), &r), "declined");
        assert_eq!(closed_status(Some("Same as another"), &r), "duplicate");
        // GitHub's own reasons hold whatever the lists say.
        assert_eq!(closed_status(Some("not_planned"), &r), "declined");
        assert_eq!(closed_status(Some("duplicate"), &r), "duplicate");
        assert_eq!(closed_status(Some("completed"), &r), "done");
        assert_eq!(closed_status(None, &r), "done");
    }
}
