//! recur-github: the GitHub (and GitHub Enterprise) connector. It turns one
//! REST request into one page of [`Item`]s, through octocrab's transport.
//!
//! What octocrab does not do for us, and why this crate takes over:
//! - octocrab's default retry re-sends requests (POSTs included) at once on
//!   5xx/429 with no wait; it is compiled out (`default-features = false`)
//!   and the shared sync loop retries instead.
//! - `follow-redirect` would silently follow a transferred issue's 301; it is
//!   compiled out so a transfer is seen as one.
//! - octocrab attaches the token only to relative URIs or `api.github.com`;
//!   `Link` URLs are absolute (and on the sandbox or GHE point elsewhere), so
//!   URLs on the configured host are turned back into paths before sending.
//! - issue lists have no ETag support: `If-None-Match` is sent by hand and a
//!   304 read from the raw response.
//! - octocrab's models fail a whole page on an enum value they do not know;
//!   items are read with tolerant structs here, and each entry's JSON is kept
//!   byte-exact.
//!
//! The write half (labels, the summary comment) is in `write`.

mod parse;
#[cfg(test)]
mod props;
mod write;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use http::{HeaderMap, HeaderValue, StatusCode};
use octocrab::Octocrab;
use recur_core::{Connector, ConnectorError, Listing, Page, PageRequest, Probe, RateLimit};

pub use parse::{parse_issue, parse_link_next};
pub use write::MAX_LABEL_CHARS;

/// What the connector needs to know.
#[derive(Clone)]
pub struct GithubConfig {
    /// Source name (for errors and logs).
    pub name: String,
    /// API base, e.g. `https://api.github.com` or `http://127.0.0.1:PORT`.
    pub api_url: url::Url,
    /// Token; `None` for anonymous access.
    pub token: Option<String>,
    /// Repositories `owner/name`.
    pub repos: Vec<String>,
    /// Organisations whose repositories are all covered.
    pub orgs: Vec<String>,
    /// Every tracked label (all kinds).
    pub tracked_labels: Vec<String>,
    /// Items per page (≤ 100).
    pub per_page: u32,
    /// Per-read timeout (connect, each read and write).
    pub timeout: Duration,
    /// Total deadline of one request, answer body included.
    pub deadline: Duration,
    /// The largest answer read, in bytes.
    pub max_response_bytes: usize,
}

impl std::fmt::Debug for GithubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubConfig")
            .field("name", &self.name)
            .field("api_url", &self.api_url.as_str())
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("repos", &self.repos)
            .field("orgs", &self.orgs)
            .finish()
    }
}

/// The GitHub connector.
pub struct GithubConnector {
    cfg: GithubConfig,
    octo: Octocrab,
    requests: AtomicU64,
    /// Write requests (a subset of `requests`).
    writes: AtomicU64,
    /// The token's login, once `Writer::prepare` has asked.
    login: Mutex<Option<String>>,
}

