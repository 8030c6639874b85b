//! Running SQL and handing back rows as JSON values, for `recur query` and
//! the reports. Values are converted by type here so every output format
//! (table, JSON, CSV) sees the same thing.

use duckdb::types::{TimeUnit, Value};
use serde::Serialize;

use super::{sql, Store, StoreError};

/// A query's result: column names and rows of JSON values.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueryResult {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows; each has one value per column.
    pub rows: Vec<Vec<serde_json::Value>>,
}

impl QueryResult {
    /// The rows as JSON objects (column name → value), in column order.
    pub fn to_objects(&self) -> Vec<serde_json::Map<String, serde_json::Value>> {
        self.rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .cloned()
                    .zip(row.iter().cloned())
                    .collect::<serde_json::Map<_, _>>()
            })
            .collect()
    }
}

impl Store {
    /// Runs a batch of statements (seeding test data, user DDL). Writes need
    /// a read-write store.
    pub async fn execute_batch(&self, what: &str, text: &str) -> Result<(), StoreError> {
        self.check_writable()?;
        let (what, text) = (what.to_string(), text.to_string());
        self.call(move |conn| conn.execute_batch(&text).map_err(sql(what)))
            .await
    }

    /// Runs one SQL statement with bound parameters and returns its rows.
    /// `what` names the statement (a query file) in errors.
    pub async fn query(
        &self,
        what: &str,
        text: &str,
        params: Vec<Value>,
    ) -> Result<QueryResult, StoreError> {
        self.query_each(what, text, params, QueryResult::default())
            .await
    }

    /// Runs one SQL statement and hands its rows to `sink` as they are read,
    /// then gives the sink back. Neither DuckDB nor recur holds the whole
    /// answer: DuckDB produces it in chunks as they are asked for (a
    /// streaming result), and each row goes to the sink as it is converted
    /// (a report of hundreds of thousands of rows is written out instead of
    /// built up as a tree of values first). The sink runs on the store
    /// thread; an error it returns stops the query and comes back as
    /// [`StoreError::Io`].
    pub async fn query_each<S: RowSink>(
        &self,
        what: &str,
        text: &str,
        params: Vec<Value>,
        mut sink: S,
    ) -> Result<S, StoreError> {
        let (what, text) = (what.to_string(), text.to_string());
        self.call(move |conn| {
            let mut stmt = conn.prepare(&text).map_err(sql(what.clone()))?;
            // Executes as a streaming result; the Arrow view of it is not
            // used, the rows are read below through the same conversion as
            // `Statement::query`'s (`Row::get`).
            drop(
                stmt.stream_arrow(duckdb::params_from_iter(params.iter()))
                    .map_err(sql(what.clone()))?,
            );
            let write = |source| StoreError::Io {
                what: format!("writing the answer of {what}"),
                source,
            };
            let names = stmt.column_names();
            sink.columns(&names).map_err(write)?;
            let mut rows = stmt.raw_query();
            let mut values = Vec::with_capacity(names.len());
            while let Some(row) = rows.next().map_err(sql(what.clone()))? {
                values.clear();
                for i in 0..names.len() {
                    let v: Value = row.get(i).map_err(sql(what.clone()))?;
                    values.push(to_json(v));
                }
                sink.row(&mut values).map_err(write)?;
            }
            Ok(sink)
        })
        .await
    }
}

/// Where [`Store::query_each`] puts a query's answer: the column names
/// once, then each row in order.
pub trait RowSink: Send + 'static {
    /// The answer's column names, before any row (also for no rows).
    fn columns(&mut self, names: &[String]) -> std::io::Result<()>;
    /// One row, a value per column. The sink may take the values out; the
    /// vector is reused for the next row.
    fn row(&mut self, values: &mut Vec<serde_json::Value>) -> std::io::Result<()>;
}

/// Collecting the rows is the sink of [`Store::query`].
impl RowSink for QueryResult {
    fn columns(&mut self, names: &[String]) -> std::io::Result<()> {
        self.columns = names.to_vec();
        Ok(())
    }

    fn row(&mut self, values: &mut Vec<serde_json::Value>) -> std::io::Result<()> {
        let cap = values.capacity();
        self.rows
            .push(std::mem::replace(values, Vec::with_capacity(cap)));
        Ok(())
    }
}

fn micros(unit: TimeUnit, v: i64) -> i64 {
    match unit {
        TimeUnit::Second => v.saturating_mul(1_000_000),
        TimeUnit::Millisecond => v.saturating_mul(1_000),
        TimeUnit::Microsecond => v,
        TimeUnit::Nanosecond => v / 1_000,
    }
}

/// Converts one DuckDB value to JSON. Timestamps become RFC 3339 text in
/// UTC, dates `YYYY-MM-DD`, lists arrays, structs objects.
pub fn to_json(v: Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Boolean(b) => J::Bool(b),
        Value::TinyInt(i) => i.into(),
        Value::SmallInt(i) => i.into(),
        Value::Int(i) => i.into(),
        Value::BigInt(i) => i.into(),
        Value::HugeInt(i) => i64::try_from(i)
            .map(J::from)
            .unwrap_or_else(|_| J::String(i.to_string())),
        Value::UHugeInt(i) => u64::try_from(i)
            .map(J::from)
            .unwrap_or_else(|_| J::String(i.to_string())),
        Value::UTinyInt(i) => i.into(),
        Value::USmallInt(i) => i.into(),
        Value::UInt(i) => i.into(),
        Value::UBigInt(i) => i.into(),
        Value::Float(f) => serde_json::Number::from_f64(f as f64)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::Double(f) => serde_json::Number::from_f64(f)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::Decimal(d) => d
            .to_string()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(J::Number)
            .unwrap_or_else(|| J::String(d.to_string())),
        Value::Timestamp(unit, v) => {
            let us = micros(unit, v);
            chrono::DateTime::from_timestamp_micros(us)
                .map(|t| J::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
                .unwrap_or(J::Null)
        }
        Value::Text(s) | Value::Enum(s) => J::String(s),
        Value::Blob(b) | Value::Geometry(b) => J::String(hex::encode(b)),
        Value::Date32(d) => chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|e| e.checked_add_signed(chrono::Duration::days(d as i64)))
            .map(|d| J::String(d.to_string()))
            .unwrap_or(J::Null),
        Value::Time64(unit, v) => {
            let us = micros(unit, v);
            chrono::NaiveTime::from_num_seconds_from_midnight_opt(
                (us / 1_000_000) as u32,
                ((us % 1_000_000) * 1000) as u32,
            )
            .map(|t| J::String(t.to_string()))
            .unwrap_or(J::Null)
        }
        Value::Interval {
            months,
            days,
            nanos,
        } => J::String(format!(
            "{months} months {days} days {} seconds",
            nanos as f64 / 1e9
        )),
        Value::List(items) | Value::Array(items) => {
            J::Array(items.into_iter().map(to_json).collect())
        }
        Value::Struct(map) => J::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_json(v.clone())))
                .collect(),
        ),
        Value::Map(map) => J::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match to_json(k.clone()) {
                        J::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v.clone()))
                })
                .collect(),
        ),
        Value::Union(v) => to_json(*v),
        // Value is non-exhaustive; a type added by a newer DuckDB shows as
        // its debug text rather than failing the query.
        other => J::String(format!("{other:?}")),
    }
}
