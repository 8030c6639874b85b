//! The fake GitHub's HTTP surface: routing, authentication, the primary
//! budget and its headers, faults, ETags and `304`s, paging with `Link`
//! headers, and every endpoint recur (or a test) uses.
//!
//! Routing is done by hand inside one axum fallback handler rather than with
//! axum routes: every request, matched or not, must first be counted under
//! its route template, offered to the fault plan and charged to a budget,
//! and only then dispatched.
//!
//! Request flow: route → fault (a faulted request is not executed, except a
//! stall) → authentication (unknown token: 401) → budget (exhausted: 403;
//! `GET /rate_limit` is free) → endpoint → ETag (a matching `If-None-Match`
//! gives a 304, and an authorised 304 gets its point back) → headers → log.

use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use axum::Router;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::json;
use super::render::{self, esc, raw};
use super::state::{Gone, ListKey, MutErr, NewIssueData, SortKey, StateFilter, World};
use super::{now_secs, Shared};
use crate::counters::Counters;
use crate::faults::Faults;
use crate::plumbing::{
    self, decode_segment as decode, ErrorFault, Inbound, Params, Served, Tracker,
};
use crate::rate::RateSnapshot;

/// Every route template [`crate::GithubHandle::requests`] counts under.
/// Requests that match none count as `"{METHOD} (unmatched)"`.
pub const ROUTE_TEMPLATES: &[&str] = &[
    "GET /rate_limit",
    "GET /user",
    "GET /orgs/{org}/repos",
    "GET /repos/{owner}/{repo}",
    "GET /repos/{owner}/{repo}/issues",
    "POST /repos/{owner}/{repo}/issues",
    "GET /repos/{owner}/{repo}/issues/{number}",
    "PATCH /repos/{owner}/{repo}/issues/{number}",
    "GET /repos/{owner}/{repo}/issues/comments",
    "GET /repos/{owner}/{repo}/issues/comments/{id}",
    "PATCH /repos/{owner}/{repo}/issues/comments/{id}",
    "DELETE /repos/{owner}/{repo}/issues/comments/{id}",
    "GET /repos/{owner}/{repo}/issues/{number}/comments",
    "POST /repos/{owner}/{repo}/issues/{number}/comments",
    "GET /repos/{owner}/{repo}/issues/{number}/labels",
    "POST /repos/{owner}/{repo}/issues/{number}/labels",
    "PUT /repos/{owner}/{repo}/issues/{number}/labels",
    "DELETE /repos/{owner}/{repo}/issues/{number}/labels",
    "DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}",
    "GET /repos/{owner}/{repo}/issues/{number}/events",
    "GET /repos/{owner}/{repo}/issues/{number}/timeline",
    "GET /repos/{owner}/{repo}/labels",
    "POST /repos/{owner}/{repo}/labels",
    "GET /repos/{owner}/{repo}/labels/{name}",
];

const DOC_REST: &str = "https://docs.github.com/rest";
const DOC_LIST_ISSUES: &str = "https://docs.github.com/rest/issues/issues#list-repository-issues";
const DOC_GET_ISSUE: &str = "https://docs.github.com/rest/issues/issues#get-an-issue";
const DOC_UPDATE_ISSUE: &str = "https://docs.github.com/rest/issues/issues#update-an-issue";
const DOC_CREATE_ISSUE: &str = "https://docs.github.com/rest/issues/issues#create-an-issue";
const DOC_ADD_LABELS: &str = "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue";
const DOC_SET_LABELS: &str = "https://docs.github.com/rest/issues/labels#set-labels-for-an-issue";
const DOC_REMOVE_LABEL: &str =
    "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue";
const DOC_LABELS: &str = "https://docs.github.com/rest/issues/labels#list-labels-for-a-repository";
const DOC_COMMENTS: &str = "https://docs.github.com/rest/issues/comments#list-issue-comments";
const DOC_COMMENT: &str = "https://docs.github.com/rest/issues/comments#get-an-issue-comment";
const DOC_CREATE_COMMENT: &str =
    "https://docs.github.com/rest/issues/comments#create-an-issue-comment";
const DOC_EVENTS: &str = "https://docs.github.com/rest/issues/events#list-issue-events";
const DOC_REPO: &str = "https://docs.github.com/rest/repos/repos#get-a-repository";
const DOC_ORG_REPOS: &str =
    "https://docs.github.com/rest/repos/repos#list-organization-repositories";
const DOC_RATE: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
const DOC_REDIRECT: &str = "https://docs.github.com/v3/#http-redirects";
const DOC_SECONDARY: &str =
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";

/// GitHub refuses issue and comment bodies longer than this.
const MAX_BODY_CHARS: usize = 65_536;

/// The axum app: every request goes through the shared plumbing.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .fallback(plumbing::handle::<Shared>)
        .with_state(shared)
}

// ---------------------------------------------------------------------------
// Routing.

#[derive(Debug, Clone)]
enum RepoRef {
    Name(String, String),
    Id(u64),
}

#[derive(Debug, Clone)]
enum OrgRef {
    Name(String),
    Id(u64),
}

#[derive(Debug, Clone)]
enum Ep {
    RateLimit,
    User,
    OrgRepos(OrgRef),
    Repo(RepoRef),
    Issues(RepoRef),
    RepoComments(RepoRef),
    Comment(RepoRef, u64),
    Issue(RepoRef, u64),
    IssueComments(RepoRef, u64),
    IssueLabels(RepoRef, u64),
    IssueLabel(RepoRef, u64, String),
    Events(RepoRef, u64),
    Timeline(RepoRef, u64),
    RepoLabels(RepoRef),
    RepoLabel(RepoRef, String),
    Unknown,
}

fn endpoint(path: &str) -> Ep {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["rate_limit"] => Ep::RateLimit,
        ["user"] => Ep::User,
        ["orgs", org, "repos"] => Ep::OrgRepos(OrgRef::Name(decode(org))),
        ["organizations", id, "repos"] => match id.parse() {
            Ok(id) => Ep::OrgRepos(OrgRef::Id(id)),
            Err(_) => Ep::Unknown,
        },
        ["repos", owner, repo, rest @ ..] => {
            repo_endpoint(RepoRef::Name(decode(owner), decode(repo)), rest)
        }
        ["repositories", id, rest @ ..] => match id.parse() {
            Ok(id) => repo_endpoint(RepoRef::Id(id), rest),
            Err(_) => Ep::Unknown,
        },
        _ => Ep::Unknown,
    }
}

fn repo_endpoint(r: RepoRef, rest: &[&str]) -> Ep {
    let n = |s: &str| s.parse::<u64>().ok();
    match rest {
        [] => Ep::Repo(r),
        ["issues"] => Ep::Issues(r),
        ["issues", "comments"] => Ep::RepoComments(r),
        ["issues", "comments", id] => n(id).map_or(Ep::Unknown, |id| Ep::Comment(r, id)),
        ["issues", num] => n(num).map_or(Ep::Unknown, |x| Ep::Issue(r, x)),
        ["issues", num, "comments"] => n(num).map_or(Ep::Unknown, |x| Ep::IssueComments(r, x)),
        ["issues", num, "labels"] => n(num).map_or(Ep::Unknown, |x| Ep::IssueLabels(r, x)),
        ["issues", num, "labels", name] => {
            n(num).map_or(Ep::Unknown, |x| Ep::IssueLabel(r, x, decode(name)))
        }
        ["issues", num, "events"] => n(num).map_or(Ep::Unknown, |x| Ep::Events(r, x)),
        ["issues", num, "timeline"] => n(num).map_or(Ep::Unknown, |x| Ep::Timeline(r, x)),
        ["labels"] => Ep::RepoLabels(r),
        ["labels", name] => Ep::RepoLabel(r, decode(name)),
        _ => Ep::Unknown,
    }
}

