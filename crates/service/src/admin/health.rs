//! The routes monitoring polls without a key: `/healthz` (the process
//! answers), `/ready` (every group with an activated endpoint is
//! connected) and `/metrics` (Prometheus text).
//!
//! Before rendering, `/metrics` refreshes the per-endpoint connection
//! gauges from the registry; the other metrics are recorded by the modules
//! that own them.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::state::AdminState;
use super::views::ReadyView;
use crate::metrics::metrics;
use crate::registry::ConnectionState;

/// Gauge: 1 while the endpoint is connected.
const CONNECTED_METRIC: &str = "nbwss_endpoint_connected";
const CONNECTED_HELP: &str = "Whether the endpoint has a live connection (1) or not (0).";

/// Gauge: 1 for the endpoint's current connection state, 0 for the others.
const STATE_METRIC: &str = "nbwss_endpoint_state";
const STATE_HELP: &str = "Connection state of the endpoint: 1 for the current state, 0 otherwise.";

/// Every connection state, with its name in the `state` label.
const STATES: [(ConnectionState, &str); 4] = [
    (ConnectionState::Connected, "CONNECTED"),
    (ConnectionState::Connecting, "CONNECTING"),
    (ConnectionState::Disconnected, "DISCONNECTED"),
    (ConnectionState::Rejected, "REJECTED"),
];

/// The content type of the Prometheus text format, version 0.0.4.
const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Responds `ok` while the process serves requests.
pub(super) async fn healthz() -> &'static str {
    "ok"
}

/// Responds 200 when every group with an activated endpoint has a live
/// session, else 503 listing the groups without one.
pub(super) async fn ready(State(state): State<AdminState>) -> impl IntoResponse {
    let groups: BTreeSet<String> = state
        .registry()
        .snapshot()
        .into_iter()
        .filter(|entry| entry.activated)
        .map(|entry| entry.details.group_id)
        .collect();
    let groups_not_connected: Vec<String> = groups
        .into_iter()
        .filter(|group| state.sessions().current(group).is_none())
        .collect();
    let ready = groups_not_connected.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let view = ReadyView {
        ready,
        groups_not_connected,
    };
    (status, Json(view))
}

/// Renders every metric after refreshing the connection gauges.
pub(super) async fn render_metrics(State(state): State<AdminState>) -> impl IntoResponse {
    refresh_connection_gauges(&state);
    (
        [(header::CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE)],
        metrics().render(),
    )
}

/// Sets the gauges of every registered endpoint and drops the series of
/// endpoints removed since the last refresh.
fn refresh_connection_gauges(state: &AdminState) {
    let registry = state.registry();
    let mut current = BTreeSet::new();
    for entry in registry.snapshot() {
        let host = entry.details.host_name.as_str();
        let group = entry.details.group_id.as_str();
        let live = registry.live(host);
        let connected = live.state == ConnectionState::Connected;
        metrics().set(
            CONNECTED_METRIC,
            CONNECTED_HELP,
            &[("host", host), ("group", group)],
            f64::from(u8::from(connected)),
        );
        for (candidate, name) in STATES {
            let value = f64::from(u8::from(live.state == candidate));
            metrics().set(
                STATE_METRIC,
                STATE_HELP,
                &[("host", host), ("group", group), ("state", name)],
                value,
            );
        }
        current.insert((host.to_owned(), group.to_owned()));
    }
    let mut known = state.metric_endpoints();
    for (host, _group) in known.difference(&current) {
        metrics().forget(CONNECTED_METRIC, ("host", host));
        metrics().forget(STATE_METRIC, ("host", host));
    }
    *known = current;
}
