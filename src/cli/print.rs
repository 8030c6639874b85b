//! What the commands print: sync and write-back summaries, the status
//! table, and the progress display on stderr (a spinner or a bar per long
//! step, only when stderr is a terminal and `-q` was not given, so that
//! nothing of it reaches a file, a pipe or journald).

use std::io::Write;

use crate::app::Error;
use crate::output::{self, Format};
use crate::settings::{ConfigLocation, Settings};
use crate::store::{OpenMode, Store, StoreError};

/// One line per synced source.
pub(super) fn print_sync(reports: &[crate::sync::SyncReport]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    for r in reports {
        writeln!(
            out,
            "{}: {} containers, {} items seen, {} new or changed, {} gone, {} requests ({} not modified){}",
            r.source,
            r.containers,
            r.stats.items_seen,
            r.stats.items_upserted,
            r.gone,
            r.stats.api_requests,
            r.stats.not_modified,
            if r.reconciled { ", reconciled" } else { "" }
        )?;
    }
    Ok(())
}

/// One line per backfilled source (nothing when there was nothing to do).
pub(super) fn print_backfill(reports: &[crate::backfill::BackfillReport]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    for r in reports.iter().filter(|r| r.requests > 0 || r.items > 0) {
        writeln!(
            out,
            "{}: history backfill: {} items rebuilt ({} versions) from {} events, {} requests (least possible {}){}",
            r.source,
            r.items,
            r.versions,
            r.events,
            r.requests,
            r.minimum_requests,
            if r.remaining > 0 {
                format!(", {} items left for the next run", r.remaining)
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}

pub(super) fn print_writeback(
    reports: &[crate::writeback::WritebackReport],
    format: Format,
    dry_run: bool,
) -> Result<(), Error> {
    if format == Format::Json {
        return super::json::emit(&super::json::WritebackDoc::new(reports, dry_run));
    }
    let mut out = std::io::stdout().lock();
    let rows: Vec<Vec<serde_json::Value>> = reports
        .iter()
        .flat_map(|r| r.rows.iter())
        .map(|row| {
            vec![
                row.source.clone().into(),
                row.key.clone().into(),
                row.op.clone().into(),
                row.change.clone().into(),
                row.state.clone().into(),
                match &row.error {
                    Some(e) => format!("{} ({e})", row.reason).into(),
                    None => row.reason.clone().into(),
                },
            ]
        })
        .collect();
    if !rows.is_empty() {
        let table = crate::store::QueryResult {
            columns: ["source", "key", "op", "change", "state", "reason"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows,
        };
        output::write(&mut out, &table, format)?;
    }
    for r in reports {
        let c = r.counts;
        if dry_run {
            writeln!(
                out,
                "{}: dry run, {} operation(s) planned, nothing written{}",
                r.source,
                c.planned,
                if c.deferred > 0 {
                    format!(
                        " ({} over [writeback] max_operations would wait for the next run)",
                        c.deferred
                    )
                } else {
                    String::new()
                }
            )?;
        } else {
            writeln!(
                out,
                "{}: {} planned, {} applied, {} failed, {} skipped, {} left for the next run; {} write requests, {} requests in all",
                r.source, c.planned, c.applied, c.failed, c.skipped, c.deferred, c.writes, c.requests
            )?;
        }
        for (key, label) in &r.suppressed {
            writeln!(out, "{}: {key}: {label} was removed by a person; not added again until its value changes", r.source)?;
        }
        for (key, why) in &r.invalid {
            writeln!(out, "{}: {key}: labels not written: {why}", r.source)?;
        }
    }
    Ok(())
}

/// Whether progress is shown: stderr is a terminal and `-q` was not given.
pub(super) fn progress_wanted(quiet: bool) -> bool {
    use std::io::IsTerminal;
    !quiet && std::io::stderr().is_terminal()
}

fn styled(bar: indicatif::ProgressBar, template: &str) -> indicatif::ProgressBar {
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// The sync spinner: the source and its running item count.
pub(super) fn sync_spinner(shown: bool) -> Option<indicatif::ProgressBar> {
    shown.then(|| {
        styled(
            indicatif::ProgressBar::new_spinner(),
            "{spinner} {prefix}: {pos} items synced ({elapsed})",
        )
    })
}

/// A spinner for a step whose length is not known in advance (history
/// backfill, scoring, export): what it does and for how long.
pub(super) fn spinner(shown: bool, message: String) -> Option<indicatif::ProgressBar> {
    shown.then(|| {
        let p = styled(
            indicatif::ProgressBar::new_spinner(),
            "{spinner} {msg} ({elapsed})",
        );
        p.set_message(message);
        p
    })
}

/// The write-back bar: paced writes are slow by design (GitHub's secondary
/// limits), so the bar shows how many are settled and an ETA.
pub(super) fn writeback_bar(shown: bool) -> Option<indicatif::ProgressBar> {
    shown.then(|| {
        styled(
            indicatif::ProgressBar::new(0),
            "{prefix}: [{bar:30}] {pos}/{len} writes, ETA {eta} ({elapsed})",
        )
    })
}

pub(super) async fn status(
    settings: &Settings,
    location: &ConfigLocation,
    format: Format,
) -> Result<(), Error> {
    let names: Vec<String> = settings.sources.iter().map(|s| s.name.clone()).collect();
    let rows = match Store::open(
        &settings.store_path,
        OpenMode::ReadOnly,
        &settings.memory_limit,
    )
    .await
    {
        Ok(store) => {
            let r = store.source_status(names).await;
            store.close().await;
            r?
        }
        Err(StoreError::Missing { .. }) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    if format == Format::Json {
        return super::json::emit(&super::json::StatusDoc::new(location, settings, &rows));
    }
    let mut result = crate::store::QueryResult {
        columns: [
            "source",
            "last_sync",
            "last_status",
            "items_tracked",
            "items_other",
            "api_requests",
            "rate_limit_left",
            "rate_limit_reset",
            "last_error",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: Vec::new(),
    };
    for s in &settings.sources {
        let st = rows.iter().find(|r| r.source == s.name);
        let j = |v: Option<serde_json::Value>| v.unwrap_or(serde_json::Value::Null);
        result.rows.push(vec![
            s.name.clone().into(),
            j(st.and_then(|r| r.last_success_at)
                .map(|t| t.to_rfc3339().into())),
            j(st.and_then(|r| r.last_status.clone()).map(Into::into)).or_never(),
            j(st.map(|r| r.items_tracked.into())),
            j(st.map(|r| r.items_other.into())),
            j(st.map(|r| r.last_api_requests.into())),
            j(st.and_then(|r| r.rate_remaining).map(|v| {
                format!(
                    "{v}/{}",
                    st.and_then(|r| r.rate_limit)
                        .map(|l| l.to_string())
                        .unwrap_or("?".into())
                )
                .into()
            })),
            j(st.and_then(|r| r.rate_reset).map(|t| t.to_rfc3339().into())),
            j(st.and_then(|r| r.last_error.clone()).map(Into::into)),
        ]);
    }
    if format == Format::Table {
        match &location.path {
            Some(p) => println!(
                "config: {} (found by {})",
                p.display(),
                location.origin.describe()
            ),
            None => println!("config: none ({})", location.origin.describe()),
        }
        println!("database: {}", settings.store_path.display());
    }
    output::write(&mut std::io::stdout().lock(), &result, format)?;
    Ok(())
}

trait OrNever {
    fn or_never(self) -> serde_json::Value;
}

impl OrNever for serde_json::Value {
    /// A source that never ran says so instead of showing an empty cell.
    fn or_never(self) -> serde_json::Value {
        if self.is_null() {
            "never synced".into()
        } else {
            self
        }
    }
}

/// The risks a `recur review record` marked, and what happens next.
pub(super) fn reviewed(
    rows: &[crate::app::Reviewed],
    writes_back: bool,
    format: Format,
) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, rows).map_err(|e| Error::Runtime(e.to_string()))?;
        writeln!(out)?;
        return Ok(());
    }
    let table = crate::store::QueryResult {
        columns: [
            "source",
            "risk",
            "priority",
            "title",
            "reviewed_on",
            "recorded",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.source.clone().into(),
                    r.key.clone().into(),
                    r.priority.clone().into(),
                    r.title.clone().into(),
                    r.reviewed_on.to_string().into(),
                    if r.new { "new" } else { "already recorded" }.into(),
                ]
            })
            .collect(),
    };
    output::write(&mut out, &table, format)?;
    if format == Format::Table {
        let new = rows.iter().filter(|r| r.new).count();
        writeln!(
            out,
            "{new} of {} risks recorded as reviewed.{}",
            rows.len(),
            if writes_back {
                " The next write-back sets their Last reviewed in the trackers."
            } else {
                " ([writeback] last_reviewed = false: the trackers are left as they are.)"
            }
        )?;
    }
    Ok(())
}

/// `recur check`: one line per check, ✓ or ✗, with what to do.
pub(super) fn checked(c: &crate::app::Checked, format: Format) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, c).map_err(|e| Error::Runtime(e.to_string()))?;
        writeln!(out)?;
        return Ok(());
    }
    let mut rows: Vec<(String, &recur_core::Check)> = Vec::new();
    for s in &c.sources {
        for check in &s.checks {
            rows.push((s.source.clone(), check));
        }
    }
    rows.push((String::new(), &c.database));
    if format == Format::Csv {
        let table = crate::store::QueryResult {
            columns: ["source", "check", "target", "ok", "detail", "fix"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows: rows
                .iter()
                .map(|(s, ch)| {
                    vec![
                        s.clone().into(),
                        ch.check.clone().into(),
                        ch.target.clone().into(),
                        ch.ok.into(),
                        ch.detail.clone().into(),
                        ch.fix.clone().into(),
                    ]
                })
                .collect(),
        };
        output::write(&mut out, &table, format)?;
        return Ok(());
    }
    for (source, ch) in rows {
        let mark = if ch.ok { "✓" } else { "✗" };
        let what = [source.as_str(), ch.check.as_str(), ch.target.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        writeln!(out, "{mark} {what}: {}", ch.detail)?;
        if let Some(fix) = &ch.fix {
            writeln!(out, "    → {fix}")?;
        }
    }
    let failed = c
        .sources
        .iter()
        .flat_map(|s| &s.checks)
        .chain(std::iter::once(&c.database))
        .filter(|ch| !ch.ok)
        .count();
    if failed == 0 {
        writeln!(out, "All checks passed.")?;
    } else {
        writeln!(out, "{failed} check(s) failed.")?;
    }
    Ok(())
}
