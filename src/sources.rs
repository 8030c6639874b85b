//! Builds a connector for each configured source, as a reader (sync) or a
//! writer (write-back).

use recur_core::{Connector, Writer};
use recur_github::{GithubConfig, GithubConnector};
use recur_jira::{JiraConfig, JiraConnector};

use recur_core::normalize::LabelRules;

use crate::settings::{SourceSettings, SyncSettings, TrackerSettings};

/// Why a connector could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The connector rejected its settings.
    #[error(transparent)]
    Connector(#[from] recur_core::ConnectorError),
}

/// The connector for one source (the read half).
pub fn connector(
    source: &SourceSettings,
    sync: &SyncSettings,
) -> Result<Box<dyn Connector>, SourceError> {
    Ok(match build(source, sync)? {
        Built::Github(c) => c,
        Built::Jira(c) => c,
    })
}

/// The same connector as a [`Writer`] (the write-back half).
pub fn writer(
    source: &SourceSettings,
    sync: &SyncSettings,
) -> Result<Box<dyn Writer>, SourceError> {
    Ok(match build(source, sync)? {
        Built::Github(c) => c,
        Built::Jira(c) => c,
    })
}

enum Built {
    Github(Box<GithubConnector>),
    Jira(Box<JiraConnector>),
}

fn build(source: &SourceSettings, sync: &SyncSettings) -> Result<Built, SourceError> {
    if let Some(var) = source.token_from_env {
        tracing::info!(source = %source.name, variable = var, "No token configured; using the token from the environment.");
    }
    match &source.tracker {
        TrackerSettings::Github { repos, orgs, app } => {
            let tracked = tracked_labels(&source.rules);
            Ok(Built::Github(Box::new(GithubConnector::new(
                GithubConfig {
                    name: source.name.clone(),
                    api_url: source.api_url.clone(),
                    token: source.token.as_ref().map(|t| t.expose().to_string()),
                    app: app.as_ref().map(|a| recur_github::GithubApp {
                        app_id: a.app_id,
                        private_key_pem: a.private_key.expose().to_string(),
                        installation_id: a.installation_id,
                    }),
                    repos: repos.clone(),
                    orgs: orgs.clone(),
                    tracked_labels: tracked,
                    per_page: sync.per_page.unwrap_or(100),
                    timeout: sync.request_timeout,
                    deadline: sync.request_deadline,
                    max_response_bytes: sync.max_response_bytes,
                    proxy: source.proxy.clone(),
                    ca: source.ca.clone(),
                },
            )?)))
        }
        TrackerSettings::Jira {
            datacenter,
            email,
            projects,
            jql,
            fields,
        } => Ok(Built::Jira(Box::new(JiraConnector::new(JiraConfig {
            name: source.name.clone(),
            api_url: source.api_url.clone(),
            datacenter: *datacenter,
            email: email.clone(),
            token: source.token.as_ref().map(|t| t.expose().to_string()),
            projects: projects.clone(),
            jql: jql.clone(),
            tracked_labels: tracked_labels(&source.rules),
            tracked_types: dedup(rules_types(&source.rules)),
            field_overrides: fields.clone(),
            // Data Center's search serves up to 1,000 a page by default
            // (`jira.search.views.default.max`), Cloud's 100.
            per_page: sync
                .per_page
                .unwrap_or(if *datacenter { 1000 } else { 100 }),
            timeout: sync.request_timeout,
            deadline: sync.request_deadline,
            max_response_bytes: sync.max_response_bytes,
            proxy: source.proxy.clone(),
            ca: source.ca.clone(),
        })?))),
    }
}

fn dedup(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.iter().any(|t| t.eq_ignore_ascii_case(&v)) {
            out.push(v);
        }
    }
    out
}

fn tracked_labels(rules: &LabelRules) -> Vec<String> {
    dedup(
        rules
            .risk_labels
            .iter()
            .chain(&rules.incident_labels)
            .chain(&rules.action_item_labels)
            .cloned()
            .collect(),
    )
}

fn rules_types(rules: &LabelRules) -> Vec<String> {
    rules
        .risk_types
        .iter()
        .chain(&rules.incident_types)
        .chain(&rules.action_item_types)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    /// The built Jira connector's page size (its `Debug` shows its
    /// settings; GitHub's page is 100 whatever is asked, see its listing).
    fn per_page(toml: &str) -> String {
        let s = Settings::from_toml(toml).unwrap();
        let Built::Jira(c) = build(&s.sources[0], &s.sync).unwrap() else {
            panic!("a Jira source");
        };
        let text = format!("{c:?}");
        let at = text.find("per_page: ").expect("per_page shown");
        text[at..].split(',').next().unwrap().to_string()
    }

    #[test]
    fn jira_asks_for_its_flavours_largest_page_unless_per_page_says_otherwise() {
        let jira = |flavor: &str, sync: &str| {
            format!(
                "[sync]\n{sync}\n[sources.j]\nkind = \"jira\"\napi_url = \"http://127.0.0.1:1\"\nflavor = \"{flavor}\"\nemail = \"a@b.example\"\ntoken = \"t\"\nprojects = [\"OPS\"]\naction_item_labels = [\"pm\"]\n"
            )
        };
        assert_eq!(per_page(&jira("datacenter", "")), "per_page: 1000");
        assert_eq!(per_page(&jira("cloud", "")), "per_page: 100");
        assert_eq!(
            per_page(&jira("datacenter", "per_page = 50")),
            "per_page: 50"
        );
        assert_eq!(
            per_page(&jira("datacenter", "per_page = 9999")),
            "per_page: 1000"
        );
    }
}
