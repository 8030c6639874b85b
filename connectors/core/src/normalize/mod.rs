//! Turns tracker text into typed postmortem fields: issue-form sections
//! (`### Heading` then value), `prefix:value` labels, and the fallbacks
//! (assignee → owner, due date → target date). Pure functions, shared by
//! every connector's records; nothing here panics on any input.
//!
//! Text that cannot be read is never dropped silently: the field stays
//! `None` and a [`Problem`] carries the raw text and the reason, so a human
//! can fix the issue in the tracker.
//!
//! The entry point is [`normalize()`]; the readers it uses live in one
//! submodule per kind of text (forms, dates, numbers, references, effects,
//! labels, status), so each can be read and tested on its own. Everything
//! public is re-exported here: callers only ever name `normalize::…`.

mod dates;
mod effects;
mod forms;
mod labels;
mod numbers;
mod reader;
mod record;
mod refs;
mod status;
mod text;

pub use dates::{month_date, parse_date, parse_timestamp, MONTH_PRECISION};
pub use effects::effect_for_type;
pub use forms::parse_form_body;
pub use labels::{classify, default_declined_reasons, default_duplicate_reasons, LabelRules};
pub use numbers::{parse_level, parse_minutes, parse_number, parse_percent, parse_slo};
pub use record::{Fields, Normalized, Problem};
pub use refs::parse_reference;
pub use status::closed_status;
pub use text::{parse_owner, parse_owners, parse_priority};

use crate::Item;
use labels::label_values;
use reader::Reader;
use status::{canonical_stated, lifecycle_status, status_text};
use text::{text_value, UNKNOWN_PRIORITY};

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
        owners: r.owners(&["owner", "owners"]),
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
    if f.owners.is_empty() {
        f.owners.extend(f.owner.clone());
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    use super::dates::tests::{date, utc};
    use super::forms::tests::FORM;
    use super::labels::tests::rules;
    use super::*;
    use crate::{Kind, State};

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
        // A full date stays a plain date, with no problem.
        let n = normalize(
            &item(&["risk"], "### Last reviewed\n\n2026-03-02\n"),
            &rules(),
        );
        assert!(n.problems.is_empty());
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
    }
}
