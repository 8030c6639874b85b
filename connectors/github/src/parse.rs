//! Reading GitHub JSON: issue pages into [`Item`]s, `Link` headers into the
//! next URL. Tolerant by design: unknown keys and enum values pass through,
//! one bad entry never fails a page, and each entry's JSON is kept exactly
//! as it arrived.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use http::HeaderMap;
use recur_core::{ConnectorError, Entries, Item, Malformed, Page, State};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct GhLabel {
    name: Option<String>,
}

/// GitHub returns label objects; very old payloads and some webhooks use
/// bare strings. Accept both.
#[derive(Deserialize)]
#[serde(untagged)]
enum LabelEntry {
    Object(GhLabel),
    Name(String),
}

#[derive(Deserialize)]
struct GhUser {
    login: Option<String>,
}

#[derive(Deserialize)]
struct GhMilestone {
    due_on: Option<String>,
}

#[derive(Deserialize)]
struct GhIssue {
    id: serde_json::Value,
    number: i64,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
    state: String,
    #[serde(default)]
    state_reason: Option<String>,
    #[serde(default)]
    labels: Vec<LabelEntry>,
    #[serde(default)]
    assignee: Option<GhUser>,
    #[serde(default)]
    assignees: Vec<GhUser>,
    #[serde(default)]
    milestone: Option<GhMilestone>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(default)]
    closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

/// Replaces `\uD800`-style escapes that do not form a pair with `\uFFFD`, so
/// text with broken surrogates still maps (serde_json rejects them). The raw
/// JSON is kept unchanged.
pub(crate) fn repair_surrogates(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    let hex_at = |i: usize| -> Option<u16> {
        let s = raw.get(i + 2..i + 6)?;
        if raw.get(i..i + 2)? != "\\u" {
            return None;
        }
        u16::from_str_radix(s, 16).ok()
    };
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if let Some(cu) = hex_at(i) {
                let high = (0xD800..0xDC00).contains(&cu);
                let low = (0xDC00..0xE000).contains(&cu);
                if high {
                    if let Some(next) = hex_at(i + 6) {
                        if (0xDC00..0xE000).contains(&next) {
                            out.push_str(&raw[i..i + 12]);
                            i += 12;
                            continue;
                        }
                    }
                    out.push_str("\\uFFFD");
                    i += 6;
                    continue;
                }
                if low {
                    out.push_str("\\uFFFD");
                    i += 6;
                    continue;
                }
                out.push_str(&raw[i..i + 6]);
                i += 6;
                continue;
            }
            // Any other escape: copy the backslash and the escaped char.
            let end = raw[i + 1..]
                .chars()
                .next()
                .map(|c| i + 1 + c.len_utf8())
                .unwrap_or(i + 1);
            out.push_str(&raw[i..end]);
            i = end;
            continue;
        }
        let c = raw[i..].chars().next().unwrap_or('\u{FFFD}');
        out.push(c);
        i += c.len_utf8().max(1);
    }
    out
}

fn read_issue(raw: &str) -> Result<GhIssue, String> {
    match serde_json::from_str::<GhIssue>(raw) {
        Ok(i) => Ok(i),
        Err(e) => {
            // serde_json words lone-surrogate failures several ways
            // ("lone leading surrogate", "unexpected end of hex escape");
            // retry once with them repaired, whatever the wording.
            let repaired = repair_surrogates(raw);
            if repaired != raw {
                serde_json::from_str::<GhIssue>(&repaired).map_err(|e| e.to_string())
            } else {
                Err(e.to_string())
            }
        }
    }
}

/// The two facts read from every entry, issue or not: is it a pull request,
/// and when was it last updated (the keyset position).
fn entry_facts(raw: &str) -> (bool, Option<DateTime<Utc>>) {
    #[derive(Deserialize)]
    struct Facts {
        #[serde(default)]
        pull_request: Option<serde_json::Value>,
        #[serde(default)]
        updated_at: Option<DateTime<Utc>>,
    }
    serde_json::from_str::<Facts>(raw)
        .map(|p| (p.pull_request.is_some_and(|v| !v.is_null()), p.updated_at))
        .unwrap_or((false, None))
}

