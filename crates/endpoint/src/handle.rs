//! [`BackupServer`], the application's handle on one connected backup
//! server, and the COMMAND calls made through it.
//!
//! A call registers a one-shot reply slot under a fresh upper-case UUID in
//! the connection's pending map, queues the COMMAND REQUEST for the
//! connection's writer and waits. The connection's reader completes the slot
//! when the COMMAND RESPONSE with that id arrives. Reading and writing the
//! socket is left to [`connection`](crate::connection).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use nbwss_protocol::{Body, CommandRequest, CommandResponse, ConnectRequest, Message};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_util::sync::CancellationToken;

use crate::event::DisconnectReason;
use crate::notifications::NotificationIds;

/// Why a call through [`BackupServer::call`] produced no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The connection was closed before the response arrived, or already
    /// was when the call started. Retry on another connection if the call
    /// is safe to repeat.
    #[error("backup server connection is closed")]
    ConnectionClosed,
    /// No response arrived in time. The service may still run the call.
    #[error("no COMMAND RESPONSE within {timeout:?}")]
    TimedOut {
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The service sent a COMMAND RESPONSE that breaks the protocol.
    #[error("invalid COMMAND RESPONSE: {reason}")]
    InvalidResponse {
        /// The problem, naming the key.
        reason: String,
    },
}

/// The outcome delivered to a waiting call.
pub(crate) type CallResult = Result<CommandResponse, CallError>;

/// A request from a handle to the connection's writer.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// Send one text message.
    Text(String),
    /// Send a close frame and stop writing.
    Close(CloseFrame, DisconnectReason),
}

/// State shared by the connection's task and every clone of its handle.
pub(crate) struct ConnectionShared {
    pub(crate) id: u64,
    pub(crate) peer: SocketAddr,
    pub(crate) connect: ConnectRequest,
    pub(crate) connected_at: SystemTime,
    pub(crate) default_call_timeout: Duration,
    pub(crate) outbound: mpsc::UnboundedSender<Outbound>,
    pub(crate) pending: Mutex<HashMap<String, oneshot::Sender<CallResult>>>,
    pub(crate) notification_ids: Mutex<NotificationIds>,
    /// Cancelled when the writer stops: no more messages can be sent.
    pub(crate) closing: CancellationToken,
    /// Cancelled when the socket is gone and the connection's task is done.
    pub(crate) ended: CancellationToken,
}

impl ConnectionShared {
    /// Locks the pending map, recovering it if a holder panicked.
    pub(crate) fn pending(&self) -> MutexGuard<'_, HashMap<String, oneshot::Sender<CallResult>>> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Locks the notification id sets, recovering them if a holder panicked.
    pub(crate) fn notification_ids(&self) -> MutexGuard<'_, NotificationIds> {
        self.notification_ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Fails every waiting call with [`CallError::ConnectionClosed`].
    pub(crate) fn fail_pending(&self) {
        let waiting: Vec<_> = self.pending().drain().map(|(_, slot)| slot).collect();
        for slot in waiting {
            let _ = slot.send(Err(CallError::ConnectionClosed));
        }
    }
}

/// A cheap, cloneable handle on one connected backup server.
///
/// The handle stays valid after the connection ends: calls then fail at
/// once with [`CallError::ConnectionClosed`].
#[derive(Clone)]
pub struct BackupServer {
    pub(crate) shared: Arc<ConnectionShared>,
}

impl std::fmt::Debug for BackupServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupServer")
            .field("id", &self.id())
            .field("peer", &self.peer())
            .field("server_name", &self.server_name())
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl BackupServer {
    /// Returns the connection's id, unique within one endpoint server.
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// Returns the backup server's socket address as seen by the endpoint.
    pub fn peer(&self) -> SocketAddr {
        self.shared.peer
    }

    /// Returns the `serverName` the service sent in CONNECT, if any.
    pub fn server_name(&self) -> Option<&str> {
        self.shared.connect.server_name.as_deref()
    }

    /// Returns the `serviceVersion` the service sent in CONNECT, if any.
    pub fn service_version(&self) -> Option<&str> {
        self.shared.connect.service_version.as_deref()
    }

    /// Returns the `capabilities` the service sent in CONNECT.
    pub fn capabilities(&self) -> &[String] {
        &self.shared.connect.capabilities
    }

    /// Returns when the CONNECT exchange completed.
    pub fn connected_at(&self) -> SystemTime {
        self.shared.connected_at
    }

    /// Returns whether messages can still be sent on the connection.
    pub fn is_connected(&self) -> bool {
        !self.shared.closing.is_cancelled()
    }

    /// Returns the number of calls waiting for their response.
    pub fn pending_calls(&self) -> usize {
        self.shared.pending().len()
    }

    /// Sends a COMMAND REQUEST and waits for its response, at most
    /// [`EndpointConfig::default_call_timeout`](crate::EndpointConfig::default_call_timeout).
    pub async fn call(&self, request: CommandRequest) -> CallResult {
        self.call_with_timeout(request, self.shared.default_call_timeout)
            .await
    }

    /// Sends a COMMAND REQUEST and waits at most `timeout` for its response.
    ///
    /// Dropping the returned future cancels the call: its id is forgotten
    /// and a late response is ignored. Nothing is sent to the service, so the
    /// REST call may still run.
    pub async fn call_with_timeout(
        &self,
        request: CommandRequest,
        timeout: Duration,
    ) -> CallResult {
        if !self.is_connected() {
            return Err(CallError::ConnectionClosed);
        }
        let id = new_message_id();
        let (slot, reply) = oneshot::channel();
        self.shared.pending().insert(id.clone(), slot);
        let _forget = PendingGuard {
            shared: &self.shared,
            id: &id,
        };
        let text = Message::new(id.clone(), Body::CommandRequest(request)).to_json();
        // The writer closes the queue before it fails the pending calls, so
        // a call queued too late either fails here or is failed there.
        if self.shared.outbound.send(Outbound::Text(text)).is_err() {
            return Err(CallError::ConnectionClosed);
        }
        tracing::debug!(conn_id = self.id(), msg_id = %id, "command request queued");
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(CallError::ConnectionClosed),
            Err(_) => Err(CallError::TimedOut { timeout }),
        }
    }

    /// Closes the connection with code 1000 and waits until the connection
    /// has ended. Messages queued before the close are sent first; the wait
    /// for the service's close reply is bounded by the close timeout.
    pub async fn close(&self) {
        let frame = crate::closing::frame(crate::closing::NORMAL, "closed by the endpoint");
        let _ = self.shared.outbound.send(Outbound::Close(
            frame,
            DisconnectReason::ClosedByApplication,
        ));
        self.closed().await;
    }

    /// Waits until the connection has ended.
    pub async fn closed(&self) {
        self.shared.ended.cancelled().await;
    }
}

/// Removes a call's id from the pending map when the call ends for any
/// reason, including cancellation.
struct PendingGuard<'a> {
    shared: &'a ConnectionShared,
    id: &'a str,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.shared.pending().remove(self.id);
    }
}

/// Generates a message id: an upper-case v4 UUID, as in the NBWSS examples.
pub(crate) fn new_message_id() -> String {
    format!("{:X}", uuid::Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Message ids are hyphenated upper-case UUIDs.
    #[test]
    fn message_id_is_upper_case_uuid() {
        let id = new_message_id();
        assert_eq!(id, id.to_uppercase());
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    }
}
