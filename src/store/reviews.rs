//! Risk reviews recorded with `recur review record`: which risks a review
//! meeting went through, and on which day. Reports read them through the
//! `reviewed_on` macro (migration 0012); write-back carries the day into
//! each tracker's Last reviewed.

use chrono::{DateTime, NaiveDate, Utc};
use duckdb::params;

use super::{sql, Store, StoreError};

impl Store {
    /// Records that the risks `(source, key)` were reviewed on `on`; a risk
    /// already recorded for that day is left as it is. Returns how many
    /// reviews were new. One transaction: all or none.
    pub async fn record_reviews(
        &self,
        risks: Vec<(String, String)>,
        on: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.check_writable()?;
        self.call(move |conn| {
            let tx = conn.transaction().map_err(sql("begin review"))?;
            let mut new = 0;
            for (source, key) in &risks {
                new += tx
                    .execute(
                        "INSERT INTO risk_reviews (source, key, reviewed_on, recorded_at) \
                         VALUES (?, ?, CAST(? AS DATE), ?) ON CONFLICT DO NOTHING",
                        params![source, key, on.to_string(), at],
                    )
                    .map_err(sql("record review"))?;
            }
            tx.commit().map_err(sql("commit review"))?;
            Ok(new)
        })
        .await
    }
}
