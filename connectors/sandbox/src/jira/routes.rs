//! The fake Jira's HTTP surface under `/rest/api/{2,3}/…`: routing,
//! authentication, faults, search (Cloud `search/jql` with `nextPageToken`,
//! Data Center `search` with `startAt`/`total`), issues, edits, comments,
//! comment properties, changelogs, and the field and issue-type lists.
//!
//! Request flow, as for the fake GitHub: route → fault (a faulted request is
//! not executed, except a stall) → authentication → endpoint → log. Every
//! request counts under its route template (see [`ROUTE_TEMPLATES`]).
//!
//! Flavours: `/rest/api/3/…` answers in Cloud shapes (ADF, `accountId`);
//! `/rest/api/2/…` in Data Center shapes (plain strings, `name`). The
//! legacy `/rest/api/{2,3}/search` is gone on Cloud (410): `…/3/search`
//! always, `…/2/search` when the caller authenticates like a Cloud client
//! (Basic `email:token`); with a Bearer token `…/2/search` is Data Center's
//! search.

use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::catalog::{self, cf_index};
use super::clock::{self, now_ms};
use super::jql::{self, Env, SortVal};
use super::json::{self, Ctx, Sel, SelDefault};
use super::state::{self, CfVal, JErr, World};
use super::{adf, b64, cf_value, CfMode, Shared, CLOUD_EMAIL, TOKEN};
use crate::counters::Counters;
use crate::faults::Faults;
use crate::plumbing::{
    self, decode_segment as decode, ErrorFault, Inbound, Params, Served, Tracker,
};

/// Every route template [`crate::JiraHandle::requests`] counts under.
/// Requests that match none count as `"{METHOD} (unmatched)"`.
pub const ROUTE_TEMPLATES: &[&str] = &[
    "GET /rest/api/3/search/jql",
    "POST /rest/api/3/search/jql",
    "GET /rest/api/3/search",
    "POST /rest/api/3/search",
    "GET /rest/api/3/field",
    "GET /rest/api/3/issuetype",
    "GET /rest/api/3/project",
    "GET /rest/api/3/myself",
    "GET /rest/api/3/serverInfo",
    "GET /rest/api/3/issue/{issueIdOrKey}",
    "PUT /rest/api/3/issue/{issueIdOrKey}",
    "GET /rest/api/3/issue/{issueIdOrKey}/changelog",
    "GET /rest/api/3/issue/{issueIdOrKey}/comment",
    "POST /rest/api/3/issue/{issueIdOrKey}/comment",
    "GET /rest/api/3/issue/{issueIdOrKey}/comment/{id}",
    "PUT /rest/api/3/issue/{issueIdOrKey}/comment/{id}",
    "GET /rest/api/3/comment/{commentId}/properties",
    "GET /rest/api/3/comment/{commentId}/properties/{propertyKey}",
    "PUT /rest/api/3/comment/{commentId}/properties/{propertyKey}",
    "DELETE /rest/api/3/comment/{commentId}/properties/{propertyKey}",
    "GET /rest/api/2/search/jql",
    "POST /rest/api/2/search/jql",
    "GET /rest/api/2/search",
    "POST /rest/api/2/search",
    "GET /rest/api/2/field",
    "GET /rest/api/2/issuetype",
    "GET /rest/api/2/project",
    "GET /rest/api/2/myself",
    "GET /rest/api/2/serverInfo",
    "GET /rest/api/2/issue/{issueIdOrKey}",
    "PUT /rest/api/2/issue/{issueIdOrKey}",
    "GET /rest/api/2/issue/{issueIdOrKey}/changelog",
    "GET /rest/api/2/issue/{issueIdOrKey}/comment",
    "POST /rest/api/2/issue/{issueIdOrKey}/comment",
    "GET /rest/api/2/issue/{issueIdOrKey}/comment/{id}",
    "PUT /rest/api/2/issue/{issueIdOrKey}/comment/{id}",
    "GET /rest/api/2/comment/{commentId}/properties",
    "GET /rest/api/2/comment/{commentId}/properties/{propertyKey}",
    "PUT /rest/api/2/comment/{commentId}/properties/{propertyKey}",
    "DELETE /rest/api/2/comment/{commentId}/properties/{propertyKey}",
];

/// The body of the removed search endpoints (410).
pub const GONE_MESSAGE: &str = "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046";
/// The 400 of a JQL without a restriction on Cloud.
pub const UNBOUNDED_MESSAGE: &str =
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.";
/// The 401 text (plain text for bad credentials, JSON when none were sent).
pub const UNAUTHORIZED_MESSAGE: &str = "Client must be authenticated to access this resource.";
/// The 404 of an issue that does not exist (or was deleted).
pub const ISSUE_NOT_FOUND_MESSAGE: &str =
    "Issue does not exist or you do not have permission to see it.";
