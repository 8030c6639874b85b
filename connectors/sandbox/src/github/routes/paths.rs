//! Where a GitHub request goes: its path read into an endpoint (either
//! spelling, `/repos/{owner}/{repo}/…` or the `/repositories/{id}/…` that
//! `Link` headers use), and the route template it is counted under.

use http::Method;

use crate::plumbing::decode_segment as decode;

#[derive(Debug, Clone)]
pub(super) enum RepoRef {
    Name(String, String),
    Id(u64),
}

#[derive(Debug, Clone)]
pub(super) enum OrgRef {
    Name(String),
    Id(u64),
}

#[derive(Debug, Clone)]
pub(super) enum Ep {
    RateLimit,
    User,
    OrgRepos(OrgRef),
    Repo(RepoRef),
    Issues(RepoRef),
    RepoComments(RepoRef),
    Comment(RepoRef, u64),
    Issue(RepoRef, u64),
    IssueComments(RepoRef, u64),
    IssueLabels(RepoRef, u64),
    IssueLabel(RepoRef, u64, String),
    Events(RepoRef, u64),
    RepoEvents(RepoRef),
    Timeline(RepoRef, u64),
    RepoLabels(RepoRef),
    RepoMilestones(RepoRef),
    App,
    AppInstallations,
    AppAccessTokens(u64),
    RepoInstallation(RepoRef),
    Contents(RepoRef, String),
    RepoLabel(RepoRef, String),
    Unknown,
}

pub(super) fn endpoint(path: &str) -> Ep {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["rate_limit"] => Ep::RateLimit,
        ["user"] => Ep::User,
        ["app"] => Ep::App,
        ["app", "installations"] => Ep::AppInstallations,
        ["app", "installations", id, "access_tokens"] => match id.parse() {
            Ok(id) => Ep::AppAccessTokens(id),
            Err(_) => Ep::Unknown,
        },
        ["orgs", org, "repos"] => Ep::OrgRepos(OrgRef::Name(decode(org))),
        ["organizations", id, "repos"] => match id.parse() {
            Ok(id) => Ep::OrgRepos(OrgRef::Id(id)),
            Err(_) => Ep::Unknown,
        },
        ["repos", owner, repo, rest @ ..] => {
            repo_endpoint(RepoRef::Name(decode(owner), decode(repo)), rest)
        }
        ["repositories", id, rest @ ..] => match id.parse() {
            Ok(id) => repo_endpoint(RepoRef::Id(id), rest),
            Err(_) => Ep::Unknown,
        },
        _ => Ep::Unknown,
    }
}

fn repo_endpoint(r: RepoRef, rest: &[&str]) -> Ep {
    let n = |s: &str| s.parse::<u64>().ok();
    match rest {
        [] => Ep::Repo(r),
        ["issues"] => Ep::Issues(r),
        ["issues", "comments"] => Ep::RepoComments(r),
        ["issues", "events"] => Ep::RepoEvents(r),
        ["issues", "comments", id] => n(id).map_or(Ep::Unknown, |id| Ep::Comment(r, id)),
        ["issues", num] => n(num).map_or(Ep::Unknown, |x| Ep::Issue(r, x)),
        ["issues", num, "comments"] => n(num).map_or(Ep::Unknown, |x| Ep::IssueComments(r, x)),
        ["issues", num, "labels"] => n(num).map_or(Ep::Unknown, |x| Ep::IssueLabels(r, x)),
        ["issues", num, "labels", name] => {
            n(num).map_or(Ep::Unknown, |x| Ep::IssueLabel(r, x, decode(name)))
        }
        ["issues", num, "events"] => n(num).map_or(Ep::Unknown, |x| Ep::Events(r, x)),
        ["issues", num, "timeline"] => n(num).map_or(Ep::Unknown, |x| Ep::Timeline(r, x)),
        ["labels"] => Ep::RepoLabels(r),
        ["milestones"] => Ep::RepoMilestones(r),
        ["installation"] => Ep::RepoInstallation(r),
        ["contents", path @ ..] => Ep::Contents(r, path.join("/")),
        ["labels", name] => Ep::RepoLabel(r, decode(name)),
        _ => Ep::Unknown,
    }
}

