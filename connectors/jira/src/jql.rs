//! The JQL of each listing. Every query is bounded (a project or the
//! configured filter: Jira answers an unbounded JQL with 400) and ordered by
//! `updated ASC, key ASC`, so that the sync loop can page by keyset.
//!
//! Times are written as epoch milliseconds: a `"yyyy-MM-dd HH:mm"` literal
//! has minute resolution and is read in the API user's profile time zone,
//! the bug that lost items in Airbyte, DevLake and singer's tap-jira.

use recur_core::Listing;

/// What a container covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope<'a> {
    /// One project key.
    Project(&'a str),
    /// The configured filter (its own `ORDER BY`, if any, removed).
    Filter(&'a str),
}

/// The order every listing uses.
pub const ORDER: &str = "ORDER BY updated ASC, key ASC";

/// A JQL string literal: double-quoted, with `\` and `"` escaped and
/// control characters written as JQL escapes.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `("a","b")`, each value quoted, duplicates (case-insensitive) and empty
/// values dropped; `None` when nothing is left.
fn quoted_list(values: &[String]) -> Option<String> {
    let mut seen: Vec<String> = Vec::new();
    for v in values {
        let v = v.trim();
        if !v.is_empty() && !seen.iter().any(|s| s.eq_ignore_ascii_case(v)) {
            seen.push(v.to_string());
        }
    }
    if seen.is_empty() {
        return None;
    }
    Some(format!(
        "({})",
        seen.iter().map(|v| quote(v)).collect::<Vec<_>>().join(",")
    ))
}

/// `labels in (…) OR issuetype in (…)`, or `None` when nothing is tracked.
pub fn tracked_clause(labels: &[String], types: &[String]) -> Option<String> {
    let parts: Vec<String> = [
        quoted_list(labels).map(|l| format!("labels in {l}")),
        quoted_list(types).map(|t| format!("issuetype in {t}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(" OR "))
}

/// The configured filter without a trailing `ORDER BY …` (found outside
/// quoted strings and parentheses), trimmed.
pub fn strip_order_by(jql: &str) -> &str {
    let bytes = jql.as_bytes();
    let mut quote: Option<u8> = None;
    let mut depth = 0i32;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'o' | b'O' if depth == 0 && is_order_by(jql, i) => return jql[..i].trim(),
            _ => {}
        }
        i += 1;
    }
    jql.trim()
}

/// True when `ORDER` + whitespace + `BY` starts at byte `i` as whole words.
fn is_order_by(jql: &str, i: usize) -> bool {
    let before_ok = i == 0
        || jql[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_whitespace() || c == ')' || c == '"' || c == '\'');
    let Some(rest) = jql.get(i..) else {
        return false;
    };
    if !before_ok
        || !rest
            .get(..5)
            .is_some_and(|w| w.eq_ignore_ascii_case("order"))
    {
        return false;
    }
    let after = &rest[5..];
    let trimmed = after.trim_start();
    trimmed.len() < after.len()
        && trimmed
            .get(..2)
            .is_some_and(|w| w.eq_ignore_ascii_case("by"))
        && trimmed[2..].chars().next().is_none_or(char::is_whitespace)
}

/// The JQL of a listing.
///
/// | Listing | JQL |
/// |---|---|
/// | `Tracked`, `Keys` | `project = "OPS" AND (labels in ("a","b") OR issuetype in ("Risk")) ORDER BY updated ASC, key ASC` |
/// | `Since{Some(t)}` | `project = "OPS" AND updated >= <t as epoch ms> ORDER BY …` (no label filter: removals must be seen) |
/// | `Since{None}` | `project = "OPS" ORDER BY …` |
/// | `Label{l}` | `project = "OPS" AND labels = "l" ORDER BY …` |
///
/// With a configured filter, `(<filter>)` takes the place of
/// `project = "OPS"`. When nothing is tracked, `Tracked` lists the whole
/// scope (still bounded).
pub fn listing_jql(
    scope: &Scope<'_>,
    listing: &Listing,
    labels: &[String],
    types: &[String],
) -> String {
    let base = match scope {
        Scope::Project(key) => format!("project = {}", quote(key)),
        Scope::Filter(jql) => format!("({})", strip_order_by(jql)),
    };
    let restriction = match listing {
        Listing::Tracked | Listing::Keys => tracked_clause(labels, types).map(|c| format!("({c})")),
        Listing::Since { since } => since.map(|t| format!("updated >= {}", t.timestamp_millis())),
        Listing::Label { label } => Some(format!("labels = {}", quote(label))),
    };
    match restriction {
        Some(r) => format!("{base} AND {r} {ORDER}"),
        None => format!("{base} {ORDER}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn tracked_jql_quotes_labels_and_types() {
        let jql = listing_jql(
            &Scope::Project("OPS"),
            &Listing::Tracked,
            &s(&["postmortem", "incident", "Postmortem", " "]),
            &s(&["Incident", "Risk"]),
        );
        assert_eq!(
            jql,
            r#"project = "OPS" AND (labels in ("postmortem","incident") OR issuetype in ("Incident","Risk")) ORDER BY updated ASC, key ASC"#
        );
        let jql = listing_jql(
            &Scope::Project("A\"B"),
            &Listing::Keys,
            &s(&["say \"hi\"", "back\\slash"]),
            &s(&["Post Mortem Action"]),
        );
        assert_eq!(
            jql,
            r#"project = "A\"B" AND (labels in ("say \"hi\"","back\\slash") OR issuetype in ("Post Mortem Action")) ORDER BY updated ASC, key ASC"#
        );
        assert_eq!(quote("a\nb\u{1}"), r#""a\nb\u0001""#);
        // Only one kind of restriction configured.
        assert_eq!(
            listing_jql(
                &Scope::Project("OPS"),
                &Listing::Tracked,
                &[],
                &s(&["Risk"])
            ),
            r#"project = "OPS" AND (issuetype in ("Risk")) ORDER BY updated ASC, key ASC"#
        );
    }

    #[test]
    fn since_uses_epoch_millis_and_no_label_filter() {
        let t = Utc.with_ymd_and_hms(2022, 12, 8, 10, 22, 18).unwrap()
            + chrono::Duration::milliseconds(889);
        let jql = listing_jql(
            &Scope::Project("OPS"),
            &Listing::Since { since: Some(t) },
            &s(&["postmortem"]),
            &s(&["Risk"]),
        );
        assert_eq!(
            jql,
            r#"project = "OPS" AND updated >= 1670494938889 ORDER BY updated ASC, key ASC"#
        );
        assert!(!jql.contains("labels"));
        assert_eq!(
            listing_jql(
                &Scope::Project("OPS"),
                &Listing::Since { since: None },
                &s(&["x"]),
                &[]
            ),
            r#"project = "OPS" ORDER BY updated ASC, key ASC"#
        );
    }

    #[test]
    fn never_unbounded() {
        let listings = [
            Listing::Tracked,
            Listing::Keys,
            Listing::Since { since: None },
            Listing::Since {
                since: Some(Utc::now()),
            },
            Listing::Label { label: "x".into() },
        ];
        for listing in &listings {
            for (labels, types) in [(s(&[]), s(&[])), (s(&["pm"]), s(&[]))] {
                let p = listing_jql(&Scope::Project("OPS"), listing, &labels, &types);
                assert!(p.starts_with("project = \"OPS\" "), "{p}");
                let f = listing_jql(
                    &Scope::Filter("assignee = currentUser() order by created DESC"),
                    listing,
                    &labels,
                    &types,
                );
                assert!(f.starts_with("(assignee = currentUser()) "), "{f}");
                assert_eq!(f.matches("ORDER BY").count(), 1, "{f}");
                assert!(!f.to_lowercase().contains("created desc"), "{f}");
            }
        }
    }

    #[test]
    fn custom_filter_keeps_quoted_order_by_text() {
        assert_eq!(
            strip_order_by(r#"summary ~ "order by" ORDER BY key"#),
            r#"summary ~ "order by""#
        );
        assert_eq!(strip_order_by("text ~ 'x' order\n by rank"), "text ~ 'x'");
        assert_eq!(strip_order_by("labels = reorder"), "labels = reorder");
        assert_eq!(strip_order_by("labels = border by"), "labels = border by");
        assert_eq!(strip_order_by("(a = 1 order by b)"), "(a = 1 order by b)");
        assert_eq!(strip_order_by("ORDER BY key"), "");
        assert_eq!(
            strip_order_by("summary ~ \"unterminated"),
            "summary ~ \"unterminated"
        );
        assert_eq!(strip_order_by("é = 1 order by x"), "é = 1");
        let jql = listing_jql(
            &Scope::Filter("project in (OPS, SRE) ORDER BY created"),
            &Listing::Tracked,
            &s(&["postmortem"]),
            &[],
        );
        assert_eq!(
            jql,
            r#"(project in (OPS, SRE)) AND (labels in ("postmortem")) ORDER BY updated ASC, key ASC"#
        );
    }
}
