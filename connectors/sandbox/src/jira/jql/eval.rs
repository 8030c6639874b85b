//! Running a compiled query: whether an issue matches (an empty field never
//! matches a negative clause, as in Jira) and which projects a query can
//! match at most, so a search scans only those.

use super::super::adf;
use super::super::state::{Issue, World};
use super::lower::{EmptyField, Pred, Test, TextField, TimeField};
use super::parse::Op;
use super::Query;

impl Query {
    /// True when the query has no restriction (only an `ORDER BY`, or
    /// nothing).
    pub(crate) fn unbounded(&self) -> bool {
        self.pred.is_none()
    }

    /// The projects the query can match at most, when it says.
    pub(crate) fn projects(&self) -> Option<Vec<u32>> {
        self.pred.as_ref().and_then(projects_of)
    }

    /// The issues the query can match at most, when it names them (`key
    /// in (…)`, `id = …`).
    pub(crate) fn issues(&self) -> Option<Vec<u32>> {
        self.pred.as_ref().and_then(issues_of)
    }

    pub(crate) fn matches(&self, w: &World, i: u32) -> bool {
        self.pred.as_ref().is_none_or(|p| eval(p, w, i))
    }
}

/// The ids a query can match at most, when it says: the ids `pick` reads
/// from a positive test (a project's or an issue's), through `AND` (any
/// part that says) and `OR` (every part must say).
fn named_by(p: &Pred, pick: fn(&Test) -> Option<&Vec<u32>>) -> Option<Vec<u32>> {
    match p {
        Pred::Is { test, neg: false } => pick(test).cloned(),
        Pred::And(parts) => parts.iter().find_map(|x| named_by(x, pick)),
        Pred::Or(parts) => {
            let mut all = Vec::new();
            for x in parts {
                all.extend(named_by(x, pick)?);
            }
            all.sort_unstable();
            all.dedup();
            Some(all)
        }
        _ => None,
    }
}

fn projects_of(p: &Pred) -> Option<Vec<u32>> {
    named_by(p, |t| match t {
        Test::Project(ids) => Some(ids),
        _ => None,
    })
}

fn issues_of(p: &Pred) -> Option<Vec<u32>> {
    named_by(p, |t| match t {
        Test::Key(ids) => Some(ids),
        _ => None,
    })
}

fn eval(p: &Pred, w: &World, i: u32) -> bool {
    match p {
        Pred::And(v) => v.iter().all(|x| eval(x, w, i)),
        Pred::Or(v) => v.iter().any(|x| eval(x, w, i)),
        Pred::Not(x) => !eval(x, w, i),
        Pred::Is { test, neg } => {
            let issue = &w.issues[i as usize];
            match test_value(test, issue, i) {
                // The field is empty: only IS EMPTY tests look at that.
                None => false,
                Some(hit) => hit != *neg,
            }
        }
    }
}

/// `Some(matches)`, or `None` when the field is empty (negations of it are
/// false too, as in Jira).
fn test_value(t: &Test, issue: &Issue, i: u32) -> Option<bool> {
    Some(match t {
        Test::Project(ids) => ids.contains(&issue.project),
        Test::Labels(ls) => {
            if issue.labels.is_empty() {
                return None;
            }
            issue
                .labels
                .iter()
                .any(|l| ls.iter().any(|x| x.eq_ignore_ascii_case(l)))
        }
        Test::Type(ts) => ts.contains(&issue.itype),
        Test::Status(ss) => ss.contains(&issue.status),
        Test::Cat(cs) => cs.contains(&issue.cat()),
        Test::Resolution(rs) => {
            let mine = issue
                .resolution
                .as_ref()
                .map(|r| r.to_lowercase().replace('’', "'"));
            rs.contains(&mine)
        }
        Test::Priority(ps) => ps.contains(&issue.priority),
        Test::Assignee(us) => us.contains(&issue.assignee?),
        Test::Reporter(us) => us.contains(&issue.reporter),
        Test::Key(ids) => ids.contains(&i),
        Test::Time(f, op, ms) => {
            let v = time_of(issue, *f)?;
            match op {
                Op::Eq => v == *ms,
                Op::Ne => v != *ms,
                Op::Gt => v > *ms,
                Op::Ge => v >= *ms,
                Op::Lt => v < *ms,
                Op::Le => v <= *ms,
                _ => false,
            }
        }
        Test::Text(f, needle) => {
            let summary = || issue.summary.to_lowercase().contains(needle.as_str());
            let desc = || {
                issue
                    .description
                    .as_ref()
                    .is_some_and(|d| adf::to_text(d).to_lowercase().contains(needle.as_str()))
            };
            match f {
                TextField::Summary => summary(),
                TextField::Description => desc(),
                TextField::Any => summary() || desc(),
            }
        }
        Test::Empty(f) => match f {
            EmptyField::Labels => issue.labels.is_empty(),
            EmptyField::Assignee => issue.assignee.is_none(),
            EmptyField::Resolution => issue.resolution.is_none(),
            EmptyField::Due => issue.duedate.is_none(),
            EmptyField::Resolved => issue.resolved.is_none(),
            EmptyField::Description => issue.description.is_none(),
        },
    })
}

/// The value of a time field (a due date is midnight UTC).
pub(super) fn time_of(issue: &Issue, f: TimeField) -> Option<i64> {
    match f {
        TimeField::Created => Some(issue.created),
        TimeField::Updated => Some(issue.updated),
        TimeField::Resolved => issue.resolved,
        TimeField::Due => issue
            .duedate
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp_millis()),
    }
}
