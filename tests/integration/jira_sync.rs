//! Jira sync scenarios against the sandbox Jira (Cloud and Data Center):
//! counts, the v3-only search, cheap resyncs, the profile-timezone trap,
//! changes, deletions and moves, rate limits, and a stop-and-rerun.

use std::time::Duration;

use recur::settings::Settings;
use recur_sandbox::{Fault, FaultRule, NewJiraIssue, Sandbox, SandboxOptions};

use crate::common::*;

fn jira_settings(sb: &Sandbox, db: &std::path::Path, datacenter: bool) -> Settings {
    let text = format!(
        "[store]\npath = {:?}\n{}",
        db.display().to_string(),
        recur::demo::sandbox_jira_source(&sb.jira_url(), &sb.jira().projects(), datacenter)
    );
    Settings::from_toml(&text).expect("valid settings")
}

fn expected(sb: &Sandbox) -> usize {
    let j = sb.jira();
    j.projects()
        .iter()
        .map(|p| {
            j.tracked_keys(
                p,
                &["postmortem", "incident", "risk"],
                &["Incident", "Risk"],
            )
            .len()
        })
        .sum()
}

#[tokio::test]
async fn cloud_first_sync_counts_and_never_calls_the_removed_search() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.duckdb");
    let s = jira_settings(&sb, &db, false);
    let report = sync(&s).await;
    let want = expected(&sb);
    assert!(want > 20, "the seed has tracked Jira issues");
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM items").await as usize,
        want
    );
    assert!(report.stats.items_seen as usize >= want);
    for r in sb.jira().request_log() {
        assert!(
            !r.path_and_query.starts_with("/rest/api/3/search?")
                && r.path_and_query != "/rest/api/3/search",
            "the removed v2/v3 search was called: {}",
            r.path_and_query
        );
        assert!(
            !r.path_and_query.starts_with("/rest/api/2/"),
            "Cloud uses v3 only: {}",
            r.path_and_query
        );
    }
    // Rows look like Jira: keys, kinds from types or labels, ADF rendered to text.
    let kinds = query(
        &db,
        "SELECT kind, count(*) FROM items GROUP BY kind ORDER BY kind",
    )
    .await;
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    let k = query(&db, "SELECT key FROM items ORDER BY key LIMIT 1").await;
    assert!(k[0][0].as_str().unwrap().starts_with("OPS-"));
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM items WHERE body LIKE '%\"type\":\"doc\"%'"
        )
        .await,
        0,
        "descriptions are stored as text, not ADF JSON"
    );
}

#[tokio::test]
async fn resync_with_nothing_changed_costs_one_search_page_per_project() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.duckdb");
    let s = jira_settings(&sb, &db, false);
    sync(&s).await;
    let history = scalar(&db, "SELECT count(*) FROM item_history").await;
    sb.jira().reset_counters();
    let report = sync(&s).await;
    assert_eq!(report.stats.items_upserted, 0);
    let searches = sb
        .jira()
        .request_log()
        .into_iter()
        .filter(|r| r.path_and_query.contains("/search"))
        .count();
    assert_eq!(
        searches,
        sb.jira().projects().len(),
        "one search page per project"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM item_history").await,
        history
    );
}

