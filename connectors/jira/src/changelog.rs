//! Jira change logs for history backfill: one issue's histories read into
//! [`ItemEvent`]s. Cloud pages `GET /issue/{key}/changelog` (`startAt`,
//! `maxResults` ≤ 100, `isLast`); Data Center answers `GET /issue/{key}
//! ?expand=changelog` with every history at once. Cloud's search embeds at
//! most 40 histories, so it is not used there; Cloud answers
//! `POST /changelog/bulkfetch` with the histories of up to 1,000 issues at
//! once (`issueIdsOrKeys`, `maxResults`, an opaque `nextPageToken`;
//! `issueChangeLogs` names each issue by id, and one issue's histories may
//! go on over the next page): the backfill's cheapest listing there, a
//! request per 1,000 histories instead of one per issue. Data Center has
//! no bulk changelog, but its search embeds the same changelog as the
//! issue's own answer, with the same `startAt`/`total`: a search for 100
//! issues by id is a request per 100 issues. Either way an embedded log
//! that says it is a part marks its issue (the backfill asks that issue's
//! own answer once more, and believes it).
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
use crate::http::{rate_limit, Sized};
use crate::parse::parse_jira_time;
use crate::JiraConnector;

/// Histories per page asked for (Cloud).
pub(crate) const PAGE_SIZE: u32 = 100;

/// Issues per bulk changelog request, and histories per page of it: the
/// most Cloud allows.
pub(crate) const BULK_ITEMS: u32 = 1000;

/// Issues per Data Center search for changelogs: 100 ids make a JQL of a
/// few hundred bytes, well under the clause limits of older sites, and an
/// answer of 100 issues' changelogs.
pub(crate) const DC_BULK_ITEMS: u32 = 100;
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

/// A Jira issue id as sent: a string, or a number on some sites.
fn issue_id(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
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
            let Some((histories, partial)) = self.embedded_log(key, &v) else {
                return Err(self.unusable(format!("{what}: the answer has no changelog")));
            };
            return Ok(EventsPage {
                events: read_histories(key, histories, &map),
                next: None,
                rate: rate_limit(&headers),
                entries: histories.len(),
                extra_requests: 0,
                partial: if partial {
                    vec![key.to_string()]
                } else {
                    Vec::new()
                },
                named: None,
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
            partial: Vec::new(),
            named: None,
        })
    }
}

