//! Backlog-health reports (`recur report NAME`): the registry of built-in
//! reports, each one or more sections backed by one SQL file under
//! `queries/health/`, user reports read from a directory, parameter binding
//! driven by each file's `-- Parameters:` header, and the runner. Rendering
//! lives in `format` ([`render`]), the benchmark in `bench` ([`bench_reports`]).
//!
//! Parameters are never formatted into SQL: a file's header names them
//! (`$1 as_of (DATE), $2 service (VARCHAR, …)`) and the runner binds the
//! matching [`ReportParams`] values in that order, so a file asks only for
//! what it uses and user reports follow the same convention.

mod bench;
mod catalog;
mod format;
pub mod risk;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use duckdb::types::Value;

use crate::queries;
use crate::settings::{
    Deadlines, Settings, DEFAULT_FOLLOWUP_DAYS, DEFAULT_REPEAT_LOOKBACK_DAYS,
    DEFAULT_REVIEW_INTERVAL_DAYS, DEFAULT_TOP_RISKS,
};
use crate::store::{QueryResult, RowSink, Store, StoreError};

pub use bench::bench_reports;
use catalog::{BUILTINS, REVIEW_PACK, RISK_REPORTS};
pub use format::{md_text, render, Renderer, ReportFormat};

/// What a report is asked for; `None` takes the report's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportParams {
    /// Window length in days (checkpoint 7, monthly 30, quarterly 90; 30 for user reports).
    pub days: Option<i64>,
    /// Lower bound for `evidence` (and the first period of `trends`).
    pub since: Option<NaiveDate>,
    /// Answer as of the end of this day (default: today, UTC).
    pub as_of: Option<NaiveDate>,
    /// Only this service.
    pub service: Option<String>,
    /// `week` or `month` (default) for `trends`.
    pub period: Option<String>,
    /// Per-priority deadlines.
    pub deadlines: Deadlines,
    /// How far back an incident without a linked risk looks for earlier
    /// items of its service and theme or type (`[reports]
    /// repeat_lookback_days`, default 365); `None` takes the default.
    pub repeat_lookback_days: Option<i64>,
    /// The run's clock (src/clock.rs): its day is the default `as_of`.
    /// `None` reads the system clock (library callers without a run).
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Rows per section of `movement`, and how many risks count as the top
    /// for `quarterly`'s unmoved_top (default 10; `[reports] top_risks`).
    pub top: Option<usize>,
    /// Days after an incident starts before a missing follow-up is a gap
    /// (`[reports] followup_days`, default 7).
    pub followup_days: Option<i64>,
    /// Days between two reviews, for unmoved_top (`[reports]
    /// review_interval_days`, default 28).
    pub review_interval_days: Option<i64>,
}

impl ReportParams {
    /// The moment the report answers for: the end of `as_of`, else the
    /// run's clock, else now.
    pub fn moment(&self) -> chrono::DateTime<chrono::Utc> {
        self.as_of
            .map(end_of_day)
            .or(self.now)
            .unwrap_or_else(chrono::Utc::now)
    }

    /// The parameters the configuration sets (deadlines, repeat look-back);
    /// the command line fills the rest.
    pub fn from_settings(settings: &Settings) -> Self {
        ReportParams {
            deadlines: settings.deadlines,
            repeat_lookback_days: Some(settings.repeat_lookback_days),
            top: Some(settings.top_risks),
            followup_days: Some(settings.followup_days),
            review_interval_days: Some(settings.review_interval_days),
            ..Default::default()
        }
    }
}

/// A report's result: one table, or named sections in a fixed order.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportOutput {
    /// A single table.
    Rows(QueryResult),
    /// Several tables (monthly, quarterly, trends), in display order.
    Sections(Vec<(String, QueryResult)>),
}

/// What sort of report an entry of the catalogue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// Backlog health, from `queries/health/`.
    Health,
    /// The risk registry and its movement, from `queries/risk/` over the
    /// scoring runs.
    Risk,
    /// The HTML review pack (`--format html` only), built from the others.
    ReviewPack,
    /// A `*.sql` file of the user's `[queries] dir`.
    User,
}

