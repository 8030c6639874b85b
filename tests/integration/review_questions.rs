//! The review's questions (follow-ups, deferrals, the weekly list, risk
//! reduction per effort, what to escalate) on `tests/fixtures/health_seed.sql`
//! with `tests/fixtures/review_seed.sql` laid over it, as of 2026-06-30:
//! every answer is worked out by hand in those files' terms.

use chrono::NaiveDate;
use recur::reports::{self, ReportOutput, ReportParams};
use recur::store::{QueryResult, Store};

use crate::common::{
    clock, gh_settings, jira_settings, pick, recur_bin, scalar, score, small_sandbox, sync,
    writeback,
};

const HEALTH: &str = include_str!("../fixtures/health_seed.sql");
const REVIEW: &str = include_str!("../fixtures/review_seed.sql");

async fn seeded() -> Store {
    let store = Store::open_in_memory().unwrap();
    store.execute_batch("health seed", HEALTH).await.unwrap();
    store.execute_batch("review seed", REVIEW).await.unwrap();
    // Every seeded version its prior_target (migration 0028).
    crate::common::settle(&store).await;
    store
}

fn as_of(s: &str) -> ReportParams {
    ReportParams {
        as_of: Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()),
        ..Default::default()
    }
}

fn june() -> ReportParams {
    as_of("2026-06-30")
}

async fn sections(store: &Store, name: &str, params: &ReportParams) -> Vec<(String, QueryResult)> {
    match reports::run(store, name, params, None).await {
        Ok(ReportOutput::Sections(s)) => s,
        Ok(ReportOutput::Rows(r)) => vec![(name.to_string(), r)],
        Err(e) => panic!("report {name}: {e}"),
    }
}

async fn section(store: &Store, name: &str, part: &str, params: &ReportParams) -> QueryResult {
    sections(store, name, params)
        .await
        .into_iter()
        .find(|(n, _)| n == part)
        .unwrap_or_else(|| panic!("{name} has no section {part}"))
        .1
}

#[tokio::test]
async fn followups_list_each_incidents_items_and_the_gaps_past_the_checkpoint() {
    let store = seeded().await;
    let r = section(&store, "followups", "incidents", &june()).await;
    assert_eq!(
        pick(
            &r,
            &[
                "incident",
                "severity",
                "started_day",
                "risk",
                "item",
                "owner",
                "target_date"
            ]
        ),
        [
            // Incidents without a follow-up: item, owner and target empty.
            "acme/ops#19|SEV3|2026-06-27||||",
            "acme/ops#15|SEV3|2026-06-20||||",
            "acme/ops#21|SEV2|2026-06-15|acme/ops#3|||",
            "acme/ops#18|SEV2|2026-06-10||||",
            "acme/ops#14|SEV1|2026-06-01||acme/auth#1|erin|2026-07-15",
            "acme/ops#14|SEV1|2026-06-01||acme/auth#2|frank|",
            "acme/ops#14|SEV1|2026-06-01||acme/auth#3|erin|2026-07-30",
            "acme/ops#22|SEV3|2026-06-01|acme/ops#4|||",
        ]
    );
    // Gaps: past the 7-day checkpoint, no follow-up, no risk. ops#19 is 3
    // days old; ops#21 and ops#22 link a risk; ops#14 has follow-ups.
    let r = section(&store, "followups", "gaps", &june()).await;
    assert_eq!(
        pick(&r, &["incident", "started_day", "days_since"]),
        ["acme/ops#18|2026-06-10|20", "acme/ops#15|2026-06-20|10"]
    );
    // A longer checkpoint (11 days) leaves ops#15 (10 days) inside it.
    let long = ReportParams {
        followup_days: Some(11),
        ..june()
    };
    let r = section(&store, "followups", "gaps", &long).await;
    assert_eq!(pick(&r, &["incident"]), ["acme/ops#18"]);
    // One service.
    let auth = ReportParams {
        service: Some("auth".into()),
        ..june()
    };
    let r = section(&store, "followups", "gaps", &auth).await;
    assert_eq!(pick(&r, &["incident"]), ["acme/ops#15"]);
    // As of 06-20 ops#18 was 10 days old and ops#15 had just started.
    let r = section(&store, "followups", "gaps", &as_of("2026-06-20")).await;
    assert_eq!(pick(&r, &["incident"]), ["acme/ops#18"]);
}

