//! `nbwss serve`: loads the configuration, installs logging, starts the
//! service and runs until SIGINT or SIGTERM; SIGHUP reloads the
//! configuration like `nbwss reload`.

use std::sync::Arc;

use anyhow::Context;
use nbwss_service::admin::LogLevelHook;
use nbwss_service::config::Config;
use nbwss_service::logging::Logging;
use nbwss_service::{Service, ServiceOptions};
use tracing::info;

use crate::Dirs;

/// Arguments of `nbwss serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    dirs: Dirs,
    /// Override a property, as `key=value`; may be repeated.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_override)]
    overrides: Vec<(String, String)>,
    /// Accept ws:// endpoints on loopback addresses. For tests only.
    #[arg(long, hide = true)]
    allow_insecure_loopback: bool,
}

fn parse_override(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// Runs the service until a stop signal.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(&args.dirs.config_dir, &args.overrides)?;
    std::fs::create_dir_all(&args.dirs.data_dir).with_context(|| {
        format!(
            "failed to create the data directory {:?}",
            args.dirs.data_dir
        )
    })?;
    let logging = Arc::new(Logging::init(
        &args.dirs.data_dir,
        &config.log_level,
        config.log_format,
    )?);
    let reload_logging = Arc::clone(&logging);
    let options = ServiceOptions {
        data_dir: args.dirs.data_dir.clone(),
        allow_insecure_loopback: args.allow_insecure_loopback,
        server_name: nbwss_service::service::local_host_name(),
        config_dir: Some(args.dirs.config_dir.clone()),
        config_overrides: args.overrides.clone(),
        on_log_level: Some(LogLevelHook::new(move |level| {
            reload_logging
                .set_level(level)
                .map_err(|error| format!("{:#}", anyhow::Error::from(error)))
        })),
    };
    let service = Service::start(config, options).await?;
    let properties = args
        .dirs
        .config_dir
        .join(nbwss_service::config::PROPERTIES_FILE);
    if !properties.exists() {
        tracing::warn!(path = %properties.display(), "no properties file; using defaults and --set values");
    }
    info!(
        config = %properties.display(),
        data_dir = %args.dirs.data_dir.display(),
        admin = %service.admin_addr(),
        "service started"
    );
    run_until_stop_signal(&service).await?;
    info!("shutting down");
    service.stop().await;
    Ok(())
}

/// Waits for SIGINT or SIGTERM, reloading the configuration on SIGHUP.
async fn run_until_stop_signal(service: &Service) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("failed to watch SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).context("failed to watch SIGHUP")?;
    loop {
        tokio::select! {
            result = tokio::signal::ctrl_c() => return result.context("failed to watch SIGINT"),
            _ = terminate.recv() => return Ok(()),
            _ = hangup.recv() => match service.reload().await {
                Ok(view) => info!(
                    changed = ?view.changed,
                    applied = ?view.applied,
                    restart_required = ?view.restart_required,
                    "configuration reloaded on SIGHUP"
                ),
                Err(error) => tracing::warn!(%error, "configuration not reloaded on SIGHUP"),
            },
        }
    }
}
