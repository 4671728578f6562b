//! `GET /api/v1/status`: version, uptime, each group's connection (or why
//! it has none), notification backlog per group, whether the upstream API
//! key is set, and the effective configuration.
//!
//! The backlog comes from the notification pipeline's
//! [`Notifier::backlog`](crate::notify::Notifier::backlog), or from the
//! store's outbox when the service runs without a pipeline. Connection
//! states come from the registry and the live sessions.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;

use super::error::ApiError;
use super::state::AdminState;
use super::views::{
    ConfigEntry, ConnectedView, ConnectionView, GroupEndpoint, GroupStatus, StatusView,
    activation_name,
};
use crate::notify::UPSTREAM_API_KEY_SECRET;
use crate::registry::EndpointEntry;

/// Pending items and the age of the oldest, in seconds.
type Backlog = (u64, Option<u64>);

/// Reports the service's state.
pub(super) async fn status(State(state): State<AdminState>) -> Result<Json<StatusView>, ApiError> {
    let mut by_group: BTreeMap<String, Vec<EndpointEntry>> = BTreeMap::new();
    for entry in state.registry().snapshot() {
        by_group
            .entry(entry.details.group_id.clone())
            .or_default()
            .push(entry);
    }
    let mut backlogs = read_backlogs(&state)?;
    let names: BTreeSet<String> = by_group.keys().chain(backlogs.keys()).cloned().collect();
    let groups = names
        .into_iter()
        .map(|name| {
            let entries = by_group.remove(&name).unwrap_or_default();
            let backlog = backlogs.remove(&name).unwrap_or_default();
            group_status(&state, name, entries, backlog)
        })
        .collect();
    let configuration = state
        .current_config()
        .entries()
        .into_iter()
        .map(|(key, value)| ConfigEntry {
            key: key.to_owned(),
            value,
        })
        .collect();
    Ok(Json(StatusView {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_seconds: state.uptime().as_secs(),
        groups,
        upstream_api_key_set: state.store().get_secret(UPSTREAM_API_KEY_SECRET)?.is_some(),
        configuration,
    }))
}

/// Reads the backlog of every group that has one, by group.
fn read_backlogs(state: &AdminState) -> Result<BTreeMap<String, Backlog>, ApiError> {
    if let Some(notifier) = &state.context().notifier {
        return Ok(notifier
            .backlog()
            .into_iter()
            .map(|group| (group.group, (group.pending, group.oldest_age_seconds)))
            .collect());
    }
    let store = state.store();
    let mut backlogs = BTreeMap::new();
    for group in store.groups_with_backlog()? {
        let pending = store.backlog(&group)?;
        // The outbox records enqueue times in milliseconds.
        let age = store
            .oldest_enqueued_at(&group)?
            .map(|enqueued_ms| u64::try_from((now_millis() - enqueued_ms) / 1000).unwrap_or(0));
        backlogs.insert(group, (pending, age));
    }
    Ok(backlogs)
}

fn group_status(
    state: &AdminState,
    group_id: String,
    mut entries: Vec<EndpointEntry>,
    (backlog, oldest_pending_age_seconds): Backlog,
) -> GroupStatus {
    entries.sort_by(|a, b| {
        (a.details.priority, &a.details.host_name).cmp(&(b.details.priority, &b.details.host_name))
    });
    let endpoints = entries
        .iter()
        .map(|entry| GroupEndpoint {
            host_name: entry.details.host_name.clone(),
            priority: entry.details.priority,
            state: activation_name(entry.activated).to_owned(),
            connection: ConnectionView::from(&state.registry().live(&entry.details.host_name)),
        })
        .collect();
    let connected = state
        .sessions()
        .current(&group_id)
        .map(|session| ConnectedView {
            host_name: session.host,
            conn_id: session.conn_id,
        });
    GroupStatus {
        group_id,
        connected,
        endpoints,
        backlog,
        oldest_pending_age_seconds,
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