/// The route template of (method, endpoint), or `None` when the method is
/// not served there.
pub(super) fn template(method: &Method, ep: &Ep) -> Option<&'static str> {
    let m = method.as_str();
    Some(match (m, ep) {
        ("GET", Ep::RateLimit) => "GET /rate_limit",
        ("GET", Ep::User) => "GET /user",
        ("GET", Ep::App) => "GET /app",
        ("GET", Ep::AppInstallations) => "GET /app/installations",
        ("POST", Ep::AppAccessTokens(_)) => "POST /app/installations/{id}/access_tokens",
        ("GET", Ep::RepoInstallation(_)) => "GET /repos/{owner}/{repo}/installation",
        ("GET", Ep::OrgRepos(_)) => "GET /orgs/{org}/repos",
        ("GET", Ep::Repo(_)) => "GET /repos/{owner}/{repo}",
        ("GET", Ep::Issues(_)) => "GET /repos/{owner}/{repo}/issues",
        ("POST", Ep::Issues(_)) => "POST /repos/{owner}/{repo}/issues",
        ("GET", Ep::Issue(..)) => "GET /repos/{owner}/{repo}/issues/{number}",
        ("PATCH", Ep::Issue(..)) => "PATCH /repos/{owner}/{repo}/issues/{number}",
        ("GET", Ep::RepoComments(_)) => "GET /repos/{owner}/{repo}/issues/comments",
        ("GET", Ep::Comment(..)) => "GET /repos/{owner}/{repo}/issues/comments/{id}",
        ("PATCH", Ep::Comment(..)) => "PATCH /repos/{owner}/{repo}/issues/comments/{id}",
        ("DELETE", Ep::Comment(..)) => "DELETE /repos/{owner}/{repo}/issues/comments/{id}",
        ("GET", Ep::IssueComments(..)) => "GET /repos/{owner}/{repo}/issues/{number}/comments",
        ("POST", Ep::IssueComments(..)) => "POST /repos/{owner}/{repo}/issues/{number}/comments",
        ("GET", Ep::IssueLabels(..)) => "GET /repos/{owner}/{repo}/issues/{number}/labels",
        ("POST", Ep::IssueLabels(..)) => "POST /repos/{owner}/{repo}/issues/{number}/labels",
        ("PUT", Ep::IssueLabels(..)) => "PUT /repos/{owner}/{repo}/issues/{number}/labels",
        ("DELETE", Ep::IssueLabels(..)) => "DELETE /repos/{owner}/{repo}/issues/{number}/labels",
        ("DELETE", Ep::IssueLabel(..)) => {
            "DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}"
        }
        ("GET", Ep::Events(..)) => "GET /repos/{owner}/{repo}/issues/{number}/events",
        ("GET", Ep::RepoEvents(..)) => "GET /repos/{owner}/{repo}/issues/events",
        ("GET", Ep::Timeline(..)) => "GET /repos/{owner}/{repo}/issues/{number}/timeline",
        ("GET", Ep::RepoLabels(_)) => "GET /repos/{owner}/{repo}/labels",
        ("GET", Ep::RepoMilestones(_)) => "GET /repos/{owner}/{repo}/milestones",
        ("GET", Ep::Contents(..)) => "GET /repos/{owner}/{repo}/contents/{path}",
        ("POST", Ep::RepoLabels(_)) => "POST /repos/{owner}/{repo}/labels",
        ("GET", Ep::RepoLabel(..)) => "GET /repos/{owner}/{repo}/labels/{name}",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::ROUTE_TEMPLATES;

    #[test]
    fn routes_map_to_templates() {
        let t = |m: Method, p: &str| template(&m, &endpoint(p));
        assert_eq!(
            t(Method::GET, "/repos/acme/x/issues"),
            Some("GET /repos/{owner}/{repo}/issues")
        );
        assert_eq!(
            t(Method::GET, "/repositories/7/issues"),
            Some("GET /repos/{owner}/{repo}/issues")
        );
        assert_eq!(
            t(Method::PATCH, "/repos/acme/x/issues/comments/12"),
            Some("PATCH /repos/{owner}/{repo}/issues/comments/{id}")
        );
        assert_eq!(
            t(
                Method::DELETE,
                "/repos/acme/x/issues/3/labels/good%20first%20issue"
            ),
            Some("DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}")
        );
        assert_eq!(
            t(Method::GET, "/organizations/9/repos"),
            Some("GET /orgs/{org}/repos")
        );
        assert_eq!(t(Method::DELETE, "/repos/acme/x/issues/3"), None);
        assert_eq!(t(Method::GET, "/nope"), None);
        for m in [
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::PUT,
            Method::DELETE,
        ] {
            for p in [
                "/rate_limit",
                "/user",
                "/orgs/acme/repos",
                "/repos/a/b",
                "/repos/a/b/issues",
                "/repos/a/b/issues/1",
                "/repos/a/b/issues/comments",
                "/repos/a/b/issues/comments/1",
                "/repos/a/b/issues/1/comments",
                "/repos/a/b/issues/1/labels",
                "/repos/a/b/issues/1/labels/x",
                "/repos/a/b/issues/1/events",
                "/repos/a/b/issues/1/timeline",
                "/repos/a/b/labels",
                "/repos/a/b/labels/x",
            ] {
                if let Some(tpl) = t(m.clone(), p) {
                    assert!(ROUTE_TEMPLATES.contains(&tpl), "{tpl} is not documented");
                }
            }
        }
    }
}
