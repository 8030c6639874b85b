//! `recur bench`: the GitHub first sync against the loopback sandbox (and,
//! for scale, the same pages parsed by bare serde_json and DuckDB alone
//! writing what each first sync stored), the no-change
//! resyncs, the history backfill, the Jira first sync, resync and backfill
//! (Cloud, then Data Center's first sync and backfill),
//! write-back at scale, and the daemon at rest. Figures are printed, never
//! asserted: speed and memory goals are checked by reading them, not by
//! timed tests. The run ends with one table of every figure against its
//! goal ([`table`]); first syncs and the daemon run as child processes
//! ([`child`]) so their memory is recur's alone.

mod child;
mod table;

use table::{Goal, Table};

use crate::clock::Clock;
use std::path::{Path, PathBuf};
use std::time::Instant;

use recur_sandbox::{Sandbox, SandboxOptions};

use crate::app::Error;
use crate::demo::{sandbox_config, sandbox_jira_source, sync_all};
use crate::settings::Settings;
use crate::store::{OpenMode, Store};

/// A Jira Cloud full listing's pages: ids, then the issues in bulk
/// requests (see the Jira connector's `bulk` module).
const JIRA_IDS_PAGE: u64 = recur_sandbox::jira::CLOUD_PAGE_OF_IDS as u64;
const JIRA_BULK: u64 = recur_sandbox::jira::CLOUD_BULK_FETCH as u64;

/// A Data Center search page: what recur asks for, Data Center's default
/// limit.
const JIRA_DC_PAGE: u64 = recur_jira::DC_SEARCH_PAGE as u64;

/// Jira first sync of every sandbox Jira issue (the bench sandbox holds
/// half as many as GitHub), requests against the minimum, and the
/// no-change resync.
async fn jira(sandbox: &Sandbox, dir: &Path, table: &mut Table) -> Result<(), Error> {
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
    let config = dir.join("bench-jira.toml");
    std::fs::write(&config, &text).map_err(|e| Error::Runtime(e.to_string()))?;
    let mut issues = 0u64;
    let mut tracked = 0u64;
    // Per sync: the field list and the issue-type list, then each
    // project's pages of ids and bulk requests of issues, and one
    // incremental page per project.
    let mut minimum = 2u64;
    // Data Center: the two lists, pages of 1,000 and one incremental page
    // per project.
    let mut dc_minimum = 2u64;
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
        minimum += n.div_ceil(JIRA_IDS_PAGE).max(1) + n.div_ceil(JIRA_BULK) + 1;
        dc_minimum += n.div_ceil(JIRA_DC_PAGE).max(1) + 1;
    }
    jira.reset_counters();
    let run = child_sync(&config).await?;
    let (seen, requests) = (run.items_seen, run.requests);
    let secs = run.secs;
    println!(
        "jira first sync: {seen} tracked of {issues} issues in {secs:.2}s = {:.0} issues/s; requests {requests} made, {minimum} minimum at {JIRA_IDS_PAGE} ids a page and {JIRA_BULK} issues a bulk request (ratio {:.2}); peak RSS {:.0} MB",
        seen as f64 / secs,
        requests as f64 / minimum.max(1) as f64,
        run.peak_rss_mb
    );
    debug_assert_eq!(seen, tracked);
    first_sync_rows(table, "Jira first sync", &run, minimum, 15_000.0);
    // Before the resync and the backfill touch the file.
    floor_rows(table, "Jira", &db, dir, secs).await?;
    let t = Instant::now();
    let reports = crate::demo::sync_all(&settings, Clock::start_or_now()).await?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "jira no-change resync: {} requests ({} projects; Jira has no ETag, so one search page each plus the field lists), {secs:.3}s",
        reports[0].stats.api_requests,
        projects.len(),
    );
    table.add("Jira no-change resync", secs, "s", Goal::None);
    // Every tracked issue's history in one run (Cloud: the bulk changelog).
    let all = dir.join("bench-jira-backfill.toml");
    std::fs::write(
        &all,
        text.replacen(
            "backfill = false\n",
            "backfill = false\nbackfill_max_requests = 100000000\n",
            1,
        ),
    )
    .map_err(|e| Error::Runtime(e.to_string()))?;
    backfill("Jira", &all, table).await?;
    jira_datacenter(sandbox, dir, table, dc_minimum).await
}