/// Maps one issue's JSON into an [`Item`] keyed under `container`.
pub fn parse_issue(container: &str, raw: &str) -> Result<Option<Item>, String> {
    let gh = read_issue(raw)?;
    if gh.pull_request.as_ref().is_some_and(|v| !v.is_null()) {
        return Ok(None);
    }
    let state = match gh.state.as_str() {
        "closed" => State::Closed,
        _ => State::Open,
    };
    let labels = gh
        .labels
        .into_iter()
        .filter_map(|l| match l {
            LabelEntry::Object(o) => o.name,
            LabelEntry::Name(n) => Some(n),
        })
        .collect();
    let assignee = gh
        .assignee
        .and_then(|u| u.login)
        .or_else(|| gh.assignees.into_iter().find_map(|u| u.login));
    let due_date = gh.milestone.and_then(|m| m.due_on).and_then(|d| {
        // Milestone due dates are midnight-ish timestamps of a calendar
        // day; take the date as written, not shifted to UTC.
        NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok()
    });
    let body = gh.body.unwrap_or_default();
    let sections = recur_core::normalize::parse_form_body(&body);
    let external_id = match gh.id {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(Some(Item {
        key: format!("{container}#{}", gh.number),
        container: container.to_string(),
        number: gh.number,
        external_id,
        url: gh.html_url.unwrap_or_default(),
        title: gh.title.unwrap_or_default(),
        body,
        state,
        state_reason: gh.state_reason,
        tracker_status: None,
        labels,
        issue_type: None,
        assignee,
        due_date,
        created_at: gh.created_at,
        updated_at: gh.updated_at,
        closed_at: gh.closed_at,
        sections,
        links: Vec::new(),
        raw: raw.to_string(),
    }))
}

/// Reads and maps an issue list the way a sync does ([`read_page`], then
/// [`map_entries`]): the tests' way in.
#[cfg(test)]
pub(crate) fn parse_page(
    source: &str,
    container: &str,
    body: &[u8],
) -> Result<Page, ConnectorError> {
    let entries = read_page(source, container, body.to_vec())?;
    Ok(map_entries(container, entries.iter()))
}

/// Reads an issue list into its entries, kept with the body to be mapped
/// later ([`map_entries`]); only a body that is not a JSON array fails.
pub(crate) fn read_page(
    source: &str,
    container: &str,
    body: Vec<u8>,
) -> Result<Entries, ConnectorError> {
    Entries::read(body, |b| Ok(((), read_list(source, container, b)?))).map(|((), e)| e)
}

/// The entries of an issue list, as the text of each.
fn read_list<'b>(
    source: &str,
    container: &str,
    body: &'b [u8],
) -> Result<Vec<&'b str>, ConnectorError> {
    let entries: Vec<&RawValue> =
        serde_json::from_slice(body).map_err(|e| ConnectorError::Transient {
            source_name: source.to_string(),
            status: Some(200),
            message: format!("malformed JSON in the issue list of {container}: {e}"),
        })?;
    Ok(entries.into_iter().map(RawValue::get).collect())
}

/// Maps an issue list's entries. Entries that are not issues are
/// reported, not dropped; `newest` counts pull requests and malformed
/// entries too.
pub(crate) fn map_entries<'e>(container: &str, entries: impl IntoIterator<Item = &'e str>) -> Page {
    let mut page = Page::default();
    for (pos, raw) in entries.into_iter().enumerate() {
        let (is_pr, updated) = entry_facts(raw);
        if updated > page.newest {
            page.newest = updated;
        }
        match parse_issue(container, raw) {
            Ok(Some(item)) => page.items.push(item),
            Ok(None) => page.pull_requests += 1,
            Err(reason) => {
                if is_pr {
                    page.pull_requests += 1;
                    continue;
                }
                let key = serde_json::from_str::<BTreeMap<String, serde_json::Value>>(raw)
                    .ok()
                    .and_then(|m| m.get("number").and_then(|n| n.as_i64()))
                    .map(|n| format!("{container}#{n}"))
                    .unwrap_or_else(|| format!("{container}@{pos}"));
                page.malformed.push(Malformed {
                    key,
                    reason,
                    raw: raw.to_string(),
                });
            }
        }
    }
    page
}

