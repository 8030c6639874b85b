//! Search: Cloud `search/jql` (page tokens, short pages when many fields
//! are asked for, unbounded queries refused) and Data Center `search`
//! (`startAt`, `total`), over one JQL evaluation cached between pages.

use std::sync::Arc;

use http::{Method, StatusCode};
use serde_json::{json, Value};

use super::super::clock::now_ms;
use super::super::fields::{Sel, SelDefault};
use super::super::jql::{self, Env, SortVal};
use super::super::state;
use super::super::{b64, Shared, USER_TZ_OFFSET_MINUTES};
use super::answer::Outcome;
use super::call::{expand, uint, Call};
use super::messages::{BAD_PAYLOAD, BAD_TOKEN, UNBOUNDED_MESSAGE};

/// Cloud `search/jql`: default page size, the cap, the cap when many fields
/// are asked for, and the cap when only ids or keys are.
const CLOUD_DEFAULT_PAGE: usize = 50;
const CLOUD_MAX_PAGE: usize = 100;
const CLOUD_MANY_FIELDS_PAGE: usize = 37;
pub(crate) const CLOUD_IDS_PAGE: usize = 5000;
/// More fields than this and Cloud returns [`CLOUD_MANY_FIELDS_PAGE`].
const MANY_FIELDS: usize = 5;
/// Data Center `search`: default page size and cap.
const DC_DEFAULT_PAGE: usize = 50;
const DC_MAX_PAGE: usize = 1000;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavour {
    Cloud,
    DataCenter,
}

/// A search request, from the query (GET) or the JSON body (POST).
#[derive(Default)]
struct SearchReq {
    jql: String,
    max: Option<usize>,
    token: Option<String>,
    start_at: Option<usize>,
    fields: Vec<String>,
    expand: Vec<String>,
    /// `validateQuery` (Data Center; default true).
    validate: bool,
}

fn str_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

fn search_request(call: &Call<'_>, flavour: Flavour) -> Result<SearchReq, Outcome> {
    if call.method == Method::GET {
        let p = &call.params;
        return Ok(SearchReq {
            jql: p.get("jql").unwrap_or("").to_string(),
            max: uint(p, "maxResults")?,
            token: p.get("nextPageToken").map(str::to_string),
            start_at: uint(p, "startAt")?,
            fields: p.all("fields"),
            expand: expand(p),
            validate: p.get("validateQuery") != Some("false"),
        });
    }
    let body = call.json_body()?;
    let Some(obj) = body.as_object() else {
        return Err(Outcome::bad(BAD_PAYLOAD));
    };
    let allowed: &[&str] = match flavour {
        Flavour::Cloud => &[
            "jql",
            "nextPageToken",
            "maxResults",
            "fields",
            "expand",
            "properties",
            "fieldsByKeys",
            "reconcileIssues",
            "failFast",
        ],
        Flavour::DataCenter => &[
            "jql",
            "startAt",
            "maxResults",
            "fields",
            "expand",
            "validateQuery",
            "properties",
            "fieldsByKeys",
        ],
    };
    if let Some(bad) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(match flavour {
            Flavour::Cloud => Outcome::bad(BAD_PAYLOAD),
            Flavour::DataCenter => Outcome::bad(&format!(
                "Unrecognized field \"{bad}\" (Class com.atlassian.jira.rest.v2.search.SearchRequestBean), not marked as ignorable"
            )),
        });
    }
    let uint = |k: &str| -> Result<Option<usize>, Outcome> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(|n| Some(n as usize))
                .ok_or_else(|| Outcome::bad(BAD_PAYLOAD)),
        }
    };
    let string = |k: &str| -> Result<Option<String>, Outcome> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Outcome::bad(BAD_PAYLOAD)),
        }
    };
    let list = |k: &str| -> Result<Vec<String>, Outcome> {
        match obj.get(k) {
            None => Ok(Vec::new()),
            Some(v) => str_list(v).ok_or_else(|| Outcome::bad(BAD_PAYLOAD)),
        }
    };
    if let Some(ids) = obj.get("reconcileIssues").and_then(Value::as_array) {
        if ids.len() > 50 {
            return Err(Outcome::bad(
                "reconcileIssues accepts at most 50 issue ids.",
            ));
        }
    }
    Ok(SearchReq {
        jql: string("jql")?.unwrap_or_default(),
        max: uint("maxResults")?,
        token: string("nextPageToken")?,
        start_at: uint("startAt")?,
        fields: list("fields")?,
        expand: list("expand")?
            .iter()
            .flat_map(|e| e.split(',').map(|s| s.trim().to_string()))
            .filter(|s| !s.is_empty())
            .collect(),
        validate: match obj.get("validateQuery") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(Outcome::bad(BAD_PAYLOAD)),
        },
    })
}

/// The token of the page after the issue with sort values `after`.
fn page_token(jql: &str, after: &[(SortVal, bool)]) -> String {
    let vals: Vec<Value> = after
        .iter()
        .map(|(v, _)| match v {
            SortVal::Int(i) => json!(i),
            SortVal::Str(s) => json!(s),
            SortVal::Null => Value::Null,
        })
        .collect();
    let doc = json!({"v": 1, "q": format!("{:016x}", state::fnv(jql)), "a": vals});
    b64::encode(doc.to_string().as_bytes())
}

