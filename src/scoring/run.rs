//! `recur score`: reads the risks through `queries/risk/score_inputs.sql`,
//! scores them with the [models](super::model), and writes one run to
//! `score_runs` / `score_history` in one transaction; the first run also
//! scores the past year's month ends from history ([`backfill`]).

use chrono::{DateTime, Datelike, Utc};
use duckdb::types::Value;

use super::model::*;
use crate::queries;
use crate::settings::ScoringSettings;
use crate::store::{Store, StoreError};

/// What one `recur score` did. Counts other than `risks` are over the
/// run's active risks.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSummary {
    /// The run's id in `score_runs`.
    pub run_id: i64,
    /// The run's time.
    pub scored_at: DateTime<Utc>,
    /// Tracked risks scored (rows written to `score_history`).
    pub risks: usize,
    /// Of those, active (open, not retired or mitigated).
    pub active: usize,
    /// Active risks per priority P0, P1, P2, P3.
    pub priorities: [usize; 4],
    /// Active risks without an expected cost (too few fields).
    pub without_cost: usize,
    /// Active risks flagged as inversions (band and priority two or more
    /// levels apart).
    pub inversions: usize,
    /// Reversals among the top risks by expected cost.
    pub reversals: usize,
    /// Active risks whose expected cost used a level table.
    pub estimated: usize,
}

impl std::fmt::Display for ScoreSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [p0, p1, p2, p3] = self.priorities;
        write!(
            f,
            "Scored {} risks ({} active) in run {}: P0 {p0}, P1 {p1}, P2 {p2}, P3 {p3}, \
             {} without expected cost; {} inversions (band and priority two levels apart), \
             {} reversals among the top risks; {} estimated from levels.",
            self.risks,
            self.active,
            self.run_id,
            self.without_cost,
            self.inversions,
            self.reversals,
            self.estimated
        )
    }
}

/// `score_runs` columns written by [`score`] (besides `run_id`).
const RUN_COLUMNS: &[&str] = &[
    "scored_at",
    "risks",
    "default_slo",
    "outage_multiplier",
    "settings",
];

/// `score_history` columns written by [`score`] (besides `run_id`), in the
/// order of [`history_row`].
const HISTORY_COLUMNS: &[&str] = &[
    "scored_at",
    "source",
    "key",
    "title",
    "state",
    "status",
    "service",
    "owner",
    "last_reviewed_at",
    "created_at",
    "active",
    "impact",
    "scope",
    "likelihood",
    "levels_from_numbers",
    "ordinal",
    "band",
    "minutes",
    "users_pct",
    "per_year_stated",
    "linked_incidents",
    "incidents_in_window",
    "window_years",
    "per_year",
    "outage_multiplier_applied",
    "bad_minutes_per_year",
    "slo",
    "budget_minutes",
    "budget_share",
    "priority",
    "estimated",
    "derived_from_levels",
    "inversions",
    "inversion",
    "inversion_reason",
    "rate_rule",
    "open_action_items",
    "done_action_items",
    "closed_action_items",
    "last_action_item_closed_at",
    "estimate_changed_at",
];

/// RFC 3339 text with an explicit offset, as bound for `TIMESTAMPTZ`
/// parameters (`$1::TIMESTAMPTZ`).
fn timestamp_param(t: DateTime<Utc>) -> Value {
    Value::Text(t.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string())
}

/// One row of `risk/score_inputs.sql`, read by column name.
struct InputRow<'a> {
    columns: &'a [String],
    row: &'a [serde_json::Value],
}

impl InputRow<'_> {
    fn get(&self, name: &str) -> Result<&serde_json::Value, StoreError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| self.row.get(i))
            .ok_or_else(|| StoreError::Corrupt {
                what: "risk/score_inputs.sql".into(),
                detail: format!("no column {name}"),
            })
    }
    fn text(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.get(name)?.as_str().map(str::to_string))
    }
    fn f64(&self, name: &str) -> Result<Option<f64>, StoreError> {
        Ok(self.get(name)?.as_f64())
    }
    fn u64(&self, name: &str) -> Result<u64, StoreError> {
        Ok(self.get(name)?.as_u64().unwrap_or(0))
    }
    fn level(&self, name: &str) -> Result<Option<u8>, StoreError> {
        Ok(self.get(name)?.as_i64().and_then(|v| u8::try_from(v).ok()))
    }
}

