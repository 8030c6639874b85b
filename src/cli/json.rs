//! The JSON documents of `--format json` on `sync`, `score`, `status` and
//! `writeback`: one struct per shape, filled field by field from what the
//! use cases report, so that renaming a field inside recur cannot rename
//! one here. The shapes are documented in the README ("JSON output") and
//! pinned by `tests/fixtures/json_shapes/` (one test per shape): a field
//! renamed, dropped or retyped fails a test. New fields are added, never
//! renamed.
//!
//! Every document is one JSON object (never a bare array), so a field can be
//! added beside the existing ones later. A new command's JSON (a `check`,
//! say) adds its struct here, writes it with [`emit`], and adds a shape
//! file and a test calling `json_shapes::assert_shape`.

use std::io::Write;

use serde::Serialize;

use crate::app::Error;
use crate::settings::{ConfigLocation, ConfigOrigin};

/// Writes `doc` to stdout: one pretty-printed JSON document and a newline.
pub(super) fn emit<T: Serialize>(doc: &T) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, doc).map_err(|e| Error::Runtime(e.to_string()))?;
    writeln!(out)?;
    Ok(())
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

// ------------------------------------------------------------------- sync

/// `recur sync --format json`.
#[derive(Debug, Serialize)]
pub(super) struct SyncDoc {
    sources: Vec<SyncSource>,
}

#[derive(Debug, Serialize)]
struct SyncSource {
    source: String,
    run_id: i64,
    containers: u64,
    items_seen: u64,
    items_upserted: u64,
    gone: u64,
    reconciled: bool,
    api_requests: u64,
    not_modified: u64,
    pull_requests: u64,
    malformed: u64,
    retries: u64,
    waited_ms: u64,
    /// `null` when no history backfill ran for the source.
    backfill: Option<BackfillDoc>,
}

#[derive(Debug, Serialize)]
struct BackfillDoc {
    items: u64,
    versions: u64,
    events: u64,
    requests: u64,
    minimum_requests: u64,
    remaining: u64,
    containers: Vec<BackfillContainer>,
}

#[derive(Debug, Serialize)]
struct BackfillContainer {
    container: String,
    strategy: String,
    estimate_per_item: u64,
    estimate_container: Option<u64>,
}

impl SyncDoc {
    /// Each synced source with its backfill report, when one ran.
    pub(super) fn new(
        synced: &[crate::sync::SyncReport],
        backfilled: &[crate::backfill::BackfillReport],
    ) -> Self {
        let sources = synced
            .iter()
            .map(|r| SyncSource {
                source: r.source.clone(),
                run_id: r.run_id,
                containers: r.containers as u64,
                items_seen: r.stats.items_seen,
                items_upserted: r.stats.items_upserted,
                gone: r.gone,
                reconciled: r.reconciled,
                api_requests: r.stats.api_requests,
                not_modified: r.stats.not_modified,
                pull_requests: r.stats.pull_requests,
                malformed: r.stats.malformed,
                retries: r.stats.retries,
                waited_ms: r.stats.waited_ms,
                backfill: backfilled
                    .iter()
                    .find(|b| b.source == r.source)
                    .map(|b| BackfillDoc {
                        items: b.items,
                        versions: b.versions,
                        events: b.events,
                        requests: b.requests,
                        minimum_requests: b.minimum_requests,
                        remaining: b.remaining,
                        containers: b
                            .strategies
                            .iter()
                            .map(|s| BackfillContainer {
                                container: s.container.clone(),
                                strategy: s.strategy.clone(),
                                estimate_per_item: s.estimate_per_item,
                                estimate_container: s.estimate_container,
                            })
                            .collect(),
                    }),
            })
            .collect();
        SyncDoc { sources }
    }
}

// ------------------------------------------------------------------ score

/// `recur score --format json`.
#[derive(Debug, Serialize)]
pub(super) struct ScoreDoc {
    run: ScoreRun,
    /// Month ends scored from history first (oldest first; often none).
    past: Vec<ScoreRun>,
}

#[derive(Debug, Serialize)]
struct ScoreRun {
    run_id: i64,
    scored_at: String,
    risks: u64,
    active: u64,
    priorities: Priorities,
    without_cost: u64,
    inversions: u64,
    reversals: u64,
    estimated: u64,
}

#[derive(Debug, Serialize)]
#[allow(non_snake_case)]
struct Priorities {
    P0: u64,
    P1: u64,
    P2: u64,
    P3: u64,
}

impl From<&crate::scoring::ScoreSummary> for ScoreRun {
    fn from(s: &crate::scoring::ScoreSummary) -> Self {
        let [p0, p1, p2, p3] = s.priorities.map(|n| n as u64);
        ScoreRun {
            run_id: s.run_id,
            scored_at: time(s.scored_at),
            risks: s.risks as u64,
            active: s.active as u64,
            priorities: Priorities {
                P0: p0,
                P1: p1,
                P2: p2,
                P3: p3,
            },
            without_cost: s.without_cost as u64,
            inversions: s.inversions as u64,
            reversals: s.reversals as u64,
            estimated: s.estimated as u64,
        }
    }
}

impl ScoreDoc {
    pub(super) fn new(
        past: &[crate::scoring::ScoreSummary],
        run: &crate::scoring::ScoreSummary,
    ) -> Self {
        ScoreDoc {
            run: run.into(),
            past: past.iter().map(Into::into).collect(),
        }
    }
}

