//! Backlog-health reports on the seeded backlog of
//! `tests/fixtures/health_seed.sql`, as of 2026-06-30: every report's answer
//! is worked out by hand in that file's terms and asserted exactly.

use chrono::NaiveDate;
use recur::reports::{self, render, ReportError, ReportFormat, ReportOutput, ReportParams};
use recur::settings::Deadlines;
use recur::store::{QueryResult, Store};

use crate::common::pick;

const SEED: &str = include_str!("../fixtures/health_seed.sql");

async fn seeded() -> Store {
    let store = Store::open_in_memory().unwrap();
    store.execute_batch("health seed", SEED).await.unwrap();
    // Every seeded version its prior_target (migration 0028).
    crate::common::settle(&store).await;
    store
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn as_of(s: &str) -> ReportParams {
    ReportParams {
        as_of: Some(date(s)),
        ..Default::default()
    }
}

fn june() -> ReportParams {
    as_of("2026-06-30")
}

async fn run(store: &Store, name: &str, params: &ReportParams) -> ReportOutput {
    reports::run(store, name, params, None)
        .await
        .unwrap_or_else(|e| panic!("report {name}: {e}"))
}

async fn rows(store: &Store, name: &str, params: &ReportParams) -> QueryResult {
    match run(store, name, params).await {
        ReportOutput::Rows(r) => r,
        other => panic!("{name} gave sections: {other:?}"),
    }
}

async fn sections(store: &Store, name: &str, params: &ReportParams) -> Vec<(String, QueryResult)> {
    match run(store, name, params).await {
        ReportOutput::Sections(s) => s,
        other => panic!("{name} gave plain rows: {other:?}"),
    }
}

fn section<'a>(s: &'a [(String, QueryResult)], name: &str) -> &'a QueryResult {
    &s.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no section {name}"))
        .1
}

#[tokio::test]
async fn checkpoint_lists_linked_items_missing_owner_priority_or_target() {
    let store = seeded().await;
    let r = rows(&store, "checkpoint", &june()).await;
    assert_eq!(
        pick(&r, &["incident", "incident_closed_on", "key", "missing"]),
        [
            "acme/ops#14|2026-06-28|acme/auth#2|priority, target_date",
            "acme/ops#13|2026-06-26|acme/search#3|owner, priority, target_date",
        ]
    );
    // P1 counts as a priority: acme/auth#1 (incident acme/ops#14) is complete.
    assert!(!pick(&r, &["key"]).contains(&"acme/auth#1".to_string()));
    // Three days back reaches the 06-28 closure only.
    let three = ReportParams {
        days: Some(3),
        ..june()
    };
    let r = rows(&store, "checkpoint", &three).await;
    assert_eq!(pick(&r, &["key"]), ["acme/auth#2"]);
    let r = rows(&store, "checkpoint", &as_of("2026-06-25")).await;
    assert!(r.rows.is_empty(), "{r:?}");
}

/// Speed (issue "Speed to the limit"): lint tells "fewer than 3 words"
/// with one regex match instead of splitting every title into words and
/// counting them. The expression in lint.sql answers what the split did
/// on generated titles: words, spaces, tabs and newlines in runs, leading
/// and trailing whitespace, the empty title.
#[tokio::test]
async fn lint_tells_fewer_than_three_words_as_the_split_into_words_did() {
    let lint = include_str!("../../queries/health/lint.sql");
    let line = lint
        .lines()
        .find(|l| l.trim_end().ends_with("AS three_words,"))
        .expect("lint.sql names three_words");
    let expr = line
        .trim()
        .trim_end_matches("AS three_words,")
        .replace("o.t", "t");
    let mut next = crate::common::xorshift(0x5851_f42d_4c95_7f2d_u64);
    let pieces = ["a", "bc", "é", " ", "  ", "\t", "\n", "-"];
    let titles: Vec<String> = (0..2_000)
        .map(|_| {
            let n = next(9);
            (0..n)
                .map(|_| pieces[next(pieces.len() as u64) as usize])
                .collect::<String>()
                .replace('\'', "")
        })
        .collect();
    let values = titles
        .iter()
        .map(|t| format!("('{t}')"))
        .collect::<Vec<_>>()
        .join(", ");
    let store = Store::open_in_memory().unwrap();
    let r = store
        .query(
            "words",
            &format!(
                "SELECT count(*) FILTER (WHERE (NOT ({expr})) IS DISTINCT FROM \
                        ((CASE WHEN t = '' THEN 0 ELSE len(string_split_regex(t, '\\s+')) END) < 3)), \
                        count(*) FILTER (WHERE {expr}), count(*) FILTER (WHERE NOT ({expr})), \
                        count(*) FILTER (WHERE t <> trim(t, ' \t\n') AND {expr}) \
                 FROM (VALUES {values}) v(t)"
            ),
            vec![],
        )
        .await
        .unwrap();
    let n = |i: usize| r.rows[0][i].as_i64().unwrap();
    assert_eq!(n(0), 0, "titles told apart differently: {r:?}");
    assert!(n(1) > 200 && n(2) > 200, "{r:?}");
    assert!(n(3) > 50, "leading or trailing whitespace: {r:?}");
}

#[tokio::test]
async fn lint_gives_one_row_per_item_and_failed_rule() {
    let store = seeded().await;
    let r = rows(&store, "lint", &june()).await;
    assert_eq!(
        pick(&r, &["key", "rule", "detail"]),
        [
            "acme/auth#1|missing_rationale|no risk rationale and no linked risk",
            "acme/auth#2|vague_title|starts with \"investigate\"",
            "acme/auth#2|missing_target_date|no target date",
            "acme/auth#2|missing_rationale|no risk rationale and no linked risk",
            "acme/pay#2|vague_title|fewer than 3 words",
            "acme/pay#2|missing_target_date|no target date",
            "acme/pay#4|missing_target_date|no target date",
            "acme/pay#5|missing_service|no service",
            "acme/pay#5|missing_target_date|no target date",
            "acme/pay#6|vague_title|no action verb first (\"payment\")",
            "acme/pay#6|missing_target_date|no target date",
            "acme/search#3|missing_owner|no owner",
            "acme/search#3|missing_target_date|no target date",
        ]
    );
    // `[sdk] Upgrade provider SDK to v5`: the tag is dropped, the verb found.
    assert!(!pick(&r, &["key"]).contains(&"acme/pay#7".to_string()));
}

