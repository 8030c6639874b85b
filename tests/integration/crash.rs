//! Crash consistency with real SIGKILLs: the `recur` binary runs the cycle
//! `sync → score → writeback` against the sandbox GitHub and Jira and is
//! killed at many points (timed kills during the first start's migration
//! and checkpoint, then kills chosen from the sandbox's request counter:
//! mid-sync pages, mid-write-back between two writes), restarted each time,
//! and finally run to completion. The database and the tracker state must
//! equal those of a clean run against an identical sandbox, and the
//! restarts must log no error.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use recur_core::SUMMARY_MARKER;
use recur_sandbox::{Sandbox, SandboxOptions};

use crate::common::*;

const SEED: u64 = 11;

fn config(sb: &Sandbox, db: &Path) -> String {
    format!(
        "{}{}\n[writeback]\nmin_interval_ms = 0\ncreations_per_minute = 100000\ncreations_per_hour = 100000\n",
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), db),
        recur::demo::sandbox_jira_source(&sb.jira_url(), &sb.jira().projects(), false)
    )
}

fn requests(sb: &Sandbox) -> u64 {
    sb.github().total_requests() + sb.jira().total_requests()
}

enum Kill {
    /// SIGKILL this long after the process starts.
    After(Duration),
    /// SIGKILL once the sandbox has answered this many requests in all.
    AtRequest(u64),
}

/// Runs one step; `Ok(true)` when it finished, `Ok(false)` when killed.
async fn step(dir: &Path, sb: &Sandbox, args: &[&str], kill: Option<&Kill>) -> bool {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_recur"))
        .current_dir(dir)
        .args(args)
        .env_remove("RECUR_CONFIG")
        .env(recur::clock::NOW_ENV, clock().now().to_rfc3339())
        .env("RECUR_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("recur starts");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let out = child.wait_with_output().await.expect("output");
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(status.success(), "{args:?} failed: {stderr}");
            assert!(
                !stderr.contains("ERROR"),
                "{args:?} logged an error after a restart: {stderr}"
            );
            return true;
        }
        let due = match kill {
            Some(Kill::After(d)) => started.elapsed() >= *d,
            Some(Kill::AtRequest(n)) => requests(sb) >= *n,
            None => false,
        };
        if due {
            child.start_kill().expect("SIGKILL");
            let _ = child.wait().await;
            return false;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The cycle; the step that was killed, if one was.
async fn cycle(dir: &Path, sb: &Sandbox, kill: Option<&Kill>) -> Option<&'static str> {
    for name in ["sync", "score", "writeback"] {
        if !step(dir, sb, &[name], kill).await {
            return Some(name);
        }
    }
    None
}

/// Everything a user can see in the database, minus run ids, timestamps of
/// recur's own runs and the tracker's `updated_at` (recur's writes move it
/// at different moments in the two runs).
async fn db_view(db: &Path) -> Vec<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for sql in [
        "SELECT source, key, kind, tracking, title, body, state, status, list_sort(labels), owner, priority, \
         service, team, target_date, impact, scope, likelihood, risk_ref, created_at, closed_at, moved_to \
         FROM items ORDER BY source, key",
        "SELECT source, key, count(*), count(valid_to) FROM item_history GROUP BY ALL ORDER BY ALL",
        "SELECT source, key, ordinal, band, priority FROM risk_scores ORDER BY ALL",
        "SELECT source, key, label, value_key, state FROM writeback_labels ORDER BY ALL",
        "SELECT source, key FROM writeback_comments ORDER BY ALL",
        "SELECT count(*) FROM parse_problems",
        "SELECT count(*) FROM malformed_entries",
    ] {
        out.extend(query(db, sql).await);
    }
    out
}

