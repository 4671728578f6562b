//! The project's performance goals, each checked against a run's figures
//! as met, missed or not measured.
//!
//! A goal never fails the run: the verdict only goes into the report.

use std::time::Duration;

use crate::notify::NotifyResult;
use crate::plan::LARGE_BODIES;
use crate::relay::{BodyResult, LevelResult};
use crate::scale::ScaleResult;
use crate::stats::{added_micros, kib, rate, signed_micros, thousands};

/// Maximum latency the tunnel may add at the median, at concurrency 1.
pub const ADDED_P50_LIMIT: Duration = Duration::from_micros(150);

/// Minimum share of direct throughput the tunnel reaches at concurrency 64.
pub const THROUGHPUT_SHARE: f64 = 0.5;

/// Minimum tunnel throughput of a 32 MiB response, in MB/s.
pub const LARGE_BODY_MB_PER_SECOND: f64 = 300.0;

/// Minimum notifications per second end to end with batches of 100.
pub const NOTIFICATIONS_PER_SECOND: f64 = 20_000.0;

/// Maximum endpoint-server memory per idle connection, in bytes.
pub const BYTES_PER_CONNECTION: f64 = 64.0 * 1024.0;

/// Whether a goal was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The figure is within the goal.
    Met,
    /// The figure is outside the goal.
    Missed,
    /// The run did not produce the figure.
    NotMeasured,
}

impl Verdict {
    fn from_bool(met: bool) -> Verdict {
        if met { Verdict::Met } else { Verdict::Missed }
    }

    /// Returns the verdict as shown in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "**missed**",
            Verdict::NotMeasured => "not measured",
        }
    }
}

/// The goal a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Latency added at the median, concurrency 1.
    AddedLatency,
    /// Tunnel against direct throughput, concurrency 64.
    Throughput,
    /// Tunnel throughput of a 32 MiB response.
    LargeBody,
    /// Notifications per second with batches of 100.
    Notifications,
    /// Endpoint-server memory per idle connection.
    ConnectionMemory,
}

/// One goal with its figure and verdict.
#[derive(Debug, Clone)]
pub struct GoalCheck {
    /// Which goal.
    pub kind: Goal,
    /// The goal's requirement, as shown in the report.
    pub goal: &'static str,
    /// The figure the run produced, or why there is none.
    pub measured: String,
    /// Met, missed or not measured.
    pub verdict: Verdict,
}

/// Checks every goal, in the order of the report.
pub fn check_all(
    levels: &[LevelResult],
    bodies: &[BodyResult],
    notifications: &[NotifyResult],
    scale: &ScaleResult,
) -> Vec<GoalCheck> {
    vec![
        added_latency(levels),
        throughput_share(levels),
        large_body(bodies),
        notification_rate(notifications),
        connection_memory(scale),
    ]
}

fn not_measured(kind: Goal, goal: &'static str, why: &str) -> GoalCheck {
    GoalCheck {
        kind,
        goal,
        measured: why.to_owned(),
        verdict: Verdict::NotMeasured,
    }
}

fn added_latency(levels: &[LevelResult]) -> GoalCheck {
    const GOAL: &str = "added p50 latency < 150 µs at concurrency 1";
    let Some(level) = levels.iter().find(|level| level.concurrency == 1) else {
        return not_measured(Goal::AddedLatency, GOAL, "no run at concurrency 1");
    };
    let added = added_micros(level.tunnel.latency.p50, level.direct.latency.p50);
    GoalCheck {
        kind: Goal::AddedLatency,
        goal: GOAL,
        measured: signed_micros(added),
        verdict: Verdict::from_bool(added < ADDED_P50_LIMIT.as_secs_f64() * 1e6),
    }
}

fn throughput_share(levels: &[LevelResult]) -> GoalCheck {
    const GOAL: &str = "tunnel throughput at concurrency 64 ≥ half of direct";
    let Some(level) = levels.iter().find(|level| level.concurrency == 64) else {
        return not_measured(Goal::Throughput, GOAL, "no run at concurrency 64");
    };
    let tunnel = level.tunnel.per_second();
    let direct = level.direct.per_second();
    let share = if direct > 0.0 { tunnel / direct } else { 0.0 };
    GoalCheck {
        kind: Goal::Throughput,
        goal: GOAL,
        measured: format!(
            "{share:.2} of direct ({} vs {} /s)",
            rate(tunnel),
            rate(direct)
        ),
        verdict: Verdict::from_bool(share >= THROUGHPUT_SHARE),
    }
}