/// The same issues from the sandbox's Jira as Data Center: a first sync
/// (search pages of 1,000; `minimum` requests at best) and the history
/// backfill (searches of 100 issues with their changelogs).
async fn jira_datacenter(
    sandbox: &Sandbox,
    dir: &Path,
    table: &mut Table,
    minimum: u64,
) -> Result<(), Error> {
    let text = format!(
        "[store]\npath = {:?}\n[sync]\nbackfill = false\nbackfill_max_requests = 100000000\n{}",
        dir.join("bench-jira-dc.duckdb").display().to_string(),
        sandbox_jira_source(&sandbox.jira_url(), &sandbox.jira().projects(), true)
    );
    let config = dir.join("bench-jira-dc.toml");
    std::fs::write(&config, &text).map_err(|e| Error::Runtime(e.to_string()))?;
    let run = child_sync(&config).await?;
    println!(
        "jira data center first sync: {} tracked issues in {:.2}s = {:.0} issues/s; requests {} made, {minimum} minimum at {JIRA_DC_PAGE} a page; peak RSS {:.0} MB",
        run.items_seen,
        run.secs,
        run.items_seen as f64 / run.secs,
        run.requests,
        run.peak_rss_mb
    );
    first_sync_rows(
        table,
        "Jira Data Center first sync",
        &run,
        minimum,
        15_000.0,
    );
    backfill("Jira Data Center", &config, table).await
}

/// A first sync as `recur --config CONFIG sync --format json`: what it
/// saw, its requests, time and peak RSS.
struct ChildSync {
    items_seen: u64,
    requests: u64,
    secs: f64,
    peak_rss_mb: f64,
    cpu_s: f64,
    serving_cpu_s: f64,
}

/// A first sync's rows: speed against `goal`, requests against the
/// minimum, and peak RSS against 300 MB.
fn first_sync_rows(table: &mut Table, what: &str, run: &ChildSync, minimum: u64, goal: f64) {
    table.add(
        format!("{what} ({} tracked issues)", run.items_seen),
        run.items_seen as f64 / run.secs,
        "issues/s",
        Goal::AtLeast(goal),
    );
    table.add(
        format!("{what} requests ÷ minimum"),
        run.requests as f64 / minimum.max(1) as f64,
        "",
        Goal::AtMost(1.0),
    );
    table.add(
        format!("{what} peak RSS (recur alone)"),
        run.peak_rss_mb,
        "MB",
        Goal::AtMost(300.0),
    );
    // Both on the same cores: the sandbox's share is time a remote
    // tracker would spend on its own machine.
    table.add(format!("{what} CPU: recur"), run.cpu_s, "s", Goal::None);
    table.add(
        format!("{what} CPU: the sandbox serving it"),
        run.serving_cpu_s,
        "s",
        Goal::None,
    );
}

/// `recur --config CONFIG sync [flags] --format json` in a child
/// process: its JSON document and the run (time, peak RSS).
async fn child_sync_json(
    config: &Path,
    flags: &[&str],
) -> Result<(serde_json::Value, child::ChildRun), Error> {
    let mut args = vec![
        "--config".into(),
        config.display().to_string(),
        "sync".into(),
    ];
    args.extend(flags.iter().map(|f| f.to_string()));
    args.extend(["--format".into(), "json".into()]);
    let run = child::run(args).await?;
    let v = serde_json::from_str(&run.stdout).map_err(|e| {
        Error::Runtime(format!(
            "bench: sync {} --format json: {e}",
            flags.join(" ")
        ))
    })?;
    Ok((v, run))
}

async fn child_sync(config: &Path) -> Result<ChildSync, Error> {
    let (v, run) = child_sync_json(config, &[]).await?;
    let sum = |k: &str| -> u64 {
        v["sources"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s[k].as_u64()).sum())
            .unwrap_or(0)
    };
    Ok(ChildSync {
        items_seen: sum("items_seen"),
        requests: sum("api_requests"),
        secs: run.secs,
        peak_rss_mb: run.peak_rss_mb,
        cpu_s: run.cpu_s,
        serving_cpu_s: run.serving_cpu_s,
    })
}

/// Write-back over at least `items` tracked items: the plan's size, the
/// writes a run makes against it, the time, and a rerun (goal: 0 writes).
async fn writeback(items: usize, dir: &Path, table: &mut Table) -> Result<(), Error> {
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
    table.add(
        format!("write-back of {planned} operations (unpaced)"),
        writes as f64 / secs,
        "writes/s",
        Goal::None,
    );
    let t = Instant::now();
    let again = run(false).await?;
    let rewrites = again.iter().map(|r| r.counts.writes).sum::<u64>();
    println!(
        "write-back rerun, nothing changed: {rewrites} writes, {} requests, {:.2}s",
        again.iter().map(|r| r.counts.requests).sum::<u64>(),
        t.elapsed().as_secs_f64()
    );
    table.add(
        "write-back rerun, nothing changed",
        rewrites as f64,
        "writes",
        Goal::AtMost(0.0),
    );
    sandbox.shutdown().await;
    Ok(())
}