const BAD_PAYLOAD: &str =
    "Invalid request payload. Refer to the REST API documentation and try again.";
const BAD_TOKEN: &str = "The provided next page token is invalid or expired.";

/// Cloud `search/jql`: default page size, the cap, the cap when many fields
/// are asked for, and the cap when only ids or keys are.
const CLOUD_DEFAULT_PAGE: usize = 50;
const CLOUD_MAX_PAGE: usize = 100;
pub(crate) const CLOUD_MANY_FIELDS_PAGE: usize = 37;
const CLOUD_IDS_PAGE: usize = 5000;
/// More fields than this and Cloud returns [`CLOUD_MANY_FIELDS_PAGE`].
const MANY_FIELDS: usize = 5;
/// Data Center `search`: default page size and cap.
const DC_DEFAULT_PAGE: usize = 50;
const DC_MAX_PAGE: usize = 1000;
/// Comment and changelog pages.
const LIST_DEFAULT_PAGE: usize = 100;
/// Jira's limit on comment bodies.
const MAX_COMMENT_CHARS: usize = 32_767;
/// Largest comment property value.
const MAX_PROPERTY_BYTES: usize = 32_768;

/// The axum app: every request under `/rest/` goes through the shared
/// plumbing.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/rest/{*rest}", any(plumbing::handle::<Shared>))
        .with_state(shared)
}

// ---------------------------------------------------------------------------
// Routing.

#[derive(Debug, Clone)]
enum Ep {
    SearchJql,
    Search,
    Field,
    IssueType,
    Project,
    Myself,
    ServerInfo,
    Issue(String),
    Changelog(String),
    Comments(String),
    Comment(String, String),
    CommentProps(String),
    CommentProp(String, String),
    Unknown,
}

/// (REST version, endpoint).
fn endpoint(path: &str) -> (u8, Ep) {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (v, rest) = match segs.as_slice() {
        ["rest", "api", "3", rest @ ..] => (3, rest),
        ["rest", "api", "2", rest @ ..] => (2, rest),
        _ => return (0, Ep::Unknown),
    };
    let ep = match rest {
        ["search", "jql"] => Ep::SearchJql,
        ["search"] => Ep::Search,
        ["field"] => Ep::Field,
        ["issuetype"] => Ep::IssueType,
        ["project"] => Ep::Project,
        ["myself"] => Ep::Myself,
        ["serverInfo"] => Ep::ServerInfo,
        ["issue", k] => Ep::Issue(decode(k)),
        ["issue", k, "changelog"] => Ep::Changelog(decode(k)),
        ["issue", k, "comment"] => Ep::Comments(decode(k)),
        ["issue", k, "comment", id] => Ep::Comment(decode(k), decode(id)),
        ["comment", id, "properties"] => Ep::CommentProps(decode(id)),
        ["comment", id, "properties", key] => Ep::CommentProp(decode(id), decode(key)),
        _ => Ep::Unknown,
    };
    (v, ep)
}

fn template(method: &Method, v: u8, ep: &Ep) -> Option<String> {
    let m = method.as_str();
    let tail = match (m, ep) {
        ("GET" | "POST", Ep::SearchJql) => "/search/jql",
        ("GET" | "POST", Ep::Search) => "/search",
        ("GET", Ep::Field) => "/field",
        ("GET", Ep::IssueType) => "/issuetype",
        ("GET", Ep::Project) => "/project",
        ("GET", Ep::Myself) => "/myself",
        ("GET", Ep::ServerInfo) => "/serverInfo",
        ("GET" | "PUT", Ep::Issue(_)) => "/issue/{issueIdOrKey}",
        ("GET", Ep::Changelog(_)) => "/issue/{issueIdOrKey}/changelog",
        ("GET" | "POST", Ep::Comments(_)) => "/issue/{issueIdOrKey}/comment",
        ("GET" | "PUT", Ep::Comment(..)) => "/issue/{issueIdOrKey}/comment/{id}",
        ("GET", Ep::CommentProps(_)) => "/comment/{commentId}/properties",
        ("GET" | "PUT" | "DELETE", Ep::CommentProp(..)) => {
            "/comment/{commentId}/properties/{propertyKey}"
        }
        _ => return None,
    };
    Some(format!("{m} /rest/api/{v}{tail}"))
}

// ---------------------------------------------------------------------------
// Answers.

enum Kind {
    Json,
    Empty,
}

struct Outcome {
    status: StatusCode,
    body: Vec<u8>,
    kind: Kind,
}

