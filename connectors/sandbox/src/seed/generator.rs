//! The generator: repositories one at a time, each from its own RNG
//! (seeded from the seed and the repository's name, so a repository's data
//! does not depend on which others exist), issues in number order, one
//! creation-time slot per issue.

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::draw::fnv;
use super::kinds::special_at;
use super::plan::RepoPlan;
use super::records::{SeedMilestone, SeedRepo};
use super::repo_gen::{LabelSet, Pools, RepoGen};
use super::{DAY, SPAN_DAYS};

/// Generates repositories one at a time (so a big organisation never sits
/// in memory twice), remembering incident and risk numbers for
/// cross-repository references.
pub(crate) struct Generator {
    seed: u64,
    anchor: i64,
    earlier: Vec<(String, Pools)>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::plan::plans;
    use crate::seed::*;
    use crate::Scale;

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
}
