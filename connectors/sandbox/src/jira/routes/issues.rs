//! Issue endpoints: one issue (with field selection and expansions), many
//! issues at once, its changelog (and many issues' at once), and editing it (`fields` and `update`, labels, summary,
//! description, due date, assignee, priority, custom fields).

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::super::b64;
use super::super::catalog::{self, cf_index};
use super::super::clock::now_ms;
use super::super::fields::{Sel, SelDefault};
use super::super::state::{self, CfVal, JErr, World};
use super::super::{adf, cf_value, Shared};
use super::answer::Outcome;
use super::call::{expand, uint, Call, LIST_DEFAULT_PAGE};
use super::messages::BAD_PAYLOAD;

/// `GET /issue/{key}`: every field unless `fields` says otherwise.
pub(super) fn get_issue(sh: &Shared, call: &Call<'_>, key: &str) -> Outcome {
    let w = sh.read();
    let i = match w.resolve(key) {
        Ok(i) => i,
        Err(e) => return Outcome::from_err(e),
    };
    let sel = Sel::parse(&call.params.all("fields"), SelDefault::All);
    let ex = expand(&call.params);
    let ctx = call.ctx(&w);
    let mut v = ctx.issue(i, &sel, ex.iter().any(|e| e == "changelog"));
    if ex.iter().any(|e| e == "names") {
        v["names"] = ctx.names();
    }
    Outcome::ok(&v)
}

/// `GET /issue/{key}/changelog`, paged with `nextPage`.
pub(super) fn changelog(sh: &Shared, call: &Call<'_>, key: &str) -> Outcome {
    let start = match uint(&call.params, "startAt") {
        Ok(s) => s.unwrap_or(0),
        Err(o) => return o,
    };
    let max = match uint(&call.params, "maxResults") {
        Ok(m) => m.unwrap_or(LIST_DEFAULT_PAGE).clamp(1, LIST_DEFAULT_PAGE),
        Err(o) => return o,
    };
    let w = sh.read();
    let i = match w.resolve(key) {
        Ok(i) => i,
        Err(e) => return Outcome::from_err(e),
    };
    let issue = &w.issues[i as usize];
    let ctx = call.ctx(&w);
    let total = issue.histories.len();
    let end = start.saturating_add(max).min(total);
    let values: Vec<Value> = issue.histories[start.min(end)..end]
        .iter()
        .map(|h| ctx.history(h))
        .collect();
    let url = |s: usize| {
        format!(
            "{}/rest/api/{}/issue/{key}/changelog?maxResults={max}&startAt={s}",
            call.base,
            if call.v3 { 3 } else { 2 }
        )
    };
    let mut v = json!({
        "self": url(start),
        "maxResults": max,
        "startAt": start,
        "total": total,
        "isLast": end >= total,
        "values": values
    });
    if end < total {
        v["nextPage"] = json!(url(end));
    }
    Outcome::ok(&v)
}

/// The live issues `named` (ids or keys, as text or numbers) names, each
/// once; the others are left out, as Jira's bulk endpoints do.
fn named_issues(w: &World, named: &[Value]) -> Vec<u32> {
    let mut issues: Vec<u32> = named
        .iter()
        .filter_map(|v| match v {
            Value::String(s) => w.resolve(s).ok(),
            Value::Number(n) => w.resolve(&n.to_string()).ok(),
            _ => None,
        })
        .collect();
    issues.sort_unstable();
    issues.dedup();
    issues
}

/// Issues a `POST /issue/bulkfetch` may name: 100, or 1,000 when the
/// request can be served efficiently (see [`bulk_fetch`]).
const BULK_FETCH_PLAIN: usize = 100;
pub(crate) const BULK_FETCH_EFFICIENT: usize = 1000;

/// Fields and expansions that hold a request to the plain limit.
const MULTI_VALUED_FIELDS: &[&str] = &["comment", "worklog", "attachment"];
const HEAVY_EXPANSIONS: &[&str] = &[
    "changelog",
    "editmeta",
    "operations",
    "renderedFields",
    "transitions",
    "versionedRepresentations",
];

