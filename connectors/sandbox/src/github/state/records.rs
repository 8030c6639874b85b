//! The fake GitHub's records: organisations, users, labels, milestones,
//! issues (and pull requests) with their comments and events, and the
//! errors and inputs of the mutations. Labels, users and milestones carry
//! their JSON fragment, rendered once.

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

/// A milestone: what events and the due-date logic read, and its JSON
/// (id, number, creator, counts) rendered once.
pub(crate) struct Milestone {
    pub title: String,
    pub due_on: i64,
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
    /// User index.
    Assigned(u32),
    Unassigned(u32),
    /// Milestone index in the issue's repository.
    Milestoned(u32),
    Demilestoned(u32),
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
