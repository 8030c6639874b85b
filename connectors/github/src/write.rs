//! GitHub write-back: label edits and recur's summary comment, one request
//! per call, through octocrab's raw methods (so the status, headers and
//! body of every answer are ours to read).
//!
//! API facts this relies on (see connectors/BEHAVIOURS.md):
//! - `POST …/issues/{n}/labels` adds (creating unknown labels) and answers
//!   with every label of the issue; an empty list is a 422, so it is never
//!   sent. `DELETE …/labels/{name}` answers with the remaining labels, or
//!   404 when the issue does not carry the label: already done.
//! - comments are edited with `PATCH …/issues/comments/{id}` (octocrab's
//!   own `update_comment` sends POST, which GitHub answers 404).
//! - the risk's Last reviewed lives in the issue-form body: recur reads the
//!   body and PATCHes it back with that one section changed. GitHub has no
//!   conditional PATCH for issues, so the read happens right before the
//!   write to keep the window for a concurrent human edit small.
//! - a transferred issue answers writes with 307/301 and `Location`; a
//!   deleted one with 410. Both come back as [`ConnectorError::NotFound`]
//!   with that status, so the write-back skips the item and says why.

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use http::StatusCode;
use recur_core::{
    render_markdown, set_form_section, CommentPage, ConnectorError, LabelsAfter, RemoteComment,
    Summary, Writer, SUMMARY_MARKER,
};
use serde_json::json;

use crate::transport::{rate_limit, Answer};
use crate::{parse_link_next, split_key, GithubConnector};

/// GitHub's longest label name.
pub const MAX_LABEL_CHARS: usize = 50;

