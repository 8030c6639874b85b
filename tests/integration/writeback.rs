//! Write-back scenarios against the sandbox trackers, GitHub and Jira: dry
//! run, the exact diff, idempotence, unmanaged labels, the summary comment
//! found on a late page, human removals, a stop between any two writes,
//! pacing, rate limits and 5xx mid-run, moved items, and loop avoidance.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use recur::settings::Settings;
use recur::shutdown::no_shutdown;
use recur::store::{OpenMode, Store};
use recur::writeback::{WritebackError, WritebackJob, WritebackReport};
use recur_core::SUMMARY_MARKER;
use recur_sandbox::{Fault, FaultRule, NewIssue, Sandbox};

use crate::common::*;

const PREFIX: &str = "recur:";

/// Fires the shutdown on the first wait (the pacing wait before the
/// second write), and never sleeps.
struct StopOnSleep(std::sync::Mutex<Option<tokio::sync::watch::Sender<bool>>>);

impl recur::shutdown::Sleeper for StopOnSleep {
    fn sleep(
        &self,
        _d: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        if let Some(tx) = self.0.lock().unwrap().take() {
            let _ = tx.send(true);
        }
        Box::pin(async {})
    }
}

/// Write requests the sandbox answered (or failed) since the last reset.
fn writes(log: &[recur_sandbox::RequestRecord]) -> usize {
    log.iter()
        .filter(|r| matches!(r.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"))
        .filter(|r| !r.path_and_query.contains("/search"))
        .count()
}

/// (managed labels, other labels in order, recur summary comments).
type ItemState = (BTreeSet<String>, Vec<String>, usize);

fn split(labels: &[String], comments: usize) -> ItemState {
    let managed = labels
        .iter()
        .filter(|l| l.starts_with(PREFIX))
        .cloned()
        .collect();
    let other = labels
        .iter()
        .filter(|l| !l.starts_with(PREFIX))
        .cloned()
        .collect();
    (managed, other, comments)
}

/// key -> state of every live GitHub issue.
fn gh_state(sb: &Sandbox) -> BTreeMap<String, ItemState> {
    let gh = sb.github();
    let mut out = BTreeMap::new();
    for repo in gh.repos() {
        for n in gh.issue_numbers(&repo) {
            let Some(i) = gh.issue(&repo, n) else {
                continue;
            };
            if i.is_pull_request || i.deleted || i.transferred_to.is_some() {
                continue;
            }
            let comments = i
                .comments
                .iter()
                .filter(|c| c.body.starts_with(SUMMARY_MARKER))
                .count();
            out.insert(format!("{repo}#{n}"), split(&i.labels, comments));
        }
    }
    out
}

fn jira_state(sb: &Sandbox) -> BTreeMap<String, ItemState> {
    let j = sb.jira();
    let mut out = BTreeMap::new();
    for p in j.projects() {
        for key in j.keys(&p) {
            let Some(i) = j.issue(&key) else { continue };
            let comments = i
                .comments
                .iter()
                // Data Center gets wiki markup (`h3. ` heading), Cloud ADF.
                .filter(|(_, text, _)| {
                    let text = text.strip_prefix("h3. ").unwrap_or(text);
                    text.starts_with("recur summary for")
                })
                .count();
            out.insert(key, split(&i.labels, comments));
        }
    }
    out
}

/// The labels recur wants, by key, from the dry run's plan applied to the
/// state before it (adds and removes).
fn managed_after_plan(
    before: &BTreeMap<String, ItemState>,
    plan: &WritebackReport,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = before
        .iter()
        .map(|(k, (m, _, _))| (k.clone(), m.clone()))
        .collect();
    for row in plan.rows.iter().filter(|r| r.op == "labels") {
        let set = out.entry(row.key.clone()).or_default();
        for change in row.change.split(' ') {
            if let Some(l) = change.strip_prefix('+') {
                set.insert(l.to_string());
            } else if let Some(l) = change.strip_prefix('-') {
                set.remove(l);
            }
        }
    }
    out
}

#[tokio::test]
async fn github_dry_run_then_exact_diff_then_nothing() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = gh_settings(&sb, &dir.path().join("r.duckdb"), "");
    sync(&settings).await;
    score(&settings).await;
    let before = gh_state(&sb);
    sb.github().reset_counters();

    // Dry run: a plan, and no request at all.
    let dry = writeback(&settings, true).await;
    assert!(dry.counts.planned > 10, "plan: {:?}", dry.counts);
    assert_eq!(sb.github().total_requests(), 0, "a dry run sends nothing");
    assert!(dry.rows.iter().any(|r| r.change.contains("+recur:risk-p")));
    assert!(dry.rows.iter().any(|r| r.op == "comment"));

    // The real run writes exactly the plan.
    let run = writeback(&settings, false).await;
    assert_eq!(run.counts.planned, dry.counts.planned);
    assert_eq!(run.counts.applied, dry.counts.planned, "{:?}", run.counts);
    assert_eq!(run.counts.failed, 0);
    let log = sb.github().request_log();
    assert_eq!(writes(&log) as u64, run.counts.writes);
    assert_eq!(
        run.counts.writes, dry.counts.planned,
        "one write per operation"
    );

    let after = gh_state(&sb);
    let expected = managed_after_plan(&before, &dry);
    for (key, (managed, other, comments)) in &after {
        let (_, other_before, _) = &before[key];
        assert_eq!(
            other, other_before,
            "{key}: labels outside the prefix untouched, same order"
        );
        assert_eq!(managed, &expected[key], "{key}: managed labels as planned");
        let flagged = !managed.is_empty();
        assert_eq!(
            *comments,
            usize::from(flagged),
            "{key}: one summary comment per flagged item"
        );
    }
    // The contrast risks carry their priority labels.
    assert!(after["acme/payments#3"]
        .0
        .iter()
        .any(|l| l.starts_with("recur:risk-p")));

    // A second run, nothing changed: zero write requests.
    sb.github().reset_counters();
    let again = writeback(&settings, false).await;
    assert_eq!(again.counts.planned, 0, "{:?}", again.rows);
    assert_eq!(writes(&sb.github().request_log()), 0);

    // recur's own edits come back in the next sync: no activity, no history
    // version, no new writes.
    let db = &settings.store_path;
    let activity_before = query(db, "SELECT key, activity_at FROM items ORDER BY key").await;
    let versions_before = scalar(db, "SELECT count(*) FROM item_history").await;
    let report = sync(&settings).await;
    assert!(report.stats.items_seen > 0, "the edits are seen");
    assert_eq!(
        query(db, "SELECT key, activity_at FROM items ORDER BY key").await,
        activity_before,
        "recur's edits are not human activity"
    );
    assert_eq!(
        scalar(db, "SELECT count(*) FROM item_history").await,
        versions_before
    );
    score(&settings).await;
    sb.github().reset_counters();
    let after_sync = writeback(&settings, false).await;
    assert_eq!(after_sync.counts.planned, 0, "{:?}", after_sync.rows);
    assert_eq!(writes(&sb.github().request_log()), 0);

    // The audit view has every applied operation.
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) FROM writeback_log WHERE outcome = 'applied'"
        )
        .await as u64,
        run.counts.applied
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn github_finds_an_existing_summary_on_page_three_and_respects_a_human_removal() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = gh_settings(&sb, &dir.path().join("r.duckdb"), "");
    let gh = sb.github();
    // 250 human comments, then recur's old summary (page 3 at 100 a page).
    for i in 0..250 {
        gh.add_comment("acme/payments", 3, "alice", &format!("comment {i}"));
    }
    let old = gh.add_comment(
        "acme/payments",
        3,
        "recur-bot",
        &format!("{SUMMARY_MARKER}\nold summary"),
    );
    // A look-alike by a person is not recur's.
    gh.add_comment(
        "acme/payments",
        3,
        "alice",
        &format!("{SUMMARY_MARKER}\nquoted"),
    );
    sync(&settings).await;
    score(&settings).await;
    writeback(&settings, false).await;
    let issue = gh.issue("acme/payments", 3).unwrap();
    let ours: Vec<_> = issue
        .comments
        .iter()
        .filter(|c| c.user == "recur-bot" && c.body.starts_with(SUMMARY_MARKER))
        .collect();
    assert_eq!(ours.len(), 1, "edited in place, not posted again");
    assert_eq!(ours[0].id, old);
    // (`#` is followed by a zero-width joiner so the key cannot autolink.)
    assert!(
        ours[0]
            .body
            .contains("recur summary for risk acme/payments#\u{200D}3"),
        "{}",
        ours[0].body
    );
    let alice_copy = issue
        .comments
        .iter()
        .find(|c| c.user == "alice" && c.body.contains("quoted"))
        .unwrap();
    assert!(
        alice_copy.body.ends_with("quoted"),
        "a person's comment is never edited"
    );

    // A person removes recur's priority label: not re-added...
    let label = issue
        .labels
        .iter()
        .find(|l| l.starts_with("recur:risk-p"))
        .cloned()
        .expect("priority label");
    gh.remove_label("acme/payments", 3, &label);
    sync(&settings).await;
    score(&settings).await;
    gh.reset_counters();
    let r = writeback(&settings, false).await;
    assert!(
        r.suppressed
            .iter()
            .any(|(k, l)| k == "acme/payments#3" && l == &label),
        "{:?}",
        r.suppressed
    );
    assert!(!gh
        .issue("acme/payments", 3)
        .unwrap()
        .labels
        .contains(&label));
    // ...the comment says so once, then nothing more is written.
    let body = &gh
        .issue("acme/payments", 3)
        .unwrap()
        .comments
        .iter()
        .find(|c| c.id == old)
        .unwrap()
        .body
        .clone();
    assert!(body.contains("removed by a person"), "{body}");
    sync(&settings).await;
    score(&settings).await;
    gh.reset_counters();
    let r = writeback(&settings, false).await;
    assert_eq!(r.counts.planned, 0, "{:?}", r.rows);
    assert_eq!(writes(&gh.request_log()), 0);

    // ...until the value it reflects changes: the priority moves.
    let db = &settings.store_path;
    let store = Store::open(
        db,
        OpenMode::ReadWrite,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    let old_p = label.trim_start_matches("recur:risk-").to_uppercase();
    let new_p = if old_p == "P0" { "P1" } else { "P0" };
    store
        .query(
            "t",
            &format!(
                "UPDATE score_history SET priority = '{new_p}' WHERE key = 'acme/payments#3' \
                 AND run_id = (SELECT max(run_id) FROM score_runs) RETURNING 1"
            ),
            vec![],
        )
        .await
        .unwrap();
    store.close().await;
    writeback(&settings, false).await;
    let labels = gh.issue("acme/payments", 3).unwrap().labels;
    let wanted = format!("recur:risk-{}", new_p.to_lowercase());
    assert!(labels.contains(&wanted), "{labels:?}");
    sb.shutdown().await;
}

