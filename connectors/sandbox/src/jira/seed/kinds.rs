//! The kinds of generated issue: action items (some vague), incidents
//! (repeats of the contrast risks in `OPS`), risks (with their numbers as
//! fields; some stagnant) and chores, and the fixed ones of `OPS`.

use chrono::DateTime;
use rand::Rng;
use serde_json::json;

use super::super::adf;
use super::super::catalog::{
    ST_BLOCKED, ST_CLOSED, ST_DONE, ST_PROGRESS, ST_REVIEW, ST_TODO, T_BUG, T_INCIDENT, T_RISK,
    T_STORY, T_TASK,
};
use super::super::state::{CfVal, ChangeItem, Issue, World};
use super::gen::{date_of, pick, select, set, Gen, Refs};
use super::texts::{rich_document, EFFORTS, LEVELS, NOISE_LABELS, SEVERITIES, THEMES, VAGUE};
use super::{DAY_MS, MANY_COMMENTS, MANY_HISTORIES, MIN_MS};
use crate::seed as gh;

/// What a generated issue is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Action,
    Incident,
    Risk,
    Chore,
}

/// The fixed issues of `OPS` (Small and Demo), by number.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Special {
    DailyRisk,
    OutageRisk,
    Sql,
    Control,
    Rtl,
    Emoji,
    BigBody,
    ManyComments,
}

pub(super) fn special_at(n: u64) -> Option<Special> {
    Some(match n {
        3 => Special::DailyRisk,
        7 => Special::OutageRisk,
        21 => Special::Sql,
        22 => Special::Control,
        23 => Special::Rtl,
        24 => Special::Emoji,
        25 => Special::BigBody,
        26 => Special::ManyComments,
        _ => return None,
    })
}

