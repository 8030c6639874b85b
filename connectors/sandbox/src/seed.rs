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

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::Scale;

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

const NO: &str = "_No response_";
const DAY: i64 = 86_400;

// ---------------------------------------------------------------------------
// What the generator hands to a tracker's state.

pub(crate) struct SeedRepo {
    pub full_name: String,
    pub description: String,
    pub created: i64,
    pub labels: Vec<SeedLabel>,
    pub milestones: Vec<SeedMilestone>,
    pub issues: Vec<SeedIssue>,
}

pub(crate) struct SeedLabel {
    pub name: String,
    pub color: String,
    pub description: Option<String>,
    pub default: bool,
}

pub(crate) struct SeedMilestone {
    pub title: String,
    pub created: i64,
    pub due_on: i64,
}

pub(crate) struct SeedIssue {
    pub title: String,
    pub body: String,
    /// Indexes into [`SeedRepo::labels`].
    pub labels: Vec<u32>,
    pub author: &'static str,
    pub assignees: Vec<&'static str>,
    /// Index into [`SeedRepo::milestones`].
    pub milestone: Option<usize>,
    pub created: i64,
    pub updated: i64,
    pub closed: Option<SeedClose>,
    pub pull_request: Option<SeedPr>,
    pub comments: Vec<SeedComment>,
    /// Open again after this close (so `state_reason` is `reopened`); the
    /// reopening happened at `updated`.
    pub reopened: Option<SeedClose>,
}

pub(crate) struct SeedClose {
    pub at: i64,
    pub reason: Option<&'static str>,
    pub by: &'static str,
}

pub(crate) struct SeedPr {
    pub draft: bool,
    pub merged_at: Option<i64>,
}

pub(crate) struct SeedComment {
    pub author: &'static str,
    pub body: String,
    pub created: i64,
}

// ---------------------------------------------------------------------------
// Plans.

pub(crate) struct RepoPlan {
    pub full_name: String,
    pub issues: usize,
    services: &'static [&'static str],
    teams: &'static [&'static str],
    /// Contrast risks and hostile texts go here.
    special: bool,
    big_body: usize,
    /// Bench: few comments, no special issues.
    lean: bool,
}

const SERVICES: [(&str, &[&str], &[&str]); 7] = [
    (
        "payments",
        &["checkout", "payments-api", "ledger", "billing"],
        &["payments", "billing"],
    ),
    (
        "backup",
        &["backup-agent", "snapshot-store", "restore-service"],
        &["storage"],
    ),
    (
        "platform",
        &["kubernetes", "dns", "ingress", "auth-gateway"],
        &["platform", "sre"],
    ),
    ("web", &["web-frontend", "cdn", "search"], &["web"]),
    (
        "mobile",
        &["ios-app", "android-app", "push-gateway"],
        &["mobile"],
    ),
    (
        "data-pipeline",
        &["ingest", "warehouse", "scheduler"],
        &["data"],
    ),
    (
        "bench",
        &["api", "worker", "database", "cache", "queue"],
        &["core", "infra"],
    ),
];

fn services_of(name: &str) -> (&'static [&'static str], &'static [&'static str]) {
    let key = if name.starts_with("bench-") {
        "bench"
    } else {
        name
    };
    SERVICES
        .iter()
        .find(|(n, _, _)| *n == key)
        .map(|(_, s, t)| (*s, *t))
        .unwrap_or((SERVICES[6].1, SERVICES[6].2))
}

fn plan(full_name: &str, issues: usize, scale: Scale) -> RepoPlan {
    let name = full_name.rsplit('/').next().unwrap_or(full_name);
    let (services, teams) = services_of(name);
    let special = full_name == CONTRAST_REPO && matches!(scale, Scale::Small | Scale::Demo);
    RepoPlan {
        full_name: full_name.to_string(),
        issues,
        services,
        teams,
        special,
        big_body: match scale {
            Scale::Demo => BIG_BODY_BYTES_DEMO,
            _ => BIG_BODY_BYTES_SMALL,
        },
        lean: matches!(scale, Scale::Bench { .. }),
    }
}

