//! An item's past, rebuilt from its tracker's change log: the change
//! events connectors read ([`ItemEvent`]), and [`rewind`], which walks
//! them backwards from the item as first synced to every earlier version.
//!
//! Connectors only translate their tracker's log (GitHub issue events,
//! Jira changelog entries) into [`Change`]s; what a change did to the item
//! and what the item was before it is decided here, once, for both.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{Item, State};

/// One change of one item, as its tracker logged it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemEvent {
    /// The item's key (`owner/repo#N`, `OPS-N`).
    pub key: String,
    /// The tracker's id of the event (unique within the source); ties of
    /// time are ordered by it.
    pub id: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it (login or account name), when the tracker says.
    pub actor: Option<String>,
    /// What changed.
    pub change: Change,
}

/// What one event changed. `from`/`to` are the values as the tracker
/// renders them (text), `None` for empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A label was added.
    Labeled {
        /// The label.
        label: String,
    },
    /// A label was removed.
    Unlabeled {
        /// The label.
        label: String,
    },
    /// The item was closed (with GitHub's `state_reason` or Jira's
    /// resolution when the log says).
    Closed {
        /// Why.
        reason: Option<String>,
    },
    /// The item was reopened.
    Reopened,
    /// The title changed.
    Renamed {
        /// The old title.
        from: String,
        /// The new title.
        to: String,
    },
    /// The assignee changed.
    Assignee {
        /// The old assignee.
        from: Option<String>,
        /// The new assignee.
        to: Option<String>,
    },
    /// The Jira status changed (the state follows the status category,
    /// which the log does not carry: `closed_from`/`closed_to` say whether
    /// each status counts as done, when the caller knows).
    Status {
        /// The old status name.
        from: Option<String>,
        /// The new status name.
        to: Option<String>,
    },
    /// The Jira resolution changed.
    Resolution {
        /// The old resolution.
        from: Option<String>,
        /// The new resolution.
        to: Option<String>,
    },
    /// The due date changed (`YYYY-MM-DD`).
    Due {
        /// The old date.
        from: Option<String>,
        /// The new date.
        to: Option<String>,
    },
    /// A GitHub milestone was set (the target date is its due date, read
    /// by the connector from the repository's milestones).
    Milestoned {
        /// The milestone's title.
        title: String,
        /// Its due date (`YYYY-MM-DD`), when it has one.
        due: Option<String>,
    },
    /// A GitHub milestone was removed (or replaced: GitHub logs a change of
    /// milestone as `demilestoned` then `milestoned`).
    Demilestoned {
        /// The milestone's title.
        title: String,
        /// Its due date (`YYYY-MM-DD`), when it has one.
        due: Option<String>,
    },
    /// A field shown as a named section changed (Jira custom fields and
    /// mapped built-ins, by the heading recur reads them under).
    Section {
        /// The heading (`Owner`, `Target date`, `Priority`, …).
        heading: String,
        /// The old text.
        from: Option<String>,
        /// The new text.
        to: Option<String>,
    },
    /// The Jira issue type changed.
    IssueType {
        /// The old type.
        from: Option<String>,
        /// The new type.
        to: Option<String>,
    },
    /// Anything else the log records (kept in `item_events`, not rewound).
    Other {
        /// The tracker's name for it.
        what: String,
        /// The old value.
        from: Option<String>,
        /// The new value.
        to: Option<String>,
    },
}

impl Change {
    /// A short name for `item_events.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Labeled { .. } => "labeled",
            Change::Unlabeled { .. } => "unlabeled",
            Change::Closed { .. } => "closed",
            Change::Reopened => "reopened",
            Change::Renamed { .. } => "renamed",
            Change::Assignee { .. } => "assignee",
            Change::Status { .. } => "status",
            Change::Resolution { .. } => "resolution",
            Change::Due { .. } => "due_date",
            Change::Milestoned { .. } => "milestoned",
            Change::Demilestoned { .. } => "demilestoned",
            Change::Section { .. } => "field",
            Change::IssueType { .. } => "issue_type",
            Change::Other { .. } => "other",
        }
    }

    /// (field, from, to) for `item_events`.
    pub fn columns(&self) -> (Option<String>, Option<String>, Option<String>) {
        let s = |v: &str| Some(v.to_string());
        match self {
            Change::Labeled { label } => (s("labels"), None, s(label)),
            Change::Unlabeled { label } => (s("labels"), s(label), None),
            Change::Closed { reason } => (s("state"), s("open"), reason.clone().or(s("closed"))),
            Change::Reopened => (s("state"), s("closed"), s("open")),
            Change::Renamed { from, to } => (s("title"), s(from), s(to)),
            Change::Assignee { from, to } => (s("assignee"), from.clone(), to.clone()),
            Change::Status { from, to } => (s("status"), from.clone(), to.clone()),
            Change::Resolution { from, to } => (s("resolution"), from.clone(), to.clone()),
            Change::Due { from, to } => (s("due_date"), from.clone(), to.clone()),
            Change::Milestoned { title, .. } => (s("milestone"), None, s(title)),
            Change::Demilestoned { title, .. } => (s("milestone"), s(title), None),
            Change::Section { heading, from, to } => (s(heading), from.clone(), to.clone()),
            Change::IssueType { from, to } => (s("issue_type"), from.clone(), to.clone()),
            Change::Other { what, from, to } => (s(what), from.clone(), to.clone()),
        }
    }
}

