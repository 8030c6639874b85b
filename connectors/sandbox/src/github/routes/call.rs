//! What GitHub endpoints share: the [`Call`] (method, query, body, caller,
//! base URL), paging with `Link` headers, `since`, the answers for an issue
//! that was deleted or moved (410, 301/307), state errors as 404/422, and
//! reading fields from a JSON body.

use http::{Method, StatusCode};
use serde_json::Value;

use super::super::render::{esc, raw};
use super::super::state::{Gone, MutErr, World};
use super::answer::Outcome;
use super::docs::{DOC_COMMENT, DOC_GET_ISSUE, DOC_REDIRECT, DOC_REMOVE_LABEL};
use super::paths::RepoRef;
use crate::plumbing::Params;

/// GitHub refuses issue and comment bodies longer than this.
pub(super) const MAX_BODY_CHARS: usize = 65_536;

/// (page from 1, per_page 1..=100, default 30).
fn paging(p: &Params) -> (usize, usize) {
    let page = p
        .get("page")
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = match p
        .get("per_page")
        .and_then(|p| p.trim().parse::<usize>().ok())
    {
        Some(0) | None => 30,
        Some(n) => n.min(100),
    };
    (page, per_page)
}

/// A write once its repository is found and its body parsed.
#[derive(Clone, Copy)]
pub(super) struct Write<'a> {
    /// The repository.
    pub ri: u32,
    /// The token's user.
    pub actor: u32,
    pub now: i64,
    /// The endpoint's documentation URL, for error bodies.
    pub doc: &'static str,
    /// The JSON body (`null` when empty).
    pub v: &'a Value,
}

/// Parses `since`: RFC 3339 (a `+` that form decoding turned into a space
/// is put back), `YYYY-MM-DDTHH:MM:SS` as UTC, or a bare date.
pub(super) fn parse_since(s: &str) -> Option<i64> {
    let s = s.trim();
    let fixed = s.replace(' ', "+");
    for t in [s, fixed.as_str()] {
        if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
            return Some(d.timestamp());
        }
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(d.and_utc().timestamp());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

/// `Link` header for `page` of `last`, or `None` for a single page. URLs
/// are absolute on `base`, at `path`, with the request's query kept and
/// `page` replaced (or appended). Order as recorded from GitHub: prev,
/// next, last, first.
fn link_header(base: &str, path: &str, query: &str, page: usize, last: usize) -> Option<String> {
    if last <= 1 && page <= 1 {
        return None;
    }
    let url = |p: usize| {
        let mut parts: Vec<String> = Vec::new();
        let mut placed = false;
        for piece in query.split('&').filter(|s| !s.is_empty()) {
            let key = piece.split('=').next().unwrap_or("");
            if key == "page" {
                if !placed {
                    parts.push(format!("page={p}"));
                    placed = true;
                }
            } else {
                parts.push(piece.to_string());
            }
        }
        if !placed {
            parts.push(format!("page={p}"));
        }
        format!("<{base}{path}?{}>", parts.join("&"))
    };
    let mut rels = Vec::new();
    if page > 1 {
        rels.push(format!("{}; rel=\"prev\"", url((page - 1).min(last))));
    }
    if page < last {
        rels.push(format!("{}; rel=\"next\"", url(page + 1)));
        rels.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page > 1 {
        rels.push(format!("{}; rel=\"first\"", url(1)));
    }
    Some(rels.join(", "))
}

/// The page of `total` items: (start, end, last page).
fn page_bounds(total: usize, page: usize, per_page: usize) -> (usize, usize, usize) {
    let last = total.div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    (start, end, last)
}

/// Everything an endpoint needs besides the world.
pub(super) struct Call<'a> {
    pub method: &'a Method,
    pub query: &'a str,
    pub params: Params,
    pub body: &'a [u8],
    /// Login of the token, `None` when anonymous.
    pub login: Option<&'a str>,
    /// `http://{Host}` for `Link` and `Location`.
    pub base: &'a str,
}

impl Call<'_> {
    pub(super) fn paged(&self, path: String, total: usize) -> (usize, usize, Option<String>) {
        let (page, per_page) = paging(&self.params);
        let (start, end, last) = page_bounds(total, page, per_page);
        (
            start,
            end,
            link_header(self.base, &path, self.query, page, last),
        )
    }

    pub(super) fn is_read(&self) -> bool {
        self.method == Method::GET || self.method == Method::HEAD
    }

    pub(super) fn json_body(&self, doc: &str) -> Result<Value, Outcome> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(self.body)
            .map_err(|_| Outcome::error(StatusCode::BAD_REQUEST, "Problems parsing JSON", doc))
    }
}

pub(super) fn resolve(w: &World, r: &RepoRef) -> Option<u32> {
    match r {
        RepoRef::Name(owner, name) => w.repo(&format!("{owner}/{name}")),
        RepoRef::Id(id) => w.repo_by_id(*id),
    }
}

