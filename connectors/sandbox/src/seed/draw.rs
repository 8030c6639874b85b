//! Drawing values and spelling them as people do: picks, dates and
//! timestamps in several formats, percentages and levels, owners, when an
//! action item closes, a risk's numbers, and a huge pasted log.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::Rng;

use super::{NO, PEOPLE};

/// FNV-1a: a hash that is the same on every platform and Rust version.
pub(super) fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(super) fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

pub(super) fn date(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

pub(super) fn timestamp_text(rng: &mut StdRng, ts: i64) -> String {
    let Some(d) = DateTime::<Utc>::from_timestamp(ts - ts % 60, 0) else {
        return NO.to_string();
    };
    match rng.random_range(0..3) {
        0 => d.format("%Y-%m-%d %H:%M UTC").to_string(),
        1 => d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        _ => (d + chrono::Duration::hours(1))
            .format("%Y-%m-%dT%H:%M:%S+01:00")
            .to_string(),
    }
}

pub(super) fn percent_text(rng: &mut StdRng, v: u32) -> String {
    match rng.random_range(0..3) {
        0 => format!("{v}"),
        1 => format!("{v}%"),
        _ => format!("{v} %"),
    }
}

pub(super) fn level_text(rng: &mut StdRng, v: u32) -> String {
    let word = ["very low", "low", "medium", "high", "very high"][(v.clamp(1, 5) - 1) as usize];
    match rng.random_range(0..4) {
        0 | 1 => format!("{v}"),
        2 => format!("{v} - {}", capitalise(word)),
        _ => word.to_string(),
    }
}

/// When an action item created at `created` and due at `due` was closed,
/// if it was by `anchor` (all in the same unit, `day` long days): teams
/// close most items around their due date, some a little late; one in
/// twenty slips past it and stays open (overdue); of the items not yet
/// due, a quarter are done early. So a review sees a believable share of
/// overdue work (a fifth to two fifths of the open items), not nearly all.
pub(crate) fn action_close_time(
    rng: &mut StdRng,
    created: i64,
    due: i64,
    anchor: i64,
    day: i64,
) -> Option<i64> {
    let due = due.max(created + day);
    if due <= anchor {
        if !rng.random_bool(0.95) {
            return None;
        }
        let span = (due - created) as f64;
        let at = created + (span * rng.random_range(0.55..1.25)) as i64;
        Some(at.min(anchor).max(created + 60))
    } else {
        if !rng.random_bool(0.25) {
            return None;
        }
        let span = (anchor - created).max(day) as f64;
        Some((created + (span * rng.random_range(0.3..1.0)) as i64).min(anchor))
    }
}

/// The numbers of a generated risk, drawn so a registry looks like a real
/// one: most risks minor (a few users, minutes, a few times a year), some
/// chronic (frequent and small), a quarter major, a few severe; the levels
/// a team would give them (the scoring tables' level of each number, one
/// level off now and then). Most risks are P3, a few P0, the median well
/// under a quarter of its budget, and the matrix and the expected cost
/// rarely two levels apart.
pub(crate) struct RiskNumbers {
    pub impact: u32,
    pub scope: u32,
    pub likelihood: u32,
    pub ttd: u32,
    pub ttr: u32,
    pub users_pct: u32,
    pub per_year: u32,
    pub slo: &'static str,
}

impl RiskNumbers {
    pub(crate) fn draw(rng: &mut StdRng) -> RiskNumbers {
        fn weighted(rng: &mut StdRng, pairs: &[(u32, u32)]) -> u32 {
            let total: u32 = pairs.iter().map(|(_, w)| w).sum();
            let mut r = rng.random_range(0..total);
            for (v, w) in pairs {
                if r < *w {
                    return *v;
                }
                r -= w;
            }
            pairs[pairs.len() - 1].0
        }
        let (per_year, users, ttd, ttr) = match rng.random_range(0..100) {
            // Minor.
            0..=54 => (
                weighted(rng, &[(1, 35), (2, 40), (4, 25)]),
                weighted(rng, &[(1, 30), (2, 35), (5, 35)]),
                weighted(rng, &[(2, 20), (5, 40), (10, 40)]),
                weighted(rng, &[(8, 30), (15, 40), (30, 30)]),
            ),
            // Chronic: frequent, small.
            55..=69 => (
                weighted(rng, &[(12, 45), (24, 30), (52, 25)]),
                weighted(rng, &[(1, 50), (2, 50)]),
                weighted(rng, &[(2, 50), (5, 50)]),
                weighted(rng, &[(8, 50), (15, 50)]),
            ),
            // Major.
            70..=95 => (
                weighted(rng, &[(1, 40), (2, 45), (4, 15)]),
                weighted(rng, &[(20, 50), (30, 30), (50, 20)]),
                weighted(rng, &[(10, 40), (15, 30), (30, 30)]),
                weighted(rng, &[(45, 30), (60, 40), (90, 30)]),
            ),
            // Severe: rare, wide, long.
            _ => (
                weighted(rng, &[(1, 60), (2, 40)]),
                weighted(rng, &[(50, 40), (100, 60)]),
                weighted(rng, &[(15, 40), (30, 40), (60, 20)]),
                weighted(rng, &[(120, 50), (240, 40), (480, 10)]),
            ),
        };
        // The level of a number: the nearest entry of recur's default
        // tables on a log scale (cut-offs at geometric means).
        fn level(v: f64, table: [f64; 5]) -> u32 {
            1 + table
                .windows(2)
                .filter(|w| v >= (w[0] * w[1]).sqrt())
                .count() as u32
        }
        let mut nudge = |l: u32| {
            if rng.random_bool(0.15) {
                if rng.random_bool(0.5) {
                    (l + 1).min(5)
                } else {
                    l.saturating_sub(1).max(1)
                }
            } else {
                l
            }
        };
        let impact = nudge(level(f64::from(ttd + ttr), [3.0, 15.0, 60.0, 240.0, 960.0]));
        let scope = nudge(level(f64::from(users), [0.5, 5.0, 17.0, 50.0, 90.0]));
        let likelihood = nudge(level(f64::from(per_year), [0.1, 0.5, 2.0, 8.0, 52.0]));
        let slo = pick(
            rng,
            &[
                "99.9", "99.9%", "0.999", "99.9 %", "99.5", "99.95 %", "99.9", "99.5%",
            ],
        );
        RiskNumbers {
            impact,
            scope,
            likelihood,
            ttd,
            ttr,
            users_pct: users,
            per_year,
            slo,
        }
    }
}

pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(super) fn owner_text(rng: &mut StdRng) -> String {
    let who = pick(rng, &PEOPLE);
    match rng.random_range(0..10) {
        0 => NO.to_string(),
        1..=6 => format!("@{who}"),
        7 => format!("@{who}, @{}", pick(rng, &PEOPLE)),
        _ => who.to_string(),
    }
}

/// A pasted log of at least `bytes` bytes inside a code fence.
pub(crate) fn big_log(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 256);
    s.push_str("Log excerpt from the flood:\n\n```text\n");
    let mut i = 0u64;
    while s.len() < bytes {
        let _ = writeln!(
            s,
            "2025-01-0{}T03:{:02}:{:02}Z WARN checkout-worker request_id={:016x} retry=3 latency_ms={}",
            1 + i % 9,
            (i / 60) % 60,
            i % 60,
            i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            100 + i % 900
        );
        i += 1;
    }
    s.push_str("```");
    s
}
