//! Effects: which failure-mode effect (prevention, detection, mitigation,
//! recovery, learning) an action item's type has.
//!
//! The table is data rather than logic so that adding a type a team uses is
//! a one-line change, checked by the test that reads the issue form.

use super::text::{words, MAX_SCALAR_LEN};

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
        let form = include_str!("../../../../config/github-issue-forms/action-item.yml");
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
}
