//! One Markdown table per section, with ratios (tunnel / direct) beside
//! the absolute figures and failures called out under the table.

use std::fmt::Write;

use crate::goals::per_connection_bytes;
use crate::load::RunOutcome;
use crate::notify::NotifyResult;
use crate::plan::SMALL_BODY;
use crate::relay::{BodyResult, LevelResult};
use crate::scale::ScaleResult;
use crate::stats::{added_micros, duration_text, kib, mib, rate, ratio, signed_micros, thousands};

/// Writes the latency percentiles at concurrency 1 and 64, with the
/// latency the tunnel adds.
pub fn latency(out: &mut String, levels: &[LevelResult]) {
    let _ = writeln!(
        out,
        "## Relay latency ({} B GET)\n",
        thousands(SMALL_BODY as u64)
    );
    let _ = writeln!(
        out,
        "| concurrency | path | requests | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|---|"
    );
    let latency_levels = levels
        .iter()
        .filter(|level| matches!(level.concurrency, 1 | 64));
    for level in latency_levels.clone() {
        latency_row(out, level.concurrency, "direct", &level.direct);
        latency_row(out, level.concurrency, "tunnel", &level.tunnel);
        let (tunnel, direct) = (&level.tunnel.latency, &level.direct.latency);
        let _ = writeln!(
            out,
            "| {} | added by the tunnel | | {} | {} | {} | {} |",
            level.concurrency,
            signed_micros(added_micros(tunnel.p50, direct.p50)),
            signed_micros(added_micros(tunnel.p90, direct.p90)),
            signed_micros(added_micros(tunnel.p99, direct.p99)),
            signed_micros(added_micros(tunnel.max, direct.max)),
        );
        let _ = writeln!(
            out,
            "| {} | tunnel / direct | | {} | {} | {} | {} |",
            level.concurrency,
            ratio(tunnel.p50.as_secs_f64(), direct.p50.as_secs_f64()),
            ratio(tunnel.p90.as_secs_f64(), direct.p90.as_secs_f64()),
            ratio(tunnel.p99.as_secs_f64(), direct.p99.as_secs_f64()),
            ratio(tunnel.max.as_secs_f64(), direct.max.as_secs_f64()),
        );
    }
    let _ = writeln!(out);
    failures(
        out,
        latency_levels.flat_map(|level| [&level.direct, &level.tunnel]),
    );
}

fn latency_row(out: &mut String, concurrency: usize, path: &str, run: &RunOutcome) {
    let latency = &run.latency;
    let _ = writeln!(
        out,
        "| {concurrency} | {path} | {} | {} | {} | {} | {} |",
        thousands(latency.count as u64),
        duration_text(latency.p50),
        duration_text(latency.p90),
        duration_text(latency.p99),
        duration_text(latency.max),
    );
}

/// Writes the commands per second at every in-flight level, with the CPU
/// time per request.
pub fn throughput(out: &mut String, levels: &[LevelResult]) {
    let _ = writeln!(
        out,
        "## Throughput ({} B GET, one connection)\n",
        thousands(SMALL_BODY as u64)
    );
    let _ = writeln!(
        out,
        "CPU per request is the CPU time (user and system) of the whole benchmark process \
         during the run, divided by the requests: for the direct path that is the client and \
         the upstream, for the tunnel also the endpoint and the service. It is read from \
         `/proc/self/stat` at 10 ms resolution.\n"
    );
    let _ = writeln!(
        out,
        "| concurrency | direct req/s | tunnel cmd/s | tunnel / direct | direct CPU/req | tunnel CPU/req | requests per path |\n\
         |---|---|---|---|---|---|---|"
    );
    for level in levels {
        let (direct, tunnel) = (level.direct.per_second(), level.tunnel.per_second());
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            level.concurrency,
            rate(direct),
            rate(tunnel),
            ratio(tunnel, direct),
            cpu_per_request(&level.direct),
            cpu_per_request(&level.tunnel),
            thousands(level.tunnel.latency.count as u64),
        );
    }
    let _ = writeln!(out);
    failures(
        out,
        levels
            .iter()
            .flat_map(|level| [&level.direct, &level.tunnel]),
    );
}

fn cpu_per_request(run: &RunOutcome) -> String {
    run.cpu_per_request()
        .map_or_else(|| "unknown".to_owned(), duration_text)
}

/// Writes the MB/s of each large response size.
pub fn bodies(out: &mut String, bodies: &[BodyResult]) {
    let _ = writeln!(out, "## Large bodies (one request at a time)\n");
    let _ = writeln!(
        out,
        "| size | repetitions | direct MB/s | tunnel MB/s | tunnel / direct | direct median | tunnel median |\n\
         |---|---|---|---|---|---|---|"
    );
    for body in bodies {
        let (direct, tunnel) = (body.direct_mb_per_second(), body.tunnel_mb_per_second());
        let _ = writeln!(
            out,
            "| {} | {} | {direct:.0} | {tunnel:.0} | {} | {:.1} ms | {:.1} ms |",
            mib(body.size as f64),
            body.repetitions,
            ratio(tunnel, direct),
            body.direct.as_secs_f64() * 1e3,
            body.tunnel.as_secs_f64() * 1e3,
        );
    }
    let _ = writeln!(out);
    for body in bodies.iter().filter(|body| body.errors > 0) {
        let first = body.first_error.as_deref().unwrap_or("unknown");
        let _ = writeln!(
            out,
            "**{} failed repetitions** for {}: {first}\n",
            body.errors,
            mib(body.size as f64)
        );
    }
}

