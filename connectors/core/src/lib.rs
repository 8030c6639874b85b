//! recur-core: the contract between recur's shared loops and the tracker
//! connectors. It owns the normalised records ([`Item`]), the page-level
//! [`Connector`] trait (reads), the [`Writer`] trait and summary document
//! (write-back, in [`write`]), the typed [`ConnectorError`], and the parsing
//! of tracker text into typed fields ([`normalize`]), and what both
//! connectors share about the network: TLS roots, proxies ([`net`]).
//!
//! Connectors turn API pages into records and nothing more: scheduling,
//! retries, rate-limit waits and storage belong to the caller.

pub mod fetched;
pub mod history;
pub mod net;
pub mod normalize;
pub mod write;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use fetched::{Entries, Fetched};
pub use history::{rewind, Change, ItemEvent, PastVersion};
pub use write::{
    markdown_escape, render_markdown, render_wiki, set_form_section, wiki_escape, Block,
    CommentPage, LabelsAfter, RemoteComment, Summary, Writer, SUMMARY_MARKER, SUMMARY_PROPERTY,
};

/// Whether an issue is open or closed in its tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Open (GitHub `open`, Jira status category other than Done).
    Open,
    /// Closed (GitHub `closed`, Jira status category Done).
    Closed,
}

impl State {
    /// The SQL-facing name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Closed => "closed",
        }
    }
}

/// The kind of postmortem record an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A follow-up action from a postmortem.
    ActionItem,
    /// An incident (the postmortem's subject).
    Incident,
    /// A failure mode in the risk registry.
    Risk,
}

impl Kind {
    /// The SQL-facing name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ActionItem => "action_item",
            Kind::Incident => "incident",
            Kind::Risk => "risk",
        }
    }
}

/// A link between two tracker items (Jira issue links; GitHub has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemLink {
    /// The link's name as the tracker says it ("relates to", "is caused by").
    pub relation: String,
    /// The key of the other item.
    pub target: String,
}

/// One tracker issue mapped from its JSON, before classification.
///
/// Connectors fill this in; the sync loop classifies it (kind, tracking) and
/// the store keeps it, together with the exact JSON it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `owner/repo#N` on GitHub, `OPS-N` on Jira.
    pub key: String,
    /// The repository (`owner/repo`) or project key (`OPS`) holding the item.
    pub container: String,
    /// The issue number within its container.
    pub number: i64,
    /// The tracker's own stable id (GitHub `id`, Jira `id`).
    pub external_id: String,
    /// A link for people (GitHub `html_url`, Jira browse URL).
    pub url: String,
    /// The title / summary.
    pub title: String,
    /// The body as plain text (Markdown as written; Jira ADF rendered to text).
    pub body: String,
    /// Open or closed.
    pub state: State,
    /// GitHub `state_reason` / Jira resolution name, as the tracker says it.
    pub state_reason: Option<String>,
    /// Tracker-side status name (Jira status), if any.
    pub tracker_status: Option<String>,
    /// Label names, as the tracker returns them.
    pub labels: Vec<String>,
    /// Jira issue type name; `None` on GitHub.
    pub issue_type: Option<String>,
    /// Login (GitHub) or account name of the first assignee.
    pub assignee: Option<String>,
    /// Milestone due date (GitHub) or `duedate` (Jira): the target-date fallback.
    pub due_date: Option<NaiveDate>,
    /// When the item was created.
    pub created_at: DateTime<Utc>,
    /// When the item last changed in the tracker.
    pub updated_at: DateTime<Utc>,
    /// When the item was closed, if it is.
    pub closed_at: Option<DateTime<Utc>>,
    /// Named field values from the tracker: issue-form sections on GitHub
    /// (`### Heading` → text), custom fields by name on Jira.
    pub sections: BTreeMap<String, String>,
    /// Links to other items (Jira issue links).
    pub links: Vec<ItemLink>,
    /// The item's JSON exactly as the tracker sent it.
    pub raw: String,
}

/// Rate-limit figures a tracker reported with a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: Option<i64>,
    /// Requests left in this window.
    pub remaining: Option<i64>,
    /// When the window resets.
    pub reset: Option<DateTime<Utc>>,
}

/// What to list from one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Listing {
    /// Every item carrying this tracked label (GitHub first sync and
    /// reconciliation; one listing per label, because GitHub's `labels=a,b`
    /// means AND).
    Label {
        /// The label.
        label: String,
    },
    /// Every tracked item in one query (Jira, whose JQL can say OR).
    Tracked,
    /// Everything updated at or after `since`, oldest first, without a label
    /// filter, so that label removals are seen.
    Since {
        /// Lower bound (inclusive); `None` lists from the beginning.
        since: Option<DateTime<Utc>>,
    },
    /// Keys of every tracked item, as cheaply as possible (Jira reconcile).
    Keys,
}

