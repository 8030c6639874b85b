//! What a GitHub endpoint produces (an [`Outcome`]: status, JSON body,
//! `Link`, `Location`), the headers every answer carries (GitHub's fixed
//! ones, the rate-limit ones, a request id), and weak ETags.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::StatusCode;
use sha2::{Digest, Sha256};

use super::super::json;
use crate::rate::RateSnapshot;

/// What an endpoint produced, before the common headers.
pub(super) struct Outcome {
    pub status: StatusCode,
    pub body: Vec<u8>,
    pub link: Option<String>,
    pub location: Option<String>,
}

impl Outcome {
    pub(super) fn json(status: StatusCode, body: Vec<u8>) -> Self {
        Outcome {
            status,
            body,
            link: None,
            location: None,
        }
    }

    pub(super) fn ok(body: Vec<u8>) -> Self {
        Self::json(StatusCode::OK, body)
    }

    pub(super) fn error(status: StatusCode, message: &str, doc: &str) -> Self {
        Self::json(status, json::error(status.as_u16(), message, doc))
    }

    pub(super) fn not_found(doc: &str) -> Self {
        Self::error(StatusCode::NOT_FOUND, "Not Found", doc)
    }

    pub(super) fn invalid(
        message: &str,
        doc: &str,
        errors: &[(&str, &str, &str, Option<&str>)],
    ) -> Self {
        Self::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            json::validation(message, doc, errors),
        )
    }

    pub(super) fn no_content() -> Self {
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

pub(super) const JSON_TYPE: &str = "application/json; charset=utf-8";

pub(super) fn build(
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

pub(super) fn etag_of(body: &[u8]) -> String {
    format!("W/\"{}\"", hex::encode(Sha256::digest(body)))
}

/// Weak comparison against an `If-None-Match` list.
pub(super) fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let ours = bare(etag);
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_compare_weakly() {
        let tag = "W/\"abc\"";
        assert!(etag_matches("W/\"abc\"", tag));
        assert!(etag_matches("\"abc\"", tag));
        assert!(etag_matches("\"x\", W/\"abc\"", tag));
        assert!(etag_matches("*", tag));
        assert!(!etag_matches("W/\"abd\"", tag));
    }
}
