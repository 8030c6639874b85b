//! The report use cases: any report of the catalogue by name, with a note
//! when history cannot fully answer for the asked day, and the HTML review
//! pack.

use chrono::NaiveDate;

use crate::reports::{Renderer, ReportParams};
use crate::settings::Settings;
use crate::store::Store;

use super::Error;

/// Runs the report `name` (built-in or from `[queries] dir`) with `params`,
/// writing its answer through `out` as it is read (`recur report`,
/// `/reports/NAME.json`): an answer of hundreds of thousands of rows is
/// never held. Gives the renderer back, to be finished, with the note.
#[tracing::instrument(skip_all, fields(report = name), err)]
pub async fn report_into<W: std::io::Write + Send + 'static>(
    store: &Store,
    settings: &Settings,
    name: &str,
    params: &ReportParams,
    out: Renderer<W>,
) -> Result<(Renderer<W>, Option<String>), Error> {
    let out =
        crate::reports::run_into(store, name, params, settings.queries_dir.as_deref(), out).await?;
    Ok((out, note(store, params).await))
}

/// A past day that history cannot fully answer says so.
async fn note(store: &Store, params: &ReportParams) -> Option<String> {
    match params.as_of {
        Some(d) => crate::reports::coverage_note(store, d)
            .await
            .unwrap_or(None),
        None => None,
    }
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
