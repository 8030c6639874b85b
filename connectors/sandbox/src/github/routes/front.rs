//! The fake GitHub behind the shared plumbing (`crate::plumbing`): the
//! order of a request (credentials, then the primary budget, then the
//! endpoint), ETags and `304`s (an authorised 304 gets its point back),
//! the extra headers of an answer, `SelfLink` answers, and GitHub's own
//! answers to the error faults.

use std::borrow::Cow;
use std::sync::atomic::Ordering;

use axum::response::Response;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::StatusCode;

use super::super::{json, now_secs, Shared};
use super::answer::{build, etag_matches, etag_of, JSON_TYPE};
use super::call::Call;
use super::caller::{peek, who, Who};
use super::dispatch::execute;
use super::docs::{DOC_RATE, DOC_REST, DOC_SECONDARY};
use super::paths::{endpoint, template, Ep};
use crate::counters::Counters;
use crate::faults::Faults;
use crate::plumbing::{ErrorFault, Inbound, Params, Served, Tracker};
use crate::rate::RateSnapshot;

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
        Served::Executed {
            resp,
            think: std::time::Duration::ZERO,
        }
    }
}
