//! Custom-field values as clients send them: checked against the field's
//! kind and turned into stored values, with the flavour's rule for rich
//! text (ADF on v3, a string on v2, either from the handle).

use chrono::DateTime;
use serde_json::Value;

use super::adf;
use super::catalog::{CfKind, CUSTOM_FIELDS};
use super::state::{CfVal, World};

/// How a custom-field value arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CfMode {
    /// REST v3: rich text must be ADF.
    V3,
    /// REST v2: rich text must be a string.
    V2,
    /// The handle: either.
    Handle,
}

/// Converts a JSON value for custom field `ix` (as a client sends it) into
/// a stored value; `Ok(None)` clears the field.
pub(crate) fn cf_value(
    w: &World,
    ix: u16,
    v: &Value,
    mode: CfMode,
) -> Result<Option<CfVal>, String> {
    if v.is_null() {
        return Ok(None);
    }
    let kind = CUSTOM_FIELDS[ix as usize].2;
    let s = v.as_str();
    Ok(Some(match kind {
        CfKind::Select => match (
            s,
            v.get("value").and_then(Value::as_str),
            v.get("id").and_then(Value::as_str),
        ) {
            (Some(x), _, _) | (None, Some(x), _) => CfVal::Select(x.to_string()),
            (None, None, Some(id)) => id
                .parse()
                .ok()
                .and_then(|id| w.option_by_id(ix, id))
                .map(CfVal::Select)
                .ok_or_else(|| format!("Option id '{id}' is not valid"))?,
            _ => {
                return Err(
                    "Could not find valid 'id' or 'value' in the Parent Option object.".into(),
                )
            }
        },
        CfKind::User => {
            let who = s.or_else(|| {
                ["accountId", "name", "id"]
                    .iter()
                    .find_map(|k| v.get(*k).and_then(Value::as_str))
            });
            let who = who.ok_or("expected Object containing an 'accountId' property")?;
            CfVal::User(
                w.find_user(who)
                    .ok_or_else(|| format!("User '{who}' does not exist."))?,
            )
        }
        CfKind::Date => {
            let text = s.ok_or("Operation value must be a string")?;
            CfVal::Date(
                chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                    .map_err(|_| format!("Error parsing date string: {text}"))?,
            )
        }
        CfKind::DateTime => {
            let text = s.ok_or("Operation value must be a string")?;
            let t = text.trim();
            let d = DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z")
                .or_else(|_| DateTime::parse_from_rfc3339(t))
                .map_err(|_| format!("Error parsing time string: {text}"))?;
            CfVal::DateTime(d.timestamp_millis())
        }
        CfKind::Number => CfVal::Number(v.as_f64().ok_or("Operation value must be a number")?),
        CfKind::Text => CfVal::Text(s.ok_or("Operation value must be a string")?.to_string()),
        CfKind::TextArea => match (mode, v) {
            (CfMode::V2 | CfMode::Handle, Value::String(t)) => CfVal::Adf(adf::from_text(t)),
            (CfMode::V3 | CfMode::Handle, d) if adf::is_doc(d) => CfVal::Adf(d.clone()),
            (CfMode::V3, _) => return Err(
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
                    .into(),
            ),
            _ => return Err("Operation value must be a string".into()),
        },
    }))
}
