//! Rendering query results: an aligned table for people, one JSON array of
//! row objects for programs, RFC 4180 CSV for spreadsheets.
//!
//! CSV is opened by spreadsheets, which run a cell that starts with `=`,
//! `+`, `-` or `@` (and tab or carriage return) as a formula: text cells
//! that start so get a leading `'` ([`csv_guard`]), the OWASP advice.
//! Numbers are written as they are. JSON and Parquet exports stay raw.

use std::io::Write;

use crate::store::QueryResult;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text table.
    Table,
    /// One JSON array of row objects.
    Json,
    /// Comma-separated values with a header row.
    Csv,
}

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Table cells show control characters escaped, so hostile text cannot
/// move the cursor or recolour the terminal.
fn safe_cell(v: &serde_json::Value) -> String {
    let unsafe_char = |c: char| {
        c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    let text = cell(v);
    // Most cells have nothing to escape: kept as they are.
    if !text.chars().any(unsafe_char) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// A table cell: [`safe_cell`], cut to 80 characters.
fn table_cell(v: &serde_json::Value) -> String {
    let s = safe_cell(v);
    if s.chars().count() > 80 {
        return s.chars().take(77).collect::<String>() + "...";
    }
    s
}

/// A text cell a spreadsheet would run as a formula gets a leading `'`.
pub fn csv_guard(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The CSV header line of a result with `columns`.
pub fn write_csv_header(out: &mut dyn Write, columns: &[String]) -> std::io::Result<()> {
    let header: Vec<String> = columns.iter().map(|c| csv_field(c)).collect();
    write!(out, "{}\r\n", header.join(","))
}

/// One CSV line: text cells guarded against formulas ([`csv_guard`]).
pub fn write_csv_row(out: &mut dyn Write, row: &[serde_json::Value]) -> std::io::Result<()> {
    let line: Vec<String> = row
        .iter()
        .map(|v| match v {
            serde_json::Value::String(s) => csv_field(&csv_guard(s)),
            other => csv_field(&cell(other)),
        })
        .collect();
    write!(out, "{}\r\n", line.join(","))
}

/// Writes `result` in `format`.
pub fn write(out: &mut dyn Write, result: &QueryResult, format: Format) -> std::io::Result<()> {
    let mut w = RowWriter::new(format);
    w.columns(out, &result.columns)?;
    let mut values = Vec::with_capacity(result.columns.len());
    for row in &result.rows {
        values.clone_from(row);
        w.row(out, &mut values)?;
    }
    w.finish(out)
}

/// Writes one result in a format as its rows come, into a writer passed to
/// each call (a report's renderer owns the writer across its sections).
/// JSON and CSV rows go out at once; a table keeps its cells, each cut to
/// 80 characters, as text ([`TableText`]) until [`end`](Self::end) knows
/// the column widths.
pub struct RowWriter {
    format: Format,
    /// Rows so far.
    rows: usize,
    /// JSON: the column names, serialised; `None` when a name repeats
    /// (each row then goes through a JSON object, which keeps one of each).
    keys: Option<Vec<String>>,
    columns: Vec<String>,
    table: Option<TableText>,
    /// JSON: the row being written. Serialised here and written out once:
    /// serde_json writes each token and escaped run separately, and
    /// through `&mut dyn Write` every one of those was a call.
    line: Vec<u8>,
}

impl RowWriter {
    /// A writer of one result in `format`.
    pub fn new(format: Format) -> Self {
        RowWriter {
            format,
            rows: 0,
            keys: None,
            columns: Vec::new(),
            table: None,
            line: Vec::new(),
        }
    }

    /// The result's columns, before its rows.
    pub fn columns(&mut self, out: &mut dyn Write, names: &[String]) -> std::io::Result<()> {
        self.rows = 0;
        self.columns = names.to_vec();
        match self.format {
            Format::Json => {
                let mut seen = std::collections::HashSet::new();
                self.keys = if names.iter().all(|c| seen.insert(c)) {
                    Some(
                        names
                            .iter()
                            .map(serde_json::to_string)
                            .collect::<Result<_, _>>()?,
                    )
                } else {
                    None
                };
                out.write_all(b"[")
            }
            Format::Csv => write_csv_header(out, names),
            Format::Table => {
                self.table = Some(TableText::new(names));
                Ok(())
            }
        }
    }

    /// One row. JSON with a repeated column name takes the values out.
    pub fn row(
        &mut self,
        out: &mut dyn Write,
        values: &mut Vec<serde_json::Value>,
    ) -> std::io::Result<()> {
        let first = self.rows == 0;
        self.rows += 1;
        match self.format {
            Format::Json => {
                let line = &mut self.line;
                line.clear();
                if !first {
                    line.push(b',');
                }
                match &self.keys {
                    Some(keys) => {
                        line.push(b'{');
                        for (j, (k, v)) in keys.iter().zip(values.iter()).enumerate() {
                            if j > 0 {
                                line.push(b',');
                            }
                            line.extend_from_slice(k.as_bytes());
                            line.push(b':');
                            serde_json::to_writer(&mut *line, v)?;
                        }
                        line.push(b'}');
                    }
                    None => {
                        let object: serde_json::Map<String, serde_json::Value> =
                            self.columns.iter().cloned().zip(values.drain(..)).collect();
                        serde_json::to_writer(&mut *line, &object)?;
                    }
                }
                out.write_all(line)
            }
            Format::Csv => write_csv_row(out, values),
            Format::Table => {
                if let Some(table) = &mut self.table {
                    for v in values.iter() {
                        table.push(&table_cell(v));
                    }
                }
                Ok(())
            }
        }
    }

    /// After the last row of a whole answer: [`end`](Self::end), and JSON's
    /// closing newline.
    pub fn finish(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        self.end(out)?;
        if self.format == Format::Json {
            writeln!(out)?;
        }
        Ok(())
    }

    /// After the last row: closes the JSON array, writes the table.
    pub fn end(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.format {
            Format::Json => out.write_all(b"]"),
            Format::Csv => Ok(()),
            Format::Table => {
                if let Some(table) = self.table.take() {
                    table.write(out)?;
                }
                writeln!(out, "({} rows)", self.rows)
            }
        }
    }
}

/// Cells kept as text until a table can be written: every cell in one
/// string and where each ends, a row after another. A table of
/// comfy-table cells (a cell a struct of lines and styles) held the 444k
/// rows of `lint` over 1M items in 1.5 GB and took 5 s more than its
/// JSON; rows held as JSON values (Markdown) 785 MB. This holds their text.
#[derive(Default)]
pub(crate) struct CellText {
    text: String,
    ends: Vec<usize>,
}

impl CellText {
    /// The next cell, row after row.
    pub(crate) fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.ends.push(self.text.len());
    }

    /// Cells so far.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The cells of each row of `width` cells, in order.
    pub(crate) fn rows(&self, width: usize) -> impl Iterator<Item = Vec<&str>> {
        let mut start = 0;
        self.ends.chunks(width.max(1)).map(move |row| {
            row.iter()
                .map(|&end| {
                    let cell = &self.text[start..end];
                    start = end;
                    cell
                })
                .collect()
        })
    }
}

/// A table's cells until its column widths are known, and each column's
/// widest cell so far. Written as comfy-table's `UTF8_FULL_CONDENSED`
/// wrote it, byte for byte (see the tests).
struct TableText {
    header: Vec<String>,
    cells: CellText,
    widths: Vec<usize>,
}

impl TableText {
    fn new(names: &[String]) -> Self {
        TableText {
            header: names.to_vec(),
            cells: CellText::default(),
            widths: names.iter().map(|n| display_width(n)).collect(),
        }
    }

    /// The next cell, row after row.
    fn push(&mut self, cell: &str) {
        let column = self.cells.len() % self.widths.len().max(1);
        if let Some(w) = self.widths.get_mut(column) {
            *w = (*w).max(display_width(cell));
        }
        self.cells.push(cell);
    }

    fn write(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let rule = |left: &str, fill: &str, cross: &str, right: &str| {
            let parts: Vec<String> = self.widths.iter().map(|w| fill.repeat(w + 2)).collect();
            format!("{left}{}{right}\n", parts.join(cross))
        };
        let line = |out: &mut dyn Write, cells: &[&str]| {
            let mut s = String::from("│");
            for (j, (cell, w)) in cells.iter().zip(&self.widths).enumerate() {
                if j > 0 {
                    s.push('┆');
                }
                s.push(' ');
                s.push_str(cell);
                s.extend(std::iter::repeat_n(' ', w - display_width(cell) + 1));
            }
            s.push_str("│\n");
            out.write_all(s.as_bytes())
        };
        if self.widths.is_empty() {
            return Ok(());
        }
        out.write_all(rule("┌", "─", "┬", "┐").as_bytes())?;
        let header: Vec<&str> = self.header.iter().map(String::as_str).collect();
        line(out, &header)?;
        out.write_all(rule("╞", "═", "╪", "╡").as_bytes())?;
        for row in self.cells.rows(self.widths.len()) {
            line(out, &row)?;
        }
        out.write_all(rule("└", "─", "┴", "┘").as_bytes())
    }
}

/// How many columns of a terminal `s` takes.
fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `recur query`'s sink: one result written into `W` as it is read.
pub struct Streamed<W> {
    /// Where the rows go.
    pub out: W,
    /// The format's state.
    pub writer: RowWriter,
}

impl<W: Write + Send + 'static> crate::store::RowSink for Streamed<W> {
    fn columns(&mut self, names: &[String]) -> std::io::Result<()> {
        self.writer.columns(&mut self.out, names)
    }

    fn row(&mut self, values: &mut Vec<serde_json::Value>) -> std::io::Result<()> {
        self.writer.row(&mut self.out, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> QueryResult {
        QueryResult {
            columns: vec!["key".into(), "title".into(), "n".into()],
            rows: vec![
                vec!["a#1".into(), "plain".into(), 1.into()],
                vec![
                    "a#2".into(),
                    "has, comma \"and\" quote\nline".into(),
                    serde_json::Value::Null,
                ],
            ],
        }
    }

    /// The rows written one by one are the text of the whole result
    /// serialised at once (serde_json over `to_objects`), a repeated column
    /// name included.
    #[test]
    fn json_written_row_by_row_is_the_serialised_objects() {
        let mut r = sample();
        for columns in [r.columns.clone(), vec!["x".into(), "x".into(), "n".into()]] {
            r.columns = columns;
            let mut buf = Vec::new();
            write(&mut buf, &r, Format::Json).unwrap();
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(&r.to_objects()).unwrap() + "\n"
            );
        }
    }

    #[test]
    fn json_is_one_array_of_objects_in_column_order() {
        let mut buf = Vec::new();
        write(&mut buf, &sample(), Format::Json).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(v[1]["title"], "has, comma \"and\" quote\nline");
        assert!(text.find("\"key\"").unwrap() < text.find("\"title\"").unwrap());
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut buf = Vec::new();
        write(&mut buf, &sample(), Format::Csv).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.starts_with("key,title,n\r\n"));
        assert!(
            text.contains("\"has, comma \"\"and\"\" quote\nline\""),
            "{text}"
        );
    }

    /// Regression (hostile text): a title that is a spreadsheet formula is
    /// written as text; numbers keep their sign.
    #[test]
    fn csv_cells_cannot_become_spreadsheet_formulas() {
        let r = QueryResult {
            columns: vec!["t".into(), "n".into()],
            rows: vec![
                vec!["=HYPERLINK(\"http://evil\",\"x\")".into(), (-3).into()],
                vec!["+1".into(), 2.into()],
                vec!["-2".into(), 2.into()],
                vec!["@SUM(A1)".into(), 2.into()],
                vec!["\tcmd".into(), 2.into()],
                vec!["ok = fine".into(), 2.into()],
            ],
        };
        let mut buf = Vec::new();
        write(&mut buf, &r, Format::Csv).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",-3\r\n"),
            "{text}"
        );
        for guarded in ["'+1,", "'-2,", "'@SUM(A1),", "'\tcmd,", "\nok = fine,"] {
            assert!(text.contains(guarded), "{guarded:?} in {text}");
        }
    }

    /// The table is written as comfy-table's `UTF8_FULL_CONDENSED` wrote
    /// it, byte for byte: wide and combining characters, empty and NULL
    /// cells, numbers, long cells cut, no rows, one column.
    #[test]
    fn table_is_what_comfy_table_wrote() {
        let results = [
            sample(),
            QueryResult {
                columns: vec!["名前".into(), "x".into(), "longer header".into()],
                rows: vec![
                    vec!["日本語のタイトル".into(), "e\u{301}".into(), 2.5.into()],
                    vec!["".into(), serde_json::Value::Null, true.into()],
                    vec![
                        "y".repeat(120).into(),
                        serde_json::json!(["a", "b"]),
                        7.into(),
                    ],
                ],
            },
            QueryResult {
                columns: vec!["only".into()],
                rows: vec![],
            },
            QueryResult {
                columns: vec!["one".into()],
                rows: vec![vec!["1".into()], vec!["22".into()]],
            },
        ];
        for r in results {
            let mut ours = Vec::new();
            write(&mut ours, &r, Format::Table).unwrap();
            let mut theirs = comfy_table::Table::new();
            theirs.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            theirs.set_header(r.columns.clone());
            for row in &r.rows {
                theirs.add_row(row.iter().map(table_cell));
            }
            let theirs = format!("{theirs}\n({} rows)\n", r.rows.len());
            assert_eq!(String::from_utf8(ours).unwrap(), theirs);
        }
    }

    #[test]
    fn table_escapes_terminal_control() {
        let r = QueryResult {
            columns: vec!["t".into()],
            rows: vec![vec!["\u{1b}[31mred\u{202e}".into()]],
        };
        let mut buf = Vec::new();
        write(&mut buf, &r, Format::Table).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
    }
}