#[tokio::test]
async fn aging_buckets_by_priority_against_deadlines() {
    let store = seeded().await;
    let r = rows(&store, "aging", &june()).await;
    assert_eq!(
        pick(
            &r,
            &[
                "priority",
                "bucket",
                "open",
                "overdue",
                "overdue_pct",
                "small_sample",
                "deadline_days",
                "median_age_days",
                "p90_age_days"
            ]
        ),
        [
            // acme/pay#4 is 16 days old (critical: 15) and overdue; #5 is 15 and not.
            "critical|0-30|2|1|50.0|true|15|15.5|15.9",
            "critical|all|2|1|50.0|true|15|15.5|15.9",
            "high|0-30|1|0|0.0|true|30|28.0|28.0",
            // acme/search#4: target date 06-29, one day past.
            "high|31-90|1|1|100.0|true|30|45.0|45.0",
            "high|all|2|1|50.0|true|30|36.5|43.3",
            "medium|31-90|1|1|100.0|true|56|89.0|89.0",
            // acme/pay#7's target is the as-of date itself: not overdue.
            "medium|91-180|2|0|0.0|true|56|119.0|120.6",
            "medium|all|3|1|33.3|true|56|117.0|120.2",
            "low|>180|1|1|100.0|true|90|241.0|241.0",
            "low|all|1|1|100.0|true|90|241.0|241.0",
            "(none)|0-30|1|0|0.0|true|90|27.0|27.0",
            "(none)|31-90|1|0|0.0|true|90|45.0|45.0",
            "(none)|all|2|0|0.0|true|90|36.0|43.2",
            "all|all|10|4|40.0|false||45.0|133.0",
        ]
    );
}

#[tokio::test]
async fn aging_uses_the_configured_deadlines_and_the_service_filter() {
    let store = seeded().await;
    let looser = ReportParams {
        deadlines: Deadlines {
            critical: 16,
            ..Deadlines::default()
        },
        ..june()
    };
    let r = rows(&store, "aging", &looser).await;
    assert_eq!(
        pick(&r, &["priority", "bucket", "open", "overdue"])[0],
        "critical|0-30|2|0"
    );
    let payments = ReportParams {
        service: Some("payments".into()),
        ..june()
    };
    let r = rows(&store, "aging", &payments).await;
    assert_eq!(
        pick(&r, &["priority", "bucket", "open", "overdue"])
            .last()
            .unwrap(),
        "all|all|5|3"
    );
}

/// Wrong answer fixed (migration 0029): an earlier item reopened and
/// closed again between two syncs comes back closed with a new closed_at
/// in a version that starts later (its last update). An incident that
/// started in between fell in both of its closed stretches and counted the
/// item twice. Now the item's latest closure before the incident decides:
/// counted once, with that closure's lifecycle.
#[tokio::test]
async fn an_item_closed_again_between_syncs_counts_once_for_a_repeat_incident() {
    let store = Store::open_in_memory().unwrap();
    // pay#1: open, closed done on 02-01, then (reopened and) closed as
    // declined on 03-05, which the sync saw with its update of 03-10.
    // pay#2..#4: incidents of the same risk on 02-15, 03-07 and 03-20.
    store
        .execute_batch(
            "seed",
            "INSERT INTO history_closed (source, key, kind, tracking, container, state, status, risk_ref, \
               service, created_at, updated_at, closed_at, started_at, content_hash, valid_from, valid_to, \
               recorded_at) \
             SELECT 'gh', k, kind, 'tracked', 'acme/pay', state, status, 'R1', 'pay', \
                    created::TIMESTAMPTZ, f::TIMESTAMPTZ, closed::TIMESTAMPTZ, started::TIMESTAMPTZ, 'h', \
                    f::TIMESTAMPTZ, t::TIMESTAMPTZ, f::TIMESTAMPTZ \
             FROM (VALUES \
               ('acme/pay#1', 'action_item', 'open', NULL, '2026-01-01', NULL, NULL, '2026-01-01', '2026-02-01'), \
               ('acme/pay#1', 'action_item', 'closed', 'done', '2026-01-01', '2026-02-01', NULL, '2026-02-01', '2026-03-10'), \
               ('acme/pay#1', 'action_item', 'closed', 'declined', '2026-01-01', '2026-03-05', NULL, '2026-03-10', NULL), \
               ('acme/pay#2', 'incident', 'closed', NULL, '2026-02-15', '2026-02-16', '2026-02-15', '2026-02-16', NULL), \
               ('acme/pay#3', 'incident', 'closed', NULL, '2026-03-07', '2026-03-08', '2026-03-07', '2026-03-08', NULL), \
               ('acme/pay#4', 'incident', 'closed', NULL, '2026-03-20', '2026-03-21', '2026-03-20', '2026-03-21', NULL)) \
               v(k, kind, state, status, created, closed, started, f, t)",
        )
        .await
        .unwrap();
    crate::common::settle(&store).await;
    let r = rows(&store, "repeats", &as_of("2026-04-01")).await;
    assert_eq!(
        pick(&r, &["incident", "class", "prior_items", "prior_keys"]),
        [
            "acme/pay#2|repeat_despite_completion|1|[\"acme/pay#1\"]",
            "acme/pay#3|repeat_after_decline|1|[\"acme/pay#1\"]",
            "acme/pay#4|repeat_after_decline|1|[\"acme/pay#1\"]",
        ]
    );
}

/// acme/pay#1 (service pay): created 01-05, closed on 02-01, reopened and
/// closed again on 03-30, which the sync saw with its update of 04-03.
async fn closed_again_between_syncs() -> Store {
    let store = Store::open_in_memory().unwrap();
    store
        .execute_batch(
            "seed",
            "INSERT INTO history_closed (source, key, kind, tracking, container, state, status, service, \
               created_at, updated_at, closed_at, content_hash, valid_from, valid_to, recorded_at) \
             SELECT 'gh', 'acme/pay#1', 'action_item', 'tracked', 'acme/pay', state, status, 'pay', \
                    TIMESTAMPTZ '2026-01-05', f::TIMESTAMPTZ, closed::TIMESTAMPTZ, 'h', f::TIMESTAMPTZ, \
                    t::TIMESTAMPTZ, f::TIMESTAMPTZ \
             FROM (VALUES \
               ('open', NULL, NULL, '2026-01-05', '2026-02-01'), \
               ('closed', 'done', '2026-02-01', '2026-02-01', '2026-04-03'), \
               ('closed', 'done', '2026-03-30', '2026-04-03', NULL)) v(state, status, closed, f, t)",
        )
        .await
        .unwrap();
    crate::common::settle(&store).await;
    store
}

/// The trends of January to April 2026, as of 04-30.
fn january_to_april() -> ReportParams {
    ReportParams {
        as_of: Some(date("2026-04-30")),
        since: Some(date("2026-01-01")),
        ..Default::default()
    }
}

/// Wrong answer fixed (migration 0029), the same fault in trends flow: an
/// item closed on 02-01, reopened and closed again on 03-30, which the sync
/// saw with its update of 04-03 ([`closed_again_between_syncs`]). Its
/// first stretch ended on 04-03, after the second close: March counted two
/// closes and no reopening, and the backlog had -1 items open at its end.
/// Now the first stretch ends where the second begins.
#[tokio::test]
async fn trends_flow_counts_an_item_closed_again_between_syncs_once() {
    let store = closed_again_between_syncs().await;
    let flow = &sections(&store, "trends", &january_to_april()).await[0].1;
    assert_eq!(
        pick(
            flow,
            &[
                "period_start",
                "opened",
                "closed",
                "reopened",
                "open_at_end"
            ]
        ),
        [
            "2026-01-01|1|0|0|1",
            "2026-02-01|0|1|0|0",
            "2026-03-01|0|1|1|0",
            "2026-04-01|0|0|0|0",
        ]
    );
}

