//! Jira change logs for history backfill: one issue's histories read into
//! [`ItemEvent`]s. Cloud pages `GET /issue/{key}/changelog` (`startAt`,
//! `maxResults` ≤ 100, `isLast`); Data Center answers `GET /issue/{key}
//! ?expand=changelog` with every history at once. The search's own
//! `expand=changelog` is not used: Cloud embeds at most 40 histories there.
//! Cloud also answers `POST /changelog/bulkfetch` with the histories of up
//! to 1,000 issues at once (`issueIdsOrKeys`, `maxResults`, an opaque
//! `nextPageToken`; `issueChangeLogs` names each issue by id, and one
//! issue's histories may go on over the next page): the backfill's
//! cheapest listing there, a request per 1,000 histories instead of one
//! per issue.
//!
//! Every field is in the log, custom fields too: a history item names the
//! field (`field`, and on Cloud `fieldId`) with the old and new values, raw
//! (`from`/`to`: ids, ISO dates) and rendered (`fromString`/`toString`).
//! recur reads sections as rendered text, so the rendered value is used,
//! except for dates, whose raw value is ISO while the rendered one follows
//! the site's locale.

use recur_core::{Change, ConnectorError, EventsPage, ItemEvent};
use serde_json::Value;

use crate::fields::FieldMap;
use crate::http::rate_limit;
use crate::parse::parse_jira_time;
use crate::JiraConnector;

/// Histories per page asked for (Cloud).
pub(crate) const PAGE_SIZE: u32 = 100;

/// Issues per bulk changelog request, and histories per page of it: the
/// most Cloud allows.
pub(crate) const BULK_ITEMS: u32 = 1000;
const BULK_PAGE: u32 = 1000;

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The value recur would read for a section: an ISO date as such, else
/// the rendered text.
fn section_value(item: &Value, raw: &str, rendered: &str) -> Option<String> {
    if let Some(r) = text(item, raw) {
        let d = r.get(..10).unwrap_or("");
        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() && r.len() <= 29 {
            return Some(d.to_string());
        }
    }
    text(item, rendered)
}

