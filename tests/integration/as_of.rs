//! History-true answers (issue "Answers a reliability lead can trust"): a
//! backlog laid down in the sandbox with edits on set days, synced after
//! each batch, then every report asked `--as-of` a past day, the items
//! edited after that day, synced, and every report asked again: the past
//! must not change. The state definitions (closure beats a status label,
//! Jira done without a resolution) go through the real connectors too.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use recur::reports::{self, ReportFormat, ReportOutput, ReportParams};
use recur::settings::Settings;
use recur::store::{OpenMode, QueryResult, Store};
use recur_sandbox::{GithubHandle, NewIssue, NewJiraIssue, Sandbox, SandboxOptions};

use crate::common::{query, sync_with, RecordingSleeper};

const OPS: &str = "acme/ops";
const PAY: &str = "acme/pay";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn settings(sb: &Sandbox, db: &std::path::Path, repos: &[&str]) -> Settings {
    let repos: Vec<String> = repos.iter().map(|r| r.to_string()).collect();
    let text = recur::demo::sandbox_config(&sb.github_url(), &repos, db);
    Settings::from_toml(&text).expect("valid settings")
}

/// A full sync: the edits below are dated in the past, before the
/// incremental cursor (which starts where the first sync began), so every
/// sync re-lists everything; history is recorded from the items'
/// `updated_at` either way.
async fn sync(s: &Settings) {
    sync_with(s, &RecordingSleeper::default(), true)
        .await
        .expect("sync succeeds");
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(h, v)| format!("### {h}\n\n{v}\n\n"))
        .collect()
}

fn issue(gh: &GithubHandle, repo: &str, title: &str, labels: &[&str], body: &str) -> u64 {
    gh.create_issue(
        repo,
        NewIssue {
            title: title.into(),
            body: body.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            ..NewIssue::default()
        },
    )
}

fn item_body(owner: &str, priority: &str, target: &str) -> String {
    form(&[
        ("Owner", owner),
        ("Priority", priority),
        ("Service", "payments"),
        ("Target date", target),
        ("Risk", "acme/ops#1"),
        ("Type", "code change"),
        ("Theme", "timeouts"),
    ])
}

/// Every report of the catalogue as JSON text (the review pack as its
/// HTML), as of the end of `d`.
async fn every_report(store: &Store, d: NaiveDate) -> Vec<(String, String)> {
    let params = ReportParams {
        as_of: Some(d),
        ..Default::default()
    };
    let mut out = Vec::new();
    for info in reports::list(None).unwrap() {
        let name = info.name;
        if info.kind == reports::ReportKind::ReviewPack {
            let page = recur::review::render(store, d, &params, None)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            out.push((name, page));
            continue;
        }
        let r = reports::run(store, &name, &params, None)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut buf = Vec::new();
        reports::render(&mut buf, &name, &r, ReportFormat::Json).unwrap();
        out.push((name, String::from_utf8(buf).unwrap()));
    }
    out
}

fn rows(out: &ReportOutput, section: &str) -> QueryResult {
    match out {
        ReportOutput::Rows(r) => r.clone(),
        ReportOutput::Sections(s) => s
            .iter()
            .find(|(n, _)| n == section)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("no section {section}")),
    }
}

fn col(r: &QueryResult, row: usize, name: &str) -> serde_json::Value {
    let i = r.columns.iter().position(|c| c == name).unwrap();
    r.rows[row][i].clone()
}

