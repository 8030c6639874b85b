//! Comment endpoints: an issue's comments (list, add, get, edit) and a
//! comment's entity properties (list keys, get, set, delete).

use http::{Method, StatusCode};
use serde_json::{json, Value};

use super::super::adf;
use super::super::clock::now_ms;
use super::super::state::World;
use super::super::Shared;
use super::answer::Outcome;
use super::call::{expand, uint, Call, LIST_DEFAULT_PAGE};
use super::messages::BAD_PAYLOAD;

/// Jira's limit on comment bodies.
const MAX_COMMENT_CHARS: usize = 32_767;
/// Largest comment property value.
const MAX_PROPERTY_BYTES: usize = 32_768;

fn no_comment(id: &str) -> Outcome {
    Outcome::message(
        StatusCode::NOT_FOUND,
        &format!("Can not find a comment for the id: {id}."),
    )
}

/// The comment `id` of issue `key` (a comment of another issue is a 404).
fn find_comment(w: &World, key: &str, id: &str) -> Result<(u32, u32), Outcome> {
    let i = w.resolve(key).map_err(Outcome::from_err)?;
    match w.comment(id) {
        Some((ci, c)) if ci == i => Ok((ci, c)),
        _ => Err(no_comment(id)),
    }
}

/// `GET /issue/{key}/comment/{id}`.
pub(super) fn get_comment(sh: &Shared, call: &Call<'_>, key: &str, id: &str) -> Outcome {
    let w = sh.read();
    match find_comment(&w, key, id) {
        Ok(c) => Outcome::ok(&call.ctx(&w).comment(
            c.0,
            c.1,
            expand(&call.params).contains(&"properties".to_string()),
        )),
        Err(o) => o,
    }
}

/// `GET /comment/{id}/properties`: the keys.
pub(super) fn comment_property_keys(sh: &Shared, call: &Call<'_>, id: &str) -> Outcome {
    let w = sh.read();
    let Some((i, c)) = w.comment(id) else {
        return no_comment(id);
    };
    let keys: Vec<Value> = w.issues[i as usize].comments[c as usize]
        .properties
        .iter()
        .map(|(k, _)| {
            json!({
                "self": format!("{}/rest/api/{}/comment/{id}/properties/{k}", call.base, if call.v3 { 3 } else { 2 }),
                "key": k
            })
        })
        .collect();
    Outcome::ok(&json!({ "keys": keys }))
}

/// The comment body of a request, as ADF.
fn comment_body(call: &Call<'_>, body: &Value) -> Result<Value, Outcome> {
    let invalid =
        || Outcome::field_errors(&[("comment".into(), "Comment body is not valid!".into())]);
    let doc = match body.get("body") {
        Some(Value::String(s)) if !call.v3 => adf::from_text(s),
        Some(d) if call.v3 && adf::is_doc(d) => d.clone(),
        None | Some(Value::Null) => {
            return Err(Outcome::field_errors(&[(
                "comment".into(),
                "Comment body can not be empty!".into(),
            )]))
        }
        _ => return Err(invalid()),
    };
    let text = adf::to_text(&doc);
    if text.trim().is_empty() {
        return Err(Outcome::field_errors(&[(
            "comment".into(),
            "Comment body can not be empty!".into(),
        )]));
    }
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(Outcome::field_errors(&[(
            "comment".into(),
            "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
                .into(),
        )]));
    }
    Ok(doc)
}

/// `POST /issue/{key}/comment`, with entity properties if given.
pub(super) fn add_comment(sh: &Shared, call: &Call<'_>, key: &str) -> Outcome {
    let body = match call.json_body() {
        Ok(b) => b,
        Err(o) => return o,
    };
    let doc = match comment_body(call, &body) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let mut props = Vec::new();
    if let Some(list) = body.get("properties").and_then(Value::as_array) {
        for p in list {
            match (p.get("key").and_then(Value::as_str), p.get("value")) {
                (Some(k), Some(v)) => props.push((k.to_string(), v.clone())),
                _ => return Outcome::bad(BAD_PAYLOAD),
            }
        }
    }
    let mut w = sh.write();
    let i = match w.resolve(key) {
        Ok(i) => i,
        Err(e) => return Outcome::from_err(e),
    };
    let author = w.user(call.login);
    let id = w.add_comment(i, author, doc, props, now_ms());
    let c = w.issues[i as usize]
        .comments
        .iter()
        .position(|c| c.id == id)
        .unwrap_or(0) as u32;
    Outcome::json(StatusCode::CREATED, &call.ctx(&w).comment(i, c, false))
}