/// One page request, opaque to the caller except for its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// The container the listing belongs to.
    pub container: String,
    /// What is being listed.
    pub listing: Listing,
    /// The full URL (GitHub `Link rel=next` is followed as given) or, for
    /// POST-style searches, an identifying URL.
    pub url: String,
    /// The opaque continuation token (Jira `nextPageToken`), if any.
    pub token: Option<String>,
    /// An ETag to send as `If-None-Match`.
    pub etag: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The items on the page, pull requests already dropped.
    pub items: Vec<Item>,
    /// How many entries were dropped as pull requests.
    pub pull_requests: usize,
    /// Entries that could not be mapped: (key or position, reason). Their
    /// JSON is not lost: it is in `raw` of the tuple.
    pub malformed: Vec<Malformed>,
    /// The next page, if there is one.
    pub next: Option<PageRequest>,
    /// The response's ETag.
    pub etag: Option<String>,
    /// True when the tracker answered 304 Not Modified.
    pub not_modified: bool,
    /// Rate-limit figures from the response headers.
    pub rate: Option<RateLimit>,
    /// The newest `updated_at` of every entry on the page, pull requests and
    /// malformed entries included: the keyset position after this page.
    pub newest: Option<DateTime<Utc>>,
}

/// An entry of a page that could not be mapped into an [`Item`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The key, when it could be read, else `#position`.
    pub key: String,
    /// Why it could not be mapped.
    pub reason: String,
    /// The entry's JSON as received.
    pub raw: String,
}

/// The answer to looking one item up by key.
#[derive(Debug, Clone)]
pub enum Probe {
    /// The item exists; here it is.
    Found(Box<Item>),
    /// The item moved (GitHub transfer, Jira move); the new key when known.
    Moved {
        /// The new key, e.g. `acme/other#12` or `NEW-3`.
        new_key: Option<String>,
    },
    /// The item was deleted (410, or 404 for an item we used to see).
    Gone,
}

/// A connector failure, typed so the sync loop can decide what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectorError {
    /// The tracker asked us to slow down; wait, then try again.
    #[error("{source_name}: rate limited (HTTP {status}): {message}")]
    RateLimited {
        /// Source name.
        source_name: String,
        /// HTTP status (403 or 429, or 503 for Jira).
        status: u16,
        /// `Retry-After`, when the tracker sent it.
        retry_after: Option<Duration>,
        /// When the primary budget resets, when it is exhausted.
        reset: Option<DateTime<Utc>>,
        /// True for GitHub's secondary (abuse) limits.
        secondary: bool,
        /// The tracker's message.
        message: String,
    },
    /// A failure that may pass: 5xx, a reset connection, a truncated or
    /// malformed body.
    #[error("{source_name}: transient failure{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Transient {
        /// Source name.
        source_name: String,
        /// HTTP status, when a response arrived.
        status: Option<u16>,
        /// What went wrong.
        message: String,
    },
    /// The tracker rejected the credentials (401).
    #[error("{source_name}: the tracker rejected the token (HTTP 401): {message}")]
    Unauthorized {
        /// Source name.
        source_name: String,
        /// The tracker's message.
        message: String,
    },
    /// A repository or project that does not exist or cannot be seen.
    #[error("{source_name}: {what} not found (HTTP {status}): {message}")]
    NotFound {
        /// Source name.
        source_name: String,
        /// What was asked for (`repository acme/x`).
        what: String,
        /// HTTP status (404, or 410 for disabled issues).
        status: u16,
        /// The tracker's message.
        message: String,
    },
    /// The identity the token acts as cannot be established, so recur
    /// cannot tell its own summary comments from a look-alike planted by
    /// someone else: write-back stops rather than guess.
    #[error("{source_name}: cannot establish whose token this is, so recur will not guess which comment is its own: {message}")]
    Identity {
        /// Source name.
        source_name: String,
        /// What failed.
        message: String,
    },
    /// The tracker's answers break the protocol in a way retrying cannot
    /// mend: a listing that pages in a loop, a response over the size cap.
    #[error("{source_name}: {message}")]
    Protocol {
        /// Source name.
        source_name: String,
        /// What is wrong, naming the request.
        message: String,
    },
    /// Any other error answer.
    #[error("{source_name}: HTTP {status} from {url}: {message}")]
    Http {
        /// Source name.
        source_name: String,
        /// HTTP status.
        status: u16,
        /// The URL (never carries credentials).
        url: String,
        /// The tracker's message.
        message: String,
    },
}

