//! [`JiraHandle`]: what tests see of the fake Jira and how they change it,
//! with the snapshots it returns and the issues it creates.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::catalog::{
    self, cf_index, Cat, CfKind, CUSTOM_FIELDS, ISSUE_TYPES, LINK_TYPES, STATUSES, ST_DONE,
    ST_PROGRESS, ST_TODO,
};
use super::clock::now_ms;
use super::state::{check_label, CfVal, World};
use super::values::{cf_value, CfMode};
use super::{adf, json, Shared, HANDLE_ACTOR, USER_TZ_OFFSET_MINUTES};
use crate::counters::RequestRecord;
use crate::faults::{Fault, FaultRule};

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// An issue as stored, including deleted and moved ones.
#[derive(Debug, Clone, PartialEq)]
pub struct JiraIssueSnapshot {
    /// The key asked for (an old key for a moved issue), upper-case.
    pub key: String,
    /// Issue id (the JSON `id`).
    pub id: String,
    /// Current project key.
    pub project: String,
    /// Summary.
    pub summary: String,
    /// The description as plain text (the sandbox's own ADF rendering);
    /// empty when there is none.
    pub description_text: String,
    /// Labels, sorted.
    pub labels: Vec<String>,
    /// Status name (`To Do`, `In Progress`, `In Review`, `Blocked`, `Done`,
    /// `Closed`).
    pub status: String,
    /// Status category key: `new`, `indeterminate` or `done`.
    pub status_category: String,
    /// Resolution name, if resolved.
    pub resolution: Option<String>,
    /// Issue type name.
    pub issue_type: String,
    /// Assignee login.
    pub assignee: Option<String>,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Last update (millisecond precision).
    pub updated: DateTime<Utc>,
    /// Resolution time.
    pub resolved: Option<DateTime<Utc>>,
    /// Deleted (the API answers 404).
    pub deleted: bool,
    /// The current key when `key` is an old key of a moved issue.
    pub moved_to: Option<String>,
    /// Comments as `(id, plain-text body, author login)`, oldest first.
    pub comments: Vec<(String, String, String)>,
    /// Set custom fields by name, as REST v3 renders them.
    pub fields: BTreeMap<String, Value>,
    /// Links as `(relation from this issue's side, other key)`, e.g.
    /// `("is caused by", "OPS-12")`; links to deleted issues left out.
    pub links: Vec<(String, String)>,
    /// Number of history entries.
    pub histories: usize,
}

/// What a new issue starts with (see [`JiraHandle::create_issue`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewJiraIssue {
    /// Summary (must not be blank).
    pub summary: String,
    /// Description as plain text; empty for none.
    pub description: String,
    /// Labels (no spaces).
    pub labels: Vec<String>,
    /// Issue type name; empty means `Task`.
    pub issue_type: String,
    /// Custom fields by name (`"Target date"`), values as REST v3 takes
    /// them or simpler: a string for options, users (login) and rich text.
    pub fields: BTreeMap<String, Value>,
}

/// Test control over the fake Jira: counters, faults, reads and human-like
/// edits. Cheap to clone.
#[derive(Clone)]
pub struct JiraHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for JiraHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JiraHandle")
            .field("base", &self.shared.base)
            .finish()
    }
}

