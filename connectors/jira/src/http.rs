//! The HTTP layer: one request, one answer. [`JiraConnector::send`] puts
//! gouqi's credentials on our reqwest client, counts the attempt and reads
//! the body under the size cap; [`JiraConnector::error_for`] turns an error
//! answer (status, `Retry-After`, `X-RateLimit-*`, Jira's error body) into
//! a typed [`ConnectorError`].
//!
//! Reads and write-back both come through here, so every request is
//! counted, capped and classified the same way: the shared sync loop decides
//! whether and how long to wait from that classification alone.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use recur_core::{ConnectorError, RateLimit};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

use crate::parse::{self, error_message, parse_jira_time};
use crate::JiraConnector;

/// A raw answer: status, headers, body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// An answer within the size cap and the timeouts, or the error of one
/// that was too much, and what it was too much of.
pub(crate) enum Sized {
    Fits(Answer),
    TooMuch(ConnectorError, TooMuch),
}

/// What an answer was too much of, for a caller that can ask for less.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TooMuch {
    /// Bytes: over `[sync] max_response_mib`.
    Bytes,
    /// Time: no answer, or no next part of it, within `[sync]
    /// request_timeout_seconds` (or the whole past its deadline).
    Time,
}

/// Pages of this many issues or fewer are not made smaller for a timeout:
/// recur asked for 100 before it asked for 1,000, and Cloud's search page
/// holds no more; a timeout there is the site's or the network's, for the
/// sync's retries.
const SLOW_FLOOR: u64 = 100;

/// Half of `asked`, while that is at least one.
pub(crate) fn half(asked: u64) -> Option<u64> {
    (asked > 1).then_some(asked / 2)
}

impl TooMuch {
    /// How many to ask for instead of `asked`, when fewer can help: half
    /// (an answer too large, down to one; one too slow, down to
    /// [`SLOW_FLOOR`]).
    pub(crate) fn fewer(self, asked: u64) -> Option<u64> {
        match self {
            TooMuch::Bytes => half(asked),
            TooMuch::Time => (asked > SLOW_FLOOR).then_some((asked / 2).max(SLOW_FLOOR)),
        }
    }

    /// The warning's words for it.
    pub(crate) fn said(self) -> &'static str {
        match self {
            TooMuch::Bytes => "came back over [sync] max_response_mib",
            TooMuch::Time => "timed out ([sync] request_timeout_seconds, request_deadline_seconds)",
        }
    }
}

impl JiraConnector {
    /// GETs `url` and reads a 200 answer as JSON, with its headers (for the
    /// rate limit); another status is the error [`Self::error_for`] names
    /// after `what`, an unreadable body a transient error.
    pub(crate) async fn get_ok(
        &self,
        url: url::Url,
        what: &str,
    ) -> Result<(Value, HeaderMap), ConnectorError> {
        self.send_ok(Method::GET, url, None, what).await
    }

    /// [`Self::get_ok`] for any method, with an optional JSON body (the
    /// POSTs that only read, such as the bulk changelog).
    pub(crate) async fn send_ok(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&Value>,
        what: &str,
    ) -> Result<(Value, HeaderMap), ConnectorError> {
        let a = self.send(method, url.clone(), body).await?;
        if a.status != 200 {
            return Err(self.error_for(url.as_str(), what.to_string(), &a));
        }
        let v = self.parse_json(what, &a)?;
        Ok((v, a.headers))
    }

    /// A 200 whose body is not what was asked for: transient (a cut-off
    /// or garbled body), so the caller's retries ask again.
    pub(crate) fn unusable(&self, message: String) -> ConnectorError {
        ConnectorError::Transient {
            source_name: self.name(),
            status: Some(200),
            message,
        }
    }

    /// An answer's body as JSON; unreadable is transient (a cut-off body).
    pub(crate) fn parse_json(&self, what: &str, a: &Answer) -> Result<Value, ConnectorError> {
        serde_json::from_slice(&a.body).map_err(|e| ConnectorError::Transient {
            source_name: self.name(),
            status: Some(a.status),
            message: format!("{what}: malformed answer: {e}"),
        })
    }