/// Maps a single-issue answer.
pub(crate) fn parse_single(
    source: &str,
    container: &str,
    body: &[u8],
) -> Result<Item, ConnectorError> {
    let text = std::str::from_utf8(body).map_err(|e| ConnectorError::Transient {
        source_name: source.to_string(),
        status: Some(200),
        message: format!("issue body is not UTF-8: {e}"),
    })?;
    match parse_issue(container, text.trim()) {
        Ok(Some(item)) => Ok(item),
        Ok(None) => Err(ConnectorError::Http {
            source_name: source.to_string(),
            status: 200,
            url: String::new(),
            message: format!("{container}: a tracked key now names a pull request"),
        }),
        Err(e) => Err(ConnectorError::Transient {
            source_name: source.to_string(),
            status: Some(200),
            message: format!("malformed issue JSON in {container}: {e}"),
        }),
    }
}

/// The key of a moved issue, from the JSON found at its new location.
pub(crate) fn moved_key(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Moved {
        number: i64,
        repository_url: String,
    }
    let m: Moved = serde_json::from_slice(body).ok()?;
    let mut parts = m.repository_url.rsplit('/');
    let repo = parts.next()?;
    let owner = parts.next()?;
    Some(format!("{owner}/{repo}#{}", m.number))
}

/// The `rel="next"` URL of a `Link` header, as given.
pub fn parse_link_next(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let url = pieces.next()?.trim();
        let is_next = pieces.any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        (is_next && url.starts_with('<') && url.ends_with('>'))
            .then(|| url[1..url.len() - 1].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

    fn fixture(name: &str) -> Option<String> {
        std::fs::read_to_string(format!("{FIXTURES}/{name}")).ok()
    }

    #[test]
    fn recorded_mixed_page_drops_pull_requests() {
        let Some(body) = fixture("list-issues.mixed-prs.page1.json") else {
            panic!("fixture missing: {FIXTURES}");
        };
        let page = parse_page("gh", "PyGithub/PyGithub", body.as_bytes()).unwrap();
        assert_eq!(page.pull_requests, 9, "BEHAVIOURS.md: 9 of 30 are PRs");
        assert_eq!(page.items.len(), 21);
        assert!(page.malformed.is_empty());
        // Each item's raw JSON is the exact slice of the page.
        for item in &page.items {
            assert!(body.contains(&item.raw));
        }
    }

    #[test]
    fn link_header_next_is_found_and_last_page_has_none() {
        for (name, expect_next) in [
            ("list-issues.page1.headers.json", true),
            ("list-issues.page3.headers.json", true),
            ("list-issues.page5.headers.json", false),
        ] {
            let text = fixture(name).expect("fixture");
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let mut h = HeaderMap::new();
            h.insert(
                http::header::LINK,
                v["headers"]["link"].as_str().unwrap().parse().unwrap(),
            );
            let next = parse_link_next(&h);
            assert_eq!(next.is_some(), expect_next, "{name}");
            if let Some(n) = next {
                assert!(n.starts_with("https://api.github.com/repositories/"), "{n}");
            }
        }
    }

    #[test]
    fn unknown_enum_values_and_broken_surrogates_do_not_fail_an_entry() {
        let raw = r#"{"id":1,"number":7,"title":"bad \ud800 text","body":"x \udc00 y \ud83d\ude00","state":"closed","state_reason":"duplicate_of_a_future_kind","labels":[{"name":"risk"},"incident"],"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-02T00:00:00Z"}"#;
        let item = parse_issue("acme/x", raw).unwrap().unwrap();
        assert_eq!(item.key, "acme/x#7");
        assert_eq!(item.title, "bad \u{FFFD} text");
        assert!(item.body.contains('😀'));
        assert_eq!(
            item.state_reason.as_deref(),
            Some("duplicate_of_a_future_kind")
        );
        assert_eq!(
            item.labels,
            vec!["risk".to_string(), "incident".to_string()]
        );
        assert_eq!(item.raw, raw);
    }

    #[test]
    fn an_entry_that_is_not_an_issue_is_reported_with_its_json() {
        let body = br#"[{"id":1,"number":1,"state":"open","created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"},{"number":2,"state":"open"}]"#;
        let page = parse_page("gh", "acme/x", body).unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.malformed.len(), 1);
        assert_eq!(page.malformed[0].key, "acme/x#2");
        assert!(page.malformed[0].raw.contains("\"number\":2"));
    }

    #[test]
    fn a_page_that_is_not_json_is_transient() {
        let err = parse_page("gh", "acme/x", b"[{\"id\":1,").unwrap_err();
        assert!(err.is_retryable(), "{err}");
    }
}
