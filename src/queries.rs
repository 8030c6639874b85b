//! The SQL files under `queries/` that are not migrations, built into the
//! binary. Every `.sql` file in `queries/` must be listed here or in
//! [`crate::store::MIGRATIONS`]; a test fails otherwise.

/// One SQL file.
#[derive(Debug, Clone, Copy)]
pub struct QueryFile {
    /// Path below `queries/`, e.g. `demo/summary.sql`.
    pub name: &'static str,
    /// The SQL text.
    pub sql: &'static str,
}

macro_rules! query_files {
    ($($path:literal),* $(,)?) => {
        /// Every query file, by path.
        pub const FILES: &[QueryFile] = &[
            $(QueryFile { name: $path, sql: include_str!(concat!("../queries/", $path)) },)*
        ];
    };
}

query_files!(
    "demo/summary.sql",
    "demo/oldest_open.sql",
    "risk/score_inputs.sql",
    "risk/registry.sql",
    "risk/registry_total.sql",
    "risk/registry_reversals.sql",
    "risk/movement_burndown.sql",
    "risk/movement_unmoved.sql",
    "risk/movement_stale_review.sql",
    "risk/movement_no_owner.sql",
    "risk/movement_no_action.sql",
    "risk/movement_closed_unreviewed.sql",
    "health/aging.sql",
    "health/checkpoint.sql",
    "health/evidence.sql",
    "health/lint.sql",
    "health/monthly_blocked.sql",
    "health/monthly_completed.sql",
    "health/monthly_completed_summary.sql",
    "health/monthly_due_this_month.sql",
    "health/monthly_open_by_age.sql",
    "health/monthly_open_by_owner.sql",
    "health/monthly_open_by_service.sql",
    "health/monthly_repeat_linked.sql",
    "health/quarterly_completion_by_effect.sql",
    "health/quarterly_completion_by_type.sql",
    "health/quarterly_duplicates.sql",
    "health/quarterly_obsolete.sql",
    "health/quarterly_teams.sql",
    "health/quarterly_themes.sql",
    "health/repeats.sql",
    "health/trends_blockers.sql",
    "health/trends_concentration.sql",
    "health/trends_flow.sql",
    "health/deferred.sql",
    "health/followups_gaps.sql",
    "health/followups_incidents.sql",
    "health/followups_priority.sql",
    "health/monthly_aging_by_effect.sql",
    "health/monthly_completed_weighted.sql",
    "health/monthly_open_by_service_effect.sql",
    "health/monthly_risk_reduction.sql",
    "health/quarterly_chronic.sql",
    "health/quarterly_cross_cutting.sql",
    "health/quarterly_likelihood_rising.sql",
    "health/quarterly_promote.sql",
    "health/quarterly_unmoved_top.sql",
    "health/weekly_blocked.sql",
    "health/weekly_idle.sql",
    "meta/history_coverage.sql",
    "meta/history_inferred.sql",
    "metrics/open_items.sql",
    "metrics/exposure.sql",
    "review/headline.sql",
    "review/top_risks.sql",
    "writeback/flags.sql",
    "writeback/summary.sql",
);

/// The file at `name`; panics at once in tests if a name is mistyped.
pub fn get(name: &str) -> &'static QueryFile {
    FILES
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("query file {name} is not listed in src/queries.rs"))
}

/// The description of a file: its first `--` header line after the name.
pub fn describe(file: &QueryFile) -> String {
    file.sql
        .lines()
        .take_while(|l| l.starts_with("--"))
        .next()
        .map(|l| l.trim_start_matches("--").trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else if p.extension().is_some_and(|e| e == "sql") {
                out.push(
                    p.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }

    #[test]
    fn every_sql_file_is_listed() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let mut found = Vec::new();
        walk(&base, &base, &mut found);
        assert!(!found.is_empty());
        for f in found {
            let listed = FILES.iter().any(|q| q.name == f)
                || crate::store::MIGRATIONS
                    .iter()
                    .any(|m| format!("migrations/{}", m.name) == f);
            assert!(
                listed,
                "queries/{f} is not listed in src/queries.rs or store::MIGRATIONS"
            );
        }
    }

    #[test]
    fn every_query_file_has_a_header() {
        for f in FILES {
            let header: Vec<&str> = f.sql.lines().take_while(|l| l.starts_with("--")).collect();
            let text = header.join("\n");
            assert!(
                text.contains("Parameters"),
                "{} lacks a Parameters line",
                f.name
            );
            assert!(
                text.contains("Output columns"),
                "{} lacks an Output columns line",
                f.name
            );
        }
    }

    #[test]
    fn migrations_are_numbered_in_order() {
        for (i, m) in crate::store::MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{}",
                m.name
            );
        }
    }
}
