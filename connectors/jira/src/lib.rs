//! recur-jira: the Jira Cloud and Data Center connector. It turns one REST
//! request into one page of [`Item`](recur_core::Item)s (or one field list, or one issue).
//!
//! Modules: [`adf`](adf_to_text) renders Atlassian Document Format to text;
//! `fields` maps custom fields to recur's headings by name; `jql` writes
//! the query of each listing; `search` builds search requests and pages
//! through the answers; `http` sends one request and types its failure;
//! `parse` maps issue JSON to records. This file keeps the configuration,
//! the connector and its [`Connector`] implementation.
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
mod bulk;
mod changelog;
mod fields;
mod http;
mod jql;
mod parse;
mod preflight;
mod search;
mod write;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use recur_core::{
    Connector, ConnectorError, EventsPage, EventsRequest, Fetched, Item, Listing, LogShape, Page,
    PageRequest, Probe,
};
use reqwest::Method;

pub use adf::adf_to_text;
pub use fields::HEADINGS;
pub use parse::parse_jira_time;
pub use write::render_adf;

use fields::FieldMap;
use parse::{error_message, MapCtx};

/// The container name used when a custom JQL filter replaces projects.
pub const JQL_CONTAINER: &str = "jql";

/// The most issues a Data Center search page asks for: the site's default
/// limit (`jira.search.views.default.max`); a site that lowered it returns
/// fewer, and paging follows what came.
pub const DC_SEARCH_PAGE: u32 = 1000;

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
    /// Issues per search page to ask for (clamped to 1..=100 on Cloud,
    /// 1..=1000 on Data Center; fewer may come back).
    pub per_page: u32,
    /// Per-read timeout (connect, and each read).
    pub timeout: Duration,
    /// Total deadline of one request, answer body included.
    pub deadline: Duration,
    /// The largest answer read (decoded), in bytes.
    pub max_response_bytes: usize,
    /// An explicit proxy; `None`: the environment's (`HTTPS_PROXY`, …).
    pub proxy: Option<recur_core::net::ProxySetting>,
    /// A private CA trusted in addition to the system's roots.
    pub ca: Option<recur_core::net::CaBundle>,
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
            .field("proxy", &self.proxy)
            .field("ca", &self.ca)
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
    /// Issues a bulk fetch asks for (Cloud's full listing, see `bulk`);
    /// 0 once the site showed it has none, or on Data Center.
    bulk_issues: AtomicUsize,
    /// At most this many issues a Data Center search page, once a page
    /// came back over the size cap (0: `per_page` alone).
    search_page: AtomicU32,
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

/// An answer with no issues that names the request to make next: the
/// same one after a preparatory request, or another after the site said
/// to ask differently (fewer issues, a search instead of a bulk fetch).
fn next_only(next: PageRequest) -> Fetched {
    Fetched::mapped(Page {
        next: Some(next),
        ..Page::default()
    })
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
        // The same roots as GitHub's (the system's plus `ca_file`), not
        // reqwest's built-in webpki list; gzip asked for and decoded (the
        // size cap in `http` counts decoded bytes). Without `proxy`,
        // reqwest reads HTTPS_PROXY/HTTP_PROXY/ALL_PROXY/NO_PROXY itself;
        // `proxy` turns that off, so NO_PROXY is put back on it.
        let tls = recur_core::net::tls_config(cfg.ca.as_ref())
            .map_err(|e| config_error(&cfg, format!("ca_file: {e}")))?;
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .gzip(true)
            // A total deadline, not only per-read timeouts: a server
            // trickling bytes cannot hold a request open for ever.
            .timeout(cfg.deadline)
            .connect_timeout(cfg.timeout)
            .read_timeout(cfg.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("recur/", env!("CARGO_PKG_VERSION")));
        if let Some(p) = &cfg.proxy {
            let proxy = reqwest::Proxy::all(p.0.as_str())
                .map_err(|e| config_error(&cfg, format!("proxy {}: {e}", p.display())))?
                .no_proxy(reqwest::NoProxy::from_env());
            builder = builder.proxy(proxy);
        }
        let http = builder
            .build()
            .map_err(|e| config_error(&cfg, format!("cannot build the HTTP client: {e}")))?;
        let bulk_issues = if cfg.datacenter { 0 } else { bulk::BULK_ISSUES };
        Ok(JiraConnector {
            cfg,
            site,
            core,
            http,
            overrides,
            fields: Mutex::new(None),
            types: Mutex::new(None),
            requests: AtomicU64::new(0),
            bulk_issues: AtomicUsize::new(bulk_issues),
            search_page: AtomicU32::new(0),
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
        if self.ids_then_issues(listing) {
            return self.step_request(container, &bulk::Step::default());
        }
        self.search_first_page(container, listing)
    }

    async fn fetch_page(&self, req: &PageRequest) -> Result<Page, ConnectorError> {
        Ok(self.fetch_unmapped(req).await?.map())
    }

    async fn fetch_unmapped(&self, req: &PageRequest) -> Result<Fetched, ConnectorError> {
        let map = if matches!(req.listing, Listing::Keys) {
            None
        } else if let Some(m) = self.current_fields() {
            Some(m)
        } else {
            // This call's one request goes to the field list; the same page
            // is asked for next.
            self.load_fields().await?;
            return Ok(next_only(req.clone()));
        };
        if let (Some(step), Some(map)) = (bulk::Step::read(req.token.as_deref()), &map) {
            return self.fetch_step(req, step, map.clone()).await;
        }
        self.fetch_search_page(req, map).await
    }

    fn log_shape(&self) -> LogShape {
        LogShape {
            per_container: false,
            page_size: changelog::PAGE_SIZE,
            has_fields: true,
            // Data Center has no bulk changelog; its search embeds each
            // issue's.
            bulk_items: if self.cfg.datacenter {
                changelog::DC_BULK_ITEMS
            } else {
                changelog::BULK_ITEMS
            },
        }
    }

    async fn prepare_log(&self) -> Result<(), ConnectorError> {
        self.fields().await.map(|_| ())
    }

    async fn events_page(&self, request: &EventsRequest) -> Result<EventsPage, ConnectorError> {
        match request {
            EventsRequest::Item { key, cursor } => {
                self.changelog_page(key, cursor.as_deref()).await
            }
            EventsRequest::Items { items, cursor } if self.cfg.datacenter => {
                self.dc_search_changelog_page(items, cursor.as_deref())
                    .await
            }
            EventsRequest::Items { items, cursor } => {
                self.bulk_changelog_page(items, cursor.as_deref()).await
            }
            EventsRequest::Container { container, .. } => Err(config_error(
                &self.cfg,
                format!("Jira has no project-wide change log (asked for {container})"),
            )),
        }
    }

    async fn preflight(&self, writes: bool) -> Vec<recur_core::Check> {
        self.preflight_checks(writes).await
    }

    fn status_rules(&self, samples: &[String]) -> recur_core::StatusRules {
        changelog::status_rules(samples)
    }

    fn item_from_raw(&self, _container: &str, raw: &str) -> Option<Item> {
        let map = self.current_fields()?;
        let ctx = MapCtx {
            site: &self.site,
            fields: &map,
        };
        parse::parse_issue(raw, &ctx).ok()
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
        let map = self.fields().await?;
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
