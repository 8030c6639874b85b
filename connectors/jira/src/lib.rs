//! recur-jira: the Jira Cloud and Data Center connector. It turns one REST
//! request into one page of [`Item`](recur_core::Item)s (or one field list, or one issue).
//!
//! Modules: [`adf`](adf_to_text) renders Atlassian Document Format to text;
//! `fields` maps custom fields to recur's headings by name; `jql` writes
//! the query of each listing; `parse` maps issue JSON to records.
//!
//! What comes from gouqi 0.20, and why the rest is a thin reqwest layer:
//! - **from gouqi**: [`gouqi::Credentials`] and [`gouqi::core::ClientCore`]
//!   (`apply_credentials_async` puts Basic `email:token` on Cloud, Bearer on
//!   Data Center onto our reqwest requests; `build_versioned_url` builds
//!   `rest/api/{2,3}/…` under the site root), and [`gouqi::Errors`] to read
//!   Jira's `{errorMessages, errors}` bodies.
//! - **not from gouqi**, read in its source: it picks the v3 `search/jql`
//!   endpoint only for `*.atlassian.net` hosts unless forced (a sandbox or
//!   proxy would get the removed v2 search); its `iter`/`stream` helpers end
//!   silently on a page error and return pages in reverse order; it never
//!   retries, which is right, but it drops the status code, `Retry-After`,
//!   `X-RateLimit-Reset` and the body on errors, which the shared sync loop
//!   needs to wait correctly; `V3SearchResults` requires `isLast`, which the
//!   endpoint may omit; its typed issues lose each issue's exact JSON; and it
//!   has no field listing. So search, field list and issue requests go
//!   through our own `reqwest` client (same reqwest 0.12 as gouqi), which
//!   keeps status, headers and raw bodies, sends one request per call, and
//!   follows no redirects (a `POST` must not silently turn into a `GET`).
//!   `ClientCore`'s `Debug` prints the credentials, so it is never logged.
//!
//! Requests per call: `containers()` loads the field map (one `GET /field`
//! per sync, so renamed fields are picked up) and, when issue types are
//! tracked, the issue-type list (`GET /issuetype`: Jira answers 400 to a
//! JQL naming a type the site does not have, so unknown types are dropped
//! with a warning instead of failing every search); `fetch_page` and
//! `probe` send one request each. If `fetch_page` is called before the map is loaded it
//! spends its one request on the field list and returns an empty page whose
//! `next` is the same request; `probe` before `containers()` loads the map
//! first (two requests).
//!
//! The write half (labels, the summary comment) is in `write`.

mod adf;
mod fields;
mod jql;
mod parse;
mod write;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use recur_core::{Connector, ConnectorError, Listing, Page, PageRequest, Probe, RateLimit};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

pub use adf::adf_to_text;
pub use fields::HEADINGS;
pub use parse::parse_jira_time;
pub use write::render_adf;

use fields::{build_field_map, FieldMap, FieldMapError};
use jql::Scope;
use parse::{error_message, map_issues, Envelope, MapCtx};

/// The container name used when a custom JQL filter replaces projects.
pub const JQL_CONTAINER: &str = "jql";

/// Issue fields every listing asks for (custom field ids are added).
const BASE_FIELDS: &[&str] = &[
    "summary",
    "status",
    "resolution",
    "resolutiondate",
    "statuscategorychangedate",
    "labels",
    "issuetype",
    "assignee",
    "duedate",
    "created",
    "updated",
    "description",
    "issuelinks",
    "project",
    "priority",
    "parent",
];

/// Fields of a `Keys` listing: enough for a key set and its keyset order.
const KEY_FIELDS: &[&str] = &["created", "updated"];

/// Page size of a `Keys` listing. Cloud returns up to 5000 issues per page
/// when only ids/keys are asked for, Data Center caps at 1000 by default;
/// 1000 is safe on both (fewer may come back, and paging follows what came).
const KEYS_PAGE: u32 = 1000;

