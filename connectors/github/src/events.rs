//! GitHub issue events for history backfill: one page of an issue's events
//! (`GET /repos/{o}/{r}/issues/{n}/events`) or of a repository's
//! (`GET /repos/{o}/{r}/issues/events`, every issue and pull request),
//! read into [`ItemEvent`]s.
//!
//! API facts this relies on: both listings page with `Link` like issue
//! lists (100 per page at most); repository-wide events carry the issue
//! (with a `pull_request` object for pull requests, whose events are left
//! out); `closed` events carry `state_reason` on current API versions;
//! event types grow over time, so an unknown one is skipped, never an
//! error. Body edits are not events: fields of the issue-form body are not
//! in this log. `milestoned`/`demilestoned` name the milestone by title
//! only; its due date (the item's target date when the body names none)
//! comes from the repository's milestone list
//! (`GET /repos/{o}/{r}/milestones?state=all`), read once per repository
//! the first time a page holds a milestone event. A milestone deleted since
//! is no longer listed: its due date is unknown (`None`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use recur_core::{Change, ConnectorError, EventsPage, ItemEvent};
use serde::Deserialize;

use crate::transport::rate_limit;
use crate::{parse_link_next, GithubConnector};

/// Entries per page asked for.
pub(crate) const PAGE_SIZE: u32 = 100;

#[derive(Deserialize)]
struct Login {
    login: Option<String>,
}

#[derive(Deserialize)]
struct Named {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Titled {
    title: Option<String>,
}

#[derive(Deserialize)]
struct Rename {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize)]
struct IssueRef {
    number: u64,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct GhEvent {
    id: serde_json::Value,
    event: Option<String>,
    created_at: Option<DateTime<Utc>>,
    actor: Option<Login>,
    label: Option<Named>,
    assignee: Option<Login>,
    rename: Option<Rename>,
    state_reason: Option<String>,
    milestone: Option<Titled>,
    issue: Option<IssueRef>,
}

/// The change an event records; `None` for events recur does not rewind
/// and does not keep (comments, mentions, subscriptions, references, …).
fn change_of(e: &GhEvent) -> Option<Change> {
    let login = |l: &Option<Login>| l.as_ref().and_then(|l| l.login.clone());
    Some(match e.event.as_deref()? {
        "labeled" => Change::Labeled {
            label: e.label.as_ref()?.name.clone()?,
        },
        "unlabeled" => Change::Unlabeled {
            label: e.label.as_ref()?.name.clone()?,
        },
        "closed" => Change::Closed {
            reason: e.state_reason.clone(),
        },
        "reopened" => Change::Reopened,
        "renamed" => {
            let r = e.rename.as_ref()?;
            Change::Renamed {
                from: r.from.clone().unwrap_or_default(),
                to: r.to.clone().unwrap_or_default(),
            }
        }
        "assigned" => Change::Assignee {
            from: None,
            to: login(&e.assignee),
        },
        "unassigned" => Change::Assignee {
            from: login(&e.assignee),
            to: None,
        },
        // The due date is filled in by `GithubConnector::events`.
        "milestoned" => Change::Milestoned {
            title: e.milestone.as_ref()?.title.clone()?,
            due: None,
        },
        "demilestoned" => Change::Demilestoned {
            title: e.milestone.as_ref()?.title.clone()?,
            due: None,
        },
        m @ ("transferred" | "converted_to_discussion") => Change::Other {
            what: m.to_string(),
            from: None,
            to: None,
        },
        _ => return None,
    })
}

/// Reads one page: the events recur keeps and how many entries the page
/// held. `repo` is the repository; `number` the issue when the page is one
/// issue's events (repository-wide events name their issue).
pub(crate) fn parse_events(
    repo: &str,
    number: Option<u64>,
    body: &[u8],
) -> Result<(Vec<ItemEvent>, usize), String> {
    let entries: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| format!("malformed event list: {e}"))?;
    let total = entries.len();
    let mut out = Vec::with_capacity(entries.len());
    for v in entries {
        // One odd entry must not lose the page.
        let Ok(e) = serde_json::from_value::<GhEvent>(v) else {
            continue;
        };
        let n = match (&e.issue, number) {
            (Some(i), _) if i.pull_request.as_ref().is_some_and(|p| !p.is_null()) => continue,
            (Some(i), _) => i.number,
            (None, Some(n)) => n,
            (None, None) => continue,
        };
        let (Some(at), Some(change)) = (e.created_at, change_of(&e)) else {
            continue;
        };
        let id = match &e.id {
            serde_json::Value::Number(n) => format!("{:020}", n.as_u64().unwrap_or(0)),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.push(ItemEvent {
            key: format!("{repo}#{n}"),
            id,
            at,
            actor: e.actor.and_then(|a| a.login),
            change,
        });
    }
    Ok((out, total))
}

impl GithubConnector {
    /// One page of an issue's or a repository's events: `url` is the first
    /// page's path or a `Link` from the page before.
    pub(crate) async fn events(
        &self,
        repo: &str,
        number: Option<u64>,
        url: &str,
    ) -> Result<EventsPage, ConnectorError> {
        let a = self.get(url, None).await?;
        if a.status != http::StatusCode::OK {
            let what = match number {
                Some(n) => format!("the events of issue {repo}#{n}"),
                None => format!("the issue events of {repo}"),
            };
            return Err(self.error_for(url, &what, &a));
        }
        let (mut events, entries) =
            parse_events(repo, number, &a.body).map_err(|m| ConnectorError::Transient {
                source_name: self.name(),
                status: Some(200),
                message: m,
            })?;
        let mut extra_requests = 0;
        let names_milestones = events.iter().any(|e| {
            matches!(
                e.change,
                Change::Milestoned { .. } | Change::Demilestoned { .. }
            )
        });
        if names_milestones {
            let known = self
                .milestones
                .lock()
                .expect("milestones")
                .contains_key(repo);
            if !known {
                let (dues, requests) = self.milestone_dues(repo).await?;
                extra_requests = requests;
                self.milestones
                    .lock()
                    .expect("milestones")
                    .insert(repo.to_string(), dues);
            }
            let cache = self.milestones.lock().expect("milestones");
            let dues = &cache[repo];
            for e in &mut events {
                if let Change::Milestoned { title, due } | Change::Demilestoned { title, due } =
                    &mut e.change
                {
                    *due = dues.get(title.as_str()).cloned().flatten();
                }
            }
        }
        Ok(EventsPage {
            events,
            entries,
            next: parse_link_next(&a.headers),
            rate: rate_limit(&a.headers),
            extra_requests,
        })
    }