/// History backfill of everything the first sync stored, as an operator
/// runs it: `recur sync --backfill --format json` in its own process (its
/// no-change resync first, ~0.1 s of the time). Requests against the
/// fewest the chosen listings need, items per second, and the peak RSS of
/// recur alone. `tracker` names the figures.
async fn backfill(tracker: &str, config: &Path, table: &mut Table) -> Result<(), Error> {
    let (v, run) = child_sync_json(config, &["--backfill"]).await?;
    let secs = run.secs;
    for source in v["sources"].as_array().into_iter().flatten() {
        let b = &source["backfill"];
        if b.is_null() {
            return Err(Error::Runtime(format!(
                "bench: no history backfill ran for {}",
                source["source"]
            )));
        }
        let n = |k: &str| b[k].as_u64().unwrap_or(0);
        let chosen: std::collections::BTreeSet<&str> = b["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["strategy"].as_str())
            .collect();
        let (items, requests, minimum) = (n("items"), n("requests"), n("minimum_requests"));
        println!(
            "{tracker} history backfill: {items} items rebuilt ({} versions, {} events) in {secs:.2}s = {:.0} items/s; requests {requests} made, {minimum} minimum for the listings chosen ({}) (ratio {:.2}); peak RSS {:.0} MB",
            n("versions"),
            n("events"),
            items as f64 / secs.max(1e-9),
            chosen.into_iter().collect::<Vec<_>>().join(", "),
            requests as f64 / minimum.max(1) as f64,
            run.peak_rss_mb
        );
        table.add(
            format!("{tracker} history backfill ({items} items)"),
            items as f64 / secs.max(1e-9),
            "items/s",
            Goal::None,
        );
        table.add(
            format!("{tracker} history backfill requests ÷ minimum"),
            requests as f64 / minimum.max(1) as f64,
            "",
            Goal::AtMost(1.0),
        );
        table.add(
            format!("{tracker} history backfill peak RSS (recur alone)"),
            run.peak_rss_mb,
            "MB",
            Goal::AtMost(300.0),
        );
    }
    Ok(())
}

fn peak_rss_mb() -> Option<f64> {
    child::status_kb(std::process::id(), "VmHWM:").map(|kb| kb / 1024.0)
}

/// `recur bench`: first sync of `issues` GitHub issues (and the sandbox's
/// Jira half as many) from the loopback sandbox, the no-change resyncs, and
/// write-back over `writeback_items` items, with figures printed.
pub async fn bench(issues: usize, writeback_items: usize) -> Result<(), Error> {
    let mut table = Table::default();
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
    let text = format!(
        "{}\n[sync]\nbackfill = false\nbackfill_max_requests = 100000000\n",
        sandbox_config(&sandbox.github_url(), &repos, &db)
    );
    let settings = Settings::from_toml(&text)?;
    let config = dir.join("bench.toml");
    std::fs::write(&config, &text).map_err(|e| Error::Runtime(e.to_string()))?;
    let clock = crate::clock::Clock::start_or_now();
    gh.reset_counters();
    // The first sync as an operator runs it: `recur sync` in its own
    // process, so its peak RSS is recur's alone.
    let run = child_sync(&config).await?;
    let (items, requests, secs) = (run.items_seen, run.requests, run.secs);
    println!("first sync: {items} tracked issues listed ({tracked_entries} label entries incl. PRs) in {secs:.2}s = {:.0} issues/s; peak RSS {:.0} MB (recur alone)", items as f64 / secs, run.peak_rss_mb);
    println!(
        "requests: {requests} made, {minimum} theoretical minimum (ratio {:.2})",
        requests as f64 / minimum.max(1) as f64
    );
    first_sync_rows(&mut table, "GitHub first sync", &run, minimum, 30_000.0);
    // Before the resync and the backfill touch the file.
    floor_rows(&mut table, "GitHub", &db, &dir, secs).await?;
    let spent_before = gh.rate_points_spent();
    let t = Instant::now();
    let reports = sync_all(&settings, clock).await?;
    let resync = t.elapsed().as_secs_f64();
    let points = gh.rate_points_spent() - spent_before;
    println!(
        "no-change resync: {} requests, {} answered 304, {points} rate-limit points spent, {resync:.3}s",
        reports[0].stats.api_requests, reports[0].stats.not_modified,
    );
    table.add("GitHub no-change resync", resync, "s", Goal::None);
    table.add(
        "GitHub no-change resync rate-limit points",
        points as f64,
        "points",
        Goal::AtMost(0.0),
    );
    backfill("GitHub", &config, &mut table).await?;
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
    table.add(
        "bare serde_json parse of the same pages",
        parsed as f64 / bare,
        "entries/s",
        Goal::None,
    );
    table.add(
        "GitHub first sync time ÷ bare parse time",
        secs / bare,
        "×",
        Goal::AtMost(2.0),
    );
    // The daemon between cycles: one cycle over the synced file (in a
    // worker process), then at rest.
    let daemon_config = dir.join("bench-daemon.toml");
    std::fs::write(
        &daemon_config,
        format!(
            "{}\n[sync]\nbackfill = false\n[daemon]\ninterval = \"1h\"\nlisten = \"127.0.0.1:0\"\nwriteback = false\n",
            sandbox_config(&sandbox.github_url(), &repos, &db)
        ),
    )
    .map_err(|e| Error::Runtime(e.to_string()))?;
    let rest = child::daemon_at_rest(&daemon_config, &db).await?;
    println!(
        "daemon at rest after a cycle: RSS {:.1} MB ({:.1} MB anonymous, {:.1} MB file-backed code pages; its own peak {:.0} MB: the cycle ran in a worker process), {} descriptors of the database file open",
        rest.rss_mb, rest.anon_mb, rest.file_mb, rest.peak_rss_mb, rest.db_files_open
    );
    table.add("daemon at rest: RSS", rest.rss_mb, "MB", Goal::AtMost(50.0));
    table.add(
        "daemon at rest: of it anonymous (heap)",
        rest.anon_mb,
        "MB",
        Goal::None,
    );
    table.add(
        "daemon at rest: database files held open",
        rest.db_files_open as f64,
        "",
        Goal::AtMost(0.0),
    );
    jira(&sandbox, &dir, &mut table).await?;
    sandbox.shutdown().await;
    writeback(writeback_items, &dir, &mut table).await?;
    let _ = std::fs::remove_dir_all(&dir);
    println!("\n{}", table.render());
    Ok(())
}

/// The first sync of `tracker` into `synced` (`secs`) against DuckDB alone
/// writing what it stored ([`duckdb_floor`], the faster of two runs), for
/// scale: printed, and two rows of the table without a goal, as the bare
/// parse.
async fn floor_rows(
    table: &mut Table,
    tracker: &str,
    synced: &Path,
    dir: &Path,
    secs: f64,
) -> Result<(), Error> {
    // The faster of two runs: a floor, and the machine drifts.
    let (items, first) = duckdb_floor(synced, dir).await?;
    let (_, second) = duckdb_floor(synced, dir).await?;
    let floor = first.min(second);
    println!(
        "DuckDB alone writing the {tracker} first sync's {items} items and their versions (from memory, {} rows a commit, one thread, then a checkpoint; the faster of {first:.2}s and {second:.2}s): {floor:.2}s = {:.0} issues/s (recur's sync took {:.1}x as long)",
        crate::sync::BATCH_ROWS,
        items as f64 / floor,
        secs / floor
    );
    table.add(
        format!("DuckDB alone writing the {tracker} first sync's items"),
        items as f64 / floor,
        "issues/s",
        Goal::None,
    );
    table.add(
        format!("{tracker} first sync time ÷ DuckDB alone"),
        secs / floor,
        "×",
        Goal::None,
    );
    Ok(())
}

/// Times DuckDB alone writing the rows a first sync stored in `synced`
/// (its `items` and `history_open`) into a new database: from tables in
/// memory, [`crate::sync::BATCH_ROWS`] rows of each a transaction, on one
/// DuckDB thread as a sync runs, then the checkpoint a sync ends with. At
/// the default memory limit: a sync caps its merges lower (128MB), and a
/// floor gives DuckDB the room.
/// Nothing is fetched, parsed, staged or merged, so no change to recur's
/// own code can make that first sync faster than this while its store is
/// DuckDB and keeps each item's raw JSON. Returns the items written and
/// the seconds taken.
async fn duckdb_floor(synced: &Path, dir: &Path) -> Result<(u64, f64), Error> {
    let path = dir.join("bench-floor.duckdb");
    let _ = std::fs::remove_file(&path);
    let store = Store::open(
        &path,
        OpenMode::ReadWrite,
        crate::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await?;
    store.set_threads(1).await?;
    let source = crate::store::sql_literal(&synced.display().to_string());
    store
        .execute_batch(
            "read the synced rows into memory",
            &format!(
                "ATTACH {source} AS synced (READ_ONLY); \
                 CREATE TEMP TABLE floor_items AS SELECT * FROM synced.items; \
                 CREATE TEMP TABLE floor_versions AS SELECT * FROM synced.history_open; \
                 DETACH synced;"
            ),
        )
        .await?;
    let (items, versions) = row_counts(&store, "floor_items", "floor_versions").await?;
    let batch = crate::sync::BATCH_ROWS as u64;
    let t = Instant::now();
    let mut from = 0;
    while from < items.max(versions) {
        let to = from + batch;
        store
            .execute_batch(
                "write a batch",
                &format!(
                    "BEGIN; \
                     INSERT INTO items SELECT * FROM floor_items WHERE rowid >= {from} AND rowid < {to}; \
                     INSERT INTO history_open SELECT * FROM floor_versions WHERE rowid >= {from} AND rowid < {to}; \
                     COMMIT;"
                ),
            )
            .await?;
        from = to;
    }
    store.checkpoint().await?;
    let secs = t.elapsed().as_secs_f64();
    let written = row_counts(&store, "items", "history_open").await?;
    store.close().await;
    let _ = std::fs::remove_file(&path);
    if written != (items, versions) {
        return Err(Error::Runtime(format!(
            "the DuckDB floor wrote {} of {items} items and {} of {versions} versions",
            written.0, written.1
        )));
    }
    Ok((items, secs))
}

/// The rows of an items table and of a versions table, in one query.
async fn row_counts(store: &Store, items: &str, versions: &str) -> Result<(u64, u64), Error> {
    let r = store
        .query(
            "count rows",
            &format!("SELECT (SELECT count(*) FROM {items}), (SELECT count(*) FROM {versions})"),
            Vec::new(),
        )
        .await?;
    let n = |c: usize| r.rows[0][c].as_u64().unwrap_or(0);
    Ok((n(0), n(1)))
}

/// `recur bench --reports`: every report over generated data, then the
/// table of each report's time against the goal (< 1 s) and the peak RSS.
pub async fn reports(items: usize, history: usize) -> Result<(), Error> {
    let times = crate::reports::bench_reports(items, history).await?;
    let peak = peak_rss_mb();
    if let Some(mb) = peak {
        println!(
            "peak RSS: {mb:.0} MB (DuckDB memory_limit {})",
            crate::settings::DEFAULT_MEMORY_LIMIT
        );
    }
    let mut table = Table::default();
    for (name, ms) in times {
        table.add(
            format!("report {name} ({items} items, {history} history rows)"),
            ms,
            "ms",
            Goal::AtMost(1000.0),
        );
    }
    if let Some(mb) = peak {
        table.add(
            "reports peak RSS (incl. generating the data)",
            mb,
            "MB",
            Goal::AtMost(300.0),
        );
    }
    println!("\n{}", table.render());
    Ok(())
}

fn tempdir_for_bench() -> Result<PathBuf, Error> {
    let dir = std::env::temp_dir().join(format!("recur-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Runtime(e.to_string()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The floor writes every item and version of the synced file, across
    /// batches (2,500 rows: a full batch and a part), and times it.
    #[tokio::test]
    async fn the_duckdb_floor_writes_every_synced_row() {
        let dir = tempfile::tempdir().unwrap();
        let synced = dir.path().join("synced.duckdb");
        let store = Store::open(
            &synced,
            OpenMode::ReadWrite,
            crate::settings::DEFAULT_MEMORY_LIMIT,
        )
        .await
        .unwrap();
        store
            .execute_batch(
                "seed",
                "INSERT INTO items BY NAME SELECT 'gh' AS source, 'acme/x#' || i AS key, \
                   'action_item' AS kind, 'tracked' AS tracking, 'acme/x' AS container, i AS number, \
                   'Item ' || i AS title, 'open' AS state, now() AS created_at, now() AS updated_at, \
                   'x' AS content_hash, '{\"n\": ' || i || '}' AS raw, now() AS first_seen_at, \
                   now() AS last_synced_at \
                 FROM range(2500) t(i); \
                 INSERT INTO history_open BY NAME SELECT source, key, kind, tracking, container, title, \
                   state, created_at, updated_at, content_hash, updated_at AS valid_from, \
                   updated_at AS recorded_at \
                 FROM items;",
            )
            .await
            .unwrap();
        store.close().await;
        let (items, secs) = duckdb_floor(&synced, dir.path()).await.unwrap();
        assert_eq!(items, 2_500);
        assert!(secs > 0.0, "{secs}");
        assert!(
            !dir.path().join("bench-floor.duckdb").exists(),
            "the floor's database is removed"
        );
    }
}
