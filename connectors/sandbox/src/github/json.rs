//! GitHub's JSON shapes, written straight into byte buffers: issues, pull
//! requests, comments, labels, milestones, users, events, repositories,
//! errors and the rate-limit document. Keys and their order follow the
//! recorded responses in the fixtures.
//!
//! Written by hand rather than through serde because listing pages are the
//! hot path (a benchmark serves every page of 100,000 issues): users, labels
//! and milestones are rendered once and spliced in, and only titles, bodies
//! and numbers are formatted per request.

use super::state::{Comment, Event, EventKind, Issue, Label, Milestone, Repo, World};
use crate::rate::RateSnapshot;

/// Appends `s` as a JSON string literal (quotes included).
pub(crate) fn esc(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(short);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends `s` verbatim.
#[inline]
pub(crate) fn raw(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

/// Appends a non-negative integer.
pub(crate) fn num(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn inum(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    num(out, n.unsigned_abs());
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of epoch seconds.
#[cfg(test)]
pub(crate) fn timestamp(secs: i64) -> String {
    let mut out = Vec::with_capacity(20);
    ts_bare(&mut out, secs);
    String::from_utf8(out).unwrap_or_default()
}

fn two(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

fn ts_bare(out: &mut Vec<u8>, secs: i64) {
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400) as u32;
    let y = y.clamp(0, 9999) as u32;
    two(out, y / 100);
    two(out, y % 100);
    out.push(b'-');
    two(out, m);
    out.push(b'-');
    two(out, d);
    out.push(b'T');
    two(out, rem / 3600);
    out.push(b':');
    two(out, rem / 60 % 60);
    out.push(b':');
    two(out, rem % 60);
    out.push(b'Z');
}

/// Appends a quoted timestamp.
pub(crate) fn ts(out: &mut Vec<u8>, secs: i64) {
    out.push(b'"');
    ts_bare(out, secs);
    out.push(b'"');
}

fn ts_opt(out: &mut Vec<u8>, secs: Option<i64>) {
    match secs {
        Some(s) => ts(out, s),
        None => raw(out, "null"),
    }
}

fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                s.push(T[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// A percent-encoded path segment (label names in URLs, bot logins).
pub(crate) fn seg(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b':');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// A user (or organisation) object, rendered once per user.
pub(crate) fn user_json(base: &str, login: &str, id: u64, kind: &str) -> String {
    let node = base64(format!("04:{kind}{id}").as_bytes());
    let u = format!("{base}/users/{}", seg(login));
    let html = if kind == "Bot" {
        format!("{base}/apps/{}", login.trim_end_matches("[bot]"))
    } else {
        format!("{base}/{login}")
    };
    let mut out = Vec::with_capacity(1024);
    raw(&mut out, "{\"login\":");
    esc(&mut out, login);
    raw(&mut out, ",\"id\":");
    num(&mut out, id);
    raw(&mut out, ",\"node_id\":");
    esc(&mut out, &node);
    raw(
        &mut out,
        &format!(
            ",\"avatar_url\":\"https://avatars.githubusercontent.com/u/{id}?v=4\",\"gravatar_id\":\"\",\
             \"url\":\"{u}\",\"html_url\":\"{html}\",\"followers_url\":\"{u}/followers\",\
             \"following_url\":\"{u}/following{{/other_user}}\",\"gists_url\":\"{u}/gists{{/gist_id}}\",\
             \"starred_url\":\"{u}/starred{{/owner}}{{/repo}}\",\"subscriptions_url\":\"{u}/subscriptions\",\
             \"organizations_url\":\"{u}/orgs\",\"repos_url\":\"{u}/repos\",\
             \"events_url\":\"{u}/events{{/privacy}}\",\"received_events_url\":\"{u}/received_events\",\
             \"type\":\"{kind}\",\"user_view_type\":\"public\",\"site_admin\":false}}"
        ),
    );
    String::from_utf8(out).unwrap_or_default()
}

/// A label object.
pub(crate) fn label_json(
    repo_api: &str,
    id: u64,
    name: &str,
    color: &str,
    description: Option<&str>,
    default: bool,
) -> String {
    let mut out = Vec::with_capacity(256);
    raw(&mut out, "{\"id\":");
    num(&mut out, id);
    raw(
        &mut out,
        &format!(",\"node_id\":\"LA_kwDOSBX{id:X}\",\"url\":"),
    );
    esc(&mut out, &format!("{repo_api}/labels/{}", seg(name)));
    raw(&mut out, ",\"name\":");
    esc(&mut out, name);
    raw(&mut out, ",\"color\":");
    esc(&mut out, color);
    raw(
        &mut out,
        if default {
            ",\"default\":true"
        } else {
            ",\"default\":false"
        },
    );
    raw(&mut out, ",\"description\":");
    match description {
        Some(d) => esc(&mut out, d),
        None => raw(&mut out, "null"),
    }
    out.push(b'}');
    String::from_utf8(out).unwrap_or_default()
}

/// A milestone object (counts as of generation time).
#[allow(clippy::too_many_arguments)]
pub(crate) fn milestone_json(
    repo_api: &str,
    repo_html: &str,
    id: u64,
    number: u64,
    title: &str,
    creator: &str,
    created: i64,
    due_on: i64,
    open: u64,
    closed: u64,
) -> String {
    let mut out = Vec::with_capacity(1536);
    raw(
        &mut out,
        &format!(
            "{{\"url\":\"{repo_api}/milestones/{number}\",\"html_url\":\"{repo_html}/milestone/{number}\",\
             \"labels_url\":\"{repo_api}/milestones/{number}/labels\",\"id\":{id},\
             \"node_id\":\"MI_kwDOSBX{id:X}\",\"number\":{number},\"title\":"
        ),
    );
    esc(&mut out, title);
    raw(&mut out, ",\"description\":\"\",\"creator\":");
    raw(&mut out, creator);
    raw(&mut out, ",\"open_issues\":");
    num(&mut out, open);
    raw(&mut out, ",\"closed_issues\":");
    num(&mut out, closed);
    raw(&mut out, ",\"state\":\"open\",\"created_at\":");
    ts(&mut out, created);
    raw(&mut out, ",\"updated_at\":");
    ts(&mut out, created);
    raw(&mut out, ",\"due_on\":");
    ts(&mut out, due_on);
    raw(&mut out, ",\"closed_at\":null}");
    String::from_utf8(out).unwrap_or_default()
}

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

/// Re-renders cached fragments that embed a milestone's creator.
pub(crate) fn milestone_for(repo: &Repo, world: &World, m: &Milestone) -> String {
    milestone_json(
        &repo.api,
        &repo.html,
        m.id,
        m.number,
        &m.title,
        &world.users[m.creator as usize].json,
        m.created,
        m.due_on,
        m.open,
        m.closed,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_serde_json() {
        for s in [
            "plain",
            "quote \" and \\ backslash",
            "\u{1}\u{1b}[31m red \u{7f}",
            "tab\tnew\nline\r\u{8}\u{c}",
            "\u{202e}rtl \u{1f469}\u{200d}\u{1f4bb}",
            "'); DROP TABLE items;--",
        ] {
            let mut out = Vec::new();
            esc(&mut out, s);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn timestamps_match_chrono() {
        for secs in [
            0i64,
            951_782_400,
            1_709_210_096,
            1_740_873_600,
            4_102_444_799,
        ] {
            let want = chrono::DateTime::from_timestamp(secs, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            assert_eq!(timestamp(secs), want);
        }
    }

    #[test]
    fn user_node_id_is_githubs_base64() {
        // The recorded fixture's user 1 has node id "MDQ6VXNlcjE=".
        assert_eq!(base64(b"04:User1"), "MDQ6VXNlcjE=");
        let u: serde_json::Value =
            serde_json::from_str(&user_json("http://h", "dependabot[bot]", 9, "Bot")).unwrap();
        assert_eq!(u["url"], "http://h/users/dependabot%5Bbot%5D");
        assert_eq!(u["type"], "Bot");
    }

    #[test]
    fn numbers_render() {
        let mut out = Vec::new();
        num(&mut out, 0);
        out.push(b' ');
        num(&mut out, 18_446_744_073_709_551_615);
        out.push(b' ');
        inum(&mut out, -42);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0 18446744073709551615 -42"
        );
    }
}