/// The route template of (method, endpoint), or `None` when the method is
/// not served there.
fn template(method: &Method, ep: &Ep) -> Option<&'static str> {
    let m = method.as_str();
    Some(match (m, ep) {
        ("GET", Ep::RateLimit) => "GET /rate_limit",
        ("GET", Ep::User) => "GET /user",
        ("GET", Ep::OrgRepos(_)) => "GET /orgs/{org}/repos",
        ("GET", Ep::Repo(_)) => "GET /repos/{owner}/{repo}",
        ("GET", Ep::Issues(_)) => "GET /repos/{owner}/{repo}/issues",
        ("POST", Ep::Issues(_)) => "POST /repos/{owner}/{repo}/issues",
        ("GET", Ep::Issue(..)) => "GET /repos/{owner}/{repo}/issues/{number}",
        ("PATCH", Ep::Issue(..)) => "PATCH /repos/{owner}/{repo}/issues/{number}",
        ("GET", Ep::RepoComments(_)) => "GET /repos/{owner}/{repo}/issues/comments",
        ("GET", Ep::Comment(..)) => "GET /repos/{owner}/{repo}/issues/comments/{id}",
        ("PATCH", Ep::Comment(..)) => "PATCH /repos/{owner}/{repo}/issues/comments/{id}",
        ("DELETE", Ep::Comment(..)) => "DELETE /repos/{owner}/{repo}/issues/comments/{id}",
        ("GET", Ep::IssueComments(..)) => "GET /repos/{owner}/{repo}/issues/{number}/comments",
        ("POST", Ep::IssueComments(..)) => "POST /repos/{owner}/{repo}/issues/{number}/comments",
        ("GET", Ep::IssueLabels(..)) => "GET /repos/{owner}/{repo}/issues/{number}/labels",
        ("POST", Ep::IssueLabels(..)) => "POST /repos/{owner}/{repo}/issues/{number}/labels",
        ("PUT", Ep::IssueLabels(..)) => "PUT /repos/{owner}/{repo}/issues/{number}/labels",
        ("DELETE", Ep::IssueLabels(..)) => "DELETE /repos/{owner}/{repo}/issues/{number}/labels",
        ("DELETE", Ep::IssueLabel(..)) => {
            "DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}"
        }
        ("GET", Ep::Events(..)) => "GET /repos/{owner}/{repo}/issues/{number}/events",
        ("GET", Ep::Timeline(..)) => "GET /repos/{owner}/{repo}/issues/{number}/timeline",
        ("GET", Ep::RepoLabels(_)) => "GET /repos/{owner}/{repo}/labels",
        ("POST", Ep::RepoLabels(_)) => "POST /repos/{owner}/{repo}/labels",
        ("GET", Ep::RepoLabel(..)) => "GET /repos/{owner}/{repo}/labels/{name}",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Responses.

/// What an endpoint produced, before the common headers.
struct Outcome {
    status: StatusCode,
    body: Vec<u8>,
    link: Option<String>,
    location: Option<String>,
}

impl Outcome {
    fn json(status: StatusCode, body: Vec<u8>) -> Self {
        Outcome {
            status,
            body,
            link: None,
            location: None,
        }
    }

    fn ok(body: Vec<u8>) -> Self {
        Self::json(StatusCode::OK, body)
    }

    fn error(status: StatusCode, message: &str, doc: &str) -> Self {
        Self::json(status, json::error(status.as_u16(), message, doc))
    }

    fn not_found(doc: &str) -> Self {
        Self::error(StatusCode::NOT_FOUND, "Not Found", doc)
    }

    fn invalid(message: &str, doc: &str, errors: &[(&str, &str, &str, Option<&str>)]) -> Self {
        Self::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            json::validation(message, doc, errors),
        )
    }

    fn no_content() -> Self {
        Self::json(StatusCode::NO_CONTENT, Vec::new())
    }
}

fn static_headers(h: &mut HeaderMap) {
    for (k, v) in [
        ("server", "github.com"),
        ("x-github-media-type", "github.v3; format=json"),
        ("x-github-api-version-selected", "2022-11-28"),
        ("access-control-allow-origin", "*"),
        (
            "access-control-expose-headers",
            "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, \
             X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, \
             X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, \
             X-GitHub-Request-Id, Deprecation, Sunset",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "deny"),
        ("x-xss-protection", "0"),
        ("referrer-policy", "origin-when-cross-origin, strict-origin-when-cross-origin"),
        ("content-security-policy", "default-src 'none'"),
        ("vary", "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding, Accept, X-Requested-With"),
    ] {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
}

fn rate_headers(h: &mut HeaderMap, s: RateSnapshot) {
    for (k, v) in [
        ("x-ratelimit-limit", s.limit),
        ("x-ratelimit-remaining", s.remaining),
        ("x-ratelimit-used", s.used),
        ("x-ratelimit-reset", s.reset),
    ] {
        h.insert(HeaderName::from_static(k), HeaderValue::from(v));
    }
    h.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
}

const JSON_TYPE: &str = "application/json; charset=utf-8";

fn build(
    status: StatusCode,
    body: Bytes,
    content_type: Option<&'static str>,
    rate: Option<RateSnapshot>,
    request_id: u64,
) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    static_headers(h);
    if let Some(ct) = content_type {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    if let Some(r) = rate {
        rate_headers(h, r);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("SBX0:{request_id:X}")) {
        h.insert("x-github-request-id", v);
    }
    resp
}

fn etag_of(body: &[u8]) -> String {
    format!("W/\"{}\"", hex::encode(Sha256::digest(body)))
}

/// Weak comparison against an `If-None-Match` list.
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let ours = bare(etag);
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == ours)
}

// ---------------------------------------------------------------------------
// Request context.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Who {
    User(String),
    Anonymous,
    Bad,
}

fn who(sh: &Shared, headers: &HeaderMap) -> Who {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Who::Anonymous;
    };
    let v = v.to_str().unwrap_or("").trim();
    let token = match v.split_once(' ') {
        Some((scheme, t))
            if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") =>
        {
            t.trim()
        }
        _ => return Who::Bad,
    };
    match sh.tokens.get(token) {
        Some(login) => Who::User(login.clone()),
        None => Who::Bad,
    }
}

