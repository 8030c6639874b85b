//! The store on its own: migrations, schema versions, views, permissions.

use chrono::{DateTime, NaiveDate, Utc};
use recur::store::{migrate_to, OpenMode, Store, StoreError, MIGRATIONS};

#[tokio::test]
async fn all_migrations_apply_to_an_empty_database_and_views_answer() {
    let store = Store::open_in_memory().unwrap();
    for view in [
        "action_items",
        "incidents",
        "risks",
        "sync_runs",
        "parse_problems",
    ] {
        let r = store
            .query(view, &format!("SELECT * FROM {view}"), vec![])
            .await
            .unwrap();
        assert!(r.rows.is_empty(), "{view}");
        assert!(!r.columns.is_empty(), "{view} has columns");
    }
    let r = store
        .query("cols", "SELECT * FROM risks LIMIT 0", vec![])
        .await
        .unwrap();
    for col in [
        "source",
        "key",
        "url",
        "title",
        "body",
        "state",
        "status",
        "tracking",
        "labels",
        "owner",
        "priority",
        "service",
        "team",
        "created_at",
        "updated_at",
        "closed_at",
        "impact",
        "scope",
        "likelihood",
        "ttd_minutes",
        "ttr_minutes",
        "users_pct",
        "occurrences_per_year",
        "days_between_failures",
        "slo",
        "last_reviewed_at",
    ] {
        assert!(r.columns.iter().any(|c| c == col), "risks.{col}");
    }
    let r = store
        .query("v", "SELECT max(version) FROM schema_migrations", vec![])
        .await
        .unwrap();
    assert_eq!(r.rows[0][0], MIGRATIONS.len() as i64);
    store.close().await;
}

#[tokio::test]
async fn a_database_from_a_newer_recur_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("n.duckdb");
    {
        let conn = duckdb::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ);
             INSERT INTO schema_migrations VALUES (999, '0999_future.sql', now());",
        )
        .unwrap();
    }
    let err = Store::open(
        &db,
        OpenMode::ReadWrite,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade recur"));
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.duckdb");
    let store = Store::open(
        &db,
        OpenMode::ReadWrite,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    store.close().await;
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:o}");
}

#[tokio::test]
async fn read_only_open_of_a_missing_file_says_to_sync_first() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(
        &dir.path().join("none.duckdb"),
        OpenMode::ReadOnly,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("recur sync"), "{err}");
}

