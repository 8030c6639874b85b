//! The dashboard and the alert rules against the real thing: Debian's
//! Prometheus scrapes a daemon that ran a cycle on the sandbox, loads
//! `config/prometheus/alerts.yml`, and answers every panel expression of
//! `config/grafana/recur.json` and every rule expression through its HTTP
//! API; `promtool` checks the rules file and a scrape.
//!
//! Needs `prometheus` and `promtool` (Debian's `prometheus` package; `.ci/run`
//! installs it). Without them the test fails and says so: a test that
//! passes without a Prometheus would claim what it never checked.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use recur::settings::Settings;
use recur_sandbox::Sandbox;
use serde_json::Value;

use crate::common::*;

const INSTALL: &str = "run .ci/run once (it installs Debian's `prometheus` package, \
                       which ships both `prometheus` and `promtool`)";

/// Dashboard variables and what the test puts in their place. `$window` is
/// short because the test's Prometheus holds seconds of data, not hours: a
/// minute still spans several 1 s scrapes, which `increase` and `delta`
/// need. A variable not listed here fails the test (see `substitute`).
const VARIABLES: &[(&str, &str)] = &[("$instance", ".+"), ("$window", "1m")];

/// The one finding `promtool check metrics` may report on a scrape: "bad
/// minutes" are the SLO's unit (minutes in which the service was bad, a
/// count, as error budgets are stated), not a duration to be given in
/// seconds.
const ALLOWED_LINT: &[&str] =
    &[r#"recur_open_bad_minutes use base unit "seconds" instead of "minutes""#];

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The daemon: one cycle (interval 1h), with write-back so its counters
/// have values, `/metrics` on a port the daemon picks.
fn config(sb: &Sandbox, db: &Path) -> String {
    format!(
        "{}\n[sync]\nmax_retries = 2\nbackoff_base_ms = 10\n\n[writeback]\nmin_interval_ms = 0\ncreations_per_minute = 100000\ncreations_per_hour = 100000\n\n[daemon]\ninterval = \"1h\"\nlisten = \"127.0.0.1:0\"\nwriteback = true\n",
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), db),
    )
}

/// Runs `promtool` with `args` and `stdin`: (exit code, stdout + stderr).
fn promtool(args: &[&str], stdin: &str) -> (Option<i32>, String) {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("promtool cannot be started ({e}): {INSTALL}"));
    child
        .stdin
        .take()
        .expect("stdin piped")
        .write_all(stdin.as_bytes())
        .expect("promtool reads stdin");
    let out = child.wait_with_output().expect("promtool runs");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), said)
}

/// A Prometheus server in a temporary directory, its log kept for failure
/// messages. Killed on drop.
struct Prometheus {
    child: tokio::process::Child,
    base: String,
    log: Arc<Mutex<String>>,
}

impl Prometheus {
    /// Starts Prometheus on `config` and waits for its address. It listens
    /// on port 0 (a free port chosen by the kernel, so none is guessed) and
    /// logs the bound address: `msg="Listening on" address=127.0.0.1:N`.
    async fn start(dir: &Path, config: &Path) -> Prometheus {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg("--web.listen-address=127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("prometheus cannot be started ({e}): {INSTALL}"));
        let log = Arc::new(Mutex::new(String::new()));
        let mut lines =
            tokio::io::BufReader::new(child.stderr.take().expect("stderr piped")).lines();
        let keep = log.clone();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                keep.lock().unwrap().push_str(&format!("{line}\n"));
                if line.contains("msg=\"Listening on\"") {
                    if let Some(at) = line.find("address=") {
                        let addr: String = line[at + "address=".len()..]
                            .chars()
                            .take_while(|c| !c.is_whitespace())
                            .collect();
                        return Some(addr);
                    }
                }
            }
            None
        })
        .await;
        let addr = match addr {
            Ok(Some(a)) => a,
            _ => panic!(
                "prometheus did not say where it listens within 60s:\n{}",
                log.lock().unwrap()
            ),
        };
        // The rest of the log, drained so the pipe never fills.
        let keep = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                keep.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let prom = Prometheus {
            child,
            base: format!("http://{addr}"),
            log,
        };
        // Listening is not ready: the API answers 503 in plain text until
        // the storage is open and the rules are loaded.
        let start = Instant::now();
        loop {
            let ready = reqwest::get(format!("{}/-/ready", prom.base))
                .await
                .is_ok_and(|r| r.status() == 200);
            if ready {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "prometheus not ready within 60s:\n{}",
                prom.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        prom
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// GET `path` with `params`; the `data` of a successful API answer.
    async fn api(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let r = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .query(params)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}\n{}", self.log()));
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{path} {params:?}: {status} {e}: {text}"));
        assert!(
            status.is_success() && body["status"] == "success",
            "{path} {params:?}: {status} {body}"
        );
        body["data"].clone()
    }

    /// The series an instant query returns.
    async fn query(&self, expr: &str) -> Vec<Value> {
        let data = self.api("/api/v1/query", &[("query", expr)]).await;
        assert_eq!(data["resultType"], "vector", "{expr}: {data}");
        data["result"].as_array().cloned().unwrap_or_default()
    }
}