#[tokio::test]
async fn followups_priority_flags_items_below_their_risk_or_their_incidents_severity() {
    let store = seeded().await;
    let r = section(&store, "followups", "priority", &june()).await;
    assert_eq!(
        pick(&r, &["key", "priority", "warranted", "reason"]),
        [
            "acme/auth#2|(none)|critical|incident acme/ops#14 was SEV1",
            "acme/pay#2|medium|critical|risk acme/ops#1 is P0; incident acme/ops#11 was SEV2",
            "acme/pay#8|medium|critical|risk acme/ops#1 is P0",
            "acme/auth#1|P1|critical|incident acme/ops#14 was SEV1",
            "acme/auth#3|high|critical|incident acme/ops#14 was SEV1",
            "acme/search#3|(none)|high|risk acme/ops#2 is P1; incident acme/ops#13 was SEV3",
            "acme/pay#12|medium|high|risk acme/ops#3 is P1",
            "acme/pay#15|medium|high|risk acme/ops#3 is P1",
        ]
    );
    // Before the last scoring run ops#2 was P0: search#3 then warranted critical.
    let r = section(&store, "followups", "priority", &as_of("2026-06-29")).await;
    assert!(
        pick(&r, &["key", "warranted"]).contains(&"acme/search#3|critical".to_string()),
        "{r:?}"
    );
}

#[tokio::test]
async fn deferred_lists_items_whose_target_moved_later_twice_as_history_recorded_it() {
    let store = seeded().await;
    let r = section(&store, "deferred", "deferred", &june()).await;
    // pay#7 moved once; search#4 moved earlier, which is no deferral.
    assert_eq!(
        pick(
            &r,
            &[
                "key",
                "moves",
                "slip_days",
                "first_target",
                "current_target",
                "lifecycle"
            ]
        ),
        ["acme/pay#8|2|107|2026-04-15|2026-07-31|open"]
    );
    // On 05-01 pay#8 had moved once only.
    let r = section(&store, "deferred", "deferred", &as_of("2026-05-01")).await;
    assert!(r.rows.is_empty(), "{r:?}");
}

#[tokio::test]
async fn weekly_lists_idle_critical_and_high_items_and_clusters_blockers() {
    let store = seeded().await;
    let r = section(&store, "weekly", "idle", &june()).await;
    // pay#13 (critical) was last touched exactly 7 days before: not idle.
    assert_eq!(
        pick(&r, &["key", "priority", "last_activity", "idle_days"]),
        [
            "acme/auth#1|P1|2026-06-02|28",
            "acme/pay#4|critical|2026-06-20|10",
            "acme/pay#5|P0|2026-06-20|10",
        ]
    );
    let r = section(&store, "weekly", "blocked", &june()).await;
    // " ACME/Platform#9. " meets "acme/platform#9"; "Blocked on #12" is
    // acme/pay#12, which recur tracks.
    assert_eq!(
        pick(
            &r,
            &["blocker", "blocker_title", "blocker_open", "items", "keys"]
        ),
        [
            r#"acme/platform#9|||3|["acme/pay#14","acme/pay#6","acme/pay#7"]"#,
            r#"(unspecified)|||1|["acme/auth#2"]"#,
            r#"acme/pay#12|Pre-warm the cache before sales|true|1|["acme/pay#15"]"#,
        ]
    );
}

