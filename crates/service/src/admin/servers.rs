//! The WebSocket servers list and the changes to one record: list,
//! activate, deactivate, remove and show token.
//!
//! Each change goes through the registry, which stores it and wakes the
//! connection manager, so it applies at once. Adding lives in `add.rs`.
//! The token leaves the service only through [`show_token`].

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use nbwss_store::StoreError;
use tracing::info;

use super::auth::Caller;
use super::error::ApiError;
use super::state::AdminState;
use super::views::{ServerList, ServerView, TokenView, activation_name};

/// Lists every record with its live state, ordered by host name.
pub(super) async fn list(State(state): State<AdminState>) -> Json<ServerList> {
    let registry = state.registry();
    let servers = registry
        .snapshot()
        .iter()
        .map(|entry| ServerView::new(entry, &registry.live(&entry.details.host_name)))
        .collect();
    Json(ServerList { servers })
}

/// Activates a record; the connection manager connects it if its group has
/// no live connection.
pub(super) async fn activate(
    State(state): State<AdminState>,
    Path(host): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ServerView>, ApiError> {
    set_activated(state, host, true, caller).await
}

/// Deactivates a record; a live connection to it is closed with 1000.
pub(super) async fn deactivate(
    State(state): State<AdminState>,
    Path(host): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ServerView>, ApiError> {
    set_activated(state, host, false, caller).await
}

async fn set_activated(
    state: AdminState,
    host: String,
    activated: bool,
    caller: Caller,
) -> Result<Json<ServerView>, ApiError> {
    let target = host.clone();
    let entry = state
        .blocking("changing an endpoint's state", move |registry| {
            registry
                .set_activated(&target, activated)
                .map_err(|error| not_found_as(error, &target))
        })
        .await?;
    info!(
        host = %host,
        group = %entry.details.group_id,
        state = activation_name(activated),
        key_id = %caller.key_id,
        "endpoint state changed"
    );
    let live = state.registry().live(&host);
    Ok(Json(ServerView::new(&entry, &live)))
}

/// Removes a record and returns it; a live connection is closed with 1000.
pub(super) async fn remove(
    State(state): State<AdminState>,
    Path(host): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ServerView>, ApiError> {
    let live = state.registry().live(&host);
    let target = host.clone();
    let entry = state
        .blocking("removing an endpoint", move |registry| {
            registry
                .remove(&target)
                .map_err(|error| not_found_as(error, &target))
        })
        .await?;
    info!(
        host = %host,
        group = %entry.details.group_id,
        key_id = %caller.key_id,
        "endpoint removed"
    );
    Ok(Json(ServerView::new(&entry, &live)))
}

/// Returns the token of one record: the only route that does.
pub(super) async fn show_token(
    State(state): State<AdminState>,
    Path(host): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<TokenView>, ApiError> {
    let entry = state
        .registry()
        .get(&host)
        .ok_or_else(|| ApiError::EndpointNotFound { host: host.clone() })?;
    info!(host = %host, key_id = %caller.key_id, "endpoint token shown");
    Ok(Json(TokenView {
        host_name: host,
        token: entry.details.token,
    }))
}

/// Turns the store's "not found" into the API's, naming the host.
fn not_found_as(error: StoreError, host: &str) -> ApiError {
    match error {
        StoreError::NotFound { .. } => ApiError::EndpointNotFound {
            host: host.to_owned(),
        },
        other => ApiError::from(other),
    }
}