// ----------------------------------------------------------------- status

/// `recur status --format json`.
#[derive(Debug, Serialize)]
pub(super) struct StatusDoc {
    config: ConfigDoc,
    database: String,
    sources: Vec<StatusSource>,
}

#[derive(Debug, Serialize)]
struct ConfigDoc {
    /// `null` when no file was found.
    path: Option<String>,
    found_by: ConfigOrigin,
}

#[derive(Debug, Serialize)]
struct StatusSource {
    source: String,
    last_sync: Option<String>,
    last_status: Option<String>,
    items_tracked: Option<i64>,
    items_other: Option<i64>,
    api_requests: Option<i64>,
    rate_limit_remaining: Option<i64>,
    rate_limit: Option<i64>,
    rate_limit_reset: Option<String>,
    last_error: Option<String>,
}

impl StatusDoc {
    /// Every configured source, with its stored state when it has one.
    pub(super) fn new(
        location: &ConfigLocation,
        settings: &crate::settings::Settings,
        rows: &[crate::store::SourceStatus],
    ) -> Self {
        let sources = settings
            .sources
            .iter()
            .map(|s| {
                let st = rows.iter().find(|r| r.source == s.name);
                StatusSource {
                    source: s.name.clone(),
                    last_sync: st.and_then(|r| r.last_success_at).map(time),
                    last_status: st.and_then(|r| r.last_status.clone()),
                    items_tracked: st.map(|r| r.items_tracked),
                    items_other: st.map(|r| r.items_other),
                    api_requests: st.map(|r| r.last_api_requests),
                    rate_limit_remaining: st.and_then(|r| r.rate_remaining),
                    rate_limit: st.and_then(|r| r.rate_limit),
                    rate_limit_reset: st.and_then(|r| r.rate_reset).map(time),
                    last_error: st.and_then(|r| r.last_error.clone()),
                }
            })
            .collect();
        StatusDoc {
            config: ConfigDoc {
                path: location.path.as_ref().map(|p| p.display().to_string()),
                found_by: location.origin,
            },
            database: settings.store_path.display().to_string(),
            sources,
        }
    }
}

// -------------------------------------------------------------- writeback

/// `recur writeback [--dry-run] --format json`.
#[derive(Debug, Serialize)]
pub(super) struct WritebackDoc {
    dry_run: bool,
    sources: Vec<WritebackSource>,
}

#[derive(Debug, Serialize)]
struct WritebackSource {
    source: String,
    /// `null` for a dry run.
    run_id: Option<i64>,
    counts: Counts,
    operations: Vec<Operation>,
    suppressed: Vec<Suppressed>,
    invalid: Vec<Invalid>,
}

#[derive(Debug, Serialize)]
struct Counts {
    planned: u64,
    applied: u64,
    failed: u64,
    skipped: u64,
    deferred: u64,
    requests: u64,
    writes: u64,
    retries: u64,
    waited_ms: u64,
}

#[derive(Debug, Serialize)]
struct Operation {
    key: String,
    op: String,
    change: String,
    reason: String,
    state: String,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Suppressed {
    key: String,
    label: String,
}

#[derive(Debug, Serialize)]
struct Invalid {
    key: String,
    reason: String,
}

impl WritebackDoc {
    pub(super) fn new(reports: &[crate::writeback::WritebackReport], dry_run: bool) -> Self {
        let sources = reports
            .iter()
            .map(|r| {
                let c = r.counts;
                WritebackSource {
                    source: r.source.clone(),
                    run_id: r.run_id,
                    counts: Counts {
                        planned: c.planned,
                        applied: c.applied,
                        failed: c.failed,
                        skipped: c.skipped,
                        deferred: c.deferred,
                        requests: c.requests,
                        writes: c.writes,
                        retries: c.retries,
                        waited_ms: c.waited_ms,
                    },
                    operations: r
                        .rows
                        .iter()
                        .map(|row| Operation {
                            key: row.key.clone(),
                            op: row.op.clone(),
                            change: row.change.clone(),
                            reason: row.reason.clone(),
                            state: row.state.clone(),
                            error: row.error.clone(),
                        })
                        .collect(),
                    suppressed: r
                        .suppressed
                        .iter()
                        .map(|(key, label)| Suppressed {
                            key: key.clone(),
                            label: label.clone(),
                        })
                        .collect(),
                    invalid: r
                        .invalid
                        .iter()
                        .map(|(key, reason)| Invalid {
                            key: key.clone(),
                            reason: reason.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        WritebackDoc { dry_run, sources }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source configured but never synced is listed with nulls, not left
    /// out, and the config says how it was found.
    #[test]
    fn status_lists_unsynced_sources_with_nulls() {
        let settings = crate::settings::Settings::from_toml(
            "[sources.gh]\nkind = \"github\"\nanonymous = true\nrepos = [\"a/b\"]\nrisk_labels = [\"risk\"]\n",
        )
        .unwrap();
        let location = ConfigLocation {
            path: None,
            origin: ConfigOrigin::Defaults,
        };
        let v = serde_json::to_value(StatusDoc::new(&location, &settings, &[])).unwrap();
        assert_eq!(v["config"]["path"], serde_json::Value::Null);
        assert_eq!(v["config"]["found_by"], "defaults");
        assert_eq!(v["sources"][0]["source"], "gh");
        assert!(v["sources"][0]["items_tracked"].is_null());
    }
}
