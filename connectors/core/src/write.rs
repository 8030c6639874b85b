//! The write half of the connector contract: label edits and recur's one
//! summary comment per item ([`Writer`]), and the tracker-neutral document
//! ([`Summary`]) each connector renders in its own markup.
//!
//! As on the read side, a connector sends exactly one HTTP request per call
//! and never retries, paces or pages on its own: the write-back loop in
//! recur decides what to write, in which order, how fast, and what to do
//! with a failure.

use async_trait::async_trait;

use crate::{ConnectorError, RateLimit};

/// The hidden marker that identifies recur's summary comment on GitHub
/// (HTML comments are invisible when rendered and returned raw by the API).
pub const SUMMARY_MARKER: &str = "<!-- recur:summary -->";

/// The Jira comment property that tags recur's summary comment.
pub const SUMMARY_PROPERTY: &str = "recur.summary";

/// One block of a summary comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A short heading.
    Heading(String),
    /// A paragraph of plain text.
    Paragraph(String),
    /// A bulleted list of plain-text lines.
    Bullets(Vec<String>),
    /// The closing note, set apart (italics where the markup has them).
    Footer(String),
}

/// recur's summary comment, before a tracker's markup.
///
/// All text is plain: connectors escape it for their markup, so an issue
/// key or a reason can never inject formatting, mentions or links.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// The blocks, in order.
    pub blocks: Vec<Block>,
    /// A short fingerprint of the summary's state, stored with the comment
    /// where the tracker allows it (Jira comment property), for audit.
    pub fingerprint: String,
}

/// A comment as the tracker lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteComment {
    /// The tracker's comment id.
    pub id: String,
    /// The author's login or account name, when the tracker says it.
    pub author: Option<String>,
    /// True when the comment is recur's summary: the marker (GitHub, and
    /// written by the token's own user when that is known) or the comment
    /// property (Jira).
    pub ours: bool,
}

/// One page of an item's comments.
#[derive(Debug, Clone, Default)]
pub struct CommentPage {
    /// The comments on the page, oldest first.
    pub comments: Vec<RemoteComment>,
    /// The cursor of the next page, if there is one (opaque).
    pub next: Option<String>,
    /// Rate-limit figures from the response.
    pub rate: Option<RateLimit>,
}

/// The labels an item carries after a label edit, when the tracker says
/// (GitHub answers with the whole list; Jira answers 204 No Content).
pub type LabelsAfter = Option<Vec<String>>;

/// A tracker connector's write operations.
#[async_trait]
pub trait Writer: Send + Sync {
    /// The source name from the configuration.
    fn source_name(&self) -> &str;

    /// HTTP requests sent so far (reads and writes, every attempt).
    fn requests_sent(&self) -> u64;

    /// Write requests (POST, PUT, PATCH, DELETE) sent so far.
    fn writes_sent(&self) -> u64;

    /// True when one request can both add and remove labels (Jira's
    /// `update.labels`); otherwise [`Writer::edit_labels`] takes either a
    /// set of additions or exactly one removal (GitHub).
    fn combined_label_edits(&self) -> bool;

    /// Why `label` cannot be written to this tracker, if it cannot.
    fn check_label(&self, label: &str) -> Result<(), String>;

    /// Called once before a run's writes: learns what the connector needs
    /// to recognise its own comments (GitHub: the token's login). One
    /// request at most.
    async fn prepare(&self) -> Result<(), ConnectorError>;

    /// One page of the comments of `key`, starting at `cursor` (`None` for
    /// the first page).
    async fn comments_page(
        &self,
        key: &str,
        cursor: Option<&str>,
    ) -> Result<CommentPage, ConnectorError>;

