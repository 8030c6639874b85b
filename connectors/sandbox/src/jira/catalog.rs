//! The fake Jira's fixed catalogue: the workflow's statuses and their
//! categories, issue types, priorities, link types, resolutions and the
//! custom fields with how each stores its value. Constant tables with
//! lookups by name or id; no state, so everything above (state, JQL,
//! rendering, the generator) can use it.

/// A status category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cat {
    New,
    Indeterminate,
    Done,
}

impl Cat {
    pub(crate) fn key(self) -> &'static str {
        match self {
            Cat::New => "new",
            Cat::Indeterminate => "indeterminate",
            Cat::Done => "done",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Cat::New => "To Do",
            Cat::Indeterminate => "In Progress",
            Cat::Done => "Done",
        }
    }

    pub(crate) fn id(self) -> u32 {
        match self {
            Cat::New => 2,
            Cat::Indeterminate => 4,
            Cat::Done => 3,
        }
    }

    pub(crate) fn color(self) -> &'static str {
        match self {
            Cat::New => "blue-gray",
            Cat::Indeterminate => "yellow",
            Cat::Done => "green",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Cat> {
        let s = s.trim();
        [Cat::New, Cat::Indeterminate, Cat::Done]
            .into_iter()
            .find(|c| c.key().eq_ignore_ascii_case(s) || c.name().eq_ignore_ascii_case(s))
    }
}

pub(crate) struct StatusDef {
    pub id: &'static str,
    pub name: &'static str,
    pub cat: Cat,
}

/// The workflow's statuses. Index 0 is where new issues start.
pub(crate) const STATUSES: [StatusDef; 6] = [
    StatusDef {
        id: "10000",
        name: "To Do",
        cat: Cat::New,
    },
    StatusDef {
        id: "3",
        name: "In Progress",
        cat: Cat::Indeterminate,
    },
    StatusDef {
        id: "10001",
        name: "In Review",
        cat: Cat::Indeterminate,
    },
    StatusDef {
        id: "10002",
        name: "Blocked",
        cat: Cat::Indeterminate,
    },
    StatusDef {
        id: "10003",
        name: "Done",
        cat: Cat::Done,
    },
    StatusDef {
        id: "6",
        name: "Closed",
        cat: Cat::Done,
    },
];
pub(crate) const ST_TODO: u8 = 0;
pub(crate) const ST_PROGRESS: u8 = 1;
pub(crate) const ST_REVIEW: u8 = 2;
pub(crate) const ST_BLOCKED: u8 = 3;
pub(crate) const ST_DONE: u8 = 4;
pub(crate) const ST_CLOSED: u8 = 5;

pub(crate) fn status_by_name(name: &str) -> Option<u8> {
    STATUSES
        .iter()
        .position(|s| s.name.eq_ignore_ascii_case(name.trim()) || s.id == name.trim())
        .map(|i| i as u8)
}

pub(crate) struct TypeDef {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub icon: &'static str,
    pub hierarchy: i32,
}

/// The site's issue types.
pub(crate) const ISSUE_TYPES: [TypeDef; 6] = [
    TypeDef {
        id: "10001",
        name: "Task",
        description: "A small, distinct piece of work.",
        icon: "task",
        hierarchy: 0,
    },
    TypeDef {
        id: "10002",
        name: "Bug",
        description: "A problem or error.",
        icon: "bug",
        hierarchy: 0,
    },
    TypeDef {
        id: "10003",
        name: "Story",
        description: "Functionality or a feature expressed as a user goal.",
        icon: "story",
        hierarchy: 0,
    },
    TypeDef {
        id: "10004",
        name: "Incident",
        description: "A service disruption and its response.",
        icon: "incident",
        hierarchy: 0,
    },
    TypeDef {
        id: "10005",
        name: "Risk",
        description: "Something that could go wrong, with its likelihood and impact.",
        icon: "risk",
        hierarchy: 0,
    },
    TypeDef {
        id: "10000",
        name: "Epic",
        description: "A big user story that needs to be broken down.",
        icon: "epic",
        hierarchy: 1,
    },
];
pub(crate) const T_TASK: u8 = 0;
pub(crate) const T_BUG: u8 = 1;
pub(crate) const T_STORY: u8 = 2;
pub(crate) const T_INCIDENT: u8 = 3;
pub(crate) const T_RISK: u8 = 4;

pub(crate) fn type_by_name(name: &str) -> Option<u8> {
    ISSUE_TYPES
        .iter()
        .position(|t| t.name.eq_ignore_ascii_case(name.trim()) || t.id == name.trim())
        .map(|i| i as u8)
}

/// (id, name, icon) from highest to lowest.
pub(crate) const PRIORITIES: [(&str, &str, &str); 5] = [
    ("1", "Highest", "highest"),
    ("2", "High", "high"),
    ("3", "Medium", "medium"),
    ("4", "Low", "low"),
    ("5", "Lowest", "lowest"),
];
pub(crate) const P_MEDIUM: u8 = 2;

