//! The state of generating one repository ([`RepoGen`]) and what every
//! kind of issue shares: filling title templates, references to earlier
//! issues (`#12`, `acme/payments#12`, a URL), closing, the times,
//! comments, assignees and milestone around a body, issue-form bodies and
//! the repository's labels.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::Rng;

use super::draw::pick;
use super::plan::RepoPlan;
use super::records::{SeedClose, SeedComment, SeedIssue, SeedLabel, SeedMilestone, SeedPr};
use super::tables::{COMMENTS, PRIORITY_LABELS, TYPE_LABELS};
use super::{ACTION_ITEM_LABEL, BOTS, DAY, INCIDENT_LABEL, NO, PEOPLE, RISK_LABEL, SPAN_DAYS};

/// Issue numbers seen so far in one repository, for references.
#[derive(Default, Clone)]
pub(super) struct Pools {
    pub(super) risks: Vec<u64>,
    /// (number, the risk it references).
    pub(super) incidents: Vec<(u64, Option<u64>)>,
}

/// An issue-form body under construction.
pub(super) struct Form(pub String);

impl Form {
    pub(super) fn new(capacity: usize) -> Self {
        Form(String::with_capacity(capacity))
    }

    pub(super) fn field(&mut self, heading: &str, value: &str) {
        self.0.push_str("### ");
        self.0.push_str(heading);
        self.0.push_str("\n\n");
        self.0.push_str(if value.is_empty() { NO } else { value });
        self.0.push_str("\n\n");
    }
}

/// Labels of one repository being generated.
pub(super) struct LabelSet {
    pub(super) labels: Vec<SeedLabel>,
    pub(super) index: HashMap<String, u32>,
}

impl LabelSet {
    pub(super) fn new(plan: &RepoPlan) -> Self {
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

    pub(super) fn id(&self, name: &str) -> u32 {
        // Every name asked for is registered in `new`.
        self.index.get(name).copied().unwrap_or(0)
    }
}

/// State while generating one repository.
pub(super) struct RepoGen<'a> {
    pub(super) plan: &'a RepoPlan,
    pub(super) rng: StdRng,
    pub(super) anchor: i64,
    pub(super) labels: LabelSet,
    pub(super) milestones: Vec<SeedMilestone>,
    pub(super) pools: Pools,
    pub(super) earlier: &'a [(String, Pools)],
}

impl RepoGen<'_> {
    pub(super) fn fill(&mut self, template: &str, svc: &str) -> String {
        let n = self.rng.random_range(3..90).to_string();
        let m = self.rng.random_range(90..200).to_string();
        let who = pick(&mut self.rng, &PEOPLE);
        template
            .replace("{svc}", svc)
            .replace("{n}", &n)
            .replace("{m}", &m)
            .replace("{who}", who)
    }

    pub(super) fn service(&mut self) -> &'static str {
        pick(&mut self.rng, self.plan.services)
    }

    /// A reference to issue `n` of `repo` in one of the spellings people use.
    pub(super) fn reference(&mut self, repo: &str, n: u64) -> String {
        let own = repo == self.plan.full_name;
        match self.rng.random_range(0..10) {
            0..=5 if own => format!("#{n}"),
            0..=7 => format!("{repo}#{n}"),
            _ => format!("https://github.com/{repo}/issues/{n}"),
        }
    }

    pub(super) fn incident_ref(&mut self) -> (String, Option<u64>) {
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

    pub(super) fn risk_ref(&mut self, hint: Option<u64>) -> String {
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

    /// Close time, reason and closer, with `p` the chance of being closed.
    pub(super) fn closing(&mut self, created: i64, p: f64, pull: bool) -> Option<SeedClose> {
        if !self.rng.random_bool(p.clamp(0.0, 1.0)) {
            return None;
        }
        let room = (self.anchor - created).max(60);
        let u: f64 = self.rng.random();
        let at = created + 60 + ((room - 60) as f64 * u * u) as i64;
        Some(self.close_at(at, pull))
    }

    /// A close at `at` (capped at the anchor) with a reason and a closer.
    pub(super) fn close_at(&mut self, at: i64, pull: bool) -> SeedClose {
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

    pub(super) fn age(&self, created: i64) -> f64 {
        (self.anchor - created) as f64 / (SPAN_DAYS * DAY) as f64
    }

    /// Fills in times, comments, assignees and milestone around a body.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish(
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
        // Drawn from a generator of the issue's own, so the main sequence
        // (and every other fact of the seeded organisation) stays as it was.
        let labelled_later = {
            use rand::SeedableRng;
            let mut r = StdRng::seed_from_u64((created as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let room = (updated - created).min(45 * DAY);
            (tracked
                && pull_request.is_none()
                && labels.len() >= 2
                && room > DAY
                && r.random_bool(0.2))
            .then(|| {
                (
                    labels[r.random_range(0..labels.len())],
                    r.random_range(DAY..=room),
                )
            })
        };
        // Eighteen months of edits besides: priorities raised and targets
        // slipped, from a generator of the issue's own as above.
        let (priority_raised, milestone_moved) = {
            use rand::SeedableRng;
            let mut r = StdRng::seed_from_u64(
                (created as u64).wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0x5EED,
            );
            let room = (updated - created).min(120 * DAY);
            let raised =
                (tracked && pull_request.is_none() && room > 2 * DAY && r.random_bool(0.15))
                    .then(|| {
                        // The current priority, if any, and one below it.
                        let rank = PRIORITY_LABELS.iter().position(|p| {
                            labels.contains(&self.labels.id(&format!("priority:{p}")))
                        })?;
                        let lower = PRIORITY_LABELS.get(rank + 1)?;
                        Some((
                            self.labels.id(&format!("priority:{lower}")),
                            created + r.random_range(DAY..=room),
                        ))
                    })
                    .flatten();
            // A slip moves the item from the first milestone due after its
            // creation to the next one, before the first was due.
            let moved = milestone
                .filter(|m| m + 1 < self.milestones.len() && r.random_bool(0.35))
                .and_then(|m| {
                    let by = self.milestones[m].due_on.min(updated);
                    (by - created > 2 * DAY)
                        .then(|| (m, created + r.random_range(DAY..by - created)))
                });
            (raised, moved)
        };
        let milestone = match milestone_moved {
            Some((m, _)) => Some(m + 1),
            None => milestone,
        };
        SeedIssue {
            priority_raised,
            milestone_moved,
            labelled_later,
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

    pub(super) fn comments(&mut self, n: usize, created: i64, updated: i64) -> Vec<SeedComment> {
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

    pub(super) fn value_labels(&mut self, labels: &mut Vec<u32>, service: &str, p: f64) {
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
}