/// `POST /issue/bulkfetch` (Cloud): the issues named in `issueIdsOrKeys`
/// (ids or keys) in ascending id order, with the `fields` asked for (the
/// navigable ones by default) and `expand` (a list). Up to 100 issues; up
/// to 1,000 when the request can be served efficiently: `fields` names at
/// least one field (not only exclusions, no `*all` or `*navigable`), at
/// most 100, none of `comment`, `worklog`, `attachment`, and no heavy
/// expansion. More is a 400. Issues that do not exist are left out, not
/// listed in `issueErrors` (which the sandbox leaves empty).
pub(super) fn bulk_fetch(sh: &Shared, call: &Call<'_>) -> Outcome {
    let body = match call.json_body() {
        Ok(b) => b,
        Err(o) => return o,
    };
    let Some(obj) = body.as_object() else {
        return Outcome::bad(BAD_PAYLOAD);
    };
    const ALLOWED: &[&str] = &[
        "issueIdsOrKeys",
        "fields",
        "expand",
        "properties",
        "fieldsByKeys",
    ];
    if obj.keys().any(|k| !ALLOWED.contains(&k.as_str())) {
        return Outcome::bad(BAD_PAYLOAD);
    }
    let list = |k: &str| -> Option<Vec<String>> {
        match obj.get(k) {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(a)) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
            Some(_) => None,
        }
    };
    let (Some(fields), Some(expand)) = (list("fields"), list("expand")) else {
        return Outcome::bad(BAD_PAYLOAD);
    };
    let Some(named) = obj.get("issueIdsOrKeys").and_then(Value::as_array) else {
        return Outcome::bad("issueIdsOrKeys must be provided.");
    };
    let included: Vec<&str> = fields
        .iter()
        .flat_map(|f| f.split(','))
        .map(str::trim)
        .filter(|f| !f.is_empty() && !f.starts_with('-'))
        .collect();
    let efficient = !included.is_empty()
        && included.len() <= 100
        && included
            .iter()
            .all(|f| !f.starts_with('*') && !MULTI_VALUED_FIELDS.contains(f))
        && !expand
            .iter()
            .any(|e| HEAVY_EXPANSIONS.contains(&e.as_str()));
    let limit = if efficient {
        BULK_FETCH_EFFICIENT
    } else {
        BULK_FETCH_PLAIN
    }
    .min(sh.bulk_fetch_max().unwrap_or(usize::MAX));
    if named.is_empty() || named.len() > limit {
        return Outcome::bad(&format!(
            "issueIdsOrKeys must name between 1 and {limit} issues for this request."
        ));
    }
    let w = sh.read();
    let mut issues = named_issues(&w, named);
    issues.sort_unstable_by_key(|&i| w.issues[i as usize].id);
    let sel = Sel::parse(&fields, SelDefault::Navigable);
    let changelog = expand.iter().any(|e| e == "changelog");
    let ctx = call.ctx(&w);
    let mut rest = Map::new();
    rest.insert("issueErrors".into(), json!([]));
    Outcome::ok_issues(
        issues.len(),
        issues.iter().map(|&i| ctx.issue(i, &sel, changelog)),
        rest,
    )
}

/// Issues a `POST /changelog/bulkfetch` may name, and histories a page
/// holds at most (and by default).
const BULK_ISSUES: usize = 1000;
const BULK_PAGE: usize = 1000;

/// `POST /changelog/bulkfetch` (Cloud): the changelogs of up to 1,000
/// issues named by id or key, oldest history first (then the smaller issue
/// id), `maxResults` histories a page, consecutive histories of one issue
/// grouped under its id in `issueChangeLogs` (so one issue's may continue
/// on the next page); an opaque `nextPageToken` continues, absent on the
/// last page. An issue that does not exist is left out.
pub(super) fn bulk_changelog(sh: &Shared, call: &Call<'_>) -> Outcome {
    let body = match call.json_body() {
        Ok(b) => b,
        Err(o) => return o,
    };
    let Some(named) = body.get("issueIdsOrKeys").and_then(Value::as_array) else {
        return Outcome::bad("issueIdsOrKeys must be provided.");
    };
    if named.is_empty() || named.len() > BULK_ISSUES {
        return Outcome::bad(&format!(
            "issueIdsOrKeys must name between 1 and {BULK_ISSUES} issues."
        ));
    }
    let max = match body.get("maxResults") {
        None | Some(Value::Null) => BULK_PAGE,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => (n as usize).min(BULK_PAGE),
            _ => return Outcome::bad("maxResults must be a positive integer."),
        },
    }
    .min(sh.page_cap().unwrap_or(BULK_PAGE));
    let start = match body.get("nextPageToken") {
        None | Some(Value::Null) => 0,
        Some(t) => match t
            .as_str()
            .and_then(b64::decode)
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<usize>().ok())
        {
            Some(n) => n,
            None => return Outcome::bad("The nextPageToken is invalid."),
        },
    };
    let w = sh.read();
    let issues = named_issues(&w, named);
    // (created, issue id, issue, history)
    let mut all: Vec<(i64, u64, u32, usize)> = issues
        .iter()
        .flat_map(|&i| {
            let issue = &w.issues[i as usize];
            issue
                .histories
                .iter()
                .enumerate()
                .map(move |(h, hist)| (hist.created, issue.id, i, h))
        })
        .collect();
    all.sort_unstable();
    let end = start.saturating_add(max).min(all.len());
    let ctx = call.ctx(&w);
    let mut logs: Vec<Value> = Vec::new();
    let mut last: Option<u64> = None;
    for &(_, id, i, h) in &all[start.min(end)..end] {
        let history = ctx.history(&w.issues[i as usize].histories[h]);
        match logs.last_mut() {
            Some(log) if last == Some(id) => {
                if let Some(list) = log["changeHistories"].as_array_mut() {
                    list.push(history);
                }
            }
            _ => logs.push(json!({"issueId": id.to_string(), "changeHistories": [history]})),
        }
        last = Some(id);
    }
    let mut v = json!({ "issueChangeLogs": logs });
    if end < all.len() {
        v["nextPageToken"] = json!(b64::encode(end.to_string().as_bytes()));
    }
    Outcome::ok(&v)
}

