//! [`GithubHandle`]: what tests see of the fake GitHub and how they change
//! it, with the snapshots it returns and the issues it creates.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::state::{Fate, ListKey, MutErr, NewIssueData, Pr, SortKey, StateFilter, World};
use super::{now_secs, Shared, HANDLE_ACTOR};
use crate::counters::RequestRecord;
use crate::faults::{Fault, FaultRule};

/// A comment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentSnapshot {
    /// Comment id.
    pub id: u64,
    /// Markdown body.
    pub body: String,
    /// Author login.
    pub user: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last edit time.
    pub updated_at: DateTime<Utc>,
}

/// An issue (or pull request) as stored, including deleted and transferred
/// ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueSnapshot {
    /// `owner/name`.
    pub repo: String,
    /// Issue number.
    pub number: u64,
    /// Issue id (the JSON `id`).
    pub id: u64,
    /// Title.
    pub title: String,
    /// Body; empty when the issue has none.
    pub body: String,
    /// `open` or `closed`.
    pub state: String,
    /// `completed`, `not_planned`, `reopened`, `duplicate`, … or none.
    pub state_reason: Option<String>,
    /// Label names, as GitHub orders them (by name).
    pub labels: Vec<String>,
    /// Assignee logins.
    pub assignees: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update time.
    pub updated_at: DateTime<Utc>,
    /// Close time.
    pub closed_at: Option<DateTime<Utc>>,
    /// Milestone due date.
    pub milestone_due_on: Option<DateTime<Utc>>,
    /// Comments in id order (empty for a transferred issue: they moved).
    pub comments: Vec<CommentSnapshot>,
    /// A pull request rather than an issue.
    pub is_pull_request: bool,
    /// Deleted (the API answers 410).
    pub deleted: bool,
    /// Transferred to `(owner/name, number)` (the API answers 301).
    pub transferred_to: Option<(String, u64)>,
}

/// What a new issue starts with (see [`GithubHandle::create_issue`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewIssue {
    /// Title (must not be blank).
    pub title: String,
    /// Body; empty for none.
    pub body: String,
    /// Label names; unknown ones are created on the repository.
    pub labels: Vec<String>,
    /// Make it a pull request.
    pub pull_request: bool,
    /// Assignee login.
    pub assignee: Option<String>,
    /// Create it closed with this `state_reason` (`completed`, …).
    pub state_closed: Option<&'static str>,
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// Test control over the fake GitHub: counters, reads, human-like edits,
/// faults and the rate budget. Cheap to clone.
#[derive(Clone)]
pub struct GithubHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for GithubHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubHandle")
            .field("base", &self.shared.base)
            .finish()
    }
}

