//! The fake Jira behind the shared plumbing (`crate::plumbing`): no
//! credentials is a JSON 401, bad ones a plain-text 401; Jira's answers to
//! the error faults (429s with `Retry-After` and `X-RateLimit-*`, Tomcat
//! pages); the stand-in a cut-off write sends; `SelfLink` pages; the
//! `X-AACCOUNTID` header of Cloud answers.

use std::borrow::Cow;
use std::sync::atomic::Ordering;

use axum::response::Response;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use serde_json::{json, Value};

use super::super::Shared;
use super::answer::{build, tomcat_page, Kind, Outcome, HTML_TYPE, JSON_TYPE, TEXT_TYPE};
use super::call::Call;
use super::caller::{who, Who};
use super::dispatch::execute;
use super::messages::UNAUTHORIZED_MESSAGE;
use super::paths::{endpoint, template, Ep};
use crate::counters::Counters;
use crate::faults::Faults;
use crate::plumbing::{ErrorFault, Inbound, Params, Served, Tracker};

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
        // A slow site's time grows with the page it writes.
        let think = match r.ep {
            Ep::Search | Ep::SearchJql | Ep::IssueBulk | Ep::ChangelogBulk => {
                sh.think_per_kib() * (outcome.body.len() / 1024) as u32
            }
            _ => std::time::Duration::ZERO,
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
        Served::Executed { resp, think }
    }
}

/// For [`crate::Fault::SelfLink`]: a search page whose paging leads back where it
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
