//! Text cleaning shared by every reader, and the readers whose value stays
//! text: owner and priority.
//!
//! Everything here is a leaf: it uses no other part of `normalize`, so the
//! date, number, reference and effect readers can all build on [`clean`]
//! and [`scalar`] without importing each other.

/// Why an unreadable priority is reported; shared by the section and the
/// label reading so both say the same thing.
pub(super) const UNKNOWN_PRIORITY: &str =
    "unknown priority; use critical, high, medium, low or P0-P3";

/// Longest text a scalar parser reads. Dates, numbers and levels are short;
/// refusing long text up front keeps every parser cheap on hostile input.
pub(super) const MAX_SCALAR_LEN: usize = 200;

/// Trims whitespace and surrounding backticks/quotes; `None` for the texts
/// that mean "no value" (`_No response_` is what GitHub writes for a form
/// field left empty).
pub(super) fn clean(s: &str) -> Option<&str> {
    let t = s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '`' | '"' | '\'' | '“' | '”' | '‘' | '’')
    });
    if t.len() > 16 {
        return Some(t);
    }
    let blank = matches!(
        t.to_lowercase().as_str(),
        "" | "_no response_" | "no response" | "none" | "n/a" | "-" | "--" | "—" | "–" | "null"
    );
    (!blank).then_some(t)
}

/// [`clean`], then the length guard of the scalar parsers.
pub(super) fn scalar<'a>(s: &'a str, what: &str) -> Result<Option<&'a str>, String> {
    match clean(s) {
        None => Ok(None),
        Some(t) if t.len() > MAX_SCALAR_LEN => Err(format!("too long to be {what}")),
        Some(t) => Ok(Some(t)),
    }
}

/// Splits on whitespace, `-` and `_`, and joins with single spaces.
pub(super) fn words(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text fields keep what was written, trimmed; blanks are absent.
pub(super) fn text_value(s: &str) -> Option<String> {
    clean(s).map(|_| s.trim().to_string())
}

/// Reads an owner: the first of [`parse_owners`].
pub fn parse_owner(s: &str) -> Option<String> {
    parse_owners(s).into_iter().next()
}

/// Reads every owner named: the `@login` mentions in order (`@alice` →
/// `alice`, `@a, @b` → `a`, `b`, `@acme/sre` → `acme/sre`), each once;
/// without a mention, the entries of a comma/semicolon/line list as
/// written (`Alice Smith, Bob Jones`), which is how Jira shows people. An
/// `@` inside a word (an e-mail address) is not a mention.
pub fn parse_owners(s: &str) -> Vec<String> {
    let Some(t) = clean(s) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    for (i, c) in t.char_indices() {
        if c == '@' && !previous.is_some_and(char::is_alphanumeric) {
            let login: String = t
                .get(i + 1..)
                .unwrap_or("")
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
                .collect();
            let login = login.trim_end_matches(['.', '/']);
            if login.chars().any(char::is_alphanumeric)
                && !out.iter().any(|o| o.eq_ignore_ascii_case(login))
            {
                out.push(login.to_string());
            }
        }
        previous = Some(c);
    }
    if !out.is_empty() {
        return out;
    }
    for part in t.split([',', ';', '\n']).filter_map(clean) {
        if part.chars().any(char::is_alphanumeric)
            && !out.iter().any(|o| o.eq_ignore_ascii_case(part))
        {
            out.push(part.to_string());
        }
    }
    out
}

/// Reads a priority as critical | high | medium | low. `P0`–`P3` map onto
/// them in that order and win over any word after them (`p1 - high`); the
/// words also accept Jira's schemes (highest/blocker = critical, major =
/// high, normal = medium, lowest/minor/trivial = low). The first recognised
/// word counts. Unknown text gives `None` ([`normalize`](super::normalize())
/// reports it).
pub fn parse_priority(s: &str) -> Option<String> {
    let t = clean(s)?;
    if t.len() > MAX_SCALAR_LEN {
        return None;
    }
    let lower = t.to_lowercase();
    lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .find_map(|w| match w {
            "p0" | "critical" | "crit" | "urgent" | "highest" | "blocker" => Some("critical"),
            "p1" | "high" | "major" => Some("high"),
            "p2" | "medium" | "med" | "normal" | "moderate" => Some("medium"),
            "p3" | "low" | "lowest" | "minor" | "trivial" => Some("low"),
            _ => None,
        })
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (#16): a second owner was silently dropped.
    #[test]
    fn every_owner_named_is_kept_in_order_once() {
        assert_eq!(parse_owners("@alice and @bob, @alice"), ["alice", "bob"]);
        assert_eq!(
            parse_owners("Alice Smith; Bob Jones"),
            ["Alice Smith", "Bob Jones"]
        );
        assert_eq!(
            parse_owners("mail alice@example.com"),
            ["mail alice@example.com"]
        );
        assert!(parse_owners(" ").is_empty());
        assert_eq!(parse_owner("@alice, @bob").as_deref(), Some("alice"));
    }

    #[test]
    fn owners() {
        for (text, want) in [
            ("@alice", "alice"),
            ("  @alice  ", "alice"),
            ("@a, @b", "a"),
            ("@a @b", "a"),
            ("owner: @bob-smith.", "bob-smith"),
            ("@acme/sre", "acme/sre"),
            ("alice", "alice"),
            ("Alice Smith", "Alice Smith"),
            ("Alice Smith, Bob Jones", "Alice Smith"),
            ("alice@example.com", "alice@example.com"),
            ("`@alice`", "alice"),
            ("[@alice](https://github.com/alice)", "alice"),
        ] {
            assert_eq!(parse_owner(text).as_deref(), Some(want), "{text:?}");
        }
        assert_eq!(parse_owner("@"), None);
        assert_eq!(parse_owner(", ;"), None);
    }

    #[test]
    fn priorities() {
        for (text, want) in [
            ("critical", "critical"),
            ("High", "high"),
            ("MEDIUM", "medium"),
            ("low", "low"),
            ("P0", "critical"),
            ("p1", "high"),
            ("P2", "medium"),
            ("p3", "low"),
            ("p1 - high", "high"),
            ("P1 - low", "high"),
            ("High (P1)", "high"),
            ("Highest", "critical"),
            ("Lowest", "low"),
            ("`p2`", "medium"),
        ] {
            assert_eq!(parse_priority(text).as_deref(), Some(want), "{text:?}");
        }
        for unknown in ["P4", "asap", "whenever", "p"] {
            assert_eq!(parse_priority(unknown), None, "{unknown:?}");
        }
    }
}
