//! Which repositories each [`Scale`] has, how many issues each holds, and
//! the services and teams their issues are about.

use super::{
    bench_repos, BENCH_REPO_COUNT, BIG_BODY_BYTES_DEMO, BIG_BODY_BYTES_SMALL, CONTRAST_REPO,
    DEMO_REPOS, SMALL_REPOS,
};
use crate::Scale;

pub(crate) struct RepoPlan {
    pub full_name: String,
    pub issues: usize,
    pub(super) services: &'static [&'static str],
    pub(super) teams: &'static [&'static str],
    /// Contrast risks and hostile texts go here.
    pub(super) special: bool,
    pub(super) big_body: usize,
    /// Bench: few comments, no special issues.
    pub(super) lean: bool,
}

const SERVICES: [(&str, &[&str], &[&str]); 7] = [
    (
        "payments",
        &["checkout", "payments-api", "ledger", "billing"],
        &["payments", "billing"],
    ),
    (
        "backup",
        &["backup-agent", "snapshot-store", "restore-service"],
        &["storage"],
    ),
    (
        "platform",
        &["kubernetes", "dns", "ingress", "auth-gateway"],
        &["platform", "sre"],
    ),
    ("web", &["web-frontend", "cdn", "search"], &["web"]),
    (
        "mobile",
        &["ios-app", "android-app", "push-gateway"],
        &["mobile"],
    ),
    (
        "data-pipeline",
        &["ingest", "warehouse", "scheduler"],
        &["data"],
    ),
    (
        "bench",
        &["api", "worker", "database", "cache", "queue"],
        &["core", "infra"],
    ),
];

fn services_of(name: &str) -> (&'static [&'static str], &'static [&'static str]) {
    let key = if name.starts_with("bench-") {
        "bench"
    } else {
        name
    };
    SERVICES
        .iter()
        .find(|(n, _, _)| *n == key)
        .map(|(_, s, t)| (*s, *t))
        .unwrap_or((SERVICES[6].1, SERVICES[6].2))
}

fn plan(full_name: &str, issues: usize, scale: Scale) -> RepoPlan {
    let name = full_name.rsplit('/').next().unwrap_or(full_name);
    let (services, teams) = services_of(name);
    let special = full_name == CONTRAST_REPO && matches!(scale, Scale::Small | Scale::Demo);
    RepoPlan {
        full_name: full_name.to_string(),
        issues,
        services,
        teams,
        special,
        big_body: match scale {
            Scale::Demo => BIG_BODY_BYTES_DEMO,
            _ => BIG_BODY_BYTES_SMALL,
        },
        lean: matches!(scale, Scale::Bench { .. }),
    }
}

pub(crate) fn plans(scale: Scale) -> Vec<RepoPlan> {
    match scale {
        Scale::Empty => SMALL_REPOS.iter().map(|r| plan(r, 0, scale)).collect(),
        Scale::Small => SMALL_REPOS
            .iter()
            .zip([160, 120, 120])
            .map(|(r, n)| plan(r, n, scale))
            .collect(),
        Scale::Demo => DEMO_REPOS
            .iter()
            .zip([700, 400, 600, 500, 400, 400])
            .map(|(r, n)| plan(r, n, scale))
            .collect(),
        Scale::Bench { issues } => bench_repos()
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let n = issues / BENCH_REPO_COUNT + usize::from(i < issues % BENCH_REPO_COUNT);
                plan(r, n, scale)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::repos;

    #[test]
    fn bench_spreads_issues_over_ten_repos() {
        let p = plans(Scale::Bench { issues: 1005 });
        assert_eq!(p.len(), BENCH_REPO_COUNT);
        assert_eq!(p.iter().map(|p| p.issues).sum::<usize>(), 1005);
        assert_eq!(repos(Scale::Bench { issues: 10 }), bench_repos());
        assert!(plans(Scale::Empty).iter().all(|p| p.issues == 0));
    }
}