/// 404, 410 or a redirect for an issue that cannot be served.
pub(super) fn gone(w: &World, call: &Call<'_>, g: Gone, suffix: &str, doc: &str) -> Outcome {
    match g {
        Gone::NotFound => Outcome::not_found(doc),
        Gone::Deleted => Outcome::error(StatusCode::GONE, "This issue was deleted", DOC_GET_ISSUE),
        Gone::Moved { repo, number } => {
            let loc = format!(
                "{}/repositories/{}/issues/{number}{suffix}",
                call.base, w.repos[repo as usize].id
            );
            let mut body = Vec::new();
            raw(&mut body, "{\"message\":\"Moved Permanently\",\"url\":");
            esc(&mut body, &loc);
            raw(&mut body, ",\"documentation_url\":");
            esc(&mut body, DOC_REDIRECT);
            body.push(b'}');
            // GitHub answers 301 to reads and 307 to writes, so a client
            // that follows redirects repeats a write with its method.
            let status = if call.is_read() {
                StatusCode::MOVED_PERMANENTLY
            } else {
                StatusCode::TEMPORARY_REDIRECT
            };
            Outcome {
                status,
                body,
                link: None,
                location: Some(loc),
            }
        }
    }
}

pub(super) fn mut_err(w: &World, call: &Call<'_>, e: MutErr, suffix: &str, doc: &str) -> Outcome {
    match e {
        MutErr::Gone(g) => gone(w, call, g, suffix, doc),
        MutErr::Invalid {
            resource,
            field,
            code,
            message,
        } => Outcome::invalid(
            "Validation Failed",
            doc,
            &[(resource, field, code, Some(&message))],
        ),
        MutErr::LabelAbsent => Outcome::error(
            StatusCode::NOT_FOUND,
            "Label does not exist",
            DOC_REMOVE_LABEL,
        ),
        MutErr::NoComment => Outcome::not_found(DOC_COMMENT),
    }
}

pub(super) fn array<T>(
    items: &[T],
    mut each: impl FnMut(&mut Vec<u8>, &T),
    per_item: usize,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + items.len() * per_item);
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(&mut out, item);
    }
    out.push(b']');
    out
}

pub(super) fn bad_param(resource: &str, field: &str, doc: &str) -> Outcome {
    Outcome::invalid(
        "Validation Failed",
        doc,
        &[(resource, field, "invalid", None)],
    )
}

/// Label names from `{"labels": [...]}` or a bare array, of strings or
/// `{"name": ...}` objects. `None` when the shape is wrong.
pub(super) fn label_names(v: &Value) -> Option<Vec<String>> {
    let list = match v {
        Value::Array(a) => a,
        Value::Object(o) => o.get("labels")?.as_array()?,
        _ => return None,
    };
    list.iter()
        .map(|x| match x {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("name")?.as_str().map(str::to_string),
            _ => None,
        })
        .collect()
}

pub(super) fn text_field(v: &Value, key: &str) -> Result<Option<String>, ()> {
    match v.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(String::new())),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(()),
    }
}

pub(super) fn body_too_long(resource: &str, doc: &str) -> Outcome {
    let message = format!("body is too long (maximum is {MAX_BODY_CHARS} characters)");
    Outcome::invalid(
        "Validation Failed",
        doc,
        &[(resource, "body", "custom", Some(&message))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_shapes_follow_github() {
        let b = "http://h";
        assert_eq!(
            link_header(b, "/repositories/1/issues", "per_page=3", 1, 1),
            None
        );
        assert_eq!(
            link_header(b, "/repositories/1/issues", "per_page=3", 1, 5).unwrap(),
            "<http://h/repositories/1/issues?per_page=3&page=2>; rel=\"next\", \
             <http://h/repositories/1/issues?per_page=3&page=5>; rel=\"last\""
        );
        assert_eq!(
            link_header(b, "/repositories/1/issues", "per_page=3&page=2", 2, 5).unwrap(),
            "<http://h/repositories/1/issues?per_page=3&page=1>; rel=\"prev\", \
             <http://h/repositories/1/issues?per_page=3&page=3>; rel=\"next\", \
             <http://h/repositories/1/issues?per_page=3&page=5>; rel=\"last\", \
             <http://h/repositories/1/issues?per_page=3&page=1>; rel=\"first\""
        );
        assert_eq!(
            link_header(b, "/r", "page=5&labels=a%2Cb", 5, 5).unwrap(),
            "<http://h/r?page=4&labels=a%2Cb>; rel=\"prev\", <http://h/r?page=1&labels=a%2Cb>; rel=\"first\""
        );
        assert_eq!(
            link_header(b, "/r", "", 1, 2).unwrap(),
            "<http://h/r?page=2>; rel=\"next\", <http://h/r?page=2>; rel=\"last\""
        );
    }

    #[test]
    fn since_accepts_github_spellings() {
        assert_eq!(parse_since("2025-01-02T03:04:05Z"), Some(1_735_787_045));
        assert_eq!(
            parse_since("2025-01-02T04:04:05 01:00"),
            Some(1_735_787_045)
        );
        assert_eq!(parse_since("2025-01-02T03:04:05"), Some(1_735_787_045));
        assert_eq!(parse_since("2025-01-02"), Some(1_735_776_000));
        assert_eq!(parse_since("yesterday"), None);
    }

    #[test]
    fn page_bounds_clamp() {
        assert_eq!(page_bounds(0, 1, 30), (0, 0, 1));
        assert_eq!(page_bounds(61, 3, 30), (60, 61, 3));
        assert_eq!(page_bounds(61, 9, 30), (61, 61, 3));
    }
}
