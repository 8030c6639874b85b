//! Running SQL and handing back rows as JSON values, for `recur query` and
//! the reports. Values are converted by type here so every output format
//! (table, JSON, CSV) sees the same thing.

use duckdb::arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float32Array, Float64Array, GenericListArray,
    Int16Array, Int32Array, Int64Array, Int8Array, LargeStringArray, OffsetSizeTrait, StringArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray, UInt16Array, UInt32Array, UInt64Array, UInt8Array,
};
use duckdb::arrow::datatypes::{DataType, Schema, TimeUnit as ArrowUnit};
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
            let batches = stmt
                .stream_arrow(duckdb::params_from_iter(params.iter()))
                .map_err(sql(what.clone()))?;
            let schema = batches.get_schema();
            let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
            sink.columns(&names).map_err(sink_error(&what))?;
            if reads_by_column(&schema) {
                read_by_column(batches, &mut sink, &what)?;
            } else {
                drop(batches);
                read_by_cell(&stmt, names.len(), &mut sink, &what)?;
            }
            Ok(sink)
        })
        .await
    }
}

/// The error of a sink that could not take the answer of `what`.
fn sink_error(what: &str) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        what: format!("writing the answer of {what}"),
        source,
    }
}

/// Reads a streaming answer a batch at a time, each column converted as a
/// whole (one type dispatch per column and batch, not per cell): on answers
/// of hundreds of thousands of rows the per-cell path ([`read_by_cell`])
/// cost as much as the query after its first row. Only for the types
/// [`by_column`] accepts; the values are the same as `to_json` gives.
fn read_by_column<S: RowSink>(
    batches: duckdb::ArrowStream<'_>,
    sink: &mut S,
    what: &str,
) -> Result<(), StoreError> {
    let mut values = Vec::new();
    for batch in batches {
        // The context is built on failure only: `sql` takes it owned.
        let batch = batch.map_err(|e| sql(what)(e))?;
        let mut columns: Vec<Vec<serde_json::Value>> =
            batch.columns().iter().map(column_json).collect();
        for r in 0..batch.num_rows() {
            values.clear();
            values.extend(columns.iter_mut().map(|c| std::mem::take(&mut c[r])));
            sink.row(&mut values).map_err(sink_error(what))?;
        }
    }
    Ok(())
}

/// Reads an executed statement's answer a row and a cell at a time through
/// the driver's own conversion (`Row::get`): every type DuckDB has.
fn read_by_cell<S: RowSink>(
    stmt: &duckdb::Statement<'_>,
    width: usize,
    sink: &mut S,
    what: &str,
) -> Result<(), StoreError> {
    let mut rows = stmt.raw_query();
    let mut values = Vec::with_capacity(width);
    while let Some(row) = rows.next().map_err(|e| sql(what)(e))? {
        values.clear();
        for i in 0..width {
            let v: Value = row.get(i).map_err(|e| sql(what)(e))?;
            values.push(to_json(v));
        }
        sink.row(&mut values).map_err(sink_error(what))?;
    }
    Ok(())
}

/// Whether an answer of this schema is read by column: every column's
/// type is one [`by_column`] accepts.
fn reads_by_column(schema: &Schema) -> bool {
    schema.fields().iter().all(|f| by_column(f.data_type()))
}

/// Whether [`column_json`] converts an Arrow column of this type: the
/// types the reports answer in (text, integers, doubles, booleans, dates,
/// timestamps, lists of them). DuckDB's DECIMAL and HUGEINT share one Arrow
/// type that only the driver can tell apart, so they, and every other
/// type, go through the driver's per-cell conversion.
fn by_column(t: &DataType) -> bool {
    match t {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float32
        | DataType::Float64
        | DataType::Date32
        | DataType::Timestamp(..) => true,
        DataType::List(f) | DataType::LargeList(f) => by_column(f.data_type()),
        _ => false,
    }
}