/// The longest piece of server text (an error `message`, the start of an
/// error page) recur repeats, in characters.
pub const SERVER_TEXT_MAX_CHARS: usize = 200;

/// Server-supplied text made safe to print on a terminal or in a log: control
/// characters (escape sequences, carriage returns) and bidirectional
/// overrides dropped, runs of whitespace folded to one space, and at most
/// [`SERVER_TEXT_MAX_CHARS`] characters kept (counted in characters, never
/// sliced by byte offset).
pub fn server_text(text: &str) -> String {
    let mut out = String::new();
    let mut chars = 0usize;
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if c.is_control()
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
        {
            continue;
        }
        if space {
            out.push(' ');
            chars += 1;
            space = false;
        }
        if chars >= SERVER_TEXT_MAX_CHARS {
            out.push('…');
            return out;
        }
        out.push(c);
        chars += 1;
    }
    out
}

impl ConnectorError {
    /// True when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ConnectorError::RateLimited { .. } | ConnectorError::Transient { .. }
        )
    }
}

/// A tracker connector: turns API pages into records.
///
/// Implementations make exactly one HTTP request per call and never retry,
/// sleep or page on their own; the shared sync loop does that.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The source name from the configuration.
    fn source_name(&self) -> &str;

    /// HTTP requests sent so far (every attempt, including 304s).
    fn requests_sent(&self) -> u64;

    /// The containers (repositories, projects) this source covers, expanding
    /// organisations where configured.
    async fn containers(&self) -> Result<Vec<String>, ConnectorError>;

    /// The listings of a first sync or a reconciliation of `container`.
    fn full_listings(&self, container: &str) -> Vec<Listing>;

    /// The first page request of a listing.
    fn first_page(&self, container: &str, listing: &Listing) -> PageRequest;

    /// Fetches one page.
    async fn fetch_page(&self, request: &PageRequest) -> Result<Page, ConnectorError>;

    /// Fetches one page as [`Connector::fetch_page`] does, but may leave
    /// its entries to be mapped by the caller ([`Fetched::map`]), after it
    /// has asked for the next page. Whatever can fail (the status, a body
    /// that is not the listing's JSON) fails here, inside the caller's
    /// retries; mapping cannot fail (an entry that does not map is a
    /// malformed entry of the page). By default the page comes mapped.
    async fn fetch_unmapped(&self, request: &PageRequest) -> Result<Fetched, ConnectorError> {
        self.fetch_page(request).await.map(Fetched::mapped)
    }

    /// Looks one item up by key (reconciliation of items missing from listings).
    async fn probe(&self, key: &str) -> Result<Probe, ConnectorError>;

    /// The change-log listings this tracker offers for history backfill.
    fn log_shape(&self) -> LogShape;

    /// Readies reading logs and stored items (Jira: the field map, one
    /// request when not loaded yet).
    async fn prepare_log(&self) -> Result<(), ConnectorError>;

    /// Fetches one page of a change log (one request).
    async fn events_page(&self, request: &EventsRequest) -> Result<EventsPage, ConnectorError>;

    /// The stored JSON of an item read back into an [`Item`] (for
    /// rewinding); `None` when it cannot be read.
    fn item_from_raw(&self, container: &str, raw: &str) -> Option<Item>;

    /// The preflight of `recur check`: is the token accepted and whose is
    /// it, can each container be reached, do the tracked labels (GitHub)
    /// or fields (Jira) exist, are the issue forms installed, may the
    /// identity write (`writes`: checked without writing), how much of the
    /// rate budget is left. Several requests, no retries (a diagnostic:
    /// the first failure is the answer); never fails, every problem is a
    /// failed [`Check`].
    async fn preflight(&self, writes: bool) -> Vec<Check>;

    /// How to recompute what the tracker derives from an item's status
    /// while rewinding it; `samples` are stored raw items of this source
    /// (Jira learns each status's category from them).
    fn status_rules(&self, samples: &[String]) -> StatusRules;
}

/// Sets an item's state and status word from a raw status name.
pub type SettleFn = dyn Fn(&mut Item, Option<&str>) + Send + Sync;

/// Reads the raw status name of a stored raw item.
pub type StatusOfFn = dyn Fn(&str) -> Option<String> + Send + Sync;

/// One line of `recur check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: `token`, `container`, `label`, `fields`,
    /// `issue_forms`, `write_access`, `rate_limit`, `database`.
    pub check: String,
    /// The repository, project, label or file it concerns (empty: the
    /// source as a whole).
    pub target: String,
    /// Passed.
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// What to do when it failed.
    pub fix: Option<String>,
}

