//! Issue references (`#12`, `owner/repo#12`, `OPS-12`, issue URLs), the
//! links from an action item to its incident or risk.
//!
//! The result is the short form only; resolving `#12` against the item's
//! own repository happens later, in SQL, where the repository is known.

use super::text::clean;

/// Reads an issue reference, the first found in the text:
///
/// | Written | Result |
/// |---|---|
/// | `#12`, `12` | `#12` (resolved against the item's own repository later, in SQL) |
/// | `acme/payments#12` | `acme/payments#12` |
/// | `https://github.com/acme/payments/issues/12` (or `/pull/12`, any host) | `acme/payments#12` |
/// | `OPS-12` (upper-case project key) | `OPS-12` |
/// | `https://acme.atlassian.net/browse/OPS-12` | `OPS-12` |
///
/// Markdown links and surrounding words are fine (`[#12](…)`,
/// `see OPS-12`); text with no reference gives `None`.
pub fn parse_reference(s: &str) -> Option<String> {
    let t = clean(s)?;
    if let Some(n) = issue_number(t) {
        return Some(format!("#{n}"));
    }
    t.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '[' | ']' | '(' | ')' | '<' | '>' | ',' | ';' | '"' | '\'' | '`' | '*'
            )
    })
    .map(|token| token.trim_end_matches(['.', ':', '!', '?']))
    .find_map(reference_token)
}

fn reference_token(token: &str) -> Option<String> {
    if token.contains("://") || token.starts_with("github.com/") || token.starts_with("www.") {
        return url_reference(token);
    }
    if let Some(n) = token.strip_prefix('#') {
        return issue_number(n).map(|n| format!("#{n}"));
    }
    if let Some((repo, n)) = token.rsplit_once('#') {
        return match (is_repo(repo), issue_number(n)) {
            (true, Some(n)) => Some(format!("{repo}#{n}")),
            _ => None,
        };
    }
    jira_key(token)
}

/// An issue number: digits only, positive, leading zeros dropped.
fn issue_number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|n| *n > 0)
}

fn is_repo(s: &str) -> bool {
    let name_ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    matches!(s.split_once('/'), Some((owner, repo)) if name_ok(owner) && name_ok(repo))
}

/// `OPS-12`: an upper-case project key (letter first) and a number.
fn jira_key(token: &str) -> Option<String> {
    let (project, n) = token.rsplit_once('-')?;
    let mut chars = project.chars();
    let key_ok = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let n = issue_number(n)?;
    key_ok.then(|| format!("{project}-{n}"))
}

fn url_reference(url: &str) -> Option<String> {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = without_scheme
        .split(['?', '#'])
        .next()
        .unwrap_or(without_scheme);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // segments[0] is the host, so the owner is at index 1 or later.
    for (i, window) in segments.windows(2).enumerate() {
        let [kind, tail] = window else { continue };
        match *kind {
            "issues" | "pull" if i >= 3 => {
                let (Some(owner), Some(repo), Some(n)) =
                    (segments.get(i - 2), segments.get(i - 1), issue_number(tail))
                else {
                    continue;
                };
                let repo_text = format!("{owner}/{repo}");
                if is_repo(&repo_text) {
                    return Some(format!("{repo_text}#{n}"));
                }
            }
            "browse" => {
                if let Some(key) = jira_key(tail) {
                    return Some(key);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        for (text, want) in [
            ("#12", "#12"),
            ("12", "#12"),
            ("#012", "#12"),
            ("acme/payments#12", "acme/payments#12"),
            ("OPS-12", "OPS-12"),
            (
                "https://github.com/acme/payments/issues/12",
                "acme/payments#12",
            ),
            (
                "https://github.com/acme/payments/issues/12#issuecomment-99",
                "acme/payments#12",
            ),
            ("github.com/acme/payments/pull/7", "acme/payments#7"),
            (
                "https://ghe.example.com/acme/payments/issues/3",
                "acme/payments#3",
            ),
            ("https://acme.atlassian.net/browse/OPS-12", "OPS-12"),
            ("[#12](https://github.com/acme/x/issues/12)", "#12"),
            ("see OPS-12.", "OPS-12"),
            ("Incident #5 - database outage", "#5"),
            (
                "<https://github.com/acme/payments/issues/12>",
                "acme/payments#12",
            ),
        ] {
            assert_eq!(parse_reference(text).as_deref(), Some(want), "{text:?}");
        }
        for none in [
            "the database outage",
            "#0",
            "#abc",
            "ops-12",
            "https://github.com/acme/payments",
            "https://example.com/issues/12",
            "a/b/c#1",
        ] {
            assert_eq!(parse_reference(none), None, "{none:?}");
        }
    }
}
