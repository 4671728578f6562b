//! `POST /api/v1/reload`: read `nbwss.properties` again and apply what can
//! change while the service runs.
//!
//! The file is validated first; an invalid file changes nothing. The
//! `--set` overrides of the start apply again over the file. `log.level`
//! is applied live through the [`LogLevelHook`] the binary passes in, and
//! the connection and `command.*` keys through the connection manager
//! (they reach new connections and the next command). The other changed
//! keys are reported as needing a restart. A reload never drops a
//! connection.

use std::fmt;
use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::State;
use tracing::info;

use super::auth::Caller;
use super::error::ApiError;
use super::state::AdminState;
use super::views::ReloadView;
use crate::config::Config;
use crate::connection::ConnectionControl;
use crate::relay::Relay;
use crate::service::relay_settings;

/// The key that a reload applies live.
const LOG_LEVEL_KEY: &str = "log.level";

/// A function that installs a new log filter, such as
/// `Logging::set_level`; it returns why the filter was refused.
#[derive(Clone)]
pub struct LogLevelHook(Arc<SetLevel>);

/// The function inside a [`LogLevelHook`].
type SetLevel = dyn Fn(&str) -> Result<(), String> + Send + Sync;

impl LogLevelHook {
    /// Wraps `apply`.
    pub fn new(apply: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static) -> Self {
        LogLevelHook(Arc::new(apply))
    }

    fn apply(&self, level: &str) -> Result<(), String> {
        (self.0)(level)
    }
}

impl fmt::Debug for LogLevelHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogLevelHook")
    }
}

/// Reloads the properties file and reports what changed.
pub(super) async fn reload(
    State(state): State<AdminState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ReloadView>, ApiError> {
    let view = reload_config(&state).await?;
    info!(
        changed = ?view.changed,
        applied = ?view.applied,
        restart_required = ?view.restart_required,
        key_id = %caller.key_id,
        "configuration reloaded"
    );
    Ok(Json(view))
}

/// Reads `nbwss.properties` again and applies what can change live; the
/// admin route and SIGHUP both come here.
pub async fn reload_config(state: &AdminState) -> Result<ReloadView, ApiError> {
    let context = state.context();
    let config_dir = context
        .config_dir
        .clone()
        .ok_or(ApiError::ReloadUnavailable)?;
    let overrides = context.config_overrides.clone();
    let loaded = tokio::task::spawn_blocking(move || Config::load(&config_dir, &overrides))
        .await
        .map_err(|_| ApiError::Internal {
            doing: "reading nbwss.properties",
        })?
        .map_err(ApiError::InvalidConfig)?;
    apply(state, &loaded)
}

/// Keys the connection manager applies live.
const CONNECTION_KEYS: [&str; 15] = [
    "exception.ignoreDecoder",
    "keepAlive.scheduledRate",
    "keepAlive.maxPongMissAllowed",
    "connectionInfo.period",
    "connection.retryDelay",
    "connect.responseTimeout",
    "connection.maxInboundMessageBytes",
    "connection.hardMaxInboundMessageBytes",
    "connection.proxy",
    "command.upstreamUrl",
    "command.upstreamCaFile",
    "command.allowedPathPrefixes",
    "command.maxConcurrent",
    "command.timeout",
    "command.maxResponseBytes",
];

/// Applies the live keys of `loaded` and sorts the changed keys.
fn apply(state: &AdminState, loaded: &Config) -> Result<ReloadView, ApiError> {
    let mut current = state.current_config();
    let changed = current.reloadable_diff(loaded);
    let mut view = ReloadView {
        changed: changed.iter().map(|key| (*key).to_owned()).collect(),
        applied: Vec::new(),
        restart_required: Vec::new(),
    };
    let connection_changed = changed.iter().any(|key| CONNECTION_KEYS.contains(key));
    let connections = state.context().connections.as_ref();
    if let (true, Some(control)) = (connection_changed, connections) {
        apply_connections(control, loaded)?;
        copy_connection_keys(&mut current, loaded);
    }
    for key in changed {
        if connections.is_some() && CONNECTION_KEYS.contains(&key) {
            view.applied.push(key.to_owned());
            continue;
        }
        let hook = state.context().on_log_level.as_ref();
        match hook {
            Some(hook) if key == LOG_LEVEL_KEY => {
                hook.apply(&loaded.log_level)
                    .map_err(|reason| ApiError::LogLevelNotApplied {
                        level: loaded.log_level.clone(),
                        reason,
                    })?;
                current.log_level = loaded.log_level.clone();
                view.applied.push(key.to_owned());
            }
            _ => view.restart_required.push(key.to_owned()),
        }
    }
    Ok(view)
}

/// Builds the new connection settings and relay, and swaps them in only
/// when both are valid.
fn apply_connections(control: &ConnectionControl, loaded: &Config) -> Result<(), ApiError> {
    let settings =
        control
            .settings()
            .reconfigured(loaded)
            .map_err(|error| ApiError::ReloadNotApplied {
                what: "connection settings",
                reason: anyhow_like(&error),
            })?;
    let relay = Relay::new(relay_settings(loaded)).map_err(|error| ApiError::ReloadNotApplied {
        what: "command relay",
        reason: anyhow_like(&error),
    })?;
    control.apply(settings, relay);
    Ok(())
}

/// An error and its causes on one line.
fn anyhow_like(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Records the applied connection and relay values as current.
fn copy_connection_keys(current: &mut Config, loaded: &Config) {
    current.ignore_decoder = loaded.ignore_decoder;
    current.keep_alive_rate = loaded.keep_alive_rate;
    current.keep_alive_max_pong_miss = loaded.keep_alive_max_pong_miss;
    current.connection_info_period = loaded.connection_info_period;
    current.retry_delay = loaded.retry_delay;
    current.connect_response_timeout = loaded.connect_response_timeout;
    current.max_inbound_message_bytes = loaded.max_inbound_message_bytes;
    current.hard_max_inbound_message_bytes = loaded.hard_max_inbound_message_bytes;
    current.proxy = loaded.proxy.clone();
    current.upstream_url = loaded.upstream_url.clone();
    current.upstream_ca_file = loaded.upstream_ca_file.clone();
    current.allowed_path_prefixes = loaded.allowed_path_prefixes.clone();
    current.command_max_concurrent = loaded.command_max_concurrent;
    current.command_timeout = loaded.command_timeout;
    current.command_max_response_bytes = loaded.command_max_response_bytes;
}
