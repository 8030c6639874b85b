//! GitHub's JSON shapes, written straight into byte buffers: issues, pull
//! requests, comments, labels, milestones, users, events, repositories,
//! errors and the rate-limit document. Keys and their order follow the
//! recorded responses in the fixtures.
//!
//! Written by hand rather than through serde because listing pages are the
//! hot path (a benchmark serves every page of 100,000 issues): users, labels
//! and milestones are rendered once and spliced in, and only titles, bodies
//! and numbers are formatted per request.

use super::render::{esc, inum, num, raw, ts, ts_opt};
use super::state::{Comment, Event, EventKind, Issue, Label, Repo, World};
use crate::rate::RateSnapshot;

fn reactions(out: &mut Vec<u8>, url_prefix: &str, n_or_id: u64, tail: &str) {
    raw(out, "\"reactions\":{\"url\":\"");
    raw(out, url_prefix);
    num(out, n_or_id);
    raw(out, tail);
    raw(
        out,
        "/reactions\",\"total_count\":0,\"+1\":0,\"-1\":0,\"laugh\":0,\"hooray\":0,\
         \"confused\":0,\"heart\":0,\"rocket\":0,\"eyes\":0}",
    );
}

fn issue_url(out: &mut Vec<u8>, repo: &Repo, n: u64, tail: &str) {
    out.push(b'"');
    raw(out, &repo.api);
    raw(out, "/issues/");
    num(out, n);
    raw(out, tail);
    out.push(b'"');
}

/// Appends one issue (or pull request) object.
pub(crate) fn write_issue(out: &mut Vec<u8>, world: &World, repo: &Repo, issue: &Issue) {
    let n = issue.number;
    raw(out, "{\"url\":");
    issue_url(out, repo, n, "");
    raw(out, ",\"repository_url\":\"");
    raw(out, &repo.api);
    raw(out, "\",\"labels_url\":");
    issue_url(out, repo, n, "/labels{/name}");
    raw(out, ",\"comments_url\":");
    issue_url(out, repo, n, "/comments");
    raw(out, ",\"events_url\":");
    issue_url(out, repo, n, "/events");
    raw(out, ",\"html_url\":\"");
    raw(out, &repo.html);
    raw(
        out,
        if issue.pr.is_some() {
            "/pull/"
        } else {
            "/issues/"
        },
    );
    num(out, n);
    raw(out, "\",\"id\":");
    num(out, issue.id);
    raw(
        out,
        if issue.pr.is_some() {
            ",\"node_id\":\"PR_kwDOSBX"
        } else {
            ",\"node_id\":\"I_kwDOSBX"
        },
    );
    raw(out, &format!("{:X}", issue.id));
    raw(out, "\",\"number\":");
    num(out, n);
    raw(out, ",\"title\":");
    esc(out, &issue.title);
    raw(out, ",\"user\":");
    raw(out, &world.users[issue.user as usize].json);
    raw(out, ",\"labels\":[");
    for (i, l) in issue.labels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        raw(out, &repo.labels[*l as usize].json);
    }
    raw(out, "],\"state\":");
    raw(
        out,
        if issue.closed {
            "\"closed\""
        } else {
            "\"open\""
        },
    );
    raw(
        out,
        if issue.locked {
            ",\"locked\":true"
        } else {
            ",\"locked\":false"
        },
    );
    raw(out, ",\"assignee\":");
    match issue.assignees.first() {
        Some(a) => raw(out, &world.users[*a as usize].json),
        None => raw(out, "null"),
    }
    raw(out, ",\"assignees\":[");
    for (i, a) in issue.assignees.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        raw(out, &world.users[*a as usize].json);
    }
    raw(out, "],\"milestone\":");
    match issue.milestone {
        Some(m) => raw(out, &repo.milestones[m as usize].json),
        None => raw(out, "null"),
    }
    raw(out, ",\"comments\":");
    num(out, issue.comments.len() as u64);
    raw(out, ",\"created_at\":");
    ts(out, issue.created);
    raw(out, ",\"updated_at\":");
    ts(out, issue.updated);
    raw(out, ",\"closed_at\":");
    ts_opt(out, issue.closed_at);
    raw(out, ",\"author_association\":\"");
    raw(out, world.users[issue.user as usize].association);
    raw(
        out,
        "\",\"type\":null,\"active_lock_reason\":null,\
         \"sub_issues_summary\":{\"total\":0,\"completed\":0,\"percent_completed\":0},\
         \"issue_dependencies_summary\":{\"blocked_by\":0,\"total_blocked_by\":0,\"blocking\":0,\"total_blocking\":0},",
    );
    if let Some(pr) = &issue.pr {
        raw(
            out,
            if pr.draft {
                "\"draft\":true,"
            } else {
                "\"draft\":false,"
            },
        );
        raw(out, "\"pull_request\":{\"url\":\"");
        raw(out, &repo.api);
        raw(out, "/pulls/");
        num(out, n);
        for (key, tail) in [
            ("html_url", ""),
            ("diff_url", ".diff"),
            ("patch_url", ".patch"),
        ] {
            raw(out, "\",\"");
            raw(out, key);
            raw(out, "\":\"");
            raw(out, &repo.html);
            raw(out, "/pull/");
            num(out, n);
            raw(out, tail);
        }
        raw(out, "\",\"merged_at\":");
        ts_opt(out, pr.merged_at);
        raw(out, "},");
    }
    raw(out, "\"body\":");
    if issue.body.is_empty() {
        raw(out, "null");
    } else {
        esc(out, &issue.body);
    }
    raw(out, ",\"closed_by\":");
    match issue.closed_by.filter(|_| issue.closed) {
        Some(u) => raw(out, &world.users[u as usize].json),
        None => raw(out, "null"),
    }
    out.push(b',');
    let prefix = format!("{}/issues/", repo.api);
    reactions(out, &prefix, n, "");
    raw(out, ",\"timeline_url\":");
    issue_url(out, repo, n, "/timeline");
    raw(out, ",\"performed_via_github_app\":null,\"state_reason\":");
    match &issue.state_reason {
        Some(r) => esc(out, r),
        None => raw(out, "null"),
    }
    out.push(b'}');
}

