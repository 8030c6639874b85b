//! The DuckDB file in other hands: the Python `duckdb` package (what
//! notebooks and BI scripts use) opens a synced file read-only, sees the
//! same views, counts and comments as `recur query`, and the same date SQL
//! gives the same answer in both, whatever the reader's time zone; and a
//! reader holding the file makes a daemon cycle wait and then skip, while
//! a reader that ATTACHes, reads and DETACHes does not.
//!
//! These tests need `python3` with the `duckdb` package (`.ci/run` installs
//! it with pip); without it they fail saying so, they do not skip.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncBufReadExt;

use crate::common::*;

/// The storage version the bundled DuckDB writes (README "The DuckDB file
/// in other tools" names the readers that can open it).
const STORAGE_VERSION: &str = "v2.0.0+";

/// The version of the Python `duckdb` package; panics, saying how to
/// install it, when `python3` or the package is missing or too old to read
/// the file.
fn python_duckdb() -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import duckdb; print(duckdb.__version__)"])
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is needed for this test and could not be run ({e}); install Python 3, then `python3 -m pip install duckdb` (.ci/run does both)")
        });
    assert!(
        out.status.success(),
        "the Python duckdb package is needed for this test: `python3 -m pip install duckdb` (.ci/run does it)\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 2,
        "Python duckdb {version} cannot open storage {STORAGE_VERSION} files: `python3 -m pip install --upgrade duckdb`"
    );
    version
}

/// Runs a Python script with `args`; its stdout is one JSON document.
async fn python(script: &str, args: &[&str], tz: &str) -> serde_json::Value {
    let out = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .env("TZ", tz)
        .output()
        .await
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "python printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `recur query --format json SQL` in `dir`: the rows as value lists in
/// column order (serde_json keeps the order), or the error text.
async fn recur_query(dir: &Path, sql: &str) -> Result<Vec<Vec<serde_json::Value>>, String> {
    let out = recur_bin(
        dir,
        &["--config", "recur.toml", "query", "--format", "json", sql],
    )
    .await;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    Ok(v.as_array()
        .expect("an array of rows")
        .iter()
        .map(|row| {
            row.as_object()
                .expect("a row object")
                .values()
                .cloned()
                .collect()
        })
        .collect())
}

/// A sandbox synced into `dir/recur.duckdb` (closed again), with a
/// `dir/recur.toml` pointing at it.
async fn synced(dir: &Path) -> (recur_sandbox::Sandbox, std::path::PathBuf) {
    let sb = small_sandbox().await;
    let db = dir.join("recur.duckdb");
    std::fs::write(
        dir.join("recur.toml"),
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db),
    )
    .unwrap();
    sync(&settings(&sb, &db)).await;
    (sb, db)
}

/// Opens the file read-only, lists the public views with their comments,
/// counts the views named in argv[2:], tries a write, and reads the
/// storage version.
const READ_SCRIPT: &str = r#"
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
views = con.execute(
    "SELECT view_name, coalesce(comment, '') FROM duckdb_views() "
    "WHERE NOT internal AND schema_name = 'main' ORDER BY view_name").fetchall()
counts = {v: con.execute(f'SELECT count(*) FROM "{v}"').fetchone()[0] for v in sys.argv[2:]}
try:
    con.execute("CREATE TABLE written_by_python (x INTEGER)")
    refused = None
except duckdb.Error as e:
    refused = str(e)
tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
print(json.dumps({"views": [v for v, _ in views], "comments": dict(views), "counts": counts,
                  "write_refused": refused, "storage_version": tags.get("storage_version")}))
"#;

