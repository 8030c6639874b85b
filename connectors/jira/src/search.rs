//! Searching: the JQL and field list of each listing, the search request
//! (Cloud `POST search/jql` paged by `nextPageToken`, Data Center
//! `POST search` paged by `startAt`), its answer, and the request for the
//! next page.
//! Also loads the two site lists a search is built from: the field map
//! (`GET /field`) and the tracked issue types the site has
//! (`GET /issuetype`).
//!
//! The two paging schemes live side by side here because paging is where a
//! connector loops or skips issues; reading them together is how both stay
//! right.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use recur_core::{ConnectorError, Entries, Fetched, Listing, Page, PageRequest, RateLimit};
use reqwest::Method;
use serde_json::{json, Value};

use crate::fields::{build_field_map, FieldMap, FieldMapError};
use crate::http::{rate_limit, Sized};
use crate::jql::{self, Scope};
use crate::parse::{error_message, map_entries, Envelope, MapCtx};
use crate::{config_error, next_only, JiraConnector, JQL_CONTAINER};

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

impl JiraConnector {
    /// The first page of `listing` as one search (every listing but
    /// Cloud's full one, and that one on a site without bulk fetch).
    pub(crate) fn search_first_page(&self, container: &str, listing: &Listing) -> PageRequest {
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

    /// One search page: the envelope read now, the issues mapped by the
    /// caller.
    pub(crate) async fn fetch_search_page(
        &self,
        req: &PageRequest,
        map: Option<Arc<FieldMap>>,
    ) -> Result<Fetched, ConnectorError> {
        let url = self.endpoint(self.search_path())?;
        let body = self.search_body(req, map.as_deref())?;
        let a = match self
            .send_sized(Method::POST, url.clone(), Some(&body))
            .await?
        {
            Sized::Fits(a) => a,
            // A Data Center page of many large issues (up to 1,000 a
            // page) over the size cap, or too slow for the timeouts on a
            // busy site: the same page again, half as big.
            Sized::TooMuch(e, why) => {
                let asked = self.page_size(&req.listing);
                let fewer = why.fewer(u64::from(asked)).map(|n| n as u32);
                let Some(fewer) =
                    fewer.filter(|_| self.cfg.datacenter && !matches!(req.listing, Listing::Keys))
                else {
                    return Err(e);
                };
                self.search_page.store(fewer, Ordering::Relaxed);
                tracing::warn!(source = %self.cfg.name, container = %req.container,
                    asked, next = fewer, "A search page {}; asking for fewer issues a page.", why.said());
                let start = req
                    .token
                    .as_deref()
                    .and_then(|t| t.trim().parse().ok())
                    .unwrap_or(0);
                return Ok(next_only(PageRequest {
                    url: self.page_url(&req.container, &req.listing, Some(start)),
                    ..req.clone()
                }));
            }
        };
        if a.status != 200 {
            return Err(self.error_for(url.as_str(), self.search_what(&req.container), &a));
        }
        let rate = rate_limit(&a.headers);
        // The envelope is read here, inside the caller's retries (a broken
        // answer is retried); the issues are mapped by the caller, after it
        // asked for the next page.
        let (next, entries) = Entries::read(a.body, |body| {
            let env: Envelope = serde_json::from_slice(body).map_err(|e| {
                self.unusable(format!(
                    "malformed search answer for {}: {e}: {}",
                    req.container,
                    error_message(body)
                ))
            })?;
            let Some(issues) = env.issues.as_deref() else {
                return Err(self.unusable(format!(
                    "search answer for {} has no issues: {}",
                    req.container,
                    error_message(body)
                )));
            };
            let next = self.next_request(req, &env, issues.len())?;
            Ok((next, issues.iter().map(|r| r.get()).collect()))
        })?;
        Ok(self.map_later(rate, next, entries, &req.container, map))
    }

    /// An answer whose issues (`entries`) are mapped by the caller, after
    /// it asked for `next` (see [`recur_core::Fetched`]); a search or a
    /// bulk fetch.
    pub(crate) fn map_later(
        &self,
        rate: Option<RateLimit>,
        next: Option<PageRequest>,
        entries: Entries,
        container: &str,
        map: Option<Arc<FieldMap>>,
    ) -> Fetched {
        let head = Page {
            rate,
            next,
            ..Page::default()
        };
        let site = self.site.clone();
        let container = container.to_string();
        Fetched::unmapped(head, move || {
            let empty = FieldMap::default();
            let ctx = MapCtx {
                site: &site,
                fields: map.as_deref().unwrap_or(&empty),
            };
            map_entries(entries.iter(), &container, &ctx)
        })
    }

    pub(crate) fn search_path(&self) -> &'static str {
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

    pub(crate) fn jql(&self, container: &str, listing: &Listing) -> String {
        let types = self.types.lock().unwrap_or_else(|p| p.into_inner()).clone();
        jql::listing_jql(
            &self.scope(container),
            listing,
            &self.cfg.tracked_labels,
            types.as_deref().unwrap_or(&self.cfg.tracked_types),
        )
    }

    /// Issues a search page asks for: Cloud serves at most 100 with
    /// fields, Data Center 1,000 by default (fewer may come back on
    /// either; paging follows what came).
    pub(crate) fn page_size(&self, listing: &Listing) -> u32 {
        match listing {
            Listing::Keys => KEYS_PAGE,
            _ if self.cfg.datacenter => {
                let fewer = match self.search_page.load(Ordering::Relaxed) {
                    0 => u32::MAX,
                    n => n,
                };
                self.cfg.per_page.clamp(1, crate::DC_SEARCH_PAGE).min(fewer)
            }
            _ => self.cfg.per_page.clamp(1, 100),
        }
    }

    /// The identifying URL of a search page: the endpoint with the JQL (and,
    /// on Data Center, the offset) as query parameters. The request itself
    /// is a POST whose body says the same.
    pub(crate) fn page_url(
        &self,
        container: &str,
        listing: &Listing,
        start_at: Option<u64>,
    ) -> String {
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
                // The page's size too: a page asked again with fewer
                // issues (after one over the size cap) is another request.
                q.append_pair("maxResults", &self.page_size(listing).to_string());
            }
        }
        url.to_string()
    }

    pub(crate) fn field_list(&self, listing: &Listing, map: Option<&FieldMap>) -> Vec<String> {
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

    pub(crate) fn search_body(
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

    pub(crate) fn current_fields(&self) -> Option<Arc<FieldMap>> {
        self.fields
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The heading → field id map: the one kept, else loaded now.
    pub(crate) async fn fields(&self) -> Result<Arc<FieldMap>, ConnectorError> {
        match self.current_fields() {
            Some(m) => Ok(m),
            None => self.load_fields().await,
        }
    }

    /// One `GET /field`: the heading → field id map, kept for later calls.
    pub(crate) async fn load_fields(&self) -> Result<Arc<FieldMap>, ConnectorError> {
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
    pub(crate) async fn load_issue_types(&self) -> Result<(), ConnectorError> {
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

    pub(crate) fn search_what(&self, container: &str) -> String {
        if self.cfg.jql.is_some() && container == JQL_CONTAINER {
            "the issues of the configured JQL filter".into()
        } else {
            format!("project {container}")
        }
    }

    /// The request after `req`, from the answer's paging fields.
    pub(crate) fn next_request(
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