/// One entry of the report catalogue: a line of `recur report --list`, a
/// `/reports/NAME.json` (or `review.html`), a section source of the review
/// pack, a case of the every-report tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportInfo {
    /// The name given to `recur report`.
    pub name: String,
    /// What it answers, in one line.
    pub description: String,
    /// Read from the user's query directory rather than built in.
    pub user: bool,
    /// Health, risk, the review pack, or a user report.
    pub kind: ReportKind,
}

/// The last instant of a UTC day: a report "as of D" reads the state in
/// force then.
pub fn end_of_day(d: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    (d + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc() - chrono::Duration::microseconds(1))
        .unwrap_or_else(chrono::Utc::now)
}

/// Why a report could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// No built-in or user report has this name.
    #[error("no report named {name:?} (have: {})", available.join(", "))]
    Unknown {
        /// The name asked for.
        name: String,
        /// Every report there is.
        available: Vec<String>,
    },
    /// The review pack was asked for as a table, or a table as HTML.
    #[error("{0}")]
    Format(String),
    /// A flag value the reports cannot use.
    #[error("invalid --{flag}: {detail}")]
    BadParameter {
        /// The flag, without dashes.
        flag: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A query file's header names a parameter recur does not provide.
    #[error("{file}: the -- Parameters: header names {detail}; known parameters: {}", PARAMETER_NAMES.join(", "))]
    Header {
        /// The file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// The user's query directory could not be read.
    #[error("cannot read the query directory {}: {source}", path.display())]
    UserDir {
        /// The directory or file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A query failed (the error names the file).
    #[error(transparent)]
    Query(#[from] StoreError),
}

impl ReportError {
    /// True for mistakes in the command line or the query files (exit code
    /// 2); false for failures while running (exit code 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ReportError::Unknown { .. }
                | ReportError::Format(_)
                | ReportError::BadParameter { .. }
                | ReportError::Header { .. }
        )
    }
}

/// How far recur's history reaches for a report as of a day: the report's
/// metadata, so a past day that history cannot answer says so instead of
/// passing today's state off as then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The day asked for.
    pub as_of: NaiveDate,
    /// Tracked items that existed by its end.
    pub items: i64,
    /// Of those, first synced later: their state that day is inferred from
    /// their earliest recorded version.
    pub inferred: i64,
    /// The earliest recorded version of any item, as text (None: empty).
    pub history_from: Option<String>,
}

impl Coverage {
    /// A sentence for people when some answer is inferred; `None` when
    /// history answers everything.
    pub fn note(&self) -> Option<String> {
        (self.inferred > 0).then(|| {
            format!(
                "history starts {}: for {} of {} items the state on {} is inferred from \
                 their first recorded version (open unless closed by then; other fields \
                 as first recorded)",
                self.history_from
                    .as_deref()
                    .map(|t| t.get(..10).unwrap_or(t))
                    .unwrap_or("later"),
                self.inferred,
                self.items,
                self.as_of
            )
        })
    }
}

/// Runs the `meta/` query `file`, whose one parameter is the day.
async fn meta_of_day(
    store: &Store,
    file: &str,
    as_of: NaiveDate,
) -> Result<QueryResult, StoreError> {
    let q = queries::get(file);
    let day = Value::Text(as_of.format("%Y-%m-%d").to_string());
    store.query(q.name, q.sql, vec![day]).await
}

/// The note of a report as of `as_of` ([`Coverage::note`]). Most days
/// infer nothing, and that is asked first for ~10 ms; only then is every
/// tracked item of the day counted for the note (~130 ms over 1M items,
/// paid before by every `--as-of` report).
pub async fn coverage_note(store: &Store, as_of: NaiveDate) -> Result<Option<String>, ReportError> {
    let r = meta_of_day(store, "meta/history_inferred.sql", as_of).await?;
    let inferred = r
        .rows
        .first()
        .and_then(|r| r.first())
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    if inferred == 0 {
        return Ok(None);
    }
    Ok(coverage(store, as_of).await?.note())
}

/// [`Coverage`] of a report as of the end of `as_of`.
pub async fn coverage(store: &Store, as_of: NaiveDate) -> Result<Coverage, ReportError> {
    let r = meta_of_day(store, "meta/history_coverage.sql", as_of).await?;
    let row = r.rows.first();
    let int = |i: usize| {
        row.and_then(|r| r.get(i))
            .and_then(|v| v.as_i64())
            .unwrap_or(0)
    };
    Ok(Coverage {
        as_of,
        items: int(0),
        inferred: int(2),
        history_from: row
            .and_then(|r| r.get(3))
            .and_then(|v| v.as_str())
            .map(str::to_string),
    })
}

