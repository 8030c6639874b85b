//! The texts the fake Jira answers with where tests (and clients) match on
//! them: Jira's own wording.

/// The body of the removed search endpoints (410).
pub const GONE_MESSAGE: &str = "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046";
/// The 400 of a JQL without a restriction on Cloud.
pub const UNBOUNDED_MESSAGE: &str =
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.";
/// The 401 text (plain text for bad credentials, JSON when none were sent).
pub const UNAUTHORIZED_MESSAGE: &str = "Client must be authenticated to access this resource.";
/// The 404 of an issue that does not exist (or was deleted).
pub const ISSUE_NOT_FOUND_MESSAGE: &str =
    "Issue does not exist or you do not have permission to see it.";
/// The 400 of a body that is not the JSON an endpoint takes.
pub(super) const BAD_PAYLOAD: &str =
    "Invalid request payload. Refer to the REST API documentation and try again.";
/// The 400 of a Cloud page token that does not belong to the query.
pub(super) const BAD_TOKEN: &str = "The provided next page token is invalid or expired.";
