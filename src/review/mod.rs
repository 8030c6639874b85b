//! The review pack: `recur report review --format html`, one self-contained
//! HTML file for the monthly or quarterly reliability review. Headline
//! numbers, six charts drawn in Rust ([`svg`]), and the tables of the
//! followups, deferred, weekly, monthly, quarterly, repeats, registry and
//! lint reports. No network: CSS and SVG are inline, there is no script. Every number comes from the
//! same SQL as the reports (`queries/review/` for the headline and the top
//! risks); every text is escaped.

pub mod svg;

use std::fmt::Write;

use chrono::{DateTime, NaiveDate, Utc};
use duckdb::types::Value;
use serde_json::Value as J;

use crate::queries;
use crate::reports::{ReportError, ReportOutput, ReportParams};
use crate::store::{QueryResult, Store};
use svg::escape;

/// Rows shown per table; the rest is counted.
const TABLE_ROWS: usize = 50;

fn date32(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn f(v: &J) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn text(v: &J) -> String {
    match v {
        J::Null => String::new(),
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Items shown of a list in a table cell; the rest are counted.
const CELL_ITEMS: usize = 20;

/// A table cell's text. Lists (keys, services) read as words, the first
/// [`CELL_ITEMS`] of them and a count of the others: `cross_cutting` lists
/// every open item of a theme, 40,000 keys in one cell over 1M items (13
/// MB of the page).
fn cell_text(v: &J) -> String {
    match v {
        J::Array(items) => {
            let mut words: Vec<String> = items.iter().take(CELL_ITEMS).map(text).collect();
            if items.len() > CELL_ITEMS {
                words.push(format!("… and {} more", items.len() - CELL_ITEMS));
            }
            words.join(", ")
        }
        other => text(other),
    }
}

fn section<'a>(out: &'a ReportOutput, name: &str) -> Option<&'a QueryResult> {
    match out {
        ReportOutput::Rows(r) => Some(r),
        // Sections are named by key (`flow`) or by title (`Burn-down: …`).
        ReportOutput::Sections(s) => s
            .iter()
            .find(|(n, _)| n == name || n.starts_with(name))
            .map(|(_, r)| r),
    }
}

fn col(r: &QueryResult, name: &str) -> Option<usize> {
    r.columns.iter().position(|c| c == name)
}

/// A report shown as tables: its first [`TABLE_ROWS`] rows a section, and
/// each section's number of rows.
struct Shown {
    output: ReportOutput,
    totals: Vec<usize>,
}

/// Renders one table (or each section of a sectioned report).
fn tables(html: &mut String, title: &str, shown: &Shown) {
    let _ = write!(html, "<section class=\"report\"><h2>{}</h2>", escape(title));
    let parts: Vec<(String, &QueryResult)> = match &shown.output {
        ReportOutput::Rows(r) => vec![(String::new(), r)],
        ReportOutput::Sections(s) => s.iter().map(|(n, r)| (n.replace('_', " "), r)).collect(),
    };
    for ((name, r), total) in parts.into_iter().zip(&shown.totals) {
        if !name.is_empty() {
            let _ = write!(html, "<h3>{}</h3>", escape(&name));
        }
        if r.rows.is_empty() {
            html.push_str("<p class=\"empty\">no rows</p>");
            continue;
        }
        html.push_str("<table><thead><tr>");
        for c in &r.columns {
            let _ = write!(html, "<th>{}</th>", escape(c));
        }
        html.push_str("</tr></thead><tbody>");
        for row in r.rows.iter().take(TABLE_ROWS) {
            html.push_str("<tr>");
            for v in row {
                let cell = cell_text(v);
                let class = if v.is_number() { " class=\"num\"" } else { "" };
                let _ = write!(html, "<td{class}>{}</td>", escape(&cell));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
        if *total > TABLE_ROWS {
            let _ = write!(
                html,
                "<p class=\"more\">{} more rows: <code>recur report</code> shows them all.</p>",
                total - TABLE_ROWS
            );
        }
    }
    html.push_str("</section>");
}

/// The page fetches nothing and runs nothing: inline styles only.
pub const CSP: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">";

const CSS: &str = "
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#1d2330;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dde6;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px;text-transform:capitalize}
.report{overflow-x:auto}
.meta{color:#5b6475;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.card{border:1px solid #d8dde6;border-radius:6px;padding:10px 12px;background:#f7f9fc}
.card b{display:block;font-size:22px}.card span{color:#5b6475;font-size:12px}
figure{margin:12px 0 20px}figcaption{font-weight:600;margin-bottom:4px}
table{border-collapse:collapse;width:100%;font-size:12px;margin-bottom:8px}
th,td{border-bottom:1px solid #e6e9ef;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f3f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.empty,.more{color:#5b6475;font-style:italic}
svg .grid{stroke:#e6e9ef}svg .tick,svg .legend{font-size:11px;fill:#5b6475}svg .empty{font-size:13px;fill:#8a93a5}
svg .s0{fill:#3b6fd8}svg .s1{fill:#e07b39}svg .s2{fill:#3aa57a}svg .s3{fill:#a05ad6}
svg .l0{fill:none;stroke:#3b6fd8;stroke-width:2}svg .l1{fill:none;stroke:#e07b39;stroke-width:2}
svg .l2{fill:none;stroke:#3aa57a;stroke-width:2}svg .l3{fill:none;stroke:#a05ad6;stroke-width:2}
svg .prev{stroke:#1d2330;stroke-width:2}
";

/// The budget share as a card: a percentage of one yearly error budget, or
/// a multiple of it when the risks would spend more than one.
fn budget_card(share: f64) -> (String, &'static str) {
    if share >= 1.0 {
        (
            format!("{}×", crate::writeback::sig3(share)),
            "the yearly error budget, expected",
        )
    } else {
        (
            format!("{}%", crate::writeback::sig3(share * 100.0)),
            "of the yearly error budget, expected",
        )
    }
}

/// Period labels: `2026-03-01` → `2026-03` when every label is a month start.
fn short_periods(xs: Vec<String>) -> Vec<String> {
    if xs.iter().all(|x| x.len() == 10 && x.ends_with("-01")) {
        xs.into_iter().map(|x| x[..7].to_string()).collect()
    } else {
        xs
    }
}

/// The days between two reviews when `--days` does not say: the top-risk
/// chart marks each risk where it stood one review period earlier.
pub const REVIEW_PERIOD_DAYS: i64 = 30;

/// Builds the whole page as of the end of `as_of` (UTC) with the report
/// settings in `base` (deadlines, look-back; its `days`, when given, is the
/// review period the top-risk marks compare with).
pub async fn render(
    store: &Store,
    as_of: NaiveDate,
    base: &ReportParams,
    user_dir: Option<&std::path::Path>,
) -> Result<String, ReportError> {
    let now = crate::reports::end_of_day(as_of);
    let period = base.days.unwrap_or(REVIEW_PERIOD_DAYS);
    let previous = crate::reports::end_of_day(as_of - chrono::Days::new(period.max(1) as u64));
    let params = ReportParams {
        as_of: Some(as_of),
        days: None,
        ..base.clone()
    };
    let run = |name: &'static str| {
        let params = params.clone();
        async move { crate::reports::run(store, name, &params, user_dir).await }
    };
    // The reports shown as tables only: their first rows and their counts
    // (held whole, the eleven reports over 1M items took 1.7 GB).
    let shown = |name: &'static str, whole: &'static [&'static str]| {
        let params = params.clone();
        async move {
            crate::reports::run_kept(store, name, &params, user_dir, TABLE_ROWS, whole)
                .await
                .map(|(output, totals)| Shown { output, totals })
        }
    };
    let q = queries::get("review/headline.sql");
    let headline = store
        .query(q.name, q.sql, vec![Value::Date32(date32(as_of))])
        .await
        .map_err(ReportError::Query)?;
    let q = queries::get("review/top_risks.sql");
    let moment =
        |t: DateTime<Utc>| Value::Text(t.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string());
    let top = store
        .query(q.name, q.sql, vec![moment(now), moment(previous)])
        .await
        .map_err(ReportError::Query)?;
    // Charts read these whole: a few rows each (buckets, months, scoring
    // days).
    let aging = run("aging").await?;
    let trends = run("trends").await?;
    let movement = run("movement").await?;
    // Charts read two sections of these: completion_by_effect whole (a
    // row per effect, however many), and risk_reduction's best ten, which
    // come first.
    let quarterly = shown("quarterly", &["completion_by_effect"]).await?;
    let monthly = shown("monthly", &[]).await?;
    let repeats = shown("repeats", &[]).await?;
    let registry = shown("registry", &[]).await?;
    let lint = shown("lint", &[]).await?;
    let followups = shown("followups", &[]).await?;
    let deferred = shown("deferred", &[]).await?;
    let weekly = shown("weekly", &[]).await?;

    let mut html = String::with_capacity(256 * 1024);
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">{CSP}<title>Reliability review, {as_of}</title><style>{CSS}</style></head><body>"
    );
    let _ = write!(
        html,
        "<h1>Reliability review</h1><p class=\"meta\">As of {as_of} (UTC). Written by recur from the postmortem backlog; every number is a report you can rerun with <code>recur report</code>.</p>"
    );

    // Headline numbers.
    let h = headline.to_objects().into_iter().next().unwrap_or_default();
    let overdue = section(&aging, "aging")
        .and_then(|r| {
            let (p, b, o) = (col(r, "priority")?, col(r, "bucket")?, col(r, "overdue")?);
            r.rows
                .iter()
                .find(|row| row[p] == "all" && row[b] == "all")
                .map(|row| f(&row[o]))
        })
        .unwrap_or(0.0);
    let get = |k: &str| h.get(k).map(f).unwrap_or(0.0);
    let cards = [
        (
            format!("{}", get("open_action_items") as i64),
            "open action items",
        ),
        (format!("{}", overdue as i64), "overdue"),
        (format!("{}", get("open_risks") as i64), "open risks"),
        (
            crate::writeback::sig3(get("open_bad_minutes")),
            "expected bad minutes / year",
        ),
        budget_card(get("open_budget_share")),
        (
            format!(
                "{} / {} / {} / {}",
                get("p0") as i64,
                get("p1") as i64,
                get("p2") as i64,
                get("p3") as i64
            ),
            "risks P0 / P1 / P2 / P3",
        ),
        (
            format!("{}", get("done_last_30_days") as i64),
            "action items done, last 30 days",
        ),
    ];
    html.push_str("<section><h2>Headline</h2><div class=\"cards\">");
    for (v, label) in cards {
        let _ = write!(
            html,
            "<div class=\"card\"><b>{}</b><span>{}</span></div>",
            escape(&v),
            escape(label)
        );
    }
    html.push_str("</div></section><section><h2>Charts</h2>");

    let mut figure = |caption: &str, svg: svg::Svg| {
        let _ = write!(
            html,
            "<figure><figcaption>{}</figcaption>{}</figure>",
            escape(caption),
            svg.render()
        );
    };

    // 1. Open items over time, opened and closed per period.
    let flow = section(&trends, "flow");
    let (xs, opened, closed, open_end) = flow
        .and_then(|r| {
            let (s, o, c, e) = (
                col(r, "period_start")?,
                col(r, "opened")?,
                col(r, "closed")?,
                col(r, "open_at_end")?,
            );
            Some((
                r.rows.iter().map(|row| text(&row[s])).collect::<Vec<_>>(),
                r.rows.iter().map(|row| f(&row[o])).collect::<Vec<_>>(),
                r.rows.iter().map(|row| f(&row[c])).collect::<Vec<_>>(),
                r.rows.iter().map(|row| f(&row[e])).collect::<Vec<_>>(),
            ))
        })
        .unwrap_or_default();
    let xs = short_periods(xs);
    figure(
        "Action items opened and closed per month",
        svg::bars(
            "Action items opened and closed per month",
            &xs,
            &[("opened".into(), opened), ("closed".into(), closed)],
        ),
    );
    figure(
        "Open action items at each month's end",
        svg::lines(
            "Open action items at each month's end",
            &xs,
            &[("open at end".into(), open_end)],
        ),
    );

    // 2. Aging by priority against deadlines.
    let (cats, open, over) = section(&aging, "aging")
        .and_then(|r| {
            let (p, b, o, d) = (
                col(r, "priority")?,
                col(r, "bucket")?,
                col(r, "open")?,
                col(r, "overdue")?,
            );
            let rows: Vec<&Vec<J>> = r
                .rows
                .iter()
                .filter(|row| row[b] == "all" && row[p] != "all")
                .collect();
            Some((
                rows.iter().map(|row| text(&row[p])).collect::<Vec<_>>(),
                rows.iter().map(|row| f(&row[o])).collect::<Vec<_>>(),
                rows.iter().map(|row| f(&row[d])).collect::<Vec<_>>(),
            ))
        })
        .unwrap_or_default();
    figure(
        "Open action items by priority, and how many are past their deadline",
        svg::bars(
            "Aging by priority",
            &cats,
            &[("open".into(), open), ("overdue".into(), over)],
        ),
    );

    // 3. Burn-down of open bad minutes.
    let (days, minutes) = section(&movement, "Burn-down")
        .and_then(|r| {
            let (d, m) = (col(r, "day")?, col(r, "open_bad_minutes_per_year")?);
            Some((
                r.rows.iter().map(|row| text(&row[d])).collect::<Vec<_>>(),
                r.rows.iter().map(|row| f(&row[m])).collect::<Vec<_>>(),
            ))
        })
        .unwrap_or_default();
    figure(
        "Burn-down: expected bad minutes per year of the active risks, per scoring day",
        svg::lines(
            "Burn-down of open bad minutes",
            &days,
            &[("open bad minutes / year".into(), minutes)],
        ),
    );

    // 4. Top-10 risks and their movement since the last scoring run.
    let top_rows: Vec<(String, f64, Option<f64>)> = top
        .to_objects()
        .into_iter()
        .map(|r| {
            (
                format!(
                    "{} {} {}",
                    text(&r["priority"]),
                    text(&r["key"]),
                    text(&r["title"])
                ),
                f(&r["bad_minutes_per_year"]),
                r["previous_bad_minutes"].as_f64(),
            )
        })
        .collect();
    figure(
        "Top 10 risks by expected bad minutes per year (mark: where each stood at the previous review)",
        svg::hbars("Top 10 risks", &top_rows),
    );

    // 5. Completion mix by reliability effect.
    let (effects, completed, open_mix) = section(&quarterly.output, "completion_by_effect")
        .and_then(|r| {
            let (e, c, o) = (col(r, "effect")?, col(r, "completed")?, col(r, "open")?);
            Some((
                r.rows.iter().map(|row| text(&row[e])).collect::<Vec<_>>(),
                r.rows.iter().map(|row| f(&row[c])).collect::<Vec<_>>(),
                r.rows.iter().map(|row| f(&row[o])).collect::<Vec<_>>(),
            ))
        })
        .unwrap_or_default();
    figure(
        "Completed in the last 90 days and still open, by reliability effect",
        svg::bars(
            "Completion mix by reliability effect",
            &effects,
            &[("completed".into(), completed), ("open".into(), open_mix)],
        ),
    );

    // 6. Leverage: which open items reduce the most risk per day of effort.
    let leverage: Vec<(String, f64, Option<f64>)> = section(&monthly.output, "risk_reduction")
        .map(|r| {
            r.to_objects()
                .into_iter()
                .filter(|row| row["minutes_per_effort_day"].as_f64().is_some())
                .take(10)
                .map(|row| {
                    (
                        format!("{} {}", text(&row["key"]), text(&row["title"])),
                        f(&row["minutes_per_effort_day"]),
                        None,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    figure(
        "Highest leverage: expected bad minutes per year of the risk reduced, per day of effort (open items with a known effort)",
        svg::hbars("Risk reduced per day of effort", &leverage),
    );
    html.push_str("</section>");

    tables(&mut html, "Follow-through after incidents", &followups);
    tables(&mut html, "Repeatedly deferred", &deferred);
    tables(&mut html, "This week: idle and blocked", &weekly);
    tables(&mut html, "Monthly review", &monthly);
    tables(&mut html, "Quarterly review", &quarterly);
    tables(&mut html, "Repeat incidents", &repeats);
    tables(&mut html, "Risk registry", &registry);
    tables(&mut html, "Action items failing the acceptance rule", &lint);
    html.push_str("<footer class=\"meta\"><p>Generated by recur.</p></footer></body></html>");
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (review pack size): a list in a table cell reads as words
    /// and shows its first items with a count of the others, not the
    /// whole list as JSON (one `cross_cutting` cell held 40,000 keys).
    #[test]
    fn a_long_list_in_a_cell_shows_its_first_items_and_counts_the_rest() {
        let keys: Vec<J> = (0..45).map(|i| J::from(format!("acme/ops#{i}"))).collect();
        let cell = cell_text(&J::Array(keys));
        assert!(cell.starts_with("acme/ops#0, acme/ops#1, "), "{cell}");
        assert!(cell.contains("acme/ops#19, … and 25 more"), "{cell}");
        assert!(!cell.contains("acme/ops#20"), "{cell}");
        assert_eq!(
            cell_text(&serde_json::json!(["svc0", "svc1"])),
            "svc0, svc1"
        );
        assert_eq!(cell_text(&J::from(3)), "3");
        assert_eq!(cell_text(&J::Null), "");
    }
}