#[tokio::test]
async fn github_stop_between_any_two_writes_then_rerun_gives_one_comment_per_item() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let clean_db = dir.path().join("clean.duckdb");
    let settings = gh_settings(&sb, &clean_db, "");
    sync(&settings).await;
    score(&settings).await;
    let plan = writeback(&settings, true).await;
    let n = plan.counts.planned as usize;
    assert!(n > 4);
    // Reference: a clean run on a copy of the sandbox state is not possible
    // (one sandbox), so the reference is the plan itself (checked exact in
    // the test above) applied to the starting state.
    let before = gh_state(&sb);
    let expected = managed_after_plan(&before, &plan);

    // Stop after every single write: each run makes one write, then a
    // shutdown arrives while it waits to pace the next one. Rerun until
    // nothing is left: every gap between two writes has seen a stop.
    let paced = gh_settings(&sb, &clean_db, "min_interval_ms = 60000");
    let mut runs = 0;
    loop {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let sleeper = StopOnSleep(std::sync::Mutex::new(Some(tx)));
        sb.github().reset_counters();
        let r = writeback_with(&paced, false, &sleeper, rx).await;
        let wrote = writes(&sb.github().request_log());
        match r {
            Err(WritebackError::Interrupted) => assert_eq!(wrote, 1, "one write, then the stop"),
            Ok(r) => {
                assert!(wrote <= 1, "{wrote}");
                if r.counts.planned == 0 {
                    break;
                }
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
        runs += 1;
        assert!(runs <= n + 5, "no progress after {runs} runs");
    }
    assert!(runs >= n - 1, "{runs} runs for {n} operations");
    let r = writeback(&settings, false).await;
    assert_eq!(r.counts.failed, 0);
    let after = gh_state(&sb);
    for (key, (managed, _, comments)) in &after {
        assert_eq!(managed, &expected[key], "{key}");
        assert_eq!(
            *comments,
            usize::from(!managed.is_empty()),
            "{key}: exactly one summary"
        );
    }
    sb.github().reset_counters();
    let r = writeback(&settings, false).await;
    assert_eq!(r.counts.planned, 0, "{:?}", r.rows);
    sb.shutdown().await;
}

#[tokio::test]
async fn github_pacing_rate_limits_5xx_and_moved_items() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = gh_settings(
        &sb,
        &dir.path().join("r.duckdb"),
        "min_interval_ms = 1500\ncreations_per_minute = 5\nmax_operations = 12",
    );
    sync(&settings).await;
    score(&settings).await;
    let plan = writeback(&settings, true).await;
    assert!(plan.counts.planned > 12);
    // A transferred item: its writes are skipped and reported.
    let moved_key = plan.rows[0].key.clone();
    let (repo, num) = moved_key.rsplit_once('#').unwrap();
    sb.github()
        .transfer_issue(repo, num.parse().unwrap(), "acme/checkout");
    // A secondary rate limit with Retry-After, then a 502, mid-run.
    sb.github().push_fault(FaultRule {
        route: Some("/comments".into()),
        fault: Fault::SecondaryLimit {
            status: 403,
            retry_after: Some(30),
        },
        times: 1,
    });
    sb.github().push_fault(FaultRule {
        route: Some("/labels".into()),
        fault: Fault::ServerError { status: 502 },
        times: 1,
    });
    let sleeper = RecordingSleeper::default();
    let r = writeback_with(&settings, false, &sleeper, no_shutdown())
        .await
        .unwrap();
    assert_eq!(
        r.counts.deferred,
        plan.counts.planned - 12,
        "budget respected"
    );
    assert!(r.counts.skipped >= 1, "{:?}", r.rows);
    assert!(r
        .rows
        .iter()
        .any(|row| row.key == moved_key && row.state == "skipped"));
    assert_eq!(r.counts.failed, 0, "{:?}", r.rows);
    let waits = sleeper.waits();
    assert!(
        waits.contains(&Duration::from_secs(30)),
        "Retry-After honoured: {waits:?}"
    );
    // Pacing: every write after the first waited for the interval (or
    // longer, for the creation window), never less.
    let pacing: Vec<_> = waits
        .iter()
        .filter(|w| **w > Duration::from_millis(1000) && **w <= Duration::from_millis(1500))
        .collect();
    assert!(pacing.len() >= 5, "min_interval waits: {waits:?}");
    // Content creations (label additions, new comments): at most 5 in any
    // minute, so c creations take at least 60 s × ⌊(c − 1) / 5⌋ of waiting.
    let creations = sb
        .github()
        .request_log()
        .iter()
        .filter(|r| r.method == "POST" && r.status < 300 && r.status > 0)
        .count() as u64;
    assert!(creations > 5, "{creations}");
    let waited: Duration = waits.iter().sum();
    assert!(
        waited >= Duration::from_secs(60 * ((creations - 1) / 5)),
        "{creations} creations, waited {waited:?}: {waits:?}"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn jira_cloud_and_datacenter_write_once_then_nothing() {
    for datacenter in [false, true] {
        let sb = small_sandbox().await;
        let dir = tempfile::tempdir().unwrap();
        let settings = jira_settings(&sb, &dir.path().join("j.duckdb"), datacenter);
        sync(&settings).await;
        score(&settings).await;
        let before = jira_state(&sb);
        sb.jira().reset_counters();
        let dry = writeback(&settings, true).await;
        assert!(dry.counts.planned > 5, "{:?}", dry.counts);
        assert_eq!(sb.jira().total_requests(), 0);
        // One combined label edit per item (add and remove in one PUT).
        let mut per_item: BTreeMap<&str, usize> = BTreeMap::new();
        for row in dry.rows.iter().filter(|r| r.op == "labels") {
            *per_item.entry(row.key.as_str()).or_default() += 1;
        }
        assert!(per_item.values().all(|n| *n == 1));

        // A 429 with Retry-After mid-run is waited out.
        sb.jira().push_fault(FaultRule {
            route: Some("/comment".into()),
            fault: Fault::SecondaryLimit {
                status: 429,
                retry_after: Some(7),
            },
            times: 1,
        });
        let sleeper = RecordingSleeper::default();
        let run = writeback_with(&settings, false, &sleeper, no_shutdown())
            .await
            .unwrap();
        assert_eq!(run.counts.applied, dry.counts.planned, "{:?}", run.rows);
        assert!(sleeper.waits().contains(&Duration::from_secs(7)));
        let after = jira_state(&sb);
        let expected = managed_after_plan(&before, &dry);
        for (key, (managed, other, comments)) in &after {
            assert_eq!(other, &before[key].1, "{key}: other labels untouched");
            assert_eq!(managed, &expected[key], "{key}");
            assert_eq!(*comments, usize::from(!managed.is_empty()), "{key}");
        }
        sb.jira().reset_counters();
        assert_eq!(writeback(&settings, false).await.counts.planned, 0);
        sync(&settings).await;
        score(&settings).await;
        sb.jira().reset_counters();
        let again = writeback(&settings, false).await;
        assert_eq!(again.counts.planned, 0, "{:?}", again.rows);
        assert_eq!(writes(&sb.jira().request_log()), 0);
        sb.shutdown().await;
    }
}

#[tokio::test]
async fn a_revoked_token_stops_the_run_with_a_clear_error_and_nothing_half_written() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = gh_settings(&sb, &dir.path().join("r.duckdb"), "");
    sync(&settings).await;
    score(&settings).await;
    sb.github().push_fault(FaultRule {
        route: Some("/labels".into()),
        fault: Fault::Unauthorized,
        times: 1,
    });
    let err = writeback_with(
        &settings,
        false,
        &RecordingSleeper::default(),
        no_shutdown(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, WritebackError::Unauthorized(_)));
    let msg = err.to_string();
    assert!(msg.contains("401") && msg.contains("token"), "{msg}");
    assert!(!msg.contains("sandbox-token"), "no secret in the message");
    let db = &settings.store_path;
    assert_eq!(
        query(db, "SELECT status FROM writeback_runs").await[0][0],
        serde_json::json!("failed")
    );
    // The next run finishes the job.
    let r = writeback(&settings, false).await;
    assert_eq!(r.counts.failed, 0);
    let state = gh_state(&sb);
    assert!(state
        .values()
        .all(|(m, _, c)| *c == usize::from(!m.is_empty())));
    sb.shutdown().await;
}

#[tokio::test]
async fn writeback_through_20_percent_faults_equals_a_clean_run_on_both_trackers() {
    let dir = tempfile::tempdir().unwrap();
    // The clean reference and the faulty run each get an identical sandbox.
    let clean = small_sandbox().await;
    let faulty = small_sandbox().await;
    let both = |sb: &Sandbox, db: &std::path::Path| -> Settings {
        Settings::from_toml(&format!(
            "{}{}\n[writeback]\nmin_interval_ms = 0\n",
            recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), db),
            recur::demo::sandbox_jira_source(&sb.jira_url(), &sb.jira().projects(), false)
        ))
        .unwrap()
    };
    let clean_s = both(&clean, &dir.path().join("clean.duckdb"));
    let faulty_s = both(&faulty, &dir.path().join("faulty.duckdb"));
    for s in [&clean_s, &faulty_s] {
        for i in 0..2 {
            let mut one = s.clone();
            one.sources = vec![s.sources[i].clone()];
            sync(&one).await;
        }
        score(s).await;
    }
    let mut total_retries = 0;
    for i in 0..2 {
        let mut c = clean_s.clone();
        c.sources = vec![clean_s.sources[i].clone()];
        writeback(&c, false).await;
        let mut f = faulty_s.clone();
        f.sources = vec![faulty_s.sources[i].clone()];
        faulty
            .github()
            .set_random_faults(0.2, crate::faults::kinds(), 5 + i as u64);
        faulty
            .jira()
            .set_random_faults(0.2, crate::faults::kinds(), 9 + i as u64);
        let sleeper = RecordingSleeper::default();
        let r = writeback_with(&f, false, &sleeper, no_shutdown())
            .await
            .expect("write-back survives the faults");
        faulty.github().clear_faults();
        faulty.jira().clear_faults();
        assert_eq!(r.counts.failed, 0, "{:?}", r.rows);
        assert!(r.counts.retries > 0, "faults were injected");
        total_retries += r.counts.retries;
    }
    assert_eq!(gh_state(&faulty), gh_state(&clean), "GitHub state");
    assert_eq!(jira_state(&faulty), jira_state(&clean), "Jira state");
    let db = &faulty_s.store_path;
    assert_eq!(
        scalar(db, "SELECT sum(retries) FROM writeback_runs").await as u64,
        total_retries,
        "retries are recorded"
    );
    assert!(scalar(db, "SELECT sum(waited_ms) FROM writeback_runs").await > 0);
    // And nothing is left to do.
    for i in 0..2 {
        let mut f = faulty_s.clone();
        f.sources = vec![faulty_s.sources[i].clone()];
        assert_eq!(writeback(&f, false).await.counts.planned, 0);
    }
    clean.shutdown().await;
    faulty.shutdown().await;
}