/// One validated change of an edit.
enum Change {
    Labels {
        add: Vec<String>,
        remove: Vec<String>,
        set: Option<Vec<String>>,
    },
    Summary(String),
    Description(Option<Value>),
    Due(Option<chrono::NaiveDate>),
    Assignee(Option<u32>),
    Priority(u8),
    Custom(u16, Option<CfVal>),
}

const NOT_SETTABLE: &str = "cannot be set. It is not on the appropriate screen, or unknown.";

fn label_values(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "Labels must be strings.".to_string())
            })
            .collect(),
        Value::Null => Ok(Vec::new()),
        _ => Err("Labels must be strings.".into()),
    }
}

/// Converts a `set`/`fields` value of field `fid` into a change.
fn field_change(w: &World, call: &Call<'_>, fid: &str, v: &Value) -> Result<Change, String> {
    match fid {
        "labels" => {
            let labels = label_values(v)?;
            for l in &labels {
                state::check_label(l).map_err(|e| match e {
                    JErr::Field(_, m) => m,
                    _ => String::new(),
                })?;
            }
            Ok(Change::Labels {
                add: Vec::new(),
                remove: Vec::new(),
                set: Some(labels),
            })
        }
        "summary" => v
            .as_str()
            .map(|s| Change::Summary(s.to_string()))
            .ok_or_else(|| "Operation value must be a string".to_string()),
        "description" => match v {
            Value::Null => Ok(Change::Description(None)),
            Value::String(s) if !call.v3 => Ok(Change::Description(
                (!s.trim().is_empty()).then(|| adf::from_text(s)),
            )),
            d if call.v3 && adf::is_doc(d) => Ok(Change::Description(Some(d.clone()))),
            _ if call.v3 => Err(
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
                    .into(),
            ),
            _ => Err("Operation value must be a string".into()),
        },
        "duedate" => match v {
            Value::Null => Ok(Change::Due(None)),
            Value::String(s) => chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map(|d| Change::Due(Some(d)))
                .map_err(|_| format!("Error parsing date string: {s}")),
            _ => Err("Operation value must be a string".into()),
        },
        "assignee" => match v {
            Value::Null => Ok(Change::Assignee(None)),
            Value::Object(o) => {
                let who = ["accountId", "name", "id"]
                    .iter()
                    .find_map(|k| o.get(*k).and_then(Value::as_str));
                match who {
                    None => Ok(Change::Assignee(None)),
                    Some(x) => w
                        .find_user(x)
                        .map(|u| Change::Assignee(Some(u)))
                        .ok_or_else(|| format!("User '{x}' does not exist.")),
                }
            }
            _ => Err("expected Object containing a 'name' property".into()),
        },
        "priority" => {
            let name = v
                .get("name")
                .or_else(|| v.get("id"))
                .and_then(Value::as_str)
                .unwrap_or("");
            catalog::priority_by_name(name)
                .map(Change::Priority)
                .ok_or_else(|| format!("Priority name '{name}' is not valid"))
        }
        _ => match cf_index(fid).filter(|_| fid.starts_with("customfield_")) {
            Some(ix) => cf_value(w, ix, v, call.mode()).map(|val| Change::Custom(ix, val)),
            None => Err(format!("Field '{fid}' {NOT_SETTABLE}")),
        },
    }
}

