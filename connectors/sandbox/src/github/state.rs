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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::render;
use crate::seed::SeedRepo;

/// Colour of a label created on the fly (as GitHub does).
pub(crate) const NEW_LABEL_COLOR: &str = "ededed";
/// Most labels an issue may carry.
pub(crate) const MAX_LABELS: usize = 100;
/// Longest label name.
pub(crate) const MAX_LABEL_LEN: usize = 50;
/// Cached listings per repository before the cache is flushed.
const CACHE_ENTRIES: usize = 256;

pub(crate) struct Org {
    pub login: String,
    pub id: u64,
    pub json: String,
}

pub(crate) struct User {
    pub login: String,
    pub id: u64,
    pub json: String,
    pub association: &'static str,
}

pub(crate) struct Label {
    pub name: String,
    pub color: String,
    pub json: String,
}

pub(crate) struct Milestone {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub creator: u32,
    pub created: i64,
    pub due_on: i64,
    pub open: u64,
    pub closed: u64,
    pub json: String,
}

#[derive(Clone)]
pub(crate) struct Pr {
    pub draft: bool,
    pub merged_at: Option<i64>,
}

#[derive(Clone)]
pub(crate) struct Comment {
    pub id: u64,
    pub user: u32,
    pub body: String,
    pub created: i64,
    pub updated: i64,
}

#[derive(Clone)]
pub(crate) enum EventKind {
    /// Label index in the issue's repository.
    Labeled(u32),
    Unlabeled(u32),
    Closed(Option<String>),
    Reopened,
    Renamed {
        from: String,
        to: String,
    },
}

#[derive(Clone)]
pub(crate) struct Event {
    pub id: u64,
    pub actor: u32,
    pub at: i64,
    pub kind: EventKind,
}

/// What became of an issue.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    Live,
    Deleted,
    Moved { repo: u32, number: u64 },
}

#[derive(Clone)]
pub(crate) struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    /// Empty means no body (`null` in JSON).
    pub body: String,
    pub user: u32,
    /// Label indexes, kept sorted by name as GitHub returns them.
    pub labels: Vec<u32>,
    pub assignees: Vec<u32>,
    pub milestone: Option<u32>,
    pub closed: bool,
    pub state_reason: Option<String>,
    pub created: i64,
    pub updated: i64,
    pub closed_at: Option<i64>,
    pub closed_by: Option<u32>,
    pub locked: bool,
    pub pr: Option<Pr>,
    pub comments: Vec<Comment>,
    pub events: Vec<Event>,
    pub fate: Fate,
}

impl Issue {
    pub(crate) fn is_live(&self) -> bool {
        self.fate == Fate::Live
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum StateFilter {
    Open,
    Closed,
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum SortKey {
    Created,
    Updated,
    Comments,
}

/// A normalised listing query.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct ListKey {
    pub state: StateFilter,
    /// Label indexes that must all be present, sorted.
    pub labels: Vec<u32>,
    /// `updated_at >= since`.
    pub since: Option<i64>,
    pub sort: SortKey,
    pub asc: bool,
}

pub(crate) struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub full_name: String,
    pub description: String,
    pub created: i64,
    /// `{base}/repos/{owner}/{name}`.
    pub api: String,
    /// `{base}/{owner}/{name}`.
    pub html: String,
    pub issues: Vec<Issue>,
    pub labels: Vec<Label>,
    label_index: HashMap<String, u32>,
    pub milestones: Vec<Milestone>,
    /// Listing results until the next change. A Mutex inside the RwLock'd
    /// world so readers can fill it; held only for a lookup or an insert.
    cache: Mutex<HashMap<ListKey, Arc<Vec<u32>>>>,
}

impl Repo {
    /// Index of the label called `name` (case-insensitive).
    pub(crate) fn label(&self, name: &str) -> Option<u32> {
        self.label_index.get(&name.to_lowercase()).copied()
    }

