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
//!
//! Modules: `plan` (projects per scale), `texts` (Jira-only text), `gen`
//! (generating one project: closing, histories, comments), `kinds` (each
//! kind of issue), and this file (the site, project by project).

mod gen;
mod kinds;
mod plan;
mod texts;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::catalog::{L_CAUSES, L_RELATES};
use super::state::{fnv, World};
use crate::seed as gh;
use crate::Scale;
use gen::Gen;
use kinds::{special_at, Kind, Special};
use plan::plans;

/// Seeded timestamps lie within this many days before the anchor.
pub const JIRA_SPAN_DAYS: i64 = 730;
/// Issues of project `OPS` at [`Scale::Small`].
pub const SMALL_ISSUES: usize = 300;
/// Issues of project `OPS` at [`Scale::Demo`].
pub const DEMO_ISSUES: usize = 1500;

const DAY_MS: i64 = 86_400_000;
const MIN_MS: i64 = 60_000;
/// Comments on the many-comments issue.
pub const MANY_COMMENTS: usize = 45;
/// Histories of the many-comments issue (more than the 40 that
/// `expand=changelog` embeds).
pub const MANY_HISTORIES: usize = 55;

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

impl Gen<'_> {
    /// Generates the issues of project `p`, linking and deleting as it goes.
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
}

#[cfg(test)]
mod tests {
    use super::super::catalog::{T_INCIDENT, T_RISK, T_TASK};
    use super::super::state::Issue;
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
}
