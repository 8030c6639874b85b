//! The Cloud full listing in two steps: the ids of the tracked issues
//! (`POST search/jql` asking for `id` only, up to 5,000 a page), then the
//! issues themselves, up to 1,000 a request (`POST /issue/bulkfetch`).
//!
//! Why: a search asking for recur's fields returns at most 100 issues a
//! page (fewer when many fields are asked for), and each page names the
//! next, so the pages of a first sync come one round trip after another:
//! 164 round trips for 16,000 issues at best. Ids then issues take
//! 4 + 17. Jira serves 1,000 issues a bulk request only when the request
//! names its fields and expands nothing heavy (recur's does); else 100.
//!
//! Where the listing stands is the page token (a [`Step`]): the ids listed
//! and not yet fetched and the ids search's own token. A sync stopped
//! between two requests stores it with its cursor and resumes with the
//! next request, as with any page. A token that is not a step is a search
//! page token of a pass begun the old way, and continues that way.
//!
//! What the site answers decides the rest: a 400 to more than 100 issues
//! and it asks for 100 (Jira's limit for a request it cannot serve
//! efficiently); no endpoint (404), or a 400 to 100 or fewer, and the
//! listing starts again as one search (and stays so for this connector);
//! an issue Jira could not return (`issueErrors`: a retriable error
//! or a payload limit) fails the request as transient, so the sync's
//! retries ask again and no issue of the listing is skipped. An issue
//! that moved to another project since the ids were listed is left to
//! that project's listing, as a search would have.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use recur_core::{ConnectorError, Entries, Fetched, Listing, Page, PageRequest};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, value::RawValue, Value};

use crate::fields::FieldMap;
use crate::http::rate_limit;
use crate::parse::{error_message, map_entries, Envelope, MapCtx};
use crate::{JiraConnector, JQL_CONTAINER};

/// Ids a search page asks for: Cloud's largest page, for ids only.
const IDS_PAGE: u32 = 5000;

/// Issues a bulk request asks for until the site says otherwise.
pub(crate) const BULK_ISSUES: usize = 1000;

/// Jira's limit for a bulk request it cannot serve efficiently.
const PLAIN_LIMIT: usize = 100;

/// How a step's token starts: any other token is a search page token.
const MARK: &str = "{\"ids_then_issues\":";

/// Where an ids-then-issues listing stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Step {
    /// Ids listed and not yet fetched, in the order listed.
    ids: Vec<String>,
    /// The ids search's token for its next page.
    after: Option<String>,
    /// True once the ids search was asked for: then no `after` means its
    /// last page was read.
    searched: bool,
}

#[derive(Serialize, Deserialize)]
struct Token {
    ids_then_issues: Step,
}

impl Step {
    /// The step a page token says, if it is one.
    pub(crate) fn read(token: Option<&str>) -> Option<Step> {
        let t = token?;
        if !t.starts_with(MARK) {
            return None;
        }
        serde_json::from_str::<Token>(t)
            .ok()
            .map(|t| t.ids_then_issues)
    }

    fn token(&self) -> String {
        serde_json::to_string(&Token {
            ids_then_issues: self.clone(),
        })
        .expect("a step serialises")
    }

    /// The step after `self` once `taken` ids were fetched; `None` when
    /// the listing is done.
    fn after_fetching(&self, taken: usize) -> Option<Step> {
        let ids = self.ids[taken.min(self.ids.len())..].to_vec();
        (!ids.is_empty() || self.after.is_some()).then(|| Step {
            ids,
            after: self.after.clone(),
            searched: true,
        })
    }
}

/// A bulk answer: the issues, kept raw, and those Jira could not return.
#[derive(Deserialize)]
struct BulkAnswer<'a> {
    #[serde(borrow, default)]
    issues: Option<Vec<&'a RawValue>>,
    #[serde(rename = "issueErrors", default)]
    issue_errors: Vec<Value>,
}

/// An entry of an ids page.
#[derive(Deserialize)]
struct IdOnly {
    id: Value,
}

