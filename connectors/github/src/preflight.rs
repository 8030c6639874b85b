//! `recur check` for a GitHub source: the token and its login
//! (`GET /user`), each repository (`GET /repos/{r}`, whose `permissions`
//! say whether the token may label and comment: `triage` or more), each
//! tracked label (`GET …/labels/{name}`) with how many issues carry it
//! (one issue per page, so the `Link` header's last page is the count),
//! the issue forms (`GET …/contents/.github/ISSUE_TEMPLATE`), and the rate
//! budget (`GET /rate_limit`, which costs none). Nothing is written.

use http::StatusCode;
use recur_core::{Check, Connector};
use serde_json::Value;

use crate::{enc, GithubConnector};

/// The page number of the `rel="last"` link, if any.
fn last_page(headers: &http::HeaderMap) -> Option<u64> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    link.split(',')
        .find(|p| p.contains("rel=\"last\""))
        .and_then(|p| {
            let url = p.split(';').next()?.trim().trim_matches(['<', '>']);
            url::Url::parse(url)
                .ok()?
                .query_pairs()
                .find(|(k, _)| k == "page")
                .and_then(|(_, v)| v.parse().ok())
        })
}

impl GithubConnector {
    pub(crate) async fn preflight_checks(&self, writes: bool) -> Vec<Check> {
        let mut out = Vec::new();
        // The token.
        if let Some(login) = self.app_login().await {
            match login {
                Ok(login) => out.push(Check::pass(
                    "token",
                    "",
                    format!("GitHub App accepted; its installation acts as {login}"),
                )),
                Err(e) => {
                    out.push(Check::fail(
                        "token",
                        "",
                        format!("the GitHub App's JWT was refused: {e}"),
                        "check app_id and private_key_file (the App's private key, PEM)",
                    ));
                    return out;
                }
            }
        } else if self.cfg.token.is_none() {
            out.push(Check::pass(
                "token",
                "",
                "anonymous access (public data, 60 requests an hour)",
            ));
        } else {
            match self.get("/user", None).await {
                Ok(a) if a.status == StatusCode::OK => {
                    let login = serde_json::from_slice::<Value>(&a.body)
                        .ok()
                        .and_then(|v| v.get("login").and_then(Value::as_str).map(str::to_string))
                        .unwrap_or_else(|| "an unknown login".into());
                    out.push(Check::pass(
                        "token",
                        "",
                        format!("accepted; acts as {login}"),
                    ));
                }
                Ok(a) => {
                    out.push(Check::fail(
                        "token",
                        "",
                        format!("refused (HTTP {})", a.status.as_u16()),
                        "create a new token (fine-grained: Issues read and write on the repositories; classic: repo) and set it as token, token_file or GH_TOKEN",
                    ));
                    // Nothing else can be learnt with a refused token.
                    return out;
                }
                Err(e) => {
                    out.push(Check::fail(
                        "token",
                        "",
                        format!("GitHub did not answer: {e}"),
                        "check api_url and the network (proxy, firewall)",
                    ));
                    return out;
                }
            }
        }
        let repos = match self.containers().await {
            Ok(r) => r,
            Err(e) => {
                out.push(Check::fail(
                    "container",
                    "",
                    format!("the repositories could not be listed: {e}"),
                    "check the orgs and repos of this source",
                ));
                return out;
            }
        };
        for repo in &repos {
            let a = match self.get(&format!("/repos/{repo}"), None).await {
                Ok(a) => a,
                Err(e) => {
                    out.push(Check::fail(
                        "container",
                        repo,
                        e.to_string(),
                        "check the network",
                    ));
                    continue;
                }
            };
            if a.status != StatusCode::OK {
                out.push(Check::fail(
                    "container",
                    repo,
                    format!("not reachable (HTTP {})", a.status.as_u16()),
                    "check the name, and that the token can see the repository",
                ));
                continue;
            }
            out.push(Check::pass("container", repo, "reachable"));
            if writes {
                let perms = serde_json::from_slice::<Value>(&a.body)
                    .ok()
                    .and_then(|v| v.get("permissions").cloned());
                let may = |k: &str| {
                    perms
                        .as_ref()
                        .and_then(|p| p.get(k))
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                };
                if may("admin") || may("maintain") || may("push") || may("triage") {
                    out.push(Check::pass(
                        "write_access",
                        repo,
                        "may add labels and comment (triage or more)",
                    ));
                } else {
                    out.push(Check::fail(
                        "write_access",
                        repo,
                        "the token may not add labels or comment here",
                        "grant the token's user or app at least triage on the repository, or turn write-back off",
                    ));
                }
            }
            for label in &self.cfg.tracked_labels {
                let path = format!("/repos/{repo}/labels/{}", enc(label).replace('+', "%20"));
                match self.get(&path, None).await {
                    Ok(a) if a.status == StatusCode::OK => {
                        let count = self
                            .get(
                                &format!(
                                    "/repos/{repo}/issues?labels={}&state=all&per_page=1",
                                    enc(label)
                                ),
                                None,
                            )
                            .await
                            .ok()
                            .filter(|a| a.status == StatusCode::OK)
                            .map(|a| {
                                last_page(&a.headers).unwrap_or_else(|| {
                                    serde_json::from_slice::<Vec<Value>>(&a.body)
                                        .map(|v| v.len() as u64)
                                        .unwrap_or(0)
                                })
                            });
                        out.push(Check::pass(
                            "label",
                            &format!("{repo}: {label}"),
                            match count {
                                Some(n) => format!("exists; {n} issues and pull requests carry it"),
                                None => "exists".into(),
                            },
                        ));
                    }
                    Ok(a) if a.status == StatusCode::NOT_FOUND => out.push(Check::fail(
                        "label",
                        &format!("{repo}: {label}"),
                        "no such label: no issue can be tracked by it",
                        "create the label (the issue forms add it), or remove it from the source's labels",
                    )),
                    Ok(a) => out.push(Check::fail(
                        "label",
                        &format!("{repo}: {label}"),
                        format!("HTTP {}", a.status.as_u16()),
                        "check the token's access to the repository",
                    )),
                    Err(e) => out.push(Check::fail(
                        "label",
                        &format!("{repo}: {label}"),
                        e.to_string(),
                        "check the network",
                    )),
                }
            }
            match self
                .get(&format!("/repos/{repo}/contents/.github/ISSUE_TEMPLATE"), None)
                .await
            {
                Ok(a) if a.status == StatusCode::OK => {
                    let names: Vec<String> = serde_json::from_slice::<Vec<Value>>(&a.body)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|f| f.get("name").and_then(Value::as_str))
                        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
                        .map(str::to_string)
                        .collect();
                    if names.is_empty() {
                        out.push(Check::fail(
                            "issue_forms",
                            repo,
                            ".github/ISSUE_TEMPLATE has no issue forms",
                            "copy config/github-issue-forms/*.yml into .github/ISSUE_TEMPLATE/",
                        ));
                    } else {
                        out.push(Check::pass("issue_forms", repo, names.join(", ")));
                    }
                }
                Ok(_) | Err(_) => out.push(Check::fail(
                    "issue_forms",
                    repo,
                    "no .github/ISSUE_TEMPLATE directory",
                    "copy config/github-issue-forms/*.yml into .github/ISSUE_TEMPLATE/ so items carry the fields recur reads",
                )),
            }
        }
        match self.get("/rate_limit", None).await {
            Ok(a) if a.status == StatusCode::OK => {
                let v: Value = serde_json::from_slice(&a.body).unwrap_or(Value::Null);
                let core = v.pointer("/resources/core").or_else(|| v.get("rate"));
                let n = |k: &str| core.and_then(|c| c.get(k)).and_then(Value::as_i64);
                match (n("remaining"), n("limit")) {
                    (Some(r), Some(l)) if r >= 100 => out.push(Check::pass(
                        "rate_limit",
                        "",
                        format!("{r} of {l} requests left this hour"),
                    )),
                    (Some(r), Some(l)) => out.push(Check::fail(
                        "rate_limit",
                        "",
                        format!("only {r} of {l} requests left this hour"),
                        "wait for the reset, or use a token (or GitHub App) with its own budget",
                    )),
                    _ => out.push(Check::pass("rate_limit", "", "not reported")),
                }
            }
            _ => out.push(Check::pass(
                "rate_limit",
                "",
                "not reported (no /rate_limit)",
            )),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_last_link_gives_the_count() {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::LINK,
            "<https://api.github.com/repositories/1/issues?labels=x&per_page=1&page=2>; rel=\"next\", <https://api.github.com/repositories/1/issues?labels=x&per_page=1&page=37>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(super::last_page(&h), Some(37));
        assert_eq!(super::last_page(&http::HeaderMap::new()), None);
    }
}
