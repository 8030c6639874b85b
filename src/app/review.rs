//! Recording a review (`recur review record`): the risks a review meeting
//! went through are stored as reviewed on that day, so the stale-review
//! flag clears at once and write-back carries the day into each tracker's
//! Last reviewed, without anyone editing the issues by hand.

use chrono::NaiveDate;
use duckdb::types::Value;
use serde::Serialize;

use crate::clock::Clock;
use crate::store::Store;

use super::Error;

/// Which risks were reviewed.
#[derive(Debug, Clone, Default)]
pub struct ReviewSelection {
    /// These risks, by key (as recur shows them: `owner/repo#N`, `PROJ-N`).
    pub risks: Vec<String>,
    /// Every active risk whose priority in the latest scoring run is one of
    /// these (`P0`…`P3`).
    pub priorities: Vec<String>,
    /// Only risks of this source.
    pub source: Option<String>,
    /// The day of the review (default: the run's day).
    pub on: Option<NaiveDate>,
}

/// One risk recorded as reviewed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reviewed {
    /// Source name.
    pub source: String,
    /// The risk.
    pub key: String,
    /// Its title.
    pub title: Option<String>,
    /// Its priority in the latest scoring run.
    pub priority: Option<String>,
    /// The day recorded.
    pub reviewed_on: NaiveDate,
    /// False when this day was already recorded for it.
    pub new: bool,
}

/// Records the review: every active tracked risk the selection names.
/// Names that match no active tracked risk are an error (exit 2) and
/// nothing is recorded.
pub async fn record_review(
    store: &Store,
    selection: &ReviewSelection,
    clock: Clock,
) -> Result<Vec<Reviewed>, Error> {
    if selection.risks.is_empty() && selection.priorities.is_empty() {
        return Err(Error::Usage(
            "name the risks reviewed: --risks KEY,… or --priority P0,P1".into(),
        ));
    }
    let priorities: Vec<String> = selection
        .priorities
        .iter()
        .map(|p| p.trim().to_uppercase())
        .collect();
    if let Some(bad) = priorities
        .iter()
        .find(|p| !matches!(p.as_str(), "P0" | "P1" | "P2" | "P3"))
    {
        return Err(Error::Usage(format!(
            "--priority {bad:?}: priorities are P0, P1, P2 and P3"
        )));
    }
    let on = selection.on.unwrap_or_else(|| clock.today());
    if on > clock.today() {
        return Err(Error::Usage(format!(
            "--on {on} is after today ({}): a review is recorded once held",
            clock.today()
        )));
    }
    let r = store
        .query(
            "active risks",
            "SELECT r.source, r.key, r.title, s.priority, \
                    EXISTS (SELECT 1 FROM risk_reviews v WHERE v.source = r.source AND v.key = r.key \
                            AND v.reviewed_on = CAST(? AS DATE)) AS had \
             FROM risks r LEFT JOIN risk_scores s ON s.source = r.source AND s.key = r.key \
             WHERE r.tracking = 'tracked' AND r.active AND (CAST(? AS VARCHAR) IS NULL OR r.source = CAST(? AS VARCHAR)) \
             ORDER BY r.source, r.key",
            vec![
                Value::Text(on.to_string()),
                selection.source.clone().map(Value::Text).unwrap_or(Value::Null),
                selection.source.clone().map(Value::Text).unwrap_or(Value::Null),
            ],
        )
        .await?;
    let active: Vec<Reviewed> = r
        .to_objects()
        .into_iter()
        .map(|o| Reviewed {
            source: o["source"].as_str().unwrap_or_default().to_string(),
            key: o["key"].as_str().unwrap_or_default().to_string(),
            title: o["title"].as_str().map(str::to_string),
            priority: o["priority"].as_str().map(str::to_string),
            reviewed_on: on,
            new: !o["had"].as_bool().unwrap_or(false),
        })
        .collect();
    let unknown: Vec<&str> = selection
        .risks
        .iter()
        .map(|k| k.trim())
        .filter(|k| !active.iter().any(|a| a.key == *k))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Usage(format!(
            "not an active tracked risk{}: {} (nothing was recorded)",
            selection
                .source
                .as_deref()
                .map(|s| format!(" of source {s}"))
                .unwrap_or_default(),
            unknown.join(", ")
        )));
    }
    let chosen: Vec<Reviewed> = active
        .into_iter()
        .filter(|a| {
            selection.risks.iter().any(|k| k.trim() == a.key)
                || a.priority.as_ref().is_some_and(|p| priorities.contains(p))
        })
        .collect();
    store
        .record_reviews(
            chosen
                .iter()
                .map(|c| (c.source.clone(), c.key.clone()))
                .collect(),
            on,
            clock.now(),
        )
        .await?;
    tracing::info!(risks = chosen.len(), on = %on, "Review recorded.");
    Ok(chosen)
}
