//! The fake Jira's data: users, projects, issues with their custom-field
//! values, links, comments (with properties) and change histories, and every
//! mutation the API and the handle perform. One world serves both flavours
//! (REST v3 and v2 differ only in how it is rendered).
//!
//! Times are epoch milliseconds. A moved issue keeps its id and record; its
//! old keys stay in the key index, so a lookup by an old key finds the issue
//! under its new key, as Jira does.

mod edits;
mod records;

use std::collections::HashMap;

use serde_json::Value;

use super::catalog::{P_MEDIUM, ST_TODO};

pub(crate) use edits::check_label;
pub(crate) use records::{CfVal, ChangeItem, Comment, History, Issue, JErr, Link, Project, User};

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
}