pub(crate) fn priority_by_name(name: &str) -> Option<u8> {
    PRIORITIES
        .iter()
        .position(|p| p.1.eq_ignore_ascii_case(name.trim()) || p.0 == name.trim())
        .map(|i| i as u8)
}

/// (id, name, inward, outward).
pub(crate) const LINK_TYPES: [(&str, &str, &str, &str); 3] = [
    ("10003", "Relates", "relates to", "relates to"),
    ("10004", "Problem/Incident", "is caused by", "causes"),
    ("10000", "Blocks", "is blocked by", "blocks"),
];
pub(crate) const L_RELATES: u8 = 0;
pub(crate) const L_CAUSES: u8 = 1;

/// How a custom field stores and renders its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CfKind {
    /// Single-select: `{self, value, id}`.
    Select,
    /// User picker.
    User,
    /// `YYYY-MM-DD`.
    Date,
    /// A timestamp in the user's zone.
    DateTime,
    /// A float (`30.0`).
    Number,
    /// Multi-line text: ADF on v3, a string on v2.
    TextArea,
    /// Single-line text: a string.
    Text,
}

impl CfKind {
    pub(crate) fn schema(self) -> (&'static str, &'static str) {
        match self {
            CfKind::Select => ("option", "select"),
            CfKind::User => ("user", "userpicker"),
            CfKind::Date => ("date", "datepicker"),
            CfKind::DateTime => ("datetime", "datetime"),
            CfKind::Number => ("number", "float"),
            CfKind::TextArea => ("string", "textarea"),
            CfKind::Text => ("string", "textfield"),
        }
    }
}

/// The custom fields of the site: (id number, name, kind). Ids look like a
/// real site's (`customfield_10040`); names are exactly recur's headings.
pub(crate) const CUSTOM_FIELDS: [(u32, &str, CfKind); 26] = [
    (10015, "Start date", CfKind::Date),
    (10016, "Story point estimate", CfKind::Number),
    (10019, "Rank", CfKind::Text),
    (10040, "Service", CfKind::Select),
    (10041, "Team", CfKind::Select),
    (10042, "Owner", CfKind::User),
    (10043, "Target date", CfKind::Date),
    (10044, "Risk rationale", CfKind::TextArea),
    (10045, "Expected outcome", CfKind::TextArea),
    (10046, "Evidence of completion", CfKind::TextArea),
    (10047, "Blocked by", CfKind::Text),
    (10048, "Effort", CfKind::Text),
    (10049, "Theme", CfKind::Select),
    (10050, "Impact", CfKind::Select),
    (10051, "Scope", CfKind::Select),
    (10052, "Likelihood", CfKind::Select),
    (10053, "Time to detect (minutes)", CfKind::Number),
    (10054, "Time to repair (minutes)", CfKind::Number),
    (10055, "Users affected (%)", CfKind::Number),
    (10056, "Occurrences per year", CfKind::Number),
    (10057, "Days between failures", CfKind::Number),
    (10058, "SLO", CfKind::Text),
    (10059, "Last reviewed", CfKind::Date),
    (10060, "Started at", CfKind::DateTime),
    (10061, "Resolved at", CfKind::DateTime),
    (10062, "Severity", CfKind::Select),
];

/// Index into [`CUSTOM_FIELDS`] of the field called `name` (exact, then
/// case-insensitive) or with id `customfield_N`.
pub(crate) fn cf_index(name_or_id: &str) -> Option<u16> {
    let s = name_or_id.trim();
    if let Some(n) = s.strip_prefix("customfield_") {
        let n: u32 = n.parse().ok()?;
        return CUSTOM_FIELDS
            .iter()
            .position(|(id, _, _)| *id == n)
            .map(|i| i as u16);
    }
    CUSTOM_FIELDS
        .iter()
        .position(|(_, name, _)| *name == s)
        .or_else(|| {
            CUSTOM_FIELDS
                .iter()
                .position(|(_, name, _)| name.eq_ignore_ascii_case(s))
        })
        .map(|i| i as u16)
}

/// Resolution ids as a default site numbers them.
pub(crate) fn resolution_id(name: &str) -> String {
    match name.to_lowercase().replace('’', "'").as_str() {
        "done" => "10000",
        "won't do" => "10001",
        "duplicate" => "10002",
        "cannot reproduce" => "10003",
        _ => "10004",
    }
    .to_string()
}

pub(crate) fn resolution_description(name: &str) -> &'static str {
    match name.to_lowercase().replace('’', "'").as_str() {
        "done" => "Work has been completed on this issue.",
        "won't do" => "This issue won't be actioned.",
        "duplicate" => "The problem is a duplicate of an existing issue.",
        "cannot reproduce" => "All attempts at reproducing this issue failed.",
        _ => "",
    }
}
