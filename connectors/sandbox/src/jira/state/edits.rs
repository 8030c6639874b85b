//! Every change to an issue, through the API or the handle: labels,
//! summary, description, custom fields, assignee, due date, priority,
//! transitions, deletion, moves, comments and their properties. Each bumps
//! `updated` and records the history entry Jira would.

use chrono::NaiveDate;
use serde_json::Value;

use super::super::adf;
use super::super::catalog::{resolution_id, Cat, CUSTOM_FIELDS, STATUSES};
use super::super::clock;
use super::records::{CfVal, ChangeItem, JErr};
use super::World;

impl World {
    /// Applies label operations; `Ok(true)` when something changed.
    pub(crate) fn edit_labels(
        &mut self,
        i: u32,
        add: &[String],
        remove: &[String],
        set: Option<&[String]>,
        author: u32,
        now: i64,
    ) -> Result<bool, JErr> {
        for l in add.iter().chain(remove).chain(set.unwrap_or(&[])) {
            check_label(l)?;
        }
        let before = self.issues[i as usize].labels.clone();
        let mut labels = match set {
            Some(s) => s.to_vec(),
            None => before.clone(),
        };
        for a in add {
            if !labels.iter().any(|l| l == a) {
                labels.push(a.clone());
            }
        }
        labels.retain(|l| !remove.iter().any(|r| r == l));
        // Jira keeps labels sorted and unique.
        labels.sort();
        labels.dedup();
        if labels == before {
            return Ok(false);
        }
        self.issues[i as usize].labels = labels.clone();
        self.record(
            i,
            author,
            now,
            vec![ChangeItem::jira(
                "labels",
                None,
                Some(before.join(" ")),
                None,
                Some(labels.join(" ")),
            )],
        );
        Ok(true)
    }

    pub(crate) fn set_summary(
        &mut self,
        i: u32,
        summary: &str,
        author: u32,
        now: i64,
    ) -> Result<bool, JErr> {
        let summary = summary.trim();
        if summary.is_empty() {
            return Err(JErr::Field(
                "summary".into(),
                "You must specify a summary of the issue.".into(),
            ));
        }
        if summary.chars().count() > 255 {
            return Err(JErr::Field(
                "summary".into(),
                "Summary must be less than 255 characters.".into(),
            ));
        }
        let old = std::mem::replace(&mut self.issues[i as usize].summary, summary.to_string());
        if old == summary {
            return Ok(false);
        }
        self.record(
            i,
            author,
            now,
            vec![ChangeItem::jira(
                "summary",
                None,
                Some(old),
                None,
                Some(summary.to_string()),
            )],
        );
        Ok(true)
    }

    pub(crate) fn set_description(
        &mut self,
        i: u32,
        doc: Option<Value>,
        author: u32,
        now: i64,
    ) -> bool {
        let issue = &mut self.issues[i as usize];
        if issue.description == doc {
            return false;
        }
        let old = issue.description.as_ref().map(adf::to_text);
        let new = doc.as_ref().map(adf::to_text);
        issue.description = doc;
        self.record(
            i,
            author,
            now,
            vec![ChangeItem::jira("description", None, old, None, new)],
        );
        true
    }

    pub(crate) fn set_custom(
        &mut self,
        i: u32,
        ix: u16,
        v: Option<CfVal>,
        author: u32,
        now: i64,
    ) -> bool {
        let old = self.issues[i as usize].cf(ix).cloned();
        if old == v {
            return false;
        }
        let text = |w: &World, v: &Option<CfVal>| v.as_ref().map(|v| w.cf_text(v));
        let (from, to) = (text(self, &old), text(self, &v));
        self.issues[i as usize].set_cf(ix, v);
        let (num, name, _) = CUSTOM_FIELDS[ix as usize];
        self.record(
            i,
            author,
            now,
            vec![ChangeItem {
                field: name.to_string(),
                fieldtype: "custom",
                field_id: Some(format!("customfield_{num}")),
                from: None,
                from_string: from,
                to: None,
                to_string: to,
            }],
        );
        true
    }

    /// A value as the changelog's `toString` writes it.
    pub(crate) fn cf_text(&self, v: &CfVal) -> String {
        match v {
            CfVal::Text(s) | CfVal::Select(s) => s.clone(),
            CfVal::User(u) => self.users[*u as usize].display.clone(),
            CfVal::Date(d) => d.format("%Y-%m-%d").to_string(),
            CfVal::DateTime(ms) => clock::time(*ms),
            CfVal::Number(n) => n.to_string(),
            CfVal::Adf(doc) => adf::to_text(doc),
        }
    }

    pub(crate) fn set_assignee(&mut self, i: u32, who: Option<u32>, author: u32, now: i64) -> bool {
        let old = self.issues[i as usize].assignee;
        if old == who {
            return false;
        }
        let name = |w: &World, u: Option<u32>| u.map(|u| w.users[u as usize].display.clone());
        let acct = |w: &World, u: Option<u32>| u.map(|u| w.users[u as usize].account_id.clone());
        let item = ChangeItem::jira(
            "assignee",
            acct(self, old),
            name(self, old),
            acct(self, who),
            name(self, who),
        );
        self.issues[i as usize].assignee = who;
        self.record(i, author, now, vec![item]);
        true
    }

    pub(crate) fn set_duedate(
        &mut self,
        i: u32,
        due: Option<NaiveDate>,
        author: u32,
        now: i64,
    ) -> bool {
        let old = self.issues[i as usize].duedate;
        if old == due {
            return false;
        }
        let f = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        self.issues[i as usize].duedate = due;
        self.record(
            i,
            author,
            now,
            vec![ChangeItem::jira("duedate", f(old), f(old), f(due), f(due))],
        );
        true
    }