impl Check {
    /// A passed check.
    pub fn pass(check: &str, target: &str, detail: impl Into<String>) -> Self {
        Check {
            check: check.into(),
            target: target.into(),
            ok: true,
            detail: detail.into(),
            fix: None,
        }
    }

    /// A failed check and what to do about it.
    pub fn fail(
        check: &str,
        target: &str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Check {
            check: check.into(),
            target: target.into(),
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Recomputes status-derived fields while rewinding (see
/// [`history::rewind`]).
pub struct StatusRules {
    /// Sets the state and status word from a raw status name (no-op on
    /// GitHub).
    pub settle: Box<SettleFn>,
    /// The raw status name of a stored raw item (`None` on GitHub).
    pub status_of: Box<StatusOfFn>,
}

impl StatusRules {
    /// Rules for a tracker without statuses.
    pub fn none() -> Self {
        StatusRules {
            settle: Box::new(|_, _| {}),
            status_of: Box::new(|_| None),
        }
    }
}

/// What a tracker's change log offers for backfill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogShape {
    /// One listing per container covers every item's events (GitHub
    /// `GET /repos/{o}/{r}/issues/events`, issues and pull requests alike).
    pub per_container: bool,
    /// Entries per page of a log listing.
    pub page_size: u32,
    /// The log carries every field recur reads (Jira's changelog); false
    /// when fields that live in the body are missing from it (GitHub).
    pub has_fields: bool,
    /// Items whose logs one listing can read together, at most (Jira
    /// Cloud's bulk changelog: 1,000; Data Center's search: 100); 0 when
    /// the tracker has no such listing.
    pub bulk_items: u32,
}

/// One change-log page to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum EventsRequest {
    /// One item's log (GitHub `…/issues/{n}/events`, Jira
    /// `…/issue/{key}/changelog`), from `cursor` (`None`: the first page).
    Item {
        /// The item.
        key: String,
        /// Where the next page starts (opaque).
        cursor: Option<String>,
    },
    /// A whole container's log (GitHub only).
    Container {
        /// The repository.
        container: String,
        /// Where the next page starts (opaque).
        cursor: Option<String>,
    },
    /// The logs of several items at once (Jira Cloud's bulk changelog,
    /// Data Center's search with the changelog embedded), at most
    /// [`LogShape::bulk_items`] of them.
    Items {
        /// Each item's key and the tracker's own id for it
        /// ([`Item::external_id`]): the answer names items by id.
        items: Vec<(String, String)>,
        /// Where the next page starts (opaque).
        cursor: Option<String>,
    },
}

/// One page of change-log entries.
#[derive(Debug, Clone, Default)]
pub struct EventsPage {
    /// The events, in the tracker's order; entries recur does not read are
    /// left out (container logs also carry pull requests' events).
    pub events: Vec<ItemEvent>,
    /// The next page's cursor, if any.
    pub next: Option<String>,
    /// Rate-limit figures from the response.
    pub rate: Option<RateLimit>,
    /// Entries the page held, read or not (for the least number of pages
    /// a listing needs).
    pub entries: usize,
    /// Requests made besides the page itself, each one needed (GitHub: the
    /// repository's milestone list, the first time a page names one).
    pub extra_requests: u32,
    /// Items whose logs, as the tracker gave them, hold only their newest
    /// entries (a Jira Data Center changelog embedded with a `total`
    /// above what came): their history is known back to the oldest entry
    /// read, not to their creation.
    pub partial: Vec<String>,
    /// The items the page carries a log for, empty or not, when the
    /// listing names every item it can read (Jira Data Center's search):
    /// an item asked for that no page of the listing names is gone or
    /// hidden. `None` when an item with an empty log may go unnamed (Jira
    /// Cloud's bulk changelog) or the listing reads one item.
    pub named: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (hostile trackers): server text reaches terminals and logs
    /// without escape sequences, line breaks or unbounded length.
    #[test]
    fn server_text_strips_control_characters_and_truncates_by_character() {
        let hostile = "\u{1b}[2J\u{1b}]0;pwned\u{7}Bad\r\ncredentials\u{202e}txt.exe";
        assert_eq!(server_text(hostile), "[2J]0;pwnedBad credentialstxt.exe");
        let long = "\u{212a}".repeat(1000);
        let short = server_text(&long);
        assert_eq!(short.chars().count(), SERVER_TEXT_MAX_CHARS + 1);
        assert!(short.ends_with('…'));
        assert_eq!(server_text("  a \t b  "), "a b");
    }
}