/// Every `expr` of every panel (rows' nested panels included). Each panel
/// has a grid position and, when it queries, the templated data source (so
/// the dashboard imports into any Grafana, whatever its Prometheus is
/// called).
fn panel_exprs(panels: &[Value], out: &mut Vec<(String, String)>) {
    for p in panels {
        let title = p["title"].as_str().unwrap_or_default().to_string();
        assert!(
            p["gridPos"]["w"].is_u64() && p["gridPos"]["h"].is_u64(),
            "panel {title:?}: gridPos"
        );
        if p["targets"].is_array() {
            assert_eq!(p["datasource"]["uid"], "${datasource}", "panel {title:?}");
        }
        for t in p["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"].as_str().unwrap_or_default();
            assert!(!expr.is_empty(), "panel {title:?}: a target without expr");
            out.push((title.clone(), expr.to_string()));
        }
        panel_exprs(
            p["panels"].as_array().map(Vec::as_slice).unwrap_or(&[]),
            out,
        );
    }
}

/// `expr` with the dashboard variables replaced; none may remain.
fn substitute(expr: &str) -> String {
    let mut out = expr.to_string();
    for (var, value) in VARIABLES {
        out = out.replace(var, value);
    }
    assert!(
        !out.contains('$'),
        "{expr}: a dashboard variable the test does not know; add it to VARIABLES"
    );
    out
}

