//! Jira custom fields by name: which field id carries each postmortem
//! heading (`Target date` → `customfield_10042`), built from
//! `GET /rest/api/{2,3}/field` plus the configured overrides, and how a
//! field's JSON value is rendered to the plain text of a section.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::adf::adf_to_text;

/// The section headings recur reads (see `recur_core::normalize`), in the
/// order problems are reported.
pub const HEADINGS: &[&str] = &[
    "Incident",
    "Risk",
    "Type",
    "Service",
    "Team",
    "Owner",
    "Priority",
    "Target date",
    "Risk rationale",
    "Expected outcome",
    "Evidence of completion",
    "Blocked by",
    "Effort",
    "Theme",
    "Impact",
    "Scope",
    "Likelihood",
    "Time to detect (minutes)",
    "Time to repair (minutes)",
    "Users affected (%)",
    "Occurrences per year",
    "Days between failures",
    "Status",
    "Last reviewed",
    "SLO",
    "Started at",
    "Resolved at",
    "Severity",
];

/// System fields used for a heading when no custom field has its name.
///
/// Deliberately short: `Status`, `Owner`, `Target date` and `Type` are *not*
/// filled from the system `status`, `assignee`, `duedate` and `issuetype`,
/// because recur already reads those as fallbacks (tracker status, assignee,
/// due date) and a section would override them (an explicit `Status`
/// section wins over the status derived from the resolution).
const BUILTIN_FALLBACKS: &[(&str, &str)] =
    &[("Priority", "priority"), ("Resolved at", "resolutiondate")];

/// Record-field names (`normalize::Fields`) accepted as override keys, in
/// addition to each heading in snake_case (`target_date`, `blocked_by`).
const FIELD_ALIASES: &[(&str, &str)] = &[
    ("incident_ref", "Incident"),
    ("risk_ref", "Risk"),
    ("item_type", "Type"),
    ("evidence", "Evidence of completion"),
    ("ttd_minutes", "Time to detect (minutes)"),
    ("ttr_minutes", "Time to repair (minutes)"),
    ("users_pct", "Users affected (%)"),
    ("last_reviewed_at", "Last reviewed"),
];

/// `Time to detect (minutes)` → `time_to_detect_minutes`.
pub fn snake_case(heading: &str) -> String {
    let mut out = String::new();
    for c in heading.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// The heading an override key names: a heading's snake_case, a record
/// field name, or the heading itself (case-insensitive).
pub fn heading_for_key(key: &str) -> Option<&'static str> {
    let k = snake_case(key);
    HEADINGS
        .iter()
        .copied()
        .find(|h| snake_case(h) == k)
        .or_else(|| FIELD_ALIASES.iter().find(|(a, _)| *a == k).map(|(_, h)| *h))
}

/// Every accepted override key, for error messages.
pub fn override_keys() -> Vec<String> {
    let mut keys: Vec<String> = HEADINGS.iter().map(|h| snake_case(h)).collect();
    keys.extend(FIELD_ALIASES.iter().map(|(a, _)| a.to_string()));
    keys
}

/// One entry of `GET /field`.
#[derive(Debug, Deserialize)]
struct JiraField {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    custom: bool,
}

impl JiraField {
    fn is_custom(&self) -> bool {
        self.custom || self.id.starts_with("customfield_")
    }
}

/// Heading → Jira field id, for one Jira site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMap {
    /// (heading, field id), in [`HEADINGS`] order.
    pub by_heading: Vec<(String, String)>,
}

impl FieldMap {
    /// Whether some heading is read from the field `id`.
    pub fn reads(&self, id: &str) -> bool {
        self.by_heading.iter().any(|(_, i)| i == id)
    }

    /// The field ids to ask for, each once.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for (_, id) in &self.by_heading {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }

    /// Renders each mapped field of `fields` into a section.
    pub fn sections(&self, fields: &serde_json::Map<String, Value>) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (heading, id) in &self.by_heading {
            if let Some(text) = fields.get(id).and_then(render_value) {
                out.insert(heading.clone(), text);
            }
        }
        out
    }
}