/// `PUT /issue/{key}/comment/{id}`.
pub(super) fn update_comment(sh: &Shared, call: &Call<'_>, key: &str, id: &str) -> Outcome {
    let body = match call.json_body() {
        Ok(b) => b,
        Err(o) => return o,
    };
    let mut w = sh.write();
    let at = match find_comment(&w, key, id) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let doc = match comment_body(call, &body) {
        Ok(d) => d,
        Err(o) => return o,
    };
    let author = w.user(call.login);
    w.update_comment(at, author, doc, now_ms());
    Outcome::ok(&call.ctx(&w).comment(at.0, at.1, false))
}

/// `GET /issue/{key}/comment`: paged, oldest first (`orderBy=-created`
/// for newest), with properties when expanded.
pub(super) fn list_comments(sh: &Shared, call: &Call<'_>, key: &str) -> Outcome {
    let start = match uint(&call.params, "startAt") {
        Ok(s) => s.unwrap_or(0),
        Err(o) => return o,
    };
    let max = match uint(&call.params, "maxResults") {
        Ok(m) => m.unwrap_or(LIST_DEFAULT_PAGE).min(LIST_DEFAULT_PAGE),
        Err(o) => return o,
    };
    let w = sh.read();
    let i = match w.resolve(key) {
        Ok(i) => i,
        Err(e) => return Outcome::from_err(e),
    };
    let issue = &w.issues[i as usize];
    let mut order: Vec<u32> = (0..issue.comments.len() as u32).collect();
    if call.params.get("orderBy") == Some("-created") {
        order.reverse();
    }
    let with_props = expand(&call.params).iter().any(|e| e == "properties");
    let total = order.len();
    let end = start.saturating_add(max).min(total);
    let ctx = call.ctx(&w);
    let comments: Vec<Value> = order[start.min(end)..end]
        .iter()
        .map(|c| ctx.comment(i, *c, with_props))
        .collect();
    Outcome::ok(&json!({
        "comments": comments,
        "maxResults": max,
        "total": total,
        "startAt": start
    }))
}

/// `GET`, `PUT` and `DELETE /comment/{id}/properties/{key}`.
pub(super) fn comment_property(sh: &Shared, call: &Call<'_>, id: &str, key: &str) -> Outcome {
    if key.is_empty() || key.chars().count() > 255 {
        return Outcome::bad("The property key must be between 1 and 255 characters long.");
    }
    let missing = || {
        Outcome::message(
            StatusCode::NOT_FOUND,
            &format!("The property with key '{key}' does not exist."),
        )
    };
    match *call.method {
        Method::GET => {
            let w = sh.read();
            let Some((i, c)) = w.comment(id) else {
                return no_comment(id);
            };
            match w.issues[i as usize].comments[c as usize]
                .properties
                .iter()
                .find(|(k, _)| k == key)
            {
                Some((k, v)) => Outcome::ok(&json!({"key": k, "value": v})),
                None => missing(),
            }
        }
        Method::PUT => {
            if call.body.len() > MAX_PROPERTY_BYTES {
                return Outcome::bad(&format!(
                    "The property value must be at most {MAX_PROPERTY_BYTES} bytes."
                ));
            }
            let value = match call.json_body() {
                Ok(v) => v,
                Err(o) => return o,
            };
            let mut w = sh.write();
            let Some(at) = w.comment(id) else {
                return no_comment(id);
            };
            if w.set_comment_property(at, key, value) {
                Outcome::empty(StatusCode::CREATED)
            } else {
                Outcome::empty(StatusCode::OK)
            }
        }
        _ => {
            let mut w = sh.write();
            let Some(at) = w.comment(id) else {
                return no_comment(id);
            };
            if w.delete_comment_property(at, key) {
                Outcome::empty(StatusCode::NO_CONTENT)
            } else {
                missing()
            }
        }
    }
}
