//! recur-github: the GitHub (and GitHub Enterprise) connector. It turns one
//! REST request into one page of [`Item`]s, through octocrab's transport.
//!
//! What octocrab does not do for us, and why this crate takes over:
//! - octocrab's default retry re-sends requests (POSTs included) at once on
//!   5xx/429 with no wait; it is compiled out (`default-features = false`)
//!   and the shared sync loop retries instead.
//! - `follow-redirect` would silently follow a transferred issue's 301; it is
//!   compiled out so a transfer is seen as one.
//! - octocrab attaches the token only to relative URIs or `api.github.com`;
//!   `Link` URLs are absolute (and on the sandbox or GHE point elsewhere), so
//!   URLs on the configured host are turned back into paths before sending.
//! - issue lists have no ETag support: `If-None-Match` is sent by hand and a
//!   304 read from the raw response.
//! - octocrab's models fail a whole page on an enum value they do not know;
//!   items are read with tolerant structs here, and each entry's JSON is kept
//!   byte-exact.
//!
//! Sending a request and typing its failure is in `transport`; reading the
//! answers' JSON in `parse`; the write half (labels, the summary comment)
//! in `write`. This file keeps the configuration, the connector and its
//! [`Connector`] implementation.

mod events;
mod parse;
mod preflight;
#[cfg(test)]
mod props;
mod transport;
mod write;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::SecondsFormat;
use http::StatusCode;
use octocrab::Octocrab;
use recur_core::{
    Connector, ConnectorError, EventsPage, EventsRequest, Fetched, Item, Listing, LogShape, Page,
    PageRequest, Probe,
};

pub use parse::{parse_issue, parse_link_next};
pub use transport::rate_limit;
pub use write::MAX_LABEL_CHARS;

/// What the connector needs to know.
#[derive(Clone)]
pub struct GithubConfig {
    /// Source name (for errors and logs).
    pub name: String,
    /// API base, e.g. `https://api.github.com` or `http://127.0.0.1:PORT`.
    pub api_url: url::Url,
    /// Token; `None` for anonymous access or a GitHub App.
    pub token: Option<String>,
    /// A GitHub App acting for this source instead of a token.
    pub app: Option<GithubApp>,
    /// Repositories `owner/name`.
    pub repos: Vec<String>,
    /// Organisations whose repositories are all covered.
    pub orgs: Vec<String>,
    /// Every tracked label (all kinds).
    pub tracked_labels: Vec<String>,
    /// Items per page (≤ 100).
    pub per_page: u32,
    /// Per-read timeout (connect, each read and write).
    pub timeout: Duration,
    /// Total deadline of one request, answer body included.
    pub deadline: Duration,
    /// The largest answer read (decoded), in bytes.
    pub max_response_bytes: usize,
    /// An explicit proxy; `None`: the environment's (`HTTPS_PROXY`, …).
    pub proxy: Option<recur_core::net::ProxySetting>,
    /// A private CA trusted in addition to the system's roots.
    pub ca: Option<recur_core::net::CaBundle>,
}

/// A GitHub App identity: recur signs a JWT with the private key and
/// exchanges it for an installation token, renewed before it expires.
#[derive(Clone)]
pub struct GithubApp {
    /// The App's id.
    pub app_id: u64,
    /// Its private key (PEM, PKCS#1 as GitHub issues it).
    pub private_key_pem: String,
    /// The installation to act as; `None`: the one on the first repository
    /// (or organisation) of the source.
    pub installation_id: Option<u64>,
}

impl std::fmt::Debug for GithubApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubApp")
            .field("app_id", &self.app_id)
            .field("private_key_pem", &"***")
            .field("installation_id", &self.installation_id)
            .finish()
    }
}

impl std::fmt::Debug for GithubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubConfig")
            .field("name", &self.name)
            .field("api_url", &self.api_url.as_str())
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("app", &self.app)
            .field("repos", &self.repos)
            .field("orgs", &self.orgs)
            .field("proxy", &self.proxy)
            .field("ca", &self.ca)
            .finish()
    }
}