impl JiraHandle {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        JiraHandle { shared }
    }

    // --- counters -------------------------------------------------------

    /// Requests received for a route template such as
    /// `"POST /rest/api/3/search/jql"` (see [`ROUTE_TEMPLATES`](super::ROUTE_TEMPLATES)). Faulted
    /// and unauthorised requests count too.
    pub fn requests(&self, route: &str) -> u64 {
        self.shared.counters.requests(route)
    }

    /// Requests received on any Jira route.
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

    /// Each Jira request in arrival order (at most the last 200,000).
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.shared.counters.log()
    }

    /// Clears counts and the log.
    pub fn reset_counters(&self) {
        self.shared.counters.reset();
    }

    // --- faults and knobs -------------------------------------------------

    /// Adds a scripted fault; rules are consumed in order by matching
    /// requests (a rule's `route` is a substring of the path and query).
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

    /// Caps every search page (Cloud and Data Center) at `cap` issues, and
    /// every bulk changelog page at `cap` histories, on top of Jira's own
    /// caps; `None` restores the defaults (Cloud: 100, 37 when more than 5
    /// fields are asked for, 5000 for ids only; Data Center: 1000; bulk
    /// changelog: 1000).
    pub fn set_page_cap(&self, cap: Option<usize>) {
        self.shared
            .page_cap
            .store(cap.unwrap_or(0), Ordering::Relaxed);
    }

    /// Makes the site slow the way a large page is slow: every search and
    /// bulk fetch answer waits `per_kib` for each KiB of its body before it
    /// is sent (the request runs at once); `None` answers at once again.
    pub fn set_think_per_kib(&self, per_kib: Option<std::time::Duration>) {
        self.shared.think_per_kib_us.store(
            per_kib.map_or(0, |d| d.as_micros() as u64),
            Ordering::Relaxed,
        );
    }

    /// Takes `POST /changelog/bulkfetch` away (404, as on a site that does
    /// not have it) or gives it back.
    pub fn set_bulk_changelog(&self, served: bool) {
        self.shared
            .no_bulk_changelog
            .store(!served, Ordering::Relaxed);
    }

    /// Takes `POST /issue/bulkfetch` away (404, as on a site that does not
    /// have it) or gives it back.
    pub fn set_bulk_fetch(&self, served: bool) {
        self.shared.no_bulk_fetch.store(!served, Ordering::Relaxed);
    }

    /// Caps `POST /issue/bulkfetch` at `max` issues a request (more is a
    /// 400, as Jira answers a request over its limit); `None` restores
    /// Jira's limits (1,000 for a request naming its fields, else 100).
    pub fn set_bulk_fetch_max(&self, max: Option<usize>) {
        self.shared
            .bulk_fetch_max
            .store(max.unwrap_or(0), Ordering::Relaxed);
    }

    /// The API user's profile zone as minutes east of UTC (−480).
    pub fn user_timezone_offset_minutes(&self) -> i32 {
        USER_TZ_OFFSET_MINUTES
    }

    // --- reads ----------------------------------------------------------

    /// Project keys, in creation order.
    pub fn projects(&self) -> Vec<String> {
        self.shared
            .read()
            .projects
            .iter()
            .map(|p| p.key.clone())
            .collect()
    }

    /// The issue `key` (current or old key) or id as stored, or `None` if
    /// it never existed.
    pub fn issue(&self, key: &str) -> Option<JiraIssueSnapshot> {
        let w = self.shared.read();
        let i = w.lookup(key)?;
        let issue = &w.issues[i as usize];
        let current = w.key_of(i);
        let asked = key.trim().to_uppercase();
        let moved_to = (asked != current
            && issue
                .old_keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&asked)))
        .then(|| current.clone());
        let shown = if moved_to.is_some() { asked } else { current };
        let login = |u: u32| w.users[u as usize].login.clone();
        let ctx = json::Ctx {
            w: &w,
            base: &self.shared.base,
            v3: true,
        };
        let st = &STATUSES[issue.status as usize];
        let links = issue
            .links
            .iter()
            .filter_map(|l| {
                let link = &w.links[*l as usize];
                let (_, _, inward, outward) = LINK_TYPES[link.ltype as usize];
                let (rel, other) = if link.outward == i {
                    (outward, link.inward)
                } else {
                    (inward, link.outward)
                };
                (!w.issues[other as usize].deleted).then(|| (rel.to_string(), w.key_of(other)))
            })
            .collect();
        Some(JiraIssueSnapshot {
            key: shown,
            id: issue.id.to_string(),
            project: w.projects[issue.project as usize].key.clone(),
            summary: issue.summary.clone(),
            description_text: issue
                .description
                .as_ref()
                .map(adf::to_text)
                .unwrap_or_default(),
            labels: issue.labels.clone(),
            status: st.name.to_string(),
            status_category: st.cat.key().to_string(),
            resolution: issue.resolution.clone(),
            issue_type: ISSUE_TYPES[issue.itype as usize].name.to_string(),
            assignee: issue.assignee.map(login),
            created: at(issue.created),
            updated: at(issue.updated),
            resolved: issue.resolved.map(at),
            deleted: issue.deleted,
            moved_to,
            comments: issue
                .comments
                .iter()
                .map(|c| (c.id.to_string(), adf::to_text(&c.body), login(c.author)))
                .collect(),
            fields: issue
                .custom
                .iter()
                .map(|(ix, v)| {
                    (
                        CUSTOM_FIELDS[*ix as usize].1.to_string(),
                        ctx.custom_value(*ix, v),
                    )
                })
                .collect(),
            links,
            histories: issue.histories.len(),
        })
    }

    /// Keys of the live issues of `project` (not deleted, not moved away),
    /// by number.
    pub fn keys(&self, project: &str) -> Vec<String> {
        let w = self.shared.read();
        let Some(p) = w.project(project) else {
            return Vec::new();
        };
        let mut live: Vec<u32> = w.projects[p as usize]
            .issues
            .iter()
            .copied()
            .filter(|i| !w.issues[*i as usize].deleted)
            .collect();
        live.sort_by_key(|i| w.issues[*i as usize].number);
        live.into_iter().map(|i| w.key_of(i)).collect()
    }

    /// What a Tracked search of `project` returns: live issues carrying
    /// one of `labels` or of a type in `types` (both case-insensitive), in
    /// `updated ASC, key ASC` order.
    pub fn tracked_keys(&self, project: &str, labels: &[&str], types: &[&str]) -> Vec<String> {
        let w = self.shared.read();
        let Some(p) = w.project(project) else {
            return Vec::new();
        };
        let mut hits: Vec<u32> = w.projects[p as usize]
            .issues
            .iter()
            .copied()
            .filter(|i| {
                let issue = &w.issues[*i as usize];
                !issue.deleted
                    && (labels.iter().any(|l| issue.has_label(l))
                        || types.iter().any(|t| {
                            ISSUE_TYPES[issue.itype as usize]
                                .name
                                .eq_ignore_ascii_case(t)
                        }))
            })
            .collect();
        hits.sort_by_key(|i| (w.issues[*i as usize].updated, w.issues[*i as usize].number));
        hits.into_iter().map(|i| w.key_of(i)).collect()
    }

    // --- writes ---------------------------------------------------------

    /// Edits made through this handle from now on happen at `at` (their
    /// times and changelog entries), so a test can lay down a history with
    /// edits on set days; `None` goes back to the wall clock. Requests to
    /// the API keep the wall clock.
    pub fn set_edit_time(&self, at: Option<DateTime<Utc>>) {
        self.shared
            .handle_clock
            .store(at.map_or(0, |t| t.timestamp_millis()), Ordering::SeqCst);
    }

    fn edit_now(&self) -> i64 {
        match self.shared.handle_clock.load(Ordering::SeqCst) {
            0 => now_ms(),
            t => t,
        }
    }

    fn edit<T>(&self, key: &str, f: impl FnOnce(&mut World, u32, u32, i64) -> T) -> T {
        let now = self.edit_now();
        let mut w = self.shared.write();
        let i = match w.resolve(key) {
            Ok(i) => i,
            Err(_) => panic!("sandbox jira: no live issue {key}"),
        };
        let actor = w.user(HANDLE_ACTOR);
        f(&mut w, i, actor, now)
    }

    /// Creates an issue reported by `alice` (the project is created if
    /// missing); returns its key. Panics on an unknown issue type or field
    /// name, a label with spaces or an invalid field value.
    pub fn create_issue(&self, project: &str, issue: NewJiraIssue) -> String {
        let now = self.edit_now();
        let mut w = self.shared.write();
        let p = w.add_project(project, project);
        let actor = w.user(HANDLE_ACTOR);
        let itype = if issue.issue_type.trim().is_empty() {
            0
        } else {
            catalog::type_by_name(&issue.issue_type).unwrap_or_else(|| {
                panic!("sandbox jira: unknown issue type {:?}", issue.issue_type)
            })
        };
        assert!(
            !issue.summary.trim().is_empty(),
            "sandbox jira: blank summary"
        );
        let mut new = w.blank_issue(issue.summary.trim(), itype, actor, now);
        for l in &issue.labels {
            if let Err(e) = check_label(l) {
                panic!("sandbox jira: bad label {l:?}: {e:?}");
            }
        }
        new.labels = issue.labels.clone();
        new.labels.sort();
        new.labels.dedup();
        if !issue.description.trim().is_empty() {
            new.description = Some(adf::from_text(&issue.description));
        }
        for (name, v) in &issue.fields {
            let ix =
                cf_index(name).unwrap_or_else(|| panic!("sandbox jira: unknown field {name:?}"));
            let val = handle_value(&mut w, ix, v)
                .unwrap_or_else(|e| panic!("sandbox jira: bad value for {name:?}: {e}"));
            new.set_cf(ix, val);
        }
        let i = w.push_issue(p, new);
        w.key_of(i)
    }

    /// Changes the summary.
    pub fn set_summary(&self, key: &str, summary: &str) {
        self.edit(key, |w, i, a, now| {
            if let Err(e) = w.set_summary(i, summary, a, now) {
                panic!("sandbox jira: cannot set the summary of {key}: {e:?}");
            }
        })
    }

    /// Replaces the description with `text` as ADF (empty: none).
    pub fn set_description(&self, key: &str, text: &str) {
        self.edit(key, |w, i, a, now| {
            let doc = (!text.trim().is_empty()).then(|| adf::from_text(text));
            w.set_description(i, doc, a, now);
        })
    }

    /// Sets custom field `name` (`Value::Null` clears it); values as in
    /// [`NewJiraIssue::fields`].
    pub fn set_field(&self, key: &str, name: &str, value: Value) {
        self.edit(key, |w, i, a, now| {
            let ix =
                cf_index(name).unwrap_or_else(|| panic!("sandbox jira: unknown field {name:?}"));
            let v = handle_value(w, ix, &value)
                .unwrap_or_else(|e| panic!("sandbox jira: bad value for {name:?}: {e}"));
            w.set_custom(i, ix, v, a, now);
        })
    }

    /// Adds a label; no change (and no bump) if present.
    pub fn add_label(&self, key: &str, label: &str) {
        self.edit(key, |w, i, a, now| {
            if let Err(e) = w.edit_labels(i, &[label.to_string()], &[], None, a, now) {
                panic!("sandbox jira: cannot add {label:?} to {key}: {e:?}");
            }
        })
    }

    /// Removes a label; no change (and no bump) if absent.
    pub fn remove_label(&self, key: &str, label: &str) {
        self.edit(key, |w, i, a, now| {
            let _ = w.edit_labels(i, &[], &[label.to_string()], None, a, now);
        })
    }

    /// Moves the issue to `category` (`new` → To Do, `indeterminate` → In
    /// Progress, `done` → Done) or to the status of that name (`Blocked`,
    /// `In Review`, `Closed`, …). Entering a done status sets `resolution`
    /// (`Done`, `Won't Do`, anything); `None` there leaves the issue done
    /// without a resolution, as a workflow without a resolution screen
    /// does. Leaving done clears the resolution.
    pub fn transition(&self, key: &str, category: &str, resolution: Option<&str>) {
        let status = match Cat::parse(category) {
            Some(Cat::New) => ST_TODO,
            Some(Cat::Indeterminate) => ST_PROGRESS,
            Some(Cat::Done) => ST_DONE,
            None => catalog::status_by_name(category)
                .unwrap_or_else(|| panic!("sandbox jira: unknown status {category:?}")),
        };
        self.edit(key, |w, i, a, now| {
            w.transition(i, status, resolution, a, now);
        })
    }

    /// Deletes: the API answers 404 and searches no longer show it.
    pub fn delete_issue(&self, key: &str) {
        self.edit(key, |w, i, _, _| w.delete(i))
    }

    /// Moves the issue to `to_project` (created if missing) under its next
    /// number; returns the new key. The old key keeps answering, with the
    /// new key in the body.
    pub fn move_issue(&self, key: &str, to_project: &str) -> String {
        self.edit(key, |w, i, a, now| {
            let to = w.add_project(to_project, to_project);
            w.move_to(i, to, a, now)
        })
    }

    /// Sets `updated` to exactly `at` (to put an issue at a cursor's
    /// minute); nothing else changes.
    pub fn set_updated(&self, key: &str, at: DateTime<Utc>) {
        self.edit(key, |w, i, _, _| {
            w.issues[i as usize].updated = at.timestamp_millis();
        })
    }

    /// Adds a comment by `author` (a login); returns its id.
    pub fn add_comment(&self, key: &str, author: &str, body: &str) -> String {
        self.add_comment_with_properties(key, author, body, Vec::new())
    }

    /// Adds a comment by `author` carrying entity `properties` (key, value),
    /// as any user may set on their own comment; returns its id.
    pub fn add_comment_with_properties(
        &self,
        key: &str,
        author: &str,
        body: &str,
        properties: Vec<(String, Value)>,
    ) -> String {
        self.edit(key, |w, i, _, now| {
            let u = w.user(author);
            w.add_comment(i, u, adf::from_text(body), properties, now)
                .to_string()
        })
    }
}

/// A handle-supplied value: strings are accepted for users (created on
/// first use) and rich text.
fn handle_value(w: &mut World, ix: u16, v: &Value) -> Result<Option<CfVal>, String> {
    if CUSTOM_FIELDS[ix as usize].2 == CfKind::User {
        if let Some(login) = v.as_str() {
            if w.find_user(login).is_none() {
                w.user(login);
            }
        }
    }
    let val = cf_value(w, ix, v, CfMode::Handle)?;
    if let Some(CfVal::Select(s)) = &val {
        w.option_id(ix, s);
    }
    Ok(val)
}
