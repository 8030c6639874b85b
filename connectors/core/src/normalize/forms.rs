//! Issue-form bodies: splitting `### Heading` sections out of Markdown.
//!
//! This is the only place that knows Markdown. It runs once per item in the
//! connectors (the sections are stored on the `Item`), so the readers in
//! the rest of `normalize` only ever see heading/value pairs.

use std::collections::BTreeMap;

/// Splits a GitHub issue-form body into sections.
///
/// A line `### Heading` (up to three leading spaces, then exactly three `#`
/// and a space, as CommonMark reads an h3) starts a section; its value is the
/// text up to the next such heading, trimmed, with CRLF line ends read as LF.
/// Heading text is trimmed (and a closing `###` dropped) but otherwise kept as
/// written; callers match headings case-insensitively.
///
/// - Text before the first heading is ignored; a body without headings gives
///   an empty map.
/// - A heading with no value gives an empty string, so callers can tell "left
///   blank" from "not in the form".
/// - Duplicate headings: the **first** wins. Issue forms never repeat a
///   heading, so a repeat is someone's pasted text further down the body; the
///   form's own answer comes first.
/// - `###` lines inside fenced code blocks (```` ``` ```` or `~~~`, which
///   issue forms emit for `render:` fields such as pasted logs) are part of
///   the value, not headings. An unclosed fence would swallow the rest of the
///   body, so in that case the body is split again ignoring fences.
pub fn parse_form_body(body: &str) -> BTreeMap<String, String> {
    match split_sections(body, true) {
        Some(sections) => sections,
        None => split_sections(body, false).unwrap_or_default(),
    }
}

/// One pass of [`parse_form_body`]; `None` when `fences` is on and a fence
/// is still open at the end of the body.
fn split_sections(body: &str, fences: bool) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    let mut fence: Option<(char, usize)> = None;
    for raw_line in body.split('\n') {
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        if fence.is_none() {
            if let Some(heading) = heading_text(line) {
                flush_section(&mut out, current.take());
                current = Some((heading, Vec::new()));
                continue;
            }
        }
        if fences {
            fence = next_fence_state(fence, line);
        }
        if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    flush_section(&mut out, current);
    if fence.is_some() {
        None
    } else {
        Some(out)
    }
}

fn flush_section(out: &mut BTreeMap<String, String>, section: Option<(String, Vec<&str>)>) {
    if let Some((heading, lines)) = section {
        // An empty heading (`###` alone) ends the previous section but names
        // nothing.
        if !heading.is_empty() && !out.contains_key(&heading) {
            out.insert(heading, lines.join("\n").trim().to_string());
        }
    }
}

/// The text of an h3 ATX heading line, or `None` for any other line.
fn heading_text(line: &str) -> Option<String> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = line.trim_start_matches(' ').strip_prefix("###")?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let text = rest.trim();
    // A closing sequence (`### Owner ###`) is not part of the text.
    let without_close = text.trim_end_matches('#');
    let text = if without_close.is_empty() {
        ""
    } else if without_close.ends_with([' ', '\t']) {
        without_close.trim_end()
    } else {
        text
    };
    Some(text.to_string())
}

