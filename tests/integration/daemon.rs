//! `recur daemon`: cycles against the sandbox, /healthz turning 503 while the
//! trackers fail and 200 again after, /metrics parsed by a Prometheus text
//! parser, reports over HTTP, the writer lock against a second daemon and a
//! hand-run `recur sync`, readers between cycles, and SIGTERM (also in the
//! middle of a cycle) ending in exit 0 with a database the next run resumes.

use std::path::Path;
use std::time::{Duration, Instant};

use recur::settings::Settings;
use recur_sandbox::{Fault, Sandbox};

use crate::common::*;

const REPORTS_TOKEN: &str = "test-reports-token-0123456789";

/// The daemon's configuration: `/healthz` and `/metrics` and the reports
/// (behind [`REPORTS_TOKEN`]) each on a free port the daemon picks (port 0:
/// no port is guessed, so no other process can take it first).
fn config(sb: &Sandbox, db: &Path, interval: &str) -> String {
    format!(
        "{}\n[sync]\nmax_retries = 2\nbackoff_base_ms = 10\n\n[writeback]\nmin_interval_ms = 0\ncreations_per_minute = 100000\ncreations_per_hour = 100000\n\n[daemon]\ninterval = \"{interval}\"\nlisten = \"127.0.0.1:0\"\nreports_listen = \"127.0.0.1:0\"\nreports_token = \"{REPORTS_TOKEN}\"\nwriteback = true\n",
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), db),
    )
}

/// The port of `/healthz` a daemon process logged ("Serving /healthz and
/// /metrics." with its address); the rest of its stderr is drained so the
/// pipe never fills.
async fn logged_port(child: &mut tokio::process::Child) -> u16 {
    use tokio::io::AsyncBufReadExt;
    let stderr = child.stderr.take().expect("stderr piped");
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    let port = tokio::time::timeout(Duration::from_secs(120), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("Serving /healthz") {
                let at = line.find("127.0.0.1:").expect("an address") + "127.0.0.1:".len();
                let digits: String = line[at..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                return digits.parse().expect("a port");
            }
        }
        panic!("the daemon ended without saying where it listens")
    })
    .await
    .expect("the daemon listens within two minutes");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    port
}

/// GET with the reports' bearer token.
async fn get_report(url: &str) -> Option<(u16, String)> {
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(REPORTS_TOKEN)
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    Some((status, r.text().await.ok()?))
}

async fn get(url: &str) -> Option<(u16, String)> {
    let r = reqwest::get(url).await.ok()?;
    let status = r.status().as_u16();
    Some((status, r.text().await.ok()?))
}

