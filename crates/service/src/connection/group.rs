//! One group's connection loop: try the group's activated endpoints in
//! ascending priority until one completes CONNECT, serve it until it ends,
//! then start over.
//!
//! Retry policy: when every endpoint of a pass fails, wait a backoff draw
//! (full jitter from `connection.retryDelay`, doubling up to
//! `connectionInfo.period`), forever. After a connection that worked, the
//! backoff starts over; after a message over the hard size limit, the next
//! pass comes after `connection.retryDelay`. A change to the group's
//! endpoints in the registry ends the wait at once. There is no
//! pre-emption: a live connection stays where it is.

use std::sync::Arc;
use std::time::Duration;

use tracing::{debug, info, warn};

use super::Shared;
use super::backoff::Backoff;
use super::handshake::{self, AttemptError};
use super::session::{self, SessionEnd};
use crate::ratelimit::LogLimiter;
use crate::registry::{ConnectionState, EndpointEntry};

/// Rate limit for repeated failure logs of one group.
const FAILURE_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// Runs until the group has no activated endpoint or the service stops.
pub(crate) async fn run(shared: Arc<Shared>, group: String) {
    let settings = shared.settings();
    let mut backoff = Backoff::new(settings.retry_delay, settings.period);
    let mut failure_log = LogLimiter::new(FAILURE_LOG_INTERVAL);
    loop {
        let settings = shared.settings();
        backoff.reconfigure(settings.retry_delay, settings.period);
        let candidates = candidates(&shared, &group);
        if candidates.is_empty() || shared.shutdown.is_triggered() {
            return;
        }
        let mut ended = None;
        for entry in candidates {
            if shared.shutdown.is_triggered() {
                return;
            }
            if !is_activated(&shared, &entry.details.host_name) {
                continue;
            }
            if let Some(end) = attempt(&shared, &entry, &mut failure_log).await {
                ended = Some(end);
                break;
            }
        }
        let connected = ended.is_some();
        let delay = match ended {
            Some(SessionEnd::Shutdown) => return,
            Some(SessionEnd::Deactivated) => Duration::ZERO,
            Some(end) if end.retry_soon() => {
                backoff.reset();
                settings.retry_delay
            }
            Some(_) => {
                backoff.reset();
                backoff.next_delay()
            }
            None => backoff.next_delay(),
        };
        // Nothing left to connect to, such as after the last endpoint of
        // the group was removed: end quietly.
        if self::candidates(&shared, &group).is_empty() {
            return;
        }
        if connected || failure_log.allow().is_some() {
            info!(%group, attempt = backoff.failures() + 1, delay_ms = delay.as_millis() as u64, "reconnect scheduled");
        } else {
            debug!(%group, attempt = backoff.failures() + 1, delay_ms = delay.as_millis() as u64, "reconnect scheduled");
        }
        if !wait(&shared, &group, delay).await {
            return;
        }
    }
}

/// The group's activated endpoints, highest priority (lowest number) first.
fn candidates(shared: &Shared, group: &str) -> Vec<EndpointEntry> {
    let mut entries: Vec<EndpointEntry> = shared
        .registry
        .snapshot()
        .into_iter()
        .filter(|entry| entry.activated && entry.details.group_id == group)
        .collect();
    entries.sort_by(|a, b| {
        (a.details.priority, &a.details.host_name).cmp(&(b.details.priority, &b.details.host_name))
    });
    entries
}

fn is_activated(shared: &Shared, host: &str) -> bool {
    shared
        .registry
        .get(host)
        .is_some_and(|entry| entry.activated)
}

/// What of a group's endpoints decides where to connect.
fn signature(shared: &Shared, group: &str) -> Vec<(String, u32, String)> {
    candidates(shared, group)
        .into_iter()
        .map(|e| (e.details.host_name, e.details.priority, e.details.url))
        .collect()
}

/// Sleeps for `delay`, waking early when the group's endpoints change.
/// Returns `false` when the service is stopping.
async fn wait(shared: &Shared, group: &str, delay: Duration) -> bool {
    let before = signature(shared, group);
    let mut changes = shared.registry.subscribe();
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            _ = shared.shutdown.wait() => return false,
            _ = &mut sleep => return true,
            changed = changes.changed() => {
                if changed.is_err() || signature(shared, group) != before {
                    return true;
                }
            }
        }
    }
}

/// Makes one attempt on `entry`. Returns how the session ended when the
/// CONNECT exchange succeeded, `SessionEnd::Shutdown` when the service
/// stopped during the attempt, and `None` when the attempt failed.
async fn attempt(
    shared: &Arc<Shared>,
    entry: &EndpointEntry,
    failure_log: &mut LogLimiter,
) -> Option<SessionEnd> {
    let host = entry.details.host_name.as_str();
    let group = entry.details.group_id.as_str();
    let conn_id = shared.next_conn_id();
    let mut attempts = 0;
    shared.registry.update_live(host, |live| {
        live.state = ConnectionState::Connecting;
        live.attempts += 1;
        live.conn_id = Some(conn_id);
        attempts = live.attempts;
    });
    info!(%host, %group, conn_id, attempt = attempts, "connection starting");
    crate::metrics::metrics().increment(
        "nbwss_connection_attempts_total",
        "Connection attempts, by endpoint.",
        &[("host", host), ("group", group)],
        1,
    );
    // Racing the shutdown keeps a stop from waiting out
    // `connect.responseTimeout` on an endpoint that does not respond.
    let opened = tokio::select! {
        opened = handshake::open(shared, entry) => opened,
        () = shared.shutdown.wait() => {
            shared.registry.update_live(host, |live| {
                live.state = ConnectionState::Disconnected;
            });
            return Some(SessionEnd::Shutdown);
        }
    };
    match opened {
        Ok(socket) => {
            failure_log.reset();
            shared.registry.update_live(host, |live| {
                live.state = ConnectionState::Connected;
                live.last_error = None;
                live.attempts = 0;
            });
            info!(%host, %group, conn_id, "CONNECT accepted");
            let end = session::run(shared.clone(), entry.clone(), socket, conn_id).await;
            shared.registry.update_live(host, |live| {
                live.state = ConnectionState::Disconnected;
                live.last_error = Some(end.to_string());
            });
            info!(%host, %group, conn_id, reason = %end, "disconnected");
            Some(end)
        }
        Err(error) => {
            let state = match error {
                AttemptError::Rejected => ConnectionState::Rejected,
                _ => ConnectionState::Disconnected,
            };
            shared.registry.update_live(host, |live| {
                live.state = state;
                live.last_error = Some(error.to_string());
            });
            if matches!(error, AttemptError::Rejected) {
                warn!(%host, %group, conn_id, "CONNECT rejected: the endpoint did not accept the token");
            } else {
                warn!(%host, %group, conn_id, attempt = attempts, %error, "connection attempt failed");
            }
            None
        }
    }
}