#[tokio::test]
async fn monthly_ranks_open_items_by_risk_minutes_per_day_of_effort() {
    let store = seeded().await;
    let r = section(&store, "monthly", "risk_reduction", &june()).await;
    assert_eq!(
        pick(
            &r,
            &[
                "rank",
                "key",
                "risk",
                "bad_minutes_per_year",
                "effort_days",
                "minutes_per_effort_day"
            ]
        ),
        [
            "1|acme/pay#2|acme/ops#1|5200.0|1.0|5200.0",
            "2|acme/search#4|acme/ops#2|2000.0|0.5|4000.0",
            "3|acme/pay#15|acme/ops#3|2500.0|1.0|2500.0",
            "4|acme/pay#12|acme/ops#3|2500.0|3.0|833.3",
            "5|acme/pay#8|acme/ops#1|5200.0|8.0|650.0",
            "6|acme/pay#6|acme/ops#4|100.0|2.0|50.0",
            // No effort given: after every item whose effort is known.
            "7|acme/search#3|acme/ops#2|2000.0||",
        ]
    );
    let r = section(&store, "monthly", "completed_weighted", &june()).await;
    assert_eq!(
        pick(
            &r,
            &[
                "effect",
                "completed",
                "with_risk",
                "risks",
                "risk_weight",
                "effort_days"
            ]
        ),
        [
            "detection|1|1|1|5200.0|0.5",
            "prevention|1|1|1|5200.0|1.0",
            "learning|1|0|0|0.0|0.5",
            "mitigation|1|0|0|0.0|3.0",
            "all|4|2|1|10400.0|5.0",
        ]
    );
    let r = section(&store, "monthly", "aging_by_effect", &june()).await;
    let rows = pick(&r, &["priority", "effect", "open", "older_than_90"]);
    assert!(
        rows.contains(&"medium|prevention|4|2".to_string()),
        "{rows:?}"
    );
    assert!(
        rows.contains(&"critical|prevention|2|0".to_string()),
        "{rows:?}"
    );
    let r = section(&store, "monthly", "open_by_service_effect", &june()).await;
    assert_eq!(
        pick(
            &r,
            &[
                "service",
                "prevention",
                "detection",
                "mitigation",
                "recovery",
                "learning",
                "open"
            ]
        ),
        [
            "payments|5|2|2|0|0|9",
            "auth|0|1|1|0|1|3",
            "search|0|1|0|1|0|2",
            "(none)|1|0|0|0|0|1",
        ]
    );
}

#[tokio::test]
async fn trends_flow_splits_incidents_by_severity() {
    let store = seeded().await;
    let r = section(&store, "trends", "flow", &june()).await;
    let rows = pick(
        &r,
        &[
            "period_start",
            "incidents",
            "incidents_critical",
            "incidents_high",
            "incidents_medium",
            "incidents_low",
            "incidents_unrated",
        ],
    );
    assert!(
        rows.contains(&"2026-06-01|6|1|2|3|0|0".to_string()),
        "{rows:?}"
    );
    assert!(
        rows.contains(&"2026-05-01|2|0|1|1|0|0".to_string()),
        "{rows:?}"
    );
}

#[tokio::test]
async fn quarterly_names_what_to_escalate() {
    let store = seeded().await;
    let q = sections(&store, "quarterly", &june()).await;
    let get = |name: &str| q.iter().find(|(n, _)| n == name).map(|(_, r)| r).unwrap();
    assert_eq!(
        pick(
            get("chronic"),
            &[
                "key",
                "deadlines_missed",
                "deferrals",
                "repeat_incidents",
                "reasons"
            ]
        ),
        [
            "acme/pay#8|2|2|1|past 2 target dates; deferred 2 times",
            "acme/pay#12|0|0|2|2 repeat incidents while open",
        ]
    );
    assert_eq!(
        pick(get("cross_cutting"), &["theme", "services", "keys"]),
        [r#"alerting|3|["acme/auth#3","acme/pay#2","acme/search#3"]"#]
    );
    assert_eq!(
        pick(
            get("promote"),
            &["grouped_by", "value", "small_items", "opened", "closed"]
        ),
        ["risk|acme/ops#1|3|3|2"]
    );
    // Top 10: ops#2 went down (3000 → 2000) and so moved; the rest did not.
    assert_eq!(
        pick(
            get("unmoved_top"),
            &[
                "risk",
                "bad_minutes_then",
                "bad_minutes_now",
                "reviews_in_top"
            ]
        ),
        [
            "acme/ops#1|5000.0|5200.0|3",
            "acme/ops#3|1000.0|2500.0|3",
            "acme/ops#4|100.0|100.0|3",
        ]
    );
    assert_eq!(
        pick(
            get("likelihood_rising"),
            &[
                "risk",
                "stated_per_year",
                "trailing_90d",
                "previous_90d",
                "exceeds"
            ]
        ),
        [
            "acme/ops#3|4.0|2|2|stated",
            "acme/ops#2|2.0|1|1|stated",
            "acme/ops#4||1|0|previous",
        ]
    );
}

#[tokio::test]
async fn unmoved_top_honours_top_and_the_review_day() {
    let store = seeded().await;
    // Top 2: then ops#1 and ops#2; now ops#1 and ops#3. Only ops#1 stayed.
    let two = ReportParams {
        top: Some(2),
        ..june()
    };
    let r = section(&store, "quarterly", "unmoved_top", &two).await;
    assert_eq!(
        pick(&r, &["risk", "rank_then", "rank_now"]),
        ["acme/ops#1|1|1"]
    );
    // As of 06-01 the run of 05-31 is compared with the run of 04-30: no
    // risk moved, and each has been in the top for two reviews.
    let r = section(&store, "quarterly", "unmoved_top", &as_of("2026-06-01")).await;
    assert_eq!(
        pick(&r, &["risk", "reviews_in_top"]),
        [
            "acme/ops#1|2",
            "acme/ops#2|2",
            "acme/ops#3|2",
            "acme/ops#4|2"
        ]
    );
    // A review interval of 40 days reaches back past every run: nothing to compare.
    let long = ReportParams {
        review_interval_days: Some(40),
        ..as_of("2026-06-01")
    };
    let r = section(&store, "quarterly", "unmoved_top", &long).await;
    assert!(r.rows.is_empty(), "{r:?}");
}

#[tokio::test]
async fn multiple_owners_is_a_lint_finding() {
    let store = seeded().await;
    let r = section(&store, "lint", "lint", &june()).await;
    let rows = pick(&r, &["key", "rule"]);
    assert!(
        rows.contains(&"acme/pay#15|multiple_owners".to_string()),
        "{rows:?}"
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.ends_with("|multiple_owners"))
            .count(),
        1,
        "{rows:?}"
    );
}