impl JiraConnector {
    /// Whether `listing` goes as ids then issues: Cloud's full listing,
    /// unless the site showed it has no bulk fetch.
    pub(crate) fn ids_then_issues(&self, listing: &Listing) -> bool {
        !self.cfg.datacenter
            && matches!(listing, Listing::Tracked)
            && self.bulk_issues.load(Ordering::Relaxed) > 0
    }

    /// The request for `step` of `container`'s full listing.
    pub(crate) fn step_request(&self, container: &str, step: &Step) -> PageRequest {
        let listing = Listing::Tracked;
        let url = if step.ids.is_empty() {
            let mut url = self.page_url(container, &listing, None);
            url.push_str("&fields=id");
            url
        } else {
            let n = step
                .ids
                .len()
                .min(self.bulk_issues.load(Ordering::Relaxed).max(1));
            let mut url = match self.endpoint("/issue/bulkfetch") {
                Ok(u) => u,
                Err(_) => self.site.clone(),
            };
            url.query_pairs_mut()
                .append_pair("project", container)
                .append_pair("from", &step.ids[0])
                .append_pair("count", &n.to_string());
            url.to_string()
        };
        PageRequest {
            container: container.to_string(),
            listing,
            url,
            token: Some(step.token()),
            etag: None,
        }
    }

    /// One request of the listing: the next ids page, or the next issues.
    pub(crate) async fn fetch_step(
        &self,
        req: &PageRequest,
        step: Step,
        map: Arc<FieldMap>,
    ) -> Result<Fetched, ConnectorError> {
        if step.ids.is_empty() {
            self.fetch_ids(req, step).await
        } else {
            self.fetch_issues(req, step, map).await
        }
    }

