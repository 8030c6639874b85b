//! The `recur` binary as users run it: exit codes, messages, output formats.

use std::path::Path;
use std::process::Output;

use crate::common::*;

/// Runs the `recur` binary in `dir` with `env` added; nothing from the
/// developer's environment that recur reads (`RECUR_CONFIG`, `GH_TOKEN`,
/// `GITHUB_TOKEN`, the proxy variables) reaches it.
pub(crate) async fn recur(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_recur"));
    cmd.current_dir(dir).args(args);
    for var in [
        "RECUR_CONFIG",
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env(recur::clock::NOW_ENV, clock().now().to_rfc3339())
        .env("RECUR_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("recur runs")
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_writes_a_config_that_loads_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = recur(dir.path(), &["init"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.path().join("recur.toml")).unwrap();
    assert_eq!(written, recur::settings::EXAMPLE_CONFIG);
    let out = recur(dir.path(), &["init"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--force"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_config_exits_2_naming_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("recur.toml"),
        "[store]\npath = \"x.duckdb\"\ncolour = \"red\"\n",
    )
    .unwrap();
    let out = recur(dir.path(), &["sync"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("colour") && err.contains("recur.toml"),
        "{err}"
    );

    let out = recur(dir.path(), &["--config", "missing.toml", "status"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.toml"));

    let out = recur(dir.path(), &["frobnicate"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_query_and_status_through_the_binary_with_env_token() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let cfg = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db)
        .replace("token = \"sandbox-token\"", "token = \"wrong\"");
    std::fs::write(dir.path().join("recur.toml"), cfg).unwrap();
    // The environment wins over the file.
    let env = [("RECUR_SOURCES__SANDBOX_GH__TOKEN", "sandbox-token")];
    let out = recur(dir.path(), &["sync"], &env).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("sandbox_gh:"));

    let out = recur(
        dir.path(),
        &[
            "query",
            "--format",
            "json",
            "SELECT kind, count(*) AS n FROM items GROUP BY kind ORDER BY kind",
        ],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("exactly one JSON document on stdout");
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["kind"], "action_item");
    assert!(rows[0]["n"].as_i64().unwrap() > 0);

    // Read-only: writes are refused.
    let out = recur(dir.path(), &["query", "DELETE FROM items"], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(scalar(&db, "SELECT count(*) FROM items").await > 0);

    // status works with the sandbox gone (no network needed).
    sb.shutdown().await;
    let out = recur(dir.path(), &["status", "--format", "json"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let gh = &v["sources"][0];
    assert_eq!(gh["source"], "sandbox_gh");
    assert!(gh["items_tracked"].as_i64().unwrap() > 0);
    assert_eq!(gh["rate_limit"], 5000);
    assert!(gh["rate_limit_remaining"].as_i64().unwrap() < 5000);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("sandbox-token") && !all.contains("wrong"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_exits_1_naming_the_source_and_unknown_repo_exits_2() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let good = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db);
    std::fs::write(
        dir.path().join("recur.toml"),
        good.replace("sandbox-token", "canary-bad-token"),
    )
    .unwrap();
    let out = recur(dir.path(), &["sync"], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("sandbox_gh") && err.contains("401"), "{err}");
    assert!(
        !err.contains("canary-bad-token"),
        "the token never appears: {err}"
    );

    let repos = sb.github().repos();
    let with_unknown = good.replace(&format!("{:?}", repos[0]), "\"acme/does-not-exist\"");
    std::fs::write(dir.path().join("recur.toml"), with_unknown).unwrap();
    let out = recur(dir.path(), &["sync"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("acme/does-not-exist") && err.contains("404"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_gets_a_clear_error_and_nothing_is_lost() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let cfg = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db);
    std::fs::write(dir.path().join("recur.toml"), cfg).unwrap();
    let out = recur(dir.path(), &["sync"], &[]).await;
    assert!(out.status.success());
    let before = scalar(&db, "SELECT count(*) FROM items").await;
    // This process holds the file for writing, like a running daemon.
    let holder = recur::store::Store::open(
        &db,
        recur::store::OpenMode::ReadWrite,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    let out = recur(dir.path(), &["sync"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("in use by another process") && err.contains("t.duckdb"),
        "{err}"
    );
    assert!(err.contains("PID"), "names the holder: {err}");
    holder.close().await;
    assert_eq!(scalar(&db, "SELECT count(*) FROM items").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("junk.duckdb"),
        b"this is not a database, just text\n".repeat(200),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("recur.toml"),
        "[store]\npath = \"junk.duckdb\"\n[sources.gh]\nkind = \"github\"\napi_url = \"http://127.0.0.1:9\"\nanonymous = true\nrepos = [\"a/b\"]\nrisk_labels = [\"risk\"]\n",
    )
    .unwrap();
    let out = recur(dir.path(), &["sync"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("junk.duckdb") && err.contains("not a DuckDB database"),
        "{err}"
    );
}

/// A directory holding a `recur.toml` for `sb` (with `extra` appended) and
/// a database synced from it, as the binary's tests start.
async fn synced_dir(sb: &recur_sandbox::Sandbox, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let cfg = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db) + extra;
    std::fs::write(dir.path().join("recur.toml"), cfg).unwrap();
    let out = recur(dir.path(), &["sync"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_and_score_through_the_binary() {
    let sb = small_sandbox().await;
    let dir = synced_dir(&sb, "").await;
    let out = recur(dir.path(), &["score"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("Scored "),
        "{}",
        text(&out.stdout)
    );

    let out = recur(dir.path(), &["report", "lint", "--format", "json"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .all(|r| r["key"].is_string() && r["rule"].is_string()));

    let out = recur(dir.path(), &["report", "registry", "--format", "json"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.is_object(), "sectioned reports are one object of arrays");

    let out = recur(dir.path(), &["report", "monthly", "--format", "md"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("# "));

    let out = recur(dir.path(), &["report", "no-such-report"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no-such-report"));
}

/// `recur query` writes its answer as the rows are read (`SELECT * FROM
/// items` over a million items held as values took 5.5 GB): an answer of
/// many of DuckDB's chunks (2,048 rows) comes out whole and in order in
/// every format.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_writes_answers_of_many_chunks_whole_in_every_format() {
    let sb = small_sandbox().await;
    let dir = synced_dir(&sb, "").await;
    let sql = "SELECT i, 'row ' || i AS label FROM range(10000) t(i) ORDER BY i";

    let out = recur(dir.path(), &["query", "--format", "csv", sql], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines.len(), 10_002, "header, 10,000 rows, the end");
    assert_eq!(lines[0], "i,label");
    assert!(lines[1..10_001]
        .iter()
        .enumerate()
        .all(|(i, l)| *l == format!("{i},row {i}")));

    let out = recur(dir.path(), &["query", "--format", "json", sql], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.len(), 10_000);
    assert_eq!(
        v[9_999],
        serde_json::json!({"i": 9999, "label": "row 9999"})
    );

    let out = recur(dir.path(), &["query", sql], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with("(10000 rows)\n"));

    let out = recur(dir.path(), &["query", "SELECT nope FROM nowhere"], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("nowhere"),
        "{}",
        text(&out.stderr)
    );
}

/// Regression (streamed reports): a report whose query fails part-way,
/// after DuckDB has handed over its first rows
/// (`a_query_failing_part_way_has_handed_over_its_first_rows`), prints
/// nothing of it and leaves no file, not a truncated one nor a temporary:
/// the answer is spooled and delivered only whole. The error names the
/// report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_failing_part_way_prints_nothing_and_leaves_no_file() {
    let sb = small_sandbox().await;
    let queries = tempfile::tempdir().unwrap();
    std::fs::write(
        queries.path().join("boom.sql"),
        "-- boom: fails after many rows.\n\
         SELECT CASE WHEN i < 3000000 THEN i ELSE error('boom at ' || i) END AS n\n\
         FROM range(4000000) t(i)\n",
    )
    .unwrap();
    let extra = format!(
        "\n[queries]\ndir = {:?}\n",
        queries.path().display().to_string()
    );
    let dir = synced_dir(&sb, &extra).await;

    let target = dir.path().join("out").join("boom.json");
    std::fs::create_dir(target.parent().unwrap()).unwrap();
    let out = recur(
        dir.path(),
        &[
            "report",
            "boom",
            "--format",
            "json",
            "--output",
            target.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("boom"), "{}", text(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    for format in ["json", "csv", "md"] {
        let out = recur(dir.path(), &["report", "boom", "--format", format], &[]).await;
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(
            out.stdout.is_empty(),
            "{format}: {}",
            &text(&out.stdout)[..80.min(out.stdout.len())]
        );
    }
    let out = recur(
        dir.path(),
        &[
            "query",
            "SELECT CASE WHEN i < 3000000 THEN i ELSE error('boom') END FROM range(4000000) t(i)",
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
}

/// Issue "One clock": `recur report` and `recur writeback --dry-run` take
/// `--now`, so a review or a plan can be reproduced exactly; a real
/// write-back refuses it; a malformed one is a usage error naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn now_reproduces_a_report_and_a_dry_run_and_is_checked() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let cfg = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db);
    std::fs::write(dir.path().join("recur.toml"), cfg).unwrap();
    assert!(recur(dir.path(), &["sync"], &[]).await.status.success());
    assert!(recur(dir.path(), &["score"], &[]).await.status.success());
    let at = "2026-03-01T12:00:00Z";
    let run = |args: Vec<&'static str>| {
        let dir = dir.path().to_path_buf();
        async move { recur(&dir, &args, &[]).await }
    };
    // The same report with the same --now: the same bytes, and the day of
    // --now is the default --as-of.
    let a = run(vec!["report", "aging", "--format", "json", "--now", at]).await;
    let b = run(vec!["report", "aging", "--format", "json", "--now", at]).await;
    let c = run(vec![
        "report",
        "aging",
        "--format",
        "json",
        "--as-of",
        "2026-03-01",
    ])
    .await;
    assert!(a.status.success(), "{}", text(&a.stderr));
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stdout, c.stdout);
    // A dry run at two moments: deadlines judged by --now.
    let early = run(vec![
        "writeback",
        "--dry-run",
        "--format",
        "json",
        "--now",
        "2000-01-01T00:00:00Z",
    ])
    .await;
    assert!(early.status.success(), "{}", text(&early.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&early.stdout).unwrap();
    let overdue = plan["sources"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["operations"].as_array().unwrap().iter())
        .filter(|row| row["change"].as_str().unwrap_or("").contains("overdue"))
        .count();
    assert_eq!(overdue, 0, "nothing is overdue in the year 2000");
    // Refused without --dry-run; malformed: exit 2 naming it.
    let out = run(vec!["writeback", "--now", at]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--now"), "{}", text(&out.stderr));
    let out = run(vec!["report", "aging", "--now", "tomorrowish"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("tomorrowish"),
        "{}",
        text(&out.stderr)
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_appears_in_no_log_output_or_database_byte() {
    const CANARY: &str = "canary-Zq7-token-4412";
    let mut opts = recur_sandbox::SandboxOptions::small(3);
    opts.tokens
        .push((CANARY.to_string(), "recur-bot".to_string()));
    let sb = recur_sandbox::Sandbox::start(opts).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let cfg = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db)
        .replace("sandbox-token", CANARY);
    std::fs::write(
        dir.path().join("recur.toml"),
        format!("{cfg}\n[log]\nformat = \"json\"\n\n[writeback]\nmin_interval_ms = 0\ncreations_per_minute = 100000\ncreations_per_hour = 100000\n"),
    )
    .unwrap();
    let mut seen = String::new();
    for (args, log) in [
        (vec!["sync"], "trace"),
        (vec!["sync", "--full"], "debug"),
        (vec!["score"], "trace"),
        (vec!["writeback", "--dry-run"], "trace"),
        (vec!["writeback"], "trace"),
        (vec!["status"], "trace"),
        (vec!["query", "SELECT raw FROM items LIMIT 3"], "trace"),
        (vec!["--help"], "trace"),
    ] {
        let out = recur(dir.path(), &args, &[("RECUR_LOG", log)]).await;
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        seen.push_str(&text(&out.stdout));
        seen.push_str(&text(&out.stderr));
    }
    // Pretty logs too, at trace, for a writing command.
    let out = recur(
        dir.path(),
        &["sync", "--full"],
        &[("RECUR_LOG", "trace"), ("RECUR_LOG__FORMAT", "pretty")],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).trim_start().starts_with('{'),
        "pretty, not JSON"
    );
    seen.push_str(&text(&out.stdout));
    seen.push_str(&text(&out.stderr));
    assert!(seen.contains("Container read"), "logs were written at all");
    assert!(!seen.contains(CANARY), "the token leaked into output");
    #[cfg(unix)]
    for file in [db.clone(), dir.path().join("t.duckdb.lock")] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
        let bytes = std::fs::read(&file).unwrap();
        assert!(!bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));
    }
    let bytes = std::fs::read(&db).unwrap();
    assert!(
        !bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
        "the token is in the database file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writeback_through_the_binary_dry_run_run_failures_and_bad_settings() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let base = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db);
    let cfg = format!(
        "{base}\n[sync]\nmax_retries = 2\nbackoff_base_ms = 10\n\n[writeback]\nmin_interval_ms = 0\ncreations_per_minute = 100000\n"
    );
    std::fs::write(dir.path().join("recur.toml"), &cfg).unwrap();
    assert!(recur(dir.path(), &["sync"], &[]).await.status.success());
    assert!(recur(dir.path(), &["score"], &[]).await.status.success());

    sb.github().reset_counters();
    let out = recur(
        dir.path(),
        &["writeback", "--dry-run", "--format", "json"],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dry_run"], true);
    let rows = v["sources"][0]["operations"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["state"] == "planned"));
    assert_eq!(sb.github().total_requests(), 0, "a dry run sends nothing");

    let out = recur(dir.path(), &["writeback", "--source", "nope"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nope"), "{}", text(&out.stderr));

    // Comments fail for good (every comment request answers 502): the
    // label writes still land, and the run exits 1 with a summary.
    sb.github().push_fault(recur_sandbox::FaultRule {
        route: Some("/comments".into()),
        fault: recur_sandbox::Fault::HtmlError { status: 502 },
        times: 100_000,
    });
    let out = recur(dir.path(), &["writeback"], &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(stdout.contains(" failed, "), "{stdout}");
    assert!(
        text(&out.stderr).contains("operation(s) failed"),
        "{}",
        text(&out.stderr)
    );
    let labelled = scalar(
        &db,
        "SELECT count(*) FROM writeback_log WHERE op = 'labels' AND outcome = 'applied'",
    )
    .await;
    assert!(labelled > 0);
    sb.github().clear_faults();
    let out = recur(dir.path(), &["writeback"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stdout));
    let out = recur(dir.path(), &["writeback"], &[]).await;
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("0 planned, 0 applied"),
        "{}",
        text(&out.stdout)
    );

    // A bad prefix is a configuration error naming the key.
    std::fs::write(
        dir.path().join("recur.toml"),
        format!("{base}\n[writeback]\nlabel_prefix = \"my team:\"\n"),
    )
    .unwrap();
    let out = recur(dir.path(), &["writeback", "--dry-run"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("writeback.label_prefix"),
        "{}",
        text(&out.stderr)
    );
}

/// Every broken configuration gives exit 2 and a message naming the key or
/// the file; none panics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_of_broken_configs_each_exit_2_naming_what_is_wrong() {
    let gh = "[sources.gh]\nkind = \"github\"\napi_url = \"http://127.0.0.1:9\"\nrepos = [\"acme/x\"]\naction_item_labels = [\"pm\"]\n";
    let cases: Vec<(&str, String, &str)> = vec![
        ("unknown key", "[store]\ncolour = 1\n".into(), "colour"),
        (
            "wrong type",
            "[sync]\nper_page = \"many\"\n".into(),
            "per_page",
        ),
        ("missing token", gh.into(), "token"),
        (
            "bad URL",
            format!(
                "{}token = \"t\"\n",
                gh.replace("http://127.0.0.1:9", "not a url")
            ),
            "api_url",
        ),
        (
            "duplicate source",
            format!("{gh}token = \"t\"\n{gh}token = \"t\"\n"),
            "recur.toml",
        ),
        (
            "bad source kind",
            "[sources.gh]\nkind = \"gitlab\"\n".into(),
            "kind",
        ),
        (
            "write-back prefix with a space",
            "[writeback]\nlabel_prefix = \"my team:\"\n".into(),
            "writeback.label_prefix",
        ),
        (
            "unknown write-back flag",
            "[writeback]\nflags = [\"shiny\"]\n".into(),
            "shiny",
        ),
        (
            "bad daemon interval",
            "[daemon]\ninterval = \"soon\"\n".into(),
            "daemon.interval",
        ),
        (
            "interval and cron",
            "[daemon]\ninterval = \"1m\"\ncron = \"* * * * *\"\n".into(),
            "daemon",
        ),
        (
            "bad daemon address",
            "[daemon]\nlisten = \"everywhere\"\n".into(),
            "daemon.listen",
        ),
        (
            "negative deadline",
            "[reports.deadlines]\nhigh = -3\n".into(),
            "reports.deadlines.high",
        ),
        (
            "bad memory limit",
            "[store]\nmemory_limit = \"lots\"\n".into(),
            "store.memory_limit",
        ),
        (
            "bad log format",
            "[log]\nformat = \"xml\"\n".into(),
            "log.format",
        ),
        ("not TOML", "[store\npath = 1".into(), "recur.toml"),
    ];
    for (what, text, needle) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("recur.toml"), &text).unwrap();
        for args in [&["sync"][..], &["status"], &["daemon"]] {
            let out = recur(dir.path(), args, &[]).await;
            let err = text_of(&out);
            assert_eq!(out.status.code(), Some(2), "{what} {args:?}: {err}");
            assert!(err.contains(needle), "{what}: {needle:?} not in {err}");
            assert!(!err.contains("panicked"), "{what}: {err}");
        }
    }
    // An unreadable configuration: a directory where the file should be.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("recur.toml")).unwrap();
    let out = recur(dir.path(), &["status"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text_of(&out).contains("recur.toml"), "{}", text_of(&out));
}

fn text_of(o: &Output) -> String {
    text(&o.stderr)
}