/// Polls `url` until it answers `status`, for up to `secs`.
async fn wait_for(url: &str, status: u16, secs: u64) -> String {
    let start = Instant::now();
    loop {
        if let Some((s, body)) = get(url).await {
            if s == status {
                return body;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "{url} did not answer {status} within {secs}s (last: {:?})",
            get(url).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A worker executable for the daemon: the shell script `text` in `dir`.
fn worker_script(dir: &Path, text: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("worker.sh");
    std::fs::write(&script, text).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// The daemon in this process with its cycles run by `script` (a wrapper
/// of recur's worker, `-q`), once it listens: the stop, its task, where it
/// listens.
async fn daemon_with_worker(
    settings: Settings,
    script: std::path::PathBuf,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<Result<(), recur::app::Error>>,
    recur::daemon::Bound,
) {
    let worker = recur::daemon::worker::Worker::new(script, vec!["-q".into()], &settings);
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let daemon = tokio::spawn(recur::daemon::run_with(
        settings,
        shutdown,
        Some(tx),
        recur::daemon::Cycles::Worker(worker),
    ));
    let bound = rx.await.expect("the daemon listens");
    (stop, daemon, bound)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycles_health_metrics_reports_and_a_clean_stop() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    let settings = Settings::from_toml(&config(&sb, &db, "1s")).unwrap();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let daemon = tokio::spawn(recur::daemon::run(settings, shutdown, Some(tx)));
    let bound = rx.await.expect("the daemon listens");
    let base = format!("http://{}", bound.ops);

    let health = wait_for(&format!("{base}/healthz"), 200, 120).await;
    let v: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["last_cycle"]["writeback"], "ok");

    // /metrics parses as Prometheus text and has the named series.
    let (status, text) = get(&format!("{base}/metrics")).await.unwrap();
    assert_eq!(status, 200);
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("parses as Prometheus text");
    let names: std::collections::BTreeSet<&str> =
        scrape.samples.iter().map(|s| s.metric.as_str()).collect();
    for series in [
        "recur_open_items",
        "recur_overdue_items",
        "recur_open_bad_minutes",
        "recur_open_budget_share",
        "recur_api_requests_total",
        "recur_sync_duration_seconds_count",
        "recur_last_sync_timestamp_seconds",
        "recur_rate_limit_remaining",
        "recur_writeback_operations_total",
        "recur_cycles_total",
        "recur_cycle_failures_total",
    ] {
        assert!(names.contains(series), "{series} missing from:\n{text}");
    }
    let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == name)
            .filter(|s| label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    };
    let open_db = scalar(
        &db,
        "SELECT count(*) FROM items WHERE tracking = 'tracked' AND state = 'open' AND kind IN ('action_item', 'risk')",
    )
    .await;
    assert_eq!(value("recur_open_items", None) as i64, open_db);
    assert!(value("recur_api_requests_total", Some(("source", "sandbox_gh"))) > 0.0);
    assert!(
        value(
            "recur_writeback_operations_total",
            Some(("outcome", "applied"))
        ) > 0.0
    );
    assert!(value("recur_open_bad_minutes", None) > 0.0);
    assert!(value("recur_last_sync_timestamp_seconds", None) > 1.7e9);

    // Reports over HTTP on their own port, with the token, the same as the
    // CLI's JSON; never on the metrics port, never without the token.
    let reports = format!("http://{}", bound.reports.expect("reports listener"));
    let (status, body) = get_report(&format!("{reports}/reports/aging.json"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(serde_json::from_str::<serde_json::Value>(&body)
        .unwrap()
        .is_array());
    let (status, _) = get_report(&format!("{reports}/reports/nope.json"))
        .await
        .unwrap();
    assert_eq!(status, 404);
    let (status, page) = get_report(&format!("{reports}/reports/review.html"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(page.matches("<svg").count(), 7, "the review pack over HTTP");
    let (status, _) = get(&format!("{reports}/reports/aging.json")).await.unwrap();
    assert_eq!(status, 401, "no token, no reports");
    let (status, _) = get(&format!("{base}/reports/aging.json")).await.unwrap();
    assert_eq!(status, 404, "reports are not on the metrics port");

    // The tracker fails: cycles fail and /healthz says so, with the reason.
    sb.github()
        .set_random_faults(1.0, vec![Fault::ServerError { status: 500 }], 1);
    // (A loaded machine may first see 503 for a slow cycle; wait for the
    // failed one.)
    let start = Instant::now();
    let body = loop {
        let body = wait_for(&format!("{base}/healthz"), 503, 60).await;
        if body.contains("failed") || start.elapsed() > Duration::from_secs(60) {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(body.contains("failed"), "{body}");
    sb.github().clear_faults();
    wait_for(&format!("{base}/healthz"), 200, 60).await;
    let (_, text) = get(&format!("{base}/metrics")).await.unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("recur_cycle_failures_total ") && !l.ends_with(" 0")),
        "{text}"
    );

    stop.send(true).unwrap();
    let r = tokio::time::timeout(Duration::from_secs(30), daemon)
        .await
        .expect("stops within seconds")
        .unwrap();
    assert!(r.is_ok(), "{r:?}");
    let statuses = query(&db, "SELECT DISTINCT status FROM cycles ORDER BY 1").await;
    let statuses: Vec<&str> = statuses.iter().map(|r| r[0].as_str().unwrap()).collect();
    assert!(
        statuses.contains(&"ok") && statuses.contains(&"failed"),
        "{statuses:?}"
    );
    sb.shutdown().await;
}

fn recur_cmd(dir: &Path, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_recur"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("RECUR_CONFIG")
        .env(recur::clock::NOW_ENV, clock().now().to_rfc3339())
        .env("RECUR_LOG", "info")
        .kill_on_drop(true);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_holds_the_writer_lock_serves_readers_and_stops_on_sigterm() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    std::fs::write(dir.path().join("recur.toml"), config(&sb, &db, "1h")).unwrap();
    let mut daemon = recur_cmd(dir.path(), &["daemon"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = daemon.id().unwrap();
    let port = logged_port(&mut daemon).await;
    wait_for(&format!("http://127.0.0.1:{port}/healthz"), 200, 120).await;

    // Writers are refused, naming the file and the daemon's pid.
    for args in [&["sync"][..], &["daemon"], &["writeback"], &["score"]] {
        let out = recur_cmd(dir.path(), args).output().await.unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("d.duckdb"), "{err}");
        assert!(err.contains(&format!("recur daemon (pid {pid})")), "{err}");
    }
    // Readers work between cycles.
    let out = recur_cmd(
        dir.path(),
        &[
            "query",
            "--format",
            "json",
            "SELECT count(*) AS n FROM cycles",
        ],
    )
    .output()
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["n"], 1);
    let out = recur_cmd(dir.path(), &["writeback", "--dry-run"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // SIGTERM: exit 0 within seconds, lock released.
    unsafe {
        libc::kill(pid as i32, libc::SIGTERM);
    }
    let status = tokio::time::timeout(Duration::from_secs(20), daemon.wait())
        .await
        .expect("exits within seconds")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let out = recur_cmd(dir.path(), &["sync"]).output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_in_the_middle_of_a_cycle_exits_0_and_the_next_start_resumes() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    std::fs::write(dir.path().join("recur.toml"), config(&sb, &db, "1h")).unwrap();
    // Slow the tracker down so the first cycle is still syncing.
    sb.github()
        .set_random_faults(1.0, vec![Fault::Stall { millis: 150 }], 3);
    let mut daemon = recur_cmd(dir.path(), &["daemon"]).spawn().unwrap();
    let pid = daemon.id().unwrap();
    let start = Instant::now();
    while sb.github().total_requests() < 5 {
        assert!(start.elapsed() < Duration::from_secs(60), "no requests");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    unsafe {
        libc::kill(pid as i32, libc::SIGTERM);
    }
    let status = tokio::time::timeout(Duration::from_secs(20), daemon.wait())
        .await
        .expect("exits within seconds")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    sb.github().clear_faults();
    let rows = query(&db, "SELECT status, sync_outcome FROM cycles").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][0], "interrupted");
    // The next start resumes and completes; the result equals a clean sync.
    let mut daemon = recur_cmd(dir.path(), &["daemon"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let port = logged_port(&mut daemon).await;
    wait_for(&format!("http://127.0.0.1:{port}/healthz"), 200, 120).await;
    unsafe {
        libc::kill(daemon.id().unwrap() as i32, libc::SIGTERM);
    }
    assert_eq!(daemon.wait().await.unwrap().code(), Some(0));
    let tracked = scalar(&db, "SELECT count(*) FROM items WHERE tracking = 'tracked'").await;
    assert_eq!(tracked as usize, expected_tracked(&sb.github()).len());
    sb.shutdown().await;
}

/// A cycle worker that dies (here SIGKILL, as the kernel's out-of-memory
/// killer would) is a failed cycle with the reason in `/healthz`, not a
/// dead daemon: the next cycle runs, succeeds, and records the failed one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_worker_that_dies_is_a_failed_cycle_and_the_daemon_lives_on() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    let settings = Settings::from_toml(&config(&sb, &db, "1s")).unwrap();
    // The worker executable: recur itself, unless the flag file exists.
    let flag = dir.path().join("die");
    let script = worker_script(
        dir.path(),
        &format!(
            "#!/bin/sh\nif [ -e '{}' ]; then kill -9 $$; fi\nexec '{}' \"$@\"\n",
            flag.display(),
            env!("CARGO_BIN_EXE_recur")
        ),
    );
    let (stop, daemon, bound) = daemon_with_worker(settings, script).await;
    let base = format!("http://{}", bound.ops);
    wait_for(&format!("{base}/healthz"), 200, 120).await;
    // Reports are answered by workers too, as in the daemon itself.
    let reports = format!("http://{}", bound.reports.expect("reports listener"));
    let (status, body) = get_report(&format!("{reports}/reports/aging.json"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(serde_json::from_str::<serde_json::Value>(&body)
        .unwrap()
        .is_array());
    let (status, body) = get_report(&format!("{reports}/reports/nope.json"))
        .await
        .unwrap();
    assert_eq!(status, 404, "{body}");
    let (status, page) = get_report(&format!("{reports}/reports/review.html"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        page.matches("<svg").count(),
        7,
        "the review pack from a worker"
    );

    std::fs::write(&flag, "").unwrap();
    // (A loaded machine may first see 503 for a late cycle; wait for the
    // failed one.)
    let start = Instant::now();
    let body = loop {
        let body = wait_for(&format!("{base}/healthz"), 503, 60).await;
        if body.contains("killed by signal") || start.elapsed() > Duration::from_secs(60) {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(body.contains("killed by signal 9"), "{body}");
    let (status, body) = get_report(&format!("{reports}/reports/aging.json"))
        .await
        .unwrap();
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("killed by signal 9"), "{body}");
    // The daemon still answers, and counts the failure.
    let (_, text) = get(&format!("{base}/metrics")).await.unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("recur_cycle_failures_total ") && !l.ends_with(" 0")),
        "{text}"
    );
    std::fs::remove_file(&flag).unwrap();
    wait_for(&format!("{base}/healthz"), 200, 60).await;
    stop.send(true).unwrap();
    let r = tokio::time::timeout(Duration::from_secs(30), daemon)
        .await
        .expect("stops within seconds")
        .unwrap();
    assert!(r.is_ok(), "{r:?}");
    // The failed cycle was recorded by the one after it.
    let failed = query(
        &db,
        "SELECT error FROM cycles WHERE status = 'failed' ORDER BY cycle_id",
    )
    .await;
    assert!(!failed.is_empty(), "no failed cycle recorded");
    assert!(
        failed[0][0]
            .as_str()
            .unwrap()
            .contains("killed by signal 9"),
        "{failed:?}"
    );
    sb.shutdown().await;
}

/// The daemon's cycles run with the configuration it started with: an
/// edit of the file (here a broken one) takes effect at the next start,
/// never half-way, in a worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycles_keep_the_configuration_the_daemon_started_with() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    std::fs::write(dir.path().join("recur.toml"), config(&sb, &db, "1s")).unwrap();
    let mut daemon = recur_cmd(dir.path(), &["daemon"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let port = logged_port(&mut daemon).await;
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/healthz"), 200, 120).await;
    std::fs::write(dir.path().join("recur.toml"), "[store\nbroken = ").unwrap();
    let cycles = |text: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix("recur_cycles_total "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let (_, text) = get(&format!("{base}/metrics")).await.unwrap();
    let before = cycles(&text);
    let start = Instant::now();
    loop {
        let (_, text) = get(&format!("{base}/metrics")).await.unwrap();
        if cycles(&text) >= before + 2 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no new cycles");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Every cycle since the edit succeeded (not /healthz: on a loaded
    // machine a 1 s interval can go stale between two cycles).
    let (_, text) = get(&format!("{base}/metrics")).await.unwrap();
    assert!(
        text.lines().any(|l| l == "recur_cycle_failures_total 0"),
        "{text}"
    );
    unsafe {
        libc::kill(daemon.id().unwrap() as i32, libc::SIGTERM);
    }
    assert_eq!(daemon.wait().await.unwrap().code(), Some(0));
    sb.shutdown().await;
}

/// Regression: a cycle worker stopped by a signal of its own (not the
/// daemon's) reports an interrupted cycle; the daemon used to take any
/// interrupted cycle for its own shutdown and stop cycling, while it kept
/// serving a failing /healthz forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stopped_on_its_own_does_not_stop_the_daemons_cycles() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    let settings = Settings::from_toml(&config(&sb, &db, "1s")).unwrap();
    // With the flag file there, the worker gets a SIGTERM of its own
    // shortly after it starts ($$ is the worker once the shell execs it,
    // and its parent stays the daemon, whose writer lock it runs under).
    let flag = dir.path().join("term");
    let script = worker_script(
        dir.path(),
        &format!(
            "#!/bin/sh\nif [ -e '{flag}' ]; then\n  (sleep 0.3; kill -TERM $$) &\nfi\nexec '{exe}' \"$@\"\n",
            flag = flag.display(),
            exe = env!("CARGO_BIN_EXE_recur")
        ),
    );
    let (stop, daemon, bound) = daemon_with_worker(settings, script).await;
    let base = format!("http://{}", bound.ops);
    wait_for(&format!("{base}/healthz"), 200, 120).await;
    // Slow the tracker so the cycle is still syncing when the TERM comes.
    sb.github()
        .set_random_faults(1.0, vec![Fault::Stall { millis: 2000 }], 5);
    std::fs::write(&flag, "").unwrap();
    let start = Instant::now();
    loop {
        let body = wait_for(&format!("{base}/healthz"), 503, 60).await;
        if body.contains("interrupted") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    std::fs::remove_file(&flag).unwrap();
    sb.github().clear_faults();
    // The daemon cycles on: healthy again.
    wait_for(&format!("{base}/healthz"), 200, 60).await;
    stop.send(true).unwrap();
    let r = tokio::time::timeout(Duration::from_secs(30), daemon)
        .await
        .expect("stops within seconds")
        .unwrap();
    assert!(r.is_ok(), "{r:?}");
    sb.shutdown().await;
}

/// A worker that fails at the daemon's start before it can answer, with a
/// usage or configuration error (exit 2), makes the daemon exit 2 as well,
/// saying so; it used to be a runtime error (exit 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_exiting_2_at_start_makes_the_daemon_exit_2() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    let settings = Settings::from_toml(&config(&sb, &db, "1h")).unwrap();
    let script = worker_script(dir.path(), "#!/bin/sh\nexit 2\n");
    let worker = recur::daemon::worker::Worker::new(script, Vec::new(), &settings);
    let r = recur::daemon::run_with(
        settings,
        recur::shutdown::no_shutdown(),
        None,
        recur::daemon::Cycles::Worker(worker),
    )
    .await;
    let e = r.expect_err("the daemon does not start");
    assert_eq!(e.exit_code(), 2, "{e}");
    assert!(e.to_string().contains("exited with status 2"), "{e}");
    sb.shutdown().await;
}
