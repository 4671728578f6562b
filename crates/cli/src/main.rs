//! The `nbwss` command: runs the service, the reference endpoint server and
//! the simulator, and administers a running service through its admin API.
//!
//! Exit codes: 0 when the operation succeeded, 1 when it failed, 2 for a
//! usage error. Each subcommand lives in its own module; this file only
//! parses arguments and maps results to exit codes.

mod client;
mod demo;
mod endpoint;
mod keys;
mod notify;
mod output;
mod reload;
mod secrets;
mod serve;
mod servers;
mod sim;
mod status;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Reach a backup server's REST API from the cloud without an inbound port.
#[derive(Debug, Parser)]
#[command(name = "nbwss", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service on the backup server.
    Serve(serve::ServeArgs),
    /// Run the simulator, the reference endpoint and the service on loopback
    /// and walk through registration, commands and notifications.
    Demo(demo::DemoArgs),
    /// Run the reference endpoint server that backup servers dial into.
    Endpoint(endpoint::EndpointArgs),
    /// Queue notification items for every group, through the admin API.
    Notify(Box<notify::NotifyArgs>),
    /// Print every nbwss.properties key with its default and range.
    Properties,
    /// List, validate, add, activate, deactivate and remove cloud endpoints.
    Servers(servers::ServersArgs),
    /// Show connections, notification backlog and configuration.
    Status(status::StatusArgs),
    /// Make the running service read nbwss.properties again.
    Reload(reload::ReloadArgs),
    /// Create, list and delete admin API keys.
    Keys(keys::KeysArgs),
    /// Store or delete secrets such as the upstream API key.
    Secrets(secrets::SecretsArgs),
    /// Serve the NetBackup REST API simulator over HTTPS.
    Sim(sim::SimArgs),
}

/// Directories shared by every subcommand that touches the service.
#[derive(Debug, Clone, clap::Args)]
pub struct Dirs {
    /// Folder with nbwss.properties.
    #[arg(long, env = "NBWSS_CONFIG_DIR", default_value = "/etc/nbwss")]
    pub config_dir: PathBuf,
    /// Folder with the store, key file, admin key and logs.
    #[arg(long, env = "NBWSS_DATA_DIR", default_value = "/var/lib/nbwss")]
    pub data_dir: PathBuf,
}

/// Logs to stderr for the subcommands that do not keep log files, at
/// `default_level` unless `RUST_LOG` says otherwise.
fn init_console_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    // Only fails when a subscriber is already installed, which is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let usage = error.use_stderr();
            // Printing help or version is not an error; a bad flag is a
            // usage error.
            let _ = error.print();
            return if usage {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: failed to start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Sim(args) => {
                init_console_logging("info");
                sim::run(args).await
            }
            Command::Endpoint(args) => {
                init_console_logging("info");
                endpoint::run(args).await
            }
            Command::Demo(args) => {
                init_console_logging("warn");
                demo::run(args).await
            }
            Command::Notify(args) => notify::run(*args).await,
            Command::Servers(args) => servers::run(args).await,
            Command::Status(args) => status::run(args).await,
            Command::Reload(args) => reload::run(args).await,
            Command::Keys(args) => keys::run(args).await,
            Command::Secrets(args) => secrets::run(args).await,
            Command::Properties => {
                print!("{}", nbwss_service::config::describe_keys());
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader such as `head` that stops early is not a failure.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) if error.is::<notify::UsageError>() => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

/// Whether the error comes from writing to a closed pipe.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