/// Appends one issue comment object; `timeline` adds the timeline keys.
pub(crate) fn write_comment(
    out: &mut Vec<u8>,
    world: &World,
    repo: &Repo,
    number: u64,
    c: &Comment,
    timeline: bool,
) {
    raw(out, "{\"url\":\"");
    raw(out, &repo.api);
    raw(out, "/issues/comments/");
    num(out, c.id);
    raw(out, "\",\"html_url\":\"");
    raw(out, &repo.html);
    raw(out, "/issues/");
    num(out, number);
    raw(out, "#issuecomment-");
    num(out, c.id);
    raw(out, "\",\"issue_url\":");
    issue_url(out, repo, number, "");
    raw(out, ",\"id\":");
    num(out, c.id);
    raw(
        out,
        &format!(",\"node_id\":\"IC_kwDOSBX{:X}\",\"user\":", c.id),
    );
    let user = &world.users[c.user as usize];
    raw(out, &user.json);
    raw(out, ",\"created_at\":");
    ts(out, c.created);
    raw(out, ",\"updated_at\":");
    ts(out, c.updated);
    raw(out, ",\"author_association\":\"");
    raw(out, user.association);
    raw(out, "\",\"body\":");
    esc(out, &c.body);
    out.push(b',');
    let prefix = format!("{}/issues/comments/", repo.api);
    reactions(out, &prefix, c.id, "");
    raw(out, ",\"performed_via_github_app\":null");
    if timeline {
        raw(out, ",\"event\":\"commented\",\"actor\":");
        raw(out, &user.json);
    }
    out.push(b'}');
}