impl Outcome {
    fn json(status: StatusCode, v: &Value) -> Self {
        Outcome {
            status,
            body: serde_json::to_vec(v).unwrap_or_default(),
            kind: Kind::Json,
        }
    }

    fn ok(v: &Value) -> Self {
        Self::json(StatusCode::OK, v)
    }

    fn empty(status: StatusCode) -> Self {
        Outcome {
            status,
            body: Vec::new(),
            kind: Kind::Empty,
        }
    }

    fn messages(status: StatusCode, messages: &[String]) -> Self {
        Outcome {
            status,
            body: json::errors(messages, &[]),
            kind: Kind::Json,
        }
    }

    fn message(status: StatusCode, m: &str) -> Self {
        Self::messages(status, &[m.to_string()])
    }

    fn bad(m: &str) -> Self {
        Self::message(StatusCode::BAD_REQUEST, m)
    }

    fn field_errors(errors: &[(String, String)]) -> Self {
        Outcome {
            status: StatusCode::BAD_REQUEST,
            body: json::errors(&[], errors),
            kind: Kind::Json,
        }
    }

    fn not_found_issue() -> Self {
        Self::message(StatusCode::NOT_FOUND, ISSUE_NOT_FOUND_MESSAGE)
    }

    fn from_err(e: JErr) -> Self {
        match e {
            JErr::NotFound => Self::not_found_issue(),
            JErr::Field(f, m) => Self::field_errors(&[(f, m)]),
        }
    }
}

const JSON_TYPE: &str = "application/json;charset=UTF-8";
const TEXT_TYPE: &str = "text/plain;charset=UTF-8";
const HTML_TYPE: &str = "text/html;charset=utf-8";

fn build(
    status: StatusCode,
    body: Bytes,
    content_type: Option<&'static str>,
    request_id: u64,
) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    for (k, v) in [
        ("server", "AtlassianEdge"),
        ("timing-allow-origin", "*"),
        ("cache-control", "no-cache, no-store, no-transform"),
        ("vary", "Accept-Encoding"),
        ("x-content-type-options", "nosniff"),
        ("x-xss-protection", "1; mode=block"),
        (
            "strict-transport-security",
            "max-age=63072000; includeSubDomains; preload",
        ),
    ] {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    if let Some(ct) = content_type {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    let trace = format!(
        "{:016x}{:016x}",
        state::fnv(&request_id.to_string()),
        request_id
    );
    if let Ok(v) = HeaderValue::from_str(&format!("{request_id:x}")) {
        h.insert("x-arequestid", v);
    }
    if let Ok(v) = HeaderValue::from_str(&trace) {
        h.insert("atl-traceid", v);
    }
    resp
}

/// The Tomcat error page a Data Center node (or a proxy) sends.
pub(crate) fn tomcat_page(status: StatusCode) -> String {
    let reason = status.canonical_reason().unwrap_or("Error");
    let description = match status.as_u16() {
        429 => "The user has sent too many requests in a given amount of time (&quot;rate limiting&quot;).",
        503 => "The server is currently unable to handle the request due to a temporary overload or scheduled maintenance, which will likely be alleviated after some delay.",
        502 => "The server, while acting as a gateway or proxy, received an invalid response from the upstream server.",
        _ => "The server encountered an unexpected condition that prevented it from fulfilling the request.",
    };
    let code = status.as_u16();
    format!(
        "<!doctype html><html lang=\"en\"><head><title>HTTP Status {code} \u{2013} {reason}</title><style type=\"text/css\">body {{font-family:Tahoma,Arial,sans-serif;}} h1, h2, h3, b {{color:white;background-color:#525D76;}} h1 {{font-size:22px;}} h2 {{font-size:16px;}} h3 {{font-size:14px;}} p {{font-size:12px;}} a {{color:black;}} .line {{height:1px;background-color:#525D76;border:none;}}</style></head><body><h1>HTTP Status {code} \u{2013} {reason}</h1><hr class=\"line\" /><p><b>Type</b> Status Report</p><p><b>Description</b> {description}</p><hr class=\"line\" /><h3>Apache Tomcat/9.0.82</h3></body></html>"
    )
}

// ---------------------------------------------------------------------------
// Request context.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Who {
    /// A known credential; `basic` when sent as Basic `email:token`.
    User {
        login: String,
        basic: bool,
    },
    Anonymous,
    Bad,
}