/// `PUT /issue/{key}`: `fields` (set) and `update` (operations) checked
/// all at once, applied as one history entry.
pub(super) fn edit_issue(sh: &Shared, call: &Call<'_>, key: &str) -> Outcome {
    let body = match call.json_body() {
        Ok(b) => b,
        Err(o) => return o,
    };
    let Some(obj) = body.as_object() else {
        return Outcome::bad(BAD_PAYLOAD);
    };
    let mut w = sh.write();
    let i = match w.resolve(key) {
        Ok(i) => i,
        Err(e) => return Outcome::from_err(e),
    };
    let empty = Map::new();
    let fields = obj
        .get("fields")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let update = obj
        .get("update")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut errors: Vec<(String, String)> = Vec::new();
    let mut changes = Vec::new();
    for (fid, v) in fields {
        if update.contains_key(fid) {
            errors.push((
                fid.clone(),
                format!("Field '{fid}' cannot be set in both 'fields' and 'update'."),
            ));
            continue;
        }
        match field_change(&w, call, fid, v) {
            Ok(c) => changes.push(c),
            Err(m) => errors.push((fid.clone(), m)),
        }
    }
    for (fid, ops) in update {
        let Some(ops) = ops.as_array() else {
            errors.push((fid.clone(), "Operations must be a list.".into()));
            continue;
        };
        if fid == "labels" {
            let (mut add, mut remove, mut set) = (Vec::new(), Vec::new(), None);
            for op in ops {
                let Some(o) = op.as_object() else {
                    errors.push((fid.clone(), "Operations must be objects.".into()));
                    continue;
                };
                for (verb, val) in o {
                    let vals = match label_values(val) {
                        Ok(v) => v,
                        Err(m) => {
                            errors.push((fid.clone(), m));
                            continue;
                        }
                    };
                    for l in &vals {
                        if let Err(JErr::Field(f, m)) = state::check_label(l) {
                            errors.push((f, m));
                        }
                    }
                    match verb.as_str() {
                        "add" => add.extend(vals),
                        "remove" => remove.extend(vals),
                        "set" => set = Some(vals),
                        other => errors.push((
                            fid.clone(),
                            format!("Operation '{other}' is not supported for the labels field."),
                        )),
                    }
                }
            }
            changes.push(Change::Labels { add, remove, set });
            continue;
        }
        for op in ops {
            match op.get("set") {
                Some(v) => match field_change(&w, call, fid, v) {
                    Ok(c) => changes.push(c),
                    Err(m) => errors.push((fid.clone(), m)),
                },
                None => errors.push((
                    fid.clone(),
                    format!("Field '{fid}' only supports the 'set' operation here."),
                )),
            }
        }
    }
    if !errors.is_empty() {
        errors.dedup();
        return Outcome::field_errors(&errors);
    }
    let author = w.user(call.login);
    let now = now_ms();
    let before = w.issues[i as usize].histories.len();
    for c in changes {
        let r = match c {
            Change::Labels { add, remove, set } => w
                .edit_labels(i, &add, &remove, set.as_deref(), author, now)
                .map(|_| ()),
            Change::Summary(s) => w.set_summary(i, &s, author, now).map(|_| ()),
            Change::Description(d) => {
                w.set_description(i, d, author, now);
                Ok(())
            }
            Change::Due(d) => {
                w.set_duedate(i, d, author, now);
                Ok(())
            }
            Change::Assignee(u) => {
                w.set_assignee(i, u, author, now);
                Ok(())
            }
            Change::Priority(p) => {
                w.set_priority(i, p, author, now);
                Ok(())
            }
            Change::Custom(ix, v) => {
                if let Some(CfVal::Select(s)) = &v {
                    w.option_id(ix, s);
                }
                w.set_custom(i, ix, v, author, now);
                Ok(())
            }
        };
        if let Err(e) = r {
            return Outcome::from_err(e);
        }
    }
    // One edit is one history entry, whatever it changed.
    let issue = &mut w.issues[i as usize];
    if issue.histories.len() > before + 1 {
        let extra: Vec<_> = issue.histories.drain(before + 1..).collect();
        for h in extra {
            issue.histories[before].items.extend(h.items);
        }
        // Each change bumped `updated` by at least a millisecond; the edit
        // happened once.
        issue.updated = issue.histories[before].created;
    }
    drop(w);
    if call.params.get("returnIssue") == Some("true") {
        let w = sh.read();
        let sel = Sel::parse(&call.params.all("fields"), SelDefault::All);
        return Outcome::ok(&call.ctx(&w).issue(i, &sel, false));
    }
    Outcome::empty(StatusCode::NO_CONTENT)
}
