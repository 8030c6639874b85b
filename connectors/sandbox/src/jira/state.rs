//! The fake Jira's data: users, projects, issues with their custom-field
//! values, links, comments (with properties) and change histories, and every
//! mutation the API and the handle perform. One world serves both flavours
//! (REST v3 and v2 differ only in how it is rendered).
//!
//! Times are epoch milliseconds. A moved issue keeps its id and record; its
//! old keys stay in the key index, so a lookup by an old key finds the issue
//! under its new key, as Jira does.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::Value;

use super::adf;
use super::catalog::{resolution_id, Cat, CUSTOM_FIELDS, PRIORITIES, P_MEDIUM, STATUSES, ST_TODO};
use super::clock;

// ---------------------------------------------------------------------------
// Records.

pub(crate) struct User {
    pub login: String,
    pub display: String,
    pub account_id: String,
    pub email: String,
    /// Data Center user key (`JIRAUSER10100`).
    pub dc_key: String,
}

pub(crate) struct Project {
    pub id: u64,
    pub key: String,
    pub name: String,
    /// Next issue number.
    pub next: u64,
    /// Issues currently in the project (deleted ones included), by index.
    pub issues: Vec<u32>,
}

/// A custom-field value as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CfVal {
    Text(String),
    Select(String),
    User(u32),
    Date(NaiveDate),
    DateTime(i64),
    Number(f64),
    Adf(Value),
}

pub(crate) struct Comment {
    pub id: u64,
    pub author: u32,
    pub update_author: u32,
    /// ADF document.
    pub body: Value,
    pub created: i64,
    pub updated: i64,
    pub properties: Vec<(String, Value)>,
}

#[derive(Debug, Clone)]
pub(crate) struct ChangeItem {
    pub field: String,
    pub fieldtype: &'static str,
    pub field_id: Option<String>,
    pub from: Option<String>,
    pub from_string: Option<String>,
    pub to: Option<String>,
    pub to_string: Option<String>,
}

impl ChangeItem {
    pub(crate) fn jira(
        field: &str,
        from: Option<String>,
        from_string: Option<String>,
        to: Option<String>,
        to_string: Option<String>,
    ) -> Self {
        ChangeItem {
            field: field.to_string(),
            fieldtype: "jira",
            field_id: Some(field.to_string()),
            from,
            from_string,
            to,
            to_string,
        }
    }
}

pub(crate) struct History {
    pub id: u64,
    pub author: u32,
    pub created: i64,
    pub items: Vec<ChangeItem>,
}

pub(crate) struct Issue {
    pub id: u64,
    pub project: u32,
    pub number: u64,
    /// Keys it had before moves, oldest first.
    pub old_keys: Vec<String>,
    pub summary: String,
    /// ADF document, or none.
    pub description: Option<Value>,
    pub itype: u8,
    pub status: u8,
    pub resolution: Option<String>,
    pub resolved: Option<i64>,
    pub status_changed: i64,
    pub labels: Vec<String>,
    pub assignee: Option<u32>,
    pub reporter: u32,
    pub priority: u8,
    pub duedate: Option<NaiveDate>,
    pub created: i64,
    pub updated: i64,
    /// Indexes into [`World::links`].
    pub links: Vec<u32>,
    /// (index into [`CUSTOM_FIELDS`], value), set fields only.
    pub custom: Vec<(u16, CfVal)>,
    pub comments: Vec<Comment>,
    pub histories: Vec<History>,
    pub deleted: bool,
}

impl Issue {
    pub(crate) fn cf(&self, ix: u16) -> Option<&CfVal> {
        self.custom.iter().find(|(i, _)| *i == ix).map(|(_, v)| v)
    }

    pub(crate) fn set_cf(&mut self, ix: u16, v: Option<CfVal>) {
        self.custom.retain(|(i, _)| *i != ix);
        if let Some(v) = v {
            self.custom.push((ix, v));
            self.custom.sort_by_key(|(i, _)| *i);
        }
    }

    pub(crate) fn cat(&self) -> Cat {
        STATUSES[self.status as usize].cat
    }

    pub(crate) fn has_label(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l.eq_ignore_ascii_case(label))
    }
}

pub(crate) struct Link {
    pub id: u64,
    pub ltype: u8,
    /// The issue that "causes" / "blocks" / "relates to".
    pub outward: u32,
    /// The issue that "is caused by" / "is blocked by" / "relates to".
    pub inward: u32,
}

/// Why an issue cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JErr {
    /// No such issue (or deleted): 404.
    NotFound,
    /// 400 with `errors{field: message}`.
    Field(String, String),
}