    /// Every milestone of `repo`, open or closed: title → due date, and the
    /// requests it took.
    async fn milestone_dues(
        &self,
        repo: &str,
    ) -> Result<(HashMap<String, Option<String>>, u32), ConnectorError> {
        #[derive(Deserialize)]
        struct Milestone {
            title: Option<String>,
            due_on: Option<String>,
        }
        let mut out = HashMap::new();
        let mut requests = 0;
        let mut url = Some(format!(
            "/repos/{repo}/milestones?state=all&per_page={PAGE_SIZE}"
        ));
        while let Some(u) = url {
            let a = self.get(&u, None).await?;
            requests += 1;
            if a.status != http::StatusCode::OK {
                return Err(self.error_for(&u, &format!("the milestones of {repo}"), &a));
            }
            let page: Vec<Milestone> =
                serde_json::from_slice(&a.body).map_err(|e| ConnectorError::Transient {
                    source_name: self.name(),
                    status: Some(200),
                    message: format!("malformed milestone list of {repo}: {e}"),
                })?;
            for m in page {
                if let Some(t) = m.title {
                    // A due date is midnight of a calendar day: the date as
                    // written, as the issue's own `milestone` is read.
                    let due = m.due_on.and_then(|d| d.get(..10).map(str::to_string));
                    out.insert(t, due);
                }
            }
            url = parse_link_next(&a.headers);
        }
        Ok((out, requests))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_of_issues_are_read_and_pull_requests_and_noise_left_out() {
        let body = br#"[
          {"id": 9, "event": "labeled", "created_at": "2025-01-02T03:04:05Z", "actor": {"login": "al"},
           "label": {"name": "postmortem"}, "issue": {"number": 4}},
          {"id": 10, "event": "closed", "created_at": "2025-01-03T00:00:00Z", "state_reason": "not_planned",
           "issue": {"number": 5, "pull_request": {"url": "x"}}},
          {"id": 11, "event": "subscribed", "created_at": "2025-01-03T00:00:00Z", "issue": {"number": 4}},
          {"id": 12, "event": "renamed", "created_at": "2025-01-04T00:00:00Z",
           "rename": {"from": "a", "to": "b"}, "issue": {"number": 4}},
          {"event": "broken"},
          {"id": 13, "event": "some_future_event", "created_at": "2025-01-05T00:00:00Z", "issue": {"number": 4}}
        ]"#;
        let (ev, entries) = parse_events("o/r", None, body).unwrap();
        assert_eq!(entries, 6);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].key, "o/r#4");
        assert_eq!(ev[0].id, "00000000000000000009");
        assert_eq!(
            ev[0].change,
            Change::Labeled {
                label: "postmortem".into()
            }
        );
        assert_eq!(ev[0].actor.as_deref(), Some("al"));
        assert_eq!(
            ev[1].change,
            Change::Renamed {
                from: "a".into(),
                to: "b".into()
            }
        );
        // One issue's events name no issue: the number comes from the request.
        let one = br#"[{"id": 1, "event": "reopened", "created_at": "2025-01-02T00:00:00Z"}]"#;
        assert_eq!(parse_events("o/r", Some(7), one).unwrap().0[0].key, "o/r#7");
        assert!(parse_events("o/r", None, b"{}").is_err());
        // Milestones are named by title; the due date comes later.
        let ms = br#"[{"id": 2, "event": "demilestoned", "created_at": "2025-01-02T00:00:00Z",
                       "milestone": {"title": "Q1"}},
                      {"id": 3, "event": "milestoned", "created_at": "2025-01-02T00:00:00Z",
                       "milestone": {"title": "Q2"}},
                      {"id": 4, "event": "milestoned", "created_at": "2025-01-02T00:00:00Z"}]"#;
        let (ev, _) = parse_events("o/r", Some(7), ms).unwrap();
        assert_eq!(
            ev.iter().map(|e| e.change.clone()).collect::<Vec<_>>(),
            [
                Change::Demilestoned {
                    title: "Q1".into(),
                    due: None
                },
                Change::Milestoned {
                    title: "Q2".into(),
                    due: None
                }
            ]
        );
    }
}