#[tokio::test]
async fn the_effort_scale_and_the_severity_mapping_are_as_documented() {
    let store = seeded().await;
    let r = store
        .query(
            "scale",
            "SELECT e, effort_days(e) FROM (VALUES ('XS'), ('s'), (' M '), ('L'), ('XL'), ('xxl'), \
             ('4h'), ('2 days'), ('1w'), ('1.5'), ('soon'), ('0'), (NULL)) v(e)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        pick(&r, &["effort_days(e)"]),
        ["0.5", "1.0", "3.0", "8.0", "20.0", "40.0", "0.5", "2.0", "5.0", "1.5", "", "", ""]
    );
    let r = store
        .query(
            "severity",
            "SELECT severity_level(s) FROM (VALUES ('SEV1'), ('sev-2'), ('S3'), ('Sev 4'), ('major'), ('P0'), ('weird')) v(s)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        pick(&r, &["severity_level(s)"]),
        ["critical", "high", "medium", "low", "high", "critical", ""]
    );
}

/// Records a review of `keys` on the test clock's day, through the use case.
async fn record(
    settings: &recur::settings::Settings,
    keys: &[String],
) -> Vec<recur::app::Reviewed> {
    let store = Store::open(
        &settings.store_path,
        recur::store::OpenMode::ReadWrite,
        &settings.memory_limit,
    )
    .await
    .unwrap();
    let selection = recur::app::ReviewSelection {
        risks: keys.to_vec(),
        ..Default::default()
    };
    let r = recur::app::record_review(&store, &selection, clock()).await;
    store.close().await;
    r.unwrap()
}

/// Active risks flagged stale-review in the plan's labels after a first write-back.
fn stale(report: &recur::writeback::WritebackReport) -> Vec<String> {
    report
        .rows
        .iter()
        .filter(|r| r.op == "labels" && r.change.contains("+recur:stale-review"))
        .map(|r| r.key.clone())
        .collect()
}

