//! How labels (and Jira issue types) are read: the [`LabelRules`] a source
//! is configured with, the kind an item is classified as, and the
//! `{prefix}key:value` labels that carry field values.
//!
//! The closing-reason lists live in [`LabelRules`] too, because they are
//! configured beside the labels; [`super::status`] is what reads them.

use serde::{Deserialize, Serialize};

use crate::Kind;

/// How labels are read: which labels make an item tracked and which prefixes
/// carry values; and how a closed item's reason reads (done, declined or
/// duplicate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRules {
    /// Labels that make an item an action item (ANY of them).
    pub action_item_labels: Vec<String>,
    /// Labels that make an item an incident.
    pub incident_labels: Vec<String>,
    /// Labels that make an item a risk.
    pub risk_labels: Vec<String>,
    /// Issue types (Jira) that make an item an action item.
    pub action_item_types: Vec<String>,
    /// Issue types (Jira) that make an item an incident.
    pub incident_types: Vec<String>,
    /// Issue types (Jira) that make an item a risk.
    pub risk_types: Vec<String>,
    /// Prefix before `priority:`, `type:`, `service:`, `team:`, `status:`
    /// labels (empty by default, so `priority:high`).
    pub value_label_prefix: String,
    /// Labels recur writes back itself (`[writeback] label_prefix`): they
    /// are the tracker's state, but not content, so an edit of only these
    /// does not make a new history version (empty: none).
    #[serde(default)]
    pub managed_label_prefix: String,
    /// Closing reasons that mean the work was declined, not done: Jira
    /// resolution names (GitHub's `not_planned` always is). Compared
    /// lower-cased with `-`/`_` read as spaces and `’` as `'`.
    #[serde(default = "default_declined_reasons")]
    pub declined_reasons: Vec<String>,
    /// Closing reasons that mean the item duplicates another (GitHub's
    /// `duplicate` always does).
    #[serde(default = "default_duplicate_reasons")]
    pub duplicate_reasons: Vec<String>,
}

impl Default for LabelRules {
    fn default() -> Self {
        LabelRules {
            action_item_labels: Vec::new(),
            incident_labels: Vec::new(),
            risk_labels: Vec::new(),
            action_item_types: Vec::new(),
            incident_types: Vec::new(),
            risk_types: Vec::new(),
            value_label_prefix: String::new(),
            managed_label_prefix: String::new(),
            declined_reasons: default_declined_reasons(),
            duplicate_reasons: default_duplicate_reasons(),
        }
    }
}

/// Jira's stock "not done" resolutions and their common variants.
pub fn default_declined_reasons() -> Vec<String> {
    [
        "won't do",
        "won't fix",
        "wont fix",
        "wontfix",
        "declined",
        "rejected",
        "cannot reproduce",
        "can't reproduce",
        "not planned",
        "obsolete",
    ]
    .map(String::from)
    .to_vec()
}

/// Jira's stock duplicate resolution.
pub fn default_duplicate_reasons() -> Vec<String> {
    vec!["duplicate".to_string()]
}

/// Classifies only: `Some(kind)` if the item carries a tracked label or
/// issue type (exact names, compared case-insensitively; empty rule entries
/// never match).
///
/// An item matching several kinds is a Risk before an Incident before an
/// ActionItem: a risk is the longest-lived record, and an action item
/// labelled `incident` by mistake should not hide an incident.
pub fn classify(labels: &[String], issue_type: Option<&str>, rules: &LabelRules) -> Option<Kind> {
    let has_label = |wanted: &[String]| {
        labels
            .iter()
            .any(|label| wanted.iter().any(|w| same_name(label, w)))
    };
    let has_type =
        |wanted: &[String]| issue_type.is_some_and(|t| wanted.iter().any(|w| same_name(t, w)));
    [
        (Kind::Risk, &rules.risk_labels, &rules.risk_types),
        (
            Kind::Incident,
            &rules.incident_labels,
            &rules.incident_types,
        ),
        (
            Kind::ActionItem,
            &rules.action_item_labels,
            &rules.action_item_types,
        ),
    ]
    .into_iter()
    .find(|(_, labels, types)| has_label(labels) || has_type(types))
    .map(|(kind, _, _)| kind)
}

fn same_name(have: &str, wanted: &str) -> bool {
    !wanted.is_empty()
        && (have.eq_ignore_ascii_case(wanted) || have.to_lowercase() == wanted.to_lowercase())
}

/// Values carried by `{prefix}key:value` labels, the first per key.
#[derive(Default)]
pub(super) struct LabelValues<'a> {
    pub(super) priority: Option<&'a str>,
    pub(super) item_type: Option<&'a str>,
    pub(super) service: Option<&'a str>,
    pub(super) team: Option<&'a str>,
    pub(super) status: Option<&'a str>,
}

pub(super) fn label_values<'a>(labels: &'a [String], prefix: &str) -> LabelValues<'a> {
    let mut out = LabelValues::default();
    for label in labels {
        let Some(rest) = strip_prefix_ignore_case(label.trim(), prefix) else {
            continue;
        };
        let Some((key, value)) = rest.split_once(':') else {
            continue;
        };
        // GitLab-style scoped labels (`priority::high`) read the same.
        let value = value.trim_start_matches(':').trim();
        if value.is_empty() {
            continue;
        }
        let slot = match key.trim().to_lowercase().as_str() {
            "priority" => &mut out.priority,
            "type" => &mut out.item_type,
            "service" => &mut out.service,
            "team" => &mut out.team,
            "status" => &mut out.status,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    out
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix.is_empty() {
        return Some(s);
    }
    // `get` is None when the cut would split a character.
    let head = s.get(..prefix.len())?;
    (head.to_lowercase() == prefix.to_lowercase()).then(|| s.get(prefix.len()..).unwrap_or(""))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn rules() -> LabelRules {
        LabelRules {
            action_item_labels: vec!["postmortem-action".into()],
            incident_labels: vec!["incident".into()],
            risk_labels: vec!["risk".into()],
            action_item_types: vec!["Postmortem Action".into()],
            incident_types: vec!["Incident".into()],
            risk_types: vec!["Risk".into()],
            ..LabelRules::default()
        }
    }

    #[test]
    fn classification() {
        let r = rules();
        let labels = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            classify(&labels(&["Postmortem-Action"]), None, &r),
            Some(Kind::ActionItem)
        );
        assert_eq!(
            classify(&labels(&["incident", "postmortem-action"]), None, &r),
            Some(Kind::Incident)
        );
        assert_eq!(
            classify(
                &labels(&["postmortem-action", "incident", "RISK"]),
                None,
                &r
            ),
            Some(Kind::Risk)
        );
        assert_eq!(classify(&labels(&[]), Some("risk"), &r), Some(Kind::Risk));
        assert_eq!(
            classify(&labels(&["postmortem-action"]), Some("Incident"), &r),
            Some(Kind::Incident)
        );
        // Exact names only: no substring or prefix matching.
        assert_eq!(classify(&labels(&["risky", "incidents"]), None, &r), None);
        assert_eq!(classify(&labels(&["bug"]), Some("Task"), &r), None);
        // An empty rule entry never matches an empty label.
        let mut empty = LabelRules::default();
        empty.risk_labels.push(String::new());
        assert_eq!(classify(&labels(&[""]), Some(""), &empty), None);
    }
}
