//! The fake GitHub's data: organisations, users, repositories, issues (and
//! pull requests), labels, milestones, comments and events, with the
//! listing query and every mutation. HTTP handlers and the test handle both
//! go through these methods, so a handle edit and an API write leave the
//! same traces (a new `updated_at`, an event).
//!
//! Issues of a repository live in a vector indexed by `number - 1`
//! (deleted and transferred issues stay as tombstones so numbers are never
//! reused). Listing results are cached per repository and query until the
//! repository next changes, so paging through a big listing filters and
//! sorts once.

mod edits;
mod ingest;
mod listing;
mod records;

use std::collections::HashMap;
use std::sync::Mutex;

use super::render;

pub(crate) use listing::{ListKey, Repo, SortKey, StateFilter};
pub(crate) use records::{
    Comment, Event, EventKind, Fate, Gone, Issue, Label, MutErr, NewIssueData, Org, Pr, User,
};

/// Colour of a label created on the fly (as GitHub does).
pub(crate) const NEW_LABEL_COLOR: &str = "ededed";
/// Most labels an issue may carry.
pub(crate) const MAX_LABELS: usize = 100;
/// Longest label name.
pub(crate) const MAX_LABEL_LEN: usize = 50;

pub(crate) struct World {
    pub base: String,
    pub orgs: Vec<Org>,
    pub users: Vec<User>,
    user_index: HashMap<String, u32>,
    pub repos: Vec<Repo>,
    repo_index: HashMap<String, u32>,
    /// Comment id → (repository, issue index).
    comment_index: HashMap<u64, (u32, u32)>,
    next_issue_id: u64,
    next_comment_id: u64,
    next_event_id: u64,
    next_label_id: u64,
    next_repo_id: u64,
    next_milestone_id: u64,
    /// Repositories without issue forms in `.github/ISSUE_TEMPLATE` (all
    /// others have recur's three).
    pub no_issue_forms: std::collections::HashSet<u32>,
}

/// Default labels of a repository created through the handle.
const DEFAULT_LABELS: [(&str, &str); 5] = [
    ("bug", "d73a4a"),
    ("documentation", "0075ca"),
    ("enhancement", "a2eeef"),
    ("good first issue", "7057ff"),
    ("question", "d876e3"),
];

impl World {
    pub(crate) fn new(base: &str) -> Self {
        World {
            base: base.to_string(),
            orgs: Vec::new(),
            users: Vec::new(),
            user_index: HashMap::new(),
            repos: Vec::new(),
            repo_index: HashMap::new(),
            comment_index: HashMap::new(),
            next_issue_id: 2_100_000_001,
            next_comment_id: 1_900_000_001,
            next_event_id: 12_000_000_001,
            next_label_id: 5_000_000_001,
            next_repo_id: 700_000_001,
            next_milestone_id: 9_000_001,
            no_issue_forms: std::collections::HashSet::new(),
        }
    }

    /// The user called `login`, created on first use (ids count from 1 in
    /// order of first use, so the first token's user is user ID 1).
    pub(crate) fn user(&mut self, login: &str) -> u32 {
        if let Some(u) = self.user_index.get(&login.to_lowercase()) {
            return *u;
        }
        let id = self.users.len() as u64 + 1;
        let bot = login.ends_with("[bot]");
        let kind = if bot { "Bot" } else { "User" };
        let association = if bot {
            "NONE"
        } else if crate::seed::PEOPLE.contains(&login) || login == "recur-bot" {
            "MEMBER"
        } else {
            "CONTRIBUTOR"
        };
        self.users.push(User {
            login: login.to_string(),
            id,
            json: render::user_json(&self.base, login, id, kind),
            association,
        });
        let ix = self.users.len() as u32 - 1;
        self.user_index.insert(login.to_lowercase(), ix);
        ix
    }

    pub(crate) fn find_user(&self, login: &str) -> Option<u32> {
        self.user_index.get(&login.to_lowercase()).copied()
    }

    fn org(&mut self, login: &str) {
        if self
            .orgs
            .iter()
            .any(|o| o.login.eq_ignore_ascii_case(login))
        {
            return;
        }
        let id = 9_100_000 + self.orgs.len() as u64 + 1;
        self.orgs.push(Org {
            login: login.to_string(),
            id,
            json: render::user_json(&self.base, login, id, "Organization"),
        });
    }

