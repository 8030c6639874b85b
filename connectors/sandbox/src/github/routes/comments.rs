//! Comment endpoints: a repository's comments, one comment, an issue's
//! comments, and adding, editing and deleting one.

use http::StatusCode;

use super::super::json;
use super::super::state::{Comment, World};
use super::answer::Outcome;
use super::call::{
    array, bad_param, body_too_long, gone, mut_err, parse_since, text_field, Call, Write,
    MAX_BODY_CHARS,
};

/// `GET /repos/{owner}/{repo}/issues/comments`: every live issue's
/// comments, optionally `since`, sorted and paged.
pub(super) fn list_repo_comments(w: &World, call: &Call<'_>, ri: u32, doc: &str) -> Outcome {
    let repo = &w.repos[ri as usize];
    let since = match call.params.get("since").map(parse_since) {
        Some(None) => return bad_param("IssueComment", "since", doc),
        Some(s) => s,
        None => None,
    };
    let mut all: Vec<(u64, &Comment)> = repo
        .issues
        .iter()
        .filter(|i| i.is_live())
        .flat_map(|i| i.comments.iter().map(move |c| (i.number, c)))
        .filter(|(_, c)| since.is_none_or(|s| c.updated >= s))
        .collect();
    // Without `sort`, ascending by id; with it, by the key
    // (descending unless asked otherwise), ties by id.
    let sort = call.params.get("sort");
    all.sort_by_key(|(_, c)| match sort {
        Some("updated") => (c.updated, c.id),
        Some(_) => (c.created, c.id),
        None => (0, c.id),
    });
    let desc = sort.is_some() && call.params.get("direction") != Some("asc");
    if desc {
        all.reverse();
    }
    let (start, end, link) = call.paged(
        format!("/repositories/{}/issues/comments", repo.id),
        all.len(),
    );
    let body = array(
        &all[start..end],
        |out, (n, c)| json::write_comment(out, w, repo, *n, c, false),
        1800,
    );
    Outcome {
        link,
        ..Outcome::ok(body)
    }
}

/// `GET /repos/{owner}/{repo}/issues/comments/{id}`.
pub(super) fn get_comment(w: &World, ri: u32, id: u64, doc: &str) -> Outcome {
    let repo = &w.repos[ri as usize];
    match w.comment(ri, id) {
        Some((ix, c)) => {
            let issue = &repo.issues[ix];
            let mut out = Vec::with_capacity(2048);
            json::write_comment(&mut out, w, repo, issue.number, &issue.comments[c], false);
            Outcome::ok(out)
        }
        None => Outcome::not_found(doc),
    }
}

/// `GET …/issues/{number}/comments`, optionally `since`, paged.
pub(super) fn list_issue_comments(
    w: &World,
    call: &Call<'_>,
    ri: u32,
    n: u64,
    doc: &str,
) -> Outcome {
    let repo = &w.repos[ri as usize];
    let ix = match w.locate(ri, n) {
        Ok(ix) => ix,
        Err(g) => return gone(w, call, g, "/comments", doc),
    };
    let since = match call.params.get("since").map(parse_since) {
        Some(None) => return bad_param("IssueComment", "since", doc),
        Some(s) => s,
        None => None,
    };
    let issue = &repo.issues[ix];
    let comments: Vec<&Comment> = issue
        .comments
        .iter()
        .filter(|c| since.is_none_or(|s| c.updated >= s))
        .collect();
    let (start, end, link) = call.paged(
        format!("/repositories/{}/issues/{n}/comments", repo.id),
        comments.len(),
    );
    let body = array(
        &comments[start..end],
        |out, c| json::write_comment(out, w, repo, n, c, false),
        1800,
    );
    Outcome {
        link,
        ..Outcome::ok(body)
    }
}

/// `POST …/issues/{number}/comments`.
pub(super) fn create_comment(w: &mut World, call: &Call<'_>, wr: Write<'_>, n: u64) -> Outcome {
    let Write {
        ri,
        actor,
        now,
        doc,
        v,
    } = wr;
    let body = match text_field(v, "body") {
        Ok(Some(b)) if !b.is_empty() => b,
        _ => {
            return Outcome::invalid(
                "Validation Failed",
                doc,
                &[("IssueComment", "body", "missing_field", None)],
            )
        }
    };
    if body.chars().count() > MAX_BODY_CHARS {
        return body_too_long("IssueComment", doc);
    }
    match w.add_comment(ri, n, actor, &body, now) {
        Ok(id) => {
            let repo = &w.repos[ri as usize];
            let mut out = Vec::with_capacity(2048);
            if let Some((ix, c)) = w.comment(ri, id) {
                json::write_comment(&mut out, w, repo, n, &repo.issues[ix].comments[c], false);
            }
            Outcome {
                location: Some(format!(
                    "{}/repos/{}/issues/comments/{id}",
                    call.base, repo.full_name
                )),
                ..Outcome::json(StatusCode::CREATED, out)
            }
        }
        Err(e) => mut_err(w, call, e, "/comments", doc),
    }
}

/// `PATCH …/issues/comments/{id}`.
pub(super) fn edit_comment(w: &mut World, call: &Call<'_>, wr: Write<'_>, id: u64) -> Outcome {
    let Write {
        ri, now, doc, v, ..
    } = wr;
    let body = match text_field(v, "body") {
        Ok(Some(b)) if !b.is_empty() => b,
        _ => {
            return Outcome::invalid(
                "Validation Failed",
                doc,
                &[("IssueComment", "body", "missing_field", None)],
            )
        }
    };
    if body.chars().count() > MAX_BODY_CHARS {
        return body_too_long("IssueComment", doc);
    }
    match w.edit_comment(ri, id, &body, now) {
        Ok(()) => {
            let repo = &w.repos[ri as usize];
            let mut out = Vec::with_capacity(2048);
            if let Some((ix, c)) = w.comment(ri, id) {
                let issue = &repo.issues[ix];
                json::write_comment(&mut out, w, repo, issue.number, &issue.comments[c], false);
            }
            Outcome::ok(out)
        }
        Err(e) => mut_err(w, call, e, "", doc),
    }
}

/// `DELETE …/issues/comments/{id}`.
pub(super) fn delete_comment(w: &mut World, call: &Call<'_>, wr: Write<'_>, id: u64) -> Outcome {
    let Write { ri, now, doc, .. } = wr;
    match w.delete_comment(ri, id, now) {
        Ok(()) => Outcome::no_content(),
        Err(e) => mut_err(w, call, e, "", doc),
    }
}