/// Regression (a wrong error): a read-only command on a file an older
/// recur wrote called the file corrupt ("corrupt schema of …"). It is
/// only older, and a writing command upgrades it.
#[tokio::test]
async fn a_read_only_open_of_an_older_file_says_it_is_older_not_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.duckdb");
    let older = MIGRATIONS.len() as i64 - 1;
    drop(database_at(&db, older));
    let err = Store::open(
        &db,
        OpenMode::ReadOnly,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, StoreError::OlderSchema { found, .. } if found == older),
        "{err}"
    );
    let text = err.to_string();
    assert!(!text.contains("corrupt"), "{text}");
    assert!(
        text.contains("older") && text.contains("recur sync"),
        "{text}"
    );
    // The writing open the message points to upgrades it.
    let store = Store::open(
        &db,
        OpenMode::ReadWrite,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    store.close().await;
    Store::open(
        &db,
        OpenMode::ReadOnly,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap()
    .close()
    .await;
}

/// Speed (issue "Speed to the limit"): `items_as_of` must filter the
/// history on the day inside the table scan, so a report reads the
/// columns it asks for only from the versions in force, not from every
/// version ever recorded. Written through a one-row CTE (migration 0016),
/// the day reached item_history as a nested-loop join over the whole
/// table: the scan had no filter at all.
#[tokio::test]
async fn the_as_of_day_filters_the_history_scan_itself() {
    let store = Store::open_in_memory().unwrap();
    // Two versions on file, one on each side of the day: over an empty
    // table DuckDB plans no scan at all, and where its statistics prove
    // the condition it drops it.
    two_versions(&store).await;
    let text = plan(&store, "SELECT title FROM items_as_of(DATE '2026-06-30')").await;
    // Each box of the plan on its own, by the scan of item_history that
    // reads the title: the first branch of the macro.
    let scans: Vec<&str> = text
        .split("Seq Scan")
        .skip(1)
        .filter(|s| s.contains("title"))
        .collect();
    assert!(!scans.is_empty(), "a scan reads the title: {text}");
    assert!(
        scans
            .iter()
            .any(|s| s.contains("Filters:") && s.contains("valid_from <")),
        "the history scan filters on the day itself: {text}"
    );
    // The macro's second branch (first versions of items recorded after
    // the day) filters its scan of the closed versions on the day too
    // (migration 0024): through the view of 0023 the join's bounds no
    // longer reached it, and quarterly likelihood_rising read every closed
    // version, 1.0 s instead of 0.18 over 10M.
    let closed: Vec<&str> = text
        .split("Seq Scan")
        .skip(1)
        .filter(|s| s.contains("history_closed") && s.contains("title"))
        .collect();
    assert!(
        closed
            .iter()
            .any(|s| s.contains("valid_from>=") || s.contains("valid_from >=")),
        "the first versions are looked for after the day: {text}"
    );
}

/// Generated action-item histories for the `target_moves` tests: dates
/// moved later, earlier and back, never moved, missing; versions superseded
/// at once; versions after the day; incidents. Targets lie from 2026-07-01
/// to 2026-08-29; versions start from 2026-06-01 on.
async fn dated_histories() -> Store {
    let store = Store::open_in_memory().unwrap();
    let mut next = crate::common::xorshift(0x9e37_79b9_7f4a_7c15_u64);
    let mut values = Vec::new();
    for item in 0..400 {
        let kind = if next(10) == 0 {
            "incident"
        } else {
            "action_item"
        };
        let n = 1 + next(7);
        let fixed = next(3) == 0;
        let base = next(60);
        // Minutes from 2026-06-01; the day asked for ends at 43,200.
        let mut at = next(20_000) as i64;
        let mut starts = Vec::new();
        for v in 0..n {
            if v > 0 && next(6) != 0 {
                at += 1 + next(9_000) as i64;
            }
            starts.push(at);
        }
        for (v, from) in starts.iter().enumerate() {
            let to = starts
                .get(v + 1)
                .map(|t| format!("(TIMESTAMP '2026-06-01' + INTERVAL {t} MINUTE)::TIMESTAMPTZ"))
                .unwrap_or_else(|| "NULL".into());
            let target = match next(7) {
                0 => "NULL".to_string(),
                _ if fixed => format!("DATE '2026-07-01' + {base}"),
                1 | 2 => format!("DATE '2026-07-01' + {base}"),
                _ => format!("DATE '2026-07-01' + {}", next(60)),
            };
            values.push(format!(
                "('gh', 'acme/pay#{item}', '{kind}', {target}, \
                 (TIMESTAMP '2026-06-01' + INTERVAL {from} MINUTE)::TIMESTAMPTZ, {to}, {v})"
            ));
        }
    }
    store
        .execute_batch(
            "seed",
            &format!(
                "INSERT INTO history_closed (source, key, kind, tracking, container, state, created_at, \
                 updated_at, content_hash, target_date, valid_from, valid_to, recorded_at) \
                 SELECT s, k, kind, 'tracked', 'acme/pay', 'open', f, f, k || n, t, f, v_to, f \
                 FROM (VALUES {}) v(s, k, kind, t, f, v_to, n)",
                values.join(", ")
            ),
        )
        .await
        .unwrap();
    crate::common::settle(&store).await;
    store
}

/// Defines `target_moves_0016`: `target_moves` as migration 0016 landed it
/// (a lag() window over every dated version), to compare the one in force
/// with.
async fn target_moves_0016(store: &Store) {
    let m0016 = include_str!("../../queries/migrations/0016_superseded_versions.sql");
    let start = m0016
        .find("CREATE OR REPLACE MACRO target_moves(as_of)")
        .unwrap();
    let text = &m0016[start..];
    let text = &text[..=text.find(';').unwrap()];
    store
        .execute_batch(
            "0016's target_moves",
            &text.replace(
                "CREATE OR REPLACE MACRO target_moves(",
                "CREATE TEMP MACRO target_moves_0016(",
            ),
        )
        .await
        .unwrap();
}

/// Speed (issue "Speed to the limit"): `target_moves` runs its lag()
/// window only over the items whose target date changed (migration 0020).
/// Over generated histories (dates moved later, earlier and back, never
/// moved, missing; versions superseded at once; versions after the day;
/// incidents) it answers exactly what 0016's window over every version
/// answers, column types included.
#[tokio::test]
async fn target_moves_over_the_changed_items_answers_as_the_window_over_all() {
    let store = dated_histories().await;
    // 0016's definition, as it landed, next to the one in force.
    target_moves_0016(&store).await;
    let window_over_all = "SELECT * FROM target_moves_0016(DATE '2026-06-30')";
    let shape = |from: &str| {
        format!(
            "SELECT *, typeof(moves) AS tm, typeof(slip_days) AS ts, typeof(first_target) AS tf \
             FROM ({from}) ORDER BY key"
        )
    };
    let expected = store
        .query("0016", &shape(window_over_all), vec![])
        .await
        .unwrap();
    let got = store
        .query(
            "0020",
            &shape("SELECT * EXCLUDE (past_targets, item_id) FROM target_moves(DATE '2026-06-30')"),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(got, expected);
    // The generated histories reach every case the shortcut distinguishes.
    let moves = |r: &serde_json::Value| r.as_i64().unwrap();
    let col = expected.columns.iter().position(|c| c == "moves").unwrap();
    let counts = |pred: &dyn Fn(i64) -> bool| {
        expected
            .rows
            .iter()
            .filter(|r| pred(moves(&r[col])))
            .count()
    };
    assert!(counts(&|m| m == 0) > 50, "{expected:?}");
    assert!(counts(&|m| m == 1) > 20, "{expected:?}");
    assert!(counts(&|m| m >= 2) > 20, "{expected:?}");
}

/// Speed (issue "Speed to the limit"): quarterly chronic's deadlines_missed
/// is `target_moves`' past_targets (migration 0027) instead of a second
/// grouping of every dated version. Over the generated histories, on days
/// before, among and after the target dates, past_targets is what
/// chronic's own count answered: the distinct target dates before the day
/// in the versions recorded by its end and never superseded at once.
#[tokio::test]
async fn chronic_deadlines_missed_from_target_moves_counts_as_its_own_grouping() {
    let store = dated_histories().await;
    let mut seen_two_or_more = 0;
    for day in ["2026-06-30", "2026-07-20", "2026-08-10", "2026-09-30"] {
        // Chronic's `missed`, as it was before 0027, next to the macro.
        let own = format!(
            "SELECT h.source, h.key, count(DISTINCT h.target_date) AS n
             FROM item_history h
             WHERE h.kind = 'action_item' AND h.target_date < DATE '{day}'
               AND h.valid_from < (DATE '{day}' + 1)::TIMESTAMP::TIMESTAMPTZ
               AND (h.valid_to IS NULL OR h.valid_to > h.valid_from)
             GROUP BY ALL"
        );
        let compare = format!(
            "SELECT coalesce(o.source, t.source) AS source, coalesce(o.key, t.key) AS key,
                    coalesce(o.n, 0) AS own, coalesce(t.past_targets, 0) AS macro,
                    typeof(t.past_targets) AS type
             FROM ({own}) o FULL JOIN target_moves(DATE '{day}') t
               ON t.source = o.source AND t.key = o.key
             ORDER BY key"
        );
        let rows = store.query(day, &compare, vec![]).await.unwrap();
        assert!(rows.rows.len() > 100, "{day}: {rows:?}");
        for r in &rows.rows {
            assert_eq!(r[2], r[3], "{day}: {r:?}");
            if r[1].as_str().is_some() && !r[4].is_null() {
                assert_eq!(r[4], "BIGINT", "{day}: {r:?}");
            }
            if r[2].as_i64().unwrap() >= 2 {
                seen_two_or_more += 1;
            }
        }
    }
    // The days reach items past two or more of their dates.
    assert!(seen_two_or_more > 20, "{seen_two_or_more}");
}

/// Answers are read as DuckDB produces them (`Store::query_each`): a
/// query that fails part-way has handed its first rows to the sink
/// already, and the error comes back after them. (Which is why `recur
/// report` and `recur query` spool their output and deliver it only
/// whole: see `a_report_failing_part_way_prints_nothing_and_leaves_no_file`.)
#[tokio::test]
async fn a_query_failing_part_way_has_handed_over_its_first_rows() {
    struct Count(std::sync::Arc<std::sync::atomic::AtomicUsize>);
    impl recur::store::RowSink for Count {
        fn columns(&mut self, _: &[String]) -> std::io::Result<()> {
            Ok(())
        }
        fn row(&mut self, _: &mut Vec<serde_json::Value>) -> std::io::Result<()> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }
    }
    let store = Store::open_in_memory().unwrap();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let err = store
        .query_each(
            "boom",
            "SELECT CASE WHEN i < 3000000 THEN i ELSE error('boom at ' || i) END AS n \
             FROM range(4000000) t(i)",
            vec![],
            Count(seen.clone()),
        )
        .await
        .err()
        .expect("the query fails");
    assert!(err.to_string().contains("boom"), "{err}");
    let rows = seen.load(std::sync::atomic::Ordering::Relaxed);
    assert!(rows > 100_000, "rows handed over before the error: {rows}");
}

/// Speed (issue "Speed to the limit"): `item_risks` reads the backlog as
/// of the day where each side uses it (migration 0021; `repeat_incidents`
/// since 0022), not through a
/// materialised copy of every column: materialised, it cost followups
/// `priority` half its time over 1M items. The rows are the same (the
/// followups, risk_reduction and promote tests assert them). So does the
/// followups `gaps` file.
#[tokio::test]
async fn item_risks_target_moves_and_repeat_incidents_do_not_materialise_their_reads() {
    let store = Store::open_in_memory().unwrap();
    // A version on each side of the day and an item recorded after it:
    // over empty tables DuckDB proves every filter false and plans no scan.
    two_versions(&store).await;
    let text = plan(&store, "SELECT key FROM item_risks(DATE '2026-06-30')").await;
    assert!(text.contains("Seq Scan"), "a plan with its scans: {text}");
    assert!(!text.contains("CTE Name: snap"), "{text}");
    // target_moves likewise (migration 0025): chronic 7-20 % faster.
    let text = plan(
        &store,
        "SELECT key, moves FROM target_moves(DATE '2026-06-30')",
    )
    .await;
    assert!(text.contains("Seq Scan"), "a plan with its scans: {text}");
    assert!(!text.contains("CTE Name: v"), "{text}");
    // repeat_incidents likewise (migration 0022): repeats, repeat_linked
    // and chronic 15-20 % faster.
    let text = plan(
        &store,
        "SELECT key, class FROM repeat_incidents(DATE '2026-06-30', NULL, 30)",
    )
    .await;
    assert!(text.contains("Seq Scan"), "a plan with its scans: {text}");
    assert!(!text.contains("CTE Name: snap"), "{text}");
    // followups gaps likewise: materialised, it copied every column of
    // the backlog first (0.68 -> 0.31 s over 1M items).
    let gaps = recur::queries::get("health/followups_gaps.sql")
        .sql
        .replace("$1", "'2026-06-30'")
        .replace("$2", "30")
        .replace("$3", "NULL")
        .replace("$4", "7");
    let text = plan(&store, &gaps).await;
    assert!(text.contains("Seq Scan"), "a plan with its scans: {text}");
    assert!(!text.contains("CTE Name: snap"), "{text}");
}

/// DuckDB's plan of `sql`, as text.
/// One item's two versions, one on each side of 2026-06-30, both with a
/// target date.
async fn two_versions(store: &Store) {
    store
        .execute_batch(
            "seed",
            "INSERT INTO history_closed (source, key, kind, tracking, container, state, created_at, \
             updated_at, content_hash, valid_from, valid_to, recorded_at, target_date) \
             SELECT 'gh', 'acme/pay#1', 'action_item', 'tracked', 'acme/pay', 'open', \
                    TIMESTAMPTZ '2026-05-01 10:00:00+00', f, 'h' || f, f, t, f, DATE '2026-07-10' \
             FROM (VALUES (TIMESTAMPTZ '2026-05-01 10:00:00+00', TIMESTAMPTZ '2026-07-05 10:00:00+00'), \
                          (TIMESTAMPTZ '2026-07-05 10:00:00+00', NULL)) v(f, t)",
        )
        .await
        .unwrap();
    crate::common::settle(store).await;
}

async fn plan(store: &Store, sql: &str) -> String {
    let plan = store
        .query("plan", &format!("EXPLAIN {sql}"), vec![])
        .await
        .unwrap();
    plan.rows
        .iter()
        .flat_map(|r| r.iter().filter_map(|v| v.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A database file as a build at schema `version` left it.
fn database_at(db: &std::path::Path, version: i64) -> duckdb::Connection {
    let mut conn = duckdb::Connection::open(db).unwrap();
    migrate_to(&mut conn, db, version).unwrap();
    conn
}

/// Speed and size (issue "Speed to the limit"): the tracker's raw JSON,
/// most of the file, is stored with zstd (migrations 0018 and 0019),
/// which a checkpoint writes faster than the FSST DuckDB would pick and
/// packs tighter. An item synced before the change keeps its JSON, and
/// the column keeps its NOT NULL and its comment.
#[tokio::test]
async fn raw_json_moves_to_zstd_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("z.duckdb");
    let raw = r####"{"number":7,"title":"Add circuit breaker","body":"### Owner\n\n@bob"}"####;
    {
        // A database as the build before the change left it.
        let conn = database_at(&db, 17);
        conn.execute(
            "INSERT INTO items (source, key, kind, tracking, container, state, created_at, updated_at, \
             content_hash, raw, first_seen_at, last_synced_at) VALUES ('gh', 'acme/pay#7', 'action_item', \
             'tracked', 'acme/pay', 'open', now(), now(), 'h', ?, now(), now())",
            duckdb::params![raw],
        )
        .unwrap();
    }
    let store = Store::open(
        &db,
        OpenMode::ReadWrite,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    let r = store
        .query(
            "raw",
            "SELECT raw FROM items WHERE key = 'acme/pay#7'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(r.rows, vec![vec![serde_json::json!(raw)]]);
    store.checkpoint().await.unwrap();
    let r = store
        .query(
            "storage",
            "SELECT DISTINCT compression FROM pragma_storage_info('items') \
             WHERE column_name = 'raw' AND segment_type = 'VARCHAR'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(r.rows, vec![vec![serde_json::json!("ZSTD")]], "{r:?}");
    let r = store
        .query(
            "column",
            "SELECT is_nullable, comment FROM duckdb_columns() \
             WHERE table_name = 'items' AND column_name = 'raw'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(r.rows[0][0], false, "raw stays NOT NULL");
    assert!(
        r.rows[0][1].as_str().unwrap_or("").contains("JSON"),
        "{r:?}"
    );
    let err = store
        .execute_batch(
            "null raw",
            "INSERT INTO items (source, key, kind, tracking, container, state, created_at, updated_at, \
             content_hash, raw, first_seen_at, last_synced_at) VALUES ('gh', 'acme/pay#8', 'action_item', \
             'tracked', 'acme/pay', 'open', now(), now(), 'h', NULL, now(), now())",
        )
        .await;
    assert!(err.is_err(), "a NULL raw is refused");
    store.close().await;
}

/// Regression: migration 0018 first copied every item's raw JSON into its
/// zstd column in one UPDATE, which ran a 1M-item file (1.6 GB of JSON) out
/// of memory at the default 512MB: DuckDB keeps long texts in memory until
/// a checkpoint. Here 4,500 items of 60 KB (270 MB) under 256MB, the same
/// failure at a smaller scale; the copy now goes in steps, checkpointing.
/// (Not under 128MB: DuckDB reads a zstd segment 2,048 values at a time,
/// into one buffer rounded up to a power of two, 128 MiB for these.)
#[tokio::test]
async fn a_large_file_moves_its_raw_json_to_zstd_within_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("big.duckdb");
    {
        let conn = database_at(&db, 17);
        conn.execute_batch(
            "INSERT INTO items (source, key, kind, tracking, container, state, created_at, updated_at, \
             content_hash, raw, first_seen_at, last_synced_at) \
             SELECT 'gh', 'acme/pay#' || i, 'action_item', 'tracked', 'acme/pay', 'open', now(), now(), \
                    'h', '{\"body\":\"' || repeat('log line ', 6600) || i || '\"}', now(), now() \
             FROM range(4500) r(i); CHECKPOINT;",
        )
        .unwrap();
    }
    let store = Store::open(&db, OpenMode::ReadWrite, "256MB")
        .await
        .expect("the migration fits the memory limit");
    let r = store
        .query(
            "check",
            "SELECT count(*), count(*) FILTER (WHERE raw LIKE '%log line log line%' AND raw LIKE '%' || split_part(key, '#', 2) || '\"}') FROM items",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        r.rows[0],
        vec![serde_json::json!(4500), serde_json::json!(4500)]
    );
    store.close().await;
}

/// Speed (issue "Speed to the limit"): `tracked_since()` groups the
/// history only of the items with an untracked or at-once-superseded
/// version (migration 0026), instead of every version of every item.
/// Over generated histories (labelled late, labelled then unlabelled and
/// labelled again, never labelled, first versions superseded at once, with
/// or without a gap after them, versions after the day) it answers exactly
/// what 0016's macro answers, and so does trends `flow` through it.
#[tokio::test]
async fn trends_flow_over_the_late_tracked_items_answers_as_tracked_since() {
    let store = Store::open_in_memory().unwrap();
    let mut next = crate::common::xorshift(0x2545_f491_4f6c_dd1d_u64);
    let mut values = Vec::new();
    for item in 0..400 {
        let n = 1 + next(6);
        // Created some day of 2025-07 .. 2026-05 (minutes from 2025-07-01).
        let created = next(300 * 1440) as i64;
        let mut at = created + next(60 * 1440) as i64;
        let mut starts = Vec::new();
        for v in 0..n {
            // Now and then two versions at one instant: the first is
            // superseded at once.
            if v > 0 && next(5) != 0 {
                at += 1 + next(40 * 1440) as i64;
            }
            starts.push(at);
        }
        let pattern = next(4);
        // Some always-tracked items whose first version was superseded at
        // once with the next one starting later (a gap): tracked from then.
        let gap = pattern == 0 && n > 1 && starts[1] > starts[0] && next(2) == 0;
        for (v, from) in starts.iter().enumerate() {
            let to = if gap && v == 0 {
                Some(*from)
            } else {
                starts.get(v + 1).copied()
            };
            let to = to
                .map(|t| format!("(TIMESTAMP '2025-07-01' + INTERVAL {t} MINUTE)::TIMESTAMPTZ"))
                .unwrap_or_else(|| "NULL".into());
            let tracked = match pattern {
                0 => true,
                1 => v > 0,
                2 => next(3) != 0,
                _ => false,
            };
            let tracking = if tracked { "tracked" } else { "untracked" };
            let closed = next(4) == 0;
            values.push(format!(
                "('acme/pay#{item}', '{tracking}', '{}', \
                 (TIMESTAMP '2025-07-01' + INTERVAL {created} MINUTE)::TIMESTAMPTZ, \
                 (TIMESTAMP '2025-07-01' + INTERVAL {from} MINUTE)::TIMESTAMPTZ, {to}, {v})",
                if closed { "closed" } else { "open" }
            ));
        }
    }
    store
        .execute_batch(
            "seed",
            &format!(
                "INSERT INTO history_closed (source, key, kind, tracking, container, state, created_at, \
                 updated_at, closed_at, content_hash, valid_from, valid_to, recorded_at) \
                 SELECT 'gh', k, 'action_item', tr, 'acme/pay', st, c, f, \
                        CASE WHEN st = 'closed' THEN f END, k || n, f, v_to, f \
                 FROM (VALUES {}) v(k, tr, st, c, f, v_to, n)",
                values.join(", ")
            ),
        )
        .await
        .unwrap();
    crate::common::settle(&store).await;
    // 0016's definition, as it landed (every version grouped), next to the
    // one in force (0026).
    let m0016 = include_str!("../../queries/migrations/0016_superseded_versions.sql");
    let text = &m0016[m0016
        .find("CREATE OR REPLACE MACRO tracked_since()")
        .unwrap()..];
    let text = &text[..=text.find(';').unwrap()];
    store
        .execute_batch(
            "0016's tracked_since",
            &text.replace(
                "CREATE OR REPLACE MACRO tracked_since(",
                "CREATE TEMP MACRO tracked_since_0016(",
            ),
        )
        .await
        .unwrap();
    let by_key = "SELECT source, key, tracked_since FROM {} ORDER BY source, key";
    let expected = store
        .query(
            "0016",
            &by_key.replace("{}", "tracked_since_0016()"),
            vec![],
        )
        .await
        .unwrap();
    let got = store
        .query("0026", &by_key.replace("{}", "tracked_since()"), vec![])
        .await
        .unwrap();
    assert_eq!(got, expected);
    // flow reads tracked_since() through backlog_events: the events as
    // 0032 first wrote them, over 0016's macro, in a temporary copy.
    let m0032 = include_str!("../../queries/migrations/0032_backlog_events.sql");
    let events = &m0032[m0032.find("CREATE MACRO backlog_events(").unwrap()..];
    assert!(events.contains("LEFT JOIN tracked_since() t"));
    store
        .execute_batch(
            "backlog_events over 0016's tracked_since",
            &events
                .replace(
                    "CREATE MACRO backlog_events(",
                    "CREATE TEMP MACRO backlog_events_0016(",
                )
                .replace(
                    "LEFT JOIN tracked_since() t",
                    "LEFT JOIN tracked_since_0016() t",
                ),
        )
        .await
        .unwrap();
    let flow = include_str!("../../queries/health/trends_flow.sql");
    assert!(flow.contains("FROM backlog_events($1::DATE, $4::VARCHAR)"));
    let through_macro = flow.replace(
        "FROM backlog_events($1::DATE, $4::VARCHAR)",
        "FROM backlog_events_0016($1::DATE, $4::VARCHAR)",
    );
    for period in ["month", "week"] {
        let params = || {
            vec![
                duckdb::types::Value::Text("2026-06-30".into()),
                duckdb::types::Value::Null,
                duckdb::types::Value::Text(period.into()),
                duckdb::types::Value::Null,
            ]
        };
        let expected = store
            .query("macro", &through_macro, params())
            .await
            .unwrap();
        let got = store.query("flow", flow, params()).await.unwrap();
        assert_eq!(got, expected, "{period}");
        let opened: i64 = expected.rows.iter().map(|r| r[2].as_i64().unwrap()).sum();
        assert!(
            opened > 20,
            "{period}: items opened in the window: {expected:?}"
        );
    }
    // The histories reach every case: items tracked from creation, items
    // tracked later than created (the macro's answer is then not the
    // creation), and items never tracked.
    let cases = store
        .query(
            "cases",
            "SELECT count(*) FILTER (WHERE t.tracked_since = h.created_at), \
                    count(*) FILTER (WHERE t.tracked_since > h.created_at), \
                    count(*) FILTER (WHERE t.tracked_since IS NULL) \
             FROM tracked_since_0016() t \
             JOIN (SELECT DISTINCT key, created_at FROM item_history) h USING (key)",
            vec![],
        )
        .await
        .unwrap();
    for (i, what) in ["from creation", "later", "never"].iter().enumerate() {
        assert!(
            cases.rows[0][i].as_i64().unwrap() > 20,
            "{what}: {:?}",
            cases.rows
        );
    }
}

/// Speed (issue "Speed to the limit"): migration 0023 splits the history
/// into its open versions and its closed ones, and `item_history` becomes
/// the view over both. A file with history keeps every version, column for
/// column, in the same column order and with the same comments; each
/// version lands in the table its `valid_to` says; and syncing on adds
/// versions and closes them where they belong.
/// Migration 0028 then adds `prior_target`, computed for every version.
#[tokio::test]
async fn the_history_split_keeps_every_version_and_the_view_answers_as_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.duckdb");
    let snapshot =
        "SELECT * FROM item_history ORDER BY source, key, valid_from, valid_to NULLS LAST";
    let (before, columns, comments) = {
        let conn = database_at(&db, 22);
        conn.execute_batch(
            "INSERT INTO item_history (source, key, kind, tracking, container, state, status, labels, \
               target_date, created_at, updated_at, content_hash, valid_from, valid_to, recorded_at, origin) \
             SELECT 'gh', 'acme/pay#' || (i % 7), 'action_item', 'tracked', 'acme/pay', \
                    CASE WHEN i % 3 = 0 THEN 'closed' ELSE 'open' END, 'accepted', ['postmortem'], \
                    DATE '2026-07-01' + i::INTEGER, TIMESTAMPTZ '2026-01-01 00:00:00+00', \
                    t, 'h' || i, t, CASE WHEN i + 7 < 40 THEN t_next END, t, \
                    CASE WHEN i < 7 THEN 'backfill' ELSE 'sync' END \
             FROM (SELECT i, (TIMESTAMP '2026-01-01' + to_days(i::INTEGER))::TIMESTAMPTZ AS t, \
                          (TIMESTAMP '2026-01-01' + to_days((i + 7)::INTEGER))::TIMESTAMPTZ AS t_next \
                   FROM range(40) r(i))",
        )
        .unwrap();
        (
            texts(&conn, snapshot),
            texts(&conn, COLUMNS),
            texts(&conn, COMMENTS),
        )
    };
    assert_eq!(before.len(), 40);
    Store::open(
        &db,
        OpenMode::ReadWrite,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap()
    .close()
    .await;
    let conn = duckdb::Connection::open(&db).unwrap();
    // Migration 0028 adds prior_target last, computed for every version.
    // Migration 0033 then adds item_id last, every version numbered.
    let mut upgraded = texts(&conn, COLUMNS);
    assert_eq!(upgraded.pop().unwrap(), "Text(\"item_id BIGINT\")");
    assert_eq!(upgraded.pop().unwrap(), "Text(\"prior_target DATE\")");
    assert_eq!(upgraded, columns);
    let mut upgraded = texts(&conn, COMMENTS);
    assert!(upgraded
        .pop()
        .unwrap()
        .starts_with("Text(\"item_id: The item's number"));
    assert!(upgraded
        .pop()
        .unwrap()
        .starts_with("Text(\"prior_target: The target date before"));
    assert_eq!(upgraded, comments);
    assert_eq!(
        texts(
            &conn,
            &snapshot.replace("SELECT *", "SELECT * EXCLUDE (prior_target, item_id)")
        ),
        before,
        "every version, every column"
    );
    assert_eq!(
        texts(&conn, recur::store::ITEM_ID_FAULTS),
        vec!["BigInt(0)"]
    );
    assert_eq!(
        texts(&conn, "SELECT count(DISTINCT item_id) FROM item_history"),
        vec!["BigInt(7)"]
    );
    assert_eq!(
        texts(&conn, crate::common::PRIOR_TARGET_DIFFERS),
        vec!["BigInt(0)"]
    );
    assert_eq!(
        texts(&conn, "SELECT count(prior_target) FROM item_history"),
        vec!["BigInt(33)"],
        "every version after an item's first has the one before's date"
    );
    assert_eq!(
        texts(
            &conn,
            "SELECT (SELECT count(*) FROM history_open), \
                    (SELECT count(*) FROM history_open WHERE valid_to IS NOT NULL), \
                    (SELECT count(*) FROM history_closed), \
                    (SELECT count(*) FROM history_closed WHERE valid_to IS NULL)"
        ),
        vec!["BigInt(7)|BigInt(0)|BigInt(33)|BigInt(0)"],
        "one open version per item, in history_open"
    );
}

const COLUMNS: &str = "SELECT column_name || ' ' || data_type FROM duckdb_columns() \
WHERE table_name = 'item_history' ORDER BY column_index";
const COMMENTS: &str = "SELECT column_name || ': ' || comment FROM duckdb_columns() \
WHERE table_name = 'item_history' ORDER BY column_index";

/// Each row of `sql`, its values as DuckDB's own `Value`s, joined by `|`.
fn texts(conn: &duckdb::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    let mut out = Vec::new();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let n = r.as_ref().column_count();
        out.push(
            (0..n)
                .map(|i| format!("{:?}", r.get::<_, duckdb::types::Value>(i).unwrap()))
                .collect::<Vec<_>>()
                .join("|"),
        );
    }
    out
}

/// An open GitHub-like issue labelled `labels`, with `title`, last
/// updated at `at` and the target date `target`.
fn sync_version(
    n: usize,
    at: DateTime<Utc>,
    labels: &[&str],
    target: Option<NaiveDate>,
    title: &str,
) -> recur::store::ItemRow {
    let body = "### Owner\n\n@alice\n";
    let item = recur_core::Item {
        key: format!("acme/x#{n}"),
        container: "acme/x".into(),
        number: n as i64,
        external_id: n.to_string(),
        url: format!("http://x/{n}"),
        title: title.into(),
        body: body.into(),
        state: recur_core::State::Open,
        state_reason: None,
        tracker_status: None,
        labels: labels.iter().map(|s| s.to_string()).collect(),
        issue_type: None,
        assignee: None,
        due_date: None,
        created_at: at - chrono::Duration::days(60),
        updated_at: at,
        closed_at: None,
        sections: recur_core::normalize::parse_form_body(body),
        links: vec![],
        raw: format!("{{\"number\":{n}}}"),
    };
    let rules = recur_core::normalize::LabelRules {
        action_item_labels: vec!["postmortem".into()],
        risk_labels: vec!["risk".into()],
        managed_label_prefix: "recur:".into(),
        ..Default::default()
    };
    let mut row = recur::store::ItemRow::new(item, &rules);
    row.norm.fields.target_date = target;
    row
}

async fn count(store: &Store, sql: &str) -> i64 {
    store.query("count", sql, vec![]).await.unwrap().rows[0][0]
        .as_i64()
        .unwrap()
}

/// Speed (issue "Speed to the limit", migration 0028): the sync writes
/// each version's `prior_target` from the open version it closes.
/// Over generated syncs (target dates kept, changed, removed and set
/// again; versions superseded at once; stale answers; kinds changed and
/// labels lost; items marked deleted and synced again) what it wrote is
/// what the window over the whole history answers, and `target_moves`
/// over it answers what 0016's lag() over every version answered.
#[tokio::test]
async fn prior_target_written_by_the_sync_is_the_whole_historys_answer() {
    let store = Store::open_in_memory().unwrap();
    let run = store.begin_run("gh", false, Utc::now()).await.unwrap();
    let base = Utc::now() - chrono::Duration::days(30);
    let mut next = crate::common::xorshift(0x2545_f491_4f6c_dd1d_u64);
    let dates = [
        NaiveDate::from_ymd_opt(2030, 1, 10),
        NaiveDate::from_ymd_opt(2030, 2, 20),
        NaiveDate::from_ymd_opt(2029, 12, 1),
    ];
    let items = 40;
    let mut at = vec![0_i64; items];
    let mut target = vec![None; items];
    let version = |n: usize, minute: i64, labels: &[&str], t: Option<NaiveDate>, page: usize| {
        let at = base + chrono::Duration::minutes(minute);
        sync_version(n, at, labels, t, &format!("version {page}"))
    };
    for page in 0..20 {
        let mut rows = Vec::new();
        for n in 0..items {
            if next(3) == 0 {
                continue;
            }
            let minute = match next(6) {
                0 => at[n],                  // superseded at once
                1 if at[n] > 5 => at[n] - 5, // a stale answer
                _ => at[n] + 1 + next(600) as i64,
            };
            at[n] = at[n].max(minute);
            let labels: &[&str] = match next(8) {
                0 => &[],
                1 => &["risk"],
                _ => &["postmortem"],
            };
            target[n] = match next(5) {
                0 => None,
                1..=2 => dates[next(3) as usize],
                _ => target[n],
            };
            rows.push(version(n, minute, labels, target[n], page));
        }
        store
            .ingest_page(run, "gh", rows, None, vec![])
            .await
            .unwrap();
    }
    // Marked deleted now, then synced again a day later.
    let mut again = Vec::new();
    for n in (0..items).step_by(7) {
        store
            .set_tracking(run, "gh", &format!("acme/x#{n}"), "deleted", None)
            .await
            .unwrap();
        let minute = (Utc::now() - base).num_minutes() + 24 * 60;
        again.push(version(n, minute, &["postmortem"], dates[n % 3], 99));
    }
    store
        .ingest_page(run, "gh", again, None, vec![])
        .await
        .unwrap();

    let differ = count(&store, crate::common::PRIOR_TARGET_DIFFERS).await;
    assert_eq!(
        differ, 0,
        "versions whose stored prior_target is not the history's"
    );

    target_moves_0016(&store).await;
    let day = (Utc::now() + chrono::Duration::days(3)).date_naive();
    let rows = |f: &str| {
        format!("SELECT source, key, moves, slip_days, first_target, last_target FROM {f}(DATE '{day}') ORDER BY key")
    };
    let expected = store
        .query("0016", &rows("target_moves_0016"), vec![])
        .await
        .unwrap();
    let got = store
        .query("0028", &rows("target_moves"), vec![])
        .await
        .unwrap();
    assert_eq!(got, expected);

    // The generated syncs reach every case the column distinguishes.
    let cases = [
        ("superseded at once", "valid_to = valid_from"),
        (
            "a date changed",
            "prior_target IS NOT NULL AND target_date <> prior_target",
        ),
        ("a date kept", "target_date = prior_target"),
        (
            "a date removed, the prior carried",
            "target_date IS NULL AND prior_target IS NOT NULL",
        ),
        (
            "another kind",
            "kind <> 'action_item' AND prior_target IS NOT NULL",
        ),
        ("a deleted item", "tracking = 'deleted'"),
    ];
    for (case, pred) in cases {
        let n = count(
            &store,
            &format!("SELECT count(*) FROM item_history WHERE {pred}"),
        )
        .await;
        assert!(n > 0, "no version: {case}");
    }
    let moved = count(
        &store,
        &format!("SELECT count(*) FROM target_moves(DATE '{day}') WHERE moves >= 2"),
    )
    .await;
    assert!(moved > 3, "{moved} items moved twice: {expected:?}");
}
