//! Risk scoring end to end: risks, incidents and action items seeded into
//! `items` → `recur score` twice → `risk_scores`, `score_history`,
//! `action_item_scores` and the registry/movement reports, against numbers
//! worked out by hand. A second scenario syncs the sandbox first.

use chrono::{DateTime, Utc};
use duckdb::types::Value;
use recur::scoring::{self, ScoringSettings};
use recur::store::{QueryResult, Store};
use serde_json::Value as J;

const BUDGET_999: f64 = 525.96;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn t(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn d(v: f64) -> Value {
    Value::Double(v)
}

fn i(v: i32) -> Value {
    Value::Int(v)
}

/// Inserts one tracked item of source `gh`; `extra` adds or overrides
/// columns. Every value is bound.
async fn insert(store: &Store, kind: &str, key: &str, extra: Vec<(&str, Value)>) {
    let container = key.split('#').next().unwrap().to_string();
    let mut cols: Vec<(&str, Value)> = vec![
        ("source", t("gh")),
        ("key", t(key)),
        ("kind", t(kind)),
        ("tracking", t("tracked")),
        ("container", t(&container)),
        ("state", t("open")),
        ("created_at", t("2025-09-01T00:00:00Z")),
        ("updated_at", t("2025-09-01T00:00:00Z")),
        ("content_hash", t("h")),
        ("raw", t("{}")),
        ("first_seen_at", t("2025-09-01T00:00:00Z")),
        ("last_synced_at", t("2025-09-01T00:00:00Z")),
    ];
    for (name, v) in extra {
        match cols.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = v,
            None => cols.push((name, v)),
        }
    }
    let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
    let marks = vec!["?"; cols.len()].join(", ");
    let sql = format!("INSERT INTO items ({}) VALUES ({marks})", names.join(", "));
    store
        .query(
            "seed item",
            &sql,
            cols.into_iter().map(|(_, v)| v).collect(),
        )
        .await
        .unwrap_or_else(|e| panic!("seeding {key}: {e}"));
    // Its one history version, as a sync that first saw it would write:
    // scoring reads the backlog as of the run's day from history.
    store
        .query(
            "seed history",
            &format!(
                "INSERT INTO history_open BY NAME SELECT * EXCLUDE ({NOT_IN_HISTORY}), \
                      updated_at AS valid_from, updated_at AS recorded_at FROM items WHERE key = ?"
            ),
            vec![t(key)],
        )
        .await
        .unwrap_or_else(|e| panic!("seeding the history of {key}: {e}"));
    store
        .query(
            "history start",
            "UPDATE items SET history_from = updated_at WHERE key = ?",
            vec![t(key)],
        )
        .await
        .unwrap();
}

/// Columns of `items` that `item_history` does not keep.
const NOT_IN_HISTORY: &str = "number, external_id, url, body, sections, links, problems, raw, \
first_seen_at, last_synced_at, activity_at, history_from";

/// Changes an item from `at` on: its current row, and a new history version
/// (the previous one closed at `at`), as a sync would.
async fn revise(store: &Store, key: &str, set: &str, at: &str) {
    store
        .query(
            "revise item",
            &format!("UPDATE items SET {set}, updated_at = ?::TIMESTAMPTZ WHERE key = ?"),
            vec![t(at), t(key)],
        )
        .await
        .unwrap();
    store
        .query(
            "close version",
            "UPDATE history_open SET valid_to = ?::TIMESTAMPTZ WHERE key = ?",
            vec![t(at), t(key)],
        )
        .await
        .unwrap();
    crate::common::settle(store).await;
    store
        .query(
            "new version",
            &format!(
                "INSERT INTO history_open BY NAME SELECT * EXCLUDE ({NOT_IN_HISTORY}), \
                      updated_at AS valid_from, updated_at AS recorded_at FROM items WHERE key = ?"
            ),
            vec![t(key)],
        )
        .await
        .unwrap();
}

async fn risk(store: &Store, n: u32, extra: Vec<(&str, Value)>) {
    insert(store, "risk", &format!("acme/payments#{n}"), extra).await;
}

/// acme/payments#1: one outage a year, found in 100 minutes and fixed at
/// once, for every user: 100 bad minutes a year.
async fn hundred_minute_risk(store: &Store) {
    risk(
        store,
        1,
        vec![
            ("occurrences_per_year", d(1.0)),
            ("ttd_minutes", d(100.0)),
            ("ttr_minutes", d(0.0)),
            ("users_pct", d(100.0)),
        ],
    )
    .await;
}

/// A scoring run at `when`, with the default settings.
async fn score_at(store: &Store, when: &str) {
    scoring::score(store, &ScoringSettings::default(), at(when))
        .await
        .unwrap();
}

/// Rows of `sql` as objects keyed by the first column.
async fn by_key(store: &Store, sql: &str) -> Vec<(String, serde_json::Map<String, J>)> {
    let r = store.query("test", sql, vec![]).await.unwrap();
    r.to_objects()
        .into_iter()
        .map(|o| (o.values().next().unwrap().as_str().unwrap().to_string(), o))
        .collect()
}

fn row<'a>(
    rows: &'a [(String, serde_json::Map<String, J>)],
    key: &str,
) -> &'a serde_json::Map<String, J> {
    &rows
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("{key} missing"))
        .1
}

fn num(o: &serde_json::Map<String, J>, col: &str) -> f64 {
    o[col]
        .as_f64()
        .unwrap_or_else(|| panic!("{col} = {:?}", o[col]))
}

#[track_caller]
fn assert_close(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "got {got}, want {want}"
    );
}

fn keys(r: &QueryResult, col: &str) -> Vec<String> {
    r.to_objects()
        .iter()
        .map(|o| o[col].as_str().unwrap_or_default().to_string())
        .collect()
}

