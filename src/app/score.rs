//! The score use case: one scoring run (and, the first time or when asked,
//! the past year's month ends from history).

use crate::clock::Clock;
use crate::scoring::ScoreSummary;
use crate::settings::Settings;
use crate::store::Store;

use super::Error;

/// Scores every tracked risk as of the run's clock. Returns the backfilled
/// past runs (oldest first, often none) and the run itself.
#[tracing::instrument(skip_all, fields(backfill), err)]
pub async fn score(
    store: &Store,
    settings: &Settings,
    clock: Clock,
    backfill: bool,
) -> Result<(Vec<ScoreSummary>, ScoreSummary), Error> {
    Ok(crate::scoring::score_now(store, &settings.scoring, clock.now(), backfill).await?)
}