fn who(sh: &Shared, headers: &HeaderMap) -> Who {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Who::Anonymous;
    };
    let v = v.to_str().unwrap_or("").trim();
    let Some((scheme, cred)) = v.split_once(' ') else {
        return Who::Bad;
    };
    let cred = cred.trim();
    let known = |token: &str| {
        sh.tokens
            .get(token)
            .cloned()
            .or_else(|| (token == TOKEN).then(|| "recur-bot".to_string()))
    };
    if scheme.eq_ignore_ascii_case("basic") {
        let Some(text) = b64::decode(cred).and_then(|b| String::from_utf8(b).ok()) else {
            return Who::Bad;
        };
        let Some((email, token)) = text.split_once(':') else {
            return Who::Bad;
        };
        let ok = (email == CLOUD_EMAIL && token == TOKEN) || sh.tokens.contains_key(token);
        return match (ok, known(token)) {
            (true, Some(login)) => Who::User { login, basic: true },
            _ => Who::Bad,
        };
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        return match known(cred) {
            Some(login) => Who::User {
                login,
                basic: false,
            },
            None => Who::Bad,
        };
    }
    Who::Bad
}

/// A non-negative integer parameter; `Err` with Jira's message when it is
/// not one.
fn uint(p: &Params, key: &str) -> Result<Option<usize>, Outcome> {
    match p.get(key) {
        None => Ok(None),
        Some(v) => v.trim().parse::<usize>().map(Some).map_err(|_| {
            Outcome::bad(&format!(
                "The '{key}' parameter must be a non-negative integer."
            ))
        }),
    }
}

struct Call<'a> {
    method: &'a Method,
    v3: bool,
    params: Params,
    body: &'a [u8],
    login: &'a str,
    basic: bool,
    base: &'a str,
}

impl Call<'_> {
    fn json_body(&self) -> Result<Value, Outcome> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(Outcome::bad(BAD_PAYLOAD));
        }
        serde_json::from_slice(self.body).map_err(|_| Outcome::bad(BAD_PAYLOAD))
    }

    fn ctx<'w>(&'w self, w: &'w World) -> Ctx<'w> {
        Ctx {
            w,
            base: self.base,
            v3: self.v3,
        }
    }

    fn mode(&self) -> CfMode {
        if self.v3 {
            CfMode::V3
        } else {
            CfMode::V2
        }
    }
}

// ---------------------------------------------------------------------------
// The fake Jira behind the shared plumbing.

/// A request as the fake Jira reads it.
pub(crate) struct Routed {
    /// REST version: 3 (Cloud shapes), 2 (Data Center shapes), 0 (neither).
    version: u8,
    ep: Ep,
    who: Who,
    /// `http://{Host}` for `self` links.
    base: String,
}

impl Routed {
    fn call<'a>(
        &'a self,
        rq: &'a Inbound,
        body: &'a [u8],
        login: &'a str,
        basic: bool,
    ) -> Call<'a> {
        Call {
            method: rq.method(),
            v3: self.version == 3,
            params: Params::parse(&rq.query),
            body,
            login,
            basic,
            base: &self.base,
        }
    }
}

impl Tracker for Shared {
    type Routed = Routed;

    fn counters(&self) -> &Counters {
        &self.counters
    }

    fn faults(&self) -> &Faults {
        &self.faults
    }

    fn next_request_id(&self) -> u64 {
        self.request_seq.fetch_add(1, Ordering::Relaxed)
    }

    fn route(&self, rq: &Inbound) -> (Cow<'static, str>, Routed) {
        let (version, ep) = endpoint(rq.parts.uri.path());
        let (route, ep) = match template(rq.method(), version, &ep) {
            Some(t) => (t, ep),
            None => (format!("{} (unmatched)", rq.method()), Ep::Unknown),
        };
        let routed = Routed {
            version,
            ep,
            who: who(self, rq.headers()),
            base: rq.base(&self.base),
        };
        (Cow::Owned(route), routed)
    }

