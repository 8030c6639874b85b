//! Issue endpoints: the listing (filters, sort, paging), one issue, its
//! events and timeline, creating an issue and editing one (title, body,
//! labels, assignees, state and reason).

use std::sync::Arc;

use http::StatusCode;
use serde_json::Value;

use super::super::json;
use super::super::state::{ListKey, MutErr, NewIssueData, SortKey, StateFilter, World};
use super::answer::Outcome;
use super::call::{
    array, bad_param, body_too_long, gone, label_names, mut_err, parse_since, text_field, Call,
    Write, MAX_BODY_CHARS,
};
use super::docs::{DOC_LIST_ISSUES, DOC_UPDATE_ISSUE};

pub(super) fn list_issues(w: &World, call: &Call<'_>, ri: u32) -> Outcome {
    let repo = &w.repos[ri as usize];
    let p = &call.params;
    let state = match p.get("state") {
        None | Some("open") => StateFilter::Open,
        Some("closed") => StateFilter::Closed,
        Some("all") => StateFilter::All,
        Some(_) => return bad_param("Issue", "state", DOC_LIST_ISSUES),
    };
    let sort = match p.get("sort") {
        None | Some("created") => SortKey::Created,
        Some("updated") => SortKey::Updated,
        Some("comments") => SortKey::Comments,
        Some(_) => return bad_param("Issue", "sort", DOC_LIST_ISSUES),
    };
    let asc = match p.get("direction") {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return bad_param("Issue", "direction", DOC_LIST_ISSUES),
    };
    let since = match p.get("since").map(parse_since) {
        Some(None) => return bad_param("Issue", "since", DOC_LIST_ISSUES),
        Some(s) => s,
        None => None,
    };
    let mut labels = Vec::new();
    let mut unknown_label = false;
    for name in p
        .get("labels")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        match repo.label(name) {
            Some(l) => labels.push(l),
            None => unknown_label = true,
        }
    }
    labels.sort_unstable();
    labels.dedup();
    let ids = if unknown_label {
        Arc::new(Vec::new())
    } else {
        repo.list(&ListKey {
            state,
            labels,
            since,
            sort,
            asc,
        })
    };
    let (start, end, link) = call.paged(format!("/repositories/{}/issues", repo.id), ids.len());
    let page = &ids[start..end];
    let guess: usize = page
        .iter()
        .map(|ix| 4200 + repo.issues[*ix as usize].body.len())
        .sum();
    let mut out = Vec::with_capacity(guess + 2);
    out.push(b'[');
    for (k, ix) in page.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        json::write_issue(&mut out, w, repo, &repo.issues[*ix as usize]);
    }
    out.push(b']');
    Outcome {
        link,
        ..Outcome::ok(out)
    }
}

/// `GET /repos/{owner}/{repo}/issues/{number}`.
pub(super) fn get_issue(w: &World, call: &Call<'_>, ri: u32, n: u64, doc: &str) -> Outcome {
    let repo = &w.repos[ri as usize];
    match w.locate(ri, n) {
        Ok(ix) => {
            let issue = &repo.issues[ix];
            let mut out = Vec::with_capacity(4096 + issue.body.len());
            json::write_issue(&mut out, w, repo, issue);
            Outcome::ok(out)
        }
        Err(g) => gone(w, call, g, "", doc),
    }
}

/// `GET …/issues/{number}/events`, or with `timeline` the timeline
/// (events and comments by time).
pub(super) fn list_events(
    w: &World,
    call: &Call<'_>,
    ri: u32,
    n: u64,
    doc: &str,
    timeline: bool,
) -> Outcome {
    let repo = &w.repos[ri as usize];
    let ix = match w.locate(ri, n) {
        Ok(ix) => ix,
        Err(g) => {
            return gone(
                w,
                call,
                g,
                if timeline { "/timeline" } else { "/events" },
                doc,
            )
        }
    };
    let issue = &repo.issues[ix];
    // (time, id, is a comment, index)
    let mut entries: Vec<(i64, u64, bool, usize)> = issue
        .events
        .iter()
        .enumerate()
        .map(|(k, e)| (e.at, e.id, false, k))
        .collect();
    if timeline {
        entries.extend(
            issue
                .comments
                .iter()
                .enumerate()
                .map(|(k, c)| (c.created, c.id, true, k)),
        );
    }
    entries.sort_by_key(|(t, id, c, _)| (*t, *c, *id));
    let path = format!(
        "/repositories/{}/issues/{n}/{}",
        repo.id,
        if timeline { "timeline" } else { "events" }
    );
    let (start, end, link) = call.paged(path, entries.len());
    let body = array(
        &entries[start..end],
        |out, (_, _, is_comment, k)| {
            if *is_comment {
                json::write_comment(out, w, repo, n, &issue.comments[*k], true);
            } else {
                json::write_event(out, w, repo, &issue.events[*k]);
            }
        },
        1500,
    );
    Outcome {
        link,
        ..Outcome::ok(body)
    }
}

