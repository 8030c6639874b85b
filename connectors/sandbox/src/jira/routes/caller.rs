//! Who is calling the fake Jira: Cloud clients send Basic `email:token`,
//! Data Center clients a Bearer token.

use http::header::{self, HeaderMap};

use super::super::{b64, Shared, CLOUD_EMAIL, TOKEN};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Who {
    /// A known credential; `basic` when sent as Basic `email:token`.
    User {
        login: String,
        basic: bool,
    },
    Anonymous,
    Bad,
}

/// The caller of a request: Basic `email:token` (Cloud) or `Bearer token`
/// (Data Center) with a known token, nobody without `Authorization`, or a
/// bad credential.
pub(super) fn who(sh: &Shared, headers: &HeaderMap) -> Who {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Who::Anonymous;
    };
    let v = v.to_str().unwrap_or("").trim();
    let Some((scheme, cred)) = v.split_once(' ') else {
        return Who::Bad;
    };
    let cred = cred.trim();
    let known = |token: &str| {
        sh.tokens
            .get(token)
            .cloned()
            .or_else(|| (token == TOKEN).then(|| "recur-bot".to_string()))
    };
    if scheme.eq_ignore_ascii_case("basic") {
        let Some(text) = b64::decode(cred).and_then(|b| String::from_utf8(b).ok()) else {
            return Who::Bad;
        };
        let Some((email, token)) = text.split_once(':') else {
            return Who::Bad;
        };
        let ok = (email == CLOUD_EMAIL && token == TOKEN) || sh.tokens.contains_key(token);
        return match (ok, known(token)) {
            (true, Some(login)) => Who::User { login, basic: true },
            _ => Who::Bad,
        };
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        return match known(cred) {
            Some(login) => Who::User {
                login,
                basic: false,
            },
            None => Who::Bad,
        };
    }
    Who::Bad
}
