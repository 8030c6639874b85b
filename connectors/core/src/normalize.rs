//! Turns tracker text into typed postmortem fields: issue-form sections
//! (`### Heading` then value), `prefix:value` labels, and the fallbacks
//! (assignee → owner, due date → target date). Pure functions, shared by
//! every connector's records; nothing here panics on any input.
//!
//! Text that cannot be read is never dropped silently: the field stays
//! `None` and a [`Problem`] carries the raw text and the reason, so a human
//! can fix the issue in the tracker.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::{Item, Kind, State};

/// How labels are read: which labels make an item tracked and which prefixes
/// carry values; and how a closed item's reason reads (done, declined or
/// duplicate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRules {
    /// Labels that make an item an action item (ANY of them).
    pub action_item_labels: Vec<String>,
    /// Labels that make an item an incident.
    pub incident_labels: Vec<String>,
    /// Labels that make an item a risk.
    pub risk_labels: Vec<String>,
    /// Issue types (Jira) that make an item an action item.
    pub action_item_types: Vec<String>,
    /// Issue types (Jira) that make an item an incident.
    pub incident_types: Vec<String>,
    /// Issue types (Jira) that make an item a risk.
    pub risk_types: Vec<String>,
    /// Prefix before `priority:`, `type:`, `service:`, `team:`, `status:`
    /// labels (empty by default, so `priority:high`).
    pub value_label_prefix: String,
    /// Labels recur writes back itself (`[writeback] label_prefix`): they
    /// are the tracker's state, but not content, so an edit of only these
    /// does not make a new history version (empty: none).
    #[serde(default)]
    pub managed_label_prefix: String,
    /// Closing reasons that mean the work was declined, not done: Jira
    /// resolution names (GitHub's `not_planned` always is). Compared
    /// lower-cased with `-`/`_` read as spaces and `’` as `'`.
    #[serde(default = "default_declined_reasons")]
    pub declined_reasons: Vec<String>,
    /// Closing reasons that mean the item duplicates another (GitHub's
    /// `duplicate` always does).
    #[serde(default = "default_duplicate_reasons")]
    pub duplicate_reasons: Vec<String>,
}

impl Default for LabelRules {
    fn default() -> Self {
        LabelRules {
            action_item_labels: Vec::new(),
            incident_labels: Vec::new(),
            risk_labels: Vec::new(),
            action_item_types: Vec::new(),
            incident_types: Vec::new(),
            risk_types: Vec::new(),
            value_label_prefix: String::new(),
            managed_label_prefix: String::new(),
            declined_reasons: default_declined_reasons(),
            duplicate_reasons: default_duplicate_reasons(),
        }
    }
}

/// Jira's stock "not done" resolutions and their common variants.
pub fn default_declined_reasons() -> Vec<String> {
    [
        "won't do",
        "won't fix",
        "wont fix",
        "wontfix",
        "declined",
        "rejected",
        "cannot reproduce",
        "can't reproduce",
        "not planned",
        "obsolete",
    ]
    .map(String::from)
    .to_vec()
}

/// Jira's stock duplicate resolution.
pub fn default_duplicate_reasons() -> Vec<String> {
    vec!["duplicate".to_string()]
}

/// A value that could not be parsed: kept raw and reported, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The snake_case field name (`target_date`).
    pub field: String,
    /// The text as written.
    pub raw: String,
    /// Why it was not understood.
    pub reason: String,
}

/// The typed fields of one item, all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fields {
    /// Lifecycle status. Closed items: `done`, `declined` or `duplicate`,
    /// from the tracker's closing reason (closure wins over any label).
    /// Open items: the Status section or `status:` label unless it names a
    /// closed status, else the tracker's status, `blocked`, `accepted` or
    /// `proposed`. See [`normalize`].
    pub status: Option<String>,
    /// The status a person wrote (Status section, else `status:` label),
    /// lower-cased, closed synonyms read as `done`/`declined`/`duplicate`/
    /// `closed`. Kept beside `status` so a label that contradicts the
    /// tracker (`status:done` on an open issue) is a lint finding, never a
    /// second truth.
    pub stated_status: Option<String>,
    /// Login without `@`.
    pub owner: Option<String>,
    /// critical | high | medium | low (P0–P3 accepted as synonyms).
    pub priority: Option<String>,
    /// Service name.
    pub service: Option<String>,
    /// Team name.
    pub team: Option<String>,
    // --- action items ---
    /// Reference to the incident this item follows up.
    pub incident_ref: Option<String>,
    /// Reference to the risk this item reduces.
    pub risk_ref: Option<String>,
    /// The item's type as written (documentation, testing, alerting…).
    pub item_type: Option<String>,
    /// prevention | detection | mitigation | recovery | learning.
    pub effect: Option<String>,
    /// Target date, as written (no time-zone shift).
    pub target_date: Option<NaiveDate>,
    /// Why the item matters.
    pub risk_rationale: Option<String>,
    /// What done looks like.
    pub expected_outcome: Option<String>,
    /// Evidence of completion.
    pub evidence: Option<String>,
    /// What blocks it.
    pub blocked_by: Option<String>,
    /// Effort estimate as written.
    pub effort: Option<String>,
    /// Theme.
    pub theme: Option<String>,
    // --- risks ---
    /// Impact level 1–5.
    pub impact: Option<i32>,
    /// Scope level 1–5.
    pub scope: Option<i32>,
    /// Likelihood level 1–5.
    pub likelihood: Option<i32>,
    /// Time to detect, minutes.
    pub ttd_minutes: Option<f64>,
    /// Time to repair, minutes.
    pub ttr_minutes: Option<f64>,
    /// Users affected, percent (25 means 25 %), 0–100.
    pub users_pct: Option<f64>,
    /// Occurrences per year.
    pub occurrences_per_year: Option<f64>,
    /// Days between failures.
    pub days_between_failures: Option<f64>,
    /// SLO as a fraction (0.999).
    pub slo: Option<f64>,
    /// Date of the last review.
    pub last_reviewed_at: Option<NaiveDate>,
    // --- incidents ---
    /// When the incident started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Severity as written (SEV1…).
    pub severity: Option<String>,
}

/// The result of normalising an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalized {
    /// The kind, when the item carries a tracked label or type.
    pub kind: Option<Kind>,
    /// Typed fields.
    pub fields: Fields,
    /// Values that could not be parsed.
    pub problems: Vec<Problem>,
}

// ---------------------------------------------------------------------------
// Issue-form bodies
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------

/// Classifies only: `Some(kind)` if the item carries a tracked label or
/// issue type (exact names, compared case-insensitively; empty rule entries
/// never match).
///
/// An item matching several kinds is a Risk before an Incident before an
/// ActionItem: a risk is the longest-lived record, and an action item
/// labelled `incident` by mistake should not hide an incident.
pub fn classify(labels: &[String], issue_type: Option<&str>, rules: &LabelRules) -> Option<Kind> {
    let has_label = |wanted: &[String]| {
        labels
            .iter()
            .any(|label| wanted.iter().any(|w| same_name(label, w)))
    };
    let has_type =
        |wanted: &[String]| issue_type.is_some_and(|t| wanted.iter().any(|w| same_name(t, w)));
    [
        (Kind::Risk, &rules.risk_labels, &rules.risk_types),
        (
            Kind::Incident,
            &rules.incident_labels,
            &rules.incident_types,
        ),
        (
            Kind::ActionItem,
            &rules.action_item_labels,
            &rules.action_item_types,
        ),
    ]
    .into_iter()
    .find(|(_, labels, types)| has_label(labels) || has_type(types))
    .map(|(kind, _, _)| kind)
}

fn same_name(have: &str, wanted: &str) -> bool {
    !wanted.is_empty()
        && (have.eq_ignore_ascii_case(wanted) || have.to_lowercase() == wanted.to_lowercase())
}

// ---------------------------------------------------------------------------
// normalize
// ---------------------------------------------------------------------------