/// A raw answer: status, headers, body.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl GithubConnector {
    /// Builds the connector; fails only on an unusable base URL.
    pub fn new(cfg: GithubConfig) -> Result<Self, ConnectorError> {
        let mut builder = Octocrab::builder()
            .base_uri(cfg.api_url.as_str())
            .map_err(|e| ConnectorError::Http {
                source_name: cfg.name.clone(),
                status: 0,
                url: cfg.api_url.to_string(),
                message: format!("unusable api_url: {e}"),
            })?
            .set_connect_timeout(Some(cfg.timeout))
            .set_read_timeout(Some(cfg.timeout))
            .set_write_timeout(Some(cfg.timeout))
            .add_header(
                http::header::ACCEPT,
                "application/vnd.github+json".to_string(),
            )
            .add_header(
                http::HeaderName::from_static("x-github-api-version"),
                "2022-11-28".to_string(),
            );
        if let Some(token) = &cfg.token {
            builder = builder.personal_token(token.clone());
        }
        let octo = builder.build().map_err(|e| ConnectorError::Http {
            source_name: cfg.name.clone(),
            status: 0,
            url: cfg.api_url.to_string(),
            message: format!("cannot build the HTTP client: {e}"),
        })?;
        Ok(GithubConnector {
            cfg,
            octo,
            requests: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            login: Mutex::new(None),
        })
    }

    fn name(&self) -> String {
        self.cfg.name.clone()
    }

    /// Turns a URL on the configured host into a path octocrab will send with
    /// the token; other hosts are refused rather than sent a token-less or
    /// token-leaking request.
    fn to_request_uri(&self, url: &str) -> Result<String, ConnectorError> {
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

    async fn get(&self, url: &str, etag: Option<&str>) -> Result<Answer, ConnectorError> {
        let uri = self.to_request_uri(url)?;
        let mut headers = HeaderMap::new();
        if let Some(etag) = etag {
            if let Ok(v) = HeaderValue::from_str(etag) {
                headers.insert(http::header::IF_NONE_MATCH, v);
            }
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let send = self.octo._get_with_headers(uri.as_str(), Some(headers));
        self.exchange(&format!("GET {uri}"), send).await
    }

    /// Sends one request and reads its whole answer within the total
    /// deadline (octocrab's timeouts are per read, so a server trickling a
    /// byte at a time would otherwise hold the request forever) and under
    /// the size cap. A failed send, a cut-off body or an elapsed deadline is
    /// transient; an answer over the cap is a protocol error.
    async fn exchange<F>(&self, what: &str, send: F) -> Result<Answer, ConnectorError>
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
        let response = sent.map_err(|e| ConnectorError::Transient {
            source_name: self.name(),
            status: None,
            message: format!("{what}: {}", transport_message(&e)),
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
    fn error_for(&self, url: &str, what: &str, a: &Answer) -> ConnectorError {
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

    fn list_url(&self, container: &str, listing: &Listing) -> String {
        let pp = self.cfg.per_page.clamp(1, 100);
        match listing {
            Listing::Label { label } => format!(
                "/repos/{container}/issues?labels={}&state=all&sort=created&direction=asc&per_page={pp}",
                enc(label)
            ),
            Listing::Since { since } => {
                let mut u = format!(
                    "/repos/{container}/issues?state=all&sort=updated&direction=asc&per_page={pp}"
                );
                if let Some(since) = since {
                    u.push_str("&since=");
                    u.push_str(&enc(&since.to_rfc3339_opts(SecondsFormat::Secs, true)));
                }
                u
            }
            // GitHub cannot OR labels in one query; these fall back to a
            // full listing, which the loop filters.
            Listing::Tracked | Listing::Keys => format!(
                "/repos/{container}/issues?state=all&sort=created&direction=asc&per_page={pp}"
            ),
        }
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
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

fn parse_key(key: &str) -> Option<(&str, u64)> {
    let (repo, n) = key.rsplit_once('#')?;
    Some((repo, n.parse().ok()?))
}

#[async_trait]
impl Connector for GithubConnector {
    fn source_name(&self) -> &str {
        &self.cfg.name
    }

    fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    async fn containers(&self) -> Result<Vec<String>, ConnectorError> {
        let mut out: Vec<String> = self.cfg.repos.clone();
        for org in &self.cfg.orgs {
            let mut url = format!("/orgs/{}/repos?type=all&per_page=100", enc(org));
            let mut seen = std::collections::HashSet::new();
            loop {
                // Organisation listings page here (not in the sync loop), so
                // a `Link` back to a page already read is caught here.
                if !seen.insert(url.clone()) {
                    return Err(ConnectorError::Protocol {
                        source_name: self.name(),
                        message: format!(
                            "the repository listing of organisation {org} pages in a loop: {url} was asked for again"
                        ),
                    });
                }
                let a = self.get(&url, None).await?;
                if a.status != StatusCode::OK {
                    return Err(self.error_for(&url, &format!("organisation {org}"), &a));
                }
                #[derive(serde::Deserialize)]
                struct Repo {
                    full_name: String,
                    #[serde(default)]
                    archived: bool,
                }
                let repos: Vec<Repo> =
                    serde_json::from_slice(&a.body).map_err(|e| ConnectorError::Transient {
                        source_name: self.name(),
                        status: Some(200),
                        message: format!("malformed repository list: {e}"),
                    })?;
                out.extend(
                    repos
                        .into_iter()
                        .filter(|r| !r.archived)
                        .map(|r| r.full_name),
                );
                match parse_link_next(&a.headers) {
                    Some(next) => url = next,
                    None => break,
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|r| seen.insert(r.to_lowercase()));
        Ok(out)
    }

    fn full_listings(&self, _container: &str) -> Vec<Listing> {
        self.cfg
            .tracked_labels
            .iter()
            .map(|l| Listing::Label { label: l.clone() })
            .collect()
    }

    fn first_page(&self, container: &str, listing: &Listing) -> PageRequest {
        PageRequest {
            container: container.to_string(),
            listing: listing.clone(),
            url: self.list_url(container, listing),
            token: None,
            etag: None,
        }
    }

    async fn fetch_page(&self, req: &PageRequest) -> Result<Page, ConnectorError> {
        let a = self.get(&req.url, req.etag.as_deref()).await?;
        let rate = rate_limit(&a.headers);
        if a.status == StatusCode::NOT_MODIFIED {
            return Ok(Page {
                not_modified: true,
                etag: req.etag.clone(),
                rate,
                ..Page::default()
            });
        }
        if a.status != StatusCode::OK {
            return Err(self.error_for(&req.url, &format!("repository {}", req.container), &a));
        }
        let mut page = parse::parse_page(&self.cfg.name, &req.container, &a.body)?;
        page.rate = rate;
        page.etag = a
            .headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        page.next = parse_link_next(&a.headers).map(|url| PageRequest {
            container: req.container.clone(),
            listing: req.listing.clone(),
            url,
            token: None,
            etag: None,
        });
        Ok(page)
    }

    async fn probe(&self, key: &str) -> Result<Probe, ConnectorError> {
        let (repo, number) = parse_key(key).ok_or_else(|| ConnectorError::Http {
            source_name: self.name(),
            status: 0,
            url: String::new(),
            message: format!("{key:?} is not a GitHub key (owner/repo#N)"),
        })?;
        let url = format!("/repos/{repo}/issues/{number}");
        let a = self.get(&url, None).await?;
        match a.status.as_u16() {
            200 => {
                let item = parse::parse_single(&self.cfg.name, repo, &a.body)?;
                Ok(Probe::Found(Box::new(item)))
            }
            301 | 302 | 307 | 308 => {
                // Look once where it went, to re-key it; a failure here only
                // loses the new key, not the fact of the move.
                let new_key = match a
                    .headers
                    .get(http::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                {
                    Some(loc) => match self.get(loc, None).await {
                        Ok(b) if b.status == StatusCode::OK => parse::moved_key(&b.body),
                        _ => None,
                    },
                    None => None,
                };
                Ok(Probe::Moved { new_key })
            }
            410 | 404 => Ok(Probe::Gone),
            _ => Err(self.error_for(&url, &format!("issue {key}"), &a)),
        }
    }
}