fn text(v: Option<String>) -> Value {
    v.map(Value::Text).unwrap_or(Value::Null)
}

fn double(v: Option<f64>) -> Value {
    v.map(Value::Double).unwrap_or(Value::Null)
}

fn list(names: &[&str]) -> Value {
    if names.is_empty() {
        Value::Null
    } else {
        Value::Text(names.join(","))
    }
}

/// A risk read for scoring: its snapshot columns and its score.
struct Scored {
    active: bool,
    score: RiskScore,
    snapshot: Vec<(&'static str, Value)>,
    linked_incidents: u64,
}

fn read_risk(r: &InputRow<'_>, s: &ScoringSettings) -> Result<Scored, StoreError> {
    let fields = RiskFields {
        impact: r.level("impact")?,
        scope: r.level("scope")?,
        likelihood: r.level("likelihood")?,
        ttd_minutes: r.f64("ttd_minutes")?,
        ttr_minutes: r.f64("ttr_minutes")?,
        users_pct: r.f64("users_pct")?,
        occurrences_per_year: r.f64("occurrences_per_year")?,
        days_between_failures: r.f64("days_between_failures")?,
        slo: r.f64("slo")?,
    };
    let observed = Observed {
        linked: r.u64("linked_incidents")?,
        in_window: r.u64("incidents_in_window")?,
        span_years: r.f64("span_years")?.unwrap_or(0.0),
    };
    let state = r.text("state")?.unwrap_or_default();
    let status = r.text("status")?;
    // One definition of an active risk: the risk_active macro (migration
    // 0007), computed by score_inputs.sql.
    let active = r.get("active")?.as_bool().unwrap_or(false);
    let mut snapshot = Vec::new();
    for name in ["source", "key", "title"] {
        snapshot.push((name, text(r.text(name)?)));
    }
    snapshot.push(("state", Value::Text(state)));
    snapshot.push(("status", text(status)));
    for name in [
        "service",
        "owner",
        "last_reviewed_at",
        "created_at",
        "last_action_item_closed_at",
        "estimate_changed_at",
    ] {
        snapshot.push((name, text(r.text(name)?)));
    }
    for name in [
        "open_action_items",
        "done_action_items",
        "closed_action_items",
    ] {
        snapshot.push((name, Value::BigInt(r.u64(name)? as i64)));
    }
    Ok(Scored {
        active,
        score: score_risk(&fields, &observed, s),
        snapshot,
        linked_incidents: observed.linked,
    })
}

fn history_row(scored_at: &Value, r: Scored, reversals: u64) -> Vec<Value> {
    let s = &r.score;
    let c = s.cost.as_ref();
    let reason = match (r.active, s.band, c) {
        (true, Some(b), Some(c)) => inversion(b, c.priority),
        _ => None,
    };
    let level = |l: Option<u8>| l.map(|v| Value::Int(i32::from(v))).unwrap_or(Value::Null);
    let mut named: Vec<(&'static str, Value)> = vec![
        ("scored_at", scored_at.clone()),
        ("active", Value::Boolean(r.active)),
        ("impact", level(s.impact)),
        ("scope", level(s.scope)),
        ("likelihood", level(s.likelihood)),
        ("levels_from_numbers", list(&s.levels_from_numbers)),
        (
            "ordinal",
            s.ordinal
                .map(|o| Value::Int(o as i32))
                .unwrap_or(Value::Null),
        ),
        ("band", text(s.band.map(|b| b.as_str().to_string()))),
        ("minutes", double(c.map(|c| c.minutes))),
        ("users_pct", double(c.map(|c| c.users_pct))),
        ("per_year_stated", double(c.map(|c| c.per_year_stated))),
        ("linked_incidents", Value::BigInt(r.linked_incidents as i64)),
        (
            "incidents_in_window",
            c.and_then(|c| c.incidents_in_window)
                .map(|k| Value::BigInt(k as i64))
                .unwrap_or(Value::Null),
        ),
        ("window_years", double(c.and_then(|c| c.window_years))),
        ("per_year", double(c.map(|c| c.per_year))),
        (
            "outage_multiplier_applied",
            double(c.map(|c| c.outage_multiplier_applied)),
        ),
        (
            "bad_minutes_per_year",
            double(c.map(|c| c.bad_minutes_per_year)),
        ),
        ("slo", Value::Double(s.slo)),
        ("budget_minutes", Value::Double(s.budget_minutes)),
        ("budget_share", double(c.map(|c| c.budget_share))),
        ("priority", text(c.map(|c| c.priority.as_str().to_string()))),
        (
            "estimated",
            c.map(|c| Value::Boolean(c.estimated()))
                .unwrap_or(Value::Null),
        ),
        (
            "derived_from_levels",
            c.map(|c| list(&c.derived_from_levels))
                .unwrap_or(Value::Null),
        ),
        ("inversions", Value::BigInt(reversals as i64)),
        ("inversion", Value::Boolean(reason.is_some())),
        ("inversion_reason", text(reason)),
        (
            "rate_rule",
            text(c.map(|c| c.rate_rule.as_str().to_string())),
        ),
    ];
    named.extend(r.snapshot);
    HISTORY_COLUMNS
        .iter()
        .map(|col| {
            named
                .iter()
                .position(|(n, _)| n == col)
                .map(|i| std::mem::replace(&mut named[i].1, Value::Null))
                .unwrap_or(Value::Null)
        })
        .collect()
}

/// Scores every tracked risk at `now` and records the run in
/// `score_runs`/`score_history` (one transaction). `risk_scores` then shows
/// this run.
#[tracing::instrument(skip_all, fields(now = %now), err)]
pub async fn score(
    store: &Store,
    settings: &ScoringSettings,
    now: DateTime<Utc>,
) -> Result<ScoreSummary, StoreError> {
    let file = queries::get("risk/score_inputs.sql");
    let at = timestamp_param(now);
    let inputs = store.query(file.name, file.sql, vec![at.clone()]).await?;
    let scored = inputs
        .rows
        .iter()
        .map(|row| {
            read_risk(
                &InputRow {
                    columns: &inputs.columns,
                    row,
                },
                settings,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;

    let points: Vec<Option<(u32, f64)>> = scored
        .iter()
        .map(|r| match (&r.score.ordinal, &r.score.cost) {
            (Some(o), Some(c)) if r.active => Some((*o, c.bad_minutes_per_year)),
            _ => None,
        })
        .collect();
    let pairs = reversals(&points, settings.reversal_top);
    let mut in_pairs = vec![0u64; scored.len()];
    for (a, b) in &pairs {
        in_pairs[*a] += 1;
        in_pairs[*b] += 1;
    }
    let pair_rows: Vec<[Value; 4]> = pairs
        .iter()
        .map(|(a, b)| {
            let id = |i: usize| {
                let snap = &scored[i].snapshot;
                let get = |n: &str| {
                    snap.iter()
                        .find(|(k, _)| *k == n)
                        .map(|(_, v)| v.clone())
                        .unwrap_or(Value::Null)
                };
                (get("source"), get("key"))
            };
            let ((sa, ka), (sb, kb)) = (id(*a), id(*b));
            [sa, ka, sb, kb]
        })
        .collect();

    let mut summary = ScoreSummary {
        run_id: 0,
        scored_at: now,
        risks: scored.len(),
        active: 0,
        priorities: [0; 4],
        without_cost: 0,
        inversions: 0,
        reversals: pairs.len(),
        estimated: 0,
    };
    for r in scored.iter().filter(|r| r.active) {
        summary.active += 1;
        match (&r.score.cost, r.score.band) {
            (Some(c), band) => {
                summary.priorities[c.priority as usize] += 1;
                summary.estimated += usize::from(c.estimated());
                summary.inversions +=
                    usize::from(band.is_some_and(|b| inversion(b, c.priority).is_some()));
            }
            (None, _) => summary.without_cost += 1,
        }
    }

    let rows: Vec<Vec<Value>> = scored
        .into_iter()
        .zip(in_pairs)
        .map(|(r, n)| history_row(&at, r, n))
        .collect();
    let settings_json = serde_json::to_string(settings).unwrap_or_else(|_| "{}".into());
    let run = vec![
        at,
        Value::BigInt(rows.len() as i64),
        Value::Double(settings.default_slo()),
        Value::Double(settings.outage_multiplier),
        Value::Text(settings_json),
    ];
    summary.run_id = store
        .record_score_run(RUN_COLUMNS, run, HISTORY_COLUMNS, rows, pair_rows)
        .await?;
    tracing::info!(
        run_id = summary.run_id,
        risks = summary.risks,
        active = summary.active,
        inversions = summary.inversions,
        reversals = summary.reversals,
        "Risks scored."
    );
    Ok(summary)
}

/// How many past month ends a first scoring run (or `recur score
/// --backfill`) scores from history: a year of burn-down from day one.
pub const BACKFILL_MONTHS: u32 = 12;

/// Scores the registry as of each of the last `months` month ends before
/// `now` (the end of each month's last day, UTC) that has no scoring run in
/// its month yet and is not before the earliest tracked risk, from
/// item_history (`risk/score_inputs.sql` reads every item as it stood
/// then). Oldest first. How far the answer is exact depends on how far
/// history reaches (`recur report … --as-of` says so per day).
pub async fn backfill(
    store: &Store,
    settings: &ScoringSettings,
    now: DateTime<Utc>,
    months: u32,
) -> Result<Vec<ScoreSummary>, StoreError> {
    let known = store
        .query(
            "scoring backfill: months already scored and the earliest risk",
            "SELECT (SELECT list(DISTINCT strftime(scored_at::TIMESTAMP, '%Y-%m')) FROM score_runs), \
                    (SELECT min(created_at)::TIMESTAMP::DATE::VARCHAR FROM item_history \
                     WHERE kind = 'risk' AND tracking = 'tracked')",
            vec![],
        )
        .await?;
    let row = known.rows.first();
    let scored: Vec<String> = row
        .and_then(|r| r.first())
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let Some(first) = row
        .and_then(|r| r.get(1))
        .and_then(|v| v.as_str())
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return Ok(Vec::new());
    };
    let mut ends = Vec::new();
    // The last day of the month before `now`'s, then one month back each time.
    let mut end = now.date_naive().with_day(1).and_then(|d| d.pred_opt());
    while let Some(d) = end {
        if ends.len() as u32 >= months || d < first {
            break;
        }
        if !scored.contains(&d.format("%Y-%m").to_string()) {
            ends.push(d);
        }
        end = d.with_day(1).and_then(|d| d.pred_opt());
    }
    let mut out = Vec::new();
    for d in ends.into_iter().rev() {
        let at = (d + chrono::Days::new(1))
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc() - chrono::Duration::microseconds(1))
            .unwrap_or(now);
        out.push(score(store, settings, at).await?);
    }
    Ok(out)
}

/// What `recur score` does: on the first run ever (or with `backfill`),
/// the past month ends from history first, then the registry now.
pub async fn score_now(
    store: &Store,
    settings: &ScoringSettings,
    now: DateTime<Utc>,
    backfill_anyway: bool,
) -> Result<(Vec<ScoreSummary>, ScoreSummary), StoreError> {
    let first_run = store
        .query("any score run", "SELECT count(*) FROM score_runs", vec![])
        .await?
        .rows
        .first()
        .and_then(|r| r.first())
        .and_then(|v| v.as_i64())
        == Some(0);
    let past = if first_run || backfill_anyway {
        backfill(store, settings, now, BACKFILL_MONTHS).await?
    } else {
        Vec::new()
    };
    Ok((past, score(store, settings, now).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reads_as_a_sentence() {
        let s = ScoreSummary {
            run_id: 3,
            scored_at: DateTime::<Utc>::UNIX_EPOCH,
            risks: 5,
            active: 4,
            priorities: [1, 1, 0, 1],
            without_cost: 1,
            inversions: 2,
            reversals: 3,
            estimated: 1,
        };
        assert_eq!(
            s.to_string(),
            "Scored 5 risks (4 active) in run 3: P0 1, P1 1, P2 0, P3 1, 1 without expected cost; \
             2 inversions (band and priority two levels apart), 3 reversals among the top risks; \
             1 estimated from levels."
        );
    }
}
