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
//! the issues Jira could not return (`issueErrors`: a retriable error or
//! a payload limit) are asked for again, each alone, and one that still
//! fails alone fails the request as transient, so the sync's retries ask
//! again and no issue of the listing is skipped; 100 issues back from a
//! larger request (a cut without the documented 400) and the rest is
//! asked for again, 100 at a time; an answer over `[sync]
//! max_response_mib` and the same ids are asked for half as many a
//! request. An issue
//! is stored as Jira returns it: one moved to another project since its
//! id was listed comes under its new key, and one whose project was
//! renamed under the new project key, as a search shows them.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use recur_core::{ConnectorError, Entries, Fetched, Listing, Page, PageRequest};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, value::RawValue, Value};

use crate::fields::FieldMap;
use crate::http::{rate_limit, Sized};
use crate::parse::{error_message, Envelope};
use crate::{next_only, JiraConnector};

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
    /// The ids search's token for its next page; none before the first
    /// page (no ids yet) and after the last.
    after: Option<String>,
    /// How many of the first `ids` Jira could not return in a bulk
    /// request (`issueErrors`): each is asked for alone.
    #[serde(default)]
    alone: usize,
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

    /// How many ids the next bulk request asks for, at most `limit`.
    fn count(&self, limit: usize) -> usize {
        if self.alone > 0 {
            1
        } else {
            self.ids.len().min(limit.max(1))
        }
    }

    /// The step after `self` once the first `taken` ids were asked for and
    /// `again` of them must be asked for again (first; each alone when
    /// `alone`); `None` when the listing is done.
    fn after_fetching(&self, taken: usize, again: Vec<String>, alone: bool) -> Option<Step> {
        let k = again.len();
        let mut ids = again;
        ids.extend_from_slice(&self.ids[taken.min(self.ids.len())..]);
        let alone = if alone {
            k
        } else {
            self.alone.saturating_sub(taken)
        };
        (!ids.is_empty() || self.after.is_some()).then(|| Step {
            ids,
            after: self.after.clone(),
            alone,
        })
    }
}