#[tokio::test]
async fn a_recorded_review_clears_stale_review_and_sets_last_reviewed_in_both_trackers() {
    let today = clock().today().to_string();
    for tracker in ["github", "jira-cloud", "jira-dc"] {
        let sb = small_sandbox().await;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("r.duckdb");
        let settings = match tracker {
            "github" => gh_settings(&sb, &db, ""),
            t => jira_settings(&sb, &db, t == "jira-dc"),
        };
        sync(&settings).await;
        score(&settings).await;
        let first = writeback(&settings, false).await;
        let flagged = stale(&first);
        assert!(
            flagged.len() >= 2,
            "{tracker}: the seed has stale risks: {:?}",
            first.rows
        );
        let chosen = vec![flagged[0].clone()];

        let recorded = record(&settings, &chosen).await;
        assert_eq!(recorded.len(), 1, "{tracker}");
        assert!(recorded[0].new);
        // Recorded twice for one day: kept once.
        assert!(!record(&settings, &chosen).await[0].new, "{tracker}");

        // Write-back: Last reviewed first, then the stale label goes.
        let second = writeback(&settings, false).await;
        let ops: Vec<(String, String)> = second
            .rows
            .iter()
            .filter(|r| r.key == chosen[0])
            .map(|r| (r.op.clone(), r.change.clone()))
            .collect();
        assert_eq!(
            ops[0],
            (
                "last_reviewed".into(),
                format!("set Last reviewed to {today}")
            ),
            "{tracker}: {ops:?}"
        );
        assert!(
            ops.iter()
                .any(|(op, c)| op == "labels" && c.contains("-recur:stale-review")),
            "{tracker}: {ops:?}"
        );
        // Only the chosen risk: the others stay stale.
        assert!(second
            .rows
            .iter()
            .all(|r| r.op != "last_reviewed" || r.key == chosen[0]));
        assert!(
            !second
                .rows
                .iter()
                .any(|r| r.key == flagged[1] && r.change.contains("stale-review")),
            "{tracker}: the unreviewed risk keeps its label"
        );
        assert_eq!(second.counts.failed, 0, "{tracker}: {:?}", second.rows);

        // The tracker holds the day where people read it.
        match tracker {
            "github" => {
                let (repo, n) = chosen[0].rsplit_once('#').unwrap();
                let issue = sb.github().issue(repo, n.parse().unwrap()).unwrap();
                assert!(
                    issue
                        .body
                        .contains(&format!("### Last reviewed\n\n{today}\n")),
                    "{}",
                    issue.body
                );
                assert!(!issue.labels.iter().any(|l| l == "recur:stale-review"));
            }
            _ => {
                let issue = sb.jira().issue(&chosen[0]).unwrap();
                assert_eq!(
                    issue.fields.get("Last reviewed").and_then(|v| v.as_str()),
                    Some(today.as_str()),
                    "{tracker}: {:?}",
                    issue.fields
                );
                assert!(!issue.labels.iter().any(|l| l == "recur:stale-review"));
            }
        }

        // The next sync reads the day back; nothing is written again.
        sync(&settings).await;
        let back = scalar(
            &db,
            &format!(
                "SELECT count(*) FROM items WHERE key = '{}' AND last_reviewed_at = DATE '{today}'",
                chosen[0]
            ),
        )
        .await;
        assert_eq!(back, 1, "{tracker}: the synced Last reviewed");
        score(&settings).await;
        let third = writeback(&settings, false).await;
        assert!(
            third.rows.iter().all(|r| r.key != chosen[0]),
            "{tracker}: diff only: {:?}",
            third.rows
        );
        sb.shutdown().await;
    }
}