/// The sort values a token carries, if it belongs to `jql`.
fn read_token(jql: &str, token: &str) -> Option<Vec<SortVal>> {
    let raw = b64::decode(token)?;
    let doc: Value = serde_json::from_slice(&raw).ok()?;
    if doc.get("q")?.as_str()? != format!("{:016x}", state::fnv(jql)) {
        return None;
    }
    doc.get("a")?
        .as_array()?
        .iter()
        .map(|v| match v {
            Value::Null => Some(SortVal::Null),
            Value::String(s) => Some(SortVal::Str(s.clone())),
            v => v.as_i64().map(SortVal::Int),
        })
        .collect()
}

/// `GET`/`POST /search/jql` (Cloud) and `/search` (Data Center): compile
/// the JQL, match and sort (cached while the site is unchanged), then
/// one page.
pub(super) fn search(sh: &Shared, call: &Call<'_>, flavour: Flavour) -> Outcome {
    let req = match search_request(call, flavour) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let w = sh.read();
    let env = Env {
        user: w.find_user(call.login),
        now_ms: now_ms(),
        tz_offset_secs: USER_TZ_OFFSET_MINUTES * 60,
        lenient: flavour == Flavour::DataCenter && !req.validate,
    };
    let query = match jql::compile(&req.jql, &w, &env) {
        Ok(q) => q,
        Err(messages) => {
            let mut v = json!({"errorMessages": messages, "errors": {}});
            v["warningMessages"] = json!([]);
            return Outcome::json(StatusCode::BAD_REQUEST, &v);
        }
    };
    if flavour == Flavour::Cloud && query.unbounded() {
        return Outcome::bad(UNBOUNDED_MESSAGE);
    }
    let hits = match sh.cached_hits(&req.jql, env.user) {
        Some(h) => h,
        None => {
            let order: Vec<(jql::SortField, bool)> = if query.order.is_empty() {
                jql::DEFAULT_ORDER.to_vec()
            } else {
                query.order.clone()
            };
            let candidates: Vec<u32> = match (query.issues(), query.projects()) {
                (Some(mut is), _) => {
                    is.sort_unstable();
                    is.dedup();
                    is
                }
                (None, Some(ps)) => ps
                    .iter()
                    .flat_map(|p| w.projects[*p as usize].issues.iter().copied())
                    .collect(),
                (None, None) => (0..w.issues.len() as u32).collect(),
            };
            let mut hits: Vec<(Vec<(SortVal, bool)>, u32)> = candidates
                .into_iter()
                .filter(|i| !w.issues[*i as usize].deleted && query.matches(&w, *i))
                .map(|i| (jql::sort_key(&w, i, &order), i))
                .collect();
            hits.sort_by(|a, b| jql::compare(&a.0, &b.0));
            let hits = Arc::new(hits);
            sh.cache_hits(&req.jql, env.user, hits.clone());
            hits
        }
    };
    let default = match flavour {
        Flavour::Cloud => SelDefault::IdOnly,
        Flavour::DataCenter => SelDefault::Navigable,
    };
    let sel = Sel::parse(&req.fields, default);
    let changelog = req.expand.iter().any(|e| e == "changelog");
    let names = req.expand.iter().any(|e| e == "names");
    let knob = sh.page_cap();
    let ctx = call.ctx(&w);
    match flavour {
        Flavour::Cloud => {
            let start = match &req.token {
                None => 0,
                Some(t) => {
                    let Some(after) = read_token(&req.jql, t) else {
                        return Outcome::bad(BAD_TOKEN);
                    };
                    let dirs: Vec<(SortVal, bool)> = after
                        .into_iter()
                        .zip(hits.first().map(|h| h.0.clone()).unwrap_or_default())
                        .map(|(v, (_, asc))| (v, asc))
                        .collect();
                    hits.partition_point(|h| {
                        jql::compare(&h.0, &dirs) != std::cmp::Ordering::Greater
                    })
                }
            };
            let hard = if sel.ids_only() {
                CLOUD_IDS_PAGE
            } else {
                CLOUD_MAX_PAGE
            };
            let soft = if sel.weight() > MANY_FIELDS {
                CLOUD_MANY_FIELDS_PAGE
            } else {
                hard
            };
            let asked = req.max.unwrap_or(CLOUD_DEFAULT_PAGE).max(1);
            let size = asked.min(soft).min(knob.unwrap_or(usize::MAX)).max(1);
            let end = (start + size).min(hits.len());
            let page = &hits[start.min(end)..end];
            let mut rest = serde_json::Map::new();
            let last = end >= hits.len();
            if !last {
                if let Some((key, _)) = page.last() {
                    rest.insert("nextPageToken".into(), json!(page_token(&req.jql, key)));
                }
            }
            rest.insert("isLast".into(), json!(last));
            if names {
                rest.insert("names".into(), ctx.names());
            }
            Outcome::ok_issues(
                page.len(),
                page.iter().map(|(_, i)| ctx.issue(*i, &sel, changelog)),
                rest,
            )
        }
        Flavour::DataCenter => {
            let start = req.start_at.unwrap_or(0);
            let asked = req.max.unwrap_or(DC_DEFAULT_PAGE);
            let size = asked.min(DC_MAX_PAGE).min(knob.unwrap_or(usize::MAX));
            let end = start.saturating_add(size).min(hits.len());
            let page = &hits[start.min(end)..end];
            let mut rest = serde_json::Map::new();
            rest.insert("expand".into(), json!("schema,names"));
            rest.insert("startAt".into(), json!(start));
            rest.insert("maxResults".into(), json!(size));
            rest.insert("total".into(), json!(hits.len()));
            if names {
                rest.insert("names".into(), ctx.names());
            }
            Outcome::ok_issues(
                page.len(),
                page.iter().map(|(_, i)| ctx.issue(*i, &sel, changelog)),
                rest,
            )
        }
    }
}
