//! The documentation URLs GitHub puts in its error bodies
//! (`documentation_url`), one per endpoint family.

pub(super) const DOC_REST: &str = "https://docs.github.com/rest";
pub(super) const DOC_LIST_ISSUES: &str =
    "https://docs.github.com/rest/issues/issues#list-repository-issues";
pub(super) const DOC_GET_ISSUE: &str = "https://docs.github.com/rest/issues/issues#get-an-issue";
pub(super) const DOC_UPDATE_ISSUE: &str =
    "https://docs.github.com/rest/issues/issues#update-an-issue";
pub(super) const DOC_CREATE_ISSUE: &str =
    "https://docs.github.com/rest/issues/issues#create-an-issue";
pub(super) const DOC_ADD_LABELS: &str =
    "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue";
pub(super) const DOC_SET_LABELS: &str =
    "https://docs.github.com/rest/issues/labels#set-labels-for-an-issue";
pub(super) const DOC_REMOVE_LABEL: &str =
    "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue";
pub(super) const DOC_LABELS: &str =
    "https://docs.github.com/rest/issues/labels#list-labels-for-a-repository";
pub(super) const DOC_COMMENTS: &str =
    "https://docs.github.com/rest/issues/comments#list-issue-comments";
pub(super) const DOC_COMMENT: &str =
    "https://docs.github.com/rest/issues/comments#get-an-issue-comment";
pub(super) const DOC_CREATE_COMMENT: &str =
    "https://docs.github.com/rest/issues/comments#create-an-issue-comment";
pub(super) const DOC_EVENTS: &str = "https://docs.github.com/rest/issues/events#list-issue-events";
pub(super) const DOC_REPO: &str = "https://docs.github.com/rest/repos/repos#get-a-repository";
pub(super) const DOC_ORG_REPOS: &str =
    "https://docs.github.com/rest/repos/repos#list-organization-repositories";
pub(super) const DOC_RATE: &str =
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
pub(super) const DOC_REDIRECT: &str = "https://docs.github.com/v3/#http-redirects";
pub(super) const DOC_SECONDARY: &str =
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";