#[tokio::test]
async fn python_duckdb_opens_the_file_read_only_with_the_views_and_counts_of_recur_query() {
    python_duckdb();
    let dir = tempfile::tempdir().unwrap();
    let (sb, db) = synced(dir.path()).await;
    let db_s = db.to_string_lossy().into_owned();

    let views: Vec<String> = recur_query(
        dir.path(),
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' ORDER BY view_name",
    )
    .await
    .unwrap()
    .into_iter()
    .map(|r| r[0].as_str().unwrap().to_string())
    .collect();
    let counted = ["action_items", "incidents", "risks", "items"];
    let mut args = vec![db_s.as_str()];
    args.extend(counted);
    let py = python(READ_SCRIPT, &args, "UTC").await;

    assert_eq!(
        py["storage_version"], STORAGE_VERSION,
        "README names the readers of this storage version: update both"
    );
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("`storage_version: {STORAGE_VERSION}`")),
        "README's \"Which DuckDB can open it\" names storage {STORAGE_VERSION}"
    );
    assert!(
        py["write_refused"]
            .as_str()
            .is_some_and(|e| e.contains("read-only")),
        "a read-only open refuses writes: {}",
        py["write_refused"]
    );
    let py_views: Vec<String> = serde_json::from_value(py["views"].clone()).unwrap();
    assert_eq!(py_views, views);
    for v in [
        "action_items",
        "incidents",
        "risks",
        "risk_scores",
        "cycles",
    ] {
        assert!(views.iter().any(|x| x == v), "{v} in {views:?}");
        let comment = py["comments"][v].as_str().unwrap_or_default();
        assert!(!comment.is_empty(), "{v} has a comment Python can see");
    }
    // The same counts as recur query, and the right ones: what the sandbox
    // holds.
    let expected = expected_tracked(&sb.github());
    for view in counted {
        let recur_n = recur_query(dir.path(), &format!("SELECT count(*) AS n FROM {view}"))
            .await
            .unwrap()[0][0]
            .as_i64()
            .unwrap();
        assert_eq!(py["counts"][view].as_i64(), Some(recur_n), "{view}");
    }
    for (view, kind) in [
        ("action_items", "action_item"),
        ("incidents", "incident"),
        ("risks", "risk"),
    ] {
        let tracked = recur_query(
            dir.path(),
            &format!("SELECT count(*) FROM {view} WHERE tracking = 'tracked'"),
        )
        .await
        .unwrap()[0][0]
            .as_i64()
            .unwrap();
        let want = expected.values().filter(|k| **k == kind).count() as i64;
        assert!(want > 0, "the sandbox has {kind}s");
        assert_eq!(tracked, want, "{view}");
    }
    sb.shutdown().await;
}

/// Runs each query of argv[3] (a JSON list) read-only, in the session time
/// zone argv[2]; prints the zone and every result's rows.
const SQL_SCRIPT: &str = r#"
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute(f"SET TimeZone = '{sys.argv[2]}'")
zone = con.execute("SELECT current_setting('TimeZone')").fetchone()[0]
results = [[list(r) for r in con.execute(q).fetchall()] for q in json.loads(sys.argv[3])]
print(json.dumps({"zone": zone, "results": results}, default=str))
"#;

/// An analyst far from UTC (UTC+14): every day boundary of theirs is 14
/// hours off recur's.
const FAR_ZONE: &str = "Pacific/Kiritimati";