fn large_body(bodies: &[BodyResult]) -> GoalCheck {
    const GOAL: &str = "32 MiB response ≥ 300 MB/s through the tunnel";
    let Some(body) = bodies.iter().find(|body| body.size == LARGE_BODIES[1]) else {
        return not_measured(Goal::LargeBody, GOAL, "32 MiB not run (smoke mode)");
    };
    let mb_per_second = body.tunnel_mb_per_second();
    GoalCheck {
        kind: Goal::LargeBody,
        goal: GOAL,
        measured: format!("{mb_per_second:.0} MB/s"),
        verdict: Verdict::from_bool(mb_per_second >= LARGE_BODY_MB_PER_SECOND),
    }
}

fn notification_rate(notifications: &[NotifyResult]) -> GoalCheck {
    const GOAL: &str = "≥ 20,000 notifications/s end to end with batches of 100";
    let Some(run) = notifications.iter().find(|run| run.max_batch == 100) else {
        return not_measured(Goal::Notifications, GOAL, "no run with maxBatch 100");
    };
    if run.items == 0 {
        return not_measured(Goal::Notifications, GOAL, "no item was acknowledged");
    }
    let per_second = run.items_per_second();
    GoalCheck {
        kind: Goal::Notifications,
        goal: GOAL,
        measured: format!("{} items/s", rate(per_second)),
        verdict: Verdict::from_bool(per_second >= NOTIFICATIONS_PER_SECOND),
    }
}

fn connection_memory(scale: &ScaleResult) -> GoalCheck {
    const GOAL: &str = "< 64 KiB endpoint-server memory per idle connection";
    let Some(level) = scale.levels.last() else {
        return not_measured(Goal::ConnectionMemory, GOAL, "no connection level reached");
    };
    let per_connection =
        per_connection_bytes(scale.baseline_rss_bytes, level.rss_bytes, level.connections);
    GoalCheck {
        kind: Goal::ConnectionMemory,
        goal: GOAL,
        measured: format!(
            "{} at {} connections",
            kib(per_connection),
            thousands(level.connections as u64)
        ),
        verdict: Verdict::from_bool(per_connection < BYTES_PER_CONNECTION),
    }
}

/// Memory growth over the baseline, divided by the connection count.
pub fn per_connection_bytes(baseline: u64, rss: u64, connections: usize) -> f64 {
    if connections == 0 {
        return 0.0;
    }
    (rss as f64 - baseline as f64) / connections as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::RunOutcome;
    use crate::stats::Latency;

    fn run_with_p50(p50: Duration) -> RunOutcome {
        let mut run = RunOutcome::default();
        run.latency = Latency {
            count: 1,
            p50,
            ..Latency::default()
        };
        run
    }

    fn level_at_one(direct: u64, tunnel: u64) -> LevelResult {
        LevelResult {
            concurrency: 1,
            direct: run_with_p50(Duration::from_micros(direct)),
            tunnel: run_with_p50(Duration::from_micros(tunnel)),
        }
    }

    /// 100 µs added at the median is within the 150 µs goal.
    #[test]
    fn added_latency_under_limit_is_met() {
        let check = added_latency(&[level_at_one(60, 160)]);
        assert_eq!(check.verdict, Verdict::Met);
    }

    /// 200 µs added at the median misses the goal.
    #[test]
    fn added_latency_over_limit_is_missed() {
        let check = added_latency(&[level_at_one(60, 260)]);
        assert_eq!(check.verdict, Verdict::Missed);
    }

    /// Without a 32 MiB run, the body goal is not measured.
    #[test]
    fn missing_large_body_is_not_measured() {
        let check = large_body(&[]);
        assert_eq!(check.verdict, Verdict::NotMeasured);
    }

    /// Memory per connection is the growth over the baseline per connection.
    #[test]
    fn per_connection_memory_is_growth_per_connection() {
        assert_eq!(per_connection_bytes(1_000, 5_000, 4), 1_000.0);
        assert_eq!(per_connection_bytes(1_000, 5_000, 0), 0.0);
    }
}
