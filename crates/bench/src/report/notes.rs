//! The Notes section: for each missed goal, what bounds the figure, with
//! the run's own numbers where the run measured them.
//!
//! The explanations describe the design as it was profiled when this
//! harness was written (perf on a 2-core machine); the
//! numbers come from the run.

use std::fmt::Write;

use super::Report;
use crate::goals::{Goal, GoalCheck, Verdict};
use crate::load::RunOutcome;
use crate::stats::duration_text;

/// A 1-minute load average above which the machine was not idle when the
/// run started.
const BUSY_LOAD: f64 = 0.5;

/// Writes the Notes section.
pub fn render(out: &mut String, report: &Report, checks: &[GoalCheck]) {
    let _ = writeln!(out, "## Notes\n");
    if let Some(load) = report.load_average.0.filter(|&load| load > BUSY_LOAD) {
        let _ = writeln!(
            out,
            "- Other processes were running: the 1-minute load average was {load:.2} at the \
             start on {} cores, so the figures are lower than on an idle machine.",
            report.machine.cores
        );
    }
    if let Some(capped) = &report.scale.capped {
        let _ = writeln!(out, "- Scale test capped: {capped}.");
    }
    for check in checks
        .iter()
        .filter(|check| check.verdict == Verdict::Missed)
    {
        let _ = writeln!(
            out,
            "- Missed \"{}\": {}",
            check.goal,
            bound(check.kind, report)
        );
    }
    let _ = writeln!(
        out,
        "- Figures vary from run to run, by tens of percent when other processes load the \
         machine; compare the tunnel with the direct path of the same run rather than across \
         runs."
    );
}

/// Explains what bounds the figure of `goal`.
fn bound(goal: Goal, report: &Report) -> String {
    match goal {
        Goal::AddedLatency => format!(
            "each tunnel call adds two WebSocket messages over TLS on loopback (the COMMAND \
             REQUEST and its RESPONSE), JSON encoding and parsing of both on each side, and \
             hand-offs between the endpoint's and the service's tasks.{}",
            cpu_comparison(report, 1)
        ),
        Goal::Throughput => format!(
            "every component runs on the same {} cores, so throughput is bounded by the CPU \
             time each request costs the whole process.{}",
            report.machine.cores,
            cpu_comparison(report, 64)
        ),
        Goal::LargeBody => "the service reads the whole body into memory, copies it into a \
             JSON message and masks it into a client WebSocket frame; the endpoint unmasks \
             it, checks it as UTF-8 and copies it out of the JSON message again. With glibc's \
             allocator, buffers of this size are fresh memory mappings, so the kernel also zeroes their pages on \
             every request."
            .to_owned(),
        Goal::Notifications => notification_bound(report),
        Goal::ConnectionMemory => "each idle connection holds a TLS session with its \
             buffers, the WebSocket read buffer and the endpoint's per-connection tasks and \
             maps."
            .to_owned(),
    }
}

/// " At concurrency N the tunnel used X of CPU per request against Y direct."
fn cpu_comparison(report: &Report, concurrency: usize) -> String {
    let Some(level) = report
        .levels
        .iter()
        .find(|level| level.concurrency == concurrency)
    else {
        return String::new();
    };
    let cpu = |run: &RunOutcome| run.cpu_per_request();
    match (cpu(&level.tunnel), cpu(&level.direct)) {
        (Some(tunnel), Some(direct)) => format!(
            " At concurrency {concurrency} the tunnel used {} of CPU per request against {} \
             direct.",
            duration_text(tunnel),
            duration_text(direct)
        ),
        _ => String::new(),
    }
}

fn notification_bound(report: &Report) -> String {
    let mut text = "a group has one NOTIFICATION REQUEST in flight at a time, and each \
         batch waits for durable store commits (at ingest, when the batch is formed and when \
         it is acknowledged) besides the round trip to the endpoint. Each item is also parsed \
         at ingest, stored as JSON, decoded when its batch is formed and encoded into the \
         request."
        .to_owned();
    if let Some(sync) = report.sync_latency {
        let _ = write!(
            text,
            " One fdatasync took {:.2} ms on this machine.",
            sync.as_secs_f64() * 1e3
        );
    }
    let batch = report
        .notifications
        .iter()
        .find(|run| run.max_batch == 100 && run.requests > 0);
    let Some(run) = batch else {
        return text;
    };
    let per_request = run.elapsed / u32::try_from(run.requests).unwrap_or(u32::MAX);
    let _ = write!(
        text,
        " With batches of 100, one request took {:.2} ms on average",
        per_request.as_secs_f64() * 1e3
    );
    match run.cpu_per_item() {
        Some(cpu) if !cpu.is_zero() => {
            let cores = report.machine.cores as f64;
            let _ = write!(
                text,
                " and each item cost {} of CPU, which bounds the rate at about {} items/s \
                 on {} cores.",
                duration_text(cpu),
                crate::stats::rate(cores / cpu.as_secs_f64()),
                report.machine.cores
            );
        }
        _ => text.push('.'),
    }
    text
}