/// Wrong answer fixed: trends `concentration` kept its own copy of the
/// closed stretches after migration 0029 fixed flow's, with the same fault.
/// For the item of [`closed_again_between_syncs`], March ended with -1
/// items open (service pay at -1). It reads `closed_stretches()` now, as
/// flow does, and the two agree on every period's open count.
#[tokio::test]
async fn trends_concentration_counts_an_item_closed_again_between_syncs_once() {
    let store = closed_again_between_syncs().await;
    let trends = sections(&store, "trends", &january_to_april()).await;
    let (flow, concentration) = (&trends[0].1, &trends[2].1);
    assert_eq!(
        pick(
            concentration,
            &[
                "period_start",
                "open_at_end",
                "services",
                "hhi",
                "top_service"
            ]
        ),
        [
            "2026-01-01|1|1|1.0|pay",
            "2026-02-01|0|0||",
            "2026-03-01|0|0||",
            "2026-04-01|0|0||",
        ]
    );
    assert_eq!(
        pick(concentration, &["period_start", "open_at_end"]),
        pick(flow, &["period_start", "open_at_end"])
    );
}

/// acme/{service}#{number} (service `service`): an open action item
/// created on 01-05 and labelled (tracked) on 03-10.
async fn labelled_late(store: &Store, service: &str, number: u32) {
    store
        .execute_batch(
            "seed",
            &format!(
                "INSERT INTO history_closed (source, key, kind, tracking, container, state, service, \
                   created_at, updated_at, content_hash, valid_from, valid_to, recorded_at) \
                 SELECT 'gh', 'acme/{service}#{number}', 'action_item', tracking, 'acme/{service}', \
                        'open', '{service}', TIMESTAMPTZ '2026-01-05', f::TIMESTAMPTZ, 'h', \
                        f::TIMESTAMPTZ, t::TIMESTAMPTZ, f::TIMESTAMPTZ \
                 FROM (VALUES ('untracked', '2026-01-05', '2026-03-10'), \
                              ('tracked', '2026-03-10', NULL)) v(tracking, f, t)"
            ),
        )
        .await
        .unwrap();
    crate::common::settle(store).await;
}

/// Wrong answer fixed: trends `concentration` counted an action item open
/// from its creation, while flow counts it from when it entered the
/// tracked backlog (tracked_since). acme/pay#2 was created on 01-05 and
/// labelled on 03-10: concentration had it open at the end of January
/// and February, flow not. Both count from 03-10 now.
#[tokio::test]
async fn trends_concentration_counts_an_item_labelled_late_from_its_label() {
    let store = Store::open_in_memory().unwrap();
    labelled_late(&store, "pay", 2).await;
    let trends = sections(&store, "trends", &january_to_april()).await;
    let (flow, concentration) = (&trends[0].1, &trends[2].1);
    assert_eq!(
        pick(
            concentration,
            &["period_start", "open_at_end", "top_service"]
        ),
        [
            "2026-01-01|0|",
            "2026-02-01|0|",
            "2026-03-01|1|pay",
            "2026-04-01|1|pay",
        ]
    );
    assert_eq!(
        pick(concentration, &["period_start", "open_at_end"]),
        pick(flow, &["period_start", "open_at_end"])
    );
}

/// `backlog_events` (migration 0032) is the one definition trends flow
/// and concentration read: each tracked action item's entry into the
/// backlog (from its label when it was labelled late), each close, and
/// each reopening, the stretch of an item closed again between two syncs
/// ending at its second close; only the items of the service asked for.
#[tokio::test]
async fn backlog_events_give_each_items_entry_closes_and_reopenings() {
    let store = closed_again_between_syncs().await;
    labelled_late(&store, "web", 2).await;
    let events = |service: &str| {
        format!(
            "SELECT key, service, strftime(t, '%m-%d') AS t, kind \
             FROM backlog_events(DATE '2026-04-30', {service}) ORDER BY key, t, kind"
        )
    };
    let all = store
        .query("events", &events("NULL"), vec![])
        .await
        .unwrap();
    assert_eq!(
        pick(&all, &["key", "service", "t", "kind"]),
        [
            "acme/pay#1|pay|01-05|opened",
            "acme/pay#1|pay|02-01|closed",
            "acme/pay#1|pay|03-30|closed",
            "acme/pay#1|pay|03-30|reopened",
            "acme/web#2|web|03-10|opened",
        ]
    );
    let web = store
        .query("events", &events("'web'"), vec![])
        .await
        .unwrap();
    assert_eq!(
        pick(&web, &["key", "t", "kind"]),
        ["acme/web#2|03-10|opened"]
    );
}

/// acme/pay#1 (service pay, risk R1): created 01-05, closed done on
/// 02-01. With `reclosure_seen`, the sync of 04-03 also saw that it was
/// reopened and closed again as declined on 03-30. acme/pay#9: an incident
/// of risk R1 that started on 03-31.
async fn closed_then_reclosure_seen_later(reclosure_seen: bool) -> Store {
    let store = Store::open_in_memory().unwrap();
    let (second_to, reclosure) = if reclosure_seen {
        (
            "'2026-04-03'",
            ", ('acme/pay#1', 'action_item', 'closed', 'declined', '2026-01-05', '2026-03-30', NULL, \
               '2026-04-03', NULL)",
        )
    } else {
        ("NULL", "")
    };
    store
        .execute_batch(
            "seed",
            &format!(
                "INSERT INTO history_closed (source, key, kind, tracking, container, state, status, risk_ref, \
                   service, created_at, updated_at, closed_at, started_at, content_hash, valid_from, valid_to, \
                   recorded_at) \
                 SELECT 'gh', k, kind, 'tracked', 'acme/pay', state, status, 'R1', 'pay', \
                        created::TIMESTAMPTZ, f::TIMESTAMPTZ, closed::TIMESTAMPTZ, started::TIMESTAMPTZ, 'h', \
                        f::TIMESTAMPTZ, t::TIMESTAMPTZ, f::TIMESTAMPTZ \
                 FROM (VALUES \
                   ('acme/pay#1', 'action_item', 'open', NULL, '2026-01-05', NULL, NULL, '2026-01-05', \
                    '2026-02-01'), \
                   ('acme/pay#1', 'action_item', 'closed', 'done', '2026-01-05', '2026-02-01', NULL, \
                    '2026-02-01', {second_to}), \
                   ('acme/pay#9', 'incident', 'closed', NULL, '2026-03-31', '2026-03-31', '2026-03-31', \
                    '2026-03-31', NULL){reclosure}) \
                   v(k, kind, state, status, created, closed, started, f, t)"
            ),
        )
        .await
        .unwrap();
    crate::common::settle(&store).await;
    store
}