/// `days` for user reports when the flag is not given.
const USER_DEFAULT_DAYS: i64 = 30;

/// The parameters a query file may name in its header, in no particular order.
pub const PARAMETER_NAMES: &[&str] = &[
    "as_of",
    "days",
    "since",
    "service",
    "period",
    "deadline_critical",
    "deadline_high",
    "deadline_medium",
    "deadline_low",
    "lookback_days",
    "followup_days",
    "review_interval_days",
    "top",
];

/// The report catalogue: the health reports, the risk reports, the review
/// pack, then the `*.sql` files of `user_dir` (sorted by name). `--list`,
/// the daemon's `/reports/*`, the review pack and the every-report tests
/// all read it. A user file named like a built-in is listed but cannot be
/// run under that name; rename it.
pub fn list(user_dir: Option<&Path>) -> Result<Vec<ReportInfo>, ReportError> {
    let builtin = |name: &str, description: &str, kind| ReportInfo {
        name: name.to_string(),
        description: description.to_string(),
        user: false,
        kind,
    };
    let mut out: Vec<ReportInfo> = BUILTINS
        .iter()
        .map(|b| builtin(b.name, b.description, ReportKind::Health))
        .collect();
    out.extend(
        RISK_REPORTS
            .iter()
            .map(|(n, d)| builtin(n, d, ReportKind::Risk)),
    );
    out.push(builtin(
        REVIEW_PACK.0,
        REVIEW_PACK.1,
        ReportKind::ReviewPack,
    ));
    for u in user_reports(user_dir)? {
        let shadowed = is_builtin(&u.name);
        out.push(ReportInfo {
            description: if shadowed {
                format!(
                    "(hidden by the built-in report of this name) {}",
                    u.description
                )
            } else {
                u.description
            },
            name: u.name,
            user: true,
            kind: ReportKind::User,
        });
    }
    Ok(out)
}

/// Whether `name` is a built-in report (health, risk or the review pack).
fn is_builtin(name: &str) -> bool {
    BUILTINS.iter().any(|b| b.name == name)
        || RISK_REPORTS.iter().any(|(n, _)| *n == name)
        || REVIEW_PACK.0 == name
}

/// Runs the report `name` (built-in first, then `user_dir`) against `store`
/// and collects its answer.
pub async fn run(
    store: &Store,
    name: &str,
    params: &ReportParams,
    user_dir: Option<&Path>,
) -> Result<ReportOutput, ReportError> {
    let all = Collected {
        keep: usize::MAX,
        ..Default::default()
    };
    Ok(answer(store, name, params, user_dir, all)
        .await?
        .into_output())
}

/// Runs the report `name` like [`run`], keeping at most `keep` rows of each
/// section but those named in `whole`, and counting the others: the
/// answer, and each section's number of rows in all (in section order;
/// one for a single table). The review pack shows 50 rows a table (its
/// charts read some sections whole); eleven reports held whole over 1M
/// items took it 1.7 GB.
pub async fn run_kept(
    store: &Store,
    name: &str,
    params: &ReportParams,
    user_dir: Option<&Path>,
    keep: usize,
    whole: &[&str],
) -> Result<(ReportOutput, Vec<usize>), ReportError> {
    let kept = Collected {
        keep,
        whole: whole.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    let mut c = answer(store, name, params, user_dir, kept).await?;
    let totals = std::mem::take(&mut c.totals);
    Ok((c.into_output(), totals))
}

/// Runs the report `name` like [`run`], writing its answer through `out` as
/// it is read instead of collecting it; gives the renderer back to be
/// finished (and anything appended). Nothing is written when the report
/// cannot start (an unknown name, a bad flag, a broken header); a query
/// that fails part-way leaves the sections before it written.
pub async fn run_into<W: std::io::Write + Send + 'static>(
    store: &Store,
    name: &str,
    params: &ReportParams,
    user_dir: Option<&Path>,
    out: Renderer<W>,
) -> Result<Renderer<W>, ReportError> {
    answer(store, name, params, user_dir, out).await
}

