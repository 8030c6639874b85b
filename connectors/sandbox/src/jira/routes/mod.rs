//! The fake Jira's HTTP surface under `/rest/api/{2,3}/…`: routing,
//! authentication, faults, search (Cloud `search/jql` with `nextPageToken`,
//! Data Center `search` with `startAt`/`total`), issues (one, or many at
//! once on Cloud), edits, comments,
//! comment properties, changelogs (one issue's, or many issues' at once on
//! Cloud), and the field and issue-type lists.
//!
//! Request flow, as for the fake GitHub, through the shared plumbing
//! (`crate::plumbing`): route → fault (a faulted request is not executed,
//! except a stall) → authentication → endpoint → log. Every request counts
//! under its route template (see [`ROUTE_TEMPLATES`]).
//!
//! Flavours: `/rest/api/3/…` answers in Cloud shapes (ADF, `accountId`);
//! `/rest/api/2/…` in Data Center shapes (plain strings, `name`). The
//! legacy `/rest/api/{2,3}/search` is gone on Cloud (410): `…/3/search`
//! always, `…/2/search` when the caller authenticates like a Cloud client
//! (Basic `email:token`); with a Bearer token `…/2/search` is Data Center's
//! search.
//!
//! Modules, from the bottom up: `messages` (Jira's wording), `paths` (path
//! → version and endpoint → route template), `answer` (an endpoint's
//! outcome, error bodies, headers), `caller` (credentials → login), `call`
//! (what endpoints share), the endpoint groups `site`, `search`, `issues`
//! and `comments`, `dispatch` (endpoint → group) and `front` (the tracker
//! behind the plumbing).

mod answer;
mod call;
mod caller;
mod comments;
mod dispatch;
mod front;
mod issues;
mod messages;
mod paths;
mod search;
mod site;

use std::sync::Arc;

use axum::routing::any;
use axum::Router;

use super::Shared;
use crate::plumbing;

pub(crate) use issues::BULK_FETCH_EFFICIENT;
pub use messages::{
    GONE_MESSAGE, ISSUE_NOT_FOUND_MESSAGE, UNAUTHORIZED_MESSAGE, UNBOUNDED_MESSAGE,
};
pub(crate) use search::CLOUD_IDS_PAGE;

/// Every route template [`crate::JiraHandle::requests`] counts under.
/// Requests that match none count as `"{METHOD} (unmatched)"`.
pub const ROUTE_TEMPLATES: &[&str] = &[
    "GET /rest/api/3/search/jql",
    "POST /rest/api/3/search/jql",
    "GET /rest/api/3/search",
    "POST /rest/api/3/search",
    "GET /rest/api/3/field",
    "GET /rest/api/3/issuetype",
    "GET /rest/api/3/project",
    "GET /rest/api/3/myself",
    "GET /rest/api/3/serverInfo",
    "GET /rest/api/3/issue/{issueIdOrKey}",
    "PUT /rest/api/3/issue/{issueIdOrKey}",
    "POST /rest/api/3/issue/bulkfetch",
    "GET /rest/api/3/issue/{issueIdOrKey}/changelog",
    "POST /rest/api/3/changelog/bulkfetch",
    "GET /rest/api/3/issue/{issueIdOrKey}/comment",
    "POST /rest/api/3/issue/{issueIdOrKey}/comment",
    "GET /rest/api/3/issue/{issueIdOrKey}/comment/{id}",
    "PUT /rest/api/3/issue/{issueIdOrKey}/comment/{id}",
    "GET /rest/api/3/comment/{commentId}/properties",
    "GET /rest/api/3/comment/{commentId}/properties/{propertyKey}",
    "PUT /rest/api/3/comment/{commentId}/properties/{propertyKey}",
    "DELETE /rest/api/3/comment/{commentId}/properties/{propertyKey}",
    "GET /rest/api/2/search/jql",
    "POST /rest/api/2/search/jql",
    "GET /rest/api/2/search",
    "POST /rest/api/2/search",
    "GET /rest/api/2/field",
    "GET /rest/api/2/issuetype",
    "GET /rest/api/2/project",
    "GET /rest/api/2/myself",
    "GET /rest/api/2/serverInfo",
    "GET /rest/api/2/issue/{issueIdOrKey}",
    "PUT /rest/api/2/issue/{issueIdOrKey}",
    "POST /rest/api/2/issue/bulkfetch",
    "GET /rest/api/2/issue/{issueIdOrKey}/changelog",
    "POST /rest/api/2/changelog/bulkfetch",
    "GET /rest/api/2/issue/{issueIdOrKey}/comment",
    "POST /rest/api/2/issue/{issueIdOrKey}/comment",
    "GET /rest/api/2/issue/{issueIdOrKey}/comment/{id}",
    "PUT /rest/api/2/issue/{issueIdOrKey}/comment/{id}",
    "GET /rest/api/2/comment/{commentId}/properties",
    "GET /rest/api/2/comment/{commentId}/properties/{propertyKey}",
    "PUT /rest/api/2/comment/{commentId}/properties/{propertyKey}",
    "DELETE /rest/api/2/comment/{commentId}/properties/{propertyKey}",
];

/// The axum app: every request under `/rest/` goes through the shared
/// plumbing.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/rest/{*rest}", any(plumbing::handle::<Shared>))
        .with_state(shared)
}