#[tokio::test]
async fn changes_in_the_cursor_minute_in_a_non_utc_profile_are_neither_lost_nor_duplicated() {
    let sb = small_sandbox().await;
    let j = sb.jira();
    assert_ne!(
        j.user_timezone_offset_minutes(),
        0,
        "the sandbox user is not on UTC"
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.duckdb");
    let s = jira_settings(&sb, &db, false);
    sync(&s).await;
    // The cursor sits on an edit made now (a non-UTC profile on the Jira side).
    let tracked = j.tracked_keys("OPS", &["postmortem"], &[]);
    j.set_summary(&tracked[4], "Moves the cursor");
    sync(&s).await;
    let cursor: chrono::DateTime<chrono::Utc> = query(&db, "SELECT max(updated_at) FROM items")
        .await[0][0]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Two more edits in the cursor's minute: one a millisecond after it, and
    // one 10 s before it that the search index showed late. A minute literal
    // in the profile's zone would miss or re-read them; epoch ms plus the
    // overlap finds both, once.
    let (after, late) = (tracked[5].clone(), tracked[6].clone());
    j.set_summary(&after, "Updated in the cursor minute");
    j.set_updated(&after, cursor + chrono::Duration::milliseconds(1));
    j.set_summary(&late, "Indexed late");
    j.set_updated(&late, cursor - chrono::Duration::seconds(10));
    let before = scalar(&db, "SELECT count(*) FROM item_history").await;
    let r = sync(&s).await;
    assert_eq!(r.stats.items_upserted, 2, "both found exactly once");
    let t = query(
        &db,
        &format!("SELECT title FROM items WHERE key = '{after}'"),
    )
    .await;
    assert_eq!(t[0][0], "Updated in the cursor minute");
    let t = query(
        &db,
        &format!("SELECT title FROM items WHERE key = '{late}'"),
    )
    .await;
    assert_eq!(t[0][0], "Indexed late");
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM item_history").await,
        before + 2
    );
    let r = sync(&s).await;
    assert_eq!(r.stats.items_upserted, 0, "not read again as a change");
    let key = j.keys("OPS")[0].clone();
    // Edited now, then another edit in the same minute.
    j.set_summary(&key, "Edited in the same minute");
    sync(&s).await;
    j.set_summary(&key, "Edited again in the same minute");
    sync(&s).await;
    let rows = query(&db, &format!("SELECT title FROM items WHERE key = '{key}'")).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "Edited again in the same minute");
    assert_eq!(
        scalar(
            &db,
            &format!("SELECT count(*) FROM item_history WHERE key = '{key}' AND valid_to IS NULL")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn edits_label_removals_deletions_and_moves_are_reflected() {
    let sb = small_sandbox().await;
    let j = sb.jira();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.duckdb");
    let s = jira_settings(&sb, &db, false);
    sync(&s).await;
    let labelled = j.tracked_keys("OPS", &["postmortem"], &[]);
    let (a, b, c, d) = (
        labelled[0].clone(),
        labelled[1].clone(),
        labelled[2].clone(),
        labelled[3].clone(),
    );
    j.set_summary(&a, "Renamed action item");
    j.remove_label(&b, "postmortem");
    j.delete_issue(&c);
    let moved = j.move_issue(&d, "PAY");
    sync(&s).await;
    let t = query(&db, &format!("SELECT title FROM items WHERE key = '{a}'")).await;
    assert_eq!(t[0][0], "Renamed action item");
    let t = query(
        &db,
        &format!("SELECT tracking FROM items WHERE key = '{b}'"),
    )
    .await;
    assert_eq!(t[0][0], "untracked");
    sync_with(&s, &RecordingSleeper::default(), true)
        .await
        .unwrap();
    let t = query(
        &db,
        &format!("SELECT tracking FROM items WHERE key = '{c}'"),
    )
    .await;
    assert_eq!(t[0][0], "deleted");
    let t = query(
        &db,
        &format!("SELECT tracking, moved_to FROM items WHERE key = '{d}'"),
    )
    .await;
    assert_eq!(t[0][0], "transferred");
    assert_eq!(t[0][1], moved.as_str());
    // Each item a number of its own through the edits, the unlabelling,
    // the deletion and the move (migration 0033).
    assert_eq!(scalar(&db, recur::store::ITEM_ID_FAULTS).await, 0);
    assert_eq!(
        scalar(&db, "SELECT count(DISTINCT item_id) FROM item_history").await,
        scalar(&db, "SELECT count(*) FROM items").await
    );
}

#[tokio::test]
async fn rate_limits_and_html_errors_are_waited_out() {
    let sb = small_sandbox().await;
    let j = sb.jira();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.duckdb");
    let s = jira_settings(&sb, &db, false);
    j.push_fault(FaultRule {
        route: Some("/search".into()),
        fault: Fault::SecondaryLimit {
            status: 429,
            retry_after: Some(7),
        },
        times: 1,
    });
    j.push_fault(FaultRule {
        route: Some("/search".into()),
        fault: Fault::HtmlError { status: 503 },
        times: 1,
    });
    let sleeper = RecordingSleeper::default();
    sync_with(&s, &sleeper, false)
        .await
        .expect("sync completes");
    let waits = sleeper.waits();
    assert_eq!(
        waits[0],
        Duration::from_secs(7),
        "Retry-After honoured: {waits:?}"
    );
    assert_eq!(waits.len(), 2);
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM items").await as usize,
        expected(&sb)
    );
}

#[tokio::test]
async fn datacenter_syncs_the_same_items_and_a_stop_then_rerun_equals_a_clean_run() {
    let sb = small_sandbox().await;
    let j = sb.jira();
    let dir = tempfile::tempdir().unwrap();
    let cloud_db = dir.path().join("cloud.duckdb");
    sync(&jira_settings(&sb, &cloud_db, false)).await;
    let dc_db = dir.path().join("dc.duckdb");
    j.reset_counters();
    sync(&jira_settings(&sb, &dc_db, true)).await;
    assert!(j
        .request_log()
        .iter()
        .all(|r| !r.path_and_query.starts_with("/rest/api/3/")));
    let keys = "SELECT key, kind, tracking, state, title FROM items ORDER BY key";
    assert_eq!(query(&cloud_db, keys).await, query(&dc_db, keys).await);

    let clean = snapshot(&cloud_db).await;
    let db = dir.path().join("k.duckdb");
    let s = jira_settings(&sb, &db, false);
    j.push_fault(FaultRule {
        route: None,
        fault: Fault::Stall { millis: 0 },
        times: 3,
    });
    j.push_fault(FaultRule {
        route: None,
        fault: Fault::Unauthorized,
        times: 1,
    });
    let err = sync_with(&s, &RecordingSleeper::default(), false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    j.clear_faults();
    sync(&s).await;
    assert_eq!(snapshot(&db).await, clean);
}

/// Cloud's full listing goes as ids (5,000 a page) then issues (1,000 a
/// `POST /issue/bulkfetch`): the same rows as the one search it replaces
/// (which a site without the endpoint, or refusing the request, still
/// gets), in fewer round trips; a sync stopped inside the listing and run
/// again equals a clean run.
#[tokio::test]
async fn cloud_first_sync_lists_ids_then_fetches_issues_and_equals_a_sync_by_search() {
    const BULK: &str = "POST /rest/api/3/issue/bulkfetch";
    const SEARCH: &str = "POST /rest/api/3/search/jql";
    let sb = small_sandbox().await;
    let j = sb.jira();
    let projects = j.projects().len() as u64;
    let dir = tempfile::tempdir().unwrap();

    // A site without bulk fetch: one 404 per sync, then the one search.
    j.set_bulk_fetch(false);
    let search_db = dir.path().join("search.duckdb");
    sync(&jira_settings(&sb, &search_db, false)).await;
    assert_eq!(j.requests(BULK), 1, "one 404, then search alone");
    j.set_bulk_fetch(true);
    let clean = snapshot(&search_db).await;
    assert!(scalar(&search_db, "SELECT count(*) FROM items").await > 20);

    // Ids then issues: one ids page and one bulk request per project
    // (and the incremental page after the pass).
    j.reset_counters();
    let db = dir.path().join("bulk.duckdb");
    sync(&jira_settings(&sb, &db, false)).await;
    assert_eq!(snapshot(&db).await, clean);
    assert_eq!(
        (j.requests(BULK), j.requests(SEARCH)),
        (projects, 2 * projects)
    );

    // Ids pages of 7, and a site refusing bulk requests of more than 3:
    // a 400 to 7 is not the 1,000-or-100 limit, so the listing starts
    // again as one search.
    j.set_page_cap(Some(7));
    j.set_bulk_fetch_max(Some(3));
    j.reset_counters();
    let refused_db = dir.path().join("refused.duckdb");
    sync(&jira_settings(&sb, &refused_db, false)).await;
    assert_eq!(snapshot(&refused_db).await, clean);
    let log = j.request_log();
    assert_eq!(log.iter().filter(|r| r.status == 400).count(), 1);
    assert_eq!(j.requests(BULK), 1);
    j.set_bulk_fetch_max(None);

    // Ids pages of 7: one bulk request each.
    j.reset_counters();
    let capped_db = dir.path().join("capped.duckdb");
    sync(&jira_settings(&sb, &capped_db, false)).await;
    assert_eq!(snapshot(&capped_db).await, clean);
    let pages: u64 = j
        .projects()
        .iter()
        .map(|p| {
            let n = j
                .tracked_keys(
                    p,
                    &["postmortem", "incident", "risk"],
                    &["Incident", "Risk"],
                )
                .len() as u64;
            n.div_ceil(7)
        })
        .sum();
    assert_eq!(j.requests(BULK), pages);
    let searches = j.requests(SEARCH);

    // Stopped at the third bulk request, then run again.
    let stopped_db = dir.path().join("stopped.duckdb");
    let s = jira_settings(&sb, &stopped_db, false);
    j.push_fault(FaultRule {
        route: Some("/issue/bulkfetch".into()),
        fault: Fault::Stall { millis: 0 },
        times: 2,
    });
    j.push_fault(FaultRule {
        route: Some("/issue/bulkfetch".into()),
        fault: Fault::Unauthorized,
        times: 1,
    });
    let err = sync_with(&s, &RecordingSleeper::default(), false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    j.clear_faults();
    j.reset_counters();
    sync(&s).await;
    assert_eq!(snapshot(&stopped_db).await, clean);
    // The rerun resumes at the third bulk request: neither the two bulk
    // requests stored nor the three ids pages read are asked for again.
    assert_eq!(
        (j.requests(BULK), j.requests(SEARCH)),
        (pages - 2, searches - 3)
    );
    j.set_page_cap(None);
}

/// Regression (923a458): Data Center pages of 1,000 issues can take a
/// slow site longer than `[sync] request_timeout_seconds` to write; asked
/// for again as they were, they timed out on every retry and every sync
/// failed. Now a page that times out is asked for again half as big (down
/// to 100), and the sync stores every issue. The sandbox's site here takes
/// a time per KiB it writes: 100 issues' worth is 0.4 s, the 600 issues of
/// the project 2.4 s and 500 of them 2 s, past a one-second timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_site_gets_smaller_pages_and_the_sync_completes() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let j = sb.jira();
    for n in 0..600 {
        j.create_issue(
            "OPS",
            NewJiraIssue {
                summary: format!("Add an alert for queue {n}"),
                issue_type: "Task".into(),
                labels: vec!["postmortem".into()],
                ..NewJiraIssue::default()
            },
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let settings = |name: &str| {
        let text = format!(
            "[store]\npath = {:?}\n[sync]\nrequest_timeout_seconds = 1\nmax_retries = 2\n{}",
            dir.path().join(name).display().to_string(),
            recur::demo::sandbox_jira_source(&sb.jira_url(), &["OPS".to_string()], true)
        );
        Settings::from_toml(&text).expect("valid settings")
    };
    let searches = || {
        j.request_log()
            .iter()
            .filter(|q| q.path_and_query.starts_with("/rest/api/2/search"))
            .count()
    };
    // How large an issue is in a page: its stored JSON, as sent.
    let quick = settings("quick.duckdb");
    sync(&quick).await;
    let quick_searches = searches();
    let bytes = scalar(
        &quick.store_path,
        "SELECT avg(length(raw))::BIGINT FROM items",
    )
    .await;
    let per_kib = Duration::from_secs_f64(0.4 / (100.0 * bytes as f64 / 1024.0));
    j.set_think_per_kib(Some(per_kib));
    j.reset_counters();
    let slow = settings("slow.duckdb");
    let r = sync_with(&slow, &RecordingSleeper::default(), false)
        .await
        .expect("the sync completes with smaller pages");
    j.set_think_per_kib(None);
    assert_eq!(r.stats.items_upserted, 600, "{r:?}");
    // At least pages of 1,000 and 500 timed out (no page of 1,000 fits:
    // the sync failed before); then smaller pages.
    assert!(
        searches() >= quick_searches + 3,
        "{} searches against {quick_searches}",
        searches()
    );
    let keys = "SELECT key, state, title FROM items ORDER BY key";
    assert_eq!(
        query(&quick.store_path, keys).await,
        query(&slow.store_path, keys).await
    );
    sb.shutdown().await;
}
