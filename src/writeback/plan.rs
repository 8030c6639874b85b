//! The write-back plan: the desired state (SQL in `queries/writeback/` and
//! `health/lint`'s title rule), the tracker's current state as the store
//! knows it (synced labels, kept current by write-through after each
//! write), recur's records of its own labels and comments, and the
//! difference between them as a list of operations.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use duckdb::types::Value;
use serde::Deserialize;

use super::summary::{sig3, FlagLine, SummaryState};
use super::WritebackSettings;
use crate::queries;
use crate::settings::Deadlines;
use crate::store::{Store, StoreError};

/// One desired label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// The full label.
    pub label: String,
    /// What the label reflects.
    pub value_key: String,
    /// Why, in words.
    pub reason: String,
}

/// What an operation does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpKind {
    /// Add and/or remove labels (GitHub: additions, or one removal).
    Labels {
        /// Labels to add, with the value each reflects.
        add: Vec<(String, String)>,
        /// Labels to remove.
        remove: Vec<String>,
    },
    /// Set the risk's "Last reviewed" to the day a review was recorded
    /// (`recur review record`).
    LastReviewed {
        /// The day.
        date: NaiveDate,
    },
    /// Write the summary comment: edit `comment_id`, or find recur's
    /// comment first and create one only if there is none.
    Comment {
        /// The comment to edit, when recur knows it.
        comment_id: Option<String>,
        /// The state it will show.
        state: Box<SummaryState>,
        /// The state last written, for "what changed".
        prev: Option<Box<SummaryState>>,
    },
}

/// One planned write.
#[derive(Debug, Clone)]
pub struct PlannedOp {
    /// The item key.
    pub key: String,
    /// What to do.
    pub kind: OpKind,
    /// Why, in words.
    pub reason: String,
    /// Ordering: lower first (P0 items first).
    pub rank: (u8, String, u8),
}

impl PlannedOp {
    /// `labels` or `comment`.
    pub fn op_name(&self) -> &'static str {
        match self.kind {
            OpKind::Labels { .. } => "labels",
            OpKind::LastReviewed { .. } => "last_reviewed",
            OpKind::Comment { .. } => "comment",
        }
    }

    /// The change in short: `+recur:overdue -recur:risk-p2`, or the comment action.
    pub fn change(&self) -> String {
        match &self.kind {
            OpKind::Labels { add, remove } => add
                .iter()
                .map(|(l, _)| format!("+{l}"))
                .chain(remove.iter().map(|l| format!("-{l}")))
                .collect::<Vec<_>>()
                .join(" "),
            OpKind::LastReviewed { date } => format!("set Last reviewed to {date}"),
            OpKind::Comment {
                comment_id: Some(id),
                ..
            } => format!("edit summary comment {id}"),
            OpKind::Comment {
                comment_id: None, ..
            } => "write summary comment (edit recur's comment if one exists, else create)".into(),
        }
    }
}

/// A change to recur's label records that needs no request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRecord {
    /// The item.
    pub key: String,
    /// The label.
    pub label: String,
    /// Its value.
    pub value_key: String,
    /// `applied` (present and wanted) or `suppressed` (a person removed it).
    pub state: &'static str,
}

