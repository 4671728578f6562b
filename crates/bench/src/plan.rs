//! How much work each section does: the full run, sized to finish in a few
//! minutes on a 2-core machine, and the smoke run, which only checks that
//! every path works.
//!
//! The sections read their counts from here and decide nothing about sizes
//! themselves.

use std::time::Duration;

/// Size of the 1 KiB response used for latency and throughput.
pub const SMALL_BODY: usize = 1024;

/// The large response sizes the full run measures.
pub const LARGE_BODIES: [usize; 2] = [1024 * 1024, 32 * 1024 * 1024];

/// Concurrency levels of the throughput and cost-growth tables.
pub const CONCURRENCY_LEVELS: [usize; 4] = [1, 16, 64, 256];

/// `command.maxConcurrent` for the benchmark service: the highest level in
/// [`CONCURRENCY_LEVELS`], so no command waits for admission.
pub const MAX_CONCURRENT: usize = 256;

/// `command.maxResponseBytes` and the endpoint's inbound message limit:
/// 64 MiB, above 32 MiB × 4/3 so a base64-encoded body would still fit.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// Upper bound on the measured part of one run, so a slow path ends the
/// run early instead of stalling the whole benchmark.
pub const RUN_TIME_CAP: Duration = Duration::from_secs(60);

/// One notification run: the outbox batch limit and the item count.
#[derive(Debug, Clone, Copy)]
pub struct NotificationRun {
    /// `notification.maxBatch`, also the item count of each ingest call.
    pub max_batch: usize,
    /// Items ingested in total.
    pub items: usize,
}

/// The counts of one benchmark run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `true` for the smoke run.
    pub smoke: bool,
    /// Measured requests at each concurrency level, per path.
    pub requests: fn(usize) -> usize,
    /// Turns each path takes at each concurrency level; the requests are
    /// split evenly between them.
    pub rounds: usize,
    /// Large responses to measure, with repetitions per path.
    pub bodies: Vec<(usize, usize)>,
    /// The notification runs.
    pub notifications: Vec<NotificationRun>,
    /// Connected-client counts of the memory table, in increasing order.
    pub connections: Vec<usize>,
}

impl Plan {
    /// Returns the plan of the full run.
    pub fn full() -> Plan {
        Plan {
            smoke: false,
            requests: |concurrency| match concurrency {
                1 => 10_000,
                16 => 30_000,
                _ => 50_000,
            },
            rounds: 5,
            bodies: vec![(LARGE_BODIES[0], 100), (LARGE_BODIES[1], 20)],
            notifications: vec![
                NotificationRun {
                    max_batch: 1,
                    items: 5_000,
                },
                NotificationRun {
                    max_batch: 100,
                    // At most `notification.maxPendingPerGroup` (default
                    // 100,000), so ingest can never find the outbox full.
                    items: 100_000,
                },
            ],
            connections: vec![1, 100, 1_000, 5_000],
        }
    }

    /// Returns the plan of the smoke run: every path, tiny counts, 1 MiB
    /// bodies only.
    pub fn smoke() -> Plan {
        Plan {
            smoke: true,
            requests: |_| 20,
            rounds: 1,
            bodies: vec![(LARGE_BODIES[0], 2)],
            notifications: vec![
                NotificationRun {
                    max_batch: 1,
                    items: 20,
                },
                NotificationRun {
                    max_batch: 100,
                    items: 200,
                },
            ],
            connections: vec![1, 2],
        }
    }

    /// Rounds of the `fdatasync` probe.
    pub fn sync_rounds(&self) -> usize {
        if self.smoke { 5 } else { 50 }
    }

    /// Unmeasured requests sent before a measured run, so that pooled
    /// connections exist and caches are warm.
    pub fn warm_up(&self, concurrency: usize) -> usize {
        if self.smoke {
            concurrency.min(4)
        } else {
            (concurrency * 4).max(200)
        }
    }
}
