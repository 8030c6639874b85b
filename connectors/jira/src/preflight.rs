//! `recur check` for a Jira source: the token and whose it is
//! (`GET /myself`), the projects (`GET /project`), the field map (`GET
//! /field`: which of recur's headings matched a field, which did not), and
//! with write-back the permissions to edit and comment (`GET
//! /mypermissions`). Nothing is written.

use recur_core::Check;
use reqwest::Method;
use serde_json::Value;

use crate::JiraConnector;

impl JiraConnector {
    async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> Result<(u16, Value), String> {
        let mut url = self.endpoint(path).map_err(|e| e.to_string())?;
        for (k, v) in query {
            url.query_pairs_mut().append_pair(k, v);
        }
        let a = self
            .send(Method::GET, url, None)
            .await
            .map_err(|e| e.to_string())?;
        Ok((
            a.status,
            serde_json::from_slice(&a.body).unwrap_or(Value::Null),
        ))
    }

    pub(crate) async fn preflight_checks(&self, writes: bool) -> Vec<Check> {
        let mut out = Vec::new();
        match self.get_json("/myself", &[]).await {
            Ok((200, v)) => {
                let who = ["displayName", "name", "accountId"]
                    .iter()
                    .find_map(|k| v.get(*k).and_then(Value::as_str))
                    .unwrap_or("an unknown user");
                out.push(Check::pass("token", "", format!("accepted; acts as {who}")));
            }
            Ok((status, _)) => {
                out.push(Check::fail(
                    "token",
                    "",
                    format!("refused (HTTP {status})"),
                    if self.cfg.datacenter {
                        "create a personal access token and set it as token or token_file"
                    } else {
                        "create an API token for the email set here and set it as token or token_file"
                    },
                ));
                return out;
            }
            Err(e) => {
                out.push(Check::fail(
                    "token",
                    "",
                    format!("Jira did not answer: {e}"),
                    "check api_url and the network (proxy, firewall)",
                ));
                return out;
            }
        }
        match self.get_json("/project", &[]).await {
            Ok((200, Value::Array(list))) => {
                let keys: Vec<&str> = list
                    .iter()
                    .filter_map(|p| p.get("key").and_then(Value::as_str))
                    .collect();
                for p in &self.cfg.projects {
                    if keys.iter().any(|k| k.eq_ignore_ascii_case(p)) {
                        out.push(Check::pass("container", p, "reachable"));
                    } else {
                        out.push(Check::fail(
                            "container",
                            p,
                            "not among the projects this token can see",
                            "check the key, and the token user's browse permission",
                        ));
                    }
                }
            }
            Ok((status, _)) => out.push(Check::fail(
                "container",
                "",
                format!("the project list answered HTTP {status}"),
                "check the token user's permissions",
            )),
            Err(e) => out.push(Check::fail("container", "", e, "check the network")),
        }
        match self.load_fields().await {
            Ok(map) => {
                let mapped: Vec<&str> = map.by_heading.iter().map(|(h, _)| h.as_str()).collect();
                let missing: Vec<&str> = crate::fields::HEADINGS
                    .iter()
                    .copied()
                    .filter(|h| !mapped.contains(h))
                    .collect();
                let detail = if missing.is_empty() {
                    format!("all {} fields mapped by name", mapped.len())
                } else {
                    format!(
                        "{} mapped; no field named {} (those values stay empty unless mapped in [sources.NAME.fields])",
                        mapped.len(),
                        missing.join(", ")
                    )
                };
                out.push(Check::pass("fields", "", detail));
            }
            Err(e) => out.push(Check::fail(
                "fields",
                "",
                e.to_string(),
                "fix the [sources.NAME.fields] overrides",
            )),
        }
        if writes {
            for p in &self.cfg.projects {
                match self
                    .get_json(
                        "/mypermissions",
                        &[
                            ("projectKey", p),
                            ("permissions", "EDIT_ISSUES,ADD_COMMENTS"),
                        ],
                    )
                    .await
                {
                    Ok((200, v)) => {
                        let has = |k: &str| {
                            v.pointer(&format!("/permissions/{k}/havePermission"))
                                .and_then(Value::as_bool)
                                .unwrap_or(false)
                        };
                        if has("EDIT_ISSUES") && has("ADD_COMMENTS") {
                            out.push(Check::pass(
                                "write_access",
                                p,
                                "may edit issues and comment",
                            ));
                        } else {
                            out.push(Check::fail(
                                "write_access",
                                p,
                                "the token user may not edit issues or comment",
                                "grant Edit Issues and Add Comments in the project's permission scheme, or turn write-back off",
                            ));
                        }
                    }
                    Ok((status, _)) => out.push(Check::fail(
                        "write_access",
                        p,
                        format!("mypermissions answered HTTP {status}"),
                        "check the token user's permissions",
                    )),
                    Err(e) => out.push(Check::fail("write_access", p, e, "check the network")),
                }
            }
        }
        out
    }
}