impl JiraConnector {
    /// The changelog Data Center embeds in an issue (`expand=changelog`,
    /// in the issue's own answer or a search's), and whether it is a part
    /// only: it says where it starts and how many there are, and fewer
    /// than `total` (or a start past 0) is the newest part, which Data
    /// Center has no way to page. Rewinding from the current state needs
    /// exactly that newest part. `None` when the issue came without its
    /// changelog (a site or proxy that drops `expand`): no log is not an
    /// empty one, which would rebuild the issue as never changed.
    fn embedded_log<'v>(&self, key: &str, issue: &'v Value) -> Option<(&'v [Value], bool)> {
        let histories = issue
            .pointer("/changelog/histories")
            .and_then(Value::as_array)
            .map(Vec::as_slice)?;
        let count = |name: &str| {
            issue
                .pointer(&format!("/changelog/{name}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        let partial = count("startAt") > 0 || count("total") > histories.len() as u64;
        if partial {
            tracing::warn!(source = %self.cfg.name, key = %key,
                read = histories.len(), total = count("total"),
                "Jira sent only the newest part of this issue's changelog; its history starts at the oldest change read.");
        }
        Some((histories, partial))
    }

    /// One page of Data Center's search for `items` by id with each
    /// issue's changelog embedded: the logs of up to [`DC_BULK_ITEMS`]
    /// issues a request instead of one. The cursor is `startAt/maxResults`
    /// (none: from 0, all of them). `validateQuery: false` makes an id
    /// that no longer exists match nothing instead of failing the search
    /// (400); the page names the issues it has ([`EventsPage::named`]), so
    /// the caller reads any it does not name one by one. An answer over
    /// `[sync] max_response_mib` is asked for again half as big.
    pub(crate) async fn dc_search_changelog_page(
        &self,
        items: &[(String, String)],
        cursor: Option<&str>,
    ) -> Result<EventsPage, ConnectorError> {
        let map = self.fields().await?;
        let (start, max) = cursor
            .and_then(|c| c.split_once('/'))
            .and_then(|(s, m)| Some((s.parse::<u64>().ok()?, m.parse::<u64>().ok()?)))
            .unwrap_or((0, items.len() as u64));
        // Ids come from Jira's own answers; one that is not a number would
        // change the query, so that item is left to be read alone.
        let keys: std::collections::HashMap<&str, &str> = items
            .iter()
            .filter(|(_, id)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            .map(|(key, id)| (id.as_str(), key.as_str()))
            .collect();
        if keys.is_empty() {
            return Ok(EventsPage {
                named: Some(Vec::new()),
                ..EventsPage::default()
            });
        }
        let mut ids: Vec<&str> = keys.keys().copied().collect();
        ids.sort_unstable_by_key(|id| (id.len(), *id));
        let body = serde_json::json!({
            "jql": format!("id in ({}) ORDER BY id", ids.join(", ")),
            "startAt": start,
            "maxResults": max.max(1),
            "fields": ["created"],
            "expand": ["changelog"],
            "validateQuery": false,
        });
        let url = self.endpoint("/search")?;
        let what = format!("the changelogs of {} issues", keys.len());
        let a = match self
            .send_sized(reqwest::Method::POST, url.clone(), Some(&body))
            .await?
        {
            Sized::Fits(a) => a,
            // Too large or too slow: half as many, down to one issue
            // whatever was too much (one issue a request is what this
            // search replaces; a slow one must not stop the backfill on
            // the same chunk every run).
            Sized::TooMuch(e, why) => {
                let Some(fewer) = crate::http::half(max) else {
                    return Err(e);
                };
                tracing::warn!(source = %self.cfg.name, asked = max, next = fewer,
                    "A search for changelogs {}; asking for fewer issues.", why.said());
                return Ok(EventsPage {
                    next: Some(format!("{start}/{fewer}")),
                    named: Some(Vec::new()),
                    ..EventsPage::default()
                });
            }
        };
        if a.status != 200 {
            return Err(self.error_for(url.as_str(), what, &a));
        }
        let v = self.parse_json(&what, &a)?;
        let Some(issues) = v.get("issues").and_then(Value::as_array) else {
            return Err(self.unusable(format!("{what}: the answer has no issues")));
        };
        let mut page = EventsPage {
            rate: rate_limit(&a.headers),
            named: Some(Vec::new()),
            ..EventsPage::default()
        };
        for issue in issues {
            let Some(id) = issue_id(issue.get("id")) else {
                continue;
            };
            // The key recur knows the issue by (a moved issue's key has
            // changed since); an issue not asked for is left out.
            let Some(key) = keys.get(id.as_str()) else {
                continue;
            };
            // Without its changelog the issue is not named: it is asked
            // for alone.
            let Some((histories, partial)) = self.embedded_log(key, issue) else {
                continue;
            };
            page.entries += histories.len();
            page.events.extend(read_histories(key, histories, &map));
            if partial {
                page.partial.push(key.to_string());
            }
            if let Some(named) = page.named.as_mut() {
                named.push(key.to_string());
            }
        }
        let seen = start + issues.len() as u64;
        let total = v.get("total").and_then(Value::as_u64).unwrap_or(seen);
        page.next = (!issues.is_empty() && seen < total).then(|| format!("{seen}/{max}"));
        Ok(page)
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
            return Err(self.unusable(format!("{what}: the answer has no issueChangeLogs")));
        };
        let keys: std::collections::HashMap<&str, &str> = items
            .iter()
            .map(|(key, id)| (id.as_str(), key.as_str()))
            .collect();
        let mut events = Vec::new();
        let mut entries = 0;
        for log in logs {
            let Some(id) = issue_id(log.get("issueId")) else {
                continue;
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
            partial: Vec::new(),
            named: None,
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