/// Everything the fake Jira knows.
pub(crate) struct World {
    pub users: Vec<User>,
    user_index: HashMap<String, u32>,
    pub projects: Vec<Project>,
    pub issues: Vec<Issue>,
    /// Upper-case key (current and old) → issue.
    key_index: HashMap<String, u32>,
    id_index: HashMap<u64, u32>,
    pub links: Vec<Link>,
    /// Comment id → (issue, position).
    comment_index: HashMap<u64, (u32, u32)>,
    /// (field, option value) → option id.
    options: HashMap<(u16, String), u64>,
    next_issue_id: u64,
    next_project_id: u64,
    next_comment_id: u64,
    next_link_id: u64,
    next_history_id: u64,
    next_option_id: u64,
    next_user_key: u64,
}

/// FNV-1a, stable across platforms (account ids derive from it).
pub(crate) fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

const SURNAMES: [&str; 16] = [
    "Archer",
    "Baptiste",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hoang",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
];

fn display_name(login: &str) -> String {
    if login == "recur-bot" {
        return "Recur Bot".to_string();
    }
    let mut c = login.chars();
    let first = match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => return String::new(),
    };
    let surname = SURNAMES[(fnv(login) % SURNAMES.len() as u64) as usize];
    format!("{first} {surname}")
}

impl World {
    pub(crate) fn new() -> Self {
        World {
            users: Vec::new(),
            user_index: HashMap::new(),
            projects: Vec::new(),
            issues: Vec::new(),
            key_index: HashMap::new(),
            id_index: HashMap::new(),
            links: Vec::new(),
            comment_index: HashMap::new(),
            options: HashMap::new(),
            next_issue_id: 10_001,
            next_project_id: 10_000,
            next_comment_id: 10_100,
            next_link_id: 10_200,
            next_history_id: 10_300,
            next_option_id: 10_100,
            next_user_key: 10_100,
        }
    }

    /// The user `login`, created on first use.
    pub(crate) fn user(&mut self, login: &str) -> u32 {
        if let Some(u) = self.user_index.get(&login.to_lowercase()) {
            return *u;
        }
        let h = fnv(login);
        let h2 = fnv(&format!("{login}#jira"));
        let email = if login == "recur-bot" {
            super::CLOUD_EMAIL.to_string()
        } else {
            format!("{login}@acme.example")
        };
        self.users.push(User {
            login: login.to_string(),
            display: display_name(login),
            account_id: format!(
                "{:012x}{:012x}",
                h & 0xffff_ffff_ffff,
                h2 & 0xffff_ffff_ffff
            ),
            email,
            dc_key: format!("JIRAUSER{}", self.next_user_key),
        });
        self.next_user_key += 1;
        let ix = self.users.len() as u32 - 1;
        self.user_index.insert(login.to_lowercase(), ix);
        ix
    }

    /// A user by login, account id, Data Center key or display name.
    pub(crate) fn find_user(&self, who: &str) -> Option<u32> {
        let w = who.trim();
        if let Some(u) = self.user_index.get(&w.to_lowercase()) {
            return Some(*u);
        }
        self.users
            .iter()
            .position(|u| u.account_id == w || u.dc_key.eq_ignore_ascii_case(w) || u.display == w)
            .map(|i| i as u32)
    }

    pub(crate) fn project(&self, key: &str) -> Option<u32> {
        let k = key.trim();
        self.projects
            .iter()
            .position(|p| p.key.eq_ignore_ascii_case(k) || p.id.to_string() == k)
            .map(|i| i as u32)
    }

    /// The project `key`, created (empty) if missing.
    pub(crate) fn add_project(&mut self, key: &str, name: &str) -> u32 {
        if let Some(p) = self.project(key) {
            return p;
        }
        self.projects.push(Project {
            id: self.next_project_id,
            key: key.to_uppercase(),
            name: name.to_string(),
            next: 1,
            issues: Vec::new(),
        });
        self.next_project_id += 1;
        self.projects.len() as u32 - 1
    }

    pub(crate) fn key_of(&self, i: u32) -> String {
        let issue = &self.issues[i as usize];
        format!(
            "{}-{}",
            self.projects[issue.project as usize].key, issue.number
        )
    }