/// A field id as Jira writes them: `customfield_10042` or a system id
/// (`duedate`, `components`).
fn looks_like_id(s: &str) -> bool {
    s.strip_prefix("customfield_")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Why a field map could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldMapError {
    /// The answer was not a field list (retryable: a proxy page, a cut body).
    Unreadable(String),
    /// A configured override names no field (a configuration error).
    BadOverride(String),
}

/// Builds the map from a `GET /field` body.
///
/// For each heading: the configured override (a field id, or a field name,
/// custom fields first); else the custom field whose name equals the heading
/// (case-insensitive; the first listed wins, a duplicate is logged); else
/// the built-in fallback. An override that names no field is an error: a
/// typo must not silently leave a section empty.
pub fn build_field_map(
    body: &[u8],
    overrides: &[(String, String)],
) -> Result<FieldMap, FieldMapError> {
    let entries: Vec<serde_json::Value> = serde_json::from_slice(body).map_err(|e| {
        FieldMapError::Unreadable(format!("the field list is not a JSON array: {e}"))
    })?;
    // One odd entry must not lose the whole map.
    let fields: Vec<JiraField> = entries
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    let by_name = |name: &str, custom_only: bool| -> Vec<&JiraField> {
        let wanted = name.trim().to_lowercase();
        let mut hits: Vec<&JiraField> = fields
            .iter()
            .filter(|f| {
                f.name
                    .as_deref()
                    .is_some_and(|n| n.trim().to_lowercase() == wanted)
            })
            .filter(|f| !custom_only || f.is_custom())
            .collect();
        // Custom fields first, keeping Jira's order within each group.
        hits.sort_by_key(|f| !f.is_custom());
        hits
    };
    let mut map = FieldMap::default();
    for heading in HEADINGS {
        let overridden = overrides
            .iter()
            .find(|(h, _)| h == heading)
            .map(|(_, t)| t.as_str());
        let id = if let Some(target) = overridden {
            let target = target.trim();
            if let Some(f) = fields.iter().find(|f| f.id.eq_ignore_ascii_case(target)) {
                f.id.clone()
            } else if let Some(f) = by_name(target, false).first() {
                f.id.clone()
            } else if looks_like_id(target) {
                // Not in the list (permissions, a trimmed list): trust the id.
                target.to_string()
            } else {
                return Err(FieldMapError::BadOverride(format!(
                    "field override {:?} = {target:?} names no Jira field (neither an id nor a field name)",
                    snake_case(heading)
                )));
            }
        } else {
            let hits = by_name(heading, true);
            if hits.len() > 1 {
                tracing::warn!(heading = %heading, chosen = %hits[0].id, others = hits.len() - 1, "Several custom fields share this name; using the first. Set a field override to choose.");
            }
            match hits.first() {
                Some(f) => f.id.clone(),
                None => match BUILTIN_FALLBACKS.iter().find(|(h, _)| h == heading) {
                    Some((_, id)) => id.to_string(),
                    None => continue,
                },
            }
        };
        map.by_heading.push((heading.to_string(), id));
    }
    Ok(map)
}

/// Renders a field value as plain text; `None` for null and empty values.
///
/// Options → `value` (a cascading option → `parent / child`), users →
/// `displayName` (else `name`, `emailAddress`, `accountId`), other objects →
/// `name` or `key`, ADF → text, numbers without a needless `.0`, arrays
/// comma-joined. Anything else is kept as compact JSON so nothing is lost.
pub fn render_value(v: &Value) -> Option<String> {
    let text = match v {
        Value::Null => return None,
        Value::String(s) => s.trim().to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_text(n),
        Value::Array(items) => items
            .iter()
            .filter_map(render_value)
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(o) => {
            if o.get("type").and_then(Value::as_str) == Some("doc") {
                adf_to_text(v)
            } else if let Some(value) = o.get("value").filter(|x| !x.is_null()) {
                let parent = render_value(value).unwrap_or_default();
                match o.get("child").and_then(render_value) {
                    Some(child) if !parent.is_empty() => format!("{parent} / {child}"),
                    Some(child) => child,
                    None => parent,
                }
            } else if let Some(s) = [
                "displayName",
                "name",
                "emailAddress",
                "accountId",
                "key",
                "title",
                "text",
            ]
            .iter()
            .find_map(|k| {
                o.get(*k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.trim().is_empty())
            }) {
                s.trim().to_string()
            } else if o.is_empty() {
                return None;
            } else {
                v.to_string()
            }
        }
    };
    (!text.is_empty()).then_some(text)
}

/// `3.0` → `3`, `0.5` → `0.5`, `12` → `12`.
fn number_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Some(f) => f.to_string(),
        None => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

    #[test]
    fn override_keys_accept_snake_case_headings_and_record_names() {
        assert_eq!(heading_for_key("target_date"), Some("Target date"));
        assert_eq!(heading_for_key("Target date"), Some("Target date"));
        assert_eq!(
            heading_for_key("time_to_detect_minutes"),
            Some("Time to detect (minutes)")
        );
        assert_eq!(
            heading_for_key("ttr_minutes"),
            Some("Time to repair (minutes)")
        );
        assert_eq!(
            heading_for_key("users_affected"),
            Some("Users affected (%)")
        );
        assert_eq!(heading_for_key("slo"), Some("SLO"));
        assert_eq!(heading_for_key("incident_ref"), Some("Incident"));
        assert_eq!(heading_for_key("targte_date"), None);
        assert!(override_keys().contains(&"evidence_of_completion".to_string()));
    }

    #[test]
    fn recorded_field_lists_map_nothing_but_the_builtin_fallbacks() {
        for name in [
            "get-fields.jira-cli.json",
            "get-fields.real-airbyte.json",
            "get-fields.spec-example.json",
        ] {
            let body = std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture");
            let map = build_field_map(&body, &[]).expect(name);
            assert_eq!(
                map.by_heading,
                vec![
                    ("Priority".to_string(), "priority".to_string()),
                    ("Resolved at".to_string(), "resolutiondate".to_string())
                ],
                "{name}"
            );
        }
        // An override by field name resolves to the id from the list.
        let body = std::fs::read(format!("{FIXTURES}/get-fields.jira-cli.json")).unwrap();
        let map =
            build_field_map(&body, &[("Effort".into(), "original story POINTS".into())]).unwrap();
        assert!(map
            .by_heading
            .contains(&("Effort".into(), "customfield_10111".into())));
    }

    #[test]
    fn custom_field_by_name_wins_over_the_fallback_and_overrides_win_over_both() {
        let body = json!([
            {"id": "priority", "name": "Priority", "custom": false},
            {"id": "customfield_10100", "name": "priority", "custom": true},
            {"id": "customfield_10101", "name": "Target Date", "custom": true},
            {"id": "customfield_10102", "name": "Target date", "custom": true},
            {"id": "customfield_10103", "name": "Service", "custom": true},
            {"id": "customfield_10104", "name": "Severity", "custom": true},
            {"id": "status", "name": "Status", "custom": false},
            {"id": "customfield_10105", "name": "Due", "custom": true},
            {"id": "components", "name": "Component/s", "custom": false},
            {"bogus": true}
        ])
        .to_string();
        let map = build_field_map(body.as_bytes(), &[]).unwrap();
        let get = |h: &str| {
            map.by_heading
                .iter()
                .find(|(x, _)| x == h)
                .map(|(_, id)| id.as_str())
        };
        assert_eq!(get("Priority"), Some("customfield_10100"));
        assert_eq!(
            get("Target date"),
            Some("customfield_10101"),
            "first of a duplicate name"
        );
        assert_eq!(get("Service"), Some("customfield_10103"));
        assert_eq!(get("Severity"), Some("customfield_10104"));
        assert_eq!(get("Status"), None, "the system status is never a section");

        let overrides = vec![
            ("Target date".to_string(), "Due".to_string()),
            ("Service".to_string(), "components".to_string()),
            ("Team".to_string(), "customfield_99999".to_string()),
        ];
        let map = build_field_map(body.as_bytes(), &overrides).unwrap();
        let get = |h: &str| {
            map.by_heading
                .iter()
                .find(|(x, _)| x == h)
                .map(|(_, id)| id.as_str())
        };
        assert_eq!(get("Target date"), Some("customfield_10105"));
        assert_eq!(get("Service"), Some("components"), "a system field by id");
        assert_eq!(get("Team"), Some("customfield_99999"));
        assert_eq!(map.ids().len(), map.by_heading.len());

        let err = build_field_map(
            body.as_bytes(),
            &[("Owner".to_string(), "Owning person".to_string())],
        );
        let Err(FieldMapError::BadOverride(err)) = err else {
            panic!("expected a bad override, got {err:?}");
        };
        assert!(err.contains("\"owner\""), "{err}");
        // Only custom-field ids are trusted without being listed.
        assert!(build_field_map(
            body.as_bytes(),
            &[("Team".to_string(), "teamfield".to_string())]
        )
        .is_err());
        assert!(matches!(
            build_field_map(b"<html>", &[]),
            Err(FieldMapError::Unreadable(_))
        ));
    }

    #[test]
    fn values_render_to_plain_text() {
        let cases = [
            (json!(null), None),
            (json!(""), None),
            (json!([]), None),
            (json!({}), None),
            (json!("  checkout  "), Some("checkout")),
            (json!(3.0), Some("3")),
            (json!(0.25), Some("0.25")),
            (json!(15), Some("15")),
            (json!(true), Some("true")),
            (
                json!({"self": "x", "value": "High", "id": "1"}),
                Some("High"),
            ),
            (
                json!({"value": "EU", "child": {"value": "Paris"}}),
                Some("EU / Paris"),
            ),
            (
                json!({"accountId": "5fc9", "displayName": "Dana Scully"}),
                Some("Dana Scully"),
            ),
            (json!({"name": "jdoe", "key": "JIRAUSER1"}), Some("jdoe")),
            (json!({"accountId": "5fc9"}), Some("5fc9")),
            (json!({"key": "OPS-12", "id": "10012"}), Some("OPS-12")),
            (
                json!([{"value": "api"}, {"value": "web"}, null]),
                Some("api, web"),
            ),
            (
                json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Page within 5 min"}]}]}),
                Some("Page within 5 min"),
            ),
            (json!({"odd": 1}), Some("{\"odd\":1}")),
        ];
        for (value, want) in cases {
            assert_eq!(render_value(&value).as_deref(), want, "{value}");
        }
    }
}