    async fn fetch_ids(&self, req: &PageRequest, step: Step) -> Result<Fetched, ConnectorError> {
        let url = self.endpoint(self.search_path())?;
        let mut body = json!({
            "jql": self.jql(&req.container, &req.listing),
            "maxResults": IDS_PAGE,
            "fields": ["id"],
        });
        if let Some(t) = &step.after {
            body["nextPageToken"] = Value::String(t.clone());
        }
        let a = self.send(Method::POST, url.clone(), Some(&body)).await?;
        if a.status != 200 {
            return Err(self.error_for(url.as_str(), self.search_what(&req.container), &a));
        }
        let env: Envelope = serde_json::from_slice(&a.body).map_err(|e| {
            self.unusable(format!(
                "malformed search answer for {}: {e}: {}",
                req.container,
                error_message(&a.body)
            ))
        })?;
        let Some(issues) = env.issues.as_deref() else {
            return Err(self.unusable(format!(
                "search answer for {} has no issues: {}",
                req.container,
                error_message(&a.body)
            )));
        };
        let mut ids = Vec::with_capacity(issues.len());
        for raw in issues {
            let id = serde_json::from_str::<IdOnly>(raw.get())
                .ok()
                .and_then(|e| match e.id {
                    Value::String(s) if !s.is_empty() => Some(s),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .ok_or_else(|| {
                    self.unusable(format!(
                        "an entry of the id search for {} has no id: {}",
                        req.container,
                        recur_core::server_text(raw.get())
                    ))
                })?;
            ids.push(id);
        }
        let after = env.next_page_token.filter(|t| !t.is_empty());
        if after.is_some() && after == step.after {
            return Err(ConnectorError::Protocol {
                source_name: self.name(),
                message: format!(
                    "{}: Jira returned the nextPageToken it was sent; refusing to loop",
                    req.url
                ),
            });
        }
        let next = Step {
            ids,
            after,
            searched: true,
        };
        let next = (!next.ids.is_empty() || next.after.is_some())
            .then(|| self.step_request(&req.container, &next));
        Ok(Fetched::mapped(Page {
            next,
            rate: rate_limit(&a.headers),
            ..Page::default()
        }))
    }

    async fn fetch_issues(
        &self,
        req: &PageRequest,
        step: Step,
        map: Arc<FieldMap>,
    ) -> Result<Fetched, ConnectorError> {
        let n = step
            .ids
            .len()
            .min(self.bulk_issues.load(Ordering::Relaxed).max(1));
        let url = self.endpoint("/issue/bulkfetch")?;
        let body = json!({
            "issueIdsOrKeys": &step.ids[..n],
            "fields": self.field_list(&req.listing, Some(&map)),
        });
        let a = self.send(Method::POST, url.clone(), Some(&body)).await?;
        let what = format!("issues of {}", self.search_what(&req.container));
        match a.status {
            200 => {}
            // Over 100 issues: Jira's limit for a request it cannot serve
            // efficiently; ask for 100.
            400 if n > PLAIN_LIMIT => {
                self.bulk_issues.store(PLAIN_LIMIT, Ordering::Relaxed);
                tracing::warn!(source = %self.cfg.name, container = %req.container,
                    asked = n, message = %error_message(&a.body),
                    "Jira refused a bulk issue fetch of this many issues; asking for 100 at a time.");
                return Ok(Fetched::mapped(Page {
                    next: Some(self.step_request(&req.container, &step)),
                    ..Page::default()
                }));
            }
            // No endpoint, or a request of 100 refused for something
            // else than its size (a search with the same fields is
            // answered): the listing starts again as one search, and the
            // connector stays with it.
            404 | 400 => {
                self.bulk_issues.store(0, Ordering::Relaxed);
                tracing::warn!(source = %self.cfg.name, container = %req.container,
                    status = a.status, message = %error_message(&a.body),
                    "Jira did not serve a bulk issue fetch; listing with the search alone.");
                return Ok(Fetched::mapped(Page {
                    next: Some(self.search_first_page(&req.container, &req.listing)),
                    ..Page::default()
                }));
            }
            _ => return Err(self.error_for(url.as_str(), what, &a)),
        }
        let rate = rate_limit(&a.headers);
        let (errors, entries) = Entries::read(a.body, |body| {
            let answer: BulkAnswer = serde_json::from_slice(body).map_err(|e| {
                self.unusable(format!(
                    "malformed bulk issue answer for {}: {e}: {}",
                    req.container,
                    error_message(body)
                ))
            })?;
            let Some(issues) = answer.issues else {
                return Err(self.unusable(format!(
                    "bulk issue answer for {} has no issues: {}",
                    req.container,
                    error_message(body)
                )));
            };
            Ok((
                answer.issue_errors,
                issues.iter().map(|r| r.get()).collect(),
            ))
        })?;
        if !errors.is_empty() {
            let shown: Vec<String> = errors
                .iter()
                .take(3)
                .map(|e| recur_core::server_text(&e.to_string()))
                .collect();
            return Err(self.unusable(format!(
                "Jira could not return {} of the {n} issues asked for from {}: {}",
                errors.len(),
                req.container,
                shown.join("; ")
            )));
        }
        let next = step
            .after_fetching(n)
            .map(|s| self.step_request(&req.container, &s));
        let head = Page {
            rate,
            next,
            ..Page::default()
        };
        let site = self.site.clone();
        let container = req.container.clone();
        Ok(Fetched::unmapped(head, move || {
            let ctx = MapCtx {
                site: &site,
                fields: &map,
            };
            let mut page = map_entries(entries.iter(), &container, &ctx);
            if container != JQL_CONTAINER {
                page.items
                    .retain(|i| i.container.eq_ignore_ascii_case(&container));
            }
            page
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_reads_back_from_its_token_and_other_tokens_are_not_steps() {
        let step = Step {
            ids: vec!["10001".into(), "10002".into()],
            after: Some("{\"tricky\":\"token\"}".into()),
            searched: true,
        };
        assert_eq!(Step::read(Some(&step.token())), Some(step.clone()));
        assert_eq!(Step::read(None), None);
        assert_eq!(Step::read(Some("eyJ2IjoxfQ==")), None);
        assert_eq!(Step::read(Some("{\"ids_then_issues\": broken")), None);
        // Fetching the last ids of the last ids page ends the listing; of
        // an ids page with more pages, the ids search goes on.
        assert_eq!(step.after_fetching(1).unwrap().ids, vec!["10002"]);
        assert_eq!(step.after_fetching(2).unwrap().ids, Vec::<String>::new());
        let last = Step {
            after: None,
            ..step
        };
        assert_eq!(last.after_fetching(2), None);
        assert_eq!(last.after_fetching(5), None);
    }
}
