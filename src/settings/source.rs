//! `[sources.NAME]`: one tracker each (GitHub or Jira), validated into
//! [`SourceSettings`]: its URL, token (inline, from a file or the
//! environment), what it tracks and how labels map to fields.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use recur_core::normalize::LabelRules;
use serde::Deserialize;

use super::{readable_by_others, ConfigError, Secret};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
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
    /// A proxy for this source (`http://host:port`), instead of the
    /// environment's `HTTPS_PROXY` / `HTTP_PROXY` (`NO_PROXY` still applies).
    proxy: Option<String>,
    /// A PEM file of CA certificates trusted in addition to the system's.
    ca_file: Option<PathBuf>,
    /// GitHub App id: act as the App's installation instead of a token.
    app_id: Option<u64>,
    /// The App's private key (PEM file).
    private_key_file: Option<PathBuf>,
    /// The installation to act as (found from the first repository or
    /// organisation when absent).
    installation_id: Option<u64>,
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

/// One tracker source.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    /// The name (`[sources.NAME]`).
    pub name: String,
    /// API base URL.
    pub api_url: url::Url,
    /// The token, if any.
    pub token: Option<Secret>,
    /// Where the token came from when the configuration names none: the
    /// environment variable (`GH_TOKEN`, `GITHUB_TOKEN`), as `gh` reads it.
    pub token_from_env: Option<&'static str>,
    /// An explicit proxy; `None`: the environment's (`HTTPS_PROXY`, …).
    pub proxy: Option<recur_core::net::ProxySetting>,
    /// A private CA (read and checked at load) trusted in addition to the
    /// system's roots.
    pub ca: Option<recur_core::net::CaBundle>,
    /// What makes an item tracked, and value-label parsing.
    pub rules: LabelRules,
    /// Tracker-specific settings.
    pub tracker: TrackerSettings,
}

/// A GitHub App acting for a source.
#[derive(Debug, Clone)]
pub struct GithubAppSettings {
    /// The App's id.
    pub app_id: u64,
    /// Its private key (PEM); never printed.
    pub private_key: Secret,
    /// The installation, when configured.
    pub installation_id: Option<u64>,
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
        /// A GitHub App identity instead of a token.
        app: Option<GithubAppSettings>,
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

/// Whether `url`'s host is this machine (a token may travel to it in clear).
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

pub(super) fn validate_source(
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
    // Corporate networks: a proxy of the source's own, a private CA. Both
    // are checked now (the CA file read and parsed) so a typo fails the
    // load, not the first request at 3 a.m.
    let proxy = match s.proxy.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(recur_core::net::ProxySetting(
            recur_core::net::parse_proxy(text)
                .map_err(|e| ConfigError::new(origin, format!("{} = {e}", key("proxy"))))?,
        )),
    };
    let ca = match &s.ca_file {
        None => None,
        Some(file) => {
            let file = beside_config(config_path, file);
            Some(
                recur_core::net::CaBundle::read(&file)
                    .map_err(|e| ConfigError::new(origin, format!("{} = {e}", key("ca_file"))))?,
            )
        }
    };
    // A GitHub App instead of a token: its id, key and (optional)
    // installation; the key is read now so a bad file fails here.
    let app = match (s.app_id, &s.private_key_file) {
        (None, None) => {
            if s.installation_id.is_some() {
                return Err(ConfigError::new(
                    origin,
                    format!(
                        "{} needs {} and {}",
                        key("installation_id"),
                        key("app_id"),
                        key("private_key_file")
                    ),
                ));
            }
            None
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(ConfigError::new(
                origin,
                format!(
                    "a GitHub App needs both {} and {}",
                    key("app_id"),
                    key("private_key_file")
                ),
            ))
        }
        (Some(app_id), Some(file)) => {
            if s.kind != "github" {
                return Err(ConfigError::new(
                    origin,
                    format!("{} is a GitHub setting", key("app_id")),
                ));
            }
            if s.token.is_some() || s.token_file.is_some() {
                return Err(ConfigError::new(
                    origin,
                    format!(
                        "{} and a token are both set; keep one identity",
                        key("app_id")
                    ),
                ));
            }
            let file = beside_config(config_path, file);
            let pem = std::fs::read_to_string(&file).map_err(|e| {
                ConfigError::new(
                    origin,
                    format!(
                        "{} = {}: cannot read it: {e}",
                        key("private_key_file"),
                        file.display()
                    ),
                )
            })?;
            if !pem.contains("PRIVATE KEY-----") {
                return Err(ConfigError::new(
                    origin,
                    format!(
                        "{} = {} is not a PEM private key",
                        key("private_key_file"),
                        file.display()
                    ),
                ));
            }
            warnings.extend(readable_by_others(&file, "the GitHub App private key"));
            Some(GithubAppSettings {
                app_id,
                private_key: Secret::new(pem.trim()),
                installation_id: s.installation_id,
            })
        }
    };
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
            let file = beside_config(config_path, file);
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
    // A GitHub source without a token of its own takes GH_TOKEN, then
    // GITHUB_TOKEN, as `gh` does (and says so when it connects).
    let mut token_from_env = None;
    let token = match token {
        None if s.kind == "github" && !s.anonymous && app.is_none() => {
            match ["GH_TOKEN", "GITHUB_TOKEN"].into_iter().find_map(|v| {
                std::env::var(v)
                    .ok()
                    .filter(|t| !t.trim().is_empty())
                    .map(|t| (v, t))
            }) {
                Some((var, t)) => {
                    token_from_env = Some(var);
                    Some(Secret::new(t.trim()))
                }
                None => None,
            }
        }
        other => other,
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
    if token.is_none() && !s.anonymous && app.is_none() {
        return Err(ConfigError::new(
            origin,
            format!(
                "source {name:?} has no token: set {} or {} (or RECUR_SOURCES__{}__TOKEN{}), or anonymous = true",
                key("token"),
                key("token_file"),
                name.to_uppercase(),
                if s.kind == "github" { ", GH_TOKEN or GITHUB_TOKEN" } else { "" }
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
            app,
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
        token_from_env,
        proxy,
        ca,
        rules,
        tracker,
    })
}

/// A file named in the configuration: relative to the configuration file's
/// folder (as token_file, private_key_file and ca_file are documented),
/// else as written.
fn beside_config(config_path: Option<&Path>, file: &Path) -> PathBuf {
    match config_path.and_then(|p| p.parent()) {
        Some(dir) if file.is_relative() => dir.join(file),
        _ => file.to_path_buf(),
    }
}