/// Where a report's answer goes: the columns and rows of each section (a
/// [`RowSink`], fed straight from the query), between these marks.
trait Answer: RowSink + Sized {
    /// Once, before anything: one table, or named sections.
    fn begin(&mut self, sectioned: bool) -> std::io::Result<()>;
    /// A sectioned report's next section.
    fn section(&mut self, name: &str) -> std::io::Result<()>;
    /// After the section's last row.
    fn end_section(&mut self) -> std::io::Result<()>;
}

impl<W: std::io::Write + Send + 'static> Answer for Renderer<W> {
    fn begin(&mut self, sectioned: bool) -> std::io::Result<()> {
        Renderer::begin(self, sectioned)
    }
    fn section(&mut self, name: &str) -> std::io::Result<()> {
        Renderer::section(self, name)
    }
    fn end_section(&mut self) -> std::io::Result<()> {
        Renderer::end_section(self)
    }
}

/// The answer collected, for [`run`] and [`run_kept`]: at most `keep` rows
/// a section (but those named in `whole`), and how many there were.
#[derive(Default)]
struct Collected {
    keep: usize,
    whole: Vec<String>,
    sectioned: bool,
    sections: Vec<(String, QueryResult)>,
    totals: Vec<usize>,
    /// The rows the current section keeps (`keep`, or all for a section
    /// in `whole`), settled when it starts.
    keeping: usize,
}

impl Collected {
    fn into_output(mut self) -> ReportOutput {
        if self.sectioned {
            ReportOutput::Sections(self.sections)
        } else {
            ReportOutput::Rows(self.sections.pop().map(|(_, r)| r).unwrap_or_default())
        }
    }

    fn current(&mut self) -> &mut QueryResult {
        if self.sections.is_empty() {
            self.section_named(String::new());
        }
        let last = self.sections.len() - 1;
        &mut self.sections[last].1
    }

    fn section_named(&mut self, name: String) {
        self.keeping = if self.whole.contains(&name) {
            usize::MAX
        } else {
            self.keep
        };
        self.sections.push((name, QueryResult::default()));
        self.totals.push(0);
    }
}

impl RowSink for Collected {
    fn columns(&mut self, names: &[String]) -> std::io::Result<()> {
        self.current().columns(names)
    }
    fn row(&mut self, values: &mut Vec<serde_json::Value>) -> std::io::Result<()> {
        // A row before any section header starts the unnamed one.
        self.current();
        let last = self.sections.len() - 1;
        let r = &mut self.sections[last].1;
        if r.rows.len() < self.keeping {
            r.row(values)?;
        }
        if let Some(total) = self.totals.last_mut() {
            *total += 1;
        }
        Ok(())
    }
}

