//! What a Jira endpoint produces (an [`Outcome`]: status and JSON body, or
//! an empty one), Jira's error bodies (`errorMessages`, `errors`), the
//! headers every answer carries, and the Tomcat error page.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::StatusCode;
use serde_json::Value;

use super::super::json;
use super::super::state::{self, JErr};
use super::messages::ISSUE_NOT_FOUND_MESSAGE;

/// What an answer's body is.
pub(super) enum Kind {
    Json,
    Empty,
}

/// What an endpoint produced, before the common headers.
pub(super) struct Outcome {
    pub status: StatusCode,
    pub body: Vec<u8>,
    pub kind: Kind,
}

impl Outcome {
    pub(super) fn json(status: StatusCode, v: &Value) -> Self {
        Outcome {
            status,
            body: serde_json::to_vec(v).unwrap_or_default(),
            kind: Kind::Json,
        }
    }

    pub(super) fn ok(v: &Value) -> Self {
        Self::json(StatusCode::OK, v)
    }

    /// A 200 of `{"issues": […], …rest}`, each issue written as it is
    /// rendered: a page's JSON trees held at once (a thousand issues in a
    /// bulk fetch) cost the sandbox more in its allocator than rendering
    /// them, on the machine it shares with the sync it serves.
    pub(super) fn ok_issues(
        count: usize,
        issues: impl Iterator<Item = Value>,
        rest: serde_json::Map<String, Value>,
    ) -> Self {
        // Grown as written: an ids page of 5,000 is small, an issue large.
        let mut body = Vec::with_capacity(count.min(256) * 4096 + 64);
        body.extend_from_slice(b"{\"issues\":[");
        for (n, issue) in issues.enumerate() {
            if n > 0 {
                body.push(b',');
            }
            serde_json::to_writer(&mut body, &issue).expect("JSON writes to memory");
        }
        body.push(b']');
        for (k, v) in &rest {
            body.push(b',');
            serde_json::to_writer(&mut body, k).expect("JSON writes to memory");
            body.push(b':');
            serde_json::to_writer(&mut body, v).expect("JSON writes to memory");
        }
        body.push(b'}');
        Outcome {
            status: StatusCode::OK,
            body,
            kind: Kind::Json,
        }
    }

    pub(super) fn empty(status: StatusCode) -> Self {
        Outcome {
            status,
            body: Vec::new(),
            kind: Kind::Empty,
        }
    }

    pub(super) fn messages(status: StatusCode, messages: &[String]) -> Self {
        Outcome {
            status,
            body: json::errors(messages, &[]),
            kind: Kind::Json,
        }
    }

    pub(super) fn message(status: StatusCode, m: &str) -> Self {
        Self::messages(status, &[m.to_string()])
    }

    pub(super) fn bad(m: &str) -> Self {
        Self::message(StatusCode::BAD_REQUEST, m)
    }

    pub(super) fn field_errors(errors: &[(String, String)]) -> Self {
        Outcome {
            status: StatusCode::BAD_REQUEST,
            body: json::errors(&[], errors),
            kind: Kind::Json,
        }
    }

    pub(super) fn not_found_issue() -> Self {
        Self::message(StatusCode::NOT_FOUND, ISSUE_NOT_FOUND_MESSAGE)
    }

    pub(super) fn from_err(e: JErr) -> Self {
        match e {
            JErr::NotFound => Self::not_found_issue(),
            JErr::Field(f, m) => Self::field_errors(&[(f, m)]),
        }
    }
}

pub(super) const JSON_TYPE: &str = "application/json;charset=UTF-8";
pub(super) const TEXT_TYPE: &str = "text/plain;charset=UTF-8";
pub(super) const HTML_TYPE: &str = "text/html;charset=utf-8";

/// An answer with the headers every Jira answer carries (Atlassian's edge,
/// a request id and a trace id).
pub(super) fn build(
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
pub(super) fn tomcat_page(status: StatusCode) -> String {
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
