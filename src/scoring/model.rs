//! The two risk models as pure functions (property-tested below): levels
//! and bands, the rate blend, bad minutes against the error budget,
//! priorities, inversions and reversals. The rules are in the module
//! documentation of [`crate::scoring`].

use crate::settings::{slo_fraction, ScoringSettings};

/// Minutes in a year of 365.25 days.
pub const MINUTES_PER_YEAR: f64 = 525_960.0;
/// Days in a year, for Days between failures.
pub const DAYS_PER_YEAR: f64 = 365.25;
/// The shortest observation window of the blend, in years.
pub const MIN_WINDOW_YEARS: f64 = 0.25;
/// Users affected (%) from which a risk is a full outage and the outage
/// multiplier applies.
pub const OUTAGE_USERS_PCT: f64 = 90.0;

/// Ordinal band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Band {
    /// Below `band_medium`.
    Low,
    /// From `band_medium`.
    Medium,
    /// From `band_high`, or impact 5.
    High,
    /// From `band_critical`.
    Critical,
}

impl Band {
    /// The name stored in `score_history.band`.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Low => "low",
            Band::Medium => "medium",
            Band::High => "high",
            Band::Critical => "critical",
        }
    }
}

/// Expected-cost priority; P0 is the most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// Budget share ≥ `p0`.
    P0,
    /// Budget share ≥ `p1`.
    P1,
    /// Budget share ≥ `p2`.
    P2,
    /// Below `p2`.
    P3,
}

impl Priority {
    /// The name stored in `score_history.priority`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P0 => "P0",
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
        }
    }
}

/// How the rate used came about (`rate_rule` in `score_history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateRule {
    /// No linked incident: the stated rate `f0`.
    Stated,
    /// `f0` at most `blend_max_rate`: every occurrence is expected to make
    /// an incident ticket, so the blend `(k + f0) / (T + 1)` may lower the
    /// rate as well as raise it.
    Blended,
    /// `f0` above `blend_max_rate`: tickets are a lower bound (nobody files
    /// one for each of 365 daily slowdowns), so `max(f0, blend)`.
    AtLeastStated,
}

impl RateRule {
    /// The SQL-facing name.
    pub fn as_str(self) -> &'static str {
        match self {
            RateRule::Stated => "stated",
            RateRule::Blended => "blended",
            RateRule::AtLeastStated => "at_least_stated",
        }
    }
}

/// `impact × scope × likelihood`.
pub fn ordinal(impact: u8, scope: u8, likelihood: u8) -> u32 {
    u32::from(impact) * u32::from(scope) * u32::from(likelihood)
}

/// The band of an ordinal score; impact 5 is at least [`Band::High`].
pub fn band(ordinal: u32, impact: u8, s: &ScoringSettings) -> Band {
    let by_score = if ordinal >= s.band_critical {
        Band::Critical
    } else if ordinal >= s.band_high {
        Band::High
    } else if ordinal >= s.band_medium {
        Band::Medium
    } else {
        Band::Low
    };
    if impact >= 5 {
        by_score.max(Band::High)
    } else {
        by_score
    }
}

/// The level 1–5 of a number: the nearest `table` entry on a log scale
/// (cut-offs at the geometric means of neighbours; on a cut-off, the higher
/// level).
pub fn level_for(value: f64, table: &[f64; 5]) -> u8 {
    let above = table
        .windows(2)
        .filter(|w| value >= (w[0] * w[1]).sqrt())
        .count();
    1 + above as u8
}

/// `f0`: occurrences per year, else 365.25 / days between failures.
pub fn per_year_stated(
    occurrences_per_year: Option<f64>,
    days_between: Option<f64>,
) -> Option<f64> {
    occurrences_per_year
        .filter(|v| v.is_finite() && *v >= 0.0)
        .or_else(|| {
            days_between
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| DAYS_PER_YEAR / d)
        })
}

/// The observed-frequency blend with a one-year prior:
/// `(k + f0) / (T + 1)` with `T = max(span_years, 0.25)`. Returns the rate
/// and the `T` used.
pub fn blend(f0: f64, incidents: u64, span_years: f64) -> (f64, f64) {
    let t = if span_years.is_finite() {
        span_years.max(MIN_WINDOW_YEARS)
    } else {
        MIN_WINDOW_YEARS
    };
    ((incidents as f64 + f0) / (t + 1.0), t)
}

/// Bad minutes per year and the outage multiplier applied (1 unless
/// `users_pct ≥ 90`).
pub fn bad_minutes_per_year(
    per_year: f64,
    minutes: f64,
    users_pct: f64,
    outage_multiplier: f64,
) -> (f64, f64) {
    let multiplier = if users_pct >= OUTAGE_USERS_PCT {
        outage_multiplier
    } else {
        1.0
    };
    (
        per_year * minutes * users_pct / 100.0 * multiplier,
        multiplier,
    )
}

/// The error budget in minutes per year of an SLO (a fraction). `1 − slo`
/// is rounded to fifteen decimals first: `1 − 0.999` is
/// 0.0010000000000000009 in floating point, and a budget that much too
/// large would put a risk spending exactly its budget below P0.
pub fn budget_minutes(slo: f64) -> f64 {
    let allowed = ((1.0 - slo) * 1e15).round() / 1e15;
    allowed * MINUTES_PER_YEAR
}

/// How close below a threshold a budget share may fall and still reach it:
/// one part in a billion, far below any difference a person can state
/// (a minute a year is 2e-3 of a 99.9 % budget) and far above the rounding
/// of the arithmetic that produces the share.
pub const THRESHOLD_TOLERANCE: f64 = 1e-9;

