//! Atlassian Document Format, as little as the fake needs: plain text to a
//! document (paragraphs and hard breaks), a document back to plain text (for
//! REST v2, changelog strings and test snapshots), and a few builders for
//! the generated documents.
//!
//! The text rendering is the sandbox's own, not recur's: block nodes end a
//! line, list items start with `- `, mentions and emoji keep their text.

use serde_json::{json, Value};

/// A document from plain text: blank lines separate paragraphs, single
/// newlines become hard breaks. Empty text gives an empty document.
pub(crate) fn from_text(text: &str) -> Value {
    let text = text.replace("\r\n", "\n");
    let content: Vec<Value> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let mut inline = Vec::new();
            for (i, line) in p.split('\n').enumerate() {
                if i > 0 {
                    inline.push(json!({"type": "hardBreak"}));
                }
                if !line.is_empty() {
                    inline.push(text_node(line));
                }
            }
            json!({"type": "paragraph", "content": inline})
        })
        .collect();
    doc(content)
}

pub(crate) fn doc(content: Vec<Value>) -> Value {
    json!({"type": "doc", "version": 1, "content": content})
}

pub(crate) fn text_node(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

pub(crate) fn marked(t: &str, marks: Value) -> Value {
    json!({"type": "text", "text": t, "marks": marks})
}

pub(crate) fn para(inline: Vec<Value>) -> Value {
    json!({"type": "paragraph", "content": inline})
}

pub(crate) fn bullets(items: &[String]) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|t| json!({"type": "listItem", "content": [para(vec![text_node(t)])]}))
        .collect();
    json!({"type": "bulletList", "content": items})
}

/// True for something shaped like an ADF document.
pub(crate) fn is_doc(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("doc")
        && v.get("content").is_some_and(Value::is_array)
}

/// Plain text of a document (or of any node).
pub(crate) fn to_text(v: &Value) -> String {
    let mut out = String::new();
    render(v, &mut out, 0);
    // Trailing newlines from the last block are noise.
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

fn children(v: &Value, out: &mut String, depth: usize) {
    if let Some(items) = v.get("content").and_then(Value::as_array) {
        for c in items {
            render(c, out, depth);
        }
    }
}

fn end_line(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn render(v: &Value, out: &mut String, depth: usize) {
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    let attr = |k: &str| {
        v.get("attrs")
            .and_then(|a| a.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match kind {
        "text" => out.push_str(v.get("text").and_then(Value::as_str).unwrap_or("")),
        "hardBreak" => out.push('\n'),
        "mention" => {
            let t = attr("text");
            out.push_str(if t.is_empty() { "@someone" } else { &t });
        }
        "emoji" => {
            let t = attr("text");
            let t = if t.is_empty() { attr("shortName") } else { t };
            out.push_str(&t);
        }
        "inlineCard" | "blockCard" => out.push_str(&attr("url")),
        "rule" => {
            end_line(out);
            out.push_str("---\n");
        }
        "listItem" => {
            end_line(out);
            out.push_str(&"  ".repeat(depth.saturating_sub(1)));
            out.push_str("- ");
            children(v, out, depth);
            end_line(out);
        }
        "bulletList" | "orderedList" => {
            end_line(out);
            children(v, out, depth + 1);
        }
        "tableCell" | "tableHeader" => {
            children(v, out, depth);
            while out.ends_with('\n') {
                out.pop();
            }
            out.push_str(" | ");
        }
        "tableRow" => {
            end_line(out);
            children(v, out, depth);
            end_line(out);
        }
        "paragraph" | "heading" | "codeBlock" | "blockquote" | "panel" | "table"
        | "mediaSingle" => {
            // A list item's first paragraph stays on the bullet's line.
            if !out.ends_with("- ") {
                end_line(out);
            }
            children(v, out, depth);
            end_line(out);
        }
        _ => children(v, out, depth),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_through_a_document() {
        let d = from_text("First line\nsecond line\n\nNext paragraph");
        assert!(is_doc(&d));
        assert_eq!(to_text(&d), "First line\nsecond line\nNext paragraph");
        assert_eq!(to_text(&from_text("")), "");
        let list = doc(vec![bullets(&["a".into(), "b".into()])]);
        assert_eq!(to_text(&list), "- a\n- b");
    }
}
