//! The generated Jira site: which projects exist at each
//! [`Scale`], and how their issues look. A pure function of
//! the seed, the anchor and the scale.
//!
//! What the data looks like (counts are not facts: take them from
//! [`JiraHandle::tracked_keys`](super::JiraHandle::tracked_keys)):
//! - issue types Task, Bug, Story, Incident and Risk; about a third of the
//!   issues are tracked: action items carry the label `postmortem` (type
//!   Task, Story or Bug); incidents are type Incident and/or carry the label
//!   `incident`; risks are type Risk and/or carry the label `risk`; the rest
//!   are chores with noise labels (some near misses such as
//!   `post-mortem-review`) or none;
//! - custom fields named like recur's headings (see
//!   [`custom_fields`](super::custom_fields)), set by kind and
//!   sometimes left empty (`null`); about one action item in eight is vague
//!   (a summary like "Improve monitoring", no description, no fields);
//! - links: incidents "is caused by" risks, action items "is caused by" or
//!   "relates to" incidents and "relate to" risks; in `OPS` (Small and Demo)
//!   repeat incidents of the two contrast risks
//!   ([`DAILY_DEGRADATION_RISK_KEY`](super::DAILY_DEGRADATION_RISK_KEY),
//!   [`FULL_OUTAGE_RISK_KEY`](super::FULL_OUTAGE_RISK_KEY)), and risks that
//!   stagnate (touched once, days after creation, long ago);
//! - histories (status, resolution and label changes) consistent with each
//!   issue's state, and comments as ADF;
//! - issues numbered `n` with `n % 100 == 13` were deleted (404, never in a
//!   search), as gaps in keys are in any real project;
//! - in `OPS` at Small and Demo, hostile texts at fixed keys (see the
//!   `*_KEY` constants of [`super`]).

use chrono::{DateTime, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::adf;
use super::catalog::{
    cf_index, L_CAUSES, L_RELATES, STATUSES, ST_BLOCKED, ST_CLOSED, ST_DONE, ST_PROGRESS,
    ST_REVIEW, ST_TODO, T_BUG, T_INCIDENT, T_RISK, T_STORY, T_TASK,
};
use super::state::{fnv, CfVal, ChangeItem, Issue, World};
use crate::seed as gh;
use crate::Scale;

/// Seeded timestamps lie within this many days before the anchor.
pub const JIRA_SPAN_DAYS: i64 = 730;
/// Issues of project `OPS` at [`Scale::Small`].
pub const SMALL_ISSUES: usize = 300;
/// Issues of project `OPS` at [`Scale::Demo`].
pub const DEMO_ISSUES: usize = 1500;

const DAY_MS: i64 = 86_400_000;
const MIN_MS: i64 = 60_000;

struct Plan {
    key: &'static str,
    name: &'static str,
    issues: usize,
    services: &'static [&'static str],
    teams: &'static [&'static str],
    special: bool,
    lean: bool,
    big: usize,
}

const OPS_SERVICES: [&str; 10] = [
    "checkout",
    "payments-api",
    "ledger",
    "billing",
    "kubernetes",
    "dns",
    "ingress",
    "auth-gateway",
    "backup-agent",
    "search",
];
const PAY_SERVICES: [&str; 4] = ["checkout", "payments-api", "ledger", "billing"];
const TEAMS: [&str; 5] = ["payments", "platform", "sre", "storage", "web"];

/// The projects of `scale`: `OPS` (and `PAY` at Bench), with issue counts.
#[cfg(test)]
fn projects(scale: Scale) -> Vec<(&'static str, usize)> {
    plans(scale).iter().map(|p| (p.key, p.issues)).collect()
}

