//! Memory and scale: resident memory of an endpoint server process with 1,
//! 100, 1,000 and 5,000 idle backup-server connections.
//!
//! The endpoint server runs in a child process (this binary re-run with the
//! hidden `scale-server` subcommand, see [`server`]), so its `VmRSS` contains
//! nothing but the server. The parent opens lightweight clients
//! ([`client`]) in steps, waits until the child reports every one of them
//! connected, and reads the child's `VmRSS`. Each connection needs one file
//! descriptor on each side, so the client count is capped below the
//! open-file limit.

pub mod client;
pub mod server;

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::machine;
use server::{COUNT_REQUEST, Count, Hello};

/// Clients that run TLS handshakes at the same time.
const PARALLEL_HANDSHAKES: usize = 64;

/// File descriptors kept free for everything but the clients.
const SPARE_FDS: u64 = 256;

/// Upper bound on waiting for the child to see every client, and on the
/// child's exit.
const SETTLE_WAIT: Duration = Duration::from_secs(60);

/// Interval between two connection counts asked of the child.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// The child's resident memory at one connection count.
#[derive(Debug, Clone, Copy)]
pub struct ScaleLevel {
    /// Connected clients.
    pub connections: usize,
    /// The child's `VmRSS`, in bytes.
    pub rss_bytes: u64,
}

/// Figures of the scale test.
#[derive(Debug, Clone, Default)]
pub struct ScaleResult {
    /// The child's `VmRSS` before any connection, in bytes.
    pub baseline_rss_bytes: u64,
    /// One entry per connection count reached.
    pub levels: Vec<ScaleLevel>,
    /// The reason fewer clients than planned were opened, if so.
    pub capped: Option<String>,
    /// The reason the test stopped early, if it did.
    pub error: Option<String>,
}

/// Runs the scale test for each count in `targets`, in increasing order.
pub async fn measure(targets: &[usize]) -> ScaleResult {
    let mut result = ScaleResult::default();
    let targets = cap_targets(targets, &mut result);
    if let Err(error) = run_steps(&targets, &mut result).await {
        result.error = Some(format!("{error:#}"));
    }
    result
}

/// Drops the counts the open-file limit cannot hold and notes why.
fn cap_targets(targets: &[usize], result: &mut ScaleResult) -> Vec<usize> {
    let Some(limit) = machine::open_files_limit() else {
        return targets.to_vec();
    };
    let max_clients = usize::try_from(limit.saturating_sub(SPARE_FDS)).unwrap_or(usize::MAX);
    let reachable: Vec<usize> = targets
        .iter()
        .copied()
        .filter(|&n| n <= max_clients)
        .collect();
    if reachable.len() < targets.len() {
        let largest = targets.iter().max().copied().unwrap_or_default();
        let message = format!(
            "the open-file limit is {limit}, too low for {largest} connections; \
             run `ulimit -n {}` first to measure them",
            largest as u64 + SPARE_FDS
        );
        crate::progress(&message);
        result.capped = Some(message);
    }
    reachable
}

async fn run_steps(targets: &[usize], result: &mut ScaleResult) -> anyhow::Result<()> {
    let mut child = Scaled::spawn().await?;
    result.baseline_rss_bytes = child.settle(0).await?;
    let tls = nbwss_tls::client_config(nbwss_tls::root_store(None, false)?, Some(child.pin));
    let mut clients = Vec::new();
    for &target in targets {
        crate::progress(&format!("scale: {target} connections"));
        let opened = open_clients(child.port, &tls, target - clients.len()).await?;
        clients.extend(opened);
        let rss_bytes = child.settle(target).await?;
        result.levels.push(ScaleLevel {
            connections: target,
            rss_bytes,
        });
    }
    drop(clients);
    child.stop().await
}

/// Opens `count` clients, [`PARALLEL_HANDSHAKES`] at a time.
async fn open_clients(
    port: u16,
    tls: &Arc<rustls::ClientConfig>,
    count: usize,
) -> anyhow::Result<Vec<client::Client>> {
    let connects = (0..count).map(|_| client::connect(port, Arc::clone(tls)));
    let results: Vec<_> = futures_util::stream::iter(connects)
        .buffer_unordered(PARALLEL_HANDSHAKES)
        .collect()
        .await;
    results.into_iter().collect()
}

/// The running child and its pipes.
struct Scaled {
    process: Child,
    pid: u32,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    port: u16,
    pin: nbwss_tls::Fingerprint,
}

impl Scaled {
    async fn spawn() -> anyhow::Result<Scaled> {
        let exe = std::env::current_exe().context("failed to find the benchmark binary")?;
        let mut process = Command::new(exe)
            .arg("scale-server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("failed to start the scale endpoint server")?;
        let pid = process.id().context("the scale child exited at once")?;
        let stdin = process.stdin.take().context("child stdin missing")?;
        let stdout = process.stdout.take().context("child stdout missing")?;
        let mut stdout = BufReader::new(stdout).lines();
        let hello: Hello = read_json(&mut stdout).await?;
        let pin = hello
            .fingerprint
            .parse()
            .context("the child sent an invalid fingerprint")?;
        Ok(Scaled {
            process,
            pid,
            stdin,
            stdout,
            port: hello.port,
            pin,
        })
    }

    /// Waits until the child reports `connections`, then reads its
    /// `VmRSS`.
    async fn settle(&mut self, connections: usize) -> anyhow::Result<u64> {
        let deadline = Instant::now() + SETTLE_WAIT;
        loop {
            self.stdin
                .write_all(format!("{COUNT_REQUEST}\n").as_bytes())
                .await?;
            let count: Count = read_json(&mut self.stdout).await?;
            if count.connections == connections {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "the child reports {} connections, expected {connections}",
                    count.connections
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        machine::rss_bytes(self.pid).context("failed to read the child's VmRSS")
    }

    /// Closes stdin and waits for the child to exit.
    async fn stop(mut self) -> anyhow::Result<()> {
        drop(self.stdin);
        match tokio::time::timeout(SETTLE_WAIT, self.process.wait()).await {
            Ok(status) => {
                let status = status?;
                if !status.success() {
                    bail!("the scale child exited with {status}");
                }
                Ok(())
            }
            Err(_) => {
                let _ = self.process.kill().await;
                bail!("the scale child did not exit in time and was killed")
            }
        }
    }
}

async fn read_json<T: serde::de::DeserializeOwned>(
    lines: &mut Lines<BufReader<ChildStdout>>,
) -> anyhow::Result<T> {
    let line = tokio::time::timeout(SETTLE_WAIT, lines.next_line())
        .await
        .context("the scale child did not respond in time")??
        .context("the scale child closed its output")?;
    serde_json::from_str(&line).with_context(|| format!("invalid line from the child: {line:?}"))
}
