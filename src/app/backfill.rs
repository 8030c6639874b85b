//! The history-backfill use case: after a sync, each source's tracked items
//! get their earlier versions from the tracker's change log (see
//! [`crate::backfill`]).

use crate::backfill::{BackfillJob, BackfillReport};
use crate::settings::{Settings, SourceSettings};
use crate::store::Store;
use crate::sync::SyncError;

use super::{Error, Run};

/// Backfills `sources`, one after another. A failing source does not stop
/// the others (shutdown does); the first failure is returned after all
/// have run, with the reports of those that ran.
#[tracing::instrument(skip_all, fields(sources = sources.len()), err)]
pub async fn backfill(
    store: &Store,
    settings: &Settings,
    sources: &[&SourceSettings],
    run: &Run<'_>,
) -> Result<Vec<BackfillReport>, Error> {
    // One DuckDB worker and the merge memory cap while it runs (see
    // as_merges).
    super::as_merges(store, settings, async {
    let mut reports = Vec::new();
    let mut first_error = None;
    for source in sources {
        let connector = match crate::sources::connector(source, &settings.sync) {
            Ok(c) => c,
            Err(e) => {
                first_error.get_or_insert(Error::Runtime(e.to_string()));
                continue;
            }
        };
        let job = BackfillJob {
            store,
            connector: connector.as_ref(),
            rules: &source.rules,
            settings: &settings.sync,
            sleeper: run.sleeper,
        };
        match job.run(run.shutdown.clone()).await {
            Ok(r) => reports.push(r),
            Err(e) => {
                tracing::error!(source = %source.name, error = %e, "History backfill failed; it continues next run.");
                let interrupted = matches!(e, SyncError::Interrupted);
                first_error.get_or_insert(Error::Sync(e));
                if interrupted {
                    break;
                }
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(reports),
    }
    })
    .await
}
