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
///
/// Each entry is read straight into [`GhEvent`], skipping what it does not
/// name (the actor's dozen URLs, the issue): reading every entry into a
/// tree of JSON values first cost half the backfill fetch's parsing. An
/// entry that does not read so (a repeated key, a broken surrogate escape,
/// an odd type) is read the old way, surrogates repaired: through a JSON
/// value, where the last repeated key wins.
pub(crate) fn parse_events(
    repo: &str,
    number: Option<u64>,
    body: &[u8],
) -> Result<(Vec<ItemEvent>, usize), String> {
    let entries: Vec<&serde_json::value::RawValue> =
        serde_json::from_slice(body).map_err(|e| format!("malformed event list: {e}"))?;
    let total = entries.len();
    let mut out = Vec::with_capacity(entries.len());
    for raw in entries {
        // One odd entry must not lose the page.
        let Some(e) = read_event(raw.get()) else {
            continue;
        };
        if let Some(event) = item_event(repo, number, e) {
            out.push(event);
        }
    }
    Ok((out, total))
}

/// One entry as a [`GhEvent`] (see [`parse_events`]); `None` when it is
/// not an event object even so.
fn read_event(raw: &str) -> Option<GhEvent> {
    serde_json::from_str::<GhEvent>(raw).ok().or_else(|| {
        serde_json::from_str::<serde_json::Value>(&crate::parse::repair_surrogates(raw))
            .ok()
            .and_then(|v| serde_json::from_value::<GhEvent>(v).ok())
    })
}

