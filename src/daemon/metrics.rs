//! The daemon's Prometheus metrics (prometheus-client): counters fed by each
//! cycle's outcome, gauges refreshed from the database at the end of each
//! cycle (`queries/metrics/*.sql`, the write-back flags and the aging
//! report), and `recur_build_info`. `/metrics` encodes the registry as
//! OpenMetrics (what Prometheus asks for) or, for anyone else (curl,
//! `promtool check metrics`), as the classic text format 0.0.4.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::queries;
use crate::settings::Deadlines;
use crate::store::{Store, StoreError};

/// A label value escaped by the OpenMetrics rules (`\\`, `\"`, `\n`).
/// prometheus-client writes label values as they are, so one `"` in a
/// value would end the string early and break the whole scrape.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct LabelText(pub String);

impl EncodeLabelValue for LabelText {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        for c in self.0.chars() {
            match c {
                '\\' => encoder.write_str("\\\\")?,
                '"' => encoder.write_str("\\\"")?,
                '\n' => encoder.write_str("\\n")?,
                c => encoder.write_char(c)?,
            }
        }
        Ok(())
    }
}

impl From<String> for LabelText {
    fn from(s: String) -> Self {
        LabelText(s)
    }
}

impl From<&str> for LabelText {
    fn from(s: &str) -> Self {
        LabelText(s.to_string())
    }
}

/// `{source}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    /// Source name.
    pub source: LabelText,
}

/// `{source, priority, status}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ItemLabels {
    /// Source name.
    pub source: LabelText,
    /// P0–P3 or `none`.
    pub priority: LabelText,
    /// Workflow status (bounded to the known ones and `other`) or `none`.
    pub status: LabelText,
}

/// `{outcome}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// applied | failed | skipped | deferred.
    pub outcome: LabelText,
}

/// `{version, commit}`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    /// The crate version (`CARGO_PKG_VERSION`).
    pub version: LabelText,
    /// The short git commit at build time, or `unknown` (see `build.rs`).
    pub commit: LabelText,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// Every series the daemon exports.
