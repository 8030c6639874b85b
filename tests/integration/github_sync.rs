//! GitHub sync scenarios against the sandbox: counts, request budgets,
//! incremental changes, reconciliation, rate limits, faults, crash-rerun
//! and hostile text.

use std::time::Duration;

use recur_sandbox::{Fault, FaultRule, NewIssue};

use crate::common::*;

#[tokio::test]
async fn first_sync_stores_every_tracked_issue_once_and_no_pull_requests() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let s = settings(&sb, &db);
    let report = sync(&s).await;
    let expected = expected_tracked(&sb.github());
    assert!(expected.len() > 50, "the small seed has tracked issues");

    let rows = query(&db, "SELECT key, kind FROM items ORDER BY key").await;
    let got: std::collections::BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: std::collections::BTreeMap<String, String> = expected
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    assert_eq!(
        got, want,
        "stored keys and kinds equal the sandbox's tracked issues"
    );

    // Per-kind views agree with the table.
    for (view, kind) in [
        ("action_items", "action_item"),
        ("incidents", "incident"),
        ("risks", "risk"),
    ] {
        let n = scalar(&db, &format!("SELECT count(*) FROM {view}")).await;
        let want = expected.values().filter(|k| **k == kind).count() as i64;
        assert_eq!(n, want, "{view}");
    }
    assert!(
        report.stats.pull_requests > 0,
        "tracked PRs were listed and dropped"
    );
    let gh = sb.github();
    for r in query(&db, "SELECT key FROM items").await {
        let key = r[0].as_str().unwrap();
        let (repo, n) = key.rsplit_once('#').unwrap();
        let issue = gh.issue(repo, n.parse().unwrap()).unwrap();
        assert!(!issue.is_pull_request, "{key} is a pull request");
    }
    // History: one version per item after a first sync.
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM item_history").await,
        expected.len() as i64
    );
    let runs = query(
        &db,
        "SELECT status, api_requests, items_upserted FROM sync_runs",
    )
    .await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0][0], "ok");
    assert_eq!(runs[0][2].as_i64().unwrap(), expected.len() as i64);
}

/// Regression (session 6): a sync batch spans repositories, so the rows and
/// cursors of the repositories read before a failing one were dropped with
/// the failure, and a repository that always fails held the others' first
/// sync back for ever. What was read before a failure is whole pages with
/// their cursors: it is stored.
#[tokio::test]
async fn a_failing_repository_does_not_lose_the_repositories_read_before_it() {
    let sb = small_sandbox().await;
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let mut repos = gh.repos();
    let good = repos.len() as i64;
    repos.push("acme/no-such-repository".to_string());
    let text = recur::demo::sandbox_config(&sb.github_url(), &repos, &db);
    let s = recur::settings::Settings::from_toml(&text).unwrap();
    let err = sync_with(&s, &RecordingSleeper::default(), false)
        .await
        .expect_err("the missing repository fails the sync");
    assert!(
        err.to_string().contains("no-such-repository"),
        "the error names the repository: {err}"
    );
    let expected = expected_tracked(&gh);
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM items WHERE tracking = 'tracked'").await,
        expected.len() as i64,
        "every item of the repositories before it is stored"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM cursors WHERE container <> 'acme/no-such-repository' AND json_extract(state, '$.initial_done')::BOOLEAN").await,
        good,
        "each of them has its first sync done"
    );
    // The next run reads them incrementally: one request each, 304.
    gh.reset_counters();
    let _ = sync_with(&s, &RecordingSleeper::default(), false).await;
    let listings = gh
        .request_log()
        .into_iter()
        .filter(|r| !r.path_and_query.contains("no-such-repository"))
        .count() as i64;
    assert_eq!(
        listings, good,
        "one incremental request per good repository"
    );
}