/// Classifies and normalises one item.
///
/// Every known heading is read whatever the kind (an item may be re-labelled
/// later), looked up case-insensitively with surrounding space and a trailing
/// colon ignored. Problems are listed in the order of the headings below,
/// then label problems.
///
/// | Field | Headings (first with a value wins) | Label |
/// |---|---|---|
/// | `incident_ref` | Incident, Related incident | |
/// | `risk_ref` | Risk, Related risk | |
/// | `item_type` | Type, Action item type | `type:` |
/// | `service` | Service, Affected service | `service:` |
/// | `team` | Team, Owning team | `team:` |
/// | `owner` | Owner, Owners — else `item.assignee` | |
/// | `priority` | Priority | `priority:` |
/// | `target_date` | Target date, Due date — else `item.due_date` | |
/// | `risk_rationale` | Risk rationale, Rationale | |
/// | `expected_outcome` | Expected outcome | |
/// | `evidence` | Evidence of completion, Evidence | |
/// | `blocked_by` | Blocked by | |
/// | `effort` | Effort | |
/// | `theme` | Theme | |
/// | `impact`, `scope`, `likelihood` | Impact, Scope, Likelihood | |
/// | `ttd_minutes` | Time to detect (minutes), Time to detect, TTD | |
/// | `ttr_minutes` | Time to repair (minutes), Time to repair, Time to recover, TTR | |
/// | `users_pct` | Users affected (%), Users affected | |
/// | `occurrences_per_year` | Occurrences per year | |
/// | `days_between_failures` | Days between failures | |
/// | `status` | Status — else derived, see below | `status:` |
/// | `last_reviewed_at` | Last reviewed, Last reviewed at | |
/// | `slo` | SLO | |
/// | `started_at`, `resolved_at` | Started at, Resolved at | |
/// | `severity` | Severity | |
///
/// Labels `{value_label_prefix}key:value` (key case-insensitive, value
/// trimmed, first such label per key) fill a field only when the sections
/// left it empty: the section wins.
///
/// Status, first rule that applies. The tracker's state decides between
/// open and closed; a label or section never overrides it (it is kept as
/// `stated_status`, and `recur report lint` flags a contradiction):
///
/// | Condition | Status |
/// |---|---|
/// | closed, reason `not_planned` or in [`LabelRules::declined_reasons`] (Jira `Won't Do`, `Declined`, `Cannot Reproduce`, …) | `declined` |
/// | closed, reason `duplicate` or in [`LabelRules::duplicate_reasons`] | `duplicate` |
/// | closed, any other or no reason (`completed`, Jira `Done`, `Fixed`, a done-category status without resolution) | `done` |
/// | open, Status section or `status:` label naming an open status | its text, lower-cased, `-`/`_` read as spaces (`In-Progress` → `in progress`) |
/// | open, tracker status given (Jira) | tracker status, lower-cased as above |
/// | open, Blocked by given | `blocked` |
/// | open, owner known (section, label or assignee) | `accepted` |
/// | open otherwise | `proposed` |
///
/// `effect` is [`effect_for_type`] of the item type.
pub fn normalize(item: &Item, rules: &LabelRules) -> Normalized {
    let mut r = Reader::new(&item.sections);
    let mut f = Fields {
        incident_ref: r.reference(
            "incident_ref",
            &[
                "incident",
                "related incident",
                "incident reference",
                "incident ref",
            ],
        ),
        risk_ref: r.reference(
            "risk_ref",
            &["risk", "related risk", "risk reference", "risk ref"],
        ),
        item_type: r.text(&["type", "action item type", "item type"]),
        service: r.text(&["service", "affected service"]),
        team: r.text(&["team", "owning team"]),
        owner: r.owner("owner", &["owner", "owners"]),
        priority: r.priority("priority", &["priority"]),
        target_date: r.date("target_date", &["target date", "due date"]),
        risk_rationale: r.text(&["risk rationale", "rationale"]),
        expected_outcome: r.text(&["expected outcome"]),
        evidence: r.text(&["evidence of completion", "evidence"]),
        blocked_by: r.text(&["blocked by"]),
        effort: r.text(&["effort", "effort estimate"]),
        theme: r.text(&["theme"]),
        impact: r.parsed("impact", &["impact"], parse_level),
        scope: r.parsed("scope", &["scope"], parse_level),
        likelihood: r.parsed("likelihood", &["likelihood"], parse_level),
        ttd_minutes: r.parsed(
            "ttd_minutes",
            &[
                "time to detect (minutes)",
                "time to detect",
                "ttd (minutes)",
                "ttd",
            ],
            parse_minutes,
        ),
        ttr_minutes: r.parsed(
            "ttr_minutes",
            &[
                "time to repair (minutes)",
                "time to repair",
                "time to recover (minutes)",
                "time to recover",
                "ttr (minutes)",
                "ttr",
            ],
            parse_minutes,
        ),
        users_pct: r.parsed(
            "users_pct",
            &[
                "users affected (%)",
                "users affected",
                "users affected (percent)",
            ],
            parse_percent,
        ),
        occurrences_per_year: r.parsed(
            "occurrences_per_year",
            &["occurrences per year"],
            parse_number,
        ),
        days_between_failures: r.parsed(
            "days_between_failures",
            &["days between failures"],
            parse_number,
        ),
        status: None,
        stated_status: r.raw(&["status"]).and_then(status_text),
        last_reviewed_at: r.date(
            "last_reviewed_at",
            &["last reviewed", "last reviewed at", "last review"],
        ),
        slo: r.parsed("slo", &["slo", "slo target"], parse_slo),
        started_at: r.parsed("started_at", &["started at", "started"], parse_timestamp),
        resolved_at: r.parsed("resolved_at", &["resolved at", "resolved"], parse_timestamp),
        severity: r.text(&["severity"]),
        effect: None,
    };

    let labels = label_values(&item.labels, &rules.value_label_prefix);
    if f.priority.is_none() {
        if let Some(raw) = labels.priority {
            f.priority = r.checked_option("priority", raw, parse_priority(raw), UNKNOWN_PRIORITY);
        }
    }
    if f.item_type.is_none() {
        f.item_type = labels.item_type.and_then(text_value);
    }
    if f.service.is_none() {
        f.service = labels.service.and_then(text_value);
    }
    if f.team.is_none() {
        f.team = labels.team.and_then(text_value);
    }
    if f.stated_status.is_none() {
        f.stated_status = labels.status.and_then(status_text);
    }
    f.stated_status = f.stated_status.map(|s| canonical_stated(&s));

    if f.owner.is_none() {
        f.owner = item.assignee.as_deref().and_then(parse_owner);
    }
    if f.target_date.is_none() {
        f.target_date = item.due_date;
    }
    f.status = Some(lifecycle_status(item, &f, rules));
    f.effect = f
        .item_type
        .as_deref()
        .and_then(effect_for_type)
        .map(str::to_string);

    Normalized {
        kind: classify(&item.labels, item.issue_type.as_deref(), rules),
        fields: f,
        problems: r.problems,
    }
}

const UNKNOWN_PRIORITY: &str = "unknown priority; use critical, high, medium, low or P0-P3";

/// Statuses a person may write that mean the item is finished, read as the
/// one word recur uses for each (`closed` when it says no more than that).
const CLOSED_SYNONYMS: &[(&str, &str)] = &[
    ("done", "done"),
    ("complete", "done"),
    ("completed", "done"),
    ("fixed", "done"),
    ("resolved", "done"),
    ("finished", "done"),
    ("declined", "declined"),
    ("rejected", "declined"),
    ("won't do", "declined"),
    ("won't fix", "declined"),
    ("wont fix", "declined"),
    ("wontfix", "declined"),
    ("not planned", "declined"),
    ("cancelled", "declined"),
    ("canceled", "declined"),
    ("obsolete", "declined"),
    ("duplicate", "duplicate"),
    ("closed", "closed"),
];

/// A stated status with its closed synonyms folded (`Resolved` → `done`).
fn canonical_stated(s: &str) -> String {
    let key = s.replace('’', "'");
    CLOSED_SYNONYMS
        .iter()
        .find(|(w, _)| *w == key)
        .map(|(_, canon)| canon.to_string())
        .unwrap_or_else(|| s.to_string())
}

/// Whether a (canonical) stated status says the item is finished.
fn says_closed(stated: &str) -> bool {
    matches!(stated, "done" | "declined" | "duplicate" | "closed")
}

/// The status; the table is in [`normalize`]'s documentation.
fn lifecycle_status(item: &Item, f: &Fields, rules: &LabelRules) -> String {
    match item.state {
        State::Closed => closed_status(item.state_reason.as_deref(), rules).to_string(),
        State::Open => {
            if let Some(stated) = f.stated_status.as_deref().filter(|s| !says_closed(s)) {
                stated.to_string()
            } else if let Some(status) = item.tracker_status.as_deref().and_then(status_text) {
                status
            } else if f.blocked_by.is_some() {
                "blocked".to_string()
            } else if f.owner.is_some() {
                "accepted".to_string()
            } else {
                "proposed".to_string()
            }
        }
    }
}

/// `done`, `declined` or `duplicate` for a closed item's reason (GitHub
/// `state_reason`, Jira resolution name); no reason is `done`.
pub fn closed_status(reason: Option<&str>, rules: &LabelRules) -> &'static str {
    let norm = |r: &str| words(&r.to_lowercase().replace('’', "'"));
    let Some(reason) = reason.map(norm).filter(|r| !r.is_empty()) else {
        return "done";
    };
    let listed = |list: &[String]| list.iter().any(|l| norm(l) == reason);
    if reason == "not planned" || listed(&rules.declined_reasons) {
        "declined"
    } else if reason == "duplicate" || listed(&rules.duplicate_reasons) {
        "duplicate"
    } else {
        "done"
    }
}

/// Lower-cased, `-` and `_` read as spaces, runs of space collapsed.
fn status_text(s: &str) -> Option<String> {
    let t = clean(s)?;
    let status = words(&t.to_lowercase());
    (!status.is_empty()).then_some(status)
}

/// Splits on whitespace, `-` and `_`, and joins with single spaces.
fn words(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Section values by normalised heading, and the problems met reading them.
struct Reader<'a> {
    sections: BTreeMap<String, &'a str>,
    problems: Vec<Problem>,
}

impl<'a> Reader<'a> {
    fn new(sections: &'a BTreeMap<String, String>) -> Self {
        let mut by_key = BTreeMap::new();
        // Headings that differ only in case or spacing: the first in the
        // map's (sorted) order wins, so the choice is at least stable.
        for (heading, value) in sections {
            by_key.entry(heading_key(heading)).or_insert(value.as_str());
        }
        Reader {
            sections: by_key,
            problems: Vec::new(),
        }
    }