    pub(crate) fn set_priority(&mut self, i: u32, p: u8, author: u32, now: i64) -> bool {
        let old = self.issues[i as usize].priority;
        if old == p {
            return false;
        }
        self.issues[i as usize].priority = p;
        self.record(i, author, now, vec![ChangeItem::priority(old, p)]);
        true
    }

    /// Moves to `status`, setting or clearing the resolution: entering a
    /// done status sets `resolution` (if given), leaving one clears it.
    pub(crate) fn transition(
        &mut self,
        i: u32,
        status: u8,
        resolution: Option<&str>,
        author: u32,
        now: i64,
    ) -> bool {
        let issue = &self.issues[i as usize];
        // The time `record` will give the change.
        let now = now.max(issue.updated + 1);
        let old_status = issue.status;
        let old_res = issue.resolution.clone();
        let done = STATUSES[status as usize].cat == Cat::Done;
        let new_res = if done {
            resolution.map(str::to_string).or_else(|| old_res.clone())
        } else {
            None
        };
        if old_status == status && old_res == new_res {
            return false;
        }
        let mut items = Vec::new();
        if old_status != status {
            let (a, b) = (&STATUSES[old_status as usize], &STATUSES[status as usize]);
            items.push(ChangeItem::jira(
                "status",
                Some(a.id.into()),
                Some(a.name.into()),
                Some(b.id.into()),
                Some(b.name.into()),
            ));
        }
        if old_res != new_res {
            items.push(ChangeItem::jira(
                "resolution",
                old_res.as_deref().map(resolution_id),
                old_res.clone(),
                new_res.as_deref().map(resolution_id),
                new_res.clone(),
            ));
        }
        let issue = &mut self.issues[i as usize];
        if STATUSES[old_status as usize].cat != STATUSES[status as usize].cat {
            issue.status_changed = now;
        }
        issue.status = status;
        issue.resolved = match (&new_res, done) {
            (Some(_), true) if old_res.is_none() || issue.resolved.is_none() => Some(now),
            (Some(_), true) => issue.resolved,
            _ => None,
        };
        issue.resolution = new_res;
        self.record(i, author, now, items);
        true
    }

    pub(crate) fn delete(&mut self, i: u32) {
        self.issues[i as usize].deleted = true;
    }

    /// Moves the issue to project `to` under its next number; returns the
    /// new key. The old key keeps resolving to the issue.
    pub(crate) fn move_to(&mut self, i: u32, to: u32, author: u32, now: i64) -> String {
        let old_key = self.key_of(i);
        let from = self.issues[i as usize].project;
        if from == to {
            return old_key;
        }
        self.projects[from as usize].issues.retain(|x| *x != i);
        let number = self.projects[to as usize].next;
        self.projects[to as usize].next += 1;
        self.projects[to as usize].issues.push(i);
        let issue = &mut self.issues[i as usize];
        issue.old_keys.push(old_key.clone());
        issue.project = to;
        issue.number = number;
        let new_key = self.key_of(i);
        self.key_index.insert(new_key.to_uppercase(), i);
        let (pf, pt) = (&self.projects[from as usize], &self.projects[to as usize]);
        let items = vec![
            ChangeItem::jira(
                "project",
                Some(pf.id.to_string()),
                Some(pf.name.clone()),
                Some(pt.id.to_string()),
                Some(pt.name.clone()),
            ),
            ChangeItem::jira("Key", None, Some(old_key), None, Some(new_key.clone())),
        ];
        self.record(i, author, now, items);
        new_key
    }

    pub(crate) fn add_comment(
        &mut self,
        i: u32,
        author: u32,
        body: Value,
        properties: Vec<(String, Value)>,
        now: i64,
    ) -> u64 {
        let t = self.bump(i, now);
        let mut c = self.new_comment(author, body, t);
        c.properties = properties;
        let id = c.id;
        let issue = &mut self.issues[i as usize];
        issue.comments.push(c);
        let pos = issue.comments.len() as u32 - 1;
        self.comment_index.insert(id, (i, pos));
        id
    }

    pub(crate) fn update_comment(
        &mut self,
        (i, c): (u32, u32),
        author: u32,
        body: Value,
        now: i64,
    ) {
        let t = self.bump(i, now);
        let comment = &mut self.issues[i as usize].comments[c as usize];
        comment.body = body;
        comment.update_author = author;
        comment.updated = t;
    }

    /// Sets a comment property; `true` when it is new.
    pub(crate) fn set_comment_property(
        &mut self,
        (i, c): (u32, u32),
        key: &str,
        value: Value,
    ) -> bool {
        let props = &mut self.issues[i as usize].comments[c as usize].properties;
        match props.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => {
                *v = value;
                false
            }
            None => {
                props.push((key.to_string(), value));
                true
            }
        }
    }

    pub(crate) fn delete_comment_property(&mut self, (i, c): (u32, u32), key: &str) -> bool {
        let props = &mut self.issues[i as usize].comments[c as usize].properties;
        let before = props.len();
        props.retain(|(k, _)| k != key);
        props.len() != before
    }
}

/// Jira refuses labels with spaces, empty ones and ones over 255
/// characters.
pub(crate) fn check_label(l: &str) -> Result<(), JErr> {
    if l.is_empty() {
        return Err(JErr::Field(
            "labels".into(),
            "The label can't be empty.".into(),
        ));
    }
    if l.chars().any(char::is_whitespace) {
        return Err(JErr::Field(
            "labels".into(),
            format!("The label '{l}' contains spaces which is invalid."),
        ));
    }
    if l.chars().count() > 255 {
        return Err(JErr::Field(
            "labels".into(),
            format!("The label '{l}' exceeds the 255 character limit."),
        ));
    }
    Ok(())
}