#[tokio::test]
async fn first_sync_costs_one_listing_per_label_page_and_resync_one_304_per_repo() {
    let sb = small_sandbox().await;
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let s = settings(&sb, &db);
    gh.reset_counters();
    let report = sync(&s).await;
    let repos = gh.repos();
    let mut minimum = 0u64;
    for repo in &repos {
        for label in TRACKED {
            minimum += (gh.count_listing(repo, Some(label), "all") as u64).div_ceil(100);
        }
    }
    // + one incremental listing per repo, which primes the ETag for the
    // next sync and catches changes made during the first one.
    let expected = minimum + repos.len() as u64;
    assert_eq!(report.stats.api_requests, expected);
    assert_eq!(
        gh.total_requests(),
        expected,
        "the sandbox saw exactly these requests"
    );
    for r in gh.request_log() {
        assert_eq!(r.method, "GET");
        let q = &r.path_and_query;
        if q.contains("labels=") {
            assert!(
                !q.contains("%2C") && !q.contains(','),
                "one label per listing: {q}"
            );
        }
    }

    gh.reset_counters();
    let report = sync(&s).await;
    assert_eq!(
        report.stats.api_requests,
        repos.len() as u64,
        "one request per repo"
    );
    assert_eq!(
        report.stats.not_modified,
        repos.len() as u64,
        "all answered 304"
    );
    assert_eq!(report.stats.items_upserted, 0);
    assert_eq!(gh.rate_points_spent(), 0, "304s spend no rate-limit points");
}

#[tokio::test]
async fn incremental_sync_sees_edits_label_removals_and_new_issues() {
    let sb = small_sandbox().await;
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let s = settings(&sb, &db);
    sync(&s).await;

    let expected = expected_tracked(&gh);
    let mut keys = expected.keys();
    let edited = keys.next().unwrap().clone();
    let unlabelled = expected
        .iter()
        .find(|(k, v)| **v == "action_item" && **k != edited)
        .map(|(k, _)| k.clone())
        .unwrap();
    let (repo, n) = edited.rsplit_once('#').unwrap();
    gh.set_title(repo, n.parse().unwrap(), "Edited title");
    let (urepo, un) = unlabelled.rsplit_once('#').unwrap();
    gh.remove_label(urepo, un.parse().unwrap(), "postmortem");
    let new_n = gh.create_issue(
        repo,
        NewIssue {
            title: "Add a runbook for failover".into(),
            body: "### Owner\n\n@carol\n\n### Target date\n\n2031-05-06\n".into(),
            labels: vec!["postmortem".into()],
            ..NewIssue::default()
        },
    );
    let untracked_new = gh.create_issue(
        repo,
        NewIssue {
            title: "Unrelated bug".into(),
            labels: vec!["bug".into()],
            ..NewIssue::default()
        },
    );

    let report = sync(&s).await;
    assert_eq!(report.stats.items_upserted, 3, "edited + unlabelled + new");
    let title = query(
        &db,
        &format!("SELECT title FROM items WHERE key = '{edited}'"),
    )
    .await;
    assert_eq!(title[0][0], "Edited title");
    let t = query(
        &db,
        &format!("SELECT tracking, kind FROM items WHERE key = '{unlabelled}'"),
    )
    .await;
    assert_eq!(t[0][0], "untracked");
    assert_eq!(
        t[0][1], "action_item",
        "an untracked item keeps its last kind"
    );
    let new = query(
        &db,
        &format!("SELECT owner, target_date FROM action_items WHERE key = '{repo}#{new_n}'"),
    )
    .await;
    assert_eq!(new[0][0], "carol");
    assert_eq!(new[0][1], "2031-05-06");
    assert_eq!(
        scalar(
            &db,
            &format!("SELECT count(*) FROM items WHERE key = '{repo}#{untracked_new}'")
        )
        .await,
        0,
        "issues that were never tracked are not stored"
    );
    // Two versions of the edited item, the first closed where the second began.
    let h = query(
        &db,
        &format!("SELECT title, valid_to IS NULL FROM item_history WHERE key = '{edited}' ORDER BY valid_from"),
    )
    .await;
    assert_eq!(h.len(), 2);
    assert_eq!(h[1][0], "Edited title");
    assert_eq!(h[0][1], false);
    assert_eq!(h[1][1], true);

    // The label comes back: tracked again.
    gh.add_label(urepo, un.parse().unwrap(), "postmortem");
    sync(&s).await;
    let t = query(
        &db,
        &format!("SELECT tracking FROM items WHERE key = '{unlabelled}'"),
    )
    .await;
    assert_eq!(t[0][0], "tracked");
}

