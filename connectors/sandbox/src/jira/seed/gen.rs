//! The state of generating one project ([`Gen`]) and what every kind of
//! issue shares: people, services, filled-in templates, closing, and the
//! times, histories (status, resolution, labels), comments, assignee and
//! rank around a prepared issue.

use chrono::{DateTime, NaiveDate};
use rand::rngs::StdRng;
use rand::Rng;

use super::super::adf;
use super::super::catalog::{
    self, cf_index, STATUSES, ST_BLOCKED, ST_PROGRESS, ST_REVIEW, ST_TODO,
};
use super::super::state::{CfVal, ChangeItem, Comment, History, Issue, World};
use super::plan::Plan;
use super::{DAY_MS, JIRA_SPAN_DAYS, MIN_MS};
use crate::seed as gh;

/// State while generating one project.
pub(super) struct Gen<'a> {
    pub(super) plan: &'a Plan,
    pub(super) rng: StdRng,
    pub(super) anchor: i64,
    pub(super) people: &'a [u32],
    /// Live risks so far (issue indexes).
    pub(super) risks: Vec<u32>,
    /// Live incidents so far, with the risk each one links to.
    pub(super) incidents: Vec<(u32, Option<u32>)>,
    /// The two contrast risks, once generated.
    pub(super) contrast: [Option<u32>; 2],
}

/// How an issue ends up closed.
pub(super) struct Close {
    pub(super) at: i64,
    pub(super) status: u8,
    pub(super) resolution: &'static str,
}

/// Links to make once the issue has an index.
#[derive(Default)]
pub(super) struct Refs {
    /// This incident "is caused by" the risk.
    pub(super) caused_by_risk: Option<u32>,
    /// This action item "is caused by" (true) or "relates to" (false) the
    /// incident.
    pub(super) incident: Option<(u32, bool)>,
    /// This action item "relates to" the risk.
    pub(super) risk: Option<u32>,
}

pub(super) fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

pub(super) fn date_of(ms: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(ms)
        .map(|d| d.date_naive())
        .unwrap_or_default()
}

/// Sets select field `field` to `value` (registering the option).
pub(super) fn select(w: &mut World, issue: &mut Issue, field: &str, value: &str) {
    if let Some(ix) = cf_index(field) {
        w.option_id(ix, value);
        issue.set_cf(ix, Some(CfVal::Select(value.to_string())));
    }
}

/// Sets custom field `field`.
pub(super) fn set(issue: &mut Issue, field: &str, v: CfVal) {
    if let Some(ix) = cf_index(field) {
        issue.set_cf(ix, Some(v));
    }
}

impl Gen<'_> {
    pub(super) fn person(&mut self) -> u32 {
        pick(&mut self.rng, self.people)
    }

    pub(super) fn service(&mut self) -> &'static str {
        pick(&mut self.rng, self.plan.services)
    }

    pub(super) fn fill(&mut self, template: &str, svc: &str) -> String {
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

    /// Closing of an issue created at `created`, with probability `p`.
    pub(super) fn closing(
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
    pub(super) fn close_at(
        &mut self,
        at: i64,
        status: u8,
        resolutions: &[(&'static str, f64)],
    ) -> Close {
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

    pub(super) fn age(&self, created: i64) -> f64 {
        (self.anchor - created) as f64 / (JIRA_SPAN_DAYS * DAY_MS) as f64
    }

    /// Times, histories, comments and assignee around a prepared issue.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish(
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
        if tracked {
            histories.extend(self.slips_and_raises(w, issue, work));
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
                        Some(catalog::resolution_id(c.resolution)),
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

    pub(super) fn comments(&mut self, w: &mut World, n: usize, from: i64, to: i64) -> Vec<Comment> {
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

    pub(super) fn created_ms(&mut self, created: i64) -> i64 {
        created - created % 1000 + self.rng.random_range(0..1000)
    }
}

impl Gen<'_> {
    /// Eighteen months of edits besides status: a target date that slipped
    /// (once or twice, each time later) and a priority raised, in
    /// changelog entries as the site writes them. The issue keeps its
    /// current values; the entries say what they were before. Drawn from a
    /// generator of the issue's own, so every other seeded fact stays.
    fn slips_and_raises(&mut self, w: &mut World, issue: &mut Issue, work: i64) -> Vec<History> {
        use rand::SeedableRng;
        let mut r = StdRng::seed_from_u64(
            (issue.created as u64).wrapping_mul(0xA24B_AED4_963E_E407) ^ 0x51_1B,
        );
        let mut out = Vec::new();
        let created = issue.created;
        if work < 4 * DAY_MS {
            return out;
        }
        let target_ix = cf_index("Target date");
        if let Some(CfVal::Date(current)) = target_ix.and_then(|ix| issue.cf(ix)).cloned() {
            if r.random_bool(0.3) {
                let moves = if r.random_bool(0.4) { 2 } else { 1 };
                // Earlier targets, each 2–6 weeks before the next; moved at
                // even steps through the work.
                let mut dates = vec![current];
                for _ in 0..moves {
                    let prev = *dates.last().expect("one date");
                    dates.push(prev - chrono::Days::new(r.random_range(14..=42)));
                }
                dates.reverse();
                // A first target before the item existed is no slip.
                let born = DateTime::from_timestamp_millis(created).map(|t| t.date_naive());
                if born.is_some_and(|b| dates[0] <= b) {
                    return out;
                }
                let (num, name, _) = catalog::CUSTOM_FIELDS[target_ix.expect("matched") as usize];
                for k in 0..moves {
                    let at = created + work * (k as i64 + 1) / (moves as i64 + 2);
                    let f = |d: NaiveDate| Some(d.format("%Y-%m-%d").to_string());
                    out.push(w.new_history(
                        pick(&mut r, self.people),
                        at,
                        vec![ChangeItem {
                            field: name.to_string(),
                            fieldtype: "custom",
                            field_id: Some(format!("customfield_{num}")),
                            from: None,
                            from_string: f(dates[k]),
                            to: None,
                            to_string: f(dates[k + 1]),
                        }],
                    ));
                }
            }
        }
        let p = issue.priority as usize;
        if p + 1 < catalog::PRIORITIES.len() && r.random_bool(0.15) {
            let at = created + r.random_range(DAY_MS..work);
            out.push(w.new_history(
                pick(&mut r, self.people),
                at,
                vec![ChangeItem::priority(p as u8 + 1, p as u8)],
            ));
        }
        out
    }
}
