//! `bench_reports`: generates a large synthetic backlog in an in-memory
//! store (one `INSERT … SELECT` from `range()` per table) and times every
//! report, section by section. Figures, not pass/fail.

use std::time::Instant;

use chrono::NaiveDate;
use duckdb::types::Value;

use super::{
    bind_values, run_into, written, Renderer, ReportError, ReportFormat, ReportParams, BUILTINS,
    RISK_REPORTS,
};
use crate::store::{OpenMode, RowSink, Store, StoreError};

/// Action items over two years (2024-07-01 .. 2026-06-30), 200 services,
/// 40 teams; 60 % closed (done, declined, closed), 2 % untracked, 5 % of
/// the open ones blocked; 80 % linked to one of the `$2` risks; each the
/// follow-up of one of the `$2` incidents, but never of one in ten
/// incidents (see [`GEN_INCIDENTS`]); an effort estimate on nine in ten
/// (half of them small, for quarterly `promote`). `$1` = how many.
const GEN_ACTION_ITEMS: &str = r#"INSERT INTO items (source, key, kind, tracking, container, number, title, state, status, owner, priority,
    service, team, incident_ref, risk_ref, item_type, effect, target_date, risk_rationale, evidence,
    blocked_by, theme, effort, created_at, updated_at, closed_at, content_hash, raw, first_seen_at, last_synced_at)
SELECT 'gh', 'acme/svc' || (i % 200) || '#' || i, 'action_item',
       CASE WHEN h % 50 = 0 THEN 'untracked' ELSE 'tracked' END,
       'acme/svc' || (i % 200), i,
       ['Add alert on ', 'Improve ', 'Fix retry in ', 'Document ', 'Investigate ', 'Upgrade '][(h >> 8) % 6 + 1]
           || 'component ' || ((h >> 12) % 3000),
       CASE WHEN closed THEN 'closed' ELSE 'open' END,
       CASE WHEN closed THEN ['done', 'done', 'done', 'declined', 'closed'][(h >> 16) % 5 + 1]
            WHEN (h >> 16) % 20 = 0 THEN 'blocked' ELSE 'accepted' END,
       CASE WHEN (h >> 20) % 10 = 0 THEN NULL ELSE 'user' || ((h >> 24) % 3000) END,
       ['critical', 'high', 'medium', 'low', NULL, 'P2'][(h >> 28) % 6 + 1],
       CASE WHEN (h >> 32) % 20 = 0 THEN NULL ELSE 'svc' || (i % 200) END,
       'team' || (i % 40),
       'acme/ops#' || (100000 + m - (m % 10 = 9)::INTEGER),
       CASE WHEN (h >> 40) % 5 = 0 THEN NULL ELSE 'acme/ops#' || ((h >> 44) % $2::BIGINT) END,
       t[1], t[2],
       CASE WHEN (h >> 48) % 5 < 3 THEN created::DATE + ((h >> 52) % 120)::INTEGER END,
       CASE WHEN (h >> 56) % 10 < 7 THEN 'reduces risk' END,
       CASE WHEN closed AND (h >> 58) % 2 = 0 THEN 'PR merged' END,
       CASE WHEN NOT closed AND (h >> 16) % 20 = 0 THEN 'acme/platform#' || ((h >> 20) % 50) END,
       'theme' || ((h >> 59) % 12),
       ['XS', 'S', 'S', '6h', '2d', 'M', 'M', 'L', 'XL', NULL][(hash(i, 6) % 10)::INTEGER + 1],
       created, coalesce(closed_at, created) + INTERVAL 3 DAY, closed_at, 'x', '{}', created, created
FROM (
    SELECT i, h, created, closed, (h >> 36) % $2::BIGINT AS m,
           CASE WHEN closed THEN created + to_days(((h >> 4) % 200)::INTEGER) END AS closed_at,
           [['alerting', 'detection'], ['bug fix', 'prevention'], ['runbook', 'recovery'],
            ['failover', 'mitigation'], ['documentation', 'learning']][(h >> 30) % 5 + 1] AS t
    FROM (
        SELECT i, (hash(i) >> 1)::BIGINT AS h,
               TIMESTAMP '2024-07-01' + to_days((hash(i) % 730)::INTEGER) + to_seconds((hash(i, 1) % 86400)::BIGINT) AS created,
               hash(i, 2) % 10 < 6 AS closed
        FROM range($1::BIGINT) r(i)
    )
)"#;