#[tokio::test]
async fn issues_updated_in_one_second_across_pages_are_neither_lost_nor_duplicated() {
    let sb = small_sandbox().await;
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let mut s = settings(&sb, &db);
    // Small pages so the burst below spans many pages of one timestamp.
    s.sync.per_page = Some(7);
    sync(&s).await;
    let before = scalar(&db, "SELECT count(*) FROM items").await;
    let repo = gh.repos()[0].clone();
    let mut created = Vec::new();
    for i in 0..40 {
        created.push(gh.create_issue(
            &repo,
            NewIssue {
                title: format!("Burst item {i}"),
                labels: vec!["postmortem".into()],
                ..NewIssue::default()
            },
        ));
    }
    sync(&s).await;
    // A second burst while the cursor sits on the first one's timestamp.
    for n in created.iter().take(10) {
        gh.set_title(&repo, *n, "Burst item, edited");
    }
    sync(&s).await;
    assert_eq!(scalar(&db, "SELECT count(*) FROM items").await, before + 40);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM items WHERE title = 'Burst item, edited'"
        )
        .await,
        10
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM (SELECT key FROM item_history WHERE valid_to IS NULL GROUP BY key HAVING count(*) > 1)").await,
        0,
        "one current history version per item"
    );
    assert_eq!(
        expected_tracked(&gh).len() as i64,
        scalar(&db, "SELECT count(*) FROM items WHERE tracking = 'tracked'").await
    );
}

#[tokio::test]
async fn full_sync_reconciles_deleted_and_transferred_issues() {
    let sb = small_sandbox().await;
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let s = settings(&sb, &db);
    sync(&s).await;
    let expected = expected_tracked(&gh);
    let mut keys = expected.keys().cloned();
    let deleted = keys.next().unwrap();
    let moved = keys
        .find(|k| !k.starts_with(deleted.split('#').next().unwrap()))
        .unwrap_or_else(|| keys.next().unwrap());
    let (drepo, dn) = deleted.rsplit_once('#').unwrap();
    gh.delete_issue(drepo, dn.parse().unwrap());
    let (mrepo, mn) = moved.rsplit_once('#').unwrap();
    let target = gh.repos().into_iter().find(|r| r != mrepo).unwrap();
    let new_n = gh.transfer_issue(mrepo, mn.parse().unwrap(), &target);

    // An incremental sync cannot see either (the real API shows neither).
    sync(&s).await;
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM items WHERE tracking IN ('deleted', 'transferred')"
        )
        .await,
        0
    );
    let report = sync_with(&s, &RecordingSleeper::default(), true)
        .await
        .unwrap();
    assert!(report.reconciled);
    assert_eq!(report.gone, 2);
    let d = query(
        &db,
        &format!("SELECT tracking FROM items WHERE key = '{deleted}'"),
    )
    .await;
    assert_eq!(d[0][0], "deleted");
    let m = query(
        &db,
        &format!("SELECT tracking, moved_to FROM items WHERE key = '{moved}'"),
    )
    .await;
    assert_eq!(m[0][0], "transferred");
    assert_eq!(m[0][1], format!("{target}#{new_n}"));
    // Re-keyed under the new repository, which is synced too.
    let n = scalar(
        &db,
        &format!(
            "SELECT count(*) FROM items WHERE key = '{target}#{new_n}' AND tracking = 'tracked'"
        ),
    )
    .await;
    assert_eq!(n, 1);
    // Nothing silently removed: the rows and their history remain.
    assert_eq!(
        scalar(
            &db,
            &format!("SELECT count(*) FROM item_history WHERE key = '{deleted}'")
        )
        .await,
        2
    );
    // Each a number of its own, its new versions too (migration 0033).
    assert_eq!(scalar(&db, recur::store::ITEM_ID_FAULTS).await, 0);
}