    fn too_large(&self, rq: &Inbound, _: &Routed) -> Response {
        let o = Outcome::message(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large");
        build(
            o.status,
            Bytes::from(o.body),
            Some(JSON_TYPE),
            rq.request_id,
        )
    }

    fn refuse(&self, rq: &Inbound, _: &Routed, fault: ErrorFault) -> Response {
        let request_id = rq.request_id;
        let rate_limited =
            |status: u16, retry_after: Option<u64>, reset_in: u64, reason: &'static str| {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
                let o = Outcome::message(status, "Rate limit exceeded.");
                let mut resp = build(status, Bytes::from(o.body), Some(JSON_TYPE), request_id);
                let h = resp.headers_mut();
                if let Some(secs) = retry_after {
                    h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                h.insert("x-ratelimit-limit", HeaderValue::from_static("350"));
                h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
                h.insert("x-ratelimit-nearlimit", HeaderValue::from_static("true"));
                if let Ok(v) = HeaderValue::from_str(&iso(reset_in)) {
                    h.insert("x-ratelimit-reset", v);
                }
                h.insert("ratelimit-reason", HeaderValue::from_static(reason));
                resp
            };
        match fault {
            ErrorFault::SecondaryLimit {
                status,
                retry_after,
            } => {
                let status = if status == 503 { 503 } else { 429 };
                rate_limited(
                    status,
                    retry_after,
                    retry_after.unwrap_or(60),
                    "jira-burst-based",
                )
            }
            ErrorFault::PrimaryExhausted { reset_in_secs } => rate_limited(
                429,
                Some(reset_in_secs),
                reset_in_secs,
                "jira-quota-tenant-based",
            ),
            ErrorFault::ServerError { status } => {
                let status = StatusCode::from_u16(status)
                    .ok()
                    .filter(|s| s.is_server_error())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let o = Outcome::message(status, "Internal server error");
                build(status, Bytes::from(o.body), Some(JSON_TYPE), request_id)
            }
            ErrorFault::Unauthorized => build(
                StatusCode::UNAUTHORIZED,
                Bytes::from_static(UNAUTHORIZED_MESSAGE.as_bytes()),
                Some(TEXT_TYPE),
                request_id,
            ),
            ErrorFault::HtmlError { status } => {
                let status = StatusCode::from_u16(status)
                    .ok()
                    .filter(|s| s.is_client_error() || s.is_server_error())
                    .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                let mut resp = build(
                    status,
                    Bytes::from(tomcat_page(status)),
                    Some(HTML_TYPE),
                    request_id,
                );
                if status == StatusCode::TOO_MANY_REQUESTS {
                    // A rate limiter in front of the node: retry now.
                    resp.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("0"));
                }
                resp
            }
            ErrorFault::ClientError { status, message } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
                let body = serde_json::to_vec(&json!({"errorMessages": [message], "errors": {}}))
                    .unwrap_or_default();
                build(status, Bytes::from(body), Some(JSON_TYPE), request_id)
            }
        }
    }

    fn full_document(&self, rq: &Inbound, r: &Routed, body: &[u8]) -> Vec<u8> {
        // A read is rendered for real (reads and searches change nothing);
        // a write is not executed and gets a stand-in.
        let read = *rq.method() == Method::GET || matches!(r.ep, Ep::SearchJql | Ep::Search);
        let real = match &r.who {
            Who::User { login, basic } if read => {
                let call = r.call(rq, body, login, *basic);
                Some(execute(self, &call, &r.ep)).filter(|o| o.status == StatusCode::OK)
            }
            _ => None,
        };
        real.map(|o| o.body).unwrap_or_else(stand_in)
    }

    fn ok_json(&self, rq: &Inbound, _: &Routed, body: Bytes) -> Response {
        build(StatusCode::OK, body, Some(JSON_TYPE), rq.request_id)
    }

    fn bare(&self, rq: &Inbound, status: StatusCode) -> Response {
        build(status, Bytes::new(), None, rq.request_id)
    }

    fn serve(&self, rq: &Inbound, r: Routed, body: &[u8], self_link: bool) -> Served {
        let sh = self;
        let request_id = rq.request_id;
        let (login, basic) = match &r.who {
            Who::User { login, basic } => (login.clone(), *basic),
            Who::Anonymous => {
                let o = Outcome::message(StatusCode::UNAUTHORIZED, UNAUTHORIZED_MESSAGE);
                return Served::Refused(build(
                    o.status,
                    Bytes::from(o.body),
                    Some(JSON_TYPE),
                    request_id,
                ));
            }
            Who::Bad => {
                // Real Jira often answers bad credentials in plain text.
                let mut resp = build(
                    StatusCode::UNAUTHORIZED,
                    Bytes::from_static(UNAUTHORIZED_MESSAGE.as_bytes()),
                    Some(TEXT_TYPE),
                    request_id,
                );
                resp.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"protected-area\""),
                );
                return Served::Refused(resp);
            }
        };
        let call = r.call(rq, body, &login, basic);
        let mut outcome = execute(sh, &call, &r.ep);
        if self_link && outcome.status == StatusCode::OK {
            outcome.body = self_linked(&outcome.body, body, &rq.query);
        }
        let ct = match outcome.kind {
            Kind::Json => Some(JSON_TYPE),
            Kind::Empty => None,
        };
        let mut resp = build(outcome.status, Bytes::from(outcome.body), ct, request_id);
        if call.v3 {
            let w = sh.read();
            if let Some(u) = w.find_user(&login) {
                if let Ok(v) = HeaderValue::from_str(&w.users[u as usize].account_id) {
                    resp.headers_mut().insert("x-aaccountid", v);
                }
            }
        }
        Served::Executed(resp)
    }
}

