//! The report use cases: any report of the catalogue by name, with a note
//! when history cannot fully answer for the asked day, and the HTML review
//! pack.

use chrono::NaiveDate;

use crate::reports::{ReportOutput, ReportParams};
use crate::settings::Settings;
use crate::store::Store;

use super::Error;

/// A report's answer, and what the reader should know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    /// The tables.
    pub output: ReportOutput,
    /// Set when the asked day lies before the history recur holds.
    pub note: Option<String>,
}

/// Runs the report `name` (built-in or from `[queries] dir`) with `params`.
#[tracing::instrument(skip_all, fields(report = name), err)]
pub async fn report(
    store: &Store,
    settings: &Settings,
    name: &str,
    params: &ReportParams,
) -> Result<Reported, Error> {
    let output = crate::reports::run(store, name, params, settings.queries_dir.as_deref()).await?;
    // A past day that history cannot fully answer says so.
    let note = match params.as_of {
        Some(d) => crate::reports::coverage(store, d)
            .await
            .map(|c| c.note())
            .unwrap_or(None),
        None => None,
    };
    Ok(Reported { output, note })
}

/// The review pack as of the end of `as_of`: one self-contained HTML page.
#[tracing::instrument(skip_all, fields(%as_of), err)]
pub async fn review(
    store: &Store,
    settings: &Settings,
    as_of: NaiveDate,
    params: &ReportParams,
) -> Result<String, Error> {
    Ok(crate::review::render(store, as_of, params, settings.queries_dir.as_deref()).await?)
}