/// Per live item: its labels (sorted) and how many recur summaries it has.
fn tracker_view(sb: &Sandbox) -> BTreeMap<String, (Vec<String>, usize)> {
    let mut out = BTreeMap::new();
    let gh = sb.github();
    for repo in gh.repos() {
        for n in gh.issue_numbers(&repo) {
            let Some(i) = gh.issue(&repo, n) else {
                continue;
            };
            let mut labels = i.labels.clone();
            labels.sort();
            let summaries = i
                .comments
                .iter()
                .filter(|c| c.body.starts_with(SUMMARY_MARKER))
                .count();
            out.insert(format!("{repo}#{n}"), (labels, summaries));
        }
    }
    let j = sb.jira();
    for p in j.projects() {
        for key in j.keys(&p) {
            let Some(i) = j.issue(&key) else { continue };
            let mut labels = i.labels.clone();
            labels.sort();
            let summaries = i
                .comments
                .iter()
                .filter(|(_, t, _)| t.starts_with("recur summary for"))
                .count();
            out.insert(key, (labels, summaries));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_many_points_then_rerun_equals_a_clean_run() {
    // The clean run, on its own sandbox.
    let clean_sb = Sandbox::start(SandboxOptions::small(SEED)).await.unwrap();
    let clean_dir = tempfile::tempdir().unwrap();
    let clean_db = clean_dir.path().join("r.duckdb");
    std::fs::write(
        clean_dir.path().join("recur.toml"),
        config(&clean_sb, &clean_db),
    )
    .unwrap();
    assert!(step(clean_dir.path(), &clean_sb, &["sync"], None).await);
    let in_sync = requests(&clean_sb);
    assert_eq!(cycle(clean_dir.path(), &clean_sb, None).await, None);
    let total = requests(&clean_sb);
    let writes = query(
        &clean_db,
        "SELECT count(*) FROM writeback_log WHERE outcome = 'applied'",
    )
    .await[0][0]
        .as_i64()
        .unwrap();
    assert!(
        total > 50 && writes > 20,
        "{total} requests, {writes} writes"
    );

    // The crashing run, on an identical sandbox.
    let sb = Sandbox::start(SandboxOptions::small(SEED)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.duckdb");
    std::fs::write(dir.path().join("recur.toml"), config(&sb, &db)).unwrap();
    let mut kills: BTreeMap<&str, usize> = BTreeMap::new();
    // First start: during the migrations and the first checkpoint.
    for ms in [5u64, 40, 120] {
        let kill = Kill::After(Duration::from_millis(ms));
        if !step(dir.path(), &sb, &["sync"], Some(&kill)).await {
            *kills.entry("first start").or_default() += 1;
        }
    }
    // Then at request counts spread over the whole cycle: sync pages,
    // comment look-ups, and between writes.
    // 8 points inside the first sync's pages, 16 over the rest.
    let sync_points = (1..=8u64).map(|i| in_sync * i / 9);
    let rest_points = (1..=16u64).map(|i| in_sync + (total - in_sync) * i / 17);
    for at in sync_points {
        // A restart repeats some work, so the counter may already be past
        // this point: then kill at the next request instead.
        let at = at.max(requests(&sb) + 1);
        if let Some(killed) = cycle(dir.path(), &sb, Some(&Kill::AtRequest(at))).await {
            *kills.entry(killed).or_default() += 1;
        }
    }
    for at in rest_points {
        // Each restart's incremental sync costs a few requests of its own;
        // run it whole so the point lands after it, in score or write-back.
        assert!(step(dir.path(), &sb, &["sync"], None).await);
        let at = at.max(requests(&sb) + 1);
        for name in ["score", "writeback"] {
            if !step(dir.path(), &sb, &[name], Some(&Kill::AtRequest(at))).await {
                *kills.entry(name).or_default() += 1;
                break;
            }
        }
    }
    eprintln!("kills by step: {kills:?}");
    assert!(kills.values().sum::<usize>() >= 20, "kills: {kills:?}");
    assert!(kills.get("sync").copied().unwrap_or(0) >= 5, "{kills:?}");
    assert!(
        kills.get("writeback").copied().unwrap_or(0) >= 5,
        "{kills:?}"
    );
    // To completion, then once more (nothing left to do).
    assert_eq!(cycle(dir.path(), &sb, None).await, None);
    sb.github().reset_counters();
    sb.jira().reset_counters();
    assert_eq!(cycle(dir.path(), &sb, None).await, None);
    let writes: Vec<_> = sb
        .github()
        .request_log()
        .into_iter()
        .chain(sb.jira().request_log())
        .filter(|r| matches!(r.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"))
        .filter(|r| !r.path_and_query.contains("/search"))
        .collect();
    assert!(
        writes.is_empty(),
        "a cycle after completion wrote: {writes:?}"
    );

    assert_eq!(tracker_view(&sb), tracker_view(&clean_sb), "tracker state");
    assert!(tracker_view(&sb).values().all(|(labels, summaries)| {
        *summaries == usize::from(labels.iter().any(|l| l.starts_with("recur:")))
    }));
    assert_eq!(db_view(&db).await, db_view(&clean_db).await, "database");
    sb.shutdown().await;
    clean_sb.shutdown().await;
}