/// One Arrow column as JSON values, a value per row (see [`by_column`]).
fn column_json(c: &ArrayRef) -> Vec<serde_json::Value> {
    use serde_json::Value as J;
    fn each<A: Array + 'static, F: Fn(&A, usize) -> J>(c: &ArrayRef, f: F) -> Vec<J> {
        let a = c
            .as_any()
            .downcast_ref::<A>()
            .expect("checked by by_column");
        (0..a.len())
            .map(|i| if a.is_null(i) { J::Null } else { f(a, i) })
            .collect()
    }
    fn lists<O: OffsetSizeTrait>(c: &ArrayRef) -> Vec<J> {
        let a = c
            .as_any()
            .downcast_ref::<GenericListArray<O>>()
            .expect("checked by by_column");
        let mut items = column_json(a.values()).into_iter();
        let mut at = 0usize;
        let offsets = a.value_offsets();
        (0..a.len())
            .map(|i| {
                let (start, end) = (offsets[i].as_usize(), offsets[i + 1].as_usize());
                // Skip what a list's offsets pass over (a NULL list's
                // slot may still span values).
                items.by_ref().take(start - at).for_each(drop);
                at = end;
                let list: Vec<J> = items.by_ref().take(end - start).collect();
                if a.is_null(i) {
                    J::Null
                } else {
                    J::Array(list)
                }
            })
            .collect()
    }
    let double = |f: f64| {
        serde_json::Number::from_f64(f)
            .map(J::Number)
            .unwrap_or(J::Null)
    };
    match c.data_type() {
        DataType::Utf8 => each::<StringArray, _>(c, |a, i| J::String(a.value(i).to_string())),
        DataType::LargeUtf8 => {
            each::<LargeStringArray, _>(c, |a, i| J::String(a.value(i).to_string()))
        }
        DataType::Boolean => each::<BooleanArray, _>(c, |a, i| J::Bool(a.value(i))),
        DataType::Int8 => each::<Int8Array, _>(c, |a, i| a.value(i).into()),
        DataType::Int16 => each::<Int16Array, _>(c, |a, i| a.value(i).into()),
        DataType::Int32 => each::<Int32Array, _>(c, |a, i| a.value(i).into()),
        DataType::Int64 => each::<Int64Array, _>(c, |a, i| a.value(i).into()),
        DataType::UInt8 => each::<UInt8Array, _>(c, |a, i| a.value(i).into()),
        DataType::UInt16 => each::<UInt16Array, _>(c, |a, i| a.value(i).into()),
        DataType::UInt32 => each::<UInt32Array, _>(c, |a, i| a.value(i).into()),
        DataType::UInt64 => each::<UInt64Array, _>(c, |a, i| a.value(i).into()),
        DataType::Float32 => each::<Float32Array, _>(c, |a, i| double(a.value(i) as f64)),
        DataType::Float64 => each::<Float64Array, _>(c, |a, i| double(a.value(i))),
        DataType::Date32 => each::<Date32Array, _>(c, |a, i| date_json(a.value(i))),
        DataType::Timestamp(ArrowUnit::Second, _) => {
            each::<TimestampSecondArray, _>(c, |a, i| timestamp_json(TimeUnit::Second, a.value(i)))
        }
        DataType::Timestamp(ArrowUnit::Millisecond, _) => {
            each::<TimestampMillisecondArray, _>(c, |a, i| {
                timestamp_json(TimeUnit::Millisecond, a.value(i))
            })
        }
        DataType::Timestamp(ArrowUnit::Microsecond, _) => {
            each::<TimestampMicrosecondArray, _>(c, |a, i| {
                timestamp_json(TimeUnit::Microsecond, a.value(i))
            })
        }
        DataType::Timestamp(ArrowUnit::Nanosecond, _) => {
            each::<TimestampNanosecondArray, _>(c, |a, i| {
                timestamp_json(TimeUnit::Nanosecond, a.value(i))
            })
        }
        DataType::List(_) => lists::<i32>(c),
        DataType::LargeList(_) => lists::<i64>(c),
        other => unreachable!("{other} is not read by column (see by_column)"),
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

/// A timestamp as RFC 3339 text in UTC.
fn timestamp_json(unit: TimeUnit, v: i64) -> serde_json::Value {
    chrono::DateTime::from_timestamp_micros(micros(unit, v))
        .map(|t| serde_json::Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
        .unwrap_or(serde_json::Value::Null)
}

/// A date (days since 1970-01-01) as `YYYY-MM-DD`.
fn date_json(d: i32) -> serde_json::Value {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(d as i64)))
        .map(|d| serde_json::Value::String(d.to_string()))
        .unwrap_or(serde_json::Value::Null)
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
        Value::Timestamp(unit, v) => timestamp_json(unit, v),
        Value::Text(s) | Value::Enum(s) => J::String(s),
        Value::Blob(b) | Value::Geometry(b) => J::String(hex::encode(b)),
        Value::Date32(d) => date_json(d),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer of `text` read both ways: by column when its types allow
    /// (else `None`), and by cell.
    fn both_ways(text: &str) -> (Option<QueryResult>, QueryResult) {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let by_col = {
            let mut stmt = conn.prepare(text).unwrap();
            let batches = stmt.stream_arrow([]).unwrap();
            reads_by_column(&batches.get_schema()).then(|| {
                let mut out = QueryResult::default();
                read_by_column(batches, &mut out, "test").unwrap();
                out
            })
        };
        let mut stmt = conn.prepare(text).unwrap();
        drop(stmt.stream_arrow([]).unwrap());
        let mut by_cell = QueryResult::default();
        read_by_cell(&stmt, stmt.column_count(), &mut by_cell, "test").unwrap();
        by_cell.columns = stmt.column_names();
        let by_col = by_col.map(|mut r| {
            r.columns = stmt.column_names();
            r
        });
        (by_col, by_cell)
    }

    /// Every type the reports answer in, NULLs, lists with NULLs in and
    /// around them, and more rows than one Arrow batch holds: the values
    /// read by column are those read by cell.
    #[test]
    fn reading_by_column_gives_the_values_reading_by_cell_gives() {
        let (by_col, by_cell) = both_ways(
            "SELECT i, (i % 100 - 50)::TINYINT AS t, (i - 2500)::SMALLINT AS s, i::INTEGER AS n, \
                    (i % 200)::UTINYINT AS ut, \
                    i::USMALLINT AS us, i::UINTEGER AS un, i::UBIGINT AS ub, \
                    CASE WHEN i % 7 = 0 THEN NULL ELSE 'text ' || i || ' ü \"q\"' END AS v, \
                    i % 2 = 0 AS b, i / 3.0 AS d, (i / 3.0)::FLOAT AS f, \
                    CASE WHEN i % 5 = 0 THEN 'nan'::DOUBLE WHEN i % 5 = 1 THEN 'inf'::DOUBLE \
                         ELSE i * 1.5 END AS odd, \
                    DATE '2024-02-28' + i::INTEGER AS day, \
                    TIMESTAMP '2024-02-28 23:59:59.5' + to_seconds(i::DOUBLE) AS ts, \
                    (TIMESTAMP '2024-02-28 12:00:00' + to_seconds((i * 61)::DOUBLE))::TIMESTAMPTZ AS tz, \
                    (TIMESTAMP '2024-02-28 23:59:59' + to_seconds(i::DOUBLE))::TIMESTAMP_S AS ts_s, \
                    (TIMESTAMP '2024-02-28 23:59:59.123' + to_seconds(i::DOUBLE))::TIMESTAMP_MS AS ts_ms, \
                    (TIMESTAMP '2024-02-28 23:59:59.123456' + to_seconds(i::DOUBLE))::TIMESTAMP_NS AS ts_ns, \
                    CASE WHEN i % 4 = 0 THEN NULL WHEN i % 4 = 1 THEN [] \
                         ELSE ['a' || i, NULL, 'b'] END AS keys, \
                    CASE WHEN i % 3 = 0 THEN NULL ELSE [i, NULL, i + 1] END AS nums, \
                    [[i], NULL, []] AS nested \
             FROM range(5000) r(i) ORDER BY i",
        );
        let by_col = by_col.expect("every column is read by column");
        assert_eq!(by_col.rows.len(), 5000);
        assert_eq!(by_col, by_cell);
        // And the values are what the formats expect.
        let row = by_col.to_objects().swap_remove(10);
        assert_eq!(row["v"], "text 10 ü \"q\"");
        assert_eq!(row["day"], "2024-03-09");
        assert_eq!(row["ts"], "2024-02-29T00:00:09.500Z");
        assert_eq!(row["keys"], serde_json::json!(["a10", null, "b"]));
        assert_eq!(row["nested"], serde_json::json!([[10], null, []]));
        assert_eq!(
            row["odd"],
            serde_json::Value::Null,
            "NaN has no JSON number"
        );
    }

    /// A sink that refuses its third row.
    struct Refusing(usize);

    impl RowSink for Refusing {
        fn columns(&mut self, _: &[String]) -> std::io::Result<()> {
            Ok(())
        }
        fn row(&mut self, _: &mut Vec<serde_json::Value>) -> std::io::Result<()> {
            self.0 += 1;
            if self.0 == 3 {
                return Err(std::io::Error::other("disk full"));
            }
            Ok(())
        }
    }

    /// A sink's error stops the answer, by column and by cell, and comes
    /// back naming what was being written.
    #[tokio::test]
    async fn a_sink_that_fails_stops_the_answer_either_way() {
        let store = crate::store::Store::open_in_memory().unwrap();
        for text in [
            "SELECT i FROM range(10000) r(i)",
            "SELECT i::DECIMAL(10, 2) AS d FROM range(10000) r(i)",
        ] {
            match store
                .query_each("the test", text, Vec::new(), Refusing(0))
                .await
            {
                Err(StoreError::Io { what, source }) => {
                    assert_eq!(what, "writing the answer of the test", "{text}");
                    assert_eq!(source.to_string(), "disk full");
                }
                Err(e) => panic!("{text}: {e}"),
                Ok(s) => panic!("{text}: went on to row {}", s.0),
            }
        }
        store.close().await;
    }

    /// The types DuckDB gives one Arrow shape (HUGEINT and DECIMAL) and the
    /// others `by_column` leaves out are read by cell.
    #[test]
    fn decimals_hugeints_and_structs_are_read_by_cell() {
        for text in [
            "SELECT sum(i) AS s FROM range(10) r(i)",
            "SELECT 0.25 AS d",
            "SELECT {'a': 1} AS s",
            "SELECT INTERVAL 2 DAY AS i",
            "SELECT ['x', 'y']::VARCHAR[2] AS a",
        ] {
            let (by_col, by_cell) = both_ways(text);
            assert!(by_col.is_none(), "{text} read by column");
            assert_eq!(by_cell.rows.len(), 1, "{text}");
        }
        assert_eq!(
            both_ways("SELECT sum(i) AS s FROM range(10) r(i)").1.rows[0][0],
            45
        );
    }
}