fn peek(sh: &Shared, who: &Who) -> RateSnapshot {
    let now = now_secs();
    let mut b = sh.budgets();
    match who {
        Who::User(_) => b.auth.peek(now),
        _ => b.anon.peek(now),
    }
}
/// (page from 1, per_page 1..=100, default 30).
fn paging(p: &Params) -> (usize, usize) {
    let page = p
        .get("page")
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = match p
        .get("per_page")
        .and_then(|p| p.trim().parse::<usize>().ok())
    {
        Some(0) | None => 30,
        Some(n) => n.min(100),
    };
    (page, per_page)
}
/// Parses `since`: RFC 3339 (a `+` that form decoding turned into a space
/// is put back), `YYYY-MM-DDTHH:MM:SS` as UTC, or a bare date.
fn parse_since(s: &str) -> Option<i64> {
    let s = s.trim();
    let fixed = s.replace(' ', "+");
    for t in [s, fixed.as_str()] {
        if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
            return Some(d.timestamp());
        }
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(d.and_utc().timestamp());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

/// `Link` header for `page` of `last`, or `None` for a single page. URLs
/// are absolute on `base`, at `path`, with the request's query kept and
/// `page` replaced (or appended). Order as recorded from GitHub: prev,
/// next, last, first.
fn link_header(base: &str, path: &str, query: &str, page: usize, last: usize) -> Option<String> {
    if last <= 1 && page <= 1 {
        return None;
    }
    let url = |p: usize| {
        let mut parts: Vec<String> = Vec::new();
        let mut placed = false;
        for piece in query.split('&').filter(|s| !s.is_empty()) {
            let key = piece.split('=').next().unwrap_or("");
            if key == "page" {
                if !placed {
                    parts.push(format!("page={p}"));
                    placed = true;
                }
            } else {
                parts.push(piece.to_string());
            }
        }
        if !placed {
            parts.push(format!("page={p}"));
        }
        format!("<{base}{path}?{}>", parts.join("&"))
    };
    let mut rels = Vec::new();
    if page > 1 {
        rels.push(format!("{}; rel=\"prev\"", url((page - 1).min(last))));
    }
    if page < last {
        rels.push(format!("{}; rel=\"next\"", url(page + 1)));
        rels.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page > 1 {
        rels.push(format!("{}; rel=\"first\"", url(1)));
    }
    Some(rels.join(", "))
}

/// The page of `total` items: (start, end, last page).
fn page_bounds(total: usize, page: usize, per_page: usize) -> (usize, usize, usize) {
    let last = total.div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    (start, end, last)
}

/// Everything an endpoint needs besides the world.
struct Call<'a> {
    method: &'a Method,
    query: &'a str,
    params: Params,
    body: &'a [u8],
    /// Login of the token, `None` when anonymous.
    login: Option<&'a str>,
    /// `http://{Host}` for `Link` and `Location`.
    base: &'a str,
}

impl Call<'_> {
    fn paged(&self, path: String, total: usize) -> (usize, usize, Option<String>) {
        let (page, per_page) = paging(&self.params);
        let (start, end, last) = page_bounds(total, page, per_page);
        (
            start,
            end,
            link_header(self.base, &path, self.query, page, last),
        )
    }

    fn is_read(&self) -> bool {
        self.method == Method::GET || self.method == Method::HEAD
    }

    fn json_body(&self, doc: &str) -> Result<Value, Outcome> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(self.body)
            .map_err(|_| Outcome::error(StatusCode::BAD_REQUEST, "Problems parsing JSON", doc))
    }
}

fn resolve(w: &World, r: &RepoRef) -> Option<u32> {
    match r {
        RepoRef::Name(owner, name) => w.repo(&format!("{owner}/{name}")),
        RepoRef::Id(id) => w.repo_by_id(*id),
    }
}

/// 404, 410 or a redirect for an issue that cannot be served.
fn gone(w: &World, call: &Call<'_>, g: Gone, suffix: &str, doc: &str) -> Outcome {
    match g {
        Gone::NotFound => Outcome::not_found(doc),
        Gone::Deleted => Outcome::error(StatusCode::GONE, "This issue was deleted", DOC_GET_ISSUE),
        Gone::Moved { repo, number } => {
            let loc = format!(
                "{}/repositories/{}/issues/{number}{suffix}",
                call.base, w.repos[repo as usize].id
            );
            let mut body = Vec::new();
            raw(&mut body, "{\"message\":\"Moved Permanently\",\"url\":");
            esc(&mut body, &loc);
            raw(&mut body, ",\"documentation_url\":");
            esc(&mut body, DOC_REDIRECT);
            body.push(b'}');
            // GitHub answers 301 to reads and 307 to writes, so a client
            // that follows redirects repeats a write with its method.
            let status = if call.is_read() {
                StatusCode::MOVED_PERMANENTLY
            } else {
                StatusCode::TEMPORARY_REDIRECT
            };
            Outcome {
                status,
                body,
                link: None,
                location: Some(loc),
            }
        }
    }
}

fn mut_err(w: &World, call: &Call<'_>, e: MutErr, suffix: &str, doc: &str) -> Outcome {
    match e {
        MutErr::Gone(g) => gone(w, call, g, suffix, doc),
        MutErr::Invalid {
            resource,
            field,
            code,
            message,
        } => Outcome::invalid(
            "Validation Failed",
            doc,
            &[(resource, field, code, Some(&message))],
        ),
        MutErr::LabelAbsent => Outcome::error(
            StatusCode::NOT_FOUND,
            "Label does not exist",
            DOC_REMOVE_LABEL,
        ),
        MutErr::NoComment => Outcome::not_found(DOC_COMMENT),
    }
}

fn array<T>(items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T), per_item: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + items.len() * per_item);
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(&mut out, item);
    }
    out.push(b']');
    out
}

// ---------------------------------------------------------------------------
// The fake GitHub behind the shared plumbing.

/// A request as the fake GitHub reads it.
pub(crate) struct Routed {
    ep: Ep,
    who: Who,
    /// `http://{Host}` for `Link` and `Location`.
    base: String,
}

impl Routed {
    fn call<'a>(&'a self, rq: &'a Inbound, body: &'a [u8]) -> Call<'a> {
        Call {
            method: rq.method(),
            query: &rq.query,
            params: Params::parse(&rq.query),
            body,
            login: match &self.who {
                Who::User(l) => Some(l.as_str()),
                _ => None,
            },
            base: &self.base,
        }
    }
}