fn section<'a>(sections: &'a [(String, QueryResult)], starts: &str) -> &'a QueryResult {
    &sections
        .iter()
        .find(|(title, _)| title.starts_with(starts))
        .unwrap_or_else(|| panic!("no section {starts}"))
        .1
}

const R3: &str = "acme/payments#3";
const R7: &str = "acme/payments#7";
const R20: &str = "acme/payments#20";
const R21: &str = "acme/payments#21";
const R22: &str = "acme/payments#22";
const R23: &str = "acme/payments#23";
const R24: &str = "acme/payments#24";
const R26: &str = "acme/payments#26";

/// The risks: the seed contrast (#3 daily degradation, #7 quarterly full
/// outage), #20 numbers only with linked incidents (the blend) and a stored
/// SLO fraction of 0.99, #21 levels only (estimated, 90 % users), #22
/// mitigated, #23 closed, #24 too few fields, #25 untracked, #26 tiny.
async fn seed(store: &Store) {
    risk(
        store,
        3,
        vec![
            (
                "title",
                t("Checkout latency degrades daily under batch load"),
            ),
            ("impact", i(2)),
            ("scope", i(3)),
            ("likelihood", i(5)),
            ("ttd_minutes", d(2.0)),
            ("ttr_minutes", d(8.0)),
            ("users_pct", d(20.0)),
            ("occurrences_per_year", d(365.0)),
            ("days_between_failures", d(1.0)),
            ("slo", d(0.999)),
            ("owner", t("alice")),
            ("status", t("open")),
            ("last_reviewed_at", t("2026-02-01")),
        ],
    )
    .await;
    risk(
        store,
        7,
        vec![
            (
                "title",
                t("Full payments outage when the primary database fails over"),
            ),
            ("impact", i(5)),
            ("scope", i(5)),
            ("likelihood", i(2)),
            ("ttd_minutes", d(30.0)),
            ("ttr_minutes", d(90.0)),
            ("users_pct", d(100.0)),
            ("occurrences_per_year", d(4.0)),
            ("days_between_failures", d(91.0)),
            ("slo", d(0.999)),
            ("owner", t("bob")),
            ("status", t("accepted")),
            ("last_reviewed_at", t("2025-10-01")),
        ],
    )
    .await;
    // Created exactly 365.25 days before the first run: T = 1 year.
    risk(
        store,
        20,
        vec![
            ("title", t("Refund queue stalls when the broker rebalances")),
            ("ttd_minutes", d(10.0)),
            ("ttr_minutes", d(50.0)),
            ("users_pct", d(50.0)),
            ("occurrences_per_year", d(2.0)),
            ("slo", d(0.99)),
            ("created_at", t("2025-02-28T18:00:00Z")),
        ],
    )
    .await;
    risk(
        store,
        21,
        vec![
            ("title", t("Region evacuation leaves sessions pinned")),
            ("impact", i(4)),
            ("scope", i(5)),
            ("likelihood", i(3)),
        ],
    )
    .await;
    for (n, extra) in [
        (22, vec![("status", t("mitigated"))]),
        (
            23,
            vec![
                ("state", t("closed")),
                ("status", t("done")),
                ("closed_at", t("2026-01-01T00:00:00Z")),
            ],
        ),
    ] {
        let mut fields = vec![
            ("impact", i(5)),
            ("scope", i(5)),
            ("likelihood", i(5)),
            ("occurrences_per_year", d(1.0)),
        ];
        fields.extend(extra);
        risk(store, n, fields).await;
    }
    risk(store, 24, vec![("impact", i(3))]).await;
    risk(
        store,
        25,
        vec![("tracking", t("untracked")), ("impact", i(5))],
    )
    .await;
    risk(
        store,
        26,
        vec![
            ("impact", i(1)),
            ("scope", i(1)),
            ("likelihood", i(1)),
            ("ttd_minutes", d(1.0)),
            ("ttr_minutes", d(2.0)),
            ("users_pct", d(1.0)),
            ("occurrences_per_year", d(0.1)),
            ("owner", t("carol")),
            ("last_reviewed_at", t("2026-01-01")),
        ],
    )
    .await;

    // Incidents of #20: three started in its window, one before it was
    // created, one after the first run (in the second run's window), one
    // untracked (never counts).
    for (n, started, reference, tracking) in [
        (30, "2025-05-01T00:00:00Z", "#20", "tracked"),
        (31, "2025-08-01T00:00:00Z", "acme/payments#20", "tracked"),
        (32, "2026-01-15T00:00:00Z", "#20", "tracked"),
        (33, "2024-12-01T00:00:00Z", "#20", "tracked"),
        (34, "2026-04-01T00:00:00Z", "#20", "tracked"),
        (35, "2025-06-01T00:00:00Z", "#20", "untracked"),
    ] {
        insert(
            store,
            "incident",
            &format!("acme/payments#{n}"),
            vec![
                ("risk_ref", t(reference)),
                ("started_at", t(started)),
                ("created_at", t(started)),
                ("tracking", t(tracking)),
            ],
        )
        .await;
    }

    // Action items: #3 has two open ones, #7 one done (closed after its
    // last review), and one item has no risk at all.
    insert(
        store,
        "action_item",
        "acme/payments#40",
        vec![("risk_ref", t("#3"))],
    )
    .await;
    insert(
        store,
        "action_item",
        "acme/payments#41",
        vec![("risk_ref", t("#3")), ("priority", t("low"))],
    )
    .await;
    insert(
        store,
        "action_item",
        "acme/payments#42",
        vec![
            ("risk_ref", t("acme/payments#7")),
            ("state", t("closed")),
            ("status", t("done")),
            ("closed_at", t("2026-01-10T00:00:00Z")),
        ],
    )
    .await;
    insert(
        store,
        "action_item",
        "acme/payments#43",
        vec![("priority", t("high"))],
    )
    .await;
}

