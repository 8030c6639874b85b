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
    "item_history",
    "malformed_entries",
    "score_runs",
    "score_history",
    "writeback_runs",
    "writeback_outbox",
];

/// SQL string literal for a path (single quotes doubled).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

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
    pub async fn export_views(
        &self,
        dir: &Path,
        format: ExportFormat,
    ) -> Result<Vec<Exported>, StoreError> {
        let views = self.public_views().await?;
        let dir = dir.to_path_buf();
        self.call(move |conn| {
            let mut out = Vec::new();
            for view in views {
                let file = dir.join(format!("{view}.{}", format.extension()));
                let file_s = file.to_string_lossy().into_owned();
                // Written under a temporary name and renamed into place, so a
                // reader (or a kill) never sees half a file.
                let partial = dir.join(format!(".{view}.{}.partial", format.extension()));
                let partial_s = partial.to_string_lossy().into_owned();
                let options = match format {
                    ExportFormat::Parquet => "FORMAT parquet, COMPRESSION zstd",
                    ExportFormat::Csv => "FORMAT csv, HEADER true",
                };
                // View names come from the catalog; quote them anyway.
                let stmt = format!(
                    "COPY (SELECT * FROM \"{}\") TO {} ({options})",
                    view.replace('"', "\"\""),
                    literal(&partial_s)
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