/// GitHub's HTML error page, for [`ErrorFault::HtmlError`].
fn html_page(status: StatusCode) -> String {
    let reason = status.canonical_reason().unwrap_or("Error");
    format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv=\"Content-type\" content=\"text/html; charset=utf-8\">\n    <title>{code} {reason}</title>\n  </head>\n  <body>\n    <h1>{code} {reason}</h1>\n    <p>We had issues producing the response to your request. Sorry about that.</p>\n  </body>\n</html>\n",
        code = status.as_u16()
    )
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
        let ep = endpoint(rq.parts.uri.path());
        let (route, ep): (Cow<'static, str>, Ep) = match template(rq.method(), &ep) {
            Some(t) => (Cow::Borrowed(t), ep),
            None => (
                Cow::Owned(format!("{} (unmatched)", rq.method())),
                Ep::Unknown,
            ),
        };
        let routed = Routed {
            ep,
            who: who(self, rq.headers()),
            base: rq.base(&self.base),
        };
        (route, routed)
    }

    fn too_large(&self, rq: &Inbound, r: &Routed) -> Response {
        build(
            StatusCode::PAYLOAD_TOO_LARGE,
            Bytes::from(json::error(413, "Request body too large", DOC_REST)),
            Some(JSON_TYPE),
            Some(peek(self, &r.who)),
            rq.request_id,
        )
    }

    fn refuse(&self, rq: &Inbound, r: &Routed, fault: ErrorFault) -> Response {
        let request_id = rq.request_id;
        let json_error = |status: u16, message: &str, doc: &str, rate: Option<RateSnapshot>| {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            build(
                status,
                Bytes::from(json::error(status.as_u16(), message, doc)),
                Some(JSON_TYPE),
                rate,
                request_id,
            )
        };
        match fault {
            ErrorFault::SecondaryLimit {
                status,
                retry_after,
            } => {
                let message = format!(
                    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. \
                     If you reach out to GitHub Support for help, please include the request ID SBX0:{request_id:X}."
                );
                let status = if status == 429 { 429 } else { 403 };
                let mut resp =
                    json_error(status, &message, DOC_SECONDARY, Some(peek(self, &r.who)));
                if let Some(secs) = retry_after {
                    resp.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                resp
            }
            ErrorFault::PrimaryExhausted { reset_in_secs } => {
                let limit = peek(self, &r.who).limit;
                let snap = RateSnapshot {
                    limit,
                    remaining: 0,
                    used: limit,
                    reset: now_secs() + reset_in_secs as i64,
                };
                json_error(
                    403,
                    "API rate limit exceeded for user ID 1.",
                    DOC_RATE,
                    Some(snap),
                )
            }
            ErrorFault::ServerError { status } => {
                let status = StatusCode::from_u16(status)
                    .ok()
                    .filter(|s| s.is_server_error())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                build(
                    status,
                    Bytes::from_static(b"{\"message\":\"Server Error\"}"),
                    Some(JSON_TYPE),
                    Some(peek(self, &r.who)),
                    request_id,
                )
            }
            ErrorFault::Unauthorized => json_error(
                401,
                "Bad credentials",
                DOC_REST,
                Some(peek(self, &Who::Anonymous)),
            ),
            ErrorFault::HtmlError { status } => {
                let status = StatusCode::from_u16(status)
                    .ok()
                    .filter(|s| s.is_client_error() || s.is_server_error())
                    .unwrap_or(StatusCode::BAD_GATEWAY);
                // An error page from a proxy in front of the API: it knows
                // nothing of budgets, so no rate-limit headers.
                build(
                    status,
                    Bytes::from(html_page(status)),
                    Some("text/html; charset=utf-8"),
                    None,
                    request_id,
                )
            }
            ErrorFault::ClientError { status, message } => {
                json_error(status, &message, DOC_REST, None)
            }
        }
    }

    fn full_document(&self, rq: &Inbound, r: &Routed, body: &[u8]) -> Vec<u8> {
        // A read is rendered for real; a write is not executed and gets a
        // stand-in document.
        let call = r.call(rq, body);
        if call.is_read() {
            let o = execute(self, &call, &r.ep, &r.who);
            if o.status == StatusCode::OK {
                return o.body;
            }
        }
        json::error(500, "sandbox: stand-in for a cut-off response", DOC_REST)
    }

    fn ok_json(&self, rq: &Inbound, r: &Routed, body: Bytes) -> Response {
        build(
            StatusCode::OK,
            body,
            Some(JSON_TYPE),
            Some(peek(self, &r.who)),
            rq.request_id,
        )
    }

    fn bare(&self, rq: &Inbound, status: StatusCode) -> Response {
        build(status, Bytes::new(), None, None, rq.request_id)
    }

    fn serve(&self, rq: &Inbound, r: Routed, body: &[u8], self_link: bool) -> Served {
        let sh = self;
        let request_id = rq.request_id;
        let call = r.call(rq, body);
        if r.who == Who::Bad {
            let body = json::error(401, "Bad credentials", DOC_REST);
            return Served::Refused(build(
                StatusCode::UNAUTHORIZED,
                Bytes::from(body),
                Some(JSON_TYPE),
                Some(peek(sh, &r.who)),
                request_id,
            ));
        }

        let free = matches!(r.ep, Ep::RateLimit);
        let spent = {
            let now = now_secs();
            let mut b = sh.budgets();
            let budget = if call.login.is_some() {
                &mut b.auth
            } else {
                &mut b.anon
            };
            if free {
                Ok(budget.peek(now))
            } else {
                budget.try_spend(now)
            }
        };
        let mut rate = match spent {
            Ok(s) => s,
            Err(s) => {
                let user_id = call
                    .login
                    .and_then(|l| {
                        let w = sh.read();
                        w.find_user(l).map(|u| w.users[u as usize].id)
                    })
                    .map_or_else(|| "127.0.0.1".to_string(), |id| format!("user ID {id}"));
                let body = json::error(
                    403,
                    &format!("API rate limit exceeded for {user_id}."),
                    DOC_RATE,
                );
                return Served::Refused(build(
                    StatusCode::FORBIDDEN,
                    Bytes::from(body),
                    Some(JSON_TYPE),
                    Some(s),
                    request_id,
                ));
            }
        };

        let outcome = execute(sh, &call, &r.ep, &r.who);
        let mut not_modified = false;
        let mut etag = None;
        if outcome.status == StatusCode::OK && call.is_read() {
            let tag = etag_of(&outcome.body);
            if let Some(inm) = rq
                .headers()
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
            {
                not_modified = etag_matches(inm, &tag);
            }
            etag = Some(tag);
        }
        if not_modified && call.login.is_some() && !free {
            // An authorised 304 does not count against the primary limit.
            rate = sh.budgets().auth.refund();
        }
        let status = if not_modified {
            StatusCode::NOT_MODIFIED
        } else {
            outcome.status
        };
        let (body, ct) = if not_modified || status == StatusCode::NO_CONTENT {
            (Bytes::new(), None)
        } else {
            (Bytes::from(outcome.body), Some(JSON_TYPE))
        };
        let mut resp = build(status, body, ct, Some(rate), request_id);
        let h = resp.headers_mut();
        if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
            h.insert(header::ETAG, tag);
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=60, s-maxage=60"),
            );
        }
        if let Some(link) = outcome
            .link
            .filter(|_| !not_modified)
            .and_then(|l| HeaderValue::from_str(&l).ok())
        {
            h.insert(header::LINK, link);
        }
        if let Some(loc) = outcome
            .location
            .and_then(|l| HeaderValue::from_str(&l).ok())
        {
            h.insert(header::LOCATION, loc);
        }
        if call.login.is_some() {
            h.insert("x-oauth-scopes", HeaderValue::from_static("repo"));
            h.insert("x-accepted-oauth-scopes", HeaderValue::from_static("repo"));
        }
        if self_link {
            // The next page is this very page.
            let own = format!("<{}{}>; rel=\"next\"", r.base, rq.path_and_query);
            if let Ok(v) = HeaderValue::from_str(&own) {
                resp.headers_mut().insert(header::LINK, v);
            }
        }
        Served::Executed(resp)
    }
}

// ---------------------------------------------------------------------------
// Endpoints.