fn words(s: Option<String>) -> Vec<String> {
    s.map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The changes of one history item.
fn changes_of(item: &Value, map: &FieldMap) -> Vec<Change> {
    let field = text(item, "field").unwrap_or_default();
    let id = text(item, "fieldId");
    let from_s = text(item, "fromString");
    let to_s = text(item, "toString");
    let lower = field.to_lowercase();
    let builtin = id.as_deref().unwrap_or(lower.as_str());
    match builtin {
        "status" => {
            return vec![Change::Status {
                from: from_s,
                to: to_s,
            }]
        }
        "resolution" => {
            return vec![Change::Resolution {
                from: from_s,
                to: to_s,
            }]
        }
        "summary" => {
            return vec![Change::Renamed {
                from: from_s.unwrap_or_default(),
                to: to_s.unwrap_or_default(),
            }]
        }
        "assignee" => {
            return vec![Change::Assignee {
                from: from_s,
                to: to_s,
            }]
        }
        "duedate" => {
            return vec![Change::Due {
                from: text(item, "from"),
                to: text(item, "to"),
            }]
        }
        "issuetype" => {
            return vec![Change::IssueType {
                from: from_s,
                to: to_s,
            }]
        }
        "labels" => {
            let (before, after) = (words(from_s), words(to_s));
            let mut out: Vec<Change> = after
                .iter()
                .filter(|l| !before.contains(l))
                .map(|l| Change::Labeled { label: l.clone() })
                .collect();
            out.extend(
                before
                    .iter()
                    .filter(|l| !after.contains(l))
                    .map(|l| Change::Unlabeled { label: l.clone() }),
            );
            return out;
        }
        _ => {}
    }
    // A mapped field: by id (Cloud), else by name (Data Center logs name
    // custom fields only).
    let heading = map
        .by_heading
        .iter()
        .find(|(h, fid)| {
            id.as_deref().is_some_and(|i| i.eq_ignore_ascii_case(fid))
                || (id.is_none()
                    && (h.eq_ignore_ascii_case(&field) || fid.eq_ignore_ascii_case(&field)))
        })
        .map(|(h, _)| h.clone());
    match heading {
        Some(heading) => vec![Change::Section {
            heading,
            from: section_value(item, "from", "fromString"),
            to: section_value(item, "to", "toString"),
        }],
        None => vec![Change::Other {
            what: field,
            from: from_s,
            to: to_s,
        }],
    }
}

/// Reads histories (`[{id, author, created, items: […]}]`) into events.
pub(crate) fn read_histories(key: &str, histories: &[Value], map: &FieldMap) -> Vec<ItemEvent> {
    let mut out = Vec::new();
    for h in histories {
        let Some(at) = h
            .get("created")
            .and_then(Value::as_str)
            .and_then(parse_jira_time)
        else {
            continue;
        };
        let hid = text(h, "id").unwrap_or_default();
        let hid = hid
            .parse::<u64>()
            .map(|n| format!("{n:020}"))
            .unwrap_or(hid);
        let actor = h.get("author").and_then(|a| {
            ["displayName", "name", "accountId"]
                .iter()
                .find_map(|k| text(a, k))
        });
        let items = h.get("items").and_then(Value::as_array);
        let mut k = 0;
        for item in items.into_iter().flatten() {
            for change in changes_of(item, map) {
                out.push(ItemEvent {
                    key: key.to_string(),
                    id: format!("{hid}-{k:03}"),
                    at,
                    actor: actor.clone(),
                    change,
                });
                k += 1;
            }
        }
    }
    out
}

/// The raw status name of a stored issue.
fn status_name(raw: &str) -> Option<String> {
    let v: Value = serde_json::from_str(raw).ok()?;
    v.pointer("/fields/status/name")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Status rules learnt from stored issues: each status name's category
/// (`new`, `indeterminate`, `done`) as the site reported it. A status never
/// seen on a stored issue has no known category: its state then follows
/// the resolution (resolved means closed), as for trimmed payloads.
pub(crate) fn status_rules(samples: &[String]) -> recur_core::StatusRules {
    let mut categories: std::collections::HashMap<String, String> =
        std::collections::HashMap::new();
    for raw in samples {
        let Ok(v) = serde_json::from_str::<Value>(raw) else {
            continue;
        };
        let name = v.pointer("/fields/status/name").and_then(Value::as_str);
        let cat = v
            .pointer("/fields/status/statusCategory/key")
            .and_then(Value::as_str);
        if let (Some(n), Some(c)) = (name, cat) {
            categories.insert(n.to_lowercase(), c.to_string());
        }
    }
    recur_core::StatusRules {
        settle: Box::new(move |item, status| {
            let category = status.and_then(|s| categories.get(&s.to_lowercase()));
            let closed = match category {
                Some(c) => c == "done",
                None => item.state_reason.is_some(),
            };
            item.state = if closed {
                recur_core::State::Closed
            } else {
                recur_core::State::Open
            };
            if !closed {
                item.closed_at = None;
            }
            item.tracker_status = crate::parse::tracker_status(
                status,
                category.map(String::as_str),
                item.state_reason.as_deref(),
                closed,
                item.assignee.is_some(),
            );
        }),
        status_of: Box::new(status_name),
    }
}

impl JiraConnector {
    /// One page of `key`'s change log from `cursor` (Cloud: `startAt`).
    pub(crate) async fn changelog_page(
        &self,
        key: &str,
        cursor: Option<&str>,
    ) -> Result<EventsPage, ConnectorError> {
        let map = self.fields().await?;
        let what = format!("the changelog of {key}");
        if self.cfg.datacenter {
            let mut url = self.endpoint(&format!("/issue/{key}"))?;
            url.query_pairs_mut()
                .append_pair("fields", "created")
                .append_pair("expand", "changelog");
            let (v, headers) = self.get_ok(url, &what).await?;
            let histories = v
                .pointer("/changelog/histories")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            // The embedded changelog says where it starts and how many
            // there are: fewer than `total` (or a start past 0) is a part
            // only, and Data Center has no way to page it. The part is the
            // newest one (Jira embeds the latest histories; startAt is
            // then total minus what came): rewinding from the current
            // state needs exactly that.
            let count = |name: &str| {
                v.pointer(&format!("/changelog/{name}"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
            };
            let partial = count("startAt") > 0 || count("total") > histories.len() as u64;
            if partial {
                tracing::warn!(source = %self.cfg.name, key = %key,
                    read = histories.len(), total = count("total"),
                    "Jira sent only the newest part of this issue's changelog; its history starts at the oldest change read.");
            }
            return Ok(EventsPage {
                events: read_histories(key, &histories, &map),
                next: None,
                rate: rate_limit(&headers),
                entries: histories.len(),
                extra_requests: 0,
                partial,
            });
        }
        let start: u64 = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let mut url = self.endpoint(&format!("/issue/{key}/changelog"))?;
        url.query_pairs_mut()
            .append_pair("startAt", &start.to_string())
            .append_pair("maxResults", &PAGE_SIZE.to_string());
        let (v, headers) = self.get_ok(url, &what).await?;
        let values = v
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = v.get("total").and_then(Value::as_u64);
        let seen = start + values.len() as u64;
        let last = v.get("isLast").and_then(Value::as_bool).unwrap_or_else(|| {
            // Older sites: no isLast; total says, else an empty page ends.
            total.map_or(values.is_empty(), |t| seen >= t)
        });
        Ok(EventsPage {
            events: read_histories(key, &values, &map),
            next: (!last && !values.is_empty()).then(|| seen.to_string()),
            rate: rate_limit(&headers),
            entries: values.len(),
            extra_requests: 0,
            partial: false,
        })
    }
}

impl JiraConnector {
    /// One page of the bulk changelog of `items` (key, Jira id): the
    /// histories of the issues the page names, read as [`read_histories`]
    /// reads one issue's. A history naming an issue not asked for is left
    /// out.
    pub(crate) async fn bulk_changelog_page(
        &self,
        items: &[(String, String)],
        cursor: Option<&str>,
    ) -> Result<EventsPage, ConnectorError> {
        let map = self.fields().await?;
        let url = self.endpoint("/changelog/bulkfetch")?;
        let mut body = serde_json::json!({
            "issueIdsOrKeys": items.iter().map(|(_, id)| id.as_str()).collect::<Vec<_>>(),
            "maxResults": BULK_PAGE,
        });
        if let Some(c) = cursor {
            body["nextPageToken"] = Value::String(c.to_string());
        }
        let what = format!("the changelogs of {} issues", items.len());
        let (v, headers) = self
            .send_ok(reqwest::Method::POST, url, Some(&body), &what)
            .await?;
        let Some(logs) = v.get("issueChangeLogs").and_then(Value::as_array) else {
            return Err(ConnectorError::Transient {
                source_name: self.name(),
                status: Some(200),
                message: format!("{what}: the answer has no issueChangeLogs"),
            });
        };
        let keys: std::collections::HashMap<&str, &str> = items
            .iter()
            .map(|(key, id)| (id.as_str(), key.as_str()))
            .collect();
        let mut events = Vec::new();
        let mut entries = 0;
        for log in logs {
            let id = match log.get("issueId") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => continue,
            };
            let histories = log
                .get("changeHistories")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            entries += histories.len();
            if let Some(key) = keys.get(id.as_str()) {
                events.extend(read_histories(key, histories, &map));
            }
        }
        let next = v
            .get("nextPageToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        Ok(EventsPage {
            events,
            next,
            rate: rate_limit(&headers),
            entries,
            extra_requests: 0,
            partial: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histories_become_changes_with_fields_by_id_or_name() {
        let map = FieldMap {
            by_heading: vec![
                ("Target date".into(), "customfield_10020".into()),
                ("Owner".into(), "customfield_10021".into()),
                ("Priority".into(), "priority".into()),
            ],
        };
        let h: Vec<Value> = serde_json::from_str(
            r#"[{"id": "101", "created": "2025-03-01T10:00:00.000+0000",
                 "author": {"displayName": "Ann"},
                 "items": [
                   {"field": "labels", "from": null, "fromString": "postmortem",
                    "to": null, "toString": "action-item postmortem"},
                   {"field": "Target date", "fieldId": "customfield_10020",
                    "from": "2025-04-01", "fromString": "01/Apr/25", "to": "2025-05-01", "toString": "01/May/25"},
                   {"field": "priority", "fieldId": "priority", "fromString": "Medium", "toString": "High"},
                   {"field": "Owner", "fromString": "@bo", "toString": "@al"},
                   {"field": "status", "fieldId": "status", "fromString": "To Do", "toString": "Done"},
                   {"field": "Sprint", "fieldId": "customfield_1", "fromString": null, "toString": "S1"}
                 ]}]"#,
        )
        .unwrap();
        let ev = read_histories("OPS-1", &h, &map);
        let changes: Vec<&Change> = ev.iter().map(|e| &e.change).collect();
        assert_eq!(ev[0].id, "00000000000000000101-000");
        assert_eq!(ev[0].actor.as_deref(), Some("Ann"));
        assert_eq!(
            changes[0],
            &Change::Labeled {
                label: "action-item".into()
            }
        );
        assert_eq!(
            changes[1],
            &Change::Section {
                heading: "Target date".into(),
                from: Some("2025-04-01".into()),
                to: Some("2025-05-01".into())
            }
        );
        assert_eq!(
            changes[2],
            &Change::Section {
                heading: "Priority".into(),
                from: Some("Medium".into()),
                to: Some("High".into())
            }
        );
        // Data Center names custom fields only.
        assert!(matches!(changes[3], Change::Section { heading, .. } if heading == "Owner"));
        assert!(matches!(changes[4], Change::Status { .. }));
        assert!(matches!(changes[5], Change::Other { what, .. } if what == "Sprint"));
    }
}
