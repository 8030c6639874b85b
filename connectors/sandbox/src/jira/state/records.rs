//! The fake Jira's records: users, projects, custom-field values, issues
//! with their comments, change histories and links, and why an issue
//! cannot be served.

use chrono::NaiveDate;
use serde_json::Value;

use super::super::catalog::{Cat, STATUSES};

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
    /// A priority change (indexes into [`crate::jira::catalog::PRIORITIES`]).
    pub(crate) fn priority(from: u8, to: u8) -> Self {
        let p = crate::jira::catalog::PRIORITIES;
        let (a, b) = (p[from as usize], p[to as usize]);
        ChangeItem::jira(
            "priority",
            Some(a.0.into()),
            Some(a.1.into()),
            Some(b.0.into()),
            Some(b.1.into()),
        )
    }

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
    /// Indexes into [`World::links`](super::World::links).
    pub links: Vec<u32>,
    /// (index into [`CUSTOM_FIELDS`](super::super::catalog::CUSTOM_FIELDS), value),
    /// set fields only.
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