pub(crate) fn plans(scale: Scale) -> Vec<RepoPlan> {
    match scale {
        Scale::Empty => SMALL_REPOS.iter().map(|r| plan(r, 0, scale)).collect(),
        Scale::Small => SMALL_REPOS
            .iter()
            .zip([160, 120, 120])
            .map(|(r, n)| plan(r, n, scale))
            .collect(),
        Scale::Demo => DEMO_REPOS
            .iter()
            .zip([700, 400, 600, 500, 400, 400])
            .map(|(r, n)| plan(r, n, scale))
            .collect(),
        Scale::Bench { issues } => bench_repos()
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let n = issues / BENCH_REPO_COUNT + usize::from(i < issues % BENCH_REPO_COUNT);
                plan(r, n, scale)
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------
// Text tables.

pub(crate) const ACTIONS: [(&str, &str); 16] = [
    ("alerting", "Alert on {svc} error-budget burn rate"),
    ("monitoring", "Add dashboards for {svc} queue depth"),
    ("runbook", "Write a runbook for {svc} failover"),
    ("bug fix", "Fix the retry storm in the {svc} client"),
    ("testing", "Load test {svc} at three times peak traffic"),
    ("automation", "Automate certificate rotation for {svc}"),
    (
        "circuit breaker",
        "Add a circuit breaker between {svc} and its database",
    ),
    ("rate limiting", "Rate limit the batch endpoints of {svc}"),
    ("autoscaling", "Enable autoscaling for {svc} workers"),
    ("backup", "Run a restore drill for {svc} backups"),
    ("documentation", "Document the {svc} escalation path"),
    ("configuration", "Lower the DNS TTL in front of {svc}"),
    ("capacity", "Plan {svc} capacity for peak season"),
    ("training", "Train on-call engineers on {svc} recovery"),
    ("failover", "Make {svc} fail over without a human"),
    ("rollback", "Add one-click rollback for {svc} deploys"),
];

const TYPE_LABELS: [&str; 6] = [
    "alerting",
    "runbook",
    "testing",
    "automation",
    "documentation",
    "capacity",
];

pub(crate) const RISKS: [&str; 10] = [
    "{svc} certificate expiry goes unnoticed",
    "{svc} has a single database primary",
    "Queue backlog in {svc} grows without alerting",
    "Cache stampede on {svc} after deploys",
    "{svc} failover untested for a year",
    "Manual restore of {svc} takes hours",
    "{svc} calls a third-party API without timeouts",
    "Disk fills up on {svc} log spikes",
    "Config drift between {svc} regions",
    "{svc} retries amplify partial outages",
];

pub(crate) const INCIDENTS: [&str; 7] = [
    "{svc} returned 5xx errors for {n} minutes",
    "Elevated latency on {svc}",
    "{svc} outage after a failed failover",
    "Partial {svc} outage in eu-west-1",
    "{svc} dropped messages during a deploy",
    "Stale reads from the {svc} cache",
    "{svc} certificate expired",
];

pub(crate) const CHORES: [&str; 10] = [
    "Typo in the {svc} README",
    "Upgrade {svc} dependencies",
    "Flaky integration test in {svc}",
    "Improve {svc} error messages",
    "Add dark mode to the {svc} admin page",
    "Refactor {svc} config loading",
    "Remove an unused feature flag from {svc}",
    "Question: how do I run {svc} locally?",
    "{svc}: log level too verbose",
    "Support pagination in the {svc} API",
];

const PULLS: [&str; 6] = [
    "Fix {svc} timeout handling",
    "Add an alert for {svc} saturation",
    "Refactor the {svc} retry policy",
    "Update the {svc} runbook",
    "Bump serde from 1.0.{n} to 1.0.{m}",
    "Bump tokio from 1.{n}.0 to 1.{m}.0",
];

pub(crate) const COMMENTS: [&str; 9] = [
    "Looking into this now.",
    "Moved to the next sprint, blocked on the {svc} migration.",
    "@{who} can you take a look?",
    "Done in #{n}.",
    "This happened again today, see the incident channel.",
    "Lowering the priority: no occurrence for three months.",
    "```\nerror: connection refused (os error 111)\n```\nSame stack trace as before.",
    "Discussed in the weekly reliability review; keeping it open.",
    "<!-- triage-bot: seen -->\nTriaged.",
];

pub(crate) const RATIONALES: [&str; 6] = [
    "Without it the same failure will page someone again within a quarter.",
    "The last two incidents were detected by customers, not by us.",
    "Recovery depends on one person's memory.",
    "Cheap to do and removes a whole class of outage.",
    "Required by the reliability review.",
    "Reduces time to repair more than anything else on the list.",
];

pub(crate) const OUTCOMES: [&str; 6] = [
    "An alert fires within five minutes of the failure.",
    "Failover completes without manual steps.",
    "On-call can restore service by following the runbook alone.",
    "Error rate stays under 0.1 % during deploys.",
    "Nobody is paged for this again.",
    "Restore is tested every month.",
];

const THEMES: [&str; 6] = [
    "observability",
    "resilience",
    "capacity",
    "process",
    "security",
    "Resilience",
];
const EFFORTS: [&str; 8] = ["S", "M", "L", "XL", "2d", "1 sprint", "3 points", NO];
const SEVERITIES: [&str; 7] = ["SEV1", "SEV2", "SEV3", "SEV4", "sev2", "Sev 3", "SEV-2"];
const RISK_STATUSES: [&str; 6] = [
    "Open",
    "Accepted",
    "Mitigating",
    "In-Review",
    "Mitigated",
    "open",
];
const PRIORITIES: [&str; 9] = [
    "P0",
    "P1",
    "P2",
    "P3",
    "high",
    "Critical",
    "P2 - medium",
    "low",
    "Medium",
];
const PRIORITY_LABELS: [&str; 4] = ["critical", "high", "medium", "low"];

// ---------------------------------------------------------------------------
// The generator.

/// Issue numbers seen so far in one repository, for references.
#[derive(Default, Clone)]
struct Pools {
    risks: Vec<u64>,
    /// (number, the risk it references).
    incidents: Vec<(u64, Option<u64>)>,
}

/// Generates repositories one at a time (so a big organisation never sits
/// in memory twice), remembering incident and risk numbers for
/// cross-repository references.
pub(crate) struct Generator {
    seed: u64,
    anchor: i64,
    earlier: Vec<(String, Pools)>,
}

/// FNV-1a: a hash that is the same on every platform and Rust version.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn date(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn timestamp_text(rng: &mut StdRng, ts: i64) -> String {
    let Some(d) = DateTime::<Utc>::from_timestamp(ts - ts % 60, 0) else {
        return NO.to_string();
    };
    match rng.random_range(0..3) {
        0 => d.format("%Y-%m-%d %H:%M UTC").to_string(),
        1 => d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        _ => (d + chrono::Duration::hours(1))
            .format("%Y-%m-%dT%H:%M:%S+01:00")
            .to_string(),
    }
}

fn percent_text(rng: &mut StdRng, v: u32) -> String {
    match rng.random_range(0..3) {
        0 => format!("{v}"),
        1 => format!("{v}%"),
        _ => format!("{v} %"),
    }
}

fn level_text(rng: &mut StdRng, v: u32) -> String {
    let word = ["very low", "low", "medium", "high", "very high"][(v.clamp(1, 5) - 1) as usize];
    match rng.random_range(0..4) {
        0 | 1 => format!("{v}"),
        2 => format!("{v} - {}", capitalise(word)),
        _ => word.to_string(),
    }
}

/// When an action item created at `created` and due at `due` was closed,
/// if it was by `anchor` (all in the same unit, `day` long days): teams
/// close most items around their due date, some a little late; one in
/// twenty slips past it and stays open (overdue); of the items not yet
/// due, a quarter are done early. So a review sees a believable share of
/// overdue work (a fifth to two fifths of the open items), not nearly all.
pub(crate) fn action_close_time(
    rng: &mut StdRng,
    created: i64,
    due: i64,
    anchor: i64,
    day: i64,
) -> Option<i64> {
    let due = due.max(created + day);
    if due <= anchor {
        if !rng.random_bool(0.95) {
            return None;
        }
        let span = (due - created) as f64;
        let at = created + (span * rng.random_range(0.55..1.25)) as i64;
        Some(at.min(anchor).max(created + 60))
    } else {
        if !rng.random_bool(0.25) {
            return None;
        }
        let span = (anchor - created).max(day) as f64;
        Some((created + (span * rng.random_range(0.3..1.0)) as i64).min(anchor))
    }
}

/// The numbers of a generated risk, drawn so a registry looks like a real
/// one: most risks minor (a few users, minutes, a few times a year), some
/// chronic (frequent and small), a quarter major, a few severe; the levels
/// a team would give them (the scoring tables' level of each number, one
/// level off now and then). Most risks are P3, a few P0, the median well
/// under a quarter of its budget, and the matrix and the expected cost
/// rarely two levels apart.
pub(crate) struct RiskNumbers {
    pub impact: u32,
    pub scope: u32,
    pub likelihood: u32,
    pub ttd: u32,
    pub ttr: u32,
    pub users_pct: u32,
    pub per_year: u32,
    pub slo: &'static str,
}

impl RiskNumbers {
    pub(crate) fn draw(rng: &mut StdRng) -> RiskNumbers {
        fn weighted(rng: &mut StdRng, pairs: &[(u32, u32)]) -> u32 {
            let total: u32 = pairs.iter().map(|(_, w)| w).sum();
            let mut r = rng.random_range(0..total);
            for (v, w) in pairs {
                if r < *w {
                    return *v;
                }
                r -= w;
            }
            pairs[pairs.len() - 1].0
        }
        let (per_year, users, ttd, ttr) = match rng.random_range(0..100) {
            // Minor.
            0..=54 => (
                weighted(rng, &[(1, 35), (2, 40), (4, 25)]),
                weighted(rng, &[(1, 30), (2, 35), (5, 35)]),
                weighted(rng, &[(2, 20), (5, 40), (10, 40)]),
                weighted(rng, &[(8, 30), (15, 40), (30, 30)]),
            ),
            // Chronic: frequent, small.
            55..=69 => (
                weighted(rng, &[(12, 45), (24, 30), (52, 25)]),
                weighted(rng, &[(1, 50), (2, 50)]),
                weighted(rng, &[(2, 50), (5, 50)]),
                weighted(rng, &[(8, 50), (15, 50)]),
            ),
            // Major.
            70..=95 => (
                weighted(rng, &[(1, 40), (2, 45), (4, 15)]),
                weighted(rng, &[(20, 50), (30, 30), (50, 20)]),
                weighted(rng, &[(10, 40), (15, 30), (30, 30)]),
                weighted(rng, &[(45, 30), (60, 40), (90, 30)]),
            ),
            // Severe: rare, wide, long.
            _ => (
                weighted(rng, &[(1, 60), (2, 40)]),
                weighted(rng, &[(50, 40), (100, 60)]),
                weighted(rng, &[(15, 40), (30, 40), (60, 20)]),
                weighted(rng, &[(120, 50), (240, 40), (480, 10)]),
            ),
        };
        // The level of a number: the nearest entry of recur's default
        // tables on a log scale (cut-offs at geometric means).
        fn level(v: f64, table: [f64; 5]) -> u32 {
            1 + table
                .windows(2)
                .filter(|w| v >= (w[0] * w[1]).sqrt())
                .count() as u32
        }
        let mut nudge = |l: u32| {
            if rng.random_bool(0.15) {
                if rng.random_bool(0.5) {
                    (l + 1).min(5)
                } else {
                    l.saturating_sub(1).max(1)
                }
            } else {
                l
            }
        };
        let impact = nudge(level(f64::from(ttd + ttr), [3.0, 15.0, 60.0, 240.0, 960.0]));
        let scope = nudge(level(f64::from(users), [0.5, 5.0, 17.0, 50.0, 90.0]));
        let likelihood = nudge(level(f64::from(per_year), [0.1, 0.5, 2.0, 8.0, 52.0]));
        let slo = pick(
            rng,
            &[
                "99.9", "99.9%", "0.999", "99.9 %", "99.5", "99.95 %", "99.9", "99.5%",
            ],
        );
        RiskNumbers {
            impact,
            scope,
            likelihood,
            ttd,
            ttr,
            users_pct: users,
            per_year,
            slo,
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn owner_text(rng: &mut StdRng) -> String {
    let who = pick(rng, &PEOPLE);
    match rng.random_range(0..10) {
        0 => NO.to_string(),
        1..=6 => format!("@{who}"),
        7 => format!("@{who}, @{}", pick(rng, &PEOPLE)),
        _ => who.to_string(),
    }
}

/// An issue-form body under construction.
struct Form(String);

impl Form {
    fn new(capacity: usize) -> Self {
        Form(String::with_capacity(capacity))
    }

    fn field(&mut self, heading: &str, value: &str) {
        self.0.push_str("### ");
        self.0.push_str(heading);
        self.0.push_str("\n\n");
        self.0.push_str(if value.is_empty() { NO } else { value });
        self.0.push_str("\n\n");
    }
}

/// Labels of one repository being generated.
struct LabelSet {
    labels: Vec<SeedLabel>,
    index: HashMap<String, u32>,
}

impl LabelSet {
    fn new(plan: &RepoPlan) -> Self {
        let mut set = LabelSet {
            labels: Vec::new(),
            index: HashMap::new(),
        };
        for (name, color, desc) in [
            ("bug", "d73a4a", "Something isn't working"),
            (
                "documentation",
                "0075ca",
                "Improvements or additions to documentation",
            ),
            (
                "duplicate",
                "cfd3d7",
                "This issue or pull request already exists",
            ),
            ("enhancement", "a2eeef", "New feature or request"),
            ("good first issue", "7057ff", "Good for newcomers"),
            ("help wanted", "008672", "Extra attention is needed"),
            ("invalid", "e4e669", "This doesn't seem right"),
            ("question", "d876e3", "Further information is requested"),
            ("wontfix", "ffffff", "This will not be worked on"),
        ] {
            set.add(name, color, Some(desc), true);
        }
        set.add(
            ACTION_ITEM_LABEL,
            "b60205",
            Some("Postmortem action item"),
            false,
        );
        set.add(INCIDENT_LABEL, "d93f0b", Some("Incident record"), false);
        set.add(RISK_LABEL, "fbca04", Some("Reliability risk"), false);
        for p in PRIORITY_LABELS {
            set.add(&format!("priority:{p}"), "c5def5", None, false);
        }
        for s in plan.services {
            set.add(&format!("service:{s}"), "bfdadc", None, false);
        }
        for t in plan.teams {
            set.add(&format!("team:{t}"), "d4c5f9", None, false);
        }
        for t in TYPE_LABELS {
            set.add(&format!("type:{t}"), "fef2c0", None, false);
        }
        set
    }

    fn add(&mut self, name: &str, color: &str, description: Option<&str>, default: bool) -> u32 {
        if let Some(i) = self.index.get(name) {
            return *i;
        }
        let i = self.labels.len() as u32;
        self.labels.push(SeedLabel {
            name: name.to_string(),
            color: color.to_string(),
            description: description.map(str::to_string),
            default,
        });
        self.index.insert(name.to_string(), i);
        i
    }

    fn id(&self, name: &str) -> u32 {
        // Every name asked for is registered in `new`.
        self.index.get(name).copied().unwrap_or(0)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pull,
    Risk,
    Incident,
    Action,
    Chore,
}

/// Fixed issues of the special repository, by number.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Special {
    DailyRisk,
    OutageRisk,
    Sql,
    Control,
    Rtl,
    Emoji,
    BigBody,
    ManyComments,
}

fn special_at(number: u64) -> Option<Special> {
    match number {
        DAILY_DEGRADATION_RISK_NUMBER => Some(Special::DailyRisk),
        FULL_OUTAGE_RISK_NUMBER => Some(Special::OutageRisk),
        21 => Some(Special::Sql),
        22 => Some(Special::Control),
        23 => Some(Special::Rtl),
        24 => Some(Special::Emoji),
        25 => Some(Special::BigBody),
        26 => Some(Special::ManyComments),
        _ => None,
    }
}

/// State while generating one repository.
struct RepoGen<'a> {
    plan: &'a RepoPlan,
    rng: StdRng,
    anchor: i64,
    labels: LabelSet,
    milestones: Vec<SeedMilestone>,
    pools: Pools,
    earlier: &'a [(String, Pools)],
}

impl Generator {
    pub(crate) fn new(seed: u64, anchor: DateTime<Utc>) -> Self {
        Generator {
            seed,
            anchor: anchor.timestamp(),
            earlier: Vec::new(),
        }
    }

    /// Generates `plan`'s repository.
    pub(crate) fn repo(&mut self, plan: &RepoPlan) -> SeedRepo {
        let start = self.anchor - SPAN_DAYS * DAY;
        let mut g = RepoGen {
            plan,
            rng: StdRng::seed_from_u64(self.seed ^ fnv(&plan.full_name)),
            anchor: self.anchor,
            labels: LabelSet::new(plan),
            milestones: Vec::new(),
            pools: Pools::default(),
            earlier: &self.earlier,
        };
        g.milestones = (0..4)
            .map(|k| {
                let due = start + (k + 1) * SPAN_DAYS * DAY / 4;
                let due_date = DateTime::<Utc>::from_timestamp(due, 0).unwrap_or_default();
                let quarter = (chrono::Datelike::month(&due_date) - 1) / 3 + 1;
                SeedMilestone {
                    title: format!(
                        "{} Q{quarter} reliability",
                        chrono::Datelike::year(&due_date)
                    ),
                    created: start,
                    due_on: due - due % DAY + 7 * 3600,
                }
            })
            .collect();
        let n = plan.issues;
        let span = (self.anchor - start) as f64;
        let mut issues = Vec::with_capacity(n);
        for i in 0..n {
            // One slot per issue keeps creation order equal to number order,
            // as on GitHub.
            let jitter: f64 = g.rng.random::<f64>() * 0.9;
            let created = start + ((i as f64 + jitter) * span / n as f64) as i64;
            let number = i as u64 + 1;
            let special = if plan.special {
                special_at(number)
            } else {
                None
            };
            let issue = match special {
                Some(s) => g.special(s, number, created),
                None => g.random_issue(number, created),
            };
            issues.push(issue);
        }
        let pools = g.pools.clone();
        let repo = SeedRepo {
            full_name: plan.full_name.clone(),
            description: format!(
                "The {} service of Acme.",
                plan.full_name.rsplit('/').next().unwrap_or("")
            ),
            created: start - 30 * DAY,
            labels: std::mem::take(&mut g.labels.labels),
            milestones: std::mem::take(&mut g.milestones),
            issues,
        };
        self.earlier.push((plan.full_name.clone(), pools));
        repo
    }
}

impl RepoGen<'_> {
    fn fill(&mut self, template: &str, svc: &str) -> String {
        let n = self.rng.random_range(3..90).to_string();
        let m = self.rng.random_range(90..200).to_string();
        let who = pick(&mut self.rng, &PEOPLE);
        template
            .replace("{svc}", svc)
            .replace("{n}", &n)
            .replace("{m}", &m)
            .replace("{who}", who)
    }

    fn service(&mut self) -> &'static str {
        pick(&mut self.rng, self.plan.services)
    }

    fn kind(&mut self) -> Kind {
        let r: f64 = self.rng.random();
        match r {
            r if r < 0.10 => Kind::Pull,
            // A registry of tens of risks, not hundreds: what a real
            // organisation of this size keeps.
            r if r < 0.12 => Kind::Risk,
            r if r < 0.205 => Kind::Incident,
            r if r < 0.425 => Kind::Action,
            _ => Kind::Chore,
        }
    }

    /// A reference to issue `n` of `repo` in one of the spellings people use.
    fn reference(&mut self, repo: &str, n: u64) -> String {
        let own = repo == self.plan.full_name;
        match self.rng.random_range(0..10) {
            0..=5 if own => format!("#{n}"),
            0..=7 => format!("{repo}#{n}"),
            _ => format!("https://github.com/{repo}/issues/{n}"),
        }
    }

    fn incident_ref(&mut self) -> (String, Option<u64>) {
        // Mostly a recent incident of this repository, sometimes one of an
        // earlier repository (cross-repository references).
        if !self.earlier.is_empty() && self.rng.random_bool(0.12) {
            let (repo, pools) = &self.earlier[self.rng.random_range(0..self.earlier.len())];
            if !pools.incidents.is_empty() {
                let (n, _) = pools.incidents[self.rng.random_range(0..pools.incidents.len())];
                let repo = repo.clone();
                return (self.reference(&repo, n), None);
            }
        }
        let len = self.pools.incidents.len();
        if len == 0 || self.rng.random_bool(0.1) {
            return (NO.to_string(), None);
        }
        let from = len.saturating_sub(12);
        let (n, risk) = self.pools.incidents[self.rng.random_range(from..len)];
        let repo = self.plan.full_name.clone();
        (self.reference(&repo, n), risk)
    }

    fn risk_ref(&mut self, hint: Option<u64>) -> String {
        let repo = self.plan.full_name.clone();
        if let Some(r) = hint.filter(|_| self.rng.random_bool(0.8)) {
            return self.reference(&repo, r);
        }
        if self.pools.risks.is_empty() || self.rng.random_bool(0.3) {
            return NO.to_string();
        }
        let r = pick(&mut self.rng, &self.pools.risks);
        self.reference(&repo, r)
    }

    fn random_issue(&mut self, number: u64, created: i64) -> SeedIssue {
        match self.kind() {
            Kind::Pull => self.pull(number, created),
            Kind::Risk => self.risk(number, created, None),
            Kind::Incident => self.incident(number, created),
            Kind::Action => self.action(created, None),
            Kind::Chore => self.chore(created),
        }
    }

    /// Close time, reason and closer, with `p` the chance of being closed.
    fn closing(&mut self, created: i64, p: f64, pull: bool) -> Option<SeedClose> {
        if !self.rng.random_bool(p.clamp(0.0, 1.0)) {
            return None;
        }
        let room = (self.anchor - created).max(60);
        let u: f64 = self.rng.random();
        let at = created + 60 + ((room - 60) as f64 * u * u) as i64;
        Some(self.close_at(at, pull))
    }

    /// A close at `at` (capped at the anchor) with a reason and a closer.
    fn close_at(&mut self, at: i64, pull: bool) -> SeedClose {
        let reason = if pull {
            None
        } else {
            let r: f64 = self.rng.random();
            Some(match r {
                r if r < 0.75 => "completed",
                r if r < 0.97 => "not_planned",
                // Enums grow: a value older clients do not know.
                _ => "duplicate",
            })
        };
        SeedClose {
            at: at.min(self.anchor),
            reason,
            by: pick(&mut self.rng, &PEOPLE),
        }
    }

    fn age(&self, created: i64) -> f64 {
        (self.anchor - created) as f64 / (SPAN_DAYS * DAY) as f64
    }

    /// Fills in times, comments, assignees and milestone around a body.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        title: String,
        body: String,
        labels: Vec<u32>,
        created: i64,
        closed: Option<SeedClose>,
        tracked: bool,
        pull_request: Option<SeedPr>,
    ) -> SeedIssue {
        let last_activity = closed.as_ref().map(|c| c.at).unwrap_or(self.anchor);
        let room = (last_activity - created).max(0);
        let u: f64 = self.rng.random();
        let mut updated = created + (room as f64 * u.sqrt()) as i64;
        if let Some(c) = &closed {
            updated = updated.max(c.at);
        }
        let updated = updated.min(self.anchor).max(created);
        let reopened = (closed.is_none()
            && pull_request.is_none()
            && updated - created > 2 * DAY
            && self.rng.random_bool(0.04))
        .then(|| SeedClose {
            at: created + (updated - created) / 2,
            reason: Some("completed"),
            by: pick(&mut self.rng, &PEOPLE),
        });
        let n_comments = if self.plan.lean {
            usize::from(self.rng.random_bool(0.1))
        } else if tracked {
            pick(&mut self.rng, &[0, 0, 1, 1, 2, 3, 4])
        } else {
            pick(&mut self.rng, &[0, 0, 0, 1, 2])
        };
        let comments = self.comments(n_comments, created, updated);
        let assignees = match self.rng.random_range(0..100) {
            x if x < if tracked { 45 } else { 20 } => vec![pick(&mut self.rng, &PEOPLE)],
            x if x < if tracked { 53 } else { 22 } => {
                let a = pick(&mut self.rng, &PEOPLE);
                let b = pick(&mut self.rng, &PEOPLE);
                if a == b {
                    vec![a]
                } else {
                    vec![a, b]
                }
            }
            _ => Vec::new(),
        };
        let milestone = if tracked && self.rng.random_bool(0.25) {
            self.milestones.iter().position(|m| m.due_on >= created)
        } else {
            None
        };
        let author = if pull_request.is_some() && self.rng.random_bool(0.3) {
            pick(&mut self.rng, &BOTS)
        } else {
            pick(&mut self.rng, &PEOPLE)
        };
        SeedIssue {
            title,
            body,
            labels,
            author,
            assignees,
            milestone,
            created,
            updated,
            closed,
            pull_request,
            comments,
            reopened,
        }
    }

    fn comments(&mut self, n: usize, created: i64, updated: i64) -> Vec<SeedComment> {
        let mut times: Vec<i64> = (0..n)
            .map(|_| created + self.rng.random_range(0..=(updated - created).max(0)))
            .collect();
        times.sort_unstable();
        times
            .into_iter()
            .map(|t| {
                let svc = self.service();
                let template = pick(&mut self.rng, &COMMENTS);
                SeedComment {
                    author: pick(&mut self.rng, &PEOPLE),
                    body: self.fill(template, svc),
                    created: t,
                }
            })
            .collect()
    }

    fn value_labels(&mut self, labels: &mut Vec<u32>, service: &str, p: f64) {
        if self.rng.random_bool(p) {
            let pr = pick(&mut self.rng, &PRIORITY_LABELS);
            labels.push(self.labels.id(&format!("priority:{pr}")));
        }
        if self.rng.random_bool(p * 0.8) {
            labels.push(self.labels.id(&format!("service:{service}")));
        }
        if self.rng.random_bool(p * 0.6) {
            let team = pick(&mut self.rng, self.plan.teams);
            labels.push(self.labels.id(&format!("team:{team}")));
        }
    }

    fn risk(&mut self, number: u64, created: i64, fixed: Option<Special>) -> SeedIssue {
        let svc = self.service();
        let template = pick(&mut self.rng, &RISKS);
        let mut title = capitalise(&self.fill(template, svc));
        let mut f = Form::new(700);
        if fixed == Some(Special::Emoji) {
            // Text before the first heading: free prose, not a form field.
            f.0.push_str(
                "Handoff notes written as \u{1f9d1}\u{200d}\u{1f4bb}\u{200b} are dropped by the pager bridge.\n\n",
            );
        }
        // Impact, scope, likelihood, TTD, TTR, users %, per year, days
        // between failures, SLO.
        let v: [String; 9] = match fixed {
            Some(Special::DailyRisk) => {
                title = DAILY_DEGRADATION_RISK_TITLE.to_string();
                ["2", "3", "5", "2", "8", "20", "365", "1", "99.9"].map(String::from)
            }
            Some(Special::OutageRisk) => {
                title = FULL_OUTAGE_RISK_TITLE.to_string();
                ["5", "5", "2", "30", "90", "100", "4", "91", "99.9"].map(String::from)
            }
            Some(Special::Emoji) => {
                title = HOSTILE_EMOJI_TITLE.to_string();
                ["3", "2", "4", "45", "30", "5", "6", "60", "99.9%"].map(String::from)
            }
            _ => {
                let n = RiskNumbers::draw(&mut self.rng);
                let impact = level_text(&mut self.rng, n.impact);
                let scope = level_text(&mut self.rng, n.scope);
                let likelihood = if self.rng.random_bool(0.03) {
                    "often".to_string()
                } else {
                    level_text(&mut self.rng, n.likelihood)
                };
                let d = n.ttd;
                let ttd = match self.rng.random_range(0..6) {
                    0 => format!("{d} min"),
                    1 if d >= 60 && d.is_multiple_of(60) => format!("{}h", d / 60),
                    _ => d.to_string(),
                };
                let r = n.ttr;
                let ttr = if self.rng.random_bool(0.15) {
                    format!("{r} minutes")
                } else {
                    r.to_string()
                };
                let users = percent_text(&mut self.rng, n.users_pct);
                let yearly = n.per_year;
                let days = if self.rng.random_bool(0.2) {
                    NO.to_string()
                } else {
                    (365 / yearly).to_string()
                };
                let slo = if self.rng.random_bool(0.1) {
                    NO.to_string()
                } else {
                    n.slo.to_string()
                };
                [
                    impact,
                    scope,
                    likelihood,
                    ttd,
                    ttr,
                    users,
                    yearly.to_string(),
                    days,
                    slo,
                ]
            }
        };
        let owner = match fixed {
            Some(Special::DailyRisk) => "@alice".to_string(),
            Some(Special::OutageRisk) => "@bob".to_string(),
            _ => owner_text(&mut self.rng),
        };
        let status = match fixed {
            Some(Special::DailyRisk) => "Open",
            Some(Special::OutageRisk) => "Accepted",
            _ => pick(&mut self.rng, &RISK_STATUSES),
        };
        let reviewed = created + self.rng.random_range(0..=(self.anchor - created).max(0));
        let reviewed = date(reviewed);
        let values = [
            v[0].as_str(),
            &v[1],
            &v[2],
            &v[3],
            &v[4],
            &v[5],
            &v[6],
            &v[7],
            &owner,
            status,
            &reviewed,
            &v[8],
        ];
        for (h, v) in RISK_HEADINGS.iter().zip(values) {
            f.field(h, v);
        }
        let mut labels = vec![self.labels.id(RISK_LABEL)];
        let svc_label = match fixed {
            Some(Special::DailyRisk) => "checkout",
            Some(Special::OutageRisk) => "payments-api",
            _ => svc,
        };
        if fixed.is_some() {
            labels.push(self.labels.id(&format!("service:{svc_label}")));
        } else {
            self.value_labels(&mut labels, svc_label, 0.5);
            if self.rng.random_bool(0.03) {
                labels.push(self.labels.id(INCIDENT_LABEL));
            }
        }
        let closed = if fixed.is_some() {
            None
        } else {
            let p = 0.1 + 0.2 * self.age(created);
            self.closing(created, p, false)
        };
        self.pools.risks.push(number);
        self.finish(title, f.0, labels, created, closed, true, None)
    }

    fn incident(&mut self, number: u64, created: i64) -> SeedIssue {
        self.incident_with(number, created, None)
    }

    fn incident_with(&mut self, number: u64, created: i64, title: Option<&str>) -> SeedIssue {
        // In the contrast repository many incidents repeat the two contrast
        // failure modes, spread over the whole span. The outage's incidents
        // name their risk (a few a year: each occurrence is a ticket). Of
        // the daily degradation's, one in three names it: nobody files a
        // ticket for every daily slowdown, so its tickets are a lower bound
        // and scoring keeps its stated 365 a year (rate_rule
        // at_least_stated) while they can only raise it.
        let repeat = if self.plan.special {
            match self.rng.random_range(0..100) {
                0..=29 => Some((DAILY_DEGRADATION_RISK_NUMBER, "checkout")),
                30..=32 => Some((FULL_OUTAGE_RISK_NUMBER, "payments-api")),
                _ => None,
            }
        } else {
            None
        };
        let (risk, svc) = match repeat {
            Some((DAILY_DEGRADATION_RISK_NUMBER, s)) => (
                (DAILY_DEGRADATION_RISK_NUMBER < number && self.rng.random_bool(1.0 / 3.0))
                    .then_some(DAILY_DEGRADATION_RISK_NUMBER),
                s,
            ),
            Some((r, s)) if r < number => (Some(r), s),
            _ => {
                let svc = self.service();
                // Other incidents name some other risk: the contrast pair's
                // tickets are only the ones above.
                let others: Vec<u64> = self
                    .pools
                    .risks
                    .iter()
                    .copied()
                    .filter(|r| {
                        !self.plan.special
                            || (*r != DAILY_DEGRADATION_RISK_NUMBER
                                && *r != FULL_OUTAGE_RISK_NUMBER)
                    })
                    .collect();
                let risk = (!others.is_empty() && self.rng.random_bool(0.6))
                    .then(|| pick(&mut self.rng, &others));
                (risk, svc)
            }
        };
        let template = pick(&mut self.rng, &INCIDENTS);
        let title = match title {
            Some(t) => t.to_string(),
            None => capitalise(&self.fill(template, svc)),
        };
        let started = created - self.rng.random_range(10..600) * 60;
        let ttr = pick(&mut self.rng, &[8, 20, 45, 90, 180, 400]) * 60;
        let closed = self.closing(
            created,
            if self.anchor - created > 14 * DAY {
                0.9
            } else {
                0.4
            },
            false,
        );
        let resolved = if closed.is_none() && self.rng.random_bool(0.3) {
            NO.to_string()
        } else {
            timestamp_text(&mut self.rng, started + ttr)
        };
        let mut f = Form::new(400);
        let started_text = timestamp_text(&mut self.rng, started);
        let severity = pick(&mut self.rng, &SEVERITIES);
        let repo = self.plan.full_name.clone();
        let risk_text = match risk {
            Some(r) => self.reference(&repo, r),
            None => NO.to_string(),
        };
        let users = pick(&mut self.rng, &[1, 5, 10, 20, 35, 60, 100]);
        let users = if self.rng.random_bool(0.1) {
            NO.to_string()
        } else {
            percent_text(&mut self.rng, users)
        };
        let values = [
            started_text.as_str(),
            resolved.as_str(),
            severity,
            svc,
            risk_text.as_str(),
            users.as_str(),
        ];
        for (h, v) in INCIDENT_HEADINGS.iter().zip(values) {
            f.field(h, v);
        }
        let mut labels = vec![self.labels.id(INCIDENT_LABEL)];
        self.value_labels(&mut labels, svc, 0.4);
        if self.rng.random_bool(0.04) {
            labels.push(self.labels.id(ACTION_ITEM_LABEL));
        }
        self.pools.incidents.push((number, risk));
        self.finish(title, f.0, labels, created, closed, true, None)
    }

    fn action(&mut self, created: i64, special: Option<Special>) -> SeedIssue {
        let svc = match special {
            Some(_) => "checkout",
            None => self.service(),
        };
        let (kind, template) = pick(&mut self.rng, &ACTIONS);
        let mut title = capitalise(&self.fill(template, svc));
        let (incident, risk_hint) = self.incident_ref();
        let risk = self.risk_ref(risk_hint);
        let type_text = match self.rng.random_range(0..4) {
            0 => capitalise(kind),
            1 => NO.to_string(),
            _ => kind.to_string(),
        };
        let service_text = if self.rng.random_bool(0.15) { NO } else { svc };
        let team = pick(&mut self.rng, self.plan.teams);
        let mut owner = owner_text(&mut self.rng);
        let priority = if self.rng.random_bool(0.1) {
            NO
        } else {
            pick(&mut self.rng, &PRIORITIES)
        };
        let due = created + self.rng.random_range(14..180) * DAY;
        let target = match self.rng.random_range(0..100) {
            0..=2 => "next quarter".to_string(),
            3..=10 => NO.to_string(),
            _ => date(due),
        };
        let rationale = pick(&mut self.rng, &RATIONALES);
        let outcome = pick(&mut self.rng, &OUTCOMES).to_string();
        let closed = action_close_time(&mut self.rng, created, due, self.anchor, DAY)
            .map(|at| self.close_at(at, false));
        let mut evidence = match &closed {
            Some(c) if c.reason == Some("completed") => format!(
                "Merged in #{}; verified in staging on {}.",
                self.rng.random_range(1..400),
                date(c.at)
            ),
            _ => NO.to_string(),
        };
        let blocked = match self.rng.random_range(0..10) {
            0 => format!("#{}", self.rng.random_range(1..200)),
            1 => "Waiting on the vendor's new API".to_string(),
            _ => NO.to_string(),
        };
        let effort = pick(&mut self.rng, &EFFORTS);
        let theme = pick(&mut self.rng, &THEMES);
        let mut outcome_text = outcome;
        match special {
            Some(Special::Sql) => {
                title = HOSTILE_SQL_TITLE.to_string();
                outcome_text = format!("Exports survive notes like {HOSTILE_SQL} unharmed.");
            }
            Some(Special::Control) => {
                title = HOSTILE_CONTROL_TITLE.to_string();
                owner = "@carol\u{1}\u{1b}[31m".to_string();
            }
            Some(Special::BigBody) => {
                title = BIG_BODY_TITLE.to_string();
                evidence = big_log(self.plan.big_body);
            }
            Some(Special::ManyComments) => title = MANY_COMMENTS_TITLE.to_string(),
            _ => {}
        }
        let values = [
            incident.as_str(),
            risk.as_str(),
            type_text.as_str(),
            service_text,
            team,
            owner.as_str(),
            priority,
            target.as_str(),
            rationale,
            outcome_text.as_str(),
            evidence.as_str(),
            blocked.as_str(),
            effort,
            theme,
        ];
        let mut f = Form::new(900 + evidence.len());
        for (h, v) in ACTION_ITEM_HEADINGS.iter().zip(values) {
            f.field(h, v);
        }
        let mut labels = vec![self.labels.id(ACTION_ITEM_LABEL)];
        self.value_labels(&mut labels, svc, 0.5);
        if self.rng.random_bool(0.2) {
            let t = pick(&mut self.rng, &TYPE_LABELS);
            labels.push(self.labels.id(&format!("type:{t}")));
        }
        if self.rng.random_bool(0.1) {
            labels.push(self.labels.id("bug"));
        }
        if special.is_none() && self.rng.random_bool(0.03) {
            labels.push(self.labels.id(RISK_LABEL));
        }
        let mut issue = self.finish(title, f.0, labels, created, closed, true, None);
        if special == Some(Special::ManyComments) {
            let end = issue.updated.max(created + MANY_COMMENTS as i64 * 60);
            issue.comments = self.comments(MANY_COMMENTS, created, end);
            issue.updated = end.min(self.anchor).max(issue.updated);
            if let Some(last) = issue.comments.last() {
                issue.updated = issue.updated.max(last.created);
            }
        }
        issue
    }

    fn chore(&mut self, created: i64) -> SeedIssue {
        let svc = self.service();
        let template = pick(&mut self.rng, &CHORES);
        let title = self.fill(template, svc);
        let body = match self.rng.random_range(0..4) {
            0 => String::new(),
            1 => format!("Seen on {svc} in production.\n\nSteps to reproduce:\n1. Deploy\n2. Watch the logs\n"),
            2 => format!("It would help if {svc} did this.\r\n\r\nThanks!"),
            _ => format!("See the discussion in #{}.", self.rng.random_range(1..300)),
        };
        let mut labels = Vec::new();
        if self.rng.random_bool(0.4) {
            let l = pick(&mut self.rng, &NOISE_LABELS);
            labels.push(self.labels.id(l));
        }
        if self.rng.random_bool(0.1) {
            labels.push(self.labels.id("help wanted"));
        }
        let p = 0.1 + 0.5 * self.age(created);
        let closed = self.closing(created, p, false);
        self.finish(title, body, labels, created, closed, false, None)
    }

    fn pull(&mut self, _number: u64, created: i64) -> SeedIssue {
        let svc = self.service();
        let template = pick(&mut self.rng, &PULLS);
        let title = self.fill(template, svc);
        let body = format!(
            "Fixes #{}.\n\n- [x] tests\n- [ ] docs\n",
            self.rng.random_range(1..300)
        );
        let mut labels = Vec::new();
        match self.rng.random_range(0..100) {
            0..=11 => labels.push(self.labels.id(ACTION_ITEM_LABEL)),
            12..=14 => labels.push(self.labels.id(INCIDENT_LABEL)),
            15..=40 => {
                let l = pick(&mut self.rng, &NOISE_LABELS);
                labels.push(self.labels.id(l));
            }
            _ => {}
        }
        let p = if self.anchor - created > 7 * DAY {
            0.85
        } else {
            0.3
        };
        let closed = self.closing(created, p, true);
        let merged_at = closed
            .as_ref()
            .filter(|_| self.rng.random_bool(0.8))
            .map(|c| c.at);
        let draft = closed.is_none() && self.rng.random_bool(0.2);
        self.finish(
            title,
            body,
            labels,
            created,
            closed,
            false,
            Some(SeedPr { draft, merged_at }),
        )
    }

    fn special(&mut self, s: Special, number: u64, created: i64) -> SeedIssue {
        match s {
            Special::DailyRisk | Special::OutageRisk | Special::Emoji => {
                self.risk(number, created, Some(s))
            }
            Special::Rtl => self.incident_with(number, created, Some(HOSTILE_RTL_TITLE)),
            Special::Sql | Special::Control | Special::BigBody | Special::ManyComments => {
                self.action(created, Some(s))
            }
        }
    }
}