    pub(crate) fn org_by_name(&self, login: &str) -> Option<&Org> {
        self.orgs
            .iter()
            .find(|o| o.login.eq_ignore_ascii_case(login))
    }

    pub(crate) fn org_by_id(&self, id: u64) -> Option<&Org> {
        self.orgs.iter().find(|o| o.id == id)
    }

    /// Repository index by `owner/name` (case-insensitive).
    pub(crate) fn repo(&self, full_name: &str) -> Option<u32> {
        self.repo_index.get(&full_name.to_lowercase()).copied()
    }

    pub(crate) fn repo_by_id(&self, id: u64) -> Option<u32> {
        self.repos.iter().position(|r| r.id == id).map(|i| i as u32)
    }

    /// Creates an empty repository `owner/name` (and its owner).
    pub(crate) fn add_repo(&mut self, full_name: &str, description: &str, created: i64) -> u32 {
        if let Some(r) = self.repo(full_name) {
            return r;
        }
        let (owner, name) = full_name
            .split_once('/')
            .unwrap_or((crate::seed::ORG, full_name));
        self.org(owner);
        let id = self.next_repo_id;
        self.next_repo_id += 1;
        self.repos.push(Repo {
            id,
            owner: owner.to_string(),
            name: name.to_string(),
            full_name: format!("{owner}/{name}"),
            description: description.to_string(),
            created,
            api: format!("{}/repos/{owner}/{name}", self.base),
            html: format!("{}/{owner}/{name}", self.base),
            issues: Vec::new(),
            labels: Vec::new(),
            label_index: HashMap::new(),
            milestones: Vec::new(),
            cache: Mutex::new(HashMap::new()),
        });
        let ri = self.repos.len() as u32 - 1;
        self.repo_index.insert(full_name.to_lowercase(), ri);
        ri
    }

    /// [`World::add_repo`] with GitHub's default labels, for repositories
    /// that appear through the handle.
    pub(crate) fn add_default_repo(&mut self, full_name: &str, now: i64) -> u32 {
        if let Some(r) = self.repo(full_name) {
            return r;
        }
        let ri = self.add_repo(full_name, "", now);
        for (name, color) in DEFAULT_LABELS {
            self.add_label(ri, name, color, None, true);
        }
        ri
    }

    /// Creates label `name` on a repository (or returns the existing one).
    pub(crate) fn add_label(
        &mut self,
        ri: u32,
        name: &str,
        color: &str,
        description: Option<&str>,
        default: bool,
    ) -> u32 {
        let repo = &mut self.repos[ri as usize];
        if let Some(l) = repo.label(name) {
            return l;
        }
        let id = self.next_label_id;
        self.next_label_id += 1;
        repo.labels.push(Label {
            name: name.to_string(),
            color: color.to_string(),
            json: render::label_json(&repo.api, id, name, color, description, default),
        });
        let ix = repo.labels.len() as u32 - 1;
        repo.label_index.insert(name.to_lowercase(), ix);
        ix
    }

    fn event_id(&mut self) -> u64 {
        self.next_event_id += 1;
        self.next_event_id - 1
    }

    /// Index of a live issue, or why there is none.
    pub(crate) fn locate(&self, ri: u32, number: u64) -> Result<usize, Gone> {
        let repo = &self.repos[ri as usize];
        let ix = usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .ok_or(Gone::NotFound)?;
        match repo.issues.get(ix).map(|i| i.fate) {
            None => Err(Gone::NotFound),
            Some(Fate::Live) => Ok(ix),
            Some(Fate::Deleted) => Err(Gone::Deleted),
            Some(Fate::Moved { repo, number }) => Err(Gone::Moved { repo, number }),
        }
    }

    /// Where a comment lives, if in repository `ri`.
    pub(crate) fn comment(&self, ri: u32, id: u64) -> Option<(usize, usize)> {
        let (r, ix) = *self.comment_index.get(&id)?;
        if r != ri {
            return None;
        }
        let issue = &self.repos[ri as usize].issues[ix as usize];
        let c = issue.comments.iter().position(|c| c.id == id)?;
        Some((ix as usize, c))
    }
}