/// The whole plan for one source.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Operations, in the order they will be sent.
    pub ops: Vec<PlannedOp>,
    /// Record changes stored with the plan (adoptions, suppressions).
    pub records: Vec<LabelRecord>,
    /// Records to drop: labels no longer wanted and no longer present.
    pub dropped: Vec<(String, String)>,
    /// Labels left off because a person removed them: (key, label).
    pub suppressed: Vec<(String, String)>,
    /// Items whose desired labels the tracker cannot take: (key, why).
    pub invalid: Vec<(String, String)>,
    /// The item's current labels, for write-through.
    pub labels_now: HashMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct FlagRow {
    key: String,
    flag: String,
    label: String,
    value_key: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
struct LintRow {
    key: String,
    rule: String,
    detail: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
struct SummaryRow {
    key: String,
    priority: Option<String>,
    basis: Option<String>,
    risk_key: Option<String>,
    ordinal: Option<i64>,
    band: Option<String>,
    impact: Option<i64>,
    scope: Option<i64>,
    likelihood: Option<i64>,
    bad_minutes_per_year: Option<f64>,
    per_year: Option<f64>,
    minutes: Option<f64>,
    users_pct: Option<f64>,
    outage_multiplier: Option<f64>,
    slo: Option<f64>,
    budget_minutes: Option<f64>,
    budget_share: Option<f64>,
    estimated: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct ItemNow {
    key: String,
    kind: String,
    state: String,
    tracking: String,
    labels: Option<Vec<String>>,
}

/// A risk with a review recorded in recur later than its tracker's Last
/// reviewed.
#[derive(Debug, Deserialize)]
struct ReviewRec {
    key: String,
    reviewed_on: NaiveDate,
}

#[derive(Debug, Deserialize)]
struct LabelRec {
    key: String,
    label: String,
    value_key: String,
}

#[derive(Debug, Deserialize)]
struct CommentRec {
    key: String,
    comment_id: String,
    state_json: String,
}

fn rows<T: serde::de::DeserializeOwned>(
    what: &str,
    r: crate::store::QueryResult,
) -> Result<Vec<T>, StoreError> {
    r.to_objects()
        .into_iter()
        .map(|o| {
            serde_json::from_value(serde_json::Value::Object(o)).map_err(|e| StoreError::Corrupt {
                what: what.to_string(),
                detail: e.to_string(),
            })
        })
        .collect()
}

fn priority_rank(p: Option<&str>) -> u8 {
    match p {
        Some("P0") => 0,
        Some("P1") => 1,
        Some("P2") => 2,
        Some("P3") => 3,
        _ => 4,
    }
}

/// Everything the plan is computed from, read from the store.
pub struct Inputs {
    items: Vec<ItemNow>,
    flags: Vec<FlagRow>,
    vague: Vec<LintRow>,
    summaries: Vec<SummaryRow>,
    records: Vec<LabelRec>,
    comments: Vec<CommentRec>,
    reviews: Vec<ReviewRec>,
}

/// Reads the desired and current state of `source` as of `as_of`.
pub async fn load(
    store: &Store,
    source: &str,
    as_of: NaiveDate,
    settings: &WritebackSettings,
    deadlines: &Deadlines,
) -> Result<Inputs, StoreError> {
    let prefix = settings.label_prefix.to_lowercase();
    let src = Value::Text(source.to_string());
    let src_for_reviews = src.clone();
    let items = store
        .query(
            "write-back items",
            "SELECT key, kind, state, tracking, labels FROM items \
             WHERE source = ? AND (tracking = 'tracked' \
                OR (tracking = 'untracked' AND len(list_filter(labels, lambda l: starts_with(lower(l), ?))) > 0) \
                OR (tracking = 'untracked' AND key IN (SELECT key FROM writeback_comments WHERE source = ?))) \
               AND kind IN ('action_item', 'risk') ORDER BY key",
            vec![src.clone(), Value::Text(prefix), src.clone()],
        )
        .await?;
    let flags_sql = queries::get("writeback/flags.sql");
    let flags = store
        .query(
            flags_sql.name,
            flags_sql.sql,
            vec![
                Value::Date32(date32(as_of)),
                src.clone(),
                Value::BigInt(settings.stale_review_days),
                Value::BigInt(deadlines.critical),
                Value::BigInt(deadlines.high),
                Value::BigInt(deadlines.medium),
                Value::BigInt(deadlines.low),
            ],
        )
        .await?;
    let vague = if settings.flag_on("vague") {
        let lint = queries::get("health/lint.sql");
        // lint.sql has no source column; keys are unique across trackers
        // in practice (owner/repo#N vs PROJ-N) and the item list below
        // narrows to this source.
        store
            .query(
                lint.name,
                lint.sql,
                // The lint window (closed items' status mismatches) does
                // not matter here: only vague_title rows are used.
                vec![Value::Date32(date32(as_of)), Value::Null, Value::BigInt(30)],
            )
            .await?
    } else {
        crate::store::QueryResult::default()
    };
    let summary_sql = queries::get("writeback/summary.sql");
    let summaries = store
        .query(summary_sql.name, summary_sql.sql, vec![src.clone()])
        .await?;
    let records = store
        .query(
            "write-back label records",
            "SELECT key, label, value_key FROM writeback_labels WHERE source = ?",
            vec![src.clone()],
        )
        .await?;
    let comments = store
        .query(
            "write-back comment records",
            "SELECT key, comment_id, state_json FROM writeback_comments WHERE source = ?",
            vec![src],
        )
        .await?;
    let reviews = if settings.last_reviewed {
        store
            .query(
                "write-back reviews",
                "SELECT i.key, max(r.reviewed_on) AS reviewed_on \
                 FROM items i JOIN risk_reviews r ON r.source = i.source AND r.key = i.key \
                 WHERE i.source = ? AND i.kind = 'risk' AND i.tracking = 'tracked' AND i.state = 'open' \
                   AND r.reviewed_on <= ? \
                 GROUP BY i.key, i.last_reviewed_at \
                 HAVING i.last_reviewed_at IS NULL OR max(r.reviewed_on) > i.last_reviewed_at \
                 ORDER BY i.key",
                vec![src_for_reviews, Value::Date32(date32(as_of))],
            )
            .await?
    } else {
        crate::store::QueryResult::default()
    };
    Ok(Inputs {
        items: rows("write-back items", items)?,
        flags: rows(flags_sql.name, flags)?,
        vague: rows("health/lint.sql", vague)?,
        summaries: rows(summary_sql.name, summaries)?,
        records: rows("write-back label records", records)?,
        comments: rows("write-back comment records", comments)?,
        reviews: rows("write-back reviews", reviews)?,
    })
}

fn date32(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn pct(x: f64) -> String {
    sig3(x * 100.0)
}

fn state_of(item: &ItemNow, summary: Option<&SummaryRow>, flags: Vec<FlagLine>) -> SummaryState {
    let s = summary.cloned().unwrap_or_default();
    let status = if item.tracking != "tracked" {
        "untracked".to_string()
    } else {
        item.state.clone()
    };
    let multiplier = s.outage_multiplier.filter(|m| (*m - 1.0).abs() > 1e-9);
    SummaryState {
        kind: item.kind.clone(),
        status,
        priority: s.priority.clone(),
        basis: s.basis.clone(),
        risk_key: s.risk_key.clone(),
        ordinal: s.ordinal,
        band: s.band.clone(),
        levels: match (s.impact, s.scope, s.likelihood) {
            (Some(i), Some(sc), Some(l)) => Some((i, sc, l)),
            _ => None,
        },
        bad_minutes: s.bad_minutes_per_year.map(sig3),
        per_year: s.per_year.map(sig3),
        minutes: s.minutes.map(sig3),
        users_pct: s.users_pct.map(sig3),
        outage_multiplier: multiplier.map(sig3),
        slo_pct: s.slo.map(|v| {
            let p = v * 100.0;
            // 99.9, 99.95: keep the digits an SLO is written with.
            let t = format!("{p:.4}");
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        }),
        budget_minutes: s.budget_minutes.map(sig3),
        budget_share_pct: s.budget_share.map(pct),
        estimated: s.estimated.unwrap_or(false),
        flags,
    }
}

/// Computes the plan. `check_label` is the tracker's label rule;
/// `combined` says whether one request can add and remove (Jira).
pub fn compute(
    inputs: Inputs,
    settings: &WritebackSettings,
    check_label: &dyn Fn(&str) -> Result<(), String>,
    combined: bool,
) -> Plan {
    let prefix = settings.label_prefix.as_str();
    let lower_prefix = prefix.to_lowercase();
    let managed = |l: &str| l.to_lowercase().starts_with(&lower_prefix);
    let mut desired: BTreeMap<String, Vec<Desired>> = BTreeMap::new();
    for f in inputs.flags {
        if !settings.flag_on(&f.flag) {
            continue;
        }
        desired.entry(f.key).or_default().push(Desired {
            label: format!("{prefix}{}", f.label),
            value_key: f.value_key,
            reason: f.reason,
        });
    }
    let keys: BTreeSet<&str> = inputs.items.iter().map(|i| i.key.as_str()).collect();
    for v in inputs.vague {
        if v.rule != "vague_title" || !keys.contains(v.key.as_str()) {
            continue;
        }
        let detail = v.detail.unwrap_or_default();
        // The reason is recur's own wording, never the title's text: what
        // a tracker's user typed does not come out under recur's name.
        let why = if detail.starts_with("fewer than") {
            "it has fewer than three words"
        } else if detail.starts_with("starts with") {
            "it starts with a wish or an inquiry"
        } else {
            "its first word is not an action verb"
        };
        desired.entry(v.key).or_default().push(Desired {
            label: format!("{prefix}vague"),
            value_key: detail,
            reason: format!("the title does not name an action: {why} (lint rule vague_title)"),
        });
    }
    let summaries: HashMap<&str, &SummaryRow> = inputs
        .summaries
        .iter()
        .map(|s| (s.key.as_str(), s))
        .collect();
    let mut records: HashMap<(&str, String), &LabelRec> = HashMap::new();
    for r in &inputs.records {
        records.insert((r.key.as_str(), r.label.to_lowercase()), r);
    }
    let comments: HashMap<&str, &CommentRec> = inputs
        .comments
        .iter()
        .map(|c| (c.key.as_str(), c))
        .collect();

    let reviews: HashMap<&str, NaiveDate> = inputs
        .reviews
        .iter()
        .map(|r| (r.key.as_str(), r.reviewed_on))
        .collect();

    let mut plan = Plan::default();
    for item in &inputs.items {
        let key = item.key.as_str();
        let current = item.labels.clone().unwrap_or_default();
        plan.labels_now.insert(item.key.clone(), current.clone());
        let present: BTreeSet<String> = current
            .iter()
            .filter(|l| managed(l))
            .map(|l| l.to_lowercase())
            .collect();
        let mut wanted = if item.tracking == "tracked" && item.state == "open" {
            desired.remove(key).unwrap_or_default()
        } else {
            Vec::new()
        };
        wanted.sort_by(|a, b| a.label.cmp(&b.label));
        wanted.dedup_by(|a, b| a.label.eq_ignore_ascii_case(&b.label));
        if let Some(bad) = wanted.iter().find_map(|d| check_label(&d.label).err()) {
            plan.invalid.push((item.key.clone(), bad));
            continue;
        }
        let summary = summaries.get(key).copied();
        let rank = priority_rank(summary.and_then(|s| s.priority.as_deref()));
        let mut add: Vec<(String, String)> = Vec::new();
        let mut flags: Vec<FlagLine> = Vec::new();
        for d in &wanted {
            let lk = d.label.to_lowercase();
            let rec = records.get(&(key, lk.clone()));
            let mut suppressed = false;
            if present.contains(&lk) {
                if rec.is_none_or(|r| r.value_key != d.value_key) {
                    plan.records.push(LabelRecord {
                        key: item.key.clone(),
                        label: d.label.clone(),
                        value_key: d.value_key.clone(),
                        state: "applied",
                    });
                }
            } else if rec.is_some_and(|r| r.value_key == d.value_key) {
                // recur put it there for this very value, a sync since
                // then saw it gone: a person removed it.
                suppressed = true;
                plan.suppressed.push((item.key.clone(), d.label.clone()));
                plan.records.push(LabelRecord {
                    key: item.key.clone(),
                    label: d.label.clone(),
                    value_key: d.value_key.clone(),
                    state: "suppressed",
                });
            } else {
                add.push((d.label.clone(), d.value_key.clone()));
            }
            flags.push(FlagLine {
                label: d.label.clone(),
                reason: d.reason.clone(),
                suppressed,
            });
        }
        let wanted_lower: BTreeSet<String> =
            wanted.iter().map(|d| d.label.to_lowercase()).collect();
        let remove: Vec<String> = current
            .iter()
            .filter(|l| managed(l) && !wanted_lower.contains(&l.to_lowercase()))
            .cloned()
            .collect();
        for r in inputs.records.iter().filter(|r| r.key == key) {
            let lk = r.label.to_lowercase();
            if !wanted_lower.contains(&lk) && !present.contains(&lk) {
                plan.dropped.push((item.key.clone(), r.label.clone()));
            }
        }
        let reason_for = |labels: &[String]| -> String {
            labels
                .iter()
                .map(|l| {
                    wanted
                        .iter()
                        .find(|d| &d.label == l)
                        .map(|d| format!("{l}: {}", d.reason))
                        .unwrap_or_else(|| format!("{l}: no longer applies"))
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mut seq = 0u8;
        let mut push = |plan: &mut Plan, kind: OpKind, reason: String| {
            plan.ops.push(PlannedOp {
                key: item.key.clone(),
                kind,
                reason,
                rank: (rank, item.key.clone(), seq),
            });
            seq += 1;
        };
        // A review recorded in recur, not yet in the tracker: first, so the
        // stale-review label and the summary that follow agree with it.
        if let Some(date) = reviews.get(key) {
            push(
                &mut plan,
                OpKind::LastReviewed { date: *date },
                format!("reviewed on {date} (recorded with `recur review record`)"),
            );
        }
        if combined {
            if !add.is_empty() || !remove.is_empty() {
                let labels: Vec<String> = add
                    .iter()
                    .map(|(l, _)| l.clone())
                    .chain(remove.iter().cloned())
                    .collect();
                push(
                    &mut plan,
                    OpKind::Labels {
                        add: add.clone(),
                        remove: remove.clone(),
                    },
                    reason_for(&labels),
                );
            }
        } else {
            if !add.is_empty() {
                let labels: Vec<String> = add.iter().map(|(l, _)| l.clone()).collect();
                push(
                    &mut plan,
                    OpKind::Labels {
                        add: add.clone(),
                        remove: Vec::new(),
                    },
                    reason_for(&labels),
                );
            }
            for r in &remove {
                push(
                    &mut plan,
                    OpKind::Labels {
                        add: Vec::new(),
                        remove: vec![r.clone()],
                    },
                    reason_for(std::slice::from_ref(r)),
                );
            }
        }
        if !settings.comments {
            continue;
        }
        let record = comments.get(key).copied();
        if wanted.is_empty() && record.is_none() {
            continue;
        }
        let state = state_of(item, summary, flags);
        let prev: Option<Box<SummaryState>> =
            record.and_then(|r| serde_json::from_str(&r.state_json).ok());
        if prev.as_deref().is_some_and(|p| p == &state) {
            continue;
        }
        let reason = match &prev {
            None => "first summary for a flagged item".to_string(),
            Some(_) if !state.flagged() => "no longer flagged: say so".to_string(),
            Some(_) => "the summary changed".to_string(),
        };
        push(
            &mut plan,
            OpKind::Comment {
                comment_id: record.map(|r| r.comment_id.clone()),
                state: Box::new(state),
                prev,
            },
            reason,
        );
    }
    plan.ops.sort_by(|a, b| a.rank.cmp(&b.rank));
    plan
}
