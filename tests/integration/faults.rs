//! The fault matrix: syncs through 20 % injected faults (5xx, secondary and
//! primary rate limits, resets, truncated and malformed bodies, HTML error
//! pages, stalls) end in exactly the state of a fault-free sync, with the
//! retries and waits recorded in `sync_runs`.

use recur_sandbox::Fault;

use crate::common::*;

/// Every fault kind the sandbox knows (the write-back matrix uses it too).
pub fn kinds() -> Vec<Fault> {
    vec![
        Fault::ServerError { status: 502 },
        Fault::SecondaryLimit {
            status: 429,
            retry_after: Some(1),
        },
        Fault::SecondaryLimit {
            status: 403,
            retry_after: None,
        },
        Fault::PrimaryExhausted { reset_in_secs: 2 },
        Fault::ConnectionReset,
        Fault::TruncatedBody,
        Fault::MalformedJson,
        Fault::HtmlError { status: 503 },
        Fault::Stall { millis: 30 },
    ]
}

#[tokio::test]
async fn github_sync_through_20_percent_faults_equals_a_clean_sync() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.duckdb");
    sync(&settings(&sb, &clean)).await;
    for seed in [1, 2] {
        let db = dir.path().join(format!("f{seed}.duckdb"));
        let s = settings(&sb, &db);
        sb.github().set_random_faults(0.2, kinds(), seed);
        let sleeper = RecordingSleeper::default();
        let first = sync_with(&s, &sleeper, false)
            .await
            .expect("first sync survives the faults");
        let second = sync_with(&s, &sleeper, true)
            .await
            .expect("full resync survives the faults");
        sb.github().clear_faults();
        assert!(
            first.stats.retries + second.stats.retries > 0,
            "faults were injected"
        );
        assert_eq!(snapshot(&db).await, snapshot(&clean).await, "seed {seed}");
        let recorded = scalar(&db, "SELECT sum(retries) FROM sync_runs").await as u64;
        assert_eq!(recorded, first.stats.retries + second.stats.retries);
        assert!(!sleeper.waits().is_empty());
    }
}

#[tokio::test]
async fn jira_sync_through_20_percent_faults_equals_a_clean_sync() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let text = |db: &std::path::Path| {
        format!(
            "[store]\npath = {:?}\n{}",
            db.display().to_string(),
            recur::demo::sandbox_jira_source(&sb.jira_url(), &sb.jira().projects(), false)
        )
    };
    let clean = dir.path().join("clean.duckdb");
    sync(&recur::settings::Settings::from_toml(&text(&clean)).unwrap()).await;
    let db = dir.path().join("f.duckdb");
    let s = recur::settings::Settings::from_toml(&text(&db)).unwrap();
    sb.jira().set_random_faults(
        0.2,
        vec![
            Fault::ServerError { status: 500 },
            Fault::SecondaryLimit {
                status: 429,
                retry_after: Some(0),
            },
            Fault::ConnectionReset,
            Fault::TruncatedBody,
            Fault::MalformedJson,
            Fault::HtmlError { status: 503 },
        ],
        9,
    );
    let sleeper = RecordingSleeper::default();
    let r = sync_with(&s, &sleeper, false)
        .await
        .expect("sync survives the faults");
    sb.jira().clear_faults();
    assert!(r.stats.retries > 0);
    assert_eq!(snapshot(&db).await, snapshot(&clean).await);
}

/// 3-second stalls against a 1-second request timeout: the sync and the
/// write-back time out, retry, and end exactly like undisturbed runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_second_stalls_time_out_and_are_retried_by_sync_and_writeback() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.duckdb");
    sync(&settings(&sb, &clean)).await;
    let db = dir.path().join("stalled.duckdb");
    let text = format!(
        "{}\n[sync]\nrequest_timeout_seconds = 1\nbackoff_base_ms = 10\n\n[writeback]\nmin_interval_ms = 0\n",
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db)
    );
    let s = recur::settings::Settings::from_toml(&text).unwrap();
    for route in ["/issues?", "/comments"] {
        sb.github().push_fault(recur_sandbox::FaultRule {
            route: Some(route.into()),
            fault: Fault::Stall { millis: 3000 },
            times: 2,
        });
    }
    let sleeper = RecordingSleeper::default();
    let report = sync_with(&s, &sleeper, false)
        .await
        .expect("sync survives stalls");
    assert!(report.stats.retries >= 2, "{:?}", report.stats);
    assert_eq!(snapshot(&db).await, snapshot(&clean).await);
    // Write-back through the remaining stalls on comment requests.
    let store = recur::store::Store::open(
        &db,
        recur::store::OpenMode::ReadWrite,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    recur::scoring::score(&store, &s.scoring, crate::common::clock().now())
        .await
        .unwrap();
    let writer = recur::sources::writer(&s.sources[0], &s.sync).unwrap();
    let job = recur::writeback::WritebackJob {
        store: &store,
        writer: writer.as_ref(),
        settings: &s.writeback,
        retry: &s.sync,
        deadlines: &s.deadlines,
        sleeper: &sleeper,
        clock: crate::common::clock(),
        dry_run: false,
    };
    let r = job
        .run(recur::shutdown::no_shutdown())
        .await
        .expect("write-back survives stalls");
    store.close().await;
    assert_eq!(r.counts.failed, 0, "{:?}", r.rows);
    assert!(r.counts.retries >= 1, "{:?}", r.counts);
    let gh = sb.github();
    for repo in gh.repos() {
        for n in gh.issue_numbers(&repo) {
            let i = gh.issue(&repo, n).unwrap();
            let summaries = i
                .comments
                .iter()
                .filter(|c| c.body.starts_with(recur_core::SUMMARY_MARKER))
                .count();
            assert!(summaries <= 1, "{repo}#{n}: {summaries} summaries");
        }
    }
    sb.shutdown().await;
}