#[tokio::test]
async fn review_record_names_what_it_cannot_find_and_records_nothing() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.duckdb");
    let settings = gh_settings(&sb, &db, "");
    std::fs::write(
        dir.path().join("recur.toml"),
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db),
    )
    .unwrap();
    sync(&settings).await;
    score(&settings).await;
    let o = recur_bin(dir.path(), &["review", "record", "--risks", "acme/nope#1"]).await;
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("acme/nope#1"));
    let o = recur_bin(dir.path(), &["review", "record"]).await;
    assert_eq!(o.status.code(), Some(2));
    let o = recur_bin(dir.path(), &["review", "record", "--priority", "P9"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(scalar(&db, "SELECT count(*) FROM risk_reviews").await, 0);
    // By priority: every active P0 and P1 risk of the latest run.
    let o = recur_bin(
        dir.path(),
        &[
            "review",
            "record",
            "--priority",
            "P0,P1",
            "--format",
            "json",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let expected = scalar(
        &db,
        "SELECT count(*) FROM risk_scores s JOIN risks r USING (source, key) \
         WHERE r.active AND r.tracking = 'tracked' AND s.priority IN ('P0', 'P1')",
    )
    .await;
    assert!(expected > 0, "the seed has P0 or P1 risks");
    assert_eq!(rows.len() as i64, expected);
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM risk_reviews").await,
        expected
    );
    // The stale-review section of movement no longer lists them.
    let stale = scalar(
        &db,
        &format!(
            "SELECT count(*) FROM risk_scores s WHERE s.priority IN ('P0', 'P1') AND s.active \
             AND reviewed_on(s.source, s.key, s.last_reviewed_at, DATE '{}') IS DISTINCT FROM DATE '{}'",
            clock().today(),
            clock().today()
        ),
    )
    .await;
    assert_eq!(stale, 0);
    sb.shutdown().await;
}

/// Regression: the weekly blocker clusters named a blocking item's title
/// and open state as they are now, not as they were on the asked day, and
/// never found a Jira blocker (its key stays upper case, the lookup
/// compared it with lower-cased keys).
#[tokio::test]
async fn weekly_blockers_stand_as_on_the_day_and_jira_keys_are_found() {
    let store = seeded().await;
    store
        .execute_batch(
            "later edits and a jira blocker",
            "UPDATE history_open SET valid_to = TIMESTAMPTZ '2026-07-05 12:00:00+00' \
               WHERE key = 'acme/pay#12' AND valid_to IS NULL; \
             INSERT INTO history_closed BY NAME SELECT * EXCLUDE (title, state, status, valid_from, valid_to, recorded_at, closed_at, updated_at), \
               'Renamed after June' AS title, 'closed' AS state, 'done' AS status, \
               TIMESTAMPTZ '2026-07-05 12:00:00+00' AS valid_from, NULL AS valid_to, \
               TIMESTAMPTZ '2026-07-05 12:00:00+00' AS recorded_at, TIMESTAMPTZ '2026-07-05 12:00:00+00' AS closed_at, \
               TIMESTAMPTZ '2026-07-05 12:00:00+00' AS updated_at \
               FROM item_history WHERE key = 'acme/pay#12' AND valid_to = TIMESTAMPTZ '2026-07-05 12:00:00+00'; \
             UPDATE items SET title = 'Renamed after June', state = 'closed', status = 'done', \
               closed_at = TIMESTAMPTZ '2026-07-05 12:00:00+00' WHERE key = 'acme/pay#12'; \
             INSERT INTO items BY NAME SELECT 'jira' AS source, 'OPS' AS container, number, key, 'action_item' AS kind, \
               'tracked' AS tracking, title, 'open' AS state, status, blocked_by, 'payments' AS service, \
               TIMESTAMPTZ '2026-06-01 12:00:00+00' AS created_at, TIMESTAMPTZ '2026-06-01 12:00:00+00' AS updated_at, \
               'x' AS content_hash, '{}' AS raw, TIMESTAMPTZ '2026-06-01 12:00:00+00' AS first_seen_at, \
               TIMESTAMPTZ '2026-06-01 12:00:00+00' AS last_synced_at, TIMESTAMPTZ '2026-06-01 12:00:00+00' AS history_from \
             FROM (VALUES (7, 'OPS-7', 'Raise the connection pool limit', 'accepted', NULL), \
                          (8, 'OPS-8', 'Retry the settlement export', 'blocked', 'waiting on OPS-7')) \
               AS v(number, key, title, status, blocked_by); \
             INSERT INTO history_closed BY NAME SELECT source, key, kind, tracking, container, title, state, status, \
               blocked_by, service, created_at, updated_at, content_hash, \
               updated_at AS valid_from, NULL AS valid_to, updated_at AS recorded_at \
             FROM items WHERE source = 'jira';",
        )
        .await
        .unwrap();
    crate::common::settle(&store).await;
    let r = section(&store, "weekly", "blocked", &june()).await;
    let rows = pick(&r, &["blocker", "blocker_title", "blocker_open", "keys"]);
    assert!(
        rows.contains(
            &r#"acme/pay#12|Pre-warm the cache before sales|true|["acme/pay#15"]"#.to_string()
        ),
        "pay#12 as it stood on 06-30: {rows:?}"
    );
    assert!(
        rows.contains(&r#"OPS-7|Raise the connection pool limit|true|["OPS-8"]"#.to_string()),
        "the Jira blocker: {rows:?}"
    );
    // After July's edits the same report, as of today, says so.
    let r = section(&store, "weekly", "blocked", &as_of("2026-07-10")).await;
    let rows = pick(&r, &["blocker", "blocker_title", "blocker_open"]);
    assert!(
        rows.contains(&"acme/pay#12|Renamed after June|false".to_string()),
        "{rows:?}"
    );
}
