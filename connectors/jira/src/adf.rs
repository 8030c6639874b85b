//! Atlassian Document Format (ADF) to plain text. Jira Cloud sends
//! descriptions, comments and rich-text custom fields as ADF trees; recur
//! stores and parses plain text, Markdown-flavoured where that keeps the
//! structure (`- ` bullets, `1. ` numbers, `### ` headings, fenced code), so
//! that a description written from a postmortem template still splits into
//! sections like a GitHub issue form.
//!
//! Never panics on any JSON: unknown nodes render their children, missing
//! attributes render nothing, and recursion stops at [`MAX_DEPTH`].

use serde_json::Value;

/// Nesting deeper than this is not rendered (real documents stay far below;
/// a hostile one must not blow the stack).
const MAX_DEPTH: usize = 48;

/// Renders an ADF document (or any ADF node) as plain text.
///
/// - paragraphs and other blocks are separated by a blank line;
/// - headings become `#`×level + space + text (`### Owner`);
/// - bullet lists `- `, ordered lists `1. ` (from `attrs.order`), nested
///   lists indented under their item, task items `- [ ] ` / `- [x] `;
/// - code blocks are fenced with ```` ``` ```` and the language;
/// - blockquotes prefix each line with `> `;
/// - tables render one row per line, cells separated by ` | `;
/// - text keeps its characters and drops its marks (bold, links, …);
/// - `hardBreak` is a line break, `rule` is `---`;
/// - mentions render `@name` (`attrs.text`), emoji `attrs.text` (else the
///   short name), inline/block cards their URL, status lozenges their text,
///   dates (`attrs.timestamp`, epoch ms) as `YYYY-MM-DD`;
/// - media and extensions render nothing; any other node renders its
///   children.
///
/// A JSON string is returned as it is (Data Center sends plain strings).
pub fn adf_to_text(node: &Value) -> String {
    match node {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        _ => tidy(&block(node, 0)),
    }
}

/// Trims trailing spaces of each line and surrounding blank lines.
fn tidy(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
    lines.join("\n").trim_matches('\n').to_string()
}

fn node_type(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
}

fn children(node: &Value) -> &[Value] {
    node.get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn attr<'a>(node: &'a Value, name: &str) -> Option<&'a Value> {
    node.get("attrs")?.get(name)
}

fn attr_str<'a>(node: &'a Value, name: &str) -> Option<&'a str> {
    attr(node, name)?.as_str().filter(|s| !s.is_empty())
}

/// Inline node types: rendered into the running line of a paragraph.
fn is_inline(node: &Value) -> bool {
    matches!(
        node_type(node),
        "text"
            | "hardBreak"
            | "mention"
            | "emoji"
            | "inlineCard"
            | "status"
            | "date"
            | "placeholder"
            | "inlineExtension"
            | "mediaInline"
    ) || !node.is_object()
}

/// Renders a sequence of nodes in block context: consecutive inline nodes
/// form one paragraph; blocks are joined by `sep`.
fn blocks(nodes: &[Value], depth: usize, sep: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run = String::new();
    for n in nodes {
        if is_inline(n) {
            run.push_str(&inline(n, depth + 1));
            continue;
        }
        if !run.trim().is_empty() {
            out.push(run.trim_end_matches('\n').to_string());
        }
        run.clear();
        let b = block(n, depth + 1);
        if !b.trim().is_empty() {
            out.push(b);
        }
    }
    if !run.trim().is_empty() {
        out.push(run.trim_end_matches('\n').to_string());
    }
    out.join(sep)
}

fn inlines(nodes: &[Value], depth: usize) -> String {
    nodes.iter().map(|n| inline(n, depth + 1)).collect()
}