    fn changed(&mut self) {
        self.cache
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The issue indexes a listing returns, in order. Ties in the sort key
    /// are broken by number so paging is stable.
    pub(crate) fn list(&self, key: &ListKey) -> Arc<Vec<u32>> {
        let cache = || self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hit) = cache().get(key) {
            return hit.clone();
        }
        let mut ids: Vec<u32> = self
            .issues
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                i.is_live()
                    && match key.state {
                        StateFilter::Open => !i.closed,
                        StateFilter::Closed => i.closed,
                        StateFilter::All => true,
                    }
                    && key.since.is_none_or(|s| i.updated >= s)
                    && key.labels.iter().all(|l| i.labels.contains(l))
            })
            .map(|(ix, _)| ix as u32)
            .collect();
        let sort_value = |ix: &u32| -> i64 {
            let i = &self.issues[*ix as usize];
            match key.sort {
                SortKey::Created => i.created,
                SortKey::Updated => i.updated,
                SortKey::Comments => i.comments.len() as i64,
            }
        };
        // The vector is in number order already; a stable sort on the key
        // alone keeps numbers ascending within ties.
        ids.sort_by_key(sort_value);
        if !key.asc {
            ids.reverse();
        }
        let ids = Arc::new(ids);
        let mut c = cache();
        if c.len() >= CACHE_ENTRIES {
            c.clear();
        }
        c.insert(key.clone(), ids.clone());
        ids
    }

    fn sort_labels(&self, labels: &mut Vec<u32>) {
        labels.sort_by(|a, b| {
            self.labels[*a as usize]
                .name
                .cmp(&self.labels[*b as usize].name)
        });
        labels.dedup();
    }
}

/// Why an issue could not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gone {
    NotFound,
    Deleted,
    Moved { repo: u32, number: u64 },
}

/// Why a mutation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MutErr {
    Gone(Gone),
    /// 422: (resource, field, code, message).
    Invalid {
        resource: &'static str,
        field: &'static str,
        code: &'static str,
        message: String,
    },
    /// Removing a label the issue does not have.
    LabelAbsent,
    /// A comment id that does not exist in this repository.
    NoComment,
}

impl From<Gone> for MutErr {
    fn from(g: Gone) -> Self {
        MutErr::Gone(g)
    }
}

/// What a new issue starts with.
pub(crate) struct NewIssueData {
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub assignees: Vec<u32>,
    pub pr: Option<Pr>,
    pub closed: Option<String>,
}

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
            let id = self.next_milestone_id;
            self.next_milestone_id += 1;
            let mut ms = Milestone {
                id,
                number: k as u64 + 1,
                title: m.title.clone(),
                creator,
                created: m.created,
                due_on: m.due_on,
                open: counts[k].0,
                closed: counts[k].1,
                json: String::new(),
            };
            let repo = &self.repos[ri as usize];
            ms.json = render::milestone_json(
                &repo.api,
                &repo.html,
                ms.id,
                ms.number,
                &ms.title,
                &self.users[ms.creator as usize].json,
                ms.created,
                ms.due_on,
                ms.open,
                ms.closed,
            );
            self.repos[ri as usize].milestones.push(ms);
        }
        self.repos[ri as usize].issues.reserve(seed.issues.len());
        for s in seed.issues {
            let user = self.user(s.author);
            let assignees: Vec<u32> = s.assignees.iter().map(|a| self.user(a)).collect();
            let mut labels: Vec<u32> = s.labels.iter().map(|l| label_map[*l as usize]).collect();
            self.repos[ri as usize].sort_labels(&mut labels);
            let mut events = Vec::with_capacity(labels.len() + 1);
            for l in &labels {
                events.push(Event {
                    id: self.event_id(),
                    actor: user,
                    at: s.created,
                    kind: EventKind::Labeled(*l),
                });
            }
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
        now: i64,
    ) -> Result<(), MutErr> {
        let ix = self.locate(ri, number)?;
        self.repos[ri as usize].issues[ix].assignees = assignees;
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
