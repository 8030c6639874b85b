//! The generated organisation: which repositories exist at each
//! [`Scale`], which labels and issue-form headings the issues
//! use, and the few issues tests may look up by title. Everything is a pure
//! function of the seed and the anchor.
//!
//! **Counts are not facts.** How many issues carry a label, how many are
//! open or pull requests, depends on the seed and the generator; a test takes
//! them from [`GithubHandle::count_listing`](crate::GithubHandle::count_listing)
//! (or [`GithubHandle::issue`](crate::GithubHandle::issue)) rather than
//! hard-coding them.
//!
//! What the data looks like:
//! - about 10 % pull requests (some with tracked labels), about 35 % of the
//!   entries carry a tracked label, a few carry two;
//! - tracked issues have GitHub issue-form bodies (`### Heading`, blank line,
//!   value, blank line) with varied, realistic value spellings, `_No response_`
//!   for skipped optional fields and a few unparseable values;
//! - incidents reference risks, action items reference incidents and risks
//!   (`#12`, `acme/payments#12`, or an issue URL), with repeat incidents of
//!   the two [contrast risks](DAILY_DEGRADATION_RISK_TITLE) in
//!   [`CONTRAST_REPO`];
//! - in Small and Demo, [`CONTRAST_REPO`] also holds hostile texts: SQL
//!   ([`HOSTILE_SQL`]), control characters, an RTL override, emoji with
//!   zero-width joiners, one huge body ([`BIG_BODY_BYTES_DEMO`] /
//!   [`BIG_BODY_BYTES_SMALL`]) and one issue with [`MANY_COMMENTS`] comments.
//!
//! Modules: this file (the facts), `plan` (repositories per scale),
//! `tables` (text), `draw` (values and their spellings), `records` (what
//! the generator hands to a tracker), `repo_gen` (generating one
//! repository), `kinds` (each kind of issue) and `generator` (the
//! organisation, repository by repository).

mod draw;
mod generator;
mod kinds;
mod plan;
mod records;
mod repo_gen;
mod tables;

use crate::Scale;

pub(crate) use draw::{action_close_time, big_log, RiskNumbers};
pub(crate) use generator::Generator;
pub(crate) use plan::plans;
pub(crate) use records::SeedRepo;
pub(crate) use tables::{ACTIONS, CHORES, COMMENTS, INCIDENTS, OUTCOMES, RATIONALES, RISKS};

/// The organisation every generated repository belongs to.
pub const ORG: &str = "acme";
/// The tracked labels: action items, incidents, risks.
pub const TRACKED_LABELS: [&str; 3] = [ACTION_ITEM_LABEL, INCIDENT_LABEL, RISK_LABEL];
/// Label of postmortem action items.
pub const ACTION_ITEM_LABEL: &str = "postmortem";
/// Label of incidents.
pub const INCIDENT_LABEL: &str = "incident";
/// Label of risks.
pub const RISK_LABEL: &str = "risk";
/// Labels that mean nothing to recur.
pub const NOISE_LABELS: [&str; 4] = ["bug", "enhancement", "documentation", "good first issue"];
/// Prefixes of value labels (`priority:high`, `service:checkout`, …).
pub const VALUE_LABEL_PREFIXES: [&str; 4] = ["priority:", "service:", "team:", "type:"];
/// Repositories at [`Scale::Small`] (and, empty, at [`Scale::Empty`]).
pub const SMALL_REPOS: [&str; 3] = ["acme/payments", "acme/backup", "acme/platform"];
/// Repositories at [`Scale::Demo`].
pub const DEMO_REPOS: [&str; 6] = [
    "acme/payments",
    "acme/backup",
    "acme/platform",
    "acme/web",
    "acme/mobile",
    "acme/data-pipeline",
];
/// Repositories at [`Scale::Bench`]: `acme/bench-0` … `acme/bench-9`.
pub const BENCH_REPO_COUNT: usize = 10;

