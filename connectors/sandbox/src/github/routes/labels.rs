//! Label endpoints: an issue's labels (list, add, replace, clear, remove
//! one) and a repository's labels (list, get, create); and its milestones
//! (list), the other kind of issue tag.

use http::{Method, StatusCode};

use super::super::render::{self, raw};
use super::super::state::{self, World};
use super::answer::Outcome;
use super::call::{array, bad_param, gone, label_names, mut_err, text_field, Call, Write};

/// `GET …/issues/{number}/labels`, paged.
pub(super) fn list_issue_labels(w: &World, call: &Call<'_>, ri: u32, n: u64, doc: &str) -> Outcome {
    let repo = &w.repos[ri as usize];
    let ix = match w.locate(ri, n) {
        Ok(ix) => ix,
        Err(g) => return gone(w, call, g, "/labels", doc),
    };
    let labels = &repo.issues[ix].labels;
    let (start, end, link) = call.paged(
        format!("/repositories/{}/issues/{n}/labels", repo.id),
        labels.len(),
    );
    let body = array(
        &labels[start..end],
        |out, l| raw(out, &repo.labels[*l as usize].json),
        256,
    );
    Outcome {
        link,
        ..Outcome::ok(body)
    }
}

/// `GET /repos/{owner}/{repo}/labels`, paged.
pub(super) fn list_repo_labels(w: &World, call: &Call<'_>, ri: u32) -> Outcome {
    let repo = &w.repos[ri as usize];
    let (start, end, link) = call.paged(
        format!("/repositories/{}/labels", repo.id),
        repo.labels.len(),
    );
    let body = array(&repo.labels[start..end], |out, l| raw(out, &l.json), 256);
    Outcome {
        link,
        ..Outcome::ok(body)
    }
}

/// `GET /repos/{owner}/{repo}/milestones`, paged. The sandbox's
/// milestones are all open: `state=closed` lists none.
pub(super) fn list_milestones(w: &World, call: &Call<'_>, ri: u32) -> Outcome {
    let repo = &w.repos[ri as usize];
    let all = match call.params.get("state") {
        None | Some("open") | Some("all") => &repo.milestones[..],
        Some("closed") => &[],
        Some(_) => return bad_param("Milestone", "state", super::docs::DOC_REST),
    };
    let (start, end, link) = call.paged(format!("/repositories/{}/milestones", repo.id), all.len());
    let body = array(&all[start..end], |out, m| raw(out, &m.json), 512);
    Outcome {
        link,
        ..Outcome::ok(body)
    }
}

/// `GET /repos/{owner}/{repo}/labels/{name}`.
pub(super) fn get_repo_label(w: &World, ri: u32, name: &str, doc: &str) -> Outcome {
    let repo = &w.repos[ri as usize];
    match repo.label(name) {
        Some(l) => Outcome::ok(repo.labels[l as usize].json.clone().into_bytes()),
        None => Outcome::not_found(doc),
    }
}

/// `DELETE …/issues/{number}/labels`: removes them all.
pub(super) fn clear_labels(w: &mut World, call: &Call<'_>, wr: Write<'_>, n: u64) -> Outcome {
    let Write {
        ri,
        actor,
        now,
        doc,
        ..
    } = wr;
    match w.set_labels(ri, n, &[], actor, now) {
        Ok(()) => Outcome::no_content(),
        Err(e) => mut_err(w, call, e, "/labels", doc),
    }
}

/// `POST` (add) or `PUT` (replace) `…/issues/{number}/labels`.
pub(super) fn add_or_set_labels(w: &mut World, call: &Call<'_>, wr: Write<'_>, n: u64) -> Outcome {
    let Write {
        ri,
        actor,
        now,
        doc,
        v,
    } = wr;
    let m = call.method;
    let names = match label_names(v) {
        Some(names) => names,
        None => return empty_labels(doc),
    };
    let result = if m == Method::PUT {
        w.set_labels(ri, n, &names, actor, now)
    } else if names.is_empty() {
        // GitHub's schema wants at least one label when adding.
        return empty_labels(doc);
    } else {
        w.add_labels(ri, n, &names, actor, now)
    };
    match result {
        Ok(()) => Outcome::ok(issue_labels_json(w, ri, n)),
        Err(e) => mut_err(w, call, e, "/labels", doc),
    }
}

/// `DELETE …/issues/{number}/labels/{name}`.
pub(super) fn remove_label(
    w: &mut World,
    call: &Call<'_>,
    wr: Write<'_>,
    n: u64,
    name: &str,
) -> Outcome {
    let Write {
        ri,
        actor,
        now,
        doc,
        ..
    } = wr;
    match w.remove_label(ri, n, name, actor, now) {
        Ok(()) => Outcome::ok(issue_labels_json(w, ri, n)),
        Err(e) => mut_err(w, call, e, &format!("/labels/{}", render::seg(name)), doc),
    }
}

/// `POST /repos/{owner}/{repo}/labels`.
pub(super) fn create_label(w: &mut World, wr: Write<'_>) -> Outcome {
    let Write { ri, doc, v, .. } = wr;
    let Ok(Some(name)) = text_field(v, "name") else {
        return Outcome::invalid(
            "Validation Failed",
            doc,
            &[("Label", "name", "missing_field", None)],
        );
    };
    if name.chars().count() > state::MAX_LABEL_LEN || name.trim().is_empty() {
        return bad_param("Label", "name", doc);
    }
    if w.repos[ri as usize].label(&name).is_some() {
        return Outcome::invalid(
            "Validation Failed",
            doc,
            &[("Label", "name", "already_exists", None)],
        );
    }
    let color = text_field(v, "color")
        .ok()
        .flatten()
        .unwrap_or_else(|| state::NEW_LABEL_COLOR.into());
    let color = color.trim_start_matches('#').to_lowercase();
    if color.len() != 6 || !color.bytes().all(|b| b.is_ascii_hexdigit()) {
        return bad_param("Label", "color", doc);
    }
    let description = text_field(v, "description")
        .ok()
        .flatten()
        .filter(|d| !d.is_empty());
    let l = w.add_label(ri, &name, &color, description.as_deref(), false);
    let json = w.repos[ri as usize].labels[l as usize].json.clone();
    Outcome::json(StatusCode::CREATED, json.into_bytes())
}

fn empty_labels(doc: &str) -> Outcome {
    Outcome::invalid(
        "Invalid request.\n\nNo subschema in \"anyOf\" matched.",
        doc,
        &[(
            "Issue",
            "labels",
            "invalid",
            Some("No subschema in \"anyOf\" matched."),
        )],
    )
}

fn issue_labels_json(w: &World, ri: u32, n: u64) -> Vec<u8> {
    let repo = &w.repos[ri as usize];
    match w.locate(ri, n) {
        Ok(ix) => array(
            &repo.issues[ix].labels,
            |out, l| raw(out, &repo.labels[*l as usize].json),
            256,
        ),
        Err(_) => b"[]".to_vec(),
    }
}