fn plans(scale: Scale) -> Vec<Plan> {
    let ops = |issues, special, lean, big| Plan {
        key: "OPS",
        name: "Operations",
        issues,
        services: &OPS_SERVICES,
        teams: &TEAMS,
        special,
        lean,
        big,
    };
    match scale {
        Scale::Empty => vec![ops(0, false, false, 0)],
        Scale::Small => vec![ops(SMALL_ISSUES, true, false, gh::BIG_BODY_BYTES_SMALL)],
        Scale::Demo => vec![ops(DEMO_ISSUES, true, false, gh::BIG_BODY_BYTES_DEMO)],
        Scale::Bench { issues } => {
            let n = issues / 2;
            vec![
                ops(n - n / 2, false, true, 0),
                Plan {
                    key: "PAY",
                    name: "Payments",
                    issues: n / 2,
                    services: &PAY_SERVICES,
                    teams: &TEAMS[..2],
                    special: false,
                    lean: true,
                    big: 0,
                },
            ]
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Action,
    Incident,
    Risk,
    Chore,
}

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

fn special_at(n: u64) -> Option<Special> {
    Some(match n {
        3 => Special::DailyRisk,
        7 => Special::OutageRisk,
        21 => Special::Sql,
        22 => Special::Control,
        23 => Special::Rtl,
        24 => Special::Emoji,
        25 => Special::BigBody,
        26 => Special::ManyComments,
        _ => return None,
    })
}

/// Comments on the many-comments issue.
pub const MANY_COMMENTS: usize = 45;
/// Histories of the many-comments issue (more than the 40 that
/// `expand=changelog` embeds).
pub const MANY_HISTORIES: usize = 55;

const VAGUE: [&str; 8] = [
    "Improve monitoring",
    "Look into {svc} flakiness",
    "Follow up on the incident",
    "Make {svc} more reliable",
    "Fix alerts",
    "Investigate",
    "Better runbooks",
    "TBD from postmortem",
];
const NOISE_LABELS: [&str; 8] = [
    "frontend",
    "backend",
    "tech-debt",
    "customer-reported",
    "needs-triage",
    "flaky-test",
    "post-mortem-review",
    "incident-review",
];
const EFFORTS: [&str; 7] = ["S", "M", "L", "XL", "2d", "1 sprint", "3 points"];
const THEMES: [&str; 5] = [
    "observability",
    "resilience",
    "capacity",
    "process",
    "security",
];
const LEVELS: [&str; 5] = [
    "1 - Very low",
    "2 - Low",
    "3 - Medium",
    "4 - High",
    "5 - Very high",
];
const SEVERITIES: [&str; 4] = ["SEV1", "SEV2", "SEV3", "SEV4"];
/// Generates every project of `scale` into `w`.
pub(crate) fn generate(w: &mut World, seed: u64, anchor: DateTime<Utc>, scale: Scale) {
    let people: Vec<u32> = gh::PEOPLE.iter().map(|p| w.user(p)).collect();
    for plan in plans(scale) {
        let p = w.add_project(plan.key, plan.name);
        let mut g = Gen {
            plan: &plan,
            rng: StdRng::seed_from_u64(seed ^ fnv(&format!("jira/{}", plan.key))),
            anchor: anchor.timestamp_millis(),
            people: &people,
            risks: Vec::new(),
            incidents: Vec::new(),
            contrast: [None, None],
        };
        g.project(w, p);
    }
}

struct Gen<'a> {
    plan: &'a Plan,
    rng: StdRng,
    anchor: i64,
    people: &'a [u32],
    /// Live risks so far (issue indexes).
    risks: Vec<u32>,
    /// Live incidents so far, with the risk each one links to.
    incidents: Vec<(u32, Option<u32>)>,
    /// The two contrast risks, once generated.
    contrast: [Option<u32>; 2],
}

/// How an issue ends up closed.
struct Close {
    at: i64,
    status: u8,
    resolution: &'static str,
}

/// Links to make once the issue has an index.
#[derive(Default)]
struct Refs {
    /// This incident "is caused by" the risk.
    caused_by_risk: Option<u32>,
    /// This action item "is caused by" (true) or "relates to" (false) the
    /// incident.
    incident: Option<(u32, bool)>,
    /// This action item "relates to" the risk.
    risk: Option<u32>,
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn date_of(ms: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(ms)
        .map(|d| d.date_naive())
        .unwrap_or_default()
}

fn select(w: &mut World, issue: &mut Issue, field: &str, value: &str) {
    if let Some(ix) = cf_index(field) {
        w.option_id(ix, value);
        issue.set_cf(ix, Some(CfVal::Select(value.to_string())));
    }
}

fn set(issue: &mut Issue, field: &str, v: CfVal) {
    if let Some(ix) = cf_index(field) {
        issue.set_cf(ix, Some(v));
    }
}

impl Gen<'_> {
    fn person(&mut self) -> u32 {
        pick(&mut self.rng, self.people)
    }

    fn service(&mut self) -> &'static str {
        pick(&mut self.rng, self.plan.services)
    }

    fn fill(&mut self, template: &str, svc: &str) -> String {
        let n = self.rng.random_range(3..90).to_string();
        let who = gh::PEOPLE[self.rng.random_range(0..gh::PEOPLE.len())];
        let mut s = template
            .replace("{svc}", svc)
            .replace("{n}", &n)
            .replace("{who}", who);
        if let Some(f) = s.get(..1) {
            let upper = f.to_uppercase();
            s.replace_range(..1, &upper);
        }
        s
    }

    fn project(&mut self, w: &mut World, p: u32) {
        let n = self.plan.issues;
        let start = self.anchor - JIRA_SPAN_DAYS * DAY_MS;
        let span = (self.anchor - start) as f64;
        for i in 0..n {
            let number = i as u64 + 1;
            let jitter: f64 = self.rng.random::<f64>() * 0.9;
            let created = start + ((i as f64 + jitter) * span / n as f64) as i64;
            let special = if self.plan.special {
                special_at(number)
            } else {
                None
            };
            let kind = match special {
                Some(Special::DailyRisk | Special::OutageRisk | Special::Emoji) => Kind::Risk,
                Some(Special::Rtl) => Kind::Incident,
                Some(_) => Kind::Action,
                None => {
                    let r: f64 = self.rng.random();
                    match r {
                        // Tens of risks, as a real registry keeps.
                        r if r < 0.025 => Kind::Risk,
                        r if r < 0.13 => Kind::Incident,
                        r if r < 0.33 => Kind::Action,
                        _ => Kind::Chore,
                    }
                }
            };
            let (issue, refs) = match kind {
                Kind::Action => self.action(w, created, special),
                Kind::Incident => self.incident(w, created, special),
                Kind::Risk => self.risk(w, created, special),
                Kind::Chore => self.chore(w, created),
            };
            let ix = w.push_issue(p, issue);
            if let Some(r) = refs.caused_by_risk {
                w.link(L_CAUSES, r, ix);
            }
            if let Some((inc, caused)) = refs.incident {
                if caused {
                    w.link(L_CAUSES, inc, ix);
                } else {
                    w.link(L_RELATES, ix, inc);
                }
            }
            if let Some(r) = refs.risk {
                w.link(L_RELATES, ix, r);
            }
            if special.is_none() && number % 100 == 13 {
                w.delete(ix);
                continue;
            }
            match kind {
                Kind::Risk => {
                    self.risks.push(ix);
                    match special {
                        Some(Special::DailyRisk) => self.contrast[0] = Some(ix),
                        Some(Special::OutageRisk) => self.contrast[1] = Some(ix),
                        _ => {}
                    }
                }
                Kind::Incident => self.incidents.push((ix, refs.caused_by_risk)),
                _ => {}
            }
        }
    }

    /// Closing of an issue created at `created`, with probability `p`.
    fn closing(
        &mut self,
        created: i64,
        p: f64,
        status: u8,
        resolutions: &[(&'static str, f64)],
    ) -> Option<Close> {
        if !self.rng.random_bool(p.clamp(0.0, 1.0)) {
            return None;
        }
        let room = (self.anchor - created).max(MIN_MS);
        let u: f64 = self.rng.random();
        let at = created + MIN_MS + ((room - MIN_MS) as f64 * u * u) as i64;
        Some(self.close_at(at, status, resolutions))
    }

    /// A close at `at` (capped at the anchor) into `status` with a
    /// resolution drawn from `resolutions`.
    fn close_at(&mut self, at: i64, status: u8, resolutions: &[(&'static str, f64)]) -> Close {
        let at = at.min(self.anchor);
        let r: f64 = self.rng.random();
        let mut acc = 0.0;
        let mut resolution = resolutions[0].0;
        for (name, share) in resolutions {
            acc += share;
            if r < acc {
                resolution = name;
                break;
            }
        }
        Close {
            at,
            status,
            resolution,
        }
    }

    fn age(&self, created: i64) -> f64 {
        (self.anchor - created) as f64 / (JIRA_SPAN_DAYS * DAY_MS) as f64
    }

    /// Times, histories, comments and assignee around a prepared issue.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        w: &mut World,
        issue: &mut Issue,
        close: Option<Close>,
        open_status: u8,
        tracked: bool,
        stagnant: bool,
        label_added_later: Option<&str>,
    ) {
        let created = issue.created;
        let last = close.as_ref().map_or(self.anchor, |c| c.at);
        let room = (last - created).max(0);
        let u: f64 = self.rng.random();
        let mut updated = if stagnant {
            created + self.rng.random_range(DAY_MS..5 * DAY_MS)
        } else {
            created + (room as f64 * u.sqrt()) as i64
        };
        if let Some(c) = &close {
            updated = updated.max(c.at);
        }
        let updated = updated.min(self.anchor).max(created);
        let span = updated - created;
        // Work happens before the close; comments may come after it.
        let work = close.as_ref().map_or(updated, |c| c.at) - created;
        let at = |f: f64| created + (work as f64 * f) as i64;
        let author = self.person();
        let mut histories = Vec::new();
        if let Some(label) = label_added_later.filter(|_| span > 2 * MIN_MS) {
            let before: Vec<&String> = issue.labels.iter().filter(|l| *l != label).collect();
            let before = before
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            histories.push(w.new_history(
                author,
                created + self.rng.random_range(MIN_MS..(span / 4).max(2 * MIN_MS)),
                vec![ChangeItem::jira(
                    "labels",
                    None,
                    Some(before),
                    None,
                    Some(issue.labels.join(" ")),
                )],
            ));
        }
        let status_item = |a: u8, b: u8| {
            let (x, y) = (&STATUSES[a as usize], &STATUSES[b as usize]);
            ChangeItem::jira(
                "status",
                Some(x.id.into()),
                Some(x.name.into()),
                Some(y.id.into()),
                Some(y.name.into()),
            )
        };
        let final_open = if close.is_some() {
            ST_PROGRESS
        } else {
            open_status
        };
        let mut status = ST_TODO;
        let mut cat_changed = created;
        if final_open != ST_TODO && work > 4 * MIN_MS {
            let t = at(0.3);
            histories.push(w.new_history(
                self.person(),
                t,
                vec![status_item(ST_TODO, ST_PROGRESS)],
            ));
            status = ST_PROGRESS;
            cat_changed = t;
            if matches!(final_open, ST_REVIEW | ST_BLOCKED) {
                histories.push(w.new_history(
                    self.person(),
                    at(0.6),
                    vec![status_item(ST_PROGRESS, final_open)],
                ));
                status = final_open;
            }
        } else if final_open != ST_TODO {
            status = final_open;
        }
        if let Some(c) = &close {
            histories.push(w.new_history(
                self.person(),
                c.at,
                vec![
                    status_item(status, c.status),
                    ChangeItem::jira(
                        "resolution",
                        None,
                        None,
                        Some(super::catalog::resolution_id(c.resolution)),
                        Some(c.resolution.to_string()),
                    ),
                ],
            ));
            status = c.status;
            cat_changed = c.at;
            issue.resolution = Some(c.resolution.to_string());
            issue.resolved = Some(c.at);
        }
        histories.sort_by_key(|h| h.created);
        issue.histories = histories;
        issue.status = status;
        issue.status_changed = cat_changed;
        issue.updated = updated;
        let n_comments = if self.plan.lean {
            usize::from(self.rng.random_bool(0.1))
        } else if stagnant {
            0
        } else if tracked {
            pick(&mut self.rng, &[0, 0, 1, 1, 2, 3, 4])
        } else {
            pick(&mut self.rng, &[0, 0, 0, 1, 2])
        };
        issue.comments = self.comments(w, n_comments, created, updated);
        let assigned = self.rng.random_range(0..100) < if tracked { 55 } else { 25 };
        if assigned {
            issue.assignee = Some(self.person());
        }
        if !self.plan.lean {
            set(
                issue,
                "Rank",
                CfVal::Text(format!("0|i{:05x}:", issue.created / 1000 % 0xfffff)),
            );
        }
    }

    fn comments(
        &mut self,
        w: &mut World,
        n: usize,
        from: i64,
        to: i64,
    ) -> Vec<super::state::Comment> {
        let mut times: Vec<i64> = (0..n)
            .map(|_| from + self.rng.random_range(0..=(to - from).max(0)))
            .collect();
        times.sort_unstable();
        times
            .into_iter()
            .map(|t| {
                let svc = self.service();
                let template = pick(&mut self.rng, &gh::COMMENTS);
                let text = self.fill(template, svc);
                let author = self.person();
                w.new_comment(author, adf::from_text(&text), t)
            })
            .collect()
    }

    fn created_ms(&mut self, created: i64) -> i64 {
        created - created % 1000 + self.rng.random_range(0..1000)
    }

    // --- kinds ------------------------------------------------------------

    fn action(&mut self, w: &mut World, created: i64, special: Option<Special>) -> (Issue, Refs) {
        let created = self.created_ms(created);
        let svc = if special.is_some() {
            "checkout"
        } else {
            self.service()
        };
        let vague = special.is_none() && self.rng.random_bool(0.12);
        let mut summary = if vague {
            let t = pick(&mut self.rng, &VAGUE);
            self.fill(t, svc)
        } else {
            let (_, t) = pick(&mut self.rng, &gh::ACTIONS);
            self.fill(t, svc)
        };
        match special {
            Some(Special::Sql) => summary = gh::HOSTILE_SQL_TITLE.to_string(),
            Some(Special::Control) => summary = gh::HOSTILE_CONTROL_TITLE.to_string(),
            Some(Special::BigBody) => summary = gh::BIG_BODY_TITLE.to_string(),
            Some(Special::ManyComments) => summary = gh::MANY_COMMENTS_TITLE.to_string(),
            _ => {}
        }
        let itype = match self.rng.random_range(0..100) {
            0..=59 => T_TASK,
            60..=84 => T_STORY,
            _ => T_BUG,
        };
        let reporter = self.person();
        let mut issue = w.blank_issue(
            &summary,
            if vague { T_TASK } else { itype },
            reporter,
            created,
        );
        issue.labels = vec![gh::ACTION_ITEM_LABEL.to_string()];
        if self.rng.random_bool(0.15) {
            issue
                .labels
                .push(pick(&mut self.rng, &NOISE_LABELS[..4]).to_string());
        }
        issue.labels.sort();
        issue.priority = pick(&mut self.rng, &[1, 2, 2, 2, 3, 0]);
        let mut refs = Refs::default();
        if !self.incidents.is_empty() && self.rng.random_bool(0.7) {
            let from = self.incidents.len().saturating_sub(12);
            let (inc, risk) = self.incidents[self.rng.random_range(from..self.incidents.len())];
            refs.incident = Some((inc, self.rng.random_bool(0.6)));
            if let Some(r) = risk.filter(|_| self.rng.random_bool(0.5)) {
                refs.risk = Some(r);
            }
        }
        if refs.risk.is_none() && !self.risks.is_empty() && self.rng.random_bool(0.25) {
            refs.risk = Some(pick(&mut self.rng, &self.risks));
        }
        let due = created + self.rng.random_range(14..180) * DAY_MS;
        let close =
            gh::action_close_time(&mut self.rng, created, due, self.anchor, DAY_MS).map(|at| {
                self.close_at(
                    at,
                    ST_DONE,
                    &[("Done", 0.85), ("Won't Do", 0.12), ("Duplicate", 0.03)],
                )
            });
        let open_status = pick(
            &mut self.rng,
            &[
                ST_TODO,
                ST_TODO,
                ST_TODO,
                ST_PROGRESS,
                ST_PROGRESS,
                ST_REVIEW,
                ST_BLOCKED,
            ],
        );
        if !vague {
            let rationale = pick(&mut self.rng, &gh::RATIONALES);
            let outcome = pick(&mut self.rng, &gh::OUTCOMES);
            let mut content = vec![adf::para(vec![adf::text_node(rationale)])];
            if !self.plan.lean && self.rng.random_bool(0.5) {
                content.push(adf::bullets(&[
                    outcome.to_string(),
                    format!("Verify on {svc} in staging"),
                ]));
            }
            if !self.plan.lean && self.rng.random_bool(0.3) {
                content.push(adf::para(vec![
                    adf::text_node("See "),
                    adf::marked(
                        "the runbook",
                        json!([{"type": "link", "attrs": {"href": format!("https://runbooks.acme.example/{svc}")}}]),
                    ),
                    adf::text_node(" and the "),
                    adf::marked("retry_budget", json!([{"type": "code"}])),
                    adf::text_node(" setting."),
                ]));
            }
            if special == Some(Special::BigBody) {
                content.push(json!({
                    "type": "codeBlock",
                    "attrs": {"language": "text"},
                    "content": [adf::text_node(&gh::big_log(self.plan.big))]
                }));
            }
            if special == Some(Special::Sql) {
                content.push(adf::para(vec![adf::text_node(&format!(
                    "Exports must survive notes like {} unharmed.",
                    gh::HOSTILE_SQL
                ))]));
            }
            issue.description = Some(adf::doc(content));
            if self.rng.random_bool(0.85) {
                select(w, &mut issue, "Service", svc);
            }
            if self.rng.random_bool(0.8) {
                let team = pick(&mut self.rng, self.plan.teams);
                select(w, &mut issue, "Team", team);
            }
            if self.rng.random_bool(0.7) {
                let owner = self.person();
                set(&mut issue, "Owner", CfVal::User(owner));
            }
            if self.rng.random_bool(0.85) {
                let target = date_of(due);
                set(&mut issue, "Target date", CfVal::Date(target));
                if self.rng.random_bool(0.4) {
                    issue.duedate = Some(target);
                }
            }
            if self.rng.random_bool(0.7) {
                set(
                    &mut issue,
                    "Risk rationale",
                    CfVal::Adf(adf::from_text(rationale)),
                );
            }
            if self.rng.random_bool(0.7) {
                set(
                    &mut issue,
                    "Expected outcome",
                    CfVal::Adf(adf::from_text(outcome)),
                );
            }
            if let Some(c) = close.as_ref().filter(|c| c.resolution == "Done") {
                let text = format!(
                    "Merged in PR #{}; verified in staging on {}.",
                    self.rng.random_range(1..400),
                    date_of(c.at).format("%Y-%m-%d")
                );
                set(
                    &mut issue,
                    "Evidence of completion",
                    CfVal::Adf(adf::from_text(&text)),
                );
            }
            if self.rng.random_bool(0.1) {
                let text = if self.rng.random_bool(0.5) {
                    format!("{}-{}", self.plan.key, self.rng.random_range(1..200))
                } else {
                    "Waiting on the vendor's new API".to_string()
                };
                set(&mut issue, "Blocked by", CfVal::Text(text));
            }
            if self.rng.random_bool(0.75) {
                let e = pick(&mut self.rng, &EFFORTS);
                set(&mut issue, "Effort", CfVal::Text(e.to_string()));
            }
            if self.rng.random_bool(0.6) {
                let t = pick(&mut self.rng, &THEMES);
                select(w, &mut issue, "Theme", t);
            }
            if self.rng.random_bool(0.3) {
                let sp = pick(&mut self.rng, &[1.0, 2.0, 3.0, 5.0, 8.0]);
                set(&mut issue, "Story point estimate", CfVal::Number(sp));
            }
        }
        let later = self.rng.random_bool(0.2).then_some(gh::ACTION_ITEM_LABEL);
        self.finish(w, &mut issue, close, open_status, true, false, later);
        if special == Some(Special::ManyComments) {
            self.many(w, &mut issue);
        }
        (issue, refs)
    }

    /// [`MANY_COMMENTS`] comments and [`MANY_HISTORIES`] histories.
    fn many(&mut self, w: &mut World, issue: &mut Issue) {
        let created = issue.created;
        let end = issue
            .updated
            .max(created + (MANY_HISTORIES as i64 + 1) * 10 * MIN_MS)
            .min(self.anchor);
        issue.comments = self.comments(w, MANY_COMMENTS, created, end);
        let extra = MANY_HISTORIES.saturating_sub(issue.histories.len());
        let step = ((end - created) / (extra as i64 + 1)).max(1);
        for k in 0..extra {
            let t = created + step * (k as i64 + 1);
            let (from, to) = if k % 2 == 0 {
                ("postmortem", "needs-review postmortem")
            } else {
                ("needs-review postmortem", "postmortem")
            };
            let h = w.new_history(
                self.person(),
                t,
                vec![ChangeItem::jira(
                    "labels",
                    None,
                    Some(from.into()),
                    None,
                    Some(to.into()),
                )],
            );
            issue.histories.push(h);
        }
        issue.histories.sort_by_key(|h| h.created);
        issue.updated = issue
            .updated
            .max(end)
            .max(issue.histories.last().map_or(0, |h| h.created))
            .max(issue.comments.last().map_or(0, |c| c.created));
    }

    fn incident(&mut self, w: &mut World, created: i64, special: Option<Special>) -> (Issue, Refs) {
        let created = self.created_ms(created);
        let svc = self.service();
        let mut refs = Refs::default();
        let contrast = if self.plan.special && self.rng.random_bool(0.3) {
            let which = self.rng.random_range(0..2);
            self.contrast[which].map(|r| (which, r))
        } else {
            None
        };
        let summary = match (special, contrast) {
            (Some(Special::Rtl), _) => gh::HOSTILE_RTL_TITLE.to_string(),
            (_, Some((0, _))) => "Checkout latency above SLO during the batch window".to_string(),
            (_, Some(_)) => "Payments outage during a database failover".to_string(),
            _ => {
                let t = pick(&mut self.rng, &gh::INCIDENTS);
                self.fill(t, svc)
            }
        };
        refs.caused_by_risk = match contrast {
            Some((_, r)) => Some(r),
            None if !self.risks.is_empty() && self.rng.random_bool(0.5) => {
                Some(pick(&mut self.rng, &self.risks))
            }
            None => None,
        };
        let (itype, labels): (u8, &[&str]) = match self.rng.random_range(0..100) {
            0..=44 => (T_INCIDENT, &[]),
            45..=69 => (T_INCIDENT, &[gh::INCIDENT_LABEL]),
            70..=89 => (T_TASK, &[gh::INCIDENT_LABEL]),
            _ => (T_BUG, &[gh::INCIDENT_LABEL]),
        };
        let reporter = self.person();
        let mut issue = w.blank_issue(&summary, itype, reporter, created);
        issue.labels = labels.iter().map(|s| s.to_string()).collect();
        if self.rng.random_bool(0.04) {
            issue.labels.push(gh::ACTION_ITEM_LABEL.to_string());
        }
        issue.labels.sort();
        let sev = self.rng.random_range(0..SEVERITIES.len());
        issue.priority = [0u8, 1, 2, 3][sev];
        select(w, &mut issue, "Severity", SEVERITIES[sev]);
        if self.rng.random_bool(0.9) {
            select(w, &mut issue, "Service", svc);
        }
        let started = created - self.rng.random_range(5..120) * MIN_MS;
        set(
            &mut issue,
            "Started at",
            CfVal::DateTime(started - started % MIN_MS),
        );
        let ttd = pick(&mut self.rng, &[2.0, 5.0, 10.0, 15.0, 30.0, 60.0]);
        let ttr = pick(&mut self.rng, &[8.0, 15.0, 30.0, 60.0, 90.0, 240.0]);
        if self.rng.random_bool(0.8) {
            set(&mut issue, "Time to detect (minutes)", CfVal::Number(ttd));
            set(&mut issue, "Time to repair (minutes)", CfVal::Number(ttr));
        }
        if self.rng.random_bool(0.9) {
            let users = pick(&mut self.rng, &[1.0, 5.0, 10.0, 20.0, 35.0, 60.0, 100.0]);
            set(&mut issue, "Users affected (%)", CfVal::Number(users));
        }
        let p = if self.anchor - created > 14 * DAY_MS {
            0.9
        } else {
            0.4
        };
        let status = pick(&mut self.rng, &[ST_DONE, ST_CLOSED]);
        let close = self.closing(created, p, status, &[("Done", 1.0)]);
        if close.is_some() {
            let resolved = started + (ttd + ttr) as i64 * MIN_MS;
            set(
                &mut issue,
                "Resolved at",
                CfVal::DateTime(resolved - resolved % MIN_MS),
            );
        }
        let t = |ms: i64| {
            DateTime::from_timestamp_millis(ms)
                .map(|d| d.format("%H:%M UTC").to_string())
                .unwrap_or_default()
        };
        let mut content = vec![
            json!({"type": "heading", "attrs": {"level": 3}, "content": [adf::text_node("Timeline")]}),
            adf::bullets(&[
                format!("{} {svc} degraded", t(started)),
                format!("{} detected by an alert", t(started + ttd as i64 * MIN_MS)),
                format!("{} mitigated", t(started + (ttd + ttr) as i64 * MIN_MS)),
            ]),
        ];
        if !self.plan.lean {
            content.push(adf::para(vec![
                adf::marked("Impact: ", json!([{"type": "strong"}])),
                adf::text_node(&format!("customers could not use {svc}.")),
            ]));
        }
        issue.description = Some(adf::doc(content));
        let later = (labels.contains(&gh::INCIDENT_LABEL) && self.rng.random_bool(0.2))
            .then_some(gh::INCIDENT_LABEL);
        self.finish(w, &mut issue, close, ST_PROGRESS, true, false, later);
        (issue, refs)
    }

    fn risk(&mut self, w: &mut World, created: i64, special: Option<Special>) -> (Issue, Refs) {
        let created = self.created_ms(created);
        let svc = match special {
            Some(Special::DailyRisk) => "checkout",
            Some(Special::OutageRisk) => "payments-api",
            _ => self.service(),
        };
        let summary = match special {
            Some(Special::DailyRisk) => gh::DAILY_DEGRADATION_RISK_TITLE.to_string(),
            Some(Special::OutageRisk) => gh::FULL_OUTAGE_RISK_TITLE.to_string(),
            Some(Special::Emoji) => gh::HOSTILE_EMOJI_TITLE.to_string(),
            _ => {
                let t = pick(&mut self.rng, &gh::RISKS);
                self.fill(t, svc)
            }
        };
        let (itype, labels): (u8, &[&str]) = match special {
            Some(Special::DailyRisk) => (T_RISK, &[gh::RISK_LABEL]),
            Some(Special::OutageRisk) => (T_RISK, &[]),
            _ => match self.rng.random_range(0..100) {
                0..=44 => (T_RISK, &[]),
                45..=69 => (T_RISK, &[gh::RISK_LABEL]),
                70..=89 => (T_TASK, &[gh::RISK_LABEL]),
                _ => (T_STORY, &[gh::RISK_LABEL]),
            },
        };
        let reporter = self.person();
        let mut issue = w.blank_issue(&summary, itype, reporter, created);
        issue.labels = labels.iter().map(|s| s.to_string()).collect();
        // (impact, scope, likelihood, ttd, ttr, users, per year, days, slo)
        let v: (usize, usize, usize, f64, f64, f64, f64, Option<f64>, &str) = match special {
            Some(Special::DailyRisk) => (2, 3, 5, 2.0, 8.0, 20.0, 365.0, Some(1.0), "99.9"),
            Some(Special::OutageRisk) => (5, 5, 2, 30.0, 90.0, 100.0, 4.0, Some(91.0), "99.9"),
            Some(Special::Emoji) => (3, 2, 4, 45.0, 30.0, 5.0, 6.0, Some(60.0), "99.9%"),
            _ => {
                let n = gh::RiskNumbers::draw(&mut self.rng);
                let yearly = f64::from(n.per_year);
                (
                    n.impact as usize,
                    n.scope as usize,
                    n.likelihood as usize,
                    f64::from(n.ttd),
                    f64::from(n.ttr),
                    f64::from(n.users_pct),
                    yearly,
                    self.rng.random_bool(0.8).then(|| (365.0 / yearly).floor()),
                    n.slo,
                )
            }
        };
        let fixed = special.is_some();
        let keep = |g: &mut Self| fixed || g.rng.random_bool(0.9);
        if keep(self) {
            select(w, &mut issue, "Impact", LEVELS[v.0 - 1]);
        }
        if keep(self) {
            select(w, &mut issue, "Scope", LEVELS[v.1 - 1]);
        }
        if keep(self) {
            select(w, &mut issue, "Likelihood", LEVELS[v.2 - 1]);
        }
        if keep(self) {
            set(&mut issue, "Time to detect (minutes)", CfVal::Number(v.3));
        }
        if keep(self) {
            set(&mut issue, "Time to repair (minutes)", CfVal::Number(v.4));
        }
        if keep(self) {
            set(&mut issue, "Users affected (%)", CfVal::Number(v.5));
        }
        if keep(self) {
            set(&mut issue, "Occurrences per year", CfVal::Number(v.6));
        }
        if let Some(days) = v.7 {
            set(&mut issue, "Days between failures", CfVal::Number(days));
        }
        if keep(self) {
            set(&mut issue, "SLO", CfVal::Text(v.8.to_string()));
        }
        select(w, &mut issue, "Service", svc);
        let owner = match special {
            Some(Special::DailyRisk) => Some(self.people[0]),
            Some(Special::OutageRisk) => Some(self.people[1]),
            _ => self.rng.random_bool(0.8).then(|| self.person()),
        };
        if let Some(o) = owner {
            set(&mut issue, "Owner", CfVal::User(o));
        }
        let stagnant = !fixed && self.rng.random_bool(0.4);
        let reviewed = if stagnant {
            created + DAY_MS
        } else {
            created + self.rng.random_range(0..=(self.anchor - created).max(0))
        };
        set(&mut issue, "Last reviewed", CfVal::Date(date_of(reviewed)));
        issue.description = Some(if special == Some(Special::Emoji) {
            rich_document()
        } else {
            adf::doc(vec![adf::para(vec![adf::text_node(&format!(
                "If this happens, {svc} degrades for about {} minutes and {}% of users notice.",
                v.3 + v.4,
                v.5
            ))])])
        });
        let close = if fixed || stagnant {
            None
        } else {
            self.closing(created, 0.2, ST_DONE, &[("Done", 0.5), ("Won't Do", 0.5)])
        };
        let open = if stagnant || fixed {
            ST_TODO
        } else {
            pick(&mut self.rng, &[ST_TODO, ST_TODO, ST_PROGRESS])
        };
        self.finish(w, &mut issue, close, open, true, stagnant, None);
        (issue, Refs::default())
    }

    fn chore(&mut self, w: &mut World, created: i64) -> (Issue, Refs) {
        let created = self.created_ms(created);
        let svc = self.service();
        let t = pick(&mut self.rng, &gh::CHORES);
        let summary = self.fill(t, svc);
        let itype = match self.rng.random_range(0..100) {
            0..=44 => T_TASK,
            45..=79 => T_BUG,
            _ => T_STORY,
        };
        let reporter = self.person();
        let mut issue = w.blank_issue(&summary, itype, reporter, created);
        if self.rng.random_bool(0.5) {
            issue
                .labels
                .push(pick(&mut self.rng, &NOISE_LABELS).to_string());
        }
        if self.rng.random_bool(0.1) {
            issue
                .labels
                .push(pick(&mut self.rng, &NOISE_LABELS).to_string());
        }
        issue.labels.sort();
        issue.labels.dedup();
        issue.priority = pick(&mut self.rng, &[2, 2, 2, 3, 4, 1]);
        if self.rng.random_bool(0.8) {
            let text = match self.rng.random_range(0..3) {
                0 => format!("Seen on {svc} in production.\n\nSteps to reproduce:\n1. Deploy\n2. Watch the logs"),
                1 => format!("It would help if {svc} did this."),
                _ => format!("See the discussion in {}-{}.", self.plan.key, self.rng.random_range(1..300)),
            };
            issue.description = Some(adf::from_text(&text));
        }
        let p = 0.1 + 0.5 * self.age(created);
        let close = self.closing(
            created,
            p,
            ST_DONE,
            &[("Done", 0.8), ("Won't Do", 0.1), ("Cannot Reproduce", 0.1)],
        );
        let open = pick(&mut self.rng, &[ST_TODO, ST_TODO, ST_PROGRESS]);
        self.finish(w, &mut issue, close, open, false, false, None);
        (issue, Refs::default())
    }
}

/// The description of the emoji risk: every node and mark recur's ADF
/// renderer must handle.
fn rich_document() -> Value {
    json!({
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "What goes wrong \u{1f525}"}]},
            {"type": "paragraph", "content": [
                {"type": "text", "text": "Handoff notes written as "},
                {"type": "emoji", "attrs": {"shortName": ":technologist:", "id": "1f9d1-200d-1f4bb", "text": "\u{1f9d1}\u{200d}\u{1f4bb}"}},
                {"type": "text", "text": " are "},
                {"type": "text", "text": "dropped", "marks": [{"type": "strong"}]},
                {"type": "text", "text": " by the "},
                {"type": "text", "text": "pager bridge", "marks": [{"type": "em"}, {"type": "underline"}]},
                {"type": "text", "text": "; see "},
                {"type": "text", "text": "the bridge docs", "marks": [{"type": "link", "attrs": {"href": "https://docs.acme.example/pager-bridge"}}]},
                {"type": "text", "text": " and "},
                {"type": "text", "text": "strip_zwj()", "marks": [{"type": "code"}]},
                {"type": "text", "text": ". "},
                {"type": "text", "text": "Old workaround", "marks": [{"type": "strike"}]},
                {"type": "hardBreak"},
                {"type": "mention", "attrs": {"id": "712020:alice", "text": "@Alice", "accessLevel": ""}},
                {"type": "text", "text": " owns the fix."}
            ]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Pages lost: 3 in May"}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Zero-width joiner: a\u{200d}b"}]}]}
            ]},
            {"type": "orderedList", "attrs": {"order": 1}, "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Normalise the text"}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Retry the page"}]}]}
            ]},
            {"type": "panel", "attrs": {"panelType": "warning"}, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "Happens only on the night shift."}]}
            ]},
            {"type": "codeBlock", "attrs": {"language": "rust"}, "content": [{"type": "text", "text": "let s = s.replace('\\u{200d}', \"\");"}]},
            {"type": "table", "attrs": {"isNumberColumnEnabled": false, "layout": "default"}, "content": [
                {"type": "tableRow", "content": [
                    {"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Shift"}]}]},
                    {"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Lost pages"}]}]}
                ]},
                {"type": "tableRow", "content": [
                    {"type": "tableCell", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "night"}]}]},
                    {"type": "tableCell", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "3"}]}]}
                ]}
            ]},
            {"type": "blockquote", "content": [{"type": "paragraph", "content": [
                {"type": "inlineCard", "attrs": {"url": "https://status.acme.example/incidents/42"}}
            ]}]},
            {"type": "rule"}
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn world(scale: Scale, seed: u64) -> World {
        let mut w = World::new();
        generate(&mut w, seed, anchor(), scale);
        w
    }

    #[test]
    fn times_are_consistent_and_before_the_anchor() {
        let w = world(Scale::Small, 1);
        let a = anchor().timestamp_millis();
        let start = a - JIRA_SPAN_DAYS * DAY_MS;
        for (n, i) in w.issues.iter().enumerate() {
            assert!(
                i.created >= start && i.created <= i.updated && i.updated <= a,
                "#{n}"
            );
            for h in &i.histories {
                assert!(
                    h.created >= i.created && h.created <= i.updated,
                    "#{n} history"
                );
            }
            for c in &i.comments {
                assert!(
                    c.created >= i.created && c.created <= i.updated,
                    "#{n} comment"
                );
            }
            if let Some(r) = i.resolved {
                assert!(r <= i.updated);
                assert!(i.resolution.is_some());
            }
            assert_eq!(
                i.resolution.is_some(),
                i.cat() == super::super::catalog::Cat::Done,
                "#{n}"
            );
        }
    }

    #[test]
    fn a_third_is_tracked_and_every_kind_is_there() {
        let w = world(Scale::Demo, 42);
        let live: Vec<&Issue> = w.issues.iter().filter(|i| !i.deleted).collect();
        assert!(live.len() > 1400, "{}", live.len());
        let tracked = live
            .iter()
            .filter(|i| {
                i.labels
                    .iter()
                    .any(|l| gh::TRACKED_LABELS.contains(&l.as_str()))
                    || matches!(i.itype, T_INCIDENT | T_RISK)
            })
            .count();
        let share = tracked as f64 / live.len() as f64;
        assert!((0.28..0.42).contains(&share), "tracked share {share}");
        assert!(live
            .iter()
            .any(|i| i.itype == T_INCIDENT && i.labels.is_empty()));
        assert!(live
            .iter()
            .any(|i| i.itype == T_TASK && i.has_label("risk")));
        assert!(live.iter().any(|i| i.histories.len() > 40));
        assert!(!w.links.is_empty());
    }

    #[test]
    fn bench_splits_half_the_issues_over_two_projects() {
        assert_eq!(
            projects(Scale::Bench { issues: 1001 }),
            vec![("OPS", 250), ("PAY", 250)]
        );
        assert_eq!(projects(Scale::Small), vec![("OPS", SMALL_ISSUES)]);
        assert_eq!(projects(Scale::Empty), vec![("OPS", 0)]);
    }
}