    /// The first of `headings` (normalised keys) that holds a non-blank value.
    fn raw(&self, headings: &[&str]) -> Option<&'a str> {
        headings
            .iter()
            .filter_map(|h| self.sections.get(*h).copied())
            .find(|v| clean(v).is_some())
    }

    fn text(&self, headings: &[&str]) -> Option<String> {
        self.raw(headings).and_then(text_value)
    }

    fn parsed<T>(
        &mut self,
        field: &str,
        headings: &[&str],
        parse: fn(&str) -> Result<Option<T>, String>,
    ) -> Option<T> {
        let raw = self.raw(headings)?;
        match parse(raw) {
            Ok(value) => value,
            Err(reason) => {
                self.problem(field, raw, reason);
                None
            }
        }
    }

    /// A date; a month alone (`March 2026`, `2026-03`) reads as the month's
    /// first day, and a problem row says so (month precision), so nobody
    /// mistakes it for a day someone wrote.
    fn date(&mut self, field: &str, headings: &[&str]) -> Option<NaiveDate> {
        let raw = self.raw(headings)?;
        match parse_date(raw) {
            Ok(value) => value,
            Err(reason) => match clean(raw).and_then(month_date) {
                Some(first) => {
                    self.problem(field, raw, format!("{MONTH_PRECISION}: read as {first}"));
                    Some(first)
                }
                None => {
                    self.problem(field, raw, reason);
                    None
                }
            },
        }
    }

    fn owner(&mut self, field: &str, headings: &[&str]) -> Option<String> {
        let raw = self.raw(headings)?;
        self.checked_option(field, raw, parse_owner(raw), "no login or name found")
    }

    fn priority(&mut self, field: &str, headings: &[&str]) -> Option<String> {
        let raw = self.raw(headings)?;
        self.checked_option(field, raw, parse_priority(raw), UNKNOWN_PRIORITY)
    }

    fn reference(&mut self, field: &str, headings: &[&str]) -> Option<String> {
        let raw = self.raw(headings)?;
        self.checked_option(
            field,
            raw,
            parse_reference(raw),
            "no issue reference found (#12, owner/repo#12, OPS-12 or an issue URL)",
        )
    }

    /// For the `Option` parsers: blank text is simply absent, other text
    /// that gives nothing is a problem.
    fn checked_option(
        &mut self,
        field: &str,
        raw: &str,
        parsed: Option<String>,
        reason: &str,
    ) -> Option<String> {
        if parsed.is_none() && clean(raw).is_some() {
            self.problem(field, raw, reason.to_string());
        }
        parsed
    }

    fn problem(&mut self, field: &str, raw: &str, reason: String) {
        self.problems.push(Problem {
            field: field.to_string(),
            raw: raw.trim().to_string(),
            reason,
        });
    }
}

/// Lower-cased, trimmed, trailing colon dropped, inner space collapsed.
fn heading_key(heading: &str) -> String {
    heading
        .trim()
        .trim_end_matches(':')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Text fields keep what was written, trimmed; blanks are absent.
fn text_value(s: &str) -> Option<String> {
    clean(s).map(|_| s.trim().to_string())
}

/// Values carried by `{prefix}key:value` labels, the first per key.
#[derive(Default)]
struct LabelValues<'a> {
    priority: Option<&'a str>,
    item_type: Option<&'a str>,
    service: Option<&'a str>,
    team: Option<&'a str>,
    status: Option<&'a str>,
}

fn label_values<'a>(labels: &'a [String], prefix: &str) -> LabelValues<'a> {
    let mut out = LabelValues::default();
    for label in labels {
        let Some(rest) = strip_prefix_ignore_case(label.trim(), prefix) else {
            continue;
        };
        let Some((key, value)) = rest.split_once(':') else {
            continue;
        };
        // GitLab-style scoped labels (`priority::high`) read the same.
        let value = value.trim_start_matches(':').trim();
        if value.is_empty() {
            continue;
        }
        let slot = match key.trim().to_lowercase().as_str() {
            "priority" => &mut out.priority,
            "type" => &mut out.item_type,
            "service" => &mut out.service,
            "team" => &mut out.team,
            "status" => &mut out.status,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    out
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix.is_empty() {
        return Some(s);
    }
    // `get` is None when the cut would split a character.
    let head = s.get(..prefix.len())?;
    (head.to_lowercase() == prefix.to_lowercase()).then(|| s.get(prefix.len()..).unwrap_or(""))
}

// ---------------------------------------------------------------------------
// Scalar parsers
// ---------------------------------------------------------------------------

/// Longest text a scalar parser reads. Dates, numbers and levels are short;
/// refusing long text up front keeps every parser cheap on hostile input.
const MAX_SCALAR_LEN: usize = 200;

/// Trims whitespace and surrounding backticks/quotes; `None` for the texts
/// that mean "no value" (`_No response_` is what GitHub writes for a form
/// field left empty).
fn clean(s: &str) -> Option<&str> {
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
fn scalar<'a>(s: &'a str, what: &str) -> Result<Option<&'a str>, String> {
    match clean(s) {
        None => Ok(None),
        Some(t) if t.len() > MAX_SCALAR_LEN => Err(format!("too long to be {what}")),
        Some(t) => Ok(Some(t)),
    }
}

/// An unsigned decimal as written: integer and fraction digits.
struct Decimal {
    int: String,
    frac: String,
}

impl Decimal {
    fn value(&self) -> Option<f64> {
        let int = if self.int.is_empty() { "0" } else { &self.int };
        let frac = if self.frac.is_empty() {
            "0"
        } else {
            &self.frac
        };
        format!("{int}.{frac}")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
    }

    /// The value divided by 100, done on the text: the result is the
    /// correctly rounded fraction, so `99.9 %` and `0.999` give the same f64.
    fn hundredth(&self) -> Option<f64> {
        let digits = format!("{}{}", self.int, self.frac);
        let text = match self.int.len().checked_sub(2) {
            Some(point) if point > 0 => {
                format!("{}.{}", digits.get(..point)?, digits.get(point..)?)
            }
            _ => format!("0.{}{digits}", "0".repeat(2 - self.int.len().min(2))),
        };
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    }
}

/// Reads an unsigned decimal at the start of `s`: digits with optional `,`
/// thousands groups (`1,000`), then an optional `.` fraction (`.5` too).
/// Returns it and the rest of `s`.
fn lex_decimal(s: &str) -> Option<(Decimal, &str)> {
    let b = s.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = 0;
    let mut int = String::new();
    while digit_at(i) {
        int.push(char::from(b[i]));
        i += 1;
    }
    if (1..=3).contains(&int.len()) {
        while b.get(i) == Some(&b',')
            && digit_at(i + 1)
            && digit_at(i + 2)
            && digit_at(i + 3)
            && !digit_at(i + 4)
        {
            int.extend(b[i + 1..i + 4].iter().map(|d| char::from(*d)));
            i += 4;
        }
    }
    let mut frac = String::new();
    if b.get(i) == Some(&b'.') && digit_at(i + 1) {
        i += 1;
        while digit_at(i) {
            frac.push(char::from(b[i]));
            i += 1;
        }
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    // Only ASCII bytes were consumed, so `i` is a character boundary.
    Some((Decimal { int, frac }, s.get(i..).unwrap_or("")))
}

/// The reason for text that is a negative number, or a generic one.
fn not_a_number(t: &str, what: &str) -> String {
    let negative = t
        .strip_prefix(['-', '−'])
        .is_some_and(|rest| lex_decimal(rest.trim_start()).is_some());
    if negative {
        format!("{what} must not be negative")
    } else {
        format!("not {what}")
    }
}

/// Reads a calendar date **as written**, without any time-zone shift:
/// `2025-03-02`, `2025/03/02`, `2.3.2025` (day first with dots),
/// `2025-03-02T10:00:00Z` and `2025-03-02 14:05 UTC` (the date part, the
/// time must still be valid), `2 March 2025`, `March 2, 2025`, `Mar 2 2025`,
/// `2nd March 2025`, `Sunday, 2 March 2025`.
///
/// `03/02/2025` is refused as ambiguous (day or month first?).
pub fn parse_date(s: &str) -> Result<Option<NaiveDate>, String> {
    let Some(t) = scalar(s, "a date")? else {
        return Ok(None);
    };
    date_parts(t).map(|(date, _)| Some(date))
}

/// Reads a point in time: RFC 3339 (`2025-03-02T14:05:09Z`,
/// `…+01:00`), Jira's `2022-12-08T02:22:18.889-0800` (offset without a
/// colon), `2025-03-02 14:05 UTC`, `2025-03-02 14:05:09`,
/// `2025-03-02T14:05` (UTC assumed when no zone is given; `Z`, `UTC`, `GMT`,
/// `±HH:MM`, `±HHMM`, `±HH` are understood), and any date [`parse_date`]
/// reads, as midnight UTC.
pub fn parse_timestamp(s: &str) -> Result<Option<DateTime<Utc>>, String> {
    let Some(t) = scalar(s, "a timestamp")? else {
        return Ok(None);
    };
    let (date, time) = date_parts(t)?;
    let Some((time, offset)) = time else {
        return Ok(Some(date.and_time(NaiveTime::MIN).and_utc()));
    };
    offset
        .from_local_datetime(&date.and_time(time))
        .single()
        .map(|dt| Some(dt.with_timezone(&Utc)))
        .ok_or_else(|| format!("not a valid timestamp: {t}"))
}

type TimeOfDay = Option<(NaiveTime, FixedOffset)>;

/// A date, and the time of day with its offset when one was written.
fn date_parts(t: &str) -> Result<(NaiveDate, TimeOfDay), String> {
    if let Some(date) = numeric_date(t)? {
        return Ok((date, None));
    }
    if let Some(date) = text_date(t) {
        return Ok((date, None));
    }
    // `YYYY-MM-DD` then `T` or a space then a time: the date is at most ten
    // characters, so only the first few cut points need trying.
    for (i, c) in t.char_indices().take(11) {
        if matches!(c, 'T' | 't' | ' ') {
            let (Some(head), Some(tail)) = (t.get(..i), t.get(i + 1..)) else {
                continue;
            };
            if let Some(date) = numeric_date(head)? {
                return Ok((date, Some(time_and_zone(tail)?)));
            }
        }
    }
    Err("not a date (write it as YYYY-MM-DD)".to_string())
}

/// `Ok(None)`: not digits-and-separators at all; `Err`: it is, but it is no
/// date or an ambiguous one.
fn numeric_date(s: &str) -> Result<Option<NaiveDate>, String> {
    let Some(sep) = s.chars().find(|c| !c.is_ascii_digit()) else {
        return Ok(None);
    };
    if !matches!(sep, '-' | '/' | '.') {
        return Ok(None);
    }
    let parts: Vec<&str> = s.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return Ok(None);
    };
    if [a, b, c]
        .iter()
        .any(|p| p.is_empty() || !p.bytes().all(|d| d.is_ascii_digit()))
    {
        return Ok(None);
    }
    let (year, month, day) = match (a.len(), b.len(), c.len()) {
        (4, 1..=2, 1..=2) => (a, b, c),
        // Day-first with dots is the common European form; nobody writes
        // month-first with dots.
        (1..=2, 1..=2, 4) if sep == '.' => (c, b, a),
        (1..=2, 1..=2, 4) => {
            return Err(
                "day and month order is ambiguous (write the date as YYYY-MM-DD)".to_string(),
            )
        }
        _ => return Ok(None),
    };
    let (Ok(y), Ok(m), Ok(d)) = (year.parse(), month.parse(), day.parse()) else {
        return Ok(None);
    };
    NaiveDate::from_ymd_opt(y, m, d)
        .map(Some)
        .ok_or_else(|| format!("no such date: {s}"))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The reason given for a date written as a month only; the value is kept
/// (the month's first day), this marks its precision.
pub const MONTH_PRECISION: &str = "month precision";

/// The first day of a month written without a day: `March 2026`,
/// `Mar. 2026`, `March, 2026`, `2026-03`, `2026/03`.
pub fn month_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() > 20 {
        return None;
    }
    if let Some((y, m)) = s.split_once(['-', '/']) {
        if y.len() == 4 && (1..=2).contains(&m.len()) && m.bytes().all(|d| d.is_ascii_digit()) {
            return NaiveDate::from_ymd_opt(year_number(y)?, m.parse().ok()?, 1);
        }
        return None;
    }
    let tokens: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    let [m, y] = tokens.as_slice() else {
        return None;
    };
    NaiveDate::from_ymd_opt(year_number(y)?, month_number(m)?, 1)
}