#[tokio::test]
async fn the_summary_is_found_behind_ten_thousand_comments_and_ninety_labels() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = gh_settings(&sb, &dir.path().join("r.duckdb"), "");
    let gh = sb.github();
    let seeded = gh.issue("acme/payments", 7).unwrap().comments.len();
    for i in 0..90 {
        gh.add_label("acme/payments", 7, &format!("team-tag-{i:02}"));
    }
    for i in 0..10_000 {
        gh.add_comment("acme/payments", 7, "alice", &format!("@recur-bot ping {i}"));
    }
    sync(&settings).await;
    score(&settings).await;
    writeback(&settings, false).await;
    // recur forgets its comment id (as after a lost answer): the next write
    // must page to the end to find the summary, and edit it.
    let store = Store::open(
        &settings.store_path,
        OpenMode::ReadWrite,
        &settings.memory_limit,
    )
    .await
    .unwrap();
    store
        .query(
            "t",
            "DELETE FROM writeback_comments WHERE key = 'acme/payments#7' RETURNING 1",
            vec![],
        )
        .await
        .unwrap();
    store.close().await;
    gh.reset_counters();
    let r = writeback(&settings, false).await;
    assert_eq!(r.counts.failed, 0);
    let issue = gh.issue("acme/payments", 7).unwrap();
    assert_eq!(
        issue
            .comments
            .iter()
            .filter(|c| c.body.starts_with(SUMMARY_MARKER))
            .count(),
        1,
        "still exactly one summary"
    );
    assert_eq!(issue.comments.len(), seeded + 10_001);
    let log = gh.request_log();
    let pages = log
        .iter()
        .filter(|r| r.method == "GET" && r.path_and_query.contains("/issues/7/comments"))
        .count();
    assert_eq!(
        pages,
        (seeded + 10_001).div_ceil(100),
        "paged through every comment"
    );
    assert_eq!(writes(&log), 1, "one edit, no new comment");
    assert_eq!(
        issue
            .labels
            .iter()
            .filter(|l| l.starts_with("team-tag-"))
            .count(),
        90
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn a_closed_item_loses_its_labels_keeps_its_comment_saying_so_and_a_vanished_label_is_done() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = gh_settings(&sb, &dir.path().join("r.duckdb"), "");
    sync(&settings).await;
    score(&settings).await;
    writeback(&settings, false).await;
    let gh = sb.github();
    let before = gh.issue("acme/payments", 3).unwrap();
    let managed: Vec<String> = before
        .labels
        .iter()
        .filter(|l| l.starts_with(PREFIX))
        .cloned()
        .collect();
    assert!(managed.len() >= 2, "{managed:?}");
    // The risk is closed; recur syncs that. Then, before write-back, a
    // person removes one of recur's labels: its DELETE will answer 404.
    gh.close("acme/payments", 3, "completed");
    sync(&settings).await;
    score(&settings).await;
    gh.remove_label("acme/payments", 3, &managed[0]);
    gh.reset_counters();
    let r = writeback(&settings, false).await;
    assert_eq!(r.counts.failed, 0, "{:?}", r.rows);
    assert!(
        gh.request_log()
            .iter()
            .any(|q| q.method == "DELETE" && q.status == 404),
        "the removal of a vanished label answered 404 and counted as done"
    );
    let after = gh.issue("acme/payments", 3).unwrap();
    assert!(
        after.labels.iter().all(|l| !l.starts_with(PREFIX)),
        "{:?}",
        after.labels
    );
    let ours: Vec<_> = after
        .comments
        .iter()
        .filter(|c| c.body.starts_with(SUMMARY_MARKER))
        .collect();
    assert_eq!(ours.len(), 1);
    assert!(
        ours[0].body.contains("no longer flagged"),
        "{}",
        ours[0].body
    );
    assert!(ours[0].body.contains("is closed"), "{}", ours[0].body);
    // And that is stable: nothing more to write.
    gh.reset_counters();
    assert_eq!(writeback(&settings, false).await.counts.planned, 0);
    sb.shutdown().await;
}

