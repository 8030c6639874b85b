//! Who is calling the fake GitHub (token → login) and what is left of
//! their primary budget.

use http::header::{self, HeaderMap};

use super::super::{now_secs, Shared};
use crate::rate::RateSnapshot;

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Who {
    User(String),
    /// A GitHub App's JWT (App endpoints only).
    App(u64),
    Anonymous,
    Bad,
}

/// The caller of a request: the login of a known token (`Bearer` or
/// `token` scheme), nobody without `Authorization`, or a bad credential.
pub(super) fn who(sh: &Shared, headers: &HeaderMap) -> Who {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Who::Anonymous;
    };
    let v = v.to_str().unwrap_or("").trim();
    let token = match v.split_once(' ') {
        Some((scheme, t))
            if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") =>
        {
            t.trim()
        }
        _ => return Who::Bad,
    };
    if let Some(login) = sh.tokens.get(token) {
        return Who::User(login.clone());
    }
    match sh.apps.caller(token) {
        crate::github::apps::AppCaller::Installation(login) => Who::User(login),
        crate::github::apps::AppCaller::Jwt(id) => Who::App(id),
        crate::github::apps::AppCaller::Expired | crate::github::apps::AppCaller::None => Who::Bad,
    }
}

/// The caller's primary budget (the shared authenticated one, or the
/// anonymous one) as it stands, nothing spent.
pub(super) fn peek(sh: &Shared, who: &Who) -> RateSnapshot {
    let now = now_secs();
    let mut b = sh.budgets();
    match who {
        Who::User(_) => b.auth.peek(now),
        _ => b.anon.peek(now),
    }
}
