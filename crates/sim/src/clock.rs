//! Drives the simulator clock from real time while serving.
//!
//! Real time is measured with a monotonic clock from the moment the driver
//! starts, so changes to the system clock never move simulated time
//! backwards or make it jump. Tests leave the driver out and step the clock
//! themselves.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

use crate::Simulator;

/// How often the driver advances the clock: four times a second, often
/// enough for percent-complete updates to look smooth.
pub const CLOCK_PERIOD: Duration = Duration::from_millis(250);

impl Simulator {
    /// Advances the simulator clock every [`CLOCK_PERIOD`] to the simulator's
    /// start time plus the real time elapsed, until `shutdown` completes.
    pub async fn run_clock(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        let base = self.now();
        let started = Instant::now();
        let mut ticks = tokio::time::interval(CLOCK_PERIOD);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = ticks.tick() => {
                    let elapsed = time::Duration::try_from(started.elapsed())
                        .unwrap_or(time::Duration::MAX);
                    self.advance_to(base.saturating_add(elapsed));
                }
            }
        }
        tracing::debug!("simulator clock stopped");
    }
}
