//! Jira write-back: label edits and recur's summary comment, one request
//! per call, through the same reqwest layer as reads.
//!
//! API facts this relies on (see connectors/BEHAVIOURS.md):
//! - labels change with `PUT /issue/{key}` and `update.labels` add/remove
//!   operations (never `fields.labels`, which replaces every label, a
//!   person's too); 204 on success, with no body. Labels may not contain
//!   spaces. `historyMetadata` marks the change as recur's in the issue's
//!   history.
//! - the summary comment is tagged with the comment property
//!   [`SUMMARY_PROPERTY`] when it is created; listing comments with
//!   `expand=properties` shows the tag, so no marker text is needed in the
//!   comment itself. Cloud takes ADF bodies (text nodes: never markup), Data
//!   Center wiki markup, every text escaped (`render_wiki`).
//! - a moved issue answers on its old key (Jira follows it); a deleted one
//!   with 404, which comes back as [`ConnectorError::NotFound`].

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use recur_core::{
    render_wiki, Block, CommentPage, ConnectorError, LabelsAfter, RemoteComment, Summary, Writer,
    SUMMARY_PROPERTY,
};
use reqwest::Method;
use serde_json::{json, Value};

use crate::http::{rate_limit, Answer};
use crate::JiraConnector;

/// Jira's longest label.
const MAX_LABEL_CHARS: usize = 255;

/// Comments asked for per page (Jira caps lower on some sites; the answer's
/// own `maxResults` and `total` drive the paging).
const COMMENTS_PAGE: u64 = 100;

fn text_node(text: &str, em: bool) -> Value {
    let mut node = json!({"type": "text", "text": text});
    if em {
        node["marks"] = json!([{"type": "em"}]);
    }
    node
}

/// Plain text without control characters (ADF text nodes take any
/// Unicode, but never an empty string).
fn clean(t: &str) -> String {
    t.chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect()
}

/// The summary as an ADF document (Jira Cloud).
pub fn render_adf(summary: &Summary) -> Value {
    let para = |t: &str, em: bool| -> Option<Value> {
        let t = clean(t);
        (!t.trim().is_empty()).then(|| json!({"type": "paragraph", "content": [text_node(&t, em)]}))
    };
    let mut content = Vec::new();
    for block in &summary.blocks {
        match block {
            Block::Heading(t) => {
                let t = clean(t);
                if !t.trim().is_empty() {
                    content.push(json!({
                        "type": "heading", "attrs": {"level": 3},
                        "content": [text_node(&t, false)]
                    }));
                }
            }
            Block::Paragraph(t) => content.extend(para(t, false)),
            Block::Footer(t) => {
                content.push(json!({"type": "rule"}));
                content.extend(para(t, true));
            }
            Block::Bullets(lines) => {
                let items: Vec<Value> = lines
                    .iter()
                    .filter_map(|l| para(l, false))
                    .map(|p| json!({"type": "listItem", "content": [p]}))
                    .collect();
                if !items.is_empty() {
                    content.push(json!({"type": "bulletList", "content": items}));
                }
            }
        }
    }
    json!({"type": "doc", "version": 1, "content": content})
}

impl JiraConnector {
    fn comment_body(&self, summary: &Summary) -> Value {
        if self.cfg.datacenter {
            Value::String(render_wiki(summary))
        } else {
            render_adf(summary)
        }
    }

    fn tag(summary: &Summary) -> Value {
        json!({"version": 1, "fingerprint": summary.fingerprint})
    }

    async fn send_write(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<Answer, ConnectorError> {
        let url = self.endpoint(path)?;
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.send(method, url, Some(body)).await
    }
}

/// Marks an edit as recur's in the history (Jira shows the actor
/// and description; people can tell recur's edits from their own).
fn history_metadata(description: &str) -> Value {
    json!({
        "type": "recur:writeback",
        "description": description,
        "actor": {"id": "recur", "displayName": "recur", "type": "application"}
    })
}

#[async_trait]
impl Writer for JiraConnector {
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
        true
    }

