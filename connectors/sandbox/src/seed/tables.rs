//! The text the generated issues are made of: title templates per kind
//! (`{svc}`, `{n}`, `{m}` and `{who}` are filled in), comments, rationales
//! and outcomes, and the spellings people use for form values. The Jira
//! generator draws from the same tables.

use super::NO;

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

pub(super) const TYPE_LABELS: [&str; 6] = [
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

pub(super) const PULLS: [&str; 6] = [
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

pub(super) const THEMES: [&str; 6] = [
    "observability",
    "resilience",
    "capacity",
    "process",
    "security",
    "Resilience",
];
pub(super) const EFFORTS: [&str; 8] = ["S", "M", "L", "XL", "2d", "1 sprint", "3 points", NO];
pub(super) const SEVERITIES: [&str; 7] = ["SEV1", "SEV2", "SEV3", "SEV4", "sev2", "Sev 3", "SEV-2"];
pub(super) const RISK_STATUSES: [&str; 6] = [
    "Open",
    "Accepted",
    "Mitigating",
    "In-Review",
    "Mitigated",
    "open",
];
pub(super) const PRIORITIES: [&str; 9] = [
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
pub(super) const PRIORITY_LABELS: [&str; 4] = ["critical", "high", "medium", "low"];
