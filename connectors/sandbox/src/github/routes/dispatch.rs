//! From endpoint to endpoint group. Reads share one prelude (find the
//! repository under the read lock), writes another (take the write lock,
//! resolve the token's user, find the repository, parse the JSON body), so
//! every write endpoint fails the same way in the same order: unknown
//! repository (404) before a bad body (400).

use http::{Method, StatusCode};

use super::super::{json, now_secs, Shared};
use super::answer::Outcome;
use super::call::{resolve, Call, Write};
use super::caller::{peek, Who};
use super::docs::{
    DOC_ADD_LABELS, DOC_COMMENT, DOC_COMMENTS, DOC_CREATE_COMMENT, DOC_CREATE_ISSUE, DOC_EVENTS,
    DOC_GET_ISSUE, DOC_LABELS, DOC_LIST_ISSUES, DOC_REMOVE_LABEL, DOC_REPO, DOC_REST,
    DOC_SET_LABELS, DOC_UPDATE_ISSUE,
};
use super::paths::Ep;
use super::{comments, issues, labels, repos};
use crate::github::state::World;

/// Runs an endpoint: unknown ones are a 404 and writes need a token; then
/// the caller's own endpoints, reads under the read lock, writes under the
/// write lock.
pub(super) fn execute(sh: &Shared, call: &Call<'_>, ep: &Ep, who: &Who) -> Outcome {
    let writes = !call.is_read();
    if matches!(ep, Ep::Unknown) {
        return Outcome::not_found(DOC_REST);
    }
    // App endpoints take the App's JWT and nothing else.
    if let Ep::App | Ep::AppInstallations | Ep::AppAccessTokens(_) | Ep::RepoInstallation(_) = ep {
        return app_endpoint(sh, ep, who);
    }
    if writes && call.login.is_none() {
        return Outcome::error(
            StatusCode::UNAUTHORIZED,
            "Requires authentication",
            DOC_REST,
        );
    }
    match ep {
        Ep::Unknown => Outcome::not_found(DOC_REST),
        Ep::RateLimit => Outcome::ok(json::rate_limit(peek(sh, who))),
        Ep::User => match call.login {
            None => Outcome::error(
                StatusCode::UNAUTHORIZED,
                "Requires authentication",
                DOC_REST,
            ),
            Some(login) => {
                let w = sh.read();
                match w.find_user(login) {
                    Some(u) => Outcome::ok(w.users[u as usize].json.clone().into_bytes()),
                    None => Outcome::not_found(DOC_REST),
                }
            }
        },
        Ep::OrgRepos(org) => repos::org_repos(&sh.read(), call, org),
        _ if writes => write_endpoint(sh, call, ep),
        _ => read_endpoint(&sh.read(), call, ep),
    }
}

fn read_endpoint(w: &World, call: &Call<'_>, ep: &Ep) -> Outcome {
    let repo_ref = match ep {
        Ep::Repo(r)
        | Ep::Issues(r)
        | Ep::RepoComments(r)
        | Ep::Comment(r, _)
        | Ep::Issue(r, _)
        | Ep::IssueComments(r, _)
        | Ep::IssueLabels(r, _)
        | Ep::IssueLabel(r, ..)
        | Ep::Events(r, _)
        | Ep::RepoEvents(r)
        | Ep::Timeline(r, _)
        | Ep::RepoLabels(r)
        | Ep::RepoMilestones(r)
        | Ep::Contents(r, _)
        | Ep::RepoLabel(r, _) => r,
        _ => return Outcome::not_found(DOC_REST),
    };
    let doc = match ep {
        Ep::Issues(_) => DOC_LIST_ISSUES,
        Ep::Issue(..) => DOC_GET_ISSUE,
        Ep::Repo(_) => DOC_REPO,
        Ep::RepoComments(_) | Ep::IssueComments(..) => DOC_COMMENTS,
        Ep::Comment(..) => DOC_COMMENT,
        Ep::Events(..) | Ep::Timeline(..) | Ep::RepoEvents(..) => DOC_EVENTS,
        _ => DOC_LABELS,
    };
    let Some(ri) = resolve(w, repo_ref) else {
        return Outcome::not_found(doc);
    };
    match ep {
        Ep::Repo(_) => repos::get_repo(w, ri),
        Ep::Issues(_) => issues::list_issues(w, call, ri),
        Ep::Issue(_, n) => issues::get_issue(w, call, ri, *n, doc),
        Ep::RepoComments(_) => comments::list_repo_comments(w, call, ri, doc),
        Ep::Comment(_, id) => comments::get_comment(w, ri, *id, doc),
        Ep::IssueComments(_, n) => comments::list_issue_comments(w, call, ri, *n, doc),
        Ep::IssueLabels(_, n) => labels::list_issue_labels(w, call, ri, *n, doc),
        Ep::Events(_, n) => issues::list_events(w, call, ri, *n, doc, false),
        Ep::RepoEvents(_) => issues::list_repo_events(w, call, ri),
        Ep::Timeline(_, n) => issues::list_events(w, call, ri, *n, doc, true),
        Ep::RepoLabels(_) => labels::list_repo_labels(w, call, ri),
        Ep::RepoMilestones(_) => labels::list_milestones(w, call, ri),
        Ep::Contents(_, path) => repos::contents(w, ri, path),
        Ep::RepoLabel(_, name) => labels::get_repo_label(w, ri, name, doc),
        Ep::IssueLabel(..) => Outcome::not_found(DOC_REST),
        _ => Outcome::not_found(DOC_REST),
    }
}