/// One earlier version of an item: the item as it stood from `valid_from`
/// until the next version (or the first synced one) began.
#[derive(Debug, Clone, PartialEq)]
pub struct PastVersion {
    /// When this version began (the creation, or the event that made it).
    pub valid_from: DateTime<Utc>,
    /// The item then.
    pub item: Item,
}

/// Recomputes what a tracker derives from its status (Jira: the state from
/// the status category, the status word from status, resolution and
/// assignee) after a rewind step, given the raw status name then.
/// GitHub has no status: a no-op.
pub type Settle<'a> = &'a dyn Fn(&mut Item, Option<&str>);

/// Every version of `current` (the item as last synced) before `until` (its
/// first synced version's start), rebuilt by undoing `events` newest
/// first. Events at or after `until` are undone too but make no version:
/// sync recorded those versions itself. Events before the item's creation
/// are ignored. Versions come oldest first; when `whole` (the log goes back
/// to the creation) the first begins at the creation, else at the oldest
/// event (what held before it is not known). Fields the log does not carry
/// (GitHub body sections) keep their first-synced value: the caller marks
/// such versions.
pub fn rewind(
    current: &Item,
    events: &[ItemEvent],
    until: DateTime<Utc>,
    whole: bool,
    status_now: Option<&str>,
    settle: Settle<'_>,
) -> Vec<PastVersion> {
    let mut evs: Vec<&ItemEvent> = events
        .iter()
        .filter(|e| e.at >= current.created_at)
        .collect();
    evs.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    // Walk newest first, grouping events of one instant: events at or after
    // `until` are undone without a version (sync recorded those versions
    // itself), so `current` may be the latest row rather than the first
    // synced one.
    let mut item = current.clone();
    let mut status: Option<String> = status_now.map(str::to_string);
    let mut out: Vec<PastVersion> = Vec::new();
    let mut boundary = until;
    let mut i = evs.len();
    while i > 0 {
        let at = evs[i - 1].at;
        let mut j = i;
        while j > 0 && evs[j - 1].at == at {
            j -= 1;
        }
        if at < boundary {
            // The version that held from `at` until `boundary` is `item`.
            out.push(PastVersion {
                valid_from: at,
                item: item.clone(),
            });
            boundary = at;
        }
        let mut derived = false;
        // Newest first; of one instant's milestone changes, the one set is
        // undone before the one removed, whatever their ids' order, so a
        // change of milestone comes back as the old one.
        let mut group: Vec<&&ItemEvent> = evs[j..i].iter().rev().collect();
        group.sort_by_key(|e| match e.change {
            Change::Milestoned { .. } => 0,
            Change::Demilestoned { .. } => 2,
            _ => 1,
        });
        for e in group {
            undo(&mut item, &e.change);
            match &e.change {
                Change::Status { from, .. } => {
                    status = from.clone();
                    derived = true;
                }
                Change::Resolution { .. } | Change::Assignee { .. } => derived = true,
                _ => {}
            }
            if matches!(e.change, Change::Reopened) {
                // Before a reopen the item was closed by the latest close
                // before it: its reason and time come back.
                if let Some(close) = evs[..j]
                    .iter()
                    .rev()
                    .find(|c| matches!(c.change, Change::Closed { .. }))
                {
                    if let Change::Closed { reason } = &close.change {
                        item.state_reason = reason.clone();
                    }
                    item.closed_at = Some(close.at);
                }
            }
        }
        if derived {
            settle(&mut item, status.as_deref());
        }
        i = j;
    }
    if whole && current.created_at < boundary {
        out.push(PastVersion {
            valid_from: current.created_at,
            item,
        });
    }
    out.reverse();
    // Versions that change nothing a reader sees merge into the one before.
    let mut merged: Vec<PastVersion> = Vec::with_capacity(out.len());
    for v in out {
        if merged
            .last()
            .is_some_and(|p| same_content(&p.item, &v.item))
        {
            continue;
        }
        merged.push(v);
    }
    merged
}