#[tokio::test]
async fn reconciliation_runs_by_itself_every_n_syncs() {
    let sb = small_sandbox().await;
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let mut s = settings(&sb, &db);
    s.sync.reconcile_every = 3;
    sync(&s).await; // first sync
    let key = expected_tracked(&gh).keys().next().unwrap().clone();
    let (repo, n) = key.rsplit_once('#').unwrap();
    gh.delete_issue(repo, n.parse().unwrap());
    let r1 = sync(&s).await;
    let r2 = sync(&s).await;
    assert!(!r1.reconciled);
    assert!(
        r2.reconciled,
        "third sync after the first reconciles (reconcile_every = 3)"
    );
    let d = query(
        &db,
        &format!("SELECT tracking FROM items WHERE key = '{key}'"),
    )
    .await;
    assert_eq!(d[0][0], "deleted");
}

#[tokio::test]
async fn rate_limits_are_waited_out_not_treated_as_auth_failures() {
    let sb = small_sandbox().await;
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let s = settings(&sb, &db);
    gh.push_fault(FaultRule {
        route: None,
        fault: Fault::SecondaryLimit {
            status: 403,
            retry_after: Some(61),
        },
        times: 1,
    });
    gh.push_fault(FaultRule {
        route: None,
        fault: Fault::SecondaryLimit {
            status: 429,
            retry_after: None,
        },
        times: 1,
    });
    gh.push_fault(FaultRule {
        route: None,
        fault: Fault::PrimaryExhausted { reset_in_secs: 120 },
        times: 1,
    });
    let sleeper = RecordingSleeper::default();
    let report = sync_with(&s, &sleeper, false)
        .await
        .expect("sync completes after waiting");
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 3, "{waits:?}");
    assert_eq!(waits[0], Duration::from_secs(61), "Retry-After honoured");
    assert!(
        waits[1] >= Duration::from_secs(60),
        "secondary without Retry-After waits at least a minute"
    );
    assert!(
        waits[2] >= Duration::from_secs(100) && waits[2] <= Duration::from_secs(125),
        "waits until reset: {:?}",
        waits[2]
    );
    assert_eq!(report.stats.retries, 3);
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM items").await as usize,
        expected_tracked(&gh).len()
    );
}

#[tokio::test]
async fn server_errors_resets_truncated_and_malformed_bodies_are_retried() {
    let sb = small_sandbox().await;
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let s = settings(&sb, &db);
    for fault in [
        Fault::ServerError { status: 502 },
        Fault::ConnectionReset,
        Fault::TruncatedBody,
        Fault::MalformedJson,
        Fault::HtmlError { status: 503 },
    ] {
        gh.push_fault(FaultRule {
            route: None,
            fault,
            times: 1,
        });
    }
    let sleeper = RecordingSleeper::default();
    let report = sync_with(&s, &sleeper, false)
        .await
        .expect("sync completes");
    assert_eq!(report.stats.retries, 5);
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 5);
    assert!(
        waits.windows(2).all(|w| w[1] >= w[0]),
        "backoff grows: {waits:?}"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM items").await as usize,
        expected_tracked(&gh).len()
    );
}

#[tokio::test]
async fn a_sync_stopped_after_page_k_and_rerun_equals_a_clean_sync() {
    let sb = small_sandbox().await;
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let clean_db = dir.path().join("clean.duckdb");
    sync(&settings(&sb, &clean_db)).await;
    let clean = snapshot(&clean_db).await;
    let total_pages = {
        gh.reset_counters();
        sync(&settings(&sb, &dir.path().join("count.duckdb"))).await;
        gh.total_requests()
    };
    for k in [1, 2, total_pages / 2, total_pages - 1] {
        let db = dir.path().join(format!("k{k}.duckdb"));
        let s = settings(&sb, &db);
        // After k good requests, the token is revoked: the run fails there.
        gh.reset_counters();
        gh.push_fault(FaultRule {
            route: None,
            fault: Fault::Stall { millis: 0 },
            times: k as u32,
        });
        gh.push_fault(FaultRule {
            route: None,
            fault: Fault::Unauthorized,
            times: 1,
        });
        let err = sync_with(&s, &RecordingSleeper::default(), false)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("401"), "{err}");
        gh.clear_faults();
        sync(&s).await;
        assert_eq!(
            snapshot(&db).await,
            clean,
            "rerun after a stop at request {k}"
        );
        assert_eq!(
            scalar(&db, "SELECT count(*) FROM item_history").await,
            scalar(&clean_db, "SELECT count(*) FROM item_history").await,
            "no duplicate history after a stop at request {k}"
        );
        let runs = query(&db, "SELECT status FROM sync_runs ORDER BY run_id").await;
        assert_eq!(runs[0][0], "failed");
        assert_eq!(runs[1][0], "ok");
    }
}