/// Wrong answer fixed (migration 0031): the closed stretches read every
/// version ever recorded, also those recorded after the day asked for.
/// acme/pay#1 was closed on 02-01; the sync of 04-03 saw that it had been
/// reopened and closed again on 03-30 ([`closed_then_reclosure_seen_later`]).
/// The trends as of 03-31, asked again after that sync, had March count a
/// close and a reopening that nothing recorded by 03-31 showed. A report
/// for a past day must not change when items are edited later: both
/// answers are now what was recorded by the end of 03-31.
#[tokio::test]
async fn trends_as_of_a_past_day_ignore_a_reclosure_recorded_after_it() {
    let params = ReportParams {
        as_of: Some(date("2026-03-31")),
        since: Some(date("2026-01-01")),
        ..Default::default()
    };
    let mut answers = Vec::new();
    for reclosure_seen in [false, true] {
        let store = closed_then_reclosure_seen_later(reclosure_seen).await;
        let trends = sections(&store, "trends", &params).await;
        answers.push((
            pick(
                &trends[0].1,
                &[
                    "period_start",
                    "opened",
                    "closed",
                    "reopened",
                    "open_at_end",
                ],
            ),
            pick(
                &trends[2].1,
                &["period_start", "open_at_end", "top_service"],
            ),
        ));
    }
    assert_eq!(
        answers[0].0,
        [
            "2026-01-01|1|0|0|1",
            "2026-02-01|0|1|0|0",
            "2026-03-01|0|0|0|0",
        ]
    );
    assert_eq!(
        answers[1], answers[0],
        "the later sync changed the past day's trends"
    );
}

/// Wrong answer fixed (migration 0031), the same fault in repeats: the
/// incident of 03-31 repeated the failure mode of acme/pay#1, closed done
/// on 02-01 as far as anything recorded by 03-31 shows. Asked again after
/// the sync of 04-03, which saw a reclosure as declined on 03-30, the
/// repeats as of 03-31 called it a repeat after a decline. Now the answer
/// stays what was recorded by then.
#[tokio::test]
async fn repeats_as_of_a_past_day_ignore_a_reclosure_recorded_after_it() {
    let mut answers = Vec::new();
    for reclosure_seen in [false, true] {
        let store = closed_then_reclosure_seen_later(reclosure_seen).await;
        let r = rows(&store, "repeats", &as_of("2026-03-31")).await;
        answers.push(pick(
            &r,
            &["incident", "class", "prior_items", "prior_keys"],
        ));
    }
    assert_eq!(
        answers[0],
        ["acme/pay#9|repeat_despite_completion|1|[\"acme/pay#1\"]"]
    );
    assert_eq!(
        answers[1], answers[0],
        "the later sync changed the past day's repeats"
    );
}

#[tokio::test]
async fn repeats_tell_open_from_completed_earlier_items_using_history() {
    let store = seeded().await;
    let r = rows(&store, "repeats", &june()).await;
    assert_eq!(
        pick(
            &r,
            &[
                "incident",
                "started_at",
                "failure_mode",
                "class",
                "prior_items",
                "prior_open"
            ]
        ),
        [
            // acme/pay#3 is closed today and was open from 01-05 to 03-20 by its
            // dates, but history shows it closed 02-01 and reopened 03-01.
            "acme/ops#16|2026-02-15T08:00:00Z|risk acme/ops#3|repeat_despite_completion|1|0",
            // ... and reopened on 03-01, so open when this one started.
            "acme/ops#17|2026-03-10T08:00:00Z|risk acme/ops#3|repeat_while_open|1|1",
            "acme/ops#11|2026-04-01T08:00:00Z|risk acme/ops#1|repeat_while_open|2|2",
            // Its risk is written `#2`; one earlier item done, one declined.
            "acme/ops#13|2026-05-15T08:00:00Z|risk acme/ops#2|repeat_despite_completion|2|0",
            // No linked risk: the same service and theme (acme/auth#1,
            // theme abuse); acme/auth#2 (no theme, another type) is not
            // the same failure mode, and acme/ops#14 (no theme or type)
            // cannot repeat anything.
            "acme/ops#15|2026-06-20T08:00:00Z|service auth, theme abuse|repeat_while_open|1|1",
        ]
    );
    assert_eq!(
        pick(&r, &["incident", "prior_keys", "open_keys", "done_keys"]),
        [
            "acme/ops#16|[\"acme/pay#3\"]|[]|[\"acme/pay#3\"]",
            "acme/ops#17|[\"acme/pay#3\"]|[\"acme/pay#3\"]|[]",
            "acme/ops#11|[\"acme/pay#1\",\"acme/pay#8\"]|[\"acme/pay#1\",\"acme/pay#8\"]|[]",
            "acme/ops#13|[\"acme/search#1\",\"acme/search#2\"]|[]|[\"acme/search#1\"]",
            "acme/ops#15|[\"acme/auth#1\"]|[\"acme/auth#1\"]|[]",
        ]
    );
    let r = rows(&store, "repeats", &as_of("2026-05-01")).await;
    assert_eq!(
        pick(&r, &["incident"]),
        ["acme/ops#16", "acme/ops#17", "acme/ops#11"]
    );
}

/// Regression: an incident whose only earlier items were declined or
/// closed as duplicates is `repeat_after_decline`, not a repeat despite a
/// completed fix; an action item linked only through its incident belongs
/// to that incident's risk (item → incident → risk); and the look-back
/// bounds the unlinked rule.
#[tokio::test]
async fn repeat_classes_follow_the_chain_and_tell_declined_from_done() {
    let store = seeded().await;
    store
        .execute_batch(
            "extra seed",
            "INSERT INTO items BY NAME SELECT 'gh' AS source, split_part(key, '#', 1) AS container, \
               CAST(split_part(key, '#', 2) AS BIGINT) AS number, key, kind, 'tracked' AS tracking, key AS title, \
               state, status, service, incident_ref, risk_ref, theme, \
               CAST(created_at AS TIMESTAMPTZ) AS created_at, CAST(created_at AS TIMESTAMPTZ) AS updated_at, \
               CAST(closed_at AS TIMESTAMPTZ) AS closed_at, CAST(started_at AS TIMESTAMPTZ) AS started_at, \
               'x' AS content_hash, '{}' AS raw, CAST(created_at AS TIMESTAMPTZ) AS first_seen_at, \
               CAST(created_at AS TIMESTAMPTZ) AS last_synced_at \
             FROM (VALUES \
               ('acme/ops#20', 'risk', 'open', 'accepted', 'billing', NULL, NULL, NULL, '2026-01-01 12:00:00+00', NULL, NULL), \
               ('acme/ops#21', 'incident', 'closed', 'done', 'billing', NULL, 'acme/ops#20', NULL, '2026-02-01 12:00:00+00', '2026-02-02 12:00:00+00', '2026-02-01 08:00:00+00'), \
               ('acme/bill#1', 'action_item', 'closed', 'declined', 'billing', 'acme/ops#21', NULL, 'invoices', '2026-02-03 12:00:00+00', '2026-02-10 12:00:00+00', NULL), \
               ('acme/bill#2', 'action_item', 'closed', 'duplicate', 'billing', 'acme/ops#21', NULL, 'invoices', '2026-02-04 12:00:00+00', '2026-02-11 12:00:00+00', NULL), \
               ('acme/ops#22', 'incident', 'closed', 'done', 'billing', NULL, 'acme/ops#20', NULL, '2026-03-01 12:00:00+00', '2026-03-02 12:00:00+00', '2026-03-01 08:00:00+00'), \
               ('acme/ops#23', 'incident', 'closed', 'done', 'billing', NULL, NULL, 'invoices', '2026-06-01 12:00:00+00', '2026-06-02 12:00:00+00', '2026-06-01 08:00:00+00') \
             ) AS v(key, kind, state, status, service, incident_ref, risk_ref, theme, created_at, closed_at, started_at); \
             INSERT INTO history_closed BY NAME SELECT source, key, kind, tracking, container, title, state, status, \
               service, incident_ref, risk_ref, theme, created_at, updated_at, closed_at, started_at, content_hash, \
               coalesce(closed_at, updated_at) AS valid_from, NULL AS valid_to, updated_at AS recorded_at \
             FROM items WHERE key IN ('acme/ops#20', 'acme/ops#21', 'acme/bill#1', 'acme/bill#2', 'acme/ops#22', 'acme/ops#23'); \
             UPDATE items SET history_from = coalesce(closed_at, updated_at) \
             WHERE key IN ('acme/ops#20', 'acme/ops#21', 'acme/bill#1', 'acme/bill#2', 'acme/ops#22', 'acme/ops#23');",
        )
        .await
        .unwrap();
    crate::common::settle(&store).await;
    let billing = ReportParams {
        service: Some("billing".into()),
        ..june()
    };
    let r = rows(&store, "repeats", &billing).await;
    assert_eq!(
        pick(&r, &["incident", "failure_mode", "class", "prior_items", "prior_keys"]),
        [
            // acme/bill#1 and #2 follow up acme/ops#21, whose risk is
            // acme/ops#20: they belong to that failure mode.
            "acme/ops#22|risk acme/ops#20|repeat_after_decline|2|[\"acme/bill#1\",\"acme/bill#2\"]",
            // Unlinked, same service and theme, within a year.
            "acme/ops#23|service billing, theme invoices|repeat_after_decline|2|[\"acme/bill#1\",\"acme/bill#2\"]",
        ]
    );
    // A look-back of 100 days no longer reaches February's items.
    let short = ReportParams {
        repeat_lookback_days: Some(100),
        ..billing
    };
    let r = rows(&store, "repeats", &short).await;
    assert_eq!(pick(&r, &["incident"]), ["acme/ops#22"]);
}

