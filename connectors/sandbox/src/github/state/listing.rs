//! A repository and its listing query: the filters and sort of
//! `GET /repos/{owner}/{repo}/issues`, answered from a per-repository cache
//! until the repository next changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::records::{Issue, Label, Milestone};

/// Cached listings per repository before the cache is flushed.
const CACHE_ENTRIES: usize = 256;

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
    pub(super) label_index: HashMap<String, u32>,
    pub milestones: Vec<Milestone>,
    /// Listing results until the next change. A Mutex inside the RwLock'd
    /// world so readers can fill it; held only for a lookup or an insert.
    pub(super) cache: Mutex<HashMap<ListKey, Arc<Vec<u32>>>>,
}

impl Repo {
    /// Index of the label called `name` (case-insensitive).
    pub(crate) fn label(&self, name: &str) -> Option<u32> {
        self.label_index.get(&name.to_lowercase()).copied()
    }

    /// Forgets cached listings: call on every change to the repository.
    pub(super) fn changed(&mut self) {
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

    /// Sorts label indexes by name (as GitHub returns them), without
    /// duplicates.
    pub(super) fn sort_labels(&self, labels: &mut Vec<u32>) {
        labels.sort_by(|a, b| {
            self.labels[*a as usize]
                .name
                .cmp(&self.labels[*b as usize].name)
        });
        labels.dedup();
    }
}
