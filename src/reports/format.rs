//! Rendering report output. Table and CSV reuse [`crate::output`]; JSON is
//! one array of row objects, or for sectioned reports one object mapping
//! section names (in report order) to such arrays; Markdown is a review
//! document: a title, a heading and a table per section.

use std::io::{self, Write};

use serde_json::Value as J;

use super::ReportOutput;
use crate::output::{self, Format};
use crate::store::QueryResult;

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

/// Writes `output` of the report `report` in `format`.
pub fn render(
    out: &mut dyn Write,
    report: &str,
    output: &ReportOutput,
    format: ReportFormat,
) -> io::Result<()> {
    match format {
        // Streamed row by row: no value tree the size of the answer is
        // built (lint over 1M items answers in the hundreds of thousands of
        // rows).
        ReportFormat::Json => {
            let mut w = io::BufWriter::new(&mut *out);
            match output {
                ReportOutput::Rows(r) => write_rows_json(&mut w, r)?,
                ReportOutput::Sections(sections) => {
                    w.write_all(b"{")?;
                    for (i, (name, r)) in sections.iter().enumerate() {
                        if i > 0 {
                            w.write_all(b",")?;
                        }
                        serde_json::to_writer(&mut w, name)?;
                        w.write_all(b":")?;
                        write_rows_json(&mut w, r)?;
                    }
                    w.write_all(b"}")?;
                }
            }
            writeln!(w)?;
            w.flush()
        }
        ReportFormat::Table | ReportFormat::Csv => {
            let fmt = if format == ReportFormat::Table {
                Format::Table
            } else {
                Format::Csv
            };
            match output {
                ReportOutput::Rows(r) => output::write(out, r, fmt),
                ReportOutput::Sections(sections) => {
                    for (i, (name, r)) in sections.iter().enumerate() {
                        if i > 0 {
                            writeln!(out)?;
                        }
                        if fmt == Format::Table {
                            writeln!(out, "== {name} ==")?;
                        } else {
                            writeln!(out, "# section: {name}")?;
                        }
                        output::write(out, r, fmt)?;
                    }
                    Ok(())
                }
            }
        }
        ReportFormat::Md => markdown(out, report, output),
        // Only the review pack is HTML; the CLI refuses other reports
        // before running them.
        ReportFormat::Html => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{report} has no HTML form; only `recur report review` does"),
        )),
    }
}

fn rows_json(r: &QueryResult) -> J {
    J::Array(r.to_objects().into_iter().map(J::Object).collect())
}

/// `[{column: value, …}, …]`, written as it goes. Columns in order; a
/// result with a repeated column name goes through [`rows_json`], whose
/// object keeps one of each, so both paths write the same text.
fn write_rows_json(w: &mut impl Write, r: &QueryResult) -> io::Result<()> {
    let mut seen = std::collections::HashSet::new();
    if !r.columns.iter().all(|c| seen.insert(c)) {
        return Ok(serde_json::to_writer(w, &rows_json(r))?);
    }
    let keys = r
        .columns
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()?;
    w.write_all(b"[")?;
    for (i, row) in r.rows.iter().enumerate() {
        w.write_all(if i > 0 { b",{" } else { b"{" })?;
        for (j, (k, v)) in keys.iter().zip(row).enumerate() {
            if j > 0 {
                w.write_all(b",")?;
            }
            w.write_all(k.as_bytes())?;
            w.write_all(b":")?;
            serde_json::to_writer(&mut *w, v)?;
        }
        w.write_all(b"}")?;
    }
    w.write_all(b"]")
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

fn markdown(out: &mut dyn Write, report: &str, output: &ReportOutput) -> io::Result<()> {
    writeln!(out, "# {}", md_text(&title(report)))?;
    match output {
        ReportOutput::Rows(r) => {
            writeln!(out)?;
            md_table(out, r)
        }
        ReportOutput::Sections(sections) => {
            for (name, r) in sections {
                writeln!(out)?;
                writeln!(out, "## {}", md_text(&title(name)))?;
                writeln!(out)?;
                md_table(out, r)?;
            }
            Ok(())
        }
    }
}

fn md_table(out: &mut dyn Write, r: &QueryResult) -> io::Result<()> {
    if r.rows.is_empty() {
        return writeln!(out, "_None._");
    }
    let cells: Vec<String> = r.columns.iter().map(|c| md_text(c)).collect();
    writeln!(out, "| {} |", cells.join(" | "))?;
    let aligns: Vec<&str> = (0..r.columns.len())
        .map(|i| {
            let numeric = r
                .rows
                .iter()
                .all(|row| matches!(row.get(i), Some(J::Number(_) | J::Null)));
            if numeric {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    writeln!(out, "| {} |", aligns.join(" | "))?;
    for row in &r.rows {
        let cells: Vec<String> = row.iter().map(md_cell).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
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
            write_rows_json(&mut streamed, &r).unwrap();
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                serde_json::to_string(&rows_json(&r)).unwrap()
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