pub struct Metrics {
    registry: Registry,
    /// recur_open_items.
    pub open_items: Family<ItemLabels, Gauge>,
    /// recur_overdue_items.
    pub overdue_items: Gauge,
    /// recur_open_bad_minutes.
    pub open_bad_minutes: FloatGauge,
    /// recur_open_budget_share.
    pub open_budget_share: FloatGauge,
    /// recur_api_requests_total.
    pub api_requests: Family<SourceLabel, Counter>,
    /// recur_sync_duration_seconds.
    pub sync_duration: Histogram,
    /// recur_last_sync_timestamp_seconds.
    pub last_sync: Family<SourceLabel, FloatGauge>,
    /// recur_rate_limit_remaining.
    pub rate_remaining: Family<SourceLabel, Gauge>,
    /// recur_writeback_operations_total.
    pub writeback_ops: Family<OutcomeLabel, Counter>,
    /// recur_cycles_total.
    pub cycles: Counter,
    /// recur_cycle_failures_total.
    pub cycle_failures: Counter,
    /// recur_cycles_skipped_total.
    pub cycles_skipped: Counter,
    /// recur_build_info, always 1.
    pub build_info: Family<BuildLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every series.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("recur");
        let m = Metrics {
            registry: Registry::default(),
            open_items: Family::default(),
            overdue_items: Gauge::default(),
            open_bad_minutes: FloatGauge::default(),
            open_budget_share: FloatGauge::default(),
            api_requests: Family::default(),
            sync_duration: Histogram::new([
                1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
            ]),
            last_sync: Family::default(),
            rate_remaining: Family::default(),
            writeback_ops: Family::default(),
            cycles: Counter::default(),
            cycle_failures: Counter::default(),
            cycles_skipped: Counter::default(),
            build_info: Family::default(),
        };
        registry.register(
            "open_items",
            "Open tracked action items and risks by source, priority and status",
            m.open_items.clone(),
        );
        registry.register(
            "overdue_items",
            "Open action items past their target date or their priority's deadline",
            m.overdue_items.clone(),
        );
        registry.register(
            "open_bad_minutes",
            "Expected bad minutes per year of the active risks (latest scoring run)",
            m.open_bad_minutes.clone(),
        );
        registry.register(
            "open_budget_share",
            "Share of a yearly error budget the active risks' expected cost uses (1.0 = one budget)",
            m.open_budget_share.clone(),
        );
        registry.register(
            "api_requests",
            "Tracker API requests made by sync and write-back",
            m.api_requests.clone(),
        );
        registry.register(
            "sync_duration_seconds",
            "Duration of the sync step of a cycle",
            m.sync_duration.clone(),
        );
        registry.register(
            "last_sync_timestamp_seconds",
            "When each source last synced successfully (Unix seconds)",
            m.last_sync.clone(),
        );
        registry.register(
            "rate_limit_remaining",
            "Requests left in the tracker's rate-limit window, as last reported",
            m.rate_remaining.clone(),
        );
        registry.register(
            "writeback_operations",
            "Write-back operations by outcome",
            m.writeback_ops.clone(),
        );
        registry.register("cycles", "Cycles run", m.cycles.clone());
        registry.register(
            "cycle_failures",
            "Cycles in which a step failed",
            m.cycle_failures.clone(),
        );
        registry.register(
            "cycles_skipped",
            "Cycles skipped because another process held the database file",
            m.cycles_skipped.clone(),
        );
        // An info-style gauge (the Prometheus convention, queried with
        // `group_left`): not prometheus-client's `Info`, whose OpenMetrics
        // `info` type Prometheus 2.x stores as `unknown` and the text
        // format has no word for.
        registry.register(
            "build_info",
            "The recur build: version and git commit (value always 1)",
            m.build_info.clone(),
        );
        m.build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").into(),
                commit: env!("BUILD_COMMIT").into(),
            })
            .set(1);
        Metrics { registry, ..m }
    }

    /// The OpenMetrics exposition (ends with `# EOF`).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    /// The classic Prometheus text format (0.0.4), from [`Self::encode`].
    pub fn encode_text(&self) -> String {
        openmetrics_to_text(&self.encode())
    }

    /// Refreshes the gauges from the database.
    pub async fn refresh(
        &self,
        store: &Store,
        deadlines: &Deadlines,
        today: chrono::NaiveDate,
    ) -> Result<(), StoreError> {
        self.set_gauges(&Gauges::read(store, deadlines, today).await?);
        Ok(())
    }

    /// Sets the gauges to values read by [`Gauges::read`] (here, or in a
    /// cycle worker).
    pub fn set_gauges(&self, g: &Gauges) {
        self.open_items.clear();
        for o in &g.open_items {
            self.open_items
                .get_or_create(&ItemLabels {
                    source: o.source.as_str().into(),
                    priority: o.priority.as_str().into(),
                    status: o.status.as_str().into(),
                })
                .set(o.count);
        }
        for s in &g.sources {
            let source = SourceLabel {
                source: s.source.as_str().into(),
            };
            if let Some(t) = s.last_sync {
                self.last_sync.get_or_create(&source).set(t);
            }
            if let Some(r) = s.rate_remaining {
                self.rate_remaining.get_or_create(&source).set(r);
            }
        }
        self.open_bad_minutes.set(g.open_bad_minutes);
        self.open_budget_share.set(g.open_budget_share);
        self.overdue_items.set(g.overdue_items);
    }
}

/// The gauges' values as read from the database at the end of a cycle:
/// plain data, so a cycle run in a worker process can hand them to the
/// daemon (which alone keeps the registry).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Gauges {
    /// recur_open_items, one entry per label set.
    pub open_items: Vec<OpenItems>,
    /// Per source: last sync and rate-limit remaining, when known.
    pub sources: Vec<SourceGauges>,
    /// recur_open_bad_minutes.
    pub open_bad_minutes: f64,
    /// recur_open_budget_share.
    pub open_budget_share: f64,
    /// recur_overdue_items.
    pub overdue_items: i64,
}