fn execute(sh: &Shared, call: &Call<'_>, ep: &Ep, who: &Who) -> Outcome {
    let writes = !call.is_read();
    if matches!(ep, Ep::Unknown) {
        return Outcome::not_found(DOC_REST);
    }
    if writes && call.login.is_none() {
        return Outcome::error(
            StatusCode::UNAUTHORIZED,
            "Requires authentication",
            DOC_REST,
        );
    }
    match ep {
        Ep::Unknown => Outcome::not_found(DOC_REST),
        Ep::RateLimit => Outcome::ok(json::rate_limit(peek(sh, who))),
        Ep::User => match call.login {
            None => Outcome::error(
                StatusCode::UNAUTHORIZED,
                "Requires authentication",
                DOC_REST,
            ),
            Some(login) => {
                let w = sh.read();
                match w.find_user(login) {
                    Some(u) => Outcome::ok(w.users[u as usize].json.clone().into_bytes()),
                    None => Outcome::not_found(DOC_REST),
                }
            }
        },
        Ep::OrgRepos(org) => org_repos(&sh.read(), call, org),
        _ if writes => write_endpoint(sh, call, ep),
        _ => read_endpoint(&sh.read(), call, ep),
    }
}

fn org_repos(w: &World, call: &Call<'_>, org: &OrgRef) -> Outcome {
    let org = match org {
        OrgRef::Name(n) => w.org_by_name(n),
        OrgRef::Id(id) => w.org_by_id(*id),
    };
    let Some(org) = org else {
        return Outcome::not_found(DOC_ORG_REPOS);
    };
    let mut repos: Vec<usize> = (0..w.repos.len())
        .filter(|i| w.repos[*i].owner.eq_ignore_ascii_case(&org.login))
        .collect();
    let sort = call.params.get("sort").unwrap_or("created");
    match sort {
        "full_name" => repos.sort_by(|a, b| w.repos[*a].full_name.cmp(&w.repos[*b].full_name)),
        _ => repos.sort_by_key(|i| (w.repos[*i].created, w.repos[*i].id)),
    }
    let default_asc = sort == "full_name";
    let asc = call
        .params
        .get("direction")
        .map_or(default_asc, |d| d == "asc");
    if !asc {
        repos.reverse();
    }
    let (start, end, link) = call.paged(format!("/organizations/{}/repos", org.id), repos.len());
    let body = array(
        &repos[start..end],
        |out, i| json::write_repo(out, w, &w.repos[*i]),
        2048,
    );
    Outcome {
        link,
        ..Outcome::ok(body)
    }
}

fn read_endpoint(w: &World, call: &Call<'_>, ep: &Ep) -> Outcome {
    let repo_ref = match ep {
        Ep::Repo(r)
        | Ep::Issues(r)
        | Ep::RepoComments(r)
        | Ep::Comment(r, _)
        | Ep::Issue(r, _)
        | Ep::IssueComments(r, _)
        | Ep::IssueLabels(r, _)
        | Ep::IssueLabel(r, ..)
        | Ep::Events(r, _)
        | Ep::Timeline(r, _)
        | Ep::RepoLabels(r)
        | Ep::RepoLabel(r, _) => r,
        _ => return Outcome::not_found(DOC_REST),
    };
    let doc = match ep {
        Ep::Issues(_) => DOC_LIST_ISSUES,
        Ep::Issue(..) => DOC_GET_ISSUE,
        Ep::Repo(_) => DOC_REPO,
        Ep::RepoComments(_) | Ep::IssueComments(..) => DOC_COMMENTS,
        Ep::Comment(..) => DOC_COMMENT,
        Ep::Events(..) | Ep::Timeline(..) => DOC_EVENTS,
        _ => DOC_LABELS,
    };
    let Some(ri) = resolve(w, repo_ref) else {
        return Outcome::not_found(doc);
    };
    let repo = &w.repos[ri as usize];
    match ep {
        Ep::Repo(_) => {
            let mut out = Vec::with_capacity(2048);
            json::write_repo(&mut out, w, repo);
            Outcome::ok(out)
        }
        Ep::Issues(_) => list_issues(w, call, ri),
        Ep::Issue(_, n) => match w.locate(ri, *n) {
            Ok(ix) => {
                let issue = &repo.issues[ix];
                let mut out = Vec::with_capacity(4096 + issue.body.len());
                json::write_issue(&mut out, w, repo, issue);
                Outcome::ok(out)
            }
            Err(g) => gone(w, call, g, "", doc),
        },
        Ep::RepoComments(_) => {
            let since = match call.params.get("since").map(parse_since) {
                Some(None) => return bad_param("IssueComment", "since", doc),
                Some(s) => s,
                None => None,
            };
            let mut all: Vec<(u64, &super::state::Comment)> = repo
                .issues
                .iter()
                .filter(|i| i.is_live())
                .flat_map(|i| i.comments.iter().map(move |c| (i.number, c)))
                .filter(|(_, c)| since.is_none_or(|s| c.updated >= s))
                .collect();
            // Without `sort`, ascending by id; with it, by the key
            // (descending unless asked otherwise), ties by id.
            let sort = call.params.get("sort");
            all.sort_by_key(|(_, c)| match sort {
                Some("updated") => (c.updated, c.id),
                Some(_) => (c.created, c.id),
                None => (0, c.id),
            });
            let desc = sort.is_some() && call.params.get("direction") != Some("asc");
            if desc {
                all.reverse();
            }
            let (start, end, link) = call.paged(
                format!("/repositories/{}/issues/comments", repo.id),
                all.len(),
            );
            let body = array(
                &all[start..end],
                |out, (n, c)| json::write_comment(out, w, repo, *n, c, false),
                1800,
            );
            Outcome {
                link,
                ..Outcome::ok(body)
            }
        }
        Ep::Comment(_, id) => match w.comment(ri, *id) {
            Some((ix, c)) => {
                let issue = &repo.issues[ix];
                let mut out = Vec::with_capacity(2048);
                json::write_comment(&mut out, w, repo, issue.number, &issue.comments[c], false);
                Outcome::ok(out)
            }
            None => Outcome::not_found(doc),
        },
        Ep::IssueComments(_, n) => {
            let ix = match w.locate(ri, *n) {
                Ok(ix) => ix,
                Err(g) => return gone(w, call, g, "/comments", doc),
            };
            let since = match call.params.get("since").map(parse_since) {
                Some(None) => return bad_param("IssueComment", "since", doc),
                Some(s) => s,
                None => None,
            };
            let issue = &repo.issues[ix];
            let comments: Vec<&super::state::Comment> = issue
                .comments
                .iter()
                .filter(|c| since.is_none_or(|s| c.updated >= s))
                .collect();
            let (start, end, link) = call.paged(
                format!("/repositories/{}/issues/{n}/comments", repo.id),
                comments.len(),
            );
            let body = array(
                &comments[start..end],
                |out, c| json::write_comment(out, w, repo, *n, c, false),
                1800,
            );
            Outcome {
                link,
                ..Outcome::ok(body)
            }
        }
        Ep::IssueLabels(_, n) => {
            let ix = match w.locate(ri, *n) {
                Ok(ix) => ix,
                Err(g) => return gone(w, call, g, "/labels", doc),
            };
            let labels = &repo.issues[ix].labels;
            let (start, end, link) = call.paged(
                format!("/repositories/{}/issues/{n}/labels", repo.id),
                labels.len(),
            );
            let body = array(
                &labels[start..end],
                |out, l| raw(out, &repo.labels[*l as usize].json),
                256,
            );
            Outcome {
                link,
                ..Outcome::ok(body)
            }
        }
        Ep::Events(_, n) | Ep::Timeline(_, n) => {
            let timeline = matches!(ep, Ep::Timeline(..));
            let ix = match w.locate(ri, *n) {
                Ok(ix) => ix,
                Err(g) => {
                    return gone(
                        w,
                        call,
                        g,
                        if timeline { "/timeline" } else { "/events" },
                        doc,
                    )
                }
            };
            let issue = &repo.issues[ix];
            // (time, id, is a comment, index)
            let mut entries: Vec<(i64, u64, bool, usize)> = issue
                .events
                .iter()
                .enumerate()
                .map(|(k, e)| (e.at, e.id, false, k))
                .collect();
            if timeline {
                entries.extend(
                    issue
                        .comments
                        .iter()
                        .enumerate()
                        .map(|(k, c)| (c.created, c.id, true, k)),
                );
            }
            entries.sort_by_key(|(t, id, c, _)| (*t, *c, *id));
            let path = format!(
                "/repositories/{}/issues/{n}/{}",
                repo.id,
                if timeline { "timeline" } else { "events" }
            );
            let (start, end, link) = call.paged(path, entries.len());
            let body = array(
                &entries[start..end],
                |out, (_, _, is_comment, k)| {
                    if *is_comment {
                        json::write_comment(out, w, repo, *n, &issue.comments[*k], true);
                    } else {
                        json::write_event(out, w, repo, &issue.events[*k]);
                    }
                },
                1500,
            );
            Outcome {
                link,
                ..Outcome::ok(body)
            }
        }
        Ep::RepoLabels(_) => {
            let (start, end, link) = call.paged(
                format!("/repositories/{}/labels", repo.id),
                repo.labels.len(),
            );
            let body = array(&repo.labels[start..end], |out, l| raw(out, &l.json), 256);
            Outcome {
                link,
                ..Outcome::ok(body)
            }
        }
        Ep::RepoLabel(_, name) => match repo.label(name) {
            Some(l) => Outcome::ok(repo.labels[l as usize].json.clone().into_bytes()),
            None => Outcome::not_found(doc),
        },
        Ep::IssueLabel(..) => Outcome::not_found(DOC_REST),
        _ => Outcome::not_found(DOC_REST),
    }
}