impl GithubHandle {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        GithubHandle { shared }
    }

    // --- counters -------------------------------------------------------

    /// Requests received for a route template such as
    /// `"GET /repos/{owner}/{repo}/issues"` (see [`ROUTE_TEMPLATES`](super::ROUTE_TEMPLATES)).
    /// The `/repositories/{id}/…` and `/organizations/{id}/…` forms that
    /// `Link` headers point to count under the same template as the
    /// `/repos/{owner}/{repo}/…` and `/orgs/{org}/…` forms. Faulted requests
    /// count too.
    pub fn requests(&self, route: &str) -> u64 {
        self.shared.counters.requests(route)
    }

    /// Requests received on any route.
    pub fn total_requests(&self) -> u64 {
        self.shared.counters.total()
    }

    /// Answers sent gzip-compressed (`Content-Encoding: gzip`) because the
    /// request said `Accept-Encoding: gzip`.
    pub fn gzip_answers(&self) -> u64 {
        self.shared.counters.gzipped()
    }

    /// Every route template with its count, sorted (for diagnostics).
    pub fn route_counts(&self) -> Vec<(String, u64)> {
        self.shared.counters.by_route()
    }

    /// Each request in arrival order (at most the last 200,000).
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.shared.counters.log()
    }

    /// Clears counts, the log and [`GithubHandle::rate_points_spent`] (not
    /// the budgets themselves).
    pub fn reset_counters(&self) {
        self.shared.counters.reset();
        let mut b = self.shared.budgets();
        b.auth.reset_spent();
        b.anon.reset_spent();
    }

    /// What is left of the authenticated budget in this window.
    pub fn rate_limit_remaining(&self) -> i64 {
        self.shared.budgets().auth.peek(now_secs()).remaining
    }

    /// Primary-budget points spent (authenticated and anonymous) since
    /// start or [`GithubHandle::reset_counters`].
    pub fn rate_points_spent(&self) -> i64 {
        let b = self.shared.budgets();
        b.auth.spent() + b.anon.spent()
    }

    /// Sets the authenticated budget's remaining points in this window
    /// (0 makes every request a 403 until the reset).
    pub fn set_rate_limit_remaining(&self, remaining: i64) {
        self.shared
            .budgets()
            .auth
            .set_remaining(now_secs(), remaining);
    }

    // --- faults ---------------------------------------------------------

    /// Adds a scripted fault; rules are consumed in order by matching
    /// requests.
    pub fn push_fault(&self, rule: FaultRule) {
        self.shared.faults.push(rule);
    }

    /// Faults each request (not taken by a scripted rule) with probability
    /// `rate`, picking uniformly among `kinds`, from an RNG seeded with
    /// `seed`.
    pub fn set_random_faults(&self, rate: f64, kinds: Vec<Fault>, seed: u64) {
        self.shared.faults.set_random(rate, kinds, seed);
    }

    /// Removes scripted and random faults.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    // --- reads ----------------------------------------------------------

    /// `owner/name` of every repository, in creation order.
    pub fn repos(&self) -> Vec<String> {
        self.shared
            .read()
            .repos
            .iter()
            .map(|r| r.full_name.clone())
            .collect()
    }

    /// The issue or pull request `repo#number` as stored, or `None` if the
    /// number was never used.
    pub fn issue(&self, repo: &str, number: u64) -> Option<IssueSnapshot> {
        let w = self.shared.read();
        let ri = w.repo(repo)?;
        let r = &w.repos[ri as usize];
        let i = r
            .issues
            .get(usize::try_from(number).ok()?.checked_sub(1)?)?;
        let login = |u: u32| w.users[u as usize].login.clone();
        Some(IssueSnapshot {
            repo: r.full_name.clone(),
            number,
            id: i.id,
            title: i.title.clone(),
            body: i.body.clone(),
            state: if i.closed { "closed" } else { "open" }.to_string(),
            state_reason: i.state_reason.clone(),
            labels: i
                .labels
                .iter()
                .map(|l| r.labels[*l as usize].name.clone())
                .collect(),
            assignees: i.assignees.iter().map(|u| login(*u)).collect(),
            created_at: at(i.created),
            updated_at: at(i.updated),
            closed_at: i.closed_at.map(at),
            milestone_due_on: i.milestone.map(|m| at(r.milestones[m as usize].due_on)),
            comments: i
                .comments
                .iter()
                .map(|c| CommentSnapshot {
                    id: c.id,
                    body: c.body.clone(),
                    user: login(c.user),
                    created_at: at(c.created),
                    updated_at: at(c.updated),
                })
                .collect(),
            is_pull_request: i.pr.is_some(),
            deleted: i.fate == Fate::Deleted,
            transferred_to: match i.fate {
                Fate::Moved { repo, number } => {
                    Some((w.repos[repo as usize].full_name.clone(), number))
                }
                _ => None,
            },
        })
    }

    /// How many entries `GET /repos/{repo}/issues?labels={label}&state={state}`
    /// returns over all its pages, pull requests included (as GitHub does).
    /// `state` is `open`, `closed` or `all`; an unknown repository or label
    /// gives 0.
    pub fn count_listing(&self, repo: &str, label: Option<&str>, state: &str) -> usize {
        let w = self.shared.read();
        let Some(ri) = w.repo(repo) else {
            return 0;
        };
        let r = &w.repos[ri as usize];
        let labels = match label {
            Some(name) => match r.label(name) {
                Some(l) => vec![l],
                None => return 0,
            },
            None => Vec::new(),
        };
        let state = match state {
            "closed" => StateFilter::Closed,
            "all" => StateFilter::All,
            _ => StateFilter::Open,
        };
        r.list(&ListKey {
            state,
            labels,
            since: None,
            sort: SortKey::Created,
            asc: true,
        })
        .len()
    }

    /// Numbers of the live issues and pull requests of `repo` (not deleted,
    /// not transferred away), ascending.
    pub fn issue_numbers(&self, repo: &str) -> Vec<u64> {
        let w = self.shared.read();
        let Some(ri) = w.repo(repo) else {
            return Vec::new();
        };
        w.repos[ri as usize]
            .issues
            .iter()
            .filter(|i| i.is_live())
            .map(|i| i.number)
            .collect()
    }

    // --- writes ---------------------------------------------------------

    /// Edits made through this handle from now on happen at `at` (creation,
    /// closing, labels, …: their times and events), so a test can lay down
    /// a history with edits on set days; `None` goes back to the wall
    /// clock. Requests to the API keep the wall clock.
    pub fn set_edit_time(&self, at: Option<DateTime<Utc>>) {
        self.shared
            .handle_clock
            .store(at.map_or(0, |t| t.timestamp()), Ordering::SeqCst);
    }

    fn edit_now(&self) -> i64 {
        match self.shared.handle_clock.load(Ordering::SeqCst) {
            0 => now_secs(),
            t => t,
        }
    }

    fn edit<T>(
        &self,
        repo: &str,
        number: u64,
        f: impl FnOnce(&mut World, u32, u32, i64) -> Result<T, MutErr>,
    ) -> T {
        let now = self.edit_now();
        let mut w = self.shared.write();
        let ri = w.add_default_repo(repo, now);
        let actor = w.user(HANDLE_ACTOR);
        match f(&mut w, ri, actor, now) {
            Ok(v) => v,
            Err(e) => panic!("sandbox: cannot edit {repo}#{number}: {e:?}"),
        }
    }

    /// Creates an issue (or pull request) authored by `alice`; returns its
    /// number.
    pub fn create_issue(&self, repo: &str, issue: NewIssue) -> u64 {
        self.edit(repo, 0, |w, ri, actor, now| {
            let assignees = issue.assignee.iter().map(|a| w.user(a)).collect();
            w.create_issue(
                ri,
                NewIssueData {
                    title: issue.title,
                    body: issue.body,
                    labels: issue.labels,
                    assignees,
                    pr: issue.pull_request.then_some(Pr {
                        draft: false,
                        merged_at: None,
                    }),
                    closed: issue.state_closed.map(str::to_string),
                },
                actor,
                now,
            )
        })
    }

    /// Sets the assignees (records `assigned` / `unassigned` events).
    pub fn set_assignees(&self, repo: &str, number: u64, logins: &[&str]) {
        self.edit(repo, number, |w, ri, actor, now| {
            let ids = logins.iter().map(|l| w.user(l)).collect();
            w.set_assignees(ri, number, ids, actor, now)
        })
    }

    /// Adds a milestone due on `due` (midnight UTC of that day, as
    /// GitHub stores due dates) to `repo`.
    pub fn add_milestone(&self, repo: &str, title: &str, due: chrono::NaiveDate) {
        self.edit(repo, 0, |w, ri, actor, now| {
            let due_on = due
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp();
            w.add_milestone(ri, title, actor, now, due_on, (0, 0));
            Ok(())
        })
    }

    /// Sets (by title) or clears an issue's milestone (records
    /// `demilestoned` / `milestoned` events). Panics on an unknown title.
    pub fn set_milestone(&self, repo: &str, number: u64, title: Option<&str>) {
        self.edit(repo, number, |w, ri, actor, now| {
            let m = title.map(|t| {
                w.repos[ri as usize]
                    .milestones
                    .iter()
                    .position(|m| m.title == t)
                    .unwrap_or_else(|| panic!("sandbox: no milestone {t:?} in {repo}"))
                    as u32
            });
            w.set_milestone(ri, number, m, actor, now)
        })
    }

    /// Renames an issue (records a `renamed` event).
    pub fn set_title(&self, repo: &str, number: u64, title: &str) {
        self.edit(repo, number, |w, ri, actor, now| {
            w.set_title(ri, number, title, actor, now)
        })
    }

    /// Replaces an issue's body.
    pub fn set_body(&self, repo: &str, number: u64, body: &str) {
        self.edit(repo, number, |w, ri, _, now| {
            w.set_body(ri, number, body, now)
        })
    }

    /// Adds a label (created on the repository if new); no-op if present.
    pub fn add_label(&self, repo: &str, number: u64, label: &str) {
        self.edit(repo, number, |w, ri, actor, now| {
            w.add_labels(ri, number, &[label.to_string()], actor, now)
        })
    }

    /// Registers a GitHub App with one installation on every repository.
    pub fn register_app(&self, app: super::SandboxApp) {
        self.shared.apps.register(app);
    }

    /// Installation tokens issued so far.
    pub fn app_tokens_issued(&self) -> u64 {
        self.shared.apps.issued()
    }

    /// Gives `repo` no issue forms (`recur check` then says so).
    pub fn remove_issue_forms(&self, repo: &str) {
        self.edit(repo, 0, |w, ri, _, _| {
            w.no_issue_forms.insert(ri);
            Ok(())
        })
    }

    /// Removes a label; no-op if absent.
    pub fn remove_label(&self, repo: &str, number: u64, label: &str) {
        self.edit(repo, number, |w, ri, actor, now| {
            match w.remove_label(ri, number, label, actor, now) {
                Err(MutErr::LabelAbsent) => Ok(()),
                other => other,
            }
        })
    }

    /// Closes with `state_reason` = `reason` (`completed`, `not_planned`,
    /// or anything else, since enums grow).
    pub fn close(&self, repo: &str, number: u64, reason: &str) {
        self.edit(repo, number, |w, ri, actor, now| {
            w.set_state(ri, number, true, Some(reason.to_string()), actor, now)
        })
    }

    /// Reopens (`state_reason` becomes `reopened`).
    pub fn reopen(&self, repo: &str, number: u64) {
        self.edit(repo, number, |w, ri, actor, now| {
            w.set_state(ri, number, false, None, actor, now)
        })
    }

    /// Deletes: the API answers 410 and lists no longer show it.
    pub fn delete_issue(&self, repo: &str, number: u64) {
        self.edit(repo, number, |w, ri, _, _| w.delete_issue(ri, number))
    }

    /// Transfers to `to_repo`; returns the new number there. The old URL
    /// answers 301 to the new one.
    pub fn transfer_issue(&self, repo: &str, number: u64, to_repo: &str) -> u64 {
        self.edit(repo, number, |w, ri, _, now| {
            let to = w.add_default_repo(to_repo, now);
            w.transfer(ri, number, to, now)
        })
    }

    /// Adds a comment by `user`; returns its id.
    pub fn add_comment(&self, repo: &str, number: u64, user: &str, body: &str) -> u64 {
        self.edit(repo, number, |w, ri, _, now| {
            let u = w.user(user);
            w.add_comment(ri, number, u, body, now)
        })
    }

    /// Bumps `updated_at` only.
    pub fn touch(&self, repo: &str, number: u64) {
        self.edit(repo, number, |w, ri, _, now| w.touch(ri, number, now))
    }
}