    /// An issue by key (current or old) or id, deleted ones included.
    pub(crate) fn lookup(&self, key_or_id: &str) -> Option<u32> {
        let k = key_or_id.trim();
        if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) {
            return k
                .parse()
                .ok()
                .and_then(|id| self.id_index.get(&id).copied());
        }
        self.key_index.get(&k.to_uppercase()).copied()
    }

    /// A live issue by key or id.
    pub(crate) fn resolve(&self, key_or_id: &str) -> Result<u32, JErr> {
        match self.lookup(key_or_id) {
            Some(i) if !self.issues[i as usize].deleted => Ok(i),
            _ => Err(JErr::NotFound),
        }
    }

    pub(crate) fn comment(&self, id: &str) -> Option<(u32, u32)> {
        let id: u64 = id.trim().parse().ok()?;
        let (i, c) = *self.comment_index.get(&id)?;
        (!self.issues[i as usize].deleted).then_some((i, c))
    }

    pub(crate) fn option_id(&mut self, field: u16, value: &str) -> u64 {
        let next = &mut self.next_option_id;
        *self
            .options
            .entry((field, value.to_string()))
            .or_insert_with(|| {
                *next += 1;
                *next - 1
            })
    }

    pub(crate) fn find_option_id(&self, field: u16, value: &str) -> Option<u64> {
        self.options.get(&(field, value.to_string())).copied()
    }

    pub(crate) fn option_by_id(&self, field: u16, id: u64) -> Option<String> {
        self.options
            .iter()
            .find(|((f, _), oid)| *f == field && **oid == id)
            .map(|((_, v), _)| v.clone())
    }

    fn history_id(&mut self) -> u64 {
        self.next_history_id += 1;
        self.next_history_id - 1
    }

    /// The time of a change at wall-clock `now`: never earlier than one
    /// millisecond after the issue's last update, so that two edits in the
    /// same millisecond still give two distinct `updated` values.
    pub(crate) fn bump(&mut self, i: u32, now: i64) -> i64 {
        let issue = &mut self.issues[i as usize];
        let t = now.max(issue.updated + 1);
        issue.updated = t;
        t
    }

    /// Appends a history entry (when `items` is not empty) and bumps
    /// `updated`.
    pub(crate) fn record(&mut self, i: u32, author: u32, now: i64, items: Vec<ChangeItem>) {
        let t = self.bump(i, now);
        if !items.is_empty() {
            let id = self.history_id();
            self.issues[i as usize].histories.push(History {
                id,
                author,
                created: t,
                items,
            });
        }
    }

    // --- creation (seed and handle) --------------------------------------

    /// A new issue in project `p` with the next number; returns its index.
    pub(crate) fn push_issue(&mut self, p: u32, mut issue: Issue) -> u32 {
        let project = &mut self.projects[p as usize];
        issue.project = p;
        issue.number = project.next;
        project.next += 1;
        issue.id = self.next_issue_id;
        self.next_issue_id += 1;
        let ix = self.issues.len() as u32;
        project.issues.push(ix);
        let key = format!("{}-{}", project.key, issue.number);
        self.key_index.insert(key, ix);
        self.id_index.insert(issue.id, ix);
        for (pos, c) in issue.comments.iter().enumerate() {
            self.comment_index.insert(c.id, (ix, pos as u32));
        }
        self.issues.push(issue);
        ix
    }

    pub(crate) fn blank_issue(&self, summary: &str, itype: u8, reporter: u32, now: i64) -> Issue {
        Issue {
            id: 0,
            project: 0,
            number: 0,
            old_keys: Vec::new(),
            summary: summary.to_string(),
            description: None,
            itype,
            status: ST_TODO,
            resolution: None,
            resolved: None,
            status_changed: now,
            labels: Vec::new(),
            assignee: None,
            reporter,
            priority: P_MEDIUM,
            duedate: None,
            created: now,
            updated: now,
            links: Vec::new(),
            custom: Vec::new(),
            comments: Vec::new(),
            histories: Vec::new(),
            deleted: false,
        }
    }

    pub(crate) fn new_comment(&mut self, author: u32, body: Value, at: i64) -> Comment {
        let id = self.next_comment_id;
        self.next_comment_id += 1;
        Comment {
            id,
            author,
            update_author: author,
            body,
            created: at,
            updated: at,
            properties: Vec::new(),
        }
    }

    pub(crate) fn new_history(&mut self, author: u32, at: i64, items: Vec<ChangeItem>) -> History {
        History {
            id: self.history_id(),
            author,
            created: at,
            items,
        }
    }

    pub(crate) fn link(&mut self, ltype: u8, outward: u32, inward: u32) {
        let id = self.next_link_id;
        self.next_link_id += 1;
        let l = self.links.len() as u32;
        self.links.push(Link {
            id,
            ltype,
            outward,
            inward,
        });
        self.issues[outward as usize].links.push(l);
        self.issues[inward as usize].links.push(l);
    }

    // --- mutations --------------------------------------------------------

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
        let (a, b) = (PRIORITIES[old as usize], PRIORITIES[p as usize]);
        self.issues[i as usize].priority = p;
        self.record(
            i,
            author,
            now,
            vec![ChangeItem::jira(
                "priority",
                Some(a.0.into()),
                Some(a.1.into()),
                Some(b.0.into()),
                Some(b.1.into()),
            )],
        );
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
