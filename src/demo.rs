//! `recur demo`, `recur sandbox` and `recur bench`: the product run end to
//! end against the built-in loopback sandbox trackers, for people trying
//! recur and for measuring it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use recur_sandbox::{Sandbox, SandboxOptions};

use crate::app::{self, Error};
use crate::files::write_private;
use crate::output::{self, Format};
use crate::settings::Settings;
use crate::shutdown::no_shutdown;
use crate::store::{OpenMode, Store};

/// The configuration the demo writes for a sandbox at `url`.
pub fn sandbox_config(url: &str, repos: &[String], store_path: &Path) -> String {
    let repos = repos
        .iter()
        .map(|r| format!("{r:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"# Written by `recur demo`: the sandbox GitHub on loopback.
[store]
path = {store:?}

[sources.sandbox_gh]
kind = "github"
api_url = "{url}"
token = "sandbox-token"
repos = [{repos}]
action_item_labels = ["postmortem"]
incident_labels = ["incident"]
risk_labels = ["risk"]
"#,
        store = store_path.display().to_string(),
    )
}

/// A `[sources.*]` table for the sandbox Jira at `url` (Cloud or Data
/// Center flavour).
pub fn sandbox_jira_source(url: &str, projects: &[String], datacenter: bool) -> String {
    let projects = projects
        .iter()
        .map(|p| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let (name, flavor, email) = if datacenter {
        ("sandbox_jira_dc", "datacenter", String::new())
    } else {
        (
            "sandbox_jira",
            "cloud",
            "email = \"bot@acme.example\"\n".to_string(),
        )
    };
    format!(
        r#"
[sources.{name}]
kind = "jira"
api_url = "{url}"
flavor = "{flavor}"
{email}token = "sandbox-token"
projects = [{projects}]
action_item_labels = ["postmortem"]
incident_labels = ["incident"]
incident_types = ["Incident"]
risk_labels = ["risk"]
risk_types = ["Risk"]
"#
    )
}

fn demo_dir(dir: Option<&Path>) -> Result<PathBuf, Error> {
    match dir {
        Some(d) => {
            std::fs::create_dir_all(d)
                .map_err(|e| Error::Runtime(format!("cannot create {}: {e}", d.display())))?;
            Ok(d.to_path_buf())
        }
        // A fresh private directory (mkdtemp, mode 0700): a predictable
        // name in a shared /tmp could be planted in advance.
        None => tempfile::Builder::new()
            .prefix("recur-demo-")
            .tempdir()
            .map(tempfile::TempDir::keep)
            .map_err(|e| Error::Runtime(format!("cannot create a temporary directory: {e}"))),
    }
}

/// `recur demo`: sandbox → sync → score → write-back → summary.
pub async fn run(dir: Option<&Path>, serve: Option<u16>) -> Result<(), Error> {
    let dir = demo_dir(dir)?;
    let db = dir.join("recur.duckdb");
    for stale in [db.clone(), dir.join("recur.duckdb.wal")] {
        if stale.exists() {
            std::fs::remove_file(&stale)
                .map_err(|e| Error::Runtime(format!("cannot replace {}: {e}", stale.display())))?;
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Starting the sandbox GitHub and Jira (a generated organisation on loopback)..."
    )?;
    let sandbox = Sandbox::start(SandboxOptions::demo(42)).await?;
    let repos = sandbox.github().repos();
    let config_text = format!(
        "{}{}{DEMO_WRITEBACK}",
        sandbox_config(&sandbox.github_url(), &repos, &db),
        sandbox_jira_source(&sandbox.jira_url(), &sandbox.jira().projects(), false)
    );
    let config_path = dir.join("recur.toml");
    write_private(&config_path, &config_text)?;
    let settings = Settings::load(&config_path, true)?;
    // One clock for the whole demo run.
    let clock = crate::clock::Clock::start_or_now();
    writeln!(
        out,
        "Syncing {} GitHub repositories and Jira projects {} from {} ...",
        repos.len(),
        sandbox.jira().projects().join(", "),
        sandbox.github_url()
    )?;
    let started = Instant::now();
    let reports = sync_all(&settings, clock).await?;
    let elapsed = started.elapsed();
    writeln!(out, "  synced in {:.1}s", elapsed.as_secs_f64())?;
    for r in &reports {
        writeln!(
            out,
            "  {}: {} items, {} API requests, {} pull requests dropped",
            r.source, r.stats.items_seen, r.stats.api_requests, r.stats.pull_requests
        )?;
    }
    let store = Store::open(&db, OpenMode::ReadWrite, &settings.memory_limit).await?;
    let scored = crate::scoring::score_now(&store, &settings.scoring, clock.now(), false)
        .await
        .map(|(_, now)| now);
    let registry = match &scored {
        Ok(_) => {
            let params = crate::reports::ReportParams {
                now: Some(clock.now()),
                ..Default::default()
            };
            match crate::reports::run(&store, "registry", &params, None).await {
                Ok(crate::reports::ReportOutput::Sections(s)) => Ok(s),
                Ok(crate::reports::ReportOutput::Rows(r)) => Ok(vec![(String::new(), r)]),
                Err(e) => Err(Error::from(e)),
            }
        }
        Err(_) => Ok(Vec::new()),
    };
    let summary = store
        .query(
            "demo/summary.sql",
            crate::queries::get("demo/summary.sql").sql,
            vec![],
        )
        .await?;
    let oldest = store
        .query(
            "demo/oldest_open.sql",
            crate::queries::get("demo/oldest_open.sql").sql,
            vec![duckdb::types::Value::BigInt(10)],
        )
        .await?;
    let problems = store
        .query(
            "parse problems",
            "SELECT count(*) AS n FROM parse_problems",
            vec![],
        )
        .await?;
    store.close().await;
    writeln!(out, "\nItems by kind, state and status:")?;
    output::write(&mut out, &summary, Format::Table)?;
    writeln!(out, "\nOldest open items:")?;
    output::write(&mut out, &oldest, Format::Table)?;
    writeln!(out, "\n{}", scored?)?;
    let registry = registry?;
    if let Some((title, top)) = registry.first() {
        let mut top = top.clone();
        top.rows.truncate(10);
        writeln!(
            out,
            "\nRisk registry, highest exposure first ({title}, top 10):"
        )?;
        output::write(&mut out, &top, Format::Table)?;
    }
    // Where the two models disagree about what comes first: the seed's
    // contrast (a daily degradation above a rare outage) is one of these.
    if let Some((_, pairs)) = registry.iter().find(|(name, _)| name == "reversals") {
        let readings: Vec<String> = pairs
            .to_objects()
            .iter()
            .filter_map(|o| {
                o.get("reading")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .collect();
        writeln!(
            out,
            "\nReversals among the top risks by expected cost ({}; `recur report registry` lists them):",
            readings.len()
        )?;
        for r in readings.iter().take(5) {
            writeln!(out, "  {r}")?;
        }
    }
    // Write-back: labels and one summary comment per flagged item, then
    // what landed in the sandbox trackers.
    writeln!(
        out,
        "\nWriting labels and summary comments back to the sandbox trackers..."
    )?;
    let written = writeback_all(&settings, false, clock).await?;
    for r in &written {
        let c = r.counts;
        writeln!(
            out,
            "  {}: {} operations, {} applied, {} failed; {} write requests",
            r.source, c.planned, c.applied, c.failed, c.writes
        )?;
    }
    show_landed(&mut out, &sandbox, &written)?;
    let again = writeback_all(&settings, false, clock).await?;
    writeln!(
        out,
        "  a second write-back with nothing changed: {} write requests",
        again.iter().map(|r| r.counts.writes).sum::<u64>()
    )?;
    // The lint findings and the review pack, from the written-back state.
    let store = Store::open(&db, OpenMode::ReadOnly, &settings.memory_limit).await?;
    let lint = store
        .query(
            "demo lint summary",
            &format!(
                "SELECT rule, count(*) AS items FROM ({}) GROUP BY rule ORDER BY items DESC, rule",
                crate::queries::get("health/lint.sql").sql
            ),
            vec![
                duckdb::types::Value::Date32(
                    (clock.today() - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch"))
                        .num_days() as i32,
                ),
                duckdb::types::Value::Null,
                duckdb::types::Value::BigInt(30),
            ],
        )
        .await;
    let page = crate::review::render(
        &store,
        clock.today(),
        &crate::reports::ReportParams {
            now: Some(clock.now()),
            ..crate::reports::ReportParams::from_settings(&settings)
        },
        None,
    )
    .await;
    store.close().await;
    writeln!(
        out,
        "\nLint: open action items failing the acceptance rule (`recur report lint` lists them):"
    )?;
    output::write(&mut out, &lint?, Format::Table)?;
    let review_path = dir.join("review.html");
    write_private(
        &review_path,
        &page.map_err(|e| Error::Runtime(e.to_string()))?,
    )?;
    writeln!(
        out,
        "\nReview pack (open in a browser): {}",
        review_path.display()
    )?;
    let n_problems = problems
        .rows
        .first()
        .and_then(|r| r.first())
        .cloned()
        .unwrap_or_default();
    writeln!(
        out,
        "\n{n_problems} field values could not be parsed; they are kept raw (see the parse_problems view)."
    )?;
    writeln!(out, "\nDatabase: {}", db.display())?;
    writeln!(out, "Config:   {}", config_path.display())?;
    writeln!(
        out,
        "Try:      recur --config {} query \"SELECT key, title, owner, target_date FROM action_items WHERE state = 'open' LIMIT 5\"",
        config_path.display()
    )?;
    if let Some(port) = serve {
        let mut settings = settings;
        // Reports carry the backlog's content: their own port, behind a
        // token made for this run.
        let token: String = {
            use rand::Rng;
            let mut rng = rand::rng();
            (0..32)
                .map(|_| {
                    char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)])
                })
                .collect()
        };
        let reports_port = reports_port_beside(port);
        settings.daemon.listen = format!("127.0.0.1:{port}");
        settings.daemon.reports_listen = Some(format!("127.0.0.1:{reports_port}"));
        settings.daemon.reports_token = Some(crate::settings::Secret::new(token.clone()));
        settings.daemon.interval = Some("1m".into());
        settings.daemon.writeback = true;
        writeln!(
            out,
            "\nServing until Ctrl-C: http://127.0.0.1:{port}/metrics  http://127.0.0.1:{port}/healthz\n\
             Reports (bearer token made for this run): curl -H 'Authorization: Bearer {token}' http://127.0.0.1:{reports_port}/reports/review.html -o review.html\n\
             Sandbox trackers: {}",
            sandbox.github_url()
        )?;
        drop(out);
        crate::daemon::run(settings, crate::shutdown::on_signal(), None).await?;
    }
    sandbox.shutdown().await;
    Ok(())
}

/// Write-back settings for the demo: the sandbox has no secondary limits,
/// so writes are paced at 5 ms instead of GitHub's one second, and the
/// budget covers the whole generated organisation.
const DEMO_WRITEBACK: &str = "
[writeback]
min_interval_ms = 5
max_operations = 100000
creations_per_minute = 100000
creations_per_hour = 100000
";

/// Prints the labels of the contrast risks and one summary comment, read
/// back from the sandbox trackers (what a user would see there).
fn show_landed(
    out: &mut impl Write,
    sandbox: &Sandbox,
    written: &[crate::writeback::WritebackReport],
) -> Result<(), Error> {
    let gh = sandbox.github();
    writeln!(
        out,
        "\nLabels as they landed on GitHub (recur's under \"recur:\"):"
    )?;
    for (repo, n) in [("acme/payments", 3u64), ("acme/payments", 7)] {
        if let Some(issue) = gh.issue(repo, n) {
            writeln!(
                out,
                "  {repo}#{n} {:?}: {}",
                issue.title,
                issue.labels.join(", ")
            )?;
        }
    }
    let jira = sandbox.jira();
    for key in ["OPS-3", "OPS-7"] {
        if let Some(issue) = jira.issue(key) {
            writeln!(
                out,
                "  {key} {:?}: {}",
                issue.summary,
                issue.labels.join(", ")
            )?;
        }
    }
    let sample = written.iter().find_map(|r| {
        r.sample_comment
            .as_ref()
            .map(|(k, _)| (r.source.clone(), k.clone()))
    });
    if let Some((source, key)) = sample {
        let landed = key.rsplit_once('#').and_then(|(repo, n)| {
            let issue = gh.issue(repo, n.parse().ok()?)?;
            issue
                .comments
                .into_iter()
                .find(|c| c.body.starts_with(recur_core::SUMMARY_MARKER))
                .map(|c| c.body)
        });
        if let Some(body) = landed {
            writeln!(out, "\nA summary comment as it landed on {key} ({source}):")?;
            for line in body.lines() {
                writeln!(out, "  | {line}")?;
            }
        }
    }
    Ok(())
}

/// `recur sandbox`: serves the sandbox until Ctrl-C.
pub async fn run_sandbox(port: u16, seed: u64, bench_issues: Option<usize>) -> Result<(), Error> {
    let mut opts = match bench_issues {
        Some(n) => {
            let mut o = SandboxOptions::bench(n);
            o.rate_limit = 100_000_000;
            o
        }
        None => SandboxOptions::demo(seed),
    };
    opts.port = port;
    let sandbox = Sandbox::start(opts).await?;
    println!("Sandbox GitHub listening on {}", sandbox.github_url());
    println!(
        "Token: sandbox-token   Repositories: {}",
        sandbox.github().repos().join(", ")
    );
    // The sandbox Jira answers on the same address (its REST paths differ).
    println!(
        "Sandbox Jira on the same address   Projects: {}",
        sandbox.jira().projects().join(", ")
    );
    println!("Press Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    Ok(())
}

/// A run on the real timer that only ends by itself.
/// The reports port of `recur demo --serve --port P`: the next one (the
/// one before at 65535), or any free port when P is 0 (never port 1).
fn reports_port_beside(port: u16) -> u16 {
    match port {
        0 => 0,
        p => p.checked_add(1).unwrap_or(p - 1),
    }
}

pub(crate) fn local_run(clock: crate::clock::Clock) -> app::Run<'static> {
    app::Run {
        sleeper: &crate::shutdown::TokioSleeper,
        shutdown: no_shutdown(),
        clock,
    }
}

/// Syncs every source of `settings` into its store, opened for this call.
pub(crate) async fn sync_all(
    settings: &Settings,
    clock: crate::clock::Clock,
) -> Result<Vec<crate::sync::SyncReport>, Error> {
    let sources = app::sources(settings, None)?;
    let store = Store::open(
        &settings.store_path,
        OpenMode::ReadWrite,
        &settings.memory_limit,
    )
    .await?;
    let run = local_run(clock);
    let result = app::sync(&store, settings, &sources, false, &run, None).await;
    let result = match result {
        Ok(r) if settings.sync.backfill => app::backfill(&store, settings, &sources, &run)
            .await
            .map(|_| r),
        other => other,
    };
    store.close().await;
    result
}

/// Write-back (or its dry run) for every source of `settings`, from its
/// store, opened for this call.
pub(crate) async fn writeback_all(
    settings: &Settings,
    dry_run: bool,
    clock: crate::clock::Clock,
) -> Result<Vec<crate::writeback::WritebackReport>, Error> {
    let sources = app::sources(settings, None)?;
    let mode = if dry_run {
        OpenMode::ReadOnly
    } else {
        OpenMode::ReadWrite
    };
    let store = Store::open(&settings.store_path, mode, &settings.memory_limit).await?;
    let result = app::writeback(&store, settings, &sources, dry_run, &local_run(clock), None).await;
    store.close().await;
    result.map_err(|(_, e)| e)
}

#[cfg(test)]
mod tests {
    /// Regression: `--port 0` computed `0 - 1` (a panic) and put the
    /// reports on privileged port 1.
    #[test]
    fn the_reports_port_beside_port_0_is_any_free_port() {
        assert_eq!(super::reports_port_beside(0), 0);
        assert_eq!(super::reports_port_beside(8765), 8766);
        assert_eq!(super::reports_port_beside(65535), 65534);
    }
}
