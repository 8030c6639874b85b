//! Configuration: defaults, then the TOML file, then `RECUR_SECTION__KEY`
//! environment variables (the `config` crate), deserialised strictly into
//! raw structs and then validated into [`Settings`]. Every error names the
//! key and the file it came from. Tokens are [`Secret`]s: they print as
//! `***` everywhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod daemon;
mod discover;
mod reports;
mod scoring;
mod source;
mod sync;
mod writeback;

pub use daemon::{parse_interval, DaemonSettings, Schedule};
pub use discover::{locate, locate_here, ConfigLocation, ConfigOrigin, CONFIG_ENV, SYSTEM_CONFIG};
pub use reports::{
    Deadlines, DEFAULT_FOLLOWUP_DAYS, DEFAULT_REPEAT_LOOKBACK_DAYS, DEFAULT_REVIEW_INTERVAL_DAYS,
    DEFAULT_TOP_RISKS,
};
pub use scoring::{slo_fraction, ScoringSettings};
pub use source::{SourceSettings, TrackerSettings};
pub use sync::SyncSettings;
pub use writeback::{WritebackSettings, FLAGS};

use reports::RawReports;
use source::{validate_source, RawSource};
use sync::RawSync;

/// DuckDB's memory limit unless `[store] memory_limit` says otherwise.
/// Measured: the reports over 1M items and 10M history rows run at 512MB
/// (192MB runs out generating the history in one statement); a 100k-issue
/// sync peaks at 465 MB resident at this limit and 282 MB at 192MB.
pub const DEFAULT_MEMORY_LIMIT: &str = "512MB";

/// The commented example configuration, written by `recur init`.
pub const EXAMPLE_CONFIG: &str = include_str!("../../config/recur.example.toml");

/// Environment variables that configure recur itself rather than a key.
const NON_KEY_VARS: &[&str] = &[CONFIG_ENV, "RECUR_LOG", crate::clock::NOW_ENV];

/// Keys of `[sources.NAME]` that are lists of strings.
const SOURCE_LIST_KEYS: &[&str] = &[
    "repos",
    "orgs",
    "action_item_labels",
    "incident_labels",
    "risk_labels",
    "projects",
    "action_item_types",
    "incident_types",
    "risk_types",
    "declined_resolutions",
    "duplicate_resolutions",
];

/// Other keys that are lists of strings.
const LIST_KEYS: &[&str] = &["writeback.flags", "daemon.allowed_hosts"];

/// Whether `key` (dotted, lower case: `sources.gh.repos`) is a list, which
/// the environment gives comma-separated.
fn is_list_key(key: &str) -> bool {
    if LIST_KEYS.contains(&key) {
        return true;
    }
    let parts: Vec<&str> = key.split('.').collect();
    matches!(parts.as_slice(), ["sources", _, last] if SOURCE_LIST_KEYS.contains(last))
}

/// The dotted key a `RECUR_SECTION__KEY` variable sets, as the `config`
/// crate reads it.
fn env_key(var: &str) -> String {
    var.to_ascii_lowercase()
        .trim_start_matches("recur_")
        .replace("__", ".")
}