    /// Sends one request; transport failures and cut-off bodies are
    /// transient. Every attempt is counted.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&Value>,
    ) -> Result<Answer, ConnectorError> {
        match self.send_sized(method, url, body).await? {
            Sized::Fits(a) => Ok(a),
            Sized::TooMuch(e, _) => Err(e),
        }
    }

    /// [`Self::send`], telling an answer over the size cap or past the
    /// timeouts apart (its error comes with it) for a caller that can ask
    /// for less.
    ///
    /// The span names the source, method and path (never the query or a
    /// header: the credentials are headers). It and its error event are at
    /// debug: the sync loop already logs every failure it retries at warn,
    /// and the error message itself carries the method and path.
    #[tracing::instrument(
        level = "debug",
        skip_all,
        fields(source = %self.cfg.name, method = %method, path = %url.path()),
        err(level = "debug")
    )]
    pub(crate) async fn send_sized(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&Value>,
    ) -> Result<Sized, ConnectorError> {
        let what = format!("{method} {}", url.path());
        let mut builder = self
            .http
            .request(method, url)
            .header(reqwest::header::ACCEPT, "application/json");
        builder = self.core.apply_credentials_async(builder);
        if let Some(b) = body {
            builder = builder.json(b);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                let error = match recur_core::net::certificate_problem(&e) {
                    Some(problem) => {
                        recur_core::net::untrusted_certificate(&self.cfg.name, &what, &problem)
                    }
                    None => ConnectorError::Transient {
                        source_name: self.name(),
                        status: None,
                        message: format!("{what}: {}", transport_message(&e)),
                    },
                };
                // A connect timeout is the network's, not the answer's
                // size: the sync's retries wait for it.
                return match e.is_timeout() && !e.is_connect() {
                    true => Ok(Sized::TooMuch(error, TooMuch::Time)),
                    false => Err(error),
                };
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let cap = self.cfg.max_response_bytes;
        let too_big = || {
            ConnectorError::Protocol {
            source_name: self.name(),
            message: format!(
                "{what}: the answer is larger than the {} MiB cap ([sync] max_response_mib); \
                 a search page holds up to [sync] per_page issues ({} here): lower it, or raise the cap",
                cap / (1024 * 1024),
                self.cfg.per_page
            ),
        }
        };
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Ok(Sized::TooMuch(too_big(), TooMuch::Bytes));
        }
        // Read chunk by chunk so an endless body stops at the cap instead
        // of filling memory.
        let mut response = response;
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > cap {
                        return Ok(Sized::TooMuch(too_big(), TooMuch::Bytes));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let error = ConnectorError::Transient {
                        source_name: self.name(),
                        status: Some(status),
                        message: format!("{what}: body cut off: {}", transport_message(&e)),
                    };
                    return match e.is_timeout() {
                        true => Ok(Sized::TooMuch(error, TooMuch::Time)),
                        false => Err(error),
                    };
                }
            }
        }
        Ok(Sized::Fits(Answer {
            status,
            headers,
            body,
        }))
    }

    /// Maps an error answer to a typed error.
    pub(crate) fn error_for(&self, url: &str, what: String, a: &Answer) -> ConnectorError {
        let mut message = error_message(&a.body);
        let status = a.status;
        match status {
            401 => ConnectorError::Unauthorized {
                source_name: self.name(),
                message,
            },
            429 | 503 => {
                let retry_after = retry_after(&a.headers);
                if status == 503 && retry_after.is_none() {
                    return ConnectorError::Transient {
                        source_name: self.name(),
                        status: Some(status),
                        message,
                    };
                }
                if let Some(reason) = header_str(&a.headers, "ratelimit-reason") {
                    message = format!("{message} (reason: {})", recur_core::server_text(reason));
                }
                ConnectorError::RateLimited {
                    source_name: self.name(),
                    status,
                    retry_after,
                    reset: header_str(&a.headers, "x-ratelimit-reset").and_then(parse_reset),
                    secondary: false,
                    message,
                }
            }
            404 => ConnectorError::NotFound {
                source_name: self.name(),
                what,
                status,
                message,
            },
            400 if missing_project(&a.body).is_some() => ConnectorError::NotFound {
                source_name: self.name(),
                what: format!("project {}", missing_project(&a.body).unwrap_or_default()),
                status,
                message,
            },
            s if s >= 500 => ConnectorError::Transient {
                source_name: self.name(),
                status: Some(s),
                message,
            },
            s => {
                if (300..400).contains(&s) {
                    if let Some(loc) = header_str(&a.headers, "location") {
                        message = format!("redirected to {loc}; set api_url to the final address");
                    }
                }
                ConnectorError::Http {
                    source_name: self.name(),
                    status: s,
                    url: url.to_string(),
                    message,
                }
            }
        }
    }
}

/// A `reqwest` error with its causes (no credentials: URLs carry none).
fn transport_message(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `Retry-After`: seconds (`0` included; fractions allowed) or an HTTP date.
fn retry_after(h: &HeaderMap) -> Option<Duration> {
    let v = header_str(h, "retry-after")?;
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0 * 365.0)));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - Utc::now()).to_std().unwrap_or_default())
}

