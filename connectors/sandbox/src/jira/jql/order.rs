//! JQL ordering: the sortable fields, each issue's sort values, and how two
//! issues compare (empty values last, then id, so the order is total and a
//! page token can say where a page ended).

use super::super::state::World;
use super::eval::time_of;
use super::lower::TimeField;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortField {
    Updated,
    Created,
    Resolved,
    Due,
    Key,
    Id,
    Summary,
    Priority,
}

/// The field an `ORDER BY` item names.
pub(super) fn sort_field(name: &str) -> Option<SortField> {
    Some(match name.to_lowercase().as_str() {
        "updated" | "updateddate" => SortField::Updated,
        "created" | "createddate" => SortField::Created,
        "resolved" | "resolutiondate" => SortField::Resolved,
        "due" | "duedate" => SortField::Due,
        "key" | "issuekey" => SortField::Key,
        "id" => SortField::Id,
        "summary" => SortField::Summary,
        "priority" => SortField::Priority,
        _ => return None,
    })
}

/// One sort value; `Null` sorts after everything.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SortVal {
    Int(i64),
    Str(String),
    Null,
}

/// The sort tuple of issue `i` under `order` (then id ascending, so the
/// order is total). Each entry carries its direction.
pub(crate) fn sort_key(w: &World, i: u32, order: &[(SortField, bool)]) -> Vec<(SortVal, bool)> {
    let issue = &w.issues[i as usize];
    let mut out = Vec::with_capacity(order.len() + 2);
    for (f, asc) in order {
        let int = |v: Option<i64>| v.map_or(SortVal::Null, SortVal::Int);
        match f {
            SortField::Updated => out.push((SortVal::Int(issue.updated), *asc)),
            SortField::Created => out.push((SortVal::Int(issue.created), *asc)),
            SortField::Resolved => out.push((int(issue.resolved), *asc)),
            SortField::Due => out.push((int(time_of(issue, TimeField::Due)), *asc)),
            SortField::Key => {
                out.push((
                    SortVal::Str(w.projects[issue.project as usize].key.clone()),
                    *asc,
                ));
                out.push((SortVal::Int(issue.number as i64), *asc));
            }
            SortField::Id => out.push((SortVal::Int(issue.id as i64), *asc)),
            SortField::Summary => out.push((SortVal::Str(issue.summary.to_lowercase()), *asc)),
            SortField::Priority => out.push((SortVal::Int(issue.priority as i64), *asc)),
        }
    }
    out.push((SortVal::Int(issue.id as i64), true));
    out
}

/// Compares two sort tuples built by [`sort_key`] (same order).
pub(crate) fn compare(a: &[(SortVal, bool)], b: &[(SortVal, bool)]) -> std::cmp::Ordering {
    for ((x, asc), (y, _)) in a.iter().zip(b) {
        let o = match (x, y) {
            // Empty values last whatever the direction.
            (SortVal::Null, SortVal::Null) => std::cmp::Ordering::Equal,
            (SortVal::Null, _) => return std::cmp::Ordering::Greater,
            (_, SortVal::Null) => return std::cmp::Ordering::Less,
            _ if *asc => x.cmp(y),
            _ => y.cmp(x),
        };
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Jira's order when the query gives none: key descending.
pub(crate) const DEFAULT_ORDER: [(SortField, bool); 1] = [(SortField::Key, false)];
