//! Every change to an issue or comment, through the API or the handle:
//! labels, title, body, assignees, state, creation, deletion, transfer and
//! comments. Each bumps the issue's `updated_at`, records the event GitHub
//! would, and invalidates the repository's cached listings.

use super::records::{Comment, Event, EventKind, Fate, Issue, MutErr, NewIssueData};
use super::{World, MAX_LABELS, MAX_LABEL_LEN, NEW_LABEL_COLOR};

impl World {
    fn touch_issue(&mut self, ri: u32, ix: usize, now: i64) {
        let repo = &mut self.repos[ri as usize];
        repo.issues[ix].updated = now;
        repo.changed();
    }

    fn push_event(&mut self, ri: u32, ix: usize, actor: u32, now: i64, kind: EventKind) {
        let id = self.event_id();
        self.repos[ri as usize].issues[ix].events.push(Event {
            id,
            actor,
            at: now,
            kind,
        });
    }

    /// Label indexes for `names`, creating unknown ones (colour `ededed`,
    /// case kept); a 422 for names that are too long.
    fn labels_for(&mut self, ri: u32, names: &[String]) -> Result<Vec<u32>, MutErr> {
        if let Some(long) = names.iter().find(|n| n.chars().count() > MAX_LABEL_LEN) {
            return Err(MutErr::Invalid {
                resource: "Label",
                field: "name",
                code: "invalid",
                message: format!(
                    "name is too long (maximum is {MAX_LABEL_LEN} characters): {long}"
                ),
            });
        }
        if let Some(empty) = names.iter().find(|n| n.trim().is_empty()) {
            return Err(MutErr::Invalid {
                resource: "Label",
                field: "name",
                code: "missing_field",
                message: format!("name can't be blank: {empty:?}"),
            });
        }
        Ok(names
            .iter()
            .map(|n| self.add_label(ri, n, NEW_LABEL_COLOR, None, false))
            .collect())
    }

    fn too_many_labels() -> MutErr {
        MutErr::Invalid {
            resource: "Issue",
            field: "labels",
            code: "custom",
            message: format!("Issues may not have more than {MAX_LABELS} labels"),
        }
    }

    /// Makes the issue's labels exactly `wanted`, recording events.
    fn apply_labels(
        &mut self,
        ri: u32,
        ix: usize,
        mut wanted: Vec<u32>,
        actor: u32,
        now: i64,
    ) -> Result<(), MutErr> {
        self.repos[ri as usize].sort_labels(&mut wanted);
        if wanted.len() > MAX_LABELS {
            return Err(Self::too_many_labels());
        }
        let old = self.repos[ri as usize].issues[ix].labels.clone();
        if old == wanted {
            return Ok(());
        }
        for l in old.iter().filter(|l| !wanted.contains(l)) {
            self.push_event(ri, ix, actor, now, EventKind::Unlabeled(*l));
        }
        for l in wanted.iter().filter(|l| !old.contains(l)) {
            self.push_event(ri, ix, actor, now, EventKind::Labeled(*l));
        }
        self.repos[ri as usize].issues[ix].labels = wanted;
        self.touch_issue(ri, ix, now);
        Ok(())
    }

    pub(crate) fn add_labels(
        &mut self,
        ri: u32,
        number: u64,
        names: &[String],
        actor: u32,
        now: i64,
    ) -> Result<(), MutErr> {
        let ix = self.locate(ri, number)?;
        let new = self.labels_for(ri, names)?;
        let mut wanted = self.repos[ri as usize].issues[ix].labels.clone();
        wanted.extend(new);
        self.apply_labels(ri, ix, wanted, actor, now)
    }

    pub(crate) fn set_labels(
        &mut self,
        ri: u32,
        number: u64,
        names: &[String],
        actor: u32,
        now: i64,
    ) -> Result<(), MutErr> {
        let ix = self.locate(ri, number)?;
        let wanted = self.labels_for(ri, names)?;
        self.apply_labels(ri, ix, wanted, actor, now)
    }

    pub(crate) fn remove_label(
        &mut self,
        ri: u32,
        number: u64,
        name: &str,
        actor: u32,
        now: i64,
    ) -> Result<(), MutErr> {
        let ix = self.locate(ri, number)?;
        let repo = &self.repos[ri as usize];
        let label = repo.label(name).ok_or(MutErr::LabelAbsent)?;
        let mut wanted = repo.issues[ix].labels.clone();
        let before = wanted.len();
        wanted.retain(|l| *l != label);
        if wanted.len() == before {
            return Err(MutErr::LabelAbsent);
        }
        self.apply_labels(ri, ix, wanted, actor, now)
    }

