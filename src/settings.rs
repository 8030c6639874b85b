//! Configuration: defaults, then the TOML file, then `RECUR_SECTION__KEY`
//! environment variables (the `config` crate), deserialised strictly into
//! raw structs and then validated into [`Settings`]. Every error names the
//! key and the file it came from. Tokens are [`Secret`]s: they print as
//! `***` everywhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use recur_core::normalize::LabelRules;
use serde::Deserialize;

/// DuckDB's memory limit unless `[store] memory_limit` says otherwise.
/// Measured: the reports over 1M items and 10M history rows run at 512MB
/// (192MB runs out generating the history in one statement); a 100k-issue
/// sync peaks at 465 MB resident at this limit and 282 MB at 192MB.
pub const DEFAULT_MEMORY_LIMIT: &str = "512MB";

/// The commented example configuration, written by `recur init`.
pub const EXAMPLE_CONFIG: &str = include_str!("../config/recur.example.toml");

/// Environment variables that configure recur itself rather than a key.
const NON_KEY_VARS: &[&str] = &["RECUR_CONFIG", "RECUR_LOG", crate::clock::NOW_ENV];

/// A configuration problem: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("configuration error in {origin}: {message}")]
pub struct ConfigError {
    /// The file (or "environment") the problem came from.
    pub origin: String,
    /// What is wrong, naming the key.
    pub message: String,
}

impl ConfigError {
    fn new(origin: &str, message: impl Into<String>) -> Self {
        ConfigError {
            origin: origin.to_string(),
            message: message.into(),
        }
    }
}

/// A credential. Its `Debug` and `Display` never show the value.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Serialised as `***`: settings can be shown, a secret never.
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