/// A pasted log of at least `bytes` bytes inside a code fence.
pub(crate) fn big_log(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 256);
    s.push_str("Log excerpt from the flood:\n\n```text\n");
    let mut i = 0u64;
    while s.len() < bytes {
        let _ = writeln!(
            s,
            "2025-01-0{}T03:{:02}:{:02}Z WARN checkout-worker request_id={:016x} retry=3 latency_ms={}",
            1 + i % 9,
            (i / 60) % 60,
            i % 60,
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            100 + i % 900
        );
        i += 1;
    }
    s.push_str("```");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn generate(scale: Scale, seed: u64) -> Vec<SeedRepo> {
        let mut g = Generator::new(seed, anchor());
        plans(scale).iter().map(|p| g.repo(p)).collect()
    }

    #[test]
    fn timestamps_lie_in_the_span_before_the_anchor_and_follow_numbers() {
        let a = anchor().timestamp();
        for repo in generate(Scale::Small, 1) {
            let mut last = i64::MIN;
            for i in &repo.issues {
                assert!(i.created >= a - SPAN_DAYS * DAY && i.created <= a);
                assert!(i.created <= i.updated && i.updated <= a, "{}", i.title);
                assert!(i.created > last, "creation order follows numbers");
                last = i.created;
                if let Some(c) = &i.closed {
                    assert!(c.at <= i.updated);
                }
                for c in &i.comments {
                    assert!(c.created >= i.created && c.created <= i.updated);
                }
            }
        }
    }

    #[test]
    fn mix_of_kinds_is_roughly_as_documented() {
        let repos = generate(Scale::Demo, 42);
        let total: usize = repos.iter().map(|r| r.issues.len()).sum();
        assert_eq!(total, 3000);
        let (mut pulls, mut tracked, mut two) = (0, 0, 0);
        for r in &repos {
            let tracked_ids: Vec<u32> = TRACKED_LABELS
                .iter()
                .map(|t| r.labels.iter().position(|l| l.name == *t).unwrap() as u32)
                .collect();
            for i in &r.issues {
                pulls += usize::from(i.pull_request.is_some());
                let n = i.labels.iter().filter(|l| tracked_ids.contains(l)).count();
                tracked += usize::from(n > 0);
                two += usize::from(n > 1);
            }
        }
        let share = |x: usize| x as f64 / total as f64;
        assert!((0.07..0.13).contains(&share(pulls)), "pulls {pulls}");
        assert!((0.30..0.40).contains(&share(tracked)), "tracked {tracked}");
        assert!(two > 10, "two tracked labels: {two}");
    }

    #[test]
    fn contrast_risks_and_hostile_texts_are_in_payments() {
        let repos = generate(Scale::Small, 9);
        let p = &repos[0];
        assert_eq!(p.full_name, CONTRAST_REPO);
        let daily = &p.issues[DAILY_DEGRADATION_RISK_NUMBER as usize - 1];
        assert_eq!(daily.title, DAILY_DEGRADATION_RISK_TITLE);
        assert!(daily.closed.is_none());
        assert!(daily.body.contains("### Time to detect (minutes)\n\n2\n\n"));
        assert!(daily.body.contains("### Occurrences per year\n\n365\n\n"));
        let outage = &p.issues[FULL_OUTAGE_RISK_NUMBER as usize - 1];
        assert_eq!(outage.title, FULL_OUTAGE_RISK_TITLE);
        assert!(outage.body.contains("### Users affected (%)\n\n100\n\n"));
        let titles: Vec<&str> = p.issues.iter().map(|i| i.title.as_str()).collect();
        for t in [
            HOSTILE_SQL_TITLE,
            HOSTILE_CONTROL_TITLE,
            HOSTILE_RTL_TITLE,
            HOSTILE_EMOJI_TITLE,
        ] {
            assert!(titles.contains(&t), "{t:?}");
        }
        let big = p.issues.iter().find(|i| i.title == BIG_BODY_TITLE).unwrap();
        assert!(big.body.len() >= BIG_BODY_BYTES_SMALL);
        let many = p
            .issues
            .iter()
            .find(|i| i.title == MANY_COMMENTS_TITLE)
            .unwrap();
        assert_eq!(many.comments.len(), MANY_COMMENTS);
        let repeats = p
            .issues
            .iter()
            .filter(|i| {
                i.body
                    .contains(&format!("### Risk\n\n#{FULL_OUTAGE_RISK_NUMBER}\n"))
            })
            .count();
        assert!(
            repeats >= 2,
            "repeat incidents of the outage risk: {repeats}"
        );
    }

    #[test]
    fn bodies_have_every_heading_of_their_form() {
        let repos = generate(Scale::Small, 3);
        let mut seen = 0;
        for r in &repos {
            let action = r
                .labels
                .iter()
                .position(|l| l.name == ACTION_ITEM_LABEL)
                .unwrap() as u32;
            for i in r
                .issues
                .iter()
                .filter(|i| i.pull_request.is_none() && i.labels.first() == Some(&action))
            {
                for h in ACTION_ITEM_HEADINGS {
                    assert!(
                        i.body.contains(&format!("### {h}\n\n")),
                        "{h} in {}",
                        i.title
                    );
                }
                seen += 1;
            }
        }
        assert!(seen > 50);
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let titles = |seed| {
            generate(Scale::Small, seed)
                .into_iter()
                .flat_map(|r| r.issues.into_iter().map(|i| (i.title, i.body, i.updated)))
                .collect::<Vec<_>>()
        };
        assert_eq!(titles(5), titles(5));
        assert_ne!(titles(5), titles(6));
    }

    #[test]
    fn bench_spreads_issues_over_ten_repos() {
        let p = plans(Scale::Bench { issues: 1005 });
        assert_eq!(p.len(), BENCH_REPO_COUNT);
        assert_eq!(p.iter().map(|p| p.issues).sum::<usize>(), 1005);
        assert_eq!(repos(Scale::Bench { issues: 10 }), bench_repos());
        assert!(plans(Scale::Empty).iter().all(|p| p.issues == 0));
    }
}