/// What the connector needs to know.
#[derive(Clone)]
pub struct JiraConfig {
    /// Source name (for errors and logs).
    pub name: String,
    /// Site root: `https://acme.atlassian.net`, a Data Center base URL
    /// (a context path such as `/jira` is kept), or `http://127.0.0.1:PORT`.
    pub api_url: url::Url,
    /// `false`: Cloud (REST v3, `search/jql` with `nextPageToken`, Basic
    /// `email:token`, ADF); `true`: Data Center (REST v2, `search` with
    /// `startAt`/`total`, Bearer personal access token, plain strings).
    pub datacenter: bool,
    /// Cloud account e-mail for Basic auth. Without it a Cloud token is sent
    /// as Bearer (OAuth access tokens).
    pub email: Option<String>,
    /// API token (Cloud) or personal access token (Data Center); `None` for
    /// anonymous access. Never printed.
    pub token: Option<String>,
    /// Project keys; each is one container.
    pub projects: Vec<String>,
    /// A custom filter instead of projects; the single container is then
    /// [`JQL_CONTAINER`]. A trailing `ORDER BY` is dropped.
    pub jql: Option<String>,
    /// Labels that make an issue tracked (any kind).
    pub tracked_labels: Vec<String>,
    /// Issue types that make an issue tracked (any kind).
    pub tracked_types: Vec<String>,
    /// Record field (a heading in snake_case such as `target_date`, or a
    /// record name such as `ttd_minutes`) → Jira field name or id.
    pub field_overrides: BTreeMap<String, String>,
    /// Issues per page to ask for (clamped to 1..=100; fewer may come back).
    pub per_page: u32,
    /// Per-read timeout (connect, and each read).
    pub timeout: Duration,
    /// Total deadline of one request, answer body included.
    pub deadline: Duration,
    /// The largest answer read, in bytes.
    pub max_response_bytes: usize,
}

impl std::fmt::Debug for JiraConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraConfig")
            .field("name", &self.name)
            .field("api_url", &self.api_url.as_str())
            .field("datacenter", &self.datacenter)
            .field("email", &self.email)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("projects", &self.projects)
            .field("jql", &self.jql)
            .field("tracked_labels", &self.tracked_labels)
            .field("tracked_types", &self.tracked_types)
            .field("field_overrides", &self.field_overrides)
            .field("per_page", &self.per_page)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// The Jira connector.
pub struct JiraConnector {
    cfg: JiraConfig,
    /// `api_url` ending in `/`, so relative joins keep a context path.
    site: url::Url,
    /// Credentials and URL building (gouqi). Its `Debug` shows secrets.
    core: gouqi::core::ClientCore,
    http: reqwest::Client,
    /// (heading, Jira field name or id), validated in [`JiraConnector::new`].
    overrides: Vec<(String, String)>,
    /// The field map of the last `containers()` call. A std mutex: it is
    /// held only to clone or replace the `Arc`, never across an `.await`.
    fields: Mutex<Option<Arc<FieldMap>>>,
    /// The tracked issue types the site has (Jira's spelling), from the last
    /// `containers()`; `None` until then (the configured list is used).
    types: Mutex<Option<Vec<String>>>,
    requests: AtomicU64,
    /// Write requests (a subset of `requests`).
    writes: AtomicU64,
    /// Who the token acts as (`/myself`: accountId on Cloud, name on Data
    /// Center), once `Writer::prepare` has asked. A std mutex: never held
    /// across an `.await`.
    pub(crate) me: Mutex<Option<String>>,
}

impl std::fmt::Debug for JiraConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraConnector")
            .field("cfg", &self.cfg)
            .field("requests", &self.requests_sent())
            .finish_non_exhaustive()
    }
}

/// A raw answer: status, headers, body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn config_error(cfg: &JiraConfig, message: String) -> ConnectorError {
    ConnectorError::Http {
        source_name: cfg.name.clone(),
        status: 0,
        url: cfg.api_url.to_string(),
        message,
    }
}

