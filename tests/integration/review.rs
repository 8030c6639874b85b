//! The HTML review pack: `recur report review --format html`, its numbers
//! against the database, its charts, hostile text escaped, an empty
//! database, usage errors, and a real headless Chromium rendering it.

use std::path::PathBuf;
use std::process::Output;

use recur_sandbox::NewIssue;

use crate::common::recur_bin as recur;
use crate::common::*;

const HOSTILE: &str = "<script>alert(1)</script></svg></table> \"quoted\" \u{202E}rtl 🔥";

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A synced, twice-scored sandbox with a hostile action-item title; the
/// pack written to `review.html`.
async fn pack() -> (recur_sandbox::Sandbox, tempfile::TempDir, PathBuf, String) {
    let sb = small_sandbox().await;
    // Filed before the run's clock (the tests pin it at 23:59:59 of the
    // day before), so the pack as of that day holds it.
    sb.github()
        .set_edit_time(Some(clock().now() - chrono::Duration::hours(1)));
    sb.github().create_issue(
        "acme/payments",
        NewIssue {
            title: HOSTILE.into(),
            body: "### Owner\n\n@alice\n".into(),
            labels: vec!["postmortem".into()],
            pull_request: false,
            assignee: None,
            state_closed: None,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.duckdb");
    let cfg = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db);
    std::fs::write(dir.path().join("recur.toml"), cfg).unwrap();
    let o = recur(dir.path(), &["sync"]).await;
    assert!(o.status.success(), "sync: {}", err(&o));
    // A scoring run at the previous review (35 days ago): the top-risk
    // chart marks where each risk stood then; then today's run.
    let settings = recur::settings::Settings::load(&dir.path().join("recur.toml"), true).unwrap();
    let store = recur::store::Store::open(
        &db,
        recur::store::OpenMode::ReadWrite,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap();
    recur::scoring::score(
        &store,
        &settings.scoring,
        clock().now() - chrono::Duration::days(35),
    )
    .await
    .unwrap();
    store.close().await;
    let o = recur(dir.path(), &["score"]).await;
    assert!(o.status.success(), "score: {}", err(&o));
    let file = dir.path().join("review.html");
    let o = recur(
        dir.path(),
        &[
            "report",
            "review",
            "--format",
            "html",
            "--output",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(o.status.success(), "{}", err(&o));
    let html = std::fs::read_to_string(&file).unwrap();
    (sb, dir, file, html)
}

/// The SVG of the figure whose caption starts with `caption`.
fn figure<'a>(html: &'a str, caption: &str) -> &'a str {
    let start = html
        .find(&format!("<figcaption>{caption}"))
        .unwrap_or_else(|| panic!("no figure {caption:?}"));
    let rest = &html[start..];
    &rest[..rest.find("</figure>").unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pack_shows_the_databases_numbers_charts_and_tables_with_text_escaped() {
    let (sb, dir, file, html) = pack().await;
    let db = dir.path().join("r.duckdb");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "no network"
    );
    assert!(
        !html.contains("<script"),
        "no script at all, and the hostile one escaped"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;/svg&gt;&lt;/table&gt;"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // Headline: the same numbers as the database.
    // (As of the run's day: the pack reads the backlog as it stood then.)
    let open = scalar(
        &db,
        &format!(
            "SELECT count(*) FROM items_as_of(DATE '{}') \
             WHERE kind = 'action_item' AND tracking = 'tracked' AND state = 'open'",
            clock().today()
        ),
    )
    .await;
    assert!(
        html.contains(&format!("<b>{open}</b><span>open action items</span>")),
        "open action items {open}"
    );
    let p0 = scalar(
        &db,
        "SELECT count(*) FROM risk_scores WHERE active AND priority = 'P0'",
    )
    .await;
    assert!(html.contains(&format!("<b>{p0} / ")), "P0 count {p0}");

    // Charts: seven SVGs; bars per period; ten top risks with their marks.
    assert_eq!(html.matches("<svg").count(), 7);
    let periods = query(
        &db,
        &format!(
            "SELECT count(*) FROM ({})",
            recur::queries::get("health/trends_flow.sql")
                .sql
                .replace("$1::DATE", &format!("'{}'::DATE", clock().today()))
                .replace("$2::DATE", "NULL::DATE")
                .replace("$3::VARCHAR", "'month'")
                .replace("$4::VARCHAR", "NULL::VARCHAR")
        ),
    )
    .await[0][0]
        .as_i64()
        .unwrap() as usize;
    let flow = figure(&html, "Action items opened and closed");
    assert_eq!(flow.matches("<rect").count(), 2 * periods + 2, "{flow}");
    let top = figure(&html, "Top 10 risks");
    let scored = scalar(&db, "SELECT count(*) FROM risk_scores WHERE active").await;
    assert_eq!(top.matches("<rect").count() as i64, scored.min(10));
    // A mark for each top risk that was scored at the previous review.
    let q = recur::queries::get("review/top_risks.sql");
    let prev = clock().today() - chrono::Duration::days(30);
    let marked = query(
        &db,
        &format!(
            "SELECT count(previous_bad_minutes) FROM ({})",
            q.sql
                .replace(
                    "$1::TIMESTAMPTZ",
                    &format!("TIMESTAMPTZ '{}'", clock().now().to_rfc3339()),
                )
                .replace(
                    "$2::TIMESTAMPTZ",
                    &format!("TIMESTAMPTZ '{prev} 23:59:59.999999+00'")
                )
        ),
    )
    .await[0][0]
        .as_i64()
        .unwrap();
    assert!(marked >= 5, "most top risks existed a review ago: {marked}");
    assert_eq!(top.matches("class=\"prev\"").count() as i64, marked);
    let burn = figure(&html, "Burn-down");
    assert!(
        burn.contains("<polyline") || burn.contains("<rect"),
        "{burn}"
    );
    for caption in [
        "Open action items by priority",
        "Completed in the last 90 days",
    ] {
        assert!(figure(&html, caption).contains("<rect"), "{caption}");
    }

    // Leverage: one bar per open item with a known effort that reduces a
    // scored risk, at most ten.
    let leverage = scalar(
        &db,
        &format!(
            "SELECT count(*) FROM item_risks(DATE '{}') \
             WHERE state = 'open' AND risk_minutes > 0 AND effort_days IS NOT NULL",
            clock().today()
        ),
    )
    .await;
    let lev = figure(&html, "Highest leverage");
    if leverage == 0 {
        assert!(lev.contains("no data yet"), "{lev}");
    } else {
        assert_eq!(
            lev.matches("<rect").count() as i64,
            leverage.min(10),
            "{lev}"
        );
    }

    // Tables of the reports, with known keys.
    for h in [
        "Follow-through after incidents",
        "Repeatedly deferred",
        "This week: idle and blocked",
        "Monthly review",
        "Quarterly review",
        "Repeat incidents",
        "Risk registry",
        "Action items failing the acceptance rule",
    ] {
        assert!(html.contains(&format!("<h2>{h}</h2>")), "{h}");
    }
    assert!(
        html.contains("acme/payments#3"),
        "the contrast risk is in the registry"
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_database_renders_and_formats_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.duckdb");
    std::fs::write(
        dir.path().join("recur.toml"),
        format!("[store]\npath = {:?}\n", db.display().to_string()),
    )
    .unwrap();
    recur::store::Store::open(
        &db,
        recur::store::OpenMode::ReadWrite,
        recur::settings::DEFAULT_MEMORY_LIMIT,
    )
    .await
    .unwrap()
    .close()
    .await;
    let o = recur(dir.path(), &["report", "review", "--format", "html"]).await;
    assert!(o.status.success(), "{}", err(&o));
    let html = String::from_utf8_lossy(&o.stdout);
    // Charts with nothing to draw say so (the monthly flow still has its
    // twelve empty months).
    for caption in ["Open action items by priority", "Burn-down", "Top 10 risks"] {
        assert!(figure(&html, caption).contains("no data yet"), "{caption}");
    }
    assert!(html.ends_with("</html>"));

    let o = recur(dir.path(), &["report", "review"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--format html"), "{}", err(&o));
    let o = recur(dir.path(), &["report", "aging", "--format", "html"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("only for"), "{}", err(&o));
}

/// Headless Chromium loads the pack, takes a screenshot, and reports each
/// SVG's rendered size through a probe script added to a copy of the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_chromium_renders_every_chart() {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let Some(chromium) = chromium else {
        if std::env::var("RECUR_SKIP_BROWSER").is_ok() {
            eprintln!("SKIPPED: no chromium and RECUR_SKIP_BROWSER is set");
            return;
        }
        panic!("chromium is not installed (.ci/run installs it; RECUR_SKIP_BROWSER=1 skips)");
    };
    let (sb, dir, _file, html) = pack().await;
    let probe = r#"<script>
addEventListener('load', () => {
  const sizes = [...document.querySelectorAll('svg')].map(s => {
    const b = s.getBBox(); return [Math.round(b.width), Math.round(b.height), s.querySelectorAll('rect,polyline,line,text').length];
  });
  document.body.setAttribute('data-svg', JSON.stringify(sizes));
});
</script></body>"#;
    let probed = dir.path().join("probed.html");
    // The pack forbids scripts (CSP); the probe's copy lifts that.
    assert!(html.contains(recur::review::CSP));
    std::fs::write(
        &probed,
        html.replace(recur::review::CSP, "")
            .replace("</body>", probe),
    )
    .unwrap();
    let shot = dir.path().join("shot.png");
    let run = |args: Vec<String>| {
        std::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .args(args)
            .output()
            .expect("chromium runs")
    };
    let url = format!("file://{}", probed.display());
    let dom = run(vec![
        "--virtual-time-budget=2000".into(),
        "--dump-dom".into(),
        url.clone(),
    ]);
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    let logs = String::from_utf8_lossy(&dom.stderr);
    let attr = dom_text
        .split("data-svg=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("the probe did not run: {dom_text:.2000}"))
        .replace("&quot;", "\"");
    let sizes: Vec<(u32, u32, u32)> = serde_json::from_str(&attr).unwrap();
    assert_eq!(sizes.len(), 7, "{sizes:?}");
    for (i, (w, h, n)) in sizes.iter().enumerate() {
        assert!(
            *w > 100 && *h > 20 && *n > 3,
            "chart {i} rendered empty: {sizes:?}"
        );
    }
    let errors: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    let shot_arg = format!("--screenshot={}", shot.display());
    let o = run(vec![shot_arg, "--window-size=1200,2400".into(), url]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(
        png.len() > 30_000,
        "a blank page compresses to a few KB: {}",
        png.len()
    );
    sb.shutdown().await;
}