/// `GET /repos/{owner}/{repo}/issues/events`: every live issue's and pull
/// request's events, newest first, each naming its issue (a pull request
/// with its `pull_request` object), paged like issue lists.
pub(super) fn list_repo_events(w: &World, call: &Call<'_>, ri: u32) -> Outcome {
    let repo = &w.repos[ri as usize];
    // (time, id, issue index, event index)
    let mut entries: Vec<(i64, u64, usize, usize)> = repo
        .issues
        .iter()
        .enumerate()
        .filter(|(_, i)| i.is_live())
        .flat_map(|(ix, i)| {
            i.events
                .iter()
                .enumerate()
                .map(move |(k, e)| (e.at, e.id, ix, k))
        })
        .collect();
    entries.sort_by_key(|(t, id, ..)| std::cmp::Reverse((*t, *id)));
    let path = format!("/repositories/{}/issues/events", repo.id);
    let (start, end, link) = call.paged(path, entries.len());
    let body = array(
        &entries[start..end],
        |out, (_, _, ix, k)| {
            let issue = &repo.issues[*ix];
            json::write_event(out, w, repo, &issue.events[*k]);
            // The event names its issue (a short form: id, number, state,
            // and the pull-request marker recur filters on).
            out.pop();
            out.extend_from_slice(b",\"issue\":{\"id\":");
            out.extend_from_slice(issue.id.to_string().as_bytes());
            out.extend_from_slice(b",\"number\":");
            out.extend_from_slice(issue.number.to_string().as_bytes());
            out.extend_from_slice(if issue.closed {
                b",\"state\":\"closed\"".as_slice()
            } else {
                b",\"state\":\"open\"".as_slice()
            });
            if issue.pr.is_some() {
                out.extend_from_slice(b",\"pull_request\":{}");
            }
            out.extend_from_slice(b"}}");
        },
        1500,
    );
    Outcome {
        link,
        ..Outcome::ok(body)
    }
}

/// `POST /repos/{owner}/{repo}/issues`.
pub(super) fn create_issue(w: &mut World, call: &Call<'_>, wr: Write<'_>) -> Outcome {
    let Write {
        ri,
        actor,
        now,
        doc,
        v,
    } = wr;
    let (Ok(title), Ok(body)) = (text_field(v, "title"), text_field(v, "body")) else {
        return bad_param("Issue", "title", doc);
    };
    let Some(title) = title.filter(|t| !t.trim().is_empty()) else {
        return Outcome::invalid(
            "Validation Failed",
            doc,
            &[("Issue", "title", "missing_field", None)],
        );
    };
    let body = body.unwrap_or_default();
    if body.chars().count() > MAX_BODY_CHARS {
        return body_too_long("Issue", doc);
    }
    let labels = match v.get("labels") {
        None | Some(Value::Null) => Vec::new(),
        Some(l) => match label_names(l) {
            Some(l) => l,
            None => return bad_param("Issue", "labels", doc),
        },
    };
    let assignees = assignees_of(w, v);
    let created = w.create_issue(
        ri,
        NewIssueData {
            title,
            body,
            labels,
            assignees,
            pr: None,
            closed: None,
        },
        actor,
        now,
    );
    match created {
        Ok(n) => {
            let location = format!(
                "{}/repos/{}/issues/{n}",
                call.base, w.repos[ri as usize].full_name
            );
            Outcome {
                location: Some(location),
                ..Outcome::json(StatusCode::CREATED, issue_json(w, ri, n))
            }
        }
        Err(e) => mut_err(w, call, e, "", doc),
    }
}