/// A comma-separated list from the environment: items trimmed, empty
/// items dropped (so `""` is the empty list).
fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

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
    scoring: ScoringSettings,
    /// Write-back of labels and summary comments.
    writeback: WritebackSettings,
    /// The daemon's schedule and HTTP address.
    daemon: DaemonSettings,
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawQueries {
    /// A directory of `*.sql` files run as reports (`recur report NAME`).
    dir: Option<PathBuf>,
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

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The configuration file, when one was read.
    pub config_path: Option<PathBuf>,
    /// Its text as read (secret: it may hold tokens), so the daemon's
    /// cycle workers run with the configuration the daemon validated.
    pub config_text: Option<Secret>,
    /// The DuckDB file.
    pub store_path: PathBuf,
    /// DuckDB's memory limit (`[store] memory_limit`).
    pub memory_limit: String,
    /// Sync tuning.
    pub sync: SyncSettings,
    /// Logging.
    pub log: LogSettings,
    /// Risk scoring (`[scoring]`).
    pub scoring: ScoringSettings,
    /// Write-back (`[writeback]`).
    pub writeback: WritebackSettings,
    /// The daemon (`[daemon]`).
    pub daemon: DaemonSettings,
    /// Directory of user SQL reports (`[queries] dir`).
    pub queries_dir: Option<PathBuf>,
    /// Overdue deadlines per priority (`[reports.deadlines]`).
    pub deadlines: Deadlines,
    /// `[reports] repeat_lookback_days`.
    pub repeat_lookback_days: i64,
    /// `[reports] followup_days`.
    pub followup_days: i64,
    /// `[reports] review_interval_days`.
    pub review_interval_days: i64,
    /// `[reports] top_risks`.
    pub top_risks: usize,
    /// Sources, in name order.
    pub sources: Vec<SourceSettings>,
    /// Things worth a warning that do not stop recur (a token file others
    /// can read), logged once logging is set up.
    pub warnings: Vec<String>,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            json: false,
            level: "info".into(),
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

impl Settings {
    /// Loads settings from `path` (which may be absent only when
    /// `required` is false), then the environment.
    pub fn load(path: &Path, required: bool) -> Result<Settings, ConfigError> {
        Self::load_with_env(path, required, std::env::vars())
    }

    /// Loads settings from the file [`locate`] found, or from defaults and
    /// the environment when it found none.
    pub fn load_located(location: &ConfigLocation) -> Result<Settings, ConfigError> {
        let path = location.path.as_deref().unwrap_or(Path::new(""));
        Self::load(path, location.required())
    }

    /// [`Settings::load`] with the environment given (tests), as
    /// name-value pairs; only `RECUR_…` names are read. An empty `path`
    /// means no file.
    pub fn load_with_env(
        path: &Path,
        required: bool,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let no_file = path.as_os_str().is_empty();
        let origin = if no_file {
            "the defaults (no configuration file found)".to_string()
        } else {
            path.display().to_string()
        };
        let exists = !no_file && path.exists();
        if required && !exists {
            return Err(ConfigError::new(
                &origin,
                "the file does not exist (create one with `recur init`, or pass --config)",
            ));
        }
        let text = match exists {
            true => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::new(&origin, format!("cannot read the file: {e}")))?,
            ),
            false => None,
        };
        Self::load_text((!no_file).then_some(path), text, vars)
    }

    /// Settings from a configuration file's text as read before (by the
    /// daemon, for its cycle workers), with the environment given. `path`
    /// names the file in errors; `None` text means no file was read.
    pub fn load_text(
        path: Option<&Path>,
        text: Option<String>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let origin = match path {
            Some(p) => p.display().to_string(),
            None => "the defaults (no configuration file found)".to_string(),
        };
        let mut builder = config::Config::builder();
        let mut file_warnings = Vec::new();
        if let Some(text) = &text {
            // Parse once with toml for a precise line/column on syntax errors.
            match text.parse::<toml::Table>() {
                Err(e) => {
                    return Err(ConfigError::new(
                        &origin,
                        format!("invalid TOML: {}", redacted_toml_error(text, &e)),
                    ))
                }
                Ok(table) => {
                    if let (true, Some(path)) = (has_inline_token(&table), path) {
                        file_warnings.extend(readable_by_others(path, "the configuration file"));
                    }
                }
            }
            builder = builder.add_source(config::File::from_str(text, config::FileFormat::Toml));
        }
        let mut env: config::Map<String, String> = vars
            .into_iter()
            .filter(|(k, _)| k.starts_with("RECUR_") && !NON_KEY_VARS.contains(&k.as_str()))
            .collect();
        let env_keys: Vec<String> = env.keys().cloned().collect();
        // Lists come comma-separated. The config crate can split them
        // (`list_separator`), but only with `try_parsing`, which also turns
        // every value that looks like a number or a boolean into one: a
        // token of digits would lose its leading zeros, a label `2024`
        // would stop being a string. So the list keys are split here and
        // set as overrides (the environment is the last layer anyway), and
        // every other value stays a string.
        let lists: Vec<String> = env_keys
            .iter()
            .filter(|k| is_list_key(&env_key(k)))
            .cloned()
            .collect();
        for var in lists {
            let value = env.remove(&var).unwrap_or_default();
            builder = builder
                .set_override(env_key(&var), split_list(&value))
                .map_err(|e| ConfigError::new("environment", format!("{var}: {e}")))?;
        }
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
        let mut settings = Self::validate(
            raw,
            text.is_some()
                .then(|| path.map(Path::to_path_buf))
                .flatten(),
            &origin_desc,
        )?;
        settings.config_text = text.map(Secret::new);
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
        let mut settings = Self::validate(raw, None, "inline configuration")?;
        settings.config_text = Some(Secret::new(text));
        Ok(settings)
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
        for (key, v, min) in [
            ("followup_days", raw.reports.followup_days, 0),
            ("review_interval_days", raw.reports.review_interval_days, 1),
            ("top_risks", raw.reports.top_risks, 1),
        ] {
            if v < min {
                return Err(ConfigError::new(
                    origin,
                    format!("reports.{key} = {v}: must be at least {min}"),
                ));
            }
        }
        let deadlines = Deadlines {
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
            config_text: None,
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
            followup_days: raw.reports.followup_days,
            review_interval_days: raw.reports.review_interval_days,
            top_risks: usize::try_from(raw.reports.top_risks).unwrap_or(DEFAULT_TOP_RISKS),
            sources,
            warnings,
        })
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
pub(crate) fn readable_by_others(path: &Path, what: &str) -> Option<String> {
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
pub(crate) fn readable_by_others(_path: &Path, _what: &str) -> Option<String> {
    None
}

/// The `config` crate's errors, reworded to lead with the key.
fn describe_config_error(e: config::ConfigError) -> String {
    let msg = e.to_string();
    msg.replace("unknown field", "unknown key")
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
    fn ca_file_is_read_relative_to_config_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("recur.toml");
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).unwrap().pem();
        std::fs::write(dir.path().join("corp-ca.pem"), &ca).unwrap();
        std::fs::write(&cfg, format!("{GOOD}ca_file = \"corp-ca.pem\"\n")).unwrap();
        let s = Settings::load(&cfg, true).unwrap();
        assert_eq!(s.sources[0].ca.as_ref().map(|c| c.len()), Some(1));

        for (content, says) in [
            (None, "cannot read it"),
            (Some("not a certificate\n"), "no PEM certificate"),
            (
                Some("-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n"),
                "not a PEM file",
            ),
        ] {
            let file = dir.path().join("bad.pem");
            let _ = std::fs::remove_file(&file);
            if let Some(c) = content {
                std::fs::write(&file, c).unwrap();
            }
            std::fs::write(&cfg, format!("{GOOD}ca_file = \"bad.pem\"\n")).unwrap();
            let e = Settings::load(&cfg, true).unwrap_err().to_string();
            assert!(
                e.contains("sources.gh.ca_file") && e.contains("bad.pem") && e.contains(says),
                "{e}"
            );
        }
    }

    #[test]
    fn a_bad_proxy_is_named_and_a_proxy_password_never_prints() {
        let s =
            Settings::from_toml(&format!("{GOOD}proxy = \"http://proxy.corp:3128\"\n")).unwrap();
        assert_eq!(
            s.sources[0].proxy.as_ref().map(|p| p.0.as_str()),
            Some("http://proxy.corp:3128/")
        );
        assert!(Settings::from_toml(GOOD).unwrap().sources[0]
            .proxy
            .is_none());
        for bad in [
            "proxy.corp:3128",
            "socks5://proxy.corp",
            "http://proxy.corp:3128/x",
        ] {
            let e = err(&format!("{GOOD}proxy = {bad:?}\n"));
            assert!(
                e.contains("sources.gh.proxy") && e.contains("not a proxy URL"),
                "{e}"
            );
        }
        let e = err(&format!(
            "{GOOD}proxy = \"http://bob:hunter2@proxy.corp:x\"\n"
        ));
        assert!(
            e.contains("sources.gh.proxy") && !e.contains("hunter2"),
            "{e}"
        );
        let s = Settings::from_toml(&format!(
            "{GOOD}proxy = \"http://bob:hunter2@proxy.corp:3128\"\n"
        ))
        .unwrap();
        let dbg = format!("{s:?}");
        assert!(
            !dbg.contains("hunter2") && dbg.contains("proxy.corp"),
            "{dbg}"
        );
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

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Lists from the environment are comma-separated; every other value
    /// stays the string it was (a token of digits keeps its zeros).
    #[test]
    fn list_settings_come_comma_separated_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("recur.toml");
        std::fs::write(&cfg, GOOD).unwrap();
        let s = Settings::load_with_env(
            &cfg,
            true,
            env(&[
                ("RECUR_SOURCES__GH__REPOS", "acme/a, acme/b,,acme/c"),
                ("RECUR_SOURCES__GH__ACTION_ITEM_LABELS", "postmortem,2024"),
                ("RECUR_SOURCES__GH__RISK_LABELS", "risk"),
                ("RECUR_SOURCES__GH__INCIDENT_LABELS", ""),
                ("RECUR_SOURCES__GH__TOKEN", "000123,456"),
                ("RECUR_WRITEBACK__FLAGS", "overdue,needs-owner"),
                ("PATH_IS_NOT_OURS", "a,b"),
            ]),
        )
        .unwrap();
        let gh = &s.sources[0];
        let TrackerSettings::Github { repos, .. } = &gh.tracker else {
            panic!("a GitHub source");
        };
        assert_eq!(repos, &["acme/a", "acme/b", "acme/c"]);
        assert_eq!(gh.rules.action_item_labels, ["postmortem", "2024"]);
        assert_eq!(gh.rules.risk_labels, ["risk"]);
        assert!(gh.rules.incident_labels.is_empty());
        assert_eq!(gh.token.as_ref().unwrap().expose(), "000123,456");
        assert_eq!(s.writeback.flags, ["overdue", "needs-owner"]);
        // A bad item in a list is named like one from the file.
        let e = Settings::load_with_env(
            &cfg,
            true,
            env(&[("RECUR_SOURCES__GH__REPOS", "acme/a,nonsense")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("owner/name") && e.contains("environment"), "{e}");
    }

    /// Every list in the example configuration (commented-out keys
    /// included) is one the environment splits: a list key added later
    /// without joining the table fails here.
    #[test]
    fn every_list_key_of_the_example_is_known() {
        let mut seen = 0;
        for line in EXAMPLE_CONFIG.lines() {
            let line = line.trim_start_matches(['#', ' ']);
            let Some((name, value)) = line.split_once(" = ") else {
                continue;
            };
            if !value.starts_with('[') || name.contains(['[', ' ', '.']) {
                continue;
            }
            seen += 1;
            let known = SOURCE_LIST_KEYS.contains(&name)
                || LIST_KEYS.iter().any(|k| k.ends_with(&format!(".{name}")));
            assert!(known, "{name} is a list the environment cannot set");
        }
        assert!(seen >= 10, "the example's lists were found ({seen})");
        assert!(is_list_key("sources.x.repos") && is_list_key("writeback.flags"));
        assert!(!is_list_key("sources.x.token") && !is_list_key("store.path"));
    }
}
