//! The two ways to run one GET, and the relay sections built on them:
//! latency and throughput of a 1 KiB GET at each in-flight level, and MB/s
//! of large responses.
//!
//! The tunnel path is `BackupServer::call` on the endpoint, over the
//! WebSocket to the service, which relays it to the upstream. The direct
//! path is a pooled reqwest client calling the same upstream. Both check
//! the status and the body size, so a failure is never timed as a success.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use nbwss_endpoint::BackupServer;
use nbwss_protocol::{CommandRequest, Method};

use crate::load::{self, RunOutcome};
use crate::plan::{CONCURRENCY_LEVELS, Plan, SMALL_BODY};
use crate::rig::Rig;
use crate::stats::median;
use crate::upstream::bytes_path;

/// One GET in flight, resolving to an error message on failure.
type Call = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Both paths at one in-flight level.
#[derive(Debug, Clone)]
pub struct LevelResult {
    /// Workers, each with one request in flight.
    pub concurrency: usize,
    /// The direct path.
    pub direct: RunOutcome,
    /// The tunnel path.
    pub tunnel: RunOutcome,
}

/// Both paths for one large response size.
#[derive(Debug, Clone)]
pub struct BodyResult {
    /// Response body size in bytes.
    pub size: usize,
    /// Timed repetitions per path.
    pub repetitions: usize,
    /// Median time of the direct path.
    pub direct: Duration,
    /// Median time of the tunnel path.
    pub tunnel: Duration,
    /// Failed repetitions of both paths.
    pub errors: usize,
    /// The first failure.
    pub first_error: Option<String>,
}

impl BodyResult {
    /// Direct throughput in MB/s (10^6 bytes per second).
    pub fn direct_mb_per_second(&self) -> f64 {
        mb_per_second(self.size, self.direct)
    }

    /// Tunnel throughput in MB/s (10^6 bytes per second).
    pub fn tunnel_mb_per_second(&self) -> f64 {
        mb_per_second(self.size, self.tunnel)
    }
}

fn mb_per_second(size: usize, time: Duration) -> f64 {
    let seconds = time.as_secs_f64();
    if seconds > 0.0 {
        size as f64 / seconds / 1e6
    } else {
        0.0
    }
}

/// Runs the 1 KiB GET at every level of [`CONCURRENCY_LEVELS`]. After a
/// warm-up of each path, the paths take turns in [`Plan::rounds`] rounds,
/// so a change in the machine's load affects both alike.
pub async fn measure_levels(rig: &Rig, plan: &Plan) -> Vec<LevelResult> {
    let mut results = Vec::new();
    for concurrency in CONCURRENCY_LEVELS {
        let requests = (plan.requests)(concurrency);
        crate::progress(&format!(
            "relay: {requests} requests per path at concurrency {concurrency}"
        ));
        let warm_up = plan.warm_up(concurrency);
        load::run(warm_up, concurrency, direct_get(rig, SMALL_BODY)).await;
        load::run(warm_up, concurrency, tunnel_get(rig, SMALL_BODY)).await;

        let rounds = plan.rounds.max(1);
        let per_round = requests.div_ceil(rounds);
        let mut direct = RunOutcome::default();
        let mut tunnel = RunOutcome::default();
        for _ in 0..rounds {
            direct.merge(load::run(per_round, concurrency, direct_get(rig, SMALL_BODY)).await);
            tunnel.merge(load::run(per_round, concurrency, tunnel_get(rig, SMALL_BODY)).await);
        }
        results.push(LevelResult {
            concurrency,
            direct,
            tunnel,
        });
    }
    results
}

/// Times each large response of the plan, one request at a time. After one
/// warm-up call of each path, the paths take turns call by call.
pub async fn measure_bodies(rig: &Rig, plan: &Plan) -> Vec<BodyResult> {
    let mut results = Vec::new();
    for &(size, repetitions) in &plan.bodies {
        crate::progress(&format!("bodies: {repetitions} × {size} bytes per path"));
        let direct_call = direct_get(rig, size);
        let tunnel_call = tunnel_get(rig, size);
        let mut direct = Series::default();
        let mut tunnel = Series::default();
        let _ = direct_call().await;
        let _ = tunnel_call().await;
        for _ in 0..repetitions {
            direct.record(time_once(&direct_call).await);
            tunnel.record(time_once(&tunnel_call).await);
        }
        results.push(BodyResult {
            size,
            repetitions,
            direct: median(&mut direct.times),
            tunnel: median(&mut tunnel.times),
            errors: direct.errors + tunnel.errors,
            first_error: direct.first_error.or(tunnel.first_error),
        });
    }
    results
}

/// Times and failures of one path's large-body calls.
#[derive(Default)]
struct Series {
    times: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

impl Series {
    fn record(&mut self, outcome: Result<Duration, String>) {
        match outcome {
            Ok(time) => self.times.push(time),
            Err(error) => {
                self.errors += 1;
                self.first_error.get_or_insert(error);
            }
        }
    }
}

/// Runs one call and returns how long it took.
async fn time_once(operation: &impl Fn() -> Call) -> Result<Duration, String> {
    let started = Instant::now();
    operation().await?;
    Ok(started.elapsed())
}

/// Builds the operation: a GET of `size` bytes through the tunnel.
fn tunnel_get(rig: &Rig, size: usize) -> impl Fn() -> Call + Send + Sync + 'static {
    let server: BackupServer = rig.backup_server.clone();
    let uri = bytes_path(size);
    move || {
        let server = server.clone();
        let request = CommandRequest::new(Method::Get, uri.clone());
        Box::pin(async move {
            let response = server.call(request).await.map_err(|e| e.to_string())?;
            let received = response.body.as_ref().map_or(0, String::len);
            check("tunnel", response.status_code, received, size)
        })
    }
}

/// Builds the operation: a GET of `size` bytes straight to the upstream.
fn direct_get(rig: &Rig, size: usize) -> impl Fn() -> Call + Send + Sync + 'static {
    let client = rig.direct.clone();
    let url = format!("{}{}", rig.upstream_url, bytes_path(size));
    move || {
        let request = client.get(&url);
        Box::pin(async move {
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(|e| e.to_string())?;
            check("direct", status, body.len(), size)
        })
    }
}

fn check(path: &str, status: u16, received: usize, expected: usize) -> Result<(), String> {
    if status != 200 {
        return Err(format!("{path} GET returned status {status}, expected 200"));
    }
    if received != expected {
        return Err(format!(
            "{path} GET returned {received} body bytes, expected {expected}"
        ));
    }
    Ok(())
}