/// Regression: `date_trunc('month', created_at)` on a view failed inside
/// `recur query` (no ICU in the bundled DuckDB) and answered in the session
/// time zone in Python and the duckdb CLI. The views' timestamps are UTC
/// TIMESTAMPs now (0014): the same SQL gives the same rows in both, in any
/// zone.
#[tokio::test]
async fn date_trunc_on_view_timestamps_answers_the_same_in_recur_and_python() {
    python_duckdb();
    let dir = tempfile::tempdir().unwrap();
    let (sb, db) = synced(dir.path()).await;
    let db_s = db.to_string_lossy().into_owned();
    let queries = [
        "SELECT strftime(date_trunc('month', created_at), '%Y-%m') AS month, count(*) AS n \
         FROM action_items GROUP BY ALL ORDER BY month",
        "SELECT CAST(CAST(created_at AS DATE) AS VARCHAR) AS day, count(*) AS n \
         FROM incidents GROUP BY ALL ORDER BY day",
        "SELECT key, date_diff('day', created_at, coalesce(closed_at, TIMESTAMP '2030-01-01')) AS days, \
                strftime(created_at + INTERVAL 1 DAY, '%Y-%m-%d %H:%M:%S') AS a_day_later, \
                extract(hour FROM created_at) AS hour, date_part('dow', updated_at) AS dow \
         FROM action_items ORDER BY key",
        "SELECT strftime(date_trunc('week', created_at), '%Y-%m-%d') AS week, count(*) AS n \
         FROM risks WHERE created_at < utc_now() GROUP BY ALL ORDER BY week",
        // The stored TIMESTAMPTZ, through as_utc(): the same too.
        "SELECT CAST(CAST(as_utc(created_at) AS DATE) AS VARCHAR) AS day, count(*) AS n \
         FROM items WHERE kind = 'incident' GROUP BY ALL ORDER BY day",
    ];
    let list = serde_json::to_string(&queries).unwrap();
    let py = python(SQL_SCRIPT, &[&db_s, FAR_ZONE, &list], FAR_ZONE).await;
    assert_eq!(
        py["zone"], FAR_ZONE,
        "the Python session runs in {FAR_ZONE}"
    );
    for (i, q) in queries.iter().enumerate() {
        let ours = recur_query(dir.path(), q)
            .await
            .unwrap_or_else(|e| panic!("recur query failed on {q}: {e}"));
        assert!(!ours.is_empty(), "{q} has rows");
        let theirs: Vec<Vec<serde_json::Value>> =
            serde_json::from_value(py["results"][i].clone()).unwrap();
        assert_eq!(ours, theirs, "recur and Python ({FAR_ZONE}) differ on {q}");
    }

    // Why it matters: the same question of the stored TIMESTAMPTZ, cast the
    // usual way, answers by the session's zone in Python (so differs from
    // the view), and needs ICU in recur, which it does not have.
    let naive = "SELECT CAST(CAST(created_at AS DATE) AS VARCHAR) AS day, count(*) AS n \
                 FROM items WHERE kind = 'incident' GROUP BY ALL ORDER BY day";
    let list = serde_json::to_string(&[naive]).unwrap();
    let py = python(SQL_SCRIPT, &[&db_s, FAR_ZONE, &list], FAR_ZONE).await;
    let by_zone: Vec<Vec<serde_json::Value>> =
        serde_json::from_value(py["results"][0].clone()).unwrap();
    let utc_days = recur_query(dir.path(), queries[1]).await.unwrap();
    assert_ne!(
        by_zone, utc_days,
        "in {FAR_ZONE} a TIMESTAMPTZ's day is not its UTC day (the premise of this test)"
    );
    let err = recur_query(
        dir.path(),
        "SELECT date_trunc('month', created_at) FROM items LIMIT 1",
    )
    .await
    .expect_err("date_trunc on a TIMESTAMPTZ needs ICU, which recur's DuckDB lacks");
    assert!(err.contains("icu"), "{err}");
    sb.shutdown().await;
}

/// Reads the file with ATTACH … (READ_ONLY), DETACHes, says so, and stays
/// alive (a notebook kernel between cells).
const ATTACH_SCRIPT: &str = r#"
import sys, time
import duckdb
con = duckdb.connect()
path = sys.argv[1].replace("'", "''")
deadline = time.time() + 60
while True:  # a cycle holds the file for writing: retry, as a reader must
    try:
        con.execute(f"ATTACH '{path}' AS recur (READ_ONLY)")
        break
    except duckdb.Error as e:
        if "lock" not in str(e) or time.time() > deadline:
            raise
        time.sleep(0.1)
n = con.execute("SELECT count(*) FROM recur.action_items").fetchone()[0]
con.execute("DETACH recur")
print(f"detached {n}", flush=True)
time.sleep(float(sys.argv[2]))
"#;

/// Opens the file read-only, says so, and holds it.
const HOLD_SCRIPT: &str = r#"
import sys, time
import duckdb
deadline = time.time() + 60
while True:  # a cycle holds the file for writing: retry, as a reader must
    try:
        con = duckdb.connect(sys.argv[1], read_only=True)
        break
    except duckdb.Error as e:
        if "lock" not in str(e) or time.time() > deadline:
            raise
        time.sleep(0.1)
n = con.execute("SELECT count(*) FROM action_items").fetchone()[0]
print(f"holding {n}", flush=True)
time.sleep(float(sys.argv[2]))
"#;

/// Starts a Python script and waits for its first line.
async fn python_reader(script: &str, db: &str, secs: &str) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args([db, secs])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs");
    let stdout = child.stdout.take().unwrap();
    let line = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::io::BufReader::new(stdout)
            .lines()
            .next_line()
            .await
            .unwrap()
            .unwrap_or_default()
    })
    .await
    .expect("the reader opens the file within a minute");
    (child, line)
}

