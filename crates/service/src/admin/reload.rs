//! `POST /api/v1/reload`: read `nbwss.properties` again and apply what can
//! change while the service runs.
//!
//! The file is validated first; an invalid file changes nothing. The
//! `--set` overrides of the start apply again over the file. Only
//! `log.level` is applied live, through the [`LogLevelHook`] the binary
//! passes in; every other changed key is reported as needing a restart.
//! Connections are never dropped by a reload.

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
    let view = apply(&state, &loaded)?;
    info!(
        changed = ?view.changed,
        applied = ?view.applied,
        restart_required = ?view.restart_required,
        key_id = %caller.key_id,
        "configuration reloaded"
    );
    Ok(Json(view))
}

/// Applies the live keys of `loaded` and sorts the changed keys.
fn apply(state: &AdminState, loaded: &Config) -> Result<ReloadView, ApiError> {
    let mut current = state.current_config();
    let changed = current.reloadable_diff(loaded);
    let mut view = ReloadView {
        changed: changed.iter().map(|key| (*key).to_owned()).collect(),
        applied: Vec::new(),
        restart_required: Vec::new(),
    };
    for key in changed {
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
