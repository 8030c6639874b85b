//! Repository endpoints: one repository, and an organisation's list.

use super::super::json;
use super::super::state::World;
use super::answer::Outcome;
use super::call::{array, Call};
use super::docs::DOC_ORG_REPOS;
use super::paths::OrgRef;

/// `GET /repos/{owner}/{repo}`.
pub(super) fn get_repo(w: &World, ri: u32) -> Outcome {
    let repo = &w.repos[ri as usize];
    let mut out = Vec::with_capacity(2048);
    json::write_repo(&mut out, w, repo);
    Outcome::ok(out)
}

/// `GET /orgs/{org}/repos`: sorted by creation (or `full_name`), paged.
pub(super) fn org_repos(w: &World, call: &Call<'_>, org: &OrgRef) -> Outcome {
    let org = match org {
        OrgRef::Name(n) => w.org_by_name(n),
        OrgRef::Id(id) => w.org_by_id(*id),
    };
    let Some(org) = org else {
        return Outcome::not_found(DOC_ORG_REPOS);
    };
    let mut repos: Vec<usize> = (0..w.repos.len())
        .filter(|i| w.repos[*i].owner.eq_ignore_ascii_case(&org.login))
        .collect();
    let sort = call.params.get("sort").unwrap_or("created");
    match sort {
        "full_name" => repos.sort_by(|a, b| w.repos[*a].full_name.cmp(&w.repos[*b].full_name)),
        _ => repos.sort_by_key(|i| (w.repos[*i].created, w.repos[*i].id)),
    }
    let default_asc = sort == "full_name";
    let asc = call
        .params
        .get("direction")
        .map_or(default_asc, |d| d == "asc");
    if !asc {
        repos.reverse();
    }
    let (start, end, link) = call.paged(format!("/organizations/{}/repos", org.id), repos.len());
    let body = array(
        &repos[start..end],
        |out, i| json::write_repo(out, w, &w.repos[*i]),
        2048,
    );
    Outcome {
        link,
        ..Outcome::ok(body)
    }
}

/// `GET /repos/{owner}/{repo}/contents/{path}`: only the issue-form
/// directory exists, holding recur's three forms unless the repository was
/// set to have none (404 then, as for any missing path).
pub(super) fn contents(w: &World, ri: u32, path: &str) -> Outcome {
    let repo = &w.repos[ri as usize];
    if path.trim_matches('/') != ".github/ISSUE_TEMPLATE" || w.no_issue_forms.contains(&ri) {
        return Outcome::not_found(
            "https://docs.github.com/rest/repos/contents#get-repository-content",
        );
    }
    let files: Vec<serde_json::Value> = ["action-item.yml", "incident.yml", "risk.yml"]
        .iter()
        .map(|name| {
            serde_json::json!({
                "name": name,
                "path": format!(".github/ISSUE_TEMPLATE/{name}"),
                "type": "file",
                "url": format!("{}/contents/.github/ISSUE_TEMPLATE/{name}", repo.api),
            })
        })
        .collect();
    Outcome::ok(serde_json::to_vec(&files).unwrap_or_default())
}