/// The priority of a budget share: at or above `p0` (within
/// [`THRESHOLD_TOLERANCE`]) is P0, and so on; exactly 1, 0.25 and 0.05 land
/// in P0, P1 and P2.
pub fn priority(budget_share: f64, s: &ScoringSettings) -> Priority {
    let reaches = |threshold: f64| budget_share >= threshold * (1.0 - THRESHOLD_TOLERANCE);
    if reaches(s.p0) {
        Priority::P0
    } else if reaches(s.p1) {
        Priority::P1
    } else if reaches(s.p2) {
        Priority::P2
    } else {
        Priority::P3
    }
}

/// A risk's fields as stored (`risks` view); `None` where not given.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RiskFields {
    /// Impact level 1–5.
    pub impact: Option<u8>,
    /// Scope level 1–5.
    pub scope: Option<u8>,
    /// Likelihood level 1–5.
    pub likelihood: Option<u8>,
    /// Time to detect, minutes.
    pub ttd_minutes: Option<f64>,
    /// Time to repair, minutes.
    pub ttr_minutes: Option<f64>,
    /// Users affected, percent (25 = 25 %).
    pub users_pct: Option<f64>,
    /// Occurrences per year.
    pub occurrences_per_year: Option<f64>,
    /// Days between failures.
    pub days_between_failures: Option<f64>,
    /// SLO, a fraction (percentages are accepted too).
    pub slo: Option<f64>,
}

/// Incidents linked to a risk.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Observed {
    /// All linked incidents (the blend applies when at least one).
    pub linked: u64,
    /// `k`: those that started between the risk's creation and the run.
    pub in_window: u64,
    /// Years from the risk's creation to the run (before the 0.25 floor).
    pub span_years: f64,
}

/// The expected-cost model's result with its breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedCost {
    /// TTD + TTR used.
    pub minutes: f64,
    /// Users affected (%) used.
    pub users_pct: f64,
    /// `f0`, the stated (or level-derived) rate.
    pub per_year_stated: f64,
    /// The rate used (see [`RateRule`]).
    pub per_year: f64,
    /// Which rule gave `per_year`.
    pub rate_rule: RateRule,
    /// `k`, when the blend applied.
    pub incidents_in_window: Option<u64>,
    /// `T` (≥ 0.25), when the blend applied.
    pub window_years: Option<f64>,
    /// The outage multiplier applied (1 unless users ≥ 90 %).
    pub outage_multiplier_applied: f64,
    /// Bad minutes per year.
    pub bad_minutes_per_year: f64,
    /// Bad minutes over the budget.
    pub budget_share: f64,
    /// Priority of the share.
    pub priority: Priority,
    /// Inputs taken from the level tables: `minutes`, `users_pct`, `per_year`.
    pub derived_from_levels: Vec<&'static str>,
}

impl ExpectedCost {
    /// True exactly when some input came from a level table.
    pub fn estimated(&self) -> bool {
        !self.derived_from_levels.is_empty()
    }
}

/// Both models for one risk.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskScore {
    /// Impact level used (given or derived).
    pub impact: Option<u8>,
    /// Scope level used.
    pub scope: Option<u8>,
    /// Likelihood level used.
    pub likelihood: Option<u8>,
    /// Levels derived from numbers: `impact`, `scope`, `likelihood`.
    pub levels_from_numbers: Vec<&'static str>,
    /// `impact × scope × likelihood`, when all three levels are known.
    pub ordinal: Option<u32>,
    /// The ordinal's band.
    pub band: Option<Band>,
    /// The SLO used (fraction).
    pub slo: f64,
    /// The budget of that SLO, minutes per year.
    pub budget_minutes: f64,
    /// The expected cost, when minutes, users and a rate are all known.
    pub cost: Option<ExpectedCost>,
}

fn valid_level(l: &u8) -> bool {
    (1..=5).contains(l)
}

