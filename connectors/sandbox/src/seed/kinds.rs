//! The kinds of generated issue: pull requests, risks (with their numbers
//! and levels), incidents (naming risks), action items (naming incidents
//! and risks) and chores, and the fixed ones of the special repository
//! (the contrast risks, hostile texts, the huge body, many comments).

use rand::Rng;

use super::draw::{
    action_close_time, big_log, capitalise, date, level_text, owner_text, percent_text, pick,
    timestamp_text, RiskNumbers,
};
use super::records::{SeedIssue, SeedPr};
use super::repo_gen::{Form, RepoGen};
use super::tables::{
    ACTIONS, CHORES, EFFORTS, INCIDENTS, OUTCOMES, PRIORITIES, PULLS, RATIONALES, RISKS,
    RISK_STATUSES, SEVERITIES, THEMES, TYPE_LABELS,
};
use super::{
    ACTION_ITEM_HEADINGS, ACTION_ITEM_LABEL, BIG_BODY_TITLE, DAILY_DEGRADATION_RISK_NUMBER,
    DAILY_DEGRADATION_RISK_TITLE, DAY, FULL_OUTAGE_RISK_NUMBER, FULL_OUTAGE_RISK_TITLE,
    HOSTILE_CONTROL_TITLE, HOSTILE_EMOJI_TITLE, HOSTILE_RTL_TITLE, HOSTILE_SQL, HOSTILE_SQL_TITLE,
    INCIDENT_HEADINGS, INCIDENT_LABEL, MANY_COMMENTS, MANY_COMMENTS_TITLE, NO, NOISE_LABELS,
    RISK_HEADINGS, RISK_LABEL,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pull,
    Risk,
    Incident,
    Action,
    Chore,
}

/// Fixed issues of the special repository, by number.
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

pub(super) fn special_at(number: u64) -> Option<Special> {
    match number {
        DAILY_DEGRADATION_RISK_NUMBER => Some(Special::DailyRisk),
        FULL_OUTAGE_RISK_NUMBER => Some(Special::OutageRisk),
        21 => Some(Special::Sql),
        22 => Some(Special::Control),
        23 => Some(Special::Rtl),
        24 => Some(Special::Emoji),
        25 => Some(Special::BigBody),
        26 => Some(Special::ManyComments),
        _ => None,
    }
}

