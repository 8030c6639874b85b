//! `recur export`: every public view, and the public tables behind them,
//! written as Parquet or CSV files that warehouse engines (DuckDB, Spark,
//! Trino, BigQuery) read directly. Views are discovered from the catalog, so
//! a view added by a migration is exported without a change here; tables
//! are public only when listed in [`PUBLIC_TABLES`] (the rest is recur's
//! bookkeeping: cursors, staging, write-back state).

use std::path::Path;

use super::{sql, Store, StoreError};

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Apache Parquet (typed, compressed).
    Parquet,
    /// CSV with a header row.
    Csv,
}

impl ExportFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Csv => "csv",
        }
    }
}

/// One exported view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Exported {
    /// The view.
    pub view: String,
    /// The file written.
    pub file: String,
    /// Rows written.
    pub rows: u64,
}

/// Tables documented as part of the SQL surface (README, "SQL surface").
pub const PUBLIC_TABLES: &[&str] = &[
    "items",
    "malformed_entries",
    "score_runs",
    "score_history",
    "writeback_runs",
    "writeback_outbox",
];

impl Store {
    /// What `export` writes: every view in the `main` schema, then the
    /// public tables, by name.
    pub async fn public_views(&self) -> Result<Vec<String>, StoreError> {
        self.call(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT view_name FROM duckdb_views() \
                     WHERE NOT internal AND schema_name = 'main' ORDER BY view_name",
                )
                .map_err(sql("list views"))?;
            let names = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(sql("list views"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(sql("list views"))?;
            Ok(names
                .into_iter()
                .chain(PUBLIC_TABLES.iter().map(|t| t.to_string()))
                .collect())
        })
        .await
    }

    /// Writes each public view to `dir/<view>.<ext>`.
    ///
    /// Files are written into a fresh private directory inside `dir`
    /// (random name, mode 0700) and renamed into place: a reader (or a
    /// kill) never sees half a file, and nobody can plant a symlink where
    /// DuckDB writes. CSV text cells a spreadsheet would run as a formula
    /// (starting with `=`, `+`, `-`, `@`, tab or carriage return) get a
    /// leading `'`, as `recur query --format csv` does; Parquet stays raw.
    pub async fn export_views(
        &self,
        dir: &Path,
        format: ExportFormat,
    ) -> Result<Vec<Exported>, StoreError> {
        let views = self.public_views().await?;
        let dir = dir.to_path_buf();
        self.call(move |conn| {
            let staging = tempfile::Builder::new()
                .prefix(".recur-export-")
                .tempdir_in(&dir)
                .map_err(|source| StoreError::Io {
                    what: format!("export: a private staging directory in {}", dir.display()),
                    source,
                })?;
            let mut out = Vec::new();
            for view in views {
                let file = dir.join(format!("{view}.{}", format.extension()));
                let file_s = file.to_string_lossy().into_owned();
                let partial = staging
                    .path()
                    .join(format!("{view}.{}", format.extension()));
                let partial_s = partial.to_string_lossy().into_owned();
                let options = match format {
                    ExportFormat::Parquet => "FORMAT parquet, COMPRESSION zstd",
                    ExportFormat::Csv => "FORMAT csv, HEADER true",
                };
                let select = match format {
                    ExportFormat::Parquet => "*".to_string(),
                    ExportFormat::Csv => csv_columns(conn, &view)?,
                };
                // View names come from the catalog; quote them anyway.
                let stmt = format!(
                    "COPY (SELECT {select} FROM {}) TO {} ({options})",
                    ident(&view),
                    super::sql_literal(&partial_s)
                );
                let rows = conn
                    .execute(&stmt, [])
                    .map_err(sql(format!("export of view {view} to {file_s}")))?;
                std::fs::rename(&partial, &file).map_err(|source| StoreError::Io {
                    what: format!("export of view {view}: moving {partial_s} to {file_s}"),
                    source,
                })?;
                out.push(Exported {
                    view,
                    file: file_s,
                    rows: rows as u64,
                });
            }
            Ok(out)
        })
        .await
    }
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The select list of a CSV export of `view`: text columns guarded against
/// spreadsheet formulas, every other column as it is.
fn csv_columns(conn: &duckdb::Connection, view: &str) -> Result<String, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT column_name, data_type FROM information_schema.columns \
             WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        )
        .map_err(sql("export: list columns"))?;
    let cols: Vec<(String, String)> = stmt
        .query_map([view], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(|rows| rows.collect())
        .map_err(sql(format!("export: columns of {view}")))?;
    Ok(cols
        .iter()
        .map(|(name, ty)| {
            let c = ident(name);
            if ty == "VARCHAR" {
                format!(
                    "CASE WHEN regexp_matches({c}, '^[=+@\t\r-]') THEN '''' || {c} ELSE {c} END AS {c}"
                )
            } else {
                c
            }
        })
        .collect::<Vec<_>>()
        .join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use duckdb::types::Value;

    /// The public views and tables (as `export` lists them), and each of
    /// their columns, that have no comment: `view`, `view.column`.
    async fn uncommented(store: &Store) -> Vec<String> {
        let mut missing = Vec::new();
        for name in store.public_views().await.unwrap() {
            let own = store
                .query(
                    "comment of a view or table",
                    "SELECT coalesce(trim(comment), '') FROM duckdb_views() \
                     WHERE schema_name = 'main' AND view_name = ? \
                     UNION ALL SELECT coalesce(trim(comment), '') FROM duckdb_tables() \
                     WHERE schema_name = 'main' AND table_name = ?",
                    vec![Value::Text(name.clone()), Value::Text(name.clone())],
                )
                .await
                .unwrap();
            assert_eq!(own.rows.len(), 1, "{name} is one view or table");
            if own.rows[0][0] == "" {
                missing.push(name.clone());
            }
            let cols = store
                .query(
                    "comments of columns",
                    "SELECT column_name, coalesce(trim(comment), '') FROM duckdb_columns() \
                     WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index",
                    vec![Value::Text(name.clone())],
                )
                .await
                .unwrap();
            assert!(!cols.rows.is_empty(), "{name} has columns");
            for row in cols.rows {
                if row[1] == "" {
                    missing.push(format!("{name}.{}", row[0].as_str().unwrap_or("?")));
                }
            }
        }
        missing
    }

    /// 0014: every public view and table and every column says what it is,
    /// in duckdb_views()/duckdb_tables()/duckdb_columns(), which BI tools
    /// show. A view added later without comments, or replaced (CREATE OR
    /// REPLACE VIEW drops its comments) without commenting it again, fails
    /// here.
    #[tokio::test]
    async fn every_public_view_table_and_column_has_a_comment() {
        let store = Store::open_in_memory().unwrap();
        let names = store.public_views().await.unwrap();
        for expected in ["action_items", "incidents", "risks", "cycles", "items"] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
        let missing = uncommented(&store).await;
        assert!(missing.is_empty(), "without a comment: {missing:?}");

        // The check can fail: a new view, and a replaced one, are reported.
        store
            .execute_batch(
                "later migration",
                "CREATE VIEW newcomer AS SELECT 1 AS x; \
                 CREATE OR REPLACE VIEW item_refs AS SELECT source, key, incident_ref, risk_ref FROM items;",
            )
            .await
            .unwrap();
        let mut missing = uncommented(&store).await;
        missing.sort();
        assert_eq!(
            missing,
            [
                "item_refs",
                "item_refs.incident_ref",
                "item_refs.key",
                "item_refs.risk_ref",
                "item_refs.source",
                "newcomer",
                "newcomer.x"
            ]
        );
        store.close().await;
    }
}