/// Scores one risk with both models. See the module documentation.
pub fn score_risk(f: &RiskFields, observed: &Observed, s: &ScoringSettings) -> RiskScore {
    let nonneg = |v: &f64| v.is_finite() && *v >= 0.0;
    let impact_given = f.impact.filter(valid_level);
    let scope_given = f.scope.filter(valid_level);
    let likelihood_given = f.likelihood.filter(valid_level);
    let minutes_given = match (f.ttd_minutes.filter(nonneg), f.ttr_minutes.filter(nonneg)) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    };
    let users_given = f.users_pct.filter(|v| nonneg(v) && *v <= 100.0);
    let f0_given = per_year_stated(f.occurrences_per_year, f.days_between_failures);

    let mut levels_from_numbers = Vec::new();
    let mut level = |given: Option<u8>, number: Option<f64>, table, name| {
        given.or_else(|| {
            number.map(|n| {
                levels_from_numbers.push(name);
                level_for(n, table)
            })
        })
    };
    let impact = level(impact_given, minutes_given, &s.impact_minutes, "impact");
    let scope = level(scope_given, users_given, &s.scope_users_pct, "scope");
    let likelihood = level(
        likelihood_given,
        f0_given,
        &s.likelihood_per_year,
        "likelihood",
    );
    let (ordinal, band) = match (impact, scope, likelihood) {
        (Some(i), Some(sc), Some(l)) => {
            let o = ordinal(i, sc, l);
            (Some(o), Some(band(o, i, s)))
        }
        _ => (None, None),
    };

    let mut derived = Vec::new();
    let mut number = |given: Option<f64>, level: Option<u8>, table: &[f64; 5], name| {
        given.or_else(|| {
            level.filter(valid_level).map(|l| {
                derived.push(name);
                table[usize::from(l) - 1]
            })
        })
    };
    let minutes = number(minutes_given, impact_given, &s.impact_minutes, "minutes");
    let users = number(users_given, scope_given, &s.scope_users_pct, "users_pct");
    let f0 = number(
        f0_given,
        likelihood_given,
        &s.likelihood_per_year,
        "per_year",
    );

    let slo = f
        .slo
        .and_then(slo_fraction)
        .unwrap_or_else(|| s.default_slo());
    let budget = budget_minutes(slo);
    let cost = match (minutes, users, f0) {
        (Some(minutes), Some(users_pct), Some(f0)) => {
            let (per_year, k, window, rate_rule) = if observed.linked > 0 {
                let (rate, t) = blend(f0, observed.in_window, observed.span_years);
                if f0 <= s.blend_max_rate {
                    (rate, Some(observed.in_window), Some(t), RateRule::Blended)
                } else {
                    (
                        rate.max(f0),
                        Some(observed.in_window),
                        Some(t),
                        RateRule::AtLeastStated,
                    )
                }
            } else {
                (f0, None, None, RateRule::Stated)
            };
            let (bad, multiplier) =
                bad_minutes_per_year(per_year, minutes, users_pct, s.outage_multiplier);
            let share = bad / budget;
            Some(ExpectedCost {
                minutes,
                users_pct,
                per_year_stated: f0,
                per_year,
                rate_rule,
                incidents_in_window: k,
                window_years: window,
                outage_multiplier_applied: multiplier,
                bad_minutes_per_year: bad,
                budget_share: share,
                priority: priority(share, s),
                derived_from_levels: derived,
            })
        }
        _ => None,
    };
    RiskScore {
        impact,
        scope,
        likelihood,
        levels_from_numbers,
        ordinal,
        band,
        slo,
        budget_minutes: budget,
        cost,
    }
}

/// The level of a band on the priority scale: critical ↔ P0, high ↔ P1,
/// medium ↔ P2, low ↔ P3.
fn band_level(b: Band) -> i32 {
    match b {
        Band::Critical => 0,
        Band::High => 1,
        Band::Medium => 2,
        Band::Low => 3,
    }
}

/// Whether the risk matrix misjudges a risk badly: its ordinal band and its
/// expected-cost priority two or more levels apart (band low with P0 or
/// P1, band critical with P3, …). The reason says which way. Neighbouring
/// levels disagree all the time (the band is a cube of levels, the priority
/// a share of a budget) and mean nothing; two levels is a risk the matrix
/// ranks in another league than its cost.
pub fn inversion(band: Band, priority: Priority) -> Option<String> {
    let b = band_level(band);
    let p = priority as i32;
    if b - p >= 2 {
        Some(format!(
            "matrix understates: band {} but expected cost {}",
            band.as_str(),
            priority.as_str()
        ))
    } else if p - b >= 2 {
        Some(format!(
            "matrix overstates: band {} but expected cost {}",
            band.as_str(),
            priority.as_str()
        ))
    } else {
        None
    }
}