fn same_content(a: &Item, b: &Item) -> bool {
    a.title == b.title
        && a.state == b.state
        && a.state_reason == b.state_reason
        && a.tracker_status == b.tracker_status
        && a.labels == b.labels
        && a.assignee == b.assignee
        && a.due_date == b.due_date
        && a.sections == b.sections
        && a.issue_type == b.issue_type
}

fn day(d: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok()
}

/// Puts `item` back to what it was before `change` (what the tracker
/// derives from a status is settled by the caller's hook).
fn undo(item: &mut Item, change: &Change) {
    let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    match change {
        Change::Labeled { label } => {
            if let Some(p) = item.labels.iter().position(|l| eq(l, label)) {
                item.labels.remove(p);
            }
        }
        Change::Unlabeled { label } => {
            if !item.labels.iter().any(|l| eq(l, label)) {
                item.labels.push(label.clone());
            }
        }
        Change::Closed { .. } => {
            item.state = State::Open;
            item.state_reason = None;
            item.closed_at = None;
        }
        Change::Reopened => {
            item.state = State::Closed;
            // `rewind` restores the reason and time of the close it undid.
            item.state_reason = item.state_reason.take().filter(|r| r != "reopened");
        }
        Change::Renamed { from, .. } => item.title = from.clone(),
        Change::Assignee { from, .. } => item.assignee = from.clone(),
        Change::Status { .. } => {}
        Change::Resolution { from, .. } => item.state_reason = from.clone(),
        Change::Due { from, .. } => item.due_date = from.as_deref().and_then(day),
        // Before a milestone was set the item had none (or the one a
        // `demilestoned` of the same instant brings back).
        Change::Milestoned { .. } => item.due_date = None,
        Change::Demilestoned { due, .. } => item.due_date = due.as_deref().and_then(day),
        Change::Section { heading, from, .. } => match from {
            Some(v) if !v.trim().is_empty() => {
                item.sections.insert(heading.clone(), v.clone());
            }
            _ => {
                item.sections.remove(heading);
            }
        },
        Change::IssueType { from, .. } => item.issue_type = from.clone(),
        Change::Other { .. } => {}
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn t(s: &str) -> DateTime<Utc> {
        format!("{s}T12:00:00Z").parse().unwrap()
    }

    fn ev(id: u32, at: &str, change: Change) -> ItemEvent {
        ItemEvent {
            key: "a/b#1".into(),
            id: format!("{id:05}"),
            at: t(at),
            actor: Some("alice".into()),
            change,
        }
    }

    /// An open action item of `a/b` (other modules' tests borrow it).
    pub(crate) fn item() -> Item {
        Item {
            key: "a/b#1".into(),
            container: "a/b".into(),
            number: 1,
            external_id: "1".into(),
            url: String::new(),
            title: "Add retries to the client".into(),
            body: String::new(),
            state: State::Open,
            state_reason: Some("reopened".into()),
            tracker_status: None,
            labels: vec![
                "postmortem".into(),
                "action-item".into(),
                "priority:high".into(),
            ],
            issue_type: None,
            assignee: Some("bob".into()),
            due_date: None,
            created_at: t("2025-01-01"),
            updated_at: t("2025-06-01"),
            closed_at: None,
            sections: BTreeMap::new(),
            links: Vec::new(),
            raw: String::new(),
        }
    }

    #[test]
    fn rewind_undoes_labels_state_and_title_in_order() {
        let events = vec![
            ev(
                1,
                "2025-01-01",
                Change::Labeled {
                    label: "action-item".into(),
                },
            ),
            ev(
                2,
                "2025-02-01",
                Change::Labeled {
                    label: "postmortem".into(),
                },
            ),
            ev(
                3,
                "2025-03-01",
                Change::Unlabeled {
                    label: "priority:low".into(),
                },
            ),
            ev(
                4,
                "2025-03-01",
                Change::Labeled {
                    label: "priority:high".into(),
                },
            ),
            ev(
                5,
                "2025-04-01",
                Change::Closed {
                    reason: Some("completed".into()),
                },
            ),
            ev(6, "2025-05-01", Change::Reopened),
            ev(
                7,
                "2025-05-15",
                Change::Renamed {
                    from: "Retries".into(),
                    to: "Add retries to the client".into(),
                },
            ),
        ];
        let v = rewind(&item(), &events, t("2025-06-01"), true, None, &|_, _| {});
        let days: Vec<String> = v
            .iter()
            .map(|v| v.valid_from.format("%m-%d").to_string())
            .collect();
        assert_eq!(days, ["01-01", "02-01", "03-01", "04-01", "05-01", "05-15"]);
        // Created with action-item (and priority:low, removed later, whose
        // adding the log does not show); postmortem came a month later.
        assert_eq!(v[0].item.labels, ["action-item", "priority:low"]);
        assert!(v[1].item.labels.contains(&"postmortem".to_string()));
        assert!(v[1].item.labels.contains(&"priority:low".to_string()));
        assert!(v[2].item.labels.contains(&"priority:high".to_string()));
        assert_eq!(v[3].item.state, State::Closed);
        assert_eq!(v[3].item.state_reason.as_deref(), Some("completed"));
        assert_eq!(v[4].item.state, State::Open);
        assert_eq!(v[4].item.title, "Retries");
        assert_eq!(v[5].item.title, "Add retries to the client");
        // A log holding only its newest entries (from 03-01 on): the same
        // versions from its oldest entry on, and none made up before it.
        let newest = &events[events.len() - 4..];
        assert_eq!(newest[0].at, t("2025-03-01"));
        let part = rewind(&item(), newest, t("2025-06-01"), false, None, &|_, _| {});
        assert_eq!(part, v[2..].to_vec());
        let whole = rewind(&item(), newest, t("2025-06-01"), true, None, &|_, _| {});
        assert_eq!(
            whole[0].valid_from,
            t("2025-01-01"),
            "a made-up creation version"
        );
        // With history from 04-01 on, only the versions before it are
        // rebuilt, and the later events are undone to reach them.
        let v = rewind(&item(), &events, t("2025-04-01"), true, None, &|_, _| {});
        assert_eq!(v.last().unwrap().valid_from, t("2025-03-01"));
        assert_eq!(v.last().unwrap().item.state, State::Open);
        assert_eq!(v.last().unwrap().item.title, "Retries");
    }

    #[test]
    fn a_milestone_change_brings_back_the_old_due_date_whatever_the_id_order() {
        let ms = |title: &str, due: &str| (title.to_string(), Some(due.to_string()));
        let (a, a_due) = ms("Q1", "2025-03-31");
        let (b, b_due) = ms("Q2", "2025-06-30");
        let mut cur = item();
        cur.due_date = Some(NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
        // Set at creation, moved from Q1 to Q2 on 03-20: here the
        // `milestoned` has the lower id of the instant.
        let events = vec![
            ev(
                1,
                "2025-01-01",
                Change::Milestoned {
                    title: a.clone(),
                    due: a_due.clone(),
                },
            ),
            ev(
                2,
                "2025-03-20",
                Change::Milestoned {
                    title: b,
                    due: b_due,
                },
            ),
            ev(
                3,
                "2025-03-20",
                Change::Demilestoned {
                    title: a,
                    due: a_due,
                },
            ),
        ];
        let v = rewind(&cur, &events, t("2025-06-01"), true, None, &|_, _| {});
        let dues: Vec<_> = v
            .iter()
            .map(|p| (p.valid_from, p.item.due_date.map(|d| d.to_string())))
            .collect();
        assert_eq!(
            dues,
            [
                (t("2025-01-01"), Some("2025-03-31".to_string())),
                (t("2025-03-20"), Some("2025-06-30".to_string())),
            ]
        );
        assert_eq!(
            events[1].change.columns(),
            (Some("milestone".into()), None, Some("Q2".into()))
        );
    }

    #[test]
    fn jira_status_follows_the_done_categories_the_caller_knows() {
        let mut cur = item();
        cur.state = State::Closed;
        cur.tracker_status = Some("Done".into());
        cur.closed_at = Some(t("2025-03-01"));
        let events = vec![
            ev(
                1,
                "2025-02-01",
                Change::Status {
                    from: Some("To Do".into()),
                    to: Some("In Progress".into()),
                },
            ),
            ev(
                2,
                "2025-03-01",
                Change::Status {
                    from: Some("In Progress".into()),
                    to: Some("Done".into()),
                },
            ),
            ev(
                3,
                "2025-03-01",
                Change::Section {
                    heading: "Owner".into(),
                    from: Some("@carol".into()),
                    to: Some("@bob".into()),
                },
            ),
        ];
        let settle = |i: &mut Item, status: Option<&str>| {
            let done = status == Some("Done");
            i.tracker_status = status.map(str::to_lowercase);
            i.state = if done { State::Closed } else { State::Open };
            if !done {
                i.closed_at = None;
            }
        };
        let v = rewind(&cur, &events, t("2025-06-01"), true, Some("Done"), &settle);
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].item.tracker_status.as_deref(), Some("to do"));
        assert_eq!(v[1].item.state, State::Open);
        assert_eq!(
            v[1].item.sections.get("Owner").map(String::as_str),
            Some("@carol")
        );
        assert_eq!(v[2].item.state, State::Closed);
    }
}