/// For [`Fault::SelfLink`]: a search page whose paging leads back where it
/// was (Cloud: the `nextPageToken` the request sent, when it sent one;
/// Data Center: `startAt` 0 whatever was asked).
fn self_linked(answer: &[u8], request_body: &[u8], query: &str) -> Vec<u8> {
    let Ok(mut doc) = serde_json::from_slice::<Value>(answer) else {
        return answer.to_vec();
    };
    let sent = serde_json::from_slice::<Value>(request_body)
        .ok()
        .and_then(|b| {
            b.get("nextPageToken")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .or_else(|| {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "nextPageToken")
                .map(|(_, v)| v.into_owned())
        });
    if let Some(obj) = doc.as_object_mut() {
        if obj.contains_key("startAt") {
            obj.insert("startAt".into(), json!(0));
        } else if let Some(token) = sent {
            obj.insert("nextPageToken".into(), Value::String(token));
        }
    }
    serde_json::to_vec(&doc).unwrap_or_else(|_| answer.to_vec())
}

/// ISO 8601 at second resolution, as `X-RateLimit-Reset` carries it.
fn iso(secs_from_now: u64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs_from_now as i64))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A search-page-shaped document for a cut-off answer to a write.
fn stand_in() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "issues": [{"id": "10001", "key": "OPS-1", "fields": {"summary": "cut off"}}],
        "nextPageToken": "c2FuZGJveDpjdXQtb2Zm",
        "isLast": false
    }))
    .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Endpoints.

fn execute(sh: &Shared, call: &Call<'_>, ep: &Ep) -> Outcome {
    match ep {
        Ep::Unknown => Outcome::message(StatusCode::NOT_FOUND, "null for uri: not found"),
        Ep::SearchJql => search(sh, call, Flavour::Cloud),
        Ep::Search => {
            if call.v3 || call.basic {
                Outcome::message(StatusCode::GONE, GONE_MESSAGE)
            } else {
                search(sh, call, Flavour::DataCenter)
            }
        }
        Ep::Field => {
            let w = sh.read();
            Outcome::ok(&call.ctx(&w).field_list())
        }
        Ep::IssueType => {
            let w = sh.read();
            Outcome::ok(&call.ctx(&w).issue_types())
        }
        Ep::Project => {
            let w = sh.read();
            let ctx = call.ctx(&w);
            Outcome::ok(&Value::Array(
                (0..w.projects.len() as u32)
                    .map(|p| ctx.project(p))
                    .collect(),
            ))
        }
        Ep::Myself => {
            let w = sh.read();
            match w.find_user(call.login) {
                Some(u) => {
                    let mut v = call.ctx(&w).user(u);
                    v["locale"] = json!("en_US");
                    Outcome::ok(&v)
                }
                None => Outcome::message(StatusCode::UNAUTHORIZED, UNAUTHORIZED_MESSAGE),
            }
        }
        Ep::ServerInfo => {
            let cloud = call.v3 || call.basic;
            Outcome::ok(&json!({
                "baseUrl": call.base,
                "version": if cloud { "1001.0.0-SNAPSHOT" } else { "9.12.2" },
                "versionNumbers": if cloud { json!([1001, 0, 0]) } else { json!([9, 12, 2]) },
                "deploymentType": if cloud { "Cloud" } else { "Server" },
                "buildNumber": 100_275,
                "serverTime": clock::time(now_ms()),
                "scmInfo": "sandbox",
                "serverTitle": "Acme Jira"
            }))
        }
        Ep::Issue(key) => {
            if call.method == Method::PUT {
                edit_issue(sh, call, key)
            } else {
                get_issue(sh, call, key)
            }
        }
        Ep::Changelog(key) => changelog(sh, call, key),
        Ep::Comments(key) => {
            if call.method == Method::POST {
                add_comment(sh, call, key)
            } else {
                list_comments(sh, call, key)
            }
        }
        Ep::Comment(key, id) => {
            if call.method == Method::PUT {
                update_comment(sh, call, key, id)
            } else {
                let w = sh.read();
                match find_comment(&w, key, id) {
                    Ok(c) => Outcome::ok(&call.ctx(&w).comment(
                        c.0,
                        c.1,
                        expand(&call.params).contains(&"properties".to_string()),
                    )),
                    Err(o) => o,
                }
            }
        }
        Ep::CommentProps(id) => {
            let w = sh.read();
            let Some((i, c)) = w.comment(id) else {
                return no_comment(id);
            };
            let keys: Vec<Value> = w.issues[i as usize].comments[c as usize]
                .properties
                .iter()
                .map(|(k, _)| {
                    json!({
                        "self": format!("{}/rest/api/{}/comment/{id}/properties/{k}", call.base, if call.v3 { 3 } else { 2 }),
                        "key": k
                    })
                })
                .collect();
            Outcome::ok(&json!({ "keys": keys }))
        }
        Ep::CommentProp(id, key) => comment_property(sh, call, id, key),
    }
}

