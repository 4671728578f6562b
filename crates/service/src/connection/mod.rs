//! The connection manager: one outbound WebSocket connection per endpoint
//! group, to the highest-priority endpoint that completes CONNECT.
//!
//! - [`manager`] runs one task per group and reacts to registry changes.
//! - [`group`] tries a group's endpoints in priority order, with backoff.
//! - [`handshake`] dials (directly or through a proxy), runs TLS, the
//!   WebSocket upgrade and the CONNECT exchange.
//! - [`session`] serves one established connection: commands, keep-alive,
//!   notifications and size limits.
//!
//! Relaying a command to the REST API is left to [`crate::relay`]; what to
//! send as notifications is left to the notification pipeline, which reaches
//! a live connection through [`Sessions`].

mod backoff;
mod group;
mod handshake;
mod inbound;
pub mod manager;
mod session;
mod sessions;
mod transport;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use nbwss_tls::{ProxyError, ProxySettings};
use tokio::sync::Notify;

pub use backoff::Backoff;
pub use manager::ConnectionManager;
pub use session::{Outbound, SessionEnd};
pub use sessions::{Acknowledgement, SessionHandle, Sessions};

use crate::config::Config;
use crate::registry::Registry;
use crate::relay::Relay;
use crate::shutdown::Shutdown;

/// Connection settings taken from the validated configuration.
#[derive(Clone, Debug)]
pub struct ConnectionSettings {
    /// Period of the full re-check pass, and the backoff cap.
    pub period: Duration,
    /// Initial backoff after a failure.
    pub retry_delay: Duration,
    /// Time allowed for the endpoint's CONNECT RESPONSE.
    pub connect_response_timeout: Duration,
    /// Interval between keep-alive pings.
    pub keep_alive_rate: Duration,
    /// Pings in a row without a pong before the connection is dead.
    pub max_pong_miss: u32,
    /// Policy limit: larger COMMAND REQUESTs get a 413 error response.
    pub max_inbound_message_bytes: usize,
    /// Memory limit: larger messages close the connection with 1009.
    pub hard_max_inbound_message_bytes: usize,
    /// Carry on after an undecodable message instead of closing with 1007.
    pub ignore_decoder: bool,
    /// Maximum commands relayed at once per connection.
    pub max_concurrent_commands: usize,
    /// Proxy and `NO_PROXY` rules for dialing endpoints.
    pub proxy: ProxySettings,
    /// Roots that verify endpoints without a pinned fingerprint.
    pub roots: rustls::RootCertStore,
    /// Accept `ws://` endpoints on loopback. Tests only.
    pub allow_insecure_loopback: bool,
    /// Sent in CONNECT as `serverName`.
    pub server_name: String,
}

impl ConnectionSettings {
    /// Settings from `config`, with the parts that do not come from the
    /// properties file given by the caller.
    pub fn from_config(
        config: &Config,
        roots: rustls::RootCertStore,
        allow_insecure_loopback: bool,
        server_name: String,
    ) -> Result<ConnectionSettings, ProxyError> {
        let mut proxy = ProxySettings::from_env()?;
        if let Some(property) = &config.proxy {
            proxy = proxy.with_proxy(property)?;
        }
        Ok(ConnectionSettings {
            period: config.connection_info_period,
            retry_delay: config.retry_delay,
            connect_response_timeout: config.connect_response_timeout,
            keep_alive_rate: config.keep_alive_rate,
            max_pong_miss: config.keep_alive_max_pong_miss,
            max_inbound_message_bytes: config.max_inbound_message_bytes,
            hard_max_inbound_message_bytes: config.hard_max_inbound_message_bytes,
            ignore_decoder: config.ignore_decoder,
            max_concurrent_commands: config.command_max_concurrent,
            proxy,
            roots,
            allow_insecure_loopback,
            server_name,
        })
    }

    /// A copy with every value from the properties file taken from `config`.
    pub fn reconfigured(&self, config: &Config) -> Result<ConnectionSettings, ProxyError> {
        ConnectionSettings::from_config(
            config,
            self.roots.clone(),
            self.allow_insecure_loopback,
            self.server_name.clone(),
        )
    }
}

/// Everything a connection task needs, shared by all of them.
pub(crate) struct Shared {
    settings: RwLock<Arc<ConnectionSettings>>,
    relay: RwLock<Relay>,
    /// Wakes the manager after a reload, so a new period applies at once.
    pub reconfigured: Notify,
    pub registry: Registry,
    pub sessions: Sessions,
    pub shutdown: Shutdown,
    next_conn_id: AtomicU64,
}

impl Shared {
    pub fn new(
        settings: ConnectionSettings,
        registry: Registry,
        relay: Relay,
        sessions: Sessions,
        shutdown: Shutdown,
    ) -> Arc<Shared> {
        Arc::new(Shared {
            settings: RwLock::new(Arc::new(settings)),
            relay: RwLock::new(relay),
            reconfigured: Notify::new(),
            registry,
            sessions,
            shutdown,
            next_conn_id: AtomicU64::new(1),
        })
    }

    /// The current settings. Callers keep the `Arc` for one attempt or one
    /// connection, so a reload never changes values under them.
    pub fn settings(&self) -> Arc<ConnectionSettings> {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The current relay; each command takes it when it starts.
    pub fn relay(&self) -> Relay {
        self.relay
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A new connection id, unique for the life of the process.
    pub fn next_conn_id(&self) -> u64 {
        self.next_conn_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// Changes the settings of a running connection manager.
///
/// New settings apply to the next connection attempt, the next backoff
/// draw and the next periodic pass; live connections keep their keep-alive
/// and size limits until they reconnect. A new relay applies to the next
/// command on every connection. Nothing is closed by a change.
#[derive(Clone)]
pub struct ConnectionControl {
    shared: Arc<Shared>,
}

impl ConnectionControl {
    /// The settings in force.
    pub fn settings(&self) -> Arc<ConnectionSettings> {
        self.shared.settings()
    }

    /// Replaces the settings and the relay.
    pub fn apply(&self, settings: ConnectionSettings, relay: Relay) {
        *self
            .shared
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(settings);
        *self
            .shared
            .relay
            .write()
            .unwrap_or_else(PoisonError::into_inner) = relay;
        self.shared.reconfigured.notify_one();
    }
}
