//! Hourly request budgets (GitHub's "primary rate limit" model): a limit per
//! window, points spent, and a reset at the window's end in epoch seconds.
//! Windows start when the server starts and roll over every hour.

/// What a client is told about a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateSnapshot {
    pub limit: i64,
    pub remaining: i64,
    pub used: i64,
    /// Epoch seconds of the window's end.
    pub reset: i64,
}

const WINDOW_SECS: i64 = 3600;

#[derive(Debug)]
pub(crate) struct Budget {
    limit: i64,
    used: i64,
    reset: i64,
    /// Points spent since the last [`Budget::reset_spent`], across windows.
    spent: i64,
}

impl Budget {
    pub(crate) fn new(limit: i64, start_epoch: i64) -> Self {
        Budget {
            limit: limit.max(0),
            used: 0,
            reset: start_epoch + WINDOW_SECS,
            spent: 0,
        }
    }

    fn roll(&mut self, now: i64) {
        if now >= self.reset {
            let windows = (now - self.reset) / WINDOW_SECS + 1;
            self.reset += windows * WINDOW_SECS;
            self.used = 0;
        }
    }

    fn snapshot(&self) -> RateSnapshot {
        RateSnapshot {
            limit: self.limit,
            remaining: (self.limit - self.used).max(0),
            used: self.used,
            reset: self.reset,
        }
    }

    pub(crate) fn peek(&mut self, now: i64) -> RateSnapshot {
        self.roll(now);
        self.snapshot()
    }

    /// Spends one point; `Err` (nothing spent) when the budget is used up.
    pub(crate) fn try_spend(&mut self, now: i64) -> Result<RateSnapshot, RateSnapshot> {
        self.roll(now);
        if self.used >= self.limit {
            return Err(self.snapshot());
        }
        self.used += 1;
        self.spent += 1;
        Ok(self.snapshot())
    }

    /// Gives back a point spent by [`Budget::try_spend`] (an authorised
    /// 304 does not count).
    pub(crate) fn refund(&mut self) -> RateSnapshot {
        self.used = (self.used - 1).max(0);
        self.spent -= 1;
        self.snapshot()
    }

    pub(crate) fn set_remaining(&mut self, now: i64, remaining: i64) {
        self.roll(now);
        self.used = (self.limit - remaining).clamp(0, self.limit);
    }

    pub(crate) fn spent(&self) -> i64 {
        self.spent
    }

    pub(crate) fn reset_spent(&mut self) {
        self.spent = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spends_until_exhausted_then_rolls_over() {
        let mut b = Budget::new(2, 1_000);
        assert_eq!(b.try_spend(1_000).map(|s| s.remaining), Ok(1));
        assert_eq!(b.try_spend(1_001).map(|s| s.remaining), Ok(0));
        let err = b.try_spend(1_002).unwrap_err();
        assert_eq!((err.remaining, err.used, err.reset), (0, 2, 4_600));
        // Next window: a fresh budget and the reset one hour later.
        let s = b.try_spend(4_600).unwrap();
        assert_eq!((s.remaining, s.reset), (1, 8_200));
        assert_eq!(b.spent(), 3);
        assert_eq!(b.refund().remaining, 2);
        b.set_remaining(4_601, 0);
        assert!(b.try_spend(4_601).is_err());
    }
}