fn bad_param(resource: &str, field: &str, doc: &str) -> Outcome {
    Outcome::invalid(
        "Validation Failed",
        doc,
        &[(resource, field, "invalid", None)],
    )
}

fn list_issues(w: &World, call: &Call<'_>, ri: u32) -> Outcome {
    let repo = &w.repos[ri as usize];
    let p = &call.params;
    let state = match p.get("state") {
        None | Some("open") => StateFilter::Open,
        Some("closed") => StateFilter::Closed,
        Some("all") => StateFilter::All,
        Some(_) => return bad_param("Issue", "state", DOC_LIST_ISSUES),
    };
    let sort = match p.get("sort") {
        None | Some("created") => SortKey::Created,
        Some("updated") => SortKey::Updated,
        Some("comments") => SortKey::Comments,
        Some(_) => return bad_param("Issue", "sort", DOC_LIST_ISSUES),
    };
    let asc = match p.get("direction") {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return bad_param("Issue", "direction", DOC_LIST_ISSUES),
    };
    let since = match p.get("since").map(parse_since) {
        Some(None) => return bad_param("Issue", "since", DOC_LIST_ISSUES),
        Some(s) => s,
        None => None,
    };
    let mut labels = Vec::new();
    let mut unknown_label = false;
    for name in p
        .get("labels")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        match repo.label(name) {
            Some(l) => labels.push(l),
            None => unknown_label = true,
        }
    }
    labels.sort_unstable();
    labels.dedup();
    let ids = if unknown_label {
        Arc::new(Vec::new())
    } else {
        repo.list(&ListKey {
            state,
            labels,
            since,
            sort,
            asc,
        })
    };
    let (start, end, link) = call.paged(format!("/repositories/{}/issues", repo.id), ids.len());
    let page = &ids[start..end];
    let guess: usize = page
        .iter()
        .map(|ix| 4200 + repo.issues[*ix as usize].body.len())
        .sum();
    let mut out = Vec::with_capacity(guess + 2);
    out.push(b'[');
    for (k, ix) in page.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        json::write_issue(&mut out, w, repo, &repo.issues[*ix as usize]);
    }
    out.push(b']');
    Outcome {
        link,
        ..Outcome::ok(out)
    }
}

/// Label names from `{"labels": [...]}` or a bare array, of strings or
/// `{"name": ...}` objects. `None` when the shape is wrong.
fn label_names(v: &Value) -> Option<Vec<String>> {
    let list = match v {
        Value::Array(a) => a,
        Value::Object(o) => o.get("labels")?.as_array()?,
        _ => return None,
    };
    list.iter()
        .map(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("name")?.as_str().map(str::to_string),
            _ => None,
        })
        .collect()
}

fn text_field(v: &Value, key: &str) -> Result<Option<String>, ()> {
    match v.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(String::new())),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(()),
    }
}

fn body_too_long(resource: &str, doc: &str) -> Outcome {
    let message = format!("body is too long (maximum is {MAX_BODY_CHARS} characters)");
    Outcome::invalid(
        "Validation Failed",
        doc,
        &[(resource, "body", "custom", Some(&message))],
    )
}

fn issue_labels_json(w: &World, ri: u32, n: u64) -> Vec<u8> {
    let repo = &w.repos[ri as usize];
    match w.locate(ri, n) {
        Ok(ix) => array(
            &repo.issues[ix].labels,
            |out, l| raw(out, &repo.labels[*l as usize].json),
            256,
        ),
        Err(_) => b"[]".to_vec(),
    }
}

fn issue_json(w: &World, ri: u32, n: u64) -> Vec<u8> {
    let repo = &w.repos[ri as usize];
    match w.locate(ri, n) {
        Ok(ix) => {
            let mut out = Vec::with_capacity(4096);
            json::write_issue(&mut out, w, repo, &repo.issues[ix]);
            out
        }
        Err(_) => b"{}".to_vec(),
    }
}