/// One recur_open_items series.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpenItems {
    /// Source name.
    pub source: String,
    /// P0–P3 or `none`.
    pub priority: String,
    /// Bounded status or `none`.
    pub status: String,
    /// Open items.
    pub count: i64,
}

/// A source's sync gauges.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SourceGauges {
    /// Source name.
    pub source: String,
    /// recur_last_sync_timestamp_seconds, when it has synced.
    pub last_sync: Option<f64>,
    /// recur_rate_limit_remaining, when a tracker reported it.
    pub rate_remaining: Option<i64>,
}

impl Gauges {
    /// Reads every gauge from the database (`queries/metrics/*.sql` and
    /// the aging report).
    pub async fn read(
        store: &Store,
        deadlines: &Deadlines,
        today: chrono::NaiveDate,
    ) -> Result<Gauges, StoreError> {
        let mut g = Gauges::default();
        let q = queries::get("metrics/open_items.sql");
        let open = store.query(q.name, q.sql, vec![]).await?;
        for row in &open.rows {
            let text = |i: usize| row[i].as_str().unwrap_or("none").to_string();
            g.open_items.push(OpenItems {
                source: text(0),
                priority: text(1),
                status: text(2),
                count: row[3].as_i64().unwrap_or(0),
            });
        }
        let q = queries::get("metrics/exposure.sql");
        let exposure = store.query(q.name, q.sql, vec![]).await?;
        for row in &exposure.rows {
            g.open_bad_minutes += row[1].as_f64().unwrap_or(0.0);
            g.open_budget_share += row[2].as_f64().unwrap_or(0.0);
            g.sources.push(SourceGauges {
                source: row[0].as_str().unwrap_or_default().to_string(),
                last_sync: row[3].as_f64(),
                rate_remaining: row[4].as_i64(),
            });
        }
        // The aging report's `all/all` row counts overdue action items with
        // the same rule write-back's `overdue` flag uses.
        let q = queries::get("health/aging.sql");
        let days = (today - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days();
        use duckdb::types::Value;
        let aging = store
            .query(
                q.name,
                q.sql,
                vec![
                    Value::Date32(days as i32),
                    Value::Null,
                    Value::BigInt(deadlines.critical),
                    Value::BigInt(deadlines.high),
                    Value::BigInt(deadlines.medium),
                    Value::BigInt(deadlines.low),
                ],
            )
            .await?;
        g.overdue_items = aging
            .to_objects()
            .into_iter()
            .find(|r| r["priority"] == "all" && r["bucket"] == "all")
            .and_then(|r| r["overdue"].as_i64())
            .unwrap_or(0);
        Ok(g)
    }
}

/// OpenMetrics text -> Prometheus text 0.0.4, for the types this registry
/// uses (gauge, counter, histogram). The two differ where it matters to a
/// text-format reader: an OpenMetrics counter family is named without
/// `_total` while its samples carry it, so a 0.0.4 parser (promtool) finds
/// samples with no HELP or TYPE; and `# EOF` and `# UNIT` are OpenMetrics
/// only. Samples and label escaping are the same in both.
fn openmetrics_to_text(open: &str) -> String {
    let counters: std::collections::HashSet<&str> = open
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open.len());
    for line in open.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        if let Some((prefix, rest)) = meta {
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            if counters.contains(name) {
                out.push_str(&format!("{prefix}{name}_total {tail}\n"));
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (hostile text): a status with a quote, a backslash and a
    /// line break in one issue used to break the whole scrape.
    #[test]
    fn a_hostile_label_value_is_escaped_and_the_scrape_still_parses() {
        let m = Metrics::new();
        m.open_items
            .get_or_create(&ItemLabels {
                source: "gh".into(),
                priority: "P1".into(),
                status: "in \"progress\" \\ or\nnot".into(),
            })
            .set(3);
        let text = m.encode();
        assert!(
            text.contains(r#"status="in \"progress\" \\ or\nnot""#),
            "{text}"
        );
        let lines: Vec<_> = text.lines().map(|l| Ok(l.to_string())).collect();
        let scrape = prometheus_parse::Scrape::parse(lines.into_iter()).expect("parses");
        let s = scrape
            .samples
            .iter()
            .find(|s| s.metric == "recur_open_items")
            .expect("the series");
        assert_eq!(s.labels.get("priority"), Some("P1"));
        assert!(matches!(s.value, prometheus_parse::Value::Gauge(v) if v == 3.0));
    }

    /// The classic text format names counter families with `_total` (what
    /// a 0.0.4 parser such as `promtool check metrics` looks up a sample's
    /// HELP by) and has no `# EOF`; every sample has a HELP and a TYPE.
    #[test]
    fn the_text_format_gives_every_sample_its_help_and_type() {
        let m = Metrics::new();
        m.api_requests
            .get_or_create(&SourceLabel {
                source: "gh".into(),
            })
            .inc_by(4);
        m.sync_duration.observe(2.0);
        let open = m.encode();
        assert!(
            open.contains("# TYPE recur_api_requests counter\n"),
            "{open}"
        );
        assert!(open.ends_with("# EOF\n"), "{open}");
        let text = m.encode_text();
        assert!(!text.contains("# EOF"), "{text}");
        assert!(
            text.contains(
                "# HELP recur_api_requests_total Tracker API requests made by sync and write-back.\n\
                 # TYPE recur_api_requests_total counter\n\
                 recur_api_requests_total{source=\"gh\"} 4\n"
            ),
            "{text}"
        );
        let described = |prefix: &str| -> std::collections::BTreeSet<String> {
            text.lines()
                .filter_map(|l| l.strip_prefix(prefix))
                .map(|l| l.split(' ').next().unwrap_or_default().to_string())
                .collect()
        };
        let (helped, typed) = (described("# HELP "), described("# TYPE "));
        assert_eq!(helped, typed);
        let mut samples = 0;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap_or_default();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s).filter(|f| helped.contains(*f)))
                .unwrap_or(name);
            assert!(helped.contains(family), "{name} has no HELP in:\n{text}");
            samples += 1;
        }
        assert!(samples > 10, "{text}");
        // The samples themselves are untouched.
        let sample_lines = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(sample_lines(&open), sample_lines(&text));
    }