impl Answer for Collected {
    fn begin(&mut self, sectioned: bool) -> std::io::Result<()> {
        self.sectioned = sectioned;
        Ok(())
    }
    fn section(&mut self, name: &str) -> std::io::Result<()> {
        self.section_named(name.to_string());
        Ok(())
    }
    fn end_section(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The error of writing the report `name` out.
fn written(name: &str) -> impl Fn(std::io::Error) -> ReportError + Copy + '_ {
    move |source| {
        ReportError::Query(StoreError::Io {
            what: format!("writing the report {name}"),
            source,
        })
    }
}

/// The one runner behind [`run`] and [`run_into`].
async fn answer<A: Answer>(
    store: &Store,
    name: &str,
    params: &ReportParams,
    user_dir: Option<&Path>,
    mut out: A,
) -> Result<A, ReportError> {
    validate(params)?;
    let written = written(name);
    // The registry and its movement are read whole (a few thousand risks
    // at most) and then written like any other answer.
    let risk = match name {
        "registry" => Some(
            risk::registry(store, params.moment(), params.service.as_deref())
                .await
                .map_err(ReportError::Query)?,
        ),
        "movement" => Some(
            risk::movement(
                store,
                params.moment(),
                params.top.unwrap_or(DEFAULT_TOP_RISKS),
                params.service.as_deref(),
            )
            .await
            .map_err(ReportError::Query)?,
        ),
        n if n == REVIEW_PACK.0 => {
            return Err(ReportError::Format(
                "review is the HTML review pack: use `recur report review --format html`".into(),
            ))
        }
        _ => None,
    };
    if let Some(sections) = risk {
        out.begin(true).map_err(written)?;
        for (section, r) in sections {
            out.section(&section).map_err(written)?;
            out.columns(&r.columns).map_err(written)?;
            for mut row in r.rows {
                out.row(&mut row).map_err(written)?;
            }
            out.end_section().map_err(written)?;
        }
        return Ok(out);
    }
    if let Some(b) = BUILTINS.iter().find(|b| b.name == name) {
        let sectioned = b.sections.len() > 1;
        // Every header is read before anything is written, so a broken one
        // leaves no half-written answer.
        let files = b
            .sections
            .iter()
            .map(|(section, file)| {
                let q = queries::get(file);
                let values = bind_values(q.name, q.sql, params, b.default_days)?;
                Ok((*section, q, values))
            })
            .collect::<Result<Vec<_>, ReportError>>()?;
        out.begin(sectioned).map_err(written)?;
        for (section, q, values) in files {
            if sectioned {
                out.section(section).map_err(written)?;
            }
            out = store.query_each(q.name, q.sql, values, out).await?;
            out.end_section().map_err(written)?;
        }
        return Ok(out);
    }
    let users = user_reports(user_dir)?;
    match users.into_iter().find(|u| u.name == name) {
        Some(u) => {
            let what = u.path.display().to_string();
            let values = bind_values(&what, &u.sql, params, USER_DEFAULT_DAYS)?;
            out.begin(false).map_err(written)?;
            out = store.query_each(&what, &u.sql, values, out).await?;
            out.end_section().map_err(written)?;
            Ok(out)
        }
        None => Err(ReportError::Unknown {
            name: name.to_string(),
            available: list(user_dir)?.into_iter().map(|r| r.name).collect(),
        }),
    }
}

fn validate(params: &ReportParams) -> Result<(), ReportError> {
    if let Some(days) = params.days {
        if days < 1 {
            return Err(ReportError::BadParameter {
                flag: "days",
                detail: format!("{days} is not a positive number of days"),
            });
        }
    }
    if let Some(period) = &params.period {
        if period != "week" && period != "month" {
            return Err(ReportError::BadParameter {
                flag: "period",
                detail: format!("{period:?} is neither week nor month"),
            });
        }
    }
    if let Some(days) = params.followup_days {
        if days < 0 {
            return Err(ReportError::BadParameter {
                flag: "followup-days",
                detail: format!("{days} is a negative number of days"),
            });
        }
    }
    if let Some(days) = params.review_interval_days {
        if days < 1 {
            return Err(ReportError::BadParameter {
                flag: "review-interval-days",
                detail: format!("{days} is not a positive number of days"),
            });
        }
    }
    if params.top == Some(0) {
        return Err(ReportError::BadParameter {
            flag: "top",
            detail: "0 rows: ask for at least one".into(),
        });
    }
    if let Some(days) = params.repeat_lookback_days {
        if days < 1 {
            return Err(ReportError::BadParameter {
                flag: "repeat-lookback-days",
                detail: format!("{days} is not a positive number of days"),
            });
        }
    }
    let d = &params.deadlines;
    for (flag, v) in [
        ("critical", d.critical),
        ("high", d.high),
        ("medium", d.medium),
        ("low", d.low),
    ] {
        if v < 0 {
            return Err(ReportError::BadParameter {
                flag: "deadlines",
                detail: format!("the {flag} deadline is negative ({v} days)"),
            });
        }
    }
    Ok(())
}

/// The values bound to a query file, in the order its header names them.
fn bind_values(
    what: &str,
    sql: &str,
    params: &ReportParams,
    default_days: i64,
) -> Result<Vec<Value>, ReportError> {
    let names = header_parameters(what, sql)?;
    Ok(names
        .iter()
        .map(|n| bind_value(n, params, default_days))
        .collect())
}

/// The value bound for a named parameter. Dates travel as `YYYY-MM-DD`
/// text; the files cast every parameter (`$1::DATE`), so NULL works too.
fn bind_value(name: &str, p: &ReportParams, default_days: i64) -> Value {
    let date = |d: NaiveDate| Value::Text(d.format("%Y-%m-%d").to_string());
    match name {
        "as_of" => date(
            p.as_of
                .unwrap_or_else(|| p.now.unwrap_or_else(chrono::Utc::now).date_naive()),
        ),
        "days" => Value::BigInt(p.days.unwrap_or(default_days)),
        "since" => p.since.map(date).unwrap_or(Value::Null),
        "service" => p.service.clone().map(Value::Text).unwrap_or(Value::Null),
        "period" => Value::Text(p.period.clone().unwrap_or_else(|| "month".into())),
        "deadline_critical" => Value::BigInt(p.deadlines.critical),
        "deadline_high" => Value::BigInt(p.deadlines.high),
        "deadline_medium" => Value::BigInt(p.deadlines.medium),
        "deadline_low" => Value::BigInt(p.deadlines.low),
        "lookback_days" => Value::BigInt(
            p.repeat_lookback_days
                .unwrap_or(DEFAULT_REPEAT_LOOKBACK_DAYS),
        ),
        "followup_days" => Value::BigInt(p.followup_days.unwrap_or(DEFAULT_FOLLOWUP_DAYS)),
        "review_interval_days" => Value::BigInt(
            p.review_interval_days
                .unwrap_or(DEFAULT_REVIEW_INTERVAL_DAYS),
        ),
        "top" => Value::BigInt(p.top.map_or(DEFAULT_TOP_RISKS as i64, |t| {
            t.min(i64::MAX as usize) as i64
        })),
        // header_parameters admits known names only.
        _ => Value::Null,
    }
}

/// The leading `--` comment lines of a query file.
fn header(sql: &str) -> impl Iterator<Item = &str> {
    sql.lines()
        .map(str::trim_start)
        .take_while(|l| l.starts_with("--"))
        .map(|l| l.trim_start_matches('-').trim())
}

/// The parameters a file's header declares, in `$N` order: every `$N name`
/// between `Parameters:` and `Output columns:` (or the header's end).
/// `Parameters: none`, or no such line, means none. Numbers must run
/// 1, 2, … without gaps, and names must be known.
fn header_parameters(file: &str, sql: &str) -> Result<Vec<String>, ReportError> {
    let mut text = String::new();
    let mut inside = false;
    for line in header(sql) {
        if let Some(rest) = line.strip_prefix("Parameters:") {
            inside = true;
            text.push_str(rest);
            text.push(' ');
        } else if line.starts_with("Output columns:") {
            break;
        } else if inside {
            text.push_str(line);
            text.push(' ');
        }
    }
    let mut found: Vec<(usize, String)> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' {
            let digits: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if !digits.is_empty() {
                let mut j = i + 1 + digits.len();
                while j < chars.len() && chars[j] == ' ' {
                    j += 1;
                }
                let name: String = chars[j..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .collect();
                let n: usize = digits.parse().unwrap_or(0);
                if !PARAMETER_NAMES.contains(&name.as_str()) {
                    return Err(ReportError::Header {
                        file: file.to_string(),
                        detail: format!("${n} as {name:?}"),
                    });
                }
                found.push((n, name));
                i = j;
                continue;
            }
        }
        i += 1;
    }
    found.sort();
    for (k, (n, _)) in found.iter().enumerate() {
        if *n != k + 1 {
            return Err(ReportError::Header {
                file: file.to_string(),
                detail: format!("${n} where ${} was expected", k + 1),
            });
        }
    }
    Ok(found.into_iter().map(|(_, name)| name).collect())
}