fn write_endpoint(sh: &Shared, call: &Call<'_>, ep: &Ep) -> Outcome {
    let login = call.login.unwrap_or("");
    let now = now_secs();
    let mut w = sh.write();
    let actor = w.user(login);
    let (repo_ref, doc) = match ep {
        Ep::Issues(r) => (r, DOC_CREATE_ISSUE),
        Ep::Issue(r, _) => (r, DOC_UPDATE_ISSUE),
        Ep::Comment(r, _) => (r, DOC_COMMENT),
        Ep::IssueComments(r, _) => (r, DOC_CREATE_COMMENT),
        Ep::IssueLabels(r, _) => (
            r,
            if call.method == Method::PUT {
                DOC_SET_LABELS
            } else {
                DOC_ADD_LABELS
            },
        ),
        Ep::IssueLabel(r, ..) => (r, DOC_REMOVE_LABEL),
        Ep::RepoLabels(r) => (r, DOC_LABELS),
        _ => return Outcome::not_found(DOC_REST),
    };
    let Some(ri) = resolve(&w, repo_ref) else {
        return Outcome::not_found(doc);
    };
    let v = match call.json_body(doc) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let m = call.method;
    match ep {
        Ep::Issues(_) => {
            let (Ok(title), Ok(body)) = (text_field(&v, "title"), text_field(&v, "body")) else {
                return bad_param("Issue", "title", doc);
            };
            let Some(title) = title.filter(|t| !t.trim().is_empty()) else {
                return Outcome::invalid(
                    "Validation Failed",
                    doc,
                    &[("Issue", "title", "missing_field", None)],
                );
            };
            let body = body.unwrap_or_default();
            if body.chars().count() > MAX_BODY_CHARS {
                return body_too_long("Issue", doc);
            }
            let labels = match v.get("labels") {
                None | Some(Value::Null) => Vec::new(),
                Some(l) => match label_names(l) {
                    Some(l) => l,
                    None => return bad_param("Issue", "labels", doc),
                },
            };
            let assignees = assignees_of(&mut w, &v);
            let created = w.create_issue(
                ri,
                NewIssueData {
                    title,
                    body,
                    labels,
                    assignees,
                    pr: None,
                    closed: None,
                },
                actor,
                now,
            );
            match created {
                Ok(n) => {
                    let location = format!(
                        "{}/repos/{}/issues/{n}",
                        call.base, w.repos[ri as usize].full_name
                    );
                    Outcome {
                        location: Some(location),
                        ..Outcome::json(StatusCode::CREATED, issue_json(&w, ri, n))
                    }
                }
                Err(e) => mut_err(&w, call, e, "", doc),
            }
        }
        Ep::Issue(_, n) => {
            let n = *n;
            if let Err(g) = w.locate(ri, n) {
                return gone(&w, call, g, "", doc);
            }
            let r = update_issue(&mut w, ri, n, &v, actor, now);
            match r {
                Ok(()) => Outcome::ok(issue_json(&w, ri, n)),
                Err(Err(o)) => o,
                Err(Ok(e)) => mut_err(&w, call, e, "", doc),
            }
        }
        Ep::IssueComments(_, n) => {
            let body = match text_field(&v, "body") {
                Ok(Some(b)) if !b.is_empty() => b,
                _ => {
                    return Outcome::invalid(
                        "Validation Failed",
                        doc,
                        &[("IssueComment", "body", "missing_field", None)],
                    )
                }
            };
            if body.chars().count() > MAX_BODY_CHARS {
                return body_too_long("IssueComment", doc);
            }
            match w.add_comment(ri, *n, actor, &body, now) {
                Ok(id) => {
                    let repo = &w.repos[ri as usize];
                    let mut out = Vec::with_capacity(2048);
                    if let Some((ix, c)) = w.comment(ri, id) {
                        json::write_comment(
                            &mut out,
                            &w,
                            repo,
                            *n,
                            &repo.issues[ix].comments[c],
                            false,
                        );
                    }
                    Outcome {
                        location: Some(format!(
                            "{}/repos/{}/issues/comments/{id}",
                            call.base, repo.full_name
                        )),
                        ..Outcome::json(StatusCode::CREATED, out)
                    }
                }
                Err(e) => mut_err(&w, call, e, "/comments", doc),
            }
        }
        Ep::Comment(_, id) if m == Method::PATCH => {
            let body = match text_field(&v, "body") {
                Ok(Some(b)) if !b.is_empty() => b,
                _ => {
                    return Outcome::invalid(
                        "Validation Failed",
                        doc,
                        &[("IssueComment", "body", "missing_field", None)],
                    )
                }
            };
            if body.chars().count() > MAX_BODY_CHARS {
                return body_too_long("IssueComment", doc);
            }
            match w.edit_comment(ri, *id, &body, now) {
                Ok(()) => {
                    let repo = &w.repos[ri as usize];
                    let mut out = Vec::with_capacity(2048);
                    if let Some((ix, c)) = w.comment(ri, *id) {
                        let issue = &repo.issues[ix];
                        json::write_comment(
                            &mut out,
                            &w,
                            repo,
                            issue.number,
                            &issue.comments[c],
                            false,
                        );
                    }
                    Outcome::ok(out)
                }
                Err(e) => mut_err(&w, call, e, "", doc),
            }
        }
        Ep::Comment(_, id) => match w.delete_comment(ri, *id, now) {
            Ok(()) => Outcome::no_content(),
            Err(e) => mut_err(&w, call, e, "", doc),
        },
        Ep::IssueLabels(_, n) if m == Method::DELETE => match w.set_labels(ri, *n, &[], actor, now)
        {
            Ok(()) => Outcome::no_content(),
            Err(e) => mut_err(&w, call, e, "/labels", doc),
        },
        Ep::IssueLabels(_, n) => {
            let names = match label_names(&v) {
                Some(names) => names,
                None => return empty_labels(doc),
            };
            let result = if m == Method::PUT {
                w.set_labels(ri, *n, &names, actor, now)
            } else if names.is_empty() {
                // GitHub's schema wants at least one label when adding.
                return empty_labels(doc);
            } else {
                w.add_labels(ri, *n, &names, actor, now)
            };
            match result {
                Ok(()) => Outcome::ok(issue_labels_json(&w, ri, *n)),
                Err(e) => mut_err(&w, call, e, "/labels", doc),
            }
        }
        Ep::IssueLabel(_, n, name) => match w.remove_label(ri, *n, name, actor, now) {
            Ok(()) => Outcome::ok(issue_labels_json(&w, ri, *n)),
            Err(e) => mut_err(&w, call, e, &format!("/labels/{}", render::seg(name)), doc),
        },
        Ep::RepoLabels(_) => {
            let Ok(Some(name)) = text_field(&v, "name") else {
                return Outcome::invalid(
                    "Validation Failed",
                    doc,
                    &[("Label", "name", "missing_field", None)],
                );
            };
            if name.chars().count() > super::state::MAX_LABEL_LEN || name.trim().is_empty() {
                return bad_param("Label", "name", doc);
            }
            if w.repos[ri as usize].label(&name).is_some() {
                return Outcome::invalid(
                    "Validation Failed",
                    doc,
                    &[("Label", "name", "already_exists", None)],
                );
            }
            let color = text_field(&v, "color")
                .ok()
                .flatten()
                .unwrap_or_else(|| super::state::NEW_LABEL_COLOR.into());
            let color = color.trim_start_matches('#').to_lowercase();
            if color.len() != 6 || !color.bytes().all(|b| b.is_ascii_hexdigit()) {
                return bad_param("Label", "color", doc);
            }
            let description = text_field(&v, "description")
                .ok()
                .flatten()
                .filter(|d| !d.is_empty());
            let l = w.add_label(ri, &name, &color, description.as_deref(), false);
            let json = w.repos[ri as usize].labels[l as usize].json.clone();
            Outcome::json(StatusCode::CREATED, json.into_bytes())
        }
        _ => Outcome::not_found(DOC_REST),
    }
}

fn empty_labels(doc: &str) -> Outcome {
    Outcome::invalid(
        "Invalid request.\n\nNo subschema in \"anyOf\" matched.",
        doc,
        &[(
            "Issue",
            "labels",
            "invalid",
            Some("No subschema in \"anyOf\" matched."),
        )],
    )
}