/// Writes the items per second from ingest to acknowledgement.
pub fn notifications(out: &mut String, runs: &[NotifyResult]) {
    let _ = writeln!(
        out,
        "## Notifications (ingest to acknowledgement, durable store)\n"
    );
    let _ = writeln!(
        out,
        "Each ingest call carries `notification.maxBatch` JOB items; the endpoint \
         acknowledges each NOTIFICATION REQUEST as soon as it arrives. Ingest and delivery \
         run at the same time. CPU per item is the whole process's CPU time during the run \
         divided by the items.\n"
    );
    let _ = writeln!(
        out,
        "| maxBatch | items | requests | elapsed | items/s end to end | items/s ingest alone | CPU/item |\n\
         |---|---|---|---|---|---|---|"
    );
    for run in runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} s | {} | {} | {} |",
            run.max_batch,
            thousands(run.items as u64),
            thousands(run.requests as u64),
            run.elapsed.as_secs_f64(),
            rate(run.items_per_second()),
            rate(run.ingest_per_second()),
            run.cpu_per_item()
                .map_or_else(|| "unknown".to_owned(), duration_text),
        );
    }
    let _ = writeln!(out);
    for run in runs {
        if let Some(error) = &run.error {
            let _ = writeln!(
                out,
                "**maxBatch {} stopped early**: {error}\n",
                run.max_batch
            );
        }
    }
}

/// Writes the endpoint server's memory at each connection count.
pub fn scale(out: &mut String, scale: &ScaleResult) {
    let _ = writeln!(
        out,
        "## Memory and scale (endpoint server in a child process)\n"
    );
    let _ = writeln!(
        out,
        "Idle backup-server connections (TLS, WebSocket, CONNECT, then only pings) to one \
         endpoint server; its `VmRSS` with no connection was {}.\n",
        mib(scale.baseline_rss_bytes as f64)
    );
    let _ = writeln!(
        out,
        "| connections | endpoint RSS | growth over no connection | per connection |\n\
         |---|---|---|---|"
    );
    for level in &scale.levels {
        let growth = level.rss_bytes as f64 - scale.baseline_rss_bytes as f64;
        let per =
            per_connection_bytes(scale.baseline_rss_bytes, level.rss_bytes, level.connections);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            thousands(level.connections as u64),
            mib(level.rss_bytes as f64),
            mib(growth),
            kib(per),
        );
    }
    let _ = writeln!(out);
    if let Some(error) = &scale.error {
        let _ = writeln!(out, "**The scale test stopped early**: {error}\n");
    }
}

/// Writes latency against in-flight requests, and memory against
/// connections.
pub fn cost_growth(out: &mut String, levels: &[LevelResult], scale: &ScaleResult) {
    let _ = writeln!(out, "## Cost growth\n");
    let _ = writeln!(
        out,
        "Latency against requests in flight (from the throughput runs):\n"
    );
    let _ = writeln!(
        out,
        "| in flight | direct p50 | tunnel p50 | added p50 | direct p99 | tunnel p99 | added p99 |\n\
         |---|---|---|---|---|---|---|"
    );
    for level in levels {
        let (direct, tunnel) = (&level.direct.latency, &level.tunnel.latency);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            level.concurrency,
            duration_text(direct.p50),
            duration_text(tunnel.p50),
            signed_micros(added_micros(tunnel.p50, direct.p50)),
            duration_text(direct.p99),
            duration_text(tunnel.p99),
            signed_micros(added_micros(tunnel.p99, direct.p99)),
        );
    }
    let _ = writeln!(out, "\nEndpoint-server memory against connections:\n");
    let _ = writeln!(
        out,
        "| connections | average per connection | per connection added since the previous step |\n\
         |---|---|---|"
    );
    let mut previous = (0, scale.baseline_rss_bytes);
    for level in &scale.levels {
        let average =
            per_connection_bytes(scale.baseline_rss_bytes, level.rss_bytes, level.connections);
        let marginal = per_connection_bytes(
            previous.1,
            level.rss_bytes,
            level.connections.saturating_sub(previous.0),
        );
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            thousands(level.connections as u64),
            kib(average),
            kib(marginal)
        );
        previous = (level.connections, level.rss_bytes);
    }
    let _ = writeln!(out);
}

/// Writes a line under the table for each run that had failures.
fn failures<'a>(out: &mut String, runs: impl Iterator<Item = &'a RunOutcome>) {
    for run in runs.filter(|run| run.errors > 0) {
        let first = run.first_error.as_deref().unwrap_or("unknown");
        let _ = writeln!(out, "**{} failed requests**, first: {first}\n", run.errors);
    }
}