/// Incidents (`$1` = how many) over the same two years, with a severity
/// (SEV1 5 %, SEV2 15 %, …; none on 10 %). One in ten has no follow-up
/// action item and no risk: a postmortem whose lessons were never written
/// down (followups `gaps`). Of the rest, 80 % link a risk.
const GEN_INCIDENTS: &str = r#"INSERT INTO items (source, key, kind, tracking, container, number, title, state, service, risk_ref, started_at,
    severity, created_at, updated_at, closed_at, content_hash, raw, first_seen_at, last_synced_at)
SELECT 'gh', 'acme/ops#' || (100000 + j), 'incident', 'tracked', 'acme/ops', 100000 + j, 'Incident ' || j,
       CASE WHEN j % 10 = 0 THEN 'open' ELSE 'closed' END, 'svc' || (j % 200),
       CASE WHEN j % 10 <> 9 AND hash(j, 3) % 10 < 8 THEN 'acme/ops#' || (hash(j, 4) % $1::BIGINT) END,
       s,
       CASE WHEN hash(j, 6) % 20 = 0 THEN 'SEV1' WHEN hash(j, 6) % 20 < 4 THEN 'SEV2'
            WHEN hash(j, 6) % 20 < 12 THEN 'SEV3' WHEN hash(j, 6) % 20 < 18 THEN 'SEV4' END,
       s, s + INTERVAL 6 DAY, CASE WHEN j % 10 <> 0 THEN s + INTERVAL 5 DAY END, 'x', '{}', s, s
FROM (SELECT j, TIMESTAMP '2024-07-01' + to_days((hash(j, 5) % 730)::INTEGER) AS s FROM range($1::BIGINT) r(j))"#;

/// Risks (`$1` = how many, as many as incidents), one in ten mitigated (no
/// longer active).
const GEN_RISKS: &str = r#"INSERT INTO items (source, key, kind, tracking, container, number, title, state, status, service,
    created_at, updated_at, content_hash, raw, first_seen_at, last_synced_at)
SELECT 'gh', 'acme/ops#' || k, 'risk', 'tracked', 'acme/ops', k, 'Risk ' || k, 'open',
       CASE WHEN hash(k, 10) % 10 = 0 THEN 'mitigated' END, 'svc' || (k % 200),
       TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01', 'x', '{}', TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01'
FROM range($1::BIGINT) r(k)"#;

