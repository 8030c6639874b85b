//! What Jira endpoints share: the [`Call`] (method, flavour, query, body,
//! caller, base URL), integer and `expand` parameters, the JSON body, and
//! the page size of comment and changelog lists.

use http::Method;
use serde_json::Value;

use super::super::json::Ctx;
use super::super::state::World;
use super::super::CfMode;
use super::answer::Outcome;
use super::messages::BAD_PAYLOAD;
use crate::plumbing::Params;

/// Comment and changelog pages.
pub(super) const LIST_DEFAULT_PAGE: usize = 100;

/// A non-negative integer parameter; `Err` with Jira's message when it is
/// not one.
pub(super) fn uint(p: &Params, key: &str) -> Result<Option<usize>, Outcome> {
    match p.get(key) {
        None => Ok(None),
        Some(v) => v.trim().parse::<usize>().map(Some).map_err(|_| {
            Outcome::bad(&format!(
                "The '{key}' parameter must be a non-negative integer."
            ))
        }),
    }
}

/// Everything an endpoint needs besides the site.
pub(super) struct Call<'a> {
    pub method: &'a Method,
    pub v3: bool,
    pub params: Params,
    pub body: &'a [u8],
    pub login: &'a str,
    pub basic: bool,
    pub base: &'a str,
}

impl Call<'_> {
    pub(super) fn json_body(&self) -> Result<Value, Outcome> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(Outcome::bad(BAD_PAYLOAD));
        }
        serde_json::from_slice(self.body).map_err(|_| Outcome::bad(BAD_PAYLOAD))
    }

    pub(super) fn ctx<'w>(&'w self, w: &'w World) -> Ctx<'w> {
        Ctx {
            w,
            base: self.base,
            v3: self.v3,
        }
    }

    pub(super) fn mode(&self) -> CfMode {
        if self.v3 {
            CfMode::V3
        } else {
            CfMode::V2
        }
    }
}

/// The `expand` items, comma lists split.
pub(super) fn expand(p: &Params) -> Vec<String> {
    p.all("expand")
        .iter()
        .flat_map(|e| e.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
