//! Exponential backoff with full jitter.
//!
//! After the n-th failure in a row (counting from 0) the delay is drawn
//! uniformly from `[0, min(cap, initial * 2^n)]`, with a floor of
//! [`MIN_DELAY`] so a run of short draws cannot spin. `initial` is
//! `connection.retryDelay` and `cap` is `connectionInfo.period`.

use std::time::Duration;

use rand::Rng;

/// The shortest delay ever returned.
pub const MIN_DELAY: Duration = Duration::from_millis(100);

/// Backoff state for one group.
#[derive(Clone, Debug)]
pub struct Backoff {
    initial: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    /// A backoff starting at `initial` and capped at `cap`.
    pub fn new(initial: Duration, cap: Duration) -> Backoff {
        Backoff {
            initial,
            cap: cap.max(initial),
            failures: 0,
        }
    }

    /// The upper bound of the next draw.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.cap)
    }

    /// Draws the next delay and counts one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        let drawn = Duration::from_millis(rand::rng().random_range(0..=millis));
        drawn.max(MIN_DELAY)
    }

    /// Takes new bounds from a reloaded configuration, keeping the count.
    pub fn reconfigure(&mut self, initial: Duration, cap: Duration) {
        self.initial = initial;
        self.cap = cap.max(initial);
    }

    /// Failures counted since the last reset.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Forgets past failures, after a connection succeeded.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ceiling doubles from the initial delay up to the cap.
    #[test]
    fn ceiling_doubles_up_to_cap() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let mut ceilings = Vec::new();
        for _ in 0..8 {
            ceilings.push(backoff.ceiling().as_secs());
            backoff.next_delay();
        }
        assert_eq!(ceilings, vec![1, 2, 4, 8, 16, 32, 60, 60]);
    }

    /// Every draw stays within the floor and the ceiling.
    #[test]
    fn draws_stay_in_range() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        for _ in 0..200 {
            let ceiling = backoff.ceiling();
            let delay = backoff.next_delay();
            assert!(delay >= MIN_DELAY);
            assert!(delay <= ceiling.max(MIN_DELAY));
        }
    }

    /// A huge failure count saturates instead of overflowing.
    #[test]
    fn saturates_after_many_failures() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(86_400));
        for _ in 0..100 {
            backoff.next_delay();
        }
        assert_eq!(backoff.ceiling(), Duration::from_secs(86_400));
    }
}
