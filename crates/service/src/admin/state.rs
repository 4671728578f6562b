//! What every admin handler can reach: the registry, the live sessions, the
//! configuration in effect, the dialing settings and the reload inputs.
//!
//! The service builds an [`AdminContext`] at start; handlers get a cheap
//! clone of [`AdminState`]. Store calls that write go through
//! [`AdminState::blocking`], because redb commits synchronously.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use nbwss_store::Store;
use nbwss_tls::ProxySettings;
use rustls::RootCertStore;

use super::error::ApiError;
use super::reload::LogLevelHook;
use crate::config::Config;
use crate::connection::ConnectionControl;
use crate::connection::Sessions;
use crate::notify::Notifier;
use crate::registry::Registry;

/// The inputs the service hands to the admin API.
pub struct AdminContext {
    /// The endpoint registry.
    pub registry: Registry,
    /// The live sessions by group.
    pub sessions: Sessions,
    /// The configuration the service started with.
    pub config: Config,
    /// Proxy and `NO_PROXY` rules for dialing endpoints and details URLs.
    pub proxy: ProxySettings,
    /// Roots that decide whether an endpoint's chain is trusted.
    pub roots: RootCertStore,
    /// Accept `ws://` endpoints on loopback. Tests only.
    pub allow_insecure_loopback: bool,
    /// Folder with `nbwss.properties`, for reload; `None` disables reload.
    pub config_dir: Option<PathBuf>,
    /// The `--set` overrides the service started with; reload applies
    /// them again over the file.
    pub config_overrides: Vec<(String, String)>,
    /// Applies a new `log.level` while the service runs.
    pub on_log_level: Option<LogLevelHook>,
    /// The notification pipeline, for ingest and the backlog; without it
    /// ingest responds 503 and the backlog is read from the store.
    pub notifier: Option<Notifier>,
    /// Changes the connection and relay settings on reload; without it
    /// those keys need a restart.
    pub connections: Option<ConnectionControl>,
}

/// Shared state of the admin handlers; cheap to clone.
#[derive(Clone)]
pub struct AdminState {
    inner: Arc<Inner>,
}

struct Inner {
    context: AdminContext,
    /// The configuration in effect: the start configuration plus the keys
    /// a reload applied live.
    current: Mutex<Config>,
    started_at: Instant,
    /// Endpoints that have connection-state series in `/metrics`, so the
    /// series of a removed endpoint can be dropped.
    metric_endpoints: Mutex<BTreeSet<(String, String)>>,
}

impl AdminState {
    /// Wraps the context; the uptime counts from now.
    pub fn new(context: AdminContext) -> AdminState {
        let current = Mutex::new(context.config.clone());
        AdminState {
            inner: Arc::new(Inner {
                context,
                current,
                started_at: Instant::now(),
                metric_endpoints: Mutex::new(BTreeSet::new()),
            }),
        }
    }

    pub(super) fn context(&self) -> &AdminContext {
        &self.inner.context
    }

    pub(super) fn registry(&self) -> &Registry {
        &self.inner.context.registry
    }

    pub(super) fn store(&self) -> &Store {
        self.inner.context.registry.store()
    }

    pub(super) fn sessions(&self) -> &Sessions {
        &self.inner.context.sessions
    }

    /// The configuration in effect now.
    pub(super) fn current_config(&self) -> MutexGuard<'_, Config> {
        self.inner
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn uptime(&self) -> std::time::Duration {
        self.inner.started_at.elapsed()
    }

    pub(super) fn metric_endpoints(&self) -> MutexGuard<'_, BTreeSet<(String, String)>> {
        self.inner
            .metric_endpoints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` on the blocking thread pool with a clone of the registry,
    /// for store writes.
    pub(super) async fn blocking<T, F>(&self, doing: &'static str, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Registry) -> Result<T, ApiError> + Send + 'static,
    {
        let registry = self.registry().clone();
        tokio::task::spawn_blocking(move || work(&registry))
            .await
            .map_err(|_| ApiError::Internal { doing })?
    }
}