/// `2 March 2025`, `March 2, 2025`, `Mar 2 2025`, optionally after a
/// weekday.
fn text_date(s: &str) -> Option<NaiveDate> {
    let mut tokens: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.len() == 4 && tokens.first().is_some_and(|t| is_weekday(t)) {
        tokens.remove(0);
    }
    let [a, b, c] = tokens.as_slice() else {
        return None;
    };
    let (day, month) = match month_number(a) {
        Some(month) => (day_number(b)?, month),
        None => (day_number(a)?, month_number(b)?),
    };
    NaiveDate::from_ymd_opt(year_number(c)?, month, day)
}

fn month_number(token: &str) -> Option<u32> {
    let t = token.trim_end_matches('.').to_lowercase();
    if t == "sept" {
        return Some(9);
    }
    let index = MONTHS
        .iter()
        .position(|m| *m == t || (t.len() == 3 && m.starts_with(t.as_str())))?;
    u32::try_from(index + 1).ok()
}

fn is_weekday(token: &str) -> bool {
    let t = token.trim_end_matches('.').to_lowercase();
    WEEKDAYS
        .iter()
        .any(|d| *d == t || (t.len() == 3 && d.starts_with(t.as_str())))
}

fn day_number(token: &str) -> Option<u32> {
    let lower = token.to_lowercase();
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|suffix| lower.strip_suffix(suffix))
        .unwrap_or(&lower);
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn year_number(token: &str) -> Option<i32> {
    if token.len() != 4 || !token.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// `14:05`, `14:05:09`, `14:05:09.889`, then an optional zone.
fn time_and_zone(rest: &str) -> Result<(NaiveTime, FixedOffset), String> {
    let rest = rest.trim();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(rest.len());
    let (Some(time_text), Some(zone_text)) = (rest.get(..end), rest.get(end..)) else {
        return Err(format!("not a time of day: {rest}"));
    };
    let time = ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M"]
        .iter()
        .find_map(|format| NaiveTime::parse_from_str(time_text, format).ok())
        .ok_or_else(|| format!("not a time of day: {time_text}"))?;
    Ok((time, zone(zone_text.trim())?))
}

fn zone(z: &str) -> Result<FixedOffset, String> {
    let unknown = || format!("unknown time zone {z:?} (use Z, UTC or an offset like +01:00)");
    let lower = z.to_ascii_lowercase();
    if matches!(lower.as_str(), "" | "z" | "utc" | "gmt") {
        return FixedOffset::east_opt(0).ok_or_else(unknown);
    }
    let offset = lower
        .strip_prefix("utc")
        .or_else(|| lower.strip_prefix("gmt"))
        .unwrap_or(&lower);
    let (sign, digits) = if let Some(d) = offset.strip_prefix('+') {
        (1, d)
    } else if let Some(d) = offset.strip_prefix(['-', '−']) {
        (-1, d)
    } else {
        return Err(unknown());
    };
    let (hours, minutes) = match digits.split_once(':') {
        Some(parts) => parts,
        None if digits.len() == 4 => (digits.get(..2).unwrap_or(""), digits.get(2..).unwrap_or("")),
        None => (digits, "0"),
    };
    let two_digits = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|d| d.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return Err(unknown());
    }
    let (Ok(h), Ok(m)) = (hours.parse::<i32>(), minutes.parse::<i32>()) else {
        return Err(unknown());
    };
    if h > 23 || m > 59 {
        return Err(unknown());
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or_else(unknown)
}

/// Reads a percentage: `25`, `25%`, `25 %`, `25 percent`, `0.5 %` → 25.0,
/// 0.5. Must be within 0..=100.
pub fn parse_percent(s: &str) -> Result<Option<f64>, String> {
    let Some(t) = scalar(s, "a percentage")? else {
        return Ok(None);
    };
    let Some((decimal, rest)) = lex_decimal(t) else {
        return Err(not_a_number(t, "a percentage"));
    };
    if !is_percent_sign(rest) && !rest.trim().is_empty() {
        return Err(format!("not a percentage: {t}"));
    }
    let value = decimal
        .value()
        .ok_or_else(|| format!("not a percentage: {t}"))?;
    if value > 100.0 {
        return Err(format!("{value} is more than 100 %"));
    }
    Ok(Some(value))
}

fn is_percent_sign(rest: &str) -> bool {
    let r = rest.trim();
    r == "%" || r.eq_ignore_ascii_case("percent") || r.eq_ignore_ascii_case("pct")
}

/// Reads a level 1..=5: a leading whole number (`3`, `3 - Medium`,
/// `3 (medium)`, `3/5`, `3.0`; the words after it are the form's own labels
/// and are not checked) or a word: very low = 1, low = 2, medium/moderate = 3,
/// high = 4, very high/critical = 5; for likelihood also rare = 1,
/// unlikely = 2, possible = 3, likely = 4, almost certain = 5.
pub fn parse_level(s: &str) -> Result<Option<i32>, String> {
    let Some(t) = scalar(s, "a level")? else {
        return Ok(None);
    };
    if let Some((decimal, rest)) = lex_decimal(t) {
        if rest.chars().next().is_some_and(char::is_alphanumeric) {
            return Err(format!("not a level 1-5: {t}"));
        }
        let value = decimal
            .value()
            .ok_or_else(|| format!("not a level 1-5: {t}"))?;
        if !(1.0..=5.0).contains(&value) {
            return Err(format!("level {value} is not between 1 and 5"));
        }
        // Exact comparison is right here: `3.0` is a level, `3.5` is not.
        return (1..=5)
            .find(|n| f64::from(*n) == value)
            .map(Some)
            .ok_or_else(|| format!("level {value} is not a whole number"));
    }
    let lower = t.to_lowercase();
    let head = lower
        .split(['(', ':', '–', '—', ',', '/'])
        .next()
        .unwrap_or("");
    let words: Vec<&str> = head
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .collect();
    // The whole text, then its first two words, then its first word:
    // `very low` before `very`, `high impact` as `high`.
    [words.len(), 2, 1]
        .iter()
        .filter_map(|n| words.get(..*n))
        .find_map(|w| level_word(&w.join(" ")))
        .map(Some)
        .ok_or_else(|| not_a_number(t, "a level 1-5"))
}

fn level_word(w: &str) -> Option<i32> {
    match w {
        "very low" | "rare" => Some(1),
        "low" | "unlikely" => Some(2),
        "medium" | "moderate" | "possible" => Some(3),
        "high" | "likely" => Some(4),
        "very high" | "critical" | "almost certain" => Some(5),
        _ => None,
    }
}

/// Reads a non-negative number: `10`, `10.5`, `1,000`. A unit word after
/// it is ignored (`10 min`, `10 minutes`, `4 per year`, `90 days`); no unit is
/// converted here (see [`parse_minutes`] for durations).
pub fn parse_number(s: &str) -> Result<Option<f64>, String> {
    let Some(t) = scalar(s, "a number")? else {
        return Ok(None);
    };
    let Some((decimal, rest)) = lex_decimal(t) else {
        return Err(not_a_number(t, "a number"));
    };
    let rest = rest.trim();
    let unit_word = rest
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '/')
        && rest
            .chars()
            .all(|c| c.is_alphabetic() || c.is_whitespace() || matches!(c, '/' | '.'));
    if !rest.is_empty() && !unit_word {
        return Err(format!("not a number: {t}"));
    }
    decimal
        .value()
        .map(Some)
        .ok_or_else(|| format!("not a number: {t}"))
}