/// A project key as Jira allows them (letters, digits, `_`; a letter first).
fn valid_project_key(k: &str) -> bool {
    k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl JiraConnector {
    /// Builds the connector. Fails on an unusable URL, an unknown override
    /// key, an empty filter, or neither projects nor a filter.
    pub fn new(cfg: JiraConfig) -> Result<Self, ConnectorError> {
        if !matches!(cfg.api_url.scheme(), "http" | "https") || cfg.api_url.cannot_be_a_base() {
            return Err(config_error(&cfg, "api_url must be an http(s) URL".into()));
        }
        let mut site = cfg.api_url.clone();
        site.set_query(None);
        site.set_fragment(None);
        if !site.path().ends_with('/') {
            let path = format!("{}/", site.path());
            site.set_path(&path);
        }
        let mut overrides = Vec::new();
        for (key, target) in &cfg.field_overrides {
            let Some(heading) = fields::heading_for_key(key) else {
                return Err(config_error(
                    &cfg,
                    format!(
                        "unknown field override {key:?}; known: {}",
                        fields::override_keys().join(", ")
                    ),
                ));
            };
            if target.trim().is_empty() {
                return Err(config_error(
                    &cfg,
                    format!("field override {key:?} is empty"),
                ));
            }
            overrides.push((heading.to_string(), target.trim().to_string()));
        }
        match &cfg.jql {
            Some(q) if jql::strip_order_by(q).is_empty() => {
                return Err(config_error(
                    &cfg,
                    "jql is empty (an ORDER BY alone selects nothing)".into(),
                ));
            }
            None if cfg.projects.is_empty() => {
                return Err(config_error(
                    &cfg,
                    "no projects and no jql: nothing to sync".into(),
                ));
            }
            None => {
                if let Some(bad) = cfg.projects.iter().find(|p| !valid_project_key(p)) {
                    return Err(config_error(
                        &cfg,
                        format!("{bad:?} is not a Jira project key"),
                    ));
                }
            }
            Some(_) => {}
        }
        let credentials = match (&cfg.token, &cfg.email, cfg.datacenter) {
            (None, _, _) => gouqi::Credentials::Anonymous,
            (Some(t), Some(email), false) => gouqi::Credentials::Basic(email.clone(), t.clone()),
            (Some(t), _, _) => gouqi::Credentials::Bearer(t.clone()),
        };
        let core = gouqi::core::ClientCore::new(site.as_str(), credentials)
            .map_err(|e| config_error(&cfg, format!("unusable api_url: {e}")))?;
        let http = reqwest::Client::builder()
            // A total deadline, not only per-read timeouts: a server
            // trickling bytes cannot hold a request open for ever.
            .timeout(cfg.deadline)
            .connect_timeout(cfg.timeout)
            .read_timeout(cfg.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("recur/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config_error(&cfg, format!("cannot build the HTTP client: {e}")))?;
        Ok(JiraConnector {
            cfg,
            site,
            core,
            http,
            overrides,
            fields: Mutex::new(None),
            types: Mutex::new(None),
            requests: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            me: Mutex::new(None),
        })
    }

    fn name(&self) -> String {
        self.cfg.name.clone()
    }

    fn version(&self) -> &'static str {
        if self.cfg.datacenter {
            "2"
        } else {
            "3"
        }
    }

    /// `{site}rest/api/{2|3}{path}`.
    fn endpoint(&self, path: &str) -> Result<url::Url, ConnectorError> {
        self.core
            .build_versioned_url("api", Some(self.version()), path)
            .map_err(|e| config_error(&self.cfg, format!("cannot build the URL of {path}: {e}")))
    }

    fn search_path(&self) -> &'static str {
        if self.cfg.datacenter {
            "/search"
        } else {
            "/search/jql"
        }
    }

    fn scope<'a>(&'a self, container: &'a str) -> Scope<'a> {
        match (&self.cfg.jql, container) {
            (Some(q), JQL_CONTAINER) => Scope::Filter(q),
            _ => Scope::Project(container),
        }
    }

    fn jql(&self, container: &str, listing: &Listing) -> String {
        let types = self.types.lock().unwrap_or_else(|p| p.into_inner()).clone();
        jql::listing_jql(
            &self.scope(container),
            listing,
            &self.cfg.tracked_labels,
            types.as_deref().unwrap_or(&self.cfg.tracked_types),
        )
    }

    fn page_size(&self, listing: &Listing) -> u32 {
        match listing {
            Listing::Keys => KEYS_PAGE,
            _ => self.cfg.per_page.clamp(1, 100),
        }
    }

    /// The identifying URL of a search page: the endpoint with the JQL (and,
    /// on Data Center, the offset) as query parameters. The request itself
    /// is a POST whose body says the same.
    fn page_url(&self, container: &str, listing: &Listing, start_at: Option<u64>) -> String {
        let mut url = match self.endpoint(self.search_path()) {
            Ok(u) => u,
            Err(_) => self.site.clone(),
        };
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("jql", &self.jql(container, listing));
            if matches!(listing, Listing::Keys) {
                q.append_pair("fields", &KEY_FIELDS.join(","));
            }
            if let Some(s) = start_at {
                q.append_pair("startAt", &s.to_string());
            }
        }
        url.to_string()
    }

    fn field_list(&self, listing: &Listing, map: Option<&FieldMap>) -> Vec<String> {
        if matches!(listing, Listing::Keys) {
            return KEY_FIELDS.iter().map(|s| s.to_string()).collect();
        }
        let mut out: Vec<String> = BASE_FIELDS.iter().map(|s| s.to_string()).collect();
        for id in map.map(FieldMap::ids).unwrap_or_default() {
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }

    fn search_body(
        &self,
        req: &PageRequest,
        map: Option<&FieldMap>,
    ) -> Result<Value, ConnectorError> {
        let jql = self.jql(&req.container, &req.listing);
        let fields = self.field_list(&req.listing, map);
        let max = self.page_size(&req.listing);
        if self.cfg.datacenter {
            let start_at = match req.token.as_deref() {
                None => 0,
                Some(t) => t.trim().parse::<u64>().map_err(|_| {
                    config_error(
                        &self.cfg,
                        format!("page token {t:?} is not a Data Center startAt offset"),
                    )
                })?,
            };
            Ok(json!({"jql": jql, "startAt": start_at, "maxResults": max, "fields": fields}))
        } else {
            let mut body = json!({"jql": jql, "maxResults": max, "fields": fields});
            if let Some(t) = &req.token {
                body["nextPageToken"] = Value::String(t.clone());
            }
            Ok(body)
        }
    }

    fn current_fields(&self) -> Option<Arc<FieldMap>> {
        self.fields
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// One `GET /field`: the heading → field id map, kept for later calls.
    async fn load_fields(&self) -> Result<Arc<FieldMap>, ConnectorError> {
        let url = self.endpoint("/field")?;
        let a = self.send(Method::GET, url.clone(), None).await?;
        if a.status != 200 {
            return Err(self.error_for(url.as_str(), "the Jira field list".into(), &a));
        }
        let map = build_field_map(&a.body, &self.overrides).map_err(|e| match e {
            FieldMapError::Unreadable(m) => ConnectorError::Transient {
                source_name: self.name(),
                status: Some(200),
                message: m,
            },
            FieldMapError::BadOverride(m) => config_error(&self.cfg, m),
        })?;
        tracing::debug!(source = %self.cfg.name, mapped = map.by_heading.len(), "Field map loaded.");
        let map = Arc::new(map);
        *self.fields.lock().unwrap_or_else(|p| p.into_inner()) = Some(map.clone());
        Ok(map)
    }

    /// One `GET /issuetype` (only when types are tracked): keeps the
    /// tracked types the site has. Fails when that leaves nothing tracked.
    async fn load_issue_types(&self) -> Result<(), ConnectorError> {
        if self.cfg.tracked_types.is_empty() {
            return Ok(());
        }
        let url = self.endpoint("/issuetype")?;
        let a = self.send(Method::GET, url.clone(), None).await?;
        if a.status != 200 {
            return Err(self.error_for(url.as_str(), "the Jira issue-type list".into(), &a));
        }
        #[derive(serde::Deserialize)]
        struct IssueType {
            name: Option<String>,
        }
        let list: Vec<Value> =
            serde_json::from_slice(&a.body).map_err(|e| ConnectorError::Transient {
                source_name: self.name(),
                status: Some(200),
                message: format!("the issue-type list is not a JSON array: {e}"),
            })?;
        let names: Vec<String> = list
            .into_iter()
            .filter_map(|v| serde_json::from_value::<IssueType>(v).ok()?.name)
            .collect();
        let mut known: Vec<String> = Vec::new();
        let mut missing: Vec<&str> = Vec::new();
        for wanted in &self.cfg.tracked_types {
            match names
                .iter()
                .find(|n| n.trim().eq_ignore_ascii_case(wanted.trim()))
            {
                Some(n) => {
                    if !known.contains(n) {
                        known.push(n.clone());
                    }
                }
                None => missing.push(wanted),
            }
        }
        if !missing.is_empty() {
            if known.is_empty() && self.cfg.tracked_labels.is_empty() {
                return Err(config_error(
                    &self.cfg,
                    format!("none of the tracked issue types exist on this site: {missing:?}"),
                ));
            }
            tracing::warn!(source = %self.cfg.name, missing = ?missing, "Tracked issue types this site does not have are left out of the search.");
        }
        *self.types.lock().unwrap_or_else(|p| p.into_inner()) = Some(known);
        Ok(())
    }

    /// Sends one request; transport failures and cut-off bodies are
    /// transient. Every attempt is counted.
    async fn send(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&Value>,
    ) -> Result<Answer, ConnectorError> {
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
        let response = builder
            .send()
            .await
            .map_err(|e| ConnectorError::Transient {
                source_name: self.name(),
                status: None,
                message: format!("{what}: {}", transport_message(&e)),
            })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let cap = self.cfg.max_response_bytes;
        let too_big = || ConnectorError::Protocol {
            source_name: self.name(),
            message: format!(
                "{what}: the answer is larger than the {} MiB cap ([sync] max_response_mib)",
                cap / (1024 * 1024)
            ),
        };
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Err(too_big());
        }
        // Read chunk by chunk so an endless body stops at the cap instead
        // of filling memory.
        let mut response = response;
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > cap {
                        return Err(too_big());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(ConnectorError::Transient {
                        source_name: self.name(),
                        status: Some(status),
                        message: format!("{what}: body cut off: {}", transport_message(&e)),
                    })
                }
            }
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// Maps an error answer to a typed error.
    fn error_for(&self, url: &str, what: String, a: &Answer) -> ConnectorError {
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

    fn search_what(&self, container: &str) -> String {
        if self.cfg.jql.is_some() && container == JQL_CONTAINER {
            "the issues of the configured JQL filter".into()
        } else {
            format!("project {container}")
        }
    }

    /// The request after `req`, from the answer's paging fields.
    fn next_request(
        &self,
        req: &PageRequest,
        env: &Envelope<'_>,
        returned: usize,
    ) -> Result<Option<PageRequest>, ConnectorError> {
        if self.cfg.datacenter {
            let asked: u64 = req
                .token
                .as_deref()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0);
            let start = env.start_at.unwrap_or(asked);
            // Fewer than asked may come back: advance by what came.
            let next = start + returned as u64;
            let more = returned > 0 && env.total.is_none_or(|total| next < total);
            return Ok(more.then(|| PageRequest {
                container: req.container.clone(),
                listing: req.listing.clone(),
                url: self.page_url(&req.container, &req.listing, Some(next)),
                token: Some(next.to_string()),
                etag: None,
            }));
        }
        let Some(token) = env.next_page_token.as_deref().filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if req.token.as_deref() == Some(token) {
            return Err(ConnectorError::Protocol {
                source_name: self.name(),
                message: format!(
                    "{}: Jira returned the nextPageToken it was sent; refusing to loop",
                    req.url
                ),
            });
        }
        Ok(Some(PageRequest {
            container: req.container.clone(),
            listing: req.listing.clone(),
            url: req.url.clone(),
            token: Some(token.to_string()),
            etag: None,
        }))
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
fn rate_limit(h: &HeaderMap) -> Option<RateLimit> {
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

#[async_trait]
impl Connector for JiraConnector {
    fn source_name(&self) -> &str {
        &self.cfg.name
    }

    fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Loads the field map and the tracked issue types (one request each),
    /// then lists the projects, or the single [`JQL_CONTAINER`] when a
    /// filter is configured.
    async fn containers(&self) -> Result<Vec<String>, ConnectorError> {
        self.load_fields().await?;
        self.load_issue_types().await?;
        if self.cfg.jql.is_some() {
            return Ok(vec![JQL_CONTAINER.to_string()]);
        }
        let mut out: Vec<String> = Vec::new();
        for p in &self.cfg.projects {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(p)) {
                out.push(p.clone());
            }
        }
        Ok(out)
    }

    fn full_listings(&self, _container: &str) -> Vec<Listing> {
        vec![Listing::Tracked]
    }

    fn first_page(&self, container: &str, listing: &Listing) -> PageRequest {
        PageRequest {
            container: container.to_string(),
            listing: listing.clone(),
            url: self.page_url(
                container,
                listing,
                if self.cfg.datacenter { Some(0) } else { None },
            ),
            token: None,
            etag: None,
        }
    }

    async fn fetch_page(&self, req: &PageRequest) -> Result<Page, ConnectorError> {
        let map = if matches!(req.listing, Listing::Keys) {
            None
        } else if let Some(m) = self.current_fields() {
            Some(m)
        } else {
            // This call's one request goes to the field list; the same page
            // is asked for next.
            self.load_fields().await?;
            return Ok(Page {
                next: Some(req.clone()),
                ..Page::default()
            });
        };
        let url = self.endpoint(self.search_path())?;
        let body = self.search_body(req, map.as_deref())?;
        let a = self.send(Method::POST, url.clone(), Some(&body)).await?;
        if a.status != 200 {
            return Err(self.error_for(url.as_str(), self.search_what(&req.container), &a));
        }
        let transient = |message: String| ConnectorError::Transient {
            source_name: self.name(),
            status: Some(200),
            message,
        };
        let env: Envelope = serde_json::from_slice(&a.body).map_err(|e| {
            transient(format!(
                "malformed search answer for {}: {e}: {}",
                req.container,
                error_message(&a.body)
            ))
        })?;
        let Some(issues) = env.issues.as_deref() else {
            return Err(transient(format!(
                "search answer for {} has no issues: {}",
                req.container,
                error_message(&a.body)
            )));
        };
        let empty = FieldMap::default();
        let ctx = MapCtx {
            site: &self.site,
            fields: map.as_deref().unwrap_or(&empty),
        };
        let mut page = map_issues(issues, &req.container, &ctx);
        page.rate = rate_limit(&a.headers);
        page.next = self.next_request(req, &env, issues.len())?;
        Ok(page)
    }

    async fn probe(&self, key: &str) -> Result<Probe, ConnectorError> {
        let valid = key.rsplit_once('-').is_some_and(|(p, n)| {
            valid_project_key(p) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
        });
        if !valid {
            return Err(config_error(
                &self.cfg,
                format!("{key:?} is not a Jira issue key (PROJ-N)"),
            ));
        }
        let map = match self.current_fields() {
            Some(m) => m,
            None => self.load_fields().await?,
        };
        let mut url = self.endpoint(&format!("/issue/{key}"))?;
        url.query_pairs_mut().append_pair(
            "fields",
            &self.field_list(&Listing::Tracked, Some(&map)).join(","),
        );
        let a = self.send(Method::GET, url.clone(), None).await?;
        match a.status {
            200 => {
                let text = std::str::from_utf8(&a.body).map_err(|e| ConnectorError::Transient {
                    source_name: self.name(),
                    status: Some(200),
                    message: format!("issue {key}: body is not UTF-8: {e}"),
                })?;
                let ctx = MapCtx {
                    site: &self.site,
                    fields: &map,
                };
                let item = parse::parse_issue(text.trim(), &ctx).map_err(|e| {
                    ConnectorError::Transient {
                        source_name: self.name(),
                        status: Some(200),
                        message: format!(
                            "issue {key}: malformed answer: {e}: {}",
                            error_message(&a.body)
                        ),
                    }
                })?;
                if item.key.eq_ignore_ascii_case(key) {
                    Ok(Probe::Found(Box::new(item)))
                } else {
                    // Jira follows a moved issue to its new key.
                    Ok(Probe::Moved {
                        new_key: Some(item.key),
                    })
                }
            }
            404 => Ok(Probe::Gone),
            _ => Err(self.error_for(url.as_str(), format!("issue {key}"), &a)),
        }
    }
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit {
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
}
