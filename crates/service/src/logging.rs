//! Log output: stderr and daily-rotated files in the data directory, plus a
//! separate audit file for relayed commands.
//!
//! Events with the target `nbwss::audit` go only to `logs/audit.<date>.log`
//! as JSON lines; every other event goes to stderr and to
//! `logs/nbwss.<date>.log`, filtered by `log.level`, which `nbwss reload`
//! can change while the service runs. What gets logged is decided by the
//! modules that emit events; no event carries a token or header value.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use tracing::level_filters::LevelFilter;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, reload};

use crate::config::LogFormat;

/// The tracing target of audit events.
pub const AUDIT_TARGET: &str = "nbwss::audit";

/// Rotated log files kept of each kind.
const KEPT_FILES: usize = 14;

/// Keeps the background log writers alive and allows changing the level.
pub struct Logging {
    _guards: Vec<WorkerGuard>,
    filter: reload::Handle<EnvFilter, Registry>,
    /// Folder holding the log files.
    pub directory: PathBuf,
}

/// Why logging could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// The log folder or file could not be created.
    #[error("failed to create log files in {path:?}")]
    Files {
        /// The log folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: tracing_appender::rolling::InitError,
    },
    /// `log.level` is not a valid filter.
    #[error("invalid log.level {level:?}")]
    Level {
        /// The rejected directive.
        level: String,
        /// The parse error.
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// The log folder could not be created.
    #[error("failed to create the log folder {path:?}")]
    Directory {
        /// The log folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A global subscriber was already installed.
    #[error("logging was already initialised")]
    AlreadyInitialised,
}

impl Logging {
    /// Installs the global subscriber.
    pub fn init(data_dir: &Path, level: &str, format: LogFormat) -> Result<Logging, LoggingError> {
        let directory = data_dir.join("logs");
        // The appender lists the folder to prune old files, so it must exist.
        std::fs::create_dir_all(&directory).map_err(|source| LoggingError::Directory {
            path: directory.clone(),
            source,
        })?;
        let (service_file, service_guard) = non_blocking(&directory, "nbwss")?;
        let (audit_file, audit_guard) = non_blocking(&directory, "audit")?;
        let (filter, handle) = reload::Layer::new(log_filter(level)?);
        let json = format == LogFormat::Json;
        let stderr = if json {
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(std::io::stderr)
                .boxed()
        } else {
            // Colour only on a terminal, so journald and redirected output
            // get plain text.
            tracing_subscriber::fmt::layer()
                .with_ansi(std::io::stderr().is_terminal())
                .with_writer(std::io::stderr)
                .boxed()
        };
        let file = if json {
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(service_file)
                .boxed()
        } else {
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(service_file)
                .boxed()
        };
        let audit = tracing_subscriber::fmt::layer()
            .json()
            .with_writer(audit_file)
            .with_filter(Targets::new().with_target(AUDIT_TARGET, LevelFilter::INFO));
        let not_audit = frame_logger_cap().with_target(AUDIT_TARGET, LevelFilter::OFF);
        tracing_subscriber::registry()
            .with(filter)
            .with(stderr.and_then(file).with_filter(not_audit))
            .with(audit)
            .try_init()
            .map_err(|_| LoggingError::AlreadyInitialised)?;
        Ok(Logging {
            _guards: vec![service_guard, audit_guard],
            filter: handle,
            directory,
        })
    }

    /// Applies a new `log.level` without restarting.
    pub fn set_level(&self, level: &str) -> Result<(), LoggingError> {
        let filter = log_filter(level)?;
        // The subscriber lives as long as the process, so the reload cannot
        // find it gone.
        let _ = self.filter.reload(filter);
        Ok(())
    }
}

/// Libraries that log whole frames or headers at `trace`, which would put
/// tokens and `Authorization` values in the logs; [`frame_logger_cap`]
/// caps them at `debug` whatever `log.level` says.
const FRAME_LOGGERS: [&str; 5] = ["tungstenite", "tokio_tungstenite", "h2", "hyper", "reqwest"];

/// The level filter from `log.level`, which always lets audit events
/// through to their layer.
pub fn log_filter(level: &str) -> Result<EnvFilter, LoggingError> {
    let directives = format!("{level},{AUDIT_TARGET}=info");
    EnvFilter::try_new(&directives).map_err(|source| LoggingError::Level {
        level: level.to_owned(),
        source,
    })
}

/// A per-layer filter that passes everything except `trace` events of
/// [`FRAME_LOGGERS`], so no output layer can write a token, whatever the
/// level filter in front of it allows.
pub fn frame_logger_cap() -> Targets {
    FRAME_LOGGERS.into_iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |targets, name| targets.with_target(name, LevelFilter::DEBUG),
    )
}

fn non_blocking(
    directory: &Path,
    prefix: &str,
) -> Result<(tracing_appender::non_blocking::NonBlocking, WorkerGuard), LoggingError> {
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(prefix)
        .filename_suffix("log")
        .max_log_files(KEPT_FILES)
        .build(directory)
        .map_err(|source| LoggingError::Files {
            path: directory.to_owned(),
            source,
        })?;
    Ok(tracing_appender::non_blocking(appender))
}
