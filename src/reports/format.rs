//! Rendering report output. Table and CSV reuse [`crate::output`]; JSON is
//! one array of row objects, or for sectioned reports one object mapping
//! section names (in report order) to such arrays; Markdown is a review
//! document: a title, a heading and a table per section.

use std::io::{self, Write};

use serde_json::Value as J;

use super::ReportOutput;
use crate::output::{self, CellText, Format};
use crate::store::{QueryResult, RowSink};

/// Output formats of `recur report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Aligned text tables, one per section.
    Table,
    /// One JSON array of row objects; an object of such arrays for sectioned reports.
    Json,
    /// CSV with a header row; sectioned reports give one block per section,
    /// each after a `# section: NAME` line, separated by a blank line.
    Csv,
    /// A Markdown review document.
    Md,
    /// The self-contained HTML review pack (`recur report review` only).
    Html,
}

/// Writes `output` of the report `report` in `format`: the collected
/// answer through the same [`Renderer`] a streamed one goes through, so
/// both give the same text.
pub fn render(
    out: &mut dyn Write,
    report: &str,
    output: &ReportOutput,
    format: ReportFormat,
) -> io::Result<()> {
    let mut r = Renderer::new(out, report, format)?;
    match output {
        ReportOutput::Rows(q) => {
            r.begin(false)?;
            replay(&mut r, q)?;
        }
        ReportOutput::Sections(sections) => {
            r.begin(true)?;
            for (name, q) in sections {
                r.section(name)?;
                replay(&mut r, q)?;
            }
        }
    }
    r.finish().map(|_| ())
}

/// Feeds a collected result through `r` as if it were being read.
fn replay<W: Write>(r: &mut Renderer<W>, q: &QueryResult) -> io::Result<()> {
    r.columns(&q.columns)?;
    let mut values = Vec::with_capacity(q.columns.len());
    for row in &q.rows {
        values.clone_from(row);
        r.row(&mut values)?;
    }
    r.end_section()
}

/// Writes a report's answer in one format as it is read. JSON and CSV
/// rows go out one by one: no value tree the size of the answer is built
/// (lint over 1M items answers in the hundreds of thousands of rows). A
/// table keeps its cut cells until the section's end ([`output::RowWriter`]),
/// a Markdown section its rows (the alignment depends on every value): one
/// section at a time.
///
/// The calls: [`begin`](Self::begin) once; per section, for a sectioned
/// report, [`section`](Self::section), then the columns and rows
/// ([`RowSink`]), then [`end_section`](Self::end_section);
/// [`finish`](Self::finish) at the end.
pub struct Renderer<W> {
    w: W,
    report: String,
    format: ReportFormat,
    sectioned: bool,
    /// Sections begun so far.
    sections: usize,
    /// JSON, CSV and table: each section written as one result.
    rows: Option<output::RowWriter>,
    /// Markdown: the current section's table, held until its end.
    held: MdTable,
}

impl<W: Write> Renderer<W> {
    /// A renderer of the report `report` into `w`. Only the review pack is
    /// HTML, so `Html` is refused here.
    pub fn new(w: W, report: &str, format: ReportFormat) -> io::Result<Self> {
        let rows = match format {
            ReportFormat::Json => Some(Format::Json),
            ReportFormat::Csv => Some(Format::Csv),
            ReportFormat::Table => Some(Format::Table),
            ReportFormat::Md => None,
            ReportFormat::Html => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{report} has no HTML form; only `recur report review` does"),
                ))
            }
        };
        Ok(Renderer {
            w,
            report: report.to_string(),
            format,
            sectioned: false,
            sections: 0,
            rows: rows.map(output::RowWriter::new),
            held: MdTable::default(),
        })
    }

    /// Starts the document: one table (`sectioned` false) or named sections.
    pub fn begin(&mut self, sectioned: bool) -> io::Result<()> {
        self.sectioned = sectioned;
        match self.format {
            ReportFormat::Json if sectioned => self.w.write_all(b"{"),
            ReportFormat::Md => writeln!(self.w, "# {}", md_text(&title(&self.report))),
            _ => Ok(()),
        }
    }

    /// Starts the section `name` of a sectioned report.
    pub fn section(&mut self, name: &str) -> io::Result<()> {
        let first = self.sections == 0;
        self.sections += 1;
        match self.format {
            ReportFormat::Json => {
                if !first {
                    self.w.write_all(b",")?;
                }
                serde_json::to_writer(&mut self.w, name)?;
                self.w.write_all(b":")
            }
            ReportFormat::Table | ReportFormat::Csv => {
                if !first {
                    writeln!(self.w)?;
                }
                if self.format == ReportFormat::Table {
                    writeln!(self.w, "== {name} ==")
                } else {
                    writeln!(self.w, "# section: {name}")
                }
            }
            ReportFormat::Md => {
                writeln!(self.w)?;
                writeln!(self.w, "## {}", md_text(&title(name)))
            }
            ReportFormat::Html => Ok(()),
        }
    }

    /// Ends the current section (or the one table).
    pub fn end_section(&mut self) -> io::Result<()> {
        match &mut self.rows {
            Some(rows) => rows.end(&mut self.w),
            None => {
                let held = std::mem::take(&mut self.held);
                writeln!(self.w)?;
                held.write(&mut self.w)
            }
        }
    }

    /// Ends the document and hands the writer back, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        if self.format == ReportFormat::Json {
            if self.sectioned {
                self.w.write_all(b"}")?;
            }
            writeln!(self.w)?;
        }
        self.w.flush()?;
        Ok(self.w)
    }

    /// The columns of the section now being read.
    pub fn columns(&mut self, names: &[String]) -> io::Result<()> {
        match &mut self.rows {
            Some(rows) => rows.columns(&mut self.w, names),
            None => {
                self.held = MdTable::new(names);
                Ok(())
            }
        }
    }

    /// One row of the section now being read.
    pub fn row(&mut self, values: &mut Vec<J>) -> io::Result<()> {
        match &mut self.rows {
            Some(rows) => rows.row(&mut self.w, values),
            None => {
                self.held.row(values);
                Ok(())
            }
        }
    }
}