/// Appends one issue event object.
pub(crate) fn write_event(out: &mut Vec<u8>, world: &World, repo: &Repo, e: &Event) {
    let (name, node) = match &e.kind {
        EventKind::Labeled(_) => ("labeled", "LE"),
        EventKind::Unlabeled(_) => ("unlabeled", "UNLE"),
        EventKind::Closed(_) => ("closed", "CE"),
        EventKind::Reopened => ("reopened", "REE"),
        EventKind::Renamed { .. } => ("renamed", "RTE"),
        EventKind::Assigned(_) => ("assigned", "AE"),
        EventKind::Unassigned(_) => ("unassigned", "UAE"),
        EventKind::Milestoned(_) => ("milestoned", "MIE"),
        EventKind::Demilestoned(_) => ("demilestoned", "DEME"),
    };
    raw(out, "{\"id\":");
    num(out, e.id);
    raw(
        out,
        &format!(",\"node_id\":\"{node}_lADOSBX{:X}\",\"url\":\"", e.id),
    );
    raw(out, &repo.api);
    raw(out, "/issues/events/");
    num(out, e.id);
    raw(out, "\",\"actor\":");
    raw(out, &world.users[e.actor as usize].json);
    raw(out, ",\"event\":\"");
    raw(out, name);
    raw(
        out,
        "\",\"commit_id\":null,\"commit_url\":null,\"created_at\":",
    );
    ts(out, e.at);
    match &e.kind {
        EventKind::Labeled(l) | EventKind::Unlabeled(l) => {
            let label: &Label = &repo.labels[*l as usize];
            raw(out, ",\"label\":{\"name\":");
            esc(out, &label.name);
            raw(out, ",\"color\":");
            esc(out, &label.color);
            out.push(b'}');
        }
        EventKind::Closed(reason) => {
            raw(out, ",\"state_reason\":");
            match reason {
                Some(r) => esc(out, r),
                None => raw(out, "null"),
            }
        }
        EventKind::Reopened => {}
        EventKind::Assigned(u) | EventKind::Unassigned(u) => {
            raw(out, ",\"assignee\":");
            raw(out, &world.users[*u as usize].json);
        }
        // As on GitHub: the milestone by title only.
        EventKind::Milestoned(m) | EventKind::Demilestoned(m) => {
            raw(out, ",\"milestone\":{\"title\":");
            esc(out, &repo.milestones[*m as usize].title);
            out.push(b'}');
        }
        EventKind::Renamed { from, to } => {
            raw(out, ",\"rename\":{\"from\":");
            esc(out, from);
            raw(out, ",\"to\":");
            esc(out, to);
            out.push(b'}');
        }
    }
    raw(out, ",\"performed_via_github_app\":null}");
}