const RUN1: &str = "2026-03-01T00:00:00Z";
const RUN2: &str = "2026-05-15T00:00:00Z";

#[tokio::test]
async fn scores_match_the_hand_computation_and_are_historised_per_run() {
    let store = Store::open_in_memory().unwrap();
    seed(&store).await;

    // ---------------------------------------------------------- run 1
    let settings = ScoringSettings::default();
    let summary = scoring::score(&store, &settings, at(RUN1)).await.unwrap();
    // Tracked risks: 3, 7, 20, 21, 22, 23, 24, 26 (25 is untracked).
    assert_eq!(summary.risks, 8, "{summary}");
    // Active: all but 22 (mitigated) and 23 (closed).
    assert_eq!(summary.active, 6, "{summary}");
    // P0: #3; P1: #7, #21; P3: #20, #26; #24 has no expected cost.
    assert_eq!(summary.priorities, [1, 2, 0, 2], "{summary}");
    assert_eq!(summary.without_cost, 1, "{summary}");
    // Inversion (band and priority two levels apart): #20 only (high, P3).
    assert_eq!(summary.inversions, 1, "{summary}");
    // Reversals among the top 10 by cost (#3 730, #7 480, #21 432, #20 75,
    // #26): #3 above #7, #21, #20 and #7 above #21 cost more but score lower.
    assert_eq!(summary.reversals, 4, "{summary}");
    assert_eq!(summary.estimated, 1, "{summary}");

    let r = store
        .query("cols", "SELECT * FROM risk_scores LIMIT 0", vec![])
        .await
        .unwrap();
    assert_eq!(
        r.columns[..16],
        [
            "source",
            "key",
            "title",
            "ordinal",
            "band",
            "per_year",
            "bad_minutes_per_year",
            "budget_share",
            "priority",
            "estimated",
            "inversion",
            "open_action_items",
            "owner",
            "status",
            "last_reviewed_at",
            "scored_at"
        ]
    );

    let rows = by_key(
        &store,
        "SELECT key, * EXCLUDE (key) FROM risk_scores ORDER BY key",
    )
    .await;
    assert_eq!(
        rows.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        [R20, R21, R22, R23, R24, R26, R3, R7]
    );

    // The daily degradation: 365 × 10 min × 20 % = 730 bad minutes, 139 % of
    // a 99.9 % budget (525.96 min): P0. Ordinal 2 × 3 × 5 = 30.
    let daily = row(&rows, R3);
    assert_eq!(daily["ordinal"], 30);
    assert_eq!(daily["band"], "high");
    assert_close(num(daily, "per_year"), 365.0);
    assert_close(num(daily, "bad_minutes_per_year"), 730.0);
    assert_close(num(daily, "budget_minutes"), BUDGET_999);
    assert_close(num(daily, "budget_share"), 730.0 / BUDGET_999);
    assert_eq!((num(daily, "budget_share") * 100.0).round(), 139.0);
    assert_eq!(daily["priority"], "P0");
    assert_eq!(daily["estimated"], false);
    assert_eq!(daily["inversion"], false, "high and P0: one level apart");
    assert_eq!(daily["inversion_reason"], J::Null);
    assert_eq!(daily["inversions"], 3, "above #7, #20 and #21 by cost only");
    assert_eq!(daily["rate_rule"], "stated");
    assert_eq!(daily["open_action_items"], 2);
    assert_eq!(daily["owner"], "alice");
    assert_eq!(daily["status"], "open");
    assert_eq!(daily["last_reviewed_at"], "2026-02-01");
    assert_eq!(daily["scored_at"], RUN1);
    assert_eq!(daily["linked_incidents"], 0);
    assert_eq!(daily["window_years"], J::Null, "no incidents: no blend");
    assert_eq!(daily["outage_multiplier_applied"], 1.0);

    // The quarterly full outage: 4 × 120 min × 100 % = 480, 91 %: P1.
    // Ordinal 5 × 5 × 2 = 50 ranks it above the degradation: both flagged.
    let outage = row(&rows, R7);
    assert_eq!(outage["ordinal"], 50);
    assert_eq!(outage["band"], "high");
    assert_close(num(outage, "per_year"), 4.0);
    assert_close(num(outage, "bad_minutes_per_year"), 480.0);
    assert_close(num(outage, "budget_share"), 480.0 / BUDGET_999);
    assert_eq!((num(outage, "budget_share") * 100.0).round(), 91.0);
    assert_eq!(outage["priority"], "P1");
    assert_eq!(outage["estimated"], false);
    assert_eq!(outage["inversion"], false);
    assert_eq!(outage["inversions"], 2, "below #3, above #21 by cost");
    assert_eq!(outage["outage_multiplier_applied"], 1.0);
    assert_eq!(outage["open_action_items"], 0);
    assert_eq!(outage["done_action_items"], 1);

    // Numbers only, three incidents in a one-year window (one before the
    // risk, one after the run and one untracked do not count; all four
    // tracked ones are linked): per_year = (3 + 2) / (1 + 1) = 2.5;
    // 2.5 × 60 min × 50 % = 75 against the stored SLO 0.99 (5259.6 min).
    // Levels from numbers: 60 min → 3, 50 % → 4, 2/yr → 3.
    let blended = row(&rows, R20);
    assert_eq!(blended["linked_incidents"], 5);
    assert_eq!(blended["incidents_in_window"], 3);
    assert_close(num(blended, "window_years"), 1.0);
    assert_close(num(blended, "per_year_stated"), 2.0);
    assert_close(num(blended, "per_year"), 2.5);
    assert_close(num(blended, "bad_minutes_per_year"), 75.0);
    assert_close(num(blended, "slo"), 0.99);
    assert_close(num(blended, "budget_minutes"), 5259.6);
    assert_close(num(blended, "budget_share"), 75.0 / 5259.6);
    assert_eq!(blended["priority"], "P3");
    assert_eq!(blended["estimated"], false);
    assert_eq!(
        (
            &blended["impact"],
            &blended["scope"],
            &blended["likelihood"]
        ),
        (&J::from(3), &J::from(4), &J::from(3))
    );
    assert_eq!(blended["levels_from_numbers"], "impact,scope,likelihood");
    assert_eq!(blended["ordinal"], 36);
    assert_eq!(blended["inversion"], true, "band high, cost P3");
    assert_eq!(
        blended["inversion_reason"],
        "matrix overstates: band high but expected cost P3"
    );
    assert_eq!(blended["inversions"], 1, "in the pair below #3");
    assert_eq!(blended["rate_rule"], "blended");

    // Levels only: 240 min (impact 4), 90 % (scope 5), 2/yr (likelihood 3)
    // from the tables: 2 × 240 × 0.9 = 432, estimated. Default SLO.
    let levels = row(&rows, R21);
    assert_eq!(levels["ordinal"], 60);
    assert_eq!(levels["band"], "high");
    assert_close(num(levels, "minutes"), 240.0);
    assert_close(num(levels, "users_pct"), 90.0);
    assert_close(num(levels, "bad_minutes_per_year"), 432.0);
    assert_close(num(levels, "slo"), 0.999);
    assert_eq!(levels["priority"], "P1");
    assert_eq!(levels["estimated"], true);
    assert_eq!(levels["derived_from_levels"], "minutes,users_pct,per_year");
    assert_eq!(levels["outage_multiplier_applied"], 1.0);

    // Inactive risks are scored but never flagged; too few fields: no cost.
    for key in [R22, R23] {
        assert_eq!(row(&rows, key)["active"], false, "{key}");
        assert_eq!(row(&rows, key)["inversion"], false, "{key}");
        assert_eq!(row(&rows, key)["band"], "critical", "{key}");
    }
    let sparse = row(&rows, R24);
    assert_eq!(sparse["ordinal"], J::Null);
    assert_eq!(sparse["priority"], J::Null);
    assert_eq!(sparse["estimated"], J::Null);
    assert_eq!(sparse["inversion"], false);
    let tiny = row(&rows, R26);
    assert_eq!(tiny["ordinal"], 1);
    assert_eq!(tiny["band"], "low");
    assert_close(num(tiny, "bad_minutes_per_year"), 0.1 * 3.0 * 0.01);
    assert_eq!(tiny["inversion"], false, "lowest in both models");

    // Action items inherit their risk's priority; one without a risk gets
    // its own priority's score.
    let items = by_key(
        &store,
        "SELECT key, priority, basis, band, ordinal, risk_key FROM action_item_scores ORDER BY key",
    )
    .await;
    let item = |k: &str| {
        let o = row(&items, k);
        (o["priority"].clone(), o["basis"].clone(), o["band"].clone())
    };
    assert_eq!(
        item("acme/payments#40"),
        ("P0".into(), "risk".into(), "high".into())
    );
    assert_eq!(
        item("acme/payments#41"),
        ("P0".into(), "risk".into(), "high".into()),
        "a risk's priority wins over the item's own"
    );
    assert_eq!(
        item("acme/payments#42"),
        ("P1".into(), "risk".into(), "high".into())
    );
    assert_eq!(
        item("acme/payments#43"),
        ("P1".into(), "own priority".into(), "high".into())
    );
    assert_eq!(row(&items, "acme/payments#43")["ordinal"], J::Null);

    // The registry: active risks, highest bad minutes first, then the
    // budget per SLO.
    let reg = recur::reports::risk::registry(&store, at(RUN1), None)
        .await
        .unwrap();
    let table = section(&reg, "Risk registry");
    assert_eq!(keys(table, "risk"), [R3, R7, R21, R20, R26, R24]);
    let first = &table.to_objects()[0];
    for (col, want) in [
        ("impact", J::from(2)),
        ("scope", J::from(3)),
        ("likelihood", J::from(5)),
        ("score", J::from(30)),
        ("owner", J::from("alice")),
        ("status", J::from("open")),
        ("last_reviewed", J::from("2026-02-01")),
    ] {
        assert_eq!(first[col], want, "{col}");
    }
    assert_close(num(first, "bad_minutes_per_year"), 730.0);
    assert_close(num(first, "budget_share"), 1.388);
    let totals = section(&reg, "Error budget").to_objects();
    assert_eq!(totals.len(), 2, "{totals:?}");
    assert_eq!(totals[0]["slo"], 0.999);
    assert_eq!(totals[0]["active_risks"], 5);
    assert_eq!(totals[0]["scored_risks"], 4);
    assert_close(num(&totals[0], "budget_minutes"), BUDGET_999);
    assert_close(num(&totals[0], "bad_minutes_per_year"), 1642.0);
    assert_close(num(&totals[0], "unallocated_budget_minutes"), -1116.0);
    assert_eq!(totals[1]["slo"], 0.99);
    assert_close(num(&totals[1], "unallocated_budget_minutes"), 5184.6);

    // Movement as of run 1.
    let mv = recur::reports::risk::movement(&store, at(RUN1), 10, None)
        .await
        .unwrap();
    assert_eq!(mv.len(), 6);
    assert_eq!(
        keys(section(&mv, "Last review older"), "risk"),
        [R7, R21, R20, R24],
        "#7 reviewed 151 days ago; the others never"
    );
    assert_eq!(keys(section(&mv, "No owner"), "risk"), [R21, R20, R24]);
    assert_eq!(
        keys(section(&mv, "No open or done"), "risk"),
        [R21, R20, R26, R24]
    );
    assert_eq!(
        keys(section(&mv, "Action items all closed"), "risk"),
        [R7],
        "its item closed on 2026-01-10, its last review was 2025-10-01"
    );

    // ---------------------------------------------------------- run 2
    // Between runs: #26's only action item is declined (it moved), and #7's
    // fields are re-estimated after its item closed (history shows TTR 120
    // until 2026-02-01).
    insert(
        &store,
        "action_item",
        "acme/payments#44",
        vec![
            ("risk_ref", t("#26")),
            ("state", t("closed")),
            ("status", t("declined")),
            ("closed_at", t("2026-04-01T00:00:00Z")),
        ],
    )
    .await;
    store
        .query(
            "replace history",
            "DELETE FROM history_open WHERE key = ?",
            vec![t(R7)],
        )
        .await
        .unwrap();
    store
        .query(
            "replace history",
            "DELETE FROM history_closed WHERE key = ?",
            vec![t(R7)],
        )
        .await
        .unwrap();
    for (valid_from, valid_to, ttr) in [
        ("2025-09-01T00:00:00Z", Some("2026-02-01T00:00:00Z"), 120.0),
        ("2026-02-01T00:00:00Z", None, 90.0),
    ] {
        store
            .query(
                "seed history",
                "INSERT INTO history_closed (source, key, kind, tracking, container, state, impact, scope, \
                 likelihood, ttd_minutes, ttr_minutes, users_pct, occurrences_per_year, days_between_failures, \
                 slo, created_at, updated_at, content_hash, valid_from, valid_to, recorded_at) \
                 SELECT source, key, kind, tracking, container, state, impact, scope, likelihood, ttd_minutes, \
                 ?, users_pct, occurrences_per_year, days_between_failures, slo, created_at, updated_at, \
                 content_hash, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ FROM items WHERE key = ?",
                vec![
                    d(ttr),
                    t(valid_from),
                    valid_to.map(t).unwrap_or(Value::Null),
                    t(valid_from),
                    t(R7),
                ],
            )
            .await
            .unwrap();
    }
    crate::common::settle(&store).await;

    // The outage multiplier: only risks with users ≥ 90 % (#7 at 100 %,
    // #21 at a derived 90 %) are weighted.
    let doubled = ScoringSettings {
        outage_multiplier: 2.0,
        ..Default::default()
    };
    let summary = scoring::score(&store, &doubled, at(RUN2)).await.unwrap();
    assert_eq!(summary.risks, 8);
    assert!(summary.run_id > 0);

    let r = store
        .query(
            "history",
            "SELECT run_id, count(*) AS risks, count(DISTINCT key) AS keys FROM score_history GROUP BY run_id ORDER BY run_id",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(r.rows.len(), 2, "two runs");
    for run in &r.rows {
        assert_eq!((&run[1], &run[2]), (&J::from(8), &J::from(8)));
    }
    let r = store
        .query(
            "per risk",
            "SELECT count(*) FROM score_history WHERE key = ?",
            vec![t(R7)],
        )
        .await
        .unwrap();
    assert_eq!(r.rows[0][0], 2, "two runs → two rows for a risk");

    let rows = by_key(
        &store,
        "SELECT key, * EXCLUDE (key) FROM risk_scores ORDER BY key",
    )
    .await;
    assert_eq!(rows.len(), 8);
    let outage = row(&rows, R7);
    assert_eq!(outage["scored_at"], RUN2);
    assert_eq!(outage["outage_multiplier_applied"], 2.0);
    assert_close(num(outage, "bad_minutes_per_year"), 960.0);
    assert_eq!(outage["priority"], "P0");
    let levels = row(&rows, R21);
    assert_eq!(levels["outage_multiplier_applied"], 2.0);
    assert_close(num(levels, "bad_minutes_per_year"), 864.0);
    let daily = row(&rows, R3);
    assert_eq!(daily["outage_multiplier_applied"], 1.0, "20 % of users");
    assert_close(num(daily, "bad_minutes_per_year"), 730.0);
    // The window now ends later: the 2026-04-01 incident counts, k = 4,
    // T = (365.25 + 75) / 365.25 years.
    let blended = row(&rows, R20);
    let window = (365.25 + 75.0) / 365.25;
    assert_eq!(blended["incidents_in_window"], 4);
    assert_close(num(blended, "window_years"), window);
    assert_close(num(blended, "per_year"), (4.0 + 2.0) / (window + 1.0));
    assert_close(
        num(blended, "bad_minutes_per_year"),
        (4.0 + 2.0) / (window + 1.0) * 60.0 * 0.5,
    );
    let r = store
        .query(
            "run 1 kept",
            "SELECT bad_minutes_per_year, outage_multiplier_applied FROM score_history h \
             JOIN score_runs USING (run_id) WHERE key = ? AND score_runs.scored_at = ?::TIMESTAMPTZ",
            vec![t(R7), t(RUN1)],
        )
        .await
        .unwrap();
    assert_eq!(r.rows, vec![vec![J::from(480.0), J::from(1.0)]]);

    // The registry as of run 1 still shows run 1.
    let reg = recur::reports::risk::registry(&store, at(RUN1), None)
        .await
        .unwrap();
    assert_eq!(
        keys(section(&reg, "Risk registry"), "risk"),
        [R3, R7, R21, R20, R26, R24]
    );
    let reg = recur::reports::risk::registry(&store, at(RUN2), None)
        .await
        .unwrap();
    assert_eq!(
        keys(section(&reg, "Risk registry"), "risk"),
        [R7, R21, R3, R20, R26, R24]
    );

    // Movement as of run 2.
    let mv = recur::reports::risk::movement(&store, at(RUN2), 2, None)
        .await
        .unwrap();
    let burn = section(&mv, "Burn-down").to_objects();
    assert_eq!(burn.len(), 2);
    assert_eq!(burn[0]["day"], "2026-03-01");
    assert_close(num(&burn[0], "open_bad_minutes_per_year"), 1717.0);
    assert_eq!(burn[0]["change"], J::Null);
    let run2_total = 730.0 + 960.0 + 864.0 + num(blended, "bad_minutes_per_year") + 0.003;
    assert!((num(&burn[1], "open_bad_minutes_per_year") - run2_total).abs() <= 0.05);
    assert!((num(&burn[1], "change") - (run2_total - 1717.003)).abs() <= 0.1);
    assert_eq!(
        (burn[1]["p0"].clone(), burn[1]["p3"].clone()),
        (J::from(3), J::from(2))
    );
    // Unmoved for more than 60 days: #3 (P0 throughout, no item closed),
    // #20 (P3 throughout), then #24 (no priority, unchanged) — cut at 2.
    // #7 and #21 moved to P0; #26 had an action item closed.
    assert_eq!(keys(section(&mv, "Not moved"), "risk"), [R3, R20]);
    let mv10 = recur::reports::risk::movement(&store, at(RUN2), 10, None)
        .await
        .unwrap();
    let unmoved = section(&mv10, "Not moved");
    assert_eq!(keys(unmoved, "risk"), [R3, R20, R24]);
    assert_eq!(
        unmoved.to_objects()[0]["unchanged_since"],
        "2025-09-01T00:00:00Z",
        "never re-estimated: unchanged since creation"
    );
    // #7 was re-estimated after its item closed; #26 was not reviewed since
    // its item was declined.
    assert_eq!(
        keys(section(&mv10, "Action items all closed"), "risk"),
        [R26]
    );
    assert_eq!(
        keys(section(&mv10, "No open or done"), "risk"),
        [R21, R20, R26, R24]
    );
    store.close().await;
}

#[tokio::test]
async fn an_empty_database_scores_nothing_and_reports_empty_sections() {
    let store = Store::open_in_memory().unwrap();
    let summary = scoring::score(&store, &ScoringSettings::default(), at(RUN1))
        .await
        .unwrap();
    assert_eq!((summary.risks, summary.active, summary.run_id), (0, 0, 1));
    let reg = recur::reports::risk::registry(&store, at(RUN1), None)
        .await
        .unwrap();
    assert!(reg.iter().all(|(_, r)| r.rows.is_empty()), "{reg:?}");
    let mv = recur::reports::risk::movement(&store, at(RUN1), 5, None)
        .await
        .unwrap();
    assert_eq!(section(&mv, "Burn-down").rows.len(), 1, "one run, no risks");
    // Before any run, nothing is shown.
    let reg = recur::reports::risk::registry(&store, at("2020-01-01T00:00:00Z"), None)
        .await
        .unwrap();
    assert!(reg.iter().all(|(_, r)| r.rows.is_empty()));
    store.close().await;
}

/// One JSON timestamp.
fn ts(v: &J) -> DateTime<Utc> {
    at(v.as_str().unwrap_or_else(|| panic!("timestamp {v:?}")))
}

#[tokio::test]
async fn sandbox_risks_sync_then_score_as_computed_by_hand() {
    let sb = crate::common::small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scores.duckdb");
    let settings = crate::common::settings(&sb, &db);
    crate::common::sync(&settings).await;
    let store = Store::open(
        &db,
        recur::store::OpenMode::ReadWrite,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    // A fixed "now": one day after the newest item, so the test does not
    // depend on the clock.
    let newest = store
        .query("newest", "SELECT max(updated_at) FROM items", vec![])
        .await
        .unwrap();
    let now = ts(&newest.rows[0][0]) + chrono::Duration::days(1);
    let summary = scoring::score(&store, &ScoringSettings::default(), now)
        .await
        .unwrap();
    assert!(summary.active >= 2, "{summary}");

    let scores = by_key(
        &store,
        "SELECT key, * EXCLUDE (key) FROM risk_scores ORDER BY key",
    )
    .await;
    let risks = by_key(
        &store,
        "SELECT key, * EXCLUDE (key) FROM risks ORDER BY key",
    )
    .await;
    let incidents = store
        .query(
            "incidents",
            "SELECT risk_ref, coalesce(started_at, created_at) FROM incidents WHERE tracking = 'tracked'",
            vec![],
        )
        .await
        .unwrap();

    // The seed contrast as stated: 365 × 10 min × 20 % = 730 and
    // 4 × 120 min × 100 % = 480 per year; ordinal 30 against 50.
    let daily = row(&scores, R3);
    let outage = row(&scores, R7);
    assert_close(num(daily, "per_year_stated"), 365.0);
    assert_close(
        num(daily, "per_year_stated") * num(daily, "minutes") * num(daily, "users_pct") / 100.0,
        730.0,
    );
    assert_close(
        num(outage, "per_year_stated") * num(outage, "minutes") * num(outage, "users_pct") / 100.0,
        480.0,
    );
    assert_eq!(
        (daily["ordinal"].clone(), outage["ordinal"].clone()),
        (J::from(30), J::from(50))
    );
    assert_close(num(daily, "slo"), 0.999);
    // And after syncing (blend included) the contrast still comes out:
    // the daily degradation outranks the outage by expected cost, the
    // ordinal model ranks them the other way, and both are flagged.
    assert!(
        num(daily, "bad_minutes_per_year") > num(outage, "bad_minutes_per_year"),
        "daily {} vs outage {}",
        num(daily, "bad_minutes_per_year"),
        num(outage, "bad_minutes_per_year")
    );
    // The pair is a reversal in the registry (both are in the top 10 of
    // this small sandbox).
    let reg = recur::reports::risk::registry(&store, now, None)
        .await
        .unwrap();
    let reversals = section(&reg, "reversals");
    let pairs: Vec<String> = reversals
        .to_objects()
        .iter()
        .map(|o| {
            format!(
                "{} > {}",
                o["risk"].as_str().unwrap(),
                o["outranks"].as_str().unwrap()
            )
        })
        .collect();
    assert!(pairs.contains(&format!("{R3} > {R7}")), "{pairs:?}");

    // Every contrast risk exactly as computed by hand from the synced rows,
    // the observed-frequency blend included where incidents are linked.
    let mut blended = 0;
    for key in [R3, R7] {
        let r = row(&risks, key);
        let s = row(&scores, key);
        let created = ts(&r["created_at"]);
        let linked: Vec<DateTime<Utc>> = incidents
            .rows
            .iter()
            .filter(|i| i[0].as_str() == Some(key))
            .map(|i| ts(&i[1]))
            .collect();
        let f0 = num(r, "occurrences_per_year");
        let per_year = if linked.is_empty() {
            f0
        } else {
            blended += 1;
            let k = linked
                .iter()
                .filter(|t| **t >= created && **t <= now)
                .count() as f64;
            let years = ((now - created).num_seconds() as f64 / (365.25 * 86400.0)).max(0.25);
            assert_close(num(s, "window_years"), years);
            assert_eq!(s["incidents_in_window"], k as i64, "{key}");
            (k + f0) / (years + 1.0)
        };
        assert_eq!(s["linked_incidents"], linked.len() as i64, "{key}");
        let minutes = num(r, "ttd_minutes") + num(r, "ttr_minutes");
        let bad = per_year * minutes * num(r, "users_pct") / 100.0;
        let share = bad / ((1.0 - num(r, "slo")) * 525_960.0);
        let priority = match share {
            x if x >= 1.0 => "P0",
            x if x >= 0.25 => "P1",
            x if x >= 0.05 => "P2",
            _ => "P3",
        };
        assert_close(num(s, "per_year"), per_year);
        assert_close(num(s, "bad_minutes_per_year"), bad);
        assert_close(num(s, "budget_share"), share);
        assert_eq!(s["priority"], priority, "{key}");
        assert_eq!(s["estimated"], false, "{key}: every number given");
        assert_eq!(s["owner"], r["owner"], "{key}");
        assert_eq!(
            s["scored_at"],
            J::from(now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        );
    }
    assert!(
        blended >= 1,
        "the sandbox links incidents to a contrast risk"
    );

    // Inversion flags: band and priority two levels apart, brute force.
    let level = |b: &J| match b.as_str() {
        Some("critical") => Some(0),
        Some("high") => Some(1),
        Some("medium") => Some(2),
        Some("low") => Some(3),
        _ => None,
    };
    let prio = |p: &J| p.as_str().and_then(|p| p[1..].parse::<i32>().ok());
    let mut flagged = 0;
    for (key, o) in &scores {
        let want = o["active"] == true
            && matches!((level(&o["band"]), prio(&o["priority"])), (Some(b), Some(p)) if (b - p).abs() >= 2);
        flagged += usize::from(want);
        assert_eq!(o["inversion"], want, "{key}");
    }
    assert_eq!(flagged, summary.inversions);
    // At most a fifth of the active risks: the flag singles risks out.
    assert!(
        flagged * 5 <= summary.active.max(1),
        "{flagged} of {}",
        summary.active
    );
    store.close().await;
}

/// Regression: an open action item does not inherit `risk-pN` (or its
/// priority) from a mitigated or retired risk; it falls back to its own.
#[tokio::test]
async fn items_of_a_mitigated_or_retired_risk_inherit_no_priority() {
    let store = Store::open_in_memory().unwrap();
    let full = vec![
        ("impact", i(5)),
        ("scope", i(5)),
        ("likelihood", i(5)),
        ("occurrences_per_year", d(52.0)),
        ("ttd_minutes", d(60.0)),
        ("ttr_minutes", d(60.0)),
        ("users_pct", d(100.0)),
    ];
    risk(&store, 1, full.clone()).await;
    let mut mitigated = full.clone();
    mitigated.push(("status", t("mitigated")));
    risk(&store, 2, mitigated).await;
    let mut retired = full;
    retired.push(("status", t("Retired")));
    risk(&store, 3, retired).await;
    for (n, r) in [(11, 1), (12, 2), (13, 3)] {
        insert(
            &store,
            "action_item",
            &format!("acme/payments#{n}"),
            vec![
                ("risk_ref", t(&format!("acme/payments#{r}"))),
                ("priority", t("low")),
            ],
        )
        .await;
    }
    scoring::score(
        &store,
        &ScoringSettings::default(),
        at("2026-06-01T00:00:00Z"),
    )
    .await
    .unwrap();
    let rows = by_key(
        &store,
        "SELECT key, priority, basis FROM action_item_scores ORDER BY key",
    )
    .await;
    assert_eq!(row(&rows, "acme/payments#11")["priority"], "P0");
    assert_eq!(row(&rows, "acme/payments#11")["basis"], "risk");
    for k in ["acme/payments#12", "acme/payments#13"] {
        assert_eq!(row(&rows, k)["priority"], "P3", "{k}");
        assert_eq!(row(&rows, k)["basis"], "own priority", "{k}");
    }
    // And the write-back flags agree: no risk-p0 label for #12 and #13.
    let flags = store
        .query(
            "flags",
            recur::queries::get("writeback/flags.sql").sql,
            vec![
                t("2026-06-01"),
                t("gh"),
                Value::BigInt(90),
                Value::BigInt(15),
                Value::BigInt(30),
                Value::BigInt(56),
                Value::BigInt(90),
            ],
        )
        .await
        .unwrap();
    let labelled: Vec<String> = flags
        .to_objects()
        .iter()
        .filter(|o| o["flag"] == "risk-priority")
        .map(|o| {
            format!(
                "{} {}",
                o["key"].as_str().unwrap(),
                o["label"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        labelled,
        ["acme/payments#1 risk-p0", "acme/payments#11 risk-p0"]
    );
}

/// Regression: `registry` and `movement` honour `--service`.
#[tokio::test]
async fn registry_and_movement_honour_the_service_filter() {
    let store = Store::open_in_memory().unwrap();
    for (n, service) in [(1, "payments"), (2, "search"), (3, "payments")] {
        risk(
            &store,
            n,
            vec![
                ("impact", i(3)),
                ("scope", i(3)),
                ("likelihood", i(3)),
                ("service", t(service)),
            ],
        )
        .await;
    }
    let now = at("2026-06-01T00:00:00Z");
    scoring::score(&store, &ScoringSettings::default(), now)
        .await
        .unwrap();
    let reg = recur::reports::risk::registry(&store, now, Some("payments"))
        .await
        .unwrap();
    let listed = keys(&reg[0].1, "risk");
    assert_eq!(listed, ["acme/payments#1", "acme/payments#3"]);
    assert_eq!(reg[1].1.to_objects()[0]["active_risks"], 2);
    let all = recur::reports::risk::registry(&store, now, None)
        .await
        .unwrap();
    assert_eq!(all[0].1.rows.len(), 3);
    let mv = recur::reports::risk::movement(&store, now, 10, Some("search"))
        .await
        .unwrap();
    let no_owner = section(&mv, "No owner");
    assert_eq!(keys(no_owner, "risk"), ["acme/payments#2"]);
    let burn = section(&mv, "Burn-down");
    assert_eq!(burn.to_objects()[0]["active_risks"], 1);
}

/// Regression: the review pack's top-risk marks compare with the scoring
/// run in force at the previous review, not with the run before the latest
/// (minutes old under the daemon).
#[tokio::test]
async fn review_marks_compare_with_the_previous_review_not_the_previous_run() {
    let store = Store::open_in_memory().unwrap();
    hundred_minute_risk(&store).await;
    score_at(&store, "2026-05-01T12:00:00Z").await;
    // The risk doubles after the last review; two runs minutes apart today.
    revise(
        &store,
        "acme/payments#1",
        "ttd_minutes = 200",
        "2026-05-20T00:00:00Z",
    )
    .await;
    score_at(&store, "2026-06-01T11:45:00Z").await;
    score_at(&store, "2026-06-01T12:00:00Z").await;
    let q = recur::queries::get("review/top_risks.sql");
    let top = store
        .query(
            q.name,
            q.sql,
            vec![
                t("2026-06-01 23:59:59+00:00"),
                t("2026-05-02 23:59:59+00:00"),
            ],
        )
        .await
        .unwrap();
    let o = &top.to_objects()[0];
    assert_close(num(o, "bad_minutes_per_year"), 200.0);
    assert_close(num(o, "previous_bad_minutes"), 100.0);
}

/// `item_risks` (followups `priority`, monthly `risk_reduction` and
/// `completed_weighted`, quarterly `promote`) gives an action item the
/// scores of the run in force at the end of each day: none before the
/// first run, each run's until the next, none once the run finds the risk
/// mitigated. Since migration 0030 it reads only that run's rows of
/// score_history (before, every run's, hashed, to keep one run's).
#[tokio::test]
async fn item_risks_reads_the_scores_of_the_run_in_force_on_each_day() {
    let store = Store::open_in_memory().unwrap();
    hundred_minute_risk(&store).await;
    insert(
        &store,
        "action_item",
        "acme/payments#11",
        vec![("risk_ref", t("acme/payments#1"))],
    )
    .await;
    score_at(&store, "2026-05-01T12:00:00Z").await;
    revise(
        &store,
        "acme/payments#1",
        "ttd_minutes = 200",
        "2026-05-20T00:00:00Z",
    )
    .await;
    // Two runs on one day: the later one is in force at its end.
    score_at(&store, "2026-06-01T11:45:00Z").await;
    revise(
        &store,
        "acme/payments#1",
        "ttd_minutes = 300",
        "2026-06-01T11:50:00Z",
    )
    .await;
    score_at(&store, "2026-06-01T12:00:00Z").await;
    revise(
        &store,
        "acme/payments#1",
        "status = 'mitigated'",
        "2026-06-10T00:00:00Z",
    )
    .await;
    score_at(&store, "2026-06-15T12:00:00Z").await;
    let mut seen = Vec::new();
    for day in [
        "2026-04-30",
        "2026-05-15",
        "2026-05-31",
        "2026-06-01",
        "2026-06-14",
        "2026-06-20",
    ] {
        let r = store
            .query(
                "item_risks",
                "SELECT risk_minutes, risk_priority FROM item_risks(?::DATE) WHERE key = 'acme/payments#11'",
                vec![t(day)],
            )
            .await
            .unwrap();
        assert_eq!(r.rows.len(), 1, "{day}: one row for the item");
        let priority = r.rows[0][1].as_str().unwrap_or("null");
        seen.push(format!("{day} {} {priority}", r.rows[0][0]));
    }
    assert_eq!(
        seen,
        [
            "2026-04-30 null null",
            // 100 and 300 bad minutes against a budget of 525.96 (99.9 %).
            "2026-05-15 100.0 P2",
            "2026-05-31 100.0 P2",
            "2026-06-01 300.0 P1",
            "2026-06-14 300.0 P1",
            "2026-06-20 null null",
        ]
    );
}
