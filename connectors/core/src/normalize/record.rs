//! The normalised record: typed [`Fields`], the [`Problem`]s met reading
//! them, and the [`Normalized`] result that holds both with the kind.
//!
//! Plain data with no parsing, so every reader and the store can depend on
//! it without depending on each other.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::Kind;

/// A value that could not be parsed: kept raw and reported, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The snake_case field name (`target_date`).
    pub field: String,
    /// The text as written.
    pub raw: String,
    /// Why it was not understood.
    pub reason: String,
}

/// The typed fields of one item, all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fields {
    /// Lifecycle status. Closed items: `done`, `declined` or `duplicate`,
    /// from the tracker's closing reason (closure wins over any label).
    /// Open items: the Status section or `status:` label unless it names a
    /// closed status, else the tracker's status, `blocked`, `accepted` or
    /// `proposed`. See [`normalize`](super::normalize()).
    pub status: Option<String>,
    /// The status a person wrote (Status section, else `status:` label),
    /// lower-cased, closed synonyms read as `done`/`declined`/`duplicate`/
    /// `closed`. Kept beside `status` so a label that contradicts the
    /// tracker (`status:done` on an open issue) is a lint finding, never a
    /// second truth.
    pub stated_status: Option<String>,
    /// Login without `@`: the first of `owners`.
    pub owner: Option<String>,
    /// Every owner named (an acceptable action item has exactly one). Left
    /// out of the serialised record (and so of the content hash) unless
    /// there are several, so adding it changed no stored item's hash.
    #[serde(default, skip_serializing_if = "at_most_one")]
    pub owners: Vec<String>,
    /// critical | high | medium | low (P0–P3 accepted as synonyms).
    pub priority: Option<String>,
    /// Service name.
    pub service: Option<String>,
    /// Team name.
    pub team: Option<String>,
    // --- action items ---
    /// Reference to the incident this item follows up.
    pub incident_ref: Option<String>,
    /// Reference to the risk this item reduces.
    pub risk_ref: Option<String>,
    /// The item's type as written (documentation, testing, alerting…).
    pub item_type: Option<String>,
    /// prevention | detection | mitigation | recovery | learning.
    pub effect: Option<String>,
    /// Target date, as written (no time-zone shift).
    pub target_date: Option<NaiveDate>,
    /// Why the item matters.
    pub risk_rationale: Option<String>,
    /// What done looks like.
    pub expected_outcome: Option<String>,
    /// Evidence of completion.
    pub evidence: Option<String>,
    /// What blocks it.
    pub blocked_by: Option<String>,
    /// Effort estimate as written.
    pub effort: Option<String>,
    /// Theme.
    pub theme: Option<String>,
    // --- risks ---
    /// Impact level 1–5.
    pub impact: Option<i32>,
    /// Scope level 1–5.
    pub scope: Option<i32>,
    /// Likelihood level 1–5.
    pub likelihood: Option<i32>,
    /// Time to detect, minutes.
    pub ttd_minutes: Option<f64>,
    /// Time to repair, minutes.
    pub ttr_minutes: Option<f64>,
    /// Users affected, percent (25 means 25 %), 0–100.
    pub users_pct: Option<f64>,
    /// Occurrences per year.
    pub occurrences_per_year: Option<f64>,
    /// Days between failures.
    pub days_between_failures: Option<f64>,
    /// SLO as a fraction (0.999).
    pub slo: Option<f64>,
    /// Date of the last review.
    pub last_reviewed_at: Option<NaiveDate>,
    // --- incidents ---
    /// When the incident started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Severity as written (SEV1…).
    pub severity: Option<String>,
}

/// The result of normalising an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalized {
    /// The kind, when the item carries a tracked label or type.
    pub kind: Option<Kind>,
    /// Typed fields.
    pub fields: Fields,
    /// Values that could not be parsed.
    pub problems: Vec<Problem>,
}

fn at_most_one(v: &[String]) -> bool {
    v.len() <= 1
}
