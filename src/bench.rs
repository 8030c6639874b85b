//! `recur bench`: the GitHub first sync against the loopback sandbox (and
//! the same pages parsed by bare serde_json, for scale), the no-change
//! resyncs, the Jira first sync and resync, and write-back at scale.
//! Figures are printed, never asserted: speed and memory goals are checked
//! by reading them, not by timed tests.

use crate::clock::Clock;
use std::path::{Path, PathBuf};
use std::time::Instant;

use recur_sandbox::{Sandbox, SandboxOptions};

use crate::app::{self, Error};
use crate::demo::{sandbox_config, sandbox_jira_source, sync_all};
use crate::settings::Settings;
use crate::store::{OpenMode, Store};

/// Issues per Jira Cloud search page with recur's field list: Cloud (and
/// the sandbox) returns fewer than the 100 asked for when many fields are.
const JIRA_PAGE: u64 = recur_sandbox::jira::CLOUD_PAGE_WITH_FIELDS as u64;

/// Jira first sync of every sandbox Jira issue (the bench sandbox holds
/// half as many as GitHub), requests against the minimum, and the
/// no-change resync.
pub async fn jira(sandbox: &Sandbox, dir: &Path) -> Result<(), Error> {
    let jira = sandbox.jira();
    let projects = jira.projects();
    let db = dir.join("bench-jira.duckdb");
    // The sync is measured alone; backfill has its own figures.
    let text = format!(
        "[store]\npath = {:?}\n[sync]\nbackfill = false\n{}",
        db.display().to_string(),
        sandbox_jira_source(&sandbox.jira_url(), &projects, false)
    );
    let settings = Settings::from_toml(&text)?;
    let mut issues = 0u64;
    let mut tracked = 0u64;
    // Per sync: the field list and the issue-type list, then the pages of
    // each project's listing, and one incremental page per project.
    let mut minimum = 2u64;
    for p in &projects {
        issues += jira.keys(p).len() as u64;
        let n = jira
            .tracked_keys(
                p,
                &["postmortem", "incident", "risk"],
                &["Incident", "Risk"],
            )
            .len() as u64;
        tracked += n;
        minimum += n.div_ceil(JIRA_PAGE).max(1) + 1;
    }
    jira.reset_counters();
    let t = Instant::now();
    let reports = crate::demo::sync_all(&settings, Clock::start_or_now()).await?;
    let secs = t.elapsed().as_secs_f64();
    let r = &reports[0];
    println!(
        "jira first sync: {} tracked of {issues} issues in {secs:.2}s = {:.0} issues/s; requests {} made, {minimum} minimum at {JIRA_PAGE} per page (ratio {:.2})",
        r.stats.items_seen,
        r.stats.items_seen as f64 / secs,
        r.stats.api_requests,
        r.stats.api_requests as f64 / minimum.max(1) as f64
    );
    debug_assert_eq!(r.stats.items_seen, tracked);
    let t = Instant::now();
    let reports = crate::demo::sync_all(&settings, Clock::start_or_now()).await?;
    println!(
        "jira no-change resync: {} requests ({} projects; Jira has no ETag, so one search page each plus the field lists), {:.3}s",
        reports[0].stats.api_requests,
        projects.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Write-back over at least `items` tracked items: the plan's size, the
/// writes a run makes against it, the time, and a rerun (goal: 0 writes).
pub async fn writeback(items: usize, dir: &Path) -> Result<(), Error> {
    // About a quarter of the bench sandbox's issues are tracked action items
    // and risks. The primary budget is lifted: 10k items need more than
    // GitHub's 5,000 requests an hour (a real first write-back of that size
    // spans several hours, and days of 500-an-hour comment creations;
    // `max_operations` spreads it over runs).
    let mut opts = SandboxOptions::bench(items * 4);
    opts.rate_limit = 100_000_000;
    let sandbox = Sandbox::start(opts).await?;
    let gh = sandbox.github();
    let db = dir.join("bench-writeback.duckdb");
    let text = format!(
        "{}\n[writeback]\nmin_interval_ms = 0\nmax_operations = 10000000\ncreations_per_minute = 100000000\ncreations_per_hour = 100000000\n",
        sandbox_config(&sandbox.github_url(), &gh.repos(), &db)
    );
    let settings = Settings::from_toml(&text)?;
    crate::demo::sync_all(&settings, Clock::start_or_now()).await?;
    let store = Store::open(
        &db,
        OpenMode::ReadWrite,
        crate::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await?;
    crate::scoring::score(&store, &settings.scoring, Clock::start_or_now().now()).await?;
    let tracked = store
        .query(
            "bench",
            "SELECT count(*) FROM items WHERE tracking = 'tracked' AND kind IN ('action_item', 'risk')",
            vec![],
        )
        .await?
        .rows[0][0]
        .as_i64()
        .unwrap_or(0);
    store.close().await;
    let clock = Clock::start_or_now();
    let run = |dry| crate::demo::writeback_all(&settings, dry, clock);
    let t = Instant::now();
    let plan = run(true).await?;
    let plan_secs = t.elapsed().as_secs_f64();
    let planned: u64 = plan.iter().map(|r| r.counts.planned).sum();
    gh.reset_counters();
    let t = Instant::now();
    let done = run(false).await?;
    let secs = t.elapsed().as_secs_f64();
    let writes: u64 = done.iter().map(|r| r.counts.writes).sum();
    let requests: u64 = done.iter().map(|r| r.counts.requests).sum();
    let failed: u64 = done.iter().map(|r| r.counts.failed).sum();
    println!(
        "write-back: {tracked} tracked action items and risks; plan of {planned} operations in {plan_secs:.2}s; \
         {writes} writes made for a diff of {planned} ({requests} requests with comment look-ups, {failed} failed) \
         in {secs:.1}s = {:.0} writes/s (unpaced, loopback)",
        writes as f64 / secs
    );
    let t = Instant::now();
    let again = run(false).await?;
    println!(
        "write-back rerun, nothing changed: {} writes, {} requests, {:.2}s",
        again.iter().map(|r| r.counts.writes).sum::<u64>(),
        again.iter().map(|r| r.counts.requests).sum::<u64>(),
        t.elapsed().as_secs_f64()
    );
    sandbox.shutdown().await;
    Ok(())
}

/// History backfill of everything the first sync stored: requests against
/// the fewest the chosen listings need, items per second, peak RSS.
async fn backfill(settings: &Settings, clock: Clock) -> Result<(), Error> {
    let sources = app::sources(settings, None)?;
    let store = Store::open(
        &settings.store_path,
        OpenMode::ReadWrite,
        &settings.memory_limit,
    )
    .await?;
    let run = crate::demo::local_run(clock);
    let t = Instant::now();
    let result = app::backfill(&store, settings, &sources, &run).await;
    store.close().await;
    let secs = t.elapsed().as_secs_f64();
    for r in result? {
        let chosen: Vec<String> = r
            .strategies
            .iter()
            .map(|s| s.strategy.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        println!(
            "history backfill: {} items rebuilt ({} versions, {} events) in {secs:.2}s = {:.0} items/s; requests {} made, {} minimum for the listings chosen ({}) (ratio {:.2}); peak RSS {:.0} MB",
            r.items,
            r.versions,
            r.events,
            r.items as f64 / secs.max(1e-9),
            r.requests,
            r.minimum_requests,
            chosen.join(", "),
            r.requests as f64 / r.minimum_requests.max(1) as f64,
            peak_rss_mb().unwrap_or(0.0)
        );
    }
    Ok(())
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `recur bench`: first sync of `issues` GitHub issues (and the sandbox's
/// Jira half as many) from the loopback sandbox, the no-change resyncs, and
/// write-back over `writeback_items` items, with figures printed.
pub async fn bench(issues: usize, writeback_items: usize) -> Result<(), Error> {
    let dir = tempdir_for_bench()?;
    let db = dir.join("bench.duckdb");
    let gen_start = Instant::now();
    let sandbox = Sandbox::start(SandboxOptions::bench(issues)).await?;
    let gh = sandbox.github();
    let repos = gh.repos();
    println!(
        "sandbox: {issues} issues in {} repos, generated in {:.1}s",
        repos.len(),
        gen_start.elapsed().as_secs_f64()
    );
    let mut minimum = 0u64;
    let mut tracked_entries = 0u64;
    for repo in &repos {
        for label in ["postmortem", "incident", "risk"] {
            let n = gh.count_listing(repo, Some(label), "all") as u64;
            tracked_entries += n;
            minimum += n.div_ceil(100);
        }
        // The incremental listing that primes the ETag.
        minimum += 1;
    }
    // The sync is measured alone (backfill off); the backfill after it has
    // its own figures below.
    let settings = Settings::from_toml(&format!(
        "{}\n[sync]\nbackfill = false\nbackfill_max_requests = 100000000\n",
        sandbox_config(&sandbox.github_url(), &repos, &db)
    ))?;
    let clock = crate::clock::Clock::start_or_now();
    let rss_before = peak_rss_mb();
    gh.reset_counters();
    let t = Instant::now();
    let reports = sync_all(&settings, clock).await?;
    let secs = t.elapsed().as_secs_f64();
    let r = &reports[0];
    let items = r.stats.items_seen;
    println!("first sync: {items} tracked issues listed ({tracked_entries} label entries incl. PRs) in {secs:.2}s = {:.0} issues/s", items as f64 / secs);
    println!(
        "requests: {} made, {} theoretical minimum (ratio {:.2})",
        r.stats.api_requests,
        minimum,
        r.stats.api_requests as f64 / minimum.max(1) as f64
    );
    let spent_before = gh.rate_points_spent();
    let t = Instant::now();
    let reports = sync_all(&settings, clock).await?;
    println!(
        "no-change resync: {} requests, {} answered 304, {} rate-limit points spent, {:.3}s",
        reports[0].stats.api_requests,
        reports[0].stats.not_modified,
        gh.rate_points_spent() - spent_before,
        t.elapsed().as_secs_f64()
    );
    backfill(&settings, clock).await?;
    // The same pages, fetched again and parsed by bare serde_json, for scale.
    let client = reqwest::Client::new();
    let mut bodies = Vec::new();
    for repo in &repos {
        for label in ["postmortem", "incident", "risk"] {
            let mut url = Some(format!(
                "{}/repos/{repo}/issues?labels={label}&state=all&sort=created&direction=asc&per_page=100",
                sandbox.github_url()
            ));
            while let Some(u) = url.take() {
                let resp = client
                    .get(&u)
                    .bearer_auth("sandbox-token")
                    .send()
                    .await
                    .map_err(|e| Error::Runtime(e.to_string()))?;
                url = resp
                    .headers()
                    .get("link")
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| {
                        let mut h = http::HeaderMap::new();
                        h.insert(http::header::LINK, l.parse().ok()?);
                        recur_github::parse_link_next(&h)
                    });
                bodies.push(
                    resp.bytes()
                        .await
                        .map_err(|e| Error::Runtime(e.to_string()))?,
                );
            }
        }
    }
    let t = Instant::now();
    let mut parsed = 0usize;
    for b in &bodies {
        let v: Vec<serde_json::Value> =
            serde_json::from_slice(b).map_err(|e| Error::Runtime(e.to_string()))?;
        parsed += v.len();
    }
    let bare = t.elapsed().as_secs_f64();
    println!(
        "bare serde_json parse of the same {} pages: {parsed} entries in {bare:.2}s = {:.0} entries/s (recur's sync took {:.1}x as long)",
        bodies.len(),
        parsed as f64 / bare,
        secs / bare
    );
    println!(
        "peak RSS: {:.0} MB (before sync {:.0} MB, includes the in-process sandbox)",
        peak_rss_mb().unwrap_or(0.0),
        rss_before.unwrap_or(0.0)
    );
    jira(&sandbox, &dir).await?;
    sandbox.shutdown().await;
    writeback(writeback_items, &dir).await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempdir_for_bench() -> Result<PathBuf, Error> {
    let dir = std::env::temp_dir().join(format!("recur-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Runtime(e.to_string()))?;
    Ok(dir)
}