/// A renderer writing to something the store thread may own (stdout, a
/// file being written, a buffer) reads rows straight off a query.
impl<W: Write + Send + 'static> RowSink for Renderer<W> {
    fn columns(&mut self, names: &[String]) -> io::Result<()> {
        Renderer::columns(self, names)
    }

    fn row(&mut self, values: &mut Vec<J>) -> io::Result<()> {
        Renderer::row(self, values)
    }
}

/// `open_by_age` → `Open by age`.
fn title(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A Markdown section's table until its end, when it is written: its
/// cells as text ([`md_cell`], in a [`CellText`]) and whether each column
/// holds numbers only (right-aligned).
#[derive(Default)]
struct MdTable {
    columns: Vec<String>,
    rows: usize,
    cells: CellText,
    numeric: Vec<bool>,
}

impl MdTable {
    fn new(names: &[String]) -> Self {
        MdTable {
            columns: names.to_vec(),
            numeric: vec![true; names.len()],
            ..MdTable::default()
        }
    }

    fn row(&mut self, values: &[J]) {
        self.rows += 1;
        for (j, numeric) in self.numeric.iter_mut().enumerate() {
            if !matches!(values.get(j), Some(J::Number(_) | J::Null)) {
                *numeric = false;
            }
        }
        for j in 0..self.columns.len() {
            self.cells
                .push(&values.get(j).map(md_cell).unwrap_or_default());
        }
    }

    fn write(&self, out: &mut impl Write) -> io::Result<()> {
        if self.rows == 0 {
            return writeln!(out, "_None._");
        }
        let cells: Vec<String> = self.columns.iter().map(|c| md_text(c)).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
        let aligns: Vec<&str> = self
            .numeric
            .iter()
            .map(|&n| if n { "---:" } else { "---" })
            .collect();
        writeln!(out, "| {} |", aligns.join(" | "))?;
        if self.columns.is_empty() {
            for _ in 0..self.rows {
                writeln!(out, "|  |")?;
            }
            return Ok(());
        }
        for row in self.cells.rows(self.columns.len()) {
            writeln!(out, "| {} |", row.join(" | "))?;
        }
        Ok(())
    }
}

fn md_cell(v: &J) -> String {
    match v {
        J::Null => String::new(),
        J::Bool(true) => "yes".into(),
        J::Bool(false) => "no".into(),
        J::String(s) => md_text(s),
        // Lists (keys of earlier items, labels) read as words.
        J::Array(items) => items.iter().map(md_cell).collect::<Vec<_>>().join(", "),
        other => md_text(&other.to_string()),
    }
}

/// Text safe inside a Markdown table cell, however hostile: escaped with
/// recur-core's [`markdown_escape`](recur_core::markdown_escape) (the one
/// escaper the summary comments use too: no mention, team mention, `#N`
/// reference, image, link or HTML can form, pipes cannot split the cell),
/// line breaks as `<br>`, and bidirectional overrides shown as escapes so
/// they cannot reorder the text around them.
pub fn md_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .split(['\n', '\r'])
        .map(|line| {
            let mut out = String::with_capacity(line.len());
            for c in recur_core::markdown_escape(line).chars() {
                if ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c)
                {
                    out.extend(c.escape_unicode());
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streamed JSON is the text the value tree would serialise to,
    /// repeated column names included.
    #[test]
    fn streamed_json_equals_the_value_tree() {
        use serde_json::json;
        for columns in [vec!["a", "b"], vec!["x", "x"]] {
            let r = QueryResult {
                columns: columns.iter().map(|c| c.to_string()).collect(),
                rows: vec![
                    vec![json!(1), json!("t\"q")],
                    vec![json!(null), json!([1.5, {"k": "v"}])],
                ],
            };
            let mut streamed = Vec::new();
            render(
                &mut streamed,
                "r",
                &ReportOutput::Rows(r.clone()),
                ReportFormat::Json,
            )
            .unwrap();
            let tree: Vec<J> = r.to_objects().into_iter().map(J::Object).collect();
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                serde_json::to_string(&tree).unwrap() + "\n"
            );
        }
    }

    fn result(columns: &[&str], rows: Vec<Vec<J>>) -> QueryResult {
        QueryResult {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        }
    }

    fn text(output: &ReportOutput, format: ReportFormat) -> String {
        let mut buf = Vec::new();
        render(&mut buf, "monthly", output, format).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn json_is_an_array_for_rows_and_an_ordered_object_for_sections() {
        let r = result(&["key", "n"], vec![vec!["a#1".into(), 1.into()]]);
        let rows: J =
            serde_json::from_str(&text(&ReportOutput::Rows(r.clone()), ReportFormat::Json))
                .unwrap();
        assert_eq!(rows, serde_json::json!([{"key": "a#1", "n": 1}]));
        let sections = ReportOutput::Sections(vec![
            ("zeta".into(), r.clone()),
            ("alpha".into(), result(&["x"], vec![])),
        ]);
        let s = text(&sections, ReportFormat::Json);
        assert_eq!(s.lines().count(), 1);
        let v: J = serde_json::from_str(&s).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"zeta": [{"key": "a#1", "n": 1}], "alpha": []})
        );
        assert!(
            s.find("zeta").unwrap() < s.find("alpha").unwrap(),
            "report order kept"
        );
    }

    #[test]
    fn markdown_escapes_cells_and_marks_empty_sections() {
        let sections = ReportOutput::Sections(vec![
            (
                "open_by_age".into(),
                result(
                    &["title", "open", "small_sample"],
                    vec![vec!["a | b\nc <script> `x`".into(), 3.into(), true.into()]],
                ),
            ),
            ("blocked".into(), result(&["key"], vec![])),
        ]);
        let md = text(&sections, ReportFormat::Md);
        assert_eq!(
            md,
            "# Monthly\n\n## Open by age\n\n| title | open | small\\_sample |\n| --- | ---: | --- |\n\
             | a \\| b<br>c &lt;script\\> \\`x\\` | 3 | yes |\n\n## Blocked\n\n_None._\n"
        );
    }

    /// Rows in order, a column of numbers and NULLs right-aligned, one
    /// with any text not; lists read as words, NULL as nothing.
    #[test]
    fn markdown_tables_keep_rows_in_order_and_align_number_columns() {
        let r = result(
            &["key", "n", "mixed", "keys"],
            vec![
                vec![
                    "a".into(),
                    1.into(),
                    2.into(),
                    serde_json::json!(["x", "y"]),
                ],
                vec!["b".into(), J::Null, "two".into(), J::Null],
                vec!["c".into(), 2.5.into(), J::Null, serde_json::json!([])],
            ],
        );
        let md = text(&ReportOutput::Rows(r), ReportFormat::Md);
        assert_eq!(
            md,
            "# Monthly\n\n| key | n | mixed | keys |\n| --- | ---: | --- | --- |\n\
             | a | 1 | 2 | x, y |\n| b |  | two |  |\n| c | 2.5 |  |  |\n"
        );
    }

    /// Regression (hostile text): text copied from an issue into a
    /// Markdown report can mention nobody, reference no issue, embed no
    /// image and link nowhere when the report is pasted into GitHub.
    #[test]
    fn markdown_reports_neutralise_mentions_references_images_and_links() {
        let hostile = "@octocat @acme/sre see #12 and acme/ops#3 ![x](http://t.png) [y](https://evil) https://evil www.evil.com";
        let r = result(&["title"], vec![vec![hostile.into()]]);
        let md = text(&ReportOutput::Rows(r), ReportFormat::Md);
        for bad in [
            "@octocat", "@acme", "#12", "#3", "![x]", "[y](", "://", "www.",
        ] {
            assert!(!md.contains(bad), "{bad} in {md}");
        }
        // The words are all still there for a reader.
        let shown: String = md
            .chars()
            .filter(|c| *c != '\u{200D}' && *c != '\\')
            .collect();
        assert!(
            shown.contains("@octocat @acme/sre see #12 and acme/ops#3"),
            "{shown}"
        );
    }

    #[test]
    fn csv_sections_are_separate_blocks() {
        let sections = ReportOutput::Sections(vec![
            ("a".into(), result(&["x"], vec![vec![1.into()]])),
            ("b".into(), result(&["y"], vec![])),
        ]);
        let csv = text(&sections, ReportFormat::Csv).replace("\r\n", "\n");
        assert_eq!(csv, "# section: a\nx\n1\n\n# section: b\ny\n");
    }
}
