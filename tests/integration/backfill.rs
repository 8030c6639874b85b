//! History from day one (issue "History from day one"): a backlog edited
//! on known days in the sandbox, then one database synced after every
//! edit (history as recur would have seen it) and another synced once at
//! the end with backfill. Every report as of the past days must agree, a
//! kill anywhere in the backfill must not change that, and the requests
//! must be the fewest the chosen listing needs.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use recur::reports::{self, ReportFormat, ReportParams};
use recur::settings::Settings;
use recur::store::{OpenMode, Store};
use recur_sandbox::{GithubHandle, NewIssue, NewJiraIssue, Sandbox, SandboxOptions};

use crate::common::{clock, query, scalar, sync_with, RecordingSleeper};

const PAY: &str = "acme/pay";

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn gh_settings(sb: &Sandbox, db: &std::path::Path, extra: &str) -> Settings {
    let text = format!(
        "{}\n[sync]\n{extra}\n",
        recur::demo::sandbox_config(&sb.github_url(), &[PAY.to_string()], db)
    );
    Settings::from_toml(&text).expect("valid settings")
}

fn jira_settings(sb: &Sandbox, db: &std::path::Path) -> Settings {
    jira_settings_with(sb, db, "")
}

/// [`jira_settings`] with `sync` in the `[sync]` table.
fn jira_settings_with(sb: &Sandbox, db: &std::path::Path, sync: &str) -> Settings {
    jira_flavour_settings(sb, db, sync, false)
}

/// Settings of the sandbox's Jira, Cloud or Data Center, with `sync` in
/// the `[sync]` table.
fn jira_flavour_settings(
    sb: &Sandbox,
    db: &std::path::Path,
    sync: &str,
    datacenter: bool,
) -> Settings {
    let text = format!(
        "[store]\npath = {:?}\n[sync]\n{sync}\n{}",
        db.display().to_string(),
        recur::demo::sandbox_jira_source(&sb.jira_url(), &["OPS".to_string()], datacenter)
    );
    Settings::from_toml(&text).expect("valid settings")
}

