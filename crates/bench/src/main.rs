//! `nbwss-bench`: measures the tunnel against the direct path on the same
//! machine in the same run, and writes BENCHMARKS.md.
//!
//! `all [--smoke] [--output FILE]` runs every section (see [`run`]); the
//! hidden `scale-server` subcommand is the child process of the scale
//! test. Benchmarks report and never judge: the exit code is 1 only when a
//! path failed (a request errored, a component did not start), never
//! because a figure is slow.

mod goals;
mod load;
mod logs;
mod machine;
mod notify;
mod plan;
mod relay;
mod report;
mod rig;
mod run;
mod scale;
mod stats;
mod upstream;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "nbwss-bench",
    about = "Benchmark the nbwss tunnel against direct HTTPS calls on loopback"
)]
struct Cli {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Run every section and write the Markdown report.
    All {
        /// Run tiny counts that only check that every path works (for CI).
        #[arg(long)]
        smoke: bool,
        /// Write the report to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Child process of the scale test: an endpoint server driven over
    /// stdin and stdout.
    #[command(hide = true)]
    ScaleServer,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        BenchCommand::All { smoke, output } => run::all(smoke, output.as_deref()).await,
        BenchCommand::ScaleServer => scale::server::run().await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("nbwss-bench: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a progress line on standard error.
pub(crate) fn progress(message: &str) {
    eprintln!("nbwss-bench: {message}");
}