/// Tracks fenced code blocks: opens on ```` ``` ````/`~~~` (three or more),
/// closes on a line of at least as many of the same character.
fn next_fence_state(fence: Option<(char, usize)>, line: &str) -> Option<(char, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return fence;
    }
    let trimmed = line.trim_start_matches(' ');
    let Some(ch) = trimmed.chars().next().filter(|c| matches!(c, '`' | '~')) else {
        return fence;
    };
    let run = trimmed.chars().take_while(|c| *c == ch).count();
    if run < 3 {
        return fence;
    }
    match fence {
        None => Some((ch, run)),
        Some((open, len)) => {
            // `ch` is ASCII, so `run` chars are `run` bytes.
            let after = trimmed.get(run..).unwrap_or("");
            if open == ch && run >= len && after.trim().is_empty() {
                None
            } else {
                fence
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) const FORM: &str = "### Incident\n\n#41\n\n### Type\n\nalerting\n\n### Service\n\npayments\n\n\
                        ### Owner\n\n@alice\n\n### Priority\n\nP1\n\n### Target date\n\n2025-03-02\n\n\
                        ### Expected outcome\n\nPage before users notice.\nWith two lines.\n\n\
                        ### Blocked by\n\n_No response_\n";

    #[test]
    fn form_body_sections() {
        let s = parse_form_body(FORM);
        assert_eq!(s.len(), 8);
        assert_eq!(s["Incident"], "#41");
        assert_eq!(s["Owner"], "@alice");
        assert_eq!(s["Target date"], "2025-03-02");
        assert_eq!(
            s["Expected outcome"],
            "Page before users notice.\nWith two lines."
        );
        assert_eq!(s["Blocked by"], "_No response_");
    }

    #[test]
    fn form_body_edge_cases() {
        // Text before the first heading is ignored; no headings, no sections.
        assert!(parse_form_body("just some text\n## Not h3\n#### Not h3 either").is_empty());
        assert!(parse_form_body("").is_empty());
        let s = parse_form_body(
            "preamble\n###   Target   date   \n2025-03-02\n   ### Owner ###\n@bob\n###\tTeam\nsre",
        );
        assert_eq!(
            s.get("Target   date").map(String::as_str),
            Some("2025-03-02")
        );
        assert_eq!(s.get("Owner").map(String::as_str), Some("@bob"));
        assert_eq!(s.get("Team").map(String::as_str), Some("sre"));
        assert_eq!(s.len(), 3);
        // Four spaces of indent is code, `###x` is not a heading.
        let s = parse_form_body("### A\n    ### B\n###C\n");
        assert_eq!(s.get("A").map(String::as_str), Some("### B\n###C"));
        // A heading with no value.
        let s = parse_form_body("### Owner\n\n### Team\n\nsre\n");
        assert_eq!(s.get("Owner").map(String::as_str), Some(""));
        // Duplicate headings: the first wins.
        let s = parse_form_body("### Owner\n\n@first\n\n### Owner\n\n@second\n");
        assert_eq!(s.get("Owner").map(String::as_str), Some("@first"));
        // CRLF line ends.
        let s = parse_form_body("### Owner\r\n\r\n@alice\r\n\r\n### Notes\r\n\r\na\r\nb\r\n");
        assert_eq!(s.get("Owner").map(String::as_str), Some("@alice"));
        assert_eq!(s.get("Notes").map(String::as_str), Some("a\nb"));
        // `###` inside a fenced block belongs to the value.
        let s =
            parse_form_body("### Logs\n\n```shell\n### not a heading\n```\n\n### Owner\n\n@a\n");
        assert_eq!(
            s.get("Logs").map(String::as_str),
            Some("```shell\n### not a heading\n```")
        );
        assert_eq!(s.get("Owner").map(String::as_str), Some("@a"));
        // An unclosed fence does not swallow the rest of the form.
        let s = parse_form_body("### Logs\n\n```\noops\n\n### Owner\n\n@a\n");
        assert_eq!(s.get("Owner").map(String::as_str), Some("@a"));
        assert_eq!(s.get("Logs").map(String::as_str), Some("```\noops"));
    }

    proptest! {
        #[test]
        fn form_body_round_trips(
            preamble in "[a-z .]{0,30}",
            pairs in proptest::collection::vec(
                ("[A-Za-z][A-Za-z0-9 ()%?]{0,20}[A-Za-z0-9)%?]", "[a-z0-9 .,@:/_\\-\n]{0,60}"),
                0..8,
            ),
            crlf in any::<bool>(),
        ) {
            let mut body = format!("{preamble}\n");
            let mut want = BTreeMap::new();
            for (heading, value) in &pairs {
                body.push_str(&format!("### {heading}\n\n{value}\n\n"));
                want.entry(heading.clone()).or_insert_with(|| value.trim().to_string());
            }
            if crlf {
                body = body.replace('\n', "\r\n");
            }
            prop_assert_eq!(parse_form_body(&body), want);
        }
    }
}
