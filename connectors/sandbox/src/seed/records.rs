//! What the generator hands to a tracker's state: a repository with its
//! labels, milestones and issues (comments, closes, pull requests), in plain
//! values the state turns into its own records.

pub(crate) struct SeedRepo {
    pub full_name: String,
    pub description: String,
    pub created: i64,
    pub labels: Vec<SeedLabel>,
    pub milestones: Vec<SeedMilestone>,
    pub issues: Vec<SeedIssue>,
}

pub(crate) struct SeedLabel {
    pub name: String,
    pub color: String,
    pub description: Option<String>,
    pub default: bool,
}

pub(crate) struct SeedMilestone {
    pub title: String,
    pub created: i64,
    pub due_on: i64,
}

pub(crate) struct SeedIssue {
    pub title: String,
    pub body: String,
    /// Indexes into [`SeedRepo::labels`].
    pub labels: Vec<u32>,
    pub author: &'static str,
    pub assignees: Vec<&'static str>,
    /// Index into [`SeedRepo::milestones`].
    pub milestone: Option<usize>,
    pub created: i64,
    pub updated: i64,
    pub closed: Option<SeedClose>,
    pub pull_request: Option<SeedPr>,
    pub comments: Vec<SeedComment>,
    /// Open again after this close (so `state_reason` is `reopened`); the
    /// reopening happened at `updated`.
    pub reopened: Option<SeedClose>,
    /// One of `labels` was added this long after creation (seconds), not at
    /// creation: an item that entered the backlog, or got its priority,
    /// later. Its `labeled` event carries the later time.
    pub labelled_later: Option<(u32, i64)>,
    /// The priority was raised: the issue was created with this (lower)
    /// priority label, replaced by its current one at this time (epoch
    /// seconds).
    pub priority_raised: Option<(u32, i64)>,
    /// The target slipped: the issue was first in this (earlier) milestone,
    /// moved to its current one at this time (epoch seconds). Without it a
    /// milestoned issue got its milestone at creation.
    pub milestone_moved: Option<(usize, i64)>,
}

pub(crate) struct SeedClose {
    pub at: i64,
    pub reason: Option<&'static str>,
    pub by: &'static str,
}

pub(crate) struct SeedPr {
    pub draft: bool,
    pub merged_at: Option<i64>,
}

pub(crate) struct SeedComment {
    pub author: &'static str,
    pub body: String,
    pub created: i64,
}