async fn report(store: &Store, name: &str, d: NaiveDate) -> ReportOutput {
    reports::run(
        store,
        name,
        &ReportParams {
            as_of: Some(d),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_as_of_a_past_day_is_unchanged_by_later_edits() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.duckdb");
    let s = settings(&sb, &db, &[OPS, PAY]);

    // An item created before recur's history begins.
    gh.set_edit_time(Some(at(2025, 12, 1, 9)));
    let early = issue(
        &gh,
        PAY,
        "Add load test for checkout",
        &["postmortem"],
        &item_body("@gina", "low", ""),
    );
    // Edited before the first sync: recur's history of it starts here.
    gh.set_edit_time(Some(at(2026, 1, 2, 9)));
    gh.set_body(PAY, early, &item_body("@gina", "medium", ""));

    // 5 January: the risk and four action items; first sync.
    gh.set_edit_time(Some(at(2026, 1, 5, 10)));
    let risk = issue(
        &gh,
        OPS,
        "Checkout latency degrades under batch load",
        &["risk"],
        &form(&[
            ("Impact", "3"),
            ("Scope", "3"),
            ("Likelihood", "4"),
            ("Time to detect (minutes)", "10"),
            ("Time to repair (minutes)", "50"),
            ("Users affected (%)", "20"),
            ("Occurrences per year", "12"),
            ("Service", "payments"),
            ("Owner", "@alice"),
            ("Last reviewed", "2026-01-05"),
        ]),
    );
    assert_eq!(risk, 1);
    let a1 = issue(
        &gh,
        PAY,
        "Add timeout budget to provider client",
        &["postmortem"],
        &item_body("@bob", "medium", "2026-03-31"),
    );
    let a2 = issue(
        &gh,
        PAY,
        "Add retry jitter to ledger client",
        &["postmortem"],
        &item_body("@carol", "low", ""),
    );
    let a3 = issue(
        &gh,
        PAY,
        "Add alert on queue depth",
        &["postmortem"],
        &item_body("@dave", "high", "2026-02-01"),
    );
    let a4 = issue(
        &gh,
        PAY,
        "Document the failover procedure",
        &["postmortem"],
        &item_body("@erin", "low", ""),
    );
    sync(&s).await;
    // 20 January: A3 done. 5 February: A2 raised to critical.
    gh.set_edit_time(Some(at(2026, 1, 20, 10)));
    gh.close(PAY, a3, "completed");
    sync(&s).await;
    gh.set_edit_time(Some(at(2026, 2, 5, 10)));
    gh.set_body(PAY, a2, &item_body("@carol", "critical", ""));
    sync(&s).await;
    {
        let store = Store::open(
            &db,
            OpenMode::ReadWrite,
            recur::settings::DEFAULT_MEMORY_LIMIT,
        )
        .await
        .unwrap();
        recur::scoring::score(&store, &s.scoring, at(2026, 2, 14, 12))
            .await
            .unwrap();
        store.close().await;
    }

    let d1 = day(2026, 2, 15);
    let store = Store::open(
        &db,
        OpenMode::ReadOnly,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    let before = every_report(&store, d1).await;
    // Known answers as of 15 February.
    let aging = rows(&report(&store, "aging", d1).await, "aging");
    let last = aging.rows.len() - 1;
    assert_eq!(col(&aging, last, "priority"), "all");
    // Open then: the early item, A1, A2, A4 (A3 closed on 20 January).
    assert_eq!(col(&aging, last, "open"), 4);
    // Overdue then: A2, critical for 10 days but 41 days old, and the
    // early item, medium and 76 days old.
    assert_eq!(col(&aging, last, "overdue"), 2);
    assert_eq!(col(&aging, 0, "priority"), "critical");
    let monthly = report(&store, "monthly", d1).await;
    let completed = rows(&monthly, "completed");
    assert_eq!(completed.rows.len(), 1);
    assert_eq!(col(&completed, 0, "key"), format!("{PAY}#{a3}"));
    assert_eq!(col(&completed, 0, "done_on"), "2026-01-20");
    // On 10 January A2 was still low, A3 open and not yet overdue.
    let jan = rows(&report(&store, "aging", day(2026, 1, 10)).await, "aging");
    let last = jan.rows.len() - 1;
    assert_eq!(col(&jan, last, "open"), 5);
    assert_eq!(col(&jan, last, "overdue"), 0);
    assert!(jan.rows.iter().all(|r| r[0] != "critical"), "{jan:?}");
    // The day before the first sync: the early item existed but recur's
    // history does not reach it, and the metadata says so.
    let cov = reports::coverage(&store, day(2025, 12, 15)).await.unwrap();
    assert_eq!((cov.items, cov.inferred), (1, 1));
    let note = cov.note().expect("a note");
    assert!(
        note.contains("inferred") && note.contains("2025-12-15"),
        "{note}"
    );
    assert_eq!(reports::coverage(&store, d1).await.unwrap().note(), None);
    // The note reports print asks first whether anything is inferred, and
    // says the same.
    for d in [day(2025, 12, 15), d1] {
        assert_eq!(
            reports::coverage_note(&store, d).await.unwrap(),
            reports::coverage(&store, d).await.unwrap().note(),
            "{d}"
        );
    }
    store.close().await;

    // After 15 February: close and reopen, relabel priority, change owner
    // and target date, drop the tracked label, re-estimate the risk.
    gh.set_edit_time(Some(at(2026, 3, 10, 10)));
    gh.close(PAY, a1, "completed");
    gh.set_body(PAY, a2, &item_body("@frank", "low", "2026-04-30"));
    gh.remove_label(PAY, a4, "postmortem");
    gh.reopen(PAY, a3);
    gh.close(PAY, early, "not_planned");
    sync(&s).await;
    gh.set_edit_time(Some(at(2026, 3, 12, 10)));
    gh.reopen(PAY, a1);
    gh.add_label(PAY, a2, "status:done");
    gh.set_body(
        OPS,
        risk,
        &form(&[
            ("Impact", "5"),
            ("Scope", "5"),
            ("Likelihood", "5"),
            ("Time to detect (minutes)", "100"),
            ("Time to repair (minutes)", "500"),
            ("Users affected (%)", "100"),
            ("Occurrences per year", "52"),
            ("Service", "payments"),
            ("Owner", "@zed"),
            ("Last reviewed", "March 2026"),
        ]),
    );
    sync(&s).await;
    {
        let store = Store::open(
            &db,
            OpenMode::ReadWrite,
            recur::settings::DEFAULT_MEMORY_LIMIT,
        )
        .await
        .unwrap();
        recur::scoring::score(&store, &s.scoring, at(2026, 3, 15, 12))
            .await
            .unwrap();
        store.close().await;
    }

    // The invariants items_as_of relies on (migration 0009): one open
    // version per item, each closed version followed by the next, and
    // history_from where the history starts.
    for (what, sql) in [
        (
            "two open versions",
            "SELECT count(*) FROM (SELECT source, key FROM item_history WHERE valid_to IS NULL \
             GROUP BY ALL HAVING count(*) > 1)",
        ),
        (
            "a gap after a version",
            "SELECT count(*) FROM item_history h WHERE valid_to IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM item_history n WHERE n.source = h.source AND n.key = h.key \
              AND n.valid_from = h.valid_to)",
        ),
        ("a fault in the items' numbers", recur::store::ITEM_ID_FAULTS),
        (
            "history_from not the first version",
            "SELECT count(*) FROM items i WHERE history_from IS DISTINCT FROM \
             (SELECT min(valid_from) FROM item_history h WHERE h.source = i.source AND h.key = i.key)",
        ),
    ] {
        assert_eq!(query(&db, sql).await[0][0], 0, "{what}");
    }
    let store = Store::open(
        &db,
        OpenMode::ReadOnly,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    let after = every_report(&store, d1).await;
    for ((name, b), (_, a)) in before.iter().zip(&after) {
        assert_eq!(b, a, "report {name} as of {d1} changed after later edits");
    }
    // ... while today's answers did move (the edits were seen).
    let now = rows(&report(&store, "aging", day(2026, 3, 20)).await, "aging");
    let last = now.rows.len() - 1;
    // Open on 20 March: A1 (reopened), A2, A3 (reopened); A4 untracked,
    // the early item declined.
    assert_eq!(col(&now, last, "open"), 3);
    store.close().await;
    sb.shutdown().await;
}

/// trends `flow` over `params` as `period_start|opened|closed|reopened|open_at_end`.
async fn flow(store: &Store, params: &ReportParams) -> Vec<String> {
    let t = reports::run(store, "trends", params, None).await.unwrap();
    crate::common::pick(
        &rows(&t, "flow"),
        &[
            "period_start",
            "opened",
            "closed",
            "reopened",
            "open_at_end",
        ],
    )
}

/// Wrong answer fixed (migration 0031), through the real connector: an
/// item closed on 20 January was reopened on 10 February and closed again
/// on 12 February, with no sync in between; the sync of 10 March saw it
/// closed, its `closed_at` 12 February, after an edit of that day. Asked
/// for 15 February after that sync, trends counted a close and a
/// reopening in February that nothing recorded by 15 February showed
/// (GitHub keeps only the last `closed_at`; the version is valid from
/// 10 March). Every report as of 15 February is the same before and after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reclosure_seen_only_after_the_day_leaves_every_report_of_the_day_unchanged() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.duckdb");
    let s = settings(&sb, &db, &[PAY]);
    gh.set_edit_time(Some(at(2026, 1, 5, 10)));
    let a = issue(
        &gh,
        PAY,
        "Add timeout budget to provider client",
        &["postmortem"],
        &item_body("@bob", "medium", "2026-03-31"),
    );
    sync(&s).await;
    gh.set_edit_time(Some(at(2026, 1, 20, 10)));
    gh.close(PAY, a, "completed");
    sync(&s).await;
    gh.set_edit_time(Some(at(2026, 2, 10, 10)));
    gh.reopen(PAY, a);
    gh.set_edit_time(Some(at(2026, 2, 12, 10)));
    gh.close(PAY, a, "not_planned");

    let d1 = day(2026, 2, 15);
    let params = ReportParams {
        as_of: Some(d1),
        since: Some(day(2026, 1, 1)),
        ..Default::default()
    };
    let open = || {
        Store::open(
            &db,
            OpenMode::ReadOnly,
            recur::settings::DEFAULT_MEMORY_LIMIT,
        )
    };
    let store = open().await.unwrap();
    let before = every_report(&store, d1).await;
    let flow_before = flow(&store, &params).await;
    store.close().await;
    assert_eq!(flow_before, ["2026-01-01|1|1|0|0", "2026-02-01|0|0|0|0"]);

    gh.set_edit_time(Some(at(2026, 3, 10, 10)));
    gh.set_body(PAY, a, &item_body("@bob", "low", "2026-03-31"));
    sync(&s).await;
    assert_eq!(
        query(
            &db,
            "SELECT strftime(closed_at, '%m-%d'), strftime(valid_from, '%m-%d') \
             FROM item_history WHERE valid_to IS NULL"
        )
        .await,
        [[serde_json::json!("02-12"), serde_json::json!("03-10")]],
        "the sync saw the reclosure only with the edit of 10 March"
    );
    let store = open().await.unwrap();
    let after = every_report(&store, d1).await;
    assert_eq!(flow(&store, &params).await, flow_before);
    store.close().await;
    for ((name, b), (_, a)) in before.iter().zip(&after) {
        assert_eq!(b, a, "report {name} as of {d1} changed after a later sync");
    }
    sb.shutdown().await;
}

/// Regression: a GitHub issue closed as completed that still carries
/// `status:in progress` is done (completed, evidence, completion mix), not
/// dropped; an open one labelled `status:done` is open, not completed; both
/// labels are lint findings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_status_label_never_beats_closure() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.duckdb");
    let s = settings(&sb, &db, &[PAY]);
    gh.set_edit_time(Some(at(2026, 5, 1, 10)));
    let closed = issue(
        &gh,
        PAY,
        "Add circuit breaker to ledger client",
        &["postmortem", "status:in progress"],
        &item_body("@bob", "high", "2026-06-01"),
    );
    let labelled_done = issue(
        &gh,
        PAY,
        "Add bulkhead to refund worker",
        &["postmortem", "status:done"],
        &item_body("@bob", "high", "2026-07-01"),
    );
    let declined = issue(
        &gh,
        PAY,
        "Rewrite the ledger in Rust",
        &["postmortem"],
        &item_body("@bob", "low", ""),
    );
    let duplicate = issue(
        &gh,
        PAY,
        "Add circuit breaker to the ledger client",
        &["postmortem"],
        &item_body("@bob", "low", ""),
    );
    gh.set_edit_time(Some(at(2026, 5, 20, 10)));
    gh.close(PAY, closed, "completed");
    gh.close(PAY, declined, "not_planned");
    gh.close(PAY, duplicate, "duplicate");
    sync(&s).await;

    let status = query(
        &db,
        "SELECT key, state, status, stated_status, lifecycle FROM action_items ORDER BY key",
    )
    .await;
    let key = |n: u64| format!("{PAY}#{n}");
    let row = |n: u64| status.iter().find(|r| r[0] == key(n)).unwrap().clone();
    assert_eq!(row(closed)[2], "done");
    assert_eq!(row(closed)[3], "in progress");
    assert_eq!(row(closed)[4], "done");
    assert_eq!(row(labelled_done)[1], "open");
    assert_eq!(row(labelled_done)[4], "open");
    assert_eq!(row(labelled_done)[3], "done");
    assert_eq!(row(declined)[4], "declined");
    assert_eq!(row(duplicate)[4], "duplicate");

    let store = Store::open(
        &db,
        OpenMode::ReadOnly,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    let d = day(2026, 5, 31);
    let monthly = report(&store, "monthly", d).await;
    let completed = rows(&monthly, "completed");
    let keys: Vec<_> = (0..completed.rows.len())
        .map(|i| col(&completed, i, "key"))
        .collect();
    assert_eq!(keys, [serde_json::json!(key(closed))]);
    let evidence = rows(&report(&store, "evidence", d).await, "evidence");
    assert_eq!(evidence.rows.len(), 1, "{evidence:?}");
    let mix = rows(
        &report(&store, "quarterly", d).await,
        "completion_by_effect",
    );
    let prevention = (0..mix.rows.len())
        .find(|&i| col(&mix, i, "effect") == "prevention")
        .unwrap();
    assert_eq!(col(&mix, prevention, "completed"), 1);
    assert_eq!(col(&mix, prevention, "dropped"), 2);
    assert_eq!(col(&mix, prevention, "open"), 1);
    let lint = rows(&report(&store, "lint", d).await, "lint");
    let mismatches: Vec<(String, String)> = (0..lint.rows.len())
        .filter(|&i| col(&lint, i, "rule") == "status_mismatch")
        .map(|i| {
            (
                col(&lint, i, "key").as_str().unwrap().to_string(),
                col(&lint, i, "detail").as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        mismatches,
        [
            (
                key(closed),
                "labelled in progress but closed as done in the tracker".to_string()
            ),
            (
                key(labelled_done),
                "labelled done but open in the tracker".to_string()
            ),
        ]
    );
    store.close().await;
    sb.shutdown().await;
}

/// Regression: a Jira issue in a done-category status without a
/// resolution is done (not "closed"); Won't Do is declined, Duplicate a
/// duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jira_issue_done_without_a_resolution_is_done() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let jira = sb.jira();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.duckdb");
    let text = format!(
        "[store]\npath = {:?}\n{}",
        db.display().to_string(),
        recur::demo::sandbox_jira_source(&sb.jira_url(), &["OPS".to_string()], false)
    );
    let s = Settings::from_toml(&text).unwrap();
    let new = |summary: &str| NewJiraIssue {
        summary: summary.into(),
        issue_type: "Task".into(),
        labels: vec!["postmortem".into()],
        ..NewJiraIssue::default()
    };
    let plain = jira.create_issue("OPS", new("Add alert on replica lag"));
    let wont = jira.create_issue("OPS", new("Rewrite the scheduler"));
    let dup = jira.create_issue("OPS", new("Add alert on replica lag again"));
    jira.transition(&plain, "done", None);
    jira.transition(&wont, "done", Some("Won't Do"));
    jira.transition(&dup, "done", Some("Duplicate"));
    sync(&s).await;
    let rows = query(
        &db,
        "SELECT key, state, status, lifecycle FROM action_items ORDER BY key",
    )
    .await;
    let get = |k: &str| rows.iter().find(|r| r[0] == k).unwrap().clone();
    assert_eq!(
        get(&plain)[1..],
        [serde_json::json!("closed"), "done".into(), "done".into()]
    );
    assert_eq!(get(&wont)[3], "declined");
    assert_eq!(get(&dup)[3], "duplicate");
    sb.shutdown().await;
}

/// Regression: when an item's content changes but the tracker's
/// `updated_at` does not (a change of recur's rules re-read on a full
/// sync, or two edits within one second), the version it replaces was in
/// force for no time. Before migration 0016 an item first recorded after
/// the asked day came back twice from items_as_of (counted twice), and a
/// superseded target date could count as a deferral or swap the first and
/// current target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_superseded_at_the_same_instant_is_never_counted() {
    let sb = Sandbox::start(SandboxOptions::empty()).await.unwrap();
    let gh = sb.github();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.duckdb");
    let s = settings(&sb, &db, &[PAY]);
    gh.set_edit_time(Some(at(2026, 5, 1, 10)));
    let closed = issue(
        &gh,
        PAY,
        "Add circuit breaker to ledger client",
        &["postmortem"],
        &item_body("@bob", "high", "2026-06-01"),
    );
    let moved = issue(
        &gh,
        PAY,
        "Add bulkhead to refund worker",
        &["postmortem"],
        &item_body("@bob", "high", "2026-06-01"),
    );
    // Every change below happens at one instant, 05-20 10:00, so the
    // tracker's updated_at never moves between the two syncs.
    gh.set_edit_time(Some(at(2026, 5, 20, 10)));
    gh.close(PAY, closed, "completed");
    gh.set_body(PAY, moved, &item_body("@bob", "high", "2026-06-15"));
    sync(&s).await;
    gh.set_title(PAY, closed, "Add a circuit breaker to the ledger client");
    gh.set_body(PAY, moved, &item_body("@bob", "high", "2026-06-30"));
    sync(&s).await;
    let key = |n: u64| format!("{PAY}#{n}");
    let zero_length = query(
        &db,
        "SELECT count(*) FROM item_history WHERE valid_to = valid_from",
    )
    .await;
    assert_eq!(
        zero_length[0][0], 2,
        "the scenario makes superseded versions"
    );

    // 05-10: before either item's first recorded version (05-20).
    let as_of = query(
        &db,
        "SELECT key, title, state FROM items_as_of('2026-05-10') ORDER BY key",
    )
    .await;
    assert_eq!(as_of.len(), 2, "one row per item: {as_of:?}");
    let row = as_of.iter().find(|r| r[0] == key(closed)).unwrap();
    assert_eq!(row[1], "Add a circuit breaker to the ledger client");
    assert_eq!(row[2], "open");
    let store = Store::open(
        &db,
        OpenMode::ReadOnly,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    let aging = rows(&report(&store, "aging", day(2026, 5, 10)).await, "aging");
    let all = (0..aging.rows.len())
        .find(|&i| col(&aging, i, "priority") == "all" && col(&aging, i, "bucket") == "all")
        .unwrap();
    assert_eq!(col(&aging, all, "open"), 2);
    store.close().await;

    // The target date recorded first (06-15) was superseded at once by
    // 06-30: no move, and both ends are the date in force.
    let moves = query(
        &db,
        &format!(
            "SELECT moves, first_target::VARCHAR, last_target::VARCHAR FROM target_moves('2026-06-30') WHERE key = '{}'",
            key(moved)
        ),
    )
    .await;
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0][0], 0, "{moves:?}");
    assert_eq!(moves[0][1], "2026-06-30");
    assert_eq!(moves[0][2], "2026-06-30");
    sb.shutdown().await;
}