/// `$1` versions per action item in item_history. Open items spread them
/// over their life (see [`GEN_VERSION_START`]); closed items get all but two before closing, one at the
/// close and one a day after it. One item in 25 was closed and reopened
/// early on (its fourth version is closed). One in five moved its target
/// date later: 6 weeks earlier in its first version, 4 in its second, 2 in
/// its third, three moves (without moves, `deferred` answered no rows and
/// its figure flattered it). A version ends where the next
/// begins ([`GEN_VERSION_START`] of the next one). Incidents and risks get
/// one version each, from their creation.
///
/// Written oldest version first (the versions starting from `$2` up to
/// `$3`, one statement a month), as a running sync records new versions:
/// each sync appends the versions that changed since the last one, so an
/// item's versions lie far apart in the file. A running sync moves a
/// version into `history_closed` when it closes, so there a daemon's file
/// is in order of `valid_to`, which lets an as-of read skip row groups by
/// their `valid_to` range; a store whose past came from `recur backfill`
/// has it item by item, each row group spanning years of `valid_to`, as
/// here. This layout is the harder of the two: with `history_closed`
/// re-sorted by `valid_to` (by python duckdb; then `recur report`,
/// release, two alternating runs each, 2026-12-06) lint, followups,
/// trends, monthly and quarterly ran 5-20 % faster, repeats the same.
/// Generated item by item instead (the
/// layout before 2026-12-04, night), every version of an item sat in one
/// place, which flattered each query that groups the history by item:
/// quarterly `chronic` 2.1 s there against 4.3 s in time order, trends
/// `flow` 0.9 against 2.5 s (python duckdb, 512MB, the same rows). One
/// statement sorting all of them ran out of memory at 512MB.
const GEN_HISTORY: &str = r#"INSERT INTO history_closed BY NAME
SELECT * FROM (
    SELECT source, key, kind, tracking, container, title,
           CASE WHEN is_closed THEN 'closed' ELSE 'open' END AS state,
           CASE WHEN is_closed THEN status WHEN blocked_by IS NOT NULL THEN 'blocked' ELSE 'accepted' END AS status,
           owner, priority, service, team, incident_ref, risk_ref, item_type, effect, target_v AS target_date,
           blocked_by, evidence, created_at, vf AS updated_at,
           CASE WHEN is_closed THEN coalesce(CASE WHEN v < $1::BIGINT - 2 THEN vf END, closed_at::TIMESTAMP) END AS closed_at,
           'x' AS content_hash, vf AS valid_from, vt AS valid_to, vf AS recorded_at, risk_rationale, theme, effort,
           item_id
    FROM (
        SELECT a.*, v.v, (closed_at IS NOT NULL AND v.v >= n - 2) OR (hash(a.key) % 25 = 0 AND v.v = 3) AS is_closed,
               -- One item in five moved its target date two weeks later
               -- three times, by its version 3.
               CASE WHEN hash(a.key, 7) % 5 = 0 AND v.v < 3 THEN a.target_date - (3 - v.v)::INTEGER * 14
                    ELSE a.target_date END AS target_v,
               bench_version_start(a.created_at, a.closed_at, abandoned, v.v, n) AS vf,
               CASE WHEN v.v + 1 < n THEN bench_version_start(a.created_at, a.closed_at, abandoned, v.v + 1, n) END AS vt
        FROM (SELECT *, hash(key, 8) % 10 = 0 AS abandoned, rowid + 1 AS item_id FROM items) a,
             range($1::BIGINT) v(v), (SELECT $1::DOUBLE AS n)
        WHERE a.kind = 'action_item'
    )
    WHERE vf >= $2::TIMESTAMP AND vf < $3::TIMESTAMP
    UNION ALL BY NAME
    -- One version for each incident and risk, from its creation.
    SELECT * EXCLUDE (number, external_id, url, body, sections, links, problems, raw, first_seen_at,
                      last_synced_at, activity_at, history_from),
           created_at AS valid_from, created_at AS recorded_at, rowid + 1 AS item_id
    FROM items
    WHERE kind IN ('incident', 'risk')
      AND created_at::TIMESTAMP >= $2::TIMESTAMP AND created_at::TIMESTAMP < $3::TIMESTAMP
)
ORDER BY valid_from, key"#;

/// Where version `v` of `n` of an action item starts (see [`GEN_HISTORY`]).
/// An open item's versions spread from its creation to 2026-07-01, or,
/// when `abandoned` (one in ten), over its first 60 days: untouched since,
/// for quarterly `obsolete`.
const GEN_VERSION_START: &str = r#"CREATE OR REPLACE TEMP MACRO bench_version_start(created, closed, abandoned, v, n) AS
    CASE WHEN closed IS NULL THEN created::TIMESTAMP
             + (CASE WHEN abandoned THEN INTERVAL 60 DAY ELSE TIMESTAMP '2026-07-01' - created::TIMESTAMP END) * (v / n)
         WHEN v < n - 2 THEN created::TIMESTAMP + (closed::TIMESTAMP - created::TIMESTAMP) * (v / (n - 2))
         WHEN v = n - 2 THEN closed::TIMESTAMP
         ELSE closed::TIMESTAMP + INTERVAL 1 DAY END"#;

