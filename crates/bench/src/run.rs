//! The `all` subcommand: runs the sections in order, writes the report,
//! then fails if any path failed.
//!
//! Order: relay latency and throughput, large bodies, notifications (one
//! fresh service per batch size), then the scale test, which runs alone so
//! that the in-process service does not compete with it.

use std::path::Path;

use anyhow::{Context, bail};

use crate::machine::{self, Machine};
use crate::plan::{Plan, SMALL_BODY};
use crate::report::Report;
use crate::rig::Rig;
use crate::upstream::Upstream;
use crate::{logs, notify, relay, scale};

/// Runs every section and writes the report to `output`, or to standard
/// output when `None`.
pub async fn all(smoke: bool, output: Option<&Path>) -> anyhow::Result<()> {
    let plan = if smoke { Plan::smoke() } else { Plan::full() };
    if cfg!(debug_assertions) {
        crate::progress("this is a debug build; use --release for representative figures");
    }
    let date = utc_now();
    let load_at_start = machine::load_average();
    let work_dir = tempfile::tempdir().context("failed to create a work directory")?;
    let _logs = logs::init(work_dir.path())?;

    let sync_latency = machine::sync_latency(work_dir.path(), plan.sync_rounds()).ok();
    let mut sizes = vec![SMALL_BODY];
    sizes.extend(plan.bodies.iter().map(|&(size, _)| size));
    let upstream = Upstream::start(work_dir.path(), &sizes).await?;

    let rig = Rig::start(&upstream, 100).await?;
    let levels = relay::measure_levels(&rig, &plan).await;
    let bodies = relay::measure_bodies(&rig, &plan).await;
    rig.stop().await;
    let notifications = notify::measure(&upstream, &plan.notifications).await;
    drop(upstream);
    let scale = scale::measure(&plan.connections).await;

    let report = Report {
        command: command_line(),
        date,
        machine: Machine::describe(),
        runtime_threads: tokio::runtime::Handle::current().metrics().num_workers(),
        levels,
        bodies,
        notifications,
        scale,
        peak_rss_bytes: machine::own_peak_rss_bytes(),
        sync_latency,
        load_average: (load_at_start, machine::load_average()),
        plan,
    };
    write(&report.render(), output)?;
    let failures = report.failures();
    if !failures.is_empty() {
        bail!("some paths failed:\n  {}", failures.join("\n  "));
    }
    Ok(())
}

fn write(markdown: &str, output: Option<&Path>) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, markdown)
                .with_context(|| format!("failed to write {}", path.display()))?;
            crate::progress(&format!("report written to {}", path.display()));
        }
        None => print!("{markdown}"),
    }
    Ok(())
}

/// Returns the command line that reproduces this run.
fn command_line() -> String {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    format!(
        "cargo run --release -p nbwss-bench -- {}",
        arguments.join(" ")
    )
}

/// Formats the current time in UTC, such as `2025-01-31 14:05 UTC`.
fn utc_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    )
}