impl RepoGen<'_> {
    fn kind(&mut self) -> Kind {
        let r: f64 = self.rng.random();
        match r {
            r if r < 0.10 => Kind::Pull,
            // A registry of tens of risks, not hundreds: what a real
            // organisation of this size keeps.
            r if r < 0.12 => Kind::Risk,
            r if r < 0.205 => Kind::Incident,
            r if r < 0.425 => Kind::Action,
            _ => Kind::Chore,
        }
    }

    /// An issue of a random kind.
    pub(super) fn random_issue(&mut self, number: u64, created: i64) -> SeedIssue {
        match self.kind() {
            Kind::Pull => self.pull(number, created),
            Kind::Risk => self.risk(number, created, None),
            Kind::Incident => self.incident(number, created),
            Kind::Action => self.action(created, None),
            Kind::Chore => self.chore(created),
        }
    }

    fn risk(&mut self, number: u64, created: i64, fixed: Option<Special>) -> SeedIssue {
        let svc = self.service();
        let template = pick(&mut self.rng, &RISKS);
        let mut title = capitalise(&self.fill(template, svc));
        let mut f = Form::new(700);
        if fixed == Some(Special::Emoji) {
            // Text before the first heading: free prose, not a form field.
            f.0.push_str(
                "Handoff notes written as \u{1f9d1}\u{200d}\u{1f4bb}\u{200b} are dropped by the pager bridge.\n\n",
            );
        }
        // Impact, scope, likelihood, TTD, TTR, users %, per year, days
        // between failures, SLO.
        let v: [String; 9] = match fixed {
            Some(Special::DailyRisk) => {
                title = DAILY_DEGRADATION_RISK_TITLE.to_string();
                ["2", "3", "5", "2", "8", "20", "365", "1", "99.9"].map(String::from)
            }
            Some(Special::OutageRisk) => {
                title = FULL_OUTAGE_RISK_TITLE.to_string();
                ["5", "5", "2", "30", "90", "100", "4", "91", "99.9"].map(String::from)
            }
            Some(Special::Emoji) => {
                title = HOSTILE_EMOJI_TITLE.to_string();
                ["3", "2", "4", "45", "30", "5", "6", "60", "99.9%"].map(String::from)
            }
            _ => {
                let n = RiskNumbers::draw(&mut self.rng);
                let impact = level_text(&mut self.rng, n.impact);
                let scope = level_text(&mut self.rng, n.scope);
                let likelihood = if self.rng.random_bool(0.03) {
                    "often".to_string()
                } else {
                    level_text(&mut self.rng, n.likelihood)
                };
                let d = n.ttd;
                let ttd = match self.rng.random_range(0..6) {
                    0 => format!("{d} min"),
                    1 if d >= 60 && d.is_multiple_of(60) => format!("{}h", d / 60),
                    _ => d.to_string(),
                };
                let r = n.ttr;
                let ttr = if self.rng.random_bool(0.15) {
                    format!("{r} minutes")
                } else {
                    r.to_string()
                };
                let users = percent_text(&mut self.rng, n.users_pct);
                let yearly = n.per_year;
                let days = if self.rng.random_bool(0.2) {
                    NO.to_string()
                } else {
                    (365 / yearly).to_string()
                };
                let slo = if self.rng.random_bool(0.1) {
                    NO.to_string()
                } else {
                    n.slo.to_string()
                };
                [
                    impact,
                    scope,
                    likelihood,
                    ttd,
                    ttr,
                    users,
                    yearly.to_string(),
                    days,
                    slo,
                ]
            }
        };
        let owner = match fixed {
            Some(Special::DailyRisk) => "@alice".to_string(),
            Some(Special::OutageRisk) => "@bob".to_string(),
            _ => owner_text(&mut self.rng),
        };
        let status = match fixed {
            Some(Special::DailyRisk) => "Open",
            Some(Special::OutageRisk) => "Accepted",
            _ => pick(&mut self.rng, &RISK_STATUSES),
        };
        let reviewed = created + self.rng.random_range(0..=(self.anchor - created).max(0));
        let reviewed = date(reviewed);
        let values = [
            v[0].as_str(),
            &v[1],
            &v[2],
            &v[3],
            &v[4],
            &v[5],
            &v[6],
            &v[7],
            &owner,
            status,
            &reviewed,
            &v[8],
        ];
        for (h, v) in RISK_HEADINGS.iter().zip(values) {
            f.field(h, v);
        }
        let mut labels = vec![self.labels.id(RISK_LABEL)];
        let svc_label = match fixed {
            Some(Special::DailyRisk) => "checkout",
            Some(Special::OutageRisk) => "payments-api",
            _ => svc,
        };
        if fixed.is_some() {
            labels.push(self.labels.id(&format!("service:{svc_label}")));
        } else {
            self.value_labels(&mut labels, svc_label, 0.5);
            if self.rng.random_bool(0.03) {
                labels.push(self.labels.id(INCIDENT_LABEL));
            }
        }
        let closed = if fixed.is_some() {
            None
        } else {
            let p = 0.1 + 0.2 * self.age(created);
            self.closing(created, p, false)
        };
        self.pools.risks.push(number);
        self.finish(title, f.0, labels, created, closed, true, None)
    }

    fn incident(&mut self, number: u64, created: i64) -> SeedIssue {
        self.incident_with(number, created, None)
    }

    fn incident_with(&mut self, number: u64, created: i64, title: Option<&str>) -> SeedIssue {
        // In the contrast repository many incidents repeat the two contrast
        // failure modes, spread over the whole span. The outage's incidents
        // name their risk (a few a year: each occurrence is a ticket). Of
        // the daily degradation's, one in three names it: nobody files a
        // ticket for every daily slowdown, so its tickets are a lower bound
        // and scoring keeps its stated 365 a year (rate_rule
        // at_least_stated) while they can only raise it.
        let repeat = if self.plan.special {
            match self.rng.random_range(0..100) {
                0..=29 => Some((DAILY_DEGRADATION_RISK_NUMBER, "checkout")),
                30..=32 => Some((FULL_OUTAGE_RISK_NUMBER, "payments-api")),
                _ => None,
            }
        } else {
            None
        };
        let (risk, svc) = match repeat {
            Some((DAILY_DEGRADATION_RISK_NUMBER, s)) => (
                (DAILY_DEGRADATION_RISK_NUMBER < number && self.rng.random_bool(1.0 / 3.0))
                    .then_some(DAILY_DEGRADATION_RISK_NUMBER),
                s,
            ),
            Some((r, s)) if r < number => (Some(r), s),
            _ => {
                let svc = self.service();
                // Other incidents name some other risk: the contrast pair's
                // tickets are only the ones above.
                let others: Vec<u64> = self
                    .pools
                    .risks
                    .iter()
                    .copied()
                    .filter(|r| {
                        !self.plan.special
                            || (*r != DAILY_DEGRADATION_RISK_NUMBER
                                && *r != FULL_OUTAGE_RISK_NUMBER)
                    })
                    .collect();
                let risk = (!others.is_empty() && self.rng.random_bool(0.6))
                    .then(|| pick(&mut self.rng, &others));
                (risk, svc)
            }
        };
        let template = pick(&mut self.rng, &INCIDENTS);
        let title = match title {
            Some(t) => t.to_string(),
            None => capitalise(&self.fill(template, svc)),
        };
        let started = created - self.rng.random_range(10..600) * 60;
        let ttr = pick(&mut self.rng, &[8, 20, 45, 90, 180, 400]) * 60;
        let closed = self.closing(
            created,
            if self.anchor - created > 14 * DAY {
                0.9
            } else {
                0.4
            },
            false,
        );
        let resolved = if closed.is_none() && self.rng.random_bool(0.3) {
            NO.to_string()
        } else {
            timestamp_text(&mut self.rng, started + ttr)
        };
        let mut f = Form::new(400);
        let started_text = timestamp_text(&mut self.rng, started);
        let severity = pick(&mut self.rng, &SEVERITIES);
        let repo = self.plan.full_name.clone();
        let risk_text = match risk {
            Some(r) => self.reference(&repo, r),
            None => NO.to_string(),
        };
        let users = pick(&mut self.rng, &[1, 5, 10, 20, 35, 60, 100]);
        let users = if self.rng.random_bool(0.1) {
            NO.to_string()
        } else {
            percent_text(&mut self.rng, users)
        };
        let values = [
            started_text.as_str(),
            resolved.as_str(),
            severity,
            svc,
            risk_text.as_str(),
            users.as_str(),
        ];
        for (h, v) in INCIDENT_HEADINGS.iter().zip(values) {
            f.field(h, v);
        }
        let mut labels = vec![self.labels.id(INCIDENT_LABEL)];
        self.value_labels(&mut labels, svc, 0.4);
        if self.rng.random_bool(0.04) {
            labels.push(self.labels.id(ACTION_ITEM_LABEL));
        }
        self.pools.incidents.push((number, risk));
        self.finish(title, f.0, labels, created, closed, true, None)
    }

    fn action(&mut self, created: i64, special: Option<Special>) -> SeedIssue {
        let svc = match special {
            Some(_) => "checkout",
            None => self.service(),
        };
        let (kind, template) = pick(&mut self.rng, &ACTIONS);
        let mut title = capitalise(&self.fill(template, svc));
        let (incident, risk_hint) = self.incident_ref();
        let risk = self.risk_ref(risk_hint);
        let type_text = match self.rng.random_range(0..4) {
            0 => capitalise(kind),
            1 => NO.to_string(),
            _ => kind.to_string(),
        };
        let service_text = if self.rng.random_bool(0.15) { NO } else { svc };
        let team = pick(&mut self.rng, self.plan.teams);
        let mut owner = owner_text(&mut self.rng);
        let priority = if self.rng.random_bool(0.1) {
            NO
        } else {
            pick(&mut self.rng, &PRIORITIES)
        };
        let due = created + self.rng.random_range(14..180) * DAY;
        let target = match self.rng.random_range(0..100) {
            0..=2 => "next quarter".to_string(),
            3..=10 => NO.to_string(),
            _ => date(due),
        };
        let rationale = pick(&mut self.rng, &RATIONALES);
        let outcome = pick(&mut self.rng, &OUTCOMES).to_string();
        let closed = action_close_time(&mut self.rng, created, due, self.anchor, DAY)
            .map(|at| self.close_at(at, false));
        let mut evidence = match &closed {
            Some(c) if c.reason == Some("completed") => format!(
                "Merged in #{}; verified in staging on {}.",
                self.rng.random_range(1..400),
                date(c.at)
            ),
            _ => NO.to_string(),
        };
        let blocked = match self.rng.random_range(0..10) {
            0 => format!("#{}", self.rng.random_range(1..200)),
            1 => "Waiting on the vendor's new API".to_string(),
            _ => NO.to_string(),
        };
        let effort = pick(&mut self.rng, &EFFORTS);
        let theme = pick(&mut self.rng, &THEMES);
        let mut outcome_text = outcome;
        match special {
            Some(Special::Sql) => {
                title = HOSTILE_SQL_TITLE.to_string();
                outcome_text = format!("Exports survive notes like {HOSTILE_SQL} unharmed.");
            }
            Some(Special::Control) => {
                title = HOSTILE_CONTROL_TITLE.to_string();
                owner = "@carol\u{1}\u{1b}[31m".to_string();
            }
            Some(Special::BigBody) => {
                title = BIG_BODY_TITLE.to_string();
                evidence = big_log(self.plan.big_body);
            }
            Some(Special::ManyComments) => title = MANY_COMMENTS_TITLE.to_string(),
            _ => {}
        }
        let values = [
            incident.as_str(),
            risk.as_str(),
            type_text.as_str(),
            service_text,
            team,
            owner.as_str(),
            priority,
            target.as_str(),
            rationale,
            outcome_text.as_str(),
            evidence.as_str(),
            blocked.as_str(),
            effort,
            theme,
        ];
        let mut f = Form::new(900 + evidence.len());
        for (h, v) in ACTION_ITEM_HEADINGS.iter().zip(values) {
            f.field(h, v);
        }
        let mut labels = vec![self.labels.id(ACTION_ITEM_LABEL)];
        self.value_labels(&mut labels, svc, 0.5);
        if self.rng.random_bool(0.2) {
            let t = pick(&mut self.rng, &TYPE_LABELS);
            labels.push(self.labels.id(&format!("type:{t}")));
        }
        if self.rng.random_bool(0.1) {
            labels.push(self.labels.id("bug"));
        }
        if special.is_none() && self.rng.random_bool(0.03) {
            labels.push(self.labels.id(RISK_LABEL));
        }
        let mut issue = self.finish(title, f.0, labels, created, closed, true, None);
        if special == Some(Special::ManyComments) {
            let end = issue.updated.max(created + MANY_COMMENTS as i64 * 60);
            issue.comments = self.comments(MANY_COMMENTS, created, end);
            issue.updated = end.min(self.anchor).max(issue.updated);
            if let Some(last) = issue.comments.last() {
                issue.updated = issue.updated.max(last.created);
            }
        }
        issue
    }

    fn chore(&mut self, created: i64) -> SeedIssue {
        let svc = self.service();
        let template = pick(&mut self.rng, &CHORES);
        let title = self.fill(template, svc);
        let body = match self.rng.random_range(0..4) {
            0 => String::new(),
            1 => format!("Seen on {svc} in production.\n\nSteps to reproduce:\n1. Deploy\n2. Watch the logs\n"),
            2 => format!("It would help if {svc} did this.\r\n\r\nThanks!"),
            _ => format!("See the discussion in #{}.", self.rng.random_range(1..300)),
        };
        let mut labels = Vec::new();
        if self.rng.random_bool(0.4) {
            let l = pick(&mut self.rng, &NOISE_LABELS);
            labels.push(self.labels.id(l));
        }
        if self.rng.random_bool(0.1) {
            labels.push(self.labels.id("help wanted"));
        }
        let p = 0.1 + 0.5 * self.age(created);
        let closed = self.closing(created, p, false);
        self.finish(title, body, labels, created, closed, false, None)
    }

    fn pull(&mut self, _number: u64, created: i64) -> SeedIssue {
        let svc = self.service();
        let template = pick(&mut self.rng, &PULLS);
        let title = self.fill(template, svc);
        let body = format!(
            "Fixes #{}.\n\n- [x] tests\n- [ ] docs\n",
            self.rng.random_range(1..300)
        );
        let mut labels = Vec::new();
        match self.rng.random_range(0..100) {
            0..=11 => labels.push(self.labels.id(ACTION_ITEM_LABEL)),
            12..=14 => labels.push(self.labels.id(INCIDENT_LABEL)),
            15..=40 => {
                let l = pick(&mut self.rng, &NOISE_LABELS);
                labels.push(self.labels.id(l));
            }
            _ => {}
        }
        let p = if self.anchor - created > 7 * DAY {
            0.85
        } else {
            0.3
        };
        let closed = self.closing(created, p, true);
        let merged_at = closed
            .as_ref()
            .filter(|_| self.rng.random_bool(0.8))
            .map(|c| c.at);
        let draft = closed.is_none() && self.rng.random_bool(0.2);
        self.finish(
            title,
            body,
            labels,
            created,
            closed,
            false,
            Some(SeedPr { draft, merged_at }),
        )
    }

    /// The fixed issue `s` of the special repository.
    pub(super) fn special(&mut self, s: Special, number: u64, created: i64) -> SeedIssue {
        match s {
            Special::DailyRisk | Special::OutageRisk | Special::Emoji => {
                self.risk(number, created, Some(s))
            }
            Special::Rtl => self.incident_with(number, created, Some(HOSTILE_RTL_TITLE)),
            Special::Sql | Special::Control | Special::BigBody | Special::ManyComments => {
                self.action(created, Some(s))
            }
        }
    }
}
