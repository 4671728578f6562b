//! Tuning for an [`EndpointServer`](crate::EndpointServer): limits, timeouts
//! and keep-alive.
//!
//! The defaults suit one endpoint process serving many backup servers.
//! Choosing the listen address and the TLS certificate is left to the caller.

use std::time::Duration;

/// Default for [`EndpointConfig::max_inbound_message_bytes`]: 2 MiB, the
/// NBWSS limit.
pub const DEFAULT_MAX_INBOUND_MESSAGE_BYTES: usize = 2 * 1024 * 1024;

/// Settings for an endpoint server. Build one with struct update syntax
/// from [`EndpointConfig::default`].
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Largest inbound WebSocket message and frame, in bytes. A larger one
    /// closes the connection with code 1009.
    pub max_inbound_message_bytes: usize,
    /// Time allowed for the TLS handshake and the WebSocket upgrade.
    pub handshake_timeout: Duration,
    /// Time allowed, after the upgrade, for the CONNECT REQUEST to arrive.
    /// When it expires the connection is closed with code 1008.
    pub connect_timeout: Duration,
    /// Timeout of [`BackupServer::call`](crate::BackupServer::call).
    pub default_call_timeout: Duration,
    /// Interval between the endpoint's WebSocket pings, or `None` for no
    /// pings. A connection from which nothing arrives, not even a pong, for
    /// [`MAX_MISSED_PONGS`](crate::MAX_MISSED_PONGS) intervals in a row is
    /// closed.
    pub ping_interval: Option<Duration>,
    /// The only request path accepted for the upgrade, such as `/nbwss`;
    /// other paths get HTTP 404. `None` accepts any path.
    pub path: Option<String>,
    /// Time allowed for the closing handshake before the socket is dropped.
    pub close_timeout: Duration,
    /// Capacity of the queue of received notifications that the
    /// application has not taken yet. When it is full, a new notification is
    /// left unacknowledged, so the service sends it again later.
    pub notification_queue: usize,
    /// How many acknowledged notification ids each connection remembers to
    /// recognise resends. The oldest id is forgotten first.
    pub recent_notification_ids: usize,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            max_inbound_message_bytes: DEFAULT_MAX_INBOUND_MESSAGE_BYTES,
            handshake_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            // A little longer than the service's default `command.timeout`
            // of 120 s, so that the service's own 504 response arrives
            // before the endpoint gives up.
            default_call_timeout: Duration::from_secs(130),
            ping_interval: Some(Duration::from_secs(30)),
            path: None,
            close_timeout: Duration::from_secs(5),
            notification_queue: 1024,
            recent_notification_ids: 10_000,
        }
    }
}