/// The measured side of an alert expression: the left of its top-level
/// comparison, or the argument of `absent(...)`. Alert conditions are
/// empty while nothing is wrong, so the test asks for this part, which
/// must always have data. The rules file promises this shape; a rule of
/// another shape fails here.
fn measured(name: &str, expr: &str) -> String {
    let expr = expr.trim();
    if let Some(inner) = expr
        .strip_prefix("absent(")
        .and_then(|e| e.strip_suffix(')'))
    {
        return inner.to_string();
    }
    let bytes = expr.as_bytes();
    let (mut depth, mut quoted) = (0i32, None::<u8>);
    for (i, &b) in bytes.iter().enumerate() {
        match (quoted, b) {
            (Some(q), c) if c == q && bytes[i - 1] != b'\\' => quoted = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'' | b'`') => quoted = Some(b),
            (None, b'(' | b'[' | b'{') => depth += 1,
            (None, b')' | b']' | b'}') => depth -= 1,
            (None, b'>' | b'<' | b'=' | b'!') if depth == 0 => {
                let two = expr.get(i..i + 2).unwrap_or("");
                if [">=", "<=", "==", "!="].contains(&two) || b == b'>' || b == b'<' {
                    return expr[..i].trim().to_string();
                }
            }
            _ => {}
        }
    }
    panic!("alert {name}: {expr:?} is neither `measured <comparison> threshold` nor absent(...)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_answers_every_dashboard_panel_and_alert_rule() {
    // The rules file first: promtool's verdict needs no daemon.
    let rules_path = repo_file("config/prometheus/alerts.yml");
    let (code, said) = promtool(
        &["check", "rules", rules_path.to_str().expect("utf-8 path")],
        "",
    );
    assert_eq!(code, Some(0), "promtool check rules: {said}");
    let rules_found: usize = said
        .split("SUCCESS: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("promtool check rules said: {said}"));

    // A daemon that ran one cycle against the sandbox.
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.duckdb");
    let settings = Settings::from_toml(&config(&sb, &db)).unwrap();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let daemon = tokio::spawn(recur::daemon::run(settings, shutdown, Some(tx)));
    let ops = rx.await.expect("the daemon listens").ops;
    let start = Instant::now();
    loop {
        let ok = reqwest::get(format!("http://{ops}/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200);
        if ok {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no successful cycle in 120s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A scrape as curl gets it (no OpenMetrics in Accept: the text format)
    // passes promtool's checks, HELP for every metric included.
    let text = reqwest::get(format!("http://{ops}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (code, said) = promtool(&["check", "metrics"], &text);
    let findings: Vec<&str> = said.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!said.contains("no help text"), "promtool: {said}\n{text}");
    for f in &findings {
        assert!(
            ALLOWED_LINT.contains(f),
            "promtool check metrics: {f}\n{text}"
        );
    }
    // Exit 3 is "lint findings", 0 none; 1 would be a scrape it cannot parse.
    let expected = if findings.is_empty() { 0 } else { 3 };
    assert_eq!(code, Some(expected), "promtool check metrics: {said}");
    assert!(
        text.contains(&format!(
            "recur_build_info{{version=\"{}\",commit=\"",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    // What Prometheus asks for (OpenMetrics in its Accept) it gets.
    let open = reqwest::Client::new()
        .get(format!("http://{ops}/metrics"))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )
        .send()
        .await
        .unwrap();
    assert!(open.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    assert!(open.text().await.unwrap().ends_with("# EOF\n"));
    let families: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| l.split(' ').next().unwrap_or_default().to_string())
        .collect();

    // Prometheus: scrape every second, evaluate the rules every second.
    let prom_yml = dir.path().join("prometheus.yml");
    std::fs::write(
        &prom_yml,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {rules:?}\nscrape_configs:\n  - job_name: recur\n    static_configs:\n      - targets: [\"{ops}\"]\n",
            rules = rules_path.display().to_string(),
        ),
    )
    .unwrap();
    let prom = Prometheus::start(dir.path(), &prom_yml).await;

    // The target is up, and has been scraped often enough for `increase`
    // and `delta` (two samples at least; three to be safe).
    let start = Instant::now();
    loop {
        let targets = prom.api("/api/v1/targets", &[]).await;
        let ours = targets["activeTargets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["labels"]["instance"] == ops.to_string());
        let up = ours.is_some_and(|t| t["health"] == "up");
        let scrapes = prom
            .query("count_over_time(up{job=\"recur\"}[1m])")
            .await
            .first()
            .and_then(|s| s["value"][1].as_str().and_then(|v| v.parse::<f64>().ok()))
            .unwrap_or(0.0);
        if up && scrapes >= 3.0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the target is not up and scraped three times within 60s: {ours:?}\n{}",
            prom.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Every panel's expression returns at least one series.
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_file("config/grafana/recur.json")).unwrap(),
    )
    .expect("the dashboard is JSON");
    let mut exprs = Vec::new();
    panel_exprs(dashboard["panels"].as_array().expect("panels"), &mut exprs);
    assert!(exprs.len() >= 10, "{exprs:?}");
    let mut ids: Vec<u64> = dashboard["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["id"].as_u64().expect("a numeric panel id"))
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "panel ids are unique");
    let mut empty = Vec::new();
    for (title, expr) in &exprs {
        let q = substitute(expr);
        if prom.query(&q).await.is_empty() {
            empty.push(format!("{title}: {q}"));
        }
    }
    assert!(
        empty.is_empty(),
        "panel expressions without a series:\n{}",
        empty.join("\n")
    );
    // ... and together they show every metric the daemon exports.
    for family in &families {
        assert!(
            exprs.iter().any(|(_, e)| e.contains(family.as_str())),
            "no panel shows {family}"
        );
    }
    // The daemon picker's query (`label_values(metric, label)`) finds it.
    for var in dashboard["templating"]["list"]
        .as_array()
        .expect("templating")
    {
        if var["type"] != "query" {
            continue;
        }
        let q = var["query"].as_str().expect("a query string");
        let args = q
            .strip_prefix("label_values(")
            .and_then(|a| a.strip_suffix(')'))
            .unwrap_or_else(|| panic!("variable query {q}"));
        let (metric, label) = args.split_once(',').expect("metric, label");
        let values = prom
            .api(
                &format!("/api/v1/label/{}/values", label.trim()),
                &[("match[]", metric.trim())],
            )
            .await;
        assert!(
            values
                .as_array()
                .is_some_and(|v| v.iter().any(|x| x == &Value::from(ops.to_string()))),
            "{q}: {values}"
        );
    }

    // The rules Prometheus loaded: all of the file, each evaluated without
    // error, its measured side has data, and it is pending or firing
    // exactly when its own condition returns a series (the rules are
    // evaluated every second on data that no longer changes; `time() -`
    // moves, but by seconds against an hour's threshold).
    let wanted = [
        "RecurSyncStale",
        "RecurMetricsAbsent",
        "RecurCyclesFailing",
        "RecurRateLimitLow",
        "RecurOverdueGrowing",
        "RecurBudgetShareOverOne",
    ];
    let start = Instant::now();
    let rules = loop {
        let groups = prom.api("/api/v1/rules", &[("type", "alert")]).await;
        let rules: Vec<Value> = groups["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
            .collect();
        let evaluated = rules.len() == rules_found
            && rules
                .iter()
                .all(|r| r["health"] == "ok" && r["lastEvaluation"] != "0001-01-01T00:00:00Z");
        if evaluated {
            break rules;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{rules_found} rules were not all loaded and evaluated within 30s: {rules:?}\n{}",
            prom.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let names: Vec<&str> = rules.iter().filter_map(|r| r["name"].as_str()).collect();
    for w in wanted {
        assert!(names.contains(&w), "{w} missing from {names:?}");
    }
    for rule in &rules {
        let name = rule["name"].as_str().unwrap_or_default();
        let expr = rule["query"].as_str().expect("the rule's expression");
        assert!(
            ["critical", "warning", "info"]
                .contains(&rule["labels"]["severity"].as_str().unwrap_or("")),
            "{name}: severity {}",
            rule["labels"]["severity"]
        );
        for key in ["summary", "description"] {
            assert!(rule["annotations"][key].is_string(), "{name}: no {key}");
        }
        assert!(
            rule["duration"].as_f64().unwrap_or(0.0) > 0.0,
            "{name}: no for:"
        );
        let base = measured(name, expr);
        assert!(
            !prom.query(&base).await.is_empty(),
            "alert {name}: its measured side {base:?} has no series"
        );
        let holds = !prom.query(expr).await.is_empty();
        let state = rule["state"].as_str().unwrap_or_default();
        assert_eq!(
            holds,
            state != "inactive",
            "alert {name}: {expr:?} returns {} but the rule is {state}",
            if holds { "series" } else { "nothing" }
        );
    }
    // One rule, read against the scrape: the sandbox's risks cost more or
    // less than a whole error budget, and the alert agrees.
    let share: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("recur_open_budget_share "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no recur_open_budget_share in:\n{text}"));
    let budget = rules
        .iter()
        .find(|r| r["name"] == "RecurBudgetShareOverOne")
        .expect("the budget rule");
    assert_eq!(
        budget["state"] != "inactive",
        share > 1.0,
        "budget share {share}: {budget}"
    );

    let mut prom = prom;
    prom.child.kill().await.ok();
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(30), daemon)
        .await
        .expect("the daemon stops within seconds")
        .unwrap()
        .unwrap();
    sb.shutdown().await;
}

/// The split the rule check relies on, without a Prometheus.
#[test]
fn the_measured_side_of_an_alert_expression() {
    assert_eq!(
        measured("a", "time() - max by (source) (x{l=~\"a|b>c\"}) > 3600"),
        "time() - max by (source) (x{l=~\"a|b>c\"})"
    );
    assert_eq!(
        measured("b", "increase(f[1h]) / increase(c[1h]) >= 0.5"),
        "increase(f[1h]) / increase(c[1h])"
    );
    assert_eq!(
        measured("c", "absent(recur_build_info)"),
        "recur_build_info"
    );
    let other = std::panic::catch_unwind(|| measured("d", "rate(x[5m])"));
    assert!(
        other.is_err(),
        "an expression without a condition is refused"
    );
}