/// The GitHub connector.
pub struct GithubConnector {
    cfg: GithubConfig,
    /// The client of a token (or anonymous access).
    octo: Octocrab,
    /// With a GitHub App: the client that signs JWTs (App endpoints), and
    /// the installation's, made on first use (it may have to look the
    /// installation up).
    app: Option<AppClients>,
    requests: AtomicU64,
    /// Write requests (a subset of `requests`).
    writes: AtomicU64,
    /// The token's login, once `Writer::prepare` has asked.
    login: Mutex<Option<String>>,
    /// Per repository, each milestone's due date by title (history
    /// backfill; read once per run).
    milestones:
        Mutex<std::collections::HashMap<String, std::collections::HashMap<String, Option<String>>>>,
}

/// A GitHub App's two clients.
struct AppClients {
    /// Signs a JWT per request (`/app`, `/repos/{r}/installation`).
    jwt: Octocrab,
    /// Acts as the installation; octocrab renews its token when less than
    /// 30 seconds remain, and once more after a 401.
    installation: tokio::sync::OnceCell<Octocrab>,
}

impl GithubConnector {
    /// Builds the connector; fails on an unusable base URL, proxy or CA
    /// file.
    pub fn new(cfg: GithubConfig) -> Result<Self, ConnectorError> {
        let http = http_client(&cfg)?;
        let base = || -> Result<_, ConnectorError> {
            Ok(Octocrab::builder()
                .base_uri(cfg.api_url.as_str())
                .map_err(|e| ConnectorError::Http {
                    source_name: cfg.name.clone(),
                    status: 0,
                    url: cfg.api_url.to_string(),
                    message: format!("unusable api_url: {e}"),
                })?
                .add_header(
                    http::header::ACCEPT,
                    "application/vnd.github+json".to_string(),
                )
                .add_header(
                    http::HeaderName::from_static("x-github-api-version"),
                    "2022-11-28".to_string(),
                ))
        };
        // Every client (token, App JWT, and the installation's, which
        // octocrab derives from the JWT client) shares the one reqwest
        // client, so they share its proxy, roots and connection pool.
        let built = |b: octocrab::OctocrabBuilder<
            octocrab::NoSvc,
            octocrab::DefaultOctocrabBuilderConfig,
            octocrab::NoAuth,
            octocrab::NotLayerReady,
        >| {
            b.build_with_reqwest(http.clone())
                .map_err(|e| ConnectorError::Http {
                    source_name: cfg.name.clone(),
                    status: 0,
                    url: cfg.api_url.to_string(),
                    message: format!("cannot build the HTTP client: {e}"),
                })
        };
        let mut builder = base()?;
        if let Some(token) = &cfg.token {
            builder = builder.personal_token(token.clone());
        }
        let octo = built(builder)?;
        let app = match &cfg.app {
            None => None,
            Some(a) => {
                let encoding = octocrab::EncodingKey::from_rsa_pem(a.private_key_pem.as_bytes())
                    .map_err(|e| ConnectorError::Http {
                        source_name: cfg.name.clone(),
                        status: 0,
                        url: String::new(),
                        // The key's text never goes into the message.
                        message: format!("the GitHub App private key is not an RSA PEM key: {e}"),
                    })?;
                let jwt = built(base()?.app(octocrab::models::AppId(a.app_id), encoding))?;
                Some(AppClients {
                    jwt,
                    installation: tokio::sync::OnceCell::new(),
                })
            }
        };
        Ok(GithubConnector {
            cfg,
            octo,
            app,
            requests: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            login: Mutex::new(None),
            milestones: Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// The client requests go through: the token's, or the App
    /// installation's (looked up on first use when not configured).
    pub(crate) async fn client(&self) -> Result<&Octocrab, ConnectorError> {
        let Some(app) = &self.app else {
            return Ok(&self.octo);
        };
        app.installation
            .get_or_try_init(|| async {
                let id = match self.cfg.app.as_ref().and_then(|a| a.installation_id) {
                    Some(id) => id,
                    None => self.find_installation(&app.jwt).await?,
                };
                app.jwt
                    .installation(octocrab::models::InstallationId(id))
                    .map_err(|e| ConnectorError::Http {
                        source_name: self.name(),
                        status: 0,
                        url: String::new(),
                        message: format!("cannot act as installation {id}: {e}"),
                    })
            })
            .await
    }

    /// The installation of the App on the source's first repository (or
    /// organisation): `GET /repos/{r}/installation`, signed with the JWT.
    async fn find_installation(&self, jwt: &Octocrab) -> Result<u64, ConnectorError> {
        let path = match (self.cfg.repos.first(), self.cfg.orgs.first()) {
            (Some(r), _) => format!("/repos/{r}/installation"),
            (None, Some(o)) => format!("/orgs/{o}/installation"),
            (None, None) => {
                return Err(ConnectorError::Http {
                    source_name: self.name(),
                    status: 0,
                    url: String::new(),
                    message: "no repository or organisation to find the App's installation on; set installation_id".into(),
                })
            }
        };
        let a = self.jwt_get(jwt, &path).await?;
        if a.status != http::StatusCode::OK {
            return Err(self.error_for(&path, "the GitHub App's installation", &a));
        }
        #[derive(serde::Deserialize)]
        struct Installation {
            id: u64,
        }
        serde_json::from_slice::<Installation>(&a.body)
            .map(|i| i.id)
            .map_err(|e| ConnectorError::Transient {
                source_name: self.name(),
                status: Some(200),
                message: format!("malformed installation answer: {e}"),
            })
    }

    /// One GET signed with the App's JWT.
    pub(crate) async fn jwt_get(
        &self,
        jwt: &Octocrab,
        path: &str,
    ) -> Result<transport::Answer, ConnectorError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let uri = self.to_request_uri(path)?;
        self.exchange(&format!("GET {uri}"), jwt._get(uri.as_str()))
            .await
    }

    /// With an App: `{slug}[bot]`, the login its installation writes as
    /// (`GET /app`, signed with the JWT).
    pub(crate) async fn app_login(&self) -> Option<Result<String, ConnectorError>> {
        let app = self.app.as_ref()?;
        Some(
            async {
                let a = self.jwt_get(&app.jwt, "/app").await?;
                if a.status != http::StatusCode::OK {
                    return Err(self.error_for("/app", "the GitHub App", &a));
                }
                #[derive(serde::Deserialize)]
                struct App {
                    slug: String,
                }
                serde_json::from_slice::<App>(&a.body)
                    .map(|a| format!("{}[bot]", a.slug))
                    .map_err(|e| ConnectorError::Transient {
                        source_name: self.name(),
                        status: Some(200),
                        message: format!("malformed /app answer: {e}"),
                    })
            }
            .await,
        )
    }

    fn name(&self) -> String {
        self.cfg.name.clone()
    }

    fn list_url(&self, container: &str, listing: &Listing) -> String {
        let pp = self.cfg.per_page.clamp(1, 100);
        match listing {
            Listing::Label { label } => format!(
                "/repos/{container}/issues?labels={}&state=all&sort=created&direction=asc&per_page={pp}",
                enc(label)
            ),
            Listing::Since { since } => {
                let mut u = format!(
                    "/repos/{container}/issues?state=all&sort=updated&direction=asc&per_page={pp}"
                );
                if let Some(since) = since {
                    u.push_str("&since=");
                    u.push_str(&enc(&since.to_rfc3339_opts(SecondsFormat::Secs, true)));
                }
                u
            }
            // GitHub cannot OR labels in one query; these fall back to a
            // full listing, which the loop filters.
            Listing::Tracked | Listing::Keys => format!(
                "/repos/{container}/issues?state=all&sort=created&direction=asc&per_page={pp}"
            ),
        }
    }
}

/// The reqwest client every octocrab client of a source sends through.
///
/// - TLS: [`recur_core::net::tls_config`], the same roots as Jira's
///   (the system's plus `ca_file`).
/// - Proxy: `cfg.proxy` when set (`NO_PROXY` still applies); otherwise
///   reqwest's own reading of `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/
///   `NO_PROXY` (either case), made when the client is built.
/// - gzip: asked for and decoded by reqwest; the size cap in `transport`
///   counts decoded bytes.
/// - No redirects: a transferred issue's 301 must be seen (as with the
///   `follow-redirect` feature compiled out of octocrab).
/// - Timeouts: connect and per read; reqwest has no write timeout, the
///   total deadline in `transport` bounds a stalled upload instead.
fn http_client(cfg: &GithubConfig) -> Result<reqwest::Client, ConnectorError> {
    let config_error = |message: String| ConnectorError::Http {
        source_name: cfg.name.clone(),
        status: 0,
        url: cfg.api_url.to_string(),
        message,
    };
    let tls = recur_core::net::tls_config(cfg.ca.as_ref())
        .map_err(|e| config_error(format!("ca_file: {e}")))?;
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(cfg.timeout)
        .read_timeout(cfg.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .gzip(true);
    if let Some(p) = &cfg.proxy {
        let proxy = reqwest::Proxy::all(p.0.as_str())
            .map_err(|e| config_error(format!("proxy {}: {e}", p.display())))?
            .no_proxy(reqwest::NoProxy::from_env());
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| config_error(format!("cannot build the HTTP client: {e}")))
}

pub(crate) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `owner/repo` and the number of a key `owner/repo#N` (reads, probes
/// and write-back all split keys here).
pub(crate) fn split_key<'k>(source: &str, key: &'k str) -> Result<(&'k str, u64), ConnectorError> {
    key.rsplit_once('#')
        .and_then(|(repo, n)| Some((repo, n.parse().ok()?)))
        .ok_or_else(|| ConnectorError::Http {
            source_name: source.to_string(),
            status: 0,
            url: String::new(),
            message: format!("{key:?} is not a GitHub key (owner/repo#N)"),
        })
}

#[async_trait]
impl Connector for GithubConnector {
    fn source_name(&self) -> &str {
        &self.cfg.name
    }

    fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    async fn containers(&self) -> Result<Vec<String>, ConnectorError> {
        let mut out: Vec<String> = self.cfg.repos.clone();
        for org in &self.cfg.orgs {
            let mut url = format!("/orgs/{}/repos?type=all&per_page=100", enc(org));
            let mut seen = std::collections::HashSet::new();
            loop {
                // Organisation listings page here (not in the sync loop), so
                // a `Link` back to a page already read is caught here.
                if !seen.insert(url.clone()) {
                    return Err(ConnectorError::Protocol {
                        source_name: self.name(),
                        message: format!(
                            "the repository listing of organisation {org} pages in a loop: {url} was asked for again"
                        ),
                    });
                }
                let a = self.get(&url, None).await?;
                if a.status != StatusCode::OK {
                    return Err(self.error_for(&url, &format!("organisation {org}"), &a));
                }
                #[derive(serde::Deserialize)]
                struct Repo {
                    full_name: String,
                    #[serde(default)]
                    archived: bool,
                }
                let repos: Vec<Repo> =
                    serde_json::from_slice(&a.body).map_err(|e| ConnectorError::Transient {
                        source_name: self.name(),
                        status: Some(200),
                        message: format!("malformed repository list: {e}"),
                    })?;
                out.extend(
                    repos
                        .into_iter()
                        .filter(|r| !r.archived)
                        .map(|r| r.full_name),
                );
                match parse_link_next(&a.headers) {
                    Some(next) => url = next,
                    None => break,
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|r| seen.insert(r.to_lowercase()));
        Ok(out)
    }

    fn full_listings(&self, _container: &str) -> Vec<Listing> {
        self.cfg
            .tracked_labels
            .iter()
            .map(|l| Listing::Label { label: l.clone() })
            .collect()
    }

    fn first_page(&self, container: &str, listing: &Listing) -> PageRequest {
        PageRequest {
            container: container.to_string(),
            listing: listing.clone(),
            url: self.list_url(container, listing),
            token: None,
            etag: None,
        }
    }

    async fn fetch_page(&self, req: &PageRequest) -> Result<Page, ConnectorError> {
        Ok(self.fetch_unmapped(req).await?.map())
    }

    async fn fetch_unmapped(&self, req: &PageRequest) -> Result<Fetched, ConnectorError> {
        let a = self.get(&req.url, req.etag.as_deref()).await?;
        let rate = rate_limit(&a.headers);
        if a.status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::mapped(Page {
                not_modified: true,
                etag: req.etag.clone(),
                rate,
                ..Page::default()
            }));
        }
        if a.status != StatusCode::OK {
            return Err(self.error_for(&req.url, &format!("repository {}", req.container), &a));
        }
        let head = Page {
            rate,
            etag: a
                .headers
                .get(http::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            next: parse_link_next(&a.headers).map(|url| PageRequest {
                container: req.container.clone(),
                listing: req.listing.clone(),
                url,
                token: None,
                etag: None,
            }),
            ..Page::default()
        };
        let entries = parse::read_page(&self.cfg.name, &req.container, a.body.into())?;
        let container = req.container.clone();
        Ok(Fetched::unmapped(head, move || {
            parse::map_entries(&container, entries.iter())
        }))
    }

    fn log_shape(&self) -> LogShape {
        LogShape {
            per_container: true,
            page_size: events::PAGE_SIZE,
            has_fields: false,
            bulk_items: 0,
        }
    }

    async fn prepare_log(&self) -> Result<(), ConnectorError> {
        // Milestone due dates are read afresh each backfill run: a daemon
        // keeps its connector, and a milestone's date may have moved.
        self.milestones.lock().expect("milestones").clear();
        Ok(())
    }

    async fn events_page(&self, request: &EventsRequest) -> Result<EventsPage, ConnectorError> {
        let pp = events::PAGE_SIZE;
        match request {
            EventsRequest::Item { key, cursor } => {
                let (repo, number) = split_key(&self.cfg.name, key)?;
                let url = cursor.clone().unwrap_or_else(|| {
                    format!("/repos/{repo}/issues/{number}/events?per_page={pp}")
                });
                self.events(repo, Some(number), &url).await
            }
            EventsRequest::Container { container, cursor } => {
                let url = cursor
                    .clone()
                    .unwrap_or_else(|| format!("/repos/{container}/issues/events?per_page={pp}"));
                self.events(container, None, &url).await
            }
            EventsRequest::Items { .. } => Err(ConnectorError::Protocol {
                source_name: self.cfg.name.clone(),
                message: "GitHub has no change log of several issues at once".into(),
            }),
        }
    }

    fn item_from_raw(&self, container: &str, raw: &str) -> Option<Item> {
        parse_issue(container, raw).ok().flatten()
    }

    async fn preflight(&self, writes: bool) -> Vec<recur_core::Check> {
        self.preflight_checks(writes).await
    }

    fn status_rules(&self, _samples: &[String]) -> recur_core::StatusRules {
        recur_core::StatusRules::none()
    }

    async fn probe(&self, key: &str) -> Result<Probe, ConnectorError> {
        let (repo, number) = split_key(&self.cfg.name, key)?;
        let url = format!("/repos/{repo}/issues/{number}");
        let a = self.get(&url, None).await?;
        match a.status.as_u16() {
            200 => {
                let item = parse::parse_single(&self.cfg.name, repo, &a.body)?;
                Ok(Probe::Found(Box::new(item)))
            }
            301 | 302 | 307 | 308 => {
                // Look once where it went, to re-key it; a failure here only
                // loses the new key, not the fact of the move.
                let new_key = match a
                    .headers
                    .get(http::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                {
                    Some(loc) => match self.get(loc, None).await {
                        Ok(b) if b.status == StatusCode::OK => parse::moved_key(&b.body),
                        _ => None,
                    },
                    None => None,
                };
                Ok(Probe::Moved { new_key })
            }
            410 | 404 => Ok(Probe::Gone),
            _ => Err(self.error_for(&url, &format!("issue {key}"), &a)),
        }
    }
}