    /// Adds and removes labels of `key`. Removing a label the item does not
    /// carry succeeds (it is already done).
    async fn edit_labels(
        &self,
        key: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<LabelsAfter, ConnectorError>;

    /// Posts the summary as a new comment on `key`; returns its id.
    async fn create_comment(&self, key: &str, summary: &Summary) -> Result<String, ConnectorError>;

    /// Replaces the body of comment `id` on `key` with the summary.
    async fn update_comment(
        &self,
        key: &str,
        id: &str,
        summary: &Summary,
    ) -> Result<(), ConnectorError>;

    /// Sets the risk's "Last reviewed" value to `date` (`YYYY-MM-DD`): the
    /// issue-form section of the body on GitHub, the mapped field on Jira.
    async fn set_last_reviewed(&self, key: &str, date: &str) -> Result<(), ConnectorError>;
}

/// `body` with the issue-form section `### {heading}` holding `value`: the
/// section's text (up to the next `###` heading) is replaced, or a section
/// is appended when the body has none. Headings match case-insensitively
/// and with any number of `#` from 1 to 6, as the form parser reads them;
/// every other byte of the body is kept, so nothing a person wrote is lost.
pub fn set_form_section(body: &str, heading: &str, value: &str) -> String {
    let is_heading = |line: &str| {
        let t = line.trim_start();
        let hashes = t.bytes().take_while(|b| *b == b'#').count();
        (1..=6).contains(&hashes) && t[hashes..].starts_with(' ')
    };
    let names = |line: &str| {
        let t = line.trim_start().trim_start_matches('#').trim();
        t.eq_ignore_ascii_case(heading)
    };
    let mut out = String::with_capacity(body.len() + heading.len() + value.len() + 8);
    let mut lines = body.split_inclusive('\n').peekable();
    let mut found = false;
    while let Some(line) = lines.next() {
        if !found && is_heading(line) && names(line) {
            found = true;
            out.push_str(line.trim_end_matches(['\r', '\n']));
            out.push_str("\n\n");
            out.push_str(value);
            out.push('\n');
            // Skip the old text up to the next heading.
            while let Some(next) = lines.peek() {
                if is_heading(next) {
                    out.push('\n');
                    break;
                }
                lines.next();
            }
        } else {
            out.push_str(line);
        }
    }
    if !found {
        let trimmed = out.trim_end_matches(['\r', '\n']).len();
        out.truncate(trimmed);
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str("### ");
        out.push_str(heading);
        out.push_str("\n\n");
        out.push_str(value);
        out.push('\n');
    }
    out
}

/// Escapes plain text for GitHub Markdown, so text recur writes can never
/// speak for anyone: Markdown punctuation is backslash-escaped (brackets
/// too, so neither a link nor an image can form), `@` cannot mention a user
/// or a team, `#` cannot reference an issue (`#12`, `owner/repo#12`), a
/// bare URL cannot become a link, and HTML cannot open (so a reason can
/// never close the hidden marker). Line breaks become spaces.
///
/// The zero-width joiner after `@`, `#`, `://` and `www.` breaks GitHub's
/// autolinking of mentions, references and URLs while leaving the rendered
/// text as it reads. This one escaper serves the summary comments and the
/// Markdown reports alike.
pub fn markdown_escape(text: &str) -> String {
    const ZWJ: char = '\u{200D}';
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '>' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '@' | '#' => {
                out.push(c);
                out.push(ZWJ);
            }
            // Every `:/` is broken, not only after a scheme's letters: a
            // character dropped above (a control) or one Jira reads as part
            // of a scheme must not leave a `://` whole.
            ':' if chars.peek() == Some(&'/') => {
                out.push(':');
                out.push(ZWJ);
            }
            '.' if out.to_ascii_lowercase().ends_with("www") => {
                out.push(ZWJ);
                out.push('.');
            }
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes plain text for Jira wiki markup (Data Center renders comment
/// text as wiki markup): every character the markup gives a meaning is
/// backslash-escaped — `[` (links, `[~user]` mentions), `!` (images), `{`
/// (macros), `*`, `_`, `-`, `+`, `^`, `~`, `?`, `|`, `#`, `(` … — and bare
/// URLs are broken so they stay text. Line breaks become spaces.
pub fn wiki_escape(text: &str) -> String {
    const ZWSP: char = '\u{200B}';
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '[' | ']' | '{' | '}' | '!' | '*' | '_' | '-' | '+' | '^' | '~' | '?' | '|'
            | '#' | '@' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            // As in `markdown_escape`: every `:/` is broken.
            ':' if chars.peek() == Some(&'/') => {
                out.push(':');
                out.push(ZWSP);
            }
            '.' if out.to_ascii_lowercase().ends_with("www") => {
                out.push(ZWSP);
                out.push('.');
            }
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Renders a summary as GitHub Markdown, marker first.
pub fn render_markdown(summary: &Summary) -> String {
    let mut out = String::from(SUMMARY_MARKER);
    out.push('\n');
    for block in &summary.blocks {
        match block {
            Block::Heading(t) => {
                out.push_str("\n### ");
                out.push_str(&markdown_escape(t));
                out.push('\n');
            }
            Block::Paragraph(t) => {
                out.push('\n');
                out.push_str(&markdown_escape(t));
                out.push('\n');
            }
            Block::Bullets(lines) => {
                out.push('\n');
                for l in lines {
                    out.push_str("- ");
                    out.push_str(&markdown_escape(l));
                    out.push('\n');
                }
            }
            Block::Footer(t) => {
                out.push_str("\n---\n<sub>");
                out.push_str(&markdown_escape(t));
                out.push_str("</sub>\n");
            }
        }
    }
    out
}

/// Renders a summary as Jira wiki markup (Data Center comments): recur's
/// own structure (a heading, bullets, a rule) in markup, every text
/// escaped with [`wiki_escape`].
pub fn render_wiki(summary: &Summary) -> String {
    let mut out = String::new();
    for block in &summary.blocks {
        if !out.is_empty() {
            out.push('\n');
        }
        match block {
            Block::Heading(t) => {
                out.push_str("h3. ");
                out.push_str(&wiki_escape(t));
                out.push('\n');
            }
            Block::Paragraph(t) => {
                out.push_str(&wiki_escape(t));
                out.push('\n');
            }
            Block::Footer(t) => {
                out.push_str("----\n_");
                out.push_str(&wiki_escape(t));
                out.push_str("_\n");
            }
            Block::Bullets(lines) => {
                for l in lines {
                    out.push_str("* ");
                    out.push_str(&wiki_escape(l));
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn set_form_section_replaces_one_section_and_keeps_the_rest() {
        let body = "### Impact\n\n3\n\n### Last reviewed\n\n_No response_\n\n### SLO\n\n99.9%\n";
        assert_eq!(
            super::set_form_section(body, "Last reviewed", "2026-06-30"),
            "### Impact\n\n3\n\n### Last reviewed\n\n2026-06-30\n\n### SLO\n\n99.9%\n"
        );
        // The last section, a different heading level and case.
        let body = "Intro @someone\n\n## LAST REVIEWED\n\nMarch 2025\n";
        assert_eq!(
            super::set_form_section(body, "Last reviewed", "2026-06-30"),
            "Intro @someone\n\n## LAST REVIEWED\n\n2026-06-30\n"
        );
        // No such section: appended, the body untouched before it.
        assert_eq!(
            super::set_form_section("Free text\r\n", "Last reviewed", "2026-06-30"),
            "Free text\n\n### Last reviewed\n\n2026-06-30\n"
        );
        assert_eq!(
            super::set_form_section("", "Last reviewed", "2026-06-30"),
            "### Last reviewed\n\n2026-06-30\n"
        );
        // A heading-like word inside text is not a heading.
        let body = "###Last reviewed is not a heading\n";
        assert!(super::set_form_section(body, "Last reviewed", "x").starts_with(body));
    }

    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn escaped_text_cannot_open_html_mention_link_or_break_lines(text in any::<String>()) {
            let e = markdown_escape(&text);
            prop_assert!(!e.contains("<!--"));
            prop_assert!(!e.contains('<'));
            prop_assert!(!e.contains('\n') && !e.contains('\r'));
            // Every `@` is followed by the zero-width joiner.
            for (i, _) in e.match_indices('@') {
                prop_assert!(e[i + 1..].starts_with('\u{200D}'), "{}", e);
            }
            // Every `[` is escaped.
            for (i, _) in e.match_indices('[') {
                prop_assert!(i > 0 && e.as_bytes()[i - 1] == b'\\', "{}", e);
            }
        }

        #[test]
        fn the_marker_is_first_and_only_once(
            texts in proptest::collection::vec(any::<String>(), 0..5),
        ) {
            let summary = Summary {
                blocks: texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| match i % 4 {
                        0 => Block::Heading(t.clone()),
                        1 => Block::Paragraph(t.clone()),
                        2 => Block::Bullets(vec![t.clone(), t.clone()]),
                        _ => Block::Footer(t.clone()),
                    })
                    .collect(),
                fingerprint: String::new(),
            };
            let md = render_markdown(&summary);
            prop_assert!(md.starts_with(SUMMARY_MARKER));
            prop_assert_eq!(md.matches(SUMMARY_MARKER).count(), 1);
            let wiki = render_wiki(&summary);
            prop_assert!(!wiki.chars().any(|c| c.is_control() && c != '\n'));
        }

        #[test]
        fn wiki_escaped_text_cannot_mention_link_embed_or_call_a_macro(text in any::<String>()) {
            let e = wiki_escape(&text);
            prop_assert!(!e.contains('\n') && !e.contains('\r'));
            // Every markup character is escaped: no `[~user]`, `[a|b]`,
            // `!img!` or `{macro}` can form.
            let b = e.as_bytes();
            for (i, ch) in e.char_indices() {
                if "[]{}!|~".contains(ch) {
                    prop_assert!(i > 0 && b[i - 1] == b'\\', "{}", e);
                }
            }
            prop_assert!(!e.contains("://"), "{}", e);
        }
    }

    /// Regression (hostile text, found by the property test): `://` with
    /// no scheme letter before it came through whole.
    #[test]
    fn wiki_escape_breaks_every_url_separator() {
        for text in ["://", "x\u{0}://y", "+://evil", "http://evil"] {
            let e = wiki_escape(text);
            assert!(!e.contains("://"), "{text:?} → {e:?}");
        }
    }

    #[test]
    fn markdown_escape_defuses_mentions_html_and_markup() {
        let s = markdown_escape(
            "@octocat @acme/sre <!-- x --> [link](http://e) ![img](http://i.png) **b** #12 acme/x#3 https://evil www.evil.com\nnext",
        );
        assert!(!s.contains("@octocat") && !s.contains("@acme"), "{s}");
        assert!(!s.contains("<!--"), "{s}");
        assert!(!s.contains("[link](") && !s.contains("![img]"), "{s}");
        assert!(!s.contains('\n'), "{s}");
        assert!(!s.contains("#12") && !s.contains("#3"), "{s}");
        assert!(!s.contains("://") && !s.contains("www."), "{s}");
    }

    /// Regression (hostile text, Jira Data Center): a title like this one
    /// must not make recur's bot mention a user, load an image or post a
    /// link; escaped, it reads as the same characters.
    #[test]
    fn wiki_escape_defuses_mentions_images_links_and_macros() {
        let hostile = "1 [~admin] !http://host/p.png! [x|http://evil] {code}x{code} *b* h1. t";
        let e = wiki_escape(hostile);
        // Each markup sequence appears only escaped (a backslash first).
        for bad in ["[~admin]", "!http", "[x|", "{code}", "*b*"] {
            for (i, _) in e.match_indices(bad) {
                assert!(i > 0 && e.as_bytes()[i - 1] == b'\\', "{bad} in {e}");
            }
        }
        assert!(!e.contains("://"), "{e}");
        let shown: String = e
            .chars()
            .filter(|c| *c != '\\' && *c != '\u{200B}')
            .collect();
        assert_eq!(shown, hostile);
        let doc = Summary {
            blocks: vec![Block::Paragraph(hostile.into())],
            fingerprint: String::new(),
        };
        assert!(!render_wiki(&doc).contains("[~admin]"));
    }

    #[test]
    fn markdown_starts_with_marker_and_escapes_blocks() {
        let summary = Summary {
            blocks: vec![
                Block::Heading("recur summary".into()),
                Block::Bullets(vec!["a <b>".into(), "c".into()]),
                Block::Footer("Written by recur.".into()),
            ],
            fingerprint: "f".into(),
        };
        let md = render_markdown(&summary);
        assert!(md.starts_with(SUMMARY_MARKER));
        assert_eq!(md.matches(SUMMARY_MARKER).count(), 1);
        assert!(md.contains("- a &lt;b\\>\n"), "{md}");
        assert!(md.contains("<sub>Written by recur.</sub>"), "{md}");
        let wiki = render_wiki(&summary);
        assert!(wiki.contains("* a <b>\n"), "{wiki}");
        assert!(wiki.starts_with("h3. recur summary\n"), "{wiki}");
        assert!(!wiki.contains(SUMMARY_MARKER));
    }
}
