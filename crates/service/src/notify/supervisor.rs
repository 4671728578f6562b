//! Keeps one delivery task running for every group that has an activated
//! endpoint, and refreshes the backlog gauges.
//!
//! The supervisor reconciles at start, on every registry change, whenever a
//! delivery task ends, and every `notification.scheduledRate`. A group that
//! loses its last activated endpoint has its task stopped; its outbox stays
//! in the store until the group comes back. A stopped task is replaced only
//! after it has ended, so a group never has two tasks reading its
//! acknowledgements.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::task::{Id, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info};

use super::{Shared, backlog, delivery};

/// The running delivery tasks, by group.
struct Tasks {
    stops: HashMap<String, CancellationToken>,
    groups_by_task: HashMap<Id, String>,
    set: JoinSet<()>,
}

/// Runs until shutdown, then stops every delivery task and waits for them.
pub(super) async fn run(shared: Arc<Shared>) {
    let mut tasks = Tasks {
        stops: HashMap::new(),
        groups_by_task: HashMap::new(),
        set: JoinSet::new(),
    };
    let mut changes = shared.registry.subscribe();
    let mut refresh = tokio::time::interval(shared.settings.scheduled_rate);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let shutdown = shared.shutdown.clone();
    let stopping = shutdown.wait();
    tokio::pin!(stopping);
    loop {
        reconcile(&shared, &mut tasks);
        tokio::select! {
            _ = &mut stopping => break,
            _ = changes.changed() => {}
            _ = refresh.tick() => {
                let shared = Arc::clone(&shared);
                // Reading every group's backlog is a few store reads per
                // group, kept off the async workers.
                let _ = tokio::task::spawn_blocking(move || backlog::all_groups(&shared)).await;
            }
            Some(joined) = tasks.set.join_next_with_id() => ended(&mut tasks, joined),
        }
    }
    info!(groups = tasks.stops.len(), "stopping notification delivery");
    for stop in tasks.stops.values() {
        stop.cancel();
    }
    while let Some(joined) = tasks.set.join_next_with_id().await {
        ended(&mut tasks, joined);
    }
}

/// Starts a task for each activated group without one and stops the tasks
/// of groups that no longer have an activated endpoint.
fn reconcile(shared: &Arc<Shared>, tasks: &mut Tasks) {
    let activated = shared.activated_groups();
    for (group, stop) in &tasks.stops {
        if !activated.contains(group) && !stop.is_cancelled() {
            debug!(%group, "notification delivery stopping");
            stop.cancel();
        }
    }
    for group in activated {
        if tasks.stops.contains_key(&group) {
            continue;
        }
        debug!(%group, "notification delivery starting");
        let stop = CancellationToken::new();
        let handle = tasks.set.spawn(delivery::run(
            Arc::clone(shared),
            group.clone(),
            stop.clone(),
        ));
        tasks.groups_by_task.insert(handle.id(), group.clone());
        tasks.stops.insert(group, stop);
    }
}

fn ended(tasks: &mut Tasks, joined: Result<(Id, ()), tokio::task::JoinError>) {
    let id = match &joined {
        Ok((id, ())) => *id,
        Err(join_error) => join_error.id(),
    };
    let Some(group) = tasks.groups_by_task.remove(&id) else {
        return;
    };
    tasks.stops.remove(&group);
    if let Err(join_error) = joined {
        error!(%group, error = %join_error, "notification delivery task failed");
    }
}
