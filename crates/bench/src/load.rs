//! The closed-loop load generator: a fixed number of workers, each sending
//! its next request as soon as the previous one returns, until a request
//! count or a time cap is reached.
//!
//! With `concurrency` workers there are always `concurrency` requests in
//! flight, which is what the tables call the in-flight level. What one
//! request does is left to the caller's operation.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::machine;
use crate::plan::RUN_TIME_CAP;
use crate::stats::Latency;

/// The outcome of one run, or of several runs merged.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// Latency of the successful requests.
    pub latency: Latency,
    /// Time of each successful request, unsorted.
    samples: Vec<Duration>,
    /// Requests that failed.
    pub errors: usize,
    /// The first failure, to show in the report.
    pub first_error: Option<String>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// CPU time the whole process used during the run, when known.
    pub cpu: Option<Duration>,
}

impl RunOutcome {
    /// Successful requests per second of wall time.
    pub fn per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.latency.count as f64 / seconds
        } else {
            0.0
        }
    }

    /// Adds the requests, time and failures of `other` to this outcome.
    pub fn merge(&mut self, other: RunOutcome) {
        let empty = self.samples.is_empty() && self.errors == 0 && self.elapsed.is_zero();
        self.cpu = if empty {
            other.cpu
        } else {
            self.cpu.zip(other.cpu).map(|(mine, theirs)| mine + theirs)
        };
        self.samples.extend(other.samples);
        self.latency = Latency::from_samples(self.samples.clone());
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.elapsed += other.elapsed;
    }

    /// CPU time of the whole process per successful request.
    pub fn cpu_per_request(&self) -> Option<Duration> {
        let count = u32::try_from(self.latency.count).ok().filter(|&n| n > 0)?;
        self.cpu.map(|cpu| cpu / count)
    }
}

/// Samples and failures of one worker.
#[derive(Default)]
struct WorkerTally {
    samples: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

/// Runs `total` calls of `operation` with `concurrency` workers, stopping
/// early when [`RUN_TIME_CAP`] has passed.
pub async fn run<F, Fut>(total: usize, concurrency: usize, operation: F) -> RunOutcome
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let operation = Arc::new(operation);
    let issued = Arc::new(AtomicUsize::new(0));
    let cpu_before = machine::own_cpu_time();
    let started = Instant::now();
    let deadline = started + RUN_TIME_CAP;
    let workers: Vec<_> = (0..concurrency.clamp(1, total.max(1)))
        .map(|_| {
            let operation = Arc::clone(&operation);
            let issued = Arc::clone(&issued);
            tokio::spawn(async move { work(total, deadline, &issued, &*operation).await })
        })
        .collect();

    let mut samples = Vec::with_capacity(total);
    let mut outcome = RunOutcome::default();
    for worker in workers {
        let tally = worker.await.unwrap_or_else(|error| WorkerTally {
            errors: 1,
            first_error: Some(format!("worker task failed: {error}")),
            ..WorkerTally::default()
        });
        samples.extend(tally.samples);
        outcome.errors += tally.errors;
        if outcome.first_error.is_none() {
            outcome.first_error = tally.first_error;
        }
    }

    outcome.elapsed = started.elapsed();
    outcome.cpu = machine::own_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    outcome.latency = Latency::from_samples(samples.clone());
    outcome.samples = samples;
    outcome
}

/// Runs one worker's loop: claim a request number, run it, time it.
async fn work<F, Fut>(
    total: usize,
    deadline: Instant,
    issued: &AtomicUsize,
    operation: &F,
) -> WorkerTally
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut tally = WorkerTally::default();
    while issued.fetch_add(1, Ordering::Relaxed) < total && Instant::now() < deadline {
        let started = Instant::now();
        match operation().await {
            Ok(()) => tally.samples.push(started.elapsed()),
            Err(error) => {
                tally.errors += 1;
                tally.first_error.get_or_insert(error);
            }
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Merging adds the samples and failures of both runs.
    #[tokio::test]
    async fn merge_adds_both_runs() {
        let mut merged = run(5, 2, || async { Ok(()) }).await;
        merged.merge(run(3, 2, || async { Err("boom".to_owned()) }).await);
        merged.merge(run(4, 2, || async { Ok(()) }).await);
        assert_eq!(merged.latency.count, 9);
        assert_eq!(merged.errors, 3);
        assert_eq!(merged.first_error.as_deref(), Some("boom"));
    }

    /// Merging into an empty outcome keeps the CPU time of the first run.
    #[tokio::test]
    async fn merge_into_empty_keeps_cpu_time() {
        let first = run(5, 2, || async { Ok(()) }).await;
        let mut merged = RunOutcome::default();
        merged.merge(first.clone());
        assert_eq!(merged.cpu, first.cpu);
    }

    /// Every requested call runs once and is timed.
    #[tokio::test]
    async fn runs_every_request() {
        let outcome = run(50, 8, || async { Ok(()) }).await;
        assert_eq!(outcome.latency.count, 50);
        assert_eq!(outcome.errors, 0);
    }

    /// Failures are counted apart from the samples, with the first message.
    #[tokio::test]
    async fn counts_failures() {
        let outcome = run(10, 3, || async { Err("boom".to_owned()) }).await;
        assert_eq!(outcome.errors, 10);
        assert_eq!(outcome.latency.count, 0);
        assert_eq!(outcome.first_error.as_deref(), Some("boom"));
    }
}
