//! The fake GitHub's HTTP surface: routing, authentication, the primary
//! budget and its headers, faults, ETags and `304`s, paging with `Link`
//! headers, and every endpoint recur (or a test) uses.
//!
//! Every request goes through the shared plumbing (`crate::plumbing`),
//! which counts it under its route template, offers it to the fault plan
//! and answers the transport faults; the fake GitHub plugs in through
//! `front` (its `Tracker`). Routing is done by hand (`paths`) rather than
//! with axum routes, so an unmatched request is counted and faulted too.
//!
//! Request flow: route → fault (a faulted request is not executed, except a
//! stall) → authentication (unknown token: 401) → budget (exhausted: 403;
//! `GET /rate_limit` is free) → endpoint → ETag (a matching `If-None-Match`
//! gives a 304, and an authorised 304 gets its point back) → headers → log.
//!
//! Modules, from the bottom up: `docs` (documentation URLs of error
//! bodies), `paths` (path → endpoint → route template), `answer` (an
//! endpoint's outcome and the headers of every answer), `caller` (token →
//! login, budgets), `call` (what endpoints share: paging, `Link`, redirects
//! for moved issues, body fields), the endpoint groups `repos`, `issues`,
//! `comments` and `labels`, `dispatch` (endpoint → group) and `front` (the
//! tracker behind the plumbing).

mod answer;
mod call;
mod caller;
mod comments;
mod dispatch;
mod docs;
mod front;
mod issues;
mod labels;
mod paths;
mod repos;

use std::sync::Arc;

use axum::Router;

use super::Shared;
use crate::plumbing;

/// Every route template [`crate::GithubHandle::requests`] counts under.
/// Requests that match none count as `"{METHOD} (unmatched)"`.
pub const ROUTE_TEMPLATES: &[&str] = &[
    "GET /rate_limit",
    "GET /user",
    "GET /orgs/{org}/repos",
    "GET /repos/{owner}/{repo}",
    "GET /repos/{owner}/{repo}/issues",
    "POST /repos/{owner}/{repo}/issues",
    "GET /repos/{owner}/{repo}/issues/{number}",
    "PATCH /repos/{owner}/{repo}/issues/{number}",
    "GET /repos/{owner}/{repo}/issues/comments",
    "GET /repos/{owner}/{repo}/issues/comments/{id}",
    "PATCH /repos/{owner}/{repo}/issues/comments/{id}",
    "DELETE /repos/{owner}/{repo}/issues/comments/{id}",
    "GET /repos/{owner}/{repo}/issues/{number}/comments",
    "POST /repos/{owner}/{repo}/issues/{number}/comments",
    "GET /repos/{owner}/{repo}/issues/{number}/labels",
    "POST /repos/{owner}/{repo}/issues/{number}/labels",
    "PUT /repos/{owner}/{repo}/issues/{number}/labels",
    "DELETE /repos/{owner}/{repo}/issues/{number}/labels",
    "DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}",
    "GET /repos/{owner}/{repo}/issues/{number}/events",
    "GET /repos/{owner}/{repo}/issues/events",
    "GET /repos/{owner}/{repo}/issues/{number}/timeline",
    "GET /repos/{owner}/{repo}/labels",
    "GET /repos/{owner}/{repo}/milestones",
    "GET /app",
    "GET /app/installations",
    "POST /app/installations/{id}/access_tokens",
    "GET /repos/{owner}/{repo}/installation",
    "GET /repos/{owner}/{repo}/contents/{path}",
    "POST /repos/{owner}/{repo}/labels",
    "GET /repos/{owner}/{repo}/labels/{name}",
];

/// The axum app: every request goes through the shared plumbing.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .fallback(plumbing::handle::<Shared>)
        .with_state(shared)
}
