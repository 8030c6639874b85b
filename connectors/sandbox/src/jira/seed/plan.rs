//! Which projects each [`Scale`] has (`OPS`, and `PAY` at Bench), how many
//! issues each holds, and the services and teams they are about.

use crate::seed as gh;
use crate::Scale;

use super::{DEMO_ISSUES, SMALL_ISSUES};

/// One project to generate.
pub(super) struct Plan {
    pub(super) key: &'static str,
    pub(super) name: &'static str,
    pub(super) issues: usize,
    pub(super) services: &'static [&'static str],
    pub(super) teams: &'static [&'static str],
    pub(super) special: bool,
    pub(super) lean: bool,
    pub(super) big: usize,
}

const OPS_SERVICES: [&str; 10] = [
    "checkout",
    "payments-api",
    "ledger",
    "billing",
    "kubernetes",
    "dns",
    "ingress",
    "auth-gateway",
    "backup-agent",
    "search",
];
const PAY_SERVICES: [&str; 4] = ["checkout", "payments-api", "ledger", "billing"];
const TEAMS: [&str; 5] = ["payments", "platform", "sre", "storage", "web"];

/// The projects of `scale`: `OPS` (and `PAY` at Bench), with issue counts.
#[cfg(test)]
fn projects(scale: Scale) -> Vec<(&'static str, usize)> {
    plans(scale).iter().map(|p| (p.key, p.issues)).collect()
}

/// The projects of `scale` to generate.
pub(super) fn plans(scale: Scale) -> Vec<Plan> {
    let ops = |issues, special, lean, big| Plan {
        key: "OPS",
        name: "Operations",
        issues,
        services: &OPS_SERVICES,
        teams: &TEAMS,
        special,
        lean,
        big,
    };
    match scale {
        Scale::Empty => vec![ops(0, false, false, 0)],
        Scale::Small => vec![ops(SMALL_ISSUES, true, false, gh::BIG_BODY_BYTES_SMALL)],
        Scale::Demo => vec![ops(DEMO_ISSUES, true, false, gh::BIG_BODY_BYTES_DEMO)],
        Scale::Bench { issues } => {
            let n = issues / 2;
            vec![
                ops(n - n / 2, false, true, 0),
                Plan {
                    key: "PAY",
                    name: "Payments",
                    issues: n / 2,
                    services: &PAY_SERVICES,
                    teams: &TEAMS[..2],
                    special: false,
                    lean: true,
                    big: 0,
                },
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_splits_half_the_issues_over_two_projects() {
        assert_eq!(
            projects(Scale::Bench { issues: 1001 }),
            vec![("OPS", 250), ("PAY", 250)]
        );
        assert_eq!(projects(Scale::Small), vec![("OPS", SMALL_ISSUES)]);
        assert_eq!(projects(Scale::Empty), vec![("OPS", 0)]);
    }
}
