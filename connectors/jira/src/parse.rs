//! Reading Jira JSON: search pages and single issues into [`Item`]s, error
//! bodies into messages. Tolerant by design: unknown keys, status
//! categories and resolutions pass through, one bad issue becomes a
//! [`Malformed`] and never fails its page, and each issue's JSON is kept
//! exactly as it arrived (a borrowed [`RawValue`] slice of the body).

use chrono::{DateTime, NaiveDate, Utc};
use recur_core::{Item, ItemLink, Malformed, Page, State};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::adf::adf_to_text;
use crate::fields::FieldMap;

/// What mapping an issue needs besides its JSON.
pub struct MapCtx<'a> {
    /// The site root, ending in `/` (`https://acme.atlassian.net/`).
    pub site: &'a url::Url,
    /// Heading → field id.
    pub fields: &'a FieldMap,
}

/// A search answer's envelope; issues are kept raw.
#[derive(Deserialize)]
pub struct Envelope<'a> {
    #[serde(borrow, default)]
    pub issues: Option<Vec<&'a RawValue>>,
    /// Cloud: the next page's token; absent (or null) on the last page.
    #[serde(rename = "nextPageToken", default)]
    pub next_page_token: Option<String>,
    /// Data Center: the offset of this page.
    #[serde(rename = "startAt", default)]
    pub start_at: Option<u64>,
    /// Data Center: how many issues match in all.
    #[serde(default)]
    pub total: Option<u64>,
}

/// Reads a Jira timestamp: `2022-12-08T02:22:18.889-0800` (offset without
/// a colon), RFC 3339, or anything `normalize::parse_timestamp` reads.
pub fn parse_jira_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| recur_core::normalize::parse_timestamp(s).ok().flatten())
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().filter(|s| !s.is_empty())
}