fn write_endpoint(sh: &Shared, call: &Call<'_>, ep: &Ep) -> Outcome {
    let login = call.login.unwrap_or("");
    let now = now_secs();
    let mut w = sh.write();
    let actor = w.user(login);
    let (repo_ref, doc) = match ep {
        Ep::Issues(r) => (r, DOC_CREATE_ISSUE),
        Ep::Issue(r, _) => (r, DOC_UPDATE_ISSUE),
        Ep::Comment(r, _) => (r, DOC_COMMENT),
        Ep::IssueComments(r, _) => (r, DOC_CREATE_COMMENT),
        Ep::IssueLabels(r, _) => (
            r,
            if call.method == Method::PUT {
                DOC_SET_LABELS
            } else {
                DOC_ADD_LABELS
            },
        ),
        Ep::IssueLabel(r, ..) => (r, DOC_REMOVE_LABEL),
        Ep::RepoLabels(r) => (r, DOC_LABELS),
        _ => return Outcome::not_found(DOC_REST),
    };
    let Some(ri) = resolve(&w, repo_ref) else {
        return Outcome::not_found(doc);
    };
    let v = match call.json_body(doc) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let m = call.method;
    let wr = Write {
        ri,
        actor,
        now,
        doc,
        v: &v,
    };
    match ep {
        Ep::Issues(_) => issues::create_issue(&mut w, call, wr),
        Ep::Issue(_, n) => issues::update_issue(&mut w, call, wr, *n),
        Ep::IssueComments(_, n) => comments::create_comment(&mut w, call, wr, *n),
        Ep::Comment(_, id) if m == Method::PATCH => comments::edit_comment(&mut w, call, wr, *id),
        Ep::Comment(_, id) => comments::delete_comment(&mut w, call, wr, *id),
        Ep::IssueLabels(_, n) if m == Method::DELETE => labels::clear_labels(&mut w, call, wr, *n),
        Ep::IssueLabels(_, n) => labels::add_or_set_labels(&mut w, call, wr, *n),
        Ep::IssueLabel(_, n, name) => labels::remove_label(&mut w, call, wr, *n, name),
        Ep::RepoLabels(_) => labels::create_label(&mut w, wr),
        _ => Outcome::not_found(DOC_REST),
    }
}

/// `GET /app`, `GET /app/installations`, `GET /repos/{o}/{r}/installation`
/// and `POST /app/installations/{id}/access_tokens`, as GitHub answers them
/// to a valid JWT; anything else is a 401.
fn app_endpoint(sh: &Shared, ep: &Ep, who: &Who) -> Outcome {
    const DOC_APPS: &str = "https://docs.github.com/rest/apps/apps";
    let Who::App(id) = who else {
        return Outcome::error(
            StatusCode::UNAUTHORIZED,
            "A JSON web token could not be decoded",
            DOC_APPS,
        );
    };
    let Some(app) = sh.apps.app(*id) else {
        return Outcome::not_found(DOC_APPS);
    };
    let installation = serde_json::json!({
        "id": app.installation_id,
        "app_id": app.id,
        "app_slug": app.slug,
        "target_type": "Organization",
        "account": {"login": "acme"},
    });
    match ep {
        Ep::App => Outcome::ok(
            serde_json::to_vec(&serde_json::json!({
                "id": app.id,
                "slug": app.slug,
                "name": app.slug,
            }))
            .unwrap_or_default(),
        ),
        Ep::AppInstallations => {
            Outcome::ok(serde_json::to_vec(&serde_json::json!([installation])).unwrap_or_default())
        }
        Ep::RepoInstallation(r) => match resolve(&sh.read(), r) {
            Some(_) => Outcome::ok(serde_json::to_vec(&installation).unwrap_or_default()),
            None => Outcome::not_found(DOC_APPS),
        },
        Ep::AppAccessTokens(inst) if *inst == app.installation_id => {
            let (token, exp) = sh.apps.issue(&app);
            let expires = chrono::DateTime::from_timestamp(exp, 0)
                .unwrap_or_default()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            Outcome {
                status: StatusCode::CREATED,
                ..Outcome::ok(
                    serde_json::to_vec(&serde_json::json!({
                        "token": token,
                        "expires_at": expires,
                        "permissions": {"issues": "write", "metadata": "read"},
                        "repository_selection": "all",
                    }))
                    .unwrap_or_default(),
                )
            }
        }
        _ => Outcome::not_found(DOC_APPS),
    }
}