    #[test]
    fn build_info_names_this_version_and_a_commit() {
        let text = Metrics::new().encode_text();
        let line = text
            .lines()
            .find(|l| l.starts_with("recur_build_info{"))
            .unwrap_or_else(|| panic!("no recur_build_info in:\n{text}"));
        assert!(
            line.starts_with(&format!(
                "recur_build_info{{version=\"{}\",commit=\"",
                env!("CARGO_PKG_VERSION")
            )),
            "{line}"
        );
        assert!(line.ends_with("\"} 1"), "{line}");
        let commit = env!("BUILD_COMMIT");
        assert!(
            commit == "unknown" || commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{commit}"
        );
    }

    /// The README's metrics table is the HELP text, metric by metric.
    #[test]
    fn the_readme_lists_every_metric_with_its_help() {
        let readme = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"),
        )
        .expect("README.md");
        let text = Metrics::new().encode_text();
        let mut n = 0;
        for help in text.lines().filter_map(|l| l.strip_prefix("# HELP ")) {
            let (name, help) = help.split_once(' ').expect("name and text");
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| `{name}` (")))
                .unwrap_or_else(|| panic!("README: no row for {name}"));
            let help = help.trim_end_matches('.');
            assert!(row.ends_with(&format!("| {help} |")), "{row}\nHELP: {help}");
            n += 1;
        }
        assert_eq!(n, 13, "{text}");
    }
}