/// The months [`GEN_HISTORY`] is written in, one statement each: every
/// version starts between 2024-07-01 (the first creation) and 2027-01-18
/// (the last close plus a day); the two ends catch anything else. (By
/// quarter, the sort of a quarter's versions ran out of memory at 512MB.)
fn history_months() -> Vec<String> {
    let mut bounds = vec!["1970-01-01".to_string()];
    for m in 0..31 {
        let (y, mo) = (2024 + (6 + m) / 12, (6 + m) % 12 + 1);
        bounds.push(format!("{y}-{mo:02}-01"));
    }
    bounds.push("2100-01-01".to_string());
    bounds
}

/// A scoring run every week from 2024-07-07 to 2026-06-28 (104), each
/// scoring every risk as `recur score` records it: one row per risk, the
/// run's rows together. Expected bad minutes per year are spread evenly on
/// a log scale from 0.1 to 1,000 (against a budget of 525.96 at 99.9 %:
/// P0 7 %, P1 15 %, P2 17 %, P3 the rest); a third of the risks grow 0.5 %
/// a run, a third shrink as much. Without runs, monthly `risk_reduction`
/// and quarterly `unmoved_top` answered no rows and followups `priority`
/// and quarterly `promote` read no scores: their figures flattered them.
/// (A daemon scoring every 15-minute cycle writes far more runs; a report
/// reads one or a few of them, found by `run_id`, and the rows of one run
/// lie together in the file, so reads cost about the same.)
const GEN_SCORE_RUNS: &str = r#"INSERT INTO score_runs (run_id, scored_at, risks, default_slo, outage_multiplier, settings)
SELECT r + 1, TIMESTAMP '2024-07-07 06:00:00' + to_days((7 * r)::INTEGER),
       (SELECT count(*) FROM items WHERE kind = 'risk'), 0.999, 10.0, '{}'
FROM range(104) t(r)"#;

/// Each run's scores (see [`GEN_SCORE_RUNS`]), from the risks in `items`.
const GEN_SCORE_HISTORY: &str = r#"INSERT INTO score_history BY NAME
SELECT run_id, scored_at, source, key, title, state, status, owner, created_at, active, service,
       0 AS linked_incidents, slo, budget AS budget_minutes,
       bad AS bad_minutes_per_year, bad / budget AS budget_share,
       -- The default [scoring] thresholds: p0 1, p1 0.25, p2 0.05 of the budget.
       CASE WHEN bad >= budget THEN 'P0' WHEN bad >= 0.25 * budget THEN 'P1'
            WHEN bad >= 0.05 * budget THEN 'P2' ELSE 'P3' END AS priority,
       0 AS inversions, false AS inversion,
       0 AS open_action_items, 0 AS done_action_items, 0 AS closed_action_items
FROM (
    SELECT r.run_id, r.scored_at, i.source, i.key, i.title, i.state, i.status, i.owner, i.created_at, i.service,
           -- The budget of 99.9 %: (1 - 0.999) × 525,960 minutes a year.
           r.default_slo AS slo, 525.96 AS budget,
           risk_active(i.state, i.status) AS active,
           power(10, (hash(i.key, 9) % 4000) / 1000.0 - 1)
             * CASE hash(i.key, 11) % 3 WHEN 0 THEN 1 + 0.005 * r.run_id
                                        WHEN 1 THEN 1 / (1 + 0.005 * r.run_id) ELSE 1 END AS bad
    FROM score_runs r, items i
    WHERE i.kind = 'risk'
)
ORDER BY run_id, key"#;

/// Where every item's history starts.
const GEN_HISTORY_FROM: &str = r#"UPDATE items SET history_from = m.first
FROM (SELECT source, key, min(valid_from) AS first FROM item_history GROUP BY ALL) m
WHERE m.source = items.source AND m.key = items.key"#;