/// Reads a duration in minutes: `10` (minutes), `10 min`, `10m`, `2h`,
/// `2 hours`, `1h 30m`, `1h30m`, `1 hour and 30 minutes`, `1.5 h`,
/// `90 minutes`, `30s`, `1d`, `1w`. A number without a unit is minutes and
/// may only come last (`1h 30`).
pub fn parse_minutes(s: &str) -> Result<Option<f64>, String> {
    let Some(t) = scalar(s, "a duration")? else {
        return Ok(None);
    };
    let lower = t.to_lowercase();
    let mut rest = lower.as_str();
    let mut total = 0.0;
    let mut parts = 0;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if parts > 0 {
            if let Some(after_and) = rest.strip_prefix("and ") {
                rest = after_and;
                continue;
            }
        }
        if rest.is_empty() {
            break;
        }
        let Some((decimal, after)) = lex_decimal(rest) else {
            return Err(not_a_number(t, "a duration"));
        };
        let after = after.trim_start();
        let unit_end = after
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(after.len());
        let (unit, tail) = (
            after.get(..unit_end).unwrap_or(""),
            after.get(unit_end..).unwrap_or(""),
        );
        let (per, div) = if unit.is_empty() {
            if !tail.trim().is_empty() {
                return Err(format!("a number without a unit must come last: {t}"));
            }
            (1.0, 1.0)
        } else {
            minutes_per(unit).ok_or_else(|| format!("unknown unit {unit:?} in {t}"))?
        };
        let value = decimal
            .value()
            .ok_or_else(|| format!("not a duration: {t}"))?;
        total += value * per / div;
        parts += 1;
        rest = tail;
    }
    if parts == 0 || !f64::is_finite(total) {
        return Err(format!("not a duration: {t}"));
    }
    Ok(Some(total))
}

/// Minutes per unit as a ratio, so 30 s is exactly 0.5.
fn minutes_per(unit: &str) -> Option<(f64, f64)> {
    match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => Some((1.0, 60.0)),
        "m" | "min" | "mins" | "minute" | "minutes" => Some((1.0, 1.0)),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some((60.0, 1.0)),
        "d" | "day" | "days" => Some((1440.0, 1.0)),
        "w" | "wk" | "wks" | "week" | "weeks" => Some((10080.0, 1.0)),
        _ => None,
    }
}

/// Reads an SLO as a fraction: `99.9 %` or `99.9` (a number of 1 or more is
/// a percentage) → 0.999; `0.999` (below 1, a fraction) → 0.999. The result
/// must lie strictly between 0 and 1.
pub fn parse_slo(s: &str) -> Result<Option<f64>, String> {
    let Some(t) = scalar(s, "an SLO")? else {
        return Ok(None);
    };
    let Some((decimal, rest)) = lex_decimal(t) else {
        return Err(not_a_number(t, "an SLO"));
    };
    let percent = is_percent_sign(rest);
    if !percent && !rest.trim().is_empty() {
        return Err(format!("not an SLO: {t}"));
    }
    let value = decimal.value().ok_or_else(|| format!("not an SLO: {t}"))?;
    let fraction = if percent || value >= 1.0 {
        decimal.hundredth()
    } else {
        Some(value)
    }
    .ok_or_else(|| format!("not an SLO: {t}"))?;
    if fraction > 0.0 && fraction < 1.0 {
        Ok(Some(fraction))
    } else {
        Err(format!(
            "an SLO must lie between 0 % and 100 %, exclusive: {t}"
        ))
    }
}

/// Reads an owner: the first `@login` mention (`@alice` → `alice`,
/// `@a, @b` → `a`, `@acme/sre` → `acme/sre`); without a mention, the first
/// entry of a comma/semicolon/line list as written (`Alice Smith`), which is
/// how Jira shows people. An `@` inside a word (an e-mail address) is not a
/// mention.
pub fn parse_owner(s: &str) -> Option<String> {
    let t = clean(s)?;
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
            if login.chars().any(char::is_alphanumeric) {
                return Some(login.to_string());
            }
        }
        previous = Some(c);
    }
    t.split([',', ';', '\n'])
        .filter_map(clean)
        .find(|part| part.chars().any(char::is_alphanumeric))
        .map(str::to_string)
}

/// Reads a priority as critical | high | medium | low. `P0`–`P3` map onto
/// them in that order and win over any word after them (`p1 - high`); the
/// words also accept Jira's schemes (highest/blocker = critical, major =
/// high, normal = medium, lowest/minor/trivial = low). The first recognised
/// word counts. Unknown text gives `None` ([`normalize`] reports it).
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

/// Maps an action item's type onto the effect it has on a failure mode.
/// Matching ignores case, and `-`/`_` read as spaces; a type with several
/// parts (`alerting / runbook`) takes the first part that maps. The effect
/// names themselves (and `prevent`, `detect`, …) map to themselves.
///
/// | Effect | Types |
/// |---|---|
/// | prevention | bug fix, fix, code fix, code change, config(uration), configuration hygiene, config hygiene, hygiene, testing, test(s), validation, capacity (planning), architecture, design, dependency, upgrade, patch, refactor(ing), hardening, security, code review, review, process, guardrail(s), lint(ing), static analysis, ci |
/// | detection | alerting, alert(s), monitoring, monitor, observability, logging, logs, metrics, dashboard(s), tracing, health check, synthetic monitoring, probe, slo |
/// | mitigation | redundancy, failover, rate limit(ing), throttling, circuit breaker, feature flag(s), load shedding, (graceful) degradation, isolation, fallback, autoscaling, scaling, retry, retries, timeout(s), bulkhead |
/// | recovery | runbook(s), playbook(s), rollback, backup(s), restore, disaster recovery, dr, automation, tooling, incident response, response process, response, on call, escalation |
/// | learning | documentation, docs, doc, training, postmortem, post mortem, retrospective, investigation, research, spike, knowledge sharing, communication, drill, game day, chaos (engineering) |
pub fn effect_for_type(item_type: &str) -> Option<&'static str> {
    if item_type.len() > MAX_SCALAR_LEN {
        return None;
    }
    let lower = item_type.to_lowercase();
    effect_of(&words(&lower)).or_else(|| {
        lower
            .split(['/', ',', '&', '+', ';'])
            .flat_map(|part| part.split(" and "))
            .find_map(|part| effect_of(&words(part)))
    })
}

fn effect_of(w: &str) -> Option<&'static str> {
    EFFECTS
        .iter()
        .find(|(_, types)| types.contains(&w))
        .map(|(effect, _)| *effect)
}