    pub(crate) fn set_title(
        &mut self,
        ri: u32,
        number: u64,
        title: &str,
        actor: u32,
        now: i64,
    ) -> Result<(), MutErr> {
        let ix = self.locate(ri, number)?;
        if title.trim().is_empty() {
            return Err(MutErr::Invalid {
                resource: "Issue",
                field: "title",
                code: "missing_field",
                message: "title can't be blank".into(),
            });
        }
        let old = std::mem::replace(
            &mut self.repos[ri as usize].issues[ix].title,
            title.to_string(),
        );
        if old != title {
            self.push_event(
                ri,
                ix,
                actor,
                now,
                EventKind::Renamed {
                    from: old,
                    to: title.to_string(),
                },
            );
        }
        self.touch_issue(ri, ix, now);
        Ok(())
    }

    pub(crate) fn set_body(
        &mut self,
        ri: u32,
        number: u64,
        body: &str,
        now: i64,
    ) -> Result<(), MutErr> {
        let ix = self.locate(ri, number)?;
        self.repos[ri as usize].issues[ix].body = body.to_string();
        self.touch_issue(ri, ix, now);
        Ok(())
    }

    pub(crate) fn set_assignees(
        &mut self,
        ri: u32,
        number: u64,
        assignees: Vec<u32>,
        actor: u32,
        now: i64,
    ) -> Result<(), MutErr> {
        let ix = self.locate(ri, number)?;
        // Each change is an event, as on GitHub: unassigned first, then
        // assigned.
        let before = self.repos[ri as usize].issues[ix].assignees.clone();
        for u in before.iter().filter(|u| !assignees.contains(u)) {
            self.push_event(ri, ix, actor, now, EventKind::Unassigned(*u));
        }
        for u in assignees.iter().filter(|u| !before.contains(u)) {
            self.push_event(ri, ix, actor, now, EventKind::Assigned(*u));
        }
        self.repos[ri as usize].issues[ix].assignees = assignees;
        self.touch_issue(ri, ix, now);
        Ok(())
    }

    /// Sets or clears an issue's milestone (by index): `demilestoned`
    /// for the old one, then `milestoned` for the new, as GitHub logs a
    /// change of milestone.
    pub(crate) fn set_milestone(
        &mut self,
        ri: u32,
        number: u64,
        milestone: Option<u32>,
        actor: u32,
        now: i64,
    ) -> Result<(), MutErr> {
        let ix = self.locate(ri, number)?;
        let before = self.repos[ri as usize].issues[ix].milestone;
        if before == milestone {
            return Ok(());
        }
        if let Some(m) = before {
            self.push_event(ri, ix, actor, now, EventKind::Demilestoned(m));
        }
        if let Some(m) = milestone {
            self.push_event(ri, ix, actor, now, EventKind::Milestoned(m));
        }
        self.repos[ri as usize].issues[ix].milestone = milestone;
        self.touch_issue(ri, ix, now);
        Ok(())
    }

    /// Closes (with `reason`) or reopens an issue. Closing a closed issue
    /// only changes its reason.
    pub(crate) fn set_state(
        &mut self,
        ri: u32,
        number: u64,
        closed: bool,
        reason: Option<String>,
        actor: u32,
        now: i64,
    ) -> Result<(), MutErr> {
        let ix = self.locate(ri, number)?;
        let issue = &mut self.repos[ri as usize].issues[ix];
        let was = issue.closed;
        if closed {
            issue.closed = true;
            issue.state_reason = Some(reason.unwrap_or_else(|| "completed".into()));
            if !was {
                issue.closed_at = Some(now);
                issue.closed_by = Some(actor);
                let r = issue.state_reason.clone();
                self.push_event(ri, ix, actor, now, EventKind::Closed(r));
            }
        } else if was {
            issue.closed = false;
            issue.state_reason = Some("reopened".into());
            issue.closed_at = None;
            issue.closed_by = None;
            self.push_event(ri, ix, actor, now, EventKind::Reopened);
        }
        self.touch_issue(ri, ix, now);
        Ok(())
    }

    pub(crate) fn touch(&mut self, ri: u32, number: u64, now: i64) -> Result<(), MutErr> {
        let ix = self.locate(ri, number)?;
        self.touch_issue(ri, ix, now);
        Ok(())
    }

