//! Writing a scoring run: its row in `score_runs`, its per-risk rows in
//! `score_history` and its reversals in `score_reversals` land in one
//! transaction, so a reader (or a kill) never sees half a run. The values
//! are computed by [`crate::scoring`]; this file only knows the tables.

use duckdb::types::Value;

use super::{sql, Store, StoreError};

impl Store {
    /// Records one scoring run and returns its new `run_id`: a row in
    /// `score_runs` (`run_columns` ← `run_values`) and `rows` appended to
    /// `score_history` by column name (`row_columns`), both with that id.
    /// Column names are static identifiers from the caller, never data.
    pub(crate) async fn record_score_run(
        &self,
        run_columns: &'static [&'static str],
        run_values: Vec<Value>,
        row_columns: &'static [&'static str],
        rows: Vec<Vec<Value>>,
        reversals: Vec<[Value; 4]>,
    ) -> Result<i64, StoreError> {
        self.check_writable()?;
        self.call(move |conn| {
            let tx = conn.transaction().map_err(sql("begin score run"))?;
            let run_id: i64 = tx
                .query_row("SELECT nextval('score_run_ids')", [], |r| r.get(0))
                .map_err(sql("allocate score run id"))?;
            let marks = vec!["?"; run_columns.len()].join(", ");
            let insert = format!(
                "INSERT INTO score_runs (run_id, {}) VALUES (?, {marks})",
                run_columns.join(", ")
            );
            let params = std::iter::once(Value::BigInt(run_id)).chain(run_values);
            tx.execute(&insert, duckdb::params_from_iter(params))
                .map_err(sql("record score run"))?;
            {
                let columns: Vec<&str> = std::iter::once("run_id")
                    .chain(row_columns.iter().copied())
                    .collect();
                let mut app = tx
                    .appender_with_columns("score_history", &columns)
                    .map_err(sql("open score_history appender"))?;
                for row in rows {
                    let values = std::iter::once(Value::BigInt(run_id)).chain(row);
                    app.append_row(duckdb::appender_params_from_iter(values))
                        .map_err(sql("append score_history row"))?;
                }
                app.flush().map_err(sql("flush score_history rows"))?;
            }
            for (seq, [sa, ka, sb, kb]) in reversals.into_iter().enumerate() {
                tx.execute(
                    "INSERT INTO score_reversals VALUES (?, ?, ?, ?, ?, ?)",
                    duckdb::params![run_id, seq as i64, sa, ka, sb, kb],
                )
                .map_err(sql("record reversal"))?;
            }
            tx.commit().map_err(sql("commit score run"))?;
            Ok(run_id)
        })
        .await
    }
}
