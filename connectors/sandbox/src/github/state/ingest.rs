//! Loading a generated repository (`crate::seed`) into the world: labels,
//! milestones with their counts, issues with their comments and the events
//! their history implies (labelled, closed, reopened).

use super::super::render;
use super::records::{Comment, Event, EventKind, Fate, Issue, Milestone, Pr};
use super::World;
use crate::seed::SeedRepo;

impl World {
    /// Adds a milestone to repository `ri`; returns its index. `counts`
    /// (open, closed issues) are as of now and not kept live.
    pub(crate) fn add_milestone(
        &mut self,
        ri: u32,
        title: &str,
        creator: u32,
        created: i64,
        due_on: i64,
        counts: (u64, u64),
    ) -> u32 {
        let id = self.next_milestone_id;
        self.next_milestone_id += 1;
        let repo = &self.repos[ri as usize];
        let number = repo.milestones.len() as u64 + 1;
        let json = render::milestone_json(
            &repo.api,
            &repo.html,
            id,
            number,
            title,
            &self.users[creator as usize].json,
            created,
            due_on,
            counts.0,
            counts.1,
        );
        let repo = &mut self.repos[ri as usize];
        repo.milestones.push(Milestone {
            title: title.to_string(),
            due_on,
            json,
        });
        repo.changed();
        (repo.milestones.len() - 1) as u32
    }

    /// Loads a generated repository.
    pub(crate) fn ingest(&mut self, seed: SeedRepo) {
        let ri = self.add_repo(&seed.full_name, &seed.description, seed.created);
        let label_map: Vec<u32> = seed
            .labels
            .iter()
            .map(|l| self.add_label(ri, &l.name, &l.color, l.description.as_deref(), l.default))
            .collect();
        let creator = self.user(crate::seed::PEOPLE[0]);
        // Milestone counts are computed from the seed once; they are not
        // kept live (nothing in recur reads them).
        let mut counts = vec![(0u64, 0u64); seed.milestones.len()];
        for i in &seed.issues {
            if let Some(m) = i.milestone {
                if i.closed.is_some() {
                    counts[m].1 += 1;
                } else {
                    counts[m].0 += 1;
                }
            }
        }
        for (k, m) in seed.milestones.iter().enumerate() {
            self.add_milestone(ri, &m.title, creator, m.created, m.due_on, counts[k]);
        }
        self.repos[ri as usize].issues.reserve(seed.issues.len());
        for s in seed.issues {
            let user = self.user(s.author);
            let assignees: Vec<u32> = s.assignees.iter().map(|a| self.user(a)).collect();
            let mut labels: Vec<u32> = s.labels.iter().map(|l| label_map[*l as usize]).collect();
            self.repos[ri as usize].sort_labels(&mut labels);
            let mut events = Vec::with_capacity(labels.len() + 1);
            let later = s
                .labelled_later
                .map(|(l, after)| (label_map[l as usize], s.created + after));
            // A raised priority: the lower label at creation, swapped for
            // the current one later (which is then labelled at that time).
            let raised = s.priority_raised.and_then(|(lower, at)| {
                let lower = label_map[lower as usize];
                let repo = &self.repos[ri as usize];
                let current = labels.iter().copied().find(|l| {
                    repo.labels[*l as usize].name.starts_with("priority:") && *l != lower
                })?;
                Some((lower, current, at))
            });
            for l in &labels {
                let at = match (raised, later) {
                    (Some((_, cur, at)), _) if cur == *l => at,
                    (_, Some((ll, at))) if ll == *l => at,
                    _ => s.created,
                };
                events.push(Event {
                    id: self.event_id(),
                    actor: user,
                    at,
                    kind: EventKind::Labeled(*l),
                });
            }
            if let Some((lower, _, at)) = raised {
                let raiser =
                    self.user(crate::seed::PEOPLE[(at as usize / 7) % crate::seed::PEOPLE.len()]);
                events.push(Event {
                    id: self.event_id(),
                    actor: user,
                    at: s.created,
                    kind: EventKind::Labeled(lower),
                });
                events.push(Event {
                    id: self.event_id(),
                    actor: raiser,
                    at,
                    kind: EventKind::Unlabeled(lower),
                });
            }
            // The milestone: set at creation, or first the earlier one and
            // moved (demilestoned, then milestoned) when the target slipped.
            if let Some(m) = s.milestone {
                match s.milestone_moved {
                    Some((from, at)) => {
                        let mover = self.user(
                            crate::seed::PEOPLE[(at as usize / 11) % crate::seed::PEOPLE.len()],
                        );
                        for (actor, at, kind) in [
                            (user, s.created, EventKind::Milestoned(from as u32)),
                            (mover, at, EventKind::Demilestoned(from as u32)),
                            (mover, at, EventKind::Milestoned(m as u32)),
                        ] {
                            let id = self.event_id();
                            events.push(Event {
                                id,
                                actor,
                                at,
                                kind,
                            });
                        }
                    }
                    None => {
                        let id = self.event_id();
                        events.push(Event {
                            id,
                            actor: user,
                            at: s.created,
                            kind: EventKind::Milestoned(m as u32),
                        });
                    }
                }
            }
            for a in &assignees {
                events.push(Event {
                    id: self.event_id(),
                    actor: user,
                    at: s.created,
                    kind: EventKind::Assigned(*a),
                });
            }
            events.sort_by_key(|e| e.at);
            let (closed_at, closed_by, state_reason) = match &s.closed {
                Some(c) => {
                    let by = self.user(c.by);
                    events.push(Event {
                        id: self.event_id(),
                        actor: by,
                        at: c.at,
                        kind: EventKind::Closed(c.reason.map(str::to_string)),
                    });
                    (Some(c.at), Some(by), c.reason.map(str::to_string))
                }
                None => (None, None, None),
            };
            let state_reason = match &s.reopened {
                Some(c) => {
                    let by = self.user(c.by);
                    events.push(Event {
                        id: self.event_id(),
                        actor: by,
                        at: c.at,
                        kind: EventKind::Closed(c.reason.map(str::to_string)),
                    });
                    events.push(Event {
                        id: self.event_id(),
                        actor: by,
                        at: s.updated,
                        kind: EventKind::Reopened,
                    });
                    Some("reopened".to_string())
                }
                None => state_reason,
            };
            let issue_ix = self.repos[ri as usize].issues.len() as u32;
            let comments: Vec<Comment> = s
                .comments
                .into_iter()
                .map(|c| {
                    let id = self.next_comment_id;
                    self.next_comment_id += 1;
                    self.comment_index.insert(id, (ri, issue_ix));
                    Comment {
                        id,
                        user: self.user(c.author),
                        body: c.body,
                        created: c.created,
                        updated: c.created,
                    }
                })
                .collect();
            let id = self.next_issue_id;
            self.next_issue_id += 1;
            let repo = &mut self.repos[ri as usize];
            repo.issues.push(Issue {
                id,
                number: u64::from(issue_ix) + 1,
                title: s.title,
                body: s.body,
                user,
                labels,
                assignees,
                milestone: s.milestone.map(|m| m as u32),
                closed: s.closed.is_some(),
                state_reason,
                created: s.created,
                updated: s.updated,
                closed_at,
                closed_by,
                locked: false,
                pr: s.pull_request.map(|p| Pr {
                    draft: p.draft,
                    merged_at: p.merged_at,
                }),
                comments,
                events,
                fate: Fate::Live,
            });
        }
    }
}