    pub(crate) fn create_issue(
        &mut self,
        ri: u32,
        data: NewIssueData,
        actor: u32,
        now: i64,
    ) -> Result<u64, MutErr> {
        if data.title.trim().is_empty() {
            return Err(MutErr::Invalid {
                resource: "Issue",
                field: "title",
                code: "missing_field",
                message: "title can't be blank".into(),
            });
        }
        let mut labels = self.labels_for(ri, &data.labels)?;
        self.repos[ri as usize].sort_labels(&mut labels);
        if labels.len() > MAX_LABELS {
            return Err(Self::too_many_labels());
        }
        let id = self.next_issue_id;
        self.next_issue_id += 1;
        let mut events = Vec::new();
        for l in &labels {
            events.push(Event {
                id: self.event_id(),
                actor,
                at: now,
                kind: EventKind::Labeled(*l),
            });
        }
        if let Some(r) = &data.closed {
            events.push(Event {
                id: self.event_id(),
                actor,
                at: now,
                kind: EventKind::Closed(Some(r.clone())),
            });
        }
        let repo = &mut self.repos[ri as usize];
        let number = repo.issues.len() as u64 + 1;
        repo.issues.push(Issue {
            id,
            number,
            title: data.title,
            body: data.body,
            user: actor,
            labels,
            assignees: data.assignees,
            milestone: None,
            closed: data.closed.is_some(),
            state_reason: data.closed.clone(),
            created: now,
            updated: now,
            closed_at: data.closed.as_ref().map(|_| now),
            closed_by: data.closed.as_ref().map(|_| actor),
            locked: false,
            pr: data.pr,
            comments: Vec::new(),
            events,
            fate: Fate::Live,
        });
        repo.changed();
        Ok(number)
    }

    pub(crate) fn delete_issue(&mut self, ri: u32, number: u64) -> Result<(), MutErr> {
        let ix = self.locate(ri, number)?;
        let repo = &mut self.repos[ri as usize];
        repo.issues[ix].fate = Fate::Deleted;
        for c in &repo.issues[ix].comments {
            self.comment_index.remove(&c.id);
        }
        repo.changed();
        Ok(())
    }

    /// Moves an issue to repository `to` under a new number; the old one
    /// becomes a tombstone pointing there. Labels follow (created in the
    /// target when missing), milestones do not; comments and events move.
    pub(crate) fn transfer(
        &mut self,
        ri: u32,
        number: u64,
        to: u32,
        now: i64,
    ) -> Result<u64, MutErr> {
        let ix = self.locate(ri, number)?;
        if ri == to {
            return Ok(number);
        }
        let mut moved = self.repos[ri as usize].issues[ix].clone();
        let from_labels: Vec<(String, String)> = self.repos[ri as usize]
            .labels
            .iter()
            .map(|l| (l.name.clone(), l.color.clone()))
            .collect();
        let remap = |world: &mut World, l: u32| {
            let (name, color) = &from_labels[l as usize];
            world.add_label(to, name, color, None, false)
        };
        moved.labels = moved.labels.iter().map(|l| remap(self, *l)).collect();
        for e in &mut moved.events {
            if let EventKind::Labeled(l) | EventKind::Unlabeled(l) = &mut e.kind {
                *l = remap(self, *l);
            }
        }
        self.repos[to as usize].sort_labels(&mut moved.labels);
        moved.milestone = None;
        moved.updated = now;
        let new_number = self.repos[to as usize].issues.len() as u64 + 1;
        moved.number = new_number;
        let new_ix = new_number as u32 - 1;
        for c in &moved.comments {
            self.comment_index.insert(c.id, (to, new_ix));
        }
        let target = &mut self.repos[to as usize];
        target.issues.push(moved);
        target.changed();
        let source = &mut self.repos[ri as usize];
        let old = &mut source.issues[ix];
        old.fate = Fate::Moved {
            repo: to,
            number: new_number,
        };
        old.comments.clear();
        source.changed();
        Ok(new_number)
    }

    pub(crate) fn add_comment(
        &mut self,
        ri: u32,
        number: u64,
        user: u32,
        body: &str,
        now: i64,
    ) -> Result<u64, MutErr> {
        let ix = self.locate(ri, number)?;
        let id = self.next_comment_id;
        self.next_comment_id += 1;
        self.comment_index.insert(id, (ri, ix as u32));
        self.repos[ri as usize].issues[ix].comments.push(Comment {
            id,
            user,
            body: body.to_string(),
            created: now,
            updated: now,
        });
        self.touch_issue(ri, ix, now);
        Ok(id)
    }

    pub(crate) fn edit_comment(
        &mut self,
        ri: u32,
        id: u64,
        body: &str,
        now: i64,
    ) -> Result<(), MutErr> {
        let (ix, c) = self.comment(ri, id).ok_or(MutErr::NoComment)?;
        let comment = &mut self.repos[ri as usize].issues[ix].comments[c];
        comment.body = body.to_string();
        comment.updated = now;
        self.touch_issue(ri, ix, now);
        Ok(())
    }

    pub(crate) fn delete_comment(&mut self, ri: u32, id: u64, now: i64) -> Result<(), MutErr> {
        let (ix, c) = self.comment(ri, id).ok_or(MutErr::NoComment)?;
        self.repos[ri as usize].issues[ix].comments.remove(c);
        self.comment_index.remove(&id);
        self.touch_issue(ri, ix, now);
        Ok(())
    }
}