/// Rows of `sql`, each as its cells' text joined by spaces.
async fn rows_text(db: &std::path::Path, sql: &str) -> Vec<String> {
    query(db, sql)
        .await
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string().replace('"', ""))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The `deferred` report as of `d`, as JSON text.
async fn deferred_json(db: &std::path::Path, d: NaiveDate) -> String {
    let store = Store::open(db, OpenMode::ReadOnly, "1GB").await.unwrap();
    let r = reports::run(
        &store,
        "deferred",
        &ReportParams {
            as_of: Some(d),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    store.close().await;
    let mut buf = Vec::new();
    reports::render(&mut buf, "deferred", &r, ReportFormat::Json).unwrap();
    String::from_utf8(buf).unwrap()
}

/// A sync without backfill: history as recur sees it, edit by edit.
async fn observe(s: &Settings) {
    sync_with(s, &RecordingSleeper::default(), true)
        .await
        .expect("sync succeeds");
}

/// One sync and the backfill after it, through the use cases.
async fn sync_and_backfill(s: &Settings) -> Vec<recur::backfill::BackfillReport> {
    sync_and_backfill_with(s, true).await.unwrap()
}

/// The backfill through its use case, after a sync when `sync`.
async fn sync_and_backfill_with(
    s: &Settings,
    sync: bool,
) -> Result<Vec<recur::backfill::BackfillReport>, recur::app::Error> {
    let store = Store::open(&s.store_path, OpenMode::ReadWrite, &s.memory_limit)
        .await
        .unwrap();
    let sources: Vec<_> = s.sources.iter().collect();
    let run = recur::app::Run {
        sleeper: &RecordingSleeper::default(),
        shutdown: recur::shutdown::no_shutdown(),
        clock: clock(),
    };
    if sync {
        recur::app::sync(&store, s, &sources, true, &run, None)
            .await
            .unwrap();
    }
    let r = recur::app::backfill(&store, s, &sources, &run).await;
    store.close().await;
    r
}

/// Every health and risk report as JSON, as of the end of `d`.
async fn every_report(db: &std::path::Path, d: NaiveDate) -> Vec<(String, String)> {
    let store = Store::open(db, OpenMode::ReadOnly, "1GB").await.unwrap();
    let params = ReportParams {
        as_of: Some(d),
        ..Default::default()
    };
    let mut out = Vec::new();
    for info in reports::list(None).unwrap() {
        if info.kind == reports::ReportKind::ReviewPack {
            continue;
        }
        let r = reports::run(&store, &info.name, &params, None)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", info.name));
        let mut buf = Vec::new();
        reports::render(&mut buf, &info.name, &r, ReportFormat::Json).unwrap();
        out.push((info.name, String::from_utf8(buf).unwrap()));
    }
    store.close().await;
    out
}

fn issue(gh: &GithubHandle, title: &str, labels: &[&str], body: &str) -> u64 {
    gh.create_issue(
        PAY,
        NewIssue {
            title: title.into(),
            body: body.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            ..NewIssue::default()
        },
    )
}

const BODY: &str = "### Owner\n\n@bob\n\n### Service\n\npayments\n\n### Target date\n\n2025-09-30\n\n### Type\n\ncode change\n";

/// The edits, each on its own day; `after` runs after each day's edits.
async fn github_history(gh: &GithubHandle, mut after: impl AsyncFnMut()) -> (u64, u64) {
    gh.set_edit_time(Some(at(2025, 1, 10)));
    // Opened without the postmortem label: not yet in the backlog.
    let late = issue(gh, "Retries", &["priority:low"], BODY);
    let cycled = issue(
        gh,
        "Add alert on queue depth",
        &["postmortem", "priority:medium"],
        BODY,
    );
    after().await;
    gh.set_edit_time(Some(at(2025, 2, 1)));
    gh.add_label(PAY, late, "postmortem");
    after().await;
    gh.set_edit_time(Some(at(2025, 3, 1)));
    gh.remove_label(PAY, late, "priority:low");
    gh.add_label(PAY, late, "priority:high");
    gh.set_assignees(PAY, late, &["carol"]);
    after().await;
    gh.set_edit_time(Some(at(2025, 4, 1)));
    gh.close(PAY, cycled, "completed");
    gh.set_title(PAY, late, "Add retries to the payment client");
    after().await;
    gh.set_edit_time(Some(at(2025, 5, 1)));
    gh.reopen(PAY, cycled);
    after().await;
    gh.set_edit_time(Some(at(2025, 6, 1)));
    gh.close(PAY, cycled, "not_planned");
    after().await;
    (late, cycled)
}

/// Days after both items entered the backlog (before it, a sync that first
/// saw an item when it was labelled can only infer; see below).
const DAYS: [(i32, u32, u32); 5] = [
    (2025, 2, 15),
    (2025, 3, 15),
    (2025, 4, 15),
    (2025, 5, 15),
    (2025, 6, 15),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sync_with_backfill_answers_past_days_like_a_sync_after_every_edit() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let seen_db = dir.path().join("seen.duckdb");
    let once_db = dir.path().join("once.duckdb");
    let seen = gh_settings(&sb, &seen_db, "backfill = false");
    let once = gh_settings(&sb, &once_db, "");
    let (late, cycled) = github_history(&gh, async || observe(&seen).await).await;
    gh.set_edit_time(None);

    let reports = sync_and_backfill(&once).await;
    let r = &reports[0];
    assert_eq!(r.items, 2, "{r:?}");
    assert!(r.versions >= 5, "{r:?}");
    // Two tracked issues in a two-issue repository: one page of the
    // repository's events beats a page per issue.
    assert_eq!(r.strategies[0].strategy, "per_container", "{r:?}");
    assert_eq!((r.requests, r.minimum_requests), (1, 1), "{r:?}");

    for (y, m, d) in DAYS {
        let (a, b) = (
            every_report(&seen_db, day(y, m, d)).await,
            every_report(&once_db, day(y, m, d)).await,
        );
        for ((name, x), (_, y)) in a.iter().zip(&b) {
            // trends counts an item as opened when it entered the backlog,
            // which only the backfilled history knows (checked below).
            if name != "trends" {
                assert_eq!(x, y, "{name} as of {:?}", (m, d));
            }
        }
    }
    // Before it was labelled, the late item was not in the backlog. A
    // history that starts at the labelling infers it was (its first
    // version stands in); the backfilled one knows it was not.
    let open_on = |db: std::path::PathBuf| async move {
        scalar(
            &db,
            "SELECT count(*) FROM open_action_items(DATE '2025-01-20', NULL, 15, 30, 56, 90)",
        )
        .await
    };
    assert_eq!(open_on(once_db.clone()).await, 1);
    assert_eq!(open_on(seen_db.clone()).await, 2);

    // Trends: the late item opened in February, when it was labelled.
    let opened = |db: std::path::PathBuf| async move {
        let store = Store::open(&db, OpenMode::ReadOnly, "1GB").await.unwrap();
        let r = reports::run(
            &store,
            "trends",
            &ReportParams {
                as_of: Some(day(2025, 3, 31)),
                since: Some(day(2025, 1, 1)),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        store.close().await;
        let reports::ReportOutput::Sections(s) = r else {
            panic!("trends has sections")
        };
        let flow = &s[0].1;
        let i = flow.columns.iter().position(|c| c == "opened").unwrap();
        flow.rows
            .iter()
            .map(|r| r[i].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(opened(once_db.clone()).await, [1, 1, 0]);
    assert_eq!(opened(seen_db.clone()).await, [2, 0, 0]);

    // The facts the reports rest on, directly.
    let versions = query(
        &once_db,
        &format!(
            "SELECT strftime(valid_from, '%m-%d'), tracking, priority, state, coalesce(assignee, '-'), origin, body_fields_known \
             FROM item_history WHERE key = '{PAY}#{late}' ORDER BY valid_from"
        ),
    )
    .await;
    let v: Vec<String> = versions
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string().replace('"', ""))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        v,
        [
            "01-10 untracked low open - backfill false",
            "02-01 tracked low open - backfill false",
            "03-01 tracked high open carol backfill false",
            "04-01 tracked high open carol sync true",
        ]
    );
    // Every version's prior_target (migration 0028) is the history's,
    // the rebuilt versions' and the synced ones' after them alike.
    assert_eq!(
        scalar(&once_db, crate::common::PRIOR_TARGET_DIFFERS).await,
        0
    );
    // The rebuilt versions carry their item's number (migration 0033).
    assert_eq!(scalar(&once_db, recur::store::ITEM_ID_FAULTS).await, 0);
    assert_eq!(
        scalar(
            &once_db,
            &format!(
                "SELECT count(*) FROM item_history WHERE key = '{PAY}#{late}' AND origin = 'sync' \
                 AND prior_target IS NOT NULL"
            )
        )
        .await,
        1,
        "the first synced version has the rebuilt one's date before it"
    );
    // The events, with who and when; the day it entered the backlog.
    assert_eq!(
        scalar(
            &once_db,
            &format!("SELECT count(*) FROM item_events WHERE key = '{PAY}#{cycled}' AND kind IN ('closed', 'reopened')")
        )
        .await,
        3
    );
    let since = query(
        &once_db,
        &format!("SELECT strftime(tracked_since, '%m-%d') FROM tracked_since() WHERE key = '{PAY}#{late}'"),
    )
    .await;
    assert_eq!(since[0][0], "02-01");

    // Nothing left: a second run sends nothing.
    sb.github().reset_counters();
    let again = sync_and_backfill(&once).await;
    assert_eq!(again[0].requests, 0, "{:?}", again[0]);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_anywhere_in_the_backfill_loses_nothing_and_the_rerun_is_whole() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let whole_db = dir.path().join("whole.duckdb");
    github_history(&gh, async || {}).await;
    gh.set_edit_time(None);
    let whole = gh_settings(&sb, &whole_db, "");
    sync_and_backfill(&whole).await;
    let expected = query(
        &whole_db,
        "SELECT key, valid_from, valid_to, tracking, priority, state, title FROM item_history ORDER BY ALL",
    )
    .await;
    // The budget stops the run after each request in turn: a kill between
    // any two pages. Reruns finish the work, and the history is the same.
    for budget in 1..=3 {
        let db = dir.path().join(format!("cut{budget}.duckdb"));
        let cut = gh_settings(&sb, &db, &format!("backfill_max_requests = {budget}"));
        let mut runs = 0;
        loop {
            runs += 1;
            let r = sync_and_backfill(&cut).await;
            if r[0].remaining == 0 && r[0].requests == 0 {
                break;
            }
            assert!(runs < 10, "backfill does not finish with budget {budget}");
        }
        let got = query(
            &db,
            "SELECT key, valid_from, valid_to, tracking, priority, state, title FROM item_history ORDER BY ALL",
        )
        .await;
        assert_eq!(got, expected, "budget {budget}");
    }
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_fields_come_back_from_the_changelog() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let jira = sb.jira();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.duckdb");
    let s = jira_settings(&sb, &db);
    jira.set_edit_time(Some(at(2025, 1, 10)));
    let key = jira.create_issue(
        "OPS",
        NewJiraIssue {
            summary: "Add alert on replica lag".into(),
            issue_type: "Task".into(),
            labels: vec!["postmortem".into()],
            fields: [
                ("Target date".to_string(), serde_json::json!("2025-03-01")),
                ("Service".to_string(), serde_json::json!("payments")),
            ]
            .into_iter()
            .collect(),
            ..NewJiraIssue::default()
        },
    );
    jira.set_edit_time(Some(at(2025, 2, 20)));
    jira.set_field(&key, "Target date", serde_json::json!("2025-04-15"));
    jira.set_edit_time(Some(at(2025, 4, 10)));
    jira.set_field(&key, "Target date", serde_json::json!("2025-06-30"));
    jira.set_edit_time(Some(at(2025, 5, 1)));
    jira.transition(&key, "done", Some("Done"));
    jira.set_edit_time(None);

    let r = sync_and_backfill(&s).await;
    assert_eq!(r[0].items, 1, "{:?}", r[0]);
    let v = rows_text(
        &db,
        &format!(
            "SELECT strftime(valid_from, '%m-%d'), CAST(target_date AS VARCHAR), state, origin \
             FROM item_history WHERE key = '{key}' ORDER BY valid_from"
        ),
    )
    .await;
    assert_eq!(
        v,
        [
            "01-10 2025-03-01 open backfill",
            "02-20 2025-04-15 open backfill",
            "04-10 2025-06-30 open backfill",
            "05-01 2025-06-30 closed sync",
        ]
    );
    // Deferred twice, as the changelog says.
    let text = deferred_json(&db, day(2025, 4, 30)).await;
    assert!(
        text.contains(&key) && text.contains("\"moves\":2"),
        "{text}"
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_the_fewest_the_chosen_listing_needs() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.duckdb");
    gh.set_edit_time(Some(at(2025, 1, 10)));
    // Two tracked issues after 300 others: the repository's events would
    // take many pages, each tracked issue's take few. (recur estimates the
    // repository's size from the highest issue number it has seen.)
    for n in 0..300 {
        issue(&gh, &format!("Unrelated {n}"), &["chore"], "");
    }
    let busy = issue(
        &gh,
        "Add retries to the payment client",
        &["postmortem"],
        BODY,
    );
    let quiet = issue(&gh, "Add alert on queue depth", &["postmortem"], BODY);
    // 120 more events on one issue: two pages of its own.
    for k in 0..60 {
        gh.set_edit_time(Some(at(2025, 2, 1) + chrono::Duration::minutes(2 * k)));
        gh.add_label(PAY, busy, "triage");
        gh.set_edit_time(Some(at(2025, 2, 1) + chrono::Duration::minutes(2 * k + 1)));
        gh.remove_label(PAY, busy, "triage");
    }
    gh.set_edit_time(None);
    let s = gh_settings(&sb, &db, "");
    let before = sb.github().request_log().len();
    let r = &sync_and_backfill(&s).await[0];
    assert_eq!(r.strategies[0].strategy, "per_item", "{r:?}");
    // busy: 1 + 120 events → 2 pages; quiet: 1 event → 1 page.
    assert_eq!((r.requests, r.minimum_requests), (3, 3), "{r:?}");
    let log = sb.github().request_log();
    let event_requests = log[before..]
        .iter()
        .filter(|q| q.path_and_query.contains("/events"))
        .count();
    assert_eq!(event_requests, 3);
    // The 120 label events rewind to nothing: the label came and went.
    let triage = scalar(
        &db,
        &format!(
            "SELECT count(*) FROM item_history WHERE key = '{PAY}#{busy}' AND list_contains(labels, 'triage')"
        ),
    )
    .await;
    assert_eq!(triage, 60, "each add makes a version with the label");
    let _ = quiet;
    sb.shutdown().await;
}

/// GitHub's target date (when the body names none) is the milestone's due
/// date; a moved milestone is a moved target, and its history comes from
/// `milestoned`/`demilestoned` events with the due dates of the
/// repository's milestones (one extra request, counted in the minimum).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_milestone_moves_come_back_as_target_date_moves() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.duckdb");
    gh.set_edit_time(Some(at(2025, 1, 10)));
    gh.add_milestone(PAY, "2025 Q1", day(2025, 3, 31));
    gh.add_milestone(PAY, "2025 Q2", day(2025, 6, 30));
    gh.add_milestone(PAY, "2025 Q3", day(2025, 9, 30));
    let body = "### Owner\n\n@bob\n\n### Service\n\npayments\n";
    let n = issue(&gh, "Add alert on replica lag", &["postmortem"], body);
    gh.set_milestone(PAY, n, Some("2025 Q1"));
    gh.set_edit_time(Some(at(2025, 3, 20)));
    gh.set_milestone(PAY, n, Some("2025 Q2"));
    gh.set_edit_time(Some(at(2025, 6, 20)));
    gh.set_milestone(PAY, n, Some("2025 Q3"));
    gh.set_edit_time(None);

    let s = gh_settings(&sb, &db, "");
    let r = &sync_and_backfill(&s).await[0];
    // One page of the issue's events and one of the milestones.
    assert_eq!((r.requests, r.minimum_requests), (2, 2), "{r:?}");
    let v = rows_text(
        &db,
        &format!(
            "SELECT strftime(valid_from, '%m-%d'), CAST(target_date AS VARCHAR), origin \
             FROM item_history WHERE key = '{PAY}#{n}' ORDER BY valid_from"
        ),
    )
    .await;
    assert_eq!(v[0], "01-10 2025-03-31 backfill", "{v:?}");
    assert_eq!(v[1], "03-20 2025-06-30 backfill", "{v:?}");
    assert!(v[2].starts_with("06-20 2025-09-30"), "{v:?}");
    let kinds = query(
        &db,
        &format!(
            "SELECT kind, coalesce(from_value, '-'), coalesce(to_value, '-') FROM item_events \
             WHERE key = '{PAY}#{n}' AND field = 'milestone' ORDER BY happened_at, event_id"
        ),
    )
    .await;
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    // Deferred twice, as the milestones say.
    let text = deferred_json(&db, day(2025, 7, 1)).await;
    assert!(
        text.contains(&format!("{PAY}#{n}")) && text.contains("\"moves\":2"),
        "{text}"
    );
    sb.shutdown().await;
}

/// Three tracked Jira tasks in OPS, created on 10, 11 and 12 January 2025
/// (the edit clock is left on the last), with `target` as their target
/// date.
fn three_issues(jira: &recur_sandbox::JiraHandle, target: Option<&str>) -> Vec<String> {
    [
        "Add replica lag alert",
        "Cap retry budget",
        "Page on queue depth",
    ]
    .into_iter()
    .enumerate()
    .map(|(n, summary)| {
        jira.set_edit_time(Some(at(2025, 1, 10 + n as u32)));
        jira.create_issue(
            "OPS",
            NewJiraIssue {
                summary: summary.into(),
                issue_type: "Task".into(),
                labels: vec!["postmortem".into()],
                fields: target
                    .map(|t| ("Target date".to_string(), serde_json::json!(t)))
                    .into_iter()
                    .collect(),
                ..NewJiraIssue::default()
            },
        )
    })
    .collect()
}

/// The keys with backfilled versions.
async fn rebuilt_keys(db: &std::path::Path) -> Vec<String> {
    rows_text(
        db,
        "SELECT key FROM item_history WHERE origin = 'backfill' GROUP BY key ORDER BY key",
    )
    .await
}

/// Each backfill test's item history, in one order.
const HISTORY: &str = "SELECT key, CAST(valid_from AS VARCHAR), CAST(valid_to AS VARCHAR), \
                       CAST(target_date AS VARCHAR), state, origin FROM item_history ORDER BY ALL";

/// [`three_issues`] with target dates, then histories of the three
/// interleaved in time: five target-date moves and one closure.
fn three_issues_with_history(jira: &recur_sandbox::JiraHandle) -> Vec<String> {
    let keys = three_issues(jira, Some("2025-03-01"));
    for (d, key) in [
        (2, &keys[0]),
        (3, &keys[1]),
        (4, &keys[0]),
        (5, &keys[2]),
        (6, &keys[1]),
    ] {
        jira.set_edit_time(Some(at(2025, 2, d)));
        jira.set_field(
            key,
            "Target date",
            serde_json::json!(format!("2025-04-{d:02}")),
        );
    }
    jira.set_edit_time(Some(at(2025, 3, 1)));
    jira.transition(&keys[1], "done", Some("Done"));
    jira.set_edit_time(None);
    keys
}

/// Jira Cloud's changelogs come 1,000 issues a request
/// (`POST /changelog/bulkfetch`), not one request per issue; a page may end
/// inside an issue's histories. A site that answers that listing with 404
/// is read issue by issue instead, and both give the same history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_cloud_changelogs_come_many_issues_a_request_and_one_by_one_without_it() {
    const BULK: &str = "POST /rest/api/3/changelog/bulkfetch";
    const ONE: &str = "GET /rest/api/3/issue/{issueIdOrKey}/changelog";
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let jira = sb.jira();
    let dir = tempfile::tempdir().unwrap();
    let keys = three_issues_with_history(&jira);

    // Two histories a page: the listing takes several pages, and an
    // issue's histories go on from one page to the next.
    jira.set_page_cap(Some(2));
    let bulk_db = dir.path().join("bulk.duckdb");
    let (bulk_before, one_before) = (jira.requests(BULK), jira.requests(ONE));
    let r = sync_and_backfill(&jira_settings(&sb, &bulk_db)).await;
    jira.set_page_cap(None);
    assert_eq!(r[0].strategies[0].strategy, "bulk", "{:?}", r[0]);
    assert_eq!(r[0].items, 3, "{:?}", r[0]);
    let bulk_requests = jira.requests(BULK) - bulk_before;
    assert!(bulk_requests >= 3, "several pages: {bulk_requests}");
    assert_eq!(jira.requests(ONE) - one_before, 0);
    assert_eq!(
        (r[0].requests, r[0].minimum_requests),
        (bulk_requests, bulk_requests)
    );
    let by_bulk = rows_text(&bulk_db, HISTORY).await;
    // Each target-date move and the closure, before the synced versions.
    assert_eq!(
        by_bulk.iter().filter(|r| r.ends_with("backfill")).count(),
        6,
        "{by_bulk:#?}"
    );
    assert!(by_bulk.contains(&format!(
        "{} 2025-02-03 10:00:00+00 2025-02-06 10:00:00+00 2025-04-03 open backfill",
        keys[1]
    )));

    // A run whose budget ends inside the listing says which listing it
    // was reading; the next run reads the chunk again from its start.
    jira.set_page_cap(Some(2));
    let cut_db = dir.path().join("cut.duckdb");
    let r = sync_and_backfill(&jira_settings_with(
        &sb,
        &cut_db,
        "backfill_max_requests = 1",
    ))
    .await;
    assert_eq!(r[0].strategies.len(), 1, "{:?}", r[0]);
    assert_eq!(r[0].strategies[0].strategy, "bulk", "{:?}", r[0]);
    assert_eq!(
        (r[0].requests, r[0].items, r[0].remaining),
        (1, 0, 3),
        "{:?}",
        r[0]
    );
    let r = sync_and_backfill(&jira_settings_with(
        &sb,
        &cut_db,
        "backfill_max_requests = 100",
    ))
    .await;
    assert_eq!(r[0].requests, bulk_requests, "{:?}", r[0]);
    assert_eq!(rows_text(&cut_db, HISTORY).await, by_bulk);
    jira.set_page_cap(None);

    // Without the bulk listing: one 404, then each issue's changelog.
    jira.set_bulk_changelog(false);
    let one_db = dir.path().join("one.duckdb");
    let (bulk_before, one_before) = (jira.requests(BULK), jira.requests(ONE));
    let r = sync_and_backfill(&jira_settings(&sb, &one_db)).await;
    assert_eq!(r[0].strategies[0].strategy, "per_item", "{:?}", r[0]);
    assert_eq!(jira.requests(BULK) - bulk_before, 1);
    assert_eq!(jira.requests(ONE) - one_before, 3);
    assert_eq!(rows_text(&one_db, HISTORY).await, by_bulk);
    // The next run does not ask for the bulk listing again.
    let r = sync_and_backfill(&jira_settings(&sb, &one_db)).await;
    assert_eq!(r[0].requests, 0, "{:?}", r[0]);
    assert_eq!(jira.requests(BULK) - bulk_before, 1);
    sb.shutdown().await;
}

/// Jira Data Center has no bulk changelog, but its search embeds each
/// issue's: the changelogs of up to 100 issues come in one search by id
/// (`validateQuery: false`), not one `GET /issue/{key}` each, with the
/// same history as Cloud's bulk changelog. An issue the search does not
/// name (deleted since the sync) is asked for alone, and left; a search
/// the site refuses (400) reads that chunk issue by issue; one over
/// `max_response_mib` is asked for again half as big.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_data_center_changelogs_come_a_hundred_issues_a_search() {
    use recur_sandbox::{Fault, FaultRule};
    const ONE: &str = "GET /rest/api/2/issue/{issueIdOrKey}";
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let jira = sb.jira();
    let dir = tempfile::tempdir().unwrap();
    let keys = three_issues_with_history(&jira);
    let cloud_db = dir.path().join("cloud.duckdb");
    sync_and_backfill(&jira_settings(&sb, &cloud_db)).await;
    let by_cloud = rows_text(&cloud_db, HISTORY).await;
    assert_eq!(
        by_cloud.iter().filter(|r| r.ends_with("backfill")).count(),
        6,
        "{by_cloud:#?}"
    );
    // Synced first, then backfilled: the backfill's requests alone.
    let dc = |name: &str, sync: &str| {
        let db = dir.path().join(name);
        let s = jira_flavour_settings(&sb, &db, &format!("backfill = false\n{sync}"), true);
        (s, db)
    };
    let backfill = |s: Settings| async move {
        observe(&s).await;
        sync_and_backfill_with(&s, false)
            .await
            .expect("the backfill runs")
    };

    let (s, db) = dc("dc.duckdb", "");
    let one_before = jira.requests(ONE);
    let r = backfill(s).await;
    assert_eq!(r[0].strategies[0].strategy, "bulk", "{:?}", r[0]);
    assert_eq!(
        (r[0].items, r[0].requests, r[0].minimum_requests),
        (3, 1, 1),
        "{:?}",
        r[0]
    );
    assert_eq!(jira.requests(ONE) - one_before, 0, "no issue asked alone");
    assert_eq!(rows_text(&db, HISTORY).await, by_cloud);

    // Refused (400): the chunk issue by issue, the same history.
    let (s, db) = dc("refused.duckdb", "");
    observe(&s).await;
    jira.push_fault(FaultRule {
        route: Some("/rest/api/2/search".into()),
        fault: Fault::ClientError {
            status: 400,
            message: "The JQL is refused".into(),
        },
        times: 1,
    });
    let one_before = jira.requests(ONE);
    let r = sync_and_backfill_with(&s, false).await.unwrap();
    assert_eq!((r[0].items, r[0].requests), (3, 4), "{:?}", r[0]);
    assert_eq!(jira.requests(ONE) - one_before, 3);
    assert_eq!(rows_text(&db, HISTORY).await, by_cloud);

    // Over the size cap: 3 issues, then 1 a page.
    let (s, db) = dc("halved.duckdb", "max_response_mib = 1");
    observe(&s).await;
    jira.push_fault(FaultRule {
        route: Some("/rest/api/2/search".into()),
        fault: Fault::Oversize { bytes: 2 << 20 },
        times: 1,
    });
    let r = sync_and_backfill_with(&s, false).await.unwrap();
    assert_eq!((r[0].items, r[0].requests), (3, 4), "{:?}", r[0]);
    assert_eq!(rows_text(&db, HISTORY).await, by_cloud);

    // Deleted since the sync: not named by the search, then 404 alone;
    // the other two are rebuilt.
    let (s, db) = dc("deleted.duckdb", "");
    observe(&s).await;
    jira.delete_issue(&keys[0]);
    let one_before = jira.requests(ONE);
    let r = sync_and_backfill_with(&s, false)
        .await
        .expect("the others are rebuilt");
    assert_eq!(
        (r[0].items, r[0].remaining, r[0].requests),
        (2, 1, 2),
        "{:?}",
        r[0]
    );
    assert_eq!(jira.requests(ONE) - one_before, 1);
    assert_eq!(rebuilt_keys(&db).await, [keys[1].clone(), keys[2].clone()]);
    sb.shutdown().await;
}

/// Regression: an issue deleted between the sync and the backfill (its
/// own change log answers 404) failed every backfill run until a
/// reconciliation marked it, and the issues listed after it waited. Now
/// it is left for a later run and the others are rebuilt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_deleted_since_the_sync_does_not_stop_the_others_history() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let jira = sb.jira();
    // Each issue's own changelog: the listing that answers 404 for one.
    jira.set_bulk_changelog(false);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    let keys = three_issues(&jira, None);
    for (n, key) in keys.iter().enumerate() {
        jira.set_edit_time(Some(at(2025, 2, 10 + n as u32)));
        jira.set_field(key, "Target date", serde_json::json!("2025-04-01"));
    }
    jira.set_edit_time(None);
    let s = jira_settings_with(&sb, &db, "backfill = false");
    observe(&s).await;
    jira.delete_issue(&keys[0]);
    let r = sync_and_backfill_with(&s, false)
        .await
        .expect("the others are rebuilt");
    assert_eq!((r[0].items, r[0].remaining), (2, 1), "{:?}", r[0]);
    assert_eq!(rebuilt_keys(&db).await, [keys[1].clone(), keys[2].clone()]);
    sb.shutdown().await;
}

/// Regression: a Jira changelog that comes back as its newest part only
/// (Data Center embeds it in the issue, with `startAt` and `total`; the
/// sandbox, as Cloud does, embeds the newest 40) was read as the whole
/// log: the rewind stopped at the oldest change read and made the state
/// before it the state since creation, a version no tracker answer
/// showed, with the history said to start at the creation. Now the item's
/// history is rebuilt back to the oldest change read, starts there, and
/// agrees with the whole log (Cloud's paged changelog) wherever it holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changelog_that_comes_back_in_part_starts_history_at_its_oldest_change() {
    let sb = crate::common::small_sandbox().await;
    let key = recur_sandbox::jira::MANY_COMMENTS_KEY;
    let dir = tempfile::tempdir().unwrap();
    let settings = |name: &str, datacenter: bool| {
        let text = format!(
            "[store]\npath = {:?}\n{}",
            dir.path().join(name).display().to_string(),
            recur::demo::sandbox_jira_source(&sb.jira_url(), &["OPS".to_string()], datacenter)
        );
        Settings::from_toml(&text).expect("valid settings")
    };
    let (whole, part) = (
        settings("whole.duckdb", false),
        settings("part.duckdb", true),
    );
    sync_and_backfill(&whole).await;
    sync_and_backfill(&part).await;
    let versions = format!(
        "SELECT epoch_us(valid_from), coalesce(epoch_us(valid_to), 9e18::BIGINT), \
                state, status, owner, priority, CAST(target_date AS VARCHAR), title \
         FROM item_history WHERE key = '{key}' ORDER BY valid_from"
    );
    let starts = format!(
        "SELECT epoch_us(created_at), epoch_us(history_from) FROM items WHERE key = '{key}'"
    );
    let (w, p) = (
        query(&whole.store_path, &versions).await,
        query(&part.store_path, &versions).await,
    );
    let (ws, ps) = (
        query(&whole.store_path, &starts).await,
        query(&part.store_path, &starts).await,
    );
    let us = |v: &serde_json::Value| v.as_i64().unwrap();
    // The whole log reaches back to the creation; the part does not.
    assert!(w.len() > 41, "{} histories or more: {}", 41, w.len());
    assert_eq!(us(&w[0][0]), us(&ws[0][0]));
    assert!(
        us(&p[0][0]) > us(&ps[0][0]),
        "no version made up at the creation"
    );
    assert_eq!(
        us(&ps[0][1]),
        us(&p[0][0]),
        "history starts at the oldest change read"
    );
    assert!(p.len() < w.len());
    // Wherever the part says something, the whole log says the same.
    for v in &p {
        let at = us(&v[0]);
        let held = w
            .iter()
            .find(|x| us(&x[0]) <= at && at < us(&x[1]))
            .unwrap_or_else(|| panic!("a whole-log version at {at}"));
        assert_eq!(v[2..], held[2..], "at {at}");
    }
    sb.shutdown().await;
}

/// Regression: the backfill's `events` counted every event read, not every
/// event stored. An item whose change log a Data Center search returns in
/// part is read again on its own, and the events both answers hold were
/// counted twice (the store keeps each once), so the run reported more
/// events than `item_events` held. Now the store answers how many were
/// new, and that is the count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backfill_counts_each_event_it_stored_once() {
    let sb = crate::common::small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let s = jira_flavour_settings(&sb, &dir.path().join("dc.duckdb"), "", true);
    let r = sync_and_backfill(&s).await;
    let key = recur_sandbox::jira::MANY_COMMENTS_KEY;
    let twice = format!("SELECT requests FROM backfill_items WHERE key = '{key}'");
    // The partial item was read twice: by the search and on its own.
    assert!(
        scalar(&s.store_path, &twice).await >= 1,
        "read on its own too"
    );
    let stored = scalar(&s.store_path, "SELECT count(*) FROM item_events").await;
    assert!(stored > 0);
    assert_eq!(r[0].events as i64, stored, "{:?}", r[0]);
    // A second run reads nothing new and stores nothing.
    let again = sync_and_backfill_with(&s, false).await.unwrap();
    assert_eq!(again[0].events, 0, "{:?}", again[0]);
    sb.shutdown().await;
}