#[tokio::test]
async fn hostile_text_round_trips_byte_exact() {
    let sb = small_sandbox().await;
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let s = settings(&sb, &db);
    let repo = gh.repos()[0].clone();
    let big = "x".repeat(1 << 20);
    let texts = [
        "'); DROP TABLE items;-- \" OR 1=1 --".to_string(),
        "ctrl \u{1}\u{7}\u{1b}[31mred\u{1b}[0m tab\there\r\nnul\u{0}byte".to_string(),
        "RTL \u{202e}gnp.exe\u{202c} and \u{2067}isolate\u{2069}".to_string(),
        "emoji 👩‍👩‍👧‍👦 🏳️‍🌈 zero\u{200b}width".to_string(),
        big,
    ];
    let mut numbers = Vec::new();
    for t in &texts {
        numbers.push(gh.create_issue(
            &repo,
            NewIssue {
                title: t.chars().take(200).collect(),
                body: t.clone(),
                labels: vec!["postmortem".into()],
                ..NewIssue::default()
            },
        ));
    }
    sync(&s).await;
    for (n, t) in numbers.iter().zip(&texts) {
        let rows = query(
            &db,
            &format!("SELECT body, title FROM items WHERE key = '{repo}#{n}'"),
        )
        .await;
        assert_eq!(
            rows[0][0].as_str().unwrap(),
            t.as_str(),
            "body of #{n} is byte-exact"
        );
        let want_title: String = t.chars().take(200).collect();
        assert_eq!(rows[0][1].as_str().unwrap(), want_title);
    }
    assert!(
        scalar(&db, "SELECT count(*) FROM items").await > 5,
        "the table survived"
    );
}

/// Regression: a batch was bounded by its rows only (2,000), so issues
/// with long bodies (a pasted log: GitHub allows 65,536 characters, and
/// the raw JSON carries the body again) made a batch of hundreds of MB,
/// and its merge ran DuckDB out of memory under the sync's cap. Smaller
/// batches alone did not do: DuckDB keeps texts of ~30 KB and more in
/// memory it cannot evict until a checkpoint, so the committed batches
/// piled up to a FATAL out-of-memory error (the database invalidated) at
/// ~110 MB of such text under 128MB. A batch is now bounded by the bytes
/// it carries too, and the sync checkpoints after every 32 MB of long
/// texts. 800 issues with a 60 KB log each: ~140 MB of long texts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issues_with_huge_bodies_are_merged_in_batches_that_fit_the_memory_cap() {
    let sb = recur_sandbox::Sandbox::start(recur_sandbox::SandboxOptions::empty())
        .await
        .unwrap();
    let gh = sb.github();
    let repo = "acme/pay";
    let log = "0123456789abcdef ".repeat(3_500); // ~60 KB
    for n in 0..800 {
        gh.create_issue(
            repo,
            NewIssue {
                title: format!("Add alert on error budget burn {n}"),
                body: format!("### Owner\n\n@bob\n\n### Log\n\n{log}{n}\n"),
                labels: vec!["postmortem".into()],
                ..NewIssue::default()
            },
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let text = recur::demo::sandbox_config(&sb.github_url(), &[repo.to_string()], &db)
        .replace("[store]\n", "[store]\nmemory_limit = \"128MB\"\n");
    let s = recur::settings::Settings::from_toml(&text).unwrap();
    let report = sync_with(&s, &RecordingSleeper::default(), false)
        .await
        .expect("the sync fits its memory");
    assert!(report.stats.items_seen >= 800, "{:?}", report.stats);
    assert_eq!(scalar(&db, "SELECT count(*) FROM items").await, 800);
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM items WHERE length(body) > 59000 AND length(raw) > 59000"
        )
        .await,
        800
    );
    sb.shutdown().await;
}