fn no_comment(id: &str) -> Outcome {
    Outcome::message(
        StatusCode::NOT_FOUND,
        &format!("Can not find a comment for the id: {id}."),
    )
}

/// The comment `id` of issue `key` (a comment of another issue is a 404).
fn find_comment(w: &World, key: &str, id: &str) -> Result<(u32, u32), Outcome> {
    let i = w.resolve(key).map_err(Outcome::from_err)?;
    match w.comment(id) {
        Some((ci, c)) if ci == i => Ok((ci, c)),
        _ => Err(no_comment(id)),
    }
}

fn expand(p: &Params) -> Vec<String> {
    p.all("expand")
        .iter()
        .flat_map(|e| e.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

// --- search ---------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Cloud,
    DataCenter,
}

#[derive(Default)]
struct SearchReq {
    jql: String,
    max: Option<usize>,
    token: Option<String>,
    start_at: Option<usize>,
    fields: Vec<String>,
    expand: Vec<String>,
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

fn search(sh: &Shared, call: &Call<'_>, flavour: Flavour) -> Outcome {
    let req = match search_request(call, flavour) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let w = sh.read();
    let env = Env {
        user: w.find_user(call.login),
        now_ms: now_ms(),
        tz_offset_secs: super::USER_TZ_OFFSET_MINUTES * 60,
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
            let candidates: Vec<u32> = match query.projects() {
                Some(ps) => ps
                    .iter()
                    .flat_map(|p| w.projects[*p as usize].issues.iter().copied())
                    .collect(),
                None => (0..w.issues.len() as u32).collect(),
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
            let issues: Vec<Value> = page
                .iter()
                .map(|(_, i)| ctx.issue(*i, &sel, changelog))
                .collect();
            let mut v = json!({ "issues": issues });
            let last = end >= hits.len();
            if !last {
                if let Some((key, _)) = page.last() {
                    v["nextPageToken"] = json!(page_token(&req.jql, key));
                }
            }
            v["isLast"] = json!(last);
            if names {
                v["names"] = ctx.names();
            }
            Outcome::ok(&v)
        }
        Flavour::DataCenter => {
            let start = req.start_at.unwrap_or(0);
            let asked = req.max.unwrap_or(DC_DEFAULT_PAGE);
            let size = asked.min(DC_MAX_PAGE).min(knob.unwrap_or(usize::MAX));
            let end = start.saturating_add(size).min(hits.len());
            let page = &hits[start.min(end)..end];
            let issues: Vec<Value> = page
                .iter()
                .map(|(_, i)| ctx.issue(*i, &sel, changelog))
                .collect();
            let mut v = json!({
                "expand": "schema,names",
                "startAt": start,
                "maxResults": size,
                "total": hits.len(),
                "issues": issues
            });
            if names {
                v["names"] = ctx.names();
            }
            Outcome::ok(&v)
        }
    }
}

// --- issues -----------------------------------------------------------------

fn get_issue(sh: &Shared, call: &Call<'_>, key: &str) -> Outcome {
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

fn changelog(sh: &Shared, call: &Call<'_>, key: &str) -> Outcome {
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

fn edit_issue(sh: &Shared, call: &Call<'_>, key: &str) -> Outcome {
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

// --- comments ---------------------------------------------------------------

/// The comment body of a request, as ADF.
fn comment_body(call: &Call<'_>, body: &Value) -> Result<Value, Outcome> {
    let invalid =
        || Outcome::field_errors(&[("comment".into(), "Comment body is not valid!".into())]);
    let doc = match body.get("body") {
        Some(Value::String(s)) if !call.v3 => adf::from_text(s),
        Some(d) if call.v3 && adf::is_doc(d) => d.clone(),
        None | Some(Value::Null) => {
            return Err(Outcome::field_errors(&[(
                "comment".into(),
                "Comment body can not be empty!".into(),
            )]))
        }
        _ => return Err(invalid()),
    };
    let text = adf::to_text(&doc);
    if text.trim().is_empty() {
        return Err(Outcome::field_errors(&[(
            "comment".into(),
            "Comment body can not be empty!".into(),
        )]));
    }
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(Outcome::field_errors(&[(
            "comment".into(),
            "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
                .into(),
        )]));
    }
    Ok(doc)
}

fn add_comment(sh: &Shared, call: &Call<'_>, key: &str) -> Outcome {
    let body = match call.json_body() {
        Ok(b) => b,
        Err(o) => return o,
    };
    let doc = match comment_body(call, &body) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let mut props = Vec::new();
    if let Some(list) = body.get("properties").and_then(Value::as_array) {
        for p in list {
            match (p.get("key").and_then(Value::as_str), p.get("value")) {
                (Some(k), Some(v)) => props.push((k.to_string(), v.clone())),
                _ => return Outcome::bad(BAD_PAYLOAD),
            }
        }
    }
    let mut w = sh.write();
    let i = match w.resolve(key) {
        Ok(i) => i,
        Err(e) => return Outcome::from_err(e),
    };
    let author = w.user(call.login);
    let id = w.add_comment(i, author, doc, props, now_ms());
    let c = w.issues[i as usize]
        .comments
        .iter()
        .position(|c| c.id == id)
        .unwrap_or(0) as u32;
    Outcome::json(StatusCode::CREATED, &call.ctx(&w).comment(i, c, false))
}

fn update_comment(sh: &Shared, call: &Call<'_>, key: &str, id: &str) -> Outcome {
    let body = match call.json_body() {
        Ok(b) => b,
        Err(o) => return o,
    };
    let mut w = sh.write();
    let at = match find_comment(&w, key, id) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let doc = match comment_body(call, &body) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let author = w.user(call.login);
    w.update_comment(at, author, doc, now_ms());
    Outcome::ok(&call.ctx(&w).comment(at.0, at.1, false))
}

fn list_comments(sh: &Shared, call: &Call<'_>, key: &str) -> Outcome {
    let start = match uint(&call.params, "startAt") {
        Ok(s) => s.unwrap_or(0),
        Err(o) => return o,
    };
    let max = match uint(&call.params, "maxResults") {
        Ok(m) => m.unwrap_or(LIST_DEFAULT_PAGE).min(LIST_DEFAULT_PAGE),
        Err(o) => return o,
    };
    let w = sh.read();
    let i = match w.resolve(key) {
        Ok(i) => i,
        Err(e) => return Outcome::from_err(e),
    };
    let issue = &w.issues[i as usize];
    let mut order: Vec<u32> = (0..issue.comments.len() as u32).collect();
    if call.params.get("orderBy") == Some("-created") {
        order.reverse();
    }
    let with_props = expand(&call.params).iter().any(|e| e == "properties");
    let total = order.len();
    let end = start.saturating_add(max).min(total);
    let ctx = call.ctx(&w);
    let comments: Vec<Value> = order[start.min(end)..end]
        .iter()
        .map(|c| ctx.comment(i, *c, with_props))
        .collect();
    Outcome::ok(&json!({
        "comments": comments,
        "maxResults": max,
        "total": total,
        "startAt": start
    }))
}

fn comment_property(sh: &Shared, call: &Call<'_>, id: &str, key: &str) -> Outcome {
    if key.is_empty() || key.chars().count() > 255 {
        return Outcome::bad("The property key must be between 1 and 255 characters long.");
    }
    let missing = || {
        Outcome::message(
            StatusCode::NOT_FOUND,
            &format!("The property with key '{key}' does not exist."),
        )
    };
    match *call.method {
        Method::GET => {
            let w = sh.read();
            let Some((i, c)) = w.comment(id) else {
                return no_comment(id);
            };
            match w.issues[i as usize].comments[c as usize]
                .properties
                .iter()
                .find(|(k, _)| k == key)
            {
                Some((k, v)) => Outcome::ok(&json!({"key": k, "value": v})),
                None => missing(),
            }
        }
        Method::PUT => {
            if call.body.len() > MAX_PROPERTY_BYTES {
                return Outcome::bad(&format!(
                    "The property value must be at most {MAX_PROPERTY_BYTES} bytes."
                ));
            }
            let value = match call.json_body() {
                Ok(v) => v,
                Err(o) => return o,
            };
            let mut w = sh.write();
            let Some(at) = w.comment(id) else {
                return no_comment(id);
            };
            if w.set_comment_property(at, key, value) {
                Outcome::empty(StatusCode::CREATED)
            } else {
                Outcome::empty(StatusCode::OK)
            }
        }
        _ => {
            let mut w = sh.write();
            let Some(at) = w.comment(id) else {
                return no_comment(id);
            };
            if w.delete_comment_property(at, key) {
                Outcome::empty(StatusCode::NO_CONTENT)
            } else {
                missing()
            }
        }
    }
}
