//! `bench_reports`: generates a large synthetic backlog in an in-memory
//! store (one `INSERT … SELECT` from `range()` per table) and times every
//! report, section by section. Figures, not pass/fail.

use std::time::Instant;

use chrono::NaiveDate;
use duckdb::types::Value;

use super::{
    bind_values, run_into, written, Renderer, ReportError, ReportFormat, ReportParams, BUILTINS,
};
use crate::store::{OpenMode, RowSink, Store, StoreError};

/// Action items over two years (2024-07-01 .. 2026-06-30), 200 services,
/// 40 teams; 60 % closed (done, declined, closed), 2 % untracked, 5 % of
/// the open ones blocked; 80 % linked to one of 20,000 risks. `$1` = how many.
const GEN_ACTION_ITEMS: &str = r#"INSERT INTO items (source, key, kind, tracking, container, number, title, state, status, owner, priority,
    service, team, incident_ref, risk_ref, item_type, effect, target_date, risk_rationale, evidence,
    blocked_by, theme, created_at, updated_at, closed_at, content_hash, raw, first_seen_at, last_synced_at)
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
       'acme/ops#' || (100000 + (h >> 36) % 20000),
       CASE WHEN (h >> 40) % 5 = 0 THEN NULL ELSE 'acme/ops#' || ((h >> 44) % 20000) END,
       t[1], t[2],
       CASE WHEN (h >> 48) % 5 < 3 THEN created::DATE + ((h >> 52) % 120)::INTEGER END,
       CASE WHEN (h >> 56) % 10 < 7 THEN 'reduces risk' END,
       CASE WHEN closed AND (h >> 58) % 2 = 0 THEN 'PR merged' END,
       CASE WHEN NOT closed AND (h >> 16) % 20 = 0 THEN 'acme/platform#' || ((h >> 20) % 50) END,
       'theme' || ((h >> 59) % 12),
       created, coalesce(closed_at, created) + INTERVAL 3 DAY, closed_at, 'x', '{}', created, created
FROM (
    SELECT i, h, created, closed,
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

/// Incidents (`$1` = how many) over the same two years, 70 % linked to a risk.
const GEN_INCIDENTS: &str = r#"INSERT INTO items (source, key, kind, tracking, container, number, title, state, service, risk_ref, started_at,
    created_at, updated_at, closed_at, content_hash, raw, first_seen_at, last_synced_at)
SELECT 'gh', 'acme/ops#' || (100000 + j), 'incident', 'tracked', 'acme/ops', 100000 + j, 'Incident ' || j,
       CASE WHEN j % 10 = 0 THEN 'open' ELSE 'closed' END, 'svc' || (j % 200),
       CASE WHEN hash(j, 3) % 10 < 7 THEN 'acme/ops#' || (hash(j, 4) % 20000) END,
       s, s, s + INTERVAL 6 DAY, CASE WHEN j % 10 <> 0 THEN s + INTERVAL 5 DAY END, 'x', '{}', s, s
FROM (SELECT j, TIMESTAMP '2024-07-01' + to_days((hash(j, 5) % 730)::INTEGER) AS s FROM range($1::BIGINT) r(j))"#;

/// 20,000 risks.
const GEN_RISKS: &str = r#"INSERT INTO items (source, key, kind, tracking, container, number, title, state, service,
    created_at, updated_at, content_hash, raw, first_seen_at, last_synced_at)
SELECT 'gh', 'acme/ops#' || k, 'risk', 'tracked', 'acme/ops', k, 'Risk ' || k, 'open', 'svc' || (k % 200),
       TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01', 'x', '{}', TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01'
FROM range(20000) r(k)"#;

/// `$1` versions per action item in item_history. Open items spread them
/// over their life; closed items get all but two before closing, one at the
/// close and one a day after it. One item in 25 was closed and reopened
/// early on (its fourth version is closed).
const GEN_HISTORY: &str = r#"INSERT INTO item_history (source, key, kind, tracking, container, title, state, status, owner, priority, service,
    team, incident_ref, risk_ref, item_type, effect, target_date, blocked_by, evidence, created_at, updated_at,
    closed_at, content_hash, valid_from, valid_to, recorded_at, risk_rationale, theme)