/// `PATCH /repos/{owner}/{repo}/issues/{number}`.
pub(super) fn update_issue(w: &mut World, call: &Call<'_>, wr: Write<'_>, n: u64) -> Outcome {
    let Write {
        ri,
        actor,
        now,
        doc,
        v,
    } = wr;
    if let Err(g) = w.locate(ri, n) {
        return gone(w, call, g, "", doc);
    }
    let r = apply_update(w, ri, n, v, actor, now);
    match r {
        Ok(()) => Outcome::ok(issue_json(w, ri, n)),
        Err(Err(o)) => o,
        Err(Ok(e)) => mut_err(w, call, e, "", doc),
    }
}

fn issue_json(w: &World, ri: u32, n: u64) -> Vec<u8> {
    let repo = &w.repos[ri as usize];
    match w.locate(ri, n) {
        Ok(ix) => {
            let mut out = Vec::with_capacity(4096);
            json::write_issue(&mut out, w, repo, &repo.issues[ix]);
            out
        }
        Err(_) => b"{}".to_vec(),
    }
}

fn assignees_of(w: &mut World, v: &Value) -> Vec<u32> {
    let mut logins: Vec<String> = Vec::new();
    if let Some(a) = v.get("assignee").and_then(Value::as_str) {
        logins.push(a.to_string());
    }
    if let Some(list) = v.get("assignees").and_then(Value::as_array) {
        logins.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
    }
    // GitHub drops assignees it does not know; known users only.
    let mut ids: Vec<u32> = logins.iter().filter_map(|l| w.find_user(l)).collect();
    ids.dedup();
    ids
}

/// PATCH an issue: title, body, labels, assignees, state (+ reason).
/// `Err(Err(outcome))` is a request error, `Err(Ok(e))` a state error.
fn apply_update(
    w: &mut World,
    ri: u32,
    n: u64,
    v: &Value,
    actor: u32,
    now: i64,
) -> Result<(), Result<MutErr, Outcome>> {
    let doc = DOC_UPDATE_ISSUE;
    let bad = |f: &str| Err(Err(bad_param("Issue", f, doc)));
    if !v.is_object() {
        return bad("body");
    }
    match text_field(v, "title") {
        Ok(Some(t)) => w.set_title(ri, n, &t, actor, now).map_err(Ok)?,
        Ok(None) => {}
        Err(()) => return bad("title"),
    }
    match text_field(v, "body") {
        Ok(Some(b)) if b.chars().count() > MAX_BODY_CHARS => {
            return Err(Err(body_too_long("Issue", doc)))
        }
        Ok(Some(b)) => w.set_body(ri, n, &b, now).map_err(Ok)?,
        Ok(None) => {}
        Err(()) => return bad("body"),
    }
    if let Some(l) = v.get("labels") {
        let Some(names) = label_names(l) else {
            return bad("labels");
        };
        w.set_labels(ri, n, &names, actor, now).map_err(Ok)?;
    }
    if v.get("assignees").is_some() || v.get("assignee").is_some() {
        let a = assignees_of(w, v);
        w.set_assignees(ri, n, a, actor, now).map_err(Ok)?;
    }
    let reason = match v.get("state_reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(r))
            if ["completed", "not_planned", "reopened", "duplicate"].contains(&r.as_str()) =>
        {
            Some(r.clone())
        }
        Some(_) => return bad("state_reason"),
    };
    match v.get("state").and_then(Value::as_str) {
        Some("closed") => w.set_state(ri, n, true, reason, actor, now).map_err(Ok)?,
        Some("open") => w.set_state(ri, n, false, None, actor, now).map_err(Ok)?,
        Some(_) => return bad("state"),
        None if reason.is_some() => {
            // A reason alone changes the reason of a closed issue.
            let closed = w.repos[ri as usize].issues[(n - 1) as usize].closed;
            if closed {
                w.set_state(ri, n, true, reason, actor, now).map_err(Ok)?;
            }
        }
        None => {}
    }
    Ok(())
}
