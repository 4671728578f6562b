//! The simulated server's data and how it moves with the clock: jobs are
//! created every job interval, advanced through their life cycle, turned
//! into catalog images, and dropped when too many are kept.
//!
//! Time only moves through [`State::advance_to`]. Nothing here reads the
//! real clock, which is left to `clock` and to the caller of
//! `Simulator::new`.

use std::collections::{BTreeMap, BTreeSet};

use time::{Duration, OffsetDateTime};

use crate::catalog::JobMix;
use crate::config::SimConfig;
use crate::image::Catalog;
use crate::job::Job;
use crate::timefmt::truncate_to_millis;
use crate::token::TokenStore;
use crate::vmserver::VmServerRegistry;

/// Everything the API reads and writes, behind the simulator's lock.
pub(crate) struct State {
    /// The simulator clock: the latest tick, in whole milliseconds.
    pub now: OffsetDateTime,
    pub jobs: BTreeMap<u64, Job>,
    pub catalog: Catalog,
    pub vm_servers: VmServerRegistry,
    pub tokens: TokenStore,
    /// Ids of jobs not yet DONE.
    unfinished: BTreeSet<u64>,
    /// Creation slot of the next job.
    next_slot: OffsetDateTime,
    next_job_id: u64,
    interval: Duration,
    phase: Duration,
    max_jobs: usize,
    mix: JobMix,
}

impl State {
    /// Builds the state at `start`, with `config.initial_jobs` finished jobs
    /// back-dated so that the last one ended at or before `start`.
    pub(crate) fn new(config: &SimConfig, start: OffsetDateTime) -> Self {
        let start = truncate_to_millis(start);
        let interval = to_time_duration(config.job_interval);
        let mut state = Self {
            now: start,
            jobs: BTreeMap::new(),
            catalog: Catalog::new(config.max_images),
            vm_servers: VmServerRegistry::default(),
            tokens: TokenStore::default(),
            unfinished: BTreeSet::new(),
            next_slot: start.saturating_add(interval),
            next_job_id: 1,
            interval,
            phase: to_time_duration(config.phase_duration),
            max_jobs: config.max_jobs,
            mix: JobMix::new(config.seed),
        };
        state.create_history(config.initial_jobs);
        state
    }

    /// Moves the clock to `now` and applies everything due by then. A time
    /// that is not at least one millisecond later than the clock is ignored,
    /// so time stamps only grow.
    pub(crate) fn advance_to(&mut self, now: OffsetDateTime) {
        let now = truncate_to_millis(now);
        if now <= self.now {
            return;
        }
        self.now = now;
        self.create_due_jobs(now);
        self.advance_unfinished(now);
        self.drop_oldest_jobs();
    }

    fn create_history(&mut self, count: usize) {
        let span = self.phase.saturating_mul(2);
        for index in 0..count {
            let back = self.interval.saturating_mul((count - 1 - index) as i32);
            let slot = self.now.saturating_sub(span).saturating_sub(back);
            let slot = truncate_to_millis(slot);
            let mut job = Job::queued(
                self.take_job_id(),
                self.mix.next_plan(),
                slot,
                self.phase,
                slot,
            );
            job.advance(slot.saturating_add(self.phase));
            let end = slot.saturating_add(span);
            job.advance(end);
            if job.made_image() {
                job.backup_id = self.catalog.record(&job, end);
            }
            self.jobs.insert(job.job_id, job);
        }
    }

    /// Creates a QUEUED job for every slot up to `now`. After a long pause
    /// only the last `max_jobs` slots get a job, because older ones would
    /// be dropped at once.
    fn create_due_jobs(&mut self, now: OffsetDateTime) {
        if self.next_slot > now {
            return;
        }
        let interval_nanos = self.interval.whole_nanoseconds().max(1);
        let due = (now - self.next_slot).whole_nanoseconds() / interval_nanos + 1;
        let skipped = due - self.max_jobs as i128;
        if skipped > 0 {
            let gap = i64::try_from(skipped * interval_nanos).unwrap_or(i64::MAX);
            self.next_slot = self.next_slot.saturating_add(Duration::nanoseconds(gap));
            tracing::debug!(skipped = %skipped, "skipped job slots after a long clock step");
        }
        while self.next_slot <= now {
            let job = Job::queued(
                self.take_job_id(),
                self.mix.next_plan(),
                self.next_slot,
                self.phase,
                now,
            );
            self.unfinished.insert(job.job_id);
            self.jobs.insert(job.job_id, job);
            self.next_slot = self.next_slot.saturating_add(self.interval);
        }
    }

    fn advance_unfinished(&mut self, now: OffsetDateTime) {
        let jobs = &mut self.jobs;
        let catalog = &mut self.catalog;
        self.unfinished.retain(|id| {
            let Some(job) = jobs.get_mut(id) else {
                return false;
            };
            if !job.advance(now) {
                return true;
            }
            if job.made_image() {
                job.backup_id = catalog.record(job, now);
            }
            false
        });
    }

    /// Drops the lowest job ids beyond `max_jobs`. Jobs run in id order, so
    /// these are the oldest. They are DONE, because `SimConfig::validate`
    /// keeps the number of running jobs within `max_jobs`.
    fn drop_oldest_jobs(&mut self) {
        while self.jobs.len() > self.max_jobs {
            let Some((id, _)) = self.jobs.pop_first() else {
                break;
            };
            self.unfinished.remove(&id);
        }
    }

    fn take_job_id(&mut self) -> u64 {
        let id = self.next_job_id;
        self.next_job_id += 1;
        id
    }
}

/// Converts a validated configuration period. Periods are at most a day,
/// so the saturating fallback is never taken.
fn to_time_duration(period: std::time::Duration) -> Duration {
    Duration::try_from(period).unwrap_or(Duration::MAX)
}