const EFFECTS: &[(&str, &[&str])] = &[
    (
        "prevention",
        &[
            "prevention",
            "prevent",
            "preventive",
            "preventative",
            "bug fix",
            "bugfix",
            "fix",
            "code fix",
            "code change",
            "configuration",
            "config",
            "config change",
            "configuration hygiene",
            "config hygiene",
            "hygiene",
            "testing",
            "test",
            "tests",
            "validation",
            "capacity",
            "capacity planning",
            "architecture",
            "design",
            "dependency",
            "dependencies",
            "upgrade",
            "patch",
            "refactor",
            "refactoring",
            "hardening",
            "security",
            "code review",
            "review",
            "process",
            "guardrail",
            "guardrails",
            "lint",
            "linting",
            "static analysis",
            "ci",
        ],
    ),
    (
        "detection",
        &[
            "detection",
            "detect",
            "alerting",
            "alert",
            "alerts",
            "monitoring",
            "monitor",
            "observability",
            "logging",
            "logs",
            "metrics",
            "dashboard",
            "dashboards",
            "tracing",
            "health check",
            "healthcheck",
            "synthetic monitoring",
            "probe",
            "slo",
        ],
    ),
    (
        "mitigation",
        &[
            "mitigation",
            "mitigate",
            "redundancy",
            "failover",
            "rate limiting",
            "rate limit",
            "throttling",
            "circuit breaker",
            "feature flag",
            "feature flags",
            "load shedding",
            "graceful degradation",
            "degradation",
            "isolation",
            "fallback",
            "autoscaling",
            "scaling",
            "retry",
            "retries",
            "timeout",
            "timeouts",
            "bulkhead",
        ],
    ),
    (
        "recovery",
        &[
            "recovery",
            "recover",
            "runbook",
            "runbooks",
            "playbook",
            "playbooks",
            "rollback",
            "backup",
            "backups",
            "restore",
            "disaster recovery",
            "dr",
            "automation",
            "tooling",
            "incident response",
            "response process",
            "response",
            "on call",
            "oncall",
            "escalation",
        ],
    ),
    (
        "learning",
        &[
            "learning",
            "learn",
            "documentation",
            "docs",
            "doc",
            "training",
            "postmortem",
            "post mortem",
            "retrospective",
            "investigation",
            "research",
            "spike",
            "knowledge sharing",
            "communication",
            "drill",
            "game day",
            "gameday",
            "chaos",
            "chaos engineering",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .expect("valid test time")
    }

    const BLANKS: &[&str] = &[
        "",
        "   ",
        "\n\t",
        "_No response_",
        "None",
        "none",
        "N/A",
        "n/a",
        "-",
        "`-`",
        "\"\"",
        " _No response_ \n",
    ];

    #[test]
    fn every_parser_reads_blanks_as_absent() {
        for b in BLANKS {
            assert_eq!(parse_date(b), Ok(None), "{b:?}");
            assert_eq!(parse_timestamp(b), Ok(None), "{b:?}");
            assert_eq!(parse_percent(b), Ok(None), "{b:?}");
            assert_eq!(parse_level(b), Ok(None), "{b:?}");
            assert_eq!(parse_number(b), Ok(None), "{b:?}");
            assert_eq!(parse_minutes(b), Ok(None), "{b:?}");
            assert_eq!(parse_slo(b), Ok(None), "{b:?}");
            assert_eq!(parse_owner(b), None, "{b:?}");
            assert_eq!(parse_priority(b), None, "{b:?}");
            assert_eq!(parse_reference(b), None, "{b:?}");
        }
    }

    #[test]
    fn dates_are_read_as_written() {
        let d = Ok(Some(date(2025, 3, 2)));
        for text in [
            "2025-03-02",
            "2025/03/02",
            "2025-3-2",
            "2025-03-02T10:00:00Z",
            "2025-03-02T23:30:00-08:00",
            "2025-03-02 14:05 UTC",
            "2022-12-08T02:22:18.889-0800"
                .replace("2022-12-08", "2025-03-02")
                .as_str(),
            "2 March 2025",
            "2nd March 2025",
            "March 2, 2025",
            "Mar 2 2025",
            "mar. 2, 2025",
            "Sunday, 2 March 2025",
            "2.3.2025",
            "`2025-03-02`",
            "  \"2025-03-02\" ",
        ] {
            assert_eq!(parse_date(text), d, "{text:?}");
        }
        assert_eq!(parse_date("1 Sept 2025"), Ok(Some(date(2025, 9, 1))));
    }

    #[test]
    fn bad_dates_are_errors() {
        for text in [
            "2025-02-30",
            "03/02/2025",
            "tomorrow",
            "2025-03-02 garbage",
            "2025-03-02T25:00Z",
            "2025-03-02T10:00 PST",
            "30 February 2025",
            "2025-03",
            "12345678901",
        ] {
            assert!(parse_date(text).is_err(), "{text:?}");
        }
        let reason = parse_date("03/02/2025").expect_err("ambiguous");
        assert!(reason.contains("ambiguous"), "{reason}");
        assert!(parse_date(&"2025-03-02 ".repeat(1000)).is_err());
    }

    #[test]
    fn timestamps() {
        let cases = [
            ("2025-03-02T14:05:09Z", utc(2025, 3, 2, 14, 5, 9)),
            ("2025-03-02T14:05:09+01:00", utc(2025, 3, 2, 13, 5, 9)),
            ("2025-03-02t14:05:09z", utc(2025, 3, 2, 14, 5, 9)),
            ("2025-03-02 14:05 UTC", utc(2025, 3, 2, 14, 5, 0)),
            ("2025-03-02 14:05:09", utc(2025, 3, 2, 14, 5, 9)),
            ("2025-03-02T14:05", utc(2025, 3, 2, 14, 5, 0)),
            ("2025-03-02 23:30 +0100", utc(2025, 3, 2, 22, 30, 0)),
            ("2025-03-02 23:30 GMT+1", utc(2025, 3, 2, 22, 30, 0)),
            ("2025-03-02", utc(2025, 3, 2, 0, 0, 0)),
            ("2 March 2025", utc(2025, 3, 2, 0, 0, 0)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_timestamp(text), Ok(Some(want)), "{text:?}");
        }
        let jira = parse_timestamp("2022-12-08T02:22:18.889-0800")
            .expect("jira timestamp")
            .expect("present");
        assert_eq!(jira.to_rfc3339(), "2022-12-08T10:22:18.889+00:00");
        // The offset moves the instant across midnight; parse_date keeps the
        // written date.
        assert_eq!(
            parse_timestamp("2025-03-02T23:30:00-08:00"),
            Ok(Some(utc(2025, 3, 3, 7, 30, 0)))
        );
        for bad in [
            "2025-03-02T14",
            "2025-03-02 14:05 CEST",
            "2025-03-02 14:05 +25:00",
            "noon",
            "2025-03-02T14:05:09+123",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn percentages() {
        for (text, want) in [
            ("25", 25.0),
            ("25%", 25.0),
            ("25 %", 25.0),
            ("0.5 %", 0.5),
            (".5%", 0.5),
            ("100", 100.0),
            ("0", 0.0),
            ("12 percent", 12.0),
        ] {
            assert_eq!(parse_percent(text), Ok(Some(want)), "{text:?}");
        }
        for bad in [
            "101",
            "-5",
            "about 10",
            "10%%",
            "1e2",
            "NaN",
            "inf",
            "10 % of users",
        ] {
            assert!(parse_percent(bad).is_err(), "{bad:?}");
        }
        assert!(parse_percent("-5")
            .expect_err("negative")
            .contains("negative"));
    }

    #[test]
    fn levels() {
        for (text, want) in [
            ("3", 3),
            ("3 - Medium", 3),
            ("3 (medium)", 3),
            ("3: medium", 3),
            ("3/5", 3),
            ("3.0", 3),
            ("1", 1),
            ("5", 5),
            ("very low", 1),
            ("Low", 2),
            ("MEDIUM", 3),
            ("high", 4),
            ("Very High", 5),
            ("very-high", 5),
            ("critical", 5),
            ("Medium (3)", 3),
            ("high impact", 4),
            ("Almost certain", 5),
        ] {
            assert_eq!(parse_level(text), Ok(Some(want)), "{text:?}");
        }
        for bad in ["0", "6", "35", "3.5", "3rd", "extreme", "-1", "level three"] {
            assert!(parse_level(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numbers() {
        for (text, want) in [
            ("10", 10.0),
            ("10.5", 10.5),
            ("1,000", 1000.0),
            ("1,000,000.25", 1_000_000.25),
            ("10 min", 10.0),
            ("10 minutes", 10.0),
            ("4 per year", 4.0),
            ("4/year", 4.0),
            ("0", 0.0),
        ] {
            assert_eq!(parse_number(text), Ok(Some(want)), "{text:?}");
        }
        for bad in ["-3", "ten", "1,00", "10 or 20", "10%", "1e3", "inf"] {
            assert!(parse_number(bad).is_err(), "{bad:?}");
        }
        assert!(parse_number("-3")
            .expect_err("negative")
            .contains("negative"));
    }

    #[test]
    fn minutes() {
        for (text, want) in [
            ("10", 10.0),
            ("10 min", 10.0),
            ("10m", 10.0),
            ("2h", 120.0),
            ("2 hours", 120.0),
            ("1h 30m", 90.0),
            ("1h30m", 90.0),
            ("1h, 30m", 90.0),
            ("1 hour and 30 minutes", 90.0),
            ("1h 30", 90.0),
            ("1.5 h", 90.0),
            ("90 minutes", 90.0),
            ("30s", 0.5),
            ("1d", 1440.0),
            ("1 week", 10080.0),
            ("2 HRS", 120.0),
        ] {
            assert_eq!(parse_minutes(text), Ok(Some(want)), "{text:?}");
        }
        for bad in [
            "10 20",
            "2 fortnights",
            "-5 min",
            "h",
            "about 5 min",
            "5 min and",
        ] {
            assert!(parse_minutes(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn slos() {
        for (text, want) in [
            ("99.9", 0.999),
            ("99.9%", 0.999),
            ("99.9 %", 0.999),
            ("0.999", 0.999),
            ("99.95", 0.9995),
            ("99", 0.99),
            ("0.5%", 0.005),
        ] {
            assert_eq!(parse_slo(text), Ok(Some(want)), "{text:?}");
        }
        for bad in [
            "100",
            "100%",
            "0",
            "0%",
            "150",
            "-0.5",
            "high",
            "99.9 per cent",
        ] {
            assert!(parse_slo(bad).is_err(), "{bad:?}");
        }
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

    #[test]
    fn effects() {
        for (text, want) in [
            ("alerting", "detection"),
            ("Monitoring", "detection"),
            ("documentation", "learning"),
            ("testing", "prevention"),
            ("bug-fix", "prevention"),
            ("Bug_Fix", "prevention"),
            ("runbook", "recovery"),
            ("on-call", "recovery"),
            ("failover", "mitigation"),
            ("Rate limiting", "mitigation"),
            ("mitigation", "mitigation"),
            ("Prevention", "prevention"),
            ("learning", "learning"),
            ("alerting / runbook", "detection"),
            ("something & rollback", "recovery"),
        ] {
            assert_eq!(effect_for_type(text), Some(want), "{text:?}");
        }
        assert_eq!(effect_for_type("vibes"), None);
        assert_eq!(effect_for_type(""), None);
    }

    #[test]
    fn seed_types_response_process_and_configuration_hygiene_map_to_an_effect() {
        for (text, want) in [
            ("response process", "recovery"),
            ("Response-Process", "recovery"),
            ("configuration hygiene", "prevention"),
            ("Configuration_Hygiene", "prevention"),
        ] {
            assert_eq!(effect_for_type(text), Some(want), "{text:?}");
        }
        assert_eq!(effect_for_type("vibes"), None);
        assert_eq!(effect_for_type(""), None);
        // Every effect name maps to itself.
        for (effect, _) in EFFECTS {
            assert_eq!(effect_for_type(effect), Some(*effect));
        }
    }

    #[test]
    fn every_type_the_action_item_form_offers_maps_to_an_effect() {
        let form = include_str!("../../../config/github-issue-forms/action-item.yml");
        let block = form
            .split("id: type")
            .nth(1)
            .and_then(|rest| rest.split("validations:").next())
            .expect("the form has a Type dropdown");
        let options: Vec<&str> = block
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- "))
            .map(|o| o.trim_matches('"'))
            .collect();
        assert!(options.contains(&"response process"), "{options:?}");
        assert!(options.contains(&"configuration hygiene"), "{options:?}");
        for o in options {
            assert!(
                effect_for_type(o).is_some(),
                "form type {o:?} maps to no effect"
            );
        }
    }

    fn rules() -> LabelRules {
        LabelRules {
            action_item_labels: vec!["postmortem-action".into()],
            incident_labels: vec!["incident".into()],
            risk_labels: vec!["risk".into()],
            action_item_types: vec!["Postmortem Action".into()],
            incident_types: vec!["Incident".into()],
            risk_types: vec!["Risk".into()],
            ..LabelRules::default()
        }
    }

    #[test]
    fn classification() {
        let r = rules();
        let labels = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            classify(&labels(&["Postmortem-Action"]), None, &r),
            Some(Kind::ActionItem)
        );
        assert_eq!(
            classify(&labels(&["incident", "postmortem-action"]), None, &r),
            Some(Kind::Incident)
        );
        assert_eq!(
            classify(
                &labels(&["postmortem-action", "incident", "RISK"]),
                None,
                &r
            ),
            Some(Kind::Risk)
        );
        assert_eq!(classify(&labels(&[]), Some("risk"), &r), Some(Kind::Risk));
        assert_eq!(
            classify(&labels(&["postmortem-action"]), Some("Incident"), &r),
            Some(Kind::Incident)
        );
        // Exact names only: no substring or prefix matching.
        assert_eq!(classify(&labels(&["risky", "incidents"]), None, &r), None);
        assert_eq!(classify(&labels(&["bug"]), Some("Task"), &r), None);
        // An empty rule entry never matches an empty label.
        let mut empty = LabelRules::default();
        empty.risk_labels.push(String::new());
        assert_eq!(classify(&labels(&[""]), Some(""), &empty), None);
    }

    const FORM: &str = "### Incident\n\n#41\n\n### Type\n\nalerting\n\n### Service\n\npayments\n\n\
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

    fn item(labels: &[&str], body: &str) -> Item {
        Item {
            key: "acme/payments#7".into(),
            container: "acme/payments".into(),
            number: 7,
            external_id: "1007".into(),
            url: "https://github.com/acme/payments/issues/7".into(),
            title: "t".into(),
            body: body.into(),
            state: State::Open,
            state_reason: None,
            tracker_status: None,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            issue_type: None,
            assignee: None,
            due_date: None,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
            closed_at: None,
            sections: parse_form_body(body),
            links: Vec::new(),
            raw: "{}".into(),
        }
    }

    #[test]
    fn normalizes_an_action_item() {
        let n = normalize(&item(&["postmortem-action"], FORM), &rules());
        assert_eq!(n.kind, Some(Kind::ActionItem));
        assert!(n.problems.is_empty(), "{:?}", n.problems);
        let f = n.fields;
        assert_eq!(f.incident_ref.as_deref(), Some("#41"));
        assert_eq!(f.item_type.as_deref(), Some("alerting"));
        assert_eq!(f.effect.as_deref(), Some("detection"));
        assert_eq!(f.service.as_deref(), Some("payments"));
        assert_eq!(f.owner.as_deref(), Some("alice"));
        assert_eq!(f.priority.as_deref(), Some("high"));
        assert_eq!(f.target_date, Some(date(2025, 3, 2)));
        assert_eq!(
            f.expected_outcome.as_deref(),
            Some("Page before users notice.\nWith two lines.")
        );
        assert_eq!(f.blocked_by, None);
        assert_eq!(f.status.as_deref(), Some("accepted"));
    }

    #[test]
    fn normalizes_a_risk() {
        let body = "### Impact\n\n4 - High\n\n### Scope\n\nmedium\n\n### Likelihood\n\n2\n\n\
                    ### Time to detect (minutes)\n\n15 min\n\n### Time to repair (minutes)\n\n1h 30m\n\n\
                    ### Users affected (%)\n\n25 %\n\n### Occurrences per year\n\n4\n\n\
                    ### Days between failures\n\n90 days\n\n### Owner\n\n@sre-team\n\n\
                    ### Status\n\nIn-Review\n\n### Last reviewed\n\nMarch 2, 2025\n\n### SLO\n\n99.9%\n";
        let n = normalize(&item(&["risk"], body), &rules());
        assert_eq!(n.kind, Some(Kind::Risk));
        assert!(n.problems.is_empty(), "{:?}", n.problems);
        let f = n.fields;
        assert_eq!(
            (f.impact, f.scope, f.likelihood),
            (Some(4), Some(3), Some(2))
        );
        assert_eq!(f.ttd_minutes, Some(15.0));
        assert_eq!(f.ttr_minutes, Some(90.0));
        assert_eq!(f.users_pct, Some(25.0));
        assert_eq!(f.occurrences_per_year, Some(4.0));
        assert_eq!(f.days_between_failures, Some(90.0));
        assert_eq!(f.owner.as_deref(), Some("sre-team"));
        assert_eq!(f.status.as_deref(), Some("in review"));
        assert_eq!(f.last_reviewed_at, Some(date(2025, 3, 2)));
        assert_eq!(f.slo, Some(0.999));
    }

    #[test]
    fn normalizes_an_incident() {
        let body = "### Started at\n\n2025-03-02 14:05 UTC\n\n### Resolved at\n\n2025-03-02T16:00:00+01:00\n\n\
                    ### Severity\n\nSEV2\n\n### Service\n\ncheckout\n\n### Risk\n\nacme/risks#3\n\n\
                    ### Users affected (%)\n\n0.5 %\n";
        let mut it = item(&["incident"], body);
        it.state = State::Closed;
        it.state_reason = Some("completed".into());
        let n = normalize(&it, &rules());
        assert_eq!(n.kind, Some(Kind::Incident));
        assert!(n.problems.is_empty(), "{:?}", n.problems);
        let f = n.fields;
        assert_eq!(f.started_at, Some(utc(2025, 3, 2, 14, 5, 0)));
        assert_eq!(f.resolved_at, Some(utc(2025, 3, 2, 15, 0, 0)));
        assert_eq!(f.severity.as_deref(), Some("SEV2"));
        assert_eq!(f.service.as_deref(), Some("checkout"));
        assert_eq!(f.risk_ref.as_deref(), Some("acme/risks#3"));
        assert_eq!(f.users_pct, Some(0.5));
        assert_eq!(f.status.as_deref(), Some("done"));
    }

    #[test]
    fn several_kinds_make_a_risk() {
        let n = normalize(
            &item(&["postmortem-action", "risk", "incident"], ""),
            &rules(),
        );
        assert_eq!(n.kind, Some(Kind::Risk));
        let n = normalize(&item(&["bug"], FORM), &rules());
        assert_eq!(n.kind, None);
        // Fields are read whatever the kind.
        assert_eq!(n.fields.owner.as_deref(), Some("alice"));
    }

    #[test]
    fn fallbacks_fill_owner_and_target_date() {
        let mut it = item(
            &["postmortem-action"],
            "### Owner\n\n_No response_\n\n### Target date\n\n\n",
        );
        it.assignee = Some("carol".into());
        it.due_date = Some(date(2025, 6, 30));
        let n = normalize(&it, &rules());
        assert_eq!(n.fields.owner.as_deref(), Some("carol"));
        assert_eq!(n.fields.target_date, Some(date(2025, 6, 30)));
        assert_eq!(n.fields.status.as_deref(), Some("accepted"));
        assert!(n.problems.is_empty());
        // A section value wins over the fallback.
        let mut it = item(&[], FORM);
        it.assignee = Some("carol".into());
        it.due_date = Some(date(2025, 6, 30));
        let n = normalize(&it, &rules());
        assert_eq!(n.fields.owner.as_deref(), Some("alice"));
        assert_eq!(n.fields.target_date, Some(date(2025, 3, 2)));
    }

    #[test]
    fn labels_fill_values_but_sections_win() {
        let labels = [
            "postmortem-action",
            "Priority: Low",
            "type:runbook",
            "service:billing",
            "TEAM:payments-sre",
            "status:in-progress",
            "priority:critical",
        ];
        let n = normalize(&item(&labels, ""), &rules());
        let f = &n.fields;
        assert_eq!(f.priority.as_deref(), Some("low"), "first label per key");
        assert_eq!(f.item_type.as_deref(), Some("runbook"));
        assert_eq!(f.effect.as_deref(), Some("recovery"));
        assert_eq!(f.service.as_deref(), Some("billing"));
        assert_eq!(f.team.as_deref(), Some("payments-sre"));
        assert_eq!(f.status.as_deref(), Some("in progress"));

        let n = normalize(&item(&labels, FORM), &rules());
        let f = &n.fields;
        assert_eq!(f.priority.as_deref(), Some("high"));
        assert_eq!(f.item_type.as_deref(), Some("alerting"));
        assert_eq!(f.service.as_deref(), Some("payments"));
        assert_eq!(f.team.as_deref(), Some("payments-sre"));

        // With a prefix, only prefixed labels count.
        let mut r = rules();
        r.value_label_prefix = "pm/".into();
        let n = normalize(&item(&["priority:low", "PM/priority:P0"], ""), &r);
        assert_eq!(n.fields.priority.as_deref(), Some("critical"));
    }

    #[test]
    fn status_table() {
        let status = |state: State, reason: Option<&str>, tracker: Option<&str>, body: &str| {
            let mut it = item(&[], body);
            it.state = state;
            it.state_reason = reason.map(String::from);
            it.tracker_status = tracker.map(String::from);
            normalize(&it, &rules()).fields.status
        };
        use State::{Closed, Open};
        let owner = "### Owner\n\n@a\n";
        let blocked = "### Blocked by\n\n#3\n\n### Owner\n\n@a\n";
        assert_eq!(
            status(Closed, Some("completed"), None, "").as_deref(),
            Some("done")
        );
        assert_eq!(
            status(Closed, Some("not_planned"), None, "").as_deref(),
            Some("declined")
        );
        assert_eq!(
            status(Closed, Some("Won't Do"), None, "").as_deref(),
            Some("declined")
        );
        assert_eq!(
            status(Closed, Some("duplicate"), None, "").as_deref(),
            Some("duplicate")
        );
        // A Jira done-category status without a resolution is done.
        assert_eq!(
            status(Closed, None, Some("Done"), owner).as_deref(),
            Some("done")
        );
        assert_eq!(
            status(Closed, Some("Cannot Reproduce"), None, "").as_deref(),
            Some("declined")
        );
        assert_eq!(
            status(Open, None, Some("In Progress"), blocked).as_deref(),
            Some("in progress")
        );
        assert_eq!(
            status(Open, None, None, blocked).as_deref(),
            Some("blocked")
        );
        assert_eq!(status(Open, None, None, owner).as_deref(), Some("accepted"));
        assert_eq!(status(Open, None, None, "").as_deref(), Some("proposed"));
        // An explicit open Status wins over the derived open statuses.
        let explicit = "### Status\n\nIn review\n";
        assert_eq!(
            status(Open, None, Some("To Do"), explicit).as_deref(),
            Some("in review")
        );
    }

    #[test]
    fn a_stale_status_label_never_beats_closure() {
        let mut it = item(&["postmortem-action", "status:in progress"], "");
        it.state = State::Closed;
        it.state_reason = Some("completed".into());
        let f = normalize(&it, &rules()).fields;
        assert_eq!(f.status.as_deref(), Some("done"));
        assert_eq!(f.stated_status.as_deref(), Some("in progress"));
        // The other way round: an open issue labelled done is open.
        let it = item(&["postmortem-action", "status:done"], "### Owner\n\n@a\n");
        let f = normalize(&it, &rules()).fields;
        assert_eq!(f.status.as_deref(), Some("accepted"));
        assert_eq!(f.stated_status.as_deref(), Some("done"));
        // Closed synonyms fold into one word.
        let it = item(&["status:Resolved"], "");
        assert_eq!(
            normalize(&it, &rules()).fields.stated_status.as_deref(),
            Some("done")
        );
        // A Status section that says Declined on an issue closed as
        // completed: the tracker decides.
        let mut it = item(&[], "### Status\n\nDeclined\n");
        it.state = State::Closed;
        it.state_reason = Some("completed".into());
        let f = normalize(&it, &rules()).fields;
        assert_eq!(f.status.as_deref(), Some("done"));
        assert_eq!(f.stated_status.as_deref(), Some("declined"));
    }

    #[test]
    fn month_precision_last_reviewed_parses_to_the_first_and_says_so() {
        let body = "### Last reviewed\n\nMarch 2026\n\n### Target date\n\n2026-07\n";
        let n = normalize(&item(&["risk"], body), &rules());
        assert_eq!(n.fields.last_reviewed_at, Some(date(2026, 3, 1)));
        assert_eq!(n.fields.target_date, Some(date(2026, 7, 1)));
        let reasons: Vec<(&str, &str)> = n
            .problems
            .iter()
            .map(|p| (p.field.as_str(), p.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                ("target_date", "month precision: read as 2026-07-01"),
                ("last_reviewed_at", "month precision: read as 2026-03-01"),
            ]
        );
        for (text, want) in [
            ("Mar. 2026", Some(date(2026, 3, 1))),
            ("march, 2026", Some(date(2026, 3, 1))),
            ("2026/12", Some(date(2026, 12, 1))),
            ("2026-13", None),
            ("Smarch 2026", None),
            ("2026", None),
        ] {
            assert_eq!(month_date(text), want, "{text}");
        }
        // A full date stays a plain date, with no problem.
        let n = normalize(
            &item(&["risk"], "### Last reviewed\n\n2026-03-02\n"),
            &rules(),
        );
        assert!(n.problems.is_empty());
    }

    #[test]
    fn jira_resolutions_that_mean_declined_or_duplicate_are_configurable() {
        let mut r = rules();
        assert_eq!(closed_status(Some("Won’t Do"), &r), "declined");
        assert_eq!(closed_status(Some("Duplicate"), &r), "duplicate");
        assert_eq!(closed_status(Some("Out of scope"), &r), "done");
        r.declined_reasons = vec!["Out-of-Scope".into()];
        r.duplicate_reasons = vec!["Same as another".into()];
        assert_eq!(closed_status(Some("out of scope"), &r), "declined");
        assert_eq!(closed_status(Some("Same as another"), &r), "duplicate");
        // GitHub's own reasons hold whatever the lists say.
        assert_eq!(closed_status(Some("not_planned"), &r), "declined");
        assert_eq!(closed_status(Some("duplicate"), &r), "duplicate");
        assert_eq!(closed_status(Some("completed"), &r), "done");
        assert_eq!(closed_status(None, &r), "done");
    }

    #[test]
    fn headings_are_matched_loosely() {
        let mut it = item(&[], "");
        it.sections = BTreeMap::from([
            ("  TARGET DATE: ".to_string(), "2025-03-02".to_string()),
            ("time to detect".to_string(), "2h".to_string()),
            ("Evidence".to_string(), "dashboard link".to_string()),
        ]);
        let f = normalize(&it, &rules()).fields;
        assert_eq!(f.target_date, Some(date(2025, 3, 2)));
        assert_eq!(f.ttd_minutes, Some(120.0));
        assert_eq!(f.evidence.as_deref(), Some("dashboard link"));
    }

    #[test]
    fn problems_are_reported_in_heading_order() {
        let body = "### Incident\n\nthe big one\n\n### Owner\n\n@\n\n### Priority\n\nasap\n\n\
                    ### Target date\n\nnext week\n\n### Impact\n\n9\n\n\
                    ### Time to detect (minutes)\n\nages\n\n### Users affected (%)\n\n150\n\n\
                    ### SLO\n\n100%\n\n### Started at\n\nyesterday\n";
        let mut it = item(&["risk", "priority:p3"], body);
        it.assignee = Some("dave".into());
        let n = normalize(&it, &rules());
        let fields: Vec<&str> = n.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "incident_ref",
                "owner",
                "priority",
                "target_date",
                "impact",
                "ttd_minutes",
                "users_pct",
                "slo",
                "started_at"
            ]
        );
        let target = &n.problems[3];
        assert_eq!(target.raw, "next week");
        assert!(!target.reason.is_empty());
        let f = &n.fields;
        assert_eq!(f.incident_ref, None);
        assert_eq!(f.target_date, None);
        assert_eq!(f.impact, None);
        assert_eq!(f.users_pct, None);
        // Unreadable values leave room for the label and the fallback.
        assert_eq!(f.priority.as_deref(), Some("low"));
        assert_eq!(f.owner.as_deref(), Some("dave"));
    }

    #[test]
    fn unknown_label_priority_is_a_problem() {
        let n = normalize(&item(&["priority:whenever"], ""), &rules());
        assert_eq!(n.fields.priority, None);
        assert_eq!(
            n.problems,
            [Problem {
                field: "priority".into(),
                raw: "whenever".into(),
                reason: UNKNOWN_PRIORITY.into(),
            }]
        );
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let long = "9".repeat(100_000);
        let texts = [
            long.as_str(),
            "\u{0}\u{1}\u{7f}",
            "### \u{200b}\n\u{feff}",
            "@\u{1F600}",
            "é-12",
            "2025-03-02T\u{e9}",
            "2025-03-02 12:00 +\u{e9}\u{e9}",
            "#99999999999999999999999",
            "https://",
            "1,000,",
            ".",
            "%",
        ];
        for t in texts {
            let _ = (
                parse_date(t),
                parse_timestamp(t),
                parse_percent(t),
                parse_level(t),
                parse_number(t),
                parse_minutes(t),
                parse_slo(t),
                parse_owner(t),
                parse_priority(t),
                parse_reference(t),
                effect_for_type(t),
                parse_form_body(t),
            );
        }
        assert!(parse_number(&long).is_err());
    }

    fn any_parse(s: &str) {
        let _ = parse_date(s);
        let _ = parse_timestamp(s);
        let _ = parse_percent(s);
        let _ = parse_level(s);
        let _ = parse_number(s);
        let _ = parse_minutes(s);
        let _ = parse_slo(s);
        let _ = parse_owner(s);
        let _ = parse_priority(s);
        let _ = parse_reference(s);
        let _ = effect_for_type(s);
        let _ = parse_form_body(s);
    }

    proptest! {
        #[test]
        fn no_parser_panics(s in any::<String>()) {
            any_parse(&s);
        }

        #[test]
        fn no_parser_panics_on_near_misses(
            s in "[0-9 :.,/T+\\-#@%hmsZa-z`\"'\u{e9}\u{1F600}]{0,40}"
        ) {
            any_parse(&s);
        }

        #[test]
        fn percent_forms_agree(n in 0u32..=100, frac in proptest::option::of(0u32..100)) {
            let text = match frac {
                Some(f) => format!("{n}.{f:02}"),
                None => n.to_string(),
            };
            let plain = parse_percent(&text);
            if text.parse::<f64>().is_ok_and(|v| v <= 100.0) {
                prop_assert_eq!(plain.clone(), Ok(text.parse::<f64>().ok()));
            } else {
                prop_assert!(plain.is_err());
            }
            prop_assert_eq!(parse_percent(&format!("{text}%")), plain.clone());
            prop_assert_eq!(parse_percent(&format!("{text} %")), plain);
        }

        #[test]
        fn slo_percent_and_fraction_agree(x in "[0-9]{1,8}") {
            let percent = parse_slo(&format!("99.{x}"));
            prop_assert!(percent.is_ok());
            prop_assert_eq!(percent.clone(), parse_slo(&format!("0.99{x}")));
            prop_assert_eq!(percent, parse_slo(&format!("99.{x}%")));
        }

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