/// Issue "One clock": with the run's clock at one second before midnight
/// UTC, sync, scoring, the write-back plan and its application all judge by
/// that day — an item due that day is not overdue, one due the day before
/// is — and a second write-back on the same clock plans nothing, however
/// far the wall clock has moved. One second later (a new day) the first
/// item is overdue: the clock, not the wall, decides. Every run records it.
#[tokio::test]
async fn one_clock_every_step_judges_by_the_runs_day_at_one_second_before_midnight() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = gh_settings(&sb, &dir.path().join("r.duckdb"), "");
    let clock = crate::common::clock();
    assert_eq!(clock.now().format("%H:%M:%S").to_string(), "23:59:59");
    let today = clock.today();
    let gh = sb.github();
    let due_today = gh.create_issue(
        "acme/payments",
        NewIssue {
            title: "Add a circuit breaker to the refund client".into(),
            body: format!(
                "### Owner\n\n@alice\n\n### Service\n\npayments\n\n### Target date\n\n{today}\n"
            ),
            labels: vec!["postmortem".into()],
            ..NewIssue::default()
        },
    );
    let due_yesterday = gh.create_issue(
        "acme/payments",
        NewIssue {
            title: "Add a timeout to the refund client".into(),
            body: format!(
                "### Owner\n\n@alice\n\n### Service\n\npayments\n\n### Target date\n\n{}\n",
                today.pred_opt().unwrap()
            ),
            labels: vec!["postmortem".into()],
            ..NewIssue::default()
        },
    );
    sync(&settings).await;
    score(&settings).await;
    let overdue = |plan: &WritebackReport, n: u64| {
        plan.rows.iter().any(|r| {
            r.key == format!("acme/payments#{n}") && r.change.contains(&format!("+{PREFIX}overdue"))
        })
    };
    let plan = writeback(&settings, true).await;
    assert!(
        !overdue(&plan, due_today),
        "due today is not overdue at 23:59:59"
    );
    assert!(overdue(&plan, due_yesterday));
    let done = writeback(&settings, false).await;
    assert_eq!(done.counts.failed, 0);
    // Nothing changed, same clock: nothing to do, whatever the wall says.
    let again = writeback(&settings, true).await;
    assert_eq!(again.counts.planned, 0, "{:?}", again.rows);
    // One second later it is a new day, and the item due yesterday now.
    let store = Store::open(
        &settings.store_path,
        OpenMode::ReadOnly,
        &settings.memory_limit,
    )
    .await
    .unwrap();
    let writer = recur::sources::writer(&settings.sources[0], &settings.sync).unwrap();
    let next_day = WritebackJob {
        store: &store,
        writer: writer.as_ref(),
        settings: &settings.writeback,
        retry: &settings.sync,
        deadlines: &settings.deadlines,
        sleeper: &RecordingSleeper::default(),
        clock: recur::clock::Clock::at(clock.now() + chrono::Duration::seconds(1)),
        dry_run: true,
    }
    .run(no_shutdown())
    .await
    .unwrap();
    assert!(overdue(&next_day, due_today));
    // Every run recorded the clock it judged by.
    let clocks = store
        .query(
            "clocks",
            "SELECT (SELECT list(DISTINCT clock) FROM sync_runs), \
                    (SELECT list(DISTINCT clock) FROM writeback_runs), \
                    (SELECT list(DISTINCT scored_at) FROM score_runs WHERE scored_at >= ?::TIMESTAMPTZ)",
            vec![duckdb::types::Value::Text(clock.now().to_rfc3339())],
        )
        .await
        .unwrap();
    let want = serde_json::json!([clock
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)]);
    for (i, v) in clocks.rows[0].iter().enumerate() {
        assert_eq!(v, &want, "column {i}");
    }
    store.close().await;
    sb.shutdown().await;
}