#[tokio::test]
async fn evidence_lists_done_items_without_it() {
    let store = seeded().await;
    let r = rows(&store, "evidence", &june()).await;
    assert_eq!(
        pick(&r, &["key", "done_on", "days_to_done"]),
        ["acme/search#5|2026-06-20|31", "acme/pay#3|2026-03-20|74"]
    );
    let since = ReportParams {
        since: Some(date("2026-06-01")),
        ..june()
    };
    let r = rows(&store, "evidence", &since).await;
    assert_eq!(pick(&r, &["key"]), ["acme/search#5"]);
}

#[tokio::test]
async fn monthly_pack_has_every_section() {
    let store = seeded().await;
    let s = sections(&store, "monthly", &june()).await;
    let names: Vec<&str> = s.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "open_by_age",
            "open_by_service",
            "open_by_owner",
            "blocked",
            "due_this_month",
            "repeat_linked",
            "completed",
            "completed_summary",
            "risk_reduction",
            "completed_weighted",
            "aging_by_effect",
            "open_by_service_effect"
        ]
    );
    assert_eq!(
        pick(
            section(&s, "open_by_age"),
            &[
                "bucket",
                "open",
                "overdue",
                "overdue_pct",
                "small_sample",
                "median_age_days"
            ]
        ),
        [
            "0-30|4|1|25.0|true|21.5",
            "31-90|3|2|66.7|true|45.0",
            "91-180|2|0|0.0|true|119.0",
            ">180|1|1|100.0|true|241.0",
        ]
    );
    assert_eq!(
        pick(
            section(&s, "open_by_service"),
            &[
                "service",
                "open",
                "overdue",
                "overdue_pct",
                "small_sample",
                "median_age_days",
                "p90_age_days"
            ]
        ),
        [
            "payments|5|3|60.0|false|117.0|193.0",
            "auth|2|0|0.0|true|27.5|27.9",
            "search|2|1|50.0|true|45.0|45.0",
            "(none)|1|0|0.0|true|15.0|15.0",
        ]
    );
    assert_eq!(
        pick(
            section(&s, "open_by_owner"),
            &["team", "owner", "open", "overdue"]
        ),
        [
            "payments|alice|2|1",
            "payments|bob|2|1",
            "payments|carol|2|1",
            "identity|erin|1|0",
            "identity|frank|1|0",
            "search|(none)|1|0",
            "search|dave|1|1",
        ]
    );
    assert_eq!(
        pick(
            section(&s, "blocked"),
            &["key", "blocked_by", "age_days", "untouched_days"]
        ),
        [
            "acme/pay#6|acme/platform#9|241|211",
            "acme/pay#7|acme/platform#9|121|29",
            "acme/auth#2|(unspecified)|27|27",
        ]
    );
    assert_eq!(
        pick(
            section(&s, "due_this_month"),
            &["key", "target_date", "overdue"]
        ),
        [
            "acme/search#4|2026-06-29|true",
            "acme/pay#7|2026-06-30|false"
        ]
    );
    assert_eq!(
        pick(
            section(&s, "repeat_linked"),
            &["key", "repeat_incident", "class", "linked_by"]
        ),
        [
            "acme/pay#2|acme/ops#11|repeat_while_open|incident",
            "acme/pay#8|acme/ops#11|repeat_while_open|risk",
            "acme/search#3|acme/ops#13|repeat_despite_completion|incident",
            "acme/search#4|acme/ops#13|repeat_despite_completion|incident",
        ]
    );
    assert_eq!(
        pick(
            section(&s, "completed"),
            &["key", "done_on", "days_to_done", "has_evidence"]
        ),
        [
            "acme/search#5|2026-06-20|31|false",
            "acme/pay#9|2026-06-10|40|true"
        ]
    );
    assert_eq!(
        pick(
            section(&s, "completed_summary"),
            &[
                "completed",
                "with_evidence",
                "with_evidence_pct",
                "small_sample",
                "median_days_to_done",
                "p90_days_to_done"
            ]
        ),
        ["2|1|50.0|true|35.5|39.1"]
    );
}

