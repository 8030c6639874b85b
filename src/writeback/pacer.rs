//! Pacing of write requests: a least interval between writes and windows
//! on content creations (GitHub's secondary limits), kept on a virtual clock
//! (real time plus every wait taken) so that recorded waits in tests are the
//! waits a real run would take.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::settings::WritebackSettings;

/// Paces write requests: at least `min_interval` apart, and content
/// creations under per-minute and per-hour windows. Time is real time plus
/// every wait taken, so a recording sleeper in tests sees the same waits
/// a real run would take.
pub(super) struct Pacer {
    min_interval: Duration,
    windows: Vec<(Duration, u32)>,
    last: Option<Instant>,
    creations: VecDeque<Instant>,
    pub(super) slept: Duration,
}

impl Pacer {
    /// A pacer that knows the creations earlier runs sent within the
    /// hour (`prior`, wall-clock times), so runs together stay under the
    /// per-hour window.
    pub(super) fn new(s: &WritebackSettings, prior: &[chrono::DateTime<chrono::Utc>]) -> Self {
        let (wall, mono) = (chrono::Utc::now(), Instant::now());
        let creations = prior
            .iter()
            .filter_map(|t| (wall - *t).to_std().ok())
            .filter_map(|ago| mono.checked_sub(ago))
            .collect();
        Pacer {
            min_interval: Duration::from_millis(s.min_interval_ms),
            windows: vec![
                (Duration::from_secs(60), s.creations_per_minute),
                (Duration::from_secs(3600), s.creations_per_hour),
            ],
            last: None,
            creations,
            slept: Duration::ZERO,
        }
    }

    fn now(&self) -> Instant {
        Instant::now() + self.slept
    }

    pub(super) fn wait_before(&self, creates: bool) -> Duration {
        let now = self.now();
        let mut wait = self
            .last
            .map(|l| (l + self.min_interval).saturating_duration_since(now))
            .unwrap_or_default();
        if creates {
            for (span, limit) in &self.windows {
                let limit = *limit as usize;
                let recent: Vec<&Instant> = self
                    .creations
                    .iter()
                    .filter(|t| now.saturating_duration_since(**t) < *span)
                    .collect();
                if recent.len() >= limit {
                    let oldest = recent[recent.len() - limit];
                    wait = wait.max((*oldest + *span).saturating_duration_since(now));
                }
            }
        }
        wait
    }

    pub(super) fn sent(&mut self, creates: bool) {
        let now = self.now();
        self.last = Some(now);
        if creates {
            self.creations.push_back(now);
            while self
                .creations
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) > Duration::from_secs(3600))
            {
                self.creations.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacer_spaces_writes_and_caps_creations() {
        let mut p = Pacer::new(
            &WritebackSettings {
                min_interval_ms: 1000,
                creations_per_minute: 2,
                ..WritebackSettings::default()
            },
            &[],
        );
        assert_eq!(p.wait_before(true), Duration::ZERO);
        p.sent(true);
        let w = p.wait_before(false);
        assert!(
            w > Duration::from_millis(900) && w <= Duration::from_secs(1),
            "{w:?}"
        );
        p.slept += w;
        p.sent(true);
        // Two creations in the last minute: the third waits for the first
        // to leave the window (about 59 s from now).
        let w = p.wait_before(true);
        assert!(
            w > Duration::from_secs(58) && w <= Duration::from_secs(60),
            "{w:?}"
        );
        // A non-creating write only waits for the interval.
        assert!(p.wait_before(false) <= Duration::from_secs(1));
    }
    /// Regression (shared limits): creations earlier runs sent within the
    /// hour count against this run's hourly window.
    #[test]
    fn the_hourly_window_spans_runs() {
        let s = WritebackSettings {
            min_interval_ms: 0,
            creations_per_hour: 3,
            ..WritebackSettings::default()
        };
        let now = chrono::Utc::now();
        let earlier = [
            now - chrono::Duration::minutes(50),
            now - chrono::Duration::minutes(30),
            now - chrono::Duration::minutes(10),
            // Over an hour ago: no longer counts.
            now - chrono::Duration::minutes(70),
        ];
        let p = Pacer::new(&s, &earlier);
        let wait = p.wait_before(true);
        // The oldest of the three within the hour leaves it in ~10 minutes.
        assert!(
            wait > Duration::from_secs(9 * 60) && wait <= Duration::from_secs(10 * 60 + 1),
            "{wait:?}"
        );
        assert_eq!(
            Pacer::new(&s, &earlier[..2]).wait_before(true),
            Duration::ZERO
        );
    }
}