/// Generates `items` action items (with `items / 50` incidents, at least
/// 1,000, and as many risks) and about `history` history rows (`history / items` versions per
/// item) in a database file under the memory limit a user's database gets,
/// runs every built-in report and the risk registry and movement as of
/// 2026-06-30 and prints each report's
/// time, with its sections' times and row counts, and the peak RSS. Times
/// include turning rows into JSON values, as `recur report` does. Returns
/// each report's time in ms, for the bench table (which adds the peak RSS).
pub async fn bench_reports(
    items: usize,
    history: usize,
) -> Result<Vec<(String, f64)>, ReportError> {
    let dir = std::env::temp_dir().join(format!("recur-bench-reports-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|source| {
        ReportError::Query(StoreError::Io {
            what: format!("creating the bench directory {}", dir.display()),
            source,
        })
    })?;
    let store = Store::open(
        &dir.join("bench.duckdb"),
        OpenMode::ReadWrite,
        crate::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await?;
    let t = Instant::now();
    generate(&store, items, history).await?;
    // Reports run on a file a finished sync has checkpointed (compressed,
    // with its statistics); the generated rows may still sit in the WAL.
    store.checkpoint().await?;
    let counts = store
        .query(
            "count generated rows",
            "SELECT (SELECT count(*) FROM items WHERE kind = 'action_item') AS items, \
             (SELECT count(*) FROM item_history) AS history",
            Vec::new(),
        )
        .await?;
    println!(
        "generated {} action items and {} history rows in {:.1}s",
        counts.rows[0][0],
        counts.rows[0][1],
        t.elapsed().as_secs_f64()
    );
    let params = ReportParams {
        as_of: NaiveDate::from_ymd_opt(2026, 6, 30),
        ..Default::default()
    };
    let mut total = 0.0;
    let mut times = Vec::new();
    // Timed as `recur report NAME --format json` answers: rendered as the
    // rows are read.
    let time = |name: &'static str| {
        let (store, params) = (&store, &params);
        async move {
            let t = Instant::now();
            let out =
                Renderer::new(std::io::sink(), name, ReportFormat::Json).map_err(written(name))?;
            run_into(store, name, params, None, out)
                .await?
                .finish()
                .map_err(written(name))?;
            Ok::<_, ReportError>(t.elapsed().as_secs_f64() * 1000.0)
        }
    };
    // The registry and its movement read the scoring runs (see
    // [`GEN_SCORE_RUNS`]); their sections are not timed apart.
    for (name, _) in RISK_REPORTS {
        let ms = time(name).await?;
        total += ms;
        times.push((name.to_string(), ms));
        println!("{:<12} {:>7.0} ms", name, ms);
    }
    for b in BUILTINS {
        let ms = time(b.name).await?;
        total += ms;
        times.push((b.name.to_string(), ms));
        if b.sections.len() == 1 {
            let q = crate::queries::get(b.sections[0].1);
            let rows = count_rows(&store, q, &params, b.default_days).await?;
            println!("{:<12} {:>7.0} ms  {} rows", b.name, ms, rows);
            continue;
        }
        println!("{:<12} {:>7.0} ms", b.name, ms);
        // Each section once more on its own, for the breakdown.
        for (name, file) in b.sections {
            let q = crate::queries::get(file);
            let t = Instant::now();
            let rows = count_rows(&store, q, &params, b.default_days).await?;
            println!(
                "  {:<22} {:>7.0} ms  {} rows",
                name,
                t.elapsed().as_secs_f64() * 1000.0,
                rows
            );
        }
    }
    println!("all reports: {total:.0} ms");
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(times)
}