/// An issue id as text (Jira sends a string; a number is read too).
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A bulk answer: the issues, kept raw, and those Jira could not return.
#[derive(Deserialize)]
struct BulkAnswer<'a> {
    #[serde(borrow, default)]
    issues: Option<Vec<&'a RawValue>>,
    #[serde(rename = "issueErrors", default)]
    issue_errors: Option<Vec<Value>>,
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
            let n = step.count(self.bulk_issues.load(Ordering::Relaxed));
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
        if self.bulk_issues.load(Ordering::Relaxed) == 0 {
            // A step stored by an earlier run, on a site that showed in
            // this run it has no bulk fetch: the listing starts again as
            // one search rather than going on an issue a request.
            return Ok(next_only(
                self.search_first_page(&req.container, &req.listing),
            ));
        }
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
                .and_then(|e| id_text(&e.id))
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
            alone: 0,
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
        let n = step.count(self.bulk_issues.load(Ordering::Relaxed));
        let url = self.endpoint("/issue/bulkfetch")?;
        let body = json!({
            "issueIdsOrKeys": &step.ids[..n],
            "fields": self.field_list(&req.listing, Some(&map)),
        });
        let a = match self
            .send_sized(Method::POST, url.clone(), Some(&body))
            .await?
        {
            Sized::Fits(a) => a,
            // Many large issues over the size cap, or too slow for the
            // timeouts: the same ids again, half as many a request.
            Sized::TooMuch(e, why) => {
                let Some(fewer) = why.fewer(n as u64).map(|f| f as usize) else {
                    return Err(e);
                };
                self.bulk_issues.store(fewer, Ordering::Relaxed);
                tracing::warn!(source = %self.cfg.name, container = %req.container,
                    asked = n, next = fewer, "A bulk issue fetch {}; asking for fewer.", why.said());
                return Ok(next_only(self.step_request(&req.container, &step)));
            }
        };
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
                return Ok(next_only(self.step_request(&req.container, &step)));
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
                return Ok(next_only(
                    self.search_first_page(&req.container, &req.listing),
                ));
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
                answer.issue_errors.unwrap_or_default(),
                issues.iter().map(|r| r.get()).collect(),
            ))
        })?;
        let asked = &step.ids[..n];
        let mut again: Vec<String> = Vec::new();
        if !errors.is_empty() {
            let shown: Vec<String> = errors
                .iter()
                .take(3)
                .map(|e| recur_core::server_text(&e.to_string()))
                .collect();
            let failed: std::collections::HashSet<String> = errors
                .iter()
                .filter_map(|e| id_text(e.get("id")?))
                .collect();
            again = asked
                .iter()
                .filter(|id| failed.contains(*id))
                .cloned()
                .collect();
            // Asked alone and still not returned, or errors that name no
            // issue asked for: the request fails, to be retried.
            if n == 1 || again.is_empty() {
                return Err(self.unusable(format!(
                    "Jira could not return {} of the {n} issues asked for from {}: {}",
                    errors.len(),
                    req.container,
                    shown.join("; ")
                )));
            }
            tracing::warn!(source = %self.cfg.name, container = %req.container,
                issues = again.len(), errors = %shown.join("; "),
                "Jira could not return some issues of a bulk fetch; asking for each alone.");
        } else if entries.len() == PLAIN_LIMIT && n > PLAIN_LIMIT {
            // Cut at the limit of a request Jira cannot serve efficiently,
            // without the 400 it documents: the rest is asked for again,
            // 100 at a time. (Issues it omits for being deleted or hidden
            // come back as fewer, not as exactly 100.)
            let got: std::collections::HashSet<String> = entries
                .iter()
                .filter_map(|e| id_text(&serde_json::from_str::<IdOnly>(e).ok()?.id))
                .collect();
            again = asked
                .iter()
                .filter(|id| !got.contains(*id))
                .cloned()
                .collect();
            self.bulk_issues.store(PLAIN_LIMIT, Ordering::Relaxed);
            tracing::warn!(source = %self.cfg.name, container = %req.container,
                asked = n, "Jira returned 100 issues of a larger bulk fetch; asking for 100 at a time.");
        }
        let alone = !errors.is_empty();
        let next = step
            .after_fetching(n, again, alone)
            .map(|s| self.step_request(&req.container, &s));
        Ok(self.map_later(rate, next, entries, &req.container, Some(map)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_reads_back_from_its_token_and_other_tokens_are_not_steps() {
        let step = Step {
            ids: vec!["10001".into(), "10002".into(), "10003".into()],
            after: Some("{\"tricky\":\"token\"}".into()),
            alone: 0,
        };
        assert_eq!(Step::read(Some(&step.token())), Some(step.clone()));
        assert_eq!(Step::read(None), None);
        assert_eq!(Step::read(Some("eyJ2IjoxfQ==")), None);
        assert_eq!(Step::read(Some("{\"ids_then_issues\": broken")), None);
        // A token written before `alone` existed reads as none alone.
        let old = r#"{"ids_then_issues":{"ids":["1"],"after":null,"searched":true}}"#;
        assert_eq!(Step::read(Some(old)).map(|s| s.alone), Some(0));
        assert_eq!(step.count(1000), 3);
        assert_eq!(step.count(2), 2);
        // Fetching the last ids of the last ids page ends the listing; of
        // an ids page with more pages, the ids search goes on.
        assert_eq!(
            step.after_fetching(1, vec![], false).unwrap().ids,
            ["10002", "10003"]
        );
        assert!(step
            .after_fetching(3, vec![], false)
            .unwrap()
            .ids
            .is_empty());
        let last = Step {
            after: None,
            ..step.clone()
        };
        assert_eq!(last.after_fetching(3, vec![], false), None);
        assert_eq!(last.after_fetching(5, vec![], false), None);
        // Two not returned: asked for first, each alone, then the rest.
        let next = last
            .after_fetching(2, vec!["10002".into(), "10001".into()], true)
            .unwrap();
        assert_eq!(next.ids, ["10002", "10001", "10003"]);
        assert_eq!((next.alone, next.count(1000)), (2, 1));
        let next = next.after_fetching(1, vec![], false).unwrap();
        assert_eq!((next.alone, next.count(1000)), (1, 1));
        let next = next.after_fetching(1, vec![], false).unwrap();
        assert_eq!((next.alone, next.count(1000)), (0, 1));
        assert_eq!(next.ids, ["10003"]);
    }
}