/// The measurement behind the README's "Long-lived readers": with
/// `interval = "2s"` a cycle's patience is 10 s (half the interval, at least
/// 10 s); a Python process holding the file read-only makes the next cycle
/// wait 1 + 2 + 4 s, then skip (the next back-off step would pass the
/// patience), and /healthz says `degraded`; a reader that ATTACHes, reads
/// and DETACHes, however long it lives after, does not delay a cycle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_reader_holding_the_file_makes_a_cycle_wait_then_skip_and_detach_frees_it() {
    python_duckdb();
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    let db_s = db.to_string_lossy().into_owned();
    let config = format!(
        "{}\n[daemon]\ninterval = \"2s\"\nlisten = \"127.0.0.1:0\"\n",
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db)
    );
    let settings = recur::settings::Settings::from_toml(&config).unwrap();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let daemon = tokio::spawn(recur::daemon::run(settings, shutdown, Some(tx)));
    let health = format!("http://{}/healthz", rx.await.expect("listens").ops);
    // The last cycle /healthz reports once `pred` holds of it.
    let poll = |pred: Box<dyn Fn(&serde_json::Value) -> bool + Send>, secs: u64| {
        let health = health.clone();
        async move {
            let start = Instant::now();
            loop {
                if let Ok(r) = reqwest::get(&health).await {
                    let body: serde_json::Value = r.json().await.unwrap_or_default();
                    if pred(&body) {
                        return body;
                    }
                }
                assert!(
                    start.elapsed() < Duration::from_secs(secs),
                    "/healthz did not get there in {secs}s"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let started_after = |t: chrono::DateTime<chrono::Utc>, status: &'static str| {
        Box::new(move |b: &serde_json::Value| {
            b["last_cycle"]["status"] == status
                && b["last_cycle"]["started_at"]
                    .as_str()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                    .is_some_and(|s| s > t)
        }) as Box<dyn Fn(&serde_json::Value) -> bool + Send>
    };
    poll(started_after(chrono::DateTime::UNIX_EPOCH, "ok"), 120).await;

    // ATTACH, read, DETACH: the process lives on 12 s (more than the 10 s
    // patience), and the cycles meanwhile run at once.
    let (mut attached, line) = python_reader(ATTACH_SCRIPT, &db_s, "12").await;
    assert!(line.starts_with("detached "), "{line}");
    let detached_at = chrono::Utc::now();
    let _ = attached.wait().await;
    let freed_until = chrono::Utc::now();

    // A reader holding the file: the next cycle waits, then skips.
    let (mut holder, line) = python_reader(HOLD_SCRIPT, &db_s, "60").await;
    assert!(line.starts_with("holding "), "{line}");
    let held_at = chrono::Utc::now();
    let body = poll(started_after(held_at, "skipped"), 60).await;
    // Skipped after 7 s, more than three 2 s intervals since the last
    // success: /healthz fails (at the default 15 m it says `degraded`).
    assert_eq!(body["status"], "failing", "{body}");
    assert!(
        body["reason"]
            .as_str()
            .is_some_and(|r| r.contains("skipped") && r.contains("python")),
        "the reason names the holder: {body}"
    );
    let cycle = &body["last_cycle"];
    let at = |k: &str| chrono::DateTime::parse_from_rfc3339(cycle[k].as_str().unwrap()).unwrap();
    let waited = (at("finished_at") - at("started_at")).to_std().unwrap();
    assert!(
        waited >= Duration::from_secs(7) && waited < Duration::from_secs(20),
        "waited {waited:?} (1 + 2 + 4 s of back-off, then skipped)"
    );
    println!("a cycle waited {waited:?} for the reader, then was skipped");
    holder.kill().await.unwrap();
    let released = Instant::now();
    poll(started_after(chrono::Utc::now(), "ok"), 60).await;
    println!(
        "the next cycle succeeded {:?} after the reader let go",
        released.elapsed()
    );
    stop.send(true).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(60), daemon).await;

    let rows = query(
        &db,
        &format!(
            "SELECT status, count(*) FROM cycles \
             WHERE started_at > TIMESTAMP '{}' AND started_at < TIMESTAMP '{}' GROUP BY ALL",
            detached_at.naive_utc(),
            freed_until.naive_utc()
        ),
    )
    .await;
    assert_eq!(rows.len(), 1, "only ok cycles after DETACH: {rows:?}");
    assert_eq!(rows[0][0], "ok");
    assert!(rows[0][1].as_i64().unwrap() >= 3, "{rows:?}");
    let skipped = query(
        &db,
        "SELECT duration_ms FROM cycles WHERE status = 'skipped' AND error LIKE '%held by another process%'",
    )
    .await;
    assert!(
        !skipped.is_empty(),
        "the skipped cycle is recorded once the file is free"
    );
    sb.shutdown().await;
}