// ---------------------------------------------------------------- raw layer

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawSettings {
    /// Where the database lives.
    store: RawStore,
    /// Sync loop tuning.
    sync: RawSync,
    /// Logging.
    log: RawLog,
    /// Risk scoring models and thresholds.
    scoring: crate::scoring::ScoringSettings,
    /// Write-back of labels and summary comments.
    writeback: crate::writeback::WritebackSettings,
    /// The daemon's schedule and HTTP address.
    daemon: crate::daemon::DaemonSettings,
    /// User SQL reports.
    queries: RawQueries,
    /// Report parameters.
    reports: RawReports,
    /// Tracker sources by name.
    sources: BTreeMap<String, RawSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawStore {
    /// Path of the DuckDB file.
    path: PathBuf,
    /// DuckDB's memory limit (`"192MB"`, `"2GB"`); beyond it DuckDB spills
    /// to disk.
    memory_limit: String,
}

impl Default for RawStore {
    fn default() -> Self {
        RawStore {
            path: PathBuf::from("recur.duckdb"),
            memory_limit: DEFAULT_MEMORY_LIMIT.into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawSync {
    /// Seconds the incremental cursor is moved back to catch late writes.
    overlap_seconds: u64,
    /// Run a reconciliation every N successful syncs (0 = never by itself).
    reconcile_every: u32,
    /// Items per page asked for (GitHub caps at 100).
    per_page: u32,
    /// Attempts per request before a transient failure fails the sync.
    max_retries: u32,
    /// First backoff delay in milliseconds; doubles per attempt.
    backoff_base_ms: u64,
    /// Longest backoff delay in seconds.
    backoff_cap_seconds: u64,
    /// Longest rate-limit wait recur accepts, in seconds, before failing.
    max_wait_seconds: u64,
    /// Per-read timeout in seconds (connect, each read and write).
    request_timeout_seconds: u64,
    /// Total deadline of one request in seconds, answer body included.
    request_deadline_seconds: u64,
    /// The largest answer recur reads from a tracker, in MiB.
    max_response_mib: u64,
}

impl Default for RawSync {
    fn default() -> Self {
        RawSync {
            overlap_seconds: 60,
            reconcile_every: 24,
            per_page: 100,
            max_retries: 8,
            backoff_base_ms: 500,
            backoff_cap_seconds: 60,
            max_wait_seconds: 3900,
            request_timeout_seconds: 30,
            request_deadline_seconds: 120,
            max_response_mib: 64,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawQueries {
    /// A directory of `*.sql` files run as reports (`recur report NAME`).
    dir: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawReports {
    /// Days an open item may wait, per priority, before it is overdue.
    deadlines: RawDeadlines,
    /// How far back an incident without a linked risk looks for earlier
    /// items of its service and theme or type (repeat classes).
    repeat_lookback_days: i64,
}

impl Default for RawReports {
    fn default() -> Self {
        RawReports {
            deadlines: RawDeadlines::default(),
            repeat_lookback_days: crate::reports::DEFAULT_REPEAT_LOOKBACK_DAYS,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawDeadlines {
    /// Critical (P0) items, days.
    critical: i64,
    /// High (P1) items, days.
    high: i64,
    /// Medium (P2) items, days.
    medium: i64,
    /// Low (P3) items, days.
    low: i64,
}

impl Default for RawDeadlines {
    fn default() -> Self {
        let d = crate::reports::Deadlines::default();
        RawDeadlines {
            critical: d.critical,
            high: d.high,
            medium: d.medium,
            low: d.low,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLog {
    /// `pretty` or `json`.
    format: String,
    /// Default level filter (overridden by `RECUR_LOG`).
    level: String,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            format: "pretty".into(),
            level: "info".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    /// `github` or `jira`.
    kind: String,
    /// API base URL.
    api_url: Option<String>,
    /// The token itself.
    token: Option<Secret>,
    /// A file holding the token (first line).
    token_file: Option<PathBuf>,
    /// Allow running without a token (public GitHub data, 60 requests/hour).
    #[serde(default)]
    anonymous: bool,
    /// Send the token over plain `http://` to a host that is not loopback.
    #[serde(default)]
    allow_insecure_http: bool,
    /// GitHub repositories `owner/name`.
    #[serde(default)]
    repos: Vec<String>,
    /// GitHub organisations: all their repositories.
    #[serde(default)]
    orgs: Vec<String>,
    /// Labels marking action items (any of them).
    #[serde(default)]
    action_item_labels: Vec<String>,
    /// Labels marking incidents.
    #[serde(default)]
    incident_labels: Vec<String>,
    /// Labels marking risks.
    #[serde(default)]
    risk_labels: Vec<String>,
    /// Prefix of `priority:` / `service:` / … value labels.
    #[serde(default)]
    value_label_prefix: String,
    /// Jira: `cloud` or `datacenter`.
    flavor: Option<String>,
    /// Jira Cloud: account e-mail for basic auth.
    email: Option<String>,
    /// Jira project keys.
    #[serde(default)]
    projects: Vec<String>,
    /// Jira: a custom JQL filter instead of projects.
    jql: Option<String>,
    /// Jira issue types marking action items.
    #[serde(default)]
    action_item_types: Vec<String>,
    /// Jira issue types marking incidents.
    #[serde(default)]
    incident_types: Vec<String>,
    /// Jira issue types marking risks.
    #[serde(default)]
    risk_types: Vec<String>,
    /// Jira field overrides: record field -> Jira field name or id.
    #[serde(default)]
    fields: BTreeMap<String, String>,
    /// Closing reasons (Jira resolutions) that mean declined, not done.
    declined_resolutions: Option<Vec<String>>,
    /// Closing reasons (Jira resolutions) that mean a duplicate.
    duplicate_resolutions: Option<Vec<String>>,
}

// ---------------------------------------------------------- validated layer

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The configuration file, when one was read.
    pub config_path: Option<PathBuf>,
    /// The DuckDB file.
    pub store_path: PathBuf,
    /// DuckDB's memory limit (`[store] memory_limit`).
    pub memory_limit: String,
    /// Sync tuning.
    pub sync: SyncSettings,
    /// Logging.
    pub log: LogSettings,
    /// Risk scoring (`[scoring]`).
    pub scoring: crate::scoring::ScoringSettings,
    /// Write-back (`[writeback]`).
    pub writeback: crate::writeback::WritebackSettings,
    /// The daemon (`[daemon]`).
    pub daemon: crate::daemon::DaemonSettings,
    /// Directory of user SQL reports (`[queries] dir`).
    pub queries_dir: Option<PathBuf>,
    /// Overdue deadlines per priority (`[reports.deadlines]`).
    pub deadlines: crate::reports::Deadlines,
    /// `[reports] repeat_lookback_days`.
    pub repeat_lookback_days: i64,
    /// Sources, in name order.
    pub sources: Vec<SourceSettings>,
    /// Things worth a warning that do not stop recur (a token file others
    /// can read), logged once logging is set up.
    pub warnings: Vec<String>,
}

/// Sync loop tuning.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// Cursor overlap.
    pub overlap: chrono::Duration,
    /// Reconcile every N syncs (0 = never by itself).
    pub reconcile_every: u32,
    /// Items per page.
    pub per_page: u32,
    /// Attempts per request.
    pub max_retries: u32,
    /// First backoff delay.
    pub backoff_base: std::time::Duration,
    /// Longest backoff delay.
    pub backoff_cap: std::time::Duration,
    /// Longest rate-limit wait accepted.
    pub max_wait: std::time::Duration,
    /// Per-read timeout.
    pub request_timeout: std::time::Duration,
    /// Total deadline of one request (never shorter than the read timeout).
    pub request_deadline: std::time::Duration,
    /// The largest answer read, in bytes.
    pub max_response_bytes: usize,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            json: false,
            level: "info".into(),
        }
    }
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings::from_raw(&RawSync::default())
    }
}

impl SyncSettings {
    fn from_raw(r: &RawSync) -> Self {
        SyncSettings {
            overlap: chrono::Duration::seconds(r.overlap_seconds as i64),
            reconcile_every: r.reconcile_every,
            per_page: r.per_page.clamp(1, 100),
            max_retries: r.max_retries.max(1),
            backoff_base: std::time::Duration::from_millis(r.backoff_base_ms),
            backoff_cap: std::time::Duration::from_secs(r.backoff_cap_seconds),
            max_wait: std::time::Duration::from_secs(r.max_wait_seconds),
            request_timeout: std::time::Duration::from_secs(r.request_timeout_seconds.max(1)),
            request_deadline: std::time::Duration::from_secs(
                r.request_deadline_seconds
                    .max(r.request_timeout_seconds)
                    .max(1),
            ),
            max_response_bytes: usize::try_from(r.max_response_mib.clamp(1, 4096) << 20)
                .unwrap_or(usize::MAX),
        }
    }
}

/// Log output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// JSON lines instead of human text.
    pub json: bool,
    /// Default filter.
    pub level: String,
}

/// One tracker source.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    /// The name (`[sources.NAME]`).
    pub name: String,
    /// API base URL.
    pub api_url: url::Url,
    /// The token, if any.
    pub token: Option<Secret>,
    /// What makes an item tracked, and value-label parsing.
    pub rules: LabelRules,
    /// Tracker-specific settings.
    pub tracker: TrackerSettings,
}

/// Tracker-specific settings.
#[derive(Debug, Clone)]
pub enum TrackerSettings {
    /// GitHub or GitHub Enterprise.
    Github {
        /// Repositories `owner/name`.
        repos: Vec<String>,
        /// Organisations.
        orgs: Vec<String>,
    },
    /// Jira Cloud or Data Center.
    Jira {
        /// `cloud` or `datacenter`.
        datacenter: bool,
        /// Cloud account e-mail.
        email: Option<String>,
        /// Project keys.
        projects: Vec<String>,
        /// Custom JQL.
        jql: Option<String>,
        /// Field overrides.
        fields: BTreeMap<String, String>,
    },
}

impl Settings {
    /// Loads settings from `path` (which may be absent only when
    /// `required` is false), then the environment.
    pub fn load(path: &Path, required: bool) -> Result<Settings, ConfigError> {
        let origin = path.display().to_string();
        let exists = path.exists();
        if required && !exists {
            return Err(ConfigError::new(
                &origin,
                "the file does not exist (create one with `recur init`, or pass --config)",
            ));
        }
        let mut builder = config::Config::builder();
        let mut file_warnings = Vec::new();
        if exists {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::new(&origin, format!("cannot read the file: {e}")))?;
            // Parse once with toml for a precise line/column on syntax errors.
            match text.parse::<toml::Table>() {
                Err(e) => {
                    return Err(ConfigError::new(
                        &origin,
                        format!("invalid TOML: {}", redacted_toml_error(&text, &e)),
                    ))
                }
                Ok(table) => {
                    if has_inline_token(&table) {
                        file_warnings.extend(readable_by_others(path, "the configuration file"));
                    }
                }
            }
            builder = builder.add_source(config::File::from_str(&text, config::FileFormat::Toml));
        }
        let env: config::Map<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("RECUR_") && !NON_KEY_VARS.contains(&k.as_str()))
            .collect();
        let env_keys: Vec<String> = env.keys().cloned().collect();
        builder = builder.add_source(
            config::Environment::with_prefix("RECUR")
                .prefix_separator("_")
                .separator("__")
                .source(Some(env)),
        );
        let origin_desc = if env_keys.is_empty() {
            origin.clone()
        } else {
            format!("{origin} (with environment {})", env_keys.join(", "))
        };
        let raw: RawSettings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError::new(&origin_desc, describe_config_error(e)))?;
        let mut settings = Self::validate(raw, exists.then(|| path.to_path_buf()), &origin)?;
        settings.warnings.splice(0..0, file_warnings);
        Ok(settings)
    }

    /// Settings from a TOML string (tests, the demo).
    pub fn from_toml(text: &str) -> Result<Settings, ConfigError> {
        if let Err(e) = text.parse::<toml::Table>() {
            return Err(ConfigError::new(
                "inline configuration",
                format!("invalid TOML: {}", redacted_toml_error(text, &e)),
            ));
        }
        let raw: RawSettings = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError::new("inline configuration", describe_config_error(e)))?;
        Self::validate(raw, None, "inline configuration")
    }

    fn validate(
        raw: RawSettings,
        path: Option<PathBuf>,
        origin: &str,
    ) -> Result<Settings, ConfigError> {
        let log = LogSettings {
            json: match raw.log.format.as_str() {
                "json" => true,
                "pretty" => false,
                other => {
                    return Err(ConfigError::new(
                        origin,
                        format!("log.format = {other:?}: expected \"pretty\" or \"json\""),
                    ))
                }
            },
            level: raw.log.level.clone(),
        };
        if raw.store.path.as_os_str().is_empty() {
            return Err(ConfigError::new(origin, "store.path is empty"));
        }
        let limit = raw.store.memory_limit.trim().to_ascii_uppercase();
        let digits = limit.trim_end_matches(['K', 'M', 'G', 'T', 'B', 'I']);
        if digits.is_empty()
            || digits.parse::<f64>().is_err()
            || !(limit.ends_with("MB")
                || limit.ends_with("GB")
                || limit.ends_with("TB")
                || limit.ends_with("MIB")
                || limit.ends_with("GIB"))
        {
            return Err(ConfigError::new(
                origin,
                format!(
                    "store.memory_limit = {:?}: expected a size like \"192MB\" or \"2GB\"",
                    raw.store.memory_limit
                ),
            ));
        }
        raw.scoring
            .validate()
            .map_err(|m| ConfigError::new(origin, m))?;
        raw.writeback
            .validate()
            .map_err(|m| ConfigError::new(origin, m))?;
        raw.daemon
            .validate()
            .map_err(|m| ConfigError::new(origin, m))?;
        let d = &raw.reports.deadlines;
        for (k, v) in [
            ("critical", d.critical),
            ("high", d.high),
            ("medium", d.medium),
            ("low", d.low),
        ] {
            if v <= 0 {
                return Err(ConfigError::new(
                    origin,
                    format!("reports.deadlines.{k} = {v}: must be a positive number of days"),
                ));
            }
        }
        if raw.reports.repeat_lookback_days <= 0 {
            return Err(ConfigError::new(
                origin,
                format!(
                    "reports.repeat_lookback_days = {}: must be a positive number of days",
                    raw.reports.repeat_lookback_days
                ),
            ));
        }
        let deadlines = crate::reports::Deadlines {
            critical: d.critical,
            high: d.high,
            medium: d.medium,
            low: d.low,
        };
        let mut sources = Vec::new();
        let mut warnings = Vec::new();
        for (name, s) in raw.sources {
            let mut source = validate_source(&name, s, path.as_deref(), origin, &mut warnings)?;
            source.rules.managed_label_prefix = raw.writeback.label_prefix.clone();
            sources.push(source);
        }
        Ok(Settings {
            config_path: path,
            store_path: raw.store.path,
            memory_limit: limit,
            sync: SyncSettings::from_raw(&raw.sync),
            log,
            scoring: raw.scoring,
            writeback: raw.writeback,
            daemon: raw.daemon,
            queries_dir: raw.queries.dir,
            deadlines,
            repeat_lookback_days: raw.reports.repeat_lookback_days,
            sources,
            warnings,
        })
    }

    /// Report parameters carrying the configured report settings
    /// (deadlines, repeat look-back); the command line fills the rest.
    pub fn report_params(&self) -> crate::reports::ReportParams {
        crate::reports::ReportParams {
            deadlines: self.deadlines,
            repeat_lookback_days: Some(self.repeat_lookback_days),
            ..Default::default()
        }
    }

    /// The source named `name`.
    pub fn source(&self, name: &str) -> Option<&SourceSettings> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// A TOML syntax error as toml prints it, minus the values of `token` keys:
/// toml quotes the offending line, and an unquoted `token = ghp_…` is the
/// classic syntax error, so the raw message would print the secret.
fn redacted_toml_error(text: &str, e: &toml::de::Error) -> String {
    let mut message = e.to_string();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
        let last = key
            .rsplit('.')
            .next()
            .unwrap_or("")
            .trim_matches(['"', '\'', ' ']);
        if last == "token" && !value.trim().is_empty() {
            message = message.replace(value, " ***");
            let bare = value.trim().trim_matches(['"', '\'']);
            if bare.len() >= 4 {
                message = message.replace(bare, "***");
            }
        }
    }
    message
}

/// Whether the file itself holds a token (`[sources.X] token = …`).
fn has_inline_token(table: &toml::Table) -> bool {
    table
        .get("sources")
        .and_then(|s| s.as_table())
        .is_some_and(|sources| {
            sources
                .values()
                .any(|s| s.as_table().is_some_and(|t| t.contains_key("token")))
        })
}

/// A warning when `path` (holding a secret) can be read by group or others.
#[cfg(unix)]
fn readable_by_others(path: &Path, what: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{what} {} holds a token and can be read by group or others (mode {:o}); run chmod 600 on it",
            path.display(),
            mode & 0o777
        )
    })
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path, _what: &str) -> Option<String> {
    None
}