/// Percent-encodes one path segment (a label name in `…/labels/{name}`).
fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl GithubConnector {
    /// Sends one write request with a JSON body (or none).
    async fn write(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ConnectorError> {
        let uri = self.to_request_uri(path)?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(1, Ordering::Relaxed);
        let what = format!("{method} {uri}");
        type Sent<'a> = std::pin::Pin<
            Box<
                dyn std::future::Future<
                        Output = octocrab::Result<
                            http::Response<
                                http_body_util::combinators::BoxBody<bytes::Bytes, octocrab::Error>,
                            >,
                        >,
                    > + Send
                    + 'a,
            >,
        >;
        let octo = self.client().await?;
        let send: Sent<'_> = match method {
            http::Method::POST => Box::pin(octo._post(uri.as_str(), body)),
            http::Method::PATCH => Box::pin(octo._patch(uri.as_str(), body)),
            http::Method::PUT => Box::pin(octo._put(uri.as_str(), body)),
            http::Method::DELETE => Box::pin(octo._delete(uri.as_str(), body)),
            other => {
                return Err(ConnectorError::Http {
                    source_name: self.name(),
                    status: 0,
                    url: path.to_string(),
                    message: format!("{other} is not a write method"),
                })
            }
        };
        self.exchange(&what, send).await
    }

    /// Maps a failed write: moves (3xx) become `NotFound` with that status,
    /// so the caller skips the item like a deleted one.
    fn write_error(&self, path: &str, what: &str, a: &Answer) -> ConnectorError {
        if a.status.is_redirection() {
            let to = a
                .headers
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("an unknown place");
            return ConnectorError::NotFound {
                source_name: self.name(),
                what: what.to_string(),
                status: a.status.as_u16(),
                message: format!("moved (transferred) to {to}"),
            };
        }
        self.error_for(path, what, a)
    }

    fn labels_of(&self, a: &Answer) -> Result<Vec<String>, ConnectorError> {
        #[derive(serde::Deserialize)]
        struct Label {
            name: String,
        }
        let labels: Vec<Label> =
            serde_json::from_slice(&a.body).map_err(|e| ConnectorError::Transient {
                source_name: self.name(),
                status: Some(a.status.as_u16()),
                message: format!("malformed label list: {e}"),
            })?;
        Ok(labels.into_iter().map(|l| l.name).collect())
    }

    fn comment_id_of(&self, a: &Answer) -> Result<String, ConnectorError> {
        #[derive(serde::Deserialize)]
        struct Created {
            id: u64,
        }
        let c: Created =
            serde_json::from_slice(&a.body).map_err(|e| ConnectorError::Transient {
                source_name: self.name(),
                status: Some(a.status.as_u16()),
                message: format!("malformed comment answer: {e}"),
            })?;
        Ok(c.id.to_string())
    }

    fn own_login(&self) -> Option<String> {
        self.login.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl Writer for GithubConnector {
    fn source_name(&self) -> &str {
        &self.cfg.name
    }

    fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn writes_sent(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    fn combined_label_edits(&self) -> bool {
        false
    }

    fn check_label(&self, label: &str) -> Result<(), String> {
        let n = label.chars().count();
        if n == 0 || n > MAX_LABEL_CHARS {
            return Err(format!(
                "GitHub label names are 1 to {MAX_LABEL_CHARS} characters; {label:?} has {n}"
            ));
        }
        if label.chars().any(char::is_control) {
            return Err(format!("label {label:?} contains control characters"));
        }
        Ok(())
    }

    async fn prepare(&self) -> Result<(), ConnectorError> {
        if self.own_login().is_some() {
            return Ok(());
        }
        // A GitHub App writes as `{slug}[bot]`; its installation token
        // cannot call /user.
        if let Some(login) = self.app_login().await {
            let login = login.map_err(|e| ConnectorError::Identity {
                source_name: self.name(),
                message: format!("the GitHub App's identity is unknown: {e}"),
            })?;
            *self.login.lock().unwrap_or_else(|p| p.into_inner()) = Some(login);
            return Ok(());
        }
        if self.cfg.token.is_none() {
            return Ok(());
        }
        let a = self.get("/user", None).await?;
        match a.status {
            StatusCode::OK => {
                #[derive(serde::Deserialize)]
                struct User {
                    login: String,
                }
                let u: User =
                    serde_json::from_slice(&a.body).map_err(|e| ConnectorError::Transient {
                        source_name: self.name(),
                        status: Some(200),
                        message: format!("malformed /user answer: {e}"),
                    })?;
                *self.login.lock().unwrap_or_else(|p| p.into_inner()) = Some(u.login);
                Ok(())
            }
            // Without the token's login, a comment carrying the marker
            // could be anyone's (it is text anyone can type): write-back
            // stops instead of adopting a planted look-alike.
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
                if rate_limit(&a.headers).and_then(|r| r.remaining) != Some(0) =>
            {
                Err(ConnectorError::Identity {
                    source_name: self.name(),
                    message: format!(
                        "GET /user answered {}; give the token read access to its own user (a fine-grained or classic personal token can)",
                        a.status.as_u16()
                    ),
                })
            }
            _ => Err(self.error_for("/user", "the token's user", &a)),
        }
    }

    async fn comments_page(
        &self,
        key: &str,
        cursor: Option<&str>,
    ) -> Result<CommentPage, ConnectorError> {
        let (repo, number) = split_key(&self.cfg.name, key)?;
        let url = match cursor {
            Some(c) => c.to_string(),
            None => format!("/repos/{repo}/issues/{number}/comments?per_page=100"),
        };
        let a = self.get(&url, None).await?;
        if a.status != StatusCode::OK {
            return Err(self.write_error(&url, &format!("issue {key}"), &a));
        }
        #[derive(serde::Deserialize)]
        struct User {
            login: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct Comment {
            id: u64,
            user: Option<User>,
            body: Option<String>,
        }
        let list: Vec<Comment> =
            serde_json::from_slice(&a.body).map_err(|e| ConnectorError::Transient {
                source_name: self.name(),
                status: Some(200),
                message: format!("issue {key}: malformed comment list: {e}"),
            })?;
        let Some(me) = self.own_login() else {
            return Err(ConnectorError::Identity {
                source_name: self.name(),
                message: "the token's login is unknown (Writer::prepare was not called or failed)"
                    .into(),
            });
        };
        let comments = list
            .into_iter()
            .map(|c| {
                let author = c.user.and_then(|u| u.login);
                let marked = c
                    .body
                    .as_deref()
                    .is_some_and(|b| b.trim_start().starts_with(SUMMARY_MARKER));
                // Only a comment the token's own user wrote is recur's.
                let by_me = author
                    .as_deref()
                    .is_some_and(|a| me.eq_ignore_ascii_case(a));
                RemoteComment {
                    id: c.id.to_string(),
                    author,
                    ours: marked && by_me,
                }
            })
            .collect();
        Ok(CommentPage {
            comments,
            next: parse_link_next(&a.headers),
            rate: rate_limit(&a.headers),
        })
    }

    async fn edit_labels(
        &self,
        key: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<LabelsAfter, ConnectorError> {
        let (repo, number) = split_key(&self.cfg.name, key)?;
        let what = format!("issue {key}");
        match (add.is_empty(), remove) {
            (false, []) => {
                let path = format!("/repos/{repo}/issues/{number}/labels");
                let a = self
                    .write(http::Method::POST, &path, Some(&json!({ "labels": add })))
                    .await?;
                if a.status != StatusCode::OK {
                    return Err(self.write_error(&path, &what, &a));
                }
                Ok(Some(self.labels_of(&a)?))
            }
            (true, [one]) => {
                let path = format!("/repos/{repo}/issues/{number}/labels/{}", seg(one));
                let a = self.write(http::Method::DELETE, &path, None).await?;
                match a.status {
                    StatusCode::OK => Ok(Some(self.labels_of(&a)?)),
                    // The issue does not carry the label (any more): done.
                    StatusCode::NOT_FOUND => Ok(None),
                    _ => Err(self.write_error(&path, &what, &a)),
                }
            }
            _ => Err(ConnectorError::Http {
                source_name: self.name(),
                status: 0,
                url: String::new(),
                message: format!(
                    "{key}: GitHub takes additions or one removal per request (asked: +{} -{})",
                    add.len(),
                    remove.len()
                ),
            }),
        }
    }

    async fn set_last_reviewed(&self, key: &str, date: &str) -> Result<(), ConnectorError> {
        let (repo, number) = split_key(&self.cfg.name, key)?;
        let path = format!("/repos/{repo}/issues/{number}");
        let what = format!("issue {key}");
        let a = self.get(&path, None).await?;
        if a.status != StatusCode::OK {
            return Err(self.write_error(&path, &what, &a));
        }
        #[derive(serde::Deserialize)]
        struct Issue {
            body: Option<String>,
        }
        let issue: Issue =
            serde_json::from_slice(&a.body).map_err(|e| ConnectorError::Transient {
                source_name: self.name(),
                status: Some(a.status.as_u16()),
                message: format!("malformed issue answer: {e}"),
            })?;
        let body = issue.body.unwrap_or_default();
        let updated = set_form_section(&body, "Last reviewed", date);
        if updated == body {
            return Ok(());
        }
        let a = self
            .write(
                http::Method::PATCH,
                &path,
                Some(&json!({ "body": updated })),
            )
            .await?;
        if a.status != StatusCode::OK {
            return Err(self.write_error(&path, &what, &a));
        }
        Ok(())
    }

    async fn create_comment(&self, key: &str, summary: &Summary) -> Result<String, ConnectorError> {
        let (repo, number) = split_key(&self.cfg.name, key)?;
        let path = format!("/repos/{repo}/issues/{number}/comments");
        let a = self
            .write(
                http::Method::POST,
                &path,
                Some(&json!({ "body": render_markdown(summary) })),
            )
            .await?;
        if a.status != StatusCode::CREATED && a.status != StatusCode::OK {
            return Err(self.write_error(&path, &format!("issue {key}"), &a));
        }
        self.comment_id_of(&a)
    }

    async fn update_comment(
        &self,
        key: &str,
        id: &str,
        summary: &Summary,
    ) -> Result<(), ConnectorError> {
        let (repo, _) = split_key(&self.cfg.name, key)?;
        let path = format!("/repos/{repo}/issues/comments/{}", seg(id));
        let a = self
            .write(
                http::Method::PATCH,
                &path,
                Some(&json!({ "body": render_markdown(summary) })),
            )
            .await?;
        if a.status != StatusCode::OK {
            return Err(self.write_error(&path, &format!("comment {id} on {key}"), &a));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_segments_are_percent_encoded() {
        assert_eq!(seg("recur:risk-p0"), "recur%3Arisk-p0");
        assert_eq!(seg("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn keys_split_into_repo_and_number() {
        assert_eq!(split_key("gh", "acme/x#12").unwrap(), ("acme/x", 12));
        assert!(split_key("gh", "OPS-1").is_err());
    }
}