    fn check_label(&self, label: &str) -> Result<(), String> {
        let n = label.chars().count();
        if n == 0 || n > MAX_LABEL_CHARS {
            return Err(format!(
                "Jira labels are 1 to {MAX_LABEL_CHARS} characters; {label:?} has {n}"
            ));
        }
        if label.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("Jira labels may not contain spaces: {label:?}"));
        }
        Ok(())
    }

    async fn prepare(&self) -> Result<(), ConnectorError> {
        // The comment property marks recur's summary, but anyone who can
        // comment can set a property: only a comment written by the
        // token's own identity is recur's. Learn it once.
        if self.me.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
            return Ok(());
        }
        let url = self.endpoint("/myself")?;
        let a = self.send(Method::GET, url.clone(), None).await?;
        if a.status != 200 {
            let e = self.error_for(url.as_str(), "the token's user".to_string(), &a);
            return Err(match e {
                ConnectorError::RateLimited { .. }
                | ConnectorError::Transient { .. }
                | ConnectorError::Unauthorized { .. } => e,
                other => ConnectorError::Identity {
                    source_name: self.name(),
                    message: format!("GET /myself failed: {other}"),
                },
            });
        }
        let v = self.parse_json("the token's user", &a)?;
        let id = v
            .get("accountId")
            .or_else(|| v.get("name"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ConnectorError::Identity {
                source_name: self.name(),
                message: "GET /myself named no accountId or name".into(),
            })?;
        *self.me.lock().unwrap_or_else(|p| p.into_inner()) = Some(id.to_string());
        Ok(())
    }

    async fn comments_page(
        &self,
        key: &str,
        cursor: Option<&str>,
    ) -> Result<CommentPage, ConnectorError> {
        let start: u64 = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let mut url = self.endpoint(&format!("/issue/{key}/comment"))?;
        url.query_pairs_mut()
            .append_pair("startAt", &start.to_string())
            .append_pair("maxResults", &COMMENTS_PAGE.to_string())
            .append_pair("expand", "properties");
        let a = self.send(Method::GET, url.clone(), None).await?;
        if a.status != 200 {
            return Err(self.error_for(url.as_str(), format!("issue {key}"), &a));
        }
        let v = self.parse_json(&format!("comments of {key}"), &a)?;
        let list = v.get("comments").and_then(Value::as_array).ok_or_else(|| {
            ConnectorError::Transient {
                source_name: self.name(),
                status: Some(200),
                message: format!("comments of {key}: no `comments` array"),
            }
        })?;
        let me = self
            .me
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| ConnectorError::Identity {
                source_name: self.name(),
                message:
                    "the token's identity is unknown (Writer::prepare was not called or failed)"
                        .into(),
            })?;
        let comments: Vec<RemoteComment> = list
            .iter()
            .filter_map(|c| {
                let id = match c.get("id")? {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                let author = c.get("author").and_then(|a| {
                    a.get("accountId")
                        .or_else(|| a.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
                let tagged = c
                    .get("properties")
                    .and_then(Value::as_array)
                    .is_some_and(|ps| {
                        ps.iter()
                            .any(|p| p.get("key").and_then(Value::as_str) == Some(SUMMARY_PROPERTY))
                    });
                // Tagged and written by the token's own identity.
                let ours = tagged && author.as_deref() == Some(me.as_str());
                Some(RemoteComment { id, author, ours })
            })
            .collect();
        let total = v.get("total").and_then(Value::as_u64);
        let returned = list.len() as u64;
        let next_start = start + returned;
        let more = match total {
            Some(t) => next_start < t && returned > 0,
            None => returned >= COMMENTS_PAGE,
        };
        Ok(CommentPage {
            comments,
            next: more.then(|| next_start.to_string()),
            rate: rate_limit(&a.headers),
        })
    }

    async fn edit_labels(
        &self,
        key: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<LabelsAfter, ConnectorError> {
        let mut ops: Vec<Value> = add.iter().map(|l| json!({"add": l})).collect();
        ops.extend(remove.iter().map(|l| json!({"remove": l})));
        if ops.is_empty() {
            return Ok(None);
        }
        let body = json!({
            "update": {"labels": ops},
            "historyMetadata": history_metadata("recur write-back")
        });
        let path = format!("/issue/{key}");
        let a = self.send_write(Method::PUT, &path, &body).await?;
        if a.status != 204 && a.status != 200 {
            return Err(self.error_for(&path, format!("issue {key}"), &a));
        }
        Ok(None)
    }

    async fn set_last_reviewed(&self, key: &str, date: &str) -> Result<(), ConnectorError> {
        let map = self.fields().await?;
        let Some(field) = map
            .by_heading
            .iter()
            .find(|(h, _)| h == "Last reviewed")
            .map(|(_, id)| id.clone())
        else {
            return Err(ConnectorError::Http {
                source_name: self.name(),
                status: 0,
                url: String::new(),
                message: "no Jira field is named \"Last reviewed\": create one, or map one with \
                          [sources.NAME.fields] last_reviewed_at"
                    .into(),
            });
        };
        let body = json!({
            "fields": { field: date },
            "historyMetadata": history_metadata("recur write-back: review recorded")
        });
        let path = format!("/issue/{key}");
        let a = self.send_write(Method::PUT, &path, &body).await?;
        if a.status != 204 && a.status != 200 {
            return Err(self.error_for(&path, format!("issue {key}"), &a));
        }
        Ok(())
    }

    async fn create_comment(&self, key: &str, summary: &Summary) -> Result<String, ConnectorError> {
        let body = json!({
            "body": self.comment_body(summary),
            "properties": [{"key": SUMMARY_PROPERTY, "value": Self::tag(summary)}]
        });
        let path = format!("/issue/{key}/comment");
        let a = self.send_write(Method::POST, &path, &body).await?;
        if a.status != 201 && a.status != 200 {
            return Err(self.error_for(&path, format!("issue {key}"), &a));
        }
        let v = self.parse_json(&format!("new comment on {key}"), &a)?;
        match v.get("id") {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(ConnectorError::Transient {
                source_name: self.name(),
                status: Some(a.status),
                message: format!("new comment on {key}: the answer has no id"),
            }),
        }
    }

    async fn update_comment(
        &self,
        key: &str,
        id: &str,
        summary: &Summary,
    ) -> Result<(), ConnectorError> {
        let body = json!({
            "body": self.comment_body(summary),
            "properties": [{"key": SUMMARY_PROPERTY, "value": Self::tag(summary)}]
        });
        let path = format!("/issue/{key}/comment/{id}");
        let a = self.send_write(Method::PUT, &path, &body).await?;
        if a.status != 200 && a.status != 204 {
            return Err(self.error_for(&path, format!("comment {id} on {key}"), &a));
        }
        Ok(())
    }
}

#[cfg(test)]
mod write_tests {
    use super::*;

    #[test]
    fn adf_has_no_empty_text_nodes_and_keeps_text_plain() {
        let doc = render_adf(&Summary {
            blocks: vec![
                Block::Heading("recur summary".into()),
                Block::Paragraph("".into()),
                Block::Bullets(vec!["a\u{0}b".into(), " ".into()]),
                Block::Footer("Written by recur.".into()),
            ],
            fingerprint: "x".into(),
        });
        let s = doc.to_string();
        assert!(!s.contains("\"text\":\"\""), "{s}");
        assert!(s.contains("\"text\":\"ab\""), "{s}");
        assert_eq!(doc["content"][1]["type"], "bulletList");
        assert_eq!(doc["content"][1]["content"].as_array().unwrap().len(), 1);
    }
}
