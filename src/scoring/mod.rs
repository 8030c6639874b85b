//! Risk scoring: two models side by side, their rank inversions, and the
//! `recur score` run that historises them in `score_history`.
//!
//! The models are pure functions (property-tested below); [`score`] reads
//! the risks through `queries/risk/score_inputs.sql`, scores them here and
//! writes one run in one transaction. [`registry`] and [`movement`] run the
//! report queries of `queries/risk/`.
//!
//! # Ordinal model
//!
//! `ordinal = impact × scope × likelihood`, each a level 1–5, so 1–125.
//! Bands (defaults, `[scoring] band_*`) are the cubes of a uniform level,
//! i.e. the geometric mean of the three levels:
//!
//! | ordinal | band | geometric mean of the levels |
//! |---|---|---|
//! | 1–7 | low | below 2 |
//! | 8–26 (`band_medium` = 8 = 2³) | medium | 2 to below 3 |
//! | 27–63 (`band_high` = 27 = 3³) | high | 3 to below 4 |
//! | 64–125 (`band_critical` = 64 = 4³) | critical | 4 or more |
//!
//! Impact 5 is always at least `high` (the FMEA action-priority floor).
//!
//! # Expected-cost model (Google CRE risk analysis)
//!
//! - `f0` = Occurrences per year, else 365.25 / Days between failures.
//! - With at least one linked incident: `k` = linked incidents that started
//!   between the risk's creation and the run, `T` = that span in years
//!   (at least 0.25), and the blend `(k + f0) / (T + 1)` (the stated rate
//!   as a one-year prior). With no linked incident `per_year = f0`
//!   (`rate_rule` `stated`).
//! - The blend treats incident tickets as a count of occurrences. That is
//!   true only for risks whose every occurrence makes a ticket: an outage
//!   a few times a year does; a daily degradation does not (nobody files
//!   365 tickets a year for a slowdown — its tickets are a lower bound).
//!   So the blend may lower a stated rate only up to `[scoring]
//!   blend_max_rate` (12 a year, about monthly): with `f0 ≤ blend_max_rate`
//!   `per_year` is the blend (`blended`: an over-stated rare risk with no
//!   incident for three years comes down); above it `per_year = max(f0,
//!   blend)` (`at_least_stated`: tickets can raise a chronic risk's rate,
//!   never lower it). Three tickets linked to a daily degradation leave it
//!   at 365 a year, above a quarterly outage, as the risk-registry practice
//!   says it should be.
//! - `bad_minutes_per_year = per_year × (ttd + ttr) × users_pct / 100`,
//!   times `[scoring] outage_multiplier` when `users_pct ≥ 90`.
//! - `budget_minutes = (1 − slo) × 525960`, the risk's SLO else `[scoring]
//!   slo`; `budget_share = bad_minutes_per_year / budget_minutes`.
//! - Priority: share ≥ `p0` (1) → P0, ≥ `p1` (0.25) → P1, ≥ `p2` (0.05) → P2,
//!   else P3.
//!
//! # Deriving missing inputs
//!
//! A missing number comes from its level (and the score is `estimated`):
//!
//! | level | 1 | 2 | 3 | 4 | 5 |
//! |---|---|---|---|---|---|
//! | impact → minutes (TTD + TTR) | 3 | 15 | 60 | 240 | 960 |
//! | scope → users % | 0.5 | 5 | 17 | 50 | 90 |
//! | likelihood → per year | 0.1 | 0.5 | 2 | 8 | 52 |
//!
//! The minutes are derived only when neither TTD nor TTR is given; with one
//! of them given the other counts as 0 (the team's number is kept).
//!
//! A missing level comes from its number by the nearest table entry on a
//! log scale: the cut-offs are the geometric means of neighbouring entries,
//! and a value on a cut-off takes the higher level.
//!
//! | level | 1 | 2 | 3 | 4 | 5 |
//! |---|---|---|---|---|---|
//! | impact: minutes | < 6.71 | < 30 | < 120 | < 480 | ≥ 480 |
//! | scope: users % | < 1.58 | < 9.22 | < 29.15 | < 67.08 | ≥ 67.08 |
//! | likelihood: per year (`f0`) | < 0.224 | < 1 | < 4 | < 20.4 | ≥ 20.4 |
//!
//! Values recur cannot use are treated as missing: levels outside 1–5,
//! negative times, users outside 0–100, non-positive days between failures,
//! an SLO that is neither a fraction in (0, 1) nor a percentage in [1, 100).
//!
//! # Where the two models disagree
//!
//! Two different questions, kept apart:
//!
//! - **Inversion** (per risk, `inversion` with `inversion_reason`): the
//!   matrix misjudges the risk badly — its ordinal band and its
//!   expected-cost priority two or more levels apart on the scale critical
//!   ↔ P0, high ↔ P1, medium ↔ P2, low ↔ P3 (band low with P0 or P1, band
//!   critical with P3, …), "matrix understates" or "overstates". One level
//!   apart is the ordinary noise of comparing a cube of levels with a
//!   share of a budget and flags nothing. (The earlier flag — any other
//!   risk ranked the other way — held for nearly every risk of a realistic
//!   registry and said nothing; it was also O(n²).)
//! - **Reversals** (pairs, `score_reversals`, the `reversals` section of
//!   `recur report registry`): among the top `[scoring] reversal_top` (10)
//!   active risks by expected cost, every pair the ordinal ranks the other
//!   way round: A costs more bad minutes a year though its ordinal score is
//!   lower. This is the contrast the review is about ("a daily degradation
//!   outranks a rare outage"), among the risks a review discusses.
//!   `inversions` in `score_history` counts the reversals a risk is in.
//!
//! Inactive risks and risks lacking either score take part in neither.

mod model;
mod run;

pub use crate::settings::{slo_fraction, ScoringSettings};
pub use model::*;
pub use run::{backfill, score, score_now, ScoreSummary, BACKFILL_MONTHS};
