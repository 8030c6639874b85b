//! Builds a connector for each configured source.

use recur_core::Connector;
use recur_github::{GithubConfig, GithubConnector};

use crate::settings::{SourceSettings, SyncSettings, TrackerSettings};

/// Why a connector could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The connector rejected its settings.
    #[error(transparent)]
    Connector(#[from] recur_core::ConnectorError),
    /// No connector exists for this kind yet.
    #[error("source {0:?}: Jira sources are not supported by this build yet")]
    Unsupported(String),
}

/// The connector for one source.
pub fn connector(
    source: &SourceSettings,
    sync: &SyncSettings,
) -> Result<Box<dyn Connector>, SourceError> {
    match &source.tracker {
        TrackerSettings::Github { repos, orgs } => {
            let rules = &source.rules;
            let mut tracked: Vec<String> = Vec::new();
            for l in rules
                .risk_labels
                .iter()
                .chain(&rules.incident_labels)
                .chain(&rules.action_item_labels)
            {
                if !tracked.iter().any(|t| t.eq_ignore_ascii_case(l)) {
                    tracked.push(l.clone());
                }
            }
            Ok(Box::new(GithubConnector::new(GithubConfig {
                name: source.name.clone(),
                api_url: source.api_url.clone(),
                token: source.token.as_ref().map(|t| t.expose().to_string()),
                repos: repos.clone(),
                orgs: orgs.clone(),
                tracked_labels: tracked,
                per_page: sync.per_page,
                timeout: sync.request_timeout,
            })?))
        }
        TrackerSettings::Jira { .. } => Err(SourceError::Unsupported(source.name.clone())),
    }
}