/// Whether `url`'s host is this machine (a token may travel to it in clear).
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The `config` crate's errors, reworded to lead with the key.
fn describe_config_error(e: config::ConfigError) -> String {
    let msg = e.to_string();
    msg.replace("unknown field", "unknown key")
}

fn validate_source(
    name: &str,
    s: RawSource,
    config_path: Option<&Path>,
    origin: &str,
    warnings: &mut Vec<String>,
) -> Result<SourceSettings, ConfigError> {
    let key = |k: &str| format!("sources.{name}.{k}");
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(ConfigError::new(
            origin,
            format!("source name {name:?} must match [a-z0-9_]+"),
        ));
    }
    let default_url = match s.kind.as_str() {
        "github" => "https://api.github.com",
        "jira" => "",
        other => {
            return Err(ConfigError::new(
                origin,
                format!(
                    "{} = {other:?}: expected \"github\" or \"jira\"",
                    key("kind")
                ),
            ))
        }
    };
    let url_text = s.api_url.clone().unwrap_or_else(|| default_url.to_string());
    if url_text.is_empty() {
        return Err(ConfigError::new(
            origin,
            format!("{} is required for Jira", key("api_url")),
        ));
    }
    let api_url = url::Url::parse(url_text.trim_end_matches('/'))
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            ConfigError::new(
                origin,
                format!("{} = {url_text:?} is not an http(s) URL", key("api_url")),
            )
        })?;
    if !api_url.username().is_empty() || api_url.password().is_some() {
        return Err(ConfigError::new(
            origin,
            format!(
                "{} must not carry credentials; use token or token_file",
                key("api_url")
            ),
        ));
    }
    let token = match (s.token, &s.token_file) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                origin,
                format!(
                    "{} and {} are both set; keep one",
                    key("token"),
                    key("token_file")
                ),
            ))
        }
        (Some(t), None) if t.expose().trim().is_empty() => None,
        (Some(t), None) => Some(Secret::new(t.expose().trim())),
        (None, Some(file)) => {
            let file = match config_path.and_then(|p| p.parent()) {
                Some(dir) if file.is_relative() => dir.join(file),
                _ => file.clone(),
            };
            let text = std::fs::read_to_string(&file).map_err(|e| {
                ConfigError::new(
                    origin,
                    format!(
                        "{} = {}: cannot read it: {e}",
                        key("token_file"),
                        file.display()
                    ),
                )
            })?;
            let t = text.lines().next().unwrap_or("").trim().to_string();
            if t.is_empty() {
                return Err(ConfigError::new(
                    origin,
                    format!("{} = {} is empty", key("token_file"), file.display()),
                ));
            }
            warnings.extend(readable_by_others(&file, "the token file"));
            Some(Secret::new(t))
        }
        (None, None) => None,
    };
    if token.is_some()
        && api_url.scheme() == "http"
        && !is_loopback(&api_url)
        && !s.allow_insecure_http
    {
        return Err(ConfigError::new(
            origin,
            format!(
                "{} = {url_text:?} would send the token in clear over plain http; use https \
                 (or set {} = true if the network is trusted)",
                key("api_url"),
                key("allow_insecure_http")
            ),
        ));
    }
    if token.is_none() && !s.anonymous {
        return Err(ConfigError::new(
            origin,
            format!(
                "source {name:?} has no token: set {} or {} (or RECUR_SOURCES__{}__TOKEN), or anonymous = true",
                key("token"),
                key("token_file"),
                name.to_uppercase()
            ),
        ));
    }
    let rules = LabelRules {
        action_item_labels: s.action_item_labels,
        incident_labels: s.incident_labels,
        risk_labels: s.risk_labels,
        action_item_types: s.action_item_types,
        incident_types: s.incident_types,
        risk_types: s.risk_types,
        value_label_prefix: s.value_label_prefix,
        // Set from `[writeback] label_prefix` once every section is read.
        managed_label_prefix: String::new(),
        declined_reasons: s
            .declined_resolutions
            .unwrap_or_else(recur_core::normalize::default_declined_reasons),
        duplicate_reasons: s
            .duplicate_resolutions
            .unwrap_or_else(recur_core::normalize::default_duplicate_reasons),
    };
    let tracker = if s.kind == "github" {
        for (k, set) in [
            ("flavor", s.flavor.is_some()),
            ("email", s.email.is_some()),
            ("projects", !s.projects.is_empty()),
            ("jql", s.jql.is_some()),
            ("fields", !s.fields.is_empty()),
        ] {
            if set {
                return Err(ConfigError::new(
                    origin,
                    format!(
                        "{} is a Jira setting; this source is kind = \"github\"",
                        key(k)
                    ),
                ));
            }
        }
        if s.repos.is_empty() && s.orgs.is_empty() {
            return Err(ConfigError::new(
                origin,
                format!(
                    "source {name:?} lists no {} and no {}",
                    key("repos"),
                    key("orgs")
                ),
            ));
        }
        for r in &s.repos {
            let ok = r.split('/').count() == 2
                && r.split('/')
                    .all(|p| !p.is_empty() && !p.contains(char::is_whitespace));
            if !ok {
                return Err(ConfigError::new(
                    origin,
                    format!("{} entry {r:?} is not owner/name", key("repos")),
                ));
            }
        }
        let tracked =
            rules.action_item_labels.len() + rules.incident_labels.len() + rules.risk_labels.len();
        if tracked == 0 {
            return Err(ConfigError::new(
                origin,
                format!(
                    "source {name:?} tracks no labels: set {}, {} or {}",
                    key("action_item_labels"),
                    key("incident_labels"),
                    key("risk_labels")
                ),
            ));
        }
        TrackerSettings::Github {
            repos: s.repos,
            orgs: s.orgs,
        }
    } else {
        for (k, set) in [("repos", !s.repos.is_empty()), ("orgs", !s.orgs.is_empty())] {
            if set {
                return Err(ConfigError::new(
                    origin,
                    format!(
                        "{} is a GitHub setting; this source is kind = \"jira\"",
                        key(k)
                    ),
                ));
            }
        }
        let datacenter = match s.flavor.as_deref().unwrap_or("cloud") {
            "cloud" => false,
            "datacenter" => true,
            other => {
                return Err(ConfigError::new(
                    origin,
                    format!(
                        "{} = {other:?}: expected \"cloud\" or \"datacenter\"",
                        key("flavor")
                    ),
                ))
            }
        };
        if !datacenter && token.is_some() && s.email.is_none() {
            return Err(ConfigError::new(
                origin,
                format!(
                    "{} is required for Jira Cloud (basic auth with an API token)",
                    key("email")
                ),
            ));
        }
        if s.projects.is_empty() && s.jql.is_none() {
            return Err(ConfigError::new(
                origin,
                format!(
                    "source {name:?} lists no {} and no {}",
                    key("projects"),
                    key("jql")
                ),
            ));
        }
        let tracked = rules.action_item_labels.len()
            + rules.incident_labels.len()
            + rules.risk_labels.len()
            + rules.action_item_types.len()
            + rules.incident_types.len()
            + rules.risk_types.len();
        if tracked == 0 {
            return Err(ConfigError::new(
                origin,
                format!(
                    "source {name:?} tracks nothing: set {} / {} / {} or {} / {} / {}",
                    key("action_item_labels"),
                    key("incident_labels"),
                    key("risk_labels"),
                    key("action_item_types"),
                    key("incident_types"),
                    key("risk_types")
                ),
            ));
        }
        TrackerSettings::Jira {
            datacenter,
            email: s.email,
            projects: s.projects,
            jql: s.jql,
            fields: s.fields,
        }
    };
    Ok(SourceSettings {
        name: name.to_string(),
        api_url,
        token,
        rules,
        tracker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Settings::from_toml(text).unwrap_err().to_string()
    }

    const GOOD: &str = r#"
[sources.gh]
kind = "github"
api_url = "http://127.0.0.1:9"
token = "canary-token-123"
repos = ["acme/payments"]
action_item_labels = ["postmortem"]
"#;

    #[test]
    fn example_config_parses_and_validates() {
        let s = Settings::from_toml(EXAMPLE_CONFIG).expect("example config is valid");
        assert!(!s.sources.is_empty());
        assert_eq!(s.sync.reconcile_every, 24);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = err(&format!("{GOOD}\nlabelz = [\"x\"]\n"));
        assert!(e.contains("labelz"), "{e}");
        let e = err("[store]\npth = \"x\"\n");
        assert!(e.contains("pth"), "{e}");
    }

    #[test]
    fn wrong_type_is_named() {
        let e = err("[sync]\nreconcile_every = \"often\"\n");
        assert!(e.contains("reconcile_every"), "{e}");
    }

    #[test]
    fn missing_token_is_a_config_error_unless_anonymous() {
        let text = GOOD.replace("token = \"canary-token-123\"\n", "");
        let e = err(&text);
        assert!(
            e.contains("no token") && e.contains("sources.gh.token"),
            "{e}"
        );
        let ok = Settings::from_toml(&format!("{text}anonymous = true\n")).unwrap();
        assert!(ok.sources[0].token.is_none());
    }

    #[test]
    fn bad_url_and_bad_name_and_kind() {
        assert!(
            err(&GOOD.replace("http://127.0.0.1:9", "not a url")).contains("sources.gh.api_url")
        );
        assert!(err(&GOOD.replace("[sources.gh]", "[sources.Git-Hub]")).contains("[a-z0-9_]+"));
        assert!(err(&GOOD.replace("kind = \"github\"", "kind = \"gitlab\""))
            .contains("sources.gh.kind"));
        assert!(err(&GOOD.replace("acme/payments", "payments")).contains("owner/name"));
    }

    #[test]
    fn secrets_never_print() {
        let s = Settings::from_toml(GOOD).unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("canary-token-123"), "{dbg}");
        assert!(dbg.contains("***"));
        assert_eq!(
            s.sources[0].token.as_ref().unwrap().expose(),
            "canary-token-123"
        );
    }

    #[test]
    fn token_file_is_read_relative_to_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("gh.token"), "from-file\n").unwrap();
        let text = GOOD.replace("token = \"canary-token-123\"", "token_file = \"gh.token\"");
        let cfg = dir.path().join("recur.toml");
        std::fs::write(&cfg, text).unwrap();
        let s = Settings::load(&cfg, true).unwrap();
        assert_eq!(s.sources[0].token.as_ref().unwrap().expose(), "from-file");
        let text = GOOD.replace(
            "token = \"canary-token-123\"",
            "token_file = \"missing.token\"",
        );
        std::fs::write(&cfg, text).unwrap();
        let e = Settings::load(&cfg, true).unwrap_err().to_string();
        assert!(e.contains("token_file") && e.contains("recur.toml"), "{e}");
    }

    #[test]
    fn jira_sources_validate_their_own_keys() {
        let jira = r#"
[sources.jr]
kind = "jira"
api_url = "https://acme.atlassian.net"
email = "bot@acme.example"
token = "t"
projects = ["OPS"]
incident_types = ["Incident"]
"#;
        let s = Settings::from_toml(jira).unwrap();
        assert!(matches!(
            s.sources[0].tracker,
            TrackerSettings::Jira {
                datacenter: false,
                ..
            }
        ));
        assert!(
            err(&jira.replace("email = \"bot@acme.example\"\n", "")).contains("sources.jr.email")
        );
        assert!(
            err(&jira.replace("incident_types = [\"Incident\"]", "")).contains("tracks nothing")
        );
        assert!(err(&format!("{jira}repos = [\"a/b\"]\n")).contains("GitHub setting"));
        assert!(err(&jira
            .replace("\"cloud\"", "x")
            .replace("kind = \"jira\"", "kind = \"jira\"\nflavor = \"server\""))
        .contains("sources.jr.flavor"));
    }

    /// Regression (secrets): an unquoted token is the classic TOML syntax
    /// error, and toml quotes the offending line.
    #[test]
    fn a_toml_syntax_error_does_not_print_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("recur.toml");
        let text = "[sources.gh]\nkind = \"github\"\ntoken = ghp_SecretCanary0123456789\nrepos = [\"a/b\"]\n";
        std::fs::write(&cfg, text).unwrap();
        let e = Settings::load(&cfg, true).unwrap_err().to_string();
        assert!(e.contains("invalid TOML") && e.contains("line 3"), "{e}");
        assert!(!e.contains("SecretCanary"), "{e}");
        let e = Settings::from_toml(text).unwrap_err().to_string();
        assert!(!e.contains("SecretCanary"), "{e}");
        let dotted = "sources.gh.token = ghp_SecretCanary0123456789\n";
        let e = Settings::from_toml(dotted).unwrap_err().to_string();
        assert!(!e.contains("SecretCanary"), "{e}");
    }

    /// Regression (secrets): a token never travels over plain http to
    /// another machine unless the operator says the network is trusted.
    #[test]
    fn a_token_over_plain_http_is_refused_unless_loopback_or_allowed() {
        let remote = GOOD.replace("http://127.0.0.1:9", "http://ghe.internal");
        let e = err(&remote);
        assert!(
            e.contains("sources.gh.api_url") && e.contains("allow_insecure_http"),
            "{e}"
        );
        let allowed = remote.replace(
            "kind = \"github\"",
            "kind = \"github\"\nallow_insecure_http = true",
        );
        assert!(Settings::from_toml(&allowed).is_ok());
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            let text = GOOD.replace("http://127.0.0.1:9", local);
            assert!(Settings::from_toml(&text).is_ok(), "{local}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_token_file_others_can_read_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("gh.token");
        std::fs::write(&token, "from-file\n").unwrap();
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
        let cfg = dir.path().join("recur.toml");
        std::fs::write(
            &cfg,
            GOOD.replace("token = \"canary-token-123\"", "token_file = \"gh.token\""),
        )
        .unwrap();
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
        let s = Settings::load(&cfg, true).unwrap();
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(s.warnings[0].contains("gh.token") && s.warnings[0].contains("644"));
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Settings::load(&cfg, true).unwrap().warnings.is_empty());
        // A config file holding the token itself.
        std::fs::write(&cfg, GOOD).unwrap();
        let s = Settings::load(&cfg, true).unwrap();
        assert!(
            s.warnings.iter().any(|w| w.contains("recur.toml")),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn invalid_toml_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("broken.toml");
        std::fs::write(&cfg, "[sources.gh\nkind=").unwrap();
        let e = Settings::load(&cfg, true).unwrap_err().to_string();
        assert!(
            e.contains("broken.toml") && e.contains("invalid TOML"),
            "{e}"
        );
    }
}
