//! The write-back use case: every given source's plan, then (unless a dry
//! run) its operations, from an open store.

use tracing::Instrument;

use crate::settings::{Settings, SourceSettings};
use crate::store::Store;
use crate::writeback::{WritebackError, WritebackJob, WritebackReport};

use super::{Error, Run, WritebackProgress};

/// Write-back for `sources`. A failing source does not stop the others
/// (shutdown does): the reports of the sources that ran come back either
/// way, with the first error. `progress` learns each source's name with
/// its operations settled and to send (see [`WritebackProgress`]).
pub async fn writeback(
    store: &Store,
    settings: &Settings,
    sources: &[&SourceSettings],
    dry_run: bool,
    run: &Run<'_>,
    progress: Option<WritebackProgress<'_>>,
) -> Result<Vec<WritebackReport>, (Vec<WritebackReport>, Error)> {
    let mut reports = Vec::new();
    let mut first_error: Option<Error> = None;
    for source in sources {
        let writer = match crate::sources::writer(source, &settings.sync) {
            Ok(w) => w,
            Err(e) => {
                first_error.get_or_insert(Error::Runtime(e.to_string()));
                continue;
            }
        };
        let job = WritebackJob {
            store,
            writer: writer.as_ref(),
            settings: &settings.writeback,
            retry: &settings.sync,
            deadlines: &settings.deadlines,
            sleeper: run.sleeper,
            clock: run.clock,
            dry_run,
        };
        let name = source.name.as_str();
        let on_op = |done: u64, total: u64| {
            if let Some(p) = progress {
                p(name, done, total);
            }
        };
        let span = tracing::info_span!("writeback", source = %source.name, dry_run);
        match job
            .run_with_progress(run.shutdown.clone(), Some(&on_op))
            .instrument(span)
            .await
        {
            Ok(r) => reports.push(r),
            Err(e) => {
                tracing::error!(source = %source.name, error = %e, "Write-back failed.");
                let interrupted = matches!(e, WritebackError::Interrupted);
                first_error.get_or_insert(Error::Runtime(format!("{}: {e}", source.name)));
                if interrupted {
                    break;
                }
            }
        }
    }
    match first_error {
        Some(e) => Err((reports, e)),
        None => Ok(reports),
    }
}