fn assignees_of(w: &mut World, v: &Value) -> Vec<u32> {
    let mut logins: Vec<String> = Vec::new();
    if let Some(a) = v.get("assignee").and_then(Value::as_str) {
        logins.push(a.to_string());
    }
    if let Some(list) = v.get("assignees").and_then(Value::as_array) {
        logins.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
    }
    // GitHub drops assignees it does not know; known users only.
    let mut ids: Vec<u32> = logins.iter().filter_map(|l| w.find_user(l)).collect();
    ids.dedup();
    ids
}

/// PATCH an issue: title, body, labels, assignees, state (+ reason).
/// `Err(Err(outcome))` is a request error, `Err(Ok(e))` a state error.
fn update_issue(
    w: &mut World,
    ri: u32,
    n: u64,
    v: &Value,
    actor: u32,
    now: i64,
) -> Result<(), Result<MutErr, Outcome>> {
    let doc = DOC_UPDATE_ISSUE;
    let bad = |f: &str| Err(Err(bad_param("Issue", f, doc)));
    if !v.is_object() {
        return bad("body");
    }
    match text_field(v, "title") {
        Ok(Some(t)) => w.set_title(ri, n, &t, actor, now).map_err(Ok)?,
        Ok(None) => {}
        Err(()) => return bad("title"),
    }
    match text_field(v, "body") {
        Ok(Some(b)) if b.chars().count() > MAX_BODY_CHARS => {
            return Err(Err(body_too_long("Issue", doc)))
        }
        Ok(Some(b)) => w.set_body(ri, n, &b, now).map_err(Ok)?,
        Ok(None) => {}
        Err(()) => return bad("body"),
    }
    if let Some(l) = v.get("labels") {
        let Some(names) = label_names(l) else {
            return bad("labels");
        };
        w.set_labels(ri, n, &names, actor, now).map_err(Ok)?;
    }
    if v.get("assignees").is_some() || v.get("assignee").is_some() {
        let a = assignees_of(w, v);
        w.set_assignees(ri, n, a, now).map_err(Ok)?;
    }
    let reason = match v.get("state_reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(r))
            if ["completed", "not_planned", "reopened", "duplicate"].contains(&r.as_str()) =>
        {
            Some(r.clone())
        }
        Some(_) => return bad("state_reason"),
    };
    match v.get("state").and_then(Value::as_str) {
        Some("closed") => w.set_state(ri, n, true, reason, actor, now).map_err(Ok)?,
        Some("open") => w.set_state(ri, n, false, None, actor, now).map_err(Ok)?,
        Some(_) => return bad("state"),
        None if reason.is_some() => {
            // A reason alone changes the reason of a closed issue.
            let closed = w.repos[ri as usize].issues[(n - 1) as usize].closed;
            if closed {
                w.set_state(ri, n, true, reason, actor, now).map_err(Ok)?;
            }
        }
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_shapes_follow_github() {
        let b = "http://h";
        assert_eq!(
            link_header(b, "/repositories/1/issues", "per_page=3", 1, 1),
            None
        );
        assert_eq!(
            link_header(b, "/repositories/1/issues", "per_page=3", 1, 5).unwrap(),
            "<http://h/repositories/1/issues?per_page=3&page=2>; rel=\"next\", \
             <http://h/repositories/1/issues?per_page=3&page=5>; rel=\"last\""
        );
        assert_eq!(
            link_header(b, "/repositories/1/issues", "per_page=3&page=2", 2, 5).unwrap(),
            "<http://h/repositories/1/issues?per_page=3&page=1>; rel=\"prev\", \
             <http://h/repositories/1/issues?per_page=3&page=3>; rel=\"next\", \
             <http://h/repositories/1/issues?per_page=3&page=5>; rel=\"last\", \
             <http://h/repositories/1/issues?per_page=3&page=1>; rel=\"first\""
        );
        assert_eq!(
            link_header(b, "/r", "page=5&labels=a%2Cb", 5, 5).unwrap(),
            "<http://h/r?page=4&labels=a%2Cb>; rel=\"prev\", <http://h/r?page=1&labels=a%2Cb>; rel=\"first\""
        );
        assert_eq!(
            link_header(b, "/r", "", 1, 2).unwrap(),
            "<http://h/r?page=2>; rel=\"next\", <http://h/r?page=2>; rel=\"last\""
        );
    }

    #[test]
    fn routes_map_to_templates() {
        let t = |m: Method, p: &str| template(&m, &endpoint(p));
        assert_eq!(
            t(Method::GET, "/repos/acme/x/issues"),
            Some("GET /repos/{owner}/{repo}/issues")
        );
        assert_eq!(
            t(Method::GET, "/repositories/7/issues"),
            Some("GET /repos/{owner}/{repo}/issues")
        );
        assert_eq!(
            t(Method::PATCH, "/repos/acme/x/issues/comments/12"),
            Some("PATCH /repos/{owner}/{repo}/issues/comments/{id}")
        );
        assert_eq!(
            t(
                Method::DELETE,
                "/repos/acme/x/issues/3/labels/good%20first%20issue"
            ),
            Some("DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}")
        );
        assert_eq!(
            t(Method::GET, "/organizations/9/repos"),
            Some("GET /orgs/{org}/repos")
        );
        assert_eq!(t(Method::DELETE, "/repos/acme/x/issues/3"), None);
        assert_eq!(t(Method::GET, "/nope"), None);
        for m in [
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::PUT,
            Method::DELETE,
        ] {
            for p in [
                "/rate_limit",
                "/user",
                "/orgs/acme/repos",
                "/repos/a/b",
                "/repos/a/b/issues",
                "/repos/a/b/issues/1",
                "/repos/a/b/issues/comments",
                "/repos/a/b/issues/comments/1",
                "/repos/a/b/issues/1/comments",
                "/repos/a/b/issues/1/labels",
                "/repos/a/b/issues/1/labels/x",
                "/repos/a/b/issues/1/events",
                "/repos/a/b/issues/1/timeline",
                "/repos/a/b/labels",
                "/repos/a/b/labels/x",
            ] {
                if let Some(tpl) = t(m.clone(), p) {
                    assert!(ROUTE_TEMPLATES.contains(&tpl), "{tpl} is not documented");
                }
            }
        }
    }

    #[test]
    fn since_accepts_github_spellings() {
        assert_eq!(parse_since("2025-01-02T03:04:05Z"), Some(1_735_787_045));
        assert_eq!(
            parse_since("2025-01-02T04:04:05 01:00"),
            Some(1_735_787_045)
        );
        assert_eq!(parse_since("2025-01-02T03:04:05"), Some(1_735_787_045));
        assert_eq!(parse_since("2025-01-02"), Some(1_735_776_000));
        assert_eq!(parse_since("yesterday"), None);
    }

    #[test]
    fn etags_compare_weakly() {
        let tag = "W/\"abc\"";
        assert!(etag_matches("W/\"abc\"", tag));
        assert!(etag_matches("\"abc\"", tag));
        assert!(etag_matches("\"x\", W/\"abc\"", tag));
        assert!(etag_matches("*", tag));
        assert!(!etag_matches("W/\"abd\"", tag));
    }

    #[test]
    fn page_bounds_clamp() {
        assert_eq!(page_bounds(0, 1, 30), (0, 0, 1));
        assert_eq!(page_bounds(61, 3, 30), (60, 61, 3));
        assert_eq!(page_bounds(61, 9, 30), (61, 61, 3));
    }
}
