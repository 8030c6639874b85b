//! The HTTP layer: one request, one answer, through octocrab's raw
//! methods. [`GithubConnector::exchange`] reads the whole answer within the
//! total deadline and under the size cap; [`GithubConnector::error_for`]
//! turns an error answer (status, `Retry-After`, `x-ratelimit-*`, GitHub's
//! error body) into a typed [`ConnectorError`].
//!
//! Reads and write-back both come through here, so every request goes only
//! to the configured host, is counted and capped, and fails the same way:
//! the shared sync loop decides whether and how long to wait from that
//! classification alone.
//!
//! Named `transport`, not `http`, because the `http` crate is used by that
//! name throughout this crate.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, StatusCode};
use recur_core::{ConnectorError, RateLimit};

use crate::GithubConnector;

/// A raw answer: status, headers, body.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl GithubConnector {
    /// Turns a URL on the configured host into a path octocrab will send with
    /// the token; other hosts are refused rather than sent a token-less or
    /// token-leaking request.
    pub(crate) fn to_request_uri(&self, url: &str) -> Result<String, ConnectorError> {
        if url.starts_with('/') {
            let base = self.cfg.api_url.path().trim_end_matches('/');
            return Ok(if url.starts_with(base) || base.is_empty() {
                url.to_string()
            } else {
                format!("{base}{url}")
            });
        }
        let parsed = url::Url::parse(url).map_err(|e| ConnectorError::Http {
            source_name: self.name(),
            status: 0,
            url: url.to_string(),
            message: format!("unparseable URL: {e}"),
        })?;
        let same_host = parsed.host_str() == self.cfg.api_url.host_str()
            && parsed.port_or_known_default() == self.cfg.api_url.port_or_known_default();
        if !same_host {
            return Err(ConnectorError::Http {
                source_name: self.name(),
                status: 0,
                url: url.to_string(),
                message: "the tracker pointed at another host; refusing to follow".into(),
            });
        }
        let mut out = parsed.path().to_string();
        if let Some(q) = parsed.query() {
            out.push('?');
            out.push_str(q);
        }
        Ok(out)
    }

    pub(crate) async fn get(
        &self,
        url: &str,
        etag: Option<&str>,
    ) -> Result<Answer, ConnectorError> {
        let uri = self.to_request_uri(url)?;
        let mut headers = HeaderMap::new();
        if let Some(etag) = etag {
            if let Ok(v) = HeaderValue::from_str(etag) {
                headers.insert(http::header::IF_NONE_MATCH, v);
            }
        }
        let octo = self.client().await?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let send = octo._get_with_headers(uri.as_str(), Some(headers));
        self.exchange(&format!("GET {uri}"), send).await
    }

    /// Sends one request and reads its whole answer within the total
    /// deadline (octocrab's timeouts are per read, so a server trickling a
    /// byte at a time would otherwise hold the request forever) and under
    /// the size cap. A failed send, a cut-off body or an elapsed deadline is
    /// transient; an answer over the cap is a protocol error.
    ///
    /// The span names the source and the request's method and path (the
    /// query is left out to keep it short; the token is a header and never
    /// here). It and its error event are at debug: the sync loop already
    /// logs every failure it retries at warn, and the error message itself
    /// carries the request.
    #[tracing::instrument(
        level = "debug",
        skip_all,
        fields(source = %self.cfg.name, request = %what.split('?').next().unwrap_or(what)),
        err(level = "debug")
    )]
    pub(crate) async fn exchange<F>(&self, what: &str, send: F) -> Result<Answer, ConnectorError>
    where
        F: std::future::Future<
            Output = octocrab::Result<
                http::Response<http_body_util::combinators::BoxBody<Bytes, octocrab::Error>>,
            >,
        >,
    {
        let deadline = self.cfg.deadline;
        match tokio::time::timeout(deadline, async { self.answer(what, send.await).await }).await {
            Ok(answer) => answer,
            Err(_) => Err(ConnectorError::Transient {
                source_name: self.name(),
                status: None,
                message: format!(
                    "{what}: no complete answer within the {} s request deadline",
                    deadline.as_secs()
                ),
            }),
        }
    }

    /// Reads a whole answer, at most `max_response_bytes` of it.
    async fn answer(
        &self,
        what: &str,
        sent: octocrab::Result<
            http::Response<http_body_util::combinators::BoxBody<Bytes, octocrab::Error>>,
        >,
    ) -> Result<Answer, ConnectorError> {
        let response = sent.map_err(|e| match recur_core::net::certificate_problem(&e) {
            Some(problem) => recur_core::net::untrusted_certificate(&self.cfg.name, what, &problem),
            None => ConnectorError::Transient {
                source_name: self.name(),
                status: None,
                message: format!("{what}: {}", transport_message(&e)),
            },
        })?;
        let (parts, body) = response.into_parts();
        let cap = self.cfg.max_response_bytes;
        let too_big = || ConnectorError::Protocol {
            source_name: self.name(),
            message: format!(
                "{what}: the answer is larger than the {} MiB cap ([sync] max_response_mib)",
                cap / (1024 * 1024)
            ),
        };
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > cap as u64) {
            return Err(too_big());
        }
        let body = http_body_util::BodyExt::collect(http_body_util::Limited::new(body, cap))
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    too_big()
                } else {
                    ConnectorError::Transient {
                        source_name: self.name(),
                        status: Some(parts.status.as_u16()),
                        message: format!("{what}: body cut off: {}", transport_message(&*e)),
                    }
                }
            })?
            .to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// Maps an error answer to a typed error.
    pub(crate) fn error_for(&self, url: &str, what: &str, a: &Answer) -> ConnectorError {
        let message = error_message(&a.body);
        let rate = rate_limit(&a.headers);
        let status = a.status.as_u16();
        match status {
            401 => ConnectorError::Unauthorized {
                source_name: self.name(),
                message,
            },
            403 | 429 => {
                let retry_after = a
                    .headers
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let lower = message.to_lowercase();
                let exhausted = rate.and_then(|r| r.remaining) == Some(0);
                let secondary = lower.contains("secondary rate limit") || lower.contains("abuse");
                if exhausted
                    || secondary
                    || retry_after.is_some()
                    || lower.contains("rate limit")
                    || status == 429
                {
                    ConnectorError::RateLimited {
                        source_name: self.name(),
                        status,
                        retry_after,
                        reset: if exhausted {
                            rate.and_then(|r| r.reset)
                        } else {
                            None
                        },
                        secondary: !exhausted,
                        message,
                    }
                } else {
                    ConnectorError::Http {
                        source_name: self.name(),
                        status,
                        url: url.to_string(),
                        message,
                    }
                }
            }
            404 | 410 => ConnectorError::NotFound {
                source_name: self.name(),
                what: what.to_string(),
                status,
                message,
            },
            s if s >= 500 => ConnectorError::Transient {
                source_name: self.name(),
                status: Some(s),
                message,
            },
            _ => ConnectorError::Http {
                source_name: self.name(),
                status,
                url: url.to_string(),
                message,
            },
        }
    }
}

/// The chain of an octocrab error, without anything that could hold a token
/// (octocrab's errors carry no request headers).
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

/// The `message` of a GitHub error body, else the start of the body.
fn error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct E {
        message: Option<String>,
    }
    let text = match serde_json::from_slice::<E>(body) {
        Ok(E { message: Some(m) }) => recur_core::server_text(&m),
        _ => recur_core::server_text(&String::from_utf8_lossy(body)),
    };
    if text.is_empty() {
        "(empty body)".into()
    } else {
        text
    }
}

fn header_i64(h: &HeaderMap, name: &str) -> Option<i64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// `x-ratelimit-*` headers, when present.
pub fn rate_limit(h: &HeaderMap) -> Option<RateLimit> {
    let limit = header_i64(h, "x-ratelimit-limit");
    let remaining = header_i64(h, "x-ratelimit-remaining");
    let reset =
        header_i64(h, "x-ratelimit-reset").and_then(|s| DateTime::<Utc>::from_timestamp(s, 0));
    if limit.is_none() && remaining.is_none() && reset.is_none() {
        return None;
    }
    Some(RateLimit {
        limit,
        remaining,
        reset,
    })
}