#[tokio::test]
async fn quarterly_review_has_every_section() {
    let store = seeded().await;
    let s = sections(&store, "quarterly", &june()).await;
    assert_eq!(
        pick(
            section(&s, "themes"),
            &["theme", "open", "open_pct", "overdue"]
        ),
        [
            "alerting|2|20.0|1",
            "dependencies|2|20.0|0",
            "secrets|2|20.0|1",
            "(none)|1|10.0|0",
            "abuse|1|10.0|0",
            "retries|1|10.0|1",
            "runbooks|1|10.0|1",
        ]
    );
    assert_eq!(
        pick(
            section(&s, "teams"),
            &["team", "open", "overdue", "unowned"]
        ),
        ["payments|6|3|0", "identity|2|0|0", "search|2|1|1"]
    );
    // Done in the 90 days to 06-30: acme/pay#1, acme/search#5, acme/pay#9.
    assert_eq!(
        pick(
            section(&s, "completion_by_effect"),
            &[
                "effect",
                "completed",
                "completed_pct",
                "open",
                "open_pct",
                "median_days_to_done",
                "small_sample"
            ]
        ),
        [
            "prevention|1|33.3|4|40.0|109.0|true",
            "detection|0|0.0|2|20.0||true",
            "mitigation|1|33.3|2|20.0|40.0|true",
            "recovery|0|0.0|1|10.0||true",
            "learning|1|33.3|1|10.0|31.0|true",
        ]
    );
    assert_eq!(
        pick(
            section(&s, "completion_by_type"),
            &["type", "effect", "completed", "open"]
        )[..4],
        [
            "bug fix|prevention|1|0",
            "circuit breaker|mitigation|1|0",
            "documentation|learning|1|0",
            "security|prevention|0|2",
        ]
    );
    assert_eq!(
        pick(
            section(&s, "duplicates"),
            &["service", "key", "duplicate_of"]
        ),
        ["payments|acme/pay#8|acme/pay#7"]
    );
    assert_eq!(
        pick(
            section(&s, "obsolete"),
            &["key", "last_updated_on", "untouched_days"]
        ),
        ["acme/pay#6|2025-12-01|211"]
    );
}

#[tokio::test]
async fn trends_rebuild_past_months_from_history() {
    let store = seeded().await;
    let params = ReportParams {
        since: Some(date("2026-01-01")),
        ..june()
    };
    let s = sections(&store, "trends", &params).await;
    assert_eq!(
        pick(
            section(&s, "flow"),
            &[
                "period_start",
                "period_end",
                "opened",
                "closed",
                "reopened",
                "open_at_end",
                "open_change",
                "incidents",
                "closure_ratio",
                "small_sample"
            ]
        ),
        [
            "2026-01-01|2026-01-31|2|0|0|3|2|1|0.0|true",
            "2026-02-01|2026-02-28|2|1|0|4|1|2|0.5|true",
            // acme/pay#3 reopened on 03-01 and closed again on 03-20.
            "2026-03-01|2026-03-31|2|3|1|4|0|1|1.5|true",
            "2026-04-01|2026-04-30|1|0|0|5|1|1|0.0|true",
            "2026-05-01|2026-05-31|4|1|0|8|3|1|0.25|true",
            "2026-06-01|2026-06-30|4|2|0|10|2|2|0.5|true",
        ]
    );
    assert_eq!(
        pick(
            section(&s, "blockers"),
            &[
                "period_start",
                "blocked_by",
                "blocked_items",
                "blocked_pct",
                "rank"
            ]
        )[4..],
        [
            "2026-05-01|acme/platform#9|1|100.0|1",
            "2026-06-01|acme/platform#9|2|66.7|1",
            "2026-06-01|(unspecified)|1|33.3|2",
        ]
    );
    assert_eq!(
        pick(
            section(&s, "concentration"),
            &[
                "period_start",
                "open_at_end",
                "services",
                "hhi",
                "top_service",
                "top_service_pct"
            ]
        ),
        [
            "2026-01-01|3|1|1.0|payments|100.0",
            // A tie goes to the first name.
            "2026-02-01|4|2|0.5|payments|50.0",
            "2026-03-01|4|1|1.0|payments|100.0",
            "2026-04-01|5|1|1.0|payments|100.0",
            "2026-05-01|8|2|0.531|payments|62.5",
            "2026-06-01|10|4|0.34|payments|50.0",
        ]
    );
    // The same history answers for an earlier date, by week; the last
    // week is cut at the as-of date.
    let weekly = ReportParams {
        period: Some("week".into()),
        ..as_of("2026-03-10")
    };
    let s = sections(&store, "trends", &weekly).await;
    let flow = pick(
        section(&s, "flow"),
        &["period_start", "period_end", "open_at_end"],
    );
    assert_eq!(flow.len(), 12);
    assert_eq!(flow.last().unwrap(), "2026-03-09|2026-03-10|5");
}

#[tokio::test]
async fn untracked_and_future_items_appear_in_no_report() {
    let store = seeded().await;
    for info in reports::list(None).unwrap() {
        let text = if info.kind == reports::ReportKind::ReviewPack {
            recur::review::render(&store, june().as_of.unwrap(), &june(), None)
                .await
                .unwrap()
        } else {
            let out = run(&store, &info.name, &june()).await;
            let mut buf = Vec::new();
            render(&mut buf, &info.name, &out, ReportFormat::Json).unwrap();
            String::from_utf8(buf).unwrap()
        };
        for key in ["acme/pay#10\"", "acme/pay#11\""] {
            assert!(!text.contains(key), "{} mentions {key}: {text}", info.name);
        }
    }
}

