//! A per-event-kind log rate limiter: the first event of a kind is logged,
//! then at most one per interval, each carrying how many were suppressed.

use std::time::{Duration, Instant};

/// Rate limit state for one kind of event.
#[derive(Debug)]
pub struct LogLimiter {
    interval: Duration,
    last: Option<Instant>,
    suppressed: u64,
}

impl LogLimiter {
    /// A limiter allowing one event per `interval`.
    pub fn new(interval: Duration) -> LogLimiter {
        LogLimiter {
            interval,
            last: None,
            suppressed: 0,
        }
    }

    /// Returns `Some(suppressed)` when this event should be logged, with the
    /// number of events skipped since the last one logged.
    pub fn allow(&mut self) -> Option<u64> {
        let now = Instant::now();
        match self.last {
            Some(last) if now.duration_since(last) < self.interval => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }

    /// Starts over, so the next event is logged.
    pub fn reset(&mut self) {
        self.last = None;
        self.suppressed = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first event passes and the rest within the interval are counted.
    #[test]
    fn counts_suppressed_events() {
        let mut limiter = LogLimiter::new(Duration::from_secs(3600));
        assert_eq!(limiter.allow(), Some(0));
        assert_eq!(limiter.allow(), None);
        assert_eq!(limiter.allow(), None);
        limiter.reset();
        assert_eq!(limiter.allow(), Some(0));
    }
}
