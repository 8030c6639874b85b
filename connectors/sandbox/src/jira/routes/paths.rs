//! Where a Jira request goes: `/rest/api/{2,3}/…` read into a REST version
//! and an endpoint, and the route template it is counted under.

use http::Method;

use crate::plumbing::decode_segment as decode;

/// An endpoint, with its decoded path parameters (issue id or key,
/// comment id, property key).
#[derive(Debug, Clone)]
pub(super) enum Ep {
    SearchJql,
    Search,
    Field,
    IssueType,
    Project,
    Myself,
    MyPermissions,
    ServerInfo,
    Issue(String),
    IssueBulk,
    Changelog(String),
    ChangelogBulk,
    Comments(String),
    Comment(String, String),
    CommentProps(String),
    CommentProp(String, String),
    Unknown,
}

/// (REST version, endpoint).
pub(super) fn endpoint(path: &str) -> (u8, Ep) {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (v, rest) = match segs.as_slice() {
        ["rest", "api", "3", rest @ ..] => (3, rest),
        ["rest", "api", "2", rest @ ..] => (2, rest),
        _ => return (0, Ep::Unknown),
    };
    let ep = match rest {
        ["search", "jql"] => Ep::SearchJql,
        ["search"] => Ep::Search,
        ["field"] => Ep::Field,
        ["issuetype"] => Ep::IssueType,
        ["project"] => Ep::Project,
        ["myself"] => Ep::Myself,
        ["mypermissions"] => Ep::MyPermissions,
        ["serverInfo"] => Ep::ServerInfo,
        ["issue", "bulkfetch"] => Ep::IssueBulk,
        ["issue", k] => Ep::Issue(decode(k)),
        ["issue", k, "changelog"] => Ep::Changelog(decode(k)),
        ["changelog", "bulkfetch"] => Ep::ChangelogBulk,
        ["issue", k, "comment"] => Ep::Comments(decode(k)),
        ["issue", k, "comment", id] => Ep::Comment(decode(k), decode(id)),
        ["comment", id, "properties"] => Ep::CommentProps(decode(id)),
        ["comment", id, "properties", key] => Ep::CommentProp(decode(id), decode(key)),
        _ => Ep::Unknown,
    };
    (v, ep)
}

/// The route template of (method, version, endpoint), or `None` when the
/// method is not served there.
pub(super) fn template(method: &Method, v: u8, ep: &Ep) -> Option<String> {
    let m = method.as_str();
    let tail = match (m, ep) {
        ("GET" | "POST", Ep::SearchJql) => "/search/jql",
        ("GET" | "POST", Ep::Search) => "/search",
        ("GET", Ep::Field) => "/field",
        ("GET", Ep::IssueType) => "/issuetype",
        ("GET", Ep::Project) => "/project",
        ("GET", Ep::Myself) => "/myself",
        ("GET", Ep::MyPermissions) => "/mypermissions",
        ("GET", Ep::ServerInfo) => "/serverInfo",
        ("GET" | "PUT", Ep::Issue(_)) => "/issue/{issueIdOrKey}",
        ("POST", Ep::IssueBulk) => "/issue/bulkfetch",
        ("GET", Ep::Changelog(_)) => "/issue/{issueIdOrKey}/changelog",
        ("POST", Ep::ChangelogBulk) => "/changelog/bulkfetch",
        ("GET" | "POST", Ep::Comments(_)) => "/issue/{issueIdOrKey}/comment",
        ("GET" | "PUT", Ep::Comment(..)) => "/issue/{issueIdOrKey}/comment/{id}",
        ("GET", Ep::CommentProps(_)) => "/comment/{commentId}/properties",
        ("GET" | "PUT" | "DELETE", Ep::CommentProp(..)) => {
            "/comment/{commentId}/properties/{propertyKey}"
        }
        _ => return None,
    };
    Some(format!("{m} /rest/api/{v}{tail}"))
}