SELECT source, key, kind, tracking, container, title,
       CASE WHEN is_closed THEN 'closed' ELSE 'open' END,
       CASE WHEN is_closed THEN status WHEN blocked_by IS NOT NULL THEN 'blocked' ELSE 'accepted' END,
       owner, priority, service, team, incident_ref, risk_ref, item_type, effect, target_date,
       blocked_by, evidence, created_at, vf, CASE WHEN is_closed THEN coalesce(CASE WHEN v < $1::BIGINT - 2 THEN vf END, closed_at::TIMESTAMP) END,
       'x', vf, lead(vf) OVER (PARTITION BY key ORDER BY v), vf, risk_rationale, theme
FROM (
    SELECT a.*, v.v, (closed_at IS NOT NULL AND v.v >= n - 2) OR (hash(a.key) % 25 = 0 AND v.v = 3) AS is_closed,
           CASE WHEN a.closed_at IS NULL THEN a.created_at::TIMESTAMP + (TIMESTAMP '2026-07-01' - a.created_at::TIMESTAMP) * (v.v / n)
                WHEN v.v < n - 2 THEN a.created_at::TIMESTAMP + (a.closed_at::TIMESTAMP - a.created_at::TIMESTAMP) * (v.v / (n - 2))
                WHEN v.v = n - 2 THEN a.closed_at::TIMESTAMP
                ELSE a.closed_at::TIMESTAMP + INTERVAL 1 DAY END AS vf
    FROM items a, range($1::BIGINT) v(v), (SELECT $1::DOUBLE AS n)
    WHERE a.kind = 'action_item'
)"#;

/// One version for each incident and risk, from its creation; then where
/// every item's history starts.
const GEN_OTHER_HISTORY: &str = r#"INSERT INTO item_history BY NAME
SELECT * EXCLUDE (number, external_id, url, body, sections, links, problems, raw, first_seen_at,
                  last_synced_at, activity_at, history_from),
       created_at AS valid_from, created_at AS recorded_at
FROM items WHERE kind IN ('incident', 'risk');
UPDATE items SET history_from = m.first
FROM (SELECT source, key, min(valid_from) AS first FROM item_history GROUP BY ALL) m
WHERE m.source = items.source AND m.key = items.key"#;

/// Generates `items` action items (with `items / 50` incidents and 20,000
/// risks) and about `history` history rows (`history / items` versions per
/// item) in a database file under the memory limit a user's database gets,
/// runs every built-in report as of 2026-06-30 and prints each report's
/// time, with its sections' times and row counts, and the peak RSS. Times
/// include turning rows into JSON values, as `recur report` does. Returns
/// each report's time in ms, for the bench table (which adds the peak RSS).
pub async fn bench_reports(
    items: usize,
    history: usize,
) -> Result<Vec<(String, f64)>, ReportError> {
    let dir = std::env::temp_dir().join(format!("recur-bench-reports-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| {
        ReportError::Query(StoreError::Corrupt {
            what: format!("bench directory {}", dir.display()),
            detail: e.to_string(),
        })
    })?;
    let store = Store::open(
        &dir.join("bench.duckdb"),
        OpenMode::ReadWrite,
        crate::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await?;
    let versions = (history / items.max(1)).max(1);
    let t = Instant::now();
    let steps: [(&str, &str, Option<usize>); 4] = [
        ("generate action items", GEN_ACTION_ITEMS, Some(items)),
        ("generate incidents", GEN_INCIDENTS, Some(items / 50)),
        ("generate risks", GEN_RISKS, None),
        ("generate history", GEN_HISTORY, Some(versions)),
    ];
    for (what, sql, n) in steps {
        let params = n.map(|n| vec![Value::BigInt(n as i64)]).unwrap_or_default();
        store.query(what, sql, params).await?;
    }
    store
        .execute_batch("generate incident and risk history", GEN_OTHER_HISTORY)
        .await?;
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
    for b in BUILTINS {
        // Timed as `recur report NAME --format json` answers: rendered as
        // the rows are read.
        let t = Instant::now();
        let out =
            Renderer::new(std::io::sink(), b.name, ReportFormat::Json).map_err(written(b.name))?;
        run_into(&store, b.name, &params, None, out)
            .await?
            .finish()
            .map_err(written(b.name))?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
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