/// The event recur keeps from one entry: `None` for a pull request's, an
/// undated one, or a change recur does not rewind.
fn item_event(repo: &str, number: Option<u64>, e: GhEvent) -> Option<ItemEvent> {
    let n = match (&e.issue, number) {
        (Some(i), _) if i.pull_request.as_ref().is_some_and(|p| !p.is_null()) => return None,
        (Some(i), _) => i.number,
        (None, Some(n)) => n,
        (None, None) => return None,
    };
    let (Some(at), Some(change)) = (e.created_at, change_of(&e)) else {
        return None;
    };
    let id = match &e.id {
        serde_json::Value::Number(n) => format!("{:020}", n.as_u64().unwrap_or(0)),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Some(ItemEvent {
        key: format!("{repo}#{n}"),
        id,
        at,
        actor: e.actor.and_then(|a| a.login),
        change,
    })
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
            partial: Vec::new(),
            named: None,
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

    /// How pages were read before entries were read straight into
    /// [`GhEvent`]: every entry through a tree of JSON values.
    fn parse_events_via_values(
        repo: &str,
        number: Option<u64>,
        body: &[u8],
    ) -> Result<Vec<ItemEvent>, String> {
        let entries: Vec<serde_json::Value> =
            serde_json::from_slice(body).map_err(|e| format!("malformed event list: {e}"))?;
        Ok(entries
            .into_iter()
            .filter_map(|v| serde_json::from_value::<GhEvent>(v).ok())
            .filter_map(|e| item_event(repo, number, e))
            .collect())
    }

    /// Entries of every shape the tests know: the sandbox's and GitHub's
    /// documented ones, and hostile ones (repeated keys, wrong types,
    /// nulls, non-objects, unknown events, pull requests).
    const SHAPES: &[&str] = &[
        r#"{"id": 12000020804, "node_id": "CE_x", "url": "http://h/e/1", "actor": {"login": "mallory", "id": 12,
            "avatar_url": "https://a/u/12?v=4", "type": "User", "site_admin": false}, "event": "closed",
            "commit_id": null, "commit_url": null, "created_at": "2026-12-05T00:00:00Z", "state_reason": "completed",
            "performed_via_github_app": null, "issue": {"id": 2100009362, "number": 9362, "state": "closed",
            "title": "t", "body": "long \n body \u00e9", "labels": [{"name": "x"}], "pull_request": null}}"#,
        r#"{"id": 9, "event": "labeled", "created_at": "2025-01-02T03:04:05Z", "actor": {"login": "al"},
            "label": {"name": "postmortem", "color": "fff"}, "issue": {"number": 4}}"#,
        r#"{"id": 10, "event": "closed", "created_at": "2025-01-03T00:00:00Z", "issue": {"number": 5,
            "pull_request": {"url": "x"}}}"#,
        r#"{"id": 11, "event": "unlabeled", "event": "labeled", "created_at": "2025-01-02T00:00:00Z",
            "label": {"name": "a"}, "label": {"name": "b"}, "issue": {"number": 4}}"#,
        r#"{"id": 12, "event": "renamed", "created_at": "2025-01-04T00:00:00Z", "rename": {"from": null, "to": "b"},
            "issue": {"number": 4}}"#,
        r#"{"id": "13", "event": "assigned", "created_at": "2025-01-04T00:00:00Z", "assignee": {"login": "bo"},
            "actor": null, "issue": {"number": 4}}"#,
        r#"{"id": 1.5, "event": "unassigned", "created_at": "2025-01-04T00:00:00Z", "assignee": {"login": null},
            "issue": {"number": 4}}"#,
        r#"{"id": {"a": 1}, "event": "reopened", "created_at": "2025-01-04T00:00:00Z", "issue": {"number": 4}}"#,
        r#"{"id": 14, "event": "labeled", "created_at": "2025-01-04T00:00:00Z", "label": {"name": 5},
            "issue": {"number": 4}}"#,
        r#"{"id": 15, "event": "closed", "created_at": "not a time", "issue": {"number": 4}}"#,
        r#"{"id": 16, "event": "closed", "created_at": "2025-01-04T00:00:00Z", "issue": {"number": "4"}}"#,
        r#"{"id": 17, "event": "milestoned", "created_at": "2025-01-04T00:00:00Z", "milestone": {"title": "Q3",
            "due_on": "2025-03-01T00:00:00Z"}, "issue": {"number": 4}}"#,
        r#"{"id": 18, "event": "transferred", "created_at": "2025-01-04T00:00:00Z", "issue": {"number": 4},
            "extra": [1, {"deep": [null, true]}]}"#,
        r#"{"id": 19, "event": null, "created_at": "2025-01-04T00:00:00Z", "issue": {"number": 4}}"#,
        r#"{"id": 20, "event": "closed", "created_at": "2025-01-04T00:00:00Z", "issue": null}"#,
        r#"{"id": 21, "event": "closed", "created_at": "2025-01-04T00:00:00Z", "state_reason": 3,
            "issue": {"number": 4}}"#,
        r#"{"id": 22, "event": "subscribed", "created_at": "2025-01-04T00:00:00Z", "issue": {"number": 4}}"#,
        r#"{"id": 23, "event": "closed", "created_at": "2025-01-04T00:00:00Z", "created_at": "2025-02-04T00:00:00Z",
            "issue": {"number": 6}, "issue": {"number": 7}}"#,
        r#"[1, 2]"#,
        r#"null"#,
        r#""closed""#,
        r#"{}"#,
    ];

    #[test]
    fn events_read_straight_are_the_events_read_through_values() {
        for number in [None, Some(7)] {
            // Each shape alone, and all of them on one page.
            let mut pages: Vec<(String, usize)> =
                SHAPES.iter().map(|e| (format!("[{e}]"), 1)).collect();
            pages.push((format!("[{}]", SHAPES.join(",")), SHAPES.len()));
            for (page, len) in pages {
                let before = parse_events_via_values("o/r", number, page.as_bytes()).unwrap();
                let (now, entries) = parse_events("o/r", number, page.as_bytes()).unwrap();
                assert_eq!(now, before, "{page}");
                assert_eq!(entries, len, "{page}");
            }
        }
        // The shapes do exercise both ways of reading: some entries read
        // straight, the repeated keys only through values.
        let (ev, _) = parse_events("o/r", None, format!("[{}]", SHAPES[3]).as_bytes()).unwrap();
        assert_eq!(ev[0].change, Change::Labeled { label: "b".into() });
        assert!(serde_json::from_str::<GhEvent>(SHAPES[3]).is_err());
        assert!(serde_json::from_str::<GhEvent>(SHAPES[0]).is_ok());
    }

    #[test]
    fn a_broken_surrogate_in_one_event_loses_neither_the_page_nor_the_event() {
        // In text recur does not read (the issue's body), and in text it
        // reads (the label's name): the page used to fail whole, every run.
        let page = r#"[{"id": 1, "event": "closed", "created_at": "2025-01-04T00:00:00Z",
                        "issue": {"number": 4, "body": "cut \ud83d here"}},
                       {"id": 2, "event": "labeled", "created_at": "2025-01-05T00:00:00Z",
                        "label": {"name": "risk \udc00"}, "issue": {"number": 4}},
                       {"id": 3, "event": "reopened", "created_at": "2025-01-06T00:00:00Z",
                        "issue": {"number": 4}}]"#;
        let (ev, entries) = parse_events("o/r", None, page.as_bytes()).unwrap();
        assert_eq!(entries, 3);
        assert_eq!(
            ev.iter().map(|e| e.change.clone()).collect::<Vec<_>>(),
            [
                Change::Closed { reason: None },
                Change::Labeled {
                    label: "risk \u{FFFD}".into()
                },
                Change::Reopened
            ]
        );
    }

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