/// Fills `store` with `items` action items (with `items / 50` incidents, at
/// least 1,000, and as many risks) and about `history` history rows, written in time order.
async fn generate(store: &Store, items: usize, history: usize) -> Result<(), ReportError> {
    let versions = (history / items.max(1)).max(1);
    // As many incidents and risks; at least 1,000, so that a small backlog
    // still has incidents in every report's window.
    let incidents = (items / 50).max(1_000) as i64;
    let steps: [(&str, &str, &[i64]); 3] = [
        (
            "generate action items",
            GEN_ACTION_ITEMS,
            &[items as i64, incidents],
        ),
        ("generate incidents", GEN_INCIDENTS, &[incidents]),
        ("generate risks", GEN_RISKS, &[incidents]),
    ];
    for (what, sql, params) in steps {
        let params = params.iter().map(|&n| Value::BigInt(n)).collect();
        store.query(what, sql, params).await?;
    }
    store
        .execute_batch("define the version starts", GEN_VERSION_START)
        .await?;
    for w in history_months().windows(2) {
        let params = vec![
            Value::BigInt(versions as i64),
            Value::Text(w[0].to_string()),
            Value::Text(w[1].to_string()),
        ];
        store.query("generate history", GEN_HISTORY, params).await?;
    }
    // Each item's open version into history_open, in the order written.
    store
        .execute_batch("settle the history", crate::store::SETTLE_HISTORY)
        .await?;
    // Every item its number (migration 0033) is its row's in `items`, one
    // more than its rowid, given as the versions were generated (numbering
    // the 10M versions afterwards ran out of memory at 512MB); the sequence
    // then starts after the last, as if a sync had handed them out.
    let last = store
        .query(
            "last item number",
            "SELECT max(item_id) FROM history_open",
            Vec::new(),
        )
        .await?
        .rows[0][0]
        .as_i64()
        .unwrap_or(0);
    store
        .execute_batch(
            "start the item numbers after the bench's",
            &format!(
                "DROP SEQUENCE item_ids; CREATE SEQUENCE item_ids START {};",
                last + 1
            ),
        )
        .await?;
    // Every version its prior_target (migration 0028), a quarter of the
    // items at a time after a checkpoint: the window over all 10M versions
    // at once, with the generated rows not yet checkpointed, ran out of
    // memory at 512MB.
    store.execute_batch("checkpoint", "CHECKPOINT").await?;
    for part in 0..4 {
        store
            .execute_batch(
                "record the target dates before each version",
                &crate::store::prior_targets_sql(&format!("hash(h.key) % 4 = {part}")),
            )
            .await?;
    }
    store
        .execute_batch("record where histories start", GEN_HISTORY_FROM)
        .await?;
    // The scores last, after a checkpoint: generated before the history,
    // their primary-key index (2M entries) held memory the history's
    // generation needed, and that ran out of memory at 512MB.
    store.execute_batch("checkpoint", "CHECKPOINT").await?;
    store
        .execute_batch("generate score runs", GEN_SCORE_RUNS)
        .await?;
    store
        .execute_batch("generate scores", GEN_SCORE_HISTORY)
        .await?;
    Ok(())
}

/// Runs one query file and counts its rows without keeping them.
async fn count_rows(
    store: &Store,
    q: &crate::queries::QueryFile,
    params: &ReportParams,
    default_days: i64,
) -> Result<usize, ReportError> {
    let values = bind_values(q.name, q.sql, params, default_days)?;
    Ok(store.query_each(q.name, q.sql, values, Count(0)).await?.0)
}

/// A sink that only counts.
struct Count(usize);