/// Replaces `\uD800`-style escapes that do not form a pair with `\uFFFD`, so
/// text with broken surrogates still maps (serde_json rejects them). The raw
/// JSON is kept unchanged.
fn repair_surrogates(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let hex_at = |i: usize| -> Option<u16> {
        if raw.get(i..i + 2)? != "\\u" {
            return None;
        }
        u16::from_str_radix(raw.get(i + 2..i + 6)?, 16).ok()
    };
    let mut i = 0;
    while i < raw.len() {
        if raw.as_bytes()[i] == b'\\' {
            if let Some(cu) = hex_at(i) {
                let paired = (0xD800..0xDC00).contains(&cu)
                    && hex_at(i + 6).is_some_and(|n| (0xDC00..0xE000).contains(&n));
                if paired {
                    out.push_str(&raw[i..i + 12]);
                    i += 12;
                } else if (0xD800..0xE000).contains(&cu) {
                    out.push_str("\\uFFFD");
                    i += 6;
                } else {
                    out.push_str(&raw[i..i + 6]);
                    i += 6;
                }
                continue;
            }
            // Any other escape: the backslash and the escaped character.
            let end = raw[i + 1..]
                .chars()
                .next()
                .map_or(i + 1, |c| i + 1 + c.len_utf8());
            out.push_str(&raw[i..end]);
            i = end;
            continue;
        }
        let c = raw[i..].chars().next().unwrap_or('\u{FFFD}');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn read_json(raw: &str, links: bool) -> Result<Value, String> {
    match skim(raw, links) {
        Ok(v) => Ok(v),
        Err(e) => {
            let repaired = repair_surrogates(raw);
            if repaired != raw {
                skim(&repaired, links).map_err(|e| e.to_string())
            } else {
                Err(e.to_string())
            }
        }
    }
}

/// An issue's JSON as a [`Value`], less what [`parse_issue`] never reads:
/// of each issue link, the linked issue's fields (its summary, status,
/// priority and type, with their icons). Those were most of an issue's
/// bytes in a search page, and building them as values, then dropping
/// them, took a fifth of a Jira sync's parse-side CPU. Everything read is
/// read exactly as a whole `Value`: the same numbers and strings, the last
/// of a repeated key winning, a broken escape failing the read (so the
/// caller repairs it and reads again). What is skipped is only checked to
/// be JSON. With `links` false (a section is read from `issuelinks`, and
/// renders the links whole), nothing is skipped.
fn skim(raw: &str, links: bool) -> Result<Value, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(raw);
    let v = if links {
        Skim::Issue.deserialize(&mut de)?
    } else {
        Value::deserialize(&mut de)?
    };
    de.end()?;
    Ok(v)
}

/// Where [`skim`] is in an issue: each level keeps what the mapping reads
/// of it. A value of another JSON type than the level expects becomes
/// `null`: the mapping reads none of it (it asks an object for keys, an
/// array for elements, and gets nothing from anything else).
#[derive(Clone, Copy)]
enum Skim {
    /// The issue: `fields` skimmed, the rest whole.
    Issue,
    /// Its fields: `issuelinks` skimmed, the rest whole.
    Fields,
    /// `issuelinks`: each link skimmed.
    Links,
    /// One link: the linked issue on either side skimmed, the rest whole.
    Link,
    /// The linked issue: its key only.
    Linked,
}

impl<'de> serde::de::DeserializeSeed<'de> for Skim {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Skim {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let inner = match (self, key.as_str()) {
                (Skim::Issue, "fields") => Some(Skim::Fields),
                (Skim::Fields, "issuelinks") => Some(Skim::Links),
                (Skim::Link, "outwardIssue" | "inwardIssue") => Some(Skim::Linked),
                (Skim::Linked, "key") => None,
                // The linked issue's other keys, and an object where the
                // links' array belongs: not read.
                (Skim::Linked | Skim::Links, _) => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    continue;
                }
                _ => None,
            };
            let value = match inner {
                Some(seed) => map.next_value_seed(seed)?,
                None => map.next_value::<Value>()?,
            };
            out.insert(key, value);
        }
        Ok(match self {
            Skim::Links => Value::Null,
            _ => Value::Object(out),
        })
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if let Skim::Links = self {
            let mut links = Vec::new();
            while let Some(link) = seq.next_element_seed(Skim::Link)? {
                links.push(link);
            }
            return Ok(Value::Array(links));
        }
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_str<E>(self, _: &str) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// The numeric part of `OPS-12`.
pub fn key_number(key: &str) -> Option<i64> {
    let (project, n) = key.rsplit_once('-')?;
    if project.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

const DECLINED_RESOLUTIONS: &[&str] = &[
    "won't do",
    "won't fix",
    "wont do",
    "wont fix",
    "declined",
    "rejected",
];

/// Lifecycle words that a Jira status name may already be.
const LIFECYCLE: &[&str] = &[
    "proposed",
    "accepted",
    "in progress",
    "blocked",
    "done",
    "declined",
];

/// The lifecycle status recur records for a Jira status.
///
/// | Jira | tracker status |
/// |---|---|
/// | closed with resolution Won't Do / Won't Fix / Declined / Rejected | `declined` |
/// | status name already a lifecycle word (`Blocked`, `Accepted`, …) | that word |
/// | category `new` | `accepted` if assigned, else `proposed` |
/// | category `indeterminate` | `in progress` |
/// | category `done` | `done` |
/// | any other category (or none) | the status name, lower-cased |
pub fn tracker_status(
    status_name: Option<&str>,
    category: Option<&str>,
    resolution: Option<&str>,
    closed: bool,
    assigned: bool,
) -> Option<String> {
    if closed {
        if let Some(r) = resolution {
            let r = r.trim().to_lowercase().replace('’', "'");
            if DECLINED_RESOLUTIONS.contains(&r.as_str()) {
                return Some("declined".into());
            }
        }
    }
    let name = status_name.map(|s| s.trim().to_lowercase().replace(['-', '_'], " "));
    if let Some(n) = name.as_deref() {
        if LIFECYCLE.contains(&n) {
            return Some(n.to_string());
        }
    }
    match category {
        Some("new") => Some(if assigned { "accepted" } else { "proposed" }.into()),
        Some("indeterminate") => Some("in progress".into()),
        Some("done") => Some("done".into()),
        _ => name.filter(|n| !n.is_empty()),
    }
}

/// Maps one issue's JSON into an [`Item`].
///
/// Required: `key` (with a numeric suffix), `fields.created` and
/// `fields.updated`. Everything else is optional: a missing `id` falls back
/// to the key, a missing status category to "closed iff resolved".
pub fn parse_issue(raw: &str, ctx: &MapCtx<'_>) -> Result<Item, String> {
    map_issue(raw, ctx, !ctx.fields.reads("issuelinks"))
}

/// [`parse_issue`], reading the linked issues' fields or not (see
/// [`skim`]); the answer is the same either way.
fn map_issue(raw: &str, ctx: &MapCtx<'_>, skim_links: bool) -> Result<Item, String> {
    let v = read_json(raw, skim_links)?;
    let key = str_at(&v, &["key"]).ok_or("no key")?.to_string();
    let number = key_number(&key).ok_or_else(|| format!("key {key:?} has no number"))?;
    let empty = Map::new();
    let fields = v.get("fields").and_then(Value::as_object).unwrap_or(&empty);
    let f = |name: &str| fields.get(name).filter(|x| !x.is_null());
    let time = |name: &str| -> Result<Option<DateTime<Utc>>, String> {
        match f(name) {
            None => Ok(None),
            Some(Value::String(s)) => parse_jira_time(s)
                .map(Some)
                .ok_or_else(|| format!("fields.{name} is not a timestamp: {s:?}")),
            Some(other) => Err(format!("fields.{name} is not a timestamp: {other}")),
        }
    };
    let created_at = time("created")?.ok_or("no fields.created")?;
    let updated_at = time("updated")?.ok_or("no fields.updated")?;
    let container = fields
        .get("project")
        .and_then(|p| str_at(p, &["key"]))
        .map(str::to_string)
        .unwrap_or_else(|| {
            key.rsplit_once('-')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default()
        });
    let external_id = match v.get("id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => key.clone(),
    };
    let status = f("status");
    let status_name = status.and_then(|s| str_at(s, &["name"]));
    let category = status.and_then(|s| str_at(s, &["statusCategory", "key"]));
    let resolution = f("resolution").and_then(|r| str_at(r, &["name"]));
    let closed = match category {
        Some(c) => c == "done",
        // Trimmed payloads without a category: resolved means closed.
        None => f("resolution").is_some(),
    };
    let assignee = f("assignee").and_then(|a| {
        ["displayName", "name", "accountId"]
            .iter()
            .find_map(|k| str_at(a, &[k]))
            .map(str::to_string)
    });
    let labels = match f("labels") {
        Some(Value::Array(ls)) => ls
            .iter()
            .filter_map(|l| match l {
                Value::String(s) => Some(s.clone()),
                other => str_at(other, &["name"]).map(str::to_string),
            })
            .collect(),
        _ => Vec::new(),
    };
    let due_date = f("duedate")
        .and_then(Value::as_str)
        .and_then(|d| NaiveDate::parse_from_str(d.get(..10).unwrap_or(d), "%Y-%m-%d").ok());
    // Resolution date, else when the status category last changed (set
    // even by workflows without a resolution); only for closed issues.
    let closed_at = if closed {
        time("resolutiondate")
            .ok()
            .flatten()
            .or_else(|| time("statuscategorychangedate").ok().flatten())
    } else {
        None
    };
    let body = f("description").map(adf_to_text).unwrap_or_default();
    // Custom fields first; a description written from a template
    // (`### Owner` headings) fills the headings they left empty.
    let mut sections = ctx.fields.sections(fields);
    for (heading, text) in recur_core::normalize::parse_form_body(&body) {
        let known = sections.keys().any(|k| k.eq_ignore_ascii_case(&heading));
        if !known {
            sections.insert(heading, text);
        }
    }
    let mut links = Vec::new();
    if let Some(Value::Array(ls)) = f("issuelinks") {
        for l in ls {
            let ty = l.get("type");
            for (side, dir) in [("outwardIssue", "outward"), ("inwardIssue", "inward")] {
                if let Some(target) = l.get(side).and_then(|i| str_at(i, &["key"])) {
                    let relation = ty
                        .and_then(|t| str_at(t, &[dir]).or_else(|| str_at(t, &["name"])))
                        .unwrap_or("relates to");
                    links.push(ItemLink {
                        relation: relation.to_string(),
                        target: target.to_string(),
                    });
                }
            }
        }
    }
    if let Some(parent) = f("parent").and_then(|p| str_at(p, &["key"])) {
        links.push(ItemLink {
            relation: "parent".into(),
            target: parent.to_string(),
        });
    }
    let url = ctx
        .site
        .join(&format!("browse/{key}"))
        .map(String::from)
        .unwrap_or_else(|_| format!("{}browse/{key}", ctx.site));
    Ok(Item {
        tracker_status: tracker_status(
            status_name,
            category,
            resolution,
            closed,
            assignee.is_some(),
        ),
        key,
        container,
        number,
        external_id,
        url,
        title: f("summary")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        body,
        state: if closed { State::Closed } else { State::Open },
        state_reason: resolution.map(str::to_string),
        labels,
        issue_type: f("issuetype")
            .and_then(|t| str_at(t, &["name"]))
            .map(str::to_string),
        assignee,
        due_date,
        created_at,
        updated_at,
        closed_at,
        sections,
        links,
        raw: raw.to_string(),
    })
}

/// The key and `updated` of an entry, whatever else is wrong with it.
fn entry_facts(raw: &str) -> (Option<String>, Option<DateTime<Utc>>) {
    #[derive(Deserialize)]
    struct Fields {
        #[serde(default)]
        updated: Option<Value>,
    }
    #[derive(Deserialize)]
    struct Facts {
        #[serde(default)]
        key: Option<Value>,
        #[serde(default)]
        fields: Option<Fields>,
    }
    match serde_json::from_str::<Facts>(&repair_surrogates(raw)) {
        Ok(f) => (
            f.key.and_then(|k| k.as_str().map(str::to_string)),
            f.fields
                .and_then(|f| f.updated)
                .and_then(|u| u.as_str().and_then(parse_jira_time)),
        ),
        Err(_) => (None, None),
    }
}

/// Maps a page of raw issues ([`map_entries`]).
#[cfg(test)]
pub fn map_issues(issues: &[&RawValue], container: &str, ctx: &MapCtx<'_>) -> Page {
    map_entries(issues.iter().map(|r| r.get()), container, ctx)
}

/// Maps a page's issues, the JSON text of each; `newest` counts malformed
/// entries too.
pub fn map_entries<'e>(
    issues: impl IntoIterator<Item = &'e str>,
    container: &str,
    ctx: &MapCtx<'_>,
) -> Page {
    let mut page = Page::default();
    for (pos, raw) in issues.into_iter().enumerate() {
        match parse_issue(raw, ctx) {
            Ok(item) => {
                if Some(item.updated_at) > page.newest {
                    page.newest = Some(item.updated_at);
                }
                page.items.push(item);
            }
            Err(reason) => {
                // Only a malformed entry is read a second time, for what
                // can still be read of it (reading every entry twice cost
                // a tenth of a Jira sync's parse thread).
                let (key, updated) = entry_facts(raw);
                if updated > page.newest {
                    page.newest = updated;
                }
                page.malformed.push(Malformed {
                    key: key.unwrap_or_else(|| format!("{container}@{pos}")),
                    reason,
                    raw: raw.to_string(),
                });
            }
        }
    }
    page
}

/// The message of an error body: Jira's `{errorMessages, errors}` (read
/// with gouqi's `Errors`), else the body's text with HTML tags and control
/// characters removed; at most 200 characters.
pub fn error_message(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<gouqi::Errors>(body) {
        Ok(e) if !e.error_messages.is_empty() || !e.errors.is_empty() || e.error.is_some() => {
            let mut parts: Vec<String> = e.error_messages;
            parts.extend(e.errors.into_iter().map(|(k, v)| format!("{k}: {v}")));
            parts.extend(e.error);
            parts.join("; ")
        }
        _ => strip_tags(&String::from_utf8_lossy(body)),
    };
    let out = recur_core::server_text(&text);
    if out.is_empty() {
        "(empty body)".into()
    } else {
        out
    }
}

/// Where the ASCII `needle` occurs in `hay`, ignoring ASCII case: an index
/// into `hay` itself (and a character boundary, the needle being ASCII).
/// Never search a lower-cased copy and slice the original with its index:
/// lower-casing changes byte lengths (`\u{212a}` KELVIN SIGN → `k`).
pub(crate) fn find_ignore_ascii_case(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return Some(0);
    }
    h.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n))
}