impl Gen<'_> {
    pub(super) fn action(
        &mut self,
        w: &mut World,
        created: i64,
        special: Option<Special>,
    ) -> (Issue, Refs) {
        let created = self.created_ms(created);
        let svc = if special.is_some() {
            "checkout"
        } else {
            self.service()
        };
        let vague = special.is_none() && self.rng.random_bool(0.12);
        let mut summary = if vague {
            let t = pick(&mut self.rng, &VAGUE);
            self.fill(t, svc)
        } else {
            let (_, t) = pick(&mut self.rng, &gh::ACTIONS);
            self.fill(t, svc)
        };
        match special {
            Some(Special::Sql) => summary = gh::HOSTILE_SQL_TITLE.to_string(),
            Some(Special::Control) => summary = gh::HOSTILE_CONTROL_TITLE.to_string(),
            Some(Special::BigBody) => summary = gh::BIG_BODY_TITLE.to_string(),
            Some(Special::ManyComments) => summary = gh::MANY_COMMENTS_TITLE.to_string(),
            _ => {}
        }
        let itype = match self.rng.random_range(0..100) {
            0..=59 => T_TASK,
            60..=84 => T_STORY,
            _ => T_BUG,
        };
        let reporter = self.person();
        let mut issue = w.blank_issue(
            &summary,
            if vague { T_TASK } else { itype },
            reporter,
            created,
        );
        issue.labels = vec![gh::ACTION_ITEM_LABEL.to_string()];
        if self.rng.random_bool(0.15) {
            issue
                .labels
                .push(pick(&mut self.rng, &NOISE_LABELS[..4]).to_string());
        }
        issue.labels.sort();
        issue.priority = pick(&mut self.rng, &[1, 2, 2, 2, 3, 0]);
        let mut refs = Refs::default();
        if !self.incidents.is_empty() && self.rng.random_bool(0.7) {
            let from = self.incidents.len().saturating_sub(12);
            let (inc, risk) = self.incidents[self.rng.random_range(from..self.incidents.len())];
            refs.incident = Some((inc, self.rng.random_bool(0.6)));
            if let Some(r) = risk.filter(|_| self.rng.random_bool(0.5)) {
                refs.risk = Some(r);
            }
        }
        if refs.risk.is_none() && !self.risks.is_empty() && self.rng.random_bool(0.25) {
            refs.risk = Some(pick(&mut self.rng, &self.risks));
        }
        let due = created + self.rng.random_range(14..180) * DAY_MS;
        let close =
            gh::action_close_time(&mut self.rng, created, due, self.anchor, DAY_MS).map(|at| {
                self.close_at(
                    at,
                    ST_DONE,
                    &[("Done", 0.85), ("Won't Do", 0.12), ("Duplicate", 0.03)],
                )
            });
        let open_status = pick(
            &mut self.rng,
            &[
                ST_TODO,
                ST_TODO,
                ST_TODO,
                ST_PROGRESS,
                ST_PROGRESS,
                ST_REVIEW,
                ST_BLOCKED,
            ],
        );
        if !vague {
            let rationale = pick(&mut self.rng, &gh::RATIONALES);
            let outcome = pick(&mut self.rng, &gh::OUTCOMES);
            let mut content = vec![adf::para(vec![adf::text_node(rationale)])];
            if !self.plan.lean && self.rng.random_bool(0.5) {
                content.push(adf::bullets(&[
                    outcome.to_string(),
                    format!("Verify on {svc} in staging"),
                ]));
            }
            if !self.plan.lean && self.rng.random_bool(0.3) {
                content.push(adf::para(vec![
                    adf::text_node("See "),
                    adf::marked(
                        "the runbook",
                        json!([{"type": "link", "attrs": {"href": format!("https://runbooks.acme.example/{svc}")}}]),
                    ),
                    adf::text_node(" and the "),
                    adf::marked("retry_budget", json!([{"type": "code"}])),
                    adf::text_node(" setting."),
                ]));
            }
            if special == Some(Special::BigBody) {
                content.push(json!({
                    "type": "codeBlock",
                    "attrs": {"language": "text"},
                    "content": [adf::text_node(&gh::big_log(self.plan.big))]
                }));
            }
            if special == Some(Special::Sql) {
                content.push(adf::para(vec![adf::text_node(&format!(
                    "Exports must survive notes like {} unharmed.",
                    gh::HOSTILE_SQL
                ))]));
            }
            issue.description = Some(adf::doc(content));
            if self.rng.random_bool(0.85) {
                select(w, &mut issue, "Service", svc);
            }
            if self.rng.random_bool(0.8) {
                let team = pick(&mut self.rng, self.plan.teams);
                select(w, &mut issue, "Team", team);
            }
            if self.rng.random_bool(0.7) {
                let owner = self.person();
                set(&mut issue, "Owner", CfVal::User(owner));
            }
            if self.rng.random_bool(0.85) {
                let target = date_of(due);
                set(&mut issue, "Target date", CfVal::Date(target));
                if self.rng.random_bool(0.4) {
                    issue.duedate = Some(target);
                }
            }
            if self.rng.random_bool(0.7) {
                set(
                    &mut issue,
                    "Risk rationale",
                    CfVal::Adf(adf::from_text(rationale)),
                );
            }
            if self.rng.random_bool(0.7) {
                set(
                    &mut issue,
                    "Expected outcome",
                    CfVal::Adf(adf::from_text(outcome)),
                );
            }
            if let Some(c) = close.as_ref().filter(|c| c.resolution == "Done") {
                let text = format!(
                    "Merged in PR #{}; verified in staging on {}.",
                    self.rng.random_range(1..400),
                    date_of(c.at).format("%Y-%m-%d")
                );
                set(
                    &mut issue,
                    "Evidence of completion",
                    CfVal::Adf(adf::from_text(&text)),
                );
            }
            if self.rng.random_bool(0.1) {
                let text = if self.rng.random_bool(0.5) {
                    format!("{}-{}", self.plan.key, self.rng.random_range(1..200))
                } else {
                    "Waiting on the vendor's new API".to_string()
                };
                set(&mut issue, "Blocked by", CfVal::Text(text));
            }
            if self.rng.random_bool(0.75) {
                let e = pick(&mut self.rng, &EFFORTS);
                set(&mut issue, "Effort", CfVal::Text(e.to_string()));
            }
            if self.rng.random_bool(0.6) {
                let t = pick(&mut self.rng, &THEMES);
                select(w, &mut issue, "Theme", t);
            }
            if self.rng.random_bool(0.3) {
                let sp = pick(&mut self.rng, &[1.0, 2.0, 3.0, 5.0, 8.0]);
                set(&mut issue, "Story point estimate", CfVal::Number(sp));
            }
        }
        let later = self.rng.random_bool(0.2).then_some(gh::ACTION_ITEM_LABEL);
        self.finish(w, &mut issue, close, open_status, true, false, later);
        if special == Some(Special::ManyComments) {
            self.many(w, &mut issue);
        }
        (issue, refs)
    }

    /// [`MANY_COMMENTS`] comments and [`MANY_HISTORIES`] histories.
    fn many(&mut self, w: &mut World, issue: &mut Issue) {
        let created = issue.created;
        let end = issue
            .updated
            .max(created + (MANY_HISTORIES as i64 + 1) * 10 * MIN_MS)
            .min(self.anchor);
        issue.comments = self.comments(w, MANY_COMMENTS, created, end);
        let extra = MANY_HISTORIES.saturating_sub(issue.histories.len());
        let step = ((end - created) / (extra as i64 + 1)).max(1);
        for k in 0..extra {
            let t = created + step * (k as i64 + 1);
            let (from, to) = if k % 2 == 0 {
                ("postmortem", "needs-review postmortem")
            } else {
                ("needs-review postmortem", "postmortem")
            };
            let h = w.new_history(
                self.person(),
                t,
                vec![ChangeItem::jira(
                    "labels",
                    None,
                    Some(from.into()),
                    None,
                    Some(to.into()),
                )],
            );
            issue.histories.push(h);
        }
        issue.histories.sort_by_key(|h| h.created);
        issue.updated = issue
            .updated
            .max(end)
            .max(issue.histories.last().map_or(0, |h| h.created))
            .max(issue.comments.last().map_or(0, |c| c.created));
    }

    pub(super) fn incident(
        &mut self,
        w: &mut World,
        created: i64,
        special: Option<Special>,
    ) -> (Issue, Refs) {
        let created = self.created_ms(created);
        let svc = self.service();
        let mut refs = Refs::default();
        let contrast = if self.plan.special && self.rng.random_bool(0.3) {
            let which = self.rng.random_range(0..2);
            self.contrast[which].map(|r| (which, r))
        } else {
            None
        };
        let summary = match (special, contrast) {
            (Some(Special::Rtl), _) => gh::HOSTILE_RTL_TITLE.to_string(),
            (_, Some((0, _))) => "Checkout latency above SLO during the batch window".to_string(),
            (_, Some(_)) => "Payments outage during a database failover".to_string(),
            _ => {
                let t = pick(&mut self.rng, &gh::INCIDENTS);
                self.fill(t, svc)
            }
        };
        refs.caused_by_risk = match contrast {
            Some((_, r)) => Some(r),
            None if !self.risks.is_empty() && self.rng.random_bool(0.5) => {
                Some(pick(&mut self.rng, &self.risks))
            }
            None => None,
        };
        let (itype, labels): (u8, &[&str]) = match self.rng.random_range(0..100) {
            0..=44 => (T_INCIDENT, &[]),
            45..=69 => (T_INCIDENT, &[gh::INCIDENT_LABEL]),
            70..=89 => (T_TASK, &[gh::INCIDENT_LABEL]),
            _ => (T_BUG, &[gh::INCIDENT_LABEL]),
        };
        let reporter = self.person();
        let mut issue = w.blank_issue(&summary, itype, reporter, created);
        issue.labels = labels.iter().map(|s| s.to_string()).collect();
        if self.rng.random_bool(0.04) {
            issue.labels.push(gh::ACTION_ITEM_LABEL.to_string());
        }
        issue.labels.sort();
        let sev = self.rng.random_range(0..SEVERITIES.len());
        issue.priority = [0u8, 1, 2, 3][sev];
        select(w, &mut issue, "Severity", SEVERITIES[sev]);
        if self.rng.random_bool(0.9) {
            select(w, &mut issue, "Service", svc);
        }
        let started = created - self.rng.random_range(5..120) * MIN_MS;
        set(
            &mut issue,
            "Started at",
            CfVal::DateTime(started - started % MIN_MS),
        );
        let ttd = pick(&mut self.rng, &[2.0, 5.0, 10.0, 15.0, 30.0, 60.0]);
        let ttr = pick(&mut self.rng, &[8.0, 15.0, 30.0, 60.0, 90.0, 240.0]);
        if self.rng.random_bool(0.8) {
            set(&mut issue, "Time to detect (minutes)", CfVal::Number(ttd));
            set(&mut issue, "Time to repair (minutes)", CfVal::Number(ttr));
        }
        if self.rng.random_bool(0.9) {
            let users = pick(&mut self.rng, &[1.0, 5.0, 10.0, 20.0, 35.0, 60.0, 100.0]);
            set(&mut issue, "Users affected (%)", CfVal::Number(users));
        }
        let p = if self.anchor - created > 14 * DAY_MS {
            0.9
        } else {
            0.4
        };
        let status = pick(&mut self.rng, &[ST_DONE, ST_CLOSED]);
        let close = self.closing(created, p, status, &[("Done", 1.0)]);
        if close.is_some() {
            let resolved = started + (ttd + ttr) as i64 * MIN_MS;
            set(
                &mut issue,
                "Resolved at",
                CfVal::DateTime(resolved - resolved % MIN_MS),
            );
        }
        let t = |ms: i64| {
            DateTime::from_timestamp_millis(ms)
                .map(|d| d.format("%H:%M UTC").to_string())
                .unwrap_or_default()
        };
        let mut content = vec![
            json!({"type": "heading", "attrs": {"level": 3}, "content": [adf::text_node("Timeline")]}),
            adf::bullets(&[
                format!("{} {svc} degraded", t(started)),
                format!("{} detected by an alert", t(started + ttd as i64 * MIN_MS)),
                format!("{} mitigated", t(started + (ttd + ttr) as i64 * MIN_MS)),
            ]),
        ];
        if !self.plan.lean {
            content.push(adf::para(vec![
                adf::marked("Impact: ", json!([{"type": "strong"}])),
                adf::text_node(&format!("customers could not use {svc}.")),
            ]));
        }
        issue.description = Some(adf::doc(content));
        let later = (labels.contains(&gh::INCIDENT_LABEL) && self.rng.random_bool(0.2))
            .then_some(gh::INCIDENT_LABEL);
        self.finish(w, &mut issue, close, ST_PROGRESS, true, false, later);
        (issue, refs)
    }

    pub(super) fn risk(
        &mut self,
        w: &mut World,
        created: i64,
        special: Option<Special>,
    ) -> (Issue, Refs) {
        let created = self.created_ms(created);
        let svc = match special {
            Some(Special::DailyRisk) => "checkout",
            Some(Special::OutageRisk) => "payments-api",
            _ => self.service(),
        };
        let summary = match special {
            Some(Special::DailyRisk) => gh::DAILY_DEGRADATION_RISK_TITLE.to_string(),
            Some(Special::OutageRisk) => gh::FULL_OUTAGE_RISK_TITLE.to_string(),
            Some(Special::Emoji) => gh::HOSTILE_EMOJI_TITLE.to_string(),
            _ => {
                let t = pick(&mut self.rng, &gh::RISKS);
                self.fill(t, svc)
            }
        };
        let (itype, labels): (u8, &[&str]) = match special {
            Some(Special::DailyRisk) => (T_RISK, &[gh::RISK_LABEL]),
            Some(Special::OutageRisk) => (T_RISK, &[]),
            _ => match self.rng.random_range(0..100) {
                0..=44 => (T_RISK, &[]),
                45..=69 => (T_RISK, &[gh::RISK_LABEL]),
                70..=89 => (T_TASK, &[gh::RISK_LABEL]),
                _ => (T_STORY, &[gh::RISK_LABEL]),
            },
        };
        let reporter = self.person();
        let mut issue = w.blank_issue(&summary, itype, reporter, created);
        issue.labels = labels.iter().map(|s| s.to_string()).collect();
        // (impact, scope, likelihood, ttd, ttr, users, per year, days, slo)
        let v: (usize, usize, usize, f64, f64, f64, f64, Option<f64>, &str) = match special {
            Some(Special::DailyRisk) => (2, 3, 5, 2.0, 8.0, 20.0, 365.0, Some(1.0), "99.9"),
            Some(Special::OutageRisk) => (5, 5, 2, 30.0, 90.0, 100.0, 4.0, Some(91.0), "99.9"),
            Some(Special::Emoji) => (3, 2, 4, 45.0, 30.0, 5.0, 6.0, Some(60.0), "99.9%"),
            _ => {
                let n = gh::RiskNumbers::draw(&mut self.rng);
                let yearly = f64::from(n.per_year);
                (
                    n.impact as usize,
                    n.scope as usize,
                    n.likelihood as usize,
                    f64::from(n.ttd),
                    f64::from(n.ttr),
                    f64::from(n.users_pct),
                    yearly,
                    self.rng.random_bool(0.8).then(|| (365.0 / yearly).floor()),
                    n.slo,
                )
            }
        };
        let fixed = special.is_some();
        let keep = |g: &mut Self| fixed || g.rng.random_bool(0.9);
        if keep(self) {
            select(w, &mut issue, "Impact", LEVELS[v.0 - 1]);
        }
        if keep(self) {
            select(w, &mut issue, "Scope", LEVELS[v.1 - 1]);
        }
        if keep(self) {
            select(w, &mut issue, "Likelihood", LEVELS[v.2 - 1]);
        }
        if keep(self) {
            set(&mut issue, "Time to detect (minutes)", CfVal::Number(v.3));
        }
        if keep(self) {
            set(&mut issue, "Time to repair (minutes)", CfVal::Number(v.4));
        }
        if keep(self) {
            set(&mut issue, "Users affected (%)", CfVal::Number(v.5));
        }
        if keep(self) {
            set(&mut issue, "Occurrences per year", CfVal::Number(v.6));
        }
        if let Some(days) = v.7 {
            set(&mut issue, "Days between failures", CfVal::Number(days));
        }
        if keep(self) {
            set(&mut issue, "SLO", CfVal::Text(v.8.to_string()));
        }
        select(w, &mut issue, "Service", svc);
        let owner = match special {
            Some(Special::DailyRisk) => Some(self.people[0]),
            Some(Special::OutageRisk) => Some(self.people[1]),
            _ => self.rng.random_bool(0.8).then(|| self.person()),
        };
        if let Some(o) = owner {
            set(&mut issue, "Owner", CfVal::User(o));
        }
        let stagnant = !fixed && self.rng.random_bool(0.4);
        let reviewed = if stagnant {
            created + DAY_MS
        } else {
            created + self.rng.random_range(0..=(self.anchor - created).max(0))
        };
        set(&mut issue, "Last reviewed", CfVal::Date(date_of(reviewed)));
        issue.description = Some(if special == Some(Special::Emoji) {
            rich_document()
        } else {
            adf::doc(vec![adf::para(vec![adf::text_node(&format!(
                "If this happens, {svc} degrades for about {} minutes and {}% of users notice.",
                v.3 + v.4,
                v.5
            ))])])
        });
        let close = if fixed || stagnant {
            None
        } else {
            self.closing(created, 0.2, ST_DONE, &[("Done", 0.5), ("Won't Do", 0.5)])
        };
        let open = if stagnant || fixed {
            ST_TODO
        } else {
            pick(&mut self.rng, &[ST_TODO, ST_TODO, ST_PROGRESS])
        };
        self.finish(w, &mut issue, close, open, true, stagnant, None);
        (issue, Refs::default())
    }

    pub(super) fn chore(&mut self, w: &mut World, created: i64) -> (Issue, Refs) {
        let created = self.created_ms(created);
        let svc = self.service();
        let t = pick(&mut self.rng, &gh::CHORES);
        let summary = self.fill(t, svc);
        let itype = match self.rng.random_range(0..100) {
            0..=44 => T_TASK,
            45..=79 => T_BUG,
            _ => T_STORY,
        };
        let reporter = self.person();
        let mut issue = w.blank_issue(&summary, itype, reporter, created);
        if self.rng.random_bool(0.5) {
            issue
                .labels
                .push(pick(&mut self.rng, &NOISE_LABELS).to_string());
        }
        if self.rng.random_bool(0.1) {
            issue
                .labels
                .push(pick(&mut self.rng, &NOISE_LABELS).to_string());
        }
        issue.labels.sort();
        issue.labels.dedup();
        issue.priority = pick(&mut self.rng, &[2, 2, 2, 3, 4, 1]);
        if self.rng.random_bool(0.8) {
            let text = match self.rng.random_range(0..3) {
                0 => format!("Seen on {svc} in production.\n\nSteps to reproduce:\n1. Deploy\n2. Watch the logs"),
                1 => format!("It would help if {svc} did this."),
                _ => format!("See the discussion in {}-{}.", self.plan.key, self.rng.random_range(1..300)),
            };
            issue.description = Some(adf::from_text(&text));
        }
        let p = 0.1 + 0.5 * self.age(created);
        let close = self.closing(
            created,
            p,
            ST_DONE,
            &[("Done", 0.8), ("Won't Do", 0.1), ("Cannot Reproduce", 0.1)],
        );
        let open = pick(&mut self.rng, &[ST_TODO, ST_TODO, ST_PROGRESS]);
        self.finish(w, &mut issue, close, open, false, false, None);
        (issue, Refs::default())
    }
}
