//! The composition root: opens the store, loads the registry, builds the
//! relay and starts the connection manager, the notification pipeline and
//! the admin API.
//!
//! The binary parses flags, loads [`Config`] and installs logging before it
//! calls [`Service::start`]; tests call it directly with a temporary data
//! directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use nbwss_store::{Store, StoreError};
use nbwss_tls::{ProxyError, RootsError};

use crate::admin::views::ReloadView;
use crate::admin::{
    ADMIN_KEY_FILE, AdminContext, AdminError, AdminServer, AdminState, ApiError, LogLevelHook,
};
use crate::config::Config;
use crate::connection::{ConnectionControl, ConnectionManager, ConnectionSettings, Sessions};
use crate::notify::{Notifier, NotifySettings};
use crate::registry::Registry;
use crate::relay::{Relay, RelayError, RelaySettings};
use crate::shutdown::Shutdown;

/// What the service needs besides its configuration.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Holds the store, the key file, the admin key and the logs.
    pub data_dir: PathBuf,
    /// Accept `ws://` endpoints on loopback. Tests only.
    pub allow_insecure_loopback: bool,
    /// Sent to endpoints in CONNECT as `serverName`.
    pub server_name: String,
    /// Folder with `nbwss.properties`, read again by reload; `None`
    /// disables reload.
    pub config_dir: Option<PathBuf>,
    /// The `--set` overrides, applied again over the file by reload.
    pub config_overrides: Vec<(String, String)>,
    /// Applies a new `log.level` on reload; without it the level needs a
    /// restart.
    pub on_log_level: Option<LogLevelHook>,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened.
    #[error("failed to open the store in {path:?}")]
    Store {
        /// The data directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// The relay could not be built from the `command.*` properties.
    #[error(transparent)]
    Relay(#[from] RelayError),
    /// The proxy settings are invalid.
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    /// The trusted roots could not be loaded.
    #[error(transparent)]
    Roots(#[from] RootsError),
    /// The administrator key file could not be written.
    #[error("failed to write the admin key {path:?}")]
    AdminKey {
        /// The key file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// The admin API could not listen.
    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// A running service.
pub struct Service {
    /// The endpoint registry.
    pub registry: Registry,
    /// The live sessions by group.
    pub sessions: Sessions,
    /// Triggering it stops every task.
    pub shutdown: Shutdown,
    /// The configuration the service started with.
    pub config: Config,
    manager: ConnectionManager,
    notifier: Notifier,
    admin: AdminServer,
    admin_state: AdminState,
}

impl Service {
    /// Opens the store and starts connecting to every activated endpoint.
    pub async fn start(config: Config, options: ServiceOptions) -> Result<Service, StartError> {
        nbwss_tls::install_default_provider();
        // The relay checks the upstream URL and CA file, so a mistake there
        // stops start-up before anything is written to the data directory.
        let relay = Relay::new(relay_settings(&config))?;
        let store = Store::open(&options.data_dir).map_err(|source| StartError::Store {
            path: options.data_dir.clone(),
            source,
        })?;
        let registry = Registry::load(store).map_err(|source| StartError::Store {
            path: options.data_dir.clone(),
            source,
        })?;
        let admin_key = options.data_dir.join(ADMIN_KEY_FILE);
        registry
            .store()
            .ensure_admin_key(&admin_key)
            .map_err(|source| StartError::AdminKey {
                path: admin_key,
                source,
            })?;
        let admin_listener = AdminServer::bind(config.admin_listen).await?;
        let roots = nbwss_tls::root_store(None, true)?;
        let settings = ConnectionSettings::from_config(
            &config,
            roots.clone(),
            options.allow_insecure_loopback,
            options.server_name.clone(),
        )?;
        let proxy = settings.proxy.clone();
        let sessions = Sessions::default();
        let shutdown = Shutdown::new();
        let manager = ConnectionManager::start(
            settings,
            registry.clone(),
            relay,
            sessions.clone(),
            shutdown.clone(),
        );
        let notifier = Notifier::start(
            NotifySettings::from_config(&config),
            registry.clone(),
            sessions.clone(),
            shutdown.clone(),
        );
        let admin_state = AdminState::new(AdminContext {
            registry: registry.clone(),
            sessions: sessions.clone(),
            config: config.clone(),
            proxy,
            roots,
            allow_insecure_loopback: options.allow_insecure_loopback,
            config_dir: options.config_dir.clone(),
            config_overrides: options.config_overrides.clone(),
            on_log_level: options.on_log_level.clone(),
            notifier: Some(notifier.clone()),
            connections: Some(manager.control()),
        });
        let admin = AdminServer::start(admin_listener, admin_state.clone(), shutdown.clone());
        write_admin_addr(&options.data_dir, admin.addr());
        Ok(Service {
            registry,
            sessions,
            shutdown,
            config,
            manager,
            notifier,
            admin,
            admin_state,
        })
    }

    /// Returns the address the admin API listens on, with the real port
    /// when `admin.listen` asked for port 0.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin.addr()
    }

    /// Returns the handle that changes connection and relay settings while
    /// connections run, as `nbwss reload` does.
    pub fn connections(&self) -> ConnectionControl {
        self.manager.control()
    }

    /// Reads `nbwss.properties` again and applies what can change live, as
    /// `nbwss reload` and SIGHUP do.
    pub async fn reload(&self) -> Result<ReloadView, ApiError> {
        crate::admin::reload_config(&self.admin_state).await
    }

    /// Returns the notification pipeline, for ingest and the backlog.
    pub fn notifier(&self) -> Notifier {
        self.notifier.clone()
    }

    /// Closes every connection with 1000 and waits for the tasks to end.
    pub async fn stop(self) {
        self.shutdown.trigger();
        self.manager.stopped().await;
        self.notifier.stopped().await;
        self.admin.stopped().await;
    }
}

/// File in the data directory holding the admin API's address, so that the
/// command line and tests find it when `admin.listen` has port 0.
pub const ADMIN_ADDR_FILE: &str = "admin.addr";

/// Writes [`ADMIN_ADDR_FILE`] through a temporary file and a rename, so a
/// reader never sees a partial address. A failure is only logged, because
/// the address is also in the "admin API listening" log line.
fn write_admin_addr(data_dir: &Path, addr: SocketAddr) {
    let path = data_dir.join(ADMIN_ADDR_FILE);
    let temporary = data_dir.join(format!("{ADMIN_ADDR_FILE}.tmp"));
    let written = std::fs::write(&temporary, format!("{addr}\n"))
        .and_then(|()| std::fs::rename(&temporary, &path));
    if let Err(error) = written {
        tracing::warn!(path = %path.display(), %error, "failed to write the admin address file");
    }
}

/// The relay settings in `config`.
pub fn relay_settings(config: &Config) -> RelaySettings {
    RelaySettings {
        upstream_url: config.upstream_url.clone(),
        upstream_ca_file: config.upstream_ca_file.clone(),
        allowed_path_prefixes: config.allowed_path_prefixes.clone(),
        max_concurrent: config.command_max_concurrent,
        timeout: config.command_timeout,
        max_response_bytes: config.command_max_response_bytes,
    }
}

/// This machine's host name, for the CONNECT `serverName`.
pub fn local_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned())
}