fn starts_with_ignore_ascii_case(hay: &str, prefix: &str) -> bool {
    hay.as_bytes()
        .get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// Drops `<…>` tags and the content of `<style>`/`<script>`/`<head>` up to
/// the title, crudely: enough to turn a Tomcat or proxy error page into its
/// words.
fn strip_tags(s: &str) -> String {
    if !s.trim_start().starts_with('<') {
        return s.to_string();
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        let after = &rest[open..];
        let skip_to = if starts_with_ignore_ascii_case(after, "<style") {
            find_ignore_ascii_case(after, "</style>").map(|i| i + 8)
        } else if starts_with_ignore_ascii_case(after, "<script") {
            find_ignore_ascii_case(after, "</script>").map(|i| i + 9)
        } else {
            after.find('>').map(|i| i + 1)
        };
        match skip_to {
            Some(n) if after.is_char_boundary(n) => rest = &after[n..],
            _ => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::build_field_map;
    use chrono::TimeZone;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

    pub(crate) fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}/{name}"))
            .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
    }

    fn site() -> url::Url {
        url::Url::parse("https://airbyteio.atlassian.net/").unwrap()
    }

    #[test]
    fn jira_timestamps_parse() {
        let t = parse_jira_time("2022-12-08T02:22:18.889-0800").unwrap();
        assert_eq!(
            t,
            Utc.with_ymd_and_hms(2022, 12, 8, 10, 22, 18).unwrap()
                + chrono::Duration::milliseconds(889)
        );
        assert_eq!(
            parse_jira_time("2020-12-03T14:05:20.974+0100").unwrap(),
            Utc.with_ymd_and_hms(2020, 12, 3, 13, 5, 20).unwrap()
                + chrono::Duration::milliseconds(974)
        );
        assert_eq!(
            parse_jira_time("2025-01-09T10:08:00+00:00").unwrap(),
            Utc.with_ymd_and_hms(2025, 1, 9, 10, 8, 0).unwrap()
        );
        assert_eq!(
            parse_jira_time("2025-01-09T10:08:00Z"),
            parse_jira_time("2025-01-09T10:08:00.000+0000")
        );
        assert_eq!(parse_jira_time("yesterday"), None);
    }

    #[test]
    fn real_issue_maps() {
        let raw = fixture("issue.real.json");
        let map = FieldMap::default();
        let item = parse_issue(
            raw.trim(),
            &MapCtx {
                site: &site(),
                fields: &map,
            },
        )
        .unwrap();
        assert_eq!(item.key, "TESTKEY13-1");
        assert_eq!(item.container, "TESTKEY13");
        assert_eq!(item.number, 1);
        assert_eq!(item.external_id, "10627");
        assert_eq!(
            item.url,
            "https://airbyteio.atlassian.net/browse/TESTKEY13-1"
        );
        assert_eq!(item.title, "My Summary");
        assert_eq!(item.state, State::Open);
        assert_eq!(item.state_reason, None);
        assert_eq!(
            item.tracker_status.as_deref(),
            Some("accepted"),
            "To Do, assigned"
        );
        assert_eq!(item.labels, vec!["test"]);
        assert_eq!(item.issue_type.as_deref(), Some("Epic"));
        assert_eq!(item.assignee.as_deref(), Some("integration test"));
        assert_eq!(item.due_date, None);
        assert_eq!(
            item.created_at,
            Utc.with_ymd_and_hms(2022, 6, 9, 23, 29, 31).unwrap()
                + chrono::Duration::milliseconds(871)
        );
        assert_eq!(item.closed_at, None);
        assert!(item.links.is_empty());
        assert!(!item.body.is_empty());
        assert_eq!(item.raw, raw.trim());
    }

    #[test]
    fn enriched_issue_maps_with_custom_fields_by_name() {
        let raw = fixture("issue.enriched.constructed.json");
        // A field list naming the fixture's custom fields like recur's headings.
        let field_list = serde_json::json!([
            {"id": "customfield_10016", "name": "Story point estimate", "custom": true},
            {"id": "customfield_10012", "name": "Severity", "custom": true},
            {"id": "customfield_10003", "name": "Owner", "custom": true},
            {"id": "customfield_10009", "name": "Started at", "custom": true},
            {"id": "customfield_10011", "name": "Service", "custom": true},
            {"id": "customfield_10030", "name": "Risk", "custom": true},
            {"id": "priority", "name": "Priority", "custom": false}
        ])
        .to_string();
        let map = build_field_map(
            field_list.as_bytes(),
            &[("Effort".into(), "Story point estimate".into())],
        )
        .unwrap();
        let item = parse_issue(
            raw.trim(),
            &MapCtx {
                site: &site(),
                fields: &map,
            },
        )
        .unwrap();
        assert_eq!(item.state, State::Closed);
        assert_eq!(item.state_reason.as_deref(), Some("Done"));
        assert_eq!(item.tracker_status.as_deref(), Some("done"));
        assert_eq!(item.labels, vec!["sync-me", "backend"]);
        assert_eq!(item.due_date, NaiveDate::from_ymd_opt(2022, 12, 23));
        assert_eq!(
            item.closed_at,
            Some(
                Utc.with_ymd_and_hms(2022, 12, 8, 10, 22, 18).unwrap()
                    + chrono::Duration::milliseconds(871)
            )
        );
        assert_eq!(
            item.links,
            vec![ItemLink {
                relation: "blocks".into(),
                target: "TESTKEY13-2".into()
            }]
        );
        let sec = |h: &str| item.sections.get(h).map(String::as_str);
        assert_eq!(sec("Effort"), Some("3"));
        assert_eq!(sec("Severity"), Some("To Do"));
        assert_eq!(sec("Owner"), Some("integration test"));
        assert_eq!(sec("Started at"), Some("2022-12-09T00:00:00.000-0800"));
        assert_eq!(sec("Service"), Some("EPIC NAME TEXT"));
        assert_eq!(sec("Priority"), Some("Low"));
        assert_eq!(sec("Resolved at"), Some("2022-12-08T02:22:18.871-0800"));
        assert_eq!(sec("Risk"), None, "null custom fields leave no section");
        assert_eq!(
            item.body,
            "Steps to reproduce: run sync then see the docs\n\n- first\n- second\n\n```rust\nfn main() {}\n```\n\n@integration test please check"
        );
        // The record normalises: the section values parse.
        let norm = recur_core::normalize::normalize(&item, &Default::default());
        assert_eq!(norm.fields.priority.as_deref(), Some("low"));
        assert_eq!(norm.fields.status.as_deref(), Some("done"));
        assert_eq!(
            norm.fields.started_at,
            Some(Utc.with_ymd_and_hms(2022, 12, 9, 8, 0, 0).unwrap())
        );
    }

    #[test]
    fn status_mapping() {
        assert_eq!(
            tracker_status(Some("To Do"), Some("new"), None, false, false).as_deref(),
            Some("proposed")
        );
        assert_eq!(
            tracker_status(Some("To Do"), Some("new"), None, false, true).as_deref(),
            Some("accepted")
        );
        assert_eq!(
            tracker_status(Some("Doing"), Some("indeterminate"), None, false, true).as_deref(),
            Some("in progress")
        );
        assert_eq!(
            tracker_status(Some("Blocked"), Some("indeterminate"), None, false, true).as_deref(),
            Some("blocked")
        );
        assert_eq!(
            tracker_status(Some("Closed"), Some("done"), Some("Fixed"), true, true).as_deref(),
            Some("done")
        );
        assert_eq!(
            tracker_status(Some("Closed"), Some("done"), Some("Won’t Do"), true, true).as_deref(),
            Some("declined")
        );
        assert_eq!(
            tracker_status(Some("Closed"), Some("done"), Some("WON'T FIX"), true, false).as_deref(),
            Some("declined")
        );
        assert_eq!(
            tracker_status(Some("Triage"), Some("undefined"), None, false, false).as_deref(),
            Some("triage")
        );
        assert_eq!(tracker_status(None, None, None, false, false), None);
    }

    #[test]
    fn trimmed_search_entries_without_ids_or_categories_still_map() {
        let body = fixture("search-jql.jira-cli.json");
        let env: Envelope = serde_json::from_str(&body).unwrap();
        let map = FieldMap::default();
        let page = map_issues(
            env.issues.as_deref().unwrap(),
            "TEST",
            &MapCtx {
                site: &site(),
                fields: &map,
            },
        );
        assert!(page.malformed.is_empty(), "{:?}", page.malformed);
        let states: Vec<(String, State, Option<String>)> = page
            .items
            .iter()
            .map(|i| (i.key.clone(), i.state, i.tracker_status.clone()))
            .collect();
        assert_eq!(
            states,
            vec![
                ("TEST-1".into(), State::Open, Some("to do".into())),
                ("TEST-2".into(), State::Open, Some("in progress".into())),
                ("TEST-3".into(), State::Closed, Some("done".into())),
            ]
        );
        assert_eq!(page.items[2].assignee.as_deref(), Some("Person A"));
        assert_eq!(page.items[0].external_id, "TEST-1");
        assert_eq!(page.items[1].labels, vec!["critical", "feature"]);
    }

    /// Regression for skimming the linked issues' fields: the mapping
    /// reads the same item, or fails with the same reason, as when it read
    /// the whole issue as a `Value`. Over the recorded issues and search
    /// pages, and over links written to trip the skim: links and sides of
    /// every JSON type, repeated keys (the last wins), broken surrogates in
    /// what is skipped and in what is read, `issuelinks` that is not an
    /// array, `fields` that is not an object, and a section read from
    /// `issuelinks` itself (then nothing is skipped).
    #[test]
    fn skimming_the_linked_issues_maps_what_reading_them_whole_maps() {
        let ours = FieldMap::default();
        let reads_links = FieldMap {
            by_heading: vec![("Blocked by".into(), "issuelinks".into())],
        };
        assert!(reads_links.reads("issuelinks") && !ours.reads("issuelinks"));
        let mut issues: Vec<String> = Vec::new();
        for name in [
            "issue.real.json",
            "get-issue.spec-example.json",
            "issue.enriched.constructed.json",
        ] {
            issues.push(fixture(name));
        }
        for name in [
            "search-jql.page1.json",
            "search-jql.page2.json",
            "search-jql.jira-cli.json",
            "search-jql.spec-example.json",
            "search-legacy-startAt.spec-example.json",
        ] {
            let body = fixture(name);
            let env: Envelope = serde_json::from_str(&body).unwrap();
            issues.extend(
                env.issues
                    .unwrap_or_default()
                    .iter()
                    .map(|i| i.get().to_string()),
            );
        }
        let head = r#""id":"10","key":"OPS-10","fields":{"created":"2025-01-01T00:00:00.000+0000","updated":"2025-01-02T00:00:00.000+0000","summary":"s","#;
        let links = [
            r#"[{"id":"1","type":{"name":"Blocks","inward":"is blocked by","outward":"blocks"},"outwardIssue":{"id":"2","key":"OPS-2","fields":{"summary":"x \ud800 y","status":{"name":"Done","iconUrl":"http://i"},"priority":{"name":"High"}}}}]"#,
            r#"[{"type":{"name":"Relates"},"inwardIssue":{"key":"OPS-3","key":"OPS-4","fields":[1,2,{"a":null}]}},{"type":"odd","outwardIssue":"OPS-5"},17,null,"x",[{"key":"OPS-6"}],{"outwardIssue":{"key":""}},{"outwardIssue":{"key":5}},{"inwardIssue":{"fields":{}}}]"#,
            r#"[{"type":{"name":"Blocks \ud800"},"outwardIssue":{"key":"OPS-7"}}]"#,
            r#"[{"type":{"name":"Blocks"},"outwardIssue":{"key":"OPS-\ud800"}}]"#,
            r#"[{"type":{"name":"Blocks"},"outwardIssue":{"key":"OPS-8"},"outwardIssue":{"key":"OPS-9"}}]"#,
            r#"[{"outwardIssue":{"key":"OPS-11","fields":{"summary":"\ud83e\udd80 ok"}}}]"#,
            r#"{"outwardIssue":{"key":"OPS-12"}}"#,
            r#""OPS-13""#,
            r#"null"#,
            r#"[]"#,
        ];
        for l in links {
            issues.push(format!(
                r#"{{{head}"issuelinks":{l},"parent":{{"key":"OPS-1"}}}}}}"#
            ));
            issues.push(format!(r#"{{{head}"issuelinks":{l},"issuelinks":[{{"outwardIssue":{{"key":"OPS-14"}}}}]}}}}"#));
        }
        issues.push(format!(
            r#"{{{head}"issuelinks":[{{"outwardIssue":{{"key":"OPS-15"}}}}]}},"fields":7}}"#
        ));
        issues.push(r#"{"key":"OPS-16","fields":"none"}"#.into());
        issues.push("[1,2]".into());
        issues.push("17".into());
        issues.push(format!(
            r#"{{{head}"issuelinks":[{{"outwardIssue":{{"key":"OPS-17"}}}}]}}"#
        ));
        issues.push(format!(r#"{{{head}"issuelinks":[{{"outwardIssue":{{"key":"OPS-18","fields":{{"a":[1,}}}}}}]}}}}"#));
        let mut linked = 0;
        for raw in &issues {
            for map in [&ours, &reads_links] {
                let ctx = MapCtx {
                    site: &site(),
                    fields: map,
                };
                let whole = map_issue(raw, &ctx, false);
                assert_eq!(parse_issue(raw, &ctx), whole, "{raw}");
                if !map.reads("issuelinks") {
                    assert_eq!(map_issue(raw, &ctx, true), whole, "{raw}");
                }
                if let Ok(item) = &whole {
                    linked += item.links.len();
                }
            }
        }
        // The links above were read, not all dropped alike.
        assert!(linked >= 20, "{linked} links");
    }

    #[test]
    fn bad_entries_become_malformed_and_keep_their_json() {
        let body = r#"{"issues":[
            {"id":"1","key":"OPS-1","fields":{"created":"2025-01-01T00:00:00.000+0000","updated":"2025-01-02T00:00:00.000+0000","status":{"name":"Weird","statusCategory":{"key":"brand-new-category"}},"resolution":{"name":"Some Future Resolution"}}},
            {"id":"2","key":"OPS-2","fields":{"created":"2025-01-01T00:00:00.000+0000","updated":"2025-03-01T00:00:00.000+0000","summary":"bad \ud800 text"}},
            {"id":"3","key":"OPS-3","fields":{"created":"nope","updated":"2025-04-01T00:00:00.000+0000"}},
            {"id":"4","fields":{}},
            {"id":"5","key":"NOTAKEY","fields":{"created":"2025-01-01T00:00:00.000+0000","updated":"2025-01-01T00:00:00.000+0000"}},
            17
        ]}"#;
        let env: Envelope = serde_json::from_str(body).unwrap();
        let map = FieldMap::default();
        let page = map_issues(
            env.issues.as_deref().unwrap(),
            "OPS",
            &MapCtx {
                site: &site(),
                fields: &map,
            },
        );
        let keys: Vec<&str> = page.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["OPS-1", "OPS-2"]);
        assert_eq!(
            page.items[0].tracker_status.as_deref(),
            Some("weird"),
            "unknown category passes"
        );
        assert_eq!(
            page.items[0].state_reason.as_deref(),
            Some("Some Future Resolution")
        );
        assert_eq!(page.items[1].title, "bad \u{FFFD} text");
        let bad: Vec<&str> = page.malformed.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(bad, ["OPS-3", "OPS@3", "NOTAKEY", "OPS@5"]);
        assert!(
            page.malformed[0].reason.contains("created"),
            "{}",
            page.malformed[0].reason
        );
        assert_eq!(page.malformed[3].raw, "17");
        assert!(body.contains(&page.malformed[0].raw));
        // The malformed OPS-3 still moves the keyset position.
        assert_eq!(
            page.newest,
            Some(Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap())
        );
    }

    #[test]
    fn error_messages_are_short_and_clean() {
        assert_eq!(
            error_message(fixture("error-400.unbounded-jql.json").as_bytes()),
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
        );
        assert_eq!(
            error_message(fixture("error-400.field-not-settable.json").as_bytes()),
            "labels: Field 'labels' cannot be set. It is not on the appropriate screen, or unknown."
        );
        assert_eq!(
            error_message(b"Client must be authenticated to access this resource.\r\n"),
            "Client must be authenticated to access this resource."
        );
        let html = b"<!doctype html><html><head><title>HTTP Status 429 \xe2\x80\x93 Too Many Requests</title><style>h1 {color:red}</style></head><body><h1>HTTP Status 429</h1></body></html>";
        assert_eq!(
            error_message(html),
            "HTTP Status 429 – Too Many Requests HTTP Status 429"
        );
        let long = "x\u{7}".repeat(500);
        let m = error_message(long.as_bytes());
        assert_eq!(m.chars().count(), 201);
        assert!(!m.contains('\u{7}'));
        assert_eq!(error_message(b""), "(empty body)");
        assert_eq!(error_message(b"<unterminated"), "(empty body)");
    }
}
