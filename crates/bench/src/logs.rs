//! The benchmark's log subscriber: the service's audit events as JSON
//! lines through a non-blocking file writer, as `nbwss serve` writes them,
//! and every other event at `warn` on standard error.
//!
//! `nbwss_service::logging::Logging::init` is not used because it also
//! writes the service log to rotating files, which would add file output
//! the benchmark does not report on; the audit log, which every relayed
//! command writes in production, is kept.

use std::path::Path;

use anyhow::Context;
use nbwss_service::logging::AUDIT_TARGET;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Keeps the audit writer's background thread alive.
pub struct BenchLogs {
    _audit: WorkerGuard,
}

/// Installs the global subscriber, writing the audit log into `dir`.
pub fn init(dir: &Path) -> anyhow::Result<BenchLogs> {
    let (audit_file, guard) =
        tracing_appender::non_blocking(tracing_appender::rolling::never(dir, "audit.log"));
    let audit = tracing_subscriber::fmt::layer()
        .json()
        .with_writer(audit_file)
        .with_filter(Targets::new().with_target(AUDIT_TARGET, LevelFilter::INFO));
    let others = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(
            Targets::new()
                .with_default(LevelFilter::WARN)
                .with_target(AUDIT_TARGET, LevelFilter::OFF),
        );
    tracing_subscriber::registry()
        .with(audit)
        .with(others)
        .try_init()
        .context("failed to install the log subscriber")?;
    Ok(BenchLogs { _audit: guard })
}
