//! `[scoring]`: the SLO, the priority thresholds, the ordinal bands, the
//! level tables and the blend's rules, validated into [`ScoringSettings`].

use serde::{Deserialize, Serialize};

/// The `[scoring]` section.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScoringSettings {
    /// SLO for risks without one: a fraction (0.999) or a percentage (99.9).
    pub slo: f64,
    /// Weight (at least 1) on the bad minutes of risks affecting at least
    /// 90 % of users: the only way to weight rare full outages up. Shown in
    /// the breakdown as `outage_multiplier_applied`.
    pub outage_multiplier: f64,
    /// Budget share from which a risk is P0.
    pub p0: f64,
    /// Budget share from which a risk is P1.
    pub p1: f64,
    /// Budget share from which a risk is P2 (below it: P3).
    pub p2: f64,
    /// Ordinal score from which the band is `medium` (below it: `low`).
    pub band_medium: u32,
    /// Ordinal score from which the band is `high`.
    pub band_high: u32,
    /// Ordinal score from which the band is `critical`.
    pub band_critical: u32,
    /// Minutes (time to detect + time to repair) assumed for impact levels
    /// 1–5 when neither time is given; increasing.
    pub impact_minutes: [f64; 5],
    /// Users affected (%) assumed for scope levels 1–5 when not given;
    /// increasing, at most 100.
    pub scope_users_pct: [f64; 5],
    /// Occurrences per year assumed for likelihood levels 1–5 when neither
    /// occurrences nor days between failures are given; increasing.
    pub likelihood_per_year: [f64; 5],
    /// The stated rate (occurrences a year) up to which every occurrence is
    /// expected to produce an incident ticket, so linked incidents may lower
    /// the rate as well as raise it; above it tickets are a lower bound and
    /// can only raise it.
    pub blend_max_rate: f64,
    /// How many risks, by expected cost, `recur report registry` checks for
    /// reversals (pairs the ordinal ranks the other way round).
    pub reversal_top: usize,
}

impl Default for ScoringSettings {
    fn default() -> Self {
        ScoringSettings {
            slo: 0.999,
            outage_multiplier: 1.0,
            p0: 1.0,
            p1: 0.25,
            p2: 0.05,
            band_medium: 8,
            band_high: 27,
            band_critical: 64,
            impact_minutes: [3.0, 15.0, 60.0, 240.0, 960.0],
            scope_users_pct: [0.5, 5.0, 17.0, 50.0, 90.0],
            likelihood_per_year: [0.1, 0.5, 2.0, 8.0, 52.0],
            blend_max_rate: 12.0,
            reversal_top: 10,
        }
    }
}