/// The one-line description of a query file: its first header line, minus
/// a leading `name:` label (`-- health/aging: …`, `-- my_report: …`).
fn describe(sql: &str) -> String {
    let first = header(sql).next().unwrap_or_default();
    match first.split_once(": ") {
        Some((label, rest)) if !label.contains(' ') => rest.trim().to_string(),
        _ => first.to_string(),
    }
}

/// A report read from the user's query directory.
struct UserReport {
    name: String,
    description: String,
    path: PathBuf,
    sql: String,
}

fn user_reports(dir: Option<&Path>) -> Result<Vec<UserReport>, ReportError> {
    let Some(dir) = dir else {
        return Ok(Vec::new());
    };
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::UserDir { path, source }
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().is_none_or(|e| e != "sql") || !path.is_file() {
            continue;
        }
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let sql = std::fs::read_to_string(&path).map_err(io(&path))?;
        out.push(UserReport {
            name: name.to_string(),
            description: describe(&sql),
            path,
            sql,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_file_declares_known_parameters_it_uses() {
        for b in BUILTINS {
            for (_, file) in b.sections {
                let q = queries::get(file);
                let names = header_parameters(q.name, q.sql).unwrap();
                // The body uses exactly $1..$n.
                let body: String = q
                    .sql
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n");
                let max_used = body
                    .match_indices('$')
                    .filter_map(|(i, _)| {
                        let d: String = body[i + 1..]
                            .chars()
                            .take_while(|c| c.is_ascii_digit())
                            .collect();
                        d.parse::<usize>().ok()
                    })
                    .max()
                    .unwrap_or(0);
                assert_eq!(max_used, names.len(), "{file}: header {names:?}");
                for k in 1..=names.len() {
                    assert!(
                        body.contains(&format!("${k}::")),
                        "{file}: ${k} is never cast"
                    );
                }
            }
        }
    }

    #[test]
    fn every_health_file_belongs_to_a_report_and_is_named_in_its_header() {
        for f in queries::FILES
            .iter()
            .filter(|f| f.name.starts_with("health/"))
        {
            assert!(
                BUILTINS
                    .iter()
                    .any(|b| b.sections.iter().any(|(_, file)| *file == f.name)),
                "{} is in no report",
                f.name
            );
            let stem = f.name.trim_end_matches(".sql");
            let first = f.sql.lines().next().unwrap();
            assert!(
                first.starts_with(&format!("-- {stem}: ")),
                "{}: first line {first:?}",
                f.name
            );
        }
    }

    #[test]
    fn header_parameters_are_read_in_order_and_checked() {
        let sql = "-- x: y.\n-- Parameters: $2 service (VARCHAR), $1 as_of (DATE).\n-- Output columns: a.\nSELECT 1";
        assert_eq!(header_parameters("x", sql).unwrap(), ["as_of", "service"]);
        let none = "-- x: y.\n-- Parameters: none.\n-- Output columns: a.\nSELECT 1";
        assert!(header_parameters("x", none).unwrap().is_empty());
        let bare = "SELECT 1";
        assert!(header_parameters("x", bare).unwrap().is_empty());
        let unknown = "-- Parameters: $1 today (DATE).\nSELECT $1";
        let err = header_parameters("u.sql", unknown).unwrap_err();
        assert!(err.to_string().contains("\"today\""), "{err}");
        assert!(err.is_usage());
        let gap = "-- Parameters: $1 as_of, $3 days.\nSELECT $1, $3";
        assert!(matches!(
            header_parameters("g.sql", gap),
            Err(ReportError::Header { .. })
        ));
        // Continuation lines count until Output columns.
        let multi = "-- Parameters: $1 as_of (DATE),\n--   $2 days (BIGINT).\n-- Output columns: $3 not a parameter.\nSELECT 1";
        assert_eq!(header_parameters("m", multi).unwrap(), ["as_of", "days"]);
    }

    #[test]
    fn descriptions_drop_the_name_label() {
        assert_eq!(
            describe("-- health/aging: Open items by age.\nSELECT 1"),
            "Open items by age."
        );
        assert_eq!(
            describe("-- Plain words: kept whole.\nSELECT 1"),
            "Plain words: kept whole."
        );
        assert_eq!(describe("SELECT 1"), "");
    }

    /// Regression (the note's text): the history note printed with a
    /// report reads as one sentence; its source lines once carried their
    /// indentation into it as runs of spaces.
    #[test]
    fn the_history_note_reads_as_one_sentence() {
        let note = Coverage {
            as_of: NaiveDate::from_ymd_opt(2026, 1, 10).unwrap(),
            items: 10,
            inferred: 3,
            history_from: Some("2026-02-01T00:00:00Z".into()),
        }
        .note()
        .unwrap();
        assert_eq!(
            note,
            "history starts 2026-02-01: for 3 of 10 items the state on 2026-01-10 is \
             inferred from their first recorded version (open unless closed by then; \
             other fields as first recorded)"
        );
    }

    #[test]
    fn flags_are_validated() {
        let bad = [
            ReportParams {
                days: Some(0),
                ..Default::default()
            },
            ReportParams {
                period: Some("year".into()),
                ..Default::default()
            },
            ReportParams {
                repeat_lookback_days: Some(0),
                ..Default::default()
            },
            ReportParams {
                deadlines: Deadlines {
                    high: -1,
                    ..Default::default()
                },
                ..Default::default()
            },
        ];
        for p in bad {
            let err = validate(&p).unwrap_err();
            assert!(err.is_usage(), "{err}");
        }
        assert!(validate(&ReportParams::default()).is_ok());
    }
}