/// A repository object.
pub(crate) fn write_repo(out: &mut Vec<u8>, world: &World, repo: &Repo) {
    let owner = world
        .orgs
        .iter()
        .find(|o| o.login.eq_ignore_ascii_case(&repo.owner))
        .map(|o| o.json.as_str())
        .unwrap_or("null");
    raw(out, "{\"id\":");
    num(out, repo.id);
    raw(
        out,
        &format!(",\"node_id\":\"R_kgDOSBX{:X}\",\"name\":", repo.id),
    );
    esc(out, &repo.name);
    raw(out, ",\"full_name\":");
    esc(out, &repo.full_name);
    // What the caller may do (GitHub sends it to authenticated callers; the
    // sandbox's callers may write).
    raw(
        out,
        ",\"permissions\":{\"admin\":false,\"maintain\":false,\"push\":true,\"triage\":true,\"pull\":true}",
    );
    raw(out, ",\"private\":false,\"owner\":");
    raw(out, owner);
    raw(out, ",\"html_url\":");
    esc(out, &repo.html);
    raw(out, ",\"description\":");
    esc(out, &repo.description);
    raw(out, ",\"fork\":false,\"url\":");
    esc(out, &repo.api);
    for (key, tail) in [
        ("issues_url", "/issues{/number}"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("issue_events_url", "/issues/events{/number}"),
        ("labels_url", "/labels{/name}"),
        ("milestones_url", "/milestones{/number}"),
        ("pulls_url", "/pulls{/number}"),
    ] {
        raw(out, ",\"");
        raw(out, key);
        raw(out, "\":\"");
        raw(out, &repo.api);
        raw(out, tail);
        out.push(b'"');
    }
    raw(out, ",\"created_at\":");
    ts(out, repo.created);
    let last = repo
        .issues
        .iter()
        .map(|i| i.updated)
        .max()
        .unwrap_or(repo.created);
    raw(out, ",\"updated_at\":");
    ts(out, last);
    raw(out, ",\"pushed_at\":");
    ts(out, last);
    let open = repo
        .issues
        .iter()
        .filter(|i| i.is_live() && !i.closed)
        .count();
    raw(
        out,
        ",\"has_issues\":true,\"has_projects\":true,\"has_wiki\":false,\"open_issues_count\":",
    );
    num(out, open as u64);
    raw(
        out,
        ",\"archived\":false,\"disabled\":false,\"visibility\":\"public\",\"default_branch\":\"main\",\"open_issues\":",
    );
    num(out, open as u64);
    out.push(b'}');
}

/// `{"message", "documentation_url", "status"}`.
pub(crate) fn error(status: u16, message: &str, doc: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(160);
    raw(&mut out, "{\"message\":");
    esc(&mut out, message);
    raw(&mut out, ",\"documentation_url\":");
    esc(&mut out, doc);
    raw(&mut out, ",\"status\":\"");
    num(&mut out, u64::from(status));
    raw(&mut out, "\"}");
    out
}

/// A 422 with an `errors` array of `{resource, field, code, message?, value?}`.
pub(crate) fn validation(
    message: &str,
    doc: &str,
    errors: &[(&str, &str, &str, Option<&str>)],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    raw(&mut out, "{\"message\":");
    esc(&mut out, message);
    raw(&mut out, ",\"errors\":[");
    for (i, (resource, field, code, msg)) in errors.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        raw(&mut out, "{\"resource\":");
        esc(&mut out, resource);
        raw(&mut out, ",\"field\":");
        esc(&mut out, field);
        raw(&mut out, ",\"code\":");
        esc(&mut out, code);
        if let Some(m) = msg {
            raw(&mut out, ",\"message\":");
            esc(&mut out, m);
        }
        out.push(b'}');
    }
    raw(&mut out, "],\"documentation_url\":");
    esc(&mut out, doc);
    raw(&mut out, ",\"status\":\"422\"}");
    out
}

/// The `GET /rate_limit` document.
pub(crate) fn rate_limit(core: RateSnapshot) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    let bucket = |out: &mut Vec<u8>, limit: i64, used: i64, remaining: i64, reset: i64| {
        raw(out, "{\"limit\":");
        inum(out, limit);
        raw(out, ",\"used\":");
        inum(out, used);
        raw(out, ",\"remaining\":");
        inum(out, remaining);
        raw(out, ",\"reset\":");
        inum(out, reset);
        out.push(b'}');
    };
    raw(&mut out, "{\"resources\":{\"core\":");
    bucket(&mut out, core.limit, core.used, core.remaining, core.reset);
    for (name, limit) in [
        ("search", 30),
        ("graphql", 5000),
        ("integration_manifest", 5000),
        ("source_import", 100),
        ("code_scanning_upload", 1000),
        ("actions_runner_registration", 10000),
        ("scim", 15000),
        ("dependency_snapshots", 100),
        ("audit_log", 1750),
        ("code_search", 10),
    ] {
        raw(&mut out, ",\"");
        raw(&mut out, name);
        raw(&mut out, "\":");
        bucket(&mut out, limit, 0, limit, core.reset);
    }
    raw(&mut out, "},\"rate\":");
    bucket(&mut out, core.limit, core.used, core.remaining, core.reset);
    out.push(b'}');
    out
}
