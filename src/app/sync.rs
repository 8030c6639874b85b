//! The sync use case: every given source, one after another, into an open
//! store, each recorded as a run.

use crate::settings::{Settings, SourceSettings};
use crate::store::Store;
use crate::sync::{SyncError, SyncJob, SyncReport};

use super::{Error, Progress, Run};

/// Syncs `sources` into `store`. A failing source does not stop the others
/// (shutdown does); the first failure is returned after all have run.
/// `progress` learns each source's name and then its running item count.
#[tracing::instrument(skip_all, fields(sources = sources.len(), full), err)]
pub async fn sync(
    store: &Store,
    settings: &Settings,
    sources: &[&SourceSettings],
    full: bool,
    run: &Run<'_>,
    progress: Option<Progress<'_>>,
) -> Result<Vec<SyncReport>, Error> {
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
            let name = source.name.as_str();
            let on_page = |n: u64| {
                if let Some(p) = progress {
                    p(name, n);
                }
            };
            on_page(0);
            let job = SyncJob {
                store,
                connector: connector.as_ref(),
                rules: &source.rules,
                settings: &settings.sync,
                sleeper: run.sleeper,
                full,
                on_page: Some(&on_page),
                clock: run.clock,
            };
            match job.run(run.shutdown.clone()).await {
                Ok(r) => reports.push(r),
                Err(e) => {
                    tracing::error!(source = %source.name, error = %e, "Sync failed.");
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
