//! Keeps one group task running for every group that has an activated
//! endpoint.
//!
//! The manager reconciles at start, on every registry change, whenever a
//! group task ends, and every `connectionInfo.period` as a safety net.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::task::JoinSet;
use tracing::{debug, info};

use super::{ConnectionControl, ConnectionSettings, Sessions, Shared, group};
use crate::registry::Registry;
use crate::relay::Relay;
use crate::shutdown::Shutdown;

/// The running connection manager.
pub struct ConnectionManager {
    task: tokio::task::JoinHandle<()>,
    control: ConnectionControl,
}

impl ConnectionManager {
    /// Starts managing connections for every group in `registry`.
    pub fn start(
        settings: ConnectionSettings,
        registry: Registry,
        relay: Relay,
        sessions: Sessions,
        shutdown: Shutdown,
    ) -> ConnectionManager {
        let shared = Shared::new(settings, registry, relay, sessions, shutdown);
        ConnectionManager {
            control: ConnectionControl {
                shared: shared.clone(),
            },
            task: tokio::spawn(manage(shared)),
        }
    }

    /// A handle that changes the settings while connections run.
    pub fn control(&self) -> ConnectionControl {
        self.control.clone()
    }

    /// Waits until every connection has closed after shutdown was triggered.
    pub async fn stopped(self) {
        let _ = self.task.await;
    }
}

async fn manage(shared: Arc<Shared>) {
    let mut running: HashSet<String> = HashSet::new();
    let mut tasks: JoinSet<String> = JoinSet::new();
    let mut changes = shared.registry.subscribe();
    let mut period = shared.settings().period;
    let mut pass = tokio::time::interval(period);
    pass.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stopping = shared.shutdown.wait();
    tokio::pin!(stopping);
    loop {
        let configured = shared.settings().period;
        if configured != period {
            period = configured;
            pass = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            pass.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        for group in groups_to_start(&shared, &running) {
            debug!(%group, "group task starting");
            running.insert(group.clone());
            let shared = shared.clone();
            tasks.spawn(async move {
                group::run(shared, group.clone()).await;
                group
            });
        }
        tokio::select! {
            _ = &mut stopping => break,
            _ = changes.changed() => {}
            _ = shared.reconfigured.notified() => {}
            _ = pass.tick() => {}
            Some(done) = tasks.join_next() => {
                if let Ok(group) = done {
                    running.remove(&group);
                }
            }
        }
    }
    info!(groups = running.len(), "closing connections");
    while tasks.join_next().await.is_some() {}
}

fn groups_to_start(shared: &Shared, running: &HashSet<String>) -> Vec<String> {
    let mut groups: Vec<String> = shared
        .registry
        .snapshot()
        .into_iter()
        .filter(|entry| entry.activated)
        .map(|entry| entry.details.group_id)
        .filter(|group| !running.contains(group))
        .collect();
    groups.sort();
    groups.dedup();
    groups
}