/// `X-RateLimit-Reset`: ISO 8601 (`2025-01-09T10:08Z`, with or without
/// seconds) or epoch seconds.
fn parse_reset(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(v) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%M:%S%.fZ",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(v, fmt) {
            return Some(d.and_utc());
        }
    }
    if let Some(d) = parse_jira_time(v) {
        return Some(d);
    }
    let n: i64 = v.parse().ok()?;
    if n > 100_000_000_000 {
        DateTime::from_timestamp_millis(n)
    } else {
        DateTime::from_timestamp(n, 0)
    }
}

/// `X-RateLimit-*` headers, when present.
pub(crate) fn rate_limit(h: &HeaderMap) -> Option<RateLimit> {
    let num = |name: &str| header_str(h, name).and_then(|v| v.parse::<i64>().ok());
    let limit = num("x-ratelimit-limit");
    let remaining = num("x-ratelimit-remaining");
    let reset = header_str(h, "x-ratelimit-reset").and_then(parse_reset);
    if limit.is_none() && remaining.is_none() && reset.is_none() {
        return None;
    }
    Some(RateLimit {
        limit,
        remaining,
        reset,
    })
}

/// The project a 400 says does not exist: `The value 'X' does not exist for
/// the field 'project'.`
fn missing_project(body: &[u8]) -> Option<String> {
    let errors: gouqi::Errors = serde_json::from_slice(body).ok()?;
    errors
        .error_messages
        .iter()
        .chain(errors.errors.values())
        .find_map(|m| {
            // Found in `m` itself: an index into a lower-cased copy is not
            // an index into `m` (`\u{212a}` lower-cases to fewer bytes).
            let at = parse::find_ignore_ascii_case(m, "does not exist for the field 'project'")?;
            let head = &m[..at];
            let end = head.rfind('\'')?;
            let start = head[..end].rfind('\'')?;
            Some(head[start + 1..end].to_string())
        })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// Regression (hostile trackers): a 400 whose message lower-cases to a
    /// different byte length (`\u{212a}` KELVIN SIGN is three bytes, `k`
    /// one) used to panic on a char-boundary slice and crash-loop the
    /// daemon.
    #[test]
    fn a_400_message_that_lowercases_shorter_does_not_panic() {
        for msg in [
            "\u{212a}\u{212a}\u{212a} The value 'OPS' does not exist for the field 'project'.",
            "The value '\u{212a}ELVIN' DOES NOT EXIST FOR THE FIELD 'PROJECT'.",
            "\u{212a}\u{212a}\u{212a}\u{212a}\u{212a}\u{212a}\u{212a}\u{212a}\u{212a}\u{212a}\u{212a} does not exist for the field 'project'",
            "İİİİİİİİ 'x' does not exist for the field 'project'",
        ] {
            let body = serde_json::json!({"errorMessages": [msg], "errors": {}}).to_string();
            let _ = missing_project(body.as_bytes());
        }
        let body = serde_json::json!({
            "errorMessages": ["\u{212a}\u{212a} The value 'OPS' does not exist for the field 'project'."],
            "errors": {}
        })
        .to_string();
        assert_eq!(missing_project(body.as_bytes()).as_deref(), Some("OPS"));
        // Error pages with such characters are stripped without panicking.
        let page = "<html><STYLE>\u{212a}\u{212a}</style><p>\u{212a} Bad \u{212a}</p></html>";
        let text = parse::error_message(page.as_bytes());
        assert!(text.contains("Bad"), "{text}");
    }

    #[test]
    fn retry_after_and_reset_headers_parse() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert("retry-after", v.parse().unwrap());
            retry_after(&m)
        };
        assert_eq!(h("0"), Some(Duration::ZERO));
        assert_eq!(h(" 30 "), Some(Duration::from_secs(30)));
        assert_eq!(h("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(h("-1"), None);
        assert_eq!(h("soon"), None);
        assert_eq!(
            h("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a past date means now"
        );
        let later = (Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        let d = h(&later).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );

        let t = Utc.with_ymd_and_hms(2025, 1, 9, 10, 8, 0).unwrap();
        assert_eq!(parse_reset("2025-01-09T10:08Z"), Some(t));
        assert_eq!(parse_reset("2025-01-09T10:08:00Z"), Some(t));
        assert_eq!(parse_reset("2025-01-09T10:08:00.000+0000"), Some(t));
        assert_eq!(parse_reset("1736417280"), Some(t));
        assert_eq!(parse_reset("whenever"), None);
    }
}
