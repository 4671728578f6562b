//! The simulator's configuration and its validation.
//!
//! Values come from the caller (the `nbwss sim` command line). This module
//! only checks ranges, so that a bad value fails before anything is served.

use std::time::Duration;

/// Minimum accepted `job_interval` and `phase_duration`: one millisecond,
/// the resolution of the API's time stamps.
pub const MIN_PERIOD: Duration = Duration::from_millis(1);

/// Maximum accepted `job_interval` and `phase_duration`: one day.
pub const MAX_PERIOD: Duration = Duration::from_secs(24 * 60 * 60);

/// Maximum accepted `max_jobs` and `max_images`.
pub const MAX_RETAINED: usize = 100_000;

/// Settings for a [`crate::Simulator`].
///
/// `Default` leaves the user name and password empty, which
/// [`crate::Simulator::new`] rejects, so callers set at least those.
#[derive(Clone)]
pub struct SimConfig {
    /// Time between two new jobs.
    pub job_interval: Duration,
    /// Time a job spends in QUEUED, and again in ACTIVE, before it is DONE.
    pub phase_duration: Duration,
    /// Seed for the job mix. The same seed and clock steps give the same jobs.
    pub seed: u64,
    /// User name accepted by `POST /netbackup/login`.
    pub username: String,
    /// Password accepted by `POST /netbackup/login`.
    pub password: String,
    /// API key accepted in the `Authorization` header. Empty disables API
    /// keys.
    pub api_key: String,
    /// Jobs created already DONE, back-dated before the start time.
    pub initial_jobs: usize,
    /// Maximum number of jobs kept. Beyond it the oldest jobs are dropped.
    pub max_jobs: usize,
    /// Maximum number of catalog images kept. Beyond it the oldest are
    /// dropped.
    pub max_images: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            job_interval: Duration::from_secs(10),
            phase_duration: Duration::from_secs(30),
            seed: 0,
            username: String::new(),
            password: String::new(),
            api_key: String::new(),
            initial_jobs: 0,
            max_jobs: 10_000,
            max_images: 10_000,
        }
    }
}

impl std::fmt::Debug for SimConfig {
    /// Shows every setting except the password and API key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("job_interval", &self.job_interval)
            .field("phase_duration", &self.phase_duration)
            .field("seed", &self.seed)
            .field("username", &self.username)
            .field("initial_jobs", &self.initial_jobs)
            .field("max_jobs", &self.max_jobs)
            .field("max_images", &self.max_images)
            .finish_non_exhaustive()
    }
}

/// A [`SimConfig`] value that the simulator cannot run with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A setting is outside its range. Change it to a value in `accepted`.
    #[error("{setting} {value} is out of range; accepted {accepted}")]
    OutOfRange {
        /// Name of the setting.
        setting: &'static str,
        /// The rejected value, as text.
        value: String,
        /// The accepted range.
        accepted: String,
    },
    /// A required credential is empty. Set it.
    #[error("{setting} is empty; set a non-empty value")]
    Empty {
        /// Name of the setting.
        setting: &'static str,
    },
}

impl SimConfig {
    /// Checks every setting and returns the first one out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_period("job_interval", self.job_interval)?;
        check_period("phase_duration", self.phase_duration)?;
        check_count("max_jobs", self.max_jobs, 1, MAX_RETAINED)?;
        check_count("max_images", self.max_images, 1, MAX_RETAINED)?;
        check_count("initial_jobs", self.initial_jobs, 0, self.max_jobs)?;
        self.check_running_jobs_fit()?;
        if self.username.is_empty() {
            return Err(ConfigError::Empty {
                setting: "username",
            });
        }
        if self.password.is_empty() {
            return Err(ConfigError::Empty {
                setting: "password",
            });
        }
        Ok(())
    }
}

impl SimConfig {
    /// Checks that the jobs running at one time (two phases' worth of job
    /// intervals, rounded up) fit in `max_jobs`, so running jobs are never
    /// dropped.
    fn check_running_jobs_fit(&self) -> Result<(), ConfigError> {
        let running = (2 * self.phase_duration.as_nanos()).div_ceil(self.job_interval.as_nanos());
        if running <= self.max_jobs as u128 {
            return Ok(());
        }
        let longest = self.job_interval * (self.max_jobs as u32) / 2;
        Err(ConfigError::OutOfRange {
            setting: "phase_duration",
            value: format!("'{:?}'", self.phase_duration),
            accepted: format!(
                "at most max_jobs * job_interval / 2 = {longest:?}, so running jobs fit in max_jobs"
            ),
        })
    }
}

fn check_period(setting: &'static str, value: Duration) -> Result<(), ConfigError> {
    if (MIN_PERIOD..=MAX_PERIOD).contains(&value) {
        return Ok(());
    }
    Err(ConfigError::OutOfRange {
        setting,
        value: format!("'{value:?}'"),
        accepted: "1ms to 24h".to_owned(),
    })
}

fn check_count(
    setting: &'static str,
    value: usize,
    min: usize,
    max: usize,
) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        return Ok(());
    }
    Err(ConfigError::OutOfRange {
        setting,
        value: format!("'{value}'"),
        accepted: format!("{min} to {max}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> SimConfig {
        SimConfig {
            username: "admin".to_owned(),
            password: "secret".to_owned(),
            ..SimConfig::default()
        }
    }

    /// Defaults plus credentials pass validation.
    #[test]
    fn accepts_defaults_with_credentials() {
        assert!(valid().validate().is_ok());
    }

    /// A zero job interval is rejected with the setting named.
    #[test]
    fn rejects_zero_job_interval() {
        let config = SimConfig {
            job_interval: Duration::ZERO,
            ..valid()
        };
        let message = config.validate().expect_err("zero interval").to_string();
        assert!(message.starts_with("job_interval '0ns' is out of range"));
    }

    /// More initial jobs than retained jobs is rejected.
    #[test]
    fn rejects_initial_jobs_above_max_jobs() {
        let config = SimConfig {
            initial_jobs: 11,
            max_jobs: 10,
            ..valid()
        };
        let message = config.validate().expect_err("too many").to_string();
        assert_eq!(
            message,
            "initial_jobs '11' is out of range; accepted 0 to 10"
        );
    }

    /// An empty password is rejected.
    #[test]
    fn rejects_empty_password() {
        let config = SimConfig {
            password: String::new(),
            ..valid()
        };
        let message = config.validate().expect_err("empty").to_string();
        assert_eq!(message, "password is empty; set a non-empty value");
    }

    /// A phase too long for the retained jobs is rejected.
    #[test]
    fn rejects_phase_longer_than_retention() {
        let config = SimConfig {
            job_interval: Duration::from_secs(1),
            phase_duration: Duration::from_secs(60),
            max_jobs: 100,
            ..valid()
        };
        let message = config.validate().expect_err("too long").to_string();
        assert!(
            message.starts_with("phase_duration '60s' is out of range"),
            "{message}"
        );
    }

    /// Debug output leaves out the password and API key.
    #[test]
    fn debug_hides_secrets() {
        let config = SimConfig {
            api_key: "key-123".to_owned(),
            ..valid()
        };
        let text = format!("{config:?}");
        assert!(!text.contains("secret"), "password shown: {text}");
        assert!(!text.contains("key-123"), "api key shown: {text}");
    }
}