/// Section headings of an action item's body, in form order.
pub const ACTION_ITEM_HEADINGS: [&str; 14] = [
    "Incident",
    "Risk",
    "Type",
    "Service",
    "Team",
    "Owner",
    "Priority",
    "Target date",
    "Risk rationale",
    "Expected outcome",
    "Evidence of completion",
    "Blocked by",
    "Effort",
    "Theme",
];
/// Section headings of a risk's body, in form order. The likelihood is a
/// level 1–5 under the plain heading `Likelihood`.
pub const RISK_HEADINGS: [&str; 12] = [
    "Impact",
    "Scope",
    "Likelihood",
    "Time to detect (minutes)",
    "Time to repair (minutes)",
    "Users affected (%)",
    "Occurrences per year",
    "Days between failures",
    "Owner",
    "Status",
    "Last reviewed",
    "SLO",
];
/// Section headings of an incident's body, in form order.
pub const INCIDENT_HEADINGS: [&str; 6] = [
    "Started at",
    "Resolved at",
    "Severity",
    "Service",
    "Risk",
    "Users affected (%)",
];

/// Repository of the two contrast risks and the hostile texts.
pub const CONTRAST_REPO: &str = "acme/payments";
/// Open risk: a daily degradation (TTD 2 + TTR 8 min, 20 % of users,
/// 365 a year, impact 2, scope 3, likelihood 5, SLO 99.9).
pub const DAILY_DEGRADATION_RISK_TITLE: &str = "Checkout latency degrades daily under batch load";
/// Open risk: a quarterly full outage (TTD 30 + TTR 90 min, 100 % of users,
/// 4 a year, impact 5, scope 5, likelihood 2, SLO 99.9).
pub const FULL_OUTAGE_RISK_TITLE: &str =
    "Full payments outage when the primary database fails over";
/// Issue number of the daily-degradation risk in [`CONTRAST_REPO`].
pub const DAILY_DEGRADATION_RISK_NUMBER: u64 = 3;
/// Issue number of the full-outage risk in [`CONTRAST_REPO`].
pub const FULL_OUTAGE_RISK_NUMBER: u64 = 7;
/// SQL text carried by a tracked issue's title and body.
pub const HOSTILE_SQL: &str = "'); DROP TABLE items;--";
/// Title of the action item carrying [`HOSTILE_SQL`].
pub const HOSTILE_SQL_TITLE: &str = "Escape refund notes before export '); DROP TABLE items;--";
/// Title with control characters (U+0001 and an ANSI colour escape).
pub const HOSTILE_CONTROL_TITLE: &str =
    "Strip \u{1b}[31mANSI\u{1b}[0m colour codes from alert text\u{1}";
/// Title with a right-to-left override (U+202E).
pub const HOSTILE_RTL_TITLE: &str = "Refund webhook \u{202e}deliaf\u{202c} after TLS rotation";
/// Title with emoji and zero-width joiners.
pub const HOSTILE_EMOJI_TITLE: &str =
    "On-call handoff \u{1f469}\u{200d}\u{1f4bb} \u{2192} \u{1f9d1}\u{1f3fd}\u{200d}\u{1f692} loses pages";
/// Title of the action item with the huge body.
pub const BIG_BODY_TITLE: &str = "Investigate checkout worker log flood";
/// Title of the action item with [`MANY_COMMENTS`] comments.
pub const MANY_COMMENTS_TITLE: &str = "Track the checkout retry budget rollout";
/// Comments on the [`MANY_COMMENTS_TITLE`] issue (more than one page of 30).
pub const MANY_COMMENTS: usize = 45;
/// Minimum body size of the huge body at [`Scale::Demo`].
pub const BIG_BODY_BYTES_DEMO: usize = 1_048_576;
/// Minimum body size of the huge body at [`Scale::Small`].
pub const BIG_BODY_BYTES_SMALL: usize = 100_000;
/// Seeded timestamps lie within this many days before the anchor.
pub const SPAN_DAYS: i64 = 548;

/// People who author, own and comment on issues (all org members).
pub const PEOPLE: [&str; 16] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil",
];
/// Bots that open pull requests.
pub const BOTS: [&str; 2] = ["dependabot[bot]", "renovate[bot]"];

/// The repositories of `scale`, as `owner/name`.
pub fn repos(scale: Scale) -> Vec<String> {
    plans(scale).into_iter().map(|p| p.full_name).collect()
}

/// `acme/bench-0` … `acme/bench-9`.
pub fn bench_repos() -> Vec<String> {
    (0..BENCH_REPO_COUNT)
        .map(|i| format!("{ORG}/bench-{i}"))
        .collect()
}

/// What GitHub writes for an optional form field left empty.
const NO: &str = "_No response_";
const DAY: i64 = 86_400;
