//! The parts of `recur bench` beyond the GitHub first sync (which is in
//! [`crate::demo::bench`]): the Jira first sync and no-change resync, and
//! write-back at scale. Figures are printed, never asserted: speed and
//! memory goals are checked by reading them, not by timed tests.

use crate::clock::Clock;
use std::path::Path;
use std::time::Instant;

use recur_sandbox::{Sandbox, SandboxOptions};

use crate::app::Error;
use crate::demo::{sandbox_config, sandbox_jira_source};
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
    let text = format!(
        "[store]\npath = {:?}\n{}",
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