#[tokio::test]
async fn json_is_an_array_or_an_object_of_arrays_with_item_keys() {
    let store = seeded().await;
    let out = run(&store, "lint", &june()).await;
    let mut buf = Vec::new();
    render(&mut buf, "lint", &out, ReportFormat::Json).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 13);
    assert_eq!(arr[0]["key"], "acme/auth#1");
    assert_eq!(arr[0]["rule"], "missing_rationale");

    let out = run(&store, "monthly", &june()).await;
    let mut buf = Vec::new();
    render(&mut buf, "monthly", &out, ReportFormat::Json).unwrap();
    let text = String::from_utf8(buf).unwrap();
    assert_eq!(text.trim_end().lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let obj = v.as_object().unwrap();
    assert_eq!(obj.keys().next().unwrap(), "open_by_age");
    assert_eq!(obj["blocked"][0]["key"], "acme/pay#6");
    assert_eq!(obj["completed_summary"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn markdown_review_document_snapshot() {
    let store = seeded().await;
    let out = run(&store, "repeats", &june()).await;
    let mut buf = Vec::new();
    render(&mut buf, "repeats", &out, ReportFormat::Md).unwrap();
    assert_eq!(
        String::from_utf8(buf).unwrap(),
        "# Repeats

| incident | title | service | started_at | failure_mode | class | prior_items | prior_open | prior_done | prior_declined | prior_keys | open_keys | done_keys | source |
| --- | --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- |
| acme/ops#16 | Cache stampede on sale day | payments | 2026-02-15T08:00:00Z | risk acme/ops#3 | repeat_despite_completion | 1 | 0 | 1 | 0 | acme/pay#3 |  | acme/pay#3 | gh |
| acme/ops#17 | Cache stampede during migration | payments | 2026-03-10T08:00:00Z | risk acme/ops#3 | repeat_while_open | 1 | 1 | 0 | 0 | acme/pay#3 | acme/pay#3 |  | gh |
| acme/ops#11 | Checkout timeouts again | payments | 2026-04-01T08:00:00Z | risk acme/ops#1 | repeat_while_open | 2 | 2 | 0 | 0 | acme/pay#1, acme/pay#8 | acme/pay#1, acme/pay#8 |  | gh |
| acme/ops#13 | Search index corrupted again | search | 2026-05-15T08:00:00Z | risk acme/ops#2 | repeat_despite_completion | 2 | 0 | 1 | 1 | acme/search#1, acme/search#2 |  | acme/search#1 | gh |
| acme/ops#15 | Login slow | auth | 2026-06-20T08:00:00Z | service auth, theme abuse | repeat_while_open | 1 | 1 | 0 | 0 | acme/auth#1 | acme/auth#1 |  | gh |
"
            // Keys and names as the Markdown escaper writes them: `#` with a
            // zero-width joiner (no issue references), `_` escaped.
            .replace('#', "#\u{200D}")
            .replace('_', "\\_")
            .replacen("#\u{200D} Repeats", "# Repeats", 1)
    );
    let out = run(&store, "monthly", &june()).await;
    let mut buf = Vec::new();
    render(&mut buf, "monthly", &out, ReportFormat::Md).unwrap();
    let md = String::from_utf8(buf).unwrap();
    assert!(
        md.starts_with("# Monthly\n\n## Open by age\n\n| bucket | open |"),
        "{md}"
    );
    assert!(
        md.contains(&"## Blocked\n\n| key | title | owner | service | status | blocked_by | age_days | untouched_days |\n| --- | --- | --- | --- | --- | --- | ---: | ---: |\n| acme/pay#6 | Payment retries are slow | alice | payments | blocked | acme/platform#9 | 241 | 211 |\n"
            .replace('#', "#\u{200D}")
            .replace('_', "\\_")
            .replace("#\u{200D}#\u{200D} Blocked", "## Blocked")),
        "{md}"
    );
}

#[tokio::test]
async fn user_reports_run_from_the_query_directory_with_the_same_parameters() {
    let store = seeded().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("open_per_team.sql"),
        "-- open_per_team: Open action items per team for one service.\n\
         -- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = all).\n\
         -- Output columns: team, open.\n\
         SELECT team, count(*) AS open FROM action_items\n\
         WHERE state = 'open' AND tracking = 'tracked' AND created_at::TIMESTAMP < ($1::DATE + 1)::TIMESTAMP\n\
           AND ($2::VARCHAR IS NULL OR service = $2)\n\
         GROUP BY team ORDER BY team\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a report").unwrap();
    let list = reports::list(Some(dir.path())).unwrap();
    let mine = list.iter().find(|r| r.name == "open_per_team").unwrap();
    assert_eq!(
        mine.description,
        "Open action items per team for one service."
    );
    assert!(mine.user);
    // The catalogue: 8 health reports, registry, movement, the review pack,
    // and the user's one.
    assert_eq!(list.len(), 15, "{list:?}");

    let params = ReportParams {
        service: Some("search".into()),
        ..june()
    };
    let out = reports::run(&store, "open_per_team", &params, Some(dir.path()))
        .await
        .unwrap();
    let ReportOutput::Rows(r) = &out else {
        panic!("{out:?}")
    };
    assert_eq!(pick(r, &["team", "open"]), ["search|2"]);
    let mut buf = Vec::new();
    render(&mut buf, "open_per_team", &out, ReportFormat::Csv).unwrap();
    assert_eq!(
        String::from_utf8(buf).unwrap().replace("\r\n", "\n"),
        "team,open\nsearch,2\n"
    );

    let err = reports::run(&store, "nope", &june(), Some(dir.path()))
        .await
        .unwrap_err();
    assert!(matches!(err, ReportError::Unknown { .. }), "{err}");
    assert!(err.is_usage());
    assert!(err.to_string().contains("open_per_team"), "{err}");

    std::fs::write(
        dir.path().join("bad.sql"),
        "-- bad: asks for a parameter recur does not have.\n-- Parameters: $1 tomorrow (DATE).\nSELECT $1::DATE",
    )
    .unwrap();
    let err = reports::run(&store, "bad", &june(), Some(dir.path()))
        .await
        .unwrap_err();
    assert!(matches!(err, ReportError::Header { .. }), "{err}");
}

/// Regression: `monthly`'s blocked section counts untouched days from the
/// last human activity (`activity_at`), not from `updated_at`, which
/// recur's own labels and comments move.
#[tokio::test]
async fn blocked_untouched_days_ignore_recurs_own_writes() {
    let store = seeded().await;
    // recur wrote a label on 06-29 (updated_at moved); nobody acted since
    // 2025-12-01.
    store
        .execute_batch(
            "recur's write",
            "UPDATE items SET updated_at = TIMESTAMPTZ '2026-06-29 12:00:00+00', \
             activity_at = TIMESTAMPTZ '2025-12-01 12:00:00+00' WHERE key = 'acme/pay#6'",
        )
        .await
        .unwrap();
    let s = sections(&store, "monthly", &june()).await;
    assert_eq!(
        pick(section(&s, "blocked"), &["key", "untouched_days"])[0],
        "acme/pay#6|211"
    );
}

/// Regression: two answers that depended on the order DuckDB met tied
/// rows. An open item linked by its risk to two repeat incidents that
/// started at the same time got either as its `repeat_incident` (now the
/// higher key, every run); and an earlier item whose closed version was
/// superseded at the same instant (done re-read as declined) lent either
/// lifecycle to the repeat's class (now the version in force: declined).
#[tokio::test]
async fn tied_repeat_incidents_and_superseded_versions_give_one_answer() {
    let store = seeded().await;
    store
        .execute_batch(
            "tied seed",
            "INSERT INTO items BY NAME SELECT 'gh' AS source, split_part(key, '#', 1) AS container, \
               CAST(split_part(key, '#', 2) AS BIGINT) AS number, key, kind, 'tracked' AS tracking, key AS title, \
               state, status, service, incident_ref, risk_ref, theme, \
               CAST(created_at AS TIMESTAMPTZ) AS created_at, CAST(created_at AS TIMESTAMPTZ) AS updated_at, \
               CAST(closed_at AS TIMESTAMPTZ) AS closed_at, CAST(started_at AS TIMESTAMPTZ) AS started_at, \
               'x' AS content_hash, '{}' AS raw, CAST(created_at AS TIMESTAMPTZ) AS first_seen_at, \
               CAST(created_at AS TIMESTAMPTZ) AS last_synced_at, \
               CAST(coalesce(closed_at, created_at) AS TIMESTAMPTZ) AS history_from \
             FROM (VALUES \
               ('acme/ops#30', 'risk', 'open', 'accepted', 'ledger', NULL, NULL, NULL, '2026-01-01 12:00:00+00', NULL, NULL), \
               ('acme/led#5', 'action_item', 'closed', 'declined', 'ledger', NULL, 'acme/ops#30', NULL, '2026-01-05 12:00:00+00', '2026-01-20 12:00:00+00', NULL), \
               ('acme/ops#31', 'incident', 'closed', 'done', 'ledger', NULL, 'acme/ops#30', NULL, '2026-03-01 12:00:00+00', '2026-03-02 12:00:00+00', '2026-03-01 08:00:00+00'), \
               ('acme/ops#32', 'incident', 'closed', 'done', 'ledger', NULL, 'acme/ops#30', NULL, '2026-03-01 12:00:00+00', '2026-03-02 12:00:00+00', '2026-03-01 08:00:00+00'), \
               ('acme/led#6', 'action_item', 'open', 'accepted', 'ledger', NULL, 'acme/ops#30', NULL, '2026-04-01 12:00:00+00', NULL, NULL) \
             ) AS v(key, kind, state, status, service, incident_ref, risk_ref, theme, created_at, closed_at, started_at); \
             INSERT INTO history_closed BY NAME SELECT source, key, kind, tracking, container, title, state, \
               CASE WHEN key = 'acme/led#5' THEN 'done' ELSE status END AS status, \
               service, incident_ref, risk_ref, theme, created_at, updated_at, closed_at, started_at, content_hash, \
               coalesce(closed_at, updated_at) AS valid_from, \
               CASE WHEN key = 'acme/led#5' THEN coalesce(closed_at, updated_at) END AS valid_to, \
               updated_at AS recorded_at \
             FROM items WHERE key IN ('acme/ops#30', 'acme/led#5', 'acme/ops#31', 'acme/ops#32', 'acme/led#6') \
             ORDER BY key; \
             INSERT INTO history_closed BY NAME SELECT source, key, kind, tracking, container, title, state, status, \
               service, incident_ref, risk_ref, theme, created_at, updated_at, closed_at, started_at, content_hash, \
               closed_at AS valid_from, NULL AS valid_to, (updated_at::TIMESTAMP + INTERVAL 30 DAY)::TIMESTAMPTZ AS recorded_at \
             FROM items WHERE key = 'acme/led#5';",
        )
        .await
        .unwrap();
    crate::common::settle(&store).await;
    let ledger = ReportParams {
        service: Some("ledger".into()),
        ..june()
    };
    let r = rows(&store, "repeats", &ledger).await;
    assert_eq!(
        pick(&r, &["incident", "class", "prior_keys"]),
        [
            "acme/ops#31|repeat_after_decline|[\"acme/led#5\"]",
            "acme/ops#32|repeat_after_decline|[\"acme/led#5\"]",
        ]
    );
    let s = sections(&store, "monthly", &ledger).await;
    assert_eq!(
        pick(
            section(&s, "repeat_linked"),
            &["key", "repeat_incident", "class", "linked_by"]
        ),
        ["acme/led#6|acme/ops#32|repeat_after_decline|risk"]
    );
}

/// Every report written as its rows are read (`recur report`,
/// `/reports/NAME.json`) is the text of the collected answer rendered
/// whole, in every format: JSON, CSV, Markdown, table.
#[tokio::test]
async fn a_streamed_report_is_the_text_of_the_collected_one() {
    let store = seeded().await;
    let dir = tempfile::tempdir().unwrap();
    // A user report whose column name repeats (JSON keeps one of each).
    std::fs::write(
        dir.path().join("twice.sql"),
        "-- twice: one column name twice.\n-- Parameters: $1 as_of (DATE).\n\
         SELECT key, title AS x, owner AS x FROM action_items\n\
         WHERE created_at::TIMESTAMP < ($1::DATE + 1)::TIMESTAMP ORDER BY key\n",
    )
    .unwrap();
    let (mut checked, mut answered) = (0, 0);
    for info in reports::list(Some(dir.path())).unwrap() {
        if info.kind == reports::ReportKind::ReviewPack {
            continue;
        }
        let name = info.name;
        let collected = reports::run(&store, &name, &june(), Some(dir.path()))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let rows = match &collected {
            ReportOutput::Rows(r) => r.rows.len(),
            ReportOutput::Sections(s) => s.iter().map(|(_, r)| r.rows.len()).sum(),
        };
        answered += usize::from(rows > 0);
        for format in [
            ReportFormat::Json,
            ReportFormat::Csv,
            ReportFormat::Md,
            ReportFormat::Table,
        ] {
            let mut whole = Vec::new();
            render(&mut whole, &name, &collected, format).unwrap();
            let out = reports::Renderer::new(Vec::new(), &name, format).unwrap();
            let streamed = reports::run_into(&store, &name, &june(), Some(dir.path()), out)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .finish()
                .unwrap();
            if format == ReportFormat::Json {
                // Against the collected values themselves, not through the
                // renderer both texts share: rows as objects, sections
                // as an object of such arrays.
                let objects = |r: &QueryResult| {
                    serde_json::Value::Array(
                        r.to_objects()
                            .into_iter()
                            .map(serde_json::Value::Object)
                            .collect(),
                    )
                };
                let expected = match &collected {
                    ReportOutput::Rows(r) => objects(r),
                    ReportOutput::Sections(s) => serde_json::Value::Object(
                        s.iter().map(|(n, r)| (n.clone(), objects(r))).collect(),
                    ),
                };
                let got: serde_json::Value = serde_json::from_slice(&streamed).unwrap();
                assert_eq!(got, expected, "{name}");
            }
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                String::from_utf8(whole).unwrap(),
                "{name} as {format:?}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 4 * 11, "{checked}");
    // Compared on answers with rows, not only on empty ones.
    assert!(answered >= 8, "{answered}");
}

/// The review pack keeps the first rows of each table and counts the rest
/// (`run_kept`): the rows kept are the answer's first ones, section by
/// section, and the counts are the whole answer's.
#[tokio::test]
async fn a_kept_report_is_the_first_rows_of_the_whole_and_counts_them_all() {
    let store = seeded().await;
    for name in ["lint", "monthly", "quarterly", "followups"] {
        let whole = run(&store, name, &june()).await;
        let asked_whole = ["open_by_service"];
        let (kept, totals) = reports::run_kept(&store, name, &june(), None, 2, &asked_whole)
            .await
            .unwrap();
        let parts = |o: &ReportOutput| match o {
            ReportOutput::Rows(r) => vec![(String::new(), r.clone())],
            ReportOutput::Sections(s) => s.clone(),
        };
        let (whole, kept) = (parts(&whole), parts(&kept));
        assert_eq!(whole.len(), kept.len(), "{name}");
        assert_eq!(totals.len(), whole.len(), "{name}");
        for (((wn, w), (kn, k)), total) in whole.iter().zip(&kept).zip(&totals) {
            assert_eq!(wn, kn, "{name}");
            assert_eq!(w.columns, k.columns, "{name} {wn}");
            assert_eq!(*total, w.rows.len(), "{name} {wn}");
            let shown = if asked_whole.contains(&wn.as_str()) {
                w.rows.len()
            } else {
                w.rows.len().min(2)
            };
            assert_eq!(k.rows[..], w.rows[..shown], "{name} {wn}");
        }
        assert!(
            totals.iter().any(|t| *t > 2),
            "{name}: some section has more rows than kept: {totals:?}"
        );
    }
    // The section asked for whole has more rows than the others keep.
    let (kept, _) = reports::run_kept(&store, "monthly", &june(), None, 2, &["open_by_service"])
        .await
        .unwrap();
    let ReportOutput::Sections(s) = kept else {
        panic!("monthly has sections")
    };
    let whole = &s.iter().find(|(n, _)| n == "open_by_service").unwrap().1;
    assert!(whole.rows.len() > 2, "{whole:?}");
}