fn block(node: &Value, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return String::new();
    }
    let kids = children(node);
    match node_type(node) {
        "paragraph" => inlines(kids, depth).trim_end_matches('\n').to_string(),
        "heading" => {
            let level = attr(node, "level")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 6) as usize;
            let text = inlines(kids, depth);
            format!("{} {}", "#".repeat(level), text.trim())
        }
        "bulletList" => list(kids, depth, None),
        "orderedList" => {
            let start = attr(node, "order").and_then(Value::as_u64).unwrap_or(1);
            list(kids, depth, Some(start))
        }
        "taskList" | "decisionList" => list(kids, depth, None),
        "listItem" | "taskItem" | "decisionItem" => blocks(kids, depth, "\n"),
        "codeBlock" => {
            let lang = attr_str(node, "language").unwrap_or("");
            let code: String = kids
                .iter()
                .filter_map(|k| k.get("text").and_then(Value::as_str))
                .collect();
            format!("```{lang}\n{}\n```", code.trim_end_matches('\n'))
        }
        "blockquote" => blocks(kids, depth, "\n\n")
            .lines()
            .map(|l| {
                if l.is_empty() {
                    ">".to_string()
                } else {
                    format!("> {l}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        "rule" => "---".to_string(),
        "table" => kids
            .iter()
            .map(|row| table_row(row, depth + 1))
            .filter(|r| !r.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        "tableRow" => table_row(node, depth),
        "mediaSingle" | "mediaGroup" | "media" | "extension" | "bodiedExtension" => {
            // Attachments and macros carry no text of their own; a bodied
            // extension's body still does.
            blocks(kids, depth, "\n\n")
        }
        "blockCard" | "embedCard" => attr_str(node, "url").unwrap_or("").to_string(),
        _ => {
            if is_inline(node) {
                inline(node, depth)
            } else {
                blocks(kids, depth, "\n\n")
            }
        }
    }
}

/// A list: each item's first line carries the marker, later lines are
/// indented under it.
fn list(items: &[Value], depth: usize, ordered_from: Option<u64>) -> String {
    let mut lines: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let marker = match (ordered_from, node_type(item)) {
            (Some(start), _) => format!("{}. ", start.saturating_add(i as u64)),
            (None, "taskItem") => {
                if attr_str(item, "state").is_some_and(|s| s.eq_ignore_ascii_case("DONE")) {
                    "- [x] ".to_string()
                } else {
                    "- [ ] ".to_string()
                }
            }
            _ => "- ".to_string(),
        };
        let body = if is_inline(item) {
            inline(item, depth + 1)
        } else {
            block(item, depth + 1)
        };
        let indent = " ".repeat(marker.len());
        let mut first = true;
        for line in body.lines() {
            if first {
                lines.push(format!("{marker}{line}"));
                first = false;
            } else if line.is_empty() {
                lines.push(String::new());
            } else {
                lines.push(format!("{indent}{line}"));
            }
        }
        if first {
            lines.push(marker.trim_end().to_string());
        }
    }
    lines.join("\n")
}

fn table_row(row: &Value, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return String::new();
    }
    children(row)
        .iter()
        .map(|cell| {
            let text = blocks(children(cell), depth + 1, " ");
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn inline(node: &Value, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return String::new();
    }
    match node_type(node) {
        "text" => node
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        "hardBreak" => "\n".to_string(),
        "mention" => {
            let name = attr_str(node, "text")
                .or_else(|| attr_str(node, "id"))
                .unwrap_or("");
            if name.is_empty() || name.starts_with('@') {
                name.to_string()
            } else {
                format!("@{name}")
            }
        }
        "emoji" => attr_str(node, "text")
            .or_else(|| attr_str(node, "shortName"))
            .unwrap_or("")
            .to_string(),
        "inlineCard" => attr_str(node, "url")
            .map(str::to_string)
            .or_else(|| {
                attr(node, "data")
                    .and_then(|d| d.get("url"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default(),
        "status" => attr_str(node, "text").unwrap_or("").to_string(),
        "date" => attr(node, "timestamp")
            .and_then(|t| match t {
                Value::String(s) => s.trim().parse::<i64>().ok(),
                Value::Number(n) => n.as_i64(),
                _ => None,
            })
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        "placeholder" | "inlineExtension" | "mediaInline" => String::new(),
        _ => match node {
            Value::String(s) => s.clone(),
            Value::Object(_) => {
                if let Some(t) = node.get("text").and_then(Value::as_str) {
                    t.to_string()
                } else {
                    let kids = children(node);
                    if kids.iter().all(is_inline) {
                        inlines(kids, depth)
                    } else {
                        blocks(kids, depth, " ")
                    }
                }
            }
            _ => String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

    fn fixture(name: &str) -> Value {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{name}"))
            .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
        serde_json::from_str(&text).expect("fixture is JSON")
    }

    #[test]
    fn renders_the_jira_cli_rich_document() {
        let text = adf_to_text(&fixture("adf.rich-document.jira-cli.json"));
        let expected_fragments = [
            "# H1\n\n## H2\n\n1. Some text\n2. Some more text",
            "> Blockquote text",
            "Inline Nodehttps://antiklabs.atlassian.net/wiki/spaces/ANK/pages/124234/hello-world",
            "Panel paragraph",
            "@Person A",
            "Strong Paragraph 1\n\nParagraph 2",
            "Bold Text\n\nItalic Text",
            "Link",
            "- Prefix: Unordered list item 1\n  - Next\n    - Another\n      - New level\n- Unordered list item 2\n- Unordered list item 3",
            "1. Ordered list item 1\n2. Ordered list item 2\n3. Ordered list item 3\n   1. nested\n      1. second level",
            "Table Header 1 | Table Header 2 | Table Header 3\nTable row 1 column 1 | Table row 1 column 2 | Table row 1 column 3",
            "```go\npackage main\n\nimport (\n\t\"fmt\"\n)\n\nfunc main() {\n\tfmt.Println(\"Hello, World!\")\n}\n```",
        ];
        for frag in expected_fragments {
            assert!(text.contains(frag), "missing {frag:?} in:\n{text}");
        }
        // Marks are dropped: no Markdown emphasis, no link targets.
        assert!(!text.contains("**"), "{text}");
        assert!(!text.contains("https://ankit.pl"), "{text}");
        assert!(text.starts_with("# H1"));
        assert!(!text.ends_with('\n'));
    }

    #[test]
    fn renders_marks_mentions_emoji_and_inline_nodes() {
        let doc = json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [
                {"type": "text", "text": "Fix ", "marks": [{"type": "strong"}]},
                {"type": "text", "text": "it", "marks": [{"type": "em"}, {"type": "link", "attrs": {"href": "https://x"}}]},
                {"type": "text", "text": " now "},
                {"type": "emoji", "attrs": {"shortName": ":fire:", "text": "🔥"}},
                {"type": "emoji", "attrs": {"shortName": ":smile:"}},
                {"type": "text", "text": " cc "},
                {"type": "mention", "attrs": {"id": "abc", "text": "Dana"}},
                {"type": "hardBreak"},
                {"type": "status", "attrs": {"text": "IN REVIEW", "color": "blue"}},
                {"type": "text", "text": " by "},
                {"type": "date", "attrs": {"timestamp": "1740873600000"}}
            ]},
            {"type": "rule"},
            {"type": "taskList", "content": [
                {"type": "taskItem", "attrs": {"state": "DONE"}, "content": [{"type": "text", "text": "page"}]},
                {"type": "taskItem", "attrs": {"state": "TODO"}, "content": [{"type": "text", "text": "runbook"}]}
            ]},
            {"type": "orderedList", "attrs": {"order": 3}, "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "third"}]}]}
            ]},
            {"type": "someFutureNode", "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "inside unknown"}]}
            ]},
            {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "x", "type": "file"}}]}
        ]});
        assert_eq!(
            adf_to_text(&doc),
            "Fix it now 🔥:smile: cc @Dana\nIN REVIEW by 2025-03-02\n\n---\n\n- [x] page\n- [ ] runbook\n\n3. third\n\ninside unknown"
        );
    }

    #[test]
    fn headings_make_form_sections() {
        let doc = json!({"type": "doc", "version": 1, "content": [
            {"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": "Owner"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "@alice"}]},
            {"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": "Target date"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "2025-03-02"}]}
        ]});
        let sections = recur_core::normalize::parse_form_body(&adf_to_text(&doc));
        assert_eq!(sections.get("Owner").map(String::as_str), Some("@alice"));
        assert_eq!(
            sections.get("Target date").map(String::as_str),
            Some("2025-03-02")
        );
    }

    #[test]
    fn strings_and_odd_values_do_not_panic() {
        assert_eq!(
            adf_to_text(&json!("plain *wiki* text")),
            "plain *wiki* text"
        );
        assert_eq!(adf_to_text(&Value::Null), "");
        assert_eq!(adf_to_text(&json!(42)), "");
        assert_eq!(adf_to_text(&json!({"type": "doc"})), "");
        assert_eq!(adf_to_text(&json!({"type": "doc", "content": "nope"})), "");
        assert_eq!(
            adf_to_text(
                &json!({"type": "doc", "content": [{"type": "paragraph", "content": [1, null, {"type": "text"}]}]})
            ),
            ""
        );
        assert_eq!(
            adf_to_text(
                &json!({"type": "heading", "attrs": {"level": 99}, "content": [{"type": "text", "text": "x"}]})
            ),
            "###### x"
        );
    }

    #[test]
    fn deep_nesting_is_cut_off_not_overflowed() {
        // Deeper than MAX_DEPTH and than serde_json's parse limit (128), so
        // deeper than any document that can arrive over the wire.
        let mut node = json!({"type": "text", "text": "bottom"});
        for _ in 0..200 {
            node = json!({"type": "blockquote", "content": [node]});
        }
        let text = adf_to_text(&json!({"type": "doc", "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "top"}]},
            node
        ]}));
        assert!(text.starts_with("top"), "{text:.80}");
        assert!(!text.contains("bottom"));
    }
}
