//! Text only the Jira generator uses (the rest comes from `crate::seed`):
//! vague summaries, noise labels (near misses included), efforts, themes,
//! level and severity names, and the rich ADF description of the emoji
//! risk.

use serde_json::{json, Value};

pub(super) const VAGUE: [&str; 8] = [
    "Improve monitoring",
    "Look into {svc} flakiness",
    "Follow up on the incident",
    "Make {svc} more reliable",
    "Fix alerts",
    "Investigate",
    "Better runbooks",
    "TBD from postmortem",
];
pub(super) const NOISE_LABELS: [&str; 8] = [
    "frontend",
    "backend",
    "tech-debt",
    "customer-reported",
    "needs-triage",
    "flaky-test",
    "post-mortem-review",
    "incident-review",
];
pub(super) const EFFORTS: [&str; 7] = ["S", "M", "L", "XL", "2d", "1 sprint", "3 points"];
pub(super) const THEMES: [&str; 5] = [
    "observability",
    "resilience",
    "capacity",
    "process",
    "security",
];
pub(super) const LEVELS: [&str; 5] = [
    "1 - Very low",
    "2 - Low",
    "3 - Medium",
    "4 - High",
    "5 - Very high",
];
pub(super) const SEVERITIES: [&str; 4] = ["SEV1", "SEV2", "SEV3", "SEV4"];

/// The description of the emoji risk: every node and mark recur's ADF
/// renderer must handle.
pub(super) fn rich_document() -> Value {
    json!({
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "What goes wrong \u{1f525}"}]},
            {"type": "paragraph", "content": [
                {"type": "text", "text": "Handoff notes written as "},
                {"type": "emoji", "attrs": {"shortName": ":technologist:", "id": "1f9d1-200d-1f4bb", "text": "\u{1f9d1}\u{200d}\u{1f4bb}"}},
                {"type": "text", "text": " are "},
                {"type": "text", "text": "dropped", "marks": [{"type": "strong"}]},
                {"type": "text", "text": " by the "},
                {"type": "text", "text": "pager bridge", "marks": [{"type": "em"}, {"type": "underline"}]},
                {"type": "text", "text": "; see "},
                {"type": "text", "text": "the bridge docs", "marks": [{"type": "link", "attrs": {"href": "https://docs.acme.example/pager-bridge"}}]},
                {"type": "text", "text": " and "},
                {"type": "text", "text": "strip_zwj()", "marks": [{"type": "code"}]},
                {"type": "text", "text": ". "},
                {"type": "text", "text": "Old workaround", "marks": [{"type": "strike"}]},
                {"type": "hardBreak"},
                {"type": "mention", "attrs": {"id": "712020:alice", "text": "@Alice", "accessLevel": ""}},
                {"type": "text", "text": " owns the fix."}
            ]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Pages lost: 3 in May"}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Zero-width joiner: a\u{200d}b"}]}]}
            ]},
            {"type": "orderedList", "attrs": {"order": 1}, "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Normalise the text"}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Retry the page"}]}]}
            ]},
            {"type": "panel", "attrs": {"panelType": "warning"}, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "Happens only on the night shift."}]}
            ]},
            {"type": "codeBlock", "attrs": {"language": "rust"}, "content": [{"type": "text", "text": "let s = s.replace('\\u{200d}', \"\");"}]},
            {"type": "table", "attrs": {"isNumberColumnEnabled": false, "layout": "default"}, "content": [
                {"type": "tableRow", "content": [
                    {"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Shift"}]}]},
                    {"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Lost pages"}]}]}
                ]},
                {"type": "tableRow", "content": [
                    {"type": "tableCell", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "night"}]}]},
                    {"type": "tableCell", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "3"}]}]}
                ]}
            ]},
            {"type": "blockquote", "content": [{"type": "paragraph", "content": [
                {"type": "inlineCard", "attrs": {"url": "https://status.acme.example/incidents/42"}}
            ]}]},
            {"type": "rule"}
        ]
    })
}