impl RowSink for Count {
    fn columns(&mut self, _: &[String]) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, _: &mut Vec<serde_json::Value>) -> std::io::Result<()> {
        self.0 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bench's history is laid out as a running sync records new
    /// versions (see [`GEN_HISTORY`]): oldest version first in the file, incidents' among
    /// action items', every version ending where the item's next one
    /// starts, the last one open.
    #[tokio::test]
    async fn the_generated_history_is_written_oldest_first() {
        let store = Store::open_in_memory().unwrap();
        generate(&store, 2_000, 20_000).await.unwrap();
        let r = store
            .query(
                "check",
                &format!(
                    "WITH h AS (SELECT * FROM item_history WHERE kind = 'action_item'), \
                 o AS (SELECT valid_from < lag(valid_from) OVER (ORDER BY rowid) AS back FROM history_closed \
                       UNION ALL SELECT valid_from < lag(valid_from) OVER (ORDER BY rowid) FROM history_open), \
                 c AS (SELECT valid_to IS DISTINCT FROM lead(valid_from) OVER (PARTITION BY source, key ORDER BY valid_from, valid_to NULLS LAST) AS broken FROM h), \
                 ho AS (SELECT rowid AS r, kind FROM history_open) \
                 SELECT (SELECT count(*) FROM h), (SELECT count(*) FILTER (WHERE back) FROM o), \
                        (SELECT count(*) FILTER (WHERE broken) FROM c), \
                        (SELECT count(DISTINCT key) FROM h), (SELECT count(*) FROM h WHERE valid_to IS NULL), \
                        (SELECT count(*) FROM ho WHERE kind = 'incident' \
                           AND r < (SELECT max(r) FROM ho WHERE kind = 'action_item') \
                           AND r > (SELECT min(r) FROM ho WHERE kind = 'action_item')), \
                        (SELECT count(*) FROM history_open WHERE valid_to IS NOT NULL) \
                          + (SELECT count(*) FROM history_closed WHERE valid_to IS NULL), \
                        ({faults}), \
                        (SELECT nextval('item_ids') > max(item_id) FROM item_history)",
                    faults = crate::store::ITEM_ID_FAULTS
                ),
                Vec::new(),
            )
            .await
            .unwrap();
        let row = &r.rows[0];
        assert_eq!(row[0], 20_000, "ten versions of each of 2,000 items");
        assert_eq!(row[1], 0, "a version written before an older one");
        assert_eq!(row[2], 0, "a version not ending where the next begins");
        assert_eq!(row[3], 2_000);
        assert_eq!(row[4], 2_000, "one open version per item");
        // 1,000 incidents (the least generated), over the same two years:
        // all among the action items' versions but the few before the
        // first or after the last.
        let among = row[5].as_i64().unwrap();
        assert!(
            (990..=1_000).contains(&among),
            "{among} incidents' versions among the action items'"
        );
        assert_eq!(
            row[6], 0,
            "open versions in history_open, closed ones in history_closed"
        );
        assert_eq!(row[7], 0, "a fault in the items' numbers (ITEM_ID_FAULTS)");
        assert_eq!(row[8], true, "the next item number is a new one");
        store.close().await;
    }

    /// Every section of every built-in report has rows to find and render
    /// in the bench's backlog, as on a real one. Six answered none (followups
    /// `gaps` and `priority`, monthly `risk_reduction`, quarterly
    /// `obsolete`, `promote` and `unmoved_top`): no incident lacked
    /// follow-ups, none had a severity, no item an effort, no risk a score
    /// and no open item went untouched; their figures flattered them.
    #[tokio::test]
    async fn the_generated_backlog_gives_every_section_rows() {
        let store = Store::open_in_memory().unwrap();
        generate(&store, 2_000, 20_000).await.unwrap();
        let params = ReportParams {
            as_of: NaiveDate::from_ymd_opt(2026, 6, 30),
            ..Default::default()
        };
        let mut empty = Vec::new();
        for b in BUILTINS {
            for (name, file) in b.sections {
                let q = crate::queries::get(file);
                if count_rows(&store, q, &params, b.default_days)
                    .await
                    .unwrap()
                    == 0
                {
                    empty.push(format!("{} {name}", b.name));
                }
            }
        }
        assert!(empty.is_empty(), "sections without rows: {empty:?}");
        store.close().await;
    }

    /// The bench's deferred work (see [`GEN_HISTORY`]): one action item in
    /// five moved its target date later three times, so `deferred` has
    /// rows to find and render, as on a real backlog. Without them it
    /// answered none, and its figure flattered it.
    #[tokio::test]
    async fn the_generated_backlog_has_deferred_work() {
        let store = Store::open_in_memory().unwrap();
        generate(&store, 2_000, 20_000).await.unwrap();
        let r = store
            .query(
                "moves",
                "SELECT count(*) FILTER (WHERE moves = 3 AND slip_days = 42), count(*) \
                 FROM target_moves(DATE '2027-06-30')",
                Vec::new(),
            )
            .await
            .unwrap();
        let (moved, dated) = (
            r.rows[0][0].as_i64().unwrap(),
            r.rows[0][1].as_i64().unwrap(),
        );
        assert!(
            moved * 6 > dated && moved * 4 < dated,
            "{moved} of {dated} items moved their date"
        );
        let out = crate::reports::run(
            &store,
            "deferred",
            &crate::reports::ReportParams {
                as_of: chrono::NaiveDate::from_ymd_opt(2026, 6, 30),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        let crate::reports::ReportOutput::Rows(rows) = out else {
            panic!("deferred has no sections")
        };
        assert!(rows.rows.len() > 50, "{} rows", rows.rows.len());
        store.close().await;
    }
}
