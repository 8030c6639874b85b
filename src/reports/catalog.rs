//! The built-in reports: each name, its one-line description, and its
//! sections (one SQL file each under `queries/health/`); the risk reports
//! and the review pack's entry. [`super::list`] reads these to make the one
//! catalogue.

/// The risk reports, answered by [`super::risk`] rather than one SQL file each.
pub(super) const RISK_REPORTS: &[(&str, &str)] = &[
    ("registry", "Risk registry: active risks, highest expected cost first, with the budget total and the reversals among the top risks."),
    ("movement", "Registry movement: burn-down, unmoved, stale reviews, no owner, no action (--top rows per section)."),
];

/// The review pack's entry.
pub(super) const REVIEW_PACK: (&str, &str) = (
    "review",
    "The review pack: one self-contained HTML file (--format html [--output FILE]).",
);

/// A built-in report: sections, each one query file.
pub(super) struct Builtin {
    pub(super) name: &'static str,
    pub(super) description: &'static str,
    /// `(section name, file below queries/)`; one entry means plain rows.
    pub(super) sections: &'static [(&'static str, &'static str)],
    /// `days` when the flag is not given.
    pub(super) default_days: i64,
}

pub(super) const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "checkpoint",
        description: "Action items of incidents closed in the last --days (7) that lack an owner, a priority or a target date.",
        sections: &[("checkpoint", "health/checkpoint.sql")],
        default_days: 7,
    },
    Builtin {
        name: "lint",
        description: "Open action items failing the acceptance rule or with a vague title; one row per item and rule.",
        sections: &[("lint", "health/lint.sql")],
        default_days: 30,
    },
    Builtin {
        name: "aging",
        description: "Open action items by age bucket and priority against per-priority deadlines: open, overdue, %.",
        sections: &[("aging", "health/aging.sql")],
        default_days: 30,
    },
    Builtin {
        name: "monthly",
        description: "Monthly review: open by age, service and owner; blocked; due this month; repeat-linked; completed in --days (30), weighted by risk and effort; which open items reduce the most risk per day of effort; aging by priority × effect.",
        sections: &[
            ("open_by_age", "health/monthly_open_by_age.sql"),
            ("open_by_service", "health/monthly_open_by_service.sql"),
            ("open_by_owner", "health/monthly_open_by_owner.sql"),
            ("blocked", "health/monthly_blocked.sql"),
            ("due_this_month", "health/monthly_due_this_month.sql"),
            ("repeat_linked", "health/monthly_repeat_linked.sql"),
            ("completed", "health/monthly_completed.sql"),
            ("completed_summary", "health/monthly_completed_summary.sql"),
            ("risk_reduction", "health/monthly_risk_reduction.sql"),
            ("completed_weighted", "health/monthly_completed_weighted.sql"),
            ("aging_by_effect", "health/monthly_aging_by_effect.sql"),
            ("open_by_service_effect", "health/monthly_open_by_service_effect.sql"),
        ],
        default_days: 30,
    },
    Builtin {
        name: "quarterly",
        description: "Quarterly review over --days (90): themes, teams, completion mix, duplicates, obsolete; what to escalate: chronic items, cross-cutting themes, candidates for a project, top risks that do not move, likelihood rising.",
        sections: &[
            ("themes", "health/quarterly_themes.sql"),
            ("teams", "health/quarterly_teams.sql"),
            ("completion_by_effect", "health/quarterly_completion_by_effect.sql"),
            ("completion_by_type", "health/quarterly_completion_by_type.sql"),
            ("duplicates", "health/quarterly_duplicates.sql"),
            ("obsolete", "health/quarterly_obsolete.sql"),
            ("chronic", "health/quarterly_chronic.sql"),
            ("cross_cutting", "health/quarterly_cross_cutting.sql"),
            ("promote", "health/quarterly_promote.sql"),
            ("unmoved_top", "health/quarterly_unmoved_top.sql"),
            ("likelihood_rising", "health/quarterly_likelihood_rising.sql"),
        ],
        default_days: 90,
    },
    Builtin {
        name: "followups",
        description: "Follow-through after incidents in --days (30): each incident's follow-up items, incidents past the checkpoint with none and no risk, items prioritised below their risk or severity.",
        sections: &[
            ("incidents", "health/followups_incidents.sql"),
            ("gaps", "health/followups_gaps.sql"),
            ("priority", "health/followups_priority.sql"),
        ],
        default_days: 30,
    },
    Builtin {
        name: "deferred",
        description: "Action items whose target date moved later two or more times: moves, days of slip, first and current target.",
        sections: &[("deferred", "health/deferred.sql")],
        default_days: 30,
    },
    Builtin {
        name: "weekly",
        description: "Weekly: critical and high open items idle for more than 7 days; blocked items clustered by what blocks them.",
        sections: &[
            ("idle", "health/weekly_idle.sql"),
            ("blocked", "health/weekly_blocked.sql"),
        ],
        default_days: 7,
    },
    Builtin {
        name: "repeats",
        description: "Incidents whose failure mode had earlier action items: repeat while one was open, or despite all being closed.",
        sections: &[("repeats", "health/repeats.sql")],
        default_days: 30,
    },
    Builtin {
        name: "trends",
        description: "Per --period (month) from history: opened, closed, open at end, incidents by severity; blockers; service concentration (HHI).",
        sections: &[
            ("flow", "health/trends_flow.sql"),
            ("blockers", "health/trends_blockers.sql"),
            ("concentration", "health/trends_concentration.sql"),
        ],
        default_days: 30,
    },
    Builtin {
        name: "evidence",
        description: "Done action items without evidence of completion (all of them, or since --since).",
        sections: &[("evidence", "health/evidence.sql")],
        default_days: 30,
    },
];