impl ScoringSettings {
    /// Checks every value; the error names the key (`scoring.…`).
    pub fn validate(&self) -> Result<(), String> {
        if slo_fraction(self.slo).is_none() {
            return Err(format!(
                "scoring.slo must be a fraction below 1 (0.999) or a percentage below 100 (99.9), got {}",
                self.slo
            ));
        }
        if !(self.outage_multiplier.is_finite() && self.outage_multiplier >= 1.0) {
            return Err(format!(
                "scoring.outage_multiplier must be at least 1, got {}",
                self.outage_multiplier
            ));
        }
        for (key, v) in [("p0", self.p0), ("p1", self.p1), ("p2", self.p2)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!(
                    "scoring.{key} must be a positive budget share, got {v}"
                ));
            }
        }
        if !(self.p0 > self.p1 && self.p1 > self.p2) {
            return Err(format!(
                "scoring.p0 > scoring.p1 > scoring.p2 must hold, got {} / {} / {}",
                self.p0, self.p1, self.p2
            ));
        }
        if !(1 < self.band_medium
            && self.band_medium < self.band_high
            && self.band_high < self.band_critical
            && self.band_critical <= 125)
        {
            return Err(format!(
                "scoring.band_medium < scoring.band_high < scoring.band_critical must hold within 2–125, got {} / {} / {}",
                self.band_medium, self.band_high, self.band_critical
            ));
        }
        for (key, table) in [
            ("impact_minutes", &self.impact_minutes),
            ("scope_users_pct", &self.scope_users_pct),
            ("likelihood_per_year", &self.likelihood_per_year),
        ] {
            let positive = table.iter().all(|v| v.is_finite() && *v > 0.0);
            let increasing = table.windows(2).all(|w| w[0] < w[1]);
            if !(positive && increasing) {
                return Err(format!(
                    "scoring.{key} must be five positive, increasing numbers, got {table:?}"
                ));
            }
        }
        if !(self.blend_max_rate.is_finite() && self.blend_max_rate >= 0.0) {
            return Err(format!(
                "scoring.blend_max_rate must be a non-negative number of occurrences a year, got {}",
                self.blend_max_rate
            ));
        }
        if self.reversal_top < 2 {
            return Err(format!(
                "scoring.reversal_top must be at least 2 (pairs among the top risks), got {}",
                self.reversal_top
            ));
        }
        if self.scope_users_pct[4] > 100.0 {
            return Err(format!(
                "scoring.scope_users_pct are percentages, at most 100, got {:?}",
                self.scope_users_pct
            ));
        }
        Ok(())
    }

    /// The default SLO as a fraction.
    pub fn default_slo(&self) -> f64 {
        slo_fraction(self.slo).unwrap_or(0.999)
    }
}

/// An SLO as a fraction: a fraction in (0, 1) as is, a percentage in
/// [1, 100) divided by 100; anything else is unusable.
pub fn slo_fraction(v: f64) -> Option<f64> {
    if !v.is_finite() {
        None
    } else if v > 0.0 && v < 1.0 {
        Some(v)
    } else if (1.0..100.0).contains(&v) {
        Some(v / 100.0)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_key() {
        assert_eq!(ScoringSettings::default().validate(), Ok(()));
        let err = ScoringSettings {
            outage_multiplier: 0.5,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.contains("scoring.outage_multiplier"), "{err}");
        for (bad, key) in [
            (
                ScoringSettings {
                    slo: 1.0 - 1.0,
                    ..Default::default()
                },
                "scoring.slo",
            ),
            (
                ScoringSettings {
                    p1: 2.0,
                    ..Default::default()
                },
                "scoring.p0",
            ),
            (
                ScoringSettings {
                    band_high: 100,
                    band_critical: 90,
                    ..Default::default()
                },
                "scoring.band_",
            ),
            (
                ScoringSettings {
                    likelihood_per_year: [1.0, 0.5, 2.0, 8.0, 52.0],
                    ..Default::default()
                },
                "scoring.likelihood_per_year",
            ),
            (
                ScoringSettings {
                    scope_users_pct: [1.0, 5.0, 17.0, 50.0, 190.0],
                    ..Default::default()
                },
                "scoring.scope_users_pct",
            ),
        ] {
            let err = bad.validate().unwrap_err();
            assert!(err.contains(key), "{err}");
        }
    }

    #[test]
    fn settings_read_from_toml_with_defaults_and_reject_unknown_keys() {
        let read = |text: &str| {
            config::Config::builder()
                .add_source(config::File::from_str(text, config::FileFormat::Toml))
                .build()
                .and_then(|c| c.try_deserialize::<ScoringSettings>())
        };
        let s =
            read("slo = 99.5\noutage_multiplier = 2\nimpact_minutes = [1, 2, 3, 4, 5]\n").unwrap();
        assert_eq!(s.slo, 99.5);
        assert_eq!(s.outage_multiplier, 2.0);
        assert_eq!(s.impact_minutes, [1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.p1, 0.25);
        assert!((s.default_slo() - 0.995).abs() < 1e-12);
        let err = read("outage_multiplyer = 2\n").unwrap_err().to_string();
        assert!(err.contains("outage_multiplyer"), "{err}");
    }
}