/// Reversals: among the `top` risks by expected cost (bad minutes, highest
/// first; ties by ordinal, then position), every pair the ordinal ranks the
/// other way round — the first costs strictly more and scores strictly
/// lower. Pairs are `(index of the costlier, index of the other)` in cost
/// order. `None` (inactive or unscored) takes part in none. Points are
/// `(ordinal, bad minutes)`.
///
/// This is the seed's contrast (a daily degradation above a rare outage)
/// made countable: among the risks a review actually discusses, where the
/// two models disagree about which comes first.
pub fn reversals(points: &[Option<(u32, f64)>], top: usize) -> Vec<(usize, usize)> {
    let mut ranked: Vec<(usize, u32, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|(o, c)| (i, o, c)))
        .collect();
    ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    ranked.truncate(top);
    let mut out = Vec::new();
    for (x, a) in ranked.iter().enumerate() {
        for b in &ranked[x + 1..] {
            if a.2 > b.2 && a.1 < b.1 {
                out.push((a.0, b.0));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    fn daily_degradation() -> RiskFields {
        RiskFields {
            impact: Some(2),
            scope: Some(3),
            likelihood: Some(5),
            ttd_minutes: Some(2.0),
            ttr_minutes: Some(8.0),
            users_pct: Some(20.0),
            occurrences_per_year: Some(365.0),
            days_between_failures: Some(1.0),
            slo: Some(0.999),
        }
    }

    fn quarterly_outage() -> RiskFields {
        RiskFields {
            impact: Some(5),
            scope: Some(5),
            likelihood: Some(2),
            ttd_minutes: Some(30.0),
            ttr_minutes: Some(90.0),
            users_pct: Some(100.0),
            occurrences_per_year: Some(4.0),
            days_between_failures: Some(91.0),
            slo: Some(0.999),
        }
    }

    #[test]
    fn the_seed_contrast_comes_out_as_in_the_issue() {
        let s = ScoringSettings::default();
        let daily = score_risk(&daily_degradation(), &Observed::default(), &s);
        let outage = score_risk(&quarterly_outage(), &Observed::default(), &s);
        let (d, o) = (daily.cost.clone().unwrap(), outage.cost.clone().unwrap());
        assert!(
            close(daily.budget_minutes, 525.96),
            "{}",
            daily.budget_minutes
        );
        assert!(close(d.bad_minutes_per_year, 730.0), "{d:?}");
        assert!(close(d.budget_share, 730.0 / 525.96), "{d:?}");
        assert_eq!((d.budget_share * 100.0).round(), 139.0);
        assert_eq!(d.priority, Priority::P0);
        assert!(close(o.bad_minutes_per_year, 480.0), "{o:?}");
        assert!(close(o.budget_share, 480.0 / 525.96), "{o:?}");
        assert_eq!((o.budget_share * 100.0).round(), 91.0);
        assert_eq!(o.priority, Priority::P1);
        assert_eq!(daily.ordinal, Some(30));
        assert_eq!(outage.ordinal, Some(50));
        assert_eq!(daily.band, Some(Band::High));
        assert_eq!(outage.band, Some(Band::High));
        assert!(!d.estimated() && !o.estimated());
        assert!(daily.levels_from_numbers.is_empty());
        // The pair is a reversal: the daily degradation costs more though
        // its ordinal is lower. Neither is an inversion (high vs P0 / P1).
        let pts = [
            Some((30, d.bad_minutes_per_year)),
            Some((50, o.bad_minutes_per_year)),
        ];
        assert_eq!(reversals(&pts, 10), vec![(0, 1)]);
        assert_eq!(inversion(Band::High, d.priority), None);
        assert_eq!(inversion(Band::High, o.priority), None);
    }

    /// Regression: three incident tickets linked to the daily degradation
    /// used to pull its 365 a year down to ~147 through the blend and put
    /// it below the rare outage. Tickets are a lower bound for a chronic
    /// risk: it stays at 365 and above the outage.
    #[test]
    fn a_daily_degradation_with_three_linked_incidents_stays_above_the_rare_outage() {
        let s = ScoringSettings::default();
        let three = Observed {
            linked: 3,
            in_window: 3,
            span_years: 1.5,
        };
        let daily = score_risk(&daily_degradation(), &three, &s).cost.unwrap();
        assert_eq!(daily.rate_rule, RateRule::AtLeastStated);
        assert!(close(daily.per_year, 365.0), "{daily:?}");
        assert_eq!(daily.priority, Priority::P0);
        // The outage with two linked incidents in the same 1.5 years: its
        // rate is blended (4 a year is below blend_max_rate).
        let two = Observed {
            linked: 2,
            in_window: 2,
            span_years: 1.5,
        };
        let outage = score_risk(&quarterly_outage(), &two, &s).cost.unwrap();
        assert_eq!(outage.rate_rule, RateRule::Blended);
        assert!(close(outage.per_year, (2.0 + 4.0) / 2.5), "{outage:?}");
        assert!(daily.bad_minutes_per_year > outage.bad_minutes_per_year);
        // Many tickets still raise a chronic rate.
        let flood = Observed {
            linked: 900,
            in_window: 900,
            span_years: 1.0,
        };
        let raised = score_risk(&daily_degradation(), &flood, &s).cost.unwrap();
        assert!(close(raised.per_year, (900.0 + 365.0) / 2.0), "{raised:?}");
        // No linked incident: the stated rate, whatever it is.
        let none = score_risk(&daily_degradation(), &Observed::default(), &s)
            .cost
            .unwrap();
        assert_eq!(none.rate_rule, RateRule::Stated);
    }

    #[test]
    fn an_over_stated_rare_risk_with_no_incident_in_three_years_is_lowered() {
        let s = ScoringSettings::default();
        // Linked to the incident that prompted it (before its creation),
        // none since, three years on: 4 a year comes down to 1.
        let quiet = Observed {
            linked: 1,
            in_window: 0,
            span_years: 3.0,
        };
        let c = score_risk(&quarterly_outage(), &quiet, &s).cost.unwrap();
        assert_eq!(c.rate_rule, RateRule::Blended);
        assert!(close(c.per_year, 1.0), "{c:?}");
        assert!(close(c.per_year_stated, 4.0));
        // blend_max_rate decides: at 3 a year the same risk's 4 is a lower
        // bound and stays.
        let strict = ScoringSettings {
            blend_max_rate: 3.0,
            ..ScoringSettings::default()
        };
        let c = score_risk(&quarterly_outage(), &quiet, &strict)
            .cost
            .unwrap();
        assert_eq!(c.rate_rule, RateRule::AtLeastStated);
        assert!(close(c.per_year, 4.0));
    }

    #[test]
    fn inversion_is_band_and_priority_two_levels_apart() {
        use Band::*;
        use Priority::*;
        let mut flagged = Vec::new();
        for b in [Critical, High, Medium, Low] {
            for p in [P0, P1, P2, P3] {
                if let Some(reason) = inversion(b, p) {
                    flagged.push(format!("{} {}: {reason}", b.as_str(), p.as_str()));
                }
            }
        }
        assert_eq!(
            flagged,
            [
                "critical P2: matrix overstates: band critical but expected cost P2",
                "critical P3: matrix overstates: band critical but expected cost P3",
                "high P3: matrix overstates: band high but expected cost P3",
                "medium P0: matrix understates: band medium but expected cost P0",
                "low P0: matrix understates: band low but expected cost P0",
                "low P1: matrix understates: band low but expected cost P1",
            ]
        );
    }

    /// A hand-computed registry of 20 risks: costs fall with the index, so
    /// the index is the cost rank; the top 10 are 0–9. Risks 10–18 have
    /// the highest ordinal (they would reverse with everything above them)
    /// but are outside the top 10; 19 is inactive.
    #[test]
    fn reversals_on_a_hand_computed_registry_of_twenty() {
        let ordinals = [40, 60, 30, 30, 80, 10, 64, 5, 27, 100];
        let mut pts: Vec<Option<(u32, f64)>> = (0..20)
            .map(|i| {
                let o = ordinals.get(i).copied().unwrap_or(125);
                Some((o, 1000.0 - 50.0 * i as f64))
            })
            .collect();
        pts[19] = None;
        let want = vec![
            (0, 1),
            (0, 4),
            (0, 6),
            (0, 9),
            (1, 4),
            (1, 6),
            (1, 9),
            (2, 4),
            (2, 6),
            (2, 9),
            (3, 4),
            (3, 6),
            (3, 9),
            (4, 9),
            (5, 6),
            (5, 8),
            (5, 9),
            (6, 9),
            (7, 8),
            (7, 9),
            (8, 9),
        ];
        assert_eq!(reversals(&pts, 10), want);
        // Shuffled input: the same pairs (indices follow the risks).
        let mut order: Vec<usize> = (0..20).rev().collect();
        order.swap(3, 11);
        let shuffled: Vec<_> = order.iter().map(|&i| pts[i]).collect();
        let mut got: Vec<(usize, usize)> = reversals(&shuffled, 10)
            .into_iter()
            .map(|(a, b)| (order[a], order[b]))
            .collect();
        got.sort();
        assert_eq!(got, want);
        // Top 2: only the first pair.
        assert_eq!(reversals(&pts, 2), vec![(0, 1)]);
    }

    #[test]
    fn bands_follow_the_cubes_and_impact_five_is_at_least_high() {
        let s = ScoringSettings::default();
        assert_eq!(band(7, 1, &s), Band::Low);
        assert_eq!(band(8, 2, &s), Band::Medium);
        assert_eq!(band(26, 2, &s), Band::Medium);
        assert_eq!(band(27, 3, &s), Band::High);
        assert_eq!(band(63, 3, &s), Band::High);
        assert_eq!(band(64, 4, &s), Band::Critical);
        assert_eq!(band(125, 5, &s), Band::Critical);
        // 5 × 1 × 1: low by score, high by the impact floor.
        assert_eq!(band(ordinal(5, 1, 1), 5, &s), Band::High);
        assert_eq!(band(ordinal(4, 1, 1), 4, &s), Band::Low);
    }

    #[test]
    fn levels_come_from_numbers_by_log_nearest_table_entry() {
        let s = ScoringSettings::default();
        assert_eq!(level_for(10.0, &s.impact_minutes), 2);
        assert_eq!(level_for(29.9, &s.impact_minutes), 2);
        assert_eq!(level_for(30.0, &s.impact_minutes), 3);
        assert_eq!(level_for(120.0, &s.impact_minutes), 4);
        assert_eq!(level_for(0.0, &s.impact_minutes), 1);
        assert_eq!(level_for(5000.0, &s.impact_minutes), 5);
        assert_eq!(level_for(20.0, &s.scope_users_pct), 3);
        assert_eq!(level_for(100.0, &s.scope_users_pct), 5);
        assert_eq!(level_for(365.0, &s.likelihood_per_year), 5);
        assert_eq!(level_for(4.0, &s.likelihood_per_year), 4);
        assert_eq!(level_for(3.99, &s.likelihood_per_year), 3);
        assert_eq!(level_for(0.99, &s.likelihood_per_year), 2);
        for table in [
            &s.impact_minutes,
            &s.scope_users_pct,
            &s.likelihood_per_year,
        ] {
            for (i, v) in table.iter().enumerate() {
                assert_eq!(usize::from(level_for(*v, table)), i + 1, "{table:?}");
            }
        }
    }

    #[test]
    fn numbers_only_derive_the_levels_and_are_not_estimated() {
        let s = ScoringSettings::default();
        let f = RiskFields {
            impact: None,
            scope: None,
            likelihood: None,
            ..daily_degradation()
        };
        let r = score_risk(&f, &Observed::default(), &s);
        assert_eq!(
            (r.impact, r.scope, r.likelihood),
            (Some(2), Some(3), Some(5))
        );
        assert_eq!(r.levels_from_numbers, vec!["impact", "scope", "likelihood"]);
        assert_eq!(r.ordinal, Some(30));
        assert!(!r.cost.unwrap().estimated());
    }

    #[test]
    fn levels_only_derive_the_numbers_from_the_table_and_are_estimated() {
        let s = ScoringSettings::default();
        let f = RiskFields {
            impact: Some(3),
            scope: Some(4),
            likelihood: Some(2),
            ..Default::default()
        };
        let c = score_risk(&f, &Observed::default(), &s).cost.unwrap();
        assert_eq!((c.minutes, c.users_pct, c.per_year), (60.0, 50.0, 0.5));
        assert!(close(c.bad_minutes_per_year, 0.5 * 60.0 * 0.5));
        assert!(c.estimated());
        assert_eq!(
            c.derived_from_levels,
            vec!["minutes", "users_pct", "per_year"]
        );
        // One level-derived input is enough to be estimated.
        let f = RiskFields {
            users_pct: None,
            ..daily_degradation()
        };
        let c = score_risk(&f, &Observed::default(), &s).cost.unwrap();
        assert_eq!(c.derived_from_levels, vec!["users_pct"]);
        assert!(close(c.bad_minutes_per_year, 365.0 * 10.0 * 0.17));
    }

    #[test]
    fn one_given_time_is_kept_and_the_other_counts_as_zero() {
        let s = ScoringSettings::default();
        let f = RiskFields {
            ttd_minutes: None,
            ..daily_degradation()
        };
        let c = score_risk(&f, &Observed::default(), &s).cost.unwrap();
        assert_eq!(c.minutes, 8.0);
        assert!(!c.estimated());
    }

    #[test]
    fn per_year_prefers_occurrences_then_days_between_failures() {
        assert_eq!(per_year_stated(Some(4.0), Some(10.0)), Some(4.0));
        assert_eq!(per_year_stated(None, Some(91.3125)), Some(4.0));
        assert_eq!(per_year_stated(None, Some(0.0)), None);
        assert_eq!(per_year_stated(Some(-1.0), None), None);
        assert_eq!(per_year_stated(Some(0.0), None), Some(0.0));
    }

    #[test]
    fn the_blend_uses_a_one_year_prior_and_a_quarter_year_floor() {
        // 3 incidents over 2 years, stated 4/yr: (3 + 4) / 3.
        let (rate, t) = blend(4.0, 3, 2.0);
        assert!(close(rate, 7.0 / 3.0));
        assert_eq!(t, 2.0);
        // A risk created a week ago: T = 0.25.
        let (rate, t) = blend(4.0, 1, 7.0 / 365.25);
        assert_eq!(t, 0.25);
        assert!(close(rate, 5.0 / 1.25));
        let s = ScoringSettings::default();
        let linked = Observed {
            linked: 2,
            in_window: 1,
            span_years: 1.0,
        };
        let c = score_risk(&quarterly_outage(), &linked, &s).cost.unwrap();
        assert!(close(c.per_year, 2.5));
        assert_eq!(
            (c.incidents_in_window, c.window_years),
            (Some(1), Some(1.0))
        );
        assert!(close(c.bad_minutes_per_year, 2.5 * 120.0));
        // Linked incidents that all predate the risk still blend: k = 0.
        let old = Observed {
            linked: 1,
            in_window: 0,
            span_years: 3.0,
        };
        let c = score_risk(&quarterly_outage(), &old, &s).cost.unwrap();
        assert!(close(c.per_year, 1.0));
    }

    #[test]
    fn the_outage_multiplier_applies_only_from_ninety_percent_of_users() {
        let s = ScoringSettings {
            outage_multiplier: 3.0,
            ..Default::default()
        };
        let outage = score_risk(&quarterly_outage(), &Observed::default(), &s)
            .cost
            .unwrap();
        assert_eq!(outage.outage_multiplier_applied, 3.0);
        assert!(close(outage.bad_minutes_per_year, 1440.0));
        let daily = score_risk(&daily_degradation(), &Observed::default(), &s)
            .cost
            .unwrap();
        assert_eq!(daily.outage_multiplier_applied, 1.0);
        assert!(close(daily.bad_minutes_per_year, 730.0));
        assert_eq!(bad_minutes_per_year(1.0, 10.0, 89.9, 3.0).1, 1.0);
        assert_eq!(bad_minutes_per_year(1.0, 10.0, 90.0, 3.0).1, 3.0);
    }

    #[test]
    fn slo_is_a_fraction_or_a_percentage_and_falls_back_to_the_setting() {
        assert_eq!(slo_fraction(0.999), Some(0.999));
        assert!(close(slo_fraction(99.9).unwrap(), 0.999));
        assert_eq!(slo_fraction(100.0), None);
        assert_eq!(slo_fraction(0.0), None);
        assert_eq!(slo_fraction(f64::NAN), None);
        let s = ScoringSettings {
            slo: 99.0,
            ..Default::default()
        };
        let f = RiskFields {
            slo: None,
            ..daily_degradation()
        };
        let r = score_risk(&f, &Observed::default(), &s);
        assert!(close(r.slo, 0.99));
        assert!(close(r.budget_minutes, 5259.6));
        let r = score_risk(&daily_degradation(), &Observed::default(), &s);
        assert!(close(r.slo, 0.999), "the risk's own SLO wins");
    }

    #[test]
    fn priority_thresholds() {
        let s = ScoringSettings::default();
        assert_eq!(priority(1.0, &s), Priority::P0);
        assert_eq!(priority(0.999, &s), Priority::P1);
        assert_eq!(priority(0.25, &s), Priority::P1);
        assert_eq!(priority(0.05, &s), Priority::P2);
        assert_eq!(priority(0.0499, &s), Priority::P3);
    }

    #[test]
    fn too_few_fields_leave_a_model_empty() {
        let s = ScoringSettings::default();
        let f = RiskFields {
            impact: Some(4),
            ttd_minutes: Some(5.0),
            ..Default::default()
        };
        let r = score_risk(&f, &Observed::default(), &s);
        assert_eq!(r.ordinal, None);
        assert_eq!(r.cost, None);
        assert_eq!(r.impact, Some(4));
        let bad = RiskFields {
            impact: Some(9),
            users_pct: Some(250.0),
            ..Default::default()
        };
        let r = score_risk(&bad, &Observed::default(), &s);
        assert_eq!((r.impact, r.scope), (None, None));
    }

    /// A risk that spends exactly its whole budget (or exactly a quarter,
    /// or a twentieth), with the budget computed from the SLO as scoring
    /// does, lands in P0 (P1, P2): floating point must not push it a band
    /// down.
    #[test]
    fn budget_share_exactly_at_a_threshold_reaches_it() {
        let s = ScoringSettings::default();
        for slo_text in ["99.9%", "0.999", "99.95 %", "0.99", "99.99"] {
            let slo = recur_core::normalize::parse_slo(slo_text).unwrap().unwrap();
            let budget = budget_minutes(slo);
            for (share, want) in [
                (1.0, Priority::P0),
                (0.25, Priority::P1),
                (0.05, Priority::P2),
            ] {
                // One occurrence a year, everyone affected, for exactly
                // `share` of the budget's minutes.
                let f = RiskFields {
                    occurrences_per_year: Some(1.0),
                    ttd_minutes: Some(budget * share),
                    ttr_minutes: Some(0.0),
                    users_pct: Some(100.0),
                    slo: Some(slo),
                    ..Default::default()
                };
                let r = score_risk(&f, &Observed::default(), &s);
                let c = r.cost.expect("cost");
                assert_eq!(
                    c.priority, want,
                    "slo {slo_text}, share {share}: {}",
                    c.budget_share
                );
                // And spread over the year another way: 4 occurrences of a
                // quarter of the minutes, half the users twice as long.
                let f = RiskFields {
                    occurrences_per_year: Some(4.0),
                    ttd_minutes: Some(budget * share / 4.0 * 2.0),
                    users_pct: Some(50.0),
                    ..f
                };
                let c = score_risk(&f, &Observed::default(), &s).cost.unwrap();
                assert_eq!(c.priority, want, "slo {slo_text}, share {share} (spread)");
            }
            // Just below a threshold is below it.
            assert_eq!(priority(0.999_99, &s), Priority::P1);
            assert_eq!(priority(0.249_99, &s), Priority::P2);
        }
        // The budget of 99.9 % is 525.96 minutes, not a hair more.
        assert_eq!(budget_minutes(0.999), 0.001 * MINUTES_PER_YEAR);
    }

    fn level() -> impl Strategy<Value = Option<u8>> {
        prop::option::of(1u8..=5)
    }

    fn number(max: f64) -> impl Strategy<Value = Option<f64>> {
        prop::option::of(0.0..max)
    }

    prop_compose! {
        fn fields()(
            impact in level(), scope in level(), likelihood in level(),
            ttd_minutes in number(1e4), ttr_minutes in number(1e4), users_pct in number(100.0),
            occurrences_per_year in number(1e3), days_between_failures in prop::option::of(0.01..1e4),
            slo in prop::option::of(0.5..0.99999),
        ) -> RiskFields {
            RiskFields { impact, scope, likelihood, ttd_minutes, ttr_minutes, users_pct,
                         occurrences_per_year, days_between_failures, slo }
        }
    }

    prop_compose! {
        fn observed()(linked in 0u64..20, extra in 0u64..20, span_years in 0.0..10.0) -> Observed {
            Observed { linked, in_window: linked.saturating_sub(extra % (linked + 1)), span_years }
        }
    }

    proptest! {
        #[test]
        fn bad_minutes_grow_with_every_input(
            per_year in 0.0..1e3, minutes in 0.0..1e4, users in 0.0..100.0, m in 1.0..10.0,
            dp in 0.0..1e3, dm in 0.0..1e4, du in 0.0..100.0,
        ) {
            let users2 = f64::min(users + du, 100.0);
            let (base, _) = bad_minutes_per_year(per_year, minutes, users, m);
            prop_assert!(bad_minutes_per_year(per_year + dp, minutes, users, m).0 >= base);
            prop_assert!(bad_minutes_per_year(per_year, minutes + dm, users, m).0 >= base);
            prop_assert!(bad_minutes_per_year(per_year, minutes, users2, m).0 >= base);
            prop_assert!(bad_minutes_per_year(per_year, minutes, users, m + 1.0).0 >= base);
        }

        #[test]
        fn scores_grow_with_every_field(f in fields(), o in observed(), which in 0usize..6, bump in 0.0f64..1e3) {
            let s = ScoringSettings::default();
            let mut g = f;
            match which {
                0 => g.ttd_minutes = f.ttd_minutes.map(|v| v + bump),
                1 => g.ttr_minutes = f.ttr_minutes.map(|v| v + bump),
                2 => g.users_pct = f.users_pct.map(|v| f64::min(v + bump, 100.0)),
                3 => g.occurrences_per_year = f.occurrences_per_year.map(|v| v + bump),
                4 => g.days_between_failures = f.days_between_failures.map(|v| v + bump),
                _ => g.impact = f.impact.map(|l| (l + 1).min(5)),
            }
            let (a, b) = (score_risk(&f, &o, &s), score_risk(&g, &o, &s));
            if let (Some(a), Some(b)) = (&a.cost, &b.cost) {
                if which == 4 && f.occurrences_per_year.is_none() {
                    // More days between failures: fewer failures.
                    prop_assert!(b.bad_minutes_per_year <= a.bad_minutes_per_year * (1.0 + 1e-12));
                } else {
                    prop_assert!(b.bad_minutes_per_year >= a.bad_minutes_per_year * (1.0 - 1e-12));
                    prop_assert!(b.priority <= a.priority);
                }
            }
            if let (Some(x), Some(y)) = (a.ordinal, b.ordinal) {
                if which == 5 { prop_assert!(y >= x); }
            }
        }

        #[test]
        fn ordinal_and_band_grow_with_each_level(i in 1u8..=5, sc in 1u8..=5, l in 1u8..=5, which in 0usize..3) {
            let s = ScoringSettings::default();
            let (mut i2, mut s2, mut l2) = (i, sc, l);
            match which { 0 => i2 = (i + 1).min(5), 1 => s2 = (sc + 1).min(5), _ => l2 = (l + 1).min(5) }
            let (a, b) = (ordinal(i, sc, l), ordinal(i2, s2, l2));
            prop_assert!(b >= a);
            prop_assert!(band(b, i2, &s) >= band(a, i, &s));
            prop_assert!((1..=125).contains(&a));
            if i == 5 { prop_assert!(band(a, i, &s) >= Band::High); }
        }

        #[test]
        fn the_blend_grows_with_incidents_and_the_prior(f0 in 0.0..1e3, k in 0u64..100, t in 0.0..20.0) {
            let (base, window) = blend(f0, k, t);
            prop_assert!(window >= MIN_WINDOW_YEARS);
            prop_assert!(blend(f0, k + 1, t).0 > base);
            prop_assert!(blend(f0 + 1.0, k, t).0 > base);
            prop_assert!(blend(f0, k, t + 1.0).0 <= base);
        }

        #[test]
        fn share_scales_with_one_over_one_minus_slo(f in fields(), o in observed(), a in 0.5..0.99999, b in 0.5..0.99999) {
            let s = ScoringSettings::default();
            let x = score_risk(&RiskFields { slo: Some(a), ..f }, &o, &s);
            let y = score_risk(&RiskFields { slo: Some(b), ..f }, &o, &s);
            if let (Some(cx), Some(cy)) = (x.cost, y.cost) {
                prop_assert_eq!(cx.bad_minutes_per_year, cy.bad_minutes_per_year);
                let lhs = cx.budget_share * (1.0 - a);
                let rhs = cy.budget_share * (1.0 - b);
                prop_assert!(close(lhs, rhs), "{} vs {}", lhs, rhs);
            }
        }

        #[test]
        fn estimated_exactly_when_a_number_came_from_a_level(f in fields(), o in observed()) {
            let s = ScoringSettings::default();
            let r = score_risk(&f, &o, &s);
            let no_minutes = f.ttd_minutes.is_none() && f.ttr_minutes.is_none();
            let no_users = f.users_pct.is_none();
            let no_rate = f.occurrences_per_year.is_none() && f.days_between_failures.is_none();
            let computable = (!no_minutes || f.impact.is_some())
                && (!no_users || f.scope.is_some())
                && (!no_rate || f.likelihood.is_some());
            prop_assert_eq!(r.cost.is_some(), computable);
            if let Some(c) = r.cost {
                prop_assert_eq!(c.estimated(), no_minutes || no_users || no_rate);
                prop_assert!(c.bad_minutes_per_year.is_finite() && c.bad_minutes_per_year >= 0.0);
            }
            let derived_levels = [
                f.impact.is_none() && !no_minutes,
                f.scope.is_none() && !no_users,
                f.likelihood.is_none() && !no_rate,
            ];
            prop_assert_eq!(r.levels_from_numbers.len(), derived_levels.iter().filter(|d| **d).count());
        }

        #[test]
        fn derived_levels_are_monotonic(a in 0.0..2000.0, b in 0.0..2000.0) {
            let s = ScoringSettings::default();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            for t in [&s.impact_minutes, &s.scope_users_pct, &s.likelihood_per_year] {
                prop_assert!(level_for(lo, t) <= level_for(hi, t));
            }
        }

        #[test]
        fn reversals_match_their_definition_and_vanish_when_the_models_agree(
            pts in prop::collection::vec(prop::option::of((1u32..=125, 0.0..1e4)), 0..30),
            top in 2usize..15,
        ) {
            let got = reversals(&pts, top);
            // Brute force: the top `top` by cost (ties by ordinal, then
            // position), every ordered pair reversed.
            let mut ranked: Vec<usize> = (0..pts.len()).filter(|&i| pts[i].is_some()).collect();
            ranked.sort_by(|&a, &b| {
                let (oa, ca) = pts[a].unwrap();
                let (ob, cb) = pts[b].unwrap();
                cb.total_cmp(&ca).then(ob.cmp(&oa)).then(a.cmp(&b))
            });
            ranked.truncate(top);
            let mut brute = Vec::new();
            for (x, &a) in ranked.iter().enumerate() {
                for &b in &ranked[x + 1..] {
                    let ((oa, ca), (ob, cb)) = (pts[a].unwrap(), pts[b].unwrap());
                    if ca > cb && oa < ob {
                        brute.push((a, b));
                    }
                }
            }
            prop_assert_eq!(got, brute);
            // Both models in the same order: no reversal.
            let agree: Vec<_> = pts.iter().map(|p| p.map(|(o, _)| (o, f64::from(o)))).collect();
            prop_assert!(reversals(&agree, top).is_empty());
        }

        #[test]
        fn agreeing_band_and_priority_are_never_an_inversion(level in 0usize..4, step in 0usize..2) {
            let bands = [Band::Critical, Band::High, Band::Medium, Band::Low];
            let prios = [Priority::P0, Priority::P1, Priority::P2, Priority::P3];
            // The same level, or a neighbour.
            let p = (level + step).min(3);
            prop_assert_eq!(inversion(bands[level], prios[p]), None);
            prop_assert_eq!(inversion(bands[p], prios[level]), None);
        }
    }
}
