//! The [`Simulator`]: shared state behind one lock, its clock, and the
//! router that serves it.
//!
//! The simulator clock moves only when [`Simulator::advance_to`] or
//! [`Simulator::advance_by`] is called, so tests step jobs through their
//! life cycle without sleeping. `Simulator::run_clock` calls `advance_to`
//! from real time, and TLS serving is in `server`.

use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;

use crate::config::{ConfigError, SimConfig};
use crate::state::State;

/// A simulated NetBackup primary server: jobs, catalog images, VM servers
/// and login tokens.
pub struct Simulator {
    config: SimConfig,
    state: Mutex<State>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Creates a simulator whose clock starts at the current UTC time.
    ///
    /// # Errors
    ///
    /// Returns the first setting of `config` that is out of range.
    pub fn new(config: SimConfig) -> Result<Self, ConfigError> {
        Self::with_start(config, OffsetDateTime::now_utc())
    }

    /// Creates a simulator whose clock starts at `start`.
    ///
    /// # Errors
    ///
    /// Returns the first setting of `config` that is out of range.
    pub fn with_start(config: SimConfig, start: OffsetDateTime) -> Result<Self, ConfigError> {
        config.validate()?;
        let state = State::new(&config, start);
        Ok(Self {
            config,
            state: Mutex::new(state),
        })
    }

    /// Returns the simulator clock: the time of the latest step, in whole
    /// milliseconds.
    pub fn now(&self) -> OffsetDateTime {
        self.state().now
    }

    /// Moves the clock to `now`, creating the jobs due by then and moving
    /// every job through the states due by then. Each change is stamped
    /// with `now`. A time not at least one millisecond past the clock is
    /// ignored, so `lastUpdateTime` values only grow.
    pub fn advance_to(&self, now: OffsetDateTime) {
        self.state().advance_to(now);
    }

    /// Moves the clock forward by `step` and returns the new time.
    pub fn advance_by(&self, step: std::time::Duration) -> OffsetDateTime {
        let mut state = self.state();
        let step = time::Duration::try_from(step).unwrap_or(time::Duration::MAX);
        let target = state.now.saturating_add(step);
        state.advance_to(target);
        state.now
    }

    /// Returns the HTTP API as an axum router, for serving over plain HTTP
    /// in tests or behind a caller's own TLS.
    pub fn router(self: Arc<Self>) -> axum::Router {
        crate::api::router(self)
    }

    /// Returns the configuration the simulator was built with.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Locks the state. A poisoned lock is used as is: a panic during an
    /// update may leave one job half-advanced, which a simulator tolerates
    /// better than refusing every later request.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
