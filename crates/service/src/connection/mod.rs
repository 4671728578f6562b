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

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nbwss_tls::ProxySettings;

pub use backoff::Backoff;
pub use manager::ConnectionManager;
pub use session::{Outbound, SessionEnd};
pub use sessions::{Acknowledgement, SessionHandle, Sessions};

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
    /// Policy limit: larger COMMAND REQUESTs are answered with 413.
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

/// Everything a connection task needs, shared by all of them.
pub(crate) struct Shared {
    pub settings: ConnectionSettings,
    pub registry: Registry,
    pub relay: Relay,
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
            settings,
            registry,
            relay,
            sessions,
            shutdown,
            next_conn_id: AtomicU64::new(1),
        })
    }

    /// A new connection id, unique for the life of the process.
    pub fn next_conn_id(&self) -> u64 {
        self.next_conn_id.fetch_add(1, Ordering::Relaxed)
    }
}
