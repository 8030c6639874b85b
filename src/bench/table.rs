//! The one table `recur bench` ends with: each figure, its goal and the
//! ratio of the two, in Markdown so the README's table is pasted from it.
//! Figures are read, never asserted: `met` is information, not a verdict
//! the run acts on.

use std::fmt::Write as _;

/// What a figure should be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Goal {
    /// At least this (throughput).
    AtLeast(f64),
    /// At most this (time, memory, requests against the minimum).
    AtMost(f64),
    /// No goal: context for the others.
    None,
}

struct Row {
    name: String,
    value: f64,
    unit: &'static str,
    goal: Goal,
}

/// Figures in the order they were measured.
#[derive(Default)]
pub(crate) struct Table {
    rows: Vec<Row>,
}

/// `12,345` for large numbers, two significant decimals for small ones.
fn number(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v.abs() >= 100.0 {
        let n = v.round() as i64;
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0 {
            out.insert(0, '-');
        }
        out
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

impl Table {
    pub(crate) fn add(
        &mut self,
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
        goal: Goal,
    ) {
        self.rows.push(Row {
            name: name.into(),
            value,
            unit,
            goal,
        });
    }

    /// The table: figure, value, goal, ratio (value ÷ goal) and whether the
    /// goal is met.
    pub(crate) fn render(&self) -> String {
        let mut out = String::from(
            "| figure | value | goal | ratio (value ÷ goal) | met |\n|---|---:|---:|---:|:---:|\n",
        );
        for r in &self.rows {
            let value = format!("{} {}", number(r.value), r.unit);
            let (goal, ratio, met) = match r.goal {
                Goal::AtLeast(g) => (
                    format!("≥ {} {}", number(g), r.unit),
                    number(r.value / g),
                    if r.value >= g { "yes" } else { "no" },
                ),
                Goal::AtMost(g) => (
                    format!("≤ {} {}", number(g), r.unit),
                    number(r.value / g),
                    if r.value <= g { "yes" } else { "no" },
                ),
                Goal::None => (String::new(), String::new(), ""),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                r.name,
                value.trim_end(),
                goal.trim_end(),
                ratio,
                met
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_states_each_figure_against_its_goal() {
        let mut t = Table::default();
        t.add(
            "GitHub first sync",
            6498.4,
            "issues/s",
            Goal::AtLeast(30_000.0),
        );
        t.add("peak RSS", 250.0, "MB", Goal::AtMost(300.0));
        t.add("bare parse", 130_000.0, "entries/s", Goal::None);
        let s = t.render();
        assert!(
            s.contains("| GitHub first sync | 6,498 issues/s | ≥ 30,000 issues/s | 0.22 | no |"),
            "{s}"
        );
        assert!(
            s.contains("| peak RSS | 250 MB | ≤ 300 MB | 0.83 | yes |"),
            "{s}"
        );
        assert!(
            s.contains("| bare parse | 130,000 entries/s |  |  |  |"),
            "{s}"
        );
        assert_eq!(number(-1234.0), "-1,234");
        assert_eq!(number(f64::NAN), "–");
    }
}
